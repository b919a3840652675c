//! The command line: argument parsing (clap) and dispatch. Thin by design:
//! arguments are parsed into the library's types, each command is a few
//! calls into the library, and what is printed is worded here.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use regex::Regex;

use crate::aws::apply::ApplyOptions;
use crate::aws::observe::observe;
use crate::aws::progress::{KeptReason, Outcome};
use crate::aws::{AwsError, AwsOptions, ConnectError, Connected, Event, Plan};
use crate::aws::{Reporter, connect};
use crate::consume::inspect::Source;
use crate::consume::prepare::{ConsumeSettings, Prepared, prepare, require_queue};
use crate::consume::runner::{ErrorPolicy, ForeignPolicy};
use crate::consume::sink::SinkSpec;
use crate::export::{self, Format};
use crate::spec::{self, Compression, Connector, Delivery, RecordFormat, Setting, Spec};

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
#[derive(Debug, Clone, Copy, Args, Default)]
pub struct OutputArg {
    /// How the result is printed: text, or json (one JSON document on stdout,
    /// everything else on stderr).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
}

impl OutputArg {
    fn json(self) -> bool {
        self.output == OutputFormat::Json
    }
}

/// `value` as pretty JSON on stdout: a command's result under --output json.
fn print_json(value: &serde_json::Value) {
    print!("{}", crate::docs::to_pretty(value));
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
    /// Look for resources of the stack that the spec no longer names in the
    /// whole account, reading every queue's, role's, policy's and user's
    /// tags: for one made under a name outside the stack's prefix from
    /// another machine or by setup.sh. Without it: names starting with
    /// `<name>-`, and those recorded as made from this machine.
    #[arg(long)]
    pub scan_account: bool,
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
    /// Look for resources of the stack that the spec no longer names in the
    /// whole account, reading every queue's, role's, policy's and user's
    /// tags: for one made under a name outside the stack's prefix from
    /// another machine or by setup.sh. Without it: names starting with
    /// `<name>-`, and those recorded as made from this machine.
    #[arg(long)]
    pub scan_account: bool,
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
    fn duration(&self) -> Duration {
        Duration::from_secs(self.iam_wait)
    }
}

/// A wait for IAM, said on stderr.
fn say_waiting(reason: String) {
    eprintln!("  … {reason}");
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub spec: ConfigArg,
    /// Look for resources of the stack that the spec no longer names in the
    /// whole account, reading every queue's, role's, policy's and user's
    /// tags: for one made under a name outside the stack's prefix from
    /// another machine or by setup.sh. Without it: names starting with
    /// `<name>-`, and those recorded as made from this machine.
    #[arg(long)]
    pub scan_account: bool,
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
    #[arg(long, default_value = "skip", value_parser = error_policy)]
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
    #[arg(long, value_parser = foreign_policy)]
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
    #[arg(long, default_value = "all", value_parser = export_format)]
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

fn error_policy(s: &str) -> Result<ErrorPolicy, String> {
    s.parse()
}

fn foreign_policy(s: &str) -> Result<ForeignPolicy, String> {
    s.parse()
}

fn export_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 time such as 2026-11-01T00:00:00Z"))
}

/// Parses the command line, runs the command, and maps errors to exit codes:
/// 0 success, 1 error (message on stderr), 2 bad usage (clap's own).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_guard = match init_logging(cli.global.log_file.as_deref()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let profile = cli.global.profile.clone();
    let json = cli.command.as_ref().is_some_and(Command::prints_json);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            // Errors quote files and values: never a raw control character.
            let error = spec::json::escape(&format!("{e:#}"));
            let advice = advice(&e, profile.as_deref());
            eprintln!("error: {error}{advice}");
            // Automation reading stdout gets its one document even so.
            if json {
                print_json(&serde_json::json!({
                    "ok": false,
                    "error": format!("{e:#}"),
                    "advice": advice.trim_start_matches([',', '\n', ' ']),
                }));
            }
            ExitCode::FAILURE
        }
    }
}

impl Command {
    /// Whether the command was asked for one JSON document on stdout.
    fn prints_json(&self) -> bool {
        match self {
            Command::Plan(a) => a.json || a.output.json(),
            Command::Apply(a) => a.output.json(),
            Command::Verify(a) => a.output.json(),
            Command::Destroy(a) => a.output.json(),
            Command::Restore(a) => a.output.json(),
            Command::Backfill(a) => a.output.json(),
            Command::Export(a) => a.output.json(),
            Command::Credentials(a) => a.output.json(),
            Command::Snowflake(a) => a.output.json(),
            Command::Init(_)
            | Command::Consume(_)
            | Command::Monitor(_)
            | Command::Decode(_)
            | Command::Bench(_)
            | Command::Wizard(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
        }
    }
}

/// What the command line can add to an engine error: what to do about
/// credentials AWS refused, and the flags that help.
fn advice(e: &anyhow::Error, profile: Option<&str>) -> String {
    use crate::aws::error::CredentialProblem;
    let problem = e.chain().find_map(|cause| {
        cause
            .downcast_ref::<AwsError>()
            .or(match cause.downcast_ref::<ConnectError>() {
                Some(ConnectError::Identity(a)) => Some(a),
                _ => None,
            })
            .and_then(AwsError::credential_problem)
    });
    let profile_arg = profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    match problem {
        Some(CredentialProblem::Missing) => {
            ", or work with --offline (sluice plan --offline, sluice export)".to_owned()
        }
        Some(CredentialProblem::Expired) => format!(
            "\nThe session ended: renew it (AWS SSO: `aws sso login{profile_arg}`; an assumed role or a token: fetch new credentials) and run the command again; what finished stays done."
        ),
        Some(CredentialProblem::Invalid) => "\nCheck the access key id (and AWS_SESSION_TOKEN with temporary keys); a key made in the last minute may not be accepted everywhere yet.".to_owned(),
        Some(CredentialProblem::Signature) => "\nCheck the secret access key that goes with the key id, and that this machine's clock is right.".to_owned(),
        None => String::new(),
    }
}

fn init_logging(
    path: Option<&Path>,
) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open log file {}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    Ok(Some(guard))
}

fn run(cli: Cli) -> Result<ExitCode> {
    // One thread drives every request and timer; what takes CPU (decoding,
    // decompression, sink writes and fsyncs) runs on the blocking pool. The
    // work between requests is small, and a multi-thread scheduler spent a
    // large share of the consumer's CPU waking and parking its workers for it.
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    };
    let global = &cli.global;
    match cli.command {
        Some(Command::Init(args)) => init(global, &args),
        Some(Command::Export(args)) => export(&args, global),
        Some(Command::Bench(args)) => {
            let options = crate::consume::bench::BenchOptions {
                size_mb: args.size_mb,
                python: args.python,
            };
            crate::consume::bench::run(&options, &mut std::io::stdout().lock())
                .context("the benchmark failed")?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Plan(args)) => runtime()?.block_on(plan(global, &args)),
        Some(Command::Apply(args)) => runtime()?.block_on(apply(global, &args)),
        Some(Command::Restore(args)) => runtime()?.block_on(restore(global, &args)),
        Some(Command::Verify(args)) => runtime()?.block_on(verify(global, &args)),
        Some(Command::Destroy(args)) => runtime()?.block_on(destroy(global, &args)),
        Some(Command::Consume(args)) => runtime()?.block_on(consume(global, &args)),
        Some(Command::Monitor(args)) => runtime()?.block_on(monitor(global, &args)),
        Some(Command::Backfill(args)) => runtime()?.block_on(backfill(global, &args)),
        Some(Command::Decode(args)) => runtime()?.block_on(decode(global, &args)),
        Some(Command::Credentials(args)) => runtime()?.block_on(credentials(global, &args)),
        Some(Command::Snowflake(args)) => snowflake(global, &args),
        Some(Command::Wizard(args)) => runtime()?.block_on(wizard(global, args.config)),
        Some(Command::Completions(args)) => {
            completions(args.shell, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man(args)) => man(args.out.as_deref()),
        None => runtime()?.block_on(wizard(global, None)),
    }
}

/// `sluice completions SHELL`: the completion script, from the same clap
/// definitions that parse the command line.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> Result<()> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Generated into memory: clap_complete panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "sluice", &mut script);
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("cannot write the completion script")
}

/// sluice(1), the manual page of the whole command line, as roff.
pub fn man_page() -> Result<Vec<u8>> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .context("cannot render the manual page")?;
    Ok(page)
}

/// The manual for a bundle, as one roff file: sluice(1), then the page of
/// each command (sluice-plan(1), sluice-apply(1), …), as `man -l` shows them
/// one after the other.
pub fn manual_text() -> Result<String> {
    // As clap_mangen::generate_to names them: built, each command's page is
    // titled by its display name (sluice-apply).
    let mut command = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    command.build();
    let mut pages = man_page()?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        clap_mangen::Man::new(sub.clone())
            .render(&mut pages)
            .context("cannot render the manual page")?;
    }
    String::from_utf8(pages).context("the manual page is not UTF-8")
}

/// `sluice man`: sluice(1) on stdout, or every page into `out`.
fn man(out: Option<&Path>) -> Result<ExitCode> {
    match out {
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&man_page()?)
                .and_then(|()| stdout.flush())
                .context("cannot write the manual page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "1"))
                .collect();
            pages.sort();
            for page in pages {
                println!("{}", page.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn aws_options(global: &GlobalOpts) -> AwsOptions {
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
    fn load(&self, global: &GlobalOpts) -> Result<Spec> {
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
    fn load_offline(&self, global: &GlobalOpts) -> Result<Spec> {
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
    async fn connect(&self, global: &GlobalOpts) -> Result<Connected> {
        let spec = self.load(global)?;
        if crate::aws::client::refuses_endpoint(&spec, global.endpoint_url.as_deref()) {
            eprintln!(
                "warning: the endpoint is plain HTTP, and bucket.deny_insecure_transport makes the bucket refuse every request that is not HTTPS (uploads, verify, the consumer); for an emulator set it to false (sluice init --set bucket.deny_insecure_transport=false)"
            );
        }
        Ok(connect(&spec, &aws_options(global)).await?)
    }
}

async fn wizard(global: &GlobalOpts, config: Option<PathBuf>) -> Result<ExitCode> {
    crate::tui::run(crate::tui::WizardOptions {
        aws: AwsOptions {
            mfa_prompt: false,
            ..aws_options(global)
        },
        config,
        log_file: global.log_file.clone(),
        manual_page: manual_text().ok(),
    })
    .await
}

fn init(global: &GlobalOpts, args: &InitArgs) -> Result<ExitCode> {
    let Some(region) = global.region.as_deref() else {
        bail!("init needs --region (for example --region us-west-2)");
    };
    let mut spec = spec::starter_for(
        args.connector,
        &args.name,
        region,
        args.account_id.as_deref(),
    );
    if !args.set.is_empty() {
        spec = spec::with_settings(&spec, &args.set, "--set")?;
    }
    if let Err(errors) = spec::validate_unresolved(&spec) {
        bail!("cannot make a spec from these values:\n{errors}");
    }
    for (path, alias) in spec::kms_aliases(&spec) {
        eprintln!(
            "note: {path} names the alias {alias}: sluice plan and apply resolve it to its key with kms:DescribeKey; offline, plan --offline and export refuse it (give the key ARN for those)"
        );
    }
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to replace it",
            args.out.display()
        );
    }
    spec::save(&spec, &args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {} (stack {}, region {}); next: sluice plan --config {} --offline",
        args.out.display(),
        spec.name,
        spec.region,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Every error of the plan, on stderr.
fn print_plan_errors(plan: &Plan) {
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
}

async fn plan(global: &GlobalOpts, args: &PlanArgs) -> Result<ExitCode> {
    let plan = if args.offline {
        Plan::offline(&args.spec.load_offline(global)?)
    } else {
        let Connected {
            mut clients,
            identity,
            spec,
            kms_keys,
        } = args.spec.connect(global).await?;
        clients.scan_account = args.scan_account;
        let observed = observe(&clients, &spec, identity).await;
        Plan::live(&spec, &observed)?.with_kms_keys(&spec, &kms_keys)
    };
    if args.json || args.output.json() {
        print_json(&plan.to_json());
    } else {
        print!("{}", plan.render(color_stdout()));
    }
    print_plan_errors(&plan);
    // Like `terraform plan -detailed-exitcode`: 0 nothing to do, 2 changes, 1 error.
    // An offline plan is a preview of documents, not a comparison: always 0.
    Ok(if !plan.errors.is_empty() {
        ExitCode::FAILURE
    } else if args.offline || !plan.has_changes() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The flag that deletes what destroy kept, where one does.
fn kept_advice(why: &KeptReason) -> &'static str {
    match why {
        KeptReason::HoldsMessages(_) => {
            " (destroy --force deletes it, backing its messages up first)"
        }
        KeptReason::HoldsObjects(_) => " (destroy --delete-objects deletes its objects and it)",
        KeptReason::InUse(_) | KeptReason::NotOurs(_) => "",
    }
}

fn print_event(event: &Event, show_secret: bool) {
    match event {
        Event::Started { title, .. } => eprintln!("→ {title}"),
        Event::Finished {
            step,
            outcome,
            detail,
            elapsed,
        } => {
            let mark = match outcome {
                Outcome::NotAvailable(_) => "–",
                _ => "✓",
            };
            let advice = match outcome {
                Outcome::Kept(why) => kept_advice(why),
                _ => "",
            };
            eprintln!(
                "{mark} {step}: {detail}{advice} ({:.1} s)",
                elapsed.as_secs_f64()
            );
        }
        Event::Failed {
            step,
            error,
            elapsed,
        } => {
            eprintln!("✗ {step}: {error} ({:.1} s)", elapsed.as_secs_f64())
        }
        Event::Retrying {
            attempt,
            wait,
            reason,
            ..
        } => eprintln!(
            "  … {reason}; retrying in {:.1} s (attempt {attempt})",
            wait.as_secs_f64()
        ),
        Event::Waiting { reason, .. } => eprintln!("  … {reason}"),
        Event::BackupWritten { path } => {
            eprintln!("  backed up the prior state to {}", path.display())
        }
        Event::Note { message, .. } => eprintln!("  {message}"),
        Event::AccessKeyCreated {
            user,
            access_key_id,
            secret,
            path,
        } => {
            eprintln!(
                "  access key {access_key_id} created for {user}; its only copy is {} (mode 0600)",
                path.display()
            );
            if show_secret {
                eprintln!("  secret access key (shown once): {}", secret.expose());
            }
        }
    }
}

/// Runs `work` with a reporter whose events are printed as lines on stderr.
async fn with_progress<T>(work: impl AsyncFnOnce(&Reporter) -> T) -> T {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let show_secret = std::io::stderr().is_terminal();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            print_event(&event, show_secret);
        }
    });
    let reporter = Reporter::new(tx);
    let result = work(&reporter).await;
    drop(reporter);
    let _ = printer.await;
    result
}

fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{question} needs confirmation, and standard input is not a terminal: pass --yes to proceed"
        );
    }
    eprint!("{question} Only `yes` is accepted: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

fn print_connector(spec: &Spec, values: &[(&'static str, String)]) {
    let shown: Vec<(String, &String)> = values
        .iter()
        .map(|(k, v)| (crate::docs::shown_label(spec, k), v))
        .collect();
    let width = shown
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    match spec.connector {
        Connector::Generic => println!("\nConnector values:"),
        _ => println!(
            "\nValues for {}'s form (also in connector-values.json from sluice export):",
            spec.profile().vendor
        ),
    }
    for (key, value) in shown {
        println!("  {key:<width$}  {value}");
    }
}

async fn apply(global: &GlobalOpts, args: &ApplyArgs) -> Result<ExitCode> {
    let Connected {
        mut clients,
        identity,
        spec,
        kms_keys,
    } = args.spec.connect(global).await?;
    clients.scan_account = args.scan_account;
    // Step 1 of Snowflake's two: its SQL, with the role's real ARN.
    let step_one = crate::docs::snowflake::step_note(&spec).map(|_| {
        crate::docs::snowflake::step_one_sql(
            &crate::aws::plan::for_account(&spec, &identity).unwrap_or_else(|_| spec.clone()),
        )
    });
    let observed = observe(&clients, &spec, identity).await;
    let plan = Plan::live(&spec, &observed)?.with_kms_keys(&spec, &kms_keys);
    let json = args.output.json();
    if json {
        // stdout is for the result: the plan a person confirms goes to stderr.
        eprint!(
            "{}",
            plan.render(std::io::stderr().is_terminal() && color_stdout())
        );
    } else {
        print!("{}", plan.render(color_stdout()));
    }
    if !plan.errors.is_empty() {
        print_plan_errors(&plan);
        bail!("the plan has errors; nothing was changed");
    }
    if !plan.has_changes() {
        let queue_url = observed.queue.as_ref().ok().and_then(|q| q.as_ref());
        let values = crate::docs::vendor_values(&spec, queue_url.map(|q| q.url.as_str()), None);
        if json {
            print_json(&applied_json(&plan, None, &values, step_one.as_deref()));
        } else {
            println!("\nNothing to change: the account matches the spec.");
            print_connector(&spec, &values);
            print_step_one(step_one.as_deref(), &args.spec.config);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirm("Apply these changes?")? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    let backup_base = match &args.backup_dir {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("bad --backup-dir {}", dir.display()))?,
        None => crate::aws::backup::default_base()
            .context("no data directory for backups on this system: pass --backup-dir")?,
    };
    let options = ApplyOptions {
        backup_base,
        out_dir: args.out.clone(),
        propagation_timeout: Duration::from_secs(args.propagation_timeout),
        recent_dir: crate::aws::recent::default_dir(),
        recheck: Duration::from_secs(args.recheck),
    };
    let result = with_progress(async |reporter| {
        crate::aws::apply::apply(&clients, &spec, &plan, &observed, &options, reporter).await
    })
    .await;
    match result {
        Ok(report) if json => {
            print_json(&applied_json(
                &plan,
                report.backup_dir.as_deref(),
                &report.connector,
                step_one.as_deref(),
            ));
            Ok(ExitCode::SUCCESS)
        }
        Ok(report) => {
            if let Some(dir) = &report.backup_dir {
                println!(
                    "\nBackup of what was changed: {}\n(put it back with: sluice restore --backup {})",
                    dir.display(),
                    dir.display()
                );
            }
            print_connector(&spec, &report.connector);
            print_step_one(step_one.as_deref(), &args.spec.config);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let done = if e.completed.is_empty() {
                "none".to_owned()
            } else {
                e.completed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let backup = e
                .backup_dir
                .as_ref()
                .map(|d| format!("\nBackup so far: {}", d.display()))
                .unwrap_or_default();
            let renew = if e.error.kind == Some(crate::aws::ErrorKind::Credentials) {
                " Renew the credentials first (AWS SSO: aws sso login)."
            } else {
                ""
            };
            bail!("{e}\nSteps finished: {done}. Run apply again to continue.{renew}{backup}");
        }
    }
}

/// Apply's result under --output json: what the plan held, whether anything
/// changed, the backup, and the values the connector's form asks for.
fn applied_json(
    plan: &Plan,
    backup_dir: Option<&Path>,
    values: &[(&'static str, String)],
    step_one_sql: Option<&str>,
) -> serde_json::Value {
    let mut out = serde_json::json!({
        "changed": plan.has_changes(),
        "plan": plan.to_json(),
        "backup_dir": backup_dir.map(|d| d.display().to_string()),
        "connector_values": values_json(values),
    });
    if let Some(sql) = step_one_sql {
        out["snowflake_step_one_sql"] = serde_json::Value::String(sql.to_owned());
    }
    out
}

/// After step 1 of Snowflake's two: the SQL to run there, and step 2.
fn print_step_one(sql: Option<&str>, config: &Path) {
    if let Some(sql) = sql {
        println!(
            "\nSnowflake's values are not given yet: this was step 1 of 2. Run this in Snowflake (again at any time: sluice snowflake --config {} --sql):\n\n{sql}",
            config.display()
        );
    }
}

/// Connector values as one JSON object, in their order.
fn values_json(values: &[(&'static str, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The access key in `path`, a key file as apply writes it.
fn read_user_key(path: Option<&Path>) -> Result<Option<crate::aws::verify::UserKey>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    crate::aws::verify::UserKey::from_csv(&text)
        .map(Some)
        .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))
}

async fn verify(global: &GlobalOpts, args: &VerifyArgs) -> Result<ExitCode> {
    use crate::aws::verify::{Outcome, VerifyOptions};
    let user_key = read_user_key(args.key_file.as_deref())?;
    let Connected { clients, spec, .. } = args.spec.connect(global).await?;
    let options = VerifyOptions {
        timeout: Duration::from_secs(args.wait.unwrap_or(30)),
        user_key,
        iam_wait: args.iam.duration(),
        recent_dir: crate::aws::recent::default_dir(),
        // An explicit --wait is the wait; otherwise the route and the
        // changes apply recorded decide.
        wait_for_propagation: args.wait.is_none(),
        probe_busy_queue: args.probe_busy_queue,
    };
    let report = with_progress(async |reporter| {
        crate::aws::verify::verify(&clients, &spec, &options, reporter).await
    })
    .await;
    if args.output.json() {
        let checks: Vec<serde_json::Value> = report
            .checks
            .iter()
            .map(|check| {
                let (result, detail) = match &check.outcome {
                    Outcome::Pass => ("pass", None),
                    Outcome::Fail(why) => ("fail", Some(why.to_string())),
                    Outcome::NotAvailable(why) => ("n/a", Some(why.to_string())),
                };
                serde_json::json!({
                    "check": check.name.as_str(),
                    "result": result,
                    "detail": detail,
                    "latency_ms": u64::try_from(check.latency.as_millis()).unwrap_or(u64::MAX),
                })
            })
            .collect();
        print_json(&serde_json::json!({"passed": report.passed(), "checks": checks}));
        return Ok(if report.passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!();
    for check in &report.checks {
        let (mark, detail) = match &check.outcome {
            Outcome::Pass => ("pass", String::new()),
            Outcome::Fail(why) => ("FAIL", format!(": {why}")),
            Outcome::NotAvailable(why) => ("n/a ", format!(": {why}")),
        };
        println!(
            "{mark}  {:<22} {:>7.0} ms{detail}",
            check.name.as_str(),
            check.latency.as_secs_f64() * 1000.0
        );
    }
    Ok(if report.passed() {
        match crate::docs::snowflake::step_note(&spec) {
            // Step 1 of Snowflake's two: nothing reaches Snowflake yet.
            Some(note) => println!("\nNothing failed, but the pipeline is not whole yet. {note}."),
            None => println!("\nThe pipeline works end to end."),
        }
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn destroy(global: &GlobalOpts, args: &DestroyArgs) -> Result<ExitCode> {
    use crate::aws::destroy::DestroyOptions;
    let Connected {
        mut clients,
        identity,
        spec,
        ..
    } = args.spec.connect(global).await?;
    clients.scan_account = args.scan_account;
    let route = match spec.delivery() {
        Some(Delivery::Direct) => {
            format!("our notification entry on {}", spec.bucket.name)
        }
        Some(Delivery::Sns) => format!(
            "the queue's subscription to {}",
            spec.notification.topic_arn.as_deref().unwrap_or_default()
        ),
        Some(Delivery::Eventbridge) => format!(
            "our EventBridge rule {} (the bucket's EventBridge delivery only if no other rule may use it)",
            spec.notification.id
        ),
        None => "no notification (the pipeline has none)".to_owned(),
    };
    eprintln!(
        "This removes stack {} in {} (account {}): {route}, and the queues, policy, role, user and bucket that carry its sluice:stack tag. Untagged resources are kept.",
        spec.name, spec.region, identity.account,
    );
    let holdings = crate::aws::destroy::holdings(&clients, &spec).await?;
    let mut doomed = Vec::new();
    let say = |what: String, deleted: bool, fate: &str| {
        eprintln!("  {what}: {fate}");
        deleted.then_some(what)
    };
    for (kind, name, depth) in [
        ("queue", &spec.queue.name, holdings.queue),
        (
            "dead-letter queue",
            &spec.queue.dead_letter.name,
            holdings.dlq,
        ),
    ] {
        if let Some(depth) = depth.filter(|d| d.total() > 0) {
            doomed.extend(say(
                format!("{kind} {name} holds {depth}"),
                args.force,
                if args.force {
                    "deleted, after every message is written to the backup (kept if some are in flight)"
                } else {
                    "kept (--force deletes it, backing its messages up first)"
                },
            ));
        }
    }
    let bucket_in_use = !holdings.bucket_dependents.is_empty();
    if bucket_in_use {
        eprintln!(
            "  bucket {} is kept whatever the flags: {} depend{} on it",
            spec.bucket.name,
            holdings.bucket_dependents.join("; "),
            if holdings.bucket_dependents.len() == 1 {
                "s"
            } else {
                ""
            }
        );
    }
    if let Some(n) = holdings.bucket_objects.filter(|n| *n > 0) {
        let deleted = args.delete_objects && !bucket_in_use;
        doomed.extend(say(
            format!(
                "bucket {} holds {}",
                spec.bucket.name,
                crate::words::count(n, "object")
            ),
            deleted,
            if deleted {
                "deleted with every object in it (objects are not backed up)"
            } else if bucket_in_use {
                "kept"
            } else {
                "kept (--delete-objects deletes the objects and the bucket)"
            },
        ));
    }
    if !args.yes && !confirm("Destroy?")? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    if !doomed.is_empty()
        && std::io::stdin().is_terminal()
        && !confirm(&format!(
            "This deletes data: {}. Really?",
            doomed.join("; ")
        ))?
    {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    let options = DestroyOptions {
        force: args.force,
        delete_objects: args.delete_objects,
        backup_base: match &args.backup_dir {
            Some(dir) => Some(
                std::path::absolute(dir)
                    .with_context(|| format!("bad --backup-dir {}", dir.display()))?,
            ),
            None => None,
        },
    };
    let report = with_progress(async |reporter| {
        crate::aws::destroy::destroy(&clients, &spec, &options, reporter).await
    })
    .await?;
    // Data left behind means the stack is not gone: automation must notice.
    let holds_data = report.kept.iter().any(|(_, why)| why.holds_data());
    if args.output.json() {
        let kept: Vec<serde_json::Value> = report
            .kept
            .iter()
            .map(|(what, why)| {
                serde_json::json!({
                    "resource": what,
                    "why": why.to_string(),
                    "holds_data": why.holds_data(),
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "removed": report.removed,
            "already_gone": report.already_gone,
            "kept": kept,
        }));
    } else {
        for r in &report.removed {
            println!("removed  {r}");
        }
        for g in &report.already_gone {
            println!("gone     {g}");
        }
        for (what, why) in &report.kept {
            println!("kept     {what}: {why}{}", kept_advice(why));
        }
    }
    Ok(if holds_data {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

impl ConsumeArgs {
    /// The run these options ask for.
    fn settings(&self) -> ConsumeSettings {
        ConsumeSettings {
            sink: self
                .sink
                .clone()
                .with_max_file_bytes(self.max_file_mib.saturating_mul(1024 * 1024))
                .with_max_file_age(Duration::from_secs(self.max_file_age)),
            format: self.format,
            compression: self.compression,
            concurrency: self.concurrency,
            receivers: self.receivers,
            grace: Duration::from_secs(self.grace),
            on_decode_error: self.on_decode_error,
            quarantine: self.quarantine.clone(),
            add_source: self.add_source,
            max_record_bytes: self.max_record_bytes,
            max_zstd_window_mib: self.max_zstd_window_mib,
            stop_when_idle: self.stop_when_idle.map(Duration::from_secs),
            assume_role: self.assume_role,
            iam_wait: self.iam.duration(),
            sink_retry: Duration::from_secs(self.sink_retry),
            on_foreign_event: self.on_foreign_event,
            any_bucket: self.any_bucket,
        }
    }
}

async fn consume(global: &GlobalOpts, args: &ConsumeArgs) -> Result<ExitCode> {
    use crate::consume::report::{self, Report};
    use crate::consume::runner::Control;
    let settings = args.settings();
    // Without --headless the dashboard draws on the terminal: checked before any AWS call.
    let screen = if args.headless {
        None
    } else {
        let to_stdout = settings.sink == SinkSpec::Stdout;
        Some(crate::tui::dashboard::Screen::pick(to_stdout)?)
    };
    let Connected {
        clients,
        identity,
        spec,
        ..
    } = args.spec.connect(global).await?;
    let prepared = prepare(clients, &spec, &settings, &mut say_waiting).await?;
    let interval = Duration::from_secs(args.metrics_interval.max(1));
    if let Some(screen) = screen {
        use crate::tui::dashboard::ConsumeRun;
        let run = ConsumeRun::new(&spec, &identity, prepared);
        // Lines go to --metrics FILE only: stderr is under the dashboard.
        let report = match &args.metrics {
            Some(path) => Some(Report::start(
                report::open(Some(path))?,
                run.metrics.clone(),
                interval,
            )),
            None => None,
        };
        return crate::tui::dashboard::consume(screen, run, report).await;
    }
    let control = Control::default();
    let signals = {
        let control = control.clone();
        let mut count = 0;
        crate::signals::watch(move || {
            count += 1;
            if count == 1 {
                eprintln!("stopping: finishing the messages being processed (again to stop now)");
                control.shutdown.cancel();
                true
            } else {
                eprintln!("stopping now: releasing held messages");
                control.abort.cancel();
                false
            }
        })
    };
    let metrics = Arc::new(crate::consume::metrics::Metrics::new());
    // JSON for a file or a pipe; words for a person at a terminal.
    let style = if args.metrics.is_none() && std::io::stderr().is_terminal() {
        report::Style::Human
    } else {
        report::Style::Json
    };
    let report = Report::start_styled(
        report::open(args.metrics.as_deref())?,
        metrics.clone(),
        interval,
        style,
        settings.sink.to_string(),
    );
    let Prepared {
        clients,
        options,
        sink,
        ..
    } = prepared;
    let alerts = report::print_alerts(metrics.clone());
    let outcome = crate::consume::runner::run(clients, options, sink, metrics, control).await;
    signals.abort();
    alerts.abort();
    report.finish(&outcome.snapshot).await;
    if args.metrics.is_some() && std::io::stderr().is_terminal() {
        // The JSON went to the file; the person at the terminal gets the words.
        eprint!(
            "{}",
            report::human_summary(&outcome.snapshot, &settings.sink.to_string())
        );
    }
    if let Some(why) = outcome.failure() {
        eprintln!("error: {why}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn credentials(global: &GlobalOpts, args: &CredentialsArgs) -> Result<ExitCode> {
    use crate::aws::credentials::{Kind, make, render};
    // The secret goes to the terminal once, or to a 0600 file: never a pipe or a log.
    if args.out.is_none() && !std::io::stdout().is_terminal() {
        bail!(
            "stdout is not a terminal: the secret would land in a pipe or a log; pass --out FILE (written with mode 0600)"
        );
    }
    let user_key = read_user_key(args.key_file.as_deref())?;
    let Connected { clients, spec, .. } = args.spec.connect(global).await?;
    let clients = match &user_key {
        Some(key) => clients.with_key(&key.access_key_id, key.secret_access_key.expose()),
        None => clients,
    };
    let kind = if args.session {
        Kind::Session
    } else {
        Kind::Federated
    };
    let creds = make(&clients, &spec, kind, Duration::from_secs(args.duration)).await?;
    let json = args.output.json();
    let text = if json {
        crate::docs::to_pretty(&serde_json::json!({
            "access_key_id": creds.access_key_id,
            "secret_access_key": creds.secret_access_key.expose(),
            "session_token": creds.session_token.expose(),
            "expiration": creds.expiration,
            "region": spec.region,
        }))
    } else {
        render(&spec, &creds)
    };
    match &args.out {
        Some(path) => {
            crate::fsutil::write_atomic(path, text.as_bytes(), Some(0o600))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if json {
                // The secret is in the file only.
                print_json(&serde_json::json!({
                    "access_key_id": creds.access_key_id,
                    "expiration": creds.expiration,
                    "file": path.display().to_string(),
                }));
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "wrote temporary credentials {} (expire {}) to {} (mode 0600)",
                creds.access_key_id,
                creds.expiration,
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `sluice snowflake`: step 1's SQL, and step 2's values into the spec.
fn snowflake(global: &GlobalOpts, args: &SnowflakeArgs) -> Result<ExitCode> {
    use crate::docs::snowflake::{Names, step_one_sql};
    use crate::spec::snowflake as sf;
    let config = &args.spec.config;
    let spec = args.spec.load(global)?;
    if !spec.profile().two_steps {
        bail!(
            "{} follows {}'s guide (connector {}): `sluice snowflake` is for a spec made with --connector snowflake",
            config.display(),
            spec.profile().vendor,
            spec.connector
        );
    }
    let integration = args
        .desc_integration
        .as_deref()
        .map(|file| -> Result<sf::Integration> {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            sf::parse_desc_integration(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
        })
        .transpose()?;
    let pipe = Names::of(&spec).pipe;
    let channel = match (&args.notification_channel, &args.show_pipes) {
        (Some(arn), _) => Some((arn.trim().to_owned(), "--notification-channel".to_owned())),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let arn = sf::parse_show_pipes(&text, &pipe)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            Some((arn, file.display().to_string()))
        }
        (None, None) => None,
    };
    if let Some((arn, origin)) = &channel {
        sf::notification_channel(arn, &spec.region)
            .map_err(|e| anyhow::anyhow!("{origin}: {}: {e}", sf::NOTIFICATION_CHANNEL))?;
    }
    let settings = sf::settings(
        integration.as_ref(),
        channel.as_ref().map(|(a, _)| a.as_str()),
    );
    let mut set = serde_json::Map::new();
    let mut pending = spec.pending_vendor_values();
    if !settings.is_empty() {
        let text = std::fs::read_to_string(config)
            .with_context(|| format!("cannot read {}", config.display()))?;
        let origin = config.display().to_string();
        let (text, loaded) = spec::set_in_text(&text, &settings, &origin)
            .map_err(|e| anyhow::anyhow!("{e}\nnothing was written"))?;
        crate::fsutil::write_atomic(config, text.as_bytes(), None)
            .with_context(|| format!("cannot write {}", config.display()))?;
        for s in &settings {
            set.insert(s.path.clone(), s.value.clone());
        }
        pending = loaded.spec.pending_vendor_values();
    }
    let show_sql = args.sql || settings.is_empty();
    let sql = show_sql.then(|| step_one_sql(&spec));
    let next = format!("sluice apply --config {}", config.display());
    if args.output.json() {
        print_json(&serde_json::json!({
            "config": config.display().to_string(),
            "set": set,
            "pending": pending,
            "step": if pending.is_empty() { 2 } else { 1 },
            "sql": sql,
            "next": if set.is_empty() { None } else { Some(&next) },
        }));
        return Ok(ExitCode::SUCCESS);
    }
    for (path, value) in &set {
        eprintln!("set {path} to {value} in {}", config.display());
    }
    if !set.is_empty() {
        if pending.is_empty() {
            eprintln!(
                "next: {next} (the role then trusts Snowflake's IAM user with its external ID, and the bucket notifies the pipe's queue); then sluice verify"
            );
        } else {
            eprintln!(
                "still to come from Snowflake: {}; {next} now writes what is given",
                pending.join(", ")
            );
        }
    }
    if let Some(sql) = sql {
        if spec.account_id.is_none() {
            eprintln!(
                "note: {} names no account_id, so the role's ARN shows {}; sluice apply prints this SQL with the account filled in",
                config.display(),
                crate::docs::ACCOUNT_PLACEHOLDER
            );
        }
        print!("{sql}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn backfill(global: &GlobalOpts, args: &BackfillArgs) -> Result<ExitCode> {
    use crate::consume::backfill::BackfillOptions;
    let Connected { clients, spec, .. } = args.spec.connect(global).await?;
    let queue = if args.dry_run {
        String::new()
    } else {
        require_queue(&clients, &spec).await?
    };
    let options = BackfillOptions {
        bucket: spec.bucket.name.clone(),
        region: spec.region.clone(),
        prefix: spec.bucket.prefix.clone(),
        suffix: spec.bucket.suffix.clone(),
        queue_url: queue,
        start_after: args.start_after.clone(),
        modified_after: args.modified_after,
        modified_before: args.modified_before,
        matching: args.matching.clone(),
        limit: args.limit,
        skip_glacier: args.skip_glacier,
        dry_run: args.dry_run,
    };
    let report = with_progress(async |reporter| {
        crate::consume::backfill::backfill(&clients, &options, reporter).await
    })
    .await?;
    if args.output.json() {
        print_json(&serde_json::json!({
            "listed": report.listed,
            "matched": report.matched,
            "bytes": report.bytes,
            "sent": report.sent,
            "dry_run": args.dry_run,
            "skipped_glacier": report.skipped_glacier,
            "last_key": report.last_key,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} listed, {} matched ({} bytes), {} sent{}",
        report.listed,
        report.matched,
        report.bytes,
        report.sent,
        if args.dry_run {
            " (dry run: nothing sent)"
        } else {
            ""
        }
    );
    if report.skipped_glacier > 0 {
        println!(
            "{} left out",
            crate::words::count(report.skipped_glacier, "Glacier object")
        );
    }
    if let Some(last) = &report.last_key {
        println!("last key: {last} (resume after it with --start-after)");
    }
    Ok(ExitCode::SUCCESS)
}

async fn decode(global: &GlobalOpts, args: &DecodeArgs) -> Result<ExitCode> {
    use crate::consume::decode::DecodeOptions;
    let options = DecodeOptions {
        format: args.format,
        compression: args.compression,
        max_record_bytes: args.max_record_bytes,
        max_zstd_window_mib: args.max_zstd_window_mib,
        ..DecodeOptions::default()
    };
    crate::consume::prepare::check_zstd_memory(
        args.max_zstd_window_mib,
        1,
        crate::consume::prepare::available_memory(),
    )?;
    let decoded = crate::consume::inspect::decode_to_sink(
        &args.source,
        &aws_options(global),
        &options,
        &args.sink,
    )
    .await?;
    let source = &args.source;
    for e in &decoded.errors {
        eprintln!(
            "{source}: record {} at byte {}: {}",
            e.index, e.offset, e.message
        );
    }
    match decoded.result {
        Ok(summary) => {
            eprintln!(
                "{source}: {} records, {} decode errors; {} compression, {} format; {} bytes read, {} decompressed",
                summary.records,
                summary.errors,
                summary.compression.as_str(),
                summary.format.as_str(),
                summary.bytes_in,
                summary.bytes_out
            );
            Ok(if summary.errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(e) => {
            eprintln!("{source}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn restore(global: &GlobalOpts, args: &RestoreArgs) -> Result<ExitCode> {
    let (manifest, items) = crate::aws::backup::read(&args.backup)?;
    eprintln!(
        "Backup of stack {} in {} (account {}), taken {}: {} item(s)",
        manifest.stack,
        manifest.region,
        manifest.account,
        manifest.created_at,
        items.len()
    );
    let clients = crate::aws::restore::connect(&manifest, &aws_options(global)).await?;
    // What is there now, and what restore would write over it.
    let (_, steps) = crate::aws::restore::plan(&clients, &args.backup)
        .await
        .map_err(anyhow::Error::msg)?;
    // The diff a person confirms; under --output json it goes to stderr.
    let json = args.output.json();
    let color = if json {
        std::io::stderr().is_terminal() && color_stdout()
    } else {
        color_stdout()
    };
    let say = |text: String| {
        if json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    let mut conflicts = Vec::new();
    for step in &steps {
        say(format!("~ {}", step.title));
        for line in &step.diff {
            say(format!("    {}", line.painted(color)));
        }
        if !step.kept.is_empty() {
            say(format!(
                "    kept as others changed it since sluice wrote: {}",
                step.kept.join(", ")
            ));
        }
        if !step.conflicts.is_empty() {
            say(format!(
                "    changed by others since sluice wrote, and by the backup: {}",
                step.conflicts.join(", ")
            ));
            conflicts.extend(
                step.conflicts
                    .iter()
                    .map(|c| format!("{c} ({})", step.title)),
            );
        }
    }
    if !conflicts.is_empty() && !args.overwrite {
        eprintln!(
            "error: others changed {} after sluice wrote, and the backup would change them back: nothing was changed. Compare the diff above; run restore again with --overwrite to put the saved state back over their change",
            conflicts.join("; ")
        );
        return Ok(ExitCode::FAILURE);
    }
    if !args.yes && !confirm("Put these prior states back?")? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    let result = with_progress(async |reporter| {
        crate::aws::restore::restore(&clients, &steps, reporter).await
    })
    .await;
    let done = result.map_err(anyhow::Error::msg)?;
    if args.output.json() {
        print_json(&serde_json::json!({
            "restored": done.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "backup": args.backup.display().to_string(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Restored {} item(s) from {}",
        done.len(),
        args.backup.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export(args: &ExportArgs, global: &GlobalOpts) -> Result<ExitCode> {
    let spec = args.spec.load_offline(global)?;
    let key = read_user_key(args.key_file.as_deref())?;
    let files = export::bundle_with_key(
        &spec,
        args.format,
        key.as_ref().map(|k| k.access_key_id.as_str()),
        Some(manual_text()?),
    );
    let written = export::write_bundle(&args.out, &files)
        .with_context(|| format!("cannot write the bundle into {}", args.out.display()))?;
    if args.output.json() {
        print_json(&serde_json::json!({
            "files": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }));
    } else {
        for path in &written {
            println!("{}", path.display());
        }
    }
    for finding in crate::docs::lint(&spec) {
        eprintln!("{finding}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `sluice monitor`: the dashboard without a consumer, polling GetQueueAttributes.
async fn monitor(global: &GlobalOpts, args: &MonitorArgs) -> Result<ExitCode> {
    use crate::consume::monitor::Target;
    use crate::consume::prepare::{Queues, connect_as, queues};
    use crate::tui::dashboard::{Info, MonitorRun, Screen};
    let screen = Screen::pick(false)?;
    let Connected {
        clients,
        identity,
        spec,
        ..
    } = args.spec.connect(global).await?;
    let (clients, assumed_role) = connect_as(
        clients,
        &spec,
        args.assume_role,
        args.iam.duration(),
        &mut say_waiting,
    )
    .await?;
    let Queues { queue_url, dlq_url } = queues(&clients, &spec).await?;
    let mut info = Info::for_stack(&spec, &identity, dlq_url.is_some());
    if let Some(role) = assumed_role {
        info.identity = role;
    }
    let target = Target { queue_url, dlq_url };
    let interval = Duration::from_secs(args.interval.max(1));
    crate::tui::dashboard::monitor(MonitorRun {
        info,
        screen,
        clients,
        target,
        interval,
    })
    .await
}
