//! Apply's queue steps: the queue and the dead-letter queue, their
//! attributes and access policy merged at write time.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;
use indexmap::IndexMap;

use crate::aws::apply::run::{Run, StepResult, refused, unchanged};
use crate::aws::backup::Saved;
use crate::aws::error::{AwsError, classify};
use crate::aws::observe::read_queue_attributes;
use crate::aws::plan::{PlanAction, PlanItem};
use crate::aws::progress::{StepError, StepId, StepOutcome};
use crate::docs::{self, Document, QueueAttribute, ResourceKind};

impl Run<'_> {
    pub(in crate::aws) async fn queue(&mut self, item: &PlanItem) -> StepResult {
        let name = item.name.clone();
        let sqs = self.clients.sqs.clone();
        let attributes = |document: &Option<Document>| match document {
            Some(Document::Queue(attributes)) => attributes.0.clone(),
            _ => IndexMap::new(),
        };
        let after = attributes(&item.after);
        let as_attributes = |keys: &mut dyn Iterator<Item = &String>| -> std::collections::HashMap<QueueAttributeName, String> {
            keys.filter_map(|k| after.get(k).map(|v| (QueueAttributeName::from(k.as_str()), v.to_text())))
                .collect()
        };
        let is_queue = item.resource == ResourceKind::Queue;
        match item.action {
            PlanAction::Refused | PlanAction::Delete => refused(),
            PlanAction::NoChange => unchanged(),
            PlanAction::Create => {
                // A dead-letter queue is a queue to the record (and to orphans).
                self.record_made(ResourceKind::Queue, &name)?;
                let attributes = as_attributes(&mut after.keys());
                let tags: std::collections::HashMap<String, String> =
                    docs::tags(self.spec).into_iter().collect();
                let out = self
                    .with_propagation(
                        StepId::Apply(item.resource),
                        "waiting for SQS to catch up",
                        is_sqs_lag,
                        || {
                            let (sqs, name) = (sqs.clone(), name.clone());
                            let (attributes, tags) = (attributes.clone(), tags.clone());
                            async move {
                                sqs.create_queue()
                                    .queue_name(&name)
                                    .set_attributes(Some(attributes))
                                    .set_tags(Some(tags))
                                    .send()
                                    .await
                                    .map_err(|e| classify("sqs:CreateQueue", &name, e))
                            }
                        },
                    )
                    .await
                    .map_err(sqs_lag_advice)?;
                if is_queue {
                    self.queue_url = out.queue_url().map(str::to_owned);
                }
                Ok((StepOutcome::Created, "created".into()))
            }
            PlanAction::Update | PlanAction::Adopt => {
                let url = self.clients.queue_url(&name).await?.ok_or_else(|| {
                    format!("queue {name} is gone since the plan: nothing written")
                })?;
                let before = attributes(&item.before);
                let changed: Vec<String> = after
                    .iter()
                    .filter(|(k, v)| before.get(*k) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                if is_queue {
                    self.queue_url = Some(url.clone());
                }
                if changed.is_empty() {
                    // Only its tags change (done after this step).
                    return unchanged();
                }
                // Read again now: the queue's owners may have changed it
                // since the plan. An adopted queue's access policy is theirs
                // with our statement in it: merged into what it is now.
                let now = read_queue_attributes(&sqs, &name, &url, &changed).await?.0;
                let mut wanted = after.clone();
                let mut since = None;
                if item.action == PlanAction::Adopt && wanted.contains_key("Policy") {
                    if now.get("Policy") != before.get("Policy") {
                        since = Some(
                            "its access policy changed since the plan: our statement is merged into it as it is now",
                        );
                    }
                    let merged =
                        docs::merged_queue_policy(now.get("Policy"), self.spec).map_err(|e| {
                            format!("the access policy of queue {name} is {e}: nothing written")
                        })?;
                    wanted.insert("Policy".into(), merged);
                }
                let changed: Vec<String> = changed
                    .into_iter()
                    .filter(|k| now.get(k) != wanted.get(k))
                    .collect();
                if changed.is_empty() {
                    return Ok((
                        StepOutcome::Unchanged,
                        "already as the spec wants (changed since the plan)".into(),
                    ));
                }
                let prior: BTreeMap<String, String> = changed
                    .iter()
                    .map(|k| {
                        (
                            k.clone(),
                            now.get(k).map(QueueAttribute::to_text).unwrap_or_default(),
                        )
                    })
                    .collect();
                self.save(Saved::QueueAttributes {
                    queue: name.clone(),
                    attributes: prior,
                })?;
                let attributes: std::collections::HashMap<QueueAttributeName, String> = changed
                    .iter()
                    .filter_map(|k| {
                        wanted
                            .get(k)
                            .map(|v| (QueueAttributeName::from(k.as_str()), v.to_text()))
                    })
                    .collect();
                self.with_propagation(
                    StepId::Apply(item.resource),
                    "waiting for SQS to catch up",
                    is_sqs_lag,
                    || {
                        let (sqs, name, url) = (sqs.clone(), name.clone(), url.clone());
                        let attributes = attributes.clone();
                        async move {
                            sqs.set_queue_attributes()
                                .queue_url(&url)
                                .set_attributes(Some(attributes))
                                .send()
                                .await
                                .map_err(|e| classify("sqs:SetQueueAttributes", &name, e))
                        }
                    },
                )
                .await
                .map_err(sqs_lag_advice)?;
                let written = read_queue_attributes(&sqs, &name, &url, &changed).await?.0;
                let as_text: BTreeMap<&String, String> =
                    written.iter().map(|(k, v)| (k, v.to_text())).collect();
                self.saved_written(&as_text)?;
                if changed.iter().any(|k| k == "Policy")
                    && written.get("Policy") != wanted.get("Policy")
                {
                    return Err(format!(
                        "the access policy of queue {name} changed while sluice wrote it (someone wrote it at the same moment): compare it with the backup and run apply again"
                    )
                    .into());
                }
                if is_queue {
                    self.queue_url = Some(url);
                }
                let mut said = format!("updated {}", changed.join(", "));
                if let Some(since) = since {
                    said = format!("{said} ({since})");
                }
                Ok((StepOutcome::Updated, said))
            }
        }
    }
}

/// Whether SQS refused a call only because it has not caught up yet: a
/// queue name is kept for 60 s after its queue is deleted ("You must wait 60
/// seconds after deleting a queue before you can create another with the
/// same name", CreateQueue), and a dead-letter queue made a moment ago may
/// not yet be found by a RedrivePolicy naming it ("After you create a
/// queue, you must wait at least one second ... to be able to use the queue").
fn is_sqs_lag(e: &AwsError) -> bool {
    e.is_code("QueueDeletedRecently") || e.message.contains("Dead letter target does not exist")
}

/// The error SQS still gave after the wait, with what to do.
fn sqs_lag_advice(e: AwsError) -> StepError {
    let advice = if e.is_code("QueueDeletedRecently") {
        " (SQS keeps a deleted queue's name for 60 s: run apply again a minute after the delete)"
    } else if e.message.contains("Dead letter target does not exist") {
        " (the dead-letter queue is not yet usable by SQS: run apply again in a moment)"
    } else {
        ""
    };
    StepError {
        kind: Some(e.kind),
        message: format!("{e}{advice}"),
    }
}
