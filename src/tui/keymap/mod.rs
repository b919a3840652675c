//! Every key of the wizard, as data: for each screen and window, its
//! bindings in the order the hint bar shows them. A binding holds its keys,
//! when it applies, its hint, its help text and the message it sends.
//! `update` looks keys up here; the hint bar, the help window and the
//! README's key table are drawn from the same lists, so they cannot drift.
//!
//! Split by what a reader comes for: `binding` says what a binding is;
//! `when` holds the predicates that say when one applies; `tables` the
//! keymaps themselves; this module picks the keymaps that apply now and
//! answers from them (a key's message, the hints, the help, the README's
//! table).

use crossterm::event::KeyEvent;

use crate::tui::app::App;
use crate::tui::layout::wide;
use crate::tui::overlay::{HelpRow, Overlay};
use crate::tui::step::Step;

mod binding;
mod tables;
mod when;

pub use binding::{Binding, Keymap, Msg, Press, Unbound};
use tables::*;

fn keymap(place: &'static str, bindings: &'static [Binding], unbound: Unbound) -> Keymap {
    Keymap {
        place,
        bindings,
        unbound,
    }
}

/// The keymaps that apply now, in the order keys are looked up and hints
/// shown (the first binding that matches and applies wins).
pub fn active(app: &App) -> Vec<Keymap> {
    let common = keymap("everywhere", COMMON, Unbound::Ignore);
    if let Some(overlay) = &app.overlay {
        let (bindings, unbound) = match overlay {
            Overlay::Help { .. } => (HELP_WINDOW, Unbound::Close),
            Overlay::ConfirmQuit => (CONFIRM_QUIT, Unbound::Ignore),
            Overlay::ConfirmApply => (CONFIRM_APPLY, Unbound::Ignore),
            Overlay::ConfirmDeleteSession { .. } => (CONFIRM_DELETE_SESSION, Unbound::Ignore),
            Overlay::Picker { .. } => (PICKER, Unbound::Type),
            Overlay::Prompt { .. } => (PROMPT, Unbound::Type),
        };
        return vec![
            keymap("everywhere", QUIT_ANYWHERE, unbound),
            keymap("window", bindings, unbound),
        ];
    }
    let step = app.model.step;
    if step.has_preview() && app.model.preview.shown && !wide(&app.model) {
        return vec![keymap("preview", PREVIEW_SHOWN, Unbound::Ignore), common];
    }
    match step {
        Step::Review => vec![keymap("review", REVIEW, Unbound::Ignore), common],
        Step::Apply => vec![
            keymap("apply", APPLY, Unbound::Ignore),
            keymap("apply", SCROLL, Unbound::Ignore),
            common,
        ],
        Step::Verify => vec![
            keymap("verify", VERIFY, Unbound::Ignore),
            keymap("verify", SCROLL, Unbound::Ignore),
            common,
        ],
        Step::Data => vec![
            keymap("data", DATA, Unbound::Ignore),
            keymap("data", SCROLL, Unbound::Ignore),
            common,
        ],
        Step::Done => vec![
            keymap("done", DONE, Unbound::Ignore),
            keymap("done", &SCROLL[2..], Unbound::Ignore),
            common,
        ],
        form => {
            let own = match form {
                Step::Welcome => WELCOME,
                Step::Role => ROLE,
                Step::Bucket => BUCKET,
                _ => &[],
            };
            vec![
                keymap("form", FORM, Unbound::Type),
                keymap(form.place(), own, Unbound::Type),
                keymap("form", PREVIEW_PANE, Unbound::Type),
                common,
            ]
        }
    }
}

/// What `key` asks for now: the message of the first binding that takes
/// it, or what unbound keys do here.
pub fn lookup(app: &App, event: &KeyEvent) -> Result<Msg, Unbound> {
    let maps = active(app);
    for map in &maps {
        for binding in map.bindings {
            if binding.keys.iter().any(|p| p.matches(event)) && (binding.when)(app) {
                return Ok(binding.msg);
            }
        }
    }
    Err(maps
        .iter()
        .map(|m| m.unbound)
        .next()
        .unwrap_or(Unbound::Ignore))
}

/// The hint bar: (keys, what) of every binding that applies now and has a hint.
pub fn hints(app: &App) -> Vec<(&'static str, &'static str)> {
    active(app)
        .iter()
        .flat_map(|map| map.bindings.iter())
        .filter(|b| !b.hint.is_empty() && (b.when)(app))
        .map(|b| (b.label, b.hint))
        .collect()
}

/// Every key the help window lists, grouped by where it works.
pub fn help_rows() -> Vec<HelpRow> {
    let groups: [(&'static str, &[&'static [Binding]]); 10] = [
        ("everywhere", &[COMMON, PREVIEW_PANE]),
        ("form steps", &[FORM]),
        ("welcome", &[WELCOME]),
        ("role", &[ROLE]),
        ("bucket", &[BUCKET]),
        ("review", &[REVIEW]),
        ("apply", &[APPLY]),
        ("verify", &[VERIFY]),
        ("data", &[DATA]),
        ("done", &[DONE]),
    ];
    let mut rows = Vec::new();
    for (place, lists) in groups {
        for binding in lists.iter().flat_map(|l| l.iter()) {
            if let Some((keys, what)) = binding.help {
                rows.push(HelpRow { place, keys, what });
            }
        }
        if place == "everywhere" {
            rows.push(HelpRow {
                place,
                keys: "mouse",
                what: "click a field to focus it or a step to go to it; the wheel scrolls the preview",
            });
        }
    }
    rows
}

/// The README's key table, as the help window lists the keys.
pub fn readme_table() -> String {
    let mut out = String::from("| where | keys | what |\n|---|---|---|\n");
    let mut last = "";
    for row in help_rows() {
        let place = if row.place == last { "" } else { row.place };
        last = row.place;
        out.push_str(&format!("| {place} | {} | {} |\n", row.keys, row.what));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_key_table_is_the_keymap() {
        let readme = include_str!("../../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's key table differs from the keymap; it should read:\n{table}"
        );
    }

    #[test]
    fn every_binding_with_a_hint_has_a_label_and_no_place_binds_a_key_twice_at_once() {
        let all: [&[Binding]; 17] = [
            WELCOME,
            CONFIRM_DELETE_SESSION,
            COMMON,
            QUIT_ANYWHERE,
            PREVIEW_PANE,
            FORM,
            ROLE,
            BUCKET,
            REVIEW,
            SCROLL,
            APPLY,
            VERIFY,
            DATA,
            DONE,
            PREVIEW_SHOWN,
            HELP_WINDOW,
            PICKER,
        ];
        for list in all {
            for binding in list {
                assert!(
                    binding.hint.is_empty() || !binding.label.is_empty(),
                    "{binding:?}"
                );
            }
        }
    }
}
