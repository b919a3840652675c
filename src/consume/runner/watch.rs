//! The run's background tasks: the shared-file committer, the queue gauges,
//! the metrics sampler and the idle stop.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::consume::monitor::{Depth, Target, depth, gauges};
/// Commits the sink's shared file once it is as old as `--max-file-age`;
/// once the run stops, as soon as messages have written into it, and a last
/// time at the end (the messages waiting for it are deleted then).
pub(super) async fn file_committer(shared: Arc<Shared>, stop: CancellationToken) {
    let Some(files) = shared.sink.shared_files() else {
        return;
    };
    let tick = Duration::from_millis(200);
    loop {
        let stopping =
            shared.control.shutdown.is_cancelled() || shared.control.abort.is_cancelled();
        let due = files.due_in();
        if due.is_some_and(|d| stopping || d.is_zero()) {
            let files = files.clone();
            let _ = tokio::task::spawn_blocking(move || files.commit_due(stopping)).await;
            continue;
        }
        let wait = due.map_or(tick, |d| d.min(tick));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => break,
        }
    }
    let _ = tokio::task::spawn_blocking(move || files.commit_due(true)).await;
}

/// Reads the queue's and the DLQ's depth every `queue_poll_interval`.
pub(super) async fn queue_gauges(shared: Arc<Shared>, stop: CancellationToken) {
    let target = Target {
        queue_url: shared.options.queue_url.clone(),
        dlq_url: shared.options.dlq_url.clone(),
    };
    loop {
        match gauges(&shared.clients, &target).await {
            Ok((gauges, dlq_error)) => {
                if let Some(e) = dlq_error {
                    shared.metrics.api_error("queue-attributes");
                    tracing::warn!(error = %e, "dead-letter queue depth unavailable");
                }
                shared.metrics.set_queue(gauges);
            }
            Err(e) => {
                shared.metrics.api_error("queue-attributes");
                tracing::warn!(error = %e, "queue depth unavailable");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(shared.options.queue_poll_interval) => {}
            () = stop.cancelled() => return,
        }
    }
}

pub(super) async fn sampler(shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        shared.metrics.sample();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// With `stop_when_idle`: a graceful stop once the queue shows nothing visible
/// and nothing in flight but the messages this run kept, nothing is held here,
/// and nothing arrived for that long. Kept messages (foreign events, the fail
/// policy) come back after their visibility timeout, to a later run or to the
/// dead-letter queue; waiting for them would only spend their receive counts.
pub(super) async fn idle_watch(shared: Arc<Shared>, stop: CancellationToken) {
    let Some(idle) = shared.options.stop_when_idle else {
        return;
    };
    let mut explained = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            () = stop.cancelled() => return,
        }
        let quiet = shared
            .last_arrival
            .lock()
            .map(|t| t.elapsed() >= idle)
            .unwrap_or(false);
        let held = shared.leases.lock().await.held();
        // Nothing arrives and the messages held only wait for their file:
        // it is committed now rather than at its age.
        if quiet && held > 0 && held == shared.awaiting_file.load(Ordering::Relaxed) {
            if let Some(files) = shared.sink.shared_files() {
                let _ = tokio::task::spawn_blocking(move || files.commit_due(true)).await;
            }
            continue;
        }
        if !quiet || held > 0 {
            continue;
        }
        // Confirm with a fresh reading rather than the last gauge.
        let reading = depth(&shared.clients, &shared.options.queue_url).await;
        if let Err(e) = &reading {
            shared.metrics.api_error("queue-attributes");
            tracing::warn!(error = %e, "queue depth unavailable");
        }
        let kept = shared.leases.lock().await.kept_hidden(Instant::now());
        match reading {
            Ok(Depth {
                visible: 0,
                in_flight,
                ..
            }) if in_flight <= kept => {
                tracing::info!("queue idle: stopping");
                shared.control.shutdown.cancel();
                return;
            }
            Ok(Depth {
                visible: 0,
                in_flight,
                ..
            }) if !explained => {
                // Hidden messages this run does not hold: say whose they
                // may be, and why the idle stop waits for them.
                explained = true;
                let theirs = in_flight - kept;
                let (are, them) = if theirs == 1 {
                    ("is", "it")
                } else {
                    ("are", "them")
                };
                shared.metrics.set_alert(Some(format!(
                    "{} {are} in flight that this run does not hold: another consumer is processing {them}, or a run that stopped without handing {them} back; SQS makes {them} visible again within the visibility timeout ({} s) at most, and this run waits to consume {them} before it stops",
                    crate::words::count(theirs, "message"),
                    shared.options.visibility_timeout.as_secs(),
                )));
            }
            _ => {}
        }
    }
}
