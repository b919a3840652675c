//! Reading and writing the spec through a field: [`FieldId`]'s accessors
//! into [`FIELDS`], the fields of a step, and each kind of value's getter and
//! setter.

use super::def::{FieldDef, FieldId, Kind, Value};
use super::table::FIELDS;
use crate::spec::{Spec, path};
use crate::tui::step::Step;

impl FieldId {
    /// The field's entry in [`FIELDS`].
    pub fn def(self) -> &'static FieldDef {
        // FIELDS is in FieldId order (a test checks it).
        &FIELDS[self as usize]
    }

    pub fn kind(self) -> Kind {
        match self.def().value {
            Value::Text { .. } => Kind::Text,
            Value::Number { .. } => Kind::Number,
            Value::Toggle { .. } => Kind::Toggle,
            Value::Select { .. } | Value::Profile | Value::Region => Kind::Select,
            Value::Principals => Kind::List,
            Value::Events => Kind::Checklist,
            Value::Sessions => Kind::Sessions,
        }
    }

    /// Whether the field edits text (so printable keys type into it).
    pub fn is_text(self) -> bool {
        matches!(self.kind(), Kind::Text | Kind::Number | Kind::List)
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    pub fn hint(self) -> &'static str {
        self.def().hint
    }

    /// The hint as it reads for `spec`: the external ID's says whether the
    /// vendor gives it (nothing to generate) or sluice may make one.
    pub fn hint_for(self, spec: &Spec) -> std::borrow::Cow<'static, str> {
        use crate::spec::profiles::ExternalId;
        let profile = spec.profile();
        match (self, profile.external_id) {
            (FieldId::ExternalId, ExternalId::Vendor { what }) => {
                format!("{} gives it: paste {what}", profile.vendor).into()
            }
            (FieldId::ExternalId, ExternalId::None) => {
                format!("none: {} sends no external ID", profile.vendor).into()
            }
            (FieldId::AlarmsTopicArn, _) => format!(
                "an existing SNS topic in {}; blank: sluice makes {}",
                spec.region,
                crate::docs::alarm_topic_name(spec)
            )
            .into(),
            _ => self.hint().into(),
        }
    }

    pub fn path(self) -> Option<&'static str> {
        self.def().path
    }

    pub fn visible(self, spec: &Spec) -> bool {
        (self.def().visible)(spec)
    }

    pub fn active(self, spec: &Spec) -> bool {
        (self.def().active)(spec)
    }

    /// The field an error at spec `path` belongs to.
    pub fn for_path(error_path: &str) -> Option<FieldId> {
        let base = path::base(error_path);
        FIELDS.iter().find(|f| f.path == Some(base)).map(|f| f.id)
    }
}

/// Why a field's resource is not made, shown under the field (dimmed, and
/// not editable): the alarms of a pipeline without a queue, the dead-letter
/// alarm of a queue without a dead-letter queue of the pipeline's own.
pub fn not_applicable(spec: &Spec, field: FieldId) -> Option<String> {
    match field {
        FieldId::AlarmsEnabled if !spec.has_queue() => {
            crate::docs::skipped_because(spec, crate::docs::ResourceKind::Alarm)
        }
        FieldId::AlarmsDlqNotEmpty if spec.has_alarms() => {
            // Its own toggle aside: what else leaves the alarm out.
            let mut wanted = spec.clone();
            wanted.alarms.dlq_not_empty = true;
            crate::docs::alarm_skipped_because(&wanted, crate::docs::AlarmKind::DlqNotEmpty)
        }
        _ => None,
    }
}

/// What an empty text field stands for, shown dimmed in it.
pub fn placeholder(spec: &Spec, field: FieldId) -> Option<String> {
    match field {
        FieldId::AlarmsTopicArn => Some(format!(
            "blank: sluice makes {}",
            crate::docs::alarm_topic_name(spec)
        )),
        _ => None,
    }
}

/// The fields of a step, in order (including ones the spec makes inactive).
pub fn of_step(step: Step) -> impl Iterator<Item = FieldId> {
    FIELDS.iter().filter(move |f| f.step == step).map(|f| f.id)
}

/// Every field, in form order.
pub fn all() -> impl Iterator<Item = FieldId> {
    FIELDS.iter().map(|f| f.id)
}

/// The text a text or number field shows for the spec.
pub fn text_value(spec: &Spec, field: FieldId) -> String {
    match field.def().value {
        Value::Text { get, .. } => get(spec),
        Value::Number { get, .. } => get(spec).to_string(),
        _ => String::new(),
    }
}

/// Puts the text of a field into the spec. `Err` is a problem of the text
/// itself (not a number); the spec's own rules are checked by `validate`.
pub fn set_text(spec: &mut Spec, field: FieldId, text: &str) -> Result<(), String> {
    match field.def().value {
        Value::Text { set, .. } => set(spec, text),
        Value::Number { set, .. } => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err("a number is required".to_owned());
            }
            let n = trimmed
                .parse::<u32>()
                .map_err(|_| format!("`{trimmed}` is not a whole number of seconds or times"))?;
            set(spec, n);
        }
        _ => {}
    }
    Ok(())
}

pub fn toggle_value(spec: &Spec, field: FieldId) -> bool {
    match field.def().value {
        Value::Toggle { get, .. } => get(spec),
        _ => false,
    }
}

pub fn set_toggle(spec: &mut Spec, field: FieldId, on: bool) {
    if let Value::Toggle { set, .. } = field.def().value {
        set(spec, on);
    }
}

/// The choices of a spec-bound select, and which one the spec holds.
pub fn spec_select(spec: &Spec, field: FieldId) -> Option<(Vec<String>, usize)> {
    match field.def().value {
        Value::Select { choices, get, .. } => Some((choices(), get(spec))),
        _ => None,
    }
}

/// Sets a spec-bound select to choice `index`.
pub fn set_spec_select(spec: &mut Spec, field: FieldId, index: usize) {
    if let Value::Select { set, .. } = field.def().value {
        set(spec, index);
    }
}

/// A short description of a select's value, shown beside it.
pub fn select_note(field: FieldId, spec: &Spec) -> &'static str {
    match field.def().value {
        Value::Select { note, .. } => note(spec),
        _ => "",
    }
}

/// S3 event types a bucket can publish: the spec validator's own list.
pub use crate::spec::S3_EVENTS;

/// The rows of the events checklist: every known event, then any other the
/// spec names (shown so that it can be unticked).
pub fn event_rows(spec: &Spec) -> Vec<String> {
    let mut rows: Vec<String> = S3_EVENTS.iter().map(|e| (*e).to_owned()).collect();
    for e in &spec.notification.events {
        if !rows.contains(e) {
            rows.push(e.clone());
        }
    }
    rows
}
