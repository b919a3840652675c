//! Reading the current state of every resource of a spec, concurrently.
//! "Not found" is a state (`None`); any other failure is kept per resource
//! (with the action that was denied) while the rest is still observed.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    Event as S3Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    TopicConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Map, Value, json};

use super::client::{Clients, Identity};
use super::emulator::is_empty_answer;
use super::error::{AwsError, classify, optional};
use crate::docs::Arns;
use crate::spec::{Delivery, Spec};

/// `Ok(None)`: it does not exist. `Err`: it could not be read.
pub type Observed<T> = Result<Option<T>, AwsError>;

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyState {
    pub arn: String,
    pub default_version: String,
    pub document: Value,
    /// Versions, oldest first: (id, is default).
    pub versions: Vec<(String, bool)>,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleState {
    pub arn: String,
    pub trust_policy: Value,
    pub attached: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
    /// Inline policies on the role, by name, each with whether it grants
    /// every action (or every action of a service) on every resource.
    pub inline: Vec<(String, bool)>,
    /// The attached policies that grant that much.
    pub broad: std::collections::BTreeSet<String>,
}

/// Whether a policy document allows every action, or every action of a
/// service, on every resource: a grant far wider than a connector needs.
pub fn grants_everything(document: &Value) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return false,
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
            && s.get("Resource")
                .map(list)
                .is_some_and(|r| r.iter().any(|r| r == "*"))
            && s.get("Action")
                .map(list)
                .is_some_and(|a| a.iter().any(|a| a == "*" || a.ends_with(":*")))
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    pub arn: String,
    pub attached: Vec<String>,
    pub access_keys: usize,
    pub tags: BTreeMap<String, String>,
    /// Access keys whose secret sluice did not save on this machine (by its
    /// record of saved keys, [`super::journal::keys`]).
    pub unsaved_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub region: String,
    pub public_access_block: Option<Value>,
    pub ownership_controls: Option<Value>,
    pub encryption: Option<Value>,
    pub versioning: Option<Value>,
    /// `{"ObjectLockEnabled": "Enabled"}` when the bucket has Object Lock.
    pub object_lock: Option<Value>,
    pub policy: Option<Value>,
    /// The notification configuration in the S3 API's JSON shape.
    pub notification: Value,
    pub tags: BTreeMap<String, String>,
    /// The stack whose apply created this bucket and stopped before tagging
    /// it, by sluice's record of creations ([`super::journal`]).
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueState {
    pub url: String,
    pub arn: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// The queue's subscription to the bucket's topic.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionState {
    pub arn: String,
    /// As GetSubscriptionAttributes reports them (the filter policy parsed).
    pub attributes: BTreeMap<String, Value>,
}

/// The EventBridge rule named after the notification id.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleState {
    pub arn: String,
    pub event_pattern: Value,
    pub state: String,
    pub description: String,
    /// Every target, as (Id, Arn).
    pub targets: Vec<(String, String)>,
    pub tags: BTreeMap<String, String>,
}

/// Everything observed for one spec.
#[derive(Debug, Clone)]
pub struct Observation {
    pub identity: Identity,
    pub policy: Observed<PolicyState>,
    /// `Ok(None)` too when the spec has no role.
    pub role: Observed<RoleState>,
    pub user: Observed<UserState>,
    pub bucket: Observed<BucketState>,
    pub dlq: Observed<QueueState>,
    pub queue: Observed<QueueState>,
    /// `Ok(None)` too when the spec delivers otherwise than through SNS.
    pub subscription: Observed<SubscriptionState>,
    /// The EventBridge rule named as the notification: the route's when the
    /// spec delivers through EventBridge, else one left from when it did.
    pub rule: Observed<RuleState>,
    /// Resources of the stack the spec no longer names (renamed, turned off,
    /// the previous connector's).
    pub orphans: Result<Vec<super::orphans::Orphan>, AwsError>,
}

/// Observes every resource of `spec`, whose `account_id` must be the caller's
/// (see [`super::plan::for_account`]): ARNs are built from it.
pub async fn observe(clients: &Clients, spec: &Spec, identity: Identity) -> Observation {
    let mut resolved;
    let spec = if spec.account_id.is_none() {
        resolved = spec.clone();
        resolved.account_id = Some(identity.account.clone());
        &resolved
    } else {
        spec
    };
    let arns = Arns::of(spec);
    let dlq_wanted = spec.has_dead_letter() && spec.queue.create;
    let delivery = spec.delivery();
    let (policy, role, user, bucket, dlq, queue, subscription, rule, orphans) = tokio::join!(
        observe_policy(clients, &arns.policy),
        async {
            if spec.role.enabled {
                observe_role(clients, &spec.role.name).await
            } else {
                Ok(None)
            }
        },
        async {
            if spec.user.enabled {
                observe_user(clients, &spec.user.name).await
            } else if spec.user.name.is_empty() {
                Ok(None)
            } else {
                // A user of the stack left from when the spec had one (plan
                // deletes it); without IAM read rights nothing is seen.
                match observe_user(clients, &spec.user.name).await {
                    Err(e) if e.kind == super::ErrorKind::AccessDenied => Ok(None),
                    other => other,
                }
            }
        },
        observe_bucket(clients, &spec.bucket.name, &identity.account, &spec.region),
        async {
            if dlq_wanted {
                observe_queue(clients, &spec.queue.dead_letter.name).await
            } else {
                Ok(None)
            }
        },
        async {
            if spec.has_queue() {
                observe_queue(clients, &spec.queue.name).await
            } else {
                Ok(None)
            }
        },
        async {
            match (delivery, &spec.notification.topic_arn) {
                (Some(Delivery::Sns), Some(topic)) => {
                    observe_subscription(clients, topic, &arns.queue).await
                }
                // The stack's queue still subscribed to a topic from SNS
                // delivery (plan unsubscribes it); without SNS rights
                // nothing is seen.
                (_, _) if spec.queue.enabled && spec.queue.create && delivery.is_some() => {
                    match subscription_to(clients, &arns.queue).await {
                        Err(e) if e.kind == super::ErrorKind::AccessDenied => Ok(None),
                        other => other,
                    }
                }
                _ => Ok(None),
            }
        },
        async {
            if delivery == Some(Delivery::Eventbridge) {
                observe_rule(clients, &spec.notification.id).await
            } else if spec.notification.id.is_empty() {
                Ok(None)
            } else {
                // A rule of ours left from EventBridge delivery (plan removes
                // it). A caller without EventBridge rights is not stopped
                // for it: nothing is seen.
                match observe_rule(clients, &spec.notification.id).await {
                    Err(e) if e.kind == super::ErrorKind::AccessDenied => Ok(None),
                    other => other,
                }
            }
        },
        super::orphans::find(clients, spec, &identity.account),
    );
    // Which of the user's keys had their secret saved here.
    let user = user.map(|found| {
        found.map(|mut u| {
            let saved = super::journal::default_dir()
                .map(|dir| super::journal::keys::saved(&dir, &identity.account, &spec.user.name))
                .unwrap_or_default();
            u.unsaved_keys.retain(|k| !saved.contains_key(k));
            u
        })
    });
    // An untagged bucket this stack's apply made and did not finish tagging.
    let bucket = bucket.map(|found| {
        found.map(|mut b| {
            if !b.tags.contains_key(crate::docs::STACK_TAG) {
                b.created_by = super::journal::default_dir().and_then(|dir| {
                    super::journal::claimed_by(&dir, &identity.account, &spec.bucket.name)
                });
            }
            b
        })
    });
    Observation {
        identity,
        policy,
        role,
        user,
        bucket,
        dlq,
        queue,
        subscription,
        rule,
        orphans,
    }
}

/// A subscription of the queue `queue_arn` to any topic (SNS lists them
/// account-wide, a page of 100 at a time).
async fn subscription_to(clients: &Clients, queue_arn: &str) -> Observed<SubscriptionState> {
    let mut token = None;
    loop {
        let page = clients
            .sns
            .list_subscriptions()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sns:ListSubscriptions", queue_arn, e))?;
        for sub in page.subscriptions() {
            if sub.endpoint() == Some(queue_arn)
                && sub.protocol() == Some("sqs")
                && let Some(topic) = sub.topic_arn()
            {
                return observe_subscription(clients, topic, queue_arn).await;
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(None);
        }
    }
}

/// The subscription of the queue `queue_arn` to `topic`, when there is one.
pub async fn observe_subscription(
    clients: &Clients,
    topic: &str,
    queue_arn: &str,
) -> Observed<SubscriptionState> {
    let Some(arn) = find_subscription(clients, topic, queue_arn).await? else {
        return Ok(None);
    };
    let out = clients
        .sns
        .get_subscription_attributes()
        .subscription_arn(&arn)
        .send()
        .await
        .map_err(|e| classify("sns:GetSubscriptionAttributes", &arn, e))?;
    let attributes = out
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = match k.as_str() {
                "FilterPolicy" | "DeliveryPolicy" | "EffectiveDeliveryPolicy" | "RedrivePolicy" => {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()))
                }
                _ => Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect();
    Ok(Some(SubscriptionState { arn, attributes }))
}

/// The ARN of the queue's SQS subscription to `topic`. A topic that does
/// not exist is an error: the spec names one the bucket already publishes to.
pub async fn find_subscription(
    clients: &Clients,
    topic: &str,
    queue_arn: &str,
) -> Result<Option<String>, AwsError> {
    let mut pages = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("sns:ListSubscriptionsByTopic", topic, e))?;
        if let Some(found) = page.subscriptions().iter().find(|s| {
            s.protocol() == Some("sqs")
                && s.endpoint() == Some(queue_arn)
                // Not yet confirmed (cross-account): no ARN to manage yet.
                && s.subscription_arn().is_some_and(|a| a.starts_with("arn:"))
        }) {
            return Ok(found.subscription_arn().map(str::to_owned));
        }
    }
    Ok(None)
}

/// The EventBridge rule `name` on the default bus, with its targets and tags.
pub async fn observe_rule(clients: &Clients, name: &str) -> Observed<RuleState> {
    let events = &clients.events;
    let described = events.describe_rule().name(name).send().await;
    let Some(rule) = optional(described.map_err(|e| classify("events:DescribeRule", name, e)))?
    else {
        return Ok(None);
    };
    let arn = rule.arn().unwrap_or_default().to_owned();
    let (targets, tags) = tokio::join!(
        events.list_targets_by_rule().rule(name).send(),
        events.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let targets = targets
        .map_err(|e| classify("events:ListTargetsByRule", name, e))?
        .targets()
        .iter()
        .map(|t| (t.id().to_owned(), t.arn().to_owned()))
        .collect();
    let tags = tags
        .map_err(|e| classify("events:ListTagsForResource", name, e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(RuleState {
        arn,
        event_pattern: rule
            .event_pattern()
            .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_owned())))
            .unwrap_or(Value::Null),
        state: rule
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        description: rule.description().unwrap_or_default().to_owned(),
        targets,
        tags,
    }))
}

pub use super::ownership::{iam_tags, s3_tags};

/// IAM returns policy documents URL-encoded; some emulators do not.
pub fn decode_policy_document(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str(text) {
        return Ok(v);
    }
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_err(|e| format!("policy document is not UTF-8: {e}"))?;
    serde_json::from_str(&decoded).map_err(|e| format!("policy document is not JSON: {e}"))
}

pub async fn observe_policy(clients: &Clients, arn: &str) -> Observed<PolicyState> {
    let got = optional(
        clients
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicy", arn, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let tags = got.policy().map(|p| iam_tags(p.tags())).unwrap_or_default();
    let description = got
        .policy()
        .and_then(|p| p.description())
        .map(str::to_owned);
    let default_version = got
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    let version = clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&default_version)
        .send()
        .await
        .map_err(|e| classify("iam:GetPolicyVersion", arn, e))?;
    let text = version
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or("{}");
    let document =
        decode_policy_document(text).map_err(|m| AwsError::new("iam:GetPolicyVersion", arn, m))?;
    let listed = clients
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify("iam:ListPolicyVersions", arn, e))?;
    let mut versions: Vec<(String, bool, i64)> = listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_owned(),
                v.is_default_version(),
                v.create_date().map(|d| d.secs()).unwrap_or_default(),
            )
        })
        .collect();
    versions.sort_by_key(|(_, _, created)| *created);
    Ok(Some(PolicyState {
        arn: arn.to_owned(),
        default_version,
        document,
        versions: versions
            .into_iter()
            .map(|(id, default, _)| (id, default))
            .collect(),
        tags,
        description,
    }))
}

pub async fn observe_role(clients: &Clients, name: &str) -> Observed<RoleState> {
    let got = optional(
        clients
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:GetRole", name, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let Some(role) = got.role() else {
        return Ok(None);
    };
    let trust_policy = decode_policy_document(role.assume_role_policy_document().unwrap_or("{}"))
        .map_err(|m| AwsError::new("iam:GetRole", name, m))?;
    let attached: Vec<String> = clients
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedRolePolicies", name, e))?
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let tags = iam_tags(
        clients
            .iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListRoleTags", name, e))?
            .tags(),
    );
    let mut inline = Vec::new();
    let names = clients
        .iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListRolePolicies", name, e))?;
    for policy in names.policy_names() {
        let got = clients
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| classify("iam:GetRolePolicy", name, e))?;
        let document = decode_policy_document(got.policy_document())
            .map_err(|m| AwsError::new("iam:GetRolePolicy", name, m))?;
        inline.push((policy.clone(), grants_everything(&document)));
    }
    let mut broad = std::collections::BTreeSet::new();
    for arn in &attached {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let wide = if arn.contains(":iam::aws:policy/") {
            // AWS's own: by name (its documents are AWS's, and long).
            name == "AdministratorAccess"
                || name == "PowerUserAccess"
                || name.ends_with("FullAccess")
        } else {
            matches!(observe_policy(clients, arn).await, Ok(Some(p)) if grants_everything(&p.document))
        };
        if wide {
            broad.insert(arn.clone());
        }
    }
    Ok(Some(RoleState {
        arn: role.arn().to_owned(),
        trust_policy,
        attached,
        tags,
        description: role.description().map(str::to_owned),
        inline,
        broad,
    }))
}

pub async fn observe_user(clients: &Clients, name: &str) -> Observed<UserState> {
    let got = optional(
        clients
            .iam
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:GetUser", name, e)),
    )?;
    let Some(got) = got else { return Ok(None) };
    let Some(user) = got.user() else {
        return Ok(None);
    };
    let attached = clients
        .iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedUserPolicies", name, e))?
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let keys: Vec<String> = clients
        .iam
        .list_access_keys()
        .user_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAccessKeys", name, e))?
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect();
    let tags = iam_tags(
        clients
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map_err(|e| classify("iam:ListUserTags", name, e))?
            .tags(),
    );
    Ok(Some(UserState {
        arn: user.arn().to_owned(),
        attached,
        access_keys: keys.len(),
        tags,
        unsaved_keys: keys,
    }))
}

/// Observes the bucket; refuses one owned by another account or in another region.
pub async fn observe_bucket(
    clients: &Clients,
    bucket: &str,
    account: &str,
    region: &str,
) -> Observed<BucketState> {
    let head = clients
        .s3
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucket", bucket, e));
    match head {
        Ok(_) => {}
        Err(e) if e.is_not_found() => return Ok(None),
        Err(mut e) if e.bucket_region().is_some() => {
            let actual = e.bucket_region().unwrap_or_default().to_owned();
            e.message = wrong_region(&actual, region);
            return Err(e);
        }
        Err(mut e) if e.kind == super::ErrorKind::AccessDenied => {
            e.message = format!(
                "the bucket exists but is not readable by this account ({account}): it may belong to another account; S3 bucket names are global, so choose another name or use the owner's credentials"
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    let location = clients
        .s3
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| classify("s3:GetBucketLocation", bucket, e))?;
    let actual_region = match location.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(other) => other.to_owned(),
    };
    if actual_region != region {
        return Err(AwsError::new(
            "s3:GetBucketLocation",
            bucket,
            wrong_region(&actual_region, region),
        ));
    }
    let s3 = &clients.s3;
    let (pab, ownership, encryption, versioning, object_lock, policy, notification, tags) = tokio::join!(
        async {
            optional(
                s3.get_public_access_block()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketPublicAccessBlock", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.public_access_block_configuration().map(|c| {
                        json!({
                            "BlockPublicAcls": c.block_public_acls().unwrap_or(false),
                            "IgnorePublicAcls": c.ignore_public_acls().unwrap_or(false),
                            "BlockPublicPolicy": c.block_public_policy().unwrap_or(false),
                            "RestrictPublicBuckets": c.restrict_public_buckets().unwrap_or(false),
                        })
                    })
                })
            })
        },
        async {
            optional(s3.get_bucket_ownership_controls().bucket(bucket).send().await.map_err(|e| classify("s3:GetBucketOwnershipControls", bucket, e)))
                .map(|o| o.and_then(|o| o.ownership_controls().map(|c| json!({
                    "Rules": c.rules().iter().map(|r| json!({"ObjectOwnership": r.object_ownership().as_str()})).collect::<Vec<_>>()
                }))))
        },
        async {
            optional(s3.get_bucket_encryption().bucket(bucket).send().await.map_err(|e| classify("s3:GetEncryptionConfiguration", bucket, e)))
                .map(|o| o.and_then(|o| o.server_side_encryption_configuration().map(|c| json!({
                    "Rules": c.rules().iter().map(|r| {
                        let mut rule = Map::new();
                        if let Some(d) = r.apply_server_side_encryption_by_default() {
                            let mut by_default = Map::new();
                            by_default.insert("SSEAlgorithm".into(), d.sse_algorithm().as_str().into());
                            if let Some(key) = d.kms_master_key_id() {
                                by_default.insert("KMSMasterKeyID".into(), key.into());
                            }
                            rule.insert("ApplyServerSideEncryptionByDefault".into(), Value::Object(by_default));
                        }
                        rule.insert("BucketKeyEnabled".into(), r.bucket_key_enabled().unwrap_or(false).into());
                        Value::Object(rule)
                    }).collect::<Vec<_>>()
                }))))
        },
        async {
            match s3.get_bucket_versioning().bucket(bucket).send().await {
                Ok(o) => Ok(o.status().map(|s| json!({"Status": s.as_str()}))),
                Err(e) if is_empty_answer(&e) => Ok(None),
                Err(e) => Err(classify("s3:GetBucketVersioning", bucket, e)),
            }
        },
        async {
            optional(
                s3.get_object_lock_configuration()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketObjectLockConfiguration", bucket, e)),
            )
            .map(|o| {
                o.and_then(|o| {
                    o.object_lock_configuration()
                        .and_then(|c| c.object_lock_enabled())
                        .map(|e| json!({ "ObjectLockEnabled": e.as_str() }))
                })
            })
        },
        read_bucket_policy(s3, bucket),
        read_notification(s3, bucket),
        async {
            optional(
                s3.get_bucket_tagging()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetBucketTagging", bucket, e)),
            )
            .map(|o| o.map(|o| s3_tags(o.tag_set())).unwrap_or_default())
        },
    );
    Ok(Some(BucketState {
        region: actual_region,
        public_access_block: pab?,
        ownership_controls: ownership?,
        encryption: encryption?,
        versioning: versioning?,
        object_lock: object_lock?,
        policy: policy?,
        notification: notification?,
        tags: tags?,
        created_by: None,
    }))
}

/// Why a bucket in `actual` cannot serve a spec for `region`, and the spec key to set.
fn wrong_region(actual: &str, region: &str) -> String {
    format!(
        "the bucket is in {actual}, but the spec's region is {region}: S3 can only notify a queue in the bucket's own region; set the spec's `region` to \"{actual}\" (the queue and the rest follow it), or use a bucket in {region}"
    )
}

pub async fn observe_queue(clients: &Clients, name: &str) -> Observed<QueueState> {
    let Some(url) = clients.queue_url(name).await? else {
        return Ok(None);
    };
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    let attributes: BTreeMap<String, String> = attrs
        .attributes()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let tags = clients
        .sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .map_err(|e| classify("sqs:ListQueueTags", name, e))?
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Some(QueueState {
        arn: attributes.get("QueueArn").cloned().unwrap_or_default(),
        url,
        attributes,
        tags,
    }))
}

/// The bucket's policy as JSON (`None` when it has none), read as it is now.
pub async fn read_bucket_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<Value>, AwsError> {
    let got = optional(
        s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| classify("s3:GetBucketPolicy", bucket, e)),
    )?;
    match got.and_then(|o| o.policy().map(str::to_owned)) {
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            AwsError::new(
                "s3:GetBucketPolicy",
                bucket,
                format!("bucket policy is not JSON: {e}"),
            )
        }),
        None => Ok(None),
    }
}

/// A role's trust policy as JSON, read as it is now.
pub async fn read_trust_policy(iam: &aws_sdk_iam::Client, role: &str) -> Result<Value, AwsError> {
    let got = iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| classify("iam:GetRole", role, e))?;
    let text = got
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or("{}");
    decode_policy_document(text).map_err(|m| AwsError::new("iam:GetRole", role, m))
}

/// Some of a queue's attributes as SQS gives them (text); one it does not
/// return (a queue without a Policy) is absent.
pub async fn read_queue_text(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
    keys: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    let got = sqs
        .get_queue_attributes()
        .queue_url(url)
        .set_attribute_names(Some(
            keys.iter()
                .map(|k| QueueAttributeName::from(k.as_str()))
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    Ok(got
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
        .collect())
}

/// Some of a queue's attributes as they are now, the JSON ones (Policy,
/// RedrivePolicy, …) parsed as the plan shows them.
pub async fn read_queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
    keys: &[String],
) -> Result<Map<String, Value>, AwsError> {
    let raw: Map<String, Value> = read_queue_text(sqs, name, url, keys)
        .await?
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    match crate::docs::desired::expand_json_attributes(&Value::Object(raw)) {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

/// The bucket's notification configuration as JSON (`{}` when it has none).
pub async fn read_notification(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Value, AwsError> {
    match s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => Ok(notification_to_json(
            &o.queue_configurations,
            &o.topic_configurations,
            &o.lambda_function_configurations,
            o.event_bridge_configuration.is_some(),
        )),
        Err(e) if is_empty_answer(&e) => Ok(Value::Object(Map::new())),
        Err(e) => Err(classify("s3:GetBucketNotification", bucket, e)),
    }
}

// ---- the notification configuration, SDK types <-> the API's JSON shape ----

fn filter_json(filter: Option<&NotificationConfigurationFilter>) -> Option<Value> {
    let rules = filter?.key()?.filter_rules();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "Name": r.name().map(|n| n.as_str()).unwrap_or_default(),
                "Value": r.value().unwrap_or_default(),
            })
        })
        .collect();
    Some(json!({ "Key": { "FilterRules": rules } }))
}

fn entry_json(
    id: Option<&str>,
    target_key: &str,
    target: &str,
    events: &[S3Event],
    filter: Option<&NotificationConfigurationFilter>,
) -> Value {
    let mut entry = Map::new();
    if let Some(id) = id {
        entry.insert("Id".into(), id.into());
    }
    entry.insert(target_key.into(), target.into());
    entry.insert(
        "Events".into(),
        events
            .iter()
            .map(|e| Value::from(e.as_str()))
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(f) = filter_json(filter) {
        entry.insert("Filter".into(), f);
    }
    Value::Object(entry)
}

/// The configuration as JSON, in the shape `aws s3api get-bucket-notification-configuration` prints.
pub fn notification_to_json(
    queues: &Option<Vec<QueueConfiguration>>,
    topics: &Option<Vec<TopicConfiguration>>,
    lambdas: &Option<Vec<LambdaFunctionConfiguration>>,
    eventbridge: bool,
) -> Value {
    let mut config = Map::new();
    if let Some(list) = topics.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| entry_json(c.id(), "TopicArn", c.topic_arn(), c.events(), c.filter()))
            .collect();
        config.insert("TopicConfigurations".into(), entries.into());
    }
    if let Some(list) = queues.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| entry_json(c.id(), "QueueArn", c.queue_arn(), c.events(), c.filter()))
            .collect();
        config.insert("QueueConfigurations".into(), entries.into());
    }
    if let Some(list) = lambdas.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| {
                entry_json(
                    c.id(),
                    "LambdaFunctionArn",
                    c.lambda_function_arn(),
                    c.events(),
                    c.filter(),
                )
            })
            .collect();
        config.insert("LambdaFunctionConfigurations".into(), entries.into());
    }
    if eventbridge {
        config.insert("EventBridgeConfiguration".into(), json!({}));
    }
    Value::Object(config)
}

fn events_of(entry: &Value) -> Vec<S3Event> {
    entry
        .get("Events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(S3Event::from)
        .collect()
}

fn filter_of(entry: &Value) -> Option<NotificationConfigurationFilter> {
    let rules = entry.pointer("/Filter/Key/FilterRules")?.as_array()?;
    let rules = rules
        .iter()
        .map(|r| {
            FilterRule::builder()
                .name(FilterRuleName::from(
                    r.get("Name").and_then(Value::as_str).unwrap_or_default(),
                ))
                .value(r.get("Value").and_then(Value::as_str).unwrap_or_default())
                .build()
        })
        .collect::<Vec<_>>();
    Some(
        NotificationConfigurationFilter::builder()
            .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
            .build(),
    )
}

fn str_of<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn list_of<'a>(config: &'a Value, key: &str) -> &'a [Value] {
    config
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Writes `config` (JSON) as the bucket's whole notification configuration.
/// `keep_others` skips S3's check of each destination, so that entries of
/// others are put back as they were even when theirs is gone. A destination
/// S3 could not validate is named in the error.
pub async fn put_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &Value,
    keep_others: bool,
) -> Result<(), AwsError> {
    write_notification(s3, bucket, config, keep_others)
        .await
        .map_err(|refused| refused.error)
}

/// A destination S3 could not validate when the configuration was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDestination {
    /// The destination's ARN (S3's `ArgumentName`).
    pub arn: String,
    /// Why, in S3's words (its `ArgumentValue`), e.g. "The destination queue
    /// does not exist".
    pub reason: String,
}

/// A refused write of the notification configuration: the error (its
/// message naming each destination S3 could not validate) and those
/// destinations.
#[derive(Debug, Clone)]
pub struct NotificationRefused {
    pub error: AwsError,
    pub destinations: Vec<RefusedDestination>,
}

/// [`put_notification`], with the destinations S3 could not validate.
/// PutBucketNotificationConfiguration replaces the whole configuration and
/// S3 checks every SQS and SNS destination in it (that it exists and the
/// bucket may publish to it), not only a new one: an entry of another team
/// whose queue is gone fails the write of ours. S3 names each such
/// destination in the error's `ArgumentName`/`ArgumentValue` elements
/// (numbered when there are several), which the SDK does not parse.
pub async fn write_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &Value,
    keep_others: bool,
) -> Result<(), NotificationRefused> {
    const ACTION: &str = "s3:PutBucketNotification";
    let typed =
        notification_from_json(config, ACTION, bucket).map_err(|error| NotificationRefused {
            error,
            destinations: Vec::new(),
        })?;
    let sent = s3
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(typed)
        .skip_destination_validation(keep_others)
        .send()
        .await;
    let Err(e) = sent else { return Ok(()) };
    let destinations = e
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(refused_destinations)
        .unwrap_or_default();
    let mut error = classify(ACTION, bucket, e);
    if !destinations.is_empty() {
        let named: Vec<String> = destinations
            .iter()
            .map(|d| format!("{} ({})", d.arn, d.reason))
            .collect();
        error.message = format!("{}: {}", error.message, named.join("; "));
    }
    Err(NotificationRefused {
        error,
        destinations,
    })
}

/// The destinations an S3 error body names: `ArgumentName`/`ArgumentValue`,
/// or `ArgumentName1`/`ArgumentValue1`, `ArgumentName2`... Only ARNs count
/// (S3 names a bad field the same way, e.g. `FilterRule.Name`).
pub fn refused_destinations(body: &[u8]) -> Vec<RefusedDestination> {
    let text = String::from_utf8_lossy(body);
    let element = |name: &str, from: usize| -> Option<(String, String, usize)> {
        let open = text[from..].find(&format!("<{name}"))? + from;
        let tag_end = text[open..].find('>')? + open;
        let suffix = text[open + 1 + name.len()..tag_end].to_owned();
        if !suffix.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let close = format!("</{name}{suffix}>");
        let end = text[tag_end..].find(&close)? + tag_end;
        Some((suffix, xml_unescape(&text[tag_end + 1..end]), end))
    };
    let mut names = Vec::new();
    let mut at = 0;
    while let Some((n, value, end)) = element("ArgumentName", at) {
        names.push((n, value));
        at = end;
    }
    names
        .into_iter()
        .filter(|(_, arn)| arn.starts_with("arn:"))
        .map(|(n, arn)| {
            let mut at = 0;
            let mut reason = String::new();
            while let Some((m, value, end)) = element("ArgumentValue", at) {
                if m == n {
                    reason = value;
                    break;
                }
                at = end;
            }
            RefusedDestination { arn, reason }
        })
        .collect()
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The JSON configuration as the SDK's type, for PutBucketNotificationConfiguration.
pub fn notification_from_json(
    config: &Value,
    action: &'static str,
    bucket: &str,
) -> Result<NotificationConfiguration, AwsError> {
    let bad = |e: aws_sdk_s3::error::BuildError| {
        AwsError::new(action, bucket, format!("invalid notification entry: {e}"))
    };
    let queues = list_of(config, "QueueConfigurations")
        .iter()
        .map(|e| {
            QueueConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .queue_arn(str_of(e, "QueueArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let topics = list_of(config, "TopicConfigurations")
        .iter()
        .map(|e| {
            TopicConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .topic_arn(str_of(e, "TopicArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let lambdas = list_of(config, "LambdaFunctionConfigurations")
        .iter()
        .map(|e| {
            LambdaFunctionConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .lambda_function_arn(str_of(e, "LambdaFunctionArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut builder = NotificationConfiguration::builder()
        .set_queue_configurations(Some(queues))
        .set_topic_configurations(Some(topics))
        .set_lambda_function_configurations(Some(lambdas));
    if config.get("EventBridgeConfiguration").is_some() {
        builder = builder.event_bridge_configuration(
            aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
        );
    }
    Ok(builder.build())
}

/// One attribute of the queue at `url` as SQS has it (`None` when SQS
/// leaves it out).
pub async fn queue_attribute(
    clients: &Clients,
    url: &str,
    name: QueueAttributeName,
) -> Result<Option<String>, AwsError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", url, e))?;
    Ok(out.attributes().and_then(|a| a.get(&name)).cloned())
}

/// One queue's approximate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Depth {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

impl Depth {
    /// Every message the queue holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

impl std::fmt::Display for Depth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} message{} ({} visible, {} in flight, {} delayed)",
            self.total(),
            if self.total() == 1 { "" } else { "s" },
            self.visible,
            self.in_flight,
            self.delayed
        )
    }
}

/// The approximate counts of the queue at `url`.
pub async fn queue_depth(clients: &Clients, url: &str) -> Result<Depth, AwsError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", url, e))?;
    let attrs = out.attributes();
    let get = |name: QueueAttributeName| -> u64 {
        attrs
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Depth {
        visible: get(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

/// ChangeMessageVisibilityBatch for up to 10 receipt handles of the queue at
/// `url`; entry ids are their indexes in `handles`. `secs` 0 makes the
/// messages visible again at once.
pub async fn set_visibility(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    handles: &[String],
    secs: i32,
) -> Result<
    aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchOutput,
    aws_sdk_sqs::error::SdkError<
        aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchError,
    >,
> {
    let entries = handles
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(h)
                .visibility_timeout(secs)
                .build()
                .ok()
        })
        .collect::<Vec<_>>();
    sqs.change_message_visibility_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_decode_either_way() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(decode_policy_document(&doc.to_string()).unwrap(), doc);
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_policy_document(encoded).unwrap(), doc);
        assert!(decode_policy_document("%7Bnot").is_err());
    }

    #[test]
    fn s3_names_the_destinations_it_could_not_validate() {
        let numbered = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidArgument</Code><Message>Unable to validate the following destination configurations</Message><ArgumentName1>arn:aws:sqs:us-west-2:1:gone</ArgumentName1><ArgumentValue1>The destination queue does not exist</ArgumentValue1><ArgumentName2>arn:aws:sns:us-west-2:1:t</ArgumentName2><ArgumentValue2>Permissions on the destination topic do not allow S3 to publish notifications from this bucket</ArgumentValue2><RequestId>1</RequestId></Error>"#;
        assert_eq!(
            refused_destinations(numbered),
            vec![
                RefusedDestination {
                    arn: "arn:aws:sqs:us-west-2:1:gone".into(),
                    reason: "The destination queue does not exist".into()
                },
                RefusedDestination {
                    arn: "arn:aws:sns:us-west-2:1:t".into(),
                    reason: "Permissions on the destination topic do not allow S3 to publish notifications from this bucket".into()
                },
            ]
        );
        let single = b"<Error><Code>InvalidArgument</Code><Message>Unable to validate the following destination configurations</Message><ArgumentName>arn:aws:sqs:us-west-2:1:q</ArgumentName><ArgumentValue>The destination queue does not exist</ArgumentValue></Error>";
        assert_eq!(refused_destinations(single).len(), 1);
        // A bad field is named the same way: not a destination.
        let field = b"<Error><Code>InvalidArgument</Code><Message>filter rule name must be either prefix or suffix</Message><ArgumentName>FilterRule.Name</ArgumentName><ArgumentValue>INVALID</ArgumentValue></Error>";
        assert!(refused_destinations(field).is_empty());
        assert!(refused_destinations(b"").is_empty());
        assert!(refused_destinations(&[0xff, b'<']).is_empty());
    }

    #[test]
    fn notification_json_round_trips_through_the_sdk_types() {
        let config = json!({
            "TopicConfigurations": [{"Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:1:t", "Events": ["s3:ObjectRemoved:*"]}],
            "QueueConfigurations": [{"Id": "q", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectCreated:*", "s3:ObjectRestore:Completed"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}, {"Name": "Suffix", "Value": ".gz"}]}}}],
            "LambdaFunctionConfigurations": [{"Id": "l", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:1:function:f", "Events": ["s3:ObjectCreated:Put"]}],
            "EventBridgeConfiguration": {}
        });
        let typed = notification_from_json(&config, "s3:PutBucketNotification", "b").unwrap();
        let back = notification_to_json(
            &typed.queue_configurations,
            &typed.topic_configurations,
            &typed.lambda_function_configurations,
            typed.event_bridge_configuration.is_some(),
        );
        assert_eq!(back, config);
    }
}
