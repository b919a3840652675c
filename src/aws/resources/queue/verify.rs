//! The queue: its URL, the wait for a queue holding messages of others to
//! empty before the test object is uploaded, and the deletes and visibility
//! changes of received messages.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::aws::client::Clients;
use crate::aws::error::{AwsError, classify};
use crate::aws::observe::queue_depth;
use crate::aws::progress::{CheckId, Event, StepId};
use crate::aws::resources::route::verify::EventWait;
use crate::aws::verify::run::VerifyOptions;
use crate::aws::verify::run::{Run, secs, secs_rounded};
use crate::spec::Spec;

/// The queue's URL, or `None` (the check failed) when it cannot be had.
pub(in crate::aws) async fn resolve_queue(
    clients: &Clients,
    spec: &Spec,
    run: &mut Run<'_>,
) -> Option<String> {
    let started = run.start(
        CheckId::QueueUrl,
        format!("queue {} resolves", spec.queue.name),
    );
    let result = match clients.queue_url(&spec.queue.name).await {
        Ok(Some(url)) => Ok(url),
        Ok(None) => Err(format!(
            "the queue {} does not exist: apply the spec first",
            spec.queue.name
        )),
        Err(e) => Err(e.to_string()),
    };
    let url = result.as_ref().ok().cloned();
    run.finish(CheckId::QueueUrl, started, result);
    url
}

/// A queue younger than this, holding no more than [`NEW_QUEUE_MESSAGES`],
/// holds S3's test events for its new notification.
const NEW_QUEUE_AGE: Duration = Duration::from_secs(15 * 60);
const NEW_QUEUE_MESSAGES: u64 = 2;

/// How long ago the queue at `url` was made (its CreatedTimestamp).
async fn queue_age(clients: &Clients, url: &str) -> Option<Duration> {
    let created: String = crate::aws::observe::queue_attribute(
        clients,
        url,
        aws_sdk_sqs::types::QueueAttributeName::CreatedTimestamp,
    )
    .await
    .ok()??;
    // Whole seconds (some emulators add a fraction).
    let created: u64 = created.split('.').next()?.parse().ok()?;
    SystemTime::now()
        .duration_since(UNIX_EPOCH + Duration::from_secs(created))
        .ok()
}

/// Before the test object is uploaded: a queue that already holds messages
/// of others is not received from without consent (each receive counts
/// towards a message's maxReceiveCount, and a live message would reach the
/// dead-letter queue sooner). Verify waits, reading only the queue's
/// counts, until the queue is empty; `Err` says why it was not, when the
/// wait ends first.
pub(in crate::aws) async fn wait_for_quiet(
    clients: &Clients,
    spec: &Spec,
    queue_url: &str,
    wait: &EventWait,
    options: &VerifyOptions,
    run: &mut Run<'_>,
) -> Result<(), String> {
    let step = StepId::Check(CheckId::Upload);
    let limit = match &spec.queue.dead_letter {
        dlq if spec.has_dead_letter() => format!("maxReceiveCount of {}", dlq.max_receive_count),
        _ => "receive count".to_owned(),
    };
    let Ok(depth) = queue_depth(clients, queue_url).await else {
        return Ok(());
    };
    if depth.total() == 0 {
        return Ok(());
    }
    // A queue made minutes ago holds S3's test event ("When the notification
    // is first enabled, an s3:TestEvent occurs"), which is ours to drain.
    if depth.total() <= NEW_QUEUE_MESSAGES
        && let Some(age) = queue_age(clients, queue_url).await
        && age < NEW_QUEUE_AGE
    {
        run.reporter.note(
            step,
            format!(
                "the queue, made {} ago, holds {depth}: S3's s3:TestEvent for its new notification, which verify drains (a message of others among them would be received once, and held until the checks end)",
                secs_rounded(age)
            ),
        );
        return Ok(());
    }
    if options.probe_busy_queue {
        run.reporter.note(
            step,
            format!(
                "the queue holds {depth} of others; with --probe-busy-queue verify receives them while it looks for its own, each at most once (each receive counts towards its {limit})"
            ),
        );
        return Ok(());
    }
    run.reporter.send(Event::Waiting {
        step,
        reason: format!(
            "the queue holds {depth} of others: verify does not receive them (each receive counts towards its {limit}); it waits up to {} for the queue to empty before it uploads its object (--probe-busy-queue receives anyway)",
            secs(wait.total)
        ),
    });
    let deadline = Instant::now() + wait.total;
    let mut last = depth;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2).min(wait.total)).await;
        match queue_depth(clients, queue_url).await {
            Ok(depth) if depth.total() == 0 => return Ok(()),
            Ok(depth) => last = depth,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "the queue held {last} of others throughout the {} verify waited: it receives none of them without --probe-busy-queue (each receive counts towards its {limit}), so no test object was uploaded; run verify when the queue is empty, or pass --probe-busy-queue",
        secs(wait.total)
    ))
}

pub(in crate::aws) async fn delete_message(
    clients: &Clients,
    queue_url: &str,
    receipt: &str,
    queue: &str,
) -> Result<(), AwsError> {
    clients
        .sqs
        .delete_message()
        .queue_url(queue_url)
        .receipt_handle(receipt)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify("sqs:DeleteMessage", queue, e))
}

pub(in crate::aws) async fn change_visibility(
    clients: &Clients,
    queue_url: &str,
    receipt: &str,
    secs: i32,
) -> Result<(), AwsError> {
    clients
        .sqs
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt)
        .visibility_timeout(secs)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify("sqs:ChangeMessageVisibility", queue_url, e))
}
