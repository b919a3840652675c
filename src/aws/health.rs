//! The pipeline's health as one reading, for `sluice status` (cron, CI,
//! monitoring agents) and the dashboard: the queue's depth and the age of
//! its oldest message, the dead-letter queue's, and each alarm's state.
//!
//! Each check is `ok`, `trouble` (an alarm in ALARM, messages in the
//! dead-letter queue) or `unknown` (it could not be read, or does not
//! exist). The whole is trouble when any check is, else unknown when any
//! check is, else healthy: what is known to be wrong is said even when
//! something else could not be read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::client::Clients;
use super::error::{AwsError, classify};
use super::observe::{Depth, queue_depth};
use super::resources::alarms::{AlarmState, read_alarms};
use crate::docs::{AlarmKind, SQS_NAMESPACE, alarms, skipped_because};
use crate::spec::Spec;

/// How far back the oldest message's age is looked for: SQS reports it
/// once a minute for a queue in use, and CloudWatch shows it a few minutes
/// late.
pub const AGE_LOOKBACK: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Trouble,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Trouble => "trouble",
            Status::Unknown => "unknown",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `queue`, `dead-letter-queue` or `alarm`.
    pub check: &'static str,
    /// The queue's or alarm's name.
    pub name: String,
    pub status: Status,
    /// What was found, in words.
    pub detail: String,
    /// The queue's counts, when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<Depth>,
    /// The age of the oldest message in seconds, when CloudWatch has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_message_age_secs: Option<f64>,
    /// The alarm's state (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// When the alarm's state last changed, in seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

impl Check {
    fn new(check: &'static str, name: &str, status: Status, detail: String) -> Check {
        Check {
            check,
            name: name.to_owned(),
            status,
            detail,
            depth: None,
            oldest_message_age_secs: None,
            state: None,
            since: None,
        }
    }
}

/// Every check of one reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub status: Status,
    pub checks: Vec<Check>,
}

impl Health {
    fn of(checks: Vec<Check>) -> Health {
        let any = |s: Status| checks.iter().any(|c| c.status == s);
        let status = if any(Status::Trouble) {
            Status::Trouble
        } else if any(Status::Unknown) || checks.is_empty() {
            Status::Unknown
        } else {
            Status::Ok
        };
        Health { status, checks }
    }

    /// `sluice status`'s exit code: 0 healthy, 1 trouble, 2 cannot tell.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            Status::Ok => 0,
            Status::Trouble => 1,
            Status::Unknown => 2,
        }
    }
}

/// Reads the health of `spec`'s pipeline. Never fails as a whole: what
/// cannot be read is an `unknown` check saying why.
pub async fn health(clients: &Clients, spec: &Spec) -> Health {
    if let Some(why) = skipped_because(spec, crate::docs::ResourceKind::Queue) {
        return Health::of(vec![Check::new(
            "queue",
            &spec.queue.name,
            Status::Unknown,
            format!("n/a: {why}; sluice has nothing to watch"),
        )]);
    }
    let dlq = crate::docs::ResourceKind::DeadLetterQueue.wanted(spec);
    let (queue, dead, alarm_checks) = tokio::join!(
        queue_check(clients, &spec.queue.name, false),
        async {
            if dlq {
                Some(queue_check(clients, &spec.queue.dead_letter.name, true).await)
            } else {
                None
            }
        },
        alarm_checks(clients, spec),
    );
    let mut checks = vec![queue];
    checks.extend(dead);
    checks.extend(alarm_checks);
    Health::of(checks)
}

async fn queue_check(clients: &Clients, name: &str, dead_letter: bool) -> Check {
    let check = if dead_letter {
        "dead-letter-queue"
    } else {
        "queue"
    };
    let read = async {
        let Some(url) = clients.queue_url(name).await? else {
            return Ok(None);
        };
        let (depth, age) = tokio::join!(
            queue_depth(clients, &url),
            oldest_message_age(clients, name)
        );
        Ok::<_, AwsError>(Some((depth?, age)))
    };
    match read.await {
        Err(e) => Check::new(check, name, Status::Unknown, e.to_string()),
        Ok(None) => Check::new(
            check,
            name,
            Status::Unknown,
            "does not exist (sluice apply makes it)".to_owned(),
        ),
        Ok(Some((depth, age))) => {
            let age_words = match &age {
                Ok(Some(secs)) => {
                    format!("; oldest message {}", crate::words::duration_secs(*secs))
                }
                Ok(None) => "; oldest message: no CloudWatch data in the last 15 min".to_owned(),
                Err(e) => format!("; oldest message unknown ({e})"),
            };
            let (status, detail) = if dead_letter && depth.total() > 0 {
                (
                    Status::Trouble,
                    format!("{depth}: messages the pipeline could not process{age_words}"),
                )
            } else {
                (Status::Ok, format!("{depth}{age_words}"))
            };
            let mut c = Check::new(check, name, status, detail);
            c.depth = Some(depth);
            c.oldest_message_age_secs = age.ok().flatten();
            c
        }
    }
}

/// The latest `ApproximateAgeOfOldestMessage` of the queue called `name`
/// within [`AGE_LOOKBACK`], in seconds; `None` without a datapoint.
pub async fn oldest_message_age(clients: &Clients, name: &str) -> Result<Option<f64>, AwsError> {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    let now = SystemTime::now();
    let start = now.checked_sub(AGE_LOOKBACK).unwrap_or(UNIX_EPOCH);
    let out = clients
        .cloudwatch
        .get_metric_statistics()
        .namespace(SQS_NAMESPACE)
        .metric_name("ApproximateAgeOfOldestMessage")
        .dimensions(Dimension::builder().name("QueueName").value(name).build())
        .start_time(DateTime::from(start))
        .end_time(DateTime::from(now))
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:GetMetricStatistics", name, e))?;
    Ok(out
        .datapoints()
        .iter()
        .filter_map(|d| Some((d.timestamp()?.secs(), d.maximum()?)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, age)| age))
}

async fn alarm_checks(clients: &Clients, spec: &Spec) -> Vec<Check> {
    let wanted = alarms(spec);
    if wanted.is_empty() {
        return Vec::new();
    }
    let found = match read_alarms(clients, &spec.name).await {
        Ok(found) => found,
        Err(e) => {
            return vec![Check::new(
                "alarm",
                &format!("{}-*", spec.name),
                Status::Unknown,
                e.to_string(),
            )];
        }
    };
    wanted
        .iter()
        .map(|w| {
            let name = &w.alarm_name;
            match found.iter().find(|a| &a.definition.alarm_name == name) {
                None => Check::new(
                    "alarm",
                    name,
                    Status::Unknown,
                    "does not exist (sluice apply makes it)".to_owned(),
                ),
                Some(a) => alarm_check(spec, a),
            }
        })
        .collect()
}

fn alarm_check(spec: &Spec, alarm: &AlarmState) -> Check {
    let name = &alarm.definition.alarm_name;
    let since = alarm
        .since
        .map(|t| format!(" since {}", crate::words::since_epoch(t)))
        .unwrap_or_default();
    let (status, detail) = match alarm.state.as_str() {
        "ALARM" => (Status::Trouble, format!("ALARM{since}: {}", alarm.reason)),
        "OK" => (Status::Ok, format!("OK{since}")),
        "INSUFFICIENT_DATA" => (
            Status::Ok,
            format!(
                "INSUFFICIENT_DATA{since}: no data yet{}",
                match AlarmKind::of_name(&spec.name, name) {
                    Some(AlarmKind::Stalled) => " (nothing sent to the queue in the period)",
                    _ => " (a new alarm, or an idle queue)",
                }
            ),
        ),
        other => (Status::Unknown, format!("state {other}{since}")),
    };
    let mut c = Check::new("alarm", name, status, detail);
    c.state = Some(alarm.state.clone());
    c.since = alarm.since;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: Status) -> Check {
        Check::new("queue", "q", status, String::new())
    }

    #[test]
    fn known_trouble_wins_over_what_could_not_be_read() {
        let h = Health::of(vec![
            check(Status::Ok),
            check(Status::Unknown),
            check(Status::Trouble),
        ]);
        assert_eq!(h.exit_code(), 1);
        assert_eq!(
            Health::of(vec![check(Status::Ok), check(Status::Unknown)]).exit_code(),
            2
        );
        assert_eq!(Health::of(vec![check(Status::Ok)]).exit_code(), 0);
        assert_eq!(Health::of(Vec::new()).exit_code(), 2);
    }
}
