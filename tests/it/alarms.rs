//! The pipeline's alarms against moto: apply makes the topic and the three
//! alarms tagged as the stack's, plan is then clean, verify rings one alarm
//! and sees its notification arrive, a changed spec updates (backed up) and
//! retires what it no longer names, restore puts a definition back, and
//! destroy removes only the stack's.

use std::path::Path;

use serde_json::Value;

use crate::common::{self, APPLY_YES, Moto, aws_cli, ok, run, said, shared, sluice};

const STACK: &str = "acme-ingest";

fn alarms(moto: &Moto) -> Vec<Value> {
    let found = aws_cli(
        moto,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            &format!("{STACK}-"),
        ],
    );
    found["MetricAlarms"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn alarm_names(moto: &Moto) -> Vec<String> {
    alarms(moto)
        .iter()
        .filter_map(|a| a["AlarmName"].as_str().map(str::to_owned))
        .collect()
}

fn tags_of(moto: &Moto, arn: &str) -> Value {
    aws_cli(
        moto,
        &[
            "cloudwatch",
            "list-tags-for-resource",
            "--resource-arn",
            arn,
        ],
    )["Tags"]
        .clone()
}

fn topics(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["sns", "list-topics"])["Topics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["TopicArn"].as_str().map(str::to_owned))
        .collect()
}

fn queues(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["sqs", "list-queues"])["QueueUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| q.as_str().map(str::to_owned))
        .collect()
}

/// What `sluice plan` shows (it exits 2 when there is something to do).
fn plan(moto: &Moto, dir: &Path) -> String {
    let out = run(&mut sluice(moto, dir, &["plan", "--config", "spec.json"]));
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", said(&out));
    said(&out)
}

fn init(moto: &Moto, dir: &Path, sets: &[&str]) {
    let mut all = vec![
        "bucket.deny_insecure_transport=false",
        "alarms.enabled=true",
        "alarms.email=ops@example.com",
    ];
    all.extend_from_slice(sets);
    common::init_spec(moto, dir, &["--name", STACK], &all);
}

#[test]
fn alarms_are_made_verified_changed_restored_and_destroyed_only_the_stacks() {
    let guard = shared();
    let moto = guard.server();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(moto, dir, &[]);

    let planned = plan(moto, dir);
    for line in [
        "+ create alarm-topic acme-ingest-alarms",
        "+ create alarm acme-ingest-dlq-not-empty",
        "+ create alarm acme-ingest-oldest-message-age",
        "+ create alarm acme-ingest-stalled",
    ] {
        assert!(planned.contains(line), "{line}:\n{planned}");
    }
    ok(run(&mut sluice(moto, dir, APPLY_YES)));

    // Three alarms, each the stack's, notifying the stack's topic.
    assert_eq!(
        alarm_names(moto),
        [
            "acme-ingest-dlq-not-empty",
            "acme-ingest-oldest-message-age",
            "acme-ingest-stalled"
        ]
    );
    let topic = format!(
        "arn:aws:sns:{}:{}:acme-ingest-alarms",
        common::REGION,
        common::ACCOUNT_ID
    );
    assert!(topics(moto).contains(&topic), "{:?}", topics(moto));
    for alarm in alarms(moto) {
        assert_eq!(alarm["AlarmActions"][0], topic, "{alarm}");
        assert_eq!(alarm["OKActions"][0], topic, "{alarm}");
        let tags = tags_of(moto, alarm["AlarmArn"].as_str().unwrap());
        assert!(
            tags.as_array()
                .unwrap()
                .iter()
                .any(|t| t["Key"] == "sluice:stack" && t["Value"] == STACK),
            "{tags}"
        );
    }
    let stalled = alarms(moto)
        .into_iter()
        .find(|a| a["AlarmName"] == "acme-ingest-stalled")
        .unwrap();
    assert_eq!(
        stalled["Metrics"].as_array().map(Vec::len),
        Some(3),
        "{stalled}"
    );
    let policy: Value = serde_json::from_str(
        aws_cli(
            moto,
            &["sns", "get-topic-attributes", "--topic-arn", &topic],
        )["Attributes"]["Policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["Service"], "cloudwatch.amazonaws.com",
        "{policy}"
    );
    let subscriptions = aws_cli(
        moto,
        &["sns", "list-subscriptions-by-topic", "--topic-arn", &topic],
    );
    assert_eq!(
        subscriptions["Subscriptions"][0]["Endpoint"], "ops@example.com",
        "{subscriptions}"
    );

    // Nothing left to do, and verify's test notification arrives.
    let verified = common::plans_clean_and_verifies(moto, dir, "alarms", "30");
    let shown = said(&verified);
    assert!(
        shown.contains("acme-ingest-dlq-not-empty set to ALARM: its notification arrived"),
        "{shown}"
    );
    // The alarm is OK again and the probe queue is gone.
    let dlq_alarm = alarms(moto)
        .into_iter()
        .find(|a| a["AlarmName"] == "acme-ingest-dlq-not-empty")
        .unwrap();
    assert_eq!(dlq_alarm["StateValue"], "OK", "{dlq_alarm}");
    assert!(
        queues(moto).iter().all(|q| !q.contains("alarm-probe")),
        "{:?}",
        queues(moto)
    );

    // A changed spec: one alarm updated (backed up), one retired.
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spec.json")).unwrap()).unwrap();
    spec["alarms"]["max_message_age_secs"] = 900.into();
    spec["alarms"]["stalled_after_secs"] = 0.into();
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    let planned = plan(moto, dir);
    assert!(
        planned.contains("~ update alarm acme-ingest-oldest-message-age")
            && planned.contains("- delete alarm acme-ingest-stalled"),
        "{planned}"
    );
    let applied = run(&mut sluice(
        moto,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
            "--output",
            "json",
        ],
    ));
    let report: Value = serde_json::from_str(&ok(applied)).unwrap();
    let backup = report["backup_dir"].as_str().unwrap().to_owned();
    let saved = dir.join(&backup);
    assert!(
        saved
            .join("alarm-acme-ingest-oldest-message-age.json")
            .exists(),
        "{backup}: {:?}",
        common::files_under(&saved)
    );
    assert_eq!(
        alarm_names(moto),
        [
            "acme-ingest-dlq-not-empty",
            "acme-ingest-oldest-message-age"
        ]
    );
    let age = |moto: &Moto| {
        alarms(moto)
            .into_iter()
            .find(|a| a["AlarmName"] == "acme-ingest-oldest-message-age")
            .unwrap()["Threshold"]
            .as_f64()
    };
    assert_eq!(age(moto), Some(900.0));
    let planned = run(&mut sluice(moto, dir, &["plan", "--config", "spec.json"]));
    assert_eq!(planned.status.code(), Some(0), "{}", said(&planned));

    // Restore puts the definition before the change back.
    ok(run(&mut sluice(
        moto,
        dir,
        &["restore", "--backup", &backup, "--yes"],
    )));
    assert_eq!(age(moto), Some(1800.0));

    // Someone else's alarm under a name the stack would use is not taken.
    aws_cli(
        moto,
        &[
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            "acme-ingest-stalled",
            "--namespace",
            "AWS/SQS",
            "--metric-name",
            "NumberOfMessagesSent",
            "--statistic",
            "Sum",
            "--period",
            "300",
            "--evaluation-periods",
            "1",
            "--threshold",
            "1",
            "--comparison-operator",
            "GreaterThanThreshold",
        ],
    );
    spec["alarms"]["stalled_after_secs"] = 3600.into();
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    let refused = run(&mut sluice(moto, dir, &["plan", "--config", "spec.json"]));
    let shown = said(&refused);
    assert_ne!(refused.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("alarm acme-ingest-stalled exists and is not this stack's")
            && shown.contains("alarms.stalled_after_secs"),
        "{shown}"
    );

    // Destroy takes the stack's alarms and topic, and keeps the other one.
    let destroyed = run(&mut sluice(
        moto,
        dir,
        &["destroy", "--config", "spec.json", "--yes"],
    ));
    let shown = said(&destroyed);
    assert_eq!(alarm_names(moto), ["acme-ingest-stalled"], "{shown}");
    assert!(!topics(moto).contains(&topic), "{shown}");
    assert!(shown.contains("alarm acme-ingest-stalled"), "{shown}");
}

#[test]
fn a_spec_without_alarms_makes_none_and_turning_them_off_removes_the_stacks() {
    let guard = shared();
    let moto = guard.server();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::init_spec(
        moto,
        dir,
        &["--name", STACK],
        &["bucket.deny_insecure_transport=false"],
    );
    ok(run(&mut sluice(moto, dir, APPLY_YES)));
    assert!(alarm_names(moto).is_empty());
    assert!(topics(moto).is_empty(), "{:?}", topics(moto));

    init(moto, dir, &[]);
    ok(run(&mut sluice(moto, dir, APPLY_YES)));
    assert_eq!(alarm_names(moto).len(), 3);

    init(moto, dir, &["alarms.enabled=false"]);
    let planned = plan(moto, dir);
    assert!(
        planned.contains("- delete alarm-topic acme-ingest-alarms")
            && planned.contains("- delete alarm acme-ingest-stalled"),
        "{planned}"
    );
    ok(run(&mut sluice(moto, dir, APPLY_YES)));
    assert!(alarm_names(moto).is_empty());
    assert!(topics(moto).is_empty(), "{:?}", topics(moto));
    let planned = run(&mut sluice(moto, dir, &["plan", "--config", "spec.json"]));
    assert_eq!(planned.status.code(), Some(0), "{}", said(&planned));
}

fn status(moto: &Moto, dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["status", "--config", "spec.json"];
    args.extend_from_slice(extra);
    let out = run(&mut sluice(moto, dir, &args));
    (out.status.code(), said(&out))
}

#[test]
fn status_exits_0_healthy_1_on_trouble_and_2_when_it_cannot_tell() {
    let guard = shared();
    let moto = guard.server();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // Nothing applied yet: the queue does not exist.
    init(moto, dir, &[]);
    let (code, shown) = status(moto, dir, &[]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("unknown  queue acme-ingest-queue: does not exist"),
        "{shown}"
    );

    ok(run(&mut sluice(moto, dir, APPLY_YES)));
    let (code, shown) = status(moto, dir, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("acme-ingest in us-west-2"), "{shown}");
    for line in [
        "ok       queue acme-ingest-queue: ",
        "ok       dead-letter-queue acme-ingest-queue-dlq: 0 messages",
        "ok       alarm acme-ingest-dlq-not-empty:",
        "ok       alarm acme-ingest-oldest-message-age:",
        "ok       alarm acme-ingest-stalled:",
    ] {
        assert!(shown.contains(line), "{line}:\n{shown}");
    }

    // A message in the dead-letter queue is trouble.
    common::send_to(moto, "acme-ingest-queue-dlq", "{\"poison\": true}");
    let (code, shown) = status(moto, dir, &["--output", "json"]);
    assert_eq!(code, Some(1), "{shown}");
    let reading: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(reading["status"], "trouble");
    assert_eq!(reading["exit_code"], 1);
    let dlq = reading["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "dead-letter-queue")
        .unwrap();
    assert_eq!(dlq["status"], "trouble", "{dlq}");
    assert_eq!(dlq["depth"]["visible"], 1, "{dlq}");
    let url = common::queue_url(moto, "acme-ingest-queue-dlq");
    aws_cli(moto, &["sqs", "purge-queue", "--queue-url", &url]);
    assert_eq!(status(moto, dir, &[]).0, Some(0));

    // So is an alarm in ALARM, with its reason.
    common::set_alarm_state(
        moto,
        "acme-ingest-stalled",
        "ALARM",
        "nothing consumed for an hour",
    );
    let (code, shown) = status(moto, dir, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("TROUBLE  alarm acme-ingest-stalled: ALARM since ")
            && shown.contains("nothing consumed for an hour"),
        "{shown}"
    );

    // A spec that cannot be read: cannot tell, and says why.
    let out = run(&mut sluice(
        moto,
        dir,
        &["status", "--config", "missing.json"],
    ));
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("missing.json"), "{}", said(&out));
}
