//! The IAM policy evaluation engine of `tests/it/iam_eval.rs`:
//! `@cloud-copilot/iam-simulate`, pinned in `tests/iam/package-lock.json`
//! and installed into `tests/iam/node_modules` with `npm ci` (by
//! `tests/run.sh`, or here when a test runs first), and the harness
//! `tests/iam/harness.mjs` that evaluates a table of requests with it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// The oldest Node.js the harness runs on (`import.meta.resolve`).
const NODE_MAJOR: u32 = 20;

/// Where the lock file's copy is kept once `npm ci` has installed it.
const MARKER: &str = "node_modules/.sluice-package-lock.json";

/// The engine's directory, `tests/iam`.
pub fn dir() -> PathBuf {
    super::root().join("tests/iam")
}

/// The engine, installed: Err says what this machine lacks (Node.js 20+ or
/// npm), for the caller to report as a skip.
pub fn engine() -> Result<PathBuf, String> {
    static ENGINE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    ENGINE.get_or_init(|| install(&dir())).clone()
}

fn install(dir: &Path) -> Result<PathBuf, String> {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("Node.js {NODE_MAJOR}+ is not installed (node: {e})"))?;
    let version = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < NODE_MAJOR {
        return Err(format!(
            "Node.js {NODE_MAJOR}+ is needed, this machine has {version:?}"
        ));
    }
    let lock_file = dir.join("package-lock.json");
    let wanted =
        fs::read_to_string(&lock_file).unwrap_or_else(|e| panic!("{}: {e}", lock_file.display()));
    let marker = dir.join(MARKER);
    let installed = || fs::read_to_string(&marker).is_ok_and(|s| s == wanted);
    if !installed() {
        let _lock = super::locked(&super::root().join(".iam-engine.lock"));
        if !installed() {
            let npm = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(dir)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("npm is not installed ({e})"))?;
            assert!(
                npm.status.success(),
                "npm ci in {} failed:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&npm.stdout),
                String::from_utf8_lossy(&npm.stderr)
            );
            fs::write(&marker, &wanted)
                .unwrap_or_else(|e| panic!("writing {}: {e}", marker.display()));
        }
    }
    Ok(dir.join("harness.mjs"))
}

/// Evaluates `cases` (the harness's case format) in one Node process; one
/// answer per case, in order, and the harness's own account of its time.
pub fn evaluate(harness: &Path, cases: &[Value], scratch: &Path) -> (Vec<Value>, String) {
    let file = scratch.join("iam-cases.json");
    fs::write(
        &file,
        serde_json::to_vec(cases).unwrap_or_else(|e| panic!("cases: {e}")),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let out = Command::new("node")
        .arg(harness)
        .arg(&file)
        .current_dir(dir())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running node {}: {e}", harness.display()));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert!(out.status.success(), "the harness failed:\n{stderr}");
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case:\n{stderr}");
    (answers, stderr)
}
