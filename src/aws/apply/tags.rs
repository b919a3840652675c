//! Tags follow the spec on every existing resource of the stack: the
//! plan's tag change, kind by kind, through each service's own tag calls;
//! others' tags stay.

use super::StepError;
use super::run::Run;
use crate::aws::error::{classify, optional};
use crate::aws::observe::Observation;
use crate::aws::plan::PlanItem;
use crate::aws::resources::bucket::apply::put_bucket_tags;
use crate::docs::{self, ResourceKind};

impl Run<'_> {
    /// Sets and takes off tags on an existing resource of the stack, as the
    /// plan's tag change says; others' tags stay.
    pub(super) async fn converge_tags(
        &self,
        item: &PlanItem,
        change: &docs::TagChange,
        observed: &Observation,
    ) -> Result<(), StepError> {
        let name = item.name.as_str();
        let iam_tags = || {
            change
                .set
                .iter()
                .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StepError::from(e.to_string()))
        };
        let remove = (!change.remove.is_empty()).then(|| change.remove.clone());
        let iam = &self.clients.iam;
        match item.resource {
            ResourceKind::Policy => {
                let arn = &self.arns.policy;
                if !change.set.is_empty() {
                    iam.tag_policy()
                        .policy_arn(arn)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagPolicy", arn, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_policy()
                        .policy_arn(arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagPolicy", arn, e))?;
                }
            }
            ResourceKind::Role => {
                if !change.set.is_empty() {
                    iam.tag_role()
                        .role_name(name)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagRole", name, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_role()
                        .role_name(name)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagRole", name, e))?;
                }
            }
            ResourceKind::User => {
                if !change.set.is_empty() {
                    iam.tag_user()
                        .user_name(name)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagUser", name, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_user()
                        .user_name(name)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagUser", name, e))?;
                }
            }
            ResourceKind::Bucket => {
                // S3 replaces the whole set: re-read it now, so tags others
                // added meanwhile are kept too.
                let now = optional(
                    self.clients
                        .s3
                        .get_bucket_tagging()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| classify("s3:GetBucketTagging", name, e)),
                )?
                .map(|o| crate::aws::observe::s3_tags(o.tag_set()))
                .unwrap_or_default();
                put_bucket_tags(&self.clients.s3, name, change.applied_to(&now)).await?;
            }
            ResourceKind::Queue | ResourceKind::DeadLetterQueue => {
                let state = if item.resource == ResourceKind::Queue {
                    &observed.queue
                } else {
                    &observed.dlq
                };
                let Some(url) = state
                    .as_ref()
                    .ok()
                    .and_then(|q| q.as_ref())
                    .map(|q| q.url.clone())
                else {
                    return Err(format!(
                        "the URL of queue {name} is not known: its tags were not changed"
                    )
                    .into());
                };
                let sqs = &self.clients.sqs;
                if !change.set.is_empty() {
                    sqs.tag_queue()
                        .queue_url(&url)
                        .set_tags(Some(change.set.clone().into_iter().collect()))
                        .send()
                        .await
                        .map_err(|e| classify("sqs:TagQueue", name, e))?;
                }
                if let Some(keys) = remove {
                    sqs.untag_queue()
                        .queue_url(&url)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("sqs:UntagQueue", name, e))?;
                }
            }
            ResourceKind::Rule => {
                let arn = &self.arns.rule;
                let events = &self.clients.events;
                if !change.set.is_empty() {
                    let tags = change
                        .set
                        .iter()
                        .map(|(k, v)| {
                            aws_sdk_eventbridge::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| StepError::from(e.to_string()))?;
                    events
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|e| classify("events:TagResource", name, e))?;
                }
                if let Some(keys) = remove {
                    events
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("events:UntagResource", name, e))?;
                }
            }
            ResourceKind::Alarm => {
                let Some(arn) = observed
                    .alarms
                    .alarm(name)
                    .ok()
                    .flatten()
                    .map(|a| a.arn.clone())
                else {
                    return Err(format!(
                        "the ARN of alarm {name} is not known: its tags were not changed"
                    )
                    .into());
                };
                let cloudwatch = &self.clients.cloudwatch;
                if !change.set.is_empty() {
                    let tags = change
                        .set
                        .iter()
                        .map(|(k, v)| {
                            aws_sdk_cloudwatch::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build()
                        })
                        .collect();
                    cloudwatch
                        .tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|e| classify("cloudwatch:TagResource", name, e))?;
                }
                if let Some(keys) = remove {
                    cloudwatch
                        .untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("cloudwatch:UntagResource", name, e))?;
                }
            }
            ResourceKind::AlarmTopic => {
                let arn = crate::aws::resources::alarms::own_topic_arn(self.spec);
                let sns = &self.clients.sns;
                if !change.set.is_empty() {
                    let tags = change
                        .set
                        .iter()
                        .map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| StepError::from(e.to_string()))?;
                    sns.tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|e| classify("sns:TagResource", name, e))?;
                }
                if let Some(keys) = remove {
                    sns.untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("sns:UntagResource", name, e))?;
                }
            }
            // Not tagged: configurations and subscriptions.
            ResourceKind::Notification | ResourceKind::Subscription => {}
        }
        Ok(())
    }

    pub(in crate::aws) fn iam_tags(&self) -> Result<Vec<aws_sdk_iam::types::Tag>, StepError> {
        docs::tags(self.spec)
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| StepError::from(e.to_string()))
            })
            .collect()
    }
}
