//! Connector profiles against moto: each pipeline shape (queue-fed, pull
//! import, destination) is made by `sluice apply`, plans clean, verifies and
//! is destroyed, leaving what is not its own alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{Moto, aws_cli, ok, run, shared, sluice, text};
use serde_json::Value;

fn sluice_run(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(moto, dir, args))
}

/// `sluice init --connector CONNECTOR` for moto's account, plain HTTP allowed.
fn init(moto: &Moto, dir: &Path, connector: &str, name: &str, sets: &[&str]) {
    // moto refuses every PutObject under the deny-insecure-transport statement.
    let mut all = vec!["bucket.deny_insecure_transport=false"];
    all.extend_from_slice(sets);
    common::init_spec(moto, dir, &["--connector", connector, "--name", name], &all);
}

/// `sluice apply --yes`, backups and key files in `dir`; it must succeed.
fn apply(moto: &Moto, dir: &Path) -> String {
    let applied = sluice_run(
        moto,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
            "--out",
            "out",
        ],
    );
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    text(&applied.stdout)
}

/// `sluice destroy --yes` (and `--force`); it must succeed.
fn destroy(moto: &Moto, dir: &Path, force: bool) {
    let mut args = vec![
        "destroy",
        "--config",
        "spec.json",
        "--yes",
        "--backup-dir",
        "backups",
    ];
    if force {
        args.push("--force");
    }
    let destroyed = sluice_run(moto, dir, &args);
    assert!(destroyed.status.success(), "{}", text(&destroyed.stderr));
}

/// The apply's stdout, and verify's report: each check's mark (`pass`,
/// `FAIL`, `n/a`) and its line.
fn apply_plan_verify(moto: &Moto, dir: &Path) -> (String, String) {
    let stdout = apply(moto, dir);
    let verified = common::plans_clean_and_verifies(moto, dir, "after apply", "10");
    (stdout, text(&verified.stdout))
}

/// The mark of `check` in verify's report, and its line.
fn outcome<'a>(report: &'a str, check: &str) -> (&'a str, &'a str) {
    report
        .lines()
        .find(|line| line.split_whitespace().nth(1) == Some(check))
        .map(|line| (line.split_whitespace().next().unwrap_or_default(), line))
        .unwrap_or_else(|| panic!("no check {check}:\n{report}"))
}

fn queues(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["sqs", "list-queues"])["QueueUrls"]
        .as_array()
        .map(|urls| {
            urls.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_pull_import_has_no_queue_and_verifies_by_listing_and_reading_as_its_user() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &moto,
        dir,
        "treasure-data",
        "td-pull",
        &["bucket.prefix=imports/"],
    );
    let before = queues(&moto);
    let (stdout, report) = apply_plan_verify(&moto, dir);
    // No queue, no notification: nothing piles up that nobody reads.
    assert_eq!(queues(&moto), before);
    let notification = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "td-pull-source",
        ],
    );
    assert!(
        notification.get("QueueConfigurations").is_none(),
        "{notification}"
    );
    // The values under Treasure Data's own names, the key id but never its secret.
    assert!(
        stdout.contains("Values for Treasure Data's form"),
        "{stdout}"
    );
    assert!(stdout.contains("path_prefix"), "{stdout}");
    assert!(stdout.contains("auth_method"), "{stdout}");
    let key_file = dir.join("out/td-pull-import-user_accessKeys.csv");
    let csv = std::fs::read_to_string(&key_file).unwrap();
    let mut fields = csv.lines().nth(1).unwrap().split(',');
    let (id, secret) = (fields.next().unwrap(), fields.next().unwrap());
    assert!(stdout.contains(id), "{stdout}");
    assert!(!stdout.contains(secret));
    let (mark, line) = outcome(&report, "queue-url");
    assert_eq!(mark, "n/a", "{report}");
    assert!(line.contains("pull import"), "{report}");
    assert_eq!(outcome(&report, "event").0, "n/a", "{report}");
    assert_eq!(outcome(&report, "upload").0, "pass", "{report}");
    // The user is the import's only identity: without its key, that is said.
    let (mark, line) = outcome(&report, "user-key");
    assert_eq!(mark, "n/a", "{report}");
    assert!(line.contains("--key-file"), "{report}");
    // With the key apply wrote, verify lists and reads as the user.
    let verified = sluice_run(
        &moto,
        dir,
        &[
            "verify",
            "--config",
            "spec.json",
            "--key-file",
            "out/td-pull-import-user_accessKeys.csv",
        ],
    );
    let report = text(&verified.stdout);
    assert!(
        verified.status.success(),
        "{report}{}",
        text(&verified.stderr)
    );
    for check in ["user-key", "user-list-bucket", "user-get-object"] {
        assert_eq!(outcome(&report, check).0, "pass", "{check}:\n{report}");
    }
    assert!(!report.contains(secret), "the secret in verify's output");
    // A file that is not a key file is refused, naming it.
    std::fs::write(dir.join("bad.csv"), "hello\n").unwrap();
    let out = sluice_run(
        &moto,
        dir,
        &["verify", "--config", "spec.json", "--key-file", "bad.csv"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.csv"),
        "{}",
        text(&out.stderr)
    );
    destroy(&moto, dir, false);
    assert!(
        aws_cli(&moto, &["iam", "list-users"])["Users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["UserName"] != "td-pull-import-user")
    );
}

#[test]
fn a_destination_writes_reads_and_deletes_as_its_role() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The role trusts Hevo's account; this caller's root is added so that
    // verify can act as the role here (moto does not check trust anyway).
    init(
        &moto,
        dir,
        "hevo",
        "hevo-dest",
        &[
            "role.external_id=hevo-team-7",
            r#"role.trusted_principals=["arn:aws:iam::393309748692:role/customer-aws_integration","arn:aws:iam::123456789012:root"]"#,
        ],
    );
    let before = queues(&moto);
    let (stdout, report) = apply_plan_verify(&moto, dir);
    assert_eq!(queues(&moto), before);
    assert!(stdout.contains("External ID"), "{stdout}");
    assert!(stdout.contains("hevo-team-7"), "{stdout}");
    for check in [
        "role-assume",
        "role-put-object",
        "role-get-object",
        "role-delete-object",
    ] {
        assert_eq!(outcome(&report, check).0, "pass", "{check}:\n{report}");
    }
    let written = aws_cli(
        &moto,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "hevo-dest-destination",
        ],
    );
    assert!(
        written.get("Contents").is_none(),
        "verify leaves nothing behind: {written}"
    );
    destroy(&moto, dir, false);
}

#[test]
fn a_queue_fed_profile_uses_the_vendors_names_and_sids() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &moto,
        dir,
        "databend",
        "dbnd",
        &[
            "role.external_id=org-42",
            r#"role.trusted_principals=["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/platform-load"]"#,
        ],
    );
    let (stdout, report) = apply_plan_verify(&moto, dir);
    for key in [
        "role_arn",
        "queue_url",
        "queue_region",
        "bucket",
        "prefix",
        "suffix",
    ] {
        assert!(stdout.contains(key), "{key}: {stdout}");
    }
    assert_eq!(outcome(&report, "event-key").0, "pass", "{report}");
    let role = aws_cli(
        &moto,
        &[
            "iam",
            "get-role",
            "--role-name",
            "dbnd-s3-sqs-consumer-role",
        ],
    );
    let trust = &role["Role"]["AssumeRolePolicyDocument"];
    assert_eq!(
        trust["Statement"][0]["Sid"], "AllowPlatformSetupAssumeRole",
        "{trust}"
    );
    assert_eq!(
        trust["Statement"][1]["Sid"], "AllowPlatformLoadAssumeRole",
        "{trust}"
    );
    destroy(&moto, dir, false);
}

#[test]
fn a_profile_without_its_vendor_values_creates_nothing() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = sluice_run(
        &moto,
        dir,
        &[
            "init",
            "--connector",
            "hevo",
            "--name",
            "nohevo",
            "--region",
            "us-west-2",
            "--out",
            "spec.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("role.external_id: Hevo gives the external ID"),
        "{stderr}"
    );
    assert!(!dir.join("spec.json").exists());
    // A spec written by hand without them is refused by apply, before any call.
    std::fs::write(
        dir.join("spec.json"),
        r#"{"name": "nohevo", "region": "us-west-2", "connector": "hevo"}"#,
    )
    .unwrap();
    let out = sluice_run(&moto, dir, &["apply", "--config", "spec.json", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("role.external_id"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        aws_cli(&moto, &["iam", "list-roles"])["Roles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["RoleName"] != "nohevo-destination-role")
    );
}

/// Hevo's bucket options (ownership, the four public access blocks one by
/// one, KMS without a Bucket Key, bucket tags) are applied as asked and plan
/// clean afterwards; Object Lock is set at creation.
#[test]
fn a_destination_bucket_takes_every_option_hevo_offers() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &moto,
        dir,
        "hevo",
        "hevo-opts",
        &[
            "role.external_id=hevo-team-7",
            "bucket.object_ownership=bucket-owner-preferred",
            r#"bucket.block_public_access={"restrict_public_buckets": false}"#,
            "bucket.encryption=sse-kms",
            "bucket.kms_key_arn=arn:aws:kms:us-west-2:123456789012:key/hevo",
            "bucket.bucket_key=false",
            r#"bucket.tags={"team": "data"}"#,
        ],
    );
    let spec = std::fs::read_to_string(dir.join("spec.json")).unwrap();
    assert!(
        spec.contains(r#""restrict_public_buckets": false"#),
        "written flag by flag: {spec}"
    );
    apply(&moto, dir);
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}{}",
        text(&planned.stdout),
        text(&planned.stderr)
    );
    let bucket = "hevo-opts-destination";
    let get = |what: &str| aws_cli(&moto, &["s3api", what, "--bucket", bucket]);
    assert_eq!(
        get("get-bucket-ownership-controls")["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerPreferred"
    );
    let pab = &get("get-public-access-block")["PublicAccessBlockConfiguration"];
    assert_eq!(pab["BlockPublicAcls"], true, "{pab}");
    assert_eq!(pab["RestrictPublicBuckets"], false, "{pab}");
    let rule = &get("get-bucket-encryption")["ServerSideEncryptionConfiguration"]["Rules"][0];
    assert_eq!(
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms",
        "{rule}"
    );
    assert_eq!(rule["BucketKeyEnabled"], false, "{rule}");
    let tags = get("get-bucket-tagging")["TagSet"].clone();
    for (key, value) in [("team", "data"), ("sluice:stack", "hevo-opts")] {
        assert!(
            tags.as_array()
                .unwrap()
                .iter()
                .any(|t| t["Key"] == key && t["Value"] == value),
            "{key}: {tags}"
        );
    }
    destroy(&moto, dir, true);

    // Object Lock, at creation, with versioning. (moto 5.2.5 answers
    // GetBucketVersioning on a versioned bucket with a wrong XML root
    // element, GetBucketVersioningResponse, which the SDK refuses: a plan
    // cannot read a versioned bucket there, so none is tried.)
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &moto,
        dir,
        "hevo",
        "hevo-lock",
        &[
            "role.external_id=hevo-team-7",
            "bucket.versioning=true",
            "bucket.object_lock=true",
        ],
    );
    apply(&moto, dir);
    assert_eq!(
        aws_cli(
            &moto,
            &[
                "s3api",
                "get-object-lock-configuration",
                "--bucket",
                "hevo-lock-destination"
            ]
        )["ObjectLockConfiguration"]["ObjectLockEnabled"],
        "Enabled"
    );
    // Without versioning it is refused before anything is made.
    let out = sluice_run(
        &moto,
        dir,
        &[
            "init",
            "--connector",
            "hevo",
            "--name",
            "hevo-nolock",
            "--region",
            "us-west-2",
            "--out",
            "nolock.json",
            "--set",
            "role.external_id=x1",
            "--set",
            "bucket.object_lock=true",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bucket.object_lock: needs versioning"),
        "{}",
        text(&out.stderr)
    );
}

/// `sluice credentials` makes Treasure Data's temporary credentials: the
/// `in:` block with a session token, only to a 0600 file or a terminal.
#[test]
fn temporary_credentials_go_to_a_0600_file_or_the_terminal_only() {
    use std::os::unix::fs::PermissionsExt;
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(
        &moto,
        dir,
        "treasure-data",
        "td-creds",
        &["bucket.prefix=imports/"],
    );
    // Into a pipe: refused before any call, nothing written.
    let out = sluice_run(&moto, dir, &["credentials", "--config", "spec.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("stdout is not a terminal"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty());
    let out = sluice_run(
        &moto,
        dir,
        &[
            "credentials",
            "--config",
            "spec.json",
            "--duration",
            "900",
            "--out",
            "td-in.yml",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = dir.join("td-in.yml");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let body = std::fs::read_to_string(&file).unwrap();
    for line in [
        "in:",
        "  type: s3",
        "  auth_method: session",
        "  bucket: td-creds-source",
        "  path_prefix: imports/",
    ] {
        assert!(body.lines().any(|l| l == line), "{line}: {body}");
    }
    let secret = body
        .lines()
        .find_map(|l| l.strip_prefix("  secret_access_key: "))
        .unwrap();
    let token = body
        .lines()
        .find_map(|l| l.strip_prefix("  session_token: "))
        .unwrap();
    assert!(!secret.is_empty() && !token.is_empty(), "{body}");
    let shown = text(&out.stdout);
    assert!(shown.contains("(mode 0600)"), "{shown}");
    assert!(
        !shown.contains(secret.trim_matches('\'')),
        "the secret on stdout: {shown}"
    );
    // At a terminal (script(1) gives it one): shown there, once.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok()
    {
        let line = format!(
            "'{}' credentials --config spec.json --session",
            common::sluice_bin().display()
        );
        let mut cmd = moto.command("script");
        cmd.current_dir(dir).args(["-qec", &line, "/dev/null"]);
        let shown = ok(run(&mut cmd));
        assert!(shown.contains("auth_method: session"), "{shown}");
        assert!(shown.contains("session_token: "), "{shown}");
        assert!(shown.contains("with the rights of the caller"), "{shown}");
    } else {
        common::skip(
            "temporary_credentials_go_to_a_0600_file_or_the_terminal_only",
            "`script` (util-linux) is not installed: the terminal case was not run",
        );
    }
    // Out of range is refused by the argument parser, naming the flag.
    let out = sluice_run(
        &moto,
        dir,
        &[
            "credentials",
            "--config",
            "spec.json",
            "--duration",
            "60",
            "--out",
            "x.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--duration"),
        "{}",
        text(&out.stderr)
    );
}

/// Snowflake's shape: the bucket notifies the vendor's own queue (here a
/// queue standing in for Snowflake's); sluice makes no queue, never reads
/// the vendor's, and destroy takes only its notification entry away.
#[test]
fn a_foreign_queue_profile_notifies_the_vendors_queue_and_leaves_it_alone() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let vendor_url = aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "sf-snowpipe-1"],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let vendor_arn = "arn:aws:sqs:us-west-2:123456789012:sf-snowpipe-1";
    init(
        &moto,
        dir,
        "snowflake",
        "sfk",
        &[
            r#"role.trusted_principals=["arn:aws:iam::123456789012:root"]"#,
            &format!("notification.queue_arn={vendor_arn}"),
            "bucket.prefix=load/",
        ],
    );
    let before = queues(&moto);
    let (stdout, report) = apply_plan_verify(&moto, dir);
    assert_eq!(queues(&moto), before, "no queue of ours");
    for key in [
        "STORAGE_AWS_ROLE_ARN",
        "STORAGE_ALLOWED_LOCATIONS",
        "STORAGE_AWS_EXTERNAL_ID",
    ] {
        assert!(stdout.contains(key), "{key}: {stdout}");
    }
    assert!(stdout.contains("('s3://sfk-source/load/')"), "{stdout}");
    let (mark, line) = outcome(&report, "event");
    assert_eq!(mark, "n/a", "{report}");
    assert!(line.contains("Snowflake's queue"), "{report}");
    let notification = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "sfk-source",
        ],
    );
    assert_eq!(
        notification["QueueConfigurations"][0]["QueueArn"], vendor_arn,
        "{notification}"
    );
    // S3 delivers an object's event to the vendor's queue.
    common::put_object(&moto, dir, "sfk-source", "load/o.json", b"{\"a\":1}\n");
    let got = aws_cli(
        &moto,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &vendor_url,
            "--max-number-of-messages",
            "10",
            "--wait-time-seconds",
            "5",
        ],
    );
    let bodies: Vec<&str> = got["Messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|m| m["Body"].as_str()).collect())
        .unwrap_or_default();
    // S3 URL-encodes the key in the event.
    assert!(bodies.iter().any(|b| b.contains("load%2Fo.json")), "{got}");
    destroy(&moto, dir, true);
    assert!(
        queues(&moto).iter().any(|u| u.ends_with("/sf-snowpipe-1")),
        "the vendor's queue is left alone"
    );
}
