//! Assume-role profiles that name an `mfa_serial`: AWS asks for the device's
//! current code with every AssumeRole of such a role, and the SDK's profile
//! provider has no way to ask for it. sluice asks on the terminal (the
//! command line only), assumes the role with the code, and uses the
//! session until it ends; where it cannot ask (no terminal, the wizard),
//! it refuses in words that name the profile and its mfa_serial.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_sts::config::Credentials;

/// What an assume-role profile with `mfa_serial` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaProfile {
    pub profile: String,
    pub role_arn: String,
    pub mfa_serial: String,
    pub source_profile: Option<String>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub duration_seconds: Option<i32>,
}

/// The shared config file: `AWS_CONFIG_FILE`, else `~/.aws/config`.
fn config_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AWS_CONFIG_FILE") {
        return Some(PathBuf::from(path));
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".aws").join("config"))
}

/// The profile `name` of the shared config file, when it assumes a role
/// with an MFA device.
pub fn mfa_profile(name: &str) -> Option<MfaProfile> {
    let text = std::fs::read_to_string(config_file()?).ok()?;
    parse(&text, name)
}

/// The profile `name` of a config file's `text`, when it has `role_arn` and
/// `mfa_serial`.
fn parse(text: &str, name: &str) -> Option<MfaProfile> {
    let mut inside = false;
    let mut keys = std::collections::HashMap::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            let header = header.trim();
            let section = header
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(header);
            inside = section == name && (header.starts_with("profile ") || header == "default");
            continue;
        }
        // Indented lines belong to a nested setting (s3 = ...).
        if inside
            && !line.starts_with([' ', '\t'])
            && let Some((key, value)) = trimmed.split_once('=')
        {
            keys.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    Some(MfaProfile {
        profile: name.to_owned(),
        role_arn: keys.get("role_arn")?.clone(),
        mfa_serial: keys.get("mfa_serial")?.clone(),
        source_profile: keys.get("source_profile").cloned(),
        external_id: keys.get("external_id").cloned(),
        session_name: keys.get("role_session_name").cloned(),
        duration_seconds: keys.get("duration_seconds").and_then(|d| d.parse().ok()),
    })
}

/// Credentials of an MFA profile's role, asked for on the terminal.
#[derive(Debug)]
pub struct MfaProvider {
    profile: MfaProfile,
    region: String,
    endpoint_url: Option<String>,
    /// Whether sluice may ask for the code (a terminal, not the wizard).
    prompt: bool,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl MfaProvider {
    pub fn new(
        profile: MfaProfile,
        region: &str,
        endpoint_url: Option<String>,
        prompt: bool,
    ) -> Self {
        MfaProvider {
            profile,
            region: region.to_owned(),
            endpoint_url,
            prompt,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref()
            && credentials
                .expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(60))
        {
            return Ok(credentials.clone());
        }
        let p = &self.profile;
        if !self.prompt {
            return Err(CredentialsError::not_loaded(format!(
                "profile `{}` assumes {} with mfa_serial {}: AWS wants that device's code with every AssumeRole, and sluice asks for it only on the command line with a terminal (not in the wizard, not from a pipe); run the command on a terminal, or use credentials made beforehand (e.g. `aws sts assume-role --serial-number {} --token-code CODE ...` into the environment)",
                p.profile, p.role_arn, p.mfa_serial, p.mfa_serial
            )));
        }
        let Some(source) = p.source_profile.clone() else {
            return Err(CredentialsError::not_loaded(format!(
                "profile `{}` names mfa_serial but no source_profile: sluice asks for the MFA code only for a profile whose credentials come from a source_profile",
                p.profile
            )));
        };
        let question = format!(
            "MFA code for {} (profile {}, role {}): ",
            p.mfa_serial, p.profile, p.role_arn
        );
        let code = tokio::task::spawn_blocking(move || ask(&question))
            .await
            .map_err(CredentialsError::unhandled)?
            .map_err(CredentialsError::not_loaded)?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .profile_name(source)
            .region(Region::new(self.region.clone()));
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sts = aws_sdk_sts::Client::new(&loader.load().await);
        let out = sts
            .assume_role()
            .role_arn(&p.role_arn)
            .role_session_name(p.session_name.as_deref().unwrap_or("sluice"))
            .serial_number(&p.mfa_serial)
            .token_code(code)
            .set_external_id(p.external_id.clone())
            .duration_seconds(p.duration_seconds.unwrap_or(3600))
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "with the MFA code of {}: {}",
                    p.mfa_serial,
                    super::error::classify("sts:AssumeRole", &p.role_arn, e)
                ))
            })?;
        let Some(got) = out.credentials() else {
            return Err(CredentialsError::provider_error(
                "sts:AssumeRole answered without credentials",
            ));
        };
        let credentials = Credentials::new(
            got.access_key_id(),
            got.secret_access_key(),
            Some(got.session_token().to_owned()),
            SystemTime::try_from(*got.expiration()).ok(),
            "sluice-mfa",
        );
        *cached = Some(credentials.clone());
        Ok(credentials)
    }
}

impl ProvideCredentials for MfaProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials())
    }
}

/// Asks `question` on stderr and reads the code from stdin: six digits.
fn ask(question: &str) -> Result<String, String> {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the MFA code: {e}"))?;
    let code = line.trim().to_owned();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("the MFA code is six digits".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assume_role_profile_with_mfa_serial_is_found() {
        let text = "[default]\nregion = us-west-2\n\n[profile base]\naws_access_key_id = AKIA\n\n[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/me\ns3 =\n  max_concurrent_requests = 4\nduration_seconds = 1800\n";
        assert_eq!(
            parse(text, "prod"),
            Some(MfaProfile {
                profile: "prod".into(),
                role_arn: "arn:aws:iam::123456789012:role/admin".into(),
                mfa_serial: "arn:aws:iam::123456789012:mfa/me".into(),
                source_profile: Some("base".into()),
                external_id: None,
                session_name: None,
                duration_seconds: Some(1800),
            })
        );
        assert_eq!(parse(text, "base"), None);
        assert_eq!(parse(text, "nope"), None);
        // `[prod]` is the credentials file's form, not the config file's.
        assert_eq!(
            parse(
                "[prod]\nrole_arn = r\nmfa_serial = m\nsource_profile = b\n",
                "prod"
            ),
            None
        );
    }
}
