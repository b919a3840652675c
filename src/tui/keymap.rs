//! Every key of the wizard, as data: for each screen and window, its
//! bindings in the order the hint bar shows them. A binding holds its keys,
//! when it applies, its hint, its help text and the message it sends.
//! `update` looks keys up here; the hint bar, the help window and the
//! README's key table are drawn from the same lists, so they cannot drift.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::App;
use super::fields::Kind;
use super::layout::wide;
use super::overlay::{HelpRow, Overlay};
use super::screens::done::{consume_blocker, in_block, offers_consume};
use super::step::Step;

/// A key, as a binding names it. A binding with CONTROL needs Ctrl held;
/// one without refuses it (Shift and Alt are ignored: `?` is Shift-/).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(code: KeyCode) -> Press {
    Press { code, ctrl: false }
}

const fn ch(c: char) -> Press {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Press {
    Press {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

impl Press {
    pub fn matches(&self, event: &KeyEvent) -> bool {
        self.code == event.code && self.ctrl == event.modifiers.contains(KeyModifiers::CONTROL)
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    // everywhere
    Quit,
    Help,
    Save,
    TogglePreview,
    ClosePreview,
    Reread,
    PageUp,
    PageDown,
    // moving between steps
    Next,
    Back,
    // the form
    /// Enter on a text field that waits: start editing it.
    Edit,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    Toggle,
    OpenPicker,
    SelectPrev,
    SelectNext,
    AddPrincipal,
    RemovePrincipal,
    ResumeSession,
    /// `x` on a saved session: asks, then deletes its file.
    DeleteSession,
    ConfirmDeleteSession,
    GenerateExternalId,
    PreviewData,
    /// The key is not available now: say why on the status line.
    Explain(&'static str),
    // the review, apply, verify and data screens
    ReviewEnter,
    Retry,
    RunAgain,
    ScrollUp,
    ScrollDown,
    // the done screen
    Copy,
    CopyAll,
    CopySecret,
    Export,
    Consume,
    ExplainConsume,
    // windows
    CloseOverlay,
    HelpScroll(i16),
    SaveAndQuit,
    QuitNow,
    ConfirmApply,
    CancelApply,
    PickerMove(i8),
    PickerChoose,
    PickerErase,
    PromptConfirm,
    /// Documents what unbound keys do (typing); never sent.
    None,
}

/// One key binding.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Press],
    /// The keys as the hint bar names them, e.g. `^S`.
    pub label: &'static str,
    /// The hint bar's text; empty keeps the binding out of the bar.
    pub hint: &'static str,
    /// (keys, what they do) for the help window; `None` leaves it out.
    pub help: Option<(&'static str, &'static str)>,
    /// Whether the binding applies now.
    pub when: fn(&App) -> bool,
    pub msg: Msg,
}

/// What keys no binding takes do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbound {
    Ignore,
    /// They type into the focused input (or the window's filter).
    Type,
    /// They close the window.
    Close,
}

/// The bindings of one screen or window.
#[derive(Debug, Clone, Copy)]
pub struct Keymap {
    /// Where the keys work, as the help window groups them.
    pub place: &'static str,
    pub bindings: &'static [Binding],
    pub unbound: Unbound,
}

fn always(_: &App) -> bool {
    true
}

const fn b(
    keys: &'static [Press],
    label: &'static str,
    hint: &'static str,
    when: fn(&App) -> bool,
    msg: Msg,
) -> Binding {
    Binding {
        keys,
        label,
        hint,
        help: None,
        when,
        msg,
    }
}

const fn with_help(mut binding: Binding, keys: &'static str, what: &'static str) -> Binding {
    binding.help = Some((keys, what));
    binding
}

// ---- predicates ----

fn typing(app: &App) -> bool {
    app.form.typing(&app.model)
}

fn not_typing(app: &App) -> bool {
    !typing(app)
}

fn waiting_to_edit(app: &App) -> bool {
    app.form.waiting_to_edit(&app.model)
}

fn focus_kind(app: &App) -> Option<Kind> {
    app.form.focus.map(|f| f.kind())
}

fn on_toggle(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Toggle))
}

fn on_spaced(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Toggle | Kind::Checklist))
}

fn on_select(app: &App) -> bool {
    matches!(focus_kind(app), Some(Kind::Select))
}

fn principal_typed(app: &App) -> bool {
    app.form.principal_typed(&app.model)
}

fn principal_selected(app: &App) -> bool {
    app.form.principal_selected(&app.model)
}

fn session_selected(app: &App) -> bool {
    app.form.session_selected(&app.model)
}

fn enter_is_next(app: &App) -> bool {
    !principal_typed(app) && !session_selected(app) && !waiting_to_edit(app)
}

fn not_welcome(app: &App) -> bool {
    app.model.step != Step::Welcome
}

/// On the Role step of a pipeline whose external ID sluice makes: a vendor
/// that assigns one (Databend's organization ID, Hevo's) would reject any other.
fn on_role_generating(app: &App) -> bool {
    app.model.step == Step::Role
        && app.model.spec.profile().external_id == crate::spec::profiles::ExternalId::Generated
}

fn bucket_data(app: &App) -> bool {
    app.model.step == Step::Bucket && app.model.bucket_exists()
}

fn bucket_no_data(app: &App) -> bool {
    app.model.step == Step::Bucket && !app.model.bucket_exists()
}

fn preview_wide(app: &App) -> bool {
    wide(&app.model)
}

fn preview_narrow(app: &App) -> bool {
    !wide(&app.model)
}

fn review_online(app: &App) -> bool {
    app.model.online()
}

fn review_offline(app: &App) -> bool {
    !app.model.online()
}

fn apply_failed(app: &App) -> bool {
    app.apply.failure.is_some() && !app.apply.run.running
}

fn apply_ended_well(app: &App) -> bool {
    app.apply.report.is_some() || app.apply.nothing_to_do
}

fn apply_idle(app: &App) -> bool {
    !app.apply.run.running
}

fn verify_idle(app: &App) -> bool {
    !app.verify.run.running
}

fn data_idle(app: &App) -> bool {
    !app.data.running
}

/// `d` on Done: bound only where the pipeline has a queue of its own.
fn consume_available(app: &App) -> bool {
    offers_consume(&app.model) && consume_blocker(&app.model, &app.apply).is_none()
}

fn consume_unavailable(app: &App) -> bool {
    offers_consume(&app.model) && consume_blocker(&app.model, &app.apply).is_some()
}

/// `a` on Done copies the connector CLI's `in:` block rather than every value.
fn copies_in_block(app: &App) -> bool {
    in_block(&app.model, &app.apply).is_some()
}

fn copies_all(app: &App) -> bool {
    !copies_in_block(app)
}

fn has_secret(app: &App) -> bool {
    app.done.has_secret()
}

// ---- the keymaps ----

const PAGE_UP: &[Press] = &[key(KeyCode::PageUp)];
const PAGE_DOWN: &[Press] = &[key(KeyCode::PageDown)];
const PREVIEW_KEYS: &[Press] = &[ctrl('p'), key(KeyCode::F(2))];
const UP: &[Press] = &[key(KeyCode::Up)];
const DOWN: &[Press] = &[key(KeyCode::Down)];
const ENTER: &[Press] = &[key(KeyCode::Enter)];
const ESC: &[Press] = &[key(KeyCode::Esc)];

/// Keys every screen ends with.
const COMMON: &[Binding] = &[
    with_help(
        b(&[ctrl('s')], "^S", "save", always, Msg::Save),
        "Ctrl-S",
        "save the spec file (asks where the first time)",
    ),
    with_help(
        b(&[ctrl('r')], "^R", "", always, Msg::Reread),
        "Ctrl-R",
        "check the credentials and read the account again",
    ),
    with_help(
        b(&[key(KeyCode::F(1))], "F1", "help", typing, Msg::Help),
        "F1 / ?",
        "this help (? outside text fields)",
    ),
    b(&[key(KeyCode::F(1))], "F1", "", not_typing, Msg::Help),
    b(&[ch('?')], "?", "help", not_typing, Msg::Help),
    with_help(
        b(&[ctrl('c')], "^C", "quit", typing, Msg::Quit),
        "q / Ctrl-C",
        "quit, asking when there are unsaved changes (q outside text fields)",
    ),
    b(&[ctrl('c')], "^C", "", not_typing, Msg::Quit),
    b(&[ch('q')], "q", "quit", not_typing, Msg::Quit),
];

/// Ctrl-C quits from anywhere, a window open or not.
const QUIT_ANYWHERE: &[Binding] = &[b(&[ctrl('c')], "", "", always, Msg::Quit)];

/// PgUp / PgDn and Ctrl-P on screens with the preview pane.
const PREVIEW_PANE: &[Binding] = &[
    with_help(
        b(PAGE_UP, "PgUp/Dn", "preview", preview_wide, Msg::PageUp),
        "PgUp / PgDn",
        "scroll the preview (↑ / ↓ scroll the review, apply, verify and data screens)",
    ),
    b(PAGE_UP, "PgUp/Dn", "", preview_narrow, Msg::PageUp),
    b(PAGE_DOWN, "PgDn", "", always, Msg::PageDown),
    with_help(
        b(
            PREVIEW_KEYS,
            "^P",
            "preview",
            preview_narrow,
            Msg::TogglePreview,
        ),
        "Ctrl-P / F2",
        "show the preview instead of the form (narrow terminals)",
    ),
    b(PREVIEW_KEYS, "^P", "", preview_wide, Msg::TogglePreview),
];

/// The keys of every form step.
const FORM: &[Binding] = &[
    with_help(
        b(&[key(KeyCode::Tab)], "Tab", "field", always, Msg::FocusNext),
        "Tab / Shift-Tab",
        "next / previous field",
    ),
    b(&[key(KeyCode::BackTab)], "", "", always, Msg::FocusPrev),
    with_help(
        b(&[ch(' ')], "Space", "toggle", on_spaced, Msg::Toggle),
        "Space",
        "toggle a checkbox; open a select's list",
    ),
    b(&[ch(' ')], "Space", "", on_select, Msg::OpenPicker),
    b(
        &[key(KeyCode::Left), key(KeyCode::Right)],
        "",
        "",
        on_toggle,
        Msg::Toggle,
    ),
    with_help(
        b(
            &[key(KeyCode::Left)],
            "←→",
            "change",
            on_select,
            Msg::SelectPrev,
        ),
        "← / →",
        "change a select; move in a text field",
    ),
    b(&[key(KeyCode::Right)], "", "", on_select, Msg::SelectNext),
    b(ENTER, "Enter", "edit", waiting_to_edit, Msg::Edit),
    b(ENTER, "Enter", "add", principal_typed, Msg::AddPrincipal),
    b(
        ENTER,
        "Enter",
        "resume",
        session_selected,
        Msg::ResumeSession,
    ),
    with_help(
        b(ENTER, "Enter", "next", enter_is_next, Msg::Next),
        "Enter",
        "next step (Next refuses an invalid step and focuses its first error)",
    ),
    with_help(
        b(ESC, "Esc", "back", not_welcome, Msg::Back),
        "Esc",
        "previous step; closes a window",
    ),
    with_help(
        b(UP, "", "", always, Msg::Up),
        "↑ / ↓",
        "previous / next field; inside a list, move in it",
    ),
    b(DOWN, "", "", always, Msg::Down),
    b(
        &[key(KeyCode::Delete), key(KeyCode::Backspace)],
        "",
        "",
        principal_selected,
        Msg::RemovePrincipal,
    ),
    // Typed into the field: documented here, taken by the text input.
    with_help(
        b(&[], "", "", always, Msg::None),
        "Ctrl-U / Ctrl-W",
        "clear a text field / delete its last word",
    ),
];

const WELCOME: &[Binding] = &[
    with_help(
        b(&[], "", "", always, Msg::None),
        "Enter (on a session)",
        "resume that saved session",
    ),
    with_help(
        b(
            &[ch('x'), key(KeyCode::Delete)],
            "x",
            "delete",
            session_selected,
            Msg::DeleteSession,
        ),
        "x / Del (on a session)",
        "delete that saved session after y / n: its file only, nothing in AWS",
    ),
    with_help(
        b(&[], "", "", always, Msg::None),
        "q, ?",
        "on arrival the stack name waits for its first key: q quits, ? helps, typing or Enter edits it",
    ),
];

const ROLE: &[Binding] = &[
    with_help(
        b(&[], "", "", always, Msg::None),
        "Enter (in the add row)",
        "add a trusted principal; Del removes the selected one",
    ),
    with_help(
        b(
            &[ctrl('g')],
            "^G",
            "new ext. ID",
            on_role_generating,
            Msg::GenerateExternalId,
        ),
        "Ctrl-G",
        "generate a random external ID (only where sluice makes it: a vendor that assigns one, such as Databend, TiDB Cloud Lake, Tarsal, Hevo or Snowflake, gets its own pasted)",
    ),
];

const BUCKET: &[Binding] = &[
    with_help(
        b(
            &[ctrl('d')],
            "^D",
            "preview data",
            bucket_data,
            Msg::PreviewData,
        ),
        "Ctrl-D",
        "preview the data of an existing bucket",
    ),
    b(
        &[ctrl('d')],
        "",
        "",
        bucket_no_data,
        Msg::Explain("the data preview needs an existing bucket (and credentials)"),
    ),
];

const REVIEW: &[Binding] = &[
    with_help(
        b(ENTER, "Enter", "apply…", review_online, Msg::ReviewEnter),
        "Enter",
        "apply (asks y / n first); offline, go to Done",
    ),
    b(ENTER, "Enter", "done", review_offline, Msg::ReviewEnter),
    b(ESC, "Esc", "back", always, Msg::Back),
    b(&[ctrl('r')], "^R", "re-read", always, Msg::Reread),
    b(PAGE_UP, "PgUp/Dn", "plan", preview_wide, Msg::PageUp),
    b(PAGE_UP, "", "", preview_narrow, Msg::PageUp),
    b(PAGE_DOWN, "", "", always, Msg::PageDown),
    b(
        PREVIEW_KEYS,
        "^P",
        "plan",
        preview_narrow,
        Msg::TogglePreview,
    ),
    b(PREVIEW_KEYS, "", "", preview_wide, Msg::TogglePreview),
    b(UP, "", "", always, Msg::ScrollUp),
    b(DOWN, "", "", always, Msg::ScrollDown),
];

/// ↑ / ↓ and PgUp / PgDn on screens without a preview.
const SCROLL: &[Binding] = &[
    b(UP, "", "", always, Msg::ScrollUp),
    b(DOWN, "", "", always, Msg::ScrollDown),
    b(PAGE_UP, "", "", always, Msg::PageUp),
    b(PAGE_DOWN, "", "", always, Msg::PageDown),
    b(PREVIEW_KEYS, "", "", always, Msg::TogglePreview),
];

const APPLY: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "retry", apply_failed, Msg::Retry),
        "r",
        "retry after a failure (re-reads the account and continues)",
    ),
    b(ENTER, "Enter", "verify", apply_ended_well, Msg::Next),
    b(ESC, "Esc", "back", apply_idle, Msg::Back),
];

const VERIFY: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "run again", verify_idle, Msg::RunAgain),
        "r",
        "run the checks again",
    ),
    b(ENTER, "Enter", "next", verify_idle, Msg::Next),
    b(ESC, "Esc", "back", verify_idle, Msg::Back),
];

const DATA: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "fetch again", data_idle, Msg::RunAgain),
        "r",
        "list and sample the bucket again",
    ),
    b(ENTER, "Enter", "next", data_idle, Msg::Next),
    b(ESC, "Esc", "back", always, Msg::Back),
];

const DONE: &[Binding] = &[
    with_help(
        b(UP, "↑↓", "value", always, Msg::Up),
        "↑ / ↓, c, a",
        "choose a value, copy it, copy all (Treasure Data: its in: block for td connector:guess; Snowflake at step 1: the SQL to run there; OSC 52 clipboard)",
    ),
    b(DOWN, "", "", always, Msg::Down),
    b(
        &[ch('c'), key(KeyCode::Enter)],
        "c",
        "copy",
        always,
        Msg::Copy,
    ),
    b(&[ch('a')], "a", "copy all", copies_all, Msg::CopyAll),
    b(
        &[ch('a')],
        "a",
        "copy in: block",
        copies_in_block,
        Msg::CopyAll,
    ),
    with_help(
        b(&[ch('e')], "e", "export", always, Msg::Export),
        "e",
        "export the bundle to a directory (as sluice export)",
    ),
    with_help(
        b(&[ch('d')], "d", "consume", consume_available, Msg::Consume),
        "d",
        "consume the queue now with the live dashboard, where the pipeline has a queue of its own (asks for the sink; q there drains, Q releases, then back here)",
    ),
    b(&[ch('d')], "", "", consume_unavailable, Msg::ExplainConsume),
    with_help(
        b(&[ch('k')], "k", "copy secret", has_secret, Msg::CopySecret),
        "k",
        "copy the new access key's secret (shown once)",
    ),
    b(ESC, "Esc", "back", always, Msg::Back),
];

/// The narrow preview shown instead of the form.
const PREVIEW_SHOWN: &[Binding] = &[
    b(PAGE_UP, "PgUp/Dn", "scroll", always, Msg::PageUp),
    b(PAGE_DOWN, "", "", always, Msg::PageDown),
    b(
        &[
            ctrl('p'),
            key(KeyCode::F(2)),
            key(KeyCode::Esc),
            key(KeyCode::Tab),
        ],
        "^P/Esc",
        "back to the form",
        always,
        Msg::ClosePreview,
    ),
];

const HELP_WINDOW: &[Binding] = &[
    b(UP, "↑↓", "scroll", always, Msg::HelpScroll(-1)),
    b(DOWN, "", "", always, Msg::HelpScroll(1)),
    b(PAGE_UP, "", "", always, Msg::HelpScroll(-10)),
    b(PAGE_DOWN, "", "", always, Msg::HelpScroll(10)),
    b(ESC, "Esc", "close", always, Msg::CloseOverlay),
];

const CONFIRM_QUIT: &[Binding] = &[
    b(&[ch('s')], "s", "save & quit", always, Msg::SaveAndQuit),
    b(&[ch('q'), ch('y')], "q", "quit", always, Msg::QuitNow),
    b(
        &[key(KeyCode::Esc), ch('n')],
        "Esc",
        "stay",
        always,
        Msg::CloseOverlay,
    ),
];

const CONFIRM_DELETE_SESSION: &[Binding] = &[
    b(&[ch('y')], "y", "delete", always, Msg::ConfirmDeleteSession),
    b(
        &[ch('n'), key(KeyCode::Esc)],
        "n/Esc",
        "keep it",
        always,
        Msg::CloseOverlay,
    ),
];

const CONFIRM_APPLY: &[Binding] = &[
    b(&[ch('y')], "y", "apply", always, Msg::ConfirmApply),
    b(
        &[ch('n'), key(KeyCode::Esc)],
        "n/Esc",
        "cancel",
        always,
        Msg::CancelApply,
    ),
];

const PICKER: &[Binding] = &[
    b(&[], "type", "filter", always, Msg::None),
    b(UP, "↑↓", "move", always, Msg::PickerMove(-1)),
    b(DOWN, "", "", always, Msg::PickerMove(1)),
    b(ENTER, "Enter", "choose", always, Msg::PickerChoose),
    b(&[key(KeyCode::Backspace)], "", "", always, Msg::PickerErase),
    b(ESC, "Esc", "cancel", always, Msg::CloseOverlay),
];

const PROMPT: &[Binding] = &[
    b(ENTER, "Enter", "confirm", always, Msg::PromptConfirm),
    b(ESC, "Esc", "cancel", always, Msg::CloseOverlay),
];

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
        let readme = include_str!("../../README.md");
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
