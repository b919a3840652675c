//! Reading ahead of the decoder on a thread of its own.
//!
//! Copying a file out of the page cache is about a fifth of what decoding
//! plain NDJSON costs; on a second core it overlaps the scanning instead of
//! preceding it. The reader thread fills whole blocks and hands them over
//! by value (never shared), so a plain object is scanned in the very buffer
//! the kernel copied it into: the window takes each block as its buffer (see
//! `Window::from_blocks`). Each block leaves [`HEAD`] bytes free in front
//! for the start of a record cut by the block's edge. Compressed objects
//! read the blocks through [`BlockReader`] (a copy, small beside inflating).
//!
//! Memory: at most `DEPTH` blocks queued, one being filled, one in the
//! window, and the spares handed back (about 8 blocks of 1 MiB in all).

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::Scope;

/// Room left in front of each block's bytes.
pub(crate) const HEAD: usize = 64 * 1024;
/// Bytes read into one block.
pub(crate) const BLOCK: usize = 1024 * 1024;
/// Filled blocks waiting for the decoder.
const DEPTH: usize = 3;

/// The decoder's end: filled blocks in order, then the end of the stream or
/// the source's error.
pub(crate) struct Blocks {
    filled: Receiver<io::Result<Vec<u8>>>,
    spares: SyncSender<Vec<u8>>,
    /// Bytes read into each block.
    size: usize,
    done: bool,
}

impl Blocks {
    /// Starts a thread in `scope` that reads `source` to its end (or until
    /// the returned `Blocks` is dropped), `size` bytes a block ([`BLOCK`]
    /// but in tests).
    pub(crate) fn spawn<'scope, R: Read + Send + 'scope>(
        scope: &'scope Scope<'scope, '_>,
        mut source: R,
        size: usize,
    ) -> Blocks {
        let size = size.max(1);
        let (fill, filled) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (spares, spare) = sync_channel::<Vec<u8>>(DEPTH + 2);
        scope.spawn(move || {
            loop {
                let mut block = spare.try_recv().unwrap_or_default();
                block.resize(HEAD + size, 0);
                let mut end = HEAD;
                let result = loop {
                    match source.read(&mut block[end..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            end += n;
                            if end == block.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                let last = end < block.len();
                block.truncate(end);
                // A send fails once the decoder is gone: stop reading.
                if end > HEAD && fill.send(Ok(block)).is_err() {
                    return;
                }
                if let Err(e) = result {
                    let _ = fill.send(Err(e));
                    return;
                }
                if last {
                    return;
                }
            }
        });
        Blocks {
            filled,
            spares,
            size,
            done: false,
        }
    }

    /// The next block (its bytes at `HEAD..`, at least one), or `None` at the
    /// end of the stream.
    pub(crate) fn next(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        match self.filled.recv() {
            Ok(Ok(block)) => Ok(Some(block)),
            Ok(Err(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Ok(None)
            }
        }
    }

    /// Hands a block back to be filled again (dropped if enough are spare).
    pub(crate) fn recycle(&self, block: Vec<u8>) {
        if block.capacity() >= HEAD + self.size {
            // Full (enough spares) or the thread is done: the block is dropped.
            let _ = self.spares.try_send(block);
        }
    }
}

/// The blocks as a byte stream (for a decompressor, or a first look).
pub(crate) struct BlockReader {
    blocks: Blocks,
    block: Vec<u8>,
    at: usize,
}

impl BlockReader {
    pub(crate) fn new(blocks: Blocks, first: Option<Vec<u8>>) -> BlockReader {
        BlockReader {
            blocks,
            block: first.unwrap_or_default(),
            at: HEAD,
        }
    }
}

impl Read for BlockReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.block.len() {
            match self.blocks.next()? {
                Some(block) => {
                    let used = std::mem::replace(&mut self.block, block);
                    self.blocks.recycle(used);
                    self.at = HEAD;
                }
                None => return Ok(0),
            }
        }
        let bytes = &self.block[self.at..];
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes per read, then fails if asked to.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() && self.fail {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
            }
            let n = self.step.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn blocks_carry_the_stream_in_order_then_its_end() {
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 77] {
            let data = data(len);
            let source = Trickle {
                data: data.clone(),
                at: 0,
                step: 100_003,
                fail: false,
            };
            let got = std::thread::scope(|scope| {
                let mut blocks = Blocks::spawn(scope, source, BLOCK);
                let mut got = Vec::new();
                while let Some(block) = blocks.next().unwrap() {
                    assert!(block.len() > HEAD);
                    got.extend_from_slice(&block[HEAD..]);
                    blocks.recycle(block);
                }
                assert!(blocks.next().unwrap().is_none());
                got
            });
            assert_eq!(got, data, "{len} bytes");
        }
    }

    #[test]
    fn the_sources_error_comes_after_its_bytes() {
        let data = data(BLOCK + 10);
        let source = Trickle {
            data: data.clone(),
            at: 0,
            step: 4096,
            fail: true,
        };
        std::thread::scope(|scope| {
            let mut reader = BlockReader::new(Blocks::spawn(scope, source, BLOCK), None);
            let mut got = Vec::new();
            let e = reader.read_to_end(&mut got).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
            assert_eq!(got, data);
        });
    }

    #[test]
    fn dropping_the_blocks_stops_the_thread() {
        let source = io::repeat(7);
        std::thread::scope(|scope| {
            let mut blocks = Blocks::spawn(scope, source, BLOCK);
            assert!(blocks.next().unwrap().is_some());
            drop(blocks);
        });
    }
}
