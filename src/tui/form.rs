//! The fields of the form steps: what each edits in the spec, how it is
//! shown, and which spec path its validation errors carry. Pure: no
//! terminal, no I/O.

use crate::spec::Spec;

use super::app::Step;

/// Every field of every form step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    // Welcome
    StackName,
    Profile,
    Region,
    Sessions,
    // Policy
    PolicyName,
    PolicyScope,
    AllowSendMessage,
    AllowDeleteObject,
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
    Versioning,
    BlockPublicAccess,
    DenyInsecureTransport,
    // Queue
    QueueCreate,
    QueueName,
    VisibilityTimeout,
    Retention,
    QueueEncryption,
    QueueKmsKey,
    DlqEnabled,
    DlqName,
    MaxReceiveCount,
    // Notification
    NotificationId,
    Events,
}

/// How a field is edited.
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

use FieldId::*;

impl FieldId {
    pub fn kind(self) -> Kind {
        match self {
            StackName | PolicyName | RoleName | ExternalId | UserName | BucketName | Prefix
            | Suffix | BucketKmsKey | QueueName | QueueKmsKey | DlqName | NotificationId => {
                Kind::Text
            }
            VisibilityTimeout | Retention | MaxReceiveCount => Kind::Number,
            AllowSendMessage
            | AllowDeleteObject
            | RoleEnabled
            | UserEnabled
            | CreateAccessKey
            | Versioning
            | BlockPublicAccess
            | DenyInsecureTransport
            | DlqEnabled => Kind::Toggle,
            Profile | Region | PolicyScope | BucketCreate | BucketEncryption | QueueCreate
            | QueueEncryption => Kind::Select,
            TrustedPrincipals => Kind::List,
            Events => Kind::Checklist,
            Sessions => Kind::Sessions,
        }
    }

    /// Whether the field edits text (so printable keys type into it).
    pub fn is_text(self) -> bool {
        matches!(self.kind(), Kind::Text | Kind::Number | Kind::List)
    }

    pub fn label(self) -> &'static str {
        match self {
            StackName => "Stack name",
            Profile => "AWS profile",
            Region => "Region",
            Sessions => "Resume a saved session",
            PolicyName => "Policy name",
            PolicyScope => "Scope",
            AllowSendMessage => "Allow sqs:SendMessage (backfills need it)",
            AllowDeleteObject => "Allow s3:DeleteObject under the prefix (purge after load)",
            RoleEnabled => "Create a role for the connector (recommended)",
            RoleName => "Role name",
            TrustedPrincipals => "Trusted principals",
            ExternalId => "External ID",
            UserEnabled => "Create an IAM user",
            UserName => "User name",
            CreateAccessKey => "Create an access key for it",
            BucketCreate => "Bucket",
            BucketName => "Bucket name",
            Prefix => "Key prefix",
            Suffix => "Key suffix",
            BucketEncryption => "Encryption",
            BucketKmsKey => "KMS key ARN",
            Versioning => "Enable versioning",
            BlockPublicAccess => "Block all public access",
            DenyInsecureTransport => "Deny requests without TLS (bucket policy)",
            QueueCreate => "Queue",
            QueueName => "Queue name",
            VisibilityTimeout => "Visibility timeout (seconds)",
            Retention => "Message retention (seconds)",
            QueueEncryption => "Encryption",
            QueueKmsKey => "KMS key ARN",
            DlqEnabled => "Dead-letter queue",
            DlqName => "Dead-letter queue name",
            MaxReceiveCount => "Max receive count",
            NotificationId => "Notification id",
            Events => "Events",
        }
    }

    /// A line shown under the focused field.
    pub fn hint(self) -> &'static str {
        match self {
            StackName => "prefixes every default name; lowercase letters, digits, hyphens",
            Profile => "← → choose · Space list · credentials come from this profile",
            Region => "← → choose · Space list · the pipeline's resources live here",
            Sessions => "↑ ↓ choose · Enter resume",
            PolicyName => "IAM policy name, at most 128 characters",
            PolicyScope => "least-privilege scopes actions to this bucket, prefix and queue",
            RoleName => "IAM role name, at most 64 characters",
            TrustedPrincipals => {
                "account ids or IAM ARNs your vendor gave you · Enter add · Del remove"
            }
            ExternalId => "your vendor's org id, or Ctrl-G for a random one",
            UserName => "IAM user name, at most 64 characters",
            BucketName => "3-63 lowercase letters, digits, dots, hyphens; names are global",
            Prefix => "only keys starting with this are announced, e.g. logs/",
            Suffix => "only keys ending with this are announced, e.g. .json.gz",
            BucketKmsKey | QueueKmsKey => "arn:aws:kms:REGION:ACCOUNT:key/ID",
            QueueName => "letters, digits, - and _; not .fifo (S3 cannot notify FIFO queues)",
            VisibilityTimeout => "0-43200; long enough to load your largest object",
            Retention => "60-1209600 (14 days)",
            DlqName => "where messages go after too many failed receives",
            MaxReceiveCount => "1-1000 receives before a message moves to the DLQ",
            NotificationId => "the Id of sluice's entry in the bucket's notification",
            Events => "↑ ↓ move · Space toggle",
            _ => "Space toggles · ← → change",
        }
    }

    /// The spec path whose validation errors belong to this field. List
    /// fields also own `path[i]`.
    pub fn path(self) -> Option<&'static str> {
        Some(match self {
            StackName => "name",
            Region => "region",
            PolicyName => "policy.name",
            RoleEnabled => "role.enabled",
            RoleName => "role.name",
            TrustedPrincipals => "role.trusted_principals",
            ExternalId => "role.external_id",
            UserName => "user.name",
            BucketName => "bucket.name",
            Prefix => "bucket.prefix",
            Suffix => "bucket.suffix",
            BucketKmsKey => "bucket.kms_key_arn",
            QueueName => "queue.name",
            VisibilityTimeout => "queue.visibility_timeout_secs",
            Retention => "queue.message_retention_secs",
            QueueKmsKey => "queue.kms_key_arn",
            DlqName => "queue.dead_letter.name",
            MaxReceiveCount => "queue.dead_letter.max_receive_count",
            NotificationId => "notification.id",
            Events => "notification.events",
            _ => return None,
        })
    }

    /// The field an error at spec `path` belongs to.
    pub fn for_path(path: &str) -> Option<FieldId> {
        let base = path.split('[').next().unwrap_or(path);
        ALL_FIELDS.iter().copied().find(|f| f.path() == Some(base))
    }
}

const ALL_FIELDS: &[FieldId] = &[
    StackName,
    Profile,
    Region,
    Sessions,
    PolicyName,
    PolicyScope,
    AllowSendMessage,
    AllowDeleteObject,
    RoleEnabled,
    RoleName,
    TrustedPrincipals,
    ExternalId,
    UserEnabled,
    UserName,
    CreateAccessKey,
    BucketCreate,
    BucketName,
    Prefix,
    Suffix,
    BucketEncryption,
    BucketKmsKey,
    Versioning,
    BlockPublicAccess,
    DenyInsecureTransport,
    QueueCreate,
    QueueName,
    VisibilityTimeout,
    Retention,
    QueueEncryption,
    QueueKmsKey,
    DlqEnabled,
    DlqName,
    MaxReceiveCount,
    NotificationId,
    Events,
];

/// The fields of a step, in order (including ones the spec makes inactive).
pub fn fields(step: Step) -> &'static [FieldId] {
    match step {
        Step::Welcome => &[StackName, Profile, Region, Sessions],
        Step::Policy => &[PolicyName, PolicyScope, AllowSendMessage, AllowDeleteObject],
        Step::Role => &[RoleEnabled, RoleName, TrustedPrincipals, ExternalId],
        Step::User => &[UserEnabled, UserName, CreateAccessKey],
        Step::Bucket => &[
            BucketCreate,
            BucketName,
            Prefix,
            Suffix,
            BucketEncryption,
            BucketKmsKey,
            Versioning,
            BlockPublicAccess,
            DenyInsecureTransport,
        ],
        Step::Queue => &[
            QueueCreate,
            QueueName,
            VisibilityTimeout,
            Retention,
            QueueEncryption,
            QueueKmsKey,
            DlqEnabled,
            DlqName,
            MaxReceiveCount,
        ],
        Step::Notification => &[NotificationId, Events],
        _ => &[],
    }
}

/// Whether the field is shown at all for this spec (KMS keys only with KMS).
pub fn visible(field: FieldId, spec: &Spec) -> bool {
    match field {
        BucketKmsKey => spec.bucket.encryption == crate::spec::BucketEncryption::SseKms,
        QueueKmsKey => spec.queue.encryption == crate::spec::QueueEncryption::Kms,
        _ => true,
    }
}

/// Whether the field can be edited for this spec (shown dimmed otherwise).
pub fn active(field: FieldId, spec: &Spec) -> bool {
    let bucket_owned = spec.bucket.create;
    let queue_owned = spec.queue.create;
    match field {
        RoleName | TrustedPrincipals | ExternalId => spec.role.enabled,
        UserName | CreateAccessKey => spec.user.enabled,
        BucketEncryption
        | BucketKmsKey
        | Versioning
        | BlockPublicAccess
        | DenyInsecureTransport => bucket_owned,
        VisibilityTimeout | Retention | QueueEncryption | QueueKmsKey | DlqEnabled => queue_owned,
        DlqName | MaxReceiveCount => queue_owned && spec.queue.dead_letter.enabled,
        _ => true,
    }
}

/// The text a text or number field shows for the spec.
pub fn text_value(spec: &Spec, field: FieldId) -> String {
    match field {
        StackName => spec.name.clone(),
        PolicyName => spec.policy.name.clone(),
        RoleName => spec.role.name.clone(),
        ExternalId => spec.role.external_id.clone(),
        UserName => spec.user.name.clone(),
        BucketName => spec.bucket.name.clone(),
        Prefix => spec.bucket.prefix.clone(),
        Suffix => spec.bucket.suffix.clone(),
        BucketKmsKey => spec.bucket.kms_key_arn.clone().unwrap_or_default(),
        QueueName => spec.queue.name.clone(),
        VisibilityTimeout => spec.queue.visibility_timeout_secs.to_string(),
        Retention => spec.queue.message_retention_secs.to_string(),
        QueueKmsKey => spec.queue.kms_key_arn.clone().unwrap_or_default(),
        DlqName => spec.queue.dead_letter.name.clone(),
        MaxReceiveCount => spec.queue.dead_letter.max_receive_count.to_string(),
        NotificationId => spec.notification.id.clone(),
        _ => String::new(),
    }
}

/// Puts the text of a field into the spec. `Err` is a problem of the text
/// itself (not a number); the spec's own rules are checked by `validate`.
pub fn set_text(spec: &mut Spec, field: FieldId, text: &str) -> Result<(), String> {
    let number = || -> Result<u32, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("a number is required".to_owned());
        }
        trimmed
            .parse::<u32>()
            .map_err(|_| format!("`{trimmed}` is not a whole number of seconds or times"))
    };
    let optional = |t: &str| (!t.is_empty()).then(|| t.to_owned());
    match field {
        StackName => spec.name = text.to_owned(),
        PolicyName => spec.policy.name = text.to_owned(),
        RoleName => spec.role.name = text.to_owned(),
        ExternalId => spec.role.external_id = text.to_owned(),
        UserName => spec.user.name = text.to_owned(),
        BucketName => spec.bucket.name = text.to_owned(),
        Prefix => spec.bucket.prefix = text.to_owned(),
        Suffix => spec.bucket.suffix = text.to_owned(),
        BucketKmsKey => spec.bucket.kms_key_arn = optional(text),
        QueueName => spec.queue.name = text.to_owned(),
        VisibilityTimeout => spec.queue.visibility_timeout_secs = number()?,
        Retention => spec.queue.message_retention_secs = number()?,
        QueueKmsKey => spec.queue.kms_key_arn = optional(text),
        DlqName => spec.queue.dead_letter.name = text.to_owned(),
        MaxReceiveCount => spec.queue.dead_letter.max_receive_count = number()?,
        NotificationId => spec.notification.id = text.to_owned(),
        _ => {}
    }
    Ok(())
}

pub fn toggle_value(spec: &Spec, field: FieldId) -> bool {
    match field {
        AllowSendMessage => spec.policy.allow_send_message,
        AllowDeleteObject => spec.policy.allow_delete_object,
        RoleEnabled => spec.role.enabled,
        UserEnabled => spec.user.enabled,
        CreateAccessKey => spec.user.create_access_key,
        Versioning => spec.bucket.versioning,
        BlockPublicAccess => spec.bucket.block_public_access,
        DenyInsecureTransport => spec.bucket.deny_insecure_transport,
        DlqEnabled => spec.queue.dead_letter.enabled,
        _ => false,
    }
}

pub fn set_toggle(spec: &mut Spec, field: FieldId, on: bool) {
    match field {
        AllowSendMessage => spec.policy.allow_send_message = on,
        AllowDeleteObject => spec.policy.allow_delete_object = on,
        RoleEnabled => spec.role.enabled = on,
        UserEnabled => spec.user.enabled = on,
        CreateAccessKey => spec.user.create_access_key = on,
        Versioning => spec.bucket.versioning = on,
        BlockPublicAccess => spec.bucket.block_public_access = on,
        DenyInsecureTransport => spec.bucket.deny_insecure_transport = on,
        DlqEnabled => spec.queue.dead_letter.enabled = on,
        _ => {}
    }
}

/// The choices of a spec-bound select, and which one the spec holds.
pub fn spec_select(spec: &Spec, field: FieldId) -> Option<(Vec<String>, usize)> {
    fn of<T: Copy + PartialEq + std::fmt::Display>(all: &[T], value: T) -> (Vec<String>, usize) {
        (
            all.iter().map(ToString::to_string).collect(),
            all.iter().position(|v| *v == value).unwrap_or(0),
        )
    }
    Some(match field {
        PolicyScope => of(crate::spec::PolicyScope::ALL, spec.policy.scope),
        BucketEncryption => of(crate::spec::BucketEncryption::ALL, spec.bucket.encryption),
        QueueEncryption => of(crate::spec::QueueEncryption::ALL, spec.queue.encryption),
        BucketCreate => (
            vec![
                "create a new bucket".to_owned(),
                "use an existing bucket".to_owned(),
            ],
            usize::from(!spec.bucket.create),
        ),
        QueueCreate => (
            vec![
                "create a new queue".to_owned(),
                "use an existing queue".to_owned(),
            ],
            usize::from(!spec.queue.create),
        ),
        _ => return None,
    })
}

/// Sets a spec-bound select to choice `index`.
pub fn set_spec_select(spec: &mut Spec, field: FieldId, index: usize) {
    match field {
        PolicyScope => {
            if let Some(v) = crate::spec::PolicyScope::ALL.get(index) {
                spec.policy.scope = *v;
            }
        }
        BucketEncryption => {
            if let Some(v) = crate::spec::BucketEncryption::ALL.get(index) {
                spec.bucket.encryption = *v;
            }
        }
        QueueEncryption => {
            if let Some(v) = crate::spec::QueueEncryption::ALL.get(index) {
                spec.queue.encryption = *v;
            }
        }
        BucketCreate => spec.bucket.create = index == 0,
        QueueCreate => spec.queue.create = index == 0,
        _ => {}
    }
}

/// A short description of each select value, shown beside it.
pub fn select_note(field: FieldId, spec: &Spec) -> &'static str {
    match field {
        PolicyScope => match spec.policy.scope {
            crate::spec::PolicyScope::LeastPrivilege => "this bucket, prefix and queue only",
            crate::spec::PolicyScope::Wildcard => "\"Resource\": \"*\" (the Tarsal seed's)",
        },
        BucketEncryption => match spec.bucket.encryption {
            crate::spec::BucketEncryption::SseS3 => "S3-managed keys",
            crate::spec::BucketEncryption::SseKms => "a KMS key you name",
        },
        QueueEncryption => match spec.queue.encryption {
            crate::spec::QueueEncryption::SqsManaged => "SQS-managed keys (SSE-SQS)",
            crate::spec::QueueEncryption::Kms => "a KMS key you name; S3 needs kms:GenerateDataKey",
            crate::spec::QueueEncryption::None => "no encryption at rest",
        },
        BucketCreate if !spec.bucket.create => "only sluice's notification entry is managed",
        QueueCreate if !spec.queue.create => "only its access policy is managed",
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

/// The default names derived from a stack name (what `sluice init` writes).
pub fn rederive_names(spec: &mut Spec, old_name: &str) {
    let old = crate::spec::starter(old_name, &spec.region, None);
    let new = crate::spec::starter(&spec.name, &spec.region, None);
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
    fn every_event_offered_is_one_the_spec_accepts() {
        let mut spec = crate::spec::starter("x-y", "us-west-2", None);
        spec.notification.events = S3_EVENTS.iter().map(|e| (*e).to_owned()).collect();
        assert!(crate::spec::validate(&spec).is_ok());
    }

    #[test]
    fn every_error_path_of_a_form_field_maps_back_to_it() {
        for field in ALL_FIELDS {
            if let Some(path) = field.path() {
                assert_eq!(FieldId::for_path(path), Some(*field));
            }
        }
        assert_eq!(
            FieldId::for_path("role.trusted_principals[2]"),
            Some(TrustedPrincipals)
        );
        assert_eq!(FieldId::for_path("consumer.concurrency"), None);
    }

    #[test]
    fn names_follow_the_stack_name_until_edited() {
        let mut spec = crate::spec::starter("old", "us-west-2", None);
        spec.queue.name = "custom".into();
        spec.name = "new".into();
        rederive_names(&mut spec, "old");
        assert_eq!(spec.bucket.name, "new-source");
        assert_eq!(spec.queue.name, "custom");
        assert_eq!(spec.notification.id, "new-object-created");
    }

    #[test]
    fn numbers_are_parsed_and_refused() {
        let mut spec = crate::spec::starter("x-y", "us-west-2", None);
        assert!(set_text(&mut spec, VisibilityTimeout, "30").is_ok());
        assert_eq!(spec.queue.visibility_timeout_secs, 30);
        assert!(set_text(&mut spec, VisibilityTimeout, "3o").is_err());
        assert!(set_text(&mut spec, Retention, "").is_err());
        assert_eq!(spec.queue.visibility_timeout_secs, 30);
    }
}
