"""Mergeable per-minute metric aggregates and a store of many series x minutes.

A datapoint published by a metric filter lands in the minute of its event timestamp. Each
(series, minute) keeps one :class:`Aggregate`: the exact multiset of published values as a
value -> count map, from which SampleCount, Sum, Minimum, Maximum and every extended statistic are
derived. Because the multiset is kept exactly, merging is plain multiset union: associative,
commutative and exact, so a replay can be split across processes or machines and merged back
into a bit-identical result.

Sum is kept as an exact binary fraction (an integer numerator over a power of two). Every double
is such a fraction, so adding values and merging sums never rounds; the float Sum is the exact
sum rounded once (round-half-even), whatever the order in which values arrived or partial
aggregates were merged. ``math.fsum`` over the value map would be order independent as well, but
it costs O(distinct values) on every read, while the running exact sum costs O(1) per add.

Pure Python, no I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "MINUTE_MS",
    "NO_UNIT",
    "Aggregate",
    "MetricSelector",
    "MetricStore",
    "SeriesKey",
    "SeriesLike",
    "minute_of",
    "normalize_dimensions",
]

MINUTE_MS = 60_000

#: The unit CloudWatch records when a datapoint is published without one (StandardUnit "None").
NO_UNIT = "None"


def minute_of(timestamp_ms: int) -> int:
    """The minute index (minutes since the epoch, UTC) that holds an event at ``timestamp_ms``."""
    return timestamp_ms // MINUTE_MS


Dimensions = tuple[tuple[str, str], ...]


def normalize_dimensions(
    dimensions: Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[Mapping[str, str]] | None,
) -> Dimensions:
    """Dimensions as a sorted tuple of (name, value).

    Accepts a mapping, (name, value) pairs, or the API shape ``[{"Name": .., "Value": ..}]``.
    A metric's identity includes its exact dimension set; order never matters.
    """
    if not dimensions:
        return ()
    if isinstance(dimensions, Mapping):
        pairs = [(str(k), str(v)) for k, v in dimensions.items()]
    else:
        pairs = []
        for item in dimensions:
            if isinstance(item, Mapping):
                pairs.append((str(item["Name"]), str(item["Value"])))
            else:
                name, value = item
                pairs.append((str(name), str(value)))
    return tuple(sorted(pairs))


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """Identity of one stored metric series: namespace, name, dimensions and unit.

    Data published with different units is aggregated separately, as CloudWatch does.
    ``unit`` None is normalised to ``"None"`` (the unit of a datapoint published without one).
    """

    namespace: str
    name: str
    dimensions: Dimensions = ()
    unit: str = NO_UNIT

    def __post_init__(self) -> None:
        dims = self.dimensions
        if not (isinstance(dims, tuple) and all(type(d) is tuple for d in dims) and list(dims) == sorted(dims)):
            object.__setattr__(self, "dimensions", normalize_dimensions(dims))
        if self.unit is None:
            object.__setattr__(self, "unit", NO_UNIT)

    @property
    def metric(self) -> tuple[str, str, Dimensions]:
        return (self.namespace, self.name, self.dimensions)


@dataclass(frozen=True, slots=True)
class MetricSelector:
    """What an alarm reads: one metric (exact dimension set), one unit or, with ``unit`` None, all units."""

    namespace: str
    name: str
    dimensions: Dimensions = ()
    unit: str | None = None

    def __post_init__(self) -> None:
        dims = self.dimensions
        if not (isinstance(dims, tuple) and all(type(d) is tuple for d in dims) and list(dims) == sorted(dims)):
            object.__setattr__(self, "dimensions", normalize_dimensions(dims))

    @property
    def metric(self) -> tuple[str, str, Dimensions]:
        return (self.namespace, self.name, self.dimensions)


class SeriesLike(Protocol):
    """Anything that names a series: the metric-filter publisher's series key, or :class:`SeriesKey`."""

    @property
    def namespace(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> Iterable[tuple[str, str]]: ...

    @property
    def unit(self) -> str | None: ...


def _float_fraction(value: float) -> tuple[int, int]:
    """``value`` as (n, e) with value == n * 2**e exactly."""
    n, d = value.as_integer_ratio()
    return n, 1 - d.bit_length()


def _exact_to_float(num: int, exp: int) -> float:
    """num * 2**exp rounded once to the nearest double (overflow gives an infinity)."""
    try:
        if exp >= 0:
            return float(num << exp)
        return num / (1 << -exp)  # int / int is correctly rounded in CPython
    except OverflowError:
        return math.inf if num > 0 else -math.inf


class Aggregate:
    """The exact multiset of values published to one series in one minute (or a merge of several).

    Mutable while being built (``add``, ``merge_in``); ``merge`` returns a new aggregate.
    Two aggregates are equal when they hold the same multiset.
    """

    __slots__ = ("_exp", "_num", "_sorted", "count", "maximum", "minimum", "values")

    values: dict[float, int]
    count: int
    minimum: float
    maximum: float
    _num: int
    _exp: int
    _sorted: list[tuple[float, int]] | None

    def __init__(self) -> None:
        self.values = {}
        self.count = 0
        self.minimum = math.inf
        self.maximum = -math.inf
        self._num = 0
        self._exp = 0
        self._sorted = None

    # -- building -------------------------------------------------------------------------------

    @classmethod
    def of(cls, values: Iterable[float]) -> Aggregate:
        agg = cls()
        for v in values:
            agg.add(v)
        return agg

    def add(self, value: float, count: int = 1) -> None:
        """Add ``count`` samples of ``value``. Values must be finite (CloudWatch rejects NaN/Inf)."""
        if count <= 0:
            if count == 0:
                return
            raise ValueError("count must be positive")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"metric values must be finite, got {value!r}")
        value += 0.0  # -0.0 -> 0.0, so the value map has one canonical key for zero
        values = self.values
        values[value] = values.get(value, 0) + count
        self.count += count
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if value != 0.0:
            n, e = _float_fraction(value)
            self._add_exact(n * count, e)
        self._sorted = None

    def _add_exact(self, num: int, exp: int) -> None:
        if self._num == 0:
            self._num, self._exp = num, exp
        elif exp >= self._exp:
            self._num += num << (exp - self._exp)
        else:
            self._num = (self._num << (self._exp - exp)) + num
            self._exp = exp

    def merge_in(self, other: Aggregate) -> None:
        """Add every sample of ``other`` to this aggregate (exact; order independent)."""
        if other.count == 0:
            return
        values = self.values
        for v, c in other.values.items():
            values[v] = values.get(v, 0) + c
        self.count += other.count
        if other.minimum < self.minimum:
            self.minimum = other.minimum
        if other.maximum > self.maximum:
            self.maximum = other.maximum
        if other._num:
            self._add_exact(other._num, other._exp)
        self._sorted = None

    def merge(self, other: Aggregate) -> Aggregate:
        """A new aggregate holding the samples of both (associative and commutative)."""
        out = self.copy()
        out.merge_in(other)
        return out

    @classmethod
    def merged(cls, parts: Iterable[Aggregate]) -> Aggregate:
        out = cls()
        for p in parts:
            out.merge_in(p)
        return out

    @staticmethod
    def sum_of(parts: Iterable[Aggregate]) -> float:
        """The exact sum of all samples of ``parts``, rounded once (no merged aggregate is built)."""
        num, exp = 0, 0
        for p in parts:
            pn = p._num
            if not pn:
                continue
            pe = p._exp
            if not num:
                num, exp = pn, pe
            elif pe >= exp:
                num += pn << (pe - exp)
            else:
                num = (num << (exp - pe)) + pn
                exp = pe
        return _exact_to_float(num, exp) if num else 0.0

    def copy(self) -> Aggregate:
        out = Aggregate()
        out.values = dict(self.values)
        out.count = self.count
        out.minimum = self.minimum
        out.maximum = self.maximum
        out._num = self._num
        out._exp = self._exp
        out._sorted = self._sorted
        return out

    # -- reading --------------------------------------------------------------------------------

    @property
    def sum(self) -> float:
        """The exact sum of all samples, rounded once to a double."""
        return _exact_to_float(self._num, self._exp) if self._num else 0.0

    @property
    def exact_sum(self) -> tuple[int, int]:
        """The exact sum as (numerator, binary exponent): sum == numerator * 2**exponent."""
        return (self._num, self._exp) if self._num else (0, 0)

    def sorted_items(self) -> list[tuple[float, int]]:
        """(value, count) pairs by ascending value (cached until the next change)."""
        if self._sorted is None:
            self._sorted = sorted(self.values.items())
        return self._sorted

    def __bool__(self) -> bool:
        return self.count > 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Aggregate):
            return NotImplemented
        return self.values == other.values

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"Aggregate(count={self.count}, sum={self.sum!r}, min={self.minimum!r}, max={self.maximum!r}, "
            f"distinct={len(self.values)})"
        )

    # -- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: ``{"values": [[value, count], ...]}`` in ascending value order.

        Python's float repr round-trips exactly through JSON, so ``from_dict(to_dict(a)) == a``.
        """
        return {"values": [[v, c] for v, c in self.sorted_items()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Aggregate:
        agg = cls()
        for pair in data["values"]:
            value, count = pair
            if type(count) is not int or count <= 0:
                raise ValueError(f"invalid sample count {count!r}")
            agg.add(float(value), count)
        return agg


@dataclass(slots=True)
class _Series:
    minutes: list[int] = field(default_factory=list)  # sorted minute indexes that hold data
    buckets: dict[int, Aggregate] = field(default_factory=dict)

    def bucket_for_write(self, minute: int) -> Aggregate:
        agg = self.buckets.get(minute)
        if agg is None:
            agg = Aggregate()
            self.buckets[minute] = agg
            minutes = self.minutes
            if not minutes or minute > minutes[-1]:
                minutes.append(minute)
            else:
                insort(minutes, minute)
        return agg

    def range(self, start: int, end: int) -> Iterator[tuple[int, Aggregate]]:
        minutes = self.minutes
        lo = bisect_left(minutes, start)
        hi = bisect_left(minutes, end, lo)
        buckets = self.buckets
        for i in range(lo, hi):
            m = minutes[i]
            yield m, buckets[m]


class MetricStore:
    """Many series x minutes of :class:`Aggregate`; mergeable and serialisable.

    Reading a range costs O(log n + k) for k non-empty minutes in it (sorted minute index and
    bisection), so alarms evaluated every minute over sparse metrics cost next to nothing.
    """

    __slots__ = ("_aliases", "_by_metric", "_series")

    def __init__(self) -> None:
        self._aliases: dict[Any, SeriesKey] = {}  # publisher series keys -> normalised keys
        self._series: dict[SeriesKey, _Series] = {}
        self._by_metric: dict[tuple[str, str, Dimensions], dict[str, _Series]] = {}

    # -- writing --------------------------------------------------------------------------------

    def _series_for_write(self, series: SeriesKey) -> _Series:
        s = self._series.get(series)
        if s is None:
            s = _Series()
            self._series[series] = s
            self._by_metric.setdefault(series.metric, {})[series.unit] = s
        return s

    def add(self, series: SeriesKey, minute: int, value: float, count: int = 1) -> None:
        """Record ``count`` samples of ``value`` in ``minute`` (see :func:`minute_of`)."""
        self._series_for_write(series).bucket_for_write(minute).add(value, count)

    def add_at(self, series: SeriesKey, timestamp_ms: int, value: float, count: int = 1) -> None:
        """Record a datapoint by its event timestamp (it lands in that timestamp's minute)."""
        self.add(series, minute_of(timestamp_ms), value, count)

    def publish(self, series: SeriesLike, minute_start_ms: int, value: float) -> None:
        """A metric-filter sink: ``rule.publish(event, timestamp_ms, store.publish)``.

        Accepts any series object with ``namespace``, ``name``, ``dimensions`` and ``unit``
        (dimensions in any order, unit None for "no unit") and the start (or any instant) of the
        datapoint's minute in epoch ms.
        """
        key = self._aliases.get(series)
        if key is None:
            key = SeriesKey(
                series.namespace, series.name, normalize_dimensions(series.dimensions), series.unit or NO_UNIT
            )
            self._aliases[series] = key
        self._series_for_write(key).bucket_for_write(minute_of(minute_start_ms)).add(value)

    def add_aggregate(self, series: SeriesKey, minute: int, aggregate: Aggregate) -> None:
        if aggregate.count:
            self._series_for_write(series).bucket_for_write(minute).merge_in(aggregate)

    def merge(self, other: MetricStore) -> MetricStore:
        """Merge every bucket of ``other`` into this store (in place; returns self).

        Exact, associative and commutative: any grouping of partial stores gives equal results.
        """
        for key, s in other._series.items():
            mine = self._series_for_write(key)
            for minute, agg in s.buckets.items():
                mine.bucket_for_write(minute).merge_in(agg)
        return self

    def drop_before(self, minute: int) -> int:
        """Forget every bucket before ``minute`` (data no evaluation to come can read); returns how many."""
        dropped = 0
        for s in self._series.values():
            cut = bisect_left(s.minutes, minute)
            for m in s.minutes[:cut]:
                del s.buckets[m]
            del s.minutes[:cut]
            dropped += cut
        return dropped

    # -- reading --------------------------------------------------------------------------------

    def series(self) -> list[SeriesKey]:
        return sorted(self._series)

    def bucket(self, series: SeriesKey, minute: int) -> Aggregate | None:
        s = self._series.get(series)
        return None if s is None else s.buckets.get(minute)

    def buckets(self, series: SeriesKey, start_minute: int, end_minute: int) -> list[tuple[int, Aggregate]]:
        """Non-empty (minute, aggregate) pairs with start <= minute < end, ascending."""
        s = self._series.get(series)
        return [] if s is None else list(s.range(start_minute, end_minute))

    def aggregate(self, series: SeriesKey, start_minute: int, end_minute: int) -> Aggregate | None:
        """All samples of ``series`` in [start_minute, end_minute) merged, or None when there are none."""
        parts = [agg for _, agg in self.buckets(series, start_minute, end_minute)]
        if not parts:
            return None
        return parts[0].copy() if len(parts) == 1 else Aggregate.merged(parts)

    def _selected(self, selector: MetricSelector) -> list[_Series]:
        by_unit = self._by_metric.get(selector.metric)
        if not by_unit:
            return []
        if selector.unit is None:
            return list(by_unit.values())
        s = by_unit.get(selector.unit)
        return [] if s is None else [s]

    def minute_buckets(
        self, selector: MetricSelector, start_minute: int, end_minute: int
    ) -> list[tuple[int, Aggregate]]:
        """Non-empty minutes of the selected series in [start, end), ascending.

        With ``selector.unit`` None every unit's series is read and same-minute buckets are merged
        (the aggregates returned are then fresh objects; otherwise they are the stored ones and
        must not be mutated).
        """
        selected = self._selected(selector)
        if not selected:
            return []
        if len(selected) == 1:
            return list(selected[0].range(start_minute, end_minute))
        merged: dict[int, Aggregate] = {}
        for s in selected:
            for minute, agg in s.range(start_minute, end_minute):
                have = merged.get(minute)
                merged[minute] = agg.copy() if have is None else have.merge(agg)
        return sorted(merged.items(), key=lambda item: item[0])

    def single_series(self, selector: MetricSelector) -> tuple[Sequence[int], Mapping[int, Aggregate]] | None:
        """The selected data when a single series holds all of it: its sorted minutes and their aggregates
        (the stored objects: read, never mutate), for a reader that sweeps many ranges. None when no series or
        several (units) are selected. Valid until the store is next written."""
        selected = self._selected(selector)
        if len(selected) != 1:
            return None
        return selected[0].minutes, selected[0].buckets

    def next_data_minute(self, selector: MetricSelector, from_minute: int) -> int | None:
        """The first minute >= ``from_minute`` holding data for the selector, or None."""
        best: int | None = None
        for s in self._selected(selector):
            i = bisect_left(s.minutes, from_minute)
            if i < len(s.minutes) and (best is None or s.minutes[i] < best):
                best = s.minutes[i]
        return best

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricStore):
            return NotImplemented
        mine = {k: s.buckets for k, s in self._series.items() if s.buckets}
        theirs = {k: s.buckets for k, s in other._series.items() if s.buckets}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    # -- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (deterministic order) that :meth:`from_dict` reads back exactly."""
        out = []
        for key in self.series():
            s = self._series[key]
            out.append(
                {
                    "namespace": key.namespace,
                    "name": key.name,
                    "dimensions": [[n, v] for n, v in key.dimensions],
                    "unit": key.unit,
                    "buckets": [[m, s.buckets[m].to_dict()] for m in s.minutes],
                }
            )
        return {"version": 1, "series": out}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricStore:
        if data.get("version") != 1:
            raise ValueError(f"unsupported MetricStore version {data.get('version')!r}")
        store = cls()
        for item in data["series"]:
            key = SeriesKey(
                item["namespace"],
                item["name"],
                normalize_dimensions([(n, v) for n, v in item["dimensions"]]),
                item["unit"],
            )
            for minute, agg in item["buckets"]:
                store.add_aggregate(key, int(minute), Aggregate.from_dict(agg))
        return store
