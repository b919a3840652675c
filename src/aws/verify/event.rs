//! The test object's event: polled for on the queue (messages of others
//! held, never deleted; S3's test events drained), then checked field by
//! field: source, name, bucket, key and the route it came by.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Verdict;
use super::decode_key;
use super::queue::delete_message;
use super::route::{EventWait, entry_still_there, missing_event_cause};
use super::run::{Run, Stack, secs, secs_rounded};
use crate::aws::error::classify;
use crate::aws::progress::{CheckId, Event, StepId};
use crate::spec::Delivery;

/// The longest SQS long poll.
const MAX_WAIT_SECS: u64 = 20;

/// How often a long wait for the event says how it goes.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// Our event's message.
pub(super) struct Received {
    pub(super) receipt: String,
    pub(super) record: EventRecord,
}

/// The fields of an S3 event record that verify checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EventRecord {
    pub(super) source: Option<String>,
    pub(super) name: Option<String>,
    pub(super) bucket: Option<String>,
    /// As the event carries it: URL-encoded, but for EventBridge.
    pub(super) key: String,
    pub(super) route: Route,
}

/// How an event reached the queue, as its message shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    Direct,
    /// In an SNS envelope from this topic.
    Sns(Option<String>),
    EventBridge,
}

#[derive(Debug, PartialEq, Eq)]
enum Body {
    Ours(EventRecord),
    TestEvent,
    Unrelated,
}

/// What a message body is to verify: the event of the object with `marker`,
/// an S3 test event, or something else. SNS envelopes are opened.
fn classify_body(body: &str, marker: &str) -> Body {
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return Body::Unrelated;
    };
    let text = |v: &Value, pointer: &str| {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut route = Route::Direct;
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        route = Route::Sns(text(&value, "/TopicArn"));
        match value
            .get("Message")
            .and_then(Value::as_str)
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
        {
            Some(inner) => value = inner,
            None => return Body::Unrelated,
        }
    }
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Body::TestEvent;
    }
    // An EventBridge event carries one object, its key as it is.
    if value.get("detail-type").is_some() && value.get("detail").is_some() {
        return match text(&value, "/detail/object/key") {
            Some(key) if key.contains(marker) => Body::Ours(EventRecord {
                source: text(&value, "/source"),
                name: text(&value, "/detail-type"),
                bucket: text(&value, "/detail/bucket/name"),
                key,
                route: Route::EventBridge,
            }),
            _ => Body::Unrelated,
        };
    }
    let records = value.get("Records").and_then(Value::as_array);
    for record in records.into_iter().flatten() {
        let Some(key) = record.pointer("/s3/object/key").and_then(Value::as_str) else {
            continue;
        };
        if key.contains(marker) || decode_key(key).is_ok_and(|k| k.contains(marker)) {
            return Body::Ours(EventRecord {
                source: text(record, "/eventSource"),
                name: text(record, "/eventName"),
                bucket: text(record, "/s3/bucket/name"),
                key: key.to_owned(),
                route,
            });
        }
    }
    Body::Unrelated
}

pub(super) struct Polled {
    pub(super) ours: Option<Received>,
    /// Receipt handles of others' messages held back until polling ended.
    pub(super) held: Vec<String>,
}

pub(super) async fn poll_for_event(
    stack: &Stack<'_>,
    wait: &EventWait,
    upload_time: Instant,
    run: &mut Run<'_>,
) -> Polled {
    let Stack {
        clients,
        spec,
        arns,
        queue_url,
        object,
    } = *stack;
    let name = CheckId::Event;
    let started = run.start(name, format!("the S3 event arrives on {}", spec.queue.name));
    run.reporter.send(Event::Waiting {
        step: StepId::Check(name),
        reason: format!(
            "waiting up to {} for the event of the test object on {}{}",
            secs(wait.total),
            spec.queue.name,
            wait.why()
        ),
    });
    let deadline = upload_time + wait.total;
    let mut polled = Polled {
        ours: None,
        held: Vec::new(),
    };
    let mut notes = Vec::new();
    let mut next_progress = Instant::now() + PROGRESS_EVERY;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        if Instant::now() >= next_progress {
            next_progress += PROGRESS_EVERY;
            run.reporter.send(Event::Waiting {
                step: StepId::Check(name),
                reason: format!(
                    "still waiting for the event: {} of up to {}{}",
                    secs_rounded(upload_time.elapsed()),
                    secs(wait.total),
                    wait.why()
                ),
            });
        }
        let poll = remaining
            .min(next_progress.saturating_duration_since(Instant::now()))
            .as_secs()
            .clamp(1, MAX_WAIT_SECS);
        // Ours stays hidden until cleanup, others until polling ends: no
        // message is received twice.
        let hold = (remaining + Duration::from_secs(60)).as_secs().min(43_200);
        let received = clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(i32::try_from(poll).unwrap_or(20))
            .visibility_timeout(i32::try_from(hold).unwrap_or(43_200))
            .customize()
            .config_override(clients.long_poll(i32::try_from(poll).unwrap_or(20)))
            .send()
            .await
            .map_err(|e| classify("sqs:ReceiveMessage", &spec.queue.name, e));
        let out = match received {
            Ok(out) => out,
            Err(e) => {
                run.record(name, started.elapsed(), Verdict::Fail(e.to_string()));
                return polled;
            }
        };
        for message in out.messages() {
            let (Some(receipt), Some(body)) = (message.receipt_handle(), message.body()) else {
                continue;
            };
            match classify_body(body, &object.marker) {
                Body::Ours(record) if polled.ours.is_none() => {
                    polled.ours = Some(Received {
                        receipt: receipt.to_owned(),
                        record,
                    });
                }
                // A duplicate delivery of ours: gone with the first.
                Body::Ours(_) => {
                    if let Err(e) =
                        delete_message(clients, queue_url, receipt, &spec.queue.name).await
                    {
                        notes.push(e.to_string());
                    }
                }
                Body::TestEvent => {
                    match delete_message(clients, queue_url, receipt, &spec.queue.name).await {
                        Ok(()) => run
                            .reporter
                            .note(StepId::Check(name), "drained an s3:TestEvent message"),
                        Err(e) => notes.push(e.to_string()),
                    }
                }
                Body::Unrelated => polled.held.push(receipt.to_owned()),
            }
        }
        if polled.ours.is_some() {
            break;
        }
    }
    for note in notes {
        run.reporter.note(StepId::Check(name), note);
    }
    if !polled.held.is_empty() {
        run.reporter.note(
            StepId::Check(name),
            format!(
                "{} of others arrived while verify polled: each was received once and is held until the checks end",
                crate::words::count(polled.held.len(), "message")
            ),
        );
    }

    let Some(received) = &polled.ours else {
        let cause = missing_event_cause(clients, spec, arns, wait).await;
        run.record(name, started.elapsed(), Verdict::Fail(cause));
        return polled;
    };
    let latency = upload_time.elapsed();
    run.succeeded(name, started, format!("after {}", secs(latency)));
    run.record(name, latency, Verdict::Pass);

    // The record, field by field.
    let record = &received.record;
    let bridged = record.route == Route::EventBridge;
    let (want_source, want_name) = if bridged {
        ("aws.s3", "Object Created")
    } else {
        ("aws:s3", "ObjectCreated:*")
    };
    let result = match record.source.as_deref() {
        Some(s) if s == want_source => Ok(s.to_owned()),
        Some(other) => Err(format!(
            "the event's source is {other:?}, expected {want_source:?}"
        )),
        None => Err("the event has no source".to_owned()),
    };
    run.instant(
        CheckId::EventSource,
        format!("the event's source is {want_source}"),
        Duration::ZERO,
        result,
    );
    let result = match record.name.as_deref() {
        Some(n) if !bridged && n.starts_with("ObjectCreated:") => Ok(n.to_owned()),
        Some(n) if bridged && n == "Object Created" => Ok(n.to_owned()),
        Some(other) => Err(format!(
            "the event is {other:?}, expected {want_name}: the notification's events ({}) should include s3:ObjectCreated",
            spec.notification.events.join(", ")
        )),
        None => Err("the event has no name".to_owned()),
    };
    run.instant(
        CheckId::EventName,
        format!("the event is {want_name}"),
        Duration::ZERO,
        result,
    );
    let result = match record.bucket.as_deref() {
        Some(b) if b == spec.bucket.name => Ok(b.to_owned()),
        Some(other) => Err(format!(
            "the event names bucket {other:?}, expected {:?}",
            spec.bucket.name
        )),
        None => Err("the event names no bucket".to_owned()),
    };
    run.instant(
        CheckId::EventBucket,
        "the event names the bucket",
        Duration::ZERO,
        result,
    );
    let decoded = if bridged {
        Ok(record.key.clone())
    } else {
        decode_key(&record.key)
    };
    let result = decoded.and_then(|decoded| {
        if decoded == object.key {
            Ok(format!("{:?} decodes to {decoded:?}", record.key))
        } else {
            Err(format!(
                "the event's key {:?} decodes to {decoded:?}, expected {:?}: the consumer must decode keys ('+' to space, then percent-decoding)",
                record.key, object.key
            ))
        }
    });
    run.instant(
        CheckId::EventKey,
        "the event's key decodes to the object's",
        Duration::ZERO,
        result,
    );
    let delivery = spec.notification.delivery;
    let result = match (&record.route, delivery) {
        (Route::Direct, Delivery::Direct) => entry_still_there(clients, spec).await,
        (Route::Sns(Some(topic)), Delivery::Sns)
            if Some(topic) == spec.notification.topic_arn.as_ref() =>
        {
            Ok(format!("through the topic {topic}"))
        }
        (Route::EventBridge, Delivery::Eventbridge) => Ok(format!(
            "through the EventBridge rule {}",
            spec.notification.id
        )),
        (route, _) => Err(format!(
            "the event came {}, but notification.delivery is {delivery}",
            match route {
                Route::Direct => "straight from S3".to_owned(),
                Route::Sns(topic) => format!(
                    "through the SNS topic {}",
                    topic.as_deref().unwrap_or("(unnamed)")
                ),
                Route::EventBridge => "from EventBridge".to_owned(),
            }
        )),
    };
    run.instant(
        CheckId::EventRoute,
        format!("the event came by {delivery} delivery"),
        Duration::ZERO,
        result,
    );
    polled
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_ours_a_test_event_or_unrelated() {
        let event = json!({"Records": [{
            "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "x/probe+a%2Bb+%C3%A9-17-0000abcd.json"}}
        }]});
        let expected = EventRecord {
            source: Some("aws:s3".into()),
            name: Some("ObjectCreated:Put".into()),
            bucket: Some("b".into()),
            key: "x/probe+a%2Bb+%C3%A9-17-0000abcd.json".into(),
            route: Route::Direct,
        };
        assert_eq!(
            classify_body(&event.to_string(), "-17-0000abcd"),
            Body::Ours(expected.clone())
        );
        assert_eq!(
            classify_body(&event.to_string(), "-18-0000abcd"),
            Body::Unrelated
        );
        let sns = json!({"Type": "Notification", "TopicArn": "arn:aws:sns:us-west-2:1:t", "Message": event.to_string()});
        assert_eq!(
            classify_body(&sns.to_string(), "-17-0000abcd"),
            Body::Ours(EventRecord {
                route: Route::Sns(Some("arn:aws:sns:us-west-2:1:t".into())),
                ..expected
            })
        );
        // EventBridge carries the key as it is.
        let bridged = json!({
            "version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "x/probe a+b-17-0000abcd.json"}}
        });
        assert_eq!(
            classify_body(&bridged.to_string(), "-17-0000abcd"),
            Body::Ours(EventRecord {
                source: Some("aws.s3".into()),
                name: Some("Object Created".into()),
                bucket: Some("b".into()),
                key: "x/probe a+b-17-0000abcd.json".into(),
                route: Route::EventBridge,
            })
        );
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"});
        assert_eq!(classify_body(&test.to_string(), "-17"), Body::TestEvent);
        assert_eq!(classify_body("hello", "-17"), Body::Unrelated);
        assert_eq!(
            classify_body(
                "{\"Type\":\"Notification\",\"Message\":\"not json\"}",
                "-17"
            ),
            Body::Unrelated
        );
    }
}
