//! Keys: a key becomes a message through the keymap (or types into the
//! focused input), and each message does its work: prompts, the preview,
//! paging, saving, quitting.

use crossterm::event::{KeyCode, KeyEvent};

use super::sessions::ask_to_delete_session;
use super::steps::{back, go, next_step, review_enter, start_apply};
use super::tick::autosave_now;
use crate::tui::action::{Effect, SaveKind};
use crate::tui::app::App;
use crate::tui::keymap::{self, Msg, Unbound};
use crate::tui::layout::{body_areas, wide};
use crate::tui::model::{Connect, Connection, StatusKind};
use crate::tui::overlay::{Overlay, PromptKind};
use crate::tui::preview;
use crate::tui::screens::done::sink_problem;
use crate::tui::screens::form::{new_input, picker_options, select_options, single_line};
use crate::tui::step::Step;

pub(super) fn on_key(app: &mut App, key: KeyEvent) {
    match keymap::lookup(app, &key) {
        Ok(msg) => on_msg(app, msg),
        Err(Unbound::Ignore) => {}
        Err(Unbound::Close) => app.overlay = None,
        Err(Unbound::Type) => type_key(app, &key),
    }
}

/// A key no binding took, where keys type: into the window's filter or
/// input, or into the focused field.
fn type_key(app: &mut App, key: &KeyEvent) {
    let ctrl = key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL);
    match &mut app.overlay {
        Some(Overlay::Picker { filter, cursor, .. }) => {
            if let KeyCode::Char(c) = key.code
                && !ctrl
            {
                filter.push(c);
                *cursor = 0;
            }
        }
        Some(Overlay::Prompt { input, .. }) => {
            if let Some(input_key) = crate::tui::screens::form::text_input(key) {
                input.input(input_key);
                single_line(input);
            }
        }
        Some(_) => {}
        None if app.model.step.is_form() => app.form.type_key(&mut app.model, key),
        None => {}
    }
}

fn on_msg(app: &mut App, msg: Msg) {
    match msg {
        Msg::None => {}
        Msg::Quit => request_quit(app),
        Msg::Help => app.overlay = Some(Overlay::Help { scroll: 0 }),
        Msg::Save => save(app),
        Msg::TogglePreview => toggle_preview(app),
        Msg::ClosePreview => app.model.preview.shown = false,
        Msg::Reread => reread(app),
        Msg::PageUp | Msg::PageDown => page(app, msg == Msg::PageDown),
        Msg::Next => next_step(app),
        Msg::Back => back(app),
        Msg::Edit => app.form.resting = false,
        Msg::FocusNext => app.form.move_focus(&app.model, 1, true),
        Msg::FocusPrev => app.form.move_focus(&app.model, -1, true),
        Msg::Up | Msg::Down => {
            let down = msg == Msg::Down;
            if app.model.step == Step::Done {
                app.done.move_cursor(&app.model, &app.apply, down);
            } else if !app.form.vertical(&app.model, down) {
                app.form
                    .move_focus(&app.model, if down { 1 } else { -1 }, false);
            }
        }
        Msg::Toggle => app.form.toggle(&mut app.model),
        Msg::OpenPicker => {
            if let Some(field) = app.form.focus {
                let (_, current) = select_options(&app.model, field);
                app.overlay = Some(Overlay::Picker {
                    field,
                    filter: String::new(),
                    cursor: current,
                });
            }
        }
        Msg::SelectPrev | Msg::SelectNext => {
            app.form.step_select(&mut app.model, msg == Msg::SelectNext)
        }
        Msg::AddPrincipal => app.form.add_principal(&mut app.model),
        Msg::RemovePrincipal => app.form.remove_principal(&mut app.model),
        Msg::ResumeSession => {
            if let Some(path) = app.form.selected_session(&app.model) {
                app.model.effects.push(Effect::LoadSession(path));
            }
        }
        Msg::DeleteSession => ask_to_delete_session(app),
        Msg::ConfirmDeleteSession => {
            if let Some(Overlay::ConfirmDeleteSession { path, .. }) = app.overlay.take() {
                app.model.effects.push(Effect::DeleteSession(path));
            }
        }
        Msg::GenerateExternalId => app.form.generate_external_id(&mut app.model),
        Msg::PreviewData => {
            app.data.return_to = Some(Step::Bucket);
            go(app, Step::Data);
        }
        Msg::Explain(text) => app.model.set_status(StatusKind::Info, text),
        Msg::ReviewEnter => review_enter(app),
        Msg::Retry => start_apply(app, true),
        Msg::RunAgain => match app.model.step {
            Step::Verify => app
                .verify
                .start(&mut app.model, app.done.access_key.as_ref()),
            Step::Data => {
                let cutoff = app.apply.notification_written;
                app.data.start(&mut app.model, cutoff);
            }
            _ => {}
        },
        Msg::ScrollUp | Msg::ScrollDown => scroll_main(app, msg == Msg::ScrollDown),
        Msg::Copy => app.done.copy(&mut app.model, &app.apply),
        Msg::CopyAll => app.done.copy_all(&mut app.model, &app.apply),
        Msg::CopySecret => app.done.copy_secret(&mut app.model),
        Msg::Export => {
            let default = app
                .model
                .config
                .export_base
                .join(format!("{}-bundle", app.model.spec.name));
            prompt(
                app,
                PromptKind::ExportDir,
                &default.display().to_string(),
                "",
            );
        }
        Msg::Consume => consume_prompt(app),
        Msg::ExplainConsume => {
            if app.done.consume.preparing {
                app.model.set_status(
                    StatusKind::Info,
                    "the consumer is being prepared: a moment…",
                );
            } else if let Some(why) =
                crate::tui::screens::done::consume_blocker(&app.model, &app.apply)
            {
                app.model.set_status(
                    StatusKind::Error,
                    format!("cannot consume from here: {why}"),
                );
            }
        }
        Msg::CloseOverlay => {
            app.model.quit_pending = false;
            app.overlay = None;
        }
        Msg::HelpScroll(delta) => {
            if let Some(Overlay::Help { scroll }) = &mut app.overlay {
                *scroll = scroll.saturating_add_signed(delta);
            }
        }
        Msg::SaveAndQuit => {
            app.overlay = None;
            app.model.quit_pending = true;
            save(app);
        }
        Msg::QuitNow => {
            app.overlay = None;
            quit_now(app);
        }
        Msg::ConfirmApply => {
            app.overlay = None;
            start_apply(app, false);
        }
        Msg::CancelApply => {
            app.overlay = None;
            app.model
                .set_status(StatusKind::Info, "nothing was changed");
        }
        Msg::PickerMove(delta) => {
            if let Some(Overlay::Picker {
                field,
                filter,
                cursor,
            }) = &mut app.overlay
            {
                let len = picker_options(&app.model, *field, filter).len();
                *cursor = cursor
                    .saturating_add_signed(isize::from(delta))
                    .min(len.saturating_sub(1));
            }
        }
        Msg::PickerErase => {
            if let Some(Overlay::Picker { filter, cursor, .. }) = &mut app.overlay {
                filter.pop();
                *cursor = 0;
            }
        }
        Msg::PickerChoose => {
            if let Some(Overlay::Picker {
                field,
                filter,
                cursor,
            }) = app.overlay.take()
                && let Some((index, _)) = picker_options(&app.model, field, &filter).get(cursor)
            {
                app.form.choose(&mut app.model, field, *index);
            }
        }
        Msg::PromptConfirm => prompt_confirm(app),
    }
}

/// Opens a one-line prompt holding `text`.
fn prompt(app: &mut App, kind: PromptKind, text: &str, placeholder: &str) {
    app.overlay = Some(Overlay::Prompt {
        kind,
        input: Box::new(new_input(text, placeholder)),
        error: None,
    });
}

fn prompt_confirm(app: &mut App) {
    let Some(Overlay::Prompt { kind, input, .. }) = &app.overlay else {
        return;
    };
    let kind = *kind;
    let text = input.lines().join("").trim().to_owned();
    let refused = match kind {
        _ if text.is_empty() => Some("give a path".to_owned()),
        PromptKind::ConsumeSink => sink_problem(&text),
        _ => None,
    };
    if let Some(problem) = refused {
        if let Some(Overlay::Prompt { error, .. }) = &mut app.overlay {
            *error = Some(problem);
        }
        return;
    }
    app.overlay = None;
    match kind {
        PromptKind::SaveAs => app.model.effects.push(Effect::Save {
            kind: SaveKind::Spec,
            path: text.into(),
            spec: Box::new(app.model.spec.clone()),
            replaces: None,
            place: None,
        }),
        PromptKind::ExportDir => app.done.export(&mut app.model, text.into()),
        PromptKind::ConsumeSink => app.done.start_consume(&mut app.model, &text),
    }
}

fn toggle_preview(app: &mut App) {
    if wide(&app.model) {
        app.model.set_status(
            StatusKind::Info,
            "the preview is beside the form: PgUp/PgDn scroll it",
        );
    } else if app.model.step.has_preview() {
        app.model.preview.shown = !app.model.preview.shown;
    }
}

fn reread(app: &mut App) {
    let model = &mut app.model;
    match &model.connection {
        Connection::Offline { .. } if matches!(model.config.connect, Connect::Offline(_)) => {
            model.set_status(StatusKind::Info, "offline by choice: nothing to read");
        }
        Connection::Offline { .. } => {
            model.request_connect(true);
            model.set_status(StatusKind::Info, "checking the credentials again…");
        }
        Connection::Connecting => {}
        Connection::Online { .. } => {
            model.refresh_lookups();
            model.set_status(StatusKind::Info, "reading the account again…");
        }
    }
}

/// PgUp / PgDn: scroll the preview (or, without one, the main pane).
fn page(app: &mut App, down: bool) {
    if !app.model.step.has_preview() {
        for _ in 0..10 {
            scroll_main(app, down);
        }
        return;
    }
    if !wide(&app.model) && !app.model.preview.shown {
        app.model.preview.shown = true;
    }
    let Some(rect) = body_areas(&app.model).preview else {
        return;
    };
    let inner_height = rect.height.saturating_sub(2);
    let max = preview::max_scroll(&app.model, &app.preview, rect);
    let step = inner_height.saturating_sub(1).max(1);
    let pane = &mut app.model.preview;
    pane.scroll = if down {
        pane.scroll.saturating_add(step).min(max)
    } else {
        pane.scroll.min(max).saturating_sub(step)
    };
}

pub(super) fn scroll_main(app: &mut App, down: bool) {
    let width = body_areas(&app.model)
        .main
        .map(|r| r.width.saturating_sub(2))
        .unwrap_or(80);
    let total = app.screen_lines(usize::from(width)).0.len();
    let max = u16::try_from(total.saturating_sub(1)).unwrap_or(u16::MAX);
    let scroll = &mut app.model.main_scroll;
    *scroll = if down {
        scroll.saturating_add(1).min(max)
    } else {
        scroll.saturating_sub(1)
    };
}

fn request_quit(app: &mut App) {
    if app.model.dirty() || app.apply.run.running {
        app.overlay = Some(Overlay::ConfirmQuit);
    } else {
        quit_now(app);
    }
}

pub(super) fn quit_now(app: &mut App) {
    if app.model.autosave_due.is_some() {
        autosave_now(app);
    }
    app.done.forget_secret();
    app.model.quit = true;
}

/// Ctrl-S: the spec file, or a question where to put it.
fn save(app: &mut App) {
    match app.model.save_path.clone() {
        Some(path) => app.model.effects.push(Effect::Save {
            kind: SaveKind::Spec,
            path,
            spec: Box::new(app.model.spec.clone()),
            replaces: None,
            place: None,
        }),
        None => prompt(app, PromptKind::SaveAs, "sluice.json", ""),
    }
    if app.model.autosave_due.is_some() {
        autosave_now(app);
    }
}

/// `d` on the Done screen: asks where records go, then consumes the queue
/// with the live dashboard.
fn consume_prompt(app: &mut App) {
    if app.done.consume.preparing {
        on_msg(app, Msg::ExplainConsume);
        return;
    }
    let sink = app.done.default_sink(&app.model);
    prompt(app, PromptKind::ConsumeSink, &sink, "dir:PATH or null");
}
