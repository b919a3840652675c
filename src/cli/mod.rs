//! The command line: argument parsing (clap) and dispatch. Thin by design:
//! arguments are parsed into the library's types, each command is a few
//! calls into the library, and what is printed is worded here.
//!
//! Split by what a reader comes for: `args` holds the clap definitions (the
//! help text lives in their doc comments), `print` what several commands
//! print alike (JSON, progress, the failure document), `inputs` what they
//! read first (the spec, AWS options, a key file), and one file per kind of
//! command: `setup` (init, wizard, plan, apply, verify), `undo` (destroy,
//! restore), `data` (consume, monitor, backfill, decode) and `handoff`
//! (export, credentials, snowflake, completions, man). This file parses,
//! dispatches, and maps errors to exit codes.

mod args;
mod data;
mod handoff;
mod inputs;
mod print;
mod setup;
mod undo;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

pub use args::{
    ApplyArgs, BackfillArgs, BenchArgs, Cli, Command, CompletionsArgs, ConfigArg, ConsumeArgs,
    CredentialsArgs, DEFAULT_CONFIG, DecodeArgs, DestroyArgs, ExportArgs, GlobalOpts, IamWaitArg,
    InitArgs, ManArgs, MonitorArgs, OrphanScanArg, OutputArg, OutputFormat, PlanArgs, RestoreArgs,
    SnowflakeArgs, StatusArgs, VerifyArgs, WizardArgs,
};
pub use handoff::{completions, man_page, manual_text};

use data::{backfill, consume, decode, monitor, status};
use handoff::{credentials, export, man, snowflake};
use print::print_failure;
use setup::{apply, init, plan, verify, wizard};
use undo::{destroy, restore};

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
            print_failure(&e, profile.as_deref(), json);
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
        Some(Command::Status(args)) => runtime()?.block_on(status(global, &args)),
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
