//! The event loop: terminal events, the one-second tick, background results
//! and signals become actions; `update` runs; effects reach the consumer's
//! `Control`; the screen is redrawn at most every [`FRAME`] and only when
//! something changed. Generic over the backend and the event stream, so
//! tests drive it with a `TestBackend` and a channel of keys.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::action::{Action, Effect};
use super::state::State;
use super::{update, view};
use crate::consume::metrics::Metrics;
use crate::consume::runner::Control;

/// The shortest time between two frames (10 a second at most).
pub const FRAME: Duration = Duration::from_millis(100);
/// How often metrics are sampled (the charts' resolution) or the clock moves.
pub const TICK: Duration = Duration::from_secs(1);

/// Where the numbers come from.
#[derive(Clone)]
pub enum Source {
    /// The consumer in this process: its metrics, and the handle to steer it.
    Consume {
        metrics: Arc<Metrics>,
        control: Control,
    },
    /// Monitor mode: readings arrive as actions; the loop keeps the clock.
    Monitor { start: Instant },
}

/// A terminal event as an action (key releases, focus and mouse are dropped).
pub fn to_action(event: TermEvent) -> Option<Action> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
        TermEvent::Resize(width, height) => Some(Action::Resize(width, height)),
        _ => None,
    }
}

/// Runs `update` and carries out what it asks.
fn dispatch(state: &mut State, source: &Source, action: Action, quit_at: &mut Option<Instant>) {
    for effect in update(state, action) {
        match (effect, source) {
            (Effect::Pause(paused), Source::Consume { control, .. }) => {
                control.paused.store(paused, Ordering::Relaxed);
            }
            (Effect::Shutdown, Source::Consume { control, .. }) => control.shutdown.cancel(),
            (Effect::Abort, Source::Consume { control, .. }) => control.abort.cancel(),
            (Effect::QuitAfter(after), _) => *quit_at = Some(Instant::now() + after),
            (_, Source::Monitor { .. }) => {}
        }
    }
}

/// The once-a-second reading.
fn tick_action(source: &Source) -> Action {
    match source {
        Source::Consume { metrics, .. } => Action::Metrics {
            snapshot: Box::new(metrics.snapshot()),
            sample: true,
        },
        Source::Monitor { start } => Action::Clock(start.elapsed().as_secs_f64()),
    }
}

/// A terminal event, followed (in consume mode, after a key) by a fresh reading.
fn on_terminal(
    state: &mut State,
    source: &Source,
    event: TermEvent,
    quit_at: &mut Option<Instant>,
) {
    let Some(action) = to_action(event) else {
        return;
    };
    let key = matches!(action, Action::Key(_));
    dispatch(state, source, action, quit_at);
    if key && let Source::Consume { metrics, .. } = source {
        let snapshot = Box::new(metrics.snapshot());
        dispatch(
            state,
            source,
            Action::Metrics {
                snapshot,
                sample: false,
            },
            quit_at,
        );
    }
}

/// Runs the dashboard until `state.quit`. Background tasks report through
/// `rx` (the consumer's end, monitor readings, signals).
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    source: &Source,
    rx: &mut UnboundedReceiver<Action>,
    mut events: E,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let size = terminal.size()?;
    dispatch(
        state,
        source,
        Action::Resize(size.width, size.height),
        &mut None,
    );
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut quit_at: Option<Instant> = None;
    let mut last_frame: Option<Instant> = None;
    let mut events_open = true;
    loop {
        if state.quit {
            break;
        }
        let now = Instant::now();
        let frame_at = last_frame.map_or(now, |t| t + FRAME);
        if state.dirty && frame_at <= now {
            // A resize event may carry a size the terminal was still changing from.
            let size = terminal.size()?;
            if state.size != (size.width, size.height) {
                dispatch(
                    state,
                    source,
                    Action::Resize(size.width, size.height),
                    &mut quit_at,
                );
            }
            terminal.draw(|frame| view::render(frame, state))?;
            state.dirty = false;
            last_frame = Some(now);
        }
        let redraw_at = state.dirty.then_some(frame_at.max(now));
        tokio::select! {
            event = events.next(), if events_open => match event {
                Some(Ok(event)) => on_terminal(state, source, event, &mut quit_at),
                Some(Err(e)) => return Err(e.into()),
                // No more input (a closed terminal): stop as a signal would.
                None => {
                    events_open = false;
                    dispatch(state, source, Action::Interrupt, &mut quit_at);
                }
            },
            action = rx.recv() => match action {
                Some(action) => dispatch(state, source, action, &mut quit_at),
                None => break,
            },
            _ = tick.tick() => dispatch(state, source, tick_action(source), &mut quit_at),
            () = sleep_until(redraw_at), if redraw_at.is_some() => {}
            () = sleep_until(quit_at), if quit_at.is_some() => {
                quit_at = None;
                dispatch(state, source, Action::Quit, &mut quit_at);
            }
        }
        // Everything already waiting is handled before the next frame.
        while let Ok(action) = rx.try_recv() {
            dispatch(state, source, action, &mut quit_at);
        }
    }
    Ok(())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Turns SIGTERM, SIGINT and SIGHUP into [`Action::Interrupt`] (the headless
/// handler prints to the terminal; this one must not).
pub fn forward_signals(tx: UnboundedSender<Action>) -> tokio::task::JoinHandle<()> {
    signals_as(tx, || Action::Interrupt)
}

/// Sends `action()` on `tx` for every SIGTERM, SIGINT and SIGHUP, until the
/// receiver is gone or the task is aborted.
pub fn signals_as<A: Send + 'static>(
    tx: UnboundedSender<A>,
    action: impl Fn() -> A + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    crate::signals::watch(move || tx.send(action()).is_ok())
}
