//! What editing a field does: focus moves, list cursors, toggles, selects,
//! typed and pasted text, clicks, each carried into the spec.

use super::choices::select_options;
use super::errors::words;
use super::state::{
    ADD_PRINCIPAL, FormScreen, checklist_window, new_input, single_line, text_input,
};
use crate::spec::path;
use crate::tui::fields::{self, FieldId, Kind, Value};
use crate::tui::model::{Model, StatusKind};
use crate::tui::screens::welcome;
use crate::tui::step::Step;

impl FormScreen {
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
                if field.def().ripple == fields::Ripple::ResetAll {
                    self.reset_inputs(model);
                }
                if let fields::Ripple::Refill(other) = field.def().ripple {
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
        match field.def().ripple {
            fields::Ripple::RenameDefaults => {
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
            ripple => match fields::set_text(&mut model.spec, field, &text) {
                Ok(()) => {
                    self.local_errors.remove(&field);
                    if let fields::Ripple::Follows(other) = ripple
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
