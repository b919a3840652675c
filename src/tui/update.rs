//! `update(&mut App, Action)`: the one place the wizard's state changes.
//! Keys become messages through the keymap; ticks, mouse and background
//! results come in as actions; work for the outside world leaves as
//! effects in `app.model.effects`. No I/O here.

use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::action::{Action, Effect, SaveKind};
use super::app::App;
use super::keymap::{self, Msg, Unbound};
use super::layout::{self, body_areas, wide};
use super::model::{Connect, Connection, StatusKind};
use super::overlay::{Overlay, PromptKind};
use super::preview;
use super::screens::done::sink_problem;
use super::screens::form::{FormScreen, new_input, picker_options, select_options, single_line};
use super::screens::review::{self, Enter};
use super::session;
use super::step::Step;

/// Applies one action to the app.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::Key(key) => {
            tracing::trace!(?key, "key");
            if key.kind != KeyEventKind::Release {
                app.model.status = None;
                on_key(app, key);
            }
        }
        Action::Mouse(mouse) => on_mouse(app, mouse),
        Action::Paste(text) => on_paste(app, &text),
        Action::Resize(width, height) => {
            app.model.size = (width, height);
            app.model.stale = true;
        }
        Action::Tick => on_tick(app),
        Action::Connected { generation, result } => {
            let model = &mut app.model;
            if generation != model.connect_gen {
                return;
            }
            match result {
                Ok(found) => {
                    let (clients, identity) = *found;
                    tracing::info!(account = %identity.account, arn = %identity.arn, "wizard: credentials");
                    model.connection = Connection::Online {
                        clients: Box::new(clients),
                        identity,
                    };
                }
                Err(reason) => {
                    tracing::info!(%reason, "wizard: offline");
                    model.connection = Connection::Offline { reason };
                }
            }
            model.stale = true;
        }
        Action::Looked {
            target,
            generation,
            result,
        } => {
            if let Some(slot) = app.model.slots.get_mut(&target)
                && slot.generation == generation
            {
                slot.running = false;
                slot.due = None;
                slot.found = Some(*result);
                app.model.stale = true;
            }
        }
        Action::Progress { run, id, event } => {
            let now = app.model.now;
            match run {
                super::action::Run::Apply => {
                    if let Some(key) = app.apply.on_event(id, event, now) {
                        app.done.access_key = Some(key);
                    }
                }
                super::action::Run::Verify => app.verify.on_event(id, event, now),
            }
        }
        Action::Applied { id, result } => {
            let applied = result.is_ok();
            if app.apply.finished(&mut app.model, id, result) {
                if applied {
                    // The session remembers it (the welcome list says so).
                    app.model.applied = Some(SystemTime::now());
                    autosave_now(app);
                }
                // What exists changed: read it again.
                app.model.refresh_lookups();
            }
        }
        Action::Verified { id, report } => app.verify.finished(&mut app.model, id, report),
        Action::DataFetched { id, result } => app.data.fetched(id, result),
        Action::SessionsListed(result) => match result {
            Ok(sessions) => {
                app.model.sessions = sessions;
                clamp_session_cursor(app);
            }
            Err(e) => app.model.set_status(
                StatusKind::Error,
                format!("cannot list saved sessions: {e}"),
            ),
        },
        Action::SessionDeleted { path, result } => session_deleted(app, &path, result),
        Action::SessionLoaded {
            path,
            result,
            place,
            saved,
        } => match result {
            Ok((spec, notes)) => {
                let model = &mut app.model;
                model.applied = place.as_ref().and_then(|p| p.applied);
                let region_changed = spec.region != model.spec.region;
                model.spec = *spec;
                model.session_path = Some(path.clone());
                // The file the user saved to is theirs again (Ctrl-S writes it,
                // Done names it); unsaved changes since show as such.
                match (place.as_ref().and_then(|p| p.save_path.clone()), saved) {
                    (Some(file), Some(on_disk)) => {
                        model.saved = *on_disk;
                        model.save_path = Some(file);
                    }
                    (Some(file), None) => {
                        // The file is gone: nothing there matches the session.
                        model.saved = crate::spec::starter("", &model.spec.region, None);
                        model.save_path = Some(file);
                    }
                    (None, _) => model.saved = model.spec.clone(),
                }
                if !model.regions.contains(&model.spec.region) {
                    let region = model.spec.region.clone();
                    model.regions.push(region);
                }
                app.form.reset_inputs(&app.model);
                app.apply = Default::default();
                app.verify = Default::default();
                app.data = Default::default();
                app.model.stale = true;
                if region_changed {
                    app.model.request_connect(false);
                }
                // Back where the user left off: a form step, or Review for
                // anything later (applying, verifying and the rest start again
                // there); a step the spec does not have, the next that it has.
                let resumed_at = place
                    .as_ref()
                    .map(|p| p.step.min(Step::Review).or_next(&app.model.spec));
                if let Some(step) = resumed_at {
                    app.model.furthest = app.model.furthest.max(step);
                    go(app, step);
                }
                let mut text = format!("resumed {}", path.display());
                if let Some(step) = resumed_at {
                    text.push_str(&format!(" at {}", step.title()));
                }
                if !notes.is_empty() {
                    text.push_str(&format!(
                        " ({} to fix)",
                        crate::words::count(notes.len(), "field")
                    ));
                }
                app.model.set_status(StatusKind::Ok, text);
            }
            Err(e) => app.model.set_status(StatusKind::Error, e),
        },
        Action::Saved {
            kind,
            path,
            spec,
            result,
        } => on_saved(app, kind, path, *spec, result),
        Action::Exported { dir, result } => app.done.exported(&mut app.model, dir, result),
        Action::ConsumePrepared { id, result } => {
            if id != app.done.consume.id {
                return;
            }
            app.done.consume.preparing = false;
            match result {
                Ok(run) => {
                    tracing::info!(queue = %run.info.queue, "wizard: dashboard");
                    app.model.effects.push(Effect::Dashboard { id, run });
                }
                Err(e) => {
                    app.model
                        .set_status(StatusKind::Error, format!("cannot consume: {e}"));
                    app.done.consume.last = Some(Err(e));
                }
            }
        }
        Action::ConsumeEnded { id, end } => {
            if id == app.done.consume.id {
                app.done.consume_ended(&mut app.model, end);
            }
        }
        Action::Terminate => {
            tracing::info!("wizard: quit on a signal");
            quit_now(app);
        }
    }
    app.refresh();
}

fn on_saved(
    app: &mut App,
    kind: SaveKind,
    path: std::path::PathBuf,
    spec: crate::spec::Spec,
    result: Result<(), String>,
) {
    let model = &mut app.model;
    match (kind, result) {
        (SaveKind::Autosave, Ok(())) => {
            model.autosaved = Some(SystemTime::now());
            model.session_path = Some(path.clone());
            if !model.sessions.iter().any(|s| s.path == path)
                && let Some(dir) = model.config.sessions_dir.clone()
            {
                model.effects.push(Effect::ListSessions(dir));
            }
        }
        (SaveKind::Autosave, Err(e)) => {
            model.set_status(
                StatusKind::Error,
                format!("autosave to {} failed: {e}", path.display()),
            );
        }
        (SaveKind::Spec, Ok(())) => {
            model.saved = spec;
            let moved = model.save_path.as_ref() != Some(&path);
            model.save_path = Some(path.clone());
            model.set_status(StatusKind::Ok, format!("saved {}", path.display()));
            if model.quit_pending {
                quit_now(app);
            } else if moved && app.model.session_path.is_some() {
                // The session's place names the file it was saved to.
                autosave_now(app);
            }
        }
        (SaveKind::Spec, Err(e)) => {
            model.quit_pending = false;
            model.set_status(
                StatusKind::Error,
                format!("cannot save {}: {e}", path.display()),
            );
        }
    }
}

// ---- saved sessions ----

/// `x` on a saved session: asks before deleting it. The session being
/// worked on is autosaved as it goes: it is not deleted from itself.
fn ask_to_delete_session(app: &mut App) {
    let Some(path) = app.form.selected_session(&app.model) else {
        return;
    };
    if app.model.session_path.as_ref() == Some(&path) {
        app.model.set_status(
            StatusKind::Info,
            "that is this session, saved as it goes: it can be deleted from another one",
        );
        return;
    }
    let name = app
        .model
        .sessions
        .iter()
        .find(|s| s.path == path)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    app.overlay = Some(Overlay::ConfirmDeleteSession { path, name });
}

/// Keeps the sessions' cursor on a listed session.
fn clamp_session_cursor(app: &mut App) {
    let count = app.model.sessions.len();
    let cursor = app
        .form
        .cursors
        .entry(super::fields::FieldId::Sessions)
        .or_insert(0);
    *cursor = (*cursor).min(count.saturating_sub(1));
}

/// A saved session's files were deleted (or could not be).
fn session_deleted(app: &mut App, path: &std::path::Path, result: Result<(), String>) {
    let model = &mut app.model;
    let name = model
        .sessions
        .iter()
        .find(|s| s.path == path)
        .map_or_else(|| path.display().to_string(), |s| s.name.clone());
    match result {
        Ok(()) => {
            model.sessions.retain(|s| s.path != path);
            model.set_status(
                StatusKind::Ok,
                format!(
                    "deleted the saved session {name}: its file only, nothing in AWS was touched"
                ),
            );
            clamp_session_cursor(app);
            if app.model.sessions.is_empty()
                && app.form.focus == Some(super::fields::FieldId::Sessions)
            {
                app.form.focus = app.form.first_focus(&app.model, app.model.step);
            }
        }
        Err(e) => model.set_status(
            StatusKind::Error,
            format!("cannot delete the saved session {name}: {e}"),
        ),
    }
}

// ---- time ----

fn on_tick(app: &mut App) {
    let model = &mut app.model;
    let now = model.now;
    if model.connect_due.is_some_and(|due| due <= now) {
        model.connect_due = None;
        let effect = model.connect_effect();
        model.effects.push(effect);
    }
    if let Some(clients) = model.connection.clients().cloned() {
        for (target, slot) in model.slots.iter_mut() {
            if slot.due.is_some_and(|due| due <= now)
                && let Some(what) = slot.what.clone()
            {
                slot.due = None;
                slot.running = true;
                model.effects.push(Effect::Lookup {
                    target: *target,
                    generation: slot.generation,
                    clients: Box::new(clients.clone()),
                    what,
                });
            }
        }
    }
    if model.autosave_due.is_some_and(|due| due <= now) {
        autosave_now(app);
    }
}

/// Writes the session now (when its stack name makes a file name).
fn autosave_now(app: &mut App) {
    let model = &mut app.model;
    model.autosave_due = None;
    let Some(dir) = model.config.sessions_dir.clone() else {
        return;
    };
    if crate::spec::validate(&model.spec)
        .err()
        .is_some_and(|e| e.for_path(crate::spec::path::NAME).is_some())
    {
        return;
    }
    let path = session::path_for(&dir, &model.spec.name);
    let replaces = model.session_path.clone().filter(|p| *p != path);
    let place = session::Place {
        step: model.step,
        save_path: model.save_path.clone(),
        applied: model.applied,
    };
    model.effects.push(Effect::Save {
        kind: SaveKind::Autosave,
        path,
        spec: Box::new(model.spec.clone()),
        replaces,
        place: Some(place),
    });
}

// ---- keys ----

fn on_key(app: &mut App, key: KeyEvent) {
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
            if let Some(input_key) = super::screens::form::text_input(key) {
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
            } else if let Some(why) = super::screens::done::consume_blocker(&app.model, &app.apply)
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

fn scroll_main(app: &mut App, down: bool) {
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

fn quit_now(app: &mut App) {
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

// ---- mouse ----

fn on_mouse(app: &mut App, mouse: MouseEvent) {
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
            let rects = super::screens::form::field_rects(&app.model, &app.form);
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

fn on_paste(app: &mut App, text: &str) {
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

// ---- steps ----

/// Goes to `step`, doing what entering it does.
fn go(app: &mut App, step: Step) {
    if app.model.step == Step::Done && step != Step::Done {
        app.done.forget_secret();
    }
    let model = &mut app.model;
    model.step = step;
    model.furthest = model.furthest.max(step);
    model.preview = Default::default();
    model.main_scroll = 0;
    model.stale = true;
    app.form.focus = app.form.first_focus(&app.model, step);
    app.form.resting = step == Step::Welcome;
    // The session remembers the step too (a resume comes back to it).
    if app.model.autosave_due.is_some() || app.model.session_path.is_some() {
        autosave_now(app);
    }
    let online = app.model.online();
    match step {
        Step::Review if online => app.model.refresh_lookups(),
        Step::Verify if online && !app.verify.run.running && !app.verify.is_current(&app.model) => {
            app.verify
                .start(&mut app.model, app.done.access_key.as_ref());
        }
        Step::Data if online && !app.data.running => {
            let cutoff = app.apply.notification_written;
            app.data.start(&mut app.model, cutoff);
        }
        _ => {}
    }
}

/// Refuses to leave form step `step` while it has an error: focuses it and
/// says why. Returns whether it refused.
fn refuse(app: &mut App, step: Step) -> bool {
    match app.form.blocker(&app.model, step) {
        Some(blocker) => {
            if app.model.step != step {
                go(app, step);
            }
            FormScreen::focus_first_error(&mut app.form, &app.model, step);
            app.model.set_status(StatusKind::Error, blocker);
            true
        }
        None => false,
    }
}

/// Enter: the next step, if this one is complete.
pub fn next_step(app: &mut App) {
    let step = app.model.step;
    if step.is_form() && refuse(app, step) {
        return;
    }
    match step {
        Step::Review => review_enter(app),
        Step::Data => match app.data.return_to.take() {
            Some(back_to) => go(app, back_to),
            None => go(app, Step::Done),
        },
        Step::Done => {}
        other => {
            if let Some(next) = other.next(&app.model.spec) {
                go(app, next);
            }
        }
    }
}

/// Esc: the previous step (skipping the AWS steps offline and the steps
/// the spec does not have).
fn back(app: &mut App) {
    if app.model.step == Step::Data
        && let Some(back_to) = app.data.return_to.take()
    {
        go(app, back_to);
        return;
    }
    let mut step = app.model.step;
    while let Some(prev) = step.prev(&app.model.spec) {
        step = prev;
        if !(step.needs_aws() && app.model.aws_blocker().is_some()) {
            go(app, step);
            return;
        }
    }
}

/// A click on the step bar: back freely, forward through complete steps.
fn jump(app: &mut App, target: Step) {
    if target == app.model.step || !app.model.step_reachable(target) {
        return;
    }
    if target > app.model.step {
        let from = app.model.step;
        let between: Vec<Step> = app
            .model
            .steps()
            .into_iter()
            .filter(|s| *s >= from && *s < target && s.is_form())
            .collect();
        for step in between {
            if refuse(app, step) {
                return;
            }
        }
    }
    go(app, target);
}

fn review_enter(app: &mut App) {
    match review::enter(&app.model, &app.form) {
        Enter::Offline(why) => {
            go(app, Step::Done);
            app.model.set_status(
                StatusKind::Info,
                format!("apply is disabled ({why}): export the bundle here with e"),
            );
        }
        Enter::Blocked(step, _) => {
            refuse(app, step);
        }
        Enter::Pending => app
            .model
            .set_status(StatusKind::Info, "still reading the account: a moment…"),
        Enter::PlanErrors => app.model.set_status(
            StatusKind::Error,
            "the plan has errors (listed): nothing can be applied",
        ),
        Enter::NothingToDo => {
            app.apply.nothing(&app.model);
            go(app, Step::Apply);
        }
        Enter::Confirm => app.overlay = Some(Overlay::ConfirmApply),
    }
}

/// Starts an apply (of the reviewed plan, or a retry) and shows it.
fn start_apply(app: &mut App, retry: bool) {
    if app.apply.start(&mut app.model, retry) && app.model.step != Step::Apply {
        go(app, Step::Apply);
    }
}
