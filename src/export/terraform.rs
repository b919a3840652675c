//! PLACEHOLDER: being written.
use crate::spec::Spec;
pub fn terraform(_spec: &Spec) -> String {
    String::new()
}
