//! The end-to-end flows on the strict emulator, ministack (tests/ministack_server.py):
//! IAM enforced on every signed request, queue and topic policies evaluated
//! when S3, SNS and EventBridge deliver, notification destinations
//! validated. Setup (apply, plan, destroy) runs as a non-root admin user;
//! the connector's part runs as the role sluice made, assumed with its
//! external ID (`verify`, `consume --assume-role`). Each test has a server of
//! its own, so they run in parallel with each other and with the moto tests.

use crate::common;

use std::path::Path;
use std::process::Output;

use crate::common::{Moto, aws_cli, ids_of, run, said, sink_records, sluice};
use serde_json::{Value, json};

const ACCOUNT: &str = common::ACCOUNT_ID;
const REGION: &str = common::REGION;

fn sluice_run(server: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(server, dir, args))
}

/// `sluice ARGS` that must succeed; what it said.
fn sluice_ok(server: &Moto, dir: &Path, args: &[&str]) -> String {
    let out = sluice_run(server, dir, args);
    assert!(
        out.status.success(),
        "sluice {} failed ({}):\n{}",
        args.join(" "),
        out.status,
        said(&out)
    );
    said(&out)
}

fn apply(server: &Moto, dir: &Path) -> String {
    sluice_ok(
        server,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ],
    )
}

/// `sluice plan` finds nothing to change.
fn plans_clean(server: &Moto, dir: &Path, when: &str) {
    let out = sluice_run(server, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{when}: plan is not clean:\n{}",
        said(&out)
    );
}

/// `sluice consume --assume-role` of everything under `prefix`: every
/// uploaded record exactly once.
fn consumes_as_the_role(server: &Moto, dir: &Path, bucket: &str, prefix: &str) {
    let ids = common::upload_ids(server, dir, bucket, prefix, 6, 25);
    let out = sluice_run(server, dir, &common::consume_args("3", &["--assume-role"]));
    assert!(out.status.success(), "consume failed:\n{}", said(&out));
    let records = sink_records(dir);
    assert_eq!(
        ids_of(&records),
        ids,
        "every record, exactly the uploaded ones"
    );
    assert_eq!(records.len(), ids.len(), "each record once");
}

fn destroy(server: &Moto, dir: &Path) -> String {
    sluice_ok(
        server,
        dir,
        &[
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--force",
            "--delete-objects",
            "--backup-dir",
            "backups",
        ],
    )
}

fn names(value: &Value, list: &str, field: &str) -> Vec<String> {
    value[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[field].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What the account holds, apart from the admin user: buckets, queues,
/// local policies, roles, users, rules, subscriptions.
fn holdings(server: &Moto) -> Value {
    let users: Vec<String> = names(
        &aws_cli(server, &["iam", "list-users"]),
        "Users",
        "UserName",
    )
    .into_iter()
    .filter(|u| u != "sluice-admin")
    .collect();
    json!({
        "buckets": names(&aws_cli(server, &["s3api", "list-buckets"]), "Buckets", "Name"),
        "queues": aws_cli(server, &["sqs", "list-queues"])["QueueUrls"].clone(),
        "policies": names(&aws_cli(server, &["iam", "list-policies", "--scope", "Local"]), "Policies", "PolicyName"),
        "roles": names(&aws_cli(server, &["iam", "list-roles"]), "Roles", "RoleName"),
        "users": users,
        "rules": names(&aws_cli(server, &["events", "list-rules"]), "Rules", "Name"),
        "subscriptions": names(&aws_cli(server, &["sns", "list-subscriptions"]), "Subscriptions", "Endpoint"),
    })
}

fn init(server: &Moto, dir: &Path, args: &[&str], sets: &[&str]) {
    let mut all = vec!["bucket.deny_insecure_transport=false"];
    all.extend_from_slice(sets);
    common::init_spec(server, dir, args, &all);
}

#[test]
fn direct_route_applies_verifies_consumes_as_the_role_and_destroys() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = holdings(&server);
    init(
        &server,
        dir,
        &["--name", "acme-ingest"],
        &["bucket.prefix=in/"],
    );
    apply(&server, dir);
    plans_clean(&server, dir, "after apply");
    let report = common::verifies(&server, dir, &[]);
    for check in [
        "event-route",
        "role-assume",
        "role-get-object",
        "simulate-role",
    ] {
        assert!(report.contains(&format!("pass  {check}")), "{report}");
    }
    consumes_as_the_role(&server, dir, "acme-ingest-source", "in/");
    destroy(&server, dir);
    assert_eq!(holdings(&server), before, "destroy leaves nothing");
}

/// Runs `aws ARGS` as another principal (`env`, from [`Moto::env_as`]).
fn aws_as(server: &Moto, env: &[(String, String)], args: &[&str]) -> Value {
    let out = run(server
        .command(common::aws_shim_dir().join("aws"))
        .envs(env.iter().cloned())
        .args(["--output", "json"])
        .args(args));
    assert!(
        out.status.success(),
        "aws {} failed:\n{}",
        args.join(" "),
        said(&out)
    );
    let stdout = common::text(&out.stdout);
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap()
    }
}

/// `aws ARGS` as `env` that must fail; what it said.
fn aws_refused(server: &Moto, env: &[(String, String)], args: &[&str]) -> String {
    let out = run(server
        .command(common::aws_shim_dir().join("aws"))
        .envs(env.iter().cloned())
        .args(args));
    assert!(!out.status.success(), "aws {} was allowed", args.join(" "));
    said(&out)
}

/// The environment of another account's root on the same server (its
/// 12-digit id is its root key on ministack).
fn root_of(server: &Moto, account: &str) -> Vec<(String, String)> {
    server.env_as((account, "any-secret"), None)
}

/// Credentials of `role_arn` assumed as `env` with `external_id`.
fn assumed(
    server: &Moto,
    env: &[(String, String)],
    role_arn: &str,
    external_id: &str,
) -> Vec<(String, String)> {
    let mut args = vec![
        "sts",
        "assume-role",
        "--role-arn",
        role_arn,
        "--role-session-name",
        "vendor",
    ];
    if !external_id.is_empty() {
        args.extend(["--external-id", external_id]);
    }
    let creds = aws_as(server, env, &args)["Credentials"].clone();
    server.env_as(
        (
            creds["AccessKeyId"].as_str().unwrap(),
            creds["SecretAccessKey"].as_str().unwrap(),
        ),
        creds["SessionToken"].as_str(),
    )
}

/// The ids of the records in the gzip objects `keys` of `bucket`, read as
/// `env`; each must be new.
fn read_ids(
    server: &Moto,
    env: &[(String, String)],
    dir: &Path,
    bucket: &str,
    keys: &[String],
) -> std::collections::BTreeSet<String> {
    let mut read = std::collections::BTreeSet::new();
    for key in keys {
        let out = dir.join("got.gz");
        aws_as(
            server,
            env,
            &[
                "s3api",
                "get-object",
                "--bucket",
                bucket,
                "--key",
                key,
                out.to_str().unwrap(),
            ],
        );
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap()),
            &mut text,
        )
        .unwrap();
        for line in text.lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert!(
                read.insert(record["id"].as_str().unwrap().to_owned()),
                "{line} twice"
            );
        }
    }
    read
}

/// The spec's external ID.
fn external_id(dir: &Path) -> String {
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spec.json")).unwrap()).unwrap();
    spec["role"]["external_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A vendor's principal in its own account: a role trusting that account,
/// allowed sts:AssumeRole anywhere (as its owner grants it).
fn vendor_role(server: &Moto, account: &str, name: &str) -> Vec<(String, String)> {
    let root = root_of(server, account);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]});
    aws_as(
        server,
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--assume-role-policy-document",
            &trust.to_string(),
        ],
    );
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "sts:AssumeRole", "Resource": "*"}]});
    aws_as(
        server,
        &root,
        &[
            "iam",
            "put-role-policy",
            "--role-name",
            name,
            "--policy-name",
            "assume-customer-roles",
            "--policy-document",
            &allow.to_string(),
        ],
    );
    assumed(
        server,
        &root,
        &format!("arn:aws:iam::{account}:role/{name}"),
        "",
    )
}

/// Another team's topic, its policy letting S3 publish from `bucket` (as
/// S3's guide asks), with the team's own queue subscribed.
fn team_topic(server: &Moto, bucket: &str) -> String {
    let topic = aws_cli(server, &["sns", "create-topic", "--name", "team-uploads"])["TopicArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "S3Publishes",
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish",
        "Resource": topic, "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{bucket}")}}}]});
    aws_cli(
        server,
        &[
            "sns",
            "set-topic-attributes",
            "--topic-arn",
            &topic,
            "--attribute-name",
            "Policy",
            "--attribute-value",
            &policy.to_string(),
        ],
    );
    topic
}

/// Another team's queue, its policy letting S3 send from `bucket`.
fn team_queue(server: &Moto, name: &str, bucket: &str) -> String {
    let url = aws_cli(server, &["sqs", "create-queue", "--queue-name", name])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": format!("arn:aws:s3:::{bucket}")}}}]});
    aws_cli(
        server,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &json!({"Policy": policy.to_string()}).to_string(),
        ],
    );
    arn
}

fn put_notification(server: &Moto, bucket: &str, config: &Value) {
    common::put_notification(server, bucket, &config.to_string());
}

const SHARED: &str = "team-shared";

/// A bucket another team owns (not sluice's to create), in the region.
fn shared_bucket(server: &Moto) {
    common::create_bucket(server, SHARED);
}

/// The shared bucket with the team's `entries`; our stack on it, routed
/// by `sets` (under `ours/`), applied and planned clean. What the account
/// held before.
fn routed(server: &Moto, dir: &Path, entries: &Value, sets: &[&str]) -> Value {
    put_notification(server, SHARED, entries);
    let before = holdings(server);
    let mut all = vec![
        format!("bucket.name={SHARED}"),
        "bucket.create=false".to_owned(),
        "bucket.prefix=ours/".to_owned(),
    ];
    all.extend(sets.iter().map(|s| (*s).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    init(server, dir, &["--name", "acme-ingest"], &all);
    apply(server, dir);
    plans_clean(server, dir, "after apply");
    before
}

/// Destroy takes what is ours and leaves the team's bucket and entries.
fn destroyed_leaving_theirs(server: &Moto, dir: &Path, before: &Value, entries: &Value) {
    destroy(server, dir);
    assert_eq!(&holdings(server), before, "destroy leaves nothing of ours");
    assert_eq!(&common::notification(server, SHARED), entries);
}

#[test]
fn sns_route_delivers_through_the_teams_topic_and_skips_keys_outside_the_prefix() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&server);
    let topic = team_topic(&server, SHARED);
    // The team's topic entry takes every ObjectCreated of the bucket.
    let entries = json!({"TopicConfigurations": [{"Id": "team-topic-entry", "TopicArn": topic,
        "Events": ["s3:ObjectCreated:*"]}]});
    let before = routed(
        &server,
        dir,
        &entries,
        &[
            "notification.delivery=sns",
            &format!("notification.topic_arn={topic}"),
        ],
    );
    let report = common::verifies(&server, dir, &[]);
    assert!(
        report.contains(&format!("through the topic {topic}")),
        "{report}"
    );
    // The team's keys reach the topic and, unfiltered, our queue too: the
    // consumer leaves them out of the sink and takes them off the queue.
    common::upload_ids(&server, dir, SHARED, "theirs/", 3, 5);
    consumes_as_the_role(&server, dir, SHARED, "ours/");
    assert_eq!(
        common::queue_depth(&server, "acme-ingest-queue"),
        (0, 0),
        "nothing left behind"
    );
    assert_eq!(
        common::queue_depth(&server, "acme-ingest-queue-dlq"),
        (0, 0),
        "nothing sent to the dead-letter queue"
    );
    destroyed_leaving_theirs(&server, dir, &before, &entries);
}

#[test]
fn eventbridge_route_delivers_beside_the_teams_entry() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    shared_bucket(&server);
    let theirs = team_queue(&server, "team-queue", SHARED);
    let entries = json!({"QueueConfigurations": [{"Id": "team-queue-entry", "QueueArn": theirs,
        "Events": ["s3:ObjectCreated:*"]}]});
    let before = routed(
        &server,
        dir,
        &entries,
        &["notification.delivery=eventbridge"],
    );
    let report = common::verifies(&server, dir, &[]);
    assert!(
        report.contains("through the EventBridge rule acme-ingest-object-created"),
        "{report}"
    );
    consumes_as_the_role(&server, dir, SHARED, "ours/");
    destroyed_leaving_theirs(&server, dir, &before, &entries);
}

#[test]
fn pull_import_lists_and_reads_as_its_user_and_destroys() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = holdings(&server);
    init(
        &server,
        dir,
        &["--name", "td-pull", "--connector", "treasure-data"],
        &["bucket.prefix=imports/"],
    );
    sluice_ok(
        &server,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
            "--out",
            "out-keys",
        ],
    );
    plans_clean(&server, dir, "after apply");
    let key_file = dir.join("out-keys/td-pull-import-user_accessKeys.csv");
    let report = common::verifies(&server, dir, &["--key-file", key_file.to_str().unwrap()]);
    for check in ["user-key", "user-list-bucket", "user-get-object"] {
        assert!(report.contains(&format!("pass  {check}")), "{report}");
    }
    // The import pulls with the user's key: it lists and reads every object.
    let ids = common::upload_ids(&server, dir, "td-pull-source", "imports/", 3, 10);
    let csv = std::fs::read_to_string(&key_file).unwrap();
    let line = csv.lines().nth(1).unwrap();
    let (id, secret) = line.split_once(',').unwrap();
    let user = server.env_as((id, secret), None);
    let listed = aws_as(
        &server,
        &user,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "td-pull-source",
            "--prefix",
            "imports/",
        ],
    );
    let keys = names(&listed, "Contents", "Key");
    assert_eq!(keys.len(), 3, "{listed}");
    assert_eq!(read_ids(&server, &user, dir, "td-pull-source", &keys), ids);
    // Nothing else: the user may not write.
    aws_refused(
        &server,
        &user,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "td-pull-source",
            "--key",
            "imports/x",
        ],
    );
    destroy(&server, dir);
    assert_eq!(holdings(&server), before, "destroy leaves nothing");
}

const HEVO: &str = "393309748692";

#[test]
fn destination_is_written_by_the_vendors_role_through_ours_and_destroyed() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = holdings(&server);
    init(
        &server,
        dir,
        &["--name", "hevo-dest", "--connector", "hevo"],
        &["role.external_id=hevo-team-7", "bucket.prefix=edge/"],
    );
    apply(&server, dir);
    plans_clean(&server, dir, "after apply");
    let report = common::verifies(&server, dir, &[]);
    assert!(
        report.contains("n/a   role-assume") || report.contains("n/a  role-assume"),
        "{report}"
    );
    // Hevo's integration role, in Hevo's account, assumes ours with the external ID.
    let hevo = vendor_role(&server, HEVO, "customer-aws_integration");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/hevo-dest-destination-role");
    let wrong = aws_refused(
        &server,
        &hevo,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &role,
            "--role-session-name",
            "guess",
            "--external-id",
            "guess",
        ],
    );
    assert!(wrong.contains("AccessDenied"), "{wrong}");
    let as_role = assumed(&server, &hevo, &role, "hevo-team-7");
    let file = dir.join("rows.ndjson");
    std::fs::write(&file, "{\"id\":\"h1\"}\n{\"id\":\"h2\"}\n").unwrap();
    let bucket = "hevo-dest-destination";
    aws_as(
        &server,
        &as_role,
        &[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "edge/rows.ndjson",
            "--body",
            file.to_str().unwrap(),
        ],
    );
    let back = dir.join("back.ndjson");
    aws_as(
        &server,
        &as_role,
        &[
            "s3api",
            "get-object",
            "--bucket",
            bucket,
            "--key",
            "edge/rows.ndjson",
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&file).unwrap());
    aws_refused(
        &server,
        &as_role,
        &[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "elsewhere/rows.ndjson",
        ],
    );
    destroy(&server, dir);
    let mut now = holdings(&server);
    // Hevo's own role stays in Hevo's account; ours are gone.
    assert_eq!(now["roles"], before["roles"]);
    now["roles"] = before["roles"].clone();
    assert_eq!(now, before, "destroy leaves nothing");
}

const SNOWFLAKE: &str = "210987654321";

#[test]
fn vendor_queue_is_notified_and_the_vendor_reads_through_our_role() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = holdings(&server);
    // Snowflake's queue and its integration's user, in Snowflake's account.
    let snowflake = root_of(&server, SNOWFLAKE);
    let queue_url = aws_as(
        &server,
        &snowflake,
        &["sqs", "create-queue", "--queue-name", "sf-snowpipe-1"],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue_arn = format!("arn:aws:sqs:{REGION}:{SNOWFLAKE}:sf-snowpipe-1");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn}]});
    aws_as(
        &server,
        &snowflake,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &queue_url,
            "--attributes",
            &json!({"Policy": policy.to_string()}).to_string(),
        ],
    );
    aws_as(
        &server,
        &snowflake,
        &["iam", "create-user", "--user-name", "sf-integration"],
    );
    aws_as(
        &server,
        &snowflake,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "sf-integration",
            "--policy-name",
            "assume",
            "--policy-document",
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "sts:AssumeRole", "Resource": "*"}]})
            .to_string(),
        ],
    );
    let key = aws_as(
        &server,
        &snowflake,
        &["iam", "create-access-key", "--user-name", "sf-integration"],
    );
    let vendor = server.env_as(
        (
            key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
            key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
        ),
        None,
    );
    init(
        &server,
        dir,
        &["--name", "sfk", "--connector", "snowflake"],
        &[
            &format!(r#"role.trusted_principals=["arn:aws:iam::{SNOWFLAKE}:user/sf-integration"]"#),
            "role.external_id=SFK12345_SFCRole=2_abcdefg",
            &format!("notification.queue_arn={queue_arn}"),
            "bucket.prefix=load/",
        ],
    );
    apply(&server, dir);
    plans_clean(&server, dir, "after apply");
    common::verifies(&server, dir, &[]);
    // S3 notifies Snowflake's queue; Snowflake reads each object as our role.
    let ids = common::upload_ids(&server, dir, "sfk-source", "load/", 3, 10);
    let mut keys = Vec::new();
    for _ in 0..10 {
        let got = aws_as(
            &server,
            &snowflake,
            &[
                "sqs",
                "receive-message",
                "--queue-url",
                &queue_url,
                "--max-number-of-messages",
                "10",
                "--wait-time-seconds",
                "2",
            ],
        );
        for message in got["Messages"].as_array().into_iter().flatten() {
            let body: Value = serde_json::from_str(message["Body"].as_str().unwrap()).unwrap();
            for record in body["Records"].as_array().into_iter().flatten() {
                let key = sluice::aws::verify::decode_key(
                    record["s3"]["object"]["key"].as_str().unwrap(),
                )
                .unwrap();
                // Verify's test object (deleted since) announced itself too.
                if !key.contains("/sluice-verify/") {
                    keys.push(key);
                }
            }
            aws_as(
                &server,
                &snowflake,
                &[
                    "sqs",
                    "delete-message",
                    "--queue-url",
                    &queue_url,
                    "--receipt-handle",
                    message["ReceiptHandle"].as_str().unwrap(),
                ],
            );
        }
        if keys.len() >= 3 {
            break;
        }
    }
    keys.sort();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let as_role = assumed(
        &server,
        &vendor,
        &format!("arn:aws:iam::{ACCOUNT}:role/sfk-snowflake-role"),
        &external_id(dir),
    );
    assert_eq!(read_ids(&server, &as_role, dir, "sfk-source", &keys), ids);
    destroy(&server, dir);
    assert_eq!(holdings(&server), before, "destroy leaves nothing of ours");
}

#[test]
fn a_queue_policy_broken_by_hand_stops_delivery_and_apply_repairs_it() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &server,
        dir,
        &["--name", "acme-ingest"],
        &["bucket.prefix=in/"],
    );
    apply(&server, dir);
    // Someone edits the queue policy: S3 may no longer send from the bucket.
    let url = common::queue_url(&server, "acme-ingest-queue");
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:acme-ingest-queue");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::some-other-bucket"}}}]});
    aws_cli(
        &server,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &json!({"Policy": policy.to_string()}).to_string(),
        ],
    );
    let out = sluice_run(
        &server,
        dir,
        &["verify", "--config", "spec.json", "--wait", "5"],
    );
    let text = said(&out);
    assert!(!out.status.success(), "delivery must stop:\n{text}");
    assert!(text.contains("FAIL  event"), "{text}");
    assert!(
        text.contains("check that the queue policy allows s3.amazonaws.com"),
        "{text}"
    );
    // The change apply just made is named as a possible cause too.
    assert!(
        text.contains("notification configuration changed")
            && text.contains("may not be on its way yet"),
        "{text}"
    );
    let planned = sluice_run(&server, dir, &["plan", "--config", "spec.json"]);
    let plan = said(&planned);
    assert_eq!(
        planned.status.code(),
        Some(2),
        "the drift is shown:\n{plan}"
    );
    assert!(plan.contains("update queue acme-ingest-queue"), "{plan}");
    apply(&server, dir);
    plans_clean(&server, dir, "after the repair");
    common::verifies(&server, dir, &[]);
}

/// The stack's alarms and topic, made and destroyed as the admin; verify's
/// test notification goes through ministack's CloudWatch, SNS and the
/// probe queue's access policy; a caller without cloudwatch:PutMetricAlarm
/// is told which permission it lacks.
#[test]
fn alarms_notify_through_the_stacks_topic_and_a_missing_permission_is_named() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = holdings(&server);
    init(
        &server,
        dir,
        &["--name", "acme-ingest"],
        &["alarms.enabled=true"],
    );
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "cloudwatch:PutMetricAlarm", "Resource": "*"}
    ]});
    aws_cli(
        &server,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "sluice-admin",
            "--policy-name",
            "no-alarms",
            "--policy-document",
            &deny.to_string(),
        ],
    );
    let refused = sluice_run(
        &server,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ],
    );
    let shown = said(&refused);
    assert!(!refused.status.success(), "{shown}");
    assert!(
        shown.contains("the caller needs permission for cloudwatch:PutMetricAlarm"),
        "{shown}"
    );
    aws_cli(
        &server,
        &[
            "iam",
            "delete-user-policy",
            "--user-name",
            "sluice-admin",
            "--policy-name",
            "no-alarms",
        ],
    );
    apply(&server, dir);
    plans_clean(&server, dir, "after apply with alarms");
    let report = common::verifies(&server, dir, &[]);
    for check in ["alarms", "alarm-notification", "cleanup-alarm-probe"] {
        assert!(report.contains(&format!("pass  {check}")), "{report}");
    }
    let status = sluice_run(&server, dir, &["status", "--config", "spec.json"]);
    assert_eq!(status.status.code(), Some(0), "{}", said(&status));
    destroy(&server, dir);
    assert_eq!(holdings(&server), before, "destroy leaves nothing");
    let alarms = aws_cli(&server, &["cloudwatch", "describe-alarms"]);
    assert_eq!(alarms["MetricAlarms"], json!([]), "{alarms}");
}
