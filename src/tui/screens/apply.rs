//! The apply step: the reviewed plan applied in the background, a row per
//! resource as the engine reports it, the backups, and how it ended.

use std::time::SystemTime;

use ratatui::style::Modifier;
use ratatui::text::Line;

use super::run::{AccessKey, Row, RunView, row_lines};
use crate::aws::Event;
use crate::aws::apply::{ApplyError, ApplyOptions, ApplyReport};
use crate::aws::progress::StepId;
use crate::docs::ResourceKind;
use crate::tui::action::Effect;
use crate::tui::model::{Connection, Model, StatusKind};
use crate::tui::widgets::{Lines, heading, secs, wrapped};

/// The apply run and its outcome.
#[derive(Debug, Clone, Default)]
pub struct ApplyScreen {
    pub run: RunView,
    pub report: Option<ApplyReport>,
    pub failure: Option<ApplyError>,
    /// The plan had nothing to change.
    pub nothing_to_do: bool,
    /// When our notification entry was written by this session.
    pub notification_written: Option<SystemTime>,
}

impl ApplyScreen {
    /// Whether the spec as it is now was applied (or needed nothing).
    pub fn applied(&self, model: &Model) -> bool {
        (self.report.is_some() || self.nothing_to_do) && self.run.is_for(&model.spec)
    }

    /// The account already matches the spec: nothing to run.
    pub fn nothing(&mut self, model: &Model) {
        *self = ApplyScreen {
            nothing_to_do: true,
            run: RunView {
                id: self.run.id,
                spec: Some(model.spec.clone()),
                ..RunView::default()
            },
            ..ApplyScreen::default()
        };
    }

    /// Starts an apply: of the reviewed plan, or (`retry`) after reading the
    /// account again. False when it cannot start (the reason is on the status line).
    pub fn start(&mut self, model: &mut Model, retry: bool) -> bool {
        let Connection::Online { clients, identity } = &model.connection else {
            return false;
        };
        let (clients, identity) = (clients.clone(), identity.clone());
        let Some(backup_base) = model
            .config
            .backup_base
            .clone()
            .or_else(crate::aws::backup::default_base)
        else {
            model.set_status(
                StatusKind::Error,
                "no data directory for backups on this system: nothing was changed",
            );
            return false;
        };
        let reviewed = if retry {
            None
        } else {
            model
                .observation()
                .map(|observation| Box::new((model.derived.plan.clone(), observation)))
        };
        let id = self.run.id + 1;
        let rows = if retry {
            self.run.retried_rows()
        } else {
            model
                .derived
                .plan
                .items
                .iter()
                .map(|item| {
                    Row::pending(
                        StepId::Apply(item.resource),
                        format!("{} {}", item.resource.as_str(), item.name),
                        item.action.as_str().to_owned(),
                    )
                })
                .collect()
        };
        *self = ApplyScreen {
            run: RunView::started(id, model.now, &model.spec, rows),
            ..ApplyScreen::default()
        };
        model.effects.push(Effect::Apply {
            id,
            clients,
            spec: Box::new(model.derived.resolved.clone()),
            reviewed,
            identity,
            options: ApplyOptions {
                backup_base,
                out_dir: model.config.out_dir.clone(),
                propagation_timeout: model.config.propagation_timeout,
                recent_dir: model.config.recent_dir.clone(),
                recheck: crate::aws::apply::RECHECK,
            },
        });
        true
    }

    /// A progress event of run `id` (older runs' events are dropped).
    pub fn on_event(
        &mut self,
        id: u64,
        event: Event,
        now: std::time::Instant,
    ) -> Option<AccessKey> {
        if id != self.run.id {
            return None;
        }
        if let Event::Finished { step, outcome, .. } = &event
            // From then on the bucket's new objects reach the queue.
            && matches!(
                step,
                StepId::Apply(
                    ResourceKind::Notification | ResourceKind::Subscription | ResourceKind::Rule
                )
            )
            && outcome.changed()
        {
            self.notification_written = Some(SystemTime::now());
        }
        self.run.on_event(event, now)
    }

    /// Run `id` ended. Returns whether it was this screen's run.
    pub fn finished(
        &mut self,
        model: &mut Model,
        id: u64,
        result: Result<Box<ApplyReport>, ApplyError>,
    ) -> bool {
        if id != self.run.id {
            return false;
        }
        match result {
            Ok(report) => {
                model.set_status(
                    StatusKind::Ok,
                    "applied: Enter verifies the pipeline end to end",
                );
                self.report = Some(*report);
                self.failure = None;
            }
            Err(failure) => {
                model.set_status(
                    StatusKind::Error,
                    format!("{} failed: r retries, Esc goes back", failure.step),
                );
                self.failure = Some(failure);
            }
        }
        self.run.end();
        true
    }
}

/// The rows of the run, its backups, and how it ended.
pub fn lines(model: &Model, view: &ApplyScreen, width: usize) -> (Lines, Lines) {
    let t = &model.theme;
    let mut out = Vec::new();
    let account = model.derived.resolved.account_id.as_deref().unwrap_or("?");
    let head = if view.run.running {
        let since = view
            .run
            .started
            .map(|s| secs(model.now.saturating_duration_since(s)))
            .unwrap_or_default();
        format!(
            "Applying to account {account} in {} · {since}",
            model.spec.region
        )
    } else if view.nothing_to_do {
        "Nothing to apply: the account matches the spec.".to_owned()
    } else if view.run.rows.is_empty() {
        "Nothing applied yet: confirm on the review step.".to_owned()
    } else {
        format!("Apply to account {account} in {}", model.spec.region)
    };
    wrapped(&mut out, &head, width, 0, t.text());
    out.push(Line::raw(""));
    for row in &view.run.rows {
        out.extend(row_lines(model, row, width, secs));
    }
    if !view.run.backups.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(t, "Backups of prior states"));
        for path in &view.run.backups {
            wrapped(&mut out, &path.display().to_string(), width, 2, t.dim());
        }
    }
    let mut footer = Vec::new();
    if let Some(failure) = &view.failure {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!("✗ {} failed", failure.step),
            t.error().add_modifier(Modifier::BOLD),
        ));
        wrapped(&mut out, &failure.error.message, width, 2, t.error());
        let done = if failure.completed.is_empty() {
            "none".to_owned()
        } else {
            failure
                .completed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        wrapped(
            &mut out,
            &format!("Steps finished: {done}."),
            width,
            2,
            t.dim(),
        );
        if let Some(dir) = &failure.backup_dir {
            wrapped(
                &mut out,
                &format!("Backup so far: {}", dir.display()),
                width,
                2,
                t.dim(),
            );
        }
        wrapped(
            &mut footer,
            "r: retry (re-reads the account and continues where it stopped) · Esc: back to fix the spec",
            width,
            0,
            t.key(),
        );
    } else if let Some(report) = &view.report {
        wrapped(
            &mut footer,
            &format!(
                "✓ Applied {}.",
                crate::words::count(report.steps.len(), "step")
            ),
            width,
            0,
            t.ok().add_modifier(Modifier::BOLD),
        );
        if let Some(dir) = &report.backup_dir {
            wrapped(
                &mut footer,
                &format!(
                    "Prior states: {} (sluice restore --backup puts them back)",
                    dir.display()
                ),
                width,
                0,
                t.dim(),
            );
        }
        wrapped(
            &mut footer,
            "Enter: verify the pipeline end to end.",
            width,
            0,
            t.key(),
        );
    } else if view.nothing_to_do {
        wrapped(
            &mut footer,
            "Enter: verify the pipeline end to end.",
            width,
            0,
            t.key(),
        );
    }
    (out, footer)
}
