"""One builder per API call a remediation makes, shared by the plan made against an account and the plan made
from the catalog alone (``trailguard export``).

The filter and alarm definitions come from the CIS catalog (:meth:`trailguard.catalog.CisControl.monitor`):
metricValue 1 in namespace CISBenchmark, an alarm on Sum over 300 s >= 1 for one period notifying an SNS topic.
The topic gets an access policy letting CloudWatch alarms of the account publish ("Amazon SNS security best
practices", SNS Developer Guide); trail integration gets the role CloudTrail assumes to write a log group
("Sending events to CloudWatch Logs", CloudTrail User Guide). Builders only describe calls; nothing here talks
to AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from trailguard.catalog import CisControl
from trailguard.model import Subscription
from trailguard.model.common import MetricId
from trailguard.remediate.plan import Action, Resource
from trailguard.remediate.values import Attr, JsonText, Text, Var, text

__all__ = [
    "ORDER",
    "Place",
    "control_logical_id",
    "create_log_group",
    "create_role",
    "create_topic",
    "kept",
    "put_metric_alarm",
    "put_metric_filter",
    "put_role_policy",
    "set_topic_policy",
    "subscribe",
    "topic_policy_document",
    "update_trail",
]

#: Stage of each operation in a plan: the order of application (see :mod:`trailguard.remediate.plan`).
ORDER: Final = {
    "CreateLogGroup": 0,
    "CreateRole": 1,
    "PutRolePolicy": 2,
    "UpdateTrail": 3,
    "CreateTopic": 4,
    "SetTopicAttributes": 5,
    "Subscribe": 6,
    "PutMetricFilter": 7,
    "PutMetricAlarm": 8,
}

INTEGRATE_TRAIL: Final = "--integrate-trail"
_SNS_OWNER_ACTIONS: Final = (
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
)


@dataclass(frozen=True)
class Place:
    """Where resources are made: known values when planning against an account, variables offline."""

    partition: str | Var
    region: str | Var
    account_id: str | Var

    def arn(self, service: str, resource: str | Var | Text, *, regional: bool = True) -> Text | str:
        region: str | Var = self.region if regional else ""
        return text("arn:", self.partition, f":{service}:", region, ":", self.account_id, ":", resource)

    def topic_arn(self, name: str) -> Text | str:
        return self.arn("sns", name)

    def log_group_arn(self, name: str | Var | Attr | Text) -> Text | str:
        return self.arn("logs", text("log-group:", name))

    def role_arn(self, name: str) -> Text | str:
        return self.arn("iam", f"role/{name}", regional=False)


def control_logical_id(control: CisControl, suffix: str = "") -> str:
    """``Cis46`` for 4.6: the prefix of a control's resources' logical ids."""
    return "Cis" + control.id.replace(".", "") + suffix


def kept(
    service: str,
    operation: str,
    region: str,
    parameters: Mapping[str, Any],
    resource: Resource,
    why: str,
    controls: tuple[str, ...],
    note: str | None = None,
) -> Action:
    """An action whose result already exists and works: shown, never made."""
    return Action(service, operation, region, parameters, why, resource, "kept", controls, note=note)


# ---------------------------------------------------------------- SNS


def create_topic(place: Place, name: str, logical_id: str, why: str, controls: tuple[str, ...]) -> tuple[Action, Attr]:
    """CreateTopic without attributes (CreateTopic of an existing name returns the same topic only when the
    attributes match, so the policy is set by its own call), and the topic's ARN as later actions refer to it."""
    arn = Attr(logical_id, "Arn", place.topic_arn(name))
    resource = Resource("topic", logical_id, name, arn)
    return Action("sns", "CreateTopic", place.region, {"Name": name}, why, resource, controls=controls), arn


def topic_policy_document(place: Place, topic: Attr | str | Text) -> dict[str, Any]:
    """An access policy keeping the owner account's rights over the topic (SNS's default statement, by account
    principal) and letting CloudWatch alarms of this account and region publish (``cloudwatch.amazonaws.com``,
    with ``aws:SourceAccount`` and ``aws:SourceArn`` against the confused-deputy problem)."""
    alarms = place.arn("cloudwatch", "alarm:*")
    return {
        "Version": "2012-10-17",
        "Id": "trailguard-cis-alarms",
        "Statement": [
            {
                "Sid": "OwnerAccountManagesTheTopic",
                "Effect": "Allow",
                "Principal": {"AWS": place.arn("iam", "root", regional=False)},
                "Action": list(_SNS_OWNER_ACTIONS),
                "Resource": topic,
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": place.account_id},
                    "ArnLike": {"aws:SourceArn": alarms},
                },
            },
        ],
    }


def set_topic_policy(
    place: Place,
    topic: Attr | str,
    topic_name: str,
    logical_id: str,
    why: str,
    controls: tuple[str, ...],
    *,
    replaces: bool = False,
) -> Action:
    parameters = {
        "TopicArn": topic,
        "AttributeName": "Policy",
        "AttributeValue": JsonText(topic_policy_document(place, topic)),
    }
    resource = Resource("topicPolicy", logical_id, topic_name, topic if isinstance(topic, str) else topic.template)
    return Action(
        "sns", "SetTopicAttributes", place.region, parameters, why, resource, controls=controls, replaces=replaces
    )


def subscribe(
    place: Place,
    topic: Attr | str,
    subscription: Subscription,
    endpoint: Var,
    logical_id: str,
    why: str,
    controls: tuple[str, ...],
) -> Action:
    parameters: dict[str, Any] = {"TopicArn": topic, "Protocol": subscription.protocol, "Endpoint": endpoint}
    if subscription.attributes:
        parameters["Attributes"] = dict(subscription.attributes)
    resource = Resource("subscription", logical_id, text(subscription.protocol, ":", endpoint))
    return Action("sns", "Subscribe", place.region, parameters, why, resource, controls=controls)


# ---------------------------------------------------------------- metric filter and alarm


def put_metric_filter(
    control: CisControl,
    place: Place,
    log_group: str | Var | Attr,
    name: str,
    namespace: str,
    logical_id: str,
    why: str,
    *,
    replaces: bool = False,
) -> Action:
    """The catalog's metric filter for ``control`` under ``name`` (filter and metric), on ``log_group``."""
    request = control.monitor(namespace=namespace).metric_filter.to_api_dict()
    request["logGroupName"] = log_group
    request["filterName"] = name
    request["metricTransformations"][0]["metricName"] = name
    resource = Resource("metricFilter", logical_id, name)
    return Action(
        "logs",
        "PutMetricFilter",
        place.region,
        request,
        why,
        resource,
        controls=(f"cis-{control.id}",),
        replaces=replaces,
    )


def put_metric_alarm(
    control: CisControl,
    place: Place,
    name: str,
    metric: MetricId,
    topic: Attr | str,
    logical_id: str,
    why: str,
    *,
    replaces: bool = False,
) -> Action:
    """The catalog's alarm for ``control`` under ``name``, on ``metric``, notifying ``topic``."""
    request = control.monitor(namespace=metric.namespace).alarm.to_api_dict()
    request.update(AlarmName=name, MetricName=metric.name, Namespace=metric.namespace, AlarmActions=[topic])
    arn = place.arn("cloudwatch", f"alarm:{name}")
    resource = Resource("alarm", logical_id, name, arn)
    return Action(
        "cloudwatch",
        "PutMetricAlarm",
        place.region,
        request,
        why,
        resource,
        controls=(f"cis-{control.id}",),
        replaces=replaces,
    )


# ---------------------------------------------------------------- trail integration


def create_log_group(
    place: Place, name: str | Var, logical_id: str, why: str, controls: tuple[str, ...]
) -> tuple[Action, Attr]:
    """CreateLogGroup, and the log group's name as later actions refer to it (so that a rendering that creates
    the log group makes its filters depend on it)."""
    name_ref = Attr(logical_id, "Name", text(name))
    resource = Resource("logGroup", logical_id, text(name), place.log_group_arn(name))
    action = Action(
        "logs",
        "CreateLogGroup",
        place.region,
        {"logGroupName": name},
        why,
        resource,
        controls=controls,
        requires=INTEGRATE_TRAIL,
    )
    return action, name_ref


def trust_policy() -> dict[str, Any]:
    """The role's trust policy: CloudTrail may assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def delivery_policy(place: Place, log_group: str | Var | Attr) -> dict[str, Any]:
    """What CloudTrail needs on the log group: create its log streams and put events in them."""
    streams = text(place.log_group_arn(log_group), ":log-stream:*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudTrailCreatesLogStreams",
                "Effect": "Allow",
                "Action": "logs:CreateLogStream",
                "Resource": streams,
            },
            {"Sid": "CloudTrailPutsLogEvents", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": streams},
        ],
    }


def create_role(
    place: Place, role_name: str, logical_id: str, why: str, controls: tuple[str, ...]
) -> tuple[Action, Attr]:
    arn = Attr(logical_id, "Arn", place.role_arn(role_name))
    parameters = {
        "RoleName": role_name,
        "AssumeRolePolicyDocument": JsonText(trust_policy()),
        "Description": "Lets CloudTrail deliver a trail's events to its CloudWatch Logs log group (trailguard)",
    }
    resource = Resource("role", logical_id, role_name, arn)
    action = Action(
        "iam", "CreateRole", place.region, parameters, why, resource, controls=controls, requires=INTEGRATE_TRAIL
    )
    return action, arn


#: The role's inline policy name: trailguard's own, so rewriting it overwrites nothing of the user's.
ROLE_POLICY_NAME: Final = "trailguard-cloudtrail-log-delivery"


def put_role_policy(
    place: Place,
    role_name: str,
    log_group: str | Var | Attr,
    logical_id: str,
    why: str,
    controls: tuple[str, ...],
    role_ref: Attr | None = None,
) -> Action:
    parameters = {
        "RoleName": role_name if role_ref is None else Attr(role_ref.resource, "Name", role_name),
        "PolicyName": ROLE_POLICY_NAME,
        "PolicyDocument": JsonText(delivery_policy(place, log_group)),
    }
    resource = Resource("rolePolicy", logical_id, ROLE_POLICY_NAME)
    return Action(
        "iam", "PutRolePolicy", place.region, parameters, why, resource, controls=controls, requires=INTEGRATE_TRAIL
    )


def update_trail(
    place: Place,
    trail_arn: str,
    trail_name: str,
    log_group: str | Var | Attr,
    role: Attr | str,
    why: str,
    controls: tuple[str, ...],
) -> Action:
    parameters = {
        "Name": trail_arn,
        "CloudWatchLogsLogGroupArn": text(place.log_group_arn(log_group), ":*"),
        "CloudWatchLogsRoleArn": role,
    }
    resource = Resource("trail", "Trail", trail_name, trail_arn)
    return Action(
        "cloudtrail",
        "UpdateTrail",
        place.region,
        parameters,
        why,
        resource,
        controls=controls,
        requires=INTEGRATE_TRAIL,
    )
