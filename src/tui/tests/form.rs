//! The form steps: fields, validation, lookups, the preview beside them.
//! What the keys do to the fields is in `form_keys.rs`.

use super::*;

#[test]
fn snapshot_policy() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            app
        },
        "policy_new",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            set_text(&mut app, FieldId::PolicyName, "bad name!");
            app
        },
        "policy_invalid",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Policy);
            // The policy exists with an older document: a diff.
            let mut old = crate::docs::permissions_policy(&app.model.derived.resolved);
            let crate::docs::policy::OneOrMany::Many(statements) = &mut old.statement else {
                unreachable!("a generated policy lists its statements")
            };
            statements[1].resource = Some("arn:aws:s3:::acme-ingest-source/old/*".into());
            let generation = app.model.slots[&SlotId::Kind(ResourceKind::Policy)].generation;
            update(
                &mut app,
                Action::Looked {
                    target: SlotId::Kind(ResourceKind::Policy),
                    generation,
                    result: Box::new(Found::Policy(Ok(Some(PolicyState {
                        arn: format!("arn:aws:iam::{ACCOUNT}:policy/acme-ingest-policy"),
                        default_version: "v1".into(),
                        document: old,
                        versions: vec![("v1".into(), true)],
                        tags: stack_tags(),
                        description: None,
                    })))),
                },
            );
            app
        },
        "policy_diff",
    );
}

#[test]
fn snapshot_role() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Role);
            focus(&mut app, FieldId::TrustedPrincipals);
            type_text(&mut app, "210987654321");
            key(&mut app, KeyCode::Enter);
            app.model
                .spec
                .role
                .trusted_principals
                .push("arn:aws:s3:::nope".into());
            app.model.stale = true;
            app.refresh();
            app
        },
        "role_principals_invalid",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Role);
            key(&mut app, KeyCode::Char(' '));
            app
        },
        "role_disabled",
    );
}

#[test]
fn snapshot_user() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::User);
            key(&mut app, KeyCode::Char(' '));
            focus(&mut app, FieldId::CreateAccessKey);
            key(&mut app, KeyCode::Char(' '));
            app
        },
        "user_with_access_key",
    );
}

#[test]
fn snapshot_bucket() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Bucket);
            set_text(&mut app, FieldId::BucketName, "Bad..Bucket");
            set_text(&mut app, FieldId::Prefix, "/logs/");
            app
        },
        "bucket_invalid",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            answer_all(&mut app, |t| {
                (t == ResourceKind::Bucket)
                    .then(|| Found::Bucket(Ok(Some(bucket_state(json!({}))))))
            });
            app
        },
        "bucket_exists_diff",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            key(&mut app, KeyCode::Right);
            answer_all(&mut app, |_| None);
            app
        },
        "bucket_adopt_missing",
    );
    // "Create a new bucket" naming a bucket that is not the stack's: refused, adoption offered.
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            answer_all(&mut app, |t| {
                (t == ResourceKind::Bucket).then(|| {
                    let mut theirs = bucket_state(json!({}));
                    theirs.tags = BTreeMap::from([("sluice:stack".to_owned(), "lake".to_owned())]);
                    Found::Bucket(Ok(Some(theirs)))
                })
            });
            app
        },
        "bucket_not_ours",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Bucket);
            answer_all(&mut app, |t| {
                (t == ResourceKind::Bucket).then(|| {
                    Found::Bucket(Err(crate::aws::AwsError {
                        action: "s3:ListBucket",
                        resource: "acme-ingest-source".into(),
                        kind: crate::aws::ErrorKind::AccessDenied,
                        code: Some("AccessDenied".into()),
                        message: "the bucket exists but is not readable by this account".into(),
                    }))
                })
            });
            app
        },
        "bucket_other_owner",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Bucket);
            app.model.spec.bucket.name = "acme-ingest-source".into();
            set_text(&mut app, FieldId::BucketName, "acme-ingest-sourc");
            app
        },
        "bucket_checking_offline",
    );
}

#[test]
fn snapshot_queue() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Queue);
            answer_all(&mut app, |t| match t {
                ResourceKind::Queue => Some(Found::Queue(Ok(Some(queue_state(
                    "acme-ingest-queue",
                    "30",
                ))))),
                _ => None,
            });
            app
        },
        "queue_update_diff",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Queue);
            set_text(&mut app, FieldId::VisibilityTimeout, "10 minutes");
            set_text(&mut app, FieldId::QueueName, "events.fifo");
            app
        },
        "queue_invalid",
    );
}

#[test]
fn snapshot_notification() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Notification);
            app
        },
        "notification_offline",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.model.spec.bucket.prefix = "data/".into();
            connect(&mut app);
            go_to(&mut app, Step::Notification);
            answer_with_foreign_entry(&mut app);
            app
        },
        "notification_merged_foreign",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            connect(&mut app);
            go_to(&mut app, Step::Notification);
            answer_with_foreign_entry(&mut app);
            key(&mut app, KeyCode::Enter);
            app
        },
        "notification_conflict",
    );
}

/// A shared bucket whose topic entry takes ObjectCreated everywhere: ours overlaps it.
fn shared_topic_notification() -> serde_json::Value {
    json!({
        "TopicConfigurations": [{
            "Id": "uploads", "TopicArn": "arn:aws:sns:us-west-2:123456789012:team-uploads",
            "Events": ["s3:ObjectCreated:*"]
        }]
    })
}

/// Online on the Notification step of a bucket holding `notification`, with Delivery focused.
fn on_shared_bucket(w: u16, h: u16, notification: serde_json::Value) -> App {
    let mut app = offline(w, h);
    connect(&mut app);
    go_to(&mut app, Step::Notification);
    answer_all(&mut app, |t| {
        (t == ResourceKind::Bucket)
            .then(|| Found::Bucket(Ok(Some(bucket_state(notification.clone())))))
    });
    focus(&mut app, FieldId::NotificationDelivery);
    app
}

#[test]
fn snapshot_delivery_routes() {
    both(
        |w, h| on_shared_bucket(w, h, shared_topic_notification()),
        "notification_topic_overlap",
    );
    both(
        |w, h| {
            let mut app = on_shared_bucket(w, h, shared_topic_notification());
            key(&mut app, KeyCode::Right);
            tick_after(&mut app, Duration::from_secs(1));
            answer_all(&mut app, |_| None);
            app
        },
        "notification_sns_route",
    );
    both(
        |w, h| {
            let mut app = on_shared_bucket(w, h, shared_topic_notification());
            key(&mut app, KeyCode::Left);
            tick_after(&mut app, Duration::from_secs(1));
            answer_all(&mut app, |_| None);
            app
        },
        "notification_eventbridge_route",
    );
}

#[test]
fn an_overlap_with_a_topic_entry_offers_that_topic_and_choosing_sns_takes_it() {
    let mut app = on_shared_bucket(100, 30, shared_topic_notification());
    let advice = app
        .form
        .field_error(&app.model, FieldId::NotificationDelivery);
    let advice = advice.unwrap_or_default();
    assert!(
        advice.contains("overlap the existing topic entry uploads"),
        "{advice}"
    );
    assert!(
        advice.contains("Delivery → SNS through that entry's topic arn:aws:sns:us-west-2:123456789012:team-uploads"),
        "{advice}"
    );
    assert!(advice.contains("Delivery → EventBridge"), "{advice}");
    // Choosing SNS fills the topic in; the conflict is gone.
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.model.spec.notification.delivery,
        crate::spec::Delivery::Sns
    );
    assert_eq!(
        app.model.spec.notification.topic_arn.as_deref(),
        Some("arn:aws:sns:us-west-2:123456789012:team-uploads")
    );
    tick_after(&mut app, Duration::from_secs(1));
    answer_all(&mut app, |_| None);
    assert_eq!(app.model.derived.merge_error, None);
    assert!(FieldId::NotificationTopicArn.visible(&app.model.spec));
    assert!(!FieldId::NotificationId.visible(&app.model.spec));
    // EventBridge: no topic (the input keeps its text for a way back), the rule named by the id.
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.model.spec.notification.delivery,
        crate::spec::Delivery::Eventbridge
    );
    assert_eq!(app.model.spec.notification.topic_arn, None);
    assert!(FieldId::NotificationId.visible(&app.model.spec));
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.model.spec.notification.topic_arn.as_deref(),
        Some("arn:aws:sns:us-west-2:123456789012:team-uploads")
    );
    // An overlap with a queue entry offers SNS generically.
    let app = on_shared_bucket(100, 30, foreign_notification());
    let advice = app
        .form
        .field_error(&app.model, FieldId::NotificationDelivery)
        .unwrap_or_default();
    assert!(
        advice.contains("SNS through a topic the bucket already publishes these events to"),
        "{advice}"
    );
}

#[test]
fn an_invalid_field_has_a_red_border_and_its_message_under_it() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    assert_ne!(border_style(&app, FieldId::BucketName).fg, Some(Color::Red));
    set_text(&mut app, FieldId::BucketName, "Bad_Bucket");
    assert_eq!(border_style(&app, FieldId::BucketName).fg, Some(Color::Red));
    let screen = text(&app);
    assert!(screen.contains("✗ `B` is not allowed"), "{screen}");
    // The buffer with its styles, for the record.
    let terminal = draw(&app);
    insta::with_settings!({
        prepend_module_to_snapshot => false,
        snapshot_path => "../snapshots",
    }, {
        insta::assert_snapshot!(
            "bucket_invalid_styles_100x30",
            format!("{:?}", terminal.backend().buffer())
        );
    });
}
