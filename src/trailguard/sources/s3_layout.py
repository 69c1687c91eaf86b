"""Listing a large CloudTrail archive in S3 quickly: the prefixes of CloudTrail's key layout, listed in parallel.

CloudTrail delivers to ``AWSLogs/[<organization id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`` ("Finding
your CloudTrail log files", AWS CloudTrail User Guide). One ``ListObjectsV2`` pagination over an organisation's
archive returns 1,000 keys per call, one call after the other: millions of files take hours. Listed with the
delimiter ``/``, each level names the prefixes below it (accounts, regions, years, months, days), and the
prefixes of a level are listed concurrently; below ``max_depth`` levels a prefix is listed in full.

The result is exactly ``list_objects``'s: every object under the prefix, folder markers left out, digests and
hidden names marked to skip, sorted by key.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from typing import Any, Final

from trailguard.sources.aws import aws_error_text
from trailguard.sources.decode import is_skipped_name
from trailguard.sources.errors import SourceError
from trailguard.sources.s3 import S3Location, S3Object

__all__ = ["DEFAULT_LISTING_THREADS", "list_objects_by_prefix"]

DEFAULT_LISTING_THREADS: Final = 16
# AWSLogs/, organization, account, CloudTrail/, region, year, month, day: deeper than any CloudTrail layout.
_DEFAULT_DEPTH: Final = 8


def list_objects_by_prefix(
    client: Any, location: S3Location, *, threads: int = DEFAULT_LISTING_THREADS, max_depth: int = _DEFAULT_DEPTH
) -> list[S3Object]:
    """Every object under ``location``, listed a level of ``/`` prefixes at a time with ``threads`` concurrent
    listings (botocore clients may be shared between threads). Raises ``SourceError`` as ``list_objects`` does."""
    import botocore.exceptions

    objects: list[S3Object] = []
    prefixes = [location.prefix]
    depth = 0
    try:
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            while prefixes:
                delimiter = "/" if depth < max_depth else None
                levels = pool.map(_list_level, repeat(client), repeat(location.bucket), prefixes, repeat(delimiter))
                prefixes = []
                for found, below in levels:
                    objects.extend(found)
                    prefixes.extend(below)
                depth += 1
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise SourceError(f"{location}: cannot list objects: {aws_error_text(error)}") from None
    if not objects:
        raise SourceError(f"{location}: no objects under this prefix")
    objects.sort(key=lambda item: item.key)
    return objects


def _list_level(client: Any, bucket: str, prefix: str, delimiter: str | None) -> tuple[list[S3Object], list[str]]:
    """The objects directly under ``prefix`` and the prefixes one level down (everything, without a delimiter)."""
    options = {"Bucket": bucket, "Prefix": prefix}
    if delimiter is not None:
        options["Delimiter"] = delimiter
    found: list[S3Object] = []
    below: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(**options):
        for entry in page.get("Contents", ()):
            key: str = entry["Key"]
            if key.endswith("/"):
                continue  # a console-made "folder": no content
            found.append(S3Object(key, entry["Size"], is_skipped_name(key.rsplit("/", 1)[-1])))
        below.extend(common["Prefix"] for common in page.get("CommonPrefixes", ()))
    return found, below
