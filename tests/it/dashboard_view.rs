//! The dashboard without a terminal: snapshots of every state drawn from
//! synthetic metrics (idle, busy, decode errors, DLQ above zero, paused,
//! draining, and more) at 120×40 and 80×24; key-driven tests of `update`;
//! the event loop driven by a channel of keys on a `TestBackend`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use sluice::consume::metrics::{CounterValues, ErrorSample, Metrics, QueueGauges, Rates, Snapshot};
use sluice::consume::monitor::{AlarmReading, HealthReading};
use sluice::consume::runner::{ConsumeReport, Control};
use sluice::tui::dashboard::runtime::{self, Source};
use sluice::tui::dashboard::state::{LINGER, WINDOW_SECS};
use sluice::tui::dashboard::view::{ChartKind, layout};
use sluice::tui::dashboard::{
    Action, Effect, Info, Mode, Panel, QueueReading, RunState, State, render, update,
};
use sluice::tui::theme::Theme;

// ---- synthetic runs ----

fn info() -> Info {
    Info {
        stack: "acme-ingest".into(),
        queue: "acme-ingest-queue".into(),
        dlq: Some("acme-ingest-queue-dlq".into()),
        region: "us-west-2".into(),
        identity: "arn:aws:iam::123456789012:user/ingest-ops".into(),
        sink: Some("dir:/data/acme".into()),
        concurrency: Some(8),
        grace: Some(Duration::from_secs(30)),
        alarms: Vec::new(),
    }
}

fn state(mode: Mode, width: u16, height: u16) -> State {
    State::new(mode, info(), Theme { color: true }, (width, height))
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

fn ctrl_c() -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
}

fn error(i: u64) -> ErrorSample {
    let object = i % 3;
    ErrorSample {
        time: format!("2026-11-22T10:{:02}:{:02}Z", 20 + i / 60, i % 60),
        message_id: format!("m-{i}"),
        bucket: "acme-ingest-source".into(),
        key: format!("in/2026/11/22/orders-{object:04}.ndjson.gz"),
        record_index: Some(1200 + i * 7),
        byte_offset: Some(480_000 + i * 3_313),
        message: if i.is_multiple_of(2) {
            "invalid JSON at byte 17 of the record: expected `,` or `}` after an object value"
                .into()
        } else {
            "truncated JSON value (the line ends inside it)".into()
        },
    }
}

/// How a synthetic run goes, second by second.
#[derive(Clone, Copy)]
struct Load {
    /// Messages a second (each announces one object of `records` records).
    messages: fn(u64) -> u64,
    records: u64,
    visible: fn(u64) -> u64,
    in_flight: u64,
    dlq: u64,
    errors: u64,
}

const IDLE: Load = Load {
    messages: |_| 0,
    records: 0,
    visible: |_| 0,
    in_flight: 0,
    dlq: 0,
    errors: 0,
};

/// A backlog draining at a rate that rises and falls (integer arithmetic:
/// the same screen on every platform).
const BUSY: Load = Load {
    messages: |i| 6 + (i % 60) / 3 + if i > 200 { 8 } else { 0 },
    records: 480,
    visible: |i| 4_800u64.saturating_sub(i * 14),
    in_flight: 8,
    dlq: 0,
    errors: 0,
};

/// Feeds `seconds` once-a-second samples of `load` to `state`, starting at
/// uptime 600 s with the totals of an earlier burst.
fn run(state: &mut State, load: Load, seconds: u64) {
    let mut c = CounterValues {
        messages_received: 1_204,
        messages_deleted: 1_204,
        test_events: 1,
        objects_ok: 1_203,
        records: 577_440,
        bytes_compressed: 17_600_000,
        bytes_decompressed: 132_811_200,
        visibility_extensions: 12,
        ..CounterValues::default()
    };
    let mut recent = Vec::new();
    for i in 0..=seconds {
        let m = (load.messages)(i);
        c.messages_received += m;
        c.messages_deleted += m;
        c.objects_ok += m;
        c.records += m * load.records;
        c.bytes_decompressed += m * load.records * 230;
        c.bytes_compressed += m * load.records * 230 / 8;
        let lagging = m > 0;
        if i + load.errors > seconds {
            c.decode_errors += 1;
            recent.push(error(i));
        }
        let rate = m as f64;
        let snapshot = Snapshot {
            uptime_secs: 600.0 + i as f64,
            counters: c,
            queue: Some(QueueGauges {
                visible: (load.visible)(i),
                in_flight: if m > 0 { load.in_flight } else { 0 },
                delayed: if m > 0 { 2 } else { 0 },
                dlq_visible: Some(if i > seconds / 2 { load.dlq } else { 0 }),
            }),
            queue_age_secs: Some(1.0),
            poll_ends_in_secs: None,
            rates: Rates {
                messages: [rate, rate, rate * 0.9],
                records: [rate * 480.0, rate * 480.0, rate * 430.0],
                bytes: [rate * 110_400.0, rate * 110_400.0, rate * 99_000.0],
            },
            lag_p50_secs: lagging.then_some(1.2 + (i % 30) as f64 / 10.0),
            lag_p99_secs: lagging.then_some(4.0 + (i % 45) as f64 / 5.0),
            api_errors_by_kind: Vec::new(),
            alert: None,
            recent_errors: recent.clone(),
            in_flight_messages: if m > 0 { load.in_flight } else { 0 },
        };
        update(
            state,
            Action::Metrics {
                snapshot: Box::new(snapshot),
                sample: true,
            },
        );
    }
}

fn draw(state: &State) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
    terminal.draw(|frame| render(frame, state)).unwrap();
    terminal
}

/// The screen's text, one line per row, right-trimmed.
fn screen(state: &State) -> String {
    sluice::tui::runtime::screen_text(&draw(state))
}

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn snap(name: &str, make: impl Fn(u16, u16) -> State) {
    for (w, h) in SIZES {
        let state = make(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&state));
    }
}

// ---- the states ----

#[test]
fn snapshot_idle() {
    snap("idle", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, IDLE, 300);
        s
    });
}

#[test]
fn snapshot_busy() {
    snap("busy", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 300);
        s
    });
}

#[test]
fn snapshot_decode_errors() {
    snap("decode_errors", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, Load { errors: 14, ..BUSY }, 300);
        update(&mut s, ch('e'));
        update(&mut s, key(KeyCode::Down));
        update(&mut s, key(KeyCode::Down));
        s
    });
}

#[test]
fn snapshot_dlq_above_zero() {
    snap("dlq", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, Load { dlq: 3, ..BUSY }, 300);
        s
    });
}

#[test]
fn snapshot_paused() {
    snap("paused", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 300);
        assert_eq!(update(&mut s, ch('p')), vec![Effect::Pause(true)]);
        s
    });
}

#[test]
fn snapshot_draining() {
    snap("draining", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 300);
        assert_eq!(update(&mut s, ch('q')), vec![Effect::Shutdown]);
        // Three of the eight held messages finish, and are deleted.
        let mut next = s.snapshot.clone();
        next.uptime_secs += 4.0;
        next.in_flight_messages = 5;
        next.counters.messages_deleted += 3;
        update(
            &mut s,
            Action::Metrics {
                snapshot: Box::new(next),
                sample: true,
            },
        );
        s
    });
}

#[test]
fn snapshot_stopped() {
    snap("stopped", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 300);
        update(&mut s, ch('q'));
        let mut last = s.snapshot.clone();
        last.uptime_secs += 6.0;
        last.in_flight_messages = 0;
        last.counters.messages_deleted += 8;
        let effects = update(
            &mut s,
            Action::Finished(Box::new(ConsumeReport {
                snapshot: last,
                fail_policy_errors: 0,
                fatal: None,
            })),
        );
        assert_eq!(effects, vec![Effect::QuitAfter(LINGER)]);
        s
    });
}

#[test]
fn snapshot_error_detail_and_help() {
    snap("error_detail", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, Load { errors: 5, ..BUSY }, 120);
        update(&mut s, ch('e'));
        update(&mut s, key(KeyCode::Enter));
        s
    });
    snap("help", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 60);
        update(&mut s, ch('?'));
        s
    });
}

#[test]
fn snapshot_zoomed_charts() {
    snap("zoom_charts", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        run(&mut s, BUSY, 300);
        update(&mut s, key(KeyCode::Tab));
        assert_eq!(s.focus, Panel::Charts);
        update(&mut s, key(KeyCode::Enter));
        assert!(s.zoom);
        s
    });
}

/// Monitor mode: a vendor's connector drains the queue; sluice only reads it.
fn monitoring(w: u16, h: u16) -> State {
    let mut s = state(Mode::Monitor, w, h);
    s.info.sink = None;
    s.info.concurrency = None;
    s.info.grace = None;
    for i in 0..=100u64 {
        let at = i as f64 * 3.0;
        let visible = 9_000 - i * 60;
        update(
            &mut s,
            Action::Queue(QueueReading {
                at,
                gauges: Some(QueueGauges {
                    visible,
                    in_flight: 40,
                    delayed: 0,
                    dlq_visible: Some(if i > 50 { 2 } else { 0 }),
                }),
                error: None,
            }),
        );
    }
    update(&mut s, Action::Clock(301.4));
    s
}

#[test]
fn snapshot_monitor() {
    snap("monitor", monitoring);
}

// ---- alarms ----

/// The wall clock of the synthetic readings: 2026-12-06 21:17:00 UTC.
const EPOCH: i64 = 1_796_591_820;

const ALARMS: [&str; 3] = [
    "acme-ingest-dlq-not-empty",
    "acme-ingest-oldest-message-age",
    "acme-ingest-stalled",
];

/// The spec's three alarms on the panel.
fn with_alarms(s: &mut State) {
    s.info.alarms = ALARMS.iter().map(|a| (*a).to_owned()).collect();
}

fn alarm(name: &str, state: &str, since: i64) -> AlarmReading {
    AlarmReading {
        name: format!("acme-ingest-{name}"),
        state: Some(state.to_owned()),
        since: Some(since),
        reason: format!("{name} is {state}"),
    }
}

/// A health reading taken now on `s`'s clock.
fn health(
    s: &State,
    alarms: Result<Vec<AlarmReading>, String>,
    queue_age: Option<f64>,
    dlq_age: Option<f64>,
) -> Action {
    Action::Health(Box::new(HealthReading {
        at: s.now,
        epoch: EPOCH,
        alarms,
        queue_age: Ok(queue_age),
        dlq_age: Some(Ok(dlq_age)),
    }))
}

/// All OK since 21:03 (the DLQ alarm since the day before); CloudWatch has
/// no age datapoint.
fn all_ok(s: &State) -> Action {
    health(
        s,
        Ok(vec![
            alarm("dlq-not-empty", "OK", EPOCH - 86_400),
            alarm("oldest-message-age", "OK", EPOCH - 14 * 60),
            alarm("stalled", "OK", EPOCH - 14 * 60),
        ]),
        None,
        None,
    )
}

/// The stalled alarm in ALARM for 14 minutes.
fn stalled(s: &State) -> Action {
    health(
        s,
        Ok(vec![
            alarm("dlq-not-empty", "OK", EPOCH - 3 * 3600),
            alarm("oldest-message-age", "OK", EPOCH - 3 * 3600),
            alarm("stalled", "ALARM", EPOCH - 14 * 60 - 20),
        ]),
        Some(200.0),
        None,
    )
}

#[test]
fn snapshot_alarms_in_alarm() {
    snap("alarms_alarm", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        with_alarms(&mut s);
        run(&mut s, BUSY, 300);
        let reading = stalled(&s);
        update(&mut s, reading);
        s
    });
}

#[test]
fn snapshot_alarms_ok() {
    snap("alarms_ok", |w, h| {
        let mut s = monitoring(w, h);
        with_alarms(&mut s);
        let reading = all_ok(&s);
        update(&mut s, reading);
        s
    });
}

#[test]
fn snapshot_alarms_with_messages_in_the_dlq() {
    snap("alarms_dlq", |w, h| {
        let mut s = state(Mode::Consume, w, h);
        with_alarms(&mut s);
        run(&mut s, Load { dlq: 3, ..BUSY }, 300);
        let reading = health(
            &s,
            Ok(vec![
                alarm("dlq-not-empty", "ALARM", EPOCH - 2 * 3600 - 5 * 60),
                alarm("oldest-message-age", "INSUFFICIENT_DATA", EPOCH - 3600),
                alarm("stalled", "OK", EPOCH - 3600),
            ]),
            Some(95.0),
            Some(2.0 * 3600.0 + 310.0),
        );
        update(&mut s, reading);
        s
    });
}

/// Whether `text` is on `state`'s screen.
fn shows(state: &State, text: &str) -> bool {
    screen(state).contains(text)
}

#[test]
fn a_spec_without_alarms_shows_no_alarm_lines_and_keeps_its_layout() {
    for (w, h) in SIZES {
        let mut plain = state(Mode::Consume, w, h);
        run(&mut plain, BUSY, 300);
        let before = screen(&plain);
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let areas = layout(&plain, area);
        // A stray reading changes nothing on screen.
        let reading = stalled(&plain);
        update(&mut plain, reading);
        assert_eq!(screen(&plain), before);
        assert_eq!(layout(&plain, area), areas);
        for text in ["alarm", "ALARM", "oldest msg", "stalled"] {
            assert!(!before.contains(text), "{text:?} at {w}x{h}:\n{before}");
        }
    }
}

#[test]
fn alarm_lines_keep_the_charts_and_the_errors_at_both_sizes() {
    for ((w, h), kind) in SIZES.into_iter().zip([ChartKind::Full, ChartKind::Compact]) {
        let mut s = state(Mode::Consume, w, h);
        with_alarms(&mut s);
        run(&mut s, BUSY, 300);
        let reading = stalled(&s);
        update(&mut s, reading);
        let areas = layout(&s, ratatui::layout::Rect::new(0, 0, w, h)).unwrap();
        assert_eq!(areas.charts.map(|c| c.1), Some(kind), "{w}x{h}");
        assert!(areas.errors.is_some_and(|e| e.height >= 4), "{w}x{h}");
        // Every alarm where there is room; a summary where there is not.
        let shown = screen(&s);
        if w >= 120 {
            assert!(shown.contains("stalled    ALARM for 14 min"), "{shown}");
            assert!(shown.contains("DLQ alarm  OK since 18:17 UTC"), "{shown}");
            assert!(shown.contains("oldest msg 3 min 20 s"), "{shown}");
        } else {
            assert!(shown.contains("stalled ALARM for 14 min · 2 OK"), "{shown}");
        }
    }
}

#[test]
fn a_health_reading_replaces_the_last_and_redraws_only_on_change() {
    let mut s = state(Mode::Monitor, 120, 40);
    with_alarms(&mut s);
    update(&mut s, Action::Clock(5.0));
    assert!(s.health.is_none());
    assert!(shows(&s, "reading…"), "{}", screen(&s));
    let reading = stalled(&s);
    assert_eq!(update(&mut s, reading.clone()), Vec::new());
    assert!(s.dirty);
    let alarms = s.health.as_ref().unwrap().alarms.as_ref().unwrap();
    assert_eq!(alarms[2].state.as_deref(), Some("ALARM"));
    s.dirty = false;
    update(&mut s, reading);
    assert!(!s.dirty, "the same reading again redraws nothing");
    // The clock moves on: the alarm has been in ALARM longer.
    update(&mut s, Action::Clock(5.0 + 120.0));
    assert!(shows(&s, "ALARM for 16 min"), "{}", screen(&s));
    let ok = all_ok(&s);
    update(&mut s, ok);
    assert!(s.dirty);
    assert!(shows(&s, "stalled    OK since 21:03 UTC"), "{}", screen(&s));
    // A day ago: the day, not the time.
    assert!(shows(&s, "DLQ alarm  OK since Dec 5 UTC"), "{}", screen(&s));
}

#[test]
fn alarm_in_alarm_is_drawn_as_trouble() {
    let mut s = state(Mode::Consume, 120, 40);
    with_alarms(&mut s);
    run(&mut s, BUSY, 300);
    let reading = stalled(&s);
    update(&mut s, reading);
    assert_eq!(style_of(&s, "ALARM for").fg, Some(Color::Red));
    assert_ne!(style_of(&s, "OK since").fg, Some(Color::Red));
    // The summary at 80x24 too.
    s.size = (80, 24);
    assert_eq!(style_of(&s, "stalled ALARM").fg, Some(Color::Red));
}

#[test]
fn an_age_without_data_says_so_rather_than_zero() {
    let mut s = state(Mode::Consume, 120, 40);
    with_alarms(&mut s);
    run(&mut s, Load { dlq: 3, ..BUSY }, 300);
    let reading = all_ok(&s);
    update(&mut s, reading);
    assert!(
        shows(&s, "oldest msg no data · DLQ no data"),
        "{}",
        screen(&s)
    );
    assert!(!shows(&s, "oldest msg 0"), "{}", screen(&s));
    // Without messages in the DLQ its age is not shown.
    let mut calm = state(Mode::Consume, 120, 40);
    with_alarms(&mut calm);
    run(&mut calm, BUSY, 300);
    let reading = all_ok(&calm);
    update(&mut calm, reading);
    assert!(shows(&calm, "oldest msg no data"), "{}", screen(&calm));
    assert!(!shows(&calm, "DLQ no data"), "{}", screen(&calm));
}

#[test]
fn a_failed_health_read_says_why_and_the_dashboard_goes_on() {
    for (w, h) in SIZES {
        let mut s = state(Mode::Consume, w, h);
        with_alarms(&mut s);
        run(&mut s, BUSY, 300);
        let failed = Action::Health(Box::new(HealthReading {
            at: s.now,
            epoch: EPOCH,
            alarms: Err("cloudwatch:DescribeAlarms on acme-ingest: access denied".into()),
            queue_age: Err("cloudwatch:GetMetricStatistics: access denied".into()),
            dlq_age: None,
        }));
        assert_eq!(update(&mut s, failed), Vec::new());
        assert!(!s.quit);
        let shown = screen(&s);
        assert!(shown.contains("failed (below)"), "{shown}");
        assert!(
            shown.contains(" reading the alarms / ages failed: cloudwatch:DescribeAlarms"),
            "{shown}"
        );
        // The queue's numbers are still read and shown.
        assert!(shown.contains("visible"), "{shown}");
        assert!(number_on(&shown, "visible").is_some(), "{shown}");
        // The next reading that works clears the error.
        let ok = all_ok(&s);
        update(&mut s, ok);
        let shown = screen(&s);
        assert!(!shown.contains("failed (below)"), "{shown}");
        assert!(!shown.contains("reading the alarms"), "{shown}");
    }
}

/// The number after `label` on a screen.
fn number_on(screen: &str, label: &str) -> Option<u64> {
    let at = screen.find(label)? + label.len();
    let digits: String = screen[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn snapshot_too_small() {
    let mut s = state(Mode::Consume, 50, 12);
    run(&mut s, BUSY, 10);
    insta::assert_snapshot!("too_small_50x12", screen(&s));
}

// ---- styles: what the text snapshots cannot show ----

/// The style of the first cell of `text` on screen.
fn style_of(state: &State, text: &str) -> ratatui::style::Style {
    let terminal = draw(state);
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return buffer[(x, y)].style();
        }
    }
    panic!("{text:?} is not on screen:\n{}", screen(state));
}

#[test]
fn the_dlq_is_highlighted_above_zero_with_and_without_colour() {
    let mut s = state(Mode::Consume, 120, 40);
    run(&mut s, Load { dlq: 3, ..BUSY }, 300);
    let style = style_of(&s, " 3 ");
    assert_eq!(style.bg, Some(Color::Red), "{style:?}");
    s.theme = Theme { color: false };
    let style = style_of(&s, " 3 ");
    assert!(matches!(style.bg, None | Some(Color::Reset)), "{style:?}");
    assert!(matches!(style.fg, None | Some(Color::Reset)), "{style:?}");
    assert!(style.add_modifier.contains(Modifier::REVERSED), "{style:?}");
    // Zero is not highlighted.
    let mut calm = state(Mode::Consume, 120, 40);
    run(&mut calm, BUSY, 300);
    let style = style_of(&calm, "DLQ");
    assert_ne!(style.fg, Some(Color::Red));
}

#[test]
fn without_colour_nothing_is_coloured() {
    let mut s = state(Mode::Consume, 120, 40);
    s.theme = Theme { color: false };
    run(
        &mut s,
        Load {
            errors: 5,
            dlq: 1,
            ..BUSY
        },
        300,
    );
    update(&mut s, ch('e'));
    let terminal = draw(&s);
    for cell in terminal.backend().buffer().content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
}

// ---- keys ----

#[test]
fn p_pauses_and_resumes_receiving() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    assert_eq!(update(&mut s, ch('p')), vec![Effect::Pause(true)]);
    assert_eq!(s.run, RunState::Paused);
    assert!(screen(&s).contains("PAUSED"));
    assert!(screen(&s).contains("p resume"));
    assert_eq!(update(&mut s, ch('p')), vec![Effect::Pause(false)]);
    assert_eq!(s.run, RunState::Running);
}

#[test]
fn q_drains_then_shows_the_final_counters_then_exits() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    assert_eq!(update(&mut s, ch('q')), vec![Effect::Shutdown]);
    assert_eq!(s.run, RunState::Draining);
    assert_eq!(s.drain.map(|d| d.in_flight_at_start), Some(8));
    // A second q changes nothing: it never turns into "stop now".
    assert_eq!(update(&mut s, ch('q')), vec![]);
    assert_eq!(s.run, RunState::Draining);
    assert!(!s.quit);
    // p does nothing while draining.
    assert_eq!(update(&mut s, ch('p')), vec![]);
    let mut last = s.snapshot.clone();
    last.in_flight_messages = 0;
    assert_eq!(
        update(
            &mut s,
            Action::Finished(Box::new(ConsumeReport {
                snapshot: last,
                fail_policy_errors: 0,
                fatal: None,
            }))
        ),
        vec![Effect::QuitAfter(LINGER)]
    );
    assert_eq!(s.run, RunState::Stopped);
    assert!(screen(&s).contains("STOPPED"));
    assert!(!s.quit);
    // Metrics read after the end do not replace the final ones.
    let before = s.snapshot.clone();
    let mut late = before.clone();
    late.uptime_secs += 1.0;
    late.counters.records += 1;
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(late),
            sample: true,
        },
    );
    assert_eq!(s.snapshot, before);
    update(&mut s, Action::Quit);
    assert!(s.quit);
}

#[test]
fn q_with_nothing_being_processed_leaves_at_once() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, IDLE, 3);
    assert_eq!(s.snapshot.in_flight_messages, 0);
    // Nothing to drain: a plain stop, which lets the open long-poll return
    // and hands back what it brings; the end is not shown.
    assert_eq!(update(&mut s, ch('q')), vec![Effect::Shutdown]);
    assert!(!s.quit);
    let snapshot = s.snapshot.clone();
    assert_eq!(
        update(
            &mut s,
            Action::Finished(Box::new(ConsumeReport {
                snapshot,
                fail_policy_errors: 0,
                fatal: None,
            })),
        ),
        vec![]
    );
    assert!(s.quit, "no linger, no extra key");
}

#[test]
fn a_drain_says_what_it_waits_for_with_a_countdown() {
    let mut s = state(Mode::Consume, 120, 30);
    run(&mut s, BUSY, 10);
    update(&mut s, ch('q'));
    let mut next = s.snapshot.clone();
    next.uptime_secs += 1.0;
    next.poll_ends_in_secs = Some(14.2);
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(next),
            sample: true,
        },
    );
    let shown = screen(&s);
    assert!(
        shown.contains("0/8 finished · open long-poll ≤ 14 s · grace"),
        "{shown}"
    );
}

#[test]
fn the_queue_panel_says_how_old_its_reading_is() {
    let mut s = state(Mode::Consume, 120, 30);
    run(&mut s, BUSY, 10);
    assert!(
        screen(&s).contains("Queue · 1 s ago · trend"),
        "{}",
        screen(&s)
    );
    let mut stale = s.snapshot.clone();
    stale.uptime_secs += 1.0;
    stale.queue_age_secs = Some(12.0);
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(stale),
            sample: true,
        },
    );
    assert!(screen(&s).contains("Queue · 12 s ago"), "{}", screen(&s));
}

#[test]
fn any_key_leaves_once_stopped() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, IDLE, 3);
    let snapshot = s.snapshot.clone();
    update(
        &mut s,
        Action::Finished(Box::new(ConsumeReport {
            snapshot,
            fail_policy_errors: 0,
            fatal: None,
        })),
    );
    update(&mut s, ch('x'));
    assert!(s.quit);
}

#[test]
fn capital_q_releases_and_a_second_leaves_without_waiting() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    assert_eq!(
        update(&mut s, ch('Q')),
        vec![Effect::Shutdown, Effect::Abort]
    );
    assert_eq!(s.run, RunState::Releasing);
    assert!(screen(&s).contains("RELEASING"));
    assert!(!s.quit);
    assert_eq!(update(&mut s, ch('Q')), vec![]);
    assert!(s.quit && s.abandoned);
}

#[test]
fn q_then_capital_q_stops_a_drain_now() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    update(&mut s, ch('q'));
    assert_eq!(
        update(&mut s, ch('Q')),
        vec![Effect::Shutdown, Effect::Abort]
    );
    assert_eq!(s.run, RunState::Releasing);
}

#[test]
fn ctrl_c_and_signals_are_q_then_capital_q() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    assert_eq!(update(&mut s, ctrl_c()), vec![Effect::Shutdown]);
    assert_eq!(s.run, RunState::Draining);
    assert_eq!(
        update(&mut s, Action::Interrupt),
        vec![Effect::Shutdown, Effect::Abort]
    );
    assert_eq!(s.run, RunState::Releasing);
}

#[test]
fn overlays_swallow_keys_but_not_quitting_now() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 10);
    update(&mut s, ch('?'));
    assert!(s.overlay.is_some());
    // q closes the help rather than quitting.
    assert_eq!(update(&mut s, ch('q')), vec![]);
    assert!(s.overlay.is_none());
    assert_eq!(s.run, RunState::Running);
    update(&mut s, ch('?'));
    assert_eq!(update(&mut s, ch('p')), vec![]);
    assert_eq!(s.run, RunState::Running);
    assert_eq!(
        update(&mut s, ch('Q')),
        vec![Effect::Shutdown, Effect::Abort]
    );
    assert!(s.overlay.is_none());
}

#[test]
fn tab_moves_between_panels_and_e_focuses_the_errors() {
    let mut s = state(Mode::Consume, 120, 40);
    assert_eq!(s.focus, Panel::Queue);
    let mut seen = Vec::new();
    for _ in 0..4 {
        update(&mut s, key(KeyCode::Tab));
        seen.push(s.focus);
    }
    assert_eq!(
        seen,
        vec![Panel::Charts, Panel::Counters, Panel::Errors, Panel::Queue]
    );
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.focus, Panel::Errors);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, ch('e'));
    assert_eq!(s.focus, Panel::Errors);
}

#[test]
fn the_errors_list_scrolls_opens_details_and_keeps_its_selection() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, Load { errors: 30, ..BUSY }, 100);
    assert_eq!(s.errors.len(), 30);
    // Newest first.
    assert_eq!(s.errors[0], error(100));
    // Arrows do nothing until the list has the focus.
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.selected, 0);
    update(&mut s, ch('e'));
    let rows = sluice::tui::dashboard::view::error_rows(&s);
    assert!(rows >= 2, "{rows}");
    update(&mut s, key(KeyCode::End));
    assert_eq!(s.selected, 29);
    assert_eq!(s.offset, 30 - rows);
    update(&mut s, key(KeyCode::Home));
    assert_eq!((s.selected, s.offset), (0, 0));
    update(&mut s, key(KeyCode::PageDown));
    assert_eq!(s.selected, rows);
    assert_eq!(s.offset, 1);
    update(&mut s, key(KeyCode::Up));
    let chosen = s.errors[s.selected].clone();
    update(&mut s, key(KeyCode::Enter));
    match &s.overlay {
        Some(sluice::tui::dashboard::state::Overlay::Error(e)) => assert_eq!(**e, chosen),
        other => panic!("{other:?}"),
    }
    let text = screen(&s);
    assert!(text.contains(&chosen.key), "{text}");
    assert!(text.contains("byte offset"), "{text}");
    // ↓ in the detail shows the next (older) error.
    update(&mut s, key(KeyCode::Down));
    match &s.overlay {
        Some(sluice::tui::dashboard::state::Overlay::Error(e)) => {
            assert_eq!(**e, s.errors[s.selected]);
            assert_ne!(**e, chosen);
        }
        other => panic!("{other:?}"),
    }
    update(&mut s, key(KeyCode::Esc));
    assert!(s.overlay.is_none());
    // Two newer errors arrive: the same error stays selected.
    let selected = s.errors[s.selected].clone();
    let mut next = s.snapshot.clone();
    next.uptime_secs += 1.0;
    next.recent_errors.push(error(500));
    next.recent_errors.push(error(501));
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(next),
            sample: false,
        },
    );
    assert_eq!(s.errors[s.selected], selected);
    assert!(s.selected >= s.offset && s.selected < s.offset + rows);
}

#[test]
fn the_newest_error_stays_selected_when_following() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, Load { errors: 3, ..BUSY }, 20);
    update(&mut s, ch('e'));
    let mut next = s.snapshot.clone();
    next.uptime_secs += 1.0;
    next.recent_errors.push(error(900));
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(next),
            sample: false,
        },
    );
    assert_eq!(s.selected, 0);
    assert_eq!(s.errors[0], error(900));
}

#[test]
fn resizing_relayouts_and_keeps_the_selection_visible() {
    let mut s = state(Mode::Consume, 120, 40);
    run(&mut s, Load { errors: 40, ..BUSY }, 100);
    update(&mut s, ch('e'));
    update(&mut s, key(KeyCode::End));
    update(&mut s, Action::Resize(80, 24));
    let rows = sluice::tui::dashboard::view::error_rows(&s);
    assert!(s.selected >= s.offset && s.selected < s.offset + rows);
    assert_eq!(s.size, (80, 24));
    assert!(screen(&s).lines().count() == 24);
}

#[test]
fn monitor_mode_quits_at_once_and_has_nothing_to_pause() {
    let mut s = monitoring(80, 24);
    assert_eq!(update(&mut s, ch('p')), vec![]);
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("monitor"))
    );
    assert_eq!(update(&mut s, ch('q')), vec![]);
    assert!(s.quit);
    let mut s = monitoring(80, 24);
    update(&mut s, ch('Q'));
    assert!(s.quit);
}

#[test]
fn monitor_mode_estimates_throughput_from_the_queue_and_says_so() {
    let s = monitoring(120, 40);
    // 60 messages fewer every 3 s: 20 a second.
    let estimate = s.estimate().unwrap();
    assert!((estimate - 20.0).abs() < 1e-9, "{estimate}");
    let text = screen(&s);
    assert!(text.contains("messages/s (estimate) ~20"), "{text}");
    assert!(text.contains("~20/s (estimate)"), "{text}");
    assert!(text.contains("MONITORING"), "{text}");
    // Consumer-only counters are shown as unknown.
    let records = text.lines().find(|l| l.contains(" records ")).unwrap();
    let after = records.split(" records ").nth(1).unwrap().trim_start();
    assert!(after.starts_with('—'), "{records}");
    // A failed reading is shown, and the last good numbers stay.
    let mut s = s;
    update(
        &mut s,
        Action::Queue(QueueReading {
            at: 305.0,
            gauges: None,
            error: Some("access denied to sqs:GetQueueAttributes".into()),
        }),
    );
    let text = screen(&s);
    assert!(
        text.contains("reading the queue failed: access denied"),
        "{text}"
    );
    assert!(text.contains("3,000"), "{text}");
}

// ---- history and redraws ----

#[test]
fn the_history_is_a_bounded_five_minute_window() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 1_000);
    assert!(
        s.history.len() <= WINDOW_SECS as usize + 2,
        "{}",
        s.history.len()
    );
    let series = s.history.series(s.now, |p| p.messages);
    assert!(series.iter().all(|(x, _)| (-WINDOW_SECS..=0.0).contains(x)));
    assert_eq!(series.last().map(|p| p.0), Some(0.0));
    // Rates come from the counters between samples.
    let newest = s.history.newest().unwrap();
    assert_eq!(newest.messages, Some((BUSY.messages)(1_000) as f64));
    assert_eq!(newest.records, Some((BUSY.messages)(1_000) as f64 * 480.0));
}

#[test]
fn nothing_changed_means_no_redraw() {
    let mut s = state(Mode::Consume, 80, 24);
    run(&mut s, BUSY, 5);
    s.dirty = false;
    // The same reading again (after a key, say): nothing to draw.
    let same = s.snapshot.clone();
    update(
        &mut s,
        Action::Metrics {
            snapshot: Box::new(same),
            sample: false,
        },
    );
    assert!(!s.dirty);
    // An unbound key draws nothing either.
    update(&mut s, ch('x'));
    assert!(!s.dirty);
    // The monitor clock redraws once a second, not more.
    let mut m = monitoring(80, 24);
    m.dirty = false;
    update(&mut m, Action::Clock(301.9));
    assert!(!m.dirty);
    update(&mut m, Action::Clock(302.0));
    assert!(m.dirty);
}

// ---- the event loop ----

/// The loop on a test backend: keys from a channel reach `Control`; the
/// consumer's end shows the final counters, then the loop returns.
#[tokio::test]
async fn the_loop_steers_the_consumer_and_ends_after_it() {
    let metrics = Arc::new(Metrics::new());
    let control = Control::default();
    let source = Source::Consume {
        metrics: metrics.clone(),
        control: control.clone(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (keys, events) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
    // A stand-in consumer: runs until shut down, then reports.
    let consumer = {
        let (metrics, control, tx) = (metrics.clone(), control.clone(), tx.clone());
        tokio::spawn(async move {
            metrics.add(&metrics.counters.records, 42);
            control.shutdown.cancelled().await;
            let snapshot = metrics.snapshot();
            let _ = tx.send(Action::Finished(Box::new(ConsumeReport {
                snapshot,
                fail_policy_errors: 0,
                fatal: None,
            })));
        })
    };
    let press = |c: char| {
        keys.unbounded_send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))))
        .unwrap();
    };
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut s = state(Mode::Consume, 1, 1);
    press('p');
    let started = std::time::Instant::now();
    let ui = async {
        runtime::run(&mut terminal, &mut s, &source, &mut rx, events)
            .await
            .unwrap();
    };
    let driver = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(control.paused.load(Ordering::Relaxed));
        press('p');
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!control.paused.load(Ordering::Relaxed));
        press('q');
    };
    tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(ui, driver) })
        .await
        .expect("the loop did not end");
    consumer.await.unwrap();
    // Nothing was being processed: q stops (the open poll returns and hands
    // back what it brings) and leaves without lingering on the final counters.
    assert!(control.shutdown.is_cancelled());
    assert!(!control.abort.is_cancelled(), "a plain stop, not an abort");
    assert_eq!(s.run, RunState::Stopped);
    assert_eq!(s.snapshot.counters.records, 42);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The loop resized the state to the terminal.
    assert_eq!(s.size, (80, 24));
}
