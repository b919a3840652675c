//! What a field is: its [`FieldId`], how it is edited ([`Kind`]), how it
//! reads and writes the spec ([`Value`]), what else changes with it
//! ([`Ripple`]), and the [`FieldDef`] that holds them all.

use crate::spec::Spec;
use crate::tui::step::Step;

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

/// What else changes when a field changes: a ripple of the edit (not an
/// effect of the app's, which [`crate::tui::action::Effect`] is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ripple {
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
    pub ripple: Ripple,
}
