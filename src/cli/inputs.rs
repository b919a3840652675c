//! What commands read before they act: the spec named by `--config` (with
//! the `--region` check), the AWS options the global flags give, the stack
//! reached through them, and a key file apply wrote.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{ConfigArg, DEFAULT_CONFIG, GlobalOpts};
use crate::aws::{AwsOptions, Connected, connect};
use crate::spec::{self, Spec};

pub(super) fn aws_options(global: &GlobalOpts) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        timeout: global.timeout.map(Duration::from_secs),
        // An MFA code is asked for on a terminal, never under the wizard.
        mfa_prompt: std::io::stdin().is_terminal(),
    }
}

fn load_spec(path: &Path) -> Result<Spec> {
    let loaded = spec::load(path)?;
    for note in &loaded.generated {
        eprintln!("warning: {note}");
    }
    Ok(loaded.spec)
}

impl ConfigArg {
    /// Reads the spec; a `--region` other than the spec's is refused.
    pub(super) fn load(&self, global: &GlobalOpts) -> Result<Spec> {
        if !self.config.exists() {
            bail!(
                "no spec file {}{}: write one with `sluice init --name NAME --region REGION{}`, or name yours with --config FILE",
                self.config.display(),
                if self.config == Path::new(DEFAULT_CONFIG) {
                    " in this directory"
                } else {
                    ""
                },
                if self.config == Path::new(DEFAULT_CONFIG) {
                    String::new()
                } else {
                    format!(" --out {}", self.config.display())
                },
            );
        }
        let spec = load_spec(&self.config)?;
        if let Some(region) = &global.region
            && region != &spec.region
        {
            bail!(
                "--region {region} differs from the spec's region {}: the pipeline's resources live in the spec's region ({})",
                spec.region,
                self.config.display()
            );
        }
        Ok(spec)
    }

    /// Reads the spec for a command that runs offline: a KMS key named by
    /// its alias is refused, since only kms:DescribeKey can tell which key
    /// it stands for.
    pub(super) fn load_offline(&self, global: &GlobalOpts) -> Result<Spec> {
        let spec = self.load(global)?;
        if let Err(errors) = spec::validate(&spec) {
            bail!(
                "{} names a KMS key by its alias, which works only online (sluice plan, apply):\n{errors}",
                self.config.display()
            );
        }
        Ok(spec)
    }

    /// Reads the spec and reaches its stack as the caller.
    pub(super) async fn connect(&self, global: &GlobalOpts) -> Result<Connected> {
        let spec = self.load(global)?;
        if crate::aws::client::refuses_endpoint(&spec, global.endpoint_url.as_deref()) {
            eprintln!(
                "warning: the endpoint is plain HTTP, and bucket.deny_insecure_transport makes the bucket refuse every request that is not HTTPS (uploads, verify, the consumer); for an emulator set it to false (sluice init --set bucket.deny_insecure_transport=false)"
            );
        }
        Ok(connect(&spec, &aws_options(global)).await?)
    }
}

/// The access key in `path`, a key file as apply writes it.
pub(super) fn read_user_key(path: Option<&Path>) -> Result<Option<crate::aws::verify::UserKey>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    crate::aws::verify::UserKey::from_csv(&text)
        .map(Some)
        .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))
}
