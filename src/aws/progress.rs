//! Progress of long operations, reported as typed events on a channel so
//! that the CLI prints them as lines and the wizard shows them live. Each
//! front end words the events (and its advice) itself: nothing here is text
//! meant to be parsed.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::error::ErrorKind;
use crate::docs::ResourceKind;

/// Which step of a run an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepId {
    /// Reading the account and planning again (an apply that retries).
    Plan,
    /// Applying one resource of the plan.
    Apply(ResourceKind),
    /// Taking one resource down.
    Destroy(ResourceKind),
    /// Putting back the prior state of one resource from a backup.
    Restore(ResourceKind),
    /// One check of `sluice verify`.
    Check(CheckId),
    /// Sending backfill events.
    Backfill,
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepId::Plan => f.write_str("plan"),
            StepId::Apply(kind) => f.write_str(kind.as_str()),
            StepId::Destroy(kind) => write!(f, "destroy:{}", kind.as_str()),
            StepId::Restore(kind) => write!(f, "restore:{}", kind.as_str()),
            StepId::Check(check) => write!(f, "verify:{}", check.as_str()),
            StepId::Backfill => f.write_str("backfill"),
        }
    }
}

macro_rules! checks {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// The checks of `sluice verify`, each with a stable name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId {
            $($variant),+
        }

        impl CheckId {
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant),+];

            /// The check's stable name, e.g. `event-key`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CheckId::$variant => $name),+
                }
            }
        }
    };
}

checks! {
    CallerIdentity => "caller-identity",
    QueueUrl => "queue-url",
    Upload => "upload",
    Event => "event",
    EventSource => "event-source",
    EventName => "event-name",
    EventBucket => "event-bucket",
    EventKey => "event-key",
    EventRoute => "event-route",
    RoleAssume => "role-assume",
    RoleReceiveMessage => "role-receive-message",
    RoleGetObject => "role-get-object",
    RoleListBucket => "role-list-bucket",
    RolePutObject => "role-put-object",
    RoleDeleteObject => "role-delete-object",
    UserKey => "user-key",
    UserListBucket => "user-list-bucket",
    UserGetObject => "user-get-object",
    UserPutObject => "user-put-object",
    UserDeleteObject => "user-delete-object",
    SimulateRole => "simulate-role",
    SimulateUser => "simulate-user",
    CleanupUnrelated => "cleanup-unrelated",
    CleanupMessage => "cleanup-message",
    CleanupObject => "cleanup-object",
    Alarms => "alarms",
    AlarmNotification => "alarm-notification",
    CleanupAlarmProbe => "cleanup-alarm-probe",
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CheckId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a verify check"))
    }
}

/// How a step that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The resource was made.
    Created,
    /// The resource existed and was changed.
    Updated,
    /// Nothing needed changing.
    Unchanged,
    /// An existing resource is used as it is (only our part of it is managed).
    Adopted,
    /// Deleted (or our part of a kept resource removed).
    Removed,
    /// Left in place.
    Kept(KeptReason),
    /// It did not exist.
    AlreadyGone,
    /// A backup's prior state was put back.
    Restored,
    /// A check passed, or work finished.
    Done,
    /// The step could not be made here; not a failure.
    NotAvailable(String),
}

impl StepOutcome {
    /// Whether the step changed something in the account.
    pub fn changed(&self) -> bool {
        matches!(
            self,
            StepOutcome::Created
                | StepOutcome::Updated
                | StepOutcome::Removed
                | StepOutcome::Restored
        )
    }
}

/// Why destroy kept a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptReason {
    /// It is not this stack's (no stack tag, another stack's, or adopted).
    NotOurs(String),
    /// A queue that still holds messages: destroy's `force` deletes it,
    /// after writing every message to the backup.
    HoldsMessages(String),
    /// A bucket that still holds objects: destroy's `delete_objects`
    /// deletes them (objects are not backed up).
    HoldsObjects(String),
    /// Something that is not the stack's depends on it (another team's
    /// notification entry, an EventBridge rule naming the bucket): kept
    /// whatever the flags.
    InUse(String),
}

impl KeptReason {
    /// Whether data was left behind: the stack is not gone.
    pub fn holds_data(&self) -> bool {
        !matches!(self, KeptReason::NotOurs(_))
    }
}

impl fmt::Display for KeptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeptReason::NotOurs(why)
            | KeptReason::HoldsMessages(why)
            | KeptReason::HoldsObjects(why)
            | KeptReason::InUse(why) => f.write_str(why),
        }
    }
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// The class of the AWS error behind it, when one is.
    pub kind: Option<ErrorKind>,
    pub message: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for StepError {
    fn from(message: String) -> Self {
        StepError {
            kind: None,
            message,
        }
    }
}

impl From<&str> for StepError {
    fn from(message: &str) -> Self {
        StepError::from(message.to_owned())
    }
}

impl From<super::AwsError> for StepError {
    fn from(e: super::AwsError) -> Self {
        StepError {
            kind: Some(e.kind),
            message: e.to_string(),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step began; `title` is readable (e.g. `policy acme-ingest-policy`).
    Started { step: StepId, title: String },
    /// A step ended without failing; `detail` says what it did, in words.
    Finished {
        step: StepId,
        outcome: StepOutcome,
        detail: String,
        elapsed: Duration,
    },
    Failed {
        step: StepId,
        error: StepError,
        elapsed: Duration,
    },
    /// A call failed in a way that usually passes; it is tried again.
    Retrying { step: StepId, retry: Retry },
    /// Waiting for something outside our control (IAM propagation, an S3 event).
    Waiting { step: StepId, reason: String },
    /// The prior state of something about to change was saved here.
    BackupWritten { path: PathBuf },
    /// A note worth showing (e.g. what was kept and why).
    Note { step: StepId, message: String },
    /// An access key was created. The secret travels only in this event (for
    /// showing once) and in the 0600 file at `path`; it is never logged.
    AccessKeyCreated {
        user: String,
        access_key_id: String,
        secret: Secret,
        path: PathBuf,
    },
}

/// A call about to be tried again: which attempt failed, how long until
/// the next, and why (in words).
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    pub attempt: u32,
    pub wait: Duration,
    pub reason: String,
}

/// A secret that never prints itself by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself: call only to show it to the user once or to write the 0600 file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where events go; a closed receiver is fine (nobody is watching).
#[derive(Debug, Clone)]
pub struct Reporter {
    tx: Option<UnboundedSender<Event>>,
}

impl Reporter {
    pub fn new(tx: UnboundedSender<Event>) -> Self {
        Reporter { tx: Some(tx) }
    }

    /// A reporter that drops everything.
    pub fn silent() -> Self {
        Reporter { tx: None }
    }

    pub fn send(&self, event: Event) {
        match &event {
            Event::AccessKeyCreated {
                user,
                access_key_id,
                ..
            } => {
                tracing::info!(
                    user,
                    access_key_id,
                    "access key created (secret not logged)"
                );
            }
            other => tracing::info!(event = ?other),
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    pub fn started(&self, step: StepId, title: impl Into<String>) {
        self.send(Event::Started {
            step,
            title: title.into(),
        });
    }

    pub fn finished(
        &self,
        step: StepId,
        outcome: StepOutcome,
        detail: impl Into<String>,
        elapsed: Duration,
    ) {
        self.send(Event::Finished {
            step,
            outcome,
            detail: detail.into(),
            elapsed,
        });
    }

    pub fn failed(&self, step: StepId, error: impl Into<StepError>, elapsed: Duration) {
        self.send(Event::Failed {
            step,
            error: error.into(),
            elapsed,
        });
    }

    pub fn note(&self, step: StepId, message: impl Into<String>) {
        self.send(Event::Note {
            step,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ids_print_as_the_stable_names() {
        assert_eq!(
            StepId::Apply(ResourceKind::DeadLetterQueue).to_string(),
            "dead-letter-queue"
        );
        assert_eq!(
            StepId::Destroy(ResourceKind::Bucket).to_string(),
            "destroy:bucket"
        );
        assert_eq!(
            StepId::Check(CheckId::EventKey).to_string(),
            "verify:event-key"
        );
        for check in CheckId::ALL {
            assert_eq!(check.as_str().parse::<CheckId>(), Ok(*check));
        }
    }
}
