//! The alarms' lines at the foot of the queue panel (a spec with alarms):
//! each alarm's state and since when, and the age of the oldest message in
//! the queue and, while it holds messages, in the dead-letter queue. Where
//! rows are short: one line summing the alarms up, then the ages.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::consume::monitor::AlarmReading;
use crate::docs::AlarmKind;
use crate::tui::dashboard::state::State;

/// Width of a line's label, its leading space included.
const LABEL: usize = 12;
/// From this long ago on, "since" gives the day rather than the time.
const DAY_SECS: i64 = 20 * 3600;

/// The rows the lines can take, most first: a line per alarm and one of
/// ages; the summary and the ages; the summary. `[0]` without alarms.
pub fn heights(state: &State) -> Vec<u16> {
    if !state.watches_alarms() {
        return vec![0];
    }
    let each = u16::try_from(state.info.alarms.len()).unwrap_or(u16::MAX);
    vec![each.saturating_add(1), 2, 1]
}

/// The lines for `rows` rows of `width` columns.
pub fn lines(state: &State, rows: usize, width: usize) -> Vec<Line<'static>> {
    if !state.watches_alarms() || rows == 0 {
        return Vec::new();
    }
    let room = width.saturating_sub(LABEL);
    let label = |text: &str, style: Style| Span::styled(format!(" {text:<11}"), style);
    let line = |name: &str, style: Style, value: Vec<Span<'static>>| {
        let mut spans = vec![label(name, style)];
        spans.extend(value);
        Line::from(spans)
    };
    let dim = state.theme.dim();
    let mut out = Vec::new();
    if rows > state.info.alarms.len() {
        for name in &state.info.alarms {
            let alarm = alarms(state).and_then(|a| a.iter().find(|a| &a.name == name));
            let in_alarm = alarm.is_some_and(|a| a.state.as_deref() == Some("ALARM"));
            let style = if in_alarm {
                state.theme.error().add_modifier(Modifier::BOLD)
            } else {
                dim
            };
            let short = short_name(state, name);
            out.push(line(&short, style, alarm_value(state, alarm, room)));
        }
    } else {
        out.push(Line::from(summary(state, width)));
    }
    if out.len() < rows {
        out.push(line("oldest msg", dim, ages(state, room)));
    }
    out
}

/// The last reading's alarms, when they were read.
fn alarms(state: &State) -> Option<&[AlarmReading]> {
    state
        .health
        .as_ref()
        .and_then(|h| h.alarms.as_ref().ok())
        .map(Vec::as_slice)
}

/// What the panel calls the stack's alarm `name`.
fn short_name(state: &State, name: &str) -> String {
    match AlarmKind::of_name(&state.info.stack, name) {
        Some(AlarmKind::DlqNotEmpty) => "DLQ alarm".to_owned(),
        Some(AlarmKind::OldestMessageAge) => "age alarm".to_owned(),
        Some(AlarmKind::Stalled) => "stalled".to_owned(),
        None => name.to_owned(),
    }
}

/// Why nothing is shown yet: not read, or the read failed (said below).
fn not_read(state: &State) -> Option<Vec<Span<'static>>> {
    match &state.health {
        None => Some(vec![Span::styled("reading…", state.theme.dim())]),
        Some(h) if h.alarms.is_err() => {
            Some(vec![Span::styled("failed (below)", state.theme.error())])
        }
        Some(_) => None,
    }
}

/// The first of `candidates` within `room` columns, else the last.
fn fit(candidates: Vec<Vec<Span<'static>>>, room: usize) -> Vec<Span<'static>> {
    let width = |spans: &[Span]| {
        spans
            .iter()
            .map(|s| s.content.chars().count())
            .sum::<usize>()
    };
    let last = candidates.len().saturating_sub(1);
    candidates
        .into_iter()
        .enumerate()
        .find(|(i, c)| *i == last || width(c) <= room)
        .map(|(_, c)| c)
        .unwrap_or_default()
}

/// How long the alarm has been in its state: `14 min` (whole minutes
/// from a minute on: CloudWatch evaluates once a minute).
fn held_for(state: &State, since: i64) -> Option<String> {
    let secs = state.epoch_now()?.saturating_sub(since).max(0);
    let secs = if secs < 60 { secs } else { secs / 60 * 60 };
    Some(crate::words::duration_secs(secs as f64))
}

/// When the alarm's state began, in UTC: `21:03`, or `Dec 4` from a day on.
fn since_when(state: &State, since: i64) -> Option<String> {
    let at = chrono::DateTime::from_timestamp(since, 0)?;
    let ago = state.epoch_now().map_or(0, |now| now - since);
    Some(if ago >= DAY_SECS {
        at.format("%b %-d").to_string()
    } else {
        at.format("%H:%M").to_string()
    })
}

/// `ALARM for 14 min`, `OK since 21:03 UTC`, …
fn alarm_value(state: &State, alarm: Option<&AlarmReading>, room: usize) -> Vec<Span<'static>> {
    if let Some(spans) = not_read(state) {
        return spans;
    }
    let theme = &state.theme;
    let Some(alarm) = alarm else {
        return vec![Span::raw("not read")];
    };
    let Some(value) = alarm.state.as_deref() else {
        return fit(
            vec![
                vec![Span::styled(
                    "missing (sluice apply makes it)",
                    theme.warn(),
                )],
                vec![Span::styled("missing", theme.warn())],
            ],
            room,
        );
    };
    let word = match value {
        "ALARM" => Span::styled("ALARM", theme.error().add_modifier(Modifier::BOLD)),
        "OK" => Span::styled("OK", theme.ok()),
        "INSUFFICIENT_DATA" => Span::styled("INSUFFICIENT_DATA", theme.warn()),
        other => Span::raw(other.to_owned()),
    };
    let mut candidates = Vec::new();
    if let Some(since) = alarm.since {
        if value == "ALARM" {
            if let Some(held) = held_for(state, since) {
                candidates.push(vec![word.clone(), Span::raw(format!(" for {held}"))]);
            }
        } else if let Some(when) = since_when(state, since) {
            candidates.push(vec![word.clone(), Span::raw(format!(" since {when} UTC"))]);
            candidates.push(vec![word.clone(), Span::raw(format!(" since {when}"))]);
        }
    }
    candidates.push(vec![word]);
    fit(candidates, room)
}

/// The alarms in one line: ` stalled ALARM for 14 min · 2 OK` where it
/// fits (the alarms in ALARM by name), else ` alarms     1 ALARM · 2 OK`.
fn summary(state: &State, width: usize) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let label = Span::styled(format!(" {:<11}", "alarms"), theme.dim());
    if let Some(spans) = not_read(state) {
        return [vec![label], spans].concat();
    }
    let all = alarms(state).unwrap_or_default();
    let count = |s: Option<&str>| all.iter().filter(|a| a.state.as_deref() == s).count();
    let counts = [
        (count(Some("OK")), "OK", theme.ok()),
        (count(Some("INSUFFICIENT_DATA")), "no data", theme.warn()),
        (count(None), "missing", theme.warn()),
    ];
    let sep = || Span::styled(" · ", theme.dim());
    let others = |spans: &mut Vec<Span<'static>>, first: bool| {
        let mut first = first;
        for (n, what, style) in counts {
            if n > 0 {
                if !first {
                    spans.push(sep());
                }
                first = false;
                spans.push(Span::styled(format!("{n} {what}"), style));
            }
        }
    };
    let alarm_style = theme.error().add_modifier(Modifier::BOLD);
    let in_alarm: Vec<&AlarmReading> = all
        .iter()
        .filter(|a| a.state.as_deref() == Some("ALARM"))
        .collect();
    let mut counted = Vec::new();
    if !in_alarm.is_empty() {
        counted.push(Span::styled(
            format!("{} ALARM", in_alarm.len()),
            alarm_style,
        ));
    }
    others(&mut counted, in_alarm.is_empty());
    let labelled = [vec![label], counted.clone()].concat();
    let bare = [vec![Span::raw(" ")], counted].concat();
    if in_alarm.is_empty() {
        return fit(vec![labelled, bare], width);
    }
    // The alarms in ALARM by name (how long, when only one), then the rest.
    let named = |held: bool, rest: bool| {
        let mut spans = vec![Span::raw(" ")];
        for (i, a) in in_alarm.iter().enumerate() {
            if i > 0 {
                spans.push(sep());
            }
            spans.push(Span::styled(
                format!("{} ALARM", short_name(state, &a.name)),
                alarm_style,
            ));
            if held
                && in_alarm.len() == 1
                && let Some(held) = a.since.and_then(|s| held_for(state, s))
            {
                spans.push(Span::raw(format!(" for {held}")));
            }
        }
        if rest {
            others(&mut spans, false);
        }
        spans
    };
    fit(
        vec![
            named(true, true),
            named(false, true),
            named(true, false),
            labelled,
            bare,
        ],
        width,
    )
}

/// The oldest message's age in words, or why there is none.
fn age(state: &State, age: Option<&Result<Option<f64>, String>>) -> (String, Style) {
    match age {
        None => ("reading…".to_owned(), state.theme.dim()),
        Some(Ok(Some(secs))) => (crate::words::duration_secs(*secs), state.theme.text()),
        // CloudWatch has no datapoint: not zero, unknown.
        Some(Ok(None)) => ("no data".to_owned(), state.theme.dim()),
        Some(Err(_)) => ("failed (below)".to_owned(), state.theme.error()),
    }
}

/// `3 min · DLQ 2 h`: the queue's, and the dead-letter queue's while it
/// holds messages (that one first to go when short of room is the queue's).
fn ages(state: &State, room: usize) -> Vec<Span<'static>> {
    let health = state.health.as_ref();
    let (queue, queue_style) = age(state, health.map(|h| &h.queue_age));
    let queue = Span::styled(queue, queue_style);
    let dlq_holds = state
        .queue()
        .and_then(|g| g.dlq_visible)
        .is_some_and(|n| n > 0);
    let dlq = health.and_then(|h| h.dlq_age.as_ref());
    if !dlq_holds || (health.is_some() && dlq.is_none()) {
        return vec![queue];
    }
    let (dlq, _) = age(state, dlq);
    let dlq = Span::styled(
        format!("DLQ {dlq}"),
        state.theme.error().add_modifier(Modifier::BOLD),
    );
    fit(
        vec![
            vec![queue, Span::styled(" · ", state.theme.dim()), dlq.clone()],
            vec![dlq],
        ],
        room,
    )
}
