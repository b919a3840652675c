//! The data preview: the newest objects under the prefix, the newest one
//! decoded as the consumer would, and (a pipeline with a queue of its own)
//! what predates the notification. The work is the engine's
//! ([`crate::consume::preview`]).

use std::time::SystemTime;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::consume::preview::DataReport;
use crate::tui::action::Effect;
use crate::tui::model::Model;
use crate::tui::step::Step;
use crate::tui::widgets::{Lines, heading, size, truncate, when, wrapped};

#[derive(Debug, Clone, Default)]
pub struct DataScreen {
    pub id: u64,
    pub running: bool,
    pub result: Option<Result<DataReport, String>>,
    /// The step to return to (the data preview was opened from the bucket step).
    pub return_to: Option<Step>,
}

impl DataScreen {
    /// Lists and samples the bucket again; `cutoff` is when this session
    /// wrote our notification entry, if it did.
    pub fn start(&mut self, model: &mut Model, cutoff: Option<SystemTime>) {
        let Some(clients) = model.connection.clients().cloned() else {
            return;
        };
        self.id += 1;
        self.running = true;
        self.result = None;
        model.effects.push(Effect::FetchData {
            id: self.id,
            clients: Box::new(clients),
            spec: Box::new(model.derived.resolved.clone()),
            cutoff,
        });
    }

    /// Fetch `id` ended.
    pub fn fetched(&mut self, id: u64, result: Result<Box<DataReport>, String>) {
        if id == self.id {
            self.running = false;
            self.result = Some(result.map(|r| *r));
        }
    }
}

/// The newest objects, the sample decoded, and the backfill count.
pub fn lines(model: &Model, view: &DataScreen, width: usize) -> (Lines, Lines) {
    let t = &model.theme;
    let mut out = Vec::new();
    let spec = &model.spec;
    let mut footer = Vec::new();
    match &view.result {
        None if view.running => wrapped(
            &mut out,
            &format!(
                "{} listing s3://{}/{}…",
                model.spinner(),
                spec.bucket.name,
                spec.bucket.prefix
            ),
            width,
            0,
            t.dim(),
        ),
        None => wrapped(&mut out, "Not fetched yet (r fetches).", width, 0, t.dim()),
        Some(Err(e)) => {
            out.push(Line::styled(
                "✗ cannot read the bucket",
                t.error().add_modifier(Modifier::BOLD),
            ));
            wrapped(&mut out, e, width, 2, t.error());
        }
        Some(Ok(report)) => {
            let filter = if report.suffix.is_empty() {
                String::new()
            } else {
                format!(" ending with {}", report.suffix)
            };
            wrapped(
                &mut out,
                &format!(
                    "{}{} {} under s3://{}/{}{filter}; the newest:",
                    report.matching,
                    if report.complete { "" } else { "+" },
                    crate::words::noun_for(report.matching, "object"),
                    report.bucket,
                    report.prefix
                ),
                width,
                0,
                t.text(),
            );
            if report.newest.is_empty() {
                wrapped(
                    &mut out,
                    "none yet: upload an object to see it decoded here",
                    width,
                    2,
                    t.dim(),
                );
            }
            for object in &report.newest {
                let modified = object.last_modified.map(when).unwrap_or_default();
                let text = format!("{modified}  {:>9}  {}", size(object.size), object.key);
                out.push(Line::styled(truncate(&format!("  {text}"), width), t.dim()));
            }
            match &report.sample {
                None => {}
                Some(Err(e)) => {
                    out.push(Line::raw(""));
                    out.push(heading(t, "Sample"));
                    wrapped(&mut out, e, width, 2, t.error());
                }
                Some(Ok(sample)) => {
                    out.push(Line::raw(""));
                    out.push(heading(
                        t,
                        format!(
                            "Sample: {} ({}{})",
                            sample.key,
                            size(i64::try_from(sample.bytes).unwrap_or(i64::MAX)),
                            if sample.partial {
                                ", the start of it"
                            } else {
                                ""
                            }
                        ),
                    ));
                    out.push(Line::from(vec![
                        Span::styled("  compression ", t.dim()),
                        Span::styled(sample.compression.clone(), t.accent()),
                        Span::styled(" · format ", t.dim()),
                        Span::styled(sample.format.clone(), t.accent()),
                    ]));
                    for record in &sample.records {
                        out.push(Line::styled(
                            truncate(&format!("  {record}"), width),
                            t.text(),
                        ));
                    }
                    if sample.records.is_empty() {
                        wrapped(&mut out, "no records decoded", width, 2, t.warn());
                    } else if sample.decoded > sample.records.len() as u64 {
                        wrapped(
                            &mut out,
                            &format!(
                                "… {} in the sample",
                                crate::words::count(sample.decoded, "record")
                            ),
                            width,
                            2,
                            t.dim(),
                        );
                    }
                    if sample.errors.is_empty() {
                        wrapped(&mut out, "✓ no decode errors", width, 2, t.ok());
                    }
                    for error in &sample.errors {
                        wrapped(&mut out, &format!("✗ {error}"), width, 2, t.error());
                    }
                }
            }
            // Backfill queues what predates the notification: only a
            // pipeline with a queue of its own has one to queue it to.
            if model.spec.has_queue() {
                backfill_lines(model, report, &mut out, width);
            }
        }
    }
    if !view.running {
        wrapped(
            &mut footer,
            "Enter: done · r: fetch again · Esc: back",
            width,
            0,
            t.key(),
        );
    }
    (out, footer)
}

/// How many objects predate the notification, and the `sluice backfill`
/// that queues them.
fn backfill_lines(model: &Model, report: &DataReport, out: &mut Lines, width: usize) {
    let t = &model.theme;
    out.push(Line::raw(""));
    out.push(heading(t, "Backfill"));
    let file = model
        .spec_file()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "sluice.json".to_owned());
    let command = crate::consume::preview::backfill_command(&file, report.cutoff);
    let (since, advice) = match report.cutoff {
        Some(_) if report.predating == 0 => (
            "✓ No object predates the notification: S3 announces every one from here on."
                .to_owned(),
            None,
        ),
        Some(cutoff) => (
            format!(
                "{} the notification (written {}): S3 never announced them.",
                crate::words::count(report.predating, "object")
                    + if report.predating == 1 {
                        " predates"
                    } else {
                        " predate"
                    },
                when(cutoff)
            ),
            Some(format!(
                "To queue them, and only them: {command} (add --dry-run to count first)."
            )),
        ),
        None => (
            format!(
                "{} may predate the notification: this session did not write it, so when it began is unknown, and S3 announces only objects written after it.",
                crate::words::count(report.predating, "object")
            ),
            Some(format!(
                "To queue those written before it, give the time it was set up: {command} (add --dry-run to count first)."
            )),
        ),
    };
    wrapped(out, &since, width, 2, t.text());
    if let Some(advice) = advice {
        wrapped(out, &advice, width, 2, t.dim());
    }
}
