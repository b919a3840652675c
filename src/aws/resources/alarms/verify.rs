//! Verifying the alarms: each is in place as the spec says, and a state
//! change reaches the topic's subscribers. The test is CloudWatch's own
//! (SetAlarmState: "temporarily changing the alarm state to ALARM sends an
//! Amazon SNS message"): a probe queue of the stack's is subscribed to
//! sluice's topic, one alarm is set to ALARM, the notification is awaited
//! on the probe, the alarm is set back to OK, and the probe goes again.
//! Everyone subscribed to the topic gets the test notification too, and is
//! told so in its reason.

use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

use super::{AlarmState, own_topic_arn, read_alarms};
use crate::aws::client::Clients;
use crate::aws::error::classify;
use crate::aws::progress::CheckId;
use crate::aws::verify::run::{Run, secs};
use crate::docs::{alarm_topic_arn, alarms};
use crate::spec::Spec;

/// What a test notification says it is.
pub const TEST_REASON: &str =
    "sluice verify: testing that this alarm's notifications arrive (set back to OK right after)";

/// The alarm checks: `alarms`, then `alarm-notification` and
/// `cleanup-alarm-probe` when sluice's topic can be probed.
pub(in crate::aws) async fn verify_alarms(
    clients: &Clients,
    spec: &Spec,
    timeout: Duration,
    run: &mut Run<'_>,
) {
    let wanted = alarms(spec);
    if wanted.is_empty() {
        let why = crate::docs::skipped_because(spec, crate::docs::ResourceKind::Alarm)
            .unwrap_or_else(|| "the spec has no alarm".to_owned());
        run.not_available(CheckId::Alarms, "alarms", why);
        return;
    }
    let started = run.start(CheckId::Alarms, "alarms in place");
    let found = match read_alarms(clients, &spec.name).await {
        Ok(found) => found,
        Err(e) => {
            run.finish(CheckId::Alarms, started, Err(e.to_string()));
            return;
        }
    };
    let mut problems = Vec::new();
    for want in &wanted {
        match found
            .iter()
            .find(|a| a.definition.alarm_name == want.alarm_name)
        {
            None => problems.push(format!(
                "{} does not exist (apply makes it)",
                want.alarm_name
            )),
            Some(a) if a.definition != *want => problems.push(format!(
                "{} differs from the spec (plan shows how)",
                want.alarm_name
            )),
            Some(_) => {}
        }
    }
    let topic = alarm_topic_arn(spec);
    let topic_found = super::observe_topic(clients, &topic).await;
    match &topic_found {
        Ok(Some(_)) => {}
        Ok(None) => problems.push(format!("the topic {topic} does not exist")),
        Err(e) => problems.push(e.to_string()),
    }
    let states: Vec<String> = found
        .iter()
        .map(|a| format!("{} {}", a.definition.alarm_name, a.state))
        .collect();
    let result = if problems.is_empty() {
        Ok(format!("{} (notify {topic})", states.join(", ")))
    } else {
        Err(problems.join("; "))
    };
    let in_place = result.is_ok();
    run.finish(CheckId::Alarms, started, result);
    if !in_place {
        run.not_available(
            CheckId::AlarmNotification,
            "an alarm's notification",
            "the alarms are not in place",
        );
        return;
    }
    if topic != own_topic_arn(spec) {
        run.not_available(
            CheckId::AlarmNotification,
            "an alarm's notification",
            format!(
                "the alarms notify {topic}, which is not sluice's (alarms.topic_arn): verify does not subscribe to it; `aws cloudwatch set-alarm-state --alarm-name {} --state-value ALARM --state-reason test` sends a test notification",
                wanted[0].alarm_name
            ),
        );
        return;
    }
    // The alarm to ring: the first that is not in ALARM now (setting one
    // that is would first announce a recovery that did not happen).
    let Some(target) = wanted.iter().find_map(|w| {
        found
            .iter()
            .find(|a| a.definition.alarm_name == w.alarm_name && a.state != "ALARM")
    }) else {
        run.not_available(
            CheckId::AlarmNotification,
            "an alarm's notification",
            "every alarm is in ALARM now: each one's notification has been sent; none is set to OK to test it",
        );
        return;
    };
    probe(clients, spec, &topic, target, timeout, run).await;
}

/// Subscribes a probe queue, rings `target` and awaits its notification.
async fn probe(
    clients: &Clients,
    spec: &Spec,
    topic: &str,
    target: &AlarmState,
    timeout: Duration,
    run: &mut Run<'_>,
) {
    let name = &target.definition.alarm_name;
    let started = run.start(
        CheckId::AlarmNotification,
        format!("{name}'s notification reaches {topic}"),
    );
    let suffix: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    let probe_name = format!("{}-alarm-probe-{}", spec.name, suffix.to_lowercase());
    let made = make_probe(clients, spec, topic, &probe_name).await;
    let (url, subscription) = match made {
        Ok(made) => made,
        Err((e, url)) => {
            run.finish(CheckId::AlarmNotification, started, Err(e));
            if let Some(url) = url {
                cleanup(clients, &url, None, &probe_name, run).await;
            }
            return;
        }
    };
    let result = ring_and_await(clients, &url, target, timeout).await;
    run.finish(CheckId::AlarmNotification, started, result);
    cleanup(clients, &url, subscription.as_deref(), &probe_name, run).await;
}

/// The probe queue (the stack's tag on it, so a probe left by a killed
/// verify is found as the stack's) and its subscription.
async fn make_probe(
    clients: &Clients,
    spec: &Spec,
    topic: &str,
    probe: &str,
) -> Result<(String, Option<String>), (String, Option<String>)> {
    let arns = crate::docs::Arns::of(spec);
    let probe_arn = format!(
        "arn:{}:sqs:{}:{}:{probe}",
        arns.partition, spec.region, arns.account
    );
    let policy = crate::docs::alarm_probe_policy(&probe_arn, topic);
    let url = clients
        .sqs
        .create_queue()
        .queue_name(probe)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::Policy,
            policy.to_string(),
        )
        .set_tags(Some(crate::docs::tags(spec).into_iter().collect()))
        .send()
        .await
        .map_err(|e| (classify("sqs:CreateQueue", probe, e).to_string(), None))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let subscription = clients
        .sns
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(&probe_arn)
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(|e| {
            (
                classify("sns:Subscribe", topic, e).to_string(),
                Some(url.clone()),
            )
        })?
        .subscription_arn()
        .map(str::to_owned);
    Ok((url, subscription))
}

/// Sets `target` to ALARM, awaits its notification on the probe, and sets
/// it to OK again whatever came.
async fn ring_and_await(
    clients: &Clients,
    url: &str,
    target: &AlarmState,
    timeout: Duration,
) -> Result<String, String> {
    let name = &target.definition.alarm_name;
    let set = async |state: aws_sdk_cloudwatch::types::StateValue| {
        clients
            .cloudwatch
            .set_alarm_state()
            .alarm_name(name)
            .state_value(state)
            .state_reason(TEST_REASON)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("cloudwatch:SetAlarmState", name, e).to_string())
    };
    set(aws_sdk_cloudwatch::types::StateValue::Alarm).await?;
    let sent = Instant::now();
    let awaited = await_notification(clients, url, name, timeout).await;
    let back = set(aws_sdk_cloudwatch::types::StateValue::Ok).await;
    let arrived = awaited?;
    back.map_err(|e| {
        format!("the notification arrived, but {name} could not be set back to OK: {e}")
    })?;
    Ok(format!(
        "{name} set to ALARM: its notification arrived in {} ({arrived}); set back to OK",
        secs(sent.elapsed())
    ))
}

/// Receives from the probe until `name`'s ALARM notification comes.
async fn await_notification(
    clients: &Clients,
    url: &str,
    name: &str,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "no notification of {name} arrived in {}: check the topic's access policy lets CloudWatch publish (plan shows it) and that the alarm's actions are enabled",
                secs(timeout)
            ));
        }
        let wait = i32::try_from(left.as_secs().clamp(1, 20)).unwrap_or(20);
        let out = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait)
            .send()
            .await
            .map_err(|e| classify("sqs:ReceiveMessage", url, e).to_string())?;
        for message in out.messages() {
            if let Some(found) = notification_of(message.body().unwrap_or_default(), name) {
                return Ok(found);
            }
        }
    }
}

/// The alarm notification for `name` in an SNS envelope, said briefly.
pub(crate) fn notification_of(body: &str, name: &str) -> Option<String> {
    let envelope: Value = serde_json::from_str(body).ok()?;
    let message: Value = serde_json::from_str(envelope["Message"].as_str()?).ok()?;
    (message["AlarmName"] == name && message["NewStateValue"] == "ALARM").then(|| {
        format!(
            "{}: {}",
            envelope["Subject"].as_str().unwrap_or("no subject"),
            message["NewStateReason"].as_str().unwrap_or_default()
        )
    })
}

async fn cleanup(
    clients: &Clients,
    url: &str,
    subscription: Option<&str>,
    probe: &str,
    run: &mut Run<'_>,
) {
    let started = run.start(
        CheckId::CleanupAlarmProbe,
        format!("remove the probe queue {probe}"),
    );
    let mut errors = Vec::new();
    if let Some(arn) = subscription.filter(|a| a.starts_with("arn:"))
        && let Err(e) = clients.sns.unsubscribe().subscription_arn(arn).send().await
    {
        errors.push(classify("sns:Unsubscribe", arn, e).to_string());
    }
    if let Err(e) = clients.sqs.delete_queue().queue_url(url).send().await {
        errors.push(classify("sqs:DeleteQueue", probe, e).to_string());
    }
    let result = if errors.is_empty() {
        Ok("unsubscribed and deleted".to_owned())
    } else {
        Err(errors.join("; "))
    };
    run.finish(CheckId::CleanupAlarmProbe, started, result);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_alarms_own_alarm_notification_counts() {
        let body = |name: &str, state: &str| {
            json!({
                "Type": "Notification",
                "Subject": format!("ALARM: \"{name}\" in US West (Oregon)"),
                "Message": json!({"AlarmName": name, "NewStateValue": state, "NewStateReason": TEST_REASON}).to_string(),
            })
            .to_string()
        };
        assert!(
            notification_of(&body("acme-stalled", "ALARM"), "acme-stalled")
                .is_some_and(|s| s.starts_with("ALARM: \"acme-stalled\""))
        );
        assert_eq!(
            notification_of(&body("acme-stalled", "OK"), "acme-stalled"),
            None
        );
        assert_eq!(
            notification_of(&body("other", "ALARM"), "acme-stalled"),
            None
        );
        assert_eq!(notification_of("not json", "acme-stalled"), None);
    }
}
