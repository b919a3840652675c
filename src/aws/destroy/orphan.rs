//! What the stack made under names the spec no longer uses: removed as
//! destroy removes the stack's own, and, for apply, one at a time.

use super::DestroyReport;
use super::iam::{Identity, identity, policy};
use super::queue::queue;
use super::run::{Fate, Run};
use crate::aws::client::Clients;
use crate::aws::error::AwsError;
use crate::aws::orphans::{Orphan, OrphanKind};
use crate::aws::progress::{Reporter, StepOutcome};
use crate::spec::Spec;

/// Removes one resource of the stack the spec no longer names (found by
/// [`crate::aws::orphans`]), as destroy removes the stack's own, for apply: never
/// forced, so a queue holding messages is kept (with its counts); the tag is
/// read again first.
pub(crate) async fn retire_orphan(
    clients: &Clients,
    spec: &Spec,
    orphan: &Orphan,
    reporter: &Reporter,
) -> Result<(StepOutcome, String), AwsError> {
    let mut run = Run {
        reporter,
        report: DestroyReport::default(),
        backup: None,
        force: false,
        for_apply: true,
    };
    let (_, fate) = remove_orphan(clients, spec, orphan, &orphan.label(), &mut run).await?;
    Ok(match fate {
        Fate::Removed(detail) => (StepOutcome::Removed, detail),
        Fate::Kept(why) => {
            let detail = format!("kept: {why}");
            (StepOutcome::Kept(why), detail)
        }
        Fate::Gone => (StepOutcome::AlreadyGone, "already gone".to_owned()),
    })
}

/// One orphan, by the remover of its kind, given the spec as it was when
/// it named the resource.
pub(super) async fn remove_orphan(
    clients: &Clients,
    spec: &Spec,
    orphan: &Orphan,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let mut earlier = spec.clone();
    match orphan.kind {
        OrphanKind::Role => {
            earlier.role.name = orphan.name.clone();
            identity(clients, &earlier, Identity::Role, label, run).await
        }
        OrphanKind::Policy => {
            earlier.policy.name = orphan.name.clone();
            policy(clients, &earlier, &orphan.id, label, run).await
        }
        OrphanKind::User => {
            earlier.user.name = orphan.name.clone();
            identity(clients, &earlier, Identity::User, label, run).await
        }
        OrphanKind::Queue => queue(clients, &earlier, &orphan.name, true, label, run).await,
    }
}
