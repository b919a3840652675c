//! The bucket notification entry and its merge into a bucket's existing
//! configuration. `PutBucketNotificationConfiguration` replaces the whole
//! configuration, so everything here works on the configuration as JSON and
//! leaves every entry that is not ours exactly as it found it.

use serde_json::{Map, Value, json};

use super::Arns;
use crate::spec::Spec;

/// The three lists of destinations a configuration holds, with each one's target key.
const KINDS: [(&str, &str); 3] = [
    ("QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "TopicArn"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
];
const QUEUES: &str = "QueueConfigurations";

/// Our entry: the spec's events on objects under its prefix/suffix, to its queue.
/// Rule names are the API's lowercase `prefix`/`suffix` (some S3 endpoints
/// report them capitalised; readers compare them case-insensitively).
pub fn notification_entry(spec: &Spec) -> Value {
    let mut entry = json!({
        "Id": spec.notification.id,
        "QueueArn": Arns::of(spec).queue,
        "Events": spec.notification.events,
    });
    let mut rules = Vec::new();
    if !spec.bucket.prefix.is_empty() {
        rules.push(json!({ "Name": "prefix", "Value": spec.bucket.prefix }));
    }
    if !spec.bucket.suffix.is_empty() {
        rules.push(json!({ "Name": "suffix", "Value": spec.bucket.suffix }));
    }
    if !rules.is_empty() {
        entry["Filter"] = json!({ "Key": { "FilterRules": rules } });
    }
    entry
}

/// An entry's key filter. Rule names are case-insensitive to S3.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub prefix: String,
    pub suffix: String,
}

pub fn entry_filter(entry: &Value) -> NotificationFilter {
    let mut filter = NotificationFilter::default();
    let rules = entry
        .pointer("/Filter/Key/FilterRules")
        .and_then(Value::as_array);
    for rule in rules.into_iter().flatten() {
        let name = rule.get("Name").and_then(Value::as_str).unwrap_or_default();
        let value = rule
            .get("Value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if name.eq_ignore_ascii_case("prefix") {
            filter.prefix = value.to_owned();
        } else if name.eq_ignore_ascii_case("suffix") {
            filter.suffix = value.to_owned();
        }
    }
    filter
}

/// Another entry that would match the same events on the same keys as ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// `queue`, `topic` or `Lambda function`.
    pub kind: &'static str,
    pub id: String,
    pub target: String,
    /// The event types both match.
    pub events: String,
    pub prefix: String,
    pub suffix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error(
        "our notification would overlap the existing {} entry {} (to {}): both match events {} on keys with prefix `{}` and suffix `{}`. S3 refuses such a configuration as \"ambiguously defined\"; give ours a prefix or suffix that does not overlap, or remove that entry",
        .0.kind, .0.id, .0.target, .0.events, .0.prefix, .0.suffix
    )]
    Overlap(Box<Overlap>),
    #[error(
        "the notification id {id} is already used by an existing {kind} entry (to {target}); choose another notification.id"
    )]
    IdTaken {
        kind: &'static str,
        id: String,
        target: String,
    },
    #[error("the existing notification configuration is not a JSON object: {0}")]
    Malformed(String),
    #[error("our notification entry has no Id")]
    NoId,
}

/// `ours` as the configuration `existing` already holds it: when no entry
/// has our Id but a queue entry is ours by what it is (our queue, our events,
/// our key filter; CloudFormation, for one, lets S3 pick the Id), that
/// entry's Id. The second value is that foreign Id, when it was taken.
pub fn recognise(existing: &Value, ours: &Value) -> (Value, Option<String>) {
    let our_id = ours.get("Id").and_then(Value::as_str);
    let Value::Object(config) = existing else {
        return (ours.clone(), None);
    };
    let queue_entries: Vec<&Value> = entries(config, QUEUES).collect();
    if queue_entries
        .iter()
        .any(|e| e.get("Id").and_then(Value::as_str) == our_id)
    {
        return (ours.clone(), None);
    }
    let mut our_events: Vec<&str> = entry_events(ours);
    our_events.sort_unstable();
    let same = |entry: &&Value| {
        let mut theirs = entry_events(entry);
        theirs.sort_unstable();
        entry.get("QueueArn") == ours.get("QueueArn")
            && theirs == our_events
            && entry_filter(entry) == entry_filter(ours)
    };
    match queue_entries.into_iter().find(same) {
        Some(entry) => {
            let id = entry
                .get("Id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut renamed = canonical(ours);
            renamed["Id"] = Value::String(id.clone());
            // Keep S3's spelling of the rule names, so nothing is rewritten.
            if let Some(filter) = entry.get("Filter") {
                renamed["Filter"] = filter.clone();
            }
            (renamed, Some(id))
        }
        None => (ours.clone(), None),
    }
}

/// Puts `ours` into `existing`: the entry with our Id is replaced where it
/// stands, or ours is appended; every other Queue, Topic and Lambda entry and
/// the EventBridge setting are kept as they are. Refuses, naming the other
/// entry, when ours would overlap it (S3 would reject the whole configuration).
pub fn merge(existing: &Value, ours: &Value) -> Result<Value, MergeError> {
    let our_id = ours
        .get("Id")
        .and_then(Value::as_str)
        .ok_or(MergeError::NoId)?;
    let mut config = match existing {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        other => return Err(MergeError::Malformed(other.to_string())),
    };
    let our_events = entry_events(ours);
    let our_filter = entry_filter(ours);
    for (kind, target_key) in KINDS {
        for entry in entries(&config, kind) {
            let id = entry.get("Id").and_then(Value::as_str).unwrap_or("(no id)");
            let target = entry
                .get(target_key)
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            if id == our_id {
                if kind == QUEUES {
                    continue; // ours, to be replaced
                }
                return Err(MergeError::IdTaken {
                    kind: kind_name(kind),
                    id: id.to_owned(),
                    target,
                });
            }
            let shared = shared_events(&our_events, &entry_events(entry));
            let theirs = entry_filter(entry);
            if !shared.is_empty() && filters_overlap(&our_filter, &theirs) {
                return Err(MergeError::Overlap(Box::new(Overlap {
                    kind: kind_name(kind),
                    id: id.to_owned(),
                    target,
                    events: shared.join(", "),
                    prefix: longer(&our_filter.prefix, &theirs.prefix),
                    suffix: longer(&our_filter.suffix, &theirs.suffix),
                })));
            }
        }
    }
    let list = config
        .entry(QUEUES)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        return Err(MergeError::Malformed(format!("{QUEUES} is not a list")));
    }
    if let Value::Array(list) = list {
        match list
            .iter_mut()
            .find(|e| e.get("Id").and_then(Value::as_str) == Some(our_id))
        {
            // S3 may report rule names capitalised: an entry equal but for that stays as it is.
            Some(slot) if canonical(slot) == canonical(ours) => {}
            Some(slot) => *slot = ours.clone(),
            None => list.push(ours.clone()),
        }
    }
    Ok(Value::Object(config))
}

/// `existing` without our direct entry (recognised by Id or by what it is),
/// and that entry's Id, when it holds one: what a route other than direct
/// leaves of an earlier direct delivery.
pub fn without_ours(existing: &Value, spec: &Spec) -> (Value, Option<String>) {
    let (ours, _) = recognise(existing, &notification_entry(spec));
    let id = ours
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or(&spec.notification.id)
        .to_owned();
    let rest = remove(existing, &id);
    if rest == *existing {
        (rest, None)
    } else {
        (rest, Some(id))
    }
}

/// Whether the configuration holds a queue entry `id`.
pub fn has_entry(config: &Value, id: &str) -> bool {
    config
        .get(QUEUES)
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter()
                .any(|e| e.get("Id").and_then(Value::as_str) == Some(id))
        })
}

/// Takes the queue entry with Id `id` out of `existing`, leaving everything else
/// as it is (an emptied queue list is dropped, as S3 itself reports no list).
pub fn remove(existing: &Value, id: &str) -> Value {
    let Value::Object(map) = existing else {
        return existing.clone();
    };
    let mut config = map.clone();
    if let Some(Value::Array(list)) = config.get_mut(QUEUES) {
        let before = list.len();
        list.retain(|e| e.get("Id").and_then(Value::as_str) != Some(id));
        if list.is_empty() && before > 0 {
            config.remove(QUEUES);
        }
    }
    Value::Object(config)
}

/// The kinds of entry and the key naming each one's destination.
const TARGETS: [(&str, &str); 3] = [
    ("QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "TopicArn"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
];

/// The Ids of the entries of `config` (of any kind) that send to `arn`
/// (`(no Id)` for an entry without one).
pub fn entries_sending_to(config: &Value, arn: &str) -> Vec<String> {
    TARGETS
        .iter()
        .flat_map(|(list, key)| {
            config
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(move |e| e.get(*key).and_then(Value::as_str) == Some(arn))
        })
        .map(|e| {
            e.get("Id")
                .and_then(Value::as_str)
                .unwrap_or("(no Id)")
                .to_owned()
        })
        .collect()
}

/// The topics the bucket's topic entries publish to, each once, in order.
pub fn topic_entries(config: &Value) -> Vec<String> {
    let mut topics: Vec<String> = Vec::new();
    for entry in config
        .get("TopicConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(topic) = entry.get("TopicArn").and_then(Value::as_str)
            && !topics.iter().any(|t| t == topic)
        {
            topics.push(topic.to_owned());
        }
    }
    topics
}

/// An entry with its filter rule names lowercased (S3 treats them case-insensitively).
fn canonical(entry: &Value) -> Value {
    let mut entry = entry.clone();
    if let Some(Value::Array(rules)) = entry.pointer_mut("/Filter/Key/FilterRules") {
        for rule in rules {
            if let Some(Value::String(name)) = rule.get_mut("Name") {
                *name = name.to_ascii_lowercase();
            }
        }
    }
    entry
}

fn entries<'a>(config: &'a Map<String, Value>, kind: &str) -> impl Iterator<Item = &'a Value> {
    config
        .get(kind)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "QueueConfigurations" => "queue",
        "TopicConfigurations" => "topic",
        _ => "Lambda function",
    }
}

/// An entry's event types.
pub fn entry_events(entry: &Value) -> Vec<&str> {
    entry
        .get("Events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Whether an entry for event type `wide` receives `narrow`: the same
/// name, or `X:*` covering `X:Y`.
pub(crate) fn events_cover(wide: &str, narrow: &str) -> bool {
    wide == narrow || covers(wide, narrow)
}

fn covers(wide: &str, narrow: &str) -> bool {
    wide.strip_suffix('*')
        .is_some_and(|stem| stem.ends_with(':') && narrow.starts_with(stem))
}

/// Event types two entries both match: equal names, or one's `X:*` covering the other's `X:Y`.
fn shared_events(ours: &[&str], theirs: &[&str]) -> Vec<String> {
    let mut shared = Vec::new();
    for a in ours {
        for b in theirs {
            if a == b || covers(a, b) || covers(b, a) {
                let narrower = if covers(a, b) { b } else { a };
                if !shared.iter().any(|s: &String| s == narrower) {
                    shared.push((*narrower).to_owned());
                }
            }
        }
    }
    shared
}

/// S3's rule: two filters overlap when one prefix starts the other and one suffix ends the other.
fn filters_overlap(a: &NotificationFilter, b: &NotificationFilter) -> bool {
    let prefixes = a.prefix.starts_with(&b.prefix) || b.prefix.starts_with(&a.prefix);
    let suffixes = a.suffix.ends_with(&b.suffix) || b.suffix.ends_with(&a.suffix);
    prefixes && suffixes
}

fn longer(a: &str, b: &str) -> String {
    if a.len() >= b.len() { a } else { b }.to_owned()
}

// ---- how S3 events carry object keys ----

/// Decodes a key as S3 writes it into notifications: `+` stands for a space,
/// everything else is percent-encoded UTF-8.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let plus_decoded = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_decoded)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("object key {raw:?} does not decode to UTF-8"))
}

/// Encodes a key the way S3 does in notifications (the inverse of [`decode_key`]).
pub fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP)
        .to_string()
        .replace(' ', "+")
}

#[cfg(test)]
mod tests;
