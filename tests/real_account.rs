//! What a real account does that moto does not, made real on the strict
//! emulator and its fault layer (tests/ministack_server.py,
//! tests/fault_layer.py): IAM changes that take seconds to be seen,
//! sessions that expire, throttling, a queue name deleted a moment ago, a
//! bucket in another region, destinations another team broke. Each test
//! checks that sluice waits, retries or stops, and says so in AWS's terms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{Moto, aws_cli, run, said, sluice};
use serde_json::{Value, json};

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
    for (config, cause) in [
        ("config", "profile `prod` was not defined"),
        ("config-process", "token expired"),
    ] {
        let mut cmd = std::process::Command::new(common::sluice_bin());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        let out = run(cmd
            .current_dir(dir)
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
    }
}
