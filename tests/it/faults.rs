//! The consumer and the engine under faults, for real: a sink on a full tmpfs
//! and on a mount turned read-only mid-run, three consumers on one sink
//! directory, events for another bucket, a queue deleted mid-run, an endpoint
//! that accepts connections and never answers, destroy with a backlog,
//! malformed messages, a stop with a one-second grace, a long-window zstd
//! object, and specs with several errors at once.
//!
//! Each ends with the exact count of unique records in the sink, the
//! dead-letter queue's depth and the exit code. Tests that mount a file
//! system need root (or CAP_SYS_ADMIN); where mounting is refused they say so
//! by name on stderr and in `target/tmp/skipped-tests.txt`, which
//! `tests/run.sh` prints at the end.

use crate::common;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    Moto, apply_stack, aws_cli, files_under, final_metrics, final_metrics_in, ids_of, put_object,
    queue_depth, queue_url, send, send_to, shared, sink_records, skip, sluice, text, upload_ids,
    upload_records, wait_for_records,
};
use serde_json::{Value, json};

const QUEUE: &str = "acme-ingest-queue";
const DLQ: &str = "acme-ingest-queue-dlq";
const BUCKET: &str = "acme-ingest-source";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A file system mounted by the test, unmounted (lazily) when dropped.
struct Mounted(PathBuf);

impl Mounted {
    /// A tmpfs of `size` (e.g. `2m`) on `path`.
    fn tmpfs(path: &Path, size: &str) -> Result<Mounted, String> {
        mount(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size}"),
            "tmpfs",
            path.to_str().unwrap(),
        ])?;
        Ok(Mounted(path.to_owned()))
    }

    /// `path` bind-mounted onto itself, so that it can be made read-only.
    fn bind(path: &Path) -> Result<Mounted, String> {
        let p = path.to_str().unwrap();
        mount(&["--bind", p, p])?;
        Ok(Mounted(path.to_owned()))
    }

    /// Makes the mount read-only or writable again. A file open for writing
    /// makes the kernel refuse (EBUSY), so this retries for a while.
    fn set_read_only(&self, read_only: bool) {
        let mode = if read_only {
            "remount,bind,ro"
        } else {
            "remount,bind,rw"
        };
        let start = Instant::now();
        loop {
            match mount(&["-o", mode, self.0.to_str().unwrap()]) {
                Ok(()) => return,
                Err(e) if start.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("mount -o {mode} {}: {e}", self.0.display()),
            }
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount(args: &[&str]) -> Result<(), String> {
    let out = Command::new("mount")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "mount {} failed ({}): {}",
            args.join(" "),
            out.status,
            text(&out.stderr).trim()
        ))
    }
}

/// A process started with its stdout and stderr in files of `dir`.
struct Running {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// What a process left when it ended.
struct Ended {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ended {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

fn start(mut cmd: Command, dir: &Path, name: &str) -> Running {
    let stdout = dir.join(format!("{name}.stdout"));
    let stderr = dir.join(format!("{name}.stderr"));
    let child = cmd
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    Running {
        child,
        stdout,
        stderr,
    }
}

impl Running {
    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the end; a process still running after `limit` is a hang:
    /// it is killed and the test fails with what it printed.
    fn end_within(mut self, limit: Duration) -> Ended {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {limit:?}: a hang\nstderr:\n{}",
                    fs::read_to_string(&self.stderr).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(50));
        };
        Ended {
            status,
            stdout: fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: fs::read_to_string(&self.stderr).unwrap_or_default(),
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Runs `cmd` to its end (a hang past `limit` fails the test).
fn run_within(cmd: Command, dir: &Path, name: &str, limit: Duration) -> Ended {
    start(cmd, dir, name).end_within(limit)
}

/// The dead-letter queue's (visible, in flight).
fn dlq_depth(moto: &Moto) -> (u64, u64) {
    queue_depth(moto, DLQ)
}

/// The final metrics line of `dir/metrics.ndjson`, whole.
fn final_line(dir: &Path) -> Value {
    let text = fs::read_to_string(dir.join("metrics.ndjson")).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// Asserts that the sink holds each of `ids` exactly once, and nothing else.
fn assert_exactly(records: &[Value], ids: &BTreeSet<String>) {
    let got = ids_of(records);
    let missing: Vec<&String> = ids.difference(&got).take(5).collect();
    assert!(missing.is_empty(), "records lost: {missing:?}…");
    let extra: Vec<&String> = got.difference(ids).take(5).collect();
    assert!(extra.is_empty(), "records never uploaded: {extra:?}");
    assert_eq!(
        records.len(),
        ids.len(),
        "{} duplicate record(s)",
        records.len() - got.len()
    );
}

/// Creates `bucket` (outside the stack) holding `key` with `body`.
fn other_bucket(moto: &Moto, dir: &Path, bucket: &str, key: &str, body: &[u8]) {
    common::create_bucket(moto, bucket);
    put_object(moto, dir, bucket, key, body);
}

/// A hand-made S3 event for `bucket`/`key`, as anyone allowed to send to the queue could send.
fn hand_event(bucket: &str, key: &str) -> String {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put", "eventTime": "2026-11-22T00:00:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 20}}}]})
    .to_string()
}

/// `sluice consume` into the `dir:out` sink with `extra` flags (no idle stop
/// unless `extra` asks for one).
fn consume(moto: &Moto, dir: &Path, metrics: &str, extra: &[&str]) -> Command {
    let mut args = vec![
        "consume",
        "--config",
        "spec.json",
        "--headless",
        "--sink",
        "dir:out",
        "--metrics",
        metrics,
        "--metrics-interval",
        "1",
        // Shared sink files committed after a second (not the default
        // minute), so that records show up while a run goes on.
        "--max-file-age",
        "1",
    ];
    args.extend_from_slice(extra);
    sluice(moto, dir, &args)
}

const HANG: Duration = Duration::from_secs(120);

/// [`consume`] with metrics to `metrics.ndjson`, run to its end.
fn consume_run(moto: &Moto, dir: &Path, name: &str, extra: &[&str]) -> Ended {
    run_within(consume(moto, dir, "metrics.ndjson", extra), dir, name, HANG)
}

/// The stack with a DLQ after two receives, so that a receive count spent on
/// a sink failure shows, and an empty `out/` for the sink to be mounted on.
fn strict_stack(moto: &Moto, dir: &Path) {
    apply_stack(
        moto,
        dir,
        &[
            "queue.dead_letter.max_receive_count=2",
            "queue.visibility_timeout_secs=5",
        ],
    );
    fs::create_dir(dir.join("out")).unwrap();
}

// ---------------------------------------------------------------------------
// 1. A full or read-only sink
// ---------------------------------------------------------------------------

#[test]
fn a_full_sink_stops_receiving_spends_no_receive_count_and_exits_non_zero() {
    const TEST: &str = "a_full_sink_stops_receiving_spends_no_receive_count_and_exits_non_zero";
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    strict_stack(&moto, dir);
    let mounted = match Mounted::tmpfs(&dir.join("out"), "2m") {
        Ok(m) => m,
        Err(e) => {
            return skip(
                TEST,
                &format!("cannot mount a 2 MiB tmpfs for the sink: {e}"),
            );
        }
    };
    // 60 objects of 250 records: about 3.3 MB of NDJSON for a 2 MiB sink.
    let ids = upload_records(&moto, dir, 60, 250);

    let full = consume_run(
        &moto,
        dir,
        "full",
        &["--sink-retry", "3", "--stop-when-idle", "5"],
    );
    assert_eq!(full.code(), Some(1), "{}", full.stderr);
    assert!(
        full.stderr.contains("No space left on device"),
        "the cause is on stderr: {}",
        full.stderr
    );
    // Only what is durably in the sink is counted.
    let first = sink_records(dir);
    let c = final_metrics(dir);
    assert_eq!(c["records"].as_u64(), Some(first.len() as u64), "{c}");
    assert!(first.len() < ids.len(), "the sink was meant to fill up");
    assert_eq!(
        ids_of(&first).len(),
        first.len(),
        "no duplicates in one run"
    );
    assert_eq!(dlq_depth(&moto), (0, 0), "nothing burnt into the DLQ");
    let (visible, in_flight) = queue_depth(&moto, QUEUE);
    assert_eq!(
        in_flight, 0,
        "every held message was handed back; the run said:\n{}",
        full.stderr
    );
    assert!(visible > 0);

    // Room again: a second run takes exactly the rest, none of it from the DLQ.
    drop(mounted);
    fs::remove_file(dir.join("metrics.ndjson")).unwrap();
    let rest = consume_run(&moto, dir, "rest", &["--stop-when-idle", "3"]);
    assert_eq!(rest.code(), Some(0), "{}", rest.stderr);
    let mut all = first;
    all.extend(sink_records(dir));
    assert_exactly(&all, &ids);
    assert_eq!(dlq_depth(&moto), (0, 0));
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
}

#[test]
fn a_sink_turned_read_only_mid_run_is_retried_until_it_recovers() {
    const TEST: &str = "a_sink_turned_read_only_mid_run_is_retried_until_it_recovers";
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    strict_stack(&moto, dir);
    let mounted = match Mounted::bind(&dir.join("out")) {
        Ok(m) => m,
        Err(e) => return skip(TEST, &format!("cannot bind-mount the sink directory: {e}")),
    };
    let ids = upload_records(&moto, dir, 40, 250);
    let mut consumer = start(
        consume(
            &moto,
            dir,
            "metrics.ndjson",
            &[
                "--sink-retry",
                "120",
                "--stop-when-idle",
                "4",
                "--concurrency",
                "2",
            ],
        ),
        dir,
        "consumer",
    );
    wait_for_records(dir, 1000, HANG);
    mounted.set_read_only(true);
    // The first objects may all be in the sink already (their messages
    // share a file committed within a second): these arrive to a sink that
    // refuses them.
    let late = upload_ids(&moto, dir, "acme-ingest-source", "in/late-", 10, 20);
    let ids: BTreeSet<String> = ids.union(&late).cloned().collect();
    // Longer than the visibility timeout: held messages must stay hidden
    // (their visibility extended) and nothing new be received meanwhile.
    thread::sleep(Duration::from_secs(7));
    assert!(consumer.running(), "a failing sink is retried, not the end");
    let stderr_so_far = fs::read_to_string(&consumer.stderr).unwrap();
    assert!(
        stderr_so_far.contains("Read-only file system"),
        "the cause is on stderr while it lasts: {stderr_so_far}"
    );
    assert_eq!(dlq_depth(&moto), (0, 0));
    mounted.set_read_only(false);
    let ended = consumer.end_within(HANG);
    assert_eq!(ended.code(), Some(0), "{}", ended.stderr);
    let records = sink_records(dir);
    assert_exactly(&records, &ids);
    assert_eq!(
        final_metrics(dir)["records"].as_u64(),
        Some(records.len() as u64)
    );
    assert_eq!(dlq_depth(&moto), (0, 0));
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
}

// ---------------------------------------------------------------------------
// 2. Several consumers, one sink directory
// ---------------------------------------------------------------------------

#[test]
fn three_consumers_share_one_sink_directory() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=20"]);
    let ids = upload_records(&moto, dir, 60, 250);
    let args = |n: usize| {
        consume(
            &moto,
            dir,
            &format!("m{n}.ndjson"),
            &["--stop-when-idle", "4"],
        )
    };
    let first = start(args(1), dir, "c1");
    // The others start while the first has temporaries open: they must not
    // take them for a killed run's.
    wait_for_records(dir, 500, HANG);
    let others = [start(args(2), dir, "c2"), start(args(3), dir, "c3")];
    for (n, c) in std::iter::once(first).chain(others).enumerate() {
        let ended = c.end_within(HANG);
        assert_eq!(
            ended.code(),
            Some(0),
            "consumer {}: {}",
            n + 1,
            ended.stderr
        );
    }
    let records = sink_records(dir);
    assert_exactly(&records, &ids);
    let counted: u64 = (1..=3)
        .map(|n| {
            final_metrics_in(&dir.join(format!("m{n}.ndjson")))["records"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(counted, records.len() as u64);
    let leftovers: Vec<PathBuf> = files_under(&dir.join("out"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(dlq_depth(&moto), (0, 0));
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
}

// ---------------------------------------------------------------------------
// 3. Events for another bucket
// ---------------------------------------------------------------------------

#[test]
fn events_for_another_bucket_are_never_fetched() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=2"]);
    other_bucket(
        &moto,
        dir,
        "zz-secret",
        "in/secret.ndjson",
        b"{\"id\":\"secret\"}\n",
    );
    put_object(&moto, dir, BUCKET, "in/good.ndjson", b"{\"id\":\"good\"}\n");
    put_object(
        &moto,
        dir,
        BUCKET,
        "other/outside.ndjson",
        b"{\"id\":\"outside\"}\n",
    );
    send(&moto, &hand_event("zz-secret", "in/secret.ndjson"));
    send(&moto, &hand_event(BUCKET, "other/outside.ndjson"));

    // By default: counted, shown with the message id, never fetched, kept.
    let kept = consume_run(&moto, dir, "keep", &["--stop-when-idle", "2"]);
    assert_eq!(kept.code(), Some(0), "{}", kept.stderr);
    assert_eq!(
        ids_of(&sink_records(dir)),
        BTreeSet::from(["good".to_owned()])
    );
    let line = final_line(dir);
    let errors = line["metrics"]["recent_errors"].as_array().unwrap();
    // Each time SQS delivers them again they are counted again.
    let skipped = line["metrics"]["counters"]["objects_skipped"]
        .as_u64()
        .unwrap();
    assert!(skipped >= 2, "{line}");
    let skipped_messages: BTreeSet<&str> = errors
        .iter()
        .filter(|e| e["message"].as_str().unwrap().ends_with("not fetched"))
        .map(|e| e["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped_messages.len(), 2, "{errors:?}");
    let secret = errors
        .iter()
        .find(|e| e["bucket"] == "zz-secret")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(
        secret["message"]
            .as_str()
            .unwrap()
            .contains("not the stack's bucket acme-ingest-source"),
        "{secret}"
    );
    assert!(
        !secret["message_id"].as_str().unwrap().is_empty(),
        "{secret}"
    );
    let (visible, in_flight) = queue_depth(&moto, QUEUE);
    assert_eq!(visible + in_flight, 2, "both foreign messages are kept");

    // `--on-foreign-event delete`: still never fetched, now deleted.
    thread::sleep(Duration::from_millis(2100));
    let deleted = consume_run(
        &moto,
        dir,
        "delete",
        &["--stop-when-idle", "2", "--on-foreign-event", "delete"],
    );
    assert_eq!(deleted.code(), Some(0), "{}", deleted.stderr);
    assert_eq!(
        final_metrics(dir)["objects_skipped"],
        2,
        "each deleted once seen"
    );
    assert_eq!(
        ids_of(&sink_records(dir)),
        BTreeSet::from(["good".to_owned()])
    );
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));

    // `--any-bucket` is the explicit way to read another bucket.
    send(&moto, &hand_event("zz-secret", "in/secret.ndjson"));
    let any = consume_run(
        &moto,
        dir,
        "any",
        &["--stop-when-idle", "2", "--any-bucket"],
    );
    assert_eq!(any.code(), Some(0), "{}", any.stderr);
    let records = sink_records(dir);
    assert_exactly(
        &records,
        &BTreeSet::from(["good".to_owned(), "secret".to_owned()]),
    );
    assert_eq!(dlq_depth(&moto), (0, 0));
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
}

// ---------------------------------------------------------------------------
// 4. A lost queue
// ---------------------------------------------------------------------------

#[test]
fn a_queue_deleted_mid_run_ends_the_run_with_an_error() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    let ids = upload_records(&moto, dir, 10, 100);
    // The idle stop alone would end the run only a minute after the last message.
    let consumer = start(
        consume(&moto, dir, "metrics.ndjson", &["--stop-when-idle", "60"]),
        dir,
        "consumer",
    );
    wait_for_records(dir, ids.len(), HANG);
    let url = queue_url(&moto, QUEUE);
    aws_cli(&moto, &["sqs", "delete-queue", "--queue-url", &url]);
    let ended = consumer.end_within(Duration::from_secs(50));
    assert_eq!(ended.code(), Some(1), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("does not exist"),
        "the error names the lost queue: {}",
        ended.stderr
    );
    let records = sink_records(dir);
    assert_exactly(&records, &ids);
    assert_eq!(
        final_metrics(dir)["records"].as_u64(),
        Some(records.len() as u64)
    );
    assert_eq!(dlq_depth(&moto), (0, 0));
}

// ---------------------------------------------------------------------------
// 5. Timeouts
// ---------------------------------------------------------------------------

#[test]
fn an_endpoint_that_never_answers_times_out_and_apply_names_the_finished_steps() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ok = common::ok;
    ok(sluice(
        &moto,
        dir,
        &[
            "init",
            "--name",
            "acme-ingest",
            "--region",
            "us-west-2",
            "--out",
            "spec.json",
            "--set",
            "bucket.deny_insecure_transport=false",
        ],
    )
    .output()
    .unwrap());

    // Frozen from the first byte: plan and consume give up within their timeout.
    let frozen = common::silent_endpoint();
    for (name, args) in [
        (
            "plan",
            vec!["plan", "--config", "spec.json", "--timeout", "2"],
        ),
        (
            "consume",
            vec![
                "consume",
                "--config",
                "spec.json",
                "--headless",
                "--sink",
                "null",
                "--timeout",
                "2",
            ],
        ),
    ] {
        let mut cmd = sluice(&moto, dir, &args);
        cmd.env("AWS_ENDPOINT_URL", &frozen);
        let ended = run_within(cmd, dir, name, Duration::from_secs(60));
        assert_eq!(ended.code(), Some(1), "{name}: {}", ended.stderr);
        assert!(
            ended.stderr.contains("timed out") || ended.stderr.contains("timeout"),
            "{name} says it timed out: {}",
            ended.stderr
        );
    }

    // Freezes when apply creates the first queue: the IAM and bucket steps
    // finished, and the error says so.
    let partial = common::freezing_endpoint(&moto, "AmazonSQS.CreateQueue");
    let mut cmd = sluice(
        &moto,
        dir,
        &[
            "apply",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
            "--timeout",
            "3",
        ],
    );
    cmd.env("AWS_ENDPOINT_URL", &partial);
    let ended = run_within(cmd, dir, "apply", Duration::from_secs(90));
    assert_eq!(ended.code(), Some(1), "{}", ended.stderr);
    let finished = ended
        .stderr
        .lines()
        .find(|l| l.starts_with("Steps finished:"))
        .unwrap_or_else(|| panic!("{}", ended.stderr));
    for step in ["policy", "role", "bucket"] {
        assert!(finished.contains(step), "{step} in {finished:?}");
    }
    assert!(
        ended.stderr.contains("queue") && ended.stderr.contains("timed out"),
        "{}",
        ended.stderr
    );
    // Against the real endpoint, apply continues where it stopped.
    let again = sluice(
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
    )
    .output()
    .unwrap();
    ok(again);
    assert_eq!(queue_depth(&moto, QUEUE), (1, 0), "the s3:TestEvent");
    assert_eq!(dlq_depth(&moto), (0, 0));
}

// ---------------------------------------------------------------------------
// 6. Destroy and a backlog
// ---------------------------------------------------------------------------

#[test]
fn destroy_keeps_a_queue_holding_messages_and_force_backs_them_up() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    // The s3:TestEvent and five unconsumed messages; two in the DLQ.
    for i in 0..5 {
        send(&moto, &format!("backlog {i}"));
    }
    for i in 0..2 {
        send_to(&moto, DLQ, &format!("dead {i}"));
    }
    let destroy = |extra: &[&str]| {
        let mut args = vec![
            "destroy",
            "--config",
            "spec.json",
            "--yes",
            "--backup-dir",
            "backups",
        ];
        args.extend_from_slice(extra);
        run_within(sluice(&moto, dir, &args), dir, "destroy", HANG)
    };
    let refused = destroy(&[]);
    assert_eq!(refused.code(), Some(2), "data kept: {}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "queue acme-ingest-queue holds 6 messages (6 visible, 0 in flight, 0 delayed)"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stdout
            .contains("kept     queue acme-ingest-queue: not empty: it holds 6 messages"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains(
            "kept     dead-letter queue acme-ingest-queue-dlq: not empty: it holds 2 messages"
        ),
        "{}",
        refused.stdout
    );
    assert_eq!(queue_depth(&moto, QUEUE), (6, 0));
    assert_eq!(dlq_depth(&moto), (2, 0));

    let forced = destroy(&["--force"]);
    assert_eq!(forced.code(), Some(0), "{}", forced.stderr);
    assert!(
        forced.stdout.contains("removed  queue acme-ingest-queue"),
        "{}",
        forced.stdout
    );
    let gone = sluice(&moto, dir, &["plan", "--config", "spec.json"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(2), "everything to create again");
    // Every message is in the backup, bodies intact.
    let saved = |queue: &str| -> (PathBuf, BTreeSet<String>) {
        let file = files_under(&dir.join("backups"))
            .into_iter()
            .find(|p| {
                p.file_name().unwrap().to_string_lossy() == format!("queue-messages-{queue}.json")
            })
            .unwrap_or_else(|| {
                panic!(
                    "no backup of {queue}: {:?}",
                    files_under(&dir.join("backups"))
                )
            });
        let v: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
        let bodies = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Body"].as_str().unwrap().to_owned())
            .collect();
        (file.parent().unwrap().to_owned(), bodies)
    };
    let (backup, bodies) = saved(QUEUE);
    assert_eq!(bodies.len(), 6);
    assert!(
        (0..5).all(|i| bodies.contains(&format!("backlog {i}"))),
        "{bodies:?}"
    );
    let (_, dead) = saved(DLQ);
    assert_eq!(
        dead,
        BTreeSet::from(["dead 0".to_owned(), "dead 1".to_owned()])
    );

    // Nothing lost: apply again and restore the backup; the messages are back.
    apply_stack(&moto, dir, &[]);
    let restored = sluice(
        &moto,
        dir,
        &["restore", "--backup", backup.to_str().unwrap(), "--yes"],
    )
    .output()
    .unwrap();
    common::ok(restored);
    assert_eq!(
        queue_depth(&moto, QUEUE),
        (7, 0),
        "six restored and a new test event"
    );
    assert_eq!(dlq_depth(&moto), (2, 0));
}

// ---------------------------------------------------------------------------
// 7. Malformed messages
// ---------------------------------------------------------------------------

#[test]
fn malformed_messages_are_quarantined_with_their_message_id() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    let hello = send(&moto, "hello, not an event");
    let shaped = send(&moto, "{\"Records\": \"not a list\"}");
    put_object(
        &moto,
        dir,
        BUCKET,
        "in/good.ndjson",
        b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n",
    );

    let ended = consume_run(
        &moto,
        dir,
        "consume",
        &["--stop-when-idle", "2", "--quarantine", "quarantine"],
    );
    assert_eq!(ended.code(), Some(0), "{}", ended.stderr);
    let line = final_line(dir);
    let c = &line["metrics"]["counters"];
    assert_eq!(c["messages_unparseable"], 2, "{c}");
    assert_eq!(c["messages_quarantined"], 2, "{c}");
    let errors = line["metrics"]["recent_errors"].as_array().unwrap();
    for id in [&hello, &shaped] {
        assert!(
            errors.iter().any(|e| e["message_id"] == id.as_str()),
            "{id}: {errors:?}"
        );
    }
    let quarantined: Vec<Value> = files_under(&dir.join("quarantine"))
        .iter()
        .flat_map(|f| {
            fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let by_id = |id: &str| {
        quarantined
            .iter()
            .find(|q| q["message_id"] == id)
            .unwrap_or_else(|| panic!("{id} not quarantined: {quarantined:?}"))
    };
    assert_eq!(by_id(&hello)["body"], "hello, not an event");
    assert_eq!(by_id(&shaped)["body"], "{\"Records\": \"not a list\"}");
    assert!(by_id(&hello)["attributes"]["ApproximateReceiveCount"].is_string());
    assert_exactly(
        &sink_records(dir),
        &BTreeSet::from(["a".to_owned(), "b".to_owned()]),
    );
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
    assert_eq!(dlq_depth(&moto), (0, 0));

    // Without a quarantine, the body's start goes to the log.
    let lost = send(&moto, "another message that is not an event");
    let mut cmd = consume(&moto, dir, "metrics.ndjson", &["--stop-when-idle", "2"]);
    cmd.args(["--log-file", "sluice.log"]);
    let ended = run_within(cmd, dir, "consume-log", HANG);
    assert_eq!(ended.code(), Some(0), "{}", ended.stderr);
    let log = fs::read_to_string(dir.join("sluice.log")).unwrap();
    let entry = log
        .lines()
        .find(|l| l.contains(&lost))
        .unwrap_or_else(|| panic!("{lost} not in the log:\n{log}"));
    assert!(
        entry.contains("another message that is not an event"),
        "{entry}"
    );
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
    assert_eq!(dlq_depth(&moto), (0, 0));
}

// ---------------------------------------------------------------------------
// 8. Stopping with a short grace
// ---------------------------------------------------------------------------

#[test]
fn a_stop_with_grace_1_deletes_every_committed_message() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Long visibility: a message wrongly left undeleted would come back only
    // after 60 s, so the rerun below would not see it as a duplicate in time.
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=60"]);
    let ids = upload_records(&moto, dir, 40, 250);
    let consumer = start(
        consume(
            &moto,
            dir,
            "first.ndjson",
            &["--grace", "1", "--concurrency", "4"],
        ),
        dir,
        "first",
    );
    wait_for_records(dir, 2000, HANG);
    consumer.signal("TERM");
    let ended = consumer.end_within(HANG);
    assert_eq!(ended.code(), Some(0), "{}", ended.stderr);
    let c = final_metrics_in(&dir.join("first.ndjson"));
    let first = sink_records(dir);
    assert_eq!(c["records"].as_u64(), Some(first.len() as u64), "{c}");
    // One object a message: each committed object's message was deleted.
    let deleted = c["messages_deleted"].as_u64().unwrap() - c["test_events"].as_u64().unwrap();
    assert_eq!(deleted, c["objects_ok"].as_u64().unwrap(), "{c}");
    // Whatever was not committed was released (visibility 0) and comes back
    // now; anything committed but not deleted would be a duplicate.
    let rest = run_within(
        consume(&moto, dir, "rest.ndjson", &["--stop-when-idle", "3"]),
        dir,
        "rest",
        HANG,
    );
    assert_eq!(rest.code(), Some(0), "{}", rest.stderr);
    assert_exactly(&sink_records(dir), &ids);
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
    assert_eq!(dlq_depth(&moto), (0, 0));
}

// ---------------------------------------------------------------------------
// 9. A long-window zstd object
// ---------------------------------------------------------------------------

#[test]
fn a_long_window_zstd_object_is_named_and_consumed_when_allowed() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=2"]);
    // As `zstd --long=31` writes it: a 2 GiB window.
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.long_distance_matching(true).unwrap();
    encoder.window_log(31).unwrap();
    let mut ids = BTreeSet::new();
    for i in 0..500 {
        writeln!(encoder, "{{\"id\":\"z{i}\"}}").unwrap();
        ids.insert(format!("z{i}"));
    }
    put_object(
        &moto,
        dir,
        BUCKET,
        "in/long.ndjson.zst",
        &encoder.finish().unwrap(),
    );

    // The fail policy keeps the message, so the object is not lost meanwhile.
    let refused = consume_run(
        &moto,
        dir,
        "refused",
        &["--stop-when-idle", "1", "--on-decode-error", "fail"],
    );
    let line = final_line(dir);
    let errors = line["metrics"]["recent_errors"].to_string();
    assert!(
        errors.contains(
            "zstd window of 2 GiB exceeds the limit of 128 MiB; raise --max-zstd-window-mib"
        ),
        "{errors}"
    );
    assert!(!errors.contains("corrupt"), "{errors}");
    assert_eq!(
        refused.code(),
        Some(1),
        "the fail policy's exit: {}",
        refused.stderr
    );
    assert!(sink_records(dir).is_empty());

    thread::sleep(Duration::from_millis(2100));
    let allowed = consume_run(
        &moto,
        dir,
        "allowed",
        &["--stop-when-idle", "2", "--max-zstd-window-mib", "2048"],
    );
    assert_eq!(allowed.code(), Some(0), "{}", allowed.stderr);
    assert_exactly(&sink_records(dir), &ids);
    assert_eq!(queue_depth(&moto, QUEUE), (0, 0));
    assert_eq!(dlq_depth(&moto), (0, 0));
}

// ---------------------------------------------------------------------------
// 10. The spec loader
// ---------------------------------------------------------------------------

#[test]
fn a_spec_reports_every_error_refuses_duplicates_and_escapes_control_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let plan = |text: &str| {
        fs::write(dir.join("bad.json"), text).unwrap();
        let out = common::sluice_offline(dir, &["plan", "--config", "bad.json", "--offline"]);
        (out.status.code(), text_of(&out.stderr))
    };
    fn text_of(b: &[u8]) -> String {
        text(b)
    }

    // Three unknown keys and a type error: all four at once, each by path.
    let (code, stderr) = plan(
        r#"{"name": "acme-ingest", "region": "us-west-2", "colour": "blue",
            "queue": {"retention": 4, "visibility_timeout_secs": "thirty"},
            "bucket": {"prefx": "in/"}}"#,
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("4 problems:"), "{stderr}");
    for path in [
        "colour",
        "queue.retention",
        "queue.visibility_timeout_secs",
        "bucket.prefx",
    ] {
        assert!(stderr.contains(path), "{path} missing: {stderr}");
    }

    // A duplicate key: refused, naming the key and both places.
    let (code, stderr) = plan(
        "{\n  \"name\": \"acme-ingest\",\n  \"region\": \"us-west-2\",\n  \"name\": \"other\"\n}",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("name: given twice, at line 2 column 3 and at line 4 column 3"),
        "{stderr}"
    );

    // Control characters (an ANSI escape) are shown escaped, never raw.
    let (code, stderr) = plan(
        "{\"name\": \"acme-ingest\", \"region\": \"us-west-2\", \"\\u001b[2J\\u001b[31mred\": 1}",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "raw escape on stderr: {stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}[2J\\u{1b}[31mred"), "{stderr}");
}
