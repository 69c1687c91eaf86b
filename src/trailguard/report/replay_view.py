"""The replay document (``trailguard replay --output json``) read into typed objects, each field checked.

The alarm's definition (statistic, Period, threshold, dimensions) is not a field of its own in the document: it is
read from the alarm's history, whose ConfigurationUpdate items carry it exactly as CloudWatch's
DescribeAlarmHistory does (``createdAlarm`` / ``updatedAlarm`` in HistoryData). A document without that history
still renders, without the threshold line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from trailguard.report.document import DocumentError, Node, parse_time
from trailguard.report.timeline import MinuteAggregate

__all__ = [
    "AlarmDefinition",
    "AlarmRecord",
    "FilterRecord",
    "InputRecord",
    "MetricSeries",
    "NotificationRecord",
    "ReplayDocument",
    "TransitionRecord",
    "read_replay_document",
]


@dataclass(frozen=True, slots=True)
class AlarmDefinition:
    statistic: str  # Statistic or ExtendedStatistic
    period_s: int
    threshold: float | None
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    dimensions: dict[str, str]
    unit: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    at_ms: int
    topics: list[str]
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    at_ms: int
    old_state: str
    new_state: str
    reason: str
    actions: list[str]


@dataclass(slots=True)
class AlarmRecord:
    name: str
    namespace: str
    metric_name: str
    state: str
    state_reason: str
    created_ms: int | None
    definition: AlarmDefinition | None
    transitions: list[TransitionRecord]
    notifications: list[NotificationRecord]


@dataclass(frozen=True, slots=True)
class MetricSeries:
    namespace: str
    name: str
    dimensions: dict[str, str]
    unit: str | None
    points: list[MinuteAggregate]


@dataclass(frozen=True, slots=True)
class FilterRecord:
    name: str
    log_group: str
    pattern: str
    namespace: str
    metric_name: str
    events: int
    matched: int
    published: int
    defaults: int
    problems: dict[str, int]  # counter name -> count, only the non-zero ones
    disabled_ms: int | None


@dataclass(frozen=True, slots=True)
class InputRecord:
    sources: list[str]
    files: int
    files_skipped: int
    files_not_regular: int
    bytes: int
    events: int
    events_in_window: int
    events_outside_window: int
    quarantined: int
    quarantined_by_reason: dict[str, int]
    quarantine_file: str | None
    quarantine_not_written: int
    warnings: list[str]
    first_event_ms: int | None
    last_event_ms: int | None


@dataclass(slots=True)
class ReplayDocument:
    alarms: list[AlarmRecord]
    metrics: list[MetricSeries]
    filters: list[FilterRecord]
    window_start_ms: int | None
    window_end_ms: int | None
    input: InputRecord


def read_replay_document(document: Mapping[str, Any]) -> ReplayDocument:
    """The document read and checked; DocumentError names the first field that is wrong."""
    root = Node(document)
    window = root.node("window")
    return ReplayDocument(
        alarms=[_alarm(node) for node in root.nodes("alarms")],
        metrics=[_metric(node) for node in root.nodes("metrics")],
        filters=[_filter(node) for node in root.nodes("filters")],
        window_start_ms=window.optional_time("start"),
        window_end_ms=window.optional_time("end"),
        input=_input(root.node("input")),
    )


def _alarm(node: Node) -> AlarmRecord:
    metric = node.node("metric")
    created_ms, definition = _definition(node)
    return AlarmRecord(
        name=node.text("name"),
        namespace=metric.text("namespace"),
        metric_name=metric.text("name"),
        state=node.text("state"),
        state_reason=node.text("stateReason", ""),
        created_ms=created_ms,
        definition=definition,
        transitions=_transitions(node),
        notifications=_notifications(node),
    )


# A long replay has tens of thousands of transitions and notifications: they are read with a plain loop, and only
# when one is wrong read again field by field, for an error that names it.


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if type(value) is not list or any(type(item) is not str for item in value):
        raise TypeError
    return value


def _transitions(node: Node) -> list[TransitionRecord]:
    try:
        out = []
        for t in node.items("transitions"):
            old, new, reason = t["from"], t["to"], t.get("reason", "")
            if type(old) is not str or type(new) is not str or type(reason) is not str:
                raise TypeError
            out.append(TransitionRecord(parse_time(t["time"]), old, new, reason, _strings(t.get("actions"))))
        return out
    except (TypeError, KeyError, ValueError, AttributeError):
        return [
            TransitionRecord(
                at_ms=t.time("time"),
                old_state=t.text("from"),
                new_state=t.text("to"),
                reason=t.text("reason", ""),
                actions=t.texts("actions"),
            )
            for t in node.nodes("transitions")
        ]


def _notifications(node: Node) -> list[NotificationRecord]:
    try:
        out = []
        for n in node.items("notifications", required=False):
            subject, message = n.get("subject", ""), n["message"]
            if type(subject) is not str or type(message) is not str:
                raise TypeError
            out.append(NotificationRecord(parse_time(n["time"]), _strings(n.get("topics")), subject, message))
        return out
    except (TypeError, KeyError, ValueError, AttributeError):
        return [
            NotificationRecord(
                at_ms=n.time("time"), topics=n.texts("topics"), subject=n.text("subject", ""), message=n.text("message")
            )
            for n in node.nodes("notifications", required=False)
        ]


def _definition(alarm: Node) -> tuple[int | None, AlarmDefinition | None]:
    """The creation time and the newest definition, from the ConfigurationUpdate items of the history."""
    created_ms: int | None = None
    definition: AlarmDefinition | None = None
    for index, raw in enumerate(alarm.items("history", required=False)):
        # State updates, the bulk of a long history, are not read at all.
        if not isinstance(raw, dict) or raw.get("HistoryItemType") != "ConfigurationUpdate":
            continue
        item = Node(raw, f"{alarm.path}.history[{index}]")
        try:
            data = orjson.loads(item.text("HistoryData"))
        except orjson.JSONDecodeError as error:
            raise DocumentError(f"{item.path}.HistoryData: not valid JSON: {error.msg}") from None
        if not isinstance(data, dict):
            continue
        body = data.get("updatedAlarm") or data.get("createdAlarm")
        if not isinstance(body, dict):
            continue
        if data.get("type") == "Create":
            try:
                created_ms = parse_time(item.text("Timestamp"))
            except ValueError:
                raise DocumentError(f"{item.path}.Timestamp: expected an ISO 8601 time with a zone") from None
        if definition is None:  # the history is newest first: the first definition found is in force
            definition = _definition_of(Node(body, f"{item.path}.HistoryData"))
    return created_ms, definition


def _definition_of(body: Node) -> AlarmDefinition:
    statistic = body.optional_text("statistic") or body.optional_text("extendedStatistic") or "Sum"
    evaluation_periods = int(body.number("evaluationPeriods", 1))
    dimensions: dict[str, str] = {}
    for dimension in body.nodes("dimensions", required=False):
        dimensions[dimension.text("name")] = dimension.text("value")
    return AlarmDefinition(
        statistic=statistic,
        period_s=int(body.number("period")),
        threshold=body.optional_number("threshold"),
        comparison=body.text("comparisonOperator", ""),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=int(body.optional_number("datapointsToAlarm") or evaluation_periods),
        treat_missing_data=body.optional_text("treatMissingData") or "missing",
        dimensions=dimensions,
        unit=body.optional_text("unit"),
        description=body.optional_text("alarmDescription"),
    )


def _metric(node: Node) -> MetricSeries:
    dimensions = node.mapping("dimensions")
    for key, value in dimensions.items():
        if not isinstance(value, str):
            raise DocumentError(f"{node.path}.dimensions.{key}: expected a string")
    points = _datapoints(node)
    points.sort(key=lambda p: p.minute_ms)
    return MetricSeries(node.text("namespace"), node.text("name"), dimensions, node.optional_text("unit"), points)


def _datapoints(node: Node) -> list[MinuteAggregate]:
    """A series' datapoints. A long replay has about 100,000 of them: read with a plain loop, and only when one is
    wrong read again field by field, for an error that names it."""
    points = []
    try:
        numbers = (int, float)
        for point in node.items("datapoints"):
            count, total, low, high = point["sampleCount"], point["sum"], point["minimum"], point["maximum"]
            if type(count) not in numbers or type(total) not in numbers or type(low) not in numbers:
                raise TypeError
            if type(high) not in numbers:
                raise TypeError
            points.append(MinuteAggregate(parse_time(point["time"]), count, total, low, high))
    except (TypeError, KeyError, ValueError):
        points = [
            MinuteAggregate(
                minute_ms=point.time("time"),
                count=point.number("sampleCount"),
                sum=point.number("sum"),
                minimum=point.number("minimum"),
                maximum=point.number("maximum"),
            )
            for point in node.nodes("datapoints")
        ]
    return points


_FILTER_PROBLEMS = {
    "nonNumeric": "values that were not numbers",
    "outOfRange": "values out of CloudWatch's range",
    "missingValue": "events without the value's field",
    "dimensionless": "events without a dimension's field",
    "afterDisabled": "matches after the filter was disabled",
}


def _filter(node: Node) -> FilterRecord:
    metric = node.node("metric")
    problems = {words: int(node.number(key, 0)) for key, words in _FILTER_PROBLEMS.items() if node.number(key, 0) > 0}
    return FilterRecord(
        name=node.text("name"),
        log_group=node.text("logGroup", ""),
        pattern=node.text("pattern", ""),
        namespace=metric.text("namespace"),
        metric_name=metric.text("name"),
        events=int(node.number("events", 0)),
        matched=int(node.number("matched", 0)),
        published=int(node.number("published", 0)),
        defaults=int(node.number("defaults", 0)),
        problems=problems,
        disabled_ms=node.optional_time("disabledAt"),
    )


def _input(node: Node) -> InputRecord:
    by_reason = {}
    for reason, count in node.mapping("quarantinedByReason").items():
        if isinstance(count, bool) or not isinstance(count, int):
            raise DocumentError(f"{node.path}.quarantinedByReason.{reason}: expected a number")
        by_reason[reason] = count
    return InputRecord(
        sources=node.texts("sources"),
        files=int(node.number("files", 0)),
        files_skipped=int(node.number("filesSkipped", 0)),
        files_not_regular=int(node.number("filesNotRegular", 0)),
        bytes=int(node.number("bytes", 0)),
        events=int(node.number("events", 0)),
        events_in_window=int(node.number("eventsInWindow", 0)),
        events_outside_window=int(node.number("eventsOutsideWindow", 0)),
        quarantined=int(node.number("quarantined", 0)),
        quarantined_by_reason=by_reason,
        quarantine_file=node.optional_text("quarantineFile"),
        quarantine_not_written=int(node.number("quarantineNotWritten", 0)),
        warnings=node.texts("warnings"),
        first_event_ms=node.optional_time("firstEventTime"),
        last_event_ms=node.optional_time("lastEventTime"),
    )
