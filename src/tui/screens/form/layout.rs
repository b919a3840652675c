//! Where each field goes (shared with mouse handling): the step's intro,
//! the lines under a field, each field's height, and the scrolled layout
//! of the form pane.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::choices::select_note_below;
use super::notes::lookup_note;
use super::state::{CHECKLIST_ROWS, FormScreen};
use crate::tui::fields::{self, FieldId, Kind};
use crate::tui::layout::body_areas;
use crate::tui::model::{Model, StatusKind};
use crate::tui::screens::welcome;
use crate::tui::step::Step;
use crate::tui::widgets::wrap;

/// What a step is for; a pipeline without a queue of its own (a pull
/// import, a destination) hears nothing of queues. (Without a queue and a
/// vendor's, there is no Notification step: see [`Step::applies`].)
fn intro_text(spec: &crate::spec::Spec, step: Step) -> &'static str {
    let no_queue_of_ours =
        !spec.has_queue() && spec.profile().shape != crate::spec::Shape::ForeignQueue;
    match step {
        Step::Welcome => welcome::INTRO,
        Step::Policy if no_queue_of_ours => {
            "The IAM policy the connector's role (and user) gets: the bucket and the objects under the prefix, as the vendor's guide asks."
        }
        // Only a queue-fed shape with its queue turned off is here without one.
        Step::Queue if !spec.has_queue() => {
            "No queue: nothing tells the connector of new objects. Turn the queue on to have S3 announce each one on it."
        }
        Step::Policy => {
            "The IAM policy the connector's role (and user) gets: read objects under the prefix, consume the queue."
        }
        Step::Role => {
            "The connector assumes this role with the external ID: temporary credentials, nothing to leak. Trust your vendor's account or role ARN."
        }
        Step::User => {
            "Access keys vs. roles: a role with an external ID gives the connector temporary credentials, nothing to rotate; AWS recommends it, and Tarsal's, Databend's and Hevo's setup guides use one. Create a user only if your connector takes nothing but an access key: its secret is shown once and must be rotated."
        }
        Step::Bucket if spec.profile().shape == crate::spec::Shape::Destination => {
            "Where the vendor writes. Use an existing bucket and sluice merges its own bucket-policy statement with those already there."
        }
        Step::Bucket if spec.profile().shape == crate::spec::Shape::Pull => {
            "What the vendor reads. Use an existing bucket and sluice merges its own bucket-policy statement with those already there."
        }
        Step::Bucket => {
            "Where the data lands. Use an existing bucket and sluice manages only its own notification entry on it."
        }
        Step::Queue => {
            "S3 announces each new object on this standard queue; messages that keep failing move to the dead-letter queue."
        }
        Step::Notification => {
            "How the bucket's events reach the queue: an entry of ours merged with the entries already there (entries matching the same events on overlapping keys conflict), or, on a shared bucket, its SNS topic or EventBridge."
        }
        _ => "",
    }
}

/// The introduction of the current step, wrapped to `width`.
pub fn intro_lines(model: &Model, width: u16) -> Vec<Line<'static>> {
    let t = &model.theme;
    let width = usize::from(width);
    let mut lines: Vec<Line<'static>> = wrap(intro_text(&model.spec, model.step), width)
        .into_iter()
        .map(|l| Line::styled(l, t.dim()))
        .collect();
    if model.step == Step::Welcome {
        welcome::status_lines(model, width, &mut lines);
    }
    if let Some(order) = two_steps_text(model) {
        lines.extend(
            wrap(&order, width)
                .into_iter()
                .map(|l| Line::styled(l, t.warn())),
        );
    }
    lines
}

/// On the Role and Notification steps of a two-step profile (Snowflake's):
/// in which order its values come, and where the spec stands.
fn two_steps_text(model: &Model) -> Option<String> {
    let spec = &model.spec;
    let p = spec.profile();
    if !p.two_steps || !matches!(model.step, Step::Role | Step::Notification) {
        return None;
    }
    let here = if model.step == Step::Role {
        "DESC INTEGRATION's STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID here"
    } else {
        "the pipe's notification_channel (SHOW PIPES) here"
    };
    let now = if spec.pending_vendor_values().is_empty() {
        "This spec has them: step 2."
    } else {
        "Not given yet: step 1 of 2."
    };
    Some(format!(
        "{} in two steps. Step 1: leave its values blank and apply; Done shows the SQL to run in {}. Step 2: paste {here}, then apply again. {now}",
        p.vendor, p.vendor
    ))
}

/// The lines under a field at `width`: its error, wrapped whole, then
/// what the account lookup found. The layout measures a field by them and
/// drawing writes them, so an error always has its rows.
pub(super) fn message_lines(
    model: &Model,
    form: &FormScreen,
    field: FieldId,
    width: usize,
) -> Vec<(String, Style)> {
    let t = &model.theme;
    let error = form.field_error(model, field);
    // What the prefix also matches, as it is typed (an error says more).
    let hint = (field == FieldId::Prefix && error.is_none())
        .then(|| crate::docs::open_prefix(&model.spec.bucket.prefix))
        .flatten();
    let mut lines = error_lines(model, error, width);
    if let Some(hint) = hint {
        lines.extend(
            wrap(
                &format!("{hint}; end it with `/` to mean the folder"),
                width.saturating_sub(3),
            )
            .into_iter()
            .map(|part| (format!("   {part}"), t.warn())),
        );
    }
    if let Some(why) = fields::not_applicable(&model.spec, field) {
        lines.extend(
            wrap(&why, width.saturating_sub(3))
                .into_iter()
                .map(|part| (format!("   {part}"), t.dim())),
        );
    }
    if let Some(note) = lookup_note(model, form, field) {
        let style = match note.kind {
            StatusKind::Ok => t.ok(),
            StatusKind::Error => t.error(),
            StatusKind::Info => t.dim(),
        };
        lines.extend(
            wrap(&note.line(), width.saturating_sub(3))
                .into_iter()
                .map(|part| (format!("   {part}"), style)),
        );
    }
    lines
}

/// An error wrapped to `width`, marked ✗ on its first line.
pub(super) fn error_lines(
    model: &Model,
    error: Option<String>,
    width: usize,
) -> Vec<(String, Style)> {
    let Some(error) = error else {
        return Vec::new();
    };
    wrap(&error, width.saturating_sub(3))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mark = if i == 0 { " ✗ " } else { "   " };
            (format!("{mark}{part}"), model.theme.error())
        })
        .collect()
}

/// The rows of the error of principal `i`, wrapped under it.
pub(super) fn item_error_lines(
    model: &Model,
    form: &FormScreen,
    i: usize,
    width: usize,
) -> Vec<String> {
    form.item_error(model, FieldId::TrustedPrincipals, i)
        .map(|error| {
            wrap(&error, width.saturating_sub(2))
                .into_iter()
                .map(|part| format!("  {part}"))
                .collect()
        })
        .unwrap_or_default()
}

/// How many rows a field takes at `width`.
fn field_height(model: &Model, form: &FormScreen, field: FieldId, width: u16) -> u16 {
    let w = usize::from(width);
    let messages = message_lines(model, form, field, w).len();
    let rows = match field.kind() {
        Kind::Text | Kind::Number => 3 + messages,
        Kind::Toggle => 1 + messages,
        Kind::Select => 1 + select_note_below(model, field, w).len() + messages,
        Kind::List => {
            let items = model.spec.role.trusted_principals.len();
            // The items' errors wrap inside the box's borders.
            let invalid: usize = (0..items)
                .map(|i| item_error_lines(model, form, i, w.saturating_sub(2)).len())
                .sum();
            2 + items.max(1) + invalid + 1 + messages
        }
        Kind::Checklist => 2 + fields::event_rows(&model.spec).len().min(CHECKLIST_ROWS) + messages,
        Kind::Sessions => welcome::sessions_height(model),
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

pub fn layout(model: &Model, form: &FormScreen, inner: Rect) -> FormLayout {
    let intro = intro_lines(model, inner.width);
    let intro_height = u16::try_from(intro.len()).unwrap_or(u16::MAX) + 1;
    let mut placed = Vec::new();
    let mut y = intro_height;
    for field in fields::of_step(model.step) {
        if !field.visible(&model.spec) {
            continue;
        }
        // A field with a long error is never taller than the pane, so
        // that it can always be scrolled into view.
        let height = field_height(model, form, field, inner.width).min(inner.height);
        if height == 0 {
            continue;
        }
        placed.push((field, y, height));
        y += height;
    }
    let total = y;
    let mut offset = 0;
    if total > inner.height
        && let Some((_, top, height)) = placed.iter().find(|(f, _, _)| Some(*f) == form.focus)
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

/// Where each field of the current step is on screen.
pub fn field_rects(model: &Model, form: &FormScreen) -> Vec<(FieldId, Rect)> {
    match body_areas(model).main {
        Some(main) if model.step.is_form() => {
            layout(model, form, crate::tui::layout::inner(main)).fields
        }
        _ => Vec::new(),
    }
}
