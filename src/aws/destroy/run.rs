//! The run of removals: what happened to each resource ([`Fate`]), and how
//! it is reported and recorded in the report ([`Run`]); the options a run
//! goes by and the report it ends with.

use std::time::Instant;

use crate::aws::backup::Backup;
use crate::aws::error::AwsError;
use crate::aws::progress::{KeptReason, Reporter, StepId, StepOutcome};
use crate::docs::ResourceKind;

/// How far destroy goes. Messages and objects are different data, under
/// different flags: neither implies the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyOptions {
    /// Delete the stack's queues even when they hold messages: every
    /// message is written to the backup first, and a queue whose messages
    /// cannot all be read (some are in flight or delayed) is kept.
    pub force: bool,
    /// Delete the stack's bucket even when it holds objects: every object
    /// and object version in it is deleted first (objects are not backed up).
    pub delete_objects: bool,
    /// Where the messages of a forced queue deletion are backed up; `None`
    /// is sluice's data directory.
    pub backup_base: Option<std::path::PathBuf>,
}

/// What destroy did, resource by resource (labels such as `queue acme-ingest-queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyReport {
    /// Deleted resources, and parts removed from kept ones.
    pub removed: Vec<String>,
    /// Resources left in place, each with the reason.
    pub kept: Vec<(String, KeptReason)>,
    /// Resources that did not exist (already destroyed, or never made).
    pub already_gone: Vec<String>,
}

/// What happened to one resource.
pub(in crate::aws) enum Fate {
    Removed(String),
    Kept(KeptReason),
    Gone,
}

pub(in crate::aws) struct Run<'a> {
    pub(in crate::aws) reporter: &'a Reporter,
    pub(in crate::aws) report: DestroyReport,
    /// Where a forced deletion backs up what a queue held.
    pub(in crate::aws) backup: Option<Backup>,
    pub(in crate::aws) force: bool,
    /// Removing for apply (see [`retire_orphan`](super::retire_orphan)): notes go to apply's step.
    pub(in crate::aws) for_apply: bool,
}

impl Run<'_> {
    pub(in crate::aws) fn start(&self, kind: ResourceKind, label: &str) -> Instant {
        self.reporter.started(StepId::Destroy(kind), label);
        Instant::now()
    }

    pub(in crate::aws) fn note(&self, kind: ResourceKind, message: impl Into<String>) {
        let step = if self.for_apply {
            StepId::Apply(kind)
        } else {
            StepId::Destroy(kind)
        };
        self.reporter.note(step, message);
    }

    /// Reports how the step ended and records the resource's fate.
    pub(in crate::aws) fn end(
        &mut self,
        kind: ResourceKind,
        started: Instant,
        result: Result<(String, Fate), AwsError>,
    ) -> Result<(), AwsError> {
        let elapsed = started.elapsed();
        let step = StepId::Destroy(kind);
        match result {
            Ok((label, fate)) => {
                let (outcome, detail) = match fate {
                    Fate::Removed(detail) => {
                        self.report.removed.push(label);
                        (StepOutcome::Removed, detail)
                    }
                    Fate::Kept(why) => {
                        let detail = format!("kept: {why}");
                        self.report.kept.push((label, why.clone()));
                        (StepOutcome::Kept(why), detail)
                    }
                    Fate::Gone => {
                        self.report.already_gone.push(label);
                        (StepOutcome::AlreadyGone, "already gone".to_owned())
                    }
                };
                self.reporter.finished(step, outcome, detail, elapsed);
                Ok(())
            }
            Err(e) => {
                self.reporter.failed(step, e.clone(), elapsed);
                Err(e)
            }
        }
    }
}
