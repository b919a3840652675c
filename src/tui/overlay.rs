//! Windows over the screen: help, confirmations, the select picker and the
//! one-line prompts; their state and their drawing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui_textarea::TextArea;

use super::fields::FieldId;
use super::model::Model;
use super::screens::form::picker_options;
use super::widgets::{truncate, wrap};

/// A window over the screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    ConfirmQuit,
    ConfirmApply,
    /// Deleting a saved session (its file only).
    ConfirmDeleteSession {
        path: std::path::PathBuf,
        name: String,
    },
    /// Choosing a select's value from a list (type to filter).
    Picker {
        field: FieldId,
        filter: String,
        cursor: usize,
    },
    /// A one-line question: where to save, where to export.
    Prompt {
        kind: PromptKind,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    SaveAs,
    ExportDir,
    /// Where the consumer started from the Done screen writes records.
    ConsumeSink,
}

/// One row of the help window (and of the README's key table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpRow {
    /// Where the keys work: `everywhere`, or a screen.
    pub place: &'static str,
    pub keys: &'static str,
    pub what: &'static str,
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// A window's keys: each key, then what it does.
fn keys_line(model: &Model, keys: &[(&'static str, &'static str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in keys.iter().enumerate() {
        let gap = if i + 1 < keys.len() { "   " } else { "" };
        spans.push(Span::styled(*key, model.theme.key()));
        spans.push(Span::raw(format!(" {what}{gap}")));
    }
    Line::from(spans)
}

fn window(frame: &mut Frame, model: &Model, area: Rect, title: &str) -> Rect {
    let t = &model.theme;
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(t.accent())
        .title(Span::styled(format!(" {title} "), t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// Draws `overlay` over `area`. `help` is every key as the help window lists
/// it; `applying` says an apply is running (quitting would stop it).
pub fn render(
    frame: &mut Frame,
    model: &Model,
    overlay: &Overlay,
    help: &[HelpRow],
    applying: bool,
    area: Rect,
) {
    let t = &model.theme;
    match overlay {
        Overlay::Help { scroll } => {
            let rect = centered(
                area,
                area.width.saturating_sub(8).min(96),
                area.height.saturating_sub(4),
            );
            let inner = window(frame, model, rect, "Keys");
            let key_width = help
                .iter()
                .map(|row| row.keys.chars().count())
                .max()
                .unwrap_or(10);
            let text_width = usize::from(inner.width).saturating_sub(key_width + 3);
            let mut lines = Vec::new();
            let mut section = "";
            for HelpRow { place, keys, what } in help {
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
            let inner = window(frame, model, rect, "Quit?");
            let width = usize::from(inner.width);
            let mut lines = Vec::new();
            if applying {
                for part in wrap(
                    "An apply is running: quitting stops it midway (running apply again continues).",
                    width,
                ) {
                    lines.push(Line::styled(part, t.error().add_modifier(Modifier::BOLD)));
                }
            }
            let target = model
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
            if let Some(path) = &model.session_path {
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
            lines.push(keys_line(
                model,
                &[
                    ("s", "save and quit"),
                    ("q", "quit without saving"),
                    ("Esc", "stay"),
                ],
            ));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::ConfirmDeleteSession { path, name } => {
            // As tall as what it says: the window's width is known first.
            let outer = 64.min(area.width);
            let width = usize::from(outer.saturating_sub(2));
            let question = format!("Delete the saved session {name}? y/n");
            let only = format!(
                "Only its file ({}) goes: nothing in AWS is touched.",
                path.display()
            );
            let mut lines: Vec<Line> = wrap(&question, width).into_iter().map(Line::raw).collect();
            lines.extend(
                wrap(&only, width)
                    .into_iter()
                    .map(|p| Line::styled(p, t.dim())),
            );
            lines.push(Line::raw(""));
            lines.push(keys_line(model, &[("y", "delete"), ("n / Esc", "keep it")]));
            let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
            let inner = window(frame, model, centered(area, outer, height), "Delete?");
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::ConfirmApply => {
            let items: Vec<_> = model
                .derived
                .plan
                .items
                .iter()
                .filter(|i| i.action != crate::aws::PlanAction::NoChange)
                .collect();
            let height = u16::try_from(items.len()).unwrap_or(20) + 7;
            let rect = centered(area, 70, height);
            let inner = window(frame, model, rect, "Apply?");
            let width = usize::from(inner.width);
            let account = model.derived.resolved.account_id.as_deref().unwrap_or("?");
            let mut lines = vec![Line::raw(truncate(
                &format!(
                    "Apply {} to account {account} in {}?",
                    crate::words::count(items.len(), "change"),
                    model.spec.region
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
            lines.push(keys_line(model, &[("y", "apply"), ("n / Esc", "cancel")]));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Picker {
            field,
            filter,
            cursor,
        } => {
            let options = picker_options(model, *field, filter);
            let height = u16::try_from(options.len().min(14)).unwrap_or(14) + 4;
            let rect = centered(area, 44, height);
            let inner = window(frame, model, rect, field.label());
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
            let inner = window(frame, model, rect, title);
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
