//! Parsing SQS message bodies into the objects they announce: S3 event
//! notifications (eventVersion 2.x), the same wrapped in an SNS envelope,
//! EventBridge "Object Created" events, and S3's `s3:TestEvent`.

use serde_json::Value;

/// One object an event announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    /// The key, decoded (`+` is a space, then percent-decoding).
    pub key: String,
    pub size: Option<u64>,
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
    /// When S3 says the object was created (RFC 3339), for lag and `_s3_event_time`.
    pub event_time: Option<String>,
    pub event_name: String,
}

impl ObjectRef {
    /// What identifies one creation of one object, for dropping duplicate notifications.
    pub fn identity(&self) -> (String, String, String) {
        let version = self
            .version_id
            .clone()
            .or_else(|| self.sequencer.clone())
            .unwrap_or_default();
        (self.bucket.clone(), self.key.clone(), version)
    }
}

/// What one message holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// S3's `s3:TestEvent`, sent when a notification is configured: drained.
    TestEvent,
    /// Object-created records, and how many other records (not ObjectCreated) were ignored.
    Objects {
        objects: Vec<ObjectRef>,
        ignored: usize,
    },
}

/// Parses a message body. `Err` says why it is not an event sluice understands.
pub fn parse(body: &str) -> Result<Message, String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    parse_value(&value, 0)
}

fn parse_value(value: &Value, depth: u8) -> Result<Message, String> {
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Message::TestEvent);
    }
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        let inner = value
            .get("Message")
            .and_then(Value::as_str)
            .ok_or("an SNS notification without a Message string")?;
        if depth > 2 {
            return Err("SNS envelopes nested too deep".to_owned());
        }
        let inner: Value =
            serde_json::from_str(inner).map_err(|e| format!("SNS Message is not JSON: {e}"))?;
        return parse_value(&inner, depth + 1);
    }
    if let Some(records) = value.get("Records").and_then(Value::as_array) {
        let mut objects = Vec::new();
        let mut ignored = 0;
        for (i, record) in records.iter().enumerate() {
            let version = record
                .get("eventVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if record.get("eventSource").and_then(Value::as_str) != Some("aws:s3")
                || !version.starts_with("2.")
            {
                return Err(format!(
                    "record {i} is not an S3 event notification (eventSource {:?}, eventVersion {version:?})",
                    record
                        .get("eventSource")
                        .and_then(Value::as_str)
                        .unwrap_or("missing")
                ));
            }
            let name = record
                .get("eventName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !name.starts_with("ObjectCreated:") {
                ignored += 1;
                continue;
            }
            let s3 = record
                .get("s3")
                .ok_or_else(|| format!("record {i} has no s3 section"))?;
            let bucket = s3
                .pointer("/bucket/name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("record {i} has no s3.bucket.name"))?;
            let raw_key = s3
                .pointer("/object/key")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("record {i} has no s3.object.key"))?;
            let key = decode_key(raw_key).map_err(|e| format!("record {i}: {e}"))?;
            objects.push(ObjectRef {
                bucket: bucket.to_owned(),
                key,
                size: s3.pointer("/object/size").and_then(Value::as_u64),
                version_id: s3
                    .pointer("/object/versionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                sequencer: s3
                    .pointer("/object/sequencer")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                event_time: record
                    .get("eventTime")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                event_name: name.to_owned(),
            });
        }
        return Ok(Message::Objects { objects, ignored });
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3")
        && value.get("detail-type").is_some()
    {
        let kind = value
            .get("detail-type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != "Object Created" {
            return Ok(Message::Objects {
                objects: Vec::new(),
                ignored: 1,
            });
        }
        let detail = value
            .get("detail")
            .ok_or("an EventBridge event without detail")?;
        let bucket = detail
            .pointer("/bucket/name")
            .and_then(Value::as_str)
            .ok_or("an EventBridge event without detail.bucket.name")?;
        // EventBridge carries keys as they are, not URL-encoded.
        let key = detail
            .pointer("/object/key")
            .and_then(Value::as_str)
            .ok_or("an EventBridge event without detail.object.key")?;
        return Ok(Message::Objects {
            objects: vec![ObjectRef {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                size: detail.pointer("/object/size").and_then(Value::as_u64),
                version_id: detail
                    .pointer("/object/version-id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                sequencer: detail
                    .pointer("/object/sequencer")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                event_time: value.get("time").and_then(Value::as_str).map(str::to_owned),
                event_name: format!(
                    "ObjectCreated:{}",
                    detail
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or("EventBridge")
                ),
            }],
            ignored: 0,
        });
    }
    Err("neither an S3 event notification, an SNS envelope, an EventBridge event, nor an s3:TestEvent".to_owned())
}

pub use crate::docs::{decode_key, encode_key};

/// Whether `key` is inside the spec's prefix and suffix, as S3's filter decides.
pub fn in_scope(key: &str, prefix: &str, suffix: &str) -> bool {
    key.starts_with(prefix) && key.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_event(key: &str, name: &str) -> Value {
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
            "eventTime": "2026-11-22T01:02:03.000Z", "eventName": name,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                   "object": {"key": key, "size": 12, "eTag": "e", "sequencer": "0055AED6DCD90281E5"}}
        }]})
    }

    #[test]
    fn s3_notifications_with_encoded_keys() {
        let body = s3_event("logs/2026+a%2Bb+%C3%A9.json", "ObjectCreated:Put").to_string();
        let Message::Objects { objects, ignored } = parse(&body).unwrap() else {
            panic!()
        };
        assert_eq!(ignored, 0);
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key, "logs/2026 a+b é.json");
        assert_eq!(objects[0].bucket, "b");
        assert_eq!(objects[0].size, Some(12));
        assert_eq!(objects[0].sequencer.as_deref(), Some("0055AED6DCD90281E5"));
        assert_eq!(
            objects[0].event_time.as_deref(),
            Some("2026-11-22T01:02:03.000Z")
        );
    }

    #[test]
    fn keys_round_trip_through_s3_encoding() {
        for key in [
            "plain/key.json",
            "a b+c/é/ü%20x.csv",
            "weird&=?#[]@!$'()*,;.gz",
        ] {
            assert_eq!(decode_key(&encode_key(key)).unwrap(), key);
        }
        assert_eq!(encode_key("a b+c"), "a+b%2Bc");
        assert!(decode_key("%FF").is_err());
    }

    #[test]
    fn other_event_types_are_ignored_and_counted() {
        let body = s3_event("k", "ObjectRemoved:Delete").to_string();
        assert_eq!(
            parse(&body).unwrap(),
            Message::Objects {
                objects: vec![],
                ignored: 1
            }
        );
    }

    #[test]
    fn test_events_sns_and_eventbridge() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "t", "Bucket": "b", "RequestId": "r", "HostId": "h"});
        assert_eq!(parse(&test.to_string()).unwrap(), Message::TestEvent);

        let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-west-2:1:t",
                          "Message": s3_event("a+b", "ObjectCreated:Copy").to_string()});
        let Message::Objects { objects, .. } = parse(&sns.to_string()).unwrap() else {
            panic!()
        };
        assert_eq!(objects[0].key, "a b");

        let eb = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3", "time": "2026-11-22T00:00:00Z",
                         "detail": {"bucket": {"name": "b"}, "object": {"key": "a+b c.json", "size": 5, "version-id": "v1"}, "reason": "PutObject"}});
        let Message::Objects { objects, .. } = parse(&eb.to_string()).unwrap() else {
            panic!()
        };
        assert_eq!(
            objects[0].key, "a+b c.json",
            "EventBridge keys are not URL-encoded"
        );
        assert_eq!(objects[0].identity().2, "v1");
        assert_eq!(objects[0].event_name, "ObjectCreated:PutObject");

        let deleted = json!({"version": "0", "detail-type": "Object Deleted", "source": "aws.s3", "detail": {}});
        assert_eq!(
            parse(&deleted.to_string()).unwrap(),
            Message::Objects {
                objects: vec![],
                ignored: 1
            }
        );
    }

    #[test]
    fn unparseable_messages_say_why() {
        assert!(parse("hello").unwrap_err().contains("not JSON"));
        assert!(parse("{\"a\":1}").unwrap_err().contains("neither"));
        let other = json!({"Records": [{"eventSource": "aws:dynamodb", "eventVersion": "1.1"}]});
        assert!(
            parse(&other.to_string())
                .unwrap_err()
                .contains("not an S3 event")
        );
        let no_key = json!({"Records": [{"eventSource": "aws:s3", "eventVersion": "2.1", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {}}}]});
        assert!(
            parse(&no_key.to_string())
                .unwrap_err()
                .contains("s3.object.key")
        );
    }

    #[test]
    fn scope() {
        assert!(in_scope("logs/a.json", "logs/", ".json"));
        assert!(!in_scope("other/a.json", "logs/", ".json"));
        assert!(!in_scope("logs/a.csv", "logs/", ".json"));
        assert!(in_scope("anything", "", ""));
    }
}
