//! Everything that happens to the dashboard is an [`Action`]; everything it
//! wants done outside itself is an [`Effect`] the event loop carries out.

use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::consume::metrics::Snapshot;
use crate::consume::runner::ConsumeReport;

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Resize(u16, u16),
    /// A reading of the consumer's metrics. `sample` readings (once a second)
    /// go into the charts' history; others (after a key) only refresh the numbers.
    Metrics {
        snapshot: Box<Snapshot>,
        sample: bool,
    },
    /// Monitor mode: seconds since the start, once a second.
    Clock(f64),
    /// Monitor mode: a reading of the queue's attributes.
    Queue(QueueReading),
    /// A spec with alarms: the alarms' states and the queues' oldest-message
    /// ages (on start, then once a minute).
    Health(Box<HealthReading>),
    /// SIGINT, SIGTERM or SIGHUP (Ctrl-C arrives as a key in raw mode).
    Interrupt,
    /// The consumer returned.
    Finished(Box<ConsumeReport>),
    /// Leave now (the end of the linger after the consumer stopped).
    Quit,
}

/// One poll of GetQueueAttributes (queue and DLQ) in monitor mode.
pub use crate::consume::monitor::Reading as QueueReading;

/// One reading of the alarms and the oldest-message ages.
pub use crate::consume::monitor::{AlarmReading, HealthReading};

/// What `update` asks of the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Set `Control.paused`.
    Pause(bool),
    /// `Control.shutdown.cancel()`: stop receiving, finish, flush, delete.
    Shutdown,
    /// `Control.abort.cancel()`: release held messages (visibility 0).
    Abort,
    /// Send [`Action::Quit`] after this long.
    QuitAfter(Duration),
}
