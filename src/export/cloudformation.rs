//! The CloudFormation export: one template that creates what `sluice apply`
//! creates, with the very documents of [`crate::docs`].
//!
//! The documents are generated without an account id, so they carry
//! [`ACCOUNT_PLACEHOLDER`]; every string holding it becomes an `Fn::Sub` on
//! `${AWS::AccountId}`, so the template fills in the account it is deployed in.
//! Intrinsics are written in their long form (`Fn::Sub`, `Ref`, `Fn::GetAtt`),
//! which keeps the YAML emitter generic.
//!
//! This file builds the template; `cloudformation/notes.rs` holds its header
//! comment and description, and `cloudformation/tests.rs` the tests.

use serde_json::{Map, Value, json};

use super::yaml::to_yaml;
use crate::docs::{self, ACCOUNT_PLACEHOLDER, Arns, ResourceKind};
use crate::spec::{Delivery, Spec};

mod alarms;
mod notes;

use alarms::{alarm_resources, alarm_topic_resources};
use notes::{description, header_notes};

/// Logical ids of the template's resources.
const POLICY: &str = "ConsumerPolicy";
const ROLE: &str = "ConsumerRole";
const USER: &str = "ConsumerUser";
const DLQ: &str = "DeadLetterQueue";
const QUEUE: &str = "Queue";
const QUEUE_POLICY: &str = "QueuePolicy";
const BUCKET: &str = "SourceBucket";
const BUCKET_POLICY: &str = "SourceBucketPolicy";
const SUBSCRIPTION: &str = "TopicSubscription";
const RULE: &str = "ObjectCreatedRule";
const ALARM_TOPIC: &str = "AlarmTopic";
const ALARM_TOPIC_POLICY: &str = "AlarmTopicPolicy";
const ALARM_EMAIL: &str = "AlarmEmailSubscription";

/// The CloudFormation template (YAML) for `spec`, headed by comments on how
/// to deploy it and on what it leaves to `sluice apply`.
///
/// Secrets never appear in it: an IAM user gets no access key here. On an
/// adopted bucket (`bucket.create: false`) the notification is left out,
/// because CloudFormation would replace the bucket's whole notification
/// configuration, other entries included.
pub fn cloudformation(spec: &Spec) -> String {
    let mut out = String::new();
    for line in header_notes(spec) {
        out.push('#');
        if !line.is_empty() {
            out.push(' ');
            out.push_str(&line.replace(|c: char| c.is_control(), " "));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&to_yaml(&cloudformation_value(spec)));
    out
}

/// The template as a JSON value, in the order it is written.
pub(crate) fn cloudformation_value(spec: &Spec) -> Value {
    let spec = &account_free(spec);
    let arns = Arns::of(spec);
    let queue_arn = if ResourceKind::Queue.wanted(spec) && spec.queue.create {
        get_att(QUEUE, "Arn")
    } else {
        Value::String(arns.queue.clone())
    };
    let queue_url = if ResourceKind::Queue.wanted(spec) && spec.queue.create {
        reference(QUEUE)
    } else {
        Value::String(arns.queue_url.clone())
    };

    // Each kind the spec wants, in the order apply makes them; the match
    // says where each goes in the template.
    let mut resources = Map::new();
    for &kind in ResourceKind::ALL {
        if kind.wanted(spec) {
            kind_resources(kind, spec, &arns, &queue_arn, &queue_url, &mut resources);
        }
    }

    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description(spec),
        "Rules": {
            "RegionMatchesSpec": {
                "Assertions": [{
                    "Assert": { "Fn::Equals": [reference("AWS::Region"), spec.region] },
                    "AssertDescription": format!(
                        "The spec's ARNs name region {}: deploy this stack there.",
                        spec.region
                    ),
                }],
            },
        },
        "Resources": with_account(Value::Object(resources)),
        "Outputs": with_account(Value::Object(outputs(spec, &queue_arn, &queue_url))),
    })
}

/// The template's resources for `kind` (one the spec wants).
fn kind_resources(
    kind: ResourceKind,
    spec: &Spec,
    arns: &Arns,
    queue_arn: &Value,
    queue_url: &Value,
    resources: &mut Map<String, Value>,
) {
    match kind {
        ResourceKind::Policy => {
            resources.insert(
                POLICY.into(),
                json!({
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {
                        "ManagedPolicyName": spec.policy.name,
                        "Description": docs::policy_description(spec),
                        "PolicyDocument": docs::permissions_policy(spec),
                    },
                }),
            );
        }
        ResourceKind::Role => {
            resources.insert(
                ROLE.into(),
                json!({
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": spec.role.name,
                        "Description": docs::role_description(spec),
                        "AssumeRolePolicyDocument": docs::trust_policy(spec),
                        "ManagedPolicyArns": [reference(POLICY)],
                        "Tags": tag_list(spec),
                    },
                }),
            );
        }
        ResourceKind::User => {
            resources.insert(
                USER.into(),
                json!({
                    "Type": "AWS::IAM::User",
                    "Properties": {
                        "UserName": spec.user.name,
                        "ManagedPolicyArns": [reference(POLICY)],
                        "Tags": tag_list(spec),
                    },
                }),
            );
        }
        // An adopted bucket is not the template's: its notification is
        // left to `sluice apply` (see the header notes).
        ResourceKind::Bucket if !spec.bucket.create => {}
        ResourceKind::Bucket => {
            resources.insert(BUCKET.into(), bucket_resource(spec, queue_arn));
            if let Some(policy) = docs::bucket_policy(spec) {
                resources.insert(
                    BUCKET_POLICY.into(),
                    json!({
                        "Type": "AWS::S3::BucketPolicy",
                        "Properties": { "Bucket": reference(BUCKET), "PolicyDocument": policy },
                    }),
                );
            }
        }
        ResourceKind::DeadLetterQueue => {
            if let Some(attributes) = docs::dlq_attributes(spec) {
                resources.insert(
                    DLQ.into(),
                    queue_resource(spec, &spec.queue.dead_letter.name, &attributes, arns),
                );
            }
        }
        ResourceKind::Queue => {
            if spec.queue.create {
                let attributes = docs::queue_attributes(spec);
                resources.insert(
                    QUEUE.into(),
                    queue_resource(spec, &spec.queue.name, &attributes, arns),
                );
            }
            resources.insert(
                QUEUE_POLICY.into(),
                json!({
                    "Type": "AWS::SQS::QueuePolicy",
                    "Properties": {
                        "Queues": [queue_url],
                        "PolicyDocument": docs::queue_policy(spec),
                    },
                }),
            );
        }
        // The bucket's NotificationConfiguration (see [`bucket_resource`]):
        // CloudFormation has no resource of its own for it.
        ResourceKind::Notification => {}
        ResourceKind::Subscription => {
            let document = docs::subscription_document(spec);
            let attributes = &document.attributes;
            let mut properties = json!({
                "Protocol": "sqs",
                "TopicArn": document.topic_arn,
                "Endpoint": queue_arn,
                "RawMessageDelivery": attributes.get("RawMessageDelivery") == Some(&json!("true")),
            });
            if let Some(filter) = attributes.get("FilterPolicy") {
                properties["FilterPolicyScope"] = json!("MessageBody");
                properties["FilterPolicy"] = filter.clone();
            }
            resources.insert(
                SUBSCRIPTION.into(),
                json!({
                    "Type": "AWS::SNS::Subscription",
                    "DependsOn": QUEUE_POLICY,
                    "Properties": properties,
                }),
            );
        }
        ResourceKind::Rule => {
            resources.insert(
                RULE.into(),
                json!({
                    "Type": "AWS::Events::Rule",
                    "DependsOn": QUEUE_POLICY,
                    "Properties": {
                        "Name": spec.notification.id,
                        "Description": docs::rule_description(spec),
                        "EventPattern": docs::event_pattern(spec),
                        "State": "ENABLED",
                        "Targets": [{ "Id": docs::TARGET_ID, "Arn": queue_arn }],
                    },
                }),
            );
        }
        ResourceKind::AlarmTopic => alarm_topic_resources(spec, resources),
        ResourceKind::Alarm => alarm_resources(spec, resources),
    }
}

/// `spec` without its account id: its documents then carry [`ACCOUNT_PLACEHOLDER`]
/// wherever the account goes, for the IaC tool to fill in.
pub(super) fn account_free(spec: &Spec) -> Spec {
    let mut spec = spec.clone();
    spec.account_id = None;
    spec
}

/// Plain-language description of a connector value, by its [`docs::connector_values`] key.
pub(super) fn describe_connector_value(key: &str) -> &'static str {
    match key {
        "role_arn" => "The role the connector assumes",
        "external_id" => "The external ID the connector passes when it assumes the role",
        "user_arn" => "The IAM user a connector can use instead of the role",
        "queue_url" => "URL of the queue the connector consumes",
        "queue_arn" => "ARN of the queue the connector consumes",
        "bucket" => "The bucket the objects are read from",
        "region" => "The region of the bucket and the queue",
        "prefix" => "Only keys starting with this prefix are notified",
        "suffix" => "Only keys ending with this suffix are notified",
        _ => "A value the connector asks for",
    }
}

/// An SQS queue with the properties its attributes document gives, except the
/// access policy (an `AWS::SQS::QueuePolicy` of its own).
fn queue_resource(spec: &Spec, name: &str, attributes: &Value, arns: &Arns) -> Value {
    let mut properties = Map::new();
    properties.insert("QueueName".into(), name.into());
    for (attribute, value) in attributes.as_object().into_iter().flatten() {
        if attribute == "Policy" {
            continue;
        }
        let mut property = queue_property(attribute, value);
        if attribute == "RedrivePolicy" {
            // Through GetAtt, so the dead-letter queue is created first.
            if let Some(target) = property
                .get_mut("deadLetterTargetArn")
                .filter(|target| target.as_str() == Some(arns.dlq.as_str()))
            {
                *target = get_att(DLQ, "Arn");
            }
        }
        properties.insert(attribute.clone(), property);
    }
    properties.insert("Tags".into(), tag_list(spec));
    json!({ "Type": "AWS::SQS::Queue", "Properties": properties })
}

/// An SQS attribute (always a string to the API) as the typed CloudFormation
/// property of the same name: integers, booleans and JSON policies.
fn queue_property(attribute: &str, value: &Value) -> Value {
    let Some(text) = value.as_str() else {
        return value.clone();
    };
    let typed = match attribute {
        "VisibilityTimeout"
        | "MessageRetentionPeriod"
        | "DelaySeconds"
        | "MaximumMessageSize"
        | "ReceiveMessageWaitTimeSeconds"
        | "KmsDataKeyReusePeriodSeconds" => text.parse::<u64>().ok().map(Value::from),
        "SqsManagedSseEnabled" | "FifoQueue" | "ContentBasedDeduplication" => {
            text.parse::<bool>().ok().map(Value::from)
        }
        "RedrivePolicy" | "RedriveAllowPolicy" => serde_json::from_str(text).ok(),
        _ => None,
    };
    typed.unwrap_or_else(|| value.clone())
}

fn bucket_resource(spec: &Spec, queue_arn: &Value) -> Value {
    let mut properties = Map::new();
    properties.insert("BucketName".into(), spec.bucket.name.clone().into());
    properties.insert(
        "PublicAccessBlockConfiguration".into(),
        docs::json(&docs::public_access_block(spec)),
    );
    properties.insert(
        "OwnershipControls".into(),
        docs::json(&docs::ownership_controls(spec)),
    );
    properties.insert(
        "BucketEncryption".into(),
        renamed(
            docs::json(&docs::bucket_encryption(spec)),
            &[
                ("Rules", "ServerSideEncryptionConfiguration"),
                (
                    "ApplyServerSideEncryptionByDefault",
                    "ServerSideEncryptionByDefault",
                ),
            ],
        ),
    );
    if let Some(versioning) = docs::versioning(spec) {
        properties.insert("VersioningConfiguration".into(), docs::json(&versioning));
    }
    if spec.bucket.object_lock {
        properties.insert("ObjectLockEnabled".into(), true.into());
    }
    match spec.delivery() {
        Some(Delivery::Direct) => {
            properties.insert(
                "NotificationConfiguration".into(),
                json!({ "QueueConfigurations": queue_configurations(spec, queue_arn) }),
            );
        }
        Some(Delivery::Eventbridge) => {
            properties.insert(
                "NotificationConfiguration".into(),
                json!({ "EventBridgeConfiguration": { "EventBridgeEnabled": true } }),
            );
        }
        Some(Delivery::Sns) | None => {}
    }
    properties.insert("Tags".into(), bucket_tag_list(spec));
    let mut bucket = json!({
        "Type": "AWS::S3::Bucket",
        // S3 sends a test event when the notification is set: the queue must accept it.
        "DependsOn": QUEUE_POLICY,
        // The bucket holds the data being ingested: deleting the stack keeps it.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    });
    // Only a direct notification to our queue makes S3 send to it (its test event).
    if !(ResourceKind::Queue.wanted(spec) && spec.delivery() == Some(Delivery::Direct))
        && let Some(b) = bucket.as_object_mut()
    {
        b.remove("DependsOn");
    }
    bucket
}

/// Our notification entry in CloudFormation's form: one configuration per
/// event (it takes a single `Event`), each with the entry's key filter.
/// CloudFormation assigns the entries' ids itself.
fn queue_configurations(spec: &Spec, queue_arn: &Value) -> Vec<Value> {
    let entry = docs::notification_entry(spec);
    let rules = entry.filter.as_ref().map(docs::json);
    entry
        .events
        .iter()
        .map(|event| {
            let mut configuration = Map::new();
            configuration.insert("Event".into(), event.as_str().into());
            configuration.insert("Queue".into(), queue_arn.clone());
            if let Some(rules) = &rules {
                configuration.insert("Filter".into(), json!({ "S3Key": { "Rules": rules } }));
            }
            Value::Object(configuration)
        })
        .collect()
}

fn outputs(spec: &Spec, queue_arn: &Value, queue_url: &Value) -> Map<String, Value> {
    let mut outputs = Map::new();
    for (key, literal) in docs::connector_values(spec) {
        if literal.is_empty() {
            continue; // CloudFormation refuses an empty output value.
        }
        let value = match key {
            "role_arn" => get_att(ROLE, "Arn"),
            "user_arn" => get_att(USER, "Arn"),
            "queue_url" => queue_url.clone(),
            "queue_arn" => queue_arn.clone(),
            "bucket" if spec.bucket.create => reference(BUCKET),
            _ => Value::String(literal),
        };
        outputs.insert(
            output_name(key),
            json!({ "Description": describe_connector_value(key), "Value": value }),
        );
    }
    if !spec.bucket.create && spec.writes_bucket_notification() {
        outputs.insert(
            "NotificationSetup".into(),
            json!({
                "Description": "This stack does not add the bucket notification (the bucket is adopted)",
                "Value": if spec.delivery() == Some(Delivery::Eventbridge) {
                    format!(
                        "Run `sluice apply` or setup.sh to turn on EventBridge delivery of bucket {}",
                        spec.bucket.name
                    )
                } else {
                    format!(
                        "Run `sluice apply` or setup.sh to merge notification {} into bucket {}",
                        spec.notification.id, spec.bucket.name
                    )
                },
            }),
        );
    }
    if ResourceKind::User.wanted(spec) && spec.user.create_access_key {
        outputs.insert(
            "UserAccessKey".into(),
            json!({
                "Description": "No access key is created here: secrets never go into a template or its outputs",
                "Value": format!("aws iam create-access-key --user-name {}", spec.user.name),
            }),
        );
    }
    outputs
}

/// `role_arn` → `RoleArn`; the bucket's output is `BucketName`.
fn output_name(key: &str) -> String {
    if key == "bucket" {
        return "BucketName".to_owned();
    }
    pascal_case(key, '_')
}

/// `queue_url` (split at `_`) → `QueueUrl`.
fn pascal_case(words: &str, separator: char) -> String {
    words
        .split(separator)
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// [`docs::bucket_tags`] as CloudFormation's list of `Key`/`Value` pairs.
fn bucket_tag_list(spec: &Spec) -> Value {
    key_value_list(docs::bucket_tags(spec))
}

/// [`docs::tags`] as CloudFormation's list of `Key`/`Value` pairs.
fn tag_list(spec: &Spec) -> Value {
    key_value_list(docs::tags(spec))
}

/// Tags as the `[{"Key", "Value"}]` list IAM, S3 and CloudFormation take.
pub(super) fn key_value_list(tags: std::collections::BTreeMap<String, String>) -> Value {
    tags.into_iter()
        .map(|(key, value)| json!({ "Key": key, "Value": value }))
        .collect()
}

fn reference(logical_id: &str) -> Value {
    json!({ "Ref": logical_id })
}

fn get_att(logical_id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [logical_id, attribute] })
}

/// Every string holding [`ACCOUNT_PLACEHOLDER`] as an `Fn::Sub` on
/// `${AWS::AccountId}` (a literal `${` in it escaped as `${!`), or as a `Ref`
/// to `AWS::AccountId` when it is nothing else.
fn with_account(value: Value) -> Value {
    match value {
        Value::String(s) if s == ACCOUNT_PLACEHOLDER => reference("AWS::AccountId"),
        Value::String(s) if s.contains(ACCOUNT_PLACEHOLDER) => {
            let template = s
                .replace("${", "${!")
                .replace(ACCOUNT_PLACEHOLDER, "${AWS::AccountId}");
            json!({ "Fn::Sub": template })
        }
        Value::Array(items) => items.into_iter().map(with_account).collect(),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, with_account(value)))
                .collect(),
        ),
        other => other,
    }
}

/// `value` with its object keys renamed per `renames`, at every depth.
fn renamed(value: Value, renames: &[(&str, &str)]) -> Value {
    match value {
        Value::Array(items) => items.into_iter().map(|v| renamed(v, renames)).collect(),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = renames
                        .iter()
                        .find(|(from, _)| *from == key)
                        .map_or(key, |(_, to)| (*to).to_owned());
                    (key, renamed(value, renames))
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests;
