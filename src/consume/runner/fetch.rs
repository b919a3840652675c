//! Fetch and decode: an object's GetObject, its body read whole or
//! streamed, and decoded (on the blocking pool, or inline when small) into
//! the message's sink writer.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Shared, kind_name, sample_for};
use crate::aws::error::{ErrorKind, classify};
use crate::consume::decode::{
    DecodeOptions, ObjectError, ObjectInfo, RecordBatch, RecordError, RecordSink, decode,
};
use crate::consume::event::ObjectRef;
use crate::consume::metrics::Metrics;
use crate::consume::sink::{Quarantine, SinkWriter, source_fields, with_source};
pub(super) enum Fetched {
    Ok {
        errors: u64,
        /// Records written (committed with the message).
        records: u64,
    },
    /// The sink refused the records.
    SinkFailed(String),
    NotFound,
    /// Access denied, throttling, network: leave the message for a retry.
    Transient,
    /// The object does not decompress or frame (policy decides); the records
    /// before the fault were written and are committed with the message.
    Undecodable {
        records: u64,
    },
    /// Aborted by shutdown.
    Stopped,
}

/// The decoder's sink: counts, adds source fields, stops on abort.
struct Feed<'a> {
    writer: &'a mut dyn SinkWriter,
    fields: Option<Vec<u8>>,
    /// A batch with the source fields added, and one record of it.
    buffer: Vec<u8>,
    record: Vec<u8>,
    metrics: &'a Metrics,
    pending: u64,
    abort: &'a CancellationToken,
    stopped: bool,
}

impl RecordSink for Feed<'_> {
    fn records(&mut self, batch: RecordBatch<'_>) -> std::io::Result<()> {
        // Checking the token takes a lock: once a batch is often enough.
        if self.abort.is_cancelled() {
            self.stopped = true;
            return Err(std::io::Error::other("stopping"));
        }
        match &self.fields {
            Some(fields) => {
                self.buffer.clear();
                for json in batch.iter() {
                    with_source(json, fields, &mut self.record);
                    self.buffer.extend_from_slice(&self.record);
                    self.buffer.push(b'\n');
                }
                self.writer.records(&self.buffer)?;
            }
            None => self.writer.records(batch.as_ndjson())?,
        }
        self.pending += batch.len();
        if self.pending >= 1024 {
            self.metrics
                .add(&self.metrics.counters.records, self.pending);
            self.pending = 0;
        }
        Ok(())
    }
}

/// Objects up to this size are read whole before decoding; larger ones are
/// streamed. Reading small objects in one piece saves a thread hand-off per
/// body chunk, and memory stays bounded (concurrency × this).
const READ_WHOLE_MAX: u64 = 256 * 1024;

/// Objects up to this size are decoded on the runtime's own thread when
/// nothing in the decode can block (the null sink, no quarantine): a hand-off
/// to the blocking pool and back costs more than decoding them. The decode is
/// bounded by the decompression limits like any other.
const DECODE_INLINE_MAX: u64 = 64 * 1024;

pub(super) async fn fetch_and_decode(
    shared: &Arc<Shared>,
    object: &ObjectRef,
    message_id: &str,
    writer: Box<dyn SinkWriter>,
) -> (Box<dyn SinkWriter>, Fetched) {
    let metrics = shared.metrics.clone();
    let request = shared
        .clients
        .s3
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        // The version the event names: a later write of the key, or a
        // delete marker over it, must not change what this event delivers.
        .set_version_id(object.version_id.clone())
        .send();
    let got = tokio::select! {
        got = request => got,
        () = shared.control.abort.cancelled() => return (writer, Fetched::Stopped),
    };
    let output = match got {
        Ok(o) => o,
        Err(e) => {
            let e = classify(
                "s3:GetObject",
                format!("s3://{}/{}", object.bucket, object.key),
                e,
            );
            if e.kind == ErrorKind::NotFound {
                return (writer, Fetched::NotFound);
            }
            metrics.api_error(kind_name(e.kind));
            if e.kind == ErrorKind::Credentials {
                shared.refused("s3:GetObject", &e, "");
                return (writer, Fetched::Stopped);
            }
            let mut sample = sample_for(Some(object), &e.to_string(), None, None);
            sample.message_id = message_id.to_owned();
            metrics.error(sample);
            tracing::warn!(error = %e, "fetch failed; the message is left for a retry");
            return (writer, Fetched::Transient);
        }
    };
    let size = output.content_length.and_then(|n| u64::try_from(n).ok());
    let job = DecodeJob {
        object: object.clone(),
        content_encoding: output.content_encoding.clone(),
        content_type: output.content_type.clone(),
        size,
        options: shared.options.decode.clone(),
        quarantine: shared.options.quarantine.clone(),
        fields: shared
            .options
            .add_source
            .then(|| source_fields(&object.bucket, &object.key, object.event_time.as_deref())),
        metrics,
        abort: shared.control.abort.clone(),
        message_id: message_id.to_owned(),
    };
    let joined = if size.is_some_and(|n| n <= READ_WHOLE_MAX) {
        let body = tokio::select! {
            body = output.body.collect() => body,
            () = shared.control.abort.cancelled() => return (writer, Fetched::Stopped),
        };
        match body {
            Ok(body) => {
                let bytes = body.into_bytes();
                let inline = bytes.len() as u64 <= DECODE_INLINE_MAX
                    && job.quarantine.is_none()
                    && !writer.record_may_block();
                if inline {
                    return job.run(std::io::Cursor::new(bytes), writer);
                }
                tokio::task::spawn_blocking(move || job.run(std::io::Cursor::new(bytes), writer))
                    .await
            }
            Err(e) => {
                let message = format!("reading the object failed: {e}");
                job.metrics.api_error("network");
                job.metrics
                    .error(sample_for(Some(&job.object), &message, None, None));
                tracing::warn!(error = %e, "object body failed; the message is left for a retry");
                return (writer, Fetched::Transient);
            }
        }
    } else {
        let reader = output.body.into_async_read();
        tokio::task::spawn_blocking(move || {
            job.run(tokio_util::io::SyncIoBridge::new(reader), writer)
        })
        .await
    };
    match joined {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(error = %e, "decode task failed");
            // The writer went down with the task; give the caller a fresh one to abort.
            match shared.sink.writer() {
                Ok(w) => (w, Fetched::Transient),
                Err(_) => (Box::new(Aborted), Fetched::Transient),
            }
        }
    }
}

/// Everything the blocking decode of one object needs.
struct DecodeJob {
    object: ObjectRef,
    content_encoding: Option<String>,
    content_type: Option<String>,
    size: Option<u64>,
    options: DecodeOptions,
    quarantine: Option<Arc<Quarantine>>,
    fields: Option<Vec<u8>>,
    metrics: Arc<Metrics>,
    abort: CancellationToken,
    message_id: String,
}

impl DecodeJob {
    /// Decodes the object's body into `writer`: on the blocking pool, or on
    /// the runtime's thread for a small object when nothing can block.
    fn run(
        self,
        reader: impl std::io::Read,
        mut writer: Box<dyn SinkWriter>,
    ) -> (Box<dyn SinkWriter>, Fetched) {
        let DecodeJob {
            object,
            content_encoding,
            content_type,
            size,
            options,
            quarantine,
            fields,
            metrics,
            abort,
            message_id,
        } = self;
        let sample = |message: &str, index: Option<u64>, offset: Option<u64>| {
            let mut s = sample_for(Some(&object), message, index, offset);
            s.message_id.clone_from(&message_id);
            s
        };
        let info = ObjectInfo {
            key: &object.key,
            content_encoding: content_encoding.as_deref(),
            content_type: content_type.as_deref(),
            size,
        };
        let mut errors = 0u64;
        let mut feed = Feed {
            writer: writer.as_mut(),
            fields,
            buffer: Vec::new(),
            record: Vec::new(),
            metrics: &metrics,
            pending: 0,
            abort: &abort,
            stopped: false,
        };
        let mut on_error = |e: RecordError| {
            errors += 1;
            metrics.add(&metrics.counters.decode_errors, 1);
            if errors <= 10 {
                metrics.error(sample(&e.message, Some(e.index), Some(e.offset)));
            }
            if let Some(q) = &quarantine
                && let Err(err) = q.write(
                    &object.bucket,
                    &object.key,
                    Some(e.index),
                    Some(e.offset),
                    &e.message,
                    &e.sample,
                )
            {
                tracing::error!(error = %err, "cannot write to the quarantine");
            }
        };
        let result = decode(reader, &info, &options, &mut feed, &mut on_error);
        // Counted once committed: the message's caller adds them then.
        let records = feed.pending;
        let stopped = feed.stopped;
        let fetched = match result {
            Ok(summary) => {
                metrics.add(&metrics.counters.bytes_compressed, summary.bytes_in);
                metrics.add(&metrics.counters.bytes_decompressed, summary.bytes_out);
                Fetched::Ok { errors, records }
            }
            Err(_) if stopped => Fetched::Stopped,
            Err(ObjectError::Source(e)) => {
                metrics.api_error("network");
                metrics.error(sample(
                    &format!("reading the object failed: {e}"),
                    None,
                    None,
                ));
                Fetched::Transient
            }
            Err(ObjectError::Sink(e)) => {
                metrics.api_error("sink");
                tracing::error!(error = %e, "sink write failed");
                Fetched::SinkFailed(e.to_string())
            }
            Err(e) => {
                metrics.add(&metrics.counters.decode_errors, 1);
                metrics.error(sample(&e.to_string(), None, None));
                if let Some(q) = &quarantine {
                    let _ = q.write(&object.bucket, &object.key, None, None, &e.to_string(), b"");
                }
                Fetched::Undecodable { records }
            }
        };
        (writer, fetched)
    }
}

/// A writer that accepts nothing (stands in when a decode task died).
struct Aborted;

impl SinkWriter for Aborted {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("aborted"))
    }
    fn commit(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("aborted"))
    }
    fn abort(&mut self) {}
}
