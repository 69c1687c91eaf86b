"""AWS access shared by the audit, remediation and the AWS sources: sessions and clients
(:mod:`~trailguard.aws.session`), errors (:mod:`~trailguard.aws.errors`), the read-only inventory of an
account (:mod:`~trailguard.aws.inventory`) into a JSON-serialisable snapshot (:mod:`~trailguard.aws.snapshot`),
the IAM actions it needs (:mod:`~trailguard.aws.permissions`) and a recorder of the calls made
(:mod:`~trailguard.aws.recorder`).

The names below are loaded on first use (PEP 562): importing the package, or its boto3-free modules such as
:mod:`~trailguard.aws.snapshot`, does not import boto3, which costs a noticeable part of a second.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trailguard.aws.errors import AwsError, AwsErrorKind
    from trailguard.aws.inventory import collect_inventory
    from trailguard.aws.permissions import INVENTORY_ACTIONS, ReadAction, minimal_iam_policy
    from trailguard.aws.recorder import CallRecorder, RecordedCall
    from trailguard.aws.regions import RegionList, enabled_regions
    from trailguard.aws.session import SERVICES, AwsOptions, AwsSession, CallerIdentity
    from trailguard.aws.snapshot import (
        NOT_ATTEMPTED,
        AlarmRegionRecord,
        CallError,
        LogGroupRecord,
        LogGroupRef,
        RegionListing,
        Snapshot,
        SnapshotError,
        TopicRecord,
        TrailRecord,
        load_snapshot,
        parse_log_group_arn,
        save_snapshot,
    )

_LAZY = {
    "AlarmRegionRecord": "trailguard.aws.snapshot",
    "AwsError": "trailguard.aws.errors",
    "AwsErrorKind": "trailguard.aws.errors",
    "AwsOptions": "trailguard.aws.session",
    "AwsSession": "trailguard.aws.session",
    "CallError": "trailguard.aws.snapshot",
    "CallRecorder": "trailguard.aws.recorder",
    "CallerIdentity": "trailguard.aws.session",
    "INVENTORY_ACTIONS": "trailguard.aws.permissions",
    "LogGroupRecord": "trailguard.aws.snapshot",
    "LogGroupRef": "trailguard.aws.snapshot",
    "NOT_ATTEMPTED": "trailguard.aws.snapshot",
    "ReadAction": "trailguard.aws.permissions",
    "RecordedCall": "trailguard.aws.recorder",
    "RegionList": "trailguard.aws.regions",
    "RegionListing": "trailguard.aws.snapshot",
    "SERVICES": "trailguard.aws.session",
    "Snapshot": "trailguard.aws.snapshot",
    "SnapshotError": "trailguard.aws.snapshot",
    "TopicRecord": "trailguard.aws.snapshot",
    "TrailRecord": "trailguard.aws.snapshot",
    "collect_inventory": "trailguard.aws.inventory",
    "enabled_regions": "trailguard.aws.regions",
    "load_snapshot": "trailguard.aws.snapshot",
    "minimal_iam_policy": "trailguard.aws.permissions",
    "parse_log_group_arn": "trailguard.aws.snapshot",
    "save_snapshot": "trailguard.aws.snapshot",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trailguard.aws' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "INVENTORY_ACTIONS",
    "NOT_ATTEMPTED",
    "SERVICES",
    "AlarmRegionRecord",
    "AwsError",
    "AwsErrorKind",
    "AwsOptions",
    "AwsSession",
    "CallError",
    "CallRecorder",
    "CallerIdentity",
    "LogGroupRecord",
    "LogGroupRef",
    "ReadAction",
    "RecordedCall",
    "RegionList",
    "RegionListing",
    "Snapshot",
    "SnapshotError",
    "TopicRecord",
    "TrailRecord",
    "collect_inventory",
    "enabled_regions",
    "load_snapshot",
    "minimal_iam_policy",
    "parse_log_group_arn",
    "save_snapshot",
]
