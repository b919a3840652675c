//! The reader stack under a framer: the source (counted, and remembering
//! whether *it* failed), compression detection, the decompressor, and the
//! decompression-bomb limits.

use std::cell::{Cell, RefCell};
use std::io::{self, BufReader, Read};

use crate::spec::Compression;

use super::{DecodeOptions, DetectedCompression, ObjectInfo};

/// Decompressed output below this size is never judged by its expansion ratio.
pub(crate) const RATIO_FLOOR: u64 = 16 * 1024 * 1024;
/// The first bytes looked at: enough for a compression's magic and a zstd
/// frame header.
pub(crate) const PREFIX: usize = 18;
/// Buffer between the source and a decompressor.
const COMPRESSED_BUF: usize = 128 * 1024;
/// The largest zstd window any decoder accepts (2^31 = 2 GiB, zstd's own
/// ceiling on 64-bit systems).
pub const ZSTD_WINDOW_MIB_CEILING: u64 = 2048;

/// The window a zstd frame needs, read from its header (`bytes` start at
/// the magic number): from the window descriptor, or the content size of a
/// single-segment frame. `None` when the header is cut short.
pub(crate) fn zstd_window(bytes: &[u8]) -> Option<u64> {
    let descriptor = *bytes.get(4)?;
    let single_segment = descriptor & 0x20 != 0;
    if !single_segment {
        let wd = *bytes.get(5)?;
        let log = 10 + u32::from(wd >> 3);
        let base = 1u64 << log;
        return Some(base + (base / 8) * u64::from(wd & 7));
    }
    let did_size = [0usize, 1, 2, 4][usize::from(descriptor & 3)];
    let fcs_size = [1usize, 2, 4, 8][usize::from(descriptor >> 6)];
    let start = 5 + did_size;
    let field = bytes.get(start..start + fcs_size)?;
    let mut value = 0u64;
    for (i, b) in field.iter().enumerate() {
        value |= u64::from(*b) << (8 * i);
    }
    Some(if fcs_size == 2 { value + 256 } else { value })
}

/// Bytes in a MiB count, written for people.
fn mib_text(bytes: u64) -> String {
    let mib = bytes / (1024 * 1024);
    if mib >= 1024 && mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}

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
    let mut prefix = [0u8; PREFIX];
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
            let limit = options
                .max_zstd_window_mib
                .clamp(1, ZSTD_WINDOW_MIB_CEILING)
                * 1024
                * 1024;
            if let Some(window) = zstd_window(prefix).filter(|w| *w > limit) {
                let message = format!(
                    "its zstd window of {} exceeds the limit of {}; raise --max-zstd-window-mib (the decoder needs that much memory per object)",
                    mib_text(window.next_power_of_two()),
                    mib_text(limit)
                );
                *shared.too_large.borrow_mut() = Some(message.clone());
                return Err(io::Error::other(message));
            }
            let mut decoder = zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(
                buffer, chained,
            ))?;
            // The window log the limit allows (2^log bytes at most).
            decoder.window_log_max(63 - limit.leading_zeros())?;
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
    fn zstd_windows_are_read_from_the_frame_header() {
        let small = zstd::encode_all(&b"hello"[..], 3).unwrap();
        // Level 3 on a small input: a 2 MiB window (descriptor 0x58).
        assert_eq!(zstd_window(&small), Some(2 << 20));
        // Window descriptor 0xA8: exponent 21 → log 31 = 2 GiB.
        let long = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8];
        assert_eq!(zstd_window(&long), Some(2 << 30));
        assert_eq!(zstd_window(&long[..5]), None);
        assert_eq!(mib_text(2 << 30), "2 GiB");
        assert_eq!(mib_text(128 << 20), "128 MiB");
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
