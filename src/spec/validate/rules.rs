//! The field-level rules: each takes a field's value and says, in plain
//! words, which rule it breaks (names, regions, ARNs, principals, KMS keys,
//! key filters, event types, tags).

use super::message::Message;

/// An existing topic the alarms notify: a standard SNS topic in the spec's region.
pub(super) fn alarm_topic_arn(arn: &str, region: &str) -> Rule {
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
pub(super) fn regional_arn<'a>(
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
pub(super) fn email_address(s: &str) -> Rule {
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

pub(super) fn topic_arn(arn: &str, region: &str) -> Rule {
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
pub(super) fn rule_name(s: &str) -> Rule {
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

pub(in crate::spec) fn foreign_queue_arn(arn: &str, region: &str) -> Rule {
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

pub(super) type Rule = Result<(), String>;

pub(super) fn in_range(value: u32, min: u32, max: u32, unit: &str) -> Rule {
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

pub(super) fn chars_allowed(s: &str, allowed: impl Fn(char) -> bool, described: &str) -> Rule {
    match s.chars().find(|&c| !allowed(c)) {
        Some(c) => Err(format!("`{c}` is not allowed: use only {described}")),
        None => Ok(()),
    }
}

pub(super) fn length(s: &str, min: usize, max: usize) -> Rule {
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

pub(super) fn is_partition(s: &str) -> bool {
    matches!(s, "aws" | "aws-cn" | "aws-us-gov")
}

/// A KMS key given exactly when a KMS encryption is chosen.
pub(super) fn kms_requirement(
    kms_chosen: bool,
    why: Message,
    arn: Option<&str>,
) -> Result<(), Message> {
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

pub(super) fn key_filter(s: &str, what: &str) -> Rule {
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
pub(super) fn suffix_shape(s: &str) -> Rule {
    if s.ends_with('/') {
        return Err(format!(
            "`{s}` ends with `/`: the suffix is matched against the end of each object's key, which names a file, so it would match only empty folder markers. A folder goes in the prefix (e.g. `{s}`); a suffix is an ending such as `.json` or `.gz`"
        ));
    }
    Ok(())
}

pub(super) fn notification_id(s: &str) -> Rule {
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

pub(super) fn event_name(s: &str) -> Rule {
    if S3_EVENTS.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not an S3 event type (for example s3:ObjectCreated:* or s3:ObjectCreated:Put)"
        ))
    }
}

pub(super) fn tag(key: &str, value: &str) -> Rule {
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
