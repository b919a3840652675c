//! Plans: per resource, what an apply would do, with before/after documents.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

pub use super::account::{AccountError, for_account};
use super::observe::{Observation, RuleState};
use super::ownership::{Owner, owner};
use crate::docs::diff::json_diff;
use crate::docs::{
    Arns, Document, Finding, ResourceKind, TagChange, bucket_tags, desired_state, lint,
    rule_description, tag_change, tags,
};
use crate::spec::{Delivery, Spec};

mod diagnostic;
mod retire;

pub use diagnostic::{PlanError, PlanNote, Remedy, RoleGrant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanAction {
    Create,
    Update,
    NoChange,
    /// An existing resource the spec does not own (`create: false`): only our
    /// notification entry, queue policy and attachments are managed on it.
    Adopt,
    /// What the spec asks of it cannot be done (the plan's errors say why):
    /// apply refuses the whole plan.
    Refused,
    /// The stack's, and no longer wanted by the spec (a route switched
    /// away): apply removes it, backing it up first.
    Delete,
}

impl PlanAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::NoChange => "no change",
            PlanAction::Adopt => "adopt",
            PlanAction::Refused => "refused",
            PlanAction::Delete => "delete",
        }
    }

    fn marker(self) -> char {
        match self {
            PlanAction::Create => '+',
            PlanAction::Update | PlanAction::Adopt => '~',
            PlanAction::NoChange => '=',
            PlanAction::Refused => '!',
            PlanAction::Delete => '-',
        }
    }
}

/// One resource of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    pub resource: ResourceKind,
    pub name: String,
    pub action: PlanAction,
    pub before: Option<Document>,
    pub after: Option<Document>,
    /// How the tags of an existing resource of the stack change to follow
    /// the spec (new resources get theirs when they are made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagChange>,
}

impl PlanItem {
    /// The document before the change, as the plan shows it.
    pub fn before_json(&self) -> Option<Value> {
        self.before.as_ref().map(Document::to_json)
    }

    /// The document the change puts in place, as the plan shows it.
    pub fn after_json(&self) -> Option<Value> {
        self.after.as_ref().map(Document::to_json)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub items: Vec<PlanItem>,
    pub findings: Vec<Finding>,
    /// Things observed or assumed that the reader should know.
    pub notes: Vec<PlanNote>,
    /// What stops an apply: resources that could not be read, conflicts.
    pub errors: Vec<PlanError>,
}

/// Tags follow the spec like any attribute, on every existing resource of
/// the stack: keys set where they differ, the spec's old keys taken off,
/// others' tags kept. Adopted resources (not the stack's) are left alone.
fn plan_tags(spec: &Spec, observed: &Observation, items: &mut [PlanItem]) {
    fn ok<T>(r: &super::observe::Observed<T>) -> Option<&T> {
        r.as_ref().ok().and_then(Option::as_ref)
    }
    for item in items.iter_mut() {
        if matches!(item.action, PlanAction::Refused | PlanAction::Delete) {
            continue;
        }
        let existing = match item.resource {
            ResourceKind::Policy => ok(&observed.policy).map(|p| &p.tags),
            ResourceKind::Role => ok(&observed.role).map(|r| &r.tags),
            ResourceKind::User => ok(&observed.user).map(|u| &u.tags),
            ResourceKind::Bucket if spec.bucket.create => ok(&observed.bucket).map(|b| &b.tags),
            ResourceKind::Queue if spec.queue.create => ok(&observed.queue).map(|q| &q.tags),
            ResourceKind::DeadLetterQueue => ok(&observed.dlq).map(|q| &q.tags),
            ResourceKind::Rule => ok(&observed.rule).map(|r| &r.tags),
            ResourceKind::AlarmTopic => ok(&observed.alarms.topic).map(|t| &t.tags),
            ResourceKind::Alarm => observed
                .alarms
                .alarm(&item.name)
                .ok()
                .flatten()
                .map(|a| &a.tags),
            // Adopted, or not tagged: a notification entry, a subscription.
            ResourceKind::Bucket
            | ResourceKind::Queue
            | ResourceKind::Notification
            | ResourceKind::Subscription => None,
        };
        let Some(existing) = existing else { continue };
        let desired = if item.resource == ResourceKind::Bucket {
            bucket_tags(spec)
        } else {
            tags(spec)
        };
        if let Some(change) = tag_change(existing, &desired) {
            if item.action == PlanAction::NoChange {
                item.action = PlanAction::Update;
            }
            item.tags = Some(change);
        }
    }
}

/// Whether an EventBridge rule is the stack's: by its tag, or (CloudFormation's
/// rule takes no tags) by the description every path writes.
pub(crate) fn rule_is_the_stacks(rule: &RuleState, spec: &Spec) -> bool {
    match owner(&rule.tags, &spec.name) {
        Owner::Stack => true,
        Owner::Untagged => rule.description == rule_description(spec),
        Owner::Other(_) => false,
    }
}

/// Whether a resource with `tags` and `description` is the stack's: by its
/// tag, or, where CloudFormation made it without tags, by the description
/// every path writes (which names the stack).
pub(super) fn proven(
    tags: &std::collections::BTreeMap<String, String>,
    description: Option<&str>,
    ours: &str,
    stack: &str,
) -> bool {
    match owner(tags, stack) {
        Owner::Stack => true,
        Owner::Untagged => description == Some(ours),
        Owner::Other(_) => false,
    }
}

/// Why the plan refuses a same-named resource that is not the stack's, and what to do.
pub(super) fn not_the_stacks(
    resource: ResourceKind,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
    stack: &str,
    remedy: Remedy,
) -> PlanError {
    PlanError::NotTheStacks {
        resource,
        name: name.to_owned(),
        stack: stack.to_owned(),
        owner: owner(tags, stack),
        remedy,
    }
}

/// Notes what the role grants beside our policy: whoever assumes it (the
/// vendor) gets those permissions too.
pub(super) fn foreign_grants(
    role: &super::observe::RoleState,
    ours: &str,
    name: &str,
    notes: &mut Vec<PlanNote>,
) {
    for arn in role.attached.iter().filter(|a| *a != ours) {
        notes.push(PlanNote::OtherGrant {
            role: name.to_owned(),
            grant: RoleGrant::Attached(arn.clone()),
            broad: role.broad.contains(arn),
        });
    }
    for (policy, broad) in &role.inline {
        notes.push(PlanNote::OtherGrant {
            role: name.to_owned(),
            grant: RoleGrant::Inline(policy.clone()),
            broad: *broad,
        });
    }
}

/// What one live plan is made from, and what it finds on the way: each
/// resource's planning (one file per resource) adds its errors and notes.
pub(super) struct Planner<'a> {
    pub(super) spec: &'a Spec,
    pub(super) observed: &'a Observation,
    pub(super) arns: Arns,
    pub(super) errors: Vec<PlanError>,
    pub(super) notes: Vec<PlanNote>,
}

impl<'a> Planner<'a> {
    /// The planner's parts borrowed apart, as one resource's planning takes
    /// them: the spec, what exists and the ARNs to read, the errors and notes
    /// to add to.
    pub(super) fn parts(
        &mut self,
    ) -> (
        &'a Spec,
        &'a Observation,
        &Arns,
        &mut Vec<PlanError>,
        &mut Vec<PlanNote>,
    ) {
        (
            self.spec,
            self.observed,
            &self.arns,
            &mut self.errors,
            &mut self.notes,
        )
    }
}

/// One resource the spec wants, as the documents describe it.
pub(super) struct Wanted {
    pub(super) kind: ResourceKind,
    pub(super) name: String,
    /// The document the spec wants.
    pub(super) after: Document,
    /// Made by the stack (else adopted).
    pub(super) create: bool,
}

impl Wanted {
    /// Its plan item.
    pub(super) fn item(
        &self,
        action: PlanAction,
        before: Option<Document>,
        after: Option<Document>,
    ) -> PlanItem {
        PlanItem {
            tags: None,
            resource: self.kind,
            name: self.name.clone(),
            action,
            before,
            after,
        }
    }

    /// The item of an adopted resource (`create: false`) that does not
    /// exist, its error said in `errors`.
    pub(super) fn missing(&self, errors: &mut Vec<PlanError>) -> PlanItem {
        errors.push(PlanError::AdoptedMissing {
            resource: self.kind,
            name: self.name.clone(),
        });
        self.item(PlanAction::Adopt, None, None)
    }
}

/// `if_changed` when `before` and `after` differ, else no change.
pub(super) fn changed<T: PartialEq>(before: &T, after: &T, if_changed: PlanAction) -> PlanAction {
    if before == after {
        PlanAction::NoChange
    } else {
        if_changed
    }
}

impl Plan {
    /// The plan against an empty account, without any network: every owned
    /// resource is created, every `create: false` one adopted.
    pub fn offline(spec: &Spec) -> Plan {
        let items = desired_state(spec)
            .into_iter()
            .map(|d| PlanItem {
                tags: None,
                resource: d.kind,
                name: d.name,
                action: if d.create {
                    PlanAction::Create
                } else {
                    PlanAction::Adopt
                },
                before: None,
                after: Some(d.document),
            })
            .collect();
        let mut notes = vec![PlanNote::Offline];
        notes.extend(crate::docs::snowflake::step_one(spec).map(PlanNote::VendorValuesPending));
        if spec.account_id.is_none() {
            notes.push(PlanNote::AccountIdUnset);
        }
        Plan {
            items,
            findings: lint(spec),
            notes,
            errors: Vec::new(),
        }
    }

    /// The plan with what `spec`'s KMS aliases resolved to: a note for each,
    /// and for a queue encrypted with an AWS managed key (`alias/aws/sqs`),
    /// whose key policy cannot let the sender in, the error finding in place
    /// of the key policy statement.
    pub fn with_kms_keys(mut self, spec: &Spec, keys: &[super::ResolvedKey]) -> Plan {
        for key in keys {
            self.notes.push(PlanNote::KmsAlias(key.clone()));
            if key.aws_managed && key.path == crate::spec::path::QUEUE_KMS_KEY_ARN {
                let customer = crate::docs::queue_key_finding(spec, false);
                self.findings.retain(|f| Some(f) != customer.as_ref());
                self.findings
                    .extend(crate::docs::queue_key_finding(spec, true));
                self.findings.sort_by_key(|f| f.severity);
            }
        }
        self
    }

    /// The plan against what exists. `spec.account_id` is filled from the
    /// caller's identity when the spec does not name one.
    pub fn live(spec: &Spec, observed: &Observation) -> Result<Plan, AccountError> {
        let spec = for_account(spec, &observed.identity)?;
        let spec = &spec;
        let mut planner = Planner {
            spec,
            observed,
            arns: Arns::of(spec),
            errors: Vec::new(),
            notes: crate::docs::snowflake::step_one(spec)
                .map(PlanNote::VendorValuesPending)
                .into_iter()
                .collect(),
        };
        let mut items = Vec::new();
        for desired in desired_state(spec) {
            let w = Wanted {
                kind: desired.kind,
                name: desired.name,
                after: desired.document,
                create: desired.create,
            };
            let planned = match w.kind {
                ResourceKind::Policy => planner.policy(&w),
                ResourceKind::Role => planner.role(&w),
                ResourceKind::User => planner.user(&w),
                ResourceKind::Bucket => planner.bucket(&w),
                ResourceKind::DeadLetterQueue | ResourceKind::Queue => planner.queue(&w),
                ResourceKind::Notification if spec.delivery() == Some(Delivery::Eventbridge) => {
                    planner.eventbridge_delivery(&w)
                }
                ResourceKind::Subscription => planner.subscription(&w),
                ResourceKind::Rule => planner.rule(&w),
                ResourceKind::Notification => planner.notification(&w),
                ResourceKind::AlarmTopic => planner.alarm_topic(&w),
                ResourceKind::Alarm => planner.alarm(&w),
            };
            match planned {
                Ok(item) => items.push(item),
                Err(e) => planner.errors.push(PlanError::Unreadable {
                    resource: w.kind,
                    error: e.clone(),
                }),
            }
        }
        planner.retirements(&mut items);
        planner.retire_alarms(&mut items);
        plan_tags(spec, observed, &mut items);
        let Planner { errors, notes, .. } = planner;
        Ok(Plan {
            items,
            findings: lint(spec),
            notes,
            errors,
        })
    }

    /// Whether an apply would change anything.
    pub fn has_changes(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.action != PlanAction::NoChange && (i.before != i.after || i.tags.is_some()))
    }

    /// The item for a resource kind.
    pub fn item(&self, kind: ResourceKind) -> Option<&PlanItem> {
        self.items.iter().find(|i| i.resource == kind)
    }

    /// The machine-readable form: `[{"resource", "name", "action", "before", "after"}]`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.items).unwrap_or(Value::Null)
    }

    /// The readable form: a header per resource and a unified diff of each
    /// changed document, in ANSI colour when `color` is set, then the lints
    /// and notes. The errors are not in it: callers show them where errors go.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        for item in &self.items {
            let header = format!(
                "{} {} {} {}",
                item.action.marker(),
                item.action.as_str(),
                item.resource.as_str(),
                item.name
            );
            let code = match item.action {
                PlanAction::Create => "1;32",
                PlanAction::Update | PlanAction::Adopt => "1;33",
                PlanAction::NoChange => "1",
                PlanAction::Refused | PlanAction::Delete => "1;31",
            };
            let _ = writeln!(out, "{}", paint(code, &header));
            if matches!(item.action, PlanAction::NoChange | PlanAction::Refused) {
                continue;
            }
            if let Some(change) = &item.tags {
                let _ = writeln!(
                    out,
                    "    {}",
                    paint("33", &format!("tags: {}", change.describe()))
                );
            }
            for line in json_diff(item.before_json().as_ref(), item.after_json().as_ref()) {
                let _ = writeln!(out, "    {}", line.painted(color));
            }
        }
        let (create, update, adopt) =
            self.items
                .iter()
                .fold((0, 0, 0), |(c, u, a), i| match i.action {
                    PlanAction::Create => (c + 1, u, a),
                    PlanAction::Update => (c, u + 1, a),
                    PlanAction::Adopt => (c, u, a + 1),
                    PlanAction::NoChange | PlanAction::Refused | PlanAction::Delete => (c, u, a),
                });
        let delete = self
            .items
            .iter()
            .filter(|i| i.action == PlanAction::Delete)
            .count();
        let refused = self
            .items
            .iter()
            .filter(|i| i.action == PlanAction::Refused)
            .count();
        let _ = writeln!(
            out,
            "\nPlan: {create} to create, {update} to update, {adopt} to adopt, {}{} unchanged{}.",
            if delete > 0 {
                format!("{delete} to delete, ")
            } else {
                String::new()
            },
            self.items.len() - create - update - adopt - refused - delete,
            if refused > 0 {
                format!(", {refused} refused")
            } else {
                String::new()
            }
        );
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nFindings:");
            for f in &self.findings {
                let code = match f.severity {
                    crate::docs::Severity::Error => "1;31",
                    crate::docs::Severity::Warning => "33",
                    crate::docs::Severity::Info => "2",
                };
                let _ = writeln!(
                    out,
                    "  {}",
                    paint(code, &f.to_string()).replace('\n', "\n    ")
                );
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  {n}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
