"""Metric filters at work: turn each log event into the datapoint CloudWatch Logs would publish.

The filter itself is the model's :class:`~trailguard.model.MetricFilter` (validated once, when loaded);
:class:`CompiledMetricFilter` is that definition compiled for the hot path, plus the counters of what it did.
The rules, each with its source, are in docs/semantics.md ("Metric filters"):

- a matching event publishes ``metricValue`` — a number, ``$.json.selector``, ``$field`` or ``$N``;
- a non-matching event publishes ``defaultValue`` when one is set (once per event, not per minute);
- a matching event whose value field is missing or null publishes the default (if any); a value that
  is not a number publishes nothing and is counted, as is a number CloudWatch would refuse (beyond ±2^360);
- an event lacking a dimension value is published without dimensions (not with a partial set);
- ``emitSystemFieldDimensions`` adds ``@aws.account`` / ``@aws.region`` dimensions to matching events: the
  account and region of the log group (trailguard replays one account's own log group, not a centralised one);
  a non-matching event's default carries no dimensions (recorded);
- a filter that produces 1,000 different dimension name/value pairs within one hour is disabled from then on;
- every datapoint belongs to the minute of its event's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.engine.aggregates import MINUTE_MS, NO_UNIT, SeriesKey
from trailguard.model import MetricFilter
from trailguard.model.constants import MAX_DIMENSION_VALUES_PER_HOUR, MAX_METRIC_VALUE_MAGNITUDE
from trailguard.pattern import CompiledPattern, LogEvent, PatternSet, compile_pattern
from trailguard.pattern.references import MISSING, FieldReference, ValueReader, compile_reference, parse_reference
from trailguard.pattern.values import NUMBER_LITERAL, scalar_text

__all__ = ["CompiledMetricFilter", "FilterCounters", "MetricFilterSet", "Sink", "compile_filter"]

HOUR_MS: Final = 3_600_000
#: Where a metric filter sends a datapoint: ``sink(series, minute_start_ms, value)``.
Sink = Callable[[Any, int, float], None]

# Dimension pairs are counted per clock hour of event time. Replays read files roughly in time order but
# not exactly; hours this far behind the newest one seen are final and their sets are dropped, so memory
# stays bounded over archives of any length.
_TRACKED_HOURS_BEHIND: Final = 48


@dataclass(slots=True)
class FilterCounters:
    """What a filter did with the events it saw; values it could not publish are counted, never silent.

    Events that neither match nor earn a default leave no trace here: the caller counts events.
    ``disabled_at_ms`` is the event time at which the filter hit the dimension-value limit (None: never).
    """

    matched: int = 0
    published: int = 0
    defaults: int = 0
    non_numeric: int = 0
    out_of_range: int = 0
    missing_value: int = 0
    dimensionless: int = 0
    after_disabled: int = 0
    disabled_at_ms: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in self.__slots__}

    def merge(self, other: FilterCounters) -> None:
        for name in self.__slots__:
            if name == "disabled_at_ms":
                continue
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.disabled_at_ms is not None:
            mine = self.disabled_at_ms
            self.disabled_at_ms = other.disabled_at_ms if mine is None else min(mine, other.disabled_at_ms)


def _as_number(value: Any) -> float | None:
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    if kind is str and NUMBER_LITERAL.match(value.strip()):
        return float(value)
    return None


def _as_dimension(value: Any) -> str | None:
    if value is True or value is False:
        return "true" if value else "false"
    text = scalar_text(value)
    return text if text else None  # an empty string is no dimension value


class _DimensionLimit:
    """CloudWatch Logs' limit on different dimension name/value pairs a filter may produce within one hour."""

    __slots__ = ("_hours", "_newest_hour")

    def __init__(self) -> None:
        self._hours: dict[int, set[tuple[str, str]]] = {}
        self._newest_hour = 0

    def admits(self, pairs: tuple[tuple[str, str], ...], timestamp_ms: int) -> bool:
        """Record ``pairs`` in their hour; False when they bring it to the limit (the filter is disabled)."""
        hour = timestamp_ms // HOUR_MS
        seen = self._hours.get(hour)
        if seen is None:
            if hour > self._newest_hour:
                self._newest_hour = hour
                horizon = hour - _TRACKED_HOURS_BEHIND
                for old in [h for h in self._hours if h < horizon]:
                    del self._hours[old]
            seen = self._hours[hour] = set()
        new = [pair for pair in pairs if pair not in seen]
        if not new:
            return True
        if len(seen) + len(new) >= MAX_DIMENSION_VALUES_PER_HOUR:
            return False
        seen.update(new)
        return True


class CompiledMetricFilter:
    """One metric filter compiled: ``publish(event, timestamp_ms, sink)`` per event of its log group."""

    __slots__ = (
        "_dimension_limit",
        "_dimensions",
        "_literal_value",
        "_needs_extracted",
        "_plain_series",
        "_system_dimensions",
        "_value",
        "counters",
        "definition",
        "pattern",
        "series",
    )

    def __init__(
        self,
        definition: MetricFilter,
        *,
        account_id: str,
        region: str,
        pattern: CompiledPattern | None = None,
    ) -> None:
        self.definition = definition
        self.pattern = pattern if pattern is not None else compile_pattern(definition.filter_pattern)
        transformation = definition.metric_transformation
        system_values = {"@aws.account": account_id, "@aws.region": region}
        self._system_dimensions = tuple((name, system_values[name]) for name in definition.emit_system_field_dimensions)
        self.series = SeriesKey(
            transformation.metric_namespace,
            transformation.metric_name,
            self._system_dimensions,
            transformation.unit or NO_UNIT,
        )
        self._plain_series = SeriesKey(
            transformation.metric_namespace, transformation.metric_name, (), transformation.unit or NO_UNIT
        )
        value_text = transformation.metric_value
        value_reference = None if NUMBER_LITERAL.match(value_text) else parse_reference(value_text)
        self._literal_value = float(value_text) if value_reference is None else None
        self._value: ValueReader | None = None if value_reference is None else compile_reference(value_reference)
        dimension_references = [(name, parse_reference(text)) for name, text in transformation.dimensions]
        self._dimensions = tuple(
            sorted((name, compile_reference(reference)) for name, reference in dimension_references)
        )
        references = [reference for _, reference in dimension_references]
        if value_reference is not None:
            references.append(value_reference)
        self._dimension_limit = _DimensionLimit() if self._dimensions else None
        # Only $field / $N references need a delimited match's extracted values; a literal value or $.json
        # selectors do not, so the pattern's verdict alone (often already known to the caller) suffices.
        self._needs_extracted = self.pattern.family == "delimited" and any(
            isinstance(reference, FieldReference) for reference in references
        )
        self.counters = FilterCounters()

    @property
    def default_value(self) -> float | None:
        return self.definition.metric_transformation.default_value

    @property
    def filter_name(self) -> str:
        return self.definition.filter_name

    @property
    def log_group_name(self) -> str:
        return self.definition.log_group_name

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
        if counters.disabled_at_ms is not None:
            counters.after_disabled += 1
            return
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
            default = self.default_value
            if default is not None:
                # Recorded: the default for a non-matching event carries no dimensions, not even system ones.
                counters.defaults += 1
                sink(self._plain_series, minute, default)
            return
        counters.matched += 1
        value = self._literal_value
        if value is None:
            assert self._value is not None
            raw = self._value(event, extracted)
            if raw is MISSING or raw is None:
                counters.missing_value += 1
                value = self.default_value
                if value is None:
                    return
            else:
                value = _as_number(raw)
                if value is None:
                    counters.non_numeric += 1
                    return
                if not abs(value) <= MAX_METRIC_VALUE_MAGNITUDE:
                    counters.out_of_range += 1
                    return
        series = self.series
        if self._dimensions:
            found = self._series_for(event, extracted, timestamp_ms)
            if found is None:
                counters.disabled_at_ms = timestamp_ms
                counters.after_disabled += 1
                return
            series = found
        counters.published += 1
        sink(series, minute, value)

    def _series_for(self, event: LogEvent, extracted: Mapping[str, str], timestamp_ms: int) -> SeriesKey | None:
        """The series the event's dimension values name, or None when they disable the filter."""
        values: list[tuple[str, str]] = []
        for name, read in self._dimensions:
            value = _as_dimension(read(event, extracted))
            if value is None:
                # Recorded: an event lacking a dimension value is published without dimensions, not with a
                # partial set (and so without the system dimensions either).
                self.counters.dimensionless += 1
                return self._plain_series
            values.append((name, value))
        pairs = tuple(values)
        assert self._dimension_limit is not None
        if not self._dimension_limit.admits(pairs, timestamp_ms):
            return None
        base = self.series
        return SeriesKey(base.namespace, base.name, base.dimensions + pairs, base.unit)


def compile_filter(definition: MetricFilter, *, account_id: str, region: str) -> CompiledMetricFilter:
    """Compile a validated metric filter for an account's log group in ``region``."""
    return CompiledMetricFilter(definition, account_id=account_id, region=region)


@dataclass(frozen=True, slots=True)
class _LogGroupFilters:
    """The filters of one log group, tested together: a metric filter sees only its own log group's events."""

    filters: tuple[CompiledMetricFilter, ...]
    patterns: PatternSet
    with_default: tuple[int, ...]  # positions of the filters that publish a default on non-matching events


class MetricFilterSet:
    """Compiled metric filters grouped by log group: ``publish(event, timestamp_ms, log_group, sink)`` runs every
    filter of the event's log group (and only those) over it, testing their patterns together."""

    __slots__ = ("_defaults", "_groups", "filters")

    def __init__(self, filters: Sequence[CompiledMetricFilter]) -> None:
        self.filters = list(filters)
        by_group: dict[str, list[CompiledMetricFilter]] = {}
        for compiled in self.filters:
            by_group.setdefault(compiled.log_group_name, []).append(compiled)
        self._groups = {
            name: _LogGroupFilters(
                tuple(members),
                PatternSet([f.pattern for f in members]),
                tuple(i for i, f in enumerate(members) if f.default_value is not None),
            )
            for name, members in by_group.items()
        }
        self._defaults = {
            name: tuple(group.filters[position] for position in group.with_default)
            for name, group in self._groups.items()
        }

    @property
    def log_groups(self) -> tuple[str, ...]:
        """The log groups the filters belong to, in the order their first filter was given."""
        return tuple(self._groups)

    def with_default(self, log_group: str) -> tuple[CompiledMetricFilter, ...]:
        """The filters of ``log_group`` that publish their default value for an event their pattern does not
        match: all that an event known to match none of the patterns is published to (``Replay.add_unmatched``)."""
        return self._defaults.get(log_group, ())

    def publish(
        self, event: LogEvent, timestamp_ms: int, log_group: str, sink: Sink, match_sink: Sink | None = None
    ) -> None:
        """Send the event's datapoints to ``sink``; those of filters whose pattern matched go to ``match_sink``
        instead when one is given (defaults of non-matching filters always go to ``sink``)."""
        group = self._groups.get(log_group)
        if group is None:
            return  # no filter on this log group
        hits = group.patterns.matches(event)
        filters = group.filters
        matched = sink if match_sink is None else match_sink
        # Only matches and defaults publish anything: other filters need not see the event at all.
        for position in hits:
            filters[position].publish(event, timestamp_ms, matched, True)
        for position in group.with_default:
            if position not in hits:
                filters[position].publish(event, timestamp_ms, sink, False)
