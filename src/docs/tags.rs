//! The tags sluice puts on what it makes, and how a resource's tags follow
//! the spec: sluice's own two, the spec's, and a list of the keys it took
//! from the spec, so that a key taken out of the spec is taken off the
//! resources again while tags others added stay.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::Spec;

/// The tag that marks a resource as made by a sluice stack (its value is the stack name).
pub const STACK_TAG: &str = "sluice:stack";

/// sluice's other own tag.
pub const MANAGED_BY: &str = "managed-by";

/// The keys of the spec's tags on a resource, space-separated: what sluice
/// may take off again when the spec no longer has them.
pub const MANAGED_TAGS_TAG: &str = "sluice:tags";

/// The tags sluice puts on everything it creates: its own, then the spec's.
pub fn tags(spec: &Spec) -> BTreeMap<String, String> {
    with_own(&spec.tags, spec)
}

/// The bucket's tags: sluice's, the spec's, then the bucket's own.
pub fn bucket_tags(spec: &Spec) -> BTreeMap<String, String> {
    let mut wanted = spec.tags.clone();
    wanted.extend(spec.bucket.tags.clone());
    with_own(&wanted, spec)
}

fn with_own(from_spec: &BTreeMap<String, String>, spec: &Spec) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = from_spec
        .iter()
        .filter(|(k, _)| !is_own(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let managed: Vec<&str> = tags.keys().map(String::as_str).collect();
    if !managed.is_empty() {
        let list = managed.join(" ");
        tags.insert(MANAGED_TAGS_TAG.to_owned(), list);
    }
    tags.insert(MANAGED_BY.to_owned(), "sluice".to_owned());
    tags.insert(STACK_TAG.to_owned(), spec.name.clone());
    tags
}

/// One of sluice's own keys (never taken from the spec).
fn is_own(key: &str) -> bool {
    key == MANAGED_BY || key.starts_with("sluice:")
}

/// How a resource's tags change to become `desired`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// Keys to set (new, or with another value), with their values.
    pub set: BTreeMap<String, String>,
    /// Keys to take off: the spec's once, no longer wanted.
    pub remove: Vec<String>,
    /// The values the changed keys had before.
    pub was: BTreeMap<String, String>,
}

impl TagChange {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// `existing` after the change: what a call that replaces the whole tag
    /// set (S3's PutBucketTagging) must write, others' tags kept.
    pub fn applied_to(&self, existing: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut tags = existing.clone();
        for key in &self.remove {
            tags.remove(key);
        }
        tags.extend(self.set.clone());
        tags
    }

    /// The change in words: `+team=data, -env, owner: a → b`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .set
            .iter()
            .map(|(k, v)| match self.was.get(k) {
                Some(old) => format!("{k}: {old} → {v}"),
                None => format!("+{k}={v}"),
            })
            .collect();
        parts.extend(self.remove.iter().map(|k| format!("-{k}")));
        parts.join(", ")
    }
}

/// What turns `existing` into `desired` (see [`tags`]): keys set where they
/// differ, and the keys the resource's own list says came from the spec
/// but `desired` no longer has, taken off. Tags others added are kept.
/// `None` when nothing changes.
pub fn tag_change(
    existing: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Option<TagChange> {
    let set: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| existing.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut remove: Vec<String> = existing
        .get(MANAGED_TAGS_TAG)
        .map(|list| {
            list.split(' ')
                .filter(|k| !k.is_empty() && !desired.contains_key(*k) && existing.contains_key(*k))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if existing.contains_key(MANAGED_TAGS_TAG) && !desired.contains_key(MANAGED_TAGS_TAG) {
        remove.push(MANAGED_TAGS_TAG.to_owned());
    }
    let was = set
        .keys()
        .chain(remove.iter())
        .filter_map(|k| existing.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    let change = TagChange { set, remove, was };
    (!change.is_empty()).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn sluice_tags_win_over_the_specs_and_the_spec_keys_are_listed() {
        let mut spec = acme();
        assert_eq!(
            tags(&spec),
            map(&[("managed-by", "sluice"), ("sluice:stack", "acme-ingest")])
        );
        spec.tags.insert("team".into(), "data".into());
        spec.tags.insert("cost center".into(), "42".into());
        spec.tags.insert("sluice:stack".into(), "other".into());
        let tags = tags(&spec);
        assert_eq!(tags["sluice:stack"], "acme-ingest");
        assert_eq!(tags["managed-by"], "sluice");
        assert_eq!(tags["team"], "data");
        assert_eq!(tags["sluice:tags"], "cost center team");
        spec.bucket.tags.insert("tier".into(), "raw".into());
        assert_eq!(bucket_tags(&spec)["sluice:tags"], "cost center team tier");
    }

    #[test]
    fn tags_converge_and_keep_what_others_added() {
        let existing = map(&[
            ("managed-by", "sluice"),
            ("sluice:stack", "acme"),
            ("sluice:tags", "env team"),
            ("env", "dev"),
            ("team", "data"),
            ("billing", "finance-added"),
        ]);
        let desired = map(&[
            ("managed-by", "sluice"),
            ("sluice:stack", "acme"),
            ("sluice:tags", "team"),
            ("team", "lake"),
        ]);
        let change = tag_change(&existing, &desired).unwrap();
        assert_eq!(
            change.set,
            map(&[("sluice:tags", "team"), ("team", "lake")])
        );
        assert_eq!(change.remove, ["env"]);
        let after = change.applied_to(&existing);
        assert_eq!(after["billing"], "finance-added");
        assert!(!after.contains_key("env"));
        assert_eq!(tag_change(&after, &desired), None);
        assert_eq!(
            change.describe(),
            "sluice:tags: env team → team, team: data → lake, -env"
        );
        // No spec tags left: the list goes too.
        let bare = map(&[("managed-by", "sluice"), ("sluice:stack", "acme")]);
        let change = tag_change(&after, &bare).unwrap();
        assert_eq!(change.remove, ["team", "sluice:tags"]);
        // A resource from before the list: tags are only added.
        let old = map(&[
            ("managed-by", "sluice"),
            ("sluice:stack", "acme"),
            ("x", "1"),
        ]);
        assert_eq!(tag_change(&old, &bare), None);
    }
}
