//! The consumer's metrics: lock-free counters bumped by the pipeline, queue
//! gauges from GetQueueAttributes, and one [`Snapshot`] type that headless
//! output (JSON lines) and the dashboard both read.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        /// Monotonic counters, bumped from any task.
        #[derive(Debug, Default)]
        pub struct Counters { $($(#[$doc])* pub $name: AtomicU64),+ }

        /// The counters at one instant.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct CounterValues { $(pub $name: u64),+ }

        impl Counters {
            pub fn values(&self) -> CounterValues {
                CounterValues { $($name: self.$name.load(Ordering::Relaxed)),+ }
            }
        }
    };
}

counters!(
    /// Messages received from the queue.
    messages_received,
    /// Messages deleted after their records were durably in the sink.
    messages_deleted,
    /// Messages given back (visibility 0): at a stop, or when the sink failed.
    messages_returned,
    /// Messages left hidden after an error of their own (a decode error
    /// under `keep` or `fail`), for SQS to deliver again; the stop hands
    /// back those still hidden (counted in `messages_returned` then).
    messages_kept,
    /// `s3:TestEvent` messages drained.
    test_events,
    /// Objects of another bucket, or outside the prefix/suffix: never fetched.
    objects_skipped,
    /// Malformed messages written to the quarantine.
    messages_quarantined,
    /// Records in messages that were not ObjectCreated.
    records_ignored,
    /// Messages that are not events sluice understands.
    messages_unparseable,
    /// Duplicate notifications of an object already written in this run.
    objects_duplicate,
    objects_ok,
    objects_failed,
    objects_not_found,
    records,
    bytes_compressed,
    bytes_decompressed,
    decode_errors,
    visibility_extensions,
    api_errors,
    /// Errors under the `fail` policy (the exit code reports them).
    fail_policy_errors,
);

/// A recent decode error, for the dashboard's list and the headless summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorSample {
    pub time: String,
    /// The SQS message it came from (empty when none).
    pub message_id: String,
    pub bucket: String,
    pub key: String,
    /// `None` for an object-level error (corrupt compression, a bomb, a fetch failure).
    pub record_index: Option<u64>,
    pub byte_offset: Option<u64>,
    pub message: String,
}

/// Queue depth as GetQueueAttributes reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueGauges {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
    pub dlq_visible: Option<u64>,
}

/// Rates per second over 1 s, 10 s and 60 s windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    pub messages: [f64; 3],
    pub records: [f64; 3],
    pub bytes: [f64; 3],
}

/// Everything the dashboard and headless output show, at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub uptime_secs: f64,
    pub counters: CounterValues,
    pub queue: Option<QueueGauges>,
    /// How long ago `queue` was read.
    pub queue_age_secs: Option<f64>,
    /// Seconds until the open long-polls return at the latest (`None`: none open).
    pub poll_ends_in_secs: Option<f64>,
    pub rates: Rates,
    pub lag_p50_secs: Option<f64>,
    pub lag_p99_secs: Option<f64>,
    pub api_errors_by_kind: Vec<(String, u64)>,
    pub recent_errors: Vec<ErrorSample>,
    pub in_flight_messages: u64,
    /// What keeps the consumer from working now (the sink failing, the queue
    /// unreachable), in words; `None` when all is well.
    pub alert: Option<String>,
}

const RECENT_ERRORS: usize = 100;
const LAG_SAMPLES: usize = 2048;
const HISTORY: usize = 61;

/// Shared metrics of one consumer run.
#[derive(Debug)]
pub struct Metrics {
    pub counters: Counters,
    started: Instant,
    in_flight: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    queue: Option<QueueGauges>,
    /// When `queue` was read.
    queue_read: Option<Instant>,
    /// Long-polls open now, and when the last of them returns at the latest.
    polls_open: u64,
    poll_deadline: Option<Instant>,
    recent_errors: VecDeque<ErrorSample>,
    lags: VecDeque<f64>,
    api_errors: Vec<(String, u64)>,
    /// (time, counters) one per second, newest last, for rates.
    history: VecDeque<(Instant, CounterValues)>,
    alert: Option<String>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            counters: Counters::default(),
            started: Instant::now(),
            in_flight: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the metrics down with it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(&self, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn message_taken(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn message_done(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn set_queue(&self, gauges: QueueGauges) {
        let mut inner = self.inner();
        inner.queue = Some(gauges);
        inner.queue_read = Some(Instant::now());
    }

    /// A long-poll of up to `wait` opened.
    pub fn poll_opened(&self, wait: Duration) {
        let mut inner = self.inner();
        inner.polls_open += 1;
        let ends = Instant::now() + wait;
        inner.poll_deadline = Some(inner.poll_deadline.map_or(ends, |t| t.max(ends)));
    }

    /// A long-poll returned (or was dropped).
    pub fn poll_closed(&self) {
        let mut inner = self.inner();
        inner.polls_open = inner.polls_open.saturating_sub(1);
        if inner.polls_open == 0 {
            inner.poll_deadline = None;
        }
    }

    pub fn queue(&self) -> Option<QueueGauges> {
        self.inner().queue
    }

    pub fn lag(&self, secs: f64) {
        let mut inner = self.inner();
        if inner.lags.len() == LAG_SAMPLES {
            inner.lags.pop_front();
        }
        inner.lags.push_back(secs.max(0.0));
    }

    pub fn error(&self, sample: ErrorSample) {
        let mut inner = self.inner();
        if inner.recent_errors.len() == RECENT_ERRORS {
            inner.recent_errors.pop_front();
        }
        inner.recent_errors.push_back(sample);
    }

    /// Says what keeps the consumer from working (or, `None`, that all is well).
    pub fn set_alert(&self, alert: Option<String>) {
        self.inner().alert = alert;
    }

    pub fn api_error(&self, kind: &str) {
        self.counters.api_errors.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.inner();
        match inner.api_errors.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => inner.api_errors.push((kind.to_owned(), 1)),
        }
    }

    /// Records the counters for rate computation; call about once a second.
    pub fn sample(&self) {
        let values = self.counters.values();
        let mut inner = self.inner();
        if inner.history.len() == HISTORY {
            inner.history.pop_front();
        }
        inner.history.push_back((Instant::now(), values));
    }

    pub fn snapshot(&self) -> Snapshot {
        let counters = self.counters.values();
        let now = Instant::now();
        let inner = self.inner();
        let rate = |window: Duration, field: fn(&CounterValues) -> u64| -> f64 {
            let Some(&(then, old)) = inner
                .history
                .iter()
                .find(|(t, _)| now.duration_since(*t) <= window + Duration::from_millis(500))
            else {
                return 0.0;
            };
            let secs = now.duration_since(then).as_secs_f64();
            if secs < 0.2 {
                return 0.0;
            }
            field(&counters).saturating_sub(field(&old)) as f64 / secs
        };
        let windows = [
            Duration::from_secs(1),
            Duration::from_secs(10),
            Duration::from_secs(60),
        ];
        let rates = Rates {
            messages: windows.map(|w| rate(w, |c| c.messages_received)),
            records: windows.map(|w| rate(w, |c| c.records)),
            bytes: windows.map(|w| rate(w, |c| c.bytes_decompressed)),
        };
        let mut lags: Vec<f64> = inner.lags.iter().copied().collect();
        lags.sort_by(f64::total_cmp);
        let pct = |p: f64| -> Option<f64> {
            if lags.is_empty() {
                return None;
            }
            let idx = ((lags.len() as f64 - 1.0) * p).round() as usize;
            lags.get(idx).copied()
        };
        Snapshot {
            uptime_secs: self.started.elapsed().as_secs_f64(),
            counters,
            queue: inner.queue,
            queue_age_secs: inner.queue_read.map(|t| t.elapsed().as_secs_f64()),
            poll_ends_in_secs: inner
                .poll_deadline
                .filter(|_| inner.polls_open > 0)
                .map(|t| t.saturating_duration_since(Instant::now()).as_secs_f64()),
            rates,
            lag_p50_secs: pct(0.5),
            lag_p99_secs: pct(0.99),
            api_errors_by_kind: inner.api_errors.clone(),
            recent_errors: inner.recent_errors.iter().cloned().collect(),
            in_flight_messages: self.in_flight.load(Ordering::Relaxed),
            alert: inner.alert.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_rates_lags_and_bounded_errors() {
        let m = Metrics::new();
        m.sample();
        m.add(&m.counters.records, 500);
        m.add(&m.counters.messages_received, 5);
        std::thread::sleep(Duration::from_millis(300));
        let s = m.snapshot();
        assert_eq!(s.counters.records, 500);
        assert!(
            s.rates.records[0] > 100.0 && s.rates.records[0] <= 500.0 / 0.3 + 1.0,
            "{:?}",
            s.rates
        );
        for i in 0..1000 {
            m.lag(f64::from(i) / 10.0);
        }
        let s = m.snapshot();
        assert_eq!(s.lag_p50_secs, Some(50.0));
        assert_eq!(s.lag_p99_secs, Some(98.9));
        for i in 0..150 {
            m.error(ErrorSample {
                time: String::new(),
                message_id: String::new(),
                bucket: "b".into(),
                key: format!("k{i}"),
                record_index: Some(i),
                byte_offset: None,
                message: "bad".into(),
            });
        }
        let s = m.snapshot();
        assert_eq!(s.recent_errors.len(), RECENT_ERRORS);
        assert_eq!(s.recent_errors[0].key, "k50");
        m.api_error("throttled");
        m.api_error("throttled");
        m.api_error("access-denied");
        let s = m.snapshot();
        assert_eq!(
            s.api_errors_by_kind,
            vec![("throttled".to_owned(), 2), ("access-denied".to_owned(), 1)]
        );
        assert_eq!(s.counters.api_errors, 3);
        let line = serde_json::to_value(&s).unwrap();
        assert_eq!(line["counters"]["records"], 500);
    }
}
