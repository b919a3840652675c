//! Windows over the screen: help, confirmations, the select picker, prompts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{truncate, wrap};
use crate::tui::app::{App, Overlay, PromptKind};
use crate::tui::update::picker_options;

/// Every key, by where it works: (where, keys, what it does). The help
/// window and the README's key table are this list.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("everywhere", "Tab / Shift-Tab", "next / previous field"),
    (
        "everywhere",
        "↑ / ↓",
        "previous / next field; inside a list, move in it",
    ),
    (
        "everywhere",
        "Enter",
        "next step (Next refuses an invalid step and focuses its first error)",
    ),
    ("everywhere", "Esc", "previous step; closes a window"),
    (
        "everywhere",
        "Space",
        "toggle a checkbox; open a select's list",
    ),
    (
        "everywhere",
        "← / →",
        "change a select; move in a text field",
    ),
    (
        "everywhere",
        "PgUp / PgDn",
        "scroll the preview (↑ / ↓ scroll the review, apply, verify and data screens)",
    ),
    (
        "everywhere",
        "Ctrl-P / F2",
        "show the preview instead of the form (narrow terminals)",
    ),
    (
        "everywhere",
        "Ctrl-S",
        "save the spec file (asks where the first time)",
    ),
    (
        "everywhere",
        "Ctrl-R",
        "check the credentials and read the account again",
    ),
    ("everywhere", "F1 / ?", "this help (? outside text fields)"),
    (
        "everywhere",
        "q / Ctrl-C",
        "quit, asking when there are unsaved changes (q outside text fields)",
    ),
    (
        "everywhere",
        "mouse",
        "click a field to focus it or a step to go to it; the wheel scrolls the preview",
    ),
    (
        "welcome",
        "Enter (on a session)",
        "resume that saved session",
    ),
    (
        "role",
        "Enter (in the add row)",
        "add a trusted principal; Del removes the selected one",
    ),
    ("role", "Ctrl-G", "generate a random external ID"),
    ("bucket", "Ctrl-D", "preview the data of an existing bucket"),
    (
        "review",
        "Enter",
        "apply (asks y / n first); offline, go to Done",
    ),
    (
        "apply",
        "r",
        "retry after a failure (re-reads the account and continues)",
    ),
    ("verify / data", "r", "run again"),
    (
        "done",
        "↑ / ↓, c, a",
        "choose a value, copy it, copy all (OSC 52 clipboard)",
    ),
    ("done", "k", "copy the new access key's secret (shown once)"),
    (
        "done",
        "d",
        "consume the queue now with the live dashboard (asks for the sink; q there drains, Q releases, then back here)",
    ),
    (
        "done",
        "e",
        "export the bundle to a directory (as sluice export)",
    ),
];

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

fn window(frame: &mut Frame, app: &App, area: Rect, title: &str) -> Rect {
    let t = &app.theme;
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(t.accent())
        .title(Span::styled(format!(" {title} "), t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub fn render(frame: &mut Frame, app: &App, overlay: &Overlay, area: Rect) {
    let t = &app.theme;
    match overlay {
        Overlay::Help { scroll } => {
            let rect = centered(
                area,
                area.width.saturating_sub(8).min(96),
                area.height.saturating_sub(4),
            );
            let inner = window(frame, app, rect, "Keys");
            let key_width = KEYS
                .iter()
                .map(|(_, k, _)| k.chars().count())
                .max()
                .unwrap_or(10);
            let text_width = usize::from(inner.width).saturating_sub(key_width + 3);
            let mut lines = Vec::new();
            let mut section = "";
            for (place, keys, what) in KEYS {
                if *place != section {
                    if !section.is_empty() {
                        lines.push(Line::raw(""));
                    }
                    section = place;
                    lines.push(Line::styled(place.to_string(), t.title()));
                }
                for (i, part) in wrap(what, text_width).into_iter().enumerate() {
                    lines.push(Line::from(vec![
                        Span::styled(
                            format!(" {:<key_width$}  ", if i == 0 { *keys } else { "" }),
                            t.key(),
                        ),
                        Span::raw(part),
                    ]));
                }
            }
            let max = lines.len().saturating_sub(usize::from(inner.height));
            let scroll = usize::from(*scroll).min(max);
            if max > 0 {
                let text = format!(
                    " ↑↓ {}-{} of {} ",
                    scroll + 1,
                    scroll + usize::from(inner.height),
                    lines.len()
                );
                let x = rect
                    .right()
                    .saturating_sub(u16::try_from(text.chars().count()).unwrap_or(0) + 1);
                frame
                    .buffer_mut()
                    .set_string(x, rect.bottom() - 1, text, t.dim());
            }
            frame.render_widget(
                Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(0), 0)),
                inner,
            );
        }
        Overlay::ConfirmQuit => {
            let rect = centered(area, 64, 9);
            let inner = window(frame, app, rect, "Quit?");
            let width = usize::from(inner.width);
            let mut lines = Vec::new();
            if app.apply.run.running {
                for part in wrap(
                    "An apply is running: quitting stops it midway (running apply again continues).",
                    width,
                ) {
                    lines.push(Line::styled(part, t.error().add_modifier(Modifier::BOLD)));
                }
            }
            let target = app
                .save_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "a spec file".to_owned());
            for part in wrap(
                &format!("The spec has changes not saved to {target}."),
                width,
            ) {
                lines.push(Line::raw(part));
            }
            if let Some(path) = &app.session_path {
                for part in wrap(
                    &format!(
                        "The session is autosaved to {} and can be resumed.",
                        path.display()
                    ),
                    width,
                ) {
                    lines.push(Line::styled(part, t.dim()));
                }
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("s", t.key()),
                Span::raw(" save and quit   "),
                Span::styled("q", t.key()),
                Span::raw(" quit without saving   "),
                Span::styled("Esc", t.key()),
                Span::raw(" stay"),
            ]));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::ConfirmApply => {
            let items: Vec<_> = app
                .derived
                .plan
                .items
                .iter()
                .filter(|i| i.action != crate::aws::Action::NoChange)
                .collect();
            let height = u16::try_from(items.len()).unwrap_or(20) + 7;
            let rect = centered(area, 70, height);
            let inner = window(frame, app, rect, "Apply?");
            let width = usize::from(inner.width);
            let account = app.derived.resolved.account_id.as_deref().unwrap_or("?");
            let mut lines = vec![Line::raw(truncate(
                &format!(
                    "Apply {} change(s) to account {account} in {}?",
                    items.len(),
                    app.spec.region
                ),
                width,
            ))];
            for item in items {
                lines.push(Line::styled(
                    truncate(
                        &format!(
                            "  {} {} {}",
                            item.action.as_str(),
                            item.resource.as_str(),
                            item.name
                        ),
                        width,
                    ),
                    t.accent(),
                ));
            }
            lines.push(Line::styled(
                truncate("Prior states of what changes are backed up first.", width),
                t.dim(),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("y", t.key()),
                Span::raw(" apply   "),
                Span::styled("n / Esc", t.key()),
                Span::raw(" cancel"),
            ]));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Picker {
            field,
            filter,
            cursor,
        } => {
            let options = picker_options(app, *field, filter);
            let height = u16::try_from(options.len().min(14)).unwrap_or(14) + 4;
            let rect = centered(area, 44, height);
            let inner = window(frame, app, rect, field.label());
            let mut lines = vec![Line::from(vec![
                Span::styled("filter: ", t.dim()),
                Span::styled(filter.clone(), t.text()),
                Span::styled("▏", t.accent()),
            ])];
            let visible = usize::from(inner.height.saturating_sub(1));
            let start = cursor.saturating_sub(visible.saturating_sub(1));
            for (i, option) in options.iter().enumerate().skip(start).take(visible) {
                let style = if i == *cursor { t.focused() } else { t.text() };
                lines.push(Line::styled(
                    format!(
                        "{:<w$}",
                        truncate(&option.1, usize::from(inner.width)),
                        w = usize::from(inner.width)
                    ),
                    style,
                ));
            }
            if options.is_empty() {
                lines.push(Line::styled("no match", t.dim()));
            }
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Prompt { kind, input, error } => {
            let title = match kind {
                PromptKind::SaveAs => "Save the spec as",
                PromptKind::ExportDir => "Export the bundle to directory",
                PromptKind::ConsumeSink => "Consume the queue now: records go to",
            };
            let rect = centered(area, 70, 7);
            let inner = window(frame, app, rect, title);
            let [field, message] =
                Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(inner);
            let block = Block::bordered().border_style(t.border(true, error.is_some()));
            let input_area = block.inner(field);
            frame.render_widget(block, field);
            frame.render_widget(input.as_ref(), input_area);
            let (text, style) = match error {
                Some(e) => (format!("✗ {e}"), t.error()),
                None if *kind == PromptKind::ConsumeSink => (
                    "dir:PATH (NDJSON files by day) or null (count only) · Enter opens the live dashboard; q there drains and comes back · Esc cancels"
                        .to_owned(),
                    t.dim(),
                ),
                None => ("Enter confirms · Esc cancels".to_owned(), t.dim()),
            };
            frame.render_widget(
                Paragraph::new(
                    wrap(&text, usize::from(message.width))
                        .into_iter()
                        .map(|l| Line::styled(l, style))
                        .collect::<Vec<_>>(),
                ),
                message,
            );
        }
    }
}
