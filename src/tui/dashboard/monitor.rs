//! Monitor mode's poller: GetQueueAttributes on the queue and its DLQ every
//! few seconds, sent to the dashboard as [`Action::Queue`]. It runs as its own
//! task, so the screen never waits on AWS. No UI code here.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::action::{Action, QueueReading};
use crate::aws::Clients;
use crate::aws::error::classify;
use crate::consume::metrics::QueueGauges;

/// The longest one reading may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Where to read.
#[derive(Debug, Clone)]
pub struct Target {
    pub queue_url: String,
    pub dlq_url: Option<String>,
}

/// Reads the queue every `interval` until `stop`, timing readings from `start`.
pub async fn poll(
    clients: Clients,
    target: Target,
    interval: Duration,
    start: Instant,
    tx: UnboundedSender<Action>,
    stop: CancellationToken,
) {
    loop {
        let read = read(&clients, &target);
        let reading = tokio::select! {
            r = tokio::time::timeout(CALL_TIMEOUT, read) => r.unwrap_or_else(|_| (None, Some(format!(
                "no answer from SQS within {} s", CALL_TIMEOUT.as_secs()
            )))),
            () = stop.cancelled() => return,
        };
        let (gauges, error) = reading;
        let action = Action::Queue(QueueReading {
            at: start.elapsed().as_secs_f64(),
            gauges,
            error,
        });
        if tx.send(action).is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// The queue's gauges (with the DLQ's depth), and what went wrong, if anything.
async fn read(clients: &Clients, target: &Target) -> (Option<QueueGauges>, Option<String>) {
    let queue = match counts(clients, &target.queue_url).await {
        Ok(c) => c,
        Err(e) => return (None, Some(e)),
    };
    let (dlq_visible, error) = match &target.dlq_url {
        Some(url) => match counts(clients, url).await {
            Ok((visible, _, _)) => (Some(visible), None),
            Err(e) => (None, Some(format!("dead-letter queue: {e}"))),
        },
        None => (None, None),
    };
    (
        Some(QueueGauges {
            visible: queue.0,
            in_flight: queue.1,
            delayed: queue.2,
            dlq_visible,
        }),
        error,
    )
}

/// (visible, in flight, delayed) of one queue.
async fn counts(clients: &Clients, url: &str) -> Result<(u64, u64, u64), String> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", url, e).to_string())?;
    let attrs = out.attributes();
    let get = |name: QueueAttributeName| -> u64 {
        attrs
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    ))
}
