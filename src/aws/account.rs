//! Which account a spec is for: the caller's, filled in where the spec
//! names none, and another account's refused before anything is read
//! there. Connect, plan and the wizard all start from it.

use super::client::Identity;
use crate::spec::Spec;

/// Why a spec cannot be used with the caller's credentials.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the spec is for account {spec} but the credentials are for account {caller} ({arn})")]
    WrongAccount {
        spec: String,
        caller: String,
        arn: String,
    },
}

/// The spec as it applies to the caller's account: `account_id` filled in
/// (and the default trusted principal with it); another account's spec is refused.
pub fn for_account(spec: &Spec, caller: &Identity) -> Result<Spec, AccountError> {
    let mut spec = spec.clone();
    match &spec.account_id {
        Some(account) if account != &caller.account => {
            return Err(AccountError::WrongAccount {
                spec: account.clone(),
                caller: caller.account.clone(),
                arn: caller.arn.clone(),
            });
        }
        Some(_) => {}
        None => {
            // Only sluice's own default trusts the account's root; a
            // vendor's principals are the vendor's to give.
            if spec.role.trusted_principals.is_empty()
                && spec.profile().principals == crate::spec::profiles::Principals::Any
            {
                spec.role.trusted_principals = vec![format!(
                    "arn:{}:iam::{}:root",
                    crate::docs::partition(&spec.region),
                    caller.account
                )];
            }
            spec.account_id = Some(caller.account.clone());
        }
    }
    Ok(spec)
}
