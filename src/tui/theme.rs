//! Colours and emphasis. Every style the wizard draws with comes from here, so
//! `NO_COLOR` (<https://no-color.org>) turns colour off in one place: meaning is
//! then carried by symbols (✓ ✗ + −) and by bold / reversed / underlined text.

use ratatui::style::{Color, Modifier, Style};

/// The wizard's palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Secondary text: hints, help lines, disabled fields.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// The brand / focus colour.
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn title(&self) -> Style {
        self.accent().add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn error(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// The border of a field: red when invalid, accent when focused.
    pub fn border(&self, focused: bool, invalid: bool) -> Style {
        match (invalid, focused) {
            (true, _) => self.error(),
            (false, true) => {
                if self.color {
                    self.accent()
                } else {
                    Style::new().add_modifier(Modifier::BOLD)
                }
            }
            (false, false) => self.dim(),
        }
    }

    /// A focused one-line control (toggle, select, list row).
    pub fn focused(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// The current step in the step bar.
    pub fn current_step(&self) -> Style {
        self.focused()
    }

    pub fn insert(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn delete(&self) -> Style {
        self.fg(Color::Red)
    }

    pub fn hunk(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::DIM)
    }

    /// A badge such as `new`, `no change`, `conflict`.
    pub fn badge(&self, kind: BadgeKind) -> Style {
        let base = Style::new().add_modifier(Modifier::BOLD);
        if !self.color {
            return base.add_modifier(Modifier::REVERSED);
        }
        let bg = match kind {
            BadgeKind::New => Color::Green,
            BadgeKind::Change => Color::Yellow,
            BadgeKind::Same => Color::Blue,
            BadgeKind::Bad => Color::Red,
            BadgeKind::Neutral => Color::DarkGray,
        };
        base.fg(Color::Black).bg(bg)
    }
}

/// What a badge says about its subject, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeKind {
    New,
    Change,
    Same,
    Bad,
    Neutral,
}
