//! The wizard's vocabulary: every key, tick and background result becomes an
//! [`Action`] for `update`; everything `update` wants done outside itself
//! (AWS calls, files, the clipboard) becomes an [`Effect`] for the runtime.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyEvent, MouseEvent};

use crate::aws::apply::{ApplyError, ApplyOptions, ApplyReport};
use crate::aws::observe::Observation;
pub use crate::aws::observe::{Found, Lookup};
use crate::aws::verify::{VerifyOptions, VerifyReport};
use crate::aws::{AwsOptions, Clients, Event, Identity, Plan};
use crate::consume::metrics::Snapshot;
use crate::consume::prepare::ConsumeSettings;
use crate::docs::ResourceKind;
use crate::spec::Spec;

use super::dashboard::ConsumeRun;
use super::session::SessionInfo;
use crate::consume::preview::DataReport;

/// What one lookup slot reads: one kind's resource (as the user types its
/// name), or, on the review step, what the stack has that the spec no longer
/// names (the plan retires it, as `sluice plan` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotId {
    Kind(ResourceKind),
    Retiring,
}

/// Something that happened.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Time passed: due timers fire, spinners turn.
    Tick,
    /// Credentials checked (generation `generation`).
    Connected {
        generation: u64,
        result: Result<Box<(Clients, Identity)>, String>,
    },
    /// A background lookup of one resource finished.
    Looked {
        target: SlotId,
        generation: u64,
        result: Box<Found>,
    },
    /// Progress of an apply, verify or data run.
    Progress {
        run: Run,
        id: u64,
        event: Event,
    },
    Applied {
        id: u64,
        result: Result<Box<ApplyReport>, ApplyError>,
    },
    Verified {
        id: u64,
        report: VerifyReport,
    },
    DataFetched {
        id: u64,
        result: Result<Box<DataReport>, String>,
    },
    SessionsListed(Result<Vec<SessionInfo>, String>),
    SessionDeleted {
        path: PathBuf,
        result: Result<(), String>,
    },
    SessionLoaded {
        path: PathBuf,
        result: Result<(Box<Spec>, Vec<String>), String>,
        /// Where the session was left, when that is known.
        place: Option<super::session::Place>,
        /// The spec in the file the session was saved to, as it is there
        /// now (`None` when it has none, or it is gone or unreadable).
        saved: Option<Box<Spec>>,
    },
    Saved {
        kind: SaveKind,
        path: PathBuf,
        spec: Box<Spec>,
        result: Result<(), String>,
    },
    Exported {
        dir: PathBuf,
        result: Result<Vec<PathBuf>, String>,
    },
    /// The consumer's run is ready for the dashboard (or cannot start).
    ConsumePrepared {
        id: u64,
        result: Result<Box<ConsumeRun>, String>,
    },
    /// The dashboard gave the terminal back.
    ConsumeEnded {
        id: u64,
        end: ConsumeEnd,
    },
    /// SIGTERM, SIGINT or SIGHUP: quit (the session is autosaved first).
    Terminate,
}

/// How a consumer started from the Done screen ended.
#[derive(Debug, Clone)]
pub struct ConsumeEnd {
    /// Its metrics when it stopped (or when the dashboard was left).
    pub snapshot: Box<Snapshot>,
    /// Messages kept under the fail policy (SQS delivers them again).
    pub fail_policy_errors: u64,
    /// Left with a second `Q` before it stopped: held messages return to
    /// the queue after their visibility timeout.
    pub abandoned: bool,
}

/// Which background run a progress event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Apply,
    Verify,
}

/// Where a spec was saved and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// The session file, written on its own a moment after each change.
    Autosave,
    /// The spec file, on Ctrl-S.
    Spec,
}

/// Work for the runtime.
#[derive(Debug)]
pub enum Effect {
    /// Load credentials and ask STS who they are.
    Connect {
        generation: u64,
        how: ConnectHow,
    },
    /// Look one resource up; supersedes the previous lookup of `target`.
    Lookup {
        target: SlotId,
        generation: u64,
        clients: Box<Clients>,
        what: Lookup,
    },
    /// Apply: with the reviewed plan, or (`reviewed: None`, a retry) after a fresh observation.
    Apply {
        id: u64,
        clients: Box<Clients>,
        spec: Box<Spec>,
        reviewed: Option<Box<(Plan, Observation)>>,
        identity: Identity,
        options: ApplyOptions,
    },
    Verify {
        id: u64,
        clients: Box<Clients>,
        spec: Box<Spec>,
        options: VerifyOptions,
        /// The access key file the wizard's apply wrote, read for the
        /// user's own checks when it is there.
        key_file: Option<PathBuf>,
    },
    FetchData {
        id: u64,
        clients: Box<Clients>,
        spec: Box<Spec>,
        /// When our notification was put in place, if this session did it.
        cutoff: Option<SystemTime>,
    },
    ListSessions(PathBuf),
    LoadSession(PathBuf),
    /// Deletes a saved session's files (nothing in AWS).
    DeleteSession(PathBuf),
    Save {
        kind: SaveKind,
        path: PathBuf,
        spec: Box<Spec>,
        /// An earlier file of this session to remove once saved (the stack was renamed).
        replaces: Option<PathBuf>,
        /// For an autosave: where the user is, written beside the session.
        place: Option<super::session::Place>,
    },
    Export {
        /// The id of the access key this session's apply made (never its secret).
        access_key_id: Option<String>,
        dir: PathBuf,
        spec: Box<Spec>,
    },
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Resolve a consumer run of the spec's queue (queue URLs, visibility
    /// timeout, the sink), to be shown in the dashboard.
    PrepareConsume {
        id: u64,
        clients: Box<Clients>,
        spec: Box<Spec>,
        identity: Identity,
        settings: ConsumeSettings,
    },
    /// Give the terminal to the dashboard of this run until it quits.
    Dashboard {
        id: u64,
        run: Box<ConsumeRun>,
    },
}

/// How to get clients.
#[derive(Debug, Clone)]
pub enum ConnectHow {
    /// The default chain with these options, for this region.
    Load { options: AwsOptions, region: String },
    /// Clients given by the caller (tests, or a caller that built its own).
    Given(Box<Clients>),
}

/// How long after the last keystroke a changed name is looked up.
pub const LOOKUP_DEBOUNCE: Duration = Duration::from_millis(350);
/// How long after the last change the session is autosaved.
pub const AUTOSAVE_DEBOUNCE: Duration = Duration::from_millis(800);
/// How long after a profile or region change credentials are checked.
pub const CONNECT_DEBOUNCE: Duration = Duration::from_millis(300);
/// Spinner frame time while something runs.
pub const ANIMATION_TICK: Duration = Duration::from_millis(100);
