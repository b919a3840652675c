//! `update(&mut App, Action)`: the one place the wizard's state changes.
//! Keys, ticks and background results come in as actions; work for the
//! outside world leaves as effects in `app.effects`. No I/O here.

use std::time::SystemTime;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;
use ratatui_textarea::{Input, Key};

use crate::aws::Event;
use crate::aws::apply::ApplyOptions;
use crate::aws::progress::{Outcome as StepOutcome, StepId};
use crate::aws::verify::Outcome;
use crate::docs::ResourceKind;

use super::action::{AUTOSAVE_DEBOUNCE, Action, ConsumeEnd, Effect, Run, SaveKind};
use super::app::{
    AccessKey, App, ApplyView, Connection, DataView, Overlay, PromptKind, Retry, Row, RowState,
    RunView, StatusKind, Step, VerifyView, new_input,
};
use super::form::{self, FieldId, Kind};
use super::session;
use super::ui;

/// Applies one action to the app.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::Key(key) => {
            tracing::trace!(?key, "key");
            if key.kind != KeyEventKind::Release {
                app.status = None;
                on_key(app, key);
            }
        }
        Action::Mouse(mouse) => on_mouse(app, mouse),
        Action::Paste(text) => on_paste(app, &text),
        Action::Resize(width, height) => {
            app.size = (width, height);
            app.stale = true;
        }
        Action::Tick => on_tick(app),
        Action::Connected { generation, result } => {
            if generation != app.connect_gen {
                return;
            }
            match result {
                Ok(found) => {
                    let (clients, identity) = *found;
                    tracing::info!(account = %identity.account, arn = %identity.arn, "wizard: credentials");
                    app.connection = Connection::Online {
                        clients: Box::new(clients),
                        identity,
                    };
                }
                Err(reason) => {
                    tracing::info!(%reason, "wizard: offline");
                    // The CLI's advice; the wizard is offline by itself.
                    let reason = reason
                        .strip_suffix(", or work with --offline")
                        .map(str::to_owned)
                        .unwrap_or(reason);
                    app.connection = Connection::Offline { reason };
                }
            }
            app.stale = true;
        }
        Action::Looked {
            target,
            generation,
            result,
        } => {
            if let Some(slot) = app.slots.get_mut(&target)
                && slot.generation == generation
            {
                slot.running = false;
                slot.due = None;
                slot.found = Some(*result);
                app.stale = true;
            }
        }
        Action::Progress { run, id, event } => on_progress(app, run, id, event),
        Action::Applied { id, result } => {
            if id != app.apply.run.id {
                return;
            }
            app.apply.run.running = false;
            match result {
                Ok(report) => {
                    app.set_status(
                        StatusKind::Ok,
                        "applied: Enter verifies the pipeline end to end",
                    );
                    app.apply.report = Some(*report);
                    app.apply.failure = None;
                }
                Err(failure) => {
                    app.set_status(
                        StatusKind::Error,
                        format!("{} failed: r retries, Esc goes back", failure.step),
                    );
                    app.apply.failure = Some(failure);
                }
            }
            for row in &mut app.apply.run.rows {
                if row.state == RowState::Running {
                    row.state = RowState::Failed;
                }
            }
            // What exists changed: read it again.
            app.refresh_lookups();
        }
        Action::Verified { id, report } => {
            if id != app.verify.run.id {
                return;
            }
            app.verify.run.running = false;
            for check in &report.checks {
                let row = app.verify.run.row_mut(StepId::Check(check.name));
                row.elapsed = Some(check.latency);
                row.retry = None;
                match &check.outcome {
                    Outcome::Pass => row.state = RowState::Done,
                    Outcome::Fail(cause) => {
                        row.state = RowState::Failed;
                        row.detail = cause.clone();
                    }
                    Outcome::NotAvailable(why) => {
                        row.state = RowState::Skipped;
                        row.detail = format!("not available: {why}");
                    }
                }
            }
            if report.passed() {
                app.set_status(StatusKind::Ok, "verified: Enter previews the data");
            } else {
                app.set_status(StatusKind::Error, "verification failed: see the ✗ checks");
            }
            app.verify.report = Some(report);
        }
        Action::DataFetched { id, result } => {
            if id == app.data.id {
                app.data.running = false;
                app.data.result = Some(result.map(|r| *r));
            }
        }
        Action::SessionsListed(result) => match result {
            Ok(sessions) => {
                app.sessions = sessions;
                let count = app.sessions.len();
                let cursor = app.cursors.entry(FieldId::Sessions).or_insert(0);
                *cursor = (*cursor).min(count.saturating_sub(1));
            }
            Err(e) => app.set_status(
                StatusKind::Error,
                format!("cannot list saved sessions: {e}"),
            ),
        },
        Action::SessionLoaded { path, result } => match result {
            Ok((spec, notes)) => {
                let region_changed = spec.region != app.spec.region;
                app.spec = *spec;
                app.saved = app.spec.clone();
                app.session_path = Some(path.clone());
                if !app.regions.contains(&app.spec.region) {
                    app.regions.push(app.spec.region.clone());
                }
                app.reset_inputs();
                app.apply = ApplyView::default();
                app.verify = VerifyView::default();
                app.data = DataView::default();
                app.stale = true;
                if region_changed {
                    app.request_connect(false);
                }
                let mut text = format!("resumed {}", path.display());
                if !notes.is_empty() {
                    text.push_str(&format!(" ({} field(s) to fix)", notes.len()));
                }
                app.set_status(StatusKind::Ok, text);
            }
            Err(e) => app.set_status(StatusKind::Error, e),
        },
        Action::Saved {
            kind,
            path,
            spec,
            result,
        } => match (kind, result) {
            (SaveKind::Autosave, Ok(())) => {
                app.autosaved = Some(SystemTime::now());
                app.session_path = Some(path.clone());
                if !app.sessions.iter().any(|s| s.path == path)
                    && let Some(dir) = app.config.sessions_dir.clone()
                {
                    app.effects.push(Effect::ListSessions(dir));
                }
            }
            (SaveKind::Autosave, Err(e)) => {
                app.set_status(
                    StatusKind::Error,
                    format!("autosave to {} failed: {e}", path.display()),
                );
            }
            (SaveKind::Spec, Ok(())) => {
                app.saved = *spec;
                app.save_path = Some(path.clone());
                app.set_status(StatusKind::Ok, format!("saved {}", path.display()));
                if app.quit_pending {
                    quit_now(app);
                }
            }
            (SaveKind::Spec, Err(e)) => {
                app.quit_pending = false;
                app.set_status(
                    StatusKind::Error,
                    format!("cannot save {}: {e}", path.display()),
                );
            }
        },
        Action::Exported { dir, result } => {
            app.done.exporting = false;
            match &result {
                Ok(files) => app.set_status(
                    StatusKind::Ok,
                    format!("exported {} files to {}", files.len(), dir.display()),
                ),
                Err(e) => app.set_status(StatusKind::Error, format!("export failed: {e}")),
            }
            app.done.exported = Some(result.map(|files| (dir, files)));
        }
        Action::ConsumePrepared { id, result } => {
            if id != app.done.consume.id {
                return;
            }
            app.done.consume.preparing = false;
            match result {
                Ok(run) => {
                    tracing::info!(queue = %run.info.queue, "wizard: dashboard");
                    app.effects.push(Effect::Dashboard { id, run });
                }
                Err(e) => {
                    app.set_status(StatusKind::Error, format!("cannot consume: {e}"));
                    app.done.consume.last = Some(Err(e));
                }
            }
        }
        Action::ConsumeEnded { id, end } => {
            if id == app.done.consume.id {
                on_consume_ended(app, end);
            }
        }
        Action::Terminate => {
            tracing::info!("wizard: quit on a signal");
            quit_now(app);
        }
    }
    app.refresh();
}

/// Back from the dashboard: what the run did, on the status line and the Done screen.
fn on_consume_ended(app: &mut App, end: ConsumeEnd) {
    let c = &end.snapshot.counters;
    let (kind, text) = if end.abandoned {
        (
            StatusKind::Error,
            "left before the consumer stopped: messages still held return to the queue after their visibility timeout".to_owned(),
        )
    } else if end.fail_policy_errors > 0 {
        (
            StatusKind::Error,
            format!(
                "the consumer stopped; {} message(s) kept under the fail policy go to the dead-letter queue after maxReceiveCount",
                end.fail_policy_errors
            ),
        )
    } else {
        (
            StatusKind::Ok,
            format!(
                "the consumer stopped: {} records written, {} messages deleted; d runs it again",
                c.records, c.messages_deleted
            ),
        )
    };
    app.set_status(kind, text);
    app.done.consume.last = Some(Ok(end));
}

// ---- time ----

fn on_tick(app: &mut App) {
    let now = app.now;
    if app.connect_due.is_some_and(|due| due <= now) {
        app.connect_due = None;
        let effect = app.connect_effect();
        app.effects.push(effect);
    }
    if let Some(clients) = app.connection.clients().cloned() {
        for (target, slot) in app.slots.iter_mut() {
            if slot.due.is_some_and(|due| due <= now)
                && let Some(what) = slot.what.clone()
            {
                slot.due = None;
                slot.running = true;
                app.effects.push(Effect::Lookup {
                    target: *target,
                    generation: slot.generation,
                    clients: Box::new(clients.clone()),
                    what,
                });
            }
        }
    }
    if app.autosave_due.is_some_and(|due| due <= now) {
        autosave_now(app);
    }
}

/// Schedules the session's autosave.
fn spec_changed(app: &mut App) {
    app.stale = true;
    if app.config.sessions_dir.is_some() {
        app.autosave_due = Some(app.now + AUTOSAVE_DEBOUNCE);
    }
}

/// Writes the session now (when its stack name makes a file name).
fn autosave_now(app: &mut App) {
    app.autosave_due = None;
    let Some(dir) = app.config.sessions_dir.clone() else {
        return;
    };
    if crate::spec::validate(&app.spec)
        .err()
        .is_some_and(|e| e.for_path("name").is_some())
    {
        return;
    }
    let path = session::path_for(&dir, &app.spec.name);
    let replaces = app.session_path.clone().filter(|p| *p != path);
    app.effects.push(Effect::Save {
        kind: SaveKind::Autosave,
        path,
        spec: Box::new(app.spec.clone()),
        replaces,
    });
}

// ---- keys ----

fn ctrl(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(app: &mut App, key: KeyEvent) {
    if ctrl(&key) && key.code == KeyCode::Char('c') {
        request_quit(app);
        return;
    }
    if let Some(overlay) = app.overlay.take() {
        on_overlay_key(app, overlay, key);
        return;
    }
    match key.code {
        KeyCode::F(1) => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        KeyCode::Char('s') if ctrl(&key) => {
            save(app);
            return;
        }
        KeyCode::Char('p') if ctrl(&key) => {
            toggle_preview(app);
            return;
        }
        KeyCode::F(2) => {
            toggle_preview(app);
            return;
        }
        KeyCode::Char('r') if ctrl(&key) => {
            reread(app);
            return;
        }
        KeyCode::PageDown | KeyCode::PageUp => {
            page(app, key.code == KeyCode::PageDown);
            return;
        }
        _ => {}
    }
    let typing = app.step.is_form() && app.focus.is_some_and(|f| f.is_text()) && !app.preview.shown;
    if !typing && !ctrl(&key) {
        match key.code {
            KeyCode::Char('?') => {
                app.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            KeyCode::Char('q') => {
                request_quit(app);
                return;
            }
            _ => {}
        }
    }
    if app.preview.shown && !ui::wide(app) && matches!(key.code, KeyCode::Esc | KeyCode::Tab) {
        app.preview.shown = false;
        return;
    }
    match app.step {
        step if step.is_form() => form_key(app, key),
        Step::Review => match key.code {
            KeyCode::Enter => review_enter(app),
            KeyCode::Esc => back(app),
            KeyCode::Up | KeyCode::Down => scroll_main(app, key.code == KeyCode::Down),
            _ => {}
        },
        Step::Apply => match key.code {
            KeyCode::Char('r') if app.apply.failure.is_some() && !app.apply.run.running => {
                start_apply(app, true);
            }
            KeyCode::Enter if app.apply.report.is_some() || app.apply.nothing_to_do => {
                go(app, Step::Verify);
            }
            KeyCode::Esc if !app.apply.run.running => back(app),
            KeyCode::Up | KeyCode::Down => scroll_main(app, key.code == KeyCode::Down),
            _ => {}
        },
        Step::Verify => match key.code {
            KeyCode::Char('r') if !app.verify.run.running => start_verify(app),
            KeyCode::Enter if !app.verify.run.running => go(app, Step::Data),
            KeyCode::Esc if !app.verify.run.running => back(app),
            KeyCode::Up | KeyCode::Down => scroll_main(app, key.code == KeyCode::Down),
            _ => {}
        },
        Step::Data => match key.code {
            KeyCode::Char('r') if !app.data.running => start_data(app),
            KeyCode::Enter if !app.data.running => next_step(app),
            KeyCode::Esc => back(app),
            KeyCode::Up | KeyCode::Down => scroll_main(app, key.code == KeyCode::Down),
            _ => {}
        },
        Step::Done => done_key(app, key),
        _ => {}
    }
}

fn toggle_preview(app: &mut App) {
    if ui::wide(app) {
        app.set_status(
            StatusKind::Info,
            "the preview is beside the form: PgUp/PgDn scroll it",
        );
    } else if ui::has_preview(app.step) {
        app.preview.shown = !app.preview.shown;
    }
}

fn reread(app: &mut App) {
    match &app.connection {
        Connection::Offline { .. }
            if matches!(app.config.connect, super::app::Connect::Offline(_)) =>
        {
            app.set_status(StatusKind::Info, "offline by choice: nothing to read");
        }
        Connection::Offline { .. } => {
            app.request_connect(true);
            app.set_status(StatusKind::Info, "checking the credentials again…");
        }
        Connection::Connecting => {}
        Connection::Online { .. } => {
            app.refresh_lookups();
            app.set_status(StatusKind::Info, "reading the account again…");
        }
    }
}

/// PgUp / PgDn: scroll the preview (or, without one, the main pane).
fn page(app: &mut App, down: bool) {
    if !ui::has_preview(app.step) {
        for _ in 0..10 {
            scroll_main(app, down);
        }
        return;
    }
    if !ui::wide(app) && !app.preview.shown {
        app.preview.shown = true;
    }
    let Some(rect) = ui::body_areas(app).preview else {
        return;
    };
    let inner_height = rect.height.saturating_sub(2);
    let total = ui::preview_height(app, rect.width.saturating_sub(2));
    let max = u16::try_from(total.saturating_sub(usize::from(inner_height))).unwrap_or(u16::MAX);
    let step = inner_height.saturating_sub(1).max(1);
    app.preview.scroll = if down {
        app.preview.scroll.saturating_add(step).min(max)
    } else {
        app.preview.scroll.min(max).saturating_sub(step)
    };
}

fn scroll_main(app: &mut App, down: bool) {
    let width = ui::body_areas(app)
        .main
        .map(|r| r.width.saturating_sub(2))
        .unwrap_or(80);
    let total = ui::main_lines(app, usize::from(width));
    let max = u16::try_from(total.saturating_sub(1)).unwrap_or(u16::MAX);
    app.main_scroll = if down {
        app.main_scroll.saturating_add(1).min(max)
    } else {
        app.main_scroll.saturating_sub(1)
    };
}

fn request_quit(app: &mut App) {
    if app.dirty() || app.apply.run.running {
        app.overlay = Some(Overlay::ConfirmQuit);
    } else {
        quit_now(app);
    }
}

fn quit_now(app: &mut App) {
    if app.autosave_due.is_some() {
        autosave_now(app);
    }
    if let Some(key) = &mut app.done.access_key {
        key.secret = None;
    }
    app.quit = true;
}

/// Ctrl-S: the spec file, or a question where to put it.
fn save(app: &mut App) {
    match app.save_path.clone() {
        Some(path) => app.effects.push(Effect::Save {
            kind: SaveKind::Spec,
            path,
            spec: Box::new(app.spec.clone()),
            replaces: None,
        }),
        None => {
            app.overlay = Some(Overlay::Prompt {
                kind: PromptKind::SaveAs,
                input: Box::new(new_input("sluice.json", "")),
                error: None,
            });
        }
    }
    if app.autosave_due.is_some() {
        autosave_now(app);
    }
}

fn on_overlay_key(app: &mut App, overlay: Overlay, key: KeyEvent) {
    match overlay {
        Overlay::Help { scroll } => match key.code {
            KeyCode::Down | KeyCode::PageDown => {
                app.overlay = Some(Overlay::Help {
                    scroll: scroll.saturating_add(if key.code == KeyCode::Down { 1 } else { 10 }),
                });
            }
            KeyCode::Up | KeyCode::PageUp => {
                app.overlay = Some(Overlay::Help {
                    scroll: scroll.saturating_sub(if key.code == KeyCode::Up { 1 } else { 10 }),
                });
            }
            _ => {}
        },
        Overlay::ConfirmQuit => match key.code {
            KeyCode::Char('s') => {
                app.quit_pending = true;
                save(app);
            }
            KeyCode::Char('q' | 'y') => quit_now(app),
            KeyCode::Esc | KeyCode::Char('n') => {}
            _ => app.overlay = Some(Overlay::ConfirmQuit),
        },
        Overlay::ConfirmApply => match key.code {
            KeyCode::Char('y') => start_apply(app, false),
            KeyCode::Esc | KeyCode::Char('n') => {
                app.set_status(StatusKind::Info, "nothing was changed");
            }
            _ => app.overlay = Some(Overlay::ConfirmApply),
        },
        Overlay::Picker {
            field,
            mut filter,
            mut cursor,
        } => {
            let options = picker_options(app, field, &filter);
            match key.code {
                KeyCode::Esc => return,
                KeyCode::Enter => {
                    if let Some((index, _)) = options.get(cursor) {
                        choose(app, field, *index);
                    }
                    return;
                }
                KeyCode::Up => cursor = cursor.saturating_sub(1),
                KeyCode::Down => cursor = (cursor + 1).min(options.len().saturating_sub(1)),
                KeyCode::Backspace => {
                    filter.pop();
                    cursor = 0;
                }
                KeyCode::Char(c) if !ctrl(&key) => {
                    filter.push(c);
                    cursor = 0;
                }
                _ => {}
            }
            app.overlay = Some(Overlay::Picker {
                field,
                filter,
                cursor,
            });
        }
        Overlay::Prompt {
            kind,
            mut input,
            error,
        } => match key.code {
            KeyCode::Esc => {
                app.quit_pending = false;
            }
            KeyCode::Enter => {
                let text = input.lines().join("").trim().to_owned();
                let refused = match kind {
                    _ if text.is_empty() => Some("give a path".to_owned()),
                    PromptKind::ConsumeSink => sink_problem(&text),
                    _ => None,
                };
                if let Some(problem) = refused {
                    app.overlay = Some(Overlay::Prompt {
                        kind,
                        input,
                        error: Some(problem),
                    });
                    return;
                }
                match kind {
                    PromptKind::SaveAs => app.effects.push(Effect::Save {
                        kind: SaveKind::Spec,
                        path: text.into(),
                        spec: Box::new(app.spec.clone()),
                        replaces: None,
                    }),
                    PromptKind::ExportDir => {
                        app.done.exporting = true;
                        app.effects.push(Effect::Export {
                            dir: text.into(),
                            spec: Box::new(export_spec(app)),
                        });
                    }
                    PromptKind::ConsumeSink => start_consume(app, text),
                }
            }
            _ => {
                if let Some(input_key) = text_input(&key) {
                    input.input(input_key);
                    single_line(&mut input);
                }
                app.overlay = Some(Overlay::Prompt { kind, input, error });
            }
        },
    }
}

/// The spec the bundle is exported from: with the caller's account when known.
pub fn export_spec(app: &App) -> crate::spec::Spec {
    if app.online() && app.derived.account_error.is_none() {
        app.derived.resolved.clone()
    } else {
        app.spec.clone()
    }
}

/// A key for a text input, or `None` for keys the form uses itself (or that
/// would make the input multi-line).
fn text_input(key: &KeyEvent) -> Option<Input> {
    let input = Input::from(*key);
    match input.key {
        Key::Enter
        | Key::Tab
        | Key::Esc
        | Key::Up
        | Key::Down
        | Key::PageUp
        | Key::PageDown
        | Key::Null => None,
        // Ctrl-M is a newline; Ctrl-N / Ctrl-P move between lines (none here).
        Key::Char('m' | 'n' | 'p') if input.ctrl => None,
        _ => Some(input),
    }
}

/// Joins lines that a paste or an odd key may have made.
fn single_line(input: &mut ratatui_textarea::TextArea<'static>) {
    if input.lines().len() > 1 {
        let text = input.lines().join("");
        *input = new_input(&text, "");
    }
}

// ---- the form ----

fn form_key(app: &mut App, key: KeyEvent) {
    let Some(field) = app.focus else {
        match key.code {
            KeyCode::Enter => next_step(app),
            KeyCode::Esc => back(app),
            KeyCode::Tab | KeyCode::Down => app.focus = app.first_focus(app.step),
            _ => {}
        }
        return;
    };
    match key.code {
        KeyCode::Tab => move_focus(app, 1, true),
        KeyCode::BackTab => move_focus(app, -1, true),
        KeyCode::Enter => {
            if !field_enter(app, field) {
                next_step(app);
            }
        }
        KeyCode::Esc => back(app),
        KeyCode::Up | KeyCode::Down => {
            let down = key.code == KeyCode::Down;
            if !field_vertical(app, field, down) {
                move_focus(app, if down { 1 } else { -1 }, false);
            }
        }
        KeyCode::Char('g') if ctrl(&key) && app.step == Step::Role => {
            app.spec.role.external_id = crate::spec::generate_external_id();
            app.reset_input(FieldId::ExternalId);
            app.focus = Some(FieldId::ExternalId)
                .filter(|f| form::active(*f, &app.spec))
                .or(app.focus);
            spec_changed(app);
            app.set_status(
                StatusKind::Ok,
                "generated a random external ID: give it to your vendor with the role ARN",
            );
        }
        KeyCode::Char('d') if ctrl(&key) && app.step == Step::Bucket => {
            if ui::bucket_exists(app) {
                app.data.return_to = Some(Step::Bucket);
                go(app, Step::Data);
            } else {
                app.set_status(
                    StatusKind::Info,
                    "the data preview needs an existing bucket (and credentials)",
                );
            }
        }
        _ => field_key(app, field, key),
    }
}

/// Moves the focus by `delta` fields (wrapping for Tab).
fn move_focus(app: &mut App, delta: isize, wrap: bool) {
    let fields = app.focusable(app.step);
    if fields.is_empty() {
        return;
    }
    let len = fields.len() as isize;
    let current = app
        .focus
        .and_then(|f| fields.iter().position(|x| *x == f))
        .map_or(-1, |i| i as isize);
    let mut next = current + delta;
    if wrap {
        next = next.rem_euclid(len);
    } else if next < 0 || next >= len {
        return;
    }
    let field = fields[next as usize];
    focus(app, field);
}

fn focus(app: &mut App, field: FieldId) {
    if field == FieldId::TrustedPrincipals {
        let len = app.spec.role.trusted_principals.len();
        app.cursors.insert(field, len);
    }
    app.focus = Some(field);
}

/// Enter on a field: its own action, if it has one. Returns whether it did.
fn field_enter(app: &mut App, field: FieldId) -> bool {
    match field {
        FieldId::TrustedPrincipals => {
            let len = app.spec.role.trusted_principals.len();
            let cursor = app.cursors.get(&field).copied().unwrap_or(len);
            let text = app.input_text(field).trim().to_owned();
            if cursor < len || text.is_empty() {
                return false;
            }
            if app.spec.role.trusted_principals.contains(&text) {
                app.local_errors
                    .insert(field, format!("{text} is already trusted"));
                return true;
            }
            let mut candidate = app.spec.clone();
            candidate.role.trusted_principals.push(text.clone());
            let problem = crate::spec::validate(&candidate).err().and_then(|e| {
                e.for_path(&format!("role.trusted_principals[{len}]"))
                    .map(|e| e.message.clone())
            });
            match problem {
                Some(message) => {
                    app.local_errors.insert(field, message);
                }
                None => {
                    app.spec.role.trusted_principals.push(text);
                    app.inputs.insert(
                        field,
                        new_input("", "add: an account id or IAM ARN, then Enter"),
                    );
                    app.local_errors.remove(&field);
                    app.cursors.insert(field, len + 1);
                    spec_changed(app);
                }
            }
            true
        }
        FieldId::Sessions => {
            let cursor = app.cursors.get(&field).copied().unwrap_or(0);
            match app.sessions.get(cursor) {
                Some(session) => {
                    app.effects.push(Effect::LoadSession(session.path.clone()));
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// ↑ / ↓ inside a list field. Returns whether the field used the key.
fn field_vertical(app: &mut App, field: FieldId, down: bool) -> bool {
    let rows = match field.kind() {
        Kind::List => app.spec.role.trusted_principals.len() + 1,
        Kind::Checklist => form::event_rows(&app.spec).len(),
        Kind::Sessions => app.sessions.len(),
        _ => return false,
    };
    let default = if field.kind() == Kind::List {
        rows - 1
    } else {
        0
    };
    let cursor = app.cursors.entry(field).or_insert(default);
    if down && *cursor + 1 < rows {
        *cursor += 1;
        true
    } else if !down && *cursor > 0 {
        *cursor -= 1;
        true
    } else {
        false
    }
}

fn field_key(app: &mut App, field: FieldId, key: KeyEvent) {
    match field.kind() {
        Kind::Text | Kind::Number => edit_text(app, field, &key),
        Kind::Toggle => {
            if matches!(
                key.code,
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
            ) {
                let on = form::toggle_value(&app.spec, field);
                form::set_toggle(&mut app.spec, field, !on);
                spec_changed(app);
            }
        }
        Kind::Select => match key.code {
            KeyCode::Left | KeyCode::Right => {
                let (options, current) = select_options(app, field);
                if options.is_empty() {
                    return;
                }
                let len = options.len();
                let next = if key.code == KeyCode::Right {
                    (current + 1) % len
                } else {
                    (current + len - 1) % len
                };
                choose(app, field, next);
            }
            KeyCode::Char(' ') => {
                let (_, current) = select_options(app, field);
                app.overlay = Some(Overlay::Picker {
                    field,
                    filter: String::new(),
                    cursor: current,
                });
            }
            _ => {}
        },
        Kind::List => {
            let len = app.spec.role.trusted_principals.len();
            let cursor = app.cursors.get(&field).copied().unwrap_or(len);
            if cursor < len {
                match key.code {
                    KeyCode::Delete | KeyCode::Backspace => {
                        let removed = app.spec.role.trusted_principals.remove(cursor);
                        app.cursors.insert(field, cursor.min(len - 1));
                        spec_changed(app);
                        app.set_status(StatusKind::Info, format!("removed {removed}"));
                    }
                    KeyCode::Char(_) if !ctrl(&key) => {
                        app.cursors.insert(field, len);
                        edit_text(app, field, &key);
                    }
                    _ => {}
                }
            } else {
                edit_text(app, field, &key);
            }
        }
        Kind::Checklist => {
            if key.code == KeyCode::Char(' ') {
                let rows = form::event_rows(&app.spec);
                let cursor = app.cursors.get(&field).copied().unwrap_or(0);
                if let Some(event) = rows.get(cursor) {
                    let mut chosen = app.spec.notification.events.clone();
                    if let Some(i) = chosen.iter().position(|e| e == event) {
                        chosen.remove(i);
                    } else {
                        chosen.push(event.clone());
                    }
                    // Keep the order of the list.
                    app.spec.notification.events =
                        rows.into_iter().filter(|r| chosen.contains(r)).collect();
                    spec_changed(app);
                }
            }
        }
        Kind::Sessions => {}
    }
}

fn edit_text(app: &mut App, field: FieldId, key: &KeyEvent) {
    let Some(input_key) = text_input(key) else {
        return;
    };
    let Some(input) = app.inputs.get_mut(&field) else {
        return;
    };
    if input.input(input_key) {
        single_line(input);
        text_changed(app, field);
    }
}

fn on_paste(app: &mut App, text: &str) {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if let Some(Overlay::Prompt { input, .. }) = &mut app.overlay {
        input.insert_str(&clean);
        return;
    }
    if app.overlay.is_some() || !app.step.is_form() {
        return;
    }
    if let Some(field) = app.focus.filter(|f| f.is_text()) {
        if field == FieldId::TrustedPrincipals {
            app.cursors
                .insert(field, app.spec.role.trusted_principals.len());
        }
        if let Some(input) = app.inputs.get_mut(&field)
            && input.insert_str(&clean)
        {
            text_changed(app, field);
        }
    }
}

/// The text of `field` changed: carry it into the spec.
fn text_changed(app: &mut App, field: FieldId) {
    let text = app.input_text(field);
    match field {
        FieldId::TrustedPrincipals => {
            app.local_errors.remove(&field);
            return;
        }
        FieldId::StackName => {
            let old = std::mem::replace(&mut app.spec.name, text);
            form::rederive_names(&mut app.spec, &old);
            for step in Step::ALL {
                for f in form::fields(step) {
                    if *f != FieldId::StackName
                        && f.kind() == Kind::Text
                        && app.input_text(*f) != form::text_value(&app.spec, *f)
                    {
                        app.reset_input(*f);
                    }
                }
            }
        }
        _ => match form::set_text(&mut app.spec, field, &text) {
            Ok(()) => {
                app.local_errors.remove(&field);
            }
            Err(e) => {
                app.local_errors.insert(field, e);
            }
        },
    }
    spec_changed(app);
}

/// The choices of a select and the current one.
pub fn select_options(app: &App, field: FieldId) -> (Vec<String>, usize) {
    match field {
        FieldId::Profile => {
            let mut options = vec!["default chain".to_owned()];
            options.extend(app.profiles.iter().map(|p| match &p.region {
                Some(region) => format!("{} ({region})", p.name),
                None => p.name.clone(),
            }));
            let current = app
                .profile
                .as_ref()
                .and_then(|name| app.profiles.iter().position(|p| &p.name == name))
                .map_or(0, |i| i + 1);
            (options, current)
        }
        FieldId::Region => {
            let current = app
                .regions
                .iter()
                .position(|r| *r == app.spec.region)
                .unwrap_or(0);
            (app.regions.clone(), current)
        }
        _ => form::spec_select(&app.spec, field).unwrap_or_default(),
    }
}

/// The picker's rows for `filter`: (choice index, label).
pub fn picker_options(app: &App, field: FieldId, filter: &str) -> Vec<(usize, String)> {
    let filter = filter.to_lowercase();
    select_options(app, field)
        .0
        .into_iter()
        .enumerate()
        .filter(|(_, label)| label.to_lowercase().contains(&filter))
        .collect()
}

/// Sets a select to choice `index`.
fn choose(app: &mut App, field: FieldId, index: usize) {
    match field {
        FieldId::Profile => {
            let profile = index
                .checked_sub(1)
                .and_then(|i| app.profiles.get(i))
                .map(|p| p.name.clone());
            if profile != app.profile {
                app.profile = profile;
                app.request_connect(false);
            }
        }
        FieldId::Region => {
            if let Some(region) = app.regions.get(index).cloned()
                && region != app.spec.region
            {
                app.spec.region = region;
                app.request_connect(false);
                spec_changed(app);
            }
        }
        FieldId::BucketEncryption | FieldId::QueueEncryption => {
            form::set_spec_select(&mut app.spec, field, index);
            let (kms_field, kms_chosen) = if field == FieldId::BucketEncryption {
                (
                    FieldId::BucketKmsKey,
                    app.spec.bucket.encryption == crate::spec::BucketEncryption::SseKms,
                )
            } else {
                (
                    FieldId::QueueKmsKey,
                    app.spec.queue.encryption == crate::spec::QueueEncryption::Kms,
                )
            };
            // The key's text stays in its input: choosing KMS again brings it back.
            let text = app.input_text(kms_field);
            let key = (kms_chosen && !text.is_empty()).then_some(text);
            if field == FieldId::BucketEncryption {
                app.spec.bucket.kms_key_arn = key;
            } else {
                app.spec.queue.kms_key_arn = key;
            }
            spec_changed(app);
        }
        _ => {
            form::set_spec_select(&mut app.spec, field, index);
            spec_changed(app);
        }
    }
}

// ---- steps ----

/// Goes to `step`, doing what entering it does.
fn go(app: &mut App, step: Step) {
    if app.step == Step::Done
        && step != Step::Done
        && let Some(key) = &mut app.done.access_key
    {
        key.secret = None;
    }
    app.step = step;
    app.furthest = app.furthest.max(step);
    app.focus = app.first_focus(step);
    app.preview = Default::default();
    app.main_scroll = 0;
    app.stale = true;
    if app.autosave_due.is_some() {
        autosave_now(app);
    }
    match step {
        Step::Review if app.online() => app.refresh_lookups(),
        Step::Verify
            if app.online()
                && !app.verify.run.running
                && app.verify.run.spec.as_ref() != Some(&app.spec) =>
        {
            start_verify(app);
        }
        Step::Data if app.online() && !app.data.running => start_data(app),
        _ => {}
    }
}

/// Enter: the next step, if this one is complete.
pub fn next_step(app: &mut App) {
    let step = app.step;
    if step.is_form()
        && let Some(blocker) = app.step_blocker(step)
    {
        if let Some(first) = app.step_errors(step).first() {
            focus(app, *first);
        }
        app.set_status(StatusKind::Error, blocker);
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
            if let Some(next) = other.next() {
                go(app, next);
            }
        }
    }
}

/// Esc: the previous step (skipping the AWS steps offline).
fn back(app: &mut App) {
    if app.step == Step::Data
        && let Some(back_to) = app.data.return_to.take()
    {
        go(app, back_to);
        return;
    }
    let mut step = app.step;
    while let Some(prev) = step.prev() {
        step = prev;
        if !(step.needs_aws() && app.aws_blocker().is_some()) {
            go(app, step);
            return;
        }
    }
}

/// A click on the step bar: back freely, forward through complete steps.
fn jump(app: &mut App, target: Step) {
    if target == app.step || !ui::step_reachable(app, target) {
        return;
    }
    if target > app.step {
        for step in Step::ALL
            .iter()
            .copied()
            .filter(|s| *s >= app.step && *s < target && s.is_form())
        {
            if let Some(blocker) = app.step_blocker(step) {
                go(app, step);
                if let Some(first) = app.step_errors(step).first() {
                    focus(app, *first);
                }
                app.set_status(StatusKind::Error, blocker);
                return;
            }
        }
    }
    go(app, target);
}

fn review_enter(app: &mut App) {
    if let Some(why) = app.aws_blocker() {
        go(app, Step::Done);
        app.set_status(
            StatusKind::Info,
            format!("apply is disabled ({why}): export the bundle here with e"),
        );
        return;
    }
    for step in Step::ALL.iter().copied().filter(|s| s.is_form()) {
        if let Some(blocker) = app.step_blocker(step) {
            go(app, step);
            if let Some(first) = app.step_errors(step).first() {
                focus(app, *first);
            }
            app.set_status(StatusKind::Error, blocker);
            return;
        }
    }
    if app.derived.pending > 0 {
        app.set_status(StatusKind::Info, "still reading the account: a moment…");
        return;
    }
    if !app.derived.plan.errors.is_empty() {
        app.set_status(
            StatusKind::Error,
            "the plan has errors (listed): nothing can be applied",
        );
        return;
    }
    if !app.derived.plan.has_changes() {
        app.apply = ApplyView {
            nothing_to_do: true,
            run: RunView {
                id: app.apply.run.id,
                spec: Some(app.spec.clone()),
                ..RunView::default()
            },
            ..ApplyView::default()
        };
        go(app, Step::Apply);
        return;
    }
    app.overlay = Some(Overlay::ConfirmApply);
}

/// Starts an apply: of the reviewed plan, or (`retry`) after reading the account again.
fn start_apply(app: &mut App, retry: bool) {
    let Connection::Online { clients, identity } = &app.connection else {
        return;
    };
    let (clients, identity) = (clients.clone(), identity.clone());
    let backup_base = match app
        .config
        .backup_base
        .clone()
        .or_else(crate::aws::backup::default_base)
    {
        Some(base) => base,
        None => {
            app.set_status(
                StatusKind::Error,
                "no data directory for backups on this system: nothing was changed",
            );
            return;
        }
    };
    let reviewed = if retry {
        None
    } else {
        app.observation()
            .map(|observation| Box::new((app.derived.plan.clone(), observation)))
    };
    let id = app.apply.run.id + 1;
    let rows = if retry {
        app.apply
            .run
            .rows
            .iter()
            .map(|r| Row {
                state: RowState::Pending,
                started: None,
                elapsed: None,
                retry: None,
                notes: Vec::new(),
                ..r.clone()
            })
            .collect()
    } else {
        app.derived
            .plan
            .items
            .iter()
            .map(|item| Row {
                step: StepId::Apply(item.resource),
                title: format!("{} {}", item.resource.as_str(), item.name),
                state: RowState::Pending,
                started: None,
                elapsed: None,
                detail: item.action.as_str().to_owned(),
                retry: None,
                notes: Vec::new(),
            })
            .collect()
    };
    app.apply = ApplyView {
        run: RunView {
            id,
            running: true,
            started: Some(app.now),
            rows,
            backups: Vec::new(),
            spec: Some(app.spec.clone()),
        },
        ..ApplyView::default()
    };
    app.effects.push(Effect::Apply {
        id,
        clients,
        spec: Box::new(app.derived.resolved.clone()),
        reviewed,
        identity,
        options: ApplyOptions {
            backup_base,
            out_dir: app.config.out_dir.clone(),
            propagation_timeout: app.config.propagation_timeout,
        },
    });
    if app.step != Step::Apply {
        go(app, Step::Apply);
    }
}

fn start_verify(app: &mut App) {
    let Some(clients) = app.connection.clients().cloned() else {
        return;
    };
    let id = app.verify.run.id + 1;
    app.verify = VerifyView {
        run: RunView {
            id,
            running: true,
            started: Some(app.now),
            spec: Some(app.spec.clone()),
            ..RunView::default()
        },
        report: None,
    };
    app.effects.push(Effect::Verify {
        id,
        clients: Box::new(clients),
        spec: Box::new(app.derived.resolved.clone()),
        options: app.config.verify.clone(),
    });
}

fn start_data(app: &mut App) {
    let Some(clients) = app.connection.clients().cloned() else {
        return;
    };
    app.data.id += 1;
    app.data.running = true;
    app.data.result = None;
    app.effects.push(Effect::FetchData {
        id: app.data.id,
        clients: Box::new(clients),
        spec: Box::new(app.derived.resolved.clone()),
        cutoff: app.apply.notification_written,
    });
}

fn on_progress(app: &mut App, run: Run, id: u64, event: Event) {
    let now = app.now;
    let view = match run {
        Run::Apply if id == app.apply.run.id => &mut app.apply.run,
        Run::Verify if id == app.verify.run.id => &mut app.verify.run,
        _ => return,
    };
    match event {
        Event::Started { step, title } => {
            let row = view.row_mut(step);
            row.state = RowState::Running;
            row.started = Some(now);
            row.title = title;
            row.retry = None;
        }
        Event::Finished {
            step,
            outcome,
            detail,
            elapsed,
        } => {
            if step == StepId::Apply(ResourceKind::Notification) && outcome.changed() {
                app.apply.notification_written = Some(SystemTime::now());
            }
            let view = if run == Run::Apply {
                &mut app.apply.run
            } else {
                &mut app.verify.run
            };
            let row = view.row_mut(step);
            row.state = match outcome {
                StepOutcome::NotAvailable(_) => RowState::Skipped,
                _ => RowState::Done,
            };
            row.detail = detail;
            row.elapsed = Some(elapsed);
            row.retry = None;
        }
        Event::Failed {
            step,
            error,
            elapsed,
        } => {
            let row = view.row_mut(step);
            row.state = RowState::Failed;
            row.detail = error.message;
            row.elapsed = Some(elapsed);
            row.retry = None;
        }
        Event::Retrying {
            step,
            attempt,
            wait,
            reason,
        } => {
            view.row_mut(step).retry = Some(Retry {
                attempt,
                until: now + wait,
                reason,
            });
        }
        Event::Waiting { step, reason } => view.row_mut(step).detail = reason,
        Event::BackupWritten { path } => view.backups.push(path),
        Event::Note { step, message } => view.row_mut(step).notes.push(message),
        Event::AccessKeyCreated {
            user,
            access_key_id,
            secret,
            path,
        } => {
            app.done.access_key = Some(AccessKey {
                user,
                access_key_id,
                secret: Some(secret.expose().to_owned()),
                path,
            });
        }
    }
}

// ---- done ----

fn done_key(app: &mut App, key: KeyEvent) {
    let values = app.connector_values();
    match key.code {
        KeyCode::Up => app.done.cursor = app.done.cursor.saturating_sub(1),
        KeyCode::Down => {
            app.done.cursor = (app.done.cursor + 1).min(values.len().saturating_sub(1))
        }
        KeyCode::Char('c') | KeyCode::Enter => {
            if let Some((name, value)) = values.get(app.done.cursor) {
                app.effects.push(Effect::Copy(value.clone()));
                app.set_status(
                    StatusKind::Ok,
                    format!("copied {name} to the clipboard (OSC 52)"),
                );
            }
        }
        KeyCode::Char('a') => {
            let all: String = values.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            app.effects.push(Effect::Copy(all));
            app.set_status(
                StatusKind::Ok,
                format!("copied {} values to the clipboard (OSC 52)", values.len()),
            );
        }
        KeyCode::Char('k') => {
            if let Some(secret) = app.done.access_key.as_ref().and_then(|k| k.secret.clone()) {
                app.effects.push(Effect::Copy(secret));
                app.set_status(
                    StatusKind::Ok,
                    "copied the secret access key (it is not shown again)",
                );
            }
        }
        KeyCode::Char('e') => {
            let default = app
                .config
                .export_base
                .join(format!("{}-bundle", app.spec.name));
            app.overlay = Some(Overlay::Prompt {
                kind: PromptKind::ExportDir,
                input: Box::new(new_input(&default.display().to_string(), "")),
                error: None,
            });
        }
        KeyCode::Char('d') => consume_prompt(app),
        KeyCode::Esc => back(app),
        _ => {}
    }
}

/// `d` on the Done screen: asks where records go, then consumes the queue
/// with the live dashboard (or says why it cannot).
fn consume_prompt(app: &mut App) {
    if app.done.consume.preparing {
        app.set_status(
            StatusKind::Info,
            "the consumer is being prepared: a moment…",
        );
        return;
    }
    if let Some(why) = app.consume_blocker() {
        app.set_status(
            StatusKind::Error,
            format!("cannot consume from here: {why}"),
        );
        return;
    }
    app.overlay = Some(Overlay::Prompt {
        kind: PromptKind::ConsumeSink,
        input: Box::new(new_input(&app.default_sink(), "dir:PATH or null")),
        error: None,
    });
}

/// Why `sink` cannot take the records while the wizard owns the terminal.
fn sink_problem(sink: &str) -> Option<String> {
    match sink.parse::<crate::consume::sink::SinkSpec>() {
        Ok(crate::consume::sink::SinkSpec::Stdout) => Some(
            "stdout is the screen the wizard draws on: use dir:PATH, or null to count only"
                .to_owned(),
        ),
        Ok(_) => None,
        Err(e) => Some(e),
    }
}

/// Prepares a run of the consumer writing to `sink`; the dashboard opens
/// when it is ready.
fn start_consume(app: &mut App, sink: String) {
    let Connection::Online { clients, identity } = &app.connection else {
        return;
    };
    let Ok(sink_spec) = sink.parse::<crate::consume::sink::SinkSpec>() else {
        return;
    };
    app.done.consume.id += 1;
    app.done.consume.preparing = true;
    app.done.consume.sink = Some(sink.clone());
    app.effects.push(Effect::PrepareConsume {
        id: app.done.consume.id,
        clients: clients.clone(),
        spec: Box::new(app.derived.resolved.clone()),
        identity: identity.clone(),
        settings: crate::consume::prepare::ConsumeSettings::with_sink(sink_spec),
    });
}

// ---- mouse ----

fn on_mouse(app: &mut App, mouse: MouseEvent) {
    let at = Position::new(mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if app.overlay.is_some() {
                return;
            }
            if let Some((step, _, _)) = ui::step_tabs(app)
                .into_iter()
                .find(|(_, r, _)| r.contains(at))
            {
                jump(app, step);
                return;
            }
            if let Some((field, rect)) = ui::field_rects(app)
                .into_iter()
                .find(|(_, r)| r.contains(at))
            {
                if !form::active(field, &app.spec) {
                    return;
                }
                focus(app, field);
                // Inside a list: the row clicked.
                let row = usize::from(at.y.saturating_sub(rect.y + 1));
                match field.kind() {
                    Kind::List => {
                        let len = app.spec.role.trusted_principals.len();
                        app.cursors.insert(field, row.min(len));
                    }
                    Kind::Sessions if row < app.sessions.len() => {
                        app.cursors.insert(field, row);
                    }
                    Kind::Checklist => {
                        let rows = form::event_rows(&app.spec).len();
                        let cursor = app.cursors.get(&field).copied().unwrap_or(0);
                        let visible = rows.min(7);
                        let start = cursor
                            .saturating_sub(visible / 2)
                            .min(rows.saturating_sub(visible));
                        if row < visible {
                            app.cursors.insert(field, start + row);
                        }
                    }
                    _ => {}
                }
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = mouse.kind == MouseEventKind::ScrollDown;
            let body = ui::body_areas(app);
            if body.preview.is_some_and(|r| r.contains(at)) {
                app.preview.scroll = if down {
                    app.preview.scroll.saturating_add(3)
                } else {
                    app.preview.scroll.saturating_sub(3)
                };
                let width = body.preview.map(|r| r.width.saturating_sub(2)).unwrap_or(1);
                let height = body
                    .preview
                    .map(|r| r.height.saturating_sub(2))
                    .unwrap_or(1);
                let max = ui::preview_height(app, width).saturating_sub(usize::from(height));
                app.preview.scroll = app
                    .preview
                    .scroll
                    .min(u16::try_from(max).unwrap_or(u16::MAX));
            } else if !app.step.is_form() {
                for _ in 0..3 {
                    scroll_main(app, down);
                }
            }
        }
        _ => {}
    }
}
