"""Following an S3 prefix where a trail delivers: new objects are found by listing every poll interval.

CloudTrail writes ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`` ("Finding your CloudTrail
log files", AWS CloudTrail User Guide; organization trails add ``o-<id>/`` after ``AWSLogs/``). The follower finds
those per-region folders (its *roots*) under the prefix it is given, with delimiter listings, once at start and
again every ``rediscover_seconds`` (a new region appears); then each poll lists, per root, only the date folders
from the day before the newest one read (``StartAfter``), so a poll costs a listing of about two days of files
whatever the trail's age. At first start, a root is read from the day before the clock's today.

Objects are read in key order and decoded exactly like local files (``trailguard.sources.s3.read_object``). Each
object's key is recorded when its last events are committed; keys of date folders older than two days before the
newest one read are forgotten, since those folders are no longer listed: an object delivered into a date folder
more than a day after the follower moved past it is missed (CloudTrail delivers within about 15 minutes).

A prefix under which no CloudTrail folder is found is followed as a plain prefix: all of it is listed every poll,
and every key read is remembered.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from trailguard.sources.aws import AwsOptions, aws_error_text
from trailguard.sources.errors import SourceError
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.follow import Batch, Checkpoint, PartReader, Progress
from trailguard.sources.quarantine import Quarantine
from trailguard.sources.s3 import S3_SCHEME, S3Location, S3Object, list_keys, parse_s3_url, read_object

__all__ = ["S3Follower", "cloudtrail_roots"]

_log = logging.getLogger("trailguard.sources.follow_s3")
DAY_MS: Final = 86_400_000
# A trail's per-region folder: anything, then AWSLogs/[o-<org id>/]<12-digit account>/CloudTrail/<region>/.
_ROOT: Final = re.compile(r"(?:.*/)?AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/CloudTrail/[a-z]{2}(?:-[a-z]+)+-\d+/\Z")
# Folders on the way to one (below AWSLogs/, only those that can still lead to a root are entered).
_ON_THE_WAY: Final = re.compile(
    r"(?:.*/)?AWSLogs/(?:(?:o-[a-z0-9]{10,32}/)?(?:\d{12}/(?:CloudTrail/)?)?|o-[a-z0-9]{10,32}/)\Z"
)
_DATE_FOLDER: Final = re.compile(r"(\d{4})/(\d{2})/(\d{2})/")
# Folders above AWSLogs/ (the trail's own S3 key prefix) are entered this deep at most, and this many listings
# are made at most while looking for roots: a bucket full of other things is not walked whole.
_MAX_PREFIX_DEPTH: Final = 3
_MAX_DISCOVERY_LISTINGS: Final = 1000


def cloudtrail_roots(client: Any, location: S3Location) -> list[str]:
    """The per-region CloudTrail folders at or under ``location`` (key prefixes ending in ``/``), sorted."""
    import botocore.exceptions

    if _ROOT.match(location.prefix):
        return [location.prefix]
    roots: list[str] = []
    pending = [(location.prefix, 0)]
    listings = 0
    try:
        while pending and listings < _MAX_DISCOVERY_LISTINGS:
            prefix, depth = pending.pop()
            listings += 1
            for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=prefix, Delimiter="/"
            ):
                for entry in page.get("CommonPrefixes", ()):
                    child: str = entry["Prefix"]
                    if _ROOT.match(child):
                        roots.append(child)
                    elif _ON_THE_WAY.match(child):
                        pending.append((child, depth))
                    elif "AWSLogs/" not in child and depth < _MAX_PREFIX_DEPTH:
                        pending.append((child, depth + 1))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise SourceError(f"{location}: cannot list objects: {aws_error_text(error)}") from None
    return sorted(roots)


def _day_of(key: str, root: str) -> int | None:
    """The epoch ms of the date folder a key is in (None when it is not in one)."""
    match = _DATE_FOLDER.match(key, len(root))
    if match is None:
        return None
    try:
        moment = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def _day_folder(day_ms: int) -> str:
    return datetime.fromtimestamp(day_ms / 1000, UTC).strftime("%Y/%m/%d")


class S3Follower:
    """New objects under an ``s3://`` prefix; see the module docstring."""

    def __init__(
        self,
        source: str,
        quarantine: Quarantine,
        *,
        aws: AwsOptions | None = None,
        stats: SourceStats | None = None,
        poll_seconds: float = 30.0,
        rediscover_seconds: float = 600.0,
    ) -> None:
        self.location = parse_s3_url(source)
        self.key = f"{S3_SCHEME}{self.location.bucket}/{self.location.prefix}"
        self._aws = aws or AwsOptions()
        self._quarantine = quarantine
        self._stats = stats
        self._poll_seconds = poll_seconds
        self._rediscover_seconds = rediscover_seconds
        self._client: Any = None
        self._roots: list[str] | None = None
        self._next_discovery = 0.0
        self._next_poll = 0.0
        self._newest_day: dict[str, int] = {}  # root -> newest date folder read (epoch ms)
        self._done: set[str] = set()
        self._partial: dict[str, int] = {}
        self._ready: list[S3Object] = []
        self._queued: set[str] = set()
        self._reader: PartReader | None = None
        self._reader_day: int = 0

    def start(self, checkpoint: Checkpoint, wake: threading.Event) -> None:
        self._aws.check()
        self._done = set(checkpoint.done)
        self._partial = dict(checkpoint.partial)
        cursor = checkpoint.cursor or {}
        self._newest_day = {str(root): int(day) for root, day in cursor.get("newestDay", {}).items()}

    def close(self) -> None:
        pass

    def poll_due(self, monotonic_now: float) -> bool:
        return monotonic_now >= self._next_poll

    def next_poll(self) -> float:
        return self._next_poll

    def poll(self, now_ms: int) -> None:
        monotonic_now = time.monotonic()
        self._next_poll = monotonic_now + self._poll_seconds
        if self._client is None:
            self._client = self._aws.client("s3")
        if self._roots is None or monotonic_now >= self._next_discovery:
            roots = cloudtrail_roots(self._client, self.location)
            if roots != self._roots:
                shown = ", ".join(f"{S3_SCHEME}{self.location.bucket}/{root}" for root in roots) or "none"
                _log.info("%s: CloudTrail folders followed: %s", self.key, shown)
            self._roots = roots
            self._next_discovery = monotonic_now + self._rediscover_seconds
        found: list[S3Object] = []
        if self._roots:
            today = now_ms - now_ms % DAY_MS
            for root in self._roots:
                newest = self._newest_day.get(root, today)
                start_after = root + _day_folder(min(newest, today) - DAY_MS)
                found += list_keys(self._client, S3Location(self.location.bucket, root), start_after=start_after)
        else:
            found = list_keys(self._client, self.location)
        for item in found:
            if item.skip:
                if self._stats is not None:
                    self._stats.files_skipped += 1
                continue
            if item.key in self._done or item.key in self._queued:
                continue
            self._queued.add(item.key)
            self._ready.append(item)
        self._ready.sort(key=lambda item: item.key)

    def _root_of(self, key: str) -> str | None:
        for root in self._roots or ():
            if key.startswith(root):
                return root
        return None

    def next_batch(self, now_ms: int) -> Batch | None:
        reader = self._reader
        if reader is None:
            if not self._ready:
                return None
            item = self._ready.pop(0)
            self._queued.discard(item.key)
            root = self._root_of(item.key)
            self._reader_day = (_day_of(item.key, root) if root is not None else None) or 0
            events: Iterator[SourceEvent] = read_object(
                self._client, self.location.bucket, item.key, self._quarantine, stats=self._stats
            )
            reader = self._reader = PartReader(item.key, events, self._partial.get(item.key, 0))
        events_read = reader.next_part()
        label = f"{S3_SCHEME}{self.location.bucket}/{reader.item}"
        if not reader.finished:
            self._partial[reader.item] = reader.read
            return Batch(self.key, events_read, Progress(partial=(reader.item, reader.read)), label)
        self._reader = None
        self._partial.pop(reader.item, None)
        self._done.add(reader.item)
        root = self._root_of(reader.item)
        if root is None or not self._reader_day:
            return Batch(self.key, events_read, Progress(done=((reader.item, now_ms),)), label)
        forget = None
        if self._reader_day > self._newest_day.get(root, 0):
            self._newest_day[root] = self._reader_day
            # Listings start the day before each root's newest day: keys two days older than the oldest of those
            # are never listed again.
            forget = min(self._newest_day.values()) - 2 * DAY_MS
            self._done = {key for key in self._done if (self._day_of_done(key) or forget) >= forget}
        progress = Progress(
            done=((reader.item, self._reader_day),),
            cursor={"newestDay": dict(self._newest_day)},
            forget_before_ms=forget,
        )
        return Batch(self.key, events_read, progress, label)

    def _day_of_done(self, key: str) -> int | None:
        root = self._root_of(key)
        return None if root is None else _day_of(key, root)

    @property
    def backlog(self) -> int:
        return len(self._ready) + (self._reader is not None)
