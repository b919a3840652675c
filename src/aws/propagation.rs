//! Waiting for IAM to catch up with a change. IAM is eventually consistent:
//! "Any change that you make in IAM ... takes time to become visible from
//! all possible endpoints" (IAM User Guide, "Changes that I make are not
//! always immediately visible"). For several seconds after a role is made
//! or its trust policy changes, AssumeRole answers AccessDenied; a new
//! access key answers InvalidClientTokenId; a role's first calls may be
//! denied while its policy attachment spreads. The calls that meet this
//! (AssumeRole, and the first call made with new credentials) go through an
//! [`IamWait`]: retried with growing pauses for a bounded time, each wait
//! said, and the final error saying how long it waited.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{AwsError, CredentialProblem, ErrorKind};

/// How long calls wait for IAM by default (`--iam-wait`).
pub const DEFAULT_IAM_WAIT: Duration = Duration::from_secs(60);

/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// Whether `e` is what AWS answers while an IAM change has not reached
/// every endpoint: AccessDenied, or a key or session it does not know yet.
pub fn is_iam_lag(e: &AwsError) -> bool {
    e.kind == ErrorKind::AccessDenied || e.credential_problem() == Some(CredentialProblem::Invalid)
}

/// A bounded wait for IAM, for the calls of one identity. Once a call
/// succeeds, IAM has caught up with that identity: later calls through the
/// same wait are made once, so a real refusal is not waited on.
#[derive(Debug, Clone)]
pub struct IamWait {
    limit: Duration,
    started: Instant,
    settled: bool,
    first_pause: Duration,
}

impl IamWait {
    /// A wait of up to `limit` from now.
    pub fn new(limit: Duration) -> Self {
        IamWait {
            limit,
            started: Instant::now(),
            settled: false,
            first_pause: Duration::from_millis(500),
        }
    }

    /// A wait for another identity (new credentials) that ends when this one
    /// does: the bound is for the whole run, not for each call.
    pub fn again(&self) -> Self {
        IamWait {
            settled: false,
            ..self.clone()
        }
    }

    /// Runs `call`, retrying while it fails as IAM does right after a change
    /// and the wait is not over; `say` hears each wait, in words.
    pub async fn call<T, F, Fut>(
        &mut self,
        what: &str,
        say: &mut (dyn FnMut(String) + Send),
        call: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut call = call;
        let mut pause = self.first_pause;
        let first = Instant::now();
        loop {
            match call().await {
                Ok(value) => {
                    self.settled = true;
                    return Ok(value);
                }
                Err(e) if !self.settled && is_iam_lag(&e) => {
                    let left = self.limit.saturating_sub(self.started.elapsed());
                    if left < pause {
                        return Err(self.gave_up(e, first));
                    }
                    say(format!(
                        "{what}: {} ({}); waiting for IAM to propagate, {} s of --iam-wait {} s left",
                        match e.credential_problem() {
                            Some(_) => "the new credentials are not known everywhere yet",
                            None => "access denied",
                        },
                        e.code.as_deref().unwrap_or("403"),
                        left.as_secs(),
                        self.limit.as_secs()
                    ));
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The error, saying how long it was waited on.
    fn gave_up(&self, mut e: AwsError, first: Instant) -> AwsError {
        let waited = first.elapsed();
        if waited >= Duration::from_secs(1) {
            e.message.push_str(&format!(
                " (still so after waiting {} s for IAM to propagate; --iam-wait sets how long)",
                waited.as_secs()
            ));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn denied() -> AwsError {
        AwsError {
            action: "sts:AssumeRole",
            resource: "arn:aws:iam::123456789012:role/r".into(),
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDenied".into()),
            message: "not authorized".into(),
        }
    }

    fn quick(limit: Duration) -> IamWait {
        IamWait {
            first_pause: Duration::from_millis(1),
            ..IamWait::new(limit)
        }
    }

    #[tokio::test]
    async fn lag_is_retried_until_it_passes_and_then_never_again() {
        let tries = Cell::new(0);
        let mut said = Vec::new();
        let mut wait = quick(Duration::from_secs(60));
        let got = wait
            .call("assume role r", &mut |m| said.push(m), || async {
                tries.set(tries.get() + 1);
                if tries.get() < 4 {
                    Err(denied())
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].contains("waiting for IAM to propagate"), "{said:?}");
        // Settled: a refusal now is real, and is not waited on.
        tries.set(0);
        let again = wait
            .call("x", &mut |m| said.push(m), || async {
                tries.set(tries.get() + 1);
                Err::<(), _>(denied())
            })
            .await;
        assert!(again.is_err());
        assert_eq!(tries.get(), 1);
    }

    #[tokio::test]
    async fn the_wait_is_bounded_and_says_so() {
        let mut wait = quick(Duration::from_millis(1500));
        let started = Instant::now();
        let e = wait
            .call("assume role r", &mut |_| {}, || async {
                Err::<(), _>(denied())
            })
            .await
            .unwrap_err();
        assert!(started.elapsed() <= Duration::from_millis(1500));
        assert!(
            e.message.contains("still so after waiting") && e.message.contains("--iam-wait"),
            "{e}"
        );
        let other = AwsError {
            kind: ErrorKind::NotFound,
            ..denied()
        };
        let mut calls = 0;
        let mut wait = quick(Duration::from_secs(10));
        let _ = wait
            .call("x", &mut |_| {}, || {
                calls += 1;
                let e = other.clone();
                async move { Err::<(), _>(e) }
            })
            .await;
        assert_eq!(calls, 1, "only IAM's refusals are waited on");
    }
}
