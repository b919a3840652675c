//! The runtime: carries out effects (AWS work as tokio tasks reporting back
//! over a channel, files directly), feeds actions to `update`, and drives
//! either the terminal or, for tests, nothing at all ([`Headless`], in
//! `runtime/headless.rs`).

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyEventKind};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::aws::observe::look_up;
use crate::aws::{Clients, Reporter};
use crate::consume::runner::ConsumeReport;

use super::action::{Action, ConnectHow, ConsumeEnd, Effect, Run, SlotId};
use super::app::App;
use super::dashboard::{self, ConsumeRun, Ended};
use super::{session, update, view};

mod headless;

pub use headless::{Headless, draw, screen_text};

/// How long the credentials check may take before the wizard goes offline.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TaskKey {
    Connect,
    Lookup(SlotId),
    Apply,
    Verify,
    Data,
    Export,
    Consume,
}

/// The app and the tasks working for it.
pub struct Runtime {
    pub app: App,
    tx: UnboundedSender<Action>,
    tasks: HashMap<TaskKey, JoinHandle<()>>,
    /// Text copied with OSC 52 and not yet written to the terminal.
    copies: Vec<String>,
    /// Everything copied (tests read it).
    pub clipboard: Vec<String>,
    /// A consumer run waiting for the terminal (the dashboard), with its id.
    dashboard: Option<(u64, Box<ConsumeRun>)>,
}

impl Runtime {
    /// A runtime for `app`, and the receiver of the actions its tasks send.
    /// Must be called inside a tokio runtime.
    pub fn new(app: App) -> (Runtime, UnboundedReceiver<Action>) {
        let (tx, rx) = unbounded_channel();
        let mut runtime = Runtime {
            app,
            tx,
            tasks: HashMap::new(),
            copies: Vec::new(),
            clipboard: Vec::new(),
            dashboard: None,
        };
        runtime.run_effects();
        (runtime, rx)
    }

    /// Feeds one action to `update` (at the current time) and runs its effects.
    pub fn dispatch(&mut self, action: Action) {
        self.app.model.now = Instant::now();
        update(&mut self.app, action);
        self.run_effects();
    }

    fn run_effects(&mut self) {
        for effect in std::mem::take(&mut self.app.model.effects) {
            self.execute(effect);
        }
    }

    /// Spawns `future` as the task for `key`, aborting the one it supersedes.
    fn spawn<F>(&mut self, key: TaskKey, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if let Some(old) = self.tasks.insert(key, tokio::spawn(future)) {
            old.abort();
        }
        self.tasks.retain(|_, handle| !handle.is_finished());
    }

    fn send(&self, action: Action) {
        let _ = self.tx.send(action);
    }

    fn execute(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Connect { generation, how } => self.spawn(TaskKey::Connect, async move {
                let result = tokio::time::timeout(CONNECT_TIMEOUT, connect(how))
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "no answer from STS within {} s: check the network or the endpoint",
                            CONNECT_TIMEOUT.as_secs()
                        ))
                    });
                let _ = tx.send(Action::Connected { generation, result });
            }),
            Effect::Lookup {
                target,
                generation,
                clients,
                what,
            } => self.spawn(TaskKey::Lookup(target), async move {
                let found = look_up(&clients, what).await;
                let _ = tx.send(Action::Looked {
                    target,
                    generation,
                    result: Box::new(found),
                });
            }),
            Effect::Apply {
                id,
                clients,
                spec,
                reviewed,
                identity,
                options,
            } => self.spawn(TaskKey::Apply, async move {
                let (reporter, forwarder) = forward(tx.clone(), Run::Apply, id);
                let result = match reviewed {
                    Some(reviewed) => {
                        let (plan, observation) = *reviewed;
                        crate::aws::apply::apply(
                            &clients,
                            &spec,
                            &plan,
                            &observation,
                            &options,
                            &reporter,
                        )
                        .await
                    }
                    None => {
                        crate::aws::apply::replan_and_apply(
                            &clients, &spec, identity, &options, &reporter,
                        )
                        .await
                    }
                }
                .map(Box::new);
                drop(reporter);
                let _ = forwarder.await;
                let _ = tx.send(Action::Applied { id, result });
            }),
            Effect::Verify {
                id,
                clients,
                spec,
                mut options,
                key_file,
            } => self.spawn(TaskKey::Verify, async move {
                if let Some(path) = key_file
                    && let Ok(text) = tokio::fs::read_to_string(&path).await
                {
                    // A file that does not read as a key file is left out:
                    // verify then says the user's key was not given.
                    options.user_key = crate::aws::verify::UserKey::from_csv(&text).ok();
                }
                let (reporter, forwarder) = forward(tx.clone(), Run::Verify, id);
                let report = crate::aws::verify::verify(&clients, &spec, &options, &reporter).await;
                drop(reporter);
                let _ = forwarder.await;
                let _ = tx.send(Action::Verified { id, report });
            }),
            Effect::FetchData {
                id,
                clients,
                spec,
                cutoff,
            } => self.spawn(TaskKey::Data, async move {
                let result = crate::consume::preview::fetch(&clients, &spec, cutoff)
                    .await
                    .map(Box::new);
                let _ = tx.send(Action::DataFetched { id, result });
            }),
            Effect::ListSessions(dir) => {
                self.send(Action::SessionsListed(
                    session::list(&dir).map_err(|e| format!("{}: {e}", dir.display())),
                ));
            }
            Effect::DeleteSession(path) => {
                let result = session::delete(&path).map_err(|e| e.to_string());
                self.send(Action::SessionDeleted { path, result });
            }
            Effect::LoadSession(path) => {
                let result = session::read_spec(&path).map(|(spec, notes)| (Box::new(spec), notes));
                let place = session::read_place(&path);
                let saved = place
                    .as_ref()
                    .and_then(|p| p.save_path.as_deref())
                    .and_then(|p| session::read_spec(p).ok())
                    .map(|(spec, _)| Box::new(spec));
                self.send(Action::SessionLoaded {
                    path,
                    result,
                    place,
                    saved,
                });
            }
            Effect::Save {
                kind,
                path,
                spec,
                replaces,
                place,
            } => {
                let mut result = session::write_spec(&path, &spec).map_err(|e| e.to_string());
                if result.is_ok()
                    && let Some(place) = &place
                {
                    result = session::write_place(&path, place).map_err(|e| e.to_string());
                }
                if result.is_ok()
                    && let Some(old) = replaces
                {
                    let _ = std::fs::remove_file(session::place_path(&old));
                    let _ = std::fs::remove_file(old);
                }
                self.send(Action::Saved {
                    kind,
                    path,
                    spec,
                    result,
                });
            }
            Effect::Export {
                access_key_id,
                dir,
                spec,
            } => {
                let manual_page = self.app.model.config.manual_page.clone();
                self.spawn(TaskKey::Export, async move {
                    let target = dir.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        let files = crate::export::bundle_with_key(
                            &spec,
                            crate::export::Format::All,
                            access_key_id.as_deref(),
                            manual_page,
                        );
                        crate::export::write_bundle(&target, &files).map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Action::Exported { dir, result });
                })
            }
            Effect::Copy(text) => {
                self.copies.push(text.clone());
                self.clipboard.push(text);
            }
            Effect::PrepareConsume {
                id,
                clients,
                spec,
                identity,
                settings,
            } => self.spawn(TaskKey::Consume, async move {
                let mut say = |reason: String| tracing::info!(%reason, "waiting");
                let result = crate::consume::prepare::prepare(*clients, &spec, &settings, &mut say)
                    .await
                    .map(|prepared| Box::new(ConsumeRun::new(&spec, &identity, prepared)))
                    .map_err(|e| format!("{e:#}"));
                let _ = tx.send(Action::ConsumePrepared { id, result });
            }),
            Effect::Dashboard { id, run } => self.dashboard = Some((id, run)),
        }
    }

    /// Takes the consumer run waiting for the terminal, with its id: the
    /// caller runs its dashboard ([`hand_over`]) and dispatches the result.
    pub fn take_dashboard(&mut self) -> Option<(u64, Box<ConsumeRun>)> {
        self.dashboard.take()
    }

    /// Takes the copies still to be written to the terminal.
    fn take_copies(&mut self) -> Vec<String> {
        std::mem::take(&mut self.copies)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.abort();
        }
    }
}

async fn connect(how: ConnectHow) -> Result<Box<(Clients, crate::aws::Identity)>, String> {
    let clients = match how {
        ConnectHow::Load { options, region } => Clients::load(&options, &region).await,
        ConnectHow::Given(clients) => *clients,
    };
    let identity = clients.identity().await.map_err(|e| connect_failure(&e))?;
    Ok(Box::new((clients, identity)))
}

/// Why the wizard works offline, in its own words: what to do about
/// credentials AWS refused.
fn connect_failure(e: &crate::aws::AwsError) -> String {
    use crate::aws::error::CredentialProblem;
    let advice = match e.credential_problem() {
        Some(CredentialProblem::Expired) => {
            "; renew the session (AWS SSO: aws sso login) and open the wizard again"
        }
        Some(CredentialProblem::Invalid) => {
            "; check the access key id (and the session token of temporary keys)"
        }
        Some(CredentialProblem::Signature) => {
            "; check the secret access key and this machine's clock"
        }
        Some(CredentialProblem::Missing) | None => "",
    };
    format!("{e}{advice}")
}

/// A reporter whose events reach the app as progress actions, and the task
/// forwarding them (it ends when the reporter is dropped).
fn forward(tx: UnboundedSender<Action>, run: Run, id: u64) -> (Reporter, JoinHandle<()>) {
    let (events_tx, mut events_rx) = unbounded_channel();
    let forwarder = tokio::spawn(async move {
        while let Some(event) = events_rx.recv().await {
            let _ = tx.send(Action::Progress { run, id, event });
        }
    });
    (Reporter::new(events_tx), forwarder)
}

/// A terminal event as an action (key releases and focus changes are dropped).
pub fn to_action(event: TermEvent) -> Option<Action> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
        TermEvent::Mouse(mouse) => Some(Action::Mouse(mouse)),
        TermEvent::Paste(text) => Some(Action::Paste(text)),
        TermEvent::Resize(width, height) => Some(Action::Resize(width, height)),
        _ => None,
    }
}

/// Gives `terminal` and `events` to the dashboard of `run` (the consumer
/// starts with it) until it quits, then returns how it ended as an action
/// for the wizard. If the dashboard's screen fails, the consumer is stopped
/// gracefully (finish, flush, delete what finished) and the error returned.
pub async fn hand_over<B, E>(
    terminal: &mut Terminal<B>,
    events: E,
    id: u64,
    run: ConsumeRun,
) -> anyhow::Result<Action>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: futures::Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let end = |outcome: ConsumeReport, abandoned| ConsumeEnd {
        snapshot: Box::new(outcome.snapshot),
        fail_policy_errors: outcome.fail_policy_errors,
        abandoned,
    };
    let end = match dashboard::consume_in(terminal, events, run).await {
        Ended::Stopped(outcome) => end(*outcome, false),
        Ended::Abandoned(snapshot) => end(
            ConsumeReport {
                snapshot: *snapshot,
                fail_policy_errors: 0,
                fatal: None,
            },
            true,
        ),
        Ended::Failed(error, pending) => {
            let _ = pending.stop().await;
            return Err(error);
        }
    };
    Ok(Action::ConsumeEnded { id, end })
}

/// What woke the loop.
enum Wake {
    Terminal(Option<std::io::Result<TermEvent>>),
    Action(Option<Action>),
    Tick,
}

/// Runs the wizard in `terminal` until the user quits. Redraws only after
/// something happened; sleeps (no tick) unless a timer is due or something animates.
pub async fn run_terminal<B: Backend>(
    app: App,
    terminal: &mut Terminal<B>,
    out: &mut impl Write,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let (mut runtime, mut rx) = Runtime::new(app);
    // A signal quits cleanly (the terminal restored, the session saved);
    // while the dashboard runs it stops the consumer first.
    let signals = dashboard::runtime::signals_as(runtime.tx.clone(), || Action::Terminate);
    let result = wizard_loop(&mut runtime, &mut rx, terminal, out).await;
    signals.abort();
    result
}

async fn wizard_loop<B: Backend>(
    runtime: &mut Runtime,
    rx: &mut UnboundedReceiver<Action>,
    terminal: &mut Terminal<B>,
    out: &mut impl Write,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut events = crossterm::event::EventStream::new();
    let size = terminal.size()?;
    runtime.dispatch(Action::Resize(size.width, size.height));
    loop {
        if runtime.app.model.quit {
            break;
        }
        if let Some((id, run)) = runtime.take_dashboard() {
            // The dashboard draws on this terminal and reads these events
            // until it quits; then the Done screen is drawn again.
            let ended = hand_over(terminal, &mut events, id, *run).await?;
            runtime.dispatch(ended);
            let size = terminal.size()?;
            runtime.dispatch(Action::Resize(size.width, size.height));
        }
        // The terminal's size, not only the last Resize event's: a resize
        // reported while the terminal was still changing carries a stale size,
        // and the layout (preview beside the form or not) follows this one.
        let size = terminal.size()?;
        if runtime.app.model.size != (size.width, size.height) {
            runtime.dispatch(Action::Resize(size.width, size.height));
        }
        terminal.draw(|frame| view::render(frame, &runtime.app))?;
        for text in runtime.take_copies() {
            crossterm::execute!(
                out,
                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
            )?;
        }
        let wake = runtime.app.next_wakeup();
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            event = events.next() => Wake::Terminal(event),
            action = rx.recv() => Wake::Action(action),
            () = sleep => Wake::Tick,
        };
        match woke {
            Wake::Terminal(Some(Ok(event))) => {
                if let Some(action) = to_action(event) {
                    runtime.dispatch(action);
                }
            }
            Wake::Terminal(Some(Err(e))) => return Err(e.into()),
            Wake::Terminal(None) | Wake::Action(None) => break,
            Wake::Action(Some(action)) => runtime.dispatch(action),
            Wake::Tick => runtime.dispatch(Action::Tick),
        }
        // Coalesce: background results already waiting are handled before
        // the next frame. (Terminal events are not polled here: crossterm's
        // EventStream keeps the waker of its first poll, so polling it with
        // another one, as `now_or_never` would, loses the wake-ups.)
        while let Ok(action) = rx.try_recv() {
            runtime.dispatch(action);
        }
    }
    Ok(())
}
