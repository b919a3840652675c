//! The wizard's screens, in order, and which of them a spec's shape has.
//! Pure: no state, no drawing.

use crate::spec::{Shape, Spec};

/// The screens, in order. The form steps (Welcome to Notification) edit the
/// spec beside the live preview; the rest review, apply, check and hand over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Welcome,
    Policy,
    Role,
    User,
    Bucket,
    Queue,
    Notification,
    Review,
    Apply,
    Verify,
    Data,
    Done,
}

impl Step {
    pub const ALL: [Step; 12] = [
        Step::Welcome,
        Step::Policy,
        Step::Role,
        Step::User,
        Step::Bucket,
        Step::Queue,
        Step::Notification,
        Step::Review,
        Step::Apply,
        Step::Verify,
        Step::Data,
        Step::Done,
    ];

    /// The steps that apply to `spec`, in order.
    pub fn all_for(spec: &Spec) -> Vec<Step> {
        Step::ALL.into_iter().filter(|s| s.applies(spec)).collect()
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Policy => "Permissions policy",
            Step::Role => "Role",
            Step::User => "User",
            Step::Bucket => "Bucket",
            Step::Queue => "Queue",
            Step::Notification => "Notification",
            Step::Review => "Review",
            Step::Apply => "Apply",
            Step::Verify => "Verify",
            Step::Data => "Preview data",
            Step::Done => "Done",
        }
    }

    /// The name in the step bar.
    pub fn short(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Policy => "Policy",
            Step::Notification => "Notify",
            Step::Data => "Data",
            other => other.title(),
        }
    }

    /// Short names for very narrow step bars.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Step::Welcome => "Start",
            Step::Notification => "Notif",
            Step::Review => "Rev",
            Step::Verify => "Ver",
            Step::Bucket => "Bkt",
            other => other.short(),
        }
    }

    /// What the help window and the README call the screen's keys.
    pub fn place(self) -> &'static str {
        match self {
            Step::Welcome => "welcome",
            Step::Policy => "policy",
            Step::Role => "role",
            Step::User => "user",
            Step::Bucket => "bucket",
            Step::Queue => "queue",
            Step::Notification => "notification",
            Step::Review => "review",
            Step::Apply => "apply",
            Step::Verify => "verify",
            Step::Data => "data",
            Step::Done => "done",
        }
    }

    /// The step whose [`Step::place`] is `name`.
    pub fn from_place(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.place() == name)
    }

    /// Whether the wizard shows and walks the step for `spec`. A pull
    /// import and a destination have no Queue and no Notification step; a
    /// vendor's queue (Snowflake's) has no Queue step but keeps the
    /// Notification step, where its ARN goes. A step whose own choice turns
    /// its resource off stays, so that it can be turned on again there: the
    /// Queue step of a queue-fed shape, the Notification step of a pipeline
    /// with a queue of its own.
    pub fn applies(self, spec: &Spec) -> bool {
        let shape = spec.profile().shape;
        match self {
            Step::Queue => spec.has_queue() || shape == Shape::QueueFed,
            Step::Notification => {
                spec.has_queue() || shape == Shape::ForeignQueue || spec.has_notification()
            }
            _ => true,
        }
    }

    /// The next step that applies to `spec`.
    pub fn next(self, spec: &Spec) -> Option<Step> {
        Step::ALL.into_iter().find(|s| *s > self && s.applies(spec))
    }

    /// The previous step that applies to `spec`.
    pub fn prev(self, spec: &Spec) -> Option<Step> {
        Step::ALL
            .into_iter()
            .rev()
            .find(|s| *s < self && s.applies(spec))
    }

    /// `self` if it applies to `spec`, else the next step that does.
    pub fn or_next(self, spec: &Spec) -> Step {
        if self.applies(spec) {
            self
        } else {
            self.next(spec).unwrap_or(Step::Done)
        }
    }

    /// Steps with a form (and a preview beside it).
    pub fn is_form(self) -> bool {
        self <= Step::Notification
    }

    /// Steps that show the preview pane.
    pub fn has_preview(self) -> bool {
        self.is_form() || self == Step::Review
    }

    /// Steps that talk to AWS and are disabled offline.
    pub fn needs_aws(self) -> bool {
        matches!(self, Step::Apply | Step::Verify | Step::Data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Connector;

    fn spec_for(connector: Connector) -> Spec {
        crate::spec::starter_for(connector, "acme", "us-west-2", None)
    }

    fn without(left_out: &[Step]) -> Vec<Step> {
        Step::ALL
            .into_iter()
            .filter(|s| !left_out.contains(s))
            .collect()
    }

    #[test]
    fn each_shape_has_its_steps() {
        for connector in [Connector::Generic, Connector::Tarsal, Connector::Databend] {
            assert_eq!(
                Step::all_for(&spec_for(connector)),
                Step::ALL,
                "{connector}"
            );
        }
        for connector in [Connector::TreasureData, Connector::Hevo] {
            assert_eq!(
                Step::all_for(&spec_for(connector)),
                without(&[Step::Queue, Step::Notification]),
                "{connector}"
            );
        }
        // Snowflake's queue is the vendor's: its ARN goes on the
        // Notification step, before (step 1) and after it is given.
        let mut snowflake = spec_for(Connector::Snowflake);
        assert!(snowflake.vendor_queue_pending());
        assert_eq!(Step::all_for(&snowflake), without(&[Step::Queue]));
        snowflake.notification.queue_arn =
            Some("arn:aws:sqs:us-west-2:123456789012:sf-snowpipe-AIDA".into());
        assert_eq!(Step::all_for(&snowflake), without(&[Step::Queue]));
        snowflake.notification.enabled = false;
        assert_eq!(Step::all_for(&snowflake), without(&[Step::Queue]));
    }

    #[test]
    fn a_step_keeps_the_choice_that_turns_its_resource_off() {
        // No queue: the Queue step stays (it turns the queue on again); with
        // nothing to notify, the Notification step goes.
        let mut spec = spec_for(Connector::Generic);
        spec.queue.enabled = false;
        spec.notification.enabled = false;
        assert_eq!(Step::all_for(&spec), without(&[Step::Notification]));
        // No notification: the Notification step stays, to turn it on.
        let mut spec = spec_for(Connector::Generic);
        spec.notification.enabled = false;
        assert_eq!(Step::all_for(&spec), Step::ALL);
        // A pull import given a queue (in its file) has both steps.
        let mut spec = spec_for(Connector::TreasureData);
        spec.queue.enabled = true;
        spec.notification.enabled = true;
        assert_eq!(Step::all_for(&spec), Step::ALL);
    }

    #[test]
    fn next_and_prev_pass_over_the_steps_that_do_not_apply() {
        let td = spec_for(Connector::TreasureData);
        assert_eq!(Step::Bucket.next(&td), Some(Step::Review));
        assert_eq!(Step::Review.prev(&td), Some(Step::Bucket));
        assert_eq!(Step::Queue.or_next(&td), Step::Review);
        assert_eq!(Step::Bucket.or_next(&td), Step::Bucket);
        let snowflake = spec_for(Connector::Snowflake);
        assert_eq!(Step::Bucket.next(&snowflake), Some(Step::Notification));
        assert_eq!(Step::Notification.prev(&snowflake), Some(Step::Bucket));
        assert_eq!(Step::Queue.or_next(&snowflake), Step::Notification);
        let generic = spec_for(Connector::Generic);
        assert_eq!(Step::Bucket.next(&generic), Some(Step::Queue));
        assert_eq!(Step::Done.next(&generic), None);
        assert_eq!(Step::Welcome.prev(&generic), None);
    }
}
