//! The dotted path of every spec value the validator checks, named once:
//! the validator reports errors at these paths, and the wizard's field table
//! binds each field to one, so an error always lands on its field.

pub const NAME: &str = "name";
pub const REGION: &str = "region";
pub const ACCOUNT_ID: &str = "account_id";

pub const BUCKET_NAME: &str = "bucket.name";
pub const BUCKET_PREFIX: &str = "bucket.prefix";
pub const BUCKET_SUFFIX: &str = "bucket.suffix";
pub const BUCKET_ENCRYPTION: &str = "bucket.encryption";
pub const BUCKET_KMS_KEY_ARN: &str = "bucket.kms_key_arn";
pub const BUCKET_VERSIONING: &str = "bucket.versioning";
pub const BUCKET_OBJECT_LOCK: &str = "bucket.object_lock";
pub const BUCKET_TAGS: &str = "bucket.tags";

pub const QUEUE_ENABLED: &str = "queue.enabled";
pub const QUEUE_NAME: &str = "queue.name";
pub const QUEUE_VISIBILITY_TIMEOUT: &str = "queue.visibility_timeout_secs";
pub const QUEUE_RETENTION: &str = "queue.message_retention_secs";
pub const QUEUE_ENCRYPTION: &str = "queue.encryption";
pub const QUEUE_KMS_KEY_ARN: &str = "queue.kms_key_arn";
pub const DLQ_NAME: &str = "queue.dead_letter.name";
pub const DLQ_MAX_RECEIVE_COUNT: &str = "queue.dead_letter.max_receive_count";

pub const POLICY_NAME: &str = "policy.name";
pub const POLICY_ALLOW_PUT_OBJECT: &str = "policy.allow_put_object";

pub const CONNECTOR: &str = "connector";

pub const ROLE_ENABLED: &str = "role.enabled";
pub const ROLE_NAME: &str = "role.name";
pub const ROLE_TRUSTED_PRINCIPALS: &str = "role.trusted_principals";
pub const ROLE_EXTERNAL_ID: &str = "role.external_id";

pub const USER_NAME: &str = "user.name";

pub const NOTIFICATION_ENABLED: &str = "notification.enabled";
pub const NOTIFICATION_ID: &str = "notification.id";
pub const NOTIFICATION_QUEUE_ARN: &str = "notification.queue_arn";
pub const NOTIFICATION_EVENTS: &str = "notification.events";
pub const NOTIFICATION_DELIVERY: &str = "notification.delivery";
pub const NOTIFICATION_TOPIC_ARN: &str = "notification.topic_arn";

pub const ALARMS_ENABLED: &str = "alarms.enabled";
pub const ALARMS_DLQ_NOT_EMPTY: &str = "alarms.dlq_not_empty";
pub const ALARMS_MAX_MESSAGE_AGE: &str = "alarms.max_message_age_secs";
pub const ALARMS_STALLED_AFTER: &str = "alarms.stalled_after_secs";
pub const ALARMS_TOPIC_ARN: &str = "alarms.topic_arn";
pub const ALARMS_EMAIL: &str = "alarms.email";

pub const CONSUMER_CONCURRENCY: &str = "consumer.concurrency";

pub const TAGS: &str = "tags";

/// The path of item `index` of the list at `path`, e.g. `role.trusted_principals[2]`.
pub fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// The list or object a path belongs to: `role.trusted_principals[2]` →
/// `role.trusted_principals`.
pub fn base(path: &str) -> &str {
    path.split('[').next().unwrap_or(path)
}
