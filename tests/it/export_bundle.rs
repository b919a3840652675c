//! The exported bundle, tested for real: cfn-lint and shellcheck on the
//! generated files, and the exported setup.sh run with the AWS CLI against
//! moto, checked against `sluice plan --offline --json`.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{
    ACCOUNT_ID, Moto, aws_cli, ok, run, shared, sluice_offline as sluice, text, venv,
};
use serde_json::{Value, json};

/// A spec for moto's account, with `edit` applied to its JSON.
fn write_spec(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    ok(sluice(
        dir,
        &[
            "init",
            "--name",
            "acme-ingest",
            "--region",
            "us-west-2",
            "--account-id",
            ACCOUNT_ID,
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

fn export(dir: &Path, spec: &Path, out: &str) -> PathBuf {
    ok(sluice(
        dir,
        &["export", "--config", spec.to_str().unwrap(), "--out", out],
    ));
    dir.join(out)
}

/// A change to a starter spec.
type Edit = Box<dyn Fn(&mut Value)>;

/// The spec variants every generated file must hold up for.
fn variants() -> Vec<(&'static str, Edit)> {
    vec![
        ("default", Box::new(|_: &mut Value| {})),
        (
            "prefix-suffix",
            Box::new(|s: &mut Value| {
                s["bucket"]["prefix"] = json!("events/2024/");
                s["bucket"]["suffix"] = json!(".json.gz");
            }),
        ),
        (
            "user-keys-kms",
            Box::new(|s: &mut Value| {
                s["user"]["enabled"] = json!(true);
                s["user"]["create_access_key"] = json!(true);
                s["bucket"]["encryption"] = json!("sse-kms");
                s["bucket"]["kms_key_arn"] = json!("arn:aws:kms:us-west-2:123456789012:key/1111");
                s["queue"]["encryption"] = json!("kms");
                s["queue"]["kms_key_arn"] = json!("arn:aws:kms:us-west-2:123456789012:key/2222");
                s["bucket"]["versioning"] = json!(true);
            }),
        ),
        (
            "no-dlq-wildcard",
            Box::new(|s: &mut Value| {
                s["queue"]["dead_letter"]["enabled"] = json!(false);
                s["policy"]["scope"] = json!("wildcard");
                s["policy"]["allow_send_message"] = json!(true);
                s["bucket"]["deny_insecure_transport"] = json!(false);
            }),
        ),
        (
            "adopted",
            Box::new(|s: &mut Value| {
                s["bucket"]["create"] = json!(false);
                s["queue"]["create"] = json!(false);
                s["role"]["enabled"] = json!(false);
                s["user"]["enabled"] = json!(true);
            }),
        ),
        (
            "bucket-options",
            Box::new(|s: &mut Value| {
                s["bucket"]["encryption"] = json!("dsse-kms");
                s["bucket"]["kms_key_arn"] = json!("arn:aws:kms:us-west-2:123456789012:key/3333");
                s["bucket"]["versioning"] = json!(true);
                s["bucket"]["object_lock"] = json!(true);
                s["bucket"]["object_ownership"] = json!("object-writer");
                s["bucket"]["block_public_access"] = json!({"block_public_policy": false});
                s["bucket"]["tags"] = json!({"team": "data"});
                s["policy"]["allow_put_object"] = json!(true);
            }),
        ),
        // A shared bucket's routes: its SNS topic, or EventBridge.
        (
            "sns-route",
            Box::new(|s: &mut Value| {
                s["bucket"]["create"] = json!(false);
                s["bucket"]["prefix"] = json!("shared/in/");
                s["bucket"]["suffix"] = json!(".csv");
                s["notification"]["delivery"] = json!("sns");
                s["notification"]["topic_arn"] =
                    json!("arn:aws:sns:us-west-2:123456789012:team-uploads");
            }),
        ),
        (
            "eventbridge-route",
            Box::new(|s: &mut Value| {
                s["bucket"]["prefix"] = json!("shared/in/");
                s["bucket"]["suffix"] = json!(".csv");
                s["notification"]["delivery"] = json!("eventbridge");
                s["notification"]["events"] = json!(["s3:ObjectCreated:Put"]);
            }),
        ),
        // Every connector profile, as a spec naming only the connector and
        // the vendor's values: the loader fills in the rest from the profile.
        profile_variant(
            "tarsal",
            json!({"role": {
            "trusted_principals": ["arn:aws:iam::111122223333:root"],
            "external_id": "tarsal-external-id"}}),
        ),
        profile_variant(
            "tidb-cloud-lake",
            json!({"role": {
            "trusted_principals": ["arn:aws:iam::111122223333:role/setup", "arn:aws:iam::111122223333:role/load"],
            "external_id": "org-42"}}),
        ),
        profile_variant(
            "databend",
            json!({"role": {
            "trusted_principals": ["arn:aws:iam::111122223333:role/setup", "arn:aws:iam::111122223333:role/load"],
            "external_id": "org-42"}}),
        ),
        profile_variant(
            "snowflake",
            json!({
                "role": {"trusted_principals": ["arn:aws:iam::111122223333:user/abc1-b-self1234"],
                    "external_id": "ABC12345_SFCRole=2_abcdefg"},
                "notification": {"queue_arn": "arn:aws:sqs:us-west-2:111122223333:sf-snowpipe-queue"},
                "bucket": {"prefix": "load/"}}),
        ),
        profile_variant("treasure-data", json!({"bucket": {"prefix": "imports/"}})),
        profile_variant("hevo", json!({"role": {"external_id": "hevo-team-7"}})),
        profile_variant(
            "clickhouse",
            json!({"role": {
            "trusted_principals": ["arn:aws:iam::111122223333:role/clickhouse-service"]}}),
        ),
        // The alarms: sluice's topic with an e-mail subscription, or a
        // topic the spec names (and no dead-letter queue, so two alarms).
        (
            "alarms",
            Box::new(|s: &mut Value| {
                s["alarms"]["enabled"] = json!(true);
                s["alarms"]["email"] = json!("ops@example.com");
            }),
        ),
        (
            "alarms-their-topic",
            Box::new(|s: &mut Value| {
                s["alarms"]["enabled"] = json!(true);
                s["alarms"]["topic_arn"] = json!("arn:aws:sns:us-west-2:123456789012:ops-pager");
                s["queue"]["dead_letter"]["enabled"] = json!(false);
            }),
        ),
        (
            "no-account",
            Box::new(|s: &mut Value| {
                s.as_object_mut().unwrap().remove("account_id");
                s["role"]["trusted_principals"] = json!([
                    "arn:aws:iam::111122223333:role/vendor-setup",
                    "444455556666"
                ]);
            }),
        ),
    ]
}

/// A variant that is `connector`'s profile with `values` given: the spec
/// keeps only its name, region and account besides.
fn profile_variant(connector: &'static str, values: Value) -> (&'static str, Edit) {
    (
        connector,
        Box::new(move |s: &mut Value| {
            let mut spec = json!({
                "name": s["name"],
                "region": s["region"],
                "account_id": s["account_id"],
                "connector": connector,
            });
            for (key, value) in values.as_object().unwrap() {
                spec[key] = value.clone();
            }
            *s = spec;
        }),
    )
}

#[test]
fn init_and_export_write_the_whole_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), |_| {});
    let bundle = export(dir.path(), &spec, "bundle");
    let mut names: Vec<String> = fs::read_dir(&bundle)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "README.md",
            "bucket-encryption.json",
            "bucket-notification.json",
            "bucket-ownership-controls.json",
            "bucket-policy.json",
            "bucket-public-access-block.json",
            "cloudformation.yaml",
            "connector-values.json",
            "dlq-attributes.json",
            "main.tf",
            "permissions-policy.json",
            "queue-attributes.json",
            "queue-policy.json",
            "setup.sh",
            "sluice.1",
            "spec.json",
            "trust-policy.json",
        ]
    );
    // The exported spec is the input, byte for byte once written by sluice.
    assert_eq!(
        fs::read_to_string(bundle.join("spec.json")).unwrap(),
        fs::read_to_string(dir.path().join("base.json")).unwrap()
    );
    // Every JSON document parses and equals the plan's.
    let plan: Value = serde_json::from_str(&ok(sluice(
        dir.path(),
        &[
            "plan",
            "--offline",
            "--json",
            "--config",
            spec.to_str().unwrap(),
        ],
    )))
    .unwrap();
    let policy: Value =
        serde_json::from_str(&fs::read_to_string(bundle.join("permissions-policy.json")).unwrap())
            .unwrap();
    assert_eq!(policy, plan[0]["after"]);
    for file in ["cloudformation.yaml", "main.tf", "setup.sh", "README.md"] {
        assert!(
            fs::metadata(bundle.join(file)).unwrap().len() > 200,
            "{file} is nearly empty"
        );
    }
}

/// Every variant's bundle, exported into `dir/<variant>/`.
fn every_variant(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    variants()
        .into_iter()
        .map(|(name, edit)| {
            let base = dir.join(name);
            fs::create_dir_all(&base).unwrap();
            let spec = write_spec(&base, edit);
            (name, export(&base, &spec, "bundle"))
        })
        .collect()
}

/// One run of a linter over the same file of every variant's bundle (one
/// start of the tool, not one per variant); its findings name the files.
fn lint_all(tool: &mut Command, file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bundles = every_variant(dir.path());
    let out = run(tool.args(bundles.iter().map(|(_, b)| b.join(file))));
    let mut report = common::said(&out);
    for (name, bundle) in &bundles {
        let path = bundle.join(file);
        if report.contains(&*path.to_string_lossy()) {
            report.push_str(&format!(
                "\n--- {file} of variant {name}:\n{}",
                fs::read_to_string(&path).unwrap()
            ));
        }
    }
    assert!(out.status.success(), "{tool:?} found problems:\n{report}");
}

#[test]
fn cloudformation_passes_cfn_lint() {
    lint_all(
        &mut Command::new(venv().join("bin/cfn-lint")),
        "cloudformation.yaml",
    );
}

#[test]
fn setup_script_passes_shellcheck() {
    let status = Command::new("shellcheck")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "shellcheck is not installed: run the tests through ./tests/run.sh, or apt-get install shellcheck"
    );
    lint_all(
        Command::new("shellcheck").arg("--severity=style"),
        "setup.sh",
    );
}

/// The JSON setup.sh backed up as `name` under `backups`.
fn backed_up(backups: &Path, name: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(backups.join(name)).unwrap()).unwrap()
}

/// Runs the bundle's setup.sh with `--dry-run` against moto: what it says,
/// after checking it exits 2 (changes it would make).
fn setup_sh_dry_run(moto: &Moto, bundle: &Path, backups: &Path) -> String {
    let dry = run(moto
        .command("bash")
        .arg(bundle.join("setup.sh"))
        .arg("--dry-run")
        .current_dir(bundle)
        .env("SLUICE_BACKUP_DIR", backups));
    let said = common::said(&dry);
    assert_eq!(dry.status.code(), Some(2), "{said}");
    said
}

/// Runs the bundle's setup.sh against moto.
fn setup_sh(moto: &Moto, bundle: &Path, backups: &Path) -> Output {
    run(moto
        .command("bash")
        .arg(bundle.join("setup.sh"))
        .arg("--yes")
        .current_dir(bundle)
        .env("SLUICE_BACKUP_DIR", backups))
}

fn parse_json_string(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// The live state of every resource of the plan, read back with the AWS CLI
/// in the plan's shapes.
fn observed(moto: &Moto, plan: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for item in plan.as_array().unwrap() {
        let name = item["name"].as_str().unwrap();
        let after = &item["after"];
        let state = match item["resource"].as_str().unwrap() {
            "policy" => {
                let arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/{name}");
                let policy = aws_cli(moto, &["iam", "get-policy", "--policy-arn", &arn]);
                let version = policy["Policy"]["DefaultVersionId"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                aws_cli(
                    moto,
                    &[
                        "iam",
                        "get-policy-version",
                        "--policy-arn",
                        &arn,
                        "--version-id",
                        &version,
                    ],
                )["PolicyVersion"]["Document"]
                    .clone()
            }
            "role" => {
                let role = aws_cli(moto, &["iam", "get-role", "--role-name", name]);
                let attached = aws_cli(
                    moto,
                    &["iam", "list-attached-role-policies", "--role-name", name],
                );
                json!({
                    "AssumeRolePolicyDocument": role["Role"]["AssumeRolePolicyDocument"],
                    "AttachedPolicies": attached["AttachedPolicies"].as_array().unwrap().iter().map(|p| p["PolicyArn"].clone()).collect::<Vec<_>>(),
                })
            }
            "user" => {
                let attached = aws_cli(
                    moto,
                    &["iam", "list-attached-user-policies", "--user-name", name],
                );
                json!({
                    "AttachedPolicies": attached["AttachedPolicies"].as_array().unwrap().iter().map(|p| p["PolicyArn"].clone()).collect::<Vec<_>>(),
                })
            }
            "bucket" => {
                let mut state = serde_json::Map::new();
                for key in after.as_object().unwrap().keys() {
                    let value = match key.as_str() {
                        "PublicAccessBlockConfiguration" => aws_cli(
                            moto,
                            &["s3api", "get-public-access-block", "--bucket", name],
                        )[key]
                            .clone(),
                        "OwnershipControls" => aws_cli(
                            moto,
                            &["s3api", "get-bucket-ownership-controls", "--bucket", name],
                        )[key]
                            .clone(),
                        "ServerSideEncryptionConfiguration" => {
                            aws_cli(moto, &["s3api", "get-bucket-encryption", "--bucket", name])
                                [key]
                                .clone()
                        }
                        "VersioningConfiguration" => {
                            aws_cli(moto, &["s3api", "get-bucket-versioning", "--bucket", name])
                        }
                        "Policy" => parse_json_string(
                            &aws_cli(moto, &["s3api", "get-bucket-policy", "--bucket", name])["Policy"],
                        ),
                        other => panic!("unexpected bucket key {other}"),
                    };
                    state.insert(key.clone(), value);
                }
                Value::Object(state)
            }
            "dead-letter-queue" | "queue" => {
                let url = common::queue_url(moto, name);
                let attrs = aws_cli(
                    moto,
                    &[
                        "sqs",
                        "get-queue-attributes",
                        "--queue-url",
                        &url,
                        "--attribute-names",
                        "All",
                    ],
                );
                let mut state = serde_json::Map::new();
                for key in after.as_object().unwrap().keys() {
                    let v = attrs["Attributes"][key].clone();
                    let v = if matches!(key.as_str(), "Policy" | "RedrivePolicy") {
                        parse_json_string(&v)
                    } else {
                        v
                    };
                    state.insert(key.clone(), v);
                }
                Value::Object(state)
            }
            "notification" => {
                let bucket = plan
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["resource"] == "bucket")
                    .unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                aws_cli(
                    moto,
                    &[
                        "s3api",
                        "get-bucket-notification-configuration",
                        "--bucket",
                        &bucket,
                    ],
                )
            }
            "alarm-topic" => {
                let arn = format!("arn:aws:sns:us-west-2:{ACCOUNT_ID}:{name}");
                let attributes =
                    aws_cli(moto, &["sns", "get-topic-attributes", "--topic-arn", &arn]);
                let mut state =
                    json!({ "Policy": parse_json_string(&attributes["Attributes"]["Policy"]) });
                if let Some(email) = after.get("EmailSubscription") {
                    let subscriptions = aws_cli(
                        moto,
                        &["sns", "list-subscriptions-by-topic", "--topic-arn", &arn],
                    );
                    if subscriptions["Subscriptions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| s["Protocol"] == "email" && &s["Endpoint"] == email)
                    {
                        state["EmailSubscription"] = email.clone();
                    }
                }
                state
            }
            "alarm" => {
                let described = aws_cli(
                    moto,
                    &["cloudwatch", "describe-alarms", "--alarm-names", name],
                );
                let alarm = &described["MetricAlarms"][0];
                // The definition's keys, as DescribeAlarms gives them.
                after
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|key| (key.clone(), alarm[key].clone()))
                    .collect()
            }
            other => panic!("unexpected resource {other}"),
        };
        out.insert(
            format!("{}:{name}", item["resource"].as_str().unwrap()),
            state,
        );
    }
    Value::Object(out)
}

fn expected(plan: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for item in plan.as_array().unwrap() {
        out.insert(
            format!(
                "{}:{}",
                item["resource"].as_str().unwrap(),
                item["name"].as_str().unwrap()
            ),
            item["after"].clone(),
        );
    }
    Value::Object(out)
}

#[test]
fn setup_script_against_moto_builds_what_the_plan_says_and_reruns_as_a_no_op() {
    let moto = shared();
    for (name, edit) in variants()
        .into_iter()
        .filter(|(n, _)| matches!(*n, "default" | "prefix-suffix" | "no-account" | "alarms"))
    {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let spec = write_spec(dir.path(), edit);
        let bundle = export(dir.path(), &spec, "bundle");
        let out = setup_sh(&moto, &bundle, &dir.path().join("backups-1"));
        let log = ok(out);
        assert!(
            log.contains("==> IAM policy acme-ingest-policy\n    created"),
            "{name}: {log}"
        );

        // The offline plan of the same spec, with the account filled in as apply would.
        let mut spec_json: Value =
            serde_json::from_str(&fs::read_to_string(&spec).unwrap()).unwrap();
        spec_json["account_id"] = json!(ACCOUNT_ID);
        fs::write(dir.path().join("resolved.json"), spec_json.to_string()).unwrap();
        let plan: Value = serde_json::from_str(&ok(sluice(
            dir.path(),
            &["plan", "--offline", "--json", "--config", "resolved.json"],
        )))
        .unwrap();
        assert_eq!(
            observed(&moto, &plan),
            expected(&plan),
            "variant {name}:\n{log}"
        );

        // Tags mark what sluice made.
        let tags = aws_cli(
            &moto,
            &["iam", "list-role-tags", "--role-name", "acme-ingest-role"],
        );
        assert!(
            tags["Tags"]
                .as_array()
                .unwrap()
                .contains(&json!({"Key": "sluice:stack", "Value": "acme-ingest"}))
        );

        if name == "alarms" {
            alarms_made_by_setup_sh(&moto, dir.path(), &log);
        }

        // Second run: nothing to change, nothing backed up.
        let log = ok(setup_sh(&moto, &bundle, &dir.path().join("backups-2")));
        for word in [
            "    created",
            "updated",
            ": set",
            "merged",
            "backed up",
            "subscribed:",
        ] {
            assert!(
                !log.contains(word),
                "variant {name}: second run says {word:?}:\n{log}"
            );
        }
        assert!(
            !dir.path().join("backups-2").exists(),
            "variant {name}: second run wrote backups"
        );
        assert_eq!(observed(&moto, &plan), expected(&plan));
        if name == "alarms" {
            alarms_retired_by_setup_sh(&moto, dir.path(), &spec_json);
        }
    }
}

/// The alarms variant's stack with alarms turned off: setup.sh removes the
/// stack's alarms and topic, their definitions and policy backed up, and
/// `sluice plan` is clean with none of them.
fn alarms_retired_by_setup_sh(moto: &Moto, dir: &Path, spec: &Value) {
    let mut off = spec.clone();
    off["alarms"]["enabled"] = json!(false);
    fs::write(dir.join("off.json"), off.to_string()).unwrap();
    let bundle = export(dir, &dir.join("off.json"), "bundle-off");
    let backups = dir.join("backups-off");
    let log = ok(setup_sh(moto, &bundle, &backups));
    for said in [
        "alarm acme-ingest-stalled: deleted (the spec no longer has it)",
        "==> SNS topic acme-ingest-alarms of the stack's alarms, which the spec no longer has\n",
        "deleted with its subscriptions",
    ] {
        assert!(log.contains(said), "{said:?} not in:\n{log}");
    }
    assert!(
        backups.join("alarm-acme-ingest-stalled.json").exists(),
        "{log}"
    );
    assert!(backups.join("alarm-topic-policy.json").exists(), "{log}");
    let left = aws_cli(moto, &["cloudwatch", "describe-alarms"]);
    assert_eq!(left["MetricAlarms"], json!([]), "{left}");
    let planned = run(&mut common::sluice(
        moto,
        dir,
        &["plan", "--json", "--config", "off.json"],
    ));
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    assert!(common::alarm_actions(&planned).is_empty());
    let log = ok(setup_sh(moto, &bundle, &dir.join("backups-off-2")));
    assert!(!log.contains("deleted"), "{log}");
}

/// The alarms variant after its setup.sh: the topic and each alarm carry
/// the stack's tags, and `sluice plan` against moto finds nothing to change
/// (their definitions, the topic's policy and subscription, the tags).
fn alarms_made_by_setup_sh(moto: &Moto, dir: &Path, log: &str) {
    for said in [
        "==> SNS topic acme-ingest-alarms (the alarms notify it)\n    created",
        "e-mail ops@example.com subscribed",
        "==> CloudWatch alarm acme-ingest-dlq-not-empty\n    created",
        "==> CloudWatch alarm acme-ingest-oldest-message-age\n    created",
        "==> CloudWatch alarm acme-ingest-stalled\n    created",
    ] {
        assert!(log.contains(said), "{said:?} not in:\n{log}");
    }
    let stack_tag = json!({"Key": "sluice:stack", "Value": "acme-ingest"});
    let topic = format!("arn:aws:sns:us-west-2:{ACCOUNT_ID}:acme-ingest-alarms");
    let tags = aws_cli(
        moto,
        &["sns", "list-tags-for-resource", "--resource-arn", &topic],
    );
    assert!(
        tags["Tags"].as_array().unwrap().contains(&stack_tag),
        "{tags}"
    );
    let arn = format!("arn:aws:cloudwatch:us-west-2:{ACCOUNT_ID}:alarm:acme-ingest-stalled");
    let tags = aws_cli(
        moto,
        &[
            "cloudwatch",
            "list-tags-for-resource",
            "--resource-arn",
            &arn,
        ],
    );
    assert!(
        tags["Tags"].as_array().unwrap().contains(&stack_tag),
        "{tags}"
    );
    let planned = alarms_planned(moto, dir, "resolved.json");
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}\n{log}",
        common::said(&planned)
    );
}

/// `sluice plan --json` of `config` against moto, which must list the
/// alarms' topic and every alarm of stack acme-ingest with nothing to change.
fn alarms_planned(moto: &Moto, dir: &Path, config: &str) -> Output {
    let planned = run(&mut common::sluice(
        moto,
        dir,
        &["plan", "--json", "--config", config],
    ));
    let said = common::said(&planned);
    assert_eq!(
        common::alarm_actions(&planned),
        [
            "acme-ingest-alarms no-change",
            "acme-ingest-dlq-not-empty no-change",
            "acme-ingest-oldest-message-age no-change",
            "acme-ingest-stalled no-change",
        ],
        "{said}"
    );
    planned
}

/// An alarm topic or an alarm of the stack's names that exists without the
/// stack's sluice:stack tag is someone else's: setup.sh names it and stops
/// before writing anything.
#[test]
fn setup_script_refuses_an_alarm_or_topic_that_is_not_the_stacks() {
    let moto = shared();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), |s| {
        s["alarms"]["enabled"] = json!(true);
    });
    let bundle = export(dir.path(), &spec, "bundle");
    let topic = aws_cli(
        &moto,
        &["sns", "create-topic", "--name", "acme-ingest-alarms"],
    );
    let refused = |what: &str| {
        let before = moto.state();
        let out = setup_sh(&moto, &bundle, &dir.path().join("backups"));
        let said = common::said(&out);
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains(&format!(
                "{what} exists and is not this stack's (no sluice:stack=acme-ingest tag)"
            )),
            "{said}"
        );
        assert!(said.contains("nothing was changed"), "{said}");
        assert_eq!(moto.state(), before, "{said}");
    };
    refused("alarm-topic acme-ingest-alarms");
    aws_cli(
        &moto,
        &[
            "sns",
            "delete-topic",
            "--topic-arn",
            topic["TopicArn"].as_str().unwrap(),
        ],
    );
    aws_cli(
        &moto,
        &[
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            "acme-ingest-stalled",
            "--namespace",
            "Team",
            "--metric-name",
            "Errors",
            "--statistic",
            "Sum",
            "--period",
            "60",
            "--evaluation-periods",
            "1",
            "--threshold",
            "1",
            "--comparison-operator",
            "GreaterThanThreshold",
        ],
    );
    refused("alarm acme-ingest-stalled");
}

/// `setup.sh --help` and `--dry-run` write nothing to the account: moto's
/// whole state is the same before and after, on an empty account and on one
/// where the stack exists and its spec changed. The dry run says what it
/// would do and exits 2 while changes are pending, 0 when none are; an
/// unknown argument and a run without `--yes` and without a terminal are
/// refused before any AWS call.
#[test]
fn setup_script_help_and_dry_run_change_nothing() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), |s| {
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
        s["alarms"]["enabled"] = json!(true);
        s["alarms"]["email"] = json!("ops@example.com");
    });
    let bundle = export(dir.path(), &spec, "bundle");
    let script = |args: &[&str]| {
        run(moto
            .command("bash")
            .arg(bundle.join("setup.sh"))
            .args(args)
            .current_dir(&bundle)
            .env("SLUICE_BACKUP_DIR", dir.path().join("backups"))
            .env("SLUICE_OUT_DIR", dir.path()))
    };
    let before = moto.state();
    let help = script(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).starts_with("Usage: ./setup.sh [--dry-run] [--yes]"));
    for refused in [&["--bogus"][..], &[][..]] {
        let out = script(refused);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{refused:?}: {}",
            common::said(&out)
        );
        assert!(
            text(&out.stderr).contains("nothing was"),
            "{}",
            common::said(&out)
        );
    }
    let dry = script(&["--dry-run"]);
    let said = common::said(&dry);
    assert_eq!(dry.status.code(), Some(2), "{said}");
    for line in [
        "==> IAM policy acme-ingest-policy\n    would create it",
        "would create an access key",
        "==> SQS queue acme-ingest-queue\n    would create it",
        "would merge our entry (entries of others kept)",
        "==> SNS topic acme-ingest-alarms (the alarms notify it)\n    would create it",
        "would subscribe ops@example.com",
        "==> CloudWatch alarm acme-ingest-stalled\n    would create it",
        "write(s) pending; nothing was written",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }
    assert_eq!(
        moto.state(),
        before,
        "the dry run wrote to the account: {said}"
    );
    assert!(!dir.path().join("backups").exists());
    assert!(!dir.path().join("acme-ingest-user_accessKeys.csv").exists());

    // On a terminal it shows the dry run and asks: "n" changes nothing, "y" applies.
    let answer = |reply: &str| {
        use std::io::Write as _;
        let line = format!("bash {}", bundle.join("setup.sh").display());
        let mut child = moto
            .command("script")
            .args(["-qec", &line, "/dev/null"])
            .current_dir(&bundle)
            .env("SLUICE_BACKUP_DIR", dir.path().join("backups"))
            .env("SLUICE_OUT_DIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{reply}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    if Command::new("script").arg("--version").output().is_ok() {
        let declined = answer("n");
        let said = common::said(&declined);
        assert!(said.contains("would create it"), "{said}");
        assert!(said.contains("Make these changes? [y/N]"), "{said}");
        assert!(said.contains("Nothing was changed."), "{said}");
        assert_eq!(
            moto.state(),
            before,
            "declining wrote to the account: {said}"
        );
        let accepted = answer("y");
        let said = common::said(&accepted);
        assert!(accepted.status.success(), "{said}");
        assert!(
            said.contains("==> IAM policy acme-ingest-policy\r\n    created"),
            "{said}"
        );
    } else {
        common::skip(
            "setup_script_help_and_dry_run_change_nothing (its terminal part)",
            "`script` (util-linux) is not installed: no pseudo-terminal to answer on",
        );
        ok(script(&["--yes"]));
    }
    let clean = script(&["--dry-run"]);
    assert_eq!(clean.status.code(), Some(0), "{}", common::said(&clean));
    assert!(text(&clean.stdout).contains("Dry run: nothing to change"));

    // A changed spec on an existing stack: pending, backups named, nothing written.
    let spec = write_spec(dir.path(), |s| {
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
        s["queue"]["visibility_timeout_secs"] = json!(900);
        s["policy"]["allow_send_message"] = json!(true);
        s["alarms"]["enabled"] = json!(true);
        s["alarms"]["email"] = json!("ops@example.com");
        s["alarms"]["max_message_age_secs"] = json!(600);
    });
    let bundle2 = export(dir.path(), &spec, "bundle2");
    let before = moto.state();
    let said = setup_sh_dry_run(&moto, &bundle2, &dir.path().join("backups-2"));
    for line in [
        "would back up the previous permissions-policy.json",
        "would update it (a new default version)",
        "would update: VisibilityTimeout",
        "policy attached: no change",
        "access policy: no change",
        "e-mail ops@example.com: subscribed, no change",
        "==> CloudWatch alarm acme-ingest-oldest-message-age\n    would back up the previous alarm-oldest-message-age.json",
        "would update its definition",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }
    assert_eq!(
        moto.state(),
        before,
        "the dry run wrote to the account: {said}"
    );
    assert!(!dir.path().join("backups-2").exists());
}

fn put_foreign_notifications(moto: &Moto, bucket: &str) -> Value {
    let foreign = json!({
        "QueueConfigurations": [{
            "Id": "images", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:images",
            "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}
        }],
        "TopicConfigurations": [{
            "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
            "Events": ["s3:ObjectRemoved:*"]
        }],
        "LambdaFunctionConfigurations": [{
            "Id": "thumbs", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:123456789012:function:thumbs",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}
        }]
    });
    // The stack's bucket (an earlier apply made it), with others' entries.
    common::create_stack_bucket(moto, bucket, "acme-ingest");
    common::put_notification(moto, bucket, &foreign.to_string());
    aws_cli(
        moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            bucket,
        ],
    )
}

#[test]
fn setup_script_keeps_foreign_notification_entries_and_backs_up() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let before = put_foreign_notifications(&moto, "acme-ingest-source");
    let spec = write_spec(dir.path(), |s| {
        s["bucket"]["prefix"] = json!("events/");
        s["bucket"]["suffix"] = json!(".json");
    });
    let bundle = export(dir.path(), &spec, "bundle");
    let backups = dir.path().join("backups");
    let log = ok(setup_sh(&moto, &bundle, &backups));
    assert!(log.contains("merged (entries of others kept)"), "{log}");

    let after = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    for kind in ["TopicConfigurations", "LambdaFunctionConfigurations"] {
        assert_eq!(after[kind], before[kind], "{kind} changed");
    }
    let queues = after["QueueConfigurations"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    assert_eq!(
        queues[0], before["QueueConfigurations"][0],
        "foreign queue entry changed"
    );
    assert_eq!(queues[1]["Id"], "acme-ingest-object-created");
    // The prior configuration was saved before it was changed.
    let saved = backed_up(&backups, "bucket-notification.json");
    assert_eq!(saved, before);
}

#[test]
fn setup_script_refuses_an_overlapping_notification_before_writing_anything() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let before = put_foreign_notifications(&moto, "acme-ingest-source");
    // No prefix or suffix: ObjectCreated:* on every key overlaps "images" and "thumbs".
    let spec = write_spec(dir.path(), |_| {});
    let bundle = export(dir.path(), &spec, "bundle");
    let out = setup_sh(&moto, &bundle, &dir.path().join("backups"));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "the existing queue entry images to arn:aws:sqs:us-west-2:123456789012:images"
        ),
        "{err}"
    );
    assert!(
        err.contains("the existing Lambda function entry thumbs"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    // Nothing was written: no policy, no queue, notification untouched.
    let policies = aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"]);
    assert_eq!(policies["Policies"], json!([]));
    let queues = aws_cli(&moto, &["sqs", "list-queues"]);
    assert!(queues.get("QueueUrls").is_none(), "{queues}");
    let after = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    assert_eq!(after, before);
}

#[test]
fn setup_script_adopts_an_existing_bucket_and_queue() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    common::create_bucket(&moto, "acme-ingest-source");
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
    let spec = write_spec(dir.path(), |s| {
        s["bucket"]["create"] = json!(false);
        s["queue"]["create"] = json!(false);
    });
    let bundle = export(dir.path(), &spec, "bundle");
    let backups = dir.path().join("backups");
    let log = ok(setup_sh(&moto, &bundle, &backups));
    assert!(log.contains("access policy: our statement merged"), "{log}");

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
    );
    assert_eq!(
        attrs["Attributes"]["VisibilityTimeout"], "45",
        "adopted queue settings must be left alone"
    );
    let policy = parse_json_string(&attrs["Attributes"]["Policy"]);
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["TheirSender", "AllowS3ToSendMessage"]);
    let saved: Value =
        serde_json::from_str(&fs::read_to_string(backups.join("queue-policy.json")).unwrap())
            .unwrap();
    assert_eq!(saved, theirs);
    // The bucket got no settings of ours, only the notification.
    let out = run(moto.command(venv().join("bin/aws")).args([
        "s3api",
        "get-bucket-policy",
        "--bucket",
        "acme-ingest-source",
    ]));
    assert!(
        !out.status.success(),
        "an adopted bucket must not get our bucket policy"
    );
    let notification = aws_cli(
        &moto,
        &[
            "s3api",
            "get-bucket-notification-configuration",
            "--bucket",
            "acme-ingest-source",
        ],
    );
    assert_eq!(
        notification["QueueConfigurations"][0]["Id"],
        "acme-ingest-object-created"
    );
}

#[test]
fn setup_script_refuses_a_missing_adopted_bucket() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), |s| s["bucket"]["create"] = json!(false));
    let bundle = export(dir.path(), &spec, "bundle");
    let out = setup_sh(&moto, &bundle, &dir.path().join("backups"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(
            "bucket acme-ingest-source does not exist; the spec adopts an existing bucket"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"])["Policies"],
        json!([])
    );
}

/// Every text a user reads (the bundle, the plan with its lints, every
/// `--help`) names documents the user knows, such as "Tarsal's setup guide",
/// never the reference copies sluice was built from.
#[test]
fn user_facing_text_names_only_documents_the_user_knows() {
    let word = regex::Regex::new(r"(?i)\bseed(s|ed)?\b").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut texts: Vec<(String, String)> = Vec::new();
    for (name, bundle) in every_variant(dir.path()) {
        for file in common::files_under(&bundle) {
            texts.push((
                format!("{name}: {}", file.display()),
                fs::read_to_string(&file).unwrap(),
            ));
        }
    }
    // A spec that sets off every lint the plan prints.
    let linted = dir.path().join("linted");
    fs::create_dir_all(&linted).unwrap();
    let spec = write_spec(&linted, |s| {
        s["queue"]["visibility_timeout_secs"] = json!(30);
        s["queue"]["message_retention_secs"] = json!(60);
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
        s["policy"]["scope"] = json!("wildcard");
        s["bucket"]["deny_insecure_transport"] = json!(false);
    });
    let out = sluice(
        &linted,
        &["plan", "--offline", "--config", spec.to_str().unwrap()],
    );
    let plan = common::said(&out);
    assert!(
        plan.contains("Tarsal's setup guide recommends 600"),
        "{plan}"
    );
    texts.push(("plan".into(), plan));
    let commands = [
        "init",
        "plan",
        "apply",
        "verify",
        "destroy",
        "restore",
        "consume",
        "monitor",
        "backfill",
        "decode",
        "bench",
        "export",
        "wizard",
        "credentials",
    ];
    texts.push(("--help".into(), ok(sluice(dir.path(), &["--help"]))));
    for command in commands {
        texts.push((
            format!("{command} --help"),
            ok(sluice(dir.path(), &[command, "--help"])),
        ));
    }
    // The wizard's and the engine's string tables, and the README.
    for root in ["src", "assets"] {
        for file in common::files_under(&common::root().join(root)) {
            if let Ok(body) = fs::read_to_string(&file) {
                texts.push((file.display().to_string(), body));
            }
        }
    }
    texts.push((
        "README.md".into(),
        fs::read_to_string(common::root().join("README.md")).unwrap(),
    ));
    let found: Vec<String> = texts
        .iter()
        .flat_map(|(place, body)| {
            body.lines()
                .filter(|line| word.is_match(line))
                .map(move |line| format!("{place}: {line}"))
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// `--region` only checks the spec's region, with or without `--offline`:
/// a differing one is refused, naming both, before anything else happens.
#[test]
fn a_region_other_than_the_specs_is_refused_offline_too() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), |_| {});
    let spec = spec.to_str().unwrap();
    for args in [
        vec![
            "plan",
            "--offline",
            "--region",
            "eu-west-1",
            "--config",
            spec,
        ],
        vec![
            "export",
            "--region",
            "eu-west-1",
            "--config",
            spec,
            "--out",
            "b",
        ],
    ] {
        let out = sluice(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("--region eu-west-1 differs from the spec's region us-west-2"),
            "{args:?}: {stderr}"
        );
        assert!(text(&out.stdout).is_empty(), "{args:?}");
    }
    assert!(!dir.path().join("b").exists());
    // The spec's own region is accepted.
    ok(sluice(
        dir.path(),
        &[
            "plan",
            "--offline",
            "--region",
            "us-west-2",
            "--config",
            spec,
        ],
    ));
}

/// parliament (an IAM policy auditor) finds nothing in any variant's or
/// profile's permission policy, but `Resource: "*"` where the spec asks for
/// the wildcard scope (documented: it is Tarsal's own policy). Documents are
/// audited with the account filled in, as every path applies them.
#[test]
fn every_permission_policy_passes_parliament() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut documented = 0;
    for (name, bundle) in every_variant(dir.path()) {
        let policy = fs::read_to_string(bundle.join("permissions-policy.json"))
            .unwrap()
            .replace("<ACCOUNT_ID>", ACCOUNT_ID);
        let spec: Value =
            serde_json::from_str(&fs::read_to_string(bundle.join("spec.json")).unwrap()).unwrap();
        let wildcard = spec["policy"]["scope"] == "wildcard";
        let out =
            run(Command::new(venv().join("bin/parliament")).args(["--json", "--string", &policy]));
        for line in text(&out.stdout).lines().filter(|l| !l.trim().is_empty()) {
            let finding: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}: parliament printed {line:?}: {e}"));
            if wildcard && finding["issue"] == "RESOURCE_STAR" {
                documented += 1;
            } else {
                report.push(format!("{name}: {line}"));
            }
        }
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: parliament failed: {}",
            text(&out.stderr)
        );
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    // parliament did audit: the wildcard variant's "*" is reported.
    assert!(
        documented > 0,
        "parliament reported nothing for the wildcard scope"
    );
}

/// An entry that is ours by what it is (our queue, events and key filter)
/// under an Id S3 gave it, as CloudFormation leaves it: `sluice plan` finds
/// nothing to change and says whose it is, setup.sh keeps it as it is, and
/// destroy removes that entry and no other, for a bucket sluice made and
/// for an adopted one that holds another team's entry.
#[test]
fn an_entry_that_is_ours_under_an_id_s3_gave_it_is_recognised_on_every_path() {
    let moto = shared();
    for adopted in [false, true] {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let bucket = "acme-ingest-source";
        let spec = write_spec(dir, |s| {
            s["bucket"]["prefix"] = json!("in/");
            s["bucket"]["deny_insecure_transport"] = json!(false);
            if adopted {
                s["bucket"]["create"] = json!(false);
            }
        });
        let spec = spec.to_str().unwrap();
        let with_moto = |args: &[&str]| run(&mut common::sluice(&moto, dir, args));
        if adopted {
            common::create_bucket(&moto, bucket);
        }
        let applied = with_moto(&[
            "apply",
            "--config",
            spec,
            "--yes",
            "--backup-dir",
            "backups",
        ]);
        assert!(applied.status.success(), "{}", text(&applied.stderr));
        // Our entry as CloudFormation would have made it, beside another
        // team's. (moto answers 500 to a rule named `Prefix`, as S3 itself
        // reports it, so the names are written in lower case here.)
        let queue_arn = format!("arn:aws:sqs:us-west-2:{ACCOUNT_ID}:acme-ingest-queue");
        let configuration = json!({
            "QueueConfigurations": [
                {"Id": "NDc2ZTJmZjEtYjQ0Mi00ZTk5LWE1", "QueueArn": queue_arn,
                 "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}},
                {"Id": "team-etl", "QueueArn": queue_arn,
                 "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "etl/"}]}}}
            ]
        });
        common::put_notification(&moto, bucket, &configuration.to_string());
        let before = common::notification(&moto, bucket);
        let planned = with_moto(&["plan", "--config", spec]);
        let shown = text(&planned.stdout);
        assert_eq!(
            planned.status.code(),
            Some(0),
            "{shown}{}",
            text(&planned.stderr)
        );
        assert!(
            shown.contains("notification entry NDc2ZTJmZjEtYjQ0Mi00ZTk5LWE1 is sluice's"),
            "{shown}"
        );
        // setup.sh agrees: nothing written, nothing refused.
        let bundle = export(dir, Path::new(spec), "bundle");
        let log = ok(setup_sh(&moto, &bundle, &dir.join("backups-sh")));
        assert!(
            log.contains("entry NDc2ZTJmZjEtYjQ0Mi00ZTk5LWE1 is ours"),
            "{log}"
        );
        assert_eq!(common::notification(&moto, bucket), before, "{log}");
        // destroy takes that entry, and only that one.
        let destroyed = with_moto(&[
            "destroy",
            "--config",
            spec,
            "--yes",
            "--force",
            "--backup-dir",
            "backups",
        ]);
        assert!(
            matches!(destroyed.status.code(), Some(0 | 2)),
            "{}{}",
            text(&destroyed.stdout),
            text(&destroyed.stderr)
        );
        let said = common::said(&destroyed);
        assert!(
            said.contains("entry NDc2ZTJmZjEtYjQ0Mi00ZTk5LWE1 is ours"),
            "{said}"
        );
        if !adopted {
            // The bucket sluice made goes too (it held no objects).
            continue;
        }
        let after = common::notification(&moto, bucket);
        let ids: Vec<&str> = after["QueueConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["Id"].as_str())
            .collect();
        assert_eq!(ids, ["team-etl"], "adopted={adopted}: {after}");
    }
}

/// The CloudFormation template deployed on moto (which creates the policy,
/// role, queues and bucket, and skips the queue policy, the bucket policy,
/// the public access block, the notification and the role's
/// ManagedPolicyArns), then `sluice destroy` removes every resource of the
/// stack sluice owns: the policy, which CloudFormation cannot tag, by the
/// description every path gives it.
#[test]
fn a_cloudformation_stack_is_destroyed_by_sluice() {
    let moto = shared();
    // Destroyed as CloudFormation left it, and after `sluice apply` took it over.
    for take_over in [false, true] {
        moto.reset();
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let spec = write_spec(dir, |s| {
            s["name"] = json!("cfs");
            s["bucket"]["name"] = json!("cfs-source");
            s["queue"]["name"] = json!("cfs-queue");
            s["queue"]["dead_letter"]["name"] = json!("cfs-queue-dlq");
            s["policy"]["name"] = json!("cfs-policy");
            s["role"]["name"] = json!("cfs-role");
            s["notification"]["id"] = json!("cfs-object-created");
            s["bucket"]["deny_insecure_transport"] = json!(false);
        });
        let spec = spec.to_str().unwrap();
        let bundle = export(dir, Path::new(spec), "bundle");
        create_stack(&moto, &bundle, "cfs");
        let policy_arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/cfs-policy");
        let policy = aws_cli(&moto, &["iam", "get-policy", "--policy-arn", &policy_arn]);
        assert_eq!(
            policy["Policy"]["Description"],
            "S3 and SQS access for the cfs ingestion pipeline (sluice)"
        );
        let with_moto = |args: &[&str]| run(&mut common::sluice(&moto, dir, args));
        // sluice plan takes the stack over: the untagged policy is to be tagged.
        let planned = with_moto(&["plan", "--config", spec]);
        let shown = text(&planned.stdout);
        assert!(
            shown.contains("policy cfs-policy carries no sluice:stack tag"),
            "{shown}"
        );
        if take_over {
            let applied = with_moto(&[
                "apply",
                "--config",
                spec,
                "--yes",
                "--backup-dir",
                "backups",
            ]);
            let said = common::said(&applied);
            assert!(applied.status.success(), "{said}");
            assert!(
                said.contains("policy: tags: +managed-by=sluice, +sluice:stack=cfs"),
                "{said}"
            );
            let tags = aws_cli(
                &moto,
                &["iam", "list-policy-tags", "--policy-arn", &policy_arn],
            );
            assert!(
                tags["Tags"]
                    .as_array()
                    .unwrap()
                    .contains(&json!({"Key": "sluice:stack", "Value": "cfs"})),
                "{tags}"
            );
            let replanned = with_moto(&["plan", "--config", spec]);
            assert_eq!(
                replanned.status.code(),
                Some(0),
                "{}{}",
                text(&replanned.stdout),
                text(&replanned.stderr)
            );
        }
        // Once apply has added the notification, S3's test event sits in the
        // queue: destroy keeps a queue that holds messages unless --force.
        let mut args = vec![
            "destroy",
            "--config",
            spec,
            "--yes",
            "--backup-dir",
            "backups",
        ];
        if take_over {
            args.push("--force");
        }
        let destroyed = with_moto(&args);
        let said = common::said(&destroyed);
        assert_eq!(destroyed.status.code(), Some(0), "{said}");
        assert_eq!(
            said.contains("recognised by the description"),
            !take_over,
            "{said}"
        );
        assert!(
            aws_cli(&moto, &["iam", "list-policies", "--scope", "Local"])["Policies"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["PolicyName"] != "cfs-policy"),
            "{said}"
        );
        assert!(
            aws_cli(&moto, &["iam", "list-roles"])["Roles"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["RoleName"] != "cfs-role"),
            "{said}"
        );
        assert!(
            aws_cli(&moto, &["sqs", "list-queues"])
                .get("QueueUrls")
                .is_none(),
            "{said}"
        );
        assert!(
            !aws_cli(&moto, &["s3api", "list-buckets"])["Buckets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["Name"] == "cfs-source"),
            "{said}"
        );
    }
}

/// Creates the bundle's template as the CloudFormation stack `name` in moto,
/// which must complete.
fn create_stack(moto: &Moto, bundle: &Path, name: &str) {
    aws_cli(
        moto,
        &[
            "cloudformation",
            "create-stack",
            "--stack-name",
            name,
            "--template-body",
            &format!("file://{}", bundle.join("cloudformation.yaml").display()),
            "--capabilities",
            "CAPABILITY_NAMED_IAM",
        ],
    );
    let status = aws_cli(
        moto,
        &["cloudformation", "describe-stacks", "--stack-name", name],
    );
    assert_eq!(
        status["Stacks"][0]["StackStatus"], "CREATE_COMPLETE",
        "{status}"
    );
}

/// The exported template with alarms on, created as a CloudFormation stack
/// in moto: the topic (tagged, with its access policy and the e-mail
/// subscription) and the three alarms exist, and `sluice plan` sees each of
/// them as the stack's with nothing to change.
#[test]
fn a_cloudformation_stack_makes_the_alarms_sluice_plans() {
    let moto = shared();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let spec = write_spec(dir, |s| {
        s["alarms"]["enabled"] = json!(true);
        s["alarms"]["email"] = json!("ops@example.com");
    });
    let bundle = export(dir, &spec, "bundle");
    create_stack(&moto, &bundle, "acme-ingest");
    let described = aws_cli(&moto, &["cloudwatch", "describe-alarms"]);
    let names: Vec<&str> = described["MetricAlarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["AlarmName"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "acme-ingest-dlq-not-empty",
            "acme-ingest-oldest-message-age",
            "acme-ingest-stalled"
        ],
        "{described}"
    );
    let planned = alarms_planned(&moto, dir, spec.to_str().unwrap());
    // The rest of the stack is CloudFormation's as the other test describes
    // (its untagged policy is to be tagged): only the alarms are checked here.
    assert!(
        matches!(planned.status.code(), Some(0 | 2)),
        "{}",
        common::said(&planned)
    );
}

/// `sluice apply` and the exported setup.sh leave the same state behind,
/// attribute by attribute (queue, DLQ, policy, role, bucket, notification,
/// tags, descriptions). Terraform is compared in tests/it/terraform.rs.
#[test]
fn apply_and_setup_sh_leave_the_same_state() {
    let moto = shared();
    moto.reset();
    let mut states = Vec::new();
    for (stack, by_script) in [("path-apply", false), ("path-sh", true)] {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        ok(run(&mut common::sluice(
            &moto,
            dir,
            &[
                "init",
                "--name",
                stack,
                "--region",
                "us-west-2",
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
        )));
        if by_script {
            let bundle = export(dir, &dir.join("spec.json"), "bundle");
            ok(setup_sh(&moto, &bundle, &dir.join("backups")));
        } else {
            ok(run(&mut common::sluice(
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
            )));
        }
        states.push(common::stack_state(&moto, stack));
    }
    assert_eq!(
        states[0], states[1],
        "sluice apply (left) and setup.sh (right) differ"
    );
}

/// The user the spec turned off: setup.sh deletes the stack's user with its
/// access key (its key ids and attachments backed up first), as apply
/// does; its dry run says so and writes nothing; `sluice plan` is clean
/// after it and a rerun finds none. A user of that name that others rely
/// on (in a group of theirs) is kept and said why.
#[test]
fn setup_script_deletes_the_user_the_spec_turned_off() {
    let moto = shared();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let on = write_spec(dir, |s| {
        s["user"]["enabled"] = json!(true);
        s["user"]["create_access_key"] = json!(true);
    });
    let bundle = export(dir, &on, "bundle-on");
    let log = ok(setup_sh(&moto, &bundle, &dir.join("backups-on")));
    assert!(log.contains("access key created"), "{log}");
    // A console password too, which IAM wants gone before the user.
    aws_cli(
        &moto,
        &[
            "iam",
            "create-login-profile",
            "--user-name",
            "acme-ingest-user",
            "--password",
            "Correct-Horse-9-Battery",
        ],
    );

    let off = write_spec(dir, |s| s["user"]["enabled"] = json!(false));
    let bundle = export(dir, &off, "bundle-off");
    let step = "==> IAM user acme-ingest-user, which the spec no longer has\n";
    let said = setup_sh_dry_run(&moto, &bundle, &dir.join("backups-dry"));
    assert!(
        said.contains(&format!(
            "{step}    would back up the previous user-acme-ingest-user.json"
        )),
        "{said}"
    );
    assert!(
        said.contains("would delete it with its 1 access key(s) (the spec no longer has it)"),
        "{said}"
    );
    let user = aws_cli(
        &moto,
        &["iam", "get-user", "--user-name", "acme-ingest-user"],
    );
    assert_eq!(user["User"]["UserName"], "acme-ingest-user");

    let backups = dir.join("backups-off");
    let log = ok(setup_sh(&moto, &bundle, &backups));
    assert!(
        log.contains("deleted with its 1 access key(s) (the spec no longer has it)"),
        "{log}"
    );
    let saved = backed_up(&backups, "user-acme-ingest-user.json");
    assert_eq!(
        saved["AccessKeys"].as_array().map(Vec::len),
        Some(1),
        "{saved}"
    );
    assert_eq!(
        saved["AttachedPolicies"],
        json!([format!(
            "arn:aws:iam::{ACCOUNT_ID}:policy/acme-ingest-policy"
        )])
    );
    let users = aws_cli(&moto, &["iam", "list-users"]);
    assert!(!users.to_string().contains("acme-ingest-user"), "{users}");
    clean_and_gone(&moto, dir, &off, &bundle, step);

    // The stack's user, in a group of another team's: kept.
    aws_cli(
        &moto,
        &[
            "iam",
            "create-user",
            "--user-name",
            "acme-ingest-user",
            "--tags",
            "Key=sluice:stack,Value=acme-ingest",
        ],
    );
    aws_cli(&moto, &["iam", "create-group", "--group-name", "data-team"]);
    aws_cli(
        &moto,
        &[
            "iam",
            "add-user-to-group",
            "--user-name",
            "acme-ingest-user",
            "--group-name",
            "data-team",
        ],
    );
    let kept = ok(setup_sh(&moto, &bundle, &dir.join("backups-kept")));
    assert!(
        kept.contains("kept: it also has group data-team, which sluice never gives it"),
        "{kept}"
    );
    let user = aws_cli(
        &moto,
        &["iam", "get-user", "--user-name", "acme-ingest-user"],
    );
    assert_eq!(user["User"]["UserName"], "acme-ingest-user");
}

/// The role the spec turned off (the vendor could still assume it): setup.sh
/// backs up its trust policy and attachments, takes off what IAM wants gone
/// first (its policies, an inline policy, an instance profile) and deletes
/// it, as apply does; `sluice plan` is clean after it and a rerun finds none.
#[test]
fn setup_script_deletes_the_role_the_spec_turned_off() {
    let moto = shared();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let on = write_spec(dir, |_| {});
    let bundle = export(dir, &on, "bundle-on");
    ok(setup_sh(&moto, &bundle, &dir.join("backups-on")));
    let role = ["--role-name", "acme-ingest-role"];
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    let mut put = vec!["iam", "put-role-policy", "--policy-name", "extra"];
    put.extend(role);
    put.extend(["--policy-document", inline]);
    aws_cli(&moto, &put);
    aws_cli(
        &moto,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "acme-ec2",
        ],
    );
    let mut add = vec![
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "acme-ec2",
    ];
    add.extend(role);
    aws_cli(&moto, &add);

    let off = write_spec(dir, |s| {
        s["role"]["enabled"] = json!(false);
        s["user"]["enabled"] = json!(true);
    });
    let bundle = export(dir, &off, "bundle-off");
    let script = fs::read_to_string(bundle.join("setup.sh")).unwrap();
    assert!(
        script.contains("# The spec has no role: the stack's IAM role \"acme-ingest-role\""),
        "the header says it"
    );
    let backups = dir.join("backups-off");
    let log = ok(setup_sh(&moto, &bundle, &backups));
    assert!(
        log.contains(
            "==> IAM role acme-ingest-role, which the spec no longer has\n    backed up the previous role-acme-ingest-role.json"
        ),
        "{log}"
    );
    assert!(
        log.contains("    deleted (the spec no longer has it)"),
        "{log}"
    );
    let saved = backed_up(&backups, "role-acme-ingest-role.json");
    assert_eq!(
        saved["AttachedPolicies"],
        json!([format!(
            "arn:aws:iam::{ACCOUNT_ID}:policy/acme-ingest-policy"
        )])
    );
    assert_eq!(saved["InlinePolicies"], json!(["extra"]));
    assert_eq!(
        saved["AssumeRolePolicyDocument"]["Version"], "2012-10-17",
        "{saved}"
    );
    let roles = aws_cli(&moto, &["iam", "list-roles"]);
    assert!(!roles.to_string().contains("acme-ingest-role"), "{roles}");
    let step = "==> IAM role acme-ingest-role, which the spec no longer has\n";
    clean_and_gone(&moto, dir, &off, &bundle, step);
}

/// After setup.sh took out what the spec `off` no longer has: `sluice plan`
/// finds nothing to change, and setup.sh run again finds none at `step`.
fn clean_and_gone(moto: &Moto, dir: &Path, off: &Path, bundle: &Path, step: &str) {
    let planned = run(&mut common::sluice(
        moto,
        dir,
        &["plan", "--config", off.to_str().unwrap()],
    ));
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    let again = ok(setup_sh(moto, bundle, &dir.join("backups-again")));
    assert!(again.contains(&format!("{step}    none")), "{again}");
}

/// The dead-letter queue the spec turned off: setup.sh takes the redrive
/// policy that names it off the stack's queue and, on a later run, deletes
/// the queue (each backed up first), as apply does, and `sluice plan` then
/// finds nothing to do. A dead-letter queue holding messages is left,
/// saying why.
#[test]
fn setup_script_retires_a_dead_letter_queue_turned_off() {
    let moto = shared();
    moto.reset();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let on = write_spec(dir, |_| {});
    ok(setup_sh(
        &moto,
        &export(dir, &on, "bundle-on"),
        &dir.join("backups-on"),
    ));
    let off = write_spec(dir, |s| s["queue"]["dead_letter"]["enabled"] = json!(false));
    let bundle = export(dir, &off, "bundle-off");
    let script = fs::read_to_string(bundle.join("setup.sh")).unwrap();
    assert!(
        script
            .contains("# The spec has no dead-letter queue: the stack's \"acme-ingest-queue-dlq\""),
        "the header says what goes"
    );

    // Holding a message, it stays; the redrive policy goes all the same.
    let dlq_url = common::queue_url(&moto, "acme-ingest-queue-dlq");
    aws_cli(
        &moto,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &dlq_url,
            "--message-body",
            "failed",
        ],
    );
    // The run that takes the redrive policy off leaves the queue for the
    // next: SQS's counts of a message moved a moment ago lag.
    let first = ok(setup_sh(&moto, &bundle, &dir.join("backups-held")));
    assert!(
        first.contains("redrive policy removed (the spec has no dead-letter queue)"),
        "{first}"
    );
    assert!(
        first.contains("left until the next run: the redrive policy naming it went in this run"),
        "{first}"
    );
    let held = ok(setup_sh(&moto, &bundle, &dir.join("backups-held-again")));
    assert!(!held.contains("redrive policy removed"), "{held}");
    assert!(
        held.contains("holds 1 message(s): left as it is (sluice apply backs its messages up"),
        "{held}"
    );
    let saved = backed_up(&dir.join("backups-held"), "queue-redrive-policy.json");
    assert!(
        saved["RedrivePolicy"]
            .as_str()
            .is_some_and(|p| p.contains("acme-ingest-queue-dlq")),
        "{saved}"
    );
    let attributes = common::queue_attributes(&moto, "acme-ingest-queue");
    assert!(attributes.get("RedrivePolicy").is_none(), "{attributes}");
    assert!(attributes.get("Policy").is_some(), "{attributes}");
    let planned = run(&mut common::sluice(
        &moto,
        dir,
        &["plan", "--config", off.to_str().unwrap()],
    ));
    let said = common::said(&planned);
    assert_eq!(planned.status.code(), Some(2), "{said}");
    assert!(
        said.contains("= no change queue acme-ingest-queue"),
        "{said}"
    );
    assert!(
        said.contains("- delete queue acme-ingest-queue-dlq"),
        "{said}"
    );

    // Empty: a dry run says what it would do and does nothing; then it goes.
    aws_cli(&moto, &["sqs", "purge-queue", "--queue-url", &dlq_url]);
    // Another team's queue that sends its failed messages there keeps it.
    let dlq_arn = common::queue_attributes(&moto, "acme-ingest-queue-dlq")["QueueArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}).to_string();
    aws_cli(
        &moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "team-queue",
            "--attributes",
            &json!({ "RedrivePolicy": redrive }).to_string(),
        ],
    );
    let used = ok(setup_sh(&moto, &bundle, &dir.join("backups-used")));
    assert!(
        used.contains("the dead-letter queue of team-queue, not this stack's: left as it is"),
        "{used}"
    );
    let team_url = common::queue_url(&moto, "team-queue");
    aws_cli(&moto, &["sqs", "delete-queue", "--queue-url", &team_url]);
    let queues = || aws_cli(&moto, &["sqs", "list-queues"])["QueueUrls"].to_string();
    let said = setup_sh_dry_run(&moto, &bundle, &dir.join("backups-dry"));
    assert!(
        said.contains("would delete it (empty; the spec no longer has it)"),
        "{said}"
    );
    assert!(queues().contains("acme-ingest-queue-dlq"), "{}", queues());
    let backups = dir.join("backups-off");
    let log = ok(setup_sh(&moto, &bundle, &backups));
    assert!(
        log.contains("deleted (empty; the spec no longer has it)"),
        "{log}"
    );
    let kept = backed_up(&backups, "dead-letter-queue-attributes.json");
    assert!(
        kept["QueueArn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":acme-ingest-queue-dlq")),
        "{kept}"
    );
    assert!(!queues().contains("acme-ingest-queue-dlq"), "{}", queues());
    let planned = run(&mut common::sluice(
        &moto,
        dir,
        &["plan", "--config", off.to_str().unwrap()],
    ));
    assert_eq!(planned.status.code(), Some(0), "{}", common::said(&planned));
    let again = ok(setup_sh(&moto, &bundle, &dir.join("backups-again")));
    assert!(!again.contains("redrive policy removed"), "{again}");
    assert!(
        again.contains(
            "SQS dead-letter queue acme-ingest-queue-dlq, which the spec no longer has\n    none"
        ),
        "{again}"
    );
}
