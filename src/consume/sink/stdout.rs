//! The stdout sink: NDJSON lines, whole, from every writer.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use super::{Sink, SinkWriter};

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
