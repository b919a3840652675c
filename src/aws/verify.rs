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

/// An event's object key as S3 sends it, decoded (shared with the consumer).
pub use crate::docs::decode_key;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use serde_json::Value;

use super::client::{Clients, Identity};
use super::error::{AwsError, classify};
use super::observe::{observe_role, queue_depth, read_notification};
use super::progress::{CheckId, Event, Outcome as StepOutcome, Reporter, StepId};
use super::propagation::IamWait;
use crate::docs::{Arns, entry_filter};
use crate::spec::{Delivery, Spec};

/// How verification runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// How long to wait for the test object's event on the queue.
    pub timeout: Duration,
    /// The user's own access key (from the 0600 file apply wrote), to try
    /// the user's access as the connector would.
    pub user_key: Option<UserKey>,
    /// How long AssumeRole and the first calls with new credentials wait
    /// for IAM to propagate a change (`--iam-wait`).
    pub iam_wait: Duration,
    /// The directory of apply's records of route changes
    /// ([`super::recent`]): a missing event is then put down to a change
    /// still taking effect when there is one.
    pub recent_dir: Option<std::path::PathBuf>,
    /// Await the event for at least the route's usual time and, after a
    /// recent change, as long again as AWS documents it may take; otherwise
    /// for exactly `timeout` (an explicit `--wait`).
    pub wait_for_propagation: bool,
    /// Receive from a queue that already holds messages of others: each
    /// receive counts towards their maxReceiveCount (`--probe-busy-queue`).
    pub probe_busy_queue: bool,
}

/// An IAM user's access key; the secret never prints through `Debug`.
#[derive(Debug, Clone)]
pub struct UserKey {
    pub access_key_id: String,
    pub secret_access_key: super::Secret,
}

impl PartialEq for UserKey {
    fn eq(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key.expose() == other.secret_access_key.expose()
    }
}

impl Eq for UserKey {}

impl UserKey {
    /// The key from the CSV file sluice apply (or the AWS console) writes:
    /// a header line, then `ACCESS_KEY_ID,SECRET`.
    pub fn from_csv(text: &str) -> Result<UserKey, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("Access key ID"))
            .ok_or("no key line (expected `Access key ID,Secret access key` then the values)")?;
        let mut fields = line.split(',');
        match (fields.next(), fields.next()) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(UserKey {
                access_key_id: id.to_owned(),
                secret_access_key: super::Secret::new(secret),
            }),
            _ => Err("the key line is not `ACCESS_KEY_ID,SECRET`".to_owned()),
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            timeout: Duration::from_secs(30),
            user_key: None,
            iam_wait: super::propagation::DEFAULT_IAM_WAIT,
            recent_dir: None,
            wait_for_propagation: false,
            probe_busy_queue: false,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The check failed; the cause says what to fix.
    Fail(String),
    /// The check could not be made here (no role, an emulator without the API, ...).
    NotAvailable(String),
}

/// One named check, with how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check, e.g. `event-key` (see the module documentation).
    pub name: CheckId,
    pub outcome: Outcome,
    pub latency: Duration,
}

/// Every check made, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub checks: Vec<Check>,
    /// The key of the test object, when one was chosen.
    pub object_key: Option<String>,
}

impl VerifyReport {
    /// True when no check failed (checks that were not available do not count).
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail(_)))
    }

    /// The check `name`, if it was made.
    pub fn check(&self, name: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// The Sid-free description of what verify asks the simulator, per resource.
const OBJECT_ACTIONS: &[&str] = &["s3:GetObject"];
const BUCKET_ACTIONS: &[&str] = &["s3:ListBucket"];
const WRITE_ACTIONS: &[&str] = &["s3:PutObject"];

/// What verify says when the endpoint cannot simulate policies.
pub const SIMULATION_NOT_AVAILABLE: &str =
    "IAM policy simulation is not available at this endpoint";

/// The longest SQS long poll.
const MAX_WAIT_SECS: u64 = 20;

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
                Outcome::NotAvailable(why.clone()),
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

/// The queue's URL, or `None` (the check failed) when it cannot be had.
async fn resolve_queue(clients: &Clients, spec: &Spec, run: &mut Run<'_>) -> Option<String> {
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

const TEST_BODY: &str = "{\"sluice\":\"verify\"}\n";

/// The test object: a key with a space, a `+` and non-ASCII characters, so the
/// event's URL encoding is exercised, and a marker that survives any encoding.
struct TestObject {
    key: String,
    /// Only unreserved URL characters: found in the event's key however it is encoded.
    marker: String,
}

impl TestObject {
    fn new(spec: &Spec) -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let marker = format!("-{millis}-{:08x}", rand::random::<u32>());
        let key = format!(
            "{}sluice-verify/probe a+b é{marker}{}",
            spec.bucket.prefix, spec.bucket.suffix
        );
        TestObject { key, marker }
    }

    fn arn(&self, arns: &Arns, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}/{}", arns.partition, self.key)
    }
}

/// What the checks look at.
#[derive(Clone, Copy)]
struct Stack<'a> {
    clients: &'a Clients,
    /// With the account filled in.
    spec: &'a Spec,
    arns: &'a Arns,
    queue_url: &'a str,
    object: &'a TestObject,
}

/// Collects checks and reports them as they happen.
struct Run<'a> {
    reporter: &'a Reporter,
    report: VerifyReport,
}

impl Run<'_> {
    fn start(&self, name: CheckId, title: impl Into<String>) -> Instant {
        self.reporter.started(StepId::Check(name), title);
        Instant::now()
    }

    /// Records a check that started at `started`: `Ok(detail)` passes, `Err(cause)` fails.
    fn finish(&mut self, name: CheckId, started: Instant, result: Result<String, String>) {
        let outcome = match result {
            Ok(detail) => {
                self.succeeded(name, started, detail);
                Outcome::Pass
            }
            Err(cause) => Outcome::Fail(cause),
        };
        self.record(name, started.elapsed(), outcome);
    }

    fn not_available(&mut self, name: CheckId, title: impl Into<String>, why: impl Into<String>) {
        let started = self.start(name, title);
        self.record(name, started.elapsed(), Outcome::NotAvailable(why.into()));
    }

    fn succeeded(&self, name: CheckId, started: Instant, detail: String) {
        self.reporter.finished(
            StepId::Check(name),
            StepOutcome::Done,
            detail,
            started.elapsed(),
        );
    }

    /// Records an outcome measured elsewhere, reporting its end.
    fn record(&mut self, name: CheckId, latency: Duration, outcome: Outcome) {
        let step = StepId::Check(name);
        match &outcome {
            Outcome::Pass => {}
            Outcome::Fail(cause) => self.reporter.failed(step, cause.clone(), latency),
            // Not a failure: the step ends, saying why it was not made.
            Outcome::NotAvailable(why) => self.reporter.finished(
                step,
                StepOutcome::NotAvailable(why.clone()),
                format!("not available: {why}"),
                latency,
            ),
        }
        self.report.checks.push(Check {
            name,
            outcome,
            latency,
        });
    }

    /// Records a check made at once (its latency is `latency`), with Started first.
    fn instant(
        &mut self,
        name: CheckId,
        title: impl Into<String>,
        latency: Duration,
        result: Result<String, String>,
    ) {
        self.reporter.started(StepId::Check(name), title);
        match result {
            Ok(detail) => {
                self.reporter
                    .finished(StepId::Check(name), StepOutcome::Done, detail, latency);
                self.record(name, latency, Outcome::Pass);
            }
            Err(cause) => self.record(name, latency, Outcome::Fail(cause)),
        }
    }
}

// ---- waiting for the event ----

/// Our event's message.
struct Received {
    receipt: String,
    record: EventRecord,
}

/// The fields of an S3 event record that verify checks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EventRecord {
    source: Option<String>,
    name: Option<String>,
    bucket: Option<String>,
    /// As the event carries it: URL-encoded, but for EventBridge.
    key: String,
    route: Route,
}

/// How an event reached the queue, as its message shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
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

struct Polled {
    ours: Option<Received>,
    /// Receipt handles of others' messages held back until polling ended.
    held: Vec<String>,
}

async fn poll_for_event(
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
                run.record(name, started.elapsed(), Outcome::Fail(e.to_string()));
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
        run.record(name, started.elapsed(), Outcome::Fail(cause));
        return polled;
    };
    let latency = upload_time.elapsed();
    run.succeeded(name, started, format!("after {}", secs(latency)));
    run.record(name, latency, Outcome::Pass);

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

/// The event came straight from S3: read the bucket's notification again
/// now, seconds after apply wrote it. S3 keeps the last write of the whole
/// configuration, so another writer that read before ours and wrote after
/// it has taken our entry out without error; the event proves the entry was
/// there, this second read that it still is.
async fn entry_still_there(clients: &Clients, spec: &Spec) -> Result<String, String> {
    let id = &spec.notification.id;
    match read_notification(&clients.s3, &spec.bucket.name).await {
        Ok(config) if crate::docs::has_entry(&config, id) => Ok(format!(
            "straight from S3; entry {id} is still in the bucket's configuration"
        )),
        Ok(_) => Err(format!(
            "the event came straight from S3, but the bucket {}'s notification no longer holds the entry {id}: another writer replaced the configuration after apply wrote it (S3 keeps the last write, entries of others included); run sluice apply again, which merges ours back, and tell the other writer to merge instead of overwrite",
            spec.bucket.name
        )),
        // Not readable now (a denied GetBucketNotification): the event is the proof.
        Err(e) => Ok(format!(
            "straight from S3 (the configuration could not be read again: {e})"
        )),
    }
}

/// Why no event came: the generic advice, sharpened by the bucket's configuration.
async fn missing_event_cause(
    clients: &Clients,
    spec: &Spec,
    arns: &Arns,
    wait: &EventWait,
) -> String {
    let cause = route_cause(clients, spec, arns, wait.total).await;
    propagation_cause(wait.fresh, SystemTime::now(), cause)
}

/// `cause`, said after the change that was still taking effect when verify
/// began, if one was.
fn propagation_cause(
    fresh: Option<super::recent::Fresh>,
    now: SystemTime,
    cause: String,
) -> String {
    let Some(fresh) = fresh else { return cause };
    let ago = secs_rounded(now.duration_since(fresh.at).unwrap_or_default());
    let left = fresh.remaining(now);
    if left.is_zero() {
        format!(
            "{cause}; {} {ago} ago, and that time has passed",
            fresh.change.words()
        )
    } else {
        format!(
            "{} only {ago} ago: the event may not be on its way yet; run sluice verify again in {} (without --wait it waits that long). If it still does not come: {cause}",
            fresh.change.words(),
            secs_rounded(left)
        )
    }
}

/// Why no event came, from the route and the bucket's configuration.
async fn route_cause(clients: &Clients, spec: &Spec, arns: &Arns, timeout: Duration) -> String {
    let generic = format!(
        "no event within {}: check the bucket notification (prefix/suffix) and the queue policy's aws:SourceArn",
        secs(timeout)
    );
    match spec.notification.delivery {
        Delivery::Direct => {}
        Delivery::Sns => {
            return format!(
                "no event within {}: check that the bucket's entry to the topic {} covers the test object's key, the queue's subscription to the topic, and the queue policy's aws:SourceArn (the topic)",
                secs(timeout),
                spec.notification.topic_arn.as_deref().unwrap_or_default()
            );
        }
        Delivery::Eventbridge => {
            return format!(
                "no event within {}: check the bucket's EventBridge delivery, the pattern and target of the rule {}, and the queue policy's aws:SourceArn ({})",
                secs(timeout),
                spec.notification.id,
                arns.rule
            );
        }
    }
    let config = read_notification(&clients.s3, &spec.bucket.name).await;
    let Ok(config) = config else { return generic };
    let id = &spec.notification.id;
    let entry = config
        .get("QueueConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| e.get("Id").and_then(Value::as_str) == Some(id.as_str()));
    let detail = match entry {
        None => format!(
            "the bucket {} has no notification entry {id}: apply the spec again",
            spec.bucket.name
        ),
        Some(entry) => {
            let target = entry
                .get("QueueArn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let events = crate::docs::entry_events(entry);
            let filter = entry_filter(entry);
            if target != arns.queue {
                format!(
                    "the notification entry {id} sends to {target}, not to {}",
                    arns.queue
                )
            } else if !events.iter().any(|e| e.starts_with("s3:ObjectCreated")) {
                format!(
                    "the notification entry {id} sends only {}: verify uploads an object, which needs s3:ObjectCreated events",
                    events.join(", ")
                )
            } else if filter.prefix != spec.bucket.prefix || filter.suffix != spec.bucket.suffix {
                format!(
                    "the notification entry {id} filters prefix {:?} and suffix {:?}, the spec says {:?} and {:?}",
                    filter.prefix, filter.suffix, spec.bucket.prefix, spec.bucket.suffix
                )
            } else {
                format!(
                    "the notification entry {id} is in place: check that the queue policy allows s3.amazonaws.com with aws:SourceArn {} (and, for a KMS-encrypted queue, that the key policy lets S3 use the key)",
                    arns.bucket
                )
            }
        }
    };
    format!("{generic}; {detail}")
}

/// A queue younger than this, holding no more than [`NEW_QUEUE_MESSAGES`],
/// holds S3's test events for its new notification.
const NEW_QUEUE_AGE: Duration = Duration::from_secs(15 * 60);
const NEW_QUEUE_MESSAGES: u64 = 2;

/// How long ago the queue at `url` was made (its CreatedTimestamp).
async fn queue_age(clients: &Clients, url: &str) -> Option<Duration> {
    let created: String = super::observe::queue_attribute(
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

/// How often a long wait for the event says how it goes.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// How long the event is awaited, and the change that makes it longer.
#[derive(Debug, Clone)]
struct EventWait {
    total: Duration,
    /// A change apply made that AWS may still be putting into effect.
    fresh: Option<super::recent::Fresh>,
}

impl EventWait {
    /// `options.timeout` as it is, or (with apply's records) at least the
    /// route's usual time and as long again as a recent change has left.
    fn of(spec: &Spec, account: &str, options: &VerifyOptions) -> EventWait {
        let now = SystemTime::now();
        let fresh = options
            .recent_dir
            .as_deref()
            .and_then(|dir| super::recent::fresh(dir, spec, account, now));
        let total = if options.wait_for_propagation {
            options.timeout.max(route_wait(spec.notification.delivery))
                + fresh.map_or(Duration::ZERO, |f| f.remaining(now))
        } else {
            options.timeout
        };
        EventWait { total, fresh }
    }

    /// Why the wait is as long as it is, for a progress line.
    fn why(&self) -> String {
        match self.fresh {
            Some(fresh) => format!(
                ": {} (apply made it {} ago)",
                fresh.change.words(),
                secs_rounded(
                    SystemTime::now()
                        .duration_since(fresh.at)
                        .unwrap_or_default()
                )
            ),
            None => String::new(),
        }
    }
}

/// How long an event usually takes through each route once it is settled.
fn route_wait(delivery: Delivery) -> Duration {
    match delivery {
        Delivery::Direct => Duration::from_secs(30),
        Delivery::Sns => Duration::from_secs(45),
        Delivery::Eventbridge => Duration::from_secs(60),
    }
}

/// Before the test object is uploaded: a queue that already holds messages
/// of others is not received from without consent (each receive counts
/// towards a message's maxReceiveCount, and a live message would reach the
/// dead-letter queue sooner). Verify waits, reading only the queue's
/// counts, until the queue is empty; `Err` says why it was not, when the
/// wait ends first.
async fn wait_for_quiet(
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

async fn delete_message(
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

async fn change_visibility(
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

/// `45 s`, `3 min 20 s`: a duration to the second.
fn secs_rounded(d: Duration) -> String {
    let total = d.as_secs();
    match (total / 60, total % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `30 s`, `2.5 s`, `14 ms`.
fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(120) {
        return secs_rounded(d);
    }
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

// ---- the role ----

/// What a wait for IAM says, as a waiting line of the check `name`.
fn waiting(reporter: &Reporter, name: CheckId) -> impl FnMut(String) + Send + '_ {
    move |reason| {
        reporter.send(Event::Waiting {
            step: StepId::Check(name),
            reason,
        })
    }
}

async fn role_checks(
    stack: &Stack<'_>,
    identity: Option<&Identity>,
    uploaded: bool,
    options: &VerifyOptions,
    run: &mut Run<'_>,
) {
    let Stack {
        clients,
        spec,
        arns,
        queue_url,
        object,
    } = *stack;
    let title = format!("assume role {}", spec.role.name);
    if !spec.role.enabled {
        run.not_available(
            CheckId::RoleAssume,
            title,
            "the spec has no role (role.enabled is false)",
        );
        return;
    }
    let Some(identity) = identity else {
        run.not_available(
            CheckId::RoleAssume,
            title,
            "the caller's identity is unknown",
        );
        return;
    };
    let started = run.start(CheckId::RoleAssume, title);
    let role = match observe_role(clients, &spec.role.name).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            run.finish(
                CheckId::RoleAssume,
                started,
                Err(format!("the role {} does not exist", spec.role.name)),
            );
            return;
        }
        Err(e) => {
            run.finish(CheckId::RoleAssume, started, Err(e.to_string()));
            return;
        }
    };
    if !trusts(&role.trust_policy, identity, arns.partition) {
        let why = if spec.vendor_trust_pending() {
            format!(
                "the role trusts nobody until {}'s values are given (step 2 of 2): its access cannot be tried yet",
                spec.profile().vendor
            )
        } else {
            format!(
                "the role's trust policy does not trust the caller {} (only the connector's principals): its access cannot be tried from here",
                identity.arn
            )
        };
        run.record(
            CheckId::RoleAssume,
            started.elapsed(),
            Outcome::NotAvailable(why),
        );
        return;
    }
    let mut wait = IamWait::new(options.iam_wait);
    let reporter = run.reporter;
    let assumed = match clients
        .assume_role(
            &role.arn,
            &spec.role.external_id,
            &mut wait,
            &mut waiting(reporter, CheckId::RoleAssume),
        )
        .await
    {
        Ok(assumed) => {
            run.finish(CheckId::RoleAssume, started, Ok(format!("as {}", role.arn)));
            assumed
        }
        Err(e) => {
            run.finish(CheckId::RoleAssume, started, Err(e.to_string()));
            return;
        }
    };

    // The role's first calls may be denied while its policy spreads.
    let mut first = wait.again();
    if spec.has_queue() {
        role_receive(
            clients,
            &assumed,
            spec,
            queue_url,
            options.probe_busy_queue,
            &mut first,
            run,
        )
        .await;
    }
    data_checks(&ROLE, &assumed, spec, object, uploaded, &mut first, run).await;
}

/// The user's access, with its own key: always when the key is given, and
/// said to be untried when the user is the connector's only identity.
async fn user_checks(
    stack: &Stack<'_>,
    options: &VerifyOptions,
    uploaded: bool,
    run: &mut Run<'_>,
) {
    let Stack {
        clients,
        spec,
        arns,
        object,
        ..
    } = *stack;
    if !spec.user.enabled {
        return;
    }
    let title = format!("the access key of user {}", spec.user.name);
    let Some(key) = &options.user_key else {
        if !spec.role.enabled {
            run.not_available(
                CheckId::UserKey,
                title,
                "the user's key was not given: its file, the CSV apply wrote (mode 0600), tries the user's access (sluice verify --key-file FILE; the wizard reads the one its apply wrote)",
            );
        }
        return;
    };
    let started = run.start(CheckId::UserKey, title);
    let as_user = clients.with_key(&key.access_key_id, key.secret_access_key.expose());
    // A key made moments ago is unknown (InvalidClientTokenId) for a while.
    let mut wait = IamWait::new(options.iam_wait);
    let reporter = run.reporter;
    let known = wait
        .call(
            &format!("the access key {}", key.access_key_id),
            &mut waiting(reporter, CheckId::UserKey),
            || as_user.identity(),
        )
        .await;
    match known {
        Ok(identity) if identity.arn == arns.user => {
            run.finish(
                CheckId::UserKey,
                started,
                Ok(format!("as {}", identity.arn)),
            );
        }
        Ok(identity) => {
            run.finish(
                CheckId::UserKey,
                started,
                Err(format!(
                    "the key is {}'s, not user {}'s",
                    identity.arn, spec.user.name
                )),
            );
            return;
        }
        Err(e) => {
            run.finish(CheckId::UserKey, started, Err(e.to_string()));
            return;
        }
    }
    data_checks(
        &USER,
        &as_user,
        spec,
        object,
        uploaded,
        &mut wait.again(),
        run,
    )
    .await;
}

/// Whose access the data checks try: the role's or the user's.
struct Who {
    label: &'static str,
    list: CheckId,
    get: CheckId,
    put: CheckId,
    delete: CheckId,
}

const ROLE: Who = Who {
    label: "role",
    list: CheckId::RoleListBucket,
    get: CheckId::RoleGetObject,
    put: CheckId::RolePutObject,
    delete: CheckId::RoleDeleteObject,
};

const USER: Who = Who {
    label: "user",
    list: CheckId::UserListBucket,
    get: CheckId::UserGetObject,
    put: CheckId::UserPutObject,
    delete: CheckId::UserDeleteObject,
};

/// What the connector's identity may do with the data: list the prefix
/// (a pipeline without a queue finds its objects so), read the test object,
/// and write, read back and delete one where it writes.
async fn data_checks(
    who: &Who,
    clients: &Clients,
    spec: &Spec,
    object: &TestObject,
    uploaded: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    if !spec.has_queue() {
        identity_list(who, clients, spec, wait, run).await;
    }
    identity_read(who, clients, spec, object, uploaded, wait, run).await;
    if spec.policy.allow_put_object {
        identity_write(who, clients, spec, object, wait, run).await;
    }
}

/// The role receives once, without waiting, from a queue that shows no
/// visible message: what it may get is only what arrived that instant, left
/// visible. With visible messages of others it receives only with consent.
async fn role_receive(
    clients: &Clients,
    assumed: &Clients,
    spec: &Spec,
    queue_url: &str,
    probe_busy_queue: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let title = format!("the role may receive from {}", spec.queue.name);
    if !probe_busy_queue
        && let Ok(depth) = queue_depth(clients, queue_url).await
        && depth.visible > 0
    {
        run.not_available(
            CheckId::RoleReceiveMessage,
            title,
            format!(
                "the queue shows {} of others: receiving one as the role would count towards its maxReceiveCount (--probe-busy-queue receives anyway); the role's sqs:ReceiveMessage is checked by policy simulation",
                crate::words::count(depth.visible, "visible message")
            ),
        );
        return;
    }
    let started = run.start(CheckId::RoleReceiveMessage, title);
    let reporter = run.reporter;
    let result = wait
        .call(
            "the role's first call",
            &mut waiting(reporter, CheckId::RoleReceiveMessage),
            || async {
                assumed
                    .sqs
                    .receive_message()
                    .queue_url(queue_url)
                    .max_number_of_messages(1)
                    .wait_time_seconds(0)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|e| classify("sqs:ReceiveMessage", &spec.queue.name, e))
            },
        )
        .await
        .map(|out| {
            format!(
                "allowed ({} seen, left visible)",
                crate::words::count(out.messages().len(), "message")
            )
        })
        .map_err(|e| e.to_string());
    run.finish(CheckId::RoleReceiveMessage, started, result);
}

/// A pull import lists the prefix before it reads.
async fn identity_list(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let where_ = format!("s3://{}/{}", spec.bucket.name, spec.bucket.prefix);
    let started = run.start(who.list, format!("the {} may list {where_}", who.label));
    let reporter = run.reporter;
    let result = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.list),
            || async {
                assumed
                    .s3
                    .list_objects_v2()
                    .bucket(&spec.bucket.name)
                    .prefix(&spec.bucket.prefix)
                    .max_keys(10)
                    .send()
                    .await
                    .map_err(|e| classify("s3:ListBucket", &where_, e))
            },
        )
        .await
        .map(|out| {
            format!(
                "allowed ({} listed)",
                crate::words::count(out.contents().len(), "object")
            )
        })
        .map_err(|e| e.to_string());
    run.finish(who.list, started, result);
}

/// A destination writes, reads back and deletes an object of its own.
async fn identity_write(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    object: &TestObject,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let key = format!("{}.written", object.key);
    let place = format!("s3://{}/{key}", spec.bucket.name);
    let started = run.start(who.put, format!("the {} may write {place}", who.label));
    let reporter = run.reporter;
    let put = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.put),
            || async {
                assumed
                    .s3
                    .put_object()
                    .bucket(&spec.bucket.name)
                    .key(&key)
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(
                        TEST_BODY.as_bytes(),
                    ))
                    .send()
                    .await
                    .map_err(|e| classify("s3:PutObject", &place, e))
            },
        )
        .await;
    let written = put.is_ok();
    run.finish(
        who.put,
        started,
        put.map(|_| format!("{} bytes written", TEST_BODY.len()))
            .map_err(|e| e.to_string()),
    );
    let title = format!("the {} may delete {place}", who.label);
    if !written {
        run.not_available(
            who.delete,
            title,
            format!("the {} wrote nothing", who.label),
        );
        return;
    }
    let started = run.start(who.delete, title);
    let mut result = assumed
        .s3
        .delete_object()
        .bucket(&spec.bucket.name)
        .key(&key)
        .send()
        .await
        .map(|_| "deleted".to_owned())
        .map_err(|e| classify("s3:DeleteObject", &place, e).to_string());
    if result.is_ok() && spec.bucket.versioning {
        result =
            Ok("deleted (a versioned bucket keeps the write as a noncurrent version)".to_owned());
    }
    run.finish(who.delete, started, result);
}

async fn identity_read(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    object: &TestObject,
    uploaded: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let title = format!(
        "the {} may read s3://{}/{}",
        who.label, spec.bucket.name, object.key
    );
    if !uploaded {
        run.not_available(who.get, title, "the test object was not uploaded");
        return;
    }
    let started = run.start(who.get, title);
    let reporter = run.reporter;
    let got = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.get),
            || async {
                assumed
                    .s3
                    .get_object()
                    .bucket(&spec.bucket.name)
                    .key(&object.key)
                    .send()
                    .await
                    .map_err(|e| {
                        classify(
                            "s3:GetObject",
                            format!("s3://{}/{}", spec.bucket.name, object.key),
                            e,
                        )
                    })
            },
        )
        .await;
    let result = match got {
        Ok(out) => match out.body.collect().await.map(|b| b.into_bytes()) {
            Ok(bytes) if bytes == TEST_BODY.as_bytes() => Ok(format!("{} bytes read", bytes.len())),
            Ok(_) => Err("the object read back differs from the one uploaded".to_owned()),
            Err(e) => Err(format!("reading the object's body failed: {e}")),
        },
        Err(e) => Err(e.to_string()),
    };
    run.finish(who.get, started, result);
}

/// Whether the trust policy lets `caller` assume the role: a statement allows
/// sts:AssumeRole to the caller's account (root or id), the caller's ARN, or
/// (for an assumed-role session) the caller's role.
fn trusts(trust: &Value, caller: &Identity, partition: &str) -> bool {
    let mut candidates = vec![
        format!("arn:{partition}:iam::{}:root", caller.account),
        caller.account.clone(),
        caller.arn.clone(),
    ];
    let session_role = caller
        .arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split('/').next())
        .map(str::to_owned);
    let statements: Vec<&Value> = match trust.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    if let Some(role) = &session_role {
        candidates.push(format!(
            "arn:{partition}:iam::{}:role/{role}",
            caller.account
        ));
    }
    let role_prefix = format!("arn:{partition}:iam::{}:role/", caller.account);
    let matches = |principal: &str| {
        principal == "*"
            || candidates.iter().any(|c| c == principal)
            || session_role.as_ref().is_some_and(|role| {
                principal.starts_with(&role_prefix) && principal.ends_with(&format!("/{role}"))
            })
    };
    statements.into_iter().any(|s| {
        let allows = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let assume = strings(s.get("Action"))
            .iter()
            .any(|a| matches!(*a, "sts:AssumeRole" | "sts:*" | "*"));
        let principal = match s.get("Principal") {
            Some(Value::String(p)) => matches(p),
            Some(p) => strings(p.get("AWS")).iter().any(|p| matches(p)),
            None => false,
        };
        allows && assume && principal
    })
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

// ---- policy simulation ----

async fn simulation_checks(stack: &Stack<'_>, run: &mut Run<'_>) {
    let Stack {
        clients,
        spec,
        arns,
        object,
        ..
    } = *stack;
    let mut principals = Vec::new();
    if spec.role.enabled {
        principals.push((
            CheckId::SimulateRole,
            format!("role {}", spec.role.name),
            arns.role.clone(),
        ));
    }
    if spec.user.enabled {
        principals.push((
            CheckId::SimulateUser,
            format!("user {}", spec.user.name),
            arns.user.clone(),
        ));
    }
    let mut unavailable = false;
    for (name, who, arn) in principals {
        let title = format!("IAM policy simulation for the {who}");
        if unavailable {
            run.not_available(name, title, SIMULATION_NOT_AVAILABLE);
            continue;
        }
        let started = run.start(name, title);
        let mut denied = Vec::new();
        let mut failure = None;
        let object_arn = object.arn(arns, &spec.bucket.name);
        let mut requests: Vec<(&[&str], &str)> = vec![
            (OBJECT_ACTIONS, &object_arn),
            (BUCKET_ACTIONS, &arns.bucket),
        ];
        if spec.policy.allow_put_object {
            requests.push((WRITE_ACTIONS, &object_arn));
        }
        if spec.has_queue() {
            requests.push((spec.profile().queue_actions, &arns.queue));
        }
        for (actions, resource) in requests {
            match simulate(clients, &arn, actions, resource, &spec.bucket.prefix).await {
                Ok(results) => denied.extend(results),
                Err(Simulation::NotAvailable) => {
                    unavailable = true;
                    break;
                }
                Err(Simulation::Failed(e)) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        if unavailable {
            run.record(
                name,
                started.elapsed(),
                Outcome::NotAvailable(SIMULATION_NOT_AVAILABLE.to_owned()),
            );
        } else if let Some(cause) = failure {
            run.finish(name, started, Err(cause));
        } else if denied.is_empty() {
            run.finish(
                name,
                started,
                Ok("every consumer action is allowed".to_owned()),
            );
        } else {
            run.finish(
                name,
                started,
                Err(format!("the {who} is denied: {}", denied.join("; "))),
            );
        }
    }
}

enum Simulation {
    /// The endpoint does not implement the API.
    NotAvailable,
    Failed(AwsError),
}

/// Simulates `actions` on `resource` for `principal`; returns the denials as
/// `action on resource: decision`.
async fn simulate(
    clients: &Clients,
    principal: &str,
    actions: &[&str],
    resource: &str,
    prefix: &str,
) -> Result<Vec<String>, Simulation> {
    let mut request = clients
        .iam
        .simulate_principal_policy()
        .policy_source_arn(principal)
        .resource_arns(resource)
        .set_action_names(Some(actions.iter().map(|a| (*a).to_owned()).collect()));
    if actions.contains(&"s3:ListBucket") && !prefix.is_empty() {
        // The least-privilege policy lists the bucket only under the prefix.
        request = request.context_entries(
            ContextEntry::builder()
                .context_key_name("s3:prefix")
                .context_key_values(prefix)
                .context_key_type(ContextKeyTypeEnum::String)
                .build(),
        );
    }
    let out = request
        .customize()
        .config_override(
            aws_sdk_iam::config::Builder::default()
                .retry_config(RetryConfig::standard().with_max_attempts(2)),
        )
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let code = e.code().map(str::to_owned);
            let message = e.message().unwrap_or_default().to_ascii_lowercase();
            // moto answers an unimplemented action with a bare HTML 500 page.
            let not_implemented = (matches!(status, Some(404 | 500 | 501)) && code.is_none())
                || code
                    .as_deref()
                    .is_some_and(|c| c.contains("NotImplemented"))
                || message.contains("not yet implemented")
                || message.contains("not been implemented");
            if not_implemented {
                return Err(Simulation::NotAvailable);
            }
            return Err(Simulation::Failed(classify(
                "iam:SimulatePrincipalPolicy",
                principal,
                e,
            )));
        }
    };
    Ok(out
        .evaluation_results()
        .iter()
        .filter(|r| *r.eval_decision() != PolicyEvaluationDecisionType::Allowed)
        .map(|r| {
            format!(
                "{} on {}: {}",
                r.eval_action_name(),
                r.eval_resource_name().unwrap_or(resource),
                r.eval_decision().as_str()
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_decode_plus_first_then_percent() {
        assert_eq!(
            decode_key("events%2Fsluice-verify%2Fprobe+a%2Bb+%C3%A9-1.json").unwrap(),
            "events/sluice-verify/probe a+b é-1.json"
        );
        assert_eq!(decode_key("a/b+c").unwrap(), "a/b c");
        assert!(decode_key("%FF").is_err());
    }

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

    #[test]
    fn trust_is_the_callers_account_or_arn() {
        let caller = Identity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/Admin/me".into(),
        };
        let trust = |principal: Value| json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]});
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:root")),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!(["arn:aws:iam::1:root", "123456789012"])),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:role/Admin")),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:role/ops/Admin")),
            &caller,
            "aws"
        ));
        assert!(!trusts(
            &trust(json!("arn:aws:iam::111122223333:root")),
            &caller,
            "aws"
        ));
        assert!(!trusts(
            &trust(json!("arn:aws:iam::123456789012:role/Other")),
            &caller,
            "aws"
        ));
        let deny = json!({"Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}});
        assert!(!trusts(&deny, &caller, "aws"));
    }

    #[test]
    fn test_keys_have_a_space_a_plus_and_non_ascii_and_keep_the_filter() {
        let mut spec = crate::spec::starter("acme-ingest", "us-west-2", Some("123456789012"));
        spec.bucket.prefix = "events/".into();
        spec.bucket.suffix = ".json".into();
        let object = TestObject::new(&spec);
        assert!(
            object.key.starts_with("events/sluice-verify/"),
            "{}",
            object.key
        );
        assert!(object.key.ends_with(".json"));
        assert!(object.key.contains(' ') && object.key.contains('+') && !object.key.is_ascii());
        assert!(
            object
                .marker
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
        assert!(object.key.contains(&object.marker));
    }

    #[test]
    fn a_missing_event_is_put_down_to_a_fresh_change() {
        use super::super::recent::{Change, Fresh};
        let now = SystemTime::now();
        let fresh = Fresh {
            change: Change::Eventbridge,
            at: now - Duration::from_secs(40),
        };
        let said = propagation_cause(Some(fresh), now, "no event within 1 min".into());
        assert!(
            said.starts_with("the bucket's EventBridge delivery was turned on, and S3 says that \"takes around five minutes\" to take effect only 40 s ago"),
            "{said}"
        );
        assert!(
            said.contains("run sluice verify again in 4 min 20 s"),
            "{said}"
        );
        assert!(
            said.ends_with("If it still does not come: no event within 1 min"),
            "{said}"
        );
        let later = now + Duration::from_secs(10 * 60);
        let said = propagation_cause(Some(fresh), later, "no event".into());
        assert!(
            said.contains("10 min 40 s ago, and that time has passed"),
            "{said}"
        );
        assert_eq!(propagation_cause(None, now, "no event".into()), "no event");
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(secs(Duration::from_secs(30)), "30 s");
        assert_eq!(secs(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(secs(Duration::from_millis(14)), "14 ms");
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
