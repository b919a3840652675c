//! The receivers: long-polling while processing slots are free, and a
//! task for each message received (a second copy of a message in hand waits
//! for the first).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::outbox::Outbox;
use super::process::{Slot, finish, process_with_retries};
use super::visibility::release_unprocessed;
use super::{Disposition, Shared, kind_name};
use crate::aws::error::{ErrorKind, classify};
/// Errors in a row after which they are shown as an alert.
const REPEATED: u32 = 3;

/// The longest a receiver waits for more free slots before polling.
const BATCH_WAIT: Duration = Duration::from_millis(20);

/// Takes messages while slots are free; returns the message tasks it started.
pub(super) async fn receive_loop(
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
    outbox: Outbox,
) -> Vec<tokio::task::JoinHandle<()>> {
    let control = &shared.control;
    let mut tasks = Vec::new();
    let mut backoff = Duration::from_millis(200);
    let mut failures = 0u32;
    loop {
        tasks.retain(|t: &tokio::task::JoinHandle<()>| !t.is_finished());
        if control.shutdown.is_cancelled() || control.abort.is_cancelled() {
            break;
        }
        if control.paused.load(Ordering::Relaxed) || shared.sink_trouble() {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(200)) => continue,
                () = control.shutdown.cancelled() => break,
            }
        }
        // Wait for one free slot, then take every other free one, up to 10.
        let first = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = control.shutdown.cancelled() => break,
        };
        let mut permits = vec![first];
        while permits.len() < 10 {
            match slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        // Slots free up one by one as messages finish; a short wait for a
        // fuller batch means fewer ReceiveMessage calls per message (SQS bills
        // per request) for at most BATCH_WAIT of extra latency.
        let want = shared.options.concurrency.clamp(1, 10);
        if permits.len() < want {
            let deadline = Instant::now() + BATCH_WAIT;
            while permits.len() < want {
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => permits.push(p),
                        Err(_) => break,
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                    () = control.shutdown.cancelled() => break,
                }
            }
            if control.shutdown.is_cancelled() {
                break;
            }
        }
        let request = shared
            .clients
            .sqs
            .receive_message()
            .queue_url(&shared.options.queue_url)
            .max_number_of_messages(permits.len() as i32)
            .wait_time_seconds(shared.options.wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .customize()
            .config_override(shared.clients.long_poll(shared.options.wait_secs))
            .send();
        // A stop, even one that must be quick, lets the open long-poll
        // return rather than dropping it: SQS may already have handed
        // messages to a dropped poll, and those would stay hidden for the
        // whole visibility timeout. The poll returns as soon as it has a
        // message, and at most after its wait; what it brings after the
        // stop is handed back at once.
        let wait = Duration::from_secs(u64::try_from(shared.options.wait_secs).unwrap_or(0));
        shared.metrics.poll_opened(wait);
        let received = request.await;
        shared.metrics.poll_closed();
        if control.shutdown.is_cancelled() || control.abort.is_cancelled() {
            if let Ok(out) = received {
                release_unprocessed(&shared, out.messages.unwrap_or_default(), &outbox).await;
            }
            break;
        }
        let messages = match received {
            Ok(out) => {
                backoff = Duration::from_millis(200);
                if failures >= REPEATED {
                    shared.metrics.set_alert(None);
                }
                failures = 0;
                out.messages.unwrap_or_default()
            }
            Err(e) => {
                let e = classify("sqs:ReceiveMessage", &shared.options.queue_url, e);
                shared.metrics.api_error(kind_name(e.kind));
                tracing::warn!(error = %e, "receive failed");
                if e.kind == ErrorKind::NotFound {
                    shared.fail(format!(
                        "the queue {} does not exist any more (deleted, or the endpoint lost it): {e}",
                        shared.options.queue_url
                    ));
                    break;
                }
                failures += 1;
                // A refusal that retrying cannot mend (credentials get a few
                // tries: a provider may renew them in the meantime).
                if e.kind == ErrorKind::AccessDenied
                    || (e.kind == ErrorKind::Credentials && failures >= REPEATED)
                {
                    shared.refused("sqs:ReceiveMessage", &e, "");
                    break;
                }
                if failures >= REPEATED {
                    shared.metrics.set_alert(Some(format!(
                        "receiving failed {failures} times in a row, retrying with backoff: {e}"
                    )));
                }
                let jitter = rand::rng().random_range(0.5..1.5);
                let wait = backoff.mul_f64(jitter);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = control.shutdown.cancelled() => break,
                }
                continue;
            }
        };
        // A message this run kept before, back after its visibility timeout,
        // is not an arrival: the idle stop does not wait on it.
        let new = shared
            .leases
            .lock()
            .await
            .arrival(messages.iter().map(|m| m.message_id()));
        if !messages.is_empty()
            && new
            && let Ok(mut last) = shared.last_arrival.lock()
        {
            *last = Instant::now();
        }
        for message in messages {
            let Some(permit) = permits.pop() else { break };
            let mut slot = Slot {
                permit: Some(permit),
                slots: slots.clone(),
            };
            let Some(handle) = message.receipt_handle.clone() else {
                continue;
            };
            shared
                .metrics
                .add(&shared.metrics.counters.messages_received, 1);
            shared.metrics.message_taken();
            shared
                .leases
                .lock()
                .await
                .hold(handle.clone(), Instant::now());
            let hand = take_in_hand(&shared, message.message_id());
            let (shared, outbox) = (shared.clone(), outbox.clone());
            tasks.push(tokio::spawn(async move {
                let committed = message.message_id().is_some_and(|id| {
                    shared
                        .committed
                        .lock()
                        .map(|c| c.contains(&id.to_owned()))
                        .unwrap_or(false)
                });
                let disposition = match &hand {
                    // Its records are in the sink already: delete it, write nothing.
                    _ if committed => {
                        shared
                            .metrics
                            .add(&shared.metrics.counters.objects_duplicate, 1);
                        Disposition::Delete
                    }
                    InHand::Copy(first) => {
                        slot.release();
                        let id = message.message_id().unwrap_or_default();
                        copy_of(&shared, id, first.clone()).await
                    }
                    InHand::First(_) | InHand::Unnamed => {
                        process_with_retries(&shared, &message, &mut slot).await
                    }
                };
                // The first copy's fate, however it was decided, is its copies'.
                if let InHand::First(outcome) = hand {
                    if let Some(id) = message.message_id()
                        && let Ok(mut hand) = shared.in_hand.lock()
                    {
                        hand.remove(id);
                    }
                    let _ = outcome.send(Some(disposition.clone()));
                }
                let id = message.message_id().unwrap_or_default();
                finish(&shared, handle, id, disposition, &outbox).await;
                shared.metrics.message_done();
                drop(slot);
            }));
        }
        // Unused permits go back as `permits` drops.
    }
    tasks
}

/// A received message against those in hand.
enum InHand {
    /// The only copy in hand: what becomes of it is sent here.
    First(tokio::sync::watch::Sender<Option<Disposition>>),
    /// A second copy of a message in hand: it waits for the first.
    Copy(tokio::sync::watch::Receiver<Option<Disposition>>),
    /// No message id to tell copies apart by.
    Unnamed,
}

/// Marks a message as in hand, or finds the copy already in hand.
fn take_in_hand(shared: &Shared, message_id: Option<&str>) -> InHand {
    let Some(id) = message_id else {
        return InHand::Unnamed;
    };
    let Ok(mut hand) = shared.in_hand.lock() else {
        return InHand::Unnamed;
    };
    if let Some(first) = hand.get(id)
        && first.has_changed().is_ok()
    {
        return InHand::Copy(first.clone());
    }
    let (tx, rx) = tokio::sync::watch::channel(None);
    hand.insert(id.to_owned(), rx);
    InHand::First(tx)
}

/// A second copy of a message in hand shares the first copy's fate: deleted
/// when the first's records are durable (nothing written twice), kept or
/// handed back with it.
async fn copy_of(
    shared: &Shared,
    message_id: &str,
    mut first: tokio::sync::watch::Receiver<Option<Disposition>>,
) -> Disposition {
    // Waiting on the first, which may wait for a shared file: nothing here
    // keeps the idle stop from committing it.
    shared.awaiting_file.fetch_add(1, Ordering::Relaxed);
    let outcome = first.wait_for(Option::is_some).await.map(|d| d.clone());
    shared.awaiting_file.fetch_sub(1, Ordering::Relaxed);
    tracing::info!(
        message_id,
        "SQS delivered a second copy of a message in hand: it goes the way of the first"
    );
    match outcome {
        Ok(Some(Disposition::Delete)) => {
            shared
                .metrics
                .add(&shared.metrics.counters.objects_duplicate, 1);
            Disposition::Delete
        }
        Ok(Some(Disposition::Keep)) => Disposition::Keep,
        // Handed back, or the first's task ended without saying.
        _ => Disposition::Release,
    }
}
