//! Temporary credentials for a connector that takes keys (Treasure Data's
//! recommended `auth_method: session`): STS GetFederationToken scoped to the
//! spec's permission policy, or GetSessionToken with the caller's own rights.

use std::fmt::Write as _;
use std::time::Duration;

use super::error::classify;
use super::{AwsError, Clients, Secret};
use crate::docs::{self, yaml_scalar as yaml};
use crate::spec::{Connector, Spec};

/// How the credentials are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GetFederationToken with the permission policy as its session policy:
    /// the credentials can do no more than the pipeline's policy allows
    /// (and no more than the caller). Needs an IAM user's long-term keys.
    Federated,
    /// GetSessionToken: the caller's own permissions, unscoped.
    Session,
}

/// Temporary credentials; the secret parts never print through `Debug`.
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// RFC 3339, as STS gives it.
    pub expiration: String,
    pub kind: Kind,
}

/// The longest and shortest lifetimes STS grants (GetFederationToken and
/// GetSessionToken alike, for an IAM user).
pub const MIN_DURATION: Duration = Duration::from_secs(900);
pub const MAX_DURATION: Duration = Duration::from_secs(129_600);

/// Asks STS for temporary credentials for `spec`'s connector. Refused
/// before any STS call when the caller holds session credentials (SSO, an
/// assumed role): STS makes these only from an IAM user's long-term keys.
pub async fn make(
    clients: &Clients,
    spec: &Spec,
    kind: Kind,
    duration: Duration,
) -> Result<TemporaryCredentials, AwsError> {
    if let Some(whose) = session_caller(clients).await {
        let action = match kind {
            Kind::Federated => "sts:GetFederationToken",
            Kind::Session => "sts:GetSessionToken",
        };
        return Err(AwsError::new(
            action,
            &spec.name,
            session_refusal(spec, action, &whose),
        ));
    }
    let secs = i32::try_from(duration.as_secs()).unwrap_or(i32::MAX);
    let (action, creds) = match kind {
        Kind::Federated => {
            let policy = docs::federation_session_policy(spec).to_string();
            let name = docs::federated_user_name(spec);
            let out = clients
                .sts
                .get_federation_token()
                .name(name)
                .policy(policy)
                .duration_seconds(secs)
                .send()
                .await
                .map_err(|e| {
                    let mut e = classify("sts:GetFederationToken", &spec.name, e);
                    if e.message.contains("session credentials")
                        || e.message.contains("temporary credentials")
                    {
                        e.message.push_str(&format!(
                            ": GetFederationToken needs an IAM user's long-term access keys (not a role's session) and sts:GetFederationToken on federated-user/{}, which the pipeline user's own policy allows: pass --key-file with the user's key file, or --session for the caller's own rights",
                            docs::federated_user_name(spec)
                        ));
                    }
                    e
                })?;
            ("sts:GetFederationToken", out.credentials().cloned())
        }
        Kind::Session => {
            let out = clients
                .sts
                .get_session_token()
                .duration_seconds(secs)
                .send()
                .await
                .map_err(|e| classify("sts:GetSessionToken", "the caller", e))?;
            ("sts:GetSessionToken", out.credentials().cloned())
        }
    };
    let creds = creds
        .ok_or_else(|| AwsError::new(action, &spec.name, "the answer carried no credentials"))?;
    Ok(TemporaryCredentials {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: Secret::new(creds.secret_access_key()),
        session_token: Secret::new(creds.session_token()),
        expiration: creds.expiration().to_string(),
        kind,
    })
}

/// Whose session the caller's credentials are, when they carry a session
/// token: an AWS SSO session, an assumed role's, a federated user's.
async fn session_caller(clients: &Clients) -> Option<String> {
    use aws_sdk_sts::config::ProvideCredentials;
    let provider = clients.config.credentials_provider()?;
    let credentials = provider.provide_credentials().await.ok()?;
    credentials.session_token()?;
    let arn = clients.identity().await.map(|i| i.arn).unwrap_or_default();
    Some(if arn.contains(":assumed-role/AWSReservedSSO_") {
        format!("an AWS SSO (IAM Identity Center) session ({arn})")
    } else if arn.contains(":assumed-role/") {
        format!("an assumed role's session ({arn})")
    } else if arn.contains(":federated-user/") {
        format!("a federated user's session ({arn})")
    } else if arn.is_empty() {
        "temporary credentials (they carry a session token)".to_owned()
    } else {
        format!("temporary credentials of {arn} (they carry a session token)")
    })
}

/// Why STS will not make credentials from a session, and what works.
fn session_refusal(spec: &Spec, action: &str, whose: &str) -> String {
    let operation = action.trim_start_matches("sts:");
    let vendor = spec.profile().vendor;
    let user_key = if spec.user.enabled && spec.user.create_access_key {
        format!(
            " (--key-file with the key of {} that apply wrote to {}_accessKeys.csv is one)",
            spec.user.name, spec.user.name
        )
    } else {
        String::new()
    };
    let role = if spec.connector == Connector::TreasureData {
        "Treasure Data's Amazon S3 Import Integration v2 takes auth_method assume_role".to_owned()
    } else {
        format!("if {vendor} can assume a role, give it the role sluice made instead")
    };
    format!(
        "the caller holds {whose}; STS makes temporary credentials only from an IAM user's long-term access keys and refuses a session (\"Cannot call {operation} with session credentials\"), with --session as well. What works: run sluice credentials with an IAM user's long-term keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile holding them){user_key}; or hand {vendor} a user's key itself; or, where the vendor supports a role, the role route ({role})"
    )
}

/// The credentials as the connector takes them: Treasure Data's `in:` load
/// configuration, or AWS's environment variables for any other. This text
/// holds the secret: it goes to the terminal once, or to a 0600 file.
pub fn render(spec: &Spec, creds: &TemporaryCredentials) -> String {
    let mut out = String::new();
    let scope = match creds.kind {
        Kind::Federated => format!("scoped to the permission policy {}", spec.policy.name),
        Kind::Session => "with the rights of the caller who made them".to_owned(),
    };
    let _ = writeln!(
        out,
        "# Temporary credentials for {}, {scope}; they expire at {} and cannot be revoked before.",
        spec.name, creds.expiration
    );
    if spec.connector == Connector::TreasureData {
        let _ = writeln!(out, "in:");
        let _ = writeln!(out, "  type: s3");
        let _ = writeln!(out, "  endpoint: {}", yaml(&docs::s3_endpoint(spec)));
        let _ = writeln!(out, "  auth_method: session");
        let _ = writeln!(out, "  access_key_id: {}", yaml(&creds.access_key_id));
        let _ = writeln!(
            out,
            "  secret_access_key: {}",
            yaml(creds.secret_access_key.expose())
        );
        let _ = writeln!(
            out,
            "  session_token: {}",
            yaml(creds.session_token.expose())
        );
        let _ = writeln!(out, "  bucket: {}", yaml(&spec.bucket.name));
        let _ = writeln!(out, "  path_prefix: {}", yaml(&spec.bucket.prefix));
    } else {
        let _ = writeln!(out, "AWS_ACCESS_KEY_ID={}", creds.access_key_id);
        let _ = writeln!(
            out,
            "AWS_SECRET_ACCESS_KEY={}",
            creds.secret_access_key.expose()
        );
        let _ = writeln!(out, "AWS_SESSION_TOKEN={}", creds.session_token.expose());
        let _ = writeln!(out, "AWS_REGION={}", spec.region);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> TemporaryCredentials {
        TemporaryCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t/abc+def"),
            session_token: Secret::new("tok=="),
            expiration: "2026-12-02T12:00:00Z".into(),
            kind: Kind::Federated,
        }
    }

    #[test]
    fn treasure_data_gets_its_in_block_with_the_session_token() {
        let mut spec = crate::spec::starter_for(
            Connector::TreasureData,
            "td",
            "us-west-2",
            Some("123456789012"),
        );
        spec.bucket.prefix = "imports/".into();
        let text = render(&spec, &creds());
        assert!(
            text.contains(
                "in:\n  type: s3\n  endpoint: s3.us-west-2.amazonaws.com\n  auth_method: session\n"
            ),
            "{text}"
        );
        assert!(text.contains("  session_token: tok==\n"), "{text}");
        assert!(
            text.contains("  secret_access_key: s3cr3t/abc+def\n"),
            "{text}"
        );
        assert!(text.contains("  path_prefix: imports/\n"), "{text}");
        assert!(
            text.contains("scoped to the permission policy td-import-policy"),
            "{text}"
        );
        assert_eq!(yaml(""), "''");
        assert_eq!(yaml("a: b"), "'a: b'");
        // Debug never shows a secret.
        assert!(!format!("{:?}", creds()).contains("s3cr3t"));
    }
}
