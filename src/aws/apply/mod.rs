//! Apply: the plan's changes, in order, idempotently; prior states backed up
//! first; progress reported as events. A failure names what finished so a
//! rerun (which re-plans) continues where it stopped.
//!
//! This file holds the run (its order, backups, tags, the propagation
//! waits); each resource's steps are in its module's `apply`
//! (`resources::iam`: policy, role, user and key; `bucket`; `queue`, with
//! the dead-letter queue; `route`: notification entry, SNS subscription,
//! EventBridge rule, and taking a previous route out; `alarms`). Here too:
//! `retire` (what the spec no longer names) and `tags` (each existing
//! resource's tags brought to the spec's).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::backup::Backup;
use super::client::Clients;
use super::observe::Observation;
use super::plan::{Plan, PlanAction};
use super::progress::{Reporter, StepError, StepId, StepOutcome};
use crate::docs::{self, Arns, ResourceKind};
use crate::spec::{Delivery, Spec};

mod retire;
pub(in crate::aws) mod run;
mod tags;

use run::Run;
pub use run::{ApplyError, ApplyOptions, ApplyReport};

/// How long after its write the notification configuration is read once more.
pub const RECHECK: Duration = Duration::from_secs(3);

/// Reads the account again, plans, and applies the plan: what a retry after
/// a failure does (the plan it makes continues where the failure stopped).
pub async fn replan_and_apply(
    clients: &Clients,
    spec: &Spec,
    identity: super::Identity,
    options: &ApplyOptions,
    reporter: &Reporter,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    reporter.started(StepId::Plan, "read the account and plan again");
    let observed = super::observe::observe(clients, spec, identity).await;
    let plan = match Plan::live(spec, &observed) {
        Ok(plan) => plan,
        Err(e) => {
            let error = StepError::from(e.to_string());
            reporter.failed(StepId::Plan, error.clone(), started.elapsed());
            return Err(ApplyError {
                step: StepId::Plan,
                error,
                completed: Vec::new(),
                backup_dir: None,
            });
        }
    };
    reporter.finished(
        StepId::Plan,
        StepOutcome::Done,
        "planned",
        started.elapsed(),
    );
    apply(clients, spec, &plan, &observed, options, reporter).await
}

/// Applies `plan` (made from `observed` for `spec`, whose account id is set).
pub async fn apply(
    clients: &Clients,
    spec: &Spec,
    plan: &Plan,
    observed: &Observation,
    options: &ApplyOptions,
    reporter: &Reporter,
) -> Result<ApplyReport, ApplyError> {
    let account = spec
        .account_id
        .clone()
        .unwrap_or_else(|| observed.identity.account.clone());
    let mut run = Run {
        clients,
        spec,
        arns: Arns::of(spec),
        options,
        reporter,
        backup: Backup::new(
            options.backup_base.clone(),
            &spec.name,
            &spec.region,
            &account,
        ),
        steps: Vec::new(),
        last_saved: None,
        account: account.clone(),
        queue_url: observed
            .queue
            .as_ref()
            .ok()
            .and_then(|q| q.as_ref().map(|q| q.url.clone())),
        access_key_id: None,
    };
    if !plan.errors.is_empty() {
        let errors: Vec<String> = plan.errors.iter().map(ToString::to_string).collect();
        return Err(run.failure(StepId::Plan, errors.join("; ").into()));
    }
    for item in &plan.items {
        let step = StepId::Apply(item.resource);
        let title = format!("{} {}", item.resource.as_str(), item.name);
        reporter.started(step, title);
        let started = Instant::now();
        let result = match item.resource {
            ResourceKind::AlarmTopic | ResourceKind::Alarm => run.alarm_item(item, observed).await,
            _ if item.action == PlanAction::Delete => run.retire(item).await,
            ResourceKind::Policy => run.policy(item, observed).await,
            ResourceKind::Role => run.role(item).await,
            ResourceKind::User => run.user(item).await,
            ResourceKind::Bucket => run.bucket(item).await,
            ResourceKind::DeadLetterQueue | ResourceKind::Queue => run.queue(item).await,
            ResourceKind::Notification if spec.delivery() == Some(Delivery::Eventbridge) => {
                run.eventbridge_setting().await
            }
            ResourceKind::Notification if spec.delivery() == Some(Delivery::Sns) => {
                run.retire_direct_entry().await
            }
            ResourceKind::Notification => run.notification().await,
            ResourceKind::Subscription => run.subscription(item, observed).await,
            ResourceKind::Rule => run.rule(item).await,
        };
        // Tags follow the spec on what existed already (new resources got them at creation).
        let result = match (result, &item.tags) {
            (Ok((outcome, detail)), Some(change)) if outcome != StepOutcome::Created => {
                match run.converge_tags(item, change, observed).await {
                    Ok(()) => {
                        let words = format!("tags: {}", change.describe());
                        Ok(match outcome {
                            StepOutcome::Unchanged => (StepOutcome::Updated, words),
                            other => (other, format!("{detail}; {words}")),
                        })
                    }
                    Err(e) => Err(e),
                }
            }
            (result, _) => result,
        };
        if item.resource == ResourceKind::Bucket && result.is_ok() {
            // The bucket carries the stack's tag now: its creation is complete.
            run.creation_done();
        }
        let elapsed = started.elapsed();
        match result {
            Ok((outcome, detail)) => {
                reporter.finished(step, outcome.clone(), detail.clone(), elapsed);
                run.steps.push((step, outcome, detail));
            }
            Err(error) => {
                reporter.failed(step, error.clone(), elapsed);
                return Err(run.failure(step, error));
            }
        }
    }
    if let Some(dir) = &options.recent_dir {
        super::recent::record(dir, spec, &account, &route_changes(spec, &run.steps));
    }
    let connector =
        docs::vendor_values(spec, run.queue_url.as_deref(), run.access_key_id.as_deref());
    Ok(ApplyReport {
        backup_dir: run.backup.dir().map(PathBuf::from),
        steps: run.steps,
        connector,
    })
}

/// The changes among `steps` that AWS takes minutes to put into effect.
fn route_changes(
    spec: &Spec,
    steps: &[(StepId, StepOutcome, String)],
) -> Vec<super::recent::Change> {
    use super::recent::Change;
    steps
        .iter()
        .filter(|(_, outcome, _)| matches!(outcome, StepOutcome::Created | StepOutcome::Updated))
        .filter_map(|(step, _, _)| match (step, spec.delivery()) {
            (StepId::Apply(ResourceKind::Notification), Some(Delivery::Direct)) => {
                Some(Change::Notification)
            }
            (StepId::Apply(ResourceKind::Notification), Some(Delivery::Eventbridge)) => {
                Some(Change::Eventbridge)
            }
            (StepId::Apply(ResourceKind::Subscription), _) => Some(Change::Subscription),
            _ => None,
        })
        .collect()
}
