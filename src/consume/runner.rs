//! The consumer: SQS long-poll → parse → S3 GetObject (streamed) →
//! decompress + decode → sink → commit → delete. At least once: a message is
//! deleted only after every record of every object it announces is durably
//! in the sink; anything else leaves it for SQS to deliver again.
//!
//! Shape: `receivers` long-polling tasks take messages only when processing
//! slots are free (a semaphore of `concurrency` permits), each message is
//! processed by its own task (decoding runs on the blocking pool), a
//! heartbeat extends the visibility of held messages before half of it has
//! passed, and a deleter batches DeleteMessageBatch calls.
//!
//! A sink that shares files between messages (the dir sink) commits a file
//! when it is full or old (`--max-file-age`): a message whose records went
//! into it gives up its processing slot and waits, still held (its
//! visibility extended), for that commit before it is deleted. The file
//! committer drives the age; a stop, or an idle queue with nothing else to
//! wait for, commits at once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use rand::Rng;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::decode::{
    DecodeOptions, ObjectError, ObjectInfo, RecordBatch, RecordError, RecordSink, decode,
};
use super::event::{self, Message, ObjectRef};
use super::leases::Leases;
use super::metrics::{ErrorSample, Metrics};
use super::monitor::{Depth, Target, depth, gauges};
use super::sink::{Quarantine, Sink, SinkWriter, source_fields, with_source};
use crate::aws::Clients;
use crate::aws::error::{ErrorKind, classify};

/// What to do with a message holding a record or object that does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Write the good records, count the bad ones, delete the message.
    Skip,
    /// Keep the message: SQS redelivers it and, after maxReceiveCount, moves it to the DLQ.
    Fail,
}

impl std::str::FromStr for ErrorPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "skip" => Ok(ErrorPolicy::Skip),
            "fail" => Ok(ErrorPolicy::Fail),
            other => Err(format!(
                "`{other}` is not an error policy: use skip or fail"
            )),
        }
    }
}

#[derive(Clone)]
pub struct ConsumeOptions {
    pub queue_url: String,
    pub dlq_url: Option<String>,
    /// Messages processed at once (and so the most held at once).
    pub concurrency: usize,
    /// Long-polls running at once.
    pub receivers: usize,
    pub wait_secs: i32,
    /// The queue's visibility timeout; held messages are extended by this much.
    pub visibility_timeout: Duration,
    pub on_decode_error: ErrorPolicy,
    pub quarantine: Option<Arc<Quarantine>>,
    pub add_source: bool,
    pub prefix: String,
    pub suffix: String,
    pub decode: DecodeOptions,
    /// Exit once the queue shows nothing visible or in flight and nothing arrived for this long.
    pub stop_when_idle: Option<Duration>,
    /// How long a graceful stop waits for messages being processed.
    pub grace: Duration,
    pub queue_poll_interval: Duration,
    /// How long a failing sink (full, read-only) is retried before the run
    /// ends with an error; meanwhile nothing new is received.
    pub sink_retry: Duration,
    /// The only bucket whose objects are fetched; `None` takes any bucket.
    pub bucket: Option<String>,
    /// What happens to a message announcing objects of another bucket, or
    /// outside the prefix/suffix (they are never fetched).
    pub on_foreign_event: ForeignPolicy,
}

/// What to do with a message announcing objects that are not the stack's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignPolicy {
    /// Leave it in the queue: SQS delivers it again and, after
    /// maxReceiveCount, moves it to the dead-letter queue, where it can be read.
    Keep,
    /// Delete it (it is counted and shown first).
    Delete,
}

impl std::str::FromStr for ForeignPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keep" => Ok(ForeignPolicy::Keep),
            "delete" => Ok(ForeignPolicy::Delete),
            other => Err(format!("`{other}` is not a policy: use keep or delete")),
        }
    }
}

/// How a run is steered from outside (signals, the dashboard).
#[derive(Clone, Default)]
pub struct Control {
    /// Stop receiving, finish or release what is held, flush, delete what finished.
    pub shutdown: CancellationToken,
    /// Stop now: release every held message (visibility 0).
    pub abort: CancellationToken,
    pub paused: Arc<AtomicBool>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub snapshot: super::metrics::Snapshot,
    /// Errors under the `fail` policy: the exit code reports them.
    pub fail_policy_errors: u64,
    /// What ended the run before it was asked to stop (the sink kept
    /// failing, the queue is gone), if anything did.
    pub fatal: Option<String>,
}

impl Outcome {
    /// Why the run counts as failed (a non-zero exit), in words, if it does.
    pub fn failure(&self) -> Option<String> {
        if let Some(fatal) = &self.fatal {
            return Some(fatal.clone());
        }
        (self.fail_policy_errors > 0).then(|| {
            format!(
                "{} kept under --on-decode-error fail; SQS delivers them again and, after maxReceiveCount, moves them to the dead-letter queue",
                crate::words::count(self.fail_policy_errors, "message")
            )
        })
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Disposition {
    Delete,
    /// Left invisible: SQS delivers it again after the visibility timeout.
    Keep,
    /// Made visible again now (shutdown).
    Release,
    /// The sink refused the records: not the message's fault. It stays held
    /// (its visibility extended) while the sink is retried.
    SinkFailed(String),
}

struct Shared {
    clients: Clients,
    options: ConsumeOptions,
    sink: Arc<dyn Sink>,
    metrics: Arc<Metrics>,
    control: Control,
    /// The messages held (receipt handles and their visibility deadlines),
    /// those kept, and those waiting to be handed back.
    leases: Mutex<Leases>,
    seen: std::sync::Mutex<Seen>,
    last_arrival: std::sync::Mutex<Instant>,
    /// Since when, and why, the sink has been failing (receiving waits).
    sink_trouble: std::sync::Mutex<Option<(Instant, String)>>,
    /// What ended the run early.
    fatal: std::sync::Mutex<Option<String>>,
    /// The messages whose records this run committed to the sink, by id
    /// (bounded): one received again (its delete failed) is deleted, never
    /// written a second time.
    committed: std::sync::Mutex<Seen<String>>,
    /// Held messages whose records wait for the commit of a shared sink file
    /// (or copies waiting on a first copy, which may).
    awaiting_file: std::sync::atomic::AtomicUsize,
    /// Objects whose records are in a shared sink file not yet committed,
    /// each with what its commit came to (`Some(true)`: durable): a message
    /// announcing one of them again waits for that, instead of writing it
    /// a second time.
    in_open_file: std::sync::Mutex<HashMap<ObjectId, tokio::sync::watch::Receiver<Option<bool>>>>,
    /// The messages in hand, by id, each with what became of it once known.
    /// SQS may hand out a second copy of a message while the first is held
    /// (at-least-once delivery); the copy waits for the first and shares its
    /// fate instead of writing the same records a second time.
    in_hand: std::sync::Mutex<HashMap<String, tokio::sync::watch::Receiver<Option<Disposition>>>>,
}

/// An object as `Seen` remembers it: bucket, key, version or ETag.
type ObjectId = (String, String, String);

impl Shared {
    fn sink_trouble(&self) -> bool {
        self.sink_trouble
            .lock()
            .map(|t| t.is_some())
            .unwrap_or(false)
    }

    /// Whether something ended the run.
    fn failed(&self) -> bool {
        self.fatal.lock().map(|f| f.is_some()).unwrap_or(true)
    }

    /// Ends the run when AWS refuses the consumer's own part of the work
    /// (`action` on the queue): a permission taken away, or credentials
    /// that expired or are unknown. Retrying cannot help, and going on
    /// would spend the messages' receives (and, with deletes refused, write
    /// their records again) for a failure that is not theirs. Nothing more is
    /// written; held messages go back, or become visible after the
    /// visibility timeout where SQS refuses that too.
    fn refused(&self, action: &str, e: &crate::aws::AwsError, consequence: &str) {
        let why = match e.credential_problem() {
            Some(_) => format!(
                "{e}: the consumer stops{consequence}; renew the credentials (AWS SSO: aws sso login) and run again"
            ),
            None => format!(
                "{action} is denied on the queue {} ({}): the consumer stops{consequence}; grant {action} to the consumer's identity and run again",
                self.options.queue_url, e.message
            ),
        };
        self.fail(format!(
            "{why}. Messages not yet written are handed back where SQS allows it; the others become visible again after the visibility timeout ({} s)",
            self.options.visibility_timeout.as_secs()
        ));
    }

    /// Ends the run with `why` (the first reason wins).
    fn fail(&self, why: String) {
        if let Ok(mut fatal) = self.fatal.lock()
            && fatal.is_none()
        {
            tracing::error!(%why, "the consumer stops");
            self.metrics.set_alert(Some(why.clone()));
            *fatal = Some(why);
        }
        self.control.shutdown.cancel();
    }
}

/// What this run has done, remembered to do it once (bounded): objects
/// written, to drop duplicate notifications; messages committed.
struct Seen<T = (String, String, String)> {
    set: HashSet<T>,
    order: VecDeque<T>,
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen {
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }
}

const SEEN_LIMIT: usize = 200_000;

/// An identity that may be unknown (empty): those are never remembered.
trait Known {
    fn known(&self) -> bool;
}

impl Known for (String, String, String) {
    fn known(&self) -> bool {
        !self.2.is_empty()
    }
}

impl Known for String {
    fn known(&self) -> bool {
        !self.is_empty()
    }
}

impl<T: Known + Eq + std::hash::Hash + Clone> Seen<T> {
    fn contains(&self, id: &T) -> bool {
        id.known() && self.set.contains(id)
    }
    fn insert(&mut self, id: T) {
        if !id.known() || !self.set.insert(id.clone()) {
            return;
        }
        self.order.push_back(id);
        if self.order.len() > SEEN_LIMIT
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
    }
}

/// Runs the consumer until `control` stops it (or the queue is idle, with
/// `stop_when_idle`).
pub async fn run(
    clients: Clients,
    options: ConsumeOptions,
    sink: Arc<dyn Sink>,
    metrics: Arc<Metrics>,
    control: Control,
) -> Outcome {
    let mut options = options;
    // A batch run that stops when idle polls no longer than its idle period,
    // so the poll still open when it stops (see `receive_loop`) returns soon.
    if let Some(idle) = options.stop_when_idle {
        let idle = i32::try_from(idle.as_secs()).unwrap_or(i32::MAX);
        options.wait_secs = idle.clamp(1, options.wait_secs.max(1));
    }
    let leases = Leases::new(options.visibility_timeout);
    let shared = Arc::new(Shared {
        clients,
        options,
        sink,
        metrics: metrics.clone(),
        control: control.clone(),
        leases: Mutex::new(leases),
        seen: std::sync::Mutex::new(Seen::default()),
        last_arrival: std::sync::Mutex::new(Instant::now()),
        committed: std::sync::Mutex::new(Seen::default()),
        awaiting_file: std::sync::atomic::AtomicUsize::new(0),
        in_open_file: std::sync::Mutex::new(HashMap::new()),
        in_hand: std::sync::Mutex::new(HashMap::new()),
        sink_trouble: std::sync::Mutex::new(None),
        fatal: std::sync::Mutex::new(None),
    });
    let slots = Arc::new(Semaphore::new(shared.options.concurrency.max(1)));
    let (delete_tx, delete_rx) = mpsc::unbounded_channel::<String>();
    let (return_tx, return_rx) = mpsc::unbounded_channel::<String>();
    let outbox = Outbox {
        deletes: delete_tx,
        returns: return_tx,
    };
    let background = CancellationToken::new();
    // No message goes back while a receive is open: an open long poll would
    // take it at once and spend one of its receives (maxReceiveCount) on a
    // stop or a sink failure that is not the message's. Until then the
    // heartbeat keeps it hidden.
    let receiving_done = CancellationToken::new();

    let deleter = tokio::spawn(in_batches(delete_rx, {
        let shared = shared.clone();
        move |batch| {
            let shared = shared.clone();
            async move { delete_batch(&shared, batch).await }
        }
    }));
    let returner = tokio::spawn(in_batches(return_rx, {
        let (shared, receiving_done) = (shared.clone(), receiving_done.clone());
        move |batch| {
            let (shared, receiving_done) = (shared.clone(), receiving_done.clone());
            async move {
                receiving_done.cancelled().await;
                let batch = shared.leases.lock().await.hand_back(batch);
                return_handles(&shared, &batch).await;
                shared.leases.lock().await.handed_back(&batch);
            }
        }
    }));
    let heartbeat = tokio::spawn(heartbeat(shared.clone(), background.clone()));
    let gauges = tokio::spawn(queue_gauges(shared.clone(), background.clone()));
    let sampler = tokio::spawn(sampler(shared.clone(), background.clone()));
    let idle = tokio::spawn(idle_watch(shared.clone(), background.clone()));
    let files = tokio::spawn(file_committer(shared.clone(), background.clone()));

    // The grace period starts with the stop: it bounds both the open
    // long-polls and the messages being processed.
    let finished = CancellationToken::new();
    let grace_timer = tokio::spawn({
        let (control, finished, grace) = (control.clone(), finished.clone(), shared.options.grace);
        async move {
            tokio::select! {
                () = control.shutdown.cancelled() => {}
                () = control.abort.cancelled() => return,
                () = finished.cancelled() => return,
            }
            tokio::select! {
                () = tokio::time::sleep(grace) => {
                    tracing::warn!("grace period over: releasing messages still being processed");
                    control.abort.cancel();
                }
                () = control.abort.cancelled() => {}
                () = finished.cancelled() => {}
            }
        }
    });

    let mut workers = tokio::task::JoinSet::new();
    let receivers: Vec<_> = (0..shared.options.receivers.max(1))
        .map(|_| {
            let (shared, slots, tx) = (shared.clone(), slots.clone(), outbox.clone());
            tokio::spawn(async move { receive_loop(shared, slots, tx).await })
        })
        .collect();
    for r in receivers {
        if let Ok(set) = r.await {
            for handle in set {
                workers.spawn(async move {
                    let _ = handle.await;
                });
            }
        }
    }
    shared.leases.lock().await.receiving_over();
    receiving_done.cancel();
    // Receiving stopped: held messages finish, or are released once the
    // grace period is over (the timer above turns the stop into an abort).
    while workers.join_next().await.is_some() {}
    finished.cancel();
    let _ = grace_timer.await;
    // Every worker task is done; messages are deleted, kept or released.
    drop(outbox);
    let _ = tokio::join!(deleter, returner);
    // The run ends: what it kept after an error goes back now, rather than
    // staying hidden for the rest of its visibility timeout.
    release_kept(&shared).await;
    background.cancel();
    let _ = tokio::join!(heartbeat, gauges, sampler, idle, files);
    metrics.sample();
    let snapshot = metrics.snapshot();
    let fatal = shared.fatal.lock().ok().and_then(|f| f.clone());
    Outcome {
        fail_policy_errors: snapshot.counters.fail_policy_errors,
        fatal,
        snapshot,
    }
}

/// Errors in a row after which they are shown as an alert.
const REPEATED: u32 = 3;

/// The longest a receiver waits for more free slots before polling.
const BATCH_WAIT: Duration = Duration::from_millis(20);

/// Takes messages while slots are free; returns the message tasks it started.
async fn receive_loop(
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

/// ChangeMessageVisibilityBatch on the run's queue (see [`crate::aws::observe::set_visibility`]).
async fn set_visibility(
    shared: &Shared,
    handles: &[String],
    secs: i32,
) -> Result<
    aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchOutput,
    aws_sdk_sqs::error::SdkError<
        aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchError,
    >,
> {
    crate::aws::observe::set_visibility(
        &shared.clients.sqs,
        &shared.options.queue_url,
        handles,
        secs,
    )
    .await
}

/// Hands back the messages this run kept that are still hidden.
async fn release_kept(shared: &Shared) {
    let handles = shared.leases.lock().await.release_kept(Instant::now());
    return_handles(shared, &handles).await;
}

/// Hands back messages that arrived after a stop, once no receive is open
/// (held, and so kept hidden, until then).
async fn release_unprocessed(
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
async fn return_handles(shared: &Shared, handles: &[String]) {
    let metrics = &shared.metrics;
    metrics.add(&metrics.counters.messages_returned, handles.len() as u64);
    for chunk in handles.chunks(10) {
        let released = set_visibility(shared, chunk, 0).await;
        match released {
            Ok(out) if out.failed().is_empty() => {}
            Ok(out) => {
                metrics.api_error("release");
                tracing::warn!(
                    count = out.failed().len(),
                    "messages could not be released; they are delivered again after the visibility timeout"
                );
            }
            Err(e) => {
                metrics.api_error("release");
                tracing::warn!(error = %classify("sqs:ChangeMessageVisibilityBatch", &shared.options.queue_url, e), "release failed");
            }
        }
    }
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "not-found",
        ErrorKind::AccessDenied => "access-denied",
        ErrorKind::Throttled => "throttled",
        ErrorKind::Credentials => "credentials",
        ErrorKind::Network => "network",
        ErrorKind::Other => "other",
    }
}

async fn finish(
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
async fn process_with_retries(
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
    ticket: Option<super::sink::Ticket>,
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
struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    slots: Arc<Semaphore>,
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

    fn release(&mut self) {
        self.permit = None;
    }
}

/// Commits the sink's shared file once it is as old as `--max-file-age`;
/// once the run stops, as soon as messages have written into it, and a last
/// time at the end (the messages waiting for it are deleted then).
async fn file_committer(shared: Arc<Shared>, stop: CancellationToken) {
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

fn sample_for(
    object: Option<&ObjectRef>,
    message: &str,
    index: Option<u64>,
    offset: Option<u64>,
) -> ErrorSample {
    ErrorSample {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        message_id: String::new(),
        bucket: object.map(|o| o.bucket.clone()).unwrap_or_default(),
        key: object.map(|o| o.key.clone()).unwrap_or_default(),
        record_index: index,
        byte_offset: offset,
        message: message.to_owned(),
    }
}

enum Fetched {
    Ok {
        errors: u64,
        /// Records written (committed with the message).
        records: u64,
    },
    /// The sink refused the records.
    SinkFailed(String),
    NotFound,
    /// Access denied, throttling, network: leave the message for a retry.
    Transient,
    /// The object does not decompress or frame (policy decides); the records
    /// before the fault were written and are committed with the message.
    Undecodable {
        records: u64,
    },
    /// Aborted by shutdown.
    Stopped,
}

/// The decoder's sink: counts, adds source fields, stops on abort.
struct Feed<'a> {
    writer: &'a mut dyn SinkWriter,
    fields: Option<Vec<u8>>,
    /// A batch with the source fields added, and one record of it.
    buffer: Vec<u8>,
    record: Vec<u8>,
    metrics: &'a Metrics,
    pending: u64,
    abort: &'a CancellationToken,
    stopped: bool,
}

impl RecordSink for Feed<'_> {
    fn records(&mut self, batch: RecordBatch<'_>) -> std::io::Result<()> {
        // Checking the token takes a lock: once a batch is often enough.
        if self.abort.is_cancelled() {
            self.stopped = true;
            return Err(std::io::Error::other("stopping"));
        }
        match &self.fields {
            Some(fields) => {
                self.buffer.clear();
                for json in batch.iter() {
                    with_source(json, fields, &mut self.record);
                    self.buffer.extend_from_slice(&self.record);
                    self.buffer.push(b'\n');
                }
                self.writer.records(&self.buffer)?;
            }
            None => self.writer.records(batch.as_ndjson())?,
        }
        self.pending += batch.len();
        if self.pending >= 1024 {
            self.metrics
                .add(&self.metrics.counters.records, self.pending);
            self.pending = 0;
        }
        Ok(())
    }
}

/// Objects up to this size are read whole before decoding; larger ones are
/// streamed. Reading small objects in one piece saves a thread hand-off per
/// body chunk, and memory stays bounded (concurrency × this).
const READ_WHOLE_MAX: u64 = 256 * 1024;

/// Objects up to this size are decoded on the runtime's own thread when
/// nothing in the decode can block (the null sink, no quarantine): a hand-off
/// to the blocking pool and back costs more than decoding them. The decode is
/// bounded by the decompression limits like any other.
const DECODE_INLINE_MAX: u64 = 64 * 1024;

async fn fetch_and_decode(
    shared: &Arc<Shared>,
    object: &ObjectRef,
    message_id: &str,
    writer: Box<dyn SinkWriter>,
) -> (Box<dyn SinkWriter>, Fetched) {
    let metrics = shared.metrics.clone();
    let request = shared
        .clients
        .s3
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        // The version the event names: a later write of the key, or a
        // delete marker over it, must not change what this event delivers.
        .set_version_id(object.version_id.clone())
        .send();
    let got = tokio::select! {
        got = request => got,
        () = shared.control.abort.cancelled() => return (writer, Fetched::Stopped),
    };
    let output = match got {
        Ok(o) => o,
        Err(e) => {
            let e = classify(
                "s3:GetObject",
                format!("s3://{}/{}", object.bucket, object.key),
                e,
            );
            if e.kind == ErrorKind::NotFound {
                return (writer, Fetched::NotFound);
            }
            metrics.api_error(kind_name(e.kind));
            if e.kind == ErrorKind::Credentials {
                shared.refused("s3:GetObject", &e, "");
                return (writer, Fetched::Stopped);
            }
            let mut sample = sample_for(Some(object), &e.to_string(), None, None);
            sample.message_id = message_id.to_owned();
            metrics.error(sample);
            tracing::warn!(error = %e, "fetch failed; the message is left for a retry");
            return (writer, Fetched::Transient);
        }
    };
    let size = output.content_length.and_then(|n| u64::try_from(n).ok());
    let job = DecodeJob {
        object: object.clone(),
        content_encoding: output.content_encoding.clone(),
        content_type: output.content_type.clone(),
        size,
        options: shared.options.decode.clone(),
        quarantine: shared.options.quarantine.clone(),
        fields: shared
            .options
            .add_source
            .then(|| source_fields(&object.bucket, &object.key, object.event_time.as_deref())),
        metrics,
        abort: shared.control.abort.clone(),
        message_id: message_id.to_owned(),
    };
    let joined = if size.is_some_and(|n| n <= READ_WHOLE_MAX) {
        let body = tokio::select! {
            body = output.body.collect() => body,
            () = shared.control.abort.cancelled() => return (writer, Fetched::Stopped),
        };
        match body {
            Ok(body) => {
                let bytes = body.into_bytes();
                let inline = bytes.len() as u64 <= DECODE_INLINE_MAX
                    && job.quarantine.is_none()
                    && !writer.record_may_block();
                if inline {
                    return job.run(std::io::Cursor::new(bytes), writer);
                }
                tokio::task::spawn_blocking(move || job.run(std::io::Cursor::new(bytes), writer))
                    .await
            }
            Err(e) => {
                let message = format!("reading the object failed: {e}");
                job.metrics.api_error("network");
                job.metrics
                    .error(sample_for(Some(&job.object), &message, None, None));
                tracing::warn!(error = %e, "object body failed; the message is left for a retry");
                return (writer, Fetched::Transient);
            }
        }
    } else {
        let reader = output.body.into_async_read();
        tokio::task::spawn_blocking(move || {
            job.run(tokio_util::io::SyncIoBridge::new(reader), writer)
        })
        .await
    };
    match joined {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(error = %e, "decode task failed");
            // The writer went down with the task; give the caller a fresh one to abort.
            match shared.sink.writer() {
                Ok(w) => (w, Fetched::Transient),
                Err(_) => (Box::new(Aborted), Fetched::Transient),
            }
        }
    }
}

/// Everything the blocking decode of one object needs.
struct DecodeJob {
    object: ObjectRef,
    content_encoding: Option<String>,
    content_type: Option<String>,
    size: Option<u64>,
    options: DecodeOptions,
    quarantine: Option<Arc<Quarantine>>,
    fields: Option<Vec<u8>>,
    metrics: Arc<Metrics>,
    abort: CancellationToken,
    message_id: String,
}

impl DecodeJob {
    /// Decodes the object's body into `writer`: on the blocking pool, or on
    /// the runtime's thread for a small object when nothing can block.
    fn run(
        self,
        reader: impl std::io::Read,
        mut writer: Box<dyn SinkWriter>,
    ) -> (Box<dyn SinkWriter>, Fetched) {
        let DecodeJob {
            object,
            content_encoding,
            content_type,
            size,
            options,
            quarantine,
            fields,
            metrics,
            abort,
            message_id,
        } = self;
        let sample = |message: &str, index: Option<u64>, offset: Option<u64>| {
            let mut s = sample_for(Some(&object), message, index, offset);
            s.message_id.clone_from(&message_id);
            s
        };
        let info = ObjectInfo {
            key: &object.key,
            content_encoding: content_encoding.as_deref(),
            content_type: content_type.as_deref(),
            size,
        };
        let mut errors = 0u64;
        let mut feed = Feed {
            writer: writer.as_mut(),
            fields,
            buffer: Vec::new(),
            record: Vec::new(),
            metrics: &metrics,
            pending: 0,
            abort: &abort,
            stopped: false,
        };
        let mut on_error = |e: RecordError| {
            errors += 1;
            metrics.add(&metrics.counters.decode_errors, 1);
            if errors <= 10 {
                metrics.error(sample(&e.message, Some(e.index), Some(e.offset)));
            }
            if let Some(q) = &quarantine
                && let Err(err) = q.write(
                    &object.bucket,
                    &object.key,
                    Some(e.index),
                    Some(e.offset),
                    &e.message,
                    &e.sample,
                )
            {
                tracing::error!(error = %err, "cannot write to the quarantine");
            }
        };
        let result = decode(reader, &info, &options, &mut feed, &mut on_error);
        // Counted once committed: the message's caller adds them then.
        let records = feed.pending;
        let stopped = feed.stopped;
        let fetched = match result {
            Ok(summary) => {
                metrics.add(&metrics.counters.bytes_compressed, summary.bytes_in);
                metrics.add(&metrics.counters.bytes_decompressed, summary.bytes_out);
                Fetched::Ok { errors, records }
            }
            Err(_) if stopped => Fetched::Stopped,
            Err(ObjectError::Source(e)) => {
                metrics.api_error("network");
                metrics.error(sample(
                    &format!("reading the object failed: {e}"),
                    None,
                    None,
                ));
                Fetched::Transient
            }
            Err(ObjectError::Sink(e)) => {
                metrics.api_error("sink");
                tracing::error!(error = %e, "sink write failed");
                Fetched::SinkFailed(e.to_string())
            }
            Err(e) => {
                metrics.add(&metrics.counters.decode_errors, 1);
                metrics.error(sample(&e.to_string(), None, None));
                if let Some(q) = &quarantine {
                    let _ = q.write(&object.bucket, &object.key, None, None, &e.to_string(), b"");
                }
                Fetched::Undecodable { records }
            }
        };
        (writer, fetched)
    }
}

/// A writer that accepts nothing (stands in when a decode task died).
struct Aborted;

impl SinkWriter for Aborted {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("aborted"))
    }
    fn commit(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("aborted"))
    }
    fn abort(&mut self) {}
}

/// Deletes finished messages in batches of up to 10, retrying failed entries.
/// Where finished messages go: deleted, or handed back to the queue; each
/// ten at a time (or what arrived within 50 ms).
#[derive(Clone)]
struct Outbox {
    deletes: mpsc::UnboundedSender<String>,
    returns: mpsc::UnboundedSender<String>,
}

/// Receipt handles from `rx`, given to `each` ten at a time, or as many as
/// arrived within 50 ms of the first; ends when every sender is gone.
async fn in_batches<F, Fut>(mut rx: mpsc::UnboundedReceiver<String>, mut each: F)
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

async fn delete_batch(shared: &Shared, handles: Vec<String>) {
    let sqs = SqsDeletes {
        sqs: &shared.clients.sqs,
        queue_url: &shared.options.queue_url,
    };
    if let Err(Refused { error, count }) = delete_retrying(&sqs, &shared.metrics, handles).await {
        delete_refused(shared, &error, count);
    }
}

/// The DeleteMessageBatch call the deleter makes, on the run's queue.
trait DeleteMessages {
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
struct Refused {
    error: crate::aws::AwsError,
    count: usize,
}

/// Deletes `handles` (up to 10), retrying the entries that failed for up to
/// four attempts; a message is counted as deleted only once SQS says so.
/// An entry whose receipt handle is invalid is left (SQS delivers the message
/// again), as is one SQS keeps failing; a refusal (access denied, or
/// credentials that keep failing) ends the batch, for the run to stop.
async fn delete_retrying(
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
fn entry_denied(
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

/// Extends the visibility of every held message before half of it has passed.
async fn heartbeat(shared: Arc<Shared>, stop: CancellationToken) {
    let timeout = shared.options.visibility_timeout;
    let tick = shared.leases.lock().await.tick();
    loop {
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = stop.cancelled() => return,
        }
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

/// Reads the queue's and the DLQ's depth every `queue_poll_interval`.
async fn queue_gauges(shared: Arc<Shared>, stop: CancellationToken) {
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

async fn sampler(shared: Arc<Shared>, stop: CancellationToken) {
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
async fn idle_watch(shared: Arc<Shared>, stop: CancellationToken) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, DeleteMessageBatchResultEntry};
    use std::sync::Mutex as StdMutex;

    /// What the fake queue answers to one DeleteMessageBatch call.
    enum Answer {
        /// These entries (id, code, sender fault) fail; every other succeeds.
        Failing(Vec<(&'static str, &'static str, bool)>),
        /// The call fails as a whole.
        Error(ErrorKind),
    }

    /// A queue that answers each call with the next scripted answer (once
    /// they run out, every entry succeeds) and remembers the entries asked.
    struct FakeDeletes {
        answers: StdMutex<VecDeque<Answer>>,
        calls: StdMutex<Vec<Vec<(String, String)>>>,
    }

    impl FakeDeletes {
        fn new(answers: Vec<Answer>) -> Self {
            FakeDeletes {
                answers: StdMutex::new(answers.into()),
                calls: StdMutex::new(Vec::new()),
            }
        }

        /// The entries of each call, as (id, receipt handle).
        fn calls(&self) -> Vec<Vec<(String, String)>> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl DeleteMessages for FakeDeletes {
        fn queue_url(&self) -> &str {
            "http://queue.test/000000000000/q"
        }

        async fn delete(
            &self,
            entries: Vec<DeleteMessageBatchRequestEntry>,
        ) -> Result<DeleteMessageBatchOutput, crate::aws::AwsError> {
            self.calls.lock().unwrap().push(
                entries
                    .iter()
                    .map(|e| (e.id().to_owned(), e.receipt_handle().to_owned()))
                    .collect(),
            );
            let failing = match self.answers.lock().unwrap().pop_front() {
                Some(Answer::Error(kind)) => {
                    return Err(crate::aws::AwsError {
                        action: "sqs:DeleteMessage",
                        resource: self.queue_url().to_owned(),
                        kind,
                        code: None,
                        message: "scripted".into(),
                    });
                }
                Some(Answer::Failing(failing)) => failing,
                None => Vec::new(),
            };
            let mut successful = Vec::new();
            let mut failed = Vec::new();
            for entry in &entries {
                match failing.iter().find(|(id, _, _)| *id == entry.id()) {
                    Some((id, code, sender_fault)) => failed.push(
                        BatchResultErrorEntry::builder()
                            .id(*id)
                            .code(*code)
                            .sender_fault(*sender_fault)
                            .build()
                            .unwrap(),
                    ),
                    None => successful.push(
                        DeleteMessageBatchResultEntry::builder()
                            .id(entry.id())
                            .build()
                            .unwrap(),
                    ),
                }
            }
            Ok(DeleteMessageBatchOutput::builder()
                .set_successful(Some(successful))
                .set_failed(Some(failed))
                .build()
                .unwrap())
        }
    }

    fn handles(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("h{i}")).collect()
    }

    fn ids(call: &[(String, String)]) -> Vec<&str> {
        call.iter().map(|(id, _)| id.as_str()).collect()
    }

    fn delete_errors(metrics: &Metrics) -> u64 {
        metrics
            .snapshot()
            .api_errors_by_kind
            .iter()
            .find(|(k, _)| k == "delete")
            .map_or(0, |(_, n)| *n)
    }

    #[tokio::test(start_paused = true)]
    async fn a_partial_failure_counts_only_the_deleted_and_retries_what_may_succeed() {
        let sqs = FakeDeletes::new(vec![Answer::Failing(vec![
            ("1", "ReceiptHandleIsInvalid", true),
            ("2", "InternalError", false),
        ])]);
        let metrics = Metrics::new();
        let result = delete_retrying(&sqs, &metrics, handles(4)).await;
        assert!(result.is_ok());
        let calls = sqs.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(ids(&calls[0]), ["0", "1", "2", "3"]);
        // The invalid receipt handle is left (SQS delivers it again); the
        // entry SQS failed is asked again, with its own id and handle.
        assert_eq!(calls[1], [("2".to_owned(), "h2".to_owned())]);
        assert_eq!(metrics.snapshot().counters.messages_deleted, 3);
        assert_eq!(delete_errors(&metrics), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_entry_that_keeps_failing_is_left_after_four_attempts_and_not_counted() {
        let failing = || {
            Answer::Failing(vec![
                ("0", "InternalError", false),
                ("2", "InvalidParameterValue", true),
            ])
        };
        let sqs = FakeDeletes::new(vec![
            failing(),
            Answer::Error(ErrorKind::Network),
            failing(),
            failing(),
        ]);
        let metrics = Metrics::new();
        let result = delete_retrying(&sqs, &metrics, handles(3)).await;
        assert!(result.is_ok());
        let calls = sqs.calls();
        let calls: Vec<Vec<&str>> = calls.iter().map(|c| ids(c)).collect();
        // A call that failed as a whole is retried with the same entries.
        assert_eq!(
            calls,
            [
                vec!["0", "1", "2"],
                vec!["0", "2"],
                vec!["0", "2"],
                vec!["0", "2"]
            ]
        );
        assert_eq!(metrics.snapshot().counters.messages_deleted, 1);
        // The failed call, and the server-side failure on the last attempt.
        assert_eq!(delete_errors(&metrics), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_entry_denied_ends_the_batch_as_a_refusal() {
        let sqs = FakeDeletes::new(vec![Answer::Failing(vec![
            ("1", "AccessDenied", true),
            ("2", "InternalError", false),
        ])]);
        let metrics = Metrics::new();
        let Err(refused) = delete_retrying(&sqs, &metrics, handles(3)).await else {
            panic!("an entry denied is a refusal");
        };
        assert_eq!(refused.count, 2);
        assert_eq!(refused.error.kind, ErrorKind::AccessDenied);
        assert_eq!(refused.error.code.as_deref(), Some("AccessDenied"));
        assert_eq!(refused.error.resource, sqs.queue_url());
        // Nothing is retried; the one deleted is counted.
        assert_eq!(sqs.calls().len(), 1);
        assert_eq!(metrics.snapshot().counters.messages_deleted, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_failing_three_times_in_a_row_are_a_refusal() {
        let sqs = FakeDeletes::new(vec![
            Answer::Error(ErrorKind::Credentials),
            Answer::Error(ErrorKind::Credentials),
            Answer::Error(ErrorKind::Credentials),
        ]);
        let metrics = Metrics::new();
        let Err(refused) = delete_retrying(&sqs, &metrics, handles(2)).await else {
            panic!("credentials that keep failing are a refusal");
        };
        assert_eq!(refused.count, 2);
        assert_eq!(refused.error.kind, ErrorKind::Credentials);
        assert_eq!(sqs.calls().len(), 3);
        assert_eq!(metrics.snapshot().counters.messages_deleted, 0);
        assert_eq!(delete_errors(&metrics), 3);
    }
}
