"""The monitor inside ``trailguard run``: metric filters, datapoints, the records behind them, and alarm evaluators,
kept in step with the state file.

Events are published exactly as a replay publishes them (``MetricFilterSet``: a filter sees only its log group's
events, each datapoint lands in the minute of its ``eventTime``), and alarms are the replay's ``AlarmEvaluator``,
driven by wall-clock time instead of event time. Two kinds of transaction keep the file and memory in step:

- :meth:`LiveMonitor.ingest`: a batch's events are published into a scratch store first; the buckets and context
  summaries they change (merged with what was there), the filter counters and the source's progress are
  committed together, and only then merged into memory. A failed commit changes nothing.
- :meth:`LiveMonitor.evaluate`: every alarm runs its evaluations due by now (``advance``); their new state and
  history, and the notifications of their transitions (routed to subscriptions, with their context block), are
  committed in one transaction with the outbox.

Late events: a datapoint of minute m is read by the evaluations whose range covers m, those at times t with
floor_minute(t) - R x Period <= m < floor_minute(t) (R: the evaluation range, ``evaluation_range``). An
evaluation reads only what has been committed when it runs, and evaluations that have run are never run again (as
in CloudWatch): a late datapoint influences the evaluations still to come whose range covers its minute, that is
those before the end of its minute plus R x Period. Events that can no longer influence any alarm are still
stored (they count in the metric sums) and counted as ``late``. Events stamped more than two hours ahead of the
clock are set aside: CloudWatch Logs refuses log events more than 2 hours in the future ("PutLogEvents",
CloudWatch Logs API Reference).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from trailguard.engine.aggregates import MINUTE_MS, Aggregate, MetricStore, SeriesKey
from trailguard.engine.alarms import AlarmEvaluator, StateValue, Transition, evaluation_range
from trailguard.engine.metrics import CompiledMetricFilter, MetricFilterSet, compile_filter
from trailguard.live.state import LiveState
from trailguard.model import Alarm, Configuration
from trailguard.notify.context import ContextBuilder
from trailguard.notify.evidence import DEFAULT_TRACKED_VALUES, MinuteEvidence
from trailguard.notify.outbox import Outbox
from trailguard.notify.routing import OutboxItem, route
from trailguard.pattern import LogEvent
from trailguard.sources.follow import Batch
from trailguard.sources.quarantine import Quarantine

__all__ = ["FUTURE_LIMIT_MS", "AlarmChange", "IngestReport", "LiveMonitor"]

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000
#: CloudWatch Logs refuses log events more than 2 hours in the future (PutLogEvents).
FUTURE_LIMIT_MS: Final = 2 * HOUR_MS
FUTURE_REASON: Final = "eventTime more than 2 hours ahead of the clock"
_MIN_MINUTE: Final = -(2**62)
_MAX_MINUTE: Final = 2**62
_log = logging.getLogger("trailguard.live.monitor")


@dataclass(slots=True)
class IngestReport:
    """What one committed batch did."""

    events: int = 0  # events published (events set aside as from the future not included)
    matched: dict[str, int] = field(default_factory=dict)  # filter name -> matching events
    late: int = 0  # events too late for any alarm to see
    future: int = 0  # events set aside: eventTime more than 2 hours ahead
    newest_event_ms: int | None = None


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """One transition, with what became of its notification: the topics it names that are not defined (nobody
    to deliver to) and the subscriptions whose FilterPolicy refused it."""

    alarm: Alarm
    transition: Transition
    undefined_topics: tuple[str, ...] = ()
    filtered: tuple[str, ...] = ()
    queued: int = 0  # outbox rows


class LiveMonitor:
    """See the module docstring. ``with_context``: notifications carry the ``trailguard`` block of events."""

    def __init__(
        self,
        config: Configuration,
        state: LiveState,
        outbox: Outbox,
        quarantine: Quarantine,
        *,
        region: str,
        account_id: str,
        now_ms: int,
        with_context: bool = True,
    ) -> None:
        self.config = config
        self.state = state
        self.outbox = outbox
        self.quarantine = quarantine
        self.region = region
        self.account_id = account_id
        self.with_context = with_context
        self.filters: list[CompiledMetricFilter] = [
            compile_filter(f, account_id=account_id, region=region) for f in config.metric_filters
        ]
        saved = state.filter_counters()
        for compiled in self.filters:
            counters = saved.get((compiled.log_group_name, compiled.filter_name))
            if counters is not None:
                compiled.counters = counters
        self.filter_set = MetricFilterSet(self.filters)
        self.store: MetricStore = state.load_datapoints()
        self.evidence = MinuteEvidence(max_minutes=2**62)
        for series, minute_ms, builder in state.load_evidence():
            self.evidence.put(series, minute_ms, builder)
        self._watched = {(a.namespace, a.metric_name) for a in config.alarms}
        # How far back any evaluation reads: R x Period of the longest-reaching alarm.
        self.reach_ms = max(
            (evaluation_range(a.evaluation_periods) * a.period * 1000 for a in config.alarms), default=0
        )
        self.retention_ms = max(DAY_MS, self.reach_ms + HOUR_MS)
        self.evaluators: dict[str, AlarmEvaluator] = {}
        self._restore_alarms(now_ms)

    # -- alarms ----------------------------------------------------------------------------------------------

    def _restore_alarms(self, now_ms: int) -> None:
        """Continue every configured alarm from its saved state; create new ones now; a changed definition is a
        PutMetricAlarm on the existing alarm (state kept, a ConfigurationUpdate in its history)."""
        saved = {row.name: row for row in self.state.alarms()}
        changed: list[tuple[Alarm, AlarmEvaluator]] = []
        for alarm in self.config.alarms:
            row = saved.pop(alarm.alarm_name, None)
            if row is None:
                evaluator = AlarmEvaluator(
                    alarm, self.store, region=self.region, account_id=self.account_id, created_ms=now_ms
                )
                changed.append((alarm, evaluator))
            else:
                previous = Alarm.from_api_dict(row.definition)
                evaluator = AlarmEvaluator.restore(
                    previous, self.store, row.snapshot, region=self.region, account_id=self.account_id
                )
                if previous.to_api_dict() != alarm.to_api_dict():
                    evaluator.update_definition(alarm, now_ms)
                    _log.info("alarm %s: its definition changed; its state is kept", alarm.alarm_name)
                if evaluator.history or not row.active:
                    changed.append((alarm, evaluator))
            self.evaluators[alarm.alarm_name] = evaluator
        with self.state.transaction() as db:
            self._write_alarms(db, changed)
            for name, row in saved.items():
                if row.active:
                    _log.info("alarm %s is no longer configured: it is not evaluated (its history is kept)", name)
                    LiveState.set_alarm_active(db, name, False)
        for _, evaluator in changed:
            evaluator.forget_outputs()

    @staticmethod
    def _write_alarms(db: sqlite3.Connection, alarms: Iterable[tuple[Alarm, AlarmEvaluator]]) -> None:
        for alarm, evaluator in alarms:
            LiveState.write_alarm(db, alarm.to_api_dict(), evaluator.snapshot(with_history=False), True)
            LiveState.append_history(db, evaluator.history)

    def next_evaluation_ms(self) -> int | None:
        """When the earliest alarm evaluation is due (None without alarms)."""
        return min((e.next_evaluation_ms() for e in self.evaluators.values()), default=None)

    def evaluate(self, now_ms: int) -> list[AlarmChange]:
        """Run every evaluation due by ``now_ms`` and commit the outcome with the notifications it makes."""
        changes: list[AlarmChange] = []
        items: list[OutboxItem] = []
        evaluated: list[tuple[Alarm, AlarmEvaluator]] = []
        for alarm in self.config.alarms:
            evaluator = self.evaluators[alarm.alarm_name]
            before = evaluator.last_evaluated_ms
            for transition in evaluator.advance(now_ms):
                changes.append(self._route(alarm, transition, items))
            if evaluator.last_evaluated_ms != before:
                evaluated.append((alarm, evaluator))
        if not evaluated:
            return changes

        def write(db: sqlite3.Connection) -> None:
            self._write_alarms(db, evaluated)

        self.outbox.enqueue_batch(items, together=write)
        for _, evaluator in evaluated:
            evaluator.forget_outputs()
        return changes

    def _route(self, alarm: Alarm, transition: Transition, items: list[OutboxItem]) -> AlarmChange:
        notification = transition.notification
        if notification is None:
            return AlarmChange(alarm, transition)
        context = self.evidence.context_for(alarm, transition) if self.with_context else None
        routing = route(notification, self.config, context)
        items += routing.items
        queued = sum(len(item[2] or item[1].subscriptions) for item in routing.items)
        filtered = tuple(f"{s.protocol} {s.endpoint}" for _, s in routing.filtered)
        return AlarmChange(alarm, transition, tuple(routing.undefined_topics), filtered, queued)

    def states(self) -> dict[str, StateValue]:
        return {name: evaluator.state for name, evaluator in self.evaluators.items()}

    # -- events ----------------------------------------------------------------------------------------------

    def ingest(self, batch: Batch, log_group: str, now_ms: int, *, quarantined: int = 0) -> IngestReport:
        """Publish a batch's events and commit them with the batch's progress (``quarantined``: entries its
        reading set aside, for the source's counts)."""
        report = IngestReport()
        delta = MetricStore()
        evidence: dict[tuple[SeriesKey, int], ContextBuilder] = {}
        watched = self._watched if self.with_context else set()
        current: list[Any] = [None, 0]  # the record being published and its time, for the evidence
        matched_by: dict[str, int] = {}
        publish = delta.publish

        def on_match(series: Any, minute_ms: int, value: float) -> None:
            publish(series, minute_ms, value)
            if (series.namespace, series.name) in watched:
                key = (series, minute_ms)
                builder = evidence.get(key)
                if builder is None:
                    builder = evidence[key] = ContextBuilder(DEFAULT_TRACKED_VALUES)
                builder.add(current[0], current[1])

        before = {id(f): f.counters.matched for f in self.filters}
        future_limit = now_ms + FUTURE_LIMIT_MS
        horizon = now_ms - now_ms % MINUTE_MS - self.reach_ms
        newest: int | None = None
        for event in batch.events:
            timestamp = event.timestamp_ms
            assert timestamp is not None  # followers require event times
            if timestamp > future_limit:
                detail = f"eventTime {event.record.get('eventTime')!r}; the clock says {_iso(now_ms)}"
                self.quarantine.add(event.origin, event.position, FUTURE_REASON, event.message, detail)
                report.future += 1
                continue
            report.events += 1
            if timestamp < horizon:
                report.late += 1
            if newest is None or timestamp > newest:
                newest = timestamp
            current[0], current[1] = event.record, timestamp
            self.filter_set.publish(
                LogEvent(event.message, parsed=event.record), timestamp, log_group, publish, on_match
            )
        for compiled in self.filters:
            count = compiled.counters.matched - before[id(compiled)]
            if count:
                matched_by[compiled.filter_name] = matched_by.get(compiled.filter_name, 0) + count
        report.matched = matched_by
        report.newest_event_ms = newest

        datapoints: list[tuple[SeriesKey, int, Aggregate]] = []
        for series in delta.series():
            for minute, aggregate in delta.buckets(series, _MIN_MINUTE, _MAX_MINUTE):
                existing = self.store.bucket(series, minute)
                datapoints.append((series, minute, aggregate if existing is None else existing.merge(aggregate)))
        summaries: list[tuple[SeriesKey, int, ContextBuilder]] = []
        for (series, minute_ms), builder in evidence.items():
            existing_builder = self.evidence.builder(series, minute_ms)
            if existing_builder is not None:
                merged = ContextBuilder.from_state(existing_builder.to_state())
                merged.merge(builder)
                builder = merged
            summaries.append((series, minute_ms, builder))
        with self.state.transaction() as db:
            LiveState.write_datapoints(db, datapoints)
            LiveState.write_evidence(db, summaries)
            if matched_by or delta.series():
                LiveState.write_filter_counters(
                    db, [(f.log_group_name, f.filter_name, f.counters) for f in self.filters]
                )
            LiveState.write_progress(
                db,
                batch.source,
                batch.progress,
                events=report.events,
                quarantined=quarantined + report.future,
                newest_event_ms=newest,
                now_ms=now_ms,
            )
            LiveState.add_totals(
                db,
                {
                    "events": report.events,
                    "matched": sum(matched_by.values()),
                    "late": report.late,
                    "quarantined": quarantined + report.future,
                },
            )
        self.store.merge(delta)
        for series, minute_ms, builder in summaries:
            self.evidence.put(series, minute_ms, builder)
        return report

    def forget_old(self, now_ms: int) -> int:
        """Drop datapoints and summaries older than the retention (no evaluation to come reads them)."""
        minute = (now_ms - self.retention_ms) // MINUTE_MS
        with self.state.transaction() as db:
            LiveState.forget_minutes_before(db, minute)
        self.evidence.forget_before(minute * MINUTE_MS)
        return self.store.drop_before(minute)


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
