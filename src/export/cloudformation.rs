//! The CloudFormation export: one template that creates what `sluice apply`
//! creates, with the very documents of [`crate::docs`].
//!
//! The documents are generated without an account id, so they carry
//! [`ACCOUNT_PLACEHOLDER`]; every string holding it becomes an `Fn::Sub` on
//! `${AWS::AccountId}`, so the template fills in the account it is deployed in.
//! Intrinsics are written in their long form (`Fn::Sub`, `Ref`, `Fn::GetAtt`),
//! which keeps the YAML emitter generic.

use serde_json::{Map, Value, json};

use super::yaml::to_yaml;
use crate::docs::{self, ACCOUNT_PLACEHOLDER, Arns, ResourceKind};
use crate::spec::{Delivery, Spec};

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

    let mut resources = Map::new();
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
    if ResourceKind::Role.wanted(spec) {
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
    if ResourceKind::User.wanted(spec) {
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
    if ResourceKind::Queue.wanted(spec) && spec.queue.create {
        if let Some(attributes) = docs::dlq_attributes(spec) {
            resources.insert(
                DLQ.into(),
                queue_resource(spec, &spec.queue.dead_letter.name, &attributes, &arns),
            );
        }
        let attributes = docs::queue_attributes(spec);
        resources.insert(
            QUEUE.into(),
            queue_resource(spec, &spec.queue.name, &attributes, &arns),
        );
    }
    if ResourceKind::Queue.wanted(spec) {
        resources.insert(
            QUEUE_POLICY.into(),
            json!({
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [queue_url.clone()],
                    "PolicyDocument": docs::queue_policy(spec),
                },
            }),
        );
    }
    match spec.delivery() {
        Some(Delivery::Sns) => {
            let document = docs::subscription_document(spec);
            let attributes = &document["Attributes"];
            let mut properties = json!({
                "Protocol": "sqs",
                "TopicArn": document["TopicArn"],
                "Endpoint": queue_arn,
                "RawMessageDelivery": attributes["RawMessageDelivery"] == "true",
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
        Some(Delivery::Eventbridge) => {
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
        Some(Delivery::Direct) | None => {}
    }
    if spec.bucket.create {
        resources.insert(BUCKET.into(), bucket_resource(spec, &queue_arn));
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

    alarm_resources(spec, &mut resources);

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

/// Lines of the comment at the top of the template.
fn header_notes(spec: &Spec) -> Vec<String> {
    let mut lines = vec![
        format!(
            "CloudFormation template generated by sluice for stack `{}`.",
            spec.name
        ),
        format!(
            "Deploy: aws cloudformation deploy --template-file cloudformation.yaml --stack-name {} --capabilities CAPABILITY_NAMED_IAM --region {}",
            spec.name, spec.region
        ),
    ];
    if !spec.bucket.create && spec.writes_bucket_notification() {
        lines.push(String::new());
        lines.extend(adopted_bucket_note(spec).lines().map(str::to_owned));
    }
    if ResourceKind::User.wanted(spec) && spec.user.create_access_key {
        lines.push(String::new());
        lines.extend(access_key_note(spec).lines().map(str::to_owned));
    }
    if ResourceKind::Alarm.wanted(spec) {
        lines.push(String::new());
        lines.push(format!(
            "The alarms notify {}; deploying them also takes {}.",
            docs::alarm_topic_arn(spec),
            super::ALARM_PERMISSIONS.join(", ")
        ));
    }
    lines
}

fn adopted_bucket_note(spec: &Spec) -> String {
    format!(
        "The bucket {} is adopted, so this stack does not add its notification:\n\
         CloudFormation would replace the bucket's whole notification configuration,\n\
         other entries included. {} with `sluice apply` or the\n\
         exported setup.sh, which merge it with the bucket's existing entries.",
        spec.bucket.name,
        ours_to_merge(spec)
    )
}

/// What `sluice apply` or setup.sh merges into an adopted bucket's notification configuration.
fn ours_to_merge(spec: &Spec) -> String {
    if spec.delivery() == Some(Delivery::Eventbridge) {
        "Turn its EventBridge delivery on".to_owned()
    } else {
        format!("Add notification {}", spec.notification.id)
    }
}

fn access_key_note(spec: &Spec) -> String {
    format!(
        "No access key is created for user {user}: its secret would show in the\n\
         stack. Create it with `aws iam create-access-key --user-name {user}`\n\
         (or `sluice apply`) and keep the secret out of version control.",
        user = spec.user.name
    )
}

fn description(spec: &Spec) -> String {
    let mut text = match spec.profile().shape {
        crate::spec::Shape::QueueFed => format!(
            "sluice stack {}: event-driven ingestion from S3 bucket {} to SQS queue {} in {}.",
            spec.name, spec.bucket.name, spec.queue.name, spec.region
        ),
        crate::spec::Shape::Pull => format!(
            "sluice stack {}: {}'s pull import from S3 bucket {} in {}.",
            spec.name,
            spec.profile().vendor,
            spec.bucket.name,
            spec.region
        ),
        crate::spec::Shape::Destination => format!(
            "sluice stack {}: S3 bucket {} in {} as {}'s destination.",
            spec.name,
            spec.bucket.name,
            spec.region,
            spec.profile().vendor
        ),
        crate::spec::Shape::ForeignQueue => format!(
            "sluice stack {}: S3 bucket {} in {} notifying {}'s queue.",
            spec.name,
            spec.bucket.name,
            spec.region,
            spec.profile().vendor
        ),
    };
    if !spec.bucket.create && spec.writes_bucket_notification() {
        text.push_str(
            " The bucket is adopted: its notification is not part of this stack; add it with `sluice apply` or setup.sh, which merge it.",
        );
    }
    text
}

/// The alarms' topic (when sluice makes it: its access policy and the
/// e-mail subscription too) and one `AWS::CloudWatch::Alarm` per alarm,
/// whose properties are the PutMetricAlarm definition itself. The alarms
/// name sluice's topic by `Ref`, so it is made first.
fn alarm_resources(spec: &Spec, resources: &mut Map<String, Value>) {
    let topic_arn = docs::alarm_topic_arn(spec);
    let makes_topic = ResourceKind::AlarmTopic.wanted(spec);
    if makes_topic {
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
                        docs::alarm_topic_policy(spec), &topic_arn, ALARM_TOPIC,
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
    if !ResourceKind::Alarm.wanted(spec) {
        return;
    }
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
fn alarm_logical_id(kind: docs::AlarmKind) -> String {
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
        docs::public_access_block(spec),
    );
    properties.insert("OwnershipControls".into(), docs::ownership_controls(spec));
    properties.insert(
        "BucketEncryption".into(),
        renamed(
            docs::bucket_encryption(spec),
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
        properties.insert("VersioningConfiguration".into(), versioning);
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
    let rules = entry.pointer("/Filter/Key/FilterRules").cloned();
    entry
        .get("Events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|event| {
            let mut configuration = Map::new();
            configuration.insert("Event".into(), event.clone());
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
mod tests {
    use super::*;
    use crate::docs::testing::acme;
    use crate::spec::{BucketEncryption, QueueEncryption};

    const ACCOUNT: &str = "123456789012";

    /// Undoes the template's intrinsics where they stand for a plain value:
    /// `Fn::Sub` with the account filled in, and the queue's `Ref`/`GetAtt`s.
    fn resolve(value: &Value, spec: &Spec) -> Value {
        let arns = Arns::of(spec);
        match value {
            Value::Object(map) if map.len() == 1 => {
                if let Some(Value::String(template)) = map.get("Fn::Sub") {
                    return Value::String(
                        template
                            .replace("${AWS::AccountId}", ACCOUNT)
                            .replace("${!", "${"),
                    );
                }
                if map.get("Ref") == Some(&json!("AWS::AccountId")) {
                    return ACCOUNT.into();
                }
                if let Some(Value::Array(target)) = map.get("Fn::GetAtt") {
                    match target[0].as_str() {
                        Some(QUEUE) => return arns.queue.into(),
                        Some(DLQ) => return arns.dlq.into(),
                        _ => {}
                    }
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), resolve(v, spec)))
                        .collect(),
                )
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, spec)))
                    .collect(),
            ),
            Value::Array(items) => items.iter().map(|v| resolve(v, spec)).collect(),
            other => other.clone(),
        }
    }

    fn props<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
        &template["Resources"][logical_id]["Properties"]
    }

    fn resource_ids(template: &Value) -> Vec<&str> {
        template["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn all_types(template: &Value) -> Vec<&str> {
        template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .map(|r| r["Type"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn default_spec_has_every_resource_in_order() {
        let template = cloudformation_value(&acme());
        assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
        assert_eq!(
            resource_ids(&template),
            [
                POLICY,
                ROLE,
                DLQ,
                QUEUE,
                QUEUE_POLICY,
                BUCKET,
                BUCKET_POLICY
            ]
        );
        assert_eq!(
            all_types(&template),
            [
                "AWS::IAM::ManagedPolicy",
                "AWS::IAM::Role",
                "AWS::SQS::Queue",
                "AWS::SQS::Queue",
                "AWS::SQS::QueuePolicy",
                "AWS::S3::Bucket",
                "AWS::S3::BucketPolicy"
            ]
        );
        assert!(
            template["Description"]
                .as_str()
                .unwrap()
                .starts_with("sluice stack acme-ingest:")
        );
        assert_eq!(
            template["Rules"]["RegionMatchesSpec"]["Assertions"][0]["Assert"],
            json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-west-2"]})
        );
    }

    #[test]
    fn documents_are_the_docs_with_the_account_filled_in() {
        let mut spec = acme();
        spec.role.trusted_principals.clear(); // the account root, through the placeholder
        spec.bucket.prefix = "events/".into();
        let template = cloudformation_value(&spec);
        let check = |logical_id: &str, property: &str, expected: Value| {
            let written = &props(&template, logical_id)[property];
            assert_eq!(resolve(written, &spec), expected, "{logical_id}.{property}");
        };
        check(POLICY, "PolicyDocument", docs::permissions_policy(&spec));
        check(ROLE, "AssumeRolePolicyDocument", docs::trust_policy(&spec));
        check(QUEUE_POLICY, "PolicyDocument", docs::queue_policy(&spec));
        check(
            BUCKET_POLICY,
            "PolicyDocument",
            docs::bucket_policy(&spec).unwrap(),
        );
        check(
            BUCKET,
            "PublicAccessBlockConfiguration",
            docs::public_access_block(&spec),
        );
        check(BUCKET, "OwnershipControls", docs::ownership_controls(&spec));

        let policy = &props(&template, POLICY)["PolicyDocument"];
        assert_eq!(
            policy["Statement"][3]["Resource"],
            json!({"Fn::Sub": "arn:aws:sqs:us-west-2:${AWS::AccountId}:acme-ingest-queue"})
        );
        let trust = &props(&template, ROLE)["AssumeRolePolicyDocument"];
        assert_eq!(
            trust["Statement"][0]["Principal"]["AWS"],
            json!({"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"})
        );
        let queue_policy = &props(&template, QUEUE_POLICY)["PolicyDocument"];
        assert_eq!(
            queue_policy["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
            json!({"Ref": "AWS::AccountId"})
        );
        assert_eq!(
            props(&template, QUEUE_POLICY)["Queues"],
            json!([{"Ref": "Queue"}])
        );
        assert!(!to_yaml(&template).contains(ACCOUNT_PLACEHOLDER));
        assert!(!to_yaml(&template).contains(ACCOUNT));
    }

    #[test]
    fn iam_resources_attach_the_policy_and_carry_tags() {
        let mut spec = acme();
        spec.user.enabled = true;
        spec.tags.insert("team".into(), "data".into());
        let template = cloudformation_value(&spec);
        let role = props(&template, ROLE);
        assert_eq!(role["RoleName"], "acme-ingest-role");
        assert_eq!(role["ManagedPolicyArns"], json!([{"Ref": POLICY}]));
        assert_eq!(
            role["Tags"],
            json!([
                {"Key": "managed-by", "Value": "sluice"},
                {"Key": "sluice:stack", "Value": "acme-ingest"},
                {"Key": "sluice:tags", "Value": "team"},
                {"Key": "team", "Value": "data"}
            ])
        );
        let user = props(&template, USER);
        assert_eq!(user["UserName"], "acme-ingest-user");
        assert_eq!(user["ManagedPolicyArns"], json!([{"Ref": POLICY}]));
        assert_eq!(user["Tags"], role["Tags"]);
        assert_eq!(
            props(&template, POLICY)["ManagedPolicyName"],
            "acme-ingest-policy"
        );
    }

    #[test]
    fn queues_have_typed_properties() {
        let template = cloudformation_value(&acme());
        let queue = props(&template, QUEUE);
        assert_eq!(
            queue.as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "QueueName",
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "MaximumMessageSize",
                "SqsManagedSseEnabled",
                "RedrivePolicy",
                "Tags"
            ]
        );
        assert_eq!(queue["QueueName"], "acme-ingest-queue");
        assert_eq!(queue["VisibilityTimeout"], json!(600));
        assert_eq!(queue["MessageRetentionPeriod"], json!(604_800));
        assert_eq!(queue["MaximumMessageSize"], json!(262_144));
        assert_eq!(queue["SqsManagedSseEnabled"], json!(true));
        assert_eq!(
            queue["RedrivePolicy"],
            json!({"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}, "maxReceiveCount": 5})
        );
        let dlq = props(&template, DLQ);
        assert_eq!(dlq["QueueName"], "acme-ingest-queue-dlq");
        assert_eq!(dlq["MessageRetentionPeriod"], json!(1_209_600));
        // Every attribute but the policy is carried over, typed, in the docs' order.
        for (id, attributes) in [
            (DLQ, docs::dlq_attributes(&acme()).unwrap()),
            (QUEUE, docs::queue_attributes(&acme())),
        ] {
            let written = props(&template, id).as_object().unwrap();
            let names: Vec<&String> = attributes
                .as_object()
                .unwrap()
                .keys()
                .filter(|name| *name != "Policy")
                .collect();
            let carried: Vec<&String> = written.keys().skip(1).take(names.len()).collect();
            assert_eq!(carried, names, "{id}");
            for name in names {
                let expected = queue_property(name, &attributes[name]);
                assert_eq!(resolve(&written[name], &acme()), expected, "{id}.{name}");
            }
        }
    }

    #[test]
    fn queue_attributes_become_typed_properties() {
        assert_eq!(
            queue_property("VisibilityTimeout", &json!("600")),
            json!(600)
        );
        assert_eq!(
            queue_property("MessageRetentionPeriod", &json!("60")),
            json!(60)
        );
        assert_eq!(
            queue_property("SqsManagedSseEnabled", &json!("false")),
            json!(false)
        );
        assert_eq!(
            queue_property("KmsMasterKeyId", &json!("arn:aws:kms:us-west-2:1:key/k")),
            json!("arn:aws:kms:us-west-2:1:key/k")
        );
        assert_eq!(
            queue_property(
                "RedriveAllowPolicy",
                &json!(r#"{"redrivePermission":"byQueue","sourceQueueArns":["arn:q"]}"#)
            ),
            json!({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:q"]})
        );
        // What cannot be typed is kept as the API has it.
        assert_eq!(
            queue_property("VisibilityTimeout", &json!("soon")),
            json!("soon")
        );
        assert_eq!(
            queue_property("RedrivePolicy", &json!("{broken")),
            json!("{broken")
        );
    }

    #[test]
    fn kms_queue_and_bucket() {
        let mut spec = acme();
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/q".into());
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/b".into());
        spec.bucket.versioning = true;
        let template = cloudformation_value(&spec);
        for id in [QUEUE, DLQ] {
            let queue = props(&template, id);
            assert_eq!(
                queue["KmsMasterKeyId"],
                "arn:aws:kms:us-west-2:123456789012:key/q"
            );
            assert!(queue.get("SqsManagedSseEnabled").is_none());
        }
        let bucket = props(&template, BUCKET);
        assert_eq!(
            bucket["BucketEncryption"],
            json!({"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "arn:aws:kms:us-west-2:123456789012:key/b"
                },
                "BucketKeyEnabled": true
            }]})
        );
        assert_eq!(
            bucket["VersioningConfiguration"],
            json!({"Status": "Enabled"})
        );
        let policy = &props(&template, POLICY)["PolicyDocument"]["Statement"];
        let kms = policy.as_array().unwrap().last().unwrap();
        assert_eq!(kms["Sid"], "KMSDecrypt");
        assert_eq!(kms["Resource"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn bucket_notifies_one_configuration_per_event_after_the_queue_policy() {
        let mut spec = acme();
        spec.bucket.prefix = "logs/".into();
        spec.bucket.suffix = ".json.gz".into();
        spec.notification.events = vec![
            "s3:ObjectCreated:Put".into(),
            "s3:ObjectCreated:Copy".into(),
        ];
        let template = cloudformation_value(&spec);
        let bucket = &template["Resources"][BUCKET];
        assert_eq!(bucket["DependsOn"], QUEUE_POLICY);
        assert_eq!(bucket["DeletionPolicy"], "Retain");
        let rules = docs::notification_entry(&spec)["Filter"]["Key"]["FilterRules"].clone();
        assert_eq!(rules.as_array().unwrap().len(), 2);
        assert_eq!(rules[0]["Value"], "logs/");
        assert_eq!(rules[1]["Value"], ".json.gz");
        let filter = json!({"S3Key": {"Rules": rules}});
        assert_eq!(
            bucket["Properties"]["NotificationConfiguration"],
            json!({"QueueConfigurations": [
                {"Event": "s3:ObjectCreated:Put", "Queue": {"Fn::GetAtt": ["Queue", "Arn"]}, "Filter": filter},
                {"Event": "s3:ObjectCreated:Copy", "Queue": {"Fn::GetAtt": ["Queue", "Arn"]}, "Filter": filter}
            ]})
        );
        assert_eq!(template["Outputs"]["Prefix"]["Value"], "logs/");
        assert_eq!(template["Outputs"]["Suffix"]["Value"], ".json.gz");

        // Without a filter there is no Filter at all.
        let template = cloudformation_value(&acme());
        let configurations =
            &props(&template, BUCKET)["NotificationConfiguration"]["QueueConfigurations"];
        assert_eq!(configurations.as_array().unwrap().len(), 1);
        assert!(configurations[0].get("Filter").is_none());
        assert!(template["Outputs"].get("Prefix").is_none());
    }

    #[test]
    fn outputs_are_the_connector_values() {
        let template = cloudformation_value(&acme());
        assert_eq!(
            template["Outputs"],
            json!({
                "RoleArn": {"Description": "The role the connector assumes", "Value": {"Fn::GetAtt": ["ConsumerRole", "Arn"]}},
                "ExternalId": {"Description": "The external ID the connector passes when it assumes the role", "Value": "ext-123"},
                "QueueUrl": {"Description": "URL of the queue the connector consumes", "Value": {"Ref": "Queue"}},
                "QueueArn": {"Description": "ARN of the queue the connector consumes", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
                "BucketName": {"Description": "The bucket the objects are read from", "Value": {"Ref": "SourceBucket"}},
                "Region": {"Description": "The region of the bucket and the queue", "Value": "us-west-2"}
            })
        );
    }

    #[test]
    fn adopted_bucket_gets_no_notification_and_says_so() {
        let mut spec = acme();
        spec.bucket.create = false;
        let template = cloudformation_value(&spec);
        assert_eq!(
            resource_ids(&template),
            [POLICY, ROLE, DLQ, QUEUE, QUEUE_POLICY]
        );
        assert!(
            !serde_json::to_string(&template)
                .unwrap()
                .contains("NotificationConfiguration")
        );
        assert!(
            template["Description"]
                .as_str()
                .unwrap()
                .contains("sluice apply")
        );
        assert!(
            template["Outputs"]["NotificationSetup"]["Value"]
                .as_str()
                .unwrap()
                .contains("acme-ingest-object-created")
        );
        assert_eq!(
            template["Outputs"]["BucketName"]["Value"],
            "acme-ingest-source"
        );
        let yaml = cloudformation(&spec);
        assert!(yaml.starts_with("# CloudFormation template generated by sluice"));
        assert!(yaml.contains("# The bucket acme-ingest-source is adopted"));
        assert!(yaml.contains("# exported setup.sh, which merge it"));
    }

    #[test]
    fn adopted_queue_is_referenced_by_its_constructed_url_and_arn() {
        let mut spec = acme();
        spec.queue.create = false;
        let template = cloudformation_value(&spec);
        assert_eq!(
            resource_ids(&template),
            [POLICY, ROLE, QUEUE_POLICY, BUCKET, BUCKET_POLICY]
        );
        let url = json!({"Fn::Sub": "https://sqs.us-west-2.amazonaws.com/${AWS::AccountId}/acme-ingest-queue"});
        let arn = json!({"Fn::Sub": "arn:aws:sqs:us-west-2:${AWS::AccountId}:acme-ingest-queue"});
        assert_eq!(props(&template, QUEUE_POLICY)["Queues"], json!([url]));
        assert_eq!(
            props(&template, BUCKET)["NotificationConfiguration"]["QueueConfigurations"][0]["Queue"],
            arn
        );
        assert_eq!(template["Outputs"]["QueueUrl"]["Value"], url);
        assert_eq!(template["Outputs"]["QueueArn"]["Value"], arn);
    }

    #[test]
    fn user_without_role_and_never_an_access_key() {
        let mut spec = acme();
        spec.role.enabled = false;
        spec.user.enabled = true;
        spec.user.create_access_key = true;
        let template = cloudformation_value(&spec);
        assert_eq!(
            resource_ids(&template),
            [
                POLICY,
                USER,
                DLQ,
                QUEUE,
                QUEUE_POLICY,
                BUCKET,
                BUCKET_POLICY
            ]
        );
        assert!(!all_types(&template).contains(&"AWS::IAM::AccessKey"));
        let outputs = template["Outputs"].as_object().unwrap();
        assert!(!outputs.contains_key("RoleArn") && !outputs.contains_key("ExternalId"));
        assert_eq!(
            outputs["UserArn"]["Value"],
            json!({"Fn::GetAtt": ["ConsumerUser", "Arn"]})
        );
        assert_eq!(
            outputs["UserAccessKey"]["Value"],
            "aws iam create-access-key --user-name acme-ingest-user"
        );
        let yaml = cloudformation(&spec);
        assert!(yaml.contains("# No access key is created for user acme-ingest-user"));
        assert!(!yaml.contains("SecretAccessKey"));
    }

    #[test]
    fn dlq_disabled_means_no_redrive() {
        let mut spec = acme();
        spec.queue.dead_letter.enabled = false;
        let template = cloudformation_value(&spec);
        assert_eq!(
            resource_ids(&template),
            [POLICY, ROLE, QUEUE, QUEUE_POLICY, BUCKET, BUCKET_POLICY]
        );
        assert!(props(&template, QUEUE).get("RedrivePolicy").is_none());
        assert!(!serde_json::to_string(&template).unwrap().contains(DLQ));
    }

    #[test]
    fn deny_insecure_transport_off_means_no_bucket_policy() {
        let mut spec = acme();
        spec.bucket.deny_insecure_transport = false;
        assert!(!resource_ids(&cloudformation_value(&spec)).contains(&BUCKET_POLICY));
    }

    #[test]
    fn sub_escapes_literal_dollar_braces() {
        let value = json!([
            "arn:x:${aws:username}:<ACCOUNT_ID>/${!y}",
            "${kept}",
            5,
            "<ACCOUNT_ID>"
        ]);
        assert_eq!(
            with_account(value),
            json!([
                {"Fn::Sub": "arn:x:${!aws:username}:${AWS::AccountId}/${!!y}"},
                "${kept}",
                5,
                {"Ref": "AWS::AccountId"}
            ])
        );
    }

    #[test]
    fn yaml_is_stable_and_reads_as_a_template() {
        let spec = acme();
        let yaml = cloudformation(&spec);
        assert_eq!(yaml, cloudformation(&spec));
        assert!(yaml.contains("\nAWSTemplateFormatVersion: \"2010-09-09\"\n"));
        assert!(yaml.contains("\n  Queue:\n    Type: AWS::SQS::Queue\n"));
        assert!(yaml.contains(
            "        Fn::Sub: \"arn:aws:sqs:us-west-2:${AWS::AccountId}:acme-ingest-queue\"\n"
        ));
        assert!(yaml.contains(
            "--stack-name acme-ingest --capabilities CAPABILITY_NAMED_IAM --region us-west-2"
        ));
    }

    #[test]
    fn alarms_are_their_definitions_notifying_the_topic_by_ref() {
        let mut spec = acme();
        spec.alarms.enabled = true;
        spec.alarms.email = Some("ops@example.com".into());
        let template = cloudformation_value(&spec);
        let ids = resource_ids(&template);
        assert_eq!(
            ids[ids.len() - 6..],
            [
                ALARM_TOPIC,
                ALARM_TOPIC_POLICY,
                ALARM_EMAIL,
                "DlqNotEmptyAlarm",
                "OldestMessageAgeAlarm",
                "StalledAlarm"
            ]
        );
        assert_eq!(
            props(&template, ALARM_TOPIC)["Tags"],
            key_value_list(docs::tags(&spec))
        );
        assert_eq!(props(&template, ALARM_EMAIL)["Protocol"], "email");
        let arn = docs::alarm_topic_arn(&spec);
        let by_ref = |value: &Value| {
            let text = serde_json::to_string(&resolve(value, &spec))
                .unwrap()
                .replace(
                    &serde_json::to_string(&reference(ALARM_TOPIC)).unwrap(),
                    &format!("\"{arn}\""),
                );
            serde_json::from_str::<Value>(&text).unwrap()
        };
        assert_eq!(
            by_ref(&props(&template, ALARM_TOPIC_POLICY)["PolicyDocument"]),
            docs::alarm_topic_policy(&spec)
        );
        for alarm in docs::alarms(&spec) {
            let id = alarm_logical_id(alarm.kind(&spec.name).unwrap());
            let mut written = by_ref(props(&template, &id));
            assert_eq!(written["Tags"], key_value_list(docs::tags(&spec)), "{id}");
            written.as_object_mut().unwrap().remove("Tags");
            assert_eq!(written, alarm.document(), "{id}");
        }
        // A topic the spec names: no topic of ours, the alarms notify it.
        spec.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
        let template = cloudformation_value(&spec);
        assert!(!resource_ids(&template).contains(&ALARM_TOPIC));
        assert_eq!(
            props(&template, "StalledAlarm")["AlarmActions"],
            json!(["arn:aws:sns:us-west-2:123456789012:ops"])
        );
        // Off: nothing of them.
        spec.alarms.enabled = false;
        assert!(!all_types(&cloudformation_value(&spec)).contains(&"AWS::CloudWatch::Alarm"));
    }

    #[test]
    fn output_names() {
        assert_eq!(output_name("role_arn"), "RoleArn");
        assert_eq!(output_name("external_id"), "ExternalId");
        assert_eq!(output_name("bucket"), "BucketName");
        assert_eq!(output_name("queue_url"), "QueueUrl");
    }
}
