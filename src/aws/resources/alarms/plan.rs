//! Planning the alarms' topic and each alarm: made, brought to the spec, or
//! (the stack's, no longer wanted) removed; refused when a resource of the
//! name is someone else's.

use super::topic_document;
use crate::aws::AwsError;
use crate::aws::ownership::{Owner, owner};
use crate::aws::plan::{
    PlanAction, PlanError, PlanItem, PlanNote, Planner, Remedy, Wanted, changed, not_the_stacks,
};
use crate::docs::{AlarmKind, Document, ResourceKind, alarm_topic_name};

impl<'a> Planner<'a> {
    /// sluice's topic for the alarms.
    pub(in crate::aws) fn alarm_topic(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let spec = self.spec;
        let found = self.observed.alarms.topic.as_ref()?;
        Ok(match found {
            None => w.item(PlanAction::Create, None, Some(w.after.clone())),
            Some(topic) if owner(&topic.tags, &spec.name) != Owner::Stack => {
                self.errors.push(not_the_stacks(
                    ResourceKind::AlarmTopic,
                    &w.name,
                    &topic.tags,
                    &spec.name,
                    Remedy::NotifyTopic {
                        arn: topic.arn.clone(),
                    },
                ));
                w.item(PlanAction::Refused, None, None)
            }
            Some(topic) => {
                let before = Document::AlarmTopic(topic_document(topic, spec));
                w.item(
                    changed(&before, &w.after, PlanAction::Update),
                    Some(before),
                    Some(w.after.clone()),
                )
            }
        })
    }

    /// One alarm.
    pub(in crate::aws) fn alarm(&mut self, w: &Wanted) -> Result<PlanItem, &'a AwsError> {
        let spec = self.spec;
        if let Some(Ok(None)) = &self.observed.alarms.given_topic
            && let Some(arn) = &spec.alarms.topic_arn
        {
            // Said once, for the first alarm.
            let missing = PlanError::AlarmTopicMissing {
                arn: arn.clone(),
                ours: alarm_topic_name(spec),
            };
            if !self.errors.contains(&missing) {
                self.errors.push(missing);
            }
        }
        let found = self.observed.alarms.alarm(&w.name)?;
        Ok(match found {
            None => w.item(PlanAction::Create, None, Some(w.after.clone())),
            Some(alarm) if !alarm.is_the_stacks(&spec.name) => {
                let setting = AlarmKind::of_name(&spec.name, &w.name)
                    .map_or("alarms.enabled", AlarmKind::path);
                self.errors.push(not_the_stacks(
                    ResourceKind::Alarm,
                    &w.name,
                    &alarm.tags,
                    &spec.name,
                    Remedy::TurnOff(setting),
                ));
                w.item(PlanAction::Refused, None, None)
            }
            Some(alarm) => {
                let before = Document::Alarm(alarm.definition.clone());
                w.item(
                    changed(&before, &w.after, PlanAction::Update),
                    Some(before),
                    Some(w.after.clone()),
                )
            }
        })
    }

    /// The stack's alarms and topic the spec no longer wants: removed by
    /// apply, their definitions backed up first.
    pub(in crate::aws) fn retire_alarms(&mut self, items: &mut Vec<PlanItem>) {
        let spec = self.spec;
        let wanted = |kind: ResourceKind, name: &str| {
            items.iter().any(|i| i.resource == kind && i.name == name)
        };
        let mut retired = Vec::new();
        if let Ok(all) = &self.observed.alarms.alarms {
            for alarm in all {
                let name = &alarm.definition.alarm_name;
                if alarm.is_the_stacks(&spec.name) && !wanted(ResourceKind::Alarm, name) {
                    retired.push(PlanItem {
                        resource: ResourceKind::Alarm,
                        name: name.clone(),
                        action: PlanAction::Delete,
                        before: Some(Document::Alarm(alarm.definition.clone())),
                        after: None,
                        tags: None,
                    });
                }
            }
        }
        if let Ok(Some(topic)) = &self.observed.alarms.topic
            && owner(&topic.tags, &spec.name) == Owner::Stack
            && !wanted(ResourceKind::AlarmTopic, &alarm_topic_name(spec))
        {
            retired.push(PlanItem {
                resource: ResourceKind::AlarmTopic,
                name: alarm_topic_name(spec),
                action: PlanAction::Delete,
                before: Some(Document::AlarmTopic(topic_document(topic, spec))),
                after: None,
                tags: None,
            });
            if !topic.emails.is_empty() {
                self.notes.push(PlanNote::RetiredAlarmTopic {
                    name: alarm_topic_name(spec),
                    emails: topic.emails.clone(),
                });
            }
        }
        items.extend(retired);
    }
}
