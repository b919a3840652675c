//! Pure generators of every JSON document sluice applies, the bucket
//! notification merge, and the lints. Deterministic: the same spec always
//! gives the same bytes, with keys in the order AWS documents them.

mod alarms;
pub mod desired;
pub mod diff;
mod document;
mod iam;
mod lint;
mod notification;
pub mod policy;
mod route;
mod s3;
pub mod snowflake;
mod sqs;
mod tags;
pub mod three_way;

pub use alarms::{
    ALARM_PROBE_SID, ALARM_TOPIC_SID, AlarmKind, Dimension, Metric, MetricAlarm, MetricQuery,
    MetricStat, SQS_NAMESPACE, Watched, alarm, alarm_probe_policy, alarm_skipped_because,
    alarm_topic_arn, alarm_topic_document, alarm_topic_name, alarm_topic_policy, alarms,
    makes_alarm_topic,
};
pub use desired::{Desired, ResourceKind, desired_state, skipped_because};
pub use document::{
    AlarmTopicDocument, BucketDocument, Document, OrphanDocument, RoleDocument, RuleDocument,
    RuleTarget, SubscriptionDocument, UserDocument, json,
};
pub use iam::{
    TRUST_POLICY_MAX, TRUST_POLICY_QUOTA, federated_user_name, federation_session_policy,
    permissions_policy, policy_description, policy_size, role_description, trust_policy,
};
pub use lint::{Finding, Severity, lint, lint_trust_policy, open_prefix, queue_key_finding};
pub use notification::{
    Entry, FilterRule, MergeError, NotificationConfiguration, NotificationFilter, Overlap, Target,
    decode_key, encode_key, entries_sending_to, has_entry, merge, notification_entry,
    own_configuration, recognise, remove, topic_entries, without_ours,
};
pub use route::{
    BucketMatch, TARGET_ID, covering_topic_entry, disable_eventbridge, enable_eventbridge,
    event_pattern, eventbridge_enabled, rule_description, rule_document, rule_matches_bucket,
    subscription_document,
};
pub use s3::{
    BucketPart, BucketSetting, DENY_INSECURE_TRANSPORT_SID, EncryptionByDefault,
    EncryptionConfiguration, EncryptionRule, ObjectLock, OwnershipControls, OwnershipRule,
    PartValue, PublicAccessBlock, Versioning, bucket_document, bucket_encryption, bucket_parts,
    bucket_policy, object_lock, ownership_controls, public_access_block, versioning,
};
pub use sqs::{
    QUEUE_POLICY_SIDS, QueueAttribute, QueueAttributes, RedrivePolicy, dlq_attributes,
    merged_queue_policy, queue_attributes, queue_policy,
};
pub use tags::{MANAGED_BY, MANAGED_TAGS_TAG, STACK_TAG, TagChange, bucket_tags, tag_change, tags};

use crate::spec::Spec;

/// Stands for the account id in documents generated before it is known.
pub const ACCOUNT_PLACEHOLDER: &str = "<ACCOUNT_ID>";

/// The IAM policy language version every document uses.
pub const POLICY_VERSION: &str = "2012-10-17";

/// The ARN partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Every name, ARN and URL the documents refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arns {
    pub account: String,
    pub partition: &'static str,
    pub bucket: String,
    /// Objects under the prefix, as IAM reads a Resource:
    /// `arn:aws:s3:::bucket/prefix*`, the prefix's own `*`, `?` and `$`
    /// written literally (see [`iam_literal`]).
    pub objects: String,
    pub queue: String,
    pub queue_url: String,
    pub dlq: String,
    pub policy: String,
    pub role: String,
    pub user: String,
    pub account_root: String,
    /// The EventBridge rule of `notification.delivery: eventbridge`.
    pub rule: String,
}

impl Arns {
    pub fn of(spec: &Spec) -> Self {
        let account = spec
            .account_id
            .clone()
            .unwrap_or_else(|| ACCOUNT_PLACEHOLDER.to_owned());
        let p = partition(&spec.region);
        let region = &spec.region;
        let domain = if p == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Arns {
            bucket: format!("arn:{p}:s3:::{}", spec.bucket.name),
            objects: format!(
                "arn:{p}:s3:::{}/{}*",
                spec.bucket.name,
                iam_literal(&spec.bucket.prefix)
            ),
            queue: spec.foreign_queue().map_or_else(
                || format!("arn:{p}:sqs:{region}:{account}:{}", spec.queue.name),
                str::to_owned,
            ),
            queue_url: format!(
                "https://sqs.{region}.{domain}/{account}/{}",
                spec.queue.name
            ),
            dlq: format!(
                "arn:{p}:sqs:{region}:{account}:{}",
                spec.queue.dead_letter.name
            ),
            policy: format!("arn:{p}:iam::{account}:policy/{}", spec.policy.name),
            role: format!("arn:{p}:iam::{account}:role/{}", spec.role.name),
            user: format!("arn:{p}:iam::{account}:user/{}", spec.user.name),
            account_root: format!("arn:{p}:iam::{account}:root"),
            rule: format!(
                "arn:{p}:events:{region}:{account}:rule/{}",
                spec.notification.id
            ),
            partition: p,
            account,
        }
    }
}

/// `text` as an IAM policy matches it literally in a Resource or a
/// `StringLike` value. There `*` and `?` are wildcards and `${...}` a policy
/// variable; IAM's predefined variables `${*}`, `${?}` and `${$}` stand for
/// the characters themselves (IAM User Guide, "IAM policy elements:
/// Variables and tags", special characters). S3's notification filter takes
/// a prefix literally: the policies must read it the same way, or a prefix
/// `batch?/` would also grant `batch1/`.
pub fn iam_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

/// The values a connector asks for, every one derived from the spec.
pub fn connector_values(spec: &Spec) -> Vec<(&'static str, String)> {
    let arns = Arns::of(spec);
    let mut values = Vec::new();
    if spec.role.enabled {
        values.push(("role_arn", arns.role.clone()));
        values.push(("external_id", spec.role.external_id.clone()));
    }
    if spec.user.enabled {
        values.push(("user_arn", arns.user.clone()));
    }
    if spec.has_queue() {
        values.extend([("queue_url", arns.queue_url), ("queue_arn", arns.queue)]);
    }
    values.extend([
        ("bucket", spec.bucket.name.clone()),
        ("region", spec.region.clone()),
        ("prefix", spec.bucket.prefix.clone()),
        ("suffix", spec.bucket.suffix.clone()),
    ]);
    values
}

/// Stands for an access key's id before apply has made the key.
pub const ACCESS_KEY_PLACEHOLDER: &str =
    "<access key id: in the 0600 key file sluice apply writes>";

/// The values the connector's form asks for, under the vendor's own names
/// and in its order (sluice's names for `generic`). `queue_url` is the
/// queue's URL as AWS reports it, `access_key_id` the id of the key apply
/// made, when known; neither secret ever appears.
pub fn vendor_values(
    spec: &Spec,
    queue_url: Option<&str>,
    access_key_id: Option<&str>,
) -> Vec<(&'static str, String)> {
    use crate::spec::profiles::{ExternalId, Value as V};
    let arns = Arns::of(spec);
    let p = spec.profile();
    let mut out = Vec::new();
    for field in p.values {
        let text = match field.value {
            V::RoleArn if spec.role.enabled => arns.role.clone(),
            V::ExternalId
                if spec.role.enabled
                    && p.external_id != ExternalId::None
                    && !spec.role.external_id.is_empty() =>
            {
                spec.role.external_id.clone()
            }
            V::UserArn if spec.user.enabled => arns.user.clone(),
            V::AccessKeyId if spec.user.enabled && spec.user.create_access_key => {
                access_key_id.unwrap_or(ACCESS_KEY_PLACEHOLDER).to_owned()
            }
            V::QueueUrl if spec.has_queue() => {
                queue_url.map_or_else(|| arns.queue_url.clone(), str::to_owned)
            }
            V::QueueArn if spec.has_queue() => arns.queue.clone(),
            V::Region => spec.region.clone(),
            V::Bucket => spec.bucket.name.clone(),
            V::Prefix => spec.bucket.prefix.clone(),
            V::Suffix => spec.bucket.suffix.clone(),
            V::VirtualHostedUrl => format!(
                "https://{}.{}/{}**{}",
                spec.bucket.name,
                s3_endpoint(spec),
                spec.bucket.prefix,
                spec.bucket.suffix
            ),
            V::AllowedLocations => {
                format!("('s3://{}/{}')", spec.bucket.name, spec.bucket.prefix)
            }
            V::Endpoint => s3_endpoint(spec),
            V::Literal(text) => text.to_owned(),
            _ => continue,
        };
        out.push((field.label, text));
    }
    out
}

/// A connector value's label as shown: the form's label, with the guide's
/// parameter name beside it where the guide names it otherwise
/// ("Object Key Prefix (prefix)").
pub fn shown_label(spec: &Spec, label: &str) -> String {
    spec.profile()
        .values
        .iter()
        .find(|f| f.label == label)
        .map_or_else(|| label.to_owned(), |f| f.shown())
}

/// The S3 endpoint of the bucket's region, e.g. `s3.us-west-2.amazonaws.com`.
pub fn s3_endpoint(spec: &Spec) -> String {
    let suffix = if Arns::of(spec).partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("s3.{}.{suffix}", spec.region)
}

/// The key `connector-values.json` gives the [`guess_in_block`] block under.
pub const IN_BLOCK_KEY: &str = "td connector:guess in:";

/// For Treasure Data, the `in:` block of the config file its guide has
/// `td connector:guess` read to make load.yml, from its connector `values`
/// as [`vendor_values`] gives
/// them (the real access key id once apply made it). Never the secret: its
/// line names the key file that holds it. `None` for other connectors.
pub fn guess_in_block(spec: &Spec, values: &[(&'static str, String)]) -> Option<String> {
    if spec.connector != crate::spec::Connector::TreasureData {
        return None;
    }
    // Each value under its key in the load configuration (the field's param).
    let fields = spec.profile().values;
    let value = |key: &str| {
        let label = fields
            .iter()
            .find(|f| f.param == Some(key))
            .map_or(key, |f| f.label);
        values
            .iter()
            .find(|(k, _)| *k == label)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let mut out = String::from("in:\n  type: s3\n");
    for key in ["endpoint", "auth_method", "access_key_id"] {
        out.push_str(&format!("  {key}: {}\n", yaml_scalar(value(key))));
    }
    out.push_str(&format!(
        "  secret_access_key: {}\n",
        yaml_scalar(&format!(
            "<secret access key: in {}_accessKeys.csv, the 0600 file apply wrote>",
            spec.user.name
        ))
    ));
    for key in ["bucket", "path_prefix"] {
        out.push_str(&format!("  {key}: {}\n", yaml_scalar(value(key))));
    }
    Some(out)
}

/// `s` as a YAML scalar: plain when it is safely so, single-quoted otherwise.
pub fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+' | '='))
        && !s.starts_with(['-', '.']);
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// [`vendor_values`] as the JSON object `connector-values.json` holds, with
/// Treasure Data's [`guess_in_block`] block under [`IN_BLOCK_KEY`].
pub fn vendor_values_json(
    spec: &Spec,
    queue_url: Option<&str>,
    access_key_id: Option<&str>,
) -> serde_json::Value {
    let values = vendor_values(spec, queue_url, access_key_id);
    let block = guess_in_block(spec, &values);
    let mut object: serde_json::Map<String, serde_json::Value> = values
        .into_iter()
        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
        .collect();
    if let Some(block) = block {
        object.insert(IN_BLOCK_KEY.to_owned(), serde_json::Value::String(block));
    }
    serde_json::Value::Object(object)
}

/// Pretty JSON with a trailing newline, as every exported document is written.
pub fn to_pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| unreachable!("a JSON value always serializes: {e}"));
    s.push('\n');
    s
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::spec::{Spec, starter};

    /// The spec the document tests are checked against by hand.
    pub fn acme() -> Spec {
        let mut spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
        spec.role.external_id = "ext-123".to_owned();
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_partition_and_placeholder() {
        let mut spec = testing::acme();
        let arns = Arns::of(&spec);
        assert_eq!(
            arns.queue,
            "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"
        );
        assert_eq!(
            arns.queue_url,
            "https://sqs.us-west-2.amazonaws.com/123456789012/acme-ingest-queue"
        );
        assert_eq!(arns.objects, "arn:aws:s3:::acme-ingest-source/*");
        spec.account_id = None;
        spec.region = "cn-north-1".into();
        spec.bucket.prefix = "logs/".into();
        let arns = Arns::of(&spec);
        assert_eq!(
            arns.role,
            "arn:aws-cn:iam::<ACCOUNT_ID>:role/acme-ingest-role"
        );
        assert_eq!(arns.objects, "arn:aws-cn:s3:::acme-ingest-source/logs/*");
        assert_eq!(
            arns.queue_url,
            "https://sqs.cn-north-1.amazonaws.com.cn/<ACCOUNT_ID>/acme-ingest-queue"
        );
    }
}
