//! Backfill: objects that were in the bucket before the notification existed
//! never produce events. This lists them (under the spec's prefix and suffix,
//! with Treasure Data's import filters) and sends S3-event-shaped messages
//! to the queue, so every running consumer shares the work.

use std::time::Instant;

use aws_sdk_s3::types::ObjectStorageClass;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::json;

use super::event::{encode_key, in_scope};
use crate::aws::Clients;
use crate::aws::error::{AwsError, classify};
use crate::aws::progress::{Event, Reporter, StepId, StepOutcome};

#[derive(Debug, Clone, Default)]
pub struct BackfillOptions {
    pub bucket: String,
    pub region: String,
    pub prefix: String,
    pub suffix: String,
    pub queue_url: String,
    /// List keys after this one (S3's StartAfter: keys sort as UTF-8 bytes).
    pub start_after: Option<String>,
    pub modified_after: Option<DateTime<Utc>>,
    /// Only objects last modified before this (those that predate a notification).
    pub modified_before: Option<DateTime<Utc>>,
    /// Only keys this matches.
    pub matching: Option<Regex>,
    pub limit: Option<u64>,
    /// Leave out GLACIER and DEEP_ARCHIVE objects (they cannot be read without a restore).
    pub skip_glacier: bool,
    /// Count only; send nothing.
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillReport {
    pub listed: u64,
    pub matched: u64,
    pub sent: u64,
    pub bytes: u64,
    pub skipped_glacier: u64,
    /// The last key sent (or counted): resume with `--start-after` it.
    pub last_key: Option<String>,
}

/// The message body for one object: an S3 event notification as S3 writes it.
pub fn event_body(
    bucket: &str,
    region: &str,
    key: &str,
    size: i64,
    etag: &str,
    sequencer: &str,
) -> String {
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "eventName": "ObjectCreated:Backfill",
        "userIdentity": {"principalId": "sluice-backfill"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "sluice-backfill",
            "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": encode_key(key), "size": size, "eTag": etag, "sequencer": sequencer}
        }
    }]})
    .to_string()
}

/// Lists and sends; progress goes to `reporter` every page.
pub async fn backfill(
    clients: &Clients,
    options: &BackfillOptions,
    reporter: &Reporter,
) -> Result<BackfillReport, AwsError> {
    let mut report = BackfillReport::default();
    let started = Instant::now();
    reporter.started(
        StepId::Backfill,
        format!("listing s3://{}/{}", options.bucket, options.prefix),
    );
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(&options.bucket)
        .prefix(&options.prefix)
        .set_start_after(options.start_after.clone())
        .into_paginator()
        .send();
    let mut batch: Vec<SendMessageBatchRequestEntry> = Vec::new();
    'pages: while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("s3:ListBucket", &options.bucket, e))?;
        for object in page.contents() {
            report.listed += 1;
            let Some(key) = object.key() else { continue };
            if !in_scope(key, &options.prefix, &options.suffix) {
                continue;
            }
            if options
                .matching
                .as_ref()
                .is_some_and(|re| !re.is_match(key))
            {
                continue;
            }
            if options.modified_after.is_some() || options.modified_before.is_some() {
                let modified = object
                    .last_modified()
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()));
                let Some(modified) = modified else { continue };
                if options
                    .modified_after
                    .is_some_and(|after| modified <= after)
                    || options
                        .modified_before
                        .is_some_and(|before| modified >= before)
                {
                    continue;
                }
            }
            if options.skip_glacier
                && matches!(
                    object.storage_class(),
                    Some(ObjectStorageClass::Glacier | ObjectStorageClass::DeepArchive)
                )
            {
                report.skipped_glacier += 1;
                continue;
            }
            if options.limit.is_some_and(|limit| report.matched >= limit) {
                break 'pages;
            }
            report.matched += 1;
            report.bytes += object.size().unwrap_or(0).max(0) as u64;
            report.last_key = Some(key.to_owned());
            if options.dry_run {
                continue;
            }
            let sequencer = format!("{:016X}", report.matched);
            let body = event_body(
                &options.bucket,
                &options.region,
                key,
                object.size().unwrap_or(0),
                object.e_tag().unwrap_or_default(),
                &sequencer,
            );
            let entry = SendMessageBatchRequestEntry::builder()
                .id(batch.len().to_string())
                .message_body(body)
                .build()
                .map_err(|e| AwsError::new("sqs:SendMessage", &options.queue_url, e.to_string()))?;
            batch.push(entry);
            if batch.len() == 10 {
                report.sent +=
                    send(clients, &options.queue_url, std::mem::take(&mut batch)).await?;
            }
        }
        reporter.note(
            StepId::Backfill,
            format!(
                "{} listed, {} matched, {} sent ({:.1} s)",
                report.listed,
                report.matched,
                report.sent + batch.len() as u64,
                started.elapsed().as_secs_f64()
            ),
        );
    }
    if !batch.is_empty() {
        report.sent += send(clients, &options.queue_url, batch).await?;
    }
    reporter.send(Event::Finished {
        step: StepId::Backfill,
        outcome: StepOutcome::Done,
        detail: format!(
            "{} {}",
            crate::words::count(report.matched, "object"),
            if options.dry_run {
                "would be sent"
            } else {
                "sent"
            }
        ),
        elapsed: started.elapsed(),
    });
    Ok(report)
}

async fn send(
    clients: &Clients,
    queue_url: &str,
    entries: Vec<SendMessageBatchRequestEntry>,
) -> Result<u64, AwsError> {
    let total = entries.len() as u64;
    let mut pending = entries;
    for attempt in 0..5u32 {
        let out = clients
            .sqs
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(pending.clone()))
            .send()
            .await
            .map_err(|e| classify("sqs:SendMessage", queue_url, e))?;
        let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
        if failed.is_empty() {
            return Ok(total);
        }
        pending.retain(|e| failed.contains(&e.id()));
        tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
    }
    Err(AwsError::new(
        "sqs:SendMessage",
        queue_url,
        format!(
            "{} could not be sent after retries",
            crate::words::count(pending.len(), "message")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consume::event::{Message, parse};

    #[test]
    fn backfill_bodies_parse_as_s3_events() {
        let body = event_body("b", "us-west-2", "logs/a b+é.json", 42, "\"etag\"", "0001");
        let Ok(Message::Objects { objects, ignored }) = parse(&body) else {
            panic!("{body}")
        };
        assert_eq!(ignored, 0);
        assert_eq!(objects[0].key, "logs/a b+é.json");
        assert_eq!(objects[0].size, Some(42));
        assert_eq!(objects[0].event_name, "ObjectCreated:Backfill");
        assert_eq!(objects[0].sequencer.as_deref(), Some("0001"));
    }
}
