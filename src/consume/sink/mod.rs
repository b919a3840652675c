//! Where records go: stdout (NDJSON), a directory of NDJSON files
//! (partitioned `YYYY/MM/DD/`, rotated by size, written under a temporary
//! name and fsynced + renamed on commit), or nowhere (counting only).
//!
//! Each message being processed gets its own [`SinkWriter`]; the message is
//! deleted from the queue only after its records are durable, so a record is
//! durably in the sink before its message is gone. For most sinks that is
//! when `commit` returns. The dir sink shares its files between messages
//! ([`SharedFiles`]): a writer keeps its message's records in memory, and
//! [`SinkWriter::commit_shared`] appends them, whole, to the file open for
//! all; that file is fsynced and renamed once it reaches the size limit or
//! the age limit, and only then does the message's [`Ticket`] say durable.
//! A message with more records than [`STAGE_BYTES`] writes files of its own
//! instead, committed with it.
//!
//! The files: this one holds the sink spec, the [`Sink`] and [`SinkWriter`]
//! traits, the [`Ticket`] and [`open`]; `null`, `stdout` and `dir` the
//! sinks (`owners` the dir sink's claim on its directory); `quarantine`
//! the quarantine; `source` the source fields added to records; `tests`
//! their tests.

use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

mod dir;
mod null;
mod owners;
mod quarantine;
mod source;
mod stdout;
#[cfg(test)]
mod tests;

pub use dir::{DirSink, SharedFiles};
pub use null::NullSink;
pub use quarantine::Quarantine;
pub use source::{source_fields, with_source};
pub use stdout::StdoutSink;

/// Default size at which a dir sink file is closed and a new one begun.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// Default age at which a dir sink file shared by messages is committed.
pub const DEFAULT_MAX_FILE_AGE: Duration = Duration::from_secs(60);
/// The age a trial run started from the wizard commits its files at: the
/// person watching it sees records land within seconds.
pub const WATCHED_MAX_FILE_AGE: Duration = Duration::from_secs(5);
/// The most of one message's records a dir sink writer keeps in memory to
/// share a file with other messages; past it, the message writes files of
/// its own (committed with it).
pub const STAGE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    Dir {
        path: PathBuf,
        max_file_bytes: u64,
        /// How long a file shared by messages stays open before its commit.
        max_file_age: Duration,
    },
    Null,
}

impl SinkSpec {
    /// The same sink with files rotated at `bytes` (a dir sink; others ignore it).
    pub fn with_max_file_bytes(self, bytes: u64) -> SinkSpec {
        match self {
            SinkSpec::Dir {
                path, max_file_age, ..
            } => SinkSpec::Dir {
                path,
                max_file_bytes: bytes.max(1),
                max_file_age,
            },
            other => other,
        }
    }

    /// The same sink with shared files committed at `age` (a dir sink;
    /// others ignore it).
    pub fn with_max_file_age(self, age: Duration) -> SinkSpec {
        match self {
            SinkSpec::Dir {
                path,
                max_file_bytes,
                ..
            } => SinkSpec::Dir {
                path,
                max_file_bytes,
                max_file_age: age,
            },
            other => other,
        }
    }
}

impl std::fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkSpec::Stdout => f.write_str("stdout"),
            SinkSpec::Null => f.write_str("null"),
            SinkSpec::Dir { path, .. } => write!(f, "dir:{}", path.display()),
        }
    }
}

impl FromStr for SinkSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stdout" | "-" => Ok(SinkSpec::Stdout),
            "null" => Ok(SinkSpec::Null),
            _ => match s.strip_prefix("dir:") {
                Some("") => Err("dir: needs a path, e.g. dir:./out".to_owned()),
                Some(path) => Ok(SinkSpec::Dir {
                    path: PathBuf::from(path),
                    max_file_bytes: DEFAULT_MAX_FILE_BYTES,
                    max_file_age: DEFAULT_MAX_FILE_AGE,
                }),
                None => Err(format!("`{s}` is not a sink: use stdout, null or dir:PATH")),
            },
        }
    }
}

/// Records of one message.
pub trait SinkWriter: Send {
    /// One record: compact JSON, no newline.
    fn record(&mut self, json: &[u8]) -> io::Result<()>;
    /// Records as NDJSON: each compact JSON followed by LF (`lines` ends
    /// with one). The same as [`SinkWriter::record`] for each, which is what
    /// it does unless a writer takes the block at once.
    fn records(&mut self, lines: &[u8]) -> io::Result<()> {
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', lines) {
            self.record(&lines[from..end])?;
            from = end + 1;
        }
        Ok(())
    }
    /// Makes every record written so far durable.
    fn commit(&mut self) -> io::Result<()>;
    /// Hands every record written so far over to be made durable, maybe
    /// together with other writers' records: `None` when they are durable
    /// on return (as with [`SinkWriter::commit`], which is what it does
    /// unless the sink shares files), else the [`Ticket`] that says when.
    fn commit_shared(&mut self) -> io::Result<Option<Ticket>> {
        self.commit().map(|()| None)
    }
    /// Throws away what was not committed (where the sink can).
    fn abort(&mut self);
    /// Whether `commit` does no I/O (and so need not leave the async runtime).
    fn commit_is_trivial(&self) -> bool {
        false
    }
    /// Whether `record` may block on I/O (a full pipe, a file, fsync).
    fn record_may_block(&self) -> bool {
        true
    }
}

/// A sink hands out writers.
pub trait Sink: Send + Sync {
    fn writer(&self) -> io::Result<Box<dyn SinkWriter>>;
    /// The files this sink shares between writers, whose commits someone
    /// must drive by age ([`SharedFiles::commit_due`]); none for most sinks.
    fn shared_files(&self) -> Option<Arc<SharedFiles>> {
        None
    }
}

/// Says when records handed over with [`SinkWriter::commit_shared`] are
/// durable (`Ok`), or that they never will be (the file holding them
/// failed, and was removed).
#[derive(Debug)]
pub struct Ticket(tokio::sync::oneshot::Receiver<Result<(), String>>);

impl Ticket {
    /// Waits for the commit of the file holding the records.
    ///
    /// # Errors
    ///
    /// Why the file was not committed.
    pub async fn wait(self) -> Result<(), String> {
        self.0
            .await
            .unwrap_or_else(|_| Err("the sink's file was dropped before its commit".to_owned()))
    }
}

pub fn open(spec: &SinkSpec) -> io::Result<Box<dyn Sink>> {
    Ok(match spec {
        SinkSpec::Stdout => Box::new(StdoutSink::default()),
        SinkSpec::Null => Box::new(NullSink),
        SinkSpec::Dir {
            path,
            max_file_bytes,
            max_file_age,
        } => Box::new(DirSink::open(path, *max_file_bytes)?.with_max_file_age(*max_file_age)),
    })
}
