//! IAM: the permissions policy, the role and the user, each deleted when
//! it carries the stack's tag, after what must go first (attachments,
//! policy versions, inline policies, instance profiles, access keys, the
//! login profile).

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::aws::client::Clients;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, classify, optional, sent};
use crate::aws::ownership::{Owner, Tagged, not_ours, owner, read_tags};
use crate::aws::progress::KeptReason;
use crate::docs::{Arns, ResourceKind};
use crate::spec::Spec;

pub(in crate::aws) async fn policy(
    clients: &Clients,
    spec: &Spec,
    arn: &str,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let Some(tags) = read_tags(clients, Tagged::Policy(arn)).await? else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let mut owner = owner(&tags, &spec.name);
    if owner == Owner::Untagged {
        // CloudFormation's AWS::IAM::ManagedPolicy takes no tags: the
        // description sluice writes on every path names the stack, and IAM
        // never changes a policy's description after creation.
        let described = optional(
            iam.get_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:GetPolicy", arn, e)),
        )?
        .and_then(|o| o.policy().and_then(|p| p.description().map(str::to_owned)));
        if described.as_deref() == Some(crate::docs::policy_description(spec).as_str()) {
            run.note(
                ResourceKind::Policy,
                "untagged (as CloudFormation makes it), recognised by the description sluice gives it",
            );
            owner = Owner::Stack;
        }
    }
    if owner != Owner::Stack {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }

    // Detached from everything it is attached to: IAM refuses to delete it before.
    let mut pages = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .into_paginator()
        .send();
    let (mut roles, mut users, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("iam:ListEntitiesForPolicy", arn, e))?;
        roles.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_owned)),
        );
        users.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name().map(str::to_owned)),
        );
        groups.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned)),
        );
    }
    let attached = (roles.iter().map(|r| Holder::Role(r)))
        .chain(users.iter().map(|u| Holder::User(u)))
        .chain(groups.iter().map(|g| Holder::Group(g)));
    for holder in attached {
        detach(iam, holder, arn).await?;
        run.note(ResourceKind::Policy, format!("detached from {holder}"));
    }

    // Its versions but the default one, then the policy.
    let call = iam.list_policy_versions().policy_arn(arn);
    let versions = sent("iam:ListPolicyVersions", arn, call.send()).await?;
    for version in versions.versions() {
        let Some(id) = version.version_id() else {
            continue;
        };
        if version.is_default_version() {
            continue;
        }
        let call = iam.delete_policy_version().policy_arn(arn).version_id(id);
        removed("iam:DeletePolicyVersion", arn, call.send()).await?;
    }
    let call = iam.delete_policy().policy_arn(arn);
    if !removed("iam:DeletePolicy", arn, call.send()).await? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    let attached = roles.len() + users.len() + groups.len();
    Ok((
        label.to_owned(),
        Fate::Removed(format!(
            "deleted (was attached to {})",
            crate::words::count(attached, "identity")
        )),
    ))
}

/// The spec's role or user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::aws) enum Identity {
    Role,
    User,
}

/// Deletes the spec's role or user when it carries the stack's tag, with
/// what IAM wants gone first; another's is kept and said whose.
pub(in crate::aws) async fn identity(
    clients: &Clients,
    spec: &Spec,
    which: Identity,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let tagged = match which {
        Identity::Role => Tagged::Role(&spec.role.name),
        Identity::User => Tagged::User(&spec.user.name),
    };
    let fate = match the_stacks(clients, tagged, &spec.name).await? {
        Err(fate) => fate,
        Ok(()) if which == Identity::Role => {
            delete_role(&clients.iam, &spec.role.name, run).await?
        }
        Ok(()) => delete_user(&clients.iam, spec, run).await?,
    };
    Ok((label.to_owned(), fate))
}

async fn delete_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    run: &mut Run<'_>,
) -> Result<Fate, AwsError> {
    // IAM deletes a role only once nothing is attached to it.
    let call = iam
        .list_attached_role_policies()
        .role_name(name)
        .max_items(1000);
    let attached = sent("iam:ListAttachedRolePolicies", name, call.send()).await?;
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        detach(iam, Holder::Role(name), arn).await?;
        run.note(ResourceKind::Role, format!("detached policy {arn}"));
    }
    let call = iam.list_role_policies().role_name(name).max_items(1000);
    let inline = sent("iam:ListRolePolicies", name, call.send()).await?;
    for policy in inline.policy_names() {
        let call = iam.delete_role_policy().role_name(name).policy_name(policy);
        removed("iam:DeleteRolePolicy", name, call.send()).await?;
        run.note(
            ResourceKind::Role,
            format!("deleted inline policy {policy}"),
        );
    }
    let call = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .max_items(1000);
    let profiles = sent("iam:ListInstanceProfilesForRole", name, call.send()).await?;
    for profile in profiles.instance_profiles() {
        let profile = profile.instance_profile_name();
        let call = iam
            .remove_role_from_instance_profile()
            .role_name(name)
            .instance_profile_name(profile);
        removed("iam:RemoveRoleFromInstanceProfile", name, call.send()).await?;
        run.note(
            ResourceKind::Role,
            format!("removed from instance profile {profile}"),
        );
    }
    let call = iam.delete_role().role_name(name);
    if !removed("iam:DeleteRole", name, call.send()).await? {
        return Ok(Fate::Gone);
    }
    Ok(Fate::Removed("deleted".to_owned()))
}

async fn delete_user(
    iam: &aws_sdk_iam::Client,
    spec: &Spec,
    run: &mut Run<'_>,
) -> Result<Fate, AwsError> {
    let name = spec.user.name.as_str();

    // Policies or groups of others on it: someone relies on this user.
    let ours = Arns::of(spec).policy;
    let mut others: Vec<String> = Vec::new();
    let call = iam
        .list_attached_user_policies()
        .user_name(name)
        .max_items(1000);
    let attached = sent("iam:ListAttachedUserPolicies", name, call.send()).await?;
    others.extend(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .filter(|arn| *arn != ours)
            .map(|arn| format!("policy {arn}")),
    );
    let call = iam.list_user_policies().user_name(name).max_items(1000);
    let inline = sent("iam:ListUserPolicies", name, call.send()).await?;
    others.extend(
        inline
            .policy_names()
            .iter()
            .map(|p| format!("inline policy {p}")),
    );
    let call = iam.list_groups_for_user().user_name(name).max_items(1000);
    let groups = sent("iam:ListGroupsForUser", name, call.send()).await?;
    others.extend(
        groups
            .groups()
            .iter()
            .map(|g| format!("group {}", g.group_name())),
    );
    if !others.is_empty() {
        return Ok(Fate::Kept(KeptReason::InUse(format!(
            "it also has {}, which sluice never gives it: someone relies on this user; remove those to let sluice delete it",
            others.join(", ")
        ))));
    }

    // IAM deletes a user only once its keys, our policy and password are gone.
    let call = iam.list_access_keys().user_name(name).max_items(1000);
    let keys = sent("iam:ListAccessKeys", name, call.send()).await?;
    for key in keys.access_key_metadata() {
        let Some(id) = key.access_key_id() else {
            continue;
        };
        let call = iam.delete_access_key().user_name(name).access_key_id(id);
        removed("iam:DeleteAccessKey", name, call.send()).await?;
        run.note(ResourceKind::User, format!("deleted access key {id}"));
    }
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        detach(iam, Holder::User(name), arn).await?;
        run.note(ResourceKind::User, format!("detached policy {arn}"));
    }
    let call = iam.delete_login_profile().user_name(name);
    removed("iam:DeleteLoginProfile", name, call.send()).await?;
    let call = iam.delete_user().user_name(name);
    if !removed("iam:DeleteUser", name, call.send()).await? {
        return Ok(Fate::Gone);
    }
    Ok(Fate::Removed("deleted".to_owned()))
}

/// Whether the role or user `what` names is the stack's (by its tag): `Err`
/// holds the fate to report instead, gone or kept as another's.
async fn the_stacks(
    clients: &Clients,
    what: Tagged<'_>,
    stack: &str,
) -> Result<Result<(), Fate>, AwsError> {
    let Some(tags) = read_tags(clients, what).await? else {
        return Ok(Err(Fate::Gone));
    };
    Ok(match owner(&tags, stack) {
        Owner::Stack => Ok(()),
        other => Err(Fate::Kept(KeptReason::NotOurs(not_ours(&other, stack)))),
    })
}

/// An IAM identity a managed policy is attached to.
#[derive(Debug, Clone, Copy)]
enum Holder<'n> {
    Role(&'n str),
    User(&'n str),
    Group(&'n str),
}

impl std::fmt::Display for Holder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Role(name) => write!(f, "role {name}"),
            Holder::User(name) => write!(f, "user {name}"),
            Holder::Group(name) => write!(f, "group {name}"),
        }
    }
}

/// Detaches the managed policy `arn` from `holder` (IAM deletes neither a
/// policy nor an identity while they are attached); `Ok(false)` when either
/// was gone already.
async fn detach(
    iam: &aws_sdk_iam::Client,
    holder: Holder<'_>,
    arn: &str,
) -> Result<bool, AwsError> {
    match holder {
        Holder::Role(name) => {
            let call = iam.detach_role_policy().role_name(name).policy_arn(arn);
            removed("iam:DetachRolePolicy", name, call.send()).await
        }
        Holder::User(name) => {
            let call = iam.detach_user_policy().user_name(name).policy_arn(arn);
            removed("iam:DetachUserPolicy", name, call.send()).await
        }
        Holder::Group(name) => {
            let call = iam.detach_group_policy().group_name(name).policy_arn(arn);
            removed("iam:DetachGroupPolicy", name, call.send()).await
        }
    }
}

/// Awaits one call that removes something: `Ok(true)` when it did,
/// `Ok(false)` when its target was already gone; its error classified as
/// `action` on `resource`.
async fn removed<T, E>(
    action: &'static str,
    resource: &str,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<bool, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    optional(sent(action, resource, call).await).map(|o| o.is_some())
}
