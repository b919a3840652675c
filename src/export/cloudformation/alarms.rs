//! The alarms in CloudFormation: sluice's topic (with its access policy
//! and the e-mail subscription) and one `AWS::CloudWatch::Alarm` per alarm.

use serde_json::{Map, Value, json};

use super::{ALARM_EMAIL, ALARM_TOPIC, ALARM_TOPIC_POLICY, pascal_case, reference, tag_list};
use crate::docs::{self, ResourceKind};
use crate::spec::Spec;

/// The alarms' topic, when sluice makes it: its access policy and the
/// e-mail subscription too.
pub(super) fn alarm_topic_resources(spec: &Spec, resources: &mut Map<String, Value>) {
    let topic_arn = docs::alarm_topic_arn(spec);
    resources.insert(
        ALARM_TOPIC.into(),
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": docs::alarm_topic_name(spec),
                "Tags": tag_list(spec),
            },
        }),
    );
    resources.insert(
        ALARM_TOPIC_POLICY.into(),
        json!({
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [reference(ALARM_TOPIC)],
                "PolicyDocument": referring(
                    docs::json(&docs::alarm_topic_policy(spec)), &topic_arn, ALARM_TOPIC,
                ),
            },
        }),
    );
    if let Some(email) = &spec.alarms.email {
        resources.insert(
            ALARM_EMAIL.into(),
            json!({
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "Protocol": "email",
                    "TopicArn": reference(ALARM_TOPIC),
                    "Endpoint": email,
                },
            }),
        );
    }
}

/// One `AWS::CloudWatch::Alarm` per alarm, whose properties are the
/// PutMetricAlarm definition itself; they name sluice's topic by `Ref` (made
/// before them).
pub(super) fn alarm_resources(spec: &Spec, resources: &mut Map<String, Value>) {
    let topic_arn = docs::alarm_topic_arn(spec);
    let makes_topic = ResourceKind::AlarmTopic.wanted(spec);
    for alarm in docs::alarms(spec) {
        let Some(kind) = alarm.kind(&spec.name) else {
            continue;
        };
        let mut properties = alarm.document();
        if makes_topic {
            properties = referring(properties, &topic_arn, ALARM_TOPIC);
        }
        properties["Tags"] = tag_list(spec);
        resources.insert(
            alarm_logical_id(kind),
            json!({ "Type": "AWS::CloudWatch::Alarm", "Properties": properties }),
        );
    }
}

/// `dlq-not-empty` → `DlqNotEmptyAlarm`.
pub(super) fn alarm_logical_id(kind: docs::AlarmKind) -> String {
    pascal_case(kind.suffix(), '-') + "Alarm"
}

/// `value` with every string equal to `literal` a `Ref` to `logical_id`.
fn referring(value: Value, literal: &str, logical_id: &str) -> Value {
    match value {
        Value::String(s) if s == literal => reference(logical_id),
        Value::Array(items) => items
            .into_iter()
            .map(|v| referring(v, literal, logical_id))
            .collect(),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, referring(v, literal, logical_id)))
                .collect(),
        ),
        other => other,
    }
}
