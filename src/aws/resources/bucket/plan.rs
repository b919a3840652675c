//! Planning the bucket: made, adopted, or the stack's brought in line.

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::policy::Policy;
use crate::docs::{BucketDocument, Document, PartValue, bucket_policy};

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
                    let mut wanted = match after {
                        Document::Bucket(parts) => parts.clone(),
                        _ => BucketDocument::default(),
                    };
                    // What is now of the parts the spec sets.
                    let before: BucketDocument = wanted
                        .parts()
                        .filter_map(|want| b.part(want.part()))
                        .collect();
                    if let (Some(existing), Some(ours)) = (&b.policy, bucket_policy(spec)) {
                        let merged = Policy::merge(Some(existing), &ours);
                        if merged != ours {
                            notes.push(PlanNote::BucketPolicyKept { name: name.clone() });
                        }
                        wanted.set(PartValue::from(merged));
                    }
                    let (before, wanted) = (Document::Bucket(before), Document::Bucket(wanted));
                    w.item(
                        changed(&before, &wanted, PlanAction::Update),
                        Some(before),
                        Some(wanted),
                    )
                }
            })
    }
}
