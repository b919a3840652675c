//! Time: what each tick does, and the autosave it drives.

use crate::tui::action::{Effect, SaveKind};
use crate::tui::app::App;
use crate::tui::session;

pub(super) fn on_tick(app: &mut App) {
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
pub(super) fn autosave_now(app: &mut App) {
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
