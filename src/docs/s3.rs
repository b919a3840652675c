//! Bucket settings and the deny-insecure-transport bucket policy statement.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    pub fn wanted(self, spec: &Spec) -> Option<PartValue> {
        match self {
            BucketSetting::PublicAccessBlock => {
                Some(PartValue::PublicAccessBlock(public_access_block(spec)))
            }
            BucketSetting::OwnershipControls => {
                Some(PartValue::OwnershipControls(ownership_controls(spec)))
            }
            BucketSetting::Encryption => Some(PartValue::Encryption(bucket_encryption(spec))),
            BucketSetting::Versioning => versioning(spec).map(PartValue::Versioning),
            BucketSetting::ObjectLock => object_lock(spec).map(PartValue::ObjectLock),
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
pub fn bucket_parts(spec: &Spec) -> Vec<PartValue> {
    if !spec.bucket.create {
        return Vec::new();
    }
    BucketPart::all()
        .filter_map(|part| match part {
            BucketPart::Setting(setting) => setting.wanted(spec),
            BucketPart::Policy => bucket_policy(spec).map(PartValue::from),
        })
        .collect()
}

/// The bucket's document: its parts under their keys.
pub fn bucket_document(spec: &Spec) -> super::BucketDocument {
    bucket_parts(spec).into_iter().collect()
}

/// A bucket part's value, typed by part: each setting in the shape of its
/// S3 API call (`PutPublicAccessBlock`, `PutBucketOwnershipControls`,
/// `PutBucketEncryption`, `PutBucketVersioning`,
/// `PutObjectLockConfiguration`), or the bucket policy. Its part is its
/// variant: a value cannot be filed under another part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PartValue {
    PublicAccessBlock(PublicAccessBlock),
    OwnershipControls(OwnershipControls),
    Encryption(EncryptionConfiguration),
    Versioning(Versioning),
    ObjectLock(ObjectLock),
    Policy(Box<Policy>),
}

impl From<Policy> for PartValue {
    fn from(policy: Policy) -> Self {
        PartValue::Policy(Box::new(policy))
    }
}

impl PartValue {
    pub fn part(&self) -> BucketPart {
        match self {
            PartValue::PublicAccessBlock(_) => {
                BucketPart::Setting(BucketSetting::PublicAccessBlock)
            }
            PartValue::OwnershipControls(_) => {
                BucketPart::Setting(BucketSetting::OwnershipControls)
            }
            PartValue::Encryption(_) => BucketPart::Setting(BucketSetting::Encryption),
            PartValue::Versioning(_) => BucketPart::Setting(BucketSetting::Versioning),
            PartValue::ObjectLock(_) => BucketPart::Setting(BucketSetting::ObjectLock),
            PartValue::Policy(_) => BucketPart::Policy,
        }
    }

    /// `part`'s value from JSON in its API shape (a backup's record).
    pub fn from_json(part: BucketPart, value: &Value) -> Result<PartValue, String> {
        let typed = match part {
            BucketPart::Setting(BucketSetting::PublicAccessBlock) => {
                PublicAccessBlock::deserialize(value).map(PartValue::PublicAccessBlock)
            }
            BucketPart::Setting(BucketSetting::OwnershipControls) => {
                OwnershipControls::deserialize(value).map(PartValue::OwnershipControls)
            }
            BucketPart::Setting(BucketSetting::Encryption) => {
                EncryptionConfiguration::deserialize(value).map(PartValue::Encryption)
            }
            BucketPart::Setting(BucketSetting::Versioning) => {
                Versioning::deserialize(value).map(PartValue::Versioning)
            }
            BucketPart::Setting(BucketSetting::ObjectLock) => {
                ObjectLock::deserialize(value).map(PartValue::ObjectLock)
            }
            BucketPart::Policy => {
                return Policy::from_json(value)
                    .map(PartValue::from)
                    .map_err(|e| e.to_string());
            }
        };
        typed.map_err(|e| format!("not a bucket's {}: {e}", part.key()))
    }
}

/// `PutPublicAccessBlock`'s configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// `PutBucketOwnershipControls`'s configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OwnershipRule {
    pub object_ownership: String,
}

/// `PutBucketEncryption`'s configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EncryptionConfiguration {
    pub rules: Vec<EncryptionRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EncryptionRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_server_side_encryption_by_default: Option<EncryptionByDefault>,
    pub bucket_key_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
}

/// `PutBucketVersioning`'s configuration: `Enabled` or `Suspended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Versioning {
    pub status: String,
}

/// `PutObjectLockConfiguration`'s switch: `Enabled` (S3 never turns it off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ObjectLock {
    pub object_lock_enabled: String,
}

/// `PutPublicAccessBlock`'s configuration, block by block.
pub fn public_access_block(spec: &Spec) -> PublicAccessBlock {
    let b = spec.bucket.block_public_access;
    PublicAccessBlock {
        block_public_acls: b.block_public_acls,
        ignore_public_acls: b.ignore_public_acls,
        block_public_policy: b.block_public_policy,
        restrict_public_buckets: b.restrict_public_buckets,
    }
}

/// S3 Object Ownership; the default, ACLs disabled (the bucket owner owns
/// every object), is what Tarsal's and Hevo's guides recommend.
pub fn ownership_controls(spec: &Spec) -> OwnershipControls {
    let ownership = match spec.bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
        ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
        ObjectOwnership::ObjectWriter => "ObjectWriter",
    };
    OwnershipControls {
        rules: vec![OwnershipRule {
            object_ownership: ownership.to_owned(),
        }],
    }
}

/// `PutBucketEncryption`'s configuration. A Bucket Key only with SSE-KMS
/// (DSSE-KMS has none).
pub fn bucket_encryption(spec: &Spec) -> EncryptionConfiguration {
    let rule = |algorithm: &str, key: Option<&String>, bucket_key: bool| EncryptionRule {
        apply_server_side_encryption_by_default: Some(EncryptionByDefault {
            sse_algorithm: algorithm.to_owned(),
            kms_master_key_id: key.cloned(),
        }),
        bucket_key_enabled: bucket_key,
    };
    let rule = match (spec.bucket.encryption, &spec.bucket.kms_key_arn) {
        (BucketEncryption::SseKms, Some(key)) => rule("aws:kms", Some(key), spec.bucket.bucket_key),
        (BucketEncryption::DsseKms, Some(key)) => rule("aws:kms:dsse", Some(key), false),
        _ => rule("AES256", None, false),
    };
    EncryptionConfiguration { rules: vec![rule] }
}

/// The Object Lock configuration, when the spec asks for Object Lock.
pub fn object_lock(spec: &Spec) -> Option<ObjectLock> {
    spec.bucket.object_lock.then(|| ObjectLock {
        object_lock_enabled: "Enabled".to_owned(),
    })
}

/// `PutBucketVersioning`'s configuration, when versioning is wanted. Versioning
/// can only be suspended, never removed, so `false` leaves the bucket as it is.
pub fn versioning(spec: &Spec) -> Option<Versioning> {
    spec.bucket.versioning.then(|| Versioning {
        status: "Enabled".to_owned(),
    })
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
    use crate::docs::json as js;
    use crate::docs::testing::acme;
    use serde_json::json;

    #[test]
    fn settings() {
        let spec = acme();
        assert_eq!(
            js(&public_access_block(&spec)),
            json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
        );
        assert_eq!(
            js(&bucket_encryption(&spec)),
            json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}]})
        );
        assert_eq!(versioning(&spec), None);
        let mut spec = spec;
        spec.bucket.versioning = true;
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/b".into());
        assert_eq!(js(&versioning(&spec)), json!({"Status": "Enabled"}));
        assert_eq!(
            js(&bucket_encryption(&spec)),
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
