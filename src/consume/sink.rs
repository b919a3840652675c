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

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default size at which a dir sink file is closed and a new one begun.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// Default age at which a dir sink file shared by messages is committed.
pub const DEFAULT_MAX_FILE_AGE: Duration = Duration::from_secs(60);
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

// ---- null ------------------------------------------------------------------

pub struct NullSink;

struct NullWriter;

impl Sink for NullSink {
    fn writer(&self) -> io::Result<Box<dyn SinkWriter>> {
        Ok(Box::new(NullWriter))
    }
}

impl SinkWriter for NullWriter {
    fn record(&mut self, _json: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn records(&mut self, _lines: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn abort(&mut self) {}
    fn commit_is_trivial(&self) -> bool {
        true
    }
    fn record_may_block(&self) -> bool {
        false
    }
}

// ---- stdout ----------------------------------------------------------------

/// Lines from several writers never interleave: each writer buffers whole
/// lines and hands them to stdout under one lock.
#[derive(Default)]
pub struct StdoutSink {
    lock: Arc<Mutex<()>>,
}

struct StdoutWriter {
    lock: Arc<Mutex<()>>,
    buffer: Vec<u8>,
}

const STDOUT_CHUNK: usize = 256 * 1024;

impl Sink for StdoutSink {
    fn writer(&self) -> io::Result<Box<dyn SinkWriter>> {
        Ok(Box::new(StdoutWriter {
            lock: self.lock.clone(),
            buffer: Vec::with_capacity(8 * 1024),
        }))
    }
}

impl StdoutWriter {
    fn flush_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        write_stdout(&self.lock, &self.buffer)?;
        self.buffer.clear();
        Ok(())
    }
}

/// Whole lines to stdout, under the lock of all writers.
fn write_stdout(lock: &Mutex<()>, lines: &[u8]) -> io::Result<()> {
    let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = io::stdout().lock();
    out.write_all(lines)?;
    out.flush()
}

impl SinkWriter for StdoutWriter {
    fn record(&mut self, json: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(json);
        self.buffer.push(b'\n');
        if self.buffer.len() >= STDOUT_CHUNK {
            self.flush_buffer()?;
        }
        Ok(())
    }
    fn records(&mut self, lines: &[u8]) -> io::Result<()> {
        if self.buffer.is_empty() && lines.len() >= STDOUT_CHUNK {
            // A block as large as a flush: written as it is.
            return write_stdout(&self.lock, lines);
        }
        self.buffer.extend_from_slice(lines);
        if self.buffer.len() >= STDOUT_CHUNK {
            self.flush_buffer()?;
        }
        Ok(())
    }
    fn commit(&mut self) -> io::Result<()> {
        self.flush_buffer()
    }
    fn abort(&mut self) {
        self.buffer.clear();
    }
}

// ---- dir -------------------------------------------------------------------

/// Several consumers may write into one directory: each claims its
/// temporary files with an owner token, held by a locked file
/// `.sluice-owner-<token>.lock` (flock) for as long as it runs. At start a
/// consumer removes only the temporary files whose owner's lock is free
/// again: the owner is gone (killed), its messages were never deleted, so
/// SQS delivers them again and nothing is lost.
pub struct DirSink {
    root: PathBuf,
    max_file_bytes: u64,
    shared: Arc<SharedFiles>,
    token: String,
    /// Held (locked) while this sink exists; unlocked and removed on drop.
    lock: Option<(File, PathBuf)>,
}

const OWNER_PREFIX: &str = ".sluice-owner-";

impl DirSink {
    /// Opens (creating) the directory, claims it, and removes the temporary
    /// files of owners that are gone.
    pub fn open(root: &Path, max_file_bytes: u64) -> io::Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create sink directory {}: {e}", root.display()),
            )
        })?;
        let token = format!("owner-{}x{:08x}", std::process::id(), rand::random::<u32>());
        let lock_path = root.join(format!("{OWNER_PREFIX}{token}.lock"));
        let lock = claim(root, &token, &lock_path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot claim sink directory {}: {e}", root.display()),
            )
        })?;
        let gone = gone_owners(root, &token)?;
        remove_stale_temporaries(root, &gone)?;
        for (token, path) in gone {
            tracing::info!(%token, "a consumer of this sink is gone: its temporaries were removed");
            let _ = std::fs::remove_file(path);
        }
        let max_file_bytes = max_file_bytes.max(1);
        Ok(DirSink {
            root: root.to_owned(),
            max_file_bytes,
            shared: Arc::new(SharedFiles {
                root: root.to_owned(),
                token: token.clone(),
                max_bytes: max_file_bytes,
                max_age: DEFAULT_MAX_FILE_AGE,
                sequence: AtomicU64::new(0),
                open: Mutex::new(None),
            }),
            token,
            lock: Some((lock, lock_path)),
        })
    }

    /// The same sink with shared files committed once `age` old.
    pub fn with_max_file_age(mut self, age: Duration) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.max_age = age;
        }
        self
    }
}

/// The file that messages' writers of a [`DirSink`] share: each appends its
/// message's records whole ([`SinkWriter::commit_shared`]) and gets a
/// [`Ticket`]. The file is committed (fsynced, renamed, its directory
/// fsynced) when the next records would take it past the size limit, when
/// they take it to the limit, or when [`SharedFiles::commit_due`] finds it
/// old enough; then every ticket of its records says durable. A file that
/// fails (a write, fsync or rename) is removed, and its tickets say why:
/// none of its records counts as written.
pub struct SharedFiles {
    root: PathBuf,
    token: String,
    max_bytes: u64,
    max_age: Duration,
    /// Numbers the files (shared and a writer's own) of this sink.
    sequence: AtomicU64,
    open: Mutex<Option<Batch>>,
}

/// The shared file being filled, and who waits for its commit.
struct Batch {
    file: OpenFile,
    dir: PathBuf,
    opened: Instant,
    waiting: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
}

impl SharedFiles {
    /// Appends `lines` (NDJSON, a message's records whole) to the open file.
    fn append(&self, lines: &[u8]) -> io::Result<Ticket> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut full = Vec::new();
        let appended = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            // Would not fit: the open file is committed first.
            if open
                .as_ref()
                .is_some_and(|b| b.file.bytes + lines.len() as u64 > self.max_bytes)
            {
                full.extend(open.take());
            }
            let appended = self.write_into(&mut open, lines);
            match &appended {
                Ok(()) => {
                    if let Some(batch) = open.as_mut() {
                        batch.waiting.push(tx);
                        if batch.file.bytes >= self.max_bytes {
                            full.extend(open.take());
                        }
                    }
                }
                // Part of the records may be in the file: nothing in it
                // can count as written.
                Err(e) => {
                    if let Some(batch) = open.take() {
                        batch.fail(&e.to_string());
                    }
                }
            }
            appended
        };
        for batch in full {
            batch.commit();
        }
        appended.map(|()| Ticket(rx))
    }

    /// Writes `lines` into the open file, opening one if none is.
    fn write_into(&self, open: &mut Option<Batch>, lines: &[u8]) -> io::Result<()> {
        if open.is_none() {
            let now = chrono::Utc::now();
            let dir = self.root.join(now.format("%Y/%m/%d").to_string());
            std::fs::create_dir_all(&dir)?;
            let n = self.sequence.fetch_add(1, Ordering::Relaxed);
            let name = format!("{}-000.ndjson", file_stem(now, n));
            *open = Some(Batch {
                file: OpenFile::create(&dir, &name, &self.token)?,
                dir,
                opened: Instant::now(),
                waiting: Vec::new(),
            });
        }
        let batch = open
            .as_mut()
            .ok_or_else(|| io::Error::other("sink file missing"))?;
        batch.file.out.write_all(lines)?;
        batch.file.bytes += lines.len() as u64;
        Ok(())
    }

    /// How long until the open file is due for its commit (zero when it
    /// is), or `None` when no file is open.
    pub fn due_in(&self) -> Option<Duration> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.as_ref()
            .map(|b| self.max_age.saturating_sub(b.opened.elapsed()))
    }

    /// Commits the open file if it is as old as the age limit, or whatever
    /// its age with `now` (a stop, or nothing else left to wait for). Blocks
    /// on fsync. Whether a file was committed (or failed).
    pub fn commit_due(&self, now: bool) -> bool {
        let due = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            if open
                .as_ref()
                .is_some_and(|b| now || b.opened.elapsed() >= self.max_age)
            {
                open.take()
            } else {
                None
            }
        };
        due.map(Batch::commit).is_some()
    }
}

impl Batch {
    /// Makes the file durable under its final name, then tells its waiters.
    fn commit(self) {
        let Batch {
            file, dir, waiting, ..
        } = self;
        let tmp = file.tmp.clone();
        let result = file.close().and_then(|fin| {
            std::fs::rename(&tmp, &fin)?;
            File::open(&dir)?.sync_all()
        });
        let result = result.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            tracing::error!(error = %e, "a sink file shared by messages failed: its messages are not deleted");
            e.to_string()
        });
        for tx in waiting {
            let _ = tx.send(result.clone());
        }
    }

    /// Removes the file and tells its waiters why.
    fn fail(self, why: &str) {
        drop(self.file.out);
        let _ = std::fs::remove_file(&self.file.tmp);
        for tx in self.waiting {
            let _ = tx.send(Err(why.to_owned()));
        }
    }
}

/// The start of a sink file's name: when, which process, which file.
fn file_stem(now: chrono::DateTime<chrono::Utc>, n: u64) -> String {
    format!(
        "part-{}-{}-{n:06}",
        now.format("%Y%m%dT%H%M%S%3fZ"),
        std::process::id()
    )
}

impl Drop for DirSink {
    fn drop(&mut self) {
        if let Some((file, path)) = self.lock.take() {
            let _ = std::fs::remove_file(&path);
            drop(file);
        }
    }
}

/// Creates this owner's lock file, locked, under its final name. The file is
/// made and locked under a name no other consumer looks at, then renamed:
/// others never see it unlocked (and take its owner for gone). It stays open
/// read-only, so that it does not count as a writer on the file system (a
/// read-only remount would otherwise be refused while the consumer runs).
fn claim(root: &Path, token: &str, lock_path: &Path) -> io::Result<File> {
    let claim_path = root.join(format!("{OWNER_PREFIX}{token}{CLAIM_SUFFIX}"));
    drop(
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&claim_path)?,
    );
    let locked = File::open(&claim_path).and_then(|file| {
        file.try_lock().map_err(io::Error::other)?;
        std::fs::rename(&claim_path, lock_path)?;
        Ok(file)
    });
    if locked.is_err() {
        let _ = std::fs::remove_file(&claim_path);
    }
    locked
}

/// A claim being made (see [`claim`]); one older than this was left by a
/// consumer killed while claiming, and is removed.
const CLAIM_SUFFIX: &str = ".claim";
const STALE_CLAIM: Duration = Duration::from_secs(3600);

/// The owners of `root` (other than `ours`) whose lock is free: gone.
fn gone_owners(root: &Path, ours: &str) -> io::Result<Vec<(String, PathBuf)>> {
    let mut gone = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(OWNER_PREFIX) && name.ends_with(CLAIM_SUFFIX) {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_CLAIM);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
            continue;
        }
        let Some(token) = name
            .strip_prefix(OWNER_PREFIX)
            .and_then(|n| n.strip_suffix(".lock"))
        else {
            continue;
        };
        if token == ours {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        // Locked by a live consumer: its temporaries are in use.
        if file.try_lock().is_ok() {
            gone.push((token.to_owned(), entry.path()));
        }
    }
    Ok(gone)
}

/// The owner token in a temporary file's name (`.<name>.<token>.tmp`), if any.
fn temporary_owner(name: &str) -> Option<Option<&str>> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    Some(
        inner
            .rsplit_once('.')
            .map(|(_, token)| token)
            .filter(|t| t.starts_with("owner-")),
    )
}

/// Removes the temporary files of the `gone` owners, and those of runs from
/// before owners were claimed.
fn remove_stale_temporaries(dir: &Path, gone: &[(String, PathBuf)]) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_stale_temporaries(&path, gone)?;
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = match temporary_owner(&name) {
            None => false,
            Some(None) => true,
            Some(Some(token)) => gone.iter().any(|(t, _)| t == token),
        };
        if stale {
            tracing::warn!(path = %path.display(), "removing a temporary file of an interrupted run");
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

struct OpenFile {
    tmp: PathBuf,
    fin: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

impl OpenFile {
    /// `dir/name`, written under a temporary name of `token`'s.
    fn create(dir: &Path, name: &str, token: &str) -> io::Result<OpenFile> {
        let tmp = dir.join(format!(".{name}.{token}.tmp"));
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        Ok(OpenFile {
            tmp,
            fin: dir.join(name),
            out: BufWriter::with_capacity(256 * 1024, file),
            bytes: 0,
        })
    }

    /// Flushes and fsyncs the file; its final name.
    fn close(mut self) -> io::Result<PathBuf> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        Ok(self.fin)
    }
}

/// One message's records: kept in memory (`staged`) to go into the file
/// shared by messages, or, once they pass the stage limit (or on a plain
/// `commit`), written to files of the writer's own, rotated at the size
/// limit and committed with it.
struct DirWriter {
    shared: Arc<SharedFiles>,
    staged: Vec<u8>,
    /// The most `staged` holds before the records go to own files.
    stage_limit: usize,
    /// Whether the records go to own files.
    own: bool,
    dir: PathBuf,
    stem: String,
    token: String,
    max_file_bytes: u64,
    current: Option<OpenFile>,
    /// Closed (fsynced) files awaiting commit.
    closed: Vec<(PathBuf, PathBuf)>,
    part: u32,
}

impl Sink for DirSink {
    fn writer(&self) -> io::Result<Box<dyn SinkWriter>> {
        let now = chrono::Utc::now();
        let dir = self.root.join(now.format("%Y/%m/%d").to_string());
        let n = self.shared.sequence.fetch_add(1, Ordering::Relaxed);
        Ok(Box::new(DirWriter {
            shared: self.shared.clone(),
            staged: Vec::new(),
            stage_limit: usize::try_from(self.max_file_bytes)
                .unwrap_or(usize::MAX)
                .min(STAGE_BYTES),
            own: false,
            dir,
            stem: file_stem(now, n),
            max_file_bytes: self.max_file_bytes,
            token: self.token.clone(),
            current: None,
            closed: Vec::new(),
            part: 0,
        }))
    }

    fn shared_files(&self) -> Option<Arc<SharedFiles>> {
        Some(self.shared.clone())
    }
}

impl DirWriter {
    fn file(&mut self) -> io::Result<&mut OpenFile> {
        if self.current.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let name = format!("{}-{:03}.ndjson", self.stem, self.part);
            self.part += 1;
            self.current = Some(OpenFile::create(&self.dir, &name, &self.token)?);
        }
        self.current
            .as_mut()
            .ok_or_else(|| io::Error::other("sink file missing"))
    }

    fn close_current(&mut self) -> io::Result<()> {
        if let Some(f) = self.current.take() {
            let tmp = f.tmp.clone();
            let fin = f.close()?;
            self.closed.push((tmp, fin));
        }
        Ok(())
    }

    /// From now on the records go to own files, the staged ones first.
    fn go_own(&mut self) -> io::Result<()> {
        if !self.own {
            self.own = true;
            let staged = std::mem::take(&mut self.staged);
            self.write_own(&staged)?;
        }
        Ok(())
    }

    /// Written to own files a file at a time: each file closes after the
    /// record that takes it to `max_file_bytes`, as with one record at a time.
    fn write_own(&mut self, mut lines: &[u8]) -> io::Result<()> {
        let max = self.max_file_bytes;
        while !lines.is_empty() {
            let file = self.file()?;
            let room = usize::try_from(max.saturating_sub(file.bytes)).unwrap_or(usize::MAX);
            // Up to the end of the record that reaches the limit.
            let take = match lines.get(room.saturating_sub(1)..) {
                Some(after) => memchr::memchr(b'\n', after)
                    .map_or(lines.len(), |p| room.saturating_sub(1) + p + 1),
                None => lines.len(),
            };
            file.out.write_all(&lines[..take])?;
            file.bytes += take as u64;
            if file.bytes >= max {
                self.close_current()?;
            }
            lines = &lines[take..];
        }
        Ok(())
    }
}

impl SinkWriter for DirWriter {
    fn record(&mut self, json: &[u8]) -> io::Result<()> {
        if self.own {
            let max = self.max_file_bytes;
            let file = self.file()?;
            file.out.write_all(json)?;
            file.out.write_all(b"\n")?;
            file.bytes += json.len() as u64 + 1;
            if file.bytes >= max {
                self.close_current()?;
            }
            return Ok(());
        }
        self.staged.extend_from_slice(json);
        self.staged.push(b'\n');
        if self.staged.len() > self.stage_limit {
            self.go_own()?;
        }
        Ok(())
    }

    fn records(&mut self, lines: &[u8]) -> io::Result<()> {
        if self.own {
            return self.write_own(lines);
        }
        if self.staged.len() + lines.len() > self.stage_limit {
            self.go_own()?;
            return self.write_own(lines);
        }
        self.staged.extend_from_slice(lines);
        Ok(())
    }

    fn commit_shared(&mut self) -> io::Result<Option<Ticket>> {
        if self.own {
            return self.commit().map(|()| None);
        }
        if self.staged.is_empty() {
            return Ok(None);
        }
        let ticket = self.shared.append(&self.staged);
        self.staged.clear();
        ticket.map(Some)
    }

    fn commit(&mut self) -> io::Result<()> {
        self.go_own()?;
        self.close_current()?;
        if self.closed.is_empty() {
            return Ok(());
        }
        for (tmp, fin) in self.closed.drain(..) {
            std::fs::rename(&tmp, &fin)?;
        }
        // The renames themselves must survive a crash.
        File::open(&self.dir)?.sync_all()
    }

    fn abort(&mut self) {
        self.staged.clear();
        if let Some(f) = self.current.take() {
            drop(f.out);
            let _ = std::fs::remove_file(&f.tmp);
        }
        for (tmp, _) in self.closed.drain(..) {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        // Never leave uncommitted files behind as if they were data.
        self.abort();
    }
}

// ---- quarantine --------------------------------------------------------------

/// Bad records, with where they came from, as NDJSON under a directory.
pub struct Quarantine {
    file: Mutex<BufWriter<File>>,
    path: PathBuf,
}

impl Quarantine {
    pub fn open(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!(
            "quarantine-{}-{}.ndjson",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
            std::process::id()
        ));
        let file = OpenOptions::new().append(true).create(true).open(&path)?;
        Ok(Quarantine {
            file: Mutex::new(BufWriter::new(file)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one malformed message (durably: it is deleted from the queue next).
    pub fn write_message(
        &self,
        message_id: &str,
        body: &str,
        attributes: &serde_json::Map<String, serde_json::Value>,
        error: &str,
    ) -> io::Result<()> {
        self.append(&serde_json::json!({
            "message_id": message_id,
            "attributes": attributes,
            "error": error,
            "body": body,
        }))
    }

    fn append(&self, line: &serde_json::Value) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        serde_json::to_writer(&mut *file, line).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        file.flush()?;
        file.get_ref().sync_data()
    }

    /// Appends one bad record (durably: a quarantined record may be the only copy).
    pub fn write(
        &self,
        bucket: &str,
        key: &str,
        index: Option<u64>,
        offset: Option<u64>,
        error: &str,
        sample: &[u8],
    ) -> io::Result<()> {
        let line = serde_json::json!({
            "bucket": bucket,
            "key": key,
            "record_index": index,
            "byte_offset": offset,
            "error": error,
            "record": String::from_utf8_lossy(sample),
        });
        self.append(&line)
    }
}

// ---- source fields -------------------------------------------------------------

/// Adds `_s3_bucket`, `_s3_key`, `_s3_event_time` to each object record
/// (a non-object record is wrapped as `{"value": ..., "_s3_...": ...}`).
pub fn source_fields(bucket: &str, key: &str, event_time: Option<&str>) -> Vec<u8> {
    let fields = serde_json::json!({
        "_s3_bucket": bucket,
        "_s3_key": key,
        "_s3_event_time": event_time,
    });
    let text = fields.to_string();
    // `{"_s3_bucket":...}` without its braces, to splice into a record.
    text.as_bytes()[1..text.len() - 1].to_vec()
}

/// Splices `fields` (from [`source_fields`]) into one compact JSON record.
pub fn with_source(record: &[u8], fields: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let trimmed = record.trim_ascii_start();
    if let Some(rest) = trimmed.strip_prefix(b"{") {
        out.push(b'{');
        out.extend_from_slice(fields);
        if !rest.trim_ascii_start().starts_with(b"}") {
            out.push(b',');
        }
        out.extend_from_slice(rest);
    } else {
        out.extend_from_slice(b"{\"value\":");
        out.extend_from_slice(record);
        out.push(b',');
        out.extend_from_slice(fields);
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn sink_specs() {
        assert_eq!("stdout".parse::<SinkSpec>(), Ok(SinkSpec::Stdout));
        assert_eq!("null".parse::<SinkSpec>(), Ok(SinkSpec::Null));
        assert_eq!(
            "dir:/tmp/x".parse::<SinkSpec>(),
            Ok(SinkSpec::Dir {
                path: "/tmp/x".into(),
                max_file_bytes: DEFAULT_MAX_FILE_BYTES,
                max_file_age: DEFAULT_MAX_FILE_AGE,
            })
        );
        assert!(
            "dir:"
                .parse::<SinkSpec>()
                .unwrap_err()
                .contains("needs a path")
        );
        assert!(
            "s3://x"
                .parse::<SinkSpec>()
                .unwrap_err()
                .contains("not a sink")
        );
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                out.extend(files(&entry.path()));
            } else if !entry
                .file_name()
                .to_string_lossy()
                .starts_with(OWNER_PREFIX)
            {
                out.push(entry.path());
            }
        }
        out.sort();
        out
    }

    #[test]
    fn dir_sink_commits_rotates_and_aborts() {
        let root = tempfile::tempdir().unwrap();
        let sink = DirSink::open(root.path(), 40).unwrap();
        let mut w = sink.writer().unwrap();
        for i in 0..5 {
            w.record(format!("{{\"n\":{i},\"pad\":\"xxxxxxxx\"}}").as_bytes())
                .unwrap();
        }
        // Nothing is visible before commit: only temporaries.
        assert!(
            files(root.path()).iter().all(|p| p
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with(".tmp"))
        );
        w.commit().unwrap();
        let done = files(root.path());
        assert_eq!(done.len(), 3, "rotated at 40 bytes: {done:?}");
        let today = chrono::Utc::now().format("%Y/%m/%d").to_string();
        assert!(done[0].starts_with(root.path().join(today)));
        let lines: Vec<Value> = done
            .iter()
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect::<Vec<Value>>()
            })
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[4]["n"], 4);

        let mut w = sink.writer().unwrap();
        w.record(b"{\"lost\":true}").unwrap();
        w.abort();
        drop(w);
        let mut w = sink.writer().unwrap();
        w.record(b"{\"dropped\":true}").unwrap();
        drop(w);
        assert_eq!(
            files(root.path()).len(),
            3,
            "aborted and dropped writers leave nothing"
        );
    }

    /// A batch lands in the same files, each closed after the same record,
    /// as its records one at a time; the default `records` too.
    #[test]
    fn dir_sink_batches_rotate_like_single_records() {
        struct OneByOne(Box<dyn SinkWriter>);
        impl SinkWriter for OneByOne {
            fn record(&mut self, json: &[u8]) -> io::Result<()> {
                self.0.record(json)
            }
            fn commit(&mut self) -> io::Result<()> {
                self.0.commit()
            }
            fn abort(&mut self) {
                self.0.abort();
            }
        }
        let records: Vec<String> = (0..12)
            .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 7)))
            .collect();
        let contents = |root: &Path| -> Vec<String> {
            files(root)
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect()
        };
        for max in [1, 20, 40, 41, 100, 333, 1 << 20] {
            let one = tempfile::tempdir().unwrap();
            let sink = DirSink::open(one.path(), max).unwrap();
            let mut w = sink.writer().unwrap();
            for r in &records {
                w.record(r.as_bytes()).unwrap();
            }
            w.commit().unwrap();
            let expected = contents(one.path());
            for split in [0, 1, 5, 12] {
                let (a, b) = records.split_at(split);
                let ndjson = |part: &[String]| -> Vec<u8> {
                    part.iter()
                        .flat_map(|r| format!("{r}\n").into_bytes())
                        .collect()
                };
                for default in [false, true] {
                    let root = tempfile::tempdir().unwrap();
                    let sink = DirSink::open(root.path(), max).unwrap();
                    let mut w = sink.writer().unwrap();
                    if default {
                        w = Box::new(OneByOne(w));
                    }
                    for part in [a, b] {
                        if !part.is_empty() {
                            w.records(&ndjson(part)).unwrap();
                        }
                    }
                    w.commit().unwrap();
                    assert_eq!(
                        contents(root.path()),
                        expected,
                        "max {max}, split {split}, default {default}"
                    );
                }
            }
        }
    }

    /// Whether the ticket has said durable (`Some(Ok)`), failed, or not yet.
    fn told(ticket: &mut Ticket) -> Option<Result<(), String>> {
        ticket.0.try_recv().ok()
    }

    fn lines_of(root: &Path) -> Vec<String> {
        files(root)
            .iter()
            .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Messages' records share one file; nothing is committed (and no
    /// ticket says durable) before the file's age or a forced commit; an
    /// aborted writer's records are not in it.
    #[test]
    fn dir_sink_messages_share_a_file_committed_by_age() {
        let root = tempfile::tempdir().unwrap();
        let sink = DirSink::open(root.path(), 1 << 20)
            .unwrap()
            .with_max_file_age(Duration::from_secs(3600));
        let files_of = sink.shared_files().unwrap();
        let mut tickets = Vec::new();
        for m in 0..20 {
            let mut w = sink.writer().unwrap();
            w.records(format!("{{\"m\":{m},\"i\":0}}\n{{\"m\":{m},\"i\":1}}\n").as_bytes())
                .unwrap();
            if m == 7 {
                w.abort();
                continue;
            }
            tickets.push(w.commit_shared().unwrap().expect("a shared file"));
        }
        // An empty writer has nothing to wait for.
        assert!(sink.writer().unwrap().commit_shared().unwrap().is_none());
        assert!(lines_of(root.path()).is_empty());
        assert!(tickets.iter_mut().all(|t| told(t).is_none()));
        assert!(files_of.due_in().is_some_and(|d| !d.is_zero()));
        assert!(!files_of.commit_due(false), "not old enough");
        assert!(files_of.commit_due(true));
        assert!(files_of.due_in().is_none());
        for t in &mut tickets {
            assert_eq!(told(t), Some(Ok(())));
        }
        let done = files(root.path());
        assert_eq!(done.len(), 1, "{done:?}");
        let lines = lines_of(root.path());
        assert_eq!(lines.len(), 19 * 2);
        assert!(!lines.iter().any(|l| l.contains("\"m\":7,")));
        // Age zero: due at once.
        let sink = DirSink::open(root.path(), 1 << 20)
            .unwrap()
            .with_max_file_age(Duration::ZERO);
        let mut w = sink.writer().unwrap();
        w.record(b"{}").unwrap();
        let mut t = w.commit_shared().unwrap().unwrap();
        assert!(sink.shared_files().unwrap().commit_due(false));
        assert_eq!(told(&mut t), Some(Ok(())));
    }

    /// The shared file is committed when the next message's records would
    /// take it past the size limit (they start the next file), or when they
    /// take it to the limit; a message past the stage limit writes files of
    /// its own, committed with it.
    #[test]
    fn dir_sink_shared_files_rotate_by_size() {
        let root = tempfile::tempdir().unwrap();
        let sink = DirSink::open(root.path(), 100).unwrap();
        let record = |m: usize| format!("{{\"m\":{m},\"pad\":\"{}\"}}\n", "x".repeat(20));
        assert_eq!(record(0).len(), 37);
        let mut tickets = Vec::new();
        for m in 0..7 {
            let mut w = sink.writer().unwrap();
            w.records(record(m).as_bytes()).unwrap();
            tickets.push(w.commit_shared().unwrap().unwrap());
        }
        // 37 + 37 fit in 100, a third does not: files of two records, the
        // seventh message's alone in the open file.
        for (m, t) in tickets.iter_mut().enumerate() {
            let expected = (m < 6).then_some(Ok(()));
            assert_eq!(told(t), expected, "message {m}");
        }
        assert_eq!(files(root.path()).len(), 4, "three committed, one open");
        // Records past the stage limit (here the size limit): own files.
        let mut w = sink.writer().unwrap();
        for m in 10..14 {
            w.records(record(m).as_bytes()).unwrap();
        }
        assert!(w.commit_shared().unwrap().is_none(), "durable on return");
        assert_eq!(lines_of(root.path()).len(), 6 + 4);
        assert!(sink.shared_files().unwrap().commit_due(true));
        assert_eq!(told(&mut tickets[6]), Some(Ok(())));
        assert_eq!(lines_of(root.path()).len(), 7 + 4);
    }

    /// A shared file that cannot be written fails every message in it: no
    /// ticket says durable, and nothing is left that looks like data.
    #[test]
    fn dir_sink_a_failed_shared_file_fails_its_messages() {
        let root = tempfile::tempdir().unwrap();
        let sink = DirSink::open(root.path(), 1 << 20).unwrap();
        let mut first = sink.writer().unwrap();
        first.record(b"{\"a\":1}").unwrap();
        let mut ticket = first.commit_shared().unwrap().unwrap();
        // The day's directory goes away under the open file: the rename fails.
        let day = root
            .path()
            .join(chrono::Utc::now().format("%Y").to_string());
        std::fs::remove_dir_all(&day).unwrap();
        assert!(sink.shared_files().unwrap().commit_due(true));
        assert!(matches!(told(&mut ticket), Some(Err(_))));
        assert!(lines_of(root.path()).is_empty());
    }

    #[test]
    fn stale_temporaries_are_removed_on_open() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("2026/01/01")).unwrap();
        std::fs::write(root.path().join("2026/01/01/.part-x.ndjson.tmp"), "{}\n").unwrap();
        std::fs::write(root.path().join("2026/01/01/part-y.ndjson"), "{}\n").unwrap();
        DirSink::open(root.path(), 10).unwrap();
        assert_eq!(
            files(root.path()),
            vec![root.path().join("2026/01/01/part-y.ndjson")]
        );
    }

    #[test]
    fn a_live_owners_temporaries_survive_and_a_gone_owners_are_removed() {
        let root = tempfile::tempdir().unwrap();
        // Files of a few bytes: each record goes to a file of the writer's own
        // at once (past the stage limit).
        let first = DirSink::open(root.path(), 4).unwrap();
        let mut w = first.writer().unwrap();
        w.record(b"{\"a\":1}").unwrap();
        let temporaries = files(root.path());
        assert_eq!(temporaries.len(), 1);
        // A second consumer on the same directory leaves them alone...
        let second = DirSink::open(root.path(), 4).unwrap();
        assert_eq!(files(root.path()), temporaries);
        w.commit().unwrap();
        assert!(files(root.path())[0].to_string_lossy().ends_with(".ndjson"));
        // ...and a killed owner's (its lock file left, unlocked) are removed.
        let mut w = second.writer().unwrap();
        w.record(b"{\"b\":2}").unwrap();
        let (lock, path) = {
            let mut second = second;
            second.lock.take().unwrap()
        };
        drop(lock);
        assert!(path.exists());
        std::mem::forget(w);
        assert_eq!(files(root.path()).len(), 2);
        let _third = DirSink::open(root.path(), 1 << 20).unwrap();
        assert_eq!(files(root.path()).len(), 1, "{:?}", files(root.path()));
        assert!(!path.exists(), "the gone owner's lock file is removed");
    }

    #[test]
    fn source_fields_are_spliced() {
        let fields = source_fields("b", "k/é \"q\"", Some("2026-11-22T00:00:00Z"));
        let mut out = Vec::new();
        with_source(br#"{"a":1}"#, &fields, &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"_s3_bucket": "b", "_s3_key": "k/é \"q\"", "_s3_event_time": "2026-11-22T00:00:00Z", "a": 1})
        );
        with_source(b"{}", &fields, &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["_s3_bucket"], "b");
        with_source(b"[1,2]", &fields, &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["value"], json!([1, 2]));
        assert_eq!(v["_s3_key"], "k/é \"q\"");
    }

    #[test]
    fn quarantine_appends_lines() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        q.write("b", "k", Some(3), Some(120), "bad JSON", b"{oops")
            .unwrap();
        let text = std::fs::read_to_string(q.path()).unwrap();
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(
            v,
            json!({"bucket": "b", "key": "k", "record_index": 3, "byte_offset": 120, "error": "bad JSON", "record": "{oops"})
        );
    }
}
