//! Tests of the wizard without a terminal: keys fed to `update` with the
//! state checked, and insta snapshots of every screen (valid, invalid and
//! diff states) at 100×30 and 80×24 on ratatui's `TestBackend`.
//!
//! Online states use clients that are never called (no network) and feed
//! lookup results to `update` as the runtime would.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::style::{Color, Modifier};
use serde_json::json;

use super::action::{Action, ConsumeEnd, Effect, Found, Run, SaveKind, Target};
use super::app::{App, Config, Connection, Overlay, RowState, Setup, StatusKind, Step};
use super::form::FieldId;
use super::runtime::{draw, screen_text};
use super::session::SessionInfo;
use super::theme::Theme;
use super::ui;
use super::update::update;
use crate::aws::apply::ApplyError;
use crate::aws::observe::{BucketState, PolicyState, QueueState};
use crate::aws::progress::{CheckId, Outcome as StepOutcome, StepId};
use crate::aws::verify::{Check, Outcome, VerifyReport};
use crate::aws::{Clients, Event, Identity};
use crate::consume::preview::{DataReport, ObjectSummary, Sample};
use crate::docs::ResourceKind;
use crate::spec::Spec;

// ---- fixtures ----

const ACCOUNT: &str = "123456789012";

fn spec() -> Spec {
    let mut spec = crate::spec::starter("acme-ingest", "us-west-2", None);
    spec.role.external_id = "EXTERNAL-ID-FOR-TESTS".to_owned();
    spec
}

fn setup_with(config: Config, spec: Option<Spec>) -> Setup {
    Setup {
        config,
        spec,
        profiles: vec![
            super::profiles::Profile {
                name: "default".into(),
                region: Some("us-west-2".into()),
            },
            super::profiles::Profile {
                name: "prod".into(),
                region: Some("eu-central-1".into()),
            },
        ],
        theme: Theme { color: true },
        notes: Vec::new(),
    }
}

fn sized(mut app: App, width: u16, height: u16) -> App {
    app.size = (width, height);
    app.stale = true;
    app.refresh();
    app
}

/// An offline app on the acme spec.
fn offline(width: u16, height: u16) -> App {
    sized(
        App::new(setup_with(
            Config::offline("no usable AWS credentials (tried the environment and ~/.aws)"),
            Some(spec()),
        )),
        width,
        height,
    )
}

/// Clients that are built but never used (no network in these tests).
fn idle_clients() -> Clients {
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    Clients::from_config(config, None)
}

fn identity() -> Identity {
    Identity {
        account: ACCOUNT.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    }
}

/// An online app whose lookups have all answered "does not exist".
fn online(width: u16, height: u16) -> App {
    let mut app = offline(width, height);
    connect(&mut app);
    answer_all(&mut app, |_| None);
    app
}

fn connect(app: &mut App) {
    let generation = app.connect_gen;
    update(
        app,
        Action::Connected {
            generation,
            result: Ok(Box::new((idle_clients(), identity()))),
        },
    );
}

/// Answers every pending lookup: `found(target)` or "does not exist".
fn answer_all(app: &mut App, found: impl Fn(Target) -> Option<Found>) {
    for target in Target::ALL {
        let Some(slot) = app.slots.get(&target) else {
            continue;
        };
        if !slot.pending() {
            continue;
        }
        let generation = slot.generation;
        let result = found(target).unwrap_or(match target {
            Target::Policy => Found::Policy(Ok(None)),
            Target::Role => Found::Role(Ok(None)),
            Target::User => Found::User(Ok(None)),
            Target::Bucket => Found::Bucket(Ok(None)),
            Target::Dlq | Target::Queue => Found::Queue(Ok(None)),
        });
        update(
            app,
            Action::Looked {
                target,
                generation,
                result: Box::new(result),
            },
        );
    }
}

fn bucket_state(notification: serde_json::Value) -> BucketState {
    BucketState {
        region: "us-west-2".into(),
        public_access_block: Some(json!({
            "BlockPublicAcls": true, "IgnorePublicAcls": true,
            "BlockPublicPolicy": false, "RestrictPublicBuckets": true
        })),
        ownership_controls: None,
        encryption: None,
        versioning: None,
        policy: None,
        notification,
        tags: BTreeMap::new(),
    }
}

fn queue_state(name: &str, visibility: &str) -> QueueState {
    QueueState {
        url: format!("https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/{name}"),
        arn: format!("arn:aws:sqs:us-west-2:{ACCOUNT}:{name}"),
        attributes: BTreeMap::from([
            ("VisibilityTimeout".to_owned(), visibility.to_owned()),
            ("MessageRetentionPeriod".to_owned(), "604800".to_owned()),
            ("SqsManagedSseEnabled".to_owned(), "true".to_owned()),
        ]),
        tags: BTreeMap::new(),
    }
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ctrl(app: &mut App, c: char) {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Focuses `field` (by Tab) and replaces its text.
fn set_text(app: &mut App, field: FieldId, text: &str) {
    focus(app, field);
    key(app, KeyCode::Home);
    ctrl(app, 'k');
    type_text(app, text);
}

fn focus(app: &mut App, field: FieldId) {
    for _ in 0..20 {
        if app.focus == Some(field) {
            return;
        }
        key(app, KeyCode::Tab);
    }
    panic!("cannot focus {field:?} on {:?}", app.step);
}

fn go_to(app: &mut App, step: Step) {
    app.step = step;
    app.furthest = app.furthest.max(step);
    app.focus = app.first_focus(step);
    app.stale = true;
    app.refresh();
}

/// Advances the app's clock and ticks.
fn tick_after(app: &mut App, wait: Duration) {
    app.now += wait;
    update(app, Action::Tick);
}

fn text(app: &App) -> String {
    screen_text(&draw(app))
}

/// A text snapshot at the app's size, with volatile values masked.
macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let app: &App = &$app;
        let name = format!("{}_{}x{}", $name, app.size.0, app.size.1);
        insta::with_settings!({
            filters => vec![
                (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", "[TIME]"),
                (r"/tmp/[^ │]*", "[TMP]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, text(app));
        });
    }};
}

/// The same screen at both sizes.
fn both(build: impl Fn(u16, u16) -> App, name: &str) {
    for (w, h) in [(100, 30), (80, 24)] {
        snap!(name, build(w, h));
    }
}

// ---- snapshots: every screen ----

#[test]
fn snapshot_welcome() {
    both(offline, "welcome_offline");
    both(
        |w, h| {
            let mut app = online(w, h);
            app.config.aws.endpoint_url = Some("http://127.0.0.1:5000".into());
            update(
                &mut app,
                Action::SessionsListed(Ok(vec![SessionInfo {
                    path: PathBuf::from("/tmp/sessions/acme-ingest.json"),
                    name: "acme-ingest".into(),
                    modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
                }])),
            );
            app
        },
        "welcome_online_with_sessions",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            set_text(&mut app, FieldId::StackName, "Acme_Ingest");
            app
        },
        "welcome_invalid",
    );
}

#[test]
fn snapshot_policy() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            app
        },
        "policy_new",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            set_text(&mut app, FieldId::PolicyName, "bad name!");
            app
        },
        "policy_invalid",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Policy);
            // The policy exists with an older document: a diff.
            let mut old = crate::docs::permissions_policy(&app.derived.resolved);
            old["Statement"][1]["Resource"] = json!("arn:aws:s3:::acme-ingest-source/old/*");
            let generation = app.slots[&Target::Policy].generation;
            update(
                &mut app,
                Action::Looked {
                    target: Target::Policy,
                    generation,
                    result: Box::new(Found::Policy(Ok(Some(PolicyState {
                        arn: format!("arn:aws:iam::{ACCOUNT}:policy/acme-ingest-policy"),
                        default_version: "v1".into(),
                        document: old,
                        versions: vec![("v1".into(), true)],
                    })))),
                },
            );
            app
        },
        "policy_diff",
    );
}

#[test]
fn snapshot_role() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Role);
            focus(&mut app, FieldId::TrustedPrincipals);
            type_text(&mut app, "210987654321");
            key(&mut app, KeyCode::Enter);
            app.spec
                .role
                .trusted_principals
                .push("arn:aws:s3:::nope".into());
            app.stale = true;
            app.refresh();
            app
        },
        "role_principals_invalid",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Role);
            key(&mut app, KeyCode::Char(' '));
            app
        },
        "role_disabled",
    );
}

#[test]
fn snapshot_user() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::User);
            key(&mut app, KeyCode::Char(' '));
            focus(&mut app, FieldId::CreateAccessKey);
            key(&mut app, KeyCode::Char(' '));
            app
        },
        "user_with_access_key",
    );
}

#[test]
fn snapshot_bucket() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Bucket);
            set_text(&mut app, FieldId::BucketName, "Bad..Bucket");
            set_text(&mut app, FieldId::Prefix, "/logs/");
            app
        },
        "bucket_invalid",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            answer_all(&mut app, |t| {
                (t == Target::Bucket).then(|| Found::Bucket(Ok(Some(bucket_state(json!({}))))))
            });
            app
        },
        "bucket_exists_diff",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            key(&mut app, KeyCode::Right);
            answer_all(&mut app, |_| None);
            app
        },
        "bucket_adopt_missing",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            answer_all(&mut app, |t| {
                (t == Target::Bucket).then(|| {
                    Found::Bucket(Err(crate::aws::AwsError {
                        action: "s3:ListBucket",
                        resource: "acme-ingest-source".into(),
                        kind: crate::aws::ErrorKind::AccessDenied,
                        code: Some("AccessDenied".into()),
                        message: "the bucket exists but is not readable by this account".into(),
                    }))
                })
            });
            app
        },
        "bucket_other_owner",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Bucket);
            app.spec.bucket.name = "acme-ingest-source".into();
            set_text(&mut app, FieldId::BucketName, "acme-ingest-sourc");
            app
        },
        "bucket_checking_offline",
    );
}

#[test]
fn snapshot_queue() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Queue);
            answer_all(&mut app, |t| match t {
                Target::Queue => Some(Found::Queue(Ok(Some(queue_state(
                    "acme-ingest-queue",
                    "30",
                ))))),
                _ => None,
            });
            app
        },
        "queue_update_diff",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Queue);
            set_text(&mut app, FieldId::VisibilityTimeout, "10 minutes");
            set_text(&mut app, FieldId::QueueName, "events.fifo");
            app
        },
        "queue_invalid",
    );
}

fn foreign_notification() -> serde_json::Value {
    json!({
        "TopicConfigurations": [{
            "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
            "Events": ["s3:ObjectRemoved:*"]
        }],
        "QueueConfigurations": [{
            "Id": "etl", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:etl",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "etl/"}]}}
        }]
    })
}

#[test]
fn snapshot_notification() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Notification);
            app
        },
        "notification_offline",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.spec.bucket.prefix = "data/".into();
            connect(&mut app);
            go_to(&mut app, Step::Notification);
            answer_all(&mut app, |t| {
                (t == Target::Bucket)
                    .then(|| Found::Bucket(Ok(Some(bucket_state(foreign_notification())))))
            });
            app
        },
        "notification_merged_foreign",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Notification);
            answer_all(&mut app, |t| {
                (t == Target::Bucket)
                    .then(|| Found::Bucket(Ok(Some(bucket_state(foreign_notification())))))
            });
            key(&mut app, KeyCode::Enter);
            app
        },
        "notification_conflict",
    );
}

#[test]
fn snapshot_review() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Review);
            app
        },
        "review_offline",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.spec.policy.scope = crate::spec::PolicyScope::Wildcard;
            connect(&mut app);
            go_to(&mut app, Step::Review);
            answer_all(&mut app, |t| match t {
                Target::Queue => Some(Found::Queue(Ok(Some(queue_state(
                    "acme-ingest-queue",
                    "30",
                ))))),
                Target::Bucket => Some(Found::Bucket(Ok(Some(bucket_state(json!({})))))),
                _ => None,
            });
            app
        },
        "review_live_with_lints",
    );
}

fn applying(w: u16, h: u16) -> App {
    let mut app = online(w, h);
    go_to(&mut app, Step::Review);
    answer_all(&mut app, |_| None);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmApply)));
    key(&mut app, KeyCode::Char('y'));
    let id = app.apply.run.id;
    let t0 = app.now;
    for event in [
        Event::Started {
            step: StepId::Apply(ResourceKind::Policy),
            title: "policy acme-ingest-policy".into(),
        },
        Event::Finished {
            step: StepId::Apply(ResourceKind::Policy),
            outcome: StepOutcome::Created,
            detail: "created".into(),
            elapsed: Duration::from_millis(412),
        },
        Event::Started {
            step: StepId::Apply(ResourceKind::Role),
            title: "role acme-ingest-role".into(),
        },
        Event::Retrying {
            step: StepId::Apply(ResourceKind::Role),
            attempt: 1,
            wait: Duration::from_secs(2),
            reason: "waiting for IAM to see the new policy: NoSuchEntity".into(),
        },
    ] {
        update(
            &mut app,
            Action::Progress {
                run: Run::Apply,
                id,
                event,
            },
        );
    }
    app.now = t0 + Duration::from_millis(700);
    app
}

#[test]
fn snapshot_apply() {
    both(applying, "apply_running");
    both(
        |w, h| {
            let mut app = applying(w, h);
            let id = app.apply.run.id;
            update(
                &mut app,
                Action::Progress {
                    run: Run::Apply,
                    id,
                    event: Event::BackupWritten {
                        path: PathBuf::from(
                            "/tmp/backups/acme-ingest/20250101T000000Z/bucket-policy.json",
                        ),
                    },
                },
            );
            update(&mut app, Action::Progress {
                run: Run::Apply,
                id,
                event: Event::Failed {
                    step: StepId::Apply(ResourceKind::Role),
                    error: "access denied to iam:AttachRolePolicy on acme-ingest-role: the caller needs permission for iam:AttachRolePolicy".into(),
                    elapsed: Duration::from_secs(3),
                },
            });
            update(&mut app, Action::Applied {
                id,
                result: Err(ApplyError {
                    step: StepId::Apply(ResourceKind::Role),
                    error: "access denied to iam:AttachRolePolicy on acme-ingest-role: the caller needs permission for iam:AttachRolePolicy".into(),
                    completed: vec![StepId::Apply(ResourceKind::Policy)],
                    backup_dir: Some(PathBuf::from("/tmp/backups/acme-ingest/20250101T000000Z")),
                }),
            });
            app
        },
        "apply_failed",
    );
}

#[test]
fn snapshot_verify_and_data() {
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Verify);
            let id = app.verify.run.id;
            let report = VerifyReport {
                checks: vec![
                    Check {
                        name: CheckId::CallerIdentity,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(31),
                    },
                    Check {
                        name: CheckId::QueueUrl,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(12),
                    },
                    Check {
                        name: CheckId::Upload,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(44),
                    },
                    Check {
                        name: CheckId::Event,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(1530),
                    },
                    Check {
                        name: CheckId::RoleAssume,
                        outcome: Outcome::Fail(
                            "AccessDenied: not authorized to perform sts:AssumeRole".into(),
                        ),
                        latency: Duration::from_millis(20),
                    },
                    Check {
                        name: CheckId::SimulateRole,
                        outcome: Outcome::NotAvailable(
                            "IAM policy simulation is not available at this endpoint".into(),
                        ),
                        latency: Duration::from_millis(3),
                    },
                ],
                object_key: Some("sluice-verify/probe".into()),
            };
            update(&mut app, Action::Verified { id, report });
            app
        },
        "verify_done",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Data);
            app.data.running = true;
            let id = app.data.id;
            let objects = vec![
                ObjectSummary {
                    key: "logs/2025/01/02/b.json.gz".into(),
                    size: 20_480,
                    last_modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_735_800_000)),
                },
                ObjectSummary {
                    key: "logs/2025/01/01/a.json.gz".into(),
                    size: 512,
                    last_modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_735_700_000)),
                },
            ];
            update(
                &mut app,
                Action::DataFetched {
                    id,
                    result: Ok(Box::new(DataReport {
                        bucket: "acme-ingest-source".into(),
                        prefix: "logs/".into(),
                        suffix: ".json.gz".into(),
                        newest: objects,
                        matching: 2,
                        complete: true,
                        predating: 2,
                        cutoff: None,
                        sample: Some(Ok(Sample {
                            key: "logs/2025/01/02/b.json.gz".into(),
                            bytes: 20_480,
                            partial: false,
                            compression: "gzip".into(),
                            format: "ndjson".into(),
                            records: vec![
                                r#"{"user":"ana","n":1}"#.into(),
                                r#"{"user":"bo","n":2}"#.into(),
                            ],
                            decoded: 2,
                            errors: vec!["record 3 (byte 44): invalid JSON: expected value".into()],
                        })),
                    })),
                },
            );
            app
        },
        "data_sample",
    );
}

#[test]
fn snapshot_done() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Done);
            app
        },
        "done_offline",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Done);
            app.done.access_key = Some(super::app::AccessKey {
                user: "acme-ingest-user".into(),
                access_key_id: "AKIAEXAMPLE".into(),
                secret: Some("SECRET/EXAMPLE".into()),
                path: PathBuf::from("./acme-ingest-user_accessKeys.csv"),
            });
            app.done.exported = Some(Ok((
                PathBuf::from("./acme-ingest-bundle"),
                vec![PathBuf::from("spec.json"); 16],
            )));
            app
        },
        "done_online_access_key_exported",
    );
}

/// Online, the stack applied: the queue exists.
fn online_applied(width: u16, height: u16) -> App {
    let mut app = offline(width, height);
    connect(&mut app);
    answer_all(&mut app, |target| {
        (target == Target::Queue)
            .then(|| Found::Queue(Ok(Some(queue_state("acme-ingest-queue", "600")))))
    });
    app
}

/// A consumer run as the runtime prepares it (nothing is called).
fn consume_run() -> crate::tui::dashboard::ConsumeRun {
    let prepared = crate::consume::prepare::Prepared {
        clients: idle_clients(),
        options: crate::consume::runner::ConsumeOptions {
            queue_url: format!("https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/acme-ingest-queue"),
            dlq_url: None,
            concurrency: 8,
            receivers: 2,
            wait_secs: 20,
            visibility_timeout: Duration::from_secs(600),
            on_decode_error: crate::consume::runner::ErrorPolicy::Skip,
            quarantine: None,
            add_source: false,
            prefix: String::new(),
            suffix: String::new(),
            decode: Default::default(),
            stop_when_idle: None,
            grace: Duration::from_secs(30),
            queue_poll_interval: Duration::from_secs(5),
        },
        sink: std::sync::Arc::new(crate::consume::sink::NullSink),
        sink_name: "null".into(),
        assumed_role: None,
    };
    crate::tui::dashboard::ConsumeRun::new(&spec(), &identity(), prepared)
}

/// How a run that wrote 3 records from 2 objects ended.
fn consume_end(abandoned: bool) -> ConsumeEnd {
    let mut snapshot = crate::consume::metrics::Metrics::new().snapshot();
    snapshot.counters.records = 3;
    snapshot.counters.objects_ok = 2;
    snapshot.counters.messages_received = 3;
    snapshot.counters.messages_deleted = if abandoned { 1 } else { 3 };
    snapshot.counters.messages_returned = if abandoned { 2 } else { 0 };
    ConsumeEnd {
        snapshot: Box::new(snapshot),
        fail_policy_errors: 0,
        abandoned,
    }
}

#[test]
fn snapshot_done_consume() {
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            app
        },
        "done_consume_available",
    );
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            key(&mut app, KeyCode::Char('d'));
            app
        },
        "done_consume_prompt",
    );
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            key(&mut app, KeyCode::Char('d'));
            key(&mut app, KeyCode::Enter);
            let id = app.done.consume.id;
            update(
                &mut app,
                Action::ConsumePrepared {
                    id,
                    result: Ok(Box::new(consume_run())),
                },
            );
            update(
                &mut app,
                Action::ConsumeEnded {
                    id,
                    end: consume_end(false),
                },
            );
            app
        },
        "done_consume_ended",
    );
}

#[test]
fn d_on_done_asks_for_a_sink_then_prepares_the_consumer() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    assert!(text(&app).contains("d consume"), "{}", text(&app));
    app.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    let Some(Overlay::Prompt { kind, input, .. }) = &app.overlay else {
        panic!("no prompt: {:?}", app.overlay);
    };
    assert_eq!(*kind, super::app::PromptKind::ConsumeSink);
    assert_eq!(input.lines().join(""), "dir:ingest/acme-ingest");
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert!(app.done.consume.preparing);
    let Some(Effect::PrepareConsume {
        id,
        spec,
        identity: who,
        settings,
        ..
    }) = app.effects.last()
    else {
        panic!("no prepare effect: {:?}", app.effects);
    };
    assert_eq!(*id, app.done.consume.id);
    assert_eq!(settings.sink.to_string(), "dir:ingest/acme-ingest");
    assert_eq!(settings.concurrency, None, "the spec's concurrency");
    assert!(!settings.assume_role);
    assert_eq!(spec.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(who, &identity());
    assert!(text(&app).contains("preparing the consumer"));
    // Pressed again meanwhile: nothing more starts.
    app.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none() && app.effects.is_empty());

    // Ready: the runtime is asked to hand the terminal over.
    let id = app.done.consume.id;
    update(
        &mut app,
        Action::ConsumePrepared {
            id,
            result: Ok(Box::new(consume_run())),
        },
    );
    assert!(!app.done.consume.preparing);
    let Some(Effect::Dashboard { id: shown, run }) = app.effects.last() else {
        panic!("no dashboard effect: {:?}", app.effects);
    };
    assert_eq!(*shown, id);
    assert_eq!(run.info.queue, "acme-ingest-queue");
    assert_eq!(run.info.sink.as_deref(), Some("null"));

    // Back from the dashboard: the Done screen says what the run did.
    update(
        &mut app,
        Action::ConsumeEnded {
            id,
            end: consume_end(false),
        },
    );
    assert_eq!(app.step, Step::Done);
    let status = app.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Ok);
    assert!(
        status
            .text
            .contains("3 records written, 3 messages deleted"),
        "{status:?}"
    );
    assert!(
        text(&app).contains("last run: 3 records into dir:ingest/acme-ingest"),
        "{}",
        text(&app)
    );
    // The prompt offers the sink used last.
    key(&mut app, KeyCode::Char('d'));
    let Some(Overlay::Prompt { input, .. }) = &app.overlay else {
        panic!("no prompt");
    };
    assert_eq!(input.lines().join(""), "dir:ingest/acme-ingest");
}

#[test]
fn the_consume_prompt_refuses_stdout_and_bad_sinks() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    ctrl(&mut app, 'u');
    for _ in 0..40 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "stdout");
    app.effects.clear();
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Prompt { error, .. }) = &app.overlay else {
        panic!("the prompt closed");
    };
    assert!(
        error.as_deref().unwrap().contains("stdout is the screen"),
        "{error:?}"
    );
    assert!(app.effects.is_empty());
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "s3://x");
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Prompt { error, .. }) = &app.overlay else {
        panic!("the prompt closed");
    };
    assert!(
        error.as_deref().unwrap().contains("is not a sink"),
        "{error:?}"
    );
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "null");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.effects.last(),
        Some(Effect::PrepareConsume { settings, .. }) if settings.sink == crate::consume::sink::SinkSpec::Null
    ));
    // Esc on the prompt starts nothing.
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    app.effects.clear();
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none() && app.effects.is_empty());
    assert_eq!(app.step, Step::Done);
}

#[test]
fn d_is_disabled_offline_and_before_the_queue_exists() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Done);
    app.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none());
    assert!(app.effects.is_empty());
    let status = app.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status
            .text
            .starts_with("cannot consume from here: offline: "),
        "{status:?}"
    );
    let screen = text(&app);
    assert!(!screen.contains("d consume"), "{screen}");
    assert!(screen.contains("is unavailable: offline"), "{screen}");

    // Online, nothing applied: the queue is not there yet.
    let mut app = online(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none());
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("queue acme-ingest-queue does not exist yet: apply first"),
        "{:?}",
        app.status
    );
}

#[test]
fn a_signal_quits_without_asking_and_saves_the_session() {
    let mut config = Config::offline("test");
    config.sessions_dir = Some(PathBuf::from("/tmp/sluice-sessions"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    go_to(&mut app, Step::Policy);
    set_text(&mut app, FieldId::PolicyName, "changed");
    assert!(app.dirty());
    app.effects.clear();
    update(&mut app, Action::Terminate);
    assert!(app.quit, "no question asked");
    assert!(matches!(
        app.effects.last(),
        Some(Effect::Save {
            kind: SaveKind::Autosave,
            ..
        })
    ));
}

#[test]
fn a_consumer_that_cannot_start_says_why() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Enter);
    let id = app.done.consume.id;
    app.effects.clear();
    // A stale answer is ignored.
    update(
        &mut app,
        Action::ConsumePrepared {
            id: id + 7,
            result: Err("old".into()),
        },
    );
    assert!(app.done.consume.preparing);
    update(
        &mut app,
        Action::ConsumePrepared {
            id,
            result: Err("cannot open the sink dir:/root: Permission denied".into()),
        },
    );
    assert!(!app.done.consume.preparing);
    assert!(app.effects.is_empty(), "no dashboard");
    assert_eq!(app.status.as_ref().unwrap().kind, StatusKind::Error);
    assert!(
        text(&app).contains("✗ cannot open the sink dir:/root"),
        "{}",
        text(&app)
    );
    // Left with a second Q: said so.
    update(
        &mut app,
        Action::ConsumeEnded {
            id,
            end: consume_end(true),
        },
    );
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("left before the consumer stopped"),
        "{:?}",
        app.status
    );
    assert!(
        text(&app).contains("left before it stopped"),
        "{}",
        text(&app)
    );
}

#[test]
fn snapshot_overlays() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            key(&mut app, KeyCode::F(1));
            app
        },
        "help",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.session_path = Some(PathBuf::from("/tmp/sessions/acme-ingest.json"));
            go_to(&mut app, Step::Policy);
            set_text(&mut app, FieldId::PolicyName, "changed");
            ctrl(&mut app, 'c');
            app
        },
        "confirm_quit",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Review);
            answer_all(&mut app, |_| None);
            key(&mut app, KeyCode::Enter);
            app
        },
        "confirm_apply",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            focus(&mut app, FieldId::Region);
            key(&mut app, KeyCode::Char(' '));
            type_text(&mut app, "eu-");
            app
        },
        "region_picker",
    );
    snap!("preview_toggled", {
        let mut app = offline(80, 24);
        go_to(&mut app, Step::Policy);
        ctrl(&mut app, 'p');
        app
    });
    snap!("too_small", offline(50, 12));
}

// ---- style: colour carries meaning ----

/// The style of the cell at the top-left corner of a field's box.
fn border_style(app: &App, field: FieldId) -> ratatui::style::Style {
    let rect = ui::field_rects(app)
        .into_iter()
        .find(|(f, _)| *f == field)
        .map(|(_, r)| r)
        .expect("field on screen");
    let terminal = draw(app);
    terminal.backend().buffer()[(rect.x, rect.y)].style()
}

#[test]
fn an_invalid_field_has_a_red_border_and_its_message_under_it() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    assert_ne!(border_style(&app, FieldId::BucketName).fg, Some(Color::Red));
    set_text(&mut app, FieldId::BucketName, "Bad_Bucket");
    assert_eq!(border_style(&app, FieldId::BucketName).fg, Some(Color::Red));
    let screen = text(&app);
    assert!(screen.contains("✗ `B` is not allowed"), "{screen}");
    // The buffer with its styles, for the record.
    let terminal = draw(&app);
    insta::assert_snapshot!(
        "bucket_invalid_styles_100x30",
        format!("{:?}", terminal.backend().buffer())
    );
}

#[test]
fn the_diff_is_coloured_green_and_red() {
    let mut app = offline(100, 30);
    connect(&mut app);
    go_to(&mut app, Step::Queue);
    answer_all(&mut app, |t| {
        (t == Target::Queue).then(|| Found::Queue(Ok(Some(queue_state("acme-ingest-queue", "30")))))
    });
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buffer.area.height).find(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, *y)].symbol())
                .collect::<String>()
                .contains(needle)
        })
    };
    let deleted = row_of("-  \"VisibilityTimeout\": \"30\"").expect("deleted line");
    let inserted = row_of("+  \"VisibilityTimeout\": \"600\"").expect("inserted line");
    let first_x = |y: u16| {
        (0..buffer.area.width)
            .find(|x| buffer[(*x, y)].symbol() == "-" || buffer[(*x, y)].symbol() == "+")
            .unwrap()
    };
    assert_eq!(buffer[(first_x(deleted), deleted)].fg, Color::Red);
    assert_eq!(buffer[(first_x(inserted), inserted)].fg, Color::Green);
}

#[test]
fn no_color_carries_meaning_without_colour() {
    let mut app = offline(100, 30);
    app.theme = Theme { color: false };
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "Bad_Bucket");
    let style = border_style(&app, FieldId::BucketName);
    assert!(matches!(style.fg, None | Some(Color::Reset)), "{style:?}");
    assert!(style.add_modifier.contains(Modifier::BOLD));
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "colour at {x},{y}: {cell:?}"
            );
        }
    }
    assert!(text(&app).contains("✗ `B` is not allowed"));
}

// ---- keys → state ----

#[test]
fn tab_and_shift_tab_move_between_fields_and_wrap() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    assert_eq!(app.focus, Some(FieldId::PolicyName));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Some(FieldId::PolicyScope));
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Some(FieldId::AllowDeleteObject));
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.focus,
        Some(FieldId::AllowDeleteObject),
        "↓ stops at the last field"
    );
}

#[test]
fn enter_goes_on_and_esc_goes_back() {
    let mut app = offline(100, 30);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Policy);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Role);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Policy);
    assert_eq!(app.furthest, Step::Role);
}

#[test]
fn next_refuses_an_invalid_step_and_focuses_its_first_error() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Suffix, "ok");
    set_text(&mut app, FieldId::BucketName, "x");
    set_text(&mut app, FieldId::Prefix, "/logs/");
    focus(&mut app, FieldId::Versioning);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Bucket);
    assert_eq!(app.focus, Some(FieldId::BucketName));
    let status = app.status.clone().unwrap();
    assert!(
        status.text.starts_with("Bucket name: is 1 characters long")
            && status.text.ends_with("(and 1 more field to fix)"),
        "{status:?}"
    );
    set_text(&mut app, FieldId::BucketName, "fine-bucket");
    set_text(&mut app, FieldId::Prefix, "logs/");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Queue);
}

#[test]
fn the_stack_name_renames_what_still_has_its_default_name() {
    let mut app = offline(100, 30);
    app.spec.queue.name = "my-own-queue".into();
    app.reset_inputs();
    set_text(&mut app, FieldId::StackName, "orders");
    assert_eq!(app.spec.name, "orders");
    assert_eq!(app.spec.bucket.name, "orders-source");
    assert_eq!(app.spec.policy.name, "orders-policy");
    assert_eq!(app.spec.queue.name, "my-own-queue");
    assert_eq!(app.input_text(FieldId::BucketName), "orders-source");
}

#[test]
fn numbers_are_checked_as_typed() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    set_text(&mut app, FieldId::VisibilityTimeout, "9x");
    assert!(
        app.field_error(FieldId::VisibilityTimeout)
            .unwrap()
            .contains("not a whole number")
    );
    set_text(&mut app, FieldId::VisibilityTimeout, "50000");
    assert!(
        app.field_error(FieldId::VisibilityTimeout)
            .unwrap()
            .contains("0 to 43200")
    );
    set_text(&mut app, FieldId::VisibilityTimeout, "900");
    assert_eq!(app.field_error(FieldId::VisibilityTimeout), None);
    assert_eq!(app.spec.queue.visibility_timeout_secs, 900);
}

#[test]
fn toggles_selects_and_the_picker() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.spec.policy.allow_send_message);
    focus(&mut app, FieldId::PolicyScope);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.policy.scope, crate::spec::PolicyScope::Wildcard);
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.spec.policy.scope,
        crate::spec::PolicyScope::LeastPrivilege
    );

    go_to(&mut app, Step::Welcome);
    focus(&mut app, FieldId::Region);
    key(&mut app, KeyCode::Char(' '));
    type_text(&mut app, "central-1");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert_eq!(app.spec.region, "eu-central-1");
}

#[test]
fn kms_key_follows_the_encryption_choice() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    focus(&mut app, FieldId::QueueEncryption);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.queue.encryption, crate::spec::QueueEncryption::Kms);
    assert!(
        app.field_error(FieldId::QueueKmsKey)
            .unwrap()
            .contains("required")
    );
    set_text(
        &mut app,
        FieldId::QueueKmsKey,
        "arn:aws:kms:us-west-2:123456789012:key/abc",
    );
    assert_eq!(app.field_error(FieldId::QueueKmsKey), None);
    focus(&mut app, FieldId::QueueEncryption);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.spec.queue.kms_key_arn, None, "none: no key");
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.spec.queue.kms_key_arn.as_deref(),
        Some("arn:aws:kms:us-west-2:123456789012:key/abc"),
        "choosing KMS again brings the key back"
    );
}

#[test]
fn the_principals_list_adds_refuses_and_removes() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::TrustedPrincipals);
    type_text(&mut app, "arn:aws:iam::210987654321:role/vendor");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Role, "Enter adds, it does not go on");
    assert_eq!(
        app.spec.role.trusted_principals,
        ["arn:aws:iam::210987654321:role/vendor"]
    );
    type_text(&mut app, "*");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.field_error(FieldId::TrustedPrincipals)
            .unwrap()
            .contains("any AWS account")
    );
    assert_eq!(app.spec.role.trusted_principals.len(), 1);
    // Clear the input, move up to the item, delete it.
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Delete);
    assert!(app.spec.role.trusted_principals.is_empty());
    // An empty input: Enter goes on.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::User);
}

#[test]
fn ctrl_g_generates_an_external_id() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    let before = app.spec.role.external_id.clone();
    ctrl(&mut app, 'g');
    assert_ne!(app.spec.role.external_id, before);
    assert_eq!(app.spec.role.external_id.len(), 32);
    assert_eq!(
        app.input_text(FieldId::ExternalId),
        app.spec.role.external_id
    );
}

#[test]
fn the_events_checklist_toggles_in_list_order() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Notification);
    focus(&mut app, FieldId::Events);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.spec.notification.events,
        ["s3:ObjectCreated:*", "s3:ObjectCreated:Put"]
    );
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.spec.notification.events.is_empty());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Notification);
    assert!(
        app.field_error(FieldId::Events)
            .unwrap()
            .contains("at least one")
    );
}

#[test]
fn an_overlapping_notification_blocks_next() {
    let mut app = offline(100, 30);
    connect(&mut app);
    go_to(&mut app, Step::Notification);
    answer_all(&mut app, |t| {
        (t == Target::Bucket).then(|| Found::Bucket(Ok(Some(bucket_state(foreign_notification())))))
    });
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Notification);
    assert!(
        app.status.as_ref().unwrap().text.contains("etl"),
        "{:?}",
        app.status
    );
    // A prefix that no longer overlaps unblocks it.
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Prefix, "data/");
    go_to(&mut app, Step::Notification);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Review);
}

#[test]
fn question_mark_and_q_type_into_text_fields_but_act_elsewhere() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Prefix, "q?");
    assert_eq!(app.spec.bucket.prefix, "q?");
    assert!(app.overlay.is_none() && !app.quit);
    focus(&mut app, FieldId::Versioning);
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert_eq!(app.step, Step::Bucket, "Esc closed the help, not the step");
}

#[test]
fn quitting_asks_only_with_unsaved_changes() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit, "nothing changed: q quits at once");

    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none() && !app.quit);
    ctrl(&mut app, 'c');
    key(&mut app, KeyCode::Char('s'));
    assert!(
        matches!(app.overlay, Some(Overlay::Prompt { .. })),
        "asks where to save"
    );
    key(&mut app, KeyCode::Enter);
    let Some(Effect::Save {
        kind: SaveKind::Spec,
        path,
        spec,
        ..
    }) = app.effects.pop()
    else {
        panic!("no save: {:?}", app.effects)
    };
    assert_eq!(path, PathBuf::from("sluice.json"));
    update(
        &mut app,
        Action::Saved {
            kind: SaveKind::Spec,
            path,
            spec,
            result: Ok(()),
        },
    );
    assert!(app.quit, "saved, then quit");
    assert!(!app.dirty());
}

#[test]
fn ctrl_s_saves_to_the_config_file() {
    let mut config = Config::offline("test");
    config.config_path = Some(PathBuf::from("/tmp/x/spec.json"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    ctrl(&mut app, 's');
    assert!(matches!(
        app.effects.last(),
        Some(Effect::Save { kind: SaveKind::Spec, path, .. }) if path == &PathBuf::from("/tmp/x/spec.json")
    ));
}

#[test]
fn lookups_are_debounced_and_superseded() {
    let mut app = offline(100, 30);
    connect(&mut app);
    answer_all(&mut app, |_| None);
    app.effects.clear();
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "another-bucket");
    let slot = &app.slots[&Target::Bucket];
    assert!(slot.pending() && slot.due.is_some());
    let generation = slot.generation;
    tick_after(&mut app, Duration::from_millis(100));
    assert!(app.effects.is_empty(), "not yet: still typing");
    type_text(&mut app, "-2");
    let newer = app.slots[&Target::Bucket].generation;
    assert!(newer > generation);
    tick_after(&mut app, Duration::from_millis(400));
    let lookups: Vec<_> = app
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Lookup {
                target,
                generation,
                what,
                ..
            } => Some((*target, *generation, what.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(lookups[0].0, Target::Bucket);
    assert_eq!(lookups[0].1, newer);
    assert!(format!("{:?}", lookups[0].2).contains("another-bucket-2"));
    // A late answer for the old name is dropped.
    update(
        &mut app,
        Action::Looked {
            target: Target::Bucket,
            generation,
            result: Box::new(Found::Bucket(Ok(Some(bucket_state(json!({})))))),
        },
    );
    assert!(app.slots[&Target::Bucket].found.is_none());
    update(
        &mut app,
        Action::Looked {
            target: Target::Bucket,
            generation: newer,
            result: Box::new(Found::Bucket(Ok(None))),
        },
    );
    assert!(!app.slots[&Target::Bucket].pending());
    assert!(
        ui::lookup_line(&app, FieldId::BucketName)
            .unwrap()
            .0
            .contains("will be created")
    );
}

#[test]
fn sessions_autosave_after_a_pause_and_resume() {
    let mut config = Config::offline("test");
    config.sessions_dir = Some(PathBuf::from("/sessions"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    assert!(matches!(app.effects.first(), Some(Effect::ListSessions(_))));
    app.effects.clear();
    go_to(&mut app, Step::Policy);
    set_text(&mut app, FieldId::PolicyName, "p1");
    assert!(app.autosave_due.is_some());
    tick_after(&mut app, Duration::from_millis(900));
    let Some(Effect::Save {
        kind: SaveKind::Autosave,
        path,
        spec,
        replaces,
    }) = app.effects.pop()
    else {
        panic!("{:?}", app.effects)
    };
    assert_eq!(path, PathBuf::from("/sessions/acme-ingest.json"));
    assert_eq!(spec.policy.name, "p1");
    assert_eq!(replaces, None);
    update(
        &mut app,
        Action::Saved {
            kind: SaveKind::Autosave,
            path: path.clone(),
            spec,
            result: Ok(()),
        },
    );
    assert_eq!(app.session_path, Some(path));

    // Renaming the stack moves the session file.
    go_to(&mut app, Step::Welcome);
    set_text(&mut app, FieldId::StackName, "orders");
    tick_after(&mut app, Duration::from_millis(900));
    assert!(app.effects.iter().any(|e| matches!(e,
        Effect::Save { path, replaces: Some(old), .. }
            if path == &PathBuf::from("/sessions/orders.json") && old == &PathBuf::from("/sessions/acme-ingest.json"))));

    // Resume: Enter on a listed session loads it.
    app.effects.clear();
    update(
        &mut app,
        Action::SessionsListed(Ok(vec![SessionInfo {
            path: PathBuf::from("/sessions/old.json"),
            name: "old".into(),
            modified: None,
        }])),
    );
    focus(&mut app, FieldId::Sessions);
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.effects.last(), Some(Effect::LoadSession(p)) if p == &PathBuf::from("/sessions/old.json"))
    );
    let mut old = crate::spec::starter("old", "eu-west-1", None);
    old.bucket.name = "old-data".into();
    update(
        &mut app,
        Action::SessionLoaded {
            path: PathBuf::from("/sessions/old.json"),
            result: Ok((Box::new(old.clone()), Vec::new())),
        },
    );
    assert_eq!(app.spec, old);
    assert_eq!(app.input_text(FieldId::BucketName), "old-data");
    assert!(!app.dirty());
}

#[test]
fn review_offline_goes_to_done_and_done_copies_and_exports() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Review);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Done);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("apply is disabled")
    );
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(app.effects.last(), Some(Effect::Copy(v)) if v.starts_with("arn:aws:iam::<ACCOUNT_ID>:role/"))
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('c'));
    assert!(matches!(app.effects.last(), Some(Effect::Copy(v)) if v == "EXTERNAL-ID-FOR-TESTS"));
    key(&mut app, KeyCode::Char('a'));
    assert!(
        matches!(app.effects.last(), Some(Effect::Copy(v)) if v.contains("bucket=acme-ingest-source\n"))
    );
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.overlay, Some(Overlay::Prompt { .. })));
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.effects.last(), Some(Effect::Export { dir, .. }) if dir == &PathBuf::from("./acme-ingest-bundle"))
    );
    assert!(app.done.exporting);
    // Esc goes back to the review (the AWS steps are skipped offline).
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Review);
}

#[test]
fn apply_progress_fills_the_rows_and_the_secret_is_shown_once() {
    let mut app = applying(100, 30);
    assert_eq!(app.step, Step::Apply);
    let Some(Effect::Apply { reviewed, spec, .. }) = app
        .effects
        .iter()
        .find(|e| matches!(e, Effect::Apply { .. }))
    else {
        panic!("no apply effect");
    };
    assert!(reviewed.is_some(), "the reviewed plan is applied");
    assert_eq!(spec.account_id.as_deref(), Some(ACCOUNT));
    let rows: Vec<(StepId, RowState)> = app
        .apply
        .run
        .rows
        .iter()
        .map(|r| (r.step, r.state))
        .collect();
    assert_eq!(
        rows[0],
        (StepId::Apply(ResourceKind::Policy), RowState::Done)
    );
    assert_eq!(
        rows[1],
        (StepId::Apply(ResourceKind::Role), RowState::Running)
    );
    assert_eq!(rows[2].1, RowState::Pending);
    assert!(app.apply.run.rows[1].retry.is_some());
    assert!(
        text(&app).contains("retrying in 1.3 s (attempt 2)"),
        "{}",
        text(&app)
    );
    let id = app.apply.run.id;
    update(
        &mut app,
        Action::Progress {
            run: Run::Apply,
            id,
            event: Event::AccessKeyCreated {
                user: "u".into(),
                access_key_id: "AKIA1".into(),
                secret: crate::aws::Secret::new("s3cr3t"),
                path: PathBuf::from("u_accessKeys.csv"),
            },
        },
    );
    update(
        &mut app,
        Action::Applied {
            id,
            result: Ok(Box::new(crate::aws::apply::ApplyReport {
                backup_dir: None,
                steps: vec![(
                    StepId::Apply(ResourceKind::Policy),
                    StepOutcome::Created,
                    "created".into(),
                )],
                connector: vec![("queue_url", "https://real-url".into())],
            })),
        },
    );
    assert!(app.apply.report.is_some());
    go_to(&mut app, Step::Done);
    assert!(text(&app).contains("s3cr3t"));
    assert_eq!(
        app.connector_values(),
        [("queue_url", "https://real-url".to_owned())]
    );
    key(&mut app, KeyCode::Char('k'));
    assert!(matches!(app.effects.last(), Some(Effect::Copy(v)) if v == "s3cr3t"));
    key(&mut app, KeyCode::Esc);
    assert!(
        app.done.access_key.as_ref().unwrap().secret.is_none(),
        "forgotten once left"
    );
    go_to(&mut app, Step::Done);
    assert!(!text(&app).contains("s3cr3t"));
}

#[test]
fn a_retry_reads_the_account_again() {
    let mut app = applying(100, 30);
    let id = app.apply.run.id;
    update(
        &mut app,
        Action::Applied {
            id,
            result: Err(ApplyError {
                step: StepId::Apply(ResourceKind::Role),
                error: "boom".into(),
                completed: vec![],
                backup_dir: None,
            }),
        },
    );
    app.effects.clear();
    key(&mut app, KeyCode::Char('r'));
    assert!(matches!(
        app.effects.last(),
        Some(Effect::Apply { reviewed: None, .. })
    ));
    assert!(app.apply.run.running);
    assert!(
        app.apply
            .run
            .rows
            .iter()
            .all(|r| r.state == RowState::Pending)
    );
}

#[test]
fn stale_progress_of_an_old_run_is_ignored() {
    let mut app = applying(100, 30);
    let old = app.apply.run.id - 1;
    update(
        &mut app,
        Action::Progress {
            run: Run::Apply,
            id: old,
            event: Event::Started {
                step: StepId::Apply(ResourceKind::Bucket),
                title: "x".into(),
            },
        },
    );
    assert_eq!(app.apply.run.rows[2].state, RowState::Pending);
}

#[test]
fn a_click_focuses_the_field_and_a_step_tab_goes_back() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    let (_, rect) = ui::field_rects(&app)
        .into_iter()
        .find(|(f, _)| *f == FieldId::Retention)
        .unwrap();
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: rect.x + 2,
            row: rect.y + 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.focus, Some(FieldId::Retention));
    let (_, tab, _) = ui::step_tabs(&app)
        .into_iter()
        .find(|(s, _, _)| *s == Step::Role)
        .unwrap();
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: tab.x,
            row: tab.y,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.step, Step::Role);
}

#[test]
fn paste_goes_into_the_focused_input_on_one_line() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::ExternalId);
    key(&mut app, KeyCode::End);
    update(&mut app, Action::Paste("-org\n42".into()));
    assert_eq!(app.spec.role.external_id, "EXTERNAL-ID-FOR-TESTS-org42");
}

#[test]
fn page_keys_scroll_the_preview_and_narrow_terminals_toggle_it() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    key(&mut app, KeyCode::PageDown);
    assert!(app.preview.scroll > 0);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::PageDown);
    let max = app.preview.scroll;
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.preview.scroll, max, "clamped at the end");
    key(&mut app, KeyCode::PageUp);
    assert!(app.preview.scroll < max);

    let mut app = offline(80, 24);
    go_to(&mut app, Step::Policy);
    assert!(ui::body_areas(&app).preview.is_none());
    ctrl(&mut app, 'p');
    assert!(ui::body_areas(&app).preview.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(ui::body_areas(&app).preview.is_none());
    assert_eq!(app.step, Step::Policy);
}

#[test]
fn resize_switches_between_side_by_side_and_toggled_preview() {
    let mut app = offline(120, 40);
    go_to(&mut app, Step::Bucket);
    assert!(ui::body_areas(&app).preview.is_some());
    update(&mut app, Action::Resize(80, 24));
    assert!(ui::body_areas(&app).preview.is_none());
    assert!(text(&app).contains("Ctrl-P preview: new"));
}

#[test]
fn offline_steps_are_marked_and_the_credentials_come_back_with_ctrl_r() {
    let mut config = Config::offline("x");
    config.connect = super::app::Connect::Chain;
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    assert!(matches!(app.connection, Connection::Connecting));
    let generation = app.connect_gen;
    update(
        &mut app,
        Action::Connected {
            generation,
            result: Err("no usable AWS credentials".into()),
        },
    );
    assert!(app.aws_blocker().unwrap().contains("offline"));
    app.effects.clear();
    ctrl(&mut app, 'r');
    assert!(matches!(app.connection, Connection::Connecting));
    update(&mut app, Action::Tick);
    assert!(
        app.effects
            .iter()
            .any(|e| matches!(e, Effect::Connect { .. }))
    );
}

#[test]
fn choosing_a_profile_checks_its_credentials() {
    let mut config = Config::offline("x");
    config.connect = super::app::Connect::Chain;
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    focus(&mut app, FieldId::Profile);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.profile.as_deref(), Some("prod"));
    app.effects.clear();
    tick_after(&mut app, Duration::from_millis(400));
    let connect = app.effects.iter().find_map(|e| match e {
        Effect::Connect {
            how: super::action::ConnectHow::Load { options, region },
            ..
        } => Some((options.profile.clone(), region.clone())),
        _ => None,
    });
    assert_eq!(connect, Some((Some("prod".into()), "us-west-2".into())));
}

#[test]
fn idle_has_no_wakeups() {
    let mut app = online(100, 30);
    app.effects.clear();
    assert_eq!(app.next_wakeup(), None, "nothing animates, nothing is due");
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "b-2");
    assert!(app.next_wakeup().is_some());
}

#[test]
fn a_keystroke_is_handled_and_drawn_in_well_under_16_ms() {
    let mut app = online(100, 30);
    go_to(&mut app, Step::Review);
    answer_all(&mut app, |_| None);
    go_to(&mut app, Step::Bucket);
    focus(&mut app, FieldId::Prefix);
    let backend = ratatui::backend::TestBackend::new(100, 30);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    let started = Instant::now();
    let n = 50;
    for i in 0..n {
        key(&mut app, KeyCode::Char(if i % 2 == 0 { 'a' } else { 'b' }));
        terminal.draw(|f| ui::render(f, &app)).unwrap();
    }
    let each = started.elapsed() / n;
    eprintln!("keystroke → update + full redraw at 100×30: {each:?} (mean of {n})");
    // Generous for unoptimised test builds; release builds measure ~1 ms.
    assert!(each < Duration::from_millis(16), "{each:?} per keystroke");
}

#[test]
fn a_new_region_is_used_for_the_clients_even_when_the_options_named_one() {
    let mut config = Config::offline("x");
    config.connect = super::app::Connect::Chain;
    config.aws.region = Some("us-west-2".into());
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    focus(&mut app, FieldId::Region);
    key(&mut app, KeyCode::Right);
    let region = app.spec.region.clone();
    assert_ne!(region, "us-west-2");
    app.effects.clear();
    tick_after(&mut app, Duration::from_millis(400));
    let connect = app.effects.iter().find_map(|e| match e {
        Effect::Connect {
            how: super::action::ConnectHow::Load { options, region },
            ..
        } => Some((options.region.clone(), region.clone())),
        _ => None,
    });
    assert_eq!(connect, Some((Some(region.clone()), region)));
}
