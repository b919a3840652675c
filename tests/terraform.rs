//! The exported `main.tf`, applied for real by Terraform against moto: then
//! `sluice plan` finds nothing to change, `sluice verify` passes, a second
//! `terraform plan` is clean but for documented emulator artefacts, and
//! `terraform destroy` removes it all.
//!
//! Terraform comes from PATH (or `SLUICE_TERRAFORM`), the AWS provider from a
//! local filesystem mirror: `SLUICE_TF_PLUGIN_MIRROR`, else `/opt/tf-plugins`.
//! Where either is missing the test says so by name and is listed as skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{ACCOUNT_ID, Moto, REGION, aws_cli, ok, run, shared, sluice, text};

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

fn sluice_run(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    run(&mut sluice(moto, dir, args))
}

#[test]
fn main_tf_applies_plans_clean_verifies_and_destroys_against_moto() {
    let (Some(bin), Some(mirror)) = (terraform_bin(), plugin_mirror()) else {
        common::skip(
            TEST,
            "terraform is not on PATH (or SLUICE_TERRAFORM), or the AWS provider is not in the filesystem mirror (SLUICE_TF_PLUGIN_MIRROR, default /opt/tf-plugins)",
        );
        return;
    };
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(sluice_run(
        &moto,
        dir,
        &[
            "init",
            "--name",
            "tf-stack",
            "--region",
            REGION,
            "--account-id",
            ACCOUNT_ID,
            "--out",
            "spec.json",
            "--set",
            "bucket.prefix=in/",
            // moto refuses every PutObject under the deny-insecure-transport statement.
            "--set",
            "bucket.deny_insecure_transport=false",
            "--set",
            "role.external_id=the-same-external-id",
        ],
    ));
    ok(sluice_run(
        &moto,
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
    fs::write(
        tf.join("terraformrc"),
        format!(
            "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    // What the README tells a user to write to point main.tf at an emulator.
    let endpoint = &moto.endpoint;
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

    let init = terraform(&bin, &tf, &["init", "-input=false", "-no-color"]);
    assert!(
        init.status.success(),
        "terraform init:\n{}{}",
        text(&init.stdout),
        text(&init.stderr)
    );
    let applied = terraform(
        &bin,
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        applied.status.success(),
        "terraform apply:\n{}{}",
        text(&applied.stdout),
        text(&applied.stderr)
    );

    // sluice sees the stack Terraform made as its own, with nothing to change.
    let planned = sluice_run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "sluice plan after terraform apply:\n{}{}",
        text(&planned.stdout),
        text(&planned.stderr)
    );
    let verified = sluice_run(
        &moto,
        dir,
        &["verify", "--config", "spec.json", "--wait", "10"],
    );
    assert!(
        verified.status.success(),
        "sluice verify:\n{}{}",
        text(&verified.stdout),
        text(&verified.stderr)
    );
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
    ok(sluice_run(
        &moto,
        reference,
        &[
            "init",
            "--name",
            "tf-ref",
            "--region",
            REGION,
            "--account-id",
            ACCOUNT_ID,
            "--out",
            "spec.json",
            "--set",
            "bucket.prefix=in/",
            "--set",
            "bucket.deny_insecure_transport=false",
            "--set",
            "role.external_id=the-same-external-id",
        ],
    ));
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

    let replanned = terraform(
        &bin,
        &tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        replanned.status.code(),
        Some(0),
        "terraform plan after apply and verify:\n{}{}",
        text(&replanned.stdout),
        text(&replanned.stderr)
    );
    let destroyed = terraform(
        &bin,
        &tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        destroyed.status.success(),
        "terraform destroy:\n{}{}",
        text(&destroyed.stdout),
        text(&destroyed.stderr)
    );
    assert!(
        aws_cli(&moto, &["sqs", "list-queues"])["QueueUrls"]
            .as_array()
            .is_none_or(|urls| urls
                .iter()
                .all(|u| !u.as_str().unwrap_or_default().contains("tf-stack"))),
        "terraform destroy left a queue"
    );
}
