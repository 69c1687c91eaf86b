"""Metric filters: turn each log event into the datapoint CloudWatch Logs would publish.

Semantics (cloudwatch-semantics.md §2, corrected by the live probes of §0.5):
- a matching event publishes ``metricValue`` — a number, ``$.json.selector``, ``$field`` or ``$N``;
- a non-matching event publishes ``defaultValue`` when one is set (once per event, not per minute);
- a matching event whose value field is missing or null publishes the default (if any); a value that
  is not a number publishes nothing and is counted;
- an event lacking a dimension value is published to the series without dimensions;
- every datapoint belongs to the minute of its event's timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trailguard.engine.aggregates import MINUTE_MS, SeriesKey
from trailguard.pattern import CompiledPattern, LogEvent, compile_pattern
from trailguard.pattern.event import NOT_JSON
from trailguard.pattern.selectors import MISSING, compile_selector
from trailguard.pattern.values import NUMBER_LITERAL, number_text

__all__ = ["FilterCounters", "MetricFilterRule"]

_FIELD_REFERENCE: Final = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_-]*|[1-9][0-9]*)\Z")


@dataclass(slots=True)
class FilterCounters:
    """What a filter did with the events it saw; non-numeric values are counted, never silent.

    Events that neither match nor earn a default leave no trace here: the caller counts events.
    """

    matched: int = 0
    published: int = 0
    defaults: int = 0
    non_numeric: int = 0
    missing_value: int = 0
    dimensionless: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


Extractor = Callable[[LogEvent, Mapping[str, str]], Any]


def _extractor(reference: str) -> Extractor:
    """Read a ``$.selector``, ``$field`` or ``$N`` from an event and its match's extracted values."""
    if reference.startswith("$."):
        select = compile_selector(reference)

        def from_json(event: LogEvent, _: Mapping[str, str]) -> Any:
            document = event.json
            return MISSING if document is NOT_JSON else select(document)  # type: ignore[arg-type]

        return from_json
    if _FIELD_REFERENCE.match(reference):
        return lambda _, extracted: extracted.get(reference, MISSING)
    raise ValueError(f"not a value reference: {reference!r}")


def _as_number(value: Any) -> float | None:
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    if kind is str and NUMBER_LITERAL.match(value.strip()):
        return float(value)
    return None


def _as_dimension(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return value if value else None
    if kind is int or kind is float:
        return number_text(value)
    if kind is bool:
        return "true" if value else "false"
    return None


class MetricFilterRule:
    """One PutMetricFilter definition, compiled: ``publish(event, timestamp_ms, sink)`` per event."""

    __slots__ = (
        "_dimensions",
        "_literal_value",
        "_needs_extracted",
        "_value",
        "counters",
        "default_value",
        "filter_name",
        "log_group_name",
        "pattern",
        "series",
    )

    def __init__(
        self,
        *,
        filter_name: str,
        filter_pattern: str | CompiledPattern,
        metric_name: str,
        metric_namespace: str,
        metric_value: str,
        default_value: float | None = None,
        dimensions: Mapping[str, str] | None = None,
        unit: str | None = None,
        log_group_name: str = "",
    ) -> None:
        self.filter_name = filter_name
        self.log_group_name = log_group_name
        self.pattern = (
            filter_pattern if isinstance(filter_pattern, CompiledPattern) else compile_pattern(filter_pattern)
        )
        self.default_value = default_value
        self.series = SeriesKey(metric_namespace, metric_name, (), unit or "None")
        literal = _as_number(metric_value) if not metric_value.startswith("$") else None
        self._literal_value = literal
        self._value: Extractor | None = None if literal is not None else _extractor(metric_value)
        self._dimensions = tuple(sorted((name, _extractor(ref)) for name, ref in (dimensions or {}).items()))
        # Only $field / $N references need a delimited match's extracted values; a literal value or $.json
        # selectors do not, so the pattern's verdict alone (often already known to the caller) suffices.
        references = [metric_value, *(dimensions or {}).values()]
        self._needs_extracted = self.pattern.family == "delimited" and any(
            _FIELD_REFERENCE.match(reference) for reference in references
        )
        self.counters = FilterCounters()

    @classmethod
    def from_api_dict(cls, definition: Mapping[str, Any]) -> MetricFilterRule:
        """Build from the PutMetricFilter request shape (one metricTransformation)."""
        (transformation,) = definition["metricTransformations"]
        return cls(
            filter_name=definition["filterName"],
            filter_pattern=definition.get("filterPattern", ""),
            log_group_name=definition.get("logGroupName", ""),
            metric_name=transformation["metricName"],
            metric_namespace=transformation["metricNamespace"],
            metric_value=transformation["metricValue"],
            default_value=transformation.get("defaultValue"),
            dimensions=transformation.get("dimensions"),
            unit=transformation.get("unit"),
        )

    def publish(
        self,
        event: LogEvent,
        timestamp_ms: int,
        sink: Callable[[SeriesKey, int, float], None],
        matched: bool | None = None,
    ) -> None:
        """Send this event's datapoint (if any) to ``sink(series, minute_start_ms, value)``.

        ``matched`` may carry the pattern's verdict when the caller already has it (a ``PatternSet``
        tests many filters' patterns at once); otherwise the pattern is tested here.
        """
        counters = self.counters
        minute = timestamp_ms - timestamp_ms % MINUTE_MS
        extracted: Mapping[str, str] = {}
        if self._needs_extracted and matched is not False:
            match = self.pattern.match_event(event)
            matched = match is not None
            if match is not None:
                extracted = match.extracted_values
        elif matched is None:
            matched = self.pattern.test_event(event)
        if not matched:
            if self.default_value is not None:
                counters.defaults += 1
                sink(self.series, minute, self.default_value)
            return
        counters.matched += 1
        value = self._literal_value
        if value is None:
            assert self._value is not None
            raw = self._value(event, extracted)
            if raw is MISSING or raw is None:
                counters.missing_value += 1
                if self.default_value is None:
                    return
                value = self.default_value
            else:
                value = _as_number(raw)
                if value is None:
                    counters.non_numeric += 1
                    return
        series = self.series
        if self._dimensions:
            series = self._series_for(event, extracted)
        counters.published += 1
        sink(series, minute, value)

    def _series_for(self, event: LogEvent, extracted: Mapping[str, str]) -> SeriesKey:
        values = []
        for name, extract in self._dimensions:
            value = _as_dimension(extract(event, extracted))
            if value is None:
                # An event without a dimension value is counted in the series without dimensions.
                self.counters.dimensionless += 1
                return self.series
            values.append((name, value))
        return SeriesKey(self.series.namespace, self.series.name, tuple(values), self.series.unit)
