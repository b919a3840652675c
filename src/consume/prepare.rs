//! Everything a consumer run needs before it starts, resolved from a spec:
//! the clients (the spec's role assumed when asked), the queue's and
//! dead-letter queue's URLs, the queue's visibility timeout, the sink, the
//! quarantine and the decode options, as [`ConsumeOptions`].
//!
//! One builder for every front end: `sluice consume` (headless and with the
//! dashboard), `sluice monitor` (its clients and queues) and the wizard's
//! Done screen. No UI code here; errors name the queue, sink or file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::decode::DecodeOptions;
use super::runner::{ConsumeOptions, ErrorPolicy, ForeignPolicy};
use super::sink::{Quarantine, Sink, SinkSpec};
use crate::aws::Clients;
use crate::aws::propagation::IamWait;
use crate::spec::{Compression, RecordFormat, Spec};

/// How to consume, beyond what the spec says: `sluice consume`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumeSettings {
    /// Where records go (a dir sink with the size its files rotate at).
    pub sink: SinkSpec,
    /// Overrides the spec's `consumer.format`.
    pub format: Option<RecordFormat>,
    /// Overrides the spec's `consumer.compression`.
    pub compression: Option<Compression>,
    /// Messages processed at once; `None` is the spec's `consumer.concurrency`.
    pub concurrency: Option<usize>,
    /// Long-polls at once; `None` is one per 10 processing slots.
    pub receivers: Option<usize>,
    /// How long a graceful stop waits for messages being processed.
    pub grace: Duration,
    pub on_decode_error: ErrorPolicy,
    /// Where bad records are written, with their object and offset.
    pub quarantine: Option<PathBuf>,
    /// Adds `_s3_bucket`, `_s3_key` and `_s3_event_time` to every record.
    pub add_source: bool,
    /// Largest record accepted; a larger one is a decode error.
    pub max_record_bytes: usize,
    /// Largest zstd window accepted (MiB): each object being decoded may
    /// need that much memory.
    pub max_zstd_window_mib: u64,
    /// Stop once the queue is empty and nothing arrived for this long.
    pub stop_when_idle: Option<Duration>,
    /// Consume as the spec's role (assumed with its external ID).
    pub assume_role: bool,
    /// How long assuming the role, and the role's first call, wait for IAM
    /// to propagate a change (`--iam-wait`).
    pub iam_wait: Duration,
    /// How long a failing sink is retried before the run ends with an error.
    pub sink_retry: Duration,
    /// What happens to messages for another bucket or outside the
    /// prefix/suffix; `None`: by the route ([`foreign_policy_for`]).
    pub on_foreign_event: Option<ForeignPolicy>,
    /// Fetch objects of any bucket a message names (not only the spec's).
    pub any_bucket: bool,
}

impl Default for ConsumeSettings {
    /// `sluice consume`'s defaults.
    fn default() -> Self {
        ConsumeSettings {
            sink: SinkSpec::Stdout,
            format: None,
            compression: None,
            concurrency: None,
            receivers: None,
            grace: Duration::from_secs(30),
            on_decode_error: ErrorPolicy::Skip,
            quarantine: None,
            add_source: false,
            max_record_bytes: 1024 * 1024,
            max_zstd_window_mib: DecodeOptions::default().max_zstd_window_mib,
            stop_when_idle: None,
            assume_role: false,
            iam_wait: crate::aws::propagation::DEFAULT_IAM_WAIT,
            sink_retry: Duration::from_secs(300),
            on_foreign_event: None,
            any_bucket: false,
        }
    }
}

impl ConsumeSettings {
    /// The defaults, writing records to `sink`.
    pub fn with_sink(sink: SinkSpec) -> Self {
        ConsumeSettings {
            sink,
            ..ConsumeSettings::default()
        }
    }
}

/// A run ready to start.
pub struct Prepared {
    /// The clients to consume with (the role's, when it was assumed).
    pub clients: Clients,
    pub options: ConsumeOptions,
    pub sink: Arc<dyn Sink>,
    /// The sink as the settings named it (`dir:out`).
    pub sink_name: String,
    /// The role assumed, when the settings asked for it.
    pub assumed_role: Option<String>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("queue_url", &self.options.queue_url)
            .field("dlq_url", &self.options.dlq_url)
            .field("sink", &self.sink_name)
            .field("assumed_role", &self.assumed_role)
            .finish_non_exhaustive()
    }
}

/// The queues a run reads: the queue's URL and, when the spec has one and it
/// exists, the dead-letter queue's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queues {
    pub queue_url: String,
    pub dlq_url: Option<String>,
}

/// `clients`, or the spec's role assumed with its external ID (`assume_role`);
/// with the role's ARN when it was assumed. A role made moments ago may be
/// refused, and its first calls denied, until IAM has caught up: both wait
/// up to `iam_wait`, each wait said to `say`.
pub async fn connect_as(
    clients: Clients,
    spec: &Spec,
    assume_role: bool,
    iam_wait: Duration,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<(Clients, Option<String>)> {
    if !assume_role {
        return Ok((clients, None));
    }
    let role = crate::docs::Arns::of(spec).role;
    let mut wait = IamWait::new(iam_wait);
    let assumed = clients
        .assume_role(&role, &spec.role.external_id, &mut wait, say)
        .await
        .with_context(|| format!("cannot assume {role} with the spec's external ID"))?;
    if spec.has_queue() {
        // The role's first call; what it finds is read again by `queues`.
        wait.again()
            .call("the role's first call", say, || {
                assumed.queue_url(&spec.queue.name)
            })
            .await
            .with_context(|| format!("the role {role} cannot reach its queue"))?;
    }
    Ok((assumed, Some(role)))
}

/// The URL of the spec's queue; an error naming it when it does not exist.
pub async fn require_queue(clients: &Clients, spec: &Spec) -> Result<String> {
    clients.queue_url(&spec.queue.name).await?.with_context(|| {
        format!(
            "queue {} does not exist: run sluice apply first",
            spec.queue.name
        )
    })
}

/// The spec's queue (which must exist) and its dead-letter queue (when
/// enabled and readable; its gauges are left out otherwise).
pub async fn queues(clients: &Clients, spec: &Spec) -> Result<Queues> {
    let url = require_queue(clients, spec).await?;
    let dlq_url = if spec.queue.dead_letter.enabled {
        clients
            .queue_url(&spec.queue.dead_letter.name)
            .await
            .unwrap_or(None)
    } else {
        None
    };
    Ok(Queues {
        queue_url: url,
        dlq_url,
    })
}

/// The queue's visibility timeout in seconds, as SQS has it (`fallback` when
/// the attribute is missing or not a number).
async fn visibility_timeout(clients: &Clients, url: &str, fallback: u64) -> Result<u64> {
    let value = crate::aws::observe::queue_attribute(
        clients,
        url,
        aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
    )
    .await?;
    Ok(value
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(fallback))
}

/// Resolves a run of the consumer of `spec`'s queue: checks the settings
/// that need no network first, then (as the role, if asked) finds the
/// queues and the visibility timeout, then opens the sink and quarantine.
/// `spec` is the spec for the caller's account (its ARNs complete).
pub async fn prepare(
    clients: Clients,
    spec: &Spec,
    settings: &ConsumeSettings,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<Prepared> {
    let concurrency = settings
        .concurrency
        .unwrap_or(spec.consumer.concurrency as usize)
        .max(1);
    check_zstd_memory(
        settings.max_zstd_window_mib,
        concurrency,
        available_memory(),
    )?;
    let decode = DecodeOptions {
        format: settings.format.unwrap_or(spec.consumer.format),
        compression: settings.compression.unwrap_or(spec.consumer.compression),
        max_record_bytes: settings.max_record_bytes,
        max_zstd_window_mib: settings.max_zstd_window_mib,
        ..DecodeOptions::default()
    };
    let (clients, assumed_role) =
        connect_as(clients, spec, settings.assume_role, settings.iam_wait, say).await?;
    let Queues { queue_url, dlq_url } = queues(&clients, spec).await?;
    let visibility = visibility_timeout(
        &clients,
        &queue_url,
        u64::from(spec.queue.visibility_timeout_secs),
    )
    .await?;
    let sink: Arc<dyn Sink> = Arc::from(
        super::sink::open(&settings.sink)
            .with_context(|| format!("cannot open the sink {}", settings.sink))?,
    );
    let quarantine = match &settings.quarantine {
        Some(dir) => Some(Arc::new(Quarantine::open(dir).with_context(|| {
            format!("cannot open the quarantine in {}", dir.display())
        })?)),
        None => None,
    };
    let options = ConsumeOptions {
        queue_url,
        dlq_url,
        concurrency,
        receivers: settings
            .receivers
            .unwrap_or_else(|| default_receivers(concurrency))
            .max(1),
        wait_secs: 20,
        visibility_timeout: Duration::from_secs(visibility.max(1)),
        on_decode_error: settings.on_decode_error,
        quarantine,
        add_source: settings.add_source,
        prefix: spec.bucket.prefix.clone(),
        suffix: spec.bucket.suffix.clone(),
        decode,
        stop_when_idle: settings.stop_when_idle,
        grace: settings.grace,
        queue_poll_interval: Duration::from_secs(5),
        sink_retry: settings.sink_retry,
        bucket: (!settings.any_bucket).then(|| spec.bucket.name.clone()),
        on_foreign_event: settings
            .on_foreign_event
            .unwrap_or_else(|| foreign_policy_for(spec)),
    };
    Ok(Prepared {
        clients,
        options,
        sink,
        sink_name: settings.sink.to_string(),
        assumed_role,
    })
}

/// What becomes of a message announcing objects outside the spec's bucket,
/// prefix or suffix when no policy is given. Through the SNS route the queue
/// receives every event of the bucket's topic (the subscription has no
/// filter: see [`crate::docs::subscription_document`]): those are expected,
/// not the stack's, and are deleted unfetched. Otherwise such a message
/// means a notification wider than the spec: it is kept, so that it
/// reaches the dead-letter queue where it can be looked at.
pub fn foreign_policy_for(spec: &Spec) -> ForeignPolicy {
    match spec.delivery() {
        Some(crate::spec::Delivery::Sns) => ForeignPolicy::Delete,
        _ => ForeignPolicy::Keep,
    }
}

/// The memory available to this process, when the system says (Linux's
/// MemAvailable).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses a zstd window limit that `concurrency` decoders at once could
/// not all get the memory for (or above zstd's own ceiling).
pub fn check_zstd_memory(
    window_mib: u64,
    concurrency: usize,
    available: Option<u64>,
) -> Result<()> {
    use super::decode::ZSTD_WINDOW_MIB_CEILING;
    if window_mib == 0 || window_mib > ZSTD_WINDOW_MIB_CEILING {
        anyhow::bail!(
            "--max-zstd-window-mib {window_mib}: must be 1 to {ZSTD_WINDOW_MIB_CEILING} (zstd's largest window)"
        );
    }
    let needed = window_mib * 1024 * 1024 * concurrency as u64;
    if let Some(available) = available
        && needed > available
    {
        anyhow::bail!(
            "--max-zstd-window-mib {window_mib} with {concurrency} objects decoded at once needs up to {} MiB, more than the {} MiB available: lower the window or --concurrency",
            needed / (1024 * 1024),
            available / (1024 * 1024)
        );
    }
    Ok(())
}

/// Long-polls for `concurrency` processing slots: one per 10 slots. A
/// receive asks for as many messages as there are free slots (at most 10),
/// so more polls than that only split the slots that free up into smaller
/// batches: more ReceiveMessage calls per message (SQS bills each one) for no
/// more throughput.
pub fn default_receivers(concurrency: usize) -> usize {
    concurrency.div_ceil(10).max(1)
}

/// Where the wizard's consumer writes by default: `<data dir>/ingest`, on
/// Linux `~/.local/share/sluice/ingest` (a stack's records go under its name).
pub fn default_ingest_base() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sluice").map(|d| d.data_dir().join("ingest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_cli_defaults() {
        let settings = ConsumeSettings::default();
        assert_eq!(settings.sink, SinkSpec::Stdout);
        assert_eq!(settings.receivers, None);
        assert_eq!(settings.grace, Duration::from_secs(30));
        assert_eq!(settings.on_decode_error, ErrorPolicy::Skip);
        assert_eq!(settings.max_record_bytes, 1024 * 1024);
        assert!(!settings.assume_role);
        assert_eq!(settings.on_foreign_event, None);
    }

    #[test]
    fn events_outside_the_stack_are_deleted_only_through_the_topic() {
        let mut spec = crate::spec::starter("acme", "us-west-2", Some("123456789012"));
        assert_eq!(foreign_policy_for(&spec), ForeignPolicy::Keep);
        spec.notification.delivery = crate::spec::Delivery::Sns;
        spec.notification.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:t".into());
        assert_eq!(foreign_policy_for(&spec), ForeignPolicy::Delete);
        spec.notification.delivery = crate::spec::Delivery::Eventbridge;
        assert_eq!(foreign_policy_for(&spec), ForeignPolicy::Keep);
    }

    #[test]
    fn the_zstd_window_is_bounded_by_memory() {
        assert!(check_zstd_memory(128, 8, Some(8 << 30)).is_ok());
        assert!(check_zstd_memory(2048, 1, None).is_ok());
        let e = check_zstd_memory(2048, 8, Some(8 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("needs up to 16384 MiB, more than the 8192 MiB"),
            "{e}"
        );
        assert!(check_zstd_memory(4096, 1, None).is_err());
        assert!(check_zstd_memory(0, 1, None).is_err());
    }

    #[test]
    fn one_long_poll_per_ten_slots() {
        assert_eq!(default_receivers(1), 1);
        assert_eq!(default_receivers(8), 1);
        assert_eq!(default_receivers(10), 1);
        assert_eq!(default_receivers(11), 2);
        assert_eq!(default_receivers(32), 4);
        assert_eq!(default_receivers(256), 26);
    }

    #[test]
    fn a_dir_sink_takes_the_file_size() {
        let sink: SinkSpec = "dir:out".parse().unwrap();
        assert_eq!(
            sink.with_max_file_bytes(3 * 1024 * 1024),
            SinkSpec::Dir {
                path: PathBuf::from("out"),
                max_file_bytes: 3 * 1024 * 1024,
                max_file_age: crate::consume::sink::DEFAULT_MAX_FILE_AGE,
            }
        );
        assert_eq!(SinkSpec::Null.with_max_file_bytes(3), SinkSpec::Null);
        assert!(
            "s3://nope"
                .parse::<SinkSpec>()
                .unwrap_err()
                .contains("is not a sink")
        );
        assert_eq!(
            "dir:out".parse::<SinkSpec>().unwrap().to_string(),
            "dir:out"
        );
    }
}
