//! One resource read on its own, as the wizard reads each while the user
//! types its name: what to read ([`Lookup`]), what was found ([`Found`]),
//! the read itself ([`look_up`]), and how what was found takes its place in
//! an [`Observation`] (one put together from reads taken at different
//! times, each as fresh as the last edit of its name).

use super::{
    BucketState, Observation, Observed, PolicyState, QueueState, RoleState, RuleState,
    SubscriptionState, UserState, observe_bucket, observe_policy, observe_queue, observe_role,
    observe_rule, observe_subscription, observe_user,
};
use crate::aws::alarms::{AlarmsLookup, AlarmsObserved, look_up_alarms};
use crate::aws::client::{Clients, Identity};
use crate::docs::ResourceKind;

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
            // Lookups read what the spec names; the plan looks for the rest.
            orphans: Ok(Vec::new()),
        }
    }

    /// Takes what a lookup of the resource of `kind` found; a find of
    /// another kind's shape changes nothing.
    pub fn absorb(&mut self, kind: ResourceKind, found: &Found) {
        match (kind, found) {
            (ResourceKind::Policy, Found::Policy(f)) => self.policy = f.clone(),
            (ResourceKind::Role, Found::Role(f)) => self.role = f.clone(),
            (ResourceKind::User, Found::User(f)) => self.user = f.clone(),
            (ResourceKind::Bucket, Found::Bucket(f)) => self.bucket = f.clone(),
            (ResourceKind::DeadLetterQueue, Found::Queue(f)) => self.dlq = f.clone(),
            (ResourceKind::Queue, Found::Queue(f)) => self.queue = f.clone(),
            (ResourceKind::Subscription, Found::Subscription(f)) => {
                self.subscription = f.clone();
            }
            (ResourceKind::Rule, Found::Rule(f)) => self.rule = f.clone(),
            (ResourceKind::Alarm | ResourceKind::AlarmTopic, Found::Alarms(f)) => {
                self.alarms = f.clone();
            }
            _ => {}
        }
    }
}
