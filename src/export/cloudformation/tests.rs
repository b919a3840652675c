use super::alarms::alarm_logical_id;
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

/// In the order apply makes them (`ResourceKind::ALL`).
#[test]
fn default_spec_has_every_resource_in_order() {
    let template = cloudformation_value(&acme());
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(
        resource_ids(&template),
        [
            POLICY,
            ROLE,
            BUCKET,
            BUCKET_POLICY,
            DLQ,
            QUEUE,
            QUEUE_POLICY
        ]
    );
    assert_eq!(
        all_types(&template),
        [
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Role",
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
            "AWS::SQS::Queue",
            "AWS::SQS::Queue",
            "AWS::SQS::QueuePolicy"
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
    check(
        POLICY,
        "PolicyDocument",
        docs::json(&docs::permissions_policy(&spec)),
    );
    check(
        ROLE,
        "AssumeRolePolicyDocument",
        docs::json(&docs::trust_policy(&spec)),
    );
    check(
        QUEUE_POLICY,
        "PolicyDocument",
        docs::json(&docs::queue_policy(&spec)),
    );
    check(
        BUCKET_POLICY,
        "PolicyDocument",
        docs::json(&docs::bucket_policy(&spec)),
    );
    check(
        BUCKET,
        "PublicAccessBlockConfiguration",
        docs::json(&docs::public_access_block(&spec)),
    );
    check(
        BUCKET,
        "OwnershipControls",
        docs::json(&docs::ownership_controls(&spec)),
    );

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
    let rules = docs::json(&docs::notification_entry(&spec).filter);
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
        [POLICY, ROLE, BUCKET, BUCKET_POLICY, QUEUE_POLICY]
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
            BUCKET,
            BUCKET_POLICY,
            DLQ,
            QUEUE,
            QUEUE_POLICY
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
        [POLICY, ROLE, BUCKET, BUCKET_POLICY, QUEUE, QUEUE_POLICY]
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
        docs::json(&docs::alarm_topic_policy(&spec))
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
