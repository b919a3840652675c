//! The review step: the whole plan against the account, its lints and
//! errors, and what Enter does (apply after asking, or, offline, go to Done).

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::aws::plan::PlanAction;
use crate::docs::Severity;
use crate::tui::model::Model;
use crate::tui::screens::form::FormScreen;
use crate::tui::step::Step;
use crate::tui::widgets::{Lines, heading, truncate, wrapped};

/// What Enter on the review step leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enter {
    /// No credentials (or the wrong account): Done, to export.
    Offline(String),
    /// A form step still has an error: back there with it.
    Blocked(Step, String),
    /// The account is still being read.
    Pending,
    /// The plan has errors: nothing can be applied.
    PlanErrors,
    /// The account already matches the spec.
    NothingToDo,
    /// Ask, then apply.
    Confirm,
}

/// What Enter does now.
pub fn enter(model: &Model, form: &FormScreen) -> Enter {
    if let Some(why) = model.aws_blocker() {
        return Enter::Offline(why);
    }
    for step in Step::ALL
        .iter()
        .copied()
        .filter(|s| s.is_form() && s.applies(&model.spec))
    {
        if let Some(blocker) = form.blocker(model, step) {
            return Enter::Blocked(step, blocker);
        }
    }
    if model.derived.pending > 0 {
        Enter::Pending
    } else if !model.derived.plan.errors.is_empty() {
        Enter::PlanErrors
    } else if !model.derived.plan.has_changes() {
        Enter::NothingToDo
    } else {
        Enter::Confirm
    }
}

/// The plan as a list, its lints, errors and notes; and what Enter does.
pub fn lines(model: &Model, width: usize) -> (Lines, Lines) {
    let t = &model.theme;
    let plan = &model.derived.plan;
    let mut out = Vec::new();
    let context = if model.derived.live {
        format!(
            "Plan against account {} in {} (read live)",
            model.derived.resolved.account_id.as_deref().unwrap_or("?"),
            model.spec.region
        )
    } else if model.online() {
        format!(
            "{} reading the account ({} lookups to go)…",
            model.spinner(),
            model.derived.pending
        )
    } else {
        "Offline plan: nothing was read from AWS; every resource is shown as new".to_owned()
    };
    wrapped(&mut out, &context, width, 0, t.text());
    out.push(Line::raw(""));
    let kind_width = plan
        .items
        .iter()
        .map(|i| i.resource.as_str().len())
        .max()
        .unwrap_or(8);
    let with_action = width >= 72;
    for item in &plan.items {
        let (marker, style) = match item.action {
            PlanAction::Create => ("+", t.insert()),
            PlanAction::Update => ("~", t.warn()),
            PlanAction::Adopt => ("~", t.accent()),
            PlanAction::NoChange => ("=", t.dim()),
            PlanAction::Refused => ("!", t.error()),
            PlanAction::Delete => ("-", t.error()),
        };
        let lines =
            crate::docs::diff::json_diff(item.before_json().as_ref(), item.after_json().as_ref());
        let ins = lines
            .iter()
            .filter(|l| l.tag == crate::docs::diff::DiffTag::Insert)
            .count();
        let del = lines
            .iter()
            .filter(|l| l.tag == crate::docs::diff::DiffTag::Delete)
            .count();
        let counts = if item.action == PlanAction::NoChange || (ins == 0 && del == 0) {
            String::new()
        } else {
            format!(" +{ins} −{del}")
        };
        let action = if with_action {
            format!("{:<10}", item.action.as_str())
        } else {
            String::new()
        };
        let text = format!(
            "{marker} {action}{:<kind_width$} {}",
            item.resource.as_str(),
            item.name
        );
        out.push(Line::from(vec![
            Span::styled(
                truncate(&text, width.saturating_sub(counts.chars().count())),
                style,
            ),
            Span::styled(counts, t.dim()),
        ]));
    }
    let count = |actions: &[PlanAction]| {
        plan.items
            .iter()
            .filter(|i| actions.contains(&i.action))
            .count()
    };
    let (create, change, delete) = (
        count(&[PlanAction::Create]),
        count(&[PlanAction::Update, PlanAction::Adopt]),
        count(&[PlanAction::Delete]),
    );
    let deleted = if delete > 0 {
        format!("{delete} to delete, ")
    } else {
        String::new()
    };
    wrapped(
        &mut out,
        &format!(
            "{create} to create, {change} to update or adopt, {deleted}{} unchanged",
            plan.items.len() - create - change - delete
        ),
        width,
        0,
        t.dim(),
    );
    if !plan.findings.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(t, format!("Lints ({})", plan.findings.len())));
        for finding in &plan.findings {
            let style = match finding.severity {
                Severity::Error => t.error().add_modifier(Modifier::BOLD),
                Severity::Warning => t.warn(),
                Severity::Info => t.dim(),
            };
            wrapped(
                &mut out,
                &format!(
                    "{} [{}] {}",
                    finding.severity, finding.resource, finding.message
                ),
                width,
                2,
                style,
            );
        }
    }
    let mut errors: Vec<String> = plan.errors.iter().map(ToString::to_string).collect();
    if let Some(e) = &model.derived.account_error {
        errors.insert(0, e.clone());
    }
    for e in &model.derived.errors {
        errors.push(crate::tui::fields::error_line(&model.spec, e));
    }
    if !errors.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            "Errors (nothing can be applied)",
            t.error().add_modifier(Modifier::BOLD),
        ));
        for e in &errors {
            wrapped(&mut out, e, width, 2, t.error());
        }
    }
    if !plan.notes.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(t, "Notes"));
        for note in &plan.notes {
            wrapped(&mut out, &note.to_string(), width, 2, t.dim());
        }
    }
    let mut footer = Vec::new();
    let changes = plan
        .items
        .iter()
        .filter(|i| i.action != PlanAction::NoChange)
        .count();
    match model.aws_blocker() {
        Some(why) => {
            wrapped(
                &mut footer,
                &format!("Apply is disabled: {why}."),
                width,
                0,
                t.warn(),
            );
            wrapped(
                &mut footer,
                "Enter: go to Done, to export the bundle (sluice export).",
                width,
                0,
                t.dim(),
            );
        }
        None if !errors.is_empty() => {
            wrapped(
                &mut footer,
                "Fix the errors above to apply.",
                width,
                0,
                t.error(),
            );
        }
        None if model.derived.pending > 0 => {
            wrapped(
                &mut footer,
                "Waiting for the live state before anything can be applied…",
                width,
                0,
                t.dim(),
            );
        }
        None if changes == 0 => {
            wrapped(
                &mut footer,
                "Nothing to change: the account matches the spec. Enter: verify.",
                width,
                0,
                t.ok(),
            );
        }
        None => wrapped(
            &mut footer,
            &format!(
                "Enter: apply {} to account {} (asks first; prior states are backed up).",
                crate::words::count(changes, "change"),
                model.derived.resolved.account_id.as_deref().unwrap_or("?")
            ),
            width,
            0,
            t.key(),
        ),
    }
    (out, footer)
}
