//! The command line's clap definitions: every command, its options and
//! their help text (the doc comments below are what `--help` prints), and
//! the parsers clap calls for values of the library's types.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use regex::Regex;

use crate::consume::inspect::Source;
use crate::consume::runner::{ErrorPolicy, ForeignPolicy};
use crate::consume::sink::SinkSpec;
use crate::export::Format;
use crate::spec::{Compression, Connector, RecordFormat, Setting};

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "Set up, verify and consume event-driven S3 → SQS ingestion",
    long_about = "sluice sets up the whole S3 → SQS ingestion pipeline from one spec file: the IAM \
policy, role (with an external ID) and optional user, the bucket, the queue with its access policy \
and dead-letter queue, and the bucket's event notification, merged with any that exist (or, on a \
shared bucket, a subscription to its SNS topic or an EventBridge rule). It plans \
as a diff, applies idempotently with backups, and exports the setup as JSON documents, an AWS CLI \
script, CloudFormation and Terraform. Connector profiles follow a vendor's setup guide exactly \
(Tarsal, TiDB Cloud Lake, Databend, Treasure Data, Hevo, ClickHouse, Snowflake), pull imports and \
destinations included.\n\nStart with `sluice init --name NAME --region REGION [--connector NAME]`, \
then `sluice plan --config sluice.json --offline` and `sluice export --config sluice.json --out DIR`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalOpts {
    /// AWS shared-config profile to use (default: the usual AWS chain).
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region. Required by `init`; with a spec it must be the spec's own
    /// region (the pipeline's resources live there), so it only checks it.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as moto).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Write a log to this file (sluice never logs to the terminal).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// The longest one AWS call may take, retries included (default: 20 s a
    /// call, 60 s with retries; long-polls get their wait on top).
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter spec with every default filled in.
    Init(InitArgs),
    /// Show what an apply would do, as a diff per resource.
    Plan(PlanArgs),
    /// Create or update the pipeline: plan, confirm, back up, apply in order.
    Apply(ApplyArgs),
    /// Check the pipeline end to end: upload a test object, receive its event, read it as the role.
    Verify(VerifyArgs),
    /// Remove what sluice made: our notification entry, the queues, policy, role, user, bucket.
    Destroy(DestroyArgs),
    /// Put back the prior state saved in a backup directory by apply.
    Restore(RestoreArgs),
    /// Consume the queue: fetch each new object, decode its records, write them to a sink.
    Consume(ConsumeArgs),
    /// Watch the queue drain without consuming it (e.g. a vendor's connector consumes).
    Monitor(MonitorArgs),
    /// One reading of the pipeline's health, for cron, CI and monitoring agents.
    #[command(
        long_about = "One reading of the pipeline's health: the queue's depth and the \
age of its oldest message, the dead-letter queue's depth, and each alarm's state and since \
when, one line per check (or one JSON document with --output json). Exit status: 0 healthy, \
1 trouble (an alarm is in ALARM, or the dead-letter queue holds messages), 2 cannot tell \
(something could not be read: credentials, permissions, a resource that does not exist). \
Known trouble wins: 1 even when another check could not be read. Reads only: \
sqs:GetQueueUrl, sqs:GetQueueAttributes, cloudwatch:GetMetricStatistics, \
cloudwatch:DescribeAlarms, cloudwatch:ListTagsForResource."
    )]
    Status(StatusArgs),
    /// Send events for objects that predate the notification, so consumers ingest them.
    Backfill(BackfillArgs),
    /// Decode one local file or s3://bucket/key the way the consumer does, to stdout.
    Decode(DecodeArgs),
    /// Measure decoding throughput on generated data, with gzip and Python baselines.
    Bench(BenchArgs),
    /// Write the saved-config bundle: JSON documents, setup.sh, CloudFormation, Terraform.
    Export(ExportArgs),
    /// Make temporary credentials for a connector that takes keys (Treasure Data's `in:` block).
    Credentials(CredentialsArgs),
    /// Snowflake's two steps: print step 1's SQL, or put the values
    /// Snowflake gives (DESC INTEGRATION, the pipe's notification_channel) into the spec.
    #[command(long_about = "Snowflake's setup goes in two steps, since its storage \
integration needs the role's ARN before it names the IAM user and external ID the role must \
trust. Step 1: `sluice apply` with those values blank makes the bucket, the permissions policy \
and a role nobody can assume yet, and no bucket notification; then run the SQL this command \
prints (with --sql, or when given no values) in Snowflake. Step 2: save DESC INTEGRATION's \
result and SHOW PIPES' (CSV or TSV from Snowsight, SnowSQL's table, or JSON), give them with \
--desc-integration and --show-pipes (or the pipe's queue ARN with --notification-channel), and \
run `sluice apply` again. Values are checked before anything is written; on an error the spec \
is left as it was.")]
    Snowflake(SnowflakeArgs),
    /// Open the terminal wizard.
    Wizard(WizardArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    #[command(long_about = "Print a shell completion script for SHELL on stdout. \
bash: `source <(sluice completions bash)`, or write it to \
/etc/bash_completion.d/sluice; zsh: write it as `_sluice` into a directory of $fpath; \
fish: write it to ~/.config/fish/completions/sluice.fish.")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(
        long_about = "Print sluice(1), the manual page generated from these very \
options, on stdout (`sluice man | man -l -`), or with --out DIR write sluice.1 and one \
sluice-COMMAND.1 page per command there (for a man1 directory on MANPATH)."
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write sluice.1 and a page per command into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Words for a person.
    #[default]
    Text,
    /// One JSON document on stdout; progress and questions stay on stderr.
    Json,
}

/// `--output`, for every command that prints a result.
/// Where plan, apply and destroy look for the stack's orphans.
#[derive(Debug, Clone, Copy, Args, Default)]
pub struct OrphanScanArg {
    /// Look for resources of the stack that the spec no longer names in the
    /// whole account, reading every queue's, role's, policy's and user's
    /// tags: for one made under a name outside the stack's prefix from
    /// another machine or by setup.sh. Without it: names starting with
    /// `<name>-`, and those recorded as made from this machine.
    #[arg(long)]
    pub scan_account: bool,
}

#[derive(Debug, Clone, Copy, Args, Default)]
pub struct OutputArg {
    /// How the result is printed: text, or json (one JSON document on stdout,
    /// everything else on stderr).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
}

impl OutputArg {
    pub(super) fn json(self) -> bool {
        self.output == OutputFormat::Json
    }
}

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// How long they last, 900 to 129600 seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(900..=129_600))]
    pub duration: u64,
    /// GetSessionToken, with the caller's own rights, instead of
    /// GetFederationToken scoped to the spec's permission policy.
    #[arg(long)]
    pub session: bool,
    /// Write them to this file (mode 0600) instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Make them as the pipeline's user, with its access key file (the 0600
    /// CSV apply wrote), as Treasure Data's guide has the import user make
    /// its own temporary credentials.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct SnowflakeArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// DESC INTEGRATION's result as saved from Snowflake: its
    /// STORAGE_AWS_IAM_USER_ARN becomes the role's trusted principal, its
    /// STORAGE_AWS_EXTERNAL_ID the role's external ID.
    #[arg(long, value_name = "FILE")]
    pub desc_integration: Option<PathBuf>,
    /// The pipe's notification_channel (Snowflake's SQS queue ARN, in the
    /// bucket's region), which the bucket notifies.
    #[arg(long, value_name = "ARN", conflicts_with = "show_pipes")]
    pub notification_channel: Option<String>,
    /// SHOW PIPES' result as saved from Snowflake: the notification_channel
    /// of the stack's pipe (or of the only pipe listed).
    #[arg(long, value_name = "FILE")]
    pub show_pipes: Option<PathBuf>,
    /// Print step 1's SQL (also printed when no value is given).
    #[arg(long)]
    pub sql: bool,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Stack name: the prefix of every default resource name (lowercase letters, digits, hyphens).
    #[arg(long)]
    pub name: String,
    /// The AWS account id, when known (otherwise documents carry a placeholder until discovered).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Follow a vendor's setup guide: generic (the default), tarsal,
    /// tidb-cloud-lake, databend, treasure-data, hevo, clickhouse or
    /// snowflake. Names,
    /// queue settings, permissions and the pipeline's shape come from the
    /// guide; give the vendor's own values (its principals, its external ID)
    /// with --set.
    #[arg(long, value_name = "NAME", default_value = "generic")]
    pub connector: Connector,
    /// Where to write the spec.
    #[arg(long, default_value = DEFAULT_CONFIG, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Set a spec value by its dotted path (repeatable), e.g. --set bucket.prefix=logs/
    /// or --set queue.visibility_timeout_secs=900. Values are JSON when they parse as JSON.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Setting>,
}

/// The spec file every command but `init` reads.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The spec file (`sluice init` writes sluice.json).
    #[arg(long, short, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
}

/// The spec file `init` writes and every other command reads by default.
pub const DEFAULT_CONFIG: &str = "sluice.json";

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    #[command(flatten)]
    pub orphans: OrphanScanArg,
    /// Plan without contacting AWS: every resource is shown as created.
    #[arg(long)]
    pub offline: bool,
    /// Print the plan as JSON: [{"resource", "name", "action", "before",
    /// "after"}]. The same as --output json.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    #[command(flatten)]
    pub orphans: OrphanScanArg,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Directory for files apply writes (the access key CSV, when one is created).
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// Base directory for backups (default: sluice's data directory).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How long to keep retrying while IAM or S3 catch up with a change.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub propagation_timeout: u64,
    /// After writing the bucket's notification configuration, read it again
    /// this long later: S3 keeps the last of two writes made at once, and the
    /// second read finds whether ours was lost (0: no second read).
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    pub recheck: u64,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// How long to wait for the test object's event (default: the route's
    /// usual time, 30 s direct, 45 s through SNS, 60 s through EventBridge,
    /// and longer while a change apply just made takes effect: S3 and
    /// EventBridge about five minutes, an SNS subscription up to 15).
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
    /// Receive from the queue even when it already holds messages of
    /// others: each receive counts towards their maxReceiveCount, and a
    /// live message may reach the dead-letter queue sooner. Without it,
    /// verify waits for the queue to empty before it uploads its object.
    #[arg(long)]
    pub probe_busy_queue: bool,
    /// The user's access key file (the 0600 CSV apply wrote), to try the
    /// user's own access as the connector would.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub iam: IamWaitArg,
    #[command(flatten)]
    pub output: OutputArg,
}

/// How long to wait for IAM to catch up with a change.
#[derive(Debug, Clone, Args)]
pub struct IamWaitArg {
    /// How long assuming a role made or changed moments ago, and the first
    /// calls with new credentials, are retried while IAM propagates the
    /// change (AccessDenied, InvalidClientTokenId).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub iam_wait: u64,
}

impl IamWaitArg {
    pub(super) fn duration(&self) -> Duration {
        Duration::from_secs(self.iam_wait)
    }
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    #[command(flatten)]
    pub orphans: OrphanScanArg,
    /// Destroy without asking.
    #[arg(long)]
    pub yes: bool,
    /// Also delete the stack's queues while they hold messages: every message
    /// is written to the backup as JSON first (`sluice restore` sends them
    /// again), and a queue with messages in flight is kept. Asks again on a
    /// terminal, even with --yes. Objects are not messages: see --delete-objects.
    #[arg(long)]
    pub force: bool,
    /// Also delete the stack's bucket while it holds objects, deleting every
    /// object and object version in it first (objects are not backed up).
    /// Asks again on a terminal, even with --yes. A bucket another team's
    /// notification entry or an EventBridge rule depends on is kept whatever
    /// the flags.
    #[arg(long)]
    pub delete_objects: bool,
    /// Base directory for the backup of deleted messages (default: sluice's data directory).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// Run without the terminal dashboard.
    #[arg(long)]
    pub headless: bool,
    /// Where records go: stdout (NDJSON), dir:PATH (NDJSON files by day), or null (count only).
    #[arg(long, default_value = "stdout", value_name = "SINK")]
    pub sink: SinkSpec,
    /// Size at which a dir sink file is closed and the next begun. Records of
    /// many messages share a file; each message is deleted from the queue
    /// only once the file holding its records is committed (fsynced and
    /// renamed).
    #[arg(long, default_value_t = 128, value_name = "MIB")]
    pub max_file_mib: u64,
    /// Age at which a dir sink file shared by messages is committed even if
    /// not full (its messages wait for it, kept hidden; a stop commits it at
    /// once). 0 commits it within a fifth of a second of its first records.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub max_file_age: u64,
    /// skip: write the good records and delete the message; fail: keep the message (it reaches the DLQ).
    #[arg(long, default_value = "skip")]
    pub on_decode_error: ErrorPolicy,
    /// Write bad records, with their object and offset, to NDJSON files here.
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Add _s3_bucket, _s3_key and _s3_event_time to every record.
    #[arg(long)]
    pub add_source: bool,
    /// Write a JSON metrics line here every interval (default: stderr).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub metrics_interval: u64,
    /// Exit once the queue is empty and nothing arrived for this long.
    #[arg(long, value_name = "SECS")]
    pub stop_when_idle: Option<u64>,
    /// Consume as the spec's role (assumed with its external ID), as a connector would.
    #[arg(long)]
    pub assume_role: bool,
    #[command(flatten)]
    pub iam: IamWaitArg,
    /// Messages processed at once (default: the spec's consumer.concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Long-polls at once (default: one per 10 processing slots, since one
    /// ReceiveMessage takes at most 10 messages).
    #[arg(long, value_name = "N")]
    pub receivers: Option<usize>,
    /// How long a graceful stop waits for messages being processed.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub grace: u64,
    /// Override the spec's consumer.format.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<RecordFormat>,
    /// Override the spec's consumer.compression.
    #[arg(long, value_name = "COMPRESSION")]
    pub compression: Option<Compression>,
    /// Largest record accepted; a larger one is a decode error.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_record_bytes: usize,
    /// Largest zstd window accepted (`zstd --long` objects need up to 2048):
    /// each object being decoded may need that much memory.
    #[arg(long, default_value_t = 128, value_name = "MIB")]
    pub max_zstd_window_mib: u64,
    /// How long a failing sink (full, read-only) is retried, receiving paused
    /// and held messages kept, before the run ends with an error.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub sink_retry: u64,
    /// keep: leave messages for another bucket, or outside the prefix/suffix,
    /// in the queue (they reach the DLQ); delete: delete them. Never fetched
    /// either way. Default: delete with notification.delivery sns (the
    /// queue gets the topic's every event), keep otherwise.
    #[arg(long)]
    pub on_foreign_event: Option<ForeignPolicy>,
    /// Fetch objects of whatever bucket a message names, not only the spec's.
    #[arg(long)]
    pub any_bucket: bool,
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// Only keys after this one (in S3's UTF-8 order).
    #[arg(long, value_name = "KEY")]
    pub start_after: Option<String>,
    /// Only objects modified after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    pub modified_after: Option<DateTime<Utc>>,
    /// Only objects modified before this time: those that predate the
    /// notification, which S3 never announced (the wizard's Data step gives it).
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    pub modified_before: Option<DateTime<Utc>>,
    /// Only keys matching this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<Regex>,
    /// At most this many objects.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Leave out GLACIER and DEEP_ARCHIVE objects.
    #[arg(long)]
    pub skip_glacier: bool,
    /// Count what would be sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// A local file, or s3://bucket/key.
    pub source: Source,
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    pub format: RecordFormat,
    #[arg(long, default_value = "auto", value_name = "COMPRESSION")]
    pub compression: Compression,
    /// Where records go: stdout, dir:PATH or null.
    #[arg(long, default_value = "stdout", value_name = "SINK")]
    pub sink: SinkSpec,
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_record_bytes: usize,
    /// Largest zstd window accepted (`zstd --long` objects need up to 2048).
    #[arg(long, default_value_t = 128, value_name = "MIB")]
    pub max_zstd_window_mib: u64,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Decompressed size of each generated dataset.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub size_mb: u64,
    /// Python interpreter for the json.loads baseline.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup directory, as printed by apply.
    #[arg(long, value_name = "DIR")]
    pub backup: PathBuf,
    /// Restore without asking.
    #[arg(long)]
    pub yes: bool,
    /// Put the saved state back even over parts others changed since sluice
    /// wrote (without it, restore refuses them, showing the diff).
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// Directory to write the bundle into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// What to export besides spec.json and README.md.
    #[arg(long, default_value = "all")]
    pub format: Format,
    /// The user's access key file (the 0600 CSV apply wrote): its key id,
    /// never the secret, goes where the connector's form asks for it.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct WizardArgs {
    /// Start from this spec.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    #[command(flatten)]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// How often the queue (and its dead-letter queue) is read.
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    pub interval: u64,
    /// Watch as the spec's role (assumed with its external ID), as a connector would.
    #[arg(long)]
    pub assume_role: bool,
    #[command(flatten)]
    pub iam: IamWaitArg,
}

fn rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 time such as 2026-11-01T00:00:00Z"))
}
