//! The emitter: delivers a framer's records to the sink in batches, and its
//! record errors, counting both.

use std::io;

use super::{MAX_SAMPLE_BYTES, RecordBatch, RecordError, RecordSink, json};

/// Why a framer stopped before the end of the object.
pub(crate) enum Stop {
    /// Reading the decompressed stream failed (classified by `decode`).
    Read(io::Error),
    Sink(io::Error),
    Corrupt(String),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Read(e)
    }
}

/// Records copied into the emitter's batch are handed to the sink once it
/// holds this many bytes (or when a run of records read in place follows,
/// or at the end).
const BATCH_BYTES: usize = 64 * 1024;

/// Delivers records and record errors, and counts them. Records are handed
/// to the sink in batches: runs of lines that pass through unchanged as
/// slices of the window, anything else (compacted values, CSV rows, lines
/// with trailing whitespace) copied into `batch` first.
pub(crate) struct Emitter<'s> {
    pub(super) sink: &'s mut dyn RecordSink,
    pub(super) on_error: &'s mut dyn FnMut(RecordError),
    /// Records accepted (delivered, or waiting in `batch`).
    pub(super) records: u64,
    pub(super) errors: u64,
    /// Records not yet delivered, as NDJSON.
    pub(super) batch: Vec<u8>,
    /// How many records `batch` holds.
    pub(super) batched: u64,
}

impl Emitter<'_> {
    /// Index of the next record (good or bad).
    pub(crate) fn index(&self) -> u64 {
        self.records + self.errors
    }

    /// Hands the records waiting in `batch` to the sink.
    pub(crate) fn flush(&mut self) -> Result<(), Stop> {
        if self.batched == 0 {
            return Ok(());
        }
        let batch = RecordBatch {
            lines: &self.batch,
            count: self.batched,
        };
        self.sink.records(batch).map_err(Stop::Sink)?;
        self.batch.clear();
        self.batched = 0;
        Ok(())
    }

    /// One record has been appended to `batch` (without its LF).
    #[inline]
    fn batched_one(&mut self) -> Result<(), Stop> {
        self.batch.push(b'\n');
        self.batched += 1;
        self.records += 1;
        if self.batch.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// `count` validated records, each alone on its line and passed through
    /// as is: `lines` is exactly those lines, each ending in LF.
    #[inline]
    pub(crate) fn lines(&mut self, lines: &[u8], count: u64) -> Result<(), Stop> {
        // Records batched earlier come first.
        self.flush()?;
        self.sink
            .records(RecordBatch { lines, count })
            .map_err(Stop::Sink)?;
        self.records += count;
        Ok(())
    }

    /// A validated JSON value: checked for UTF-8, then passed through as is
    /// (`compact`) or compacted.
    pub(crate) fn json(&mut self, offset: u64, value: &[u8], compact: bool) -> Result<(), Stop> {
        if let Err(e) = std::str::from_utf8(value) {
            self.error(
                offset,
                format!(
                    "record is not valid UTF-8 (at byte {} of the record)",
                    e.valid_up_to()
                ),
                value,
            );
            return Ok(());
        }
        if compact {
            self.batch.extend_from_slice(value);
        } else {
            json::compact_into(value, &mut self.batch);
        }
        self.batched_one()
    }

    /// A validated value alone on its line, passed through as is; `ascii`
    /// says the scanner saw no byte ≥ 0x80 in it (so it is valid UTF-8
    /// already).
    pub(crate) fn line(&mut self, offset: u64, value: &[u8], ascii: bool) -> Result<(), Stop> {
        if !ascii {
            return self.json(offset, value, true);
        }
        self.batch.extend_from_slice(value);
        self.batched_one()
    }

    /// An already-built JSON record (CSV rows).
    pub(crate) fn raw(&mut self, json: &[u8]) -> Result<(), Stop> {
        self.batch.extend_from_slice(json);
        self.batched_one()
    }

    /// Reports a bad record.
    pub(crate) fn error(&mut self, offset: u64, message: String, sample: &[u8]) {
        let sample = sample[..sample.len().min(MAX_SAMPLE_BYTES)].to_vec();
        let index = self.index();
        (self.on_error)(RecordError {
            index,
            offset,
            message,
            sample,
        });
        self.errors += 1;
    }
}
