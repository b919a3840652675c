//! Writing one saved state back: each kind of backup through the call that
//! sets it, or, where AWS cannot go back, what falls short.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use crate::aws::backup::{BucketPart, BucketSetting, Saved};
use crate::aws::client::Clients;
use crate::aws::error::classify;
use crate::aws::observe::{observe_policy, put_notification};
use crate::aws::progress::StepError;
use crate::aws::resources::bucket::apply::put_bucket_setting;
use crate::aws::resources::iam::apply::make_room_for_version;
use crate::docs::{PartValue, Versioning};

/// A bucket setting's backup record as its part's value; one that is not
/// its part's shape is refused, naming the bucket and the part.
pub(super) fn saved_setting(
    bucket: &str,
    setting: BucketSetting,
    value: &Value,
) -> Result<PartValue, StepError> {
    let part = BucketPart::Setting(setting);
    PartValue::from_json(part, value).map_err(|e| {
        StepError::from(format!(
            "the backup's {} of bucket {bucket}: {e}",
            part.key()
        ))
    })
}

/// Puts `item` back. `Some` says how the result falls short of the saved
/// state where S3 cannot go back (versioning is suspended, never removed;
/// Object Lock is never turned off).
pub(super) async fn restore_one(
    clients: &Clients,
    item: &Saved,
) -> Result<Option<String>, StepError> {
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
        } => put_bucket_setting(&clients.s3, bucket, &PartValue::from(policy.clone()))
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
        } => {
            let value = saved_setting(bucket, *setting, value)?;
            put_bucket_setting(&clients.s3, bucket, &value)
                .await
                .map_err(StepError::from)
        }
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
                    let suspended = PartValue::Versioning(Versioning {
                        status: "Suspended".to_owned(),
                    });
                    return put_bucket_setting(s3, bucket, &suspended)
                        .await
                        .map(|()| {
                            Some(
                                "versioning suspended: S3 never removes it once it was on"
                                    .to_owned(),
                            )
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
pub(super) async fn queue_url(clients: &Clients, queue: &str) -> Result<String, StepError> {
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
