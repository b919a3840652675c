//! When apply last changed a part of a route that AWS takes minutes to put
//! into effect, kept per stack so that verify (in this run or a later one)
//! waits long enough for the event and says why. AWS's documents:
//!
//! - S3, "Using Amazon SQS, Amazon SNS, and Lambda": "After you create or
//!   change the bucket notification configuration, it usually takes about
//!   five minutes for the changes to take effect."
//! - S3, "Enabling Amazon EventBridge": "After you enable EventBridge, it
//!   takes around five minutes for the changes to take effect."
//! - SNS, "Applying a subscription filter policy": "Additions or changes to
//!   a subscription filter policy require up to 15 minutes to fully take
//!   effect."
//!
//! The record is a small JSON file per stack in sluice's data directory
//! (`recent/<account>-<region>-<stack>.json`); nothing secret is in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// A change that takes AWS a while to put into effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// The bucket's notification configuration (our direct entry).
    Notification,
    /// The bucket's EventBridge delivery turned on.
    Eventbridge,
    /// The queue's subscription to the topic, or its filter policy.
    Subscription,
}

impl Change {
    /// How long AWS documents the change may take.
    pub fn settles_in(self) -> Duration {
        match self {
            Change::Notification | Change::Eventbridge => Duration::from_secs(5 * 60),
            Change::Subscription => Duration::from_secs(15 * 60),
        }
    }

    /// What changed and what AWS says of it, in words.
    pub fn words(self) -> &'static str {
        match self {
            Change::Notification => {
                "the bucket's notification configuration changed, and S3 says a change \"usually takes about five minutes\" to take effect"
            }
            Change::Eventbridge => {
                "the bucket's EventBridge delivery was turned on, and S3 says that \"takes around five minutes\" to take effect"
            }
            Change::Subscription => {
                "the queue's subscription to the topic changed, and SNS says subscription filter changes \"require up to 15 minutes to fully take effect\""
            }
        }
    }
}

/// A recent change, with when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fresh {
    pub change: Change,
    pub at: SystemTime,
}

impl Fresh {
    /// How long until AWS's documented time for it has passed (zero once it has).
    pub fn remaining(&self, now: SystemTime) -> Duration {
        let since = now.duration_since(self.at).unwrap_or_default();
        self.change.settles_in().saturating_sub(since)
    }
}

/// The file: each change with its time (seconds since the epoch).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    changes: BTreeMap<Change, u64>,
}

/// sluice's own directory for these records, when the system has one.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sluice").map(|d| d.data_dir().join("recent"))
}

fn path(dir: &Path, spec: &Spec, account: &str) -> PathBuf {
    dir.join(format!("{account}-{}-{}.json", spec.region, spec.name))
}

/// Records that `changes` were made now. A failure to write only costs the
/// longer wait: it is logged, not returned.
pub fn record(dir: &Path, spec: &Spec, account: &str, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let file = path(dir, spec, account);
    let mut record: Record = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for change in changes {
        record.changes.insert(*change, now);
    }
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        let text = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&file, &text, Some(0o600))
    });
    if let Err(e) = written {
        tracing::warn!(file = %file.display(), error = %e, "cannot record the route's change");
    }
}

fn read(dir: &Path, spec: &Spec, account: &str) -> Option<Record> {
    serde_json::from_slice(&std::fs::read(path(dir, spec, account)).ok()?).ok()
}

/// The change whose documented time has the longest left, if any has time left.
pub fn fresh(dir: &Path, spec: &Spec, account: &str, now: SystemTime) -> Option<Fresh> {
    let record = read(dir, spec, account)?;
    record
        .changes
        .iter()
        .map(|(change, secs)| Fresh {
            change: *change,
            at: UNIX_EPOCH + Duration::from_secs(*secs),
        })
        .filter(|f| !f.remaining(now).is_zero())
        .max_by_key(|f| f.remaining(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_stays_fresh_for_the_time_aws_documents() {
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::spec::starter("acme", "us-west-2", Some("123456789012"));
        let now = SystemTime::now();
        assert_eq!(fresh(dir.path(), &spec, "123456789012", now), None);
        record(dir.path(), &spec, "123456789012", &[Change::Notification]);
        let found = fresh(dir.path(), &spec, "123456789012", now).unwrap();
        assert_eq!(found.change, Change::Notification);
        assert!(found.remaining(now) > Duration::from_secs(4 * 60));
        // Another stack, another account: nothing.
        assert_eq!(fresh(dir.path(), &spec, "210987654321", now), None);
        // The subscription's 15 minutes outlast the notification's five.
        record(dir.path(), &spec, "123456789012", &[Change::Subscription]);
        let later = now + Duration::from_secs(6 * 60);
        assert_eq!(
            fresh(dir.path(), &spec, "123456789012", later).map(|f| f.change),
            Some(Change::Subscription)
        );
        assert_eq!(
            fresh(
                dir.path(),
                &spec,
                "123456789012",
                now + Duration::from_secs(16 * 60)
            ),
            None
        );
    }
}
