//! Whose a resource is. A resource is the stack's only when it carries the
//! stack's tag (`sluice:stack` = the stack's name); a name alone proves
//! nothing, since another team may have made a resource of that name.

use std::collections::BTreeMap;

use super::client::Clients;
use super::error::{AwsError, classify, optional};
use crate::docs::STACK_TAG;

/// A resource whose tags are read, as each service names it.
#[derive(Debug, Clone, Copy)]
pub enum Tagged<'a> {
    /// A queue by its URL, named in errors by its name.
    Queue {
        url: &'a str,
        name: &'a str,
    },
    Role(&'a str),
    /// A customer managed policy by its ARN.
    Policy(&'a str),
    User(&'a str),
}

/// The tags of `what`, or `None` when it does not exist (or is gone since
/// it was listed): what proves a resource the stack's, for destroy and for
/// the search for orphans alike.
pub async fn read_tags(
    clients: &Clients,
    what: Tagged<'_>,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let (iam, sqs) = (&clients.iam, &clients.sqs);
    Ok(match what {
        Tagged::Queue { url, name } => optional(
            sqs.list_queue_tags()
                .queue_url(url)
                .send()
                .await
                .map_err(|e| classify("sqs:ListQueueTags", name, e)),
        )?
        .map(|out| {
            out.tags()
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default()
        }),
        Tagged::Role(name) => optional(
            iam.list_role_tags()
                .role_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListRoleTags", name, e)),
        )?
        .map(|out| iam_tags(out.tags())),
        Tagged::Policy(arn) => optional(
            iam.list_policy_tags()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| classify("iam:ListPolicyTags", arn, e)),
        )?
        .map(|out| iam_tags(out.tags())),
        Tagged::User(name) => optional(
            iam.list_user_tags()
                .user_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListUserTags", name, e)),
        )?
        .map(|out| iam_tags(out.tags())),
    })
}

/// Whose a resource is, by its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this stack's name.
    Stack,
    /// No stack tag: made by someone else, or by hand.
    Untagged,
    /// Tagged by another sluice stack, named.
    Other(String),
}

/// Whose a resource with `tags` is, for the stack called `stack`.
pub fn owner(tags: &BTreeMap<String, String>, stack: &str) -> Owner {
    match tags.get(STACK_TAG) {
        Some(value) if value == stack => Owner::Stack,
        Some(other) => Owner::Other(other.clone()),
        None => Owner::Untagged,
    }
}

/// Why a resource that is not the stack's is not, in words.
pub fn not_ours(owner: &Owner, stack: &str) -> String {
    match owner {
        Owner::Other(other) => {
            format!("tagged {STACK_TAG}={other}, not {stack}: it belongs to another stack")
        }
        _ => format!("not tagged {STACK_TAG}={stack}: sluice did not create it"),
    }
}

/// IAM tags as a map.
pub fn iam_tags(tags: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// S3 tags as a map.
pub fn s3_tags(tags: &[aws_sdk_s3::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_is_the_stack_tag() {
        let tags = |v: &[(&str, &str)]| -> BTreeMap<String, String> {
            v.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(
            owner(&tags(&[("sluice:stack", "acme")]), "acme"),
            Owner::Stack
        );
        assert_eq!(
            owner(&tags(&[("managed-by", "sluice")]), "acme"),
            Owner::Untagged
        );
        assert_eq!(
            owner(&tags(&[("sluice:stack", "other")]), "acme"),
            Owner::Other("other".into())
        );
        assert!(not_ours(&Owner::Untagged, "acme").contains("not tagged sluice:stack=acme"));
        assert!(not_ours(&Owner::Other("b".into()), "acme").contains("another stack"));
    }
}
