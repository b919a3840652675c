//! Setting the pipeline up and checking it: `init` writes a spec, the
//! wizard edits one, `plan` shows the diff, `apply` makes it so, and
//! `verify` tries it end to end.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::inputs::{aws_options, read_user_key};
use super::print::{color_stdout, confirm, print_json, print_plan_errors, with_progress};
use super::{ApplyArgs, GlobalOpts, InitArgs, PlanArgs, VerifyArgs, manual_text};
use crate::aws::apply::ApplyOptions;
use crate::aws::observe::observe;
use crate::aws::{AwsOptions, Connected, Plan};
use crate::spec::{self, Connector, Spec};

pub(super) async fn wizard(global: &GlobalOpts, config: Option<PathBuf>) -> Result<ExitCode> {
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

pub(super) fn init(global: &GlobalOpts, args: &InitArgs) -> Result<ExitCode> {
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

pub(super) async fn plan(global: &GlobalOpts, args: &PlanArgs) -> Result<ExitCode> {
    let plan = if args.offline {
        Plan::offline(&args.spec.load_offline(global)?)
    } else {
        let Connected {
            mut clients,
            identity,
            spec,
            kms_keys,
        } = args.spec.connect(global).await?;
        clients.scan_account = args.orphans.scan_account;
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

pub(super) async fn apply(global: &GlobalOpts, args: &ApplyArgs) -> Result<ExitCode> {
    let Connected {
        mut clients,
        identity,
        spec,
        kms_keys,
    } = args.spec.connect(global).await?;
    clients.scan_account = args.orphans.scan_account;
    // Step 1 of Snowflake's two: its SQL, with the role's real ARN.
    let step_one = crate::docs::snowflake::step_note(&spec).map(|_| {
        crate::docs::snowflake::step_one_sql(
            &crate::aws::account::for_account(&spec, &identity).unwrap_or_else(|_| spec.clone()),
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

pub(super) async fn verify(global: &GlobalOpts, args: &VerifyArgs) -> Result<ExitCode> {
    use crate::aws::verify::{Verdict, VerifyOptions};
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
                    Verdict::Pass => ("pass", None),
                    Verdict::Fail(why) => ("fail", Some(why.to_string())),
                    Verdict::NotAvailable(why) => ("n/a", Some(why.to_string())),
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
            Verdict::Pass => ("pass", String::new()),
            Verdict::Fail(why) => ("FAIL", format!(": {why}")),
            Verdict::NotAvailable(why) => ("n/a ", format!(": {why}")),
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
