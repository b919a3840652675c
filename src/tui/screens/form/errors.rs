//! The form's validation errors: which message stands under a field or a
//! list item, which fields of a step are invalid, and why Next is refused.

use super::notes::lookup_note;
use super::state::FormScreen;
use crate::spec::path;
use crate::tui::fields::{self, FieldId, Kind};
use crate::tui::model::{Model, StatusKind};
use crate::tui::step::Step;

/// A validation error in the wizard's words.
pub(super) fn words(model: &Model, error: &crate::spec::FieldError) -> String {
    fields::message_words(&model.spec, &error.path, &error.message)
}

impl FormScreen {
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
}
