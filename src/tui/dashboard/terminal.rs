//! The terminal: raw mode on the alternate screen, restored when the guard
//! drops (errors included) and by a panic hook. The dashboard draws on stdout,
//! or on stderr when stdout carries records to a pipe or a file.

use std::io::{BufWriter, IsTerminal, Write};

use anyhow::{Context, bail};
use crossterm::cursor::Show;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Which stream the dashboard draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Stdout,
    Stderr,
}

impl Screen {
    /// Stdout when it is a terminal (and records do not go there), else stderr
    /// when that is one.
    pub fn pick(records_on_stdout: bool) -> anyhow::Result<Screen> {
        if std::io::stdout().is_terminal() {
            if records_on_stdout {
                bail!(
                    "records would be written to the terminal, under the dashboard: pass --sink dir:PATH (or --sink null), redirect stdout, or run with --headless"
                );
            }
            Ok(Screen::Stdout)
        } else if std::io::stderr().is_terminal() {
            Ok(Screen::Stderr)
        } else {
            bail!(
                "the dashboard needs a terminal: run with --headless (JSON metrics lines on stderr)"
            )
        }
    }

    fn writer(self) -> Box<dyn Write + Send> {
        match self {
            Screen::Stdout => Box::new(std::io::stdout()),
            Screen::Stderr => Box::new(std::io::stderr()),
        }
    }
}

pub type Backend = CrosstermBackend<BufWriter<Box<dyn Write + Send>>>;

/// Leaves raw mode and the alternate screen. Safe to call more than once.
fn restore(screen: Screen) {
    let _ = disable_raw_mode();
    let mut out = screen.writer();
    let _ = crossterm::execute!(out, LeaveAlternateScreen, Show);
    let _ = out.flush();
}

/// The terminal in raw mode on the alternate screen until dropped.
pub struct Guard {
    pub terminal: Terminal<Backend>,
    screen: Screen,
}

impl Guard {
    pub fn enter(screen: Screen) -> anyhow::Result<Guard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore(screen);
            previous(info);
        }));
        enable_raw_mode().context("cannot set up the terminal (raw mode)")?;
        let mut out = screen.writer();
        if let Err(e) = crossterm::execute!(out, EnterAlternateScreen) {
            restore(screen);
            return Err(e).context("cannot set up the terminal (alternate screen)");
        }
        // Frames are written in one go (stderr is unbuffered otherwise).
        let backend = CrosstermBackend::new(BufWriter::with_capacity(1 << 16, out));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(Guard { terminal, screen }),
            Err(e) => {
                restore(screen);
                Err(e).context("cannot set up the terminal")
            }
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore(self.screen);
    }
}
