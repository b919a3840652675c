//! The bucket: deleted only when it is the stack's, holds no objects (or
//! `delete_objects` says to delete them) and nothing else depends on it;
//! its objects counted, and every version deleted.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::aws::client::Clients;
use crate::aws::destroy::run::DestroyOptions;
use crate::aws::destroy::run::{Fate, Run};
use crate::aws::error::{AwsError, ErrorKind, classify, optional};
use crate::aws::observe::{read_notification, s3_tags};
use crate::aws::ownership::{Owner, not_ours, owner};
use crate::aws::progress::{Event, KeptReason, StepId};
use crate::aws::resources::route::destroy::rules_for_bucket;
use crate::docs::{Arns, ResourceKind, Target, eventbridge_enabled, without_ours};
use crate::spec::{Delivery, Spec};

/// What depends on the stack's bucket and is not the stack's: every entry
/// of its notification configuration but ours (another team's queue,
/// topic or function), and, while the bucket's EventBridge delivery is on,
/// every rule on the default bus whose pattern names the bucket (`gone_rule`,
/// a rule this destroy just deleted, left out). Each as a phrase naming it.
pub async fn bucket_dependents(
    clients: &Clients,
    spec: &Spec,
    gone_rule: Option<&str>,
) -> Result<Vec<String>, AwsError> {
    let bucket = &spec.bucket.name;
    let Some(config) = optional(read_notification(&clients.s3, bucket).await)? else {
        return Ok(Vec::new());
    };
    let (others, _) = without_ours(&config, spec);
    let our_queue = Arns::of(spec).queue;
    let mut dependents = Vec::new();
    for entry in others.queues_first() {
        let what = match entry.target {
            Target::Queue(_) => "queue",
            Target::Topic(_) => "topic",
            Target::Lambda(_) => "function",
        };
        let arn = entry.target.arn();
        if arn == our_queue {
            continue; // feeds only the queue this destroy deletes
        }
        let id = entry.id_or("(no Id)");
        dependents.push(format!("notification entry {id} (to {what} {arn})"));
    }
    if eventbridge_enabled(&config) {
        match rules_for_bucket(clients, bucket, gone_rule, false).await {
            Ok(rules) => dependents.extend(rules.into_iter().map(|r| format!("EventBridge rule {r}"))),
            Err(e) if e.kind == ErrorKind::AccessDenied => dependents.push(format!(
                "perhaps an EventBridge rule: the bucket sends its events to EventBridge and the rules could not be listed ({e})"
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(dependents)
}

/// Above this many objects, a bucket's objects are not counted further.
const COUNT_LIMIT: usize = 100_000;

pub(in crate::aws) async fn bucket(
    clients: &Clients,
    spec: &Spec,
    options: &DestroyOptions,
    label: &str,
    run: &mut Run<'_>,
) -> Result<(String, Fate), AwsError> {
    let s3 = &clients.s3;
    let name = spec.bucket.name.as_str();
    let account = spec.account_id.as_deref().unwrap_or_default();
    let head = s3
        .head_bucket()
        .bucket(name)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucket", name, e));
    match head {
        Ok(_) => {}
        Err(e) if e.is_not_found() => return Ok((label.to_owned(), Fate::Gone)),
        Err(mut e) if e.kind == ErrorKind::AccessDenied => {
            e.message = format!(
                "the bucket is not readable by this account ({account}): it may belong to another account"
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    // No tag set at all is "not found" too: no tags.
    let tags: BTreeMap<String, String> = optional(
        s3.get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| classify("s3:GetBucketTagging", name, e)),
    )?
    .map(|o| s3_tags(o.tag_set()))
    .unwrap_or_default();
    let owner = owner(&tags, &spec.name);
    // Untagged, made by an apply of this stack stopped before tagging it.
    let claimed = owner == Owner::Untagged
        && crate::aws::journal::default_dir()
            .and_then(|dir| crate::aws::journal::claimed_by(&dir, account, name))
            .as_deref()
            == Some(spec.name.as_str());
    if owner != Owner::Stack && !claimed {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(not_ours(&owner, &spec.name))),
        ));
    }
    if !spec.bucket.create {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::NotOurs(
                "adopted (bucket.create is false): only our notification entry was removed"
                    .to_owned(),
            )),
        ));
    }

    // Whatever the flags, a bucket others rely on stays.
    let gone_rule = match spec.delivery() {
        Some(Delivery::Eventbridge) => Some(spec.notification.id.as_str()),
        _ => None,
    };
    let dependents = bucket_dependents(clients, spec, gone_rule).await?;
    let objects = count_objects(clients, name).await?;
    let versions = if objects == 0 {
        has_versions(clients, name).await?
    } else {
        true
    };
    let what = match objects {
        0 => "old object versions or delete markers".to_owned(),
        n if n >= COUNT_LIMIT => format!("{COUNT_LIMIT}+ objects"),
        n => crate::words::count(n, "object"),
    };
    if !dependents.is_empty() {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::InUse(format!(
                "in use by what is not this stack's: {}{}",
                dependents.join("; "),
                if versions {
                    format!("; it holds {what}")
                } else {
                    String::new()
                }
            ))),
        ));
    }
    if versions && !options.delete_objects {
        return Ok((
            label.to_owned(),
            Fate::Kept(KeptReason::HoldsObjects(format!(
                "not empty: it holds {what}"
            ))),
        ));
    }
    if versions {
        run.reporter.send(Event::Waiting {
            step: StepId::Destroy(ResourceKind::Bucket),
            reason: format!("deleting every object and object version in {name}"),
        });
        let deleted = empty_bucket(clients, name).await?;
        run.note(
            ResourceKind::Bucket,
            format!(
                "deleted {} ({deleted} versions and delete markers in all; objects are not backed up)",
                crate::words::count(objects, "object"),
            ),
        );
    }
    match s3
        .delete_bucket()
        .bucket(name)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| classify("s3:DeleteBucket", name, e))
    {
        Ok(_) => {
            if let Some(dir) = crate::aws::journal::default_dir() {
                // A record of its creation has nothing left to stand for.
                let _ = crate::aws::journal::end(&dir, account, name);
            }
            Ok((label.to_owned(), Fate::Removed("deleted".to_owned())))
        }
        Err(e) if e.is_not_found() => Ok((label.to_owned(), Fate::Gone)),
        Err(mut e) if e.code.as_deref() == Some("BucketNotEmpty") => {
            e.message = format!(
                "{}: objects were written to it while it was being emptied",
                e.message
            );
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The bucket's current objects, counted up to [`COUNT_LIMIT`].
pub(in crate::aws) async fn count_objects(
    clients: &Clients,
    name: &str,
) -> Result<usize, AwsError> {
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(name)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("s3:ListBucket", name, e))?;
        count += page.contents().len();
        if count >= COUNT_LIMIT {
            break;
        }
    }
    Ok(count)
}

/// Whether anything (noncurrent versions, delete markers) is left in a bucket without current objects.
async fn has_versions(clients: &Clients, name: &str) -> Result<bool, AwsError> {
    let out = clients
        .s3
        .list_object_versions()
        .bucket(name)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| classify("s3:ListBucketVersions", name, e))?;
    Ok(!out.versions().is_empty() || !out.delete_markers().is_empty())
}

/// Deletes every object version and delete marker; returns how many.
async fn empty_bucket(clients: &Clients, name: &str) -> Result<usize, AwsError> {
    let s3 = &clients.s3;
    let mut deleted = 0;
    loop {
        // What is deleted disappears from the listing: the first page is always the next.
        let out = s3
            .list_object_versions()
            .bucket(name)
            .max_keys(1000)
            .send()
            .await
            .map_err(|e| classify("s3:ListBucketVersions", name, e))?;
        let mut ids = Vec::new();
        let entries = out
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                out.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        for (key, version) in entries {
            let Some(key) = key else { continue };
            let id = ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(str::to_owned))
                .build()
                .map_err(|e| {
                    AwsError::new(
                        "s3:DeleteObjectVersion",
                        name,
                        format!("invalid object identifier: {e}"),
                    )
                })?;
            ids.push(id);
        }
        if ids.is_empty() {
            return Ok(deleted);
        }
        let batch = ids.len();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| {
                AwsError::new(
                    "s3:DeleteObjectVersion",
                    name,
                    format!("invalid delete request: {e}"),
                )
            })?;
        let result = s3
            .delete_objects()
            .bucket(name)
            .delete(delete)
            .send()
            .await
            .map_err(|e| classify("s3:DeleteObjectVersion", name, e))?;
        if let Some(first) = result.errors().first() {
            return Err(AwsError {
                action: "s3:DeleteObjectVersion",
                resource: format!("s3://{name}/{}", first.key().unwrap_or_default()),
                kind: ErrorKind::Other,
                code: first.code().map(str::to_owned),
                message: format!(
                    "{} of {batch} objects could not be deleted: {}",
                    result.errors().len(),
                    first.message().unwrap_or_default()
                ),
            });
        }
        deleted += batch;
    }
}
