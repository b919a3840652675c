//! The bucket's notification configuration: read and written as
//! [`NotificationConfiguration`] (the SDK's types converted both ways), and
//! S3's refusal of a destination read from its error body.

use aws_sdk_s3::types::{
    Event as S3Event, FilterRule as S3FilterRule, FilterRuleName, LambdaFunctionConfiguration,
    NotificationConfiguration as S3Configuration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter, TopicConfiguration,
};

use crate::aws::emulator::is_empty_answer;
use crate::aws::error::{AwsError, classify};
use crate::docs::{Entry, FilterRule, NotificationConfiguration, Target};

/// The bucket's notification configuration (empty when it has none).
pub async fn read_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<NotificationConfiguration, AwsError> {
    match s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => Ok(from_sdk(
            o.queue_configurations(),
            o.topic_configurations(),
            o.lambda_function_configurations(),
            o.event_bridge_configuration.is_some(),
        )),
        Err(e) if is_empty_answer(&e) => Ok(NotificationConfiguration::default()),
        Err(e) => Err(classify("s3:GetBucketNotification", bucket, e)),
    }
}

// ---- the notification configuration, SDK types <-> NotificationConfiguration ----

fn rules_of(filter: Option<&NotificationConfigurationFilter>) -> Option<Vec<FilterRule>> {
    let rules = filter?.key()?.filter_rules();
    Some(
        rules
            .iter()
            .map(|r| FilterRule {
                name: r.name().map(|n| n.as_str()).unwrap_or_default().to_owned(),
                value: r.value().unwrap_or_default().to_owned(),
            })
            .collect(),
    )
}

fn entry(
    id: Option<&str>,
    target: Target,
    events: &[S3Event],
    filter: Option<&NotificationConfigurationFilter>,
) -> Entry {
    Entry {
        id: id.map(str::to_owned),
        target,
        events: events.iter().map(|e| e.as_str().to_owned()).collect(),
        filter: rules_of(filter),
    }
}

/// The configuration the SDK read, topics first, as `aws s3api
/// get-bucket-notification-configuration` prints it.
pub fn from_sdk(
    queues: &[QueueConfiguration],
    topics: &[TopicConfiguration],
    lambdas: &[LambdaFunctionConfiguration],
    eventbridge: bool,
) -> NotificationConfiguration {
    let topics = topics.iter().map(|c| {
        let target = Target::Topic(c.topic_arn().to_owned());
        entry(c.id(), target, c.events(), c.filter())
    });
    let queues = queues.iter().map(|c| {
        let target = Target::Queue(c.queue_arn().to_owned());
        entry(c.id(), target, c.events(), c.filter())
    });
    let lambdas = lambdas.iter().map(|c| {
        let target = Target::Lambda(c.lambda_function_arn().to_owned());
        entry(c.id(), target, c.events(), c.filter())
    });
    NotificationConfiguration {
        entries: topics.chain(queues).chain(lambdas).collect(),
        eventbridge,
    }
}

fn sdk_filter(entry: &Entry) -> Option<NotificationConfigurationFilter> {
    let rules = entry
        .filter
        .as_ref()?
        .iter()
        .map(|r| {
            S3FilterRule::builder()
                .name(FilterRuleName::from(r.name.as_str()))
                .value(&r.value)
                .build()
        })
        .collect::<Vec<_>>();
    Some(
        NotificationConfigurationFilter::builder()
            .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
            .build(),
    )
}

/// The configuration as the SDK's type, for PutBucketNotificationConfiguration.
pub fn to_sdk(
    config: &NotificationConfiguration,
    action: &'static str,
    bucket: &str,
) -> Result<S3Configuration, AwsError> {
    let bad = |e: aws_sdk_s3::error::BuildError| {
        AwsError::new(action, bucket, format!("invalid notification entry: {e}"))
    };
    let (mut queues, mut topics, mut lambdas) = (Vec::new(), Vec::new(), Vec::new());
    for e in &config.entries {
        let events = Some(e.events.iter().map(|v| S3Event::from(v.as_str())).collect());
        match &e.target {
            Target::Queue(arn) => queues.push(
                QueueConfiguration::builder()
                    .set_id(e.id.clone())
                    .queue_arn(arn)
                    .set_events(events)
                    .set_filter(sdk_filter(e))
                    .build()
                    .map_err(bad)?,
            ),
            Target::Topic(arn) => topics.push(
                TopicConfiguration::builder()
                    .set_id(e.id.clone())
                    .topic_arn(arn)
                    .set_events(events)
                    .set_filter(sdk_filter(e))
                    .build()
                    .map_err(bad)?,
            ),
            Target::Lambda(arn) => lambdas.push(
                LambdaFunctionConfiguration::builder()
                    .set_id(e.id.clone())
                    .lambda_function_arn(arn)
                    .set_events(events)
                    .set_filter(sdk_filter(e))
                    .build()
                    .map_err(bad)?,
            ),
        }
    }
    let mut builder = S3Configuration::builder()
        .set_queue_configurations(Some(queues))
        .set_topic_configurations(Some(topics))
        .set_lambda_function_configurations(Some(lambdas));
    if config.eventbridge {
        builder = builder.event_bridge_configuration(
            aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
        );
    }
    Ok(builder.build())
}

/// Writes `config` as the bucket's whole notification configuration.
/// `keep_others` skips S3's check of each destination, so that entries of
/// others are put back as they were even when theirs is gone. A destination
/// S3 could not validate is named in the error.
pub async fn put_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &NotificationConfiguration,
    keep_others: bool,
) -> Result<(), AwsError> {
    write_notification(s3, bucket, config, keep_others)
        .await
        .map_err(|refused| refused.error)
}

/// A destination S3 could not validate when the configuration was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDestination {
    /// The destination's ARN (S3's `ArgumentName`).
    pub arn: String,
    /// Why, in S3's words (its `ArgumentValue`), e.g. "The destination queue
    /// does not exist".
    pub reason: String,
}

/// A refused write of the notification configuration: the error (its
/// message naming each destination S3 could not validate) and those
/// destinations.
#[derive(Debug, Clone)]
pub struct NotificationRefused {
    pub error: AwsError,
    pub destinations: Vec<RefusedDestination>,
}

/// [`put_notification`], with the destinations S3 could not validate.
/// PutBucketNotificationConfiguration replaces the whole configuration and
/// S3 checks every SQS and SNS destination in it (that it exists and the
/// bucket may publish to it), not only a new one: an entry of another team
/// whose queue is gone fails the write of ours. S3 names each such
/// destination in the error's `ArgumentName`/`ArgumentValue` elements
/// (numbered when there are several), which the SDK does not parse.
pub async fn write_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &NotificationConfiguration,
    keep_others: bool,
) -> Result<(), NotificationRefused> {
    const ACTION: &str = "s3:PutBucketNotification";
    let typed = to_sdk(config, ACTION, bucket).map_err(|error| NotificationRefused {
        error,
        destinations: Vec::new(),
    })?;
    let sent = s3
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(typed)
        .skip_destination_validation(keep_others)
        .send()
        .await;
    let Err(e) = sent else { return Ok(()) };
    let destinations = e
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(refused_destinations)
        .unwrap_or_default();
    let mut error = classify(ACTION, bucket, e);
    if !destinations.is_empty() {
        let named: Vec<String> = destinations
            .iter()
            .map(|d| format!("{} ({})", d.arn, d.reason))
            .collect();
        error.message = format!("{}: {}", error.message, named.join("; "));
    }
    Err(NotificationRefused {
        error,
        destinations,
    })
}

/// The destinations an S3 error body names: `ArgumentName`/`ArgumentValue`,
/// or `ArgumentName1`/`ArgumentValue1`, `ArgumentName2`... Only ARNs count
/// (S3 names a bad field the same way, e.g. `FilterRule.Name`).
pub fn refused_destinations(body: &[u8]) -> Vec<RefusedDestination> {
    let text = String::from_utf8_lossy(body);
    let element = |name: &str, from: usize| -> Option<(String, String, usize)> {
        let open = text[from..].find(&format!("<{name}"))? + from;
        let tag_end = text[open..].find('>')? + open;
        let suffix = text[open + 1 + name.len()..tag_end].to_owned();
        if !suffix.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let close = format!("</{name}{suffix}>");
        let end = text[tag_end..].find(&close)? + tag_end;
        Some((suffix, xml_unescape(&text[tag_end + 1..end]), end))
    };
    let mut names = Vec::new();
    let mut at = 0;
    while let Some((n, value, end)) = element("ArgumentName", at) {
        names.push((n, value));
        at = end;
    }
    names
        .into_iter()
        .filter(|(_, arn)| arn.starts_with("arn:"))
        .map(|(n, arn)| {
            let mut at = 0;
            let mut reason = String::new();
            while let Some((m, value, end)) = element("ArgumentValue", at) {
                if m == n {
                    reason = value;
                    break;
                }
                at = end;
            }
            RefusedDestination { arn, reason }
        })
        .collect()
}

pub(in crate::aws) fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
