//! The one table of the form's fields: for each, its step, label, hint, the
//! spec path its validation errors carry (from [`crate::spec::path`], the
//! validator's own names), when it is shown and editable, and how it reads
//! and writes the spec. Adding a field is one entry in [`FIELDS`]. Pure: no
//! terminal, no I/O.

use crate::spec::{
    self, BucketEncryption, Connector, Delivery, Message, PolicyScope, QueueEncryption, Spec, Word,
    path,
};

use super::step::Step;

/// Every field of every form step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    // Welcome
    StackName,
    Connector,
    Profile,
    Region,
    Sessions,
    // Policy
    PolicyName,
    PolicyScope,
    AllowSendMessage,
    AllowDeleteObject,
    AllowPutObject,
    // Role
    RoleEnabled,
    RoleName,
    TrustedPrincipals,
    ExternalId,
    // User
    UserEnabled,
    UserName,
    CreateAccessKey,
    // Bucket
    BucketCreate,
    BucketName,
    Prefix,
    Suffix,
    BucketEncryption,
    BucketKmsKey,
    BucketKey,
    Versioning,
    ObjectLock,
    ObjectOwnership,
    BlockPublicAccess,
    BlockPublicAcls,
    IgnorePublicAcls,
    BlockPublicPolicy,
    RestrictPublicBuckets,
    DenyInsecureTransport,
    // Queue
    QueueEnabled,
    QueueCreate,
    QueueName,
    VisibilityTimeout,
    Retention,
    QueueEncryption,
    QueueKmsKey,
    DlqEnabled,
    DlqName,
    MaxReceiveCount,
    AlarmsEnabled,
    AlarmsDlqNotEmpty,
    AlarmsMaxMessageAge,
    AlarmsStalledAfter,
    AlarmsTopicArn,
    AlarmsEmail,
    // Notification
    NotificationEnabled,
    NotificationQueueArn,
    NotificationDelivery,
    NotificationTopicArn,
    NotificationId,
    Events,
}

/// How a field is edited (and drawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A single-line text input.
    Text,
    /// A single-line input holding a whole number.
    Number,
    /// On / off (Space).
    Toggle,
    /// One of a few values (← → cycle, Space opens a picker).
    Select,
    /// A list of strings with an input to add one (the trusted principals).
    List,
    /// A list of choices, each on or off (the S3 events).
    Checklist,
    /// Saved sessions to resume.
    Sessions,
}

/// How a field reads and writes what it edits.
#[derive(Clone, Copy)]
pub enum Value {
    /// Text in the spec (an empty text is `None` for optional values).
    Text {
        get: fn(&Spec) -> String,
        set: fn(&mut Spec, &str),
    },
    Number {
        get: fn(&Spec) -> u32,
        set: fn(&mut Spec, u32),
    },
    Toggle {
        get: fn(&Spec) -> bool,
        set: fn(&mut Spec, bool),
    },
    /// One of `choices`; `get` is the index the spec holds.
    Select {
        choices: fn() -> Vec<String>,
        get: fn(&Spec) -> usize,
        set: fn(&mut Spec, usize),
        /// A short description of the value chosen, shown beside it.
        note: fn(&Spec) -> &'static str,
    },
    /// The AWS profile: the wizard's own, not the spec's.
    Profile,
    /// The spec's region, chosen from the known regions.
    Region,
    /// The role's trusted principals.
    Principals,
    /// The notification's events.
    Events,
    /// The saved sessions.
    Sessions,
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Value::Text { .. } => "Text",
            Value::Number { .. } => "Number",
            Value::Toggle { .. } => "Toggle",
            Value::Select { .. } => "Select",
            Value::Profile => "Profile",
            Value::Region => "Region",
            Value::Principals => "Principals",
            Value::Events => "Events",
            Value::Sessions => "Sessions",
        })
    }
}

/// What else changes when a field changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// The default names follow the stack name.
    RenameDefaults,
    /// The credentials are checked again (profile, region).
    Reconnect,
    /// This (hidden or shown) field's text is put back into the spec: the
    /// KMS key follows its encryption choice.
    Refill(FieldId),
    /// That field's value may change with this one (a default name that
    /// follows): its input shows the new value.
    Follows(FieldId),
    /// Many values change at once (a connector's profile): every input
    /// shows the spec's value again.
    ResetAll,
}

/// One field.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub id: FieldId,
    pub step: Step,
    pub label: &'static str,
    /// The line shown in the status bar while the field is focused.
    pub hint: &'static str,
    /// The spec path its validation errors carry; list fields also own `path[i]`.
    pub path: Option<&'static str>,
    /// Whether it is shown at all for the spec (KMS keys only with KMS).
    pub visible: fn(&Spec) -> bool,
    /// Whether it can be edited for the spec (shown dimmed otherwise).
    pub active: fn(&Spec) -> bool,
    pub value: Value,
    pub effect: Effect,
}

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
        effect: Effect::RenameDefaults,
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
        effect: Effect::ResetAll,
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
        effect: Effect::Reconnect,
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
        effect: Effect::Reconnect,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::Refill(FieldId::BucketKmsKey),
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::Follows(FieldId::DlqName),
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::Refill(FieldId::QueueKmsKey),
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::Refill(FieldId::NotificationTopicArn),
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
        effect: Effect::None,
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
        effect: Effect::None,
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
        effect: Effect::None,
    },
];

impl FieldId {
    /// The field's entry in [`FIELDS`].
    pub fn def(self) -> &'static FieldDef {
        // FIELDS is in FieldId order (a test checks it).
        &FIELDS[self as usize]
    }

    pub fn kind(self) -> Kind {
        match self.def().value {
            Value::Text { .. } => Kind::Text,
            Value::Number { .. } => Kind::Number,
            Value::Toggle { .. } => Kind::Toggle,
            Value::Select { .. } | Value::Profile | Value::Region => Kind::Select,
            Value::Principals => Kind::List,
            Value::Events => Kind::Checklist,
            Value::Sessions => Kind::Sessions,
        }
    }

    /// Whether the field edits text (so printable keys type into it).
    pub fn is_text(self) -> bool {
        matches!(self.kind(), Kind::Text | Kind::Number | Kind::List)
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    pub fn hint(self) -> &'static str {
        self.def().hint
    }

    /// The hint as it reads for `spec`: the external ID's says whether the
    /// vendor gives it (nothing to generate) or sluice may make one.
    pub fn hint_for(self, spec: &Spec) -> std::borrow::Cow<'static, str> {
        use crate::spec::profiles::ExternalId;
        let profile = spec.profile();
        match (self, profile.external_id) {
            (FieldId::ExternalId, ExternalId::Vendor { what }) => {
                format!("{} gives it: paste {what}", profile.vendor).into()
            }
            (FieldId::ExternalId, ExternalId::None) => {
                format!("none: {} sends no external ID", profile.vendor).into()
            }
            (FieldId::AlarmsTopicArn, _) => format!(
                "an existing SNS topic in {}; blank: sluice makes {}",
                spec.region,
                crate::docs::alarm_topic_name(spec)
            )
            .into(),
            _ => self.hint().into(),
        }
    }

    pub fn path(self) -> Option<&'static str> {
        self.def().path
    }

    pub fn visible(self, spec: &Spec) -> bool {
        (self.def().visible)(spec)
    }

    pub fn active(self, spec: &Spec) -> bool {
        (self.def().active)(spec)
    }

    /// The field an error at spec `path` belongs to.
    pub fn for_path(error_path: &str) -> Option<FieldId> {
        let base = path::base(error_path);
        FIELDS.iter().find(|f| f.path == Some(base)).map(|f| f.id)
    }
}

/// Why a field's resource is not made, shown under the field (dimmed, and
/// not editable): the alarms of a pipeline without a queue, the dead-letter
/// alarm of a queue without a dead-letter queue of the pipeline's own.
pub fn not_applicable(spec: &Spec, field: FieldId) -> Option<String> {
    match field {
        FieldId::AlarmsEnabled if !spec.has_queue() => {
            crate::docs::skipped_because(spec, crate::docs::ResourceKind::Alarm)
        }
        FieldId::AlarmsDlqNotEmpty if spec.has_alarms() => {
            // Its own toggle aside: what else leaves the alarm out.
            let mut wanted = spec.clone();
            wanted.alarms.dlq_not_empty = true;
            crate::docs::alarm_skipped_because(&wanted, crate::docs::AlarmKind::DlqNotEmpty)
        }
        _ => None,
    }
}

/// What an empty text field stands for, shown dimmed in it.
pub fn placeholder(spec: &Spec, field: FieldId) -> Option<String> {
    match field {
        FieldId::AlarmsTopicArn => Some(format!(
            "blank: sluice makes {}",
            crate::docs::alarm_topic_name(spec)
        )),
        _ => None,
    }
}

/// A validation message at spec path `at`, in the wizard's words: a field
/// by its label (and its step, when another step holds it), a setting as
/// the form makes it, and no `--set` hints (the message stands under the
/// field it is about).
pub fn message_words(spec: &Spec, at: &str, message: &Message) -> String {
    let here = FieldId::for_path(at).map(|f| f.def().step);
    let name = |field: FieldId| {
        let def = field.def();
        match here {
            Some(step) if step != def.step => {
                format!("“{}” on the {} step", def.label, def.step.title())
            }
            _ => format!("“{}”", def.label),
        }
    };
    message.render(|word| match word {
        Word::Text(text) => Some(text.clone()),
        Word::Field(path) => Some(FieldId::for_path(path).map_or_else(|| (*path).to_owned(), name)),
        Word::Setting { path, value } => Some(match FieldId::for_path(path) {
            Some(field) => setting_words(spec, field, path, value, &name(field)),
            None => format!("set {path} to {value}"),
        }),
        Word::SetFlag(_) => None,
    })
}

/// A validation error where the field is not in sight (the review): the
/// field's label and step, then the message in the wizard's words.
pub fn error_line(spec: &Spec, error: &spec::FieldError) -> String {
    let words = message_words(spec, &error.path, &error.message);
    match FieldId::for_path(&error.path) {
        Some(field) => format!(
            "{} ({} step): {words}",
            field.label(),
            field.def().step.title()
        ),
        None => format!("{}: {words}", error.path),
    }
}

/// Setting `field` (at spec `path`, named `named`) to `value`, as the form
/// does it: a toggle turned on or off, a select's choice that holds the
/// value, else the value typed in.
fn setting_words(spec: &Spec, field: FieldId, path: &str, value: &str, named: &str) -> String {
    match field.def().value {
        Value::Toggle { .. } if value == "true" => format!("turn on {named}"),
        Value::Toggle { .. } if value == "false" => format!("turn off {named}"),
        Value::Select { choices, set, .. } => {
            let wanted = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
            let pointer = format!("/{}", path.replace('.', "/"));
            let holds = |i: usize| {
                let mut candidate = spec.clone();
                set(&mut candidate, i);
                serde_json::to_value(&candidate)
                    .ok()
                    .is_some_and(|v| v.pointer(&pointer) == Some(&wanted))
            };
            match choices().into_iter().enumerate().find(|(i, _)| holds(*i)) {
                Some((_, choice)) => format!("choose “{choice}” for {named}"),
                None => format!("set {named} to {value}"),
            }
        }
        _ => format!("set {named} to {value}"),
    }
}

/// The fields of a step, in order (including ones the spec makes inactive).
pub fn of_step(step: Step) -> impl Iterator<Item = FieldId> {
    FIELDS.iter().filter(move |f| f.step == step).map(|f| f.id)
}

/// Every field, in form order.
pub fn all() -> impl Iterator<Item = FieldId> {
    FIELDS.iter().map(|f| f.id)
}

/// The text a text or number field shows for the spec.
pub fn text_value(spec: &Spec, field: FieldId) -> String {
    match field.def().value {
        Value::Text { get, .. } => get(spec),
        Value::Number { get, .. } => get(spec).to_string(),
        _ => String::new(),
    }
}

/// Puts the text of a field into the spec. `Err` is a problem of the text
/// itself (not a number); the spec's own rules are checked by `validate`.
pub fn set_text(spec: &mut Spec, field: FieldId, text: &str) -> Result<(), String> {
    match field.def().value {
        Value::Text { set, .. } => set(spec, text),
        Value::Number { set, .. } => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err("a number is required".to_owned());
            }
            let n = trimmed
                .parse::<u32>()
                .map_err(|_| format!("`{trimmed}` is not a whole number of seconds or times"))?;
            set(spec, n);
        }
        _ => {}
    }
    Ok(())
}

pub fn toggle_value(spec: &Spec, field: FieldId) -> bool {
    match field.def().value {
        Value::Toggle { get, .. } => get(spec),
        _ => false,
    }
}

pub fn set_toggle(spec: &mut Spec, field: FieldId, on: bool) {
    if let Value::Toggle { set, .. } = field.def().value {
        set(spec, on);
    }
}

/// The choices of a spec-bound select, and which one the spec holds.
pub fn spec_select(spec: &Spec, field: FieldId) -> Option<(Vec<String>, usize)> {
    match field.def().value {
        Value::Select { choices, get, .. } => Some((choices(), get(spec))),
        _ => None,
    }
}

/// Sets a spec-bound select to choice `index`.
pub fn set_spec_select(spec: &mut Spec, field: FieldId, index: usize) {
    if let Value::Select { set, .. } = field.def().value {
        set(spec, index);
    }
}

/// A short description of a select's value, shown beside it.
pub fn select_note(field: FieldId, spec: &Spec) -> &'static str {
    match field.def().value {
        Value::Select { note, .. } => note(spec),
        _ => "",
    }
}

/// S3 event types a bucket can publish: the spec validator's own list.
pub use crate::spec::S3_EVENTS;

/// The rows of the events checklist: every known event, then any other the
/// spec names (shown so that it can be unticked).
pub fn event_rows(spec: &Spec) -> Vec<String> {
    let mut rows: Vec<String> = S3_EVENTS.iter().map(|e| (*e).to_owned()).collect();
    for e in &spec.notification.events {
        if !rows.contains(e) {
            rows.push(e.clone());
        }
    }
    rows
}

/// The wizard's recommendation for a new pipeline: alarms on wherever
/// there is a queue of the pipeline's own to watch. (A spec file without
/// the section keeps them off: see `spec::starter`.)
pub fn recommend_alarms(spec: &mut Spec) {
    spec.alarms.enabled = spec.has_queue();
}

/// After a connector's profile set the pipeline's shape (`had_queue`: the
/// shape before): the alarms follow it. Off without a queue; on for a queue
/// gained (they were off only for want of one); a queue kept keeps the
/// choice made.
pub fn alarms_follow_shape(spec: &mut Spec, had_queue: bool) {
    if !spec.has_queue() {
        spec.alarms.enabled = false;
    } else if !had_queue {
        spec.alarms.enabled = true;
    }
}

/// The default names derived from a stack name (what `sluice init` writes):
/// every name still at its old default follows the new stack name.
pub fn rederive_names(spec: &mut Spec, old_name: &str) {
    let old = spec::starter_for(spec.connector, old_name, &spec.region, None);
    let new = spec::starter_for(spec.connector, &spec.name, &spec.region, None);
    let pairs: [(&mut String, &String, &String); 7] = [
        (&mut spec.bucket.name, &old.bucket.name, &new.bucket.name),
        (&mut spec.queue.name, &old.queue.name, &new.queue.name),
        (
            &mut spec.queue.dead_letter.name,
            &old.queue.dead_letter.name,
            &new.queue.dead_letter.name,
        ),
        (&mut spec.policy.name, &old.policy.name, &new.policy.name),
        (&mut spec.role.name, &old.role.name, &new.role.name),
        (&mut spec.user.name, &old.user.name, &new.user.name),
        (
            &mut spec.notification.id,
            &old.notification.id,
            &new.notification.id,
        ),
    ];
    for (value, old_default, new_default) in pairs {
        if value == old_default {
            value.clone_from(new_default);
        }
    }
}

#[cfg(test)]
mod tests {
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
}
