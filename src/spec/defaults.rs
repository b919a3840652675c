//! Default values, derived from the stack name and the values Tarsal's setup guide recommends.

use std::collections::BTreeMap;

use rand::Rng;
use rand::distr::Alphanumeric;

use super::profiles::{self, ExternalId, Principals, Shape};
use super::{
    AlarmsSpec, BucketEncryption, BucketSpec, Compression, Connector, ConsumerSpec, DeadLetterSpec,
    Delivery, ListScope, NotificationSpec, ObjectOwnership, PolicyScope, PolicySpec,
    PublicAccessBlock, QueueEncryption, QueueSpec, RecordFormat, RoleSpec, SPEC_VERSION, Spec,
    UserSpec,
};

/// Visibility timeout recommended by Tarsal's setup guide: long enough for a large object.
pub const DEFAULT_VISIBILITY_TIMEOUT_SECS: u32 = 600;
/// Message retention recommended by Tarsal's setup guide: 7 days.
pub const DEFAULT_MESSAGE_RETENTION_SECS: u32 = 7 * 24 * 3600;
/// Receives before a message moves to the dead-letter queue.
pub const DEFAULT_MAX_RECEIVE_COUNT: u32 = 5;
/// Objects processed at once by one consumer.
pub const DEFAULT_CONCURRENCY: u32 = 8;
/// How long nothing may be consumed from a queue that receives messages
/// before the stalled alarm goes off: one hour.
pub const DEFAULT_STALLED_AFTER_SECS: u32 = 3600;
/// Length of a generated external ID.
const EXTERNAL_ID_LEN: usize = 32;

/// A random external ID for the role's trust policy (letters and digits).
///
/// External IDs are not secrets (vendors hand theirs out), but a random one
/// per stack is what protects the role from the confused-deputy problem.
pub fn generate_external_id() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(EXTERNAL_ID_LEN)
        .map(char::from)
        .collect()
}

/// The default age of the oldest message at which the age alarm goes off:
/// three visibility timeouts (a message received, given back and received
/// again is not yet stuck), at least 30 minutes, and at most half the
/// retention period, so that the alarm comes well before SQS drops the
/// message. Whole minutes: CloudWatch reports the age once a minute.
pub fn default_max_message_age(visibility_timeout_secs: u32, retention_secs: u32) -> u32 {
    let age = visibility_timeout_secs.saturating_mul(3).max(1800);
    let age = age.min(retention_secs / 2);
    (age / 60 * 60).max(60)
}

/// The default name of the dead-letter queue of the queue called `queue`.
pub fn dead_letter_name(queue: &str) -> String {
    format!("{queue}-dlq")
}

/// Renames the queue; a dead-letter queue still at its default name (the old
/// queue's name and `-dlq`) follows.
pub fn rename_queue(spec: &mut Spec, name: &str) {
    if spec.queue.dead_letter.name == dead_letter_name(&spec.queue.name) {
        spec.queue.dead_letter.name = dead_letter_name(name);
    }
    name.clone_into(&mut spec.queue.name);
}

/// A complete spec with every default filled in, as `sluice init` writes it.
pub fn starter(name: &str, region: &str, account_id: Option<&str>) -> Spec {
    starter_for(Connector::Generic, name, region, account_id)
}

/// A complete spec following `connector`'s setup guide. What the vendor
/// must give (its principals, its external ID) is left empty: validation
/// names each until it is set.
pub fn starter_for(
    connector: Connector,
    name: &str,
    region: &str,
    account_id: Option<&str>,
) -> Spec {
    starter_with_external_id(connector, name, region, account_id, generate_external_id())
}

pub(super) fn starter_with_external_id(
    connector: Connector,
    name: &str,
    region: &str,
    account_id: Option<&str>,
    external_id: String,
) -> Spec {
    let mut spec = generic(name, region, account_id, external_id);
    apply_profile(&mut spec, connector);
    spec
}

/// Sets `connector` and the values its profile recommends, derived from the
/// stack name: names, queue settings, permissions, which resources exist,
/// and the vendor's principals and external ID (emptied where the vendor
/// gives them; a generated external ID is kept where sluice gives one).
/// The bucket's and queue's settings the profile does not name, the key
/// filter, the consumer and the tags stay as they are.
pub fn apply_profile(spec: &mut Spec, connector: Connector) {
    let p = profiles::profile(connector);
    let stack = spec.name.clone();
    let name = |pattern: &str| p.name(pattern, &stack);
    spec.connector = connector;
    spec.bucket.name = name(p.bucket_name);
    let queue = name(p.queue_name);
    spec.queue.dead_letter.name = dead_letter_name(&queue);
    spec.queue.name = queue;
    spec.queue.enabled = p.shape.has_queue();
    spec.queue.visibility_timeout_secs = p.visibility_timeout_secs;
    spec.alarms.max_message_age_secs =
        default_max_message_age(p.visibility_timeout_secs, spec.queue.message_retention_secs);
    spec.notification.enabled = p.shape.has_queue() || p.shape == Shape::ForeignQueue;
    spec.notification.id = name(p.notification_id);
    spec.policy.name = name(p.policy_name);
    spec.policy.list_scope = p.list_scope;
    spec.policy.allow_send_message = p.allow_send_message;
    spec.policy.allow_put_object = p.allow_put_object;
    spec.policy.allow_delete_object = p.allow_delete_object;
    spec.role.enabled = p.role;
    spec.role.name = name(p.role_name);
    spec.user.enabled = p.user;
    spec.user.name = name(p.user_name);
    spec.user.create_access_key = p.access_key;
    spec.role.trusted_principals = match p.principals {
        Principals::Any => default_principals(&spec.region, spec.account_id.as_deref()),
        Principals::Fixed(list) => list.iter().map(|s| (*s).to_owned()).collect(),
        Principals::Vendor { .. } => Vec::new(),
    };
    match p.external_id {
        ExternalId::Generated => {
            if spec.role.external_id.is_empty() {
                spec.role.external_id = generate_external_id();
            }
        }
        ExternalId::Vendor { .. } | ExternalId::None => spec.role.external_id.clear(),
    }
}

fn default_principals(region: &str, account_id: Option<&str>) -> Vec<String> {
    account_id
        .map(|account| {
            vec![format!(
                "arn:{}:iam::{account}:root",
                crate::docs::partition(region)
            )]
        })
        .unwrap_or_default()
}

fn generic(name: &str, region: &str, account_id: Option<&str>, external_id: String) -> Spec {
    let queue_name = format!("{name}-queue");
    Spec {
        version: SPEC_VERSION,
        name: name.to_owned(),
        region: region.to_owned(),
        account_id: account_id.map(str::to_owned),
        connector: Connector::Generic,
        bucket: BucketSpec {
            name: format!("{name}-source"),
            create: true,
            prefix: String::new(),
            suffix: String::new(),
            encryption: BucketEncryption::SseS3,
            kms_key_arn: None,
            bucket_key: true,
            versioning: false,
            object_lock: false,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            block_public_access: PublicAccessBlock::all(true),
            deny_insecure_transport: true,
            tags: BTreeMap::new(),
        },
        queue: QueueSpec {
            dead_letter: DeadLetterSpec {
                enabled: true,
                name: dead_letter_name(&queue_name),
                max_receive_count: DEFAULT_MAX_RECEIVE_COUNT,
            },
            enabled: true,
            name: queue_name,
            create: true,
            visibility_timeout_secs: DEFAULT_VISIBILITY_TIMEOUT_SECS,
            message_retention_secs: DEFAULT_MESSAGE_RETENTION_SECS,
            encryption: QueueEncryption::SqsManaged,
            kms_key_arn: None,
        },
        policy: PolicySpec {
            name: format!("{name}-policy"),
            scope: PolicyScope::LeastPrivilege,
            list_scope: ListScope::Prefix,
            allow_send_message: false,
            allow_delete_object: false,
            allow_put_object: false,
        },
        role: RoleSpec {
            enabled: true,
            name: format!("{name}-role"),
            trusted_principals: default_principals(region, account_id),
            external_id,
        },
        user: UserSpec {
            enabled: false,
            name: format!("{name}-user"),
            create_access_key: false,
        },
        notification: NotificationSpec {
            enabled: true,
            queue_arn: None,
            id: format!("{name}-object-created"),
            events: vec!["s3:ObjectCreated:*".to_owned()],
            delivery: Delivery::Direct,
            topic_arn: None,
        },
        consumer: ConsumerSpec {
            format: RecordFormat::Auto,
            compression: Compression::Auto,
            concurrency: DEFAULT_CONCURRENCY,
        },
        // Off in a spec file that does not ask for them: a saved spec
        // re-run headless makes no resource it did not name before. The
        // wizard turns them on for a new pipeline (recommended).
        alarms: AlarmsSpec {
            enabled: false,
            dlq_not_empty: true,
            max_message_age_secs: default_max_message_age(
                DEFAULT_VISIBILITY_TIMEOUT_SECS,
                DEFAULT_MESSAGE_RETENTION_SECS,
            ),
            stalled_after_secs: DEFAULT_STALLED_AFTER_SECS,
            topic_arn: None,
            email: None,
        },
        tags: BTreeMap::from([("managed-by".to_owned(), "sluice".to_owned())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_alarm_waits_three_visibility_timeouts_within_half_the_retention() {
        assert_eq!(default_max_message_age(600, 7 * 24 * 3600), 1800);
        assert_eq!(default_max_message_age(30, 7 * 24 * 3600), 1800);
        assert_eq!(default_max_message_age(3600, 7 * 24 * 3600), 3 * 3600);
        // Short retention: half of it, in whole minutes.
        assert_eq!(default_max_message_age(600, 1000), 480);
        assert_eq!(default_max_message_age(600, 60), 60);
    }

    #[test]
    fn names_derive_from_the_stack_name() {
        let spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
        assert_eq!(spec.bucket.name, "acme-ingest-source");
        assert_eq!(spec.queue.name, "acme-ingest-queue");
        assert_eq!(spec.queue.dead_letter.name, "acme-ingest-queue-dlq");
        assert_eq!(spec.policy.name, "acme-ingest-policy");
        assert_eq!(spec.role.name, "acme-ingest-role");
        assert_eq!(spec.user.name, "acme-ingest-user");
        assert_eq!(spec.notification.id, "acme-ingest-object-created");
        assert_eq!(
            spec.role.trusted_principals,
            vec!["arn:aws:iam::123456789012:root"]
        );
    }

    #[test]
    fn principals_follow_the_partition_and_stay_empty_without_an_account() {
        assert_eq!(
            starter("x-y", "cn-north-1", Some("123456789012"))
                .role
                .trusted_principals,
            vec!["arn:aws-cn:iam::123456789012:root"]
        );
        assert!(
            starter("x-y", "us-west-2", None)
                .role
                .trusted_principals
                .is_empty()
        );
    }

    #[test]
    fn external_ids_are_random_and_valid() {
        let a = generate_external_id();
        let b = generate_external_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), EXTERNAL_ID_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
