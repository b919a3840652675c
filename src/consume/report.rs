//! The JSON metrics lines of a consumer run: one `{"time", "metrics"}` line
//! per interval while it runs, and a final `{"time", "final": true,
//! "metrics"}` line when it stopped. Headless mode writes them to
//! `--metrics FILE` or stderr; the dashboard to `--metrics FILE` only.

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
}

impl Report {
    /// Starts writing `metrics` to `out`. Inside a tokio runtime.
    pub fn start(mut out: Out, metrics: Arc<Metrics>, interval: Duration) -> Report {
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
                    write_line(&mut out, &interval_line(&metrics.snapshot()));
                }
            })
        };
        Report { stop, task }
    }

    /// Stops the interval lines and writes the final one.
    pub async fn finish(self, snapshot: &Snapshot) {
        self.stop.cancel();
        if let Ok(mut out) = self.task.await {
            write_line(&mut out, &final_line(snapshot));
        }
    }
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
}
