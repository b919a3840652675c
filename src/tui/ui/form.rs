//! The form pane: a step's introduction, then its fields. The layout is a
//! pure function of the app and the pane, shared with mouse handling.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{truncate, wrap};
use crate::tui::action::{Found, Target};
use crate::tui::app::{App, Connection, StatusKind, Step};
use crate::tui::form::{self, FieldId, Kind};
use crate::tui::preview::summary;

/// Rows the events checklist shows at once.
const CHECKLIST_ROWS: usize = 7;
/// Rows the sessions list shows at once.
const SESSION_ROWS: usize = 4;

fn intro_text(app: &App) -> &'static str {
    match app.step {
        Step::Welcome => {
            "Design an S3 → SQS ingestion pipeline step by step. Each step previews the documents it generates against what your account holds."
        }
        Step::Policy => {
            "The IAM policy the connector's role (and user) gets: read objects under the prefix, consume the queue."
        }
        Step::Role => {
            "The connector assumes this role with the external ID: temporary credentials, nothing to leak. Trust your vendor's account or role ARN."
        }
        Step::User => {
            "Access keys vs. roles: a role with an external ID gives the connector temporary credentials, nothing to rotate; AWS and the vendors recommend it. Create a user only if your connector takes nothing but an access key: its secret is shown once and must be rotated."
        }
        Step::Bucket => {
            "Where the data lands. Use an existing bucket and sluice manages only its own notification entry on it."
        }
        Step::Queue => {
            "S3 announces each new object on this standard queue; messages that keep failing move to the dead-letter queue."
        }
        Step::Notification => {
            "sluice's entry in the bucket's event notification, merged with the entries already there. Entries matching the same events on overlapping keys conflict."
        }
        _ => "",
    }
}

/// The introduction of the current step, wrapped to `width`.
pub fn intro_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let width = usize::from(width);
    let mut lines: Vec<Line<'static>> = wrap(intro_text(app), width)
        .into_iter()
        .map(|l| Line::styled(l, t.dim()))
        .collect();
    if app.step == Step::Welcome {
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
        match &app.connection {
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
                    app.spinner(),
                    app.profile.as_deref().unwrap_or("default chain")
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
        if let Some(endpoint) = &app.config.aws.endpoint_url {
            wrapped("Endpoint", format!("{endpoint} (overridden)"), t.warn());
        }
        let session = match (&app.session_path, &app.config.sessions_dir) {
            (Some(path), _) => format!("autosaved to {}", path.display()),
            (None, Some(dir)) => format!("new; autosaved under {}", dir.display()),
            (None, None) => "new (autosave is off)".to_owned(),
        };
        if let Some(error) = &app.derived.account_error {
            wrapped("Account", format!("✗ {error}"), t.error());
        }
        wrapped("Session", session, t.text());
        if let Some(path) = &app.save_path {
            wrapped(
                "Spec file",
                format!("{} (Ctrl-S saves)", path.display()),
                t.text(),
            );
        }
        if let Some(path) = &app.config.log_file {
            wrapped("Log", path.display().to_string(), t.dim());
        }
    }
    lines
}

/// What a name's background lookup found, for the line under its field.
pub fn lookup_line(app: &App, field: FieldId) -> Option<(String, StatusKind)> {
    if field == FieldId::DenyInsecureTransport {
        return insecure_endpoint_warning(app);
    }
    let target = match field {
        FieldId::PolicyName => Target::Policy,
        FieldId::RoleName => Target::Role,
        FieldId::UserName => Target::User,
        FieldId::BucketName => Target::Bucket,
        FieldId::QueueName => Target::Queue,
        FieldId::DlqName => Target::Dlq,
        _ => return None,
    };
    if !app.online() || !form::active(field, &app.spec) || app.field_error(field).is_some() {
        return None;
    }
    let slot = app.slots.get(&target)?;
    slot.key.as_ref()?;
    let Some(found) = &slot.found else {
        return Some((
            format!("{} looking it up…", app.spinner()),
            StatusKind::Info,
        ));
    };
    let spec = &app.spec;
    let account = app
        .connection
        .identity()
        .map(|i| i.account.clone())
        .unwrap_or_default();
    let (create, noun) = match target {
        Target::Bucket => (spec.bucket.create, "bucket"),
        Target::Queue => (spec.queue.create, "queue"),
        _ => (true, ""),
    };
    Some(match found {
        Found::Bucket(Ok(Some(bucket))) => (
            format!(
                "● exists in {}, owned by this account ({account}){}",
                bucket.region,
                if create {
                    ": its settings are brought in line"
                } else {
                    ""
                }
            ),
            StatusKind::Ok,
        ),
        Found::Queue(Ok(Some(_))) => (
            if create || target == Target::Dlq {
                "● exists in this account: its attributes are brought in line".to_owned()
            } else {
                "● exists in this account: sluice adds its statement to the access policy"
                    .to_owned()
            },
            StatusKind::Ok,
        ),
        Found::Policy(Ok(Some(_))) | Found::Role(Ok(Some(_))) | Found::User(Ok(Some(_))) => (
            "● exists in this account: sluice brings it in line".to_owned(),
            StatusKind::Ok,
        ),
        Found::Bucket(Ok(None)) | Found::Queue(Ok(None)) if !create => (
            format!("✗ no such {noun}: create one, or name one that exists"),
            StatusKind::Error,
        ),
        Found::Bucket(Err(e)) if e.kind == crate::aws::ErrorKind::AccessDenied => (
            "✗ exists, but not in this account: bucket names are global, choose another".to_owned(),
            StatusKind::Error,
        ),
        Found::Bucket(Err(e)) | Found::Queue(Err(e)) => {
            (format!("✗ {}", e.message), StatusKind::Error)
        }
        Found::Policy(Err(e)) | Found::Role(Err(e)) | Found::User(Err(e)) => {
            (format!("✗ {e}"), StatusKind::Error)
        }
        _ => (
            "○ does not exist yet: it will be created".to_owned(),
            StatusKind::Info,
        ),
    })
}

/// With a plain-HTTP endpoint (an emulator), the deny-insecure-transport
/// statement denies every request made through it: say so under its toggle.
fn insecure_endpoint_warning(app: &App) -> Option<(String, StatusKind)> {
    let endpoint = app
        .connection
        .clients()
        .and_then(|c| c.endpoint_url.clone())
        .or_else(|| app.config.aws.endpoint_url.clone())?;
    (app.spec.bucket.deny_insecure_transport
        && app.spec.bucket.create
        && endpoint.starts_with("http://"))
    .then(|| {
        (
            format!(
                "{endpoint} is plain HTTP: this statement denies every request made through it"
            ),
            StatusKind::Info,
        )
    })
}

fn message_rows(text: Option<String>, width: usize, max: usize) -> usize {
    text.map(|t| wrap(&t, width.saturating_sub(3)).len().min(max))
        .unwrap_or(0)
}

/// How many rows a field takes at `width`.
fn field_height(app: &App, field: FieldId, width: u16) -> u16 {
    let w = usize::from(width);
    let error = message_rows(app.field_error(field), w, 3);
    let lookup = message_rows(lookup_line(app, field).map(|(t, _)| t), w, 3);
    let rows = match field.kind() {
        Kind::Text | Kind::Number => 3 + error + lookup,
        Kind::Toggle | Kind::Select => 1 + error + lookup,
        Kind::List => {
            let items = app.spec.role.trusted_principals.len();
            let invalid = (0..items)
                .filter(|i| app.item_error(field, *i).is_some())
                .count();
            2 + items.max(1) + invalid + 1 + error
        }
        Kind::Checklist => 2 + form::event_rows(&app.spec).len().min(CHECKLIST_ROWS) + error,
        Kind::Sessions if app.sessions.is_empty() => 0,
        Kind::Sessions => 2 + app.sessions.len().min(SESSION_ROWS),
    };
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Where the intro and each field go inside the form pane's `inner` area,
/// scrolled so that the focused field is in view.
#[derive(Debug, Clone)]
pub struct FormLayout {
    pub intro: Vec<Line<'static>>,
    /// Rows of the intro scrolled away.
    pub skip: u16,
    pub fields: Vec<(FieldId, Rect)>,
    pub more_above: bool,
    pub more_below: bool,
}

pub fn layout(app: &App, inner: Rect) -> FormLayout {
    let intro = intro_lines(app, inner.width);
    let intro_height = u16::try_from(intro.len()).unwrap_or(u16::MAX) + 1;
    let mut placed = Vec::new();
    let mut y = intro_height;
    for field in form::fields(app.step) {
        if !form::visible(*field, &app.spec) {
            continue;
        }
        let height = field_height(app, *field, inner.width);
        if height == 0 {
            continue;
        }
        placed.push((*field, y, height));
        y += height;
    }
    let total = y;
    let mut offset = 0;
    if total > inner.height
        && let Some((_, top, height)) = placed.iter().find(|(f, _, _)| Some(*f) == app.focus)
    {
        let bottom = top + height;
        if bottom > inner.height {
            offset = (bottom - inner.height).min(*top);
        }
    }
    let fields = placed
        .into_iter()
        .filter(|(_, top, height)| *top >= offset && top + height - offset <= inner.height)
        .map(|(f, top, height)| {
            (
                f,
                Rect::new(inner.x, inner.y + top - offset, inner.width, height),
            )
        })
        .collect();
    FormLayout {
        intro,
        skip: offset,
        fields,
        more_above: offset > 0,
        more_below: total > inner.height + offset,
    }
}

/// The form pane's inner area for the current screen.
pub fn form_inner(app: &App) -> Option<Rect> {
    let main = super::body_areas(app).main?;
    Some(pane_block(app).inner(main))
}

/// Where each field of the current step is on screen.
pub fn field_rects(app: &App) -> Vec<(FieldId, Rect)> {
    match form_inner(app) {
        Some(inner) if app.step.is_form() => layout(app, inner).fields,
        _ => Vec::new(),
    }
}

fn pane_block(app: &App) -> Block<'static> {
    let t = &app.theme;
    let block = Block::bordered().border_style(t.dim()).title(Span::styled(
        format!(" {} · {} ", app.step.index() + 1, app.step.title()),
        t.title(),
    ));
    if super::wide(app) {
        block
    } else {
        // Narrow: the preview is a key away; say what it would show.
        block.title_bottom(
            Line::from(vec![
                Span::styled(" Ctrl-P preview: ", t.dim()),
                Span::styled(summary(&app.derived.preview), t.accent()),
                Span::raw(" "),
            ])
            .left_aligned(),
        )
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let block = pane_block(app);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let layout = layout(app, inner);
    let intro_height = u16::try_from(layout.intro.len()).unwrap_or(u16::MAX);
    if layout.skip < intro_height {
        let rect = Rect::new(
            inner.x,
            inner.y,
            inner.width,
            (intro_height - layout.skip).min(inner.height),
        );
        frame.render_widget(
            Paragraph::new(layout.intro.clone()).scroll((layout.skip, 0)),
            rect,
        );
    }
    for (field, rect) in &layout.fields {
        render_field(frame, app, *field, *rect);
    }
    let buf = frame.buffer_mut();
    if layout.more_above && area.width > 12 {
        buf.set_string(area.right() - 10, area.y, " ↑ more ", t.accent());
    }
    if layout.more_below && area.width > 12 {
        buf.set_string(area.right() - 10, area.bottom() - 1, " ↓ more ", t.accent());
    }
}

/// The error (and lookup) lines under a field, from row `y`.
fn render_messages(frame: &mut Frame, app: &App, field: FieldId, rect: Rect, mut y: u16) {
    let t = &app.theme;
    let width = usize::from(rect.width);
    let mut lines = Vec::new();
    if let Some(error) = app.field_error(field) {
        for (i, part) in wrap(&error, width.saturating_sub(3))
            .into_iter()
            .take(3)
            .enumerate()
        {
            let mark = if i == 0 { " ✗ " } else { "   " };
            lines.push((format!("{mark}{part}"), t.error()));
        }
    }
    if let Some((text, kind)) = lookup_line(app, field) {
        let style = match kind {
            StatusKind::Ok => t.ok(),
            StatusKind::Error => t.error(),
            StatusKind::Info => t.dim(),
        };
        for part in wrap(&text, width.saturating_sub(3)).into_iter().take(3) {
            lines.push((format!("   {part}"), style));
        }
    }
    let buf = frame.buffer_mut();
    for (text, style) in lines {
        if y >= rect.bottom() {
            break;
        }
        buf.set_stringn(rect.x, y, text, width, style);
        y += 1;
    }
}

fn render_field(frame: &mut Frame, app: &App, field: FieldId, rect: Rect) {
    let t = &app.theme;
    let focused = app.focus == Some(field) && app.overlay.is_none();
    let active = form::active(field, &app.spec);
    let invalid = app.field_invalid(field);
    let width = usize::from(rect.width);
    let label_style = if !active {
        t.dim()
    } else if invalid {
        t.error()
    } else if focused {
        t.title()
    } else {
        t.text()
    };
    match field.kind() {
        Kind::Text | Kind::Number => {
            let box_rect = Rect::new(rect.x, rect.y, rect.width, 3);
            let mut block = Block::bordered()
                .border_style(t.border(focused, invalid))
                .title(Span::styled(format!(" {} ", field.label()), label_style));
            if focused {
                block = block.title_bottom(Line::styled(" editing ", t.dim()).right_aligned());
            }
            let inner = block.inner(box_rect);
            frame.render_widget(block, box_rect);
            if focused {
                if let Some(input) = app.inputs.get(&field) {
                    frame.render_widget(input, inner);
                }
            } else {
                let text = app.input_text(field);
                let style = if active { t.text() } else { t.dim() };
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(&text, usize::from(inner.width)),
                        style,
                    )),
                    inner,
                );
            }
            render_messages(frame, app, field, rect, rect.y + 3);
        }
        Kind::Toggle => {
            let on = form::toggle_value(&app.spec, field);
            let text = format!("[{}] {}", if on { "x" } else { " " }, field.label());
            let style = if focused { t.focused() } else { label_style };
            let line = truncate(&text, width);
            let buf = frame.buffer_mut();
            if focused {
                buf.set_style(Rect::new(rect.x, rect.y, rect.width, 1), style);
            }
            buf.set_stringn(rect.x, rect.y, line, width, style);
            render_messages(frame, app, field, rect, rect.y + 1);
        }
        Kind::Select => {
            let (value, note) = select_display(app, field);
            let mut spans = vec![
                Span::styled(format!("{}: ", field.label()), label_style),
                Span::styled(
                    format!("‹ {value} ›"),
                    if focused {
                        t.focused()
                    } else if active {
                        t.accent()
                    } else {
                        t.dim()
                    },
                ),
            ];
            if !note.is_empty() {
                spans.push(Span::styled(format!("  {note}"), t.dim()));
            }
            frame.render_widget(
                Paragraph::new(Line::from(spans)),
                Rect::new(rect.x, rect.y, rect.width, 1),
            );
            render_messages(frame, app, field, rect, rect.y + 1);
        }
        Kind::List => render_principals(frame, app, field, rect, focused, invalid, label_style),
        Kind::Checklist => render_events(frame, app, field, rect, focused, invalid, label_style),
        Kind::Sessions => render_sessions(frame, app, rect, focused, label_style),
    }
}

/// The value a select shows, and its note.
pub fn select_display(app: &App, field: FieldId) -> (String, String) {
    match field {
        FieldId::Profile => (
            app.profile
                .clone()
                .unwrap_or_else(|| "default chain".to_owned()),
            if app.profiles.is_empty() {
                "no profiles in ~/.aws".to_owned()
            } else {
                format!("{} profile(s)", app.profiles.len())
            },
        ),
        FieldId::Region => (app.spec.region.clone(), String::new()),
        _ => match form::spec_select(&app.spec, field) {
            Some((options, i)) => (
                options.get(i).cloned().unwrap_or_default(),
                form::select_note(field, &app.spec).to_owned(),
            ),
            None => (String::new(), String::new()),
        },
    }
}

fn list_block(
    app: &App,
    title: String,
    focused: bool,
    invalid: bool,
    label: Style,
) -> Block<'static> {
    Block::bordered()
        .border_style(app.theme.border(focused, invalid))
        .title(Span::styled(format!(" {title} "), label))
}

fn render_principals(
    frame: &mut Frame,
    app: &App,
    field: FieldId,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &app.theme;
    let items = &app.spec.role.trusted_principals;
    let cursor = app.cursors.get(&field).copied().unwrap_or(items.len());
    let box_height =
        rect.height - message_rows(app.field_error(field), usize::from(rect.width), 3) as u16;
    let box_rect = Rect::new(rect.x, rect.y, rect.width, box_height);
    let block = list_block(app, field.label().to_owned(), focused, invalid, label);
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let mut y = inner.y;
    {
        let buf = frame.buffer_mut();
        if items.is_empty() {
            let account = app
                .connection
                .identity()
                .map(|i| i.account.clone())
                .unwrap_or_else(|| "the account applied in".to_owned());
            buf.set_stringn(
                inner.x,
                y,
                format!("(none: trusts the root of {account})"),
                width,
                t.dim(),
            );
            y += 1;
        }
        for (i, item) in items.iter().enumerate() {
            let error = app.item_error(field, i);
            let selected = focused && cursor == i;
            let style = if selected {
                t.focused()
            } else if error.is_some() {
                t.error()
            } else {
                t.text()
            };
            let mark = if error.is_some() { "✗ " } else { "• " };
            if selected {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            }
            buf.set_stringn(
                inner.x,
                y,
                truncate(&format!("{mark}{item}"), width),
                width,
                style,
            );
            y += 1;
            if let Some(error) = error {
                buf.set_stringn(
                    inner.x,
                    y,
                    truncate(&format!("  {error}"), width),
                    width,
                    t.error(),
                );
                y += 1;
            }
        }
    }
    let add_row = Rect::new(inner.x, y, inner.width, 1);
    if focused && cursor >= items.len() {
        if let Some(input) = app.inputs.get(&field) {
            frame.render_widget(input, add_row);
        }
    } else {
        let text = app.input_text(field);
        let (shown, style) = if text.is_empty() {
            ("+ add a principal".to_owned(), t.dim())
        } else {
            (text, t.text())
        };
        frame.render_widget(Paragraph::new(Span::styled(shown, style)), add_row);
    }
    render_messages(frame, app, field, rect, box_rect.bottom());
}

fn render_events(
    frame: &mut Frame,
    app: &App,
    field: FieldId,
    rect: Rect,
    focused: bool,
    invalid: bool,
    label: Style,
) {
    let t = &app.theme;
    let rows = form::event_rows(&app.spec);
    let chosen = app.spec.notification.events.len();
    let cursor = app
        .cursors
        .get(&field)
        .copied()
        .unwrap_or(0)
        .min(rows.len().saturating_sub(1));
    let visible = rows.len().min(CHECKLIST_ROWS);
    let start = cursor
        .saturating_sub(visible / 2)
        .min(rows.len().saturating_sub(visible));
    let box_rect = Rect::new(
        rect.x,
        rect.y,
        rect.width,
        u16::try_from(visible + 2).unwrap_or(3),
    );
    let mut block = list_block(
        app,
        format!("{} ({chosen} chosen)", field.label()),
        focused,
        invalid,
        label,
    );
    if rows.len() > visible {
        block = block.title_bottom(
            Line::styled(
                format!(" {}-{} of {} ", start + 1, start + visible, rows.len()),
                t.dim(),
            )
            .right_aligned(),
        );
    }
    let inner = block.inner(box_rect);
    frame.render_widget(block, box_rect);
    let width = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (row, event) in rows.iter().enumerate().skip(start).take(visible) {
        let on = app.spec.notification.events.contains(event);
        let y = inner.y + u16::try_from(row - start).unwrap_or(0);
        let selected = focused && row == cursor;
        let known = form::S3_EVENTS.contains(&event.as_str());
        let style = if selected {
            t.focused()
        } else if !known {
            t.error()
        } else if on {
            t.text().add_modifier(Modifier::BOLD)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        }
        buf.set_stringn(
            inner.x,
            y,
            truncate(&format!("[{}] {event}", if on { "x" } else { " " }), width),
            width,
            style,
        );
    }
    render_messages(frame, app, field, rect, box_rect.bottom());
}

fn render_sessions(frame: &mut Frame, app: &App, rect: Rect, focused: bool, label: Style) {
    let t = &app.theme;
    let field = FieldId::Sessions;
    let cursor = app.cursors.get(&field).copied().unwrap_or(0);
    let visible = app.sessions.len().min(SESSION_ROWS);
    let start = cursor.saturating_sub(visible.saturating_sub(1));
    let block = list_block(app, field.label().to_owned(), focused, false, label);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (i, session) in app.sessions.iter().enumerate().skip(start).take(visible) {
        let y = inner.y + u16::try_from(i - start).unwrap_or(0);
        let when = session
            .modified
            .map(|m| {
                chrono::DateTime::<chrono::Utc>::from(m)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or_default();
        let current = app.session_path.as_ref() == Some(&session.path);
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
