//! The wizard against moto, driven headless by keys: live lookups and
//! diffs, review → apply (progress rows, backups) → verify (every check) →
//! data preview (a real object decoded) → done (the queue URL as AWS has it);
//! then a second review shows nothing left to change.

use crate::common;

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sluice::aws::Clients;
use sluice::aws::verify::{Verdict, VerifyOptions};
use sluice::docs::ResourceKind;
use sluice::tui::action::SlotId;
use sluice::tui::fields::FieldId;
use sluice::tui::model::{Config, Connect, Connection, Setup};
use sluice::tui::runtime::{hand_over, screen_text};
use sluice::tui::screens::run::RowState;
use sluice::tui::step::Step;
use sluice::tui::{Headless, Theme};

use crate::common::{ACCOUNT_ID, REGION, aws_cli, sdk_clients, shared};

const WAIT: Duration = Duration::from_secs(60);

fn setup(clients: Clients, dir: &std::path::Path) -> Setup {
    setup_named(clients, dir, "wiz")
}

fn setup_named(clients: Clients, dir: &std::path::Path, stack: &str) -> Setup {
    let mut config = Config::offline("unused");
    config.connect = Connect::Given(Box::new(clients));
    config.backup_base = Some(dir.join("backups"));
    config.out_dir = dir.to_owned();
    config.export_base = dir.to_owned();
    config.ingest_base = dir.join("ingest");
    config.verify = VerifyOptions {
        timeout: Duration::from_secs(20),
        ..VerifyOptions::default()
    };
    config.propagation_timeout = Duration::from_secs(20);
    let mut spec = sluice::spec::starter(stack, REGION, None);
    spec.role.external_id = "wizard-moto-external-id".into();
    spec.bucket.prefix = "logs/".into();
    Setup {
        config,
        spec: Some(spec),
        profiles: Vec::new(),
        theme: Theme { color: true },
        notes: Vec::new(),
    }
}

fn sluice_focus(w: &mut Headless, field: FieldId) {
    for _ in 0..20 {
        if w.app().form.focus == Some(field) {
            return;
        }
        w.press(KeyCode::Tab);
    }
    panic!("cannot reach {field:?}:\n{}", w.screen());
}

/// Waits for the wizard to have checked the credentials against moto.
async fn wait_online(w: &mut Headless) {
    let online = |app: &sluice::tui::App| matches!(app.model.connection, Connection::Online { .. });
    assert!(w.wait_for(WAIT, online).await, "{}", w.screen());
}

fn ready(app: &sluice::tui::App) -> bool {
    app.model.derived.live && app.model.derived.pending == 0
}

#[tokio::test(flavor = "multi_thread")]
async fn review_apply_verify_preview_data_and_done_against_moto() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    // Someone else's queue entry is on the bucket already (the bucket exists).
    common::create_stack_bucket(&moto, "wiz-source", "wiz");
    let other = aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "other-team"],
    );
    let other_url = other["QueueUrl"].as_str().unwrap().to_owned();
    let other_arn = format!("arn:aws:sqs:us-west-2:{ACCOUNT_ID}:other-team");
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            "wiz-source",
            "--notification-configuration",
            &format!(
                r#"{{"QueueConfigurations":[{{"Id":"other","QueueArn":"{other_arn}","Events":["s3:ObjectCreated:*"],"Filter":{{"Key":{{"FilterRules":[{{"Name":"prefix","Value":"other/"}}]}}}}}}]}}"#
            ),
        ],
    );
    let _ = other_url;

    let mut w = Headless::new(setup(sdk_clients(&moto).await, dir.path()), 100, 30);
    wait_online(&mut w).await;
    assert!(
        w.screen().contains(&format!("● account {ACCOUNT_ID}")),
        "{}",
        w.screen()
    );

    // Through the form steps; the bucket step shows the live lookup.
    // On Welcome the first Enter edits the waiting name field; then four steps on.
    for _ in 0..5 {
        w.press(KeyCode::Enter);
    }
    assert_eq!(w.app().model.step, Step::Bucket);
    assert!(
        w.wait_for(WAIT, |app| app.model.slots
            [&SlotId::Kind(ResourceKind::Bucket)]
            .found
            .is_some())
            .await,
        "{}",
        w.screen()
    );
    // moto is reached over plain HTTP: the wizard warns that the
    // deny-insecure-transport statement would refuse it; switch it off.
    sluice_focus(&mut w, FieldId::DenyInsecureTransport);
    let (warning, _) = sluice::tui::screens::form::lookup_note(
        &w.app().model,
        &w.app().form,
        FieldId::DenyInsecureTransport,
    )
    .map(|n| (n.line(), n.kind))
    .unwrap();
    assert!(
        warning.ends_with("is plain HTTP: this statement denies every request made through it"),
        "{warning}"
    );
    assert!(w.screen().contains("plain HTTP"), "{}", w.screen());
    w.press(KeyCode::Char(' '));
    assert!(!w.app().model.spec.bucket.deny_insecure_transport);
    let bucket = w.screen();
    let (line, _) =
        sluice::tui::screens::form::lookup_note(&w.app().model, &w.app().form, FieldId::BucketName)
            .map(|n| (n.line(), n.kind))
            .unwrap();
    assert!(
        line.starts_with("● exists in us-west-2, owned by this account"),
        "{line}"
    );
    assert!(
        bucket.contains("● exists in us-west-2, owned by this"),
        "{bucket}"
    );
    assert!(
        bucket.contains(" update +"),
        "a diff against the bucket as it is:\n{bucket}"
    );

    // The notification step merges ours beside the other team's entry.
    w.press(KeyCode::Enter);
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Notification);
    let notify = w.screen();
    assert!(notify.contains("update +"), "{notify}");
    w.press(KeyCode::PageDown);
    assert!(
        w.screen().contains("queue other →"),
        "foreign entries are listed:\n{}",
        w.screen()
    );

    // Review: read live, then apply after y.
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Review);
    assert!(w.wait_for(WAIT, ready).await, "{}", w.screen());
    let review = w.screen();
    assert!(review.contains("(read live)"), "{review}");
    assert!(
        review.contains("~ update    bucket") || review.contains("~ bucket"),
        "{review}"
    );
    w.press(KeyCode::Enter);
    assert!(w.screen().contains("Apply?"), "{}", w.screen());
    w.press(KeyCode::Char('y'));
    assert_eq!(w.app().model.step, Step::Apply);
    assert!(
        w.wait_for(WAIT, |app| !app.apply.run.running).await,
        "{}",
        w.screen()
    );
    let applied = w.screen();
    assert!(w.app().apply.failure.is_none(), "{applied}");
    assert!(
        w.app()
            .apply
            .run
            .rows
            .iter()
            .all(|r| r.state == RowState::Done),
        "{applied}"
    );
    assert!(applied.contains("✓ policy wiz-policy"), "{applied}");
    assert!(
        applied.contains("Backups of prior states"),
        "the bucket's notification was backed up:\n{applied}"
    );
    let config = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "wiz-source",
        ],
    );
    let ids: Vec<&str> = config["QueueConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["Id"].as_str())
        .collect();
    assert_eq!(ids, ["other", "wiz-object-created"], "{config}");

    // Verify starts on its own.
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Verify);
    assert!(
        w.wait_for(WAIT, |app| app.verify.report.is_some()).await,
        "{}",
        w.screen()
    );
    let report = w.app().verify.report.clone().unwrap();
    assert!(report.passed(), "{report:#?}\n{}", w.screen());
    for name in [
        "caller-identity",
        "upload",
        "event",
        "event-key",
        "role-assume",
        "cleanup-object",
    ] {
        assert_eq!(
            report.check(name.parse().unwrap()).map(|c| &c.outcome),
            Some(&Verdict::Pass),
            "{name}"
        );
    }
    let verified = w.screen();
    assert!(
        verified.contains("✓ the S3 event arrives on wiz-queue"),
        "{verified}"
    );
    assert!(verified.contains("14 checks passed"), "{verified}");

    // An object under the prefix; the data preview decodes it. S3 keeps
    // modification times to the second: a second after the notification,
    // so that the object does not seem to predate it.
    std::thread::sleep(Duration::from_millis(1100));
    let older = dir.path().join("a.ndjson");
    std::fs::write(&older, "{\"old\":true}\n").unwrap();
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "wiz-source",
            "--key",
            "logs/2025/a.ndjson",
            "--body",
            older.to_str().unwrap(),
        ],
    );
    // S3 keeps modification times to the second.
    std::thread::sleep(Duration::from_millis(1100));
    let body = dir.path().join("b.ndjson");
    std::fs::write(
        &body,
        "{\"user\":\"ana\",\"n\":1}\n{\"user\":\"bo\",\"n\":2}\n",
    )
    .unwrap();
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "wiz-source",
            "--key",
            "logs/2025/b.ndjson",
            "--body",
            body.to_str().unwrap(),
        ],
    );
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Data);
    assert!(
        w.wait_for(WAIT, |app| app.data.result.is_some()).await,
        "{}",
        w.screen()
    );
    let data = w.screen();
    let report = w.app().data.result.clone().unwrap().unwrap();
    assert_eq!(report.matching, 2, "{data}");
    let sample = report.sample.clone().unwrap().unwrap();
    assert_eq!(sample.key, "logs/2025/b.ndjson", "the newest: {data}");
    assert_eq!(sample.format, "ndjson");
    assert_eq!(sample.compression, "none");
    assert_eq!(
        sample.records,
        [r#"{"user":"ana","n":1}"#, r#"{"user":"bo","n":2}"#]
    );
    assert!(data.contains("{\"user\":\"ana\",\"n\":1}"), "{data}");
    // Both objects were uploaded after the notification was put in place:
    // S3 announced them, so there is nothing to backfill.
    assert!(
        data.contains("No object predates the notification"),
        "{data}"
    );
    assert!(!data.contains("sluice backfill --config"), "{data}");

    // Done: the queue URL as moto reports it.
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Done);
    let values = w.app().connector_values();
    let url = &values.iter().find(|(k, _)| *k == "queue_url").unwrap().1;
    assert!(
        url.contains("wiz-queue") && url.starts_with("http"),
        "{url}"
    );
    let role = &values.iter().find(|(k, _)| *k == "role_arn").unwrap().1;
    assert_eq!(role, &format!("arn:aws:iam::{ACCOUNT_ID}:role/wiz-role"));
    w.press(KeyCode::Char('c'));
    assert_eq!(w.clipboard().last(), Some(role));

    // d: consume now in the dashboard (the default sink, under the ingest
    // directory), q there, and back to Done with what the run did.
    w.press(KeyCode::Char('d'));
    assert!(
        w.screen().contains("Consume the queue now"),
        "{}",
        w.screen()
    );
    w.press(KeyCode::Enter);
    assert!(
        w.wait_for(WAIT, |app| !app.done.consume.preparing).await,
        "{}",
        w.screen()
    );
    let Some((id, run)) = w.runtime.take_dashboard() else {
        panic!("no dashboard: {}", w.screen());
    };
    assert_eq!(run.info.queue, "wiz-queue");
    let sink = dir.path().join("ingest/wiz");
    assert_eq!(
        run.info.sink.as_deref(),
        Some(format!("dir:{}", sink.display()).as_str())
    );
    let metrics = run.metrics.clone();
    // The keys: q once the two objects' three records are written.
    let keys = Box::pin(
        futures::stream::once(async move {
            let deadline = std::time::Instant::now() + WAIT;
            while metrics.counters.values().records < 3 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(Event::Key(KeyEvent::from(KeyCode::Char('q'))))
        })
        .chain(futures::stream::pending()),
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let ended = tokio::time::timeout(WAIT, hand_over(&mut terminal, keys, id, *run))
        .await
        .expect("the dashboard did not quit")
        .unwrap();
    let last = screen_text(&terminal);
    // q with nothing held leaves at once, back to Done (no stopped frame to dismiss).
    assert!(last.contains("wiz-queue"), "{last}");
    w.send(ended);
    assert_eq!(w.app().model.step, Step::Done);
    let done = w.screen();
    assert!(done.contains("✓ last run: 3 records into dir:"), "{done}");
    assert!(done.contains("3 records written"), "{done}");
    let written: usize = common::files_under(&sink)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "ndjson"))
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert_eq!(written, 3, "{:?}", common::files_under(&sink));
    assert_eq!(common::queue_depth(&moto, "wiz-queue"), (0, 0));

    // Back to the review: the account matches the spec now.
    for _ in 0..4 {
        w.press(KeyCode::Esc);
    }
    assert_eq!(w.app().model.step, Step::Review);
    assert!(w.wait_for(WAIT, ready).await, "{}", w.screen());
    assert!(!w.app().model.derived.plan.has_changes(), "{}", w.screen());
    assert!(w.screen().contains("Nothing to change"), "{}", w.screen());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_typed_on_the_bucket_step_is_looked_up_live() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    common::create_bucket(&moto, "already-here");
    let mut w = Headless::new(setup(sdk_clients(&moto).await, dir.path()), 80, 24);
    wait_online(&mut w).await;
    // On Welcome the first Enter edits the waiting name field; then four steps on.
    for _ in 0..5 {
        w.press(KeyCode::Enter);
    }
    // Adopt an existing bucket: a missing one blocks Next; typing its name finds it.
    w.press(KeyCode::Right);
    assert_eq!(w.app().form.focus, Some(FieldId::BucketCreate));
    w.press(KeyCode::Tab);
    w.press(KeyCode::Home);
    w.ctrl('k');
    w.type_text("already-her");
    assert!(
        w.wait_for(WAIT, |app| app.model.slots
            [&SlotId::Kind(ResourceKind::Bucket)]
            .found
            .is_some())
            .await,
        "{}",
        w.screen()
    );
    assert!(w.screen().contains("✗ no such bucket"), "{}", w.screen());
    w.press(KeyCode::Enter);
    assert_eq!(
        w.app().model.step,
        Step::Bucket,
        "Next refused: {}",
        w.screen()
    );
    assert!(
        w.app()
            .model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("no such bucket")
    );
    w.type_text("e");
    assert!(
        w.wait_for(WAIT, |app| app.model.slots
            [&SlotId::Kind(ResourceKind::Bucket)]
            .found
            .is_some())
            .await,
        "{}",
        w.screen()
    );
    assert!(
        w.screen().contains("● exists in us-west-2"),
        "{}",
        w.screen()
    );
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Queue);
}

/// What the stack has that the spec no longer has (a role of the stack
/// under an earlier name, the user the spec turned off) is read on the
/// review, listed there and in the confirmation, and removed by the
/// wizard's apply as `sluice apply` removes it; a role of the same prefix
/// that is not the stack's stays.
#[tokio::test(flavor = "multi_thread")]
async fn the_wizards_apply_retires_what_the_spec_no_longer_names() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    common::create_role(
        &moto,
        "wizold-earlier-role",
        &["Key=sluice:stack,Value=wizold"],
    );
    common::create_role(&moto, "wizold-theirs-role", &["Key=team,Value=data"]);
    aws_cli(
        &moto,
        &[
            "iam",
            "create-user",
            "--user-name",
            "wizold-user",
            "--tags",
            "Key=sluice:stack,Value=wizold",
        ],
    );
    let mut w = Headless::new(
        setup_named(sdk_clients(&moto).await, dir.path(), "wizold"),
        140,
        40,
    );
    wait_online(&mut w).await;
    for _ in 0..12 {
        if w.app().model.step == Step::Review {
            break;
        }
        w.press(KeyCode::Enter);
    }
    assert_eq!(w.app().model.step, Step::Review, "{}", w.screen());
    assert!(w.wait_for(WAIT, ready).await, "{}", w.screen());
    let review = w.screen();
    assert!(
        review.contains("- role              wizold-earlier-role"),
        "{review}"
    );
    assert!(
        review.contains("- user              wizold-user"),
        "{review}"
    );
    assert!(!review.contains("wizold-theirs-role"), "{review}");
    w.press(KeyCode::Enter);
    let confirm = w.screen();
    assert!(
        confirm.contains("delete role wizold-earlier-role"),
        "{confirm}"
    );
    w.press(KeyCode::Char('y'));
    assert!(
        w.wait_for(WAIT, |app| !app.apply.run.running).await,
        "{}",
        w.screen()
    );
    assert!(w.app().apply.failure.is_none(), "{}", w.screen());
    let roles = aws_cli(&moto, &["iam", "list-roles"]);
    let names: Vec<&str> = roles["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["RoleName"].as_str())
        .filter(|name| name.starts_with("wizold-"))
        .collect();
    assert!(names.contains(&"wizold-role"), "{names:?}");
    assert!(names.contains(&"wizold-theirs-role"), "{names:?}");
    assert!(!names.contains(&"wizold-earlier-role"), "{names:?}");
    let users = aws_cli(&moto, &["iam", "list-users"]);
    assert!(
        !users.to_string().contains("wizold-user"),
        "the user the spec turned off is gone: {users}"
    );
}
