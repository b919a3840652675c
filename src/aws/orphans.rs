//! Resources of the stack that the spec no longer names: a queue, dead-letter
//! queue, policy, role or user renamed, turned off, or left by the previous
//! connector. They are found by the stack's name (every default name starts
//! with it) and proven the stack's by its tag; anything else of that name
//! (another team's, untagged) is never one. Plan lists them as deletes,
//! apply and destroy remove them as destroy removes the stack's own.

use std::collections::BTreeMap;

use super::client::Clients;
use super::error::{AwsError, classify};
use super::ownership::{Owner, iam_tags, owner};
use crate::docs::ResourceKind;
use crate::spec::Spec;

/// One resource of the stack the spec no longer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// `Queue` for a queue or dead-letter queue.
    pub kind: ResourceKind,
    pub name: String,
    /// The queue's URL, the policy's ARN; the name for a role or user.
    pub id: String,
}

impl Orphan {
    /// "queue acme-old-queue", as plan and apply name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }
}

/// The names the spec uses now, per kind: none of them is an orphan.
fn wanted(spec: &Spec, kind: ResourceKind) -> Vec<&str> {
    match kind {
        ResourceKind::Queue => {
            let mut names = Vec::new();
            if spec.has_queue() {
                names.push(spec.queue.name.as_str());
            }
            if spec.has_dead_letter() {
                names.push(spec.queue.dead_letter.name.as_str());
            }
            names
        }
        ResourceKind::Policy => vec![spec.policy.name.as_str()],
        ResourceKind::Role if spec.role.enabled => vec![spec.role.name.as_str()],
        // A user turned off is planned for deletion on its own (with its keys).
        ResourceKind::User => vec![spec.user.name.as_str()],
        _ => Vec::new(),
    }
}

/// Whether `name` may be one of the stack's: its default names all start
/// with the stack's name and a hyphen.
fn of_the_stack(spec: &Spec, name: &str) -> bool {
    name.strip_prefix(spec.name.as_str())
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Every resource of the stack (by name and tag) that the spec does not
/// name now. Listing needs sqs:ListQueues, iam:ListRoles, iam:ListPolicies and
/// iam:ListUsers with the tag reads; a refusal is an error for the caller to
/// word (the plan notes it and goes on).
pub async fn find(clients: &Clients, spec: &Spec) -> Result<Vec<Orphan>, AwsError> {
    let (queues, roles, policies, users) = tokio::join!(
        queues(clients, spec),
        roles(clients, spec),
        policies(clients, spec),
        users(clients, spec)
    );
    let mut found = queues?;
    found.extend(roles?);
    found.extend(policies?);
    found.extend(users?);
    Ok(found)
}

async fn queues(clients: &Clients, spec: &Spec) -> Result<Vec<Orphan>, AwsError> {
    let wanted = wanted(spec, ResourceKind::Queue);
    let mut pages = clients
        .sqs
        .list_queues()
        .queue_name_prefix(&spec.name)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("sqs:ListQueues", &spec.name, e))?;
        for url in page.queue_urls() {
            let name = url.rsplit('/').next().unwrap_or_default();
            if !of_the_stack(spec, name) || wanted.contains(&name) {
                continue;
            }
            let tags = match clients.sqs.list_queue_tags().queue_url(url).send().await {
                Ok(out) => out
                    .tags()
                    .map(|m| m.clone().into_iter().collect())
                    .unwrap_or_default(),
                Err(e) => {
                    let e = classify("sqs:ListQueueTags", name, e);
                    // Deleted since it was listed.
                    if e.is_not_found() {
                        continue;
                    }
                    return Err(e);
                }
            };
            if owner(&tags, &spec.name) == Owner::Stack {
                found.push(Orphan {
                    kind: ResourceKind::Queue,
                    name: name.to_owned(),
                    id: url.clone(),
                });
            }
        }
    }
    Ok(found)
}

async fn roles(clients: &Clients, spec: &Spec) -> Result<Vec<Orphan>, AwsError> {
    let wanted = wanted(spec, ResourceKind::Role);
    let mut pages = clients.iam.list_roles().into_paginator().send();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("iam:ListRoles", &spec.name, e))?;
        names.extend(
            page.roles()
                .iter()
                .map(|r| r.role_name().to_owned())
                .filter(|n| of_the_stack(spec, n) && !wanted.contains(&n.as_str())),
        );
    }
    let mut found = Vec::new();
    for name in names {
        let tags = match clients.iam.list_role_tags().role_name(&name).send().await {
            Ok(out) => iam_tags(out.tags()),
            Err(e) => match classify("iam:ListRoleTags", &name, e) {
                e if e.is_not_found() => continue,
                e => return Err(e),
            },
        };
        if stack_tagged(&tags, spec) {
            found.push(Orphan {
                kind: ResourceKind::Role,
                id: name.clone(),
                name,
            });
        }
    }
    Ok(found)
}

async fn policies(clients: &Clients, spec: &Spec) -> Result<Vec<Orphan>, AwsError> {
    let wanted = wanted(spec, ResourceKind::Policy);
    let mut pages = clients
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .send();
    let mut candidates = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("iam:ListPolicies", &spec.name, e))?;
        for policy in page.policies() {
            if let (Some(name), Some(arn)) = (policy.policy_name(), policy.arn())
                && of_the_stack(spec, name)
                && !wanted.contains(&name)
            {
                candidates.push((name.to_owned(), arn.to_owned()));
            }
        }
    }
    let mut found = Vec::new();
    for (name, arn) in candidates {
        let tags = match clients.iam.list_policy_tags().policy_arn(&arn).send().await {
            Ok(out) => iam_tags(out.tags()),
            Err(e) => match classify("iam:ListPolicyTags", &arn, e) {
                e if e.is_not_found() => continue,
                e => return Err(e),
            },
        };
        if stack_tagged(&tags, spec) {
            found.push(Orphan {
                kind: ResourceKind::Policy,
                name,
                id: arn,
            });
        }
    }
    Ok(found)
}

async fn users(clients: &Clients, spec: &Spec) -> Result<Vec<Orphan>, AwsError> {
    let wanted = wanted(spec, ResourceKind::User);
    let mut pages = clients.iam.list_users().into_paginator().send();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("iam:ListUsers", &spec.name, e))?;
        names.extend(
            page.users()
                .iter()
                .map(|u| u.user_name().to_owned())
                .filter(|n| of_the_stack(spec, n) && !wanted.contains(&n.as_str())),
        );
    }
    let mut found = Vec::new();
    for name in names {
        let tags = match clients.iam.list_user_tags().user_name(&name).send().await {
            Ok(out) => iam_tags(out.tags()),
            Err(e) => match classify("iam:ListUserTags", &name, e) {
                e if e.is_not_found() => continue,
                e => return Err(e),
            },
        };
        if stack_tagged(&tags, spec) {
            found.push(Orphan {
                kind: ResourceKind::User,
                id: name.clone(),
                name,
            });
        }
    }
    Ok(found)
}

fn stack_tagged(tags: &BTreeMap<String, String>, spec: &Spec) -> bool {
    owner(tags, &spec.name) == Owner::Stack
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        crate::spec::starter("acme", "us-west-2", Some("123456789012"))
    }

    #[test]
    fn only_names_of_the_stack_followed_by_a_hyphen_are_looked_at() {
        let spec = spec();
        assert!(of_the_stack(&spec, "acme-old-queue"));
        assert!(!of_the_stack(&spec, "acmeish-queue"));
        assert!(!of_the_stack(&spec, "acme"));
        assert!(!of_the_stack(&spec, "other-acme-queue"));
    }

    #[test]
    fn the_names_in_use_are_never_orphans_and_turned_off_ones_are() {
        let mut spec = spec();
        assert!(wanted(&spec, ResourceKind::Queue).contains(&spec.queue.name.as_str()));
        assert!(wanted(&spec, ResourceKind::Role).contains(&spec.role.name.as_str()));
        spec.role.enabled = false;
        assert!(wanted(&spec, ResourceKind::Role).is_empty());
        spec.queue.enabled = false;
        assert!(wanted(&spec, ResourceKind::Queue).is_empty());
        // The user turned off is deleted by its own plan item.
        assert_eq!(wanted(&spec, ResourceKind::User), [spec.user.name.as_str()]);
    }
}
