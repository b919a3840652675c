//! The wizard's one state: the spec being designed, the form, what is known
//! of the account, the runs, and what is derived from them for drawing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use ratatui::style::Style;
use ratatui_textarea::TextArea;

use crate::aws::apply::{ApplyError, ApplyReport};
use crate::aws::observe::Observation;
use crate::aws::plan::for_account;
use crate::aws::progress::StepId;
use crate::aws::verify::{VerifyOptions, VerifyReport};
use crate::aws::{AwsOptions, Clients, Identity, Plan};
use crate::docs::MergeError;
use crate::spec::{FieldError, Spec};

use super::action::{ConnectHow, ConsumeEnd, Effect, Found, LOOKUP_DEBOUNCE, Lookup, Target};
use super::form::{self, FieldId, Kind};
use super::preview::{self, Section};
use super::profiles::{Profile, REGIONS};
use super::session::SessionInfo;
use super::theme::Theme;
use crate::consume::preview::DataReport;

/// The screens, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Welcome,
    Policy,
    Role,
    User,
    Bucket,
    Queue,
    Notification,
    Review,
    Apply,
    Verify,
    Data,
    Done,
}

impl Step {
    pub const ALL: [Step; 12] = [
        Step::Welcome,
        Step::Policy,
        Step::Role,
        Step::User,
        Step::Bucket,
        Step::Queue,
        Step::Notification,
        Step::Review,
        Step::Apply,
        Step::Verify,
        Step::Data,
        Step::Done,
    ];

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Policy => "Permissions policy",
            Step::Role => "Role",
            Step::User => "User",
            Step::Bucket => "Bucket",
            Step::Queue => "Queue",
            Step::Notification => "Notification",
            Step::Review => "Review",
            Step::Apply => "Apply",
            Step::Verify => "Verify",
            Step::Data => "Preview data",
            Step::Done => "Done",
        }
    }

    /// The name in the step bar.
    pub fn short(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Policy => "Policy",
            Step::Notification => "Notify",
            Step::Data => "Data",
            other => other.title(),
        }
    }

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    pub fn prev(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Step::ALL[i])
    }

    /// Steps with a form (and a preview beside it).
    pub fn is_form(self) -> bool {
        self <= Step::Notification
    }

    /// Steps that talk to AWS and are disabled offline.
    pub fn needs_aws(self) -> bool {
        matches!(self, Step::Apply | Step::Verify | Step::Data)
    }
}

/// How the wizard reaches AWS.
#[derive(Debug, Clone)]
pub enum Connect {
    /// The default credential chain, with the profile chosen on the welcome screen.
    Chain,
    /// These clients (tests; their region is fixed).
    Given(Box<Clients>),
    /// Never: offline, for this reason.
    Offline(String),
}

/// What stays fixed for a run of the wizard.
#[derive(Debug, Clone)]
pub struct Config {
    pub aws: AwsOptions,
    pub connect: Connect,
    /// The spec file Ctrl-S writes (`--config F`).
    pub config_path: Option<PathBuf>,
    /// Where sessions are autosaved; `None` turns autosave off.
    pub sessions_dir: Option<PathBuf>,
    /// Where apply backs up prior states; `None` is sluice's data directory.
    pub backup_base: Option<PathBuf>,
    /// Where apply writes an access key file.
    pub out_dir: PathBuf,
    /// The directory the export prompt offers (under it, `<stack>-bundle`).
    pub export_base: PathBuf,
    /// The directory the consume prompt offers as a `dir:` sink (under it,
    /// the stack's name).
    pub ingest_base: PathBuf,
    pub verify: VerifyOptions,
    pub propagation_timeout: Duration,
    /// Where the log goes (`--log-file`), shown on the welcome screen.
    pub log_file: Option<PathBuf>,
}

impl Config {
    /// A config that never touches AWS or the user's files: for tests and demos.
    pub fn offline(reason: &str) -> Config {
        Config {
            aws: AwsOptions::default(),
            connect: Connect::Offline(reason.to_owned()),
            config_path: None,
            sessions_dir: None,
            backup_base: None,
            out_dir: PathBuf::from("."),
            export_base: PathBuf::from("."),
            ingest_base: PathBuf::from("ingest"),
            verify: VerifyOptions::default(),
            propagation_timeout: Duration::from_secs(120),
            log_file: None,
        }
    }
}

/// Everything the wizard starts from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    /// The spec to start with (`--config F`); `None` starts a new one.
    pub spec: Option<Spec>,
    pub profiles: Vec<Profile>,
    pub theme: Theme,
    /// Messages for the status line at start (e.g. a generated external ID).
    pub notes: Vec<String>,
}

/// What is known of the credentials.
#[derive(Debug, Clone)]
pub enum Connection {
    Connecting,
    Online {
        clients: Box<Clients>,
        identity: Identity,
    },
    Offline {
        reason: String,
    },
}

impl Connection {
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Connection::Online { identity, .. } => Some(identity),
            _ => None,
        }
    }

    pub fn clients(&self) -> Option<&Clients> {
        match self {
            Connection::Online { clients, .. } => Some(clients),
            _ => None,
        }
    }
}

/// One resource's background lookup.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// What is (to be) looked up; `None` when nothing is (disabled, invalid name, offline).
    pub key: Option<String>,
    pub what: Option<Lookup>,
    pub generation: u64,
    /// When the debounced lookup starts.
    pub due: Option<Instant>,
    pub running: bool,
    pub found: Option<Found>,
}

impl Slot {
    /// Whether a result for the current key is still to come.
    pub fn pending(&self) -> bool {
        self.key.is_some() && self.found.is_none()
    }
}

/// A row of the apply or verify screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The progress step, e.g. `bucket` or `verify:event`.
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

impl RunView {
    pub fn row_mut(&mut self, step: StepId) -> &mut Row {
        if let Some(i) = self.rows.iter().position(|r| r.step == step) {
            return &mut self.rows[i];
        }
        self.rows.push(Row {
            step,
            title: match step {
                StepId::Check(check) => check.as_str().to_owned(),
                other => other.to_string(),
            },
            state: RowState::Pending,
            started: None,
            elapsed: None,
            detail: String::new(),
            retry: None,
            notes: Vec::new(),
        });
        let last = self.rows.len() - 1;
        &mut self.rows[last]
    }
}

/// The apply run and its outcome.
#[derive(Debug, Clone, Default)]
pub struct ApplyView {
    pub run: RunView,
    pub report: Option<ApplyReport>,
    pub failure: Option<ApplyError>,
    /// The plan had nothing to change.
    pub nothing_to_do: bool,
    /// When our notification entry was written by this session.
    pub notification_written: Option<SystemTime>,
}

#[derive(Debug, Clone, Default)]
pub struct VerifyView {
    pub run: RunView,
    pub report: Option<VerifyReport>,
}

#[derive(Debug, Clone, Default)]
pub struct DataView {
    pub id: u64,
    pub running: bool,
    pub result: Option<Result<DataReport, String>>,
    /// The step to return to (the data preview was opened from the bucket step).
    pub return_to: Option<Step>,
}

/// The secret of an access key apply created: shown once, then forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub user: String,
    pub access_key_id: String,
    /// `None` once it has been shown and the user moved on.
    pub secret: Option<String>,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Default)]
pub struct DoneView {
    pub cursor: usize,
    pub exporting: bool,
    pub exported: Option<Result<(PathBuf, Vec<PathBuf>), String>>,
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

/// A window over the screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    ConfirmQuit,
    ConfirmApply,
    /// Choosing a select's value from a list (type to filter).
    Picker {
        field: FieldId,
        filter: String,
        cursor: usize,
    },
    /// A one-line question: where to save, where to export.
    Prompt {
        kind: PromptKind,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    SaveAs,
    ExportDir,
    /// Where the consumer started from the Done screen writes records.
    ConsumeSink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
}

/// The preview pane.
#[derive(Debug, Clone, Default)]
pub struct PreviewPane {
    pub scroll: u16,
    /// On narrow terminals: the preview is shown instead of the form.
    pub shown: bool,
}

/// What is derived from the spec and the observations, recomputed after
/// every change so that drawing only reads it.
#[derive(Debug, Clone)]
pub struct Derived {
    pub errors: Vec<FieldError>,
    /// The spec as applied: the caller's account filled in when online.
    pub resolved: Spec,
    /// The spec names another account than the credentials'.
    pub account_error: Option<String>,
    pub plan: Plan,
    /// The plan compares with the account (online and every lookup done).
    pub live: bool,
    /// Lookups still running or due.
    pub pending: usize,
    /// Our notification entry cannot be merged into the bucket's.
    pub merge_error: Option<String>,
    /// The bucket's current notification configuration, when known.
    pub current_notification: Option<serde_json::Value>,
    /// The preview of the current step.
    pub preview: Vec<Section>,
}

/// The wizard.
pub struct App {
    pub config: Config,
    pub theme: Theme,
    pub step: Step,
    /// The furthest step reached (the step bar links up to it).
    pub furthest: Step,
    pub spec: Spec,
    /// The spec as last saved with Ctrl-S (or loaded): quitting asks when it differs.
    pub saved: Spec,
    /// Where Ctrl-S writes (the `--config` file, or the first "save as").
    pub save_path: Option<PathBuf>,
    pub focus: Option<FieldId>,
    pub inputs: BTreeMap<FieldId, TextArea<'static>>,
    /// Problems of the text itself (not a number; a principal not added).
    pub local_errors: BTreeMap<FieldId, String>,
    /// Row cursors of list fields.
    pub cursors: BTreeMap<FieldId, usize>,
    pub profiles: Vec<Profile>,
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub connection: Connection,
    pub connect_gen: u64,
    pub connect_due: Option<Instant>,
    pub slots: BTreeMap<Target, Slot>,
    pub derived: Derived,
    pub apply: ApplyView,
    pub verify: VerifyView,
    pub data: DataView,
    pub done: DoneView,
    pub overlay: Option<Overlay>,
    pub preview: PreviewPane,
    pub sessions: Vec<SessionInfo>,
    /// This session's file (resumed, or last autosaved).
    pub session_path: Option<PathBuf>,
    pub autosave_due: Option<Instant>,
    /// When the session was last autosaved.
    pub autosaved: Option<SystemTime>,
    pub status: Option<Status>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub now: Instant,
    pub started: Instant,
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Quit once the spec is saved (the quit dialog's "save and quit").
    pub quit_pending: bool,
    /// Scroll of the main pane on screens without a form.
    pub main_scroll: u16,
    /// Set when something changed that `derived` depends on.
    pub stale: bool,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("step", &self.step)
            .field("focus", &self.focus)
            .field("spec", &self.spec.name)
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

/// The stack name a new session starts with.
pub const NEW_STACK_NAME: &str = "my-ingest";

impl App {
    pub fn new(setup: Setup) -> App {
        let Setup {
            config,
            spec,
            profiles,
            theme,
            notes,
        } = setup;
        let profile = config.aws.profile.clone();
        let starting = match spec {
            Some(spec) => spec,
            None => {
                let chosen = profiles
                    .iter()
                    .find(|p| Some(&p.name) == profile.as_ref())
                    .or_else(|| profiles.iter().find(|p| p.name == "default"));
                let region = super::profiles::initial_region(config.aws.region.as_deref(), chosen);
                crate::spec::starter(NEW_STACK_NAME, &region, None)
            }
        };
        let now = Instant::now();
        let offline_reason = match &config.connect {
            Connect::Offline(reason) => Some(reason.clone()),
            _ => None,
        };
        let save_path = config.config_path.clone();
        let mut app = App {
            theme,
            step: Step::Welcome,
            furthest: Step::Welcome,
            saved: starting.clone(),
            spec: starting.clone(),
            save_path,
            focus: None,
            inputs: BTreeMap::new(),
            local_errors: BTreeMap::new(),
            cursors: BTreeMap::new(),
            profiles,
            profile,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            connection: match offline_reason {
                Some(reason) => Connection::Offline { reason },
                None => Connection::Connecting,
            },
            connect_gen: 0,
            connect_due: None,
            slots: Target::ALL.iter().map(|t| (*t, Slot::default())).collect(),
            derived: Derived {
                errors: Vec::new(),
                resolved: starting.clone(),
                account_error: None,
                plan: Plan::offline(&starting),
                live: false,
                pending: 0,
                merge_error: None,
                current_notification: None,
                preview: Vec::new(),
            },
            apply: ApplyView::default(),
            verify: VerifyView::default(),
            data: DataView::default(),
            done: DoneView::default(),
            overlay: None,
            preview: PreviewPane::default(),
            sessions: Vec::new(),
            session_path: None,
            autosave_due: None,
            autosaved: None,
            status: notes.first().map(|n| Status {
                kind: StatusKind::Info,
                text: n.clone(),
            }),
            size: (100, 30),
            now,
            started: now,
            effects: Vec::new(),
            quit: false,
            quit_pending: false,
            main_scroll: 0,
            stale: true,
            config,
        };
        if !app.regions.contains(&app.spec.region) {
            let region = app.spec.region.clone();
            app.regions.push(region);
        }
        app.reset_inputs();
        app.focus = app.first_focus(Step::Welcome);
        if !matches!(app.connection, Connection::Offline { .. }) {
            app.request_connect(true);
        }
        if let Some(dir) = &app.config.sessions_dir {
            app.effects.push(Effect::ListSessions(dir.clone()));
        }
        app.refresh();
        app
    }

    // ---- the form's inputs ----

    /// Makes every text input show the spec's value.
    pub fn reset_inputs(&mut self) {
        self.inputs.clear();
        self.local_errors.clear();
        for step in Step::ALL {
            for field in form::fields(step) {
                match field.kind() {
                    Kind::Text | Kind::Number => {
                        let text = form::text_value(&self.spec, *field);
                        self.inputs.insert(*field, new_input(&text, ""));
                    }
                    Kind::List => {
                        self.inputs.insert(
                            *field,
                            new_input("", "add: an account id or IAM ARN, then Enter"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// Refreshes one input from the spec (after the spec changed under it).
    pub fn reset_input(&mut self, field: FieldId) {
        let text = form::text_value(&self.spec, field);
        self.inputs.insert(field, new_input(&text, ""));
        self.local_errors.remove(&field);
    }

    /// The text of an input.
    pub fn input_text(&self, field: FieldId) -> String {
        self.inputs
            .get(&field)
            .map(|t| t.lines().join(""))
            .unwrap_or_default()
    }

    /// Fields of `step` the user can move to.
    pub fn focusable(&self, step: Step) -> Vec<FieldId> {
        form::fields(step)
            .iter()
            .copied()
            .filter(|f| form::visible(*f, &self.spec) && form::active(*f, &self.spec))
            .filter(|f| *f != FieldId::Sessions || !self.sessions.is_empty())
            .filter(|f| *f != FieldId::Profile || matches!(self.config.connect, Connect::Chain))
            .collect()
    }

    pub fn first_focus(&self, step: Step) -> Option<FieldId> {
        self.focusable(step).first().copied()
    }

    /// The message to show under a field, if it is invalid.
    pub fn field_error(&self, field: FieldId) -> Option<String> {
        if let Some(local) = self.local_errors.get(&field) {
            return Some(local.clone());
        }
        if field == FieldId::Events
            && let Some(conflict) = &self.derived.merge_error
        {
            return Some(conflict.clone());
        }
        let path = field.path()?;
        if !form::active(field, &self.spec) && field != FieldId::RoleEnabled {
            return None;
        }
        self.derived
            .errors
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.message.clone())
    }

    /// The validation error of item `i` of a list field.
    pub fn item_error(&self, field: FieldId, i: usize) -> Option<&str> {
        let path = format!("{}[{i}]", field.path()?);
        self.derived
            .errors
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.message.as_str())
    }

    /// Whether the field or any of its items is invalid.
    pub fn field_invalid(&self, field: FieldId) -> bool {
        if self.field_error(field).is_some() {
            return true;
        }
        match field.path() {
            Some(path) if form::active(field, &self.spec) => {
                let prefix = format!("{path}[");
                self.derived
                    .errors
                    .iter()
                    .any(|e| e.path.starts_with(&prefix))
            }
            _ => false,
        }
    }

    /// The invalid fields of a step, in order.
    pub fn step_errors(&self, step: Step) -> Vec<FieldId> {
        form::fields(step)
            .iter()
            .copied()
            .filter(|f| form::visible(*f, &self.spec))
            .filter(|f| self.field_invalid(*f))
            .collect()
    }

    /// Why Next is refused on a form step, if it is: the first invalid
    /// field with its message, or a name the account says cannot be used.
    pub fn step_blocker(&self, step: Step) -> Option<String> {
        let errors = self.step_errors(step);
        if let Some(first) = errors.first() {
            let message = self
                .field_error(*first)
                .or_else(|| {
                    let path = format!("{}[", first.path()?);
                    self.derived
                        .errors
                        .iter()
                        .find(|e| e.path.starts_with(&path))
                        .map(|e| e.message.clone())
                })
                .unwrap_or_default();
            let more = match errors.len() {
                1 => String::new(),
                2 => " (and 1 more field to fix)".to_owned(),
                n => format!(" (and {} more fields to fix)", n - 1),
            };
            return Some(format!("{}: {message}{more}", first.label()));
        }
        form::fields(step)
            .iter()
            .find_map(|field| match super::ui::lookup_line(self, *field) {
                Some((text, StatusKind::Error)) => Some(format!(
                    "{}: {}",
                    field.label(),
                    text.trim_start_matches("✗ ")
                )),
                _ => None,
            })
    }

    // ---- AWS ----

    pub fn online(&self) -> bool {
        matches!(self.connection, Connection::Online { .. })
    }

    /// Why apply, verify and data preview cannot run, if they cannot.
    pub fn aws_blocker(&self) -> Option<String> {
        match &self.connection {
            Connection::Offline { reason } => Some(format!("offline: {reason}")),
            Connection::Connecting => Some("still checking the credentials".to_owned()),
            Connection::Online { .. } => self.derived.account_error.clone(),
        }
    }

    /// Why the Done screen cannot consume the queue with the dashboard, if
    /// it cannot: offline, the spec invalid, or its queue not there (yet).
    pub fn consume_blocker(&self) -> Option<String> {
        if let Some(why) = self.aws_blocker() {
            return Some(why);
        }
        if !self.derived.errors.is_empty() {
            return Some("the spec has errors to fix first".to_owned());
        }
        let applied = (self.apply.report.is_some() || self.apply.nothing_to_do)
            && self.apply.run.spec.as_ref() == Some(&self.spec);
        let queue = &self.derived.resolved.queue.name;
        match self
            .slots
            .get(&Target::Queue)
            .and_then(|s| s.found.as_ref())
        {
            Some(Found::Queue(Ok(Some(_)))) => None,
            _ if applied => None,
            Some(Found::Queue(Ok(None))) => {
                Some(format!("queue {queue} does not exist yet: apply first"))
            }
            Some(Found::Queue(Err(e))) => Some(format!("cannot read queue {queue}: {e}")),
            _ => Some(format!("still reading queue {queue}")),
        }
    }

    /// The sink the consume prompt offers: the last one asked for, else a
    /// directory named after the stack under [`Config::ingest_base`].
    pub fn default_sink(&self) -> String {
        self.done.consume.sink.clone().unwrap_or_else(|| {
            format!(
                "dir:{}",
                self.config.ingest_base.join(&self.spec.name).display()
            )
        })
    }

    /// Asks for the credentials to be checked (again), now or after the debounce.
    pub fn request_connect(&mut self, now: bool) {
        if matches!(self.config.connect, Connect::Offline(_)) {
            return;
        }
        self.connect_gen += 1;
        self.connection = Connection::Connecting;
        self.connect_due = Some(if now {
            self.now
        } else {
            self.now + super::action::CONNECT_DEBOUNCE
        });
        for slot in self.slots.values_mut() {
            *slot = Slot {
                generation: slot.generation + 1,
                ..Slot::default()
            };
        }
        self.stale = true;
    }

    /// The connect effect for the current settings.
    pub fn connect_effect(&self) -> Effect {
        let how = match &self.config.connect {
            Connect::Given(clients) => ConnectHow::Given(clients.clone()),
            _ => {
                let mut options = self.config.aws.clone();
                options.profile = self.profile.clone();
                // The spec's region, as chosen on the welcome screen, wins.
                options.region = Some(self.spec.region.clone());
                ConnectHow::Load {
                    options,
                    region: self.spec.region.clone(),
                }
            }
        };
        Effect::Connect {
            generation: self.connect_gen,
            how,
        }
    }

    /// Forgets every lookup result so that everything is read again.
    pub fn refresh_lookups(&mut self) {
        for slot in self.slots.values_mut() {
            slot.key = None;
        }
        self.stale = true;
    }

    /// What each target should look up for the spec.
    fn wanted_lookups(&self, resolved: &Spec) -> BTreeMap<Target, Option<Lookup>> {
        let valid = |path: &str| !self.derived.errors.iter().any(|e| e.path == path);
        let identity = self.connection.identity();
        let arns = crate::docs::Arns::of(resolved);
        Target::ALL
            .iter()
            .map(|target| {
                let what =
                    match (target, identity) {
                        (_, None) => None,
                        (Target::Policy, Some(_)) => valid("policy.name").then(|| Lookup::Policy {
                            arn: arns.policy.clone(),
                        }),
                        (Target::Role, Some(_)) => (resolved.role.enabled && valid("role.name"))
                            .then(|| Lookup::Role {
                                name: resolved.role.name.clone(),
                            }),
                        (Target::User, Some(_)) => (resolved.user.enabled && valid("user.name"))
                            .then(|| Lookup::User {
                                name: resolved.user.name.clone(),
                            }),
                        (Target::Bucket, Some(identity)) => {
                            valid("bucket.name").then(|| Lookup::Bucket {
                                name: resolved.bucket.name.clone(),
                                account: identity.account.clone(),
                                region: resolved.region.clone(),
                            })
                        }
                        (Target::Dlq, Some(_)) => (resolved.queue.dead_letter.enabled
                            && resolved.queue.create
                            && valid("queue.dead_letter.name"))
                        .then(|| Lookup::Queue {
                            name: resolved.queue.dead_letter.name.clone(),
                        }),
                        (Target::Queue, Some(_)) => valid("queue.name").then(|| Lookup::Queue {
                            name: resolved.queue.name.clone(),
                        }),
                    };
                (*target, what)
            })
            .collect()
    }

    /// The observation the lookups make up (pending ones count as absent).
    pub fn observation(&self) -> Option<Observation> {
        let identity = self.connection.identity()?.clone();
        let mut observation = Observation {
            identity,
            policy: Ok(None),
            role: Ok(None),
            user: Ok(None),
            bucket: Ok(None),
            dlq: Ok(None),
            queue: Ok(None),
        };
        for (target, slot) in &self.slots {
            match (target, &slot.found) {
                (Target::Policy, Some(Found::Policy(found))) => observation.policy = found.clone(),
                (Target::Role, Some(Found::Role(found))) => observation.role = found.clone(),
                (Target::User, Some(Found::User(found))) => observation.user = found.clone(),
                (Target::Bucket, Some(Found::Bucket(found))) => observation.bucket = found.clone(),
                (Target::Dlq, Some(Found::Queue(found))) => observation.dlq = found.clone(),
                (Target::Queue, Some(Found::Queue(found))) => observation.queue = found.clone(),
                _ => {}
            }
        }
        Some(observation)
    }

    // ---- derived state ----

    /// Recomputes [`Derived`] and the lookups it needs, when something changed.
    pub fn refresh(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        self.derived.errors = match crate::spec::validate(&self.spec) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.0,
        };
        let (resolved, account_error) = match self.connection.identity() {
            Some(identity) => match for_account(&self.spec, identity) {
                Ok(spec) => (spec, None),
                Err(e) => (self.spec.clone(), Some(e.to_string())),
            },
            None => (self.spec.clone(), None),
        };
        // Lookups follow the names.
        let wanted = self.wanted_lookups(&resolved);
        for (target, what) in wanted {
            let key = what.as_ref().map(|w| format!("{w:?}"));
            let slot = self.slots.entry(target).or_default();
            if slot.key != key {
                slot.generation += 1;
                slot.key = key;
                slot.due = what.as_ref().map(|_| self.now + LOOKUP_DEBOUNCE);
                slot.what = what;
                slot.running = false;
                slot.found = None;
            }
        }
        let pending = self.slots.values().filter(|s| s.pending()).count();
        let observation = if account_error.is_none() {
            self.observation()
        } else {
            None
        };
        let plan = match &observation {
            Some(observed) => {
                Plan::live(&resolved, observed).unwrap_or_else(|_| Plan::offline(&resolved))
            }
            None => Plan::offline(&resolved),
        };
        let current_notification = match self
            .slots
            .get(&Target::Bucket)
            .and_then(|s| s.found.as_ref())
        {
            Some(Found::Bucket(Ok(Some(bucket)))) => Some(bucket.notification.clone()),
            Some(Found::Bucket(Ok(None))) => Some(serde_json::Value::Object(Default::default())),
            _ => None,
        };
        let merge_error = current_notification.as_ref().and_then(|current| {
            crate::docs::merge(current, &crate::docs::notification_entry(&resolved))
                .err()
                .map(|e: MergeError| e.to_string())
        });
        self.derived.live = observation.is_some() && pending == 0;
        self.derived.pending = pending;
        self.derived.plan = plan;
        self.derived.resolved = resolved;
        self.derived.account_error = account_error;
        self.derived.merge_error = merge_error;
        self.derived.current_notification = current_notification;
        self.derived.preview = preview::sections(self);
    }

    /// Whether the spec differs from what was last saved with Ctrl-S.
    pub fn dirty(&self) -> bool {
        self.spec != self.saved
    }

    /// Whether something runs that a spinner should show.
    pub fn animating(&self) -> bool {
        matches!(self.connection, Connection::Connecting)
            || self.slots.values().any(|s| s.running)
            || self.apply.run.running
            || self.verify.run.running
            || self.data.running
            || self.done.exporting
            || self.done.consume.preparing
    }

    /// The earliest moment something is due (a debounce or a spinner frame).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let mut due: Vec<Instant> = self.slots.values().filter_map(|s| s.due).collect();
        due.extend(self.connect_due);
        due.extend(self.autosave_due);
        if self.animating() {
            due.push(self.now + super::action::ANIMATION_TICK);
        }
        due.into_iter().min()
    }

    /// The spinner frame for now.
    pub fn spinner(&self) -> &'static str {
        const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        let tick = self.now.saturating_duration_since(self.started).as_millis() / 100;
        FRAMES[(tick % FRAMES.len() as u128) as usize]
    }

    pub fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.status = Some(Status {
            kind,
            text: text.into(),
        });
    }

    /// The connector values: as the apply reported them, or from the spec.
    pub fn connector_values(&self) -> Vec<(&'static str, String)> {
        match &self.apply.report {
            Some(report) if self.apply.run.spec.as_ref() == Some(&self.spec) => {
                report.connector.clone()
            }
            _ => {
                let queue_url = match self
                    .slots
                    .get(&Target::Queue)
                    .and_then(|s| s.found.as_ref())
                {
                    Some(Found::Queue(Ok(Some(queue)))) => Some(queue.url.as_str()),
                    _ => None,
                };
                crate::docs::connector_values_with(&self.derived.resolved, queue_url)
            }
        }
    }

    /// The spec file the user would re-run: the saved spec, or the session.
    pub fn spec_file(&self) -> Option<&PathBuf> {
        self.save_path.as_ref().or(self.session_path.as_ref())
    }
}

/// A single-line input holding `text`.
pub fn new_input(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut input = TextArea::new(vec![text.to_owned()]);
    input.set_cursor_line_style(Style::default());
    input.move_cursor(ratatui_textarea::CursorMove::End);
    if !placeholder.is_empty() {
        input.set_placeholder_text(placeholder);
    }
    input
}
