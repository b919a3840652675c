//! The welcome step: what the credentials are, where the session is saved,
//! and the list of saved sessions to resume. Its fields (stack name,
//! profile, region, sessions) are in the field table; this module draws
//! what is particular to it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::tui::model::{Connection, Model};
use crate::tui::widgets::{truncate, wrap};

/// Rows the sessions list shows at once.
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

/// The saved sessions, the one at `cursor` selected when `focused`.
pub fn render_sessions(
    frame: &mut Frame,
    model: &Model,
    rect: Rect,
    cursor: usize,
    focused: bool,
    block: Block<'static>,
) {
    let t = &model.theme;
    let visible = model.sessions.len().min(SESSION_ROWS);
    let start = cursor.saturating_sub(visible.saturating_sub(1));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (i, session) in model.sessions.iter().enumerate().skip(start).take(visible) {
        let y = inner.y + u16::try_from(i - start).unwrap_or(0);
        let when = session
            .modified
            .map(|m| {
                chrono::DateTime::<chrono::Utc>::from(m)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or_default();
        let current = model.session_path.as_ref() == Some(&session.path);
        let name = format!(
            "{}{}",
            session.name,
            if current { " (this session)" } else { "" }
        );
        let pad = width.saturating_sub(when.chars().count() + 1);
        let text = format!("{:<pad$} {when}", truncate(&name, pad));
        let selected = focused && i == cursor;
        let style = if selected { t.focused() } else { t.text() };
        buf.set_stringn(inner.x, y, text, width, style);
    }
}
