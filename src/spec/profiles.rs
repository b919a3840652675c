//! Connector profiles: each vendor's setup guide as data.
//!
//! A profile says which resources the vendor's pipeline has (its shape), the
//! names, queue settings, permissions and trust-statement Sids its guide
//! uses, what the user must paste from the vendor's console, and the names
//! the vendor's form gives the values sluice hands back. Adding a vendor is
//! one entry in [`PROFILES`]; nothing else reads a vendor's name.

use super::{Connector, ListScope};

/// What a pipeline is for, which decides the resources it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The bucket notifies a queue the connector reads (Tarsal, Databend).
    QueueFed,
    /// The connector lists and reads the bucket itself: no queue, no notification.
    Pull,
    /// The connector writes into the bucket: no queue, no notification.
    Destination,
    /// The bucket notifies the vendor's own queue (Snowflake's): no queue
    /// of ours, the notification targets the ARN the vendor gives.
    ForeignQueue,
}

impl Shape {
    /// Whether the pipeline has a queue and a bucket notification.
    pub fn has_queue(self) -> bool {
        self == Shape::QueueFed
    }
}

/// Whose external ID the trust policy carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalId {
    /// sluice generates one and hands it to the vendor.
    Generated,
    /// The vendor assigns one: the user pastes it (`what` says where from).
    Vendor { what: &'static str },
    /// The vendor's AssumeRole carries none: the trust has no condition.
    None,
}

/// The vendor principals the role trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principals {
    /// The spec's own list; empty means the account's root (sluice's default).
    Any,
    /// Fixed by the vendor's guide.
    Fixed(&'static [&'static str]),
    /// Pasted by the user from the vendor's console, one per Sid, in order.
    Vendor { what: &'static str },
}

/// A value sluice hands to the vendor, under the name its form uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    RoleArn,
    ExternalId,
    UserArn,
    AccessKeyId,
    QueueUrl,
    QueueArn,
    Region,
    Bucket,
    Prefix,
    Suffix,
    /// `https://BUCKET.s3.REGION.amazonaws.com/PREFIX**SUFFIX` (ClickPipes' S3 file path).
    VirtualHostedUrl,
    /// `('s3://BUCKET/PREFIX')` (Snowflake's STORAGE_ALLOWED_LOCATIONS).
    AllowedLocations,
    /// `s3.REGION.amazonaws.com`, the bucket region's S3 endpoint (the
    /// Endpoint Treasure Data's S3 import form asks for first).
    Endpoint,
    Literal(&'static str),
}

/// One value a vendor's form asks for: under the form's label, with the
/// name the guide's own parameter table or configuration file gives it
/// (`queue_url`, Treasure Data's `path_prefix`) where the guide has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub param: Option<&'static str>,
    pub value: Value,
}

impl Field {
    /// "Object Key Prefix (prefix)": the label, and the guide's name where
    /// it says otherwise.
    pub fn shown(&self) -> String {
        match self.param {
            Some(param) if !param.eq_ignore_ascii_case(self.label) => {
                format!("{} ({param})", self.label)
            }
            _ => self.label.to_owned(),
        }
    }
}

/// A value under the form's label only.
const fn label(label: &'static str, value: Value) -> Field {
    Field {
        label,
        param: None,
        value,
    }
}

/// A value under the form's label and the guide's parameter name.
const fn named(label: &'static str, param: &'static str, value: Value) -> Field {
    Field {
        label,
        param: Some(param),
        value,
    }
}

/// One vendor's setup, as its guide gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub connector: Connector,
    /// The vendor's name as users know it ("TiDB Cloud Lake").
    pub vendor: &'static str,
    /// The guide the profile follows, with its address.
    pub guide: &'static str,
    /// What the vendor's connection test calls, as far as its guide says.
    pub connection_test: &'static str,
    pub shape: Shape,
    /// Name patterns; `{name}` is the stack name. With the vendor's own name
    /// as the stack name they give the guide's names exactly.
    pub bucket_name: &'static str,
    pub queue_name: &'static str,
    pub policy_name: &'static str,
    pub role_name: &'static str,
    pub user_name: &'static str,
    pub notification_id: &'static str,
    pub visibility_timeout_secs: u32,
    pub role: bool,
    pub user: bool,
    pub access_key: bool,
    pub allow_send_message: bool,
    pub allow_put_object: bool,
    pub allow_delete_object: bool,
    /// Where the guide's `s3:ListBucket` reaches: the whole bucket (most
    /// guides grant it on the bucket without a condition, and their
    /// connection tests call HeadBucket or list from the root) or only
    /// under the prefix.
    pub list_scope: ListScope,
    /// The queue actions the guide grants (sluice adds `sqs:SendMessage`
    /// where `allow_send_message` is on).
    pub queue_actions: &'static [&'static str],
    /// Object actions the guide grants beside `s3:GetObject`.
    pub extra_object_actions: &'static [&'static str],
    pub principals: Principals,
    /// The trust statements' Sids, one per principal; empty: sluice's own.
    pub trust_sids: &'static [&'static str],
    pub external_id: ExternalId,
    /// The values the vendor's form asks for, under its labels, in its order.
    pub values: &'static [Field],
    /// The vendor's values exist only once its side names our role
    /// (Snowflake's storage integration needs the role's ARN before DESC
    /// INTEGRATION shows its IAM user and external ID, and its pipe's queue
    /// comes after that): step 1 applies without them, with a trust policy
    /// nobody can use and no notification; step 2 adds them.
    pub two_steps: bool,
}

/// The queue actions a consumer of sluice's own needs.
const SLUICE_QUEUE_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ChangeMessageVisibility",
];

/// Databend and TiDB Cloud Lake are one product under two names: one guide.
/// The data source form's fields in its order, each with its name in the
/// guide's "Information to Provide" table.
const DATABEND_VALUES: &[Field] = &[
    named("Queue URL", "queue_url", Value::QueueUrl),
    named("Queue Region", "queue_region", Value::Region),
    named("Role ARN", "role_arn", Value::RoleArn),
    named("External ID", "external_id", Value::ExternalId),
    named("Bucket", "bucket", Value::Bucket),
    named("Object Key Prefix", "prefix", Value::Prefix),
    named("Object Key Suffix", "suffix", Value::Suffix),
];
const DATABEND_QUEUE_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
];
/// The trust statements' Sids: TiDB Cloud Lake's guide names them after
/// "the platform", Databend Cloud's after Databend.
const TIDB_SIDS: &[&str] = &[
    "AllowPlatformSetupAssumeRole",
    "AllowPlatformLoadAssumeRole",
];
const DATABEND_SIDS: &[&str] = &[
    "AllowDatabendSetupAssumeRole",
    "AllowDatabendLoadAssumeRole",
];

/// sluice's own defaults: a queue-fed pipeline with least-privilege access.
/// Every other profile names only where its guide differs.
const GENERIC: Profile = Profile {
    connector: Connector::Generic,
    vendor: "generic",
    guide: "sluice's own defaults: a queue-fed pipeline with least-privilege access",
    connection_test: "sluice verify: GetObject on a test object under the prefix, the queue's receive and delete, and IAM's policy simulator; nothing lists the bucket",
    shape: Shape::QueueFed,
    bucket_name: "{name}-source",
    queue_name: "{name}-queue",
    policy_name: "{name}-policy",
    role_name: "{name}-role",
    user_name: "{name}-user",
    notification_id: "{name}-object-created",
    visibility_timeout_secs: super::defaults::DEFAULT_VISIBILITY_TIMEOUT_SECS,
    role: true,
    user: false,
    access_key: false,
    allow_send_message: false,
    allow_put_object: false,
    allow_delete_object: false,
    // sluice's own consumer lists nothing: least privilege lists only under the prefix.
    list_scope: ListScope::Prefix,
    queue_actions: SLUICE_QUEUE_ACTIONS,
    // sluice's consumer reads the very version an event names (a later
    // write of the same key must not stand in for it): GetObject with a
    // versionId is authorised as s3:GetObjectVersion.
    extra_object_actions: &["s3:GetObjectVersion"],
    principals: Principals::Any,
    trust_sids: &[],
    external_id: ExternalId::Generated,
    values: &[
        label("role_arn", Value::RoleArn),
        label("external_id", Value::ExternalId),
        label("user_arn", Value::UserArn),
        label("queue_url", Value::QueueUrl),
        label("queue_arn", Value::QueueArn),
        label("bucket", Value::Bucket),
        label("region", Value::Region),
        label("prefix", Value::Prefix),
        label("suffix", Value::Suffix),
    ],
    two_steps: false,
};

/// Databend's guide, which TiDB Cloud Lake's repeats under its own name.
/// Where Databend Cloud's and TiDB Cloud Lake's guides word the same steps
/// differently.
struct DatabendWords {
    sids: &'static [&'static str],
    principals: &'static str,
    external_id: &'static str,
}

const fn databend(
    connector: Connector,
    vendor: &'static str,
    guide: &'static str,
    words: DatabendWords,
) -> Profile {
    Profile {
        connector,
        vendor,
        guide,
        connection_test: "Test Connectivity, as the platform's setup and validation role; the guide does not list its calls",
        policy_name: "{name}-s3-sqs-access",
        role_name: "{name}-s3-sqs-consumer-role",
        // The guide names the notification entry after the queue.
        notification_id: "{name}-queue",
        // S3BucketMetadataAccess: GetBucketLocation and ListBucket on the bucket.
        list_scope: ListScope::Bucket,
        queue_actions: DATABEND_QUEUE_ACTIONS,
        principals: Principals::Vendor {
            what: words.principals,
        },
        trust_sids: words.sids,
        external_id: ExternalId::Vendor {
            what: words.external_id,
        },
        values: DATABEND_VALUES,
        extra_object_actions: &[],
        ..GENERIC
    }
}

/// Every profile, `generic` first.
pub const PROFILES: &[Profile] = &[
    GENERIC,
    // Tarsal, "AWS S3 with SQS Source Connector" configuration reference
    // (docs.tarsal.co): names tarsal-s3-source…, a 600 s visibility timeout,
    // 7 days' retention, the eight-action permission set, and a trust policy
    // with Tarsal's account and external ID copied from the Tarsal portal.
    Profile {
        connector: Connector::Tarsal,
        vendor: "Tarsal",
        guide: "Tarsal's AWS S3 with SQS source connector guide (docs.tarsal.co)",
        connection_test: "the guide checks the role and the user in IAM's policy simulator on s3:GetObject, s3:ListBucket and its six SQS actions, none with an s3:prefix; the portal's Test does not say what it calls",
        bucket_name: "{name}-s3-source",
        queue_name: "{name}-s3-source-connector-queue",
        policy_name: "{name}-s3-source-connector-policy",
        role_name: "{name}-s3-source-connector-role",
        user_name: "{name}-s3-source-connector-user",
        notification_id: "{name}-s3-source-object-creation",
        visibility_timeout_secs: 600,
        allow_send_message: true,
        // ListBucket on all buckets or the named ones; its check is the IAM
        // policy simulator on s3:ListBucket without a prefix.
        list_scope: ListScope::Bucket,
        queue_actions: &[
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
        ],
        principals: Principals::Vendor {
            what: "Tarsal's AWS account, from the sample trust policy in the Tarsal portal",
        },
        external_id: ExternalId::Vendor {
            what: "the external ID from the sample trust policy in the Tarsal portal",
        },
        values: &[
            label("S3 Bucket Name", Value::Bucket),
            label("S3 Bucket Region", Value::Region),
            label("IAM Role ARN", Value::RoleArn),
            label("S3 Key ID", Value::AccessKeyId),
            label("SQS Queue URL", Value::QueueUrl),
            label("SQS Queue ARN", Value::QueueArn),
        ],
        extra_object_actions: &[],
        ..GENERIC
    },
    // TiDB Cloud Lake, "Amazon SQS (S3) - IAM Role (Beta)" data source guide.
    databend(
        Connector::TidbCloudLake,
        "TiDB Cloud Lake",
        "TiDB Cloud Lake's Amazon SQS (S3) - IAM Role data source guide",
        DatabendWords {
            sids: TIDB_SIDS,
            principals: "the platform setup role ARN and the platform load role ARN, in that order",
            external_id: "the organization ID from the TiDB Cloud Lake platform console",
        },
    ),
    // Databend Cloud, "Amazon SQS (S3) - IAM Role" data source guide (the same
    // steps as TiDB Cloud Lake's).
    databend(
        Connector::Databend,
        "Databend",
        "Databend Cloud's Amazon SQS (S3) - IAM Role data source guide",
        DatabendWords {
            sids: DATABEND_SIDS,
            principals: "Databend Cloud's setup role ARN and load role ARN, in that order",
            external_id: "the organization ID from the Databend Cloud console",
        },
    ),
    // Treasure Data, "Amazon S3 Import Integration V1": the import pulls with
    // an IAM user's keys (or temporary credentials made from them) and
    // read-only s3:GetObject and s3:ListBucket on the bucket.
    Profile {
        connector: Connector::TreasureData,
        vendor: "Treasure Data",
        guide: "Treasure Data's Amazon S3 Import Integration V1 guide (docs.treasuredata.com)",
        connection_test: "connector:guess and connector:issue list the keys under path_prefix and read them, with the import user's keys or temporary credentials",
        shape: Shape::Pull,
        policy_name: "{name}-import-policy",
        user_name: "{name}-import-user",
        role: false,
        user: true,
        access_key: true,
        // GetObject and ListBucket on the bucket and its objects.
        list_scope: ListScope::Bucket,
        queue_actions: &[],
        // The form asks for the Endpoint first ("Ex. s3.ap-northeast-1.amazonaws.com").
        // The New Authentication dialog, then the Source Table, each under
        // its key in the load configuration (`in:`) the guide's CLI reads.
        values: &[
            named("Endpoint", "endpoint", Value::Endpoint),
            named(
                "Authentication Method",
                "auth_method",
                Value::Literal("basic"),
            ),
            named("Access Key ID", "access_key_id", Value::AccessKeyId),
            named("Bucket", "bucket", Value::Bucket),
            named("Path Prefix", "path_prefix", Value::Prefix),
        ],
        extra_object_actions: &[],
        ..GENERIC
    },
    // Hevo Edge, "Amazon S3" destination guide: Hevo writes into the bucket
    // as the role trusting its integration role, with the external ID Hevo
    // assigns to the team.
    Profile {
        connector: Connector::Hevo,
        vendor: "Hevo",
        guide: "Hevo's Amazon S3 Edge destination guide (docs.hevodata.com)",
        connection_test: "TEST & SAVE checks with s3:ListBucket that the bucket exists and can be listed, writes a file and deletes it",
        shape: Shape::Destination,
        bucket_name: "{name}-destination",
        policy_name: "{name}-destination-policy",
        role_name: "{name}-destination-role",
        user_name: "{name}-destination-user",
        allow_put_object: true,
        allow_delete_object: true,
        // "s3:ListBucket: check if the S3 bucket exists, can be accessed
        // and the objects in the bucket listed".
        list_scope: ListScope::Bucket,
        queue_actions: &[],
        principals: Principals::Fixed(&["arn:aws:iam::393309748692:role/customer-aws_integration"]),
        external_id: ExternalId::Vendor {
            what: "the External ID on Hevo's S3 destination screen (Connect to your S3, access type IAM)",
        },
        values: &[
            label("IAM Role ARN", Value::RoleArn),
            label("External ID", Value::ExternalId),
            label("Bucket Name", Value::Bucket),
            label("Path Prefix", Value::Prefix),
            label("Bucket Region", Value::Region),
        ],
        extra_object_actions: &[],
        ..GENERIC
    },
    // ClickHouse Cloud, "ClickPipes for Amazon S3: unordered mode"
    // (clickhouse.com/docs/integrations/clickpipes/object-storage/s3/unordered-mode):
    // a standard queue with a DLQ, ObjectCreated:* to it, and a role trusting
    // the service's IAM role, with no external ID (ClickPipes sends none).
    Profile {
        connector: Connector::Clickhouse,
        vendor: "ClickHouse",
        guide: "ClickHouse's ClickPipes for Amazon S3 unordered-mode guide (clickhouse.com/docs)",
        connection_test: "the guide does not say what ClickPipes calls before it starts; its policy grants GetBucketLocation and ListBucket on the bucket for it",
        policy_name: "{name}-clickpipes-policy",
        role_name: "{name}-clickpipes-role",
        // S3BucketMetadataAccess: GetBucketLocation and ListBucket on the bucket.
        list_scope: ListScope::Bucket,
        queue_actions: &[
            "sqs:DeleteMessage",
            "sqs:ReceiveMessage",
            "sqs:GetQueueAttributes",
        ],
        principals: Principals::Vendor {
            what: "the service's IAM role ARN (ClickHouse Cloud: Settings > Network security information)",
        },
        trust_sids: &["AllowAssumeRole"],
        external_id: ExternalId::None,
        values: &[
            label("IAM role ARN", Value::RoleArn),
            label("S3 file path", Value::VirtualHostedUrl),
            label("SQS queue URL", Value::QueueUrl),
        ],
        extra_object_actions: &[],
        ..GENERIC
    },
    // Snowflake, "Automating Snowpipe for Amazon S3" with a storage
    // integration (docs.snowflake.com/en/user-guide/data-load-snowpipe-auto-s3):
    // Snowflake owns the SQS queue (its ARN is the pipe's notification_channel);
    // the bucket notifies it with ObjectCreated:*; the role trusts the
    // integration's STORAGE_AWS_IAM_USER_ARN with its STORAGE_AWS_EXTERNAL_ID,
    // both read from DESC INTEGRATION; the policy reads only.
    Profile {
        connector: Connector::Snowflake,
        vendor: "Snowflake",
        guide: "Snowflake's Automating Snowpipe for Amazon S3 guide (docs.snowflake.com)",
        connection_test: "a stage lists and reads under STORAGE_ALLOWED_LOCATIONS, with an s3:prefix",
        shape: Shape::ForeignQueue,
        policy_name: "{name}-snowflake-access",
        role_name: "{name}-snowflake-role",
        notification_id: "Auto-ingest Snowflake",
        // Snowflake's policy lists under the prefix only (an s3:prefix condition).
        list_scope: ListScope::Prefix,
        queue_actions: &[],
        extra_object_actions: &["s3:GetObjectVersion"],
        principals: Principals::Vendor {
            what: "the integration's STORAGE_AWS_IAM_USER_ARN (DESC INTEGRATION in Snowflake)",
        },
        // Snowflake's guide reads the external ID from DESC INTEGRATION
        // (STORAGE_AWS_EXTERNAL_ID), as it does the IAM user.
        external_id: ExternalId::Vendor {
            what: "the integration's STORAGE_AWS_EXTERNAL_ID (DESC INTEGRATION in Snowflake)",
        },
        // The CREATE STORAGE INTEGRATION parameters; the external ID is
        // DESC INTEGRATION's property of that name.
        values: &[
            label("STORAGE_AWS_ROLE_ARN", Value::RoleArn),
            label("STORAGE_ALLOWED_LOCATIONS", Value::AllowedLocations),
            label("STORAGE_AWS_EXTERNAL_ID", Value::ExternalId),
        ],
        two_steps: true,
        ..GENERIC
    },
];

/// The profile of `connector`.
pub fn profile(connector: Connector) -> &'static Profile {
    PROFILES
        .iter()
        .find(|p| p.connector == connector)
        .unwrap_or(&PROFILES[0])
}

impl Profile {
    /// `pattern` with the stack name in place of `{name}`.
    pub fn name(&self, pattern: &str, stack: &str) -> String {
        pattern.replace("{name}", stack)
    }
}

#[cfg(test)]
mod tests;
