//! The live preview: for the current step, the documents the spec generates
//! as a diff against what the account holds, computed from the plan and the
//! lookups after each change; and the pane that draws it, hard-wrapped and
//! scrolled with PgUp/PgDn.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};
use serde_json::Value;

use crate::aws::plan::{PlanAction, PlanItem};
use crate::docs::diff::{DiffTag, json_diff};
use crate::docs::{NotificationConfiguration, ResourceKind, Target};

use super::action::{Found, SlotId};
use super::layout::wide;
use super::model::Model;
use super::step::Step;
use super::theme::BadgeKind;
use super::widgets::{truncate, wrap};
use crate::aws::observe::read_with;

/// One document (or note) of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub badge: Option<(String, BadgeKind)>,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Hunk,
    Context,
    Insert,
    Delete,
    /// The document as it stands (no change).
    Plain,
    Note,
    Error,
}

impl Line {
    fn new(kind: LineKind, text: impl Into<String>) -> Line {
        Line {
            kind,
            text: text.into(),
        }
    }

    /// The line as drawn, with its diff marker.
    pub fn marked(&self) -> String {
        match self.kind {
            LineKind::Context | LineKind::Plain => format!(" {}", self.text),
            LineKind::Insert => format!("+{}", self.text),
            LineKind::Delete => format!("-{}", self.text),
            LineKind::Hunk | LineKind::Note | LineKind::Error => self.text.clone(),
        }
    }
}

/// What a resource is called in the preview.
pub fn describe(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Policy => "permissions policy",
        ResourceKind::Role => "role: trust policy and attachment",
        ResourceKind::User => "user and attachment",
        ResourceKind::Bucket => "bucket settings and policy",
        ResourceKind::DeadLetterQueue => "dead-letter queue attributes",
        ResourceKind::Queue => "queue attributes and policy",
        ResourceKind::Notification => "bucket notification (merged)",
        ResourceKind::Subscription => "subscription to the bucket's topic",
        ResourceKind::Rule => "EventBridge rule and target",
        ResourceKind::AlarmTopic => "the alarms' SNS topic and its policy",
        ResourceKind::Alarm => "CloudWatch alarm",
    }
}

/// The diff counts of a line list: (inserted, deleted).
fn counts(lines: &[Line]) -> (usize, usize) {
    lines.iter().fold((0, 0), |(i, d), l| match l.kind {
        LineKind::Insert => (i + 1, d),
        LineKind::Delete => (i, d + 1),
        _ => (i, d),
    })
}

fn diff_lines(before: Option<&Value>, after: Option<&Value>) -> Vec<Line> {
    json_diff(before, after)
        .into_iter()
        .map(|l| Line {
            kind: match l.tag {
                DiffTag::Hunk => LineKind::Hunk,
                DiffTag::Context => LineKind::Context,
                DiffTag::Insert => LineKind::Insert,
                DiffTag::Delete => LineKind::Delete,
            },
            text: l.text,
        })
        .collect()
}

fn plain_lines(doc: Option<&Value>) -> Vec<Line> {
    crate::docs::diff::pretty_or_empty(doc)
        .lines()
        .map(|l| Line::new(LineKind::Plain, l))
        .collect()
}

/// The section of one plan item.
fn item_section(model: &Model, item: &PlanItem) -> Section {
    let slot = model.slots.get(&SlotId::Kind(read_with(item.resource)));
    let checking = model.online() && slot.is_some_and(|s| s.pending());
    let title = format!("{} · {}", describe(item.resource), item.name);
    let (badge, lines) = match item.action {
        _ if checking => {
            let mut lines = vec![Line::new(
                LineKind::Note,
                "reading the live state… (compared with nothing meanwhile)",
            )];
            lines.extend(diff_lines(
                item.before_json().as_ref(),
                item.after_json().as_ref(),
            ));
            (("checking…".to_owned(), BadgeKind::Neutral), lines)
        }
        PlanAction::NoChange => (
            ("no change".to_owned(), BadgeKind::Same),
            plain_lines(item.after_json().as_ref()),
        ),
        PlanAction::Delete => (
            ("delete".to_owned(), BadgeKind::Bad),
            diff_lines(item.before_json().as_ref(), None),
        ),
        PlanAction::Refused => (
            ("refused".to_owned(), BadgeKind::Bad),
            vec![Line::new(
                LineKind::Note,
                "this stack cannot create it: the form says why",
            )],
        ),
        PlanAction::Create if item.before.is_none() => (
            ("new".to_owned(), BadgeKind::New),
            diff_lines(None, item.after_json().as_ref()),
        ),
        PlanAction::Adopt if item.after.is_none() => (
            ("adopt".to_owned(), BadgeKind::Change),
            vec![Line::new(
                LineKind::Note,
                format!(
                    "an existing {} is used as it is: sluice manages only its own {} on it",
                    item.resource.as_str(),
                    if item.resource == ResourceKind::Bucket {
                        "notification entry"
                    } else {
                        "access policy statement"
                    }
                ),
            )],
        ),
        action => {
            let mut lines = diff_lines(item.before_json().as_ref(), item.after_json().as_ref());
            let (ins, del) = counts(&lines);
            if let Some(change) = &item.tags {
                lines.push(Line::new(
                    LineKind::Note,
                    format!("tags: {}", change.describe()),
                ));
            }
            let kind = if action == PlanAction::Create {
                BadgeKind::New
            } else {
                BadgeKind::Change
            };
            ((format!("{} +{ins} −{del}", action.as_str()), kind), lines)
        }
    };
    Section {
        title,
        badge: Some(badge),
        lines,
    }
}

/// A lookup that failed, as a section.
fn lookup_error(model: &Model, target: ResourceKind, title: &str) -> Option<Section> {
    let message = match model.found(target)? {
        Found::Policy(Err(e)) | Found::Role(Err(e)) | Found::User(Err(e)) => e.to_string(),
        Found::Bucket(Err(e)) | Found::Queue(Err(e)) => e.to_string(),
        _ => return None,
    };
    Some(Section {
        title: title.to_owned(),
        badge: Some(("cannot read".to_owned(), BadgeKind::Bad)),
        lines: vec![Line::new(LineKind::Error, message)],
    })
}

fn note(title: &str, text: impl Into<String>) -> Section {
    Section {
        title: title.to_owned(),
        badge: None,
        lines: vec![Line::new(LineKind::Note, text)],
    }
}

/// Sections for the resources of `kinds`, in plan order: every item of a
/// kind (the alarms are several), each kind once.
fn resources(model: &Model, kinds: &[ResourceKind]) -> Vec<Section> {
    let plan = &model.derived.plan;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for kind in kinds {
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        let items: Vec<&PlanItem> = plan.items.iter().filter(|i| i.resource == *kind).collect();
        if items.is_empty()
            && let Some(error) = lookup_error(model, read_with(*kind), describe(*kind))
        {
            out.push(error);
        }
        out.extend(items.into_iter().map(|item| item_section(model, item)));
    }
    out
}

/// The entries of a notification configuration that are not ours, queues
/// first, then topics, then Lambda functions.
pub fn foreign_entries(config: &NotificationConfiguration, our_id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in config.queues_first() {
        let kind = match entry.target {
            Target::Queue(_) => "queue",
            Target::Topic(_) => "topic",
            Target::Lambda(_) => "lambda",
        };
        let id = entry.id_or("(no id)");
        if kind == "queue" && id == our_id {
            continue;
        }
        let filter = entry.key_filter();
        let mut text = format!(
            "{kind} {id} → {}: {}",
            entry.target.arn(),
            entry.events().join(", ")
        );
        if !filter.prefix.is_empty() || !filter.suffix.is_empty() {
            text.push_str(&format!(
                " (prefix `{}`, suffix `{}`)",
                filter.prefix, filter.suffix
            ));
        }
        out.push(text);
    }
    out
}

fn notification_sections(model: &Model) -> Vec<Section> {
    let mut out = Vec::new();
    let offline = !model.online();
    if let Some(conflict) = &model.derived.merge_error {
        out.push(Section {
            title: format!("bucket notification · {}", model.spec.notification.id),
            badge: Some(("conflict".to_owned(), BadgeKind::Bad)),
            lines: vec![Line::new(LineKind::Error, conflict.clone())],
        });
        if let Some(current) = &model.derived.current_notification {
            out.push(Section {
                title: "the bucket's current configuration".to_owned(),
                badge: None,
                lines: plain_lines(Some(&crate::docs::json(current))),
            });
        }
        return out;
    }
    match model.derived.resolved.delivery() {
        Some(crate::spec::Delivery::Sns) => {
            out.extend(resources(model, &[ResourceKind::Subscription]));
            out.push(note(
                "the bucket's entries",
                "left as they are: the bucket's topic entry already publishes these events; the queue subscribes to its topic",
            ));
            return out;
        }
        Some(crate::spec::Delivery::Eventbridge) => {
            out.extend(resources(
                model,
                &[ResourceKind::Notification, ResourceKind::Rule],
            ));
        }
        _ => out.extend(resources(model, &[ResourceKind::Notification])),
    }
    if offline {
        out.push(note(
            "offline",
            "the bucket's current configuration is not known: apply reads it and merges this entry in, keeping every other entry as it is",
        ));
    }
    if let Some(current) = &model.derived.current_notification {
        let foreign = foreign_entries(current, &model.derived.resolved.notification.id);
        let title = format!(
            "other entries on the bucket: {} (kept as they are)",
            foreign.len()
        );
        out.push(Section {
            title,
            badge: None,
            lines: if foreign.is_empty() {
                vec![Line::new(LineKind::Note, "none")]
            } else {
                foreign
                    .into_iter()
                    .map(|f| Line::new(LineKind::Plain, f))
                    .collect()
            },
        });
    }
    out
}

/// The preview of the current step.
pub fn sections(model: &Model) -> Vec<Section> {
    let spec = &model.spec;
    match model.step {
        Step::Welcome => vec![Section {
            title: "spec.json · what a session saves".to_owned(),
            badge: None,
            lines: crate::spec::to_json_string(spec)
                .lines()
                .map(|l| Line::new(LineKind::Plain, l))
                .collect(),
        }],
        Step::Policy => resources(model, &[ResourceKind::Policy]),
        Step::Role if !spec.role.enabled => vec![note(
            "role",
            "disabled: no role is created. Connectors that can assume a role should: it needs no long-lived secret",
        )],
        Step::Role => resources(model, &[ResourceKind::Role]),
        Step::User if !spec.user.enabled => vec![note(
            "user",
            "disabled: no IAM user is created (the role is the recommended way in)",
        )],
        Step::User => {
            let mut out = resources(model, &[ResourceKind::User]);
            if spec.user.create_access_key {
                out.push(note(
                    "access key",
                    format!(
                        "created at apply: the secret is shown once and written only to {}/{}_accessKeys.csv (mode 0600)",
                        model.config.out_dir.display(),
                        spec.user.name
                    ),
                ));
            }
            out
        }
        Step::Bucket => resources(model, &[ResourceKind::Bucket]),
        Step::Queue => resources(
            model,
            &[
                ResourceKind::DeadLetterQueue,
                ResourceKind::Queue,
                ResourceKind::AlarmTopic,
                ResourceKind::Alarm,
            ],
        ),
        Step::Notification => notification_sections(model),
        Step::Review => {
            let kinds: Vec<ResourceKind> = model
                .derived
                .plan
                .items
                .iter()
                .map(|i| i.resource)
                .collect();
            let mut out = resources(model, &kinds);
            for kind in crate::aws::observe::looked_up() {
                if let Some(e) = lookup_error(model, kind, describe(kind)) {
                    out.push(e);
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// A one-word summary of a step's preview, for narrow terminals.
pub fn summary(sections: &[Section]) -> String {
    let badges: Vec<&str> = sections
        .iter()
        .filter_map(|s| s.badge.as_ref().map(|(b, _)| b.as_str()))
        .collect();
    if badges.is_empty() {
        sections
            .first()
            .map(|s| s.title.split(" · ").next().unwrap_or_default().to_owned())
            .unwrap_or_default()
    } else {
        badges.join(", ")
    }
}

/// Cuts `text` into pieces of `width` characters (at least one piece).
fn chunks(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// Every line of the preview at `width` columns, before scrolling.
pub fn preview_lines(
    model: &Model,
    sections: &[Section],
    width: u16,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::Line;
    let t = &model.theme;
    let width = usize::from(width);
    let mut out: Vec<Line<'static>> = Vec::new();
    if sections.is_empty() {
        out.push(Line::styled("Nothing to preview on this step.", t.dim()));
    }
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        let mut title = vec![];
        let mut used = 0;
        if let Some((badge, kind)) = &section.badge {
            let text = format!(" {badge} ");
            used += text.chars().count() + 1;
            title.push(Span::styled(text, t.badge(*kind)));
            title.push(Span::raw(" "));
        }
        title.push(Span::styled(
            truncate(&section.title, width.saturating_sub(used)),
            t.title(),
        ));
        out.push(Line::from(title));
        for line in &section.lines {
            let style: Style = match line.kind {
                LineKind::Hunk => t.hunk(),
                LineKind::Insert => t.insert(),
                LineKind::Delete => t.delete(),
                LineKind::Context => t.text(),
                LineKind::Plain => t.dim(),
                LineKind::Note => t.accent(),
                LineKind::Error => t.error(),
            };
            let pieces = match line.kind {
                LineKind::Note | LineKind::Error => wrap(&line.text, width),
                LineKind::Hunk => chunks(&line.text, width),
                // Each wrapped piece keeps the line's diff marker, so that a
                // continuation still reads as added, removed or context.
                _ => {
                    let marker = line.marked().chars().next().unwrap_or(' ');
                    chunks(&line.text, width.saturating_sub(1).max(1))
                        .into_iter()
                        .map(|piece| format!("{marker}{piece}"))
                        .collect()
                }
            };
            for piece in pieces {
                out.push(Line::styled(piece, style));
            }
        }
    }
    out
}

/// How many rows the preview has at `width`.
pub fn preview_height(model: &Model, sections: &[Section], width: u16) -> usize {
    preview_lines(model, sections, width).len()
}

/// The largest scroll of the preview pane at `rect`.
pub fn max_scroll(model: &Model, sections: &[Section], rect: Rect) -> u16 {
    let inner_height = rect.height.saturating_sub(2);
    let total = preview_height(model, sections, rect.width.saturating_sub(2));
    u16::try_from(total.saturating_sub(usize::from(inner_height))).unwrap_or(u16::MAX)
}

pub fn render(frame: &mut Frame, model: &Model, sections: &[Section], area: Rect) {
    use ratatui::text::Line;
    let t = &model.theme;
    let title = if wide(model) {
        " Preview ".to_owned()
    } else {
        " Preview (Ctrl-P: back to the form) ".to_owned()
    };
    let block = Block::bordered()
        .border_style(t.dim())
        .title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    let lines = preview_lines(model, sections, inner.width);
    let total = lines.len();
    let max_scroll = total.saturating_sub(usize::from(inner.height));
    let scroll = usize::from(model.preview.scroll).min(max_scroll);
    let block = if total > usize::from(inner.height) {
        block.title_bottom(
            Line::styled(
                format!(
                    " {}-{} of {} · PgUp/PgDn ",
                    scroll + 1,
                    (scroll + usize::from(inner.height)).min(total),
                    total
                ),
                t.dim(),
            )
            .right_aligned(),
        )
    } else {
        block
    };
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
