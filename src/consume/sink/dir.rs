//! The dir sink: its writers, the files they share between messages, and
//! the files a writer keeps of its own.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::owners::{OWNER_PREFIX, claim, gone_owners, remove_stale_temporaries};
use super::{DEFAULT_MAX_FILE_AGE, STAGE_BYTES, Sink, SinkWriter, Ticket};

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
    pub(super) lock: Option<(File, PathBuf)>,
}

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
