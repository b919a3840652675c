//! Reading and writing spec files.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::defaults::{generate_external_id, rename_queue, starter_with_external_id};
use super::json::{duplicate_keys, escape};
use super::{
    Connector, FieldError, SPEC_VERSION, Spec, ValidationErrors, path, validate_unresolved,
};

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
    /// Keys the spec does not have, or values of the wrong type: all of them.
    #[error("{origin}: {}", fields_text(errors))]
    Fields {
        origin: String,
        errors: Vec<FieldError>,
    },
    #[error("{origin}: invalid spec:\n{errors}")]
    Invalid {
        origin: String,
        errors: ValidationErrors,
    },
}

fn fields_text(errors: &[FieldError]) -> String {
    let mut out = match errors.len() {
        1 => "1 problem:".to_owned(),
        n => format!("{n} problems:"),
    };
    for e in errors {
        out.push_str(&format!("\n  {}: {}", e.path, e.message));
    }
    out
}

/// The most shape problems reported at once.
const MAX_SHAPE_ERRORS: usize = 100;

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
    let duplicates = duplicate_keys(text);
    if !duplicates.is_empty() {
        return Err(LoadError::Fields {
            origin: origin.to_owned(),
            errors: duplicates
                .into_iter()
                .map(|d| FieldError {
                    path: escape(&d.path),
                    message: format!(
                        "given twice, at line {} column {} and at line {} column {}: keep one",
                        d.first.0, d.first.1, d.second.0, d.second.1
                    )
                    .into(),
                })
                .collect(),
        });
    }
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

    // The connector's profile gives the defaults; a wrong value is reported
    // by the read below, at its path.
    let connector = given
        .get("connector")
        .and_then(Value::as_str)
        .and_then(|c| c.parse::<Connector>().ok())
        .unwrap_or(Connector::Generic);
    let mut generated = Vec::new();
    let has_external_id = given
        .get("role")
        .and_then(|role| role.get("external_id"))
        .is_some();
    let sluice_gives_it =
        super::profile(connector).external_id == super::profiles::ExternalId::Generated;
    let external_id = if has_external_id || !sluice_gives_it {
        String::new() // overwritten by the file's value in the merge below
    } else {
        let id = generate_external_id();
        generated.push(format!(
            "role.external_id was not set; generated {id}. Save it in the spec, or it changes on every run"
        ));
        id
    };
    let mut defaults = starter_with_external_id(
        connector,
        &name,
        &region,
        account_id.as_deref(),
        external_id,
    );
    // The dead-letter queue's default name follows the queue's given name.
    if let Some(Value::String(queue)) = given.get("queue").and_then(|q| q.get("name")) {
        rename_queue(&mut defaults, queue);
    }
    let mut merged = serde_json::to_value(&defaults).map_err(|e| shape(e.to_string()))?;
    overlay(&mut merged, Value::Object(given));

    let defaults = serde_json::to_value(&defaults).map_err(|e| shape(e.to_string()))?;
    let mut problems = Vec::new();
    // Each wrong key or value is reported, put right (removed, or the default
    // put in its place) and the spec read again, until it reads: every
    // problem is reported at once, not only the first.
    let spec: Spec = loop {
        match serde_path_to_error::deserialize::<_, Spec>(merged.clone()) {
            Ok(spec) => break spec,
            Err(err) => {
                let path = err.path().to_string();
                let message = escape(&err.into_inner().to_string());
                if path == "."
                    || problems.len() >= MAX_SHAPE_ERRORS
                    || !repair(&mut merged, &defaults, &path)
                {
                    problems.push(FieldError {
                        path: escape(&path),
                        message: message.into(),
                    });
                    return Err(LoadError::Fields {
                        origin: origin.to_owned(),
                        errors: problems,
                    });
                }
                problems.push(FieldError {
                    path: escape(&path),
                    message: message.into(),
                });
            }
        }
    };
    if !problems.is_empty() {
        return Err(LoadError::Fields {
            origin: origin.to_owned(),
            errors: problems,
        });
    }
    validate_unresolved(&spec).map_err(|errors| LoadError::Invalid {
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
    let mut spec = spec.clone();
    // A new queue name takes a dead-letter queue at its default name along,
    // unless the settings name that one too.
    let names_dlq = settings.iter().any(|s| s.path == path::DLQ_NAME);
    for setting in settings {
        if setting.path == path::QUEUE_NAME
            && !names_dlq
            && let Value::String(queue) = &setting.value
        {
            rename_queue(&mut spec, queue);
        }
    }
    let mut value = serde_json::to_value(&spec).map_err(|e| shape(e.to_string()))?;
    lay_settings(&mut value, settings).map_err(shape)?;
    Ok(from_json_str(&value.to_string(), origin)?.spec)
}

/// Sets each of `settings` in a spec's JSON by its dotted path, making the
/// objects on the way; a path through a value that is not an object is refused.
fn lay_settings(value: &mut Value, settings: &[Setting]) -> Result<(), String> {
    for setting in settings {
        let mut slot = &mut *value;
        for part in setting.path.split('.') {
            let Some(object) = slot.as_object_mut() else {
                return Err(format!("{}: does not name a spec value", setting.path));
            };
            slot = object.entry(part.to_owned()).or_insert(Value::Null);
        }
        *slot = setting.value.clone();
    }
    Ok(())
}

/// A spec file's text with `settings` set in it, everything else as the
/// file has it (keys, order, values left to their defaults), and the spec
/// it now reads as. Refused, by path, when the result does not read or
/// validate: the caller writes nothing then.
pub fn set_in_text(
    text: &str,
    settings: &[Setting],
    origin: &str,
) -> Result<(String, Loaded), LoadError> {
    let shape = |message: String| LoadError::Shape {
        origin: origin.to_owned(),
        message,
    };
    let mut value: Value = serde_json::from_str(text).map_err(|error| LoadError::Syntax {
        origin: origin.to_owned(),
        error,
    })?;
    if !value.is_object() {
        return Err(shape("a spec is a JSON object".to_owned()));
    }
    lay_settings(&mut value, settings).map_err(shape)?;
    let mut text = serde_json::to_string_pretty(&value).map_err(|e| shape(e.to_string()))?;
    text.push('\n');
    let loaded = from_json_str(&text, origin)?;
    Ok((text, loaded))
}

/// Puts right the value at `path` (as serde_path_to_error writes it: `a.b`,
/// `a[2]`): the default's value where the defaults have one, else the key is
/// removed. False when the path leads nowhere (nothing to repair).
fn repair(merged: &mut Value, defaults: &Value, path: &str) -> bool {
    let segments: Vec<&str> = path
        .split(['.', '['])
        .map(|s| s.trim_end_matches(']'))
        .filter(|s| !s.is_empty())
        .collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut slot = merged;
    let mut default = Some(defaults);
    for segment in parents {
        default = default.and_then(|d| child(d, segment));
        let Some(next) = child_mut(slot, segment) else {
            return false;
        };
        slot = next;
    }
    let default = default.and_then(|d| child(d, last)).cloned();
    match (slot, default) {
        (Value::Object(map), Some(value)) if map.contains_key(*last) => {
            map.insert((*last).to_owned(), value);
            true
        }
        (Value::Object(map), None) => map.remove(*last).is_some(),
        (Value::Array(items), _) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn child<'v>(value: &'v Value, segment: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

fn child_mut<'v>(value: &'v mut Value, segment: &str) -> Option<&'v mut Value> {
    match value {
        Value::Object(map) => map.get_mut(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
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
    fn every_unknown_key_and_type_error_is_reported_at_once() {
        let err = load_str(
            r#"{"name": "acme-ingest", "region": "us-west-2",
                "queue": {"visiblity_timeout_secs": 5, "dead_letter": {"max_receive_count": "five"}},
                "bucket": {"prefx": "x/", "encryption": "aes"},
                "colour": "blue"}"#,
        )
        .unwrap_err();
        let LoadError::Fields { errors, .. } = &err else {
            panic!("{err}")
        };
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        for path in [
            "queue.visiblity_timeout_secs",
            "queue.dead_letter.max_receive_count",
            "bucket.prefx",
            "bucket.encryption",
            "colour",
        ] {
            assert!(paths.contains(&path), "{path} missing from {paths:?}");
        }
        assert_eq!(errors.len(), 5, "{err}");
        assert!(err.to_string().contains("5 problems:"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused_naming_both_places() {
        let err = load_str("{\"name\": \"a-b\",\n \"region\": \"us-west-2\",\n \"name\": \"c-d\"}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("name: given twice, at line 1 column 2 and at line 3 column 2"),
            "{err}"
        );
    }

    #[test]
    fn control_characters_from_the_spec_are_escaped() {
        let err = load_str("{\"name\": \"a-b\", \"region\": \"us-west-2\", \"\\u001b[31mx\": 1}")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\u{1b}'), "{err:?}");
        assert!(err.contains("\\u{1b}[31mx"), "{err}");
        let err = load_str("{\"name\": \"a\\u001bb\", \"region\": \"us-west-2\"}")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\u{1b}'), "{err:?}");
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
