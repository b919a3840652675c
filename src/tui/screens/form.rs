//! The form steps (Welcome to Notification): the state of the inputs, what
//! editing a field does to the spec, where each field goes (shared with
//! mouse handling) and how it is drawn. The fields themselves are the table
//! in [`crate::tui::fields`].

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui_textarea::{Input, Key, TextArea};

use super::welcome;
use crate::spec::path;
use crate::tui::action::{Found, Target};
use crate::tui::fields::{self, FieldId, Kind, Value};
use crate::tui::layout::{body_areas, wide};
use crate::tui::model::{Connect, Model, StatusKind};
use crate::tui::preview::{Section, summary};
use crate::tui::step::Step;
use crate::tui::widgets::{truncate, wrap};

/// Rows the events checklist shows at once.
pub const CHECKLIST_ROWS: usize = 7;

/// The placeholder of the principals' add row.
const ADD_PRINCIPAL: &str = "add: an account id or IAM ARN, then Enter";

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

/// What a name's background lookup found (or a warning about the field),
/// for the line under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: StatusKind,
    /// The mark drawn before the text (`●`, `○`, `✗`, a spinner), if any.
    pub mark: &'static str,
    pub text: String,
}

impl Note {
    fn new(kind: StatusKind, mark: &'static str, text: impl Into<String>) -> Note {
        Note {
            kind,
            mark,
            text: text.into(),
        }
    }

    /// The note as drawn.
    pub fn line(&self) -> String {
        if self.mark.is_empty() {
            self.text.clone()
        } else {
            format!("{} {}", self.mark, self.text)
        }
    }
}

/// A validation error in the wizard's words.
fn words(model: &Model, error: &crate::spec::FieldError) -> String {
    fields::message_words(&model.spec, &error.path, &error.message)
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

    // ---- errors ----

    /// The message to show under a field, if it is invalid.
    pub fn field_error(&self, model: &Model, field: FieldId) -> Option<String> {
        if let Some(local) = self.local_errors.get(&field) {
            return Some(local.clone());
        }
        // The conflict shows where it is solved: on Delivery, which offers
        // the routes, when the pipeline has a queue of its own.
        let conflict_at = if FieldId::NotificationDelivery.visible(&model.spec) {
            FieldId::NotificationDelivery
        } else {
            FieldId::Events
        };
        if field == conflict_at
            && let Some(conflict) = &model.derived.merge_error
        {
            return Some(conflict.clone());
        }
        let path = field.path()?;
        if !field.active(&model.spec) && field != FieldId::RoleEnabled {
            return None;
        }
        model.derived.error_at(path).map(|e| words(model, e))
    }

    /// The validation error of item `i` of a list field.
    pub fn item_error(&self, model: &Model, field: FieldId, i: usize) -> Option<String> {
        let path = path::item(field.path()?, i);
        model.derived.error_at(&path).map(|e| words(model, e))
    }

    /// Whether the field or any of its items is invalid.
    pub fn field_invalid(&self, model: &Model, field: FieldId) -> bool {
        if self.field_error(model, field).is_some() {
            return true;
        }
        match field.path() {
            Some(path) if field.active(&model.spec) => model.derived.item_invalid(path),
            _ => false,
        }
    }

    /// The invalid fields of a step, in order.
    pub fn step_errors(&self, model: &Model, step: Step) -> Vec<FieldId> {
        fields::of_step(step)
            .filter(|f| f.visible(&model.spec))
            .filter(|f| self.field_invalid(model, *f))
            .collect()
    }

    /// Why Next is refused on a form step, if it is: the first invalid
    /// field with its message, or a name the account says cannot be used.
    pub fn blocker(&self, model: &Model, step: Step) -> Option<String> {
        let errors = self.step_errors(model, step);
        if let Some(first) = errors.first() {
            let message = self
                .field_error(model, *first)
                .or_else(|| {
                    let prefix = format!("{}[", first.path()?);
                    model
                        .derived
                        .errors
                        .iter()
                        .find(|e| e.path.starts_with(&prefix))
                        .map(|e| words(model, e))
                })
                .unwrap_or_default();
            let more = match errors.len() {
                1 => String::new(),
                2 => " (and 1 more field to fix)".to_owned(),
                n => format!(" (and {} more fields to fix)", n - 1),
            };
            return Some(format!("{}: {message}{more}", first.label()));
        }
        fields::of_step(step).find_map(|field| match lookup_note(model, self, field) {
            Some(note) if note.kind == StatusKind::Error => {
                Some(format!("{}: {}", field.label(), note.text))
            }
            _ => None,
        })
    }

    /// The error of the list item under the cursor (shown whole in the status line).
    pub fn focused_item_error(&self, model: &Model) -> Option<String> {
        let field = self.focus?;
        if field.kind() != Kind::List {
            return None;
        }
        let cursor = self.cursors.get(&field).copied()?;
        self.item_error(model, field, cursor)
    }

    // ---- editing ----

    /// Moves the focus by `delta` fields (wrapping for Tab).
    pub fn move_focus(&mut self, model: &Model, delta: isize, wrap: bool) {
        self.resting = false;
        let fields = self.focusable(model, model.step);
        if fields.is_empty() {
            return;
        }
        let len = fields.len() as isize;
        let current = self
            .focus
            .and_then(|f| fields.iter().position(|x| *x == f))
            .map_or(-1, |i| i as isize);
        let mut next = current + delta;
        if wrap {
            next = next.rem_euclid(len);
        } else if next < 0 || next >= len {
            return;
        }
        self.focus_on(model, fields[next as usize]);
    }

    pub fn focus_on(&mut self, model: &Model, field: FieldId) {
        if field == FieldId::TrustedPrincipals {
            let len = model.spec.role.trusted_principals.len();
            self.cursors.insert(field, len);
        }
        self.focus = Some(field);
        self.resting = false;
    }

    /// Focuses the first invalid field of `step`, if there is one.
    pub fn focus_first_error(&mut self, model: &Model, step: Step) {
        if let Some(first) = self.step_errors(model, step).first() {
            self.focus_on(model, *first);
        }
    }

    /// ↑ / ↓ inside a list field. Returns whether the field used the key.
    pub fn vertical(&mut self, model: &Model, down: bool) -> bool {
        let Some(field) = self.focus else {
            return false;
        };
        let rows = match field.kind() {
            Kind::List => model.spec.role.trusted_principals.len() + 1,
            Kind::Checklist => fields::event_rows(&model.spec).len(),
            Kind::Sessions => model.sessions.len(),
            _ => return false,
        };
        let cursor = self.cursor(model, field);
        let moved = if down && cursor + 1 < rows {
            cursor + 1
        } else if !down && cursor > 0 {
            cursor - 1
        } else {
            return false;
        };
        self.cursors.insert(field, moved);
        true
    }

    /// Enter in the principals' add row: adds what was typed (or says why not).
    pub fn add_principal(&mut self, model: &mut Model) {
        let field = FieldId::TrustedPrincipals;
        let len = model.spec.role.trusted_principals.len();
        let text = self.input_text(field).trim().to_owned();
        if model.spec.role.trusted_principals.contains(&text) {
            self.local_errors
                .insert(field, format!("{text} is already trusted"));
            return;
        }
        let mut candidate = model.spec.clone();
        candidate.role.trusted_principals.push(text.clone());
        let problem = crate::spec::validate(&candidate).err().and_then(|e| {
            e.for_path(&path::item(path::ROLE_TRUSTED_PRINCIPALS, len))
                .map(|e| words(model, e))
        });
        match problem {
            Some(message) => {
                self.local_errors.insert(field, message);
            }
            None => {
                model.spec.role.trusted_principals.push(text);
                self.inputs.insert(field, new_input("", ADD_PRINCIPAL));
                self.local_errors.remove(&field);
                self.cursors.insert(field, len + 1);
                model.spec_changed();
            }
        }
    }

    /// Del on a principal: removes it.
    pub fn remove_principal(&mut self, model: &mut Model) {
        let field = FieldId::TrustedPrincipals;
        let len = model.spec.role.trusted_principals.len();
        let cursor = self.cursor(model, field);
        if cursor >= len {
            return;
        }
        let removed = model.spec.role.trusted_principals.remove(cursor);
        self.cursors.insert(field, cursor.min(len - 1));
        model.spec_changed();
        model.set_status(StatusKind::Info, format!("removed {removed}"));
    }

    /// Enter on the sessions list: the session to resume.
    pub fn selected_session(&self, model: &Model) -> Option<std::path::PathBuf> {
        let cursor = self.cursor(model, FieldId::Sessions);
        model.sessions.get(cursor).map(|s| s.path.clone())
    }

    /// Ctrl-G: a random external ID, where sluice makes it. Where the vendor
    /// assigns one, a generated ID would fail its connection test: refused.
    pub fn generate_external_id(&mut self, model: &mut Model) {
        let profile = model.spec.profile();
        if profile.external_id != crate::spec::profiles::ExternalId::Generated {
            model.set_status(
                StatusKind::Error,
                format!(
                    "{} assigns the external ID: paste theirs (a generated one would fail their connection test)",
                    profile.vendor
                ),
            );
            return;
        }
        model.spec.role.external_id = crate::spec::generate_external_id();
        self.reset_input(model, FieldId::ExternalId);
        if FieldId::ExternalId.active(&model.spec) {
            self.focus = Some(FieldId::ExternalId);
        }
        model.spec_changed();
        model.set_status(
            StatusKind::Ok,
            "generated a random external ID: give it to your vendor with the role ARN",
        );
    }

    /// Space (or ← →) on a toggle, Space on the events checklist.
    pub fn toggle(&mut self, model: &mut Model) {
        let Some(field) = self.focus else { return };
        match field.kind() {
            Kind::Toggle => {
                let on = fields::toggle_value(&model.spec, field);
                fields::set_toggle(&mut model.spec, field, !on);
                model.spec_changed();
            }
            Kind::Checklist => {
                let rows = fields::event_rows(&model.spec);
                let cursor = self.cursor(model, field);
                if let Some(event) = rows.get(cursor) {
                    let mut chosen = model.spec.notification.events.clone();
                    if let Some(i) = chosen.iter().position(|e| e == event) {
                        chosen.remove(i);
                    } else {
                        chosen.push(event.clone());
                    }
                    // Keep the order of the list.
                    model.spec.notification.events =
                        rows.into_iter().filter(|r| chosen.contains(r)).collect();
                    model.spec_changed();
                }
            }
            _ => {}
        }
    }

    /// ← / → on a select: the previous or next choice.
    pub fn step_select(&mut self, model: &mut Model, forward: bool) {
        let Some(field) = self.focus else { return };
        let (options, current) = select_options(model, field);
        if options.is_empty() {
            return;
        }
        let len = options.len();
        let next = if forward {
            (current + 1) % len
        } else {
            (current + len - 1) % len
        };
        self.choose(model, field, next);
    }

    /// Sets a select to choice `index`.
    pub fn choose(&mut self, model: &mut Model, field: FieldId, index: usize) {
        match field.def().value {
            Value::Profile => {
                let profile = index
                    .checked_sub(1)
                    .and_then(|i| model.profiles.get(i))
                    .map(|p| p.name.clone());
                if profile != model.profile {
                    model.profile = profile;
                    model.request_connect(false);
                }
            }
            Value::Region => {
                if let Some(region) = model.regions.get(index).cloned()
                    && region != model.spec.region
                {
                    model.spec.region = region;
                    model.request_connect(false);
                    model.spec_changed();
                }
            }
            _ => {
                fields::set_spec_select(&mut model.spec, field, index);
                if field.def().effect == fields::Effect::ResetAll {
                    self.reset_inputs(model);
                }
                if let fields::Effect::Refill(other) = field.def().effect {
                    // The text stays in its input: choosing it again brings it back.
                    let text = if other.visible(&model.spec) {
                        self.input_text(other)
                    } else {
                        String::new()
                    };
                    let _ = fields::set_text(&mut model.spec, other, &text);
                }
                // SNS chosen against an overlapping topic entry: that topic it is.
                if field == FieldId::NotificationDelivery
                    && model.spec.notification.delivery == crate::spec::Delivery::Sns
                    && model.spec.notification.topic_arn.is_none()
                    && let Some(overlap) =
                        model.derived.overlap.as_ref().filter(|o| o.kind == "topic")
                {
                    model.spec.notification.topic_arn = Some(overlap.target.clone());
                    self.reset_input(model, FieldId::NotificationTopicArn);
                }
                model.spec_changed();
            }
        }
    }

    /// A key typed into the focused text field (or the principals' add row).
    pub fn type_key(&mut self, model: &mut Model, key: &crossterm::event::KeyEvent) {
        let Some(field) = self.focus.filter(|f| f.is_text()) else {
            return;
        };
        if field.kind() == Kind::List {
            let len = model.spec.role.trusted_principals.len();
            if self.cursor(model, field) < len {
                // Typing on a principal starts a new one in the add row.
                let ctrl = key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL);
                if ctrl || !matches!(key.code, crossterm::event::KeyCode::Char(_)) {
                    return;
                }
                self.cursors.insert(field, len);
            }
        }
        let Some(input_key) = text_input(key) else {
            return;
        };
        self.resting = false;
        let Some(input) = self.inputs.get_mut(&field) else {
            return;
        };
        if input.input(input_key) {
            single_line(input);
            self.text_changed(model, field);
        }
    }

    /// Pasted text, into the focused text field on one line.
    pub fn paste(&mut self, model: &mut Model, text: &str) {
        let Some(field) = self.focus.filter(|f| f.is_text()) else {
            return;
        };
        if field == FieldId::TrustedPrincipals {
            self.cursors
                .insert(field, model.spec.role.trusted_principals.len());
        }
        if let Some(input) = self.inputs.get_mut(&field)
            && input.insert_str(text)
        {
            self.text_changed(model, field);
        }
    }

    /// The text of `field` changed: carry it into the spec.
    fn text_changed(&mut self, model: &mut Model, field: FieldId) {
        let text = self.input_text(field);
        if field.kind() == Kind::List {
            self.local_errors.remove(&field);
            return;
        }
        match field.def().effect {
            fields::Effect::RenameDefaults => {
                let old = std::mem::replace(&mut model.spec.name, text);
                fields::rederive_names(&mut model.spec, &old);
                for f in fields::all() {
                    if f != field
                        && f.kind() == Kind::Text
                        && self.input_text(f) != fields::text_value(&model.spec, f)
                    {
                        self.reset_input(model, f);
                    }
                }
            }
            effect => match fields::set_text(&mut model.spec, field, &text) {
                Ok(()) => {
                    self.local_errors.remove(&field);
                    if let fields::Effect::Follows(other) = effect
                        && self.input_text(other) != fields::text_value(&model.spec, other)
                    {
                        self.reset_input(model, other);
                    }
                }
                Err(e) => {
                    self.local_errors.insert(field, e);
                }
            },
        }
        model.spec_changed();
    }

    /// A click inside `field` at row `row` of its area: focus it, and inside
    /// a list, the row.
    pub fn click(&mut self, model: &Model, field: FieldId, row: usize) {
        if !field.active(&model.spec) {
            return;
        }
        self.focus_on(model, field);
        match field.kind() {
            Kind::List => {
                let len = model.spec.role.trusted_principals.len();
                self.cursors.insert(field, row.min(len));
            }
            Kind::Sessions => {
                let cursor = self.cursor(model, field);
                if let Some(i) = welcome::session_at(model, cursor, row) {
                    self.cursors.insert(field, i);
                }
            }
            Kind::Checklist => {
                let rows = fields::event_rows(&model.spec).len();
                let (start, visible) = checklist_window(self.cursor(model, field), rows);
                if row < visible {
                    self.cursors.insert(field, start + row);
                }
            }
            _ => {}
        }
    }
}

/// The first row shown and how many rows show, for a checklist of `rows`
/// with the cursor at `cursor`.
fn checklist_window(cursor: usize, rows: usize) -> (usize, usize) {
    let visible = rows.min(CHECKLIST_ROWS);
    let start = cursor
        .saturating_sub(visible / 2)
        .min(rows.saturating_sub(visible));
    (start, visible)
}

/// The choices of a select and the current one.
pub fn select_options(model: &Model, field: FieldId) -> (Vec<String>, usize) {
    match field.def().value {
        Value::Profile => {
            let mut options = vec!["default chain".to_owned()];
            options.extend(model.profiles.iter().map(|p| match &p.region {
                Some(region) => format!("{} ({region})", p.name),
                None => p.name.clone(),
            }));
            let current = model
                .profile
                .as_ref()
                .and_then(|name| model.profiles.iter().position(|p| &p.name == name))
                .map_or(0, |i| i + 1);
            (options, current)
        }
        Value::Region => {
            let current = model
                .regions
                .iter()
                .position(|r| *r == model.spec.region)
                .unwrap_or(0);
            (model.regions.clone(), current)
        }
        _ => fields::spec_select(&model.spec, field).unwrap_or_default(),
    }
}

/// The picker's rows for `filter`: (choice index, label).
pub fn picker_options(model: &Model, field: FieldId, filter: &str) -> Vec<(usize, String)> {
    let filter = filter.to_lowercase();
    select_options(model, field)
        .0
        .into_iter()
        .enumerate()
        .filter(|(_, label)| label.to_lowercase().contains(&filter))
        .collect()
}

/// The value a select shows, and its note.
/// The select's note wrapped under it when it does not fit beside the value
/// (empty when it does): a note is never cut.
fn select_note_below(model: &Model, field: FieldId, width: usize) -> Vec<String> {
    let (value, note) = select_display(model, field);
    if note.is_empty() {
        return Vec::new();
    }
    let line =
        field.label().chars().count() + 2 + value.chars().count() + 4 + 2 + note.chars().count();
    if line <= width {
        return Vec::new();
    }
    wrap(&note, width.saturating_sub(2))
}

pub fn select_display(model: &Model, field: FieldId) -> (String, String) {
    match field.def().value {
        Value::Profile => (
            model
                .profile
                .clone()
                .unwrap_or_else(|| "default chain".to_owned()),
            if model.profiles.is_empty() {
                "no profiles in ~/.aws".to_owned()
            } else {
                crate::words::count(model.profiles.len(), "profile")
            },
        ),
        Value::Region => (model.spec.region.clone(), String::new()),
        _ => match fields::spec_select(&model.spec, field) {
            Some((options, i)) => (
                options.get(i).cloned().unwrap_or_default(),
                fields::select_note(field, &model.spec).to_owned(),
            ),
            None => (String::new(), String::new()),
        },
    }
}

// ---- what the account says about a field ----

/// What a name's background lookup found, for the line under its field.
pub fn lookup_note(model: &Model, form: &FormScreen, field: FieldId) -> Option<Note> {
    if field == FieldId::DenyInsecureTransport {
        return insecure_endpoint_warning(model);
    }
    let target = match field {
        FieldId::PolicyName => Target::Policy,
        FieldId::RoleName => Target::Role,
        FieldId::UserName => Target::User,
        FieldId::BucketName => Target::Bucket,
        FieldId::QueueName => Target::Queue,
        FieldId::DlqName => Target::Dlq,
        _ => return None,
    };
    if !model.online() || !field.active(&model.spec) || form.field_error(model, field).is_some() {
        return None;
    }
    let slot = model.slots.get(&target)?;
    slot.key.as_ref()?;
    let Some(found) = &slot.found else {
        return Some(Note::new(
            StatusKind::Info,
            model.spinner(),
            "looking it up…",
        ));
    };
    let spec = &model.spec;
    let account = model
        .connection
        .identity()
        .map(|i| i.account.clone())
        .unwrap_or_default();
    let (create, noun) = match target {
        Target::Bucket => (spec.bucket.create, "bucket"),
        Target::Queue => (spec.queue.create, "queue"),
        _ => (true, ""),
    };
    let ok = |text: String| Note::new(StatusKind::Ok, "●", text);
    let bad = |text: String| Note::new(StatusKind::Error, "✗", text);
    Some(match found {
        Found::Bucket(Ok(Some(bucket)))
            if create
                && crate::aws::ownership::owner(&bucket.tags, &spec.name)
                    != crate::aws::ownership::Owner::Stack =>
        {
            let whose = match crate::aws::ownership::owner(&bucket.tags, &spec.name) {
                crate::aws::ownership::Owner::Other(other) => format!("belongs to stack {other}"),
                _ => "exists and is not this stack's".to_owned(),
            };
            bad(format!(
                "{whose}: choose \"use an existing bucket\" to leave its settings as they are, or another name"
            ))
        }
        Found::Bucket(Ok(Some(bucket))) => ok(format!(
            "exists in {}, owned by this account ({account}){}",
            bucket.region,
            if create {
                ": its settings are brought in line"
            } else {
                ""
            }
        )),
        Found::Queue(Ok(Some(_))) => ok(if create || target == Target::Dlq {
            "exists in this account: its attributes are brought in line".to_owned()
        } else {
            "exists in this account: sluice adds its statement to the access policy".to_owned()
        }),
        Found::Policy(Ok(Some(_))) | Found::Role(Ok(Some(_))) | Found::User(Ok(Some(_))) => {
            ok("exists in this account: sluice brings it in line".to_owned())
        }
        Found::Bucket(Ok(None)) | Found::Queue(Ok(None)) if !create => bad(format!(
            "no such {noun}: create one, or name one that exists"
        )),
        Found::Bucket(Err(e)) if e.kind == crate::aws::ErrorKind::AccessDenied => bad(
            "exists, but not in this account: bucket names are global, choose another".to_owned(),
        ),
        Found::Bucket(Err(e)) | Found::Queue(Err(e)) => bad(e.message.clone()),
        Found::Policy(Err(e)) | Found::Role(Err(e)) | Found::User(Err(e)) => bad(e.to_string()),
        _ => Note::new(
            StatusKind::Info,
            "○",
            "does not exist yet: it will be created",
        ),
    })
}

/// With a plain-HTTP endpoint (an emulator), the deny-insecure-transport
/// statement denies every request made through it: say so under its toggle.
fn insecure_endpoint_warning(model: &Model) -> Option<Note> {
    let endpoint = model
        .connection
        .clients()
        .and_then(|c| c.endpoint_url.clone())
        .or_else(|| model.config.aws.endpoint_url.clone())?;
    crate::aws::client::refuses_endpoint(&model.spec, Some(&endpoint)).then(|| {
        Note::new(
            StatusKind::Info,
            "",
            format!(
                "{endpoint} is plain HTTP: this statement denies every request made through it"
            ),
        )
    })
}

// ---- layout ----

/// What a step is for; a pipeline without a queue of its own (a pull
/// import, a destination) hears nothing of queues. (Without a queue and a
/// vendor's, there is no Notification step: see [`Step::applies`].)
fn intro_text(spec: &crate::spec::Spec, step: Step) -> &'static str {
    let no_queue_of_ours =
        !spec.has_queue() && spec.profile().shape != crate::spec::Shape::ForeignQueue;
    match step {
        Step::Welcome => welcome::INTRO,
        Step::Policy if no_queue_of_ours => {
            "The IAM policy the connector's role (and user) gets: the bucket and the objects under the prefix, as the vendor's guide asks."
        }
        // Only a queue-fed shape with its queue turned off is here without one.
        Step::Queue if !spec.has_queue() => {
            "No queue: nothing tells the connector of new objects. Turn the queue on to have S3 announce each one on it."
        }
        Step::Policy => {
            "The IAM policy the connector's role (and user) gets: read objects under the prefix, consume the queue."
        }
        Step::Role => {
            "The connector assumes this role with the external ID: temporary credentials, nothing to leak. Trust your vendor's account or role ARN."
        }
        Step::User => {
            "Access keys vs. roles: a role with an external ID gives the connector temporary credentials, nothing to rotate; AWS recommends it, and Tarsal's, Databend's and Hevo's setup guides use one. Create a user only if your connector takes nothing but an access key: its secret is shown once and must be rotated."
        }
        Step::Bucket if spec.profile().shape == crate::spec::Shape::Destination => {
            "Where the vendor writes. Use an existing bucket and sluice merges its own bucket-policy statement with those already there."
        }
        Step::Bucket if spec.profile().shape == crate::spec::Shape::Pull => {
            "What the vendor reads. Use an existing bucket and sluice merges its own bucket-policy statement with those already there."
        }
        Step::Bucket => {
            "Where the data lands. Use an existing bucket and sluice manages only its own notification entry on it."
        }
        Step::Queue => {
            "S3 announces each new object on this standard queue; messages that keep failing move to the dead-letter queue."
        }
        Step::Notification => {
            "How the bucket's events reach the queue: an entry of ours merged with the entries already there (entries matching the same events on overlapping keys conflict), or, on a shared bucket, its SNS topic or EventBridge."
        }
        _ => "",
    }
}

/// The introduction of the current step, wrapped to `width`.
pub fn intro_lines(model: &Model, width: u16) -> Vec<Line<'static>> {
    let t = &model.theme;
    let width = usize::from(width);
    let mut lines: Vec<Line<'static>> = wrap(intro_text(&model.spec, model.step), width)
        .into_iter()
        .map(|l| Line::styled(l, t.dim()))
        .collect();
    if model.step == Step::Welcome {
        welcome::status_lines(model, width, &mut lines);
    }
    if let Some(order) = two_steps_text(model) {
        lines.extend(
            wrap(&order, width)
                .into_iter()
                .map(|l| Line::styled(l, t.warn())),
        );
    }
    lines
}

/// On the Role and Notification steps of a two-step profile (Snowflake's):
/// in which order its values come, and where the spec stands.
fn two_steps_text(model: &Model) -> Option<String> {
    let spec = &model.spec;
    let p = spec.profile();
    if !p.two_steps || !matches!(model.step, Step::Role | Step::Notification) {
        return None;
    }
    let here = if model.step == Step::Role {
        "DESC INTEGRATION's STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID here"
    } else {
        "the pipe's notification_channel (SHOW PIPES) here"
    };
    let now = if spec.pending_vendor_values().is_empty() {
        "This spec has them: step 2."
    } else {
        "Not given yet: step 1 of 2."
    };
    Some(format!(
        "{} in two steps. Step 1: leave its values blank and apply; Done shows the SQL to run in {}. Step 2: paste {here}, then apply again. {now}",
        p.vendor, p.vendor
    ))
}

/// The lines under a field at `width`: its error, wrapped whole, then
/// what the account lookup found. The layout measures a field by them and
/// drawing writes them, so an error always has its rows.
fn message_lines(
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    width: usize,
) -> Vec<(String, Style)> {
    let t = &model.theme;
    let error = form.field_error(model, field);
    // What the prefix also matches, as it is typed (an error says more).
    let hint = (field == FieldId::Prefix && error.is_none())
        .then(|| crate::docs::open_prefix(&model.spec.bucket.prefix))
        .flatten();
    let mut lines = error_lines(model, error, width);
    if let Some(hint) = hint {
        lines.extend(
            wrap(
                &format!("{hint}; end it with `/` to mean the folder"),
                width.saturating_sub(3),
            )
            .into_iter()
            .map(|part| (format!("   {part}"), t.warn())),
        );
    }
    if let Some(why) = fields::not_applicable(&model.spec, field) {
        lines.extend(
            wrap(&why, width.saturating_sub(3))
                .into_iter()
                .map(|part| (format!("   {part}"), t.dim())),
        );
    }
    if let Some(note) = lookup_note(model, form, field) {
        let style = match note.kind {
            StatusKind::Ok => t.ok(),
            StatusKind::Error => t.error(),
            StatusKind::Info => t.dim(),
        };
        lines.extend(
            wrap(&note.line(), width.saturating_sub(3))
                .into_iter()
                .map(|part| (format!("   {part}"), style)),
        );
    }
    lines
}

/// An error wrapped to `width`, marked ✗ on its first line.
fn error_lines(model: &Model, error: Option<String>, width: usize) -> Vec<(String, Style)> {
    let Some(error) = error else {
        return Vec::new();
    };
    wrap(&error, width.saturating_sub(3))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mark = if i == 0 { " ✗ " } else { "   " };
            (format!("{mark}{part}"), model.theme.error())
        })
        .collect()
}

/// The rows of the error of principal `i`, wrapped under it.
fn item_error_lines(model: &Model, form: &FormScreen, i: usize, width: usize) -> Vec<String> {
    form.item_error(model, FieldId::TrustedPrincipals, i)
        .map(|error| {
            wrap(&error, width.saturating_sub(2))
                .into_iter()
                .map(|part| format!("  {part}"))
                .collect()
        })
        .unwrap_or_default()
}

/// How many rows a field takes at `width`.
fn field_height(model: &Model, form: &FormScreen, field: FieldId, width: u16) -> u16 {
    let w = usize::from(width);
    let messages = message_lines(model, form, field, w).len();
    let rows = match field.kind() {
        Kind::Text | Kind::Number => 3 + messages,
        Kind::Toggle => 1 + messages,
        Kind::Select => 1 + select_note_below(model, field, w).len() + messages,
        Kind::List => {
            let items = model.spec.role.trusted_principals.len();
            // The items' errors wrap inside the box's borders.
            let invalid: usize = (0..items)
                .map(|i| item_error_lines(model, form, i, w.saturating_sub(2)).len())
                .sum();
            2 + items.max(1) + invalid + 1 + messages
        }
        Kind::Checklist => 2 + fields::event_rows(&model.spec).len().min(CHECKLIST_ROWS) + messages,
        Kind::Sessions => welcome::sessions_height(model),
    };
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Where the intro and each field go inside the form pane's `inner` area,
/// scrolled so that the focused field is in view.
#[derive(Debug, Clone)]
pub struct FormLayout {
    pub intro: Vec<Line<'static>>,
    /// Rows of the intro scrolled away.
    pub skip: u16,
    pub fields: Vec<(FieldId, Rect)>,
    pub more_above: bool,
    pub more_below: bool,
}

pub fn layout(model: &Model, form: &FormScreen, inner: Rect) -> FormLayout {
    let intro = intro_lines(model, inner.width);
    let intro_height = u16::try_from(intro.len()).unwrap_or(u16::MAX) + 1;
    let mut placed = Vec::new();
    let mut y = intro_height;
    for field in fields::of_step(model.step) {
        if !field.visible(&model.spec) {
            continue;
        }
        // A field with a long error is never taller than the pane, so
        // that it can always be scrolled into view.
        let height = field_height(model, form, field, inner.width).min(inner.height);
        if height == 0 {
            continue;
        }
        placed.push((field, y, height));
        y += height;
    }
    let total = y;
    let mut offset = 0;
    if total > inner.height
        && let Some((_, top, height)) = placed.iter().find(|(f, _, _)| Some(*f) == form.focus)
    {
        let bottom = top + height;
        if bottom > inner.height {
            offset = (bottom - inner.height).min(*top);
        }
    }
    let fields = placed
        .into_iter()
        .filter(|(_, top, height)| *top >= offset && top + height - offset <= inner.height)
        .map(|(f, top, height)| {
            (
                f,
                Rect::new(inner.x, inner.y + top - offset, inner.width, height),
            )
        })
        .collect();
    FormLayout {
        intro,
        skip: offset,
        fields,
        more_above: offset > 0,
        more_below: total > inner.height + offset,
    }
}

/// Where each field of the current step is on screen.
pub fn field_rects(model: &Model, form: &FormScreen) -> Vec<(FieldId, Rect)> {
    match body_areas(model).main {
        Some(main) if model.step.is_form() => {
            layout(model, form, crate::tui::layout::inner(main)).fields
        }
        _ => Vec::new(),
    }
}

// ---- drawing ----

fn pane_block(model: &Model, preview: &[Section]) -> Block<'static> {
    let t = &model.theme;
    let block = Block::bordered().border_style(t.dim()).title(Span::styled(
        format!(
            " {} · {} ",
            model.step_number(model.step),
            model.step.title()
        ),
        t.title(),
    ));
    if wide(model) {
        block
    } else {
        // Narrow: the preview is a key away; say what it would show.
        block.title_bottom(
            Line::from(vec![
                Span::styled(" Ctrl-P preview: ", t.dim()),
                Span::styled(summary(preview), t.accent()),
                Span::raw(" "),
            ])
            .left_aligned(),
        )
    }
}

/// Draws the form of the current step; `focused` is false while a window
/// covers it.
pub fn render(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    preview: &[Section],
    focused: bool,
    area: Rect,
) {
    let t = &model.theme;
    let block = pane_block(model, preview);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let layout = layout(model, form, inner);
    let intro_height = u16::try_from(layout.intro.len()).unwrap_or(u16::MAX);
    if layout.skip < intro_height {
        let rect = Rect::new(
            inner.x,
            inner.y,
            inner.width,
            (intro_height - layout.skip).min(inner.height),
        );
        frame.render_widget(
            Paragraph::new(layout.intro.clone()).scroll((layout.skip, 0)),
            rect,
        );
    }
    for (field, rect) in &layout.fields {
        render_field(frame, model, form, *field, *rect, focused);
    }
    let buf = frame.buffer_mut();
    if layout.more_above && area.width > 12 {
        buf.set_string(area.right() - 10, area.y, " ↑ more ", t.accent());
    }
    if layout.more_below && area.width > 12 {
        buf.set_string(area.right() - 10, area.bottom() - 1, " ↓ more ", t.accent());
    }
}

/// The error (and lookup) lines under a field, from row `y`.
fn render_messages(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    rect: Rect,
    mut y: u16,
) {
    let width = usize::from(rect.width);
    let buf = frame.buffer_mut();
    for (text, style) in message_lines(model, form, field, width) {
        if y >= rect.bottom() {
            break;
        }
        buf.set_stringn(rect.x, y, text, width, style);
        y += 1;
    }
}

fn list_block(
    model: &Model,
    title: String,
    focused: bool,
    invalid: bool,
    label: Style,
) -> Block<'static> {
    Block::bordered()
        .border_style(model.theme.border(focused, invalid))
        .title(Span::styled(format!(" {title} "), label))
}

fn render_field(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    rect: Rect,
    pane_focused: bool,
) {
    let t = &model.theme;
    let focused = form.focus == Some(field) && pane_focused;
    let active = field.active(&model.spec);
    let invalid = form.field_invalid(model, field);
    let width = usize::from(rect.width);
    let label_style = if !active {
        t.dim()
    } else if invalid {
        t.error()
    } else if focused {
        t.title()
    } else {
        t.text()
    };
    match field.kind() {
        Kind::Text | Kind::Number => {
            let box_rect = Rect::new(rect.x, rect.y, rect.width, 3);
            let mut block = Block::bordered()
                .border_style(t.border(focused, invalid))
                .title(Span::styled(format!(" {} ", field.label()), label_style));
            if focused && form.resting {
                block = block.title_bottom(
                    Line::styled(" type, or Enter to edit ", t.dim()).right_aligned(),
                );
            } else if focused {
                block = block.title_bottom(Line::styled(" editing ", t.dim()).right_aligned());
            }
            let inner = block.inner(box_rect);
            frame.render_widget(block, box_rect);
            if focused {
                if let Some(input) = form.inputs.get(&field) {
                    frame.render_widget(input, inner);
                }
            } else {
                let mut text = form.input_text(field);
                let mut style = if active { t.text() } else { t.dim() };
                if let Some(placeholder) =
                    fields::placeholder(&model.spec, field).filter(|_| text.is_empty())
                {
                    text = placeholder;
                    style = t.dim();
                }
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(&text, usize::from(inner.width)),
                        style,
                    )),
                    inner,
                );
            }
            render_messages(frame, model, form, field, rect, rect.y + 3);
        }
        Kind::Toggle => {
            let on = fields::toggle_value(&model.spec, field);
            let text = if fields::not_applicable(&model.spec, field).is_some() {
                format!("[-] {}: n/a", field.label())
            } else {
                format!("[{}] {}", if on { "x" } else { " " }, field.label())
            };
            let style = if focused { t.focused() } else { label_style };
            let line = truncate(&text, width);
            let buf = frame.buffer_mut();
            if focused {
                buf.set_style(Rect::new(rect.x, rect.y, rect.width, 1), style);
            }
            buf.set_stringn(rect.x, rect.y, line, width, style);
            render_messages(frame, model, form, field, rect, rect.y + 1);
        }
        Kind::Select => {
            let (value, note) = select_display(model, field);
            let mut spans = vec![
                Span::styled(format!("{}: ", field.label()), label_style),
                Span::styled(
                    format!("‹ {value} ›"),
                    if focused {
                        t.focused()
                    } else if active {
                        t.accent()
                    } else {
                        t.dim()
                    },
                ),
            ];
            let below = select_note_below(model, field, width);
            if !note.is_empty() && below.is_empty() {
                spans.push(Span::styled(format!("  {note}"), t.dim()));
            }
            frame.render_widget(
                Paragraph::new(Line::from(spans)),
                Rect::new(rect.x, rect.y, rect.width, 1),
            );
            let mut y = rect.y + 1;
            for line in &below {
                if y >= rect.y + rect.height {
                    break;
                }
                frame.render_widget(
                    Paragraph::new(Span::styled(format!("  {line}"), t.dim())),
                    Rect::new(rect.x, y, rect.width, 1),
                );
                y += 1;
            }
            render_messages(frame, model, form, field, rect, y);
        }
        Kind::List => render_principals(frame, model, form, rect, focused, invalid, label_style),
        Kind::Checklist => render_events(frame, model, form, rect, focused, invalid, label_style),
        Kind::Sessions => {
            let block = list_block(model, field.label().to_owned(), focused, false, label_style);
            welcome::render_sessions(
                frame,
                model,
                rect,
                form.cursor(model, field),
                focused,
                block,
            );
        }
    }
}

fn render_principals(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &model.theme;
    let field = FieldId::TrustedPrincipals;
    let items = &model.spec.role.trusted_principals;
    let cursor = form.cursor(model, field);
    let below = message_lines(model, form, field, usize::from(rect.width)).len();
    let box_height = rect
        .height
        .saturating_sub(u16::try_from(below).unwrap_or(u16::MAX));
    let box_rect = Rect::new(rect.x, rect.y, rect.width, box_height);
    let block = list_block(model, field.label().to_owned(), focused, invalid, label);
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let mut y = inner.y;
    {
        let buf = frame.buffer_mut();
        if items.is_empty() {
            let empty = if model.spec.vendor_trust_pending() {
                format!(
                    "(none yet: step 1, nobody can assume the role until {}'s are given)",
                    model.spec.profile().vendor
                )
            } else {
                let account = model
                    .connection
                    .identity()
                    .map(|i| i.account.clone())
                    .unwrap_or_else(|| "the account applied in".to_owned());
                format!("(none: trusts the root of {account})")
            };
            buf.set_stringn(inner.x, y, empty, width, t.dim());
            y += 1;
        }
        for (i, item) in items.iter().enumerate() {
            let error = form.item_error(model, field, i);
            let selected = focused && cursor == i;
            let style = if selected {
                t.focused()
            } else if error.is_some() {
                t.error()
            } else {
                t.text()
            };
            let mark = if error.is_some() { "✗ " } else { "• " };
            if selected {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            }
            buf.set_stringn(
                inner.x,
                y,
                truncate(&format!("{mark}{item}"), width),
                width,
                style,
            );
            y += 1;
            for line in item_error_lines(model, form, i, width) {
                buf.set_stringn(inner.x, y, line, width, t.error());
                y += 1;
            }
        }
    }
    let add_row = Rect::new(inner.x, y, inner.width, 1);
    if focused && cursor >= items.len() {
        if let Some(input) = form.inputs.get(&field) {
            frame.render_widget(input, add_row);
        }
    } else {
        let text = form.input_text(field);
        let (shown, style) = if text.is_empty() {
            ("+ add a principal".to_owned(), t.dim())
        } else {
            (text, t.text())
        };
        frame.render_widget(Paragraph::new(Span::styled(shown, style)), add_row);
    }
    render_messages(frame, model, form, field, rect, box_rect.bottom());
}

fn render_events(
    frame: &mut Frame,
    model: &Model,
    form: &FormScreen,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &model.theme;
    let field = FieldId::Events;
    let rows = fields::event_rows(&model.spec);
    let chosen = model.spec.notification.events.len();
    let cursor = form.cursor(model, field).min(rows.len().saturating_sub(1));
    let (start, visible) = checklist_window(cursor, rows.len());
    let box_rect = Rect::new(
        rect.x,
        rect.y,
        rect.width,
        u16::try_from(visible + 2).unwrap_or(3),
    );
    let mut block = list_block(
        model,
        format!("{} ({chosen} chosen)", field.label()),
        focused,
        invalid,
        label,
    );
    if rows.len() > visible {
        block = block.title_bottom(
            Line::styled(
                format!(" {}-{} of {} ", start + 1, start + visible, rows.len()),
                t.dim(),
            )
            .right_aligned(),
        );
    }
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (row, event) in rows.iter().enumerate().skip(start).take(visible) {
        let on = model.spec.notification.events.contains(event);
        let y = inner.y + u16::try_from(row - start).unwrap_or(0);
        let selected = focused && row == cursor;
        let known = fields::S3_EVENTS.contains(&event.as_str());
        let style = if selected {
            t.focused()
        } else if !known {
            t.error()
        } else if on {
            t.text().add_modifier(Modifier::BOLD)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        }
        buf.set_stringn(
            inner.x,
            y,
            truncate(&format!("[{}] {event}", if on { "x" } else { " " }), width),
            width,
            style,
        );
    }
    render_messages(frame, model, form, field, rect, box_rect.bottom());
}
