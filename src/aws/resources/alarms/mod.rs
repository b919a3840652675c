//! The pipeline's CloudWatch alarms and the SNS topic they notify, through
//! every verb in one place: reading them (here), planning (`plan`),
//! applying (`apply`), verifying with a test notification (`verify`),
//! destroying (`destroy`) and restoring a backed-up definition (here).
//!
//! The alarms' names derive from the stack name (see
//! [`crate::docs::AlarmKind`]), so all three are always looked up: one the
//! spec no longer wants is found and, when it carries the stack's tag,
//! removed. An alarm or topic of that name without the tag is someone
//! else's and is never changed.

mod apply;
mod destroy;
mod plan;
mod verify;

use std::collections::BTreeMap;

use crate::aws::client::Clients;
use crate::aws::error::{AwsError, ErrorKind, Observed, classify, optional};
use crate::aws::ownership::{Owner, owner};
use crate::docs::policy::Policy;
use crate::docs::{
    AlarmKind, AlarmTopicDocument, Dimension, Metric, MetricAlarm, MetricQuery, MetricStat,
    Watched, alarm_topic_arn,
};
use crate::spec::Spec;

pub(crate) use apply::describe_saved;
pub(in crate::aws) use destroy::{destroy_alarm_topic, destroy_alarms};
pub(in crate::aws) use verify::verify_alarms;

/// One of the stack's alarms as CloudWatch has it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmState {
    pub definition: MetricAlarm,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: String,
    /// When the state last changed, in seconds since the epoch.
    pub since: Option<i64>,
    pub tags: BTreeMap<String, String>,
}

impl AlarmState {
    /// Whether the alarm carries the stack's tag.
    pub fn is_the_stacks(&self, stack: &str) -> bool {
        owner(&self.tags, stack) == Owner::Stack
    }
}

/// An SNS topic the alarms notify.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicState {
    pub arn: String,
    pub policy: Option<Policy>,
    pub tags: BTreeMap<String, String>,
    /// The e-mail addresses subscribed (confirmed or not).
    pub emails: Vec<String>,
}

/// What exists of the alarms and their topics.
#[derive(Debug, Clone)]
pub struct AlarmsObserved {
    /// sluice's topic, `<name>-alarms`, looked up whatever the spec says.
    pub topic: Observed<TopicState>,
    /// The topic `alarms.topic_arn` names, when it names one.
    pub given_topic: Option<Observed<TopicState>>,
    /// The alarms named as the stack's that exist, the stack's or not.
    pub alarms: Result<Vec<AlarmState>, AwsError>,
}

impl AlarmsObserved {
    /// Nothing: no topic, no alarm.
    pub fn none() -> Self {
        AlarmsObserved {
            topic: Ok(None),
            given_topic: None,
            alarms: Ok(Vec::new()),
        }
    }

    /// The alarm called `name`, when it exists.
    pub fn alarm(&self, name: &str) -> Result<Option<&AlarmState>, &AwsError> {
        self.alarms
            .as_ref()
            .map(|all| all.iter().find(|a| a.definition.alarm_name == name))
    }
}

/// What reading a spec's alarms needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmsLookup {
    pub stack: String,
    /// sluice's topic, `<name>-alarms`.
    pub own_topic: String,
    /// `alarms.topic_arn`.
    pub given_topic: Option<String>,
    /// Whether the spec has alarms: without, a denied read is no error.
    pub uses: bool,
}

impl AlarmsLookup {
    pub fn of(spec: &Spec) -> Self {
        AlarmsLookup {
            stack: spec.name.clone(),
            own_topic: own_topic_arn(spec),
            given_topic: spec.alarms.topic_arn.clone(),
            uses: spec.has_alarms(),
        }
    }
}

/// Reads the stack's alarms and topics. A caller without CloudWatch or SNS
/// rights whose spec has no alarms is not stopped for them: nothing is seen.
pub async fn observe_alarms(clients: &Clients, spec: &Spec) -> AlarmsObserved {
    look_up_alarms(clients, &AlarmsLookup::of(spec)).await
}

/// [`observe_alarms`] from what it needs of the spec.
pub async fn look_up_alarms(clients: &Clients, lookup: &AlarmsLookup) -> AlarmsObserved {
    let uses = lookup.uses;
    fn lenient<T>(r: Result<T, AwsError>, empty: T, uses: bool) -> Result<T, AwsError> {
        match r {
            Err(e) if !uses && e.kind == ErrorKind::AccessDenied => Ok(empty),
            other => other,
        }
    }
    let (topic, given, alarms) = tokio::join!(
        observe_topic(clients, &lookup.own_topic),
        async {
            match &lookup.given_topic {
                Some(arn) => Some(observe_topic(clients, arn).await),
                None => None,
            }
        },
        read_alarms(clients, &lookup.stack),
    );
    AlarmsObserved {
        topic: lenient(topic, None, uses),
        given_topic: given,
        alarms: lenient(alarms, Vec::new(), uses),
    }
}

/// The ARN sluice's own topic has (or would have).
pub(crate) fn own_topic_arn(spec: &Spec) -> String {
    let mut own = spec.clone();
    own.alarms.topic_arn = None;
    alarm_topic_arn(&own)
}

/// The stack's alarms that exist, with their state and tags.
pub async fn read_alarms(clients: &Clients, stack: &str) -> Result<Vec<AlarmState>, AwsError> {
    let names: Vec<String> = AlarmKind::ALL.iter().map(|k| k.name(stack)).collect();
    let out = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names))
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
        .send()
        .await
        .map_err(|e| classify("cloudwatch:DescribeAlarms", stack, e))?;
    let mut found = Vec::new();
    for alarm in out.metric_alarms() {
        let Some(name) = alarm.alarm_name() else {
            continue;
        };
        // Only the stack's names: CloudWatch matches AlarmNames exactly.
        if AlarmKind::of_name(stack, name).is_none() {
            continue;
        }
        let arn = alarm.alarm_arn().unwrap_or_default().to_owned();
        let tags = optional(
            clients
                .cloudwatch
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| classify("cloudwatch:ListTagsForResource", name, e)),
        )?
        .map(|t| {
            t.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
        found.push(AlarmState {
            definition: definition_of(alarm),
            arn,
            state: alarm
                .state_value()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            reason: alarm.state_reason().unwrap_or_default().to_owned(),
            since: alarm.state_updated_timestamp().map(|t| t.secs()),
            tags,
        });
    }
    found.sort_by(|a, b| a.definition.alarm_name.cmp(&b.definition.alarm_name));
    Ok(found)
}

/// An alarm as CloudWatch describes it, in the shape sluice writes: what
/// DescribeAlarms leaves out is CloudWatch's default (`DatapointsToAlarm`
/// is `EvaluationPeriods`, `TreatMissingData` is `missing`, a query
/// returns its data unless told not to).
fn definition_of(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> MetricAlarm {
    let dims = |d: &[aws_sdk_cloudwatch::types::Dimension]| -> Vec<Dimension> {
        d.iter()
            .map(|d| Dimension {
                name: d.name().unwrap_or_default().to_owned(),
                value: d.value().unwrap_or_default().to_owned(),
            })
            .collect()
    };
    let watched = if alarm.metrics().is_empty() {
        Watched::Metric {
            namespace: alarm.namespace().unwrap_or_default().to_owned(),
            metric_name: alarm.metric_name().unwrap_or_default().to_owned(),
            dimensions: dims(alarm.dimensions()),
            statistic: alarm
                .statistic()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            period: alarm.period().unwrap_or_default(),
        }
    } else {
        Watched::Math {
            metrics: alarm
                .metrics()
                .iter()
                .map(|q| MetricQuery {
                    id: q.id().unwrap_or_default().to_owned(),
                    expression: q.expression().map(str::to_owned),
                    label: q.label().map(str::to_owned),
                    metric_stat: q.metric_stat().map(|s| MetricStat {
                        metric: s.metric().map_or_else(
                            || Metric {
                                namespace: String::new(),
                                metric_name: String::new(),
                                dimensions: Vec::new(),
                            },
                            |m| Metric {
                                namespace: m.namespace().unwrap_or_default().to_owned(),
                                metric_name: m.metric_name().unwrap_or_default().to_owned(),
                                dimensions: dims(m.dimensions()),
                            },
                        ),
                        period: s.period().unwrap_or_default(),
                        stat: s.stat().unwrap_or_default().to_owned(),
                    }),
                    return_data: q.return_data().unwrap_or(true),
                })
                .collect(),
        }
    };
    // The queries by id, as the definitions are written: their order
    // means nothing to CloudWatch.
    let watched = match watched {
        Watched::Math { mut metrics } => {
            metrics.sort_by(|a, b| a.id.cmp(&b.id));
            Watched::Math { metrics }
        }
        metric => metric,
    };
    let evaluation_periods = alarm.evaluation_periods().unwrap_or(1);
    MetricAlarm {
        alarm_name: alarm.alarm_name().unwrap_or_default().to_owned(),
        alarm_description: alarm.alarm_description().unwrap_or_default().to_owned(),
        actions_enabled: alarm.actions_enabled().unwrap_or(true),
        ok_actions: alarm.ok_actions().to_vec(),
        alarm_actions: alarm.alarm_actions().to_vec(),
        watched,
        evaluation_periods,
        datapoints_to_alarm: alarm.datapoints_to_alarm().unwrap_or(evaluation_periods),
        threshold: alarm.threshold().unwrap_or_default(),
        comparison_operator: alarm
            .comparison_operator()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        treat_missing_data: alarm.treat_missing_data().unwrap_or("missing").to_owned(),
    }
}

/// The topic `arn`: its policy, tags and e-mail subscriptions; `None` when
/// it does not exist.
pub async fn observe_topic(clients: &Clients, arn: &str) -> Observed<TopicState> {
    let sns = &clients.sns;
    let Some(attributes) = optional(
        sns.get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
            .map_err(|e| classify("sns:GetTopicAttributes", arn, e)),
    )?
    else {
        return Ok(None);
    };
    let policy = attributes
        .attributes()
        .and_then(|a| a.get("Policy"))
        .map(|text| Policy::parse(text))
        .transpose()
        .map_err(|e| {
            AwsError::new(
                "sns:GetTopicAttributes",
                arn,
                format!("the topic's access policy is {e}"),
            )
        })?;
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| classify("sns:ListTagsForResource", arn, e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    let mut emails = Vec::new();
    let mut token = None;
    loop {
        let page = sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sns:ListSubscriptionsByTopic", arn, e))?;
        emails.extend(
            page.subscriptions()
                .iter()
                .filter(|s| matches!(s.protocol(), Some("email" | "email-json")))
                .filter_map(|s| s.endpoint().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(Some(TopicState {
        arn: arn.to_owned(),
        policy,
        tags,
        emails,
    }))
}

/// The plan's document of a topic as it is: its policy, and the spec's
/// address when it is subscribed.
pub(crate) fn topic_document(topic: &TopicState, spec: &Spec) -> AlarmTopicDocument {
    let email_subscription = spec
        .alarms
        .email
        .clone()
        .filter(|email| topic.emails.iter().any(|e| e.eq_ignore_ascii_case(email)));
    AlarmTopicDocument {
        policy: topic.policy.clone(),
        email_subscription,
    }
}

/// Writes `alarm` with PutMetricAlarm, which makes it or replaces its whole
/// definition; `tags` are set only when it is made (CloudWatch ignores
/// them on an update: TagResource changes them).
pub(crate) async fn put_alarm(
    clients: &Clients,
    alarm: &MetricAlarm,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    use aws_sdk_cloudwatch::types as cw;
    let dims = |d: &[Dimension]| -> Vec<cw::Dimension> {
        d.iter()
            .map(|d| {
                cw::Dimension::builder()
                    .name(&d.name)
                    .value(&d.value)
                    .build()
            })
            .collect()
    };
    let mut put = clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.alarm_name)
        .alarm_description(&alarm.alarm_description)
        .actions_enabled(alarm.actions_enabled)
        .set_ok_actions(Some(alarm.ok_actions.clone()))
        .set_alarm_actions(Some(alarm.alarm_actions.clone()))
        .evaluation_periods(alarm.evaluation_periods)
        .datapoints_to_alarm(alarm.datapoints_to_alarm)
        .threshold(alarm.threshold)
        .comparison_operator(cw::ComparisonOperator::from(
            alarm.comparison_operator.as_str(),
        ))
        .treat_missing_data(&alarm.treat_missing_data)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| cw::Tag::builder().key(k).value(v).build())
                .collect(),
        ));
    put = match &alarm.watched {
        Watched::Metric {
            namespace,
            metric_name,
            dimensions,
            statistic,
            period,
        } => put
            .namespace(namespace)
            .metric_name(metric_name)
            .set_dimensions(Some(dims(dimensions)))
            .statistic(cw::Statistic::from(statistic.as_str()))
            .period(*period),
        Watched::Math { metrics } => put.set_metrics(Some(
            metrics
                .iter()
                .map(|q| {
                    cw::MetricDataQuery::builder()
                        .id(&q.id)
                        .set_expression(q.expression.clone())
                        .set_label(q.label.clone())
                        .set_metric_stat(q.metric_stat.as_ref().map(|s| {
                            cw::MetricStat::builder()
                                .metric(
                                    cw::Metric::builder()
                                        .namespace(&s.metric.namespace)
                                        .metric_name(&s.metric.metric_name)
                                        .set_dimensions(Some(dims(&s.metric.dimensions)))
                                        .build(),
                                )
                                .period(s.period)
                                .stat(&s.stat)
                                .build()
                        }))
                        .return_data(q.return_data)
                        .build()
                })
                .collect(),
        )),
    };
    put.send()
        .await
        .map(|_| ())
        .map_err(|e| classify("cloudwatch:PutMetricAlarm", &alarm.alarm_name, e))
}

/// Puts a backed-up alarm definition back (restore).
pub(crate) async fn restore_alarm(clients: &Clients, alarm: &MetricAlarm) -> Result<(), AwsError> {
    put_alarm(clients, alarm, &BTreeMap::new()).await
}

/// Puts a backed-up topic policy back (restore).
pub(crate) async fn restore_topic_policy(
    clients: &Clients,
    topic_arn: &str,
    policy: &Policy,
) -> Result<(), AwsError> {
    clients
        .sns
        .set_topic_attributes()
        .topic_arn(topic_arn)
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify("sns:SetTopicAttributes", topic_arn, e))
}
