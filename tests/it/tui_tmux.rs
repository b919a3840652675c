//! The real `sluice` binary in tmux, offline (no AWS variables, an empty
//! HOME): the wizard opens, walks every step it can offline, follows a
//! resize, exports the bundle, saves the spec, autosaves the session, shows
//! the help, quits cleanly and leaves the terminal restored.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const TMUX: &str = "tmux";
const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (its own socket, no config) running one session.
struct Tmux {
    socket: String,
    env: Vec<(String, String)>,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut cmd = Command::new(TMUX);
        cmd.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn start(name: &str, dir: &Path, work: &Path, command: &str) -> Tmux {
        let present = Command::new(TMUX).arg("-V").output();
        if !present.is_ok_and(|o| o.status.success()) {
            panic!(
                "tmux is not installed: this test drives the wizard in it (apt-get install tmux; ./tests/run.sh installs it)"
            );
        }
        let path = std::env::var("PATH").unwrap_or_default();
        let env = [
            ("PATH", path.as_str()),
            ("HOME", &dir.join("home").display().to_string()),
            ("XDG_CONFIG_HOME", &dir.join("config").display().to_string()),
            ("XDG_DATA_HOME", &dir.join("data").display().to_string()),
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            // No AWS_* from the outside; no instance metadata either: offline at once.
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let tmux = Tmux {
            socket: format!("sluice-tui-{name}-{}", std::process::id()),
            env,
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "35",
            "-s",
            "wizard",
            "-c",
            work.to_str().unwrap(),
            command,
        ]);
        tmux
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "wizard", key]);
        }
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "wizard", "-l", text]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "wizard"]).stdout)
            .into_owned()
    }

    /// Waits until the screen shows `needle`; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    /// Waits until the screen shows every one of `needles` at once (a
    /// capture can catch a frame half drawn); returns the screen.
    fn wait_for_all(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            if Instant::now() > deadline {
                let missing: Vec<&&str> =
                    needles.iter().filter(|n| !screen.contains(**n)).collect();
                panic!("{missing:?} never showed; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-t",
            "wizard",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn the_binary_walks_the_wizard_offline_in_tmux() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let work: PathBuf = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let log = dir.join("sluice.log");
    let command = format!(
        // No subcommand: what `cargo run --release` opens.
        "{} --log-file {}; echo \"sluice exited with $?\"; sleep 600",
        shell_quote(Path::new(env!("CARGO_BIN_EXE_sluice"))),
        shell_quote(&log)
    );
    let tmux = Tmux::start("walk", dir, &work, &command);

    // Welcome, offline, clearly labelled.
    tmux.wait_for_all(&[
        "step 1 of 12 · Welcome",
        "1 Welcome  Policy Role User Bucket Queue Notify Review Apply Verify Data Done",
        "○ OFFLINE: design, preview and export",
        "spec.json · what a session saves",
    ]);

    // A stack name; every default name follows it.
    tmux.keys(&["Home", "C-k"]);
    tmux.text("tmux-demo");
    tmux.wait_for("\"name\": \"tmux-demo-source\"");

    // Through the form steps with Enter.
    for (n, title) in [
        (2, "Permissions policy"),
        (3, "Role"),
        (4, "User"),
        (5, "Bucket"),
        (6, "Queue"),
        (7, "Notification"),
    ] {
        tmux.keys(&["Enter"]);
        tmux.wait_for(&format!("step {n} of 12 · {title}"));
        if n == 5 {
            // An invalid name is refused inline, with Next blocked.
            tmux.keys(&["Tab"]);
            tmux.text("_X");
            tmux.wait_for("✗ `_` is not allowed");
            tmux.keys(&["Enter"]);
            tmux.wait_for("Bucket name: `_` is not allowed");
            tmux.keys(&["BSpace", "BSpace"]);
            tmux.wait_for(" new  bucket settings and policy");
            // Narrow: the preview becomes a toggle; wide again, beside the form.
            tmux.resize(80, 24);
            tmux.wait_for("Ctrl-P preview: new");
            tmux.keys(&["C-p"]);
            tmux.wait_for("Preview (Ctrl-P: back to the form)");
            tmux.keys(&["C-p"]);
            tmux.resize(120, 35);
            tmux.wait_for("PgUp/PgDn");
        }
    }

    // Review: the offline plan; Enter goes to Done.
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&[
        "Offline plan",
        "Apply is disabled: offline",
        "+ policy            tmux-demo-policy +44 −0",
    ]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("step 12 of 12 · Done");
    tmux.wait_for("role_arn");

    // Export to the offered directory.
    tmux.keys(&["e"]);
    tmux.wait_for("Export the bundle to directory");
    tmux.keys(&["Enter"]);
    // With the alarms a new session recommends (their topic's policy and
    // three alarm definitions among the files).
    tmux.wait_for("wrote 21 files to ./tmux-demo-bundle");
    assert!(work.join("tmux-demo-bundle/setup.sh").exists());
    assert!(work.join("tmux-demo-bundle/alarm-stalled.json").exists());
    assert!(work.join("tmux-demo-bundle/main.tf").exists());

    // Save the spec (asks where), autosaved session too.
    tmux.keys(&["C-s"]);
    tmux.wait_for("Save the spec as");
    tmux.keys(&["Enter"]);
    tmux.wait_for("saved sluice.json");
    let saved = std::fs::read_to_string(work.join("sluice.json")).unwrap();
    let session = dir.join("config/sluice/sessions/tmux-demo.json");
    assert!(session.exists(), "no session at {}", session.display());
    assert_eq!(std::fs::read_to_string(&session).unwrap(), saved);
    assert_eq!(
        std::fs::read_to_string(work.join("tmux-demo-bundle/spec.json")).unwrap(),
        saved
    );

    // Help lists the keys; Esc closes it.
    tmux.keys(&["F1"]);
    tmux.wait_for("Tab / Shift-Tab");
    tmux.keys(&["Escape"]);
    tmux.wait_for("step 12 of 12 · Done");

    // q quits (nothing unsaved); the shell gets its screen back.
    tmux.keys(&["q"]);
    let after = tmux.wait_for("sluice exited with 0");
    assert!(
        !after.contains("step 12 of 12"),
        "the alternate screen was left:\n{after}"
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("wizard: start"), "log: {logged}");
}

#[test]
fn an_unsaved_change_makes_quit_ask() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let spec = work.join("existing.json");
    let command = format!(
        "{} wizard --config {}; echo \"sluice exited with $?\"; sleep 600",
        shell_quote(Path::new(env!("CARGO_BIN_EXE_sluice"))),
        shell_quote(&spec)
    );
    let tmux = Tmux::start("quit", dir, &work, &command);
    tmux.wait_for("existing.json does not exist yet: Ctrl-S writes it");
    // The first Enter edits the waiting name field, the second goes on.
    tmux.keys(&["Enter"]);
    tmux.wait_for(" editing ");
    tmux.keys(&["Enter"]);
    tmux.wait_for("step 2 of 12");
    tmux.keys(&["Tab", "Tab", "Space"]);
    tmux.wait_for("● unsaved");
    tmux.keys(&["q"]);
    tmux.wait_for("s save and quit");
    tmux.keys(&["s"]);
    tmux.wait_for("sluice exited with 0");
    let written = std::fs::read_to_string(&spec).unwrap();
    assert!(
        written.contains("\"allow_send_message\": true"),
        "{written}"
    );
}
