//! Planning the queue and the dead-letter queue.

use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::docs::{Document, QueueAttribute, QueueAttributes, ResourceKind, merged_queue_policy};

use crate::aws::plan::{
    PlanAction, PlanError, PlanItem, Planner, Remedy, Wanted, changed, not_the_stacks,
};

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
                let current = QueueAttributes::read(&q.attributes);
                let mut wanted = match after {
                    Document::Queue(attributes) => attributes.clone(),
                    _ => QueueAttributes::default(),
                };
                if !create {
                    // Adopted: our statement is merged into the queue's own policy.
                    match merged_queue_policy(current.get("Policy"), spec) {
                        Ok(merged) => {
                            wanted.0.insert("Policy".into(), merged);
                        }
                        Err(e) => {
                            errors.push(PlanError::Unreadable {
                                resource: w.kind,
                                error: AwsError::new(
                                    "sqs:GetQueueAttributes",
                                    name,
                                    format!("the queue's access policy is {e}"),
                                ),
                            });
                            return w.item(PlanAction::Refused, None, None);
                        }
                    }
                }
                // The stack's queue once the spec has no dead-letter queue:
                // the redrive policy naming the old one goes (SQS takes an
                // empty one for none) before that queue is retired.
                if create
                    && w.kind == ResourceKind::Queue
                    && !spec.has_dead_letter()
                    && current.0.contains_key("RedrivePolicy")
                {
                    wanted
                        .0
                        .insert("RedrivePolicy".into(), QueueAttribute::Text(String::new()));
                }
                // What is now of the attributes the spec sets.
                let before = QueueAttributes(
                    wanted
                        .0
                        .keys()
                        .filter_map(|k| current.0.get(k).map(|v| (k.clone(), v.clone())))
                        .collect(),
                );
                let (before, wanted) = (Document::Queue(before), Document::Queue(wanted));
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
