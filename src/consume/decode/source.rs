//! The reader stack under a framer: the source (counted, and remembering
//! whether *it* failed), compression detection, the decompressor, and the
//! decompression-bomb limits.

use std::cell::{Cell, RefCell};
use std::io::{self, BufReader, Read};

use crate::spec::Compression;

use super::{DecodeOptions, DetectedCompression, ObjectInfo};

/// Decompressed output below this size is never judged by its expansion ratio.
pub(crate) const RATIO_FLOOR: u64 = 16 * 1024 * 1024;
/// Buffer between the source and a decompressor.
const COMPRESSED_BUF: usize = 128 * 1024;
/// zstd window limit (2^27 = 128 MiB, zstd's own default ceiling), stated
/// explicitly because it bounds the decoder's memory.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// State shared by the readers of one object, kept on `decode`'s stack.
#[derive(Default)]
pub(crate) struct Shared {
    /// Bytes read from the source so far.
    pub(crate) bytes_in: Cell<u64>,
    /// Decompressed bytes handed to the framer so far.
    pub(crate) bytes_out: Cell<u64>,
    /// The first error the source itself returned.
    pub(crate) source_error: RefCell<Option<io::Error>>,
    /// Set when a bomb limit tripped.
    pub(crate) too_large: RefCell<Option<String>>,
}

/// Counts the bytes read from the source and remembers whether the source
/// (as opposed to a decompressor above it) failed.
pub(crate) struct CountingReader<'a, R> {
    inner: R,
    shared: &'a Shared,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.shared
                        .bytes_in
                        .set(self.shared.bytes_in.get() + n as u64);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Hand a copy up the stack (a decompressor may rewrap it)
                    // and keep the original for `ObjectError::Source`.
                    let copy = io::Error::new(e.kind(), e.to_string());
                    let mut slot = self.shared.source_error.borrow_mut();
                    if slot.is_none() {
                        *slot = Some(e);
                    }
                    return Err(copy);
                }
            }
        }
    }
}

/// Enforces `max_decompressed_bytes` and `max_expansion_ratio` on the
/// decompressed stream, and counts it.
pub(crate) struct Limited<'a> {
    inner: Box<dyn Read + 'a>,
    shared: &'a Shared,
    /// `None` for plain objects: no bomb limits apply.
    limits: Option<(u64, u64)>,
}

impl Read for Limited<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let out = self.shared.bytes_out.get() + n as u64;
        if let Some((max_out, max_ratio)) = self.limits {
            let bytes_in = self.shared.bytes_in.get().max(1);
            let tripped = if out > max_out {
                Some(format!(
                    "decompressed size exceeds max_decompressed_bytes ({max_out} bytes)"
                ))
            } else if out >= RATIO_FLOOR && out / bytes_in > max_ratio {
                Some(format!(
                    "expansion ratio exceeds max_expansion_ratio ({max_ratio}): \
                     {out} decompressed bytes from {bytes_in} compressed bytes"
                ))
            } else {
                None
            };
            if let Some(message) = tripped {
                *self.shared.too_large.borrow_mut() = Some(message.clone());
                return Err(io::Error::other(message));
            }
        }
        self.shared.bytes_out.set(out);
        Ok(n)
    }
}

/// The compression a key extension or `Content-Encoding` claims.
fn claimed(info: &ObjectInfo<'_>) -> Option<DetectedCompression> {
    let key = info.key.to_ascii_lowercase();
    let by_ext = [
        (".gz", DetectedCompression::Gzip),
        (".gzip", DetectedCompression::Gzip),
        (".zst", DetectedCompression::Zstd),
        (".zstd", DetectedCompression::Zstd),
        (".bz2", DetectedCompression::Bzip2),
    ]
    .into_iter()
    .find(|(ext, _)| key.ends_with(ext))
    .map(|(_, c)| c);
    by_ext.or_else(|| {
        let enc = info.content_encoding?.trim().to_ascii_lowercase();
        match enc.as_str() {
            "gzip" | "x-gzip" => Some(DetectedCompression::Gzip),
            "zstd" => Some(DetectedCompression::Zstd),
            "bzip2" | "x-bzip2" => Some(DetectedCompression::Bzip2),
            _ => None,
        }
    })
}

/// Compression from the first bytes of the object, if they are a known magic.
pub(crate) fn sniff(prefix: &[u8]) -> Option<DetectedCompression> {
    match prefix {
        [0x1f, 0x8b, ..] => Some(DetectedCompression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(DetectedCompression::Zstd),
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some(DetectedCompression::Bzip2),
        _ => None,
    }
}

/// Decides the compression. A forced setting is obeyed. Under `auto` the
/// magic bytes decide; without a magic, the key extension or
/// `Content-Encoding` is believed only if the data does not start like text:
/// text under a `.gz` key (typically an HTTP layer already removed the
/// encoding) is read as plain, while binary garbage under it is handed to the
/// claimed decoder, which reports it as corrupt.
pub(crate) fn choose(
    forced: Compression,
    prefix: &[u8],
    info: &ObjectInfo<'_>,
) -> DetectedCompression {
    match forced {
        Compression::None => DetectedCompression::None,
        Compression::Gzip => DetectedCompression::Gzip,
        Compression::Zstd => DetectedCompression::Zstd,
        Compression::Bzip2 => DetectedCompression::Bzip2,
        Compression::Auto => sniff(prefix).unwrap_or_else(|| {
            let looks_like_text = prefix
                .first()
                .is_none_or(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace() || b == 0xef);
            match claimed(info) {
                Some(claim) if !looks_like_text => claim,
                _ => DetectedCompression::None,
            }
        }),
    }
}

/// Builds the decompressed stream over `source`: reads the first bytes to
/// detect the compression and stacks the matching decoder and the limits.
pub(crate) fn open<'a, R: Read + 'a>(
    source: R,
    info: &ObjectInfo<'_>,
    options: &DecodeOptions,
    shared: &'a Shared,
) -> io::Result<(DetectedCompression, Limited<'a>)> {
    let mut counting = CountingReader {
        inner: source,
        shared,
    };
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < prefix.len() {
        let n = counting.read(&mut prefix[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let prefix = &prefix[..got];
    let compression = choose(options.compression, prefix, info);
    let chained = io::Cursor::new(prefix.to_vec()).chain(counting);
    // A small object needs no more read-ahead than its own size.
    let buffer = info
        .size
        .and_then(|size| usize::try_from(size.saturating_add(1)).ok())
        .map_or(COMPRESSED_BUF, |size| size.clamp(4096, COMPRESSED_BUF));
    let inner: Box<dyn Read + 'a> = match compression {
        DetectedCompression::None => Box::new(chained),
        DetectedCompression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(buffer, chained),
        )),
        DetectedCompression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(
                buffer, chained,
            ))?;
            decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(decoder)
        }
        DetectedCompression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(
            BufReader::with_capacity(buffer, chained),
        )),
    };
    let limits = (compression != DetectedCompression::None)
        .then_some((options.max_decompressed_bytes, options.max_expansion_ratio));
    Ok((
        compression,
        Limited {
            inner,
            shared,
            limits,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(key: &str) -> ObjectInfo<'_> {
        ObjectInfo {
            key,
            ..ObjectInfo::default()
        }
    }

    #[test]
    fn magic_wins_and_forced_is_obeyed() {
        let gz = [0x1f, 0x8b, 8, 0];
        assert_eq!(
            choose(Compression::Auto, &gz, &info("a.json")),
            DetectedCompression::Gzip
        );
        assert_eq!(
            choose(Compression::Auto, b"BZh9", &info("a")),
            DetectedCompression::Bzip2
        );
        assert_eq!(
            choose(Compression::Auto, &[0x28, 0xb5, 0x2f, 0xfd], &info("a")),
            DetectedCompression::Zstd
        );
        assert_eq!(
            choose(Compression::Auto, b"{\"a\"", &info("a.json.gz")),
            DetectedCompression::None
        );
        assert_eq!(
            choose(Compression::Auto, &[0, 1, 2, 3], &info("a.json.gz")),
            DetectedCompression::Gzip
        );
        assert_eq!(
            choose(Compression::Auto, &[], &info("a.json.gz")),
            DetectedCompression::None
        );
        assert_eq!(
            choose(Compression::Zstd, b"{\"a\"", &info("a.json")),
            DetectedCompression::Zstd
        );
        assert_eq!(
            choose(Compression::None, &gz, &info("a.gz")),
            DetectedCompression::None
        );
    }

    #[test]
    fn claimed_reads_extension_then_encoding() {
        assert_eq!(
            claimed(&info("x/y.CSV.GZ")),
            Some(DetectedCompression::Gzip)
        );
        assert_eq!(claimed(&info("y.zst")), Some(DetectedCompression::Zstd));
        let with_enc = ObjectInfo {
            key: "y",
            content_encoding: Some("bzip2"),
            content_type: None,
            size: None,
        };
        assert_eq!(claimed(&with_enc), Some(DetectedCompression::Bzip2));
        assert_eq!(claimed(&info("y.json")), None);
    }
}
