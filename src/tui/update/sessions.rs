//! The saved sessions list: asking before deleting a session, and what
//! its deletion leaves.

use crate::tui::app::App;
use crate::tui::model::StatusKind;
use crate::tui::overlay::Overlay;

/// `x` on a saved session: asks before deleting it. The session being
/// worked on is autosaved as it goes: it is not deleted from itself.
pub(super) fn ask_to_delete_session(app: &mut App) {
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
pub(super) fn clamp_session_cursor(app: &mut App) {
    let count = app.model.sessions.len();
    let cursor = app
        .form
        .cursors
        .entry(crate::tui::fields::FieldId::Sessions)
        .or_insert(0);
    *cursor = (*cursor).min(count.saturating_sub(1));
}

/// A saved session's files were deleted (or could not be).
pub(super) fn session_deleted(app: &mut App, path: &std::path::Path, result: Result<(), String>) {
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
                && app.form.focus == Some(crate::tui::fields::FieldId::Sessions)
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
