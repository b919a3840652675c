//! Validation of a resolved spec. Every broken rule is reported, each with the
//! dotted path of its field, so one run shows the user everything to fix.

use std::fmt;

use super::profiles::{ExternalId, Principals};
use super::{BucketEncryption, Delivery, QueueEncryption, Spec, path};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `queue.dead_letter.max_receive_count`.
    pub path: String,
    /// The rule broken, in plain words.
    pub message: Message,
}

/// The words of a broken rule. Where they name a field or say how to set
/// one, they keep its path, and each front end words it its own way: the
/// CLI by the path `--set` takes ([`fmt::Display`]), the wizard by the
/// field's label ([`Message::render`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message(Vec<Word>);

/// A part of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    Text(String),
    /// A field, named by its path.
    Field(&'static str),
    /// Setting a field to a value: the CLI says `set PATH to VALUE`.
    Setting {
        path: &'static str,
        value: &'static str,
    },
    /// How the CLI gives the field in error a value, e.g.
    /// `role.external_id=VALUE`: the CLI adds ` (--set …)`; a form, whose
    /// field the error stands under, needs no such hint.
    SetFlag(&'static str),
}

impl Message {
    /// A message of `text` alone.
    pub fn text(text: impl Into<String>) -> Message {
        Message(vec![Word::Text(text.into())])
    }

    /// Then `text`.
    pub fn and(mut self, text: impl Into<String>) -> Message {
        self.0.push(Word::Text(text.into()));
        self
    }

    /// Then the words of `other`.
    pub fn then(mut self, other: Message) -> Message {
        self.0.extend(other.0);
        self
    }

    /// Then the field at `path`.
    pub fn field(mut self, path: &'static str) -> Message {
        self.0.push(Word::Field(path));
        self
    }

    /// Then setting the field at `path` to `value`.
    pub fn setting(mut self, path: &'static str, value: &'static str) -> Message {
        self.0.push(Word::Setting { path, value });
        self
    }

    /// Then how the CLI sets the field in error (`PATH=VALUE`).
    pub fn set_flag(mut self, setting: &'static str) -> Message {
        self.0.push(Word::SetFlag(setting));
        self
    }

    /// The message, each word other than text worded by `word` (`None`
    /// leaves it out, with the space before it).
    pub fn render(&self, mut word: impl FnMut(&Word) -> Option<String>) -> String {
        let mut out = String::new();
        for w in &self.0 {
            match w {
                Word::Text(text) => out.push_str(text),
                other => match word(other) {
                    Some(text) => out.push_str(&text),
                    None => out.truncate(out.trim_end().len()),
                },
            }
        }
        out
    }

    /// Whether the message, as the CLI words it, contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.to_string().contains(needle)
    }

    /// Every text part escaped (messages quote values from the spec).
    fn escaped(self) -> Message {
        Message(
            self.0
                .into_iter()
                .map(|w| match w {
                    Word::Text(text) => Word::Text(super::json::escape(&text)),
                    other => other,
                })
                .collect(),
        )
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::text(text)
    }
}

/// The CLI's wording: fields by their paths, `--set` to set them.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(|word| {
            Some(match word {
                Word::Text(text) => text.clone(),
                Word::Field(path) => (*path).to_owned(),
                Word::Setting { path, value } => format!("set {path} to {value}"),
                Word::SetFlag(setting) => format!(" (--set {setting})"),
            })
        }))
    }
}

/// Every broken rule of a spec, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The error for `path`, if that field broke a rule.
    pub fn for_path(&self, path: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.path == path)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}: {}", e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

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
            let message = if p.shape == super::Shape::ForeignQueue {
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
            let at = if p.shape == super::Shape::ForeignQueue {
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

/// An existing topic the alarms notify: a standard SNS topic in the spec's region.
fn alarm_topic_arn(arn: &str, region: &str) -> Rule {
    let (topic_region, _) = regional_arn(
        arn,
        "sns",
        "arn:aws:sns:REGION:ACCOUNT:TOPIC",
        "an SNS topic",
    )?;
    if topic_region != region {
        return Err(format!(
            "the topic is in {topic_region}, the queue in {region}: a CloudWatch alarm notifies only a topic in its own region"
        ));
    }
    Ok(())
}

/// The region and name of `arn`, an ARN of `service` in a region and an
/// account (`arn:PARTITION:SERVICE:REGION:ACCOUNT:NAME`).
fn regional_arn<'a>(
    arn: &'a str,
    service: &str,
    shape: &str,
    what: &str,
) -> Result<(&'a str, &'a str), String> {
    let parts: Vec<&str> = arn.split(':').collect();
    let not = || format!("`{arn}` is not {what} ARN ({shape})");
    let [arn_word, _partition, found, region, account, name] = parts[..] else {
        return Err(not());
    };
    if arn_word != "arn" || found != service || name.is_empty() {
        return Err(not());
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    Ok((region, name))
}

/// An e-mail address as SNS takes one for an `email` subscription.
fn email_address(s: &str) -> Rule {
    let shape = s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    if !shape || s.chars().any(|c| c.is_whitespace() || c.is_control()) || s.len() > 254 {
        return Err(format!("`{s}` is not an e-mail address (name@example.com)"));
    }
    Ok(())
}

fn topic_arn(arn: &str, region: &str) -> Rule {
    let (topic_region, name) = regional_arn(
        arn,
        "sns",
        "arn:aws:sns:REGION:ACCOUNT:TOPIC",
        "an SNS topic",
    )?;
    if name.ends_with(".fifo") {
        return Err(format!(
            "`{name}` is a FIFO topic: S3 publishes only to standard topics"
        ));
    }
    if topic_region != region {
        return Err(format!(
            "the topic is in {topic_region}, the bucket in {region}: S3 publishes only to a topic in the bucket's own region"
        ));
    }
    Ok(())
}

/// EventBridge rule names: 1 to 64 of letters, digits, `.`, `-` and `_`.
fn rule_name(s: &str) -> Rule {
    length(s, 1, 64)
        .map_err(|e| format!("{e} (it names the EventBridge rule with delivery eventbridge)"))?;
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        Some(c) => Err(format!(
            "names the EventBridge rule with delivery eventbridge: {c:?} is not allowed (letters, digits, '.', '-' and '_')"
        )),
        None => Ok(()),
    }
}

pub(super) fn foreign_queue_arn(arn: &str, region: &str) -> Rule {
    let (queue_region, _) = regional_arn(
        arn,
        "sqs",
        "arn:aws:sqs:REGION:ACCOUNT:NAME",
        "an SQS queue",
    )?;
    if queue_region != region {
        return Err(format!(
            "the queue is in {queue_region}, the bucket in {region}: S3 notifies only a queue in the bucket's own region"
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Collector(Vec<FieldError>);

impl Collector {
    fn check(&mut self, path: &str, result: Result<(), impl Into<Message>>) {
        if let Err(message) = result {
            self.push(path, message);
        }
    }

    fn push(&mut self, path: &str, message: impl Into<Message>) {
        // Messages quote values from the spec: never a raw control character.
        self.0.push(FieldError {
            path: super::json::escape(path),
            message: message.into().escaped(),
        });
    }

    fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

type Rule = Result<(), String>;

fn in_range(value: u32, min: u32, max: u32, unit: &str) -> Rule {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        Err(format!(
            "{value} is out of range: must be {min} to {max}{unit}"
        ))
    }
}

fn chars_allowed(s: &str, allowed: impl Fn(char) -> bool, described: &str) -> Rule {
    match s.chars().find(|&c| !allowed(c)) {
        Some(c) => Err(format!("`{c}` is not allowed: use only {described}")),
        None => Ok(()),
    }
}

fn length(s: &str, min: usize, max: usize) -> Rule {
    let n = s.chars().count();
    if n < min || n > max {
        Err(format!("is {n} characters long: must be {min} to {max}"))
    } else {
        Ok(())
    }
}

/// The stack name: it prefixes every default resource name, so it must suit all of them.
pub fn stack_name(s: &str) -> Rule {
    length(s, 1, 40)?;
    chars_allowed(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        "lowercase letters, digits and hyphens (it is the start of the bucket's name)",
    )?;
    if s.starts_with('-') || s.ends_with('-') {
        return Err("must begin and end with a letter or digit".to_owned());
    }
    Ok(())
}

/// S3 general purpose bucket naming rules.
pub fn bucket_name(s: &str) -> Rule {
    length(s, 3, 63)?;
    chars_allowed(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        "lowercase letters, digits, dots and hyphens",
    )?;
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(s.chars().next()) || !edge_ok(s.chars().last()) {
        return Err("must begin and end with a letter or digit".to_owned());
    }
    if s.contains("..") {
        return Err("must not contain two adjacent dots".to_owned());
    }
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("must not be formatted as an IP address".to_owned());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if s.starts_with(prefix) {
            return Err(format!("must not start with `{prefix}` (reserved by S3)"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if s.ends_with(suffix) {
            return Err(format!("must not end with `{suffix}` (reserved by S3)"));
        }
    }
    Ok(())
}

/// SQS standard queue names.
pub fn queue_name(s: &str) -> Rule {
    if s.ends_with(".fifo") {
        return Err(
            "is a FIFO queue name: S3 event notifications can only target standard queues"
                .to_owned(),
        );
    }
    length(s, 1, 80)?;
    chars_allowed(
        s,
        |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        "letters, digits, hyphens and underscores",
    )
}

/// IAM role, user and policy names.
pub fn iam_name(s: &str, max: usize) -> Rule {
    length(s, 1, max)?;
    chars_allowed(
        s,
        |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c),
        "letters, digits and + = , . @ _ -",
    )
}

/// The `sts:ExternalId` condition value.
pub fn external_id(s: &str) -> Rule {
    length(s, 2, 1224)?;
    chars_allowed(
        s,
        |c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c),
        "letters, digits and + = , . @ : / _ -",
    )
}

pub fn account_id(s: &str) -> Rule {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not an AWS account id: must be exactly 12 digits"
        ))
    }
}

/// A region code such as `us-west-2`, `eu-central-1`, `us-gov-west-1` or `cn-north-1`.
pub fn region(s: &str) -> Rule {
    let bad = || {
        Err(format!(
            "`{s}` is not an AWS region code (for example us-west-2 or eu-central-1)"
        ))
    };
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return bad();
    }
    let geo = parts[0];
    const GEOS: &[&str] = &["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us"];
    if !GEOS.contains(&geo) {
        return bad();
    }
    let number = parts[parts.len() - 1];
    if number.is_empty() || number.len() > 2 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return bad();
    }
    if !parts[1..parts.len() - 1]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
    {
        return bad();
    }
    Ok(())
}

/// A principal trusted to assume the role: an IAM ARN or an account id.
pub fn principal(s: &str) -> Rule {
    if s == "*" {
        return Err("`*` would let any AWS account assume the role: name the account or role ARN your vendor gave you".to_owned());
    }
    if account_id(s).is_ok() {
        return Ok(());
    }
    let bad = || {
        Err(format!(
            "`{s}` is not an IAM principal: use a 12-digit account id or an ARN like arn:aws:iam::123456789012:role/name"
        ))
    };
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || !is_partition(parts[1]) {
        return bad();
    }
    let (service, region, account, resource) = (parts[2], parts[3], parts[4], parts[5]);
    if !region.is_empty() || account_id(account).is_err() {
        return bad();
    }
    if resource.contains(['*', '?']) {
        return Err(format!(
            "`{s}` holds a wildcard: AWS refuses a trust policy whose principal uses a wildcard in part of its ARN (IAM User Guide, Principal element: \"You cannot use a wildcard to match part of a principal name or ARN\"); name each role or user the vendor gave you, or its 12-digit account id"
        ));
    }
    let ok = match service {
        "iam" => {
            resource == "root"
                || ["role/", "user/"].iter().any(|p| {
                    resource
                        .strip_prefix(p)
                        .is_some_and(|rest| !rest.is_empty())
                })
        }
        "sts" => resource
            .strip_prefix("assumed-role/")
            .is_some_and(|rest| rest.contains('/')),
        _ => false,
    };
    if ok { Ok(()) } else { bad() }
}

fn is_partition(s: &str) -> bool {
    matches!(s, "aws" | "aws-cn" | "aws-us-gov")
}

/// A KMS key given exactly when a KMS encryption is chosen.
fn kms_requirement(kms_chosen: bool, why: Message, arn: Option<&str>) -> Result<(), Message> {
    match (kms_chosen, arn) {
        (true, None) => Err(Message::text("required when ")
            .then(why)
            .and(": give the key's ARN")),
        (false, Some(_)) => Err(Message::text("only used when ")
            .then(why)
            .and("; remove it or choose that encryption")),
        (true, Some(arn)) => kms_key_arn(arn).map_err(Message::from),
        (false, None) => Ok(()),
    }
}

/// `arn:aws:kms:REGION:ACCOUNT:key/ID` or `...:alias/NAME`.
pub fn kms_key_arn(s: &str) -> Rule {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && is_partition(parts[1])
        && parts[2] == "kms"
        && region(parts[3]).is_ok()
        && account_id(parts[4]).is_ok()
        && ["key/", "alias/"].iter().any(|p| {
            parts[5]
                .strip_prefix(p)
                .is_some_and(|rest| !rest.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or :alias/NAME)"
        ))
    }
}

fn key_filter(s: &str, what: &str) -> Rule {
    if s.starts_with('/') {
        return Err(format!(
            "must not start with `/`: S3 object keys do not begin with a slash, so this {what} would match nothing (write `{}`)",
            s.trim_start_matches('/')
        ));
    }
    if s.len() > 1024 {
        return Err(format!(
            "is {} bytes long: S3 keys are at most 1024",
            s.len()
        ));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

/// A suffix ending in `/` matches only folder markers (keys of zero bytes
/// the console makes for a "folder"), never a file: a folder name belongs
/// in the prefix.
fn suffix_shape(s: &str) -> Rule {
    if s.ends_with('/') {
        return Err(format!(
            "`{s}` ends with `/`: the suffix is matched against the end of each object's key, which names a file, so it would match only empty folder markers. A folder goes in the prefix (e.g. `{s}`); a suffix is an ending such as `.json` or `.gz`"
        ));
    }
    Ok(())
}

fn notification_id(s: &str) -> Rule {
    length(s, 1, 255)
}

/// S3 event types a bucket can publish.
pub const S3_EVENTS: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

fn event_name(s: &str) -> Rule {
    if S3_EVENTS.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not an S3 event type (for example s3:ObjectCreated:* or s3:ObjectCreated:Put)"
        ))
    }
}

fn tag(key: &str, value: &str) -> Rule {
    length(key, 1, 128).map_err(|e| format!("tag key {e}"))?;
    if key.starts_with("sluice:") {
        return Err("tag keys starting with `sluice:` are sluice's own".to_owned());
    }
    if key.chars().any(char::is_whitespace) {
        return Err(
            "a tag key sluice manages cannot hold a space: its sluice:tags tag lists them, space-separated"
                .to_owned(),
        );
    }
    if value.chars().count() > 256 {
        return Err("tag value is longer than 256 characters".to_owned());
    }
    if key.starts_with("aws:") {
        return Err("tag keys starting with `aws:` are reserved by AWS".to_owned());
    }
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    chars_allowed(key, allowed, "letters, digits, spaces and _ . : / = + - @").and_then(|()| {
        chars_allowed(
            value,
            allowed,
            "letters, digits, spaces and _ . : / = + - @",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_fields_by_path_for_the_cli_and_as_asked_elsewhere() {
        let message = Message::text("needs ")
            .field(path::QUEUE_NAME)
            .and(": ")
            .setting(path::BUCKET_VERSIONING, "true")
            .and(", paste it")
            .set_flag("role.external_id=VALUE");
        assert_eq!(
            message.to_string(),
            "needs queue.name: set bucket.versioning to true, paste it (--set role.external_id=VALUE)"
        );
        let worded = message.render(|word| match word {
            Word::Field(path) => Some(format!("<{path}>")),
            Word::Setting { path, value } => Some(format!("<{path}={value}>")),
            _ => None,
        });
        assert_eq!(
            worded,
            "needs <queue.name>: <bucket.versioning=true>, paste it"
        );
    }
    use crate::spec::starter;

    fn errors(spec: &Spec) -> Vec<(String, String)> {
        match validate(spec) {
            Ok(()) => vec![],
            Err(e) => {
                e.0.into_iter()
                    .map(|e| (e.path, e.message.to_string()))
                    .collect()
            }
        }
    }

    #[test]
    fn alarms_are_checked_only_when_on_and_each_error_names_its_field() {
        let mut spec = base();
        spec.alarms.max_message_age_secs = 5;
        spec.alarms.stalled_after_secs = 7;
        assert_eq!(errors(&spec), vec![], "off: nothing of the section is used");
        spec.alarms.enabled = true;
        let found = errors(&spec);
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [path::ALARMS_MAX_MESSAGE_AGE, path::ALARMS_STALLED_AFTER],
            "{found:?}"
        );
        spec.alarms.max_message_age_secs = spec.queue.message_retention_secs;
        spec.alarms.stalled_after_secs = 3600;
        let found = errors(&spec);
        assert!(
            found[0]
                .1
                .contains("not below the queue's retention (queue.message_retention_secs"),
            "{found:?}"
        );
        spec.alarms.max_message_age_secs = 1800;
        spec.alarms.topic_arn = Some("arn:aws:sns:eu-west-1:123456789012:ops".into());
        spec.alarms.email = Some("ops@example.com".into());
        let found = errors(&spec);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("notifies only a topic in its own region"),
            "{found:?}"
        );
        assert_eq!(found[1].0, path::ALARMS_EMAIL);
        spec.alarms.topic_arn = None;
        spec.alarms.email = Some("not an address".into());
        assert_eq!(errors(&spec)[0].0, path::ALARMS_EMAIL);
        spec.alarms.email = Some("ops@example.com".into());
        assert_eq!(errors(&spec), vec![]);
        // Every alarm off (the DLQ alarm has no DLQ): the section says so.
        spec.queue.dead_letter.enabled = false;
        spec.alarms.max_message_age_secs = 0;
        spec.alarms.stalled_after_secs = 0;
        assert_eq!(errors(&spec)[0].0, path::ALARMS_ENABLED);
        // A shape without a queue has no alarms: nothing to check.
        spec.queue.enabled = false;
        spec.notification.enabled = false;
        assert!(errors(&spec).iter().all(|(p, _)| !p.starts_with("alarms.")));
    }

    fn base() -> Spec {
        starter("acme-ingest", "us-west-2", Some("123456789012"))
    }

    #[test]
    fn the_starter_spec_is_valid() {
        assert_eq!(errors(&base()), vec![]);
    }

    #[test]
    fn each_delivery_asks_for_what_it_needs() {
        let at = |spec: &Spec, path: &str| -> Vec<String> {
            errors(spec)
                .into_iter()
                .filter(|(p, _)| p.as_str() == path)
                .map(|(_, m)| m)
                .collect()
        };
        let mut spec = base();
        spec.notification.delivery = Delivery::Sns;
        let missing = at(&spec, path::NOTIFICATION_TOPIC_ARN);
        assert!(
            missing[0].contains("--set notification.topic_arn="),
            "{missing:?}"
        );
        for (topic, why) in [
            (
                "arn:aws:sqs:us-west-2:123456789012:q",
                "not an SNS topic ARN",
            ),
            (
                "arn:aws:sns:eu-west-1:123456789012:t",
                "the topic is in eu-west-1",
            ),
            ("arn:aws:sns:us-west-2:123456789012:t.fifo", "FIFO topic"),
            ("arn:aws:sns:us-west-2:12345:t", "12-digit"),
        ] {
            spec.notification.topic_arn = Some(topic.into());
            let found = at(&spec, path::NOTIFICATION_TOPIC_ARN);
            assert!(found.iter().any(|m| m.contains(why)), "{topic}: {found:?}");
        }
        spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:t".into());
        assert_eq!(errors(&spec), vec![]);
        // A topic without sns delivery is a mistake, not a silent no-op.
        spec.notification.delivery = Delivery::Direct;
        assert!(at(&spec, path::NOTIFICATION_TOPIC_ARN)[0].contains("only used with"));
        spec.notification.topic_arn = None;
        // EventBridge: object-created events only, and a rule-worthy name.
        spec.notification.delivery = Delivery::Eventbridge;
        spec.notification.events = vec!["s3:ObjectCreated:*".into(), "s3:ObjectRemoved:*".into()];
        spec.notification.id = "has space".into();
        let events = at(&spec, "notification.events[1]");
        assert!(events[0].contains("Object Created only"), "{events:?}");
        let id = at(&spec, path::NOTIFICATION_ID);
        assert!(id[0].contains("EventBridge rule"), "{id:?}");
        // Neither route without a queue of ours.
        let mut spec = base();
        spec.queue.enabled = false;
        spec.notification.queue_arn = Some("arn:aws:sqs:us-west-2:123456789012:vendor".into());
        spec.notification.delivery = Delivery::Eventbridge;
        let delivery = at(&spec, path::NOTIFICATION_DELIVERY);
        assert!(
            delivery[0].contains("set queue.enabled to true"),
            "{delivery:?}"
        );
    }

    #[test]
    fn bucket_names() {
        for good in ["abc", "my.bucket-1", "a".repeat(63).as_str()] {
            assert_eq!(bucket_name(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("ab", "3 to 63"),
            ("Abc", "`A` is not allowed"),
            ("a_b", "`_` is not allowed"),
            ("-abc", "begin and end"),
            ("abc.", "begin and end"),
            ("a..b", "adjacent dots"),
            ("192.168.5.4", "IP address"),
            ("xn--abc", "xn--"),
            ("sthree-abc", "sthree-"),
            ("abc-s3alias", "-s3alias"),
            ("abc--ol-s3", "--ol-s3"),
        ] {
            let err = bucket_name(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(bucket_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn queue_names() {
        assert_eq!(queue_name("a_B-1"), Ok(()));
        assert!(queue_name(&"q".repeat(80)).is_ok());
        assert!(queue_name(&"q".repeat(81)).unwrap_err().contains("1 to 80"));
        assert!(queue_name("").unwrap_err().contains("1 to 80"));
        assert!(queue_name("a.b").unwrap_err().contains("`.`"));
        let fifo = queue_name("events.fifo").unwrap_err();
        assert!(fifo.contains("standard queues"), "{fifo}");
    }

    #[test]
    fn iam_names_and_external_ids() {
        assert!(iam_name("a+=,.@_-Z9", 64).is_ok());
        assert!(iam_name(&"r".repeat(65), 64).is_err());
        assert!(iam_name(&"p".repeat(128), 128).is_ok());
        assert!(iam_name("has space", 64).unwrap_err().contains("` `"));
        assert!(external_id("org:42/x").is_ok());
        assert!(external_id("x").is_err());
        assert!(external_id(&"e".repeat(1225)).is_err());
        assert!(external_id("a#b").unwrap_err().contains("`#`"));
    }

    #[test]
    fn regions_accounts_principals() {
        for good in [
            "us-west-2",
            "eu-central-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
        ] {
            assert_eq!(region(good), Ok(()), "{good}");
        }
        for bad in [
            "us-west",
            "mars-east-1",
            "US-WEST-2",
            "uswest2",
            "us-west-2a",
            "",
        ] {
            assert!(region(bad).is_err(), "{bad}");
        }
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901").is_err());
        for good in [
            "123456789012",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/vendor-setup",
            "arn:aws:iam::123456789012:user/path/alice",
            "arn:aws-cn:iam::123456789012:root",
        ] {
            assert_eq!(principal(good), Ok(()), "{good}");
        }
        for bad in [
            "*",
            "arn:aws:iam::12345:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:123456789012:root",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(principal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_error_is_collected_with_its_path() {
        let mut spec = base();
        spec.bucket.name = "Bad_Bucket".into();
        spec.queue.name = "q.fifo".into();
        spec.queue.visibility_timeout_secs = 50_000;
        spec.queue.message_retention_secs = 10;
        spec.queue.dead_letter.max_receive_count = 0;
        spec.policy.name = "p".repeat(129);
        spec.role.name = "r".repeat(65);
        spec.role.external_id = "x".into();
        spec.role.trusted_principals = vec!["nobody".into()];
        spec.account_id = Some("42".into());
        spec.region = "moon-1".into();
        spec.bucket.prefix = "/logs/".into();
        spec.consumer.concurrency = 0;
        spec.notification.events = vec!["s3:ObjectMade".into()];
        let paths: Vec<String> = errors(&spec).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "region",
                "account_id",
                "bucket.name",
                "bucket.prefix",
                "queue.name",
                "queue.visibility_timeout_secs",
                "queue.message_retention_secs",
                "queue.dead_letter.max_receive_count",
                "policy.name",
                "role.name",
                "role.external_id",
                "role.trusted_principals[0]",
                "notification.events[0]",
                "consumer.concurrency",
            ]
        );
    }

    #[test]
    fn kms_key_is_required_exactly_with_kms() {
        let mut spec = base();
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.queue.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:key/abc".into());
        let errs = errors(&spec);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].0, "bucket.kms_key_arn");
        assert!(
            errs[0]
                .1
                .contains("required when bucket.encryption is sse-kms")
        );
        assert_eq!(errs[1].0, "queue.kms_key_arn");
        assert!(errs[1].1.contains("only used when queue.encryption is kms"));

        spec.bucket.kms_key_arn = Some("not-an-arn".into());
        spec.queue.encryption = QueueEncryption::Kms;
        let errs = errors(&spec);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].1.contains("is not a KMS key ARN"));
    }

    #[test]
    fn a_suffix_that_looks_like_a_folder_is_refused() {
        let err = suffix_shape("snow/").unwrap_err();
        assert!(err.contains("goes in the prefix"), "{err}");
        assert!(suffix_shape(".json").is_ok());
        assert!(suffix_shape("").is_ok());
    }

    #[test]
    fn leading_slash_in_prefix_is_explained() {
        let err = key_filter("/tarsal/", "prefix").unwrap_err();
        assert!(err.contains("write `tarsal/`"), "{err}");
        assert!(key_filter("tarsal/", "prefix").is_ok());
    }

    #[test]
    fn wildcard_principals_and_unresolved_aliases_are_refused() {
        let mut spec = starter("acme", "us-west-2", Some("123456789012"));
        spec.role.trusted_principals = vec!["arn:aws:iam::111122223333:role/vendor-*".into()];
        let errors = validate(&spec).unwrap_err();
        let e = errors.for_path("role.trusted_principals[0]").unwrap();
        assert!(e.message.contains("wildcard"), "{}", e.message);
        let mut spec = starter("acme", "us-west-2", Some("123456789012"));
        spec.bucket.encryption = BucketEncryption::SseKms;
        spec.bucket.kms_key_arn = Some("arn:aws:kms:us-west-2:123456789012:alias/data".into());
        assert_eq!(validate_unresolved(&spec), Ok(()));
        assert_eq!(
            kms_aliases(&spec),
            [(
                "bucket.kms_key_arn",
                "arn:aws:kms:us-west-2:123456789012:alias/data".to_owned()
            )]
        );
        let errors = validate(&spec).unwrap_err();
        let e = errors.for_path("bucket.kms_key_arn").unwrap();
        assert!(
            e.message.contains("is an alias")
                && e.message.contains("key ARN")
                && e.message.contains("describe-key --key-id alias/data"),
            "{}",
            e.message
        );
    }

    #[test]
    fn role_or_user_must_exist_and_dlq_must_differ() {
        let mut spec = base();
        spec.role.enabled = false;
        spec.queue.dead_letter.name = spec.queue.name.clone();
        let errs = errors(&spec);
        let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["queue.dead_letter.name", "role.enabled"]);
    }
}
