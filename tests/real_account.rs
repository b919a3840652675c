//! What a real account does that moto does not, made real on the strict
//! emulator and its fault layer (tests/ministack_server.py,
//! tests/fault_layer.py): IAM changes that take seconds to be seen,
//! sessions that expire, throttling, a queue name deleted a moment ago, a
//! bucket in another region, destinations another team broke. Each test
//! checks that sluice waits, retries or stops, and says so in AWS's terms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{Moto, aws_cli, run, said, sluice};
use serde_json::json;

fn sluice_run(server: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(server, dir, args))
}

/// `sluice ARGS` as another principal (`env` from [`Moto::env_as`]).
fn sluice_as(server: &Moto, env: &[(String, String)], dir: &Path, args: &[&str]) -> Output {
    run(sluice(server, dir, args).envs(env.iter().cloned()))
}

fn init(server: &Moto, dir: &Path, sets: &[&str]) {
    let mut all = vec!["bucket.deny_insecure_transport=false", "bucket.prefix=in/"];
    all.extend_from_slice(sets);
    common::init_spec(server, dir, &["--name", "acme-ingest"], &all);
}

fn apply_args() -> Vec<&'static str> {
    vec![
        "apply",
        "--config",
        "spec.json",
        "--yes",
        "--backup-dir",
        "backups",
    ]
}

/// Temporary credentials of the admin user (sts:GetSessionToken), as an
/// SSO or assumed-role caller holds them.
fn session(server: &Moto) -> Vec<(String, String)> {
    let creds = aws_cli(server, &["sts", "get-session-token"])["Credentials"].clone();
    server.env_as(
        (
            creds["AccessKeyId"].as_str().unwrap(),
            creds["SecretAccessKey"].as_str().unwrap(),
        ),
        creds["SessionToken"].as_str(),
    )
}

#[test]
fn an_expired_session_reads_as_expired_not_as_a_missing_permission() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    server.faults(json!({"session_lifetime_secs": 1}));
    let env = session(&server);
    std::thread::sleep(Duration::from_millis(1500));
    let out = sluice_as(&server, &env, dir, &["plan", "--config", "spec.json"]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the AWS credentials have expired (ExpiredToken"),
        "{text}"
    );
    assert!(text.contains("aws sso login"), "{text}");
    assert!(!text.contains("needs permission"), "{text}");
    assert_eq!(server.injected()["expired_token"], 1);
}

#[test]
fn a_profile_that_cannot_load_is_named_with_the_providers_own_cause() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("config"), "[profile dev]\nregion = us-west-2\n").unwrap();
    std::fs::write(
        dir.join("config-process"),
        "[profile prod]\ncredential_process = sh -c 'echo token expired >&2; exit 3'\n",
    )
    .unwrap();
    let spec = json!({"name": "acme-ingest", "region": "us-west-2"});
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    for (config, cause) in [
        ("config", "profile `prod` was not defined"),
        ("config-process", "token expired"),
    ] {
        let mut cmd = std::process::Command::new(common::sluice_bin());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        let out = run(cmd
            .current_dir(dir)
            .env("AWS_CONFIG_FILE", dir.join(config))
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["--profile", "prod", "plan", "--config", "spec.json"]));
        let text = said(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.contains("cannot load the credentials of profile `prod`"),
            "{config}: {text}"
        );
        assert!(text.contains(cause), "{config}: {text}");
    }
}

#[test]
fn verify_and_consume_right_after_apply_wait_for_iam_to_propagate() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &server,
        dir,
        &["user.enabled=true", "user.create_access_key=true"],
    );
    // A new role is refused for 3 s, its policy unseen for 10 s, a new key
    // unknown for 15 s (verify tries the key last).
    server.faults(json!({
        "new_role_unassumable_secs": 3,
        "new_policy_unseen_secs": 10,
        "new_key_invalid_secs": 15,
    }));
    let mut args = apply_args();
    args.extend(["--out", "keys"]);
    let applied = sluice_run(&server, dir, &args);
    assert!(applied.status.success(), "{}", said(&applied));
    let key_file = dir.join("keys/acme-ingest-user_accessKeys.csv");
    let report = common::verifies(&server, dir, &["--key-file", key_file.to_str().unwrap()]);
    assert!(report.contains("waiting for IAM to propagate"), "{report}");
    for check in [
        "role-assume",
        "role-receive-message",
        "user-key",
        "user-get-object",
    ] {
        assert!(
            report.contains(&format!("pass  {check}")),
            "{check}:\n{report}"
        );
    }
    let injected = server.injected();
    for fault in ["role_unassumable", "policy_unseen", "new_key_invalid"] {
        assert!(injected[fault].as_u64() > Some(0), "{fault}: {injected}");
    }

    // consume --assume-role right after the role's trust policy changed.
    aws_cli(
        &server,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            "acme-ingest-role",
            "--policy-document",
            &aws_cli(
                &server,
                &["iam", "get-role", "--role-name", "acme-ingest-role"],
            )["Role"]["AssumeRolePolicyDocument"]
                .to_string(),
        ],
    );
    let consumed = sluice_run(&server, dir, &common::consume_args("2", &["--assume-role"]));
    let text = said(&consumed);
    assert!(consumed.status.success(), "{text}");
    assert!(text.contains("waiting for IAM to propagate"), "{text}");
}

#[test]
fn the_wait_for_iam_is_bounded_by_iam_wait() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    server.faults(json!({"new_role_unassumable_secs": 600}));
    let applied = sluice_run(&server, dir, &apply_args());
    assert!(applied.status.success(), "{}", said(&applied));
    let started = Instant::now();
    let out = sluice_run(
        &server,
        dir,
        &[
            "verify",
            "--config",
            "spec.json",
            "--wait",
            "10",
            "--iam-wait",
            "3",
        ],
    );
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("FAIL  role-assume"), "{text}");
    assert!(
        text.contains("for IAM to propagate; --iam-wait sets how long"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(40), "{text}");
}

#[test]
fn apply_waits_for_a_queue_name_deleted_moments_ago_and_a_new_dead_letter_queue() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    // SQS keeps a deleted queue's name (60 s on AWS; 8 s here), and a new
    // dead-letter queue is not usable in a RedrivePolicy for 2 s.
    server.faults(json!({"queue_deleted_recently_secs": 8, "dlq_unseen_secs": 2}));
    let applied = sluice_run(&server, dir, &apply_args());
    let text = said(&applied);
    assert!(applied.status.success(), "{text}");
    assert!(text.contains("Dead letter target does not exist"), "{text}");
    assert!(text.contains("waiting for SQS to catch up"), "{text}");
    let destroyed = sluice_run(
        &server,
        dir,
        &["destroy", "--config", "spec.json", "--yes", "--force"],
    );
    assert!(destroyed.status.success(), "{}", said(&destroyed));
    let applied = sluice_run(&server, dir, &apply_args());
    let text = said(&applied);
    assert!(applied.status.success(), "{text}");
    assert!(text.contains("QueueDeletedRecently"), "{text}");
    let injected = server.injected();
    assert!(
        injected["queue_deleted_recently"].as_u64() > Some(0),
        "{injected}"
    );
    assert!(injected["dlq_unseen"].as_u64() > Some(0), "{injected}");
    common::verifies(&server, dir, &[]);
}

#[test]
fn another_teams_broken_destination_stops_the_write_at_once_and_eventbridge_still_works() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bucket = "team-shared";
    common::create_bucket(&server, bucket);
    // The team's queue entry, valid when written; then the team deleted its queue.
    let url = aws_cli(
        &server,
        &["sqs", "create-queue", "--queue-name", "team-queue"],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = "arn:aws:sqs:us-west-2:123456789012:team-queue";
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn}]});
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
    let entries = json!({"QueueConfigurations": [{"Id": "team-entry", "QueueArn": arn,
        "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "theirs/"}]}}}]});
    aws_cli(
        &server,
        &[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            bucket,
            "--notification-configuration",
            &entries.to_string(),
        ],
    );
    aws_cli(&server, &["sqs", "delete-queue", "--queue-url", &url]);

    let shared = [
        format!("bucket.name={bucket}"),
        "bucket.create=false".to_owned(),
        "bucket.prefix=ours/".to_owned(),
    ];
    let sets: Vec<&str> = shared.iter().map(String::as_str).collect();
    init(&server, dir, &sets);
    let started = Instant::now();
    let applied = sluice_run(&server, dir, &apply_args());
    let text = said(&applied);
    assert!(!applied.status.success(), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped at once: {text}"
    );
    for needle in [
        "entry team-entry sends to arn:aws:sqs:us-west-2:123456789012:team-queue (The destination queue does not exist)",
        "another team's",
        "notification.delivery to \"eventbridge\"",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(!text.contains("retrying"), "{text}");
    assert_eq!(
        common::notification(&server, bucket),
        entries,
        "nothing was written"
    );

    // The EventBridge route writes only its setting, without validating theirs.
    let mut sets = sets.clone();
    sets.push("notification.delivery=eventbridge");
    init(&server, dir, &sets);
    let applied = sluice_run(&server, dir, &apply_args());
    assert!(applied.status.success(), "{}", said(&applied));
    common::verifies(&server, dir, &[]);
}

#[test]
fn an_adopted_bucket_in_another_region_is_named_with_the_spec_key_to_set() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    aws_cli(
        &server,
        &[
            "s3api",
            "create-bucket",
            "--bucket",
            "eu-data",
            "--region",
            "eu-west-1",
            "--create-bucket-configuration",
            "LocationConstraint=eu-west-1",
        ],
    );
    init(
        &server,
        dir,
        &["bucket.name=eu-data", "bucket.create=false"],
    );
    for command in ["plan", "apply"] {
        let mut args = vec![command, "--config", "spec.json"];
        if command == "apply" {
            args.push("--yes");
        }
        let out = sluice_run(&server, dir, &args);
        let text = said(&out);
        assert!(!out.status.success(), "{command}: {text}");
        assert!(
            text.contains("the bucket is in eu-west-1, but the spec's region is us-west-2"),
            "{command}: {text}"
        );
        assert!(
            text.contains("set the spec's `region` to \"eu-west-1\""),
            "{command}: {text}"
        );
        assert!(
            !text.contains("DispatchFailure") && !text.contains("unhandled error"),
            "{text}"
        );
    }
}

#[test]
fn credentials_refuses_a_session_before_calling_sts_and_says_what_works() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::init_spec(
        &server,
        dir,
        &["--name", "td-pull", "--connector", "treasure-data"],
        &["bucket.prefix=imports/"],
    );
    let env = session(&server);
    for extra in [&[][..], &["--session"][..]] {
        let mut args = vec!["credentials", "--config", "spec.json", "--out", "creds.yml"];
        args.extend_from_slice(extra);
        let out = sluice_as(&server, &env, dir, &args);
        let text = said(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        for needle in [
            "the caller holds temporary credentials",
            "Cannot call",
            "an IAM user's long-term keys",
            "td-pull-import-user_accessKeys.csv",
            "auth_method assume_role",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
        assert!(!dir.join("creds.yml").exists());
    }
    // With the admin user's long-term keys it works.
    let out = sluice_run(
        &server,
        dir,
        &["credentials", "--config", "spec.json", "--out", "creds.yml"],
    );
    assert!(out.status.success(), "{}", said(&out));
}
