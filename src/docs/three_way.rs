//! Three-way merges for restore: put back what a backup saved, and keep what
//! others changed after sluice wrote. Each part (a notification entry by its
//! Id, a policy statement by its Sid, a queue attribute) is compared in three
//! states: saved (before sluice's change), written (what sluice wrote) and
//! current. A part others left as sluice wrote it goes back to its saved
//! state; a part only others changed keeps their change; a part both changed
//! differently is a conflict (restore refuses it unless told to overwrite).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::POLICY_VERSION;
use super::notification::{Entry, NotificationConfiguration};
use super::policy::{OneOrMany, Policy, Statement};

/// A merge's result, with what it had to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged<T> {
    pub value: T,
    /// Parts others changed since sluice wrote, which the saved state also
    /// changes: the saved state is taken (with `--overwrite`).
    pub conflicts: Vec<String>,
    /// Parts others changed since sluice wrote, kept as they are now.
    pub kept: Vec<String>,
}

/// The three-way merge of keyed parts.
fn merge_keyed<T: Clone + PartialEq>(
    saved: &BTreeMap<String, T>,
    written: &BTreeMap<String, T>,
    current: &BTreeMap<String, T>,
) -> Merged<BTreeMap<String, T>> {
    let keys: BTreeSet<&String> = saved
        .keys()
        .chain(written.keys())
        .chain(current.keys())
        .collect();
    let mut value = BTreeMap::new();
    let (mut conflicts, mut kept) = (Vec::new(), Vec::new());
    for key in keys {
        let (s, w, c) = (saved.get(key), written.get(key), current.get(key));
        let take = if c == w || c == s {
            s
        } else if s == w {
            kept.push(key.clone());
            c
        } else {
            conflicts.push(key.clone());
            s
        };
        if let Some(v) = take {
            value.insert(key.clone(), v.clone());
        }
    }
    Merged {
        value,
        conflicts,
        kept,
    }
}

/// A part of a notification configuration: an entry, or the EventBridge setting.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Entry(Entry),
    EventBridge,
}

const EVENTBRIDGE: &str = "EventBridgeConfiguration";

/// A configuration's parts by key: an entry by its kind and Id, one
/// without an Id (S3 gives every entry one; an emulator may not) by its
/// kind and content, so the same entry has the same key in all three states.
fn entries(config: &NotificationConfiguration) -> BTreeMap<String, Part> {
    let mut out = BTreeMap::new();
    for entry in &config.entries {
        let id = match &entry.id {
            Some(id) => id.clone(),
            None => format!("#{}", super::json(entry)),
        };
        out.insert(
            format!("{}\t{id}", entry.target.kind()),
            Part::Entry(entry.clone()),
        );
    }
    if config.eventbridge {
        out.insert(EVENTBRIDGE.to_owned(), Part::EventBridge);
    }
    out
}

/// A part in words.
fn part_words(part: &Part) -> String {
    match part {
        Part::Entry(Entry { id: Some(id), .. }) => format!("entry {id}"),
        Part::Entry(entry) => format!(
            "an entry without Id (to the {} {})",
            entry.target.kind(),
            entry.target.arn()
        ),
        Part::EventBridge => format!("entry {EVENTBRIDGE}"),
    }
}

/// A bucket's notification configuration, merged entry by entry.
pub fn notification(
    saved: &NotificationConfiguration,
    written: &NotificationConfiguration,
    current: &NotificationConfiguration,
) -> Merged<NotificationConfiguration> {
    let (saved, written, current) = (entries(saved), entries(written), entries(current));
    let merged = merge_keyed(&saved, &written, &current);
    let name = |key: &String| {
        saved
            .get(key)
            .or_else(|| written.get(key))
            .or_else(|| current.get(key))
            .map_or_else(|| key.clone(), part_words)
    };
    let conflicts = merged.conflicts.iter().map(name).collect();
    let kept = merged.kept.iter().map(name).collect();
    let mut config = NotificationConfiguration::default();
    for part in merged.value.into_values() {
        match part {
            Part::Entry(entry) => config.entries.push(entry),
            Part::EventBridge => config.eventbridge = true,
        }
    }
    Merged {
        value: config,
        conflicts,
        kept,
    }
}

fn statements(policy: Option<&Policy>) -> BTreeMap<String, Statement> {
    policy
        .into_iter()
        .flat_map(Policy::statements)
        .map(|s| {
            let key = s
                .sid()
                .map_or_else(|| format!("#{}", super::json(s)), str::to_owned);
            (key, s.clone())
        })
        .collect()
}

/// A resource policy (bucket or queue), merged statement by statement; `None`
/// when no statement is left.
pub fn policy(
    saved: Option<&Policy>,
    written: Option<&Policy>,
    current: Option<&Policy>,
) -> Merged<Option<Policy>> {
    let merged = merge_keyed(
        &statements(saved),
        &statements(written),
        &statements(current),
    );
    let name = |k: &String| {
        if k.starts_with('#') {
            "a statement without Sid".to_owned()
        } else {
            format!("statement {k}")
        }
    };
    let value = (!merged.value.is_empty()).then(|| {
        let base = saved
            .or(current)
            .cloned()
            .unwrap_or_else(|| Policy::new(Vec::new()));
        Policy {
            version: base.version.or_else(|| Some(POLICY_VERSION.to_owned())),
            statement: OneOrMany::Many(merged.value.into_values().collect()),
            ..base
        }
    });
    Merged {
        value,
        conflicts: merged.conflicts.iter().map(name).collect(),
        kept: merged.kept.iter().map(name).collect(),
    }
}

/// Queue attributes as SQS gives them (strings), merged attribute by
/// attribute; the access policy (`Policy`) statement by statement.
pub fn queue_attributes(
    saved: &BTreeMap<String, String>,
    written: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
) -> Result<Merged<BTreeMap<String, String>>, String> {
    let mut out = Merged {
        value: BTreeMap::new(),
        conflicts: Vec::new(),
        kept: Vec::new(),
    };
    for (key, s) in saved {
        let (w, c) = (written.get(key), current.get(key));
        if key == "Policy" {
            let parse = |text: Option<&String>, which: &str| {
                text.filter(|t| !t.is_empty())
                    .map(|t| Policy::parse(t))
                    .transpose()
                    .map_err(|e| format!("the queue's {which} access policy is {e}"))
            };
            let merged = policy(
                parse(Some(s), "saved")?.as_ref(),
                parse(w, "written")?.as_ref(),
                parse(c, "current")?.as_ref(),
            );
            let text = merged.value.map(|p| p.to_string()).unwrap_or_default();
            out.value.insert(key.clone(), text);
            out.conflicts
                .extend(merged.conflicts.into_iter().map(|n| format!("Policy {n}")));
            out.kept
                .extend(merged.kept.into_iter().map(|n| format!("Policy {n}")));
            continue;
        }
        // JSON-valued attributes (RedrivePolicy, …) compared as JSON.
        let norm = |text: &String| match serde_json::from_str::<Value>(text) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => v.to_string(),
            _ => text.clone(),
        };
        let (sn, wn, cn) = (norm(s), w.map(norm), c.map(norm));
        let take = if cn == wn || cn.as_ref() == Some(&sn) || wn.is_none() {
            s.clone()
        } else if Some(&sn) == wn.as_ref() {
            out.kept.push(key.clone());
            c.cloned().unwrap_or_default()
        } else {
            out.conflicts.push(key.clone());
            s.clone()
        };
        out.value.insert(key.clone(), take);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn queue(id: &str, prefix: &str) -> Value {
        json!({"Id": id, "QueueArn": format!("arn:aws:sqs:us-west-2:1:{id}"), "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}})
    }

    fn config(queues: &[Value]) -> NotificationConfiguration {
        NotificationConfiguration::from_json(&json!({ "QueueConfigurations": queues })).unwrap()
    }

    #[test]
    fn a_notification_goes_back_and_entries_added_since_stay() {
        let saved = config(&[queue("theirs", "a/")]);
        let written = config(&[queue("theirs", "a/"), queue("ours", "b/")]);
        let current = config(&[
            queue("theirs", "a/"),
            queue("ours", "b/"),
            queue("later", "c/"),
        ]);
        let merged = notification(&saved, &written, &current);
        assert_eq!(
            merged.value,
            config(&[queue("later", "c/"), queue("theirs", "a/")])
        );
        assert_eq!(merged.kept, ["entry later"]);
        assert!(merged.conflicts.is_empty());
        // An entry both the saved state and others changed is a conflict.
        let current = config(&[queue("theirs", "z/"), queue("ours", "b/")]);
        let saved = config(&[queue("theirs", "y/")]);
        let merged = notification(&saved, &written, &current);
        assert_eq!(merged.conflicts, ["entry theirs"]);
    }

    #[test]
    fn entries_without_an_id_are_known_by_what_they_are() {
        let unnamed = |prefix: &str| {
            json!({"QueueArn": "arn:aws:sqs:us-west-2:1:other", "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}})
        };
        // Others added an unnamed entry after ours was written; one was there before.
        let saved = config(&[unnamed("a/")]);
        let written = config(&[unnamed("a/"), queue("ours", "b/")]);
        let current = config(&[queue("ours", "b/"), unnamed("c/"), unnamed("a/")]);
        let merged = notification(&saved, &written, &current);
        assert_eq!(merged.value, config(&[unnamed("a/"), unnamed("c/")]));
        assert_eq!(
            merged.kept,
            ["an entry without Id (to the queue arn:aws:sqs:us-west-2:1:other)"]
        );
        assert!(merged.conflicts.is_empty());
    }

    #[test]
    fn a_policy_goes_back_and_statements_added_since_stay() {
        let st = |sid: &str| json!({"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"});
        let typed = |v: Value| Policy::from_json(&v).unwrap();
        let written = typed(json!({"Version": "2012-10-17", "Statement": [st("Ours")]}));
        let current =
            typed(json!({"Version": "2012-10-17", "Statement": [st("Ours"), st("Later")]}));
        let merged = policy(None, Some(&written), Some(&current));
        assert_eq!(
            merged.value,
            Some(typed(
                json!({"Version": "2012-10-17", "Statement": [st("Later")]})
            ))
        );
        assert_eq!(merged.kept, ["statement Later"]);
        // Nothing left: no policy.
        assert_eq!(policy(None, Some(&written), Some(&written)).value, None);
    }

    #[test]
    fn queue_attributes_merge_their_policy_and_flag_a_value_changed_twice() {
        let saved = BTreeMap::from([
            ("VisibilityTimeout".to_owned(), "45".to_owned()),
            ("Policy".to_owned(), String::new()),
        ]);
        let ours =
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "Ours", "Effect": "Allow"}]});
        let both = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Ours", "Effect": "Allow"}, {"Sid": "Later", "Effect": "Allow"}]});
        let written = BTreeMap::from([
            ("VisibilityTimeout".to_owned(), "600".to_owned()),
            ("Policy".to_owned(), ours.to_string()),
        ]);
        let current = BTreeMap::from([
            ("VisibilityTimeout".to_owned(), "900".to_owned()),
            ("Policy".to_owned(), both.to_string()),
        ]);
        let merged = queue_attributes(&saved, &written, &current).unwrap();
        assert_eq!(merged.conflicts, ["VisibilityTimeout"]);
        assert_eq!(merged.kept, ["Policy statement Later"]);
        let policy: Value = serde_json::from_str(&merged.value["Policy"]).unwrap();
        assert_eq!(policy["Statement"][0]["Sid"], "Later");
        // A policy that is not one is an error naming it, not a policy dropped.
        let broken = BTreeMap::from([("Policy".to_owned(), "{\"Statement\": 1}".to_owned())]);
        let refused = queue_attributes(&saved, &written, &broken).unwrap_err();
        assert!(refused.contains("current access policy"), "{refused}");
    }
}
