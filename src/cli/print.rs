//! What several commands print the same way: the JSON document under
//! `--output json` (and the one a failure leaves on stdout), colour, the
//! plan's errors, the engine's progress as lines on stderr, and the
//! questions asked before a change.

use std::io::IsTerminal;

use anyhow::{Result, bail};

use super::Command;
use crate::aws::progress::{KeptReason, StepOutcome};
use crate::aws::{AwsError, ConnectError, Event, Plan, Reporter};
use crate::spec;

/// `value` as pretty JSON on stdout: a command's result under --output json.
pub(super) fn print_json(value: &serde_json::Value) {
    print!("{}", crate::docs::to_pretty(value));
}

impl Command {
    /// Whether the command was asked for one JSON document on stdout.
    pub(super) fn prints_json(&self) -> bool {
        match self {
            Command::Plan(a) => a.json || a.output.json(),
            Command::Apply(a) => a.output.json(),
            Command::Verify(a) => a.output.json(),
            Command::Destroy(a) => a.output.json(),
            Command::Restore(a) => a.output.json(),
            Command::Status(a) => a.output.json(),
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

/// A command's error on stderr, with what the command line can add to it;
/// under --output json the one document on stdout too.
pub(super) fn print_failure(e: &anyhow::Error, profile: Option<&str>, json: bool) {
    // Errors quote files and values: never a raw control character.
    let error = spec::json::escape(&format!("{e:#}"));
    let advice = advice(e, profile);
    eprintln!("error: {error}{advice}");
    // Automation reading stdout gets its one document even so.
    if json {
        print_json(&serde_json::json!({
            "ok": false,
            "error": format!("{e:#}"),
            "advice": advice.trim_start_matches([',', '\n', ' ']),
        }));
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

pub(super) fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Every error of the plan, on stderr.
pub(super) fn print_plan_errors(plan: &Plan) {
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
}

/// The flag that deletes what destroy kept, where one does.
pub(super) fn kept_advice(why: &KeptReason) -> &'static str {
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
                StepOutcome::NotAvailable(_) => "–",
                _ => "✓",
            };
            let advice = match outcome {
                StepOutcome::Kept(why) => kept_advice(why),
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
        Event::Retrying { retry, .. } => eprintln!(
            "  … {}; retrying in {:.1} s (attempt {})",
            retry.reason,
            retry.wait.as_secs_f64(),
            retry.attempt
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
pub(super) async fn with_progress<T>(work: impl AsyncFnOnce(&Reporter) -> T) -> T {
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

pub(super) fn confirm(question: &str) -> Result<bool> {
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

/// A wait for IAM, said on stderr.
pub(super) fn say_waiting(reason: String) {
    eprintln!("  … {reason}");
}
