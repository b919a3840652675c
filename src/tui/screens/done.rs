//! The Done screen: the values the vendor's form asks for (copyable), the
//! new access key's secret once, the export, and, for a pipeline with a
//! queue of its own, consuming it now in the live dashboard; a pipeline
//! without one is told what the vendor does with the values instead.

use ratatui::style::Modifier;
use ratatui::text::Line;

use super::apply::ApplyScreen;
use super::run::AccessKey;
use crate::consume::sink::SinkSpec;
use crate::docs::ResourceKind;
use crate::spec::Shape;
use crate::tui::action::{ConsumeEnd, Effect, Found};
use crate::tui::model::{Connection, Model, StatusKind};
use crate::tui::widgets::{Lines, heading, truncate, wrapped};

#[derive(Debug, Clone, Default)]
pub struct DoneScreen {
    pub cursor: usize,
    pub exporting: bool,
    pub exported: Option<Result<(std::path::PathBuf, Vec<std::path::PathBuf>), String>>,
    pub access_key: Option<AccessKey>,
    pub consume: ConsumeView,
}

/// The consumer the Done screen starts, with the dashboard.
#[derive(Debug, Clone, Default)]
pub struct ConsumeView {
    pub id: u64,
    /// Its run is being prepared (queue, visibility timeout, sink).
    pub preparing: bool,
    /// The sink last asked for (the prompt offers it again).
    pub sink: Option<String>,
    /// How the last run ended, or why it could not start.
    pub last: Option<Result<ConsumeEnd, String>>,
}

/// The values the connector's form asks for, under the vendor's names: as
/// the apply reported them, or from the spec.
pub fn connector_values(model: &Model, apply: &ApplyScreen) -> Vec<(&'static str, String)> {
    match &apply.report {
        Some(report) if apply.run.is_for(&model.spec) => report.connector.clone(),
        _ => crate::docs::vendor_values(&model.derived.resolved, model.queue_url(), None),
    }
}

/// Step 1's SQL for Snowflake, while its values are still to come: what
/// `a` copies then, with the role's real ARN once the account is known.
pub fn step_one_sql(model: &Model) -> Option<String> {
    let spec = &model.derived.resolved;
    crate::docs::snowflake::step_note(spec).map(|_| crate::docs::snowflake::step_one_sql(spec))
}

/// Whether the Done screen offers to consume the pipeline's queue: only a
/// pipeline with a queue of its own has one to consume (a pull import, a
/// destination and a vendor's queue have none of ours).
pub fn offers_consume(model: &Model) -> bool {
    model.spec.has_queue()
}

/// The `in:` block `a` copies for the connector's CLI, where it has one
/// (Treasure Data's `td connector:guess`).
pub fn in_block(model: &Model, apply: &ApplyScreen) -> Option<String> {
    crate::docs::guess_in_block(&model.derived.resolved, &connector_values(model, apply))
}

/// Why the Done screen cannot consume the queue with the dashboard, if
/// it cannot: offline, the spec invalid, or its queue not there (yet).
/// Asked only where it [`offers_consume`].
pub fn consume_blocker(model: &Model, apply: &ApplyScreen) -> Option<String> {
    if let Some(why) = model.aws_blocker() {
        return Some(why);
    }
    if !model.derived.errors.is_empty() {
        return Some("the spec has errors to fix first".to_owned());
    }
    let applied = apply.applied(model);
    let queue = &model.derived.resolved.queue.name;
    match model.found(ResourceKind::Queue) {
        Some(Found::Queue(Ok(Some(_)))) => None,
        _ if applied => None,
        Some(Found::Queue(Ok(None))) => {
            Some(format!("queue {queue} does not exist yet: apply first"))
        }
        Some(Found::Queue(Err(e))) => Some(format!("cannot read queue {queue}: {e}")),
        _ => Some(format!("still reading queue {queue}")),
    }
}

/// Why `sink` cannot take the records while the wizard owns the terminal.
pub fn sink_problem(sink: &str) -> Option<String> {
    match sink.parse::<SinkSpec>() {
        Ok(SinkSpec::Stdout) => Some(
            "stdout is the screen the wizard draws on: use dir:PATH, or null to count only"
                .to_owned(),
        ),
        Ok(_) => None,
        Err(e) => Some(e),
    }
}

impl DoneScreen {
    /// The sink the consume prompt offers: the last one asked for, else a
    /// directory named after the stack under the configured ingest base.
    pub fn default_sink(&self, model: &Model) -> String {
        self.consume.sink.clone().unwrap_or_else(|| {
            format!(
                "dir:{}",
                model.config.ingest_base.join(&model.spec.name).display()
            )
        })
    }

    /// Forgets the access key's secret (it is shown once).
    pub fn forget_secret(&mut self) {
        if let Some(key) = &mut self.access_key {
            key.secret = None;
        }
    }

    pub fn move_cursor(&mut self, model: &Model, apply: &ApplyScreen, down: bool) {
        if down {
            let len = connector_values(model, apply).len();
            self.cursor = (self.cursor + 1).min(len.saturating_sub(1));
        } else {
            self.cursor = self.cursor.saturating_sub(1);
        }
    }

    /// `c` / Enter: copies the value under the cursor.
    pub fn copy(&self, model: &mut Model, apply: &ApplyScreen) {
        let values = connector_values(model, apply);
        if let Some((name, value)) = values.get(self.cursor) {
            model.effects.push(Effect::Copy(value.clone()));
            model.set_status(
                StatusKind::Ok,
                format!("copied {name} to the clipboard (OSC 52)"),
            );
        }
    }

    /// `a`: copies every value, one `key=value` per line; for Treasure
    /// Data, the `in:` block its `td connector:guess` reads.
    pub fn copy_all(&self, model: &mut Model, apply: &ApplyScreen) {
        if let Some(sql) = step_one_sql(model) {
            model.effects.push(Effect::Copy(sql));
            model.set_status(
                StatusKind::Ok,
                "copied step 1's SQL (OSC 52): run it in Snowflake, then paste its values and apply again",
            );
            return;
        }
        if let Some(block) = in_block(model, apply) {
            model.effects.push(Effect::Copy(block));
            model.set_status(
                StatusKind::Ok,
                "copied the in: block for td connector:guess (OSC 52); put the secret access key in it",
            );
            return;
        }
        let values = connector_values(model, apply);
        let all: String = values.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        model.effects.push(Effect::Copy(all));
        model.set_status(
            StatusKind::Ok,
            format!("copied {} values to the clipboard (OSC 52)", values.len()),
        );
    }

    /// Whether the new access key's secret can still be copied.
    pub fn has_secret(&self) -> bool {
        self.access_key.as_ref().is_some_and(|k| k.secret.is_some())
    }

    /// `k`: copies the new access key's secret.
    pub fn copy_secret(&self, model: &mut Model) {
        if let Some(secret) = self.access_key.as_ref().and_then(|k| k.secret.clone()) {
            model.effects.push(Effect::Copy(secret));
            model.set_status(
                StatusKind::Ok,
                "copied the secret access key (it is not shown again)",
            );
        }
    }

    /// The export prompt was confirmed.
    pub fn export(&mut self, model: &mut Model, dir: std::path::PathBuf) {
        self.exporting = true;
        model.effects.push(Effect::Export {
            access_key_id: self.access_key.as_ref().map(|k| k.access_key_id.clone()),
            dir,
            spec: Box::new(model.export_spec()),
        });
    }

    /// The export ended.
    pub fn exported(
        &mut self,
        model: &mut Model,
        dir: std::path::PathBuf,
        result: Result<Vec<std::path::PathBuf>, String>,
    ) {
        self.exporting = false;
        match &result {
            Ok(files) => model.set_status(
                StatusKind::Ok,
                format!("exported {} files to {}", files.len(), dir.display()),
            ),
            Err(e) => model.set_status(StatusKind::Error, format!("export failed: {e}")),
        }
        self.exported = Some(result.map(|files| (dir, files)));
    }

    /// Prepares a run of the consumer writing to `sink`; the dashboard opens
    /// when it is ready.
    pub fn start_consume(&mut self, model: &mut Model, sink: &str) {
        let Connection::Online { clients, identity } = &model.connection else {
            return;
        };
        let Ok(sink_spec) = sink.parse::<SinkSpec>() else {
            return;
        };
        self.consume.id += 1;
        self.consume.preparing = true;
        self.consume.sink = Some(sink.to_owned());
        model.effects.push(Effect::PrepareConsume {
            id: self.consume.id,
            clients: clients.clone(),
            spec: Box::new(model.derived.resolved.clone()),
            identity: identity.clone(),
            settings: crate::consume::prepare::ConsumeSettings::with_sink(
                sink_spec.with_max_file_age(crate::consume::sink::WATCHED_MAX_FILE_AGE),
            ),
        });
    }

    /// Back from the dashboard: what the run did, on the status line and here.
    pub fn consume_ended(&mut self, model: &mut Model, end: ConsumeEnd) {
        let c = &end.snapshot.counters;
        let (kind, text) = if end.abandoned {
            (
                StatusKind::Error,
                "left before the consumer stopped: messages still held return to the queue after their visibility timeout".to_owned(),
            )
        } else if end.fail_policy_errors > 0 {
            (
                StatusKind::Error,
                format!(
                    "the consumer stopped; {} kept under the fail policy go to the dead-letter queue after maxReceiveCount",
                    crate::words::count(end.fail_policy_errors, "message")
                ),
            )
        } else {
            (
                StatusKind::Ok,
                format!(
                    "the consumer stopped: {} records written, {} messages deleted; d runs it again",
                    c.records, c.messages_deleted
                ),
            )
        };
        model.set_status(kind, text);
        self.consume.last = Some(Ok(end));
    }
}

/// The connector values, the access key once, export and consume.
pub fn lines(
    model: &Model,
    view: &DoneScreen,
    apply: &ApplyScreen,
    width: usize,
) -> (Lines, Lines) {
    let t = &model.theme;
    let mut out = Vec::new();
    let values = connector_values(model, apply);
    let block = crate::docs::guess_in_block(&model.derived.resolved, &values);
    let sql = step_one_sql(model);
    wrapped(
        &mut out,
        if sql.is_some() {
            "Give these to Snowflake (c copies one, a the SQL below; OSC 52 clipboard):"
        } else if block.is_some() {
            "Give these to your connector (c copies one, a the in: block below; OSC 52 clipboard):"
        } else {
            "Give these to your connector (c copies one, a all; OSC 52 clipboard):"
        },
        width,
        0,
        t.text(),
    );
    out.push(Line::raw(""));
    // Each under the form's label, with the guide's name where it differs.
    let spec = &model.derived.resolved;
    let labels: Vec<String> = values
        .iter()
        .map(|(k, _)| crate::docs::shown_label(spec, k))
        .collect();
    let key_width = labels.iter().map(|k| k.chars().count()).max().unwrap_or(8);
    for (i, ((_, value), key)) in values.iter().zip(&labels).enumerate() {
        let selected = i == view.cursor;
        let shown = if value.is_empty() {
            "(none)".to_owned()
        } else {
            value.clone()
        };
        let style = if selected { t.focused() } else { t.text() };
        // A long value (a queue URL) wraps under itself: never cut.
        let prefix = 2 + key_width + 2;
        let parts = crate::tui::widgets::wrap(&shown, width.saturating_sub(prefix).max(8));
        for (n, part) in parts.iter().enumerate() {
            let text = if n == 0 {
                format!(
                    "{} {key:<key_width$}  {part}",
                    if selected { "›" } else { " " }
                )
            } else {
                format!("{}{part}", " ".repeat(prefix))
            };
            out.push(Line::styled(truncate(&text, width), style));
        }
    }
    if let Some(block) = &block {
        out.push(Line::raw(""));
        wrapped(
            &mut out,
            &format!(
                "The in: block for td connector:guess ({}'s CLI; a copies it):",
                model.derived.resolved.profile().vendor
            ),
            width,
            0,
            t.text(),
        );
        indented_block(&mut out, block, width, t.dim());
    }
    if let Some(sql) = &sql {
        out.push(Line::raw(""));
        out.push(heading(t, "Snowflake: step 1 of 2"));
        wrapped(
            &mut out,
            "Snowflake's values are not given yet, so the role's trust policy lets nobody in and the bucket notifies nothing. Run this SQL in Snowflake (a copies it):",
            width,
            0,
            t.text(),
        );
        indented_block(&mut out, sql, width, t.dim());
        wrapped(
            &mut out,
            "Step 2: paste DESC INTEGRATION's STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID on the Role step and the pipe's notification_channel (SHOW PIPES) on the Notification step, or run sluice snowflake --desc-integration FILE --show-pipes FILE; then apply again.",
            width,
            0,
            t.text(),
        );
    }
    if !model.online() && apply.report.is_none() {
        wrapped(
            &mut out,
            "offline: ARNs carry <ACCOUNT_ID> until the spec is applied with credentials",
            width,
            2,
            t.dim(),
        );
    }
    if let Some(key) = &view.access_key {
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
    match &view.exported {
        _ if view.exporting => wrapped(
            &mut out,
            &format!("{} writing the bundle…", model.spinner()),
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
    if let Some(file) = model.spec_file() {
        wrapped(
            &mut out,
            &format!("Re-run headless: sluice plan --config {}", file.display()),
            width,
            2,
            t.dim(),
        );
    }
    out.push(Line::raw(""));
    if offers_consume(model) {
        out.push(heading(t, "Consume"));
        consume_lines(model, view, apply, &mut out, width);
    } else {
        out.push(heading(t, "Next"));
        wrapped(
            &mut out,
            &hand_off(model, block.is_some()),
            width,
            2,
            t.dim(),
        );
    }
    (out, Vec::new())
}

/// `block`'s lines indented by two, each keeping its own indentation; a
/// long one wraps under itself.
fn indented_block(out: &mut Lines, block: &str, width: usize, style: ratatui::style::Style) {
    for line in block.lines() {
        let body = line.trim_start();
        let indent = 2 + line.len() - body.len();
        if body.is_empty() {
            out.push(Line::raw(""));
            continue;
        }
        for part in crate::tui::widgets::wrap(body, width.saturating_sub(indent).max(8)) {
            out.push(Line::styled(
                truncate(&format!("{}{part}", " ".repeat(indent)), width),
                style,
            ));
        }
    }
}

/// What a pipeline without a queue of its own does next, by its shape:
/// where the values above go and who reads the bucket.
fn hand_off(model: &Model, in_block: bool) -> String {
    let profile = model.spec.profile();
    let vendor = profile.vendor;
    match profile.shape {
        Shape::Pull if in_block => format!(
            "{vendor} lists and reads the bucket itself: paste the values above into its Amazon S3 import form with the secret access key, or give td connector:guess the in: block (a copies it)."
        ),
        Shape::Pull => format!(
            "{vendor} lists and reads the bucket itself: paste the values above into its Amazon S3 import form."
        ),
        Shape::Destination => format!(
            "{vendor} writes into the bucket: paste the values above into its Amazon S3 destination form; what it writes lands under s3://{}/{}.",
            model.derived.resolved.bucket.name, model.derived.resolved.bucket.prefix
        ),
        Shape::ForeignQueue => format!(
            "The bucket notifies {vendor}'s own queue, which {vendor} reads: paste the values above into {vendor}."
        ),
        Shape::QueueFed => {
            "Paste the values above into your connector, which reads the bucket itself.".to_owned()
        }
    }
}

/// The Done screen's consume section: what `d` does (or why it cannot), and
/// how the last run ended.
fn consume_lines(
    model: &Model,
    view: &DoneScreen,
    apply: &ApplyScreen,
    out: &mut Lines,
    width: usize,
) {
    let t = &model.theme;
    let consume = &view.consume;
    if consume.preparing {
        wrapped(
            out,
            &format!(
                "{} preparing the consumer: queue, visibility timeout, sink…",
                model.spinner()
            ),
            width,
            2,
            t.dim(),
        );
        return;
    }
    match consume_blocker(model, apply) {
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
                    "{mark} last run: {} into {sink} from {}; {} deleted, {} returned; {}",
                    crate::words::count(c.records, "record"),
                    crate::words::count(c.objects_ok, "object"),
                    crate::words::count(c.messages_deleted, "message"),
                    c.messages_returned,
                    crate::words::count(c.decode_errors, "decode error")
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
