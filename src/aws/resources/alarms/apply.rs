//! Applying the alarms' topic and each alarm: made with the stack's tags,
//! brought to the spec (the definition or policy before backed up first),
//! or removed once the spec no longer wants them (backed up for the record).

use serde_json::Value;

use super::{put_alarm, topic_document};
use crate::aws::apply::run::{Run, StepResult, unchanged};
use crate::aws::backup::Saved;
use crate::aws::error::classify;
use crate::aws::observe::Observation;
use crate::aws::plan::{PlanAction, PlanItem};
use crate::aws::progress::{StepError, StepOutcome};
use crate::docs::{self, MetricAlarm, ResourceKind, alarm, alarm_topic_arn, alarm_topic_policy};

impl Run<'_> {
    /// The alarms' topic or one alarm, as the plan's item says.
    pub(in crate::aws) async fn alarm_item(
        &mut self,
        item: &PlanItem,
        observed: &Observation,
    ) -> StepResult {
        match (item.resource, item.action) {
            (_, PlanAction::NoChange | PlanAction::Refused | PlanAction::Adopt) => unchanged(),
            (ResourceKind::AlarmTopic, PlanAction::Delete) => self.remove_alarm_topic(item).await,
            (ResourceKind::AlarmTopic, _) => self.alarm_topic(item, observed).await,
            (_, PlanAction::Delete) => self.remove_alarm(item, observed).await,
            (_, _) => self.alarm(item, observed).await,
        }
    }

    async fn alarm_topic(&mut self, item: &PlanItem, observed: &Observation) -> StepResult {
        let sns = self.clients.sns.clone();
        let arn = alarm_topic_arn(self.spec);
        let policy = alarm_topic_policy(self.spec);
        let existing = observed.alarms.topic.as_ref().ok().cloned().flatten();
        let mut done = Vec::new();
        let outcome = match &existing {
            None => {
                let tags = docs::tags(self.spec)
                    .into_iter()
                    .map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| StepError::from(e.to_string()))?;
                sns.create_topic()
                    .name(&item.name)
                    .attributes("Policy", policy.to_string())
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| classify("sns:CreateTopic", &item.name, e))?;
                done.push("created".to_owned());
                StepOutcome::Created
            }
            Some(topic) => {
                if topic.policy.as_ref() != Some(&policy) {
                    self.save(Saved::TopicPolicy {
                        topic_arn: arn.clone(),
                        policy: topic.policy.clone(),
                    })?;
                    sns.set_topic_attributes()
                        .topic_arn(&arn)
                        .attribute_name("Policy")
                        .attribute_value(policy.to_string())
                        .send()
                        .await
                        .map_err(|e| classify("sns:SetTopicAttributes", &arn, e))?;
                    self.saved_written(&policy)?;
                    done.push("access policy updated".to_owned());
                }
                StepOutcome::Updated
            }
        };
        let subscribed = existing
            .as_ref()
            .and_then(|t| topic_document(t, self.spec).email_subscription);
        if let Some(email) = &self.spec.alarms.email
            && subscribed.is_none()
        {
            sns.subscribe()
                .topic_arn(&arn)
                .protocol("email")
                .endpoint(email)
                .send()
                .await
                .map_err(|e| classify("sns:Subscribe", &arn, e))?;
            done.push(format!(
                "{email} subscribed: AWS mails it a link to confirm before it gets alarms"
            ));
        }
        if done.is_empty() {
            return unchanged();
        }
        Ok((outcome, done.join("; ")))
    }

    async fn alarm(&mut self, item: &PlanItem, observed: &Observation) -> StepResult {
        let Some(wanted) = docs::AlarmKind::of_name(&self.spec.name, &item.name)
            .and_then(|kind| alarm(self.spec, kind))
        else {
            return Err(format!("the spec has no alarm {}", item.name).into());
        };
        let existing = observed
            .alarms
            .alarm(&item.name)
            .ok()
            .flatten()
            .map(|a| a.definition.clone());
        match existing {
            None => {
                put_alarm(self.clients, &wanted, &docs::tags(self.spec)).await?;
                Ok((StepOutcome::Created, "created".into()))
            }
            Some(before) if before == wanted => unchanged(),
            Some(before) => {
                self.save(Saved::Alarm { definition: before })?;
                put_alarm(self.clients, &wanted, &Default::default()).await?;
                self.saved_written(&wanted.document())?;
                Ok((StepOutcome::Updated, "definition updated".into()))
            }
        }
    }

    async fn remove_alarm(&mut self, item: &PlanItem, observed: &Observation) -> StepResult {
        let Some(found) = observed.alarms.alarm(&item.name).ok().flatten() else {
            return Ok((StepOutcome::AlreadyGone, "already gone".into()));
        };
        self.save(Saved::Removed {
            resource: ResourceKind::Alarm,
            name: item.name.clone(),
            record: found.definition.document(),
        })?;
        self.clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(&item.name)
            .send()
            .await
            .map_err(|e| classify("cloudwatch:DeleteAlarms", &item.name, e))?;
        Ok((
            StepOutcome::Removed,
            "deleted: the spec no longer has it".into(),
        ))
    }

    async fn remove_alarm_topic(&mut self, item: &PlanItem) -> StepResult {
        let arn = super::own_topic_arn(self.spec);
        self.save(Saved::Removed {
            resource: ResourceKind::AlarmTopic,
            name: item.name.clone(),
            record: item.before_json().unwrap_or(Value::Null),
        })?;
        self.clients
            .sns
            .delete_topic()
            .topic_arn(&arn)
            .send()
            .await
            .map_err(|e| classify("sns:DeleteTopic", &arn, e))?;
        Ok((
            StepOutcome::Removed,
            "deleted: the spec no longer has it".into(),
        ))
    }
}

/// The definition a backed-up alarm had (for restore's description).
pub(crate) fn describe_saved(definition: &MetricAlarm) -> String {
    format!("definition of alarm {}", definition.alarm_name)
}
