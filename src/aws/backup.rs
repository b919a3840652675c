//! Backups: before apply changes anything that already existed, its prior
//! state is written as JSON into a timestamped directory; `restore` puts it back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::docs::ResourceKind;
use crate::docs::policy::Policy;
pub use crate::docs::{BucketPart, BucketSetting};
use crate::docs::{NotificationConfiguration, PartValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One saved prior state. `None` values mean "did not exist": restoring removes ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Saved {
    PolicyDocument {
        policy_arn: String,
        document: Policy,
    },
    TrustPolicy {
        role: String,
        document: Policy,
    },
    QueueAttributes {
        queue: String,
        attributes: BTreeMap<String, String>,
    },
    BucketPolicy {
        bucket: String,
        policy: Option<Policy>,
    },
    BucketSetting {
        bucket: String,
        setting: BucketSetting,
        value: Option<Value>,
    },
    Notification {
        bucket: String,
        configuration: NotificationConfiguration,
    },
    /// The attributes sluice changed on the queue's subscription to a topic.
    SubscriptionAttributes {
        subscription_arn: String,
        attributes: BTreeMap<String, String>,
    },
    /// An EventBridge rule as it was before sluice changed it.
    Rule {
        name: String,
        event_pattern: Value,
        state: String,
        description: String,
    },
    /// An alarm's definition before apply changed it.
    Alarm {
        definition: crate::docs::MetricAlarm,
    },
    /// The access policy of the alarms' topic before apply changed it
    /// (`None`: SNS's default policy).
    TopicPolicy {
        topic_arn: String,
        policy: Option<Policy>,
    },
    /// Messages a queue held when destroy deleted it (restoring sends them
    /// to the queue of that name again).
    QueueMessages {
        queue: String,
        /// Each with its `MessageId`, `Body`, `Attributes` and `MessageAttributes`.
        messages: Vec<Value>,
    },
    /// A resource of the stack apply removed because the spec no longer
    /// names it: what it was (a queue's attributes, a role's trust policy
    /// and attachments, a policy's document, a user's attachments and key
    /// ids), for the record. Restore cannot make it again: apply the spec
    /// that named it.
    Removed {
        /// A queue (or dead-letter queue), role, policy, user, alarm or
        /// alarm topic; written as `ResourceKind::as_str` words it.
        resource: ResourceKind,
        name: String,
        record: Value,
    },
}

/// A bucket part's backup.
impl BucketPart {
    /// The prior state of this part of `bucket`, as a backup keeps it
    /// (`None`: the bucket did not have it). A value is always filed under
    /// its own part.
    pub fn saved(self, bucket: &str, value: Option<&PartValue>) -> Saved {
        let bucket = bucket.to_owned();
        match (value.map_or(self, PartValue::part), value) {
            (_, Some(PartValue::Policy(policy))) => Saved::BucketPolicy {
                bucket,
                policy: Some((**policy).clone()),
            },
            (BucketPart::Policy, _) => Saved::BucketPolicy {
                bucket,
                policy: None,
            },
            (BucketPart::Setting(setting), value) => Saved::BucketSetting {
                bucket,
                setting,
                value: value.map(crate::docs::json),
            },
        }
    }
}

/// A setting's name in a backup's file names.
fn setting_stem(setting: BucketSetting) -> &'static str {
    match setting {
        BucketSetting::PublicAccessBlock => "public-access-block",
        BucketSetting::OwnershipControls => "ownership-controls",
        BucketSetting::Encryption => "encryption",
        BucketSetting::Versioning => "versioning",
        BucketSetting::ObjectLock => "object-lock",
    }
}

impl Saved {
    /// A file name for it, unique within one backup.
    fn file_stem(&self) -> String {
        match self {
            Saved::PolicyDocument { .. } => "permissions-policy".to_owned(),
            Saved::TrustPolicy { role, .. } => format!("trust-policy-{role}"),
            Saved::QueueAttributes { queue, .. } => format!("queue-attributes-{queue}"),
            Saved::BucketPolicy { .. } => "bucket-policy".to_owned(),
            Saved::BucketSetting { setting, .. } => format!("bucket-{}", setting_stem(*setting)),
            Saved::Notification { .. } => "bucket-notification".to_owned(),
            Saved::QueueMessages { queue, .. } => format!("queue-messages-{queue}"),
            Saved::SubscriptionAttributes { .. } => "subscription-attributes".to_owned(),
            Saved::Rule { name, .. } => format!("rule-{name}"),
            Saved::Alarm { definition } => format!("alarm-{}", definition.alarm_name),
            Saved::TopicPolicy { .. } => "alarm-topic-policy".to_owned(),
            // A subscription is named by its ARN: its colons are no
            // file name's.
            Saved::Removed { resource, name, .. } => {
                format!(
                    "removed-{}-{}",
                    resource.as_str(),
                    name.replace([':', '/'], "-")
                )
            }
        }
    }
}

/// The index of a backup directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub stack: String,
    pub region: String,
    pub account: String,
    pub created_at: String,
    /// Files, in the order they were saved.
    pub files: Vec<String>,
    /// For a saved file, the file holding what sluice then wrote in its
    /// place (restore keeps what others changed after that write).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub written: BTreeMap<String, String>,
}

/// A saved prior state and, where it was recorded, what sluice wrote over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub saved: Saved,
    pub written: Option<Value>,
}

/// A backup being written: the directory is made on the first save only, so
/// an apply that changes nothing that existed leaves no empty directory.
#[derive(Debug)]
pub struct Backup {
    base: PathBuf,
    manifest: Manifest,
    dir: Option<PathBuf>,
}

/// `<data dir>/backups`, where backups go unless `--backup-dir` says otherwise.
pub fn default_base() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sluice").map(|d| d.data_dir().join("backups"))
}

impl Backup {
    pub fn new(base: PathBuf, stack: &str, region: &str, account: &str) -> Self {
        Backup {
            base,
            manifest: Manifest {
                stack: stack.to_owned(),
                region: region.to_owned(),
                account: account.to_owned(),
                created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                files: Vec::new(),
                written: BTreeMap::new(),
            },
            dir: None,
        }
    }

    /// The directory, once something was saved.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Writes `item` (and the updated manifest); returns its path.
    pub fn save(&mut self, item: &Saved) -> std::io::Result<PathBuf> {
        let dir = match &self.dir {
            Some(dir) => dir.clone(),
            None => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                let dir = self.base.join(&self.manifest.stack).join(stamp.to_string());
                std::fs::create_dir_all(&dir)?;
                self.dir = Some(dir.clone());
                dir
            }
        };
        let stem = item.file_stem();
        let mut name = format!("{stem}.json");
        let mut n = 2;
        while self.manifest.files.contains(&name) {
            name = format!("{stem}-{n}.json");
            n += 1;
        }
        let path = dir.join(&name);
        let text = serde_json::to_string_pretty(item).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&path, text.as_bytes(), Some(0o600))?;
        self.manifest.files.push(name);
        let manifest =
            serde_json::to_string_pretty(&self.manifest).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&dir.join("manifest.json"), manifest.as_bytes(), Some(0o600))?;
        Ok(path)
    }
}

impl Backup {
    /// Records what was written over the item saved last (at `saved`, a
    /// path [`Backup::save`] returned).
    pub fn save_written(&mut self, saved: &Path, value: &Value) -> std::io::Result<()> {
        let (Some(dir), Some(name)) = (&self.dir, saved.file_name().and_then(|n| n.to_str()))
        else {
            return Ok(());
        };
        let written = format!("{}.written.json", name.trim_end_matches(".json"));
        let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&dir.join(&written), text.as_bytes(), Some(0o600))?;
        self.manifest.written.insert(name.to_owned(), written);
        let manifest =
            serde_json::to_string_pretty(&self.manifest).map_err(std::io::Error::other)? + "\n";
        crate::fsutil::write_atomic(&dir.join("manifest.json"), manifest.as_bytes(), Some(0o600))
    }
}

/// Reads a backup directory with what sluice wrote over each saved state
/// (where the backup recorded it).
pub fn read_entries(dir: &Path) -> Result<(Manifest, Vec<Entry>), ReadError> {
    let (manifest, items) = read(dir)?;
    let mut entries = Vec::new();
    for (file, saved) in manifest.files.iter().zip(items) {
        let written = match manifest.written.get(file) {
            Some(name) => {
                let path = dir.join(name);
                let text = std::fs::read_to_string(&path).map_err(|error| ReadError::Io {
                    path: path.clone(),
                    error,
                })?;
                Some(
                    serde_json::from_str(&text)
                        .map_err(|error| ReadError::Format { path, error })?,
                )
            }
            None => None,
        };
        entries.push(Entry { saved, written });
    }
    Ok((manifest, entries))
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is not a sluice backup file: {error}")]
    Format {
        path: PathBuf,
        error: serde_json::Error,
    },
}

/// Reads a backup directory: its manifest and saved items, in saved order.
pub fn read(dir: &Path) -> Result<(Manifest, Vec<Saved>), ReadError> {
    let load = |path: PathBuf| -> Result<String, ReadError> {
        std::fs::read_to_string(&path).map_err(|error| ReadError::Io { path, error })
    };
    let manifest_path = dir.join("manifest.json");
    let manifest: Manifest =
        serde_json::from_str(&load(manifest_path.clone())?).map_err(|error| ReadError::Format {
            path: manifest_path,
            error,
        })?;
    let items = manifest
        .files
        .iter()
        .map(|file| {
            let path = dir.join(file);
            serde_json::from_str(&load(path.clone())?)
                .map_err(|error| ReadError::Format { path, error })
        })
        .collect::<Result<Vec<Saved>, _>>()?;
    Ok((manifest, items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_removed_resource_is_recorded_by_its_kinds_word_and_read_back_typed() {
        let removed = Saved::Removed {
            resource: ResourceKind::DeadLetterQueue,
            name: "acme-dlq".into(),
            record: json!({"VisibilityTimeout": "30"}),
        };
        let text = serde_json::to_value(&removed).unwrap();
        assert_eq!(text["resource"], "dead-letter-queue");
        assert_eq!(removed.file_stem(), "removed-dead-letter-queue-acme-dlq");
        let back: Saved = serde_json::from_value(text).unwrap();
        assert_eq!(back, removed);
        // A record of a kind sluice does not know is refused, not guessed.
        let mut unknown = serde_json::to_value(&removed).unwrap();
        unknown["resource"] = json!("table");
        assert!(serde_json::from_value::<Saved>(unknown).is_err());
    }

    #[test]
    fn saves_lazily_and_reads_back_in_order() {
        let base = tempfile::tempdir().unwrap();
        let mut backup = Backup::new(base.path().to_owned(), "acme", "us-west-2", "123456789012");
        assert!(backup.dir().is_none());
        let a = Saved::TrustPolicy {
            role: "r".into(),
            document: Policy::new(Vec::new()),
        };
        let b = Saved::BucketSetting {
            bucket: "b".into(),
            setting: BucketSetting::Encryption,
            value: None,
        };
        let c = Saved::TrustPolicy {
            role: "r".into(),
            document: Policy::parse("{}").unwrap(),
        };
        for item in [&a, &b, &c] {
            backup.save(item).unwrap();
        }
        let dir = backup.dir().unwrap().to_owned();
        assert!(dir.starts_with(base.path().join("acme")));
        let (manifest, items) = read(&dir).unwrap();
        assert_eq!(
            manifest.files,
            [
                "trust-policy-r.json",
                "bucket-encryption.json",
                "trust-policy-r-2.json"
            ]
        );
        assert_eq!(items, [a, b, c]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("manifest.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn reading_a_non_backup_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("manifest.json"), "{err}");
        std::fs::write(dir.path().join("manifest.json"), "{}").unwrap();
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is not a sluice backup file"), "{err}");
    }
}
