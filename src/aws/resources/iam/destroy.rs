//! IAM: the permissions policy, the role and the user, each deleted when
//! it carries the stack's tag, after what must go first (attachments,
//! policy versions, inline policies, instance profiles, access keys, the
//! login profile).

use crate::aws::client::Clients;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, classify, optional};
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
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify("iam:ListPolicyVersions", arn, e))?;
    for version in versions.versions() {
        let Some(id) = version.version_id() else {
            continue;
        };
        if version.is_default_version() {
            continue;
        }
        ignore_not_found(
            iam.delete_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
                .map_err(|e| classify("iam:DeletePolicyVersion", arn, e)),
        )?;
    }
    if !ignore_not_found(
        iam.delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:DeletePolicy", arn, e)),
    )? {
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

pub(in crate::aws) async fn role(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let name = spec.role.name.as_str();
    if let Err(fate) = the_stacks(clients, Tagged::Role(name), &spec.name).await? {
        return Ok((label.to_owned(), fate));
    }

    // IAM deletes a role only once nothing is attached to it.
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedRolePolicies", name, e))?;
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        detach(iam, Holder::Role(name), arn).await?;
        run.note(ResourceKind::Role, format!("detached policy {arn}"));
    }
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListRolePolicies", name, e))?;
    for policy in inline.policy_names() {
        ignore_not_found(
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| classify("iam:DeleteRolePolicy", name, e)),
        )?;
        run.note(
            ResourceKind::Role,
            format!("deleted inline policy {policy}"),
        );
    }
    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListInstanceProfilesForRole", name, e))?;
    for profile in profiles.instance_profiles() {
        let profile = profile.instance_profile_name();
        ignore_not_found(
            iam.remove_role_from_instance_profile()
                .role_name(name)
                .instance_profile_name(profile)
                .send()
                .await
                .map_err(|e| classify("iam:RemoveRoleFromInstanceProfile", name, e)),
        )?;
        run.note(
            ResourceKind::Role,
            format!("removed from instance profile {profile}"),
        );
    }
    if !ignore_not_found(
        iam.delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRole", name, e)),
    )? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
}

pub(in crate::aws) async fn user(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let name = spec.user.name.as_str();
    if let Err(fate) = the_stacks(clients, Tagged::User(name), &spec.name).await? {
        return Ok((label.to_owned(), fate));
    }

    // Policies or groups of others on it: someone relies on this user.
    let ours = Arns::of(spec).policy;
    let mut others: Vec<String> = Vec::new();
    let attached = iam
        .list_attached_user_policies()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedUserPolicies", name, e))?;
    others.extend(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .filter(|arn| *arn != ours)
            .map(|arn| format!("policy {arn}")),
    );
    let inline = iam
        .list_user_policies()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListUserPolicies", name, e))?;
    others.extend(
        inline
            .policy_names()
            .iter()
            .map(|p| format!("inline policy {p}")),
    );
    let groups = iam
        .list_groups_for_user()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListGroupsForUser", name, e))?;
    others.extend(
        groups
            .groups()
            .iter()
            .map(|g| format!("group {}", g.group_name())),
    );
    if !others.is_empty() {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::InUse(format!(
                "it also has {}, which sluice never gives it: someone relies on this user; remove those to let sluice delete it",
                others.join(", ")
            ))),
        ));
    }

    // IAM deletes a user only once its keys, our policy and password are gone.
    let keys = iam
        .list_access_keys()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAccessKeys", name, e))?;
    for key in keys.access_key_metadata() {
        let Some(id) = key.access_key_id() else {
            continue;
        };
        ignore_not_found(
            iam.delete_access_key()
                .user_name(name)
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| classify("iam:DeleteAccessKey", name, e)),
        )?;
        run.note(ResourceKind::User, format!("deleted access key {id}"));
    }
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        detach(iam, Holder::User(name), arn).await?;
        run.note(ResourceKind::User, format!("detached policy {arn}"));
    }
    ignore_not_found(
        iam.delete_login_profile()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteLoginProfile", name, e)),
    )?;
    if !ignore_not_found(
        iam.delete_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteUser", name, e)),
    )? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
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
    let result = match holder {
        Holder::Role(name) => iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| classify("iam:DetachRolePolicy", name, e)),
        Holder::User(name) => iam
            .detach_user_policy()
            .user_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| classify("iam:DetachUserPolicy", name, e)),
        Holder::Group(name) => iam
            .detach_group_policy()
            .group_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| classify("iam:DetachGroupPolicy", name, e)),
    };
    ignore_not_found(result)
}

/// `Ok(true)` when the call succeeded, `Ok(false)` when its target was already gone.
fn ignore_not_found<T>(result: Result<T, AwsError>) -> Result<bool, AwsError> {
    optional(result).map(|o| o.is_some())
}
