//! Tests of the rules, the sections and the wording of their messages.

use super::message::*;
use super::rules::*;
use super::sections::*;
use crate::spec::{BucketEncryption, Delivery, QueueEncryption, Spec, path};

#[test]
fn a_message_names_fields_by_path_for_the_cli_and_as_asked_elsewhere() {
    let message = Message::text("needs ")
        .field(path::QUEUE_NAME)
        .and(": ")
        .setting(path::BUCKET_VERSIONING, "true")
        .and(", paste it")
        .set_flag("role.external_id=VALUE");
    assert_eq!(
        message.to_string(),
        "needs queue.name: set bucket.versioning to true, paste it (--set role.external_id=VALUE)"
    );
    let worded = message.render(|word| match word {
        Word::Field(path) => Some(format!("<{path}>")),
        Word::Setting { path, value } => Some(format!("<{path}={value}>")),
        _ => None,
    });
    assert_eq!(
        worded,
        "needs <queue.name>: <bucket.versioning=true>, paste it"
    );
}
use crate::spec::starter;

fn errors(spec: &Spec) -> Vec<(String, String)> {
    match validate(spec) {
        Ok(()) => vec![],
        Err(e) => {
            e.0.into_iter()
                .map(|e| (e.path, e.message.to_string()))
                .collect()
        }
    }
}

#[test]
fn alarms_are_checked_only_when_on_and_each_error_names_its_field() {
    let mut spec = base();
    spec.alarms.max_message_age_secs = 5;
    spec.alarms.stalled_after_secs = 7;
    assert_eq!(errors(&spec), vec![], "off: nothing of the section is used");
    spec.alarms.enabled = true;
    let found = errors(&spec);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [path::ALARMS_MAX_MESSAGE_AGE, path::ALARMS_STALLED_AFTER],
        "{found:?}"
    );
    spec.alarms.max_message_age_secs = spec.queue.message_retention_secs;
    spec.alarms.stalled_after_secs = 3600;
    let found = errors(&spec);
    assert!(
        found[0]
            .1
            .contains("not below the queue's retention (queue.message_retention_secs"),
        "{found:?}"
    );
    spec.alarms.max_message_age_secs = 1800;
    spec.alarms.topic_arn = Some("arn:aws:sns:eu-west-1:123456789012:ops".into());
    spec.alarms.email = Some("ops@example.com".into());
    let found = errors(&spec);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0]
            .1
            .contains("notifies only a topic in its own region"),
        "{found:?}"
    );
    assert_eq!(found[1].0, path::ALARMS_EMAIL);
    spec.alarms.topic_arn = None;
    spec.alarms.email = Some("not an address".into());
    assert_eq!(errors(&spec)[0].0, path::ALARMS_EMAIL);
    spec.alarms.email = Some("ops@example.com".into());
    assert_eq!(errors(&spec), vec![]);
    // Every alarm off (the DLQ alarm has no DLQ): the section says so.
    spec.queue.dead_letter.enabled = false;
    spec.alarms.max_message_age_secs = 0;
    spec.alarms.stalled_after_secs = 0;
    assert_eq!(errors(&spec)[0].0, path::ALARMS_ENABLED);
    // A shape without a queue has no alarms: nothing to check.
    spec.queue.enabled = false;
    spec.notification.enabled = false;
    assert!(errors(&spec).iter().all(|(p, _)| !p.starts_with("alarms.")));
}

fn base() -> Spec {
    starter("acme-ingest", "us-west-2", Some("123456789012"))
}

#[test]
fn the_starter_spec_is_valid() {
    assert_eq!(errors(&base()), vec![]);
}

#[test]
fn each_delivery_asks_for_what_it_needs() {
    let at = |spec: &Spec, path: &str| -> Vec<String> {
        errors(spec)
            .into_iter()
            .filter(|(p, _)| p.as_str() == path)
            .map(|(_, m)| m)
            .collect()
    };
    let mut spec = base();
    spec.notification.delivery = Delivery::Sns;
    let missing = at(&spec, path::NOTIFICATION_TOPIC_ARN);
    assert!(
        missing[0].contains("--set notification.topic_arn="),
        "{missing:?}"
    );
    for (topic, why) in [
        (
            "arn:aws:sqs:us-west-2:123456789012:q",
            "not an SNS topic ARN",
        ),
        (
            "arn:aws:sns:eu-west-1:123456789012:t",
            "the topic is in eu-west-1",
        ),
        ("arn:aws:sns:us-west-2:123456789012:t.fifo", "FIFO topic"),
        ("arn:aws:sns:us-west-2:12345:t", "12-digit"),
    ] {
        spec.notification.topic_arn = Some(topic.into());
        let found = at(&spec, path::NOTIFICATION_TOPIC_ARN);
        assert!(found.iter().any(|m| m.contains(why)), "{topic}: {found:?}");
    }
    spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:t".into());
    assert_eq!(errors(&spec), vec![]);
    // A topic without sns delivery is a mistake, not a silent no-op.
    spec.notification.delivery = Delivery::Direct;
    assert!(at(&spec, path::NOTIFICATION_TOPIC_ARN)[0].contains("only used with"));
    spec.notification.topic_arn = None;
    // EventBridge: object-created events only, and a rule-worthy name.
    spec.notification.delivery = Delivery::Eventbridge;
    spec.notification.events = vec!["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()];
    spec.notification.id = "has space".into();
    let events = at(&spec, "notification.events[1]");
    assert!(events[0].contains("Object Created only"), "{events:?}");
    let id = at(&spec, path::NOTIFICATION_ID);
    assert!(id[0].contains("EventBridge rule"), "{id:?}");
    // Neither route without a queue of ours.
    let mut spec = base();
    spec.queue.enabled = false;
    spec.notification.queue_arn = Some("arn:aws:sqs:us-west-2:123456789012:vendor".into());
    spec.notification.delivery = Delivery::Eventbridge;
    let delivery = at(&spec, path::NOTIFICATION_DELIVERY);
    assert!(
        delivery[0].contains("set queue.enabled to true"),
        "{delivery:?}"
    );
}

#[test]
fn bucket_names() {
    for good in ["abc", "my.bucket-1", "a".repeat(63).as_str()] {
        assert_eq!(bucket_name(good), Ok(()), "{good}");
    }
    for (bad, why) in [
        ("ab", "3 to 63"),
        ("Abc", "`A` is not allowed"),
        ("a_b", "`_` is not allowed"),
        ("-abc", "begin and end"),
        ("abc.", "begin and end"),
        ("a..b", "adjacent dots"),
        ("192.168.5.4", "IP address"),
        ("xn--abc", "xn--"),
        ("sthree-abc", "sthree-"),
        ("abc-s3alias", "-s3alias"),
        ("abc--ol-s3", "--ol-s3"),
    ] {
        let err = bucket_name(bad).unwrap_err();
        assert!(err.contains(why), "{bad}: {err}");
    }
    assert!(bucket_name(&"a".repeat(64)).is_err());
}

#[test]
fn queue_names() {
    assert_eq!(queue_name("a_B-1"), Ok(()));
    assert!(queue_name(&"q".repeat(80)).is_ok());
    assert!(queue_name(&"q".repeat(81)).unwrap_err().contains("1 to 80"));
    assert!(queue_name("").unwrap_err().contains("1 to 80"));
    assert!(queue_name("a.b").unwrap_err().contains("`.`"));
    let fifo = queue_name("events.fifo").unwrap_err();
    assert!(fifo.contains("standard queues"), "{fifo}");
}

#[test]
fn iam_names_and_external_ids() {
    assert!(iam_name("a+=,.@_-Z9", 64).is_ok());
    assert!(iam_name(&"r".repeat(65), 64).is_err());
    assert!(iam_name(&"p".repeat(128), 128).is_ok());
    assert!(iam_name("has space", 64).unwrap_err().contains("` `"));
    assert!(external_id("org:42/x").is_ok());
    assert!(external_id("x").is_err());
    assert!(external_id(&"e".repeat(1225)).is_err());
    assert!(external_id("a#b").unwrap_err().contains("`#`"));
}

#[test]
fn regions_accounts_principals() {
    for good in [
        "us-west-2",
        "eu-central-1",
        "us-gov-west-1",
        "cn-north-1",
        "ap-southeast-5",
    ] {
        assert_eq!(region(good), Ok(()), "{good}");
    }
    for bad in [
        "us-west",
        "mars-east-1",
        "US-WEST-2",
        "uswest2",
        "us-west-2a",
        "",
    ] {
        assert!(region(bad).is_err(), "{bad}");
    }
    assert!(account_id("123456789012").is_ok());
    assert!(account_id("12345678901").is_err());
    for good in [
        "123456789012",
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:role/vendor-setup",
        "arn:aws:iam::123456789012:user/path/alice",
        "arn:aws-cn:iam::123456789012:root",
    ] {
        assert_eq!(principal(good), Ok(()), "{good}");
    }
    for bad in [
        "*",
        "arn:aws:iam::12345:root",
        "arn:aws:s3:::bucket",
        "arn:aws:iam:us-east-1:123456789012:root",
        "arn:aws:iam::123456789012:role/",
    ] {
        assert!(principal(bad).is_err(), "{bad}");
    }
}

#[test]
fn every_error_is_collected_with_its_path() {
    let mut spec = base();
    spec.bucket.name = "Bad_Bucket".into();
    spec.queue.name = "q.fifo".into();
    spec.queue.visibility_timeout_secs = 50_000;
    spec.queue.message_retention_secs = 10;
    spec.queue.dead_letter.max_receive_count = 0;
    spec.policy.name = "p".repeat(129);
    spec.role.name = "r".repeat(65);
    spec.role.external_id = "x".into();
    spec.role.trusted_principals = vec!["nobody".into()];
    spec.account_id = Some("42".into());
    spec.region = "moon-1".into();
    spec.bucket.prefix = "/logs/".into();
    spec.consumer.concurrency = 0;
    spec.notification.events = vec!["s3:ObjectMade".into()];
    let paths: Vec<String> = errors(&spec).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "region",
            "account_id",
            "bucket.name",
            "bucket.prefix",
            "queue.name",
            "queue.visibility_timeout_secs",
            "queue.message_retention_secs",
            "queue.dead_letter.max_receive_count",
            "policy.name",
            "role.name",
            "role.external_id",
            "role.trusted_principals[0]",
            "notification.events[0]",
            "consumer.concurrency",
        ]
    );
}

#[test]
fn kms_key_is_required_exactly_with_kms() {
    let mut spec = base();
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/abc".into());
    let errs = errors(&spec);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].0, "bucket.kms_key_arn");
    assert!(
        errs[0]
            .1
            .contains("required when bucket.encryption is sse-kms")
    );
    assert_eq!(errs[1].0, "queue.kms_key_arn");
    assert!(errs[1].1.contains("only used when queue.encryption is kms"));

    spec.bucket.kms_key_arn = Some("not-an-arn".into());
    spec.queue.encryption = QueueEncryption::Kms;
    let errs = errors(&spec);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].1.contains("is not a KMS key ARN"));
}

#[test]
fn a_suffix_that_looks_like_a_folder_is_refused() {
    let err = suffix_shape("snow/").unwrap_err();
    assert!(err.contains("goes in the prefix"), "{err}");
    assert!(suffix_shape(".json").is_ok());
    assert!(suffix_shape("").is_ok());
}

#[test]
fn leading_slash_in_prefix_is_explained() {
    let err = key_filter("/tarsal/", "prefix").unwrap_err();
    assert!(err.contains("write `tarsal/`"), "{err}");
    assert!(key_filter("tarsal/", "prefix").is_ok());
}

#[test]
fn wildcard_principals_and_unresolved_aliases_are_refused() {
    let mut spec = starter("acme", "us-west-2", Some("123456789012"));
    spec.role.trusted_principals = vec!["arn:aws:iam::111122223333:role/vendor-*".into()];
    let errors = validate(&spec).unwrap_err();
    let e = errors.for_path("role.trusted_principals[0]").unwrap();
    assert!(e.message.contains("wildcard"), "{}", e.message);
    let mut spec = starter("acme", "us-west-2", Some("123456789012"));
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:alias/data".into());
    assert_eq!(validate_unresolved(&spec), Ok(()));
    assert_eq!(
        kms_aliases(&spec),
        [(
            "bucket.kms_key_arn",
            "arn:aws:kms:us-west-2:123456789012:alias/data".to_owned()
        )]
    );
    let errors = validate(&spec).unwrap_err();
    let e = errors.for_path("bucket.kms_key_arn").unwrap();
    assert!(
        e.message.contains("is an alias")
            && e.message.contains("key ARN")
            && e.message.contains("describe-key --key-id alias/data"),
        "{}",
        e.message
    );
}

#[test]
fn role_or_user_must_exist_and_dlq_must_differ() {
    let mut spec = base();
    spec.role.enabled = false;
    spec.queue.dead_letter.name = spec.queue.name.clone();
    let errs = errors(&spec);
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["queue.dead_letter.name", "role.enabled"]);
}
