//! Reading and writing spec files.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::defaults::{generate_external_id, starter_with_external_id};
use super::{SPEC_VERSION, Spec, ValidationErrors, validate};

/// A spec read from a file, with what had to be filled in that the file did not say.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: Spec,
    /// Values generated rather than read (today: a missing `role.external_id`).
    /// A caller that keeps the spec should save it so they stay stable.
    pub generated: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read spec {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{origin}: not valid JSON: {error}")]
    Syntax {
        origin: String,
        error: serde_json::Error,
    },
    #[error("{origin}: {message}")]
    Shape { origin: String, message: String },
    #[error("{origin}: invalid spec:\n{errors}")]
    Invalid {
        origin: String,
        errors: ValidationErrors,
    },
}

/// Reads, completes and validates the spec at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|error| LoadError::Read {
        path: path.to_owned(),
        error,
    })?;
    from_json_str(&text, &path.display().to_string())
}

/// Parses, completes and validates a spec; `origin` names the source in errors.
pub fn from_json_str(text: &str, origin: &str) -> Result<Loaded, LoadError> {
    let shape = |message: String| LoadError::Shape {
        origin: origin.to_owned(),
        message,
    };
    let value: Value = serde_json::from_str(text).map_err(|error| LoadError::Syntax {
        origin: origin.to_owned(),
        error,
    })?;
    let Value::Object(given) = value else {
        return Err(shape("a spec is a JSON object".to_owned()));
    };
    match given.get("version") {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(SPEC_VERSION)) => {}
        Some(other) => {
            return Err(shape(format!(
                "version: {other} is not supported; this sluice reads version {SPEC_VERSION}"
            )));
        }
    }
    let required = |key: &str| -> Result<String, LoadError> {
        match given.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(shape(format!("{key}: must be a string"))),
            None => Err(shape(format!("{key}: missing; it is required"))),
        }
    };
    let name = required("name")?;
    let region = required("region")?;
    let account_id = match given.get("account_id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };

    let mut generated = Vec::new();
    let has_external_id = given
        .get("role")
        .and_then(|role| role.get("external_id"))
        .is_some();
    let external_id = if has_external_id {
        String::new() // overwritten by the file's value in the merge below
    } else {
        let id = generate_external_id();
        generated.push(format!(
            "role.external_id was not set; generated {id}. Save it in the spec, or it changes on every run"
        ));
        id
    };
    let defaults = starter_with_external_id(&name, &region, account_id.as_deref(), external_id);
    let mut merged = serde_json::to_value(&defaults).map_err(|e| shape(e.to_string()))?;
    overlay(&mut merged, Value::Object(given));

    let spec: Spec = serde_path_to_error::deserialize(merged).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        shape(if path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        })
    })?;
    validate(&spec).map_err(|errors| LoadError::Invalid {
        origin: origin.to_owned(),
        errors,
    })?;
    Ok(Loaded { spec, generated })
}

/// One `PATH=VALUE` setting, as `sluice init --set` takes it: the value is
/// JSON when it parses as JSON (`900`, `true`, `["a"]`), else a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Dotted spec path, e.g. `queue.visibility_timeout_secs`.
    pub path: String,
    pub value: Value,
}

impl std::str::FromStr for Setting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((path, raw)) = s.split_once('=') else {
            return Err(format!(
                "{s}: expected PATH=VALUE, e.g. bucket.prefix=logs/"
            ));
        };
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("{s}: `{path}` is not a dotted spec path"));
        }
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
        Ok(Setting {
            path: path.to_owned(),
            value,
        })
    }
}

/// `spec` with `settings` laid over it, read back through the loader so that
/// unknown paths and wrong types are refused by name; `origin` names them.
pub fn with_settings(spec: &Spec, settings: &[Setting], origin: &str) -> Result<Spec, LoadError> {
    let shape = |message: String| LoadError::Shape {
        origin: origin.to_owned(),
        message,
    };
    let mut value = serde_json::to_value(spec).map_err(|e| shape(e.to_string()))?;
    for setting in settings {
        let mut slot = &mut value;
        for part in setting.path.split('.') {
            let Some(object) = slot.as_object_mut() else {
                return Err(shape(format!(
                    "{}: does not name a spec value",
                    setting.path
                )));
            };
            slot = object.entry(part.to_owned()).or_insert(Value::Null);
        }
        *slot = setting.value.clone();
    }
    Ok(from_json_str(&value.to_string(), origin)?.spec)
}

/// Lays `over` onto `base`: objects merge key by key, anything else replaces.
/// Keys unknown to `base` are kept so that deserialization rejects them by path.
fn overlay(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => overlay_map(base, over),
        (base, over) => *base = over,
    }
}

fn overlay_map(base: &mut Map<String, Value>, over: Map<String, Value>) {
    for (key, value) in over {
        match base.get_mut(&key) {
            Some(slot) => overlay(slot, value),
            None => {
                base.insert(key, value);
            }
        }
    }
}

/// The spec as sluice writes it: pretty JSON in a stable key order, newline-terminated.
pub fn to_json_string(spec: &Spec) -> String {
    let mut text = serde_json::to_string_pretty(spec).unwrap_or_else(|e| {
        // A Spec holds only strings, numbers, booleans, maps with string keys.
        unreachable!("a Spec always serializes: {e}")
    });
    text.push('\n');
    text
}

/// Writes the spec to `path`, replacing it atomically.
pub fn save(spec: &Spec, path: &Path) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, to_json_string(spec).as_bytes(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Loaded, LoadError> {
        from_json_str(text, "test.json")
    }

    #[test]
    fn name_and_region_are_enough() {
        let loaded = load_str(r#"{"name": "acme-ingest", "region": "us-west-2"}"#).unwrap();
        assert_eq!(loaded.spec.bucket.name, "acme-ingest-source");
        assert_eq!(loaded.spec.queue.visibility_timeout_secs, 600);
        assert_eq!(loaded.generated.len(), 1, "{:?}", loaded.generated);
        assert!(loaded.generated[0].contains("role.external_id"));
    }

    #[test]
    fn given_values_win_over_defaults() {
        let loaded = load_str(
            r#"{"name": "acme-ingest", "region": "us-west-2",
                "queue": {"visibility_timeout_secs": 900, "dead_letter": {"enabled": false}},
                "role": {"external_id": "vendor-org-42"}}"#,
        )
        .unwrap();
        let spec = loaded.spec;
        assert_eq!(spec.queue.visibility_timeout_secs, 900);
        assert!(!spec.queue.dead_letter.enabled);
        assert_eq!(spec.queue.dead_letter.name, "acme-ingest-queue-dlq");
        assert_eq!(spec.role.external_id, "vendor-org-42");
        assert!(loaded.generated.is_empty());
    }

    #[test]
    fn unknown_keys_are_named_by_path() {
        let err = load_str(
            r#"{"name": "acme-ingest", "region": "us-west-2", "queue": {"visiblity_timeout_secs": 5}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("queue.visiblity_timeout_secs"), "{err}");
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        let err = load_str(
            r#"{"name": "acme-ingest", "region": "us-west-2", "queue": {"dead_letter": {"max_receive_count": "five"}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("queue.dead_letter.max_receive_count"), "{err}");
        let err = load_str(
            r#"{"name": "acme-ingest", "region": "us-west-2", "bucket": {"encryption": "aes"}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bucket.encryption"), "{err}");
    }

    #[test]
    fn missing_required_keys_and_bad_versions_are_refused() {
        let err = load_str(r#"{"region": "us-west-2"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("name: missing"), "{err}");
        let err = load_str(r#"{"name": "a-b", "region": "us-west-2", "version": 2}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("version: 2 is not supported"), "{err}");
        let err = load_str("[1]").unwrap_err().to_string();
        assert!(err.contains("a spec is a JSON object"), "{err}");
        let err = load_str("{").unwrap_err().to_string();
        assert!(err.starts_with("test.json: not valid JSON"), "{err}");
    }

    #[test]
    fn settings_parse_as_json_or_text_and_are_checked_by_path() {
        let spec = super::super::starter("acme-ingest", "us-west-2", Some("123456789012"));
        let settings: Vec<Setting> = [
            "queue.visibility_timeout_secs=900",
            "bucket.prefix=logs/",
            "role.trusted_principals=[\"123456789012\"]",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let set = with_settings(&spec, &settings, "--set").unwrap();
        assert_eq!(set.queue.visibility_timeout_secs, 900);
        assert_eq!(set.bucket.prefix, "logs/");
        assert_eq!(set.role.trusted_principals, ["123456789012"]);
        assert!("bucket.prefix".parse::<Setting>().is_err());
        assert!("a..b=1".parse::<Setting>().is_err());
        let typo: Setting = "queue.visiblity=5".parse().unwrap();
        let err = with_settings(&spec, &[typo], "--set")
            .unwrap_err()
            .to_string();
        assert!(err.contains("queue.visiblity"), "{err}");
        let through: Setting = "name.x=5".parse().unwrap();
        let err = with_settings(&spec, &[through], "--set")
            .unwrap_err()
            .to_string();
        assert!(err.contains("name.x: does not name a spec value"), "{err}");
    }

    #[test]
    fn a_written_spec_reads_back_identical() {
        let spec = super::super::starter("acme-ingest", "us-west-2", Some("123456789012"));
        let text = to_json_string(&spec);
        let loaded = load_str(&text).unwrap();
        assert_eq!(loaded.spec, spec);
        assert!(loaded.generated.is_empty());
        assert_eq!(to_json_string(&loaded.spec), text);
    }
}
