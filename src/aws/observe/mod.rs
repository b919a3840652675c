//! Reading the current state of every resource of a spec, concurrently.
//! "Not found" is a state (`None`); any other failure is kept per resource
//! (with the action that was denied) while the rest is still observed.
//!
//! This file gathers one observation of a whole spec; each resource is read
//! in its own module (`resources::{iam, bucket, queue, route, alarms}`'s
//! `observe`, and the bucket's notification configuration in
//! `resources::route::notification`), and everything is reachable from
//! here. `lookup` reads one kind at a time for the wizard.

use super::client::{Clients, Identity};
use super::error::AwsError;
use crate::docs::{Arns, ResourceKind};
use crate::spec::Spec;

mod lookup;

pub use super::ownership::{iam_tags, s3_tags};
pub use super::resources::bucket::observe::*;
pub use super::resources::iam::observe::*;
pub use super::resources::queue::observe::*;
pub use super::resources::route::notification::*;
pub use super::resources::route::observe::*;
pub use lookup::*;

pub use super::error::Observed;

/// Everything observed for one spec.
#[derive(Debug, Clone)]
pub struct Observation {
    pub identity: Identity,
    pub policy: Observed<PolicyState>,
    /// `Ok(None)` too when the spec has no role.
    pub role: Observed<RoleState>,
    pub user: Observed<UserState>,
    pub bucket: Observed<BucketState>,
    pub dlq: Observed<QueueState>,
    pub queue: Observed<QueueState>,
    /// The queue's subscription to the spec's topic; `Ok(None)` too when the
    /// spec delivers otherwise than through SNS.
    pub subscription: Observed<SubscriptionState>,
    /// The EventBridge rule named as the notification: the route's when the
    /// spec delivers through EventBridge, else one left from when it did.
    pub rule: Observed<RuleState>,
    /// The stack's alarms and the topics they notify.
    pub alarms: super::resources::alarms::AlarmsObserved,
    /// What the stack has that the spec no longer names.
    pub leftovers: Leftovers,
}

/// What the stack has that the spec no longer names: plan retires it.
#[derive(Debug, Clone)]
pub struct Leftovers {
    /// The stack's queue's subscriptions to other topics: left by an earlier
    /// SNS delivery, or by one to a topic the spec no longer names (plan
    /// unsubscribes them). Looked for only for a queue the stack makes, in a
    /// pipeline with a notification; without SNS list rights none are seen.
    pub earlier_subscriptions: Result<Vec<SubscriptionState>, AwsError>,
    /// Resources of the stack the spec no longer names (renamed, turned off,
    /// the previous connector's).
    pub orphans: Result<Vec<super::orphans::Orphan>, AwsError>,
}

impl Leftovers {
    /// None found (nothing looked for yet).
    pub fn none() -> Leftovers {
        Leftovers {
            earlier_subscriptions: Ok(Vec::new()),
            orphans: Ok(Vec::new()),
        }
    }
}

/// Observes every resource of `spec`, whose `account_id` must be the caller's
/// (see [`super::account::for_account`]): ARNs are built from it.
pub async fn observe(clients: &Clients, spec: &Spec, identity: Identity) -> Observation {
    let mut resolved;
    let spec = if spec.account_id.is_none() {
        resolved = spec.clone();
        resolved.account_id = Some(identity.account.clone());
        &resolved
    } else {
        spec
    };
    let arns = Arns::of(spec);
    let account = identity.account.as_str();
    let ((policy, role, user), (bucket, dlq, queue), (subscription, rule), alarms, retiring) = tokio::join!(
        identities(clients, spec, &arns, account),
        stores(clients, spec, account),
        route(clients, spec, &arns),
        async {
            if ResourceKind::Alarm.wanted(spec) {
                super::resources::alarms::observe_alarms(clients, spec).await
            } else {
                super::resources::alarms::AlarmsObserved::none()
            }
        },
        retiring(clients, spec, account),
    );
    let mut observation = Observation {
        identity,
        policy,
        role,
        user,
        bucket,
        dlq,
        queue,
        subscription,
        rule,
        alarms,
        leftovers: Leftovers::none(),
    };
    observation.absorb_retiring(&retiring);
    observation
}

/// What a read of what the spec no longer has found: its queue's other
/// subscriptions and its resources under other names, and, of a kind the
/// spec no longer has, the stack's user, rule and alarms (`None` for a kind
/// the spec has: its own read holds it). Plan retires what is found.
#[derive(Debug, Clone)]
pub struct Retiring {
    pub leftovers: Leftovers,
    pub user: Option<Observed<UserState>>,
    pub rule: Option<Observed<RuleState>>,
    pub alarms: Option<super::resources::alarms::AlarmsObserved>,
}

impl Retiring {
    /// Nothing found: no leftovers, and no user, rule or alarms read.
    pub fn nothing() -> Retiring {
        Retiring {
            leftovers: Leftovers::none(),
            user: None,
            rule: None,
            alarms: None,
        }
    }
}

impl Observation {
    /// Takes what [`retiring`] found.
    pub fn absorb_retiring(&mut self, retiring: &Retiring) {
        self.leftovers = retiring.leftovers.clone();
        if let Some(user) = &retiring.user {
            self.user = user.clone();
        }
        if let Some(rule) = &retiring.rule {
            self.rule = rule.clone();
        }
        if let Some(alarms) = &retiring.alarms {
            self.alarms = alarms.clone();
        }
    }
}

/// `Ok(None)` for a read AWS denied.
fn unless_denied<T>(observed: Observed<T>) -> Observed<T> {
    match observed {
        Err(e) if e.kind == super::ErrorKind::AccessDenied => Ok(None),
        other => other,
    }
}

/// Reads what the stack has that `spec` (whose `account_id` is the
/// caller's) no longer has: see [`Retiring`]. A caller without the rights
/// to read a user, rule or alarms the spec no longer has is not stopped
/// for it: nothing is seen.
pub async fn retiring(clients: &Clients, spec: &Spec, account: &str) -> Retiring {
    let queue_arn = Arns::of(spec).queue;
    let (earlier_subscriptions, orphans, user, rule, alarms) = tokio::join!(
        async {
            if spec.retires_other_subscriptions() {
                subscriptions_to(clients, &queue_arn, spec.sns_topic()).await
            } else {
                Ok(Vec::new())
            }
        },
        super::orphans::find(clients, spec, account),
        async {
            if ResourceKind::User.wanted(spec) {
                None
            } else if spec.user.name.is_empty() {
                Some(Ok(None))
            } else {
                // A user of the stack left from when the spec had one.
                Some(unless_denied(observe_user(clients, &spec.user.name).await))
            }
        },
        async {
            if ResourceKind::Rule.wanted(spec) {
                None
            } else if spec.notification.id.is_empty() {
                Some(Ok(None))
            } else {
                // A rule of ours left from EventBridge delivery.
                Some(unless_denied(
                    observe_rule(clients, &spec.notification.id).await,
                ))
            }
        },
        async {
            if ResourceKind::Alarm.wanted(spec) {
                None
            } else {
                // Alarms of the stack left from when the spec had them.
                Some(super::resources::alarms::observe_alarms(clients, spec).await)
            }
        },
    );
    Retiring {
        leftovers: Leftovers {
            earlier_subscriptions,
            orphans,
        },
        user,
        rule,
        alarms,
    }
}

/// The permissions policy, the role and the user, with which of the user's
/// keys had their secret saved here.
async fn identities(
    clients: &Clients,
    spec: &Spec,
    arns: &Arns,
    account: &str,
) -> (
    Observed<PolicyState>,
    Observed<RoleState>,
    Observed<UserState>,
) {
    let wanted = |kind: ResourceKind| kind.wanted(spec);
    let (policy, role, user) = tokio::join!(
        observe_policy(clients, &arns.policy),
        async {
            if wanted(ResourceKind::Role) {
                observe_role(clients, &spec.role.name).await
            } else {
                Ok(None)
            }
        },
        async {
            if wanted(ResourceKind::User) {
                observe_user(clients, &spec.user.name).await
            } else {
                Ok(None)
            }
        },
    );
    let user = user.map(|found| {
        found.map(|mut u| {
            let saved = super::journal::default_dir()
                .map(|dir| super::journal::keys::saved(&dir, account, &spec.user.name))
                .unwrap_or_default();
            u.unsaved_keys.retain(|k| !saved.contains_key(k));
            u
        })
    });
    (policy, role, user)
}

/// The bucket (with the apply that claimed it, while it is untagged), the
/// dead-letter queue and the queue.
async fn stores(
    clients: &Clients,
    spec: &Spec,
    account: &str,
) -> (
    Observed<BucketState>,
    Observed<QueueState>,
    Observed<QueueState>,
) {
    let queue_of = |kind: ResourceKind, name: &str| {
        let name = name.to_owned();
        async move {
            if kind.wanted(spec) {
                observe_queue(clients, &name).await
            } else {
                Ok(None)
            }
        }
    };
    let (bucket, dlq, queue) = tokio::join!(
        observe_bucket(clients, &spec.bucket.name, account, &spec.region),
        queue_of(ResourceKind::DeadLetterQueue, &spec.queue.dead_letter.name),
        queue_of(ResourceKind::Queue, &spec.queue.name),
    );
    // An untagged bucket this stack's apply made and did not finish tagging.
    let bucket = bucket.map(|found| {
        found.map(|mut b| {
            if !b.tags.contains_key(crate::docs::STACK_TAG) {
                b.created_by = super::journal::default_dir()
                    .and_then(|dir| super::journal::claimed_by(&dir, account, &spec.bucket.name));
            }
            b
        })
    });
    (bucket, dlq, queue)
}

/// The route into the queue: its subscription to the spec's topic and the
/// EventBridge rule.
async fn route(
    clients: &Clients,
    spec: &Spec,
    arns: &Arns,
) -> (Observed<SubscriptionState>, Observed<RuleState>) {
    tokio::join!(
        async {
            match spec.sns_topic() {
                Some(topic) => observe_subscription(clients, topic, &arns.queue).await,
                None => Ok(None),
            }
        },
        async {
            if ResourceKind::Rule.wanted(spec) {
                observe_rule(clients, &spec.notification.id).await
            } else {
                Ok(None)
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_documents_decode_either_way() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        let policy = crate::docs::policy::Policy::new(Vec::new());
        assert_eq!(decode_policy_document(&doc.to_string()).unwrap(), policy);
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_policy_document(encoded).unwrap(), policy);
        assert!(decode_policy_document("%7Bnot").is_err());
        let unknown =
            decode_policy_document(r#"{"Statement": [{"Effect": "Allow", "Actions": "*"}]}"#);
        assert!(unknown.unwrap_err().contains("unknown field `Actions`"));
    }

    #[test]
    fn s3_names_the_destinations_it_could_not_validate() {
        let numbered = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidArgument</Code><Message>Unable to validate the following destination configurations</Message><ArgumentName1>arn:aws:sqs:us-west-2:1:gone</ArgumentName1><ArgumentValue1>The destination queue does not exist</ArgumentValue1><ArgumentName2>arn:aws:sns:us-west-2:1:t</ArgumentName2><ArgumentValue2>Permissions on the destination topic do not allow S3 to publish notifications from this bucket</ArgumentValue2><RequestId>1</RequestId></Error>"#;
        assert_eq!(
            refused_destinations(numbered),
            vec![
                RefusedDestination {
                    arn: "arn:aws:sqs:us-west-2:1:gone".into(),
                    reason: "The destination queue does not exist".into()
                },
                RefusedDestination {
                    arn: "arn:aws:sns:us-west-2:1:t".into(),
                    reason: "Permissions on the destination topic do not allow S3 to publish notifications from this bucket".into()
                },
            ]
        );
        let single = b"<Error><Code>InvalidArgument</Code><Message>Unable to validate the following destination configurations</Message><ArgumentName>arn:aws:sqs:us-west-2:1:q</ArgumentName><ArgumentValue>The destination queue does not exist</ArgumentValue></Error>";
        assert_eq!(refused_destinations(single).len(), 1);
        // A bad field is named the same way: not a destination.
        let field = b"<Error><Code>InvalidArgument</Code><Message>filter rule name must be either prefix or suffix</Message><ArgumentName>FilterRule.Name</ArgumentName><ArgumentValue>INVALID</ArgumentValue></Error>";
        assert!(refused_destinations(field).is_empty());
        assert!(refused_destinations(b"").is_empty());
        assert!(refused_destinations(&[0xff, b'<']).is_empty());
    }

    #[test]
    fn notification_configuration_round_trips_through_the_sdk_types() {
        let config = json!({
            "TopicConfigurations": [{"Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:1:t", "Events": ["s3:ObjectRemoved:*"]}],
            "QueueConfigurations": [{"Id": "q", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectCreated:*", "s3:ObjectRestore:Completed"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}, {"Name": "Suffix", "Value": ".gz"}]}}}],
            "LambdaFunctionConfigurations": [{"Id": "l", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:1:function:f", "Events": ["s3:ObjectCreated:Put"]}],
            "EventBridgeConfiguration": {}
        });
        let config = crate::docs::NotificationConfiguration::from_json(&config).unwrap();
        let typed = to_sdk(&config, "s3:PutBucketNotification", "b").unwrap();
        let back = from_sdk(
            typed.queue_configurations(),
            typed.topic_configurations(),
            typed.lambda_function_configurations(),
            typed.event_bridge_configuration.is_some(),
        );
        assert_eq!(back, config);
    }
}
