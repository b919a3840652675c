//! The one table of the form's fields, [`FIELDS`], with the little
//! functions its entries share. It stays whole, over 600 lines: a field is
//! one entry, the entries stand in form order (a test checks it), and the
//! table reads best as one list, step after step.

use super::def::{FieldDef, FieldId, Ripple, Value};
use super::follow::alarms_follow_shape;
use crate::spec::{
    self, BucketEncryption, Connector, Delivery, PolicyScope, QueueEncryption, Spec, path,
};
use crate::tui::step::Step;

fn always(_: &Spec) -> bool {
    true
}

fn has_queue(spec: &Spec) -> bool {
    spec.has_queue()
}

/// The alarms' own fields show only while the alarms are on.
fn has_alarms(spec: &Spec) -> bool {
    spec.has_alarms()
}

/// Why a step's resources are left out, or what they are for. A pull
/// import and a destination have neither step (see [`Step::applies`]); the
/// Queue step of a queue-fed shape turned to "no queue", and the
/// Notification step of a vendor's queue or turned off, still show.
fn skipped_note(spec: &Spec) -> &'static str {
    if !spec.has_queue() && spec.notification.enabled && spec.foreign_queue().is_some() {
        return "the bucket notifies the vendor's own queue (notification.queue_arn)";
    }
    match (spec.has_queue(), spec.profile().shape) {
        (true, _) if !spec.notification.enabled => {
            "step skipped: no bucket notification; the bucket's configuration is left alone"
        }
        (true, _) => "S3 notifies the queue; the connector reads it",
        (false, spec::Shape::ForeignQueue) => {
            "no queue of ours: the bucket notifies the vendor's queue once its ARN is given (notification.queue_arn)"
        }
        (false, _) => "step skipped: no queue, no notification",
    }
}

fn names<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

fn index_of<T: PartialEq>(all: &[T], value: &T) -> usize {
    all.iter().position(|v| v == value).unwrap_or(0)
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

const TOGGLE_HINT: &str = "Space toggles · ← → change";
const KMS_HINT: &str = "arn:aws:kms:REGION:ACCOUNT:key/ID";

/// Every field, in form order.
pub static FIELDS: [FieldDef; 55] = [
    // ---- Welcome ----
    FieldDef {
        id: FieldId::StackName,
        step: Step::Welcome,
        label: "Stack name",
        hint: "prefixes every default name; lowercase letters, digits, hyphens",
        path: Some(path::NAME),
        visible: always,
        active: always,
        value: Value::Text {
            get: |s| s.name.clone(),
            set: |s, t| s.name = t.to_owned(),
        },
        ripple: Ripple::RenameDefaults,
    },
    FieldDef {
        id: FieldId::Connector,
        step: Step::Welcome,
        label: "Connector",
        hint: "← → choose · Space list · a vendor's setup guide fills names, permissions and the pipeline's shape",
        path: Some(path::CONNECTOR),
        visible: always,
        active: always,
        value: Value::Select {
            choices: || names(Connector::ALL),
            get: |s| index_of(Connector::ALL, &s.connector),
            set: |s, i| {
                if let Some(c) = Connector::ALL.get(i) {
                    let had_queue = s.has_queue();
                    spec::apply_profile(s, *c);
                    alarms_follow_shape(s, had_queue);
                }
            },
            note: |s| s.profile().guide,
        },
        ripple: Ripple::ResetAll,
    },
    FieldDef {
        id: FieldId::Profile,
        step: Step::Welcome,
        label: "AWS profile",
        hint: "← → choose · Space list · credentials come from this profile",
        path: None,
        visible: always,
        active: always,
        value: Value::Profile,
        ripple: Ripple::Reconnect,
    },
    FieldDef {
        id: FieldId::Region,
        step: Step::Welcome,
        label: "Region",
        hint: "← → choose · Space list · the pipeline's resources live here",
        path: Some(path::REGION),
        visible: always,
        active: always,
        value: Value::Region,
        ripple: Ripple::Reconnect,
    },
    FieldDef {
        id: FieldId::Sessions,
        step: Step::Welcome,
        label: "Resume a saved session",
        hint: "↑ ↓ choose · Enter resume · x delete (asks first)",
        path: None,
        visible: always,
        active: always,
        value: Value::Sessions,
        ripple: Ripple::None,
    },
    // ---- Policy ----
    FieldDef {
        id: FieldId::PolicyName,
        step: Step::Policy,
        label: "Policy name",
        hint: "IAM policy name, at most 128 characters",
        path: Some(path::POLICY_NAME),
        visible: always,
        active: always,
        value: Value::Text {
            get: |s| s.policy.name.clone(),
            set: |s, t| s.policy.name = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::PolicyScope,
        step: Step::Policy,
        label: "Scope",
        hint: "least-privilege scopes actions to this bucket, prefix and queue",
        path: None,
        visible: always,
        active: always,
        value: Value::Select {
            choices: || names(PolicyScope::ALL),
            get: |s| index_of(PolicyScope::ALL, &s.policy.scope),
            set: |s, i| {
                if let Some(v) = PolicyScope::ALL.get(i) {
                    s.policy.scope = *v;
                }
            },
            note: |s| match s.policy.scope {
                PolicyScope::LeastPrivilege => "this bucket, prefix and queue only",
                PolicyScope::Wildcard => "\"Resource\": \"*\" (Tarsal's setup guide's)",
            },
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AllowSendMessage,
        step: Step::Policy,
        label: "Allow sqs:SendMessage (backfills need it)",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: always,
        value: Value::Toggle {
            get: |s| s.policy.allow_send_message,
            set: |s, on| s.policy.allow_send_message = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AllowDeleteObject,
        step: Step::Policy,
        label: "Allow s3:DeleteObject under the prefix (purge after load)",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: always,
        value: Value::Toggle {
            get: |s| s.policy.allow_delete_object,
            set: |s, on| s.policy.allow_delete_object = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AllowPutObject,
        step: Step::Policy,
        label: "Allow s3:PutObject under the prefix (a destination writes)",
        hint: TOGGLE_HINT,
        path: Some(path::POLICY_ALLOW_PUT_OBJECT),
        visible: always,
        active: always,
        value: Value::Toggle {
            get: |s| s.policy.allow_put_object,
            set: |s, on| s.policy.allow_put_object = on,
        },
        ripple: Ripple::None,
    },
    // ---- Role ----
    FieldDef {
        id: FieldId::RoleEnabled,
        step: Step::Role,
        label: "Create a role for the connector (recommended)",
        hint: TOGGLE_HINT,
        path: Some(path::ROLE_ENABLED),
        visible: always,
        active: always,
        value: Value::Toggle {
            get: |s| s.role.enabled,
            set: |s, on| s.role.enabled = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::RoleName,
        step: Step::Role,
        label: "Role name",
        hint: "IAM role name, at most 64 characters",
        path: Some(path::ROLE_NAME),
        visible: always,
        active: |s| s.role.enabled,
        value: Value::Text {
            get: |s| s.role.name.clone(),
            set: |s, t| s.role.name = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::TrustedPrincipals,
        step: Step::Role,
        label: "Trusted principals",
        hint: "account ids or IAM ARNs your vendor gave you · Enter add · Del remove",
        path: Some(path::ROLE_TRUSTED_PRINCIPALS),
        visible: always,
        active: |s| s.role.enabled,
        value: Value::Principals,
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::ExternalId,
        step: Step::Role,
        label: "External ID",
        hint: "your vendor's org id, or Ctrl-G for a random one",
        path: Some(path::ROLE_EXTERNAL_ID),
        visible: always,
        active: |s| s.role.enabled,
        value: Value::Text {
            get: |s| s.role.external_id.clone(),
            set: |s, t| s.role.external_id = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    // ---- User ----
    FieldDef {
        id: FieldId::UserEnabled,
        step: Step::User,
        label: "Create an IAM user",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: always,
        value: Value::Toggle {
            get: |s| s.user.enabled,
            set: |s, on| s.user.enabled = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::UserName,
        step: Step::User,
        label: "User name",
        hint: "IAM user name, at most 64 characters",
        path: Some(path::USER_NAME),
        visible: always,
        active: |s| s.user.enabled,
        value: Value::Text {
            get: |s| s.user.name.clone(),
            set: |s, t| s.user.name = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::CreateAccessKey,
        step: Step::User,
        label: "Create an access key for it",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: |s| s.user.enabled,
        value: Value::Toggle {
            get: |s| s.user.create_access_key,
            set: |s, on| s.user.create_access_key = on,
        },
        ripple: Ripple::None,
    },
    // ---- Bucket ----
    FieldDef {
        id: FieldId::BucketCreate,
        step: Step::Bucket,
        label: "Bucket",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: always,
        value: Value::Select {
            choices: || {
                vec![
                    "create a new bucket".to_owned(),
                    "use an existing bucket".to_owned(),
                ]
            },
            get: |s| usize::from(!s.bucket.create),
            set: |s, i| s.bucket.create = i == 0,
            note: |s| match (s.bucket.create, s.delivery()) {
                (true, _) => "",
                (false, Some(Delivery::Sns)) => {
                    "nothing is written to it: sluice reads its topic entry"
                }
                (false, Some(Delivery::Eventbridge)) => {
                    "only its EventBridge delivery is turned on"
                }
                (false, _) => "only sluice's notification entry is managed",
            },
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BucketName,
        step: Step::Bucket,
        label: "Bucket name",
        hint: "3-63 lowercase letters, digits, dots, hyphens; names are global",
        path: Some(path::BUCKET_NAME),
        visible: always,
        active: always,
        value: Value::Text {
            get: |s| s.bucket.name.clone(),
            set: |s, t| s.bucket.name = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::Prefix,
        step: Step::Bucket,
        label: "Key prefix",
        hint: "only keys starting with this are announced, e.g. logs/",
        path: Some(path::BUCKET_PREFIX),
        visible: always,
        active: always,
        value: Value::Text {
            get: |s| s.bucket.prefix.clone(),
            set: |s, t| s.bucket.prefix = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::Suffix,
        step: Step::Bucket,
        label: "Key suffix",
        hint: "only keys ending with this are announced, e.g. .json.gz",
        path: Some(path::BUCKET_SUFFIX),
        visible: always,
        active: always,
        value: Value::Text {
            get: |s| s.bucket.suffix.clone(),
            set: |s, t| s.bucket.suffix = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BucketEncryption,
        step: Step::Bucket,
        label: "Encryption",
        hint: TOGGLE_HINT,
        path: Some(path::BUCKET_ENCRYPTION),
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Select {
            choices: || names(BucketEncryption::ALL),
            get: |s| index_of(BucketEncryption::ALL, &s.bucket.encryption),
            set: |s, i| {
                if let Some(v) = BucketEncryption::ALL.get(i) {
                    s.bucket.encryption = *v;
                }
            },
            note: |s| match s.bucket.encryption {
                BucketEncryption::SseS3 => "S3-managed keys",
                BucketEncryption::SseKms => "a KMS key you name",
                BucketEncryption::DsseKms => "two layers, with a KMS key you name (DSSE-KMS)",
            },
        },
        ripple: Ripple::Refill(FieldId::BucketKmsKey),
    },
    FieldDef {
        id: FieldId::BucketKmsKey,
        step: Step::Bucket,
        label: "KMS key ARN",
        hint: KMS_HINT,
        path: Some(path::BUCKET_KMS_KEY_ARN),
        visible: |s| s.bucket.encryption != BucketEncryption::SseS3,
        active: |s| s.bucket.create,
        value: Value::Text {
            get: |s| s.bucket.kms_key_arn.clone().unwrap_or_default(),
            set: |s, t| s.bucket.kms_key_arn = optional(t),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BucketKey,
        step: Step::Bucket,
        label: "S3 Bucket Key (fewer KMS calls)",
        hint: TOGGLE_HINT,
        path: None,
        visible: |s| s.bucket.encryption == BucketEncryption::SseKms,
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.bucket_key,
            set: |s, on| s.bucket.bucket_key = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::Versioning,
        step: Step::Bucket,
        label: "Enable versioning",
        hint: TOGGLE_HINT,
        path: Some(path::BUCKET_VERSIONING),
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.versioning,
            set: |s, on| s.bucket.versioning = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::ObjectLock,
        step: Step::Bucket,
        label: "Object Lock (WORM; needs versioning)",
        hint: TOGGLE_HINT,
        path: Some(path::BUCKET_OBJECT_LOCK),
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.object_lock,
            set: |s, on| {
                s.bucket.object_lock = on;
                if on {
                    s.bucket.versioning = true;
                }
            },
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::ObjectOwnership,
        step: Step::Bucket,
        label: "Object ownership",
        hint: "← → choose · who owns objects others write into the bucket",
        path: None,
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Select {
            choices: || names(spec::ObjectOwnership::ALL),
            get: |s| index_of(spec::ObjectOwnership::ALL, &s.bucket.object_ownership),
            set: |s, i| {
                if let Some(v) = spec::ObjectOwnership::ALL.get(i) {
                    s.bucket.object_ownership = *v;
                }
            },
            note: |s| match s.bucket.object_ownership {
                spec::ObjectOwnership::BucketOwnerEnforced => {
                    "ACLs disabled: the bucket owner owns every object"
                }
                spec::ObjectOwnership::BucketOwnerPreferred => {
                    "ACLs on: the owner takes objects written with bucket-owner-full-control"
                }
                spec::ObjectOwnership::ObjectWriter => {
                    "ACLs on: the writer's account owns what it writes"
                }
            },
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BlockPublicAccess,
        step: Step::Bucket,
        label: "Block all public access",
        hint: "Space toggles all four blocks · off shows each one",
        path: None,
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.block_public_access.is_all_on(),
            set: |s, on| s.bucket.block_public_access = spec::PublicAccessBlock::all(on),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BlockPublicAcls,
        step: Step::Bucket,
        label: "  block public ACLs",
        hint: "Space toggles · one of the four public access blocks",
        path: None,
        visible: |s| s.bucket.create && !s.bucket.block_public_access.is_all_on(),
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.block_public_access.block_public_acls,
            set: |s, on| s.bucket.block_public_access.block_public_acls = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::IgnorePublicAcls,
        step: Step::Bucket,
        label: "  ignore public ACLs",
        hint: "Space toggles · one of the four public access blocks",
        path: None,
        visible: |s| s.bucket.create && !s.bucket.block_public_access.is_all_on(),
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.block_public_access.ignore_public_acls,
            set: |s, on| s.bucket.block_public_access.ignore_public_acls = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::BlockPublicPolicy,
        step: Step::Bucket,
        label: "  block public bucket policies",
        hint: "Space toggles · one of the four public access blocks",
        path: None,
        visible: |s| s.bucket.create && !s.bucket.block_public_access.is_all_on(),
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.block_public_access.block_public_policy,
            set: |s, on| s.bucket.block_public_access.block_public_policy = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::RestrictPublicBuckets,
        step: Step::Bucket,
        label: "  restrict public buckets",
        hint: "Space toggles · one of the four public access blocks",
        path: None,
        visible: |s| s.bucket.create && !s.bucket.block_public_access.is_all_on(),
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.block_public_access.restrict_public_buckets,
            set: |s, on| s.bucket.block_public_access.restrict_public_buckets = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::DenyInsecureTransport,
        step: Step::Bucket,
        label: "Deny requests without TLS (bucket policy)",
        hint: TOGGLE_HINT,
        path: None,
        visible: always,
        active: |s| s.bucket.create,
        value: Value::Toggle {
            get: |s| s.bucket.deny_insecure_transport,
            set: |s, on| s.bucket.deny_insecure_transport = on,
        },
        ripple: Ripple::None,
    },
    // ---- Queue ----
    FieldDef {
        id: FieldId::QueueEnabled,
        step: Step::Queue,
        label: "Pipeline",
        hint: "← → choose · a pull import or a destination has no queue and no notification",
        path: Some(path::QUEUE_ENABLED),
        visible: always,
        active: always,
        value: Value::Select {
            choices: || {
                vec![
                    "queue-fed: S3 notifies a queue".to_owned(),
                    "no queue".to_owned(),
                ]
            },
            get: |s| usize::from(!s.queue.enabled),
            set: |s, i| {
                s.queue.enabled = i == 0;
                s.notification.enabled = i == 0;
            },
            note: |s| skipped_note(s),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::QueueCreate,
        step: Step::Queue,
        label: "Queue",
        hint: TOGGLE_HINT,
        path: None,
        visible: has_queue,
        active: always,
        value: Value::Select {
            choices: || {
                vec![
                    "create a new queue".to_owned(),
                    "use an existing queue".to_owned(),
                ]
            },
            get: |s| usize::from(!s.queue.create),
            set: |s, i| s.queue.create = i == 0,
            note: |s| {
                if s.queue.create {
                    ""
                } else {
                    "only its access policy is managed"
                }
            },
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::QueueName,
        step: Step::Queue,
        label: "Queue name",
        hint: "letters, digits, - and _; not .fifo (S3 cannot notify FIFO queues)",
        path: Some(path::QUEUE_NAME),
        visible: has_queue,
        active: always,
        value: Value::Text {
            get: |s| s.queue.name.clone(),
            set: spec::rename_queue,
        },
        ripple: Ripple::Follows(FieldId::DlqName),
    },
    FieldDef {
        id: FieldId::VisibilityTimeout,
        step: Step::Queue,
        label: "Visibility timeout (seconds)",
        hint: "0-43200; long enough to load your largest object",
        path: Some(path::QUEUE_VISIBILITY_TIMEOUT),
        visible: has_queue,
        active: |s| s.queue.create,
        value: Value::Number {
            get: |s| s.queue.visibility_timeout_secs,
            set: |s, n| s.queue.visibility_timeout_secs = n,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::Retention,
        step: Step::Queue,
        label: "Message retention (seconds)",
        hint: "60-1209600 (14 days)",
        path: Some(path::QUEUE_RETENTION),
        visible: has_queue,
        active: |s| s.queue.create,
        value: Value::Number {
            get: |s| s.queue.message_retention_secs,
            set: |s, n| s.queue.message_retention_secs = n,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::QueueEncryption,
        step: Step::Queue,
        label: "Encryption",
        hint: TOGGLE_HINT,
        path: Some(path::QUEUE_ENCRYPTION),
        visible: has_queue,
        active: |s| s.queue.create,
        value: Value::Select {
            choices: || names(QueueEncryption::ALL),
            get: |s| index_of(QueueEncryption::ALL, &s.queue.encryption),
            set: |s, i| {
                if let Some(v) = QueueEncryption::ALL.get(i) {
                    s.queue.encryption = *v;
                }
            },
            note: |s| match s.queue.encryption {
                QueueEncryption::SqsManaged => "SQS-managed keys (SSE-SQS)",
                QueueEncryption::Kms => "a KMS key you name; S3 needs kms:GenerateDataKey",
                QueueEncryption::None => "no encryption at rest",
            },
        },
        ripple: Ripple::Refill(FieldId::QueueKmsKey),
    },
    FieldDef {
        id: FieldId::QueueKmsKey,
        step: Step::Queue,
        label: "KMS key ARN",
        hint: KMS_HINT,
        path: Some(path::QUEUE_KMS_KEY_ARN),
        visible: |s| s.has_queue() && s.queue.encryption == QueueEncryption::Kms,
        active: |s| s.queue.create,
        value: Value::Text {
            get: |s| s.queue.kms_key_arn.clone().unwrap_or_default(),
            set: |s, t| s.queue.kms_key_arn = optional(t),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::DlqEnabled,
        step: Step::Queue,
        label: "Dead-letter queue",
        hint: TOGGLE_HINT,
        path: None,
        visible: has_queue,
        active: |s| s.queue.create,
        value: Value::Toggle {
            get: |s| s.queue.dead_letter.enabled,
            set: |s, on| s.queue.dead_letter.enabled = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::DlqName,
        step: Step::Queue,
        label: "Dead-letter queue name",
        hint: "where messages go after too many failed receives",
        path: Some(path::DLQ_NAME),
        visible: has_queue,
        active: |s| s.queue.create && s.queue.dead_letter.enabled,
        value: Value::Text {
            get: |s| s.queue.dead_letter.name.clone(),
            set: |s, t| s.queue.dead_letter.name = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::MaxReceiveCount,
        step: Step::Queue,
        label: "Max receive count",
        hint: "1-1000 receives before a message moves to the DLQ",
        path: Some(path::DLQ_MAX_RECEIVE_COUNT),
        visible: has_queue,
        active: |s| s.queue.create && s.queue.dead_letter.enabled,
        value: Value::Number {
            get: |s| s.queue.dead_letter.max_receive_count,
            set: |s, n| s.queue.dead_letter.max_receive_count = n,
        },
        ripple: Ripple::None,
    },
    // The alarms: one toggle for the group, its fields while it is on.
    FieldDef {
        id: FieldId::AlarmsEnabled,
        step: Step::Queue,
        label: "Alarms (CloudWatch, recommended)",
        hint: "Space toggles · alarms tell you when messages fail, pile up or stop being consumed",
        path: Some(path::ALARMS_ENABLED),
        visible: always,
        active: has_queue,
        value: Value::Toggle {
            get: |s| s.alarms.enabled,
            set: |s, on| s.alarms.enabled = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AlarmsDlqNotEmpty,
        step: Step::Queue,
        label: "Alarm: dead-letter queue not empty",
        hint: "Alarm when the dead-letter queue holds a message (CloudWatch, ApproximateNumberOfMessagesVisible > 0)",
        path: Some(path::ALARMS_DLQ_NOT_EMPTY),
        visible: has_alarms,
        active: |s| s.has_dead_letter() && s.queue.create,
        value: Value::Toggle {
            get: |s| s.alarms.dlq_not_empty,
            set: |s, on| s.alarms.dlq_not_empty = on,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AlarmsMaxMessageAge,
        step: Step::Queue,
        label: "Alarm: oldest message older than (seconds)",
        hint: "Alarm when a message waits this long unread (CloudWatch, ApproximateAgeOfOldestMessage); 0 turns it off; the default is three visibility timeouts, at least 30 min, at most half the retention",
        path: Some(path::ALARMS_MAX_MESSAGE_AGE),
        visible: has_alarms,
        active: always,
        value: Value::Number {
            get: |s| s.alarms.max_message_age_secs,
            set: |s, n| s.alarms.max_message_age_secs = n,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AlarmsStalledAfter,
        step: Step::Queue,
        label: "Alarm: nothing consumed for (seconds)",
        hint: "Alarm when messages arrive but none is consumed for this long (CloudWatch, NumberOfMessagesSent > 0, NumberOfMessagesDeleted = 0); 300-86400 in whole minutes; 0 turns it off",
        path: Some(path::ALARMS_STALLED_AFTER),
        visible: has_alarms,
        active: always,
        value: Value::Number {
            get: |s| s.alarms.stalled_after_secs,
            set: |s, n| s.alarms.stalled_after_secs = n,
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AlarmsTopicArn,
        step: Step::Queue,
        label: "Alarms notify: SNS topic ARN (optional)",
        hint: "an existing SNS topic in this region; blank: sluice makes <name>-alarms",
        path: Some(path::ALARMS_TOPIC_ARN),
        visible: has_alarms,
        active: always,
        value: Value::Text {
            get: |s| s.alarms.topic_arn.clone().unwrap_or_default(),
            set: |s, t| s.alarms.topic_arn = optional(t.trim()),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::AlarmsEmail,
        step: Step::Queue,
        label: "Alarms notify: e-mail (optional)",
        hint: "subscribed to sluice's alarms topic; AWS mails a confirmation link first",
        path: Some(path::ALARMS_EMAIL),
        visible: has_alarms,
        active: always,
        value: Value::Text {
            get: |s| s.alarms.email.clone().unwrap_or_default(),
            set: |s, t| s.alarms.email = optional(t.trim()),
        },
        ripple: Ripple::None,
    },
    // ---- Notification ----
    FieldDef {
        id: FieldId::NotificationEnabled,
        step: Step::Notification,
        label: "Bucket notification",
        hint: "Space toggles · off leaves the bucket's notification configuration alone",
        path: Some(path::NOTIFICATION_ENABLED),
        visible: always,
        active: always,
        value: Value::Select {
            choices: || {
                vec![
                    "on: the bucket's events reach the queue".to_owned(),
                    "none".to_owned(),
                ]
            },
            // A vendor's queue still to come (Snowflake's step 1) is on, not none.
            get: |s| usize::from(!(s.has_notification() || s.vendor_queue_pending())),
            set: |s, i| s.notification.enabled = i == 0,
            note: |s| skipped_note(s),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::NotificationQueueArn,
        step: Step::Notification,
        label: "Vendor's queue ARN",
        hint: "the queue the vendor owns (Snowflake: the pipe's notification_channel from SHOW PIPES; blank at step 1)",
        path: Some(path::NOTIFICATION_QUEUE_ARN),
        visible: |s| !s.queue.enabled && s.notification.enabled,
        active: always,
        value: Value::Text {
            get: |s| s.notification.queue_arn.clone().unwrap_or_default(),
            set: |s, t| s.notification.queue_arn = optional(t),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::NotificationDelivery,
        step: Step::Notification,
        label: "Delivery",
        hint: "← → choose · SNS or EventBridge where the bucket's entries would overlap ours",
        path: Some(path::NOTIFICATION_DELIVERY),
        visible: |s| s.queue.enabled && s.notification.enabled,
        active: always,
        value: Value::Select {
            choices: || {
                vec![
                    "direct: S3 notifies the queue".to_owned(),
                    "SNS: through the bucket's topic".to_owned(),
                    "EventBridge: through a rule".to_owned(),
                ]
            },
            get: |s| index_of(Delivery::ALL, &s.notification.delivery),
            set: |s, i| s.notification.delivery = Delivery::ALL[i.min(Delivery::ALL.len() - 1)],
            note: |s| match s.notification.delivery {
                Delivery::Direct => {
                    "an entry of ours in the bucket's notification configuration, merged beside the others"
                }
                Delivery::Sns => {
                    "the queue subscribes to the topic the bucket already publishes to; the bucket's entries stay as they are"
                }
                Delivery::Eventbridge => {
                    "the bucket's EventBridge delivery is turned on and a rule of ours sends Object Created to the queue; the bucket's entries stay as they are"
                }
            },
        },
        ripple: Ripple::Refill(FieldId::NotificationTopicArn),
    },
    FieldDef {
        id: FieldId::NotificationTopicArn,
        step: Step::Notification,
        label: "Topic ARN",
        hint: "the SNS topic the bucket already publishes its events to",
        path: Some(path::NOTIFICATION_TOPIC_ARN),
        visible: |s| {
            s.queue.enabled && s.notification.enabled && s.notification.delivery == Delivery::Sns
        },
        active: always,
        value: Value::Text {
            get: |s| s.notification.topic_arn.clone().unwrap_or_default(),
            set: |s, t| s.notification.topic_arn = optional(t),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::NotificationId,
        step: Step::Notification,
        label: "Notification id",
        hint: "the Id of sluice's entry in the bucket's notification (with EventBridge, the rule's name)",
        path: Some(path::NOTIFICATION_ID),
        visible: |s| s.notification.enabled && s.delivery() != Some(Delivery::Sns),
        active: always,
        value: Value::Text {
            get: |s| s.notification.id.clone(),
            set: |s, t| s.notification.id = t.to_owned(),
        },
        ripple: Ripple::None,
    },
    FieldDef {
        id: FieldId::Events,
        step: Step::Notification,
        label: "Events",
        hint: "↑ ↓ move · Space toggle",
        path: Some(path::NOTIFICATION_EVENTS),
        visible: |s| s.notification.enabled,
        active: always,
        value: Value::Events,
        ripple: Ripple::None,
    },
];
