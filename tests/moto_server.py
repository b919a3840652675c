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

moto 5.2.5's SetAlarmState changes an alarm's state and runs none of its
actions. CloudWatch runs them: "Temporarily sets the state of an alarm for
testing purposes. When the updated state differs from the previous value,
the action configured for the appropriate state is invoked. For example, if
your alarm is configured to send an Amazon SNS message when an alarm is
triggered, temporarily changing the alarm state to ALARM sends an SNS
message" (Amazon CloudWatch API Reference, SetAlarmState); "the actions
happen only on state transitions, and are not performed again if the
condition persists" (Amazon CloudWatch User Guide, "Alarm actions"); and
ActionsEnabled "Indicates whether actions should be executed during any
changes to the alarm state" (API Reference, MetricAlarm). The fifth patch
publishes, on a real state change of an alarm whose actions are enabled, to
each SNS topic in AlarmActions (ALARM), OKActions (OK) or
InsufficientDataActions (INSUFFICIENT_DATA), through moto's SNS in the
topic's own account and region. Subject and message are those of
CloudWatch's alarm notifications (`ALARM: "name" in US East (N. Virginia)`;
a JSON body with AlarmName, AlarmDescription, AWSAccountId,
AlarmConfigurationUpdatedTimestamp, NewStateValue, NewStateReason,
StateChangeTime, Region, AlarmArn, OldStateValue, the three action lists and
a Trigger with MetricName, Namespace, StatisticType, Statistic, Unit,
Dimensions [{"value", "name"}], Period, EvaluationPeriods,
ComparisonOperator, Threshold, TreatMissingData and
EvaluateLowSampleCountPercentile; a metric-math alarm's Trigger has Metrics
in place of the single metric). No AWS document we found lists this body's
fields; they follow the notifications CloudWatch sends. A failed publish (topic gone)
does not fail SetAlarmState: CloudWatch records a failed action in the
alarm's history, and the call succeeds.

moto 5.2.5's CloudFormation has no AWS::CloudWatch::Alarm: it warns that the
type is "not supported" and skips the resource, so a stack succeeds without
its alarms. The sixth patch adds the model (AWS CloudFormation Template
Reference, "AWS::CloudWatch::Alarm"): create, update and delete go through
moto's own PutMetricAlarm and DeleteAlarms, with AlarmName generated when
absent, as CloudFormation does; Metrics (MetricDataQuery) and Tags are kept;
Ref gives the alarm name and Fn::GetAtt Arn its ARN (the page's "Return
values"). "When you update an existing alarm, its state is left unchanged,
but the update completely overwrites the previous configuration of the
alarm" (same page): an update keeps the alarm's state and tags removed from
the template leave the alarm. moto registers CloudFormation models as the
subclasses of CloudFormationModel, read on first use, so defining the class
here, before the server starts, is enough.

moto 5.2.5's DeleteAlarms drops the alarm and keeps its tags, so an alarm
made again under the name carries the deleted one's tags. In CloudWatch the
tags are the alarm's: a deleted alarm is gone with them (ListTagsForResource
answers ResourceNotFound, "The named resource does not exist"), and a new
alarm has only the tags PutMetricAlarm gives it ("Tags: A list of key-value
pairs to associate with the alarm", CloudWatch API Reference,
PutMetricAlarm). A tool that proves ownership by tag would take another
team's alarm for its own. The seventh patch drops the tags with the alarm.

moto 5.2.5's CloudFormation makes an AWS::SNS::Topic with its Tags set as a
plain attribute of the topic, not as its tags (ListTagsForResource answers
none), and has neither AWS::SNS::TopicPolicy nor AWS::SNS::Subscription: it
skips them as "not supported". CloudFormation tags the topic with Tags ("The
list of tags to add to a new topic"), sets each topic's access policy from
a TopicPolicy's PolicyDocument and puts the default policy back when the
TopicPolicy goes, and subscribes Endpoint to TopicArn with Protocol for a
Subscription, its RawMessageDelivery, FilterPolicy and FilterPolicyScope
set as the subscription's attributes (AWS CloudFormation Template
Reference, "AWS::SNS::Topic", "AWS::SNS::TopicPolicy",
"AWS::SNS::Subscription"). The eighth patch does so through moto's own
SNS backend: the topic's tags, and the two models.

moto 5.2.5's SetQueueAttributes resets the queue's access policy whenever
the call leaves Policy out: setting VisibilityTimeout, or removing a
redrive policy, takes the queue's policy off with it. SQS changes only the
attributes given: SetQueueAttributes "Sets the value of one or more queue
attributes" (Amazon SQS API Reference, SetQueueAttributes), and Policy is
one of them, set only when the call names it. The ninth patch keeps the
policy of a call that does not name it; an empty Policy still takes it off.

moto 5.2.5's DeleteUser refuses a user with policies but deletes one that
still has a console password or access keys. IAM does not: "Unlike the AWS
Management Console, when you delete a user programmatically, you must delete
the items attached to the user manually, or the deletion fails", the items
including the password (DeleteLoginProfile) and access keys
(DeleteAccessKey), the error DeleteConflict (IAM API Reference,
DeleteUser). A tool that forgot them would pass against moto and fail on
AWS. The tenth patch refuses such a user with DeleteConflict.
"""

import sys

import itertools
import json
import threading
import time
from typing import Any

from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.core.common_models import CloudFormationModel

from moto.sns.models import Topic, sns_backends
from moto.s3 import notifications
from moto.s3.responses import S3Response
from moto.server import main
from moto.iam.exceptions import DeleteConflictException
from moto.iam.models import IAMBackend
from moto.sqs.models import Queue, SQSBackend

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

_set_queue_attributes = Queue._set_attributes


def set_queue_attributes(self, attributes, now=None):
    # A queue being made has no policy yet; a call without Policy keeps its own.
    if "Policy" not in attributes and hasattr(self, "_policy_json"):
        attributes = {**attributes, "Policy": self.policy or ""}
    _set_queue_attributes(self, attributes, now)


Queue._set_attributes = set_queue_attributes

_delete_user = IAMBackend.delete_user


def delete_user(self, user_name):
    user = self.get_user(user_name)
    if user.password:
        raise DeleteConflictException("Cannot delete entity, must delete login profile first.")
    if user.access_keys:
        raise DeleteConflictException("Cannot delete entity, must delete access keys first.")
    _delete_user(self, user_name)


IAMBackend.delete_user = delete_user

# CloudWatch names a region by its long name in notifications.
_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}


def _timestamp(when):
    # CloudWatch's form: 2015-06-03T17:43:27.123+0000
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _dimensions(dimensions):
    return [{"value": d.value, "name": d.name} for d in dimensions or []]


def _trigger(alarm):
    trigger = {}
    if alarm.metric_data_queries:
        metrics = []
        for query in alarm.metric_data_queries:
            item = {"Id": query.id}
            if query.expression is not None:
                item["Expression"] = query.expression
            if query.label is not None:
                item["Label"] = query.label
            if query.metric_stat is not None:
                stat = query.metric_stat
                item["MetricStat"] = {
                    "Metric": {
                        "Dimensions": _dimensions(stat.metric.dimensions),
                        "MetricName": stat.metric.metric_name,
                        "Namespace": stat.metric.namespace,
                    },
                    "Period": _integer(stat.period),
                    "Stat": stat.stat,
                }
                if stat.unit is not None:
                    item["MetricStat"]["Unit"] = stat.unit
            if query.period is not None:
                item["Period"] = _integer(query.period)
            return_data = query.return_data
            if isinstance(return_data, str):
                return_data = return_data.lower() == "true"
            item["ReturnData"] = True if return_data is None else return_data
            metrics.append(item)
        trigger["Metrics"] = metrics
    else:
        extended = alarm.extended_statistic
        trigger.update(
            {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "StatisticType": "ExtendedStatistic" if extended else "Statistic",
                "Statistic": extended if extended else (alarm.statistic or "").upper(),
                "Unit": alarm.unit,
                "Dimensions": _dimensions(alarm.dimensions),
                "Period": _integer(alarm.period),
            }
        )
    trigger.update(
        {
            "EvaluationPeriods": _integer(alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": _number(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile
            or "",
        }
    )
    return trigger


def _notify(backend, alarm, old_state):
    from moto.sns.models import sns_backends

    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }[alarm.state_value] or []
    region = _REGION_NAMES.get(backend.region_name, backend.region_name)
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'
    message = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _timestamp(
            alarm.configuration_updated_timestamp
        ),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _timestamp(alarm.state_updated_timestamp),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": _trigger(alarm),
    }
    body = json.dumps(message)
    for arn in actions:
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns":
            continue
        try:
            sns_backends[parts[4]][parts[3]].publish(body, arn=arn, subject=subject[:100])
        except Exception:
            # CloudWatch records a failed action in the alarm's history;
            # SetAlarmState itself succeeds.
            pass


_set_alarm_state = CloudWatchBackend.set_alarm_state


def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
    alarm = self.alarms.get(alarm_name)
    old_state = alarm.state_value if alarm is not None else None
    _set_alarm_state(self, alarm_name, reason, reason_data, state_value)
    alarm = self.alarms[alarm_name]
    if old_state == state_value or not alarm.actions_enabled:
        return
    _notify(self, alarm, old_state)


CloudWatchBackend.set_alarm_state = set_alarm_state


def _bool(value, default):
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _metric_data_queries(metrics):
    if not metrics:
        return None
    queries = []
    for metric in metrics:
        metric_stat = None
        stat = metric.get("MetricStat")
        if stat:
            inner = stat.get("Metric", {})
            metric_stat = MetricStat(
                metric=Metric(
                    metric_name=inner.get("MetricName"),
                    namespace=inner.get("Namespace"),
                    dimensions=[
                        Dimension(name=d.get("Name"), value=d.get("Value"))
                        for d in inner.get("Dimensions", [])
                    ],
                ),
                period=_integer(stat.get("Period")),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        return_data = metric.get("ReturnData")
        queries.append(
            MetricDataQuery(
                query_id=metric.get("Id"),
                label=metric.get("Label"),
                period=_integer(metric.get("Period")),
                return_data=None if return_data is None else _bool(return_data, True),
                expression=metric.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class CloudFormationAlarm(Alarm, CloudFormationModel):
    """A moto Alarm made by CloudFormation: the backend's own alarm, with the
    CloudFormation hooks (its class is switched after PutMetricAlarm)."""

    # moto's model metaclass files every model under its service's name,
    # which it reads from the module path.
    __module__ = "moto.cloudwatch.models"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ["Arn"]

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.alarm_arn
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def _put(cls, name, properties, account_id, region_name):
        backend = cloudwatch_backends[account_id][region_name]
        alarm = backend.put_metric_alarm(
            name=name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            metric_data_queries=_metric_data_queries(properties.get("Metrics")),
            comparison_operator=properties.get("ComparisonOperator"),
            evaluation_periods=_integer(properties.get("EvaluationPeriods")),
            datapoints_to_alarm=_integer(properties.get("DatapointsToAlarm")),
            period=_integer(properties.get("Period")),
            threshold=_number(properties.get("Threshold")),
            statistic=properties.get("Statistic"),
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription"),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            insufficient_data_actions=properties.get("InsufficientDataActions", []),
            unit=properties.get("Unit"),
            actions_enabled=_bool(properties.get("ActionsEnabled"), True),
            treat_missing_data=properties.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=properties.get(
                "EvaluateLowSampleCountPercentile"
            ),
            threshold_metric_id=properties.get("ThresholdMetricId"),
            tags=properties.get("Tags") or None,
        )
        alarm.__class__ = cls
        return alarm

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("AlarmName") or resource_name
        return cls._put(name, properties, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        properties = cloudformation_json.get("Properties", {})
        # A generated name stays the alarm's name; a new AlarmName replaces it.
        name = properties.get("AlarmName") or original_resource.name
        if name != original_resource.name:
            cls.delete_from_cloudformation_json(
                original_resource.name, cloudformation_json, account_id, region_name
            )
            return cls._put(name, properties, account_id, region_name)
        backend = cloudwatch_backends[account_id][region_name]
        old = backend.alarms.get(name)
        old_tags = backend.tagger.get_tag_dict_for_resource(original_resource.alarm_arn)
        alarm = cls._put(name, properties, account_id, region_name)
        if old is not None:
            for attr in (
                "state_value",
                "state_reason",
                "state_reason_data",
                "state_updated_timestamp",
                "history",
            ):
                setattr(alarm, attr, getattr(old, attr))
        new_keys = {tag["Key"] for tag in properties.get("Tags") or []}
        gone = [key for key in old_tags if key not in new_keys]
        if gone:
            backend.tagger.untag_resource_using_names(alarm.alarm_arn, gone)
        return alarm

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        backend = cloudwatch_backends[account_id][region_name]
        alarm = backend.alarms.get(resource_name)
        if alarm is not None:
            backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
        backend.delete_alarms([resource_name])


# moto's serializer shortens attribute names by the class name (AlarmName is
# read from `name` of a class named Alarm), so the subclass keeps that name.
CloudFormationAlarm.__name__ = CloudFormationAlarm.__qualname__ = "Alarm"

_delete_alarms = CloudWatchBackend.delete_alarms


def delete_alarms(self, alarm_names):
    for name in alarm_names:
        alarm = self.alarms.get(name)
        if alarm is not None:
            self.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
    return _delete_alarms(self, alarm_names)


CloudWatchBackend.delete_alarms = delete_alarms


_create_topic_from_cloudformation = Topic.create_from_cloudformation_json.__func__


def create_topic_from_cloudformation(cls, resource_name, cloudformation_json, *args, **kwargs):
    topic = _create_topic_from_cloudformation(
        cls, resource_name, cloudformation_json, *args, **kwargs
    )
    tags = cloudformation_json.get("Properties", {}).get("Tags") or []
    topic._tags = {tag["Key"]: tag["Value"] for tag in tags}
    if hasattr(topic, "tags"):
        del topic.tags
    return topic


Topic.create_from_cloudformation_json = classmethod(create_topic_from_cloudformation)


class _Replaced:
    """An SNS resource CloudFormation makes with no name of its own,
    replaced (deleted, then made again) on an update. A mixin: moto reads
    its CloudFormation models as the direct subclasses of
    CloudFormationModel."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )


class CloudFormationTopicPolicy(_Replaced, CloudFormationModel):
    """The access policy of one or more topics, made by CloudFormation."""

    # Filed by moto under the service its module path names.
    __module__ = "moto.sns.models"

    def __init__(self, topics, account_id, region_name):
        self.topics = topics
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @property
    def physical_resource_id(self) -> str:
        return ",".join(self.topics)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        backend = sns_backends[account_id][region_name]
        topics = list(properties.get("Topics", []))
        for arn in topics:
            backend.get_topic(arn).policy = json.dumps(properties.get("PolicyDocument", {}))
        return cls(topics, account_id, region_name)

    def delete(self, account_id, region_name):
        backend = sns_backends[account_id][region_name]
        for arn in self.topics:
            topic = backend.topics.get(arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(
                    region_name, account_id, topic.name
                )


class CloudFormationSubscription(_Replaced, CloudFormationModel):
    """A topic's subscription, made by CloudFormation."""

    # Filed by moto under the service its module path names.
    __module__ = "moto.sns.models"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(
            properties["TopicArn"], properties["Endpoint"], properties["Protocol"]
        )
        for name in ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery"):
            value = properties.get(name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif not isinstance(value, str):
                value = json.dumps(value)
            backend.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    def delete(self, account_id, region_name):
        backend = sns_backends[account_id][region_name]
        if self.arn in backend.subscriptions:
            backend.unsubscribe(self.arn)


if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    main()
