//! The rules per spec section: [`validate`] walks the spec field by field,
//! section by section (the vendor's values, the delivery route and the alarms
//! each in a function of their own), and reports every broken rule; the KMS
//! aliases a run online resolves first are named here too.

use super::message::{Collector, Message, ValidationErrors};
use super::rules::*;
use crate::spec::profiles::{ExternalId, Principals};
use crate::spec::{BucketEncryption, Delivery, QueueEncryption, Spec, path};

/// Checks every rule; `Err` lists all that are broken. A KMS key named by
/// its alias is refused: documents name keys by their ARN, and only a run
/// online can tell which key an alias stands for (see [`kms_aliases`]).
pub fn validate(spec: &Spec) -> Result<(), ValidationErrors> {
    validate_with(spec, false)
}

/// As [`validate`], but a KMS key may still be named by its alias: for a
/// spec just read, which a run online resolves (kms:DescribeKey) before
/// any document is made from it, and which offline commands refuse.
pub fn validate_unresolved(spec: &Spec) -> Result<(), ValidationErrors> {
    validate_with(spec, true)
}

/// The KMS key fields that name an alias, with the alias ARN: `(path, alias)`.
pub fn kms_aliases(spec: &Spec) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if spec.bucket.encryption != BucketEncryption::SseS3
        && let Some(arn) = &spec.bucket.kms_key_arn
        && is_alias(arn)
    {
        out.push((path::BUCKET_KMS_KEY_ARN, arn.clone()));
    }
    if spec.queue.enabled
        && spec.queue.encryption == QueueEncryption::Kms
        && let Some(arn) = &spec.queue.kms_key_arn
        && is_alias(arn)
    {
        out.push((path::QUEUE_KMS_KEY_ARN, arn.clone()));
    }
    out
}

/// Whether a KMS key ARN names an alias (`arn:…:kms:…:alias/NAME`).
fn is_alias(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|resource| resource.starts_with("alias/"))
}

/// Why an alias cannot stand in a document, and what to give instead.
pub fn alias_refusal(alias: &str) -> String {
    let name = alias.splitn(6, ':').nth(5).unwrap_or(alias);
    format!(
        "`{alias}` is an alias: an IAM policy cannot name a KMS key by its alias in Resource (AWS KMS developer guide, \"Using IAM policies with AWS KMS\"), so the role would be denied kms:Decrypt and every read of an encrypted object would fail. Give the key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, as `aws kms describe-key --key-id {name}` shows it); online, sluice plan and apply resolve an alias to its key with kms:DescribeKey"
    )
}

fn validate_with(spec: &Spec, aliases_allowed: bool) -> Result<(), ValidationErrors> {
    let mut v = Collector::default();
    v.check(path::NAME, stack_name(&spec.name));
    v.check(path::REGION, region(&spec.region));
    if let Some(account) = &spec.account_id {
        v.check(path::ACCOUNT_ID, account_id(account));
    }

    let b = &spec.bucket;
    v.check(path::BUCKET_NAME, bucket_name(&b.name));
    v.check(path::BUCKET_PREFIX, key_filter(&b.prefix, "prefix"));
    v.check(
        path::BUCKET_SUFFIX,
        key_filter(&b.suffix, "suffix").and_then(|()| suffix_shape(&b.suffix)),
    );
    v.check(
        path::BUCKET_KMS_KEY_ARN,
        kms_requirement(
            b.encryption != BucketEncryption::SseS3,
            Message::default()
                .field(path::BUCKET_ENCRYPTION)
                .and(match b.encryption {
                    BucketEncryption::SseS3 => " is sse-kms or dsse-kms".to_owned(),
                    other => format!(" is {other}"),
                }),
            b.kms_key_arn.as_deref(),
        ),
    );
    if b.object_lock && !b.versioning {
        v.push(
            path::BUCKET_OBJECT_LOCK,
            Message::text("needs versioning: Object Lock keeps object versions, so ")
                .setting(path::BUCKET_VERSIONING, "true")
                .and(" as well"),
        );
    }
    for (key, value) in &b.tags {
        v.check(&format!("{}.{key}", path::BUCKET_TAGS), tag(key, value));
    }

    let q = &spec.queue;
    if q.enabled {
        v.check(path::QUEUE_NAME, queue_name(&q.name));
        v.check(
            path::QUEUE_VISIBILITY_TIMEOUT,
            in_range(q.visibility_timeout_secs, 0, 43_200, "seconds (12 hours)"),
        );
        v.check(
            path::QUEUE_RETENTION,
            in_range(q.message_retention_secs, 60, 1_209_600, "seconds (14 days)"),
        );
        v.check(
            path::QUEUE_KMS_KEY_ARN,
            kms_requirement(
                q.encryption == QueueEncryption::Kms,
                Message::default()
                    .field(path::QUEUE_ENCRYPTION)
                    .and(" is kms"),
                q.kms_key_arn.as_deref(),
            ),
        );
        if q.dead_letter.enabled {
            v.check(path::DLQ_NAME, queue_name(&q.dead_letter.name));
            if q.dead_letter.name == q.name {
                v.push(
                    path::DLQ_NAME,
                    Message::text("must differ from ")
                        .field(path::QUEUE_NAME)
                        .and(": a queue cannot be its own dead-letter queue"),
                );
            }
            v.check(
                path::DLQ_MAX_RECEIVE_COUNT,
                in_range(q.dead_letter.max_receive_count, 1, 1000, ""),
            );
        }
    }

    v.check(path::POLICY_NAME, iam_name(&spec.policy.name, 128));
    let r = &spec.role;
    if r.enabled {
        v.check(path::ROLE_NAME, iam_name(&r.name, 64));
        vendor_values(spec, &mut v);
        for (i, p) in r.trusted_principals.iter().enumerate() {
            v.check(&path::item(path::ROLE_TRUSTED_PRINCIPALS, i), principal(p));
        }
    }
    if spec.user.enabled {
        v.check(path::USER_NAME, iam_name(&spec.user.name, 64));
    }
    if !r.enabled && !spec.user.enabled {
        v.push(
            path::ROLE_ENABLED,
            "enable the role or the user (or both): otherwise the connector has no identity to reach the bucket with",
        );
    }

    let n = &spec.notification;
    match (&n.queue_arn, q.enabled, n.enabled) {
        (Some(_), true, _) => v.push(
            path::NOTIFICATION_QUEUE_ARN,
            "only used when queue.enabled is false (a vendor's queue instead of the pipeline's own): remove it, or set queue.enabled to false",
        ),
        (Some(arn), false, true) => {
            v.check(path::NOTIFICATION_QUEUE_ARN, foreign_queue_arn(arn, &spec.region));
        }
        (None, false, true) if spec.vendor_queue_pending() => {}
        (None, false, true) => {
            let p = spec.profile();
            let message = if p.shape == crate::spec::Shape::ForeignQueue {
                Message::text(format!(
                    "{} gives the queue: paste the pipe's notification_channel (SHOW PIPES) as ",
                    p.vendor
                ))
                .field(path::NOTIFICATION_QUEUE_ARN)
                .set_flag("notification.queue_arn=ARN")
            } else {
                Message::text("needs a queue to notify: ")
                    .setting(path::QUEUE_ENABLED, "true")
                    .and(", ")
                    .setting(path::NOTIFICATION_QUEUE_ARN, "a vendor's queue")
                    .and(", or ")
                    .setting(path::NOTIFICATION_ENABLED, "false")
                    .and(" (a pull import or a destination has neither)")
            };
            let at = if p.shape == crate::spec::Shape::ForeignQueue {
                path::NOTIFICATION_QUEUE_ARN
            } else {
                path::NOTIFICATION_ENABLED
            };
            v.push(at, message);
        }
        _ => {}
    }
    if spec.has_notification() {
        v.check(path::NOTIFICATION_ID, notification_id(&n.id));
        if n.events.is_empty() {
            v.push(
                path::NOTIFICATION_EVENTS,
                "must name at least one event, e.g. s3:ObjectCreated:*",
            );
        }
        for (i, e) in n.events.iter().enumerate() {
            v.check(&path::item(path::NOTIFICATION_EVENTS, i), event_name(e));
        }
    }
    delivery(spec, &mut v);
    alarms(spec, &mut v);

    v.check(
        path::CONSUMER_CONCURRENCY,
        in_range(spec.consumer.concurrency, 1, 256, ""),
    );
    for (key, value) in &spec.tags {
        v.check(&format!("{}.{key}", path::TAGS), tag(key, value));
    }
    // The keys are listed in one tag (sluice:tags), whose value holds 256 characters.
    let keys: std::collections::BTreeSet<&String> =
        spec.tags.keys().chain(spec.bucket.tags.keys()).collect();
    let listed = keys
        .iter()
        .map(|k| k.chars().count() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if listed > 256 {
        v.push(
            path::TAGS,
            format!(
                "the keys of tags and bucket.tags take {listed} characters together, space-separated; sluice lists them in its sluice:tags tag, which holds 256: use fewer or shorter keys"
            ),
        );
    }
    if !aliases_allowed {
        for (at, alias) in kms_aliases(spec) {
            v.push(at, alias_refusal(&alias));
        }
    }
    v.finish()
}

/// The values the vendor gives: its principals and its external ID, each
/// named with where the user finds it.
fn vendor_values(spec: &Spec, v: &mut Collector) {
    if spec.vendor_trust_pending() {
        // Step 1 of a two-step setup: the trust lets nobody in until step 2.
        return;
    }
    let p = spec.profile();
    let r = &spec.role;
    match p.external_id {
        ExternalId::Generated => v.check(path::ROLE_EXTERNAL_ID, external_id(&r.external_id)),
        ExternalId::Vendor { what } if r.external_id.is_empty() => v.push(
            path::ROLE_EXTERNAL_ID,
            Message::text(format!(
                "{} gives the external ID: paste {what}",
                p.vendor
            ))
            .set_flag("role.external_id=VALUE"),
        ),
        ExternalId::Vendor { .. } => v.check(path::ROLE_EXTERNAL_ID, external_id(&r.external_id)),
        ExternalId::None if !r.external_id.is_empty() => v.push(
            path::ROLE_EXTERNAL_ID,
            format!(
                "must be empty: {} assumes the role without an external ID, so a trust policy that requires one would refuse it",
                p.vendor
            ),
        ),
        ExternalId::None => {}
    }
    if let Principals::Vendor { what } = p.principals {
        let wanted = p.trust_sids.len();
        let given = r.trusted_principals.len();
        if given == 0 {
            v.push(
                path::ROLE_TRUSTED_PRINCIPALS,
                Message::text(format!(
                    "{}'s principals are missing: paste {what}",
                    p.vendor
                ))
                .set_flag("'role.trusted_principals=[\"arn:aws:iam::…\"]'"),
            );
        } else if wanted > 1 && given != wanted {
            v.push(
                path::ROLE_TRUSTED_PRINCIPALS,
                format!(
                    "{} trusts exactly {wanted} principals, {given} given: {what}",
                    p.vendor
                ),
            );
        }
    }
}

/// A vendor's SQS queue: an ARN in the bucket's region (S3 notifies only there).
/// `notification.delivery` and the values each route needs.
fn delivery(spec: &Spec, v: &mut Collector) {
    let n = &spec.notification;
    if n.topic_arn.is_some() && n.delivery != Delivery::Sns {
        v.push(
            path::NOTIFICATION_TOPIC_ARN,
            format!(
                "only used with notification.delivery sns (it is {}): remove it, or set notification.delivery to sns",
                n.delivery
            ),
        );
    }
    if n.delivery == Delivery::Direct || !n.enabled {
        return;
    }
    if !spec.queue.enabled {
        v.push(
            path::NOTIFICATION_DELIVERY,
            format!(
                "{} delivers to the pipeline's own queue: set queue.enabled to true, or notification.delivery to direct",
                n.delivery
            ),
        );
        return;
    }
    match n.delivery {
        Delivery::Sns => match &n.topic_arn {
            None => v.push(
                path::NOTIFICATION_TOPIC_ARN,
                Message::text("names the SNS topic the bucket already publishes its events to")
                    .set_flag("notification.topic_arn=arn:aws:sns:REGION:ACCOUNT:TOPIC"),
            ),
            Some(arn) => v.check(path::NOTIFICATION_TOPIC_ARN, topic_arn(arn, &spec.region)),
        },
        Delivery::Eventbridge => {
            // The rule is named after the notification id.
            v.check(path::NOTIFICATION_ID, rule_name(&n.id));
            for (i, e) in n.events.iter().enumerate() {
                if !e.starts_with("s3:ObjectCreated:") {
                    v.push(
                        &path::item(path::NOTIFICATION_EVENTS, i),
                        format!(
                            "`{e}` is not an object-created event: the EventBridge route matches Object Created only (use direct delivery for other events)"
                        ),
                    );
                }
            }
        }
        Delivery::Direct => {}
    }
}

/// The alarms' thresholds and where they notify. Off, or on a shape
/// without a queue, nothing of the section is used and nothing is checked.
fn alarms(spec: &Spec, v: &mut Collector) {
    let a = &spec.alarms;
    if !spec.has_alarms() {
        return;
    }
    let retention = spec.queue.message_retention_secs;
    if a.max_message_age_secs != 0 {
        if a.max_message_age_secs < 60 {
            v.push(
                path::ALARMS_MAX_MESSAGE_AGE,
                format!(
                    "{} is too short: CloudWatch reports a message's age once a minute, so at least 60 seconds (or 0 for no age alarm)",
                    a.max_message_age_secs
                ),
            );
        } else if a.max_message_age_secs >= retention {
            v.push(
                path::ALARMS_MAX_MESSAGE_AGE,
                Message::text(format!(
                    "{} seconds is not below the queue's retention (",
                    a.max_message_age_secs
                ))
                .field(path::QUEUE_RETENTION)
                .and(format!(
                    " is {retention}): SQS deletes a message before it is that old, so the alarm could never go off"
                )),
            );
        }
    }
    let stalled = a.stalled_after_secs;
    if stalled != 0 && (!(300..=86_400).contains(&stalled) || !stalled.is_multiple_of(60)) {
        v.push(
            path::ALARMS_STALLED_AFTER,
            format!(
                "{stalled} is not a whole number of minutes from 300 to 86400 seconds (5 minutes to a day): the alarm watches one CloudWatch period of this length (or 0 for no stalled alarm)"
            ),
        );
    }
    let dlq_alarm = a.dlq_not_empty && spec.has_dead_letter() && spec.queue.create;
    if !dlq_alarm && a.max_message_age_secs == 0 && stalled == 0 {
        v.push(
            path::ALARMS_ENABLED,
            Message::text("is true but no alarm is left: turn one on (")
                .field(path::ALARMS_DLQ_NOT_EMPTY)
                .and(" needs a dead-letter queue of the pipeline's own), or ")
                .setting(path::ALARMS_ENABLED, "false"),
        );
    }
    match (&a.topic_arn, &a.email) {
        (Some(arn), email) => {
            v.check(path::ALARMS_TOPIC_ARN, alarm_topic_arn(arn, &spec.region));
            if email.is_some() {
                v.push(
                    path::ALARMS_EMAIL,
                    Message::text("subscribes to the topic sluice makes; with ")
                        .field(path::ALARMS_TOPIC_ARN)
                        .and(" the topic is someone else's: subscribe there, or remove one of the two"),
                );
            }
        }
        (None, Some(email)) => v.check(path::ALARMS_EMAIL, email_address(email)),
        (None, None) => {}
    }
}
