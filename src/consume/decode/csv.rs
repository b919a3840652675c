//! CSV and TSV with a header row, turned into JSON objects of strings.
//!
//! Built on `csv-core` (the allocation-free state machine under the `csv`
//! crate) rather than `csv` itself, because `csv` buffers a whole record with
//! no size limit: an unterminated quote would make it read the rest of the
//! object into memory. Here the record's output buffer stops growing at
//! `max_record_bytes`; past that the record is parsed to its end with its
//! bytes discarded, then reported. Quoting follows RFC 4180 (for TSV too:
//! a field that starts with `"` is quoted).

use std::io::Read;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::json::escape_into;
use super::window::Window;
use super::{Emitter, Stop};

/// Frames the rows of a delimited file; returns whether it held any row
/// (header included).
pub(crate) fn run<R: Read>(
    w: &mut Window<R>,
    em: &mut Emitter<'_>,
    max_record: usize,
    delimiter: u8,
) -> Result<bool, Stop> {
    let mut rows = Rows {
        reader: ReaderBuilder::new().delimiter(delimiter).build(),
        out: vec![0; 4096],
        ends: vec![0; 64],
        max_record,
    };
    // Each header name pre-rendered as `"name":`.
    let mut header: Vec<Vec<u8>> = Vec::new();
    let mut json = Vec::with_capacity(1024);
    let mut seen_header = false;
    loop {
        let offset = w.offset();
        let row = rows.next(w)?;
        let (out_len, n_fields) = match row {
            Row::End => return Ok(seen_header),
            Row::Oversize { .. } if !seen_header => {
                return Err(Stop::Corrupt(format!(
                    "the header row is larger than max_record_bytes ({max_record} bytes)"
                )));
            }
            Row::Oversize { sample_len } => {
                em.error(
                    offset,
                    format!("row is larger than max_record_bytes ({max_record} bytes)"),
                    &rows.out[..sample_len],
                );
                continue;
            }
            Row::Fields { out_len, n_fields } => (out_len, n_fields),
        };
        let fields = &rows.out[..out_len];
        let ends = &rows.ends[..n_fields];
        if !seen_header {
            seen_header = true;
            if let Err(e) = std::str::from_utf8(fields) {
                return Err(Stop::Corrupt(format!(
                    "the header row is not valid UTF-8 (at byte {})",
                    e.valid_up_to()
                )));
            }
            header = split(fields, ends)
                .map(|name| {
                    let mut key = Vec::with_capacity(name.len() + 3);
                    key.push(b'"');
                    escape_into(name, &mut key);
                    key.extend_from_slice(b"\":");
                    key
                })
                .collect();
            continue;
        }
        if n_fields != header.len() {
            let sample = joined(fields, ends, delimiter);
            em.error(
                offset,
                format!("row has {n_fields} fields, the header has {}", header.len()),
                &sample,
            );
            continue;
        }
        if let Err(e) = std::str::from_utf8(fields) {
            let sample = joined(fields, ends, delimiter);
            em.error(
                offset,
                format!(
                    "row is not valid UTF-8 (at byte {} of its fields)",
                    e.valid_up_to()
                ),
                &sample,
            );
            continue;
        }
        json.clear();
        json.push(b'{');
        for (i, (key, value)) in header.iter().zip(split(fields, ends)).enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(key);
            json.push(b'"');
            escape_into(value, &mut json);
            json.push(b'"');
        }
        json.push(b'}');
        em.raw(&json)?;
    }
}

/// The fields of a row, from `csv-core`'s output and end positions.
fn split<'a>(fields: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let field = fields.get(start..end).unwrap_or_default();
        start = end;
        field
    })
}

/// A row's fields joined by the delimiter, for an error sample.
fn joined(fields: &[u8], ends: &[usize], delimiter: u8) -> Vec<u8> {
    let mut sample = Vec::with_capacity(fields.len() + ends.len());
    for (i, field) in split(fields, ends).enumerate() {
        if i > 0 {
            sample.push(delimiter);
        }
        sample.extend_from_slice(field);
        if sample.len() > 4096 {
            break;
        }
    }
    sample
}

enum Row {
    /// A row: `out[..out_len]` holds its fields, `ends[..n_fields]` their ends.
    Fields {
        out_len: usize,
        n_fields: usize,
    },
    /// A row over the limit, parsed to its end with its bytes dropped but
    /// the first `sample_len`, kept in `out` for the error sample.
    Oversize {
        sample_len: usize,
    },
    End,
}

struct Rows {
    reader: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    max_record: usize,
}

impl Rows {
    fn next<R: Read>(&mut self, w: &mut Window<R>) -> Result<Row, Stop> {
        let mut out_len = 0;
        let mut n_ends = 0;
        // Once the row is over the limit, the first `sample` bytes are kept
        // and the rest of the output is overwritten again and again.
        let mut oversize = false;
        let mut sample = 0;
        loop {
            if w.data().is_empty() && !w.is_eof() {
                w.fill()?;
                continue;
            }
            let (result, n_in, n_out, n_end) = self.reader.read_record(
                w.data(),
                &mut self.out[out_len..],
                &mut self.ends[n_ends..],
            );
            w.consume(n_in);
            out_len += n_out;
            n_ends += n_end;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull if oversize => out_len = sample,
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= self.max_record {
                        oversize = true;
                        sample = (self.out.len() / 2).min(4096);
                        out_len = sample;
                    } else {
                        let grown = (self.out.len() * 2).min(self.max_record.max(1));
                        self.out.resize(grown, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull if oversize => n_ends = 0,
                ReadRecordResult::OutputEndsFull => {
                    // Every field costs a `usize`: bound them like bytes.
                    if self.ends.len() * 8 >= self.max_record.max(1024) {
                        oversize = true;
                        n_ends = 0;
                    } else {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                }
                ReadRecordResult::Record if oversize => {
                    return Ok(Row::Oversize { sample_len: sample });
                }
                ReadRecordResult::Record if out_len > self.max_record => {
                    return Ok(Row::Oversize {
                        sample_len: out_len.min(4096),
                    });
                }
                ReadRecordResult::Record => {
                    return Ok(Row::Fields {
                        out_len,
                        n_fields: n_ends,
                    });
                }
                ReadRecordResult::End => return Ok(Row::End),
            }
        }
    }
}
