//! Reaching a spec's stack: clients for its region, who the caller is, and
//! the spec with the caller's account filled in and its KMS aliases resolved.

use super::client::{AwsOptions, Clients, Identity};
use super::error::{AwsError, classify};
use crate::spec::{self, Spec};

/// A spec's stack as the caller reaches it: clients for the spec's region,
/// who the caller is, and the spec with the caller's account filled in.
#[derive(Debug, Clone)]
pub struct Connected {
    pub clients: Clients,
    pub identity: Identity,
    /// The spec for the caller's account, every KMS key named by its ARN.
    pub spec: Spec,
    /// The aliases the spec named, each with the key it stands for.
    pub kms_keys: Vec<ResolvedKey>,
}

/// A KMS alias of the spec, and the key kms:DescribeKey says it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The spec's field, e.g. `bucket.kms_key_arn`.
    pub path: &'static str,
    pub alias: String,
    pub key_arn: String,
    /// An AWS managed key (`alias/aws/…`), whose key policy nobody can change.
    pub aws_managed: bool,
}

/// Why a spec's stack cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// STS could not say who the caller is (no credentials, no network...).
    #[error(transparent)]
    Identity(#[from] AwsError),
    /// The spec names another account than the caller's.
    #[error(transparent)]
    Account(#[from] super::account::AccountError),
    /// A KMS alias of the spec could not be resolved.
    #[error(
        "{path}: {error}; give the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) instead of the alias"
    )]
    Alias { path: &'static str, error: AwsError },
    /// The spec, resolved, still breaks a rule.
    #[error("the spec is not valid:\n{0}")]
    Invalid(spec::ValidationErrors),
}

/// Clients for `spec`'s region (the spec's region wins over `options`'),
/// the caller's identity, and the spec for the caller's account.
pub async fn connect(spec: &Spec, options: &AwsOptions) -> Result<Connected, ConnectError> {
    let mut options = options.clone();
    options.region = Some(spec.region.clone());
    let clients = Clients::load(&options, &spec.region).await;
    let identity = clients.identity().await?;
    tracing::info!(account = %identity.account, arn = %identity.arn, "caller identity");
    let spec = super::account::for_account(spec, &identity)?;
    let (spec, kms_keys) = resolve_kms_aliases(&clients, &spec).await?;
    Ok(Connected {
        clients,
        identity,
        spec,
        kms_keys,
    })
}

/// The spec with each KMS key it names by an alias named by its key ARN,
/// as kms:DescribeKey resolves it: an IAM policy cannot name a key by its
/// alias in Resource (AWS KMS developer guide, "Using IAM policies with AWS
/// KMS"), and every document is made from this spec.
pub async fn resolve_kms_aliases(
    clients: &Clients,
    spec: &Spec,
) -> Result<(Spec, Vec<ResolvedKey>), ConnectError> {
    let mut resolved = spec.clone();
    let mut keys = Vec::new();
    for (path, alias) in spec::kms_aliases(spec) {
        let out = clients
            .kms
            .describe_key()
            .key_id(&alias)
            .send()
            .await
            .map_err(|e| ConnectError::Alias {
                path,
                error: classify("kms:DescribeKey", &alias, e),
            })?;
        let metadata = out.key_metadata().ok_or_else(|| ConnectError::Alias {
            path,
            error: AwsError::new("kms:DescribeKey", &alias, "the answer named no key"),
        })?;
        let key_arn = metadata.arn().unwrap_or_default().to_owned();
        if key_arn.is_empty() {
            return Err(ConnectError::Alias {
                path,
                error: AwsError::new("kms:DescribeKey", &alias, "the answer carried no key ARN"),
            });
        }
        let aws_managed = metadata.key_manager() == Some(&aws_sdk_kms::types::KeyManagerType::Aws);
        let slot = if path == spec::path::BUCKET_KMS_KEY_ARN {
            &mut resolved.bucket.kms_key_arn
        } else {
            &mut resolved.queue.kms_key_arn
        };
        *slot = Some(key_arn.clone());
        keys.push(ResolvedKey {
            path,
            alias,
            key_arn,
            aws_managed,
        });
    }
    spec::validate(&resolved).map_err(ConnectError::Invalid)?;
    Ok((resolved, keys))
}
