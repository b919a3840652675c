//! A refillable window over the decompressed stream.
//!
//! Framers look at [`Window::data`], consume what they have handled, and ask
//! for more with [`Window::fill`], which keeps the unconsumed tail. The buffer
//! starts at 256 KiB (less for a small object) and grows (doubling) only while a single record needs it,
//! up to a cap a little above `max_record_bytes`, so memory stays proportional
//! to the largest record, never to the object.
//!
//! Over blocks read ahead (a plain object, see `ahead`), the window takes
//! each block as its buffer instead of copying it: the unconsumed tail (the
//! start of a record cut by the block's edge) is copied into the room the
//! block leaves in front. Only a tail longer than that room makes the window
//! copy the block's bytes in behind it, as it would read them.

use std::io::{self, Read};

use super::ahead::{Blocks, HEAD};

/// Initial buffer size for an object of unknown size.
pub(crate) const INITIAL: usize = 256 * 1024;
/// The smallest initial buffer (for small objects).
pub(crate) const SMALLEST: usize = 16 * 1024;
/// Reads smaller than this are avoided by compacting the buffer first.
const MIN_READ: usize = 64 * 1024;

/// Where the bytes come from.
enum Input<R> {
    Stream(R),
    Blocks {
        blocks: Blocks,
        /// A block not yet (wholly) in the window, and how far it was copied.
        pending: Option<Vec<u8>>,
        at: usize,
        /// Bytes received so far.
        bytes: u64,
    },
}

pub(crate) struct Window<R> {
    input: Input<R>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]` (wrapping: over blocks, the room in front
    /// of the first one lies before offset 0).
    base: u64,
    eof: bool,
    max_cap: usize,
}

impl<R: Read> Window<R> {
    /// A window that starts at `initial` bytes and never holds more than
    /// about `max_record` + 64 KiB.
    pub(crate) fn new(reader: R, max_record: usize, initial: usize) -> Self {
        let max_cap = max_cap(max_record);
        Window {
            input: Input::Stream(reader),
            buf: vec![0; initial.clamp(1, max_cap)],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            max_cap,
        }
    }

    /// A window over blocks read ahead, starting with `first` (its bytes at
    /// `HEAD..`). It holds a block at a time, and more only while one record
    /// needs it (up to about `max_record` + 64 KiB).
    pub(crate) fn from_blocks(blocks: Blocks, first: Vec<u8>, max_record: usize) -> Self {
        let bytes = first.len().saturating_sub(HEAD) as u64;
        Window {
            input: Input::Blocks {
                blocks,
                pending: None,
                at: 0,
                bytes,
            },
            start: HEAD.min(first.len()),
            end: first.len(),
            buf: first,
            base: 0u64.wrapping_sub(HEAD as u64),
            eof: false,
            max_cap: max_cap(max_record),
        }
    }

    /// The bytes received from blocks read ahead (`None` over a stream).
    pub(crate) fn block_bytes(&self) -> Option<u64> {
        match self.input {
            Input::Stream(_) => None,
            Input::Blocks { bytes, .. } => Some(bytes),
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
        self.base.wrapping_add(self.start as u64)
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

    /// Moves the unconsumed bytes to the front of the buffer.
    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.base = self.base.wrapping_add(self.start as u64);
        self.end -= self.start;
        self.start = 0;
    }

    /// Makes room after the data: `false` when the window is at its cap.
    fn room(&mut self) -> bool {
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_cap {
                return false;
            }
            let grown = self.buf.len().saturating_mul(2).min(self.max_cap);
            self.buf.resize(grown, 0);
        }
        true
    }

    /// Reads more bytes after the current data. `Ok(false)` means nothing was
    /// added: either the stream ended ([`Window::is_eof`]) or the window is at
    /// its cap (the caller's record is over the limit).
    pub(crate) fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if matches!(self.input, Input::Blocks { .. }) {
            return self.fill_from_block();
        }
        if self.start == self.end {
            self.base = self.base.wrapping_add(self.start as u64);
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < MIN_READ && self.start > 0 {
            self.compact();
        }
        if !self.room() {
            return Ok(false);
        }
        let Input::Stream(reader) = &mut self.input else {
            return Ok(false);
        };
        loop {
            match reader.read(&mut self.buf[self.end..]) {
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

    /// [`Window::fill`] over blocks read ahead.
    fn fill_from_block(&mut self) -> io::Result<bool> {
        let Input::Blocks {
            blocks,
            pending,
            at,
            bytes,
        } = &mut self.input
        else {
            return Ok(false);
        };
        if pending.is_none() {
            match blocks.next()? {
                Some(block) => {
                    *bytes += block.len().saturating_sub(HEAD) as u64;
                    *pending = Some(block);
                    *at = HEAD;
                }
                None => {
                    self.eof = true;
                    return Ok(false);
                }
            }
        }
        let tail = self.end - self.start;
        if *at == HEAD
            && tail <= HEAD
            && let Some(mut block) = pending.take()
        {
            // The common case: the block becomes the buffer, the tail goes
            // in front of its bytes.
            let front = HEAD - tail;
            block[front..HEAD].copy_from_slice(&self.buf[self.start..self.end]);
            let used = std::mem::replace(&mut self.buf, block);
            blocks.recycle(used);
            self.base = self
                .base
                .wrapping_add(self.start as u64)
                .wrapping_sub(front as u64);
            self.start = front;
            self.end = self.buf.len();
            return Ok(true);
        }
        // A tail longer than the room in front: copied in behind it, as
        // much as fits.
        if self.start > 0 {
            self.compact();
        }
        if !self.room() {
            return Ok(false);
        }
        let Input::Blocks {
            blocks,
            pending,
            at,
            ..
        } = &mut self.input
        else {
            return Ok(false);
        };
        let Some(block) = pending.take() else {
            return Ok(false);
        };
        let n = (self.buf.len() - self.end).min(block.len() - *at);
        self.buf[self.end..self.end + n].copy_from_slice(&block[*at..*at + n]);
        self.end += n;
        *at += n;
        if *at < block.len() {
            *pending = Some(block);
        } else {
            blocks.recycle(block);
        }
        Ok(true)
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

/// The most a window holds for one record.
fn max_cap(max_record: usize) -> usize {
    max_record.saturating_add(MIN_READ).max(INITIAL)
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

    /// Over blocks: the stream comes out whole and in order, whether the
    /// unconsumed tail fits in front of the next block or not (then the
    /// block is copied in behind it), and a record at the cap stops.
    #[test]
    fn blocks_keep_the_tail_and_offsets() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for (block, record) in [(7_000, 5_000), (7_000, 150_000), (100_000, 90_000)] {
            std::thread::scope(|scope| {
                let mut blocks = Blocks::spawn(scope, &data[..], block);
                let first = blocks.next().unwrap().unwrap();
                let mut w = Window::<&[u8]>::from_blocks(blocks, first, 200_000);
                let mut seen = 0usize;
                loop {
                    assert_eq!(w.offset(), seen as u64);
                    // Wait for a whole "record", then take it.
                    let want = record.min(data.len() - seen);
                    while w.data().len() < want {
                        assert!(w.fill().unwrap(), "{block}/{record}: filled at {seen}");
                    }
                    assert_eq!(w.data(), &data[seen..seen + w.data().len()]);
                    w.consume(want);
                    seen += want;
                    if w.data().is_empty() && !w.fill().unwrap() {
                        break;
                    }
                }
                assert!(w.is_eof());
                assert_eq!(seen, data.len());
                assert_eq!(w.block_bytes(), Some(data.len() as u64));
            });
        }
        // A record past the cap: `fill` stops adding (the caller reports it).
        let big = vec![b'x'; 2_000_000];
        std::thread::scope(|scope| {
            let mut blocks = Blocks::spawn(scope, &big[..], 100_000);
            let first = blocks.next().unwrap().unwrap();
            let mut w = Window::<&[u8]>::from_blocks(blocks, first, 300_000);
            while w.fill().unwrap() {}
            assert!(!w.is_eof());
            assert!(w.data().len() >= 300_000 + MIN_READ);
            assert!(w.data().len() < 300_000 + MIN_READ + 200_000);
        });
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
