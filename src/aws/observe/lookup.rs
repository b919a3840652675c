//! One resource read on its own, as the wizard reads each while the user
//! types its name: what to read ([`Lookup`]), what was found ([`Found`]),
//! the read itself ([`look_up`]), and how what was found takes its place in
//! an [`Observation`] (one put together from reads taken at different
//! times, each as fresh as the last edit of its name).

use super::{
    BucketState, Leftovers, Observation, Observed, PolicyState, QueueState, Retiring, RoleState,
    RuleState, SubscriptionState, UserState, observe_bucket, observe_policy, observe_queue,
    observe_role, observe_rule, observe_subscription, observe_user, retiring,
};
use crate::aws::client::{Clients, Identity};
use crate::aws::resources::alarms::{AlarmsLookup, AlarmsObserved, look_up_alarms};
use crate::docs::{Arns, ResourceKind};
use crate::spec::Spec;

/// What to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Policy {
        arn: String,
    },
    Role {
        name: String,
    },
    User {
        name: String,
    },
    Bucket {
        name: String,
        account: String,
        region: String,
    },
    /// The queue or the dead-letter queue.
    Queue {
        name: String,
    },
    Subscription {
        topic: String,
        queue_arn: String,
    },
    Rule {
        name: String,
    },
    Alarms(AlarmsLookup),
    /// What the stack has that the spec no longer has ([`super::retiring`]):
    /// read for the whole spec, whose `account_id` is the caller's.
    Retiring(Box<Spec>),
}

/// What a lookup found.
// The bucket's state is the big one; each wizard slot holds one of these,
// and actions carry it boxed, so boxing a variant would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Found {
    Policy(Observed<PolicyState>),
    Role(Observed<RoleState>),
    User(Observed<UserState>),
    Bucket(Observed<BucketState>),
    Queue(Observed<QueueState>),
    Subscription(Observed<SubscriptionState>),
    Rule(Observed<RuleState>),
    Alarms(AlarmsObserved),
    Retiring(Box<Retiring>),
}

/// The kind whose lookup reads `kind`: the bucket's read holds its
/// notification configuration (and EventBridge setting), the alarms' read
/// their topic; every other kind is read on its own.
pub fn read_with(kind: ResourceKind) -> ResourceKind {
    match kind {
        ResourceKind::Notification => ResourceKind::Bucket,
        ResourceKind::AlarmTopic => ResourceKind::Alarm,
        ResourceKind::Policy
        | ResourceKind::Role
        | ResourceKind::User
        | ResourceKind::Bucket
        | ResourceKind::DeadLetterQueue
        | ResourceKind::Queue
        | ResourceKind::Subscription
        | ResourceKind::Rule
        | ResourceKind::Alarm => kind,
    }
}

/// The kinds read on their own (see [`read_with`]), in apply's order: one
/// lookup each.
pub fn looked_up() -> impl Iterator<Item = ResourceKind> {
    ResourceKind::ALL
        .iter()
        .copied()
        .filter(|&kind| read_with(kind) == kind)
}

impl Lookup {
    /// What to read of `kind` for `spec` in `account`: `None` for a kind
    /// the spec does not want ([`ResourceKind::wanted`]), one read with
    /// another ([`read_with`]), or a subscription without a topic to read.
    pub fn of(kind: ResourceKind, spec: &Spec, account: &str) -> Option<Lookup> {
        if !kind.wanted(spec) {
            return None;
        }
        match kind {
            ResourceKind::Policy => Some(Lookup::Policy {
                arn: Arns::of(spec).policy,
            }),
            ResourceKind::Role => Some(Lookup::Role {
                name: spec.role.name.clone(),
            }),
            ResourceKind::User => Some(Lookup::User {
                name: spec.user.name.clone(),
            }),
            ResourceKind::Bucket => Some(Lookup::Bucket {
                name: spec.bucket.name.clone(),
                account: account.to_owned(),
                region: spec.region.clone(),
            }),
            ResourceKind::DeadLetterQueue => Some(Lookup::Queue {
                name: spec.queue.dead_letter.name.clone(),
            }),
            ResourceKind::Queue => Some(Lookup::Queue {
                name: spec.queue.name.clone(),
            }),
            ResourceKind::Subscription => spec.sns_topic().map(|topic| Lookup::Subscription {
                topic: topic.to_owned(),
                queue_arn: Arns::of(spec).queue,
            }),
            ResourceKind::Rule => Some(Lookup::Rule {
                name: spec.notification.id.clone(),
            }),
            ResourceKind::Alarm => Some(Lookup::Alarms(AlarmsLookup::of(spec))),
            // Read with the bucket and with the alarms (see `read_with`).
            ResourceKind::Notification | ResourceKind::AlarmTopic => None,
        }
    }
}

/// Reads the one resource `what` names.
pub async fn look_up(clients: &Clients, what: Lookup) -> Found {
    match what {
        Lookup::Policy { arn } => Found::Policy(observe_policy(clients, &arn).await),
        Lookup::Role { name } => Found::Role(observe_role(clients, &name).await),
        Lookup::User { name } => Found::User(observe_user(clients, &name).await),
        Lookup::Bucket {
            name,
            account,
            region,
        } => Found::Bucket(observe_bucket(clients, &name, &account, &region).await),
        Lookup::Queue { name } => Found::Queue(observe_queue(clients, &name).await),
        Lookup::Subscription { topic, queue_arn } => {
            Found::Subscription(observe_subscription(clients, &topic, &queue_arn).await)
        }
        Lookup::Rule { name } => Found::Rule(observe_rule(clients, &name).await),
        Lookup::Alarms(lookup) => Found::Alarms(look_up_alarms(clients, &lookup).await),
        Lookup::Retiring(spec) => {
            let account = spec.account_id.clone().unwrap_or_default();
            Found::Retiring(Box::new(retiring(clients, &spec, &account).await))
        }
    }
}

impl Observation {
    /// An observation in which nothing exists yet: what lookups fill in.
    pub fn nothing(identity: Identity) -> Observation {
        Observation {
            identity,
            policy: Ok(None),
            role: Ok(None),
            user: Ok(None),
            bucket: Ok(None),
            dlq: Ok(None),
            queue: Ok(None),
            subscription: Ok(None),
            rule: Ok(None),
            alarms: AlarmsObserved::none(),
            leftovers: Leftovers::none(),
        }
    }

    /// Takes what a lookup of the resource of `kind` found; a find of
    /// another kind's shape changes nothing.
    pub fn absorb(&mut self, kind: ResourceKind, found: &Found) {
        match (kind, found) {
            (ResourceKind::Policy, Found::Policy(f)) => self.policy = f.clone(),
            (ResourceKind::Role, Found::Role(f)) => self.role = f.clone(),
            (ResourceKind::User, Found::User(f)) => self.user = f.clone(),
            (ResourceKind::Bucket | ResourceKind::Notification, Found::Bucket(f)) => {
                self.bucket = f.clone();
            }
            (ResourceKind::DeadLetterQueue, Found::Queue(f)) => self.dlq = f.clone(),
            (ResourceKind::Queue, Found::Queue(f)) => self.queue = f.clone(),
            (ResourceKind::Subscription, Found::Subscription(f)) => {
                self.subscription = f.clone();
            }
            (ResourceKind::Rule, Found::Rule(f)) => self.rule = f.clone(),
            (ResourceKind::Alarm | ResourceKind::AlarmTopic, Found::Alarms(f)) => {
                self.alarms = f.clone();
            }
            // A find of another kind's shape.
            (
                ResourceKind::Policy
                | ResourceKind::Role
                | ResourceKind::User
                | ResourceKind::Bucket
                | ResourceKind::Notification
                | ResourceKind::DeadLetterQueue
                | ResourceKind::Queue
                | ResourceKind::Subscription
                | ResourceKind::Rule
                | ResourceKind::Alarm
                | ResourceKind::AlarmTopic,
                _,
            ) => {}
        }
    }
}
