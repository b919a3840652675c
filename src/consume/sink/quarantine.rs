//! The quarantine: bad records and malformed messages, as NDJSON.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
