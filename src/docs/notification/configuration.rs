//! A bucket's notification configuration, typed: the entries that send its
//! events to queues, topics and Lambda functions, and whether EventBridge
//! gets them. It serializes to the JSON PutBucketNotificationConfiguration
//! takes and `aws s3api get-bucket-notification-configuration` prints
//! (topics, then queues, then Lambda functions, then EventBridge; a kind
//! without entries has no list, as S3 reports it).
//!
//! What S3 holds of others is one of these entries, whole: read into an
//! [`Entry`] and written back from it, nothing of it is lost.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::NotificationFilter;

/// One bucket's notification configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationConfiguration {
    /// Every entry, each kind's in the order S3 lists them.
    pub entries: Vec<Entry>,
    /// The bucket sends its events to EventBridge.
    pub eventbridge: bool,
}

/// One entry: which events, on which keys, go where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// S3 names an entry given none.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(flatten)]
    pub target: Target,
    #[serde(rename = "Events")]
    pub events: Vec<String>,
    /// The key filter's rules; `None` when the entry has no filter.
    #[serde(
        rename = "Filter",
        default,
        skip_serializing_if = "Option::is_none",
        with = "key_filter"
    )]
    pub filter: Option<Vec<FilterRule>>,
}

/// Where an entry sends: the key naming it is the kind's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Target {
    #[serde(rename = "QueueArn")]
    Queue(String),
    #[serde(rename = "TopicArn")]
    Topic(String),
    #[serde(rename = "LambdaFunctionArn")]
    Lambda(String),
}

/// A key filter's rule: `prefix` or `suffix` (S3 reads the name in any
/// case, and some endpoints report it capitalised) and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FilterRule {
    pub name: String,
    pub value: String,
}

impl Target {
    pub fn arn(&self) -> &str {
        match self {
            Target::Queue(arn) | Target::Topic(arn) | Target::Lambda(arn) => arn,
        }
    }

    /// The kind in words: `queue`, `topic` or `Lambda function`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Queue(_) => "queue",
            Target::Topic(_) => "topic",
            Target::Lambda(_) => "Lambda function",
        }
    }
}

impl Entry {
    /// Its Id, or `default` for an entry without one.
    pub fn id_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.id.as_deref().unwrap_or(default)
    }

    /// Its event types.
    pub fn events(&self) -> Vec<&str> {
        self.events.iter().map(String::as_str).collect()
    }

    /// Its key filter's prefix and suffix (rule names in any case).
    pub fn key_filter(&self) -> NotificationFilter {
        let mut filter = NotificationFilter::default();
        for rule in self.filter.iter().flatten() {
            if rule.name.eq_ignore_ascii_case("prefix") {
                filter.prefix = rule.value.clone();
            } else if rule.name.eq_ignore_ascii_case("suffix") {
                filter.suffix = rule.value.clone();
            }
        }
        filter
    }

    /// The entry with its filter rule names lowercased (S3 treats them
    /// case-insensitively).
    pub(super) fn canonical(&self) -> Entry {
        let mut entry = self.clone();
        for rule in entry.filter.iter_mut().flatten() {
            rule.name = rule.name.to_ascii_lowercase();
        }
        entry
    }

    pub(super) fn is_queue(&self, id: &str) -> bool {
        matches!(self.target, Target::Queue(_)) && self.id.as_deref() == Some(id)
    }
}

/// An entry names exactly one destination, and nothing S3 does not have.
impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        struct Written {
            #[serde(default)]
            id: Option<String>,
            #[serde(default)]
            queue_arn: Option<String>,
            #[serde(default)]
            topic_arn: Option<String>,
            #[serde(default)]
            lambda_function_arn: Option<String>,
            events: Vec<String>,
            #[serde(default, with = "key_filter")]
            filter: Option<Vec<FilterRule>>,
        }
        let written = Written::deserialize(deserializer)?;
        let target = match (
            written.queue_arn,
            written.topic_arn,
            written.lambda_function_arn,
        ) {
            (Some(queue), None, None) => Target::Queue(queue),
            (None, Some(topic), None) => Target::Topic(topic),
            (None, None, Some(lambda)) => Target::Lambda(lambda),
            _ => {
                return Err(D::Error::custom(
                    "an entry names one destination: QueueArn, TopicArn or LambdaFunctionArn",
                ));
            }
        };
        Ok(Entry {
            id: written.id,
            target,
            events: written.events,
            filter: written.filter,
        })
    }
}

impl NotificationConfiguration {
    /// The configuration from JSON in the API's shape (`null` is none).
    pub fn from_json(value: &Value) -> Result<Self, serde_json::Error> {
        if value.is_null() {
            return Ok(NotificationConfiguration::default());
        }
        NotificationConfiguration::deserialize(value)
    }

    /// Every entry, queues' first, then topics', then Lambda functions'.
    pub fn queues_first(&self) -> impl Iterator<Item = &Entry> {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by_key(|e| match e.target {
            Target::Queue(_) => 0,
            Target::Topic(_) => 1,
            Target::Lambda(_) => 2,
        });
        entries.into_iter()
    }

    /// The entries sending to queues.
    pub fn queue_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.target, Target::Queue(_)))
    }
}

/// The configuration as the API writes it: a list of entries a kind, and
/// the EventBridge setting; the one shape both ways.
#[derive(Serialize, Deserialize)]
#[serde(
    rename_all = "PascalCase",
    deny_unknown_fields,
    bound(deserialize = "E: Deserialize<'de>")
)]
struct Lists<E> {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    topic_configurations: Vec<E>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    queue_configurations: Vec<E>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lambda_function_configurations: Vec<E>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_bridge_configuration: Option<EventBridgeConfiguration>,
}

/// S3's EventBridge setting: present (and empty) when on.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBridgeConfiguration {}

impl Serialize for NotificationConfiguration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let of = |kind: fn(&Target) -> bool| -> Vec<&Entry> {
            self.entries.iter().filter(|e| kind(&e.target)).collect()
        };
        Lists {
            topic_configurations: of(|t| matches!(t, Target::Topic(_))),
            queue_configurations: of(|t| matches!(t, Target::Queue(_))),
            lambda_function_configurations: of(|t| matches!(t, Target::Lambda(_))),
            event_bridge_configuration: self.eventbridge.then_some(EventBridgeConfiguration {}),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NotificationConfiguration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // An object: serde would take a struct from a list too.
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(D::Error::custom(format!("{value} is not a JSON object")));
        }
        let lists = Lists::<Entry>::deserialize(value).map_err(D::Error::custom)?;
        let mut entries = Vec::new();
        for (list, kind, listed) in [
            ("TopicConfigurations", "topic", lists.topic_configurations),
            ("QueueConfigurations", "queue", lists.queue_configurations),
            (
                "LambdaFunctionConfigurations",
                "Lambda function",
                lists.lambda_function_configurations,
            ),
        ] {
            for entry in listed {
                if entry.target.kind() != kind {
                    return Err(D::Error::custom(format!(
                        "{list} holds an entry to a {} ({})",
                        entry.target.kind(),
                        entry.target.arn()
                    )));
                }
                entries.push(entry);
            }
        }
        Ok(NotificationConfiguration {
            entries,
            eventbridge: lists.event_bridge_configuration.is_some(),
        })
    }
}

/// `Filter: {Key: {FilterRules: [...]}}`, as a list of rules.
mod key_filter {
    use super::FilterRule;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Filter {
        key: Key,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Key {
        filter_rules: Vec<FilterRule>,
    }

    pub fn serialize<S: Serializer>(
        rules: &Option<Vec<FilterRule>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match rules {
            Some(rules) => Filter {
                key: Key {
                    filter_rules: rules.clone(),
                },
            }
            .serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<FilterRule>>, D::Error> {
        Ok(Some(Filter::deserialize(deserializer)?.key.filter_rules))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_the_apis_shape_unchanged() {
        let text = json!({
            "TopicConfigurations": [{"Id": "t", "TopicArn": "arn:aws:sns:us-west-2:1:t", "Events": ["s3:ObjectCreated:*"]}],
            "QueueConfigurations": [
                {"Id": "a", "QueueArn": "arn:aws:sqs:us-west-2:1:a", "Events": ["s3:ObjectCreated:Put"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}]}}},
                {"QueueArn": "arn:aws:sqs:us-west-2:1:b", "Events": [], "Filter": {"Key": {"FilterRules": []}}}
            ],
            "LambdaFunctionConfigurations": [{"Id": "l", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:1:function:f", "Events": ["s3:ObjectRemoved:*"]}],
            "EventBridgeConfiguration": {}
        });
        let config = NotificationConfiguration::from_json(&text).unwrap();
        assert_eq!(config.entries.len(), 4);
        assert!(config.eventbridge);
        assert_eq!(serde_json::to_value(&config).unwrap(), text);
        assert_eq!(config.queue_entries().count(), 2);
        assert_eq!(config.entries[1].key_filter().prefix, "in/");
        assert_eq!(
            serde_json::to_value(NotificationConfiguration::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            NotificationConfiguration::from_json(&Value::Null).unwrap(),
            NotificationConfiguration::default()
        );
    }

    #[test]
    fn refuses_what_s3_does_not_hold() {
        for text in [
            json!({"QueueConfigurations": [{"TopicArn": "arn:aws:sns:us-west-2:1:t", "Events": []}]}),
            json!({"QueueConfigurations": [{"QueueArn": "q", "Events": [], "Extra": 1}]}),
            json!({"Queues": []}),
            json!({"EventBridgeConfiguration": {"On": true}}),
            json!([]),
        ] {
            assert!(
                NotificationConfiguration::from_json(&text).is_err(),
                "{text}"
            );
        }
    }
}
