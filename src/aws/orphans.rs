//! Resources of the stack that the spec no longer names: a queue, dead-letter
//! queue, policy, role or user renamed, turned off, or left by the previous
//! connector. They are found by the stack's name (every default name starts
//! with it) or this machine's record of what the stack made, and proven the
//! stack's by its tag; anything else of that name (another team's,
//! untagged) is never one. Plan lists them as deletes,
//! apply and destroy remove them as destroy removes the stack's own.

use super::client::Clients;
use super::error::{AwsError, classify};
use super::ownership::{Owner, Tagged, owner, read_tags};
use crate::docs::ResourceKind;
use crate::spec::Spec;

/// What a resource of the stack the spec no longer names can be: only
/// these are found by name (the route, bucket and alarms are removed by
/// plan's own retirements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrphanKind {
    /// A queue or dead-letter queue.
    Queue,
    Policy,
    Role,
    User,
}

impl OrphanKind {
    /// The engine's kind: a dead-letter queue is a queue here.
    pub fn resource(self) -> ResourceKind {
        match self {
            OrphanKind::Queue => ResourceKind::Queue,
            OrphanKind::Policy => ResourceKind::Policy,
            OrphanKind::Role => ResourceKind::Role,
            OrphanKind::User => ResourceKind::User,
        }
    }

    /// The orphan kind of a plan item's resource, when it can be one.
    pub fn of(kind: ResourceKind) -> Option<OrphanKind> {
        match kind {
            ResourceKind::Queue | ResourceKind::DeadLetterQueue => Some(OrphanKind::Queue),
            ResourceKind::Policy => Some(OrphanKind::Policy),
            ResourceKind::Role => Some(OrphanKind::Role),
            ResourceKind::User => Some(OrphanKind::User),
            ResourceKind::Bucket
            | ResourceKind::Notification
            | ResourceKind::Subscription
            | ResourceKind::Rule
            | ResourceKind::AlarmTopic
            | ResourceKind::Alarm => None,
        }
    }
}

/// One resource of the stack the spec no longer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub kind: OrphanKind,
    pub name: String,
    /// The queue's URL, the policy's ARN; the name for a role or user.
    pub id: String,
}

impl Orphan {
    /// "queue acme-old-queue", as plan and apply name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.resource().as_str(), self.name)
    }
}

/// The names the spec uses now, per kind: none of them is an orphan.
fn wanted(spec: &Spec, kind: OrphanKind) -> Vec<&str> {
    match kind {
        OrphanKind::Queue => {
            let mut names = Vec::new();
            if spec.has_queue() {
                names.push(spec.queue.name.as_str());
            }
            if spec.has_dead_letter() {
                names.push(spec.queue.dead_letter.name.as_str());
            }
            names
        }
        OrphanKind::Policy => vec![spec.policy.name.as_str()],
        OrphanKind::Role if spec.role.enabled => vec![spec.role.name.as_str()],
        OrphanKind::Role => Vec::new(),
        // A user turned off is planned for deletion on its own (with its keys).
        OrphanKind::User => vec![spec.user.name.as_str()],
    }
}

/// Whether `name` may be one of the stack's: its default names all start
/// with the stack's name and a hyphen.
fn of_the_stack(spec: &Spec, name: &str) -> bool {
    name.strip_prefix(spec.name.as_str())
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Every resource of the stack the spec does not name now: those listed
/// under the stack's prefix, and those this machine's record says the
/// stack made under other names ([`super::journal::made`]), each proven the
/// stack's by its tag. With [`Clients::scan_account`], every queue, role,
/// customer managed policy and user of the account is a candidate (one tag
/// read each): what the stack made under another name from another machine,
/// or through setup.sh, is found too. Listing needs sqs:ListQueues, iam:ListRoles,
/// iam:ListPolicies and iam:ListUsers with the tag reads; a refusal is an
/// error for the caller to word (the plan notes it and goes on).
pub async fn find(clients: &Clients, spec: &Spec, account: &str) -> Result<Vec<Orphan>, AwsError> {
    let made = super::journal::default_dir()
        .map(|dir| super::journal::made::read(&dir, account, &spec.name))
        .unwrap_or_default();
    let (queues, roles, policies, users) = tokio::join!(
        listed_queues(clients, spec),
        listed_iam(clients, spec, OrphanKind::Role),
        listed_iam(clients, spec, OrphanKind::Policy),
        listed_iam(clients, spec, OrphanKind::User)
    );
    let mut candidates = queues?;
    candidates.extend(roles?);
    candidates.extend(policies?);
    candidates.extend(users?);
    // Made under a name outside the prefix (those inside it were listed).
    for kind in [
        OrphanKind::Queue,
        OrphanKind::Role,
        OrphanKind::Policy,
        OrphanKind::User,
    ] {
        let wanted = wanted(spec, kind);
        for name in super::journal::made::names(&made, kind.resource()) {
            let listed = candidates.iter().any(|(k, n, _)| *k == kind && n == name);
            if listed || wanted.contains(&name) || of_the_stack(spec, name) {
                continue;
            }
            let id = match kind {
                OrphanKind::Queue => None,
                OrphanKind::Policy => Some(format!(
                    "arn:{}:iam::{account}:policy/{name}",
                    crate::docs::partition(&spec.region)
                )),
                OrphanKind::Role | OrphanKind::User => Some(name.to_owned()),
            };
            candidates.push((kind, name.to_owned(), id));
        }
    }
    let mut found = Vec::new();
    for (kind, name, id) in candidates {
        if let Some(orphan) = proven(clients, spec, kind, name, id).await? {
            found.push(orphan);
        }
    }
    Ok(found)
}

/// A candidate: its kind, name, and id when known without asking (a queue's
/// URL is looked up).
type Candidate = (OrphanKind, String, Option<String>);

/// The stack's queues under its prefix that the spec does not name.
async fn listed_queues(clients: &Clients, spec: &Spec) -> Result<Vec<Candidate>, AwsError> {
    let wanted = wanted(spec, OrphanKind::Queue);
    // Without MaxResults, ListQueues stops at 1,000 queues and gives no
    // token for the rest.
    let mut pages = clients
        .sqs
        .list_queues()
        .set_queue_name_prefix((!clients.scan_account).then(|| spec.name.clone()))
        .max_results(1000)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("sqs:ListQueues", &spec.name, e))?;
        for url in page.queue_urls() {
            let name = url.rsplit('/').next().unwrap_or_default();
            if (clients.scan_account || of_the_stack(spec, name)) && !wanted.contains(&name) {
                found.push((OrphanKind::Queue, name.to_owned(), Some(url.clone())));
            }
        }
    }
    Ok(found)
}

/// The roles, customer managed policies or users under the stack's prefix
/// that the spec does not name.
async fn listed_iam(
    clients: &Clients,
    spec: &Spec,
    kind: OrphanKind,
) -> Result<Vec<Candidate>, AwsError> {
    let wanted = wanted(spec, kind);
    let keep =
        |name: &str| (clients.scan_account || of_the_stack(spec, name)) && !wanted.contains(&name);
    let mut found: Vec<Candidate> = Vec::new();
    match kind {
        OrphanKind::Role => {
            let mut pages = clients.iam.list_roles().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("iam:ListRoles", &spec.name, e))?;
                for role in page.roles() {
                    let name = role.role_name();
                    if keep(name) {
                        found.push((kind, name.to_owned(), Some(name.to_owned())));
                    }
                }
            }
        }
        OrphanKind::Policy => {
            let mut pages = clients
                .iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("iam:ListPolicies", &spec.name, e))?;
                for policy in page.policies() {
                    if let (Some(name), Some(arn)) = (policy.policy_name(), policy.arn())
                        && keep(name)
                    {
                        found.push((kind, name.to_owned(), Some(arn.to_owned())));
                    }
                }
            }
        }
        OrphanKind::User => {
            let mut pages = clients.iam.list_users().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("iam:ListUsers", &spec.name, e))?;
                for user in page.users() {
                    let name = user.user_name();
                    if keep(name) {
                        found.push((kind, name.to_owned(), Some(name.to_owned())));
                    }
                }
            }
        }
        // Listed by `listed_queues`.
        OrphanKind::Queue => {}
    }
    Ok(found)
}

/// The candidate as an orphan when its tag proves it the stack's; `None`
/// when it is not the stack's, or is gone since it was listed or recorded.
async fn proven(
    clients: &Clients,
    spec: &Spec,
    kind: OrphanKind,
    name: String,
    id: Option<String>,
) -> Result<Option<Orphan>, AwsError> {
    let id = match (kind, id) {
        (_, Some(id)) => id,
        (OrphanKind::Queue, None) => match clients.queue_url(&name).await? {
            Some(url) => url,
            None => return Ok(None),
        },
        (OrphanKind::Role | OrphanKind::User, None) => name.clone(),
        // A policy is known by its ARN, always given.
        (OrphanKind::Policy, None) => return Ok(None),
    };
    let what = match kind {
        OrphanKind::Queue => Tagged::Queue {
            url: &id,
            name: &name,
        },
        OrphanKind::Role => Tagged::Role(&id),
        OrphanKind::Policy => Tagged::Policy(&id),
        OrphanKind::User => Tagged::User(&id),
    };
    let Some(tags) = read_tags(clients, what).await? else {
        return Ok(None);
    };
    Ok((owner(&tags, &spec.name) == Owner::Stack).then_some(Orphan { kind, name, id }))
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
        assert!(wanted(&spec, OrphanKind::Queue).contains(&spec.queue.name.as_str()));
        assert!(wanted(&spec, OrphanKind::Role).contains(&spec.role.name.as_str()));
        spec.role.enabled = false;
        assert!(wanted(&spec, OrphanKind::Role).is_empty());
        spec.queue.enabled = false;
        assert!(wanted(&spec, OrphanKind::Queue).is_empty());
        // The user turned off is deleted by its own plan item.
        assert_eq!(wanted(&spec, OrphanKind::User), [spec.user.name.as_str()]);
    }
}
