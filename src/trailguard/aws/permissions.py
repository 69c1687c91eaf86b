"""Every AWS call trailguard may make, in two tables, and the IAM policies built from them.

Reads: every call :mod:`trailguard.aws.inventory` and :mod:`trailguard.aws.regions` make goes through
:meth:`trailguard.aws.session.AwsSession.read` with one of the :class:`ReadAction` constants below, and
``read`` refuses anything that is not a ``Describe*``, ``Get*`` or ``List*`` operation. So this table is
the complete list of what the inventory can ask AWS, and :func:`minimal_iam_policy` grants exactly it.

Writes: remediation (:mod:`trailguard.remediate.apply`, the only code that changes an account) calls
:meth:`~trailguard.aws.session.AwsSession.write` with one of the :class:`WriteAction` constants, and ``write``
refuses any other; :func:`remediation_iam_policy` grants the reads and writes ``trailguard remediate --apply``
needs.

IAM action names are ``<service prefix>:<operation>`` (Service Authorization Reference, "Actions, resources,
and condition keys for AWS services"); for the services here the prefix is the boto3 client name
(CloudWatch's is ``cloudwatch`` although its endpoint is ``monitoring``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CREATE_LOG_GROUP",
    "CREATE_ROLE",
    "CREATE_TOPIC",
    "DESCRIBE_ALARMS",
    "DESCRIBE_LOG_GROUPS",
    "DESCRIBE_METRIC_FILTERS",
    "DESCRIBE_REGIONS",
    "DESCRIBE_TRAILS",
    "GET_CALLER_IDENTITY",
    "GET_EVENT_SELECTORS",
    "GET_ROLE",
    "GET_TOPIC_ATTRIBUTES",
    "GET_TRAIL_STATUS",
    "INVENTORY_ACTIONS",
    "LIST_SUBSCRIPTIONS_BY_TOPIC",
    "PUT_METRIC_ALARM",
    "PUT_METRIC_FILTER",
    "PUT_ROLE_POLICY",
    "READ_ONLY_OPERATION",
    "REMEDIATION_READ_ACTIONS",
    "REMEDIATION_WRITE_ACTIONS",
    "SET_TOPIC_ATTRIBUTES",
    "SUBSCRIBE",
    "TRAIL_INTEGRATION_ACTIONS",
    "UPDATE_TRAIL",
    "ReadAction",
    "WriteAction",
    "minimal_iam_policy",
    "remediation_iam_policy",
]

#: Operation names that only read: the naming rule AWS follows for its read-only APIs.
READ_ONLY_OPERATION: Final = re.compile(r"(Describe|Get|List)[A-Z]\w*\Z")


@dataclass(frozen=True, slots=True)
class ReadAction:
    """One read-only API operation.

    ``service`` is the boto3 client name (``"cloudtrail"``), ``operation`` the API operation as AWS and
    botocore spell it (``"DescribeTrails"``), ``purpose`` why the inventory calls it (for the README).
    """

    service: str
    operation: str
    purpose: str

    def __post_init__(self) -> None:
        if not READ_ONLY_OPERATION.match(self.operation):
            raise ValueError(f"{self.service}:{self.operation} is not a read-only (Describe/Get/List) operation")

    @property
    def iam_action(self) -> str:
        """``cloudtrail:DescribeTrails``: the action an IAM policy must allow."""
        return f"{self.service}:{self.operation}"


GET_CALLER_IDENTITY: Final = ReadAction(
    "sts", "GetCallerIdentity", "the audited account id and partition (needs no permission, allowed always)"
)
DESCRIBE_REGIONS: Final = ReadAction("ec2", "DescribeRegions", "the account's enabled regions (--all-regions only)")
DESCRIBE_TRAILS: Final = ReadAction("cloudtrail", "DescribeTrails", "trails of each audited region, shadow trails too")
GET_TRAIL_STATUS: Final = ReadAction("cloudtrail", "GetTrailStatus", "whether each trail is logging")
GET_EVENT_SELECTORS: Final = ReadAction(
    "cloudtrail", "GetEventSelectors", "which events each trail records (basic and advanced selectors)"
)
DESCRIBE_LOG_GROUPS: Final = ReadAction("logs", "DescribeLogGroups", "whether a trail's log group exists")
DESCRIBE_METRIC_FILTERS: Final = ReadAction(
    "logs", "DescribeMetricFilters", "the metric filters on a trail's log group"
)
DESCRIBE_ALARMS: Final = ReadAction(
    "cloudwatch", "DescribeAlarms", "metric and composite alarms in each region holding a trail's log group"
)
GET_TOPIC_ATTRIBUTES: Final = ReadAction(
    "sns", "GetTopicAttributes", "each alarm topic's policy, encryption key and owner"
)
LIST_SUBSCRIPTIONS_BY_TOPIC: Final = ReadAction(
    "sns", "ListSubscriptionsByTopic", "each alarm topic's subscriptions and whether they are confirmed"
)

#: Every call the inventory can make, in the order it makes them.
INVENTORY_ACTIONS: Final = (
    GET_CALLER_IDENTITY,
    DESCRIBE_REGIONS,
    DESCRIBE_TRAILS,
    GET_TRAIL_STATUS,
    GET_EVENT_SELECTORS,
    DESCRIBE_LOG_GROUPS,
    DESCRIBE_METRIC_FILTERS,
    DESCRIBE_ALARMS,
    GET_TOPIC_ATTRIBUTES,
    LIST_SUBSCRIPTIONS_BY_TOPIC,
)


#: Read by remediation beyond the inventory: whether the role trail integration would create exists already.
GET_ROLE: Final = ReadAction("iam", "GetRole", "whether the role CloudTrail needs to deliver to a log group exists")

#: What remediation reads: the inventory's calls again (to plan, and to audit the result), and GetRole.
REMEDIATION_READ_ACTIONS: Final = (*INVENTORY_ACTIONS, GET_ROLE)


@dataclass(frozen=True, slots=True)
class WriteAction:
    """One API operation that changes an account; only remediation's apply step may call it.

    ``passes_role`` names the IAM action the caller also needs because the call hands a role to a service
    (``iam:PassRole`` for UpdateTrail's CloudWatchLogsRoleArn: "Granting a user permissions to pass a role to
    an AWS service", IAM User Guide).
    """

    service: str
    operation: str
    purpose: str
    passes_role: bool = False

    def __post_init__(self) -> None:
        if READ_ONLY_OPERATION.match(self.operation):
            raise ValueError(f"{self.service}:{self.operation} only reads; it belongs in the ReadAction table")

    @property
    def iam_action(self) -> str:
        return f"{self.service}:{self.operation}"


PUT_METRIC_FILTER: Final = WriteAction(
    "logs", "PutMetricFilter", "the control's metric filter on the trail's log group"
)
PUT_METRIC_ALARM: Final = WriteAction("cloudwatch", "PutMetricAlarm", "the alarm on the filter's metric")
CREATE_TOPIC: Final = WriteAction("sns", "CreateTopic", "the SNS topic the alarms notify")
SET_TOPIC_ATTRIBUTES: Final = WriteAction(
    "sns", "SetTopicAttributes", "the topic's access policy, which lets CloudWatch publish"
)
SUBSCRIBE: Final = WriteAction("sns", "Subscribe", "the --notify endpoints' subscriptions to the topic")
CREATE_LOG_GROUP: Final = WriteAction("logs", "CreateLogGroup", "the log group a trail delivers to (--integrate-trail)")
CREATE_ROLE: Final = WriteAction("iam", "CreateRole", "the role CloudTrail assumes to deliver (--integrate-trail)")
PUT_ROLE_POLICY: Final = WriteAction(
    "iam", "PutRolePolicy", "the role's permission to write the trail's log streams (--integrate-trail)"
)
UPDATE_TRAIL: Final = WriteAction(
    "cloudtrail", "UpdateTrail", "the trail's delivery to the log group (--integrate-trail)", passes_role=True
)

#: Every call remediation can make to change an account, in the order a plan makes them.
REMEDIATION_WRITE_ACTIONS: Final = (
    CREATE_LOG_GROUP,
    CREATE_ROLE,
    PUT_ROLE_POLICY,
    UPDATE_TRAIL,
    CREATE_TOPIC,
    SET_TOPIC_ATTRIBUTES,
    SUBSCRIBE,
    PUT_METRIC_FILTER,
    PUT_METRIC_ALARM,
)
#: The writes only ``--integrate-trail`` allows.
TRAIL_INTEGRATION_ACTIONS: Final = (CREATE_LOG_GROUP, CREATE_ROLE, PUT_ROLE_POLICY, UPDATE_TRAIL)


def remediation_iam_policy(*, integrate_trail: bool = True) -> dict[str, Any]:
    """The identity-based IAM policy ``trailguard remediate --apply`` needs: the inventory's reads (to plan and
    to audit the result), GetRole, and the writes; without ``integrate_trail``, the trail-integration writes
    are left out.

    ``Resource`` is ``*`` for the same reason as :func:`minimal_iam_policy`, and because the names are chosen
    by the plan (an existing topic may be reused). ``iam:PassRole`` is limited to passing roles to CloudTrail
    (condition key ``iam:PassedToService``).
    """
    writes = [a for a in REMEDIATION_WRITE_ACTIONS if integrate_trail or a not in TRAIL_INTEGRATION_ACTIONS]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "TrailguardRemediationRead",
            "Effect": "Allow",
            "Action": sorted({action.iam_action for action in REMEDIATION_READ_ACTIONS}),
            "Resource": "*",
        },
        {
            "Sid": "TrailguardRemediationWrite",
            "Effect": "Allow",
            "Action": sorted({action.iam_action for action in writes}),
            "Resource": "*",
        },
    ]
    if any(action.passes_role for action in writes):
        statements.append(
            {
                "Sid": "TrailguardPassRoleToCloudTrail",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def minimal_iam_policy() -> dict[str, Any]:
    """The identity-based IAM policy document that allows exactly the inventory's calls.

    ``Resource`` is ``*``: DescribeTrails, DescribeAlarms, DescribeRegions and GetCallerIdentity support no
    resource-level permissions, and the others name resources (trails, log groups, topics) the inventory
    only learns while it runs. With ``--assume-role``, the calling identity also needs ``sts:AssumeRole``
    on those roles; this policy belongs on the role that is finally assumed.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrailguardInventoryReadOnly",
                "Effect": "Allow",
                "Action": sorted({action.iam_action for action in INVENTORY_ACTIONS}),
                "Resource": "*",
            }
        ],
    }
