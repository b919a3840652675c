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
//!
//! The files: this one holds the run's options and outcome, the state its
//! tasks share, and [`run`], which starts them; `receive` the long-polling
//! receivers and a task for each message; `process` one message (its objects
//! into the sink, the sink retried, the wait for a shared file) and what
//! becomes of it; `fetch` the GetObject and the decode of one object;
//! `visibility` the heartbeat and handing messages back; `outbox` the batch
//! deleter; `watch` the background tasks (file committer, queue gauges,
//! sampler, idle stop); `tests` the deleter's tests.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::decode::DecodeOptions;
use super::event::ObjectRef;
use super::leases::Leases;
use super::metrics::{ErrorSample, Metrics};
use super::sink::{Quarantine, Sink};
use crate::aws::Clients;
use crate::aws::error::ErrorKind;

mod fetch;
mod outbox;
mod process;
mod receive;
#[cfg(test)]
mod tests;
mod visibility;
mod watch;

use outbox::{Outbox, delete_batch, in_batches};
use receive::receive_loop;
use visibility::{heartbeat, release_kept, return_handles};
use watch::{file_committer, idle_watch, queue_gauges, sampler};

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
pub struct ConsumeReport {
    pub snapshot: super::metrics::Snapshot,
    /// Errors under the `fail` policy: the exit code reports them.
    pub fail_policy_errors: u64,
    /// What ended the run before it was asked to stop (the sink kept
    /// failing, the queue is gone), if anything did.
    pub fatal: Option<String>,
}

impl ConsumeReport {
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
    /// Held across a heartbeat's round of extensions and across a hand-back:
    /// an extension that SQS takes after a hand-back of the same message
    /// would hide it again for a whole visibility timeout.
    visibility: Mutex<()>,
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
) -> ConsumeReport {
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
        visibility: Mutex::new(()),
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
                let _turn = shared.visibility.lock().await;
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
    ConsumeReport {
        fail_policy_errors: snapshot.counters.fail_policy_errors,
        fatal,
        snapshot,
    }
}

/// An error sample for the dashboard and the log, about `object` when one is
/// known (its message id is filled in by the caller that knows it).
pub(super) fn sample_for(
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
