//! Restore: puts back exactly the prior states a backup holds, newest change first.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use aws_sdk_sqs::types::QueueAttributeName;

use super::backup::{BucketPart, BucketSetting, Manifest, Saved, read_entries};
use super::client::Clients;
use super::error::classify;
use super::observe::{observe_policy, put_notification, read_bucket_policy, read_notification};
use super::progress::{Reporter, StepError, StepId, StepOutcome};
use super::resources::bucket::apply::put_bucket_setting;
use super::resources::iam::apply::make_room_for_version;
use crate::docs::QueueAttributes;
use crate::docs::diff::{DiffLine, json_diff};
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
pub async fn plan(clients: &Clients, dir: &Path) -> Result<(Manifest, Vec<Step>), String> {
    let (manifest, entries) = read_entries(dir).map_err(|e| e.to_string())?;
    // What an earlier step (a newer change) leaves, for the next one on the same thing.
    let mut after: BTreeMap<String, Value> = BTreeMap::new();
    let mut notifications: BTreeMap<String, NotificationConfiguration> = BTreeMap::new();
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
                let key = format!("notification {bucket}");
                let current = match notifications.get(&key) {
                    Some(v) => v.clone(),
                    None => read_notification(&clients.s3, bucket)
                        .await
                        .map_err(|e| e.to_string())?,
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
                notifications.insert(key, value.clone());
                step.put = Saved::Notification {
                    bucket: bucket.clone(),
                    configuration: value,
                };
            }
            Saved::BucketPolicy { bucket, policy } => {
                let key = format!("bucket-policy {bucket}");
                let current = match after.get(&key) {
                    Some(v) => Some(v.clone()).filter(|v| !v.is_null()),
                    None => read_bucket_policy(&clients.s3, bucket)
                        .await
                        .map_err(|e| e.to_string())?
                        .as_ref()
                        .map(docs::json),
                };
                let value = match &entry.written {
                    Some(written) => {
                        let written = Some(written).filter(|w| !w.is_null());
                        let merged = three_way::policy(policy.as_ref(), written, current.as_ref());
                        step.conflicts = merged.conflicts;
                        step.kept = merged.kept;
                        merged.value
                    }
                    None => policy.clone(),
                };
                step.diff = json_diff(current.as_ref(), value.as_ref());
                after.insert(key, value.clone().unwrap_or(Value::Null));
                step.put = Saved::BucketPolicy {
                    bucket: bucket.clone(),
                    policy: value,
                };
            }
            Saved::QueueAttributes { queue, attributes } => {
                let key = format!("queue {queue}");
                let mut current: BTreeMap<String, String> = match after.get(&key) {
                    Some(Value::Object(known)) => known
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect(),
                    _ => BTreeMap::new(),
                };
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
                        let merged = three_way::queue_attributes(attributes, &written, &current);
                        step.conflicts = merged.conflicts;
                        step.kept = merged.kept;
                        merged.value
                    }
                    None => attributes.clone(),
                };
                let shown = |m: &BTreeMap<String, String>| {
                    docs::json(&QueueAttributes::expanded(
                        m.iter()
                            .filter(|(k, _)| attributes.contains_key(*k))
                            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                            .collect(),
                    ))
                };
                step.diff = json_diff(Some(&shown(&current)), Some(&shown(&value)));
                current.extend(value.clone());
                after.insert(
                    key,
                    Value::Object(
                        current
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    ),
                );
                step.put = Saved::QueueAttributes {
                    queue: queue.clone(),
                    attributes: value,
                };
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
) -> Result<BTreeMap<String, String>, String> {
    let url = queue_url(clients, queue).await.map_err(|e| e.message)?;
    let got = super::observe::read_queue_text(&clients.sqs, queue, &url, keys)
        .await
        .map_err(|e| e.to_string())?;
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

/// Puts `item` back. `Some` says how the result falls short of the saved
/// state where S3 cannot go back (versioning is suspended, never removed;
/// Object Lock is never turned off).
async fn restore_one(clients: &Clients, item: &Saved) -> Result<Option<String>, StepError> {
    let done = |r: Result<(), StepError>| r.map(|()| None);
    let result = match item {
        Saved::Removed { .. } => {
            return Ok(Some(
                "not made again: restore does not re-create what apply removed; apply the spec that named it (the backup keeps its record)"
                    .to_owned(),
            ));
        }
        Saved::PolicyDocument {
            policy_arn,
            document,
        } => {
            let state = observe_policy(clients, policy_arn)
                .await
                .map_err(StepError::from)?
                .ok_or_else(|| format!("policy {policy_arn} no longer exists"))?;
            make_room_for_version(&clients.iam, policy_arn, &state.versions)
                .await
                .map_err(StepError::from)?;
            clients
                .iam
                .create_policy_version()
                .policy_arn(policy_arn)
                .policy_document(document.to_string())
                .set_as_default(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StepError::from(classify("iam:CreatePolicyVersion", policy_arn, e)))
        }
        Saved::TrustPolicy { role, document } => clients
            .iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StepError::from(classify("iam:UpdateAssumeRolePolicy", role, e))),
        Saved::QueueAttributes { queue, attributes } => {
            let url = queue_url(clients, queue).await?;
            let attributes = attributes
                .iter()
                .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v.clone()))
                .collect();
            clients
                .sqs
                .set_queue_attributes()
                .queue_url(url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StepError::from(classify("sqs:SetQueueAttributes", queue, e)))
        }
        Saved::BucketPolicy {
            bucket,
            policy: Some(policy),
        } => put_bucket_setting(&clients.s3, bucket, BucketPart::Policy, policy)
            .await
            .map_err(StepError::from),
        Saved::BucketPolicy {
            bucket,
            policy: None,
        } => clients
            .s3
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StepError::from(classify("s3:DeleteBucketPolicy", bucket, e))),
        Saved::BucketSetting {
            bucket,
            setting,
            value: Some(value),
        } => put_bucket_setting(&clients.s3, bucket, BucketPart::Setting(*setting), value)
            .await
            .map_err(StepError::from),
        Saved::BucketSetting {
            bucket,
            setting,
            value: None,
        } => {
            let s3 = &clients.s3;
            match setting {
                BucketSetting::PublicAccessBlock => s3
                    .delete_public_access_block()
                    .bucket(bucket)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        StepError::from(classify("s3:PutBucketPublicAccessBlock", bucket, e))
                    }),
                BucketSetting::OwnershipControls => s3
                    .delete_bucket_ownership_controls()
                    .bucket(bucket)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        StepError::from(classify("s3:PutBucketOwnershipControls", bucket, e))
                    }),
                BucketSetting::Encryption => s3
                    .delete_bucket_encryption()
                    .bucket(bucket)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        StepError::from(classify("s3:PutEncryptionConfiguration", bucket, e))
                    }),
                // Versioning cannot be removed once enabled, only suspended.
                BucketSetting::Versioning => {
                    return put_bucket_setting(
                        s3,
                        bucket,
                        BucketPart::Setting(BucketSetting::Versioning),
                        &serde_json::json!({"Status": "Suspended"}),
                    )
                    .await
                    .map(|()| {
                        Some("versioning suspended: S3 never removes it once it was on".to_owned())
                    })
                    .map_err(StepError::from);
                }
                // S3 never turns Object Lock off: nothing to write.
                BucketSetting::ObjectLock => {
                    return Ok(Some(
                        "Object Lock stays on: S3 never turns it off once it was on".to_owned(),
                    ));
                }
            }
        }
        Saved::Notification {
            bucket,
            configuration,
        } => put_notification(&clients.s3, bucket, configuration, false)
            .await
            .map_err(StepError::from),
        Saved::QueueMessages { queue, messages } => resend(clients, queue, messages).await,
        Saved::Alarm { definition } => {
            crate::aws::resources::alarms::restore_alarm(clients, definition)
                .await
                .map_err(StepError::from)
        }
        Saved::TopicPolicy {
            topic_arn,
            policy: Some(policy),
        } => crate::aws::resources::alarms::restore_topic_policy(clients, topic_arn, policy)
            .await
            .map_err(StepError::from),
        Saved::TopicPolicy { policy: None, .. } => {
            return Ok(Some(
                "the topic had SNS's default access policy: sluice's stays (SNS cannot take a policy off)"
                    .to_owned(),
            ));
        }
        Saved::SubscriptionAttributes {
            subscription_arn,
            attributes,
        } => {
            // The scope before the filter it governs; an absent scope is not set back
            // (SNS refuses an empty one; the empty filter that goes with it removes the filter).
            let mut ordered: Vec<(&String, &String)> = attributes
                .iter()
                .filter(|(k, v)| !(k.as_str() == "FilterPolicyScope" && v.is_empty()))
                .collect();
            ordered.sort_by_key(|(k, _)| k.as_str() != "FilterPolicyScope");
            for (name, value) in ordered {
                clients
                    .sns
                    .set_subscription_attributes()
                    .subscription_arn(subscription_arn)
                    .attribute_name(name)
                    .attribute_value(value)
                    .send()
                    .await
                    .map_err(|e| {
                        classify("sns:SetSubscriptionAttributes", subscription_arn, e).to_string()
                    })?;
            }
            Ok(())
        }
        Saved::Rule {
            name,
            event_pattern,
            state,
            description,
        } => clients
            .events
            .put_rule()
            .name(name)
            .event_pattern(event_pattern.to_string())
            .state(aws_sdk_eventbridge::types::RuleState::from(state.as_str()))
            .description(description)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StepError::from(classify("events:PutRule", name, e))),
    };
    done(result)
}

/// The URL of the queue called `queue`, which must exist.
async fn queue_url(clients: &Clients, queue: &str) -> Result<String, StepError> {
    clients
        .queue_url(queue)
        .await?
        .ok_or_else(|| format!("queue {queue} does not exist (sqs:GetQueueUrl)").into())
}

/// Sends saved messages to the queue called `queue` again (bodies and
/// message attributes; SQS gives them new ids).
async fn resend(clients: &Clients, queue: &str, messages: &[Value]) -> Result<(), StepError> {
    use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
    let url = queue_url(clients, queue).await?;
    for chunk in messages.chunks(10) {
        let mut entries = Vec::new();
        for (i, message) in chunk.iter().enumerate() {
            let body = message["Body"].as_str().unwrap_or_default();
            let mut entry = SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body);
            if let Some(attributes) = message["MessageAttributes"].as_object() {
                for (name, value) in attributes {
                    let built = MessageAttributeValue::builder()
                        .data_type(value["DataType"].as_str().unwrap_or("String"))
                        .set_string_value(value["StringValue"].as_str().map(str::to_owned))
                        .build()
                        .map_err(|e| StepError::from(e.to_string()))?;
                    entry = entry.message_attributes(name, built);
                }
            }
            entries.push(entry.build().map_err(|e| StepError::from(e.to_string()))?);
        }
        let out = clients
            .sqs
            .send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| StepError::from(classify("sqs:SendMessage", queue, e)))?;
        if let Some(failed) = out.failed().first() {
            return Err(format!(
                "sqs:SendMessage on {queue} refused a message: {} ({})",
                failed.message().unwrap_or_default(),
                failed.code()
            )
            .into());
        }
    }
    Ok(())
}
