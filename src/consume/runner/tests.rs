use super::outbox::{DeleteMessages, delete_retrying};
use super::*;
use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, DeleteMessageBatchRequestEntry, DeleteMessageBatchResultEntry,
};
use std::sync::Mutex as StdMutex;

/// What the fake queue answers to one DeleteMessageBatch call.
enum Answer {
    /// These entries (id, code, sender fault) fail; every other succeeds.
    Failing(Vec<(&'static str, &'static str, bool)>),
    /// The call fails as a whole.
    Error(ErrorKind),
}

/// A queue that answers each call with the next scripted answer (once
/// they run out, every entry succeeds) and remembers the entries asked.
struct FakeDeletes {
    answers: StdMutex<VecDeque<Answer>>,
    calls: StdMutex<Vec<Vec<(String, String)>>>,
}

impl FakeDeletes {
    fn new(answers: Vec<Answer>) -> Self {
        FakeDeletes {
            answers: StdMutex::new(answers.into()),
            calls: StdMutex::new(Vec::new()),
        }
    }

    /// The entries of each call, as (id, receipt handle).
    fn calls(&self) -> Vec<Vec<(String, String)>> {
        self.calls.lock().unwrap().clone()
    }
}

impl DeleteMessages for FakeDeletes {
    fn queue_url(&self) -> &str {
        "http://queue.test/000000000000/q"
    }

    async fn delete(
        &self,
        entries: Vec<DeleteMessageBatchRequestEntry>,
    ) -> Result<DeleteMessageBatchOutput, crate::aws::AwsError> {
        self.calls.lock().unwrap().push(
            entries
                .iter()
                .map(|e| (e.id().to_owned(), e.receipt_handle().to_owned()))
                .collect(),
        );
        let failing = match self.answers.lock().unwrap().pop_front() {
            Some(Answer::Error(kind)) => {
                return Err(crate::aws::AwsError {
                    action: "sqs:DeleteMessage",
                    resource: self.queue_url().to_owned(),
                    kind,
                    code: None,
                    message: "scripted".into(),
                });
            }
            Some(Answer::Failing(failing)) => failing,
            None => Vec::new(),
        };
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for entry in &entries {
            match failing.iter().find(|(id, _, _)| *id == entry.id()) {
                Some((id, code, sender_fault)) => failed.push(
                    BatchResultErrorEntry::builder()
                        .id(*id)
                        .code(*code)
                        .sender_fault(*sender_fault)
                        .build()
                        .unwrap(),
                ),
                None => successful.push(
                    DeleteMessageBatchResultEntry::builder()
                        .id(entry.id())
                        .build()
                        .unwrap(),
                ),
            }
        }
        Ok(DeleteMessageBatchOutput::builder()
            .set_successful(Some(successful))
            .set_failed(Some(failed))
            .build()
            .unwrap())
    }
}

fn handles(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("h{i}")).collect()
}

fn ids(call: &[(String, String)]) -> Vec<&str> {
    call.iter().map(|(id, _)| id.as_str()).collect()
}

fn delete_errors(metrics: &Metrics) -> u64 {
    metrics
        .snapshot()
        .api_errors_by_kind
        .iter()
        .find(|(k, _)| k == "delete")
        .map_or(0, |(_, n)| *n)
}

#[tokio::test(start_paused = true)]
async fn a_partial_failure_counts_only_the_deleted_and_retries_what_may_succeed() {
    let sqs = FakeDeletes::new(vec![Answer::Failing(vec![
        ("1", "ReceiptHandleIsInvalid", true),
        ("2", "InternalError", false),
    ])]);
    let metrics = Metrics::new();
    let result = delete_retrying(&sqs, &metrics, handles(4)).await;
    assert!(result.is_ok());
    let calls = sqs.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(ids(&calls[0]), ["0", "1", "2", "3"]);
    // The invalid receipt handle is left (SQS delivers it again); the
    // entry SQS failed is asked again, with its own id and handle.
    assert_eq!(calls[1], [("2".to_owned(), "h2".to_owned())]);
    assert_eq!(metrics.snapshot().counters.messages_deleted, 3);
    assert_eq!(delete_errors(&metrics), 1);
}

#[tokio::test(start_paused = true)]
async fn an_entry_that_keeps_failing_is_left_after_four_attempts_and_not_counted() {
    let failing = || {
        Answer::Failing(vec![
            ("0", "InternalError", false),
            ("2", "InvalidParameterValue", true),
        ])
    };
    let sqs = FakeDeletes::new(vec![
        failing(),
        Answer::Error(ErrorKind::Network),
        failing(),
        failing(),
    ]);
    let metrics = Metrics::new();
    let result = delete_retrying(&sqs, &metrics, handles(3)).await;
    assert!(result.is_ok());
    let calls = sqs.calls();
    let calls: Vec<Vec<&str>> = calls.iter().map(|c| ids(c)).collect();
    // A call that failed as a whole is retried with the same entries.
    assert_eq!(
        calls,
        [
            vec!["0", "1", "2"],
            vec!["0", "2"],
            vec!["0", "2"],
            vec!["0", "2"]
        ]
    );
    assert_eq!(metrics.snapshot().counters.messages_deleted, 1);
    // The failed call, and the server-side failure on the last attempt.
    assert_eq!(delete_errors(&metrics), 2);
}

#[tokio::test(start_paused = true)]
async fn an_entry_denied_ends_the_batch_as_a_refusal() {
    let sqs = FakeDeletes::new(vec![Answer::Failing(vec![
        ("1", "AccessDenied", true),
        ("2", "InternalError", false),
    ])]);
    let metrics = Metrics::new();
    let Err(refused) = delete_retrying(&sqs, &metrics, handles(3)).await else {
        panic!("an entry denied is a refusal");
    };
    assert_eq!(refused.count, 2);
    assert_eq!(refused.error.kind, ErrorKind::AccessDenied);
    assert_eq!(refused.error.code.as_deref(), Some("AccessDenied"));
    assert_eq!(refused.error.resource, sqs.queue_url());
    // Nothing is retried; the one deleted is counted.
    assert_eq!(sqs.calls().len(), 1);
    assert_eq!(metrics.snapshot().counters.messages_deleted, 1);
}

#[tokio::test(start_paused = true)]
async fn credentials_failing_three_times_in_a_row_are_a_refusal() {
    let sqs = FakeDeletes::new(vec![
        Answer::Error(ErrorKind::Credentials),
        Answer::Error(ErrorKind::Credentials),
        Answer::Error(ErrorKind::Credentials),
    ]);
    let metrics = Metrics::new();
    let Err(refused) = delete_retrying(&sqs, &metrics, handles(2)).await else {
        panic!("credentials that keep failing are a refusal");
    };
    assert_eq!(refused.count, 2);
    assert_eq!(refused.error.kind, ErrorKind::Credentials);
    assert_eq!(sqs.calls().len(), 3);
    assert_eq!(metrics.snapshot().counters.messages_deleted, 0);
    assert_eq!(delete_errors(&metrics), 3);
}
