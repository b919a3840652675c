//! How the form is drawn: the pane, each kind of field, the principals'
//! list and the events checklist.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::choices::{select_display, select_note_below};
use super::layout::{item_error_lines, layout, message_lines};
use super::state::{FormScreen, checklist_window};
use crate::tui::fields::{self, FieldId, Kind};
use crate::tui::layout::wide;
use crate::tui::model::Model;
use crate::tui::preview::{Section, summary};
use crate::tui::screens::welcome;
use crate::tui::widgets::truncate;

fn pane_block(model: &Model, preview: &[Section]) -> Block<'static> {
    let t = &model.theme;
    let block = Block::bordered().border_style(t.dim()).title(Span::styled(
        format!(
            " {} · {} ",
            model.step_number(model.step),
            model.step.title()
        ),
        t.title(),
    ));
    if wide(model) {
        block
    } else {
        // Narrow: the preview is a key away; say what it would show.
        block.title_bottom(
            Line::from(vec![
                Span::styled(" Ctrl-P preview: ", t.dim()),
                Span::styled(summary(preview), t.accent()),
                Span::raw(" "),
            ])
            .left_aligned(),
        )
    }
}

/// Draws the form of the current step; `focused` is false while a window
/// covers it.
pub fn render(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    preview: &[Section],
    focused: bool,
    area: Rect,
) {
    let t = &model.theme;
    let block = pane_block(model, preview);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let layout = layout(model, form, inner);
    let intro_height = u16::try_from(layout.intro.len()).unwrap_or(u16::MAX);
    if layout.skip < intro_height {
        let rect = Rect::new(
            inner.x,
            inner.y,
            inner.width,
            (intro_height - layout.skip).min(inner.height),
        );
        frame.render_widget(
            Paragraph::new(layout.intro.clone()).scroll((layout.skip, 0)),
            rect,
        );
    }
    for (field, rect) in &layout.fields {
        render_field(frame, model, form, *field, *rect, focused);
    }
    let buf = frame.buffer_mut();
    if layout.more_above && area.width > 12 {
        buf.set_string(area.right() - 10, area.y, " ↑ more ", t.accent());
    }
    if layout.more_below && area.width > 12 {
        buf.set_string(area.right() - 10, area.bottom() - 1, " ↓ more ", t.accent());
    }
}

/// The error (and lookup) lines under a field, from row `y`.
fn render_messages(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    rect: Rect,
    mut y: u16,
) {
    let width = usize::from(rect.width);
    let buf = frame.buffer_mut();
    for (text, style) in message_lines(model, form, field, width) {
        if y >= rect.bottom() {
            break;
        }
        buf.set_stringn(rect.x, y, text, width, style);
        y += 1;
    }
}

fn list_block(
    model: &Model,
    title: String,
    focused: bool,
    invalid: bool,
    label: Style,
) -> Block<'static> {
    Block::bordered()
        .border_style(model.theme.border(focused, invalid))
        .title(Span::styled(format!(" {title} "), label))
}

fn render_field(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    rect: Rect,
    pane_focused: bool,
) {
    let t = &model.theme;
    let focused = form.focus == Some(field) && pane_focused;
    let active = field.active(&model.spec);
    let invalid = form.field_invalid(model, field);
    let width = usize::from(rect.width);
    let label_style = if !active {
        t.dim()
    } else if invalid {
        t.error()
    } else if focused {
        t.title()
    } else {
        t.text()
    };
    match field.kind() {
        Kind::Text | Kind::Number => {
            let box_rect = Rect::new(rect.x, rect.y, rect.width, 3);
            let mut block = Block::bordered()
                .border_style(t.border(focused, invalid))
                .title(Span::styled(format!(" {} ", field.label()), label_style));
            if focused && form.resting {
                block = block.title_bottom(
                    Line::styled(" type, or Enter to edit ", t.dim()).right_aligned(),
                );
            } else if focused {
                block = block.title_bottom(Line::styled(" editing ", t.dim()).right_aligned());
            }
            let inner = block.inner(box_rect);
            frame.render_widget(block, box_rect);
            if focused {
                if let Some(input) = form.inputs.get(&field) {
                    frame.render_widget(input, inner);
                }
            } else {
                let mut text = form.input_text(field);
                let mut style = if active { t.text() } else { t.dim() };
                if let Some(placeholder) =
                    fields::placeholder(&model.spec, field).filter(|_| text.is_empty())
                {
                    text = placeholder;
                    style = t.dim();
                }
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(&text, usize::from(inner.width)),
                        style,
                    )),
                    inner,
                );
            }
            render_messages(frame, model, form, field, rect, rect.y + 3);
        }
        Kind::Toggle => {
            let on = fields::toggle_value(&model.spec, field);
            let text = if fields::not_applicable(&model.spec, field).is_some() {
                format!("[-] {}: n/a", field.label())
            } else {
                format!("[{}] {}", if on { "x" } else { " " }, field.label())
            };
            let style = if focused { t.focused() } else { label_style };
            let line = truncate(&text, width);
            let buf = frame.buffer_mut();
            if focused {
                buf.set_style(Rect::new(rect.x, rect.y, rect.width, 1), style);
            }
            buf.set_stringn(rect.x, rect.y, line, width, style);
            render_messages(frame, model, form, field, rect, rect.y + 1);
        }
        Kind::Select => {
            let (value, note) = select_display(model, field);
            let mut spans = vec![
                Span::styled(format!("{}: ", field.label()), label_style),
                Span::styled(
                    format!("‹ {value} ›"),
                    if focused {
                        t.focused()
                    } else if active {
                        t.accent()
                    } else {
                        t.dim()
                    },
                ),
            ];
            let below = select_note_below(model, field, width);
            if !note.is_empty() && below.is_empty() {
                spans.push(Span::styled(format!("  {note}"), t.dim()));
            }
            frame.render_widget(
                Paragraph::new(Line::from(spans)),
                Rect::new(rect.x, rect.y, rect.width, 1),
            );
            let mut y = rect.y + 1;
            for line in &below {
                if y >= rect.y + rect.height {
                    break;
                }
                frame.render_widget(
                    Paragraph::new(Span::styled(format!("  {line}"), t.dim())),
                    Rect::new(rect.x, y, rect.width, 1),
                );
                y += 1;
            }
            render_messages(frame, model, form, field, rect, y);
        }
        Kind::List => render_principals(frame, model, form, rect, focused, invalid, label_style),
        Kind::Checklist => render_events(frame, model, form, rect, focused, invalid, label_style),
        Kind::Sessions => {
            let block = list_block(model, field.label().to_owned(), focused, false, label_style);
            welcome::render_sessions(
                frame,
                model,
                rect,
                form.cursor(model, field),
                focused,
                block,
            );
        }
    }
}

fn render_principals(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &model.theme;
    let field = FieldId::TrustedPrincipals;
    let items = &model.spec.role.trusted_principals;
    let cursor = form.cursor(model, field);
    let below = message_lines(model, form, field, usize::from(rect.width)).len();
    let box_height = rect
        .height
        .saturating_sub(u16::try_from(below).unwrap_or(u16::MAX));
    let box_rect = Rect::new(rect.x, rect.y, rect.width, box_height);
    let block = list_block(model, field.label().to_owned(), focused, invalid, label);
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let mut y = inner.y;
    {
        let buf = frame.buffer_mut();
        if items.is_empty() {
            let empty = if model.spec.vendor_trust_pending() {
                format!(
                    "(none yet: step 1, nobody can assume the role until {}'s are given)",
                    model.spec.profile().vendor
                )
            } else {
                let account = model
                    .connection
                    .identity()
                    .map(|i| i.account.clone())
                    .unwrap_or_else(|| "the account applied in".to_owned());
                format!("(none: trusts the root of {account})")
            };
            buf.set_stringn(inner.x, y, empty, width, t.dim());
            y += 1;
        }
        for (i, item) in items.iter().enumerate() {
            let error = form.item_error(model, field, i);
            let selected = focused && cursor == i;
            let style = if selected {
                t.focused()
            } else if error.is_some() {
                t.error()
            } else {
                t.text()
            };
            let mark = if error.is_some() { "✗ " } else { "• " };
            if selected {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            }
            buf.set_stringn(
                inner.x,
                y,
                truncate(&format!("{mark}{item}"), width),
                width,
                style,
            );
            y += 1;
            for line in item_error_lines(model, form, i, width) {
                buf.set_stringn(inner.x, y, line, width, t.error());
                y += 1;
            }
        }
    }
    let add_row = Rect::new(inner.x, y, inner.width, 1);
    if focused && cursor >= items.len() {
        if let Some(input) = form.inputs.get(&field) {
            frame.render_widget(input, add_row);
        }
    } else {
        let text = form.input_text(field);
        let (shown, style) = if text.is_empty() {
            ("+ add a principal".to_owned(), t.dim())
        } else {
            (text, t.text())
        };
        frame.render_widget(Paragraph::new(Span::styled(shown, style)), add_row);
    }
    render_messages(frame, model, form, field, rect, box_rect.bottom());
}

fn render_events(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &model.theme;
    let field = FieldId::Events;
    let rows = fields::event_rows(&model.spec);
    let chosen = model.spec.notification.events.len();
    let cursor = form.cursor(model, field).min(rows.len().saturating_sub(1));
    let (start, visible) = checklist_window(cursor, rows.len());
    let box_rect = Rect::new(
        rect.x,
        rect.y,
        rect.width,
        u16::try_from(visible + 2).unwrap_or(3),
    );
    let mut block = list_block(
        model,
        format!("{} ({chosen} chosen)", field.label()),
        focused,
        invalid,
        label,
    );
    if rows.len() > visible {
        block = block.title_bottom(
            Line::styled(
                format!(" {}-{} of {} ", start + 1, start + visible, rows.len()),
                t.dim(),
            )
            .right_aligned(),
        );
    }
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (row, event) in rows.iter().enumerate().skip(start).take(visible) {
        let on = model.spec.notification.events.contains(event);
        let y = inner.y + u16::try_from(row - start).unwrap_or(0);
        let selected = focused && row == cursor;
        let known = fields::S3_EVENTS.contains(&event.as_str());
        let style = if selected {
            t.focused()
        } else if !known {
            t.error()
        } else if on {
            t.text().add_modifier(Modifier::BOLD)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        }
        buf.set_stringn(
            inner.x,
            y,
            truncate(&format!("[{}] {event}", if on { "x" } else { " " }), width),
            width,
            style,
        );
    }
    render_messages(frame, model, form, field, rect, box_rect.bottom());
}
