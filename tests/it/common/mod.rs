//! Shared harness for integration tests: a pinned Python virtualenv holding
//! the AWS emulator (moto server), the AWS CLI and cfn-lint, and a moto
//! server per test process.
//!
//! Tests never reach real AWS: every process the harness configures gets
//! dummy credentials, an endpoint pointing at moto, and `/dev/null` for the
//! AWS config and credentials files.
//!
//! Every module of the test binary uses it as `crate::common`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;

pub mod iam;
use std::time::{Duration, Instant};

/// The pinned Python requirements, shared with `tests/run.sh`.
pub const REQUIREMENTS: &str = include_str!("../../requirements.txt");

/// File inside the venv recording the requirements it was built from.
const MARKER: &str = "sluice-requirements.txt";

/// Region every emulator-backed test uses.
pub const REGION: &str = "us-west-2";

/// moto's default account id.
pub const ACCOUNT_ID: &str = "123456789012";

/// How long moto gets to start answering.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The crate root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `sluice` binary built for this test run.
pub fn sluice_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sluice"))
}

/// A per-test-run scratch directory inside `target/`.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

// ---------------------------------------------------------------------------
// The Python virtualenv
// ---------------------------------------------------------------------------

/// Like `eprintln!`, but straight to fd 2: the test harness captures (and,
/// for passing tests, drops) `eprintln!` output, and install progress should
/// be seen while it happens.
macro_rules! progress {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Path of the project's test virtualenv, `<root>/.venv`, installing the
/// pinned requirements into it first if it is missing or was built from
/// other pins. Safe to call from many threads and processes at once.
pub fn venv() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| ensure_venv(&root())).clone()
}

fn ensure_venv(root: &Path) -> PathBuf {
    let venv = root.join(".venv");
    let marker = venv.join(MARKER);
    let up_to_date = || fs::read_to_string(&marker).is_ok_and(|s| s == REQUIREMENTS);

    let lock = locked(&root.join(".venv.lock"));
    if !up_to_date() {
        install_venv(&venv);
        fs::write(&marker, REQUIREMENTS)
            .unwrap_or_else(|e| panic!("writing {}: {e}", marker.display()));
        progress!("sluice tests: Python venv ready at {}", venv.display());
    }
    drop(lock);
    venv
}

/// `path`, opened and locked for this process until the file is dropped:
/// one install at a time, across test processes and tests/run.sh.
pub(crate) fn locked(path: &Path) -> File {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    // File::lock is flock(2) on Linux, like flock(1) in tests/run.sh. It is
    // Rust 1.89+, newer than the crate's rust-version: only tests use it.
    #[allow(clippy::incompatible_msrv)]
    lock.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    lock
}

fn install_venv(venv: &Path) {
    const HELP: &str = "the tests need python3 with its venv module \
        (on Debian/Ubuntu: apt-get install python3 python3-venv), \
        or run ./tests/run.sh, which installs them";

    match Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
    {
        Err(e) => panic!("cannot run python3 ({e}): {HELP}"),
        Ok(out) if !out.status.success() => panic!(
            "python3 lacks the venv/ensurepip modules: {HELP}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }

    progress!(
        "sluice tests: creating Python venv at {} (first run; this takes a minute or two)",
        venv.display()
    );
    // --clear: a stale venv (other pins, or a half-finished install) is rebuilt from scratch.
    run_checked(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(venv),
    );

    let reqs: Vec<&str> = REQUIREMENTS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    progress!("sluice tests: pip install {}", reqs.join(" "));
    run_checked(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&reqs),
    );
}

/// Runs `cmd` with its output on our stderr; panics if it fails.
fn run_checked(cmd: &mut Command) {
    let status = cmd
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(std::io::stderr())
        .status()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed: {status}");
}

// ---------------------------------------------------------------------------
// moto server
// ---------------------------------------------------------------------------

/// A running moto server on 127.0.0.1. It is stopped when dropped, and also
/// when this process exits in any way (even on abort), because its launcher
/// shell kills it as soon as the pipe we hold on its stdin closes.
pub struct Moto {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub endpoint: String,
    /// Where moto's stdout/stderr go.
    pub log: PathBuf,
    addr: SocketAddr,
    child: Child,
    /// Closing this tells the launcher shell to kill moto.
    stdin: Option<ChildStdin>,
    /// Which emulator this is.
    pub kind: EmulatorKind,
    /// The access key every configured command signs with: moto's dummy
    /// one, or on ministack the key of the admin user made at start.
    pub keys: (String, String),
}

/// The two emulators of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmulatorKind {
    /// moto: lenient, no policy evaluated (tests/moto_server.py).
    Moto,
    /// ministack with AUTH=true, its departures from AWS corrected and the
    /// fault layer in front (tests/ministack_server.py, tests/fault_layer.py).
    Ministack,
}

impl Moto {
    /// Starts a new moto server on a free port and waits until it answers.
    pub fn start() -> Moto {
        let python = venv().join("bin/python");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            match Moto::try_start(&python, port, EmulatorKind::Moto) {
                Ok(moto) => return moto,
                // Someone took the port between our probe and moto's bind: try another.
                Err(log) if log.contains("Address already in use") => last_log = log,
                Err(log) => panic!("moto server failed to start on port {port}:\n{log}"),
            }
        }
        panic!("moto server could not bind a free port after 5 attempts:\n{last_log}");
    }

    /// Starts ministack (the strict emulator) on a free port, and makes the
    /// non-root admin user whose key every configured command then signs
    /// with (ministack's root skips every policy). See [`ministack`].
    pub fn start_ministack() -> Moto {
        let python = venv().join("bin/python");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            match Moto::try_start(&python, port, EmulatorKind::Ministack) {
                Ok(mut server) => {
                    server.keys = ministack_admin(&server);
                    return server;
                }
                Err(log) if log.contains("already in use") || log.contains("not bindable") => {
                    last_log = log
                }
                Err(log) => panic!("ministack failed to start on port {port}:\n{log}"),
            }
        }
        panic!("ministack could not bind a free port after 5 attempts:\n{last_log}");
    }

    /// Err carries moto's log when it exited or never answered.
    fn try_start(python: &Path, port: u16, kind: EmulatorKind) -> Result<Moto, String> {
        let name = match kind {
            EmulatorKind::Moto => "moto",
            EmulatorKind::Ministack => "ministack",
        };
        let log = scratch_dir(name).join(format!("{name}-{}-{port}.log", std::process::id()));
        let log_file = File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let log_err = log_file.try_clone().expect("dup log fd");

        // The shell starts moto in the background (its stdin becomes /dev/null),
        // then a watcher reads our pipe (fd 3); at EOF, i.e. when we drop the
        // pipe or our process dies, it kills moto. The shell itself exits when
        // moto does, so try_wait() tells us if moto died.
        const LAUNCHER: &str = r#"exec 3<&0
"$@" &
pid=$!
(read -r _ignored <&3; kill "$pid" 2>/dev/null) &
wait "$pid""#;
        let port_s = port.to_string();
        let mut launcher = Command::new("sh");
        launcher.args(["-c", LAUNCHER, "sh"]).arg(python);
        match kind {
            // moto.server with one correction (see the script).
            EmulatorKind::Moto => launcher.arg(root().join("tests/moto_server.py")).args([
                "-H",
                "127.0.0.1",
                "-p",
                &port_s,
            ]),
            // ministack with AUTH=true, corrected, behind the fault layer.
            EmulatorKind::Ministack => launcher
                .arg(root().join("tests/ministack_server.py"))
                .arg(&port_s)
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY")
                .env_remove("AWS_SESSION_TOKEN")
                .env("MINISTACK_REGION", REGION)
                .env("MINISTACK_ACCOUNT_ID", ACCOUNT_ID)
                .env("TMPDIR", scratch_dir(name)),
        };
        let mut child = launcher
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning sh for moto: {e}"));
        let stdin = child.stdin.take();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut moto = Moto {
            endpoint: format!("http://{addr}"),
            log,
            addr,
            child,
            stdin,
            kind,
            // ministack: its root key, until the admin user is made.
            keys: match kind {
                EmulatorKind::Moto => ("testing".to_owned(), "testing".to_owned()),
                EmulatorKind::Ministack => ("test".to_owned(), "test".to_owned()),
            },
        };
        let ready = match kind {
            EmulatorKind::Moto => "/moto-api/",
            EmulatorKind::Ministack => "/_ministack/health",
        };

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok((200, _)) = http(addr, "GET", ready) {
                return Ok(moto);
            }
            let exited = moto.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let why = match exited {
                    Some(status) => format!("moto exited ({status})"),
                    None => format!("moto did not answer within {STARTUP_TIMEOUT:?}"),
                };
                drop(moto.stdin.take());
                let _ = moto.child.kill();
                let _ = moto.child.wait();
                let text = fs::read_to_string(&moto.log).unwrap_or_default();
                return Err(format!("{why}; log {}:\n{text}", moto.log.display()));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Forgets all state (buckets, queues, roles...): `POST /moto-api/reset`.
    pub fn reset(&self) {
        assert_eq!(
            self.kind,
            EmulatorKind::Moto,
            "ministack's reset forgets its admin user too: start one per test"
        );
        match http(self.addr, "POST", "/moto-api/reset") {
            Ok((200, _)) => {}
            Ok((status, body)) => panic!("moto reset answered {status}: {body}"),
            Err(e) => panic!("moto reset failed: {e} (log: {})", self.log.display()),
        }
    }

    /// Every resource moto holds (`GET /moto-api/data.json`): two equal
    /// answers mean nothing was written in between. Models with nothing in
    /// them, which a mere read brings into being, IAM's account summary,
    /// which moto makes on each read, and the empty default event buses
    /// moto makes on the first EventBridge read are left out.
    pub fn state(&self) -> serde_json::Value {
        let prune = |mut data: serde_json::Value| {
            if let Some(backends) = data.as_object_mut() {
                for models in backends.values_mut() {
                    if let Some(models) = models.as_object_mut() {
                        models.remove("AccountSummary");
                        if let Some(serde_json::Value::Array(buses)) = models.get_mut("EventBus") {
                            buses.retain(|b| {
                                !(b["name"] == "default"
                                    && b["rules"].as_object().is_none_or(|r| r.is_empty())
                                    && b["policy"].is_null()
                                    && b["tags"].as_array().is_none_or(|t| t.is_empty()))
                            });
                        }
                        models.retain(|_, items| items.as_array().is_none_or(|a| !a.is_empty()));
                    }
                }
                backends.retain(|_, models| models.as_object().is_none_or(|m| !m.is_empty()));
            }
            data
        };
        match http(self.addr, "GET", "/moto-api/data.json") {
            Ok((200, body)) => prune(
                serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("moto's data.json is not JSON: {e}")),
            ),
            Ok((status, body)) => panic!("moto's data.json answered {status}: {body:.300}"),
            Err(e) => panic!("moto's data.json: {e} (log: {})", self.log.display()),
        }
    }

    /// Environment for a child process talking to this moto: dummy
    /// credentials, region, endpoint, no AWS config files, and PATH starting
    /// with the venv's `bin/` (so `cfn-lint` resolves) preceded by an `aws`
    /// wrapper that passes `--endpoint-url` (see [`aws_shim_dir`]).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut parts = vec![aws_shim_dir(), venv().join("bin")];
        if let Some(p) = std::env::var_os("PATH") {
            parts.extend(std::env::split_paths(&p));
        }
        let path = std::env::join_paths(parts).expect("PATH entries");
        let path = path.into_string().expect("PATH is not UTF-8");
        let server = aws_server().to_string();
        // sluice's data directory (apply's records of route changes, read
        // by verify; default backups) is this test process's own.
        let data = scratch_dir(&format!("data-{}", std::process::id()));
        let data = data.to_str().expect("target dir is not UTF-8");
        [
            ("XDG_DATA_HOME", data),
            ("AWS_ACCESS_KEY_ID", self.keys.0.as_str()),
            ("AWS_SECRET_ACCESS_KEY", self.keys.1.as_str()),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_REGION", REGION),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("PATH", path.as_str()),
            ("SLUICE_AWS_SERVER", server.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Points `cmd` at this moto: removes every inherited `AWS_*` variable
    /// (a developer's AWS_PROFILE, AWS_SESSION_TOKEN, ...) and sets
    /// [`Moto::env`].
    pub fn configure<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env())
    }

    /// A `Command` for `program`, configured by [`Moto::configure`].
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.configure(&mut cmd);
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // EOF on the pipe makes the launcher kill moto and exit.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => thread::sleep(Duration::from_millis(20)),
                _ => return,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory holding an `aws` wrapper for the venv's AWS CLI. It adds
/// `--endpoint-url "$AWS_ENDPOINT_URL"` when that variable is set: AWS CLI v1
/// ignores it for a few services, SQS among them
/// (awscli/customizations/overridesslcommonname.py), and would send those
/// calls to real AWS. A later `--endpoint-url` on the command line still
/// wins. When `SLUICE_AWS_SERVER` names the port of [`aws_server`], the call
/// runs there (the real CLI, without starting Python again); otherwise it
/// runs the venv's `aws`.
pub fn aws_shim_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        let aws = venv().join("bin/aws");
        let aws = aws.to_str().expect("venv path is not UTF-8");
        assert!(!aws.contains('\''), "venv path contains a quote: {aws}");
        let script = format!(
            r#"#!/usr/bin/env bash
# Written by tests/it/common/mod.rs: the AWS CLI with --endpoint-url from
# AWS_ENDPOINT_URL (AWS CLI v1 ignores it for SQS), run by the warmed-up
# server of tests/aws_server.py when SLUICE_AWS_SERVER names its port.
set -u
args=("$@")
if [ -n "${{AWS_ENDPOINT_URL:-}}" ]; then
    args=(--endpoint-url "$AWS_ENDPOINT_URL" "$@")
fi
if [ -n "${{SLUICE_AWS_SERVER:-}}" ] && exec 3<>"/dev/tcp/127.0.0.1/$SLUICE_AWS_SERVER"; then
    scratch=$(mktemp -d)
    {{
        printf '%s\0' "$PWD" "$scratch"
        env -0
        printf '\0'
        printf '%s\0' "${{args[@]}}" --sluice-end--
    }} >&3
    code=255
    read -r code <&3
    exec 3<&-
    cat "$scratch/out"
    cat "$scratch/err" >&2
    rm -rf "$scratch"
    exit "$code"
fi
exec '{aws}' "${{args[@]}}"
"#
        );
        let dir = scratch_dir("aws-shim");
        // Write then rename, so concurrent test binaries never see half a file.
        let tmp = dir.join(format!(".aws.{}", std::process::id()));
        fs::write(&tmp, script).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        fs::rename(&tmp, dir.join("aws")).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
        dir
    })
    .clone()
}

/// The port of this process's warmed-up AWS CLI server (tests/aws_server.py),
/// started on first use; it stops when this process exits (its stdin closes).
pub fn aws_server() -> u16 {
    // The child is kept (never waited on): it ends with this process.
    static SERVER: OnceLock<(u16, Mutex<Child>)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let mut child = Command::new(venv().join("bin/python"))
                .arg(root().join("tests/aws_server.py"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("starting tests/aws_server.py: {e}"));
            let mut line = String::new();
            let stdout = child.stdout.take().expect("piped stdout");
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
                .unwrap_or_else(|e| panic!("reading the AWS CLI server's port: {e}"));
            let port = line
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("the AWS CLI server printed {line:?}, not its port"));
            (port, Mutex::new(child))
        })
        .0
}

// ---------------------------------------------------------------------------
// ministack, the strict emulator
// ---------------------------------------------------------------------------

/// A ministack server of its own for one test (see [`Moto::start_ministack`]).
/// Under cargo-nextest every test is a process of its own, so these run in
/// parallel with each other and with the moto tests.
pub fn ministack() -> Moto {
    Moto::start_ministack()
}

/// The admin user of a fresh ministack, made with its root key: an inline
/// policy allowing every action, as an administrator's would. Its key.
fn ministack_admin(server: &Moto) -> (String, String) {
    aws_cli(
        server,
        &["iam", "create-user", "--user-name", "sluice-admin"],
    );
    aws_cli(
        server,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "sluice-admin",
            "--policy-name",
            "admin",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ],
    );
    let key = aws_cli(
        server,
        &["iam", "create-access-key", "--user-name", "sluice-admin"],
    );
    let field = |name: &str| {
        key["AccessKey"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {key}"))
            .to_owned()
    };
    (field("AccessKeyId"), field("SecretAccessKey"))
}

impl Moto {
    /// Replaces the fault layer's settings (tests/fault_layer.py documents
    /// them); `{}` turns every fault off.
    pub fn faults(&self, settings: serde_json::Value) {
        assert_eq!(self.kind, EmulatorKind::Ministack, "faults need ministack");
        match http_with_body(self.addr, "POST", "/_sluice/faults", &settings.to_string()) {
            Ok((200, _)) => {}
            other => panic!("setting faults {settings}: {other:?}"),
        }
    }

    /// How many faults of each kind the layer injected since it was set.
    pub fn injected(&self) -> serde_json::Value {
        let (status, body) = http_with_body(self.addr, "GET", "/_sluice/faults", "")
            .unwrap_or_else(|e| panic!("reading the faults: {e}"));
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        answer["injected"].clone()
    }

    /// The same server, with every configured command signing as `keys`
    /// (another principal's access key; a session token in `token`).
    pub fn env_as(&self, keys: (&str, &str), token: Option<&str>) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .env()
            .into_iter()
            .filter(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY")
            .collect();
        env.push(("AWS_ACCESS_KEY_ID".into(), keys.0.into()));
        env.push(("AWS_SECRET_ACCESS_KEY".into(), keys.1.into()));
        if let Some(token) = token {
            env.push(("AWS_SESSION_TOKEN".into(), token.into()));
        }
        env
    }
}

/// Minimal HTTP/1.0 request with `body`; returns (status, body).
fn http_with_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {text:.200}")))?;
    let answer = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, answer.to_owned()))
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// Minimal HTTP/1.0 request with an empty body; returns (status, body).
fn http(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    http_with_body(addr, method, path, "")
}

// ---------------------------------------------------------------------------
// Shared server per test process
// ---------------------------------------------------------------------------

/// Exclusive use of this test process's moto server, freshly reset.
/// Derefs to [`Moto`].
pub struct MotoGuard {
    moto: &'static Moto,
    _lock: MutexGuard<'static, ()>,
}

impl MotoGuard {
    /// The server itself, for a thread that outlives no test (a proxy's hook).
    pub fn server(&self) -> &'static Moto {
        self.moto
    }
}

impl Deref for MotoGuard {
    type Target = Moto;
    fn deref(&self) -> &Moto {
        self.moto
    }
}

/// The test process's moto server (started on first use), reset, and locked
/// so that tests using it run one at a time. A test that panicked while
/// holding it does not fail the others.
pub fn shared() -> MotoGuard {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let lock = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let moto = MOTO.get_or_init(Moto::start);
    moto.reset();
    MotoGuard { moto, _lock: lock }
}

// ---------------------------------------------------------------------------
// Tools from the venv
// ---------------------------------------------------------------------------

/// `aws cloudwatch set-alarm-state`: puts the alarm `name` in `state`
/// (`ALARM`, `OK`, …) with `reason`, as CloudWatch would.
pub fn set_alarm_state(moto: &Moto, name: &str, state: &str, reason: &str) {
    aws_cli(
        moto,
        &[
            "cloudwatch",
            "set-alarm-state",
            "--alarm-name",
            name,
            "--state-value",
            state,
            "--state-reason",
            reason,
        ],
    );
}

/// Runs `aws --endpoint-url ENDPOINT --output json ARGS...` from the venv
/// against `moto` and parses
/// its stdout (empty stdout gives `Value::Null`). Panics, with stderr, if
/// the command fails.
pub fn aws_cli(moto: &Moto, args: &[&str]) -> serde_json::Value {
    let out = moto
        .command(aws_shim_dir().join("aws"))
        .args(["--output", "json"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running aws");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws {} failed ({}):\nstderr:\n{}\nstdout:\n{stdout}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr),
    );
    if stdout.trim().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "aws {}: stdout is not JSON ({e}):\n{stdout}",
            args.join(" ")
        )
    })
}

// ---------------------------------------------------------------------------
// Small helpers the integration tests share
// ---------------------------------------------------------------------------

/// Process output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file below `dir`, recursively (none when it does not exist), sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Uploads `body` as `s3://bucket/key` through a file in `dir`.
pub fn put_object(moto: &Moto, dir: &Path, bucket: &str, key: &str, body: &[u8]) {
    let file = dir.join("upload.tmp");
    fs::write(&file, body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let file = file.to_string_lossy().into_owned();
    aws_cli(
        moto,
        &[
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            key,
            "--body",
            &file,
        ],
    );
}

/// The URL of the queue called `name`.
pub fn queue_url(moto: &Moto, name: &str) -> String {
    aws_cli(moto, &["sqs", "get-queue-url", "--queue-name", name])["QueueUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no QueueUrl for {name}"))
        .to_owned()
}

/// Every attribute of the queue called `name`, as SQS reports them.
pub fn queue_attributes(moto: &Moto, name: &str) -> serde_json::Value {
    let url = queue_url(moto, name);
    let all = ["sqs", "get-queue-attributes", "--queue-url", &url];
    let mut args = all.to_vec();
    args.extend(["--attribute-names", "All"]);
    aws_cli(moto, &args)["Attributes"].clone()
}

/// (visible, in flight) of the queue called `name`.
pub fn queue_depth(moto: &Moto, name: &str) -> (u64, u64) {
    let attrs = queue_attributes(moto, name);
    let count = |k: &str| {
        attrs[k]
            .as_str()
            .unwrap_or("0")
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("{k}: {e}"))
    };
    (
        count("ApproximateNumberOfMessages"),
        count("ApproximateNumberOfMessagesNotVisible"),
    )
}

/// Runs `cmd` with stdin closed and collects its output.
pub fn run(cmd: &mut Command) -> std::process::Output {
    cmd.stdin(Stdio::null()).output().expect("spawn")
}

/// The stdout of a command that must have succeeded (its output otherwise).
pub fn ok(out: impl std::borrow::Borrow<std::process::Output>) -> String {
    let out = out.borrow();
    assert!(
        out.status.success(),
        "failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `sluice plan` on `dir/spec.json` finds nothing to change (exit 0), and
/// `sluice verify --wait WAIT` passes; verify's output. `what` names the
/// case in a failure.
pub fn plans_clean_and_verifies(
    moto: &Moto,
    dir: &Path,
    what: &str,
    wait: &str,
) -> std::process::Output {
    let planned = run(&mut sluice(moto, dir, &["plan", "--config", "spec.json"]));
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{what}: plan is not clean:\n{}",
        said(&planned)
    );
    let verified = run(&mut sluice(
        moto,
        dir,
        &["verify", "--config", "spec.json", "--wait", wait],
    ));
    assert!(
        verified.status.success(),
        "{what}: verify failed:\n{}",
        said(&verified)
    );
    verified
}

/// `sluice verify --wait 30 EXTRA` on `dir/spec.json` with no FAIL; what it said.
pub fn verifies(moto: &Moto, dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["verify", "--config", "spec.json", "--wait", "30"];
    args.extend_from_slice(extra);
    let out = run(&mut sluice(moto, dir, &args));
    let text = said(&out);
    assert!(
        out.status.success() && !text.contains("FAIL"),
        "verify failed:\n{text}"
    );
    text
}

/// A role EC2 may assume, with `tags` (`Key=k,Value=v` each), as someone
/// other than sluice makes one.
pub fn create_role(moto: &Moto, name: &str, tags: &[&str]) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let mut args = vec![
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        trust,
    ];
    if !tags.is_empty() {
        args.push("--tags");
        args.extend(tags);
    }
    aws_cli(moto, &args);
}

/// A bucket in moto's region.
pub fn create_bucket(moto: &Moto, bucket: &str) {
    aws_cli(
        moto,
        &[
            "s3api",
            "create-bucket",
            "--bucket",
            bucket,
            "--create-bucket-configuration",
            &format!("LocationConstraint={REGION}"),
        ],
    );
}

/// A bucket in moto's region that the stack called `stack` made (it
/// carries the stack's tags), as an earlier apply leaves it.
pub fn create_stack_bucket(moto: &Moto, bucket: &str, stack: &str) {
    create_bucket(moto, bucket);
    let tagging = serde_json::json!({"TagSet": [
        {"Key": "managed-by", "Value": "sluice"},
        {"Key": "sluice:stack", "Value": stack},
    ]});
    aws_cli(
        moto,
        &[
            "s3api",
            "put-bucket-tagging",
            "--bucket",
            bucket,
            "--tagging",
            &tagging.to_string(),
        ],
    );
}

/// What a command printed, stdout then stderr.
pub fn said(out: &std::process::Output) -> String {
    text(&out.stdout) + &text(&out.stderr)
}

/// `sluice ARGS` in `dir`, pointed at `moto`, stdin closed.
pub fn sluice(moto: &Moto, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = moto.command(sluice_bin());
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    cmd
}

/// `sluice apply` of `spec.json` without asking, backing up into `backups/`.
pub const APPLY_YES: &[&str] = &[
    "apply",
    "--config",
    "spec.json",
    "--yes",
    "--backup-dir",
    "backups",
];

/// `sluice init ARGS` for moto's account and region into `dir/spec.json`
/// (replacing one), with `--set` for each of `sets`; it must succeed.
pub fn init_spec(moto: &Moto, dir: &Path, args: &[&str], sets: &[&str]) {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    all.extend([
        "--region",
        REGION,
        "--account-id",
        ACCOUNT_ID,
        "--out",
        "spec.json",
        "--force",
    ]);
    for set in sets {
        all.extend(["--set", set]);
    }
    ok(sluice(moto, dir, &all).output().unwrap());
}

/// The alarms' topic and alarms among the items of `sluice plan --json`'s
/// output, each as `NAME ACTION` (none when the output is no plan).
pub fn alarm_actions(planned: &std::process::Output) -> Vec<String> {
    let plan: serde_json::Value =
        serde_json::from_str(&text(&planned.stdout)).unwrap_or(serde_json::Value::Null);
    plan.as_array()
        .into_iter()
        .flatten()
        .filter(|i| matches!(i["resource"].as_str(), Some("alarm" | "alarm-topic")))
        .map(|i| {
            format!(
                "{} {}",
                i["name"].as_str().unwrap_or_default(),
                i["action"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// `sluice ARGS` in `dir` with no AWS environment at all, run to the end.
pub fn sluice_offline(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(sluice_bin());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    run(cmd.current_dir(dir).args(args))
}

/// The vendor's account in [`profiled`] specs: its roles assume ours.
pub const VENDOR_ACCOUNT: &str = "111122223333";

/// The external ID a vendor gives in [`profiled`] specs.
pub const VENDOR_EXTERNAL_ID: &str = "vendor-external-id-42";

/// `connector`'s starter (stack `acme` in [`REGION`], for `account`) with
/// what the vendor gives filled in as a user would (its principals, one per
/// trust statement, its external ID, its queue) and `prefix` as the prefix.
pub fn profiled(
    connector: sluice::spec::Connector,
    account: Option<&str>,
    prefix: &str,
) -> sluice::spec::Spec {
    use sluice::spec::profiles::{ExternalId, Principals};
    let mut spec = sluice::spec::starter_for(connector, "acme", REGION, account);
    let p = sluice::spec::profile(connector);
    if let Principals::Vendor { .. } = p.principals {
        let n = p.trust_sids.len().max(1);
        spec.role.trusted_principals = (1..=n)
            .map(|i| format!("arn:aws:iam::{VENDOR_ACCOUNT}:role/vendor-{i}"))
            .collect();
    }
    if p.external_id != ExternalId::None {
        spec.role.external_id = VENDOR_EXTERNAL_ID.to_owned();
    }
    if p.shape == sluice::spec::Shape::ForeignQueue {
        spec.notification.queue_arn =
            Some("arn:aws:sqs:us-west-2:444455556666:sf-snowpipe-queue".to_owned());
    }
    spec.bucket.prefix = prefix.to_owned();
    spec
}

/// sluice's clients for `moto`, with its dummy credentials.
pub async fn sdk_clients(moto: &Moto) -> sluice::aws::Clients {
    use aws_config::{BehaviorVersion, Region};
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    sluice::aws::Clients::from_config(config, Some(moto.endpoint.clone()))
}

/// Writes `config` as the notification configuration of `bucket`, as its
/// owners would with the AWS CLI.
pub fn put_notification(moto: &Moto, bucket: &str, config: &str) {
    aws_cli(
        moto,
        &[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            bucket,
            "--notification-configuration",
            config,
        ],
    );
}

/// The notification configuration of `bucket`.
pub fn notification(moto: &Moto, bucket: &str) -> serde_json::Value {
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

/// Every record in the `dir:` sink at `dir/out` (temporaries of a running
/// or killed consumer left out), in file order.
pub fn sink_records(dir: &Path) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    for f in files_under(&dir.join("out")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        // Temporaries of a running or killed consumer, and the owners' locks.
        if name.starts_with('.') {
            continue;
        }
        assert!(
            name.ends_with(".ndjson"),
            "unexpected file in the sink: {name}"
        );
        for line in fs::read_to_string(&f).unwrap().lines() {
            records
                .push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}")));
        }
    }
    records
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Applies the `acme-ingest` stack (prefix `in/`, plain-HTTP friendly) with
/// extra `--set`s from a spec written to `dir/spec.json`.
pub fn apply_stack(moto: &Moto, dir: &Path, sets: &[&str]) {
    let mut args = vec![
        "init",
        "--name",
        "acme-ingest",
        "--region",
        "us-west-2",
        "--out",
        "spec.json",
        "--force",
        "--set",
        "bucket.deny_insecure_transport=false",
        "--set",
        "bucket.prefix=in/",
    ];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    ok(sluice(moto, dir, &args).output().unwrap());
    ok(apply_yes(moto, dir));
}

/// `sluice apply --yes` on `dir/spec.json`, backups in `dir/backups`, run to the end.
pub fn apply_yes(moto: &Moto, dir: &Path) -> std::process::Output {
    run(&mut sluice(moto, dir, APPLY_YES))
}

// ---------------------------------------------------------------------------
// The consumer's tests
// ---------------------------------------------------------------------------

/// Uploads every file under `local` to `s3://acme-ingest-source/<prefix>` in one CLI call.
pub fn upload_dir(moto: &Moto, local: &Path, prefix: &str) {
    aws_cli(
        moto,
        &[
            "s3",
            "cp",
            local.to_str().unwrap(),
            &format!("s3://acme-ingest-source/{prefix}"),
            "--recursive",
            "--only-show-errors",
        ],
    );
}

/// Sends `body` to the stack's queue; its message id.
pub fn send(moto: &Moto, body: &str) -> String {
    send_to(moto, "acme-ingest-queue", body)
}

/// Sends `body` to the queue called `queue`; its message id.
pub fn send_to(moto: &Moto, queue: &str, body: &str) -> String {
    let url = queue_url(moto, queue);
    let sent = aws_cli(
        moto,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            body,
        ],
    );
    sent["MessageId"]
        .as_str()
        .unwrap_or_else(|| panic!("no MessageId: {sent}"))
        .to_owned()
}

/// `sluice consume` into `out/`, stopping once the queue has been idle for `idle` seconds.
/// The dir sink's shared files are committed after a second (not the
/// default minute), so that records show up while a run goes on.
pub fn consume_args<'a>(idle: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--max-file-age", "1"];
    args.extend_from_slice(extra);
    consume_into("dir:out", idle, &args)
}

/// `sluice consume` into `sink`, stopping once the queue has been idle for `idle` seconds.
pub fn consume_into<'a>(sink: &'a str, idle: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "consume",
        "--config",
        "spec.json",
        "--headless",
        "--sink",
        sink,
        "--metrics",
        "metrics.ndjson",
        "--metrics-interval",
        "1",
        "--stop-when-idle",
        idle,
        "--grace",
        "10",
    ];
    args.extend_from_slice(extra);
    args
}

/// The counters of the last metrics line in `dir/metrics.ndjson` (the final summary).
pub fn final_metrics(dir: &Path) -> serde_json::Value {
    final_metrics_in(&dir.join("metrics.ndjson"))
}

/// The counters of the final line of the metrics file `path`.
pub fn final_metrics_in(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let last = text.lines().last().unwrap_or_default();
    let line: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{}: {e}: {last}", path.display()));
    assert_eq!(line["final"], true, "{last}");
    line["metrics"]["counters"].clone()
}

/// `objects` gzip objects of `per_object` records with ids `o{n}-{i}` (about
/// 220 bytes each) under `in/`; their ids.
pub fn upload_records(
    moto: &Moto,
    dir: &Path,
    objects: usize,
    per_object: usize,
) -> std::collections::BTreeSet<String> {
    upload_records_under(moto, dir, "in/", objects, per_object)
}

/// [`upload_records`] under `prefix`.
pub fn upload_records_under(
    moto: &Moto,
    dir: &Path,
    prefix: &str,
    objects: usize,
    per_object: usize,
) -> std::collections::BTreeSet<String> {
    let local = dir.join("many");
    fs::create_dir_all(&local).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for o in 0..objects {
        let mut body = String::new();
        for i in 0..per_object {
            let id = format!("o{o}-{i}");
            body.push_str(&format!(
                "{{\"id\":\"{id}\",\"pad\":\"{}\"}}\n",
                "p".repeat(200)
            ));
            ids.insert(id);
        }
        fs::write(
            local.join(format!("part-{o:03}.ndjson.gz")),
            gzip(body.as_bytes()),
        )
        .unwrap();
    }
    upload_dir(moto, &local, prefix);
    ids
}

/// `objects` gzip objects of `per_object` small records with ids
/// `{prefix}{o}-{i}` under `prefix` of `bucket`, in one CLI call; their ids.
pub fn upload_ids(
    moto: &Moto,
    dir: &Path,
    bucket: &str,
    prefix: &str,
    objects: usize,
    per_object: usize,
) -> std::collections::BTreeSet<String> {
    let local = dir.join(format!("upload-{}", prefix.replace('/', "_")));
    fs::create_dir_all(&local).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for o in 0..objects {
        let mut body = String::new();
        for i in 0..per_object {
            let id = format!("{prefix}{o}-{i}");
            body.push_str(&format!("{{\"id\":\"{id}\"}}\n"));
            ids.insert(id);
        }
        fs::write(
            local.join(format!("part-{o:03}.ndjson.gz")),
            gzip(body.as_bytes()),
        )
        .unwrap();
    }
    aws_cli(
        moto,
        &[
            "s3",
            "cp",
            local.to_str().unwrap(),
            &format!("s3://{bucket}/{prefix}"),
            "--recursive",
            "--only-show-errors",
        ],
    );
    ids
}

/// The `id`s of `records`.
pub fn ids_of(records: &[serde_json::Value]) -> std::collections::BTreeSet<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the `dir:out` sink holds `at_least` records.
pub fn wait_for_records(dir: &Path, at_least: usize, timeout: Duration) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if sink_records(dir).len() >= at_least {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("no records arrived within {timeout:?}");
}

/// Says, on the terminal and in `target/tmp/skipped-tests.txt` (which
/// `tests/run.sh` prints at the end), that `test` could not run and why.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}");
    progress!("{line}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt");
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(&path) {
        let _ = writeln!(file, "{line}");
    }
}

/// What a stack made with the default names of `stack` holds in moto, every
/// attribute each path sets, with the stack's name written `<stack>`: the
/// state that every path (apply, setup.sh, CloudFormation, Terraform) must
/// leave the same.
pub fn stack_state(moto: &Moto, stack: &str) -> serde_json::Value {
    use serde_json::{Value, json};
    let parse = |v: &Value| -> Value {
        v.as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null)
    };
    let queue = |name: &str| -> Value {
        let url = queue_url(moto, name);
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
        )["Attributes"]
            .clone();
        let tags = aws_cli(moto, &["sqs", "list-queue-tags", "--queue-url", &url])["Tags"].clone();
        json!({
            "VisibilityTimeout": attrs["VisibilityTimeout"],
            "MessageRetentionPeriod": attrs["MessageRetentionPeriod"],
            "MaximumMessageSize": attrs["MaximumMessageSize"],
            "SqsManagedSseEnabled": attrs["SqsManagedSseEnabled"],
            "RedrivePolicy": parse(&attrs["RedrivePolicy"]),
            "Policy": parse(&attrs["Policy"]),
            "Tags": tags,
        })
    };
    let policy_arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/{stack}-policy");
    let policy =
        aws_cli(moto, &["iam", "get-policy", "--policy-arn", &policy_arn])["Policy"].clone();
    let version = aws_cli(
        moto,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            &policy_arn,
            "--version-id",
            policy["DefaultVersionId"].as_str().unwrap_or("v1"),
        ],
    )["PolicyVersion"]["Document"]
        .clone();
    let policy_tags = aws_cli(
        moto,
        &["iam", "list-policy-tags", "--policy-arn", &policy_arn],
    )["Tags"]
        .clone();
    let role_name = format!("{stack}-role");
    let role = aws_cli(moto, &["iam", "get-role", "--role-name", &role_name])["Role"].clone();
    let attached = aws_cli(
        moto,
        &[
            "iam",
            "list-attached-role-policies",
            "--role-name",
            &role_name,
        ],
    )["AttachedPolicies"]
        .clone();
    let role_tags =
        aws_cli(moto, &["iam", "list-role-tags", "--role-name", &role_name])["Tags"].clone();
    let bucket = format!("{stack}-source");
    let get = |what: &str| aws_cli(moto, &["s3api", what, "--bucket", &bucket]);
    let state = json!({
        "queue": queue(&format!("{stack}-queue")),
        "dlq": queue(&format!("{stack}-queue-dlq")),
        "policy": {
            "Description": policy["Description"],
            "Document": if version.is_string() { parse(&version) } else { version },
            "Tags": policy_tags,
        },
        "role": {
            "Description": role["Description"],
            "AssumeRolePolicyDocument": role["AssumeRolePolicyDocument"],
            "AttachedPolicies": attached,
            "Tags": role_tags,
        },
        "bucket": {
            "PublicAccessBlock": get("get-public-access-block")["PublicAccessBlockConfiguration"],
            "OwnershipControls": get("get-bucket-ownership-controls")["OwnershipControls"],
            "Encryption": get("get-bucket-encryption")["ServerSideEncryptionConfiguration"],
            "Tags": get("get-bucket-tagging")["TagSet"],
            "Notification": notification(moto, &bucket),
        },
    });
    // The stack's name wherever it appears, so stacks of different names compare.
    let text = state.to_string().replace(stack, "<stack>");
    let mut state: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    sort_arrays(&mut state);
    state
}

/// Sorts every array of strings or objects, so order-free lists (tags,
/// actions) compare equal whatever order an API gives them in.
fn sort_arrays(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            for item in items.iter_mut() {
                sort_arrays(item);
            }
            items.sort_by_key(|v| v.to_string());
        }
        serde_json::Value::Object(map) => {
            for item in map.values_mut() {
                sort_arrays(item);
            }
        }
        _ => {}
    }
}

/// A local endpoint that forwards every connection to `moto`; the first time
/// a request contains `needle`, it runs `hook` (which may change the account
/// directly on `moto`) before passing that request on: "someone else acted
/// just then".
pub fn hooked_endpoint(
    moto: &Moto,
    needle: &'static str,
    hook: impl FnOnce() + Send + 'static,
) -> String {
    let mut hook = Some(hook);
    intercepting_endpoint(moto, needle, move || {
        if let Some(hook) = hook.take() {
            hook();
        }
        Verdict::Forward
    })
}

/// A local endpoint that forwards every connection to `moto`, except that
/// the first request containing `needle` reaches moto and its answer is lost
/// (the connection closes): the caller cannot tell whether AWS did it.
pub fn losing_endpoint(moto: &Moto, needle: &'static str) -> String {
    let mut lost = false;
    intercepting_endpoint(moto, needle, move || {
        if std::mem::replace(&mut lost, true) {
            Verdict::Forward
        } else {
            Verdict::LoseAnswer
        }
    })
}

/// What an intercepting endpoint does with a matching request.
enum Verdict {
    Forward,
    /// Answered 503, never passed on.
    Refuse,
    /// Passed on; the answer is lost.
    LoseAnswer,
    /// Held, neither passed on nor answered; from then on the endpoint is
    /// silent on every connection, open or new (an endpoint that stops
    /// answering mid-run).
    Freeze,
}

/// Forwards to `moto` until a request contains `needle`, then goes silent:
/// that request and every later one, on any connection, is held open and
/// never answered.
pub fn freezing_endpoint(moto: &Moto, needle: &'static str) -> String {
    intercepting_endpoint(moto, needle, || Verdict::Freeze)
}

/// An endpoint that accepts connections and never answers.
pub fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for client in listener.incoming().flatten() {
            held.push(client);
        }
    });
    format!("http://{addr}")
}

/// Keeps this thread's sockets open and silent until the test process ends.
fn hold_forever() -> ! {
    loop {
        thread::park();
    }
}

/// A local endpoint that forwards every connection to `moto` but answers
/// every request containing `needle` with a 503 (and closes): a call AWS
/// keeps failing.
pub fn refusing_endpoint(moto: &Moto, needle: &'static str) -> String {
    intercepting_endpoint(moto, needle, || Verdict::Refuse)
}

/// Forwards to `moto`; on a request containing `needle`, `on_match` runs
/// and says whether to pass it on (else it is answered 503).
fn intercepting_endpoint(
    moto: &Moto,
    needle: &'static str,
    on_match: impl FnMut() -> Verdict + Send + 'static,
) -> String {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let target = moto.addr;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let on_match = Arc::new(Mutex::new(on_match));
    let silent = Arc::new(AtomicBool::new(false));
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let on_match = on_match.clone();
            let silent = silent.clone();
            thread::spawn(move || {
                let Ok(server) = TcpStream::connect(target) else {
                    return;
                };
                let (Ok(mut from_server), Ok(mut to_client)) =
                    (server.try_clone(), client.try_clone())
                else {
                    return;
                };
                let back = silent.clone();
                thread::spawn(move || {
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = match from_server.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if back.load(Ordering::SeqCst) {
                            hold_forever();
                        }
                        if to_client.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
                let (mut client, mut server) = (client, server);
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = match client.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if silent.load(Ordering::SeqCst) {
                        hold_forever();
                    }
                    let verdict = if buf[..n]
                        .windows(needle.len())
                        .any(|w| w == needle.as_bytes())
                    {
                        (on_match.lock().unwrap())()
                    } else {
                        Verdict::Forward
                    };
                    if let Verdict::Freeze = verdict {
                        silent.store(true, Ordering::SeqCst);
                        hold_forever();
                    }
                    if let Verdict::LoseAnswer = verdict {
                        let _ = client.shutdown(std::net::Shutdown::Both);
                        let _ = server.write_all(&buf[..n]);
                        // moto reads it whole and acts; its answer goes nowhere.
                        thread::sleep(Duration::from_millis(500));
                        return;
                    }
                    if let Verdict::Refuse = verdict {
                        let _ = server.shutdown(std::net::Shutdown::Both);
                        let _ = client.write_all(
                            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        let _ = client.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    if server.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}
