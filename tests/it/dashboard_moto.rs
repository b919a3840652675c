//! The dashboard in a real terminal (tmux) with the consumer in-process,
//! against moto: uploads (good and bad objects) show up on the captured
//! screen as queue depth, record and decode-error counts; `p` holds messages
//! in the queue; `q` drains and exits; afterwards the sink holds every record
//! exactly once and the queue is empty. Also: `sluice monitor` shows the same
//! queue, with its throughput labelled as an estimate; with alarms on, both
//! show each alarm's state (one set to ALARM) and the oldest message's age
//! (moto has no SQS metrics: "no data", not zero).
//!
//! The busy screen is saved (with its colours) to
//! `target/tmp/dashboard/dashboard.ansi`; `tests/dashboard_screenshot.py`
//! renders it to `assets/screenshots/dashboard.png`.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    ACCOUNT_ID, Moto, MotoGuard, apply_stack, files_under, put_object, queue_depth, shared,
    sink_records, sluice, sluice_bin, text,
};
use serde_json::Value;

/// The shared moto with the stack applied from a new directory, and that directory.
fn applied() -> (MotoGuard, tempfile::TempDir) {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    apply_stack(&moto, tmp.path(), &[]);
    (moto, tmp)
}

/// `'text'` for sh.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A program running in a detached tmux session on its own server (socket),
/// killed when dropped, failing test or not.
struct Tmux {
    socket: String,
    session: String,
    dir: PathBuf,
}

impl Tmux {
    /// Runs `sluice ARGS` in `dir` on a `width`×`height` terminal with moto's
    /// environment (passed through `env`: tmux starts a fresh shell). Its
    /// stderr goes to `stderr.log`, its exit code to `exit.code`.
    fn start(moto: &Moto, dir: &Path, name: &str, size: (u16, u16), args: &[&str]) -> Tmux {
        Tmux::start_with(moto, dir, name, size, &[], args)
    }

    /// [`Tmux::start`] with `env` added to moto's environment.
    fn start_with(
        moto: &Moto,
        dir: &Path,
        name: &str,
        size: (u16, u16),
        env: &[(&str, String)],
        args: &[&str],
    ) -> Tmux {
        let socket = format!("sluice-dashboard-{}-{name}", std::process::id());
        let mut line = String::from("env");
        let extra = env.iter().map(|(k, v)| ((*k).to_owned(), v.clone()));
        for (k, v) in moto.env().into_iter().chain(extra) {
            line.push_str(&format!(" {k}={}", quote(&v)));
        }
        line.push_str(" NO_COLOR= ");
        line.push_str(&quote(sluice_bin().to_str().unwrap()));
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let script = format!("{line} 2>stderr.log; echo $? > exit.code; sleep 600");
        let tmux = Tmux {
            socket,
            session: name.to_owned(),
            dir: dir.to_owned(),
        };
        let status = moto
            .command("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args([
                "-s",
                name,
                "-x",
                &size.0.to_string(),
                "-y",
                &size.1.to_string(),
            ])
            .args(["-c", dir.to_str().unwrap(), "sh", "-c", &script])
            .env("TERM", "xterm-256color")
            .status()
            .expect("running tmux (tests/run.sh installs it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }

    /// The screen as text (`ansi`: with colour escapes).
    fn capture(&self, ansi: bool) -> String {
        let mut cmd = self.tmux();
        cmd.args(["capture-pane", "-p", "-t", &self.session]);
        if ansi {
            cmd.arg("-e");
        }
        text(&cmd.output().unwrap().stdout)
    }

    fn send(&self, keys: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", &self.session, keys])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Captures the screen until `done` holds; panics with the last screen
    /// (and the program's stderr) after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture(false);
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                let stderr = fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
                panic!("waited {timeout:?} for {what}; the screen:\n{screen}\nstderr:\n{stderr}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The program's exit code, once it exited.
    fn wait_exit(&self, timeout: Duration) -> i32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(code) = fs::read_to_string(self.dir.join("exit.code"))
                && let Ok(code) = code.trim().parse()
            {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "the program did not exit within {timeout:?}; the screen:\n{}",
                self.capture(false)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The pid of the program (the pane's shell's child).
    fn program_pid(&self) -> Option<u32> {
        let out = self
            .tmux()
            .args(["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .output()
            .ok()?;
        let shell: u32 = text(&out.stdout).trim().parse().ok()?;
        let children = fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

/// The number after `label` on the screen (`records     1,234` → 1234).
fn number(screen: &str, label: &str) -> Option<u64> {
    let re = regex::Regex::new(&format!(r"{}\s+([\d,]+)", regex::escape(label))).unwrap();
    let digits = re.captures(screen)?.get(1)?.as_str().replace(',', "");
    digits.parse().ok()
}

/// CPU seconds (user + system) `pid` has used.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some((utime + stime) / 100.0)
}

const GOOD_OBJECTS: usize = 12;
const RECORDS_EACH: usize = 50;

#[test]
fn consume_with_the_dashboard_shows_progress_and_q_loses_nothing() {
    let (moto, tmp) = applied();
    let dir = tmp.path();

    let ui = Tmux::start(
        &moto,
        dir,
        "consume",
        (120, 40),
        &[
            "consume",
            "--config",
            "spec.json",
            "--sink",
            "dir:out",
            // Shared sink files committed after a second, not a minute.
            "--max-file-age",
            "1",
            "--grace",
            "20",
            "--log-file",
            "sluice.log",
        ],
    );
    // Running, and apply's s3:TestEvent drained.
    ui.wait_for("the dashboard running", Duration::from_secs(60), |s| {
        s.contains("RUNNING") && number(s, "test events") == Some(1)
    });

    // Idle CPU: the dashboard redraws once a second at most while nothing
    // happens. The bound catches a busy loop (which would be near 100 %), with
    // room for this debug build's queue-gauge requests on a shared machine.
    if let Some(pid) = ui.program_pid()
        && let Some(before) = cpu_secs(pid)
    {
        let window = Duration::from_secs(5);
        std::thread::sleep(window);
        let used = cpu_secs(pid).unwrap() - before;
        let share = used / window.as_secs_f64();
        assert!(share < 0.10, "idle CPU {:.1} %", share * 100.0);
    }

    // Paused: new messages stay in the queue, and the screen shows them.
    ui.send("p");
    ui.wait_for("PAUSED", Duration::from_secs(10), |s| s.contains("PAUSED"));
    let mut expected = Vec::new();
    for i in 0..GOOD_OBJECTS {
        let body: String = (0..RECORDS_EACH)
            .map(|j| {
                let id = format!("{i}-{j}");
                let line = format!("{{\"id\":\"{id}\",\"object\":{i}}}\n");
                expected.push(id);
                line
            })
            .collect();
        put_object(
            &moto,
            dir,
            "acme-ingest-source",
            &format!("in/good-{i:02}.ndjson"),
            body.as_bytes(),
        );
    }
    // Two malformed lines among three good ones, and a truncated gzip.
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/bad.ndjson",
        b"{\"id\":\"bad-0\"}\n{broken json\n{\"id\":\"bad-2\"}\n[1,2\n{\"id\":\"bad-4\"}\n",
    );
    expected.extend(["bad-0", "bad-2", "bad-4"].map(String::from));
    // A gzip header and then garbage: not one record comes out of it.
    let mut broken = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    broken.extend_from_slice(b"this is not a deflate stream at all");
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/broken.ndjson.gz",
        &broken,
    );
    // At most one long-poll was under way when p was pressed; it takes at
    // most 8 messages (the concurrency), so at least 6 of 14 stay visible.
    let paused = ui.wait_for("the queue depth to rise", Duration::from_secs(40), |s| {
        number(s, "visible").is_some_and(|v| v >= 6)
    });
    let seen_depth = number(&paused, "visible").unwrap();

    // Resumed: everything is consumed.
    ui.send("p");
    let total = GOOD_OBJECTS * RECORDS_EACH + 3;
    let busy = ui.wait_for(
        "every record and decode error",
        Duration::from_secs(90),
        |s| {
            number(s, "records") == Some(total as u64)
                && number(s, "decode errors") == Some(3)
                && s.contains("RUNNING")
        },
    );
    assert!(busy.contains("in/bad.ndjson"), "{busy}");
    assert!(busy.contains("in/broken.ndjson.gz"), "{busy}");
    assert_eq!(number(&busy, "objects ok"), Some(GOOD_OBJECTS as u64 + 1));
    assert_eq!(number(&busy, "failed"), Some(1));
    // The depth on screen comes back down (the gauge is read every 5 s).
    let drained = ui.wait_for("the queue depth back to 0", Duration::from_secs(30), |s| {
        number(s, "visible") == Some(0) && number(s, "in flight") == Some(0)
    });
    assert!(seen_depth > number(&drained, "visible").unwrap());
    // The decode error's detail opens from the list.
    ui.send("e");
    ui.send("Enter");
    let detail = ui.wait_for("the error detail", Duration::from_secs(10), |s| {
        s.contains("Decode error") && s.contains("byte offset")
    });
    assert!(detail.contains("acme-ingest-source"), "{detail}");
    ui.send("Escape");
    ui.wait_for("the detail closed", Duration::from_secs(10), |s| {
        !s.contains("byte offset")
    });
    // Kept for the README's screenshot (tests/dashboard_screenshot.py).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    fs::create_dir_all(&shots).unwrap();
    fs::write(shots.join("dashboard.ansi"), ui.capture(true)).unwrap();

    // q with nothing being processed: no drain to wait for, only the open
    // long-poll (20 s at most), whose messages are handed back; exit 0.
    ui.send("q");
    assert_eq!(ui.wait_exit(Duration::from_secs(30)), 0);

    // Left on the terminal: the summary in words headless prints there,
    // and no JSON (that goes only into --metrics FILE).
    let stderr = fs::read_to_string(dir.join("stderr.log")).unwrap();
    assert!(
        stderr.starts_with(&format!("sluice: {total} records from "))
            && stderr.contains(", into dir:out\n"),
        "{stderr}"
    );
    assert!(stderr.contains("3 decode errors"), "{stderr}");
    let messages = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("messages: "))
        .unwrap_or_else(|| panic!("no messages line:\n{stderr}"));
    let numbers: Vec<&str> = messages.split(' ').step_by(2).take(2).collect();
    assert_eq!(
        numbers[0], numbers[1],
        "received and deleted differ: {stderr}"
    );
    assert!(!stderr.contains('{'), "JSON on the terminal:\n{stderr}");

    // Nothing lost, nothing twice, nothing left in the queues.
    let mut ids: Vec<String> = sink_records(dir)
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
    assert_eq!(queue_depth(&moto, "acme-ingest-queue-dlq"), (0, 0));
}

#[test]
fn capital_q_releases_held_messages_without_deleting_them() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    let ui = Tmux::start(
        &moto,
        dir,
        "quit-now",
        (80, 24),
        &[
            "consume",
            "--config",
            "spec.json",
            "--sink",
            "dir:out",
            "--metrics",
            "metrics.ndjson",
            "--metrics-interval",
            "1",
        ],
    );
    ui.wait_for("the dashboard running", Duration::from_secs(60), |s| {
        s.contains("RUNNING") && number(s, "test events") == Some(1)
    });
    // Metrics lines reach --metrics FILE while the dashboard is up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fs::read_to_string(dir.join("metrics.ndjson"))
        .unwrap_or_default()
        .lines()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "no metrics lines in the file");
        std::thread::sleep(Duration::from_millis(200));
    }
    ui.send("Q");
    ui.wait_for("STOPPED", Duration::from_secs(30), |s| {
        s.contains("STOPPED")
    });
    assert_eq!(ui.wait_exit(Duration::from_secs(30)), 0);
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
    // The file: interval lines, then the final one; stderr: words, no JSON.
    let lines: Vec<Value> = fs::read_to_string(dir.join("metrics.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, before) = lines.split_last().unwrap();
    assert_eq!(last["final"], true, "{lines:?}");
    assert_eq!(last["metrics"]["counters"]["test_events"], 1);
    assert!(
        before
            .iter()
            .all(|l| l.get("final").is_none() && l["metrics"]["counters"].is_object()),
        "{lines:?}"
    );
    let stderr = fs::read_to_string(dir.join("stderr.log")).unwrap();
    assert!(
        !stderr.lines().any(|l| l.starts_with('{')),
        "JSON on the terminal:\n{stderr}"
    );
    assert!(
        stderr.contains("sluice: 0 records from 0 objects in "),
        "{stderr}"
    );
    assert!(stderr.contains("1 s3:TestEvent drained"), "{stderr}");
}

#[test]
fn monitor_assume_role_watches_as_the_specs_role() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    let ui = Tmux::start(
        &moto,
        dir,
        "monitor-role",
        (140, 24),
        &["monitor", "--config", "spec.json", "--assume-role"],
    );
    let screen = ui.wait_for("the role in the header", Duration::from_secs(60), |s| {
        s.contains("MONITORING") && number(s, "visible").is_some()
    });
    assert!(
        screen.contains(&format!("arn:aws:iam::{ACCOUNT_ID}:role/acme-ingest-role")),
        "{screen}"
    );
    ui.send("q");
    assert_eq!(ui.wait_exit(Duration::from_secs(20)), 0);
}

#[test]
fn the_wizard_done_screen_consumes_in_the_dashboard_and_comes_back() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    // Sessions, and the default sink (the data directory), under dir.
    let home = |sub: &str| dir.join(sub).display().to_string();
    let ui = Tmux::start_with(
        &moto,
        dir,
        "wizard",
        (120, 40),
        &[
            ("HOME", home("home")),
            ("XDG_CONFIG_HOME", home("config")),
            ("XDG_DATA_HOME", home("data")),
        ],
        &[
            "wizard",
            "--config",
            "spec.json",
            "--log-file",
            "sluice.log",
        ],
    );
    let wait = Duration::from_secs(60);
    ui.wait_for("the wizard online", wait, |s| {
        s.contains("step 1 of 12") && s.contains("● account")
    });
    // Through the form steps to the review: nothing to change. On Welcome
    // the first Enter edits the waiting name field.
    ui.send("Enter");
    ui.wait_for("the name being edited", wait, |s| s.contains(" editing "));
    for n in 2..=8 {
        ui.send("Enter");
        ui.wait_for(&format!("step {n}"), wait, |s| {
            s.contains(&format!("step {n} of 12"))
        });
    }
    ui.wait_for("the live review", wait, |s| s.contains("Nothing to change"));
    ui.send("Enter");
    ui.wait_for("the apply step", wait, |s| s.contains("step 9 of 12"));
    // Verify runs on its own; then the data preview; then Done.
    ui.send("Enter");
    ui.wait_for("verify's checks", wait, |s| s.contains("r run again"));
    ui.send("Enter");
    ui.wait_for("the data preview", wait, |s| {
        s.contains("step 11 of 12") && s.contains("r fetch again")
    });
    ui.send("Enter");
    ui.wait_for("Done, with d", wait, |s| {
        s.contains("step 12 of 12 · Done") && s.contains("d consume")
    });

    // d: the sink prompt offers the data directory; Enter opens the dashboard.
    ui.send("d");
    let prompt = ui.wait_for("the sink prompt", wait, |s| {
        s.contains("Consume the queue now")
    });
    assert!(prompt.contains("sluice/ingest/acme-ingest"), "{prompt}");
    ui.send("Enter");
    ui.wait_for("the dashboard running", wait, |s| {
        s.contains("RUNNING") && s.contains("acme-ingest-queue")
    });
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/wizard.ndjson",
        b"{\"id\":\"w-1\"}\n{\"id\":\"w-2\"}\n",
    );
    ui.wait_for("both records", Duration::from_secs(40), |s| {
        number(s, "records") == Some(2)
    });
    // q stops (nothing is being processed) and the wizard's Done screen
    // comes back once the open long-poll has returned (20 s at most),
    // without another key.
    ui.send("q");
    let done = ui.wait_for("the Done screen again", Duration::from_secs(30), |s| {
        s.contains("step 12 of 12 · Done") && s.contains("last run: 2 records")
    });
    assert!(done.contains("2 records written"), "{done}");
    let sink = dir.join("data/sluice/ingest/acme-ingest");
    let records: usize = files_under(&sink)
        .iter()
        .map(|f| fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert_eq!(records, 2, "{:?}", files_under(&sink));
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));

    // The wizard goes on as before: q quits it (nothing unsaved).
    ui.send("q");
    assert_eq!(ui.wait_exit(Duration::from_secs(20)), 0);
}

#[test]
fn monitor_shows_the_queue_and_labels_throughput_as_an_estimate() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    for i in 0..5 {
        put_object(
            &moto,
            dir,
            "acme-ingest-source",
            &format!("in/m-{i}.ndjson"),
            b"{\"x\":1}\n",
        );
    }
    let ui = Tmux::start(
        &moto,
        dir,
        "monitor",
        (80, 24),
        &["monitor", "--config", "spec.json", "--interval", "1"],
    );
    // 5 uploads and apply's test event, nobody consuming.
    let screen = ui.wait_for("the depth and an estimate", Duration::from_secs(60), |s| {
        number(s, "visible") == Some(6) && s.contains("(estimate)")
    });
    assert!(screen.contains("MONITORING"), "{screen}");
    assert!(screen.contains("messages/s est."), "{screen}");
    // Nobody consumes: the estimate says so.
    assert!(screen.contains("~0/s (estimate)"), "{screen}");
    assert!(screen.contains("not draining"), "{screen}");
    assert!(screen.contains("seen only by a consumer"), "{screen}");
    // Watching consumes nothing.
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (6, 0));
    ui.send("q");
    assert_eq!(ui.wait_exit(Duration::from_secs(20)), 0);
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (6, 0));
}

#[test]
fn with_alarms_on_the_dashboards_show_an_alarm_in_alarm_and_no_age_data() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["alarms.enabled=true"]);
    common::set_alarm_state(
        &moto,
        "acme-ingest-stalled",
        "ALARM",
        "nothing sent to the queue for an hour",
    );
    // The alarms and ages are read on start (then once a minute).
    let ui = Tmux::start(
        &moto,
        dir,
        "monitor-alarms",
        (120, 40),
        &["monitor", "--config", "spec.json", "--interval", "1"],
    );
    let screen = ui.wait_for("the alarms' states", Duration::from_secs(60), |s| {
        s.contains("stalled    ALARM for ")
    });
    assert!(screen.contains("MONITORING"), "{screen}");
    assert!(screen.contains("oldest msg no data"), "{screen}");
    for other in ["DLQ alarm  ", "age alarm  "] {
        assert!(
            screen.contains(&format!("{other}OK"))
                || screen.contains(&format!("{other}INSUFFICIENT_DATA")),
            "{other}: {screen}"
        );
    }
    assert!(!screen.contains("failed (below)"), "{screen}");
    ui.send("q");
    assert_eq!(ui.wait_exit(Duration::from_secs(20)), 0);

    // The consumer's dashboard at 80x24: the summary line.
    let ui = Tmux::start(
        &moto,
        dir,
        "consume-alarms",
        (80, 24),
        &["consume", "--config", "spec.json", "--sink", "dir:out"],
    );
    let screen = ui.wait_for("the alarms' summary", Duration::from_secs(60), |s| {
        s.contains("stalled ALARM")
    });
    assert!(screen.contains("RUNNING"), "{screen}");
    assert!(screen.contains("oldest msg no data"), "{screen}");
    ui.send("Q");
    assert_eq!(ui.wait_exit(Duration::from_secs(30)), 0);
}

#[test]
fn without_a_terminal_the_dashboard_asks_for_headless() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = sluice(
        &moto,
        dir,
        &["consume", "--config", "spec.json", "--sink", "null"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--headless"), "{stderr}");
}

/// `q` while the sink fails and up to 200 messages are held (their visibility
/// extended while the sink is retried): every one goes back to the queue at
/// once, in batches, and 5 s after the key nothing is left in flight. The
/// sink fails because its day directory is in the way (a file named like it:
/// even root cannot write under a file).
#[test]
fn q_with_200_messages_held_leaves_nothing_in_flight() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    common::upload_records(&moto, dir, 200, 2);
    let year = chrono::Utc::now().format("%Y").to_string();
    fs::create_dir_all(dir.join("out")).unwrap();
    fs::write(dir.join("out").join(&year), "in the way").unwrap();
    let ui = Tmux::start(
        &moto,
        dir,
        "held",
        (120, 40),
        &[
            "consume",
            "--config",
            "spec.json",
            "--sink",
            "dir:out",
            "--concurrency",
            "200",
            "--max-zstd-window-mib",
            "8",
            "--grace",
            "60",
            "--sink-retry",
            "600",
        ],
    );
    ui.wait_for("the dashboard running", Duration::from_secs(60), |s| {
        s.contains("RUNNING")
    });
    // Held: hidden, being retried against the failing sink. Receiving
    // pauses at the first failure, so the polls already open set how many
    // (all 200 when the 20 polls return before it, as they mostly do).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (0, 0);
    let mut steady = 0;
    loop {
        let depth = queue_depth(&moto, "acme-ingest-queue");
        steady = if depth == last { steady + 1 } else { 0 };
        last = depth;
        if depth.1 >= 100 && steady >= 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not held: {} visible, {} in flight; the screen:\n{}",
            depth.0,
            depth.1,
            ui.capture(false)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("held at q: {} of 200", last.1);
    let pressed = Instant::now();
    ui.send("q");
    ui.wait_exit(Duration::from_secs(30));
    std::thread::sleep(
        Duration::from_secs(5)
            .checked_sub(pressed.elapsed())
            .unwrap_or_default(),
    );
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue"),
        (200, 0),
        "5 s after q, every held message is visible again"
    );
    fs::remove_file(dir.join("out").join(&year)).unwrap();
    assert!(sink_records(dir).is_empty());
}

/// `q` with nothing being processed, while a long-poll is open: messages
/// that arrive before the poll returns are handed back, not left hidden for
/// the visibility timeout.
#[test]
fn q_while_a_poll_is_open_hands_back_what_it_brings() {
    let (moto, tmp) = applied();
    let dir = tmp.path();
    let ui = Tmux::start(
        &moto,
        dir,
        "open-poll",
        (120, 40),
        &["consume", "--config", "spec.json", "--sink", "dir:out"],
    );
    ui.wait_for("the dashboard running", Duration::from_secs(60), |s| {
        s.contains("RUNNING") && number(s, "test events") == Some(1)
    });
    // Its 20 s long-poll is open on the empty queue.
    std::thread::sleep(Duration::from_secs(1));
    ui.send("q");
    for i in 0..5 {
        common::send(&moto, &format!("{{\"late\": {i}}}"));
    }
    let pressed = Instant::now();
    assert_eq!(ui.wait_exit(Duration::from_secs(40)), 0);
    std::thread::sleep(
        Duration::from_secs(5)
            .checked_sub(pressed.elapsed())
            .unwrap_or_default(),
    );
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue"),
        (5, 0),
        "what arrived after q is visible, not hidden with a dropped poll"
    );
}
