//! The desired state of each resource: the documents a plan compares with what
//! exists and an apply puts in place.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Arns, Document, QueueAttributes, RoleDocument, UserDocument, bucket_document, dlq_attributes,
    own_configuration, permissions_policy, queue_attributes, rule_document, subscription_document,
    trust_policy,
};
use crate::spec::{Delivery, Spec};

/// The kinds of resource a stack has, in the order an apply makes them (each
/// may need those before it): the registry the engine's verbs walk. Apply
/// goes forward through [`ResourceKind::ALL`] (by way of [`desired_state`]),
/// destroy in its own declared order (`aws::destroy`), and each verb and
/// export dispatches with an exhaustive `match`: a new kind is one variant
/// here, then what the compiler points to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    Policy,
    Role,
    User,
    Bucket,
    DeadLetterQueue,
    Queue,
    Notification,
    /// The queue's subscription to the bucket's SNS topic (`delivery: sns`).
    Subscription,
    /// The EventBridge rule with the queue as target (`delivery: eventbridge`).
    Rule,
    /// The SNS topic the alarms notify, when sluice makes it.
    AlarmTopic,
    /// One CloudWatch alarm on the queue or its dead-letter queue.
    Alarm,
}

impl ResourceKind {
    /// Every kind, in the order an apply makes them: the variants above.
    pub const ALL: &'static [ResourceKind] = <Self as strum::VariantArray>::VARIANTS;

    /// The order destroy takes a stack down, kind by kind: the alarms first (on
    /// a queue about to go they would only go off) and their topic, the route
    /// into the queue (the rule before the bucket's EventBridge setting it
    /// needs), the queues, the IAM identities (the policy first: deleting it
    /// detaches it), and the bucket last, once nothing of the stack writes to
    /// it (destroy, and setup.sh's removals of what the spec no longer has,
    /// go in this order). Every kind is here once: the crate does not build
    /// otherwise (a `const` assertion below).
    pub const DESTROY_ORDER: &'static [ResourceKind] = &[
        ResourceKind::Alarm,
        ResourceKind::AlarmTopic,
        ResourceKind::Rule,
        ResourceKind::Subscription,
        ResourceKind::Notification,
        ResourceKind::Queue,
        ResourceKind::DeadLetterQueue,
        ResourceKind::Policy,
        ResourceKind::Role,
        ResourceKind::User,
        ResourceKind::Bucket,
    ];

    /// Whether `order` names every kind exactly once: checked when the
    /// crate compiles (below), so a new kind does not build until destroy
    /// says where it goes.
    const fn names_each_once(order: &[ResourceKind]) -> bool {
        let all = ResourceKind::ALL;
        if order.len() != all.len() {
            return false;
        }
        let mut i = 0;
        while i < all.len() {
            let mut times = 0;
            let mut j = 0;
            while j < order.len() {
                if order[j] as usize == all[i] as usize {
                    times += 1;
                }
                j += 1;
            }
            if times != 1 {
                return false;
            }
            i += 1;
        }
        true
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Policy => "policy",
            ResourceKind::Role => "role",
            ResourceKind::User => "user",
            ResourceKind::Bucket => "bucket",
            ResourceKind::DeadLetterQueue => "dead-letter-queue",
            ResourceKind::Queue => "queue",
            ResourceKind::Notification => "notification",
            ResourceKind::Subscription => "subscription",
            ResourceKind::Rule => "rule",
            ResourceKind::AlarmTopic => "alarm-topic",
            ResourceKind::Alarm => "alarm",
        }
    }

    /// Whether `spec` has a resource of this kind: the one rule the
    /// documents ([`desired_state`]), observe, plan, destroy and the
    /// wizard's live lookups follow. A dead-letter queue is ours only with a
    /// queue we make; the notification is our entry (direct) or the bucket's
    /// EventBridge delivery.
    pub fn wanted(self, spec: &Spec) -> bool {
        match self {
            ResourceKind::Policy | ResourceKind::Bucket => true,
            ResourceKind::Role => spec.role.enabled,
            ResourceKind::User => spec.user.enabled,
            ResourceKind::Queue => spec.has_queue(),
            ResourceKind::DeadLetterQueue => spec.has_dead_letter() && spec.queue.create,
            ResourceKind::Notification => matches!(
                spec.delivery(),
                Some(Delivery::Direct | Delivery::Eventbridge)
            ),
            ResourceKind::Subscription => spec.delivery() == Some(Delivery::Sns),
            ResourceKind::Rule => spec.delivery() == Some(Delivery::Eventbridge),
            ResourceKind::AlarmTopic => super::makes_alarm_topic(spec),
            ResourceKind::Alarm => !super::alarms(spec).is_empty(),
        }
    }
}

// Destroy's order names every kind once: a new kind does not build until it
// has its place there.
const _: () = assert!(
    ResourceKind::names_each_once(ResourceKind::DESTROY_ORDER),
    "ResourceKind::DESTROY_ORDER must name every kind exactly once"
);

/// One resource as the spec wants it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desired {
    pub kind: ResourceKind,
    pub name: String,
    /// `false` when the spec adopts an existing resource instead of creating it.
    pub create: bool,
    pub document: Document,
}

/// Every resource of the spec, in the order an apply creates them: each
/// kind the spec wants ([`ResourceKind::wanted`]), in [`ResourceKind::ALL`]'s
/// order, as `ResourceKind::desired` makes it.
pub fn desired_state(spec: &Spec) -> Vec<Desired> {
    let arns = Arns::of(spec);
    ResourceKind::ALL
        .iter()
        .filter(|kind| kind.wanted(spec))
        .flat_map(|kind| kind.desired(spec, &arns))
        .collect()
}

impl ResourceKind {
    /// The resources of this kind as `spec` wants them: one, or one per
    /// alarm, or none where the spec has nothing to put (a dead-letter
    /// queue without attributes, a pipeline without delivery). Asked only of
    /// a kind the spec wants.
    fn desired(self, spec: &Spec, arns: &Arns) -> Vec<Desired> {
        let one = |name: &str, create: bool, document: Document| {
            vec![Desired {
                kind: self,
                name: name.to_owned(),
                create,
                document,
            }]
        };
        match self {
            ResourceKind::Policy => one(
                &spec.policy.name,
                true,
                Document::Policy(permissions_policy(spec)),
            ),
            ResourceKind::Role => one(
                &spec.role.name,
                true,
                Document::Role(RoleDocument {
                    assume_role_policy_document: trust_policy(spec),
                    attached_policies: vec![arns.policy.clone()],
                }),
            ),
            ResourceKind::User => one(
                &spec.user.name,
                true,
                Document::User(UserDocument {
                    attached_policies: vec![arns.policy.clone()],
                    access_keys: None,
                }),
            ),
            ResourceKind::Bucket => one(
                &spec.bucket.name,
                spec.bucket.create,
                Document::Bucket(bucket_document(spec)),
            ),
            ResourceKind::DeadLetterQueue => match dlq_attributes(spec) {
                Some(attrs) => one(
                    &spec.queue.dead_letter.name,
                    true,
                    Document::Queue(QueueAttributes::from_json_texts(&object(attrs))),
                ),
                None => Vec::new(),
            },
            ResourceKind::Queue => one(
                &spec.queue.name,
                spec.queue.create,
                Document::Queue(QueueAttributes::from_json_texts(&object(queue_attributes(
                    spec,
                )))),
            ),
            ResourceKind::Notification => match spec.delivery() {
                Some(Delivery::Direct) => one(
                    &spec.notification.id,
                    true,
                    Document::Notification(own_configuration(spec)),
                ),
                Some(Delivery::Eventbridge) => one(
                    &eventbridge_setting_name(spec),
                    true,
                    Document::Notification(own_configuration(spec)),
                ),
                Some(Delivery::Sns) | None => Vec::new(),
            },
            ResourceKind::Subscription => one(
                &subscription_name(spec),
                true,
                Document::Subscription(subscription_document(spec)),
            ),
            ResourceKind::Rule => one(
                &spec.notification.id,
                true,
                Document::Rule(rule_document(spec)),
            ),
            ResourceKind::AlarmTopic => one(
                &super::alarm_topic_name(spec),
                true,
                Document::AlarmTopic(super::alarm_topic_document(spec)),
            ),
            ResourceKind::Alarm => super::alarms(spec)
                .into_iter()
                .map(|alarm| Desired {
                    kind: self,
                    name: alarm.alarm_name.clone(),
                    create: true,
                    document: Document::Alarm(alarm),
                })
                .collect(),
        }
    }
}

/// How a plan names the subscription: the queue on the topic.
pub fn subscription_name(spec: &Spec) -> String {
    let topic = spec.notification.topic_arn.as_deref().unwrap_or_default();
    let topic = topic.rsplit(':').next().unwrap_or(topic);
    format!("{} to {topic}", spec.queue.name)
}

/// How a plan names the bucket's EventBridge setting.
pub fn eventbridge_setting_name(spec: &Spec) -> String {
    format!("{} EventBridge delivery", spec.bucket.name)
}

/// Why the pipeline has no resource of `kind`, when its shape leaves it out.
pub fn skipped_because(spec: &Spec, kind: ResourceKind) -> Option<String> {
    let p = spec.profile();
    let shape = match p.shape {
        crate::spec::Shape::Pull => {
            "a pull import: the connector lists and reads the bucket itself"
        }
        crate::spec::Shape::Destination => "a destination: the connector writes into the bucket",
        crate::spec::Shape::QueueFed => "queue-fed, with queue.enabled false",
        crate::spec::Shape::ForeignQueue => {
            "fed by the vendor's own queue: the bucket notifies that queue directly"
        }
    };
    let who = if spec.connector == crate::spec::Connector::Generic {
        "this pipeline".to_owned()
    } else {
        format!("{}'s pipeline", p.vendor)
    };
    match kind {
        ResourceKind::Queue | ResourceKind::DeadLetterQueue if !spec.has_queue() => Some(
            match p.shape {
                crate::spec::Shape::QueueFed => "no queue (queue.enabled is false)".to_owned(),
                _ => format!("no queue (queue.enabled is false): {who} is {shape}"),
            },
        ),
        ResourceKind::DeadLetterQueue if !spec.queue.dead_letter.enabled => {
            Some("no dead-letter queue (queue.dead_letter.enabled is false)".to_owned())
        }
        ResourceKind::Notification if spec.vendor_queue_pending() => Some(format!(
            "no bucket notification yet: {}'s queue (notification.queue_arn) is given in step 2 of 2",
            p.vendor
        )),
        ResourceKind::Notification if !spec.has_queue() && spec.foreign_queue().is_none() => {
            Some(format!(
                "no bucket notification: there is no queue to notify ({who} is {shape})"
            ))
        }
        ResourceKind::Notification if !spec.notification.enabled => Some(
            "no bucket notification (notification.enabled is false): the bucket's configuration is left alone"
                .to_owned(),
        ),
        ResourceKind::Role if !spec.role.enabled => Some("no role (role.enabled is false)".to_owned()),
        ResourceKind::User if !spec.user.enabled => Some("no user (user.enabled is false)".to_owned()),
        ResourceKind::Alarm | ResourceKind::AlarmTopic if !spec.has_queue() => Some(format!(
            "no alarms: there is no queue to watch ({who} is {shape})"
        )),
        ResourceKind::Alarm | ResourceKind::AlarmTopic if !spec.alarms.enabled => {
            Some("no alarms (alarms.enabled is false)".to_owned())
        }
        ResourceKind::AlarmTopic if spec.alarms.topic_arn.is_some() => Some(
            "no topic of sluice's: the alarms notify the topic alarms.topic_arn names".to_owned(),
        ),
        _ => None,
    }
}

/// The fields of a generator's object (none for anything else).
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;
    use serde_json::json;

    #[test]
    fn destroy_takes_every_kind_once() {
        let mut order = ResourceKind::DESTROY_ORDER.to_vec();
        order.sort();
        assert_eq!(order, ResourceKind::ALL);
        // The check the build makes holds it, and would refuse a gap or a repeat.
        assert!(ResourceKind::names_each_once(ResourceKind::DESTROY_ORDER));
        assert!(!ResourceKind::names_each_once(
            &ResourceKind::DESTROY_ORDER[1..]
        ));
        let mut twice = ResourceKind::DESTROY_ORDER.to_vec();
        twice[0] = twice[1];
        assert!(!ResourceKind::names_each_once(&twice));
    }

    /// The documents hold exactly the kinds the membership rule wants, for
    /// every connector and the parts a spec turns off or routes otherwise.
    #[test]
    fn the_documents_follow_the_one_membership_rule() {
        use crate::spec::{Connector, Delivery};
        let mut specs = Vec::new();
        for connector in Connector::ALL {
            let spec =
                crate::spec::starter_for(*connector, "acme", "us-west-2", Some("123456789012"));
            let mut no_dlq = spec.clone();
            no_dlq.queue.dead_letter.enabled = false;
            let mut adopted = spec.clone();
            adopted.queue.create = false;
            let mut no_queue = spec.clone();
            no_queue.queue.enabled = false;
            let mut user = spec.clone();
            user.user.enabled = true;
            user.role.enabled = false;
            let mut sns = spec.clone();
            sns.notification.delivery = Delivery::Sns;
            sns.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:t".into());
            let mut eventbridge = spec.clone();
            eventbridge.notification.delivery = Delivery::Eventbridge;
            let mut off = spec.clone();
            off.notification.enabled = false;
            let mut alarms = spec.clone();
            alarms.alarms.enabled = true;
            let mut their_topic = alarms.clone();
            their_topic.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
            let mut alarms_no_queue = no_queue.clone();
            alarms_no_queue.alarms.enabled = true;
            specs.extend([
                spec,
                no_dlq,
                adopted,
                no_queue,
                user,
                sns,
                eventbridge,
                off,
                alarms,
                their_topic,
                alarms_no_queue,
            ]);
        }
        for spec in &specs {
            let mut documented: Vec<ResourceKind> =
                desired_state(spec).iter().map(|d| d.kind).collect();
            documented.sort();
            documented.dedup();
            let wanted: Vec<ResourceKind> = ResourceKind::ALL
                .iter()
                .copied()
                .filter(|k| k.wanted(spec))
                .collect();
            assert_eq!(
                documented,
                wanted,
                "{} {:?}",
                spec.connector,
                spec.delivery()
            );
        }
    }

    #[test]
    fn resources_in_apply_order() {
        let kinds: Vec<&str> = desired_state(&acme())
            .iter()
            .map(|d| d.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "policy",
                "role",
                "bucket",
                "dead-letter-queue",
                "queue",
                "notification"
            ]
        );
        let mut spec = acme();
        spec.user.enabled = true;
        spec.role.enabled = false;
        spec.queue.dead_letter.enabled = false;
        let kinds: Vec<&str> = desired_state(&spec)
            .iter()
            .map(|d| d.kind.as_str())
            .collect();
        assert_eq!(kinds, ["policy", "user", "bucket", "queue", "notification"]);
    }

    #[test]
    fn adopted_bucket_manages_no_settings() {
        let mut spec = acme();
        spec.bucket.create = false;
        let bucket = desired_state(&spec)
            .into_iter()
            .find(|d| d.kind == ResourceKind::Bucket)
            .unwrap();
        assert!(!bucket.create);
        assert_eq!(bucket.document.to_json(), json!({}));
    }

    #[test]
    fn queue_document_expands_policies() {
        let queue = desired_state(&acme())
            .into_iter()
            .find(|d| d.kind == ResourceKind::Queue)
            .unwrap();
        assert_eq!(
            queue.document.to_json()["Policy"]["Id"],
            "acme-ingest-queue-policy"
        );
        assert_eq!(
            queue.document.to_json()["RedrivePolicy"]["maxReceiveCount"],
            5
        );
        assert_eq!(queue.document.to_json()["VisibilityTimeout"], "600");
    }
}
