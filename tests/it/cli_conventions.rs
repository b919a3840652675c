//! The conventions of a CLI: shell completion, a manual page made from the
//! same definitions, `--output json` on every command that prints a result,
//! `--config` defaulting to `sluice.json`, and the emulator's environment.

use crate::common;

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{ok, run, said, sluice, sluice_bin, sluice_offline, text};
use serde_json::Value;

/// `sluice ARGS` with no AWS environment; its stdout, which must succeed.
fn offline_ok(dir: &Path, args: &[&str]) -> String {
    ok(sluice_offline(dir, args))
}

/// stdout as the one JSON document `--output json` prints.
fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"))
}

#[test]
fn bash_sources_the_completion_script_and_zsh_and_fish_scripts_generate() {
    let dir = tempfile::tempdir().unwrap();
    let script = offline_ok(dir.path(), &["completions", "bash"]);
    std::fs::write(dir.path().join("sluice.bash"), &script).unwrap();
    // Sourced by bash without error, it registers the completion function,
    // which completes the subcommands and a subcommand's flags.
    let out = run(Command::new("bash")
        .current_dir(dir.path())
        .args([
            "-c",
            "set -e; source ./sluice.bash; complete -p sluice; \
             COMP_WORDS=(sluice comp); COMP_CWORD=1; COMP_LINE='sluice comp'; COMP_POINT=11; \
             _sluice sluice comp sluice; echo \"words: ${COMPREPLY[*]}\"; \
             COMP_WORDS=(sluice verify --out); COMP_CWORD=2; COMP_LINE='sluice verify --out'; COMP_POINT=19; \
             _sluice sluice --out verify; echo \"flags: ${COMPREPLY[*]}\"",
        ])
        .stdin(Stdio::null()));
    let shown = ok(out);
    assert!(shown.contains("-F _sluice sluice"), "{shown}");
    assert!(shown.contains("words: completions"), "{shown}");
    assert!(shown.contains("flags: --output"), "{shown}");

    let zsh = offline_ok(dir.path(), &["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef sluice"), "{zsh}");
    assert!(zsh.contains("--output=[How the result is printed"), "{zsh}");
    let fish = offline_ok(dir.path(), &["completions", "fish"]);
    assert!(
        fish.contains("complete -c sluice")
            && fish.contains("__fish_sluice_using_subcommand apply"),
        "{fish}"
    );
    // A shell it does not know is clap's usage error, naming the choices.
    let out = sluice_offline(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bash"), "{}", said(&out));
}

#[test]
fn the_manual_page_comes_from_the_clap_definitions_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let page = offline_ok(dir.path(), &["man"]);
    // roff, as man(1) reads it: a title line, then the sections.
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    assert!(page.contains("\n.TH sluice 1"), "{page}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "VERSION",
    ] {
        assert!(
            page.contains(&format!("\n.SH {section}\n")),
            "{section}:\n{page}"
        );
    }
    assert!(page.contains("sluice\\-completions(1)"), "{page}");
    // One page per command into a directory, each one man(1) renders.
    let out = offline_ok(dir.path(), &["man", "--out", "man1"]);
    for name in [
        "sluice.1",
        "sluice-apply.1",
        "sluice-verify.1",
        "sluice-completions.1",
    ] {
        assert!(out.contains(name), "{name} not listed:\n{out}");
    }
    let verify = std::fs::read_to_string(dir.path().join("man1/sluice-verify.1")).unwrap();
    assert!(verify.contains("\\-\\-output"), "{verify}");
    if which("man") {
        let rendered = run(Command::new("man")
            .current_dir(dir.path())
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8")
            .args(["-l", "man1/sluice-verify.1"]));
        let shown = ok(rendered);
        assert!(
            shown.contains("NAME") && shown.contains("sluice-verify"),
            "{shown}"
        );
        assert!(shown.contains("--output"), "{shown}");
        assert!(shown.contains("--config"), "{shown}");
    }
}

/// The bundle carries the manual: sluice(1) and each command's page in one
/// `sluice.1`, which its README names and man(1) renders.
#[test]
fn the_bundle_carries_the_manual_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    offline_ok(
        d,
        &[
            "init",
            "--name",
            "acme",
            "--region",
            "us-west-2",
            "--out",
            "spec.json",
        ],
    );
    offline_ok(d, &["export", "--config", "spec.json", "--out", "bundle"]);
    let page = std::fs::read_to_string(d.join("bundle/sluice.1")).unwrap();
    for title in [".TH sluice 1", ".TH sluice-apply 1", ".TH sluice-destroy 1"] {
        assert!(page.contains(title), "{title} missing");
    }
    let readme = std::fs::read_to_string(d.join("bundle/README.md")).unwrap();
    assert!(readme.contains("- `sluice.1`: the manual page"), "{readme}");
    if which("man") {
        let shown = ok(run(Command::new("man")
            .current_dir(d)
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8")
            .args(["-l", "bundle/sluice.1"])));
        assert!(
            shown.contains("sluice-apply") && shown.contains("--backup-dir"),
            "{shown}"
        );
    }
}

/// A command asked for JSON prints one document even when it fails: the
/// error (and what to do) on stdout for automation, the words on stderr.
#[test]
fn output_json_reports_a_failure_as_one_document() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["apply", "verify", "destroy", "plan"] {
        let out = sluice_offline(
            dir.path(),
            &[command, "--config", "nope.json", "--output", "json"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        let doc = json(&text(&out.stdout));
        assert_eq!(doc["ok"], false, "{doc}");
        assert!(
            doc["error"]
                .as_str()
                .unwrap()
                .contains("no spec file nope.json"),
            "{doc}"
        );
        assert!(text(&out.stderr).contains("error: no spec file nope.json"));
    }
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn config_defaults_to_sluice_json_and_names_it_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = sluice_offline(d, &["plan", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no spec file sluice.json in this directory") && err.contains("sluice init"),
        "{err}"
    );
    let out = sluice_offline(d, &["export", "--config", "other.json", "--out", "b"]);
    assert!(
        text(&out.stderr).contains("no spec file other.json: write one with `sluice init --name NAME --region REGION --out other.json`"),
        "{}",
        said(&out)
    );
    // init writes sluice.json; every other command reads it without --config.
    ok(sluice_offline(
        d,
        &[
            "init",
            "--name",
            "acme",
            "--region",
            "us-west-2",
            "--account-id",
            "123456789012",
        ],
    ));
    let plan = offline_ok(d, &["plan", "--offline"]);
    assert!(plan.contains("acme-queue"), "{plan}");
    // --output json and the older --json print the same document.
    let a = json(&offline_ok(d, &["plan", "--offline", "--output", "json"]));
    let b = json(&offline_ok(d, &["plan", "--offline", "--json"]));
    assert_eq!(a, b);
    assert!(
        a.as_array()
            .is_some_and(|r| r.iter().any(|r| r["name"] == "acme-queue")),
        "{a}"
    );
    // export: the files it wrote.
    let exported = json(&offline_ok(
        d,
        &["export", "--out", "bundle", "--output", "json"],
    ));
    let files: Vec<&str> = exported["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("bundle/setup.sh")),
        "{exported}"
    );
    assert!(files.iter().all(|f| d.join(f).exists()), "{exported}");
}

#[test]
fn output_json_on_apply_verify_backfill_credentials_restore_and_destroy() {
    let moto = common::shared();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::init_spec(
        &moto,
        d,
        &["--name", "acme"],
        &["bucket.deny_insecure_transport=false"],
    );
    let cmd = |args: &[&str]| run(&mut sluice(&moto, d, args));
    let applied = cmd(&[
        "apply",
        "--config",
        "spec.json",
        "--yes",
        "--backup-dir",
        "backups",
        "--output",
        "json",
    ]);
    let result = json(&ok(&applied));
    assert_eq!(result["changed"], true, "{result}");
    assert!(
        result["plan"].as_array().is_some_and(|p| !p.is_empty()),
        "{result}"
    );
    let values = &result["connector_values"];
    assert!(
        values["queue_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/acme-queue")),
        "{result}"
    );
    // The plan a person confirms went to stderr, not into the JSON.
    assert!(
        text(&applied.stderr).contains("acme-queue"),
        "{}",
        said(&applied)
    );
    let backup = result["backup_dir"].as_str().unwrap().to_owned();

    // Again: nothing to change, the same values.
    let again = json(&ok(cmd(&[
        "apply",
        "--config",
        "spec.json",
        "--yes",
        "--output",
        "json",
    ])));
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["backup_dir"], Value::Null);
    assert_eq!(&again["connector_values"], values);

    let verified = json(&ok(cmd(&[
        "verify",
        "--config",
        "spec.json",
        "--wait",
        "30",
        "--output",
        "json",
    ])));
    assert_eq!(verified["passed"], true, "{verified}");
    let checks = verified["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "event-key" && c["result"] == "pass"),
        "{verified}"
    );
    assert!(
        checks.iter().all(|c| c["latency_ms"].is_u64()),
        "{verified}"
    );

    let backfilled = json(&ok(cmd(&[
        "backfill",
        "--config",
        "spec.json",
        "--dry-run",
        "--output",
        "json",
    ])));
    assert_eq!(backfilled["dry_run"], true, "{backfilled}");
    assert_eq!(backfilled["sent"], 0, "{backfilled}");
    assert!(backfilled["listed"].is_u64(), "{backfilled}");

    // Credentials: the secret only in the 0600 file, the result on stdout.
    let made = json(&ok(cmd(&[
        "credentials",
        "--config",
        "spec.json",
        "--out",
        "creds.json",
        "--output",
        "json",
    ])));
    let file = json(&std::fs::read_to_string(d.join("creds.json")).unwrap());
    assert_eq!(made["access_key_id"], file["access_key_id"]);
    assert!(
        file["secret_access_key"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{file}"
    );
    assert!(made.get("secret_access_key").is_none(), "{made}");
    assert_eq!(made["file"], "creds.json");

    // Restore of apply's backup (the bucket's notification as it was before):
    // what it put back, as JSON.
    let restored = json(&ok(cmd(&[
        "restore", "--backup", &backup, "--yes", "--output", "json",
    ])));
    assert_eq!(restored["backup"], backup.as_str());
    assert!(restored["restored"].is_array(), "{restored}");

    let destroyed = json(&ok(cmd(&[
        "destroy",
        "--config",
        "spec.json",
        "--yes",
        "--output",
        "json",
    ])));
    let removed = destroyed["removed"].as_array().unwrap();
    assert!(
        removed
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.contains("acme-queue"))),
        "{destroyed}"
    );
    assert!(destroyed["kept"].is_array(), "{destroyed}");
}

/// `tests/emulator.sh PORT` writes `.venv/emulator.env`; sourced, the AWS
/// CLI of the venv (v1, which reads AWS_DEFAULT_REGION and not AWS_REGION)
/// reaches the emulator with no region of its own.
#[test]
fn the_emulator_env_sets_the_region_aws_cli_v1_reads() {
    let root = common::root();
    common::venv();
    let env_file = root.join(".venv/emulator.env");
    let before = std::fs::read(&env_file).ok();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut emulator = Command::new("bash")
        .arg(root.join("tests/emulator.sh"))
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut listed = None;
    while std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(300));
        if !std::fs::read_to_string(&env_file).is_ok_and(|e| e.contains(&endpoint)) {
            continue;
        }
        // A clean environment: only what the file sets (and PATH).
        let out = Command::new("bash")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", root.join(".venv"))
            .current_dir(&root)
            .args([
                "-O",
                "expand_aliases",
                "-c",
                "source .venv/emulator.env\naws sqs create-queue --queue-name from-the-env --output json",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if out.status.success() {
            listed = Some(text(&out.stdout));
            break;
        }
        listed = Some(said(&out));
    }
    // The emulator's process group: the script and moto under it.
    let _ = Command::new("kill")
        .args(["--", &format!("-{}", emulator.id())])
        .status();
    let _ = emulator.wait();
    match before {
        Some(bytes) => std::fs::write(&env_file, bytes).unwrap(),
        None => {
            let _ = std::fs::remove_file(&env_file);
        }
    }
    let listed = listed.expect("tests/emulator.sh never wrote .venv/emulator.env");
    assert!(listed.contains("from-the-env"), "{listed}");
}

/// The binary's own help names the new commands, as the README does.
#[test]
fn help_lists_completions_and_man() {
    let out = run(Command::new(sluice_bin()).arg("--help"));
    let help = ok(out);
    assert!(
        help.contains("completions") && help.contains("man"),
        "{help}"
    );
}
