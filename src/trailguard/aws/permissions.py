"""The read-only AWS calls the inventory may make: one table, and the IAM policy built from it.

Every call :mod:`trailguard.aws.inventory` and :mod:`trailguard.aws.regions` make goes through
:meth:`trailguard.aws.session.AwsSession.read` with one of the :class:`ReadAction` constants below, and
``read`` refuses anything that is not a ``Describe*``, ``Get*`` or ``List*`` operation. So this table is
the complete list of what the inventory can ask AWS, and :func:`minimal_iam_policy` grants exactly it.

IAM action names are ``<service prefix>:<operation>`` (Service Authorization Reference, "Actions, resources,
and condition keys for AWS services"); for the services here the prefix is the boto3 client name
(CloudWatch's is ``cloudwatch`` although its endpoint is ``monitoring``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DESCRIBE_ALARMS",
    "DESCRIBE_LOG_GROUPS",
    "DESCRIBE_METRIC_FILTERS",
    "DESCRIBE_REGIONS",
    "DESCRIBE_TRAILS",
    "GET_CALLER_IDENTITY",
    "GET_EVENT_SELECTORS",
    "GET_TOPIC_ATTRIBUTES",
    "GET_TRAIL_STATUS",
    "INVENTORY_ACTIONS",
    "LIST_SUBSCRIPTIONS_BY_TOPIC",
    "READ_ONLY_OPERATION",
    "ReadAction",
    "minimal_iam_policy",
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
