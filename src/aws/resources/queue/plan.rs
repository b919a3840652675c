//! Planning the queue and the dead-letter queue.

use serde_json::{Map, Value};

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::{
    ResourceKind, desired::expand_json_attributes, merge_bucket_policy, queue_policy,
};

use crate::aws::plan::{PlanAction, PlanItem, Planner, Remedy, Wanted, changed, not_the_stacks};

impl<'a> Planner<'a> {
    /// The queue or dead-letter queue: made, adopted (our statement merged into
    /// its access policy) or the stack's brought to the spec's attributes.
    pub(in crate::aws) fn queue(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, _) = self.parts();
        let (name, after) = (&w.name, &w.after);
        let state = if w.kind == ResourceKind::Queue {
            &observed.queue
        } else {
            &observed.dlq
        };
        state.as_ref().map(|state| match (state, w.create) {
            (None, true) => w.item(PlanAction::Create, None, Some(after.clone())),
            (None, false) => w.missing(errors),
            (Some(q), true) if owner(&q.tags, &spec.name) != Owner::Stack => {
                let remedy = if w.kind == ResourceKind::Queue {
                    Remedy::AdoptQueue
                } else {
                    Remedy::Rename(crate::spec::path::DLQ_NAME)
                };
                errors.push(not_the_stacks(w.kind, name, &q.tags, &spec.name, remedy));
                w.item(PlanAction::Refused, None, None)
            }
            (Some(q), create) => {
                let current: Map<String, Value> = q
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                let current = expand_json_attributes(&Value::Object(current));
                let mut wanted = after.clone();
                if !create {
                    // Adopted: our statement is merged into the queue's own policy.
                    let ours = queue_policy(spec);
                    wanted["Policy"] = merge_bucket_policy(current.get("Policy"), &ours);
                }
                let before: Map<String, Value> = wanted
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, _)| current.get(k).map(|v| (k.clone(), v.clone())))
                    .collect();
                let before = Value::Object(before);
                let if_changed = if create {
                    PlanAction::Update
                } else {
                    PlanAction::Adopt
                };
                w.item(
                    changed(&before, &wanted, if_changed),
                    Some(before),
                    Some(wanted),
                )
            }
        })
    }
}
