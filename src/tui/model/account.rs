//! The model's view of the account: the credentials check (connect), and
//! what to look up of the resources the spec names.

use std::collections::BTreeMap;

use crate::docs::ResourceKind;
use crate::spec::{Spec, path};
use crate::tui::action::{ConnectHow, Effect, Lookup, SlotId};

use super::{Connect, Connection, Model, Slot};
use crate::tui::step::Step;

impl Model {
    /// Asks for the credentials to be checked (again), now or after the debounce.
    pub fn request_connect(&mut self, now: bool) {
        if matches!(self.config.connect, Connect::Offline(_)) {
            return;
        }
        self.connect_gen += 1;
        self.connection = Connection::Connecting;
        self.connect_due = Some(if now {
            self.now
        } else {
            self.now + crate::tui::action::CONNECT_DEBOUNCE
        });
        for slot in self.slots.values_mut() {
            *slot = Slot {
                generation: slot.generation + 1,
                ..Slot::default()
            };
        }
        self.stale = true;
    }

    /// The connect effect for the current settings.
    pub fn connect_effect(&self) -> Effect {
        let how = match &self.config.connect {
            Connect::Given(clients) => ConnectHow::Given(clients.clone()),
            _ => {
                let mut options = self.config.aws.clone();
                options.profile = self.profile.clone();
                // The spec's region, as chosen on the welcome screen, wins.
                options.region = Some(self.spec.region.clone());
                ConnectHow::Load {
                    options,
                    region: self.spec.region.clone(),
                }
            }
        };
        Effect::Connect {
            generation: self.connect_gen,
            how,
        }
    }

    /// Forgets every lookup result so that everything is read again.
    pub fn refresh_lookups(&mut self) {
        for slot in self.slots.values_mut() {
            slot.key = None;
        }
        self.stale = true;
    }

    /// What each looked-up kind should read for the spec: the engine's
    /// lookup for it ([`Lookup::of`], which follows the spec's membership
    /// rule), once the fields that name it are valid; and, on the review,
    /// what the stack has that the spec no longer has, when the spec's
    /// account is the caller's (`account_ok`: else the plan is offline).
    pub(super) fn wanted_lookups(
        &self,
        resolved: &Spec,
        account_ok: bool,
    ) -> BTreeMap<SlotId, Option<Lookup>> {
        let valid = |p: &str| self.derived.error_at(p).is_none();
        let identity = self.connection.identity();
        let mut wanted: BTreeMap<SlotId, Option<Lookup>> = crate::aws::observe::looked_up()
            .map(|kind| {
                let what = identity
                    .filter(|_| naming_fields(kind).iter().all(|p| valid(p)))
                    .and_then(|identity| Lookup::of(kind, resolved, &identity.account));
                (SlotId::Kind(kind), what)
            })
            .collect();
        // Read for the review: listing the account's subscriptions and the
        // stack's resources on every edit would cost calls for nothing.
        let retiring = (self.step == Step::Review
            && identity.is_some()
            && account_ok
            && self.derived.errors.is_empty())
        .then(|| Lookup::Retiring(Box::new(resolved.clone())));
        wanted.insert(SlotId::Retiring, retiring);
        wanted
    }
}

/// The fields whose values a lookup of `kind` reads: one being typed that
/// is not valid yet holds the lookup back.
fn naming_fields(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Policy => &[path::POLICY_NAME],
        ResourceKind::Role => &[path::ROLE_NAME],
        ResourceKind::User => &[path::USER_NAME],
        ResourceKind::Bucket | ResourceKind::Notification => &[path::BUCKET_NAME],
        ResourceKind::DeadLetterQueue => &[path::DLQ_NAME],
        ResourceKind::Queue => &[path::QUEUE_NAME],
        ResourceKind::Subscription => &[path::NOTIFICATION_TOPIC_ARN],
        ResourceKind::Rule => &[path::NOTIFICATION_ID],
        ResourceKind::Alarm | ResourceKind::AlarmTopic => &[path::NAME, path::ALARMS_TOPIC_ARN],
    }
}
