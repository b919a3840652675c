//! One message: its objects into the sink, the sink retried while it fails,
//! the wait for a shared file's commit, and what becomes of the message.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::fetch::{Fetched, fetch_and_decode};
use super::outbox::Outbox;
use super::{
    ConsumeOptions, Disposition, ErrorPolicy, ForeignPolicy, Known, ObjectId, Shared, sample_for,
};
use crate::consume::event::{self, Message, ObjectRef};
pub(super) async fn finish(
    shared: &Shared,
    handle: String,
    message_id: &str,
    disposition: Disposition,
    outbox: &Outbox,
) {
    match disposition {
        Disposition::Delete => {
            shared.leases.lock().await.forget(&handle);
            let _ = outbox.deletes.send(handle);
        }
        Disposition::Keep => {
            shared
                .leases
                .lock()
                .await
                .keep(message_id, handle, Instant::now());
            shared
                .metrics
                .add(&shared.metrics.counters.messages_kept, 1);
        }
        // Visible again once no receive is open, ten at a time with the
        // others being handed back; held (kept hidden) until then.
        Disposition::Release | Disposition::SinkFailed(_) => {
            let _ = outbox.returns.send(handle);
        }
    }
}

/// One message, with the sink retried while it fails (full, read-only):
/// the message stays held (the heartbeat extends it) and nothing new is
/// received, for up to `sink_retry`; then the run ends with the error and
/// the message is released. A sink failure is not the message's fault: it
/// must not spend the message's receives.
pub(super) async fn process_with_retries(
    shared: &Arc<Shared>,
    message: &aws_sdk_sqs::types::Message,
    slot: &mut Slot,
) -> Disposition {
    let mut wait = Duration::from_millis(500);
    loop {
        // A retry after waiting for a shared file takes a slot again.
        if !slot.take().await {
            return Disposition::Release;
        }
        let disposition = process(shared, message, slot).await;
        let Disposition::SinkFailed(error) = disposition else {
            if matches!(disposition, Disposition::Delete)
                && let Ok(mut trouble) = shared.sink_trouble.lock()
                && trouble.take().is_some()
            {
                tracing::info!("the sink works again: receiving resumes");
                shared.metrics.set_alert(None);
            }
            return disposition;
        };
        let since = {
            let Ok(mut trouble) = shared.sink_trouble.lock() else {
                return Disposition::Release;
            };
            trouble
                .get_or_insert_with(|| (Instant::now(), error.clone()))
                .0
        };
        let failing = since.elapsed();
        if failing >= shared.options.sink_retry {
            shared.fail(format!(
                "the sink kept failing for {} s: {error}; held messages were handed back, and records are counted only once durably in the sink",
                failing.as_secs()
            ));
            return Disposition::Release;
        }
        shared.metrics.set_alert(Some(format!(
            "sink failing: {error}; receiving is paused, retrying for up to {} s more",
            (shared.options.sink_retry - failing).as_secs()
        )));
        let jitter = rand::rng().random_range(0.8..1.2);
        tokio::select! {
            () = tokio::time::sleep(wait.mul_f64(jitter)) => {}
            () = shared.control.shutdown.cancelled() => return Disposition::Release,
            () = shared.control.abort.cancelled() => return Disposition::Release,
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// One message: every object it announces, into one sink writer. An abort
/// stops it before its commit; once the commit has begun it runs to the end,
/// so what is durably in the sink is deleted, never handed back.
async fn process(
    shared: &Arc<Shared>,
    message: &aws_sdk_sqs::types::Message,
    slot: &mut Slot,
) -> Disposition {
    let metrics = &shared.metrics;
    let counters = &metrics.counters;
    let fail = shared.options.on_decode_error == ErrorPolicy::Fail;
    let body = message.body().unwrap_or_default();
    let message_id = message.message_id().unwrap_or_default();
    if shared.control.abort.is_cancelled() {
        return Disposition::Release;
    }
    let (objects, ignored) = match event::parse(body) {
        Ok(Message::TestEvent) => {
            metrics.add(&counters.test_events, 1);
            return Disposition::Delete;
        }
        Ok(Message::Objects { objects, ignored }) => (objects, ignored),
        Err(reason) => return malformed(shared, message, &reason),
    };
    metrics.add(&counters.records_ignored, ignored as u64);
    let mut writer = match shared.sink.writer() {
        Ok(w) => w,
        Err(e) => {
            metrics.api_error("sink");
            tracing::error!(error = %e, "cannot open the sink");
            return Disposition::SinkFailed(e.to_string());
        }
    };
    let mut written = Vec::new();
    let mut in_other_files = Vec::new();
    let mut records = 0u64;
    let mut keep = false;
    let mut foreign = false;
    for object in objects {
        if let Some(why) = foreign_reason(&shared.options, &object) {
            metrics.add(&counters.objects_skipped, 1);
            let mut sample = sample_for(Some(&object), &why, None, None);
            sample.message_id = message_id.to_owned();
            metrics.error(sample);
            tracing::warn!(bucket = %object.bucket, key = %object.key, %why, "not fetched");
            foreign = true;
            continue;
        }
        let id = object.identity();
        if shared.seen.lock().map(|s| s.contains(&id)).unwrap_or(false) {
            metrics.add(&counters.objects_duplicate, 1);
            continue;
        }
        // Its records wait in a shared file: this message waits for it too.
        let open = shared
            .in_open_file
            .lock()
            .ok()
            .and_then(|o| o.get(&id).cloned());
        if let Some(commit) = open {
            in_other_files.push(commit);
            continue;
        }
        let (back, result) = fetch_and_decode(shared, &object, message_id, writer).await;
        writer = back;
        match result {
            Fetched::Ok { errors, records: n } => {
                records += n;
                if let Some(lag) = object.event_time.as_deref().and_then(lag_secs) {
                    metrics.lag(lag);
                }
                if errors > 0 && fail {
                    metrics.add(&counters.fail_policy_errors, 1);
                    keep = true;
                }
                written.push(id);
            }
            Fetched::NotFound => {
                // Counted and named, never passed over in silence: the
                // message goes (nothing of it can be read again), the
                // object is in the dashboard's errors and the log.
                metrics.add(&counters.objects_not_found, 1);
                let what = match &object.version_id {
                    Some(version) => format!(
                        "s3://{}/{} version {version} is gone (the version was deleted before it was read): nothing to write",
                        object.bucket, object.key
                    ),
                    None => format!(
                        "s3://{}/{} is gone (deleted before it was read): nothing to write",
                        object.bucket, object.key
                    ),
                };
                tracing::warn!(message_id, "{what}");
                let mut sample = sample_for(Some(&object), &what, None, None);
                sample.message_id = message_id.to_owned();
                metrics.error(sample);
            }
            Fetched::Transient => keep = true,
            Fetched::SinkFailed(error) => {
                writer.abort();
                return Disposition::SinkFailed(error);
            }
            Fetched::Undecodable { records: n } => {
                records += n;
                metrics.add(&counters.objects_failed, 1);
                if fail {
                    metrics.add(&counters.fail_policy_errors, 1);
                    keep = true;
                }
            }
            Fetched::Stopped => {
                writer.abort();
                return Disposition::Release;
            }
        }
        if keep {
            break;
        }
    }
    if foreign && shared.options.on_foreign_event == ForeignPolicy::Keep {
        keep = true;
    }
    if keep {
        writer.abort();
        return Disposition::Keep;
    }
    if shared.control.abort.is_cancelled() {
        writer.abort();
        return Disposition::Release;
    }
    // The run ended (deletes or visibility refused, credentials gone):
    // nothing more is written; the message becomes visible again.
    if shared.failed() {
        writer.abort();
        return Disposition::Keep;
    }
    // From here on the message is finished whatever stops the run.
    let committed = if writer.commit_is_trivial() {
        let r = writer.commit_shared();
        Ok((writer, r))
    } else {
        tokio::task::spawn_blocking(move || {
            let r = writer.commit_shared();
            (writer, r)
        })
        .await
    };
    let committed = match committed {
        // In a shared file: the slot is free for other messages while this
        // one waits, held, for the file's commit (and for the files holding
        // the objects it shares with other messages).
        Ok((writer, Ok(ticket))) if ticket.is_some() || !in_other_files.is_empty() => {
            slot.release();
            shared.awaiting_file.fetch_add(1, Ordering::Relaxed);
            let durable = wait_for_files(shared, ticket, &written, in_other_files).await;
            shared.awaiting_file.fetch_sub(1, Ordering::Relaxed);
            Ok((writer, durable.map_err(std::io::Error::other)))
        }
        Ok((writer, r)) => Ok((writer, r.map(|_| ()))),
        Err(e) => Err(e),
    };
    match committed {
        Ok((_, Ok(()))) => {
            metrics.add(&counters.records, records);
            metrics.add(&counters.objects_ok, written.len() as u64);
            if let Ok(mut seen) = shared.seen.lock() {
                for id in written {
                    seen.insert(id);
                }
            }
            if let Ok(mut committed) = shared.committed.lock() {
                committed.insert(message_id.to_owned());
            }
            Disposition::Delete
        }
        Ok((_, Err(e))) => {
            metrics.api_error("sink");
            tracing::error!(error = %e, "sink commit failed: the message is held while the sink is retried");
            Disposition::SinkFailed(e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "sink commit task failed");
            Disposition::SinkFailed(e.to_string())
        }
    }
}

/// Waits for the commit of the shared file holding a message's records
/// (`ticket`, for the objects `written`), telling other messages that
/// announce those objects how it went, then for the files holding the
/// objects it shares with earlier messages (`others`; each counted as a
/// duplicate once durable).
async fn wait_for_files(
    shared: &Shared,
    ticket: Option<crate::consume::sink::Ticket>,
    written: &[ObjectId],
    others: Vec<tokio::sync::watch::Receiver<Option<bool>>>,
) -> Result<(), String> {
    let mut durable = Ok(());
    if let Some(ticket) = ticket {
        let (tx, rx) = tokio::sync::watch::channel(None);
        if let Ok(mut open) = shared.in_open_file.lock() {
            // Only objects known by version or ETag, as in `Seen`.
            for id in written.iter().filter(|id| id.known()) {
                open.insert(id.clone(), rx.clone());
            }
        }
        durable = ticket.wait().await;
        let _ = tx.send(Some(durable.is_ok()));
        if let Ok(mut open) = shared.in_open_file.lock() {
            for id in written {
                // Unless a later message's file holds it by now.
                if open.get(id).is_some_and(|r| r.same_channel(&rx)) {
                    open.remove(id);
                }
            }
        }
        if durable.is_ok()
            && let Ok(mut seen) = shared.seen.lock()
        {
            for id in written {
                seen.insert(id.clone());
            }
        }
    }
    for mut other in others {
        let ok = matches!(
            other.wait_for(Option::is_some).await.map(|v| *v),
            Ok(Some(true))
        );
        if !ok {
            durable = durable.and(Err(
                "an object of this message was in a sink file that failed".to_owned(),
            ));
        } else {
            shared
                .metrics
                .add(&shared.metrics.counters.objects_duplicate, 1);
        }
    }
    durable
}

/// A message's processing slot: given up while the message only waits for
/// a shared sink file's commit, taken again for a retry.
pub(super) struct Slot {
    pub(super) permit: Option<OwnedSemaphorePermit>,
    pub(super) slots: Arc<Semaphore>,
}

impl Slot {
    /// Holds a slot (waiting for one if it was given up); `false` when the
    /// slots are gone.
    async fn take(&mut self) -> bool {
        if self.permit.is_none() {
            match self.slots.clone().acquire_owned().await {
                Ok(p) => self.permit = Some(p),
                Err(_) => return false,
            }
        }
        true
    }

    pub(super) fn release(&mut self) {
        self.permit = None;
    }
}

/// Why an object is not the stack's to fetch, if it is not.
fn foreign_reason(options: &ConsumeOptions, object: &ObjectRef) -> Option<String> {
    if let Some(bucket) = &options.bucket
        && object.bucket != *bucket
    {
        return Some(format!(
            "the event is for bucket {}, not the stack's bucket {bucket}: not fetched",
            object.bucket
        ));
    }
    (!event::in_scope(&object.key, &options.prefix, &options.suffix)).then(|| {
        format!(
            "the key is outside the prefix `{}` and suffix `{}`: not fetched",
            options.prefix, options.suffix
        )
    })
}

/// A message that is not an event sluice understands: counted, shown with
/// its id, written to the quarantine (durably, before it is deleted) or, without
/// one, its body's start logged; then kept (fail policy) or deleted.
fn malformed(shared: &Shared, message: &aws_sdk_sqs::types::Message, reason: &str) -> Disposition {
    let metrics = &shared.metrics;
    let counters = &metrics.counters;
    let body = message.body().unwrap_or_default();
    let message_id = message.message_id().unwrap_or_default();
    metrics.add(&counters.messages_unparseable, 1);
    let mut sample = sample_for(None, reason, None, None);
    sample.message_id = message_id.to_owned();
    metrics.error(sample);
    let fail = shared.options.on_decode_error == ErrorPolicy::Fail;
    match &shared.options.quarantine {
        Some(q) => {
            let attributes: serde_json::Map<String, serde_json::Value> = message
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), serde_json::Value::String(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            if let Err(e) = q.write_message(message_id, body, &attributes, reason) {
                tracing::error!(error = %e, "cannot quarantine a malformed message: it is kept");
                return Disposition::Keep;
            }
            metrics.add(&counters.messages_quarantined, 1);
        }
        None => {
            let start: String = body.chars().take(1024).collect();
            tracing::warn!(%reason, message_id, body = %start, "unparseable message");
        }
    }
    if fail {
        metrics.add(&counters.fail_policy_errors, 1);
        return Disposition::Keep;
    }
    Disposition::Delete
}

fn lag_secs(event_time: &str) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(event_time).ok()?;
    let ms = chrono::Utc::now()
        .signed_duration_since(t)
        .num_milliseconds();
    Some(ms as f64 / 1000.0)
}
