//! The queue's depth: one GetQueueAttributes read of the queue and its
//! dead-letter queue, used by the consumer's gauges and its idle check, and
//! the poller of `sluice monitor`. No UI code here.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::metrics::QueueGauges;
use crate::aws::Clients;
use crate::aws::error::AwsError;

/// The longest one reading may take before it counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

pub use crate::aws::observe::{Depth, queue_depth as depth};

/// The queues a reading covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub queue_url: String,
    pub dlq_url: Option<String>,
}

/// One reading of the queue (and its dead-letter queue).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Seconds since the poller started.
    pub at: f64,
    /// `None` when the queue could not be read.
    pub gauges: Option<QueueGauges>,
    /// Why the queue (or the dead-letter queue) could not be read.
    pub error: Option<String>,
}

/// The queue's gauges with the dead-letter queue's depth. An unreadable
/// dead-letter queue leaves its gauge out and says why.
pub async fn gauges(
    clients: &Clients,
    target: &Target,
) -> Result<(QueueGauges, Option<AwsError>), AwsError> {
    let queue = depth(clients, &target.queue_url).await?;
    let (dlq_visible, dlq_error) = match &target.dlq_url {
        Some(url) => match depth(clients, url).await {
            Ok(d) => (Some(d.visible), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    Ok((
        QueueGauges {
            visible: queue.visible,
            in_flight: queue.in_flight,
            delayed: queue.delayed,
            dlq_visible,
        },
        dlq_error,
    ))
}

/// One reading, timed from `start`, within [`CALL_TIMEOUT`].
pub async fn read(clients: &Clients, target: &Target, start: Instant) -> Reading {
    let (gauges, error) = match tokio::time::timeout(CALL_TIMEOUT, gauges(clients, target)).await {
        Ok(Ok((gauges, dlq_error))) => (
            Some(gauges),
            dlq_error.map(|e| format!("dead-letter queue: {e}")),
        ),
        Ok(Err(e)) => (None, Some(e.to_string())),
        Err(_) => (
            None,
            Some(format!(
                "no answer from SQS within {} s",
                CALL_TIMEOUT.as_secs()
            )),
        ),
    };
    Reading {
        at: start.elapsed().as_secs_f64(),
        gauges,
        error,
    }
}

/// Reads the queue every `interval` until `stop` (or until `send` returns
/// false), timing readings from `start`.
pub async fn poll(
    clients: Clients,
    target: Target,
    interval: Duration,
    start: Instant,
    stop: CancellationToken,
    mut send: impl FnMut(Reading) -> bool,
) {
    loop {
        let reading = tokio::select! {
            r = read(&clients, &target, start) => r,
            () = stop.cancelled() => return,
        };
        if !send(reading) {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stop.cancelled() => return,
        }
    }
}
