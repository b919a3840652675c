//! `sluice plan` / `apply` / `restore` against moto, as a user runs them.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{
    ACCOUNT_ID, Moto, aws_cli, create_bucket, files_under, notification, ok, run, shared,
    sluice_bin, text,
};
use serde_json::{Value, json};

fn sluice(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut common::sluice(moto, dir, args))
}

/// A spec (no account id: apply discovers it) with `edit` applied.
fn write_spec(moto: &Moto, dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    ok(sluice(
        moto,
        dir,
        &[
            "init",
            "--name",
            "acme-ingest",
            "--region",
            "us-west-2",
            "--out",
            "base.json",
            "--force",
        ],
    ));
    let mut spec: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("base.json")).unwrap()).unwrap();
    edit(&mut spec);
    let path = dir.join("spec.json");
    fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    path
}

fn apply(moto: &Moto, dir: &Path) -> Output {
    sluice(
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
            "--log-file",
            "sluice.log",
        ],
    )
}

/// `apply --yes` with every request through `endpoint` (a proxy in front of moto).
fn apply_through(moto: &Moto, dir: &Path, endpoint: &str) -> Output {
    let args = [
        "apply",
        "--config",
        "spec.json",
        "--yes",
        "--backup-dir",
        "backups",
    ];
    run(common::sluice(moto, dir, &args).env("AWS_ENDPOINT_URL", endpoint))
}

fn plan_code(moto: &Moto, dir: &Path) -> i32 {
    sluice(moto, dir, &["plan", "--config", "spec.json"])
        .status
        .code()
        .unwrap_or(-1)
}

fn foreign_configuration() -> Value {
    json!({
        "TopicConfigurations": [{
            "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
            "Events": ["s3:ObjectRemoved:*"]
        }],
        "QueueConfigurations": [{
            "Id": "images", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:images",
            "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}
        }],
        "LambdaFunctionConfigurations": [{
            "Id": "thumbs", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:123456789012:function:thumbs",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}
        }]
    })
}

fn without(config: &Value, id: &str) -> Value {
    let mut config = config.clone();
    if let Some(list) = config
        .get_mut("QueueConfigurations")
        .and_then(Value::as_array_mut)
    {
        list.retain(|e| e["Id"] != id);
    }
    config
}

#[test]
fn plan_exit_codes_apply_is_idempotent_and_foreign_entries_survive() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The stack's bucket (an earlier apply made it), holding what others added.
    common::create_stack_bucket(&moto, "acme-ingest-source", "acme-ingest");
    common::put_notification(
        &moto,
        "acme-ingest-source",
        &foreign_configuration().to_string(),
    );
    let before = notification(&moto, "acme-ingest-source");
    write_spec(&moto, dir, |s| {
        s["bucket"]["prefix"] = json!("events/");
        s["bucket"]["suffix"] = json!(".json.gz");
    });

    assert_eq!(plan_code(&moto, dir), 2, "changes pending");
    let out = apply(&moto, dir);
    let stdout = ok(&out);
    assert!(stdout.contains("Connector values:"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "role_arn     arn:aws:iam::{ACCOUNT_ID}:role/acme-ingest-role"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "queue_url    {}/{ACCOUNT_ID}/acme-ingest-queue",
            moto.endpoint
        )),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("✓ notification: merged (entries of others kept)"),
        "{stderr}"
    );

    // Foreign entries, byte for byte; ours added.
    let after = notification(&moto, "acme-ingest-source");
    assert_eq!(without(&after, "acme-ingest-object-created"), before);
    let ours: Vec<&Value> = after["QueueConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["Id"] == "acme-ingest-object-created")
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(
        ours[0]["Filter"]["Key"]["FilterRules"],
        json!([{"Name": "prefix", "Value": "events/"}, {"Name": "suffix", "Value": ".json.gz"}])
    );

    // Nothing left to do: plan exits 0 and a second apply changes nothing.
    assert_eq!(plan_code(&moto, dir), 0);
    let out = apply(&moto, dir);
    let stdout = ok(out);
    assert!(stdout.contains("Nothing to change"), "{stdout}");
    assert_eq!(notification(&moto, "acme-ingest-source"), after);

    // Drift is detected: someone shortens the visibility timeout.
    let url = common::queue_url(&moto, "acme-ingest-queue");
    aws_cli(
        &moto,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            "VisibilityTimeout=30",
        ],
    );
    let out = sluice(&moto, dir, &["plan", "--config", "spec.json", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let plan: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let queue = plan
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["resource"] == "queue")
        .unwrap();
    assert_eq!(queue["action"], "update");
    assert_eq!(queue["before"]["VisibilityTimeout"], "30");
    assert_eq!(queue["after"]["VisibilityTimeout"], "600");
}

#[test]
fn an_overlapping_entry_is_refused_before_any_write() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The stack's bucket (an earlier apply made it), holding what others added.
    common::create_stack_bucket(&moto, "acme-ingest-source", "acme-ingest");
    common::put_notification(
        &moto,
        "acme-ingest-source",
        &foreign_configuration().to_string(),
    );
    // No prefix: ObjectCreated:* everywhere overlaps "images" (Put under images/).
    write_spec(&moto, dir, |_| {});
    let planned = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(1));
    // plan, too, gives the reason on stderr: automation that keeps only
    // stderr still learns why.
    let stderr = text(&planned.stderr);
    assert!(
        stderr.contains("overlap the existing queue entry images"),
        "{stderr}"
    );
    let out = apply(&moto, dir);
    assert!(!out.status.success());
    // The reason is on stderr, where errors go, not only in the plan's text.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("overlap the existing queue entry images"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"])["Policies"],
        json!([])
    );
    assert!(
        aws_cli(&moto, &["sqs", "list-queues"])
            .get("QueueUrls")
            .is_none()
    );
    assert_eq!(
        notification(&moto, "acme-ingest-source"),
        foreign_configuration_as_moto_reports(&moto)
    );
}

/// What moto reports for the foreign configuration (its own key order).
fn foreign_configuration_as_moto_reports(moto: &Moto) -> Value {
    let probe = "sluice-probe-bucket";
    create_bucket(moto, probe);
    common::put_notification(moto, probe, &foreign_configuration().to_string());
    notification(moto, probe)
}

#[test]
fn backup_and_restore_return_every_changed_document() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The stack's resources as an earlier apply left them (its tags), with
    // other documents.
    let stack_tags = "Key=sluice:stack,Value=acme-ingest Key=managed-by,Value=sluice";
    let old_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let mut create_policy = vec![
        "iam",
        "create-policy",
        "--policy-name",
        "acme-ingest-policy",
        "--policy-document",
    ];
    let old_policy_text = old_policy.to_string();
    create_policy.push(&old_policy_text);
    create_policy.push("--tags");
    create_policy.extend(stack_tags.split(' '));
    aws_cli(&moto, &create_policy);
    let old_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let old_trust_text = old_trust.to_string();
    let mut create_role = vec![
        "iam",
        "create-role",
        "--role-name",
        "acme-ingest-role",
        "--assume-role-policy-document",
        &old_trust_text,
        "--tags",
    ];
    create_role.extend(stack_tags.split(' '));
    aws_cli(&moto, &create_role);
    // The stack's bucket (an earlier apply made it), holding what others added.
    common::create_stack_bucket(&moto, "acme-ingest-source", "acme-ingest");
    let old_bucket_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-ingest-source/*"}]});
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "acme-ingest-source",
            "--policy",
            &old_bucket_policy.to_string(),
        ],
    );
    common::put_notification(
        &moto,
        "acme-ingest-source",
        &foreign_configuration().to_string(),
    );
    let old_notification = notification(&moto, "acme-ingest-source");
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "acme-ingest-queue",
            "--attributes",
            "VisibilityTimeout=45,MessageRetentionPeriod=86400",
            "--tags",
            "sluice:stack=acme-ingest,managed-by=sluice",
        ],
    );
    write_spec(&moto, dir, |s| {
        s["bucket"]["prefix"] = json!("events/");
        s["bucket"]["suffix"] = json!(".json");
    });

    let out = apply(&moto, dir);
    let stdout = ok(out);
    let backup = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Backup of what was changed: "))
        .unwrap_or_else(|| panic!("no backup line in:\n{stdout}"))
        .to_owned();
    assert!(
        Path::new(&backup).starts_with(dir.join("backups").join("acme-ingest")),
        "{backup}"
    );
    let url = common::queue_url(&moto, "acme-ingest-queue");
    let attrs = |moto: &Moto| {
        aws_cli(
            moto,
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                &url,
                "--attribute-names",
                "All",
            ],
        )["Attributes"]
            .clone()
    };
    assert_eq!(attrs(&moto)["VisibilityTimeout"], "600");
    let policy_doc = |moto: &Moto| {
        let arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/acme-ingest-policy");
        let v = aws_cli(moto, &["iam", "get-policy", "--policy-arn", &arn])["Policy"]["DefaultVersionId"].as_str().unwrap().to_owned();
        aws_cli(
            moto,
            &[
                "iam",
                "get-policy-version",
                "--policy-arn",
                &arn,
                "--version-id",
                &v,
            ],
        )["PolicyVersion"]["Document"]
            .clone()
    };
    assert_ne!(policy_doc(&moto), old_policy);
    let bucket_policy = |moto: &Moto| -> Value {
        serde_json::from_str(
            aws_cli(
                moto,
                &[
                    "s3api",
                    "get-bucket-policy",
                    "--bucket",
                    "acme-ingest-source",
                ],
            )["Policy"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    };
    let merged = bucket_policy(&moto);
    assert_eq!(
        merged["Statement"][0], old_bucket_policy["Statement"][0],
        "the existing statement is kept"
    );
    assert_eq!(merged["Statement"][1]["Sid"], "SluiceDenyInsecureTransport");

    // Restore puts every prior document back.
    let out = sluice(&moto, dir, &["restore", "--backup", &backup, "--yes"]);
    ok(out);
    assert_eq!(policy_doc(&moto), old_policy);
    let trust = aws_cli(
        &moto,
        &["iam", "get-role", "--role-name", "acme-ingest-role"],
    )["Role"]["AssumeRolePolicyDocument"]
        .clone();
    assert_eq!(trust, old_trust);
    assert_eq!(bucket_policy(&moto), old_bucket_policy);
    assert_eq!(notification(&moto, "acme-ingest-source"), old_notification);
    let restored = attrs(&moto);
    assert_eq!(restored["VisibilityTimeout"], "45");
    assert_eq!(restored["MessageRetentionPeriod"], "86400");

    // Without --yes and without a terminal, restore refuses.
    let out = sluice(&moto, dir, &["restore", "--backup", &backup]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pass --yes"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_access_key_secret_lands_only_in_its_0600_file() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The stack's queue, left with other settings (by an earlier apply), so
    // that apply also writes a backup.
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "acme-ingest-queue",
            "--attributes",
            "VisibilityTimeout=45",
            "--tags",
            "sluice:stack=acme-ingest,managed-by=sluice",
        ],
    );
    write_spec(&moto, dir, |s| {
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
    });
    let out = apply(&moto, dir);
    ok(&out);
    let csv_path = dir.join("out").join("acme-ingest-user_accessKeys.csv");
    let csv = fs::read_to_string(&csv_path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Access key ID,Secret access key"));
    let (key_id, secret) = lines.next().unwrap().split_once(',').unwrap();
    assert!(secret.len() >= 20, "{csv}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&csv_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The secret is nowhere else: not in the output, spec, backups, log, or other files.
    assert!(!text(&out.stdout).contains(secret));
    assert!(
        !text(&out.stderr).contains(secret),
        "stderr is not a terminal: the secret is not shown"
    );
    assert!(text(&out.stderr).contains(key_id));
    let everything = files_under(dir);
    assert!(
        everything.iter().any(|p| p.ends_with("sluice.log")),
        "the log file exists"
    );
    assert!(
        everything
            .iter()
            .any(|p| p.starts_with(dir.join("backups"))),
        "a backup was written"
    );
    for path in everything {
        if path == csv_path {
            continue;
        }
        let content = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        assert!(
            !content.contains(secret),
            "the secret leaked into {}",
            path.display()
        );
    }
    // A second apply does not create another key.
    let out = apply(&moto, dir);
    ok(out);
    let keys = aws_cli(
        &moto,
        &["iam", "list-access-keys", "--user-name", "acme-ingest-user"],
    );
    assert_eq!(keys["AccessKeyMetadata"].as_array().unwrap().len(), 1);
}

#[test]
fn create_false_adopts_an_existing_bucket_and_queue() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    create_bucket(&moto, "acme-ingest-source");
    let theirs = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "TheirSender", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"}]});
    let attributes = json!({"Policy": theirs.to_string(), "VisibilityTimeout": "45"}).to_string();
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "acme-ingest-queue",
            "--attributes",
            &attributes,
        ],
    );
    write_spec(&moto, dir, |s| {
        s["bucket"]["create"] = json!(false);
        s["queue"]["create"] = json!(false);
    });
    let out = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("~ adopt bucket acme-ingest-source"),
        "{stdout}"
    );
    assert!(
        stdout.contains("~ adopt queue acme-ingest-queue"),
        "{stdout}"
    );
    ok(apply(&moto, dir));

    let url = common::queue_url(&moto, "acme-ingest-queue");
    let attrs = aws_cli(
        &moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone();
    assert_eq!(
        attrs["VisibilityTimeout"], "45",
        "an adopted queue keeps its settings"
    );
    let policy: Value = serde_json::from_str(attrs["Policy"].as_str().unwrap()).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["TheirSender", "AllowS3ToSendMessage"]);
    let bucket_policy = moto
        .command(common::venv().join("bin/aws"))
        .args([
            "s3api",
            "get-bucket-policy",
            "--bucket",
            "acme-ingest-source",
        ])
        .output()
        .unwrap();
    assert!(
        !bucket_policy.status.success(),
        "an adopted bucket gets no bucket policy"
    );
    assert_eq!(
        notification(&moto, "acme-ingest-source")["QueueConfigurations"][0]["Id"],
        "acme-ingest-object-created"
    );
    assert_eq!(plan_code(&moto, dir), 0);

    // Adopting what does not exist is an error before any write.
    write_spec(&moto, dir, |s| {
        s["bucket"]["create"] = json!(false);
        s["bucket"]["name"] = json!("no-such-bucket-here");
    });
    let out = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bucket no-such-bucket-here does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn without_credentials_the_error_says_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    // No AWS_* variables, no config files, no instance metadata.
    let run = |args: &[&str]| {
        std::process::Command::new(sluice_bin())
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(args)
            .output()
            .unwrap()
    };
    ok(run(&[
        "init",
        "--name",
        "acme-ingest",
        "--region",
        "us-west-2",
        "--set",
        "bucket.deny_insecure_transport=false",
    ]));
    let out = run(&["plan", "--config", "sluice.json"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("no usable AWS credentials (tried the environment"),
        "{stderr}"
    );
    // Offline paths need no credentials.
    ok(run(&["plan", "--config", "sluice.json", "--offline"]));
}

/// `bucket.create` true with a bucket of that name that is not the stack's
/// (untagged, or another stack's): plan and apply refuse it before any
/// write, say so on stderr and offer adopting it; setup.sh refuses it too.
/// With `bucket.create` false the same bucket is adopted as it is.
#[test]
fn creating_a_bucket_that_exists_and_is_not_the_stacks_is_refused() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    create_bucket(&moto, "acme-ingest-source");
    let theirs = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Analytics", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-ingest-source/*"}]});
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "acme-ingest-source",
            "--policy",
            &theirs.to_string(),
        ],
    );
    write_spec(&moto, dir, |_| {});
    let before = moto.state();
    for command in ["plan", "apply"] {
        let mut args = vec![command, "--config", "spec.json"];
        if command == "apply" {
            args.extend(["--yes", "--backup-dir", "backups"]);
        }
        let out = sluice(&moto, dir, &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("bucket acme-ingest-source exists and is not this stack's (no sluice:stack=acme-ingest tag)"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("bucket.create false"),
            "{command}: {stderr}"
        );
        assert_eq!(moto.state(), before, "{command} wrote: {stderr}");
    }
    assert!(
        text(&sluice(&moto, dir, &["plan", "--config", "spec.json"]).stdout)
            .contains("! refused bucket acme-ingest-source")
    );
    ok(sluice(
        &moto,
        dir,
        &["export", "--config", "spec.json", "--out", "bundle"],
    ));
    let script = run(moto
        .command("bash")
        .arg(dir.join("bundle/setup.sh"))
        .arg("--yes")
        .current_dir(dir.join("bundle")));
    assert_eq!(script.status.code(), Some(1), "{}", common::said(&script));
    assert!(
        text(&script.stderr).contains("bucket acme-ingest-source exists and is not this stack's"),
        "{}",
        common::said(&script)
    );
    assert_eq!(moto.state(), before, "setup.sh wrote");

    // Adopted, it is used as it is: its policy untouched.
    write_spec(&moto, dir, |s| s["bucket"]["create"] = json!(false));
    ok(apply(&moto, dir));
    let policy = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-policy",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    let policy: Value = serde_json::from_str(policy["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy, theirs);
}

/// Every attribute of `bucket` that apply can change, and what others keep
/// on it, as the AWS CLI reads them (absent ones as null).
fn bucket_attributes(moto: &Moto, bucket: &str) -> Value {
    let try_get = |what: &str, key: &str| -> Value {
        let out = moto
            .command(common::aws_shim_dir().join("aws"))
            .args(["--output", "json", "s3api", what, "--bucket", bucket])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        if !out.status.success() {
            return Value::Null;
        }
        let got: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if key.is_empty() {
            got
        } else {
            got[key].clone()
        }
    };
    json!({
        "PublicAccessBlock": try_get("get-public-access-block", "PublicAccessBlockConfiguration"),
        "OwnershipControls": try_get("get-bucket-ownership-controls", "OwnershipControls"),
        "Encryption": try_get("get-bucket-encryption", "ServerSideEncryptionConfiguration"),
        "Versioning": try_get("get-bucket-versioning", ""),
        "ObjectLock": try_get("get-object-lock-configuration", "ObjectLockConfiguration"),
        // The policy byte for byte, as S3 keeps it.
        "Policy": try_get("get-bucket-policy", "Policy"),
        "Notification": notification(moto, bucket),
        "Tags": try_get("get-bucket-tagging", "TagSet"),
    })
}

/// For each bucket setting apply writes, on the stack's bucket that also
/// holds another team's policy statement and notification entry: apply a
/// change, restore its backup, and the bucket is as it was, attribute by
/// attribute, the policy byte for byte. Where S3 cannot go back (versioning
/// is suspended, never removed; Object Lock is never turned off) restore
/// says so, and everything else is as it was.
#[test]
fn restore_puts_back_each_bucket_setting_and_nothing_else() {
    let moto = shared();
    let bucket = "acme-ingest-source";
    // (what changes, the change to the spec, the attributes it changes)
    type Case = (&'static str, fn(&mut Value), &'static [&'static str]);
    let cases: [Case; 6] = [
        (
            "public access block",
            |s| s["bucket"]["block_public_access"] = json!(false),
            &["PublicAccessBlock"],
        ),
        (
            "ownership",
            |s| s["bucket"]["object_ownership"] = json!("bucket-owner-preferred"),
            &["OwnershipControls"],
        ),
        (
            "encryption",
            |s| {
                s["bucket"]["encryption"] = json!("sse-kms");
                s["bucket"]["kms_key_arn"] = json!(
                    "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                );
            },
            &["Encryption"],
        ),
        (
            "policy",
            |s| s["bucket"]["deny_insecure_transport"] = json!(true),
            &["Policy"],
        ),
        (
            "versioning",
            |s| s["bucket"]["versioning"] = json!(true),
            &["Versioning"],
        ),
        (
            "object lock",
            |s| {
                s["bucket"]["versioning"] = json!(true);
                s["bucket"]["object_lock"] = json!(true);
            },
            &["Versioning", "ObjectLock"],
        ),
    ];
    for (name, change, changed) in cases {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        write_spec(&moto, dir, |s| {
            s["bucket"]["prefix"] = json!("events/");
            s["bucket"]["deny_insecure_transport"] = json!(false);
        });
        ok(apply(&moto, dir));
        // Another team's policy statement and notification entry.
        let theirs = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Analytics", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-ingest-source/reports/*"}]});
        aws_cli(
            &moto,
            &[
                "s3api",
                "put-bucket-policy",
                "--bucket",
                bucket,
                "--policy",
                &theirs.to_string(),
            ],
        );
        let mut config = notification(&moto, bucket);
        config["TopicConfigurations"] = json!([{
            "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
            "Events": ["s3:ObjectRemoved:*"]
        }]);
        common::put_notification(&moto, bucket, &config.to_string());
        let before = bucket_attributes(&moto, bucket);

        write_spec(&moto, dir, |s| {
            s["bucket"]["prefix"] = json!("events/");
            s["bucket"]["deny_insecure_transport"] = json!(false);
            change(s);
        });
        let stdout = ok(apply(&moto, dir));
        let applied = bucket_attributes(&moto, bucket);
        for key in changed {
            assert_ne!(
                applied[key], before[key],
                "{name}: apply did not change {key}"
            );
        }
        let backup = stdout
            .lines()
            .find_map(|l| l.strip_prefix("Backup of what was changed: "))
            .unwrap_or_else(|| panic!("{name}: no backup line in:\n{stdout}"))
            .to_owned();
        let restored = sluice(&moto, dir, &["restore", "--backup", &backup, "--yes"]);
        ok(&restored);
        let restored = common::said(&restored);
        let after = bucket_attributes(&moto, bucket);
        let mut expected = before.clone();
        match name {
            "versioning" => {
                expected["Versioning"] = json!({"Status": "Suspended"});
                assert!(
                    restored.contains("S3 never removes it"),
                    "{name}: {restored}"
                );
            }
            "object lock" => {
                expected["Versioning"] = json!({"Status": "Suspended"});
                expected["ObjectLock"] = applied["ObjectLock"].clone();
                assert!(
                    restored.contains("Object Lock stays on"),
                    "{name}: {restored}"
                );
            }
            _ => {}
        }
        assert_eq!(
            after, expected,
            "{name}: restore left the bucket otherwise:\n{restored}"
        );
        assert_eq!(
            after["Policy"], before["Policy"],
            "{name}: the policy, byte for byte"
        );
    }
}

/// Tags follow the spec on every resource of the stack: a key changed in
/// the spec is changed, a key taken out of the spec is taken off, and tags
/// others added stay; plan shows it, apply does it, the next plan is clean.
#[test]
fn tags_converge_on_every_resource_and_others_tags_stay() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let tagged = |team: &str, env: Option<&str>| {
        let team = team.to_owned();
        let env = env.map(str::to_owned);
        move |s: &mut Value| {
            s["bucket"]["deny_insecure_transport"] = json!(false);
            s["tags"]["team"] = json!(team);
            if let Some(env) = &env {
                s["tags"]["env"] = json!(env);
            }
        }
    };
    write_spec(&moto, dir, tagged("data", Some("dev")));
    ok(apply(&moto, dir));
    assert_eq!(plan_code(&moto, dir), 0);
    // Finance tags the queue and the bucket by hand.
    let url = common::queue_url(&moto, "acme-ingest-queue");
    aws_cli(
        &moto,
        &[
            "sqs",
            "tag-queue",
            "--queue-url",
            &url,
            "--tags",
            "billing=finance",
        ],
    );
    let mut bucket_tags = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-tagging",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    bucket_tags["TagSet"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Key": "billing", "Value": "finance"}));
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-tagging",
            "--bucket",
            "acme-ingest-source",
            "--tagging",
            &bucket_tags.to_string(),
        ],
    );

    write_spec(&moto, dir, tagged("lake", None));
    let planned = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(2), "{}", common::said(&planned));
    let stdout = text(&planned.stdout);
    assert!(
        stdout.contains("tags: sluice:tags: env team → team, team: data → lake, -env"),
        "{stdout}"
    );
    ok(apply(&moto, dir));
    assert_eq!(plan_code(&moto, dir), 0, "tags converged");
    let as_map = |tags: &Value| -> BTreeMap<String, String> {
        tags.as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["Key"].as_str().unwrap().to_owned(),
                    t["Value"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let policy_arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/acme-ingest-policy");
    let dlq_url = common::queue_url(&moto, "acme-ingest-queue-dlq");
    let all = [
        (
            "policy",
            as_map(
                &aws_cli(
                    &moto,
                    &["iam", "list-policy-tags", "--policy-arn", &policy_arn],
                )["Tags"],
            ),
        ),
        (
            "role",
            as_map(
                &aws_cli(
                    &moto,
                    &["iam", "list-role-tags", "--role-name", "acme-ingest-role"],
                )["Tags"],
            ),
        ),
        (
            "bucket",
            as_map(
                &aws_cli(
                    &moto,
                    &[
                        "s3api",
                        "get-bucket-tagging",
                        "--bucket",
                        "acme-ingest-source",
                    ],
                )["TagSet"],
            ),
        ),
        (
            "queue",
            serde_json::from_value(
                aws_cli(&moto, &["sqs", "list-queue-tags", "--queue-url", &url])["Tags"].clone(),
            )
            .unwrap(),
        ),
        (
            "dlq",
            serde_json::from_value(
                aws_cli(&moto, &["sqs", "list-queue-tags", "--queue-url", &dlq_url])["Tags"]
                    .clone(),
            )
            .unwrap(),
        ),
    ];
    for (what, tags) in all {
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("lake"),
            "{what}: {tags:?}"
        );
        assert!(!tags.contains_key("env"), "{what}: {tags:?}");
        assert_eq!(tags["sluice:stack"], "acme-ingest", "{what}");
        if matches!(what, "queue" | "bucket") {
            assert_eq!(tags["billing"], "finance", "{what}: others' tag kept");
        }
    }
}

/// Another team's resources under the names the spec would use (a policy
/// with its own description attached to its role, a queue with its own
/// statement, a role and a user) are not this stack's: plan refuses each,
/// naming it, apply and setup.sh write nothing, and destroy leaves them.
#[test]
fn another_teams_same_named_resources_are_refused_and_left_alone() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for role in ["d2-role", "team-app"] {
        common::create_role(&moto, role, &[]);
    }
    let theirs = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    aws_cli(
        &moto,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "d2-policy",
            "--description",
            "the app team's read access",
            "--policy-document",
            &theirs.to_string(),
        ],
    );
    let policy_arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/d2-policy");
    aws_cli(
        &moto,
        &[
            "iam",
            "attach-role-policy",
            "--role-name",
            "team-app",
            "--policy-arn",
            &policy_arn,
        ],
    );
    aws_cli(&moto, &["iam", "create-user", "--user-name", "d2-user"]);
    let queue_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "TheirSender", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-west-2:123456789012:d2-queue"}]});
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "d2-queue",
            "--attributes",
            &json!({"Policy": queue_policy.to_string()}).to_string(),
        ],
    );
    ok(sluice(
        &moto,
        dir,
        &[
            "init",
            "--name",
            "d2",
            "--region",
            "us-west-2",
            "--out",
            "spec.json",
            "--force",
            "--set",
            "user.enabled=true",
            "--set",
            "bucket.deny_insecure_transport=false",
        ],
    ));
    let before = moto.state();
    let planned = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    let stderr = text(&planned.stderr);
    assert_eq!(planned.status.code(), Some(1), "{stderr}");
    for refused in [
        "policy d2-policy exists and is not this stack's (no sluice:stack=d2 tag, nor the description sluice writes): sluice does not take over what others made; choose another policy.name",
        "role d2-role exists and is not this stack's",
        "user d2-user exists and is not this stack's",
        "queue d2-queue exists and is not this stack's",
        "adopt it (queue.create false",
    ] {
        assert!(stderr.contains(refused), "{refused}: {stderr}");
    }
    let applied = sluice(
        &moto,
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
    assert_eq!(applied.status.code(), Some(1), "{}", common::said(&applied));
    assert_eq!(moto.state(), before, "apply wrote");
    ok(sluice(
        &moto,
        dir,
        &["export", "--config", "spec.json", "--out", "bundle"],
    ));
    let script = run(moto
        .command("bash")
        .arg(dir.join("bundle/setup.sh"))
        .arg("--yes")
        .current_dir(dir.join("bundle")));
    assert_eq!(script.status.code(), Some(1), "{}", common::said(&script));
    assert!(
        text(&script.stderr).contains("policy d2-policy exists and is not this stack's"),
        "{}",
        common::said(&script)
    );
    assert_eq!(moto.state(), before, "setup.sh wrote");
    let destroyed = sluice(
        &moto,
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
    );
    let said = common::said(&destroyed);
    assert!(destroyed.status.success(), "{said}");
    assert!(
        said.contains("kept     policy d2-policy: not tagged sluice:stack=d2"),
        "{said}"
    );
    let attached = aws_cli(
        &moto,
        &[
            "iam",
            "list-attached-role-policies",
            "--role-name",
            "team-app",
        ],
    );
    assert_eq!(attached["AttachedPolicies"][0]["PolicyArn"], policy_arn);
    let url = common::queue_url(&moto, "d2-queue");
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
    let kept: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(kept, queue_policy);
}

/// The Sids of a policy document (given as JSON or as its text).
fn sids(policy: &Value) -> Vec<String> {
    let policy = match policy.as_str() {
        Some(text) => serde_json::from_str(text).unwrap(),
        None => policy.clone(),
    };
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect()
}

/// Others change the adopted queue's access policy, the stack bucket's
/// policy and the role's trust policy after the plan was read and before
/// apply writes them: apply merges into what is there at that moment (their
/// late statements stay), the backup holds what it replaced, and the next
/// plan is clean.
#[test]
fn merges_are_made_into_what_is_there_when_apply_writes() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::create_stack_bucket(&moto, "acme-ingest-source", "acme-ingest");
    let statement = |sid: &str, action: &str, resource: &str| {
        json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": action, "Resource": resource})
    };
    let bucket_objects = "arn:aws:s3:::acme-ingest-source/*";
    let queue_arn = "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue";
    let policy = |statements: Vec<Value>| json!({"Version": "2012-10-17", "Statement": statements});
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "acme-ingest-source",
            "--policy",
            &policy(vec![statement("Analytics", "s3:GetObject", bucket_objects)]).to_string(),
        ],
    );
    let theirs = policy(vec![statement("TheirSender", "sqs:SendMessage", queue_arn)]);
    let attributes = json!({"Policy": theirs.to_string()}).to_string();
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "acme-ingest-queue",
            "--attributes",
            &attributes,
        ],
    );
    let trust = |account: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]})
        .to_string()
    };
    aws_cli(
        &moto,
        &[
            "iam",
            "create-role",
            "--role-name",
            "acme-ingest-role",
            "--assume-role-policy-document",
            &trust("111111111111"),
            "--tags",
            "Key=sluice:stack,Value=acme-ingest",
            "Key=managed-by,Value=sluice",
        ],
    );
    write_spec(&moto, dir, |s| {
        s["queue"]["create"] = json!(false);
        s["bucket"]["deny_insecure_transport"] = json!(true);
    });
    // After apply has read everything (its plan), as it creates the policy:
    // the queue's owners add a sender, the bucket's an auditor, and someone
    // changes the role's trust.
    let server = moto.server();
    let url = common::queue_url(&moto, "acme-ingest-queue");
    let late_queue = policy(vec![
        statement("TheirSender", "sqs:SendMessage", queue_arn),
        statement("LateSender", "sqs:SendMessage", queue_arn),
    ]);
    let late_bucket = policy(vec![
        statement("Analytics", "s3:GetObject", bucket_objects),
        statement("Audit", "s3:GetObject", bucket_objects),
    ]);
    let endpoint = common::hooked_endpoint(&moto, "Action=CreatePolicy", move || {
        let attributes = json!({"Policy": late_queue.to_string()}).to_string();
        aws_cli(
            server,
            &[
                "sqs",
                "set-queue-attributes",
                "--queue-url",
                &url,
                "--attributes",
                &attributes,
            ],
        );
        aws_cli(
            server,
            &[
                "s3api",
                "put-bucket-policy",
                "--bucket",
                "acme-ingest-source",
                "--policy",
                &late_bucket.to_string(),
            ],
        );
        aws_cli(
            server,
            &[
                "iam",
                "update-assume-role-policy",
                "--role-name",
                "acme-ingest-role",
                "--policy-document",
                &trust("222222222222"),
            ],
        );
    });
    let out = apply_through(&moto, dir, &endpoint);
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("changed since the plan"), "{said}");

    let queue_policy = aws_cli(
        &moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &common::queue_url(&moto, "acme-ingest-queue"),
            "--attribute-names",
            "Policy",
        ],
    )["Attributes"]["Policy"]
        .clone();
    let queue_sids = sids(&queue_policy);
    for sid in ["TheirSender", "LateSender", "AllowS3ToSendMessage"] {
        assert!(queue_sids.iter().any(|s| s == sid), "{sid}: {queue_sids:?}");
    }
    let bucket_policy = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-policy",
            "--bucket",
            "acme-ingest-source",
        ],
    )["Policy"]
        .clone();
    let bucket_sids = sids(&bucket_policy);
    for sid in ["Analytics", "Audit", "SluiceDenyInsecureTransport"] {
        assert!(
            bucket_sids.iter().any(|s| s == sid),
            "{sid}: {bucket_sids:?}"
        );
    }
    // The backup holds what was there when apply wrote, late changes included.
    let backed_up: String = files_under(&dir.join("backups"))
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    for late in ["LateSender", "Audit", "222222222222"] {
        assert!(
            backed_up.contains(late),
            "{late} in the backup: {backed_up}"
        );
    }
    assert_eq!(plan_code(&moto, dir), 0);
}

/// Another writer read the bucket's notification configuration before our
/// write and writes its copy (with its entry, without ours) after our
/// read-back: S3 keeps the last write. Apply's second read finds our entry
/// gone and says so (exit 1); applying again merges into what is there.
#[test]
fn a_notification_lost_to_a_concurrent_writer_is_found_by_the_second_read() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::create_stack_bucket(&moto, "acme-ingest-source", "acme-ingest");
    aws_cli(&moto, &["sqs", "create-queue", "--queue-name", "team-b"]);
    write_spec(&moto, dir, |s| {
        s["bucket"]["deny_insecure_transport"] = json!(false);
        s["bucket"]["prefix"] = json!("acme/");
    });
    let server = moto.server();
    let endpoint = common::hooked_endpoint(&moto, "<NotificationConfiguration", move || {
        // What the other writer read: the configuration before our write.
        let mut theirs = aws_cli(
            server,
            &[
                "s3api",
                "get-bucket-notification-configuration",
                "--bucket",
                "acme-ingest-source",
            ],
        );
        if !theirs.is_object() {
            theirs = json!({});
        }
        theirs
            .as_object_mut()
            .unwrap()
            .entry("QueueConfigurations")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(
                json!({"Id": "team-b", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:team-b",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "team-b/"}]}}}),
            );
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(1));
            common::put_notification(server, "acme-ingest-source", &theirs.to_string());
        });
    });
    let out = apply_through(&moto, dir, &endpoint);
    let said = common::said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("3 s later it is gone") && said.contains("Run apply again"),
        "{said}"
    );
    // Applied again, ours joins theirs.
    ok(apply(&moto, dir));
    let ids: Vec<String> = notification(&moto, "acme-ingest-source")["QueueConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["Id"].as_str().map(str::to_owned))
        .collect();
    assert!(ids.iter().any(|id| id == "team-b"), "{ids:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(plan_code(&moto, dir), 0);
}

/// The backup directory an apply's output names.
fn backup_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Backup of what was changed: "))
        .unwrap_or_else(|| panic!("no backup line in:\n{stdout}"))
        .to_owned()
}

/// Restore puts back what apply changed and keeps what others changed since:
/// an entry another team added to the bucket's notification configuration
/// and a statement added to the adopted queue's access policy stay; it shows
/// the diff first; a part both the backup and others changed is refused
/// (nothing written) unless `--overwrite`.
#[test]
fn restore_keeps_what_others_changed_since_and_refuses_a_conflict() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bucket = "acme-ingest-source";
    common::create_stack_bucket(&moto, bucket, "acme-ingest");
    let entry = |id: &str, prefix: &str| {
        json!({"Id": id, "QueueArn": format!("arn:aws:sqs:us-west-2:123456789012:{id}"),
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}})
    };
    for id in ["images", "later"] {
        aws_cli(&moto, &["sqs", "create-queue", "--queue-name", id]);
    }
    let put_notification = |config: &Value| {
        common::put_notification(&moto, bucket, &config.to_string());
    };
    put_notification(&json!({"QueueConfigurations": [entry("images", "images/")]}));
    let queue_arn = "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue";
    let sender = |sid: &str| {
        json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sqs:SendMessage", "Resource": queue_arn})
    };
    let policy = |sids: &[&str]| json!({"Version": "2012-10-17", "Statement": sids.iter().map(|s| sender(s)).collect::<Vec<_>>()});
    let attributes = json!({"Policy": policy(&["TheirSender"]).to_string()}).to_string();
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "acme-ingest-queue",
            "--attributes",
            &attributes,
        ],
    );
    write_spec(&moto, dir, |s| {
        s["bucket"]["deny_insecure_transport"] = json!(false);
        s["bucket"]["prefix"] = json!("acme/");
        s["queue"]["create"] = json!(false);
    });
    let backup = backup_of(&ok(apply(&moto, dir)));
    // Since: another team adds an entry and a sender.
    let mut config = notification(&moto, bucket);
    config["QueueConfigurations"]
        .as_array_mut()
        .unwrap()
        .push(entry("later", "later/"));
    put_notification(&config);
    let url = common::queue_url(&moto, "acme-ingest-queue");
    let now: Value = serde_json::from_str(
        aws_cli(
            &moto,
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                &url,
                "--attribute-names",
                "Policy",
            ],
        )["Attributes"]["Policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut with_late = now.clone();
    with_late["Statement"]
        .as_array_mut()
        .unwrap()
        .push(sender("LateSender"));
    let attributes = json!({"Policy": with_late.to_string()}).to_string();
    aws_cli(
        &moto,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &attributes,
        ],
    );

    let restored = sluice(&moto, dir, &["restore", "--backup", &backup, "--yes"]);
    let said = common::said(&restored);
    assert!(restored.status.success(), "{said}");
    assert!(
        said.contains("kept as others changed it since sluice wrote: entry later"),
        "{said}"
    );
    assert!(said.contains("Policy statement LateSender"), "{said}");
    assert!(
        said.contains("-      \"Id\": \"acme-ingest-object-created\""),
        "the diff is shown: {said}"
    );
    let ids: Vec<String> = notification(&moto, bucket)["QueueConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["Id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.contains(&"images".to_owned()) && ids.contains(&"later".to_owned()),
        "{ids:?}"
    );
    let queue_policy = aws_cli(
        &moto,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "Policy",
        ],
    )["Attributes"]["Policy"]
        .clone();
    let mut left = sids(&queue_policy);
    left.sort();
    assert_eq!(left, ["LateSender", "TheirSender"]);

    // A conflict: someone edits our entry after apply; the backup (before
    // it existed) would remove it.
    let backup = backup_of(&ok(apply(&moto, dir)));
    let mut config = notification(&moto, bucket);
    for e in config["QueueConfigurations"].as_array_mut().unwrap() {
        if e["Id"] == "acme-ingest-object-created" {
            e["Events"] = json!(["s3:ObjectCreated:Put"]);
        }
    }
    put_notification(&config);
    let before = moto.state();
    let refused = sluice(&moto, dir, &["restore", "--backup", &backup, "--yes"]);
    let said = common::said(&refused);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(
        said.contains("entry acme-ingest-object-created") && said.contains("--overwrite"),
        "{said}"
    );
    assert_eq!(moto.state(), before, "nothing was written");
    let forced = sluice(
        &moto,
        dir,
        &["restore", "--backup", &backup, "--yes", "--overwrite"],
    );
    assert!(forced.status.success(), "{}", common::said(&forced));
    let ids: Vec<Value> = notification(&moto, bucket)["QueueConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Id"].clone())
        .collect();
    assert!(
        !ids.contains(&json!("acme-ingest-object-created")),
        "{ids:?}"
    );
}

/// A bucket made and then never tagged (PutBucketTagging keeps failing, as
/// an apply killed between the two calls leaves it) is still the stack's:
/// the next plan knows it by sluice's record of creations and says so,
/// apply tags it, and the plan after is clean.
#[test]
fn a_bucket_made_but_never_tagged_is_still_the_stacks() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_spec(&moto, dir, |s| {
        s["bucket"]["deny_insecure_transport"] = json!(false);
    });
    let endpoint = common::refusing_endpoint(&moto, "<Tagging");
    let out = apply_through(&moto, dir, &endpoint);
    let said = common::said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("s3:PutBucketTagging"), "{said}");
    let buckets = aws_cli(&moto, &["s3api", "list-buckets"]).to_string();
    assert!(buckets.contains("acme-ingest-source"), "{buckets}");

    let planned = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    let said = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{said}");
    assert!(
        said.contains("was created by an apply of this stack that stopped before tagging it"),
        "{said}"
    );
    ok(apply(&moto, dir));
    let tags = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-tagging",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    assert!(
        tags["TagSet"]
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "sluice:stack", "Value": "acme-ingest"})),
        "{tags}"
    );
    assert_eq!(plan_code(&moto, dir), 0);
}

/// IAM made the access key but its answer was lost, and the retried call
/// made a second: apply writes the secret it got to the 0600 file,
/// deactivates the other key (whose secret nobody has) and names it; the
/// next apply makes none and says which key's secret was saved where.
#[test]
fn a_lost_create_access_key_answer_leaves_no_active_key_without_its_secret() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_spec(&moto, dir, |s| {
        s["bucket"]["deny_insecure_transport"] = json!(false);
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
    });
    let endpoint = common::losing_endpoint(&moto, "Action=CreateAccessKey");
    let out = apply_through(&moto, dir, &endpoint);
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("was made too") && said.contains("it is deactivated"),
        "{said}"
    );
    let keys = aws_cli(
        &moto,
        &["iam", "list-access-keys", "--user-name", "acme-ingest-user"],
    )["AccessKeyMetadata"]
        .clone();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let active: Vec<&str> = keys
        .iter()
        .filter(|k| k["Status"] == "Active")
        .filter_map(|k| k["AccessKeyId"].as_str())
        .collect();
    assert_eq!(active.len(), 1, "{keys:?}");
    let csv = fs::read_to_string(dir.join("acme-ingest-user_accessKeys.csv")).unwrap();
    assert!(
        csv.contains(active[0]),
        "the active key is the saved one: {csv}"
    );

    let again = sluice(
        &moto,
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
    let said = common::said(&again);
    assert!(again.status.success(), "{said}");
    let inactive = keys
        .iter()
        .filter_map(|k| k["AccessKeyId"].as_str())
        .find(|k| *k != active[0])
        .unwrap();
    assert!(
        said.contains(&format!(
            "has access key {inactive}, whose secret sluice did not save"
        )),
        "{said}"
    );
    assert!(
        !said.contains(&format!("has access key {}, whose", active[0])),
        "{said}"
    );
}

/// Parts the spec turns off converge: with the queue off, the stack's
/// notification entry (which would keep sending to a queue nobody reads)
/// is planned as a delete and removed, others' entries kept; with the user
/// off, the stack's user goes with its access key. Each next plan is clean.
#[test]
fn parts_turned_off_are_removed_by_apply() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    create_bucket(&moto, "acme-ingest-source");
    let foreign = foreign_configuration();
    aws_cli(&moto, &["sqs", "create-queue", "--queue-name", "images"]);
    let only_images = json!({"QueueConfigurations": foreign["QueueConfigurations"].clone()});
    common::put_notification(&moto, "acme-ingest-source", &only_images.to_string());
    let spec = |queue: bool, user: bool| {
        move |s: &mut Value| {
            s["bucket"]["create"] = json!(false);
            s["bucket"]["prefix"] = json!("acme/");
            s["bucket"]["deny_insecure_transport"] = json!(false);
            s["queue"]["enabled"] = json!(queue);
            s["notification"]["enabled"] = json!(queue);
            s["user"]["enabled"] = json!(user);
            s["user"]["create_access_key"] = json!(user);
        }
    };
    write_spec(&moto, dir, spec(true, true));
    ok(apply(&moto, dir));
    let ids = |moto: &Moto| -> Vec<String> {
        notification(moto, "acme-ingest-source")["QueueConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["Id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(&moto).len(), 2);

    write_spec(&moto, dir, spec(false, false));
    let planned = sluice(&moto, dir, &["plan", "--config", "spec.json"]);
    let shown = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{shown}");
    for line in [
        "- delete notification acme-ingest-object-created",
        "- delete user acme-ingest-user",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
    let out = apply(&moto, dir);
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("deleted access key") && said.contains("user acme-ingest-user"),
        "{said}"
    );
    assert_eq!(ids(&moto), ["images"]);
    let users = aws_cli(&moto, &["iam", "list-users"]).to_string();
    assert!(!users.contains("acme-ingest-user"), "{users}");
    assert_eq!(plan_code(&moto, dir), 0);
}
