//! The data preview of the wizard's "Preview data" screen: list the newest
//! objects under the prefix (with the suffix), count those older than our
//! notification, and fetch the newest one to decode its first records with
//! the consumer's decoder ([`super::inspect`]). No terminal code here.

use std::time::SystemTime;

use super::decode::{DecodeOptions, ObjectError, RecordBatch, RecordSink};
use super::inspect::{Opened, decode_opened};
use crate::aws::Clients;
use crate::aws::error::classify;
use crate::spec::{Compression, RecordFormat, Spec};

/// How many objects are listed at most (ten pages).
pub const LIST_CAP: usize = 10_000;
/// How many of the newest objects are shown.
pub const NEWEST: usize = 8;
/// How many bytes of the newest object are read for the sample (smaller
/// objects are read whole, so their compression and format are certain).
pub const SAMPLE_BYTES: u64 = 8 * 1024 * 1024;
/// How many decoded records are shown.
pub const SAMPLE_RECORDS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: i64,
    pub last_modified: Option<SystemTime>,
}

/// What the newest object decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub key: String,
    /// How many bytes were read (the sample is at most [`SAMPLE_BYTES`]).
    pub bytes: usize,
    /// Whether the object is larger than what was read.
    pub partial: bool,
    pub compression: String,
    pub format: String,
    /// The first records, each as one line of JSON.
    pub records: Vec<String>,
    /// How many records the sample held.
    pub decoded: u64,
    /// Decode errors, each with where it happened.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataReport {
    pub bucket: String,
    pub prefix: String,
    pub suffix: String,
    /// Newest first.
    pub newest: Vec<ObjectSummary>,
    /// Objects under the prefix that end with the suffix.
    pub matching: usize,
    /// False when listing stopped at [`LIST_CAP`].
    pub complete: bool,
    /// Matching objects last modified before `cutoff`.
    pub predating: usize,
    /// When our notification was put in place (this session's apply), if known.
    pub cutoff: Option<SystemTime>,
    /// The newest object's first records, or why there are none.
    pub sample: Option<Result<Sample, String>>,
}

/// The `--modified-before` that selects the objects predating a notification
/// put in place at `at`: the next whole second. S3's LastModified has whole
/// seconds, so an object written in that second before the notification
/// shows as `at`'s second and must be included; one written in it just after
/// is then sent a second time, which consumers tolerate, rather than never.
pub fn backfill_cutoff(at: SystemTime) -> chrono::DateTime<chrono::Utc> {
    let at = chrono::DateTime::<chrono::Utc>::from(at);
    let second = at.timestamp();
    let ceiling = if at.timestamp_subsec_nanos() > 0 {
        second + 1
    } else {
        second
    };
    chrono::DateTime::from_timestamp(ceiling, 0).unwrap_or(at)
}

/// The backfill command that queues exactly the objects predating the
/// notification put in place at `cutoff` (all that match, when unknown).
pub fn backfill_command(config: &str, cutoff: Option<SystemTime>) -> String {
    match cutoff {
        Some(at) => format!(
            "sluice backfill --config {config} --modified-before {}",
            backfill_cutoff(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => format!("sluice backfill --config {config} --modified-before TIME"),
    }
}

/// Lists and samples the bucket of `spec`.
pub async fn fetch(
    clients: &Clients,
    spec: &Spec,
    cutoff: Option<SystemTime>,
) -> Result<DataReport, String> {
    let bucket = &spec.bucket.name;
    let (prefix, suffix) = spec.key_filter();
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    let mut complete = true;
    loop {
        let page = clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| classify("s3:ListBucket", bucket.as_str(), e).to_string())?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if !key.ends_with(suffix) {
                continue;
            }
            objects.push(ObjectSummary {
                key: key.to_owned(),
                size: object.size().unwrap_or_default(),
                last_modified: object
                    .last_modified()
                    .and_then(|t| SystemTime::try_from(*t).ok()),
            });
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() || !page.is_truncated().unwrap_or(false) {
            break;
        }
        if objects.len() >= LIST_CAP {
            complete = false;
            break;
        }
    }
    let matching = objects.len();
    let predating = match cutoff {
        Some(cutoff) => {
            let before = SystemTime::from(backfill_cutoff(cutoff));
            objects
                .iter()
                .filter(|o| o.last_modified.is_some_and(|t| t < before))
                .count()
        }
        None => matching,
    };
    objects.sort_by(|a, b| {
        b.last_modified
            .cmp(&a.last_modified)
            .then(a.key.cmp(&b.key))
    });
    objects.truncate(NEWEST);
    let sample = match objects.first() {
        Some(newest) => Some(sample(clients, spec, newest).await),
        None => None,
    };
    Ok(DataReport {
        bucket: bucket.clone(),
        prefix: prefix.to_owned(),
        suffix: suffix.to_owned(),
        newest: objects,
        matching,
        complete,
        predating,
        cutoff,
        sample,
    })
}

async fn sample(clients: &Clients, spec: &Spec, object: &ObjectSummary) -> Result<Sample, String> {
    let bucket = &spec.bucket.name;
    let got = clients
        .s3
        .get_object()
        .bucket(bucket)
        .key(&object.key)
        .range(format!("bytes=0-{}", SAMPLE_BYTES - 1))
        .send()
        .await
        .map_err(|e| {
            classify("s3:GetObject", format!("s3://{bucket}/{}", object.key), e).to_string()
        })?;
    let content_type = got.content_type().map(str::to_owned);
    let content_encoding = got.content_encoding().map(str::to_owned);
    let bytes = got
        .body
        .collect()
        .await
        .map_err(|e| format!("reading s3://{bucket}/{}: {e}", object.key))?
        .into_bytes();
    let partial = i64::try_from(bytes.len()).is_ok_and(|n| n < object.size);
    let (key, format, compression) = (
        object.key.clone(),
        spec.consumer.format,
        spec.consumer.compression,
    );
    tokio::task::spawn_blocking(move || {
        decode_sample(
            &key,
            bytes.to_vec(),
            partial,
            format,
            compression,
            content_type,
            content_encoding,
        )
    })
    .await
    .map_err(|e| format!("decoding stopped: {e}"))
}

/// Keeps the first records and counts the rest.
struct FirstRecords {
    records: Vec<String>,
    count: u64,
}

impl RecordSink for FirstRecords {
    fn records(&mut self, batch: RecordBatch<'_>) -> std::io::Result<()> {
        let wanted = SAMPLE_RECORDS.saturating_sub(self.records.len());
        for json in batch.iter().take(wanted) {
            self.records
                .push(String::from_utf8_lossy(json).into_owned());
        }
        self.count += batch.len();
        Ok(())
    }
}

/// The compression a sample starts with, by the magic bytes the decoder
/// also looks at first (used only when a cut sample cannot be decoded to its end).
fn magic(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        "gzip"
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd"
    } else if bytes.starts_with(b"BZh") {
        "bzip2"
    } else {
        "none"
    }
}

/// Decodes `bytes` (the start of object `key` when `partial`) with the
/// consumer's decoder and the spec's format and compression settings.
pub fn decode_sample(
    key: &str,
    bytes: Vec<u8>,
    partial: bool,
    format: RecordFormat,
    compression: Compression,
    content_type: Option<String>,
    content_encoding: Option<String>,
) -> Sample {
    let options = DecodeOptions {
        format,
        compression,
        ..DecodeOptions::default()
    };
    let length = bytes.len();
    let magic = magic(&bytes);
    let opened = Opened::from_bytes(key, bytes, partial, content_type, content_encoding);
    let mut sink = FirstRecords {
        records: Vec::new(),
        count: 0,
    };
    // One more than shown: the last error of a cut sample may be dropped below.
    let decoded = decode_opened(opened, &options, &mut sink, SAMPLE_RECORDS + 1);
    let (result, mut record_errors, error_count) =
        (decoded.result, decoded.errors, decoded.error_count);
    let mut errors = Vec::new();
    let cut = if partial {
        " (the sample is the object's first bytes only)"
    } else {
        ""
    };
    // The last record of a cut sample is cut too: not the data's fault.
    let mut error_count = error_count;
    if partial
        && error_count > 0
        && record_errors.len() as u64 == error_count
        && record_errors
            .last()
            .is_some_and(|e| e.index + 1 == sink.count + error_count)
    {
        record_errors.pop();
        error_count -= 1;
    }
    let (compression, format) = match &result {
        Ok(summary) => (
            summary.compression.as_str().to_owned(),
            summary.format.as_str().to_owned(),
        ),
        Err(e) => {
            if !(partial && matches!(e, ObjectError::Corrupt(_))) {
                errors.push(format!("{e}{cut}"));
            }
            (
                format!("{magic} (by its first bytes)"),
                "not determined: the sample ends mid-stream".to_owned(),
            )
        }
    };
    for e in record_errors.iter().take(SAMPLE_RECORDS) {
        errors.push(format!(
            "record {} (byte {}): {}",
            e.index + 1,
            e.offset,
            e.message
        ));
    }
    if error_count > SAMPLE_RECORDS as u64 {
        errors.push(format!(
            "… {} more",
            crate::words::count(error_count - SAMPLE_RECORDS as u64, "bad record")
        ));
    }
    Sample {
        key: key.to_owned(),
        bytes: length,
        partial,
        compression,
        format,
        records: sink.records,
        decoded: sink.count,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_decodes_with_the_consumers_decoder() {
        let text = b"{\"a\":1}\n{\"a\":2}\nnot json\n";
        let sample = decode_sample(
            "logs/x.ndjson",
            text.to_vec(),
            false,
            RecordFormat::Auto,
            Compression::Auto,
            None,
            None,
        );
        assert_eq!(sample.compression, "none");
        assert_eq!(sample.format, "ndjson");
        assert_eq!(sample.records, ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(sample.decoded, 2);
        assert_eq!(sample.errors.len(), 1, "{:?}", sample.errors);
        assert!(
            sample.errors[0].starts_with("record 3"),
            "{:?}",
            sample.errors
        );
    }

    #[test]
    fn the_cut_end_of_a_partial_sample_is_not_an_error() {
        let text = b"{\"a\":1}\n{\"a\":2}\n{\"a\":";
        let sample = decode_sample(
            "logs/x.ndjson",
            text.to_vec(),
            true,
            RecordFormat::Auto,
            Compression::Auto,
            None,
            None,
        );
        assert_eq!(sample.decoded, 2);
        assert!(sample.errors.is_empty(), "{:?}", sample.errors);
    }
}
