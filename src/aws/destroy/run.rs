//! The run of removals: what happened to each resource ([`Fate`]), and how
//! it is reported and recorded in the report ([`Run`]).

use std::time::Instant;

use super::DestroyReport;
use crate::aws::backup::Backup;
use crate::aws::error::AwsError;
use crate::aws::progress::{KeptReason, Reporter, StepId, StepOutcome};
use crate::docs::ResourceKind;

/// What happened to one resource.
pub(in crate::aws) enum Fate {
    Removed(String),
    Kept(KeptReason),
    Gone,
}

pub(in crate::aws) struct Run<'a> {
    pub(in crate::aws) reporter: &'a Reporter,
    pub(super) report: DestroyReport,
    /// Where a forced deletion backs up what a queue held.
    pub(super) backup: Option<Backup>,
    pub(super) force: bool,
    /// Removing for apply (see [`retire_orphan`](super::retire_orphan)): notes go to apply's step.
    pub(super) for_apply: bool,
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
