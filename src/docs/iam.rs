//! The permissions policy and the role's trust policy. Its tests, as long
//! as the code, are in `iam/tests.rs`.

use super::policy::{Effect, OneOrMany, Policy, Principal, Statement, condition};
use super::{Arns, iam_literal};
use crate::spec::profiles::ExternalId;
use crate::spec::{BucketEncryption, ListScope, PolicyScope, QueueEncryption, Spec};

/// The permission policy's description, the same on every path.
pub fn policy_description(spec: &Spec) -> String {
    format!(
        "S3 and SQS access for the {} ingestion pipeline (sluice)",
        spec.name
    )
}

/// The role's description, the same on every path.
pub fn role_description(spec: &Spec) -> String {
    format!("Assumed by the {} ingestion connector (sluice)", spec.name)
}

/// The S3 actions the wildcard policy of Tarsal's setup guide grants.
const WILDCARD_S3_ACTIONS: &[&str] = &["s3:GetObject", "s3:ListBucket"];

/// The identity policy attached to the role and the user: what the connector
/// needs for the pipeline's shape, and nothing more. Every toggle means what
/// it says in both scopes; writing and deleting objects never reach beyond
/// the bucket's prefix, even in the wildcard scope.
pub fn permissions_policy(spec: &Spec) -> Policy {
    let arns = Arns::of(spec);
    let mut statements = match spec.policy.scope {
        PolicyScope::LeastPrivilege => least_privilege(spec, &arns),
        PolicyScope::Wildcard => {
            let mut actions: Vec<&str> = WILDCARD_S3_ACTIONS.to_vec();
            actions.extend(spec.profile().extra_object_actions);
            actions.extend(queue_actions(spec));
            actions.sort_unstable();
            actions.dedup();
            let mut statements = vec![Statement::allow("S3AndSQSAccess", actions, "*")];
            statements.extend(object_write(spec, &arns));
            statements
        }
    };
    let on_keys = |keys: Vec<String>| match spec.policy.scope {
        PolicyScope::Wildcard => OneOrMany::from("*"),
        PolicyScope::LeastPrivilege => OneOrMany::fit(keys),
    };
    let keys = kms_keys(spec);
    if !keys.is_empty() {
        statements.push(Statement::allow("KMSDecrypt", "kms:Decrypt", on_keys(keys)));
    }
    let writing = kms_keys_written(spec);
    if !writing.is_empty() {
        statements.push(Statement::allow(
            "KMSGenerateDataKey",
            "kms:GenerateDataKey",
            on_keys(writing),
        ));
    }
    if spec.user.enabled {
        statements.push(federation_statement(spec, &arns));
    }
    Policy::new(statements)
}

/// The Sid of the statement that lets the user make its own temporary credentials.
const FEDERATION_SID: &str = "STSFederationTokenForItself";

/// The name `sluice credentials` gives the federated user of
/// GetFederationToken: the stack's name (2 to 32 of `\w+=,.@-`).
pub fn federated_user_name(spec: &Spec) -> String {
    let mut name: String = spec.name.chars().take(32).collect();
    if name.len() < 2 {
        name.push_str("-federated");
    }
    name
}

/// Lets the pipeline's user call GetFederationToken for itself, as Treasure
/// Data's guide has the import user make its temporary credentials
/// (`sluice credentials`). Only an IAM user's long-term keys can call it: the
/// role's sessions cannot (IAM User Guide, "Comparing the AWS STS API
/// operations"), so on the role the statement grants nothing.
fn federation_statement(spec: &Spec, arns: &Arns) -> Statement {
    Statement::allow(
        FEDERATION_SID,
        "sts:GetFederationToken",
        format!(
            "arn:{}:sts::{}:federated-user/{}",
            arns.partition,
            arns.account,
            federated_user_name(spec)
        ),
    )
}

/// The policy `sluice credentials` passes to GetFederationToken: the
/// permissions policy without its federation statement, so the temporary
/// credentials can do what the pipeline does and no more.
pub fn federation_session_policy(spec: &Spec) -> Policy {
    let policy = permissions_policy(spec);
    policy.without(FEDERATION_SID).unwrap_or(policy)
}

/// IAM's default quota on a role's trust policy, in characters (white space
/// not counted), and the most it can be raised to (IAM User Guide, "IAM and
/// AWS STS quotas": role trust policy length, 2,048 by default, 4,096 at most).
pub const TRUST_POLICY_QUOTA: usize = 2048;
pub const TRUST_POLICY_MAX: usize = 4096;

/// A policy's size as IAM counts it against its quotas: its characters
/// without the white space between the JSON's tokens.
pub fn policy_size(policy: &Policy) -> usize {
    policy.to_string().chars().count()
}

/// The queue actions the connector gets: its profile's, and `sqs:SendMessage`
/// where allowed; none without a queue.
fn queue_actions(spec: &Spec) -> Vec<&'static str> {
    if !spec.has_queue() {
        return Vec::new();
    }
    let mut actions: Vec<&'static str> = spec.profile().queue_actions.to_vec();
    if spec.policy.allow_send_message {
        actions.push("sqs:SendMessage");
    }
    actions
}

/// `s3:PutObject` and `s3:DeleteObject` under the prefix, where allowed.
fn object_write(spec: &Spec, arns: &Arns) -> Option<Statement> {
    let mut actions = Vec::new();
    if spec.policy.allow_put_object {
        actions.push("s3:PutObject");
    }
    if spec.policy.allow_delete_object {
        actions.push("s3:DeleteObject");
    }
    (!actions.is_empty()).then(|| {
        Statement::allow(
            "S3ObjectWriteAccess",
            OneOrMany::fit(actions.into_iter().map(str::to_owned).collect()),
            arns.objects.as_str(),
        )
    })
}

fn least_privilege(spec: &Spec, arns: &Arns) -> Vec<Statement> {
    let prefix = iam_literal(&spec.bucket.prefix);
    let mut statements = Vec::new();
    // A guide's ListBucket on the whole bucket (HeadBucket and a listing from
    // the root, which their connection tests call), or only under the prefix.
    if prefix.is_empty() || spec.policy.list_scope == ListScope::Bucket {
        statements.push(Statement::allow(
            "S3BucketMetadataAccess",
            vec!["s3:GetBucketLocation", "s3:ListBucket"],
            arns.bucket.as_str(),
        ));
    } else {
        statements.push(Statement::allow(
            "S3BucketMetadataAccess",
            "s3:GetBucketLocation",
            arns.bucket.as_str(),
        ));
        statements.push(
            Statement::allow("S3ListPrefix", "s3:ListBucket", arns.bucket.as_str()).condition(
                condition(
                    "StringLike",
                    "s3:prefix",
                    vec![prefix.clone(), format!("{prefix}*")].into(),
                ),
            ),
        );
    }
    let mut read = vec!["s3:GetObject"];
    read.extend(spec.profile().extra_object_actions);
    statements.push(Statement::allow(
        "S3ObjectReadAccess",
        read,
        arns.objects.as_str(),
    ));
    statements.extend(object_write(spec, arns));
    let queue = queue_actions(spec);
    if !queue.is_empty() {
        statements.push(Statement::allow(
            "SQSConsumeAccess",
            queue,
            arns.queue.as_str(),
        ));
    }
    if spec.has_dead_letter() {
        statements.push(Statement::allow(
            "SQSDeadLetterQueueRead",
            vec!["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            arns.dlq.as_str(),
        ));
    }
    statements
}

/// The customer-managed KMS keys a consumer must decrypt with.
fn kms_keys(spec: &Spec) -> Vec<String> {
    let mut keys = Vec::new();
    if spec.bucket.encryption != BucketEncryption::SseS3 {
        keys.extend(spec.bucket.kms_key_arn.clone());
    }
    if spec.has_queue() && spec.queue.encryption == QueueEncryption::Kms {
        keys.extend(spec.queue.kms_key_arn.clone());
    }
    keys.dedup();
    keys
}

/// The keys the connector makes data keys with: the bucket's when it writes
/// objects (SSE-KMS and DSSE-KMS encrypt each new object under a data key),
/// the queue's when it sends (SQS developer guide, "Key management": a
/// producer to an encrypted queue needs kms:GenerateDataKey and kms:Decrypt;
/// backfills and Tarsal send).
fn kms_keys_written(spec: &Spec) -> Vec<String> {
    let mut keys = Vec::new();
    if spec.bucket.encryption != BucketEncryption::SseS3 && spec.policy.allow_put_object {
        keys.extend(spec.bucket.kms_key_arn.clone());
    }
    if spec.has_queue()
        && spec.queue.encryption == QueueEncryption::Kms
        && spec.policy.allow_send_message
    {
        keys.extend(spec.queue.kms_key_arn.clone());
    }
    keys.dedup();
    keys
}

/// The role's trust policy: `sts:AssumeRole` for each trusted principal,
/// conditioned on the external ID (one statement each, as Databend's guide does).
pub fn trust_policy(spec: &Spec) -> Policy {
    let arns = Arns::of(spec);
    if spec.vendor_trust_pending() {
        return unusable_trust(&arns);
    }
    let principals: Vec<String> = if spec.role.trusted_principals.is_empty() {
        vec![arns.account_root.clone()]
    } else {
        spec.role
            .trusted_principals
            .iter()
            .map(|p| normalize_principal(p, arns.partition))
            .collect()
    };
    let many = principals.len() > 1;
    let sids = spec.profile().trust_sids;
    let with_external_id = spec.profile().external_id != ExternalId::None;
    let statements: Vec<Statement> = principals
        .iter()
        .enumerate()
        .map(|(i, principal)| {
            let sid = match sids.get(i) {
                Some(sid) => (*sid).to_owned(),
                None if many => format!("AllowAssumeRoleWithExternalId{}", i + 1),
                None => "AllowAssumeRoleWithExternalId".to_owned(),
            };
            let statement = Statement {
                action: Some("sts:AssumeRole".into()),
                ..Statement::new(sid, Effect::Allow).principal(Principal::aws(principal))
            };
            if with_external_id {
                statement.condition(condition(
                    "StringEquals",
                    "sts:ExternalId",
                    spec.role.external_id.clone().into(),
                ))
            } else {
                statement
            }
        })
        .collect();
    Policy::new(statements)
}

/// The Sid of the step-1 trust statement of a two-step setup.
pub const UNUSABLE_TRUST_SID: &str = "NobodyUntilTheVendorsValuesAreGiven";

/// The trust policy of step 1 of a two-step setup (Snowflake's), before the
/// vendor has named its principal and external ID: an explicit Deny of
/// sts:AssumeRole and no Allow at all, so nobody can assume the role.
///
/// A Deny rather than an Allow with an external ID nobody knows: IAM needs a
/// valid principal in every statement, and an Allow for the account's root
/// would hand the role to anyone in the account whose own policies allow
/// sts:AssumeRole and who reads the "secret" condition value from the very
/// trust policy (iam:GetRole shows it). With only a Deny, nothing grants
/// the role to anyone, the explicit Deny overrides every identity policy of
/// the account (the account's root is the principal that covers them all),
/// and principals of other accounts have no Allow to match.
fn unusable_trust(arns: &Arns) -> Policy {
    Policy::new(vec![Statement {
        action: Some("sts:AssumeRole".into()),
        ..Statement::new(UNUSABLE_TRUST_SID, Effect::Deny)
            .principal(Principal::aws(arns.account_root.as_str()))
    }])
}

/// IAM stores a bare account id as its root ARN; writing it that way avoids a perpetual diff.
fn normalize_principal(principal: &str, partition: &str) -> String {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:{partition}:iam::{principal}:root")
    } else {
        principal.to_owned()
    }
}

#[cfg(test)]
mod tests;
