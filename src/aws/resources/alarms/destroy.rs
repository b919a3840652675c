//! Destroying the alarms and their topic: only those tagged with the stack,
//! first of all (an alarm on a queue about to go would only raise a false
//! alarm).

use super::{observe_topic, own_topic_arn, read_alarms};
use crate::aws::client::Clients;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, ErrorKind, classify};
use crate::aws::ownership::{Owner, owner};
use crate::aws::progress::KeptReason;
use crate::docs::{AlarmKind, ResourceKind, alarm_topic_name, makes_alarm_topic};
use crate::spec::Spec;

/// Removes the stack's alarms. Those the spec does not want and that do not
/// exist are not reported at all; without CloudWatch rights, a spec without
/// alarms is not stopped for them.
pub(in crate::aws) async fn destroy_alarms(
    clients: &Clients,
    spec: &Spec,
    run: &mut Run<'_>,
) -> Result<(), AwsError> {
    let wants = spec.has_alarms();
    let found = match read_alarms(clients, &spec.name).await {
        Err(e) if !wants && e.kind == ErrorKind::AccessDenied => return Ok(()),
        other => other?,
    };
    for kind in AlarmKind::ALL {
        let name = kind.name(&spec.name);
        let alarm = found.iter().find(|a| a.definition.alarm_name == name);
        if alarm.is_none() && crate::docs::alarm(spec, kind).is_none() {
            continue;
        }
        let label = format!("alarm {name}");
        let started = run.start(ResourceKind::Alarm, &label);
        let result = match alarm {
            None => Ok((label, Fate::Gone)),
            Some(a) if !a.is_the_stacks(&spec.name) => Ok((
                label,
                Fate::Kept(KeptReason::NotOurs(format!(
                    "it carries no {}={} tag: not made by this stack",
                    crate::docs::STACK_TAG,
                    spec.name
                ))),
            )),
            Some(_) => clients
                .cloudwatch
                .delete_alarms()
                .alarm_names(&name)
                .send()
                .await
                .map(|_| (label, Fate::Removed("deleted".into())))
                .map_err(|e| classify("cloudwatch:DeleteAlarms", &name, e)),
        };
        run.end(ResourceKind::Alarm, started, result)?;
    }
    Ok(())
}

/// Removes the stack's alarm topic (after the alarms that notify it). One
/// the spec does not make and that does not exist is not reported; without
/// SNS rights, a spec without alarms is not stopped for it.
pub(in crate::aws) async fn destroy_alarm_topic(
    clients: &Clients,
    spec: &Spec,
    run: &mut Run<'_>,
) -> Result<(), AwsError> {
    let wants = spec.has_alarms();
    let arn = own_topic_arn(spec);
    let topic = match observe_topic(clients, &arn).await {
        Err(e) if !wants && e.kind == ErrorKind::AccessDenied => return Ok(()),
        other => other?,
    };
    if topic.is_none() && !makes_alarm_topic(spec) {
        return Ok(());
    }
    let label = format!("alarm topic {}", alarm_topic_name(spec));
    let started = run.start(ResourceKind::AlarmTopic, &label);
    let result = match topic {
        None => Ok((label, Fate::Gone)),
        Some(t) if owner(&t.tags, &spec.name) != Owner::Stack => Ok((
            label,
            Fate::Kept(KeptReason::NotOurs(format!(
                "it carries no {}={} tag: not made by this stack",
                crate::docs::STACK_TAG,
                spec.name
            ))),
        )),
        Some(t) => {
            let detail = if t.emails.is_empty() {
                "deleted".to_owned()
            } else {
                format!("deleted, with its subscriptions ({})", t.emails.join(", "))
            };
            clients
                .sns
                .delete_topic()
                .topic_arn(&arn)
                .send()
                .await
                .map(|_| (label, Fate::Removed(detail)))
                .map_err(|e| classify("sns:DeleteTopic", &arn, e))
        }
    };
    run.end(ResourceKind::AlarmTopic, started, result)
}
