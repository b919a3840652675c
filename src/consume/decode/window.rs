//! A refillable window over the decompressed stream.
//!
//! Framers look at [`Window::data`], consume what they have handled, and ask
//! for more with [`Window::fill`], which keeps the unconsumed tail. The buffer
//! starts at 256 KiB (less for a small object) and grows (doubling) only while a single record needs it,
//! up to a cap a little above `max_record_bytes`, so memory stays proportional
//! to the largest record, never to the object.

use std::io::{self, Read};

/// Initial buffer size for an object of unknown size.
pub(crate) const INITIAL: usize = 256 * 1024;
/// The smallest initial buffer (for small objects).
pub(crate) const SMALLEST: usize = 16 * 1024;
/// Reads smaller than this are avoided by compacting the buffer first.
const MIN_READ: usize = 64 * 1024;

pub(crate) struct Window<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    max_cap: usize,
}

impl<R: Read> Window<R> {
    /// A window that starts at `initial` bytes and never holds more than
    /// about `max_record` + 64 KiB.
    pub(crate) fn new(reader: R, max_record: usize, initial: usize) -> Self {
        let max_cap = max_record.saturating_add(MIN_READ).max(INITIAL);
        Window {
            reader,
            buf: vec![0; initial.clamp(1, max_cap)],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            max_cap,
        }
    }

    /// The bytes read but not yet consumed.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether the underlying reader reported end of stream.
    #[inline]
    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    /// Stream offset of the first unconsumed byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Marks `n` bytes of [`Window::data`] as handled.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Marks everything buffered as handled.
    #[inline]
    pub(crate) fn consume_all(&mut self) {
        self.start = self.end;
    }

    /// Reads more bytes after the current data. `Ok(false)` means nothing was
    /// added: either the stream ended ([`Window::is_eof`]) or the window is at
    /// its cap (the caller's record is over the limit).
    pub(crate) fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start == self.end {
            self.base += self.start as u64;
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < MIN_READ && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_cap {
                return Ok(false);
            }
            let grown = self.buf.len().saturating_mul(2).min(self.max_cap);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips whitespace (space, tab, CR, LF). Returns `Ok(false)` when the
    /// stream ends first.
    pub(crate) fn skip_ws(&mut self) -> io::Result<bool> {
        loop {
            let data = self.data();
            match data
                .iter()
                .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            {
                Some(k) => {
                    self.consume(k);
                    return Ok(true);
                }
                None => {
                    self.consume_all();
                    if !self.fill()? {
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// Consumes through the next LF (or to the end of the stream).
    pub(crate) fn skip_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', self.data()) {
                self.consume(p + 1);
                return Ok(());
            }
            self.consume_all();
            if !self.fill()? {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn keeps_unconsumed_tail_and_offsets() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = Window::new(
            Trickle {
                data: &data,
                step: 70_000,
            },
            1024,
            INITIAL,
        );
        let mut seen = 0usize;
        while w.fill().unwrap() {
            assert_eq!(w.offset(), seen as u64);
            assert_eq!(w.data(), &data[seen..seen + w.data().len()]);
            // Leave a few bytes behind each time.
            let n = w.data().len().saturating_sub(7);
            w.consume(n);
            seen += n;
        }
        assert!(w.is_eof());
        assert_eq!(seen + w.data().len(), data.len());
        assert!(w.buf.len() <= INITIAL);
    }

    #[test]
    fn stops_at_cap() {
        let data = vec![b'x'; 2_000_000];
        let mut w = Window::new(
            Trickle {
                data: &data,
                step: 100_000,
            },
            300_000,
            INITIAL,
        );
        while w.fill().unwrap() {}
        assert!(!w.is_eof());
        assert_eq!(w.data().len(), 300_000 + MIN_READ);
    }
}
