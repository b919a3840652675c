//! Reaching a spec's stack: clients for its region, who the caller is, and
//! the spec with the caller's account filled in.

use super::client::{AwsOptions, Clients, Identity};
use super::error::AwsError;
use crate::spec::Spec;

/// A spec's stack as the caller reaches it: clients for the spec's region,
/// who the caller is, and the spec with the caller's account filled in.
#[derive(Debug, Clone)]
pub struct Connected {
    pub clients: Clients,
    pub identity: Identity,
    pub spec: Spec,
}

/// Why a spec's stack cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// STS could not say who the caller is (no credentials, no network...).
    #[error(transparent)]
    Identity(#[from] AwsError),
    /// The spec names another account than the caller's.
    #[error(transparent)]
    Account(#[from] super::plan::PlanError),
}

/// Clients for `spec`'s region (the spec's region wins over `options`'),
/// the caller's identity, and the spec for the caller's account.
pub async fn connect(spec: &Spec, options: &AwsOptions) -> Result<Connected, ConnectError> {
    let mut options = options.clone();
    options.region = Some(spec.region.clone());
    let clients = Clients::load(&options, &spec.region).await;
    let identity = clients.identity().await?;
    tracing::info!(account = %identity.account, arn = %identity.arn, "caller identity");
    let spec = super::plan::for_account(spec, &identity)?;
    Ok(Connected {
        clients,
        identity,
        spec,
    })
}
