//! The two routes that bring a shared bucket's events to the queue without an
//! entry of ours in its notification configuration, where ours would overlap
//! another team's: the bucket's existing SNS topic (our queue subscribes to
//! it, unfiltered) and EventBridge (the bucket's EventBridge setting
//! turned on, a rule matching Object Created for our keys, the queue as target).

use serde_json::{Map, Value, json};

use super::Arns;
use super::document::{RuleDocument, RuleTarget, SubscriptionDocument};
use super::notification::{
    Entry, NotificationConfiguration, NotificationFilter, Target, events_cover,
};
use crate::spec::Spec;

/// The Id of the rule's target: the queue.
pub const TARGET_ID: &str = "sluice-queue";

/// Our queue's subscription to the bucket's topic, in the shape
/// `aws sns get-subscription-attributes` reports. Not raw: the SNS envelope
/// names the topic each message came through. No filter policy: the only
/// place S3 puts the key is inside its `Records` array, and the SNS
/// documents do not say that a body filter (FilterPolicyScope MessageBody)
/// looks inside arrays of objects (they describe arrays only as lists of
/// values), so the route must not depend on it. The queue receives every
/// event the topic carries; the consumer takes those outside the spec's
/// bucket, prefix and suffix off the queue without fetching them.
pub fn subscription_document(spec: &Spec) -> SubscriptionDocument {
    let mut attributes = Map::new();
    attributes.insert("RawMessageDelivery".into(), "false".into());
    SubscriptionDocument {
        topic_arn: spec.notification.topic_arn.clone().unwrap_or_default(),
        protocol: "sqs".into(),
        endpoint: Arns::of(spec).queue,
        attributes,
    }
}

/// The EventBridge pattern: Object Created in this bucket, for the spec's
/// keys (a prefix, a suffix, or both as one wildcard) and, when the spec
/// names particular object-created events, the reasons they stand for.
pub fn event_pattern(spec: &Spec) -> Value {
    let mut detail = Map::new();
    detail.insert(
        "bucket".into(),
        json!({ "name": [spec.bucket.name.clone()] }),
    );
    let (prefix, suffix) = spec.key_filter();
    let key = match (prefix.is_empty(), suffix.is_empty()) {
        (true, true) => None,
        (false, true) => Some(json!({ "prefix": prefix })),
        (true, false) => Some(json!({ "suffix": suffix })),
        (false, false) => Some(json!({
            "wildcard": format!("{}*{}", escape_wildcard(prefix), escape_wildcard(suffix))
        })),
    };
    if let Some(key) = key {
        detail.insert("object".into(), json!({ "key": [key] }));
    }
    let events = &spec.notification.events;
    if !events.iter().any(|e| e == "s3:ObjectCreated:*") {
        let reasons: Vec<&str> = events
            .iter()
            .filter_map(|e| match e.as_str() {
                "s3:ObjectCreated:Put" => Some("PutObject"),
                // The reasons as S3 writes them into EventBridge events.
                "s3:ObjectCreated:Post" => Some("POST Object"),
                "s3:ObjectCreated:Copy" => Some("CopyObject"),
                "s3:ObjectCreated:CompleteMultipartUpload" => Some("CompleteMultipartUpload"),
                _ => None,
            })
            .collect();
        if !reasons.is_empty() {
            detail.insert("reason".into(), json!(reasons));
        }
    }
    json!({
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": detail,
    })
}

/// `*` and `\` are the wildcard operator's own characters.
fn escape_wildcard(text: &str) -> String {
    text.replace('\\', "\\\\").replace('*', "\\*")
}

/// How an EventBridge rule's event pattern relates to one bucket's S3 events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketMatch {
    /// The pattern names the bucket, or matches its name by a prefix,
    /// suffix, wildcard or a matcher that cannot be ruled out.
    Names,
    /// The pattern takes S3's events of any bucket (no bucket filter).
    AnyBucket,
    /// The pattern cannot match an event from this bucket.
    No,
}

/// Whether a rule with `pattern` (its event pattern, parsed) may take the
/// events S3 sends EventBridge for `bucket`, judged as EventBridge matches:
/// `source`, then `detail.bucket.name`. Whatever cannot be ruled out
/// (an `$or`, a matcher this does not know) counts as a match.
pub fn rule_matches_bucket(pattern: &Value, bucket: &str) -> BucketMatch {
    if pattern.to_string().contains("\"$or\"") {
        return BucketMatch::Names;
    }
    let Some(pattern) = pattern.as_object() else {
        return BucketMatch::Names;
    };
    if let Some(sources) = pattern.get("source")
        && !field_may_match(sources, "aws.s3")
    {
        return BucketMatch::No;
    }
    match pattern
        .get("detail")
        .and_then(|d| d.get("bucket"))
        .and_then(|b| b.get("name"))
    {
        None => BucketMatch::AnyBucket,
        Some(names) if field_may_match(names, bucket) => BucketMatch::Names,
        Some(_) => BucketMatch::No,
    }
}

/// Whether a pattern field (an array of values and matchers) may match `value`.
fn field_may_match(field: &Value, value: &str) -> bool {
    match field {
        Value::Array(items) => items.iter().any(|m| matcher_may_match(m, value)),
        // Not an array: not valid pattern grammar; assume it matches.
        _ => true,
    }
}

fn matcher_may_match(matcher: &Value, value: &str) -> bool {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match matcher {
        Value::String(s) => s == value,
        Value::Object(m) => {
            let Some((op, arg)) = m.iter().next() else {
                return true;
            };
            match (op.as_str(), arg) {
                ("prefix", Value::String(p)) => value.starts_with(p.as_str()),
                ("prefix", Value::Object(o)) => o
                    .get("equals-ignore-case")
                    .and_then(text)
                    .is_none_or(|p| value.to_lowercase().starts_with(&p.to_lowercase())),
                ("suffix", Value::String(p)) => value.ends_with(p.as_str()),
                ("suffix", Value::Object(o)) => o
                    .get("equals-ignore-case")
                    .and_then(text)
                    .is_none_or(|p| value.to_lowercase().ends_with(&p.to_lowercase())),
                ("equals-ignore-case", Value::String(p)) => value.eq_ignore_ascii_case(p),
                ("wildcard", Value::String(p)) => wildcard_matches(p, value),
                ("exists", Value::Bool(exists)) => *exists,
                ("anything-but", Value::String(s)) => s != value,
                ("anything-but", Value::Array(list)) => {
                    !list.iter().any(|s| s.as_str() == Some(value))
                }
                ("anything-but", Value::Object(o)) => match o.iter().next() {
                    Some((k, Value::String(p))) if k == "prefix" => !value.starts_with(p.as_str()),
                    Some((k, Value::String(p))) if k == "suffix" => !value.ends_with(p.as_str()),
                    _ => true,
                },
                ("numeric" | "cidr", _) => false,
                _ => true,
            }
        }
        // Numbers, booleans and null never equal a name.
        _ => false,
    }
}

/// EventBridge's `wildcard` operator: `*` is any run of characters, `\*`
/// and `\\` stand for themselves.
fn wildcard_matches(pattern: &str, value: &str) -> bool {
    enum Token {
        Any,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Token::Char(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(Token::Any),
            c => tokens.push(Token::Char(c)),
        }
    }
    let value: Vec<char> = value.chars().collect();
    // matched[j]: the tokens so far match value[..j].
    let mut matched = vec![false; value.len() + 1];
    matched[0] = true;
    for token in &tokens {
        let mut next = vec![false; value.len() + 1];
        match token {
            Token::Any => {
                let mut any = false;
                for j in 0..=value.len() {
                    any |= matched[j];
                    next[j] = any;
                }
            }
            Token::Char(c) => {
                for j in 0..value.len() {
                    next[j + 1] = matched[j] && value[j] == *c;
                }
            }
        }
        matched = next;
    }
    matched[value.len()]
}

/// What the rule says it is for (the same on every path).
pub fn rule_description(spec: &Spec) -> String {
    format!(
        "Object Created in {} to the {} queue (sluice)",
        spec.bucket.name, spec.queue.name
    )
}

/// The rule as `aws events describe-rule` and `list-targets-by-rule` report it.
pub fn rule_document(spec: &Spec) -> RuleDocument {
    RuleDocument {
        name: spec.notification.id.clone(),
        event_pattern: event_pattern(spec),
        state: "ENABLED".into(),
        description: rule_description(spec),
        targets: vec![RuleTarget {
            id: TARGET_ID.into(),
            arn: Arns::of(spec).queue,
        }],
    }
}

/// Whether a notification configuration has EventBridge delivery on.
pub fn eventbridge_enabled(config: &NotificationConfiguration) -> bool {
    config.eventbridge
}

/// `config` with EventBridge delivery on, every entry as it was.
pub fn enable_eventbridge(config: &NotificationConfiguration) -> NotificationConfiguration {
    NotificationConfiguration {
        eventbridge: true,
        ..config.clone()
    }
}

/// `config` with EventBridge delivery off, every entry as it was.
pub fn disable_eventbridge(config: &NotificationConfiguration) -> NotificationConfiguration {
    NotificationConfiguration {
        eventbridge: false,
        ..config.clone()
    }
}

/// The bucket's entry that publishes every event the spec wants, for every
/// key it wants, to the spec's topic: what `delivery: sns` relies on. Err
/// says what the bucket publishes to that topic instead.
pub fn covering_topic_entry(
    config: &NotificationConfiguration,
    spec: &Spec,
) -> Result<String, String> {
    let topic = spec.notification.topic_arn.as_deref().unwrap_or_default();
    let ours = NotificationFilter {
        prefix: spec.bucket.prefix.clone(),
        suffix: spec.bucket.suffix.clone(),
    };
    let to_topic: Vec<&Entry> = config
        .entries
        .iter()
        .filter(|e| e.target == Target::Topic(topic.to_owned()))
        .collect();
    let id = |e: &Entry| e.id_or("(no id)").to_owned();
    for entry in &to_topic {
        let theirs = entry.key_filter();
        let events = entry.events();
        let keys_covered =
            ours.prefix.starts_with(&theirs.prefix) && ours.suffix.ends_with(&theirs.suffix);
        let events_covered = spec
            .notification
            .events
            .iter()
            .all(|wanted| events.iter().any(|e| events_cover(e, wanted)));
        if keys_covered && events_covered {
            return Ok(id(entry));
        }
    }
    let wanted = format!(
        "{} for keys with prefix `{}` and suffix `{}`",
        spec.notification.events.join(", "),
        ours.prefix,
        ours.suffix
    );
    if to_topic.is_empty() {
        Err(format!(
            "the bucket {} publishes nothing to the topic {topic}, so no event would reach the queue; its owners add a topic entry for {wanted}, or choose notification.delivery eventbridge",
            spec.bucket.name
        ))
    } else {
        let seen: Vec<String> = to_topic
            .iter()
            .map(|e| {
                let f = e.key_filter();
                format!(
                    "{} ({} under prefix `{}` and suffix `{}`)",
                    id(e),
                    e.events().join(", "),
                    f.prefix,
                    f.suffix
                )
            })
            .collect();
        Err(format!(
            "the bucket {}'s entries to the topic {topic} do not cover {wanted}: {}; widen one, or choose notification.delivery eventbridge",
            spec.bucket.name,
            seen.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;
    use crate::spec::Delivery;

    fn routed(delivery: Delivery) -> Spec {
        let mut spec = acme();
        spec.notification.delivery = delivery;
        if delivery == Delivery::Sns {
            spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:uploads".into());
        }
        spec.bucket.prefix = "other/in dir/".into();
        spec
    }

    #[test]
    fn the_subscription_carries_no_body_filter() {
        let spec = routed(Delivery::Sns);
        assert_eq!(
            crate::docs::json(&subscription_document(&spec)),
            json!({
                "TopicArn": "arn:aws:sns:us-west-2:123456789012:uploads",
                "Protocol": "sqs",
                "Endpoint": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
                "Attributes": {"RawMessageDelivery": "false"}
            })
        );
    }

    #[test]
    fn the_rule_matches_object_created_for_the_spec_keys() {
        let mut spec = routed(Delivery::Eventbridge);
        spec.bucket.suffix = ".json*".into();
        assert_eq!(
            crate::docs::json(&rule_document(&spec)),
            json!({
                "Name": "acme-ingest-object-created",
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": ["acme-ingest-source"]},
                        "object": {"key": [{"wildcard": "other/in dir/*.json\\*"}]}
                    }
                },
                "State": "ENABLED",
                "Description": "Object Created in acme-ingest-source to the acme-ingest-queue queue (sluice)",
                "Targets": [{"Id": "sluice-queue", "Arn": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue"}]
            })
        );
        spec.bucket.suffix.clear();
        spec.notification.events = vec![
            "s3:ObjectCreated:Put".into(),
            "s3:ObjectCreated:Copy".into(),
        ];
        let pattern = event_pattern(&spec);
        assert_eq!(
            pattern["detail"]["object"],
            json!({"key": [{"prefix": "other/in dir/"}]})
        );
        assert_eq!(
            pattern["detail"]["reason"],
            json!(["PutObject", "CopyObject"])
        );
    }

    #[test]
    fn eventbridge_is_switched_with_every_entry_kept() {
        let config = NotificationConfiguration::from_json(&json!({
            "QueueConfigurations": [{"Id": "theirs", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectCreated:*"]}]
        }))
        .unwrap();
        let on = enable_eventbridge(&config);
        assert!(eventbridge_enabled(&on));
        assert_eq!(on.entries, config.entries);
        assert_eq!(enable_eventbridge(&on), on);
        assert_eq!(disable_eventbridge(&on), config);
        assert!(eventbridge_enabled(&enable_eventbridge(
            &NotificationConfiguration::default()
        )));
    }

    #[test]
    fn the_topic_must_carry_every_wanted_event_and_key() {
        let spec = routed(Delivery::Sns);
        let entry = |events: &[&str], prefix: &str| {
            NotificationConfiguration::from_json(&json!({"TopicConfigurations": [{
                "Id": "uploads", "TopicArn": "arn:aws:sns:us-west-2:123456789012:uploads",
                "Events": events,
                "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": prefix}]}}
            }]}))
            .unwrap()
        };
        assert_eq!(
            covering_topic_entry(&entry(&["s3:ObjectCreated:*"], "other/"), &spec).as_deref(),
            Ok("uploads")
        );
        let narrow =
            covering_topic_entry(&entry(&["s3:ObjectCreated:Put"], "other/"), &spec).unwrap_err();
        assert!(
            narrow.contains("uploads (s3:ObjectCreated:Put under prefix `other/`"),
            "{narrow}"
        );
        let elsewhere =
            covering_topic_entry(&entry(&["s3:ObjectCreated:*"], "images/"), &spec).unwrap_err();
        assert!(elsewhere.contains("do not cover"), "{elsewhere}");
        let none = covering_topic_entry(&NotificationConfiguration::default(), &spec).unwrap_err();
        assert!(none.contains("publishes nothing to the topic"), "{none}");
        assert!(none.contains("notification.delivery eventbridge"), "{none}");
    }
    #[test]
    fn rules_are_matched_to_a_bucket_as_eventbridge_would() {
        let m = |p: Value| rule_matches_bucket(&p, "acme-ingest-source");
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": ["acme-ingest-source"]}}})
            ),
            BucketMatch::Names
        );
        assert_eq!(
            m(json!({"source": ["aws.s3"], "detail": {"bucket": {"name": ["other-bucket"]}}})),
            BucketMatch::No
        );
        assert_eq!(m(json!({"source": ["aws.s3"]})), BucketMatch::AnyBucket);
        assert_eq!(
            m(json!({"detail-type": ["Object Created"]})),
            BucketMatch::AnyBucket
        );
        assert_eq!(m(json!({"source": ["aws.ec2"]})), BucketMatch::No);
        assert_eq!(
            m(
                json!({"source": [{"prefix": "aws."}], "detail": {"bucket": {"name": [{"prefix": "acme-"}]}}})
            ),
            BucketMatch::Names
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"prefix": "other-"}]}}})
            ),
            BucketMatch::No
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"wildcard": "acme-*-source"}]}}})
            ),
            BucketMatch::Names
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"wildcard": "acme-*-sink"}]}}})
            ),
            BucketMatch::No
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"anything-but": "acme-ingest-source"}]}}})
            ),
            BucketMatch::No
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"anything-but": ["x"]}]}}})
            ),
            BucketMatch::Names
        );
        // What cannot be ruled out counts as a match.
        assert_eq!(
            m(json!({"$or": [{"source": ["aws.ec2"]}, {"source": ["aws.s3"]}]})),
            BucketMatch::Names
        );
        assert_eq!(
            m(
                json!({"source": ["aws.s3"], "detail": {"bucket": {"name": [{"something-new": 1}]}}})
            ),
            BucketMatch::Names
        );
        assert!(wildcard_matches("in/\\*x*", "in/*x.json"));
        assert!(!wildcard_matches("in/\\*x*", "in/ax.json"));
        assert!(wildcard_matches("*", ""));
        assert!(!wildcard_matches("a*b", "ab c"));
    }
}
