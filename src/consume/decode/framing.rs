//! Choosing the framer for an object (by format, key extension, content
//! type or first byte) and running it.

use std::io::Read;

use super::window::Window;
use super::{DetectedFormat, Emitter, ObjectInfo, Stop, array, csv, lines};
use crate::spec::RecordFormat;

/// The framer chosen for an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Strict NDJSON.
    Lines,
    /// Concatenated JSON (NDJSON included).
    Values,
    Array,
    Csv,
    Tsv,
}

/// `.json` and `format: json`: an array or a stream of values.
fn json_framing(first: u8) -> Framing {
    if first == b'[' {
        Framing::Array
    } else {
        Framing::Values
    }
}

/// The framing that the key extension or content type names, if any.
fn named_framing(info: &ObjectInfo<'_>, first: u8) -> Option<Framing> {
    let key = info.key.to_ascii_lowercase();
    let key = [".gz", ".gzip", ".zst", ".zstd", ".bz2"]
        .iter()
        .find_map(|ext| key.strip_suffix(ext))
        .unwrap_or(&key);
    let ext = key.rsplit_once('.').map(|(_, ext)| ext);
    let by_ext = match ext {
        Some("ndjson" | "jsonl") => Some(Framing::Lines),
        Some("json") => Some(json_framing(first)),
        Some("csv") => Some(Framing::Csv),
        Some("tsv" | "tab") => Some(Framing::Tsv),
        _ => None,
    };
    by_ext.or_else(|| {
        let content_type = info.content_type?.to_ascii_lowercase();
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        match mime {
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines" => Some(Framing::Lines),
            "application/json" => Some(json_framing(first)),
            "text/csv" => Some(Framing::Csv),
            "text/tab-separated-values" => Some(Framing::Tsv),
            _ => None,
        }
    })
}

fn choose_framing(format: RecordFormat, info: &ObjectInfo<'_>, first: u8) -> Framing {
    match format {
        RecordFormat::Ndjson => Framing::Lines,
        RecordFormat::Json => json_framing(first),
        RecordFormat::JsonArray => Framing::Array,
        RecordFormat::Csv => Framing::Csv,
        RecordFormat::Tsv => Framing::Tsv,
        RecordFormat::Auto => named_framing(info, first).unwrap_or(match first {
            b'[' => Framing::Array,
            b'{' => Framing::Values,
            _ => Framing::Csv,
        }),
    }
}

/// Strips a BOM, sniffs the first byte, and runs the chosen framer.
pub(super) fn frame<R: Read>(
    w: &mut Window<R>,
    info: &ObjectInfo<'_>,
    format: RecordFormat,
    max_record: usize,
    em: &mut Emitter<'_>,
) -> Result<DetectedFormat, Stop> {
    while w.data().len() < 3 && w.fill()? {}
    if w.data().starts_with(b"\xef\xbb\xbf") {
        w.consume(3);
    }
    // The first non-whitespace byte, without consuming (CSV keeps leading
    // spaces); an all-whitespace prefix is dropped as it goes.
    let first = loop {
        let data = w.data();
        if let Some(&b) = data
            .iter()
            .find(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        {
            break b;
        }
        if data.len() >= 64 * 1024 {
            w.consume_all();
        }
        if !w.fill()? {
            if w.is_eof() {
                return Ok(DetectedFormat::Empty);
            }
            w.consume_all();
        }
    };
    Ok(match choose_framing(format, info, first) {
        Framing::Lines => {
            lines::run(w, em, max_record, true)?;
            DetectedFormat::Ndjson
        }
        Framing::Values => {
            if lines::run(w, em, max_record, false)? {
                DetectedFormat::Concatenated
            } else {
                DetectedFormat::Ndjson
            }
        }
        Framing::Array => {
            array::run(w, em, max_record)?;
            DetectedFormat::JsonArray
        }
        Framing::Csv => {
            csv::run(w, em, max_record, b',')?;
            DetectedFormat::Csv
        }
        Framing::Tsv => {
            csv::run(w, em, max_record, b'\t')?;
            DetectedFormat::Tsv
        }
    })
}
