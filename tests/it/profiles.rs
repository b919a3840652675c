//! Connector profiles: each vendor's own policy against the profile's, grant
//! by grant, every difference named with its reason and what the vendor's
//! connection test calls; and against moto, each pipeline shape (queue-fed,
//! pull import, destination) is made by `sluice apply`, plans clean, verifies
//! and is destroyed, leaving what is not its own alone.

use crate::common;

use std::path::Path;
use std::process::Output;

use crate::common::{Moto, aws_cli, ok, profiled, run, shared, sluice, text};
use serde_json::{Value, json};

/// The permissions policy as the JSON IAM is sent.
fn permissions_policy(spec: &sluice::spec::Spec) -> Value {
    sluice::docs::json(&sluice::docs::permissions_policy(spec))
}

/// The trust policy as the JSON IAM is sent.
fn trust_policy(spec: &sluice::spec::Spec) -> Value {
    sluice::docs::json(&sluice::docs::trust_policy(spec))
}
use sluice::spec::{Connector, ListScope, PolicyScope};

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

/// `sluice destroy --yes` (and, with `force`, `--force --delete-objects`:
/// the queue's backlog and the bucket's objects too); it must succeed.
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
        args.extend(["--force", "--delete-objects"]);
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
    // The Endpoint its form asks for first, for the bucket's region.
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("Endpoint ")
                && l.ends_with("  s3.us-west-2.amazonaws.com")),
        "{stdout}"
    );
    // The bundle made with the key file carries the real key id and the
    // in: block for td connector:guess, never the secret.
    let exported = sluice_run(
        &moto,
        dir,
        &[
            "export",
            "--config",
            "spec.json",
            "--out",
            "bundle",
            "--key-file",
            "out/td-pull-import-user_accessKeys.csv",
        ],
    );
    assert!(exported.status.success(), "{}", common::said(&exported));
    let values: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("bundle/connector-values.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(values["Access Key ID"], id);
    assert_eq!(values["Endpoint"], "s3.us-west-2.amazonaws.com");
    let block = values["td connector:guess in:"].as_str().unwrap();
    assert!(
        block.starts_with(
            "in:\n  type: s3\n  endpoint: s3.us-west-2.amazonaws.com\n  auth_method: basic\n"
        ) && block.contains(&format!("  access_key_id: {id}\n"))
            && block.ends_with("  bucket: td-pull-source\n  path_prefix: imports/\n"),
        "{block}"
    );
    let readme = std::fs::read_to_string(dir.join("bundle/README.md")).unwrap();
    assert!(readme.contains(block), "{readme}");
    for file in common::files_under(&dir.join("bundle")) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains(secret), "the secret in {}", file.display());
    }
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
    // The import user makes its own temporary credentials, as Treasure
    // Data's guide has it (its policy lets it call GetFederationToken).
    let made = sluice_run(
        &moto,
        dir,
        &[
            "credentials",
            "--config",
            "spec.json",
            "--key-file",
            "out/td-pull-import-user_accessKeys.csv",
            "--out",
            "td-in.yml",
        ],
    );
    assert!(made.status.success(), "{}", common::said(&made));
    let block = std::fs::read_to_string(dir.join("td-in.yml")).unwrap();
    assert!(block.contains("  auth_method: session\n"), "{block}");
    assert!(!block.contains(secret), "the user's own secret in {block}");
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
        trust["Statement"][0]["Sid"], "AllowDatabendSetupAssumeRole",
        "{trust}"
    );
    assert_eq!(
        trust["Statement"][1]["Sid"], "AllowDatabendLoadAssumeRole",
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
            "role.external_id=SFK12345_SFCRole=2_abcdefg",
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

/// A grant: an action on a resource, under its condition (null without one).
type Grant = (String, String, Value);

/// Every grant of `policy`, one per action and resource, sorted.
fn grants(policy: &Value) -> Vec<Grant> {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut out = Vec::new();
    for statement in policy["Statement"].as_array().into_iter().flatten() {
        let condition = statement.get("Condition").cloned().unwrap_or(Value::Null);
        for resource in list(&statement["Resource"]) {
            for action in list(&statement["Action"]) {
                out.push((resource.clone(), action, condition.clone()));
            }
        }
    }
    out.sort_by_key(|g| (g.0.clone(), g.1.clone(), g.2.to_string()));
    out.dedup();
    out
}

/// A grant the profile adds to its guide's policy, or leaves out of it, and why.
struct Difference {
    resource: &'static str,
    action: &'static str,
    why: &'static str,
}

const fn differs(resource: &'static str, action: &'static str, why: &'static str) -> Difference {
    Difference {
        resource,
        action,
        why,
    }
}

/// One vendor's guide: its own policy, verbatim, and how the profile differs.
struct GuidePolicy {
    connector: Connector,
    policy: Value,
    added: Vec<Difference>,
    left_out: Vec<Difference>,
    /// What the profile says the vendor's connection test calls.
    connection_test: &'static str,
}

const BUCKET: &str = "arn:aws:s3:::acme-source";
const OBJECTS: &str = "arn:aws:s3:::acme-source/*";
const QUEUE: &str = "arn:aws:sqs:us-west-2:123456789012:acme-queue";
const DLQ: &str = "arn:aws:sqs:us-west-2:123456789012:acme-queue-dlq";
const DESTINATION: &str = "arn:aws:s3:::acme-destination";
const DESTINATION_OBJECTS: &str = "arn:aws:s3:::acme-destination/*";
const DLQ_READ: &str = "the dead-letter queue sluice adds (the guide recommends one or has none), readable for its depth";
const NOTHING_ON_BUCKET: &str =
    "least privilege: an object action on the bucket's ARN grants nothing";
const NOTHING_ON_OBJECTS: &str = "least privilege: s3:ListBucket on object ARNs grants nothing";
const LOCATION: &str = "SDKs ask the bucket's region with it before their first request";

fn guide_policies() -> Vec<GuidePolicy> {
    // Databend's / TiDB Cloud Lake's permissions-policy.json, verbatim.
    let databend = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "S3BucketMetadataAccess", "Effect": "Allow",
         "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": BUCKET},
        {"Sid": "S3ObjectReadAccess", "Effect": "Allow",
         "Action": ["s3:GetObject"], "Resource": OBJECTS},
        {"Sid": "SQSConsumeAccess", "Effect": "Allow",
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
         "Resource": QUEUE}]});
    let dlq = || {
        vec![
            differs(DLQ, "sqs:GetQueueAttributes", DLQ_READ),
            differs(DLQ, "sqs:GetQueueUrl", DLQ_READ),
        ]
    };
    vec![
        GuidePolicy {
            connector: Connector::Databend,
            policy: databend.clone(),
            added: dlq(),
            left_out: vec![],
            connection_test: "Test Connectivity",
        },
        GuidePolicy {
            connector: Connector::TidbCloudLake,
            policy: databend,
            added: dlq(),
            left_out: vec![],
            connection_test: "Test Connectivity",
        },
        GuidePolicy {
            connector: Connector::TreasureData,
            // Treasure Data's read-only policy, verbatim (bucket "your-bucket").
            policy: json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": [BUCKET, OBJECTS]}]}),
            added: vec![
                differs(BUCKET, "s3:GetBucketLocation", LOCATION),
                differs(
                    "arn:aws:sts::123456789012:federated-user/acme",
                    "sts:GetFederationToken",
                    "the import user makes its own temporary credentials, as the guide's STS section has it do (sluice credentials --key-file)",
                ),
            ],
            left_out: vec![
                differs(BUCKET, "s3:GetObject", NOTHING_ON_BUCKET),
                differs(OBJECTS, "s3:ListBucket", NOTHING_ON_OBJECTS),
            ],
            connection_test: "connector:guess",
        },
        GuidePolicy {
            connector: Connector::Hevo,
            // Hevo's destination policy, verbatim.
            policy: json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "VisualEditor0", "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                 "Resource": [DESTINATION, DESTINATION_OBJECTS]}]}),
            added: vec![differs(DESTINATION, "s3:GetBucketLocation", LOCATION)],
            left_out: vec![
                differs(DESTINATION, "s3:DeleteObject", NOTHING_ON_BUCKET),
                differs(DESTINATION, "s3:GetObject", NOTHING_ON_BUCKET),
                differs(DESTINATION, "s3:PutObject", NOTHING_ON_BUCKET),
                differs(DESTINATION_OBJECTS, "s3:ListBucket", NOTHING_ON_OBJECTS),
            ],
            connection_test: "TEST & SAVE",
        },
        GuidePolicy {
            connector: Connector::Clickhouse,
            // ClickHouse's ClickPipes inline policy, verbatim.
            policy: json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "S3BucketMetadataAccess", "Effect": "Allow",
                 "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": BUCKET},
                {"Sid": "AllowGetListObjects", "Effect": "Allow",
                 "Action": ["s3:Get*", "s3:List*"], "Resource": OBJECTS},
                {"Sid": "SQSNotificationsAccess", "Effect": "Allow",
                 "Action": ["sqs:DeleteMessage", "sqs:ListQueues", "sqs:ReceiveMessage", "sqs:GetQueueAttributes"],
                 "Resource": QUEUE}]}),
            added: {
                let mut added = dlq();
                added.push(differs(
                    OBJECTS,
                    "s3:GetObject",
                    "s3:Get* narrowed to the one read ClickPipes makes",
                ));
                added
            },
            left_out: vec![
                differs(
                    OBJECTS,
                    "s3:Get*",
                    "least privilege: narrowed to s3:GetObject",
                ),
                differs(
                    OBJECTS,
                    "s3:List*",
                    "least privilege: a list action on object ARNs grants nothing",
                ),
                differs(
                    QUEUE,
                    "sqs:ListQueues",
                    "it takes no resource: a grant on the queue's ARN grants nothing",
                ),
            ],
            connection_test: "does not say",
        },
        GuidePolicy {
            connector: Connector::Snowflake,
            // Snowflake's Snowpipe read-only policy, verbatim (whole bucket).
            policy: json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                 "Resource": OBJECTS},
                {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                 "Resource": BUCKET}]}),
            added: vec![],
            left_out: vec![],
            connection_test: "STORAGE_ALLOWED_LOCATIONS",
        },
    ]
}

/// Each guide's own permission policy against the profile's, grant by grant
/// (action, resource, condition): every difference is named here with its
/// reason, and a new one fails. Then, with a prefix, where s3:ListBucket
/// reaches: the whole bucket where the guide grants it so (its connection
/// test lists or calls HeadBucket), said by a lint; only under the prefix for
/// sluice's own profile (least privilege) and Snowflake's.
#[test]
fn profiles_follow_their_guides_with_named_differences() {
    let account = Some(common::ACCOUNT_ID);
    let mut report = Vec::new();
    for guide in guide_policies() {
        let spec = profiled(guide.connector, account, "");
        let profile = sluice::spec::profile(guide.connector);
        let vendor = profile.vendor;
        let ours = grants(&permissions_policy(&spec));
        let theirs = grants(&guide.policy);
        let only = |a: &[Grant], b: &[Grant]| -> Vec<(String, String)> {
            a.iter()
                .filter(|g| !b.contains(g))
                .map(|(r, a, _)| (r.clone(), a.clone()))
                .collect()
        };
        let named = |list: &[Difference]| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = list
                .iter()
                .map(|d| (d.resource.to_owned(), d.action.to_owned()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            only(&ours, &theirs),
            named(&guide.added),
            "{vendor}: grants beyond the guide"
        );
        assert_eq!(
            only(&theirs, &ours),
            named(&guide.left_out),
            "{vendor}: guide grants left out"
        );
        assert!(
            profile.connection_test.contains(guide.connection_test),
            "{vendor}: {}",
            profile.connection_test
        );
        report.push(format!(
            "{vendor}: connection test: {}",
            profile.connection_test
        ));
        for (sign, list) in [("+", &guide.added), ("-", &guide.left_out)] {
            for d in list {
                report.push(format!(
                    "  {sign} {} on {}: {}",
                    d.action, d.resource, d.why
                ));
            }
        }
    }

    // Tarsal's own policy is the wildcard scope: its eight actions on "*".
    let tarsal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket", "sqs:ChangeMessageVisibility",
                   "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                   "sqs:ReceiveMessage", "sqs:SendMessage"],
        "Resource": ["*", "*"]}]});
    let mut wildcard = profiled(Connector::Tarsal, account, "");
    wildcard.policy.scope = PolicyScope::Wildcard;
    assert_eq!(grants(&permissions_policy(&wildcard)), grants(&tarsal));
    // Least privilege: the same actions, each on the bucket, its objects or
    // the queue instead of "*", and s3:GetBucketLocation.
    let actions = |policy: &Value| -> Vec<String> {
        let mut a: Vec<String> = grants(policy).into_iter().map(|g| g.1).collect();
        a.sort();
        a.dedup();
        a
    };
    let mut expected = actions(&tarsal);
    expected.push("s3:GetBucketLocation".to_owned());
    expected.sort();
    let least = permissions_policy(&profiled(Connector::Tarsal, account, ""));
    assert_eq!(actions(&least), expected);
    assert!(
        grants(&least).iter().all(|(r, _, _)| r != "*"),
        "least privilege names every resource: {least}"
    );
    report.push(format!(
        "Tarsal: connection test: {}\n  every grant on the bucket, its objects or the queue instead of \"*\" (policy.scope wildcard gives \"*\" back); + s3:GetBucketLocation: {LOCATION}",
        sluice::spec::profile(Connector::Tarsal).connection_test
    ));

    // With a prefix: where s3:ListBucket reaches, against each guide.
    for connector in Connector::ALL {
        let spec = profiled(*connector, account, "in/");
        let profile = sluice::spec::profile(*connector);
        let whole = !matches!(connector, Connector::Generic | Connector::Snowflake);
        assert_eq!(
            profile.list_scope == ListScope::Bucket,
            whole,
            "{connector}: its guide's ListBucket"
        );
        let list: Vec<Grant> = grants(&permissions_policy(&spec))
            .into_iter()
            .filter(|g| g.1 == "s3:ListBucket")
            .collect();
        let condition = if whole {
            Value::Null
        } else {
            json!({"StringLike": {"s3:prefix": ["in/", "in/*"]}})
        };
        let bucket = format!("arn:aws:s3:::{}", spec.bucket.name);
        assert_eq!(list, [(bucket, "s3:ListBucket".to_owned(), condition)]);
        let said = sluice::docs::lint(&spec)
            .into_iter()
            .any(|f| f.message.contains("s3:ListBucket on the whole bucket"));
        assert_eq!(
            said, whole,
            "{connector}: the lint on a whole-bucket ListBucket"
        );
        report.push(format!(
            "{}: s3:ListBucket with a prefix: {}",
            profile.vendor,
            if whole {
                "on the whole bucket, as the guide grants it (difference from least privilege, said by a lint)"
            } else {
                "only under the prefix (least privilege)"
            }
        ));
    }

    // The trust statements' Sids and principals are the guide's.
    let trust = trust_policy(&profiled(Connector::Databend, account, ""));
    assert_eq!(trust["Statement"][0]["Sid"], "AllowDatabendSetupAssumeRole");
    assert_eq!(trust["Statement"][1]["Sid"], "AllowDatabendLoadAssumeRole");
    let trust = trust_policy(&profiled(Connector::TidbCloudLake, account, ""));
    assert_eq!(trust["Statement"][0]["Sid"], "AllowPlatformSetupAssumeRole");
    assert_eq!(trust["Statement"][1]["Sid"], "AllowPlatformLoadAssumeRole");
    let hevo = trust_policy(&profiled(Connector::Hevo, account, ""));
    assert_eq!(
        hevo["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::393309748692:role/customer-aws_integration"
    );
    assert_eq!(
        hevo["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        common::VENDOR_EXTERNAL_ID
    );
    // ClickPipes assumes the role without an external ID.
    let clickhouse = trust_policy(&profiled(Connector::Clickhouse, account, ""));
    assert_eq!(clickhouse["Statement"][0]["Sid"], "AllowAssumeRole");
    assert!(clickhouse["Statement"][0].get("Condition").is_none());
    eprintln!("{}", report.join("\n"));
}
