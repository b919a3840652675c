//! Apply's bucket steps: create or adopt the bucket, its settings, its
//! policy statement merged at write time, its tags.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tagging, VersioningConfiguration,
};

use crate::aws::apply::run::{Run, StepResult, refused, unchanged};
use crate::aws::backup::BucketPart;
use crate::aws::error::{AwsError, classify};
use crate::aws::observe::read_bucket_policy;
use crate::aws::plan::{PlanAction, PlanItem};
use crate::aws::progress::{StepError, StepOutcome};
use crate::docs::policy::Policy;
use crate::docs::{self, BucketDocument, Document, PartValue};

impl Run<'_> {
    pub(in crate::aws) async fn bucket(&mut self, item: &PlanItem) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let mut done = Vec::new();
        match item.action {
            PlanAction::Refused | PlanAction::Delete => return refused(),
            PlanAction::NoChange => return unchanged(),
            PlanAction::Adopt => {
                return Ok((StepOutcome::Adopted, "adopted: left as it is".into()));
            }
            PlanAction::Create => {
                let mut create = s3.create_bucket().bucket(&bucket);
                if self.spec.region != "us-east-1" {
                    create = create.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(
                                self.spec.region.as_str(),
                            ))
                            .build(),
                    );
                }
                if self.spec.bucket.object_lock {
                    // Object Lock is best set at creation (it turns versioning on).
                    create = create.object_lock_enabled_for_bucket(true);
                }
                // Made and tagged in two calls: recorded in between, so an
                // apply stopped there still knows the bucket as the stack's.
                if let Some(dir) = crate::aws::journal::default_dir() {
                    crate::aws::journal::begin(&dir, &self.account, &bucket, &self.spec.name).map_err(
                        |e| {
                            format!(
                                "cannot record the bucket's creation in {} (nothing was created): {e}",
                                dir.display()
                            )
                        },
                    )?;
                }
                create
                    .send()
                    .await
                    .map_err(|e| classify("s3:CreateBucket", &bucket, e))?;
                put_bucket_tags(&s3, &bucket, docs::bucket_tags(self.spec)).await?;
                done.push("created".to_owned());
            }
            PlanAction::Update => {}
        }
        let parts = |document: &Option<Document>| match document {
            Some(Document::Bucket(parts)) => parts.clone(),
            _ => BucketDocument::default(),
        };
        let (before, after) = (parts(&item.before), parts(&item.after));
        for part in BucketPart::all() {
            let Some(want) = after.get(part) else {
                continue;
            };
            let have = before.get(part);
            if have == Some(want) {
                continue;
            }
            // Each part is backed up as what it is: a restore of it puts
            // back that part and nothing else.
            if part == BucketPart::Policy && item.action == PlanAction::Update {
                // Others may add statements to the bucket's policy at any
                // moment: merged into what it is now, not into the plan's copy.
                if let Some(changed) = self.bucket_policy_now(&bucket, have).await? {
                    done.push(changed);
                }
                continue;
            }
            if item.action == PlanAction::Update {
                self.save(part.saved(&bucket, have))?;
            }
            put_bucket_setting(&s3, &bucket, want).await?;
            done.push(format!("{} set", part.key()));
        }
        let outcome = match item.action {
            PlanAction::Create => StepOutcome::Created,
            _ if done.is_empty() => return unchanged(),
            _ => StepOutcome::Updated,
        };
        Ok((outcome, done.join(", ")))
    }

    /// Merges our statements into the bucket's policy as it is at this
    /// moment, backs up what was read, writes, and reads back. Returns what
    /// was done, or `None` when the policy already holds ours.
    async fn bucket_policy_now(
        &mut self,
        bucket: &str,
        planned: Option<&PartValue>,
    ) -> Result<Option<String>, StepError> {
        let s3 = self.clients.s3.clone();
        let Some(ours) = docs::bucket_policy(self.spec) else {
            return Ok(None);
        };
        let now = read_bucket_policy(&s3, bucket).await?;
        let wanted = Policy::merge(now.as_ref(), &ours);
        if now.as_ref() == Some(&wanted) {
            return Ok(None);
        }
        let now = now.map(PartValue::from);
        self.save(BucketPart::Policy.saved(bucket, now.as_ref()))?;
        let wanted = PartValue::from(wanted);
        put_bucket_setting(&s3, bucket, &wanted).await?;
        let written = read_bucket_policy(&s3, bucket).await?;
        self.saved_written(&written)?;
        if written.map(PartValue::from).as_ref() != Some(&wanted) {
            return Err(format!(
                "the policy of bucket {bucket} changed while sluice wrote it (someone wrote it at the same moment): compare it with the backup and run apply again"
            )
            .into());
        }
        Ok(Some(if now.as_ref() == planned {
            "Policy set".to_owned()
        } else {
            "Policy set (it changed since the plan: our statements are merged into it as it is now)"
                .to_owned()
        }))
    }
}

/// Writes `tags` as the bucket's whole tag set (S3 takes no other way).
pub(in crate::aws) async fn put_bucket_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tags: BTreeMap<String, String>,
) -> Result<(), StepError> {
    let tags = tags
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| StepError::from(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(|e| StepError::from(e.to_string()))?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| classify("s3:PutBucketTagging", bucket, e))?;
    Ok(())
}

/// Puts one bucket part: a setting through its S3 call, or the policy.
pub(crate) async fn put_bucket_setting(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    want: &PartValue,
) -> Result<(), AwsError> {
    let bad = |action: &'static str| {
        move |e: aws_sdk_s3::error::BuildError| AwsError::new(action, bucket, e.to_string())
    };
    match want {
        PartValue::PublicAccessBlock(block) => s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(block.block_public_acls)
                    .ignore_public_acls(block.ignore_public_acls)
                    .block_public_policy(block.block_public_policy)
                    .restrict_public_buckets(block.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketPublicAccessBlock", bucket, e)),
        PartValue::OwnershipControls(controls) => {
            const ACTION: &str = "s3:PutBucketOwnershipControls";
            let rules = controls
                .rules
                .iter()
                .map(|r| {
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::from(r.object_ownership.as_str()))
                        .build()
                        .map_err(bad(ACTION))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let controls = OwnershipControls::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(bad(ACTION))?;
            s3.put_bucket_ownership_controls()
                .bucket(bucket)
                .ownership_controls(controls)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(ACTION, bucket, e))
        }
        PartValue::Encryption(configuration) => {
            const ACTION: &str = "s3:PutEncryptionConfiguration";
            let mut rules = Vec::new();
            for rule in &configuration.rules {
                let by_default = match &rule.apply_server_side_encryption_by_default {
                    Some(d) => Some(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::from(d.sse_algorithm.as_str()))
                            .set_kms_master_key_id(d.kms_master_key_id.clone())
                            .build()
                            .map_err(bad(ACTION))?,
                    ),
                    None => None,
                };
                rules.push(
                    ServerSideEncryptionRule::builder()
                        .set_apply_server_side_encryption_by_default(by_default)
                        .bucket_key_enabled(rule.bucket_key_enabled)
                        .build(),
                );
            }
            let config = ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(bad(ACTION))?;
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(config)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(ACTION, bucket, e))
        }
        PartValue::Versioning(versioning) => s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from(versioning.status.as_str()))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketVersioning", bucket, e)),
        PartValue::ObjectLock(lock) => s3
            .put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                aws_sdk_s3::types::ObjectLockConfiguration::builder()
                    .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::from(
                        lock.object_lock_enabled.as_str(),
                    ))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketObjectLockConfiguration", bucket, e)),
        PartValue::Policy(policy) => s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketPolicy", bucket, e)),
    }
}
