//! The queue's depth: one GetQueueAttributes read of the queue and its
//! dead-letter queue, used by the consumer's gauges and its idle check, and
//! the poller of `sluice monitor`. Also the dashboard's slower health
//! reading (the alarms' states and the queues' oldest-message ages from
//! CloudWatch). No UI code here.

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
    send: impl FnMut(Reading) -> bool,
) {
    every(interval, stop, || read(&clients, &target, start), send).await;
}

/// How often the dashboard reads the alarms and the oldest-message ages:
/// CloudWatch's SQS metrics change once a minute, and GetMetricStatistics
/// is paid per call.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(60);

/// What the health reading covers: a spec with alarms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthTarget {
    /// The stack's name (the alarms' prefix).
    pub stack: String,
    pub queue: String,
    /// The dead-letter queue's name, when the pipeline has one of its own.
    pub dlq: Option<String>,
    /// The alarms the spec defines, by name.
    pub alarms: Vec<String>,
}

impl HealthTarget {
    /// `None` for a spec without alarms: nothing to read.
    pub fn of(spec: &crate::spec::Spec) -> Option<HealthTarget> {
        if !spec.has_alarms() {
            return None;
        }
        let alarms: Vec<String> = crate::docs::alarms(spec)
            .into_iter()
            .map(|a| a.alarm_name)
            .collect();
        if alarms.is_empty() {
            return None;
        }
        let dlq = crate::docs::ResourceKind::DeadLetterQueue
            .wanted(spec)
            .then(|| spec.queue.dead_letter.name.clone());
        Some(HealthTarget {
            stack: spec.name.clone(),
            queue: spec.queue.name.clone(),
            dlq,
            alarms,
        })
    }
}

/// One alarm as CloudWatch has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmReading {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`; `None` when CloudWatch has no
    /// such alarm (not applied yet).
    pub state: Option<String>,
    /// When the state last changed, in seconds since the epoch.
    pub since: Option<i64>,
    pub reason: String,
}

/// One health reading. Each part fails on its own, saying why.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReading {
    /// Seconds since the poller started.
    pub at: f64,
    /// The wall clock then, in seconds since the epoch (alarms' `since` is
    /// on it).
    pub epoch: i64,
    /// The target's alarms, in its order.
    pub alarms: Result<Vec<AlarmReading>, String>,
    /// The queue's oldest message's age in seconds; `Ok(None)`: CloudWatch
    /// has no datapoint.
    pub queue_age: Result<Option<f64>, String>,
    /// The dead-letter queue's, when there is one.
    pub dlq_age: Option<Result<Option<f64>, String>>,
}

impl HealthReading {
    /// The first reason a part could not be read.
    pub fn error(&self) -> Option<&str> {
        fn age(a: &Result<Option<f64>, String>) -> Option<&str> {
            a.as_ref().err().map(String::as_str)
        }
        self.alarms
            .as_ref()
            .err()
            .map(String::as_str)
            .or_else(|| age(&self.queue_age))
            .or_else(|| self.dlq_age.as_ref().and_then(age))
    }
}

/// `future` within [`CALL_TIMEOUT`], its error in words.
async fn within<T>(
    service: &str,
    future: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, future).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "no answer from {service} within {} s",
            CALL_TIMEOUT.as_secs()
        )),
    }
}

/// One health reading, timed from `start`.
pub async fn read_health(
    clients: &Clients,
    target: &HealthTarget,
    start: Instant,
) -> HealthReading {
    use crate::aws::health::oldest_message_age;
    let (alarms, queue_age, dlq_age) = tokio::join!(
        within(
            "CloudWatch",
            crate::aws::resources::alarms::read_alarms(clients, &target.stack)
        ),
        within("CloudWatch", oldest_message_age(clients, &target.queue)),
        async {
            match &target.dlq {
                Some(dlq) => Some(within("CloudWatch", oldest_message_age(clients, dlq)).await),
                None => None,
            }
        },
    );
    let alarms = alarms.map(|found| {
        target
            .alarms
            .iter()
            .map(|name| {
                let alarm = found.iter().find(|a| &a.definition.alarm_name == name);
                AlarmReading {
                    name: name.clone(),
                    state: alarm.map(|a| a.state.clone()),
                    since: alarm.and_then(|a| a.since),
                    reason: alarm.map(|a| a.reason.clone()).unwrap_or_default(),
                }
            })
            .collect()
    });
    HealthReading {
        at: start.elapsed().as_secs_f64(),
        epoch: chrono::Utc::now().timestamp(),
        alarms,
        queue_age,
        dlq_age,
    }
}

/// Reads the pipeline's health now and every `interval` until `stop` (or
/// until `send` returns false), timing readings from `start`.
pub async fn poll_health(
    clients: Clients,
    target: HealthTarget,
    interval: Duration,
    start: Instant,
    stop: CancellationToken,
    send: impl FnMut(HealthReading) -> bool,
) {
    every(
        interval,
        stop,
        || read_health(&clients, &target, start),
        send,
    )
    .await;
}

/// `read()` now and every `interval` after the last reading, until `stop`
/// (or until `send` returns false).
async fn every<R, F: Future<Output = R>>(
    interval: Duration,
    stop: CancellationToken,
    mut read: impl FnMut() -> F,
    mut send: impl FnMut(R) -> bool,
) {
    loop {
        let reading = tokio::select! {
            r = read() => r,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_spec_with_alarms_is_read_for_them() {
        let mut spec = crate::spec::starter("acme-ingest", "us-west-2", None);
        spec.alarms.enabled = false;
        assert_eq!(HealthTarget::of(&spec), None);
        spec.alarms.enabled = true;
        let target = HealthTarget::of(&spec).expect("a spec with alarms");
        assert_eq!(target.stack, "acme-ingest");
        assert_eq!(target.queue, spec.queue.name);
        let names: Vec<String> = crate::docs::alarms(&spec)
            .into_iter()
            .map(|a| a.alarm_name)
            .collect();
        assert_eq!(target.alarms, names);
        assert!(target.alarms.iter().any(|a| a == "acme-ingest-stalled"));
        // Without a queue of its own there are no alarms.
        spec.queue.enabled = false;
        assert_eq!(HealthTarget::of(&spec), None);
    }

    #[test]
    fn a_reading_says_the_first_part_that_failed() {
        let mut reading = HealthReading {
            at: 0.0,
            epoch: 0,
            alarms: Ok(Vec::new()),
            queue_age: Ok(None),
            dlq_age: Some(Ok(Some(3.0))),
        };
        assert_eq!(reading.error(), None);
        reading.dlq_age = Some(Err("dlq".into()));
        assert_eq!(reading.error(), Some("dlq"));
        reading.queue_age = Err("queue".into());
        assert_eq!(reading.error(), Some("queue"));
        reading.alarms = Err("alarms".into());
        assert_eq!(reading.error(), Some("alarms"));
    }
}
