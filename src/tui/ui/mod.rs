//! Drawing. Every function here takes `&App` and does no I/O; the layout
//! functions are pure too, so `update` uses them to find what a mouse click hit.

mod form;
mod overlay;
mod preview;
mod screens;

pub use form::{field_rects, intro_lines, lookup_line};
pub use preview::{preview_height, preview_lines};
pub use screens::main_lines;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Connection, Overlay, StatusKind, Step};
use super::form::Kind;

/// The smallest terminal the wizard draws in.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// From this width on, the preview stands beside the form.
pub const WIDE: u16 = 100;

/// The rows of the frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame5 {
    pub header: Rect,
    pub steps: Rect,
    pub body: Rect,
    pub status: Rect,
    pub keys: Rect,
}

pub fn frame_areas(area: Rect) -> Frame5 {
    let [header, steps, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Frame5 {
        header,
        steps,
        body,
        status,
        keys,
    }
}

/// The whole screen for the app's size.
pub fn screen(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// Whether the preview stands beside the form.
pub fn wide(app: &App) -> bool {
    app.size.0 >= WIDE
}

/// Where the form (or the main pane) and the preview go.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub main: Option<Rect>,
    pub preview: Option<Rect>,
}

/// Steps that show the preview pane.
pub fn has_preview(step: Step) -> bool {
    step.is_form() || step == Step::Review
}

pub fn body_areas(app: &App) -> Body {
    let body = frame_areas(screen(app)).body;
    if !has_preview(app.step) {
        return Body {
            main: Some(body),
            preview: None,
        };
    }
    if wide(app) {
        let form_width = (body.width * 46 / 100).max(44);
        let [main, preview] =
            Layout::horizontal([Constraint::Length(form_width), Constraint::Min(1)]).areas(body);
        Body {
            main: Some(main),
            preview: Some(preview),
        }
    } else if app.preview.shown {
        Body {
            main: None,
            preview: Some(body),
        }
    } else {
        Body {
            main: Some(body),
            preview: None,
        }
    }
}

/// Word-wraps `text` to `width` columns (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let needed = if len == 0 {
                    word.len()
                } else {
                    len + 1 + word.len()
                };
                if needed <= width {
                    if len > 0 {
                        line.push(' ');
                        len += 1;
                    }
                    line.extend(word.iter());
                    len += word.len();
                    break;
                }
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                    continue;
                }
                // A word longer than the line: cut it.
                let rest = word.split_off(width);
                lines.push(word.iter().collect());
                word = rest;
            }
        }
        lines.push(line);
    }
    lines
}

/// Cuts `text` to `width` columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Short names for very narrow step bars.
fn abbreviation(step: Step) -> &'static str {
    match step {
        Step::Welcome => "Start",
        Step::Notification => "Notif",
        Step::Review => "Rev",
        Step::Verify => "Ver",
        Step::Bucket => "Bkt",
        other => other.short(),
    }
}

/// The tabs of the step bar, where each is, its label and the separator
/// drawn after it. Tries numbered names, then names, then abbreviations,
/// then numbers (with the current step named).
pub fn step_tabs(app: &App) -> Vec<(Step, Rect, String)> {
    let area = frame_areas(screen(app)).steps;
    let styles: [(&dyn Fn(Step) -> String, u16); 4] = [
        (&|s: Step| format!("{} {}", s.index() + 1, s.short()), 3),
        (&|s: Step| s.short().to_owned(), 1),
        (&|s: Step| abbreviation(s).to_owned(), 1),
        (&|s: Step| (s.index() + 1).to_string(), 1),
    ];
    let mut chosen = None;
    for (label, gap) in styles {
        let labels: Vec<String> = Step::ALL
            .iter()
            .map(|s| {
                if *s == app.step {
                    format!(" {} {} ", s.index() + 1, s.short())
                } else {
                    label(*s)
                }
            })
            .collect();
        let width: usize = labels.iter().map(|l| l.chars().count()).sum::<usize>()
            + usize::from(gap) * (labels.len() - 1)
            + 1;
        chosen = Some((labels, gap));
        if width <= usize::from(area.width) {
            break;
        }
    }
    let Some((labels, gap)) = chosen else {
        return Vec::new();
    };
    let mut x = area.x + 1;
    let mut out = Vec::new();
    for (step, label) in Step::ALL.iter().zip(labels) {
        let width = u16::try_from(label.chars().count()).unwrap_or(u16::MAX);
        let rect = Rect::new(x, area.y, width.min(area.right().saturating_sub(x)), 1);
        out.push((*step, rect, label));
        x = x.saturating_add(width + gap);
    }
    out
}

/// Draws the whole wizard.
pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "The terminal is {}×{}: sluice's wizard needs at least {}×{} (80×24 is comfortable). Enlarge it, or press Ctrl-C to quit.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let areas = frame_areas(area);
    header(frame, app, areas.header);
    step_bar(frame, app, areas.steps);
    let body = body_areas(app);
    if app.step.is_form() {
        if let Some(main) = body.main {
            form::render(frame, app, main);
        }
    } else if let Some(main) = body.main {
        screens::render(frame, app, main);
    }
    if let Some(rect) = body.preview {
        preview::render(frame, app, rect);
    }
    status_line(frame, app, areas.status);
    keys_line(frame, app, areas.keys);
    if let Some(overlay) = &app.overlay {
        overlay::render(frame, app, overlay, area);
    }
}

fn header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let left = Line::from(vec![
        Span::styled(" sluice ", t.focused()),
        Span::styled(
            format!(
                " step {} of {} · {}",
                app.step.index() + 1,
                Step::ALL.len(),
                app.step.title()
            ),
            t.title(),
        ),
    ]);
    let connection = match &app.connection {
        Connection::Online { identity, .. } => {
            Span::styled(format!("● account {}", identity.account), t.ok())
        }
        Connection::Connecting => {
            Span::styled(format!("{} checking credentials", app.spinner()), t.dim())
        }
        Connection::Offline { .. } => {
            Span::styled("○ OFFLINE", t.warn().add_modifier(Modifier::BOLD))
        }
    };
    let saved = if app.dirty() {
        Span::styled("● unsaved", t.warn())
    } else {
        Span::styled("saved", t.dim())
    };
    let right = Line::from(vec![
        connection,
        Span::styled(format!(" · {} · ", app.spec.region), t.dim()),
        saved,
        Span::raw(" "),
    ]);
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
}

/// Whether a step can be reached from the step bar now.
pub fn step_reachable(app: &App, step: Step) -> bool {
    step <= app.furthest && !(step.needs_aws() && app.aws_blocker().is_some())
}

fn step_bar(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let tabs = step_tabs(app);
    let buf = frame.buffer_mut();
    for (i, (step, rect, label)) in tabs.iter().enumerate() {
        let style = if *step == app.step {
            t.current_step()
        } else if step.needs_aws() && app.aws_blocker().is_some() {
            t.dim().add_modifier(Modifier::CROSSED_OUT)
        } else if *step <= app.furthest {
            t.text()
        } else {
            t.dim()
        };
        if rect.width == 0 {
            break;
        }
        buf.set_stringn(rect.x, rect.y, label, usize::from(rect.width), style);
        if let Some((_, next, _)) = tabs.get(i + 1)
            && next.x >= rect.right() + 3
        {
            buf.set_string(rect.right() + 1, rect.y, "›", t.dim());
        }
    }
    let _ = area;
}

fn status_line(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let (text, style) = match &app.status {
        Some(status) => (
            status.text.clone(),
            match status.kind {
                StatusKind::Info => t.accent(),
                StatusKind::Ok => t.ok(),
                StatusKind::Error => t.error().add_modifier(Modifier::BOLD),
            },
        ),
        None => match app
            .focus
            .filter(|_| app.step.is_form() && app.overlay.is_none())
        {
            Some(field) => match focused_item_error(app, field) {
                Some(error) => (format!("✗ {error}"), t.error()),
                None => (format!("{}: {}", field.label(), field.hint()), t.dim()),
            },
            None => (String::new(), t.dim()),
        },
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            truncate(&format!(" {text}"), usize::from(area.width)),
            style,
        )),
        area,
    );
}

/// The error of the list item under the cursor (shown whole in the status line).
fn focused_item_error(app: &App, field: super::form::FieldId) -> Option<String> {
    if field.kind() != Kind::List {
        return None;
    }
    let cursor = app.cursors.get(&field).copied()?;
    app.item_error(field, cursor).map(str::to_owned)
}

/// The key hints of the current context, most useful first.
pub fn key_hints(app: &App) -> Vec<(&'static str, &'static str)> {
    if let Some(overlay) = &app.overlay {
        return match overlay {
            Overlay::Help { .. } => vec![("↑↓", "scroll"), ("Esc", "close")],
            Overlay::ConfirmQuit => vec![("s", "save & quit"), ("q", "quit"), ("Esc", "stay")],
            Overlay::ConfirmApply => vec![("y", "apply"), ("n/Esc", "cancel")],
            Overlay::Picker { .. } => {
                vec![
                    ("type", "filter"),
                    ("↑↓", "move"),
                    ("Enter", "choose"),
                    ("Esc", "cancel"),
                ]
            }
            Overlay::Prompt { .. } => vec![("Enter", "confirm"), ("Esc", "cancel")],
        };
    }
    let mut keys: Vec<(&str, &str)> = Vec::new();
    if app.preview.shown && !wide(app) && has_preview(app.step) {
        return vec![
            ("PgUp/Dn", "scroll"),
            ("^P/Esc", "back to the form"),
            ("^S", "save"),
            ("?", "help"),
            ("q", "quit"),
        ];
    }
    let text_focus = app.focus.is_some_and(|f| f.is_text());
    match app.step {
        step if step.is_form() => {
            keys.push(("Tab", "field"));
            match app.focus.map(|f| f.kind()) {
                Some(Kind::Toggle) => keys.push(("Space", "toggle")),
                Some(Kind::Select) => keys.push(("←→", "change")),
                Some(Kind::Checklist) => keys.push(("Space", "toggle")),
                Some(Kind::List) => keys.push(("Enter", "add")),
                Some(Kind::Sessions) => keys.push(("Enter", "resume")),
                _ => {}
            }
            keys.push(("Enter", "next"));
            if step != Step::Welcome {
                keys.push(("Esc", "back"));
            }
            if step == Step::Role {
                keys.push(("^G", "new ext. ID"));
            }
            if step == Step::Bucket && bucket_exists(app) {
                keys.push(("^D", "preview data"));
            }
            if wide(app) {
                keys.push(("PgUp/Dn", "preview"));
            } else {
                keys.push(("^P", "preview"));
            }
        }
        Step::Review => {
            keys.push((
                "Enter",
                if app.online() {
                    "apply…"
                } else {
                    "to export"
                },
            ));
            keys.push(("Esc", "back"));
            keys.push(("^R", "re-read"));
            keys.push(if wide(app) {
                ("PgUp/Dn", "plan")
            } else {
                ("^P", "plan")
            });
        }
        Step::Apply => {
            if app.apply.failure.is_some() {
                keys.push(("r", "retry"));
            }
            if app.apply.report.is_some() || app.apply.nothing_to_do {
                keys.push(("Enter", "verify"));
            }
            if !app.apply.run.running {
                keys.push(("Esc", "back"));
            }
        }
        Step::Verify if !app.verify.run.running => {
            keys.push(("r", "run again"));
            keys.push(("Enter", "next"));
            keys.push(("Esc", "back"));
        }
        Step::Data if !app.data.running => {
            keys.push(("r", "fetch again"));
            keys.push(("Enter", "next"));
            keys.push(("Esc", "back"));
        }
        Step::Done => {
            keys.push(("↑↓", "value"));
            keys.push(("c", "copy"));
            keys.push(("a", "copy all"));
            keys.push(("e", "export"));
            if app.consume_blocker().is_none() {
                keys.push(("d", "consume"));
            }
            if app
                .done
                .access_key
                .as_ref()
                .is_some_and(|k| k.secret.is_some())
            {
                keys.push(("k", "copy secret"));
            }
            keys.push(("Esc", "back"));
        }
        _ => {}
    }
    keys.push(("^S", "save"));
    keys.push((if text_focus { "F1" } else { "?" }, "help"));
    keys.push((if text_focus { "^C" } else { "q" }, "quit"));
    keys
}

fn keys_line(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    for (key, what) in key_hints(app) {
        let item = key.chars().count() + what.chars().count() + 3;
        if width + item > usize::from(area.width) {
            break;
        }
        width += item;
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::styled(format!(" {what}  "), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Whether the lookup says the bucket exists (and the data preview can open).
pub fn bucket_exists(app: &App) -> bool {
    matches!(
        app.slots
            .get(&super::action::Target::Bucket)
            .and_then(|s| s.found.as_ref()),
        Some(super::action::Found::Bucket(Ok(Some(_))))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_cuts_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
