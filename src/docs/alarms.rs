//! The pipeline's CloudWatch alarms and the topic they notify: typed
//! definitions in the shape of CloudWatch's PutMetricAlarm (the plan's
//! documents, the exports' resources and what the engine writes are all
//! made from them), and the topic's access policy.
//!
//! Three alarms, each on SQS's own metrics (Amazon SQS Developer Guide,
//! "Available CloudWatch metrics for Amazon SQS"):
//! - the dead-letter queue is not empty (`ApproximateNumberOfMessagesVisible`
//!   of the dead-letter queue above 0);
//! - the oldest message is too old (`ApproximateAgeOfOldestMessage`);
//! - the pipeline stalled: messages were sent to the queue and none was
//!   deleted in one period (`NumberOfMessagesSent`, `NumberOfMessagesDeleted`,
//!   combined by metric math).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::policy::{Policy, Principal, Statement, and, condition};

use super::{Arns, partition};
use crate::spec::Spec;

/// The namespace of SQS's metrics.
pub const SQS_NAMESPACE: &str = "AWS/SQS";

/// The Sid of the topic policy's statement that lets CloudWatch publish.
pub const ALARM_TOPIC_SID: &str = "CloudWatchAlarmsPublish";

/// Which of the pipeline's alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmKind {
    DlqNotEmpty,
    OldestMessageAge,
    Stalled,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 3] = [
        AlarmKind::DlqNotEmpty,
        AlarmKind::OldestMessageAge,
        AlarmKind::Stalled,
    ];

    /// The end of the alarm's name, after the stack name.
    pub fn suffix(self) -> &'static str {
        match self {
            AlarmKind::DlqNotEmpty => "dlq-not-empty",
            AlarmKind::OldestMessageAge => "oldest-message-age",
            AlarmKind::Stalled => "stalled",
        }
    }

    /// The alarm's name in the stack `stack`.
    pub fn name(self, stack: &str) -> String {
        format!("{stack}-{}", self.suffix())
    }

    /// The kind of the stack's alarm called `name`, if it is one.
    pub fn of_name(stack: &str, name: &str) -> Option<AlarmKind> {
        Self::ALL.into_iter().find(|k| k.name(stack) == name)
    }

    /// The spec's setting that turns this alarm on and off.
    pub fn path(self) -> &'static str {
        use crate::spec::path;
        match self {
            AlarmKind::DlqNotEmpty => path::ALARMS_DLQ_NOT_EMPTY,
            AlarmKind::OldestMessageAge => path::ALARMS_MAX_MESSAGE_AGE,
            AlarmKind::Stalled => path::ALARMS_STALLED_AFTER,
        }
    }
}

/// One dimension of a metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

/// A metric of a metric-math alarm's query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
}

/// A metric and how it is aggregated, in a metric-math alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    pub metric: Metric,
    pub period: i32,
    pub stat: String,
}

/// One query of a metric-math alarm (CloudWatch's MetricDataQuery).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricQuery {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    pub return_data: bool,
}

/// What the alarm watches: one metric, or metric math over several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Watched {
    #[serde(rename_all = "PascalCase")]
    Metric {
        namespace: String,
        metric_name: String,
        dimensions: Vec<Dimension>,
        statistic: String,
        period: i32,
    },
    #[serde(rename_all = "PascalCase")]
    Math { metrics: Vec<MetricQuery> },
}

/// An alarm as PutMetricAlarm takes it (and DescribeAlarms gives it back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricAlarm {
    pub alarm_name: String,
    pub alarm_description: String,
    pub actions_enabled: bool,
    #[serde(rename = "OKActions")]
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    #[serde(flatten)]
    pub watched: Watched,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
}

impl MetricAlarm {
    /// The plan's document: the definition as JSON, keys in AWS's order.
    pub fn document(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Which of the stack's alarms this is.
    pub fn kind(&self, stack: &str) -> Option<AlarmKind> {
        AlarmKind::of_name(stack, &self.alarm_name)
    }
}

/// The topic sluice makes for the alarms: `<name>-alarms`.
pub fn alarm_topic_name(spec: &Spec) -> String {
    format!("{}-alarms", spec.name)
}

/// The ARN of the topic the alarms notify: the spec's, or sluice's own.
pub fn alarm_topic_arn(spec: &Spec) -> String {
    spec.alarms.topic_arn.clone().unwrap_or_else(|| {
        let arns = Arns::of(spec);
        format!(
            "arn:{}:sns:{}:{}:{}",
            arns.partition,
            spec.region,
            arns.account,
            alarm_topic_name(spec)
        )
    })
}

/// Whether sluice makes the alarms' topic (else the spec names one).
pub fn makes_alarm_topic(spec: &Spec) -> bool {
    spec.has_alarms() && spec.alarms.topic_arn.is_none()
}

/// Why the spec has no alarm of `kind`, when it has alarms at all but not
/// this one.
pub fn alarm_skipped_because(spec: &Spec, kind: AlarmKind) -> Option<String> {
    let a = &spec.alarms;
    match kind {
        AlarmKind::DlqNotEmpty if !a.dlq_not_empty => {
            Some("alarms.dlq_not_empty is false".into())
        }
        AlarmKind::DlqNotEmpty if !spec.has_dead_letter() => {
            Some("the queue has no dead-letter queue (queue.dead_letter.enabled is false)".into())
        }
        AlarmKind::DlqNotEmpty if !spec.queue.create => Some(
            "the queue is adopted (queue.create is false): its dead-letter queue, if it has one, is not the pipeline's"
                .into(),
        ),
        AlarmKind::OldestMessageAge if a.max_message_age_secs == 0 => {
            Some("alarms.max_message_age_secs is 0".into())
        }
        AlarmKind::Stalled if a.stalled_after_secs == 0 => {
            Some("alarms.stalled_after_secs is 0".into())
        }
        _ => None,
    }
}

fn queue_dimension(queue: &str) -> Vec<Dimension> {
    vec![Dimension {
        name: "QueueName".into(),
        value: queue.to_owned(),
    }]
}

fn described(spec: &Spec, what: &str) -> String {
    format!("{what} (sluice stack {})", spec.name)
}

/// The alarm of `kind` as the spec wants it, when it wants it.
pub fn alarm(spec: &Spec, kind: AlarmKind) -> Option<MetricAlarm> {
    if !spec.has_alarms() || alarm_skipped_because(spec, kind).is_some() {
        return None;
    }
    let a = &spec.alarms;
    let topic = alarm_topic_arn(spec);
    let queue = &spec.queue.name;
    let base = |description: String, watched: Watched, threshold: f64, operator: &str| {
        MetricAlarm {
            alarm_name: kind.name(&spec.name),
            alarm_description: description,
            actions_enabled: true,
            ok_actions: vec![topic.clone()],
            alarm_actions: vec![topic.clone()],
            watched,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            threshold,
            comparison_operator: operator.to_owned(),
            // An idle queue's metrics may stop: no data is no trouble.
            treat_missing_data: "notBreaching".to_owned(),
        }
    };
    Some(match kind {
        AlarmKind::DlqNotEmpty => base(
            described(
                spec,
                &format!(
                    "The dead-letter queue {} holds messages the pipeline could not process",
                    spec.queue.dead_letter.name
                ),
            ),
            Watched::Metric {
                namespace: SQS_NAMESPACE.into(),
                metric_name: "ApproximateNumberOfMessagesVisible".into(),
                dimensions: queue_dimension(&spec.queue.dead_letter.name),
                statistic: "Maximum".into(),
                period: 60,
            },
            0.0,
            "GreaterThanThreshold",
        ),
        AlarmKind::OldestMessageAge => base(
            described(
                spec,
                &format!(
                    "The oldest message in {queue} is older than {} seconds",
                    a.max_message_age_secs
                ),
            ),
            Watched::Metric {
                namespace: SQS_NAMESPACE.into(),
                metric_name: "ApproximateAgeOfOldestMessage".into(),
                dimensions: queue_dimension(queue),
                statistic: "Maximum".into(),
                period: 60,
            },
            f64::from(a.max_message_age_secs),
            "GreaterThanThreshold",
        ),
        AlarmKind::Stalled => {
            let period = i32::try_from(a.stalled_after_secs).unwrap_or(i32::MAX);
            let stat = |id: &str, metric: &str| MetricQuery {
                id: id.into(),
                expression: None,
                label: None,
                metric_stat: Some(MetricStat {
                    metric: Metric {
                        namespace: SQS_NAMESPACE.into(),
                        metric_name: metric.into(),
                        dimensions: queue_dimension(queue),
                    },
                    period,
                    stat: "Sum".into(),
                }),
                return_data: false,
            };
            base(
                described(
                    spec,
                    &format!(
                        "Messages reached {queue} and none was consumed for {} seconds",
                        a.stalled_after_secs
                    ),
                ),
                // By id: CloudWatch gives the queries back in the order they
                // were put, which means nothing (each is named by its id), and
                // Terraform puts them in its own (metric_query is a set):
                // the engine reads them back sorted the same way.
                Watched::Math {
                    metrics: vec![
                        stat("deleted", "NumberOfMessagesDeleted"),
                        stat("sent", "NumberOfMessagesSent"),
                        MetricQuery {
                            id: "stalled".into(),
                            expression: Some("IF(sent > 0 AND FILL(deleted, 0) == 0, 1, 0)".into()),
                            label: Some("Sent but not consumed".into()),
                            metric_stat: None,
                            return_data: true,
                        },
                    ],
                },
                1.0,
                "GreaterThanOrEqualToThreshold",
            )
        }
    })
}

/// Every alarm the spec wants, in the order apply makes them.
pub fn alarms(spec: &Spec) -> Vec<MetricAlarm> {
    AlarmKind::ALL
        .into_iter()
        .filter_map(|k| alarm(spec, k))
        .collect()
}

/// The access policy of sluice's topic: CloudWatch may publish to it for
/// the stack's alarms in this account, and nothing else is granted (the
/// account's own principals reach it through their IAM policies). The
/// conditions are the ones CloudWatch documents against the confused
/// deputy: `aws:SourceArn` (each of the stack's alarms, by its ARN: a
/// pattern on the stack name would let a stack named like it in) and
/// `aws:SourceAccount`.
pub fn alarm_topic_policy(spec: &Spec) -> Policy {
    let arns = Arns::of(spec);
    let p = partition(&spec.region);
    let sources: Vec<String> = alarms(spec)
        .iter()
        .map(|a| {
            format!(
                "arn:{p}:cloudwatch:{}:{}:alarm:{}",
                spec.region, arns.account, a.alarm_name
            )
        })
        .collect();
    let mut conditions = condition("ArnEquals", "aws:SourceArn", sources.into());
    and(
        &mut conditions,
        "StringEquals",
        "aws:SourceAccount",
        arns.account.into(),
    );
    Policy::new(vec![
        Statement::allow(ALARM_TOPIC_SID, "sns:Publish", alarm_topic_arn(spec))
            .principal(Principal::service("cloudwatch.amazonaws.com"))
            .condition(conditions),
    ])
}

/// The Sid of the statement that lets the alarms' topic send to verify's
/// probe queue.
pub const ALARM_PROBE_SID: &str = "AlarmTopicSends";

/// The access policy of verify's probe queue `probe_arn`: the alarms'
/// topic `topic_arn`, and nothing else, sends to it.
pub fn alarm_probe_policy(probe_arn: &str, topic_arn: &str) -> Policy {
    Policy::new(vec![super::sqs::topic_sends(
        ALARM_PROBE_SID,
        probe_arn,
        topic_arn,
    )])
}

/// The topic's document in a plan: its access policy and the e-mail
/// address subscribed to it.
pub fn alarm_topic_document(spec: &Spec) -> super::AlarmTopicDocument {
    super::AlarmTopicDocument {
        policy: Some(alarm_topic_policy(spec)),
        email_subscription: spec.alarms.email.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::testing::acme;
    use serde_json::json;

    fn with_alarms() -> Spec {
        let mut spec = acme();
        spec.alarms.enabled = true;
        spec
    }

    #[test]
    fn the_probe_queue_takes_only_the_alarms_topic() {
        let topic = "arn:aws:sns:us-west-2:123456789012:acme-ingest-alarms";
        let probe = "arn:aws:sqs:us-west-2:123456789012:acme-ingest-alarm-probe-x1";
        assert_eq!(
            crate::docs::json(&alarm_probe_policy(probe, topic)),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": ALARM_PROBE_SID,
                    "Effect": "Allow",
                    "Principal": { "Service": "sns.amazonaws.com" },
                    "Action": "sqs:SendMessage",
                    "Resource": probe,
                    "Condition": { "ArnEquals": { "aws:SourceArn": topic } }
                }]
            })
        );
    }

    #[test]
    fn off_or_without_a_queue_there_is_no_alarm() {
        let mut spec = acme();
        assert!(alarms(&spec).is_empty());
        spec.alarms.enabled = true;
        assert_eq!(alarms(&spec).len(), 3);
        spec.queue.enabled = false;
        assert!(alarms(&spec).is_empty());
        assert!(!makes_alarm_topic(&spec));
    }

    #[test]
    fn each_alarm_watches_its_queue_and_notifies_the_topic() {
        let spec = with_alarms();
        let all = alarms(&spec);
        let names: Vec<&str> = all.iter().map(|a| a.alarm_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "acme-ingest-dlq-not-empty",
                "acme-ingest-oldest-message-age",
                "acme-ingest-stalled"
            ]
        );
        let topic = "arn:aws:sns:us-west-2:123456789012:acme-ingest-alarms";
        for a in &all {
            assert_eq!(a.alarm_actions, [topic]);
            assert_eq!(a.ok_actions, [topic]);
        }
        let dlq = all[0].document();
        assert_eq!(dlq["MetricName"], "ApproximateNumberOfMessagesVisible");
        assert_eq!(dlq["Dimensions"][0]["Value"], "acme-ingest-queue-dlq");
        assert_eq!(dlq["OKActions"][0], topic);
        let age = all[1].document();
        assert_eq!(age["Threshold"], 1800.0);
        let stalled = all[2].document();
        assert!(stalled.get("MetricName").is_none(), "{stalled}");
        assert_eq!(stalled["Metrics"][0]["MetricStat"]["Period"], 3600);
        assert_eq!(stalled["Metrics"][2]["ReturnData"], true);
        assert_eq!(
            AlarmKind::of_name("acme-ingest", "acme-ingest-stalled"),
            Some(AlarmKind::Stalled)
        );
    }

    #[test]
    fn each_alarm_left_out_says_why() {
        let mut spec = with_alarms();
        spec.queue.dead_letter.enabled = false;
        spec.alarms.stalled_after_secs = 0;
        assert_eq!(alarms(&spec).len(), 1);
        assert!(
            alarm_skipped_because(&spec, AlarmKind::DlqNotEmpty)
                .is_some_and(|why| why.contains("no dead-letter queue"))
        );
        assert!(
            alarm_skipped_because(&spec, AlarmKind::Stalled)
                .is_some_and(|why| why.contains("stalled_after_secs is 0"))
        );
        spec.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
        assert!(!makes_alarm_topic(&spec));
        assert_eq!(
            alarms(&spec)[0].alarm_actions,
            ["arn:aws:sns:us-west-2:123456789012:ops"]
        );
    }

    #[test]
    fn the_topic_lets_only_the_stacks_alarms_publish() {
        let policy = crate::docs::json(&alarm_topic_policy(&with_alarms()));
        let statement = &policy["Statement"][0];
        assert_eq!(
            statement["Principal"]["Service"],
            "cloudwatch.amazonaws.com"
        );
        assert_eq!(
            statement["Condition"]["ArnEquals"]["aws:SourceArn"],
            json!([
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:acme-ingest-dlq-not-empty",
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:acme-ingest-oldest-message-age",
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:acme-ingest-stalled"
            ])
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
    }
}
