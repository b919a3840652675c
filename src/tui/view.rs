//! Drawing the whole wizard from `&App`, with no I/O: the header, the step
//! bar, the current screen (beside the preview on form steps), the status
//! line, the hint bar from the keymap, and the window over it all.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::keymap;
use super::layout::{MIN_SIZE, body_areas, frame_areas, step_tabs};
use super::model::{Connection, StatusKind};
use super::overlay;
use super::preview;
use super::screens::form;
use super::widgets::{render_pane, truncate};

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
    let model = &app.model;
    let areas = frame_areas(area);
    header(frame, app, areas.header);
    step_bar(frame, app);
    let body = body_areas(model);
    if let Some(main) = body.main {
        if model.step.is_form() {
            form::render(
                frame,
                model,
                &app.form,
                &app.preview,
                app.overlay.is_none(),
                main,
            );
        } else {
            let inner_width = usize::from(main.width.saturating_sub(2));
            render_pane(
                frame,
                &model.theme,
                format!(
                    " {} · {} ",
                    model.step_number(model.step),
                    model.step.title()
                ),
                app.screen_lines(inner_width),
                model.main_scroll,
                main,
            );
        }
    }
    if let Some(rect) = body.preview {
        preview::render(frame, model, &app.preview, rect);
    }
    status_line(frame, app, areas.status);
    keys_line(frame, app, areas.keys);
    if let Some(window) = &app.overlay {
        overlay::render(
            frame,
            model,
            window,
            &keymap::help_rows(),
            app.apply.run.running,
            area,
        );
    }
}

fn header(frame: &mut Frame, app: &App, area: Rect) {
    let model = &app.model;
    let t = &model.theme;
    let left = Line::from(vec![
        Span::styled(" sluice ", t.focused()),
        Span::styled(
            format!(
                " step {} of {} · {}",
                model.step_number(model.step),
                model.steps().len(),
                model.step.title()
            ),
            t.title(),
        ),
    ]);
    let connection = match &model.connection {
        Connection::Online { identity, .. } => {
            Span::styled(format!("● account {}", identity.account), t.ok())
        }
        Connection::Connecting => {
            Span::styled(format!("{} checking credentials", model.spinner()), t.dim())
        }
        Connection::Offline { .. } => {
            Span::styled("○ OFFLINE", t.warn().add_modifier(Modifier::BOLD))
        }
    };
    let saved = if model.dirty() {
        Span::styled("● unsaved", t.warn())
    } else {
        Span::styled("saved", t.dim())
    };
    let right = Line::from(vec![
        connection,
        Span::styled(format!(" · {} · ", model.spec.region), t.dim()),
        saved,
        Span::raw(" "),
    ]);
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
}

fn step_bar(frame: &mut Frame, app: &App) {
    let model = &app.model;
    let t = &model.theme;
    let tabs = step_tabs(model);
    let buf = frame.buffer_mut();
    for (i, (step, rect, label)) in tabs.iter().enumerate() {
        let style = if *step == model.step {
            t.current_step()
        } else if step.needs_aws() && model.aws_blocker().is_some() {
            t.dim().add_modifier(Modifier::CROSSED_OUT)
        } else if *step <= model.furthest {
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
}

fn status_line(frame: &mut Frame, app: &App, area: Rect) {
    let model = &app.model;
    let t = &model.theme;
    let (text, style) = match &model.status {
        Some(status) => (
            status.text.clone(),
            match status.kind {
                StatusKind::Info => t.accent(),
                StatusKind::Ok => t.ok(),
                StatusKind::Error => t.error().add_modifier(Modifier::BOLD),
            },
        ),
        None => match app
            .form
            .focus
            .filter(|_| model.step.is_form() && app.overlay.is_none())
        {
            Some(field) => match app.form.focused_item_error(model) {
                Some(error) => (format!("✗ {error}"), t.error()),
                None => (
                    format!("{}: {}", field.label(), field.hint_for(&model.spec)),
                    t.dim(),
                ),
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

fn keys_line(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.model.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    for (key, what) in keymap::hints(app) {
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
