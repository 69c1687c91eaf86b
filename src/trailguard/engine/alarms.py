"""CloudWatch metric alarm evaluation: an explicit, event-time-driven state machine.

States: ``INSUFFICIENT_DATA`` (initial, reason "Unchecked: Initial alarm creation"), ``OK``, ``ALARM``.
The only transitions are the ones an evaluation (or :meth:`AlarmEvaluator.set_state`) produces;
actions run only on a transition and only when ``ActionsEnabled``.

Schedule and windows (spec section 3, corrected by the recorded AWS behaviour in section 0.5):

* An alarm with Period >= 60 s is evaluated every minute; 10/20/30 s alarms every 10 seconds;
  alarms with Period >= 3600 s and N x Period > 1 day once an hour. Evaluation times are
  ``k * step + offset``; by default the offset is the creation time's offset within the step, so
  an alarm created at 12:00:51.290 is evaluated at :51.290 of every minute.
* Buckets are sliding windows aligned to the minute (10 s for sub-minute periods), not to the
  Period. The newest bucket ends at the last whole minute at or before the evaluation time and
  only data with timestamps before that end is read, so late data never leaks backwards.
* The evaluation range holds R = N + max(floor(N/3), 2) buckets (N = EvaluationPeriods); this is
  the documented N=3 -> R=5 and matches the recorded ALARM -> OK timing of a Period 900, N=1 alarm.

The decision itself is :func:`trailguard.engine.decision.decide` (spec steps 1-5).

Alarms on ``AWS/DynamoDB`` metrics always treat missing data as ``ignore``. With
``EvaluateLowSampleCountPercentile: ignore`` a decision resting on a low-sample percentile
datapoint is not taken (the state is kept).

Pure Python, no I/O, deterministic: time only advances through the ``at_ms`` arguments.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

from trailguard.engine.aggregates import MINUTE_MS, Aggregate, MetricSelector, normalize_dimensions
from trailguard.engine.decision import Datapoint, Decision, Rule, StateValue, decide
from trailguard.engine.formatting import aws_json, json_timestamp
from trailguard.engine.notifications import Notification, build_notification
from trailguard.engine.reasons import (
    INITIAL_REASON,
    history_data_for_state_update,
    state_reason,
    state_reason_data,
)
from trailguard.engine.statistics import StatisticSpec, compute_parts, is_low_sample_count, parse_statistic

__all__ = [
    "COMPARISON_OPERATORS",
    "TREAT_MISSING_DATA_VALUES",
    "AlarmEvaluator",
    "Datapoint",
    "Decision",
    "Evaluation",
    "HistoryItem",
    "MetricAlarmDefinition",
    "MetricSource",
    "Rule",
    "StateValue",
    "Transition",
    "decide",
    "evaluation_range",
]


COMPARISON_OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}

TREAT_MISSING_DATA_VALUES: Final = ("missing", "notBreaching", "breaching", "ignore")

DAY_MS: Final = 86_400_000
HOUR_MS: Final = 3_600_000
TEN_SECONDS_MS: Final = 10_000


def _tuple_of_str(value: Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True, slots=True)
class MetricAlarmDefinition:
    """A metric alarm as PutMetricAlarm defines it, with the API's field names.

    ``Dimensions`` keeps the given order as (Name, Value) pairs (the notification echoes it);
    ``None`` for an optional field means "not set", which matters for AWS's output formats
    (e.g. the reason's short form when DatapointsToAlarm is unset).
    """

    AlarmName: str
    MetricName: str
    Namespace: str
    Period: int
    EvaluationPeriods: int
    Threshold: float
    ComparisonOperator: str
    Statistic: str | None = None
    ExtendedStatistic: str | None = None
    Dimensions: tuple[tuple[str, str], ...] = ()
    Unit: str | None = None
    DatapointsToAlarm: int | None = None
    TreatMissingData: str | None = None
    EvaluateLowSampleCountPercentile: str | None = None
    ActionsEnabled: bool = True
    AlarmActions: tuple[str, ...] = ()
    OKActions: tuple[str, ...] = ()
    InsufficientDataActions: tuple[str, ...] = ()
    AlarmDescription: str | None = None

    def __post_init__(self) -> None:
        # Be lenient about container types so YAML/JSON-built values work as-is.
        dims: Any = self.Dimensions
        pairs: list[tuple[str, str]] = []
        if isinstance(dims, Mapping):
            pairs = [(str(k), str(v)) for k, v in dims.items()]
        elif dims:
            for item in dims:
                if isinstance(item, Mapping):
                    pairs.append((str(item["Name"]), str(item["Value"])))
                else:
                    name, value = item
                    pairs.append((str(name), str(value)))
        object.__setattr__(self, "Dimensions", tuple(pairs))
        object.__setattr__(self, "Threshold", float(self.Threshold))
        object.__setattr__(self, "Period", int(self.Period))
        object.__setattr__(self, "EvaluationPeriods", int(self.EvaluationPeriods))
        if self.DatapointsToAlarm is not None:
            object.__setattr__(self, "DatapointsToAlarm", int(self.DatapointsToAlarm))
        object.__setattr__(self, "ActionsEnabled", bool(self.ActionsEnabled))
        for name in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            object.__setattr__(self, name, _tuple_of_str(getattr(self, name)))

    @classmethod
    def from_api_dict(cls, d: Mapping[str, Any]) -> MetricAlarmDefinition:
        """Build from the PutMetricAlarm request shape (``Dimensions: [{"Name", "Value"}]`` ...).

        ``Tags`` and other keys that do not affect evaluation are ignored. Metric-math and
        anomaly-detection alarms (``Metrics``, ``ThresholdMetricId``) are not supported.
        """
        if d.get("Metrics") or d.get("ThresholdMetricId"):
            raise ValueError("metric math and anomaly detection alarms are not supported")
        return cls(
            AlarmName=d["AlarmName"],
            MetricName=d["MetricName"],
            Namespace=d["Namespace"],
            Period=d["Period"],
            EvaluationPeriods=d["EvaluationPeriods"],
            Threshold=d["Threshold"],
            ComparisonOperator=d["ComparisonOperator"],
            Statistic=d.get("Statistic"),
            ExtendedStatistic=d.get("ExtendedStatistic"),
            Dimensions=d.get("Dimensions") or (),
            Unit=d.get("Unit"),
            DatapointsToAlarm=d.get("DatapointsToAlarm"),
            TreatMissingData=d.get("TreatMissingData"),
            EvaluateLowSampleCountPercentile=d.get("EvaluateLowSampleCountPercentile"),
            ActionsEnabled=d.get("ActionsEnabled", True),
            AlarmActions=d.get("AlarmActions") or (),
            OKActions=d.get("OKActions") or (),
            InsufficientDataActions=d.get("InsufficientDataActions") or (),
            AlarmDescription=d.get("AlarmDescription"),
        )

    def to_api_dict(self) -> dict[str, Any]:
        """The PutMetricAlarm request shape (unset optional fields omitted)."""
        out: dict[str, Any] = {
            "AlarmName": self.AlarmName,
            "MetricName": self.MetricName,
            "Namespace": self.Namespace,
            "Period": self.Period,
            "EvaluationPeriods": self.EvaluationPeriods,
            "Threshold": self.Threshold,
            "ComparisonOperator": self.ComparisonOperator,
        }
        optional: dict[str, Any] = {
            "Statistic": self.Statistic,
            "ExtendedStatistic": self.ExtendedStatistic,
            "Unit": self.Unit,
            "DatapointsToAlarm": self.DatapointsToAlarm,
            "TreatMissingData": self.TreatMissingData,
            "EvaluateLowSampleCountPercentile": self.EvaluateLowSampleCountPercentile,
            "AlarmDescription": self.AlarmDescription,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.Dimensions:
            out["Dimensions"] = [{"Name": n, "Value": v} for n, v in self.Dimensions]
        out["ActionsEnabled"] = self.ActionsEnabled
        out["AlarmActions"] = list(self.AlarmActions)
        out["OKActions"] = list(self.OKActions)
        out["InsufficientDataActions"] = list(self.InsufficientDataActions)
        return out

    # -- effective values --------------------------------------------------------------------------

    @property
    def statistic_name(self) -> str:
        """The Statistic, or the ExtendedStatistic when that is what the alarm uses."""
        name = self.Statistic if self.Statistic is not None else self.ExtendedStatistic
        if name is None:
            raise ValueError(f"alarm {self.AlarmName!r} has neither Statistic nor ExtendedStatistic")
        return name

    @property
    def statistic_spec(self) -> StatisticSpec:
        return parse_statistic(self.statistic_name)

    @property
    def datapoints_to_alarm(self) -> int:
        """M: DatapointsToAlarm, or EvaluationPeriods when unset."""
        return self.DatapointsToAlarm if self.DatapointsToAlarm is not None else self.EvaluationPeriods

    @property
    def treat_missing_data(self) -> str:
        """The missing-data treatment in force: ``ignore`` for AWS/DynamoDB, default ``missing``."""
        if self.Namespace == "AWS/DynamoDB":
            return "ignore"
        return self.TreatMissingData or "missing"

    @property
    def selector(self) -> MetricSelector:
        return MetricSelector(self.Namespace, self.MetricName, normalize_dimensions(self.Dimensions), self.Unit)

    def actions_for(self, state: StateValue) -> tuple[str, ...]:
        if state is StateValue.ALARM:
            return self.AlarmActions
        if state is StateValue.OK:
            return self.OKActions
        return self.InsufficientDataActions


def evaluation_range(evaluation_periods: int) -> int:
    """R, the number of buckets fetched per evaluation: N + max(floor(N/3), 2) (N=3 -> 5)."""
    return evaluation_periods + max(evaluation_periods // 3, 2)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation: when, the window end, the R buckets (newest first) and the decision."""

    at_ms: int
    window_end_ms: int
    buckets: tuple[Datapoint, ...]
    decision: Decision


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One DescribeAlarmHistory item (field names as in the API; Timestamp in epoch ms)."""

    AlarmName: str
    Timestamp: int
    HistoryItemType: str  # ConfigurationUpdate | StateUpdate
    HistorySummary: str
    HistoryData: str
    AlarmType: str = "MetricAlarm"

    def to_api_dict(self) -> dict[str, Any]:
        return {
            "AlarmName": self.AlarmName,
            "AlarmType": self.AlarmType,
            "Timestamp": json_timestamp(self.Timestamp),
            "HistoryItemType": self.HistoryItemType,
            "HistorySummary": self.HistorySummary,
            "HistoryData": self.HistoryData,
        }


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


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


@dataclass(slots=True)
class _Config:
    definition: MetricAlarmDefinition
    spec: StatisticSpec
    compare: Callable[[float, float], bool]
    selector: MetricSelector
    n: int
    m: int
    r: int
    period_ms: int
    span_ms: int
    align_ms: int  # window ends are multiples of this
    step_ms: int  # evaluation cadence
    treat: str
    low_sample_ignore: bool

    @classmethod
    def of(cls, d: MetricAlarmDefinition) -> _Config:
        n = d.EvaluationPeriods
        r = evaluation_range(n)
        period_ms = d.Period * 1000
        if d.Period < 60:
            align, step = TEN_SECONDS_MS, TEN_SECONDS_MS
        elif d.Period >= 3600 and n * period_ms > DAY_MS:
            align, step = MINUTE_MS, HOUR_MS
        else:
            align, step = MINUTE_MS, MINUTE_MS
        try:
            compare = COMPARISON_OPERATORS[d.ComparisonOperator]
        except KeyError:
            raise ValueError(f"unsupported ComparisonOperator {d.ComparisonOperator!r}") from None
        spec = d.statistic_spec
        return cls(
            definition=d,
            spec=spec,
            compare=compare,
            selector=d.selector,
            n=n,
            m=d.datapoints_to_alarm,
            r=r,
            period_ms=period_ms,
            span_ms=r * period_ms,
            align_ms=align,
            step_ms=step,
            treat=d.treat_missing_data,
            low_sample_ignore=(d.EvaluateLowSampleCountPercentile or "").lower() == "ignore",
        )


@dataclass(slots=True)
class _Mutable:
    state: StateValue = StateValue.INSUFFICIENT_DATA
    reason: str = INITIAL_REASON
    reason_data: dict[str, Any] | None = None
    updated_ms: int = 0
    last_at_ms: int | None = None
    quiet: bool = False  # the last evaluation saw an empty range and the state is its fixed point
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
        definition: MetricAlarmDefinition,
        source: MetricSource,
        *,
        region: str,
        account_id: str,
        created_ms: int,
        evaluation_offset_ms: int | None = None,
    ) -> None:
        self._cfg = _Config.of(definition)
        self._source = source
        self.region = region
        self.account_id = account_id
        self.created_ms = created_ms
        self.configuration_updated_ms = created_ms
        step = self._cfg.step_ms
        self._offset_ms = (created_ms if evaluation_offset_ms is None else evaluation_offset_ms) % step
        self._s = _Mutable(updated_ms=created_ms)
        self.last_evaluation: Evaluation | None = None
        self._s.history.append(
            HistoryItem(
                definition.AlarmName,
                created_ms,
                "ConfigurationUpdate",
                f'Alarm "{definition.AlarmName}" created',
                aws_json({"version": "1.0", "type": "Create", "createdAlarm": _history_config(definition)}),
            )
        )

    # -- read-only view ----------------------------------------------------------------------------

    @property
    def definition(self) -> MetricAlarmDefinition:
        return self._cfg.definition

    @property
    def state(self) -> StateValue:
        return self._s.state

    @property
    def state_reason(self) -> str:
        return self._s.reason

    @property
    def state_reason_data(self) -> str | None:
        """StateReasonData as the API returns it (a JSON string), or None."""
        data = self._s.reason_data
        return None if data is None else aws_json(data)

    @property
    def state_updated_ms(self) -> int:
        return self._s.updated_ms

    @property
    def history(self) -> list[HistoryItem]:
        return self._s.history

    @property
    def transitions(self) -> list[Transition]:
        return self._s.transitions

    @property
    def notifications(self) -> list[Notification]:
        return self._s.notifications

    @property
    def last_evaluated_ms(self) -> int | None:
        return self._s.last_at_ms

    # -- schedule ---------------------------------------------------------------------------------

    def _grid_at_or_after(self, t: int) -> int:
        step, off = self._cfg.step_ms, self._offset_ms
        return _ceil_div(t - off, step) * step + off

    def next_evaluation_ms(self) -> int:
        """When the next scheduled evaluation is due (the creation time if none has happened yet)."""
        last = self._s.last_at_ms
        return self.created_ms if last is None else self._grid_at_or_after(last + 1)

    # -- evaluation -------------------------------------------------------------------------------

    def _buckets(self, end_ms: int) -> tuple[Datapoint, ...]:
        """The R buckets (newest first) of the window ending at ``end_ms``."""
        cfg = self._cfg
        period, r = cfg.period_ms, cfg.r
        rows = self._source.minute_buckets(
            cfg.selector, _ceil_div(end_ms - cfg.span_ms, MINUTE_MS), _ceil_div(end_ms, MINUTE_MS)
        )
        if not rows:
            return tuple(Datapoint(end_ms - (j + 1) * period) for j in range(r))
        groups: list[list[Aggregate]] = [[] for _ in range(r)]
        last = end_ms - 1
        for minute, agg in rows:
            groups[(last - minute * MINUTE_MS) // period].append(agg)
        spec, compare, threshold = cfg.spec, cfg.compare, cfg.definition.Threshold
        out: list[Datapoint] = []
        for j, parts in enumerate(groups):
            start = end_ms - (j + 1) * period
            if not parts:
                out.append(Datapoint(start))
                continue
            value, count = compute_parts(spec, parts)
            if value is None or math.isnan(value):
                out.append(Datapoint(start, None, count))
            else:
                out.append(Datapoint(start, value, count, compare(value, threshold), is_low_sample_count(spec, count)))
        return tuple(out)

    def evaluate(self, at_ms: int) -> Transition | None:
        """Evaluate once at ``at_ms``; returns the transition if the state changed."""
        s, cfg = self._s, self._cfg
        if s.last_at_ms is not None and at_ms < s.last_at_ms:
            raise ValueError(f"evaluation time went backwards: {at_ms} < {s.last_at_ms}")
        end_ms = at_ms - at_ms % cfg.align_ms
        buckets = self._buckets(end_ms)
        decision = decide(buckets, cfg.n, cfg.m, cfg.treat)
        if cfg.low_sample_ignore and any(p.low_sample for p in decision.evaluated):
            decision = replace(decision, outcome=None, rule=Rule.LOW_SAMPLE)
        evaluation = Evaluation(at_ms, end_ms, buckets, decision)
        self.last_evaluation = evaluation
        s.last_at_ms = at_ms
        s.quiet = decision.rule is Rule.ALL_MISSING
        if decision.outcome is None or decision.outcome is s.state:
            return None
        reason = state_reason(cfg.definition, decision)
        data = state_reason_data(cfg.definition, decision, at_ms)
        return self._transition(at_ms, decision.outcome, reason, data, evaluation)

    def advance(self, until_ms: int) -> list[Transition]:
        """Run every scheduled evaluation up to and including ``until_ms``; return the transitions.

        Skipping is exact, not approximate. After an evaluation whose whole range was empty, the
        state is the fixed point of that situation (INSUFFICIENT_DATA, ALARM, OK or unchanged,
        by TreatMissingData): evaluating another empty range cannot change it. So while that
        holds, an evaluation is skipped whenever the source has no datapoint in its range (one
        bisection instead of building the buckets), and the run jumps straight to the first
        evaluation whose range can hold the next datapoint. The transitions, state and history
        are identical to evaluating every scheduled time against the same source, including when
        data (late data too) is added between calls. Only :attr:`last_evaluation` differs: it
        stays the last evaluation actually computed.
        """
        s, cfg = self._s, self._cfg
        out: list[Transition] = []
        t = self.next_evaluation_ms()
        while t <= until_ms:
            if s.quiet:
                end = t - t % cfg.align_ms
                nxt = self._source.next_data_minute(cfg.selector, _ceil_div(end - cfg.span_ms, MINUTE_MS))
                if nxt is None or nxt * MINUTE_MS >= end:
                    # The range at t is empty, and so is every later range that ends at or before
                    # the next datapoint: the first one that can see it ends just after it.
                    resume = until_ms + 1 if nxt is None else nxt * MINUTE_MS + cfg.align_ms
                    skipped_to = self._grid_at_or_after(resume)
                    s.last_at_ms = min(skipped_to - cfg.step_ms, self._grid_at_or_after(until_ms - cfg.step_ms + 1))
                    t = skipped_to
                    continue
            tr = self.evaluate(t)
            if tr is not None:
                out.append(tr)
            t = self._grid_at_or_after(t + 1)
        return out

    # -- state changes ----------------------------------------------------------------------------

    def _transition(
        self,
        at_ms: int,
        new_state: StateValue,
        reason: str,
        reason_data: dict[str, Any] | None,
        evaluation: Evaluation | None,
    ) -> Transition:
        s, d = self._s, self._cfg.definition
        old_state = s.state
        history_data = history_data_for_state_update(old_state, s.reason, s.reason_data, new_state, reason, reason_data)
        s.state, s.reason, s.reason_data, s.updated_ms = new_state, reason, reason_data, at_ms
        s.history.append(
            HistoryItem(
                d.AlarmName,
                at_ms,
                "StateUpdate",
                f"Alarm updated from {old_state} to {new_state}",
                aws_json(history_data),
            )
        )
        actions = d.actions_for(new_state) if d.ActionsEnabled else ()
        topics = tuple(a for a in actions if _is_sns_topic(a))
        notification = None
        if topics:
            notification = build_notification(
                d,
                region=self.region,
                account_id=self.account_id,
                old_state=str(old_state),
                new_state=str(new_state),
                reason=reason,
                at_ms=at_ms,
                configuration_updated_ms=self.configuration_updated_ms,
                topic_arns=topics,
            )
            s.notifications.append(notification)
        tr = Transition(
            at_ms,
            old_state,
            new_state,
            reason,
            None if reason_data is None else aws_json(reason_data),
            actions,
            notification,
            evaluation,
        )
        s.transitions.append(tr)
        return tr

    def set_state(
        self, state: StateValue | str, reason: str, at_ms: int, reason_data: str | None = None
    ) -> Transition | None:
        """SetAlarmState: change the state until the next evaluation; actions run on a change."""
        new_state = StateValue(state)
        self._s.quiet = False
        if new_state is self._s.state:
            return None
        data = None if reason_data is None else json.loads(reason_data)
        return self._transition(at_ms, new_state, reason, data, None)

    def update_definition(self, definition: MetricAlarmDefinition, at_ms: int) -> None:
        """PutMetricAlarm on an existing alarm: configuration replaced, state unchanged."""
        if definition.AlarmName != self._cfg.definition.AlarmName:
            raise ValueError("update_definition cannot rename an alarm")
        original = self._cfg.definition
        self._cfg = _Config.of(definition)
        self._offset_ms %= self._cfg.step_ms
        self.configuration_updated_ms = at_ms
        self._s.quiet = False
        self._s.history.append(
            HistoryItem(
                definition.AlarmName,
                at_ms,
                "ConfigurationUpdate",
                f'Alarm "{definition.AlarmName}" updated',
                aws_json(
                    {
                        "version": "1.0",
                        "type": "Update",
                        "updatedAlarm": _history_config(definition),
                        "originalAlarm": _history_config(original),
                    }
                ),
            )
        )


def _is_sns_topic(arn: str) -> bool:
    """``arn:<partition>:sns:<region>:<account>:<topic>``: notifications go to SNS topics only."""
    parts = arn.split(":")
    return len(parts) >= 6 and parts[0] == "arn" and parts[2] == "sns"


def _history_config(d: MetricAlarmDefinition) -> dict[str, Any]:
    """The alarm configuration as ConfigurationUpdate history data carries it (lowerCamelCase)."""
    out: dict[str, Any] = {
        "alarmName": d.AlarmName,
        "namespace": d.Namespace,
        "metricName": d.MetricName,
        "dimensions": [{"name": n, "value": v} for n, v in d.Dimensions],
        "period": d.Period,
        "evaluationPeriods": d.EvaluationPeriods,
        "threshold": d.Threshold,
        "comparisonOperator": d.ComparisonOperator,
        "actionsEnabled": d.ActionsEnabled,
        "alarmActions": list(d.AlarmActions),
        "okActions": list(d.OKActions),
        "insufficientDataActions": list(d.InsufficientDataActions),
    }
    optional = {
        "alarmDescription": d.AlarmDescription,
        "statistic": d.Statistic,
        "extendedStatistic": d.ExtendedStatistic,
        "unit": d.Unit,
        "datapointsToAlarm": d.DatapointsToAlarm,
        "treatMissingData": d.TreatMissingData,
        "evaluateLowSampleCountPercentile": d.EvaluateLowSampleCountPercentile,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out
