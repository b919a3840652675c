//! The choices of the welcome screen: AWS profiles from the shared config and
//! credentials files, and region codes. Plain file reading, no AWS calls.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A named profile and the region its config section sets, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub region: Option<String>,
}

/// The shared config and credentials files, as the AWS SDKs find them.
pub fn profile_files() -> (Option<PathBuf>, Option<PathBuf>) {
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    (
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    )
}

/// Every profile named in the two files (sorted, `default` first).
pub fn load_profiles() -> Vec<Profile> {
    let (config, credentials) = profile_files();
    let read = |p: Option<PathBuf>| {
        p.and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    parse_profiles(&read(config), &read(credentials))
}

/// Profiles from the text of a config file (`[default]`, `[profile NAME]`) and
/// a credentials file (`[NAME]`). Other sections (`[sso-session X]`,
/// `[services X]`) are not profiles.
pub fn parse_profiles(config: &str, credentials: &str) -> Vec<Profile> {
    let mut found: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (section, keys) in sections(config) {
        let name = if section == "default" {
            Some("default".to_owned())
        } else {
            section
                .strip_prefix("profile")
                .filter(|rest| rest.starts_with(char::is_whitespace))
                .map(|rest| rest.trim().to_owned())
        };
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            let region = keys.get("region").cloned();
            let slot = found.entry(name).or_default();
            if region.is_some() {
                *slot = region;
            }
        }
    }
    for (section, _) in sections(credentials) {
        if !section.is_empty() {
            found.entry(section).or_default();
        }
    }
    let mut profiles: Vec<Profile> = found
        .into_iter()
        .map(|(name, region)| Profile { name, region })
        .collect();
    profiles.sort_by_key(|p| (p.name != "default", p.name.clone()));
    profiles
}

/// `[section]` headers with their `key = value` lines.
fn sections(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((header.trim().to_owned(), BTreeMap::new()));
        } else if let (Some((key, value)), Some((_, keys))) = (line.split_once('='), out.last_mut())
        {
            keys.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    out
}

/// Region codes offered by the region picker (the spec accepts any valid code).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-west-1",
    "us-gov-east-1",
    "cn-north-1",
    "cn-northwest-1",
];

/// The region to start a new session in: the options', the environment's,
/// the profile's, or us-east-1.
pub fn initial_region(option: Option<&str>, profile: Option<&Profile>) -> String {
    option
        .map(str::to_owned)
        .or_else(|| {
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty()))
        })
        .or_else(|| profile.and_then(|p| p.region.clone()))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_from_both_files() {
        let config = "\
[default]
region = us-west-2

[profile prod]
region=eu-central-1
sso_session = corp

[sso-session corp]
sso_region = us-east-1

[services local]
s3 =
  endpoint_url = http://localhost
";
        let credentials = "\
# comment
[default]
aws_access_key_id = x

[ci]
aws_access_key_id = y
";
        let profiles = parse_profiles(config, credentials);
        assert_eq!(
            profiles,
            vec![
                Profile {
                    name: "default".into(),
                    region: Some("us-west-2".into())
                },
                Profile {
                    name: "ci".into(),
                    region: None
                },
                Profile {
                    name: "prod".into(),
                    region: Some("eu-central-1".into())
                },
            ]
        );
    }

    #[test]
    fn every_offered_region_is_valid_for_the_spec() {
        for region in REGIONS {
            let spec = crate::spec::starter("x-y", region, None);
            assert!(crate::spec::validate(&spec).is_ok(), "{region}");
        }
    }
}
