//! A resource's document, typed by kind: what the spec wants and what
//! exists, each in its kind's one shape. A plan compares two of a kind,
//! apply reads the fields it puts in place, and each serializes to the JSON
//! a plan shows (the keys AWS's CLI reports). IAM policies are typed by
//! IAM's grammar (`policy`), the bucket's parts by their S3 calls
//! (`s3::PartValue`), its notification configuration by S3's
//! (`notification`), a queue's attributes by SQS's (strings, the access
//! and redrive policies read as what they say). JSON remains where AWS's
//! own value is open JSON: an EventBridge event pattern (a filter shaped
//! like the events it matches), and a subscription's attributes (SNS's
//! strings, a filter policy among them, in the same filter language).

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use super::alarms::MetricAlarm;
use super::notification::NotificationConfiguration;
use super::policy::Policy;
use super::s3::{BucketPart, PartValue};
use super::sqs::QueueAttributes;

/// One resource's document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Document {
    /// The permissions policy.
    Policy(Policy),
    Role(RoleDocument),
    User(UserDocument),
    Bucket(BucketDocument),
    /// A queue's attributes by SQS's names, the JSON-valued ones parsed.
    Queue(QueueAttributes),
    /// The bucket's whole notification configuration, as S3 holds it.
    Notification(NotificationConfiguration),
    Subscription(SubscriptionDocument),
    Rule(RuleDocument),
    AlarmTopic(AlarmTopicDocument),
    Alarm(MetricAlarm),
    /// A resource of the stack under a name the spec no longer uses, known
    /// by the id the account gives it.
    Orphan(OrphanDocument),
}

/// A typed document as JSON: serializing one of these cannot fail (every
/// map key is a string).
pub fn json<T: Serialize>(document: &T) -> Value {
    serde_json::to_value(document).unwrap_or(Value::Null)
}

impl Document {
    /// The JSON a plan shows.
    pub fn to_json(&self) -> Value {
        json(self)
    }
}

/// The role: its trust policy and the managed policies attached to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDocument {
    pub assume_role_policy_document: Policy,
    pub attached_policies: Vec<String>,
}

/// The user: the managed policies attached to it, and, for one about to go,
/// how many access keys go with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDocument {
    pub attached_policies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_keys: Option<usize>,
}

/// The parts of a bucket the stack sets, in [`BucketPart::all`]'s order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BucketDocument(Vec<PartValue>);

impl BucketDocument {
    pub fn get(&self, part: BucketPart) -> Option<&PartValue> {
        self.0.iter().find(|v| v.part() == part)
    }

    /// Sets the value's part, in its place among the others.
    pub fn set(&mut self, value: PartValue) {
        let part = value.part();
        match self.0.iter_mut().find(|v| v.part() == part) {
            Some(slot) => *slot = value,
            None => {
                self.0.push(value);
                let order: Vec<BucketPart> = BucketPart::all().collect();
                self.0
                    .sort_by_key(|v| order.iter().position(|o| *o == v.part()));
            }
        }
    }

    pub fn parts(&self) -> impl Iterator<Item = &PartValue> {
        self.0.iter()
    }
}

impl FromIterator<PartValue> for BucketDocument {
    fn from_iter<I: IntoIterator<Item = PartValue>>(iter: I) -> Self {
        let mut doc = BucketDocument::default();
        for value in iter {
            doc.set(value);
        }
        doc
    }
}

impl Serialize for BucketDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for value in &self.0 {
            map.serialize_entry(value.part().key(), value)?;
        }
        map.end()
    }
}

/// The queue's subscription to a topic, in the shape
/// `aws sns get-subscription-attributes` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionDocument {
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    /// The subscription attributes sluice sets (all of them, for one
    /// about to go).
    pub attributes: Map<String, Value>,
}

/// The EventBridge rule as `aws events describe-rule` and
/// `list-targets-by-rule` report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleDocument {
    pub name: String,
    pub event_pattern: Value,
    pub state: String,
    pub description: String,
    pub targets: Vec<RuleTarget>,
}

/// One target of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTarget {
    pub id: String,
    pub arn: String,
}

/// The topic the alarms notify: its access policy and the address
/// subscribed to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmTopicDocument {
    /// `None` (shown as null) for a topic read without one.
    pub policy: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_subscription: Option<String>,
}

/// A resource known by its id (a queue's URL, a policy's ARN, a role's or
/// user's unique id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrphanDocument {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::BucketSetting;
    use serde_json::json;

    #[test]
    fn a_bucket_document_keeps_its_parts_in_order_and_serializes_by_key() {
        use crate::docs::{Versioning, policy::Policy};
        let versioning = |status: &str| {
            PartValue::Versioning(Versioning {
                status: status.into(),
            })
        };
        let mut doc: BucketDocument = [
            PartValue::from(Policy::new(Vec::new())),
            versioning("Enabled"),
        ]
        .into_iter()
        .collect();
        let keys: Vec<&str> = doc.parts().map(|v| v.part().key()).collect();
        assert_eq!(keys, [BucketSetting::Versioning.key(), "Policy"]);
        doc.set(versioning("Suspended"));
        let part = BucketPart::Setting(BucketSetting::Versioning);
        assert_eq!(doc.get(part), Some(&versioning("Suspended")));
        let text = serde_json::to_string(&Document::Bucket(doc)).unwrap();
        assert_eq!(
            text,
            r#"{"VersioningConfiguration":{"Status":"Suspended"},"Policy":{"Version":"2012-10-17","Statement":[]}}"#
        );
    }

    #[test]
    fn documents_serialize_to_the_keys_aws_reports() {
        let role = Document::Role(RoleDocument {
            assume_role_policy_document: Policy::new(Vec::new()),
            attached_policies: vec!["arn".into()],
        });
        assert_eq!(
            role.to_json(),
            json!({"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}, "AttachedPolicies": ["arn"]})
        );
        let user = Document::User(UserDocument {
            attached_policies: vec![],
            access_keys: None,
        });
        assert_eq!(user.to_json(), json!({"AttachedPolicies": []}));
        let orphan = Document::Orphan(OrphanDocument { id: "AROA1".into() });
        assert_eq!(orphan.to_json(), json!({"Id": "AROA1"}));
    }
}
