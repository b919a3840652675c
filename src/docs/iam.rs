//! The permissions policy and the role's trust policy.

use serde_json::{Value, json};

use super::{Arns, POLICY_VERSION};
use crate::spec::profiles::ExternalId;
use crate::spec::{BucketEncryption, PolicyScope, QueueEncryption, Spec};

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
pub fn permissions_policy(spec: &Spec) -> Value {
    let arns = Arns::of(spec);
    let mut statements = match spec.policy.scope {
        PolicyScope::LeastPrivilege => least_privilege(spec, &arns),
        PolicyScope::Wildcard => {
            let mut actions: Vec<&str> = WILDCARD_S3_ACTIONS.to_vec();
            actions.extend(spec.profile().extra_object_actions);
            actions.extend(queue_actions(spec));
            actions.sort_unstable();
            actions.dedup();
            let mut statements = vec![json!({
                "Sid": "S3AndSQSAccess",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            })];
            statements.extend(object_write(spec, &arns));
            statements
        }
    };
    let keys = kms_keys(spec);
    if !keys.is_empty() {
        let mut actions = vec!["kms:Decrypt"];
        if spec.policy.allow_put_object {
            // Writing into an SSE-KMS bucket makes a data key.
            actions.push("kms:GenerateDataKey");
        }
        statements.push(json!({
            "Sid": "KMSDecrypt",
            "Effect": "Allow",
            "Action": one_or_many_str(actions),
            "Resource": match spec.policy.scope {
                PolicyScope::Wildcard => json!("*"),
                PolicyScope::LeastPrivilege => one_or_many(keys),
            },
        }));
    }
    json!({ "Version": POLICY_VERSION, "Statement": statements })
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
fn object_write(spec: &Spec, arns: &Arns) -> Option<Value> {
    let mut actions = Vec::new();
    if spec.policy.allow_put_object {
        actions.push("s3:PutObject");
    }
    if spec.policy.allow_delete_object {
        actions.push("s3:DeleteObject");
    }
    (!actions.is_empty()).then(|| {
        json!({
            "Sid": "S3ObjectWriteAccess",
            "Effect": "Allow",
            "Action": one_or_many_str(actions),
            "Resource": arns.objects,
        })
    })
}

fn least_privilege(spec: &Spec, arns: &Arns) -> Vec<Value> {
    let prefix = &spec.bucket.prefix;
    let mut statements = Vec::new();
    if prefix.is_empty() {
        statements.push(json!({
            "Sid": "S3BucketMetadataAccess",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": arns.bucket,
        }));
    } else {
        statements.push(json!({
            "Sid": "S3BucketMetadataAccess",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": arns.bucket,
        }));
        statements.push(json!({
            "Sid": "S3ListPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arns.bucket,
            "Condition": { "StringLike": { "s3:prefix": [prefix, format!("{prefix}*")] } },
        }));
    }
    let mut read = vec!["s3:GetObject"];
    read.extend(spec.profile().extra_object_actions);
    statements.push(json!({
        "Sid": "S3ObjectReadAccess",
        "Effect": "Allow",
        "Action": read,
        "Resource": arns.objects,
    }));
    statements.extend(object_write(spec, arns));
    let queue = queue_actions(spec);
    if !queue.is_empty() {
        statements.push(json!({
            "Sid": "SQSConsumeAccess",
            "Effect": "Allow",
            "Action": queue,
            "Resource": arns.queue,
        }));
    }
    if spec.has_dead_letter() {
        statements.push(json!({
            "Sid": "SQSDeadLetterQueueRead",
            "Effect": "Allow",
            "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Resource": arns.dlq,
        }));
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

fn one_or_many_str(mut values: Vec<&str>) -> Value {
    if values.len() == 1 {
        Value::String(values.remove(0).to_owned())
    } else {
        json!(values)
    }
}

fn one_or_many(mut values: Vec<String>) -> Value {
    if values.len() == 1 {
        Value::String(values.remove(0))
    } else {
        json!(values)
    }
}

/// The role's trust policy: `sts:AssumeRole` for each trusted principal,
/// conditioned on the external ID (one statement each, as Databend's guide does).
pub fn trust_policy(spec: &Spec) -> Value {
    let arns = Arns::of(spec);
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
    let statements: Vec<Value> = principals
        .iter()
        .enumerate()
        .map(|(i, principal)| {
            let sid = match sids.get(i) {
                Some(sid) => (*sid).to_owned(),
                None if many => format!("AllowAssumeRoleWithExternalId{}", i + 1),
                None => "AllowAssumeRoleWithExternalId".to_owned(),
            };
            let mut statement = json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": { "AWS": principal },
                "Action": "sts:AssumeRole",
            });
            if with_external_id {
                statement["Condition"] =
                    json!({ "StringEquals": { "sts:ExternalId": spec.role.external_id } });
            }
            statement
        })
        .collect();
    json!({ "Version": POLICY_VERSION, "Statement": statements })
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
mod tests {
    use super::*;
    use crate::docs::testing::acme;

    #[test]
    fn least_privilege_without_prefix() {
        assert_eq!(
            permissions_policy(&acme()),
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "S3BucketMetadataAccess",
                        "Effect": "Allow",
                        "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                        "Resource": "arn:aws:s3:::acme-ingest-source"
                    },
                    {
                        "Sid": "S3ObjectReadAccess",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": "arn:aws:s3:::acme-ingest-source/*"
                    },
                    {
                        "Sid": "SQSConsumeAccess",
                        "Effect": "Allow",
                        "Action": [
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                            "sqs:ChangeMessageVisibility"
                        ],
                        "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"
                    },
                    {
                        "Sid": "SQSDeadLetterQueueRead",
                        "Effect": "Allow",
                        "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                        "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue-dlq"
                    }
                ]
            })
        );
    }

    #[test]
    fn least_privilege_with_prefix_toggles_and_kms() {
        let mut spec = acme();
        spec.bucket.prefix = "events/".into();
        spec.policy.allow_send_message = true;
        spec.policy.allow_delete_object = true;
        spec.queue.dead_letter.enabled = false;
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/k1".into());
        assert_eq!(
            permissions_policy(&spec),
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "S3BucketMetadataAccess",
                        "Effect": "Allow",
                        "Action": "s3:GetBucketLocation",
                        "Resource": "arn:aws:s3:::acme-ingest-source"
                    },
                    {
                        "Sid": "S3ListPrefix",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": "arn:aws:s3:::acme-ingest-source",
                        "Condition": {"StringLike": {"s3:prefix": ["events/", "events/*"]}}
                    },
                    {
                        "Sid": "S3ObjectReadAccess",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": "arn:aws:s3:::acme-ingest-source/events/*"
                    },
                    {
                        "Sid": "S3ObjectWriteAccess",
                        "Effect": "Allow",
                        "Action": "s3:DeleteObject",
                        "Resource": "arn:aws:s3:::acme-ingest-source/events/*"
                    },
                    {
                        "Sid": "SQSConsumeAccess",
                        "Effect": "Allow",
                        "Action": [
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                            "sqs:ChangeMessageVisibility",
                            "sqs:SendMessage"
                        ],
                        "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"
                    },
                    {
                        "Sid": "KMSDecrypt",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": "arn:aws:kms:us-west-2:123456789012:key/k1"
                    }
                ]
            })
        );
    }

    #[test]
    fn wildcard_toggles_mean_what_they_say_and_writes_stay_in_the_bucket() {
        let mut spec = acme();
        spec.policy.scope = PolicyScope::Wildcard;
        spec.bucket.prefix = "in/".into();
        spec.policy.allow_delete_object = true;
        spec.policy.allow_put_object = true;
        let policy = permissions_policy(&spec);
        let statements = policy["Statement"].as_array().unwrap();
        assert!(
            !statements[0]["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("sqs:SendMessage")),
            "allow_send_message is off: {policy}"
        );
        assert_eq!(
            statements[1],
            json!({
                "Sid": "S3ObjectWriteAccess",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": "arn:aws:s3:::acme-ingest-source/in/*"
            })
        );
        // Without a queue, no queue action at all.
        spec.queue.enabled = false;
        spec.notification.enabled = false;
        let policy = permissions_policy(&spec);
        assert_eq!(
            policy["Statement"][0]["Action"],
            json!(["s3:GetObject", "s3:ListBucket"])
        );
    }

    #[test]
    fn wildcard_reproduces_the_tarsal_policy() {
        let mut spec = acme();
        spec.policy.scope = PolicyScope::Wildcard;
        spec.policy.allow_send_message = true;
        assert_eq!(
            permissions_policy(&spec),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "S3AndSQSAccess",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject", "s3:ListBucket", "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                        "sqs:ReceiveMessage", "sqs:SendMessage"
                    ],
                    "Resource": "*"
                }]
            })
        );
    }

    #[test]
    fn trust_policy_one_statement_per_principal() {
        let mut spec = acme();
        assert_eq!(
            trust_policy(&spec),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "AllowAssumeRoleWithExternalId",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}
                }]
            })
        );
        spec.role.trusted_principals = vec![
            "arn:aws:iam::111111111111:role/setup".into(),
            "222222222222".into(),
        ];
        let doc = trust_policy(&spec);
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Sid"], "AllowAssumeRoleWithExternalId1");
        assert_eq!(
            statements[0]["Principal"]["AWS"],
            "arn:aws:iam::111111111111:role/setup"
        );
        assert_eq!(
            statements[1]["Principal"]["AWS"],
            "arn:aws:iam::222222222222:root"
        );
        assert_eq!(
            statements[1]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-123"
        );
    }

    #[test]
    fn without_account_the_placeholder_shows() {
        let mut spec = acme();
        spec.account_id = None;
        spec.role.trusted_principals.clear();
        let doc = trust_policy(&spec);
        assert_eq!(
            doc["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::<ACCOUNT_ID>:root"
        );
    }
}
