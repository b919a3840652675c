//! The queues: deleted when they are the stack's, with every message
//! backed up first under `force`; S3's test events are not a backlog; an
//! adopted queue loses only our statements in its access policy.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use crate::aws::backup::Saved;
use crate::aws::client::Clients;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, ErrorKind, classify};
use crate::aws::observe::{Depth, queue_depth, set_visibility};
use crate::aws::ownership::{Owner, Tagged, not_ours, owner, read_tags};
use crate::aws::progress::{Event, KeptReason};
use crate::docs::ResourceKind;
use crate::docs::policy::Policy;
use crate::spec::Spec;

/// The queue `name`'s URL and whose it is by its tags; `None` when it does
/// not exist.
pub(in crate::aws) async fn queue_owner(
    clients: &Clients,
    spec: &Spec,
    name: &str,
) -> Result<Option<(String, Owner)>, AwsError> {
    let Some(url) = clients.queue_url(name).await? else {
        return Ok(None);
    };
    let tags = read_tags(clients, Tagged::Queue { url: &url, name }).await?;
    Ok(tags.map(|tags| (url, owner(&tags, &spec.name))))
}

pub(in crate::aws) async fn queue(
    clients: &Clients,
    spec: &Spec,
    name: &str,
    main: bool,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let Some((url, owner)) = queue_owner(clients, spec, name).await? else {
        return Ok((label.to_owned(), Fate::Gone));
    };
    if owner == Owner::Stack {
        // Another team's queue sending its failed messages here depends on it.
        if let Some(why) = dead_letter_users(clients, spec, name, &url).await? {
            return Ok((label.to_owned(), Fate::Kept(KeptReason::InUse(why))));
        }
        let depth = queue_depth(clients, &url).await?;
        let kind = if main {
            ResourceKind::Queue
        } else {
            ResourceKind::DeadLetterQueue
        };
        if depth.total() > 0 && !(main && only_test_events(clients, name, &url, depth).await?) {
            if !run.force {
                return Ok((
                    label.to_owned(),
                    Fate::Kept(KeptReason::HoldsMessages(format!(
                        "not empty: it holds {depth}"
                    ))),
                ));
            }
            if depth.in_flight + depth.delayed > 0 {
                // Those cannot be received into the backup now: deleting
                // the queue would lose them unsaved.
                return Ok((
                    label.to_owned(),
                    Fate::Kept(KeptReason::HoldsMessages(format!(
                        "it holds {depth}: the {} in flight or delayed cannot be read into the backup until they are visible again (a consumer holds them, or they wait out a delay); run destroy again then",
                        depth.in_flight + depth.delayed
                    ))),
                ));
            }
            if let Some(why) = save_messages(clients, name, &url, depth, kind, run).await? {
                return Ok((label.to_owned(), Fate::Kept(KeptReason::HoldsMessages(why))));
            }
        }
        match clients
            .sqs
            .delete_queue()
            .queue_url(&url)
            .send()
            .await
            .map_err(|e| classify("sqs:DeleteQueue", name, e))
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok((label.to_owned(), Fate::Gone)),
            Err(e) => return Err(e),
        }
        return Ok((
            label.to_owned(),
            Fate::Removed("deleted (SQS allows a new queue of that name after 60 s)".to_owned()),
        ));
    }
    let mut why = not_ours(&owner, &spec.name);
    if main && owner == Owner::Untagged {
        // An adopted queue: only our statements in its access policy are ours.
        for sid in remove_queue_statements(clients, name, &url).await? {
            run.note(
                ResourceKind::Queue,
                format!("removed our statement {sid} from its access policy"),
            );
            run.report.removed.push(format!(
                "statement {sid} of the access policy of queue {name}"
            ));
            why.push_str(&format!(
                "; only our statement {sid} was removed from its access policy"
            ));
        }
    }
    Ok((label.to_owned(), Fate::Kept(KeptReason::NotOurs(why))))
}

/// Why the queue `name` must stay because queues that are not the stack's
/// use it as their dead-letter queue (ListDeadLetterSourceQueues), or,
/// when they cannot be listed, because some may; `None` when none do. The
/// stack's own queues (one deleted a moment ago among them) do not count.
async fn dead_letter_users(
    clients: &Clients,
    spec: &Spec,
    name: &str,
    url: &str,
) -> Result<Option<String>, AwsError> {
    let mut users = Vec::new();
    let mut token = None;
    loop {
        let page = match clients
            .sqs
            .list_dead_letter_source_queues()
            .queue_url(url)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("sqs:ListDeadLetterSourceQueues", name, e))
        {
            Ok(page) => page,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) if e.kind == ErrorKind::AccessDenied => {
                return Ok(Some(format!(
                    "perhaps the dead-letter queue of another team's queue: the queues that use it could not be listed ({e})"
                )));
            }
            Err(e) => return Err(e),
        };
        for source in page.queue_urls() {
            let source_name = source.rsplit('/').next().unwrap_or(source);
            let tags = match read_tags(
                clients,
                Tagged::Queue {
                    url: source,
                    name: source_name,
                },
            )
            .await
            {
                Ok(tags) => tags,
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            // Gone, or the stack's: not a dependent.
            if tags.is_some_and(|tags| owner(&tags, &spec.name) != Owner::Stack) {
                users.push(source_name.to_owned());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok((!users.is_empty()).then(|| {
        format!(
            "the dead-letter queue of {} {}, not this stack's: their failed messages would have nowhere to go",
            if users.len() == 1 { "queue" } else { "queues" },
            users.join(", ")
        )
    }))
}

/// Receives every visible message of `name` and writes them all (bodies,
/// attributes, message attributes) to the backup, before the queue is
/// deleted. `None` when every message the queue holds is in the backup;
/// otherwise why not, with the messages received made visible again and
/// the queue to be kept.
async fn save_messages(
    clients: &Clients,
    name: &str,
    url: &str,
    depth: Depth,
    kind: ResourceKind,
    run: &mut Run<'_>,
) -> Result<Option<String>, AwsError> {
    let mut messages = Vec::new();
    let mut handles = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut empty_polls = 0;
    // Until the queue answers empty twice: messages that arrive meanwhile are saved too.
    while empty_polls < 2 {
        let out = receive_ten(clients, name, url, 300).await?;
        let batch = out.messages();
        if batch.is_empty() {
            empty_polls += 1;
            continue;
        }
        for m in batch {
            let id = m.message_id().unwrap_or_default().to_owned();
            handles.extend(m.receipt_handle().map(str::to_owned));
            if !seen.insert(id.clone()) {
                continue;
            }
            messages.push(backup_message(m));
        }
    }
    let count = messages.len();
    // Every message the queue holds is now in flight with us, and only those.
    let after = queue_depth(clients, url).await?;
    let missing = if after.visible + after.delayed > 0 || after.in_flight > count as u64 {
        Some(format!(
            "{count} of its messages were read, but it holds {after} now: it is still being written to or read"
        ))
    } else if (count as u64) < depth.visible {
        Some(format!(
            "only {count} of its {} visible messages could be read into the backup",
            depth.visible
        ))
    } else {
        None
    };
    if let Some(why) = missing {
        release(clients, name, url, &handles).await?;
        return Ok(Some(format!(
            "{why}; nothing was deleted, the messages read are visible again"
        )));
    }
    let Some(backup) = &mut run.backup else {
        release(clients, name, url, &handles).await?;
        return Err(AwsError::new(
            "sqs:DeleteQueue",
            name,
            "no data directory to back its messages up to: nothing was deleted",
        ));
    };
    let saved = Saved::QueueMessages {
        queue: name.to_owned(),
        messages,
    };
    let written = backup.save(&saved).and_then(|path| {
        // Read back: the file holds every message, each with its body.
        let text = std::fs::read_to_string(&path)?;
        let back: Saved = serde_json::from_str(&text).map_err(std::io::Error::other)?;
        match back {
            Saved::QueueMessages { messages, .. }
                if messages.len() == count
                    && messages
                        .iter()
                        .all(|m| m.get("Body").is_some_and(Value::is_string)) =>
            {
                Ok(path)
            }
            _ => Err(std::io::Error::other(format!(
                "{} does not hold the {count} messages written",
                path.display()
            ))),
        }
    });
    let path = match written {
        Ok(path) => path,
        Err(e) => {
            release(clients, name, url, &handles).await?;
            return Err(AwsError::new(
                "sqs:DeleteQueue",
                name,
                format!("cannot back its messages up (nothing was deleted): {e}"),
            ));
        }
    };
    run.reporter
        .send(Event::BackupWritten { path: path.clone() });
    run.note(
        kind,
        format!(
            "backed up {} (bodies and attributes) to {}",
            crate::words::count(count, "message"),
            path.display(),
        ),
    );
    Ok(None)
}

/// A received message as the backup keeps it.
fn backup_message(m: &aws_sdk_sqs::types::Message) -> Value {
    let attributes: serde_json::Map<String, Value> = m
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes: serde_json::Map<String, Value> = m
        .message_attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "DataType": v.data_type(),
                            "StringValue": v.string_value(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "MessageId": m.message_id().unwrap_or_default(),
        "Body": m.body().unwrap_or_default(),
        "Attributes": attributes,
        "MessageAttributes": message_attributes,
    })
}

/// Makes received messages visible again at once (the queue is kept).
async fn release(
    clients: &Clients,
    name: &str,
    url: &str,
    handles: &[String],
) -> Result<(), AwsError> {
    for chunk in handles.chunks(10) {
        let out = set_visibility(&clients.sqs, url, chunk, 0)
            .await
            .map_err(|e| classify("sqs:ChangeMessageVisibility", name, e))?;
        if let Some(failed) = out.failed().first() {
            return Err(AwsError::new(
                "sqs:ChangeMessageVisibility",
                name,
                format!(
                    "{} of {} messages read could not be made visible again ({}); they return after 300 s",
                    out.failed().len(),
                    chunk.len(),
                    failed.message().unwrap_or(failed.code())
                ),
            ));
        }
    }
    Ok(())
}

/// Up to ten messages of the queue `name`, with every attribute, held for
/// `visibility` seconds; waits a second for them.
async fn receive_ten(
    clients: &Clients,
    name: &str,
    url: &str,
    visibility: i32,
) -> Result<aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput, AwsError> {
    clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .visibility_timeout(visibility)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| classify("sqs:ReceiveMessage", name, e))
}

/// Whether the queue holds nothing but S3's `s3:TestEvent` messages, which
/// are the stack's own, not data. Looked at only when a few messages are
/// visible and none in flight; a message that is not a test event is made
/// visible again at once.
async fn only_test_events(
    clients: &Clients,
    name: &str,
    url: &str,
    depth: Depth,
) -> Result<bool, AwsError> {
    if !depth.may_be_only_test_events() {
        return Ok(false);
    }
    let out = receive_ten(clients, name, url, 30).await?;
    let received = out.messages();
    let all_tests = received.len() as u64 == depth.visible
        && received.iter().all(|m| {
            m.body()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .is_some_and(|v| v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent"))
        });
    if !all_tests {
        let handles: Vec<String> = received
            .iter()
            .filter_map(|m| m.receipt_handle().map(str::to_owned))
            .collect();
        release(clients, name, url, &handles).await?;
    }
    Ok(all_tests)
}

/// Takes our statements out of the queue's access policy; the Sids removed.
async fn remove_queue_statements(
    clients: &Clients,
    name: &str,
    url: &str,
) -> Result<Vec<&'static str>, AwsError> {
    let attrs = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .map_err(|e| classify("sqs:GetQueueAttributes", name, e))?;
    let Some(text) = attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::Policy))
    else {
        return Ok(Vec::new());
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let policy = Policy::parse(text).map_err(|e| {
        AwsError::new(
            "sqs:GetQueueAttributes",
            name,
            format!("the queue's access policy is {e}"),
        )
    })?;
    let present: Vec<&'static str> = crate::docs::QUEUE_POLICY_SIDS
        .into_iter()
        .filter(|sid| policy.statement(sid).is_some())
        .collect();
    if present.is_empty() {
        return Ok(present);
    }
    // Nothing else left: the policy is removed (an empty Policy attribute).
    let mut rest = Some(policy);
    for sid in &present {
        rest = rest.and_then(|p| p.without(sid));
    }
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(
            QueueAttributeName::Policy,
            rest.map(|p| p.to_string()).unwrap_or_default(),
        )
        .send()
        .await
        .map_err(|e| classify("sqs:SetQueueAttributes", name, e))?;
    Ok(present)
}
