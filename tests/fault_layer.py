"""The fault layer in front of the strict emulator (tests/ministack_server.py):
AWS's documented eventual consistency, throttling and expiring sessions,
made real so that tests can see sluice wait, retry or stop with the right
words. It injects nothing until a test configures it:

    POST /_sluice/faults   {"new_role_unassumable_secs": 8, ...}  replaces the settings
    GET  /_sluice/faults   {"settings": {...}, "injected": {"kind": count, ...}}

Settings (every one optional; durations in seconds):

- new_role_unassumable_secs: sts:AssumeRole of a role created, or whose
  trust policy changed, less than this long ago is refused with AccessDenied
  (IAM User Guide, "Changes that I make are not always immediately visible":
  "Any change that you make in IAM ... takes time to become visible").
- new_policy_unseen_secs: a role session's calls (all but STS) in the first
  seconds after a policy was attached to its role are refused with
  AccessDenied (same document).
- new_key_invalid_secs: a request signed with an access key created less
  than this long ago is refused with InvalidClientTokenId (S3:
  InvalidAccessKeyId) (same document).
- queue_deleted_recently_secs: CreateQueue of a name deleted less than this
  long ago answers QueueDeletedRecently (SQS API Reference, CreateQueue: "If
  you delete a queue, you must wait at least 60 seconds before creating a
  queue with the same name").
- dlq_unseen_secs: a RedrivePolicy naming a queue created less than this
  long ago is refused: "Dead letter target does not exist" (CreateQueue:
  "After you create a queue, you must wait at least one second after the
  queue is created to be able to use the queue").
- throttle: [{"service": "sqs", "action": "sqs:ReceiveMessage", "count": 3}]:
  the next `count` matching requests answer with the service's throttling
  error (the action may be left out: any of the service's).
- session_lifetime_secs: credentials from sts:AssumeRole and
  sts:GetSessionToken expire this long after they are issued: the answer's
  Expiration says so, and later requests signed with them get ExpiredToken.
- deny: [{"action": "sqs:DeleteMessage"}]: requests for the action (by any
  caller but root) are refused with AccessDenied, as a permission taken away.
- require_mfa: ["role-name"]: sts:AssumeRole of these roles without
  SerialNumber and TokenCode is refused, as a trust policy with the
  condition Bool aws:MultiFactorAuthPresent true refuses it (IAM User
  Guide, "Configuring MFA-protected API access"); ministack does not model
  MFA.
- slow: [{"action": "s3:GetObject", "secs": 2, "count": 3}]: the next
  `count` requests for the action are answered `secs` late.

Implemented by wrapping ministack's request dispatcher (app.py looks it up
per request), so every signed AWS request passes here first.
"""

import asyncio
import json
import re
import threading
import time

from ministack.core import iam_actions
from ministack.core import iam_evaluator as ev
from ministack.core.router import detect_service, extract_access_key_id

PATH = "/_sluice/faults"

_lock = threading.Lock()
_settings = {}
# Faults apply only to what was made after the settings: the admin user's
# key, made when the server started, stays good.
_since = [0.0]
_injected = {}
# What the layer has seen, by name or key id, with monotonic times.
_role_changed = {}
_role_policy_changed = {}
_key_created = {}
_sessions = {}  # access key id -> {"role": name or None, "issued": t}
_queue_deleted = {}
_queue_created = {}


def _reset():
    with _lock:
        _settings.clear()
        _injected.clear()
        for table in (_role_changed, _role_policy_changed, _key_created, _sessions,
                      _queue_deleted, _queue_created):
            table.clear()


def _count(kind):
    _injected[kind] = _injected.get(kind, 0) + 1


def _param(routing, name):
    value = routing.get(name)
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def _json_body(body):
    try:
        value = json.loads(body or b"{}")
        return value if isinstance(value, dict) else {}
    except (ValueError, UnicodeDecodeError):
        return {}


def _caller(key):
    try:
        identity = ev.resolve_caller_identity(key) or {}
        return identity.get("Arn") or identity.get("arn") or "arn:aws:iam::unknown:user/unknown"
    except Exception:  # noqa: BLE001 (only for the message)
        return "arn:aws:iam::unknown:user/unknown"


def _denied(service, action, key, headers, request_id, message=""):
    return iam_actions.access_denied_response(
        service, action, _caller(key), request_id, message=message, headers=headers
    )


_AUTH_MESSAGES = {
    "InvalidClientTokenId": "The security token included in the request is invalid.",
    "ExpiredTokenException": "The security token included in the request is expired",
}


def _auth_failure(service, action, code, headers, request_id):
    return iam_actions.access_denied_response(
        service, action, "", request_id, error_code=code, message=_AUTH_MESSAGES.get(code, ""),
        headers=headers,
    )


def _sqs_error(type_, query_code, message):
    return (
        400,
        {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-query-error": f"{query_code};Sender",
        },
        json.dumps({"__type": f"com.amazonaws.sqs#{type_}", "message": message}).encode(),
    )


def _throttled(service):
    if service == "s3":
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                "<Message>Please reduce your request rate.</Message></Error>")
        return 503, {"Content-Type": "application/xml"}, body.encode()
    if service == "sqs":
        return _sqs_error("RequestThrottled", "RequestThrottled", "Rate exceeded")
    if service in ("events", "eventbridge"):
        return (400, {"Content-Type": "application/x-amz-json-1.1"},
                json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode())
    body = ('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
            '<Message>Rate exceeded</Message></Error><RequestId>0</RequestId></ErrorResponse>')
    return 400, {"Content-Type": "text/xml"}, body.encode()


def _within(table, name, secs):
    when = table.get(name)
    return bool(secs) and when is not None and when >= _since[0] and time.monotonic() - when < secs


def _queue_name(url_or_name):
    return (url_or_name or "").rstrip("/").rsplit("/", 1)[-1]


def _before(service, action, key, routing, body, headers, request_id):
    """An injected answer for this request, or None to let the emulator answer."""
    s = _settings
    root = ev.is_root_access_key(key) if key else False
    session = _sessions.get(key)
    if session and s.get("session_lifetime_secs") and session["issued"] >= _since[0] and \
            time.monotonic() - session["issued"] >= s["session_lifetime_secs"]:
        _count("expired_token")
        return _auth_failure(service, action, "ExpiredTokenException", headers, request_id)
    if key and _within(_key_created, key, s.get("new_key_invalid_secs")):
        _count("new_key_invalid")
        return _auth_failure(service, action, "InvalidClientTokenId", headers, request_id)
    for rule in s.get("throttle", []):
        if rule.get("count", 0) > 0 and rule.get("service") == service and \
                rule.get("action") in (None, action):
            rule["count"] -= 1
            _count("throttled")
            return _throttled(service)
    if not root:
        for rule in s.get("deny", []):
            if rule.get("action") == action:
                _count("denied")
                return _denied(service, action, key, headers, request_id)
    if action == "sts:AssumeRole":
        role_arn = _param(routing, "RoleArn")
        role = role_arn.rsplit("/", 1)[-1]
        if role in s.get("require_mfa", []) and not (
                _param(routing, "SerialNumber") and _param(routing, "TokenCode")):
            _count("mfa_missing")
            return _denied(service, action, key, headers, request_id,
                           f"User: {_caller(key)} is not authorized to perform: sts:AssumeRole "
                           f"on resource: {role_arn}")
        if _within(_role_changed, role, s.get("new_role_unassumable_secs")):
            _count("role_unassumable")
            return _denied(service, action, key, headers, request_id,
                           f"User: {_caller(key)} is not authorized to perform: sts:AssumeRole "
                           f"on resource: {role_arn}")
    if session and session.get("role") and not action.startswith("sts:") and \
            _within(_role_policy_changed, session["role"], s.get("new_policy_unseen_secs")):
        _count("policy_unseen")
        return _denied(service, action, key, headers, request_id)
    if service == "sqs" and action in ("sqs:CreateQueue", "sqs:SetQueueAttributes"):
        request = _json_body(body)
        name = request.get("QueueName") or ""
        if action == "sqs:CreateQueue" and \
                _within(_queue_deleted, name, s.get("queue_deleted_recently_secs")):
            _count("queue_deleted_recently")
            return _sqs_error(
                "QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create "
                "another queue with the same name.")
        redrive = (request.get("Attributes") or {}).get("RedrivePolicy")
        if redrive:
            try:
                target = json.loads(redrive).get("deadLetterTargetArn", "")
            except (ValueError, AttributeError):
                target = ""
            if _within(_queue_created, _queue_name(target.split(":")[-1]), s.get("dlq_unseen_secs")):
                _count("dlq_unseen")
                return _sqs_error(
                    "InvalidAttributeValue", "InvalidParameterValue",
                    f"Value {redrive} for parameter RedrivePolicy is invalid. "
                    "Reason: Dead letter target does not exist.")
    return None


_EXPIRATION = re.compile(rb"<Expiration>[^<]*</Expiration>")


def _after(service, action, key, routing, body, response):
    """Records what the layer needs from a successful answer; may rewrite it."""
    status, headers, payload = response
    if not 200 <= status < 300:
        return response
    now = time.monotonic()
    if service == "iam":
        role = _param(routing, "RoleName")
        if action in ("iam:CreateRole", "iam:UpdateAssumeRolePolicy") and role:
            _role_changed[role] = now
        if action in ("iam:AttachRolePolicy", "iam:PutRolePolicy") and role:
            _role_policy_changed[role] = now
        if action == "iam:CreateAccessKey" and isinstance(payload, bytes):
            found = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
            if found:
                _key_created[found.group(1).decode()] = now
    if action in ("sts:AssumeRole", "sts:GetSessionToken") and isinstance(payload, bytes):
        found = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
        arn = re.search(rb"assumed-role/([^/<]+)/", payload)
        if found:
            _sessions[found.group(1).decode()] = {
                "role": arn.group(1).decode() if arn else None,
                "issued": now,
            }
        lifetime = _settings.get("session_lifetime_secs")
        if lifetime:
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + lifetime))
            payload = _EXPIRATION.sub(f"<Expiration>{expires}</Expiration>".encode(), payload)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            return status, headers, payload
    if service == "sqs":
        request = _json_body(body)
        if action == "sqs:DeleteQueue":
            _queue_deleted[_queue_name(request.get("QueueUrl"))] = now
        if action == "sqs:CreateQueue" and request.get("QueueName"):
            _queue_created[request["QueueName"]] = now
    return response


def _control(method, body):
    if method == "POST":
        try:
            settings = json.loads(body or b"{}")
        except ValueError as e:
            return 400, {"Content-Type": "text/plain"}, f"not JSON: {e}".encode()
        with _lock:
            _settings.clear()
            _settings.update(settings)
            _injected.clear()
            _since[0] = time.monotonic()
    answer = {"settings": _settings, "injected": _injected}
    return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


def install(app):
    """Puts the layer in front of ministack's dispatcher, and forgets what it
    saw whenever the emulator is reset."""
    dispatch = app._dispatch_service_request
    routing_params = app._routing_params

    async def dispatch_with_faults(method, path, headers, body, query_params, request_id):
        if path == PATH:
            return _control(method, body)
        routing = routing_params(method, path, headers, body, query_params)
        service = detect_service(method, path, headers, routing)
        try:
            action = iam_actions.extract_iam_action(service, method, path, headers, body, routing) or ""
        except Exception:  # noqa: BLE001 (an unknown request: the emulator answers it)
            action = ""
        key = extract_access_key_id(headers, query_params) or ""
        with _lock:
            late = 0
            for rule in _settings.get("slow", []):
                if rule.get("count", 0) > 0 and rule.get("action") == action:
                    rule["count"] -= 1
                    late = rule.get("secs", 1)
                    _count("slowed")
                    break
        if late:
            await asyncio.sleep(late)
        with _lock:
            injected = _before(service, action, key, routing, body, headers, request_id)
        if injected is not None:
            return injected
        response = await dispatch(method, path, headers, body, query_params, request_id)
        with _lock:
            return _after(service, action, key, routing, body, response)

    app._dispatch_service_request = dispatch_with_faults

    reset = app._handle_admin_reset

    async def reset_with_faults(path, method, query_params):
        answer = await reset(path, method, query_params)
        if path.startswith("/_ministack/reset"):
            _reset()
        return answer

    app._handle_admin_reset = reset_with_faults

