//! `update(&mut App, Action)`: the one place the wizard's state changes.
//! Keys become messages through the keymap; ticks, mouse and background
//! results come in as actions; work for the outside world leaves as
//! effects in `app.model.effects`. No I/O here.
//!
//! Split by where an action comes from: this module dispatches each
//! action (and takes what a save reports); `keys` turns keys into messages
//! and does their work; `mouse` handles clicks, scrolls and pastes;
//! `steps` moves between steps; `tick` handles time and the autosave;
//! `sessions` the saved sessions list.

use std::time::SystemTime;

use crossterm::event::KeyEventKind;

use crate::tui::action::{Action, Effect, SaveKind};
use crate::tui::app::App;
use crate::tui::model::{Connection, StatusKind};
use crate::tui::step::Step;

mod keys;
mod mouse;
mod sessions;
mod steps;
mod tick;

use keys::{on_key, quit_now};
use mouse::{on_mouse, on_paste};
use sessions::{clamp_session_cursor, session_deleted};
use steps::go;
use tick::{autosave_now, on_tick};

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
                crate::tui::action::Run::Apply => {
                    if let Some(key) = app.apply.on_event(id, event, now) {
                        app.done.access_key = Some(key);
                    }
                }
                crate::tui::action::Run::Verify => app.verify.on_event(id, event, now),
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
