//! What a binding is: a [`Press`] of a key, the [`Msg`] it sends, the
//! [`Binding`] that ties them with when it applies and its hint, the
//! [`Keymap`] of a screen or window, and the little constructors the
//! tables are written with.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::app::App;

/// A key, as a binding names it. A binding with CONTROL needs Ctrl held;
/// one without refuses it (Shift and Alt are ignored: `?` is Shift-/).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub code: KeyCode,
    pub ctrl: bool,
}

pub(super) const fn key(code: KeyCode) -> Press {
    Press { code, ctrl: false }
}

pub(super) const fn ch(c: char) -> Press {
    key(KeyCode::Char(c))
}

pub(super) const fn ctrl(c: char) -> Press {
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

pub(super) fn always(_: &App) -> bool {
    true
}

pub(super) const fn b(
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

pub(super) const fn with_help(
    mut binding: Binding,
    keys: &'static str,
    what: &'static str,
) -> Binding {
    binding.help = Some((keys, what));
    binding
}
