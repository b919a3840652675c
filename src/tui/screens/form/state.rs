//! The state of the form's inputs: [`FormScreen`] (its inputs, focus,
//! cursors and local errors) with what it says of itself, and the text
//! input helpers the keys go through.

use std::collections::BTreeMap;

use ratatui::style::Style;
use ratatui_textarea::{Input, Key, TextArea};

use crate::tui::fields::{self, FieldId, Kind};
use crate::tui::model::{Connect, Model};
use crate::tui::step::Step;

/// Rows the events checklist shows at once.
pub const CHECKLIST_ROWS: usize = 7;

/// The placeholder of the principals' add row.
pub(super) const ADD_PRINCIPAL: &str = "add: an account id or IAM ARN, then Enter";

/// The inputs of every form step.
#[derive(Debug, Clone, Default)]
pub struct FormScreen {
    pub focus: Option<FieldId>,
    pub inputs: BTreeMap<FieldId, TextArea<'static>>,
    /// Problems of the text itself (not a number; a principal not added).
    pub local_errors: BTreeMap<FieldId, String>,
    /// Row cursors of list fields.
    pub cursors: BTreeMap<FieldId, usize>,
    /// The focused text field waits for a first key: until the user types
    /// into it or presses Enter, keys are commands (`q` quits, `?` helps).
    /// So it is on arriving at Welcome, where nothing has been asked yet.
    pub resting: bool,
}

/// A single-line input holding `text`.
pub fn new_input(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut input = TextArea::new(vec![text.to_owned()]);
    input.set_cursor_line_style(Style::default());
    input.move_cursor(ratatui_textarea::CursorMove::End);
    if !placeholder.is_empty() {
        input.set_placeholder_text(placeholder);
    }
    input
}

/// A key for a text input, or `None` for keys the form uses itself (or that
/// would make the input multi-line).
pub fn text_input(key: &crossterm::event::KeyEvent) -> Option<Input> {
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
        // Ctrl-U deletes to the start of the field, as in a shell (the
        // text area's own Ctrl-U is undo); Ctrl-W deletes a word.
        Key::Char('u') if input.ctrl && !input.alt => Some(Input {
            key: Key::Char('j'),
            ..input
        }),
        _ => Some(input),
    }
}

/// Joins lines that a paste or an odd key may have made.
pub fn single_line(input: &mut TextArea<'static>) {
    if input.lines().len() > 1 {
        let text = input.lines().join("");
        *input = new_input(&text, "");
    }
}

impl FormScreen {
    /// The inputs for `model`'s spec.
    pub fn new(model: &Model) -> FormScreen {
        let mut form = FormScreen::default();
        form.reset_inputs(model);
        form.focus = form.first_focus(model, model.step);
        form.resting = model.step == Step::Welcome;
        form
    }

    /// Makes every text input show the spec's value.
    pub fn reset_inputs(&mut self, model: &Model) {
        self.inputs.clear();
        self.local_errors.clear();
        for field in fields::all() {
            match field.kind() {
                Kind::Text | Kind::Number => {
                    let text = fields::text_value(&model.spec, field);
                    self.inputs.insert(field, new_input(&text, ""));
                }
                Kind::List => {
                    self.inputs.insert(field, new_input("", ADD_PRINCIPAL));
                }
                _ => {}
            }
        }
    }

    /// Refreshes one input from the spec (after the spec changed under it).
    pub fn reset_input(&mut self, model: &Model, field: FieldId) {
        let text = fields::text_value(&model.spec, field);
        self.inputs.insert(field, new_input(&text, ""));
        self.local_errors.remove(&field);
    }

    /// The text of an input.
    pub fn input_text(&self, field: FieldId) -> String {
        self.inputs
            .get(&field)
            .map(|t| t.lines().join(""))
            .unwrap_or_default()
    }

    /// Whether a text field has the focus (printable keys type into it).
    pub fn typing(&self, model: &Model) -> bool {
        model.step.is_form()
            && self.focus.is_some_and(|f| f.is_text())
            && !model.preview.shown
            && !self.resting
    }

    /// Whether a focused text field waits for its first key (see [`FormScreen::resting`]).
    pub fn waiting_to_edit(&self, model: &Model) -> bool {
        self.resting && model.step.is_form() && self.focus.is_some_and(|f| f.is_text())
    }

    /// The cursor of a list field (the principals default to the add row).
    pub fn cursor(&self, model: &Model, field: FieldId) -> usize {
        let default = match field.kind() {
            Kind::List => model.spec.role.trusted_principals.len(),
            _ => 0,
        };
        self.cursors.get(&field).copied().unwrap_or(default)
    }

    /// Whether the principals' add row is focused with text in it.
    pub fn principal_typed(&self, model: &Model) -> bool {
        let field = FieldId::TrustedPrincipals;
        self.focus == Some(field)
            && self.cursor(model, field) >= model.spec.role.trusted_principals.len()
            && !self.input_text(field).trim().is_empty()
    }

    /// Whether the principals' cursor is on a principal (Del removes it).
    pub fn principal_selected(&self, model: &Model) -> bool {
        let field = FieldId::TrustedPrincipals;
        self.focus == Some(field)
            && self.cursor(model, field) < model.spec.role.trusted_principals.len()
    }

    /// Whether the sessions list is focused on a session (Enter resumes it).
    pub fn session_selected(&self, model: &Model) -> bool {
        self.focus == Some(FieldId::Sessions)
            && self.cursor(model, FieldId::Sessions) < model.sessions.len()
    }

    /// Fields of `step` the user can move to.
    pub fn focusable(&self, model: &Model, step: Step) -> Vec<FieldId> {
        fields::of_step(step)
            .filter(|f| f.visible(&model.spec) && f.active(&model.spec))
            .filter(|f| *f != FieldId::Sessions || !model.sessions.is_empty())
            .filter(|f| *f != FieldId::Profile || matches!(model.config.connect, Connect::Chain))
            .collect()
    }

    pub fn first_focus(&self, model: &Model, step: Step) -> Option<FieldId> {
        self.focusable(model, step).first().copied()
    }
}

/// The first row shown and how many rows show, for a checklist of `rows`
/// with the cursor at `cursor`.
pub(super) fn checklist_window(cursor: usize, rows: usize) -> (usize, usize) {
    let visible = rows.min(CHECKLIST_ROWS);
    let start = cursor
        .saturating_sub(visible / 2)
        .min(rows.saturating_sub(visible));
    (start, visible)
}
