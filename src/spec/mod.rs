//! The setup spec: one JSON file that describes the whole pipeline.
//!
//! Its keys are a contract: automation re-runs a saved spec headless, and the
//! wizard saves its sessions in the same format. Only `name` and `region` are
//! required; [`load`] fills every other value with a default derived from the
//! name (see `defaults`), then [`validate()`] checks the result.

mod defaults;
mod io;
pub mod json;
pub mod path;
pub mod profiles;
pub mod snowflake;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use defaults::{
    apply_profile, dead_letter_name, generate_external_id, rename_queue, starter, starter_for,
};
pub use io::{
    LoadError, Loaded, Setting, from_json_str, load, save, set_in_text, to_json_string,
    with_settings,
};
pub use profiles::{Profile, Shape, profile};
pub use validate::{
    FieldError, Message, S3_EVENTS, ValidationErrors, Word, alias_refusal, kms_aliases, validate,
    validate_unresolved,
};

/// The only spec format version this build reads and writes.
pub const SPEC_VERSION: u32 = 1;

/// The whole pipeline, resolved: every default is filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub version: u32,
    pub name: String,
    pub region: String,
    /// Unknown until discovered through STS; documents then carry a placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The vendor whose setup guide the pipeline follows (see [`profiles`]).
    pub connector: Connector,
    pub bucket: BucketSpec,
    pub queue: QueueSpec,
    pub policy: PolicySpec,
    pub role: RoleSpec,
    pub user: UserSpec,
    pub notification: NotificationSpec,
    pub consumer: ConsumerSpec,
    /// CloudWatch alarms on the queue and its dead-letter queue.
    pub alarms: AlarmsSpec,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    pub name: String,
    /// `false` adopts an existing bucket: only our notification entry is managed on it.
    pub create: bool,
    pub prefix: String,
    pub suffix: String,
    pub encryption: BucketEncryption,
    pub kms_key_arn: Option<String>,
    /// An S3 Bucket Key for SSE-KMS (fewer KMS calls); DSSE-KMS has none.
    pub bucket_key: bool,
    pub versioning: bool,
    /// Object Lock (write once, read many); needs versioning.
    pub object_lock: bool,
    pub object_ownership: ObjectOwnership,
    /// `true` or `false` for all four blocks, or each one by name.
    pub block_public_access: PublicAccessBlock,
    pub deny_insecure_transport: bool,
    /// Tags for the bucket alone, beside the spec's `tags`.
    pub tags: BTreeMap<String, String>,
}

/// The bucket's four public access blocks. Written as one `true` or `false`
/// when all four agree, else as an object naming each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four on, or all four off.
    pub fn all(on: bool) -> Self {
        PublicAccessBlock {
            block_public_acls: on,
            ignore_public_acls: on,
            block_public_policy: on,
            restrict_public_buckets: on,
        }
    }

    /// Whether all four blocks are on.
    pub fn is_all_on(self) -> bool {
        self == Self::all(true)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicAccessFlags {
    #[serde(default = "yes")]
    block_public_acls: bool,
    #[serde(default = "yes")]
    ignore_public_acls: bool,
    #[serde(default = "yes")]
    block_public_policy: bool,
    #[serde(default = "yes")]
    restrict_public_buckets: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PublicAccessForm {
    All(bool),
    Each(PublicAccessFlags),
}

impl Serialize for PublicAccessBlock {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if *self == Self::all(self.block_public_acls) {
            return PublicAccessForm::All(self.block_public_acls).serialize(serializer);
        }
        PublicAccessForm::Each(PublicAccessFlags {
            block_public_acls: self.block_public_acls,
            ignore_public_acls: self.ignore_public_acls,
            block_public_policy: self.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets,
        })
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PublicAccessBlock {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::Bool(on) => Ok(Self::all(on)),
            serde_json::Value::Object(_) => {
                let f: PublicAccessFlags =
                    serde_json::from_value(value).map_err(serde::de::Error::custom)?;
                Ok(PublicAccessBlock {
                    block_public_acls: f.block_public_acls,
                    ignore_public_acls: f.ignore_public_acls,
                    block_public_policy: f.block_public_policy,
                    restrict_public_buckets: f.restrict_public_buckets,
                })
            }
            other => Err(serde::de::Error::custom(format!(
                "expected true, false or an object of block_public_acls, ignore_public_acls, block_public_policy and restrict_public_buckets, found {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// `false` for a pipeline without a queue (a pull import or a
    /// destination): no queue, dead-letter queue or queue policy.
    pub enabled: bool,
    pub name: String,
    /// `false` adopts an existing queue: only its access policy is managed.
    pub create: bool,
    pub visibility_timeout_secs: u32,
    pub message_retention_secs: u32,
    pub encryption: QueueEncryption,
    pub kms_key_arn: Option<String>,
    pub dead_letter: DeadLetterSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterSpec {
    pub enabled: bool,
    pub name: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    pub scope: PolicyScope,
    /// Where `s3:ListBucket` reaches in the least-privilege scope: only under
    /// the prefix, or the whole bucket as the vendors' guides grant it.
    pub list_scope: ListScope,
    /// Grants `sqs:SendMessage` (Tarsal's setup guide lists it; `sluice backfill` needs it).
    pub allow_send_message: bool,
    /// Grants `s3:DeleteObject` on the prefix (Databend's purge option).
    pub allow_delete_object: bool,
    /// Grants `s3:PutObject` on the prefix: a destination writes into the bucket.
    pub allow_put_object: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub enabled: bool,
    pub name: String,
    /// IAM ARNs or 12-digit account ids allowed to assume the role. Empty means
    /// the root of the account the spec is applied in.
    pub trusted_principals: Vec<String>,
    pub external_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub enabled: bool,
    pub name: String,
    pub create_access_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSpec {
    /// `false` leaves the bucket's notification configuration alone.
    pub enabled: bool,
    pub id: String,
    /// A queue that is not the pipeline's own (a vendor's, such as
    /// Snowflake's `notification_channel`), notified when `queue.enabled`
    /// is false.
    pub queue_arn: Option<String>,
    pub events: Vec<String>,
    /// How the bucket's events reach the queue: S3 notifies it directly, or
    /// through an SNS topic the bucket already publishes to, or through
    /// EventBridge; the last two leave a shared bucket's entries untouched.
    pub delivery: Delivery,
    /// The topic the bucket already publishes to, for `delivery: sns`.
    pub topic_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub format: RecordFormat,
    pub compression: Compression,
    pub concurrency: u32,
}

/// The pipeline's CloudWatch alarms: each one watches the queue (or its
/// dead-letter queue) and notifies a topic, ours (`<name>-alarms`) or an
/// existing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsSpec {
    pub enabled: bool,
    /// Alarm as soon as the dead-letter queue holds a message.
    pub dlq_not_empty: bool,
    /// Alarm when the queue's oldest message is older than this; 0 turns
    /// the alarm off.
    pub max_message_age_secs: u32,
    /// Alarm when messages arrived but none was deleted (consumed) for this
    /// long; 0 turns the alarm off.
    pub stalled_after_secs: u32,
    /// An existing SNS topic to notify; without one sluice makes
    /// `<name>-alarms`.
    pub topic_arn: Option<String>,
    /// An e-mail address subscribed to sluice's topic (AWS mails it a
    /// confirmation link first).
    pub email: Option<String>,
}

macro_rules! spec_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the order the spec reference lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in the spec file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "`{other}` is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

spec_enum!(
    /// The vendor whose setup guide a pipeline follows.
    Connector {
        Generic => "generic",
        Tarsal => "tarsal",
        TidbCloudLake => "tidb-cloud-lake",
        Databend => "databend",
        TreasureData => "treasure-data",
        Hevo => "hevo",
        Clickhouse => "clickhouse",
        Snowflake => "snowflake",
    }
);
spec_enum!(
    /// How the bucket's events reach the pipeline's queue.
    Delivery { Direct => "direct", Sns => "sns", Eventbridge => "eventbridge" }
);
spec_enum!(
    /// Default encryption of the bucket.
    BucketEncryption { SseS3 => "sse-s3", SseKms => "sse-kms", DsseKms => "dsse-kms" }
);
spec_enum!(
    /// Who owns objects written into the bucket (S3 Object Ownership).
    ObjectOwnership {
        BucketOwnerEnforced => "bucket-owner-enforced",
        BucketOwnerPreferred => "bucket-owner-preferred",
        ObjectWriter => "object-writer",
    }
);
spec_enum!(
    /// Server-side encryption of the queue and its dead-letter queue.
    QueueEncryption { SqsManaged => "sqs-managed", Kms => "kms", None => "none" }
);
spec_enum!(
    /// How narrowly the permissions policy is scoped.
    PolicyScope { LeastPrivilege => "least-privilege", Wildcard => "wildcard" }
);
spec_enum!(
    /// Where `s3:ListBucket` reaches: `prefix` lists only under the bucket's
    /// prefix (an `s3:prefix` condition; HeadBucket and a listing from the
    /// root are denied); `bucket` lists the whole bucket, as Tarsal's,
    /// Databend's, Treasure Data's, Hevo's and ClickHouse's guides grant it.
    ListScope { Prefix => "prefix", Bucket => "bucket" }
);
spec_enum!(
    /// How the consumer frames records inside an object.
    RecordFormat {
        Auto => "auto",
        Ndjson => "ndjson",
        Json => "json",
        JsonArray => "json-array",
        Csv => "csv",
        Tsv => "tsv",
    }
);
spec_enum!(
    /// How the consumer decompresses objects.
    Compression { Auto => "auto", None => "none", Gzip => "gzip", Zstd => "zstd", Bzip2 => "bzip2" }
);

impl Spec {
    /// The profile of the spec's connector.
    pub fn profile(&self) -> &'static Profile {
        profile(self.connector)
    }

    /// Whether the pipeline has a queue (and its dead-letter queue and policy).
    pub fn has_queue(&self) -> bool {
        self.queue.enabled
    }

    /// Whether the pipeline's queue is one the stack makes (not adopted).
    pub fn makes_queue(&self) -> bool {
        self.has_queue() && self.queue.create
    }

    /// Whether the pipeline has a dead-letter queue.
    pub fn has_dead_letter(&self) -> bool {
        self.queue.enabled && self.queue.dead_letter.enabled
    }

    /// Whether the pipeline has CloudWatch alarms: only on a queue of its
    /// own shape (adopted or made), and only when turned on.
    pub fn has_alarms(&self) -> bool {
        self.alarms.enabled && self.queue.enabled
    }

    /// Whether sluice keeps an entry in the bucket's notification configuration.
    pub fn has_notification(&self) -> bool {
        self.notification.enabled && (self.queue.enabled || self.foreign_queue().is_some())
    }

    /// How events reach the queue, when the pipeline is notified at all.
    pub fn delivery(&self) -> Option<Delivery> {
        self.has_notification()
            .then_some(self.notification.delivery)
    }

    /// The SNS topic the queue is subscribed to: `notification.topic_arn`,
    /// when the pipeline delivers through SNS.
    pub fn sns_topic(&self) -> Option<&str> {
        self.notification
            .topic_arn
            .as_deref()
            .filter(|_| self.delivery() == Some(Delivery::Sns))
    }

    /// Whether plan, apply and setup.sh take out the queue's subscriptions to
    /// topics other than [`Spec::sns_topic`]: the queue the stack makes, in a
    /// pipeline with a notification (destroy takes them whenever the stack
    /// makes the queue).
    pub fn retires_other_subscriptions(&self) -> bool {
        self.makes_queue() && self.delivery().is_some()
    }

    /// Whether sluice keeps an entry (or, for EventBridge, the EventBridge
    /// setting) in the bucket's notification configuration: not with SNS,
    /// whose topic entry belongs to the bucket's owners.
    pub fn writes_bucket_notification(&self) -> bool {
        matches!(
            self.delivery(),
            Some(Delivery::Direct | Delivery::Eventbridge)
        )
    }

    /// The vendor's queue the bucket notifies, when the pipeline has none of its own.
    pub fn foreign_queue(&self) -> Option<&str> {
        if self.queue.enabled {
            return None;
        }
        self.notification.queue_arn.as_deref()
    }

    /// Whether the role waits for the vendor's principal and external ID in
    /// a two-step setup (step 1: both blank; its trust policy lets nobody in).
    pub fn vendor_trust_pending(&self) -> bool {
        self.profile().two_steps
            && self.role.enabled
            && self.role.trusted_principals.is_empty()
            && self.role.external_id.is_empty()
    }

    /// Whether the notification waits for the vendor's queue in a two-step
    /// setup (step 1: no notification yet).
    pub fn vendor_queue_pending(&self) -> bool {
        self.profile().two_steps
            && !self.queue.enabled
            && self.notification.enabled
            && self.notification.queue_arn.is_none()
    }

    /// The vendor's values a two-step setup still waits for, by field path:
    /// empty when there is nothing to wait for (or no two steps at all).
    pub fn pending_vendor_values(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.vendor_trust_pending() {
            out.extend([path::ROLE_TRUSTED_PRINCIPALS, path::ROLE_EXTERNAL_ID]);
        }
        if self.vendor_queue_pending() {
            out.push(path::NOTIFICATION_QUEUE_ARN);
        }
        out
    }

    /// The key prefix and suffix as the S3 notification filter sees them.
    pub fn key_filter(&self) -> (&str, &str) {
        (&self.bucket.prefix, &self.bucket.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_access_reads_as_one_flag_or_four_and_writes_back_the_same_way() {
        let all: PublicAccessBlock = serde_json::from_str("true").unwrap();
        assert_eq!(all, PublicAccessBlock::all(true));
        assert_eq!(serde_json::to_string(&all).unwrap(), "true");
        let some: PublicAccessBlock =
            serde_json::from_str(r#"{"block_public_policy": false}"#).unwrap();
        assert!(some.block_public_acls && some.ignore_public_acls && some.restrict_public_buckets);
        assert!(!some.block_public_policy);
        let back = serde_json::to_value(some).unwrap();
        assert_eq!(back["block_public_policy"], false);
        assert_eq!(back["block_public_acls"], true);
        assert!(
            serde_json::from_str::<PublicAccessBlock>(r#"{"block_everything": true}"#).is_err()
        );
        let err = serde_json::from_str::<PublicAccessBlock>("\"yes\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("expected true, false or an object"),
            "{err}"
        );
    }
}
