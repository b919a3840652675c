//! The wizard's whole state: the shared [`Model`] and each screen's own
//! state, the window over them, and the preview of the current step.
//!
//! The screens keep their state when the user moves between them (an apply's
//! result stays while the user goes back to fix a field and returns), so
//! every screen's state is a field here and [`crate::tui::step::Step`]
//! says which one is shown.

use std::time::Instant;

use super::action::ANIMATION_TICK;
use super::model::{Connection, Model, Setup};
use super::overlay::Overlay;
use super::preview::{self, Section};
use super::screens::apply::ApplyScreen;
use super::screens::data::DataScreen;
use super::screens::done::DoneScreen;
use super::screens::form::FormScreen;
use super::screens::verify::VerifyScreen;
use super::screens::{apply, data, done, review, verify};
use super::widgets::Lines;

use super::step::Step;

/// The wizard.
pub struct App {
    pub model: Model,
    pub form: FormScreen,
    pub apply: ApplyScreen,
    pub verify: VerifyScreen,
    pub data: DataScreen,
    pub done: DoneScreen,
    pub overlay: Option<Overlay>,
    /// The preview of the current step, recomputed with the model.
    pub preview: Vec<Section>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("step", &self.model.step)
            .field("focus", &self.form.focus)
            .field("spec", &self.model.spec.name)
            .field("connection", &self.model.connection)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(setup: Setup) -> App {
        let mut model = Model::new(setup);
        let form = FormScreen::new(&model);
        if !matches!(model.connection, Connection::Offline { .. }) {
            model.request_connect(true);
        }
        if let Some(dir) = &model.config.sessions_dir {
            model
                .effects
                .push(super::action::Effect::ListSessions(dir.clone()));
        }
        let mut app = App {
            model,
            form,
            apply: ApplyScreen::default(),
            verify: VerifyScreen::default(),
            data: DataScreen::default(),
            done: DoneScreen::default(),
            overlay: None,
            preview: Vec::new(),
        };
        app.refresh();
        app
    }

    /// Recomputes what is derived from the spec and the lookups, and the
    /// preview, when something changed.
    pub fn refresh(&mut self) {
        if self.model.refresh() {
            self.preview = preview::sections(&self.model);
        }
    }

    /// Whether something runs that a spinner should show.
    pub fn animating(&self) -> bool {
        self.model.animating()
            || self.apply.run.running
            || self.verify.run.running
            || self.data.running
            || self.done.exporting
            || self.done.consume.preparing
    }

    /// The earliest moment something is due (a debounce or a spinner frame).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let spinner = self.animating().then(|| self.model.now + ANIMATION_TICK);
        [self.model.next_timer(), spinner]
            .into_iter()
            .flatten()
            .min()
    }

    /// The text of the current screen without a form, and its footer, at `width`.
    pub fn screen_lines(&self, width: usize) -> (Lines, Lines) {
        let model = &self.model;
        match model.step {
            Step::Review => review::lines(model, width),
            Step::Apply => apply::lines(model, &self.apply, width),
            Step::Verify => verify::lines(model, &self.verify, width),
            Step::Data => data::lines(model, &self.data, width),
            Step::Done => done::lines(model, &self.done, &self.apply, width),
            _ => (Vec::new(), Vec::new()),
        }
    }

    /// The connector values, as the Done screen shows them.
    pub fn connector_values(&self) -> Vec<(&'static str, String)> {
        done::connector_values(&self.model, &self.apply)
    }
}
