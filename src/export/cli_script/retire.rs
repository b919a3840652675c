//! setup.sh's retirement steps: what the stack made and the spec no longer
//! has (alarms, the alarms' topic, an earlier route's rule, subscription or
//! entry, a role, user or dead-letter queue turned off), each proven the
//! stack's by its tag and backed up before it goes, and the header's lines
//! saying so.

use std::fmt::Write as _;

use super::shell::{
    STEP_RETIRE_ALARM_TOPIC, STEP_RETIRE_ALARMS, STEP_RETIRE_DIRECT, STEP_RETIRE_DLQ,
    STEP_RETIRE_ROLE, STEP_RETIRE_RULE, STEP_RETIRE_SUBSCRIPTION, STEP_RETIRE_USER,
};
use super::shell_quote;
use crate::docs::{self, ResourceKind};
use crate::spec::{Delivery, Spec};

/// The steps that take out what the stack made of `kind` and the spec no
/// longer has, after a backup, as `sluice apply` does; one without the
/// stack's tag is left alone. A renamed queue, policy, role or user is not
/// looked for (apply finds those by the stack's name and its record of what
/// it made).
pub(super) fn retire(out: &mut String, kind: ResourceKind, s: &Spec) {
    match kind {
        // Each alarm the spec does not have (all of them without alarms).
        ResourceKind::Alarm => retire_alarms(out, s),
        ResourceKind::AlarmTopic if !kind.wanted(s) => out.push_str(STEP_RETIRE_ALARM_TOPIC),
        // Our rule, left by EventBridge delivery.
        ResourceKind::Rule
            if !kind.wanted(s)
                && matches!(s.delivery(), Some(Delivery::Direct | Delivery::Sns)) =>
        {
            out.push_str(STEP_RETIRE_RULE);
        }
        // The stack's queue, still subscribed to a topic the spec no longer
        // delivers through (any, when the route is not SNS).
        ResourceKind::Subscription if s.retires_other_subscriptions() => {
            let current = s.sns_topic().unwrap_or_default();
            let _ = writeln!(out, "\nKEEP_TOPIC={}", shell_quote(current));
            out.push_str(STEP_RETIRE_SUBSCRIPTION);
        }
        // Our entry, left by direct delivery (EventBridge delivery's rule step removes it).
        ResourceKind::Notification if s.delivery() == Some(Delivery::Sns) => {
            out.push_str(STEP_RETIRE_DIRECT);
        }
        // The user turned off: it goes with its access keys.
        ResourceKind::User if retires_identity(kind, s) => out.push_str(STEP_RETIRE_USER),
        // The role turned off: the vendor could still assume it.
        ResourceKind::Role if retires_identity(kind, s) => out.push_str(STEP_RETIRE_ROLE),
        // The dead-letter queue turned off (the queue's redrive policy
        // naming it went in the queue's step).
        ResourceKind::DeadLetterQueue if retires_dead_letter_queue(s) => {
            out.push_str(STEP_RETIRE_DLQ);
        }
        ResourceKind::AlarmTopic
        | ResourceKind::Rule
        | ResourceKind::Notification
        | ResourceKind::Subscription
        | ResourceKind::Policy
        | ResourceKind::Role
        | ResourceKind::User
        | ResourceKind::Bucket
        | ResourceKind::DeadLetterQueue
        | ResourceKind::Queue => {}
    }
}

/// The stack's alarms the spec no longer has (all of them when it has no
/// alarms).
fn retire_alarms(out: &mut String, spec: &Spec) {
    let wanted: Vec<String> = docs::alarms(spec)
        .into_iter()
        .map(|a| a.alarm_name)
        .collect();
    let retired: Vec<String> = docs::AlarmKind::ALL
        .iter()
        .map(|k| k.name(&spec.name))
        .filter(|name| !wanted.contains(name))
        .map(|name| shell_quote(&name))
        .collect();
    if !retired.is_empty() {
        let _ = writeln!(out, "\nRETIRED_ALARMS=({})", retired.join(" "));
        out.push_str(STEP_RETIRE_ALARMS);
    }
}

/// Whether the stack's queue is the spec's and its dead-letter queue turned
/// off: the one of the spec's name goes, if it is the stack's and empty.
fn retires_dead_letter_queue(spec: &Spec) -> bool {
    ResourceKind::Queue.wanted(spec)
        && spec.queue.create
        && !ResourceKind::DeadLetterQueue.wanted(spec)
        && !spec.queue.dead_letter.name.is_empty()
}

/// Whether the script takes out the stack's role or user (`kind`): the spec
/// does not have it, and still names it.
fn retires_identity(kind: ResourceKind, spec: &Spec) -> bool {
    let name = match kind {
        ResourceKind::Role => &spec.role.name,
        ResourceKind::User => &spec.user.name,
        _ => return false,
    };
    !kind.wanted(spec) && !name.is_empty()
}

/// The header's lines on the dead-letter queue, role and user the spec does
/// not have: the stack's, if any, go.
pub(super) fn retired_header(spec: &Spec) -> String {
    let mut text = String::new();
    if retires_identity(ResourceKind::Role, spec) {
        let _ = writeln!(
            text,
            "# The spec has no role: the stack's IAM role {:?}, if there is one, goes.",
            spec.role.name
        );
    }
    if retires_dead_letter_queue(spec) {
        let _ = writeln!(
            text,
            "# The spec has no dead-letter queue: the stack's {:?}, if there is one, goes\n# when empty (one holding messages stays: `sluice apply` backs them up first).",
            spec.queue.dead_letter.name
        );
    }
    if retires_identity(ResourceKind::User, spec) {
        let _ = writeln!(
            text,
            "# The spec has no user: the stack's IAM user {:?}, if there is one, goes\n# with its access keys (kept when others' policies or groups are on it).",
            spec.user.name
        );
    }
    text
}
