//! Tests of the wizard without a terminal: keys fed to `update` with the
//! state checked, and insta snapshots of every screen (valid, invalid and
//! diff states) at 100×30 and 80×24 on ratatui's `TestBackend`.
//!
//! Online states use clients that are never called (no network) and feed
//! lookup results to `update` as the runtime would.

pub(super) use std::collections::BTreeMap;
pub(super) use std::path::PathBuf;
pub(super) use std::time::{Duration, Instant};

pub(super) use crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
pub(super) use ratatui::style::{Color, Modifier};
pub(super) use serde_json::json;

pub(super) use crate::aws::apply::ApplyError;
pub(super) use crate::aws::observe::{BucketState, PolicyState, QueueState};
pub(super) use crate::aws::progress::{CheckId, StepId, StepOutcome};
pub(super) use crate::aws::verify::{Check, Verdict, VerifyReport};
pub(super) use crate::aws::{Clients, Event, Identity};
pub(super) use crate::consume::preview::{DataReport, ObjectSummary, Sample};
pub(super) use crate::docs::ResourceKind;
pub(super) use crate::spec::Spec;
pub(super) use crate::tui::action::{Action, ConsumeEnd, Effect, Found, Run, SaveKind, SlotId};
pub(super) use crate::tui::app::App;
pub(super) use crate::tui::fields::FieldId;
pub(super) use crate::tui::model::{Config, Connection, Setup, StatusKind};
pub(super) use crate::tui::overlay::Overlay;
pub(super) use crate::tui::runtime::{draw, screen_text};
pub(super) use crate::tui::screens::run::RowState;
pub(super) use crate::tui::session::SessionInfo;
pub(super) use crate::tui::step::Step;
pub(super) use crate::tui::theme::Theme;
pub(super) use crate::tui::update::update;

// ---- fixtures ----

pub(super) const ACCOUNT: &str = "123456789012";

pub(super) fn spec() -> Spec {
    let mut spec = crate::spec::starter("acme-ingest", "us-west-2", None);
    spec.role.external_id = "EXTERNAL-ID-FOR-TESTS".to_owned();
    spec
}

pub(super) fn setup_with(config: Config, spec: Option<Spec>) -> Setup {
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

pub(super) fn sized(mut app: App, width: u16, height: u16) -> App {
    app.model.size = (width, height);
    app.model.stale = true;
    app.refresh();
    app
}

/// An offline app on the acme spec.
pub(super) fn offline(width: u16, height: u16) -> App {
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
pub(super) fn idle_clients() -> Clients {
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-west-2"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    Clients::from_config(config, None)
}

pub(super) fn identity() -> Identity {
    Identity {
        account: ACCOUNT.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    }
}

/// An online app whose lookups have all answered "does not exist".
pub(super) fn online(width: u16, height: u16) -> App {
    let mut app = offline(width, height);
    connect(&mut app);
    answer_all(&mut app, |_| None);
    app
}

pub(super) fn connect(app: &mut App) {
    let generation = app.model.connect_gen;
    update(
        app,
        Action::Connected {
            generation,
            result: Ok(Box::new((idle_clients(), identity()))),
        },
    );
}

/// Answers every pending lookup: `found(target)` or "does not exist"
/// (what the spec no longer names: nothing).
pub(super) fn answer_all(app: &mut App, found: impl Fn(ResourceKind) -> Option<Found>) {
    answer_retiring(app, crate::aws::observe::Retiring::nothing());
    for target in crate::aws::observe::looked_up() {
        let Some(slot) = app.model.slots.get(&SlotId::Kind(target)) else {
            continue;
        };
        if !slot.pending() {
            continue;
        }
        let generation = slot.generation;
        let result = found(target).unwrap_or(match target {
            ResourceKind::Policy => Found::Policy(Ok(None)),
            ResourceKind::Role => Found::Role(Ok(None)),
            ResourceKind::User => Found::User(Ok(None)),
            ResourceKind::Bucket => Found::Bucket(Ok(None)),
            ResourceKind::DeadLetterQueue | ResourceKind::Queue => Found::Queue(Ok(None)),
            ResourceKind::Subscription => Found::Subscription(Ok(None)),
            ResourceKind::Rule => Found::Rule(Ok(None)),
            ResourceKind::Alarm | ResourceKind::AlarmTopic => {
                Found::Alarms(crate::aws::resources::alarms::AlarmsObserved::none())
            }
            // Read with the bucket: never a lookup of its own.
            ResourceKind::Notification => Found::Bucket(Ok(None)),
        });
        update(
            app,
            Action::Looked {
                target: SlotId::Kind(target),
                generation,
                result: Box::new(result),
            },
        );
    }
}

/// Answers the review's pending lookup of what the spec no longer has.
pub(super) fn answer_retiring(app: &mut App, retiring: crate::aws::observe::Retiring) {
    let Some(slot) = app.model.slots.get(&SlotId::Retiring) else {
        return;
    };
    if !slot.pending() {
        return;
    }
    let generation = slot.generation;
    update(
        app,
        Action::Looked {
            target: SlotId::Retiring,
            generation,
            result: Box::new(Found::Retiring(Box::new(retiring))),
        },
    );
}

pub(super) fn bucket_state(notification: serde_json::Value) -> BucketState {
    BucketState {
        region: "us-west-2".into(),
        public_access_block: Some(crate::docs::PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: false,
            restrict_public_buckets: true,
        }),
        ownership_controls: None,
        encryption: None,
        versioning: None,
        object_lock: None,
        policy: None,
        notification: crate::docs::NotificationConfiguration::from_json(&notification)
            .expect("a notification configuration"),
        // The stack's: made by an earlier apply.
        tags: stack_tags(),
        created_by: None,
    }
}

/// The tags an earlier apply of the acme spec left.
pub(super) fn stack_tags() -> BTreeMap<String, String> {
    crate::docs::tags(&spec())
}

pub(super) fn queue_state(name: &str, visibility: &str) -> QueueState {
    QueueState {
        url: format!("https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/{name}"),
        arn: format!("arn:aws:sqs:us-west-2:{ACCOUNT}:{name}"),
        attributes: BTreeMap::from([
            ("VisibilityTimeout".to_owned(), visibility.to_owned()),
            ("MessageRetentionPeriod".to_owned(), "604800".to_owned()),
            ("SqsManagedSseEnabled".to_owned(), "true".to_owned()),
        ]),
        tags: stack_tags(),
    }
}

pub(super) fn key(app: &mut App, code: KeyCode) {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub(super) fn ctrl(app: &mut App, c: char) {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
}

pub(super) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Focuses `field` (by Tab) and replaces its text.
pub(super) fn set_text(app: &mut App, field: FieldId, text: &str) {
    focus(app, field);
    key(app, KeyCode::Home);
    ctrl(app, 'k');
    type_text(app, text);
}

pub(super) fn focus(app: &mut App, field: FieldId) {
    for _ in 0..20 {
        if app.form.focus == Some(field) {
            return;
        }
        key(app, KeyCode::Tab);
    }
    panic!("cannot focus {field:?} on {:?}", app.model.step);
}

pub(super) fn go_to(app: &mut App, step: Step) {
    app.model.step = step;
    app.model.furthest = app.model.furthest.max(step);
    app.form.focus = app.form.first_focus(&app.model, step);
    app.form.resting = step == Step::Welcome;
    app.model.stale = true;
    app.refresh();
}

/// Advances the app's clock and ticks.
pub(super) fn tick_after(app: &mut App, wait: Duration) {
    app.model.now += wait;
    update(app, Action::Tick);
}

pub(super) fn text(app: &App) -> String {
    screen_text(&draw(app))
}

/// The screen below the title and the step bar.
pub(super) fn pane_text(app: &App) -> String {
    text(app).lines().skip(2).collect::<Vec<_>>().join("\n")
}

/// A text snapshot at the app's size, with volatile values masked.
macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let app: &App = &$app;
        let name = format!("{}_{}x{}", $name, app.model.size.0, app.model.size.1);
        insta::with_settings!({
            filters => vec![
                (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", "[TIME]"),
                (r"/tmp/[^ │]*", "[TMP]"),
            ],
            prepend_module_to_snapshot => false,
            snapshot_path => "../snapshots",
        }, {
            insta::assert_snapshot!(name, text(app));
        });
    }};
}

/// The same screen at both sizes.
pub(super) fn both(build: impl Fn(u16, u16) -> App, name: &str) {
    for (w, h) in [(100, 30), (80, 24)] {
        snap!(name, build(w, h));
    }
}

/// The same screen at 80×24 and 120×40.
pub(super) fn small_and_large(build: impl Fn(u16, u16) -> App, name: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        snap!(name, build(w, h));
    }
}

/// Answers every pending lookup, the bucket holding another team's
/// notification entry ([`foreign_notification`]).
pub(super) fn answer_with_foreign_entry(app: &mut App) {
    answer_all(app, |t| {
        (t == ResourceKind::Bucket)
            .then(|| Found::Bucket(Ok(Some(bucket_state(foreign_notification())))))
    });
}

pub(super) fn foreign_notification() -> serde_json::Value {
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

pub(super) fn applying(w: u16, h: u16) -> App {
    let mut app = online(w, h);
    go_to(&mut app, Step::Review);
    answer_all(&mut app, |_| None);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmApply)));
    key(&mut app, KeyCode::Char('y'));
    let id = app.apply.run.id;
    let t0 = app.model.now;
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
            retry: crate::aws::progress::Retry {
                attempt: 1,
                wait: Duration::from_secs(2),
                reason: "waiting for IAM to see the new policy: NoSuchEntity".into(),
            },
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
    app.model.now = t0 + Duration::from_millis(700);
    app
}

/// An offline app on `spec`.
pub(super) fn offline_on(spec: Spec, width: u16, height: u16) -> App {
    sized(
        App::new(setup_with(
            Config::offline("no usable AWS credentials"),
            Some(spec),
        )),
        width,
        height,
    )
}

/// Loads the session `/sessions/old.json` holding `spec`, left at `step`.
pub(super) fn resume_at(app: &mut App, spec: Spec, step: Step) {
    update(
        app,
        Action::SessionLoaded {
            path: PathBuf::from("/sessions/old.json"),
            result: Ok((Box::new(spec), Vec::new())),
            place: Some(crate::tui::session::Place {
                step,
                save_path: None,
                applied: None,
            }),
            saved: None,
        },
    );
}

/// Online, the stack applied: the queue exists.
pub(super) fn online_applied(width: u16, height: u16) -> App {
    let mut app = offline(width, height);
    connect(&mut app);
    answer_all(&mut app, |target| {
        (target == ResourceKind::Queue)
            .then(|| Found::Queue(Ok(Some(queue_state("acme-ingest-queue", "600")))))
    });
    app
}

/// A consumer run as the runtime prepares it (nothing is called).
pub(super) fn consume_run() -> crate::tui::dashboard::ConsumeRun {
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
            sink_retry: Duration::from_secs(300),
            bucket: Some("acme-ingest-source".into()),
            on_foreign_event: crate::consume::runner::ForeignPolicy::Keep,
        },
        sink: std::sync::Arc::new(crate::consume::sink::NullSink),
        sink_name: "null".into(),
        assumed_role: None,
    };
    crate::tui::dashboard::ConsumeRun::new(&spec(), &identity(), prepared)
}

/// How a run that wrote 3 records from 2 objects ended.
pub(super) fn consume_end(abandoned: bool) -> ConsumeEnd {
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

// ---- style: colour carries meaning ----

/// The style of the cell at the top-left corner of a field's box.
pub(super) fn border_style(app: &App, field: FieldId) -> ratatui::style::Style {
    let rect = super::screens::form::field_rects(&app.model, &app.form)
        .into_iter()
        .find(|(f, _)| *f == field)
        .map(|(_, r)| r)
        .expect("field on screen");
    let terminal = draw(app);
    terminal.backend().buffer()[(rect.x, rect.y)].style()
}

mod alarms;
mod apply;
mod done;
mod form;
mod form_keys;
mod frame;
mod review;
mod steps;
mod verify_data;
mod welcome;
