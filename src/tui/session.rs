//! Wizard sessions: the spec being designed, autosaved as a spec file (the
//! same format `sluice plan --config` reads; no secrets) in
//! `<config dir>/sessions/<stack name>.json`, and offered for resume; beside
//! it, `<stack name>.place` remembers where the user was (the step), the
//! spec file they saved to and when the wizard last applied the spec, so
//! that a resumed session goes on from there and the list can tell
//! sessions apart. Deleting a session removes these two files only.
//!
//! The functions here do file I/O; the runtime calls them, never `update`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::step::Step;
use crate::spec::{self, Connector, LoadError, Spec};

/// Where a session was left: the step, the spec file Ctrl-S wrote, and
/// when the wizard last applied the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub step: Step,
    pub save_path: Option<PathBuf>,
    pub applied: Option<SystemTime>,
}

/// The place file of the session file `spec`.
pub fn place_path(spec: &Path) -> PathBuf {
    spec.with_extension("place")
}

/// Writes the place of the session at `spec` (atomically).
pub fn write_place(spec: &Path, place: &Place) -> std::io::Result<()> {
    let json = serde_json::json!({
        "step": place.step.place(),
        "config": place.save_path.as_ref().map(|p| p.display().to_string()),
        "applied": place.applied.map(|t| DateTime::<Utc>::from(t).to_rfc3339()),
    });
    crate::fsutil::write_atomic(
        &place_path(spec),
        format!("{json:#}\n").as_bytes(),
        Some(0o644),
    )
}

/// The place of the session at `spec`; `None` when it has none or it does
/// not read (a session from before places were kept opens on Welcome).
pub fn read_place(spec: &Path) -> Option<Place> {
    let text = std::fs::read_to_string(place_path(spec)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(Place {
        step: Step::from_place(value["step"].as_str()?)?,
        save_path: value["config"].as_str().map(PathBuf::from),
        applied: value["applied"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(SystemTime::from),
    })
}

/// `<config dir>/sessions`, e.g. `~/.config/sluice/sessions` on Linux.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sluice").map(|d| d.config_dir().join("sessions"))
}

/// A saved session, as listed for resume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub path: PathBuf,
    /// The stack name (the file's stem).
    pub name: String,
    pub modified: Option<SystemTime>,
    /// The spec's connector, when the file names one that sluice knows.
    pub connector: Option<Connector>,
    /// Where it was left, when its place file reads: a step its spec's
    /// shape no longer has stands as the step resuming lands on.
    pub place: Option<Place>,
}

/// The session file of a stack.
pub fn path_for(dir: &Path, stack: &str) -> PathBuf {
    dir.join(format!("{stack}.json"))
}

/// Saved sessions, newest first. A missing directory has none.
pub fn list(dir: &Path) -> std::io::Result<Vec<SessionInfo>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut sessions = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        let modified = entry.metadata().and_then(|m| m.modified()).ok();
        let spec = spec::load(&path).ok().map(|l| l.spec);
        let place = read_place(&path).map(|mut place| {
            if let Some(spec) = &spec {
                place.step = place.step.or_next(spec);
            }
            place
        });
        sessions.push(SessionInfo {
            connector: spec
                .as_ref()
                .map(|s| s.connector)
                .or_else(|| connector_of(&path)),
            place,
            path,
            name,
            modified,
        });
    }
    sessions.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.name.cmp(&b.name)));
    Ok(sessions)
}

/// The connector the spec file at `path` names, if it reads.
fn connector_of(path: &Path) -> Option<Connector> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["connector"].as_str()?.parse().ok()
}

/// Deletes the session at `spec` (its spec file and its place): only
/// these files, never anything in AWS. A place already gone is no error.
pub fn delete(spec: &Path) -> std::io::Result<()> {
    std::fs::remove_file(spec)?;
    match std::fs::remove_file(place_path(spec)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A spec read for the wizard: a valid one as `sluice` reads it (defaults
/// filled in); one that breaks rules is still opened, so the wizard can show
/// each broken field for fixing. Only unreadable or malformed files fail.
pub fn read_spec(path: &Path) -> Result<(Spec, Vec<String>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_spec(&text, &path.display().to_string())
}

/// [`read_spec`] of text; `origin` names it in errors.
pub fn parse_spec(text: &str, origin: &str) -> Result<(Spec, Vec<String>), String> {
    match spec::from_json_str(text, origin) {
        Ok(loaded) => Ok((loaded.spec, loaded.generated)),
        Err(LoadError::Invalid { errors, .. }) => {
            // Complete (every key present, as sluice writes it) but breaking rules.
            let spec: Spec = serde_json::from_str(text)
                .map_err(|e| format!("{origin}: invalid spec:\n{errors}\n({e})"))?;
            let notes = errors
                .0
                .iter()
                .map(|e| super::fields::error_line(&spec, e))
                .collect();
            Ok((spec, notes))
        }
        Err(other) => Err(other.to_string()),
    }
}

/// Writes `spec` to `path` atomically (creating its directory).
pub fn write_spec(path: &Path, spec: &Spec) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsutil::write_atomic(path, spec::to_json_string(spec).as_bytes(), Some(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_list_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
        let a = spec::starter("alpha", "us-west-2", None);
        let b = spec::starter("beta", "eu-west-1", None);
        write_spec(&path_for(dir.path(), "alpha"), &a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_spec(&path_for(dir.path(), "beta"), &b).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let listed = list(dir.path()).unwrap();
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["beta", "alpha"]);
        let (read, notes) = read_spec(&listed[1].path).unwrap();
        assert_eq!(read, a);
        assert!(notes.is_empty());
    }

    #[test]
    fn a_place_round_trips_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let spec = path_for(dir.path(), "alpha");
        assert_eq!(read_place(&spec), None);
        let place = Place {
            step: Step::Bucket,
            save_path: Some(PathBuf::from("/work/wiz.json")),
            applied: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)),
        };
        write_place(&spec, &place).unwrap();
        assert_eq!(read_place(&spec), Some(place));
        assert!(
            list(dir.path()).unwrap().is_empty(),
            "a place is not a session"
        );
        std::fs::write(place_path(&spec), "{\"step\": \"nowhere\"}").unwrap();
        assert_eq!(read_place(&spec), None);
    }

    #[test]
    fn a_listed_session_has_its_connector_and_place_and_deleting_removes_its_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec::starter_for(Connector::TreasureData, "td", "us-west-2", None);
        let path = path_for(dir.path(), "td");
        write_spec(&path, &spec).unwrap();
        let place = Place {
            step: Step::Notification,
            save_path: None,
            applied: None,
        };
        write_place(&path, &place).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed[0].connector, Some(Connector::TreasureData));
        // A pull import has no Notification step: the list shows where
        // resuming lands, the next step it has.
        assert_eq!(
            listed[0].place,
            Some(Place {
                step: Step::Review,
                ..place.clone()
            })
        );
        delete(&path).unwrap();
        assert!(!path.exists() && !place_path(&path).exists());
        assert!(dir.path().join("notes.txt").exists());
        assert!(list(dir.path()).unwrap().is_empty());
        // Without a place, the spec file alone goes.
        write_spec(&path, &spec).unwrap();
        delete(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_spec_breaking_rules_still_opens_with_its_errors() {
        let mut spec = spec::starter("alpha", "us-west-2", None);
        spec.bucket.name = "Bad_Name".into();
        let text = spec::to_json_string(&spec);
        let (read, notes) = parse_spec(&text, "s.json").unwrap();
        assert_eq!(read.bucket.name, "Bad_Name");
        assert!(
            notes[0].starts_with("Bucket name (Bucket step):"),
            "{notes:?}"
        );
        assert!(
            parse_spec("{", "s.json")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
