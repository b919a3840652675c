//! The terminal wizard: a screen-by-screen front end over the engine.
//!
//! The only module of sluice that uses ratatui and crossterm. Its shape is
//! the Elm architecture, one way: the model, then update, then the view.
//! Every key, tick and background result is an [`Action`] given to
//! [`update()`]; keys become messages through the [`keymap`]; what `update`
//! wants done outside itself is an [`Effect`] the [`Runtime`] carries out
//! (AWS calls through the engine as tokio tasks that report back over a
//! channel, superseding older lookups of the same resource); [`view::render`]
//! draws `&App` and does no I/O.
//!
//! ```text
//! module        what it holds
//! step          Step: the screens, in order, and which a spec's shape has
//! fields        the one table of form fields, bound to spec paths
//! action        Action, Effect, lookup targets and debounce times
//! model         Model: what every screen shares (spec, account, plan)
//! screens/      each screen's state, what its keys do, and its drawing:
//!               form (+ welcome), review, apply, verify (run rows), data, done
//! overlay       the windows: help, confirmations, picker, prompts
//! preview       the live preview: plan items as JSON diffs, and its pane
//! app           App: the model and every screen's state
//! keymap        every key as data: hints, help and the README's table
//! layout        where things go (shared by drawing and mouse handling)
//! widgets       text helpers: wrapping, cutting, panes
//! update        update(&mut App, Action)
//! view          render(frame, &App)
//! runtime       effects, the terminal loop (handing the terminal to the
//!               dashboard from the Done screen), Headless for tests
//! session       autosaved sessions in <config dir>/sessions
//! profiles      AWS profiles and regions for the welcome screen
//! theme         colours, NO_COLOR
//! dashboard/    the live dashboard of `sluice consume` and `monitor`
//! ```

pub mod action;
pub mod app;
pub mod dashboard;
pub mod fields;
pub mod keymap;
pub mod layout;
pub mod model;
pub mod overlay;
pub mod preview;
pub mod profiles;
pub mod runtime;
pub mod screens;
pub mod session;
pub mod step;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};

pub use action::{Action, Effect};
pub use app::App;
pub use model::{Config, Connect, Setup};
pub use runtime::{Headless, Runtime};
pub use step::Step;
pub use theme::Theme;
pub use update::update;

use crate::aws::AwsOptions;

/// What `sluice` / `sluice wizard` pass to the wizard.
#[derive(Debug, Clone, Default)]
pub struct WizardOptions {
    pub aws: AwsOptions,
    /// `--config F`: start from this spec (created on Ctrl-S if missing).
    pub config: Option<PathBuf>,
    /// Where the CLI sends the log (shown on the welcome screen).
    pub log_file: Option<PathBuf>,
    /// sluice(1) as roff (made from the command line's definitions), for
    /// the bundle the wizard exports.
    pub manual_page: Option<String>,
}

/// The setup for a real run: the spec of `--config`, the user's profiles and
/// session directory, colours from the environment.
pub fn setup(options: &WizardOptions) -> anyhow::Result<Setup> {
    let mut notes = Vec::new();
    let spec = match &options.config {
        Some(path) if path.exists() => {
            let (spec, problems) = session::read_spec(path).map_err(anyhow::Error::msg)?;
            if !problems.is_empty() {
                notes.push(format!(
                    "{}: {} to fix, e.g. {}",
                    path.display(),
                    crate::words::count(problems.len(), "field"),
                    problems[0]
                ));
            }
            if let Some(region) = &options.aws.region
                && region != &spec.region
            {
                notes.push(format!(
                    "--region {region} differs from the spec's region {}: the spec's is used",
                    spec.region
                ));
            }
            Some(spec)
        }
        Some(path) => {
            notes.push(format!(
                "{} does not exist yet: Ctrl-S writes it",
                path.display()
            ));
            None
        }
        None => None,
    };
    let mut aws = options.aws.clone();
    if let Some(spec) = &spec {
        aws.region = Some(spec.region.clone());
    }
    Ok(Setup {
        config: Config {
            aws,
            connect: Connect::Chain,
            config_path: options.config.clone(),
            sessions_dir: session::default_dir(),
            backup_base: None,
            out_dir: PathBuf::from("."),
            export_base: PathBuf::from("."),
            ingest_base: crate::consume::prepare::default_ingest_base()
                .unwrap_or_else(|| PathBuf::from("ingest")),
            // The event is awaited while a change apply just made propagates.
            verify: crate::aws::verify::VerifyOptions {
                recent_dir: crate::aws::recent::default_dir(),
                wait_for_propagation: true,
                ..crate::aws::verify::VerifyOptions::default()
            },
            propagation_timeout: Duration::from_secs(120),
            recent_dir: crate::aws::recent::default_dir(),
            log_file: options.log_file.clone(),
            manual_page: options.manual_page.clone(),
        },
        spec,
        profiles: profiles::load_profiles(),
        theme: Theme::from_env(),
        notes,
    })
}

/// Opens the wizard on the terminal and runs it until the user quits.
pub async fn run(options: WizardOptions) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the wizard needs a terminal; without one use `sluice init`, `sluice plan` and `sluice export`"
        );
    }
    let setup = setup(&options)?;
    tracing::info!(config = ?options.config, "wizard: start");
    let app = App::new(setup);
    let mut terminal = TerminalGuard::enter()?;
    let result = runtime::run_terminal(app, &mut terminal.terminal, &mut std::io::stdout()).await;
    drop(terminal);
    result.map(|()| ExitCode::SUCCESS)
}

/// The terminal in raw mode on the alternate screen with mouse capture and
/// bracketed paste; restored when dropped (errors) and by the panic hook.
struct TerminalGuard {
    terminal: ratatui::DefaultTerminal,
}

fn leave_extras() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<TerminalGuard> {
        // Installed before ratatui's own hook, which restores the screen and then calls this one.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave_extras();
            previous(info);
        }));
        let terminal = ratatui::try_init().context("cannot set up the terminal")?;
        let guard = TerminalGuard { terminal };
        crossterm::execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste)
            .context("cannot set up the terminal")?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        leave_extras();
        let _ = ratatui::try_restore();
    }
}
