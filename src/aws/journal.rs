//! Creations in flight. S3 makes a bucket in one call and tags it in
//! another: an apply stopped between the two (killed, or the tagging call
//! refused) would leave a bucket sluice made that carries no stack tag, which
//! every later plan would refuse as someone else's and destroy would keep.
//! Before CreateBucket, apply records the creation here (sluice's data
//! directory, one file per account and bucket); once the tags are on, it
//! removes the record. A plan that finds an untagged bucket with this
//! stack's record takes it as the stack's and tags it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `<data dir>/creating`.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sluice").map(|d| d.data_dir().join("creating"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    stack: String,
    account: String,
    bucket: String,
    started: String,
}

fn path(dir: &Path, account: &str, bucket: &str) -> PathBuf {
    dir.join(format!("{account}-{bucket}.json"))
}

/// Records that `stack` is creating `bucket` in `account`.
pub fn begin(dir: &Path, account: &str, bucket: &str, stack: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let record = Record {
        stack: stack.to_owned(),
        account: account.to_owned(),
        bucket: bucket.to_owned(),
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let text = serde_json::to_string_pretty(&record).map_err(std::io::Error::other)? + "\n";
    crate::fsutil::write_atomic(&path(dir, account, bucket), text.as_bytes(), Some(0o600))
}

/// The creation of `bucket` is complete (its tags are on), or it is gone.
pub fn end(dir: &Path, account: &str, bucket: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path(dir, account, bucket)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The stack whose apply began creating `bucket` and did not finish, if any.
pub fn claimed_by(dir: &Path, account: &str, bucket: &str) -> Option<String> {
    let text = std::fs::read_to_string(path(dir, account, bucket)).ok()?;
    let record: Record = serde_json::from_str(&text).ok()?;
    (record.account == account && record.bucket == bucket).then_some(record.stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creation_is_claimed_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(claimed_by(dir.path(), "1", "b"), None);
        begin(dir.path(), "1", "b", "acme").unwrap();
        assert_eq!(claimed_by(dir.path(), "1", "b").as_deref(), Some("acme"));
        assert_eq!(claimed_by(dir.path(), "2", "b"), None);
        end(dir.path(), "1", "b").unwrap();
        assert_eq!(claimed_by(dir.path(), "1", "b"), None);
        end(dir.path(), "1", "b").unwrap();
    }
}

/// A record file of this directory: its default when there is none yet. A
/// file that cannot be read as a record (cut short by a full disk, edited
/// by hand) is moved aside as `<name>.damaged-<unix time>`, so that the next
/// write, which starts the record again, loses nothing it held, and the
/// move is logged.
fn read_record<T: serde::de::DeserializeOwned + Default>(path: &Path) -> T {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return T::default(),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "a record of sluice's could not be read");
            return T::default();
        }
    };
    match serde_json::from_str(&text) {
        Ok(record) => record,
        Err(e) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".damaged-{stamp}"));
            let aside = PathBuf::from(aside);
            match std::fs::rename(path, &aside) {
                Ok(()) => tracing::warn!(
                    file = %path.display(),
                    kept = %aside.display(),
                    error = %e,
                    "a damaged record of sluice's was moved aside; it starts again"
                ),
                Err(move_error) => tracing::warn!(
                    file = %path.display(),
                    error = %e,
                    move_error = %move_error,
                    "a damaged record of sluice's could not be moved aside"
                ),
            }
            T::default()
        }
    }
}

#[cfg(test)]
mod record_tests {
    use super::*;

    #[test]
    fn a_damaged_record_is_moved_aside_before_it_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("1-acme-made.json"), "{\"queue\": [\"orders-in\"").unwrap();
        assert!(made::read(d, "1", "acme").is_empty());
        let kept: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            kept.iter()
                .any(|n| n.starts_with("1-acme-made.json.damaged-")),
            "{kept:?}"
        );
        made::record(
            d,
            "1",
            "acme",
            crate::docs::ResourceKind::Queue,
            "orders-out",
        )
        .unwrap();
        let aside = kept
            .iter()
            .find(|n| n.starts_with("1-acme-made.json.damaged-"))
            .unwrap();
        assert!(
            std::fs::read_to_string(d.join(aside))
                .unwrap()
                .contains("orders-in"),
            "what the damaged record held is kept"
        );
        assert_eq!(
            made::names(
                &made::read(d, "1", "acme"),
                crate::docs::ResourceKind::Queue
            )
            .collect::<Vec<_>>(),
            ["orders-out"]
        );
    }
}

/// The access keys whose secret sluice wrote to a 0600 file on this
/// machine, per account and user: a key of the pipeline user that is not
/// listed here had its secret saved elsewhere, or never.
pub mod keys {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn path(dir: &Path, account: &str, user: &str) -> PathBuf {
        dir.join(format!("{account}-{user}-keys.json"))
    }

    /// Key id → the file its secret went to.
    pub fn saved(dir: &Path, account: &str, user: &str) -> BTreeMap<String, String> {
        super::read_record(&path(dir, account, user))
    }

    /// Records that the secret of `key` went to `file`.
    pub fn record(
        dir: &Path,
        account: &str,
        user: &str,
        key: &str,
        file: &Path,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut all = saved(dir, account, user);
        all.insert(key.to_owned(), file.display().to_string());
        let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&path(dir, account, user), text.as_bytes(), Some(0o600))
    }
}

/// The names under which the stack's applies created a queue, role, policy
/// or user from this machine, per account and stack. Orphans are found by
/// the stack's prefix; a resource made under a name outside it (a queue
/// named `orders-in` in stack `acme`) is found through this record once the
/// spec drops it, and proven the stack's by its tag like any other.
/// Recorded before the creating call, so a creation stopped half-way is
/// known too; a name whose resource is gone is passed over.
pub mod made {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use crate::docs::ResourceKind;

    fn path(dir: &Path, account: &str, stack: &str) -> PathBuf {
        dir.join(format!("{account}-{stack}-made.json"))
    }

    /// Kind ("queue", "role", "policy", "user") → the names made.
    pub type Made = BTreeMap<String, BTreeSet<String>>;

    /// What the stack made in `account` from this machine.
    pub fn read(dir: &Path, account: &str, stack: &str) -> Made {
        super::read_record(&path(dir, account, stack))
    }

    /// The names of `kind` in `made`.
    pub fn names(made: &Made, kind: ResourceKind) -> impl Iterator<Item = &str> {
        made.get(kind.as_str())
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Records that the stack is creating `kind` `name` in `account`.
    pub fn record(
        dir: &Path,
        account: &str,
        stack: &str,
        kind: ResourceKind,
        name: &str,
    ) -> std::io::Result<()> {
        let mut all = read(dir, account, stack);
        if !all
            .entry(kind.as_str().to_owned())
            .or_default()
            .insert(name.to_owned())
        {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&path(dir, account, stack), text.as_bytes(), Some(0o600))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_are_kept_per_account_stack_and_kind() {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            record(d, "1", "acme", ResourceKind::Queue, "orders-in").unwrap();
            record(d, "1", "acme", ResourceKind::Queue, "orders-in").unwrap();
            record(d, "1", "acme", ResourceKind::Role, "reader").unwrap();
            record(d, "2", "acme", ResourceKind::Queue, "elsewhere").unwrap();
            let made = read(d, "1", "acme");
            assert_eq!(
                names(&made, ResourceKind::Queue).collect::<Vec<_>>(),
                ["orders-in"]
            );
            assert_eq!(
                names(&made, ResourceKind::Role).collect::<Vec<_>>(),
                ["reader"]
            );
            assert_eq!(names(&made, ResourceKind::User).count(), 0);
            assert!(read(d, "1", "other").is_empty());
        }
    }
}
