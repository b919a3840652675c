//! Apply: the plan's changes, in order, idempotently; prior states backed up
//! first; progress reported as events. A failure names what finished so a
//! rerun (which re-plans) continues where it stopped.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tagging, VersioningConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::backup::{Backup, BucketPart, Saved};
use super::client::Clients;
use super::error::{AwsError, ErrorKind, classify, optional};
use super::observe::{
    Observation, RefusedDestination, put_notification, read_bucket_policy, read_notification,
    read_queue_attributes, read_trust_policy, write_notification,
};
use super::plan::{Action, Plan, PlanItem};
use super::progress::{Event, Outcome, Reporter, Secret, StepError, StepId};
use crate::docs::{self, Arns, ResourceKind, merge, notification_entry};
use crate::spec::{Delivery, Spec};

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
    pub steps: Vec<(StepId, Outcome, String)>,
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

struct Run<'a> {
    clients: &'a Clients,
    spec: &'a Spec,
    arns: Arns,
    options: &'a ApplyOptions,
    reporter: &'a Reporter,
    backup: Backup,
    steps: Vec<(StepId, Outcome, String)>,
    queue_url: Option<String>,
    /// The id of an access key this apply made (never its secret).
    access_key_id: Option<String>,
    /// The backup file saved last, for [`Run::saved_written`].
    last_saved: Option<PathBuf>,
    /// The account apply writes to.
    account: String,
}

/// How a step ended, and what it did in words.
type StepResult = Result<(Outcome, String), StepError>;

fn unchanged() -> StepResult {
    Ok((Outcome::Unchanged, "no change".into()))
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
    reporter.finished(StepId::Plan, Outcome::Done, "planned", started.elapsed());
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
        return Err(run.failure(StepId::Plan, plan.errors.join("; ").into()));
    }
    for item in &plan.items {
        let step = StepId::Apply(item.resource);
        let title = format!("{} {}", item.resource.as_str(), item.name);
        reporter.started(step, title);
        let started = Instant::now();
        let result = match item.resource {
            _ if item.action == Action::Delete => run.retire(item).await,
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
            (Ok((outcome, detail)), Some(change)) if outcome != Outcome::Created => {
                match run.converge_tags(item, change, observed).await {
                    Ok(()) => {
                        let words = format!("tags: {}", change.describe());
                        Ok(match outcome {
                            Outcome::Unchanged => (Outcome::Updated, words),
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
fn route_changes(spec: &Spec, steps: &[(StepId, Outcome, String)]) -> Vec<super::recent::Change> {
    use super::recent::Change;
    steps
        .iter()
        .filter(|(_, outcome, _)| matches!(outcome, Outcome::Created | Outcome::Updated))
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

fn json_string(v: &Value) -> String {
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

    fn save(&mut self, item: Saved) -> Result<(), StepError> {
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
    fn saved_written(&mut self, value: &Value) -> Result<(), StepError> {
        let Some(path) = self.last_saved.take() else {
            return Ok(());
        };
        self.backup
            .save_written(&path, value)
            .map_err(|e| format!("cannot complete the backup (the change was made): {e}").into())
    }

    /// Sets and takes off tags on an existing resource of the stack, as the
    /// plan's tag change says; others' tags stay.
    async fn converge_tags(
        &self,
        item: &PlanItem,
        change: &docs::TagChange,
        observed: &Observation,
    ) -> Result<(), StepError> {
        let name = item.name.as_str();
        let iam_tags = || {
            change
                .set
                .iter()
                .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StepError::from(e.to_string()))
        };
        let remove = (!change.remove.is_empty()).then(|| change.remove.clone());
        let iam = &self.clients.iam;
        match item.resource {
            ResourceKind::Policy => {
                let arn = &self.arns.policy;
                if !change.set.is_empty() {
                    iam.tag_policy()
                        .policy_arn(arn)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagPolicy", arn, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_policy()
                        .policy_arn(arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagPolicy", arn, e))?;
                }
            }
            ResourceKind::Role => {
                if !change.set.is_empty() {
                    iam.tag_role()
                        .role_name(name)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagRole", name, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_role()
                        .role_name(name)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagRole", name, e))?;
                }
            }
            ResourceKind::User => {
                if !change.set.is_empty() {
                    iam.tag_user()
                        .user_name(name)
                        .set_tags(Some(iam_tags()?))
                        .send()
                        .await
                        .map_err(|e| classify("iam:TagUser", name, e))?;
                }
                if let Some(keys) = remove {
                    iam.untag_user()
                        .user_name(name)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("iam:UntagUser", name, e))?;
                }
            }
            ResourceKind::Bucket => {
                // S3 replaces the whole set: re-read it now, so tags others
                // added meanwhile are kept too.
                let now = optional(
                    self.clients
                        .s3
                        .get_bucket_tagging()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(|e| classify("s3:GetBucketTagging", name, e)),
                )?
                .map(|o| super::observe::s3_tags(o.tag_set()))
                .unwrap_or_default();
                put_bucket_tags(&self.clients.s3, name, change.applied_to(&now)).await?;
            }
            ResourceKind::Queue | ResourceKind::DeadLetterQueue => {
                let state = if item.resource == ResourceKind::Queue {
                    &observed.queue
                } else {
                    &observed.dlq
                };
                let Some(url) = state
                    .as_ref()
                    .ok()
                    .and_then(|q| q.as_ref())
                    .map(|q| q.url.clone())
                else {
                    return Err(format!(
                        "the URL of queue {name} is not known: its tags were not changed"
                    )
                    .into());
                };
                let sqs = &self.clients.sqs;
                if !change.set.is_empty() {
                    sqs.tag_queue()
                        .queue_url(&url)
                        .set_tags(Some(change.set.clone().into_iter().collect()))
                        .send()
                        .await
                        .map_err(|e| classify("sqs:TagQueue", name, e))?;
                }
                if let Some(keys) = remove {
                    sqs.untag_queue()
                        .queue_url(&url)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("sqs:UntagQueue", name, e))?;
                }
            }
            ResourceKind::Rule => {
                let arn = &self.arns.rule;
                let events = &self.clients.events;
                if !change.set.is_empty() {
                    let tags = change
                        .set
                        .iter()
                        .map(|(k, v)| {
                            aws_sdk_eventbridge::types::Tag::builder()
                                .key(k)
                                .value(v)
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| StepError::from(e.to_string()))?;
                    events
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|e| classify("events:TagResource", name, e))?;
                }
                if let Some(keys) = remove {
                    events
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(keys))
                        .send()
                        .await
                        .map_err(|e| classify("events:UntagResource", name, e))?;
                }
            }
            // Not tagged: configurations and subscriptions.
            ResourceKind::Notification | ResourceKind::Subscription => {}
        }
        Ok(())
    }

    fn iam_tags(&self) -> Result<Vec<aws_sdk_iam::types::Tag>, StepError> {
        docs::tags(self.spec)
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| StepError::from(e.to_string()))
            })
            .collect()
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

    async fn policy(&mut self, item: &PlanItem, observed: &Observation) -> StepResult {
        let doc = item
            .after
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        let iam = &self.clients.iam;
        let arn = self.arns.policy.clone();
        match item.action {
            Action::Refused | Action::Delete => refused(),
            Action::NoChange => unchanged(),
            Action::Create => {
                self.record_made(ResourceKind::Policy, &self.spec.policy.name)?;
                iam.create_policy()
                    .policy_name(&self.spec.policy.name)
                    .policy_document(&doc)
                    .description(docs::policy_description(self.spec))
                    .set_tags(Some(self.iam_tags()?))
                    .send()
                    .await
                    .map_err(|e| classify("iam:CreatePolicy", &arn, e))?;
                Ok((Outcome::Created, "created".into()))
            }
            Action::Update | Action::Adopt => {
                let state = observed.policy.as_ref().ok().and_then(|p| p.as_ref());
                let mut done = Vec::new();
                if item.before == item.after {
                    // A tag change alone (the adoption of CloudFormation's untagged policy among them).
                    return unchanged();
                }
                if let Some(before) = &item.before {
                    self.save(Saved::PolicyDocument {
                        policy_arn: arn.clone(),
                        document: before.clone(),
                    })?;
                }
                let versions = state.map(|p| p.versions.clone()).unwrap_or_default();
                let mut detail = String::from("new default version");
                if let Some(oldest) = make_room_for_version(iam, &arn, &versions).await? {
                    detail.push_str(&format!(
                        " (deleted the oldest version {oldest}: IAM keeps five)"
                    ));
                }
                iam.create_policy_version()
                    .policy_arn(&arn)
                    .policy_document(&doc)
                    .set_as_default(true)
                    .send()
                    .await
                    .map_err(|e| classify("iam:CreatePolicyVersion", &arn, e))?;
                done.push(format!("updated: {detail}"));
                Ok((Outcome::Updated, done.join(", ")))
            }
        }
    }

    async fn attach_to_role(&self) -> Result<(), StepError> {
        let iam = self.clients.iam.clone();
        let (role, arn) = (self.spec.role.name.clone(), self.arns.policy.clone());
        self.with_propagation(
            StepId::Apply(ResourceKind::Role),
            "waiting for IAM to see the new policy",
            AwsError::is_not_found,
            || {
                let (iam, role, arn) = (iam.clone(), role.clone(), arn.clone());
                async move {
                    iam.attach_role_policy()
                        .role_name(&role)
                        .policy_arn(&arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| classify("iam:AttachRolePolicy", &role, e))
                }
            },
        )
        .await
        .map_err(|e| StepError {
            kind: Some(e.kind),
            message: format!(
                "{e} (IAM did not show the policy within {:?})",
                self.options.propagation_timeout
            ),
        })
    }

    async fn role(&mut self, item: &PlanItem) -> StepResult {
        let Some(after) = &item.after else {
            return unchanged();
        };
        let trust = after["AssumeRolePolicyDocument"].to_string();
        let name = self.spec.role.name.clone();
        match item.action {
            Action::Refused | Action::Delete => refused(),
            Action::NoChange => unchanged(),
            Action::Create => {
                self.record_made(ResourceKind::Role, &name)?;
                self.clients
                    .iam
                    .create_role()
                    .role_name(&name)
                    .assume_role_policy_document(&trust)
                    .description(docs::role_description(self.spec))
                    .set_tags(Some(self.iam_tags()?))
                    .send()
                    .await
                    .map_err(|e| classify("iam:CreateRole", &name, e))?;
                self.attach_to_role().await?;
                Ok((Outcome::Created, "created, policy attached".into()))
            }
            Action::Update | Action::Adopt => {
                let mut done = Vec::new();
                let before = item.before.clone().unwrap_or_default();
                if before["AssumeRolePolicyDocument"] != after["AssumeRolePolicyDocument"] {
                    // Read again now, so the backup holds what is replaced.
                    let now = read_trust_policy(&self.clients.iam, &name).await?;
                    self.save(Saved::TrustPolicy {
                        role: name.clone(),
                        document: now,
                    })?;
                    self.clients
                        .iam
                        .update_assume_role_policy()
                        .role_name(&name)
                        .policy_document(&trust)
                        .send()
                        .await
                        .map_err(|e| classify("iam:UpdateAssumeRolePolicy", &name, e))?;
                    done.push("trust policy updated");
                }
                if before["AttachedPolicies"] != after["AttachedPolicies"] {
                    self.attach_to_role().await?;
                    done.push("policy attached");
                }
                Ok((Outcome::Updated, done.join(", ")))
            }
        }
    }

    async fn user(&mut self, item: &PlanItem) -> StepResult {
        let name = self.spec.user.name.clone();
        let iam = self.clients.iam.clone();
        let mut done = Vec::new();
        if item.action == Action::Refused {
            return refused();
        }
        if item.action == Action::Create {
            self.record_made(ResourceKind::User, &name)?;
            iam.create_user()
                .user_name(&name)
                .set_tags(Some(self.iam_tags()?))
                .send()
                .await
                .map_err(|e| classify("iam:CreateUser", &name, e))?;
            done.push("created".to_owned());
        }
        if item.action == Action::Create || item.before != item.after {
            let arn = self.arns.policy.clone();
            self.with_propagation(
                StepId::Apply(ResourceKind::User),
                "waiting for IAM to see the new user and policy",
                AwsError::is_not_found,
                || {
                    let (iam, name, arn) = (iam.clone(), name.clone(), arn.clone());
                    async move {
                        iam.attach_user_policy()
                            .user_name(&name)
                            .policy_arn(&arn)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| classify("iam:AttachUserPolicy", &name, e))
                    }
                },
            )
            .await?;
            done.push("policy attached".to_owned());
        }
        let mut key_created = false;
        if self.spec.user.create_access_key {
            let existing = list_keys(&iam, &name).await?;
            if existing.is_empty() {
                done.push(self.create_access_key(&name).await?);
                key_created = true;
            } else {
                done.push(self.existing_keys(&name, &existing));
            }
        }
        if done.is_empty() {
            return unchanged();
        }
        let outcome = match item.action {
            Action::Create => Outcome::Created,
            Action::NoChange if !key_created => Outcome::Unchanged,
            _ => Outcome::Updated,
        };
        Ok((outcome, done.join(", ")))
    }

    /// What the user's keys are, in words: the one whose secret sluice
    /// saved here, and any whose secret it never saved, with how to replace it.
    fn existing_keys(&self, user: &str, existing: &[(String, bool)]) -> String {
        let saved = super::journal::default_dir()
            .map(|dir| super::journal::keys::saved(&dir, &self.account, user))
            .unwrap_or_default();
        let mut words = Vec::new();
        for (id, active) in existing {
            let state = if *active { "active" } else { "inactive" };
            words.push(match saved.get(id) {
                Some(file) => format!("access key {id} ({state}; its secret was saved to {file})"),
                None => format!(
                    "access key {id} ({state}) whose secret sluice did not save on this machine (made elsewhere, or by an apply stopped after IAM made it): if nobody holds it, replace it with `aws iam create-access-key --user-name {user}` and then `aws iam delete-access-key --user-name {user} --access-key-id {id}`"
                ),
            });
        }
        format!("has {}; none created", words.join("; "))
    }

    async fn create_access_key(&mut self, user: &str) -> Result<String, StepError> {
        let iam = self.clients.iam.clone();
        let out = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| classify("iam:CreateAccessKey", user, e))?;
        let key = out
            .access_key()
            .ok_or("iam:CreateAccessKey returned no key")?;
        let id = key.access_key_id().to_owned();
        // A retried call whose first answer was lost makes a second key,
        // whose secret nobody has: deactivated, and named.
        let extra: Vec<String> = list_keys(&iam, user)
            .await?
            .into_iter()
            .filter(|(other, active)| other != &id && *active)
            .map(|(other, _)| other)
            .collect();
        for other in &extra {
            iam.update_access_key()
                .user_name(user)
                .access_key_id(other)
                .status(aws_sdk_iam::types::StatusType::Inactive)
                .send()
                .await
                .map_err(|e| classify("iam:UpdateAccessKey", user, e))?;
        }
        let secret = Secret::new(key.secret_access_key());
        std::fs::create_dir_all(&self.options.out_dir)
            .map_err(|e| format!("cannot create {}: {e}", self.options.out_dir.display()))?;
        let mut path = self.options.out_dir.join(format!("{user}_accessKeys.csv"));
        if path.exists() {
            path = self
                .options
                .out_dir
                .join(format!("{user}_accessKeys-{id}.csv"));
        }
        let csv = format!(
            "Access key ID,Secret access key\n{id},{}\n",
            secret.expose()
        );
        crate::fsutil::write_atomic(&path, csv.as_bytes(), Some(0o600)).map_err(|e| {
            format!("access key {id} was created but its file {} could not be written ({e}): delete the key with `aws iam delete-access-key --user-name {user} --access-key-id {id}` and apply again", path.display())
        })?;
        if let Some(dir) = super::journal::default_dir()
            && let Err(e) = super::journal::keys::record(&dir, &self.account, user, &id, &path)
        {
            tracing::warn!(error = %e, "the record of the saved key was not written");
        }
        self.access_key_id = Some(id.clone());
        self.reporter.send(Event::AccessKeyCreated {
            user: user.to_owned(),
            access_key_id: id.clone(),
            secret,
            path: path.clone(),
        });
        let mut said = format!(
            "access key {id} created; its secret is only in {} (mode 0600)",
            path.display()
        );
        for other in &extra {
            said.push_str(&format!(
                "; access key {other} was made too (IAM answered a retried call twice) and nobody has its secret: it is deactivated; delete it with `aws iam delete-access-key --user-name {user} --access-key-id {other}`"
            ));
        }
        Ok(said)
    }

    async fn bucket(&mut self, item: &PlanItem) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let mut done = Vec::new();
        match item.action {
            Action::Refused | Action::Delete => return refused(),
            Action::NoChange => return unchanged(),
            Action::Adopt => return Ok((Outcome::Adopted, "adopted: left as it is".into())),
            Action::Create => {
                let mut create = s3.create_bucket().bucket(&bucket);
                if self.spec.region != "us-east-1" {
                    create = create.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(
                                self.spec.region.as_str(),
                            ))
                            .build(),
                    );
                }
                if self.spec.bucket.object_lock {
                    // Object Lock is best set at creation (it turns versioning on).
                    create = create.object_lock_enabled_for_bucket(true);
                }
                // Made and tagged in two calls: recorded in between, so an
                // apply stopped there still knows the bucket as the stack's.
                if let Some(dir) = super::journal::default_dir() {
                    super::journal::begin(&dir, &self.account, &bucket, &self.spec.name).map_err(
                        |e| {
                            format!(
                                "cannot record the bucket's creation in {} (nothing was created): {e}",
                                dir.display()
                            )
                        },
                    )?;
                }
                create
                    .send()
                    .await
                    .map_err(|e| classify("s3:CreateBucket", &bucket, e))?;
                put_bucket_tags(&s3, &bucket, docs::bucket_tags(self.spec)).await?;
                done.push("created".to_owned());
            }
            Action::Update => {}
        }
        let empty = serde_json::Map::new();
        let before = item
            .before
            .as_ref()
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let after = item
            .after
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (key, want) in &after {
            let have = before.get(key);
            if have == Some(want) {
                continue;
            }
            // Each part is backed up as what it is: a restore of it puts
            // back that part and nothing else.
            let part = BucketPart::of_key(key).ok_or_else(|| {
                StepError::from(format!(
                    "the plan has a bucket setting {key} that sluice does not know: nothing written"
                ))
            })?;
            if key == "Policy" && item.action == Action::Update {
                // Others may add statements to the bucket's policy at any
                // moment: merged into what it is now, not into the plan's copy.
                if let Some(changed) = self.bucket_policy_now(&bucket, have).await? {
                    done.push(changed);
                }
                continue;
            }
            if item.action == Action::Update {
                self.save(part.saved(&bucket, have.cloned()))?;
            }
            put_bucket_setting(&s3, &bucket, key, want).await?;
            done.push(format!("{key} set"));
        }
        let outcome = match item.action {
            Action::Create => Outcome::Created,
            _ if done.is_empty() => return unchanged(),
            _ => Outcome::Updated,
        };
        Ok((outcome, done.join(", ")))
    }

    /// Merges our statements into the bucket's policy as it is at this
    /// moment, backs up what was read, writes, and reads back. Returns what
    /// was done, or `None` when the policy already holds ours.
    async fn bucket_policy_now(
        &mut self,
        bucket: &str,
        planned: Option<&Value>,
    ) -> Result<Option<String>, StepError> {
        let s3 = self.clients.s3.clone();
        let Some(ours) = docs::bucket_policy(self.spec) else {
            return Ok(None);
        };
        let now = read_bucket_policy(&s3, bucket).await?;
        let wanted = docs::merge_bucket_policy(now.as_ref(), &ours);
        if now.as_ref() == Some(&wanted) {
            return Ok(None);
        }
        self.save(BucketPart::Policy.saved(bucket, now.clone()))?;
        put_bucket_setting(&s3, bucket, "Policy", &wanted).await?;
        let written = read_bucket_policy(&s3, bucket).await?;
        self.saved_written(written.as_ref().unwrap_or(&Value::Null))?;
        if written.as_ref() != Some(&wanted) {
            return Err(format!(
                "the policy of bucket {bucket} changed while sluice wrote it (someone wrote it at the same moment): compare it with the backup and run apply again"
            )
            .into());
        }
        Ok(Some(if now.as_ref() == planned {
            "Policy set".to_owned()
        } else {
            "Policy set (it changed since the plan: our statements are merged into it as it is now)"
                .to_owned()
        }))
    }

    async fn queue(&mut self, item: &PlanItem) -> StepResult {
        let name = item.name.clone();
        let sqs = self.clients.sqs.clone();
        let after = item
            .after
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let as_attributes = |keys: &mut dyn Iterator<Item = &String>| -> std::collections::HashMap<QueueAttributeName, String> {
            keys.filter_map(|k| after.get(k).map(|v| (QueueAttributeName::from(k.as_str()), json_string(v))))
                .collect()
        };
        let is_queue = item.resource == ResourceKind::Queue;
        match item.action {
            Action::Refused | Action::Delete => refused(),
            Action::NoChange => unchanged(),
            Action::Create => {
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
                Ok((Outcome::Created, "created".into()))
            }
            Action::Update | Action::Adopt => {
                let url = self.clients.queue_url(&name).await?.ok_or_else(|| {
                    format!("queue {name} is gone since the plan: nothing written")
                })?;
                let before = item
                    .before
                    .as_ref()
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
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
                let now = read_queue_attributes(&sqs, &name, &url, &changed).await?;
                let mut wanted = after.clone();
                let mut since = None;
                if item.action == Action::Adopt && wanted.contains_key("Policy") {
                    if now.get("Policy") != before.get("Policy") {
                        since = Some(
                            "its access policy changed since the plan: our statement is merged into it as it is now",
                        );
                    }
                    wanted.insert(
                        "Policy".into(),
                        docs::merge_bucket_policy(
                            now.get("Policy"),
                            &docs::queue_policy(self.spec),
                        ),
                    );
                }
                let changed: Vec<String> = changed
                    .into_iter()
                    .filter(|k| now.get(k) != wanted.get(k))
                    .collect();
                if changed.is_empty() {
                    return Ok((
                        Outcome::Unchanged,
                        "already as the spec wants (changed since the plan)".into(),
                    ));
                }
                let prior: BTreeMap<String, String> = changed
                    .iter()
                    .map(|k| (k.clone(), now.get(k).map(json_string).unwrap_or_default()))
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
                            .map(|v| (QueueAttributeName::from(k.as_str()), json_string(v)))
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
                let written = read_queue_attributes(&sqs, &name, &url, &changed).await?;
                let as_text: serde_json::Map<String, Value> = written
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(json_string(v))))
                    .collect();
                self.saved_written(&Value::Object(as_text))?;
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
                Ok((Outcome::Updated, said))
            }
        }
    }

    /// Reads the configuration again right before writing (someone may have
    /// changed it since the plan), merges ours, writes, reads back and checks.
    async fn notification(&mut self) -> StepResult {
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
        let our_target = ours
            .get("QueueArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.write_ours(&s3, &bucket, &current, &merged, &our_target)
            .await?;
        let written = read_notification(&s3, &bucket).await?;
        self.saved_written(&written)?;
        let id = ours
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or(&self.spec.notification.id);
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
        Ok((Outcome::Updated, "merged (entries of others kept)".into()))
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
        current: &Value,
        merged: &Value,
        our_target: &str,
    ) -> Result<(), StepError> {
        let step = StepId::Apply(ResourceKind::Notification);
        let deadline = Instant::now() + self.options.propagation_timeout;
        let mut wait = Duration::from_millis(500);
        let mut attempt = 1;
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
                Refusal::Ours(why) if unvalidated && Instant::now() + wait < deadline => {
                    self.reporter.send(Event::Retrying {
                        step,
                        attempt,
                        wait,
                        reason: format!("S3 cannot validate {why} yet (the queue policy set a moment ago may still be spreading)"),
                    });
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                    attempt += 1;
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
    current: &Value,
    merged: &Value,
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

impl Run<'_> {
    /// Removes what the stack no longer wants: the EventBridge rule of a route
    /// switched away (backed up), our target first; the rule itself when no
    /// other target is on it; then the bucket's EventBridge delivery when no
    /// other rule may use it (backed up).
    async fn retire(&mut self, item: &PlanItem) -> StepResult {
        match item.resource {
            ResourceKind::Rule => {}
            ResourceKind::Notification => return self.retire_entry().await,
            ResourceKind::Queue
            | ResourceKind::DeadLetterQueue
            | ResourceKind::Role
            | ResourceKind::Policy
            | ResourceKind::User => {
                let orphan = super::orphans::Orphan {
                    kind: item.resource,
                    name: item.name.clone(),
                    id: item
                        .before
                        .as_ref()
                        .and_then(|b| b["Id"].as_str())
                        .unwrap_or(&item.name)
                        .to_owned(),
                };
                // Backed up first: what it is, for the record.
                match orphan_record(self.clients, &orphan).await {
                    Ok(record) => self.save(Saved::Removed {
                        resource: orphan.kind.as_str().to_owned(),
                        name: orphan.name.clone(),
                        record,
                    })?,
                    Err(e) if e.is_not_found() => {
                        return Ok((Outcome::AlreadyGone, "already gone".into()));
                    }
                    Err(e) => return Err(e.into()),
                }
                return super::destroy::retire_orphan(
                    self.clients,
                    self.spec,
                    &orphan,
                    self.reporter,
                )
                .await
                .map_err(Into::into);
            }
            ResourceKind::Subscription => {
                self.clients
                    .sns
                    .unsubscribe()
                    .subscription_arn(&item.name)
                    .send()
                    .await
                    .map_err(|e| classify("sns:Unsubscribe", &item.name, e))?;
                return Ok((
                    Outcome::Updated,
                    "unsubscribed (the topic and its other subscriptions unchanged)".into(),
                ));
            }
            _ => {
                return Err(format!(
                    "the plan removes {} {}, which apply does not know how to remove: nothing written",
                    item.resource.as_str(),
                    item.name
                )
                .into());
            }
        }
        let name = item.name.clone();
        let Some(rule) = super::observe::observe_rule(self.clients, &name).await? else {
            return Ok((Outcome::Unchanged, "already gone".into()));
        };
        self.save(Saved::Rule {
            name: name.clone(),
            event_pattern: rule.event_pattern.clone(),
            state: rule.state.clone(),
            description: rule.description.clone(),
        })?;
        let mut done = Vec::new();
        let removal = super::destroy::remove_our_target(self.clients, &name, &rule).await?;
        if removal.target_removed {
            done.push(format!("target {} removed", docs::TARGET_ID));
        }
        if !removal.others.is_empty() {
            done.push(format!(
                "the rule also targets {} and stays",
                removal.others.join(", ")
            ));
            return Ok((Outcome::Updated, done.join("; ")));
        }
        done.push("rule deleted".to_owned());
        let bucket = self.spec.bucket.name.clone();
        match super::destroy::eventbridge_off(self.clients, &bucket, Some(&name)).await? {
            super::destroy::EventBridgeOff::AlreadyOff => {}
            super::destroy::EventBridgeOff::UsedBy(others) => done.push(format!(
                "the bucket's EventBridge delivery stays on: rule{} {} may use it",
                if others.len() == 1 { "" } else { "s" },
                others.join(", ")
            )),
            super::destroy::EventBridgeOff::TurnOff { current, wanted } => {
                let s3 = self.clients.s3.clone();
                self.save(Saved::Notification {
                    bucket: bucket.clone(),
                    configuration: current,
                })?;
                put_notification(&s3, &bucket, &wanted, true).await?;
                let written = read_notification(&s3, &bucket).await?;
                self.saved_written(&written)?;
                done.push(
                    "the bucket's EventBridge delivery turned off (other entries unchanged)"
                        .to_owned(),
                );
            }
        }
        Ok((Outcome::Updated, done.join("; ")))
    }

    /// Takes our entry out of the bucket's notification configuration as it
    /// is now (others' entries kept), backed up, read back.
    async fn retire_entry(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        let (rest, Some(id)) = docs::without_ours(&current, self.spec) else {
            return Ok((Outcome::Unchanged, "already gone".into()));
        };
        self.save(Saved::Notification {
            bucket: bucket.clone(),
            configuration: current.clone(),
        })?;
        put_notification(&s3, &bucket, &rest, true).await?;
        let written = read_notification(&s3, &bucket).await?;
        self.saved_written(&written)?;
        if docs::remove(&written, &id) != written {
            return Err(format!(
                "our entry {id} is still there after the write: someone else wrote the configuration at the same moment; run apply again"
            )
            .into());
        }
        Ok((
            Outcome::Updated,
            format!("entry {id} removed (entries of others kept)"),
        ))
    }

    /// Turns on the bucket's EventBridge delivery, every entry as it was.
    async fn eventbridge_setting(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        // Our entry from an earlier direct delivery goes with the switch.
        let (rest, retired) = docs::without_ours(&current, self.spec);
        let wanted = docs::enable_eventbridge(&rest);
        if wanted == current {
            return unchanged();
        }
        self.save(Saved::Notification {
            bucket: bucket.clone(),
            configuration: current.clone(),
        })?;
        // No destination of ours to validate: the entries of others are put
        // back as they are, even one whose destination is gone.
        put_notification(&s3, &bucket, &wanted, true).await?;
        let written = read_notification(&s3, &bucket).await?;
        self.saved_written(&written)?;
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
            Outcome::Updated,
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
    async fn retire_direct_entry(&mut self) -> StepResult {
        let bucket = self.spec.bucket.name.clone();
        let s3 = self.clients.s3.clone();
        let current = read_notification(&s3, &bucket).await?;
        let (rest, Some(id)) = docs::without_ours(&current, self.spec) else {
            return unchanged();
        };
        self.save(Saved::Notification {
            bucket: bucket.clone(),
            configuration: current.clone(),
        })?;
        // Entries of others are put back as they are, even ones whose destination is gone.
        put_notification(&s3, &bucket, &rest, true).await?;
        let written = read_notification(&s3, &bucket).await?;
        self.saved_written(&written)?;
        if written != rest {
            return Err("the configuration read back differs from the one written: someone else changed it at the same time; compare with the backup".into());
        }
        Ok((
            Outcome::Updated,
            format!("removed our direct entry {id} (entries of others kept)"),
        ))
    }

    /// Subscribes the queue to the bucket's topic, or sets the attributes
    /// that differ on its subscription.
    async fn subscription(&mut self, item: &PlanItem, observed: &Observation) -> StepResult {
        let after = item.after.clone().unwrap_or(Value::Null);
        let topic = after["TopicArn"].as_str().unwrap_or_default().to_owned();
        let wanted: BTreeMap<String, String> = after["Attributes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), json_string(v)))
            .collect();
        let sns = &self.clients.sns;
        match item.action {
            Action::Refused | Action::Delete => refused(),
            // An adopted queue's existing subscription is left as it is.
            Action::NoChange | Action::Adopt => unchanged(),
            Action::Create => {
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
                    Outcome::Created,
                    format!(
                        "subscribed ({})",
                        out.subscription_arn().unwrap_or("pending confirmation")
                    ),
                ))
            }
            Action::Update => {
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
                Ok((Outcome::Updated, format!("updated {}", names.join(", "))))
            }
        }
    }

    /// Puts the rule (pattern, state, description; tags when new) and our target.
    async fn rule(&mut self, item: &PlanItem) -> StepResult {
        if item.action == Action::NoChange {
            return unchanged();
        }
        let name = item.name.clone();
        let after = item.after.clone().unwrap_or(Value::Null);
        let events = &self.clients.events;
        let created = item.before.is_none();
        if let Some(before) = &item.before {
            let rule_changed = ["EventPattern", "State", "Description"]
                .iter()
                .any(|k| before.get(*k) != after.get(*k));
            if rule_changed {
                self.save(Saved::Rule {
                    name: name.clone(),
                    event_pattern: before["EventPattern"].clone(),
                    state: json_string(&before["State"]),
                    description: json_string(&before["Description"]),
                })?;
            }
        }
        let mut put = events
            .put_rule()
            .name(&name)
            .event_pattern(after["EventPattern"].to_string())
            .state(aws_sdk_eventbridge::types::RuleState::Enabled)
            .description(json_string(&after["Description"]));
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
            Ok((Outcome::Created, "created, with the queue as target".into()))
        } else {
            Ok((Outcome::Updated, "updated (targets of others kept)".into()))
        }
    }
}

/// The user's access keys: (id, active).
async fn list_keys(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<(String, bool)>, AwsError> {
    Ok(iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| classify("iam:ListAccessKeys", user, e))?
        .access_key_metadata()
        .iter()
        .filter_map(|k| {
            let active = k.status() != Some(&aws_sdk_iam::types::StatusType::Inactive);
            k.access_key_id().map(|id| (id.to_owned(), active))
        })
        .collect())
}

/// Writes `tags` as the bucket's whole tag set (S3 takes no other way).
async fn put_bucket_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tags: BTreeMap<String, String>,
) -> Result<(), StepError> {
    let tags = tags
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| StepError::from(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(|e| StepError::from(e.to_string()))?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| classify("s3:PutBucketTagging", bucket, e))?;
    Ok(())
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

/// IAM keeps at most five versions of a policy: deletes the oldest
/// non-default one when all five are used. Returns the deleted version.
pub(crate) async fn make_room_for_version(
    iam: &aws_sdk_iam::Client,
    arn: &str,
    versions: &[(String, bool)],
) -> Result<Option<String>, AwsError> {
    if versions.len() < 5 {
        return Ok(None);
    }
    let Some((oldest, _)) = versions.iter().find(|(_, default)| !default) else {
        return Ok(None);
    };
    iam.delete_policy_version()
        .policy_arn(arn)
        .version_id(oldest)
        .send()
        .await
        .map_err(|e| classify("iam:DeletePolicyVersion", arn, e))?;
    Ok(Some(oldest.clone()))
}

fn bool_at(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Puts one bucket setting from its JSON document (the shapes of `docs::s3`).
pub(crate) async fn put_bucket_setting(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    want: &Value,
) -> Result<(), AwsError> {
    let bad = |action: &'static str| {
        move |e: aws_sdk_s3::error::BuildError| AwsError::new(action, bucket, e.to_string())
    };
    match key {
        "PublicAccessBlockConfiguration" => s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(bool_at(want, "BlockPublicAcls"))
                    .ignore_public_acls(bool_at(want, "IgnorePublicAcls"))
                    .block_public_policy(bool_at(want, "BlockPublicPolicy"))
                    .restrict_public_buckets(bool_at(want, "RestrictPublicBuckets"))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketPublicAccessBlock", bucket, e)),
        "OwnershipControls" => {
            let ownership = want
                .pointer("/Rules/0/ObjectOwnership")
                .and_then(Value::as_str)
                .unwrap_or("BucketOwnerEnforced");
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(ownership))
                .build()
                .map_err(bad("s3:PutBucketOwnershipControls"))?;
            let controls = OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(bad("s3:PutBucketOwnershipControls"))?;
            s3.put_bucket_ownership_controls()
                .bucket(bucket)
                .ownership_controls(controls)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("s3:PutBucketOwnershipControls", bucket, e))
        }
        "ServerSideEncryptionConfiguration" => {
            let rule = want.pointer("/Rules/0").cloned().unwrap_or_default();
            let algorithm = rule
                .pointer("/ApplyServerSideEncryptionByDefault/SSEAlgorithm")
                .and_then(Value::as_str)
                .unwrap_or("AES256");
            let by_default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(algorithm))
                .set_kms_master_key_id(
                    rule.pointer("/ApplyServerSideEncryptionByDefault/KMSMasterKeyID")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                )
                .build()
                .map_err(bad("s3:PutEncryptionConfiguration"))?;
            let config = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .bucket_key_enabled(bool_at(&rule, "BucketKeyEnabled"))
                        .build(),
                )
                .build()
                .map_err(bad("s3:PutEncryptionConfiguration"))?;
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(config)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("s3:PutEncryptionConfiguration", bucket, e))
        }
        "VersioningConfiguration" => s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from(
                        want.get("Status")
                            .and_then(Value::as_str)
                            .unwrap_or("Enabled"),
                    ))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketVersioning", bucket, e)),
        "ObjectLockConfiguration" => s3
            .put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                aws_sdk_s3::types::ObjectLockConfiguration::builder()
                    .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled)
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketObjectLockConfiguration", bucket, e)),
        "Policy" => s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(want.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("s3:PutBucketPolicy", bucket, e)),
        other => Err(AwsError {
            action: "s3:PutBucket",
            resource: bucket.to_owned(),
            kind: ErrorKind::Other,
            code: None,
            message: format!("unknown bucket setting {other}"),
        }),
    }
}

/// What `orphan` is now, for the backup before it is removed: a queue's
/// attributes, a role's trust policy and attached policies, a policy's
/// document, a user's attached policies and access key ids (never a secret).
async fn orphan_record(
    clients: &Clients,
    orphan: &super::orphans::Orphan,
) -> Result<Value, AwsError> {
    use serde_json::json;
    let iam = &clients.iam;
    let name = orphan.name.as_str();
    Ok(match orphan.kind {
        ResourceKind::Role => {
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
        ResourceKind::Policy => match super::observe::observe_policy(clients, &orphan.id).await? {
            Some(state) => json!({"Arn": state.arn, "Document": state.document}),
            None => json!({"Arn": orphan.id}),
        },
        ResourceKind::User => {
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
        _ => {
            let attributes =
                read_queue_attributes(&clients.sqs, name, &orphan.id, &["All".to_owned()]).await?;
            json!({"QueueUrl": orphan.id, "Attributes": attributes})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refusal_of_another_teams_destination_stops_and_offers_the_routes() {
        let current = json!({
            "QueueConfigurations": [{"Id": "team-entry", "QueueArn": "arn:aws:sqs:us-west-2:1:gone", "Events": ["s3:ObjectCreated:*"]}],
            "TopicConfigurations": [{"Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:1:audit", "Events": ["s3:ObjectCreated:*"]}]
        });
        let mut merged = current.clone();
        merged["QueueConfigurations"].as_array_mut().unwrap().push(
            json!({"Id": "ours", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectCreated:*"]}),
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
