//! Apply's event route: the bucket notification entry merged with
//! others' (and the refusal of another team's destination), the SNS
//! subscription, the EventBridge rule; and taking a previous route out.

use std::collections::BTreeMap;

use crate::aws::apply::run::{Run, StepResult, json_string, refused, unchanged};
use crate::aws::backup::Saved;
use crate::aws::error::classify;
use crate::aws::observe::{
    Observation, RefusedDestination, put_notification, read_notification, write_notification,
};
use crate::aws::plan::{PlanAction, PlanItem};
use crate::aws::progress::{StepError, StepId, StepOutcome};
use crate::docs::{
    self, Document, NotificationConfiguration, ResourceKind, merge, notification_entry,
};

impl Run<'_> {
    /// Writes `wanted` over the bucket's notification configuration `current`
    /// (as read a moment ago) with no destination of ours to validate:
    /// `current` backed up first, the configuration read back after and
    /// recorded beside the backup. Returns what was read back.
    pub(in crate::aws) async fn replace_notification(
        &mut self,
        bucket: &str,
        current: NotificationConfiguration,
        wanted: &NotificationConfiguration,
    ) -> Result<NotificationConfiguration, StepError> {
        let s3 = self.clients.s3.clone();
        self.save(Saved::Notification {
            bucket: bucket.to_owned(),
            configuration: current,
        })?;
        put_notification(&s3, bucket, wanted, true).await?;
        let written = read_notification(&s3, bucket).await?;
        self.saved_written(&written)?;
        Ok(written)
    }

    /// Reads the configuration again right before writing (someone may have
    /// changed it since the plan), merges ours, writes, reads back and checks.
    pub(in crate::aws) async fn notification(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        let (ours, _) = docs::recognise(&current, &notification_entry(self.spec));
        let merged = merge(&current, &ours).map_err(|e| format!("{e}; nothing was written"))?;
        if merged == current {
            return unchanged();
        }
        self.save(Saved::Notification {
            bucket: bucket.clone(),
            configuration: current.clone(),
        })?;
        self.write_ours(&s3, &bucket, &current, &merged, ours.target.arn())
            .await?;
        let written = read_notification(&s3, &bucket).await?;
        self.saved_written(&written)?;
        let id = ours.id_or(&self.spec.notification.id);
        let ours_present = docs::remove(&written, id) != written;
        if !ours_present {
            return Err(format!(
                "after the write our entry {id} is missing: someone else changed the configuration at the same time; compare with the backup"
            ).into());
        }
        if docs::remove(&written, id) != docs::remove(&current, id) {
            return Err("other entries changed while ours was written: someone else changed the configuration at the same time; compare with the backup".into());
        }
        if !self.options.recheck.is_zero() {
            // A writer that read before our write and writes after our
            // read-back replaces our entry unseen: read once more.
            tokio::time::sleep(self.options.recheck).await;
            let later = read_notification(&s3, &bucket).await?;
            if docs::remove(&later, id) == later {
                return Err(format!(
                    "our entry {id} was written and read back, but {} s later it is gone: someone else wrote the bucket's notification configuration at the same moment from an older copy (S3 keeps the last write; it has no conditional write). Run apply again: it merges into what is there now. Compare with the backup to see what the other writer changed",
                    self.options.recheck.as_secs()
                )
                .into());
            }
        }
        Ok((
            StepOutcome::Updated,
            "merged (entries of others kept)".into(),
        ))
    }

    /// Takes our entry out of the bucket's notification configuration as it
    /// is now (others' entries kept), backed up, read back.
    pub(in crate::aws) async fn retire_entry(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        let (rest, Some(id)) = docs::without_ours(&current, self.spec) else {
            return Ok((StepOutcome::Unchanged, "already gone".into()));
        };
        let written = self
            .replace_notification(&bucket, current.clone(), &rest)
            .await?;
        if docs::remove(&written, &id) != written {
            return Err(format!(
                "our entry {id} is still there after the write: someone else wrote the configuration at the same moment; run apply again"
            )
            .into());
        }
        Ok((
            StepOutcome::Updated,
            format!("entry {id} removed (entries of others kept)"),
        ))
    }

    /// Turns on the bucket's EventBridge delivery, every entry as it was.
    pub(in crate::aws) async fn eventbridge_setting(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        // Our entry from an earlier direct delivery goes with the switch.
        let (rest, retired) = docs::without_ours(&current, self.spec);
        let wanted = docs::enable_eventbridge(&rest);
        if wanted == current {
            return unchanged();
        }
        // No destination of ours to validate: the entries of others are put
        // back as they are, even one whose destination is gone.
        let written = self
            .replace_notification(&bucket, current.clone(), &wanted)
            .await?;
        if docs::disable_eventbridge(&written) != docs::disable_eventbridge(&rest) {
            return Err("other entries changed while EventBridge delivery was turned on: someone else changed the configuration at the same time; compare with the backup".into());
        }
        if !docs::eventbridge_enabled(&written) {
            return Err(format!(
                "S3 accepted the configuration but reports EventBridge delivery off for {bucket}; compare with the backup"
            )
            .into());
        }
        Ok((
            StepOutcome::Updated,
            match retired {
                Some(id) => format!(
                    "EventBridge delivery on, our direct entry {id} removed (entries of others kept)"
                ),
                None => "EventBridge delivery on (entries of others kept)".into(),
            },
        ))
    }

    /// Takes our entry of an earlier direct delivery out of the bucket's
    /// configuration: the SNS route replaces it.
    pub(in crate::aws) async fn retire_direct_entry(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        let (rest, Some(id)) = docs::without_ours(&current, self.spec) else {
            return unchanged();
        };
        // Entries of others are put back as they are, even ones whose destination is gone.
        let written = self
            .replace_notification(&bucket, current.clone(), &rest)
            .await?;
        if written != rest {
            return Err("the configuration read back differs from the one written: someone else changed it at the same time; compare with the backup".into());
        }
        Ok((
            StepOutcome::Updated,
            format!("removed our direct entry {id} (entries of others kept)"),
        ))
    }

    /// Subscribes the queue to the bucket's topic, or sets the attributes
    /// that differ on its subscription.
    pub(in crate::aws) async fn subscription(
        &mut self,
        item: &PlanItem,
        observed: &Observation,
    ) -> StepResult {
        let Some(Document::Subscription(after)) = &item.after else {
            return unchanged();
        };
        let topic = after.topic_arn.clone();
        let wanted: BTreeMap<String, String> = after
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), json_string(v)))
            .collect();
        let sns = &self.clients.sns;
        match item.action {
            PlanAction::Refused | PlanAction::Delete => refused(),
            // An adopted queue's existing subscription is left as it is.
            PlanAction::NoChange | PlanAction::Adopt => unchanged(),
            PlanAction::Create => {
                let out = sns
                    .subscribe()
                    .topic_arn(&topic)
                    .protocol("sqs")
                    .endpoint(&self.arns.queue)
                    .set_attributes(Some(wanted.into_iter().collect()))
                    .return_subscription_arn(true)
                    .send()
                    .await
                    .map_err(|e| classify("sns:Subscribe", &topic, e))?;
                Ok((
                    StepOutcome::Created,
                    format!(
                        "subscribed ({})",
                        out.subscription_arn().unwrap_or("pending confirmation")
                    ),
                ))
            }
            PlanAction::Update => {
                let Ok(Some(state)) = &observed.subscription else {
                    return Err("the subscription was not read; plan again".into());
                };
                let arn = state.arn.clone();
                let current: BTreeMap<String, String> = state
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), json_string(v)))
                    .collect();
                let mut changes: Vec<(String, String)> = wanted
                    .iter()
                    .filter(|(k, v)| current.get(*k) != Some(v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                // A filter no longer wanted is removed (SNS takes an empty policy for none).
                if !wanted.contains_key("FilterPolicy") && current.contains_key("FilterPolicy") {
                    changes.push(("FilterPolicy".into(), String::new()));
                }
                // The scope goes first: a body filter is refused under the attribute scope.
                changes.sort_by_key(|(k, _)| k != "FilterPolicyScope");
                self.save(Saved::SubscriptionAttributes {
                    subscription_arn: arn.clone(),
                    attributes: changes
                        .iter()
                        .map(|(k, _)| (k.clone(), current.get(k).cloned().unwrap_or_default()))
                        .collect(),
                })?;
                for (name, value) in &changes {
                    self.clients
                        .sns
                        .set_subscription_attributes()
                        .subscription_arn(&arn)
                        .attribute_name(name)
                        .attribute_value(value)
                        .send()
                        .await
                        .map_err(|e| classify("sns:SetSubscriptionAttributes", &arn, e))?;
                }
                let names: Vec<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
                Ok((
                    StepOutcome::Updated,
                    format!("updated {}", names.join(", ")),
                ))
            }
        }
    }

    /// Puts the rule (pattern, state, description; tags when new) and our target.
    pub(in crate::aws) async fn rule(&mut self, item: &PlanItem) -> StepResult {
        if item.action == PlanAction::NoChange {
            return unchanged();
        }
        let name = item.name.clone();
        let Some(Document::Rule(after)) = &item.after else {
            return unchanged();
        };
        let events = &self.clients.events;
        let created = item.before.is_none();
        if let Some(Document::Rule(before)) = &item.before {
            let rule_changed = before.event_pattern != after.event_pattern
                || before.state != after.state
                || before.description != after.description;
            if rule_changed {
                self.save(Saved::Rule {
                    name: name.clone(),
                    event_pattern: before.event_pattern.clone(),
                    state: before.state.clone(),
                    description: before.description.clone(),
                })?;
            }
        }
        let mut put = events
            .put_rule()
            .name(&name)
            .event_pattern(after.event_pattern.to_string())
            .state(aws_sdk_eventbridge::types::RuleState::Enabled)
            .description(&after.description);
        if created {
            for (k, v) in docs::tags(self.spec) {
                let tag = aws_sdk_eventbridge::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| StepError::from(e.to_string()))?;
                put = put.tags(tag);
            }
        }
        put.send()
            .await
            .map_err(|e| classify("events:PutRule", &name, e))?;
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id(docs::TARGET_ID)
            .arn(&self.arns.queue)
            .build()
            .map_err(|e| StepError::from(e.to_string()))?;
        let out = events
            .put_targets()
            .rule(&name)
            .targets(target)
            .send()
            .await
            .map_err(|e| classify("events:PutTargets", &name, e))?;
        if out.failed_entry_count() > 0 {
            let why: Vec<String> = out
                .failed_entries()
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        f.error_code().unwrap_or("error"),
                        f.error_message().unwrap_or_default()
                    )
                })
                .collect();
            return Err(format!(
                "EventBridge refused the queue as the rule's target: {}",
                why.join("; ")
            )
            .into());
        }
        if created {
            Ok((
                StepOutcome::Created,
                "created, with the queue as target".into(),
            ))
        } else {
            Ok((
                StepOutcome::Updated,
                "updated (targets of others kept)".into(),
            ))
        }
    }
}

impl Run<'_> {
    /// Writes the merged configuration. S3 validates every destination in
    /// it: when one of ours is refused, S3 may not yet see the queue policy
    /// set a moment ago, so the write is retried within the propagation
    /// timeout; when another team's is refused, nothing sluice does can fix
    /// it, so the write stops at once, naming the entry and the routes that
    /// do not need it.
    async fn write_ours(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        current: &NotificationConfiguration,
        merged: &NotificationConfiguration,
        our_target: &str,
    ) -> Result<(), StepError> {
        let mut backoff = self.backoff(StepId::Apply(ResourceKind::Notification));
        loop {
            let Err(refused) = write_notification(s3, bucket, merged, false).await else {
                return Ok(());
            };
            let unvalidated = refused.error.message.contains("Unable to validate");
            match judge_refusal(current, merged, our_target, &refused.destinations) {
                Refusal::Theirs(why) => {
                    return Err(StepError {
                        kind: Some(refused.error.kind),
                        message: format!("{}: {why}", refused.error),
                    });
                }
                Refusal::Ours(why) if unvalidated && backoff.has_time() => {
                    backoff
                        .wait(format!("S3 cannot validate {why} yet (the queue policy set a moment ago may still be spreading)"))
                        .await;
                }
                Refusal::Ours(why) if unvalidated => {
                    return Err(StepError {
                        kind: Some(refused.error.kind),
                        message: format!(
                            "{}. S3 could not send to {why}: check that the queue policy lets s3.amazonaws.com send from this bucket, and that a KMS-encrypted queue's key policy lets S3 use the key",
                            refused.error
                        ),
                    });
                }
                Refusal::Ours(_) => return Err(StepError::from(refused.error)),
            }
        }
    }
}

/// Whose destination S3 refused, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Ours (or S3 named none): the words name it.
    Ours(String),
    /// Another team's: why nothing will be written, and the ways on.
    Theirs(String),
}

/// Decides a refused write of `merged` (made from `current`, with our entry
/// sending to `our_target`) from the destinations S3 named.
fn judge_refusal(
    current: &NotificationConfiguration,
    merged: &NotificationConfiguration,
    our_target: &str,
    refused: &[RefusedDestination],
) -> Refusal {
    let theirs: Vec<&RefusedDestination> = refused.iter().filter(|d| d.arn != our_target).collect();
    if theirs.is_empty() {
        return Refusal::Ours(match refused.first() {
            Some(d) => format!("our queue {} ({})", d.arn, d.reason),
            None => format!("the queue {our_target}"),
        });
    }
    let entries: Vec<String> = theirs
        .iter()
        .map(|d| {
            let ids = docs::entries_sending_to(merged, &d.arn);
            format!(
                "{} {} sends to {} ({})",
                if ids.len() == 1 { "entry" } else { "entries" },
                ids.join(", "),
                d.arn,
                d.reason
            )
        })
        .collect();
    // A topic whose entry already carries these events may deliver to us,
    // unless it is a broken one.
    let topic = docs::topic_entries(current)
        .into_iter()
        .find(|t| !theirs.iter().any(|d| &d.arn == t));
    let sns = match topic {
        Some(topic) => format!(
            "through the topic {topic} the bucket already publishes to (set notification.delivery to \"sns\" and notification.topic_arn to \"{topic}\" in the spec: no write to the bucket's configuration)"
        ),
        None => "through an SNS topic the bucket already publishes these events to (set notification.delivery to \"sns\" and notification.topic_arn to its ARN: no write to the bucket's configuration)".to_owned(),
    };
    Refusal::Theirs(format!(
        "S3 checks the destination of every entry whenever the configuration is written, and {}; not sluice's entries but another team's, which only their owners can fix or remove. Nothing was written. Two routes do not need S3 to accept those destinations: {sns}; or through EventBridge (set notification.delivery to \"eventbridge\": sluice then turns on only the bucket's EventBridge setting, without validating the others' destinations)",
        entries.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refusal_of_another_teams_destination_stops_and_offers_the_routes() {
        let current = NotificationConfiguration::from_json(&json!({
            "QueueConfigurations": [{"Id": "team-entry", "QueueArn": "arn:aws:sqs:us-west-2:1:gone", "Events": ["s3:ObjectCreated:*"]}],
            "TopicConfigurations": [{"Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:1:audit", "Events": ["s3:ObjectCreated:*"]}]
        }))
        .unwrap();
        let mut merged = current.clone();
        merged.entries.push(
            serde_json::from_value(json!({"Id": "ours", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectCreated:*"]}))
                .unwrap(),
        );
        let gone = RefusedDestination {
            arn: "arn:aws:sqs:us-west-2:1:gone".into(),
            reason: "The destination queue does not exist".into(),
        };
        let Refusal::Theirs(why) =
            judge_refusal(&current, &merged, "arn:aws:sqs:us-west-2:1:q", &[gone])
        else {
            panic!("another team's destination")
        };
        for needle in [
            "entry team-entry sends to arn:aws:sqs:us-west-2:1:gone (The destination queue does not exist)",
            "another team's",
            "Nothing was written",
            "notification.topic_arn to \"arn:aws:sns:us-west-2:1:audit\"",
            "notification.delivery to \"eventbridge\"",
        ] {
            assert!(why.contains(needle), "{needle}: {why}");
        }
        let ours = RefusedDestination {
            arn: "arn:aws:sqs:us-west-2:1:q".into(),
            reason: "Permissions on the destination queue do not allow S3 to publish notifications from this bucket".into(),
        };
        assert_eq!(
            judge_refusal(&current, &merged, "arn:aws:sqs:us-west-2:1:q", &[ours]),
            Refusal::Ours("our queue arn:aws:sqs:us-west-2:1:q (Permissions on the destination queue do not allow S3 to publish notifications from this bucket)".into())
        );
        assert_eq!(
            judge_refusal(&current, &merged, "arn:aws:sqs:us-west-2:1:q", &[]),
            Refusal::Ours("the queue arn:aws:sqs:us-west-2:1:q".into())
        );
    }
}
