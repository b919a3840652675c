//! The event route (direct notification, SNS or EventBridge): how long an
//! event usually takes by it and after apply changed it, whether a direct
//! entry is still in the bucket's configuration, and why no event came.

use std::time::{Duration, SystemTime};

use crate::aws::client::Clients;
use crate::aws::observe::read_notification;
use crate::aws::verify::run::VerifyOptions;
use crate::aws::verify::run::{secs, secs_rounded};
use crate::docs::Arns;
use crate::spec::{Delivery, Spec};

/// How long the event is awaited, and the change that makes it longer.
#[derive(Debug, Clone)]
pub(in crate::aws) struct EventWait {
    pub(in crate::aws) total: Duration,
    /// A change apply made that AWS may still be putting into effect.
    pub(in crate::aws) fresh: Option<crate::aws::recent::Fresh>,
}

impl EventWait {
    /// `options.timeout` as it is, or (with apply's records) at least the
    /// route's usual time and as long again as a recent change has left.
    pub(in crate::aws) fn of(spec: &Spec, account: &str, options: &VerifyOptions) -> EventWait {
        let now = SystemTime::now();
        let fresh = options
            .recent_dir
            .as_deref()
            .and_then(|dir| crate::aws::recent::fresh(dir, spec, account, now));
        let total = if options.wait_for_propagation {
            options.timeout.max(route_wait(spec.notification.delivery))
                + fresh.map_or(Duration::ZERO, |f| f.remaining(now))
        } else {
            options.timeout
        };
        EventWait { total, fresh }
    }

    /// Why the wait is as long as it is, for a progress line.
    pub(in crate::aws) fn why(&self) -> String {
        match self.fresh {
            Some(fresh) => format!(
                ": {} (apply made it {} ago)",
                fresh.change.words(),
                secs_rounded(
                    SystemTime::now()
                        .duration_since(fresh.at)
                        .unwrap_or_default()
                )
            ),
            None => String::new(),
        }
    }
}

/// How long an event usually takes through each route once it is settled.
fn route_wait(delivery: Delivery) -> Duration {
    match delivery {
        Delivery::Direct => Duration::from_secs(30),
        Delivery::Sns => Duration::from_secs(45),
        Delivery::Eventbridge => Duration::from_secs(60),
    }
}

/// The event came straight from S3: read the bucket's notification again
/// now, seconds after apply wrote it. S3 keeps the last write of the whole
/// configuration, so another writer that read before ours and wrote after
/// it has taken our entry out without error; the event proves the entry was
/// there, this second read that it still is.
pub(in crate::aws) async fn entry_still_there(
    clients: &Clients,
    spec: &Spec,
) -> Result<String, String> {
    let id = &spec.notification.id;
    match read_notification(&clients.s3, &spec.bucket.name).await {
        Ok(config) if crate::docs::has_entry(&config, id) => Ok(format!(
            "straight from S3; entry {id} is still in the bucket's configuration"
        )),
        Ok(_) => Err(format!(
            "the event came straight from S3, but the bucket {}'s notification no longer holds the entry {id}: another writer replaced the configuration after apply wrote it (S3 keeps the last write, entries of others included); run sluice apply again, which merges ours back, and tell the other writer to merge instead of overwrite",
            spec.bucket.name
        )),
        // Not readable now (a denied GetBucketNotification): the event is the proof.
        Err(e) => Ok(format!(
            "straight from S3 (the configuration could not be read again: {e})"
        )),
    }
}

/// Why no event came: the generic advice, sharpened by the bucket's configuration.
pub(in crate::aws) async fn missing_event_cause(
    clients: &Clients,
    spec: &Spec,
    arns: &Arns,
    wait: &EventWait,
) -> String {
    let cause = route_cause(clients, spec, arns, wait.total).await;
    propagation_cause(wait.fresh, SystemTime::now(), cause)
}

/// `cause`, said after the change that was still taking effect when verify
/// began, if one was.
fn propagation_cause(
    fresh: Option<crate::aws::recent::Fresh>,
    now: SystemTime,
    cause: String,
) -> String {
    let Some(fresh) = fresh else { return cause };
    let ago = secs_rounded(now.duration_since(fresh.at).unwrap_or_default());
    let left = fresh.remaining(now);
    if left.is_zero() {
        format!(
            "{cause}; {} {ago} ago, and that time has passed",
            fresh.change.words()
        )
    } else {
        format!(
            "{} only {ago} ago: the event may not be on its way yet; run sluice verify again in {} (without --wait it waits that long). If it still does not come: {cause}",
            fresh.change.words(),
            secs_rounded(left)
        )
    }
}

/// Why no event came, from the route and the bucket's configuration.
async fn route_cause(clients: &Clients, spec: &Spec, arns: &Arns, timeout: Duration) -> String {
    let generic = format!(
        "no event within {}: check the bucket notification (prefix/suffix) and the queue policy's aws:SourceArn",
        secs(timeout)
    );
    match spec.notification.delivery {
        Delivery::Direct => {}
        Delivery::Sns => {
            return format!(
                "no event within {}: check that the bucket's entry to the topic {} covers the test object's key, the queue's subscription to the topic, and the queue policy's aws:SourceArn (the topic)",
                secs(timeout),
                spec.notification.topic_arn.as_deref().unwrap_or_default()
            );
        }
        Delivery::Eventbridge => {
            return format!(
                "no event within {}: check the bucket's EventBridge delivery, the pattern and target of the rule {}, and the queue policy's aws:SourceArn ({})",
                secs(timeout),
                spec.notification.id,
                arns.rule
            );
        }
    }
    let config = read_notification(&clients.s3, &spec.bucket.name).await;
    let Ok(config) = config else { return generic };
    let id = &spec.notification.id;
    let entry = config
        .queue_entries()
        .find(|e| e.id.as_deref() == Some(id.as_str()));
    let detail = match entry {
        None => format!(
            "the bucket {} has no notification entry {id}: apply the spec again",
            spec.bucket.name
        ),
        Some(entry) => {
            let target = entry.target.arn();
            let events = entry.events();
            let filter = entry.key_filter();
            if target != arns.queue {
                format!(
                    "the notification entry {id} sends to {target}, not to {}",
                    arns.queue
                )
            } else if !events.iter().any(|e| e.starts_with("s3:ObjectCreated")) {
                format!(
                    "the notification entry {id} sends only {}: verify uploads an object, which needs s3:ObjectCreated events",
                    events.join(", ")
                )
            } else if filter.prefix != spec.bucket.prefix || filter.suffix != spec.bucket.suffix {
                format!(
                    "the notification entry {id} filters prefix {:?} and suffix {:?}, the spec says {:?} and {:?}",
                    filter.prefix, filter.suffix, spec.bucket.prefix, spec.bucket.suffix
                )
            } else {
                format!(
                    "the notification entry {id} is in place: check that the queue policy allows s3.amazonaws.com with aws:SourceArn {} (and, for a KMS-encrypted queue, that the key policy lets S3 use the key)",
                    arns.bucket
                )
            }
        }
    };
    format!("{generic}; {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_event_is_put_down_to_a_fresh_change() {
        use crate::aws::recent::{Change, Fresh};
        let now = SystemTime::now();
        let fresh = Fresh {
            change: Change::Eventbridge,
            at: now - Duration::from_secs(40),
        };
        let said = propagation_cause(Some(fresh), now, "no event within 1 min".into());
        assert!(
            said.starts_with("the bucket's EventBridge delivery was turned on, and S3 says that \"takes around five minutes\" to take effect only 40 s ago"),
            "{said}"
        );
        assert!(
            said.contains("run sluice verify again in 4 min 20 s"),
            "{said}"
        );
        assert!(
            said.ends_with("If it still does not come: no event within 1 min"),
            "{said}"
        );
        let later = now + Duration::from_secs(10 * 60);
        let said = propagation_cause(Some(fresh), later, "no event".into());
        assert!(
            said.contains("10 min 40 s ago, and that time has passed"),
            "{said}"
        );
        assert_eq!(propagation_cause(None, now, "no event".into()), "no event");
    }
}
