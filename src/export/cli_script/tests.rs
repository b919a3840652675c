use super::*;
use crate::spec::starter;

#[test]
fn quoting() {
    assert_eq!(shell_quote("plain"), "'plain'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote(""), "''");
}

#[test]
fn the_script_carries_the_documents_with_the_placeholder() {
    let spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    let script = setup_script(&spec);
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("EXPECTED_ACCOUNT='123456789012'"));
    assert!(
        script.contains("\"Resource\": \"arn:aws:sqs:us-west-2:<ACCOUNT_ID>:acme-ingest-queue\"")
    );
    assert!(script.contains("doc trust-policy.json <<'JSON'"));
    // No user of the spec's: none is made, and the stack's, if any, goes.
    assert!(!script.contains("step \"IAM user $USER_NAME\""));
    assert!(!script.contains("create-user"));
    assert!(script.contains("step \"IAM user $USER_NAME, which the spec no longer has\""));
    assert!(script.contains("put-bucket-notification-configuration"));
    assert!(script.contains("step \"SQS dead-letter queue $DLQ_NAME\""));
}

#[test]
fn alarms_are_checked_for_ownership_then_put_from_their_documents() {
    let mut spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    assert!(!setup_script(&spec).contains("put_alarm"));
    spec.alarms.enabled = true;
    let script = setup_script(&spec);
    for wanted in [
        "doc alarm-topic-policy.json <<'JSON'",
        "doc alarm-stalled.json <<'JSON'",
        "ours_or_die alarm-topic \"$ALARM_TOPIC_NAME\"\n",
        "ours_or_die alarm 'acme-ingest-dlq-not-empty'\n",
        "step \"SNS topic $ALARM_TOPIC_NAME (the alarms notify it)\"",
        "put_alarm 'acme-ingest-oldest-message-age' alarm-oldest-message-age.json\n",
        "#   cloudwatch:PutMetricAlarm\n",
        "#   sns:DeleteTopic\n",
        "then the SNS topic acme-ingest-alarms and the CloudWatch alarms acme-ingest-dlq-not-empty",
    ] {
        assert!(script.contains(wanted), "{wanted}");
    }
    assert!(script.find("ours_or_die alarm ") < script.find("step \"IAM policy"));
    spec.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
    let script = setup_script(&spec);
    assert!(!script.contains("ours_or_die alarm-topic"));
    assert!(!script.contains("step \"SNS topic $ALARM_TOPIC_NAME (the alarms notify it)\""));
    // The stack's own topic, made before the spec named another, goes.
    assert!(script.contains(
        "step \"SNS topic $ALARM_TOPIC_NAME of the stack's alarms, which the spec no longer has\""
    ));
    assert!(script.contains("put_alarm 'acme-ingest-stalled' alarm-stalled.json"));
    // The alarms are brought to the other topic before the stack's own goes.
    let retire_topic = script.find("of the stack's alarms, which the spec no longer has");
    assert!(script.find("put_alarm 'acme-ingest-stalled'") < retire_topic);
    // Alarms the spec no longer has go before the topic they notified.
    spec.alarms.enabled = false;
    let script = setup_script(&spec);
    let retire_alarms = script.find("RETIRED_ALARMS=(");
    assert!(retire_alarms.is_some());
    assert!(retire_alarms < script.find("of the stack's alarms, which the spec no longer has"));
}

#[test]
fn adopted_resources_are_only_checked() {
    let mut spec = starter("acme-ingest", "us-west-2", None);
    spec.bucket.create = false;
    spec.queue.create = false;
    let script = setup_script(&spec);
    assert!(script.contains("the spec adopts an existing bucket"));
    assert!(script.contains("the spec adopts an existing queue"));
    assert!(!script.contains("create-bucket --bucket"));
    assert!(!script.contains("bucket_setting public-access-block"));
    assert!(!script.contains("create-queue"));
    assert!(script.contains("EXPECTED_ACCOUNT=''"));
}

#[test]
fn the_stacks_queue_is_unsubscribed_from_topics_the_spec_no_longer_names() {
    const RETIRE: &str =
        "step \"Subscriptions of queue $QUEUE_NAME to topics the spec does not deliver through\"";
    let mut spec = starter("acme-ingest", "us-west-2", None);
    for delivery in [Delivery::Direct, Delivery::Eventbridge] {
        spec.notification.delivery = delivery;
        let script = setup_script(&spec);
        let retire = script.find(RETIRE);
        assert!(retire.is_some(), "{delivery:?}");
        // After the step that replaces the subscription.
        let replaced = match delivery {
            Delivery::Eventbridge => "step \"EventBridge rule $RULE_NAME ->",
            _ => "step \"Bucket notification $NOTIFICATION_ID",
        };
        assert!(script.find(replaced) < retire, "{delivery:?}");
        assert!(script.contains("write_ sns unsubscribe --subscription-arn \"$sub\""));
        assert!(script.contains("\nKEEP_TOPIC=''\n"));
    }
    // Through SNS: every topic but the spec's, after the subscription to it.
    spec.notification.delivery = Delivery::Sns;
    spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:team-uploads".into());
    let script = setup_script(&spec);
    let retire = script.find(RETIRE);
    assert!(retire.is_some());
    assert!(script.find("step \"Subscription of queue $QUEUE_NAME to $TOPIC_ARN\"") < retire);
    assert!(script.contains("\nKEEP_TOPIC='arn:aws:sns:us-west-2:123456789012:team-uploads'\n"));
    // An adopted queue's subscriptions are its owners'.
    spec.notification.delivery = Delivery::Direct;
    spec.queue.create = false;
    assert!(!setup_script(&spec).contains(RETIRE));
}

#[test]
fn the_header_names_the_route_and_what_an_earlier_one_left() {
    let mut spec = starter("acme-ingest", "us-west-2", None);
    let header = |spec: &Spec| {
        let script = setup_script(spec);
        script[..script.find("set -euo pipefail").unwrap_or(0)].to_owned()
    };
    let direct = header(&spec);
    assert!(direct.contains("# and the bucket's event notification to the queue;\n"));
    assert!(
        direct
            .contains("#   its EventBridge rule,\n#   the queue's subscriptions to SNS topics.\n")
    );
    spec.notification.delivery = Delivery::Sns;
    spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:team-uploads".into());
    let sns = header(&spec);
    assert!(sns.contains("# and the queue's subscription to the bucket's SNS topic;\n"));
    assert!(sns.contains("#   its notification entry,\n#   its EventBridge rule,\n#   the queue's subscriptions to other topics.\n"));
    // An adopted queue's subscriptions are its owners'.
    spec.queue.create = false;
    assert!(!header(&spec).contains("subscriptions"));
}
