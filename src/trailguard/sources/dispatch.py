"""One entry point for every kind of source string: local paths, ``-``, ``s3://`` and ``logs://``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Final

from trailguard.sources.aws import AwsOptions
from trailguard.sources.cwlogs import LOGS_SCHEME, parse_logs_url, read_logs
from trailguard.sources.errors import SourceError
from trailguard.sources.events import InputTotals, SourceEvent, SourceStats
from trailguard.sources.files import check_path, measure_paths, read_paths
from trailguard.sources.quarantine import Quarantine
from trailguard.sources.s3 import S3_SCHEME, measure_s3, parse_s3_url, read_s3

__all__ = ["measure_sources", "read_sources"]

# "name://" where name looks like a URL scheme; Windows drive paths (C:\...) have no "//".
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

_Reader = Callable[[], Iterator[SourceEvent]]


def read_sources(
    sources: Sequence[str],
    quarantine: Quarantine,
    *,
    aws: AwsOptions | None = None,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
) -> Iterator[SourceEvent]:
    """Events from each source in turn.

    A source is a file or folder path, ``-`` (standard input), ``s3://BUCKET[/PREFIX]``
    (see ``trailguard.sources.s3``) or ``logs://LOG_GROUP[?stream=…&start=…&end=…]`` (see
    ``trailguard.sources.cwlogs``). Every source string is checked before anything is read (a missing
    path, the quarantine file itself, a malformed URL, an unknown scheme or an unusable endpoint URL raises
    ``SourceError`` at once); AWS is first called when iteration reaches that source, and a bucket or log
    group that cannot be read raises ``SourceError`` then. ``aws`` (region, profile, endpoint) applies to
    every AWS source.
    """
    aws = aws or AwsOptions()
    readers = [_reader(source, quarantine, aws, require_event_time, stats) for source in sources]
    return _chain(readers)


def _chain(readers: list[_Reader]) -> Iterator[SourceEvent]:
    for reader in readers:
        yield from reader()


def _reader(
    source: str, quarantine: Quarantine, aws: AwsOptions, require_event_time: bool, stats: SourceStats | None
) -> _Reader:
    kind = _kind(source)
    if kind == "s3":
        parse_s3_url(source)
        aws.check()
        return lambda: read_s3(source, quarantine, aws=aws, require_event_time=require_event_time, stats=stats)
    if kind == "logs":
        parse_logs_url(source)
        aws.check()
        return lambda: read_logs(source, quarantine, aws=aws, require_event_time=require_event_time, stats=stats)
    check_path(source, quarantine)
    return lambda: read_paths([source], quarantine, require_event_time=require_event_time, stats=stats)


def measure_sources(sources: Sequence[str], *, aws: AwsOptions | None = None) -> InputTotals:
    """Files (S3 objects) and stored bytes the sources hold, for a progress bar's totals.

    Local paths cost one ``stat`` per file and S3 prefixes one listing; standard input and CloudWatch
    Logs cannot be sized, so their presence makes the totals ``complete=False``.
    """
    aws = aws or AwsOptions()
    files = size = skipped = 0
    complete = True
    for source in sources:
        kind = _kind(source)
        if kind == "logs":
            parse_logs_url(source)
            complete = False
            continue
        totals = measure_s3(source, aws) if kind == "s3" else measure_paths([source])
        files += totals.files
        size += totals.bytes
        skipped += totals.skipped
        complete = complete and totals.complete
    return InputTotals(files=files, bytes=size, skipped=skipped, complete=complete)


def _kind(source: str) -> str:
    if source.startswith(S3_SCHEME):
        return "s3"
    if source.startswith(LOGS_SCHEME):
        return "logs"
    scheme = _SCHEME.match(source)
    if scheme:
        raise SourceError(
            f"{source}: unsupported source {scheme.group(1)}:// "
            "(expected a file or folder path, -, s3://BUCKET/PREFIX or logs://LOG_GROUP)"
        )
    return "path"
