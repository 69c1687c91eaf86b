"""Which regions an account can be audited in (``--all-regions``).

The account's enabled regions come from ``ec2:DescribeRegions`` (default regions plus the opt-in regions
the account enabled; "Specify which AWS Regions your account can use", AWS Account Management Reference
Guide). When that call is denied or fails, botocore's static endpoint list for the account's partition
stands in, with a note saying so: it may name opt-in regions the account has not enabled, whose calls then
fail with the credential error such regions answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from trailguard.aws.errors import AwsError
from trailguard.aws.permissions import DESCRIBE_REGIONS
from trailguard.aws.session import AwsSession

__all__ = ["RegionList", "enabled_regions"]


@dataclass(frozen=True, slots=True)
class RegionList:
    """Regions to audit and where the list came from.

    ``source`` is ``"describe-regions"`` or ``"static-list"``; ``note`` explains a fallback (else ``None``).
    """

    regions: tuple[str, ...]
    source: str
    note: str | None = None


def enabled_regions(session: AwsSession, partition: str = "aws") -> RegionList:
    """The regions enabled for the session's account, sorted; falls back to botocore's list for ``partition``.

    Credential and endpoint problems still raise :class:`AwsError`: they would fail every region anyway.
    """
    try:
        response = session.read(DESCRIBE_REGIONS, AllRegions=False)
    except AwsError as error:
        if error.fatal:
            raise
        static = tuple(sorted(boto3.Session().get_available_regions("cloudtrail", partition_name=partition)))
        if not static:
            raise AwsError(
                f"cannot list regions: {error.message}; and botocore knows no regions for partition {partition!r}",
                kind="region",
            ) from None
        note = (
            f"region list from botocore's static endpoints for partition {partition!r} because "
            f"ec2:DescribeRegions failed ({error.code}); it may include opt-in regions this account has not enabled"
        )
        return RegionList(static, "static-list", note)
    names = sorted(
        str(region["RegionName"])
        for region in response.get("Regions", [])
        if region.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    )
    return RegionList(tuple(names), "describe-regions")
