//! When a binding applies: the predicates on the app's state the tables
//! name.

use crate::tui::app::App;
use crate::tui::fields::Kind;
use crate::tui::layout::wide;
use crate::tui::screens::done::{consume_blocker, in_block, offers_consume};
use crate::tui::step::Step;

pub(super) fn typing(app: &App) -> bool {
    app.form.typing(&app.model)
}

pub(super) fn not_typing(app: &App) -> bool {
    !typing(app)
}

pub(super) fn waiting_to_edit(app: &App) -> bool {
    app.form.waiting_to_edit(&app.model)
}

pub(super) fn focus_kind(app: &App) -> Option<Kind> {
    app.form.focus.map(|f| f.kind())
}

pub(super) fn on_toggle(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Toggle))
}

pub(super) fn on_spaced(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Toggle | Kind::Checklist))
}

pub(super) fn on_select(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Select))
}

pub(super) fn principal_typed(app: &App) -> bool {
    app.form.principal_typed(&app.model)
}

pub(super) fn principal_selected(app: &App) -> bool {
    app.form.principal_selected(&app.model)
}

pub(super) fn session_selected(app: &App) -> bool {
    app.form.session_selected(&app.model)
}

pub(super) fn enter_is_next(app: &App) -> bool {
    !principal_typed(app) && !session_selected(app) && !waiting_to_edit(app)
}

pub(super) fn not_welcome(app: &App) -> bool {
    app.model.step != Step::Welcome
}

/// On the Role step of a pipeline whose external ID sluice makes: a vendor
/// that assigns one (Databend's organization ID, Hevo's) would reject any other.
pub(super) fn on_role_generating(app: &App) -> bool {
    app.model.step == Step::Role
        && app.model.spec.profile().external_id == crate::spec::profiles::ExternalId::Generated
}

pub(super) fn bucket_data(app: &App) -> bool {
    app.model.step == Step::Bucket && app.model.bucket_exists()
}

pub(super) fn bucket_no_data(app: &App) -> bool {
    app.model.step == Step::Bucket && !app.model.bucket_exists()
}

pub(super) fn preview_wide(app: &App) -> bool {
    wide(&app.model)
}

pub(super) fn preview_narrow(app: &App) -> bool {
    !wide(&app.model)
}

pub(super) fn review_online(app: &App) -> bool {
    app.model.online()
}

pub(super) fn review_offline(app: &App) -> bool {
    !app.model.online()
}

pub(super) fn apply_failed(app: &App) -> bool {
    app.apply.failure.is_some() && !app.apply.run.running
}

pub(super) fn apply_ended_well(app: &App) -> bool {
    app.apply.report.is_some() || app.apply.nothing_to_do
}

pub(super) fn apply_idle(app: &App) -> bool {
    !app.apply.run.running
}

pub(super) fn verify_idle(app: &App) -> bool {
    !app.verify.run.running
}

pub(super) fn data_idle(app: &App) -> bool {
    !app.data.running
}

/// `d` on Done: bound only where the pipeline has a queue of its own.
pub(super) fn consume_available(app: &App) -> bool {
    offers_consume(&app.model) && consume_blocker(&app.model, &app.apply).is_none()
}

pub(super) fn consume_unavailable(app: &App) -> bool {
    offers_consume(&app.model) && consume_blocker(&app.model, &app.apply).is_some()
}

/// `a` on Done copies the connector CLI's `in:` block rather than every value.
pub(super) fn copies_in_block(app: &App) -> bool {
    in_block(&app.model, &app.apply).is_some()
}

pub(super) fn copies_all(app: &App) -> bool {
    !copies_in_block(app)
}

pub(super) fn has_secret(app: &App) -> bool {
    app.done.has_secret()
}
