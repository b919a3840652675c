//! Progress of long operations, reported as events on a channel so that the
//! CLI prints them as lines and the wizard shows them live.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step began; `step` is stable (e.g. `policy`, `verify:event`), `title` readable.
    Started { step: String, title: String },
    /// A step finished; `detail` says what it did (`created`, `no change`, ...).
    Succeeded {
        step: String,
        detail: String,
        elapsed: Duration,
    },
    Failed {
        step: String,
        error: String,
        elapsed: Duration,
    },
    /// A call failed in a way that usually passes; it is tried again after `wait`.
    Retrying {
        step: String,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// Waiting for something outside our control (IAM propagation, an S3 event).
    Waiting { step: String, reason: String },
    /// The prior state of something about to change was saved here.
    BackupWritten { path: PathBuf },
    /// A note worth showing (e.g. what was kept and why).
    Note { step: String, message: String },
    /// An access key was created. The secret travels only in this event (for
    /// showing once) and in the 0600 file at `path`; it is never logged.
    AccessKeyCreated {
        user: String,
        access_key_id: String,
        secret: Secret,
        path: PathBuf,
    },
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

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

    pub fn started(&self, step: &str, title: impl Into<String>) {
        self.send(Event::Started {
            step: step.to_owned(),
            title: title.into(),
        });
    }

    pub fn note(&self, step: &str, message: impl Into<String>) {
        self.send(Event::Note {
            step: step.to_owned(),
            message: message.into(),
        });
    }
}
