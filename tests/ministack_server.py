"""ministack (PyPI `ministack`, MIT; pinned in tests/requirements.txt), the
strict second emulator of the test suite, as tests/it/common/mod.rs starts it:

    python tests/ministack_server.py PORT

ministack runs with AUTH=true: every signed request is authenticated and
authorised by IAM (identity policies, trust policies with sts:ExternalId,
queue and topic policies), S3 and SNS deliveries are checked against the
destination's policy, PutBucketNotificationConfiguration validates every
destination, and a bucket of another region answers 301 with
x-amz-bucket-region. Its root keys (`test`, or any 12-digit key id) skip
every policy: tests use them only to make the admin user that runs sluice.

Where ministack 1.5.33 departs from AWS's documents, and only there, this
script corrects it before the server starts; each correction cites the
document. Nothing here bends the emulator towards sluice. The fault layer of
tests/fault_layer.py (eventual consistency, throttling, expiring sessions)
sits in front of the emulator; it injects nothing until a test asks.

Reset: POST /_ministack/reset (no auth). Health: GET /_ministack/health.
"""

import os
import sys

PORT = sys.argv[1] if len(sys.argv) > 1 else "4566"

# ministack reads its settings when ministack.app is imported.
os.environ.update(
    AUTH="true",
    GATEWAY_PORT=str(PORT),
    BIND_HOST="127.0.0.1",
    MINISTACK_REGION=os.environ.get("MINISTACK_REGION", "us-west-2"),
    MINISTACK_ACCOUNT_ID=os.environ.get("MINISTACK_ACCOUNT_ID", "123456789012"),
    LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
)
# The server's own AWS_* variables would define one more root key (and the
# session token it requires): ministack's is_root_access_key.
for _var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(_var, None)

import ministack.app as app  # noqa: E402
from ministack.core import iam_actions  # noqa: E402
from ministack.core import iam_evaluator as ev  # noqa: E402
from ministack.core.responses import get_account_id  # noqa: E402
from ministack.services import eventbridge, iam, s3, sqs  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_layer  # noqa: E402

assert app.AUTH, "AUTH must be true before ministack.app is imported"

# ---------------------------------------------------------------------------
# 1. Batch actions are authorised as the single-message action.
#
# Amazon SQS Developer Guide, "Amazon SQS batch actions"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html):
# "You can't set permissions for SendMessageBatch, DeleteMessageBatch, or
# ChangeMessageVisibilityBatch explicitly. Setting permissions for
# SendMessage, DeleteMessage, or ChangeMessageVisibility sets permissions for
# the corresponding batch versions of the actions."
# ministack checks sqs:DeleteMessageBatch etc. as actions of their own, so a
# policy granting sqs:DeleteMessage (as AWS documents) denies the batch call.
# ---------------------------------------------------------------------------
_BATCH = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
_extract_iam_action = iam_actions.extract_iam_action


def extract_iam_action(*args, **kwargs):
    action = _extract_iam_action(*args, **kwargs)
    return _BATCH.get(action, action)


# app.py imports the name inside the request function: replaced for every request.
iam_actions.extract_iam_action = extract_iam_action

# ---------------------------------------------------------------------------
# 2. SimulatePrincipalPolicy uses the request's ContextEntries and every
#    ResourceArn.
#
# IAM API Reference, SimulatePrincipalPolicy
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html):
# "ContextEntries: A list of context keys and corresponding values for the
# simulation to use. Whenever a context key is evaluated in one of the
# simulated IAM permissions policies, the corresponding value is supplied."
# "ResourceArns: A list of ARNs of AWS resources to include in the simulation."
# ministack ignores ContextEntries (a condition on s3:prefix never matches)
# and simulates only the first ARN.
# ---------------------------------------------------------------------------


def _members(params, prefix):
    out, i = [], 1
    while value := iam._p(params, f"{prefix}.member.{i}"):
        out.append(value)
        i += 1
    return out


def _context_entries(params):
    context, i = {}, 1
    while name := iam._p(params, f"ContextEntries.member.{i}.ContextKeyName"):
        values = _members(params, f"ContextEntries.member.{i}.ContextKeyValues")
        kind = iam._p(params, f"ContextEntries.member.{i}.ContextKeyType")
        context[name.lower()] = values if kind.endswith("List") else (values[0] if values else None)
        i += 1
    return context


def _simulate_principal_policy(params):
    arn = iam._p(params, "PolicySourceArn")
    if not arn:
        return iam._error(400, "ValidationError", "PolicySourceArn is required.", ns="iam")
    account = get_account_id()
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    if kind == "user":
        policies = ev._gather_user_policies(name, account)
        limits = ev._permissions_boundary(iam._users, name, account)
    elif kind == "role":
        policies = ev._gather_role_policies(name, account)
        limits = ev._permissions_boundary(iam._roles, name, account)
    else:
        policies, limits = [], []
    context = _context_entries(params)
    results = ""
    for action in _members(params, "ActionNames"):
        for resource in _members(params, "ResourceArns") or ["*"]:
            ctx = ev.EvalContext(
                principal_arn=arn,
                principal_type="User" if kind == "user" else "AssumedRole",
                principal_account=account,
                action=action,
                resource_arn=resource,
                region=iam.get_region(),
                service_context=dict(context),
                source_ip="127.0.0.1",
                secure_transport=False,
            )
            raw = ev.evaluate(ctx, policies, *limits).decision if policies else "ImplicitDeny"
            decision = {"Allow": "allowed", "Deny": "explicitDeny"}.get(raw, "implicitDeny")
            results += (
                f"<member><EvalActionName>{action}</EvalActionName>"
                f"<EvalResourceName>{resource}</EvalResourceName>"
                f"<EvalDecision>{decision}</EvalDecision><MatchedStatements/>"
                "<MissingContextValues/></member>"
            )
    return iam._xml(
        200,
        "SimulatePrincipalPolicyResponse",
        f"<SimulatePrincipalPolicyResult><EvaluationResults>{results}</EvaluationResults>"
        "<IsTruncated>false</IsTruncated></SimulatePrincipalPolicyResult>",
        ns="iam",
    )


iam._IAM_HANDLERS["SimulatePrincipalPolicy"] = _simulate_principal_policy

# ---------------------------------------------------------------------------
# 3. EventBridge delivers to an SQS target only when the queue policy lets
#    events.amazonaws.com send (aws:SourceArn = the rule).
#
# Amazon EventBridge User Guide, "Using resource-based policies for Amazon
# EventBridge", section "Amazon SQS permissions"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions):
# "To allow an EventBridge rule to invoke an Amazon SQS queue, use the
# add-permission command" ... with Principal "events.amazonaws.com" and
# Condition ArnEquals aws:SourceArn = the rule's ARN. ministack delivers to
# the queue without looking at its policy.
# ---------------------------------------------------------------------------
_invoke_target = eventbridge._invoke_target


def _invoke_target_checked(target, event, rule, view=None):
    arn = target.get("Arn", "")
    if arn.startswith("arn:aws:sqs:") and not sqs.queue_policy_allows(
        arn, "events.amazonaws.com", rule.get("Arn", ""), get_account_id()
    ):
        eventbridge.logger.warning("queue policy of %s refuses the rule %s", arn, rule.get("Arn"))
        return None
    return _invoke_target(target, event, rule, view)


eventbridge._invoke_target = _invoke_target_checked

# ---------------------------------------------------------------------------
# 4. PutBucketNotificationConfiguration names each destination it could not
#    validate, in ArgumentNameN / ArgumentValueN.
#
# Amazon S3 API Reference, PutBucketNotificationConfiguration
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html):
# "After Amazon S3 receives this request, it first verifies that any Amazon
# SNS or Amazon SQS destination exists, and that the bucket owner has
# permission to publish to it by sending a test notification."
# The error's shape is not in the AWS documents; it is S3's answer as
# recorded against AWS in LocalStack's AWS-validated snapshot
# tests/aws/services/s3/test_s3_notifications_sqs.snapshot.json
# (InvalidArgument, Message "Unable to validate the following destination
# configurations", ArgumentName1 = the destination's ARN, ArgumentValue1 =
# "The destination queue does not exist"), and the reason
# "Permissions on the destination queue do not allow S3 to publish
# notifications from this bucket" of https://github.com/aws/aws-cli/issues/8162.
# ministack puts the ARN into the Message and leaves the elements out.
# ---------------------------------------------------------------------------
_validate = s3._validate_notification_configs
_UNABLE = "Unable to validate the following destination configurations"


def _validate_notification_configs(configs, bucket_region, bucket_name="", skip_destination_validation=False):
    error = _validate(configs, bucket_region, bucket_name, skip_destination_validation)
    if error is None or _UNABLE.encode() not in error[2]:
        return error
    owner = (s3._bucket_owner_account(bucket_name) if bucket_name else "") or ""
    extra, n = {}, 0
    for config in configs:
        if config["type"] not in ("sqs", "sns"):
            continue
        kind = "queue" if config["type"] == "sqs" else "topic"
        if not s3._notification_destination_exists(config["type"], config["arn"], bucket_region):
            reason = f"The destination {kind} does not exist"
        elif not s3._notification_destination_allows(config["type"], config["arn"], bucket_name, owner):
            reason = f"Permissions on the destination {kind} do not allow S3 to publish notifications from this bucket"
        else:
            continue
        n += 1
        extra[f"ArgumentName{n}"] = config["arn"]
        extra[f"ArgumentValue{n}"] = reason
    if not extra:
        return error
    return s3._error("InvalidArgument", _UNABLE, 400, extra=extra)


s3._validate_notification_configs = _validate_notification_configs

# The fault layer, in front of every AWS request (see tests/fault_layer.py).
fault_layer.install(app)

if __name__ == "__main__":
    sys.argv = ["ministack"]
    app.main()
