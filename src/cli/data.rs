//! The data path: `consume` reads the queue and writes each object's
//! records to a sink, `monitor` watches the queue drain, `backfill` sends
//! events for objects that predate the notification, and `decode` decodes
//! one object the way the consumer does.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::inputs::aws_options;
use super::print::{print_json, say_waiting, with_progress};
use super::{BackfillArgs, ConsumeArgs, DecodeArgs, GlobalOpts, MonitorArgs, StatusArgs};
use crate::aws::Connected;
use crate::consume::prepare::{ConsumeSettings, Prepared, prepare, require_queue};
use crate::consume::sink::SinkSpec;

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

pub(super) async fn consume(global: &GlobalOpts, args: &ConsumeArgs) -> Result<ExitCode> {
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

pub(super) async fn backfill(global: &GlobalOpts, args: &BackfillArgs) -> Result<ExitCode> {
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

pub(super) async fn decode(global: &GlobalOpts, args: &DecodeArgs) -> Result<ExitCode> {
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

/// `sluice monitor`: the dashboard without a consumer, polling GetQueueAttributes.
pub(super) async fn monitor(global: &GlobalOpts, args: &MonitorArgs) -> Result<ExitCode> {
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
        health: crate::consume::monitor::HealthTarget::of(&spec),
    })
    .await
}

/// `sluice status`: one health reading. Exit 0 healthy, 1 trouble, 2 cannot
/// tell, whatever stopped the reading (an unreadable spec, no credentials)
/// included: a cron job or an agent reads the status, not an error code.
pub(super) async fn status(global: &GlobalOpts, args: &StatusArgs) -> Result<ExitCode> {
    use crate::aws::health::{Status, health};
    let json = args.output.json();
    let connected = match args.spec.connect(global).await {
        Ok(connected) => connected,
        Err(e) => {
            super::print_failure(&e, global.profile.as_deref(), json);
            return Ok(ExitCode::from(2));
        }
    };
    let spec = &connected.spec;
    let reading = health(&connected.clients, spec).await;
    if json {
        print_json(&serde_json::json!({
            "stack": spec.name,
            "region": spec.region,
            "account": connected.identity.account,
            "status": reading.status,
            "exit_code": reading.exit_code(),
            "checks": reading.checks,
        }));
    } else {
        let verdict = match reading.status {
            Status::Ok => "healthy",
            Status::Trouble => "trouble",
            Status::Unknown => "cannot tell",
        };
        println!(
            "{} in {} (account {}): {verdict}",
            spec.name, spec.region, connected.identity.account
        );
        for check in &reading.checks {
            let mark = match check.status {
                Status::Ok => "ok     ",
                Status::Trouble => "TROUBLE",
                Status::Unknown => "unknown",
            };
            println!("  {mark}  {} {}: {}", check.check, check.name, check.detail);
        }
    }
    Ok(ExitCode::from(reading.exit_code()))
}
