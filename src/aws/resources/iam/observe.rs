//! Reading the IAM resources: the permissions policy (its default
//! version), the role (trust policy, attachments, inline policies), the user
//! (attachments, groups, access keys).

use std::collections::BTreeMap;

use crate::aws::client::Clients;
use crate::aws::error::{AwsError, classify, optional};
use crate::docs::policy::{Effect, Policy};

use crate::aws::observe::{Observed, iam_tags};

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyState {
    pub arn: String,
    pub default_version: String,
    pub document: Policy,
    /// Versions, oldest first: (id, is default).
    pub versions: Vec<(String, bool)>,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleState {
    pub arn: String,
    pub trust_policy: Policy,
    pub attached: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
    /// Inline policies on the role, by name, each with whether it grants
    /// every action (or every action of a service) on every resource.
    pub inline: Vec<(String, bool)>,
    /// The attached policies that grant that much.
    pub broad: std::collections::BTreeSet<String>,
}

/// Whether a policy document allows every action, or every action of a
/// service, on every resource: a grant far wider than a connector needs.
pub fn grants_everything(document: &Policy) -> bool {
    document.statements().any(|s| {
        s.effect == Effect::Allow
            && s.condition.is_none()
            && s.resources().any(|r| r == "*")
            && s.actions().any(|a| a == "*" || a.ends_with(":*"))
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    pub arn: String,
    pub attached: Vec<String>,
    pub access_keys: usize,
    pub tags: BTreeMap<String, String>,
    /// Access keys whose secret sluice did not save on this machine (by its
    /// record of saved keys, [`crate::aws::journal::keys`]).
    pub unsaved_keys: Vec<String>,
}

/// IAM returns policy documents URL-encoded; some emulators do not.
pub fn decode_policy_document(text: &str) -> Result<Policy, String> {
    let json = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => json,
        Err(_) => {
            let decoded = percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map_err(|e| format!("policy document is not UTF-8: {e}"))?;
            serde_json::from_str(&decoded)
                .map_err(|e| format!("policy document is not JSON: {e}"))?
        }
    };
    Policy::from_json(&json).map_err(|e| e.to_string())
}

pub async fn observe_policy(clients: &Clients, arn: &str) -> Observed<PolicyState> {
    let got = optional(
        clients
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicy", arn, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let tags = got.policy().map(|p| iam_tags(p.tags())).unwrap_or_default();
    let description = got
        .policy()
        .and_then(|p| p.description())
        .map(str::to_owned);
    let default_version = got
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    let version = clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&default_version)
        .send()
        .await
        .map_err(|e| classify("iam:GetPolicyVersion", arn, e))?;
    let text = version
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or("{}");
    let document =
        decode_policy_document(text).map_err(|m| AwsError::new("iam:GetPolicyVersion", arn, m))?;
    let listed = clients
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify("iam:ListPolicyVersions", arn, e))?;
    let mut versions: Vec<(String, bool, i64)> = listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_owned(),
                v.is_default_version(),
                v.create_date().map(|d| d.secs()).unwrap_or_default(),
            )
        })
        .collect();
    versions.sort_by_key(|(_, _, created)| *created);
    Ok(Some(PolicyState {
        arn: arn.to_owned(),
        default_version,
        document,
        versions: versions
            .into_iter()
            .map(|(id, default, _)| (id, default))
            .collect(),
        tags,
        description,
    }))
}

pub async fn observe_role(clients: &Clients, name: &str) -> Observed<RoleState> {
    let got = optional(
        clients
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:GetRole", name, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let Some(role) = got.role() else {
        return Ok(None);
    };
    let trust_policy = decode_policy_document(role.assume_role_policy_document().unwrap_or("{}"))
        .map_err(|m| AwsError::new("iam:GetRole", name, m))?;
    let attached: Vec<String> = clients
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedRolePolicies", name, e))?
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let tags = iam_tags(
        clients
            .iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListRoleTags", name, e))?
            .tags(),
    );
    let mut inline = Vec::new();
    let names = clients
        .iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListRolePolicies", name, e))?;
    for policy in names.policy_names() {
        let got = clients
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| classify("iam:GetRolePolicy", name, e))?;
        let document = decode_policy_document(got.policy_document())
            .map_err(|m| AwsError::new("iam:GetRolePolicy", name, m))?;
        inline.push((policy.clone(), grants_everything(&document)));
    }
    let mut broad = std::collections::BTreeSet::new();
    for arn in &attached {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let wide = if arn.contains(":iam::aws:policy/") {
            // AWS's own: by name (its documents are AWS's, and long).
            name == "AdministratorAccess"
                || name == "PowerUserAccess"
                || name.ends_with("FullAccess")
        } else {
            matches!(observe_policy(clients, arn).await, Ok(Some(p)) if grants_everything(&p.document))
        };
        if wide {
            broad.insert(arn.clone());
        }
    }
    Ok(Some(RoleState {
        arn: role.arn().to_owned(),
        trust_policy,
        attached,
        tags,
        description: role.description().map(str::to_owned),
        inline,
        broad,
    }))
}

pub async fn observe_user(clients: &Clients, name: &str) -> Observed<UserState> {
    let got = optional(
        clients
            .iam
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:GetUser", name, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let Some(user) = got.user() else {
        return Ok(None);
    };
    let attached = clients
        .iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedUserPolicies", name, e))?
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let keys: Vec<String> = clients
        .iam
        .list_access_keys()
        .user_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAccessKeys", name, e))?
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect();
    let tags = iam_tags(
        clients
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListUserTags", name, e))?
            .tags(),
    );
    Ok(Some(UserState {
        arn: user.arn().to_owned(),
        attached,
        access_keys: keys.len(),
        tags,
        unsaved_keys: keys,
    }))
}

/// A role's trust policy as JSON, read as it is now.
pub async fn read_trust_policy(iam: &aws_sdk_iam::Client, role: &str) -> Result<Policy, AwsError> {
    let got = iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| classify("iam:GetRole", role, e))?;
    let text = got
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or("{}");
    decode_policy_document(text).map_err(|m| AwsError::new("iam:GetRole", role, m))
}
