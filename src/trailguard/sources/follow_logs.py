"""Following a CloudWatch Logs log group (where a trail delivers) with FilterLogEvents, every poll interval.

Each poll is one FilterLogEvents search from ``LOOKBACK_MS`` before the newest log-event timestamp read so far
(at first start: before the clock's now, or from the URL's ``start``), page after page. A log event becomes
visible to searches some time after its timestamp (ingestion takes seconds, and a writer may send events
stamped in the past), so searches overlap by the look-back; the ids of the events read within it are remembered
(``eventId``, unique within the group), so an event is counted once however many searches return it. Each page
is one batch: its new events and their ids are committed together; the newest timestamp moves only when a
search has been read to its last page, so a search cut short by a crash is searched again from the same point.

What is missed: a log event that becomes visible more than ``LOOKBACK_MS`` after the newest timestamp already
read when it is searched for. CloudTrail stamps the events it sends to CloudWatch Logs at delivery, so its
events are visible within seconds of their timestamps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Final

from trailguard.sources.aws import AwsOptions
from trailguard.sources.cwlogs import LOGS_SCHEME, convert_log_event, filter_log_pages, parse_logs_url
from trailguard.sources.errors import SourceError
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.follow import Batch, Checkpoint, Progress
from trailguard.sources.quarantine import Quarantine

__all__ = ["LOOKBACK_MS", "LogsFollower"]

#: How far back each search starts before the newest log-event timestamp read.
LOOKBACK_MS: Final = 10 * 60_000


class LogsFollower:
    """New log events of a ``logs://GROUP[?stream=PREFIX&start=TIME]`` source; see the module docstring."""

    def __init__(
        self,
        source: str,
        quarantine: Quarantine,
        *,
        aws: AwsOptions | None = None,
        stats: SourceStats | None = None,
        poll_seconds: float = 30.0,
        page_size: int | None = None,
    ) -> None:
        location = parse_logs_url(source)
        if location.end_ms is not None:
            raise SourceError(f"{source}: a followed log group has no end; leave out end=")
        self.location = location
        self.key = f"{LOGS_SCHEME}{location.group}" + (
            f"?stream={location.stream_prefix}" if location.stream_prefix else ""
        )
        self._aws = aws or AwsOptions()
        self._quarantine = quarantine
        self._stats = stats
        self._poll_seconds = poll_seconds
        self._page_size = page_size
        self._client: Any = None
        self._newest_ms: int | None = None
        self._seen: dict[str, int] = {}  # event id -> timestamp, within the look-back
        self._positions: dict[str, int] = {}
        self._pages: Iterator[list[dict[str, Any]]] | None = None
        self._search_newest: int | None = None
        self._next_poll = 0.0

    def start(self, checkpoint: Checkpoint, wake: threading.Event) -> None:
        self._aws.check()
        self._seen = dict(checkpoint.done)
        cursor = checkpoint.cursor or {}
        newest = cursor.get("newestMs")
        self._newest_ms = None if newest is None else int(newest)

    def close(self) -> None:
        pass

    def poll_due(self, monotonic_now: float) -> bool:
        return self._pages is None and monotonic_now >= self._next_poll

    def next_poll(self) -> float:
        return self._next_poll

    def poll(self, now_ms: int) -> None:
        if self._pages is not None:
            return  # a search is still being read
        self._next_poll = time.monotonic() + self._poll_seconds
        if self._client is None:
            self._client = self._aws.client("logs")
        if self._newest_ms is not None:
            start = self._newest_ms - LOOKBACK_MS
        elif self.location.start_ms is not None:
            start = self.location.start_ms
        else:
            start = now_ms - LOOKBACK_MS
        self._search_newest = self._newest_ms
        self._pages = filter_log_pages(self._client, replace(self.location, start_ms=max(0, start)), self._page_size)

    def next_batch(self, now_ms: int) -> Batch | None:
        if self._pages is None:
            return None
        page = next(self._pages, None)
        if page is None:  # the search is read to its end: the newest timestamp moves, older ids are forgotten
            self._pages = None
            if self._search_newest is None or self._search_newest == self._newest_ms:
                return None
            self._newest_ms = self._search_newest
            horizon = self._search_newest - LOOKBACK_MS
            self._seen = {event_id: at for event_id, at in self._seen.items() if at >= horizon}
            progress = Progress(cursor={"newestMs": self._search_newest}, forget_before_ms=horizon)
            return Batch(self.key, [], progress, f"{self.key}: search read to its end")
        events: list[SourceEvent] = []
        done: list[tuple[str, int]] = []
        for log_event in page:
            event_id = str(log_event.get("eventId", ""))
            timestamp = int(log_event.get("timestamp", 0))
            if event_id in self._seen:
                continue
            self._seen[event_id] = timestamp
            done.append((event_id, timestamp))
            if self._search_newest is None or timestamp > self._search_newest:
                self._search_newest = timestamp
            event = convert_log_event(log_event, self.location, self._quarantine, self._positions, stats=self._stats)
            if event is not None:
                events.append(event)
        return Batch(self.key, events, Progress(done=tuple(done)), f"{self.key}: page of {len(page)} log events")

    @property
    def backlog(self) -> int:
        return int(self._pages is not None)
