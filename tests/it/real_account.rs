//! What a real account does that moto does not, made real on the strict
//! emulator and its fault layer (tests/ministack_server.py,
//! tests/fault_layer.py): IAM changes that take seconds to be seen,
//! sessions that expire, throttling, a queue name deleted a moment ago, a
//! bucket in another region, destinations another team broke. Each test
//! checks that sluice waits, retries or stops, and says so in AWS's terms.

use crate::common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{Moto, aws_cli, run, said, sluice};
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
    // An `aws login` profile: its session is read from the login cache
    // (the SDK's credentials-login feature), here missing.
    std::fs::write(
        dir.join("config-login"),
        "[profile prod]\nlogin_session = arn:aws:iam::123456789012:user/Admin\n",
    )
    .unwrap();
    for (config, cause) in [
        ("config", "profile `prod` was not defined"),
        ("config-process", "token expired"),
        ("config-login", ".aws/login/cache/"),
    ] {
        let mut cmd = std::process::Command::new(common::sluice_bin());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        let out = run(cmd
            .current_dir(dir)
            .env("HOME", dir)
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
        assert!(
            !text.contains("feature must be enabled"),
            "{config}: {text}"
        );
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
    // A new role is refused for 8 s, its policy unseen for 16 s, a new key
    // unknown for 22 s (verify tries the key last). Apply's own steps after
    // the role's (the queues, the notification and its second read) take a
    // few seconds: the role is still new when verify starts.
    server.faults(json!({
        "new_role_unassumable_secs": 8,
        "new_policy_unseen_secs": 16,
        "new_key_invalid_secs": 22,
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
    common::put_notification(&server, bucket, &entries.to_string());
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

/// Runs `cmd` (stdin closed) and collects its output; fails the test if it
/// does not end within `limit` (it is killed then).
fn run_within(cmd: &mut std::process::Command, limit: Duration) -> Output {
    use std::process::Stdio;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            let out = rx.recv().unwrap().unwrap();
            panic!("still running after {limit:?} (killed):\n{}", said(&out));
        }
    }
}

/// `objects` objects of 10 records under `in/{tag}-` of the stack's bucket; their ids.
fn upload(
    server: &Moto,
    dir: &Path,
    tag: &str,
    objects: usize,
) -> std::collections::BTreeSet<String> {
    common::upload_ids(
        server,
        dir,
        "acme-ingest-source",
        &format!("in/{tag}-"),
        objects,
        10,
    )
}

/// The stack with `sets`, applied.
fn applied(server: &Moto, dir: &Path, sets: &[&str]) {
    init(server, dir, sets);
    let out = sluice_run(server, dir, &apply_args());
    assert!(out.status.success(), "{}", said(&out));
}

/// Every record in the sink is a distinct one of `ids` (none twice).
fn each_once(dir: &Path) -> std::collections::BTreeSet<String> {
    let records = common::sink_records(dir);
    let ids = common::ids_of(&records);
    assert_eq!(ids.len(), records.len(), "a record written twice");
    ids
}

#[test]
fn a_consumer_that_may_not_delete_stops_and_writes_nothing_twice() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &["queue.visibility_timeout_secs=2"]);
    let ids = upload(&server, dir, "a", 4);
    server.faults(json!({"deny": [{"action": "sqs:DeleteMessage"}]}));
    let out = run_within(
        &mut sluice(&server, dir, &common::consume_args("5", &["--assume-role"])),
        Duration::from_secs(60),
    );
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sqs:DeleteMessage is denied on the queue"),
        "{text}"
    );
    assert!(text.contains("grant sqs:DeleteMessage"), "{text}");
    assert!(each_once(dir).is_subset(&ids));
    // The messages stay in the queue for a run that may delete them.
    server.faults(json!({}));
    std::thread::sleep(Duration::from_secs(3));
    let out = run_within(
        &mut sluice(&server, dir, &common::consume_args("3", &["--assume-role"])),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(common::queue_depth(&server, "acme-ingest-queue"), (0, 0));
}

#[test]
fn a_consumer_that_may_not_extend_visibility_stops() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &["queue.visibility_timeout_secs=1"]);
    upload(&server, dir, "v", 2);
    // GetObject answers late, so held messages need extending.
    server.faults(json!({
        "deny": [{"action": "sqs:ChangeMessageVisibility"}],
        "slow": [{"action": "s3:GetObject", "secs": 2, "count": 2}],
    }));
    let out = run_within(
        &mut sluice(
            &server,
            dir,
            &common::consume_args("5", &["--assume-role", "--concurrency", "1"]),
        ),
        Duration::from_secs(60),
    );
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sqs:ChangeMessageVisibility is denied"),
        "{text}"
    );
    each_once(dir);
}

#[test]
fn a_session_that_expires_mid_consume_stops_it_in_those_words() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    let ids = upload(&server, dir, "s", 3);
    server.faults(json!({"session_lifetime_secs": 5}));
    let env = session(&server);
    // Idle after 8 s (its long-polls as long), the session gone after 5 s.
    let args = common::consume_args("8", &[]);
    let out = run_within(
        sluice(&server, dir, &args).envs(env.iter().cloned()),
        Duration::from_secs(60),
    );
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the AWS credentials have expired (ExpiredToken"),
        "{text}"
    );
    assert!(text.contains("aws sso login"), "{text}");
    assert!(!text.contains("needs permission"), "{text}");
    assert_eq!(each_once(dir), ids, "what arrived before the expiry, once");
}

#[test]
fn an_assumed_roles_session_is_renewed_mid_consume() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    // The role's sessions last 8 s; the consumer runs for longer.
    server.faults(json!({"session_lifetime_secs": 8}));
    let mut ids = upload(&server, dir, "early", 2);
    let mut child = sluice(
        &server,
        dir,
        &common::consume_args("13", &["--assume-role"]),
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(11));
    ids.extend(upload(&server, dir, "late", 2));
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(each_once(dir), ids);
    assert_eq!(
        server.injected()["expired_token"],
        json!(null),
        "{}",
        server.injected()
    );
}

#[test]
fn verify_right_after_apply_waits_as_long_as_aws_documents_and_says_why() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    // No --wait: the route's time, plus what S3 documents for the change apply made.
    let out = sluice_run(&server, dir, &["verify", "--config", "spec.json"]);
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("waiting up to 5 min")
            && text.contains("the bucket's notification configuration changed, and S3 says a change \"usually takes about five minutes\""),
        "{text}"
    );
    // Settled (a route not changed by this apply): the usual 30 s.
    let replanned = sluice_run(&server, dir, &apply_args());
    assert!(replanned.status.success(), "{}", said(&replanned));
    let dir2 = tempfile::tempdir().unwrap();
    let dir2 = dir2.path();
    std::fs::copy(dir.join("spec.json"), dir2.join("spec.json")).unwrap();
    let mut cmd = sluice(&server, dir2, &["verify", "--config", "spec.json"]);
    let out = run(cmd.env("XDG_DATA_HOME", dir2));
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("waiting up to 30 s for the event"), "{text}");
}

/// Sends `n` messages of another producer to the stack's queue.
fn live_messages(server: &Moto, n: usize) -> String {
    let url = common::queue_url(server, "acme-ingest-queue");
    for i in 0..n {
        aws_cli(
            server,
            &[
                "sqs",
                "send-message",
                "--queue-url",
                &url,
                "--message-body",
                &format!("{{\"live\":{i}}}"),
            ],
        );
    }
    url
}

/// How many times each message of the queue at `url` was received, this
/// receive included (it leaves them visible).
fn receive_counts(server: &Moto, url: &str) -> Vec<u64> {
    let got = aws_cli(
        server,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            url,
            "--max-number-of-messages",
            "10",
            "--visibility-timeout",
            "0",
            "--attribute-names",
            "ApproximateReceiveCount",
        ],
    );
    let mut counts: Vec<u64> = got["Messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            m["Attributes"]["ApproximateReceiveCount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    counts.sort();
    counts
}

#[test]
fn verify_spends_no_receive_of_messages_already_in_the_queue_without_consent() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    let url = live_messages(&server, 3);
    let out = sluice_run(
        &server,
        dir,
        &["verify", "--config", "spec.json", "--wait", "5"],
    );
    let text = said(&out);
    assert!(out.status.success() && !text.contains("FAIL"), "{text}");
    for needle in [
        "the queue holds 4 messages",
        "verify does not receive them",
        "--probe-busy-queue",
        "n/a   event",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    // The three, and S3's test event: none received by verify.
    assert_eq!(
        receive_counts(&server, &url),
        [1, 1, 1, 1],
        "verify received none of them"
    );

    // With consent: each is received at most once more while verify looks for its own.
    let out = sluice_run(
        &server,
        dir,
        &[
            "verify",
            "--config",
            "spec.json",
            "--wait",
            "20",
            "--probe-busy-queue",
        ],
    );
    let text = said(&out);
    assert!(out.status.success() && !text.contains("FAIL"), "{text}");
    assert!(text.contains("pass  event"), "{text}");
    assert!(
        receive_counts(&server, &url).iter().all(|c| *c <= 3),
        "{text}"
    );
}

/// A shared config file in `dir` with profile `base` (the admin user's
/// long-term key) and profile `mfa` assuming `role` with an MFA device;
/// and the role, trusting the account, allowed everything.
fn mfa_profiles(server: &Moto, dir: &Path, role: &str) -> std::path::PathBuf {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    aws_cli(
        server,
        &[
            "iam",
            "create-role",
            "--role-name",
            role,
            "--assume-role-policy-document",
            &trust.to_string(),
        ],
    );
    let all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    aws_cli(
        server,
        &[
            "iam",
            "put-role-policy",
            "--role-name",
            role,
            "--policy-name",
            "admin",
            "--policy-document",
            &all.to_string(),
        ],
    );
    let config = dir.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/{role}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/admin\n",
            server.keys.0, server.keys.1
        ),
    )
    .unwrap();
    config
}

/// `sluice ARGS` signing with the shared config file's profile `profile`.
fn with_profile(
    server: &Moto,
    dir: &Path,
    config: &Path,
    profile: &str,
    args: &[&str],
) -> std::process::Command {
    let mut cmd = sluice(server, dir, args);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_PROFILE", profile);
    cmd
}

#[test]
fn an_mfa_profile_is_refused_without_a_terminal_naming_its_mfa_serial() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    let config = mfa_profiles(&server, dir, "mfa-admin");
    let out = run(&mut with_profile(
        &server,
        dir,
        &config,
        "mfa",
        &["plan", "--config", "spec.json"],
    ));
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for needle in [
        "profile `mfa`",
        "mfa_serial arn:aws:iam::123456789012:mfa/admin",
        "only on the command line with a terminal",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn an_mfa_profile_asks_for_the_code_on_a_terminal_and_assumes_the_role_with_it() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skip(
            "an_mfa_profile_asks_for_the_code_on_a_terminal",
            "script(1) is missing",
        );
        return;
    }
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    let config = mfa_profiles(&server, dir, "mfa-admin");
    // Like a trust policy requiring MFA: AssumeRole without the code is refused.
    server.faults(json!({"require_mfa": ["mfa-admin"]}));
    // script(1) gives sluice a terminal; the code is typed once it asks.
    let command = format!("{} plan --config spec.json", common::sluice_bin().display());
    let profile = with_profile(&server, dir, &config, "mfa", &[]);
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env_clear()
        .envs(
            profile
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"123456\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = said(&out);
    assert!(
        text.contains("MFA code for arn:aws:iam::123456789012:mfa/admin (profile mfa"),
        "{text}"
    );
    assert!(
        text.contains("create policy acme-ingest-policy"),
        "the plan ran as the role: {text}"
    );
    assert_eq!(
        server.injected()["mfa_missing"],
        json!(null),
        "{}",
        server.injected()
    );
}

#[test]
fn throttling_bursts_are_ridden_out_by_apply_verify_and_consume() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(&server, dir, &[]);
    let burst = |service: &str, action: Option<&str>, count: u32| json!({"service": service, "action": action, "count": count});
    server.faults(json!({"throttle": [
        burst("iam", None, 3),
        burst("sqs", Some("sqs:CreateQueue"), 3),
        burst("s3", Some("s3:PutBucketNotification"), 2),
        burst("sts", Some("sts:AssumeRole"), 2),
    ]}));
    let out = sluice_run(&server, dir, &apply_args());
    assert!(out.status.success(), "{}", said(&out));
    common::verifies(&server, dir, &[]);
    assert_eq!(server.injected()["throttled"], 10, "every burst was met");
    let ids = upload(&server, dir, "t", 5);
    // A burst longer than the SDK's own retries: the consumer backs off and goes on.
    server.faults(json!({"throttle": [
        burst("sqs", Some("sqs:ReceiveMessage"), 8),
        burst("sqs", Some("sqs:DeleteMessage"), 3),
        burst("s3", Some("s3:GetObject"), 3),
    ]}));
    let out = run_within(
        &mut sluice(&server, dir, &common::consume_args("3", &["--assume-role"])),
        Duration::from_secs(90),
    );
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(each_once(dir), ids);
    assert_eq!(common::queue_depth(&server, "acme-ingest-queue"), (0, 0));
    assert!(
        server.injected()["throttled"].as_u64() >= Some(14),
        "{}",
        server.injected()
    );
}

/// A caller that may not list roles (iam:ListRoles taken away) cannot look
/// for what the stack made under names the spec no longer uses: plan says
/// so and what would stay, destroy says so and still takes down every
/// resource the spec names.
#[test]
fn a_caller_that_may_not_list_is_told_what_could_not_be_looked_for() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    server.faults(json!({"deny": [{"action": "iam:ListRoles"}]}));

    let planned = sluice_run(&server, dir, &["plan", "--config", "spec.json"]);
    let text = said(&planned);
    assert_eq!(planned.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "resources of this stack under names the spec no longer uses could not be looked for"
        ),
        "{text}"
    );
    assert!(text.contains("iam:ListRoles"), "{text}");
    assert!(
        text.contains("a renamed queue, policy, role or user would stay"),
        "{text}"
    );

    let destroyed = sluice_run(&server, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let text = said(&destroyed);
    assert!(destroyed.status.success(), "{text}");
    assert!(
        text.contains(
            "resources of this stack under names the spec no longer uses could not be looked for (access denied to iam:ListRoles"
        ),
        "{text}"
    );
    // The queue held S3's test event only: it went, as said before the confirmation.
    assert!(
        text.contains("kept, unless they are only S3's test events"),
        "{text}"
    );
    assert!(text.contains("destroy:queue: deleted"), "{text}");
    assert!(
        text.contains("destroy with the earlier spec removes them"),
        "{text}"
    );
    assert!(
        server.injected()["denied"].as_u64().unwrap_or(0) >= 2,
        "{:?}",
        server.injected()
    );
    server.faults(json!({}));
    let queues = aws_cli(&server, &["sqs", "list-queues"]);
    assert!(
        queues["QueueUrls"].as_array().is_none_or(Vec::is_empty),
        "{queues}"
    );
    let roles = aws_cli(&server, &["iam", "list-roles"])["Roles"].clone();
    assert!(
        roles
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["RoleName"] != "acme-ingest-role"),
        "{roles}"
    );
}

/// SNS refusing to list subscriptions (throttled past the SDK's retries):
/// plan says the stack's queue's subscriptions could not be listed, and what
/// that leaves, instead of planning as though it had none.
#[test]
fn a_subscription_listing_that_fails_is_a_plan_note() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    server.faults(json!({"throttle": [
        {"service": "sns", "action": "sns:ListSubscriptions", "count": 50}
    ]}));
    let planned = sluice_run(&server, dir, &["plan", "--config", "spec.json"]);
    let text = said(&planned);
    assert_eq!(planned.status.code(), Some(0), "{text}");
    assert!(
        text.contains("the stack's queue's subscriptions could not be listed ("),
        "{text}"
    );
    assert!(
        text.contains("one to a topic the spec does not deliver through would stay"),
        "{text}"
    );
    assert!(server.injected()["throttled"].as_u64().unwrap_or(0) >= 1);
}

/// A restore whose read of what is there now is refused writes nothing and
/// names the read; one that AWS stops half-way (iam:UpdateAssumeRolePolicy
/// denied) names the item it stopped at, AWS's refusal with the permission,
/// and what it put back before it; once allowed, the same restore finishes.
#[test]
fn a_restore_stopped_by_a_denied_call_names_the_item_and_what_went_back_before_it() {
    let server = common::ministack();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    applied(&server, dir, &[]);
    // A change to the role's trust and to the queue: both are backed up.
    init(
        &server,
        dir,
        &[
            "queue.visibility_timeout_secs=900",
            "role.external_id=another-external-id",
        ],
    );
    let mut args = apply_args();
    args.extend(["--output", "json"]);
    let out = sluice_run(&server, dir, &args);
    assert!(out.status.success(), "{}", said(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let backup = report["backup_dir"].as_str().unwrap().to_owned();

    // A read of what is there now refused: nothing is written, and the
    // words say which read and what permission it needs.
    server.faults(json!({"deny": [{"action": "sqs:GetQueueAttributes"}]}));
    let unread = sluice_run(&server, dir, &["restore", "--backup", &backup, "--yes"]);
    let text = said(&unread);
    assert_eq!(unread.status.code(), Some(1), "{text}");
    assert!(
        text.contains("reading what restore would write over: "),
        "{text}"
    );
    assert!(
        text.contains("the caller needs permission for sqs:GetQueueAttributes"),
        "{text}"
    );

    server.faults(json!({"deny": [{"action": "iam:UpdateAssumeRolePolicy"}]}));
    let stopped = sluice_run(&server, dir, &["restore", "--backup", &backup, "--yes"]);
    let text = said(&stopped);
    assert_eq!(stopped.status.code(), Some(1), "{text}");
    assert!(
        text.contains("restoring trust policy of role acme-ingest-role failed"),
        "{text}"
    );
    assert!(
        text.contains("the caller needs permission for iam:UpdateAssumeRolePolicy"),
        "{text}"
    );
    assert!(
        text.contains(
            "(restored before it: attributes VisibilityTimeout of queue acme-ingest-queue)"
        ),
        "{text}"
    );

    server.faults(json!({}));
    let finished = sluice_run(&server, dir, &["restore", "--backup", &backup, "--yes"]);
    assert!(finished.status.success(), "{}", said(&finished));
    let url = common::queue_url(&server, "acme-ingest-queue");
    let attributes = aws_cli(
        &server,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "VisibilityTimeout",
        ],
    );
    assert_ne!(attributes["Attributes"]["VisibilityTimeout"], "900");
}
