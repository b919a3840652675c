//! Lints: findings about a spec (and about observed documents) that are legal
//! but likely to hurt, each with a severity, the resource and a sentence.

use std::fmt;

use serde::Serialize;
use serde_json::json;

use super::policy::{Effect, Policy, Principal, Principals, Statement};

use super::Arns;
use crate::spec::{Connector, Delivery, ListScope, PolicyScope, QueueEncryption, Spec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pipeline will not work as specified.
    Error,
    /// It works, but is weaker or more fragile than it should be.
    Warning,
    /// Worth knowing.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// `policy`, `role`, `user`, `bucket`, `queue` or `notification`.
    pub resource: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}] {}", self.severity, self.resource, self.message)
    }
}

fn finding(severity: Severity, resource: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        severity,
        resource,
        message: message.into(),
    }
}

/// Every finding for a spec, most severe first.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    use Severity::*;
    let mut out = Vec::new();

    if spec.policy.scope == PolicyScope::Wildcard {
        out.push(finding(
            Warning,
            "policy",
            "scope is wildcard: the policy grants its S3 and SQS actions on every bucket and queue in the account (\"Resource\": \"*\"); least-privilege scopes them to this bucket, prefix and queue",
        ));
    }
    if spec.role.enabled {
        let trust = super::trust_policy(spec);
        out.extend(lint_trust_policy(&trust));
        out.extend(lint_trust_size(&trust));
    }
    out.extend(lint_list_scope(spec));
    if spec.user.enabled && spec.user.create_access_key && spec.connector == Connector::TreasureData
    {
        out.push(finding(
            Info,
            "user",
            "creates a long-lived access key, as Treasure Data's import takes keys; its recommended auth_method is session: `sluice credentials --config FILE --out FILE` makes temporary credentials scoped to the permission policy",
        ));
    } else if spec.user.enabled && spec.user.create_access_key {
        out.push(finding(
            Warning,
            "user",
            "creates a long-lived access key: AWS recommends a role with an external ID (temporary credentials, nothing to rotate or leak), and Tarsal's, Databend's and Hevo's setup guides use one; use keys only where the connector cannot assume a role",
        ));
    }
    // The queue's lints: only a pipeline with a queue has one.
    if spec.has_queue() {
        let key = spec.queue.kms_key_arn.as_deref().unwrap_or_default();
        out.extend(queue_key_finding(spec, key.ends_with("alias/aws/sqs")));
        if spec.queue.encryption == QueueEncryption::None {
            out.push(finding(
                Info,
                "queue",
                "is not encrypted at rest; sqs-managed encryption costs nothing and needs no key policy",
            ));
        }
        if spec.queue.create && spec.queue.visibility_timeout_secs < 60 {
            out.push(finding(
                Warning,
                "queue",
                format!(
                    "visibility timeout is {} s: a consumer still fetching a large object loses the message to another consumer and records arrive twice; Tarsal's setup guide recommends 600",
                    spec.queue.visibility_timeout_secs
                ),
            ));
        }
        if spec.queue.create && !spec.queue.dead_letter.enabled {
            out.push(finding(
                Warning,
                "queue",
                "has no dead-letter queue: a message that can never be processed is received again and again until retention deletes it",
            ));
        } else if spec.queue.create && spec.queue.dead_letter.max_receive_count == 1 {
            out.push(finding(
                Warning,
                "queue",
                "max_receive_count is 1: a single transient failure (a timeout, a throttled GetObject) moves the message to the dead-letter queue",
            ));
        }
        if spec.queue.create
            && spec.queue.message_retention_secs < spec.queue.visibility_timeout_secs
        {
            out.push(finding(
                Warning,
                "queue",
                "message retention is shorter than the visibility timeout: a message that is not deleted on its first receive expires before it can be retried",
            ));
        }
    }
    if spec.bucket.create && !spec.bucket.block_public_access.is_all_on() {
        out.push(finding(
            Warning,
            "bucket",
            "block_public_access is not fully on: nothing in this pipeline needs public access, and the bucket holds raw data",
        ));
    }
    if spec.bucket.create && !spec.bucket.deny_insecure_transport {
        out.push(finding(
            Info,
            "bucket",
            "deny_insecure_transport is off: requests over plain HTTP are allowed",
        ));
    }
    if !spec.bucket.create {
        out.push(finding(
            Info,
            "bucket",
            format!(
                "{} is adopted (create: false): {}; its settings, policy and other notifications are left as they are",
                spec.bucket.name,
                match spec.delivery() {
                    Some(Delivery::Sns) => "nothing is written to it (sluice only reads its topic entry)",
                    Some(Delivery::Eventbridge) => "only its EventBridge delivery is turned on",
                    _ => "only sluice's notification entry is managed on it",
                }
            ),
        ));
    }
    out.extend(lint_delivery(spec));
    // The prefix scopes the policy and the listing whatever the shape, not only a notification.
    if let Some(open) = open_prefix(&spec.bucket.prefix) {
        out.push(finding(Info, "bucket", open));
    }
    out.sort_by_key(|f| f.severity);
    out
}

/// A prefix without a trailing `/` names more than a folder: what it also
/// matches, or `None`. The wizard shows it under the prefix as it is typed.
pub fn open_prefix(prefix: &str) -> Option<String> {
    (!prefix.is_empty() && !prefix.ends_with('/')).then(|| {
        format!(
            "prefix `{prefix}` has no trailing `/`: it also matches keys such as `{prefix}-old/…` and `{prefix}2/…`"
        )
    })
}

/// The finding about a KMS-encrypted queue's key: an AWS managed key
/// (`alias/aws/sqs`, found by its name or by kms:DescribeKey), which the
/// route's sender cannot use, or the statement a customer-managed key's
/// policy needs for it (SQS developer guide, "Key management").
pub fn queue_key_finding(spec: &Spec, aws_managed: bool) -> Option<Finding> {
    use Severity::*;
    if !spec.has_queue() || spec.queue.encryption != QueueEncryption::Kms {
        return None;
    }
    let key = spec.queue.kms_key_arn.as_deref().unwrap_or_default();
    let arns = Arns::of(spec);
    let (sender, service, source) = match spec.delivery() {
        Some(Delivery::Sns) => (
            "SNS",
            "sns.amazonaws.com",
            spec.notification.topic_arn.clone().unwrap_or_default(),
        ),
        Some(Delivery::Eventbridge) => ("EventBridge", "events.amazonaws.com", arns.rule),
        _ => ("S3", "s3.amazonaws.com", arns.bucket),
    };
    if aws_managed {
        return Some(finding(
            Error,
            "queue",
            format!(
                "is encrypted with the AWS-managed key alias/aws/sqs: {sender} cannot send to it, because that key's policy cannot be changed to let {service} use it. Use encryption sqs-managed, or a customer-managed key"
            ),
        ));
    }
    if key.is_empty() {
        return None;
    }
    let statement = json!({
        "Sid": format!("Allow{sender}ToUseTheQueueKey"),
        "Effect": "Allow",
        "Principal": { "Service": service },
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
        "Condition": { "ArnLike": { "aws:SourceArn": source } },
    });
    Some(finding(
        Warning,
        "queue",
        format!(
            "is encrypted with the customer-managed key {key}: {sender} can only send if the key policy allows it. Add this statement to the key policy:\n{}",
            serde_json::to_string_pretty(&statement).unwrap_or_default()
        ),
    ))
}

/// Findings about the SNS and EventBridge routes.
fn lint_delivery(spec: &Spec) -> Vec<Finding> {
    use Severity::*;
    let mut out = Vec::new();
    let (prefix, suffix) = spec.key_filter();
    match spec.delivery() {
        Some(Delivery::Sns) => {
            let topic = spec.notification.topic_arn.as_deref().unwrap_or_default();
            out.push(finding(
                Info,
                "subscription",
                format!(
                    "subscribes the queue to the bucket's topic {topic}: the bucket's notification configuration, the topic's access policy and its other subscriptions are left as they are"
                ),
            ));
            if !prefix.is_empty() && !suffix.is_empty() {
                out.push(finding(
                    Info,
                    "subscription",
                    format!(
                        "SNS filters one key on a prefix or a suffix, not both: the subscription passes keys under `{prefix}`, and the consumer skips those not ending in `{suffix}` (deleting their messages only with --on-foreign-event delete)"
                    ),
                ));
            }
            let account = topic.split(':').nth(4).unwrap_or_default();
            let ours = Arns::of(spec).account;
            if spec.account_id.is_some() && !account.is_empty() && account != ours {
                out.push(finding(
                    Warning,
                    "subscription",
                    format!(
                        "the topic is in account {account}, the queue in {ours}: the topic's access policy must let this account call sns:Subscribe and sns:ListSubscriptionsByTopic (which plan, apply and destroy use to find the queue's subscription), or the queue cannot be subscribed"
                    ),
                ));
            }
        }
        Some(Delivery::Eventbridge) => {
            out.push(finding(
                Info,
                "rule",
                format!(
                    "turns on EventBridge delivery for bucket {}: every event of the bucket also goes to the account's default event bus, where rule {} picks Object Created for our keys; other entries stay as they are, and destroy leaves the setting on while any other rule may use it",
                    spec.bucket.name, spec.notification.id
                ),
            ));
        }
        _ => {}
    }
    out
}

/// A guide's `s3:ListBucket` on the whole bucket beside a prefix: what it
/// lets the connector see, why the profile grants it, and how to narrow it.
fn lint_list_scope(spec: &Spec) -> Option<Finding> {
    let prefix = &spec.bucket.prefix;
    if prefix.is_empty()
        || spec.policy.scope != PolicyScope::LeastPrivilege
        || spec.policy.list_scope != ListScope::Bucket
    {
        return None;
    }
    let p = spec.profile();
    let why = if p.list_scope == ListScope::Bucket {
        format!(
            "as {}'s guide grants it (its connection test: {})",
            p.vendor, p.connection_test
        )
    } else {
        "as policy.list_scope asks".to_owned()
    };
    Some(finding(
        Severity::Info,
        "policy",
        format!(
            "grants s3:ListBucket on the whole bucket {} without an s3:prefix condition, {why}: the connector can list every key of the bucket, not only under `{prefix}` (it still reads only under the prefix). Set policy.list_scope to prefix to list only under it; HeadBucket and a listing from the root are then denied",
            spec.bucket.name
        ),
    ))
}

/// A trust policy near or past IAM's quota on its length (2,048 characters
/// by default, white space not counted; 4,096 at most once raised): AWS
/// refuses a longer one with LimitExceeded. One statement per principal
/// repeats the external ID, so many principals or a long ID add up.
fn lint_trust_size(trust: &Policy) -> Option<Finding> {
    use super::{TRUST_POLICY_MAX, TRUST_POLICY_QUOTA, policy_size};
    let size = policy_size(trust);
    let (severity, what) = if size > TRUST_POLICY_MAX {
        (
            Severity::Error,
            "over the 4,096 characters IAM allows at most once its default quota of 2,048 is raised: AWS refuses it with LimitExceeded",
        )
    } else if size > TRUST_POLICY_QUOTA {
        (
            Severity::Warning,
            "over IAM's default quota of 2,048 characters: AWS refuses it with LimitExceeded unless the account's quota for role trust policy length has been raised (to 4,096 at most)",
        )
    } else if size * 5 > TRUST_POLICY_QUOTA * 4 {
        (
            Severity::Warning,
            "near IAM's default quota of 2,048 characters, past which AWS refuses it with LimitExceeded",
        )
    } else {
        return None;
    };
    Some(finding(
        severity,
        "role",
        format!(
            "trust policy is {size} characters long (white space not counted), {what}; each trusted principal has a statement repeating the external ID: fewer principals or a shorter external ID shorten it"
        ),
    ))
}

/// Findings about a trust policy: any `sts:AssumeRole` grant to another
/// principal without an `sts:ExternalId` condition.
pub fn lint_trust_policy(doc: &Policy) -> Vec<Finding> {
    doc.statements()
        .filter(|s| s.effect == Effect::Allow)
        .filter(|s| s.actions().any(grants_assume_role))
        .filter(|s| !by_service(s.principal.as_ref()))
        .filter(|s| !has_external_id(s))
        .map(|s| {
            let who = match &s.principal {
                Some(Principal::Of(Principals { aws: Some(aws), .. })) => {
                    serde_json::to_string(aws).unwrap_or_else(|_| "its principal".to_owned())
                }
                _ => "its principal".to_owned(),
            };
            finding(
                Severity::Warning,
                "role",
                format!(
                    "trust policy lets {who} assume the role without an sts:ExternalId condition: any party that can name the role ARN to that principal can make it act on your data (the confused-deputy problem)"
                ),
            )
        })
        .collect()
}

fn grants_assume_role(action: &str) -> bool {
    action == "sts:AssumeRole" || action == "sts:*" || action == "*"
}

/// A statement for an AWS service (which no external ID is for).
fn by_service(principal: Option<&Principal>) -> bool {
    matches!(
        principal,
        Some(Principal::Of(Principals {
            service: Some(_),
            ..
        }))
    )
}

fn has_external_id(statement: &Statement) -> bool {
    statement.condition.as_ref().is_some_and(|operators| {
        operators.values().any(|keys| {
            keys.keys()
                .any(|key| key.eq_ignore_ascii_case("sts:ExternalId"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_say_what_they_touch_and_what_sns_cannot_filter() {
        use crate::spec::Delivery;
        let mut spec = acme();
        spec.bucket.prefix = "in/".into();
        spec.bucket.suffix = ".csv".into();
        spec.notification.delivery = Delivery::Sns;
        spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:999988887777:uploads".into());
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/1".into());
        let found = lint(&spec);
        let text = |resource: &str| -> Vec<String> {
            found
                .iter()
                .filter(|f| f.resource == resource)
                .map(|f| f.message.clone())
                .collect()
        };
        let sub = text("subscription");
        assert!(sub.iter().any(|m| m.contains("not both")), "{sub:?}");
        assert!(
            sub.iter().any(|m| m.contains("account 999988887777")),
            "{sub:?}"
        );
        let queue = text("queue");
        assert!(
            queue.iter().any(|m| m.contains("SNS can only send")
                && m.contains("sns.amazonaws.com")
                && m.contains("arn:aws:sns:us-west-2:999988887777:uploads")),
            "{queue:?}"
        );
        spec.notification.delivery = Delivery::Eventbridge;
        spec.notification.topic_arn = None;
        let found = lint(&spec);
        assert!(
            found
                .iter()
                .any(|f| f.resource == "rule" && f.message.contains("default event bus")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|f| f.resource == "queue"
                && f.message.contains("events.amazonaws.com")
                && f.message.contains("rule/acme-ingest-object-created")),
            "{found:?}"
        );
    }
    use crate::docs::testing::acme;

    #[test]
    fn treasure_data_s_keys_point_to_temporary_credentials() {
        let spec = crate::spec::starter_for(
            Connector::TreasureData,
            "td",
            "us-west-2",
            Some("123456789012"),
        );
        let found = messages(&spec);
        let key = found.iter().find(|(_, r, _)| *r == "user").unwrap();
        assert_eq!(key.0, Severity::Info);
        assert!(key.2.contains("sluice credentials"), "{}", key.2);
        // Other connectors are warned off keys.
        let mut spec = acme();
        spec.user.enabled = true;
        spec.user.create_access_key = true;
        let found = messages(&spec);
        assert!(
            found
                .iter()
                .any(|(s, r, _)| *s == Severity::Warning && *r == "user")
        );
    }

    fn messages(spec: &Spec) -> Vec<(Severity, &'static str, String)> {
        lint(spec)
            .into_iter()
            .map(|f| (f.severity, f.resource, f.message))
            .collect()
    }

    #[test]
    fn the_default_spec_is_clean() {
        assert_eq!(messages(&acme()), vec![]);
    }

    #[test]
    fn each_lint_fires() {
        let mut spec = acme();
        spec.policy.scope = PolicyScope::Wildcard;
        spec.user.enabled = true;
        spec.user.create_access_key = true;
        spec.queue.visibility_timeout_secs = 30;
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:alias/aws/sqs".into());
        spec.bucket.block_public_access = crate::spec::PublicAccessBlock::all(false);
        spec.bucket.prefix = "logs".into();
        let found = messages(&spec);
        let summary: Vec<(Severity, &str)> = found.iter().map(|(s, r, _)| (*s, *r)).collect();
        assert_eq!(
            summary,
            [
                (Severity::Error, "queue"),
                (Severity::Warning, "policy"),
                (Severity::Warning, "user"),
                (Severity::Warning, "queue"),
                (Severity::Warning, "bucket"),
                (Severity::Info, "bucket"),
            ]
        );
        assert!(found[0].2.contains("alias/aws/sqs"));
        assert!(found[3].2.contains("visibility timeout is 30 s"));
    }

    #[test]
    fn a_guide_s_whole_bucket_listing_and_a_long_trust_policy_are_said() {
        let mut spec = crate::spec::starter_for(
            Connector::Tarsal,
            "tarsal",
            "us-west-2",
            Some("123456789012"),
        );
        spec.role.external_id = "tarsal-id".into();
        spec.role.trusted_principals = vec!["111122223333".into()];
        assert!(messages(&spec).iter().all(|(_, r, _)| *r != "policy"));
        spec.bucket.prefix = "in/".into();
        let found = messages(&spec);
        let (severity, _, text) = found.iter().find(|(_, r, _)| *r == "policy").unwrap();
        assert_eq!(*severity, Severity::Info);
        assert!(
            text.contains("as Tarsal's guide grants it") && text.contains("policy.list_scope"),
            "{text}"
        );
        spec.role.trusted_principals = (0..10)
            .map(|i| format!("arn:aws:iam::111122223333:role/loader-{i}"))
            .collect();
        spec.role.external_id = "x".repeat(200);
        let found = messages(&spec);
        let (severity, _, text) = found.iter().find(|(_, r, _)| *r == "role").unwrap();
        assert_eq!(*severity, Severity::Warning);
        assert!(text.contains("2,048"), "{text}");
    }

    #[test]
    fn customer_key_prints_the_key_policy_statement() {
        let mut spec = acme();
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/1234".into());
        let found = lint(&spec);
        assert_eq!(found.len(), 1);
        let text = &found[0].message;
        assert!(text.contains("\"kms:GenerateDataKey*\""), "{text}");
        assert!(text.contains("\"Service\": \"s3.amazonaws.com\""), "{text}");
        assert!(text.contains("arn:aws:s3:::acme-ingest-source"), "{text}");
    }

    #[test]
    fn trust_without_external_id() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "x"}, "Action": ["sts:AssumeRole"],
             "Condition": {"StringEquals": {"sts:ExternalId": "e"}}}
        ]});
        let found = lint_trust_policy(&Policy::from_json(&doc).unwrap());
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("111111111111"));
        assert!(lint_trust_policy(&crate::docs::trust_policy(&acme())).is_empty());
    }
}
