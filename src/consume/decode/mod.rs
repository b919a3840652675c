//! The consumer's streaming decoder: decompression and record framing.
//!
//! [`decode`] reads one S3 object as a stream and hands every record to a
//! [`RecordSink`] as compact JSON. Memory is bounded by the largest record
//! (plus the decompressor's own state), never by the object: a 1 GiB gzip
//! object decodes in well under 64 MiB of RSS.
//!
//! # Pipeline
//!
//! ```text
//! source ─ CountingReader ─ decompressor ─ Limited ─ Window ─ framer ─ sink
//! ```
//!
//! * `CountingReader` counts `bytes_in` and remembers whether the *source*
//!   failed, so a network error is [`ObjectError::Source`] (retry later) even
//!   though a decompressor above it turns it into an ordinary `io::Error`.
//! * The decompressor is picked by magic bytes, then key extension /
//!   `Content-Encoding` (see [`DetectedCompression`]).
//! * `Limited` enforces [`DecodeOptions::max_decompressed_bytes`] and
//!   [`DecodeOptions::max_expansion_ratio`] as the bytes come out, so a bomb
//!   stops with [`ObjectError::TooLarge`] after at most one read past a limit.
//! * `Window` is a refillable buffer that grows only while one record needs
//!   it (cap: `max_record_bytes` + 64 KiB).
//! * A framer per format: NDJSON / concatenated JSON (one framer: NDJSON is
//!   the one-value-per-line special case, handled by a `memchr` line fast
//!   path), a streamed top-level array, and CSV/TSV.
//!
//! # Crates, and why
//!
//! * **`flate2` with the `zlib-rs` backend** (plus `runtime_detection`, which
//!   picks its AVX2/SSE inflate and CRC paths at run time): pure Rust, no C
//!   toolchain, and the fastest inflate `flate2` offers. Measured here:
//!   gzip NDJSON decoded *and validated* at 750–860 MB/s against 250–350 MB/s
//!   for `gzip -dc` alone (see `consume::bench`).
//!   `bufread::MultiGzDecoder` handles concatenated gzip members.
//! * **`zstd`** (the reference C library): nothing in pure Rust decodes as
//!   fast; multi-frame streams are read by default. The window is capped at
//!   2^27 (zstd's own default) which also bounds its memory.
//! * **`bzip2` 0.6**, whose default backend is the pure-Rust `libbz2-rs-sys`
//!   (no C library); `MultiBzDecoder` reads multi-stream (pbzip2) files.
//! * **`memchr`** for line splitting (SIMD search for LF).
//! * **A hand-written JSON scanner** (`json.rs`) for validation. Measured on
//!   the benchmark's ~400-byte log records (one core, release build):
//!   this scanner 1.8 GB/s (in its earlier SWAR form), `serde_json`
//!   `IgnoredAny` 1.7 GB/s, `serde_json` `RawValue` 1.6 GB/s, `sonic-rs` 1.25 GB/s (the default
//!   x86-64 target has no AVX2 to exploit), `simd-json` tape 1.2 GB/s. It
//!   also gives what the framers need and those do not: where a value ends
//!   in a buffer, "incomplete" versus "invalid" (to refill instead of
//!   failing), and whether the value is already compact, all without
//!   allocating. It searches string contents with SSE2 bit masks (the
//!   `safe_arch` crate, so this crate keeps `unsafe_code` forbidden) and
//!   checks UTF-8 in the same pass: a record whose strings hold no byte
//!   ≥ 0x80 is valid UTF-8 as scanned, and only the others go through
//!   `std::str::from_utf8`. An NDJSON line is scanned without searching for
//!   its LF first (the scanner stops at an LF outside a string). Whole-process
//!   figures against `wc -l` and `gzip -dc`: `tests/bench/decode.sh` and
//!   README's Performance section.
//! * **`csv-core`** rather than `csv`: the same RFC 4180 state machine, but
//!   with caller-owned buffers, so an oversized row (an unterminated quote)
//!   is bounded by `max_record_bytes` instead of read whole into memory.
//!
//! # Record contract
//!
//! A record reaches the sink as one JSON value with no raw newline. A value
//! that sits alone on its line is passed through byte for byte after
//! validation (it may contain insignificant spaces, as `json.dumps` writes);
//! values spanning lines, values sharing a line, and array elements are
//! re-emitted compactly. CSV/TSV rows become objects of strings keyed by the
//! header names.

mod ahead;
mod array;
mod csv;
mod emit;
mod framing;
mod json;
mod lines;
mod source;

pub use source::ZSTD_WINDOW_MIB_CEILING;
mod window;

use std::fmt;
use std::io::{self, Read};

use crate::spec::{Compression, RecordFormat};

pub(crate) use emit::{Emitter, Stop};
use framing::frame;
use source::Shared;
use window::Window;

/// Longest sample of a bad record kept in a [`RecordError`].
pub const MAX_SAMPLE_BYTES: usize = 4096;

/// How to decode objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Record framing; `auto` decides per object.
    pub format: RecordFormat,
    /// Compression; `auto` decides per object.
    pub compression: Compression,
    /// Largest record accepted (default 1 MiB); bigger ones are record errors.
    pub max_record_bytes: usize,
    /// Largest decompressed size of one compressed object (default 64 GiB;
    /// plain objects are not limited).
    pub max_decompressed_bytes: u64,
    /// Largest decompressed/compressed ratio (default 1000), checked once
    /// 16 MiB have been decompressed.
    pub max_expansion_ratio: u64,
    /// Largest zstd window accepted, in MiB (default 128, zstd's own
    /// default; at most 2048). The decoder of such an object needs that much memory.
    pub max_zstd_window_mib: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            format: RecordFormat::Auto,
            compression: Compression::Auto,
            max_record_bytes: 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024 * 1024,
            max_expansion_ratio: 1000,
            max_zstd_window_mib: 128,
        }
    }
}

/// What is known about the object besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectInfo<'a> {
    /// The object key (its extensions guide `auto` detection).
    pub key: &'a str,
    /// The object's `Content-Encoding`, if any.
    pub content_encoding: Option<&'a str>,
    /// The object's `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// The stored (compressed) size, when known: small objects get small
    /// buffers, so thousands of small objects cost no large allocations.
    pub size: Option<u64>,
}

/// Receives the records of an object, a batch at a time.
pub trait RecordSink {
    /// A batch of records, in the order of the object.
    ///
    /// # Errors
    ///
    /// A failure stops decoding with [`ObjectError::Sink`].
    fn records(&mut self, batch: RecordBatch<'_>) -> io::Result<()>;
}

/// Records handed to a [`RecordSink`] at once: NDJSON, each record compact
/// JSON (valid UTF-8, no raw newline) followed by one LF. Often a slice of
/// the decoder's own buffer (records passed through unchanged), so it is
/// only valid during the call.
#[derive(Debug, Clone, Copy)]
pub struct RecordBatch<'a> {
    lines: &'a [u8],
    count: u64,
}

impl<'a> RecordBatch<'a> {
    /// The records as NDJSON: each followed by LF.
    pub fn as_ndjson(&self) -> &'a [u8] {
        self.lines
    }

    /// How many records (at least one).
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Never true: a batch holds at least one record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each record, without its LF.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let lines = self.lines;
        lines
            .strip_suffix(b"\n")
            .unwrap_or(lines)
            .split(|&b| b == b'\n')
            .take(usize::try_from(self.count).unwrap_or(usize::MAX))
    }
}

/// A record that could not be decoded; decoding goes on with the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// 0-based index of the record within the object (good and bad records
    /// both count).
    pub index: u64,
    /// Byte offset of the record in the decompressed stream.
    pub offset: u64,
    /// What is wrong with it.
    pub message: String,
    /// The record's first bytes (at most [`MAX_SAMPLE_BYTES`]).
    pub sample: Vec<u8>,
}

/// Why an object could not be decoded to its end. Records before the failure
/// have already been delivered.
#[derive(Debug)]
pub enum ObjectError {
    /// The underlying reader failed (network): retry later.
    Source(io::Error),
    /// Corrupt or truncated compression, or framing that makes the rest of
    /// the object unreadable.
    Corrupt(String),
    /// A decompression-bomb limit tripped.
    TooLarge(String),
    /// The sink failed.
    Sink(io::Error),
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Source(e) => write!(f, "reading the object failed: {e}"),
            ObjectError::Corrupt(m) => write!(f, "corrupt object: {m}"),
            ObjectError::TooLarge(m) => write!(f, "object too large: {m}"),
            ObjectError::Sink(e) => write!(f, "record sink failed: {e}"),
        }
    }
}

impl std::error::Error for ObjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ObjectError::Source(e) | ObjectError::Sink(e) => Some(e),
            ObjectError::Corrupt(_) | ObjectError::TooLarge(_) => None,
        }
    }
}

/// The compression an object turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectedCompression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl DetectedCompression {
    /// Lower-case name, as in the spec's `Compression` values.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectedCompression::None => "none",
            DetectedCompression::Gzip => "gzip",
            DetectedCompression::Zstd => "zstd",
            DetectedCompression::Bzip2 => "bzip2",
        }
    }
}

impl fmt::Display for DetectedCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The framing an object turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectedFormat {
    /// One JSON value per line.
    Ndjson,
    /// JSON values back to back, some spanning or sharing lines.
    Concatenated,
    /// One top-level array, streamed element by element.
    JsonArray,
    Csv,
    Tsv,
    /// Nothing but whitespace after decompression.
    Empty,
}

impl DetectedFormat {
    /// Lower-case name (`ndjson`, `concatenated`, `json-array`, `csv`,
    /// `tsv`, `empty`).
    pub fn as_str(self) -> &'static str {
        match self {
            DetectedFormat::Ndjson => "ndjson",
            DetectedFormat::Concatenated => "concatenated",
            DetectedFormat::JsonArray => "json-array",
            DetectedFormat::Csv => "csv",
            DetectedFormat::Tsv => "tsv",
            DetectedFormat::Empty => "empty",
        }
    }
}

impl fmt::Display for DetectedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of decoding one object to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeSummary {
    pub compression: DetectedCompression,
    pub format: DetectedFormat,
    /// Records delivered to the sink.
    pub records: u64,
    /// Records reported to `on_error`.
    pub errors: u64,
    /// Bytes read from the source.
    pub bytes_in: u64,
    /// Decompressed bytes.
    pub bytes_out: u64,
}

/// Decodes one object from `reader`, delivering records to `sink` and bad
/// records to `on_error`.
///
/// Format `auto` decides from the key extension (`.ndjson`/`.jsonl` →
/// NDJSON, `.json` → array if it starts with `[` else concatenated, `.csv`,
/// `.tsv`; a compression extension such as `.csv.gz` is looked through), then
/// the `Content-Type`, then the first non-whitespace byte (`[` → array,
/// `{` → NDJSON/concatenated, anything else → CSV). Format `json` is the same
/// `[`-or-not choice. Format `ndjson` is strict: exactly one value per line.
///
/// # Errors
///
/// See [`ObjectError`]: the source failing, corrupt data, a bomb limit, or
/// the sink failing. Records decoded before the failure have been delivered.
pub fn decode(
    reader: impl Read,
    info: &ObjectInfo<'_>,
    options: &DecodeOptions,
    sink: &mut dyn RecordSink,
    on_error: &mut dyn FnMut(RecordError),
) -> Result<DecodeSummary, ObjectError> {
    let shared = Shared::default();
    let (compression, stream) = match source::open(reader, info, options, &shared) {
        Ok(opened) => opened,
        Err(e) => return Err(classify(&shared, e)),
    };
    let max_record = options.max_record_bytes.max(1);
    let window = Window::new(stream, max_record, window_size(info.size, compression));
    run(window, compression, &shared, info, options, sink, on_error)
}

/// [`decode`], with `reader` read on a thread of its own ahead of the
/// decoder, in blocks of 1 MiB (a few of them in memory). Made for local
/// files: the copy out of the page cache overlaps the decoding when a second
/// core is free, and a plain object is scanned where it was read to, without
/// a copy. The thread ends with the call; `reader` must not block for long.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_read_ahead(
    reader: impl Read + Send,
    info: &ObjectInfo<'_>,
    options: &DecodeOptions,
    sink: &mut dyn RecordSink,
    on_error: &mut dyn FnMut(RecordError),
) -> Result<DecodeSummary, ObjectError> {
    std::thread::scope(|scope| {
        let mut blocks = ahead::Blocks::spawn(scope, reader, ahead::BLOCK);
        let first = blocks.next().map_err(ObjectError::Source)?;
        let prefix = first
            .as_deref()
            .and_then(|block| block.get(ahead::HEAD..))
            .unwrap_or_default();
        let prefix = &prefix[..prefix.len().min(source::PREFIX)];
        match first {
            Some(first)
                if source::choose(options.compression, prefix, info)
                    == DetectedCompression::None =>
            {
                let shared = Shared::default();
                let max_record = options.max_record_bytes.max(1);
                let window = Window::<source::Limited<'_>>::from_blocks(blocks, first, max_record);
                run(
                    window,
                    DetectedCompression::None,
                    &shared,
                    info,
                    options,
                    sink,
                    on_error,
                )
            }
            // Compressed (or empty): the blocks as a stream.
            first => decode(
                ahead::BlockReader::new(blocks, first),
                info,
                options,
                sink,
                on_error,
            ),
        }
    })
}

/// Why reading the decompressed stream failed: the source, a bomb limit, or
/// else the decompressor (corrupt data).
fn classify(shared: &Shared, e: io::Error) -> ObjectError {
    if let Some(source) = shared.source_error.borrow_mut().take() {
        ObjectError::Source(source)
    } else if let Some(message) = shared.too_large.borrow_mut().take() {
        ObjectError::TooLarge(message)
    } else {
        ObjectError::Corrupt(e.to_string())
    }
}

/// Frames the object in `window` and delivers its records.
fn run<R: Read>(
    mut window: Window<R>,
    compression: DetectedCompression,
    shared: &Shared,
    info: &ObjectInfo<'_>,
    options: &DecodeOptions,
    sink: &mut dyn RecordSink,
    on_error: &mut dyn FnMut(RecordError),
) -> Result<DecodeSummary, ObjectError> {
    let max_record = options.max_record_bytes.max(1);
    let mut emitter = Emitter {
        sink,
        on_error,
        records: 0,
        errors: 0,
        batch: Vec::new(),
        batched: 0,
    };
    let framed = frame(&mut window, info, options.format, max_record, &mut emitter);
    // The records before a failure are delivered too (a sink failure aside):
    // if the sink then fails, that is the error, so that no caller takes
    // them for written.
    let flushed = match framed {
        Err(Stop::Sink(_)) => Ok(()),
        _ => emitter.flush(),
    };
    let format = match flushed.and(framed) {
        Ok(format) => format,
        // Over blocks read ahead, only the source itself can fail.
        Err(Stop::Read(e)) if window.block_bytes().is_some() => {
            return Err(ObjectError::Source(e));
        }
        Err(Stop::Read(e)) => return Err(classify(shared, e)),
        Err(Stop::Sink(e)) => return Err(ObjectError::Sink(e)),
        Err(Stop::Corrupt(message)) => return Err(ObjectError::Corrupt(message)),
    };
    let (bytes_in, bytes_out) = match window.block_bytes() {
        Some(bytes) => (bytes, bytes),
        None => (shared.bytes_in.get(), shared.bytes_out.get()),
    };
    Ok(DecodeSummary {
        compression,
        format,
        records: emitter.records,
        errors: emitter.errors,
        bytes_in,
        bytes_out,
    })
}

/// The first window for an object of `size` stored bytes: the whole object
/// when it is small and stored plain, a few times its size when compressed
/// (the window slides, so this only sets how much is read at a time).
fn window_size(size: Option<u64>, compression: DetectedCompression) -> usize {
    let Some(size) = size else {
        return window::INITIAL;
    };
    let wanted = match compression {
        DetectedCompression::None => size.saturating_add(1),
        _ => size.saturating_mul(8),
    };
    usize::try_from(wanted)
        .unwrap_or(usize::MAX)
        .clamp(window::SMALLEST, window::INITIAL)
}
