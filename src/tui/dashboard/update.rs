//! `update(&mut State, Action) -> Vec<Effect>`: the one place the state changes.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect, HealthReading, QueueReading};
use super::state::{Drain, LINGER, Mode, Overlay, Panel, Point, RunState, State, StatusKind};
use super::view;
use crate::consume::metrics::Snapshot;
use crate::consume::runner::ConsumeReport;

/// Applies `action` to `state`; returns what the event loop must do.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(state, key),
        Action::Resize(width, height) => {
            state.size = (width, height);
            keep_selection_visible(state);
            state.dirty = true;
            Vec::new()
        }
        Action::Metrics { snapshot, sample } => {
            on_metrics(state, *snapshot, sample);
            Vec::new()
        }
        Action::Clock(secs) => {
            advance(state, secs);
            Vec::new()
        }
        Action::Queue(reading) => {
            on_queue(state, reading);
            Vec::new()
        }
        Action::Health(reading) => {
            on_health(state, *reading);
            Vec::new()
        }
        Action::Interrupt => interrupt(state),
        Action::Finished(outcome) => on_finished(state, *outcome),
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
    }
}

/// Moves the clock; redraws when the shown uptime (whole seconds) changes
/// or a status message expires.
fn advance(state: &mut State, now: f64) {
    if now < state.now {
        return;
    }
    if now.floor() != state.now.floor() {
        state.dirty = true;
    }
    state.now = now;
    if state.status.as_ref().is_some_and(|s| s.until <= now) {
        state.status = None;
        state.dirty = true;
    }
}

fn on_metrics(state: &mut State, snapshot: Snapshot, sample: bool) {
    if state.mode != Mode::Consume || state.outcome.is_some() {
        // After the consumer returned its final snapshot is what stays on screen.
        return;
    }
    advance(state, snapshot.uptime_secs);
    if sample {
        let point = sample_point(state, &snapshot);
        state.history.push(point);
        state.last_sample = Some((snapshot.uptime_secs, snapshot.counters));
    }
    set_snapshot(state, snapshot);
}

/// The chart values between the previous sample and this one.
fn sample_point(state: &State, snapshot: &Snapshot) -> Point {
    let now = snapshot.uptime_secs;
    let c = &snapshot.counters;
    let (rate, objects_done) = match state.last_sample {
        Some((then, old)) if now - then > 0.2 => {
            let dt = now - then;
            (
                Some((
                    c.messages_received.saturating_sub(old.messages_received) as f64 / dt,
                    c.records.saturating_sub(old.records) as f64 / dt,
                    c.bytes_decompressed.saturating_sub(old.bytes_decompressed) as f64 / dt,
                )),
                c.objects_ok > old.objects_ok,
            )
        }
        Some(_) => (None, false),
        None => (
            Some((
                snapshot.rates.messages[0],
                snapshot.rates.records[0],
                snapshot.rates.bytes[0],
            )),
            c.objects_ok > 0,
        ),
    };
    let queue = snapshot.queue;
    Point {
        t: now,
        messages: rate.map(|r| r.0),
        records: rate.map(|r| r.1),
        bytes: rate.map(|r| r.2),
        // Lag is measured when an object finishes: an idle second has none.
        lag_p50: snapshot.lag_p50_secs.filter(|_| objects_done),
        lag_p99: snapshot.lag_p99_secs.filter(|_| objects_done),
        visible: queue.map(|q| q.visible as f64),
        in_flight: queue.map(|q| q.in_flight as f64),
        delayed: queue.map(|q| q.delayed as f64),
        dlq: queue.and_then(|q| q.dlq_visible).map(|v| v as f64),
    }
}

fn set_snapshot(state: &mut State, snapshot: Snapshot) {
    if state.has_data && state.snapshot == snapshot {
        return;
    }
    let newest_first: Vec<_> = snapshot.recent_errors.iter().rev().cloned().collect();
    if newest_first != state.errors {
        // Keep the selected error selected while newer ones arrive above it
        // (the newest stays selected when it was).
        let shift = match state.errors.first() {
            Some(old) if state.selected > 0 => {
                newest_first.iter().position(|e| e == old).unwrap_or(0)
            }
            _ => 0,
        };
        state.selected += shift;
        state.offset += shift;
        state.errors = newest_first;
        keep_selection_visible(state);
    }
    state.snapshot = snapshot;
    state.has_data = true;
    state.dirty = true;
}

fn on_queue(state: &mut State, reading: QueueReading) {
    advance(state, reading.at);
    state.monitor.read_at = Some(reading.at);
    state.monitor.error = reading.error;
    if let Some(gauges) = reading.gauges {
        let total = gauges.visible + gauges.in_flight;
        let estimate = match state.monitor.last_total {
            Some((then, old)) if reading.at - then > 0.5 => {
                Some(old.saturating_sub(total) as f64 / (reading.at - then))
            }
            _ => None,
        };
        state.monitor.last_total = Some((reading.at, total));
        state.history.push(Point {
            t: reading.at,
            messages: estimate,
            visible: Some(gauges.visible as f64),
            in_flight: Some(gauges.in_flight as f64),
            delayed: Some(gauges.delayed as f64),
            dlq: gauges.dlq_visible.map(|v| v as f64),
            ..Point::default()
        });
        state.snapshot.queue = Some(gauges);
        state.has_data = true;
    }
    state.snapshot.uptime_secs = state.now;
    state.dirty = true;
}

/// A health reading replaces the last one whole: each part says what it
/// read or why it could not.
fn on_health(state: &mut State, reading: HealthReading) {
    if state.health.as_ref() == Some(&reading) {
        return;
    }
    state.health = Some(reading);
    state.dirty = true;
}

fn on_finished(state: &mut State, outcome: ConsumeReport) -> Vec<Effect> {
    advance(state, outcome.snapshot.uptime_secs);
    set_snapshot(state, outcome.snapshot.clone());
    let c = outcome.snapshot.counters;
    let kind = if outcome.fail_policy_errors > 0 {
        StatusKind::Warn
    } else {
        StatusKind::Info
    };
    let mut text = format!(
        "stopped: {} records written · {} messages deleted · {} handed back to the queue",
        super::format::count(c.records),
        super::format::count(c.messages_deleted),
        super::format::count(c.messages_returned),
    );
    if outcome.fail_policy_errors > 0 {
        text.push_str(&format!(
            "; {} kept under the fail policy",
            outcome.fail_policy_errors
        ));
    }
    state.run = RunState::Stopped;
    state.outcome = Some(outcome);
    state.say(kind, text);
    if state.leave_when_stopped {
        state.quit = true;
        return Vec::new();
    }
    // Shown until the end, whatever the clock says.
    if let Some(status) = &mut state.status {
        status.until = f64::INFINITY;
    }
    vec![Effect::QuitAfter(LINGER)]
}

// ---- keys ----

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c')) {
        return interrupt(state);
    }
    if state.run == RunState::Stopped {
        // The final counters are up; any key leaves at once.
        state.quit = true;
        return Vec::new();
    }
    if let Some(overlay) = &state.overlay {
        return overlay_key(state, overlay.clone(), key);
    }
    state.dirty = true;
    match key.code {
        KeyCode::Char('q') => graceful_quit(state),
        KeyCode::Char('Q') => quit_now(state),
        KeyCode::Char('p') => toggle_pause(state),
        KeyCode::Char('?') | KeyCode::F(1) => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        KeyCode::Char('e') => {
            state.focus = Panel::Errors;
            Vec::new()
        }
        KeyCode::Tab => {
            state.focus = state.focus.next();
            Vec::new()
        }
        KeyCode::BackTab => {
            state.focus = state.focus.previous();
            Vec::new()
        }
        KeyCode::Char('z') => {
            state.zoom = !state.zoom;
            keep_selection_visible(state);
            Vec::new()
        }
        KeyCode::Esc => {
            state.zoom = false;
            keep_selection_visible(state);
            Vec::new()
        }
        KeyCode::Enter => {
            if state.focus == Panel::Errors {
                if let Some(error) = state.errors.get(state.selected) {
                    state.overlay = Some(Overlay::Error(Box::new(error.clone())));
                }
            } else {
                state.zoom = !state.zoom;
            }
            Vec::new()
        }
        KeyCode::Up | KeyCode::Char('k') => scroll(state, -1),
        KeyCode::Down | KeyCode::Char('j') => scroll(state, 1),
        KeyCode::PageUp => {
            let page = page(state);
            scroll(state, -page)
        }
        KeyCode::PageDown => {
            let page = page(state);
            scroll(state, page)
        }
        KeyCode::Home | KeyCode::Char('g') => scroll(state, isize::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => scroll(state, isize::MAX / 2),
        _ => {
            state.dirty = false;
            Vec::new()
        }
    }
}

fn overlay_key(state: &mut State, overlay: Overlay, key: KeyEvent) -> Vec<Effect> {
    state.dirty = true;
    match (overlay, key.code) {
        (_, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) => state.overlay = None,
        (Overlay::Help, KeyCode::Char('?') | KeyCode::F(1)) => state.overlay = None,
        // Quitting works from anywhere; a popup only hides it.
        (_, KeyCode::Char('Q')) => {
            state.overlay = None;
            return quit_now(state);
        }
        (Overlay::Error(_), KeyCode::Up | KeyCode::Char('k')) => {
            scroll(state, -1);
            open_selected(state);
        }
        (Overlay::Error(_), KeyCode::Down | KeyCode::Char('j')) => {
            scroll(state, 1);
            open_selected(state);
        }
        _ => state.dirty = false,
    }
    Vec::new()
}

fn open_selected(state: &mut State) {
    if let Some(error) = state.errors.get(state.selected) {
        state.overlay = Some(Overlay::Error(Box::new(error.clone())));
    }
}

/// Ctrl-C or a signal: the first is `q`, the next `Q`, then leave.
fn interrupt(state: &mut State) -> Vec<Effect> {
    state.dirty = true;
    match state.run {
        _ if state.mode == Mode::Monitor => {
            state.quit = true;
            Vec::new()
        }
        RunState::Running | RunState::Paused => graceful_quit(state),
        RunState::Draining | RunState::Releasing => quit_now(state),
        RunState::Stopped => {
            state.quit = true;
            Vec::new()
        }
    }
}

/// `q`: stop receiving, let held messages finish, flush, delete, then exit.
fn graceful_quit(state: &mut State) -> Vec<Effect> {
    if state.mode == Mode::Monitor {
        state.quit = true;
        return Vec::new();
    }
    match state.run {
        RunState::Running | RunState::Paused if state.snapshot.in_flight_messages == 0 => {
            // Nothing to finish: leave as soon as the open long-poll has
            // returned (at once when the queue has messages, at most after
            // its wait): what it brings is handed back, not left hidden for
            // the visibility timeout. Q then leaves without waiting.
            state.run = RunState::Releasing;
            state.leave_when_stopped = true;
            state.say(
                StatusKind::Info,
                "stopping: nothing is being processed; the open poll hands back what it brings",
            );
            vec![Effect::Shutdown]
        }
        RunState::Running | RunState::Paused => {
            let held = state.snapshot.in_flight_messages;
            state.run = RunState::Draining;
            state.drain = Some(Drain {
                started: state.now,
                in_flight_at_start: held,
                deleted_at_start: state.snapshot.counters.messages_deleted,
            });
            state.say(
                StatusKind::Info,
                format!(
                    "draining: receiving stopped; {} being processed finish, then exit (Q: stop now)",
                    crate::words::count(held, "message")
                ),
            );
            vec![Effect::Shutdown]
        }
        RunState::Draining => {
            state.say(
                StatusKind::Info,
                "already draining; Q stops now (held messages go back to the queue)",
            );
            Vec::new()
        }
        RunState::Releasing => {
            state.say(StatusKind::Info, "releasing held messages…");
            Vec::new()
        }
        RunState::Stopped => {
            state.quit = true;
            Vec::new()
        }
    }
}

/// `Q`: release what is held (visibility 0) and exit. A second `Q` leaves
/// without waiting: messages still held then return after their visibility timeout.
fn quit_now(state: &mut State) -> Vec<Effect> {
    if state.mode == Mode::Monitor {
        state.quit = true;
        return Vec::new();
    }
    match state.run {
        RunState::Running | RunState::Paused | RunState::Draining => {
            let held = state.snapshot.in_flight_messages;
            state.run = RunState::Releasing;
            state.say(
                StatusKind::Warn,
                format!(
                    "stopping now: releasing {} to the queue",
                    crate::words::count(held, "held message")
                ),
            );
            vec![Effect::Shutdown, Effect::Abort]
        }
        RunState::Releasing => {
            state.abandoned = true;
            state.quit = true;
            Vec::new()
        }
        RunState::Stopped => {
            state.quit = true;
            Vec::new()
        }
    }
}

fn toggle_pause(state: &mut State) -> Vec<Effect> {
    match (state.mode, state.run) {
        (Mode::Monitor, _) => {
            state.say(
                StatusKind::Info,
                "monitor mode only watches the queue: there is no consumer here to pause",
            );
            Vec::new()
        }
        (_, RunState::Running) => {
            state.run = RunState::Paused;
            state.say(
                StatusKind::Info,
                format!(
                    "paused: no new messages are taken; {} being processed finish (p: resume)",
                    state.snapshot.in_flight_messages
                ),
            );
            vec![Effect::Pause(true)]
        }
        (_, RunState::Paused) => {
            state.run = RunState::Running;
            state.say(StatusKind::Info, "resumed");
            vec![Effect::Pause(false)]
        }
        (_, run) => {
            state.say(
                StatusKind::Info,
                format!("{}: there is nothing to pause now", run.label()),
            );
            Vec::new()
        }
    }
}

/// Rows the errors list shows (at least 1).
fn page(state: &State) -> isize {
    view::error_rows(state).max(1) as isize
}

fn scroll(state: &mut State, by: isize) -> Vec<Effect> {
    if state.focus != Panel::Errors && state.overlay.is_none() {
        state.dirty = false;
        return Vec::new();
    }
    let last = state.errors.len().saturating_sub(1) as isize;
    state.selected = (state.selected as isize).saturating_add(by).clamp(0, last) as usize;
    keep_selection_visible(state);
    Vec::new()
}

/// Moves the errors list's window so the selected row is in it.
fn keep_selection_visible(state: &mut State) {
    let rows = view::error_rows(state).max(1);
    state.selected = state.selected.min(state.errors.len().saturating_sub(1));
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + rows {
        state.offset = state.selected + 1 - rows;
    }
    state.offset = state
        .offset
        .min(state.errors.len().saturating_sub(rows))
        .min(state.selected);
}
