//! Taking back what apply did: `destroy` removes the stack (backing up
//! the messages of a queue it deletes), and `restore` puts a backup's prior
//! state back.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::inputs::aws_options;
use super::print::{color_stdout, confirm, kept_advice, print_json, with_progress};
use super::{DestroyArgs, GlobalOpts, RestoreArgs};
use crate::aws::Connected;
use crate::spec::Delivery;

pub(super) async fn destroy(global: &GlobalOpts, args: &DestroyArgs) -> Result<ExitCode> {
    use crate::aws::destroy::DestroyOptions;
    let Connected {
        mut clients,
        identity,
        spec,
        ..
    } = args.spec.connect(global).await?;
    clients.scan_account = args.orphans.scan_account;
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
    let route = if spec.makes_queue() {
        format!("{route}, the queue's subscriptions to any other SNS topic")
    } else {
        route
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
                } else if kind == "queue" && depth.may_be_only_test_events() {
                    "kept, unless they are only S3's test events, which are not data (--force deletes it, backing its messages up first)"
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

/// An error's words, and how to renew the credentials when the session ended.
fn with_renewal(error: &crate::aws::progress::StepError, words: String) -> String {
    if error.kind == Some(crate::aws::ErrorKind::Credentials) {
        format!("{words}\nRenew the credentials (AWS SSO: aws sso login) and run restore again.")
    } else {
        words
    }
}

pub(super) async fn restore(global: &GlobalOpts, args: &RestoreArgs) -> Result<ExitCode> {
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
        .map_err(|e| {
            let words = format!("reading what restore would write over: {e}");
            anyhow::anyhow!("{}", with_renewal(&e, words))
        })?;
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
    let done = result.map_err(|e| anyhow::anyhow!("{}", with_renewal(&e.error, e.to_string())))?;
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
