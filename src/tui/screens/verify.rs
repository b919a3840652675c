//! The verify step: a test object followed through the pipeline, one row
//! per check as the engine reports it.

use ratatui::style::Modifier;
use ratatui::text::Line;

use std::path::PathBuf;

use super::run::{AccessKey, RowState, RunView, row_lines};
use crate::aws::Event;
use crate::aws::progress::StepId;
use crate::aws::verify::{Verdict, VerifyReport};
use crate::tui::action::Effect;
use crate::tui::model::{Model, StatusKind};
use crate::tui::widgets::{Lines, millis, wrapped};

#[derive(Debug, Clone, Default)]
pub struct VerifyScreen {
    pub run: RunView,
    pub report: Option<VerifyReport>,
}

/// The user's access key file for verify's user checks: the one this
/// session's apply wrote, else where the wizard's apply writes it when the
/// spec makes a key (it may be from an earlier session).
pub fn key_file(model: &Model, created: Option<&AccessKey>) -> Option<PathBuf> {
    if let Some(key) = created {
        return Some(key.path.clone());
    }
    let user = &model.derived.resolved.user;
    (user.enabled && user.create_access_key).then(|| {
        model
            .config
            .out_dir
            .join(format!("{}_accessKeys.csv", user.name))
    })
}

impl VerifyScreen {
    /// Whether the spec as it is now was verified (or is being).
    pub fn is_current(&self, model: &Model) -> bool {
        self.run.is_for(&model.spec)
    }

    /// Starts verification of the spec as applied; `created` is the access
    /// key this session's apply made, if it made one.
    pub fn start(&mut self, model: &mut Model, created: Option<&AccessKey>) {
        let Some(clients) = model.connection.clients().cloned() else {
            return;
        };
        let id = self.run.id + 1;
        *self = VerifyScreen {
            run: RunView::started(id, model.now, &model.spec, Vec::new()),
            report: None,
        };
        model.effects.push(Effect::Verify {
            id,
            clients: Box::new(clients),
            spec: Box::new(model.derived.resolved.clone()),
            options: model.config.verify.clone(),
            key_file: key_file(model, created),
        });
    }

    /// A progress event of run `id` (older runs' events are dropped).
    pub fn on_event(&mut self, id: u64, event: Event, now: std::time::Instant) {
        if id == self.run.id {
            // Verify creates no access keys.
            let _ = self.run.on_event(event, now);
        }
    }

    /// Run `id` ended with `report`.
    pub fn finished(&mut self, model: &mut Model, id: u64, report: VerifyReport) {
        if id != self.run.id {
            return;
        }
        self.run.running = false;
        for check in &report.checks {
            let row = self.run.row_mut(StepId::Check(check.name));
            row.elapsed = Some(check.latency);
            row.retry = None;
            match &check.outcome {
                Verdict::Pass => row.state = RowState::Done,
                Verdict::Fail(cause) => {
                    row.state = RowState::Failed;
                    row.detail = cause.clone();
                }
                Verdict::NotAvailable(why) => {
                    row.state = RowState::Skipped;
                    row.detail = format!("not available: {why}");
                }
            }
        }
        if report.passed() && !model.derived.resolved.pending_vendor_values().is_empty() {
            let vendor = model.derived.resolved.profile().vendor;
            model.set_status(
                StatusKind::Info,
                format!(
                    "nothing failed, but {vendor} is at step 1 of 2: Done shows the SQL to run there"
                ),
            );
        } else if report.passed() {
            model.set_status(StatusKind::Ok, "verified: Enter previews the data");
        } else {
            model.set_status(StatusKind::Error, "verification failed: see the ✗ checks");
        }
        self.report = Some(report);
    }
}

/// The checks as they run, and how verification ended.
pub fn lines(model: &Model, view: &VerifyScreen, width: usize) -> (Lines, Lines) {
    let t = &model.theme;
    let mut out = Vec::new();
    let head = if view.run.running {
        match model.config.verify.wait_for_propagation {
            false => format!(
                "Verifying: a test object is uploaded under the prefix and its event awaited (up to {} s)…",
                model.config.verify.timeout.as_secs()
            ),
            true => format!(
                "Verifying: a test object is uploaded under the prefix and its event awaited (at least {} s; minutes while a change apply just made takes effect)…",
                model.config.verify.timeout.as_secs()
            ),
        }
    } else if view.run.rows.is_empty() {
        "Not verified yet.".to_owned()
    } else {
        "Verification".to_owned()
    };
    wrapped(&mut out, &head, width, 0, t.text());
    out.push(Line::raw(""));
    for row in &view.run.rows {
        out.extend(row_lines(model, row, width, millis));
        if row.state == RowState::Failed {
            wrapped(&mut out, &row.detail, width, 4, t.error());
        }
    }
    let mut footer = Vec::new();
    if let Some(report) = &view.report {
        let failed = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Verdict::Fail(_)))
            .count();
        let skipped = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Verdict::NotAvailable(_)))
            .count();
        let passed = report.checks.len() - failed - skipped;
        if failed == 0 {
            wrapped(
                &mut footer,
                &format!(
                    "✓ {} passed{}. Enter: preview the data.",
                    crate::words::count(passed, "check"),
                    if skipped > 0 {
                        format!(", {skipped} not available here")
                    } else {
                        String::new()
                    }
                ),
                width,
                0,
                t.ok().add_modifier(Modifier::BOLD),
            );
        } else {
            wrapped(
                &mut footer,
                &format!(
                    "✗ {} failed, {passed} passed. r: run again · Esc: back",
                    crate::words::count(failed, "check")
                ),
                width,
                0,
                t.error().add_modifier(Modifier::BOLD),
            );
        }
    }
    (out, footer)
}
