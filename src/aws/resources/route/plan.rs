//! Planning the event route: our notification entry (direct), the
//! bucket's EventBridge delivery and our rule (EventBridge), the queue's
//! subscription (SNS).

use serde_json::Map;

use crate::aws::AwsError;
use crate::aws::observe::{RuleState, SubscriptionState};
use crate::aws::ownership::owner;
use crate::docs::{
    Document, MergeError, ResourceKind, RuleDocument, RuleTarget, SubscriptionDocument,
    covering_topic_entry, enable_eventbridge, merge, notification_entry, recognise,
    rule_description, without_ours,
};
use crate::spec::Delivery;

use crate::aws::plan::{PlanAction, PlanError, PlanItem, PlanNote, Planner, Wanted, changed};

impl<'a> Planner<'a> {
    /// The bucket's EventBridge delivery (EventBridge route): turned on beside
    /// others' entries, our direct entry from before taken out.
    pub(in crate::aws) fn eventbridge_delivery(
        &mut self,
        w: &Wanted,
    ) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, _, notes) = self.parts();
        observed.bucket.as_ref().map(|state| {
            let current = state
                .as_ref()
                .map(|b| b.notification.clone())
                .unwrap_or_default();
            // An entry of ours from an earlier direct delivery goes: the rule replaces it.
            let (rest, retired) = without_ours(&current, spec);
            if let Some(id) = &retired {
                notes.push(PlanNote::DirectEntryReplaced {
                    id: id.clone(),
                    by: Delivery::Eventbridge,
                });
            }
            let wanted = enable_eventbridge(&rest);
            let foreign = rest.entries.len();
            if foreign > 0 {
                notes.push(PlanNote::OtherEntries {
                    count: foreign,
                    delivery: Delivery::Eventbridge,
                });
            }
            let action = if state.is_none() {
                PlanAction::Create
            } else {
                changed(&current, &wanted, PlanAction::Update)
            };
            w.item(
                action,
                Some(Document::Notification(current)),
                Some(Document::Notification(wanted)),
            )
        })
    }

    /// The queue's subscription to the bucket's topic (SNS route).
    pub(in crate::aws) fn subscription(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, notes) = self.parts();
        let Document::Subscription(after) = &w.after else {
            return Ok(w.item(PlanAction::NoChange, None, None));
        };
        match &observed.bucket {
            Ok(Some(b)) => {
                if let Err(why) = covering_topic_entry(&b.notification, spec) {
                    errors.push(PlanError::NoTopicEntry { reason: why });
                }
            }
            Ok(None) => errors.push(PlanError::NoBucketForTopic {
                bucket: spec.bucket.name.clone(),
                topic: spec.notification.topic_arn.clone().unwrap_or_default(),
            }),
            Err(_) => {} // reported with the bucket
        }
        observed.subscription.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(w.after.clone())),
            // The queue is adopted and already subscribed: its owners' subscription, maybe.
            Some(sub) if !spec.queue.create => {
                notes.push(PlanNote::AdoptedSubscription {
                    queue: spec.queue.name.clone(),
                    arn: sub.arn.clone(),
                });
                let before = Document::Subscription(subscription_as_planned(after, sub));
                w.item(PlanAction::Adopt, Some(before.clone()), Some(before))
            }
            Some(sub) => {
                let before = Document::Subscription(subscription_as_planned(after, sub));
                let action = changed(&before, &w.after, PlanAction::Update);
                w.item(action, Some(before), Some(w.after.clone()))
            }
        })
    }

    /// The EventBridge rule and its target (EventBridge route).
    pub(in crate::aws) fn rule(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, notes) = self.parts();
        let Document::Rule(after) = &w.after else {
            return Ok(w.item(PlanAction::NoChange, None, None));
        };
        let name = &w.name;
        observed.rule.as_ref().map(|state| match state {
            None => w.item(PlanAction::Create, None, Some(w.after.clone())),
            Some(rule) => {
                match rule.tags.get(crate::docs::STACK_TAG) {
                    Some(stack) if stack == &spec.name => {}
                    // Made without tags (CloudFormation's rule takes none), with our description.
                    None if rule.description == rule_description(spec) => {
                        notes.push(PlanNote::NoStackTag {
                            resource: ResourceKind::Rule,
                            name: name.clone(),
                            stack: spec.name.clone(),
                        })
                    }
                    _ => errors.push(PlanError::ForeignRule {
                        name: name.clone(),
                        stack: spec.name.clone(),
                        owner: owner(&rule.tags, &spec.name),
                    }),
                }
                let (before, wanted) = rule_as_planned(after, rule);
                let action = if rule.tags.contains_key(crate::docs::STACK_TAG) {
                    changed(&before, &wanted, PlanAction::Update)
                } else {
                    PlanAction::Update // apply records the adoption with our tags
                };
                w.item(
                    action,
                    Some(Document::Rule(before)),
                    Some(Document::Rule(wanted)),
                )
            }
        })
    }

    /// Our entry in the bucket's notification configuration (direct route),
    /// merged with others'.
    pub(in crate::aws) fn notification(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let (spec, observed, _, errors, notes) = self.parts();
        observed.bucket.as_ref().map(|state| {
            let current = state
                .as_ref()
                .map(|b| b.notification.clone())
                .unwrap_or_default();
            let (ours, taken) = recognise(&current, &notification_entry(spec));
            if let Some(id) = &taken {
                notes.push(PlanNote::EntryRecognised { id: id.clone() });
            }
            let our_id = taken.as_deref().unwrap_or(&spec.notification.id);
            match merge(&current, &ours) {
                Err(MergeError::Overlap(overlap)) => {
                    errors.push(PlanError::Overlap(overlap));
                    w.item(
                        PlanAction::Update,
                        Some(Document::Notification(current)),
                        None,
                    )
                }
                Ok(merged) => {
                    let foreign = current.entries.len()
                        - usize::from(crate::docs::has_entry(&current, our_id));
                    if foreign > 0 {
                        notes.push(PlanNote::OtherEntries {
                            count: foreign,
                            delivery: Delivery::Direct,
                        });
                    }
                    let action = if state.is_none() {
                        PlanAction::Create
                    } else {
                        changed(&current, &merged, PlanAction::Update)
                    };
                    w.item(
                        action,
                        Some(Document::Notification(current)),
                        Some(Document::Notification(merged)),
                    )
                }
                Err(e) => {
                    errors.push(PlanError::Merge(e));
                    w.item(
                        PlanAction::Update,
                        Some(Document::Notification(current)),
                        None,
                    )
                }
            }
        })
    }
}

/// The subscription as it is, in the planned document's shape: only the
/// attributes sluice sets.
pub(in crate::aws) fn subscription_as_planned(
    after: &SubscriptionDocument,
    sub: &SubscriptionState,
) -> SubscriptionDocument {
    let mut attributes = Map::new();
    // A filter set once and now unwanted shows as one to remove.
    for key in after
        .attributes
        .keys()
        .map(String::as_str)
        .chain(["FilterPolicy", "FilterPolicyScope"])
    {
        if let Some(v) = sub.attributes.get(key)
            && !attributes.contains_key(key)
        {
            attributes.insert(key.to_owned(), v.clone());
        }
    }
    SubscriptionDocument {
        attributes,
        ..after.clone()
    }
}

/// The rule as it is and as wanted, in the planned document's shape; the
/// targets of others on it are kept in both.
pub(in crate::aws) fn rule_as_planned(
    after: &RuleDocument,
    rule: &RuleState,
) -> (RuleDocument, RuleDocument) {
    let targets = |list: &[(String, String)]| -> Vec<RuleTarget> {
        list.iter()
            .map(|(id, arn)| RuleTarget {
                id: id.clone(),
                arn: arn.clone(),
            })
            .collect()
    };
    let before = RuleDocument {
        name: after.name.clone(),
        event_pattern: rule.event_pattern.clone(),
        state: rule.state.clone(),
        description: rule.description.clone(),
        targets: targets(&rule.targets),
    };
    let mut all = targets(
        &rule
            .targets
            .iter()
            .filter(|(id, _)| id != crate::docs::TARGET_ID)
            .cloned()
            .collect::<Vec<_>>(),
    );
    all.extend(after.targets.iter().cloned());
    let wanted = RuleDocument {
        targets: all,
        ..after.clone()
    };
    (before, wanted)
}
