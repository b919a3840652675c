//! Tests of the table's order and of reading, writing and wording fields.

use crate::spec::{self, BucketEncryption, QueueEncryption};
use crate::tui::step::Step;

use super::*;

#[test]
fn the_table_is_in_field_order_and_each_step_keeps_its_fields_together() {
    for (i, def) in FIELDS.iter().enumerate() {
        assert_eq!(def.id as usize, i, "{:?} is out of place", def.id);
    }
    let steps: Vec<Step> = FIELDS.iter().map(|f| f.step).collect();
    let mut sorted = steps.clone();
    sorted.sort();
    assert_eq!(steps, sorted, "fields are grouped by step, in step order");
}

#[test]
fn every_event_offered_is_one_the_spec_accepts() {
    let mut spec = spec::starter("x-y", "us-west-2", None);
    spec.notification.events = S3_EVENTS.iter().map(|e| (*e).to_owned()).collect();
    assert!(spec::validate(&spec).is_ok());
}

#[test]
fn every_error_path_of_a_form_field_maps_back_to_it() {
    for field in all() {
        if let Some(path) = field.path() {
            assert_eq!(FieldId::for_path(path), Some(field));
        }
    }
    assert_eq!(
        FieldId::for_path("role.trusted_principals[2]"),
        Some(FieldId::TrustedPrincipals)
    );
    assert_eq!(FieldId::for_path("consumer.concurrency"), None);
}

#[test]
fn every_validation_error_of_a_form_value_lands_on_a_field() {
    // Break every rule a form field can break; each error maps to a field.
    let mut spec = spec::starter("x-y", "us-west-2", None);
    spec.name = "Bad Name".into();
    spec.bucket.name = "B".into();
    spec.bucket.prefix = "/x".into();
    spec.bucket.suffix = "/y".into();
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.queue.name = "q.fifo".into();
    spec.queue.visibility_timeout_secs = 50_000;
    spec.queue.message_retention_secs = 1;
    spec.queue.encryption = QueueEncryption::Kms;
    spec.queue.dead_letter.name = "q.fifo".into();
    spec.queue.dead_letter.max_receive_count = 0;
    spec.policy.name = String::new();
    spec.role.name = String::new();
    spec.role.external_id = "x".into();
    spec.role.trusted_principals = vec!["nobody".into()];
    spec.notification.id = String::new();
    spec.notification.events = vec!["s3:Nope".into()];
    spec.alarms.enabled = true;
    spec.alarms.max_message_age_secs = 5;
    spec.alarms.stalled_after_secs = 7;
    spec.alarms.email = Some("nobody".into());
    let errors = spec::validate(&spec).unwrap_err().0;
    assert!(errors.len() >= 18, "{errors:?}");
    for e in errors {
        assert!(
            FieldId::for_path(&e.path).is_some(),
            "{} has no field",
            e.path
        );
    }
}

#[test]
fn names_follow_the_stack_name_until_edited() {
    let mut spec = spec::starter("old", "us-west-2", None);
    spec.queue.name = "custom".into();
    spec.name = "new".into();
    rederive_names(&mut spec, "old");
    assert_eq!(spec.bucket.name, "new-source");
    assert_eq!(spec.queue.name, "custom");
    assert_eq!(spec.notification.id, "new-object-created");
}

#[test]
fn numbers_are_parsed_and_refused() {
    let mut spec = spec::starter("x-y", "us-west-2", None);
    assert!(set_text(&mut spec, FieldId::VisibilityTimeout, "30").is_ok());
    assert_eq!(spec.queue.visibility_timeout_secs, 30);
    assert!(set_text(&mut spec, FieldId::VisibilityTimeout, "3o").is_err());
    assert!(set_text(&mut spec, FieldId::Retention, "").is_err());
    assert_eq!(spec.queue.visibility_timeout_secs, 30);
}

#[test]
fn an_empty_kms_key_is_none() {
    let mut spec = spec::starter("x-y", "us-west-2", None);
    set_text(
        &mut spec,
        FieldId::BucketKmsKey,
        "arn:aws:kms:us-west-2:1:key/x",
    )
    .unwrap();
    assert!(spec.bucket.kms_key_arn.is_some());
    set_text(&mut spec, FieldId::BucketKmsKey, "").unwrap();
    assert_eq!(spec.bucket.kms_key_arn, None);
}
