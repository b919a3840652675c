//! Reading a queue: attributes, tags, depth; and setting a message's
//! visibility.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::aws::client::Clients;
use crate::aws::error::{AwsError, classify};

use crate::aws::observe::Observed;
use crate::docs::QueueAttributes;

#[derive(Debug, Clone, PartialEq)]
pub struct QueueState {
    pub url: String,
    pub arn: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

pub async fn observe_queue(clients: &Clients, name: &str) -> Observed<QueueState> {
    let Some(url) = clients.queue_url(name).await? else {
        return Ok(None);
    };
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    let attributes: BTreeMap<String, String> = attrs
        .attributes()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let tags = clients
        .sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .map_err(|e| classify("sqs:ListQueueTags", name, e))?
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Some(QueueState {
        arn: attributes.get("QueueArn").cloned().unwrap_or_default(),
        url,
        attributes,
        tags,
    }))
}

/// Some of a queue's attributes as SQS gives them (text); one it does not
/// return (a queue without a Policy) is absent.
pub async fn read_queue_text(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
    keys: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    let got = sqs
        .get_queue_attributes()
        .queue_url(url)
        .set_attribute_names(Some(
            keys.iter()
                .map(|k| QueueAttributeName::from(k.as_str()))
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    Ok(got
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
        .collect())
}

/// Some of a queue's attributes as they are now, each read as its kind
/// (the access and redrive policies as policies), as the plan has them.
pub async fn read_queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
    keys: &[String],
) -> Result<QueueAttributes, AwsError> {
    Ok(QueueAttributes::read(
        read_queue_text(sqs, name, url, keys).await?,
    ))
}

/// One attribute of the queue at `url` as SQS has it (`None` when SQS
/// leaves it out).
pub async fn queue_attribute(
    clients: &Clients,
    url: &str,
    name: QueueAttributeName,
) -> Result<Option<String>, AwsError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", url, e))?;
    Ok(out.attributes().and_then(|a| a.get(&name)).cloned())
}

/// One queue's approximate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Depth {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

impl Depth {
    /// Every message the queue holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }

    /// Whether destroy looks at the messages to tell S3's own test events
    /// (one per change of a bucket's notification configuration, not data)
    /// from a backlog: a few visible, none in flight or delayed. A queue
    /// holding only test events goes without `force`.
    pub fn may_be_only_test_events(&self) -> bool {
        self.in_flight + self.delayed == 0 && self.visible <= TEST_EVENTS_LOOKED_AT
    }
}

/// The most messages destroy looks at to tell S3's test events from a backlog.
const TEST_EVENTS_LOOKED_AT: u64 = 3;

impl std::fmt::Display for Depth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} message{} ({} visible, {} in flight, {} delayed)",
            self.total(),
            if self.total() == 1 { "" } else { "s" },
            self.visible,
            self.in_flight,
            self.delayed
        )
    }
}

/// The approximate counts of the queue at `url`.
pub async fn queue_depth(clients: &Clients, url: &str) -> Result<Depth, AwsError> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", url, e))?;
    let attrs = out.attributes();
    let get = |name: QueueAttributeName| -> u64 {
        attrs
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Depth {
        visible: get(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

/// What one ChangeMessageVisibilityBatch call gives: its per-entry
/// results, or the call's error as the SDK reports it.
pub type VisibilityResult = Result<
    aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchOutput,
    aws_sdk_sqs::error::SdkError<
        aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchError,
    >,
>;

/// ChangeMessageVisibilityBatch for up to 10 receipt handles of the queue at
/// `url`; entry ids are their indexes in `handles`. `secs` 0 makes the
/// messages visible again at once.
pub async fn set_visibility(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    handles: &[String],
    secs: i32,
) -> VisibilityResult {
    let entries = handles
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(h)
                .visibility_timeout(secs)
                .build()
                .ok()
        })
        .collect::<Vec<_>>();
    sqs.change_message_visibility_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
}

#[cfg(test)]
mod tests {
    use super::Depth;

    fn depth(visible: u64, in_flight: u64, delayed: u64) -> Depth {
        Depth {
            visible,
            in_flight,
            delayed,
        }
    }

    #[test]
    fn only_a_few_visible_messages_may_be_s3s_test_events() {
        assert!(depth(1, 0, 0).may_be_only_test_events());
        assert!(depth(3, 0, 0).may_be_only_test_events());
        // More than destroy looks at, or some it could not read now.
        assert!(!depth(4, 0, 0).may_be_only_test_events());
        assert!(!depth(1, 1, 0).may_be_only_test_events());
        assert!(!depth(1, 0, 1).may_be_only_test_events());
        assert_eq!(
            depth(2, 1, 1).to_string(),
            "4 messages (2 visible, 1 in flight, 1 delayed)"
        );
        assert_eq!(
            depth(1, 0, 0).to_string(),
            "1 message (1 visible, 0 in flight, 0 delayed)"
        );
    }
}
