//! Planning the IAM resources: the permissions policy, the role, the user.

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::{Document, ResourceKind, RoleDocument, UserDocument};
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
                let before = Document::Policy(p.document.clone());
                w.item(PlanAction::Update, Some(before), Some(after.clone()))
            }
            Some(p) => {
                let before = Document::Policy(p.document.clone());
                let action = changed(&before, after, PlanAction::Update);
                w.item(action, Some(before), Some(after.clone()))
            }
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
                let before = Document::Role(RoleDocument {
                    assume_role_policy_document: r.trust_policy.clone(),
                    attached_policies: r.attached.clone(),
                });
                let mut wanted = after.clone();
                if let Document::Role(role) = &mut wanted {
                    role.attached_policies = with_ours(&r.attached, &arns.policy);
                }
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
                let before = Document::User(UserDocument {
                    attached_policies: u.attached.clone(),
                    access_keys: None,
                });
                let mut wanted = after.clone();
                if let Document::User(user) = &mut wanted {
                    user.attached_policies = with_ours(&u.attached, &arns.policy);
                }
                w.item(
                    changed(&before, &wanted, PlanAction::Update),
                    Some(before),
                    Some(wanted),
                )
            }
        })
    }
}

/// The policies attached now, and ours.
fn with_ours(attached: &[String], ours: &str) -> Vec<String> {
    let mut all: Vec<String> = attached.to_vec();
    if !all.iter().any(|a| a == ours) {
        all.push(ours.to_owned());
    }
    all
}
