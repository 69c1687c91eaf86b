"""CloudWatch metric alarm evaluation: an explicit, event-time-driven state machine.

States: ``INSUFFICIENT_DATA`` (initial, reason "Unchecked: Initial alarm creation"), ``OK``, ``ALARM``.
The only transitions are the ones an evaluation (or :meth:`AlarmEvaluator.set_state`) produces;
actions run only on a transition and only when ``ActionsEnabled`` (the PutMetricAlarm API reference, and
"Using Amazon CloudWatch alarms" in the CloudWatch User Guide). The rules, each with its source, are listed in
docs/semantics.md ("Alarm evaluation"); the ones below shape this module.

Schedule and windows:

* An alarm with Period >= 60 s is evaluated every minute; 10/20/30 s alarms every 10 seconds
  (documented); alarms with Period >= 3600 s and N x Period > 1 day once an hour (recorded). Evaluation times
  are ``k * step + offset``; by default the offset is the creation time's offset within the step, so an
  alarm created at 12:00:51.290 is evaluated at :51.290 of every minute (recorded).
* Buckets are sliding windows aligned to the minute, not to the Period (recorded). The newest bucket ends
  at the last whole minute at or before the evaluation time and only data with timestamps before that end
  is read, so late data never leaks backwards. Sub-minute periods align their buckets to the period itself
  (:00, :10, ... for Period 10; :00, :30 for Period 30): a metric filter's datapoints carry whole-minute
  timestamps, and AWS was recorded stamping such a datapoint at its whole minute in a Period-30 alarm's
  reason, which only period-aligned buckets give.
* The evaluation range holds R = N + max(floor(N/3), 2) buckets (N = EvaluationPeriods); this is
  the documented N=3 -> R=5 and matches the recorded ALARM -> OK timing of a Period 900, N=1 alarm.

The decision itself is :func:`trailguard.engine.decision.decide` (the documented evaluation steps).

Alarms on ``AWS/DynamoDB`` metrics always treat missing data as ``ignore``
(:attr:`~trailguard.model.Alarm.effective_treat_missing_data`). With
``EvaluateLowSampleCountPercentile: ignore`` a decision resting on a low-sample percentile
datapoint is not taken (the state is kept).

Pure Python, no I/O, deterministic: time only advances through the ``at_ms`` arguments.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

from trailguard.engine.aggregates import MINUTE_MS, Aggregate, MetricSelector, normalize_dimensions
from trailguard.engine.decision import Datapoint, Decision, Rule, StateValue, decide, decide_outcome
from trailguard.engine.formatting import aws_json, json_timestamp, prepared_json
from trailguard.engine.notifications import Notification, build_notification
from trailguard.engine.reasons import (
    INITIAL_REASON,
    history_data_for_state_update,
    state_reason,
    state_reason_data,
)
from trailguard.engine.statistics import compute_parts, is_low_sample_count
from trailguard.model import Alarm, StatisticSpec
from trailguard.model.common import is_sns_topic_arn
from trailguard.model.constants import COMPARISONS

__all__ = [
    "AlarmEvaluator",
    "AlarmSnapshot",
    "Datapoint",
    "Decision",
    "Evaluation",
    "HistoryItem",
    "MetricSource",
    "Rule",
    "StateValue",
    "Transition",
    "alarm_selector",
    "decide",
    "evaluation_range",
]

DAY_MS: Final = 86_400_000
HOUR_MS: Final = 3_600_000
TEN_SECONDS_MS: Final = 10_000


def evaluation_range(evaluation_periods: int) -> int:
    """R, the number of buckets fetched per evaluation: N + max(floor(N/3), 2) (N=3 -> 5)."""
    return evaluation_periods + max(evaluation_periods // 3, 2)


def alarm_selector(alarm: Alarm) -> MetricSelector:
    """The metric series an alarm reads: namespace, name, its exact dimension set, and its unit (or all units)."""
    return MetricSelector(alarm.namespace, alarm.metric_name, normalize_dimensions(alarm.dimension_pairs), alarm.unit)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation: when, the window end, the R buckets (newest first) and the decision."""

    at_ms: int
    window_end_ms: int
    buckets: tuple[Datapoint, ...]
    decision: Decision


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One DescribeAlarmHistory item; ``timestamp_ms`` in epoch ms, :meth:`to_api_dict` gives the API shape."""

    alarm_name: str
    timestamp_ms: int
    item_type: str  # ConfigurationUpdate | StateUpdate
    summary: str
    data: str  # HistoryData: a JSON document as text
    alarm_type: str = "MetricAlarm"

    def to_api_dict(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": self.alarm_type,
            "Timestamp": json_timestamp(self.timestamp_ms),
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


@dataclass(frozen=True, slots=True)
class AlarmSnapshot:
    """Everything an :class:`AlarmEvaluator` needs to continue later, in another process, exactly as if it had
    never stopped: what DescribeAlarms shows (state, reason, reason data, update time), the schedule (creation
    time, evaluation offset, last evaluation), the idle flag that lets :meth:`AlarmEvaluator.advance` skip, the
    configuration time notifications carry, and the history. Transitions and notifications already produced are
    outputs, not state: they are not part of it.

    ``to_json_dict``/``from_json_dict`` give a JSON-able form (``reason_data`` stays the API's JSON text).
    """

    alarm_name: str
    created_ms: int
    configuration_updated_ms: int
    evaluation_offset_ms: int
    state: StateValue
    reason: str
    reason_data: str | None
    updated_ms: int
    last_evaluated_ms: int | None
    idle_fixed_point: bool
    history: tuple[HistoryItem, ...] = ()

    def to_json_dict(self, *, with_history: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "alarmName": self.alarm_name,
            "createdMs": self.created_ms,
            "configurationUpdatedMs": self.configuration_updated_ms,
            "evaluationOffsetMs": self.evaluation_offset_ms,
            "state": str(self.state),
            "reason": self.reason,
            "reasonData": self.reason_data,
            "updatedMs": self.updated_ms,
            "lastEvaluatedMs": self.last_evaluated_ms,
            "idleFixedPoint": self.idle_fixed_point,
        }
        if with_history:
            data["history"] = [[h.timestamp_ms, h.item_type, h.summary, h.data, h.alarm_type] for h in self.history]
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], history: Sequence[HistoryItem] | None = None) -> AlarmSnapshot:
        """Read :meth:`to_json_dict`'s form; ``history`` (when given) replaces the one in ``data``."""
        name = str(data["alarmName"])
        if history is None:
            history = [
                HistoryItem(name, int(t), str(kind), str(summary), str(text), str(alarm_type))
                for t, kind, summary, text, alarm_type in data.get("history", ())
            ]
        last = data["lastEvaluatedMs"]
        return cls(
            alarm_name=name,
            created_ms=int(data["createdMs"]),
            configuration_updated_ms=int(data["configurationUpdatedMs"]),
            evaluation_offset_ms=int(data["evaluationOffsetMs"]),
            state=StateValue(data["state"]),
            reason=str(data["reason"]),
            reason_data=data["reasonData"],
            updated_ms=int(data["updatedMs"]),
            last_evaluated_ms=None if last is None else int(last),
            idle_fixed_point=bool(data["idleFixedPoint"]),
            history=tuple(history),
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change, the actions it runs and the SNS notification it publishes (if any)."""

    at_ms: int
    old_state: StateValue
    new_state: StateValue
    reason: str
    reason_data: str | None  # StateReasonData JSON
    actions: tuple[str, ...]  # action ARNs run (empty when ActionsEnabled is false)
    notification: Notification | None
    evaluation: Evaluation | None = None  # None for SetAlarmState


class MetricSource(Protocol):
    """What the evaluator reads; :class:`~trailguard.engine.aggregates.MetricStore` implements it."""

    def minute_buckets(
        self, selector: MetricSelector, start_minute: int, end_minute: int
    ) -> Sequence[tuple[int, Aggregate]]: ...

    def next_data_minute(self, selector: MetricSelector, from_minute: int) -> int | None: ...

    def single_series(self, selector: MetricSelector) -> tuple[Sequence[int], Mapping[int, Aggregate]] | None: ...


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


@dataclass(frozen=True, slots=True)
class _EvaluationPlan:
    """Everything about an alarm's evaluation that follows from its definition, computed once."""

    alarm: Alarm
    statistic: StatisticSpec
    breaches: Callable[[float, float], bool]  # (statistic value, threshold) -> breaching?
    selector: MetricSelector
    evaluation_periods: int  # N: the datapoints the decision looks at
    datapoints_to_alarm: int  # M: breaching datapoints among N that make ALARM
    range_buckets: int  # R: buckets fetched per evaluation, N plus a look-back for missing data
    period_ms: int
    range_ms: int  # R x Period: how far back one evaluation reads
    window_alignment_ms: int  # window ends are multiples of this
    step_ms: int  # evaluation cadence
    treat_missing_data: str  # in force (DynamoDB rule applied)
    ignore_low_sample: bool  # EvaluateLowSampleCountPercentile=ignore

    @classmethod
    def of(cls, alarm: Alarm) -> _EvaluationPlan:
        n = alarm.evaluation_periods
        r = evaluation_range(n)
        period_ms = alarm.period * 1000
        if alarm.period < 60:
            alignment, step = period_ms, TEN_SECONDS_MS
        elif alarm.period >= 3600 and n * period_ms > DAY_MS:
            alignment, step = MINUTE_MS, HOUR_MS
        else:
            alignment, step = MINUTE_MS, MINUTE_MS
        comparison = COMPARISONS.get(alarm.comparison_operator)
        if comparison is None:
            raise ValueError(f"unsupported ComparisonOperator {alarm.comparison_operator!r}")
        return cls(
            alarm=alarm,
            statistic=alarm.statistic_spec,
            breaches=comparison.holds,
            selector=alarm_selector(alarm),
            evaluation_periods=n,
            datapoints_to_alarm=alarm.effective_datapoints_to_alarm,
            range_buckets=r,
            period_ms=period_ms,
            range_ms=r * period_ms,
            window_alignment_ms=alignment,
            step_ms=step,
            treat_missing_data=alarm.effective_treat_missing_data,
            ignore_low_sample=alarm.ignores_low_sample_percentiles,
        )


class _BucketVerdicts:
    """Whether each Period-long bucket of an alarm's data breaches (True), does not (False) or is missing
    (None), keyed by the bucket's first minute and computed once, for alarms evaluated every minute on
    minute-aligned windows whose data one series holds.

    An evaluation reads R buckets, ending 1 x Period, 2 x Period, ... before its window's end, so each bucket
    serves the R evaluations whose windows end 1, 2, ... R periods after it ends: computing it once and looking
    it up R - 1 times replaces reading R x Period minutes at every evaluation. The source must not change while
    the verdicts are in use (one :meth:`AlarmEvaluator.advance` call).
    """

    __slots__ = ("_buckets", "_minutes", "_plan", "_verdicts")

    def __init__(self, plan: _EvaluationPlan, minutes: Sequence[int], buckets: Mapping[int, Aggregate]) -> None:
        self._plan = plan
        self._minutes = minutes
        self._buckets = buckets
        self._verdicts: dict[int, bool | None] = {}

    def sweep(self, t: int, last: int, state: StateValue) -> tuple[int, int | None, bool]:
        """Decide the evaluations at ``t``, ``t`` + 1 minute, ... up to ``last`` while each keeps ``state``, as
        :meth:`AlarmEvaluator._outcome` would. Returns the first time not decided (the state changes there, or
        it is after ``last``), the last time decided (None if none was), and whether that one saw only missing
        buckets (the state is then an idle fixed point, and the sweep stops so the caller can skip)."""
        plan = self._plan
        period = plan.period_ms // MINUTE_MS
        range_buckets, n, m, treat = (
            plan.range_buckets,
            plan.evaluation_periods,
            plan.datapoints_to_alarm,
            plan.treat_missing_data,
        )
        verdicts = self._verdicts
        decided: int | None = None
        end_minute = (t - t % MINUTE_MS) // MINUTE_MS
        while t <= last:
            real: list[tuple[int, bool]] = []
            breaching = 0
            start = end_minute
            for index in range(range_buckets):
                start -= period
                verdict = verdicts.get(start, _UNKNOWN)
                if verdict is _UNKNOWN:
                    verdict = verdicts[start] = self._verdict(start, start + period)
                    # The evaluation a minute later reads buckets a minute later: this one's oldest bucket is
                    # never read again, so the table keeps about R x Period entries.
                    verdicts.pop(end_minute - (range_buckets + 1) * period, None)
                if verdict is not None:
                    real.append((index, verdict))  # type: ignore[arg-type]
                    if verdict:
                        breaching += 1
                    if len(real) == n:
                        break
            outcome: StateValue | None
            if len(real) == n:
                # The N most recent real datapoints decide, whatever else the range holds (decide_outcome's
                # first rule, inlined on this hot path), so the older buckets need not be judged.
                outcome, all_missing = (StateValue.ALARM if breaching >= m else StateValue.OK), False
            else:
                outcome, all_missing = decide_outcome(real, n, m, treat)
            if outcome is not None and outcome is not state:
                break
            decided = t
            t += MINUTE_MS
            end_minute += 1
            if all_missing:
                return t, decided, True
        return t, decided, False

    def _verdict(self, start: int, end: int) -> bool | None:
        minutes = self._minutes
        lo = bisect_left(minutes, start)
        if lo == len(minutes) or minutes[lo] >= end:
            return None
        hi = bisect_left(minutes, end, lo)
        buckets, plan = self._buckets, self._plan
        value, _ = compute_parts(plan.statistic, [buckets[minutes[i]] for i in range(lo, hi)])
        if value is None or math.isnan(value):
            return None
        return plan.breaches(value, plan.alarm.threshold)


_UNKNOWN: Final = object()


@dataclass(slots=True)
class _AlarmState:
    """What changes as the alarm is evaluated: the DescribeAlarms state, and what it has produced so far."""

    value: StateValue = StateValue.INSUFFICIENT_DATA
    reason: str = INITIAL_REASON
    reason_data: str | None = None  # StateReasonData as the API returns it: JSON text
    updated_ms: int = 0
    last_evaluated_ms: int | None = None
    # The last evaluation saw an empty range and the state is that situation's fixed point: evaluating another
    # empty range cannot change it, which is what lets advance() skip idle stretches.
    idle_fixed_point: bool = False
    history: list[HistoryItem] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


class AlarmEvaluator:
    """Evaluates one metric alarm against a :class:`MetricSource` as event time advances.

    Drive it with :meth:`advance` (every scheduled evaluation up to a time, skipping provably
    idle stretches) or :meth:`evaluate` (one evaluation at an arbitrary time). Times are epoch
    milliseconds and must not go backwards. Each call reads the source as it is at that moment:
    load all data with timestamps before ``until_ms`` first, then call ``advance(until_ms)``.
    """

    def __init__(
        self,
        alarm: Alarm,
        source: MetricSource,
        *,
        region: str,
        account_id: str,
        created_ms: int,
        evaluation_offset_ms: int | None = None,
    ) -> None:
        self._plan = _EvaluationPlan.of(alarm)
        self._source = source
        self.region = region
        self.account_id = account_id
        self.created_ms = created_ms
        self.configuration_updated_ms = created_ms
        step = self._plan.step_ms
        # Evaluations run at k * step + offset: CloudWatch keeps an alarm on the phase it was created at.
        self._offset_ms = (created_ms if evaluation_offset_ms is None else evaluation_offset_ms) % step
        self._state = _AlarmState(updated_ms=created_ms)
        self.last_evaluation: Evaluation | None = None
        self._state.history.append(
            HistoryItem(
                alarm.alarm_name,
                created_ms,
                "ConfigurationUpdate",
                f'Alarm "{alarm.alarm_name}" created',
                aws_json({"version": "1.0", "type": "Create", "createdAlarm": _history_config(alarm)}),
            )
        )

    # -- read-only view ----------------------------------------------------------------------------

    @property
    def alarm(self) -> Alarm:
        return self._plan.alarm

    @property
    def state(self) -> StateValue:
        return self._state.value

    @property
    def state_reason(self) -> str:
        return self._state.reason

    @property
    def state_reason_data(self) -> str | None:
        """StateReasonData as the API returns it (a JSON string), or None."""
        return self._state.reason_data

    @property
    def state_updated_ms(self) -> int:
        return self._state.updated_ms

    @property
    def history(self) -> list[HistoryItem]:
        return self._state.history

    @property
    def transitions(self) -> list[Transition]:
        return self._state.transitions

    @property
    def notifications(self) -> list[Notification]:
        return self._state.notifications

    @property
    def last_evaluated_ms(self) -> int | None:
        return self._state.last_evaluated_ms

    # -- schedule ---------------------------------------------------------------------------------

    def _grid_at_or_after(self, t: int) -> int:
        step, offset = self._plan.step_ms, self._offset_ms
        return _ceil_div(t - offset, step) * step + offset

    def next_evaluation_ms(self) -> int:
        """When the next scheduled evaluation is due (the creation time if none has happened yet)."""
        last = self._state.last_evaluated_ms
        return self.created_ms if last is None else self._grid_at_or_after(last + 1)

    # -- evaluation -------------------------------------------------------------------------------

    def _bucket_parts(self, end_ms: int) -> list[list[Aggregate]]:
        """The per-minute aggregates of each of the R buckets (newest first) of the window ending at ``end_ms``."""
        plan = self._plan
        period = plan.period_ms
        rows = self._source.minute_buckets(
            plan.selector, _ceil_div(end_ms - plan.range_ms, MINUTE_MS), _ceil_div(end_ms, MINUTE_MS)
        )
        groups: list[list[Aggregate]] = [[] for _ in range(plan.range_buckets)]
        last = end_ms - 1
        for minute, aggregate in rows:
            groups[(last - minute * MINUTE_MS) // period].append(aggregate)
        return groups

    def _buckets(self, end_ms: int) -> tuple[Datapoint, ...]:
        """The R buckets (newest first) of the window ending at ``end_ms``."""
        plan = self._plan
        period = plan.period_ms
        statistic, breaches, threshold = plan.statistic, plan.breaches, plan.alarm.threshold
        out: list[Datapoint] = []
        for j, parts in enumerate(self._bucket_parts(end_ms)):
            start = end_ms - (j + 1) * period
            if not parts:
                out.append(Datapoint(start))
                continue
            value, count = compute_parts(statistic, parts)
            if value is None or math.isnan(value):
                out.append(Datapoint(start, None, count))
            else:
                low_sample = is_low_sample_count(statistic, count)
                out.append(Datapoint(start, value, count, breaches(value, threshold), low_sample))
        return tuple(out)

    def _evaluation(self, at_ms: int) -> Evaluation:
        """The evaluation at ``at_ms``, in full: its window's buckets and the decision on them."""
        plan = self._plan
        end_ms = at_ms - at_ms % plan.window_alignment_ms
        buckets = self._buckets(end_ms)
        decision = decide(buckets, plan.evaluation_periods, plan.datapoints_to_alarm, plan.treat_missing_data)
        if plan.ignore_low_sample and any(p.low_sample for p in decision.evaluated):
            decision = replace(decision, outcome=None, rule=Rule.LOW_SAMPLE)
        return Evaluation(at_ms, end_ms, buckets, decision)

    def _outcome(self, at_ms: int) -> tuple[StateValue | None, bool]:
        """What :meth:`_evaluation` at ``at_ms`` decides (the outcome, and whether every bucket was missing),
        computed without building its datapoints: :func:`decide_outcome` on the buckets that hold data.
        Only for alarms that do not ignore low-sample percentiles (their decision needs every datapoint)."""
        plan = self._plan
        statistic, breaches, threshold = plan.statistic, plan.breaches, plan.alarm.threshold
        real: list[tuple[int, bool]] = []
        for index, parts in enumerate(self._bucket_parts(at_ms - at_ms % plan.window_alignment_ms)):
            if parts:
                value, _ = compute_parts(statistic, parts)
                if value is not None and not math.isnan(value):
                    real.append((index, breaches(value, threshold)))
        return decide_outcome(real, plan.evaluation_periods, plan.datapoints_to_alarm, plan.treat_missing_data)

    def evaluate(self, at_ms: int) -> Transition | None:
        """Evaluate once at ``at_ms``; returns the transition if the state changed."""
        state = self._state
        if state.last_evaluated_ms is not None and at_ms < state.last_evaluated_ms:
            raise ValueError(f"evaluation time went backwards: {at_ms} < {state.last_evaluated_ms}")
        evaluation = self._evaluation(at_ms)
        decision = evaluation.decision
        self.last_evaluation = evaluation
        state.last_evaluated_ms = at_ms
        state.idle_fixed_point = decision.rule is Rule.ALL_MISSING
        if decision.outcome is None or decision.outcome is state.value:
            return None
        plan = self._plan
        reason = state_reason(plan.alarm, decision)
        data = prepared_json(state_reason_data(plan.alarm, decision, at_ms))
        return self._transition(at_ms, decision.outcome, reason, data, evaluation)

    def advance(self, until_ms: int) -> list[Transition]:
        """Run every scheduled evaluation up to and including ``until_ms``; return the transitions.

        Why skipping is exact, not approximate: an evaluation whose whole range is empty decides by
        TreatMissingData alone (INSUFFICIENT_DATA, ALARM, OK, or keep the state), and once the state is
        that decision's result, evaluating another empty range gives the same result again: a fixed
        point. So while it holds, an evaluation is skipped whenever the source has no datapoint in its
        range (one bisection instead of building the buckets), and the run jumps straight to the first
        evaluation whose range can hold the next datapoint — every evaluation in between would have read
        an empty range and changed nothing. The transitions, state and history are identical to evaluating
        every scheduled time against the same source, including when data (late data too) is added between
        calls, since the next call resumes from the last evaluation time. Only :attr:`last_evaluation`
        differs: it is the last evaluation that was not skipped.

        The evaluations that are not skipped are decided by :meth:`_outcome` first, which reaches the same
        outcome without building datapoints; only a change of state (its reason lists the datapoints) and the
        call's last evaluation (it becomes :attr:`last_evaluation`) are computed in full.
        """
        state, plan = self._state, self._plan
        out: list[Transition] = []
        outcome_first = not plan.ignore_low_sample
        verdicts: _BucketVerdicts | None = None
        if outcome_first and plan.step_ms == MINUTE_MS and plan.window_alignment_ms == MINUTE_MS:
            data = self._source.single_series(plan.selector)
            if data is not None:
                verdicts = _BucketVerdicts(plan, *data)
        decided_only: int | None = None  # the last evaluation decided by _outcome alone, if it is the last one
        t = self.next_evaluation_ms()
        while t <= until_ms:
            if state.idle_fixed_point:
                end = t - t % plan.window_alignment_ms
                next_minute = self._source.next_data_minute(plan.selector, _ceil_div(end - plan.range_ms, MINUTE_MS))
                if next_minute is None or next_minute * MINUTE_MS >= end:
                    # The range at t is empty, and so is every later range that ends at or before the next
                    # datapoint: the first one that can see it ends just after it.
                    resume = until_ms + 1 if next_minute is None else next_minute * MINUTE_MS + plan.window_alignment_ms
                    skipped_to = self._grid_at_or_after(resume)
                    # Record the skipped evaluations as done, so the next call continues after them.
                    state.last_evaluated_ms = min(
                        skipped_to - plan.step_ms, self._grid_at_or_after(until_ms - plan.step_ms + 1)
                    )
                    t = skipped_to
                    continue
            if verdicts is not None:
                t_next, decided, all_missing = verdicts.sweep(t, until_ms - MINUTE_MS, state.value)
                if decided is not None:
                    state.last_evaluated_ms = decided
                    state.idle_fixed_point = all_missing
                    decided_only = decided
                    t = t_next
                    continue
            following = self._grid_at_or_after(t + 1)
            if outcome_first and verdicts is None and following <= until_ms:
                outcome, all_missing = self._outcome(t)
                if outcome is None or outcome is state.value:
                    state.last_evaluated_ms = t
                    state.idle_fixed_point = all_missing
                    decided_only = t
                    t = following
                    continue
            transition = self.evaluate(t)
            decided_only = None
            if transition is not None:
                out.append(transition)
            t = following
        if decided_only is not None:
            # The call ended in an idle stretch after evaluations decided without datapoints: the last of them
            # is the last evaluation.
            self.last_evaluation = self._evaluation(decided_only)
        return out

    # -- stopping and continuing ------------------------------------------------------------------

    def snapshot(self, *, with_history: bool = True) -> AlarmSnapshot:
        """The evaluator's state, to continue later with :meth:`restore` (``with_history=False`` leaves the
        history out, for a caller that keeps history items elsewhere as they come)."""
        state = self._state
        return AlarmSnapshot(
            alarm_name=self._plan.alarm.alarm_name,
            created_ms=self.created_ms,
            configuration_updated_ms=self.configuration_updated_ms,
            evaluation_offset_ms=self._offset_ms,
            state=state.value,
            reason=state.reason,
            reason_data=self.state_reason_data,
            updated_ms=state.updated_ms,
            last_evaluated_ms=state.last_evaluated_ms,
            idle_fixed_point=state.idle_fixed_point,
            history=tuple(state.history) if with_history else (),
        )

    @classmethod
    def restore(
        cls, alarm: Alarm, source: MetricSource, snapshot: AlarmSnapshot, *, region: str, account_id: str
    ) -> AlarmEvaluator:
        """An evaluator that continues from ``snapshot`` (taken of an evaluator of ``alarm``): given the same
        data, it evaluates, transitions, records history and notifies exactly as the original would have."""
        if snapshot.alarm_name != alarm.alarm_name:
            raise ValueError(f"snapshot of alarm {snapshot.alarm_name!r} cannot restore alarm {alarm.alarm_name!r}")
        evaluator = cls(
            alarm,
            source,
            region=region,
            account_id=account_id,
            created_ms=snapshot.created_ms,
            evaluation_offset_ms=snapshot.evaluation_offset_ms,
        )
        evaluator.configuration_updated_ms = snapshot.configuration_updated_ms
        evaluator._state = _AlarmState(
            value=snapshot.state,
            reason=snapshot.reason,
            reason_data=snapshot.reason_data,
            updated_ms=snapshot.updated_ms,
            last_evaluated_ms=snapshot.last_evaluated_ms,
            idle_fixed_point=snapshot.idle_fixed_point,
            history=list(snapshot.history),
        )
        return evaluator

    def forget_outputs(self) -> None:
        """Drop the transitions, notifications and history produced so far, for a long-running caller that has
        stored them elsewhere: memory then stays bounded however long the alarm runs. State and schedule are
        untouched."""
        state = self._state
        state.transitions.clear()
        state.notifications.clear()
        state.history.clear()

    # -- state changes ----------------------------------------------------------------------------

    def _transition(
        self,
        at_ms: int,
        new_state: StateValue,
        reason: str,
        reason_data: str | None,
        evaluation: Evaluation | None,
    ) -> Transition:
        state, alarm = self._state, self._plan.alarm
        old_state = state.value
        history_data = history_data_for_state_update(
            old_state, state.reason, state.reason_data, new_state, reason, reason_data
        )
        state.value, state.reason, state.reason_data, state.updated_ms = new_state, reason, reason_data, at_ms
        state.history.append(
            HistoryItem(
                alarm.alarm_name,
                at_ms,
                "StateUpdate",
                f"Alarm updated from {old_state} to {new_state}",
                prepared_json(history_data),
            )
        )
        actions = alarm.actions_for(new_state) if alarm.actions_enabled else ()
        # CloudWatch publishes to the SNS topics among the actions; other action kinds are recorded only.
        topics = tuple(action for action in actions if is_sns_topic_arn(action))
        notification = None
        if topics:
            notification = build_notification(
                alarm,
                region=self.region,
                account_id=self.account_id,
                old_state=str(old_state),
                new_state=str(new_state),
                reason=reason,
                at_ms=at_ms,
                configuration_updated_ms=self.configuration_updated_ms,
                topic_arns=topics,
            )
            state.notifications.append(notification)
        transition = Transition(
            at_ms,
            old_state,
            new_state,
            reason,
            reason_data,
            actions,
            notification,
            evaluation,
        )
        state.transitions.append(transition)
        return transition

    def set_state(
        self, new_value: StateValue | str, reason: str, at_ms: int, reason_data: str | None = None
    ) -> Transition | None:
        """SetAlarmState: change the state until the next evaluation; actions run on a change."""
        target = StateValue(new_value)
        self._state.idle_fixed_point = False
        if target is self._state.value:
            return None
        # Written again in CloudWatch's form (compact, Java doubles), as DescribeAlarms would show it.
        data = None if reason_data is None else aws_json(json.loads(reason_data))
        return self._transition(at_ms, target, reason, data, None)

    def update_definition(self, alarm: Alarm, at_ms: int) -> None:
        """PutMetricAlarm on an existing alarm: configuration replaced, state unchanged."""
        if alarm.alarm_name != self._plan.alarm.alarm_name:
            raise ValueError("update_definition cannot rename an alarm")
        original = self._plan.alarm
        self._plan = _EvaluationPlan.of(alarm)
        self._offset_ms %= self._plan.step_ms
        self.configuration_updated_ms = at_ms
        self._state.idle_fixed_point = False
        self._state.history.append(
            HistoryItem(
                alarm.alarm_name,
                at_ms,
                "ConfigurationUpdate",
                f'Alarm "{alarm.alarm_name}" updated',
                aws_json(
                    {
                        "version": "1.0",
                        "type": "Update",
                        "updatedAlarm": _history_config(alarm),
                        "originalAlarm": _history_config(original),
                    }
                ),
            )
        )


def _history_config(alarm: Alarm) -> dict[str, Any]:
    """The alarm configuration as ConfigurationUpdate history data carries it (lowerCamelCase)."""
    out: dict[str, Any] = {
        "alarmName": alarm.alarm_name,
        "namespace": alarm.namespace,
        "metricName": alarm.metric_name,
        "dimensions": [{"name": n, "value": v} for n, v in alarm.dimension_pairs],
        "period": alarm.period,
        "evaluationPeriods": alarm.evaluation_periods,
        "threshold": alarm.threshold,
        "comparisonOperator": alarm.comparison_operator,
        "actionsEnabled": alarm.actions_enabled,
        "alarmActions": list(alarm.alarm_actions),
        "okActions": list(alarm.ok_actions),
        "insufficientDataActions": list(alarm.insufficient_data_actions),
    }
    optional = {
        "alarmDescription": alarm.alarm_description,
        "statistic": alarm.statistic,
        "extendedStatistic": alarm.extended_statistic,
        "unit": alarm.unit,
        "datapointsToAlarm": alarm.datapoints_to_alarm,
        "treatMissingData": alarm.treat_missing_data,
        "evaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out
