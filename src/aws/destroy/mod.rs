//! Taking a stack down again: only what sluice made, and only what carries
//! the stack's tag.
//!
//! In order ([`ResourceKind::DESTROY_ORDER`]): the stack's alarms and their topic; our
//! EventBridge rule and target, the queue's subscription to the bucket's
//! topic (and the stack's queue's subscriptions to topics the spec does not
//! deliver through; subscriptions carry no tags, so only while the queue is
//! the stack's), or our bucket notification entry (every other entry is put back as
//! it was; the bucket's EventBridge setting is turned off only when no other
//! rule may use it); the queue and its dead-letter queue, the permissions
//! policy, the role, the user, and the bucket. What the stack made under
//! names the spec no longer uses goes at its kind's turn, after the spec's
//! own. A resource is deleted only when it is
//! tagged `sluice:stack` with the spec's name; one without the tag is kept,
//! and the report says why. An adopted queue loses only our access policy
//! statement; an adopted bucket only our notification entry.
//!
//! Data is deleted only under the flag that names it: a queue holding
//! messages with `force` (every message written to the backup first, and
//! kept when some cannot be read), a bucket holding objects with
//! `delete_objects`. A bucket that something else depends on (another
//! team's notification entry, an EventBridge rule naming it) is kept
//! whatever the flags. S3's own `s3:TestEvent` is not a backlog. What does
//! not exist is reported as already gone, so destroying twice is fine.
//!
//! Each resource is removed by its module's `destroy` (`resources::route`:
//! the bucket's notification entry, the queue's subscription, the
//! EventBridge rule and the bucket's EventBridge setting; `queue`: the
//! queues, with the backup of their messages, and our statements in an
//! adopted queue's policy; `iam`: the policy, role and user; `bucket`: the
//! bucket, its objects, and what depends on it; `alarms`). Here: `orphan`,
//! what the stack made under names the spec no longer uses, and `run`, how
//! each resource's fate is reported. This file holds the
//! options, what the stack holds, and the order of destroy.

mod orphan;
pub(in crate::aws) mod run;

use super::resources::{
    bucket::destroy as bucket, iam::destroy as iam, queue::destroy as queue,
    route::destroy as route,
};

use crate::aws::backup::Backup;
use crate::aws::client::Clients;
use crate::aws::error::{AwsError, optional};
use crate::aws::observe::{Depth, observe_rule, queue_depth, read_notification};
use crate::aws::ownership::{Owner, not_ours};
use crate::aws::progress::{KeptReason, Reporter};
use crate::aws::resources::route::observe::subscriptions_to;
use crate::docs::{Arns, ResourceKind, without_ours};
use crate::spec::{Delivery, Spec};

pub use bucket::bucket_dependents;
pub(crate) use orphan::retire_orphan;

use bucket::{bucket, count_objects};
use iam::{Identity, identity, policy};
use orphan::remove_orphan;
use queue::{queue, queue_owner};
use route::{eventbridge_setting, notification, rule, rule_owner, subscription, unsubscribe_step};
pub use run::{DestroyOptions, DestroyReport};
use run::{Fate, Run};

/// The data the stack's resources hold: what destroy keeps without `force`
/// (messages) or `delete_objects` (objects), and what keeps the bucket
/// whatever the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    pub queue: Option<Depth>,
    pub dlq: Option<Depth>,
    /// Current objects, counted up to 100,000.
    pub bucket_objects: Option<usize>,
    /// What depends on the bucket and is not the stack's (see [`bucket_dependents`]).
    pub bucket_dependents: Vec<String>,
}

impl Holdings {
    /// Whether anything would be lost.
    pub fn any(&self) -> bool {
        self.queue.is_some_and(|d| d.total() > 0)
            || self.dlq.is_some_and(|d| d.total() > 0)
            || self.bucket_objects.is_some_and(|n| n > 0)
    }
}

/// What the stack's queues and bucket hold now (those that exist).
pub async fn holdings(clients: &Clients, spec: &Spec) -> Result<Holdings, AwsError> {
    let depth_of = async |name: &str| -> Result<Option<Depth>, AwsError> {
        match clients.queue_url(name).await? {
            Some(url) => optional(queue_depth(clients, &url).await),
            None => Ok(None),
        }
    };
    let queue = if spec.makes_queue() {
        depth_of(&spec.queue.name).await?
    } else {
        None
    };
    let dlq = if ResourceKind::DeadLetterQueue.wanted(spec) {
        depth_of(&spec.queue.dead_letter.name).await?
    } else {
        None
    };
    let (bucket_objects, bucket_dependents) = if spec.bucket.create {
        (
            optional(count_objects(clients, &spec.bucket.name).await)?,
            bucket_dependents(clients, spec, None).await?,
        )
    } else {
        (None, Vec::new())
    };
    Ok(Holdings {
        queue,
        dlq,
        bucket_objects,
        bucket_dependents,
    })
}

/// Destroys the stack of `spec` (whose `account_id` may be unset: it is then
/// the caller's). Stops at the first call that fails, with that error; what
/// was done before is reported through `reporter`.
pub async fn destroy(
    clients: &Clients,
    spec: &Spec,
    options: &DestroyOptions,
    reporter: &Reporter,
) -> Result<DestroyReport, AwsError> {
    let mut spec = spec.clone();
    if spec.account_id.is_none() {
        spec.account_id = Some(clients.identity().await?.account);
    }
    let arns = Arns::of(&spec);
    let mut run = Run {
        reporter,
        report: DestroyReport::default(),
        backup: options
            .backup_base
            .clone()
            .or_else(super::backup::default_base)
            .map(|base| {
                Backup::new(
                    base,
                    &spec.name,
                    &spec.region,
                    spec.account_id.as_deref().unwrap_or_default(),
                )
            }),
        force: options.force,
        for_apply: false,
    };

    // What the stack made under names the spec no longer uses: each goes
    // at its kind's turn, after the spec's own.
    let (orphans, orphans_unknown) = match super::orphans::find(
        clients,
        &spec,
        spec.account_id.as_deref().unwrap_or_default(),
    )
    .await
    {
        Ok(orphans) => (orphans, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    // Whether our EventBridge rule went: the bucket's EventBridge setting
    // stays for a rule of ours that stays (someone else's target on it).
    let mut our_rule_gone = false;
    for &kind in ResourceKind::DESTROY_ORDER {
        match kind {
            ResourceKind::Alarm => {
                crate::aws::resources::alarms::destroy_alarms(clients, &spec, &mut run).await?;
            }
            ResourceKind::AlarmTopic => {
                crate::aws::resources::alarms::destroy_alarm_topic(clients, &spec, &mut run)
                    .await?;
            }
            ResourceKind::Rule => our_rule_gone = rule_step(clients, &spec, &mut run).await?,
            ResourceKind::Subscription => {
                subscription_step(clients, &spec, &arns, &mut run).await?
            }
            ResourceKind::Notification => {
                notification_step(clients, &spec, our_rule_gone, &mut run).await?;
            }
            ResourceKind::Queue => {
                if spec.has_queue() {
                    let label = format!("queue {}", spec.queue.name);
                    let started = run.start(kind, &label);
                    let result =
                        queue(clients, &spec, &spec.queue.name, true, &label, &mut run).await;
                    run.end(kind, started, result)?;
                }
            }
            ResourceKind::DeadLetterQueue => {
                if spec.has_dead_letter() {
                    let name = &spec.queue.dead_letter.name;
                    let label = format!("dead-letter queue {name}");
                    let started = run.start(kind, &label);
                    let result = queue(clients, &spec, name, false, &label, &mut run).await;
                    run.end(kind, started, result)?;
                }
            }
            ResourceKind::Policy => {
                let label = format!("policy {}", spec.policy.name);
                let started = run.start(kind, &label);
                let result = policy(clients, &spec, &arns.policy, &label, &mut run).await;
                run.end(kind, started, result)?;
            }
            ResourceKind::Role => {
                if spec.role.enabled {
                    let label = format!("role {}", spec.role.name);
                    let started = run.start(kind, &label);
                    let result = identity(clients, &spec, Identity::Role, &label, &mut run).await;
                    run.end(kind, started, result)?;
                }
            }
            ResourceKind::User => {
                if spec.user.enabled {
                    let label = format!("user {}", spec.user.name);
                    let started = run.start(kind, &label);
                    let result = identity(clients, &spec, Identity::User, &label, &mut run).await;
                    run.end(kind, started, result)?;
                }
            }
            ResourceKind::Bucket => {
                if let Some(e) = &orphans_unknown {
                    run.note(
                        kind,
                        format!(
                            "resources of this stack under names the spec no longer uses could not be looked for ({e}); destroy with the earlier spec removes them"
                        ),
                    );
                }
                let label = format!("bucket {}", spec.bucket.name);
                let started = run.start(kind, &label);
                let result = bucket(clients, &spec, options, &label, &mut run).await;
                run.end(kind, started, result)?;
            }
        }
        for orphan in orphans.iter().filter(|o| o.kind.resource() == kind) {
            let label = format!("{} (no longer in the spec)", orphan.label());
            let started = run.start(kind, &label);
            let result = remove_orphan(clients, &spec, orphan, &label, &mut run).await;
            run.end(kind, started, result)?;
        }
    }

    Ok(run.report)
}

/// The queue's subscription to the spec's topic, and its subscriptions to
/// every other topic. Subscriptions carry no tags: they are the stack's while
/// the queue they deliver to is.
async fn subscription_step(
    clients: &Clients,
    spec: &Spec,
    arns: &Arns,
    run: &mut Run<'_>,
) -> Result<(), AwsError> {
    let kind = ResourceKind::Subscription;
    let queue_owner = if spec.makes_queue() {
        queue_owner(clients, spec, &spec.queue.name)
            .await?
            .map(|(_, owner)| owner)
    } else {
        None
    };
    if let Some(topic) = spec.sns_topic() {
        let label = format!("subscription of queue {} to {topic}", spec.queue.name);
        let started = run.start(kind, &label);
        let result = match &queue_owner {
            Some(owner) if *owner != Owner::Stack => Ok((
                label.clone(),
                Fate::Kept(KeptReason::NotOurs(format!(
                    "the queue {} is not this stack's ({}): its subscriptions are its owners'",
                    spec.queue.name,
                    not_ours(owner, &spec.name)
                ))),
            )),
            _ => subscription(clients, spec, topic, &arns.queue, &label).await,
        };
        run.end(kind, started, result)?;
    }
    if queue_owner == Some(Owner::Stack) {
        for sub in subscriptions_to(clients, &arns.queue, spec.sns_topic()).await? {
            let label = format!(
                "subscription of queue {} to {} (a topic the spec does not deliver through)",
                spec.queue.name,
                sub.topic()
            );
            let started = run.start(kind, &label);
            let result = unsubscribe_step(clients, &sub.arn, &label).await;
            run.end(kind, started, result)?;
        }
    }
    Ok(())
}

/// The EventBridge rule: ours with EventBridge delivery, or one of ours an
/// earlier EventBridge delivery of the stack left. Whether ours is gone now.
async fn rule_step(clients: &Clients, spec: &Spec, run: &mut Run<'_>) -> Result<bool, AwsError> {
    let label = match spec.delivery() {
        Some(Delivery::Eventbridge) => format!("EventBridge rule {}", spec.notification.id),
        Some(Delivery::Direct | Delivery::Sns) => {
            match observe_rule(clients, &spec.notification.id).await {
                Ok(Some(found)) if rule_owner(&found, spec) == Owner::Stack => format!(
                    "EventBridge rule {} (from EventBridge delivery)",
                    spec.notification.id
                ),
                _ => return Ok(false),
            }
        }
        None => return Ok(false),
    };
    let started = run.start(ResourceKind::Rule, &label);
    let result = rule(clients, spec, &label, run).await;
    let gone = matches!(&result, Ok((_, Fate::Removed(_) | Fate::Gone)));
    run.end(ResourceKind::Rule, started, result)?;
    Ok(gone)
}

/// The bucket's side of the route: our notification entry (direct
/// delivery, or one an earlier direct delivery of the stack left), or the
/// bucket's EventBridge setting (turned off only when `our_rule_gone` and
/// no other rule may use it).
async fn notification_step(
    clients: &Clients,
    spec: &Spec,
    our_rule_gone: bool,
    run: &mut Run<'_>,
) -> Result<(), AwsError> {
    let kind = ResourceKind::Notification;
    let entry = format!(
        "notification {} on bucket {}",
        spec.notification.id, spec.bucket.name
    );
    match spec.delivery() {
        Some(Delivery::Direct) => {
            let started = run.start(kind, &entry);
            let result = notification(clients, spec, &entry, run).await;
            return run.end(kind, started, result);
        }
        Some(Delivery::Eventbridge) => {
            let label = format!("EventBridge delivery of bucket {}", spec.bucket.name);
            let started = run.start(kind, &label);
            let skip = our_rule_gone.then_some(spec.notification.id.as_str());
            let result = eventbridge_setting(clients, spec, skip, &label).await;
            run.end(kind, started, result)?;
        }
        // A pipeline without a queue made no notification entry.
        Some(Delivery::Sns) | None => {}
    }
    if spec.delivery().is_some()
        && let Ok(Some(config)) = optional(read_notification(&clients.s3, &spec.bucket.name).await)
        && without_ours(&config, spec).1.is_some()
    {
        let label = format!("{entry} (from direct delivery)");
        let started = run.start(kind, &label);
        let result = notification(clients, spec, &label, run).await;
        run.end(kind, started, result)?;
    }
    Ok(())
}
