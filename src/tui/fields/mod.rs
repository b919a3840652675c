//! The form's fields: for each, its step, label, hint, the spec path its
//! validation errors carry (from [`crate::spec::path`], the validator's own
//! names), when it is shown and editable, and how it reads and writes the
//! spec. Adding a field is one entry in [`FIELDS`]. Pure: no terminal, no
//! I/O.
//!
//! Split by what a reader comes for: `def` says what a field is (its id,
//! kind, value and effect); `table` is the one table of them, [`FIELDS`];
//! `access` reads and writes the spec through a field; `words` puts a
//! validation message in the wizard's words; `follow` holds what changes
//! along with other choices (alarms, default names).

mod access;
mod def;
mod follow;
mod table;
#[cfg(test)]
mod tests;
mod words;

pub use access::{
    S3_EVENTS, all, event_rows, not_applicable, of_step, placeholder, select_note, set_spec_select,
    set_text, set_toggle, spec_select, text_value, toggle_value,
};
pub use def::{FieldDef, FieldId, Kind, Ripple, Value};
pub use follow::{alarms_follow_shape, recommend_alarms, rederive_names};
pub use table::FIELDS;
pub use words::{error_line, message_words};
