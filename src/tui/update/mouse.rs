//! The mouse and pasted text: clicks, scrolls and pastes, each where it lands.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::keys::scroll_main;
use super::steps::jump;
use crate::tui::app::App;
use crate::tui::layout::{self, body_areas};
use crate::tui::overlay::Overlay;
use crate::tui::preview;

pub(super) fn on_mouse(app: &mut App, mouse: MouseEvent) {
    let at = Position::new(mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if app.overlay.is_some() {
                return;
            }
            if let Some((step, _, _)) = layout::step_tabs(&app.model)
                .into_iter()
                .find(|(_, r, _)| r.contains(at))
            {
                jump(app, step);
                return;
            }
            let rects = crate::tui::screens::form::field_rects(&app.model, &app.form);
            if let Some((field, rect)) = rects.into_iter().find(|(_, r)| r.contains(at)) {
                let row = usize::from(at.y.saturating_sub(rect.y + 1));
                app.form.click(&app.model, field, row);
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = mouse.kind == MouseEventKind::ScrollDown;
            let body = body_areas(&app.model);
            if let Some(rect) = body.preview.filter(|r| r.contains(at)) {
                let max = preview::max_scroll(&app.model, &app.preview, rect);
                let pane = &mut app.model.preview;
                pane.scroll = if down {
                    pane.scroll.saturating_add(3)
                } else {
                    pane.scroll.saturating_sub(3)
                }
                .min(max);
            } else if !app.model.step.is_form() {
                for _ in 0..3 {
                    scroll_main(app, down);
                }
            }
        }
        _ => {}
    }
}

pub(super) fn on_paste(app: &mut App, text: &str) {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some(Overlay::Prompt { input, .. }) = &mut app.overlay {
        input.insert_str(&clean);
        return;
    }
    if app.overlay.is_some() || !app.model.step.is_form() {
        return;
    }
    app.form.paste(&mut app.model, &clean);
}
