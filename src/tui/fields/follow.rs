//! What follows from other choices: the alarms recommended for a new
//! pipeline and following its shape, the default names following the
//! stack name.

use crate::spec::{self, Spec};

/// The wizard's recommendation for a new pipeline: alarms on wherever
/// there is a queue of the pipeline's own to watch. (A spec file without
/// the section keeps them off: see `spec::starter`.)
pub fn recommend_alarms(spec: &mut Spec) {
    spec.alarms.enabled = spec.has_queue();
}

/// After a connector's profile set the pipeline's shape (`had_queue`: the
/// shape before): the alarms follow it. Off without a queue; on for a queue
/// gained (they were off only for want of one); a queue kept keeps the
/// choice made.
pub fn alarms_follow_shape(spec: &mut Spec, had_queue: bool) {
    if !spec.has_queue() {
        spec.alarms.enabled = false;
    } else if !had_queue {
        spec.alarms.enabled = true;
    }
}

/// The default names derived from a stack name (what `sluice init` writes):
/// every name still at its old default follows the new stack name.
pub fn rederive_names(spec: &mut Spec, old_name: &str) {
    let old = spec::starter_for(spec.connector, old_name, &spec.region, None);
    let new = spec::starter_for(spec.connector, &spec.name, &spec.region, None);
    let pairs: [(&mut String, &String, &String); 7] = [
        (&mut spec.bucket.name, &old.bucket.name, &new.bucket.name),
        (&mut spec.queue.name, &old.queue.name, &new.queue.name),
        (
            &mut spec.queue.dead_letter.name,
            &old.queue.dead_letter.name,
            &new.queue.dead_letter.name,
        ),
        (&mut spec.policy.name, &old.policy.name, &new.policy.name),
        (&mut spec.role.name, &old.role.name, &new.role.name),
        (&mut spec.user.name, &old.user.name, &new.user.name),
        (
            &mut spec.notification.id,
            &old.notification.id,
            &new.notification.id,
        ),
    ];
    for (value, old_default, new_default) in pairs {
        if value == old_default {
            value.clone_from(new_default);
        }
    }
}
