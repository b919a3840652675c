//! The dashboard's state: the latest reading, the five-minute history behind
//! the charts (a ring buffer sampled once a second), focus, scroll and
//! overlays. Changed only by [`super::update()`]; drawn by [`super::view`].

use std::collections::VecDeque;
use std::time::Duration;

use crate::consume::metrics::{CounterValues, ErrorSample, QueueGauges, Rates, Snapshot};
use crate::consume::monitor::HealthReading;
use crate::consume::runner::ConsumeReport;
use crate::tui::theme::Theme;

/// How much history the charts show.
pub const WINDOW_SECS: f64 = 300.0;
/// The period a queue gauge's trend compares with.
pub const TREND_SECS: f64 = 60.0;
/// How long the final counters stay on screen after the consumer stopped.
pub const LINGER: Duration = Duration::from_secs(2);
/// How long a status message stays.
pub const STATUS_SECS: f64 = 6.0;

/// What the header says about the run: fixed for its lifetime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// The spec's stack name.
    pub stack: String,
    /// The queue's name.
    pub queue: String,
    /// The dead-letter queue's name, when there is one.
    pub dlq: Option<String>,
    pub region: String,
    /// Who the credentials belong to (an ARN).
    pub identity: String,
    /// Where records go (`dir:out`), in consume mode.
    pub sink: Option<String>,
    /// Messages processed at once, in consume mode.
    pub concurrency: Option<usize>,
    /// How long a graceful stop waits for messages being processed.
    pub grace: Option<Duration>,
    /// The spec's CloudWatch alarms, by name (none: no alarm lines).
    pub alarms: Vec<String>,
}

impl Info {
    /// The header of a stack's dashboard; consume mode adds the sink,
    /// concurrency and grace period.
    pub fn for_stack(
        spec: &crate::spec::Spec,
        identity: &crate::aws::Identity,
        has_dlq: bool,
    ) -> Info {
        Info {
            stack: spec.name.clone(),
            queue: spec.queue.name.clone(),
            dlq: has_dlq.then(|| spec.queue.dead_letter.name.clone()),
            region: spec.region.clone(),
            identity: identity.arn.clone(),
            alarms: crate::consume::monitor::HealthTarget::of(spec)
                .map(|t| t.alarms)
                .unwrap_or_default(),
            ..Info::default()
        }
    }
}

/// Whether the consumer runs in this process, or the view only watches the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `sluice consume`: the consumer runs in-process; metrics come from it.
    Consume,
    /// `sluice monitor`: no consumer; the queue's attributes are polled and
    /// throughput is estimated from how fast the queue shrinks.
    Monitor,
}

/// The consumer's state as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    /// Not receiving; messages already held are still processed.
    Paused,
    /// `q`: receiving stopped; held messages finish, are flushed and deleted.
    Draining,
    /// `Q`: held messages are being released (visibility 0).
    Releasing,
    /// The consumer returned.
    Stopped,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Draining => "draining",
            RunState::Releasing => "releasing",
            RunState::Stopped => "stopped",
        }
    }

    /// Whether the consumer is on its way out (or out).
    pub fn stopping(self) -> bool {
        matches!(
            self,
            RunState::Draining | RunState::Releasing | RunState::Stopped
        )
    }
}

/// The panels Tab moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Queue,
    Charts,
    Counters,
    Errors,
}

impl Panel {
    pub const ORDER: [Panel; 4] = [Panel::Queue, Panel::Charts, Panel::Counters, Panel::Errors];

    pub fn next(self) -> Panel {
        let i = Panel::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Panel::ORDER[(i + 1) % Panel::ORDER.len()]
    }

    pub fn previous(self) -> Panel {
        let i = Panel::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Panel::ORDER[(i + Panel::ORDER.len() - 1) % Panel::ORDER.len()]
    }
}

/// A window over everything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    /// The full detail of one decode error (a copy: the list moves on).
    Error(Box<ErrorSample>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Warn,
    Error,
}

/// A message under the panels, until `until` (seconds on the run's clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub kind: StatusKind,
    pub until: f64,
}

/// A graceful stop in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drain {
    /// When `q` was pressed (run clock).
    pub started: f64,
    /// Messages being processed then.
    pub in_flight_at_start: u64,
    /// Messages deleted before then.
    pub deleted_at_start: u64,
}

/// Monitor mode's view of its poller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitorView {
    /// The last reading's error (GetQueueAttributes failed).
    pub error: Option<String>,
    /// When the queue was last read (run clock).
    pub read_at: Option<f64>,
    /// visible + in flight at the last reading, for the next estimate.
    pub last_total: Option<(f64, u64)>,
}

/// A bounded FIFO: pushing onto a full ring drops the oldest item.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Ring<T> {
        Ring {
            items: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// Drops items from the old end while `old` says so.
    pub fn drop_while(&mut self, old: impl Fn(&T) -> bool) {
        while self.items.front().is_some_and(&old) {
            self.items.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn newest(&self) -> Option<&T> {
        self.items.back()
    }
}

/// One sample of everything the charts and trends draw. `None` is a gap
/// (not measured, or nothing to measure: no object finished, no gauge read).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    /// Seconds on the run's clock.
    pub t: f64,
    /// Messages received per second (monitor mode: the estimate).
    pub messages: Option<f64>,
    pub records: Option<f64>,
    /// Decompressed bytes per second.
    pub bytes: Option<f64>,
    pub lag_p50: Option<f64>,
    pub lag_p99: Option<f64>,
    pub visible: Option<f64>,
    pub in_flight: Option<f64>,
    pub delayed: Option<f64>,
    pub dlq: Option<f64>,
}

/// The last [`WINDOW_SECS`] of samples.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    points: Ring<Point>,
}

impl Default for History {
    fn default() -> Self {
        // Two per second at most would still fit: samples come once a second.
        History {
            points: Ring::new(2 * WINDOW_SECS as usize),
        }
    }
}

impl History {
    pub fn push(&mut self, point: Point) {
        if self.points.newest().is_some_and(|p| p.t > point.t) {
            return;
        }
        self.points.push(point);
        let cutoff = point.t - WINDOW_SECS - 1.0;
        self.points.drop_while(|p| p.t < cutoff);
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn points(&self) -> impl DoubleEndedIterator<Item = &Point> + ExactSizeIterator {
        self.points.iter()
    }

    pub fn newest(&self) -> Option<&Point> {
        self.points.newest()
    }

    /// The newest point at least `secs` older than `now`, or else the oldest.
    pub fn ago(&self, now: f64, secs: f64) -> Option<&Point> {
        self.points
            .iter()
            .rev()
            .find(|p| p.t <= now - secs)
            .or_else(|| self.points.iter().next())
    }

    /// `(t - now, value)` for the points in the window that have a value.
    pub fn series(&self, now: f64, value: impl Fn(&Point) -> Option<f64>) -> Vec<(f64, f64)> {
        self.points
            .iter()
            .filter(|p| p.t >= now - WINDOW_SECS)
            .filter_map(|p| value(p).filter(|v| v.is_finite()).map(|v| (p.t - now, v)))
            .collect()
    }

    /// The window cut into `n` equal buckets, oldest first, each the largest
    /// value in it (`None`: no sample there).
    pub fn buckets(
        &self,
        now: f64,
        n: usize,
        value: impl Fn(&Point) -> Option<f64>,
    ) -> Vec<Option<f64>> {
        let mut out = vec![None; n];
        if n == 0 {
            return out;
        }
        let width = WINDOW_SECS / n as f64;
        for p in self.points.iter() {
            let age = now - p.t;
            if !(0.0..WINDOW_SECS).contains(&age) {
                continue;
            }
            let Some(v) = value(p).filter(|v| v.is_finite()) else {
                continue;
            };
            let i = n - 1 - ((age / width) as usize).min(n - 1);
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(slot.map_or(v, |old: f64| old.max(v)));
            }
        }
        out
    }
}

/// A snapshot with nothing in it (before the first reading).
pub fn empty_snapshot() -> Snapshot {
    Snapshot {
        uptime_secs: 0.0,
        counters: CounterValues::default(),
        queue: None,
        queue_age_secs: None,
        poll_ends_in_secs: None,
        rates: Rates::default(),
        lag_p50_secs: None,
        lag_p99_secs: None,
        api_errors_by_kind: Vec::new(),
        recent_errors: Vec::new(),
        in_flight_messages: 0,
        alert: None,
    }
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct State {
    pub mode: Mode,
    pub info: Info,
    pub theme: Theme,
    /// The terminal's size (the layout, and so scrolling, depends on it).
    pub size: (u16, u16),
    pub run: RunState,
    /// Seconds since the start: the consumer's uptime, or the monitor's clock.
    pub now: f64,
    /// The latest reading (monitor mode fills only `queue` and `uptime_secs`).
    pub snapshot: Snapshot,
    /// Whether anything was read yet.
    pub has_data: bool,
    pub history: History,
    /// The last sample's time and counters, for the rates between samples.
    pub last_sample: Option<(f64, CounterValues)>,
    /// Recent decode errors, newest first.
    pub errors: Vec<ErrorSample>,
    /// The selected row of the errors list, and the first one shown.
    pub selected: usize,
    pub offset: usize,
    pub focus: Panel,
    /// The focused panel fills the body.
    pub zoom: bool,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pub drain: Option<Drain>,
    pub monitor: MonitorView,
    /// The latest reading of the alarms and oldest-message ages (a spec
    /// with alarms, once read).
    pub health: Option<HealthReading>,
    /// How the consumer ended (consume mode, once it returned).
    pub outcome: Option<ConsumeReport>,
    /// The user left before the consumer returned (a second `Q`).
    pub abandoned: bool,
    /// Leave as soon as the run has stopped (a `q` with nothing being processed).
    pub leave_when_stopped: bool,
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

impl State {
    pub fn new(mode: Mode, info: Info, theme: Theme, size: (u16, u16)) -> State {
        State {
            mode,
            info,
            theme,
            size,
            run: RunState::Running,
            now: 0.0,
            snapshot: empty_snapshot(),
            has_data: false,
            history: History::default(),
            last_sample: None,
            errors: Vec::new(),
            selected: 0,
            offset: 0,
            focus: Panel::Queue,
            zoom: false,
            overlay: None,
            status: None,
            drain: None,
            monitor: MonitorView::default(),
            health: None,
            outcome: None,
            abandoned: false,
            leave_when_stopped: false,
            quit: false,
            dirty: true,
        }
    }

    pub fn queue(&self) -> Option<QueueGauges> {
        self.snapshot.queue
    }

    /// How many seconds ago the queue's depth was read.
    pub fn queue_age(&self) -> Option<f64> {
        match self.mode {
            Mode::Monitor => self.monitor.read_at.map(|t| (self.now - t).max(0.0)),
            Mode::Consume => self.snapshot.queue_age_secs,
        }
    }

    /// Monitor mode: how fast visible + in flight fell over the last minute
    /// (never negative: arrivals hide consumption, so this is a lower bound).
    pub fn estimate(&self) -> Option<f64> {
        let newest = self.history.newest()?;
        let old = self.history.ago(newest.t, TREND_SECS)?;
        let total = |p: &Point| Some(p.visible? + p.in_flight?);
        let dt = newest.t - old.t;
        if dt < 1.0 {
            return None;
        }
        Some(((total(old)? - total(newest)?) / dt).max(0.0))
    }

    /// The change of a gauge over the last [`TREND_SECS`] (or since its first reading).
    pub fn trend(&self, gauge: impl Fn(&Point) -> Option<f64>) -> Option<f64> {
        let (t, now) = self
            .history
            .points()
            .rev()
            .find_map(|p| gauge(p).map(|v| (p.t, v)))?;
        let mut with_value = self
            .history
            .points()
            .filter_map(|p| gauge(p).map(|v| (p.t, v)));
        let first = with_value.next()?;
        let then = self
            .history
            .points()
            .rev()
            .filter(|p| p.t <= t - TREND_SECS)
            .find_map(|p| gauge(p).map(|v| (p.t, v)))
            .unwrap_or(first);
        (then.0 < t).then_some(now - then.1)
    }

    /// Whether the spec has alarms, so the queue panel shows their lines.
    pub fn watches_alarms(&self) -> bool {
        !self.info.alarms.is_empty()
    }

    /// The wall clock now, in seconds since the epoch, as the last health
    /// reading tells it (the view reads no clock).
    pub fn epoch_now(&self) -> Option<i64> {
        let h = self.health.as_ref()?;
        Some(h.epoch + (self.now - h.at).max(0.0) as i64)
    }

    /// Why the last health reading (or a part of it) failed.
    pub fn health_error(&self) -> Option<&str> {
        self.health.as_ref().and_then(HealthReading::error)
    }

    /// Sets a status message for [`STATUS_SECS`].
    pub fn say(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind,
            until: self.now + STATUS_SECS,
        });
        self.dirty = true;
    }
}
