"""moto server, as the tests and ./tests/emulator.sh run it: `python -m
moto.server ARGS` with one correction, so that moto answers as S3 does.

moto 5.2.5 keeps a bucket's EventBridge setting (PutBucketNotificationConfiguration
with EventBridgeConfiguration turns delivery to EventBridge on) but leaves it
out of GetBucketNotificationConfiguration, where S3 reports
`<EventBridgeConfiguration/>`. A tool reading the configuration back would
see EventBridge delivery off forever (and a read-modify-write would turn it
off). The patch below adds the element to the answer when moto's own model
has the setting.

moto 5.2.5 also answers GetBucketVersioning with a root element
`GetBucketVersioningResponse`, where S3 answers `VersioningConfiguration`
(Amazon S3 API Reference, GetBucketVersioning, "Response Syntax":
`<VersioningConfiguration><Status>string</Status>...`). SDKs that check the
root element refuse moto's answer, so a versioned bucket could not be read.
The second patch renames the root element; nothing else changes.

moto 5.2.5's S3 event notifications carry neither `versionId` nor
`sequencer` in `s3.object`. S3's do (Amazon S3 User Guide, "Event message
structure": `"versionId":"object version if bucket is versioning-enabled"`,
`"sequencer": "a string representation of a hexadecimal value used to
determine event sequence"`), and a consumer must read the version an event
names. The third patch adds both: the version of a versioned bucket's key,
and a sequencer that grows with every event.

moto 5.2.5's ReceiveMessage picks visible messages and marks them received
without a lock, so two concurrent receives can both take the same message
(each counting a receive). SQS does not: "Immediately after a message is
received, it remains in the queue. To prevent other consumers from
processing the message again, Amazon SQS sets a visibility timeout, a period
of time during which Amazon SQS prevents all consumers from receiving and
processing the message" (Amazon SQS Developer Guide, "Amazon SQS visibility
timeout"). The fourth patch makes the pick-and-mark one step per call: the
long poll waits outside the lock, as moto's own loop does, and each look at
the queue takes and marks under it. (SQS's rare at-least-once duplicates
are a different thing, and the consumer's tests make them on purpose.)
"""

import sys

import itertools
import threading
import time

from moto.s3 import notifications
from moto.s3.responses import S3Response
from moto.server import main
from moto.sqs.models import SQSBackend

_get_bucket_notification = S3Response.get_bucket_notification


def get_bucket_notification(self):
    answer = _get_bucket_notification(self)
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if config is None or getattr(config, "event_bridge", None) is None:
        return answer
    status, headers, body = answer
    text = body.decode() if isinstance(body, bytes) else body
    element = "<EventBridgeConfiguration/>"
    if element in text or "<EventBridgeConfiguration>" in text:
        return answer
    if text.rstrip().endswith("/>"):
        # An otherwise empty answer: a self-closing root element.
        stripped = text.rstrip()
        head = stripped[: -len("/>")]
        root = head[head.rfind("<") + 1 :].split()[0]
        text = f"{head}>{element}</{root}>"
    else:
        close = text.rfind("</")
        text = text[:close] + element + text[close:]
    return status, headers, text.encode() if isinstance(body, bytes) else text


S3Response.get_bucket_notification = get_bucket_notification

_get_bucket_versioning = S3Response.get_bucket_versioning


def get_bucket_versioning(self):
    status, headers, body = _get_bucket_versioning(self)
    text = body.decode() if isinstance(body, bytes) else body
    text = text.replace("<GetBucketVersioningResponse", "<VersioningConfiguration").replace(
        "</GetBucketVersioningResponse>", "</VersioningConfiguration>"
    )
    return status, headers, text.encode() if isinstance(body, bytes) else text


S3Response.get_bucket_versioning = get_bucket_versioning

_get_s3_event = notifications._get_s3_event
_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def get_s3_event(event_name, bucket, key, notification_id):
    event = _get_s3_event(event_name, bucket, key, notification_id)
    with _sequence_lock:
        sequencer = format(next(_sequence), "016X")
    for record in event.get("Records", []):
        obj = record["s3"]["object"]
        if bucket.is_versioned and getattr(key, "version_id", "null") != "null":
            obj["versionId"] = key.version_id
        obj["sequencer"] = sequencer
    return event


notifications._get_s3_event = get_s3_event

_receive_message = SQSBackend.receive_message
_receive_lock = threading.Lock()


def receive_message(
    self,
    queue_name,
    count,
    wait_seconds_timeout,
    visibility_timeout,
    message_attribute_names=None,
):
    deadline = time.time() + wait_seconds_timeout
    while True:
        with _receive_lock:
            result = _receive_message(
                self, queue_name, count, 0, visibility_timeout, message_attribute_names
            )
        if result or time.time() >= deadline:
            return result
        # Wakes when a message is visible (or after a second), like moto's loop.
        self.get_queue(queue_name).wait_for_messages(1)


SQSBackend.receive_message = receive_message

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    main()
