//! Planning what the spec no longer wants: a previous route's parts, the
//! user turned off, the stack's resources under names no longer used.

use crate::aws::ownership::{Owner, owner};
use crate::docs::{
    Document, OrphanDocument, ResourceKind, RuleDocument, RuleTarget, SubscriptionDocument,
    UserDocument, without_ours,
};
use crate::spec::Delivery;

use super::{PlanAction, PlanItem, PlanNote, Planner, rule_is_the_stacks};

impl Planner<'_> {
    /// What the spec no longer wants of the stack, each a planned delete (or
    /// an update that takes ours out): a previous route's rule, subscription
    /// or entry, the user turned off, and the stack's resources under names
    /// the spec no longer uses (last, once what replaces each is in place).
    pub(super) fn retirements(&mut self, items: &mut Vec<PlanItem>) {
        let (spec, observed, arns, _, notes) = self.parts();
        let queue_arn = &arns.queue;
        // A route switched away from EventBridge: the stack's rule would
        // deliver every event a second time.
        if spec.delivery() != Some(Delivery::Eventbridge)
            && let Ok(Some(rule)) = &observed.rule
            && rule_is_the_stacks(rule, spec)
        {
            notes.push(PlanNote::RetiredRule {
                name: spec.notification.id.clone(),
            });
            items.push(PlanItem {
                tags: None,
                resource: ResourceKind::Rule,
                name: spec.notification.id.clone(),
                action: PlanAction::Delete,
                before: Some(Document::Rule(RuleDocument {
                    name: spec.notification.id.clone(),
                    event_pattern: rule.event_pattern.clone(),
                    state: rule.state.clone(),
                    description: rule.description.clone(),
                    targets: rule
                        .targets
                        .iter()
                        .map(|(id, arn)| RuleTarget {
                            id: id.clone(),
                            arn: arn.clone(),
                        })
                        .collect(),
                })),
                after: None,
            });
        }
        // A route switched away from SNS, or to another topic: the stack's
        // queue is still subscribed to the topic it no longer names.
        match &observed.leftovers.earlier_subscriptions {
            Err(e) => notes.push(PlanNote::SubscriptionsUnknown(e.clone())),
            Ok(earlier) => {
                for sub in earlier {
                    let text = |key: &str, or: &str| {
                        sub.attributes
                            .get(key)
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or(or)
                            .to_owned()
                    };
                    notes.push(PlanNote::RetiredSubscription {
                        queue: spec.queue.name.clone(),
                        topic: sub.topic().to_owned(),
                    });
                    items.push(PlanItem {
                        tags: None,
                        resource: ResourceKind::Subscription,
                        name: sub.arn.clone(),
                        action: PlanAction::Delete,
                        before: Some(Document::Subscription(SubscriptionDocument {
                            topic_arn: sub.topic().to_owned(),
                            protocol: text("Protocol", "sqs"),
                            endpoint: text("Endpoint", queue_arn),
                            // The rest: those three are above.
                            attributes: sub
                                .attributes
                                .iter()
                                .filter(|(k, _)| {
                                    !["TopicArn", "Protocol", "Endpoint"].contains(&k.as_str())
                                })
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        })),
                        after: None,
                    });
                }
            }
        }
        // The notification or the queue turned off (or a connector without
        // one): our entry would keep sending to the stack's queue nobody reads.
        if !spec.has_notification()
            && spec.foreign_queue().is_none()
            && let Ok(Some(b)) = &observed.bucket
            && let (rest, Some(id)) = without_ours(&b.notification, spec)
        {
            notes.push(PlanNote::RetiredEntry { id: id.clone() });
            items.push(PlanItem {
                tags: None,
                resource: ResourceKind::Notification,
                name: id,
                action: PlanAction::Delete,
                before: Some(Document::Notification(b.notification.clone())),
                after: Some(Document::Notification(rest)),
            });
        }
        // The user turned off: it and its access keys go.
        if !spec.user.enabled
            && let Ok(Some(u)) = &observed.user
            && owner(&u.tags, &spec.name) == Owner::Stack
        {
            notes.push(PlanNote::RetiredUser {
                name: spec.user.name.clone(),
                access_keys: u.access_keys,
            });
            items.push(PlanItem {
                tags: None,
                resource: ResourceKind::User,
                name: spec.user.name.clone(),
                action: PlanAction::Delete,
                before: Some(Document::User(UserDocument {
                    attached_policies: u.attached.clone(),
                    access_keys: Some(u.access_keys),
                })),
                after: None,
            });
        }
        // Through the bucket's topic: an entry of ours from an earlier direct
        // delivery goes, after the subscription is in place.
        if spec.delivery() == Some(Delivery::Sns)
            && let Ok(Some(b)) = &observed.bucket
            && let (rest, Some(id)) = without_ours(&b.notification, spec)
        {
            notes.push(PlanNote::DirectEntryReplaced {
                id: id.clone(),
                by: Delivery::Sns,
            });
            items.push(PlanItem {
                tags: None,
                resource: ResourceKind::Notification,
                name: id,
                action: PlanAction::Update,
                before: Some(Document::Notification(b.notification.clone())),
                after: Some(Document::Notification(rest)),
            });
        }
        // What the stack made under names the spec no longer uses: last,
        // once what replaces each is in place.
        match &observed.leftovers.orphans {
            Ok(orphans) => {
                for orphan in orphans {
                    notes.push(PlanNote::RetiredOrphan {
                        orphan: orphan.clone(),
                        stack: spec.name.clone(),
                    });
                    items.push(PlanItem {
                        tags: None,
                        resource: orphan.kind.resource(),
                        name: orphan.name.clone(),
                        action: PlanAction::Delete,
                        before: Some(Document::Orphan(OrphanDocument {
                            id: orphan.id.clone(),
                        })),
                        after: None,
                    });
                }
            }
            Err(e) => notes.push(PlanNote::OrphansUnknown(e.clone())),
        }
    }
}
