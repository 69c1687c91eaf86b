"""AWS access shared by the audit, remediation and the AWS sources: sessions and clients
(:mod:`~trailguard.aws.session`), errors (:mod:`~trailguard.aws.errors`), the read-only inventory of an
account (:mod:`~trailguard.aws.inventory`) into a JSON-serialisable snapshot (:mod:`~trailguard.aws.snapshot`),
the IAM actions it needs (:mod:`~trailguard.aws.permissions`) and a recorder of the calls made
(:mod:`~trailguard.aws.recorder`).

Importing this package imports boto3; command-line code should import it only when a command needs AWS.
"""

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
