//! Planning the IAM resources: the permissions policy, the role, the user.

use serde_json::Value;

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::ResourceKind;
use crate::spec::path;

use crate::aws::plan::{
    PlanAction, PlanItem, PlanNote, Planner, Remedy, Wanted, changed, foreign_grants,
    not_the_stacks, proven,
};

impl<'a> Planner<'a> {
    /// The permissions policy: made, or the stack's (by tag, or CloudFormation's by
    /// its description) brought to the spec's document.
    pub(in crate::aws) fn policy(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, notes) = self.parts();
        let (name, after) = (&w.name, &w.after);
        observed.policy.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(after.clone())),
            Some(p)
                if !proven(
                    &p.tags,
                    p.description.as_deref(),
                    &crate::docs::policy_description(spec),
                    &spec.name,
                ) =>
            {
                errors.push(not_the_stacks(
                    ResourceKind::Policy,
                    name,
                    &p.tags,
                    &spec.name,
                    Remedy::Rename(path::POLICY_NAME),
                ));
                w.item(PlanAction::Refused, None, None)
            }
            Some(p) if !p.tags.contains_key(crate::docs::STACK_TAG) => {
                // Made without tags (CloudFormation's ManagedPolicy takes none):
                // apply records the adoption, so destroy can prove it is ours.
                notes.push(PlanNote::NoStackTag {
                    resource: ResourceKind::Policy,
                    name: name.clone(),
                    stack: spec.name.clone(),
                });
                w.item(
                    PlanAction::Update,
                    Some(p.document.clone()),
                    Some(after.clone()),
                )
            }
            Some(p) => w.item(
                changed(&p.document, after, PlanAction::Update),
                Some(p.document.clone()),
                Some(after.clone()),
            ),
        })
    }

    /// The role: its trust policy and attachments; others' policies on it noted.
    pub(in crate::aws) fn role(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, arns, errors, notes) = self.parts();
        let (name, after) = (&w.name, &w.after);
        observed.role.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(after.clone())),
            Some(r)
                if !proven(
                    &r.tags,
                    r.description.as_deref(),
                    &crate::docs::role_description(spec),
                    &spec.name,
                ) =>
            {
                errors.push(not_the_stacks(
                    ResourceKind::Role,
                    name,
                    &r.tags,
                    &spec.name,
                    Remedy::Rename(path::ROLE_NAME),
                ));
                w.item(PlanAction::Refused, None, None)
            }
            Some(r) => {
                foreign_grants(r, &arns.policy, name, notes);
                let before = serde_json::json!({
                    "AssumeRolePolicyDocument": r.trust_policy,
                    "AttachedPolicies": r.attached,
                });
                let wanted = with_attachments(after, &r.attached, &arns.policy);
                w.item(
                    changed(&before, &wanted, PlanAction::Update),
                    Some(before),
                    Some(wanted),
                )
            }
        })
    }

    /// The user: its attachments; keys whose secret was never saved noted.
    pub(in crate::aws) fn user(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, arns, errors, notes) = self.parts();
        let (name, after) = (&w.name, &w.after);
        observed.user.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(after.clone())),
            Some(u) if owner(&u.tags, &spec.name) != Owner::Stack => {
                errors.push(not_the_stacks(
                    ResourceKind::User,
                    name,
                    &u.tags,
                    &spec.name,
                    Remedy::Rename(path::USER_NAME),
                ));
                w.item(PlanAction::Refused, None, None)
            }
            Some(u) => {
                for key in &u.unsaved_keys {
                    notes.push(PlanNote::UnsavedKey {
                        user: name.clone(),
                        key: key.clone(),
                    });
                }
                let before = serde_json::json!({ "AttachedPolicies": u.attached });
                let wanted = with_attachments(after, &u.attached, &arns.policy);
                w.item(
                    changed(&before, &wanted, PlanAction::Update),
                    Some(before),
                    Some(wanted),
                )
            }
        })
    }
}

/// `doc` with `AttachedPolicies` = what is attached now plus ours.
pub(in crate::aws) fn with_attachments(doc: &Value, attached: &[String], ours: &str) -> Value {
    let mut all: Vec<String> = attached.to_vec();
    if !all.iter().any(|a| a == ours) {
        all.push(ours.to_owned());
    }
    let mut doc = doc.clone();
    doc["AttachedPolicies"] = serde_json::json!(all);
    doc
}
