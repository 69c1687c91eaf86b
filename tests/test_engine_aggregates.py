"""Mergeable per-minute aggregates and the metric store."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trailguard.engine.aggregates import (
    Aggregate,
    MetricSelector,
    MetricStore,
    SeriesKey,
    minute_of,
    normalize_dimensions,
)
from trailguard.engine.statistics import compute
from trailguard.model.statistics import parse_statistic

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
wide = st.floats(allow_nan=False, allow_infinity=False)

ALL_STATS = [
    "SampleCount",
    "Sum",
    "Average",
    "Minimum",
    "Maximum",
    "p0",
    "p50",
    "p99",
    "p99.9",
    "p100",
    "tm90",
    "TM(10%:90%)",
    "TM(:0.5)",
    "IQM",
    "wm98",
    "WM(10%:90%)",
    "WM(1:5)",
    "tc90",
    "TC(0.005:0.030)",
    "ts90",
    "TS(80%:)",
    "PR(:300)",
    "PR(1:5)",
]


def test_basic_fields() -> None:
    agg = Aggregate.of([3.0, 7.0, 3.0])
    assert (agg.count, agg.sum, agg.minimum, agg.maximum) == (3, 13.0, 3.0, 7.0)
    assert agg.values == {3.0: 2, 7.0: 1}
    assert agg.sorted_items() == [(3.0, 2), (7.0, 1)]
    assert bool(agg) and not bool(Aggregate())


def test_add_with_count_and_negative_zero() -> None:
    agg = Aggregate()
    agg.add(1.0, 1000)
    agg.add(-0.0)
    agg.add(0.0)
    assert agg.count == 1002 and agg.sum == 1000.0
    assert agg.values == {1.0: 1000, 0.0: 2}
    assert math.copysign(1.0, agg.minimum) == 1.0  # -0.0 is stored as 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError):
        Aggregate().add(bad)


def test_sum_is_exact_then_rounded_once() -> None:
    # Naive left-to-right float addition gives 0.0 for these; the exact sum is 1.0.
    agg = Aggregate.of([1e16, 1.0, -1e16])
    assert agg.sum == 1.0
    agg = Aggregate.of([0.1] * 10)
    assert agg.sum == float(Fraction(0.1) * 10) == 1.0
    assert sum([0.1] * 10) != 1.0  # (what a running float sum would give)
    tiny = Aggregate.of([5e-324, 1e308, -1e308])
    assert tiny.sum == 5e-324
    huge = Aggregate.of([1.7e308, 1.7e308])
    assert huge.sum == math.inf


def partitions(values: list[float], rng: random.Random) -> list[list[float]]:
    parts: list[list[float]] = [[]]
    for v in values:
        if parts[-1] and rng.random() < 0.4:
            parts.append([])
        parts[-1].append(v)
    return parts


def fold(aggs: list[Aggregate], rng: random.Random) -> Aggregate:
    """Merge in a random tree shape and order."""
    pool = [a.copy() for a in aggs]
    if not pool:
        return Aggregate()
    while len(pool) > 1:
        i, j = rng.sample(range(len(pool)), 2)
        a, b = pool[i], pool[j]
        merged = a.merge(b) if rng.random() < 0.5 else b.merge(a)
        pool = [p for k, p in enumerate(pool) if k not in (i, j)] + [merged]
    return pool[0]


@settings(max_examples=200)
@given(st.lists(wide, max_size=40), st.integers(0, 2**32))
def test_merge_is_exact_in_any_grouping_and_order(values: list[float], seed: int) -> None:
    rng = random.Random(seed)
    whole = Aggregate.of(values)
    shuffled = values[:]
    rng.shuffle(shuffled)
    merged = fold([Aggregate.of(p) for p in partitions(shuffled, rng)], rng)
    assert merged == whole
    assert merged.count == whole.count
    (n1, e1), (n2, e2) = merged.exact_sum, whole.exact_sum
    assert Fraction(n1) * Fraction(2) ** e1 == Fraction(n2) * Fraction(2) ** e2
    assert repr(merged.sum) == repr(whole.sum)
    if values:
        assert merged.minimum == whole.minimum and merged.maximum == whole.maximum
        exact = sum((Fraction(v) for v in values), Fraction(0))
        try:
            want = exact.numerator / exact.denominator
        except OverflowError:
            want = math.inf if exact > 0 else -math.inf
        assert merged.sum == want


@settings(max_examples=100)
@given(st.lists(finite, min_size=1, max_size=30), st.integers(0, 2**32))
def test_every_statistic_is_merge_order_independent(values: list[float], seed: int) -> None:
    rng = random.Random(seed)
    whole = Aggregate.of(values)
    merged = fold([Aggregate.of(p) for p in partitions(values, rng)], rng)
    for name in ALL_STATS:
        spec = parse_statistic(name)
        a, b = compute(spec, whole), compute(spec, merged)
        assert repr(a) == repr(b), name


@given(st.lists(st.lists(finite, max_size=5), max_size=6))
def test_merge_associative_and_commutative(groups: list[list[float]]) -> None:
    aggs = [Aggregate.of(g) for g in groups] + [Aggregate()]
    a, b, c = aggs[0], aggs[-1], aggs[len(aggs) // 2]
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))


def test_merge_does_not_mutate_inputs() -> None:
    a, b = Aggregate.of([1.0]), Aggregate.of([2.0])
    c = a.merge(b)
    assert a.values == {1.0: 1} and b.values == {2.0: 1} and c.values == {1.0: 1, 2.0: 1}


@given(st.lists(wide, max_size=30))
def test_aggregate_json_round_trip(values: list[float]) -> None:
    agg = Aggregate.of(values)
    text = json.dumps(agg.to_dict())
    back = Aggregate.from_dict(json.loads(text))
    assert back == agg and repr(back.sum) == repr(agg.sum) and back.count == agg.count


def test_aggregate_from_dict_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        Aggregate.from_dict({"values": [[1.0, 0]]})
    with pytest.raises(ValueError):
        Aggregate.from_dict({"values": [[1.0, 1.5]]})


def test_series_key_normalises_dimensions_and_unit() -> None:
    a = SeriesKey("NS", "M", (("b", "2"), ("a", "1")))
    b = SeriesKey("NS", "M", {"a": "1", "b": "2"})  # type: ignore[arg-type]
    c = SeriesKey("NS", "M", [{"Name": "a", "Value": "1"}, {"Name": "b", "Value": "2"}])  # type: ignore[arg-type]
    assert a == b == c and a.dimensions == (("a", "1"), ("b", "2"))
    assert SeriesKey("NS", "M", (), None).unit == "None"  # type: ignore[arg-type]
    assert normalize_dimensions(None) == ()


def test_minute_of() -> None:
    assert minute_of(0) == 0 and minute_of(59_999) == 0 and minute_of(60_000) == 1
    assert minute_of(-1) == -1


KEY = SeriesKey("CIS", "RootUsage")


def test_store_add_and_aggregate_window() -> None:
    store = MetricStore()
    for minute, value in [(10, 1.0), (10, 1.0), (12, 3.0), (20, 5.0)]:
        store.add(KEY, minute, value)
    agg = store.aggregate(KEY, 10, 13)
    assert agg is not None and (agg.count, agg.sum) == (3, 5.0)
    assert store.aggregate(KEY, 13, 20) is None
    assert store.aggregate(KEY, 0, 100) == Aggregate.of([1.0, 1.0, 3.0, 5.0])
    assert [m for m, _ in store.buckets(KEY, 11, 21)] == [12, 20]
    assert store.aggregate(SeriesKey("x", "y"), 0, 100) is None
    # Returned aggregates are copies: mutating them does not change the store.
    agg.add(100.0)
    assert store.aggregate(KEY, 10, 13) == Aggregate.of([1.0, 1.0, 3.0])


def test_store_late_and_out_of_order_data() -> None:
    store = MetricStore()
    for minute in (50, 10, 30, 10, 40, 20):
        store.add(KEY, minute, 1.0)
    assert [m for m, _ in store.buckets(KEY, 0, 100)] == [10, 20, 30, 40, 50]
    assert store.next_data_minute(MetricSelector("CIS", "RootUsage"), 21) == 30
    assert store.next_data_minute(MetricSelector("CIS", "RootUsage"), 51) is None


@dataclass(frozen=True)
class PublisherKey:
    """The shape of the metric-filter publisher's series key (dimensions in config order, unit None)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str | None = None


def test_publish_is_a_metric_filter_sink() -> None:
    store = MetricStore()
    sink = store.publish
    sink(PublisherKey("NS", "M", (("b", "2"), ("a", "1"))), 10 * 60_000, 1.0)
    sink(PublisherKey("NS", "M", (("a", "1"), ("b", "2"))), 10 * 60_000 + 5, 2.0)
    sink(SeriesKey("NS", "M", (("a", "1"), ("b", "2"))), 11 * 60_000, 4.0)
    key = SeriesKey("NS", "M", (("a", "1"), ("b", "2")), "None")
    assert store.series() == [key]
    assert store.bucket(key, 10) == Aggregate.of([1.0, 2.0])
    assert store.bucket(key, 11) == Aggregate.of([4.0])


def test_add_at_uses_the_event_minute() -> None:
    store = MetricStore()
    store.add_at(KEY, 10 * 60_000 + 59_999, 2.0)
    assert store.bucket(KEY, 10) == Aggregate.of([2.0])


def test_selector_units_and_dimensions() -> None:
    store = MetricStore()
    store.add(SeriesKey("NS", "M", (), "Count"), 5, 1.0)
    store.add(SeriesKey("NS", "M", (), "Seconds"), 5, 2.0)
    store.add(SeriesKey("NS", "M", (), "Seconds"), 6, 4.0)
    store.add(SeriesKey("NS", "M", (("d", "1"),)), 5, 100.0)
    any_unit = MetricSelector("NS", "M")
    rows = store.minute_buckets(any_unit, 0, 10)
    assert [(m, a.values) for m, a in rows] == [(5, {1.0: 1, 2.0: 1}), (6, {4.0: 1})]
    seconds = MetricSelector("NS", "M", (), "Seconds")
    assert [(m, a.sum) for m, a in store.minute_buckets(seconds, 0, 10)] == [(5, 2.0), (6, 4.0)]
    assert store.minute_buckets(MetricSelector("NS", "M", (), "Bytes"), 0, 10) == []
    # Dimensions are part of the identity: the dimensioned series is a different metric.
    dimensioned = MetricSelector("NS", "M", (("d", "1"),))
    assert [(m, a.sum) for m, a in store.minute_buckets(dimensioned, 0, 10)] == [(5, 100.0)]
    assert store.next_data_minute(any_unit, 6) == 6
    # Merging across units did not change the stored buckets.
    assert store.bucket(SeriesKey("NS", "M", (), "Count"), 5) == Aggregate.of([1.0])


datapoints = st.lists(
    st.tuples(st.sampled_from(["A", "B"]), st.sampled_from([None, "Count"]), st.integers(0, 30), finite),
    max_size=40,
)


def build(points: list[tuple[str, str | None, int, float]]) -> MetricStore:
    store = MetricStore()
    for name, unit, minute, value in points:
        store.add(SeriesKey("NS", name, (), unit or "None"), minute, value)
    return store


@settings(max_examples=100)
@given(datapoints, st.integers(0, 2**32))
def test_store_merge_split_any_way_equals_whole(points: list[tuple[str, str | None, int, float]], seed: int) -> None:
    rng = random.Random(seed)
    whole = build(points)
    shards: list[list[tuple[str, str | None, int, float]]] = [[] for _ in range(rng.randint(1, 4))]
    for p in points:
        rng.choice(shards).append(p)
    stores = [build(s) for s in shards]
    rng.shuffle(stores)
    merged = MetricStore()
    for s in stores:
        merged.merge(s)
    assert merged == whole
    # And again in a different grouping: ((s1 + s2) + (s3 + s4)).
    left, right = MetricStore(), MetricStore()
    for i, s in enumerate(stores):
        (left if i % 2 else right).merge(s)
    assert right.merge(left) == whole
    for key in whole.series():
        a, b = whole.aggregate(key, 0, 31), merged.aggregate(key, 0, 31)
        assert a == b and a is not None and b is not None and repr(a.sum) == repr(b.sum)


@given(datapoints)
def test_store_json_round_trip(points: list[tuple[str, str | None, int, float]]) -> None:
    store = build(points)
    back = MetricStore.from_dict(json.loads(json.dumps(store.to_dict())))
    assert back == store
    assert back.to_dict() == store.to_dict()


def test_store_from_dict_rejects_unknown_version() -> None:
    with pytest.raises(ValueError):
        MetricStore.from_dict({"version": 2, "series": []})
