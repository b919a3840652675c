//! Moving between steps: going to one (doing what entering it does), the
//! checks that refuse it, Next, Back, a jump, the review's Enter, apply.

use super::tick::autosave_now;
use crate::tui::app::App;
use crate::tui::model::StatusKind;
use crate::tui::overlay::Overlay;
use crate::tui::screens::form::FormScreen;
use crate::tui::screens::review::{self, Enter};
use crate::tui::step::Step;

/// Goes to `step`, doing what entering it does.
pub(super) fn go(app: &mut App, step: Step) {
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
pub(super) fn back(app: &mut App) {
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
pub(super) fn jump(app: &mut App, target: Step) {
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

pub(super) fn review_enter(app: &mut App) {
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
pub(super) fn start_apply(app: &mut App, retry: bool) {
    if app.apply.start(&mut app.model, retry) && app.model.step != Step::Apply {
        go(app, Step::Apply);
    }
}
