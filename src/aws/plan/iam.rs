//! Planning the IAM resources: the permissions policy, the role, the user.

use serde_json::Value;

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};

use super::{
    PlanAction, PlanItem, Planner, Wanted, changed, foreign_grants, not_the_stacks, proven,
};

impl<'a> Planner<'a> {
    /// The permissions policy: made, or the stack's (by tag, or CloudFormation's by
    /// its description) brought to the spec's document.
    pub(super) fn policy(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let spec = self.spec;
        let observed = self.observed;
        let errors = &mut self.errors;
        let notes = &mut self.notes;
        let name = &w.name;
        let after = &w.after;
        observed.policy.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(after.clone())),
            Some(p) if !proven(&p.tags, p.description.as_deref(), &crate::docs::policy_description(spec), &spec.name) => {
                errors.push(not_the_stacks("policy", name, &p.tags, &spec.name, "choose another policy.name"));
                w.item(PlanAction::Refused, None, None)
            }
            Some(p) if !p.tags.contains_key(crate::docs::STACK_TAG) => {
                // Made without tags (CloudFormation's ManagedPolicy takes none):
                // apply records the adoption, so destroy can prove it is ours.
                notes.push(format!(
                    "policy {name} carries no {} tag (CloudFormation makes policies so): apply tags it {}={}",
                    crate::docs::STACK_TAG,
                    crate::docs::STACK_TAG,
                    spec.name
                ));
                w.item(PlanAction::Update, Some(p.document.clone()), Some(after.clone()))
            }
            Some(p) => w.item(changed(&p.document, after, PlanAction::Update), Some(p.document.clone()), Some(after.clone())),
        })
    }

    /// The role: its trust policy and attachments; others' policies on it noted.
    pub(super) fn role(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let spec = self.spec;
        let observed = self.observed;
        let arns = &self.arns;
        let errors = &mut self.errors;
        let notes = &mut self.notes;
        let name = &w.name;
        let after = &w.after;
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
                    "role",
                    name,
                    &r.tags,
                    &spec.name,
                    "choose another role.name",
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
    pub(super) fn user(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let spec = self.spec;
        let observed = self.observed;
        let arns = &self.arns;
        let errors = &mut self.errors;
        let notes = &mut self.notes;
        let name = &w.name;
        let after = &w.after;
        observed.user.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(after.clone())),
            Some(u) if owner(&u.tags, &spec.name) != Owner::Stack => {
                errors.push(not_the_stacks("user", name, &u.tags, &spec.name, "choose another user.name"));
                w.item(PlanAction::Refused, None, None)
            }
            Some(u) => {
                for key in &u.unsaved_keys {
                    notes.push(format!(
                        "user {name} has access key {key}, whose secret sluice did not save on this machine (made elsewhere, or by an apply stopped after IAM made it): if nobody holds it, replace it with `aws iam create-access-key --user-name {name}`, then `aws iam delete-access-key --user-name {name} --access-key-id {key}`"
                    ));
                }
                let before = serde_json::json!({ "AttachedPolicies": u.attached });
                let wanted = with_attachments(after, &u.attached, &arns.policy);
                w.item(changed(&before, &wanted, PlanAction::Update), Some(before), Some(wanted))
            }
        })
    }
}

/// `doc` with `AttachedPolicies` = what is attached now plus ours.
pub(super) fn with_attachments(doc: &Value, attached: &[String], ours: &str) -> Value {
    let mut all: Vec<String> = attached.to_vec();
    if !all.iter().any(|a| a == ours) {
        all.push(ours.to_owned());
    }
    let mut doc = doc.clone();
    doc["AttachedPolicies"] = serde_json::json!(all);
    doc
}
