//! Validation messages in the wizard's words: a field named by its label
//! (and step), a setting as the form makes it.

use super::def::{FieldId, Value};
use crate::spec::{self, Message, Spec, Word};

/// A validation message at spec path `at`, in the wizard's words: a field
/// by its label (and its step, when another step holds it), a setting as
/// the form makes it, and no `--set` hints (the message stands under the
/// field it is about).
pub fn message_words(spec: &Spec, at: &str, message: &Message) -> String {
    let here = FieldId::for_path(at).map(|f| f.def().step);
    let name = |field: FieldId| {
        let def = field.def();
        match here {
            Some(step) if step != def.step => {
                format!("“{}” on the {} step", def.label, def.step.title())
            }
            _ => format!("“{}”", def.label),
        }
    };
    message.render(|word| match word {
        Word::Text(text) => Some(text.clone()),
        Word::Field(path) => Some(FieldId::for_path(path).map_or_else(|| (*path).to_owned(), name)),
        Word::Setting { path, value } => Some(match FieldId::for_path(path) {
            Some(field) => setting_words(spec, field, path, value, &name(field)),
            None => format!("set {path} to {value}"),
        }),
        Word::SetFlag(_) => None,
    })
}

/// A validation error where the field is not in sight (the review): the
/// field's label and step, then the message in the wizard's words.
pub fn error_line(spec: &Spec, error: &spec::FieldError) -> String {
    let words = message_words(spec, &error.path, &error.message);
    match FieldId::for_path(&error.path) {
        Some(field) => format!(
            "{} ({} step): {words}",
            field.label(),
            field.def().step.title()
        ),
        None => format!("{}: {words}", error.path),
    }
}

/// Setting `field` (at spec `path`, named `named`) to `value`, as the form
/// does it: a toggle turned on or off, a select's choice that holds the
/// value, else the value typed in.
fn setting_words(spec: &Spec, field: FieldId, path: &str, value: &str, named: &str) -> String {
    match field.def().value {
        Value::Toggle { .. } if value == "true" => format!("turn on {named}"),
        Value::Toggle { .. } if value == "false" => format!("turn off {named}"),
        Value::Select { choices, set, .. } => {
            let wanted = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
            let pointer = format!("/{}", path.replace('.', "/"));
            let holds = |i: usize| {
                let mut candidate = spec.clone();
                set(&mut candidate, i);
                serde_json::to_value(&candidate)
                    .ok()
                    .is_some_and(|v| v.pointer(&pointer) == Some(&wanted))
            };
            match choices().into_iter().enumerate().find(|(i, _)| holds(*i)) {
                Some((_, choice)) => format!("choose “{choice}” for {named}"),
                None => format!("set {named} to {value}"),
            }
        }
        _ => format!("set {named} to {value}"),
    }
}
