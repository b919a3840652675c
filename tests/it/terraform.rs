//! The exported `main.tf`, applied for real by Terraform against moto: then
//! `sluice plan` finds nothing to change, `sluice verify` passes, a second
//! `terraform plan` is clean but for documented emulator artefacts, and
//! `terraform destroy` removes it all.
//!
//! Terraform comes from PATH (or `SLUICE_TERRAFORM`), the AWS provider from a
//! local filesystem mirror: `SLUICE_TF_PLUGIN_MIRROR`, else `/opt/tf-plugins`.
//! Where either is missing the test says so by name and is listed as skipped.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{ACCOUNT_ID, Moto, aws_cli, ok, run, shared, sluice, text};

const TEST: &str = "main_tf_applies_plans_clean_verifies_and_destroys_against_moto";

fn terraform_bin() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SLUICE_TERRAFORM") {
        return Some(PathBuf::from(path));
    }
    let out = Command::new("terraform").arg("version").output().ok()?;
    out.status.success().then(|| PathBuf::from("terraform"))
}

fn plugin_mirror() -> Option<PathBuf> {
    let dir = std::env::var_os("SLUICE_TF_PLUGIN_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    dir.join("registry.terraform.io/hashicorp/aws")
        .is_dir()
        .then_some(dir)
}

/// Terraform and the provider's mirror, or `None` once `test` is said to
/// be skipped for want of them.
fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    let tools = terraform_bin().zip(plugin_mirror());
    if tools.is_none() {
        common::skip(
            test,
            "terraform is not on PATH (or SLUICE_TERRAFORM), or the AWS provider is not in the filesystem mirror (SLUICE_TF_PLUGIN_MIRROR, default /opt/tf-plugins)",
        );
    }
    tools
}

/// `terraform ARGS` in `dir`, offline: the CLI config points at the mirror.
fn terraform(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .args(args)
        .env("TF_CLI_CONFIG_FILE", dir.join("terraformrc"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE");
    run(&mut cmd)
}

/// `terraform ARGS`, which must succeed (its output otherwise).
fn tf_ok(bin: &Path, dir: &Path, args: &[&str]) {
    let out = terraform(bin, dir, args);
    assert!(
        out.status.success(),
        "terraform {}:\n{}{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The `--set`s of the stack main.tf makes and of the one sluice apply makes
/// beside it, for comparison.
const SAME_AS_REF: [&str; 3] = [
    "bucket.prefix=in/",
    // moto refuses every PutObject under the deny-insecure-transport statement.
    "bucket.deny_insecure_transport=false",
    "role.external_id=the-same-external-id",
];

/// Exports `dir/spec.json`'s main.tf into `dir/tf`, points it at moto, and
/// runs terraform init and apply there; the directory.
fn terraform_applied(bin: &Path, mirror: &Path, moto: &Moto, dir: &Path) -> PathBuf {
    ok(sluice_run(
        moto,
        dir,
        &[
            "export",
            "--config",
            "spec.json",
            "--format",
            "terraform",
            "--out",
            "tf",
        ],
    ));
    let tf = dir.join("tf");
    emulator_files(&tf, mirror, &moto.endpoint);
    tf_ok(bin, &tf, &["init", "-input=false", "-no-color"]);
    tf_ok(
        bin,
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    tf
}

/// A second `terraform plan` in `tf` finds nothing to change (`when` says
/// after what), then `terraform destroy` succeeds.
fn replans_clean_and_destroys(bin: &Path, tf: &Path, when: &str) {
    let replanned = terraform(
        bin,
        tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        replanned.status.code(),
        Some(0),
        "terraform plan {when}:\n{}{}",
        text(&replanned.stdout),
        text(&replanned.stderr)
    );
    tf_ok(
        bin,
        tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
}

fn sluice_run(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(moto, dir, args))
}

/// The CLI config that takes the provider from the mirror, and the override
/// file that points `main.tf` at the emulator (as the README shows).
fn emulator_files(tf: &Path, mirror: &Path, endpoint: &str) {
    fs::write(
        tf.join("terraformrc"),
        format!(
            "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    // What the README tells a user to write to point main.tf at an emulator.
    fs::write(
        tf.join("emulator_override.tf"),
        format!(
            r#"provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    iam = "{endpoint}"
    s3  = "{endpoint}"
    sqs = "{endpoint}"
    sts = "{endpoint}"
    sns = "{endpoint}"
    events = "{endpoint}"
    cloudwatch = "{endpoint}"
  }}
}}

# moto 5.2.5 returns RedrivePolicy re-serialised with spaces: a whitespace-only
# diff that real SQS does not show.
resource "aws_sqs_queue" "queue" {{
  lifecycle {{
    ignore_changes = [redrive_policy]
  }}
}}
"#
        ),
    )
    .unwrap();
}

#[test]
fn main_tf_applies_plans_clean_verifies_and_destroys_against_moto() {
    let Some((bin, mirror)) = tools(TEST) else {
        return;
    };
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::init_spec(&moto, dir, &["--name", "tf-stack"], &SAME_AS_REF);
    let tf = terraform_applied(&bin, &mirror, &moto, dir);

    // sluice sees the stack Terraform made as its own, with nothing to change.
    common::plans_clean_and_verifies(&moto, dir, "after terraform apply", "20");
    // The same attributes as the other paths give.
    let url = common::queue_url(&moto, "tf-stack-queue");
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
    assert_eq!(attrs["VisibilityTimeout"], "600", "{attrs}");
    assert_eq!(attrs["MessageRetentionPeriod"], "604800", "{attrs}");
    // The value every path sets (the provider takes no more than 256 KiB).
    assert_eq!(attrs["MaximumMessageSize"], "262144", "{attrs}");
    let role = aws_cli(&moto, &["iam", "get-role", "--role-name", "tf-stack-role"]);
    assert_eq!(
        role["Role"]["Description"], "Assumed by the tf-stack ingestion connector (sluice)",
        "{role}"
    );
    let policy = aws_cli(
        &moto,
        &[
            "iam",
            "get-policy",
            "--policy-arn",
            "arn:aws:iam::123456789012:policy/tf-stack-policy",
        ],
    );
    assert_eq!(
        policy["Policy"]["Description"],
        "S3 and SQS access for the tf-stack ingestion pipeline (sluice)",
        "{policy}"
    );

    // Attribute by attribute, the same state as sluice apply leaves for the same spec.
    let reference = tempfile::tempdir().unwrap();
    let reference = reference.path();
    common::init_spec(&moto, reference, &["--name", "tf-ref"], &SAME_AS_REF);
    ok(sluice_run(
        &moto,
        reference,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ],
    ));
    assert_eq!(
        common::stack_state(&moto, "tf-stack"),
        common::stack_state(&moto, "tf-ref"),
        "terraform apply (left) and sluice apply (right) differ"
    );

    replans_clean_and_destroys(&bin, &tf, "after apply and verify");
    assert!(
        aws_cli(&moto, &["sqs", "list-queues"])["QueueUrls"]
            .as_array()
            .is_none_or(|urls| urls
                .iter()
                .all(|u| !u.as_str().unwrap_or_default().contains("tf-stack"))),
        "terraform destroy left a queue"
    );
}

/// An adopted bucket (`bucket.create = false`) that holds another team's
/// entry: `main.tf` leaves the bucket and its notification alone, `sluice
/// apply` merges our entry in (the other kept), both tools then plan clean,
/// and after `terraform destroy` `sluice destroy` takes our entry, no other.
#[test]
fn main_tf_on_an_adopted_bucket_leaves_its_notification_to_sluice() {
    let Some((bin, mirror)) =
        tools("main_tf_on_an_adopted_bucket_leaves_its_notification_to_sluice")
    else {
        return;
    };
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bucket = "tf-adopt-shared";
    common::create_bucket(&moto, bucket);
    aws_cli(&moto, &["sqs", "create-queue", "--queue-name", "team-etl"]);
    let theirs = serde_json::json!({"QueueConfigurations": [{
        "Id": "team-etl",
        "QueueArn": format!("arn:aws:sqs:us-west-2:{ACCOUNT_ID}:team-etl"),
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "etl/"}]}}
    }]});
    common::put_notification(&moto, bucket, &theirs.to_string());
    common::init_spec(
        &moto,
        dir,
        &["--name", "tf-adopt"],
        &[
            "bucket.create=false",
            &format!("bucket.name={bucket}"),
            "bucket.prefix=in/",
        ],
    );
    let tf = terraform_applied(&bin, &mirror, &moto, dir);
    let main_tf = fs::read_to_string(tf.join("main.tf")).unwrap();
    assert!(
        !main_tf.contains("resource \"aws_s3_bucket_notification\""),
        "{main_tf}"
    );
    // Terraform made the rest; the notification is sluice's to merge.
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json", "--json"]);
    assert_eq!(planned.status.code(), Some(2), "{}", text(&planned.stderr));
    let plan: serde_json::Value = serde_json::from_str(&text(&planned.stdout)).unwrap();
    let pending: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] != "no-change" && i["action"] != "adopt")
        .filter_map(|i| i["resource"].as_str())
        .collect();
    assert_eq!(pending, ["notification"], "{plan:#}");
    ok(sluice_run(
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
    ));
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stdout));
    let replanned = terraform(
        &bin,
        &tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        replanned.status.code(),
        Some(0),
        "terraform plan after sluice merged the notification:\n{}{}",
        text(&replanned.stdout),
        text(&replanned.stderr)
    );
    let ids = |moto: &Moto| -> Vec<String> {
        let mut ids: Vec<String> = common::notification(moto, bucket)["QueueConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["Id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&moto), ["team-etl", "tf-adopt-object-created"]);
    tf_ok(
        &bin,
        &tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
    let out = sluice_run(
        &moto,
        dir,
        &[
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(ids(&moto), ["team-etl"], "the other team's entry stays");
}

/// The two routes of a shared bucket through Terraform: the bucket holds
/// another team's topic entry on ObjectCreated under `other/`; main.tf makes
/// the SNS subscription (bucket adopted) or the bucket with its EventBridge
/// delivery and the rule and target. sluice then plans clean and verifies the
/// event through that route; terraform plans clean and destroys.
fn route_through_terraform(test: &str, route: &str) {
    let Some((bin, mirror)) = tools(test) else {
        return;
    };
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let stack = format!("tf-{route}");
    let bucket = format!("{stack}-source");
    let topic = format!("arn:aws:sns:us-west-2:{ACCOUNT_ID}:team-uploads");
    let mut sets = vec![
        "bucket.prefix=other/".to_owned(),
        "bucket.deny_insecure_transport=false".to_owned(),
        format!("notification.delivery={route}"),
    ];
    if route == "sns" {
        // A shared bucket another team publishes from.
        common::create_bucket(&moto, &bucket);
        aws_cli(&moto, &["sns", "create-topic", "--name", "team-uploads"]);
        let theirs = serde_json::json!({"TopicConfigurations": [{
            "Id": "team-uploads", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "other/"}]}}
        }]});
        common::put_notification(&moto, &bucket, &theirs.to_string());
        sets.push("bucket.create=false".to_owned());
        sets.push(format!("notification.topic_arn={topic}"));
    }
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    common::init_spec(&moto, dir, &["--name", &stack], &sets);
    let before = (route == "sns").then(|| common::notification(&moto, &bucket));
    let tf = terraform_applied(&bin, &mirror, &moto, dir);

    let verified = common::plans_clean_and_verifies(&moto, dir, route, "20");
    let said = common::said(&verified);
    assert!(said.contains("pass  event-route"), "{route}:\n{said}");
    if route == "sns" {
        assert_eq!(
            Some(common::notification(&moto, &bucket)),
            before,
            "the bucket's entries"
        );
    } else {
        assert_eq!(
            common::notification(&moto, &bucket)["EventBridgeConfiguration"],
            serde_json::json!({})
        );
    }
    replans_clean_and_destroys(&bin, &tf, &format!("{route}: after apply and verify"));
    if route == "sns" {
        let subscriptions = aws_cli(
            &moto,
            &["sns", "list-subscriptions-by-topic", "--topic-arn", &topic],
        );
        assert_eq!(subscriptions["Subscriptions"], serde_json::json!([]));
        assert_eq!(
            Some(common::notification(&moto, &bucket)),
            before,
            "the bucket's entries"
        );
    } else {
        assert_eq!(
            aws_cli(&moto, &["events", "list-rules"])["Rules"],
            serde_json::json!([])
        );
    }
}

#[test]
fn main_tf_subscribes_to_a_shared_buckets_topic() {
    route_through_terraform("main_tf_subscribes_to_a_shared_buckets_topic", "sns");
}

#[test]
fn main_tf_routes_through_eventbridge() {
    route_through_terraform("main_tf_routes_through_eventbridge", "eventbridge");
}

/// main.tf with alarms on (sluice's topic, its policy, an e-mail
/// subscription and the three alarms, one of them metric math): terraform
/// applies it, `sluice plan` finds nothing to change (the alarms and the
/// topic included), a second `terraform plan` is clean, and `terraform
/// destroy` removes the alarms and the topic.
#[test]
fn main_tf_with_alarms_applies_plans_clean_and_destroys_against_moto() {
    let test = "main_tf_with_alarms_applies_plans_clean_and_destroys_against_moto";
    let Some((bin, mirror)) = tools(test) else {
        return;
    };
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut sets = SAME_AS_REF.to_vec();
    sets.extend(["alarms.enabled=true", "alarms.email=ops@example.com"]);
    common::init_spec(&moto, dir, &["--name", "tf-alarms"], &sets);
    let tf = terraform_applied(&bin, &mirror, &moto, dir);

    let planned = sluice_run(&moto, dir, &["plan", "--json", "--config", "spec.json"]);
    let said = common::said(&planned);
    assert_eq!(planned.status.code(), Some(0), "{said}");
    assert_eq!(
        common::alarm_actions(&planned),
        [
            "tf-alarms-alarms no-change",
            "tf-alarms-dlq-not-empty no-change",
            "tf-alarms-oldest-message-age no-change",
            "tf-alarms-stalled no-change",
        ],
        "{said}"
    );

    replans_clean_and_destroys(&bin, &tf, "after apply");
    let left = aws_cli(
        &moto,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            "tf-alarms-",
        ],
    );
    assert_eq!(left["MetricAlarms"], serde_json::json!([]), "{left}");
    let topics = aws_cli(&moto, &["sns", "list-topics"]);
    assert!(
        topics["Topics"]
            .as_array()
            .is_none_or(|t| t.iter().all(|t| !t["TopicArn"]
                .as_str()
                .unwrap_or_default()
                .ends_with(":tf-alarms-alarms"))),
        "{topics}"
    );
}
