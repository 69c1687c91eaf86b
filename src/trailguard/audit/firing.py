"""Would one required event make this alarm fire? Decided by simulation with the engine, never by reading fields.

The CIS audit procedure only checks that an alarm exists on the filter's metric. Whether it can ever reach ALARM
depends on everything else in its definition — statistic, period, threshold, operator, evaluation periods,
datapoints to alarm, missing-data treatment — and on what the metric filter publishes for the event. So the audit
runs the real thing: the filter (:class:`~trailguard.engine.metrics.CompiledMetricFilter`) publishes the event into
a metric store, and the alarm (:class:`~trailguard.engine.alarms.AlarmEvaluator`) is evaluated minute by minute as
CloudWatch evaluates it, from a steady state well before the event until it has settled after it.

The simulated log group is a CloudTrail log group: events arrive all the time. A filter with a ``defaultValue``
publishes it for every other event, so the simulation adds one non-matching event per minute throughout (that is
what makes an ``Average`` alarm over a busy log group dilute a single 1 into a fraction); a filter without one
publishes nothing for them, and then the background changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from trailguard.engine.aggregates import MINUTE_MS, MetricStore, SeriesKey
from trailguard.engine.alarms import AlarmEvaluator, alarm_selector, evaluation_range
from trailguard.engine.decision import StateValue
from trailguard.engine.metrics import compile_filter
from trailguard.model import Alarm, MetricFilter
from trailguard.pattern import LogEvent

__all__ = ["FiringResult", "simulate_alarm"]

# A fixed, arbitrary epoch for the simulation: 2026-01-01T00:00:00Z. Nothing depends on its value.
_BASE_MS: Final = 1_767_225_600_000
_BACKGROUND_MESSAGE: Final = '{"eventVersion":"1.09","eventName":"trailguard-background","eventSource":"none"}'


@dataclass(frozen=True)
class FiringResult:
    """What one required event did: the value the filter published for it, whether the alarm went to ALARM
    (``fires``), how long after the event, with which StateReason — or, when it did not, ``problem`` says why,
    and ``broken`` names the link at fault (``metricFilter`` when the filter publishes nothing usable, ``alarm``
    otherwise)."""

    fires: bool
    published_value: float | None
    fired_after_seconds: float | None = None
    state_reason: str | None = None
    problem: str | None = None
    broken: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fires": self.fires,
            "publishedValue": self.published_value,
            "firedAfterSeconds": self.fired_after_seconds,
            "stateReason": self.state_reason,
            "problem": self.problem,
            "brokenLink": self.broken,
        }


def simulate_alarm(
    alarm: Alarm, metric_filter: MetricFilter, event: dict[str, Any], *, account_id: str, region: str
) -> FiringResult:
    """Publish ``event`` (a CloudTrail record the control requires) through ``metric_filter`` and evaluate
    ``alarm`` around it; see the module docstring."""
    compiled = compile_filter(metric_filter, account_id=account_id, region=region)
    store = MetricStore()
    period_ms = alarm.period * 1000
    # Long enough for the alarm to settle before the event, and to react and settle after it.
    settle_ms = (evaluation_range(alarm.evaluation_periods) + 2) * max(period_ms, MINUTE_MS)
    event_ms = _BASE_MS + settle_ms + 30_000  # mid-minute, as real events are
    end_ms = event_ms + settle_ms + 2 * MINUTE_MS

    published: list[tuple[SeriesKey, float]] = []

    def capture(series: SeriesKey, minute_ms: int, value: float) -> None:
        published.append((series, value))
        store.publish(series, minute_ms, value)

    compiled.publish(LogEvent(orjson.dumps(event).decode(), parsed=event), event_ms, capture, None)
    if not published:
        return FiringResult(
            False,
            None,
            problem=_why_nothing_published(compiled.counters.as_dict(), metric_filter),
            broken="metricFilter",
        )
    series, value = published[0]
    if compiled.counters.matched == 0:
        return FiringResult(
            False,
            value,
            problem=f"the filter does not match the event; it publishes only its default ({value:g})",
            broken="metricFilter",
        )
    selector = alarm_selector(alarm)
    if (series.namespace, series.name, series.dimensions) != (selector.namespace, selector.name, selector.dimensions):
        return FiringResult(
            False,
            value,
            problem=(
                f"the alarm watches {_describe(selector.namespace, selector.name, selector.dimensions)}, but the "
                f"filter publishes the event to {_describe(series.namespace, series.name, series.dimensions)}"
            ),
            broken="alarm",
        )
    if selector.unit is not None and selector.unit != series.unit:
        return FiringResult(
            False,
            value,
            problem=f"the alarm reads only unit {selector.unit}, but the filter publishes unit {series.unit}",
            broken="alarm",
        )
    if compiled.default_value is not None:
        for minute_ms in range(_BASE_MS, end_ms, MINUTE_MS):
            compiled.publish(LogEvent(_BACKGROUND_MESSAGE), minute_ms + 1_000, store.publish, False)

    evaluator = AlarmEvaluator(alarm, store, region=region, account_id=account_id, created_ms=_BASE_MS)
    evaluator.advance(event_ms - event_ms % MINUTE_MS)
    before = evaluator.state
    if before is StateValue.ALARM:
        return FiringResult(
            False,
            value,
            problem=(
                "the alarm is in ALARM before any required event happens ("
                + evaluator.state_reason
                + "), so an event changes nothing and notifies no one"
            ),
            broken="alarm",
        )
    for transition in evaluator.advance(end_ms):
        if transition.new_state is StateValue.ALARM:
            return FiringResult(
                True,
                value,
                fired_after_seconds=(transition.at_ms - event_ms) / 1000,
                state_reason=transition.reason,
            )
    if value <= 0:
        return FiringResult(
            False,
            value,
            problem=(
                f"the filter publishes {value:g} for a required event (metricValue "
                f"{metric_filter.metric_transformation.metric_value}), so the metric never shows it"
            ),
            broken="metricFilter",
        )
    evaluation = evaluator.last_evaluation
    seen = ""
    if evaluation is not None:
        values = [point.value for point in evaluation.buckets if point.value is not None]
        if values:
            seen = f"; the alarm's statistic ({alarm.statistic_name}) reached at most {max(values):g}"
    return FiringResult(
        False,
        value,
        problem=(
            f"one event publishes {value:g}, and the alarm ({alarm.statistic_name} over {alarm.period} s "
            f"{alarm.comparison_operator} {alarm.threshold:g}, {alarm.effective_datapoints_to_alarm} of "
            f"{alarm.evaluation_periods} periods, missing data {alarm.effective_treat_missing_data}) never goes "
            f"to ALARM{seen}"
        ),
        broken="alarm",
    )


def _why_nothing_published(counters: dict[str, int | None], metric_filter: MetricFilter) -> str:
    value = metric_filter.metric_transformation.metric_value
    if counters["non_numeric"]:
        return f"the event's {value} is not a number, so the filter publishes nothing for it"
    if counters["missing_value"]:
        return f"the event has no {value}, and the filter has no default, so it publishes nothing for it"
    if counters["out_of_range"]:
        return f"the event's {value} is beyond what CloudWatch accepts, so nothing is published"
    return "the filter does not match the event, and has no default value"


def _describe(namespace: str, name: str, dimensions: tuple[tuple[str, str], ...]) -> str:
    dims = ", ".join(f"{k}={v}" for k, v in dimensions)
    return f"{namespace}/{name}" + (f" {{{dims}}}" if dims else " (no dimensions)")
