"""Replay: run metric filters and alarms over archived events, in event time.

Two phases, so that input order does not matter (CloudTrail files overlap in time, and records inside
a file are not sorted):

1. ``add(event, timestamp_ms)`` for every event: each metric filter publishes into per-minute
   mergeable aggregates (a ``MetricStore``). Replays of separate inputs can be merged exactly with
   ``merge``, so the work can later be split across processes and machines.
2. ``finish()`` creates every alarm at the start of the replay window and evaluates it every minute
   of event time until the window ends — by default until every alarm has settled after the last
   event — collecting transitions, history and the notifications CloudWatch would publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trailguard.engine.aggregates import MINUTE_MS, MetricStore
from trailguard.engine.alarms import AlarmEvaluator, MetricAlarmDefinition, evaluation_range
from trailguard.engine.metrics import MetricFilterRule
from trailguard.pattern import LogEvent, PatternSet

__all__ = ["AlarmOutcome", "Replay", "ReplayResult"]


@dataclass(frozen=True, slots=True)
class AlarmOutcome:
    """One alarm after a replay: its evaluator holds state, transitions, history and notifications."""

    definition: MetricAlarmDefinition
    evaluator: AlarmEvaluator


@dataclass(slots=True)
class ReplayResult:
    alarms: list[AlarmOutcome]
    store: MetricStore
    filters: list[MetricFilterRule]
    start_ms: int | None  # alarms were created here (None: no event in the window)
    end_ms: int | None  # and evaluated up to here
    first_event_ms: int | None
    last_event_ms: int | None
    events: int
    outside_window: int


@dataclass(slots=True)
class _Window:
    first_ms: int | None = None
    last_ms: int | None = None
    events: int = 0
    outside: int = 0


class Replay:
    """Metric filters and alarms over a stream of events with their event times."""

    def __init__(
        self,
        filters: Sequence[MetricFilterRule],
        alarms: Sequence[MetricAlarmDefinition],
        *,
        region: str,
        account_id: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> None:
        self.filters = list(filters)
        self.alarms = list(alarms)
        self.region = region
        self.account_id = account_id
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.store = MetricStore()
        self._patterns = PatternSet([f.pattern for f in self.filters])
        self._with_default = tuple(i for i, f in enumerate(self.filters) if f.default_value is not None)
        self._window = _Window()

    def add(self, event: LogEvent, timestamp_ms: int) -> None:
        """Publish one event's datapoints. Events outside [start, end) are counted and ignored."""
        window = self._window
        if (self.start_ms is not None and timestamp_ms < self.start_ms) or (
            self.end_ms is not None and timestamp_ms >= self.end_ms
        ):
            window.outside += 1
            return
        window.events += 1
        if window.first_ms is None or timestamp_ms < window.first_ms:
            window.first_ms = timestamp_ms
        if window.last_ms is None or timestamp_ms > window.last_ms:
            window.last_ms = timestamp_ms
        hits = self._patterns.matches(event)
        publish = self.store.publish
        filters = self.filters
        # Only matches and defaults publish anything: other filters need not see the event at all.
        for position in hits:
            filters[position].publish(event, timestamp_ms, publish, True)
        for position in self._with_default:
            if position not in hits:
                filters[position].publish(event, timestamp_ms, publish, False)

    def merge(self, other: Replay) -> None:
        """Fold another replay of other events (same filters) into this one, exactly."""
        self.store.merge(other.store)
        mine, theirs = self._window, other._window
        for ms in (theirs.first_ms, theirs.last_ms):
            if ms is not None:
                mine.first_ms = ms if mine.first_ms is None else min(mine.first_ms, ms)
                mine.last_ms = ms if mine.last_ms is None else max(mine.last_ms, ms)
        mine.events += theirs.events
        mine.outside += theirs.outside
        for rule, other_rule in zip(self.filters, other.filters, strict=True):
            for name, value in other_rule.counters.as_dict().items():
                setattr(rule.counters, name, getattr(rule.counters, name) + value)

    def settle_ms(self) -> int:
        """How long after the last event an alarm can still change state without new data."""
        longest = 0
        for alarm in self.alarms:
            period_ms = alarm.Period * 1000
            longest = max(longest, (evaluation_range(alarm.EvaluationPeriods) + 1) * period_ms)
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
            for definition in self.alarms:
                evaluator = AlarmEvaluator(
                    definition, self.store, region=self.region, account_id=self.account_id, created_ms=start
                )
                evaluator.advance(end)
                outcomes.append(AlarmOutcome(definition, evaluator))
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
        )


def _minute_floor(ms: int | None) -> int | None:
    return None if ms is None else ms - ms % MINUTE_MS
