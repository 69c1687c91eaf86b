"""The CloudTrail records behind a replay's alarms, for the ``trailguard`` context block of ``replay --notify``.

While a replay reads its events, :class:`ReplayEvidence` runs the metric filters whose metric some alarm watches
(its own compiled copies, so the replay's counters and results are untouched) and folds every matching record into
a :class:`~trailguard.notify.context.ContextBuilder` for its (metric series, minute). After the replay, the context
of a transition is the merge of the minutes inside the periods that decided it: for a change to ALARM the
breaching datapoints among those evaluated, for other changes every evaluated datapoint.

:class:`MinuteEvidence` holds those per-minute builders and merges them into a transition's context; the live
runner uses it too, with the builders kept in its state file.

Bounded: each minute's builder keeps at most ``tracked_values`` distinct values per field, and at most
``max_minutes`` minutes are kept per replay (the engine itself keeps one aggregate per series and minute); events
of minutes beyond that bound are counted in :attr:`ReplayEvidence.unsummarised` and left out of the contexts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from trailguard.engine.aggregates import MINUTE_MS, SeriesKey, normalize_dimensions
from trailguard.engine.alarms import Transition
from trailguard.engine.decision import StateValue
from trailguard.engine.metrics import CompiledMetricFilter, MetricFilterSet, compile_filter
from trailguard.engine.replay import Replay
from trailguard.model import Alarm, MetricFilter
from trailguard.notify.context import DEFAULT_MAX_VALUES, ContextBuilder, NotificationContext
from trailguard.pattern import LogEvent

__all__ = ["EvidenceReplay", "MinuteEvidence", "ReplayEvidence"]

DEFAULT_MAX_MINUTES: Final = 200_000
DEFAULT_TRACKED_VALUES: Final = 20
_log = logging.getLogger("trailguard.notify.evidence")


class MinuteEvidence:
    """Context builders per (metric series, minute): the records that made each datapoint, merged on demand
    into the context of a transition. Shared by replays (:class:`ReplayEvidence`) and the live runner, which
    keeps the builders in its state file."""

    def __init__(self, *, max_minutes: int = DEFAULT_MAX_MINUTES, tracked_values: int = DEFAULT_TRACKED_VALUES) -> None:
        self._minutes: dict[SeriesKey, dict[int, ContextBuilder]] = {}
        self._minute_count = 0
        self.max_minutes = max_minutes
        self.tracked_values = tracked_values
        self.unsummarised = 0

    def add(
        self, series: SeriesKey, minute_ms: int, record: dict[str, Any], timestamp_ms: int
    ) -> ContextBuilder | None:
        """Fold one record into its (series, minute); returns that minute's builder (None: over ``max_minutes``)."""
        minutes = self._minutes.setdefault(series, {})
        builder = minutes.get(minute_ms)
        if builder is None:
            if self._minute_count >= self.max_minutes:
                if self.unsummarised == 0:
                    _log.warning(
                        "context summaries reached %d minutes; later minutes are not summarised", self.max_minutes
                    )
                self.unsummarised += 1
                return None
            builder = minutes[minute_ms] = ContextBuilder(self.tracked_values)
            self._minute_count += 1
        builder.add(record, timestamp_ms)
        return builder

    def builder(self, series: SeriesKey, minute_ms: int) -> ContextBuilder | None:
        """The builder of one (series, minute), if any record landed there."""
        return self._minutes.get(series, {}).get(minute_ms)

    def put(self, series: SeriesKey, minute_ms: int, builder: ContextBuilder) -> None:
        """Set the builder of one (series, minute), as read back from a state file."""
        minutes = self._minutes.setdefault(series, {})
        if minute_ms not in minutes:
            self._minute_count += 1
        minutes[minute_ms] = builder

    def forget_before(self, minute_ms: int) -> None:
        """Drop every minute before ``minute_ms`` (no evaluation to come can read it)."""
        for minutes in self._minutes.values():
            old = [m for m in minutes if m < minute_ms]
            for m in old:
                del minutes[m]
            self._minute_count -= len(old)

    def context_for(
        self, alarm: Alarm, transition: Transition, *, max_values: int = DEFAULT_MAX_VALUES
    ) -> NotificationContext | None:
        """The context of one of ``alarm``'s transitions; None for a transition no evaluation made
        (SetAlarmState)."""
        evaluation = transition.evaluation
        if evaluation is None:
            return None
        points = evaluation.decision.evaluated
        if transition.new_state is StateValue.ALARM:
            points = tuple(p for p in points if p.breaching)
        period_ms = alarm.period * 1000
        dimensions = normalize_dimensions(alarm.dimension_pairs)
        merged = ContextBuilder(self.tracked_values)
        for series, minutes in self._minutes.items():
            if (series.namespace, series.name, series.dimensions) != (alarm.namespace, alarm.metric_name, dimensions):
                continue
            if alarm.unit is not None and series.unit != alarm.unit:
                continue
            for point in points:
                # A bucket starts on a minute for periods of a minute or more; shorter ones hold part of a minute.
                start = point.timestamp_ms - point.timestamp_ms % MINUTE_MS
                for minute_ms in range(start, point.timestamp_ms + period_ms, MINUTE_MS):
                    builder = minutes.get(minute_ms)
                    if builder is not None:
                        merged.merge(builder)
        return merged.build(max_values)


class ReplayEvidence:
    """Per (series, minute) summaries of the records that matched a watched metric filter."""

    def __init__(
        self,
        filters: Sequence[MetricFilter],
        alarms: Sequence[Alarm],
        *,
        region: str,
        account_id: str,
        max_minutes: int = DEFAULT_MAX_MINUTES,
        tracked_values: int = DEFAULT_TRACKED_VALUES,
    ) -> None:
        watched = {(a.namespace, a.metric_name) for a in alarms}
        compiled: list[CompiledMetricFilter] = []
        for definition in filters:
            transformation = definition.metric_transformation
            if (transformation.metric_namespace, transformation.metric_name) in watched:
                compiled.append(compile_filter(definition, account_id=account_id, region=region))
        self._filters = MetricFilterSet(compiled)
        self.minutes = MinuteEvidence(max_minutes=max_minutes, tracked_values=tracked_values)

    @property
    def unsummarised(self) -> int:
        return self.minutes.unsummarised

    def observe(self, event: LogEvent, timestamp_ms: int, log_group: str) -> None:
        """One event of ``log_group`` (call it for every event the replay reads)."""
        landed: list[tuple[SeriesKey, int]] = []

        def matched(series: Any, minute_ms: int, value: float) -> None:
            landed.append((series, minute_ms))

        self._filters.publish(event, timestamp_ms, log_group, _ignore, matched)
        if not landed:
            return
        record = event.json
        if not isinstance(record, dict):
            record = {}
        for series, minute_ms in landed:
            self.minutes.add(series, minute_ms, record, timestamp_ms)

    def context_for(
        self, alarm: Alarm, transition: Transition, *, max_values: int = DEFAULT_MAX_VALUES
    ) -> NotificationContext | None:
        """The context of one of ``alarm``'s transitions; None for a transition no evaluation made
        (SetAlarmState)."""
        return self.minutes.context_for(alarm, transition, max_values=max_values)


def _ignore(series: Any, minute_ms: int, value: float) -> None:
    """The sink of a non-matching event's default value: not evidence of anything."""


class EvidenceReplay(Replay):
    """A :class:`~trailguard.engine.replay.Replay` that also shows every event to a :class:`ReplayEvidence`.
    The replay's own results are exactly those of a plain Replay."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence = ReplayEvidence(
            [f.definition for f in self.filters], self.alarms, region=self.region, account_id=self.account_id
        )

    def add(self, event: LogEvent, timestamp_ms: int, log_group: str) -> None:
        super().add(event, timestamp_ms, log_group)
        if (self.start_ms is None or timestamp_ms >= self.start_ms) and (
            self.end_ms is None or timestamp_ms < self.end_ms
        ):
            self.evidence.observe(event, timestamp_ms, log_group)
