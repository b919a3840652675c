//! The bucket's notification configuration: read and written as JSON in
//! the shape of S3's API (the SDK's types converted both ways), and S3's
//! refusal of a destination read from its error body.

use aws_sdk_s3::types::{
    Event as S3Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    TopicConfiguration,
};
use serde_json::{Map, Value, json};

use crate::aws::emulator::is_empty_answer;
use crate::aws::error::{AwsError, classify};

/// The bucket's notification configuration as JSON (`{}` when it has none).
pub async fn read_notification(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Value, AwsError> {
    match s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => Ok(notification_to_json(
            &o.queue_configurations,
            &o.topic_configurations,
            &o.lambda_function_configurations,
            o.event_bridge_configuration.is_some(),
        )),
        Err(e) if is_empty_answer(&e) => Ok(Value::Object(Map::new())),
        Err(e) => Err(classify("s3:GetBucketNotification", bucket, e)),
    }
}

// ---- the notification configuration, SDK types <-> the API's JSON shape ----

pub(in crate::aws) fn filter_json(
    filter: Option<&NotificationConfigurationFilter>,
) -> Option<Value> {
    let rules = filter?.key()?.filter_rules();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "Name": r.name().map(|n| n.as_str()).unwrap_or_default(),
                "Value": r.value().unwrap_or_default(),
            })
        })
        .collect();
    Some(json!({ "Key": { "FilterRules": rules } }))
}

pub(in crate::aws) fn entry_json(
    id: Option<&str>,
    target_key: &str,
    target: &str,
    events: &[S3Event],
    filter: Option<&NotificationConfigurationFilter>,
) -> Value {
    let mut entry = Map::new();
    if let Some(id) = id {
        entry.insert("Id".into(), id.into());
    }
    entry.insert(target_key.into(), target.into());
    entry.insert(
        "Events".into(),
        events
            .iter()
            .map(|e| Value::from(e.as_str()))
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(f) = filter_json(filter) {
        entry.insert("Filter".into(), f);
    }
    Value::Object(entry)
}

/// The configuration as JSON, in the shape `aws s3api get-bucket-notification-configuration` prints.
pub fn notification_to_json(
    queues: &Option<Vec<QueueConfiguration>>,
    topics: &Option<Vec<TopicConfiguration>>,
    lambdas: &Option<Vec<LambdaFunctionConfiguration>>,
    eventbridge: bool,
) -> Value {
    let mut config = Map::new();
    if let Some(list) = topics.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| entry_json(c.id(), "TopicArn", c.topic_arn(), c.events(), c.filter()))
            .collect();
        config.insert("TopicConfigurations".into(), entries.into());
    }
    if let Some(list) = queues.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| entry_json(c.id(), "QueueArn", c.queue_arn(), c.events(), c.filter()))
            .collect();
        config.insert("QueueConfigurations".into(), entries.into());
    }
    if let Some(list) = lambdas.as_ref().filter(|l| !l.is_empty()) {
        let entries: Vec<Value> = list
            .iter()
            .map(|c| {
                entry_json(
                    c.id(),
                    "LambdaFunctionArn",
                    c.lambda_function_arn(),
                    c.events(),
                    c.filter(),
                )
            })
            .collect();
        config.insert("LambdaFunctionConfigurations".into(), entries.into());
    }
    if eventbridge {
        config.insert("EventBridgeConfiguration".into(), json!({}));
    }
    Value::Object(config)
}

pub(in crate::aws) fn events_of(entry: &Value) -> Vec<S3Event> {
    crate::docs::entry_events(entry)
        .into_iter()
        .map(S3Event::from)
        .collect()
}

pub(in crate::aws) fn filter_of(entry: &Value) -> Option<NotificationConfigurationFilter> {
    let rules = entry.pointer("/Filter/Key/FilterRules")?.as_array()?;
    let rules = rules
        .iter()
        .map(|r| {
            FilterRule::builder()
                .name(FilterRuleName::from(
                    r.get("Name").and_then(Value::as_str).unwrap_or_default(),
                ))
                .value(r.get("Value").and_then(Value::as_str).unwrap_or_default())
                .build()
        })
        .collect::<Vec<_>>();
    Some(
        NotificationConfigurationFilter::builder()
            .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
            .build(),
    )
}

pub(in crate::aws) fn str_of<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry.get(key).and_then(Value::as_str).unwrap_or_default()
}

pub(in crate::aws) fn list_of<'a>(config: &'a Value, key: &str) -> &'a [Value] {
    config
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Writes `config` (JSON) as the bucket's whole notification configuration.
/// `keep_others` skips S3's check of each destination, so that entries of
/// others are put back as they were even when theirs is gone. A destination
/// S3 could not validate is named in the error.
pub async fn put_notification(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &Value,
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
    config: &Value,
    keep_others: bool,
) -> Result<(), NotificationRefused> {
    const ACTION: &str = "s3:PutBucketNotification";
    let typed =
        notification_from_json(config, ACTION, bucket).map_err(|error| NotificationRefused {
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

/// The JSON configuration as the SDK's type, for PutBucketNotificationConfiguration.
pub fn notification_from_json(
    config: &Value,
    action: &'static str,
    bucket: &str,
) -> Result<NotificationConfiguration, AwsError> {
    let bad = |e: aws_sdk_s3::error::BuildError| {
        AwsError::new(action, bucket, format!("invalid notification entry: {e}"))
    };
    let queues = list_of(config, "QueueConfigurations")
        .iter()
        .map(|e| {
            QueueConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .queue_arn(str_of(e, "QueueArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let topics = list_of(config, "TopicConfigurations")
        .iter()
        .map(|e| {
            TopicConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .topic_arn(str_of(e, "TopicArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let lambdas = list_of(config, "LambdaFunctionConfigurations")
        .iter()
        .map(|e| {
            LambdaFunctionConfiguration::builder()
                .set_id(e.get("Id").and_then(Value::as_str).map(str::to_owned))
                .lambda_function_arn(str_of(e, "LambdaFunctionArn"))
                .set_events(Some(events_of(e)))
                .set_filter(filter_of(e))
                .build()
                .map_err(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut builder = NotificationConfiguration::builder()
        .set_queue_configurations(Some(queues))
        .set_topic_configurations(Some(topics))
        .set_lambda_function_configurations(Some(lambdas));
    if config.get("EventBridgeConfiguration").is_some() {
        builder = builder.event_bridge_configuration(
            aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
        );
    }
    Ok(builder.build())
}
