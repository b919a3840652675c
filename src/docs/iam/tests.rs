//! Tests of the permissions policy and the trust policy: what each grants,
//! to whom, on which conditions.

use serde_json::{Value, json};

use super::*;
use crate::docs::testing::acme;

// The policies as the JSON IAM is sent: what these tests read.
fn permissions_policy(spec: &Spec) -> Value {
    crate::docs::json(&super::permissions_policy(spec))
}

fn trust_policy(spec: &Spec) -> Value {
    crate::docs::json(&super::trust_policy(spec))
}

fn federation_session_policy(spec: &Spec) -> Value {
    crate::docs::json(&super::federation_session_policy(spec))
}

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
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
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
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
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
fn a_prefix_is_literal_and_a_guide_lists_the_whole_bucket() {
    let mut spec = acme();
    spec.bucket.prefix = "batch?/a*b/${x}/".into();
    let policy = permissions_policy(&spec);
    let literal = "batch${?}/a${*}b/${$}{x}/";
    assert_eq!(
        policy["Statement"][1]["Condition"]["StringLike"]["s3:prefix"],
        json!([literal, format!("{literal}*")])
    );
    assert_eq!(
        policy["Statement"][2]["Resource"],
        format!("arn:aws:s3:::acme-ingest-source/{literal}*")
    );
    spec.policy.list_scope = ListScope::Bucket;
    let policy = permissions_policy(&spec);
    assert_eq!(
        policy["Statement"][0],
        json!({
            "Sid": "S3BucketMetadataAccess",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": "arn:aws:s3:::acme-ingest-source"
        })
    );
    assert_eq!(policy["Statement"][1]["Sid"], "S3ObjectReadAccess");
}

#[test]
fn a_sender_to_a_kms_queue_makes_data_keys_and_a_user_its_own_tokens() {
    let mut spec = acme();
    spec.queue.encryption = QueueEncryption::Kms;
    spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/q".into());
    let last = |spec: &Spec| -> Value {
        let policy = permissions_policy(spec);
        policy["Statement"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };
    assert_eq!(last(&spec)["Sid"], "KMSDecrypt");
    spec.policy.allow_send_message = true;
    assert_eq!(
        last(&spec),
        json!({
            "Sid": "KMSGenerateDataKey",
            "Effect": "Allow",
            "Action": "kms:GenerateDataKey",
            "Resource": "arn:aws:kms:us-west-2:123456789012:key/q"
        })
    );
    spec.user.enabled = true;
    let policy = permissions_policy(&spec);
    let federation = last(&spec);
    assert_eq!(
        federation["Resource"],
        "arn:aws:sts::123456789012:federated-user/acme-ingest"
    );
    assert_eq!(federation["Action"], "sts:GetFederationToken");
    // The session policy of the tokens is the rest.
    let session = federation_session_policy(&spec);
    assert_eq!(
        session["Statement"].as_array().unwrap().len(),
        policy["Statement"].as_array().unwrap().len() - 1
    );
    assert!(!session.to_string().contains("sts:"));
    spec.name = "a".into();
    assert_eq!(federated_user_name(&spec), "a-federated");
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
        json!(["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"])
    );
}

#[test]
fn wildcard_reproduces_the_tarsal_policy() {
    let mut spec = acme();
    spec.connector = crate::spec::Connector::Tarsal;
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
fn a_two_step_role_trusts_nobody_until_the_vendors_values_are_given() {
    use crate::spec::{Connector, starter_for};
    let mut spec = starter_for(
        Connector::Snowflake,
        "sfk",
        "us-west-2",
        Some("123456789012"),
    );
    assert!(spec.vendor_trust_pending());
    let doc = trust_policy(&spec);
    assert_eq!(
        doc,
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": UNUSABLE_TRUST_SID,
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole"}]})
    );
    assert!(crate::docs::lint_trust_policy(&super::trust_policy(&spec)).is_empty());
    spec.role.trusted_principals = vec!["arn:aws:iam::210987654321:user/sf".into()];
    spec.role.external_id = "SFK_SFCRole=2_x=".into();
    let doc = trust_policy(&spec);
    assert_eq!(doc["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        doc["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "SFK_SFCRole=2_x="
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
