//! The run of checks: what every check looks at ([`Stack`]), how each is
//! recorded in the report and reported as it happens ([`Run`]), and how
//! durations read in their messages.

use std::time::{Duration, Instant};

use super::object::TestObject;
use super::{Check, Verdict, VerifyReport};
use crate::aws::client::Clients;
use crate::aws::progress::{CheckId, Event, Reporter, StepId, StepOutcome};
use crate::docs::Arns;
use crate::spec::Spec;

/// What the checks look at.
#[derive(Clone, Copy)]
pub(super) struct Stack<'a> {
    pub(super) clients: &'a Clients,
    /// With the account filled in.
    pub(super) spec: &'a Spec,
    pub(super) arns: &'a Arns,
    pub(super) queue_url: &'a str,
    pub(super) object: &'a TestObject,
}

/// Collects checks and reports them as they happen.
pub(in crate::aws) struct Run<'a> {
    pub(in crate::aws) reporter: &'a Reporter,
    pub(super) report: VerifyReport,
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

    pub(super) fn succeeded(&self, name: CheckId, started: Instant, detail: String) {
        self.reporter.finished(
            StepId::Check(name),
            StepOutcome::Done,
            detail,
            started.elapsed(),
        );
    }

    /// Records an outcome measured elsewhere, reporting its end.
    pub(super) fn record(&mut self, name: CheckId, latency: Duration, outcome: Verdict) {
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
    pub(super) fn instant(
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
pub(super) fn secs_rounded(d: Duration) -> String {
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
pub(super) fn waiting(reporter: &Reporter, name: CheckId) -> impl FnMut(String) + Send + '_ {
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
