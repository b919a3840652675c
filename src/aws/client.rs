//! AWS clients from the default credential chain, with the options every
//! command takes (profile, region, endpoint override), and the caller identity.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::error::{AwsError, CredentialProblem, classify};
use super::propagation::IamWait;
use crate::spec::Spec;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An emulator such as moto: S3 then uses path-style addressing.
    pub endpoint_url: Option<String>,
    /// The longest one call may take (`--timeout`); `None` is [`Timeouts::default`].
    pub timeout: Option<Duration>,
    /// Whether an assume-role profile's MFA code may be asked for on the
    /// terminal (the command line on a terminal; not the wizard).
    pub mfa_prompt: bool,
}

/// How long calls may take. A frozen endpoint ends a call with a timeout
/// error instead of a hang; a long-poll gets its wait on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a connection.
    pub connect: Duration,
    /// One call, from sending it to its answer (each retry gets its own).
    pub call: Duration,
    /// One call with its retries.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            call: Duration::from_secs(20),
            total: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// Every call within `limit` (`--timeout`).
    pub fn within(limit: Duration) -> Timeouts {
        Timeouts {
            connect: limit.min(Duration::from_secs(10)),
            call: limit,
            total: limit,
        }
    }

    fn config(&self, extra: Duration) -> aws_config::timeout::TimeoutConfig {
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.call + extra)
            .operation_attempt_timeout(self.call + extra)
            .operation_timeout(self.total + extra)
            .build()
    }
}

/// The clients, configured alike.
#[derive(Debug, Clone)]
pub struct Clients {
    pub config: SdkConfig,
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sts: aws_sdk_sts::Client,
    /// For `notification.delivery: sns` (the queue's subscription).
    pub sns: aws_sdk_sns::Client,
    /// For `notification.delivery: eventbridge` (the rule and its target).
    pub events: aws_sdk_eventbridge::Client,
    /// For kms:DescribeKey: the key a spec's alias stands for.
    pub kms: aws_sdk_kms::Client,
    /// For the alarms: CloudWatch alarms and the metrics status reads.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub timeouts: Timeouts,
    /// The shared-config profile the credentials come from, when one was named.
    pub profile: Option<String>,
    /// Look for the stack's orphans in the whole account: every queue's,
    /// role's, customer managed policy's and user's tags are read, not only
    /// those named like the stack or recorded as made here (see
    /// [`super::orphans::find`]). `--scan-account` on plan, apply, destroy.
    pub scan_account: bool,
}

/// Whether the bucket's deny-insecure-transport statement would refuse every
/// request made through `endpoint` (a plain-HTTP emulator).
pub fn refuses_endpoint(spec: &Spec, endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|u| u.starts_with("http://"))
        && spec.bucket.create
        && spec.bucket.deny_insecure_transport
}

/// The credential provider's own cause of a failure to load credentials
/// (`detail`: the SDK's whole error text), worded with the profile's name:
/// a profile that does not exist, a failing credential_process, an SSO
/// session to renew. Without a profile, what each source of the default
/// chain said.
fn provider_failure(detail: &str, profile: Option<&str>) -> String {
    // The text, without the SDK's debug dump and its wrappers.
    let text = ["(DispatchFailure(", "(ConstructionFailure("]
        .iter()
        .filter_map(|dump| detail.find(dump))
        .min()
        .map_or(detail, |at| &detail[..at])
        .trim();
    let mut text = text.trim_start_matches("dispatch failure: ");
    for wrapper in [
        "other: ",
        "an error occurred while loading credentials: ",
        "the credential provider was not enabled: ",
    ] {
        while let Some(rest) = text.strip_prefix(wrapper) {
            text = rest;
        }
    }
    let unwrap = |line: &str| {
        line.trim()
            .replace("the credential provider was not enabled: ", "")
            .replace("an error occurred while loading credentials: ", "")
    };
    // The default chain lists each source's answer, one a line.
    let attempts: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(source, why)| (source.to_owned(), unwrap(why)))
        .collect();
    match profile {
        Some(profile) => {
            let cause = attempts
                .iter()
                .find(|(source, _)| source == "Profile")
                .map_or_else(|| unwrap(text), |(_, why)| why.clone());
            format!(
                "cannot load the credentials of profile `{profile}` (--profile or AWS_PROFILE): {cause}"
            )
        }
        None if !attempts.is_empty() => format!(
            "no usable AWS credentials (tried the environment, the shared config and credentials files, SSO, web identity, container and instance roles): {}; set AWS_PROFILE, run `aws configure` or `aws sso login`",
            attempts
                .iter()
                .map(|(source, why)| format!("{source}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        None => format!(
            "no usable AWS credentials: {}; set AWS_PROFILE, run `aws configure` or `aws sso login`",
            unwrap(text)
        ),
    }
}

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

impl Clients {
    /// Loads the default chain (environment, shared config and credentials
    /// files with SSO, container and instance roles). `default_region` is used
    /// when neither the options nor the environment name one.
    pub async fn load(options: &AwsOptions, default_region: &str) -> Clients {
        let timeouts = options.timeout.map(Timeouts::within).unwrap_or_default();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts.config(Duration::ZERO))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(10)),
            )
            // Every request body sluice sends is a small document. Upload
            // throughput checking would only wake each open request ten times
            // a second (an SQS long-poll for its whole 20 s) to measure nothing;
            // download checking stays on for S3 object bodies.
            .stalled_stream_protection(
                StalledStreamProtectionConfig::enabled()
                    .upload_enabled(false)
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
            // The SDK cannot ask for an MFA code: sluice does (see `mfa`).
            if let Some(mfa) = super::mfa::mfa_profile(profile) {
                let region = options.region.as_deref().unwrap_or(default_region);
                loader = loader.credentials_provider(super::mfa::MfaProvider::new(
                    mfa,
                    region,
                    options.endpoint_url.clone(),
                    options.mfa_prompt,
                ));
            }
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        } else {
            // The spec's region wins over the environment's: the resources live there.
            loader = loader.region(Region::new(default_region.to_owned()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let mut clients = Clients::from_config(config, options.endpoint_url.clone());
        clients.timeouts = timeouts;
        clients.profile = options.profile.clone();
        clients
    }

    /// The configuration of one SQS long-poll of `wait_secs`: the call's
    /// timeouts with the wait on top (a long-poll is not a hang).
    pub fn long_poll(&self, wait_secs: i32) -> aws_sdk_sqs::config::Builder {
        let wait = Duration::from_secs(u64::try_from(wait_secs).unwrap_or(0));
        aws_sdk_sqs::config::Builder::default().timeout_config(self.timeouts.config(wait))
    }

    /// Clients from an already loaded configuration (for instance assumed-role credentials).
    pub fn from_config(config: SdkConfig, endpoint_url: Option<String>) -> Clients {
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(endpoint_url.is_some())
            .build();
        Clients {
            iam: aws_sdk_iam::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            region: config
                .region()
                .map(|r| r.as_ref().to_owned())
                .unwrap_or_default(),
            endpoint_url,
            config,
            timeouts: Timeouts::default(),
            profile: None,
            scan_account: false,
        }
    }

    /// The URL of queue `name` (sqs:GetQueueUrl), or `None` when it does not
    /// exist. Every part of the engine looks a queue up through here.
    pub async fn queue_url(&self, name: &str) -> Result<Option<String>, AwsError> {
        let got = super::error::optional(
            self.sqs
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|e| classify("sqs:GetQueueUrl", name, e)),
        )?;
        Ok(got.and_then(|o| o.queue_url().map(str::to_owned)))
    }

    /// STS GetCallerIdentity, with a one-line explanation when there are no usable credentials.
    pub async fn identity(&self) -> Result<Identity, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", "the caller", e))
            .map_err(|mut e| {
                if e.credential_problem() == Some(CredentialProblem::Missing) {
                    tracing::warn!(detail = %e.message, "no credentials");
                    e.message = provider_failure(&e.message, self.profile.as_deref());
                }
                e
            })?;
        Ok(Identity {
            account: out.account().unwrap_or_default().to_owned(),
            arn: out.arn().unwrap_or_default().to_owned(),
        })
    }

    /// The same clients, signing with an access key of its own (an IAM
    /// user's), to try that user's access.
    pub fn with_key(&self, access_key_id: &str, secret_access_key: &str) -> Clients {
        let credentials = aws_sdk_sts::config::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "sluice-key-file",
        );
        self.signed_by(aws_sdk_sts::config::SharedCredentialsProvider::new(
            credentials,
        ))
    }

    /// The same clients (endpoint, timeouts) signing with `credentials`.
    fn signed_by(&self, credentials: aws_sdk_sts::config::SharedCredentialsProvider) -> Clients {
        let config = self
            .config
            .to_builder()
            .credentials_provider(credentials)
            .build();
        let mut clients = Clients::from_config(config, self.endpoint_url.clone());
        clients.timeouts = self.timeouts;
        clients.scan_account = self.scan_account;
        clients
    }

    /// Clients acting as `role_arn`, assumed with `external_id`. The role is
    /// assumed once here, so a refusal surfaces now with its cause; the clients
    /// then use a provider that assumes it again before the session expires,
    /// so a consumer can run for longer than one session.
    ///
    /// A role made or changed moments ago answers AccessDenied until IAM has
    /// caught up: the first AssumeRole is retried through `wait`, each wait
    /// said to `say`.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        external_id: &str,
        wait: &mut IamWait,
        say: &mut (dyn FnMut(String) + Send),
    ) -> Result<Clients, AwsError> {
        let what = format!("assume {role_arn}");
        let out = wait
            .call(&what, say, || async {
                self.sts
                    .assume_role()
                    .role_arn(role_arn)
                    .role_session_name("sluice")
                    .set_external_id((!external_id.is_empty()).then(|| external_id.to_owned()))
                    .duration_seconds(3600)
                    .send()
                    .await
                    .map_err(|e| classify("sts:AssumeRole", role_arn, e))
            })
            .await?;
        let creds = out.credentials().ok_or_else(|| {
            AwsError::new(
                "sts:AssumeRole",
                role_arn,
                "the answer carried no credentials",
            )
        })?;
        if creds.access_key_id().is_empty() {
            return Err(AwsError::new(
                "sts:AssumeRole",
                role_arn,
                "the answer carried an empty access key",
            ));
        }
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn);
        if !external_id.is_empty() {
            provider = provider.external_id(external_id);
        }
        let provider = provider
            .session_name("sluice")
            .session_length(Duration::from_secs(3600))
            .configure(&self.config)
            .build()
            .await;
        Ok(
            self.signed_by(aws_sdk_sts::config::SharedCredentialsProvider::new(
                provider,
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:
  Environment: the credential provider was not enabled: environment variable not set
  Profile: the credential provider was not enabled: profile `prod` was not defined: could not find source profile prod referenced from the root profile
  EcsContainer: the credential provider was not enabled: ECS provider not configured (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Other(None) } }))";

    #[test]
    fn the_providers_own_cause_is_said_with_the_profile() {
        assert_eq!(
            provider_failure(CHAIN, Some("prod")),
            "cannot load the credentials of profile `prod` (--profile or AWS_PROFILE): profile `prod` was not defined: could not find source profile prod referenced from the root profile"
        );
        let process = "dispatch failure: other: an error occurred while loading credentials: an error occurred while loading credentials: Error retrieving credentials: external process exited with code exit status: 1. Stderr: token expired (DispatchFailure(DispatchFailure { }))";
        assert_eq!(
            provider_failure(process, Some("cp")),
            "cannot load the credentials of profile `cp` (--profile or AWS_PROFILE): Error retrieving credentials: external process exited with code exit status: 1. Stderr: token expired"
        );
        let none = provider_failure(CHAIN, None);
        assert!(
            none.starts_with("no usable AWS credentials (tried the environment, the shared config and credentials files, SSO, web identity, container and instance roles): Environment: environment variable not set; Profile: profile `prod` was not defined"),
            "{none}"
        );
        assert!(!none.contains("DispatchFailure"), "{none}");
    }
}
