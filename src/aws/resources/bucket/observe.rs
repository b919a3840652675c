//! Reading the bucket: region, settings, policy, tags, notification
//! summary.

use std::collections::BTreeMap;

use crate::aws::client::Clients;
use crate::aws::emulator::is_empty_answer;
use crate::aws::error::{AwsError, classify, optional};
use crate::docs::policy::Policy;
use crate::docs::{
    BucketPart, BucketSetting, EncryptionByDefault, EncryptionConfiguration, EncryptionRule,
    NotificationConfiguration, ObjectLock, OwnershipControls, OwnershipRule, PartValue,
    PublicAccessBlock, Versioning,
};

use crate::aws::observe::{Observed, read_notification, s3_tags};

#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub region: String,
    pub public_access_block: Option<PublicAccessBlock>,
    pub ownership_controls: Option<OwnershipControls>,
    pub encryption: Option<EncryptionConfiguration>,
    pub versioning: Option<Versioning>,
    /// `Enabled` when the bucket has Object Lock.
    pub object_lock: Option<ObjectLock>,
    pub policy: Option<Policy>,
    pub notification: NotificationConfiguration,
    pub tags: BTreeMap<String, String>,
    /// The stack whose apply created this bucket and stopped before tagging
    /// it, by sluice's record of creations ([`crate::aws::journal`]).
    pub created_by: Option<String>,
}

impl BucketState {
    /// The part as the bucket has it (`None`: not set, or S3's default).
    pub fn part(&self, part: BucketPart) -> Option<PartValue> {
        match part {
            BucketPart::Setting(BucketSetting::PublicAccessBlock) => {
                self.public_access_block.map(PartValue::PublicAccessBlock)
            }
            BucketPart::Setting(BucketSetting::OwnershipControls) => self
                .ownership_controls
                .clone()
                .map(PartValue::OwnershipControls),
            BucketPart::Setting(BucketSetting::Encryption) => {
                self.encryption.clone().map(PartValue::Encryption)
            }
            BucketPart::Setting(BucketSetting::Versioning) => {
                self.versioning.clone().map(PartValue::Versioning)
            }
            BucketPart::Setting(BucketSetting::ObjectLock) => {
                self.object_lock.clone().map(PartValue::ObjectLock)
            }
            BucketPart::Policy => self.policy.clone().map(PartValue::from),
        }
    }
}

/// Observes the bucket; refuses one owned by another account or in another region.
pub async fn observe_bucket(
    clients: &Clients,
    bucket: &str,
    account: &str,
    region: &str,
) -> Observed<BucketState> {
    let head = clients
        .s3
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucket", bucket, e));
    match head {
        Ok(_) => {}
        Err(e) if e.is_not_found() => return Ok(None),
        Err(mut e) if e.bucket_region().is_some() => {
            let actual = e.bucket_region().unwrap_or_default().to_owned();
            e.message = wrong_region(&actual, region);
            return Err(e);
        }
        Err(mut e) if e.kind == crate::aws::ErrorKind::AccessDenied => {
            e.message = format!(
                "the bucket exists but is not readable by this account ({account}): it may belong to another account; S3 bucket names are global, so choose another name or use the owner's credentials"
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    let location = clients
        .s3
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| classify("s3:GetBucketLocation", bucket, e))?;
    let actual_region = match location.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(other) => other.to_owned(),
    };
    if actual_region != region {
        return Err(AwsError::new(
            "s3:GetBucketLocation",
            bucket,
            wrong_region(&actual_region, region),
        ));
    }
    let s3 = &clients.s3;
    let (pab, ownership, encryption, versioning, object_lock, policy, notification, tags) = tokio::join!(
        async {
            optional(
                s3.get_public_access_block()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketPublicAccessBlock", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.public_access_block_configuration()
                        .map(|c| PublicAccessBlock {
                            block_public_acls: c.block_public_acls().unwrap_or(false),
                            ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                            block_public_policy: c.block_public_policy().unwrap_or(false),
                            restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                        })
                })
            })
        },
        async {
            optional(
                s3.get_bucket_ownership_controls()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketOwnershipControls", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.ownership_controls().map(|c| OwnershipControls {
                        rules: c
                            .rules()
                            .iter()
                            .map(|r| OwnershipRule {
                                object_ownership: r.object_ownership().as_str().to_owned(),
                            })
                            .collect(),
                    })
                })
            })
        },
        async {
            optional(
                s3.get_bucket_encryption()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetEncryptionConfiguration", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.server_side_encryption_configuration()
                        .map(|c| EncryptionConfiguration {
                            rules: c
                                .rules()
                                .iter()
                                .map(|r| EncryptionRule {
                                    apply_server_side_encryption_by_default: r
                                        .apply_server_side_encryption_by_default()
                                        .map(|d| EncryptionByDefault {
                                            sse_algorithm: d.sse_algorithm().as_str().to_owned(),
                                            kms_master_key_id: d
                                                .kms_master_key_id()
                                                .map(str::to_owned),
                                        }),
                                    bucket_key_enabled: r.bucket_key_enabled().unwrap_or(false),
                                })
                                .collect(),
                        })
                })
            })
        },
        async {
            match s3.get_bucket_versioning().bucket(bucket).send().await {
                Ok(o) => Ok(o.status().map(|s| Versioning {
                    status: s.as_str().to_owned(),
                })),
                Err(e) if is_empty_answer(&e) => Ok(None),
                Err(e) => Err(classify("s3:GetBucketVersioning", bucket, e)),
            }
        },
        async {
            optional(
                s3.get_object_lock_configuration()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketObjectLockConfiguration", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.object_lock_configuration()
                        .and_then(|c| c.object_lock_enabled())
                        .map(|e| ObjectLock {
                            object_lock_enabled: e.as_str().to_owned(),
                        })
                })
            })
        },
        read_bucket_policy(s3, bucket),
        read_notification(s3, bucket),
        async {
            optional(
                s3.get_bucket_tagging()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketTagging", bucket, e)),
            )
            .map(|o| o.map(|o| s3_tags(o.tag_set())).unwrap_or_default())
        },
    );
    Ok(Some(BucketState {
        region: actual_region,
        public_access_block: pab?,
        ownership_controls: ownership?,
        encryption: encryption?,
        versioning: versioning?,
        object_lock: object_lock?,
        policy: policy?,
        notification: notification?,
        tags: tags?,
        created_by: None,
    }))
}

/// Why a bucket in `actual` cannot serve a spec for `region`, and the spec key to set.
pub(in crate::aws) fn wrong_region(actual: &str, region: &str) -> String {
    format!(
        "the bucket is in {actual}, but the spec's region is {region}: S3 can only notify a queue in the bucket's own region; set the spec's `region` to \"{actual}\" (the queue and the rest follow it), or use a bucket in {region}"
    )
}

/// The bucket's policy (`None` when it has none), read as it is now.
pub async fn read_bucket_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<Policy>, AwsError> {
    let got = optional(
        s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| classify("s3:GetBucketPolicy", bucket, e)),
    )?;
    match got.and_then(|o| o.policy().map(str::to_owned)) {
        Some(text) => Policy::parse(&text).map(Some).map_err(|e| {
            AwsError::new(
                "s3:GetBucketPolicy",
                bucket,
                format!("bucket policy is {e}"),
            )
        }),
        None => Ok(None),
    }
}
