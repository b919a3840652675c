//! Planning the bucket: made, adopted, or the stack's brought in line.

use serde_json::{Map, Value};

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::{bucket_policy, merge_bucket_policy};

use crate::aws::plan::{PlanAction, PlanError, PlanItem, PlanNote, Planner, Wanted, changed};

impl<'a> Planner<'a> {
    /// The bucket: made, adopted as it is, or the stack's brought to the spec's
    /// settings, its policy statement merged with others'.
    pub(in crate::aws) fn bucket(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, notes) = self.parts();
        let (name, after) = (&w.name, &w.after);
        observed
            .bucket
            .as_ref()
            .map(|state| match (state, w.create) {
                (None, true) => w.item(PlanAction::Create, None, Some(after.clone())),
                (None, false) => w.missing(errors),
                (Some(_), false) => w.item(PlanAction::Adopt, None, None),
                (Some(b), true)
                    if owner(&b.tags, &spec.name) != Owner::Stack
                        && b.created_by.as_deref() != Some(spec.name.as_str()) =>
                {
                    errors.push(PlanError::ExistingBucket {
                        name: name.clone(),
                        stack: spec.name.clone(),
                        owner: owner(&b.tags, &spec.name),
                    });
                    w.item(PlanAction::Refused, None, None)
                }
                (Some(b), true) => {
                    if b.created_by.is_some() {
                        notes.push(PlanNote::CreatedUntagged {
                            name: name.clone(),
                            stack: spec.name.clone(),
                        });
                    }
                    let mut before = Map::new();
                    let mut wanted = after.as_object().cloned().unwrap_or_default();
                    for key in wanted.keys() {
                        let value = match key.as_str() {
                            "PublicAccessBlockConfiguration" => b.public_access_block.clone(),
                            "OwnershipControls" => b.ownership_controls.clone(),
                            "ServerSideEncryptionConfiguration" => b.encryption.clone(),
                            "VersioningConfiguration" => b.versioning.clone(),
                            "ObjectLockConfiguration" => b.object_lock.clone(),
                            "Policy" => b.policy.clone(),
                            _ => None,
                        };
                        if let Some(v) = value {
                            before.insert(key.clone(), v);
                        }
                    }
                    if let (Some(existing), Some(ours)) = (&b.policy, bucket_policy(spec)) {
                        let merged = merge_bucket_policy(Some(existing), &ours);
                        if merged != ours {
                            notes.push(PlanNote::BucketPolicyKept { name: name.clone() });
                        }
                        wanted.insert("Policy".into(), merged);
                    }
                    let (before, wanted) = (Value::Object(before), Value::Object(wanted));
                    w.item(
                        changed(&before, &wanted, PlanAction::Update),
                        Some(before),
                        Some(wanted),
                    )
                }
            })
    }
}
