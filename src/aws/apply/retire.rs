//! Apply's removal of what the spec no longer names (orphans), each
//! backed up first as a record of what it was.

use serde_json::Value;

use super::run::{Run, StepResult};
use crate::aws::backup::Saved;
use crate::aws::client::Clients;
use crate::aws::error::{AwsError, classify};
use crate::aws::observe::{read_queue_attributes, read_trust_policy};
use crate::aws::orphans::OrphanKind;
use crate::aws::plan::PlanItem;
use crate::aws::progress::StepOutcome;
use crate::aws::resources::route::destroy::{
    EventBridgeOff, UNSUBSCRIBED, eventbridge_off, remove_our_target, unsubscribe,
};
use crate::docs::{self, Document, ResourceKind};

impl Run<'_> {
    /// Removes what the stack no longer wants: the EventBridge rule of a route
    /// switched away (backed up), our target first; the rule itself when no
    /// other target is on it; then the bucket's EventBridge delivery when no
    /// other rule may use it (backed up).
    pub(super) async fn retire(&mut self, item: &PlanItem) -> StepResult {
        // A queue, policy, role or user the spec no longer names.
        if let Some(kind) = OrphanKind::of(item.resource) {
            let orphan = crate::aws::orphans::Orphan {
                kind,
                name: item.name.clone(),
                id: match &item.before {
                    Some(Document::Orphan(found)) => found.id.clone(),
                    _ => item.name.clone(),
                },
            };
            // Backed up first: what it is, for the record.
            match orphan_record(self.clients, &orphan).await {
                Ok(record) => self.save(Saved::Removed {
                    resource: item.resource,
                    name: orphan.name.clone(),
                    record,
                })?,
                Err(e) if e.is_not_found() => {
                    return Ok((StepOutcome::AlreadyGone, "already gone".into()));
                }
                Err(e) => return Err(e.into()),
            }
            return crate::aws::destroy::retire_orphan(
                self.clients,
                self.spec,
                &orphan,
                self.reporter,
            )
            .await
            .map_err(Into::into);
        }
        match item.resource {
            ResourceKind::Rule => {}
            ResourceKind::Notification => return self.retire_entry().await,
            ResourceKind::Subscription => {
                // Backed up first: its attributes, for the record.
                self.save(Saved::Removed {
                    resource: item.resource,
                    name: item.name.clone(),
                    record: item.before_json().unwrap_or(Value::Null),
                })?;
                return Ok(if unsubscribe(self.clients, &item.name).await? {
                    (StepOutcome::Removed, UNSUBSCRIBED.into())
                } else {
                    (StepOutcome::AlreadyGone, "already gone".into())
                });
            }
            // The alarms are removed by their own steps; the bucket and the
            // kinds above never by retirement.
            ResourceKind::Bucket
            | ResourceKind::AlarmTopic
            | ResourceKind::Alarm
            | ResourceKind::Queue
            | ResourceKind::DeadLetterQueue
            | ResourceKind::Role
            | ResourceKind::Policy
            | ResourceKind::User => {
                return Err(format!(
                    "the plan removes {} {}, which apply does not know how to remove: nothing written",
                    item.resource.as_str(),
                    item.name
                )
                .into());
            }
        }
        let name = item.name.clone();
        let Some(rule) = crate::aws::observe::observe_rule(self.clients, &name).await? else {
            return Ok((StepOutcome::Unchanged, "already gone".into()));
        };
        self.save(Saved::Rule {
            name: name.clone(),
            event_pattern: rule.event_pattern.clone(),
            state: rule.state.clone(),
            description: rule.description.clone(),
        })?;
        let mut done = Vec::new();
        let removal = remove_our_target(self.clients, &name, &rule).await?;
        if removal.target_removed {
            done.push(format!("target {} removed", docs::TARGET_ID));
        }
        if !removal.others.is_empty() {
            done.push(format!(
                "the rule also targets {} and stays",
                removal.others.join(", ")
            ));
            return Ok((StepOutcome::Updated, done.join("; ")));
        }
        done.push("rule deleted".to_owned());
        let bucket = self.spec.bucket.name.clone();
        match eventbridge_off(self.clients, &bucket, Some(&name)).await? {
            EventBridgeOff::AlreadyOff => {}
            EventBridgeOff::UsedBy(others) => done.push(format!(
                "the bucket's EventBridge delivery stays on: rule{} {} may use it",
                if others.len() == 1 { "" } else { "s" },
                others.join(", ")
            )),
            EventBridgeOff::TurnOff { current, wanted } => {
                self.replace_notification(&bucket, current, &wanted).await?;
                done.push(
                    "the bucket's EventBridge delivery turned off (other entries unchanged)"
                        .to_owned(),
                );
            }
        }
        Ok((StepOutcome::Updated, done.join("; ")))
    }
}

/// What `orphan` is now, for the backup before it is removed: a queue's
/// attributes, a role's trust policy and attached policies, a policy's
/// document, a user's attached policies and access key ids (never a secret).
async fn orphan_record(
    clients: &Clients,
    orphan: &crate::aws::orphans::Orphan,
) -> Result<Value, AwsError> {
    use serde_json::json;
    let iam = &clients.iam;
    let name = orphan.name.as_str();
    Ok(match orphan.kind {
        OrphanKind::Role => {
            let trust = read_trust_policy(iam, name).await?;
            let attached = iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListAttachedRolePolicies", name, e))?;
            let arns: Vec<&str> = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
                .collect();
            json!({"AssumeRolePolicyDocument": trust, "AttachedPolicies": arns})
        }
        OrphanKind::Policy => {
            match crate::aws::observe::observe_policy(clients, &orphan.id).await? {
                Some(state) => json!({"Arn": state.arn, "Document": state.document}),
                None => json!({"Arn": orphan.id}),
            }
        }
        OrphanKind::User => {
            let attached = iam
                .list_attached_user_policies()
                .user_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListAttachedUserPolicies", name, e))?;
            let keys = iam
                .list_access_keys()
                .user_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListAccessKeys", name, e))?;
            json!({
                "AttachedPolicies": attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(),
                "AccessKeyIds": keys.access_key_metadata().iter().filter_map(|k| k.access_key_id()).collect::<Vec<_>>(),
            })
        }
        OrphanKind::Queue => {
            let attributes =
                read_queue_attributes(&clients.sqs, name, &orphan.id, &["All".to_owned()]).await?;
            json!({"QueueUrl": orphan.id, "Attributes": attributes})
        }
    })
}
