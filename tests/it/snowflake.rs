//! Snowflake in two steps, headless. Step 1: with Snowflake's values blank,
//! apply makes the bucket, the policy and a role nobody can assume, no
//! bucket notification, and prints the SQL to run in Snowflake. Step 2:
//! `sluice snowflake` reads the saved DESC INTEGRATION and the pipe's queue
//! into the spec, and apply makes the real trust and the notification.

use crate::common;

use std::path::Path;

use crate::common::{
    ACCOUNT_ID, REGION, aws_cli, ok, run, said, shared, sluice, sluice_offline, text,
};
use serde_json::Value;

/// Snowflake's IAM user for the integration, in Snowflake's account.
const SNOWFLAKE_USER: &str = "arn:aws:iam::210987654321:user/abc1-b-self1234";
/// The external ID DESC INTEGRATION gives.
const SNOWFLAKE_EXTERNAL_ID: &str = "MYACCOUNT_SFCRole=2_a123456/s0aBCDEfGHIJklmNoPq=";

/// DESC INTEGRATION's result as Snowsight saves it (CSV), without the rows
/// whose property is in `leave_out`.
fn desc_integration(leave_out: &[&str]) -> String {
    let rows = [
        ("ENABLED", "Boolean", "true", "false"),
        ("STORAGE_PROVIDER", "String", "S3", ""),
        (
            "STORAGE_ALLOWED_LOCATIONS",
            "List",
            "s3://sftwo-source/load/",
            "[]",
        ),
        ("STORAGE_BLOCKED_LOCATIONS", "List", "", "[]"),
        ("STORAGE_AWS_IAM_USER_ARN", "String", SNOWFLAKE_USER, ""),
        (
            "STORAGE_AWS_ROLE_ARN",
            "String",
            "arn:aws:iam::123456789012:role/sftwo-snowflake-role",
            "",
        ),
        (
            "STORAGE_AWS_EXTERNAL_ID",
            "String",
            SNOWFLAKE_EXTERNAL_ID,
            "",
        ),
        ("COMMENT", "String", "", ""),
    ];
    let mut out =
        String::from("\"property\",\"property_type\",\"property_value\",\"property_default\"\n");
    for (p, t, v, d) in rows.iter().filter(|r| !leave_out.contains(&r.0)) {
        out.push_str(&format!("\"{p}\",\"{t}\",\"{v}\",\"{d}\"\n"));
    }
    out
}

/// The role's trust policy, as the AWS CLI decodes it.
fn trust(moto: &common::Moto, name: &str) -> Value {
    aws_cli(moto, &["iam", "get-role", "--role-name", name])["Role"]["AssumeRolePolicyDocument"]
        .clone()
}

#[test]
fn snowflake_in_two_steps_headless() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    common::init_spec(
        &moto,
        dir,
        &["--connector", "snowflake", "--name", "sftwo"],
        &[
            "bucket.deny_insecure_transport=false",
            "bucket.prefix=load/",
        ],
    );

    // Step 1: the bucket, the policy, a role nobody can assume; no notification.
    let applied = common::apply_yes(&moto, dir);
    let stdout = ok(&applied);
    assert!(stdout.contains("this was step 1 of 2"), "{stdout}");
    let role_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/sftwo-snowflake-role");
    for wanted in [
        "CREATE STORAGE INTEGRATION SFTWO_S3_INTEGRATION".to_owned(),
        format!("STORAGE_AWS_ROLE_ARN = '{role_arn}'"),
        "STORAGE_ALLOWED_LOCATIONS = ('s3://sftwo-source/load/');".to_owned(),
        "DESC INTEGRATION SFTWO_S3_INTEGRATION;".to_owned(),
        "CREATE PIPE <DATABASE>.<SCHEMA>.SFTWO_PIPE".to_owned(),
        "SHOW PIPES LIKE 'SFTWO_PIPE'".to_owned(),
    ] {
        assert!(stdout.contains(&wanted), "{wanted}\n---\n{stdout}");
    }
    let step_one = trust(&moto, "sftwo-snowflake-role");
    let statements = step_one["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{step_one}");
    assert_eq!(statements[0]["Effect"], "Deny", "{step_one}");
    assert!(
        !step_one.to_string().contains("\"Allow\""),
        "nobody is allowed: {step_one}"
    );
    let notification = common::notification(&moto, "sftwo-source");
    assert!(
        notification.get("QueueConfigurations").is_none(),
        "{notification}"
    );
    // Step 1 plans clean, and says where it stands.
    let planned = run(&mut sluice(&moto, dir, &["plan", "--config", "spec.json"]));
    assert_eq!(planned.status.code(), Some(0), "{}", said(&planned));
    assert!(
        said(&planned).contains("Snowflake's values not given yet: step 1 of 2"),
        "{}",
        said(&planned)
    );
    // Verify at step 1 says what cannot be tried yet, and fails nothing.
    let verified = run(&mut sluice(
        &moto,
        dir,
        &["verify", "--config", "spec.json", "--wait", "5"],
    ));
    let report = said(&verified);
    assert!(verified.status.success(), "{report}");
    assert!(!report.contains("FAIL"), "{report}");
    assert!(report.contains("is given in step 2 of 2"), "{report}");
    assert!(
        report.contains("the role trusts nobody until Snowflake's values are given"),
        "{report}"
    );
    assert!(
        report.contains("Nothing failed, but the pipeline is not whole yet. Snowflake's values not given yet: step 1 of 2"),
        "{report}"
    );
    // The SQL again, at any time.
    let sql = ok(
        sluice(&moto, dir, &["snowflake", "--config", "spec.json", "--sql"])
            .output()
            .unwrap(),
    );
    assert!(
        sql.contains(&format!("STORAGE_AWS_ROLE_ARN = '{role_arn}'")),
        "{sql}"
    );

    // Step 2: Snowflake's queue (a stand-in in moto, same region) and
    // DESC INTEGRATION's values, saved as Snowsight saves them.
    aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "sf-snowpipe-sftwo"],
    );
    let channel = format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:sf-snowpipe-sftwo");
    std::fs::write(dir.join("desc.csv"), desc_integration(&[])).unwrap();
    let given = run(&mut sluice(
        &moto,
        dir,
        &[
            "snowflake",
            "--config",
            "spec.json",
            "--desc-integration",
            "desc.csv",
            "--notification-channel",
            &channel,
        ],
    ));
    let told = said(&given);
    assert!(given.status.success(), "{told}");
    for wanted in [
        "set role.trusted_principals to",
        "set role.external_id to",
        "set notification.queue_arn to",
        "next: sluice apply --config spec.json",
    ] {
        assert!(told.contains(wanted), "{wanted}\n---\n{told}");
    }
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spec.json")).unwrap()).unwrap();
    assert_eq!(spec["role"]["trusted_principals"][0], SNOWFLAKE_USER);
    assert_eq!(spec["role"]["external_id"], SNOWFLAKE_EXTERNAL_ID);
    assert_eq!(spec["notification"]["queue_arn"], channel.as_str());

    let applied = common::apply_yes(&moto, dir);
    let stdout = ok(&applied);
    assert!(!stdout.contains("step 1 of 2"), "{stdout}");
    let step_two = trust(&moto, "sftwo-snowflake-role");
    let statement = &step_two["Statement"][0];
    assert_eq!(statement["Effect"], "Allow", "{step_two}");
    assert_eq!(statement["Principal"]["AWS"], SNOWFLAKE_USER, "{step_two}");
    assert_eq!(
        statement["Condition"]["StringEquals"]["sts:ExternalId"], SNOWFLAKE_EXTERNAL_ID,
        "{step_two}"
    );
    let notification = common::notification(&moto, "sftwo-source");
    assert_eq!(
        notification["QueueConfigurations"][0]["QueueArn"],
        channel.as_str(),
        "{notification}"
    );
    let verified = common::plans_clean_and_verifies(&moto, dir, "step 2", "10");
    let report = text(&verified.stdout);
    assert!(!report.contains("FAIL"), "{report}");

    let destroyed = run(&mut sluice(
        &moto,
        dir,
        &[
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
            "--force",
            "--delete-objects",
        ],
    ));
    assert!(destroyed.status.success(), "{}", said(&destroyed));
}

/// An offline spec for Snowflake at step 1 in `dir/spec.json`; its bytes.
fn step_one_spec(dir: &Path) -> String {
    let out = sluice_offline(
        dir,
        &[
            "init",
            "--connector",
            "snowflake",
            "--name",
            "sftwo",
            "--region",
            REGION,
            "--account-id",
            ACCOUNT_ID,
            "--out",
            "spec.json",
        ],
    );
    ok(out);
    std::fs::read_to_string(dir.join("spec.json")).unwrap()
}

/// Refused, naming the file and what is wrong; the spec left as it was.
fn refused(dir: &Path, before: &str, args: &[&str], wanted: &[&str]) {
    let mut all = vec!["snowflake", "--config", "spec.json"];
    all.extend_from_slice(args);
    let out = sluice_offline(dir, &all);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", said(&out));
    for w in wanted {
        assert!(stderr.contains(w), "{w}\n---\n{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("spec.json")).unwrap(),
        before,
        "{args:?}: the spec was changed"
    );
}

#[test]
fn bad_snowflake_results_are_refused_by_name_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let before = step_one_spec(dir);

    std::fs::write(
        dir.join("desc.csv"),
        desc_integration(&["STORAGE_AWS_EXTERNAL_ID"]),
    )
    .unwrap();
    refused(
        dir,
        &before,
        &["--desc-integration", "desc.csv"],
        &["desc.csv: has no STORAGE_AWS_EXTERNAL_ID row"],
    );
    std::fs::write(
        dir.join("wrong.csv"),
        "name,value\nSTORAGE_AWS_IAM_USER_ARN,x\n",
    )
    .unwrap();
    refused(
        dir,
        &before,
        &["--desc-integration", "wrong.csv"],
        &["wrong.csv: has no `property` column (its columns: name, value)"],
    );
    refused(
        dir,
        &before,
        &["--desc-integration", "missing.csv"],
        &["cannot read missing.csv"],
    );

    // S3 notifies only a queue in the bucket's region.
    std::fs::write(dir.join("desc.csv"), desc_integration(&[])).unwrap();
    refused(
        dir,
        &before,
        &[
            "--desc-integration",
            "desc.csv",
            "--notification-channel",
            "arn:aws:sqs:eu-west-1:210987654321:sf-snowpipe-1",
        ],
        &[
            "--notification-channel: notification_channel: the queue is in eu-west-1, the bucket in us-west-2",
        ],
    );
    std::fs::write(
        dir.join("pipes.tsv"),
        "created_on\tname\tdefinition\n2026-12-06\tSFTWO_PIPE\tCOPY INTO t FROM @s\n",
    )
    .unwrap();
    refused(
        dir,
        &before,
        &["--show-pipes", "pipes.tsv"],
        &["pipes.tsv: has no `notification_channel` column"],
    );

    // SHOW PIPES as a TSV: the stack's pipe's channel, as JSON output says.
    std::fs::write(
        dir.join("pipes.tsv"),
        "created_on\tname\tnotification_channel\n\
         2026-12-06\tOTHER_PIPE\tarn:aws:sqs:us-west-2:210987654321:sf-snowpipe-other\n\
         2026-12-06\tSFTWO_PIPE\tarn:aws:sqs:us-west-2:210987654321:sf-snowpipe-1\n",
    )
    .unwrap();
    let out = sluice_offline(
        dir,
        &[
            "snowflake",
            "--config",
            "spec.json",
            "--show-pipes",
            "pipes.tsv",
            "--output",
            "json",
        ],
    );
    let result: Value = serde_json::from_str(&ok(out)).unwrap();
    assert_eq!(
        result["set"]["notification.queue_arn"],
        "arn:aws:sqs:us-west-2:210987654321:sf-snowpipe-1"
    );
    assert_eq!(
        result["pending"],
        serde_json::json!(["role.trusted_principals", "role.external_id"])
    );
    assert_eq!(result["step"], 1);

    // Another vendor's spec is not Snowflake's.
    ok(sluice_offline(
        dir,
        &[
            "init",
            "--name",
            "gen",
            "--region",
            REGION,
            "--out",
            "generic.json",
        ],
    ));
    let out = sluice_offline(dir, &["snowflake", "--config", "generic.json", "--sql"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is for a spec made with --connector snowflake"),
        "{}",
        said(&out)
    );
}
