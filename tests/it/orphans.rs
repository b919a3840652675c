//! Resources of the stack the spec no longer names (renamed, turned off):
//! plan lists them as deletes, apply and destroy remove them, and another
//! team's resources of the same prefix are never touched. Against moto.

use crate::common;

use std::fs;
use std::path::Path;

use crate::common::{Moto, aws_cli, said, send_to, shared, sluice};
use serde_json::Value;

fn run(moto: &Moto, dir: &Path, args: &[&str]) -> std::process::Output {
    sluice(moto, dir, args).output().unwrap()
}

fn edit_spec(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("spec.json");
    let mut spec: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut spec);
    fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
}

fn queues(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["sqs", "list-queues"])["QueueUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str()?.rsplit('/').next().map(str::to_owned))
        .collect()
}

fn roles(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["iam", "list-roles"])["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleName"].as_str().unwrap().to_owned())
        .collect()
}

fn policies(moto: &Moto) -> Vec<String> {
    aws_cli(moto, &["iam", "list-policies", "--scope", "Local"])["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap().to_owned())
        .collect()
}

fn apply(moto: &Moto, dir: &Path) -> std::process::Output {
    run(moto, dir, common::APPLY_YES)
}

/// Another team's queue and role whose names start like the stack's, untagged.
fn their_resources(moto: &Moto, stack: &str) {
    aws_cli(
        moto,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            &format!("{stack}-theirs"),
        ],
    );
    common::create_role(moto, &format!("{stack}-theirs-role"), &[]);
}

#[test]
fn renamed_queue_role_and_policy_are_deleted_and_nothing_of_others() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stack = "orph-rename";
    common::init_spec(&moto, dir, &["--name", stack], &[]);
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    their_resources(&moto, stack);
    edit_spec(dir, |s| {
        s["queue"]["name"] = format!("{stack}-events").into();
        s["role"]["name"] = format!("{stack}-reader").into();
        s["policy"]["name"] = format!("{stack}-reader-access").into();
    });

    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    let text = said(&plan);
    assert_eq!(plan.status.code(), Some(2), "{text}");
    for old in [
        format!("queue {stack}-queue is this stack's"),
        format!("role {stack}-role is this stack's"),
        format!("policy {stack}-policy is this stack's"),
    ] {
        assert!(text.contains(&old), "{old}:\n{text}");
    }
    assert!(!text.contains("theirs"), "{text}");

    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    let (q, r, p) = (queues(&moto), roles(&moto), policies(&moto));
    assert!(q.contains(&format!("{stack}-events")), "{q:?}");
    assert!(!q.contains(&format!("{stack}-queue")), "{q:?}");
    assert!(q.contains(&format!("{stack}-theirs")), "{q:?}");
    assert!(r.contains(&format!("{stack}-reader")), "{r:?}");
    assert!(!r.contains(&format!("{stack}-role")), "{r:?}");
    assert!(r.contains(&format!("{stack}-theirs-role")), "{r:?}");
    assert!(p.contains(&format!("{stack}-reader-access")), "{p:?}");
    assert!(!p.contains(&format!("{stack}-policy")), "{p:?}");

    // The account matches the spec now.
    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(plan.status.code(), Some(0), "{}", said(&plan));

    // Each was backed up first, for the record; restore says it does not
    // make them again, and fails nothing.
    let stdout = common::text(&out.stdout);
    let backup = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Backup of what was changed: "))
        .unwrap_or_else(|| panic!("no backup line in:\n{stdout}"))
        .to_owned();
    let role_record = common::files_under(Path::new(&backup))
        .into_iter()
        .find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .contains(&format!("removed-role-{stack}-role"))
            })
        })
        .unwrap_or_else(|| panic!("no record of the role in {backup}"));
    let record: Value = serde_json::from_str(&fs::read_to_string(role_record).unwrap()).unwrap();
    assert!(
        record.to_string().contains("AssumeRolePolicyDocument"),
        "{record}"
    );
    let restored = run(&moto, dir, &["restore", "--backup", &backup, "--yes"]);
    let text = said(&restored);
    assert!(restored.status.success(), "{text}");
    assert!(text.contains("not made again"), "{text}");
}

#[test]
fn a_renamed_queue_holding_messages_is_kept_and_destroy_finds_what_the_spec_dropped() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stack = "orph-held";
    common::init_spec(&moto, dir, &["--name", stack], &[]);
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    send_to(&moto, &format!("{stack}-queue"), r#"{"not":"an event"}"#);
    edit_spec(dir, |s| {
        s["queue"]["name"] = format!("{stack}-events").into();
        s["role"]["name"] = format!("{stack}-reader").into();
    });
    let out = apply(&moto, dir);
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("not empty: it holds"), "{text}");
    assert!(queues(&moto).contains(&format!("{stack}-queue")));
    assert!(!roles(&moto).contains(&format!("{stack}-role")));

    // Back to the first names in the spec, without applying: destroy finds
    // the renamed queue and role (the stack's by their tag) all the same.
    edit_spec(dir, |s| {
        s["queue"]["name"] = format!("{stack}-queue").into();
        s["role"]["name"] = format!("{stack}-role").into();
    });
    let out = run(
        &moto,
        dir,
        &[
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--force",
            "--backup-dir",
            "backups",
        ],
    );
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("queue {stack}-events (no longer in the spec)")),
        "{text}"
    );
    assert!(
        text.contains(&format!("role {stack}-reader (no longer in the spec)")),
        "{text}"
    );
    let (q, r) = (queues(&moto), roles(&moto));
    assert!(!q.iter().any(|n| n.starts_with(stack)), "{q:?}");
    assert!(!r.iter().any(|n| n.starts_with(stack)), "{r:?}");
}

/// The stack's user with another team's policy on it is relied on: apply
/// (the user turned off) and destroy keep it, naming the policy.
#[test]
fn a_stack_user_with_another_teams_policy_is_kept() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stack = "orph-user";
    common::init_spec(
        &moto,
        dir,
        &["--name", stack],
        &["user.enabled=true", "user.create_access_key=false"],
    );
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    let policy = aws_cli(
        &moto,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "team-audit",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        ],
    );
    let arn = policy["Policy"]["Arn"].as_str().unwrap().to_owned();
    aws_cli(
        &moto,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            &format!("{stack}-user"),
            "--policy-arn",
            &arn,
        ],
    );
    let users = |moto: &Moto| aws_cli(moto, &["iam", "list-users"]).to_string();

    edit_spec(dir, |s| s["user"]["enabled"] = false.into());
    let out = apply(&moto, dir);
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("someone relies on this user"), "{text}");
    assert!(text.contains(&arn), "{text}");
    assert!(users(&moto).contains(&format!("{stack}-user")));

    edit_spec(dir, |s| s["user"]["enabled"] = true.into());
    let out = run(&moto, dir, &["destroy", "--config", "spec.json", "--yes"]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("someone relies on this user"), "{text}");
    assert!(users(&moto).contains(&format!("{stack}-user")));
}

/// Resources the stack made under names outside its prefix are found by the
/// record apply keeps of what it made, once the spec drops them, and proven
/// the stack's by their tag: a same-named resource another team makes after
/// ours is gone is never one.
#[test]
fn resources_made_under_other_names_are_found_by_the_record_of_what_was_made() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stack = "orph-far";
    common::init_spec(
        &moto,
        dir,
        &["--name", stack],
        &[
            "queue.name=far-events",
            "role.name=far-reader",
            "policy.name=far-access",
        ],
    );
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    edit_spec(dir, |s| {
        s["queue"]["name"] = format!("{stack}-queue").into();
        s["role"]["name"] = format!("{stack}-role").into();
        s["policy"]["name"] = format!("{stack}-policy").into();
    });

    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    let text = said(&plan);
    assert_eq!(plan.status.code(), Some(2), "{text}");
    for old in [
        "queue far-events is this stack's",
        "role far-reader is this stack's",
        "policy far-access is this stack's",
    ] {
        assert!(text.contains(old), "{old}:\n{text}");
    }
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    let (q, r, p) = (queues(&moto), roles(&moto), policies(&moto));
    assert!(!q.contains(&"far-events".to_owned()), "{q:?}");
    assert!(!r.contains(&"far-reader".to_owned()), "{r:?}");
    assert!(!p.contains(&"far-access".to_owned()), "{p:?}");
    assert!(q.contains(&format!("{stack}-queue")), "{q:?}");
    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(plan.status.code(), Some(0), "{}", said(&plan));

    // Another team takes the name now that ours is gone: untagged, it is
    // theirs, whatever the record says.
    aws_cli(
        &moto,
        &["sqs", "create-queue", "--queue-name", "far-events"],
    );
    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    let text = said(&plan);
    assert_eq!(plan.status.code(), Some(0), "{text}");
    assert!(!text.contains("queue far-events "), "{text}");
    let out = run(
        &moto,
        dir,
        &["destroy", "--config", "spec.json", "--yes", "--force"],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(queues(&moto).contains(&"far-events".to_owned()));
}

/// From another machine (no record of what was made), a resource of the
/// stack under a name outside its prefix is found only by reading the whole
/// account's tags: `--scan-account`.
#[test]
fn scan_account_finds_what_another_machine_made_under_another_name() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let stack = "orph-scan";
    common::init_spec(
        &moto,
        dir,
        &["--name", stack],
        &["queue.name=scan-far-events", "role.name=scan-far-reader"],
    );
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    edit_spec(dir, |s| {
        s["queue"]["name"] = format!("{stack}-queue").into();
        s["role"]["name"] = format!("{stack}-role").into();
    });
    let elsewhere = tmp.path().join("another-machine");
    fs::create_dir_all(&elsewhere).unwrap();
    let on_another_machine = |args: &[&str]| {
        sluice(&moto, dir, args)
            .env("XDG_DATA_HOME", &elsewhere)
            .output()
            .unwrap()
    };

    let plan = on_another_machine(&["plan", "--config", "spec.json"]);
    let text = said(&plan);
    assert!(!text.contains("queue scan-far-events is"), "{text}");

    let plan = on_another_machine(&["plan", "--config", "spec.json", "--scan-account"]);
    let text = said(&plan);
    assert_eq!(plan.status.code(), Some(2), "{text}");
    for old in [
        "queue scan-far-events is this stack's",
        "role scan-far-reader is this stack's",
    ] {
        assert!(text.contains(old), "{old}:\n{text}");
    }
    // Another stack's resources and untagged ones are read and left alone.
    assert!(!text.contains("orph-far"), "{text}");

    let out = on_another_machine(&[
        "destroy",
        "--config",
        "spec.json",
        "--yes",
        "--force",
        "--scan-account",
    ]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!queues(&moto).contains(&"scan-far-events".to_owned()));
    assert!(!roles(&moto).contains(&"scan-far-reader".to_owned()));
}

/// A dead-letter queue turned off: the queue's redrive policy that named it
/// goes first (else SQS would still move messages to it, or fail to), then
/// the dead-letter queue, empty, as an orphan; the plan is clean after.
#[test]
fn a_dead_letter_queue_turned_off_leaves_no_redrive_policy_naming_it() {
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let stack = "dlqoff";
    common::init_spec(&moto, dir, &["--name", stack], &[]);
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    assert!(queues(&moto).contains(&format!("{stack}-queue-dlq")));
    edit_spec(dir, |s| s["queue"]["dead_letter"]["enabled"] = false.into());
    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    let text = said(&plan);
    assert_eq!(plan.status.code(), Some(2), "{text}");
    let out = apply(&moto, dir);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        !queues(&moto).contains(&format!("{stack}-queue-dlq")),
        "{text}"
    );
    let attributes = common::queue_attributes(&moto, &format!("{stack}-queue"));
    assert!(
        attributes.get("RedrivePolicy").is_none(),
        "{attributes}\n{text}"
    );
    let plan = run(&moto, dir, &["plan", "--config", "spec.json"]);
    assert_eq!(plan.status.code(), Some(0), "{}", said(&plan));
}
