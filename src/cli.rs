//! The command line: argument parsing (clap) and dispatch. Thin by design:
//! every command is a few calls into the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::aws::Plan;
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
    match cli.command {
        Some(Command::Init(args)) => init(&cli.global, &args),
        Some(Command::Plan(args)) => plan(&args),
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

fn plan(args: &PlanArgs) -> Result<ExitCode> {
    let spec = load_spec(&args.config)?;
    if !args.offline {
        bail!(
            "planning against live AWS state is not in this build yet; pass --offline to plan without AWS"
        );
    }
    let plan = Plan::offline(&spec);
    if args.json {
        println!("{}", crate::docs::to_pretty(&plan.to_json()).trim_end());
    } else {
        print!("{}", plan.render(color_stdout()));
    }
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
