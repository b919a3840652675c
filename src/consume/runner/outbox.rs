//! Where finished messages go: the outbox, the batching of receipt handles,
//! and the deleter (DeleteMessageBatch, its retries and refusals).

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use tokio::sync::mpsc;

use super::Shared;
use crate::aws::error::{ErrorKind, classify};
use crate::consume::metrics::Metrics;
/// Deletes finished messages in batches of up to 10, retrying failed entries.
/// Where finished messages go: deleted, or handed back to the queue; each
/// ten at a time (or what arrived within 50 ms).
#[derive(Clone)]
pub(super) struct Outbox {
    pub(super) deletes: mpsc::UnboundedSender<String>,
    pub(super) returns: mpsc::UnboundedSender<String>,
}

/// Receipt handles from `rx`, given to `each` ten at a time, or as many as
/// arrived within 50 ms of the first; ends when every sender is gone.
pub(super) async fn in_batches<F, Fut>(mut rx: mpsc::UnboundedReceiver<String>, mut each: F)
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut batch: Vec<String> = Vec::new();
    loop {
        let more = if batch.is_empty() {
            rx.recv().await
        } else {
            tokio::time::timeout(Duration::from_millis(50), rx.recv())
                .await
                .unwrap_or(None)
        };
        match more {
            Some(handle) => {
                batch.push(handle);
                if batch.len() < 10 {
                    continue;
                }
            }
            None if batch.is_empty() => {
                if rx.is_closed() {
                    return;
                }
                continue;
            }
            None => {}
        }
        each(std::mem::take(&mut batch)).await;
    }
}

pub(super) async fn delete_batch(shared: &Shared, handles: Vec<String>) {
    let sqs = SqsDeletes {
        sqs: &shared.clients.sqs,
        queue_url: &shared.options.queue_url,
    };
    if let Err(Refused { error, count }) = delete_retrying(&sqs, &shared.metrics, handles).await {
        delete_refused(shared, &error, count);
    }
}

/// The DeleteMessageBatch call the deleter makes, on the run's queue.
pub(super) trait DeleteMessages {
    fn queue_url(&self) -> &str;
    async fn delete(
        &self,
        entries: Vec<DeleteMessageBatchRequestEntry>,
    ) -> Result<DeleteMessageBatchOutput, crate::aws::AwsError>;
}

/// [`DeleteMessages`] with the AWS SDK.
struct SqsDeletes<'a> {
    sqs: &'a aws_sdk_sqs::Client,
    queue_url: &'a str,
}

impl DeleteMessages for SqsDeletes<'_> {
    fn queue_url(&self) -> &str {
        self.queue_url
    }

    async fn delete(
        &self,
        entries: Vec<DeleteMessageBatchRequestEntry>,
    ) -> Result<DeleteMessageBatchOutput, crate::aws::AwsError> {
        self.sqs
            .delete_message_batch()
            .queue_url(self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify("sqs:DeleteMessage", self.queue_url, e))
    }
}

/// Deleting was refused: the error, and how many messages it left undeleted.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) error: crate::aws::AwsError,
    pub(super) count: usize,
}

/// Deletes `handles` (up to 10), retrying the entries that failed for up to
/// four attempts; a message is counted as deleted only once SQS says so.
/// An entry whose receipt handle is invalid is left (SQS delivers the message
/// again), as is one SQS keeps failing; a refusal (access denied, or
/// credentials that keep failing) ends the batch, for the run to stop.
pub(super) async fn delete_retrying(
    sqs: &impl DeleteMessages,
    metrics: &Metrics,
    handles: Vec<String>,
) -> Result<(), Refused> {
    let mut pending: Vec<(String, String)> = handles
        .into_iter()
        .enumerate()
        .map(|(i, h)| (i.to_string(), h))
        .collect();
    for attempt in 0..4 {
        if pending.is_empty() {
            return Ok(());
        }
        let entries = pending
            .iter()
            .filter_map(|(id, h)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(id)
                    .receipt_handle(h)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        match sqs.delete(entries).await {
            Ok(out) => {
                let ok: HashSet<&str> = out.successful().iter().map(|s| s.id()).collect();
                metrics.add(&metrics.counters.messages_deleted, ok.len() as u64);
                let mut retry = Vec::new();
                if let Some(denied) = out
                    .failed()
                    .iter()
                    .find(|f| f.code().contains("AccessDenied"))
                {
                    return Err(Refused {
                        error: entry_denied(
                            sqs.queue_url(),
                            "sqs:DeleteMessage",
                            denied.code(),
                            denied.message(),
                        ),
                        count: out.failed().len(),
                    });
                }
                for f in out.failed() {
                    if f.code() == "ReceiptHandleIsInvalid" || !f.sender_fault() && attempt == 3 {
                        metrics.api_error("delete");
                        tracing::warn!(
                            code = f.code(),
                            "a message could not be deleted; it will be delivered again"
                        );
                    } else if let Some(entry) = pending.iter().find(|(id, _)| id == f.id()) {
                        retry.push(entry.clone());
                    }
                }
                pending = retry
                    .into_iter()
                    .filter(|(id, _)| !ok.contains(id.as_str()))
                    .collect();
            }
            Err(e) => {
                metrics.api_error("delete");
                tracing::warn!(error = %e, "delete failed; retrying");
                if e.kind == ErrorKind::AccessDenied
                    || (e.kind == ErrorKind::Credentials && attempt >= 2)
                {
                    return Err(Refused {
                        error: e,
                        count: pending.len(),
                    });
                }
            }
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
    }
    if !pending.is_empty() {
        tracing::warn!(
            count = pending.len(),
            "messages could not be deleted; they will be delivered again"
        );
    }
    Ok(())
}

/// A batch entry refused with AccessDenied, as the error of `action`.
pub(super) fn entry_denied(
    queue_url: &str,
    action: &'static str,
    code: &str,
    message: Option<&str>,
) -> crate::aws::AwsError {
    crate::aws::AwsError {
        action,
        resource: queue_url.to_owned(),
        kind: ErrorKind::AccessDenied,
        code: Some(code.to_owned()),
        message: message.unwrap_or("access denied").to_owned(),
    }
}

/// The run stops: `count` messages whose records are in the sink could not be deleted.
fn delete_refused(shared: &Shared, e: &crate::aws::AwsError, count: usize) {
    shared.refused(
        "sqs:DeleteMessage",
        e,
        &format!(
            ", since each message it cannot delete comes back and would be written again; the records of {} are in the sink, and a later run writes them again unless they are deleted",
            crate::words::count(count, "undeleted message")
        ),
    );
}
