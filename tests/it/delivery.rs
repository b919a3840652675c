//! Shared buckets against moto: where another team's queue entry and topic
//! entry already take ObjectCreated under `other/`, a direct entry of ours
//! is refused before any write (naming both routes that fit), and the SNS
//! and EventBridge routes deliver every record without touching the bucket's
//! entries, plan clean, verify, and destroy only what they made.

use crate::common;

use std::path::Path;
use std::process::Output;

use crate::common::{
    Moto, aws_cli, consume_args, ids_of, ok, run, shared, sink_records, sluice, text,
    upload_records_under,
};
use serde_json::{Value, json};

const BUCKET: &str = "acme-ingest-source";
const TEAM_TOPIC: &str = "arn:aws:sns:us-west-2:123456789012:team-uploads";
const TEAM_QUEUE: &str = "arn:aws:sqs:us-west-2:123456789012:team-queue";
/// The SNS route through the team's topic.
const SNS_ROUTE: [&str; 2] = [
    "notification.delivery=sns",
    "notification.topic_arn=arn:aws:sns:us-west-2:123456789012:team-uploads",
];

fn sluice_run(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(moto, dir, args))
}

/// Subscribes the queue `queue_arn` to the team's topic, as its owners would.
fn subscribe(moto: &Moto, queue_arn: &str) {
    aws_cli(
        moto,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            TEAM_TOPIC,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            queue_arn,
        ],
    );
}

/// The shared bucket: another team's queue entry and topic entry on
/// ObjectCreated under `other/`, and that team's own subscription to its
/// topic. moto accepts the two overlapping entries, where S3 would not;
/// each one stands for what a shared bucket can hold. Returns the
/// configuration as moto reports it.
fn shared_bucket(moto: &Moto) -> Value {
    common::create_bucket(moto, BUCKET);
    aws_cli(moto, &["sqs", "create-queue", "--queue-name", "team-queue"]);
    aws_cli(
        moto,
        &["sqs", "create-queue", "--queue-name", "team-topic-queue"],
    );
    aws_cli(moto, &["sns", "create-topic", "--name", "team-uploads"]);
    subscribe(moto, "arn:aws:sqs:us-west-2:123456789012:team-topic-queue");
    let under_other = json!({"Key": {"FilterRules": [{"Name": "prefix", "Value": "other/"}]}});
    let config = json!({
        "QueueConfigurations": [{
            "Id": "team-queue-entry", "QueueArn": TEAM_QUEUE,
            "Events": ["s3:ObjectCreated:*"], "Filter": under_other,
        }],
        "TopicConfigurations": [{
            "Id": "team-topic-entry", "TopicArn": TEAM_TOPIC,
            "Events": ["s3:ObjectCreated:*"], "Filter": under_other,
        }],
    });
    common::put_notification(moto, BUCKET, &config.to_string());
    common::notification(moto, BUCKET)
}

/// Puts back our entry of an earlier direct delivery beside the team's
/// (moto takes the overlap S3 would refuse): a route must replace it.
fn leave_old_direct_entry(moto: &Moto, before: &Value) {
    let mut with_ours = before.clone();
    with_ours["QueueConfigurations"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "Id": "acme-ingest-object-created",
            "QueueArn": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "other/"}]}}
        }));
    common::put_notification(moto, BUCKET, &with_ours.to_string());
}

/// The names of the EventBridge rules on the default bus.
fn rule_names(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["events", "list-rules"])["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect()
}

/// The other team's topic as it stands: attributes and subscriptions.
fn team_topic(moto: &Moto) -> Value {
    let mut attributes = aws_cli(
        moto,
        &["sns", "get-topic-attributes", "--topic-arn", TEAM_TOPIC],
    )["Attributes"]
        .clone();
    // Counters that move with every subscription, ours included.
    for counter in [
        "SubscriptionsConfirmed",
        "SubscriptionsPending",
        "SubscriptionsDeleted",
    ] {
        attributes.as_object_mut().unwrap().remove(counter);
    }
    let subscriptions = aws_cli(
        moto,
        &[
            "sns",
            "list-subscriptions-by-topic",
            "--topic-arn",
            TEAM_TOPIC,
        ],
    )["Subscriptions"]
        .clone();
    json!({"attributes": attributes, "subscriptions": subscriptions})
}

/// Exports the spec in `dir` to `dir/bundle`; the returned function runs
/// its setup.sh with one flag, backing up to `dir/backups-sh`.
fn exported_setup_sh<'a>(moto: &'a Moto, dir: &'a Path) -> impl Fn(&str) -> Output + 'a {
    ok(sluice_run(
        moto,
        dir,
        &["export", "--config", "spec.json", "--out", "bundle"],
    ));
    move |flag| {
        moto.command("bash")
            .arg(dir.join("bundle/setup.sh"))
            .arg(flag)
            .current_dir(dir.join("bundle"))
            .env("SLUICE_BACKUP_DIR", dir.join("backups-sh"))
            .output()
            .unwrap()
    }
}

/// The spec: the `acme-ingest` stack on the shared bucket (adopted), under `other/`.
fn init(moto: &Moto, dir: &Path, sets: &[&str]) {
    let mut all = vec!["bucket.create=false", "bucket.prefix=other/"];
    all.extend_from_slice(sets);
    common::init_spec(moto, dir, &["--name", "acme-ingest"], &all);
}

/// apply, plan (clean), verify, 1,000 records through the route into a
/// `dir:` sink, then destroy; the foreign entries and the team's topic are
/// checked after apply and after destroy by `foreign_intact`.
fn round_trip(moto: &Moto, dir: &Path, foreign_intact: &dyn Fn(&str)) -> String {
    let applied = sluice_run(moto, dir, common::APPLY_YES);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    foreign_intact("after apply");

    let verified = common::plans_clean_and_verifies(moto, dir, "after apply", "30");
    let said = common::said(&verified);

    let ids = upload_records_under(moto, dir, "other/", 20, 50);
    let consumed = sluice_run(moto, dir, &consume_args("3", &[]));
    assert!(consumed.status.success(), "{}", text(&consumed.stderr));
    let records = sink_records(dir);
    assert_eq!(
        ids_of(&records),
        ids,
        "every record, exactly the uploaded ones"
    );
    assert_eq!(records.len(), 1000, "each record once");

    let destroyed = sluice_run(moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    assert!(destroyed.status.success(), "{}", text(&destroyed.stderr));
    foreign_intact("after destroy");
    said + &common::said(&destroyed)
}

#[test]
fn a_direct_entry_overlapping_a_shared_buckets_is_refused_naming_both_routes() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = shared_bucket(&moto);
    init(&moto, dir, &[]);
    for command in ["plan", "apply"] {
        let mut args = vec![command, "--config", "spec.json"];
        if command == "apply" {
            args.push("--yes");
        }
        let out = sluice_run(&moto, dir, &args);
        assert!(!out.status.success(), "{command} must refuse");
        let stderr = text(&out.stderr);
        for needle in [
            "overlap the existing",
            "set notification.delivery to \"sns\" and notification.topic_arn to its ARN in the spec",
            "set notification.delivery to \"eventbridge\"",
        ] {
            assert!(stderr.contains(needle), "{command}: {needle} in\n{stderr}");
        }
    }
    // With only the topic entry in the way, its topic is named, ready to paste.
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            BUCKET,
            "--notification-configuration",
            &json!({"TopicConfigurations": before["TopicConfigurations"]}).to_string(),
        ],
    );
    let out = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "through that entry's topic, to which the bucket already publishes these events (set notification.delivery to \"sns\" and notification.topic_arn to \"{TEAM_TOPIC}\" in the spec)"
        )),
        "{stderr}"
    );
    assert!(
        aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"])["Policies"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
}

#[test]
fn the_sns_route_subscribes_to_the_buckets_topic_and_leaves_its_entries_alone() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = shared_bucket(&moto);
    let topic_before = team_topic(&moto);
    leave_old_direct_entry(&moto, &before);
    init(&moto, dir, &SNS_ROUTE);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json", "--json"]);
    assert_eq!(planned.status.code(), Some(2), "{}", text(&planned.stderr));
    let plan: Value = serde_json::from_str(&text(&planned.stdout)).unwrap();
    let kinds: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["resource"].as_str().unwrap())
        .collect();
    // The subscription, then our old direct entry out: the team's entries as they were.
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["subscription", "notification"],
        "{kinds:?}"
    );
    assert_eq!(plan[kinds.len() - 1]["after"], before);

    let said = round_trip(&moto, dir, &|when| {
        assert_eq!(common::notification(&moto, BUCKET), before, "{when}");
        let now = team_topic(&moto);
        if when == "after destroy" {
            assert_eq!(now, topic_before, "{when}");
        } else {
            assert_eq!(now["attributes"], topic_before["attributes"], "{when}");
        }
    });
    assert!(said.contains("event-route"), "{said}");
    assert!(
        said.contains(&format!("through the topic {TEAM_TOPIC}")),
        "{said}"
    );
    assert!(said.contains("unsubscribed"), "{said}");
}

#[test]
fn the_sns_route_is_refused_when_the_bucket_does_not_publish_the_keys_to_the_topic() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&moto);
    init(
        &moto,
        dir,
        &["bucket.prefix=elsewhere/", SNS_ROUTE[0], SNS_ROUTE[1]],
    );
    let out = sluice_run(&moto, dir, &["apply", "--config", "spec.json", "--yes"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("do not cover s3:ObjectCreated:* for keys with prefix `elsewhere/`"),
        "{stderr}"
    );
    assert!(stderr.contains("team-topic-entry"), "{stderr}");
    assert!(
        aws_cli(
            &moto,
            &[
                "sns",
                "list-subscriptions-by-topic",
                "--topic-arn",
                TEAM_TOPIC
            ]
        )["Subscriptions"]
            .as_array()
            .unwrap()
            .len()
            == 1,
        "no subscription of ours"
    );
}

#[test]
fn the_eventbridge_route_adds_a_rule_beside_the_buckets_entries() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = shared_bucket(&moto);
    let topic_before = team_topic(&moto);
    init(&moto, dir, &["notification.delivery=eventbridge"]);
    let foreign = |config: &Value| {
        let mut config = config.clone();
        config
            .as_object_mut()
            .unwrap()
            .remove("EventBridgeConfiguration");
        config
    };
    let said = round_trip(&moto, dir, &|when| {
        let now = common::notification(&moto, BUCKET);
        assert_eq!(foreign(&now), before, "{when}: the entries of others");
        assert_eq!(team_topic(&moto), topic_before, "{when}");
        if when == "after apply" {
            assert_eq!(now["EventBridgeConfiguration"], json!({}), "{when}");
            let rule = aws_cli(
                &moto,
                &[
                    "events",
                    "describe-rule",
                    "--name",
                    "acme-ingest-object-created",
                ],
            );
            assert_eq!(rule["State"], "ENABLED");
            let targets = aws_cli(
                &moto,
                &[
                    "events",
                    "list-targets-by-rule",
                    "--rule",
                    "acme-ingest-object-created",
                ],
            );
            assert_eq!(
                targets["Targets"],
                json!([{"Id": "sluice-queue", "Arn": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"}])
            );
        } else {
            // No other rule took S3's events: the setting went with ours.
            assert_eq!(now.get("EventBridgeConfiguration"), None, "{when}");
        }
    });
    assert!(
        said.contains("through the EventBridge rule acme-ingest-object-created"),
        "{said}"
    );
    assert!(rule_names(&moto).is_empty(), "the rule is gone");
}

#[test]
fn destroy_leaves_eventbridge_on_while_another_rule_may_use_it() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&moto);
    aws_cli(
        &moto,
        &[
            "events",
            "put-rule",
            "--name",
            "team-archive",
            "--event-pattern",
            &json!({"source": ["aws.s3"], "detail-type": ["Object Deleted"]}).to_string(),
        ],
    );
    init(&moto, dir, &["notification.delivery=eventbridge"]);
    ok(sluice_run(
        &moto,
        dir,
        &["apply", "--config", "spec.json", "--yes"],
    ));
    let destroyed = sluice_run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let said = common::said(&destroyed);
    assert!(
        said.contains("left on: the EventBridge rule team-archive may rely on it"),
        "{said}"
    );
    assert_eq!(
        common::notification(&moto, BUCKET)["EventBridgeConfiguration"],
        json!({})
    );
    assert_eq!(rule_names(&moto), ["team-archive"]);
}

/// The exported setup.sh, run twice against moto for each route: the first
/// run builds what `sluice apply` would (sluice then plans clean), the
/// second changes nothing; the bucket's entries stay as they were.
#[test]
fn setup_sh_builds_each_route_as_apply_would_and_reruns_as_a_no_op() {
    let moto = shared();
    for route in ["sns", "eventbridge"] {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let before = shared_bucket(&moto);
        leave_old_direct_entry(&moto, &before);
        if route == "sns" {
            init(&moto, dir, &SNS_ROUTE);
        } else {
            init(&moto, dir, &["notification.delivery=eventbridge"]);
        }
        ok(sluice_run(
            &moto,
            dir,
            &["export", "--config", "spec.json", "--out", "bundle"],
        ));
        let setup = |backups: &str| {
            run(moto
                .command("bash")
                .arg(dir.join("bundle/setup.sh"))
                .arg("--yes")
                .current_dir(dir.join("bundle"))
                .env("SLUICE_BACKUP_DIR", dir.join(backups)))
        };
        let first = ok(setup("backups-1"));
        let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
        assert_eq!(
            planned.status.code(),
            Some(0),
            "{route}: sluice plans changes after setup.sh:\n{}\n{}\nsetup.sh said:\n{first}",
            text(&planned.stdout),
            text(&planned.stderr)
        );
        let second = ok(setup("backups-2"));
        for word in [
            "    created",
            "updated",
            "subscribed",
            "turned on",
            "backed up",
        ] {
            assert!(
                !second.contains(word),
                "{route}: second run says {word:?}:\n{second}"
            );
        }
        assert!(
            !dir.join("backups-2").exists(),
            "{route}: second run backed up"
        );
        let mut now = common::notification(&moto, BUCKET);
        if route == "eventbridge" {
            assert_eq!(now["EventBridgeConfiguration"], json!({}), "{route}");
            now.as_object_mut()
                .unwrap()
                .remove("EventBridgeConfiguration");
        }
        assert_eq!(now, before, "{route}: the entries of others");
        let verified = sluice_run(
            &moto,
            dir,
            &["verify", "--config", "spec.json", "--wait", "30"],
        );
        assert!(
            verified.status.success(),
            "{route}: {}",
            text(&verified.stdout)
        );
    }
}

/// The CloudFormation template of the EventBridge route, deployed on moto's
/// CloudFormation: its rule (which takes no tags there) is the stack's by its
/// description, so sluice takes it over (tagging it) or destroys it.
/// moto's CloudFormation skips the queue policy and the bucket's
/// notification configuration; sluice apply then puts both.
#[test]
fn a_cloudformation_eventbridge_route_is_taken_over_and_destroyed_by_sluice() {
    let moto = shared();
    for take_over in [false, true] {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        common::init_spec(
            &moto,
            dir,
            &["--name", "cfe"],
            &[
                "bucket.prefix=other/",
                "bucket.deny_insecure_transport=false",
                "notification.delivery=eventbridge",
            ],
        );
        ok(sluice_run(
            &moto,
            dir,
            &["export", "--config", "spec.json", "--out", "bundle"],
        ));
        aws_cli(
            &moto,
            &[
                "cloudformation",
                "create-stack",
                "--stack-name",
                "cfe",
                "--template-body",
                &format!(
                    "file://{}",
                    dir.join("bundle/cloudformation.yaml").display()
                ),
                "--capabilities",
                "CAPABILITY_NAMED_IAM",
            ],
        );
        let rule = aws_cli(
            &moto,
            &["events", "describe-rule", "--name", "cfe-object-created"],
        );
        assert_eq!(
            rule["Description"], "Object Created in cfe-source to the cfe-queue queue (sluice)",
            "{rule}"
        );
        let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
        let shown = text(&planned.stdout);
        assert!(
            shown.contains("rule cfe-object-created carries no sluice:stack tag"),
            "{shown}{}",
            text(&planned.stderr)
        );
        if take_over {
            ok(sluice_run(&moto, dir, common::APPLY_YES));
            let arn = rule["Arn"].as_str().unwrap();
            let tags = aws_cli(
                &moto,
                &["events", "list-tags-for-resource", "--resource-arn", arn],
            );
            assert!(
                tags["Tags"]
                    .as_array()
                    .unwrap()
                    .contains(&json!({"Key": "sluice:stack", "Value": "cfe"})),
                "{tags}"
            );
            let replanned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
            assert_eq!(
                replanned.status.code(),
                Some(0),
                "{}{}",
                text(&replanned.stdout),
                text(&replanned.stderr)
            );
        }
        let destroyed = sluice_run(
            &moto,
            dir,
            &["destroy", "--config", "spec.json", "--yes", "--force"],
        );
        let said = common::said(&destroyed);
        assert!(destroyed.status.success(), "{said}");
        assert!(
            said.contains("removed  EventBridge rule cfe-object-created"),
            "{said}"
        );
        assert!(rule_names(&moto).is_empty(), "{said}");
    }
}

/// Switching a stack's delivery: from direct to EventBridge, apply removes our
/// direct entry in the same write that turns EventBridge on; back to direct,
/// the rule left from before is destroyed with the stack. A rule of ours that
/// another team's target was added to is kept, and so is the EventBridge
/// setting it needs.
/// A route switched away from EventBridge, by setup.sh: the stack's rule,
/// which would deliver every event a second time, goes with our target (a
/// dry run first changes nothing); another team's rule stays.
#[test]
fn setup_sh_removes_the_stacks_rule_once_the_route_is_direct() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::create_bucket(&moto, BUCKET);
    aws_cli(
        &moto,
        &[
            "events",
            "put-rule",
            "--name",
            "team-archive",
            "--event-pattern",
            &json!({"source": ["aws.s3"], "detail-type": ["Object Deleted"]}).to_string(),
        ],
    );
    init(&moto, dir, &["notification.delivery=eventbridge"]);
    ok(sluice_run(&moto, dir, common::APPLY_YES));
    assert_eq!(
        rule_names(&moto),
        ["team-archive", "acme-ingest-object-created"]
    );

    init(&moto, dir, &[]);
    let setup = exported_setup_sh(&moto, dir);
    let dry = setup("--dry-run");
    assert_eq!(
        dry.status.code(),
        Some(2),
        "writes pending: {}",
        common::said(&dry)
    );
    assert!(
        text(&dry.stdout).contains("would delete the rule"),
        "{}",
        common::said(&dry)
    );
    assert_eq!(
        rule_names(&moto),
        ["team-archive", "acme-ingest-object-created"]
    );
    let done = ok(setup("--yes"));
    assert!(done.contains("rule: our target removed"), "{done}");
    assert!(done.contains("rule: deleted"), "{done}");
    assert_eq!(rule_names(&moto), ["team-archive"]);
    assert!(
        dir.join("backups-sh/rule-acme-ingest-object-created.json")
            .exists()
    );
    assert_eq!(
        common::notification(&moto, BUCKET)["QueueConfigurations"][0]["Id"],
        "acme-ingest-object-created"
    );
    // A second run finds no rule of ours.
    let again = ok(setup("--yes"));
    assert!(again.contains("rule: none"), "{again}");
}

#[test]
fn switching_delivery_retires_the_old_route_and_destroy_takes_what_is_left() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::create_bucket(&moto, BUCKET);
    let apply = |sets: &[&str]| {
        init(&moto, dir, sets);
        let out = sluice_run(&moto, dir, common::APPLY_YES);
        let said = common::said(&out);
        assert!(out.status.success(), "{said}");
        said
    };
    apply(&[]);
    assert_eq!(
        common::notification(&moto, BUCKET)["QueueConfigurations"][0]["Id"],
        "acme-ingest-object-created"
    );
    let said = apply(&["notification.delivery=eventbridge"]);
    assert!(
        said.contains("our direct entry acme-ingest-object-created removed"),
        "{said}"
    );
    assert_eq!(
        common::notification(&moto, BUCKET),
        json!({"EventBridgeConfiguration": {}})
    );
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stdout));

    // Someone adds a target of theirs to our rule: destroy keeps the rule and the setting.
    aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "team-queue"],
    );
    aws_cli(
        &moto,
        &[
            "events",
            "put-targets",
            "--rule",
            "acme-ingest-object-created",
            "--targets",
            &json!([{"Id": "team", "Arn": TEAM_QUEUE}]).to_string(),
        ],
    );
    let destroyed = sluice_run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let said = common::said(&destroyed);
    assert!(
        said.contains(&format!("it also targets {TEAM_QUEUE}")),
        "{said}"
    );
    assert!(
        said.contains("left on: the EventBridge rule acme-ingest-object-created"),
        "{said}"
    );
    assert_eq!(
        common::notification(&moto, BUCKET),
        json!({"EventBridgeConfiguration": {}})
    );
    let targets = aws_cli(
        &moto,
        &[
            "events",
            "list-targets-by-rule",
            "--rule",
            "acme-ingest-object-created",
        ],
    );
    assert_eq!(
        targets["Targets"],
        json!([{"Id": "team", "Arn": TEAM_QUEUE}])
    );

    // Back to direct: the old rule (ours again once the team's target is gone) goes with destroy.
    aws_cli(
        &moto,
        &[
            "events",
            "remove-targets",
            "--rule",
            "acme-ingest-object-created",
            "--ids",
            "team",
        ],
    );
    apply(&["notification.delivery=eventbridge"]);
    // Back to direct: plan lists the old rule as a delete (it would deliver
    // every event a second time), apply removes it and the bucket's
    // EventBridge delivery (no other rule may use it), and the next plan is
    // clean.
    init(&moto, dir, &[]);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    let shown = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("- delete rule acme-ingest-object-created") && shown.contains("1 to delete"),
        "{shown}"
    );
    let said = apply(&[]);
    assert!(
        said.contains("rule deleted") && said.contains("EventBridge delivery turned off"),
        "{said}"
    );
    assert!(rule_names(&moto).is_empty());
    let config = common::notification(&moto, BUCKET);
    assert!(config.get("EventBridgeConfiguration").is_none(), "{config}");
    assert_eq!(
        config["QueueConfigurations"][0]["Id"],
        "acme-ingest-object-created"
    );
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    // S3's test events sit in the queue: --force.
    let destroyed = sluice_run(
        &moto,
        dir,
        &["destroy", "--config", "spec.json", "--yes", "--force"],
    );
    let said = common::said(&destroyed);
    assert!(destroyed.status.success(), "{said}");
    assert!(rule_names(&moto).is_empty());
}

/// A route switched away from SNS: the stack's queue, still subscribed to
/// the bucket's topic, is a planned delete, and apply unsubscribes it (the
/// topic and its other subscriptions as they were); the next plan is clean.
#[test]
fn switching_away_from_sns_unsubscribes_the_stacks_queue() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&moto);
    let topic_before = team_topic(&moto);
    init(&moto, dir, &SNS_ROUTE);
    let apply = |moto: &Moto| {
        let out = sluice_run(moto, dir, common::APPLY_YES);
        let said = common::said(&out);
        assert!(out.status.success(), "{said}");
        said
    };
    apply(&moto);
    init(&moto, dir, &["notification.delivery=eventbridge"]);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    let shown = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{shown}");
    assert!(shown.contains("- delete subscription"), "{shown}");
    let said = apply(&moto);
    assert!(said.contains("unsubscribed"), "{said}");
    assert_eq!(team_topic(&moto), topic_before);
    // Backed up first, as a record of what it was.
    let records = backed_up(&dir.join("backups"), "removed-subscription-arn-aws-sns-");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["record"]["TopicArn"], TEAM_TOPIC, "{records:?}");
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
}

/// The backup files under `dir` whose path holds `named`, as JSON.
fn backed_up(dir: &Path, named: &str) -> Vec<Value> {
    common::files_under(dir)
        .iter()
        .filter(|p| p.to_string_lossy().contains(named))
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// Subscriptions carry no tags: they are the stack's only while the queue
/// they deliver to is. A queue of the stack's name made by someone else
/// keeps its subscriptions through destroy, whatever the route.
#[test]
fn destroy_keeps_the_subscriptions_of_a_queue_that_is_not_the_stacks() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&moto);
    aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "acme-ingest-queue"],
    );
    subscribe(&moto, QUEUE_ARN);
    let subscribed = team_topic(&moto);
    for sets in [&SNS_ROUTE[..], &[]] {
        init(&moto, dir, sets);
        let out = sluice_run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
        let said = common::said(&out);
        assert!(!said.contains("unsubscribed"), "{sets:?}: {said}");
        assert_eq!(team_topic(&moto), subscribed, "{sets:?}: {said}");
        if sets.is_empty() {
            assert!(!said.contains("subscription of queue"), "{said}");
        } else {
            assert!(
                said.contains(
                    "the queue acme-ingest-queue is not this stack's (not tagged sluice:stack=acme-ingest: sluice did not create it): its subscriptions are its owners'"
                ),
                "{said}"
            );
        }
    }
}

/// The stack applied with SNS delivery on the shared bucket: its queue is
/// subscribed to the team's topic. Returns the topic as it was before.
fn subscribed_by_sns(moto: &Moto, dir: &Path) -> Value {
    shared_bucket(moto);
    let topic_before = team_topic(moto);
    init(moto, dir, &SNS_ROUTE);
    ok(sluice_run(moto, dir, common::APPLY_YES));
    assert_ne!(team_topic(moto), topic_before, "apply subscribed the queue");
    topic_before
}

/// The same switch by setup.sh: the stack's queue, subscribed by SNS
/// delivery, is unsubscribed once the route is EventBridge (a dry run first
/// changes nothing, the subscription's attributes are backed up, the
/// topic and its other subscriptions stay as they were); sluice then plans
/// clean, and a second run finds nothing to remove.
#[test]
fn setup_sh_unsubscribes_the_stacks_queue_once_the_route_is_not_sns() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let topic_before = subscribed_by_sns(&moto, dir);

    init(&moto, dir, &["notification.delivery=eventbridge"]);
    let setup = exported_setup_sh(&moto, dir);
    let dry = setup("--dry-run");
    assert_eq!(dry.status.code(), Some(2), "{}", common::said(&dry));
    assert!(
        text(&dry.stdout).contains(
            "would unsubscribe the queue from arn:aws:sns:us-west-2:123456789012:team-uploads"
        ),
        "{}",
        common::said(&dry)
    );
    assert_ne!(team_topic(&moto), topic_before, "a dry run changes nothing");

    let done = ok(setup("--yes"));
    assert!(done.contains("unsubscribed from"), "{done}");
    assert_eq!(team_topic(&moto), topic_before);
    let saved = backed_up(&dir.join("backups-sh"), "/subscription-");
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(saved[0]["TopicArn"], TEAM_TOPIC);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    let again = ok(setup("--yes"));
    assert!(
        again.contains(
            "Subscriptions of queue acme-ingest-queue to topics the spec does not deliver through\n    none"
        ),
        "{again}"
    );
}

/// Destroy after the spec switched away from SNS, with no apply between:
/// the stack's queue, still subscribed to the bucket's topic, is
/// unsubscribed before it goes (the topic and its other subscriptions as
/// they were), as apply would have done.
#[test]
fn destroy_after_switching_away_from_sns_unsubscribes_the_stacks_queue() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let topic_before = subscribed_by_sns(&moto, dir);
    init(&moto, dir, &[]);
    let out = sluice_run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("subscription of queue acme-ingest-queue to arn:aws:sns:us-west-2:123456789012:team-uploads (a topic the spec does not deliver through)"),
        "{said}"
    );
    assert!(said.contains("unsubscribed"), "{said}");
    assert_eq!(team_topic(&moto), topic_before);
}

const NEW_TOPIC: &str = "arn:aws:sns:us-west-2:123456789012:team-uploads-2";
const QUEUE_ARN: &str = "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue";

/// The stack subscribed through SNS, then the bucket's owners move its topic
/// entry to a new topic and the spec follows: returns the old topic as it
/// was before the stack subscribed.
fn moved_to_a_new_topic(moto: &Moto, dir: &Path) -> Value {
    let topic_before = subscribed_by_sns(moto, dir);
    aws_cli(moto, &["sns", "create-topic", "--name", "team-uploads-2"]);
    let mut config = common::notification(moto, BUCKET);
    config["TopicConfigurations"][0]["TopicArn"] = json!(NEW_TOPIC);
    common::put_notification(moto, BUCKET, &config.to_string());
    init(
        moto,
        dir,
        &[
            "notification.delivery=sns",
            &format!("notification.topic_arn={NEW_TOPIC}"),
        ],
    );
    topic_before
}

/// The SQS endpoints subscribed to `topic`.
fn endpoints_of(moto: &Moto, topic: &str) -> Vec<String> {
    aws_cli(
        moto,
        &["sns", "list-subscriptions-by-topic", "--topic-arn", topic],
    )["Subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Endpoint"].as_str().unwrap().to_owned())
        .collect()
}

/// A spec that names another topic: plan finds the stack's queue still
/// subscribed to the old one, apply subscribes to the new topic and then
/// unsubscribes from the old (its other subscriptions as they were), the
/// next plan is clean, and destroy leaves neither topic subscribed.
#[test]
fn a_new_topic_replaces_the_subscription_to_the_old_one() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let old_before = moved_to_a_new_topic(&moto, dir);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    let shown = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{shown}");
    assert!(shown.contains("- delete subscription"), "{shown}");
    assert!(
        shown.contains(&format!(
            "queue acme-ingest-queue is subscribed to {TEAM_TOPIC}, a topic the spec does not deliver through"
        )),
        "{shown}"
    );
    let applied = sluice_run(&moto, dir, common::APPLY_YES);
    let said = common::said(&applied);
    assert!(applied.status.success(), "{said}");
    assert!(said.contains("unsubscribed"), "{said}");
    assert_eq!(team_topic(&moto), old_before);
    assert_eq!(endpoints_of(&moto, NEW_TOPIC), [QUEUE_ARN]);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    ok(sluice_run(
        &moto,
        dir,
        &["destroy", "--config", "spec.json", "--yes"],
    ));
    assert!(endpoints_of(&moto, NEW_TOPIC).is_empty());
    assert_eq!(team_topic(&moto), old_before);
}

/// The same move by setup.sh: the queue is subscribed to the new topic and
/// unsubscribed from the old one; sluice then plans clean and destroy takes
/// a subscription of the queue left on the old topic too.
#[test]
fn setup_sh_follows_the_spec_to_a_new_topic() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let old_before = moved_to_a_new_topic(&moto, dir);
    let setup = exported_setup_sh(&moto, dir);
    let done = ok(setup("--yes"));
    assert!(
        done.contains(&format!("unsubscribed from {TEAM_TOPIC}")),
        "{done}"
    );
    assert_eq!(team_topic(&moto), old_before);
    assert_eq!(endpoints_of(&moto, NEW_TOPIC), [QUEUE_ARN]);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));

    // Subscribed to the old topic again by hand, then destroyed: both go.
    subscribe(&moto, QUEUE_ARN);
    let out = sluice_run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("(a topic the spec does not deliver through)"),
        "{said}"
    );
    assert!(endpoints_of(&moto, NEW_TOPIC).is_empty());
    assert_eq!(team_topic(&moto), old_before);
}
