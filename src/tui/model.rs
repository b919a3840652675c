//! The state every screen shares: the spec being designed, what is known of
//! the account (the credentials and one background lookup per resource),
//! what is derived from them (validation, the plan), and the frame around
//! the screens (size, status line, clock). The screens' own state lives in
//! their modules; [`super::app::App`] holds both.
//!
//! `model/account.rs` holds the connect and what to look up, in an
//! `impl Model` of their own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::aws::account::for_account;
use crate::aws::observe::Observation;
use crate::aws::verify::VerifyOptions;
use crate::aws::{AwsOptions, Clients, Identity, Plan};
use crate::docs::{MergeError, NotificationConfiguration, Overlap};
use crate::spec::{Delivery, FieldError, Spec};

use super::action::{Effect, Found, LOOKUP_DEBOUNCE, Lookup, SlotId};
use super::profiles::{Profile, REGIONS};
use super::session::SessionInfo;
use super::step::Step;
use super::theme::Theme;
use crate::docs::ResourceKind;

mod account;

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
    /// Where apply records route changes that take AWS minutes, for verify;
    /// `None` records nothing.
    pub recent_dir: Option<PathBuf>,
    /// Where the log goes (`--log-file`), shown on the welcome screen.
    pub log_file: Option<PathBuf>,
    /// sluice(1) as roff, written into an exported bundle as `sluice.1`.
    pub manual_page: Option<String>,
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
            recent_dir: None,
            log_file: None,
            manual_page: None,
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
    /// The bucket's entry ours would overlap, when that is why.
    pub overlap: Option<Overlap>,
    /// The bucket's current notification configuration, when known.
    pub current_notification: Option<NotificationConfiguration>,
}

impl Derived {
    fn of(spec: &Spec) -> Derived {
        Derived {
            errors: Vec::new(),
            resolved: spec.clone(),
            account_error: None,
            plan: Plan::offline(spec),
            live: false,
            pending: 0,
            merge_error: None,
            overlap: None,
            current_notification: None,
        }
    }

    /// The validation error at exactly `path`.
    pub fn error_at(&self, path: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.path == path)
    }

    /// Whether an item of the list at `path` is invalid.
    pub fn item_invalid(&self, list: &str) -> bool {
        let prefix = format!("{list}[");
        self.errors.iter().any(|e| e.path.starts_with(&prefix))
    }
}

/// The stack name a new session starts with.
pub const NEW_STACK_NAME: &str = "my-ingest";

/// What the screens share.
pub struct Model {
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
    pub profiles: Vec<Profile>,
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub connection: Connection,
    pub connect_gen: u64,
    pub connect_due: Option<Instant>,
    pub slots: BTreeMap<SlotId, Slot>,
    pub derived: Derived,
    pub sessions: Vec<SessionInfo>,
    /// This session's file (resumed, or last autosaved).
    pub session_path: Option<PathBuf>,
    pub autosave_due: Option<Instant>,
    /// When the session was last autosaved.
    pub autosaved: Option<SystemTime>,
    /// When the wizard last applied this session's spec (kept with the session).
    pub applied: Option<SystemTime>,
    pub status: Option<Status>,
    pub preview: PreviewPane,
    /// Scroll of the main pane on screens without a form.
    pub main_scroll: u16,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub now: Instant,
    pub started: Instant,
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Quit once the spec is saved (the quit dialog's "save and quit").
    pub quit_pending: bool,
    /// Set when something changed that `derived` depends on.
    pub stale: bool,
}

impl Model {
    /// The model the wizard starts with (its first lookups not yet asked for).
    pub fn new(setup: Setup) -> Model {
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
                let mut spec = crate::spec::starter(NEW_STACK_NAME, &region, None);
                // A new pipeline: the wizard recommends alarms.
                super::fields::recommend_alarms(&mut spec);
                spec
            }
        };
        let now = Instant::now();
        let connection = match &config.connect {
            Connect::Offline(reason) => Connection::Offline {
                reason: reason.clone(),
            },
            _ => Connection::Connecting,
        };
        let mut regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
        if !regions.contains(&starting.region) {
            regions.push(starting.region.clone());
        }
        Model {
            theme,
            step: Step::Welcome,
            furthest: Step::Welcome,
            saved: starting.clone(),
            derived: Derived::of(&starting),
            spec: starting,
            save_path: config.config_path.clone(),
            profiles,
            profile,
            regions,
            connection,
            connect_gen: 0,
            connect_due: None,
            slots: crate::aws::observe::looked_up()
                .map(SlotId::Kind)
                .chain([SlotId::Retiring])
                .map(|id| (id, Slot::default()))
                .collect(),
            sessions: Vec::new(),
            session_path: None,
            autosave_due: None,
            autosaved: None,
            applied: None,
            status: notes.first().map(|n| Status {
                kind: StatusKind::Info,
                text: n.clone(),
            }),
            preview: PreviewPane::default(),
            main_scroll: 0,
            size: (100, 30),
            now,
            started: now,
            effects: Vec::new(),
            quit: false,
            quit_pending: false,
            stale: true,
            config,
        }
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

    /// The steps the wizard shows now: those that apply to the spec, and
    /// the current one even when a choice on it has just made it not apply.
    pub fn steps(&self) -> Vec<Step> {
        Step::ALL
            .into_iter()
            .filter(|s| *s == self.step || s.applies(&self.spec))
            .collect()
    }

    /// The number of `step` among the shown steps (1 for the first).
    pub fn step_number(&self, step: Step) -> usize {
        self.steps().iter().filter(|s| **s < step).count() + 1
    }

    /// Whether a step can be reached from the step bar now.
    pub fn step_reachable(&self, step: Step) -> bool {
        step <= self.furthest
            && step.applies(&self.spec)
            && !(step.needs_aws() && self.aws_blocker().is_some())
    }

    /// What the lookup of `target` found, when it has answered.
    pub fn found(&self, target: ResourceKind) -> Option<&Found> {
        self.slots
            .get(&SlotId::Kind(target))
            .and_then(|s| s.found.as_ref())
    }

    /// Whether the lookup says the bucket exists (and the data preview can open).
    pub fn bucket_exists(&self) -> bool {
        matches!(
            self.found(ResourceKind::Bucket),
            Some(Found::Bucket(Ok(Some(_))))
        )
    }

    /// The queue's URL, when its lookup found it.
    pub fn queue_url(&self) -> Option<&str> {
        match self.found(ResourceKind::Queue) {
            Some(Found::Queue(Ok(Some(queue)))) => Some(queue.url.as_str()),
            _ => None,
        }
    }

    /// The observation the lookups make up (pending ones count as absent).
    pub fn observation(&self) -> Option<Observation> {
        let identity = self.connection.identity()?.clone();
        let mut observation = Observation::nothing(identity);
        for (id, slot) in &self.slots {
            match (id, &slot.found) {
                (SlotId::Kind(kind), Some(found)) => observation.absorb(*kind, found),
                (SlotId::Retiring, Some(Found::Retiring(found))) => {
                    observation.absorb_retiring(found);
                }
                (SlotId::Retiring, Some(_)) | (_, None) => {}
            }
        }
        Some(observation)
    }

    // ---- derived state ----

    /// Recomputes [`Derived`] and the lookups it needs, when something
    /// changed. Returns whether it did.
    pub fn refresh(&mut self) -> bool {
        if !self.stale {
            return false;
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
        let wanted = self.wanted_lookups(&resolved, account_error.is_none());
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
        let current_notification = match self.found(ResourceKind::Bucket) {
            Some(Found::Bucket(Ok(Some(bucket)))) => Some(bucket.notification.clone()),
            Some(Found::Bucket(Ok(None))) => Some(NotificationConfiguration::default()),
            _ => None,
        };
        let direct = resolved.delivery() == Some(Delivery::Direct);
        let merge = current_notification
            .as_ref()
            .filter(|_| direct)
            .and_then(|current| {
                crate::docs::merge(current, &crate::docs::notification_entry(&resolved)).err()
            });
        let overlap = match &merge {
            Some(MergeError::Overlap(overlap)) => Some((**overlap).clone()),
            _ => None,
        };
        let merge_error = merge.map(|e| match &overlap {
            Some(overlap) => overlap_advice(overlap, resolved.has_queue()),
            None => e.to_string(),
        });
        self.derived.live = observation.is_some() && pending == 0;
        self.derived.pending = pending;
        self.derived.plan = plan;
        self.derived.resolved = resolved;
        self.derived.account_error = account_error;
        self.derived.merge_error = merge_error;
        self.derived.overlap = overlap;
        self.derived.current_notification = current_notification;
        true
    }

    /// The spec changed: derived state is recomputed and the session
    /// autosaved after a pause.
    pub fn spec_changed(&mut self) {
        self.stale = true;
        if self.config.sessions_dir.is_some() {
            self.autosave_due = Some(self.now + super::action::AUTOSAVE_DEBOUNCE);
        }
    }

    /// Whether the spec differs from what was last saved with Ctrl-S.
    pub fn dirty(&self) -> bool {
        self.spec != self.saved
    }

    /// Whether a lookup or the credentials check runs (a spinner turns).
    pub fn animating(&self) -> bool {
        matches!(self.connection, Connection::Connecting) || self.slots.values().any(|s| s.running)
    }

    /// The earliest timer due (a debounce or the autosave).
    pub fn next_timer(&self) -> Option<Instant> {
        let mut due: Vec<Instant> = self.slots.values().filter_map(|s| s.due).collect();
        due.extend(self.connect_due);
        due.extend(self.autosave_due);
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

    /// The spec file the user would re-run: the saved spec, or the session.
    pub fn spec_file(&self) -> Option<&PathBuf> {
        self.save_path.as_ref().or(self.session_path.as_ref())
    }

    /// The spec the bundle is exported from: with the caller's account when known.
    pub fn export_spec(&self) -> Spec {
        if self.online() && self.derived.account_error.is_none() {
            self.derived.resolved.clone()
        } else {
            self.spec.clone()
        }
    }
}

/// The wizard's words for an overlap: the conflicting entry, and the routes
/// (on the Delivery field) that leave it alone, the entry's own topic first.
pub fn overlap_advice(overlap: &Overlap, own_queue: bool) -> String {
    let conflict = MergeError::Overlap(Box::new(overlap.clone())).to_string();
    if !own_queue {
        return conflict;
    }
    let sns = if overlap.kind == "topic" {
        format!(
            "SNS through that entry's topic {} (choosing SNS fills it in)",
            overlap.target
        )
    } else {
        "SNS through a topic the bucket already publishes these events to".to_owned()
    };
    format!(
        "{conflict}. Two routes leave that entry alone: Delivery → {sns}, or Delivery → EventBridge"
    )
}
