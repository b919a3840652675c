//! The queue's access policy and the queue and dead-letter queue attributes.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Arns;
use super::policy::{Policy, PolicyError, Principal, Statement, and, condition};
use crate::spec::{Delivery, QueueEncryption, Spec};

/// Retention of the dead-letter queue: the maximum, so failures can be inspected.
pub const DLQ_RETENTION_SECS: u32 = 1_209_600;

/// The Sid of the statement sluice adds to a queue's access policy on each
/// delivery route (S3, the bucket's SNS topic, our EventBridge rule): merges
/// and destroy find ours by it.
pub const QUEUE_POLICY_SIDS: [&str; 3] = [S3_SENDS_SID, SNS_SENDS_SID, EVENTBRIDGE_SENDS_SID];
const S3_SENDS_SID: &str = "AllowS3ToSendMessage";
const SNS_SENDS_SID: &str = "AllowSnsTopicToSendMessage";
const EVENTBRIDGE_SENDS_SID: &str = "AllowEventBridgeRuleToSendMessage";

/// Lets the one sender of the pipeline's events, and only it, send to the
/// queue: S3 for this bucket in this account (the Databend/TiDB form, not
/// Tarsal's guide's `"AWS": "*"` principal), or the bucket's SNS topic, or
/// our EventBridge rule, as `notification.delivery` says.
pub fn queue_policy(spec: &Spec) -> Policy {
    let arns = Arns::of(spec);
    let statement = match spec.delivery() {
        Some(Delivery::Sns) => topic_sends(
            SNS_SENDS_SID,
            &arns.queue,
            spec.notification.topic_arn.as_deref().unwrap_or_default(),
        ),
        Some(Delivery::Eventbridge) => Statement::allow(
            EVENTBRIDGE_SENDS_SID,
            "sqs:SendMessage",
            arns.queue.as_str(),
        )
        .principal(Principal::service("events.amazonaws.com"))
        .condition(condition(
            "ArnEquals",
            "aws:SourceArn",
            arns.rule.as_str().into(),
        )),
        Some(Delivery::Direct) | None => {
            let mut conditions = condition("ArnLike", "aws:SourceArn", arns.bucket.as_str().into());
            and(
                &mut conditions,
                "StringEquals",
                "aws:SourceAccount",
                arns.account.as_str().into(),
            );
            Statement::allow(S3_SENDS_SID, "sqs:SendMessage", arns.queue.as_str())
                .principal(Principal::service("s3.amazonaws.com"))
                .condition(conditions)
        }
    };
    Policy {
        id: Some(format!("{}-policy", spec.queue.name)),
        ..Policy::new(vec![statement])
    }
}

/// An adopted queue's access policy with our statement merged into it:
/// `existing` is its `Policy` attribute as read (none or empty when the
/// queue has no policy); one that is not a policy is refused, not replaced.
pub fn merged_queue_policy(
    existing: Option<&QueueAttribute>,
    spec: &Spec,
) -> Result<QueueAttribute, PolicyError> {
    let existing = match existing {
        None => None,
        Some(QueueAttribute::Policy(policy)) => Some((**policy).clone()),
        // Read as text: empty, or not a policy (the parse says why).
        Some(other) => {
            let text = other.to_text();
            if text.trim().is_empty() {
                None
            } else {
                Some(Policy::parse(&text)?)
            }
        }
    };
    let merged = Policy::merge(existing.as_ref(), &queue_policy(spec));
    Ok(QueueAttribute::Policy(Box::new(merged)))
}

/// The statement of a queue's policy that lets the SNS topic `topic_arn`,
/// and no other, send to the queue `queue_arn`.
pub fn topic_sends(sid: &str, queue_arn: &str, topic_arn: &str) -> Statement {
    Statement::allow(sid, "sqs:SendMessage", queue_arn)
        .principal(Principal::service("sns.amazonaws.com"))
        .condition(condition("ArnEquals", "aws:SourceArn", topic_arn.into()))
}

/// The largest message the queues take, set the same way on every path: the
/// AWS provider for Terraform (5.x) accepts no more than 256 KiB, and an S3
/// event notification is a few KiB.
pub const MAX_MESSAGE_SIZE: u32 = 262_144;

/// The queue's attributes in the form `aws sqs set-queue-attributes --attributes`
/// takes: every value a string, policies as compact JSON strings.
/// On an adopted queue (`create: false`) only the access policy is managed.
pub fn queue_attributes(spec: &Spec) -> Value {
    let mut attrs = Map::new();
    if spec.queue.create {
        attrs.insert(
            "VisibilityTimeout".into(),
            spec.queue.visibility_timeout_secs.to_string().into(),
        );
        attrs.insert(
            "MessageRetentionPeriod".into(),
            spec.queue.message_retention_secs.to_string().into(),
        );
        attrs.insert(
            "MaximumMessageSize".into(),
            MAX_MESSAGE_SIZE.to_string().into(),
        );
        encryption(spec, &mut attrs);
        if spec.queue.dead_letter.enabled {
            let redrive = QueueAttribute::Redrive(RedrivePolicy {
                dead_letter_target_arn: Arns::of(spec).dlq,
                max_receive_count: spec.queue.dead_letter.max_receive_count,
            });
            attrs.insert("RedrivePolicy".into(), redrive.to_text().into());
        }
    }
    attrs.insert("Policy".into(), queue_policy(spec).to_string().into());
    Value::Object(attrs)
}

/// The dead-letter queue's attributes, or `None` when it is disabled: the
/// longest retention and the queue's encryption.
pub fn dlq_attributes(spec: &Spec) -> Option<Value> {
    if !spec.has_dead_letter() || !spec.queue.create {
        return None;
    }
    let mut attrs = Map::new();
    attrs.insert(
        "MessageRetentionPeriod".into(),
        DLQ_RETENTION_SECS.to_string().into(),
    );
    attrs.insert(
        "MaximumMessageSize".into(),
        MAX_MESSAGE_SIZE.to_string().into(),
    );
    encryption(spec, &mut attrs);
    Some(Value::Object(attrs))
}

fn encryption(spec: &Spec, attrs: &mut Map<String, Value>) {
    match spec.queue.encryption {
        QueueEncryption::SqsManaged => {
            attrs.insert("SqsManagedSseEnabled".into(), "true".into());
        }
        QueueEncryption::None => {
            attrs.insert("SqsManagedSseEnabled".into(), "false".into());
        }
        QueueEncryption::Kms => {
            if let Some(key) = &spec.queue.kms_key_arn {
                attrs.insert("KmsMasterKeyId".into(), key.clone().into());
            }
        }
    }
}

/// A queue's attributes, by SQS's attribute names, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct QueueAttributes(pub IndexMap<String, QueueAttribute>);

/// One queue attribute: SQS's string, or, for the JSON-valued ones, what it
/// says: the access policy (`Policy`) and the redrive policy
/// (`RedrivePolicy`), so a plan compares and shows their structure. A value
/// that does not read as its kind stays the string it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum QueueAttribute {
    Policy(Box<Policy>),
    Redrive(RedrivePolicy),
    Text(String),
}

/// A queue's redrive policy: where its failed messages go, and after how
/// many receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    /// SQS reports it as a number; some writers give it as a string.
    #[serde(deserialize_with = "count")]
    pub max_receive_count: u32,
}

fn count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    match Value::deserialize(deserializer)? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| D::Error::custom(format!("maxReceiveCount {n} is not a count"))),
        Value::String(text) => text
            .parse()
            .map_err(|_| D::Error::custom(format!("maxReceiveCount {text:?} is not a count"))),
        other => Err(D::Error::custom(format!(
            "maxReceiveCount {other} is not a count"
        ))),
    }
}

impl QueueAttribute {
    /// The attribute `name` from SQS's text.
    pub fn read(name: &str, text: &str) -> QueueAttribute {
        let parsed = match name {
            "Policy" => Policy::parse(text)
                .ok()
                .map(|policy| QueueAttribute::Policy(Box::new(policy))),
            "RedrivePolicy" => serde_json::from_str(text).ok().map(QueueAttribute::Redrive),
            _ => None,
        };
        parsed.unwrap_or_else(|| QueueAttribute::Text(text.to_owned()))
    }

    /// The text SQS takes: a policy as compact JSON.
    pub fn to_text(&self) -> String {
        match self {
            QueueAttribute::Policy(policy) => policy.to_string(),
            QueueAttribute::Redrive(redrive) => super::json(redrive).to_string(),
            QueueAttribute::Text(text) => text.clone(),
        }
    }
}

impl QueueAttributes {
    /// A queue's attributes from SQS's text, each read as its kind.
    pub fn read<K: Into<String>, V: AsRef<str>>(raw: impl IntoIterator<Item = (K, V)>) -> Self {
        QueueAttributes(
            raw.into_iter()
                .map(|(k, v)| {
                    let name = k.into();
                    let value = QueueAttribute::read(&name, v.as_ref());
                    (name, value)
                })
                .collect(),
        )
    }

    /// The attributes as a JSON object of SQS's texts (a generator's form).
    pub fn from_json_texts(raw: &Map<String, Value>) -> Self {
        QueueAttributes::read(raw.iter().map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        }))
    }

    pub fn get(&self, name: &str) -> Option<&QueueAttribute> {
        self.0.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;
    use serde_json::json;

    #[test]
    fn queue_attributes_parse_their_json_valued_ones_only() {
        let attrs = QueueAttributes::read([
            ("Policy", r#"{"Version":"2012-10-17","Statement":[]}"#),
            ("VisibilityTimeout", "30"),
            ("RedrivePolicy", "not json"),
        ]);
        assert_eq!(
            crate::docs::json(&attrs),
            json!({
                "Policy": {"Version": "2012-10-17", "Statement": []},
                "VisibilityTimeout": "30",
                "RedrivePolicy": "not json"
            })
        );
        // A redrive policy reads the same whether its count is a number or a string.
        let arn = "arn:aws:sqs:us-west-2:1:q-dlq";
        let number = QueueAttribute::read(
            "RedrivePolicy",
            &format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}"#),
        );
        let text = QueueAttribute::read(
            "RedrivePolicy",
            &format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"5"}}"#),
        );
        assert_eq!(number, text);
        assert_eq!(
            text.to_text(),
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}"#)
        );
        assert_eq!(
            attrs.get("Policy").unwrap().to_text(),
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
    }

    #[test]
    fn each_route_lets_in_only_its_sender() {
        use crate::spec::Delivery;
        let mut spec = acme();
        spec.notification.delivery = Delivery::Sns;
        spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:uploads".into());
        assert_eq!(
            crate::docs::json(&queue_policy(&spec))["Statement"],
            json!([{
                "Sid": "AllowSnsTopicToSendMessage",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
                "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-west-2:123456789012:uploads"}}
            }])
        );
        spec.notification.delivery = Delivery::Eventbridge;
        spec.notification.topic_arn = None;
        assert_eq!(
            crate::docs::json(&queue_policy(&spec))["Statement"],
            json!([{
                "Sid": "AllowEventBridgeRuleToSendMessage",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
                "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-west-2:123456789012:rule/acme-ingest-object-created"}}
            }])
        );
        // The connector's own permissions are the same on every route.
        let direct = crate::docs::permissions_policy(&acme());
        assert_eq!(crate::docs::permissions_policy(&spec), direct);
        let text = direct.to_string();
        assert!(
            !text.contains("sns:") && !text.contains("events:"),
            "{text}"
        );
    }

    #[test]
    fn queue_policy_is_scoped_to_bucket_and_account() {
        assert_eq!(
            crate::docs::json(&queue_policy(&acme())),
            json!({
                "Version": "2012-10-17",
                "Id": "acme-ingest-queue-policy",
                "Statement": [{
                    "Sid": "AllowS3ToSendMessage",
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-ingest-source"},
                        "StringEquals": {"aws:SourceAccount": "123456789012"}
                    }
                }]
            })
        );
    }

    #[test]
    fn queue_attributes_are_strings() {
        let attrs = queue_attributes(&acme());
        let keys: Vec<&String> = attrs.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "MaximumMessageSize",
                "SqsManagedSseEnabled",
                "RedrivePolicy",
                "Policy"
            ]
        );
        assert_eq!(attrs["VisibilityTimeout"], "600");
        assert_eq!(attrs["MessageRetentionPeriod"], "604800");
        assert_eq!(attrs["SqsManagedSseEnabled"], "true");
        assert_eq!(
            attrs["RedrivePolicy"],
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue-dlq","maxReceiveCount":5}"#
        );
        let policy = Policy::parse(attrs["Policy"].as_str().unwrap()).unwrap();
        assert_eq!(policy, queue_policy(&acme()));
    }

    #[test]
    fn kms_queue_and_adopted_queue() {
        let mut spec = acme();
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/q".into());
        spec.queue.dead_letter.enabled = false;
        let attrs = queue_attributes(&spec);
        assert_eq!(
            attrs["KmsMasterKeyId"],
            "arn:aws:kms:us-west-2:123456789012:key/q"
        );
        assert!(attrs.get("RedrivePolicy").is_none());
        assert!(attrs.get("SqsManagedSseEnabled").is_none());
        assert_eq!(dlq_attributes(&spec), None);

        spec.queue.create = false;
        let attrs = queue_attributes(&spec);
        let keys: Vec<&String> = attrs.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Policy"]);
    }

    #[test]
    fn dlq_keeps_messages_longest() {
        let attrs = dlq_attributes(&acme()).unwrap();
        assert_eq!(
            attrs,
            json!({
                "MessageRetentionPeriod": "1209600",
                "MaximumMessageSize": "262144",
                "SqsManagedSseEnabled": "true"
            })
        );
    }
}
