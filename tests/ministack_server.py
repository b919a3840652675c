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

CloudWatch's alarms over the Query protocol (form-encoded requests, XML
answers, what the Rust SDK speaks) are corrected in section 5: a metric-math
alarm's Metrics, ThresholdMetricId, InsufficientDataActions and
EvaluateLowSampleCountPercentile are stored as put (over JSON and CBOR too,
without an invented Statistic or Period), and DescribeAlarms answers the
whole MetricAlarm data type. ministack cannot evaluate metric math: such an
alarm keeps its state until SetAlarmState changes it.

Reset: POST /_ministack/reset (no auth). Health: GET /_ministack/health.
"""

import copy
import json
import os
import sys
import time
from datetime import datetime, timezone
from xml.sax.saxutils import escape as _escape

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
from ministack.services import cloudwatch, eventbridge, iam, s3, sqs  # noqa: E402

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

# ---------------------------------------------------------------------------
# 5. PutMetricAlarm stores what the request sets (metric math included), and
#    DescribeAlarms answers the whole MetricAlarm, over Query as over JSON.
#
# Amazon CloudWatch API Reference, PutMetricAlarm
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
# "Metrics: An array of MetricDataQuery structures that enable you to create
# an alarm based on the result of a metric math expression." ... "If you use
# the Metrics parameter, you cannot include the Namespace, MetricName,
# Dimensions, Period, Unit, Statistic, or ExtendedStatistic parameters of
# PutMetricAlarm in the same operation. Instead, you retrieve the metrics you
# are using in your math expression as part of the Metrics array."
# DescribeAlarms
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
# response elements: "MetricAlarms: The information about any metric alarms
# returned by the operation. Type: Array of MetricAlarm objects", and the
# MetricAlarm data type
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html),
# "The details about a metric alarm", has AlarmDescription,
# AlarmConfigurationUpdatedTimestamp, ActionsEnabled, OKActions, AlarmActions,
# InsufficientDataActions ("The actions to execute when this alarm
# transitions to the INSUFFICIENT_DATA state from any other state"),
# StateReasonData, StateUpdatedTimestamp, Statistic, ExtendedStatistic,
# Dimensions, Period, Unit, TreatMissingData, EvaluateLowSampleCountPercentile,
# "Metrics: An array of MetricDataQuery structures, used in an alarm based on
# a metric math expression", ThresholdMetricId and
# "StateTransitionedTimestamp: The date and time that the alarm's StateValue
# most recently changed."
# ministack's Query branch of PutMetricAlarm drops Metrics, ThresholdMetricId,
# InsufficientDataActions and EvaluateLowSampleCountPercentile (its JSON and
# CBOR branch drops all but InsufficientDataActions), both give a metric-math
# alarm Statistic "Average" and Period 60, and its Query DescribeAlarms
# answers only the name, ARN, state, metric and threshold, unescaped.
# Here the request is read into the JSON shape (a Query request converted),
# the stored alarm is completed from it, and the Query answer is written from
# the stored alarm. ministack's evaluation reads MetricName only, so a
# metric-math alarm is never evaluated: it keeps its state.
# ---------------------------------------------------------------------------
_cw_p = cloudwatch._p


def _cw_dimensions(params, prefix):
    dims, i = [], 1
    while f"{prefix}.member.{i}.Name" in params:
        dims.append({"Name": _cw_p(params, f"{prefix}.member.{i}.Name"),
                     "Value": _cw_p(params, f"{prefix}.member.{i}.Value")})
        i += 1
    return dims


def _cw_strings(params, prefix):
    out, i = [], 1
    while f"{prefix}.member.{i}" in params:
        out.append(_cw_p(params, f"{prefix}.member.{i}"))
        i += 1
    return out


def _cw_query_metrics(params):
    queries, i = [], 1
    while f"Metrics.member.{i}.Id" in params:
        pre = f"Metrics.member.{i}"
        query = {"Id": _cw_p(params, f"{pre}.Id")}
        stat = f"{pre}.MetricStat"
        if any(key.startswith(stat + ".") for key in params):
            metric = {"Dimensions": _cw_dimensions(params, f"{stat}.Metric.Dimensions")}
            for key in ("Namespace", "MetricName"):
                if f"{stat}.Metric.{key}" in params:
                    metric[key] = _cw_p(params, f"{stat}.Metric.{key}")
            query["MetricStat"] = {"Metric": metric}
            if f"{stat}.Period" in params:
                query["MetricStat"]["Period"] = int(_cw_p(params, f"{stat}.Period"))
            for key in ("Stat", "Unit"):
                if f"{stat}.{key}" in params:
                    query["MetricStat"][key] = _cw_p(params, f"{stat}.{key}")
        for key in ("Expression", "Label", "AccountId"):
            if f"{pre}.{key}" in params:
                query[key] = _cw_p(params, f"{pre}.{key}")
        if f"{pre}.ReturnData" in params:
            query["ReturnData"] = _cw_p(params, f"{pre}.ReturnData") == "true"
        if f"{pre}.Period" in params:
            query["Period"] = int(_cw_p(params, f"{pre}.Period"))
        queries.append(query)
        i += 1
    return queries


def _cw_query_alarm_request(params):
    """A Query PutMetricAlarm request in the shape of the JSON one."""
    request = {}
    for key in ("AlarmName", "AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                "Unit", "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile",
                "ThresholdMetricId"):
        if key in params:
            request[key] = _cw_p(params, key)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in params:
            request[key] = int(_cw_p(params, key))
    if "Threshold" in params:
        request["Threshold"] = float(_cw_p(params, "Threshold"))
    if "ActionsEnabled" in params:
        request["ActionsEnabled"] = _cw_p(params, "ActionsEnabled") == "true"
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        if key in params or f"{key}.member.1" in params:
            request[key] = _cw_strings(params, key)
    if "Dimensions" in params or "Dimensions.member.1.Name" in params:
        request["Dimensions"] = _cw_dimensions(params, "Dimensions")
    if "Metrics" in params or "Metrics.member.1.Id" in params:
        request["Metrics"] = _cw_query_metrics(params)
    return request


_put_metric_alarm = cloudwatch._put_metric_alarm


def _put_metric_alarm_whole(params, cbor_data, is_cbor, is_json=False):
    request = cbor_data if is_cbor or is_json else _cw_query_alarm_request(params)
    name = request.get("AlarmName", "")
    before = cloudwatch._alarms.get(name)
    response = _put_metric_alarm(params, cbor_data, is_cbor, is_json)
    alarm = cloudwatch._alarms.get(name)
    if alarm is None or alarm is before:
        return response  # refused: nothing was stored
    if before is not None and "StateTransitionedTimestamp" in before:
        alarm["StateTransitionedTimestamp"] = before["StateTransitionedTimestamp"]
    if "AlarmDescription" not in request:
        alarm.pop("AlarmDescription", None)
    alarm["InsufficientDataActions"] = list(request.get("InsufficientDataActions") or [])
    for key in ("ThresholdMetricId", "EvaluateLowSampleCountPercentile"):
        if request.get(key) is not None:
            alarm[key] = request[key]
    if request.get("Metrics"):
        alarm["Metrics"] = copy.deepcopy(request["Metrics"])
        for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit", "Dimensions"):
            alarm.pop(key, None)
    return response


cloudwatch._put_metric_alarm = _put_metric_alarm_whole

_record_history = cloudwatch._record_history


def _record_history_transitions(alarm_name, old_state, new_state, reason, alarm_type="MetricAlarm", reason_data=None):
    alarm = cloudwatch._alarms.get(alarm_name) if alarm_type == "MetricAlarm" else None
    if alarm is not None and (old_state != new_state or "StateTransitionedTimestamp" not in alarm):
        alarm["StateTransitionedTimestamp"] = alarm.get("StateUpdatedTimestamp") or int(time.time())
    return _record_history(alarm_name, old_state, new_state, reason, alarm_type, reason_data)


cloudwatch._record_history = _record_history_transitions


def _cw_text(value):
    return _escape(str(value))


def _cw_time(value):
    epoch = cloudwatch._parse_ts(value)
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _cw_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return _cw_text(value)


def _cw_element(tag, value):
    return "" if value is None else f"<{tag}>{_cw_value(value)}</{tag}>"


def _cw_members(tag, values):
    if values is None:
        return ""
    return f"<{tag}>" + "".join(f"<member>{_cw_value(v)}</member>" for v in values) + f"</{tag}>"


def _cw_dimensions_xml(dims):
    if dims is None:
        return ""
    return "<Dimensions>" + "".join(
        f"<member>{_cw_element('Name', d.get('Name'))}{_cw_element('Value', d.get('Value'))}</member>" for d in dims
    ) + "</Dimensions>"


def _cw_metric_query_xml(query):
    out = _cw_element("Id", query.get("Id"))
    stat = query.get("MetricStat")
    if stat is not None:
        metric = stat.get("Metric") or {}
        out += (
            "<MetricStat><Metric>"
            + _cw_element("Namespace", metric.get("Namespace"))
            + _cw_element("MetricName", metric.get("MetricName"))
            + _cw_dimensions_xml(metric.get("Dimensions"))
            + "</Metric>"
            + _cw_element("Period", stat.get("Period"))
            + _cw_element("Stat", stat.get("Stat"))
            + _cw_element("Unit", stat.get("Unit"))
            + "</MetricStat>"
        )
    for key in ("Expression", "Label", "ReturnData", "Period", "AccountId"):
        out += _cw_element(key, query.get(key))
    return f"<member>{out}</member>"


def _cw_metric_alarm_xml(a):
    """One MetricAlarm, its members in the data type's order."""
    out = ""
    for key in ("AlarmName", "AlarmArn", "AlarmDescription"):
        out += _cw_element(key, a.get(key))
    out += _cw_element("AlarmConfigurationUpdatedTimestamp", _cw_time(a.get("AlarmConfigurationUpdatedTimestamp")))
    out += _cw_element("ActionsEnabled", a.get("ActionsEnabled"))
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        out += _cw_members(key, a.get(key) or [])
    for key in ("StateValue", "StateReason", "StateReasonData"):
        out += _cw_element(key, a.get(key))
    out += _cw_element("StateUpdatedTimestamp", _cw_time(a.get("StateUpdatedTimestamp")))
    for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic"):
        out += _cw_element(key, a.get(key))
    out += _cw_dimensions_xml(a.get("Dimensions"))
    for key in ("Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
                "TreatMissingData", "EvaluateLowSampleCountPercentile"):
        out += _cw_element(key, a.get(key))
    if a.get("Metrics") is not None:
        out += "<Metrics>" + "".join(_cw_metric_query_xml(q) for q in a["Metrics"]) + "</Metrics>"
    out += _cw_element("ThresholdMetricId", a.get("ThresholdMetricId"))
    out += _cw_element("EvaluationState", a.get("EvaluationState"))
    out += _cw_element("StateTransitionedTimestamp", _cw_time(a.get("StateTransitionedTimestamp")))
    return f"<member>{out}</member>"


def _cw_composite_alarm_xml(a):
    # As ministack writes it (not part of this correction), escaped.
    out = "".join(_cw_element(key, a.get(key, "")) for key in ("AlarmName", "AlarmArn", "AlarmRule", "StateValue",
                                                               "StateReason"))
    return f"<member>{out}</member>"


_describe_alarms = cloudwatch._describe_alarms


def _describe_alarms_whole(params, cbor_data, is_cbor, is_json=False):
    if is_cbor or is_json:
        return _describe_alarms(params, cbor_data, is_cbor, is_json)
    # ministack's own selection and paging (its JSON branch), the Query request converted.
    request = {
        "AlarmNames": [_cw_p(params, f"AlarmNames.member.{i}") for i in range(1, 101)
                       if _cw_p(params, f"AlarmNames.member.{i}")],
        "AlarmNamePrefix": _cw_p(params, "AlarmNamePrefix") or None,
        "StateValue": _cw_p(params, "StateValue") or None,
        "AlarmTypes": [_cw_p(params, f"AlarmTypes.member.{i}") for i in range(1, 11)
                       if _cw_p(params, f"AlarmTypes.member.{i}")] or None,
        "MaxRecords": _cw_p(params, "MaxRecords") or None,
        "NextToken": _cw_p(params, "NextToken") or None,
    }
    status, _headers, body = _describe_alarms(params, request, False, True)
    if status != 200:
        return _describe_alarms(params, cbor_data, is_cbor, is_json)  # its Query error
    page = json.loads(body)
    metric = "".join(_cw_metric_alarm_xml(cloudwatch._alarms[a["AlarmName"]]) for a in page["MetricAlarms"])
    composite = "".join(
        _cw_composite_alarm_xml(cloudwatch._composite_alarms[a["AlarmName"]]) for a in page["CompositeAlarms"]
    )
    token = page.get("NextToken")
    return cloudwatch._xml(
        200,
        "DescribeAlarmsResponse",
        f"<DescribeAlarmsResult><MetricAlarms>{metric}</MetricAlarms>"
        f"<CompositeAlarms>{composite}</CompositeAlarms>"
        f"{_cw_element('NextToken', token)}</DescribeAlarmsResult>",
    )


cloudwatch._describe_alarms = _describe_alarms_whole

# ---------------------------------------------------------------------------
# 6. ListDeadLetterSourceQueues answers which queues use a queue as their
#    dead-letter queue.
#
# Amazon SQS API Reference, ListDeadLetterSourceQueues
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListDeadLetterSourceQueues.html):
# "Returns a list of your queues that have the RedrivePolicy queue attribute
# configured with a dead-letter queue." ministack does not have the action
# (InvalidAction), so nothing could tell a dead-letter queue others use.
# ---------------------------------------------------------------------------


def _list_dead_letter_source_queues(data, qurl):
    queue = sqs._get_q(data.get("QueueUrl", qurl), "sqs:ListDeadLetterSourceQueues")
    arn = queue["attributes"].get("QueueArn", "")
    sources = []
    for url, other in list(sqs._queues.items()):
        try:
            redrive = json.loads(other.get("attributes", {}).get("RedrivePolicy") or "{}")
        except ValueError:
            continue
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") == arn:
            sources.append(url)
    return {"queueUrls": sources}


sqs._HANDLERS["ListDeadLetterSourceQueues"] = _list_dead_letter_source_queues

# The fault layer, in front of every AWS request (see tests/fault_layer.py).
fault_layer.install(app)

if __name__ == "__main__":
    sys.argv = ["ministack"]
    app.main()
