//! The bucket notification entry and its merge into a bucket's existing
//! configuration. `PutBucketNotificationConfiguration` replaces the whole
//! configuration, so everything here works on the whole configuration and
//! leaves every entry that is not ours exactly as it found it.

use super::Arns;
use crate::spec::{Delivery, Spec};

/// Our entry: the spec's events on objects under its prefix/suffix, to its queue.
/// Rule names are the API's lowercase `prefix`/`suffix` (some S3 endpoints
/// report them capitalised; readers compare them case-insensitively).
pub fn notification_entry(spec: &Spec) -> Entry {
    let mut rules = Vec::new();
    if !spec.bucket.prefix.is_empty() {
        rules.push(FilterRule {
            name: "prefix".into(),
            value: spec.bucket.prefix.clone(),
        });
    }
    if !spec.bucket.suffix.is_empty() {
        rules.push(FilterRule {
            name: "suffix".into(),
            value: spec.bucket.suffix.clone(),
        });
    }
    Entry {
        id: Some(spec.notification.id.clone()),
        target: Target::Queue(Arns::of(spec).queue),
        events: spec.notification.events.clone(),
        filter: (!rules.is_empty()).then_some(rules),
    }
}

/// The configuration a bucket of the stack's own has: our entry alone
/// (direct delivery), or the EventBridge setting alone.
pub fn own_configuration(spec: &Spec) -> NotificationConfiguration {
    match spec.delivery() {
        Some(Delivery::Eventbridge) => NotificationConfiguration {
            entries: Vec::new(),
            eventbridge: true,
        },
        _ => NotificationConfiguration {
            entries: vec![notification_entry(spec)],
            eventbridge: false,
        },
    }
}

/// An entry's key filter. Rule names are case-insensitive to S3.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub prefix: String,
    pub suffix: String,
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
    #[error("our notification entry has no Id")]
    NoId,
}

/// `ours` as the configuration `existing` already holds it: when no entry
/// has our Id but a queue entry is ours by what it is (our queue, our events,
/// our key filter; CloudFormation, for one, lets S3 pick the Id), that
/// entry's Id. The second value is that foreign Id, when it was taken.
pub fn recognise(existing: &NotificationConfiguration, ours: &Entry) -> (Entry, Option<String>) {
    let queue_entries: Vec<&Entry> = existing.queue_entries().collect();
    if queue_entries.iter().any(|e| e.id == ours.id) {
        return (ours.clone(), None);
    }
    let mut our_events = ours.events();
    our_events.sort_unstable();
    let same = |entry: &&Entry| {
        let mut theirs = entry.events();
        theirs.sort_unstable();
        entry.target == ours.target
            && theirs == our_events
            && entry.key_filter() == ours.key_filter()
    };
    match queue_entries.into_iter().find(same) {
        Some(entry) => {
            let id = entry.id.clone().unwrap_or_default();
            let renamed = Entry {
                id: Some(id.clone()),
                // Keep S3's spelling of the rule names, so nothing is rewritten.
                filter: entry.filter.clone(),
                ..ours.canonical()
            };
            (renamed, Some(id))
        }
        None => (ours.clone(), None),
    }
}

/// Puts `ours` into `existing`: the entry with our Id is replaced where it
/// stands, or ours is appended; every other Queue, Topic and Lambda entry and
/// the EventBridge setting are kept as they are. Refuses, naming the other
/// entry, when ours would overlap it (S3 would reject the whole configuration).
pub fn merge(
    existing: &NotificationConfiguration,
    ours: &Entry,
) -> Result<NotificationConfiguration, MergeError> {
    let our_id = ours.id.as_deref().ok_or(MergeError::NoId)?;
    let our_events = ours.events();
    let our_filter = ours.key_filter();
    for entry in existing.queues_first() {
        let id = entry.id_or("(no id)");
        let target = entry.target.arn().to_owned();
        if id == our_id {
            if entry.is_queue(our_id) {
                continue; // ours, to be replaced
            }
            return Err(MergeError::IdTaken {
                kind: entry.target.kind(),
                id: id.to_owned(),
                target,
            });
        }
        let shared = shared_events(&our_events, &entry.events());
        let theirs = entry.key_filter();
        if !shared.is_empty() && filters_overlap(&our_filter, &theirs) {
            return Err(MergeError::Overlap(Box::new(Overlap {
                kind: entry.target.kind(),
                id: id.to_owned(),
                target,
                events: shared.join(", "),
                prefix: longer(&our_filter.prefix, &theirs.prefix),
                suffix: longer(&our_filter.suffix, &theirs.suffix),
            })));
        }
    }
    let mut config = existing.clone();
    match config.entries.iter_mut().find(|e| e.is_queue(our_id)) {
        // S3 may report rule names capitalised: an entry equal but for that stays as it is.
        Some(slot) if slot.canonical() == ours.canonical() => {}
        Some(slot) => *slot = ours.clone(),
        None => config.entries.push(ours.clone()),
    }
    Ok(config)
}

/// `existing` without our direct entry (recognised by Id or by what it is),
/// and that entry's Id, when it holds one: what a route other than direct
/// leaves of an earlier direct delivery.
pub fn without_ours(
    existing: &NotificationConfiguration,
    spec: &Spec,
) -> (NotificationConfiguration, Option<String>) {
    let (ours, _) = recognise(existing, &notification_entry(spec));
    let id = ours.id_or(&spec.notification.id).to_owned();
    let rest = remove(existing, &id);
    if rest == *existing {
        (rest, None)
    } else {
        (rest, Some(id))
    }
}

/// Whether the configuration holds a queue entry `id`.
pub fn has_entry(config: &NotificationConfiguration, id: &str) -> bool {
    config.entries.iter().any(|e| e.is_queue(id))
}

/// Takes the queue entry with Id `id` out of `existing`, leaving everything
/// else as it is.
pub fn remove(existing: &NotificationConfiguration, id: &str) -> NotificationConfiguration {
    let mut config = existing.clone();
    config.entries.retain(|e| !e.is_queue(id));
    config
}

/// The Ids of the entries of `config` (of any kind) that send to `arn`
/// (`(no Id)` for an entry without one).
pub fn entries_sending_to(config: &NotificationConfiguration, arn: &str) -> Vec<String> {
    config
        .entries
        .iter()
        .filter(|e| e.target.arn() == arn)
        .map(|e| e.id_or("(no Id)").to_owned())
        .collect()
}

/// The topics the bucket's topic entries publish to, each once, in order.
pub fn topic_entries(config: &NotificationConfiguration) -> Vec<String> {
    let mut topics: Vec<String> = Vec::new();
    for entry in &config.entries {
        if let Target::Topic(topic) = &entry.target
            && !topics.iter().any(|t| t == topic)
        {
            topics.push(topic.clone());
        }
    }
    topics
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

mod configuration;

pub use configuration::{Entry, FilterRule, NotificationConfiguration, Target};

#[cfg(test)]
mod tests;
