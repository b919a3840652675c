//! What the role or the user may do, tried with its own credentials: receive
//! from the queue (the role), list the prefix, read the test object, and
//! write, read back and delete an object of its own.

use super::object::{TEST_BODY, TestObject};
use super::run::{Run, waiting};
use crate::aws::client::Clients;
use crate::aws::error::classify;
use crate::aws::observe::queue_depth;
use crate::aws::progress::CheckId;
use crate::aws::propagation::IamWait;
use crate::spec::Spec;

/// Whose access the data checks try: the role's or the user's.
pub(in crate::aws) struct Who {
    pub(in crate::aws) label: &'static str,
    pub(in crate::aws) list: CheckId,
    pub(in crate::aws) get: CheckId,
    pub(in crate::aws) put: CheckId,
    pub(in crate::aws) delete: CheckId,
}

pub(in crate::aws) const ROLE: Who = Who {
    label: "role",
    list: CheckId::RoleListBucket,
    get: CheckId::RoleGetObject,
    put: CheckId::RolePutObject,
    delete: CheckId::RoleDeleteObject,
};

pub(in crate::aws) const USER: Who = Who {
    label: "user",
    list: CheckId::UserListBucket,
    get: CheckId::UserGetObject,
    put: CheckId::UserPutObject,
    delete: CheckId::UserDeleteObject,
};

/// What the connector's identity may do with the data: list the prefix
/// (a pipeline without a queue finds its objects so), read the test object,
/// and write, read back and delete one where it writes.
pub(in crate::aws) async fn data_checks(
    who: &Who,
    clients: &Clients,
    spec: &Spec,
    object: &TestObject,
    uploaded: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    if !spec.has_queue() {
        identity_list(who, clients, spec, wait, run).await;
    }
    identity_read(who, clients, spec, object, uploaded, wait, run).await;
    if spec.policy.allow_put_object {
        identity_write(who, clients, spec, object, wait, run).await;
    }
}

/// The role receives once, without waiting, from a queue that shows no
/// visible message: what it may get is only what arrived that instant, left
/// visible. With visible messages of others it receives only with consent.
pub(in crate::aws) async fn role_receive(
    clients: &Clients,
    assumed: &Clients,
    spec: &Spec,
    queue_url: &str,
    probe_busy_queue: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let title = format!("the role may receive from {}", spec.queue.name);
    if !probe_busy_queue
        && let Ok(depth) = queue_depth(clients, queue_url).await
        && depth.visible > 0
    {
        run.not_available(
            CheckId::RoleReceiveMessage,
            title,
            format!(
                "the queue shows {} of others: receiving one as the role would count towards its maxReceiveCount (--probe-busy-queue receives anyway); the role's sqs:ReceiveMessage is checked by policy simulation",
                crate::words::count(depth.visible, "visible message")
            ),
        );
        return;
    }
    let started = run.start(CheckId::RoleReceiveMessage, title);
    let reporter = run.reporter;
    let result = wait
        .call(
            "the role's first call",
            &mut waiting(reporter, CheckId::RoleReceiveMessage),
            || async {
                assumed
                    .sqs
                    .receive_message()
                    .queue_url(queue_url)
                    .max_number_of_messages(1)
                    .wait_time_seconds(0)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|e| classify("sqs:ReceiveMessage", &spec.queue.name, e))
            },
        )
        .await
        .map(|out| {
            format!(
                "allowed ({} seen, left visible)",
                crate::words::count(out.messages().len(), "message")
            )
        })
        .map_err(|e| e.to_string());
    run.finish(CheckId::RoleReceiveMessage, started, result);
}

/// A pull import lists the prefix before it reads.
async fn identity_list(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let where_ = format!("s3://{}/{}", spec.bucket.name, spec.bucket.prefix);
    let started = run.start(who.list, format!("the {} may list {where_}", who.label));
    let reporter = run.reporter;
    let result = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.list),
            || async {
                assumed
                    .s3
                    .list_objects_v2()
                    .bucket(&spec.bucket.name)
                    .prefix(&spec.bucket.prefix)
                    .max_keys(10)
                    .send()
                    .await
                    .map_err(|e| classify("s3:ListBucket", &where_, e))
            },
        )
        .await
        .map(|out| {
            format!(
                "allowed ({} listed)",
                crate::words::count(out.contents().len(), "object")
            )
        })
        .map_err(|e| e.to_string());
    run.finish(who.list, started, result);
}

/// A destination writes, reads back and deletes an object of its own.
async fn identity_write(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    object: &TestObject,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let key = format!("{}.written", object.key);
    let place = format!("s3://{}/{key}", spec.bucket.name);
    let started = run.start(who.put, format!("the {} may write {place}", who.label));
    let reporter = run.reporter;
    let put = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.put),
            || async {
                assumed
                    .s3
                    .put_object()
                    .bucket(&spec.bucket.name)
                    .key(&key)
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(
                        TEST_BODY.as_bytes(),
                    ))
                    .send()
                    .await
                    .map_err(|e| classify("s3:PutObject", &place, e))
            },
        )
        .await;
    let written = put.is_ok();
    run.finish(
        who.put,
        started,
        put.map(|_| format!("{} bytes written", TEST_BODY.len()))
            .map_err(|e| e.to_string()),
    );
    let title = format!("the {} may delete {place}", who.label);
    if !written {
        run.not_available(
            who.delete,
            title,
            format!("the {} wrote nothing", who.label),
        );
        return;
    }
    let started = run.start(who.delete, title);
    let mut result = assumed
        .s3
        .delete_object()
        .bucket(&spec.bucket.name)
        .key(&key)
        .send()
        .await
        .map(|_| "deleted".to_owned())
        .map_err(|e| classify("s3:DeleteObject", &place, e).to_string());
    if result.is_ok() && spec.bucket.versioning {
        result =
            Ok("deleted (a versioned bucket keeps the write as a noncurrent version)".to_owned());
    }
    run.finish(who.delete, started, result);
}

async fn identity_read(
    who: &Who,
    assumed: &Clients,
    spec: &Spec,
    object: &TestObject,
    uploaded: bool,
    wait: &mut IamWait,
    run: &mut Run<'_>,
) {
    let title = format!(
        "the {} may read s3://{}/{}",
        who.label, spec.bucket.name, object.key
    );
    if !uploaded {
        run.not_available(who.get, title, "the test object was not uploaded");
        return;
    }
    let started = run.start(who.get, title);
    let reporter = run.reporter;
    let got = wait
        .call(
            &format!("the {}'s first call", who.label),
            &mut waiting(reporter, who.get),
            || async {
                assumed
                    .s3
                    .get_object()
                    .bucket(&spec.bucket.name)
                    .key(&object.key)
                    .send()
                    .await
                    .map_err(|e| {
                        classify(
                            "s3:GetObject",
                            format!("s3://{}/{}", spec.bucket.name, object.key),
                            e,
                        )
                    })
            },
        )
        .await;
    let result = match got {
        Ok(out) => match out.body.collect().await.map(|b| b.into_bytes()) {
            Ok(bytes) if bytes == TEST_BODY.as_bytes() => Ok(format!("{} bytes read", bytes.len())),
            Ok(_) => Err("the object read back differs from the one uploaded".to_owned()),
            Err(e) => Err(format!("reading the object's body failed: {e}")),
        },
        Err(e) => Err(e.to_string()),
    };
    run.finish(who.get, started, result);
}
