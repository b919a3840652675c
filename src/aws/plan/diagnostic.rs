//! What a plan finds beside its items: the errors that stop an apply and the
//! notes its reader should know. Each carries its data (the resource, the
//! names, the owner found, the AWS error, the spec key to change); `Display`
//! words it, and it serializes as those words, as plans always have.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::aws::AwsError;
use crate::aws::connect::ResolvedKey;
use crate::aws::orphans::Orphan;
use crate::aws::ownership::Owner;
use crate::docs::snowflake::StepOne;
use crate::docs::{MergeError, Overlap, ResourceKind, STACK_TAG};
use crate::spec::{Delivery, path};

/// What stops an apply: a resource that could not be read, one under the
/// spec's name that is not the stack's, a route that cannot work.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanError {
    /// The resource could not be read.
    Unreadable {
        resource: ResourceKind,
        error: AwsError,
    },
    /// The spec adopts a bucket or queue (`create: false`) that does not exist.
    AdoptedMissing {
        resource: ResourceKind,
        name: String,
    },
    /// A resource of the spec's name exists and is not the stack's.
    NotTheStacks {
        resource: ResourceKind,
        name: String,
        stack: String,
        /// Whose it is by its tags (never [`Owner::Stack`]).
        owner: Owner,
        remedy: Remedy,
    },
    /// The spec would create a bucket that exists and is not the stack's.
    ExistingBucket {
        name: String,
        stack: String,
        owner: Owner,
    },
    /// An EventBridge rule of the spec's name (`notification.id`) is not
    /// the stack's.
    ForeignRule {
        name: String,
        stack: String,
        owner: Owner,
    },
    /// SNS delivery relies on a bucket that does not exist.
    NoBucketForTopic { bucket: String, topic: String },
    /// SNS delivery: no entry of the bucket publishes our events to the
    /// topic (the reason, as the route's check words it).
    NoTopicEntry { reason: String },
    /// Our notification entry would overlap another entry of the bucket.
    Overlap(Box<Overlap>),
    /// Our notification entry cannot be merged into the bucket's configuration.
    Merge(MergeError),
    /// `alarms.topic_arn` names a topic that does not exist.
    AlarmTopicMissing {
        arn: String,
        /// The topic sluice would make instead.
        ours: String,
    },
}

/// What the spec can do about a resource of its name that is not the stack's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Choose another name, at this spec key.
    Rename(&'static str),
    /// Adopt the queue (`queue.create` false), or choose another `queue.name`.
    AdoptQueue,
    /// Name the existing topic in `alarms.topic_arn`.
    NotifyTopic { arn: String },
    /// Rename or delete the other alarm, or turn ours off at this spec key.
    TurnOff(&'static str),
}

/// Things observed or assumed that the reader of a plan should know.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanNote {
    /// The plan was made without reading AWS.
    Offline,
    /// A two-step vendor's values are still to come.
    VendorValuesPending(StepOne),
    /// The documents show a placeholder for the account id.
    AccountIdUnset,
    /// A KMS alias of the spec and the key it names.
    KmsAlias(ResolvedKey),
    /// The bucket was made by an apply of the stack stopped before tagging it.
    CreatedUntagged { name: String, stack: String },
    /// The bucket's own policy statements are kept beside ours.
    BucketPolicyKept { name: String },
    /// A policy or rule without the stack tag (CloudFormation makes them so),
    /// the stack's by its description: apply tags it.
    NoStackTag {
        resource: ResourceKind,
        name: String,
        stack: String,
    },
    /// A grant of the role beside the stack's policy; `broad` when it
    /// grants far more than a connector needs (an inline policy: every
    /// action on every resource).
    OtherGrant {
        role: String,
        grant: RoleGrant,
        broad: bool,
    },
    /// An access key of the user whose secret sluice did not save.
    UnsavedKey { user: String, key: String },
    /// Our entry, under an Id S3 gave it.
    EntryRecognised { id: String },
    /// Others' entries in the bucket's notification configuration, kept.
    OtherEntries { count: usize, delivery: Delivery },
    /// Our entry from direct delivery, removed as `by` replaces it.
    DirectEntryReplaced { id: String, by: Delivery },
    /// The adopted queue's subscription to the topic, left as it is.
    AdoptedSubscription { queue: String, arn: String },
    /// The stack's rule from EventBridge delivery, removed.
    RetiredRule { name: String },
    /// A subscription of the stack's queue to a topic the spec does not
    /// deliver through, removed.
    RetiredSubscription { queue: String, topic: String },
    /// The stack's queue's subscriptions could not be listed.
    SubscriptionsUnknown(AwsError),
    /// The stack's entry with no queue to send to, removed.
    RetiredEntry { id: String },
    /// The stack's user the spec no longer has, deleted with its keys.
    RetiredUser { name: String, access_keys: usize },
    /// A resource of the stack under a name the spec no longer uses, deleted.
    RetiredOrphan { orphan: Orphan, stack: String },
    /// The stack's resources under old names could not be looked for.
    OrphansUnknown(AwsError),
    /// The stack's alarm topic, deleted with its subscriptions.
    RetiredAlarmTopic { name: String, emails: Vec<String> },
}

/// What a role has beside the stack's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleGrant {
    /// Another managed policy attached, by its ARN.
    Attached(String),
    /// An inline policy, by its name.
    Inline(String),
}

impl PlanError {
    /// The kind of resource it is about, for front ends to group by.
    pub fn resource(&self) -> Option<ResourceKind> {
        Some(match self {
            PlanError::Unreadable { resource, .. }
            | PlanError::AdoptedMissing { resource, .. }
            | PlanError::NotTheStacks { resource, .. } => *resource,
            PlanError::ExistingBucket { .. } => ResourceKind::Bucket,
            PlanError::ForeignRule { .. } => ResourceKind::Rule,
            PlanError::NoBucketForTopic { .. } | PlanError::NoTopicEntry { .. } => {
                ResourceKind::Subscription
            }
            PlanError::Overlap(_) | PlanError::Merge(_) => ResourceKind::Notification,
            PlanError::AlarmTopicMissing { .. } => ResourceKind::AlarmTopic,
        })
    }
}

impl PlanNote {
    /// The kind of resource it is about, if one: for front ends to group by.
    pub fn resource(&self) -> Option<ResourceKind> {
        match self {
            PlanNote::Offline
            | PlanNote::VendorValuesPending(_)
            | PlanNote::AccountIdUnset
            | PlanNote::OrphansUnknown(_) => None,
            PlanNote::KmsAlias(key) => match key.path {
                path::QUEUE_KMS_KEY_ARN => Some(ResourceKind::Queue),
                path::BUCKET_KMS_KEY_ARN => Some(ResourceKind::Bucket),
                _ => None,
            },
            PlanNote::CreatedUntagged { .. } | PlanNote::BucketPolicyKept { .. } => {
                Some(ResourceKind::Bucket)
            }
            PlanNote::NoStackTag { resource, .. } => Some(*resource),
            PlanNote::OtherGrant { .. } => Some(ResourceKind::Role),
            PlanNote::UnsavedKey { .. } | PlanNote::RetiredUser { .. } => Some(ResourceKind::User),
            PlanNote::EntryRecognised { .. }
            | PlanNote::OtherEntries { .. }
            | PlanNote::DirectEntryReplaced { .. }
            | PlanNote::RetiredEntry { .. } => Some(ResourceKind::Notification),
            PlanNote::AdoptedSubscription { .. }
            | PlanNote::RetiredSubscription { .. }
            | PlanNote::SubscriptionsUnknown(_) => Some(ResourceKind::Subscription),
            PlanNote::RetiredRule { .. } => Some(ResourceKind::Rule),
            PlanNote::RetiredOrphan { orphan, .. } => Some(orphan.kind.resource()),
            PlanNote::RetiredAlarmTopic { .. } => Some(ResourceKind::AlarmTopic),
        }
    }
}

/// "belongs to stack X (sluice:stack=X)" for another stack's resource, else
/// `untagged` (what else it lacks).
fn whose(f: &mut fmt::Formatter<'_>, owner: &Owner, untagged: fmt::Arguments) -> fmt::Result {
    match owner {
        Owner::Other(other) => write!(f, "belongs to stack {other} ({STACK_TAG}={other})"),
        _ => write!(f, "exists and is not this stack's ({untagged})"),
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Unreadable { resource, error } => {
                write!(f, "{}: {error}", resource.as_str())
            }
            PlanError::AdoptedMissing { resource, name } => {
                let noun = if *resource == ResourceKind::Bucket {
                    "bucket"
                } else {
                    "queue"
                };
                write!(
                    f,
                    "{noun} {name} does not exist; the spec adopts an existing {noun} ({noun}.create is false)"
                )
            }
            PlanError::NotTheStacks {
                resource,
                name,
                stack,
                owner,
                remedy,
            } => {
                write!(f, "{} {name} ", resource.as_str())?;
                whose(
                    f,
                    owner,
                    format_args!("no {STACK_TAG}={stack} tag, nor the description sluice writes"),
                )?;
                write!(f, ": sluice does not take over what others made; {remedy}")
            }
            PlanError::ExistingBucket { name, stack, owner } => {
                write!(f, "bucket {name} ")?;
                whose(f, owner, format_args!("no {STACK_TAG}={stack} tag"))?;
                f.write_str(": the spec would create it (bucket.create is true) and bring its settings and policy in line. To use it as it is, adopt it (bucket.create false: only the pipeline's notification is added, nothing else changes and destroy keeps it), or choose another bucket.name")
            }
            PlanError::ForeignRule { name, stack, .. } => write!(
                f,
                "an EventBridge rule {name} exists and is not this stack's (no {STACK_TAG}={stack} tag): choose another notification.id, which names the rule"
            ),
            PlanError::NoBucketForTopic { bucket, topic } => write!(
                f,
                "bucket {bucket} does not exist: notification.delivery sns relies on the topic entry of a bucket that already publishes to {topic}"
            ),
            PlanError::NoTopicEntry { reason } => write!(f, "{reason}; nothing will be written"),
            PlanError::Overlap(overlap) => {
                write!(
                    f,
                    "{}; nothing will be written. Two routes deliver to our queue without touching that entry: ",
                    MergeError::Overlap(overlap.clone())
                )?;
                if overlap.kind == "topic" {
                    write!(
                        f,
                        "through that entry's topic, to which the bucket already publishes these events (set notification.delivery to \"sns\" and notification.topic_arn to \"{}\" in the spec)",
                        overlap.target
                    )?;
                } else {
                    f.write_str("through an SNS topic the bucket already publishes these events to (set notification.delivery to \"sns\" and notification.topic_arn to its ARN in the spec)")?;
                }
                f.write_str(
                    "; or through EventBridge (set notification.delivery to \"eventbridge\")",
                )
            }
            PlanError::Merge(e @ (MergeError::Overlap(_) | MergeError::IdTaken { .. })) => {
                write!(f, "{e}; nothing will be written")
            }
            PlanError::Merge(e) => write!(f, "{e}"),
            PlanError::AlarmTopicMissing { arn, ours } => write!(
                f,
                "alarms.topic_arn: the topic {arn} does not exist: the alarms would notify nobody; create it, or remove alarms.topic_arn to have sluice make {ours}"
            ),
        }
    }
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::Rename(key) => write!(f, "choose another {key}"),
            Remedy::AdoptQueue => f.write_str("adopt it (queue.create false: only the pipeline's statement is added to its access policy, and destroy keeps it), or choose another queue.name"),
            Remedy::NotifyTopic { arn } => write!(
                f,
                "name it in alarms.topic_arn ({arn}) to have the alarms notify it as it is"
            ),
            Remedy::TurnOff(key) => {
                write!(f, "rename or delete that alarm, or turn this one off ({key})")
            }
        }
    }
}

/// What a role's other grants give the connector, said of each.
const GRANTS_TOO: &str = "whoever assumes the role (the connector) gets its permissions too; sluice neither needs nor removes it";

impl fmt::Display for PlanNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanNote::Offline => f.write_str(
                "offline: nothing was read from AWS; every resource is shown as if it did not exist yet",
            ),
            PlanNote::VendorValuesPending(step) => write!(f, "{step}"),
            PlanNote::AccountIdUnset => write!(
                f,
                "account_id is not set: documents show {} where the account id goes; apply fills it in from the caller's identity",
                crate::docs::ACCOUNT_PLACEHOLDER
            ),
            PlanNote::KmsAlias(key) => write!(
                f,
                "{}: the alias {} is the key {} (kms:DescribeKey); the documents name the key",
                key.path, key.alias, key.key_arn
            ),
            PlanNote::CreatedUntagged { name, stack } => write!(
                f,
                "bucket {name} was created by an apply of this stack that stopped before tagging it (sluice's record of creations): apply tags it {STACK_TAG}={stack}"
            ),
            PlanNote::BucketPolicyKept { name } => write!(
                f,
                "bucket {name} has a bucket policy of its own: sluice's statement is added to it, the others are kept"
            ),
            PlanNote::NoStackTag {
                resource: ResourceKind::Rule,
                name,
                stack,
            } => write!(
                f,
                "rule {name} carries no {STACK_TAG} tag (CloudFormation makes rules so): it is this stack's by its description, and apply tags it {STACK_TAG}={stack}"
            ),
            PlanNote::NoStackTag {
                resource,
                name,
                stack,
            } => write!(
                f,
                "{} {name} carries no {STACK_TAG} tag (CloudFormation makes policies so): apply tags it {STACK_TAG}={stack}",
                resource.as_str()
            ),
            PlanNote::OtherGrant {
                role,
                grant: RoleGrant::Attached(arn),
                broad,
            } => {
                let broad = if *broad {
                    ", which grants far more than a connector needs"
                } else {
                    ""
                };
                write!(f, "role {role} also has the policy {arn} attached{broad}: {GRANTS_TOO}")
            }
            PlanNote::OtherGrant {
                role,
                grant: RoleGrant::Inline(policy),
                broad,
            } => {
                let broad = if *broad {
                    " that allows every action on every resource"
                } else {
                    ""
                };
                write!(f, "role {role} has an inline policy {policy}{broad}: {GRANTS_TOO}")
            }
            PlanNote::UnsavedKey { user, key } => write!(
                f,
                "user {user} has access key {key}, whose secret sluice did not save on this machine (made elsewhere, or by an apply stopped after IAM made it): if nobody holds it, replace it with `aws iam create-access-key --user-name {user}`, then `aws iam delete-access-key --user-name {user} --access-key-id {key}`"
            ),
            PlanNote::EntryRecognised { id } => write!(
                f,
                "notification entry {id} is sluice's (this queue, these events, this key filter) under an Id S3 gave it, as CloudFormation leaves it: kept as it is"
            ),
            PlanNote::OtherEntries { count, delivery } => write!(
                f,
                "the bucket's notification configuration has {count} other entr{}: kept as they are{}",
                if *count == 1 { "y" } else { "ies" },
                if *delivery == Delivery::Eventbridge {
                    ", EventBridge delivery is added beside them"
                } else {
                    ""
                }
            ),
            PlanNote::DirectEntryReplaced { id, by } => write!(
                f,
                "notification entry {id} is sluice's from direct delivery: it is removed, as {} replaces it",
                if *by == Delivery::Eventbridge {
                    "EventBridge"
                } else {
                    "the subscription"
                }
            ),
            PlanNote::AdoptedSubscription { queue, arn } => write!(
                f,
                "queue {queue} is adopted and already subscribed to the topic ({arn}): the subscription is left as it is"
            ),
            PlanNote::RetiredRule { name } => write!(
                f,
                "EventBridge rule {name} is this stack's from EventBridge delivery, which the spec no longer uses: while it stays, each event arrives twice; apply removes it (and the bucket's EventBridge delivery when no other rule may use it)"
            ),
            PlanNote::RetiredSubscription { queue, topic } => write!(
                f,
                "queue {queue} is subscribed to {topic}, a topic the spec does not deliver through (left by an earlier SNS delivery, or made by hand): whatever the topic publishes would arrive among the pipeline's records (each event twice, when the spec's route brings it too); apply unsubscribes it (the topic and its other subscriptions are left as they are)"
            ),
            PlanNote::SubscriptionsUnknown(e) => write!(
                f,
                "the stack's queue's subscriptions could not be listed ({e}): one to a topic the spec does not deliver through would stay"
            ),
            PlanNote::RetiredEntry { id } => write!(
                f,
                "notification entry {id} is this stack's, and the spec has no queue for it now: it would keep sending to a queue nobody reads; apply removes it (entries of others kept)"
            ),
            PlanNote::RetiredUser { name, access_keys } => write!(
                f,
                "user {name} is this stack's and the spec no longer has a user: apply deletes it with its {} (a deleted key cannot be restored; anyone using it loses access)",
                crate::words::count(*access_keys, "access key")
            ),
            PlanNote::RetiredOrphan { orphan, stack } => write!(
                f,
                "{} is this stack's (tag {STACK_TAG}={stack}) and the spec no longer names it (renamed, turned off, or the previous connector's): apply deletes it as destroy would{}",
                orphan.label(),
                if orphan.kind == crate::aws::orphans::OrphanKind::Queue {
                    ", keeping it while it holds messages"
                } else {
                    ""
                }
            ),
            PlanNote::OrphansUnknown(e) => write!(
                f,
                "resources of this stack under names the spec no longer uses could not be looked for ({e}): a renamed queue, policy, role or user would stay"
            ),
            PlanNote::RetiredAlarmTopic { name, emails } => write!(
                f,
                "the alarm topic {name} goes with its subscriptions ({})",
                emails.join(", ")
            ),
        }
    }
}

/// Serialized as its words: the JSON of a plan says what it always said.
impl Serialize for PlanError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Serialized as its words, like [`PlanError`].
impl Serialize for PlanNote {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_bucket_of_another_stack_is_refused_naming_it() {
        let refusal = PlanError::ExistingBucket {
            name: "b".into(),
            stack: "acme".into(),
            owner: Owner::Other("lake".into()),
        };
        assert!(
            refusal
                .to_string()
                .starts_with("bucket b belongs to stack lake")
        );
    }

    #[test]
    fn each_is_serialized_as_its_words_and_names_its_resource() {
        let error = PlanError::NotTheStacks {
            resource: ResourceKind::Role,
            name: "acme-role".into(),
            stack: "acme".into(),
            owner: Owner::Other("lake".into()),
            remedy: Remedy::Rename(path::ROLE_NAME),
        };
        let words = "role acme-role belongs to stack lake (sluice:stack=lake): sluice does not take over what others made; choose another role.name";
        assert_eq!(error.to_string(), words);
        assert_eq!(serde_json::json!(error), serde_json::json!(words));
        assert_eq!(error.resource(), Some(ResourceKind::Role));
        let note = PlanNote::OtherEntries {
            count: 2,
            delivery: Delivery::Direct,
        };
        assert_eq!(
            serde_json::json!([note]),
            serde_json::json!([
                "the bucket's notification configuration has 2 other entries: kept as they are"
            ])
        );
        assert_eq!(note.resource(), Some(ResourceKind::Notification));
        assert_eq!(PlanNote::Offline.resource(), None);
    }

    #[test]
    fn a_plans_json_has_its_notes_and_errors_as_sentences() {
        let spec = crate::spec::starter("acme", "us-west-2", None);
        let json = serde_json::json!(crate::aws::Plan::offline(&spec));
        assert_eq!(
            json["notes"][0],
            "offline: nothing was read from AWS; every resource is shown as if it did not exist yet"
        );
        assert!(
            json["notes"][1]
                .as_str()
                .is_some_and(|n| n.starts_with("account_id is not set"))
        );
        assert_eq!(json["errors"], serde_json::json!([]));
    }

    #[test]
    fn an_untagged_resource_is_told_apart_from_another_stacks() {
        let refused = |owner| PlanError::NotTheStacks {
            resource: ResourceKind::Queue,
            name: "q".into(),
            stack: "acme".into(),
            owner,
            remedy: Remedy::AdoptQueue,
        };
        assert!(
            refused(Owner::Untagged)
                .to_string()
                .starts_with("queue q exists and is not this stack's (no sluice:stack=acme tag, nor the description sluice writes): ")
        );
        assert!(
            refused(Owner::Other("b".into()))
                .to_string()
                .starts_with("queue q belongs to stack b (sluice:stack=b): ")
        );
    }
}
