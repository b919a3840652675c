//! `setup.sh`: the whole setup as an AWS CLI + jq script, the way the
//! TiDB Cloud Lake / Databend guide does by hand, but safe to re-run: it compares before
//! it writes, backs up what it changes, and merges the bucket notification.
//!
//! This file puts the script together; `cli_script/shell.rs` holds its
//! shell text, `cli_script/retire.rs` the steps that take out what the spec
//! no longer has, and `cli_script/tests.rs` the tests.

use std::fmt::Write as _;

use serde_json::Value;

use crate::docs::{
    self, ACCOUNT_PLACEHOLDER, ResourceKind, bucket_encryption, bucket_policy, dlq_attributes,
    notification_entry, ownership_controls, permissions_policy, public_access_block,
    queue_attributes, queue_policy, to_pretty, trust_policy, versioning,
};
use crate::spec::{Delivery, Spec};

mod retire;
mod shell;

use retire::{retire, retired_header};

use shell::{
    ALARM_FUNCTIONS, DRY_RUN_END, PREFLIGHT_ADOPT_BUCKET, PREFLIGHT_CREATE_BUCKET,
    PREFLIGHT_NOTIFICATION, PREFLIGHT_OWNERSHIP, PREFLIGHT_RULE, PREFLIGHT_TOPIC, PRELUDE,
    STEP_ACCESS_KEY, STEP_ALARM_TOPIC, STEP_BUCKET_CREATE, STEP_BUCKET_POLICY,
    STEP_BUCKET_SETTINGS, STEP_DLQ, STEP_EVENTBRIDGE_SETTING, STEP_NOTIFICATION, STEP_POLICY,
    STEP_QUEUE_ADOPT, STEP_QUEUE_CREATE, STEP_QUEUE_NO_REDRIVE, STEP_ROLE, STEP_RULE,
    STEP_SUBSCRIPTION, STEP_USER,
};

/// Single-quotes `s` for POSIX shells.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The generated script. Documents are embedded with `<ACCOUNT_ID>` where the
/// account goes, filled in at run time from `aws sts get-caller-identity`.
pub fn setup_script(spec: &Spec) -> String {
    let mut doc_spec = spec.clone();
    doc_spec.account_id = None;
    let s = &doc_spec;
    let mut out = String::new();
    out.push_str(&header(spec));
    out.push_str(PRELUDE);

    // Each phase walks the kinds the spec wants, in the order apply makes
    // them; each has one exhaustive match on the kind.
    let wanted: Vec<ResourceKind> = ResourceKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.wanted(s))
        .collect();

    // -- documents -------------------------------------------------------
    let _ = writeln!(
        out,
        "\n# ---- documents (sluice's own, {ACCOUNT_PLACEHOLDER} filled in at run time)"
    );
    for &kind in &wanted {
        documents(&mut out, kind, s);
    }

    // -- preflight -------------------------------------------------------
    out.push_str(if s.bucket.create {
        PREFLIGHT_CREATE_BUCKET
    } else {
        PREFLIGHT_ADOPT_BUCKET
    });
    // Same-named resources must be this stack's (its tag, or for
    // CloudFormation's untagged policy and role, the description it writes).
    out.push_str(PREFLIGHT_OWNERSHIP);
    for &kind in &wanted {
        preflight(&mut out, kind, s);
    }

    // -- steps -----------------------------------------------------------
    if ResourceKind::Alarm.wanted(s) || ResourceKind::AlarmTopic.wanted(s) {
        out.push_str(ALARM_FUNCTIONS);
    }
    for &kind in &wanted {
        step(&mut out, kind, s);
    }
    // What the stack no longer has, in the order destroy takes it down.
    for &kind in ResourceKind::DESTROY_ORDER {
        retire(&mut out, kind, s);
    }
    out.push_str(&summary(spec));
    out
}

/// The documents the steps of `kind` read, embedded in the script.
fn documents(out: &mut String, kind: ResourceKind, s: &Spec) {
    match kind {
        ResourceKind::Policy => embed(out, "permissions-policy.json", &permissions_policy(s)),
        ResourceKind::Role => embed(out, "trust-policy.json", &trust_policy(s)),
        ResourceKind::User => {}
        ResourceKind::Bucket if !s.bucket.create => {}
        ResourceKind::Bucket => {
            embed(
                out,
                "bucket-public-access-block.json",
                &public_access_block(s),
            );
            embed(
                out,
                "bucket-ownership-controls.json",
                &ownership_controls(s),
            );
            embed(out, "bucket-encryption.json", &bucket_encryption(s));
            if let Some(v) = versioning(s) {
                embed(out, "bucket-versioning.json", &v);
            }
            if let Some(lock) = docs::object_lock(s) {
                embed(out, "bucket-object-lock.json", &lock);
            }
            if let Some(p) = bucket_policy(s) {
                embed(out, "bucket-policy.json", &p);
            }
        }
        ResourceKind::DeadLetterQueue => {
            if let Some(attrs) = dlq_attributes(s) {
                embed(out, "dlq-attributes.json", &attrs);
            }
        }
        ResourceKind::Queue if s.queue.create => {
            embed(out, "queue-attributes.json", &queue_attributes(s));
        }
        ResourceKind::Queue => embed(out, "queue-policy.json", &queue_policy(s)),
        // Our entry (direct), or with EventBridge delivery the entry a
        // direct delivery of this stack left, recognised and removed.
        ResourceKind::Notification => {
            embed(out, "notification-entry.json", &notification_entry(s));
        }
        ResourceKind::Subscription => {
            // What a direct delivery of this stack left is recognised and removed.
            embed(out, "notification-entry.json", &notification_entry(s));
            // As `aws sns subscribe --attributes` takes them: every value a string.
            let attributes: serde_json::Map<String, Value> = docs::subscription_document(s)
                .attributes
                .iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), Value::String(text))
                })
                .collect();
            embed(
                out,
                "subscription-attributes.json",
                &Value::Object(attributes),
            );
        }
        ResourceKind::Rule => embed(out, "event-pattern.json", &docs::event_pattern(s)),
        ResourceKind::AlarmTopic => {
            embed(out, "alarm-topic-policy.json", &docs::alarm_topic_policy(s));
        }
        ResourceKind::Alarm => {
            for alarm in docs::alarms(s) {
                if let Some(kind) = alarm.kind(&s.name) {
                    embed(out, super::alarm_file(kind), &alarm.document());
                }
            }
        }
    }
}

/// What must hold before anything of `kind` is written: a same-named
/// resource is the stack's; the route's bucket, topic or rule can take ours.
fn preflight(out: &mut String, kind: ResourceKind, s: &Spec) {
    match kind {
        ResourceKind::Policy => out.push_str("ours_or_die policy \"$POLICY_NAME\"\n"),
        ResourceKind::Role => out.push_str("ours_or_die role \"$ROLE_NAME\"\n"),
        ResourceKind::User => out.push_str("ours_or_die user \"$USER_NAME\"\n"),
        // The bucket's own preflight comes first of all (see setup_script).
        ResourceKind::Bucket => {}
        ResourceKind::DeadLetterQueue => out.push_str("ours_or_die queue \"$DLQ_NAME\"\n"),
        ResourceKind::Queue if s.queue.create => {
            out.push_str("ours_or_die queue \"$QUEUE_NAME\"\n");
        }
        ResourceKind::Queue => {}
        ResourceKind::Notification if s.delivery() == Some(Delivery::Direct) => {
            out.push_str(PREFLIGHT_NOTIFICATION);
        }
        // EventBridge delivery: the rule's preflight covers the bucket.
        ResourceKind::Notification => {}
        ResourceKind::Subscription => out.push_str(PREFLIGHT_TOPIC),
        ResourceKind::Rule => out.push_str(PREFLIGHT_RULE),
        ResourceKind::AlarmTopic => {
            out.push_str("ours_or_die alarm-topic \"$ALARM_TOPIC_NAME\"\n");
        }
        ResourceKind::Alarm => {
            for alarm in docs::alarms(s) {
                let _ = writeln!(out, "ours_or_die alarm {}", shell_quote(&alarm.alarm_name));
            }
        }
    }
}

/// The steps that make `kind`, or bring it to the spec.
fn step(out: &mut String, kind: ResourceKind, s: &Spec) {
    match kind {
        ResourceKind::Policy => out.push_str(STEP_POLICY),
        ResourceKind::Role => out.push_str(STEP_ROLE),
        ResourceKind::User => {
            out.push_str(STEP_USER);
            if s.user.create_access_key {
                out.push_str(STEP_ACCESS_KEY);
            }
        }
        // An adopted bucket: only our notification is written to it.
        ResourceKind::Bucket if !s.bucket.create => {}
        ResourceKind::Bucket => {
            out.push_str(STEP_BUCKET_CREATE);
            out.push_str(STEP_BUCKET_SETTINGS);
            if versioning(s).is_some() {
                out.push_str("bucket_setting versioning bucket-versioning.json get-bucket-versioning '@' put-bucket-versioning --versioning-configuration\n");
            }
            if docs::object_lock(s).is_some() {
                out.push_str("bucket_setting object-lock bucket-object-lock.json get-object-lock-configuration ObjectLockConfiguration put-object-lock-configuration --object-lock-configuration\n");
            }
            if bucket_policy(s).is_some() {
                out.push_str(STEP_BUCKET_POLICY);
            }
        }
        ResourceKind::DeadLetterQueue => out.push_str(STEP_DLQ),
        ResourceKind::Queue if s.queue.create => {
            out.push_str(STEP_QUEUE_CREATE);
            if !s.has_dead_letter() {
                out.push_str(STEP_QUEUE_NO_REDRIVE);
            }
        }
        ResourceKind::Queue => out.push_str(STEP_QUEUE_ADOPT),
        ResourceKind::Notification if s.delivery() == Some(Delivery::Eventbridge) => {
            out.push_str(STEP_EVENTBRIDGE_SETTING);
        }
        ResourceKind::Notification => out.push_str(STEP_NOTIFICATION),
        ResourceKind::Subscription => out.push_str(STEP_SUBSCRIPTION),
        ResourceKind::Rule => out.push_str(STEP_RULE),
        ResourceKind::AlarmTopic => out.push_str(STEP_ALARM_TOPIC),
        ResourceKind::Alarm => {
            for alarm in docs::alarms(s) {
                if let Some(alarm_kind) = alarm.kind(&s.name) {
                    let _ = writeln!(
                        out,
                        "put_alarm {} {}",
                        shell_quote(&alarm.alarm_name),
                        super::alarm_file(alarm_kind)
                    );
                }
            }
        }
    }
}

fn header(spec: &Spec) -> String {
    let q = shell_quote;
    let key_values = super::cloudformation::key_value_list;
    let tags = docs::tags(spec);
    let sqs_tags = serde_json::to_string(&tags).unwrap_or_default();
    let iam_tags = key_values(tags).to_string();
    let s3_tags = serde_json::json!({ "TagSet": key_values(docs::bucket_tags(spec)) }).to_string();
    let h = format!(
        r#"#!/usr/bin/env bash
# setup.sh: the {name:?} {what} pipeline, as sluice {version} would apply it.
#
# Creates or updates, in order: the IAM permissions policy{role}{user}, the
# bucket{bucket_mode}{queue_part}{alarms_part}.
{retired_header}{alarm_permissions}#
# Safe to re-run: each resource is read first and only written where it
# differs; every existing configuration it changes is first saved under
# $SLUICE_BACKUP_DIR (default: ./sluice-backup-<UTC time>/). The bucket
# notification is merged into the bucket's configuration, never replaced:
# entries of other teams are kept, and one that overlaps ours stops the script
# before anything is written.
#
# ./setup.sh --help says how to run it and changes nothing; --dry-run reads
# the account and prints what would change, writing nothing; without --yes it
# shows that dry run and asks before the first write.
#
# Needs the AWS CLI and jq 1.6 or later. Credentials, profile and endpoint come
# from the usual AWS CLI settings (AWS_PROFILE, AWS_ENDPOINT_URL, ...).
# shellcheck disable=SC2034 # the settings below name every value; a spec uses only some
set -euo pipefail

STACK_NAME={stack}
REGION={region}
PARTITION={partition}
EXPECTED_ACCOUNT={account}
POLICY_NAME={policy}
ROLE_NAME={role_name}
USER_NAME={user_name}
BUCKET={bucket_name}
PREFIX={prefix}
SUFFIX={suffix}
QUEUE_NAME={queue}
DLQ_NAME={dlq_name}
NOTIFICATION_ID={notification}
EXTERNAL_ID={external_id}
IAM_TAGS={iam_tags}
SQS_TAGS={sqs_tags}
S3_TAGS={s3_tags}
OBJECT_LOCK={object_lock}
NOTIFIED_QUEUE={notified}
POLICY_DESCRIPTION={policy_description}
ROLE_DESCRIPTION={role_description}
EVENTS={events}
TOPIC_ARN={topic_arn}
RULE_NAME={notification}
RULE_DESCRIPTION={rule_description}
TARGET_ID={target_id}
ALARM_TOPIC_NAME={alarm_topic}
ALARM_EMAIL={alarm_email}
"#,
        name = spec.name,
        what = match spec.profile().shape {
            crate::spec::Shape::QueueFed => "S3 -> SQS ingestion",
            crate::spec::Shape::Pull => "S3 pull import",
            crate::spec::Shape::Destination => "S3 destination",
            crate::spec::Shape::ForeignQueue => "S3 -> vendor queue ingestion",
        },
        version = env!("CARGO_PKG_VERSION"),
        role = if ResourceKind::Role.wanted(spec) {
            ", the role"
        } else {
            ""
        },
        user = if ResourceKind::User.wanted(spec) {
            ", the user"
        } else {
            ""
        },
        retired_header = retired_header(spec),
        bucket_mode = if spec.bucket.create {
            " and its settings"
        } else {
            " (adopted: only checked)"
        },
        queue_part = match (
            ResourceKind::Queue.wanted(spec),
            ResourceKind::DeadLetterQueue.wanted(spec)
        ) {
            (false, _) => " (no queue: the connector reaches the bucket itself)".to_owned(),
            (true, dlq) => format!(
                "{}, the queue and its access policy{}",
                if dlq { ", the dead-letter queue" } else { "" },
                route_part(spec)
            ),
        },
        stack = q(&spec.name),
        region = q(&spec.region),
        partition = q(docs::partition(&spec.region)),
        account = q(spec.account_id.as_deref().unwrap_or("")),
        policy = q(&spec.policy.name),
        role_name = q(&spec.role.name),
        user_name = q(&spec.user.name),
        bucket_name = q(&spec.bucket.name),
        prefix = q(&spec.bucket.prefix),
        suffix = q(&spec.bucket.suffix),
        queue = q(&spec.queue.name),
        dlq_name = q(&spec.queue.dead_letter.name),
        notification = q(&spec.notification.id),
        external_id = q(&spec.role.external_id),
        iam_tags = q(&iam_tags),
        sqs_tags = q(&sqs_tags),
        s3_tags = q(&s3_tags),
        object_lock = spec.bucket.object_lock,
        notified = q(spec.foreign_queue().unwrap_or(&spec.queue.name)),
        policy_description = q(&docs::policy_description(spec)),
        role_description = q(&docs::role_description(spec)),
        events = q(&serde_json::to_string(&spec.notification.events).unwrap_or_default()),
        topic_arn = q(spec.notification.topic_arn.as_deref().unwrap_or("")),
        rule_description = q(&docs::rule_description(spec)),
        target_id = q(docs::TARGET_ID),
        alarms_part = alarms_header(spec),
        alarm_permissions = alarm_permissions(spec),
        alarm_topic = q(&docs::alarm_topic_name(spec)),
        alarm_email = q(spec.alarms.email.as_deref().unwrap_or("")),
    );
    h
}

/// The header's words on what the alarms make.
fn alarms_header(spec: &Spec) -> String {
    let all = docs::alarms(spec);
    if all.is_empty() {
        return String::new();
    }
    let topic = if ResourceKind::AlarmTopic.wanted(spec) {
        format!("the SNS topic {} and ", docs::alarm_topic_name(spec))
    } else {
        String::new()
    };
    let names: Vec<&str> = all.iter().map(|a| a.alarm_name.as_str()).collect();
    format!(
        ";\n# then {topic}the CloudWatch alarms {} (each changed only when it\n# carries the stack's sluice:stack tag)",
        names.join(", ")
    )
}

/// How the header names the route to the queue, with what comes after the
/// steps: the removal of what an earlier route left (as `retire` writes it).
fn route_part(spec: &Spec) -> String {
    let subscriptions = spec
        .retires_other_subscriptions()
        .then_some(match spec.delivery() {
            Some(Delivery::Sns) => "the queue's subscriptions to other topics",
            _ => "the queue's subscriptions to SNS topics",
        });
    let (route, left): (&str, Vec<&str>) = match spec.delivery() {
        Some(Delivery::Direct) => (
            "the bucket's event notification to the queue",
            vec!["its EventBridge rule"],
        ),
        Some(Delivery::Sns) => (
            "the queue's subscription to the bucket's SNS topic",
            vec!["its notification entry", "its EventBridge rule"],
        ),
        Some(Delivery::Eventbridge) => (
            "the bucket's EventBridge delivery and an EventBridge rule to the queue",
            vec!["its notification entry"],
        ),
        None => return " (no notification: nothing sends events to the queue)".to_owned(),
    };
    let left: Vec<&str> = left.into_iter().chain(subscriptions).collect();
    format!(
        ",\n# and {route};\n# then it takes out what an earlier route of the stack left:\n#   {}",
        left.join(",\n#   ")
    )
}

/// The header's list of what the alarms take beyond the pipeline's permissions.
fn alarm_permissions(spec: &Spec) -> String {
    if !ResourceKind::Alarm.wanted(spec) {
        return String::new();
    }
    let mut text = String::from("#\n# The alarms take, besides what the rest needs:\n");
    for permission in super::ALARM_PERMISSIONS {
        let _ = writeln!(text, "#   {permission}");
    }
    text
}

fn embed(out: &mut String, file: &str, doc: &impl serde::Serialize) {
    let _ = write!(
        out,
        "doc {file} <<'JSON'\n{}JSON\n",
        to_pretty(&docs::json(doc))
    );
}

fn summary(spec: &Spec) -> String {
    use crate::spec::profiles::Value as V;
    let mut s = String::from(DRY_RUN_END);
    s.push_str("\nstep \"Connector values\"\n");
    if ResourceKind::Queue.wanted(spec) {
        s.push_str("QUEUE_ARN=$(aws_ sqs get-queue-attributes --queue-url \"$QUEUE_URL\" --attribute-names QueueArn --query Attributes.QueueArn --output text)\n");
    }
    // The names and order of the connector's form, the values as apply gives them.
    let known: Vec<&str> = docs::vendor_values(spec, None, None)
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    for field in spec.profile().values {
        if !known.contains(&field.label) {
            continue;
        }
        let shell = match field.value {
            V::RoleArn => "\"$ROLE_ARN\"".to_owned(),
            V::ExternalId => "\"$EXTERNAL_ID\"".to_owned(),
            V::UserArn => "\"arn:$PARTITION:iam::$ACCOUNT_ID:user/$USER_NAME\"".to_owned(),
            V::AccessKeyId => "\"$(aws_ iam list-access-keys --user-name \"$USER_NAME\" --query 'AccessKeyMetadata[0].AccessKeyId' --output text)\"".to_owned(),
            V::QueueUrl => "\"$QUEUE_URL\"".to_owned(),
            V::QueueArn => "\"$QUEUE_ARN\"".to_owned(),
            V::Region => "\"$REGION\"".to_owned(),
            V::Bucket => "\"$BUCKET\"".to_owned(),
            V::Prefix => "\"$PREFIX\"".to_owned(),
            V::Suffix => "\"$SUFFIX\"".to_owned(),
            V::VirtualHostedUrl => {
                "\"https://$BUCKET.s3.$REGION.amazonaws.com/$PREFIX**$SUFFIX\"".to_owned()
            }
            V::AllowedLocations => "\"('s3://$BUCKET/$PREFIX')\"".to_owned(),
            V::Endpoint => "\"s3.$REGION.amazonaws.com\"".to_owned(),
            V::Literal(text) => shell_quote(text),
        };
        let _ = writeln!(s, "value {} {shell}", shell_quote(&field.shown()));
    }
    s
}

#[cfg(test)]
mod tests;
