//! The keymaps: for each screen and window, its bindings in the order the
//! hint bar shows them.

use crossterm::event::KeyCode;

use super::binding::*;
use super::when::*;

pub(super) const PAGE_UP: &[Press] = &[key(KeyCode::PageUp)];
pub(super) const PAGE_DOWN: &[Press] = &[key(KeyCode::PageDown)];
pub(super) const PREVIEW_KEYS: &[Press] = &[ctrl('p'), key(KeyCode::F(2))];
pub(super) const UP: &[Press] = &[key(KeyCode::Up)];
pub(super) const DOWN: &[Press] = &[key(KeyCode::Down)];
pub(super) const ENTER: &[Press] = &[key(KeyCode::Enter)];
pub(super) const ESC: &[Press] = &[key(KeyCode::Esc)];

/// Keys every screen ends with.
pub(super) const COMMON: &[Binding] = &[
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
pub(super) const QUIT_ANYWHERE: &[Binding] = &[b(&[ctrl('c')], "", "", always, Msg::Quit)];

/// PgUp / PgDn and Ctrl-P on screens with the preview pane.
pub(super) const PREVIEW_PANE: &[Binding] = &[
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
pub(super) const FORM: &[Binding] = &[
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

pub(super) const WELCOME: &[Binding] = &[
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

pub(super) const ROLE: &[Binding] = &[
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

pub(super) const BUCKET: &[Binding] = &[
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

pub(super) const REVIEW: &[Binding] = &[
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
pub(super) const SCROLL: &[Binding] = &[
    b(UP, "", "", always, Msg::ScrollUp),
    b(DOWN, "", "", always, Msg::ScrollDown),
    b(PAGE_UP, "", "", always, Msg::PageUp),
    b(PAGE_DOWN, "", "", always, Msg::PageDown),
    b(PREVIEW_KEYS, "", "", always, Msg::TogglePreview),
];

pub(super) const APPLY: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "retry", apply_failed, Msg::Retry),
        "r",
        "retry after a failure (re-reads the account and continues)",
    ),
    b(ENTER, "Enter", "verify", apply_ended_well, Msg::Next),
    b(ESC, "Esc", "back", apply_idle, Msg::Back),
];

pub(super) const VERIFY: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "run again", verify_idle, Msg::RunAgain),
        "r",
        "run the checks again",
    ),
    b(ENTER, "Enter", "next", verify_idle, Msg::Next),
    b(ESC, "Esc", "back", verify_idle, Msg::Back),
];

pub(super) const DATA: &[Binding] = &[
    with_help(
        b(&[ch('r')], "r", "fetch again", data_idle, Msg::RunAgain),
        "r",
        "list and sample the bucket again",
    ),
    b(ENTER, "Enter", "next", data_idle, Msg::Next),
    b(ESC, "Esc", "back", always, Msg::Back),
];

pub(super) const DONE: &[Binding] = &[
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
pub(super) const PREVIEW_SHOWN: &[Binding] = &[
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

pub(super) const HELP_WINDOW: &[Binding] = &[
    b(UP, "↑↓", "scroll", always, Msg::HelpScroll(-1)),
    b(DOWN, "", "", always, Msg::HelpScroll(1)),
    b(PAGE_UP, "", "", always, Msg::HelpScroll(-10)),
    b(PAGE_DOWN, "", "", always, Msg::HelpScroll(10)),
    b(ESC, "Esc", "close", always, Msg::CloseOverlay),
];

pub(super) const CONFIRM_QUIT: &[Binding] = &[
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

pub(super) const CONFIRM_DELETE_SESSION: &[Binding] = &[
    b(&[ch('y')], "y", "delete", always, Msg::ConfirmDeleteSession),
    b(
        &[ch('n'), key(KeyCode::Esc)],
        "n/Esc",
        "keep it",
        always,
        Msg::CloseOverlay,
    ),
];

pub(super) const CONFIRM_APPLY: &[Binding] = &[
    b(&[ch('y')], "y", "apply", always, Msg::ConfirmApply),
    b(
        &[ch('n'), key(KeyCode::Esc)],
        "n/Esc",
        "cancel",
        always,
        Msg::CancelApply,
    ),
];

pub(super) const PICKER: &[Binding] = &[
    b(&[], "type", "filter", always, Msg::None),
    b(UP, "↑↓", "move", always, Msg::PickerMove(-1)),
    b(DOWN, "", "", always, Msg::PickerMove(1)),
    b(ENTER, "Enter", "choose", always, Msg::PickerChoose),
    b(&[key(KeyCode::Backspace)], "", "", always, Msg::PickerErase),
    b(ESC, "Esc", "cancel", always, Msg::CloseOverlay),
];

pub(super) const PROMPT: &[Binding] = &[
    b(ENTER, "Enter", "confirm", always, Msg::PromptConfirm),
    b(ESC, "Esc", "cancel", always, Msg::CloseOverlay),
];
