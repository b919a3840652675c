//! The visibility of held messages: the heartbeat that extends it, and
//! handing messages back (visibility 0).

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::outbox::{Outbox, entry_denied};
use crate::aws::error::{ErrorKind, classify};
/// ChangeMessageVisibilityBatch on the run's queue (see [`crate::aws::observe::set_visibility`]).
async fn set_visibility(
    shared: &Shared,
    handles: &[String],
    secs: i32,
) -> crate::aws::observe::VisibilityResult {
    crate::aws::observe::set_visibility(
        &shared.clients.sqs,
        &shared.options.queue_url,
        handles,
        secs,
    )
    .await
}

/// Hands back the messages this run kept that are still hidden.
pub(super) async fn release_kept(shared: &Shared) {
    let _turn = shared.visibility.lock().await;
    let handles = shared.leases.lock().await.release_kept(Instant::now());
    return_handles(shared, &handles).await;
}

/// Hands back messages that arrived after a stop, once no receive is open
/// (held, and so kept hidden, until then).
pub(super) async fn release_unprocessed(
    shared: &Shared,
    messages: Vec<aws_sdk_sqs::types::Message>,
    outbox: &Outbox,
) {
    let handles: Vec<String> = messages
        .into_iter()
        .filter_map(|m| m.receipt_handle)
        .collect();
    if handles.is_empty() {
        return;
    }
    let metrics = &shared.metrics;
    metrics.add(&metrics.counters.messages_received, handles.len() as u64);
    let mut leases = shared.leases.lock().await;
    for handle in handles {
        leases.hold(handle.clone(), Instant::now());
        let _ = outbox.returns.send(handle);
    }
}

/// Makes held messages visible again at once, ten at a time, counting them as handed back.
pub(super) async fn return_handles(shared: &Shared, handles: &[String]) {
    let metrics = &shared.metrics;
    metrics.add(&metrics.counters.messages_returned, handles.len() as u64);
    for chunk in handles.chunks(10) {
        let released = set_visibility(shared, chunk, 0).await;
        match released {
            Ok(out) => {
                // Visible already (its visibility ran out): what a hand-back wants.
                let failed = out
                    .failed()
                    .iter()
                    .filter(|f| !f.code().contains("MessageNotInflight"))
                    .count();
                if failed > 0 {
                    metrics.api_error("release");
                    tracing::warn!(
                        count = failed,
                        "messages could not be released; they are delivered again after the visibility timeout"
                    );
                }
            }
            Err(e) => {
                metrics.api_error("release");
                tracing::warn!(error = %classify("sqs:ChangeMessageVisibilityBatch", &shared.options.queue_url, e), "release failed");
            }
        }
    }
}

/// Extends the visibility of every held message before half of it has passed.
pub(super) async fn heartbeat(shared: Arc<Shared>, stop: CancellationToken) {
    let timeout = shared.options.visibility_timeout;
    let tick = shared.leases.lock().await.tick();
    loop {
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = stop.cancelled() => return,
        }
        // No hand-back between choosing the messages and SQS taking their
        // extensions: one would be hidden again after it.
        let _turn = shared.visibility.lock().await;
        // The nearest deadlines first: under load, they cannot wait for the rest.
        let due = shared.leases.lock().await.due(Instant::now());
        if due.overdue > 0 {
            tracing::warn!(
                count = due.overdue,
                "held messages are past their visibility deadline: SQS may deliver them again"
            );
        }
        for chunk in due.handles.chunks(10) {
            let secs = i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX);
            // SQS counts the new timeout from when it took the call: no later than now.
            let asked = Instant::now();
            let result = set_visibility(&shared, chunk, secs).await;
            match result {
                Ok(out) => {
                    let mut leases = shared.leases.lock().await;
                    for ok in out.successful() {
                        if let Some(h) = ok.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                            leases.extended(h, asked);
                            shared
                                .metrics
                                .add(&shared.metrics.counters.visibility_extensions, 1);
                        }
                    }
                    if let Some(denied) = out
                        .failed()
                        .iter()
                        .find(|f| f.code().contains("AccessDenied"))
                    {
                        shared.metrics.api_error("visibility");
                        let e = entry_denied(
                            &shared.options.queue_url,
                            "sqs:ChangeMessageVisibility",
                            denied.code(),
                            denied.message(),
                        );
                        shared.refused("sqs:ChangeMessageVisibility", &e, "");
                        return;
                    }
                    for failed in out.failed() {
                        if let Some(h) =
                            failed.id().parse::<usize>().ok().and_then(|i| chunk.get(i))
                        {
                            shared.metrics.api_error("visibility");
                            if failed.code() == "ReceiptHandleIsInvalid"
                                || failed.code().contains("MessageNotInflight")
                            {
                                // Gone (deleted, or redelivered elsewhere): stop extending it.
                                leases.forget(h);
                            }
                        }
                    }
                }
                Err(e) => {
                    shared.metrics.api_error("visibility");
                    let e = classify("sqs:ChangeMessageVisibility", &shared.options.queue_url, e);
                    tracing::warn!(error = %e, "heartbeat failed");
                    if e.kind == ErrorKind::AccessDenied || e.kind == ErrorKind::Credentials {
                        shared.refused("sqs:ChangeMessageVisibility", &e, "");
                        return;
                    }
                }
            }
        }
    }
}
