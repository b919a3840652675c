//! The last five minutes: full charts with axes when there is room,
//! sparklines when not.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::{self, Marker};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Sparkline, Wrap};

use super::{ChartKind, block};
use crate::tui::dashboard::format;
use crate::tui::dashboard::state::{Mode, Panel, Point, State, WINDOW_SECS};

/// A value on the chart's scale.
type Pick = fn(&Point) -> Option<f64>;

/// One of the four charts.
struct Spec {
    title: &'static str,
    /// The title in the sparkline panel.
    short: &'static str,
    /// The current value, as shown.
    now: String,
    /// What else to say in the title (the minute's average…).
    note: String,
    series: Vec<(&'static str, Pick)>,
    /// Monitor mode cannot know it.
    consumer_only: bool,
    fmt: fn(f64) -> String,
}

fn specs(state: &State) -> [Spec; 4] {
    let r = &state.snapshot.rates;
    let monitor = state.mode == Mode::Monitor;
    let lag = |v: Option<f64>| v.map_or("—".to_owned(), format::latency);
    let messages = if monitor {
        Spec {
            title: "messages/s (estimate)",
            short: "messages/s est.",
            now: state
                .estimate()
                .map_or("—".to_owned(), |v| format!("~{}", format::short(v))),
            note: "how fast the queue shrinks".to_owned(),
            series: vec![("estimate", |p| p.messages)],
            consumer_only: false,
            fmt: format::short,
        }
    } else {
        Spec {
            title: "messages/s",
            short: "messages/s",
            now: format::short(r.messages[1]),
            note: format!("{} avg 1 min", format::short(r.messages[2])),
            series: vec![("received", |p| p.messages)],
            consumer_only: false,
            fmt: format::short,
        }
    };
    [
        messages,
        Spec {
            title: "records/s",
            short: "records/s",
            now: format::short(r.records[1]),
            note: format!("{} avg 1 min", format::short(r.records[2])),
            series: vec![("records", |p| p.records)],
            consumer_only: true,
            fmt: format::short,
        },
        Spec {
            title: "MB/s",
            short: "MB/s",
            now: format::mb_per_sec(r.bytes[1]),
            note: format!("{} avg 1 min", format::mb_per_sec(r.bytes[2])),
            series: vec![("MB/s", |p| p.bytes.map(|b| b / 1e6))],
            consumer_only: true,
            fmt: format::short,
        },
        Spec {
            title: "event lag",
            short: "lag p50/p99",
            now: format!(
                "{} / {}",
                lag(state.snapshot.lag_p50_secs),
                lag(state.snapshot.lag_p99_secs)
            ),
            note: String::new(),
            series: vec![("p50", |p| p.lag_p50), ("p99", |p| p.lag_p99)],
            consumer_only: true,
            fmt: |v| format::latency(v).replace(' ', ""),
        },
    ]
}

pub fn charts(frame: &mut Frame, state: &State, area: Rect, kind: ChartKind) {
    match kind {
        ChartKind::Full => full(frame, state, area),
        ChartKind::Compact => compact(frame, state, area),
    }
}

fn full(frame: &mut Frame, state: &State, area: Rect) {
    let outer = block(
        state,
        Panel::Charts,
        vec![
            Span::raw("Throughput"),
            Span::styled(" · last 5 min", state.theme.dim()),
        ],
    );
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [top, bottom] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(inner);
    let halves = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).spacing(3);
    let [a, b] = halves.areas(top);
    let [c, d] = halves.areas(bottom);
    for (spec, rect) in specs(state).into_iter().zip([a, b, c, d]) {
        one_chart(frame, state, &spec, rect);
    }
}

/// A tidy upper bound: 1, 2, 2.5 or 5 times a power of ten, above `max`.
fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let target = max * 1.05;
    let power = 10f64.powf(target.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * power >= target {
            return step * power;
        }
    }
    10.0 * power
}

fn one_chart(frame: &mut Frame, state: &State, spec: &Spec, area: Rect) {
    let theme = &state.theme;
    let unknown = spec.consumer_only && state.mode == Mode::Monitor;
    let styles = [theme.accent(), theme.warn()];
    // Without colour the two lag lines differ by their marks (named in the title).
    let markers = if theme.color {
        [Marker::Braille, Marker::Braille]
    } else {
        [Marker::Braille, Marker::Dot]
    };
    let mut title = vec![Span::styled(format!(" {} ", spec.title), theme.title())];
    if unknown {
        title.push(Span::raw("—"));
    } else if spec.series.len() > 1 {
        // Each line's name in its colour (or with its mark), then its value.
        let values: Vec<&str> = spec.now.split(" / ").collect();
        for (i, (name, _)) in spec.series.iter().enumerate() {
            let mark = match (theme.color, markers[i % 2]) {
                (true, _) => "",
                (false, Marker::Dot) => " •",
                (false, _) => " ⣿",
            };
            if i > 0 {
                title.push(Span::styled(" · ", theme.dim()));
            }
            title.push(Span::styled(format!("{name}{mark} "), styles[i % 2]));
            title.push(Span::raw(values.get(i).copied().unwrap_or("—").to_owned()));
        }
    } else {
        title.push(Span::raw(spec.now.clone()));
    }
    if !unknown && !spec.note.is_empty() {
        title.push(Span::styled(format!(" · {}", spec.note), theme.dim()));
    }
    let block = Block::new().title(Line::from(title));
    if spec.consumer_only && state.mode == Mode::Monitor {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(Line::styled(
                "seen only by a consumer (monitor mode watches the queue)",
                theme.dim(),
            ))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
            Rect::new(
                inner.x,
                inner.y + inner.height / 2,
                inner.width,
                2.min(inner.height),
            ),
        );
        return;
    }
    let data: Vec<Vec<(f64, f64)>> = spec
        .series
        .iter()
        .map(|(_, pick)| state.history.series(state.now, pick))
        .collect();
    let max = data
        .iter()
        .flatten()
        .map(|(_, v)| *v)
        .fold(0.0f64, f64::max);
    let top = nice_max(max);
    let datasets: Vec<Dataset> = spec
        .series
        .iter()
        .zip(&data)
        .enumerate()
        .map(|(i, (_, points))| {
            Dataset::default()
                .marker(markers[i % 2])
                .graph_type(GraphType::Line)
                .style(styles[i % 2])
                .data(points)
        })
        .collect();
    let label = |s: String| Span::styled(s, theme.dim());
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([-WINDOW_SECS, 0.0])
                .style(theme.dim())
                .labels(["-5m", "-2m30s", "now"].map(|s| label(s.to_owned()))),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .style(theme.dim())
                .labels([
                    label("0".to_owned()),
                    label((spec.fmt)(top / 2.0)),
                    label((spec.fmt)(top)),
                ]),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
}

fn compact(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let outer = block(
        state,
        Panel::Charts,
        vec![
            Span::raw("Throughput"),
            Span::styled(" · last 5 min", theme.dim()),
        ],
    );
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let label_width = 28u16.min(inner.width);
    for (i, spec) in specs(state).iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let unknown = spec.consumer_only && state.mode == Mode::Monitor;
        let name = spec.short;
        let value = if unknown {
            "—".to_owned()
        } else {
            spec.now
                .replace(" / ", "/")
                .replace(" ms", "ms")
                .replace(" s", "s")
        };
        let value_width = usize::from(label_width).saturating_sub(name.chars().count() + 3);
        let line = Line::from(vec![
            Span::styled(format!(" {name}"), theme.dim()),
            Span::styled(
                format!(" {value:>value_width$} "),
                Style::new().add_modifier(ratatui::style::Modifier::BOLD),
            ),
        ]);
        frame.render_widget(Paragraph::new(line), Rect::new(inner.x, y, label_width, 1));
        let rest = Rect::new(
            inner.x + label_width,
            y,
            inner.width.saturating_sub(label_width + 1),
            1,
        );
        if unknown {
            frame.render_widget(
                Paragraph::new(Span::styled(" seen only by a consumer", theme.dim())),
                rest,
            );
        } else if let Some((_, pick)) = spec.series.last() {
            let style = if spec.series.len() > 1 {
                theme.warn()
            } else {
                theme.accent()
            };
            spark_row(frame, state, rest, *pick, style);
        }
    }
}

/// A one-row sparkline of the window: a bar per column, the column's
/// largest value; a measured zero is `▁`, no sample is blank.
pub fn spark_row(frame: &mut Frame, state: &State, area: Rect, pick: Pick, style: Style) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let buckets = state
        .history
        .buckets(state.now, usize::from(area.width), pick);
    let max = buckets.iter().flatten().copied().fold(0.0f64, f64::max);
    let data: Vec<Option<u64>> = buckets
        .iter()
        .map(|b| {
            b.map(|v| {
                if max > 0.0 {
                    (v / max * 1000.0).round() as u64
                } else {
                    0
                }
            })
        })
        .collect();
    let bars = symbols::bar::Set {
        empty: symbols::bar::ONE_EIGHTH,
        ..symbols::bar::NINE_LEVELS
    };
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .max(1000)
            .bar_set(bars)
            .style(style),
        area,
    );
}
