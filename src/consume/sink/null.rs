//! The null sink: records go nowhere (counted only).

use std::io;

use super::{Sink, SinkWriter};

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
