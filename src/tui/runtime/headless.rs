//! The wizard without a terminal ([`Headless`]), and drawing an app on a
//! test backend.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Runtime;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::model::Setup;
use crate::tui::view;

/// The wizard without a terminal: tests (and scripts) send keys and wait for
/// conditions, like a user who can read the screen.
pub struct Headless {
    pub runtime: Runtime,
    rx: UnboundedReceiver<Action>,
}

impl Headless {
    /// The wizard from `setup` at a `width`×`height` screen. Inside a tokio runtime.
    pub fn new(setup: Setup, width: u16, height: u16) -> Headless {
        let (mut runtime, rx) = Runtime::new(App::new(setup));
        runtime.dispatch(Action::Resize(width, height));
        Headless { runtime, rx }
    }

    pub fn app(&self) -> &App {
        &self.runtime.app
    }

    pub fn send(&mut self, action: Action) {
        self.runtime.dispatch(action);
    }

    /// Presses a key.
    pub fn press(&mut self, code: KeyCode) {
        self.press_with(code, KeyModifiers::NONE);
    }

    pub fn press_with(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.send(Action::Key(KeyEvent::new(code, modifiers)));
    }

    /// Ctrl + a letter.
    pub fn ctrl(&mut self, c: char) {
        self.press_with(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    /// Types `text` key by key.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Handles background results and due timers until `done` holds (true)
    /// or `timeout` passes (false).
    pub async fn wait_for(&mut self, timeout: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.runtime.app) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let wake = self
                .runtime
                .app
                .next_wakeup()
                .map_or(deadline, |w| w.min(deadline))
                .max(now);
            tokio::select! {
                action = self.rx.recv() => match action {
                    Some(action) => self.runtime.dispatch(action),
                    None => return done(&self.runtime.app),
                },
                () = tokio::time::sleep_until(wake.into()) => self.runtime.dispatch(Action::Tick),
            }
        }
    }

    /// The screen as a test backend draws it.
    pub fn draw(&self) -> Terminal<TestBackend> {
        draw(&self.runtime.app)
    }

    /// The screen's text, one line per row.
    pub fn screen(&self) -> String {
        screen_text(&self.draw())
    }

    /// Everything copied to the clipboard so far.
    pub fn clipboard(&self) -> &[String] {
        &self.runtime.clipboard
    }
}

/// Draws `app` on a test backend of its size.
pub fn draw(app: &App) -> Terminal<TestBackend> {
    let backend = TestBackend::new(app.model.size.0, app.model.size.1);
    let mut terminal = match Terminal::new(backend) {
        Ok(terminal) => terminal,
        Err(never) => match never {},
    };
    let _ = terminal.draw(|frame| view::render(frame, app));
    terminal
}

/// The text of a test backend's screen, one line per row, right-trimmed.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
