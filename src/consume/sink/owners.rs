//! The owners of a dir sink's directory: each consumer's claim (a locked
//! lock file), and the removal of temporary files whose owner is gone.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) const OWNER_PREFIX: &str = ".sluice-owner-";

/// Creates this owner's lock file, locked, under its final name. The file is
/// made and locked under a name no other consumer looks at, then renamed:
/// others never see it unlocked (and take its owner for gone). It stays open
/// read-only, so that it does not count as a writer on the file system (a
/// read-only remount would otherwise be refused while the consumer runs).
pub(super) fn claim(root: &Path, token: &str, lock_path: &Path) -> io::Result<File> {
    let claim_path = root.join(format!("{OWNER_PREFIX}{token}{CLAIM_SUFFIX}"));
    drop(
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&claim_path)?,
    );
    let locked = File::open(&claim_path).and_then(|file| {
        file.try_lock().map_err(io::Error::other)?;
        std::fs::rename(&claim_path, lock_path)?;
        Ok(file)
    });
    if locked.is_err() {
        let _ = std::fs::remove_file(&claim_path);
    }
    locked
}

/// A claim being made (see [`claim`]); one older than this was left by a
/// consumer killed while claiming, and is removed.
const CLAIM_SUFFIX: &str = ".claim";
const STALE_CLAIM: Duration = Duration::from_secs(3600);

/// The owners of `root` (other than `ours`) whose lock is free: gone.
pub(super) fn gone_owners(root: &Path, ours: &str) -> io::Result<Vec<(String, PathBuf)>> {
    let mut gone = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(OWNER_PREFIX) && name.ends_with(CLAIM_SUFFIX) {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_CLAIM);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
            continue;
        }
        let Some(token) = name
            .strip_prefix(OWNER_PREFIX)
            .and_then(|n| n.strip_suffix(".lock"))
        else {
            continue;
        };
        if token == ours {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        // Locked by a live consumer: its temporaries are in use.
        if file.try_lock().is_ok() {
            gone.push((token.to_owned(), entry.path()));
        }
    }
    Ok(gone)
}

/// The owner token in a temporary file's name (`.<name>.<token>.tmp`), if any.
fn temporary_owner(name: &str) -> Option<Option<&str>> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    Some(
        inner
            .rsplit_once('.')
            .map(|(_, token)| token)
            .filter(|t| t.starts_with("owner-")),
    )
}

/// Removes the temporary files of the `gone` owners, and those of runs from
/// before owners were claimed.
pub(super) fn remove_stale_temporaries(dir: &Path, gone: &[(String, PathBuf)]) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_stale_temporaries(&path, gone)?;
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = match temporary_owner(&name) {
            None => false,
            Some(None) => true,
            Some(Some(token)) => gone.iter().any(|(t, _)| t == token),
        };
        if stale {
            tracing::warn!(path = %path.display(), "removing a temporary file of an interrupted run");
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
