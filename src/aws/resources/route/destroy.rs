//! The event route: our bucket notification entry (every other entry put
//! back as it was), the queue's subscription to the bucket's topic, our
//! EventBridge rule and target, and the bucket's EventBridge setting
//! (turned off only when no other rule may use it).

use serde_json::Value;

use crate::aws::client::Clients;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, classify, optional};
use crate::aws::observe::{
    RuleState, find_subscription, observe_rule, put_notification, read_notification,
};
use crate::aws::ownership::{Owner, not_ours, owner};
use crate::aws::progress::KeptReason;
use crate::docs::{
    BucketMatch, NotificationConfiguration, ResourceKind, TARGET_ID, disable_eventbridge,
    eventbridge_enabled, remove, rule_matches_bucket,
};
use crate::spec::Spec;

pub(in crate::aws) async fn notification(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let bucket = &spec.bucket.name;
    let Some(config) = optional(read_notification(&clients.s3, bucket).await)? else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    // Ours by Id, or by what it is (our queue, events and filter) under an Id
    // S3 gave it; no other entry is ever touched.
    let (ours, taken) = crate::docs::recognise(&config, &crate::docs::notification_entry(spec));
    let id = ours.id_or(&spec.notification.id).to_owned();
    let id = &id;
    if let Some(taken) = &taken {
        run.note(
            ResourceKind::Notification,
            format!(
                "entry {taken} is ours by what it is (this queue, these events, this key filter), under an Id S3 gave it"
            ),
        );
    }
    if !crate::docs::has_entry(&config, id) {
        return Ok((label.to_owned(), Fate::Gone));
    }
    let wanted = remove(&config, id);
    let others = wanted.entries.len();
    // The entries of others are put back as they were, even ones whose destination is gone.
    put_notification(&clients.s3, bucket, &wanted, true).await?;
    let after = read_notification(&clients.s3, bucket).await?;
    if crate::docs::has_entry(&after, id) || remove(&after, id) != wanted {
        return Err(AwsError::new(
            "s3:PutBucketNotification",
            bucket.as_str(),
            format!(
                "after removing our entry {id}, the configuration read back differs from the one written: expected {}, found {}",
                crate::docs::json(&wanted),
                crate::docs::json(&after)
            ),
        ));
    }
    run.note(
        ResourceKind::Notification,
        format!(
            "{others} other notification entr{} left unchanged",
            if others == 1 { "y" } else { "ies" }
        ),
    );
    Ok((
        label.to_owned(),
        Fate::Removed("removed (other entries unchanged)".to_owned()),
    ))
}

// ---- the SNS and EventBridge routes ----

/// Unsubscribes the queue from the bucket's topic; the topic, its policy
/// and its other subscriptions stay as they are.
pub(in crate::aws) async fn subscription(
    clients: &Clients,
    spec: &Spec,
    topic: &str,
    queue_arn: &str,
    label: &str,
) -> Result<(String, Fate), AwsError> {
    let found = match find_subscription(clients, topic, queue_arn).await {
        Ok(found) => found,
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    let Some(arn) = found else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    // Subscriptions carry no tags: an adopted queue's may be its owners'.
    if !spec.queue.create {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(format!(
                "the queue is adopted, so its subscription may be its owners': when it is yours, aws sns unsubscribe --subscription-arn {arn}"
            ))),
        ));
    }
    unsubscribe_step(clients, &arn, label).await
}

/// What an unsubscribe did, in words.
pub(in crate::aws) const UNSUBSCRIBED: &str =
    "unsubscribed (the topic and its other subscriptions unchanged)";

/// Unsubscribes `arn` (a subscription of the stack's queue); the topic, its
/// policy and its other subscriptions stay as they are. `false` when it was
/// gone already.
pub(in crate::aws) async fn unsubscribe(clients: &Clients, arn: &str) -> Result<bool, AwsError> {
    let unsubscribed = clients
        .sns
        .unsubscribe()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| classify("sns:Unsubscribe", arn, e));
    Ok(optional(unsubscribed)?.is_some())
}

/// [`unsubscribe`] as destroy reports it, under `label`.
pub(in crate::aws) async fn unsubscribe_step(
    clients: &Clients,
    arn: &str,
    label: &str,
) -> Result<(String, Fate), AwsError> {
    let fate = if unsubscribe(clients, arn).await? {
        Fate::Removed(UNSUBSCRIBED.to_owned())
    } else {
        Fate::Gone
    };
    Ok((label.to_owned(), fate))
}

/// Removes our target from the rule, then the rule when it is the stack's
/// and nobody else's target is on it.
pub(in crate::aws) async fn rule(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let name = &spec.notification.id;
    let Some(rule) = observe_rule(clients, name).await? else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let owner = rule_owner(&rule, spec);
    if owner != Owner::Stack {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }
    let removal = remove_our_target(clients, name, &rule).await?;
    if removal.target_removed {
        run.note(ResourceKind::Rule, format!("removed target {TARGET_ID}"));
    }
    if !removal.others.is_empty() {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(format!(
                "it also targets {}: only our target was removed",
                removal.others.join(", ")
            ))),
        ));
    }
    Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
}

/// What [`remove_our_target`] did.
pub(crate) struct RuleRemoval {
    /// Our target was on the rule and is removed.
    pub target_removed: bool,
    /// Others' targets: the rule stays for them. Empty: the rule is deleted.
    pub others: Vec<String>,
}

/// Removes our target from the stack's `rule` (as observed), then the rule
/// itself when nobody else's target is on it. For destroy and for apply's
/// retiring of a previous route's rule alike.
pub(crate) async fn remove_our_target(
    clients: &Clients,
    name: &str,
    rule: &RuleState,
) -> Result<RuleRemoval, AwsError> {
    let target_removed = rule.targets.iter().any(|(id, _)| id == TARGET_ID);
    if target_removed {
        clients
            .events
            .remove_targets()
            .rule(name)
            .ids(TARGET_ID)
            .send()
            .await
            .map_err(|e| classify("events:RemoveTargets", name, e))?;
    }
    let others: Vec<String> = rule
        .targets
        .iter()
        .filter(|(id, _)| id != TARGET_ID)
        .map(|(_, arn)| arn.clone())
        .collect();
    if others.is_empty() {
        clients
            .events
            .delete_rule()
            .name(name)
            .send()
            .await
            .map_err(|e| classify("events:DeleteRule", name, e))?;
    }
    Ok(RuleRemoval {
        target_removed,
        others,
    })
}

/// Whose the rule is: by its tag, or (CloudFormation's rule takes no tags)
/// by the description every path writes.
pub(in crate::aws) fn rule_owner(rule: &RuleState, spec: &Spec) -> Owner {
    match owner(&rule.tags, &spec.name) {
        Owner::Untagged if crate::aws::plan::rule_is_the_stacks(rule, spec) => Owner::Stack,
        owner => owner,
    }
}

/// Turns the bucket's EventBridge delivery off, every entry as it was, but
/// only when no rule on the account's default bus may take this bucket's
/// events: otherwise it stays on, and the report names those rules.
pub(in crate::aws) async fn eventbridge_setting(
    clients: &Clients,
    spec: &Spec,
    deleted_rule: Option<&str>,
    label: &str,
) -> Result<(String, Fate), AwsError> {
    let bucket = &spec.bucket.name;
    match eventbridge_off(clients, bucket, deleted_rule).await? {
        EventBridgeOff::AlreadyOff => Ok((label.to_owned(), Fate::Gone)),
        EventBridgeOff::UsedBy(others) => Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(format!(
                "left on: the EventBridge rule{} {} may rely on it",
                if others.len() == 1 { "" } else { "s" },
                others.join(", ")
            ))),
        )),
        EventBridgeOff::TurnOff { wanted, .. } => {
            put_notification(&clients.s3, bucket, &wanted, true).await?;
            Ok((
                label.to_owned(),
                Fate::Removed(
                    "turned off: no other EventBridge rule may use it (other entries unchanged)"
                        .to_owned(),
                ),
            ))
        }
    }
}

/// Whether the bucket's EventBridge delivery may be turned off now that the
/// stack's rule (`deleted_rule`) is gone.
pub(crate) enum EventBridgeOff {
    /// Off already, or the bucket is gone.
    AlreadyOff,
    /// Left on: these rules on the default bus may take the bucket's events.
    UsedBy(Vec<String>),
    /// Nothing else may use it: write `wanted` over `current` (every entry
    /// as it is, the delivery off).
    TurnOff {
        current: NotificationConfiguration,
        wanted: NotificationConfiguration,
    },
}

/// Reads the bucket's notification configuration and decides
/// [`EventBridgeOff`]; the caller writes (apply backs up first).
pub(crate) async fn eventbridge_off(
    clients: &Clients,
    bucket: &str,
    deleted_rule: Option<&str>,
) -> Result<EventBridgeOff, AwsError> {
    let Some(current) = optional(read_notification(&clients.s3, bucket).await)? else {
        return Ok(EventBridgeOff::AlreadyOff);
    };
    if !eventbridge_enabled(&current) {
        return Ok(EventBridgeOff::AlreadyOff);
    }
    let others = rules_for_bucket(clients, bucket, deleted_rule, true).await?;
    if !others.is_empty() {
        return Ok(EventBridgeOff::UsedBy(others));
    }
    let wanted = disable_eventbridge(&current);
    Ok(EventBridgeOff::TurnOff { current, wanted })
}

/// The rules on the default bus, but the one just `deleted`, whose pattern
/// names `bucket` (see [`crate::docs::rule_matches_bucket`]), and with
/// `any_bucket` also those that take S3's events of every bucket.
pub(crate) async fn rules_for_bucket(
    clients: &Clients,
    bucket: &str,
    deleted: Option<&str>,
    any_bucket: bool,
) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .events
            .list_rules()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("events:ListRules", "the default event bus", e))?;
        for rule in page.rules() {
            let name = rule.name().unwrap_or_default();
            if Some(name) == deleted {
                continue; // listed a moment after its deletion
            }
            let Some(pattern) = rule.event_pattern() else {
                continue; // a scheduled rule
            };
            let matched = match serde_json::from_str::<Value>(pattern) {
                Ok(p) => rule_matches_bucket(&p, bucket),
                Err(_) => BucketMatch::Names,
            };
            if matched == BucketMatch::Names || (any_bucket && matched == BucketMatch::AnyBucket) {
                names.push(name.to_owned());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(names);
        }
    }
}
