//! Restore: puts back exactly the prior states a backup holds, newest change first.
//! This file reads what is there now and works out each step (`plan`), then
//! runs them (`restore`); `put` writes one saved state back.

mod put;

use put::{queue_url, restore_one, saved_setting};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use super::backup::{Manifest, Saved, read_entries};
use super::client::Clients;
use super::observe::{read_bucket_policy, read_notification};
use super::progress::{Reporter, StepError, StepId, StepOutcome};
use crate::docs::QueueAttributes;
use crate::docs::diff::{DiffLine, json_diff};
use crate::docs::policy::Policy;
use crate::docs::{self, NotificationConfiguration, ResourceKind, three_way};
use serde_json::Value;

/// Clients for the backup's region, refused unless the credentials are for
/// the account the backup was taken in.
pub async fn connect(
    manifest: &Manifest,
    options: &super::AwsOptions,
) -> Result<Clients, super::AwsError> {
    let mut options = options.clone();
    options.region.get_or_insert(manifest.region.clone());
    let clients = Clients::load(&options, &manifest.region).await;
    let identity = clients.identity().await?;
    if identity.account != manifest.account {
        return Err(super::AwsError::new(
            "sts:GetCallerIdentity",
            "the caller",
            format!(
                "the backup is of account {} but the credentials are for {}",
                manifest.account, identity.account
            ),
        ));
    }
    Ok(clients)
}

/// One item of a restore as it will be written: the saved state, merged
/// with what others changed after sluice wrote (where the backup recorded
/// that write), and the diff from what is there now.
#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    kind: ResourceKind,
    put: Saved,
    /// From the current state to what restore writes (empty when equal, or
    /// for a kind restore does not read first).
    pub diff: Vec<DiffLine>,
    /// Parts others changed since sluice wrote that the saved state changes
    /// too: restore refuses them unless told to overwrite.
    pub conflicts: Vec<String>,
    /// Parts others changed since sluice wrote, kept as they are.
    pub kept: Vec<String>,
}

/// Reads what is there now for each item of the backup at `dir` (newest
/// change first) and works out what restore would write.
pub async fn plan(clients: &Clients, dir: &Path) -> Result<(Manifest, Vec<Step>), StepError> {
    let (manifest, entries) = read_entries(dir).map_err(|e| StepError::from(e.to_string()))?;
    // What an earlier step (a newer change) leaves, for the next one on the
    // same thing: by bucket or queue name.
    let mut notifications: BTreeMap<String, NotificationConfiguration> = BTreeMap::new();
    let mut policies: BTreeMap<String, Option<Policy>> = BTreeMap::new();
    let mut queues: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut steps = Vec::new();
    for entry in entries.iter().rev() {
        let (kind, title) = describe(&entry.saved);
        let mut step = Step {
            title,
            kind,
            put: entry.saved.clone(),
            diff: Vec::new(),
            conflicts: Vec::new(),
            kept: Vec::new(),
        };
        match &entry.saved {
            Saved::Notification {
                bucket,
                configuration,
            } => {
                let current = match notifications.get(bucket) {
                    Some(v) => v.clone(),
                    None => read_notification(&clients.s3, bucket)
                        .await
                        .map_err(StepError::from)?,
                };
                let value = match &entry.written {
                    Some(written) => {
                        let written = NotificationConfiguration::from_json(written).map_err(|e| {
                            format!("the backup's record of the notification configuration written to {bucket} is not one: {e}")
                        })?;
                        let merged = three_way::notification(configuration, &written, &current);
                        step.conflicts = merged.conflicts;
                        step.kept = merged.kept;
                        merged.value
                    }
                    None => configuration.clone(),
                };
                step.diff = json_diff(Some(&docs::json(&current)), Some(&docs::json(&value)));
                notifications.insert(bucket.clone(), value.clone());
                step.put = Saved::Notification {
                    bucket: bucket.clone(),
                    configuration: value,
                };
            }
            Saved::BucketPolicy { bucket, policy } => {
                let current = match policies.get(bucket) {
                    Some(known) => known.clone(),
                    None => read_bucket_policy(&clients.s3, bucket)
                        .await
                        .map_err(StepError::from)?,
                };
                let value = match &entry.written {
                    Some(written) => {
                        let written = Some(written)
                            .filter(|w| !w.is_null())
                            .map(Policy::from_json)
                            .transpose()
                            .map_err(|e| {
                                format!("the backup's record of the policy written to bucket {bucket}: {e}")
                            })?;
                        let merged =
                            three_way::policy(policy.as_ref(), written.as_ref(), current.as_ref());
                        step.conflicts = merged.conflicts;
                        step.kept = merged.kept;
                        merged.value
                    }
                    None => policy.clone(),
                };
                step.diff = json_diff(
                    current.as_ref().map(docs::json).as_ref(),
                    value.as_ref().map(docs::json).as_ref(),
                );
                policies.insert(bucket.clone(), value.clone());
                step.put = Saved::BucketPolicy {
                    bucket: bucket.clone(),
                    policy: value,
                };
            }
            Saved::QueueAttributes { queue, attributes } => {
                let mut current = queues.get(queue).cloned().unwrap_or_default();
                let missing: Vec<String> = attributes
                    .keys()
                    .filter(|k| !current.contains_key(*k))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    current.extend(read_queue_text(clients, queue, &missing).await?);
                }
                let value = match entry.written.as_ref().and_then(Value::as_object) {
                    Some(written) => {
                        let written: BTreeMap<String, String> = written
                            .iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect();
                        let merged = three_way::queue_attributes(attributes, &written, &current)
                            .map_err(|e| format!("queue {queue}: {e}"))?;
                        step.conflicts = merged.conflicts;
                        step.kept = merged.kept;
                        merged.value
                    }
                    None => attributes.clone(),
                };
                let shown = |m: &BTreeMap<String, String>| {
                    docs::json(&QueueAttributes::read(
                        m.iter().filter(|(k, _)| attributes.contains_key(*k)),
                    ))
                };
                step.diff = json_diff(Some(&shown(&current)), Some(&shown(&value)));
                current.extend(value.clone());
                queues.insert(queue.clone(), current);
                step.put = Saved::QueueAttributes {
                    queue: queue.clone(),
                    attributes: value,
                };
            }
            // Read now, before anything is written: a record that is not its
            // part's shape stops the restore here, not half-way.
            Saved::BucketSetting {
                bucket,
                setting,
                value: Some(value),
            } => {
                saved_setting(bucket, *setting, value)?;
            }
            _ => {}
        }
        steps.push(step);
    }
    Ok((manifest, steps))
}

/// Some of a queue's attributes as SQS gives them (text); one it does not
/// return (no Policy) is empty, as a backup saves it.
async fn read_queue_text(
    clients: &Clients,
    queue: &str,
    keys: &[String],
) -> Result<BTreeMap<String, String>, StepError> {
    let url = queue_url(clients, queue).await?;
    let got = super::observe::read_queue_text(&clients.sqs, queue, &url, keys).await?;
    Ok(keys
        .iter()
        .map(|k| (k.clone(), got.get(k).cloned().unwrap_or_default()))
        .collect())
}

/// A restore that stopped at one item: which, why, and what was put back
/// before it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("restoring {title} failed: {error} (restored before it: {})", restored_words(.restored))]
pub struct RestoreError {
    pub title: String,
    pub error: StepError,
    pub restored: Vec<String>,
}

fn restored_words(restored: &[String]) -> String {
    if restored.is_empty() {
        "nothing".to_owned()
    } else {
        restored.join("; ")
    }
}

/// Writes the steps of a [`plan`], in order; what was put back, one line
/// per item.
pub async fn restore(
    clients: &Clients,
    steps: &[Step],
    reporter: &Reporter,
) -> Result<Vec<String>, RestoreError> {
    let mut done = Vec::new();
    for item in steps {
        let step = StepId::Restore(item.kind);
        let title = item.title.clone();
        reporter.started(step, title.clone());
        let started = Instant::now();
        match restore_one(clients, &item.put).await {
            Ok(None) => {
                reporter.finished(step, StepOutcome::Restored, "restored", started.elapsed());
                done.push(title);
            }
            Ok(Some(limit)) => {
                reporter.finished(
                    step,
                    StepOutcome::Restored,
                    limit.clone(),
                    started.elapsed(),
                );
                done.push(format!("{title} ({limit})"));
            }
            Err(error) => {
                reporter.failed(step, error.clone(), started.elapsed());
                return Err(RestoreError {
                    title,
                    error,
                    restored: done,
                });
            }
        }
    }
    Ok(done)
}

fn describe(item: &Saved) -> (ResourceKind, String) {
    match item {
        Saved::PolicyDocument { policy_arn, .. } => (
            ResourceKind::Policy,
            format!("policy document of {policy_arn}"),
        ),
        Saved::TrustPolicy { role, .. } => {
            (ResourceKind::Role, format!("trust policy of role {role}"))
        }
        Saved::QueueAttributes { queue, attributes } => (
            ResourceKind::Queue,
            format!(
                "attributes {} of queue {queue}",
                attributes.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ),
        Saved::BucketPolicy { bucket, .. } => {
            (ResourceKind::Bucket, format!("bucket policy of {bucket}"))
        }
        Saved::BucketSetting {
            bucket, setting, ..
        } => (
            ResourceKind::Bucket,
            format!("{setting:?} of bucket {bucket}"),
        ),
        Saved::QueueMessages { queue, messages } => (
            ResourceKind::Queue,
            format!(
                "{} of queue {queue}",
                crate::words::count(messages.len(), "message")
            ),
        ),
        Saved::Notification { bucket, .. } => (
            ResourceKind::Notification,
            format!("notification configuration of {bucket}"),
        ),
        Saved::SubscriptionAttributes {
            subscription_arn,
            attributes,
        } => (
            ResourceKind::Subscription,
            format!(
                "attributes {} of subscription {subscription_arn}",
                attributes.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ),
        Saved::Rule { name, .. } => (ResourceKind::Rule, format!("EventBridge rule {name}")),
        Saved::Alarm { definition } => (
            ResourceKind::Alarm,
            crate::aws::resources::alarms::describe_saved(definition),
        ),
        Saved::TopicPolicy { topic_arn, .. } => (
            ResourceKind::AlarmTopic,
            format!("access policy of topic {topic_arn}"),
        ),
        Saved::Removed { resource, name, .. } => (
            *resource,
            format!(
                "{} {name}, removed by apply as no longer in the spec",
                resource.as_str()
            ),
        ),
    }
}
