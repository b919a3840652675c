//! The consumer's streaming decoder: every format × compression, the edge
//! cases of framing, and bad input (malformed records, truncation, bombs,
//! oversized records, non-UTF-8, failing sources).

use std::io::{self, Read, Write};

use crate::common::gzip;

use sluice::consume::decode::{
    DecodeOptions, DecodeSummary, DetectedCompression, DetectedFormat, ObjectError, ObjectInfo,
    RecordBatch, RecordError, RecordSink, decode, decode_read_ahead,
};
use sluice::spec::{Compression, RecordFormat};

#[derive(Default)]
struct Collect(Vec<String>);

impl RecordSink for Collect {
    fn records(&mut self, batch: RecordBatch<'_>) -> io::Result<()> {
        let lines = batch.as_ndjson();
        assert!(!batch.is_empty(), "an empty batch");
        assert!(lines.ends_with(b"\n"), "a batch not ending in LF");
        assert_eq!(
            lines.iter().filter(|&&b| b == b'\n').count() as u64,
            batch.len(),
            "a raw newline in a record, or a miscounted batch"
        );
        for json in batch.iter() {
            self.0.push(String::from_utf8(json.to_vec()).unwrap());
        }
        Ok(())
    }
}

struct Outcome {
    result: Result<DecodeSummary, ObjectError>,
    records: Vec<String>,
    errors: Vec<RecordError>,
}

impl Outcome {
    fn summary(&self) -> DecodeSummary {
        match &self.result {
            Ok(s) => *s,
            Err(e) => panic!("decode failed: {e}"),
        }
    }
}

/// A decode call, as `decode` and `decode_read_ahead` both take it.
type DecodeFn<'a, R> = dyn FnOnce(
        R,
        &ObjectInfo<'_>,
        &DecodeOptions,
        &mut dyn RecordSink,
        &mut dyn FnMut(RecordError),
    ) -> Result<DecodeSummary, ObjectError>
    + 'a;

/// `reader` decoded by `how`, with what it gave.
fn decoded_by<R>(
    how: Box<DecodeFn<'_, R>>,
    reader: R,
    key: &str,
    options: &DecodeOptions,
) -> Outcome {
    let info = ObjectInfo {
        key,
        content_encoding: None,
        content_type: None,
        size: None,
    };
    let mut sink = Collect::default();
    let mut errors = Vec::new();
    let result = how(reader, &info, options, &mut sink, &mut |e| errors.push(e));
    Outcome {
        result,
        records: sink.0,
        errors,
    }
}

fn run_reader(reader: impl Read, key: &str, options: &DecodeOptions) -> Outcome {
    decoded_by(
        Box::new(|r, i, o, s, e| decode(r, i, o, s, e)),
        reader,
        key,
        options,
    )
}

/// [`run_reader`] through `decode_read_ahead`.
fn run_reader_ahead(reader: impl Read + Send, key: &str, options: &DecodeOptions) -> Outcome {
    decoded_by(
        Box::new(|r, i, o, s, e| decode_read_ahead(r, i, o, s, e)),
        reader,
        key,
        options,
    )
}

/// Both ways of decoding gave the same records, errors and outcome.
fn assert_same(stream: &Outcome, ahead: &Outcome, what: &str) {
    assert_eq!(stream.records, ahead.records, "{what}: records");
    assert_eq!(stream.errors, ahead.errors, "{what}: bad records");
    match (&stream.result, &ahead.result) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: summary"),
        (Err(a), Err(b)) => {
            assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{what}: {a} / {b}"
            );
            assert_eq!(a.to_string(), b.to_string(), "{what}");
        }
        (a, b) => panic!("{what}: {a:?} / {b:?}"),
    }
}

/// Decodes `data` both as a stream and read ahead, which must agree.
fn run(data: &[u8], key: &str) -> Outcome {
    run_with(data, key, &DecodeOptions::default())
}

fn run_with(data: &[u8], key: &str, options: &DecodeOptions) -> Outcome {
    let stream = run_reader(data, key, options);
    let ahead = run_reader_ahead(data, key, options);
    assert_same(&stream, &ahead, key);
    stream
}

/// A reader that hands out a few bytes at a time, to hit every buffer
/// boundary inside records.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
    next: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.next = self.next % self.step + 1;
        let n = self.next.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[derive(Clone, Copy, Debug)]
enum Comp {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

const ALL: [Comp; 4] = [Comp::None, Comp::Gzip, Comp::Zstd, Comp::Bzip2];

impl Comp {
    fn ext(self) -> &'static str {
        match self {
            Comp::None => "",
            Comp::Gzip => ".gz",
            Comp::Zstd => ".zst",
            Comp::Bzip2 => ".bz2",
        }
    }
    fn detected(self) -> DetectedCompression {
        match self {
            Comp::None => DetectedCompression::None,
            Comp::Gzip => DetectedCompression::Gzip,
            Comp::Zstd => DetectedCompression::Zstd,
            Comp::Bzip2 => DetectedCompression::Bzip2,
        }
    }
    fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Comp::None => data.to_vec(),
            Comp::Gzip => gzip(data),
            Comp::Zstd => zstd::encode_all(data, 3).unwrap(),
            Comp::Bzip2 => {
                let mut enc =
                    bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                enc.write_all(data).unwrap();
                enc.finish().unwrap()
            }
        }
    }
}

const NDJSON: &str = "{\"a\":1}\n{\"b\": \"x y\"}\n{\"c\":[1,2,{\"d\":null}]}\n";
const NDJSON_RECORDS: [&str; 3] = [
    "{\"a\":1}",
    "{\"b\": \"x y\"}",
    "{\"c\":[1,2,{\"d\":null}]}",
];

const CONCATENATED: &str =
    "{\"a\":1}{\"b\":2} {\"c\":3}\n{\n  \"d\": [1, 2],\n  \"e\": \"x y\"\n}\n  {\"f\":true}";
const CONCATENATED_RECORDS: [&str; 5] = [
    "{\"a\":1}",
    "{\"b\":2}",
    "{\"c\":3}",
    "{\"d\":[1,2],\"e\":\"x y\"}",
    "{\"f\":true}",
];

const ARRAY: &str =
    "[\n  {\"a\": 1},\n  {\"b\": [1, 2], \"s\": \"p q\"},\n  \"s\",\n  3,\n  []\n]\n";
const ARRAY_RECORDS: [&str; 5] = [
    "{\"a\":1}",
    "{\"b\":[1,2],\"s\":\"p q\"}",
    "\"s\"",
    "3",
    "[]",
];

const CSV: &str =
    "name,age,note\nalice,30,\"likes, commas\"\nbob,25,\"multi\nline \"\"quoted\"\"\"\n";
const CSV_RECORDS: [&str; 2] = [
    r#"{"name":"alice","age":"30","note":"likes, commas"}"#,
    r#"{"name":"bob","age":"25","note":"multi\nline \"quoted\""}"#,
];

const TSV: &str = "a\tb\n1\t2\n\"x\ty\"\t4\n";
const TSV_RECORDS: [&str; 2] = [r#"{"a":"1","b":"2"}"#, r#"{"a":"x\ty","b":"4"}"#];

fn check_matrix(
    plain: &str,
    key: &str,
    expected: &[&str],
    format: DetectedFormat,
    with_extension_only: bool,
) {
    for comp in ALL {
        let data = comp.compress(plain.as_bytes());
        let full_key = format!("{key}{}", comp.ext());
        let keys: Vec<String> = if with_extension_only {
            vec![full_key]
        } else {
            // Also without any extension: detection from the bytes alone.
            vec![full_key, "object".to_owned()]
        };
        for key in &keys {
            for trickle in [false, true] {
                let out = if trickle {
                    let reader = Trickle {
                        data: &data,
                        step: 7,
                        next: 0,
                    };
                    run_reader(reader, key, &DecodeOptions::default())
                } else {
                    run(&data, key)
                };
                let s = out.summary();
                assert_eq!(out.records, expected, "{comp:?} {key} trickle={trickle}");
                assert!(out.errors.is_empty(), "{comp:?} {key}: {:?}", out.errors);
                assert_eq!(s.records, expected.len() as u64);
                assert_eq!(s.errors, 0);
                assert_eq!(s.format, format, "{comp:?} {key}");
                assert_eq!(s.compression, comp.detected(), "{comp:?} {key}");
                assert_eq!(s.bytes_in, data.len() as u64);
                assert_eq!(s.bytes_out, plain.len() as u64);
            }
        }
    }
}

#[test]
fn ndjson_every_compression() {
    check_matrix(
        NDJSON,
        "logs/x.ndjson",
        &NDJSON_RECORDS,
        DetectedFormat::Ndjson,
        false,
    );
    check_matrix(
        NDJSON,
        "logs/x.jsonl",
        &NDJSON_RECORDS,
        DetectedFormat::Ndjson,
        true,
    );
}

#[test]
fn concatenated_every_compression() {
    check_matrix(
        CONCATENATED,
        "events.json",
        &CONCATENATED_RECORDS,
        DetectedFormat::Concatenated,
        false,
    );
}

#[test]
fn array_every_compression() {
    check_matrix(
        ARRAY,
        "items.json",
        &ARRAY_RECORDS,
        DetectedFormat::JsonArray,
        false,
    );
}

#[test]
fn csv_every_compression() {
    check_matrix(CSV, "people.csv", &CSV_RECORDS, DetectedFormat::Csv, false);
}

#[test]
fn tsv_every_compression() {
    check_matrix(TSV, "t.tsv", &TSV_RECORDS, DetectedFormat::Tsv, true);
}

#[test]
fn empty_every_compression() {
    for plain in ["", "  \n\r\n\t"] {
        for key in ["e.ndjson", "e.json", "e.csv", "e"] {
            check_matrix(plain, key, &[], DetectedFormat::Empty, true);
        }
    }
}

#[test]
fn csv_header_only_has_no_records() {
    let out = run(b"a,b\n", "h.csv");
    let s = out.summary();
    assert_eq!((s.format, s.records, s.errors), (DetectedFormat::Csv, 0, 0));
}

#[test]
fn crlf_bom_and_missing_final_newline() {
    let data = "\u{feff}{\"a\":1}\r\n\r\n{\"b\":2}\r\n   \n{\"c\":3}";
    for key in ["x.ndjson", "x.json", "x"] {
        let out = run(data.as_bytes(), key);
        assert_eq!(
            out.records,
            ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"],
            "{key}"
        );
        assert_eq!(out.summary().format, DetectedFormat::Ndjson, "{key}");
        assert!(out.errors.is_empty());
    }
    // CSV with a BOM, CRLF and no final newline.
    let out = run("\u{feff}k,v\r\na,1\r\nb,2".as_bytes(), "x.csv");
    assert_eq!(
        out.records,
        [r#"{"k":"a","v":"1"}"#, r#"{"k":"b","v":"2"}"#]
    );
}

#[test]
fn csv_blank_lines_are_skipped() {
    let out = run(b"k,v\n\na,1\n\n\nb,2\n\n", "x.csv");
    assert_eq!(
        out.records,
        [r#"{"k":"a","v":"1"}"#, r#"{"k":"b","v":"2"}"#]
    );
    assert!(out.errors.is_empty());
}

#[test]
fn multi_member_gzip() {
    let mut data = gzip(b"{\"a\":1}\n{\"b\":2}\n");
    data.extend(gzip(b"{\"c\":3}\n"));
    data.extend(gzip(b""));
    data.extend(gzip(b"{\"d\":4}"));
    let out = run(&data, "m.ndjson.gz");
    assert_eq!(
        out.records,
        ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"]
    );
    assert_eq!(out.summary().compression, DetectedCompression::Gzip);
}

#[test]
fn multi_frame_zstd_and_multi_stream_bzip2() {
    for comp in [Comp::Zstd, Comp::Bzip2] {
        let mut data = comp.compress(b"{\"a\":1}\n");
        data.extend(comp.compress(b"{\"b\":2}\n"));
        let out = run(&data, "m");
        assert_eq!(out.records, ["{\"a\":1}", "{\"b\":2}"], "{comp:?}");
    }
}

#[test]
fn malformed_ndjson_lines_are_reported_and_skipped() {
    let data = b"{\"a\":1}\n{\"b\":\n{\"c\":3}\nnot json\n{\"d\":4} x\n{\"e\":5}\n";
    let out = run(data, "bad.ndjson");
    let s = out.summary();
    assert_eq!(out.records, ["{\"a\":1}", "{\"c\":3}", "{\"e\":5}"]);
    assert_eq!((s.records, s.errors), (3, 3));
    let got: Vec<(u64, u64)> = out.errors.iter().map(|e| (e.index, e.offset)).collect();
    assert_eq!(got, [(1, 8), (3, 22), (4, 31)]);
    assert_eq!(out.errors[0].sample, b"{\"b\":");
    assert_eq!(out.errors[1].sample, b"not json");
    assert_eq!(out.errors[2].sample, b"{\"d\":4} x");
    assert!(
        out.errors[1].message.contains("invalid JSON"),
        "{}",
        out.errors[1].message
    );
}

#[test]
fn malformed_concatenated_resynchronises_at_next_line() {
    // The same bad lines without the `.ndjson` promise: the concatenated
    // framer tries to continue `{"b":` onto the next line, fails, and
    // resynchronises at the next line that starts a value.
    let data = b"{\"a\":1}\n{\"b\":\n{\"c\":3}\nnot json\n{\"e\":5}\n";
    let out = run(data, "bad.json");
    assert_eq!(out.records, ["{\"a\":1}", "{\"c\":3}", "{\"e\":5}"]);
    let got: Vec<(u64, u64)> = out.errors.iter().map(|e| (e.index, e.offset)).collect();
    assert_eq!(got, [(1, 8), (3, 22)]);

    // A broken pretty-printed value costs one error, not one per line.
    let data = b"{\n  \"a\": 1,\n  \"b\": oops,\n  \"c\": 3\n}\n{\"d\":4}\n";
    let out = run(data, "bad.json");
    assert_eq!(out.records, ["{\"d\":4}"]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].offset, 0);
}

#[test]
fn malformed_array_element_reports_then_corrupt() {
    let data = b"[{\"a\":1}, {\"b\":}, {\"c\":3}]";
    let out = run(data, "a.json");
    assert_eq!(out.records, ["{\"a\":1}"]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!((out.errors[0].index, out.errors[0].offset), (1, 10));
    assert!(matches!(out.result, Err(ObjectError::Corrupt(_))));

    let out = run(b"[1,2", "a.json");
    assert_eq!(out.records, ["1", "2"]);
    assert!(matches!(out.result, Err(ObjectError::Corrupt(_))));
    let out = run(b"[1] 2", "a.json");
    assert!(matches!(out.result, Err(ObjectError::Corrupt(_))));
}

#[test]
fn malformed_csv_rows() {
    let data = b"a,b\n1,2\n3\n4,5,6\n7,8\n";
    let out = run(data, "x.csv");
    assert_eq!(
        out.records,
        [r#"{"a":"1","b":"2"}"#, r#"{"a":"7","b":"8"}"#]
    );
    let got: Vec<(u64, u64, &[u8])> = out
        .errors
        .iter()
        .map(|e| (e.index, e.offset, e.sample.as_slice()))
        .collect();
    assert_eq!(got, [(1, 8, &b"3"[..]), (2, 10, &b"4,5,6"[..])]);
    assert!(out.errors[0].message.contains("1 fields"));
}

fn ndjson_lines(n: usize) -> (String, Vec<String>) {
    let lines: Vec<String> = (0..n)
        .map(|i| format!("{{\"i\":{i},\"msg\":\"event number {i} with some padding text\"}}"))
        .collect();
    (lines.join("\n") + "\n", lines)
}

#[test]
fn truncated_compression_is_corrupt_after_delivering_records() {
    // Several bzip2 blocks (900 kB each): bzip2 only emits whole blocks.
    let (plain, lines) = ndjson_lines(60_000);
    for comp in [Comp::Gzip, Comp::Zstd, Comp::Bzip2] {
        let data = comp.compress(plain.as_bytes());
        let cut = &data[..data.len() * 3 / 4];
        let out = run(cut, "t.ndjson");
        assert!(
            matches!(out.result, Err(ObjectError::Corrupt(_))),
            "{comp:?}: {:?}",
            out.result
        );
        assert!(!out.records.is_empty(), "{comp:?}");
        assert!(out.records.len() < lines.len(), "{comp:?}");
        assert_eq!(out.records[..], lines[..out.records.len()], "{comp:?}");
        assert!(out.errors.is_empty(), "{comp:?}");
    }
    // Cut inside the trailer: every record is there, but the CRC is not.
    let data = gzip(plain.as_bytes());
    let out = run(&data[..data.len() - 3], "t.ndjson");
    assert!(matches!(out.result, Err(ObjectError::Corrupt(_))));
    assert_eq!(out.records.len(), lines.len());
}

#[test]
fn garbage_under_a_compression_claim_is_corrupt() {
    let out = run(&[0u8, 1, 2, 3, 4, 5, 6, 7], "x.json.gz");
    assert!(
        matches!(out.result, Err(ObjectError::Corrupt(_))),
        "{:?}",
        out.result
    );
    let forced = DecodeOptions {
        compression: Compression::Zstd,
        ..DecodeOptions::default()
    };
    let out = run_with(b"{\"a\":1}\n", "x.json", &forced);
    assert!(matches!(out.result, Err(ObjectError::Corrupt(_))));
    // Text under a `.gz` key is read as plain (encoding already removed).
    let out = run(b"{\"a\":1}\n", "x.json.gz");
    assert_eq!(out.records, ["{\"a\":1}"]);
    assert_eq!(out.summary().compression, DetectedCompression::None);
}

/// 1 GiB of zeros as 1024 gzip members of 1 MiB each (~1 MB compressed).
/// 1 GiB of zeros in about 1 MiB: 1024 best-compressed gzip members.
fn gzip_bomb() -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 1024 * 1024]).unwrap();
    e.finish().unwrap().repeat(1024)
}

#[test]
fn decompression_bomb_is_too_large() {
    let bomb = gzip_bomb();
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let by_size = DecodeOptions {
        max_decompressed_bytes: 32 * 1024 * 1024,
        ..DecodeOptions::default()
    };
    let out = run_with(&bomb, "bomb.gz", &by_size);
    match out.result {
        Err(ObjectError::TooLarge(m)) => assert!(m.contains("max_decompressed_bytes"), "{m}"),
        other => panic!("{other:?}"),
    }
    let by_ratio = DecodeOptions {
        max_expansion_ratio: 100,
        ..DecodeOptions::default()
    };
    let out = run_with(&bomb, "bomb.ndjson.gz", &by_ratio);
    match out.result {
        Err(ObjectError::TooLarge(m)) => assert!(m.contains("max_expansion_ratio"), "{m}"),
        other => panic!("{other:?}"),
    }
    // zstd and bzip2 reach far higher ratios than gzip.
    for comp in [Comp::Zstd, Comp::Bzip2] {
        let data = comp.compress(&vec![b' '; 24 * 1024 * 1024]);
        let out = run(&data, "bomb");
        assert!(
            matches!(out.result, Err(ObjectError::TooLarge(_))),
            "{comp:?}: {} bytes, {:?}",
            data.len(),
            out.result
        );
    }
}

#[test]
fn oversized_records_are_errors_not_drops() {
    let small = DecodeOptions {
        max_record_bytes: 1024,
        ..DecodeOptions::default()
    };
    let big = format!("{{\"big\":\"{}\"}}", "x".repeat(10_000));
    // NDJSON, strict and not.
    for key in ["o.ndjson", "o.json"] {
        let data = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
        let out = run_with(data.as_bytes(), key, &small);
        assert_eq!(out.records, ["{\"a\":1}", "{\"b\":2}"], "{key}");
        assert_eq!(out.errors.len(), 1, "{key}");
        let e = &out.errors[0];
        assert_eq!((e.index, e.offset), (1, 8));
        assert!(e.message.contains("max_record_bytes"), "{}", e.message);
        assert_eq!(e.sample.len(), 4096);
    }
    // Larger than the decoder's whole window: skipped without buffering.
    let huge = format!("{{\"big\":\"{}\"}}", "x".repeat(3_000_000));
    let data = format!("{{\"a\":1}}\n{huge}\n{{\"b\":2}}\n");
    for key in ["o.ndjson", "o.json"] {
        let out = run_with(data.as_bytes(), key, &small);
        assert_eq!(out.records, ["{\"a\":1}", "{\"b\":2}"], "{key}");
        assert_eq!(out.errors.len(), 1, "{key}");
    }
    // Array element: reported, skipped, the rest goes on.
    let data = format!("[{{\"a\":1}}, {huge}, {{\"b\":2}}]");
    let out = run_with(data.as_bytes(), "o.json", &small);
    assert_eq!(out.records, ["{\"a\":1}", "{\"b\":2}"]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.summary().format, DetectedFormat::JsonArray);
    // CSV row.
    let data = format!("k,v\na,1\nb,\"{}\"\nc,3\n", "y".repeat(3_000_000));
    let out = run_with(data.as_bytes(), "o.csv", &small);
    assert_eq!(
        out.records,
        [r#"{"k":"a","v":"1"}"#, r#"{"k":"c","v":"3"}"#]
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].offset, 8);
    // Default limit: 1 MiB.
    let data = format!("{huge}\n{{\"b\":2}}\n");
    let out = run(data.as_bytes(), "o.ndjson");
    assert_eq!(out.records, ["{\"b\":2}"]);
    assert_eq!(out.errors.len(), 1);
}

#[test]
fn non_utf8_records_are_errors() {
    let data = b"{\"a\":\"ok\"}\n{\"a\":\"\xff\xfe\"}\n{\"a\":\"\xc3\xa9\"}\n";
    for key in ["u.ndjson", "u.json"] {
        let out = run(data, key);
        assert_eq!(out.records, ["{\"a\":\"ok\"}", "{\"a\":\"é\"}"], "{key}");
        assert_eq!(out.errors.len(), 1);
        assert!(out.errors[0].message.contains("UTF-8"));
        assert_eq!(out.errors[0].offset, 11);
    }
    let out = run(b"k\nok\n\xff\n", "u.csv");
    assert_eq!(out.records, [r#"{"k":"ok"}"#]);
    assert_eq!(out.errors.len(), 1);
}

/// Yields `data`, then fails like a dropped connection.
struct FailingSource<'a> {
    data: &'a [u8],
}

impl Read for FailingSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ));
        }
        let n = buf.len().min(self.data.len()).min(4096);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn failing_source_is_source_not_corrupt() {
    let (plain, lines) = ndjson_lines(20_000);
    for comp in ALL {
        let data = comp.compress(plain.as_bytes());
        let half = &data[..data.len() / 2];
        let out = run_reader(
            FailingSource { data: half },
            "f.ndjson",
            &DecodeOptions::default(),
        );
        match &out.result {
            Err(ObjectError::Source(e)) => {
                assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{comp:?}")
            }
            other => panic!("{comp:?}: {other:?}"),
        }
        assert_eq!(out.records[..], lines[..out.records.len()], "{comp:?}");
    }
    // Failing before the first byte.
    let out = run_reader(FailingSource { data: b"" }, "f", &DecodeOptions::default());
    assert!(matches!(out.result, Err(ObjectError::Source(_))));
    // Read ahead: the same, at the same place (the whole object this time,
    // to fail past the first blocks).
    for comp in ALL {
        let data = comp.compress(plain.as_bytes());
        let cut = &data[..data.len() - data.len() / 8];
        let source = || FailingSource { data: cut };
        let options = DecodeOptions::default();
        let stream = run_reader(source(), "f.ndjson", &options);
        let ahead = run_reader_ahead(source(), "f.ndjson", &options);
        assert_same(&stream, &ahead, &format!("{comp:?}"));
        assert!(
            matches!(ahead.result, Err(ObjectError::Source(_))),
            "{comp:?}"
        );
    }
    let out = run_reader_ahead(FailingSource { data: b"" }, "f", &DecodeOptions::default());
    assert!(matches!(out.result, Err(ObjectError::Source(_))));
}

/// Several MiB of NDJSON with a bit of everything, so that records and bad
/// lines fall across the blocks a file is read ahead in, some longer than
/// the room in front of a block: read ahead or not, the same outcome.
#[test]
fn read_ahead_across_blocks() {
    let mut data = String::new();
    let mut expected = 0usize;
    let mut i = 0usize;
    while data.len() < 5_000_000 {
        match i % 97 {
            0 => data.push_str("not json\n"),
            1 => data.push('\n'),
            2 => {
                data.push_str(&format!("{{\"long\":\"{}\"}}\n", "y".repeat(70_000 + i)));
                expected += 1;
            }
            3 => {
                data.push_str(&format!("{{\"crlf\":{i}}} \r\n"));
                expected += 1;
            }
            4 => {
                data.push_str(&format!("{{\"é\": \"{i}\", \"n\": [1, 2]}}\n"));
                expected += 1;
            }
            _ => {
                data.push_str(&format!(
                    "{{\"i\":{i},\"s\":\"{}\",\"q\":\"a\\\"b\"}}\n",
                    "x".repeat(i % 300)
                ));
                expected += 1;
            }
        }
        i += 1;
    }
    for key in ["r.ndjson", "r.json"] {
        let out = run(data.as_bytes(), key);
        assert_eq!(out.records.len(), expected, "{key}");
        assert_eq!(out.errors.len(), i.div_ceil(97), "{key}");
    }
    let small = DecodeOptions {
        max_record_bytes: 50_000,
        ..DecodeOptions::default()
    };
    let out = run_with(data.as_bytes(), "r.ndjson", &small);
    assert!(out.errors.len() > i.div_ceil(97));
    let out = run(&gzip(data.as_bytes()), "r.ndjson.gz");
    assert_eq!(out.records.len(), expected);
}

#[test]
fn sink_failure_stops_decoding() {
    struct Full(u32);
    impl RecordSink for Full {
        fn records(&mut self, _: RecordBatch<'_>) -> io::Result<()> {
            self.0 += 1;
            Err(io::Error::other("disk full"))
        }
    }
    let mut sink = Full(0);
    let info = ObjectInfo {
        key: "s.ndjson",
        ..ObjectInfo::default()
    };
    let result = decode(
        NDJSON.as_bytes(),
        &info,
        &DecodeOptions::default(),
        &mut sink,
        &mut |_| {},
    );
    assert!(matches!(result, Err(ObjectError::Sink(_))));
    assert_eq!(sink.0, 1, "nothing more is handed to a failed sink");
}

#[test]
fn forced_formats_and_content_type() {
    let opts = |format| DecodeOptions {
        format,
        ..DecodeOptions::default()
    };
    // `json-array` forced on an unnamed key.
    let out = run_with(ARRAY.as_bytes(), "x", &opts(RecordFormat::JsonArray));
    assert_eq!(out.records, ARRAY_RECORDS);
    // `ndjson` forced: one value per line, so packed values are errors.
    let out = run_with(
        b"{\"a\":1}{\"b\":2}\n{\"c\":3}\n",
        "x.json",
        &opts(RecordFormat::Ndjson),
    );
    assert_eq!(out.records, ["{\"c\":3}"]);
    assert_eq!(out.errors.len(), 1);
    // `json`: concatenated.
    let out = run_with(CONCATENATED.as_bytes(), "x.csv", &opts(RecordFormat::Json));
    assert_eq!(out.records, CONCATENATED_RECORDS);
    // `tsv` forced on a .csv key.
    let out = run_with(TSV.as_bytes(), "x.csv", &opts(RecordFormat::Tsv));
    assert_eq!(out.records, TSV_RECORDS);
    // Content-Type when the key says nothing.
    let info = ObjectInfo {
        key: "noext",
        content_encoding: None,
        content_type: Some("text/tab-separated-values; charset=utf-8"),
        size: None,
    };
    let mut sink = Collect::default();
    let s = decode(
        TSV.as_bytes(),
        &info,
        &DecodeOptions::default(),
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s.format, DetectedFormat::Tsv);
    assert_eq!(sink.0, TSV_RECORDS);
}

#[test]
fn concatenated_on_one_long_line() {
    // Values packed with no newline at all, well past the window size.
    let one = "{\"k\":\"0123456789012345678901234567890123456789\"}";
    let data = one.repeat(100_000);
    let out = run(data.as_bytes(), "packed");
    let s = out.summary();
    assert_eq!(s.records, 100_000);
    assert_eq!(s.errors, 0);
    assert_eq!(s.format, DetectedFormat::Concatenated);
    assert!(out.records.iter().all(|r| r == one));
}

#[test]
fn large_ndjson_across_buffers_with_trickle() {
    let (plain, lines) = ndjson_lines(50_000);
    let data = gzip(plain.as_bytes());
    let reader = Trickle {
        data: &data,
        step: 997,
        next: 0,
    };
    let out = run_reader(reader, "big", &DecodeOptions::default());
    assert_eq!(out.records, lines);
    assert_eq!(out.summary().format, DetectedFormat::Ndjson);
}

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/assets/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn sample_files() {
    let out = run(&sample("events.ndjson.gz"), "samples/events.ndjson.gz");
    let s = out.summary();
    assert_eq!(
        (s.compression, s.format, s.records, s.errors),
        (DetectedCompression::Gzip, DetectedFormat::Ndjson, 4, 0)
    );
    assert!(out.records[2].contains(r#""msg":"card declined: \"insufficient funds\"""#));
    assert!(out.records[3].contains("créé"));

    let out = run(&sample("concatenated.json"), "samples/concatenated.json");
    let s = out.summary();
    assert_eq!(
        (s.format, s.records, s.errors),
        (DetectedFormat::Concatenated, 5, 0)
    );
    assert_eq!(
        out.records[3],
        r#"{"id":4,"kind":"purchase","items":[{"sku":"A-1","qty":2},{"sku":"B 2","qty":1}]}"#
    );

    let out = run(&sample("array.json.zst"), "samples/array.json.zst");
    let s = out.summary();
    assert_eq!(
        (s.compression, s.format, s.records),
        (DetectedCompression::Zstd, DetectedFormat::JsonArray, 3)
    );
    assert_eq!(
        out.records[1],
        r#"{"user":"grace","action":"upload","bytes":1048576,"path":"/a b/c.txt"}"#
    );

    let out = run(&sample("quoted.csv"), "samples/quoted.csv");
    assert_eq!(
        out.records,
        [
            r#"{"id":"1","name":"Ada","comment":"likes commas, and \"quotes\""}"#,
            r#"{"id":"2","name":"Grace","comment":"two\r\nlines"}"#,
            r#"{"id":"3","name":"Linus","comment":"plain"}"#,
        ]
    );

    let out = run(&sample("access.tsv"), "samples/access.tsv");
    assert_eq!(
        out.records,
        [
            r#"{"host":"web-1","status":"200","path":"/index.html"}"#,
            r#"{"host":"web-2","status":"404","path":"/missing"}"#,
        ]
    );
    assert_eq!(out.summary().format, DetectedFormat::Tsv);
}

#[test]
fn records_are_valid_json() {
    // Everything the sink receives parses, and compacted records equal
    // serde_json's own compact form.
    for (data, key) in [
        (CONCATENATED, "c.json"),
        (ARRAY, "a.json"),
        (CSV, "c.csv"),
        (TSV, "t.tsv"),
    ] {
        let out = run(data.as_bytes(), key);
        for r in &out.records {
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), *r, "{key}");
        }
    }
}

/// The full benchmark (minutes, and meaningless unoptimised):
/// `cargo test --release --test it -- --ignored decode::bench_full --nocapture`.
#[test]
#[ignore = "benchmark: run explicitly with --release"]
fn bench_full() {
    let options = sluice::consume::bench::BenchOptions::default();
    let report = sluice::consume::bench::run(&options, &mut io::stdout()).unwrap();
    assert_eq!(report.rows.len(), 6);
}

/// NDJSON compressed as `zstd --long=31` writes it: a 2 GiB window.
fn zstd_long_window(records: usize) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.long_distance_matching(true).unwrap();
    encoder.window_log(31).unwrap();
    for i in 0..records {
        writeln!(encoder, "{{\"i\":{i}}}").unwrap();
    }
    encoder.finish().unwrap()
}

#[test]
fn a_long_window_zstd_object_names_its_window_and_decodes_when_allowed() {
    let data = zstd_long_window(1000);
    let out = run(&data, "big.ndjson.zst");
    match out.result {
        Err(ObjectError::TooLarge(m)) => assert!(
            m.contains(
                "zstd window of 2 GiB exceeds the limit of 128 MiB; raise --max-zstd-window-mib"
            ),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let allowed = DecodeOptions {
        max_zstd_window_mib: 2048,
        ..DecodeOptions::default()
    };
    let out = run_with(&data, "big.ndjson.zst", &allowed);
    assert_eq!(out.summary().records, 1000);
    assert_eq!(out.records.len(), 1000);
    assert_eq!(out.records[999], "{\"i\":999}");
}
