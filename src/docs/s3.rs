//! Bucket settings and the deny-insecure-transport bucket policy statement.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Arns, POLICY_VERSION};
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
                BucketPart::Policy => bucket_policy(spec),
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
pub fn bucket_policy(spec: &Spec) -> Option<Value> {
    if !spec.bucket.deny_insecure_transport {
        return None;
    }
    let arns = Arns::of(spec);
    Some(json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": DENY_INSECURE_TRANSPORT_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arns.bucket, format!("{}/*", arns.bucket)],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } },
        }],
    }))
}

/// Puts `ours` (a policy whose statements carry Sids) into `existing`: statements
/// with our Sids are replaced in place, the rest are kept as they are, ours
/// that are new are appended. `existing` of `None` yields `ours`.
pub fn merge_bucket_policy(existing: Option<&Value>, ours: &Value) -> Value {
    let Some(existing) = existing else {
        return ours.clone();
    };
    let mut merged = existing.clone();
    let our_statements = statements(ours);
    let Some(object) = merged.as_object_mut() else {
        return ours.clone();
    };
    let list = object
        .entry("Statement")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        // A single statement object is legal policy grammar: normalise to a list.
        *list = Value::Array(vec![list.take()]);
    }
    if let Value::Array(list) = list {
        for ours in our_statements {
            match list.iter_mut().find(|s| s.get("Sid") == ours.get("Sid")) {
                Some(slot) => *slot = ours.clone(),
                None => list.push(ours.clone()),
            }
        }
    }
    merged
}

/// Takes our statement back out of a bucket policy; `None` when nothing else is left.
pub fn remove_bucket_policy_statement(existing: &Value, sid: &str) -> Option<Value> {
    let mut policy = existing.clone();
    let list = policy.get_mut("Statement")?;
    match list {
        Value::Array(items) => items.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(sid)),
        Value::Object(_) if list.get("Sid").and_then(Value::as_str) == Some(sid) => {
            *list = Value::Array(Vec::new());
        }
        _ => {}
    }
    let empty = policy["Statement"].as_array().is_some_and(Vec::is_empty);
    (!empty).then_some(policy)
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
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
            bucket_policy(&acme()).unwrap(),
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
        let merged = merge_bucket_policy(Some(&existing), &ours);
        assert_eq!(merged["Id"], "theirs");
        let list = merged["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], existing["Statement"]);
        assert_eq!(list[1], ours["Statement"][0]);
        assert_eq!(merge_bucket_policy(Some(&merged), &ours), merged);
        let removed = remove_bucket_policy_statement(&merged, DENY_INSECURE_TRANSPORT_SID).unwrap();
        assert_eq!(removed["Statement"], json!([existing["Statement"]]));
        assert_eq!(
            remove_bucket_policy_statement(&ours, DENY_INSECURE_TRANSPORT_SID),
            None
        );
        assert_eq!(merge_bucket_policy(None, &ours), ours);
    }
}
