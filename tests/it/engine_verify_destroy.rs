//! `verify` and `destroy` against moto, on stacks built by the exported
//! setup.sh (the same way tests/it/export_bundle.rs builds them).

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{
    ACCOUNT_ID, Moto, REGION, aws_cli, ok, queue_url, run, sdk_clients as clients, shared,
    sluice_offline as sluice, venv,
};
use serde_json::{Value, json};
use sluice::aws::destroy::{DestroyOptions, DestroyReport, destroy};
use sluice::aws::progress::{CheckId, Event, KeptReason, Reporter, StepId, StepOutcome};
use sluice::aws::verify::{SIMULATION_NOT_AVAILABLE, Verdict, VerifyOptions, VerifyReport, verify};
use sluice::docs::ResourceKind;
use sluice::spec::Spec;

const BUCKET: &str = "acme-ingest-source";
const QUEUE: &str = "acme-ingest-queue";
const DLQ: &str = "acme-ingest-queue-dlq";
const ROLE: &str = "acme-ingest-role";
const NOTIFICATION_ID: &str = "acme-ingest-object-created";

/// A spec for moto's account with `edit` applied, exported, and set up
/// against moto with the bundle's setup.sh. Returns the spec as loaded.
fn set_up(moto: &Moto, dir: &Path, edit: impl FnOnce(&mut Value)) -> Spec {
    ok(sluice(
        dir,
        &[
            "init",
            "--name",
            "acme-ingest",
            "--region",
            REGION,
            "--account-id",
            ACCOUNT_ID,
            "--out",
            "base.json",
            "--force",
        ],
    ));
    let mut spec: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("base.json")).unwrap()).unwrap();
    // moto applies the Deny of a bucket policy to object requests without
    // evaluating its aws:SecureTransport condition, and it is reached over
    // plain HTTP anyway: with that statement, every PutObject is refused.
    spec["bucket"]["deny_insecure_transport"] = json!(false);
    edit(&mut spec);
    let path = dir.join("spec.json");
    fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    ok(sluice(
        dir,
        &[
            "export",
            "--config",
            path.to_str().unwrap(),
            "--out",
            "bundle",
        ],
    ));
    let bundle: PathBuf = dir.join("bundle");
    ok(run(moto
        .command("bash")
        .arg(bundle.join("setup.sh"))
        .arg("--yes")
        .current_dir(&bundle)
        .env("SLUICE_BACKUP_DIR", dir.join("backups"))));
    sluice::spec::load(&path).unwrap().spec
}

/// A reporter and everything it was sent.
fn recorder() -> (Reporter, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (Reporter::new(tx), rx)
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) -> Vec<Event> {
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}

fn outcome<'a>(report: &'a VerifyReport, name: &str) -> &'a Verdict {
    let id: CheckId = name.parse().unwrap();
    &report
        .check(id)
        .unwrap_or_else(|| panic!("no check {name} in {report:#?}"))
        .outcome
}

fn queue_counts(moto: &Moto, url: &str) -> (String, String) {
    let attrs = aws_cli(
        moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            url,
            "--attribute-names",
            "All",
        ],
    );
    (
        attrs["Attributes"]["ApproximateNumberOfMessages"]
            .as_str()
            .unwrap()
            .to_owned(),
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn notification(moto: &Moto) -> Value {
    common::notification(moto, BUCKET)
}

/// Whether an AWS CLI call succeeds (for "does it still exist").
fn exists(moto: &Moto, args: &[&str]) -> bool {
    run(moto
        .command(venv().join("bin/aws"))
        .args(["--endpoint-url", &moto.endpoint, "--output", "json"])
        .args(args))
    .status
    .success()
}

fn with_filter(spec: &mut Value) {
    spec["bucket"]["prefix"] = json!("events/");
    spec["bucket"]["suffix"] = json!(".json");
}

// ---------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn verify_passes_on_a_correct_setup_and_the_odd_key_round_trips() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = set_up(&moto, dir.path(), with_filter);
    let url = queue_url(&moto, QUEUE);
    // Configuring the notification made moto (like S3) send an s3:TestEvent.
    assert_eq!(queue_counts(&moto, &url).0, "1");

    let clients = clients(&moto).await;
    let (reporter, mut rx) = recorder();
    let options = VerifyOptions {
        timeout: Duration::from_secs(10),
        user_key: None,
        ..VerifyOptions::default()
    };
    let report = verify(&clients, &spec, &options, &reporter).await;
    assert!(report.passed(), "{report:#?}");

    let key = report.object_key.clone().unwrap();
    assert!(key.starts_with("events/sluice-verify/"), "{key}");
    assert!(key.ends_with(".json"), "{key}");
    assert!(
        key.contains(' ') && key.contains('+') && key.contains('é'),
        "{key}"
    );
    for name in [
        "caller-identity",
        "queue-url",
        "upload",
        "event",
        "event-source",
        "event-name",
        "event-bucket",
        "event-key",
        "role-assume",
        "role-receive-message",
        "role-get-object",
        "cleanup-message",
        "cleanup-object",
    ] {
        assert_eq!(
            outcome(&report, name),
            &Verdict::Pass,
            "{name}: {report:#?}"
        );
    }
    // moto does not implement iam:SimulatePrincipalPolicy: never a pass.
    assert_eq!(
        outcome(&report, "simulate-role"),
        &Verdict::NotAvailable(SIMULATION_NOT_AVAILABLE.to_owned())
    );
    assert!(
        report.check(CheckId::SimulateUser).is_none(),
        "the spec has no user"
    );

    // Every check was reported: started, then succeeded or failed.
    let events = drain(&mut rx);
    for check in &report.checks {
        let step = StepId::Check(check.name);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Started { step: s, .. } if *s == step)),
            "{step} not started: {events:#?}"
        );
        assert!(
            events.iter().any(
                |e| matches!(e, Event::Finished { step: s, .. } | Event::Failed { step: s, .. } if *s == step)
            ),
            "{step} not finished: {events:#?}"
        );
    }

    // Nothing left behind: our message, the test event and the object are gone.
    assert_eq!(queue_counts(&moto, &url), ("0".to_owned(), "0".to_owned()));
    let listed = aws_cli(&moto, &["s3api", "list-objects-v2", "--bucket", BUCKET]);
    assert!(listed.get("Contents").is_none(), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_missing_notification() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = set_up(&moto, dir.path(), with_filter);
    common::put_notification(&moto, BUCKET, "{}");
    // A message of someone else's in the new queue, received once while verify waits.
    let url = queue_url(&moto, QUEUE);
    aws_cli(
        &moto,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "not an S3 event",
        ],
    );

    let clients = clients(&moto).await;
    let options = VerifyOptions {
        timeout: Duration::from_secs(3),
        user_key: None,
        ..VerifyOptions::default()
    };
    let report = verify(&clients, &spec, &options, &Reporter::silent()).await;
    assert!(!report.passed());
    let Verdict::Fail(cause) = outcome(&report, "event") else {
        panic!("{report:#?}");
    };
    assert!(
        cause.starts_with(
            "no event within 3 s: check the bucket notification (prefix/suffix) and the queue policy's aws:SourceArn"
        ),
        "{cause}"
    );
    assert!(
        cause.contains(
            "the bucket acme-ingest-source has no notification entry acme-ingest-object-created"
        ),
        "{cause}"
    );
    // No event, so no event details; the object is still cleaned up.
    assert!(report.check(CheckId::EventKey).is_none());
    assert_eq!(outcome(&report, "cleanup-object"), &Verdict::Pass);
    let listed = aws_cli(&moto, &["s3api", "list-objects-v2", "--bucket", BUCKET]);
    assert!(listed.get("Contents").is_none(), "{listed}");
    // The other message was held back after its one receive, then released.
    assert_eq!(outcome(&report, "cleanup-unrelated"), &Verdict::Pass);
    assert_eq!(queue_counts(&moto, &url), ("1".to_owned(), "0".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_returns_unrelated_messages_and_never_deletes_them() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = set_up(&moto, dir.path(), with_filter);
    let url = queue_url(&moto, QUEUE);
    let other_event = json!({"Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": "events/someone-else.json"}}
    }]})
    .to_string();
    for body in ["hello from another producer", other_event.as_str()] {
        aws_cli(
            &moto,
            &[
                "sqs",
                "send-message",
                "--queue-url",
                &url,
                "--message-body",
                body,
            ],
        );
    }

    // With consent: verify receives from a queue holding messages of others.
    let clients = clients(&moto).await;
    let options = VerifyOptions {
        timeout: Duration::from_secs(10),
        user_key: None,
        probe_busy_queue: true,
        ..VerifyOptions::default()
    };
    let report = verify(&clients, &spec, &options, &Reporter::silent()).await;
    assert!(report.passed(), "{report:#?}");

    // Both are still there, and visible right away.
    assert_eq!(queue_counts(&moto, &url), ("2".to_owned(), "0".to_owned()));
    let got = aws_cli(
        &moto,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--max-number-of-messages",
            "10",
            "--wait-time-seconds",
            "1",
        ],
    );
    let mut bodies: Vec<&str> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].as_str().unwrap())
        .collect();
    bodies.sort();
    let mut expected = vec!["hello from another producer", other_event.as_str()];
    expected.sort();
    assert_eq!(bodies, expected);
}

// ---------------------------------------------------------------------------
// destroy
// ---------------------------------------------------------------------------

/// Adds entries of others (which do not overlap `events/*.json`) to the bucket's configuration.
fn add_foreign_notifications(moto: &Moto) -> Value {
    let mut config = notification(moto);
    let queues = config["QueueConfigurations"].as_array_mut().unwrap();
    queues.insert(
        0,
        json!({
            "Id": "images", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:images",
            "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}
        }),
    );
    config["TopicConfigurations"] = json!([{
        "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
        "Events": ["s3:ObjectRemoved:*"]
    }]);
    config["LambdaFunctionConfigurations"] = json!([{
        "Id": "thumbs", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:123456789012:function:thumbs",
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}
    }]);
    common::put_notification(moto, BUCKET, &config.to_string());
    notification(moto)
}

fn kept_reason(report: &DestroyReport, label: &str) -> String {
    report
        .kept
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, why)| why.to_string())
        .unwrap_or_else(|| panic!("{label} not kept: {report:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_removes_the_stack_but_not_foreign_entries_nor_a_full_bucket_without_force() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = set_up(&moto, dir.path(), |s| {
        with_filter(s);
        s["bucket"]["versioning"] = json!(true);
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
    });
    let before = add_foreign_notifications(&moto);
    assert_eq!(before["QueueConfigurations"].as_array().unwrap().len(), 2);
    // Two versions of one object.
    for _ in 0..2 {
        aws_cli(
            &moto,
            &[
                "s3api",
                "put-object",
                "--bucket",
                BUCKET,
                "--key",
                "events/a.json",
            ],
        );
    }
    let clients = clients(&moto).await;

    let (reporter, mut rx) = recorder();
    let report = destroy(&clients, &spec, &DestroyOptions::default(), &reporter)
        .await
        .unwrap();
    for label in [
        "notification acme-ingest-object-created on bucket acme-ingest-source",
        "dead-letter queue acme-ingest-queue-dlq",
        "policy acme-ingest-policy",
        "role acme-ingest-role",
        "user acme-ingest-user",
    ] {
        assert!(
            report.removed.iter().any(|l| l == label),
            "{label}: {report:#?}"
        );
    }
    // Other teams' entries depend on the bucket: kept whatever the flags.
    assert!(
        kept_reason(&report, "bucket acme-ingest-source").starts_with(
            "in use by what is not this stack's: notification entry images (to queue arn:aws:sqs:us-west-2:123456789012:images)"
        ),
        "{report:#?}"
    );
    // The queue holds the two test events and both objects' events: a backlog.
    assert_eq!(
        kept_reason(&report, "queue acme-ingest-queue"),
        "not empty: it holds 4 messages (4 visible, 0 in flight, 0 delayed)"
    );
    let events = drain(&mut rx);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Finished { step, detail, outcome: StepOutcome::Kept(KeptReason::InUse(_)), .. }
            if *step == StepId::Destroy(ResourceKind::Bucket) && detail.starts_with("kept: in use"))),
        "{events:#?}"
    );

    // (a) The entries of others, byte for byte; ours is gone.
    let after = notification(&moto);
    for kind in ["TopicConfigurations", "LambdaFunctionConfigurations"] {
        assert_eq!(
            serde_json::to_string(&after[kind]).unwrap(),
            serde_json::to_string(&before[kind]).unwrap(),
            "{kind}"
        );
    }
    assert_eq!(
        serde_json::to_string(&after["QueueConfigurations"]).unwrap(),
        serde_json::to_string(&json!([before["QueueConfigurations"][0]])).unwrap()
    );
    assert_eq!(before["QueueConfigurations"][1]["Id"], NOTIFICATION_ID);

    // The rest of the stack is gone.
    assert!(exists(
        &moto,
        &["sqs", "get-queue-url", "--queue-name", QUEUE]
    ));
    assert!(!exists(
        &moto,
        &["sqs", "get-queue-url", "--queue-name", DLQ]
    ));
    assert!(!exists(&moto, &["iam", "get-role", "--role-name", ROLE]));
    assert!(!exists(
        &moto,
        &["iam", "get-user", "--user-name", "acme-ingest-user"]
    ));
    assert_eq!(
        aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"])["Policies"],
        json!([])
    );
    assert!(exists(&moto, &["s3api", "head-bucket", "--bucket", BUCKET]));

    // Again without force: nothing more to do, the bucket still kept.
    let again = destroy(
        &clients,
        &spec,
        &DestroyOptions::default(),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(again.removed, Vec::<String>::new(), "{again:#?}");
    assert_eq!(again.already_gone.len(), 5, "{again:#?}");
    assert!(kept_reason(&again, "bucket acme-ingest-source").starts_with("in use"));
    assert!(kept_reason(&again, "queue acme-ingest-queue").starts_with("not empty"));
    assert_eq!(notification(&moto), after);

    // (c) With force: the queue's messages are saved, then it goes. The
    // bucket's objects are no messages: force alone keeps them, and the
    // other teams' entries keep the bucket whatever the flags.
    let backups = dir.path().join("backups");
    let forced = destroy(
        &clients,
        &spec,
        &DestroyOptions {
            force: true,
            delete_objects: true,
            backup_base: Some(backups.clone()),
        },
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(forced.removed, ["queue acme-ingest-queue"], "{forced:#?}");
    let in_use = kept_reason(&forced, "bucket acme-ingest-source");
    for named in [
        "notification entry images (to queue arn:aws:sqs:us-west-2:123456789012:images)",
        "notification entry audit (to topic arn:aws:sns:us-west-2:123456789012:audit)",
        "notification entry thumbs (to function arn:aws:lambda:us-west-2:123456789012:function:thumbs)",
        "it holds 1 object",
    ] {
        assert!(in_use.contains(named), "{named}: {in_use}");
    }
    assert!(matches!(forced.kept[0].1, KeptReason::InUse(_)));
    // The other teams are gone: only the objects are left, under their own flag.
    common::put_notification(&moto, BUCKET, "{}");
    let kept = destroy(
        &clients,
        &spec,
        &DestroyOptions {
            force: true,
            ..DestroyOptions::default()
        },
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(
        kept_reason(&kept, "bucket acme-ingest-source"),
        "not empty: it holds 1 object"
    );
    let forced = destroy(
        &clients,
        &spec,
        &DestroyOptions {
            delete_objects: true,
            ..DestroyOptions::default()
        },
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(forced.removed, ["bucket acme-ingest-source"], "{forced:#?}");
    let saved: Vec<_> = common::files_under(&backups)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy()
                .contains("queue-messages-acme-ingest-queue")
        })
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let saved: Value = serde_json::from_str(&fs::read_to_string(&saved[0]).unwrap()).unwrap();
    assert_eq!(
        saved["messages"].as_array().map(Vec::len),
        Some(4),
        "{saved}"
    );
    assert!(forced.kept.is_empty(), "{forced:#?}");
    assert!(!exists(
        &moto,
        &["s3api", "head-bucket", "--bucket", BUCKET]
    ));

    // Idempotent: everything is already gone.
    let last = destroy(
        &clients,
        &spec,
        &DestroyOptions {
            force: true,
            ..DestroyOptions::default()
        },
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert!(last.removed.is_empty() && last.kept.is_empty(), "{last:#?}");
    assert_eq!(last.already_gone.len(), 7, "{last:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_keeps_same_named_resources_without_the_stack_tag() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = set_up(&moto, dir.path(), |_| {});
    let url = queue_url(&moto, QUEUE);
    // The queue and the role lose their tags (as if made by someone else),
    // and the queue's access policy holds a statement of others besides ours.
    aws_cli(
        &moto,
        &[
            "sqs",
            "untag-queue",
            "--queue-url",
            &url,
            "--tag-keys",
            "sluice:stack",
            "managed-by",
        ],
    );
    aws_cli(
        &moto,
        &[
            "iam",
            "untag-role",
            "--role-name",
            ROLE,
            "--tag-keys",
            "sluice:stack",
            "managed-by",
        ],
    );
    let attrs = aws_cli(
        &moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "Policy",
        ],
    );
    let mut policy: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    let theirs = json!({
        "Sid": "TheirSender", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"
    });
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .insert(0, theirs.clone());
    aws_cli(
        &moto,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &json!({"Policy": policy.to_string()}).to_string(),
        ],
    );

    let clients = clients(&moto).await;
    let report = destroy(
        &clients,
        &spec,
        &DestroyOptions::default(),
        &Reporter::silent(),
    )
    .await
    .unwrap();

    // (b) Kept, saying why.
    assert_eq!(
        kept_reason(&report, "queue acme-ingest-queue"),
        "not tagged sluice:stack=acme-ingest: sluice did not create it; only our statement AllowS3ToSendMessage was removed from its access policy"
    );
    assert_eq!(
        kept_reason(&report, "role acme-ingest-role"),
        "not tagged sluice:stack=acme-ingest: sluice did not create it"
    );
    assert!(exists(
        &moto,
        &["sqs", "get-queue-url", "--queue-name", QUEUE]
    ));
    assert!(exists(&moto, &["iam", "get-role", "--role-name", ROLE]));
    // Only our statement left the queue's policy.
    let attrs = aws_cli(
        &moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "Policy",
        ],
    );
    let policy: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"], json!([theirs]));

    // The stack's dead-letter queue stays: the queue that is not the
    // stack's sends its failed messages there.
    assert_eq!(
        kept_reason(&report, "dead-letter queue acme-ingest-queue-dlq"),
        "the dead-letter queue of queue acme-ingest-queue, not this stack's: their failed messages would have nowhere to go"
    );
    assert!(exists(
        &moto,
        &["sqs", "get-queue-url", "--queue-name", DLQ]
    ));
    // What was tagged went: the policy (detached from the kept role first), the empty bucket.
    for label in [
        "policy acme-ingest-policy",
        "bucket acme-ingest-source",
        "statement AllowS3ToSendMessage of the access policy of queue acme-ingest-queue",
    ] {
        assert!(
            report.removed.iter().any(|l| l == label),
            "{label}: {report:#?}"
        );
    }
    let attached = aws_cli(
        &moto,
        &["iam", "list-attached-role-policies", "--role-name", ROLE],
    );
    assert_eq!(attached["AttachedPolicies"], json!([]));
    assert!(!exists(
        &moto,
        &["s3api", "head-bucket", "--bucket", BUCKET]
    ));

    // A second run removes nothing more and keeps the same.
    let again = destroy(
        &clients,
        &spec,
        &DestroyOptions::default(),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert!(again.removed.is_empty(), "{again:#?}");
    assert_eq!(
        kept_reason(&again, "queue acme-ingest-queue"),
        "not tagged sluice:stack=acme-ingest: sluice did not create it"
    );
}

/// `sluice ARGS` in `dir` against `moto`, run to the end.
fn sluice_at(moto: &Moto, dir: &Path, args: &[&str]) -> std::process::Output {
    run(&mut common::sluice(moto, dir, args))
}

/// Objects are data of their own: `--force` (a queue's backlog) keeps a
/// bucket that holds them; `--delete-objects` deletes them and says how many.
#[test]
fn a_bucket_with_objects_survives_force_and_goes_only_with_delete_objects() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::apply_stack(&moto, dir, &[]);
    common::upload_records(&moto, dir, 3, 2);
    let destroy = |extra: &[&str]| {
        let mut args = vec![
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ];
        args.extend_from_slice(extra);
        sluice_at(&moto, dir, &args)
    };
    let forced = destroy(&["--force"]);
    let said = common::said(&forced);
    assert_eq!(
        forced.status.code(),
        Some(2),
        "the objects are kept: {said}"
    );
    assert!(
        said.contains("bucket acme-ingest-source holds 3 objects: kept (--delete-objects deletes the objects and the bucket)"),
        "{said}"
    );
    assert!(
        said.contains("kept     bucket acme-ingest-source: not empty: it holds 3 objects (destroy --delete-objects deletes its objects and it)"),
        "{said}"
    );
    // The queue's backlog went, under its own flag, into the backup.
    assert!(said.contains("removed  queue acme-ingest-queue"), "{said}");
    assert!(said.contains("(bodies and attributes)"), "{said}");
    assert!(
        !said.contains("deleted (messages are backed up first)"),
        "{said}"
    );
    assert!(exists(&moto, &["s3api", "head-bucket", "--bucket", BUCKET]));
    let listed = aws_cli(&moto, &["s3api", "list-objects-v2", "--bucket", BUCKET]);
    assert_eq!(
        listed["Contents"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );

    let deleted = destroy(&["--force", "--delete-objects"]);
    let said = common::said(&deleted);
    assert_eq!(deleted.status.code(), Some(0), "{said}");
    assert!(
        said.contains(
            "deleted 3 objects (3 versions and delete markers in all; objects are not backed up)"
        ),
        "{said}"
    );
    assert!(
        said.contains("removed  bucket acme-ingest-source"),
        "{said}"
    );
    assert!(!exists(
        &moto,
        &["s3api", "head-bucket", "--bucket", BUCKET]
    ));
}

/// A bucket another stack adopted and routes through EventBridge stays,
/// whatever the flags, and destroy names the rule that depends on it.
#[test]
fn a_bucket_another_stacks_rule_depends_on_survives_every_flag() {
    let moto = shared();
    let ours = tempfile::tempdir().unwrap();
    let ours = ours.path();
    common::apply_stack(&moto, ours, &[]);
    common::upload_records(&moto, ours, 2, 2);
    let theirs = tempfile::tempdir().unwrap();
    let theirs = theirs.path();
    common::init_spec(
        &moto,
        theirs,
        &["--name", "lake", "--connector", "databend"],
        &[
            "bucket.name=acme-ingest-source",
            "bucket.create=false",
            "bucket.prefix=in/",
            "bucket.deny_insecure_transport=false",
            "notification.delivery=eventbridge",
            "role.trusted_principals=[\"arn:aws:iam::123456789012:role/setup\",\"arn:aws:iam::123456789012:role/load\"]",
            "role.external_id=org-1",
        ],
    );
    ok(sluice_at(
        &moto,
        theirs,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ],
    ));
    for extra in [&["--force"][..], &["--force", "--delete-objects"][..]] {
        let mut args = vec![
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ];
        args.extend_from_slice(extra);
        let destroyed = sluice_at(&moto, ours, &args);
        let said = common::said(&destroyed);
        assert_eq!(destroyed.status.code(), Some(2), "{extra:?}: {said}");
        assert!(
            said.contains("kept     bucket acme-ingest-source: in use by what is not this stack's: EventBridge rule lake-queue; it holds 2 objects"),
            "{extra:?}: {said}"
        );
        assert!(
            said.contains("bucket acme-ingest-source is kept whatever the flags: EventBridge rule lake-queue depends on it"),
            "{extra:?}: {said}"
        );
        assert!(exists(&moto, &["s3api", "head-bucket", "--bucket", BUCKET]));
        let listed = aws_cli(&moto, &["s3api", "list-objects-v2", "--bucket", BUCKET]);
        assert_eq!(
            listed["Contents"].as_array().map(Vec::len),
            Some(2),
            "{listed}"
        );
    }
    // Their rule and route still work: the EventBridge setting stayed on.
    let config = common::notification(&moto, BUCKET);
    assert!(config.get("EventBridgeConfiguration").is_some(), "{config}");
}

/// After the event, verify reads the bucket's notification again: another
/// writer that replaced the configuration since apply (S3 keeps the last
/// write, and a read-back cannot see a later one) is caught, not passed.
#[test]
fn verify_reads_the_notification_again_and_catches_an_entry_replaced_since() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::apply_stack(&moto, dir, &[]);
    let server = moto.server();
    // The other writer's whole configuration lands just before verify's second read.
    let endpoint = common::hooked_endpoint(&moto, "?notification", move || {
        common::put_notification(server, "acme-ingest-source", "{}");
    });
    let out = common::sluice(
        &moto,
        dir,
        &["verify", "--config", "spec.json", "--output", "json"],
    )
    .env("AWS_ENDPOINT_URL", &endpoint)
    .output()
    .unwrap();
    let said = common::said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let result = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name}: {report}"))
            .clone()
    };
    assert_eq!(result("event")["result"], "pass", "{report}");
    let route = result("event-route");
    assert_eq!(route["result"], "fail", "{report}");
    assert!(
        route["detail"]
            .as_str()
            .unwrap()
            .contains("no longer holds the entry acme-ingest-object-created"),
        "{route}"
    );
}
