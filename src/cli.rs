//! The command line: argument parsing (clap) and dispatch. Thin by design:
//! every command is a few calls into the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::aws::apply::ApplyOptions;
use crate::aws::observe::observe;
use crate::aws::{AwsOptions, Clients, Event, Identity, Plan, Reporter};
use crate::export::{self, Format};
use crate::spec::{self, Spec};

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "Set up, verify and consume event-driven S3 → SQS ingestion",
    long_about = "sluice sets up the whole S3 → SQS ingestion pipeline from one spec file: the IAM \
policy, role (with an external ID) and optional user, the bucket, the queue with its access policy \
and dead-letter queue, and the bucket's event notification, merged with any that exist. It plans \
as a diff, applies idempotently with backups, and exports the setup as JSON documents, an AWS CLI \
script, CloudFormation and Terraform.\n\nStart with `sluice init --name NAME --region REGION`, then \
`sluice plan --config sluice.json --offline` and `sluice export --config sluice.json --out DIR`."
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
    /// AWS region. Overrides the spec's region for AWS calls; required by `init`.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as moto).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Write a log to this file (sluice never logs to the terminal).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter spec with every default filled in.
    Init(InitArgs),
    /// Show what an apply would do, as a diff per resource.
    Plan(PlanArgs),
    /// Create or update the pipeline: plan, confirm, back up, apply in order.
    Apply(ApplyArgs),
    /// Put back the prior state saved in a backup directory by apply.
    Restore(RestoreArgs),
    /// Write the saved-config bundle: JSON documents, setup.sh, CloudFormation, Terraform.
    Export(ExportArgs),
    /// Open the terminal wizard.
    Wizard(WizardArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Stack name: the prefix of every default resource name (lowercase letters, digits, hyphens).
    #[arg(long)]
    pub name: String,
    /// The AWS account id, when known (otherwise documents carry a placeholder until discovered).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Where to write the spec.
    #[arg(long, default_value = "sluice.json", value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The spec file.
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
    /// Plan without contacting AWS: every resource is shown as created.
    #[arg(long)]
    pub offline: bool,
    /// Print the plan as JSON: [{"resource", "name", "action", "before", "after"}].
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The spec file.
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
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
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup directory, as printed by apply.
    #[arg(long, value_name = "DIR")]
    pub backup: PathBuf,
    /// Restore without asking.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The spec file.
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
    /// Directory to write the bundle into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// What to export besides spec.json and README.md.
    #[arg(long, default_value = "all", value_parser = clap::builder::PossibleValuesParser::new(Format::NAMES))]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct WizardArgs {
    /// Start from this spec.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
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
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    };
    match cli.command {
        Some(Command::Init(args)) => init(&cli.global, &args),
        Some(Command::Plan(args)) => runtime()?.block_on(plan(&cli.global, &args)),
        Some(Command::Apply(args)) => runtime()?.block_on(apply(&cli.global, &args)),
        Some(Command::Restore(args)) => runtime()?.block_on(restore(&cli.global, &args)),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Wizard(_)) | None => {
            eprintln!(
                "The terminal wizard is not in this build yet. Meanwhile:\n  \
                 sluice init --name NAME --region REGION     write a starter spec\n  \
                 sluice plan --config sluice.json --offline  see every document\n  \
                 sluice export --config sluice.json --out DIR\n\nRun `sluice --help` for everything."
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init(global: &GlobalOpts, args: &InitArgs) -> Result<ExitCode> {
    let Some(region) = global.region.as_deref() else {
        bail!("init needs --region (for example --region us-west-2)");
    };
    let spec = spec::starter(&args.name, region, args.account_id.as_deref());
    if let Err(errors) = spec::validate(&spec) {
        bail!("cannot make a spec from these values:\n{errors}");
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

fn load_spec(path: &Path) -> Result<Spec> {
    let loaded = spec::load(path)?;
    for note in &loaded.generated {
        eprintln!("warning: {note}");
    }
    Ok(loaded.spec)
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

async fn plan(global: &GlobalOpts, args: &PlanArgs) -> Result<ExitCode> {
    let spec = load_spec(&args.config)?;
    let plan = if args.offline {
        Plan::offline(&spec)
    } else {
        let (clients, identity) = connect(global, &spec).await?;
        let spec = for_caller(&spec, &identity)?;
        let observed = observe(&clients, &spec, identity).await;
        Plan::live(&spec, &observed)?
    };
    if args.json {
        println!("{}", crate::docs::to_pretty(&plan.to_json()).trim_end());
        for e in &plan.errors {
            eprintln!("error: {e}");
        }
    } else {
        print!("{}", plan.render(color_stdout()));
    }
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

fn aws_options(global: &GlobalOpts) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
    }
}

/// Clients for the spec's region, and who the caller is.
async fn connect(global: &GlobalOpts, spec: &Spec) -> Result<(Clients, Identity)> {
    if let Some(region) = &global.region
        && region != &spec.region
    {
        bail!(
            "--region {region} differs from the spec's region {}: the pipeline's resources live in the spec's region",
            spec.region
        );
    }
    let clients = Clients::load(&aws_options(global), &spec.region).await;
    let identity = clients.identity().await?;
    tracing::info!(account = %identity.account, arn = %identity.arn, "caller identity");
    Ok((clients, identity))
}

/// The spec with the caller's account filled in (refusing another account's spec).
fn for_caller(spec: &Spec, identity: &Identity) -> Result<Spec> {
    Ok(crate::aws::plan::for_account(spec, identity)?)
}

fn print_event(event: &Event, show_secret: bool) {
    match event {
        Event::Started { title, .. } => eprintln!("→ {title}"),
        Event::Succeeded {
            step,
            detail,
            elapsed,
        } => {
            eprintln!("✓ {step}: {detail} ({:.1} s)", elapsed.as_secs_f64())
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

/// A reporter that prints every event as a line on stderr, and the task doing it.
fn line_reporter() -> (Reporter, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let show_secret = std::io::stderr().is_terminal();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            print_event(&event, show_secret);
        }
    });
    (Reporter::new(tx), printer)
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

async fn apply(global: &GlobalOpts, args: &ApplyArgs) -> Result<ExitCode> {
    let spec = load_spec(&args.config)?;
    let (clients, identity) = connect(global, &spec).await?;
    let spec = for_caller(&spec, &identity)?;
    let observed = observe(&clients, &spec, identity).await;
    let plan = Plan::live(&spec, &observed)?;
    print!("{}", plan.render(color_stdout()));
    if !plan.errors.is_empty() {
        bail!("the plan has errors (above); nothing was changed");
    }
    if plan.has_changes() {
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
            propagation_timeout: std::time::Duration::from_secs(args.propagation_timeout),
        };
        let (reporter, printer) = line_reporter();
        let result =
            crate::aws::apply::apply(&clients, &spec, &plan, &observed, &options, &reporter).await;
        drop(reporter);
        let _ = printer.await;
        match result {
            Ok(report) => {
                if let Some(dir) = &report.backup_dir {
                    println!(
                        "\nBackup of what was changed: {}\n(put it back with: sluice restore --backup {})",
                        dir.display(),
                        dir.display()
                    );
                }
                print_connector(&report.connector);
            }
            Err(e) => {
                let done = if e.completed.is_empty() {
                    "none".to_owned()
                } else {
                    e.completed.join(", ")
                };
                let backup = e
                    .backup_dir
                    .as_ref()
                    .map(|d| format!("\nBackup so far: {}", d.display()))
                    .unwrap_or_default();
                bail!("{e}\nSteps finished: {done}. Run apply again to continue.{backup}");
            }
        }
    } else {
        println!("\nNothing to change: the account matches the spec.");
        let mut values = crate::docs::connector_values(&spec);
        if let (Ok(Some(queue)), Some(slot)) = (
            &observed.queue,
            values.iter_mut().find(|(k, _)| *k == "queue_url"),
        ) {
            slot.1 = queue.url.clone();
        }
        print_connector(&values);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_connector(values: &[(&'static str, String)]) {
    println!("\nConnector values:");
    for (key, value) in values {
        println!("  {key:<12} {value}");
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
    if !args.yes && !confirm("Put these prior states back?")? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    let mut options = aws_options(global);
    options.region.get_or_insert(manifest.region.clone());
    let clients = Clients::load(&options, &manifest.region).await;
    let identity = clients.identity().await?;
    if identity.account != manifest.account {
        bail!(
            "the backup is of account {} but the credentials are for {}",
            manifest.account,
            identity.account
        );
    }
    let (reporter, printer) = line_reporter();
    let result = crate::aws::restore::restore(&clients, &args.backup, &reporter).await;
    drop(reporter);
    let _ = printer.await;
    let (_, done) = result.map_err(anyhow::Error::msg)?;
    println!(
        "Restored {} item(s) from {}",
        done.len(),
        args.backup.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export(args: &ExportArgs) -> Result<ExitCode> {
    let spec = load_spec(&args.config)?;
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let files = export::bundle(&spec, format);
    let written = export::write_bundle(&args.out, &files)
        .with_context(|| format!("cannot write the bundle into {}", args.out.display()))?;
    for path in &written {
        println!("{}", path.display());
    }
    for finding in crate::docs::lint(&spec) {
        eprintln!("{finding}");
    }
    Ok(ExitCode::SUCCESS)
}
