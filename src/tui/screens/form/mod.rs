//! The form steps (Welcome to Notification). The fields themselves are the
//! table in [`crate::tui::fields`].
//!
//! Split by what a reader comes for: `state` holds the inputs
//! ([`FormScreen`]) and the text input helpers; `errors` says which
//! validation error stands under a field and why Next is refused; `notes`
//! what the account says about a field; `edit` what editing a field does to
//! the spec; `choices` a select's options and display; `layout` where each
//! field goes (shared with mouse handling); `draw` how it is drawn.

mod choices;
mod draw;
mod edit;
mod errors;
mod layout;
mod notes;
mod state;

pub use choices::{picker_options, select_display, select_options};
pub use draw::render;
pub use layout::{FormLayout, field_rects, intro_lines, layout};
pub use notes::{Note, lookup_note};
pub use state::{CHECKLIST_ROWS, FormScreen, new_input, single_line, text_input};
