//! The wizard's screens, in order. Pure: no state, no drawing.

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

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
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

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    pub fn prev(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Step::ALL[i])
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
