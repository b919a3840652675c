//! The screens without a form: review, apply, verify, data preview, done.

use std::time::{Duration, SystemTime};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{truncate, wrap};
use crate::aws::plan::Action as PlanAction;
use crate::aws::verify::Outcome;
use crate::docs::Severity;
use crate::tui::app::{App, Row, RowState, Step};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let block = Block::bordered().border_style(t.dim()).title(Span::styled(
        format!(" {} · {} ", app.step.index() + 1, app.step.title()),
        t.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let (lines, footer) = match app.step {
        Step::Review => review(app, width),
        Step::Apply => apply(app, width),
        Step::Verify => verify(app, width),
        Step::Data => data(app, width),
        Step::Done => done(app, width),
        _ => (Vec::new(), Vec::new()),
    };
    let footer_height = u16::try_from(footer.len())
        .unwrap_or(u16::MAX)
        .min(inner.height / 2);
    let [body, foot] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(footer_height)]).areas(inner);
    let total = lines.len();
    let max = total.saturating_sub(usize::from(body.height));
    let scroll = usize::from(app.main_scroll).min(max);
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(0), 0)),
        body,
    );
    if total > usize::from(body.height) && area.width > 20 {
        let text = format!(
            " ↑↓ {}-{} of {total} ",
            scroll + 1,
            (scroll + usize::from(body.height)).min(total)
        );
        let x = area
            .right()
            .saturating_sub(u16::try_from(text.chars().count()).unwrap_or(0) + 1);
        frame
            .buffer_mut()
            .set_string(x, area.bottom() - 1, text, t.dim());
    }
    frame.render_widget(Paragraph::new(footer), foot);
}

/// Rows of text the current screen has (for scrolling).
pub fn main_lines(app: &App, width: usize) -> usize {
    match app.step {
        Step::Review => review(app, width).0.len(),
        Step::Apply => apply(app, width).0.len(),
        Step::Verify => verify(app, width).0.len(),
        Step::Data => data(app, width).0.len(),
        Step::Done => done(app, width).0.len(),
        _ => 0,
    }
}

type Lines = Vec<Line<'static>>;

fn heading(t: &Theme, text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), t.title())
}

fn wrapped(out: &mut Lines, text: &str, width: usize, indent: usize, style: Style) {
    for (i, part) in wrap(text, width.saturating_sub(indent))
        .into_iter()
        .enumerate()
    {
        let pad = if i == 0 {
            indent.saturating_sub(2)
        } else {
            indent
        };
        let lead = if i == 0 && indent >= 2 {
            format!("{}  ", " ".repeat(pad))
        } else {
            " ".repeat(pad)
        };
        out.push(Line::styled(format!("{lead}{part}"), style));
    }
}

fn review(app: &App, width: usize) -> (Lines, Lines) {
    let t = &app.theme;
    let plan = &app.derived.plan;
    let mut out = Vec::new();
    let context = if app.derived.live {
        format!(
            "Plan against account {} in {} (read live)",
            app.derived.resolved.account_id.as_deref().unwrap_or("?"),
            app.spec.region
        )
    } else if app.online() {
        format!(
            "{} reading the account ({} lookups to go)…",
            app.spinner(),
            app.derived.pending
        )
    } else {
        "Offline plan: nothing was read from AWS; every resource is shown as new".to_owned()
    };
    wrapped(&mut out, &context, width, 0, t.text());
    out.push(Line::raw(""));
    let kind_width = plan
        .items
        .iter()
        .map(|i| i.resource.as_str().len())
        .max()
        .unwrap_or(8);
    let with_action = width >= 72;
    for item in &plan.items {
        let (marker, style) = match item.action {
            PlanAction::Create => ("+", t.insert()),
            PlanAction::Update => ("~", t.warn()),
            PlanAction::Adopt => ("~", t.accent()),
            PlanAction::NoChange => ("=", t.dim()),
        };
        let lines = crate::docs::diff::json_diff(item.before.as_ref(), item.after.as_ref());
        let ins = lines
            .iter()
            .filter(|l| l.tag == crate::docs::diff::DiffTag::Insert)
            .count();
        let del = lines
            .iter()
            .filter(|l| l.tag == crate::docs::diff::DiffTag::Delete)
            .count();
        let counts = if item.action == PlanAction::NoChange || (ins == 0 && del == 0) {
            String::new()
        } else {
            format!(" +{ins} −{del}")
        };
        let action = if with_action {
            format!("{:<10}", item.action.as_str())
        } else {
            String::new()
        };
        let text = format!(
            "{marker} {action}{:<kind_width$} {}",
            item.resource.as_str(),
            item.name
        );
        out.push(Line::from(vec![
            Span::styled(
                truncate(&text, width.saturating_sub(counts.chars().count())),
                style,
            ),
            Span::styled(counts, t.dim()),
        ]));
    }
    let (create, change) = plan.items.iter().fold((0, 0), |(c, u), i| match i.action {
        PlanAction::Create => (c + 1, u),
        PlanAction::Update | PlanAction::Adopt => (c, u + 1),
        PlanAction::NoChange => (c, u),
    });
    wrapped(
        &mut out,
        &format!(
            "{create} to create, {change} to update or adopt, {} unchanged",
            plan.items.len() - create - change
        ),
        width,
        0,
        t.dim(),
    );
    if !plan.findings.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(t, format!("Lints ({})", plan.findings.len())));
        for finding in &plan.findings {
            let style = match finding.severity {
                Severity::Error => t.error().add_modifier(Modifier::BOLD),
                Severity::Warning => t.warn(),
                Severity::Info => t.dim(),
            };
            wrapped(
                &mut out,
                &format!(
                    "{} [{}] {}",
                    finding.severity, finding.resource, finding.message
                ),
                width,
                2,
                style,
            );
        }
    }
    let mut errors: Vec<String> = plan.errors.clone();
    if let Some(e) = &app.derived.account_error {
        errors.insert(0, e.clone());
    }
    for e in &app.derived.errors {
        errors.push(format!("{}: {}", e.path, e.message));
    }
    if !errors.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            "Errors (nothing can be applied)",
            t.error().add_modifier(Modifier::BOLD),
        ));
        for e in &errors {
            wrapped(&mut out, e, width, 2, t.error());
        }
    }
    if !plan.notes.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(t, "Notes"));
        for note in &plan.notes {
            wrapped(&mut out, note, width, 2, t.dim());
        }
    }
    let mut footer = Vec::new();
    let changes = plan
        .items
        .iter()
        .filter(|i| i.action != PlanAction::NoChange)
        .count();
    match app.aws_blocker() {
        Some(why) => {
            wrapped(
                &mut footer,
                &format!("Apply is disabled: {why}."),
                width,
                0,
                t.warn(),
            );
            wrapped(
                &mut footer,
                "Enter: go to Done, to export the bundle (sluice export).",
                width,
                0,
                t.dim(),
            );
        }
        None if !errors.is_empty() => {
            wrapped(
                &mut footer,
                "Fix the errors above to apply.",
                width,
                0,
                t.error(),
            );
        }
        None if app.derived.pending > 0 => {
            wrapped(
                &mut footer,
                "Waiting for the live state before anything can be applied…",
                width,
                0,
                t.dim(),
            );
        }
        None if changes == 0 => {
            wrapped(
                &mut footer,
                "Nothing to change: the account matches the spec. Enter: verify.",
                width,
                0,
                t.ok(),
            );
        }
        None => wrapped(
            &mut footer,
            &format!(
                "Enter: apply {changes} change(s) to account {} (asks first; prior states are backed up).",
                app.derived.resolved.account_id.as_deref().unwrap_or("?")
            ),
            width,
            0,
            t.key(),
        ),
    }
    (out, footer)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn millis(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        secs(d)
    }
}

fn row_lines(app: &App, row: &Row, width: usize, timing: fn(Duration) -> String) -> Lines {
    let t = &app.theme;
    let (icon, style) = match row.state {
        RowState::Pending => ("·".to_owned(), t.dim()),
        RowState::Running => (app.spinner().to_owned(), t.accent()),
        RowState::Done => ("✓".to_owned(), t.ok()),
        RowState::Failed => ("✗".to_owned(), t.error()),
        RowState::Skipped => ("–".to_owned(), t.dim()),
    };
    let elapsed = match (row.elapsed, row.started) {
        (Some(e), _) => timing(e),
        (None, Some(started)) if row.state == RowState::Running => {
            timing(app.now.saturating_duration_since(started))
        }
        _ => String::new(),
    };
    let detail = match &row.retry {
        Some(retry) if row.state == RowState::Running => {
            let left = retry.until.saturating_duration_since(app.now);
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
        Span::styled(
            format!(" {:<detail_width$}", truncate(&detail, detail_width)),
            if row.state == RowState::Failed {
                t.error()
            } else {
                t.dim()
            },
        ),
        Span::styled(format!(" {elapsed}"), t.dim()),
    ])];
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

fn apply(app: &App, width: usize) -> (Lines, Lines) {
    let t = &app.theme;
    let view = &app.apply;
    let mut out = Vec::new();
    let account = app.derived.resolved.account_id.as_deref().unwrap_or("?");
    let head = if view.run.running {
        let since = view
            .run
            .started
            .map(|s| secs(app.now.saturating_duration_since(s)))
            .unwrap_or_default();
        format!(
            "Applying to account {account} in {} · {since}",
            app.spec.region
        )
    } else if view.nothing_to_do {
        "Nothing to apply: the account matches the spec.".to_owned()
    } else if view.run.rows.is_empty() {
        "Nothing applied yet: confirm on the review step.".to_owned()
    } else {
        format!("Apply to account {account} in {}", app.spec.region)
    };
    wrapped(&mut out, &head, width, 0, t.text());
    out.push(Line::raw(""));
    for row in &view.run.rows {
        out.extend(row_lines(app, row, width, secs));
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
            &format!("✓ Applied {} step(s).", report.steps.len()),
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

fn verify(app: &App, width: usize) -> (Lines, Lines) {
    let t = &app.theme;
    let view = &app.verify;
    let mut out = Vec::new();
    let head = if view.run.running {
        format!(
            "Verifying: a test object is uploaded under the prefix and its event awaited (up to {} s)…",
            app.config.verify.timeout.as_secs()
        )
    } else if view.run.rows.is_empty() {
        "Not verified yet.".to_owned()
    } else {
        "Verification".to_owned()
    };
    wrapped(&mut out, &head, width, 0, t.text());
    out.push(Line::raw(""));
    for row in &view.run.rows {
        out.extend(row_lines(app, row, width, millis));
        if row.state == RowState::Failed {
            wrapped(&mut out, &row.detail, width, 4, t.error());
        }
    }
    let mut footer = Vec::new();
    if let Some(report) = &view.report {
        let failed = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail(_)))
            .count();
        let skipped = report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::NotAvailable(_)))
            .count();
        let passed = report.checks.len() - failed - skipped;
        if failed == 0 {
            wrapped(
                &mut footer,
                &format!(
                    "✓ {passed} check(s) passed{}. Enter: preview the data.",
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
                &format!("✗ {failed} check(s) failed, {passed} passed. r: run again · Esc: back"),
                width,
                0,
                t.error().add_modifier(Modifier::BOLD),
            );
        }
    }
    (out, footer)
}

fn when(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

fn size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn data(app: &App, width: usize) -> (Lines, Lines) {
    let t = &app.theme;
    let view = &app.data;
    let mut out = Vec::new();
    let spec = &app.spec;
    let mut footer = Vec::new();
    match &view.result {
        None if view.running => wrapped(
            &mut out,
            &format!(
                "{} listing s3://{}/{}…",
                app.spinner(),
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
                    "{}{} object(s) under s3://{}/{}{filter}; the newest:",
                    report.matching,
                    if report.complete { "" } else { "+" },
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
                            &format!("… {} record(s) in the sample", sample.decoded),
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
            out.push(Line::raw(""));
            out.push(heading(t, "Backfill"));
            let since = match report.cutoff {
                Some(cutoff) => format!(
                    "{} object(s) predate the notification (written {}): S3 never announced them.",
                    report.predating,
                    when(cutoff)
                ),
                None => format!(
                    "{} object(s) may predate the notification (this session did not write it, so when it began is unknown): S3 announces only objects written after it.",
                    report.predating
                ),
            };
            wrapped(&mut out, &since, width, 2, t.text());
            let file = app
                .spec_file()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "sluice.json".to_owned());
            wrapped(
                &mut out,
                &format!(
                    "To queue them: sluice backfill --config {file} (add --dry-run to count first). Objects written since are announced by S3 already; backfilling them too only delivers them twice, which consumers tolerate."
                ),
                width,
                2,
                t.dim(),
            );
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

fn done(app: &App, width: usize) -> (Lines, Lines) {
    let t = &app.theme;
    let mut out = Vec::new();
    wrapped(
        &mut out,
        "Give these to your connector (c copies one, a all; OSC 52 clipboard):",
        width,
        0,
        t.text(),
    );
    out.push(Line::raw(""));
    let values = app.connector_values();
    let key_width = values.iter().map(|(k, _)| k.len()).max().unwrap_or(8);
    for (i, (key, value)) in values.iter().enumerate() {
        let selected = i == app.done.cursor;
        let shown = if value.is_empty() {
            "(none)".to_owned()
        } else {
            value.clone()
        };
        let text = format!(
            "{} {key:<key_width$}  {shown}",
            if selected { "›" } else { " " }
        );
        let style = if selected { t.focused() } else { t.text() };
        out.push(Line::styled(truncate(&text, width), style));
    }
    if !app.online() && app.apply.report.is_none() {
        wrapped(
            &mut out,
            "offline: ARNs carry <ACCOUNT_ID> until the spec is applied with credentials",
            width,
            2,
            t.dim(),
        );
    }
    if let Some(key) = &app.done.access_key {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!("Access key of user {}", key.user),
            t.warn().add_modifier(Modifier::BOLD),
        ));
        wrapped(
            &mut out,
            &format!("access key id      {}", key.access_key_id),
            width,
            2,
            t.text(),
        );
        match &key.secret {
            Some(secret) => {
                wrapped(
                    &mut out,
                    &format!("secret access key  {secret}"),
                    width,
                    2,
                    t.warn(),
                );
                wrapped(
                    &mut out,
                    &format!(
                        "Shown once: copy it now (k). Its only other copy is {} (mode 0600).",
                        key.path.display()
                    ),
                    width,
                    2,
                    t.dim(),
                );
            }
            None => wrapped(
                &mut out,
                &format!(
                    "secret: shown once already; its only copy is {}",
                    key.path.display()
                ),
                width,
                2,
                t.dim(),
            ),
        }
    }
    out.push(Line::raw(""));
    out.push(heading(t, "Export"));
    match &app.done.exported {
        _ if app.done.exporting => wrapped(
            &mut out,
            &format!("{} writing the bundle…", app.spinner()),
            width,
            2,
            t.dim(),
        ),
        None => wrapped(
            &mut out,
            "e writes the bundle (as sluice export does): spec.json, the JSON documents, setup.sh, CloudFormation, Terraform and a README with these values.",
            width,
            2,
            t.dim(),
        ),
        Some(Ok((dir, files))) => wrapped(
            &mut out,
            &format!("✓ wrote {} files to {}", files.len(), dir.display()),
            width,
            2,
            t.ok(),
        ),
        Some(Err(e)) => wrapped(&mut out, &format!("✗ {e}"), width, 2, t.error()),
    }
    if let Some(file) = app.spec_file() {
        wrapped(
            &mut out,
            &format!("Re-run headless: sluice plan --config {}", file.display()),
            width,
            2,
            t.dim(),
        );
    }
    out.push(Line::raw(""));
    out.push(heading(t, "Consume"));
    consume_lines(app, &mut out, width);
    (out, Vec::new())
}

/// The Done screen's consume section: what `d` does (or why it cannot), and
/// how the last run ended.
fn consume_lines(app: &App, out: &mut Lines, width: usize) {
    let t = &app.theme;
    let consume = &app.done.consume;
    if consume.preparing {
        wrapped(
            out,
            &format!(
                "{} preparing the consumer: queue, visibility timeout, sink…",
                app.spinner()
            ),
            width,
            2,
            t.dim(),
        );
        return;
    }
    match app.consume_blocker() {
        Some(why) => wrapped(
            out,
            &format!("d (consume now, in the live dashboard) is unavailable: {why}"),
            width,
            2,
            t.dim(),
        ),
        None => wrapped(
            out,
            "d consumes the queue now in the live dashboard; q there comes back here.",
            width,
            2,
            t.dim(),
        ),
    }
    match &consume.last {
        None => {}
        Some(Err(e)) => wrapped(out, &format!("✗ {e}"), width, 2, t.error()),
        Some(Ok(end)) => {
            let c = &end.snapshot.counters;
            let sink = consume.sink.as_deref().unwrap_or("the sink");
            let (mark, style) = if end.abandoned || end.fail_policy_errors > 0 {
                ("!", t.warn())
            } else {
                ("✓", t.ok())
            };
            wrapped(
                out,
                &format!(
                    "{mark} last run: {} records into {sink} from {} objects; {} messages deleted, {} returned; {} decode errors",
                    c.records,
                    c.objects_ok,
                    c.messages_deleted,
                    c.messages_returned,
                    c.decode_errors
                ),
                width,
                2,
                style,
            );
            if end.abandoned {
                wrapped(
                    out,
                    "left before it stopped: messages still held return to the queue after their visibility timeout",
                    width,
                    2,
                    t.warn(),
                );
            }
        }
    }
}
