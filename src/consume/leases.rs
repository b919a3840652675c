//! The consumer's bookkeeping of the messages it holds: which receipt
//! handles are hidden until when, which are due for a visibility extension
//! and in what order, which messages it kept (left in the queue on purpose)
//! and until when, and when what it hands back may go.
//!
//! Pure: no SQS calls and no clock of its own. The runner asks, calls SQS,
//! and tells it what SQS answered; every time is passed in, a
//! `tokio::time::Instant`, so the decisions are tested with paused time.
//!
//! The rules it keeps:
//! - A deadline moves only once SQS has extended the message, and then counts
//!   from when the extension was asked (SQS counts from when it took the
//!   call: no later than that).
//! - Nothing is handed back (visibility 0) while a receive may still be open:
//!   an open long poll would take the message at once and spend one of its
//!   receives (maxReceiveCount) on a stop or a sink failure that is not the
//!   message's. Until then it stays held, and so extended.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// The kept messages remembered at most; past that, only those still hidden.
const KEPT_LIMIT: usize = 100_000;

/// Receipt handles held, kept and to be handed back, with their deadlines.
#[derive(Debug)]
pub struct Leases {
    /// The queue's visibility timeout: each receive or extension hides a
    /// message for this long.
    timeout: Duration,
    /// Receipt handle → when the message becomes visible again unless extended.
    held: HashMap<String, Instant>,
    /// Message id → receipt handle and when it becomes visible again: the
    /// messages left in the queue on purpose. Until then they count as in
    /// flight without being work, and receiving one again is no arrival.
    kept: HashMap<String, (String, Instant)>,
    /// Handles to hand back once no receive can be open (still held).
    returning: Vec<String>,
    /// Whether a receive may still be open (until the receivers have ended).
    receiving: bool,
}

/// The held messages due for a visibility extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Nearest deadlines first: under load, they cannot wait for the rest.
    pub handles: Vec<String>,
    /// How many of the first `handles` are past their deadline already: SQS
    /// may have made them visible again (and another receive taken them);
    /// the extension tells, and their deadlines do not move unless it works.
    pub overdue: usize,
}

impl Leases {
    pub fn new(timeout: Duration) -> Self {
        Leases {
            timeout,
            held: HashMap::new(),
            kept: HashMap::new(),
            returning: Vec::new(),
            receiving: true,
        }
    }

    /// How often the heartbeat looks for messages due: a quarter of the
    /// visibility timeout, between 250 ms and 5 s.
    pub fn tick(&self) -> Duration {
        (self.timeout / 4).clamp(Duration::from_millis(250), Duration::from_secs(5))
    }

    /// A message received at `now`: hidden for the visibility timeout.
    pub fn hold(&mut self, handle: String, now: Instant) {
        self.held.insert(handle, now + self.timeout);
    }

    /// How many messages are held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// When a held message becomes visible again unless extended.
    #[cfg(test)]
    pub fn deadline(&self, handle: &str) -> Option<Instant> {
        self.held.get(handle).copied()
    }

    /// The held messages whose deadline is less than half the visibility
    /// timeout away at `now` (or past), nearest first.
    pub fn due(&self, now: Instant) -> Due {
        let mut due: Vec<(Instant, &String)> = self
            .held
            .iter()
            .filter(|(_, deadline)| deadline.saturating_duration_since(now) < self.timeout / 2)
            .map(|(handle, deadline)| (*deadline, handle))
            .collect();
        due.sort();
        let overdue = due
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .count();
        Due {
            handles: due.into_iter().map(|(_, h)| h.clone()).collect(),
            overdue,
        }
    }

    /// SQS extended a held message, asked at `asked`: hidden for the
    /// visibility timeout from then. Nothing for a message no longer held.
    pub fn extended(&mut self, handle: &str, asked: Instant) {
        if let Some(deadline) = self.held.get_mut(handle) {
            *deadline = asked + self.timeout;
        }
    }

    /// A message no longer held: deleted, or gone from this run's hands
    /// (its receipt handle invalid, or not in flight any more).
    pub fn forget(&mut self, handle: &str) {
        self.held.remove(handle);
    }

    /// A message left in the queue on purpose at `now`: no longer held; it
    /// becomes visible again after the visibility timeout.
    pub fn keep(&mut self, message_id: &str, handle: String, now: Instant) {
        self.held.remove(&handle);
        self.kept
            .insert(message_id.to_owned(), (handle, now + self.timeout));
        if self.kept.len() > KEPT_LIMIT {
            self.kept.retain(|_, (_, visible)| *visible > now);
        }
    }

    /// Whether messages just received (by message id) bring something new:
    /// one without an id, or not kept by this run before. A kept message
    /// back after its visibility timeout is no arrival.
    pub fn arrival<'a>(&self, mut message_ids: impl Iterator<Item = Option<&'a str>>) -> bool {
        message_ids.any(|id| id.is_none_or(|id| !self.kept.contains_key(id)))
    }

    /// How many kept messages are still hidden at `now`.
    pub fn kept_hidden(&self, now: Instant) -> u64 {
        self.kept.values().filter(|(_, t)| *t > now).count() as u64
    }

    /// No receive is open any more, nor will be: what waits to be handed
    /// back may go.
    pub fn receiving_over(&mut self) {
        self.receiving = false;
    }

    /// Held messages to hand back (visibility 0): those that may go now,
    /// with any that waited. None while a receive may be open; they stay
    /// held (extended) until then.
    pub fn hand_back(&mut self, handles: Vec<String>) -> Vec<String> {
        self.returning.extend(handles);
        if self.receiving {
            return Vec::new();
        }
        std::mem::take(&mut self.returning)
    }

    /// Messages handed back (or asked to be: SQS may refuse): no longer held.
    pub fn handed_back(&mut self, handles: &[String]) {
        for handle in handles {
            self.held.remove(handle);
        }
    }

    /// The kept messages that may still be hidden at `now`, to hand back as
    /// the run ends; every kept message is forgotten. None while a receive
    /// may be open (the kept ones stay as they are).
    ///
    /// A kept message's deadline counts from when it was kept, but SQS
    /// counts from the last extension it took, and an extension the
    /// heartbeat sent just before the keep can be taken just after it: so a
    /// message kept up to one more visibility timeout ago is handed back
    /// too. One that turns out to be visible already is what a hand-back
    /// wants (SQS answers MessageNotInflight).
    pub fn release_kept(&mut self, now: Instant) -> Vec<String> {
        if self.receiving {
            return Vec::new();
        }
        let timeout = self.timeout;
        self.kept
            .drain()
            .filter(|(_, (_, t))| *t + timeout > now)
            .map(|(_, (handle, _))| handle)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn handles(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_received_is_due_once_less_than_half_its_timeout_is_left() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("a".into(), Instant::now());
        assert_eq!(leases.deadline("a"), Some(Instant::now() + TIMEOUT));
        assert!(leases.due(Instant::now()).handles.is_empty());
        advance(Duration::from_secs(15)).await;
        // Exactly half left: not yet.
        assert!(leases.due(Instant::now()).handles.is_empty());
        advance(Duration::from_millis(1)).await;
        assert_eq!(
            leases.due(Instant::now()),
            Due {
                handles: handles(&["a"]),
                overdue: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_heartbeat_takes_the_nearest_deadlines_first() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("late".into(), Instant::now());
        advance(Duration::from_secs(1)).await;
        leases.hold("b".into(), Instant::now());
        leases.hold("a".into(), Instant::now());
        advance(Duration::from_secs(2)).await;
        leases.hold("later".into(), Instant::now());
        advance(Duration::from_secs(10)).await;
        leases.hold("fresh".into(), Instant::now());
        advance(Duration::from_secs(10)).await;
        // late: 7 s left; a and b: 8 s (same deadline, by handle); later:
        // 10 s; fresh: 20 s, not due.
        let due = leases.due(Instant::now());
        assert_eq!(due.handles, handles(&["late", "a", "b", "later"]));
        assert_eq!(due.overdue, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_extension_counts_from_when_it_was_asked() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("a".into(), Instant::now());
        advance(Duration::from_secs(20)).await;
        let asked = Instant::now();
        assert_eq!(leases.due(asked).handles, handles(&["a"]));
        // The call takes a while; SQS counted from when it took it.
        advance(Duration::from_secs(3)).await;
        leases.extended("a", asked);
        assert_eq!(leases.deadline("a"), Some(asked + TIMEOUT));
        // Half the timeout from when it was asked, not from when SQS answered.
        advance(Duration::from_secs(12)).await;
        assert!(leases.due(Instant::now()).handles.is_empty());
        advance(Duration::from_secs(1)).await;
        assert_eq!(leases.due(Instant::now()).handles, handles(&["a"]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_passed_is_reported_and_moves_only_once_sqs_extends_it() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("lapsed".into(), Instant::now());
        advance(Duration::from_secs(10)).await;
        leases.hold("due".into(), Instant::now());
        advance(Duration::from_secs(25)).await;
        let now = Instant::now();
        let before = leases.deadline("lapsed");
        assert!(before.is_some_and(|d| d < now));
        let due = leases.due(now);
        assert_eq!(due.handles, handles(&["lapsed", "due"]));
        assert_eq!(due.overdue, 1);
        // Nothing moves it but an extension SQS made.
        assert_eq!(leases.deadline("lapsed"), before);
        advance(Duration::from_secs(5)).await;
        let due = leases.due(Instant::now());
        assert_eq!(due.overdue, 2);
        // SQS says it is not in flight any more: no longer held.
        leases.forget("lapsed");
        assert_eq!(leases.held(), 1);
        assert_eq!(leases.due(Instant::now()).handles, handles(&["due"]));
    }

    #[tokio::test(start_paused = true)]
    async fn an_extension_of_a_message_no_longer_held_changes_nothing() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("a".into(), Instant::now());
        advance(Duration::from_secs(20)).await;
        let asked = Instant::now();
        // Deleted while the extension was under way.
        leases.forget("a");
        leases.extended("a", asked);
        assert_eq!(leases.held(), 0);
        assert_eq!(leases.deadline("a"), None);
    }

    #[test]
    fn the_heartbeat_ticks_a_quarter_of_the_timeout_within_bounds() {
        assert_eq!(Leases::new(TIMEOUT).tick(), Duration::from_secs(5));
        assert_eq!(
            Leases::new(Duration::from_secs(8)).tick(),
            Duration::from_secs(2)
        );
        assert_eq!(
            Leases::new(Duration::from_secs(600)).tick(),
            Duration::from_secs(5)
        );
        assert_eq!(
            Leases::new(Duration::from_millis(500)).tick(),
            Duration::from_millis(250)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_handed_back_while_a_receive_may_be_open() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("a".into(), Instant::now());
        leases.hold("b".into(), Instant::now());
        assert!(leases.hand_back(handles(&["a"])).is_empty());
        // Still held, and so extended by the heartbeat meanwhile.
        assert_eq!(leases.held(), 2);
        advance(Duration::from_secs(20)).await;
        assert_eq!(leases.due(Instant::now()).handles, handles(&["a", "b"]));
        assert!(leases.hand_back(handles(&["b"])).is_empty());
        leases.receiving_over();
        // Those that waited go now, in the order they were handed back.
        let back = leases.hand_back(Vec::new());
        assert_eq!(back, handles(&["a", "b"]));
        assert_eq!(leases.held(), 2);
        leases.handed_back(&back);
        assert_eq!(leases.held(), 0);
        // Once receiving is over, a hand-back goes at once, and only once.
        leases.hold("c".into(), Instant::now());
        assert_eq!(leases.hand_back(handles(&["c"])), handles(&["c"]));
        assert!(leases.hand_back(Vec::new()).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_kept_message_is_no_longer_held_and_no_arrival_when_it_comes_back() {
        let mut leases = Leases::new(TIMEOUT);
        leases.hold("h1".into(), Instant::now());
        leases.keep("m1", "h1".into(), Instant::now());
        assert_eq!(leases.held(), 0);
        assert_eq!(leases.kept_hidden(Instant::now()), 1);
        assert!(!leases.arrival([Some("m1")].into_iter()));
        assert!(leases.arrival([Some("m1"), Some("m2")].into_iter()));
        assert!(leases.arrival([Some("m1"), None].into_iter()));
        assert!(!leases.arrival(std::iter::empty()));
        // Back after its visibility timeout: still not new.
        advance(TIMEOUT).await;
        assert_eq!(leases.kept_hidden(Instant::now()), 0);
        assert!(!leases.arrival([Some("m1")].into_iter()));
    }

    #[tokio::test(start_paused = true)]
    async fn the_kept_messages_that_may_still_be_hidden_go_back_as_the_run_ends() {
        let mut leases = Leases::new(TIMEOUT);
        leases.keep("m1", "h1".into(), Instant::now());
        advance(Duration::from_secs(20)).await;
        leases.keep("m2", "h2".into(), Instant::now());
        advance(Duration::from_secs(20)).await;
        leases.keep("m3", "h3".into(), Instant::now());
        // Not while a receive may be open: nothing goes, nothing is forgotten.
        assert!(leases.release_kept(Instant::now()).is_empty());
        assert_eq!(leases.kept_hidden(Instant::now()), 2);
        advance(Duration::from_secs(25)).await;
        // m3 is hidden; m2 is visible by the run's count (kept 45 s ago) but
        // an extension SQS took after the keep may hide it still: it goes
        // back too. m1, kept 65 s ago (more than two timeouts), stays as it is.
        assert_eq!(leases.kept_hidden(Instant::now()), 1);
        leases.receiving_over();
        let mut back = leases.release_kept(Instant::now());
        back.sort();
        assert_eq!(back, handles(&["h2", "h3"]));
        assert_eq!(leases.kept_hidden(Instant::now()), 0);
        assert!(leases.release_kept(Instant::now()).is_empty());
        assert!(leases.arrival([Some("m1")].into_iter()));
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_limit_only_the_kept_messages_still_hidden_are_remembered() {
        let mut leases = Leases::new(TIMEOUT);
        for i in 0..KEPT_LIMIT {
            leases.keep(&format!("old{i}"), format!("h{i}"), Instant::now());
        }
        advance(TIMEOUT).await;
        leases.keep("new", "hn".into(), Instant::now());
        assert_eq!(leases.kept.len(), 1);
        assert!(!leases.arrival([Some("new")].into_iter()));
        assert!(leases.arrival([Some("old0")].into_iter()));
    }
}
