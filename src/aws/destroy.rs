//! Taking a stack down again: only what sluice made, and only what carries
//! the stack's tag.
//!
//! In order: our bucket notification entry (every other entry is put back as
//! it was), or the queue's subscription to the bucket's topic, or our
//! EventBridge rule and target (the bucket's EventBridge setting is turned
//! off only when no other rule may use it), the queue and its dead-letter queue, the permissions policy, the
//! role, the user, and the bucket. A resource is deleted only when it is
//! tagged `sluice:stack` with the spec's name; one without the tag is kept,
//! and the report says why. An adopted queue loses only our access policy
//! statement; an adopted bucket only our notification entry.
//!
//! Data is deleted only under the flag that names it: a queue holding
//! messages with `force` (every message written to the backup first, and
//! kept when some cannot be read), a bucket holding objects with
//! `delete_objects`. A bucket that something else depends on (another
//! team's notification entry, an EventBridge rule naming it) is kept
//! whatever the flags. S3's own `s3:TestEvent` is not a backlog. What does
//! not exist is reported as already gone, so destroying twice is fine.

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::backup::{Backup, Saved};
use super::client::Clients;
use super::error::{AwsError, ErrorKind, classify, optional};
use super::observe::{
    Depth, RuleState, find_subscription, iam_tags, observe_rule, put_notification, queue_depth,
    read_notification, s3_tags, set_visibility,
};
use super::orphans::Orphan;
use super::ownership::{Owner, not_ours, owner};
use super::progress::{Event, KeptReason, Outcome, Reporter, StepId};
use crate::docs::{
    Arns, BucketMatch, ResourceKind, TARGET_ID, disable_eventbridge, eventbridge_enabled, remove,
    remove_bucket_policy_statement, rule_matches_bucket, without_ours,
};
use crate::spec::{Delivery, Spec};

/// How far destroy goes. Messages and objects are different data, under
/// different flags: neither implies the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyOptions {
    /// Delete the stack's queues even when they hold messages: every
    /// message is written to the backup first, and a queue whose messages
    /// cannot all be read (some are in flight or delayed) is kept.
    pub force: bool,
    /// Delete the stack's bucket even when it holds objects: every object
    /// and object version in it is deleted first (objects are not backed up).
    pub delete_objects: bool,
    /// Where the messages of a forced queue deletion are backed up; `None`
    /// is sluice's data directory.
    pub backup_base: Option<std::path::PathBuf>,
}

/// The data the stack's resources hold: what destroy keeps without `force`
/// (messages) or `delete_objects` (objects), and what keeps the bucket
/// whatever the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    pub queue: Option<Depth>,
    pub dlq: Option<Depth>,
    /// Current objects, counted up to 100,000.
    pub bucket_objects: Option<usize>,
    /// What depends on the bucket and is not the stack's (see [`bucket_dependents`]).
    pub bucket_dependents: Vec<String>,
}

impl Holdings {
    /// Whether anything would be lost.
    pub fn any(&self) -> bool {
        self.queue.is_some_and(|d| d.total() > 0)
            || self.dlq.is_some_and(|d| d.total() > 0)
            || self.bucket_objects.is_some_and(|n| n > 0)
    }
}

/// What the stack's queues and bucket hold now (those that exist).
pub async fn holdings(clients: &Clients, spec: &Spec) -> Result<Holdings, AwsError> {
    let depth_of = async |name: &str| -> Result<Option<Depth>, AwsError> {
        match clients.queue_url(name).await? {
            Some(url) => optional(queue_depth(clients, &url).await),
            None => Ok(None),
        }
    };
    let queue = if spec.has_queue() && spec.queue.create {
        depth_of(&spec.queue.name).await?
    } else {
        None
    };
    let dlq = if spec.queue.create && spec.has_dead_letter() {
        depth_of(&spec.queue.dead_letter.name).await?
    } else {
        None
    };
    let (bucket_objects, bucket_dependents) = if spec.bucket.create {
        (
            optional(count_objects(clients, &spec.bucket.name).await)?,
            bucket_dependents(clients, spec, None).await?,
        )
    } else {
        (None, Vec::new())
    };
    Ok(Holdings {
        queue,
        dlq,
        bucket_objects,
        bucket_dependents,
    })
}

/// What depends on the stack's bucket and is not the stack's: every entry
/// of its notification configuration but ours (another team's queue,
/// topic or function), and, while the bucket's EventBridge delivery is on,
/// every rule on the default bus whose pattern names the bucket (`gone_rule`,
/// a rule this destroy just deleted, left out). Each as a phrase naming it.
pub async fn bucket_dependents(
    clients: &Clients,
    spec: &Spec,
    gone_rule: Option<&str>,
) -> Result<Vec<String>, AwsError> {
    let bucket = &spec.bucket.name;
    let Some(config) = optional(read_notification(&clients.s3, bucket).await)? else {
        return Ok(Vec::new());
    };
    let (others, _) = without_ours(&config, spec);
    let our_queue = Arns::of(spec).queue;
    let mut dependents = Vec::new();
    for (list, arn_key, what) in [
        ("QueueConfigurations", "QueueArn", "queue"),
        ("TopicConfigurations", "TopicArn", "topic"),
        (
            "LambdaFunctionConfigurations",
            "LambdaFunctionArn",
            "function",
        ),
    ] {
        for entry in others
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let arn = entry.get(arn_key).and_then(Value::as_str).unwrap_or("?");
            if arn == our_queue {
                continue; // feeds only the queue this destroy deletes
            }
            let id = entry.get("Id").and_then(Value::as_str).unwrap_or("(no Id)");
            dependents.push(format!("notification entry {id} (to {what} {arn})"));
        }
    }
    if eventbridge_enabled(&config) {
        match rules_for_bucket(clients, bucket, gone_rule, false).await {
            Ok(rules) => dependents.extend(rules.into_iter().map(|r| format!("EventBridge rule {r}"))),
            Err(e) if e.kind == ErrorKind::AccessDenied => dependents.push(format!(
                "perhaps an EventBridge rule: the bucket sends its events to EventBridge and the rules could not be listed ({e})"
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(dependents)
}

/// What destroy did, resource by resource (labels such as `queue acme-ingest-queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyReport {
    /// Deleted resources, and parts removed from kept ones.
    pub removed: Vec<String>,
    /// Resources left in place, each with the reason.
    pub kept: Vec<(String, KeptReason)>,
    /// Resources that did not exist (already destroyed, or never made).
    pub already_gone: Vec<String>,
}

/// Above this many objects, a bucket's objects are not counted further.
const COUNT_LIMIT: usize = 100_000;

/// Destroys the stack of `spec` (whose `account_id` may be unset: it is then
/// the caller's). Stops at the first call that fails, with that error; what
/// was done before is reported through `reporter`.
pub async fn destroy(
    clients: &Clients,
    spec: &Spec,
    options: &DestroyOptions,
    reporter: &Reporter,
) -> Result<DestroyReport, AwsError> {
    let mut spec = spec.clone();
    if spec.account_id.is_none() {
        spec.account_id = Some(clients.identity().await?.account);
    }
    let arns = Arns::of(&spec);
    let mut run = Run {
        reporter,
        report: DestroyReport::default(),
        backup: options
            .backup_base
            .clone()
            .or_else(super::backup::default_base)
            .map(|base| {
                Backup::new(
                    base,
                    &spec.name,
                    &spec.region,
                    spec.account_id.as_deref().unwrap_or_default(),
                )
            }),
        force: options.force,
        for_apply: false,
    };

    // A pipeline without a queue made no notification entry and no queues.
    match spec.delivery() {
        Some(Delivery::Direct) => {
            let label = format!(
                "notification {} on bucket {}",
                spec.notification.id, spec.bucket.name
            );
            let started = run.start(ResourceKind::Notification, &label);
            let result = notification(clients, &spec, &label, &mut run).await;
            run.end(ResourceKind::Notification, started, result)?;
        }
        Some(Delivery::Sns) => {
            let topic = spec.notification.topic_arn.clone().unwrap_or_default();
            let label = format!("subscription of queue {} to {topic}", spec.queue.name);
            let started = run.start(ResourceKind::Subscription, &label);
            let result = subscription(clients, &spec, &topic, &arns.queue, &label).await;
            run.end(ResourceKind::Subscription, started, result)?;
        }
        Some(Delivery::Eventbridge) => {
            let label = format!("EventBridge rule {}", spec.notification.id);
            let started = run.start(ResourceKind::Rule, &label);
            let result = rule(clients, &spec, &label, &mut run).await;
            // A rule of ours that stays (someone else's target on it) still needs the setting.
            let ours_gone = matches!(&result, Ok((_, Fate::Removed(_) | Fate::Gone)));
            run.end(ResourceKind::Rule, started, result)?;
            let label = format!("EventBridge delivery of bucket {}", spec.bucket.name);
            let started = run.start(ResourceKind::Notification, &label);
            let skip = ours_gone.then_some(spec.notification.id.as_str());
            let result = eventbridge_setting(clients, &spec, skip, &label).await;
            run.end(ResourceKind::Notification, started, result)?;
        }
        None => {}
    }
    // What an earlier delivery of the same stack left: our direct entry, our rule.
    if matches!(spec.delivery(), Some(Delivery::Sns | Delivery::Eventbridge))
        && let Ok(Some(config)) = optional(read_notification(&clients.s3, &spec.bucket.name).await)
        && without_ours(&config, &spec).1.is_some()
    {
        let label = format!(
            "notification {} on bucket {} (from direct delivery)",
            spec.notification.id, spec.bucket.name
        );
        let started = run.start(ResourceKind::Notification, &label);
        let result = notification(clients, &spec, &label, &mut run).await;
        run.end(ResourceKind::Notification, started, result)?;
    }
    if matches!(spec.delivery(), Some(Delivery::Direct | Delivery::Sns))
        && let Ok(Some(found)) = observe_rule(clients, &spec.notification.id).await
        && rule_owner(&found, &spec) == Owner::Stack
    {
        let label = format!(
            "EventBridge rule {} (from EventBridge delivery)",
            spec.notification.id
        );
        let started = run.start(ResourceKind::Rule, &label);
        let result = rule(clients, &spec, &label, &mut run).await;
        run.end(ResourceKind::Rule, started, result)?;
    }

    if spec.has_queue() {
        let label = format!("queue {}", spec.queue.name);
        let started = run.start(ResourceKind::Queue, &label);
        let result = queue(clients, &spec, &spec.queue.name, true, &label, &mut run).await;
        run.end(ResourceKind::Queue, started, result)?;
    }

    if spec.has_dead_letter() {
        let label = format!("dead-letter queue {}", spec.queue.dead_letter.name);
        let started = run.start(ResourceKind::DeadLetterQueue, &label);
        let result = queue(
            clients,
            &spec,
            &spec.queue.dead_letter.name,
            false,
            &label,
            &mut run,
        )
        .await;
        run.end(ResourceKind::DeadLetterQueue, started, result)?;
    }

    let label = format!("policy {}", spec.policy.name);
    let started = run.start(ResourceKind::Policy, &label);
    let result = policy(clients, &spec, &arns.policy, &label, &mut run).await;
    run.end(ResourceKind::Policy, started, result)?;

    if spec.role.enabled {
        let label = format!("role {}", spec.role.name);
        let started = run.start(ResourceKind::Role, &label);
        let result = role(clients, &spec, &label, &mut run).await;
        run.end(ResourceKind::Role, started, result)?;
    }

    if spec.user.enabled {
        let label = format!("user {}", spec.user.name);
        let started = run.start(ResourceKind::User, &label);
        let result = user(clients, &spec, &label, &mut run).await;
        run.end(ResourceKind::User, started, result)?;
    }

    // What the stack made under names the spec no longer uses.
    match super::orphans::find(clients, &spec, spec.account_id.as_deref().unwrap_or_default()).await {
        Ok(orphans) => {
            for orphan in orphans {
                let label = format!("{} (no longer in the spec)", orphan.label());
                let started = run.start(orphan.kind, &label);
                let result = remove_orphan(clients, &spec, &orphan, &label, &mut run).await;
                run.end(orphan.kind, started, result)?;
            }
        }
        Err(e) => run.note(
            ResourceKind::Bucket,
            format!(
                "resources of this stack under names the spec no longer uses could not be looked for ({e}); destroy with the earlier spec removes them"
            ),
        ),
    }

    let label = format!("bucket {}", spec.bucket.name);
    let started = run.start(ResourceKind::Bucket, &label);
    let result = bucket(clients, &spec, options, &label, &mut run).await;
    run.end(ResourceKind::Bucket, started, result)?;

    Ok(run.report)
}

/// Removes one resource of the stack the spec no longer names (found by
/// [`super::orphans`]), as destroy removes the stack's own, for apply: never
/// forced, so a queue holding messages is kept (with its counts); the tag is
/// read again first.
pub(crate) async fn retire_orphan(
    clients: &Clients,
    spec: &Spec,
    orphan: &Orphan,
    reporter: &Reporter,
) -> Result<(Outcome, String), AwsError> {
    let mut run = Run {
        reporter,
        report: DestroyReport::default(),
        backup: None,
        force: false,
        for_apply: true,
    };
    let (_, fate) = remove_orphan(clients, spec, orphan, &orphan.label(), &mut run).await?;
    Ok(match fate {
        Fate::Removed(detail) => (Outcome::Removed, detail),
        Fate::Kept(why) => {
            let detail = format!("kept: {why}");
            (Outcome::Kept(why), detail)
        }
        Fate::Gone => (Outcome::AlreadyGone, "already gone".to_owned()),
    })
}

/// One orphan, by the remover of its kind, given the spec as it was when
/// it named the resource.
async fn remove_orphan(
    clients: &Clients,
    spec: &Spec,
    orphan: &Orphan,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let mut earlier = spec.clone();
    match orphan.kind {
        ResourceKind::Role => {
            earlier.role.name = orphan.name.clone();
            role(clients, &earlier, label, run).await
        }
        ResourceKind::Policy => {
            earlier.policy.name = orphan.name.clone();
            policy(clients, &earlier, &orphan.id, label, run).await
        }
        ResourceKind::User => {
            earlier.user.name = orphan.name.clone();
            user(clients, &earlier, label, run).await
        }
        // Orphans are queues otherwise (see `orphans::find`).
        _ => queue(clients, &earlier, &orphan.name, true, label, run).await,
    }
}

/// What happened to one resource.
enum Fate {
    Removed(String),
    Kept(KeptReason),
    Gone,
}

struct Run<'a> {
    reporter: &'a Reporter,
    report: DestroyReport,
    /// Where a forced deletion backs up what a queue held.
    backup: Option<Backup>,
    force: bool,
    /// Removing for apply (see [`retire_orphan`]): notes go to apply's step.
    for_apply: bool,
}

impl Run<'_> {
    fn start(&self, kind: ResourceKind, label: &str) -> Instant {
        self.reporter.started(StepId::Destroy(kind), label);
        Instant::now()
    }

    fn note(&self, kind: ResourceKind, message: impl Into<String>) {
        let step = if self.for_apply {
            StepId::Apply(kind)
        } else {
            StepId::Destroy(kind)
        };
        self.reporter.note(step, message);
    }

    /// Reports how the step ended and records the resource's fate.
    fn end(
        &mut self,
        kind: ResourceKind,
        started: Instant,
        result: Result<(String, Fate), AwsError>,
    ) -> Result<(), AwsError> {
        let elapsed = started.elapsed();
        let step = StepId::Destroy(kind);
        match result {
            Ok((label, fate)) => {
                let (outcome, detail) = match fate {
                    Fate::Removed(detail) => {
                        self.report.removed.push(label);
                        (Outcome::Removed, detail)
                    }
                    Fate::Kept(why) => {
                        let detail = format!("kept: {why}");
                        self.report.kept.push((label, why.clone()));
                        (Outcome::Kept(why), detail)
                    }
                    Fate::Gone => {
                        self.report.already_gone.push(label);
                        (Outcome::AlreadyGone, "already gone".to_owned())
                    }
                };
                self.reporter.finished(step, outcome, detail, elapsed);
                Ok(())
            }
            Err(e) => {
                self.reporter.failed(step, e.clone(), elapsed);
                Err(e)
            }
        }
    }
}

// ---- the notification entry ----

async fn notification(
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
    let id = ours
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or(&spec.notification.id)
        .to_owned();
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
    let others = entry_count(&wanted);
    // The entries of others are put back as they were, even ones whose destination is gone.
    put_notification(&clients.s3, bucket, &wanted, true).await?;
    let after = read_notification(&clients.s3, bucket).await?;
    if crate::docs::has_entry(&after, id) || remove(&after, id) != wanted {
        return Err(AwsError::new(
            "s3:PutBucketNotification",
            bucket.as_str(),
            format!(
                "after removing our entry {id}, the configuration read back differs from the one written: expected {wanted}, found {after}"
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
async fn subscription(
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
    clients
        .sns
        .unsubscribe()
        .subscription_arn(&arn)
        .send()
        .await
        .map_err(|e| classify("sns:Unsubscribe", &arn, e))?;
    Ok((
        label.to_owned(),
        Fate::Removed("unsubscribed (the topic and its other subscriptions unchanged)".to_owned()),
    ))
}

/// Removes our target from the rule, then the rule when it is the stack's
/// and nobody else's target is on it.
async fn rule(
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
fn rule_owner(rule: &RuleState, spec: &Spec) -> Owner {
    match owner(&rule.tags, &spec.name) {
        Owner::Untagged if super::plan::rule_is_the_stacks(rule, spec) => Owner::Stack,
        owner => owner,
    }
}

/// Turns the bucket's EventBridge delivery off, every entry as it was, but
/// only when no rule on the account's default bus may take this bucket's
/// events: otherwise it stays on, and the report names those rules.
async fn eventbridge_setting(
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
    TurnOff { current: Value, wanted: Value },
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

fn entry_count(config: &Value) -> usize {
    [
        "QueueConfigurations",
        "TopicConfigurations",
        "LambdaFunctionConfigurations",
    ]
    .iter()
    .filter_map(|k| config.get(k).and_then(Value::as_array))
    .map(Vec::len)
    .sum()
}

// ---- the queues ----

async fn queue(
    clients: &Clients,
    spec: &Spec,
    name: &str,
    main: bool,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let Some(url) = clients.queue_url(name).await? else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let tags: BTreeMap<String, String> = match optional(
        clients
            .sqs
            .list_queue_tags()
            .queue_url(&url)
            .send()
            .await
            .map_err(|e| classify("sqs:ListQueueTags", name, e)),
    )? {
        Some(out) => out
            .tags()
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default(),
        None => return Ok((label.to_owned(), Fate::Gone)),
    };
    let owner = owner(&tags, &spec.name);
    if owner == Owner::Stack {
        let depth = queue_depth(clients, &url).await?;
        let kind = if main {
            ResourceKind::Queue
        } else {
            ResourceKind::DeadLetterQueue
        };
        if depth.total() > 0 && !(main && only_test_events(clients, name, &url, depth).await?) {
            if !run.force {
                return Ok((
                    label.to_owned(),
                    Fate::Kept(KeptReason::HoldsMessages(format!(
                        "not empty: it holds {depth}"
                    ))),
                ));
            }
            if depth.in_flight + depth.delayed > 0 {
                // Those cannot be received into the backup now: deleting
                // the queue would lose them unsaved.
                return Ok((
                    label.to_owned(),
                    Fate::Kept(KeptReason::HoldsMessages(format!(
                        "it holds {depth}: the {} in flight or delayed cannot be read into the backup until they are visible again (a consumer holds them, or they wait out a delay); run destroy again then",
                        depth.in_flight + depth.delayed
                    ))),
                ));
            }
            if let Some(why) = save_messages(clients, name, &url, depth, kind, run).await? {
                return Ok((label.to_owned(), Fate::Kept(KeptReason::HoldsMessages(why))));
            }
        }
        match clients
            .sqs
            .delete_queue()
            .queue_url(&url)
            .send()
            .await
            .map_err(|e| classify("sqs:DeleteQueue", name, e))
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok((label.to_owned(), Fate::Gone)),
            Err(e) => return Err(e),
        }
        return Ok((
            label.to_owned(),
            Fate::Removed("deleted (SQS allows a new queue of that name after 60 s)".to_owned()),
        ));
    }
    let mut why = not_ours(&owner, &spec.name);
    if main && owner == Owner::Untagged {
        // An adopted queue: only our statements in its access policy are ours.
        for sid in remove_queue_statements(clients, name, &url).await? {
            run.note(
                ResourceKind::Queue,
                format!("removed our statement {sid} from its access policy"),
            );
            run.report.removed.push(format!(
                "statement {sid} of the access policy of queue {name}"
            ));
            why.push_str(&format!(
                "; only our statement {sid} was removed from its access policy"
            ));
        }
    }
    Ok((label.to_owned(), Fate::Kept(KeptReason::NotOurs(why))))
}

/// Receives every visible message of `name` and writes them all (bodies,
/// attributes, message attributes) to the backup, before the queue is
/// deleted. `None` when every message the queue holds is in the backup;
/// otherwise why not, with the messages received made visible again and
/// the queue to be kept.
async fn save_messages(
    clients: &Clients,
    name: &str,
    url: &str,
    depth: Depth,
    kind: ResourceKind,
    run: &mut Run<'_>,
) -> Result<Option<String>, AwsError> {
    let mut messages = Vec::new();
    let mut handles = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut empty_polls = 0;
    // Until the queue answers empty twice: messages that arrive meanwhile are saved too.
    while empty_polls < 2 {
        let out = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(300)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| classify("sqs:ReceiveMessage", name, e))?;
        let batch = out.messages();
        if batch.is_empty() {
            empty_polls += 1;
            continue;
        }
        for m in batch {
            let id = m.message_id().unwrap_or_default().to_owned();
            handles.extend(m.receipt_handle().map(str::to_owned));
            if !seen.insert(id.clone()) {
                continue;
            }
            messages.push(backup_message(m));
        }
    }
    let count = messages.len();
    // Every message the queue holds is now in flight with us, and only those.
    let after = queue_depth(clients, url).await?;
    let missing = if after.visible + after.delayed > 0 || after.in_flight > count as u64 {
        Some(format!(
            "{count} of its messages were read, but it holds {after} now: it is still being written to or read"
        ))
    } else if (count as u64) < depth.visible {
        Some(format!(
            "only {count} of its {} visible messages could be read into the backup",
            depth.visible
        ))
    } else {
        None
    };
    if let Some(why) = missing {
        release(clients, name, url, &handles).await?;
        return Ok(Some(format!(
            "{why}; nothing was deleted, the messages read are visible again"
        )));
    }
    let Some(backup) = &mut run.backup else {
        release(clients, name, url, &handles).await?;
        return Err(AwsError::new(
            "sqs:DeleteQueue",
            name,
            "no data directory to back its messages up to: nothing was deleted",
        ));
    };
    let saved = Saved::QueueMessages {
        queue: name.to_owned(),
        messages,
    };
    let written = backup.save(&saved).and_then(|path| {
        // Read back: the file holds every message, each with its body.
        let text = std::fs::read_to_string(&path)?;
        let back: Saved = serde_json::from_str(&text).map_err(std::io::Error::other)?;
        match back {
            Saved::QueueMessages { messages, .. }
                if messages.len() == count
                    && messages
                        .iter()
                        .all(|m| m.get("Body").is_some_and(Value::is_string)) =>
            {
                Ok(path)
            }
            _ => Err(std::io::Error::other(format!(
                "{} does not hold the {count} messages written",
                path.display()
            ))),
        }
    });
    let path = match written {
        Ok(path) => path,
        Err(e) => {
            release(clients, name, url, &handles).await?;
            return Err(AwsError::new(
                "sqs:DeleteQueue",
                name,
                format!("cannot back its messages up (nothing was deleted): {e}"),
            ));
        }
    };
    run.reporter
        .send(Event::BackupWritten { path: path.clone() });
    run.note(
        kind,
        format!(
            "backed up {} (bodies and attributes) to {}",
            crate::words::count(count, "message"),
            path.display(),
        ),
    );
    Ok(None)
}

/// A received message as the backup keeps it.
fn backup_message(m: &aws_sdk_sqs::types::Message) -> Value {
    let attributes: serde_json::Map<String, Value> = m
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes: serde_json::Map<String, Value> = m
        .message_attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "DataType": v.data_type(),
                            "StringValue": v.string_value(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "MessageId": m.message_id().unwrap_or_default(),
        "Body": m.body().unwrap_or_default(),
        "Attributes": attributes,
        "MessageAttributes": message_attributes,
    })
}

/// Makes received messages visible again at once (the queue is kept).
async fn release(
    clients: &Clients,
    name: &str,
    url: &str,
    handles: &[String],
) -> Result<(), AwsError> {
    for chunk in handles.chunks(10) {
        let out = set_visibility(&clients.sqs, url, chunk, 0)
            .await
            .map_err(|e| classify("sqs:ChangeMessageVisibility", name, e))?;
        if let Some(failed) = out.failed().first() {
            return Err(AwsError::new(
                "sqs:ChangeMessageVisibility",
                name,
                format!(
                    "{} of {} messages read could not be made visible again ({}); they return after 300 s",
                    out.failed().len(),
                    chunk.len(),
                    failed.message().unwrap_or(failed.code())
                ),
            ));
        }
    }
    Ok(())
}

/// The most messages destroy looks at to tell S3's own test events (one per
/// change of a bucket's notification configuration) from a backlog.
const TEST_EVENTS_LOOKED_AT: u64 = 3;

/// Whether the queue holds nothing but S3's `s3:TestEvent` messages, which
/// are the stack's own, not data. Looked at only when a few messages are
/// visible and none in flight; a message that is not a test event is made
/// visible again at once.
async fn only_test_events(
    clients: &Clients,
    name: &str,
    url: &str,
    depth: Depth,
) -> Result<bool, AwsError> {
    if depth.in_flight + depth.delayed > 0 || depth.visible > TEST_EVENTS_LOOKED_AT {
        return Ok(false);
    }
    let out = clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .visibility_timeout(30)
        .send()
        .await
        .map_err(|e| classify("sqs:ReceiveMessage", name, e))?;
    let received = out.messages();
    let all_tests = received.len() as u64 == depth.visible
        && received.iter().all(|m| {
            m.body()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .is_some_and(|v| v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent"))
        });
    if !all_tests {
        let handles: Vec<String> = received
            .iter()
            .filter_map(|m| m.receipt_handle().map(str::to_owned))
            .collect();
        release(clients, name, url, &handles).await?;
    }
    Ok(all_tests)
}

/// Takes our statements out of the queue's access policy; the Sids removed.
async fn remove_queue_statements(
    clients: &Clients,
    name: &str,
    url: &str,
) -> Result<Vec<&'static str>, AwsError> {
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    let Some(text) = attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::Policy))
    else {
        return Ok(Vec::new());
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let policy: Value = serde_json::from_str(text).map_err(|e| {
        AwsError::new(
            "sqs:GetQueueAttributes",
            name,
            format!("the queue's access policy is not JSON: {e}"),
        )
    })?;
    let has = |sid: &str| {
        let ours = |s: &Value| s.get("Sid").and_then(Value::as_str) == Some(sid);
        match policy.get("Statement") {
            Some(Value::Array(items)) => items.iter().any(ours),
            Some(single @ Value::Object(_)) => ours(single),
            _ => false,
        }
    };
    let present: Vec<&'static str> = crate::docs::QUEUE_POLICY_SIDS
        .into_iter()
        .filter(|s| has(s))
        .collect();
    if present.is_empty() {
        return Ok(present);
    }
    // Nothing else left: the policy is removed (an empty Policy attribute).
    let mut rest = Some(policy);
    for sid in &present {
        rest = rest.and_then(|p| remove_bucket_policy_statement(&p, sid));
    }
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(
            QueueAttributeName::Policy,
            rest.map(|p| p.to_string()).unwrap_or_default(),
        )
        .send()
        .await
        .map_err(|e| classify("sqs:SetQueueAttributes", name, e))?;
    Ok(present)
}

// ---- IAM ----

async fn policy(
    clients: &Clients,
    spec: &Spec,
    arn: &str,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let Some(tags) = optional(
        iam.list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:ListPolicyTags", arn, e)),
    )?
    else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let tags = iam_tags(tags.tags());
    let mut owner = owner(&tags, &spec.name);
    if owner == Owner::Untagged {
        // CloudFormation's AWS::IAM::ManagedPolicy takes no tags: the
        // description sluice writes on every path names the stack, and IAM
        // never changes a policy's description after creation.
        let described = optional(
            iam.get_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:GetPolicy", arn, e)),
        )?
        .and_then(|o| o.policy().and_then(|p| p.description().map(str::to_owned)));
        if described.as_deref() == Some(crate::docs::policy_description(spec).as_str()) {
            run.note(
                ResourceKind::Policy,
                "untagged (as CloudFormation makes it), recognised by the description sluice gives it",
            );
            owner = Owner::Stack;
        }
    }
    if owner != Owner::Stack {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }

    // Detached from everything it is attached to: IAM refuses to delete it before.
    let mut pages = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .into_paginator()
        .send();
    let (mut roles, mut users, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("iam:ListEntitiesForPolicy", arn, e))?;
        roles.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_owned)),
        );
        users.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name().map(str::to_owned)),
        );
        groups.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned)),
        );
    }
    for role in &roles {
        ignore_not_found(
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:DetachRolePolicy", role.as_str(), e)),
        )?;
        run.note(ResourceKind::Policy, format!("detached from role {role}"));
    }
    for user in &users {
        ignore_not_found(
            iam.detach_user_policy()
                .user_name(user)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:DetachUserPolicy", user.as_str(), e)),
        )?;
        run.note(ResourceKind::Policy, format!("detached from user {user}"));
    }
    for group in &groups {
        ignore_not_found(
            iam.detach_group_policy()
                .group_name(group)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:DetachGroupPolicy", group.as_str(), e)),
        )?;
        run.note(ResourceKind::Policy, format!("detached from group {group}"));
    }

    // Its versions but the default one, then the policy.
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify("iam:ListPolicyVersions", arn, e))?;
    for version in versions.versions() {
        let Some(id) = version.version_id() else {
            continue;
        };
        if version.is_default_version() {
            continue;
        }
        ignore_not_found(
            iam.delete_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
                .map_err(|e| classify("iam:DeletePolicyVersion", arn, e)),
        )?;
    }
    if !ignore_not_found(
        iam.delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:DeletePolicy", arn, e)),
    )? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    let attached = roles.len() + users.len() + groups.len();
    Ok((
        label.to_owned(),
        Fate::Removed(format!(
            "deleted (was attached to {})",
            crate::words::count(attached, "identity")
        )),
    ))
}

async fn role(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let name = spec.role.name.as_str();
    let Some(tags) = optional(
        iam.list_role_tags()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListRoleTags", name, e)),
    )?
    else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let tags = iam_tags(tags.tags());
    let owner = owner(&tags, &spec.name);
    if owner != Owner::Stack {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }

    // IAM deletes a role only once nothing is attached to it.
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedRolePolicies", name, e))?;
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        ignore_not_found(
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:DetachRolePolicy", name, e)),
        )?;
        run.note(ResourceKind::Role, format!("detached policy {arn}"));
    }
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListRolePolicies", name, e))?;
    for policy in inline.policy_names() {
        ignore_not_found(
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| classify("iam:DeleteRolePolicy", name, e)),
        )?;
        run.note(
            ResourceKind::Role,
            format!("deleted inline policy {policy}"),
        );
    }
    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListInstanceProfilesForRole", name, e))?;
    for profile in profiles.instance_profiles() {
        let profile = profile.instance_profile_name();
        ignore_not_found(
            iam.remove_role_from_instance_profile()
                .role_name(name)
                .instance_profile_name(profile)
                .send()
                .await
                .map_err(|e| classify("iam:RemoveRoleFromInstanceProfile", name, e)),
        )?;
        run.note(
            ResourceKind::Role,
            format!("removed from instance profile {profile}"),
        );
    }
    if !ignore_not_found(
        iam.delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRole", name, e)),
    )? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
}

async fn user(
    clients: &Clients,
    spec: &Spec,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let iam = &clients.iam;
    let name = spec.user.name.as_str();
    let Some(tags) = optional(
        iam.list_user_tags()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListUserTags", name, e)),
    )?
    else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    let tags = iam_tags(tags.tags());
    let owner = owner(&tags, &spec.name);
    if owner != Owner::Stack {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }

    // Policies or groups of others on it: someone relies on this user.
    let ours = Arns::of(spec).policy;
    let mut others: Vec<String> = Vec::new();
    let attached = iam
        .list_attached_user_policies()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedUserPolicies", name, e))?;
    others.extend(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .filter(|arn| *arn != ours)
            .map(|arn| format!("policy {arn}")),
    );
    let inline = iam
        .list_user_policies()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListUserPolicies", name, e))?;
    others.extend(
        inline
            .policy_names()
            .iter()
            .map(|p| format!("inline policy {p}")),
    );
    let groups = iam
        .list_groups_for_user()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListGroupsForUser", name, e))?;
    others.extend(
        groups
            .groups()
            .iter()
            .map(|g| format!("group {}", g.group_name())),
    );
    if !others.is_empty() {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::InUse(format!(
                "it also has {}, which sluice never gives it: someone relies on this user; remove those to let sluice delete it",
                others.join(", ")
            ))),
        ));
    }

    // IAM deletes a user only once its keys, our policy and password are gone.
    let keys = iam
        .list_access_keys()
        .user_name(name)
        .max_items(1000)
        .send()
        .await
        .map_err(|e| classify("iam:ListAccessKeys", name, e))?;
    for key in keys.access_key_metadata() {
        let Some(id) = key.access_key_id() else {
            continue;
        };
        ignore_not_found(
            iam.delete_access_key()
                .user_name(name)
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| classify("iam:DeleteAccessKey", name, e)),
        )?;
        run.note(ResourceKind::User, format!("deleted access key {id}"));
    }
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        ignore_not_found(
            iam.detach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:DetachUserPolicy", name, e)),
        )?;
        run.note(ResourceKind::User, format!("detached policy {arn}"));
    }
    ignore_not_found(
        iam.delete_login_profile()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteLoginProfile", name, e)),
    )?;
    if !ignore_not_found(
        iam.delete_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteUser", name, e)),
    )? {
        return Ok((label.to_owned(), Fate::Gone));
    }
    Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
}

/// `Ok(true)` when the call succeeded, `Ok(false)` when its target was already gone.
fn ignore_not_found<T>(result: Result<T, AwsError>) -> Result<bool, AwsError> {
    optional(result).map(|o| o.is_some())
}

// ---- the bucket ----

async fn bucket(
    clients: &Clients,
    spec: &Spec,
    options: &DestroyOptions,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let s3 = &clients.s3;
    let name = spec.bucket.name.as_str();
    let account = spec.account_id.as_deref().unwrap_or_default();
    let head = s3
        .head_bucket()
        .bucket(name)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucket", name, e));
    match head {
        Ok(_) => {}
        Err(e) if e.is_not_found() => return Ok((label.to_owned(), Fate::Gone)),
        Err(mut e) if e.kind == ErrorKind::AccessDenied => {
            e.message = format!(
                "the bucket is not readable by this account ({account}): it may belong to another account"
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    // No tag set at all is "not found" too: no tags.
    let tags: BTreeMap<String, String> = optional(
        s3.get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| classify("s3:GetBucketTagging", name, e)),
    )?
    .map(|o| s3_tags(o.tag_set()))
    .unwrap_or_default();
    let owner = owner(&tags, &spec.name);
    // Untagged, made by an apply of this stack stopped before tagging it.
    let claimed = owner == Owner::Untagged
        && super::journal::default_dir()
            .and_then(|dir| super::journal::claimed_by(&dir, account, name))
            .as_deref()
            == Some(spec.name.as_str());
    if owner != Owner::Stack && !claimed {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }
    if !spec.bucket.create {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(
                "adopted (bucket.create is false): only our notification entry was removed"
                    .to_owned(),
            )),
        ));
    }

    // Whatever the flags, a bucket others rely on stays.
    let gone_rule = match spec.delivery() {
        Some(Delivery::Eventbridge) => Some(spec.notification.id.as_str()),
        _ => None,
    };
    let dependents = bucket_dependents(clients, spec, gone_rule).await?;
    let objects = count_objects(clients, name).await?;
    let versions = if objects == 0 {
        has_versions(clients, name).await?
    } else {
        true
    };
    let what = match objects {
        0 => "old object versions or delete markers".to_owned(),
        n if n >= COUNT_LIMIT => format!("{COUNT_LIMIT}+ objects"),
        n => crate::words::count(n, "object"),
    };
    if !dependents.is_empty() {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::InUse(format!(
                "in use by what is not this stack's: {}{}",
                dependents.join("; "),
                if versions {
                    format!("; it holds {what}")
                } else {
                    String::new()
                }
            ))),
        ));
    }
    if versions && !options.delete_objects {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::HoldsObjects(format!(
                "not empty: it holds {what}"
            ))),
        ));
    }
    if versions {
        run.reporter.send(Event::Waiting {
            step: StepId::Destroy(ResourceKind::Bucket),
            reason: format!("deleting every object and object version in {name}"),
        });
        let deleted = empty_bucket(clients, name).await?;
        run.note(
            ResourceKind::Bucket,
            format!(
                "deleted {} ({deleted} versions and delete markers in all; objects are not backed up)",
                crate::words::count(objects, "object"),
            ),
        );
    }
    match s3
        .delete_bucket()
        .bucket(name)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:DeleteBucket", name, e))
    {
        Ok(_) => {
            if let Some(dir) = super::journal::default_dir() {
                // A record of its creation has nothing left to stand for.
                let _ = super::journal::end(&dir, account, name);
            }
            Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
        }
        Err(e) if e.is_not_found() => Ok((label.to_owned(), Fate::Gone)),
        Err(mut e) if e.code.as_deref() == Some("BucketNotEmpty") => {
            e.message = format!(
                "{}: objects were written to it while it was being emptied",
                e.message
            );
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The bucket's current objects, counted up to [`COUNT_LIMIT`].
async fn count_objects(clients: &Clients, name: &str) -> Result<usize, AwsError> {
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(name)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("s3:ListBucket", name, e))?;
        count += page.contents().len();
        if count >= COUNT_LIMIT {
            break;
        }
    }
    Ok(count)
}

/// Whether anything (noncurrent versions, delete markers) is left in a bucket without current objects.
async fn has_versions(clients: &Clients, name: &str) -> Result<bool, AwsError> {
    let out = clients
        .s3
        .list_object_versions()
        .bucket(name)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucketVersions", name, e))?;
    Ok(!out.versions().is_empty() || !out.delete_markers().is_empty())
}

/// Deletes every object version and delete marker; returns how many.
async fn empty_bucket(clients: &Clients, name: &str) -> Result<usize, AwsError> {
    let s3 = &clients.s3;
    let mut deleted = 0;
    loop {
        // What is deleted disappears from the listing: the first page is always the next.
        let out = s3
            .list_object_versions()
            .bucket(name)
            .max_keys(1000)
            .send()
            .await
            .map_err(|e| classify("s3:ListBucketVersions", name, e))?;
        let mut ids = Vec::new();
        let entries = out
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                out.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        for (key, version) in entries {
            let Some(key) = key else { continue };
            let id = ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(str::to_owned))
                .build()
                .map_err(|e| {
                    AwsError::new(
                        "s3:DeleteObjectVersion",
                        name,
                        format!("invalid object identifier: {e}"),
                    )
                })?;
            ids.push(id);
        }
        if ids.is_empty() {
            return Ok(deleted);
        }
        let batch = ids.len();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| {
                AwsError::new(
                    "s3:DeleteObjectVersion",
                    name,
                    format!("invalid delete request: {e}"),
                )
            })?;
        let result = s3
            .delete_objects()
            .bucket(name)
            .delete(delete)
            .send()
            .await
            .map_err(|e| classify("s3:DeleteObjectVersion", name, e))?;
        if let Some(first) = result.errors().first() {
            return Err(AwsError {
                action: "s3:DeleteObjectVersion",
                resource: format!("s3://{name}/{}", first.key().unwrap_or_default()),
                kind: ErrorKind::Other,
                code: first.code().map(str::to_owned),
                message: format!(
                    "{} of {batch} objects could not be deleted: {}",
                    result.errors().len(),
                    first.message().unwrap_or_default()
                ),
            });
        }
        deleted += batch;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_found_and_counted() {
        let config = json!({
            "QueueConfigurations": [{"Id": "ours"}, {"Id": "theirs"}],
            "TopicConfigurations": [{"Id": "audit"}],
        });
        assert!(crate::docs::has_entry(&config, "ours"));
        assert!(!crate::docs::has_entry(&config, "audit"));
        assert_eq!(entry_count(&config), 3);
        assert_eq!(entry_count(&remove(&config, "ours")), 2);
    }
}
