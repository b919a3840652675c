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
"""

import sys

from moto.s3.responses import S3Response
from moto.server import main

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

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    main()
