//! The run of checks: its options and report; what every check looks at
//! ([`Stack`]), how each is
//! recorded in the report and reported as it happens ([`Run`]), and how
//! durations read in their messages.

use std::time::{Duration, Instant};

use super::object::TestObject;
use crate::aws::client::Clients;
use crate::aws::progress::{CheckId, Event, Reporter, StepId, StepOutcome};
use crate::docs::Arns;
use crate::spec::Spec;

/// How verification runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// How long to wait for the test object's event on the queue.
    pub timeout: Duration,
    /// The user's own access key (from the 0600 file apply wrote), to try
    /// the user's access as the connector would.
    pub user_key: Option<UserKey>,
    /// How long AssumeRole and the first calls with new credentials wait
    /// for IAM to propagate a change (`--iam-wait`).
    pub iam_wait: Duration,
    /// The directory of apply's records of route changes
    /// ([`crate::aws::recent`]): a missing event is then put down to a change
    /// still taking effect when there is one.
    pub recent_dir: Option<std::path::PathBuf>,
    /// Await the event for at least the route's usual time and, after a
    /// recent change, as long again as AWS documents it may take; otherwise
    /// for exactly `timeout` (an explicit `--wait`).
    pub wait_for_propagation: bool,
    /// Receive from a queue that already holds messages of others: each
    /// receive counts towards their maxReceiveCount (`--probe-busy-queue`).
    pub probe_busy_queue: bool,
}

/// An IAM user's access key; the secret never prints through `Debug`.
#[derive(Debug, Clone)]
pub struct UserKey {
    pub access_key_id: String,
    pub secret_access_key: crate::aws::Secret,
}

impl PartialEq for UserKey {
    fn eq(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key.expose() == other.secret_access_key.expose()
    }
}

impl Eq for UserKey {}

impl UserKey {
    /// The key from the CSV file sluice apply (or the AWS console) writes:
    /// a header line, then `ACCESS_KEY_ID,SECRET`.
    pub fn from_csv(text: &str) -> Result<UserKey, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("Access key ID"))
            .ok_or("no key line (expected `Access key ID,Secret access key` then the values)")?;
        let mut fields = line.split(',');
        match (fields.next(), fields.next()) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(UserKey {
                access_key_id: id.to_owned(),
                secret_access_key: crate::aws::Secret::new(secret),
            }),
            _ => Err("the key line is not `ACCESS_KEY_ID,SECRET`".to_owned()),
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            timeout: Duration::from_secs(30),
            user_key: None,
            iam_wait: crate::aws::propagation::DEFAULT_IAM_WAIT,
            recent_dir: None,
            wait_for_propagation: false,
            probe_busy_queue: false,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The check failed; the cause says what to fix.
    Fail(String),
    /// The check could not be made here (no role, an emulator without the API, ...).
    NotAvailable(String),
}

/// One named check, with how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check, e.g. `event-key` (see the module documentation).
    pub name: CheckId,
    pub outcome: Verdict,
    pub latency: Duration,
}

/// Every check made, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub checks: Vec<Check>,
    /// The key of the test object, when one was chosen.
    pub object_key: Option<String>,
}

impl VerifyReport {
    /// True when no check failed (checks that were not available do not count).
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Verdict::Fail(_)))
    }

    /// The check `name`, if it was made.
    pub fn check(&self, name: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// What the checks look at.
#[derive(Clone, Copy)]
pub(in crate::aws) struct Stack<'a> {
    pub(in crate::aws) clients: &'a Clients,
    /// With the account filled in.
    pub(in crate::aws) spec: &'a Spec,
    pub(in crate::aws) arns: &'a Arns,
    pub(in crate::aws) queue_url: &'a str,
    pub(in crate::aws) object: &'a TestObject,
}

/// Collects checks and reports them as they happen.
pub(in crate::aws) struct Run<'a> {
    pub(in crate::aws) reporter: &'a Reporter,
    pub(in crate::aws) report: VerifyReport,
}

impl Run<'_> {
    pub(in crate::aws) fn start(&self, name: CheckId, title: impl Into<String>) -> Instant {
        self.reporter.started(StepId::Check(name), title);
        Instant::now()
    }

    /// Records a check that started at `started`: `Ok(detail)` passes, `Err(cause)` fails.
    pub(in crate::aws) fn finish(
        &mut self,
        name: CheckId,
        started: Instant,
        result: Result<String, String>,
    ) {
        let outcome = match result {
            Ok(detail) => {
                self.succeeded(name, started, detail);
                Verdict::Pass
            }
            Err(cause) => Verdict::Fail(cause),
        };
        self.record(name, started.elapsed(), outcome);
    }

    pub(in crate::aws) fn not_available(
        &mut self,
        name: CheckId,
        title: impl Into<String>,
        why: impl Into<String>,
    ) {
        let started = self.start(name, title);
        self.record(name, started.elapsed(), Verdict::NotAvailable(why.into()));
    }

    pub(in crate::aws) fn succeeded(&self, name: CheckId, started: Instant, detail: String) {
        self.reporter.finished(
            StepId::Check(name),
            StepOutcome::Done,
            detail,
            started.elapsed(),
        );
    }

    /// Records an outcome measured elsewhere, reporting its end.
    pub(in crate::aws) fn record(&mut self, name: CheckId, latency: Duration, outcome: Verdict) {
        let step = StepId::Check(name);
        match &outcome {
            Verdict::Pass => {}
            Verdict::Fail(cause) => self.reporter.failed(step, cause.clone(), latency),
            // Not a failure: the step ends, saying why it was not made.
            Verdict::NotAvailable(why) => self.reporter.finished(
                step,
                StepOutcome::NotAvailable(why.clone()),
                format!("not available: {why}"),
                latency,
            ),
        }
        self.report.checks.push(Check {
            name,
            outcome,
            latency,
        });
    }

    /// Records a check made at once (its latency is `latency`), with Started first.
    pub(in crate::aws) fn instant(
        &mut self,
        name: CheckId,
        title: impl Into<String>,
        latency: Duration,
        result: Result<String, String>,
    ) {
        self.reporter.started(StepId::Check(name), title);
        match result {
            Ok(detail) => {
                self.reporter
                    .finished(StepId::Check(name), StepOutcome::Done, detail, latency);
                self.record(name, latency, Verdict::Pass);
            }
            Err(cause) => self.record(name, latency, Verdict::Fail(cause)),
        }
    }
}

/// `45 s`, `3 min 20 s`: a duration to the second.
pub(in crate::aws) fn secs_rounded(d: Duration) -> String {
    let total = d.as_secs();
    match (total / 60, total % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// `30 s`, `2.5 s`, `14 ms`.
pub(in crate::aws) fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(120) {
        return secs_rounded(d);
    }
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// What a wait for IAM says, as a waiting line of the check `name`.
pub(in crate::aws) fn waiting(
    reporter: &Reporter,
    name: CheckId,
) -> impl FnMut(String) + Send + '_ {
    move |reason| {
        reporter.send(Event::Waiting {
            step: StepId::Check(name),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(secs(Duration::from_secs(30)), "30 s");
        assert_eq!(secs(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(secs(Duration::from_millis(14)), "14 ms");
    }
}
