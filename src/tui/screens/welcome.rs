//! The welcome step: what the credentials are, where the session is saved,
//! and the list of saved sessions to resume or delete, each with its
//! connector, the step it was left at and whether it was applied. Its fields (stack name,
//! profile, region, sessions) are in the field table; this module draws
//! what is particular to it.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::tui::model::{Connection, Model};
use crate::tui::session::SessionInfo;
use crate::tui::widgets::{truncate, wrap};

/// Sessions the list shows at once.
pub const SESSION_ROWS: usize = 4;

pub const INTRO: &str = "Design an S3 → SQS ingestion pipeline step by step. Each step previews the documents it generates against what your account holds.";

/// The lines below the introduction: credentials, endpoint, session, files.
pub fn status_lines(model: &Model, width: usize, lines: &mut Vec<Line<'static>>) {
    let t = &model.theme;
    lines.push(Line::raw(""));
    let label = |s: &str| Span::styled(format!("{s:<12}"), t.dim());
    let indent = 12;
    let mut wrapped = |first: &str, text: String, style: Style| {
        for (i, part) in wrap(&text, width.saturating_sub(indent))
            .into_iter()
            .enumerate()
        {
            lines.push(Line::from(vec![
                label(if i == 0 { first } else { "" }),
                Span::styled(part, style),
            ]));
        }
    };
    match &model.connection {
        Connection::Online { identity, .. } => {
            wrapped(
                "Credentials",
                format!("● account {}", identity.account),
                t.ok().add_modifier(Modifier::BOLD),
            );
            wrapped("", identity.arn.clone(), t.text());
        }
        Connection::Connecting => wrapped(
            "Credentials",
            format!(
                "{} asking STS who these credentials are ({})…",
                model.spinner(),
                model.profile.as_deref().unwrap_or("default chain")
            ),
            t.dim(),
        ),
        Connection::Offline { reason } => {
            wrapped(
                "Credentials",
                "○ OFFLINE: design, preview and export work; apply, verify and data preview need credentials (Ctrl-R retries)."
                    .to_owned(),
                t.warn().add_modifier(Modifier::BOLD),
            );
            wrapped("", reason.clone(), t.dim());
        }
    }
    if let Some(endpoint) = &model.config.aws.endpoint_url {
        wrapped("Endpoint", format!("{endpoint} (overridden)"), t.warn());
    }
    let session = match (&model.session_path, &model.config.sessions_dir) {
        (Some(path), _) => format!("autosaved to {}", path.display()),
        (None, Some(dir)) => format!("new; autosaved under {}", dir.display()),
        (None, None) => "new (autosave is off)".to_owned(),
    };
    if let Some(error) = &model.derived.account_error {
        wrapped("Account", format!("✗ {error}"), t.error());
    }
    wrapped("Session", session, t.text());
    if let Some(path) = &model.save_path {
        wrapped(
            "Spec file",
            format!("{} (Ctrl-S saves)", path.display()),
            t.text(),
        );
    }
    if let Some(path) = &model.config.log_file {
        wrapped("Log", path.display().to_string(), t.dim());
    }
}

/// Rows the sessions field takes (none without sessions).
pub fn sessions_height(model: &Model) -> usize {
    if model.sessions.is_empty() {
        0
    } else {
        2 + model.sessions.len().min(SESSION_ROWS)
    }
}

/// The first session the list shows with `cursor` on one, and how many.
fn sessions_window(model: &Model, cursor: usize) -> (usize, usize) {
    let visible = model.sessions.len().min(SESSION_ROWS);
    (cursor.saturating_sub(visible.saturating_sub(1)), visible)
}

/// The session drawn at `row` of the list, if any.
pub fn session_at(model: &Model, cursor: usize, row: usize) -> Option<usize> {
    let (start, visible) = sessions_window(model, cursor);
    (row < visible).then_some(start + row)
}

/// How much [`session_details`] says, richest first: how the apply is
/// dated, and how the save is (`None`: not at all).
const DETAIL_LEVELS: [(Option<&str>, Option<&str>); 4] = [
    (Some("%Y-%m-%d"), Some("%Y-%m-%d %H:%M UTC")),
    (Some("%Y-%m-%d"), Some("%Y-%m-%d")),
    (None, Some("%Y-%m-%d")),
    (None, None),
];

/// What tells a session apart, beside its name: its connector, the step
/// it was left at, whether (and when) the wizard applied it, and when it
/// was saved, as [`DETAIL_LEVELS`]`[level]` dates them. The session being
/// worked on is described as it is now.
fn session_details(model: &Model, session: &SessionInfo, current: bool, level: usize) -> String {
    let (connector, step, applied) = if current {
        (Some(model.spec.connector), Some(model.step), model.applied)
    } else {
        let place = session.place.as_ref();
        (
            session.connector,
            place.map(|p| p.step),
            place.and_then(|p| p.applied),
        )
    };
    let at = |t: SystemTime, format: &str| {
        chrono::DateTime::<chrono::Utc>::from(t)
            .format(format)
            .to_string()
    };
    let (applied_as, saved_as) = DETAIL_LEVELS[level.min(DETAIL_LEVELS.len() - 1)];
    let mut parts = Vec::new();
    if let Some(connector) = connector {
        parts.push(crate::spec::profile(connector).vendor.to_owned());
    }
    if let Some(step) = step {
        parts.push(format!("at {}", step.title()));
    }
    parts.push(match (applied, applied_as) {
        (None, _) => "not applied".to_owned(),
        (Some(t), Some(format)) => format!("applied {}", at(t, format)),
        (Some(_), None) => "applied".to_owned(),
    });
    if let (Some(t), Some(format)) = (session.modified, saved_as) {
        parts.push(format!("saved {}", at(t, format)));
    }
    parts.join(" · ")
}

/// The saved sessions, one a row, the one at `cursor` selected when `focused`.
pub fn render_sessions(
    frame: &mut Frame,
    model: &Model,
    rect: Rect,
    cursor: usize,
    focused: bool,
    block: Block<'static>,
) {
    let t = &model.theme;
    let (start, visible) = sessions_window(model, cursor);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width);
    let current = |session: &SessionInfo| model.session_path.as_ref() == Some(&session.path);
    let shown: Vec<(usize, &SessionInfo, String)> = model
        .sessions
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, session)| {
            let name = if current(session) {
                format!("{} (this session)", session.name)
            } else {
                session.name.clone()
            };
            (i, session, name)
        })
        .collect();
    // The names in a column, at most a third of the row.
    let name_width = shown
        .iter()
        .map(|(_, _, name)| name.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 3);
    // One level for every row, the richest that all of them fit.
    let room = width.saturating_sub(name_width + 4);
    let level = (0..DETAIL_LEVELS.len())
        .find(|level| {
            shown.iter().all(|(_, session, _)| {
                session_details(model, session, current(session), *level)
                    .chars()
                    .count()
                    <= room
            })
        })
        .unwrap_or(DETAIL_LEVELS.len() - 1);
    let buf = frame.buffer_mut();
    for (row, (i, session, name)) in shown.iter().enumerate() {
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        let selected = focused && *i == cursor;
        let mark = if selected { "› " } else { "  " };
        let details = session_details(model, session, current(session), level);
        let (style, dim) = if selected {
            (t.focused(), t.focused())
        } else {
            (t.text(), t.dim())
        };
        let name = format!("{mark}{:<name_width$}  ", truncate(name, name_width));
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        }
        let line = Line::from(vec![
            Span::styled(name, style),
            Span::styled(truncate(&details, room), dim),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
    }
}
