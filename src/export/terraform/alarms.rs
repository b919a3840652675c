//! The alarms in Terraform: sluice's topic (with its access policy and the
//! e-mail subscription) and one `aws_cloudwatch_metric_alarm` per alarm.

use super::hcl::{Block, Expr, File};
use crate::docs::{self, ResourceKind};
use crate::spec::Spec;

/// How the configuration refers to the alarms' topic sluice makes.
const ALARM_TOPIC: &str = "aws_sns_topic.alarms.arn";

/// `expr` with sluice's alarm topic by reference, when sluice makes it.
fn alarm_topic_ref(spec: &Spec, expr: Expr) -> Expr {
    if ResourceKind::AlarmTopic.wanted(spec) {
        expr.with_reference(&docs::alarm_topic_arn(spec), ALARM_TOPIC)
    } else {
        expr
    }
}

/// The alarms' topic, when sluice makes it: with its access policy and the
/// e-mail subscription.
pub(super) fn alarm_topic(file: &mut File, spec: &Spec) {
    let mut topic = Block::resource("aws_sns_topic", "alarms");
    topic
        .attr("name", Expr::str(&docs::alarm_topic_name(spec)))
        .attr("tags", Expr::raw("local.tags"));
    file.block(topic);
    let mut policy = Block::resource("aws_sns_topic_policy", "alarms");
    policy.attr("arn", Expr::raw(ALARM_TOPIC)).attr(
        "policy",
        alarm_topic_ref(spec, Expr::jsonencode(&docs::alarm_topic_policy(spec))),
    );
    file.block(policy);
    if let Some(email) = &spec.alarms.email {
        let mut subscription = Block::resource("aws_sns_topic_subscription", "alarm_email");
        subscription
            .attr("topic_arn", Expr::raw(ALARM_TOPIC))
            .attr("protocol", Expr::str("email"))
            .attr("endpoint", Expr::str(email));
        file.block(subscription);
    }
}

/// One `aws_cloudwatch_metric_alarm` per alarm, from its PutMetricAlarm
/// definition; sluice's topic by reference.
pub(super) fn alarms(file: &mut File, spec: &Spec) {
    let dimensions = |dims: &[docs::Dimension]| {
        Expr::Object(
            dims.iter()
                .map(|d| (d.name.clone(), Expr::str(&d.value)))
                .collect(),
        )
    };
    for alarm in docs::alarms(spec) {
        let Some(kind) = alarm.kind(&spec.name) else {
            continue;
        };
        let mut block = Block::resource(
            "aws_cloudwatch_metric_alarm",
            &kind.suffix().replace('-', "_"),
        );
        let actions = |arns: &[String]| {
            alarm_topic_ref(
                spec,
                Expr::List(arns.iter().map(|a| Expr::str(a)).collect()),
            )
        };
        block
            .attr("alarm_name", Expr::str(&alarm.alarm_name))
            .attr("alarm_description", Expr::str(&alarm.alarm_description))
            .attr(
                "actions_enabled",
                Expr::raw(alarm.actions_enabled.to_string()),
            )
            .attr("ok_actions", actions(&alarm.ok_actions))
            .attr("alarm_actions", actions(&alarm.alarm_actions));
        match &alarm.watched {
            docs::Watched::Metric {
                namespace,
                metric_name,
                dimensions: dims,
                statistic,
                period,
            } => {
                block
                    .attr("namespace", Expr::str(namespace))
                    .attr("metric_name", Expr::str(metric_name))
                    .attr("dimensions", dimensions(dims))
                    .attr("statistic", Expr::str(statistic))
                    .attr("period", Expr::raw(period.to_string()));
            }
            docs::Watched::Math { metrics } => {
                for query in metrics {
                    let mut q = Block::new("metric_query", &[]);
                    q.attr("id", Expr::str(&query.id));
                    if let Some(expression) = &query.expression {
                        q.attr("expression", Expr::str(expression));
                    }
                    if let Some(label) = &query.label {
                        q.attr("label", Expr::str(label));
                    }
                    q.attr("return_data", Expr::raw(query.return_data.to_string()));
                    if let Some(stat) = &query.metric_stat {
                        let mut metric = Block::new("metric", &[]);
                        metric
                            .attr("namespace", Expr::str(&stat.metric.namespace))
                            .attr("metric_name", Expr::str(&stat.metric.metric_name))
                            .attr("dimensions", dimensions(&stat.metric.dimensions))
                            .attr("period", Expr::raw(stat.period.to_string()))
                            .attr("stat", Expr::str(&stat.stat));
                        q.block(metric);
                    }
                    block.block(q);
                }
            }
        }
        block
            .attr(
                "evaluation_periods",
                Expr::raw(alarm.evaluation_periods.to_string()),
            )
            .attr(
                "datapoints_to_alarm",
                Expr::raw(alarm.datapoints_to_alarm.to_string()),
            )
            .attr(
                "threshold",
                Expr::from_json(&serde_json::json!(alarm.threshold)),
            )
            .attr("comparison_operator", Expr::str(&alarm.comparison_operator))
            .attr("treat_missing_data", Expr::str(&alarm.treat_missing_data))
            .attr("tags", Expr::raw("local.tags"));
        file.block(block);
    }
}
