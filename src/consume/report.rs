//! The metrics lines of a consumer run: one `{"time", "metrics"}` line per
//! interval while it runs, and a final `{"time", "final": true, "metrics"}`
//! line when it stopped. Headless mode writes them to `--metrics FILE` or
//! stderr; the dashboard to `--metrics FILE` only. On a terminal (stderr
//! without `--metrics`) the lines are for a person instead: a short progress
//! line per interval and a summary at the end.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::metrics::{Metrics, Snapshot};

/// Where the lines go.
pub type Out = Box<dyn Write + Send>;

/// Opens `path` for appending, or stderr when there is none.
pub fn open(path: Option<&Path>) -> Result<Out> {
    Ok(match path {
        Some(path) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the metrics file {}", path.display()))?,
        ),
        None => Box::new(std::io::stderr()),
    })
}

/// The line written every interval.
pub fn interval_line(snapshot: &Snapshot) -> serde_json::Value {
    serde_json::json!({"time": chrono::Utc::now().to_rfc3339(), "metrics": snapshot})
}

/// The line a run ends with.
pub fn final_line(snapshot: &Snapshot) -> serde_json::Value {
    serde_json::json!({"time": chrono::Utc::now().to_rfc3339(), "final": true, "metrics": snapshot})
}

/// How the lines read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// JSON, one object a line (files, pipes, automation).
    Json,
    /// Words, for a terminal.
    Human,
}

/// One progress line for a person.
pub fn human_progress(s: &Snapshot) -> String {
    let c = &s.counters;
    let mut line = format!(
        "{:>6}  {} records, {} objects, {} messages deleted, {}/s",
        duration(s.uptime_secs),
        count(c.records),
        count(c.objects_ok),
        count(c.messages_deleted),
        count(s.rates.records[1].round() as u64),
    );
    if let Some(q) = &s.queue {
        line.push_str(&format!(
            " · queue {} visible, {} in flight",
            count(q.visible),
            count(q.in_flight)
        ));
    }
    let problems = problems(s);
    if !problems.is_empty() {
        line.push_str(&format!(" · {}", problems.join(", ")));
    }
    line
}

/// The summary a run ends with, for a person: what arrived where, what went
/// wrong, and what the queue holds now.
pub fn human_summary(s: &Snapshot, sink: &str) -> String {
    let c = &s.counters;
    let mut out = format!(
        "sluice: {} {} from {} {} in {}, into {sink}\n",
        count(c.records),
        plural(c.records, "record", "records"),
        count(c.objects_ok),
        plural(c.objects_ok, "object", "objects"),
        duration(s.uptime_secs),
    );
    out.push_str(&format!(
        "  messages: {} received, {} deleted, {} handed back to the queue",
        count(c.messages_received),
        count(c.messages_deleted),
        count(c.messages_returned),
    ));
    if c.messages_kept > 0 {
        out.push_str(&format!(
            " ({} kept after an error of {} own, for SQS to deliver again)",
            count(c.messages_kept),
            if c.messages_kept == 1 { "its" } else { "their" }
        ));
    }
    if c.test_events > 0 {
        out.push_str(&format!(" ({} s3:TestEvent drained)", count(c.test_events)));
    }
    out.push('\n');
    let problems = problems(s);
    if problems.is_empty() {
        out.push_str("  no errors\n");
    } else {
        out.push_str(&format!("  {}\n", problems.join(", ")));
        for e in s.recent_errors.iter().rev().take(3) {
            let place = match (e.bucket.is_empty(), e.record_index) {
                (true, _) => format!("message {}", e.message_id),
                (false, Some(i)) => format!("s3://{}/{} record {i}", e.bucket, e.key),
                (false, None) => format!("s3://{}/{}", e.bucket, e.key),
            };
            out.push_str(&format!("    {place}: {}\n", e.message));
        }
    }
    if let Some(q) = &s.queue {
        out.push_str(&format!(
            "  queue now: {} visible, {} in flight, {} delayed",
            count(q.visible),
            count(q.in_flight),
            count(q.delayed)
        ));
        if let Some(dlq) = q.dlq_visible {
            out.push_str(&format!("; dead-letter queue {}", count(dlq)));
        }
        out.push('\n');
    }
    out
}

/// The counters that mean something went wrong, in words (empty when none).
fn problems(s: &Snapshot) -> Vec<String> {
    let c = &s.counters;
    [
        (c.decode_errors, "decode error", "decode errors"),
        (c.objects_failed, "object failed", "objects failed"),
        (c.objects_not_found, "object not found", "objects not found"),
        (
            c.objects_skipped,
            "object skipped (not the stack's)",
            "objects skipped (not the stack's)",
        ),
        (
            c.messages_unparseable,
            "malformed message",
            "malformed messages",
        ),
        (c.api_errors, "AWS error", "AWS errors"),
    ]
    .into_iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many)| format!("{} {}", count(n), plural(n, one, many)))
    .collect()
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `1234567` as `1,234,567`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Seconds as `12.3 s`, `4 min 05 s` or `2 h 03 min`.
fn duration(secs: f64) -> String {
    let whole = secs.max(0.0) as u64;
    match whole {
        0..60 => format!("{secs:.1} s"),
        60..3600 => format!("{} min {:02} s", whole / 60, whole % 60),
        _ => format!("{} h {:02} min", whole / 3600, whole % 3600 / 60),
    }
}

/// Writes `line` with one write and flushes (errors are ignored: metrics
/// never stop a run). Serialized first: straight into an unbuffered file or
/// stderr, serde would issue a write per JSON token.
fn write_line(out: &mut Out, line: &serde_json::Value) {
    let mut text = line.to_string();
    text.push('\n');
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints each new alert of `metrics` (the sink failing, the queue
/// unreachable) as a line on stderr, and when it clears, until aborted.
/// Inside a tokio runtime.
pub fn print_alerts(metrics: Arc<Metrics>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut shown: Option<String> = None;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let alert = metrics.snapshot().alert;
            if alert != shown {
                match &alert {
                    Some(text) => eprintln!("sluice: {text}"),
                    None => eprintln!("sluice: recovered: consuming again"),
                }
                shown = alert;
            }
        }
    })
}

/// A task writing an interval line every `interval` until [`Report::finish`].
pub struct Report {
    stop: CancellationToken,
    task: JoinHandle<Out>,
    style: Style,
    /// Where the records go, for the human summary.
    sink: String,
}

impl Report {
    /// Starts writing `metrics` to `out` as JSON lines. Inside a tokio runtime.
    pub fn start(out: Out, metrics: Arc<Metrics>, interval: Duration) -> Report {
        Report::start_styled(out, metrics, interval, Style::Json, String::new())
    }

    /// Starts writing `metrics` to `out` in `style`; `sink` names where the
    /// records go. Inside a tokio runtime.
    pub fn start_styled(
        mut out: Out,
        metrics: Arc<Metrics>,
        interval: Duration,
        style: Style,
        sink: String,
    ) -> Report {
        let stop = CancellationToken::new();
        let task = {
            let stop = stop.clone();
            let interval = interval.max(Duration::from_millis(10));
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(interval) => {}
                        () = stop.cancelled() => return out,
                    }
                    let snapshot = metrics.snapshot();
                    match style {
                        Style::Json => write_line(&mut out, &interval_line(&snapshot)),
                        Style::Human => {
                            write_text(&mut out, &format!("{}\n", human_progress(&snapshot)))
                        }
                    }
                }
            })
        };
        Report {
            stop,
            task,
            style,
            sink,
        }
    }

    /// Stops the interval lines and writes the final one.
    pub async fn finish(self, snapshot: &Snapshot) {
        self.stop.cancel();
        if let Ok(mut out) = self.task.await {
            match self.style {
                Style::Json => write_line(&mut out, &final_line(snapshot)),
                Style::Human => write_text(&mut out, &human_summary(snapshot, &self.sink)),
            }
        }
    }
}

fn write_text(out: &mut Out, text: &str) {
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer whose bytes the test keeps.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn interval_lines_then_one_final_line() {
        let shared = Shared::default();
        let metrics = Arc::new(Metrics::new());
        let report = Report::start(
            Box::new(shared.clone()),
            metrics.clone(),
            Duration::from_millis(20),
        );
        tokio::time::sleep(Duration::from_millis(90)).await;
        report.finish(&metrics.snapshot()).await;
        let text = String::from_utf8(shared.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(lines.len() >= 2, "{text}");
        let (last, before) = lines.split_last().unwrap();
        assert_eq!(last["final"], true);
        assert!(last["metrics"]["counters"].is_object());
        assert!(before.iter().all(|l| l.get("final").is_none()
            && l["metrics"]["counters"].is_object()
            && l["time"].is_string()));
    }

    #[test]
    fn a_metrics_file_that_cannot_be_opened_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/metrics.ndjson");
        let e = open(Some(&path)).err().unwrap();
        assert!(format!("{e:#}").contains("missing/metrics.ndjson"), "{e:#}");
    }

    #[test]
    fn a_person_reads_a_short_summary_with_plurals() {
        let metrics = Metrics::new();
        let c = &metrics.counters;
        metrics.add(&c.records, 12_345);
        metrics.add(&c.objects_ok, 1);
        metrics.add(&c.messages_received, 2);
        metrics.add(&c.messages_deleted, 2);
        metrics.add(&c.test_events, 1);
        metrics.add(&c.decode_errors, 1);
        let summary = human_summary(&metrics.snapshot(), "dir:out");
        let first = summary.lines().next().unwrap();
        assert!(
            first.starts_with("sluice: 12,345 records from 1 object in "),
            "{summary}"
        );
        assert!(first.ends_with(", into dir:out"), "{summary}");
        assert!(
            summary.contains("1 decode error\n") || summary.contains("1 decode error,"),
            "{summary}"
        );
        assert!(
            !summary.contains("errors,") && !summary.contains('{'),
            "{summary}"
        );
        assert!(summary.lines().count() <= 8, "{summary}");
        assert!(human_progress(&metrics.snapshot()).contains("12,345 records"));
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(duration(5.04), "5.0 s");
        assert_eq!(duration(125.0), "2 min 05 s");
        assert_eq!(duration(7_380.0), "2 h 03 min");
        let clean = Metrics::new();
        assert!(human_summary(&clean.snapshot(), "null").contains("  no errors\n"));
    }
}
