//! IAM policy simulation: iam:SimulatePrincipalPolicy of the consumer's
//! actions for the role and the user, not available where the endpoint
//! does not implement it.

use aws_config::retry::RetryConfig;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};

use super::Verdict;
use super::run::{Run, Stack};
use crate::aws::client::Clients;
use crate::aws::error::{AwsError, classify};
use crate::aws::progress::CheckId;

/// The Sid-free description of what verify asks the simulator, per resource.
const OBJECT_ACTIONS: &[&str] = &["s3:GetObject"];
const BUCKET_ACTIONS: &[&str] = &["s3:ListBucket"];
const WRITE_ACTIONS: &[&str] = &["s3:PutObject"];

/// What verify says when the endpoint cannot simulate policies.
pub const SIMULATION_NOT_AVAILABLE: &str =
    "IAM policy simulation is not available at this endpoint";

pub(super) async fn simulation_checks(stack: &Stack<'_>, run: &mut Run<'_>) {
    let Stack {
        clients,
        spec,
        arns,
        object,
        ..
    } = *stack;
    let mut principals = Vec::new();
    if spec.role.enabled {
        principals.push((
            CheckId::SimulateRole,
            format!("role {}", spec.role.name),
            arns.role.clone(),
        ));
    }
    if spec.user.enabled {
        principals.push((
            CheckId::SimulateUser,
            format!("user {}", spec.user.name),
            arns.user.clone(),
        ));
    }
    let mut unavailable = false;
    for (name, who, arn) in principals {
        let title = format!("IAM policy simulation for the {who}");
        if unavailable {
            run.not_available(name, title, SIMULATION_NOT_AVAILABLE);
            continue;
        }
        let started = run.start(name, title);
        let mut denied = Vec::new();
        let mut failure = None;
        let object_arn = object.arn(arns, &spec.bucket.name);
        let mut requests: Vec<(&[&str], &str)> = vec![
            (OBJECT_ACTIONS, &object_arn),
            (BUCKET_ACTIONS, &arns.bucket),
        ];
        if spec.policy.allow_put_object {
            requests.push((WRITE_ACTIONS, &object_arn));
        }
        if spec.has_queue() {
            requests.push((spec.profile().queue_actions, &arns.queue));
        }
        for (actions, resource) in requests {
            match simulate(clients, &arn, actions, resource, &spec.bucket.prefix).await {
                Ok(results) => denied.extend(results),
                Err(Simulation::NotAvailable) => {
                    unavailable = true;
                    break;
                }
                Err(Simulation::Failed(e)) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        if unavailable {
            run.record(
                name,
                started.elapsed(),
                Verdict::NotAvailable(SIMULATION_NOT_AVAILABLE.to_owned()),
            );
        } else if let Some(cause) = failure {
            run.finish(name, started, Err(cause));
        } else if denied.is_empty() {
            run.finish(
                name,
                started,
                Ok("every consumer action is allowed".to_owned()),
            );
        } else {
            run.finish(
                name,
                started,
                Err(format!("the {who} is denied: {}", denied.join("; "))),
            );
        }
    }
}

enum Simulation {
    /// The endpoint does not implement the API.
    NotAvailable,
    Failed(AwsError),
}

/// Simulates `actions` on `resource` for `principal`; returns the denials as
/// `action on resource: decision`.
async fn simulate(
    clients: &Clients,
    principal: &str,
    actions: &[&str],
    resource: &str,
    prefix: &str,
) -> Result<Vec<String>, Simulation> {
    let mut request = clients
        .iam
        .simulate_principal_policy()
        .policy_source_arn(principal)
        .resource_arns(resource)
        .set_action_names(Some(actions.iter().map(|a| (*a).to_owned()).collect()));
    if actions.contains(&"s3:ListBucket") && !prefix.is_empty() {
        // The least-privilege policy lists the bucket only under the prefix.
        request = request.context_entries(
            ContextEntry::builder()
                .context_key_name("s3:prefix")
                .context_key_values(prefix)
                .context_key_type(ContextKeyTypeEnum::String)
                .build(),
        );
    }
    let out = request
        .customize()
        .config_override(
            aws_sdk_iam::config::Builder::default()
                .retry_config(RetryConfig::standard().with_max_attempts(2)),
        )
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let code = e.code().map(str::to_owned);
            let message = e.message().unwrap_or_default().to_ascii_lowercase();
            // moto answers an unimplemented action with a bare HTML 500 page.
            let not_implemented = (matches!(status, Some(404 | 500 | 501)) && code.is_none())
                || code
                    .as_deref()
                    .is_some_and(|c| c.contains("NotImplemented"))
                || message.contains("not yet implemented")
                || message.contains("not been implemented");
            if not_implemented {
                return Err(Simulation::NotAvailable);
            }
            return Err(Simulation::Failed(classify(
                "iam:SimulatePrincipalPolicy",
                principal,
                e,
            )));
        }
    };
    Ok(out
        .evaluation_results()
        .iter()
        .filter(|r| *r.eval_decision() != PolicyEvaluationDecisionType::Allowed)
        .map(|r| {
            format!(
                "{} on {}: {}",
                r.eval_action_name(),
                r.eval_resource_name().unwrap_or(resource),
                r.eval_decision().as_str()
            )
        })
        .collect())
}
