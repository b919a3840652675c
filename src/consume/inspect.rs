//! One object, decoded the way the consumer decodes it: what `sluice decode`
//! runs on a local file or `s3://bucket/key`, and what the wizard's data
//! preview runs on the start of the newest object. No UI code here.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::str::FromStr;

use super::decode::{
    DecodeOptions, DecodeSummary, ObjectError, ObjectInfo, RecordBatch, RecordError, RecordSink,
    decode, decode_read_ahead,
};
use super::sink::{SinkSpec, SinkWriter};
use crate::aws::error::{AwsError, classify};
use crate::aws::{AwsOptions, Clients};

/// Where an object is: a local file, or `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    S3 { bucket: String, key: String },
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("s3://") {
            Some(rest) => match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Source::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }),
                _ => Err(format!("{s}: expected s3://bucket/key")),
            },
            None if s.is_empty() => Err("expected a file or s3://bucket/key".to_owned()),
            None => Ok(Source::File(PathBuf::from(s))),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// An object opened for decoding: its bytes and what is known about it.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    /// The key (or file name) whose extensions guide `auto` detection.
    pub key: String,
    pub content_encoding: Option<String>,
    pub content_type: Option<String>,
    /// The stored size, when the whole object is read.
    pub size: Option<u64>,
    /// Read on a thread of its own, ahead of the decoder (a local file:
    /// see [`decode_read_ahead`]).
    pub read_ahead: bool,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("key", &self.key)
            .field("size", &self.size)
            .field("read_ahead", &self.read_ahead)
            .finish_non_exhaustive()
    }
}

impl Opened {
    /// Bytes already in memory: all of the object, or (`partial`) its start.
    pub fn from_bytes(
        key: &str,
        bytes: Vec<u8>,
        partial: bool,
        content_type: Option<String>,
        content_encoding: Option<String>,
    ) -> Opened {
        let size = (!partial).then_some(bytes.len() as u64);
        Opened {
            reader: Box::new(std::io::Cursor::new(bytes)),
            key: key.to_owned(),
            content_encoding,
            content_type,
            size,
            read_ahead: false,
        }
    }
}

/// Why an object could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Opens `source` as a stream (S3 objects are read as they are decoded: call
/// [`decode_opened`] on a blocking thread). An S3 object is read with clients
/// made from `options` (their region, or us-east-1: S3 redirects).
pub async fn open(source: &Source, options: &AwsOptions) -> Result<Opened, OpenError> {
    match source {
        Source::File(path) => open_file(path),
        Source::S3 { .. } => {
            let region = options.region.as_deref().unwrap_or("us-east-1");
            open_object(source, &Clients::load(options, region).await).await
        }
    }
}

/// Opens an S3 `source` with `clients`.
pub async fn open_object(source: &Source, clients: &Clients) -> Result<Opened, OpenError> {
    match source {
        Source::File(path) => open_file(path),
        Source::S3 { bucket, key } => {
            let object = clients
                .s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| classify("s3:GetObject", source.to_string(), e))?;
            let reader = tokio_util::io::SyncIoBridge::new(object.body.into_async_read());
            Ok(Opened {
                reader: Box::new(reader),
                key: key.clone(),
                content_encoding: object.content_encoding,
                content_type: object.content_type,
                size: object.content_length.and_then(|n| u64::try_from(n).ok()),
                read_ahead: false,
            })
        }
    }
}

/// Local files at least this large are read ahead of the decoder.
const READ_AHEAD_MIN: u64 = 4 * 1024 * 1024;

/// Opens a local file.
pub fn open_file(path: &std::path::Path) -> Result<Opened, OpenError> {
    let file = std::fs::File::open(path).map_err(|error| OpenError::File {
        path: path.to_owned(),
        error,
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok(Opened {
        reader: Box::new(file),
        key: path.display().to_string(),
        content_encoding: None,
        content_type: None,
        size,
        read_ahead: size.is_some_and(|n| n >= READ_AHEAD_MIN),
    })
}

/// What decoding one object gave.
#[derive(Debug)]
pub struct Decoded {
    /// The summary, or why the object could not be decoded to its end
    /// (records before that were delivered).
    pub result: Result<DecodeSummary, ObjectError>,
    /// The first bad records (at most the `keep_errors` asked for).
    pub errors: Vec<RecordError>,
    /// Every bad record, kept or not.
    pub error_count: u64,
}

/// Decodes `opened` into `sink`, keeping the first `keep_errors` bad records.
/// Blocking: the reader may wait on the network.
pub fn decode_opened(
    opened: Opened,
    options: &DecodeOptions,
    sink: &mut dyn RecordSink,
    keep_errors: usize,
) -> Decoded {
    let info = ObjectInfo {
        key: &opened.key,
        content_encoding: opened.content_encoding.as_deref(),
        content_type: opened.content_type.as_deref(),
        size: opened.size,
    };
    let mut errors = Vec::new();
    let mut error_count = 0u64;
    let mut on_error = |e| {
        error_count += 1;
        if errors.len() < keep_errors {
            errors.push(e);
        }
    };
    let result = if opened.read_ahead {
        decode_read_ahead(opened.reader, &info, options, sink, &mut on_error)
    } else {
        decode(opened.reader, &info, options, sink, &mut on_error)
    };
    Decoded {
        result,
        errors,
        error_count,
    }
}

/// Why `sluice decode` could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot write the records to {sink}: {error}")]
    Sink { sink: String, error: std::io::Error },
    #[error("decoding stopped: {0}")]
    Stopped(String),
}

/// `sluice decode`: `source` decoded into `sink`, committed at the end; the
/// first 1000 bad records kept.
pub async fn decode_to_sink(
    source: &Source,
    aws: &AwsOptions,
    options: &DecodeOptions,
    sink: &SinkSpec,
) -> Result<Decoded, DecodeError> {
    let sink_error = |error| DecodeError::Sink {
        sink: sink.to_string(),
        error,
    };
    let opened_sink = super::sink::open(sink).map_err(sink_error)?;
    let mut writer = opened_sink.writer().map_err(sink_error)?;
    let opened = open(source, aws).await?;
    let options = options.clone();
    let (decoded, committed) = tokio::task::spawn_blocking(move || {
        let decoded = decode_opened(opened, &options, &mut Writer(writer.as_mut()), 1000);
        (decoded, writer.commit())
    })
    .await
    .map_err(|e| DecodeError::Stopped(e.to_string()))?;
    committed.map_err(sink_error)?;
    Ok(decoded)
}

/// A sink's writer as the decoder's record sink.
struct Writer<'a>(&'a mut dyn SinkWriter);

impl RecordSink for Writer<'_> {
    fn records(&mut self, batch: RecordBatch<'_>) -> std::io::Result<()> {
        self.0.records(batch.as_ndjson())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_print() {
        assert_eq!(
            "s3://b/k/x.gz".parse::<Source>(),
            Ok(Source::S3 {
                bucket: "b".into(),
                key: "k/x.gz".into()
            })
        );
        assert_eq!(
            "data/x.ndjson".parse::<Source>(),
            Ok(Source::File("data/x.ndjson".into()))
        );
        for bad in ["s3://", "s3://b", "s3://b/", "s3:///k", ""] {
            assert!(bad.parse::<Source>().is_err(), "{bad}");
        }
        assert_eq!(
            "s3://b/k".parse::<Source>().unwrap().to_string(),
            "s3://b/k"
        );
    }

    struct Count(u64);
    impl RecordSink for Count {
        fn records(&mut self, batch: RecordBatch<'_>) -> std::io::Result<()> {
            self.0 += batch.len();
            Ok(())
        }
    }

    #[test]
    fn bad_records_are_counted_and_the_first_kept() {
        let opened = Opened::from_bytes("x.ndjson", b"1\nx\ny\n2\n".to_vec(), false, None, None);
        let mut sink = Count(0);
        let decoded = decode_opened(opened, &DecodeOptions::default(), &mut sink, 1);
        assert_eq!(sink.0, 2);
        assert_eq!(decoded.error_count, 2);
        assert_eq!(decoded.errors.len(), 1);
        assert_eq!(decoded.errors[0].index, 1);
        assert_eq!(decoded.result.unwrap().records, 2);
    }
}
