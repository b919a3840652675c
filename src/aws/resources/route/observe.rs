//! Reading the SNS subscription and the EventBridge rule of a route.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aws::client::Clients;
use crate::aws::error::{AwsError, ErrorKind, classify, optional};

use crate::aws::observe::Observed;

/// The queue's subscription to the bucket's topic.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionState {
    pub arn: String,
    /// As GetSubscriptionAttributes reports them (the filter policy parsed).
    pub attributes: BTreeMap<String, Value>,
}

impl SubscriptionState {
    /// The topic subscribed to: its attribute, else the subscription's ARN
    /// (the topic's, with an id after a colon).
    pub fn topic(&self) -> &str {
        match self.attributes.get("TopicArn").and_then(Value::as_str) {
            Some(topic) => topic,
            None => self.arn.rsplit_once(':').map_or("", |(topic, _)| topic),
        }
    }
}

/// The EventBridge rule named after the notification id.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    pub arn: String,
    pub event_pattern: Value,
    pub state: String,
    pub description: String,
    /// Every target, as (Id, Arn).
    pub targets: Vec<(String, String)>,
    pub tags: BTreeMap<String, String>,
}

/// The confirmed SQS subscriptions of the queue `queue_arn` to any topic but
/// `except` (SNS lists them account-wide, a page of 100 at a time). None
/// when listing them is denied: a caller without SNS rights is not stopped
/// for what it cannot see.
pub(in crate::aws) async fn subscriptions_to(
    clients: &Clients,
    queue_arn: &str,
    except: Option<&str>,
) -> Result<Vec<SubscriptionState>, AwsError> {
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = match clients
            .sns
            .list_subscriptions()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sns:ListSubscriptions", queue_arn, e))
        {
            Ok(page) => page,
            Err(e) if e.kind == ErrorKind::AccessDenied => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        for sub in page.subscriptions() {
            if sub.endpoint() == Some(queue_arn)
                && sub.protocol() == Some("sqs")
                && sub.topic_arn().is_some_and(|topic| Some(topic) != except)
                // Not yet confirmed (cross-account): no ARN to manage yet.
                && let Some(arn) = sub.subscription_arn().filter(|a| a.starts_with("arn:"))
            {
                match subscription_state(clients, arn).await {
                    Ok(state) => found.push(state),
                    // Unsubscribed since the list was read.
                    Err(e) if e.is_not_found() => {}
                    // Its attributes cannot be read: it is still one, with its topic.
                    Err(e) if e.kind == ErrorKind::AccessDenied => found.push(SubscriptionState {
                        arn: arn.to_owned(),
                        attributes: sub
                            .topic_arn()
                            .map(|t| ("TopicArn".to_owned(), Value::String(t.to_owned())))
                            .into_iter()
                            .collect(),
                    }),
                    Err(e) => return Err(e),
                }
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(found);
        }
    }
}

/// The subscription of the queue `queue_arn` to `topic`, when there is one.
pub async fn observe_subscription(
    clients: &Clients,
    topic: &str,
    queue_arn: &str,
) -> Observed<SubscriptionState> {
    match find_subscription(clients, topic, queue_arn).await? {
        Some(arn) => subscription_state(clients, &arn).await.map(Some),
        None => Ok(None),
    }
}

/// The subscription `arn` with its attributes.
async fn subscription_state(clients: &Clients, arn: &str) -> Result<SubscriptionState, AwsError> {
    let out = clients
        .sns
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| classify("sns:GetSubscriptionAttributes", arn, e))?;
    let attributes = out
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = match k.as_str() {
                "FilterPolicy" | "DeliveryPolicy" | "EffectiveDeliveryPolicy" | "RedrivePolicy" => {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()))
                }
                _ => Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect();
    Ok(SubscriptionState {
        arn: arn.to_owned(),
        attributes,
    })
}

/// The ARN of the queue's SQS subscription to `topic`. A topic that does
/// not exist is an error: the spec names one the bucket already publishes to.
pub async fn find_subscription(
    clients: &Clients,
    topic: &str,
    queue_arn: &str,
) -> Result<Option<String>, AwsError> {
    let mut pages = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("sns:ListSubscriptionsByTopic", topic, e))?;
        if let Some(found) = page.subscriptions().iter().find(|s| {
            s.protocol() == Some("sqs")
                && s.endpoint() == Some(queue_arn)
                // Not yet confirmed (cross-account): no ARN to manage yet.
                && s.subscription_arn().is_some_and(|a| a.starts_with("arn:"))
        }) {
            return Ok(found.subscription_arn().map(str::to_owned));
        }
    }
    Ok(None)
}

/// The EventBridge rule `name` on the default bus, with its targets and tags.
pub async fn observe_rule(clients: &Clients, name: &str) -> Observed<RuleState> {
    let events = &clients.events;
    let described = events.describe_rule().name(name).send().await;
    let Some(rule) = optional(described.map_err(|e| classify("events:DescribeRule", name, e)))?
    else {
        return Ok(None);
    };
    let arn = rule.arn().unwrap_or_default().to_owned();
    let (targets, tags) = tokio::join!(
        events.list_targets_by_rule().rule(name).send(),
        events.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let targets = targets
        .map_err(|e| classify("events:ListTargetsByRule", name, e))?
        .targets()
        .iter()
        .map(|t| (t.id().to_owned(), t.arn().to_owned()))
        .collect();
    let tags = tags
        .map_err(|e| classify("events:ListTagsForResource", name, e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(RuleState {
        arn,
        event_pattern: rule
            .event_pattern()
            .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_owned())))
            .unwrap_or(Value::Null),
        state: rule
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        description: rule.description().unwrap_or_default().to_owned(),
        targets,
        tags,
    }))
}
