"""Replay: run metric filters and alarms over archived events, in event time.

Two phases, so that input order does not matter (CloudTrail files overlap in time, and records inside
a file are not sorted):

1. ``add(event, timestamp_ms, log_group)`` for every event: each metric filter of that log group (and only
   those: a metric filter belongs to one log group) publishes into per-minute mergeable aggregates (a
   ``MetricStore``). Replays of separate inputs can be merged exactly with
   ``merge`` (or ``merge_part``, from a ``ReplayPart`` sent back by another process or machine).
   ``add_unmatched`` takes events the caller has proven to match no pattern (a prefilter did), in bulk.
2. ``finish()`` creates every alarm at the start of the replay window and evaluates it every minute
   of event time until the window ends — by default until every alarm has settled after the last
   event — collecting transitions, history and the notifications CloudWatch would publish.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from trailguard.engine.aggregates import MINUTE_MS, MetricStore
from trailguard.engine.alarms import AlarmEvaluator, evaluation_range
from trailguard.engine.metrics import CompiledMetricFilter, FilterCounters, MetricFilterSet, compile_filter
from trailguard.model import Alarm, MetricFilter
from trailguard.pattern import LogEvent

__all__ = ["AlarmOutcome", "Replay", "ReplayPart", "ReplayResult"]


@dataclass(frozen=True, slots=True)
class AlarmOutcome:
    """One alarm after a replay: its evaluator holds state, transitions, history and notifications."""

    alarm: Alarm
    evaluator: AlarmEvaluator


@dataclass(slots=True)
class ReplayResult:
    alarms: list[AlarmOutcome]
    store: MetricStore
    filters: list[CompiledMetricFilter]
    start_ms: int | None  # alarms were created here (None: no event in the window)
    end_ms: int | None  # and evaluated up to here
    first_event_ms: int | None
    last_event_ms: int | None
    events: int
    outside_window: int
    events_by_log_group: dict[str, int]


@dataclass(slots=True)
class _Window:
    first_ms: int | None = None
    last_ms: int | None = None
    events: int = 0
    outside: int = 0
    by_log_group: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class ReplayPart:
    """What a replay of some of the events holds, to be merged into another replay of the same filters
    (``Replay.merge_part``): picklable, unlike the compiled filters themselves."""

    store: MetricStore
    counters: tuple[FilterCounters, ...]
    window: _Window


class Replay:
    """Metric filters and alarms over a stream of events with their event times and log groups."""

    def __init__(
        self,
        filters: Sequence[MetricFilter],
        alarms: Sequence[Alarm],
        *,
        region: str,
        account_id: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> None:
        self.filters = [compile_filter(f, account_id=account_id, region=region) for f in filters]
        self.alarms = list(alarms)
        self.region = region
        self.account_id = account_id
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.store = MetricStore()
        self._filter_set = MetricFilterSet(self.filters)
        self._window = _Window()

    @property
    def log_groups(self) -> tuple[str, ...]:
        """The log groups the filters belong to, in the order their first filter was given."""
        return self._filter_set.log_groups

    def add(self, event: LogEvent, timestamp_ms: int, log_group: str) -> None:
        """Publish one event of ``log_group``. Events outside [start, end) are counted and ignored."""
        if not self._admit(timestamp_ms, log_group):
            return
        # An event of a log group without filters still counts as seen.
        self._filter_set.publish(event, timestamp_ms, log_group, self.store.publish)

    def add_unmatched(self, timestamps: Sequence[int], log_group: str) -> None:
        """Publish events of ``log_group`` that match none of its filters' patterns, given by their event times
        in input order: exactly what ``add`` does with each of them, without testing the patterns."""
        with_default = self._filter_set.with_default(log_group)
        if not with_default and self.start_ms is None and self.end_ms is None and timestamps:
            window = self._window
            window.events += len(timestamps)
            window.by_log_group[log_group] += len(timestamps)
            first, last = min(timestamps), max(timestamps)
            if window.first_ms is None or first < window.first_ms:
                window.first_ms = first
            if window.last_ms is None or last > window.last_ms:
                window.last_ms = last
            return
        publish = self.store.publish
        for timestamp_ms in timestamps:
            if self._admit(timestamp_ms, log_group):
                for compiled in with_default:
                    compiled.publish(_NO_EVENT, timestamp_ms, publish, False)

    def _admit(self, timestamp_ms: int, log_group: str) -> bool:
        """Count one event; False when it lies outside the window (it is then only counted as such)."""
        window = self._window
        if (self.start_ms is not None and timestamp_ms < self.start_ms) or (
            self.end_ms is not None and timestamp_ms >= self.end_ms
        ):
            window.outside += 1
            return False
        window.events += 1
        window.by_log_group[log_group] += 1
        if window.first_ms is None or timestamp_ms < window.first_ms:
            window.first_ms = timestamp_ms
        if window.last_ms is None or timestamp_ms > window.last_ms:
            window.last_ms = timestamp_ms
        return True

    def merge(self, other: Replay) -> None:
        """Fold another replay of other events (same filters) into this one, exactly."""
        self.merge_part(other.part())

    def part(self) -> ReplayPart:
        """What this replay holds so far, for ``merge_part`` elsewhere (shared, not copied)."""
        return ReplayPart(self.store, tuple(f.counters for f in self.filters), self._window)

    def merge_part(self, part: ReplayPart) -> None:
        """Fold a replay of other events (same filters) into this one, exactly."""
        self.store.merge(part.store)
        mine, theirs = self._window, part.window
        for ms in (theirs.first_ms, theirs.last_ms):
            if ms is not None:
                mine.first_ms = ms if mine.first_ms is None else min(mine.first_ms, ms)
                mine.last_ms = ms if mine.last_ms is None else max(mine.last_ms, ms)
        mine.events += theirs.events
        mine.outside += theirs.outside
        mine.by_log_group.update(theirs.by_log_group)
        for compiled, counters in zip(self.filters, part.counters, strict=True):
            compiled.counters.merge(counters)

    def settle_ms(self) -> int:
        """How long after the last event an alarm can still change state without new data."""
        longest = 0
        for alarm in self.alarms:
            longest = max(longest, (evaluation_range(alarm.evaluation_periods) + 1) * alarm.period * 1000)
        return longest + 2 * MINUTE_MS

    def finish(self) -> ReplayResult:
        window = self._window
        start = self.start_ms if self.start_ms is not None else _minute_floor(window.first_ms)
        end = self.end_ms
        if end is None and window.last_ms is not None:
            end = window.last_ms - window.last_ms % MINUTE_MS + MINUTE_MS + self.settle_ms()
        elif end is None and start is not None:
            end = start + self.settle_ms()  # --from without events: alarms still start and settle
        outcomes: list[AlarmOutcome] = []
        if start is not None and end is not None:
            for alarm in self.alarms:
                evaluator = AlarmEvaluator(
                    alarm, self.store, region=self.region, account_id=self.account_id, created_ms=start
                )
                evaluator.advance(end)
                outcomes.append(AlarmOutcome(alarm, evaluator))
        return ReplayResult(
            alarms=outcomes,
            store=self.store,
            filters=self.filters,
            start_ms=start,
            end_ms=end,
            first_event_ms=window.first_ms,
            last_event_ms=window.last_ms,
            events=window.events,
            outside_window=window.outside,
            events_by_log_group=dict(window.by_log_group),
        )


# Filters publishing a default for an event that did not match read nothing of it.
_NO_EVENT = LogEvent("")


def _minute_floor(ms: int | None) -> int | None:
    return None if ms is None else ms - ms % MINUTE_MS
