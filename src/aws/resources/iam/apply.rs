//! Apply's IAM steps: the permissions policy (and its attachment), the
//! role with its trust policy, the user with its access key.

use crate::aws::apply::run::{Run, StepResult, refused, unchanged};
use crate::aws::backup::Saved;
use crate::aws::error::{AwsError, classify};
use crate::aws::observe::{Observation, read_trust_policy};
use crate::aws::plan::{PlanAction, PlanItem};
use crate::aws::progress::{Event, Secret, StepError, StepId, StepOutcome};
use crate::docs::{self, Document, ResourceKind};

impl Run<'_> {
    pub(in crate::aws) async fn policy(
        &mut self,
        item: &PlanItem,
        observed: &Observation,
    ) -> StepResult {
        let doc = match &item.after {
            Some(Document::Policy(document)) => document.to_string(),
            _ => String::new(),
        };
        let iam = &self.clients.iam;
        let arn = self.arns.policy.clone();
        match item.action {
            PlanAction::Refused | PlanAction::Delete => refused(),
            PlanAction::NoChange => unchanged(),
            PlanAction::Create => {
                self.record_made(ResourceKind::Policy, &self.spec.policy.name)?;
                iam.create_policy()
                    .policy_name(&self.spec.policy.name)
                    .policy_document(&doc)
                    .description(docs::policy_description(self.spec))
                    .set_tags(Some(self.iam_tags()?))
                    .send()
                    .await
                    .map_err(|e| classify("iam:CreatePolicy", &arn, e))?;
                Ok((StepOutcome::Created, "created".into()))
            }
            PlanAction::Update | PlanAction::Adopt => {
                let state = observed.policy.as_ref().ok().and_then(|p| p.as_ref());
                let mut done = Vec::new();
                if item.before == item.after {
                    // A tag change alone (the adoption of CloudFormation's untagged policy among them).
                    return unchanged();
                }
                if let Some(Document::Policy(before)) = &item.before {
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
                Ok((StepOutcome::Updated, done.join(", ")))
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

    pub(in crate::aws) async fn role(&mut self, item: &PlanItem) -> StepResult {
        let Some(Document::Role(after)) = &item.after else {
            return unchanged();
        };
        let trust = after.assume_role_policy_document.to_string();
        let name = self.spec.role.name.clone();
        match item.action {
            PlanAction::Refused | PlanAction::Delete => refused(),
            PlanAction::NoChange => unchanged(),
            PlanAction::Create => {
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
                Ok((StepOutcome::Created, "created, policy attached".into()))
            }
            PlanAction::Update | PlanAction::Adopt => {
                let mut done = Vec::new();
                let before = match &item.before {
                    Some(Document::Role(before)) => Some(before),
                    _ => None,
                };
                let trust_before = before.map(|b| &b.assume_role_policy_document);
                if trust_before != Some(&after.assume_role_policy_document) {
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
                if before.map(|b| &b.attached_policies) != Some(&after.attached_policies) {
                    self.attach_to_role().await?;
                    done.push("policy attached");
                }
                Ok((StepOutcome::Updated, done.join(", ")))
            }
        }
    }

    pub(in crate::aws) async fn user(&mut self, item: &PlanItem) -> StepResult {
        let name = self.spec.user.name.clone();
        let iam = self.clients.iam.clone();
        let mut done = Vec::new();
        if item.action == PlanAction::Refused {
            return refused();
        }
        if item.action == PlanAction::Create {
            self.record_made(ResourceKind::User, &name)?;
            iam.create_user()
                .user_name(&name)
                .set_tags(Some(self.iam_tags()?))
                .send()
                .await
                .map_err(|e| classify("iam:CreateUser", &name, e))?;
            done.push("created".to_owned());
        }
        if item.action == PlanAction::Create || item.before != item.after {
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
            PlanAction::Create => StepOutcome::Created,
            PlanAction::NoChange if !key_created => StepOutcome::Unchanged,
            _ => StepOutcome::Updated,
        };
        Ok((outcome, done.join(", ")))
    }

    /// What the user's keys are, in words: the one whose secret sluice
    /// saved here, and any whose secret it never saved, with how to replace it.
    fn existing_keys(&self, user: &str, existing: &[(String, bool)]) -> String {
        let saved = crate::aws::journal::default_dir()
            .map(|dir| crate::aws::journal::keys::saved(&dir, &self.account, user))
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
        if let Some(dir) = crate::aws::journal::default_dir()
            && let Err(e) = crate::aws::journal::keys::record(&dir, &self.account, user, &id, &path)
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
