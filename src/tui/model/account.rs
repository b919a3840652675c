//! The model's view of the account: the credentials check (connect), and
//! what to look up of the resources the spec names.

use std::collections::BTreeMap;

use crate::spec::{Spec, path};
use crate::tui::action::{ConnectHow, Effect, Lookup, Target};

use super::{Connect, Connection, Model, Slot};

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

    /// What each target should look up for the spec.
    pub(super) fn wanted_lookups(&self, resolved: &Spec) -> BTreeMap<Target, Option<Lookup>> {
        let valid = |p: &str| self.derived.error_at(p).is_none();
        let identity = self.connection.identity();
        let arns = crate::docs::Arns::of(resolved);
        Target::ALL
            .iter()
            .map(|target| {
                // The spec's membership rule first (the engine's), then a
                // field being typed that is not valid yet.
                let what = match (target, identity) {
                    (_, None) => None,
                    (target, _) if !target.kind().wanted(resolved) => None,
                    (Target::Policy, Some(_)) => valid(path::POLICY_NAME).then(|| Lookup::Policy {
                        arn: arns.policy.clone(),
                    }),
                    (Target::Role, Some(_)) => valid(path::ROLE_NAME).then(|| Lookup::Role {
                        name: resolved.role.name.clone(),
                    }),
                    (Target::User, Some(_)) => valid(path::USER_NAME).then(|| Lookup::User {
                        name: resolved.user.name.clone(),
                    }),
                    (Target::Bucket, Some(identity)) => {
                        valid(path::BUCKET_NAME).then(|| Lookup::Bucket {
                            name: resolved.bucket.name.clone(),
                            account: identity.account.clone(),
                            region: resolved.region.clone(),
                        })
                    }
                    (Target::Dlq, Some(_)) => valid(path::DLQ_NAME).then(|| Lookup::Queue {
                        name: resolved.queue.dead_letter.name.clone(),
                    }),
                    (Target::Queue, Some(_)) => valid(path::QUEUE_NAME).then(|| Lookup::Queue {
                        name: resolved.queue.name.clone(),
                    }),
                    (Target::Subscription, Some(_)) => resolved
                        .notification
                        .topic_arn
                        .as_ref()
                        .filter(|_| valid(path::NOTIFICATION_TOPIC_ARN))
                        .map(|topic| Lookup::Subscription {
                            topic: topic.clone(),
                            queue_arn: arns.queue.clone(),
                        }),
                    (Target::Rule, Some(_)) => valid(path::NOTIFICATION_ID).then(|| Lookup::Rule {
                        name: resolved.notification.id.clone(),
                    }),
                    (Target::Alarms, Some(_)) => (valid(path::NAME)
                        && valid(path::ALARMS_TOPIC_ARN))
                    .then(|| Lookup::Alarms(crate::aws::alarms::AlarmsLookup::of(resolved))),
                };
                (*target, what)
            })
            .collect()
    }
}
