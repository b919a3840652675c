//! Bucket settings and the deny-insecure-transport bucket policy statement.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Arns;
use super::policy::{Effect, Policy, Principal, Statement, condition};
use crate::spec::{BucketEncryption, ObjectOwnership, Spec};

/// The Sid sluice gives its bucket policy statement, so a merge can find it again.
pub const DENY_INSECURE_TRANSPORT_SID: &str = "SluiceDenyInsecureTransport";

/// Every bucket setting sluice sets but the bucket policy (which is merged
/// with others' statements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray)]
#[serde(rename_all = "kebab-case")]
pub enum BucketSetting {
    PublicAccessBlock,
    OwnershipControls,
    Encryption,
    Versioning,
    ObjectLock,
}

impl BucketSetting {
    pub const ALL: &'static [BucketSetting] = <Self as strum::VariantArray>::VARIANTS;

    /// The setting's key in a bucket document.
    pub fn key(self) -> &'static str {
        match self {
            BucketSetting::PublicAccessBlock => "PublicAccessBlockConfiguration",
            BucketSetting::OwnershipControls => "OwnershipControls",
            BucketSetting::Encryption => "ServerSideEncryptionConfiguration",
            BucketSetting::Versioning => "VersioningConfiguration",
            BucketSetting::ObjectLock => "ObjectLockConfiguration",
        }
    }

    /// The setting as `spec` wants it on a bucket the stack makes; `None`
    /// where the spec leaves it as S3 has it.
    pub fn wanted(self, spec: &Spec) -> Option<Value> {
        match self {
            BucketSetting::PublicAccessBlock => Some(public_access_block(spec)),
            BucketSetting::OwnershipControls => Some(ownership_controls(spec)),
            BucketSetting::Encryption => Some(bucket_encryption(spec)),
            BucketSetting::Versioning => versioning(spec),
            BucketSetting::ObjectLock => object_lock(spec),
        }
    }
}

/// A part of a bucket document: each setting, or the policy. Every verb
/// names the bucket's parts by this type; their keys have this one home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketPart {
    Setting(BucketSetting),
    Policy,
}

impl BucketPart {
    /// Every part, in the order a bucket document lists them and apply
    /// writes them (the policy last).
    pub fn all() -> impl Iterator<Item = BucketPart> {
        BucketSetting::ALL
            .iter()
            .map(|&setting| BucketPart::Setting(setting))
            .chain([BucketPart::Policy])
    }

    /// The part's key in a bucket document.
    pub fn key(self) -> &'static str {
        match self {
            BucketPart::Setting(setting) => setting.key(),
            BucketPart::Policy => "Policy",
        }
    }
}

/// The parts of a bucket the stack makes, as `spec` wants them; an adopted
/// bucket's are not the stack's to set (none).
pub fn bucket_parts(spec: &Spec) -> Vec<(BucketPart, Value)> {
    if !spec.bucket.create {
        return Vec::new();
    }
    BucketPart::all()
        .filter_map(|part| {
            let value = match part {
                BucketPart::Setting(setting) => setting.wanted(spec),
                BucketPart::Policy => bucket_policy(spec).as_ref().map(super::json),
            };
            value.map(|v| (part, v))
        })
        .collect()
}

/// The bucket's document: its parts under their keys.
pub fn bucket_document(spec: &Spec) -> super::BucketDocument {
    bucket_parts(spec).into_iter().collect()
}

/// `PutPublicAccessBlock`'s configuration, block by block.
pub fn public_access_block(spec: &Spec) -> Value {
    let b = spec.bucket.block_public_access;
    json!({
        "BlockPublicAcls": b.block_public_acls,
        "IgnorePublicAcls": b.ignore_public_acls,
        "BlockPublicPolicy": b.block_public_policy,
        "RestrictPublicBuckets": b.restrict_public_buckets,
    })
}

/// S3 Object Ownership; the default, ACLs disabled (the bucket owner owns
/// every object), is what Tarsal's and Hevo's guides recommend.
pub fn ownership_controls(spec: &Spec) -> Value {
    let ownership = match spec.bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
        ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
        ObjectOwnership::ObjectWriter => "ObjectWriter",
    };
    json!({ "Rules": [{ "ObjectOwnership": ownership }] })
}

/// `PutBucketEncryption`'s configuration. A Bucket Key only with SSE-KMS
/// (DSSE-KMS has none).
pub fn bucket_encryption(spec: &Spec) -> Value {
    let kms = |algorithm: &str, key: &str, bucket_key: bool| {
        json!({
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": algorithm,
                "KMSMasterKeyID": key,
            },
            "BucketKeyEnabled": bucket_key,
        })
    };
    let rule = match (spec.bucket.encryption, &spec.bucket.kms_key_arn) {
        (BucketEncryption::SseKms, Some(key)) => kms("aws:kms", key, spec.bucket.bucket_key),
        (BucketEncryption::DsseKms, Some(key)) => kms("aws:kms:dsse", key, false),
        _ => json!({
            "ApplyServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
            "BucketKeyEnabled": false,
        }),
    };
    json!({ "Rules": [rule] })
}

/// The Object Lock configuration, when the spec asks for Object Lock.
pub fn object_lock(spec: &Spec) -> Option<Value> {
    spec.bucket
        .object_lock
        .then(|| json!({ "ObjectLockEnabled": "Enabled" }))
}

/// `PutBucketVersioning`'s configuration, when versioning is wanted. Versioning
/// can only be suspended, never removed, so `false` leaves the bucket as it is.
pub fn versioning(spec: &Spec) -> Option<Value> {
    spec.bucket
        .versioning
        .then(|| json!({ "Status": "Enabled" }))
}

/// The bucket policy sluice wants: only the deny-insecure-transport statement,
/// or `None` when that is turned off.
pub fn bucket_policy(spec: &Spec) -> Option<Policy> {
    if !spec.bucket.deny_insecure_transport {
        return None;
    }
    let arns = Arns::of(spec);
    Some(Policy::new(vec![Statement {
        principal: Some(Principal::Everyone),
        action: Some("s3:*".into()),
        resource: Some(vec![arns.bucket.clone(), format!("{}/*", arns.bucket)].into()),
        condition: Some(condition("Bool", "aws:SecureTransport", "false".into())),
        ..Statement::new(DENY_INSECURE_TRANSPORT_SID, Effect::Deny)
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;

    #[test]
    fn settings() {
        let spec = acme();
        assert_eq!(
            public_access_block(&spec),
            json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
        );
        assert_eq!(
            bucket_encryption(&spec),
            json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}]})
        );
        assert_eq!(versioning(&spec), None);
        let mut spec = spec;
        spec.bucket.versioning = true;
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/b".into());
        assert_eq!(versioning(&spec), Some(json!({"Status": "Enabled"})));
        assert_eq!(
            bucket_encryption(&spec),
            json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-west-2:123456789012:key/b"}, "BucketKeyEnabled": true}]})
        );
    }

    #[test]
    fn deny_insecure_transport_policy() {
        assert_eq!(
            crate::docs::json(&bucket_policy(&acme()).unwrap()),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "SluiceDenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::acme-ingest-source", "arn:aws:s3:::acme-ingest-source/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}
                }]
            })
        );
        let mut spec = acme();
        spec.bucket.deny_insecure_transport = false;
        assert_eq!(bucket_policy(&spec), None);
    }

    #[test]
    fn merging_keeps_foreign_statements_and_is_idempotent() {
        let ours = bucket_policy(&acme()).unwrap();
        let existing = json!({
            "Version": "2012-10-17",
            "Id": "theirs",
            "Statement": {"Sid": "ReadForAnalytics", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-ingest-source/*"}
        });
        let existing_policy = Policy::from_json(&existing).unwrap();
        let merged = Policy::merge(Some(&existing_policy), &ours);
        let merged_json = crate::docs::json(&merged);
        assert_eq!(merged_json["Id"], "theirs");
        let list = merged_json["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], existing["Statement"]);
        assert_eq!(list[1], crate::docs::json(&ours)["Statement"][0]);
        assert_eq!(Policy::merge(Some(&merged), &ours), merged);
        let removed = crate::docs::json(&merged.without(DENY_INSECURE_TRANSPORT_SID).unwrap());
        assert_eq!(removed["Statement"], json!([existing["Statement"]]));
        assert_eq!(ours.without(DENY_INSECURE_TRANSPORT_SID), None);
        assert_eq!(Policy::merge(None, &ours), ours);
    }
}
