//! What one apply carries from step to step (`Run`: the clients, the
//! spec, the backup, the steps done so far), its options and outcome, and
//! what every resource's steps share: recording a creation, saving a prior
//! state, and retrying while AWS catches up with a change. Each resource's
//! steps (`crate::aws::resources::*::apply`) take a `Run`.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::backup::{Backup, Saved};
use crate::aws::client::Clients;
use crate::aws::error::AwsError;
use crate::aws::progress::{Event, Reporter, Retry, StepError, StepId, StepOutcome};
use crate::docs::{Arns, ResourceKind};
use crate::spec::Spec;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Where backups go (a timestamped directory per apply is made inside).
    pub backup_base: PathBuf,
    /// Where an access key file is written.
    pub out_dir: PathBuf,
    /// How long to keep retrying while IAM or S3 catch up with a change.
    pub propagation_timeout: Duration,
    /// Where route changes that take AWS minutes are recorded for verify
    /// ([`crate::aws::recent`]); `None` records nothing.
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
    pub(super) backup: Backup,
    pub(super) steps: Vec<(StepId, StepOutcome, String)>,
    pub(in crate::aws) queue_url: Option<String>,
    /// The id of an access key this apply made (never its secret).
    pub(in crate::aws) access_key_id: Option<String>,
    /// The backup file saved last, for [`Run::saved_written`].
    pub(super) last_saved: Option<PathBuf>,
    /// The account apply writes to.
    pub(in crate::aws) account: String,
}

/// How a step ended, and what it did in words.
pub(in crate::aws) type StepResult = Result<(StepOutcome, String), StepError>;

pub(in crate::aws) fn unchanged() -> StepResult {
    Ok((StepOutcome::Unchanged, "no change".into()))
}

/// A resource the plan refused: its errors stop an apply before any step,
/// so a step never meets one; should it, it does nothing.
pub(in crate::aws) fn refused() -> StepResult {
    Err("the plan refused this resource (see its errors): nothing was done".into())
}

/// A JSON value as an attribute's text: a string as it is, anything else
/// as its JSON.
pub(in crate::aws) fn json_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Run<'_> {
    pub(super) fn failure(&self, step: StepId, error: StepError) -> ApplyError {
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
    /// ([`crate::aws::journal::made`]).
    pub(in crate::aws) fn record_made(
        &self,
        kind: ResourceKind,
        name: &str,
    ) -> Result<(), StepError> {
        if let Some(dir) = crate::aws::journal::default_dir() {
            crate::aws::journal::made::record(&dir, &self.account, &self.spec.name, kind, name)
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
    pub(super) fn creation_done(&self) {
        if let Some(dir) = crate::aws::journal::default_dir()
            && let Err(e) = crate::aws::journal::end(&dir, &self.account, &self.spec.bucket.name)
        {
            tracing::warn!(error = %e, "the record of the bucket's creation stays");
        }
    }

    /// Records, beside the state saved last, what was written over it: a
    /// restore then keeps what others change after this write.
    pub(in crate::aws) fn saved_written(
        &mut self,
        value: &impl serde::Serialize,
    ) -> Result<(), StepError> {
        let Some(path) = self.last_saved.take() else {
            return Ok(());
        };
        self.backup
            .save_written(&path, &crate::docs::json(value))
            .map_err(|e| format!("cannot complete the backup (the change was made): {e}").into())
    }

    /// Retries `call` while it fails as IAM or S3 do right after a change
    /// elsewhere, with a visible, growing wait, up to the propagation timeout.
    pub(in crate::aws) async fn with_propagation<T, F, Fut>(
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
        let mut backoff = self.backoff(step);
        loop {
            match call().await {
                Err(e) if is_lag(&e) && backoff.has_time() => {
                    backoff.wait(format!("{what}: {e}")).await;
                }
                other => return other,
            }
        }
    }

    /// The waits between tries of a change AWS has yet to spread, up to the
    /// propagation timeout.
    pub(in crate::aws) fn backoff(&self, step: StepId) -> Backoff<'_> {
        Backoff {
            reporter: self.reporter,
            step,
            deadline: Instant::now() + self.options.propagation_timeout,
            wait: Duration::from_millis(500),
            attempt: 1,
        }
    }
}

/// Growing waits (half a second, doubling, at most 8 s) until a deadline,
/// each one reported before it is slept.
pub(in crate::aws) struct Backoff<'a> {
    reporter: &'a Reporter,
    step: StepId,
    deadline: Instant,
    wait: Duration,
    attempt: u32,
}

impl Backoff<'_> {
    /// Whether the next wait ends before the deadline.
    pub(in crate::aws) fn has_time(&self) -> bool {
        Instant::now() + self.wait < self.deadline
    }

    /// Reports the retry and why, then waits for it.
    pub(in crate::aws) async fn wait(&mut self, reason: String) {
        self.reporter.send(Event::Retrying {
            step: self.step,
            retry: Retry {
                attempt: self.attempt,
                wait: self.wait,
                reason,
            },
        });
        tokio::time::sleep(self.wait).await;
        self.wait = (self.wait * 2).min(Duration::from_secs(8));
        self.attempt += 1;
    }
}
