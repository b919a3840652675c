//! The queue panel, the counters and the recent decode errors.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Cell, Clear, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, Wrap,
};

use super::{block, centered, charts};
use crate::consume::metrics::ErrorSample;
use crate::tui::dashboard::format;
use crate::tui::dashboard::state::{Mode, Panel, Point, State, TREND_SECS};
use crate::tui::theme::BadgeKind;

const DASH: &str = "—";

/// One row of the queue panel.
struct GaugeRow {
    label: &'static str,
    value: Option<u64>,
    series: fn(&Point) -> Option<f64>,
    /// Whether growth is bad news (the DLQ, a backlog) rather than neutral.
    alarming: bool,
}

/// `▲ 12` / `▼ 3` / `·` for a change, styled by whether it is bad news.
fn trend_span(state: &State, delta: Option<f64>, alarming: bool) -> Span<'static> {
    let theme = &state.theme;
    match delta {
        Some(d) if d >= 0.5 => Span::styled(
            format!("▲ {}", format::count(d.round() as u64)),
            if alarming { theme.warn() } else { theme.text() },
        ),
        Some(d) if d <= -0.5 => Span::styled(
            format!("▼ {}", format::count((-d).round() as u64)),
            if alarming { theme.ok() } else { theme.text() },
        ),
        Some(_) => Span::styled("·", theme.dim()),
        None => Span::raw(""),
    }
}

/// A reading older than this is shown as stale.
const STALE_QUEUE_SECS: f64 = 10.0;

pub fn queue(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let gauges = state.queue();
    let block = block(
        state,
        Panel::Queue,
        vec![
            Span::raw("Queue"),
            // SQS's counts are approximate and read every few seconds: say how old.
            match state.queue_age() {
                Some(age) if age >= STALE_QUEUE_SECS => {
                    Span::styled(format!(" · {age:.0} s ago"), theme.warn())
                }
                Some(age) => Span::styled(format!(" · {age:.0} s ago"), theme.dim()),
                None => Span::styled(" · not read yet", theme.dim()),
            },
            Span::styled(
                format!(" · trend {:.0} min", TREND_SECS / 60.0),
                theme.dim(),
            ),
        ],
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = [
        GaugeRow {
            label: "visible",
            value: gauges.map(|g| g.visible),
            series: |p| p.visible,
            alarming: true,
        },
        GaugeRow {
            label: "in flight",
            value: gauges.map(|g| g.in_flight),
            series: |p| p.in_flight,
            alarming: false,
        },
        GaugeRow {
            label: "delayed",
            value: gauges.map(|g| g.delayed),
            series: |p| p.delayed,
            alarming: false,
        },
        GaugeRow {
            label: "DLQ",
            value: gauges.and_then(|g| g.dlq_visible),
            series: |p| p.dlq,
            alarming: true,
        },
    ];
    // label 10 · value 9 · trend 9 · sparkline (when it has room)
    let spark_x = 10 + 9 + 1 + 9;
    let mut lines = Vec::new();
    for row in &rows {
        let value = match (row.value, row.label) {
            (Some(v), _) => format::count(v),
            (None, "DLQ") if gauges.is_some() && state.info.dlq.is_none() => "none".to_owned(),
            (None, _) => DASH.to_owned(),
        };
        let value_style = match (row.label, row.value) {
            ("DLQ", Some(v)) if v > 0 => theme.badge(BadgeKind::Bad),
            _ => Style::new().add_modifier(Modifier::BOLD),
        };
        let label_style = match (row.label, row.value) {
            ("DLQ", Some(v)) if v > 0 => theme.error().add_modifier(Modifier::BOLD),
            _ => theme.dim(),
        };
        // A highlighted value keeps its digits in the column: the badge's
        // padding takes the separating space.
        let value_spans = if value_style == theme.badge(BadgeKind::Bad) {
            vec![
                Span::raw(" ".repeat(8usize.saturating_sub(value.chars().count()))),
                Span::styled(format!(" {value} "), value_style),
            ]
        } else {
            vec![Span::styled(format!("{value:>9} "), value_style)]
        };
        let mut spans = vec![Span::styled(format!(" {:<9}", row.label), label_style)];
        spans.extend(value_spans);
        spans.push(trend_span(state, state.trend(row.series), row.alarming));
        lines.push(Line::from(spans));
    }
    let theme_dim = theme.dim();
    let kv = |label: &str, value: Span<'static>| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!(" {label:<11}"), theme_dim),
            value,
        ])
    };
    match state.mode {
        Mode::Consume => {
            let held = state.snapshot.in_flight_messages;
            let of = state
                .info
                .concurrency
                .map(|c| format!(" / {c}"))
                .unwrap_or_default();
            lines.push(kv("processing", Span::raw(format!("{held}{of} messages"))));
            let lag = |v: Option<f64>| Span::raw(v.map_or(DASH.to_owned(), format::latency));
            lines.push(kv("lag p50", lag(state.snapshot.lag_p50_secs)));
            lines.push(kv("lag p99", lag(state.snapshot.lag_p99_secs)));
        }
        Mode::Monitor => {
            let estimate = state.estimate();
            lines.push(kv(
                "drain rate",
                match estimate {
                    Some(r) => {
                        Span::styled(format!("~{}/s (estimate)", format::short(r)), theme.warn())
                    }
                    None => Span::styled(DASH, theme.dim()),
                },
            ));
            let backlog = gauges.map(|g| g.visible + g.in_flight);
            lines.push(kv(
                "empty in",
                match (backlog, estimate) {
                    (Some(0), _) => Span::raw("empty now"),
                    (Some(n), Some(r)) if r > 0.0 => Span::raw(format::about(n as f64 / r)),
                    (Some(_), Some(_)) => Span::styled("not draining", theme.warn()),
                    _ => Span::styled(DASH, theme.dim()),
                },
            ));
            lines.push(kv(
                "read",
                match (state.monitor.read_at, &state.monitor.error) {
                    (_, Some(_)) => Span::styled("failed (below)", theme.error()),
                    (Some(at), None) => {
                        Span::raw(format!("{:.0} s ago", (state.now - at).max(0.0)))
                    }
                    (None, None) => Span::styled("reading…", theme.dim()),
                },
            ));
        }
    }
    let left = usize::from(inner.height).saturating_sub(lines.len());
    lines.extend(super::health::lines(state, left, usize::from(inner.width)));
    frame.render_widget(Paragraph::new(lines), inner);
    // Sparklines of the gauges, when the panel is wide enough.
    if inner.width > spark_x + 8 {
        for (i, row) in rows.iter().enumerate() {
            let rect = Rect::new(
                inner.x + spark_x,
                inner.y + i as u16,
                inner.width - spark_x - 1,
                1,
            );
            if rect.bottom() <= inner.bottom() {
                charts::spark_row(frame, state, rect, row.series, theme.accent());
            }
        }
    }
}

/// A counter's value, or `—` where monitor mode cannot know it.
fn value(state: &State, n: u64) -> String {
    match state.mode {
        Mode::Consume => format::count(n),
        Mode::Monitor => DASH.to_owned(),
    }
}

pub fn counters(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let c = &state.snapshot.counters;
    let title = match state.mode {
        Mode::Consume => vec![Span::raw("Counters")],
        Mode::Monitor => vec![
            Span::raw("Counters"),
            Span::styled(" · seen only by a consumer", theme.dim()),
        ],
    };
    let block = block(state, Panel::Counters, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 60;
    let alarm = |n: u64| {
        if n > 0 && state.mode == Mode::Consume {
            theme.error().add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let bytes = match state.mode {
        Mode::Monitor => DASH.to_owned(),
        Mode::Consume if wide => format!(
            "{} ({} read)",
            format::bytes(c.bytes_decompressed),
            format::bytes(c.bytes_compressed)
        ),
        Mode::Consume => format::bytes(c.bytes_decompressed),
    };
    let api =
        if wide && state.mode == Mode::Consume && !state.snapshot.api_errors_by_kind.is_empty() {
            let kinds: Vec<String> = state
                .snapshot
                .api_errors_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            format!("{} ({})", format::count(c.api_errors), kinds.join(", "))
        } else {
            value(state, c.api_errors)
        };
    let left: [(&str, String, Style); 7] = [
        ("received", value(state, c.messages_received), bold),
        ("deleted", value(state, c.messages_deleted), bold),
        ("returned", value(state, c.messages_returned), bold),
        ("skipped", value(state, c.objects_skipped), bold),
        ("test events", value(state, c.test_events), bold),
        (
            "unparseable",
            value(state, c.messages_unparseable),
            alarm(c.messages_unparseable),
        ),
        (
            if wide {
                "visibility ext."
            } else {
                "extensions"
            },
            value(state, c.visibility_extensions),
            bold,
        ),
    ];
    let right: [(&str, String, Style); 7] = [
        ("objects ok", value(state, c.objects_ok), bold),
        (
            "failed",
            value(state, c.objects_failed),
            alarm(c.objects_failed),
        ),
        ("not found", value(state, c.objects_not_found), bold),
        ("records", value(state, c.records), bold),
        ("bytes", bytes, bold),
        (
            "decode errors",
            value(state, c.decode_errors),
            alarm(c.decode_errors),
        ),
        ("API errors", api, alarm(c.api_errors)),
    ];
    let [l, r] =
        Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(inner);
    for (column, rect) in [(&left, l), (&right, r)] {
        let width = usize::from(rect.width).saturating_sub(2);
        let lines: Vec<Line> = column
            .iter()
            .map(|(label, value, style)| {
                let label_width = width.saturating_sub(value.chars().count()).max(1);
                Line::from(vec![
                    Span::styled(
                        format!(" {:<label_width$}", format::head(label, label_width - 1)),
                        theme.dim(),
                    ),
                    Span::styled(value.clone(), *style),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), rect);
    }
}

pub fn errors(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let focused = state.focus == Panel::Errors;
    let mut title = vec![Span::raw("Recent decode errors")];
    match state.mode {
        Mode::Consume if !state.errors.is_empty() => title.push(Span::styled(
            format!(
                " · {} of {} total · newest first",
                state.errors.len(),
                format::count(state.snapshot.counters.decode_errors)
            ),
            theme.dim(),
        )),
        _ => {}
    }
    let block = block(state, Panel::Errors, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.mode == Mode::Monitor || state.errors.is_empty() {
        let text = match state.mode {
            Mode::Monitor => {
                "Decode errors are seen only by a consumer: monitor mode watches the queue."
            }
            Mode::Consume => "No decode errors.",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim()))
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            inner.inner(Margin::new(1, 0)),
        );
        return;
    }
    let rows = usize::from(inner.height.saturating_sub(1));
    // time 8 · record 8 · offset 10 · key and message share the rest
    let fixed = 8 + 8 + 10 + 4 + 2;
    let flexible = usize::from(inner.width).saturating_sub(fixed);
    let longest_key = state
        .errors
        .iter()
        .map(|e| e.key.chars().count().max(13))
        .max()
        .unwrap_or(13);
    let key_width = longest_key.min(flexible * 2 / 5).max(8);
    let message_width = flexible.saturating_sub(key_width).max(8);
    let heading = theme.dim().add_modifier(Modifier::UNDERLINED);
    let header = Row::new([
        Cell::from(Span::styled("time", heading)),
        Cell::from(Span::styled("key", heading)),
        Cell::from(Line::styled("record", heading).alignment(Alignment::Right)),
        Cell::from(Line::styled("byte", heading).alignment(Alignment::Right)),
        Cell::from(Span::styled("message", heading)),
    ]);
    let body: Vec<Row> = state
        .errors
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(rows)
        .map(|(i, e)| {
            let key = if e.key.is_empty() {
                "(the message)".to_owned()
            } else {
                format::tail(&e.key, key_width)
            };
            let row = Row::new(vec![
                Cell::from(format::clock(&e.time).to_owned()),
                Cell::from(key),
                Cell::from(
                    Line::from(e.record_index.map_or(DASH.to_owned(), |n| format!("#{n}")))
                        .alignment(Alignment::Right),
                ),
                Cell::from(
                    Line::from(e.byte_offset.map_or(DASH.to_owned(), format::count))
                        .alignment(Alignment::Right),
                ),
                Cell::from(Span::styled(
                    format::head(&e.message, message_width),
                    // The selected row's own colours keep it readable.
                    if i == state.selected && focused {
                        Style::new()
                    } else {
                        theme.error()
                    },
                )),
            ]);
            if i == state.selected && focused {
                row.style(theme.focused())
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        body,
        [
            Constraint::Length(8),
            Constraint::Length(key_width as u16),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Min(8),
        ],
    )
    .header(header)
    .column_spacing(1);
    frame.render_widget(table, inner.inner(Margin::new(1, 0)));
    if state.errors.len() > rows {
        let mut scroll = ScrollbarState::new(state.errors.len().saturating_sub(rows))
            .position(state.offset)
            .viewport_content_length(rows);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .style(theme.dim()),
            area.inner(Margin::new(0, 1)),
            &mut scroll,
        );
    }
}

/// The full detail of one decode error, over everything.
pub fn error_detail(frame: &mut Frame, state: &State, error: &ErrorSample, area: Rect) {
    let theme = &state.theme;
    let field = |label: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {label:<12}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        Line::raw(""),
        field("time", error.time.clone()),
        field(
            "bucket",
            if error.bucket.is_empty() {
                DASH.to_owned()
            } else {
                error.bucket.clone()
            },
        ),
        field(
            "key",
            if error.key.is_empty() {
                "(the SQS message itself: not an event sluice understands)".to_owned()
            } else {
                error.key.clone()
            },
        ),
        field(
            "record",
            error.record_index.map_or(
                "— (the whole object: compression, size or fetch)".to_owned(),
                |n| format!("#{n} (counting from 0)"),
            ),
        ),
        field(
            "byte offset",
            error.byte_offset.map_or(DASH.to_owned(), |n| {
                format!("{} (decompressed)", format::count(n))
            }),
        ),
        Line::raw(""),
        Line::styled(" message", theme.dim()),
    ];
    lines.push(Line::styled(format!(" {}", error.message), theme.error()));
    if !error.key.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                " see it again: sluice decode s3://{}/{}",
                error.bucket, error.key
            ),
            theme.dim(),
        ));
    }
    let width = area.width.saturating_sub(4).min(100);
    // Rows once wrapped inside the borders.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let rect = centered(
        area,
        width,
        (rows as u16).saturating_add(3).min(area.height),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            ratatui::widgets::Block::bordered()
                .border_style(theme.accent())
                .title(Line::styled(" Decode error ", theme.title()))
                .title_bottom(Line::styled(
                    " Esc close · ↑↓ previous / next ",
                    theme.dim(),
                )),
        ),
        rect,
    );
}
