//! The choices of a select field: its options, the picker's rows for a
//! filter, and the value and note it shows.

use crate::tui::fields::{self, FieldId, Value};
use crate::tui::model::Model;
use crate::tui::widgets::wrap;

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
pub(super) fn select_note_below(model: &Model, field: FieldId, width: usize) -> Vec<String> {
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
