//! Drawing: [`render`] takes `&State` and does no I/O (no clock, no AWS);
//! [`layout`] is pure too, so `update` uses it to page through the errors.
//!
//! ```text
//! 120×40                                      80×24
//! header (1)                                  header (1)
//! queue (48) │ counters         (9)           queue (34) │ counters  (9)
//!   + a line per alarm and one of ages          + alarms summary [+ ages]
//! 2×2 charts: msg/s, records/s, MB/s, lag     4 sparklines           (6)
//! recent decode errors (the rest)             recent decode errors (the rest)
//! [status / drain progress (1)]               [status (1)]
//! keys (1)                                    keys (1)
//! ```

mod charts;
mod health;
mod panels;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, LineGauge, Paragraph, Wrap};

use super::format;
use super::state::{Mode, Overlay, Panel, RunState, State, StatusKind};
use crate::tui::theme::BadgeKind;

/// The smallest terminal the dashboard draws in.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// From this size on, the charts are full charts with axes (else sparklines).
pub const WIDE: (u16, u16) = (100, 34);
/// Height of the queue and counters panels.
const TOP_HEIGHT: u16 = 9;
/// Height of the sparkline panel.
const COMPACT_CHARTS: u16 = 6;

/// How the charts are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// ratatui `Chart`s with axes, two by two.
    Full,
    /// One sparkline per row.
    Compact,
}

/// Where everything goes. Panels that do not fit are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub queue: Option<Rect>,
    pub counters: Option<Rect>,
    pub charts: Option<(Rect, ChartKind)>,
    pub errors: Option<Rect>,
    pub status: Option<Rect>,
    pub footer: Rect,
}

/// The screen's layout for `state`; `None` when the terminal is too small.
pub fn layout(state: &State, area: Rect) -> Option<Areas> {
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        return None;
    }
    let status_height = u16::from(status_visible(state));
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(status_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut areas = Areas {
        header,
        queue: None,
        counters: None,
        charts: None,
        errors: None,
        status: (status_height > 0).then_some(status),
        footer,
    };
    if state.zoom {
        match state.focus {
            Panel::Queue => areas.queue = Some(body),
            Panel::Counters => areas.counters = Some(body),
            Panel::Charts => areas.charts = Some((body, ChartKind::Full)),
            Panel::Errors => areas.errors = Some(body),
        }
        return Some(areas);
    }
    let wide = area.width >= WIDE.0 && area.height >= WIDE.1;
    let charts_for = |rest: u16| {
        if wide && rest >= 12 + 8 {
            ((rest - 8).min(18), ChartKind::Full)
        } else if rest >= COMPACT_CHARTS + 5 {
            (COMPACT_CHARTS, ChartKind::Compact)
        } else {
            (0, ChartKind::Compact)
        }
    };
    // The alarms' lines as many as keep the charts as they would be without.
    let without = charts_for(body.height.saturating_sub(TOP_HEIGHT));
    let extra = health::heights(state)
        .into_iter()
        .find(|n| {
            let (height, kind) = charts_for(body.height.saturating_sub(TOP_HEIGHT + n));
            kind == without.1 && (height > 0) == (without.0 > 0)
        })
        .unwrap_or_else(|| health::heights(state).last().copied().unwrap_or(0));
    let top_height = TOP_HEIGHT + extra;
    let (charts_height, kind) = charts_for(body.height.saturating_sub(top_height));
    let [top, charts, errors] = Layout::vertical([
        Constraint::Length(top_height.min(body.height)),
        Constraint::Length(charts_height),
        Constraint::Min(0),
    ])
    .areas(body);
    let queue_width = if area.width >= WIDE.0 {
        48
    } else if area.width >= 76 {
        34
    } else {
        area.width * 45 / 100
    };
    let [queue, counters] =
        Layout::horizontal([Constraint::Length(queue_width), Constraint::Min(0)]).areas(top);
    areas.queue = Some(queue);
    areas.counters = Some(counters);
    areas.charts = (charts_height > 0).then_some((charts, kind));
    areas.errors = (errors.height >= 3).then_some(errors);
    Some(areas)
}

/// How many errors the list shows at once (0 when it is not on screen).
pub fn error_rows(state: &State) -> usize {
    let area = Rect::new(0, 0, state.size.0, state.size.1);
    layout(state, area)
        .and_then(|a| a.errors)
        // Borders and the column header.
        .map_or(0, |r| usize::from(r.height.saturating_sub(3)))
}

/// Whether the row above the keys is in use.
fn status_visible(state: &State) -> bool {
    state.status.is_some()
        || state.snapshot.alert.is_some()
        || matches!(state.run, RunState::Draining | RunState::Releasing)
        || (state.mode == Mode::Monitor && state.monitor.error.is_some())
        || state.health_error().is_some()
}

/// Draws the whole dashboard.
pub fn render(frame: &mut Frame, state: &State) {
    let area = frame.area();
    let Some(areas) = layout(state, area) else {
        too_small(frame, state, area);
        return;
    };
    header(frame, state, areas.header);
    if let Some(rect) = areas.queue {
        panels::queue(frame, state, rect);
    }
    if let Some(rect) = areas.counters {
        panels::counters(frame, state, rect);
    }
    if let Some((rect, kind)) = areas.charts {
        charts::charts(frame, state, rect, kind);
    }
    if let Some(rect) = areas.errors {
        panels::errors(frame, state, rect);
    }
    if let Some(rect) = areas.status {
        status(frame, state, rect);
    }
    footer(frame, state, areas.footer);
    match &state.overlay {
        Some(Overlay::Help) => help(frame, state, area),
        Some(Overlay::Error(error)) => panels::error_detail(frame, state, error, area),
        None => {}
    }
}

fn too_small(frame: &mut Frame, state: &State, area: Rect) {
    let text = vec![
        Line::styled("sluice dashboard", state.theme.title()),
        Line::raw(format!(
            "The terminal is {}×{}; the dashboard needs {}×{}.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        )),
        Line::styled("q quits (gracefully), Q quits now", state.theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .alignment(Alignment::Center),
        area,
    );
}

/// A panel's frame: accent border when focused.
pub(crate) fn block<'a>(state: &State, panel: Panel, title: Vec<Span<'a>>) -> Block<'a> {
    let focused = state.focus == panel;
    let mut spans = vec![Span::raw(" ")];
    let title_style = if focused {
        state.theme.title()
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    };
    for (i, span) in title.into_iter().enumerate() {
        spans.push(if i == 0 {
            span.patch_style(title_style)
        } else {
            span
        });
    }
    spans.push(Span::raw(" "));
    Block::bordered()
        .border_style(state.theme.border(focused, false))
        .title(Line::from(spans))
}

/// The state as a badge: `RUNNING`, `PAUSED`, …
fn state_badge(state: &State) -> Span<'static> {
    let (text, kind) = match (state.mode, state.run) {
        (Mode::Monitor, _) => ("MONITORING", BadgeKind::Same),
        (_, RunState::Running) => ("RUNNING", BadgeKind::New),
        (_, RunState::Paused) => ("PAUSED", BadgeKind::Change),
        (_, RunState::Draining) => ("DRAINING", BadgeKind::Same),
        (_, RunState::Releasing) => ("RELEASING", BadgeKind::Bad),
        (_, RunState::Stopped) => ("STOPPED", BadgeKind::Neutral),
    };
    Span::styled(format!(" {text} "), state.theme.badge(kind))
}

/// The identity in decreasing detail: the ARN, `account/name`, nothing.
fn identities(arn: &str) -> Vec<String> {
    let mut out = vec![arn.to_owned()];
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, _, _, _, account, resource] = parts.as_slice() {
        let name = resource.rsplit('/').next().unwrap_or(resource);
        out.push(format!("{account}/{name}"));
    }
    out.push(String::new());
    out
}

fn header(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let uptime = format!("up {}", format::uptime(state.now));
    let badge = state_badge(state);
    let right_width = uptime.chars().count() + 1 + badge.content.chars().count();
    let budget = usize::from(area.width).saturating_sub(right_width + 2);
    let info = &state.info;
    let sep = || Span::styled(" │ ", theme.dim());
    // Fit: drop the sink, then shorten and drop the identity, then the region.
    let ids = identities(&info.identity);
    let full = ids.first().map_or("", String::as_str);
    let mut candidates: Vec<(bool, &str, bool)> = vec![(true, full, true)];
    candidates.extend(ids.iter().map(|id| (false, id.as_str(), true)));
    candidates.push((false, "", false));
    let mut chosen = Vec::new();
    for (with_sink, identity, with_region) in candidates {
        let mut spans = vec![
            Span::styled(" sluice ", theme.title()),
            Span::styled(
                info.stack.clone(),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            sep(),
            Span::styled("queue ", theme.dim()),
            Span::raw(info.queue.clone()),
        ];
        if with_region {
            spans.extend([sep(), Span::raw(info.region.clone())]);
        }
        if !identity.is_empty() {
            spans.extend([
                sep(),
                Span::styled("as ", theme.dim()),
                Span::raw(identity.to_owned()),
            ]);
        }
        if with_sink && let Some(sink) = &info.sink {
            spans.extend([
                sep(),
                Span::styled("→ ", theme.dim()),
                Span::raw(sink.clone()),
            ]);
        }
        let width: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        chosen = spans;
        if width <= budget {
            break;
        }
    }
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(right_width as u16 + 1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(chosen)), left);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(uptime, theme.dim()),
            Span::raw(" "),
            badge,
        ]))
        .alignment(Alignment::Right),
        right,
    );
}

fn status(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    if state.run == RunState::Draining
        && let Some(drain) = state.drain
    {
        let held = state.snapshot.in_flight_messages;
        let start = drain.in_flight_at_start.max(held);
        let finished = start - held;
        let ratio = if start == 0 {
            1.0
        } else {
            finished as f64 / start as f64
        };
        let deleted = state
            .snapshot
            .counters
            .messages_deleted
            .saturating_sub(drain.deleted_at_start);
        let mut text = format!(" {finished}/{start} finished");
        // What else the stop waits for: the long-poll it does not drop.
        if let Some(ends) = state.snapshot.poll_ends_in_secs {
            text.push_str(&format!(" · open long-poll ≤ {ends:.0} s"));
        }
        if let Some(grace) = state.info.grace {
            let left = (grace.as_secs_f64() - (state.now - drain.started)).max(0.0);
            text.push_str(&format!(" · grace {left:.0} s left"));
        }
        text.push_str(&format!(" · {} deleted since q", format::count(deleted)));
        let [_, gauge, rest] = Layout::horizontal([
            Constraint::Length(1),
            Constraint::Length(28),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            LineGauge::default()
                .ratio(ratio.clamp(0.0, 1.0))
                .filled_symbol("█")
                .unfilled_symbol("░")
                .label(Span::styled("draining ", theme.accent()))
                .filled_style(theme.accent())
                .unfilled_style(theme.dim()),
            gauge,
        );
        frame.render_widget(Paragraph::new(text), rest);
        return;
    }
    let line = match (&state.status, &state.monitor.error) {
        (Some(status), _) => {
            let style = match status.kind {
                StatusKind::Info => theme.text(),
                StatusKind::Warn => theme.warn(),
                StatusKind::Error => theme.error(),
            };
            Line::styled(format!(" {}", status.text), style)
        }
        (None, Some(error)) if state.mode == Mode::Monitor => {
            Line::styled(format!(" reading the queue failed: {error}"), theme.error())
        }
        _ if state.health_error().is_some() => Line::styled(
            format!(
                " reading the alarms / ages failed: {}",
                state.health_error().unwrap_or_default()
            ),
            theme.error(),
        ),
        _ if state.snapshot.alert.is_some() => Line::styled(
            format!(" ⚠ {}", state.snapshot.alert.as_deref().unwrap_or_default()),
            theme.error(),
        ),
        _ if state.run == RunState::Releasing => Line::styled(
            format!(
                " releasing {} to the queue…",
                crate::words::count(state.snapshot.in_flight_messages, "held message")
            ),
            theme.warn(),
        ),
        _ => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The keys that work now, most useful first.
fn keys(state: &State) -> Vec<(&'static str, &'static str)> {
    if state.overlay.is_some() {
        return match state.overlay {
            Some(Overlay::Error(_)) => vec![("Esc", "close"), ("↑↓", "previous / next")],
            _ => vec![("Esc", "close")],
        };
    }
    let mut keys = Vec::new();
    match (state.mode, state.run) {
        (Mode::Monitor, _) => keys.push(("q", "quit")),
        (_, RunState::Stopped) => keys.push(("any key", "exits now")),
        (_, RunState::Draining) => keys.push(("Q", "stop now")),
        (_, RunState::Releasing) => keys.push(("Q", "exit without waiting")),
        (_, run) => {
            keys.push((
                "p",
                if run == RunState::Paused {
                    "resume"
                } else {
                    "pause"
                },
            ));
            keys.push(("q", "quit"));
            keys.push(("Q", "quit now"));
        }
    }
    keys.push(("e", "errors"));
    keys.push(("Tab", "panel"));
    keys.push((
        "Enter",
        if state.focus == Panel::Errors {
            "detail"
        } else {
            "zoom"
        },
    ));
    keys.push(("?", "help"));
    keys
}

fn footer(frame: &mut Frame, state: &State, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    for (key, what) in keys(state) {
        let w = key.chars().count() + what.chars().count() + 3;
        if width + w > usize::from(area.width) {
            break;
        }
        width += w;
        spans.push(Span::styled(key, state.theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `width`×`height` in the middle of `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

fn help(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let mut rows: Vec<(&str, &str)> = Vec::new();
    if state.mode == Mode::Consume {
        rows.extend([
            ("p", "pause / resume receiving (held messages still finish)"),
            (
                "q  Ctrl-C",
                "quit: stop receiving, finish and delete what is held",
            ),
            ("Q", "quit now: release held messages; again: exit at once"),
        ]);
    } else {
        rows.push(("q  Q  Ctrl-C", "quit"));
    }
    rows.extend([
        ("e", "focus the recent decode errors"),
        ("Tab  S-Tab", "next / previous panel"),
        (
            "↑↓ PgUp PgDn",
            "move in the errors (Home / End: newest / oldest)",
        ),
        ("Enter", "open the selected error; elsewhere zoom the panel"),
        ("z  Esc", "zoom the focused panel / back"),
        ("?", "this help"),
    ]);
    let note = match state.mode {
        Mode::Consume => {
            "A message is deleted only once every record of its objects is durably in the \
             sink, so neither way of quitting loses one. Charts cover the last 5 minutes, \
             trends the last minute."
        }
        Mode::Monitor => {
            "Monitor mode only reads the queue (GetQueueAttributes every few seconds). \
             Throughput is an estimate: how fast visible + in flight fell, so arrivals hide \
             consumption. Records, bytes, lag and decode errors are seen only by a consumer."
        }
    };
    let note = if state.watches_alarms() {
        format!(
            "{note} The alarms and the oldest messages' ages are read from CloudWatch on \
             start and once a minute."
        )
    } else {
        note.to_owned()
    };
    let width = area.width.saturating_sub(4).min(80);
    let text_width = usize::from(width.saturating_sub(4)).max(1);
    let note_rows = note.chars().count().div_ceil(text_width) as u16 + 1;
    let height = rows.len() as u16 + note_rows + 4;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.accent())
        .title(Line::styled(" Keys ", theme.title()))
        .title_bottom(Line::styled(" Esc close ", theme.dim()));
    let inner = block.inner(rect).inner(ratatui::layout::Margin::new(1, 1));
    frame.render_widget(block, rect);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:<14}"), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    let [keys, _, notes] = Layout::vertical([
        Constraint::Length(rows.len() as u16),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), keys);
    frame.render_widget(
        Paragraph::new(Line::styled(note, theme.dim())).wrap(Wrap { trim: true }),
        notes,
    );
}
