//! The dashboard: live monitoring of a running ingest — queue depth, in
//! flight, throughput, decode errors — with the consumer in-process
//! ([`consume`]), or watching the queue only ([`monitor()`]).
//! [`consume_in`] runs it in a terminal the caller already owns (the wizard's
//! Done screen); [`consume`] sets the terminal up itself (`sluice consume`).
//!
//! Same shape as the wizard, smaller: a [`State`], an [`Action`] for every
//! key, tick and background result, [`update()`] as the one place the state
//! changes (returning the [`Effect`]s the loop carries out on the consumer's
//! `Control`), and [`view::render`], which takes `&State` and does no I/O.
//! The consumer is a tokio task; the loop reads its `Arc<Metrics>` once a
//! second (and after every key) and never calls AWS itself. In monitor mode a
//! poller task reads GetQueueAttributes and sends the readings as actions.
//! For a spec with alarms, in both modes, another reads the alarms' states and
//! the queues' oldest-message ages from CloudWatch on start and once a minute
//! ([`Action::Health`]); the queue panel shows them under the gauges.
//!
//! ```text
//! module     what it holds
//! state      State, the 5-minute History ring, Info, RunState, Panel
//! action     Action, Effect, QueueReading
//! update     update(&mut State, Action) -> Vec<Effect>
//! view/      render(frame, &State), layout(): header, queue, counters,
//!            charts (Chart / Sparkline), errors, overlays
//! runtime    the event loop (generic over backend and event stream), signals
//! terminal   raw mode + alternate screen guard and panic hook; stdout or stderr
//! format     numbers, bytes, durations
//! ```

pub mod action;
pub mod format;
pub mod runtime;
pub mod state;
pub mod terminal;
pub mod update;
pub mod view;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

pub use action::{Action, Effect, QueueReading};
pub use state::{Info, Mode, Panel, RunState, State};
pub use terminal::Screen;
pub use update::update;
pub use view::render;

use crate::aws::{Clients, Identity};
use crate::consume::metrics::{Metrics, Snapshot};
use crate::consume::monitor::{HEALTH_INTERVAL, HealthTarget};
use crate::consume::prepare::Prepared;
use crate::consume::report::{Report, human_summary};
use crate::consume::runner::{ConsumeOptions, ConsumeReport, Control};
use crate::consume::sink::Sink;
use crate::spec::Spec;
use crate::tui::theme::Theme;

/// Everything `sluice consume` built for a run, as the headless path builds it.
pub struct ConsumeRun {
    pub info: Info,
    pub clients: Clients,
    pub options: ConsumeOptions,
    pub sink: Arc<dyn Sink>,
    pub metrics: Arc<Metrics>,
    pub control: Control,
    /// The alarms and ages to read once a minute (a spec with alarms).
    pub health: Option<HealthTarget>,
}

impl std::fmt::Debug for ConsumeRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeRun")
            .field("info", &self.info)
            .field("queue_url", &self.options.queue_url)
            .finish_non_exhaustive()
    }
}

/// How often the dashboard's consumer reads the queue's depth.
pub const DASHBOARD_QUEUE_POLL: Duration = Duration::from_millis(1500);

impl ConsumeRun {
    /// A run of `prepared` for `spec`'s stack, by `identity` (the caller;
    /// the header shows the role instead when it was assumed).
    pub fn new(spec: &Spec, identity: &Identity, prepared: Prepared) -> ConsumeRun {
        let Prepared {
            clients,
            mut options,
            sink,
            sink_name,
            assumed_role,
        } = prepared;
        // Someone is watching: the queue's depth is read every 1.5 s (one
        // GetQueueAttributes call for each queue), not every 5 s.
        options.queue_poll_interval = options.queue_poll_interval.min(DASHBOARD_QUEUE_POLL);
        let mut info = Info::for_stack(spec, identity, options.dlq_url.is_some());
        if let Some(role) = assumed_role {
            info.identity = role;
        }
        info.sink = Some(sink_name);
        info.concurrency = Some(options.concurrency);
        info.grace = Some(options.grace);
        ConsumeRun {
            info,
            clients,
            options,
            sink,
            metrics: Arc::new(Metrics::new()),
            control: Control::default(),
            health: HealthTarget::of(spec),
        }
    }
}

/// What `sluice monitor` needs.
pub struct MonitorRun {
    pub info: Info,
    pub screen: Screen,
    pub clients: Clients,
    pub target: crate::consume::monitor::Target,
    /// How often the queue is read.
    pub interval: Duration,
    /// The alarms and ages to read once a minute (a spec with alarms).
    pub health: Option<HealthTarget>,
}

/// How a dashboard with its consumer ended.
pub enum Ended {
    /// The consumer returned (after `q`, `Q`, a signal or `--stop-when-idle`).
    Stopped(Box<ConsumeReport>),
    /// The user left before it returned (a second `Q`): messages still held
    /// return to the queue after their visibility timeout. The metrics then.
    Abandoned(Box<Snapshot>),
    /// The screen failed; the consumer still runs until [`Pending::stop`].
    Failed(anyhow::Error, Pending),
}

/// A consumer whose dashboard went away.
pub struct Pending {
    control: Control,
    consumer: tokio::task::JoinHandle<ConsumeReport>,
}

impl Pending {
    /// Stops it gracefully (finish, flush, delete what finished); a Ctrl-C
    /// meanwhile stops it now.
    pub async fn stop(self) -> anyhow::Result<ConsumeReport> {
        self.control.shutdown.cancel();
        let abort = self.control.abort.clone();
        let second = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                abort.cancel();
            }
        });
        let outcome = self.consumer.await;
        second.abort();
        outcome.map_err(|e| anyhow::anyhow!("the consumer task failed: {e}"))
    }
}

/// Runs the consumer as a task with the dashboard in `terminal`, which the
/// caller owns (the CLI's [`consume`], or a front end that already holds the
/// terminal, such as the wizard). `events` are the terminal's events
/// (`crossterm::event::EventStream::new()`). SIGINT, SIGTERM and SIGHUP act
/// as Ctrl-C while it runs.
pub async fn consume_in<B, E>(terminal: &mut Terminal<B>, events: E, run: ConsumeRun) -> Ended
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    let ConsumeRun {
        info,
        clients,
        options,
        sink,
        metrics,
        control,
        health,
    } = run;
    let (tx, mut rx) = unbounded_channel();
    let stop_health = CancellationToken::new();
    let health_poller = spawn_health(&clients, health, &tx, &stop_health);
    let consumer = {
        let (tx, metrics, control) = (tx.clone(), metrics.clone(), control.clone());
        tokio::spawn(async move {
            let outcome =
                crate::consume::runner::run(clients, options, sink, metrics, control).await;
            let _ = tx.send(Action::Finished(Box::new(outcome.clone())));
            outcome
        })
    };
    let signals = runtime::forward_signals(tx);
    tracing::info!("dashboard: start (consume)");
    let source = runtime::Source::Consume {
        metrics: metrics.clone(),
        control: control.clone(),
    };
    let size = terminal.size().unwrap_or_default();
    let mut state = State::new(
        Mode::Consume,
        info,
        Theme::from_env(),
        (size.width, size.height),
    );
    let result = runtime::run(terminal, &mut state, &source, &mut rx, events).await;
    signals.abort();
    stop_health.cancel();
    if let Some(poller) = health_poller {
        let _ = poller.await;
    }
    tracing::info!(run = state.run.label(), "dashboard: end");
    match (state.outcome, result) {
        (Some(outcome), _) => Ended::Stopped(Box::new(outcome)),
        (None, Ok(())) if state.abandoned => Ended::Abandoned(Box::new(metrics.snapshot())),
        (None, result) => Ended::Failed(
            result
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("the dashboard stopped before the consumer")),
            Pending { control, consumer },
        ),
    }
}

/// `sluice consume` without `--headless`: the dashboard on `screen` with the
/// consumer in-process until it stops. `report` (`--metrics FILE`) gets the
/// JSON metrics lines meanwhile and the final line at the end. Afterwards,
/// on the restored terminal: the summary in words that headless prints on a
/// terminal (JSON goes only into `--metrics`), and the exit code as headless
/// gives it (1 when messages were kept under the fail policy).
pub async fn consume(
    screen: Screen,
    run: ConsumeRun,
    report: Option<Report>,
) -> anyhow::Result<ExitCode> {
    // The terminal first: if it cannot be set up, nothing was received.
    let mut guard = terminal::Guard::enter(screen)?;
    let sink = run.info.sink.clone().unwrap_or_default();
    let events = crossterm::event::EventStream::new();
    let ended = consume_in(&mut guard.terminal, events, run).await;
    drop(guard);
    match ended {
        Ended::Stopped(outcome) => {
            if let Some(report) = report {
                report.finish(&outcome.snapshot).await;
            }
            Ok(finish(&outcome, &sink))
        }
        Ended::Abandoned(snapshot) => {
            if let Some(report) = report {
                report.finish(&snapshot).await;
            }
            eprintln!(
                "left before the consumer stopped: messages still held return to the queue after their visibility timeout; none was deleted without its records in the sink"
            );
            print_summary(&snapshot, &sink);
            Ok(ExitCode::FAILURE)
        }
        Ended::Failed(error, pending) => {
            eprintln!(
                "the dashboard failed ({error:#}); stopping the consumer: finishing what it holds (Ctrl-C to stop now)"
            );
            let outcome = pending.stop().await?;
            if let Some(report) = report {
                report.finish(&outcome.snapshot).await;
            }
            finish(&outcome, &sink);
            Err(error)
        }
    }
}

/// What the run did, in words, on stderr.
fn print_summary(snapshot: &Snapshot, sink: &str) {
    let mut err = std::io::stderr();
    let _ = write!(err, "{}", human_summary(snapshot, sink));
    let _ = err.flush();
}

/// The summary and the exit code, as headless ends.
fn finish(outcome: &ConsumeReport, sink: &str) -> ExitCode {
    print_summary(&outcome.snapshot, sink);
    match outcome.failure() {
        Some(why) => {
            eprintln!("error: {why}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}

/// Shows the queue without consuming it, until `q`.
pub async fn monitor(run: MonitorRun) -> anyhow::Result<ExitCode> {
    let MonitorRun {
        info,
        screen,
        clients,
        target,
        interval,
        health,
    } = run;
    let (tx, mut rx) = unbounded_channel();
    let start = Instant::now();
    let stop = CancellationToken::new();
    let health_poller = spawn_health(&clients, health, &tx, &stop);
    let readings = tx.clone();
    let poller = tokio::spawn(crate::consume::monitor::poll(
        clients,
        target,
        interval,
        start,
        stop.clone(),
        move |reading| readings.send(Action::Queue(reading)).is_ok(),
    ));
    let signals = runtime::forward_signals(tx);
    tracing::info!("dashboard: start (monitor)");
    let source = runtime::Source::Monitor { start };
    let result = match terminal::Guard::enter(screen) {
        Ok(mut guard) => {
            let size = guard.terminal.size().unwrap_or_default();
            let mut state = State::new(
                Mode::Monitor,
                info,
                Theme::from_env(),
                (size.width, size.height),
            );
            let events = crossterm::event::EventStream::new();
            runtime::run(&mut guard.terminal, &mut state, &source, &mut rx, events).await
        }
        Err(e) => Err(e),
    };
    stop.cancel();
    signals.abort();
    let _ = poller.await;
    if let Some(poller) = health_poller {
        let _ = poller.await;
    }
    result.map(|()| ExitCode::SUCCESS)
}

/// Starts reading `target`'s alarms and ages now and every
/// [`HEALTH_INTERVAL`] until `stop`, the readings sent as actions on `tx`.
fn spawn_health(
    clients: &Clients,
    target: Option<HealthTarget>,
    tx: &tokio::sync::mpsc::UnboundedSender<Action>,
    stop: &CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let target = target?;
    let tx = tx.clone();
    Some(tokio::spawn(crate::consume::monitor::poll_health(
        clients.clone(),
        target,
        HEALTH_INTERVAL,
        Instant::now(),
        stop.clone(),
        move |reading| tx.send(Action::Health(Box::new(reading))).is_ok(),
    )))
}
