//! A background run as the apply and verify screens show it: one row per
//! step, filled in from the engine's typed progress events.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ratatui::text::{Line, Span};

use crate::aws::Event;
use crate::aws::progress::{StepId, StepOutcome};
use crate::spec::Spec;
use crate::tui::model::Model;
use crate::tui::widgets::{Lines, secs, truncate, wrap, wrapped};

/// A row of the apply or verify screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub step: StepId,
    pub title: String,
    pub state: RowState,
    pub started: Option<Instant>,
    pub elapsed: Option<Duration>,
    pub detail: String,
    pub retry: Option<Retry>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    Pending,
    Running,
    Done,
    Failed,
    /// Not made here (verify's "not available").
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    pub attempt: u32,
    pub until: Instant,
    pub reason: String,
}

/// An access key the run created: its secret is shown once on the Done screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub user: String,
    pub access_key_id: String,
    /// `None` once it has been shown and the user moved on.
    pub secret: Option<String>,
    pub path: PathBuf,
}

/// An apply or verify run as shown.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    pub id: u64,
    pub running: bool,
    pub started: Option<Instant>,
    pub rows: Vec<Row>,
    pub backups: Vec<PathBuf>,
    /// The spec the run was for: a change to the spec makes its result stale.
    pub spec: Option<Spec>,
}

impl Row {
    /// A step not started yet.
    pub fn pending(step: StepId, title: String, detail: String) -> Row {
        Row {
            step,
            title,
            state: RowState::Pending,
            started: None,
            elapsed: None,
            detail,
            retry: None,
            notes: Vec::new(),
        }
    }
}

impl RunView {
    /// A run `id` of `spec` started at `now` with these rows.
    pub fn started(id: u64, now: Instant, spec: &Spec, rows: Vec<Row>) -> RunView {
        RunView {
            id,
            running: true,
            started: Some(now),
            rows,
            backups: Vec::new(),
            spec: Some(spec.clone()),
        }
    }

    /// Whether the run's result belongs to `spec`.
    pub fn is_for(&self, spec: &Spec) -> bool {
        self.spec.as_ref() == Some(spec)
    }

    pub fn row_mut(&mut self, step: StepId) -> &mut Row {
        if let Some(i) = self.rows.iter().position(|r| r.step == step) {
            return &mut self.rows[i];
        }
        let title = match step {
            StepId::Check(check) => check.as_str().to_owned(),
            other => other.to_string(),
        };
        self.rows.push(Row::pending(step, title, String::new()));
        let last = self.rows.len() - 1;
        &mut self.rows[last]
    }

    /// The rows again, all pending: a retry of the same steps.
    pub fn retried_rows(&self) -> Vec<Row> {
        self.rows
            .iter()
            .map(|r| Row::pending(r.step, r.title.clone(), r.detail.clone()))
            .collect()
    }

    /// Marks steps still running as failed (the run ended).
    pub fn end(&mut self) {
        self.running = false;
        for row in &mut self.rows {
            if row.state == RowState::Running {
                row.state = RowState::Failed;
            }
        }
    }

    /// One progress event at `now`. An access key the event announces is
    /// returned, for the Done screen to show once.
    pub fn on_event(&mut self, event: Event, now: Instant) -> Option<AccessKey> {
        match event {
            Event::Started { step, title } => {
                let row = self.row_mut(step);
                row.state = RowState::Running;
                row.started = Some(now);
                row.title = title;
                row.retry = None;
            }
            Event::Finished {
                step,
                outcome,
                detail,
                elapsed,
            } => {
                let row = self.row_mut(step);
                row.state = match outcome {
                    StepOutcome::NotAvailable(_) => RowState::Skipped,
                    _ => RowState::Done,
                };
                row.detail = detail;
                row.elapsed = Some(elapsed);
                row.retry = None;
            }
            Event::Failed {
                step,
                error,
                elapsed,
            } => {
                let row = self.row_mut(step);
                row.state = RowState::Failed;
                row.detail = error.message;
                row.elapsed = Some(elapsed);
                row.retry = None;
            }
            Event::Retrying { step, retry } => {
                self.row_mut(step).retry = Some(Retry {
                    until: now + retry.wait,
                    attempt: retry.attempt,
                    reason: retry.reason,
                });
            }
            Event::Waiting { step, reason } => self.row_mut(step).detail = reason,
            Event::BackupWritten { path } => self.backups.push(path),
            Event::Note { step, message } => self.row_mut(step).notes.push(message),
            Event::AccessKeyCreated {
                user,
                access_key_id,
                secret,
                path,
            } => {
                return Some(AccessKey {
                    user,
                    access_key_id,
                    secret: Some(secret.expose().to_owned()),
                    path,
                });
            }
        }
        None
    }
}

/// One row as drawn, with its retry and notes.
pub fn row_lines(model: &Model, row: &Row, width: usize, timing: fn(Duration) -> String) -> Lines {
    let t = &model.theme;
    let (icon, style) = match row.state {
        RowState::Pending => ("·".to_owned(), t.dim()),
        RowState::Running => (model.spinner().to_owned(), t.accent()),
        RowState::Done => ("✓".to_owned(), t.ok()),
        RowState::Failed => ("✗".to_owned(), t.error()),
        RowState::Skipped => ("–".to_owned(), t.dim()),
    };
    let elapsed = match (row.elapsed, row.started) {
        (Some(e), _) => timing(e),
        (None, Some(started)) if row.state == RowState::Running => {
            timing(model.now.saturating_duration_since(started))
        }
        _ => String::new(),
    };
    let detail = match &row.retry {
        Some(retry) if row.state == RowState::Running => {
            let left = retry.until.saturating_duration_since(model.now);
            format!("retrying in {} (attempt {})", secs(left), retry.attempt + 1)
        }
        _ if row.state == RowState::Failed => "failed".to_owned(),
        _ => row.detail.clone(),
    };
    let title_width = (width / 2).clamp(10, 40);
    let detail_width = width.saturating_sub(title_width + 3 + elapsed.chars().count() + 1);
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{icon} "), style),
        Span::styled(
            format!("{:<title_width$}", truncate(&row.title, title_width)),
            if row.state == RowState::Pending {
                t.dim()
            } else {
                t.text()
            },
        ),
    ])];
    // A long detail (a file path, an error) wraps under itself: never cut.
    let detail_style = if row.state == RowState::Failed {
        t.error()
    } else {
        t.dim()
    };
    let mut parts = wrap(&detail, detail_width.max(10)).into_iter();
    let first = parts.next().unwrap_or_default();
    if let Some(line) = out.first_mut() {
        line.spans.push(Span::styled(
            format!(" {:<detail_width$}", truncate(&first, detail_width)),
            detail_style,
        ));
        line.spans
            .push(Span::styled(format!(" {elapsed}"), t.dim()));
    }
    let column = " ".repeat(2 + title_width + 1);
    for rest in parts {
        out.push(Line::styled(format!("{column}{rest}"), detail_style));
    }
    if let Some(retry) = &row.retry
        && row.state == RowState::Running
    {
        wrapped(&mut out, &retry.reason, width, 4, t.dim());
    }
    for note in &row.notes {
        wrapped(&mut out, note, width, 4, t.dim());
    }
    out
}
