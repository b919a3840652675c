//! Validation of a resolved spec. Every broken rule is reported, each with the
//! dotted path of its field, so one run shows the user everything to fix.
//!
//! Split by what a reader comes for: `message` holds the words of a broken
//! rule ([`Message`], [`FieldError`], [`ValidationErrors`]) and the collector
//! the rules report into; `sections` walks the spec section by section
//! ([`validate`] and its kin); `rules` holds the field-level rules, each
//! checking one value.

mod message;
mod rules;
mod sections;
#[cfg(test)]
mod tests;

pub use message::{FieldError, Message, ValidationErrors, Word};
pub(super) use rules::foreign_queue_arn;
pub use rules::{S3_EVENTS, external_id, principal};
pub use sections::{alias_refusal, kms_aliases, validate, validate_unresolved};
