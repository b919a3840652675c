//! The consumer's IAM identities: the role assumed with its external ID
//! (when its trust policy lets the caller), and the user's own access key;
//! each then tries its access (`access`).

use crate::docs::policy::{Effect, Policy, Principal, Principals};

use crate::aws::client::Identity;
use crate::aws::observe::observe_role;
use crate::aws::progress::CheckId;
use crate::aws::propagation::IamWait;
use crate::aws::verify::access::{ROLE, USER, data_checks, role_receive};
use crate::aws::verify::run::{Run, Stack, waiting};
use crate::aws::verify::run::{Verdict, VerifyOptions};

pub(in crate::aws) async fn role_checks(
    stack: &Stack<'_>,
    identity: Option<&Identity>,
    uploaded: bool,
    options: &VerifyOptions,
    run: &mut Run<'_>,
) {
    let Stack { clients, spec, .. } = *stack;
    let title = format!("assume role {}", spec.role.name);
    let (true, Some(identity)) = (spec.role.enabled, identity) else {
        let why = if spec.role.enabled {
            "the caller's identity is unknown"
        } else {
            "the spec has no role (role.enabled is false)"
        };
        run.not_available(CheckId::RoleAssume, title, why);
        return;
    };
    let started = run.start(CheckId::RoleAssume, title);
    let role = match observe_role(clients, &spec.role.name).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            run.finish(
                CheckId::RoleAssume,
                started,
                Err(format!("the role {} does not exist", spec.role.name)),
            );
            return;
        }
        Err(e) => {
            run.finish(CheckId::RoleAssume, started, Err(e.to_string()));
            return;
        }
    };
    if !trusts(&role.trust_policy, identity, stack.arns.partition) {
        let why = if spec.vendor_trust_pending() {
            format!(
                "the role trusts nobody until {}'s values are given (step 2 of 2): its access cannot be tried yet",
                spec.profile().vendor
            )
        } else {
            format!(
                "the role's trust policy does not trust the caller {} (only the connector's principals): its access cannot be tried from here",
                identity.arn
            )
        };
        run.record(
            CheckId::RoleAssume,
            started.elapsed(),
            Verdict::NotAvailable(why),
        );
        return;
    }
    let mut wait = IamWait::new(options.iam_wait);
    let reporter = run.reporter;
    let assumed = match clients
        .assume_role(
            &role.arn,
            &spec.role.external_id,
            &mut wait,
            &mut waiting(reporter, CheckId::RoleAssume),
        )
        .await
    {
        Ok(assumed) => {
            run.finish(CheckId::RoleAssume, started, Ok(format!("as {}", role.arn)));
            assumed
        }
        Err(e) => {
            run.finish(CheckId::RoleAssume, started, Err(e.to_string()));
            return;
        }
    };

    // The role's first calls may be denied while its policy spreads.
    let mut first = wait.again();
    if spec.has_queue() {
        role_receive(
            clients,
            &assumed,
            spec,
            stack.queue_url,
            options.probe_busy_queue,
            &mut first,
            run,
        )
        .await;
    }
    let object = stack.object;
    data_checks(&ROLE, &assumed, spec, object, uploaded, &mut first, run).await;
}

/// The user's access, with its own key: always when the key is given, and
/// said to be untried when the user is the connector's only identity.
pub(in crate::aws) async fn user_checks(
    stack: &Stack<'_>,
    options: &VerifyOptions,
    uploaded: bool,
    run: &mut Run<'_>,
) {
    let Stack { clients, spec, .. } = *stack;
    if !spec.user.enabled {
        return;
    }
    let title = format!("the access key of user {}", spec.user.name);
    let Some(key) = &options.user_key else {
        if !spec.role.enabled {
            run.not_available(
                CheckId::UserKey,
                title,
                "the user's key was not given: its file, the CSV apply wrote (mode 0600), tries the user's access (sluice verify --key-file FILE; the wizard reads the one its apply wrote)",
            );
        }
        return;
    };
    let started = run.start(CheckId::UserKey, title);
    let as_user = clients.with_key(&key.access_key_id, key.secret_access_key.expose());
    // A key made moments ago is unknown (InvalidClientTokenId) for a while.
    let mut wait = IamWait::new(options.iam_wait);
    let reporter = run.reporter;
    let known = wait
        .call(
            &format!("the access key {}", key.access_key_id),
            &mut waiting(reporter, CheckId::UserKey),
            || as_user.identity(),
        )
        .await;
    match known {
        Ok(identity) if identity.arn == stack.arns.user => {
            run.finish(
                CheckId::UserKey,
                started,
                Ok(format!("as {}", identity.arn)),
            );
        }
        Ok(identity) => {
            run.finish(
                CheckId::UserKey,
                started,
                Err(format!(
                    "the key is {}'s, not user {}'s",
                    identity.arn, spec.user.name
                )),
            );
            return;
        }
        Err(e) => {
            run.finish(CheckId::UserKey, started, Err(e.to_string()));
            return;
        }
    }
    data_checks(
        &USER,
        &as_user,
        spec,
        stack.object,
        uploaded,
        &mut wait.again(),
        run,
    )
    .await;
}

/// Whether the trust policy lets `caller` assume the role: a statement allows
/// sts:AssumeRole to the caller's account (root or id), the caller's ARN, or
/// (for an assumed-role session) the caller's role.
fn trusts(trust: &Policy, caller: &Identity, partition: &str) -> bool {
    let mut candidates = vec![
        format!("arn:{partition}:iam::{}:root", caller.account),
        caller.account.clone(),
        caller.arn.clone(),
    ];
    let session_role = caller
        .arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split('/').next())
        .map(str::to_owned);
    if let Some(role) = &session_role {
        candidates.push(format!(
            "arn:{partition}:iam::{}:role/{role}",
            caller.account
        ));
    }
    let role_prefix = format!("arn:{partition}:iam::{}:role/", caller.account);
    let matches = |principal: &str| {
        principal == "*"
            || candidates.iter().any(|c| c == principal)
            || session_role.as_ref().is_some_and(|role| {
                principal.starts_with(&role_prefix) && principal.ends_with(&format!("/{role}"))
            })
    };
    trust.statements().any(|s| {
        let allows = s.effect == Effect::Allow;
        let assume = s
            .actions()
            .any(|a| matches!(a, "sts:AssumeRole" | "sts:*" | "*"));
        let principal = match &s.principal {
            Some(Principal::Everyone) => true,
            Some(Principal::Of(Principals { aws: Some(aws), .. })) => {
                aws.iter().any(|p| matches(p))
            }
            _ => false,
        };
        allows && assume && principal
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn trust_is_the_callers_account_or_arn() {
        let caller = Identity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/Admin/me".into(),
        };
        let trust = |principal: Value| {
            Policy::from_json(&json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})).unwrap()
        };
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:root")),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!(["arn:aws:iam::1:root", "123456789012"])),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:role/Admin")),
            &caller,
            "aws"
        ));
        assert!(trusts(
            &trust(json!("arn:aws:iam::123456789012:role/ops/Admin")),
            &caller,
            "aws"
        ));
        assert!(!trusts(
            &trust(json!("arn:aws:iam::111122223333:root")),
            &caller,
            "aws"
        ));
        assert!(!trusts(
            &trust(json!("arn:aws:iam::123456789012:role/Other")),
            &caller,
            "aws"
        ));
        let deny = Policy::from_json(&json!({"Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}})).unwrap();
        assert!(!trusts(&deny, &caller, "aws"));
    }
}
