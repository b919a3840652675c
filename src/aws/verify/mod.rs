//! End-to-end verification of a deployed stack: upload a test object, wait
//! for its S3 event on the queue, and check what a consumer would see and be
//! allowed to do.
//!
//! Every check has a stable name (also its progress step, prefixed with
//! `verify:`):
//!
//! | name | what it checks |
//! |---|---|
//! | `caller-identity` | STS GetCallerIdentity (the account, when the spec has none) |
//! | `queue-url` | sqs:GetQueueUrl of the spec's queue |
//! | `upload` | s3:PutObject of a test object under the prefix, ending with the suffix |
//! | `event` | the object's event arrives on the queue within the timeout |
//! | `event-source` | its `eventSource` is `aws:s3` |
//! | `event-name` | its `eventName` starts with `ObjectCreated:` |
//! | `event-bucket` | its bucket is the spec's bucket |
//! | `event-key` | its key (URL-encoded, but for EventBridge) decodes to the uploaded key |
//! | `event-route` | it came the way `notification.delivery` says: from S3, through the spec's SNS topic, or from EventBridge |
//! | `role-assume` | sts:AssumeRole of the role with the external ID |
//! | `role-receive-message` | the role may sqs:ReceiveMessage (visibility 0: nothing is disturbed) |
//! | `role-get-object` | the role may s3:GetObject the test object |
//! | `simulate-role`, `simulate-user` | iam:SimulatePrincipalPolicy for the consumer's actions |
//! | `cleanup-unrelated` | messages of others that were held back are visible again |
//! | `cleanup-message` | our event message is deleted |
//! | `cleanup-object` | the test object is deleted |
//!
//! Every receive counts towards a message's `maxReceiveCount`, so verify
//! spends none on messages of others without consent: when the queue
//! already holds some, it says so and waits (reading only the queue's
//! counts) for the queue to empty before it uploads its object; with
//! `--probe-busy-queue` it receives anyway. A message of others that
//! arrives while verify polls is received once, held, and made visible
//! again when the checks end; none is ever deleted. `s3:TestEvent`
//! messages, which S3 sends when a notification is configured, are deleted.
//!
//! The event is awaited for the route's usual time and, right after apply
//! changed the route, for as long as AWS documents the change may take
//! (see [`super::recent`]), with a progress line every 30 s and a final
//! message that names the change.
//!
//! Each check is reported as `Started`, then `Succeeded` (with the check's
//! detail) or `Failed` (with its cause); a check that is not available ends
//! with `Succeeded` and the detail `not available: <why>`.
//!
//! Split by what is checked: `run` records and reports the checks (and
//! holds what every check looks at), `object` is the test object, `event`
//! awaits the object's event and checks its fields, `access` reads and
//! writes as the role or the user, and `simulate` asks the policy
//! simulator. Each resource's own checks are in its module's `verify`
//! (`resources::queue`: resolving the queue and keeping verify off others'
//! messages; `route`: how long an event takes by each route and why one did
//! not come; `iam`: assuming the role and trying the user's key; `alarms`). This file holds
//! the options, the report, and the run from the first check to cleanup.

pub(in crate::aws) mod access;
mod event;
pub(in crate::aws) mod object;
pub(in crate::aws) mod run;
mod simulate;

use super::resources::{iam::verify as iam, queue::verify as queue, route::verify as route};

/// An event's object key as S3 sends it, decoded (shared with the consumer).
pub use crate::docs::decode_key;
pub use simulate::SIMULATION_NOT_AVAILABLE;
use std::time::Instant;

use super::client::Clients;
use super::error::classify;
use super::progress::{CheckId, Reporter};
use crate::docs::Arns;
use crate::spec::Spec;
use event::{Received, poll_for_event};
use iam::{role_checks, user_checks};
use object::{TEST_BODY, TestObject};
use queue::{change_visibility, resolve_queue, wait_for_quiet};
use route::EventWait;
use run::Run;
use run::Stack;
pub use run::{Check, UserKey, Verdict, VerifyOptions, VerifyReport};
use simulate::simulation_checks;
/// Runs every check against the live stack of `spec`. Never fails as a
/// whole: each problem is a failed check with its cause.
pub async fn verify(
    clients: &Clients,
    spec: &Spec,
    options: &VerifyOptions,
    reporter: &Reporter,
) -> VerifyReport {
    let mut run = Run {
        reporter,
        report: VerifyReport::default(),
    };

    // Who we are: the account for the ARNs, and the caller for the trust check.
    let started = run.start(CheckId::CallerIdentity, "caller identity");
    let identity = match clients.identity().await {
        Ok(identity) => {
            run.finish(CheckId::CallerIdentity, started, Ok(identity.arn.clone()));
            Some(identity)
        }
        Err(e) => {
            run.finish(CheckId::CallerIdentity, started, Err(e.to_string()));
            if spec.account_id.is_none() {
                return run.report;
            }
            None
        }
    };
    let mut spec = spec.clone();
    if spec.account_id.is_none() {
        spec.account_id = identity.as_ref().map(|i| i.account.clone());
    }
    let arns = Arns::of(&spec);

    // The queue.
    let queue_url =
        if let Some(why) = crate::docs::skipped_because(&spec, crate::docs::ResourceKind::Queue) {
            run.not_available(CheckId::QueueUrl, "queue", &why);
            String::new()
        } else {
            match resolve_queue(clients, &spec, &mut run).await {
                Some(url) => url,
                None => return run.report,
            }
        };

    // How long the event may take, and why.
    let account = spec.account_id.clone().unwrap_or_default();
    let wait = EventWait::of(&spec, &account, options);
    // Whether the event is awaited here at all.
    let unavailable = if let Some(why) =
        crate::docs::skipped_because(&spec, crate::docs::ResourceKind::Notification)
    {
        Some(why)
    } else {
        spec.foreign_queue().map(|arn| {
            format!(
                "the bucket notifies {}'s queue {arn}: its messages are the vendor's to read, not this caller's",
                spec.profile().vendor
            )
        })
    };

    // The test object.
    let object = TestObject::new(&spec);
    run.report.object_key = Some(object.key.clone());
    let started = run.start(
        CheckId::Upload,
        format!("upload s3://{}/{}", spec.bucket.name, object.key),
    );
    // Messages of others already in the queue are not received without
    // consent: verify waits for the queue to empty first.
    let busy = if unavailable.is_none() && !queue_url.is_empty() {
        wait_for_quiet(clients, &spec, &queue_url, &wait, options, &mut run).await
    } else {
        Ok(())
    };
    let uploaded = match &busy {
        Ok(()) => Some(
            clients
                .s3
                .put_object()
                .bucket(&spec.bucket.name)
                .key(&object.key)
                .content_type("application/json")
                .body(aws_sdk_s3::primitives::ByteStream::from_static(
                    TEST_BODY.as_bytes(),
                ))
                .send()
                .await
                .map_err(|e| {
                    classify(
                        "s3:PutObject",
                        format!("s3://{}/{}", spec.bucket.name, object.key),
                        e,
                    )
                }),
        ),
        Err(why) => {
            run.record(
                CheckId::Upload,
                started.elapsed(),
                Verdict::NotAvailable(why.clone()),
            );
            None
        }
    };
    let upload_time = Instant::now();
    let version_id = match uploaded {
        Some(Ok(out)) => {
            run.finish(
                CheckId::Upload,
                started,
                Ok(format!("{} bytes", TEST_BODY.len())),
            );
            Some(out.version_id().map(str::to_owned))
        }
        Some(Err(e)) => {
            run.finish(CheckId::Upload, started, Err(e.to_string()));
            None
        }
        None => None,
    };

    let stack = Stack {
        clients,
        spec: &spec,
        arns: &arns,
        queue_url: &queue_url,
        object: &object,
    };

    // Its event.
    let mut ours: Option<Received> = None;
    let mut held = Vec::new();
    if let Some(why) = unavailable {
        run.not_available(CheckId::Event, "the test object's event", why);
    } else if let Err(why) = &busy {
        run.not_available(CheckId::Event, "the test object's event", why.clone());
    } else if version_id.is_some() {
        let polled = poll_for_event(&stack, &wait, upload_time, &mut run).await;
        ours = polled.ours;
        held = polled.held;
    }

    // What the consumer's role may do.
    role_checks(
        &stack,
        identity.as_ref(),
        version_id.is_some(),
        options,
        &mut run,
    )
    .await;
    user_checks(&stack, options, version_id.is_some(), &mut run).await;

    // What the policy simulator says.
    simulation_checks(&stack, &mut run).await;

    // The alarms, and a test notification through their topic.
    crate::aws::resources::alarms::verify_alarms(clients, &spec, options.timeout, &mut run).await;

    // Cleanup: others' messages, ours, the object.
    if !held.is_empty() {
        let started = run.start(
            CheckId::CleanupUnrelated,
            format!(
                "release {} of others",
                crate::words::count(held.len(), "held message")
            ),
        );
        let mut errors = Vec::new();
        for receipt in &held {
            if let Err(e) = change_visibility(clients, &queue_url, receipt, 0).await {
                errors.push(e.to_string());
            }
        }
        let result = if errors.is_empty() {
            Ok(format!(
                "{} visible again",
                crate::words::count(held.len(), "message")
            ))
        } else {
            Err(errors.join("; "))
        };
        run.finish(CheckId::CleanupUnrelated, started, result);
    }
    if let Some(received) = &ours {
        let started = run.start(CheckId::CleanupMessage, "delete the test event message");
        let result = clients
            .sqs
            .delete_message()
            .queue_url(&queue_url)
            .receipt_handle(&received.receipt)
            .send()
            .await
            .map(|_| "deleted".to_owned())
            .map_err(|e| classify("sqs:DeleteMessage", &spec.queue.name, e).to_string());
        run.finish(CheckId::CleanupMessage, started, result);
    }
    if let Some(version_id) = version_id {
        let started = run.start(
            CheckId::CleanupObject,
            format!("delete s3://{}/{}", spec.bucket.name, object.key),
        );
        // A versioned bucket keeps nothing: the version itself is deleted.
        let action = if version_id.is_some() {
            "s3:DeleteObjectVersion"
        } else {
            "s3:DeleteObject"
        };
        let result = clients
            .s3
            .delete_object()
            .bucket(&spec.bucket.name)
            .key(&object.key)
            .set_version_id(version_id)
            .send()
            .await
            .map(|_| "deleted".to_owned())
            .map_err(|e| {
                classify(
                    action,
                    format!("s3://{}/{}", spec.bucket.name, object.key),
                    e,
                )
                .to_string()
            });
        run.finish(CheckId::CleanupObject, started, result);
    }
    run.report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_plus_first_then_percent() {
        assert_eq!(
            decode_key("events%2Fsluice-verify%2Fprobe+a%2Bb+%C3%A9-1.json").unwrap(),
            "events/sluice-verify/probe a+b é-1.json"
        );
        assert_eq!(decode_key("a/b+c").unwrap(), "a/b c");
        assert!(decode_key("%FF").is_err());
    }
}

#[cfg(test)]
mod key_file_tests {
    use super::UserKey;

    #[test]
    fn the_key_file_apply_writes_reads_back() {
        let key = UserKey::from_csv("Access key ID,Secret access key\nAKIAEXAMPLE,abc/def+ghi\n")
            .unwrap();
        assert_eq!(key.access_key_id, "AKIAEXAMPLE");
        assert_eq!(key.secret_access_key.expose(), "abc/def+ghi");
        assert!(!format!("{key:?}").contains("abc/def"));
        assert!(UserKey::from_csv("Access key ID,Secret access key\n").is_err());
        assert!(UserKey::from_csv("just-one-field\n").is_err());
    }
}
