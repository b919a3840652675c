//! Apply: the plan's changes, in order, idempotently; prior states backed up
//! first; progress reported as events. A failure names what finished so a
//! rerun (which re-plans) continues where it stopped.
//!
//! This file holds the run (its order, backups, tags, the propagation
//! waits); each resource's steps are in their own file: `iam` (policy,
//! role, user and key), `bucket`, `queue` (and dead-letter queue), `route`
//! (notification entry, SNS subscription, EventBridge rule, and taking a
//! previous route out), `retire` (what the spec no longer names), `tags`
//! (each existing resource's tags brought to the spec's).

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::backup::{Backup, Saved};
use super::client::Clients;
use super::error::AwsError;
use super::observe::Observation;
use super::plan::{Plan, PlanAction};
use super::progress::{Event, Reporter, StepError, StepId, StepOutcome};
use crate::docs::{self, Arns, ResourceKind};
use crate::spec::{Delivery, Spec};

mod bucket;
mod iam;
mod queue;
mod retire;
mod route;
mod tags;

pub(crate) use bucket::put_bucket_setting;
pub(crate) use iam::make_room_for_version;

/// How long after its write the notification configuration is read once more.
pub const RECHECK: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Where backups go (a timestamped directory per apply is made inside).
    pub backup_base: PathBuf,
    /// Where an access key file is written.
    pub out_dir: PathBuf,
    /// How long to keep retrying while IAM or S3 catch up with a change.
    pub propagation_timeout: Duration,
    /// Where route changes that take AWS minutes are recorded for verify
    /// ([`super::recent`]); `None` records nothing.
    pub recent_dir: Option<PathBuf>,
    /// How long after writing the bucket's notification configuration to
    /// read it once more: S3 has no conditional write, keeps the last of two
    /// writes made at once, and both writers' immediate read-backs may pass;
    /// the second read finds the loser. Zero skips it.
    pub recheck: Duration,
}

#[derive(Debug, Clone)]
pub struct ApplyReport {
    pub backup_dir: Option<PathBuf>,
    /// (step, how it ended, what was done), in order.
    pub steps: Vec<(StepId, StepOutcome, String)>,
    /// The values the connector's form asks for, under the vendor's names,
    /// with the queue URL as AWS reports it and the id of a key made now.
    pub connector: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{step} failed: {error}")]
pub struct ApplyError {
    pub step: StepId,
    pub error: StepError,
    /// Steps that finished before the failure.
    pub completed: Vec<StepId>,
    pub backup_dir: Option<PathBuf>,
}

pub(in crate::aws) struct Run<'a> {
    pub(in crate::aws) clients: &'a Clients,
    pub(in crate::aws) spec: &'a Spec,
    pub(in crate::aws) arns: Arns,
    pub(in crate::aws) options: &'a ApplyOptions,
    pub(in crate::aws) reporter: &'a Reporter,
    backup: Backup,
    steps: Vec<(StepId, StepOutcome, String)>,
    queue_url: Option<String>,
    /// The id of an access key this apply made (never its secret).
    access_key_id: Option<String>,
    /// The backup file saved last, for [`Run::saved_written`].
    last_saved: Option<PathBuf>,
    /// The account apply writes to.
    account: String,
}

/// How a step ended, and what it did in words.
pub(in crate::aws) type StepResult = Result<(StepOutcome, String), StepError>;

pub(in crate::aws) fn unchanged() -> StepResult {
    Ok((StepOutcome::Unchanged, "no change".into()))
}

/// A resource the plan refused: its errors stop an apply before any step,
/// so a step never meets one; should it, it does nothing.
fn refused() -> StepResult {
    Err("the plan refused this resource (see its errors): nothing was done".into())
}

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

pub(super) fn json_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Run<'_> {
    fn failure(&self, step: StepId, error: StepError) -> ApplyError {
        ApplyError {
            step,
            error,
            completed: self.steps.iter().map(|(s, _, _)| *s).collect(),
            backup_dir: self.backup.dir().map(PathBuf::from),
        }
    }

    pub(in crate::aws) fn save(&mut self, item: Saved) -> Result<(), StepError> {
        let path = self
            .backup
            .save(&item)
            .map_err(|e| format!("cannot write the backup (nothing was changed): {e}"))?;
        self.last_saved = Some(path.clone());
        self.reporter.send(Event::BackupWritten { path });
        Ok(())
    }

    /// Records, before the creating call, that the stack makes `kind`
    /// `name`: once the spec drops it, it is found under any name
    /// ([`super::journal::made`]).
    fn record_made(&self, kind: ResourceKind, name: &str) -> Result<(), StepError> {
        if let Some(dir) = super::journal::default_dir() {
            super::journal::made::record(&dir, &self.account, &self.spec.name, kind, name)
                .map_err(|e| {
                    format!(
                        "cannot record the {} {name}'s creation in {} (nothing was created): {e}",
                        kind.as_str(),
                        dir.display()
                    )
                })?;
        }
        Ok(())
    }

    /// Removes the record of the bucket's creation (its tags are on).
    fn creation_done(&self) {
        if let Some(dir) = super::journal::default_dir()
            && let Err(e) = super::journal::end(&dir, &self.account, &self.spec.bucket.name)
        {
            tracing::warn!(error = %e, "the record of the bucket's creation stays");
        }
    }

    /// Records, beside the state saved last, what was written over it: a
    /// restore then keeps what others change after this write.
    pub(in crate::aws) fn saved_written(&mut self, value: &Value) -> Result<(), StepError> {
        let Some(path) = self.last_saved.take() else {
            return Ok(());
        };
        self.backup
            .save_written(&path, value)
            .map_err(|e| format!("cannot complete the backup (the change was made): {e}").into())
    }

    /// Retries `call` while it fails as IAM or S3 do right after a change
    /// elsewhere, with a visible, growing wait, up to the propagation timeout.
    async fn with_propagation<T, F, Fut>(
        &self,
        step: StepId,
        what: &str,
        is_lag: impl Fn(&AwsError) -> bool,
        call: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let deadline = Instant::now() + self.options.propagation_timeout;
        let mut wait = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if is_lag(&e) && Instant::now() + wait < deadline => {
                    self.reporter.send(Event::Retrying {
                        step,
                        attempt,
                        wait,
                        reason: format!("{what}: {e}"),
                    });
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}
