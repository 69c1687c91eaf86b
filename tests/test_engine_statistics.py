"""Statistics: names, validation, definitions, low-sample rule."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trailguard.engine.aggregates import Aggregate
from trailguard.engine.statistics import compute, is_low_sample_count
from trailguard.model.statistics import (
    Bound,
    InvalidStatisticError,
    Kind,
    parse_extended_statistic,
    parse_statistic,
)


def stat(name: str, values: list[float]) -> float | None:
    return compute(parse_statistic(name), Aggregate.of(values))


TEN = [float(v) for v in range(1, 11)]  # 1..10


# -- names ----------------------------------------------------------------------------------------

VALID = [
    "p0",
    "p0.0",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "p99.9999999999",
    "p100",
    "p100.0",
    "tm90",
    "tm99.5",
    "wm98",
    "tc90",
    "ts90",
    "IQM",
    "TM(2%:98%)",
    "TM(10%:90%)",
    "TM(:95%)",
    "TM(10%:)",
    "TM(150:1000)",
    "TM(100:200)",
    "WM(10%:90%)",
    "TC(0.005:0.030)",
    "TC(:0.5)",
    "TS(80%:)",
    "PR(:300)",
    "PR(100:2000)",
    "PR(10:)",
    "PR(-5:5)",
    "PR(1e3:2e3)",
    "PR(+1:)",
    "TM(1e3:2e3)",
    "PR(:1e400)",
    "TC(0.00000000001:1)",
]

INVALID = [
    "",
    "p",
    "P99",
    "p101",
    "p100.1",
    "p99.99999999999",  # 11 decimals
    "p-1",
    "p 99",
    "tm",
    "TM90",
    "tm(10%:90%)",
    "TM()",
    "TM(:)",
    "TM(90%:10%)",
    "TM(50%:50%)",
    "TM(10%:500)",  # mixed percentage and absolute value
    "TM(10%:110%)",
    "TM(-10%:90%)",
    "PR(10%:90%)",
    "PR(5:1)",
    "pr(1:2)",
    "iqm",
    "Sum",  # a simple statistic is not an extended one
    "avg",
    "PR(2e3:1e3)",
    "p99.1e1",
    "TM(10.00000000001%:20%)",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_extended_statistics(name: str) -> None:
    spec = parse_extended_statistic(name)
    assert spec.name == name and spec.extended


@pytest.mark.parametrize("name", INVALID)
def test_invalid_extended_statistics(name: str) -> None:
    with pytest.raises(InvalidStatisticError):
        parse_extended_statistic(name)


def test_parse_statistic_simple_and_extended() -> None:
    for name in ("SampleCount", "Average", "Sum", "Minimum", "Maximum"):
        spec = parse_statistic(name)
        assert not spec.extended and spec.kind.value == name
    assert parse_statistic("p99").kind is Kind.PERCENTILE
    with pytest.raises(InvalidStatisticError):
        parse_statistic("sum")


def test_shorthands_mean_upper_percentage_bound() -> None:
    assert parse_extended_statistic("tm90").upper == Bound(Fraction(90), True)
    assert parse_extended_statistic("tm90").lower is None
    iqm = parse_extended_statistic("IQM")
    assert (iqm.kind, iqm.lower, iqm.upper) == (Kind.TRIMMED_MEAN, Bound(Fraction(25), True), Bound(Fraction(75), True))
    assert parse_extended_statistic("p99.9").percentile == Fraction("99.9")


# -- simple statistics ------------------------------------------------------------------------------


def test_simple_statistics() -> None:
    values = [3.0, 7.0, 3.0, 13.0]
    assert stat("SampleCount", values) == 4.0
    assert stat("Sum", values) == 26.0
    assert stat("Average", values) == 6.5
    assert stat("Minimum", values) == 3.0
    assert stat("Maximum", values) == 13.0
    for name in ("SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "TM(10%:90%)", "PR(:1)"):
        assert stat(name, []) is None


def test_default_value_example_from_live_probe() -> None:
    # Recorded: filter value 3, default 7, events ERROR, INFO, ERROR -> Sum 13, SampleCount 3, Min 3, Max 7.
    values = [3.0, 7.0, 3.0]
    assert (stat("Sum", values), stat("SampleCount", values), stat("Minimum", values), stat("Maximum", values)) == (
        13.0,
        3.0,
        3.0,
        7.0,
    )


def test_negative_values_allowed_for_simple_statistics() -> None:
    assert stat("Sum", [-1.0, 2.0]) == 1.0
    assert stat("Minimum", [-1.0, 2.0]) == -1.0


# -- percentiles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("p0", 1.0),
        ("p10", 1.0),
        ("p10.1", 2.0),
        ("p50", 5.0),
        ("p90", 9.0),
        ("p90.5", 10.0),
        ("p99", 10.0),
        ("p100", 10.0),
    ],
)
def test_nearest_rank_percentiles(name: str, want: float) -> None:
    assert stat(name, TEN) == want


def test_percentile_of_a_single_value_and_of_ones() -> None:
    assert stat("p99", [42.0]) == 42.0
    assert stat("p1", [1.0] * 500) == 1.0


def test_extended_statistics_unavailable_with_negative_values() -> None:
    for name in ("p50", "tm90", "IQM", "wm98", "tc90", "ts90", "PR(:1)", "TM(1:2)"):
        assert stat(name, [-1.0, 1.0, 2.0]) is None, name
    assert stat("p50", [0.0, 1.0]) == 0.0  # zero is fine


# -- trimmed / winsorized / counts ------------------------------------------------------------------


def test_trimmed_mean_percentages() -> None:
    assert stat("TM(10%:90%)", TEN) == 5.5  # drops 1 and 10
    assert stat("tm90", TEN) == 5.0  # drops 10 -> mean(1..9)
    assert stat("tm99", TEN) == 5.5  # 1% of 10 points is not a whole point: nothing dropped
    assert stat("TM(20%:)", TEN) == 6.5  # drops 1, 2
    assert stat("IQM", [1.0, 2.0, 3.0, 4.0]) == 2.5  # ranks 2..3
    # All-equal values keep their ranks: nothing is lost to ties.
    assert stat("TM(10%:90%)", [1.0] * 20) == 1.0


def test_trimmed_mean_absolute_bounds_lower_exclusive_upper_inclusive() -> None:
    values = [100.0, 150.0, 151.0, 500.0, 1000.0, 1001.0]
    assert stat("TM(150:1000)", values) == (151.0 + 500.0 + 1000.0) / 3
    assert stat("TC(150:1000)", values) == 3.0
    assert stat("TS(150:1000)", values) == 1651.0
    assert stat("TC(:150)", values) == 2.0
    assert stat("TC(1000:)", values) == 1.0
    # No value kept: the trimmed mean has no datapoint, count and sum are zero.
    assert stat("TM(2000:3000)", values) is None
    assert stat("TC(2000:3000)", values) == 0.0
    assert stat("TS(2000:3000)", values) == 0.0


def test_trimmed_count_and_sum_documented_examples() -> None:
    assert stat("TC(0.005:0.030)", [0.001, 0.005, 0.006, 0.030, 0.031]) == 2.0
    assert stat("tc90", TEN) == 9.0
    assert stat("ts90", TEN) == 45.0
    assert stat("TS(80%:)", TEN) == 19.0  # drops the lowest 80% (8 points)


def test_winsorized_mean() -> None:
    # WM(10%:90%) on 1..10: the lowest 10% becomes the 10th percentile (1), the highest the 90th (9).
    assert stat("WM(10%:90%)", TEN) == (1 + sum(range(2, 10)) + 9) / 10
    assert stat("wm90", TEN) == (sum(range(1, 10)) + 9) / 10
    assert stat("WM(2:5)", TEN) == (2 + 2 + 3 + 4 + 5 * 6) / 10  # clamp to [2, 5]


def test_percentile_rank() -> None:
    assert stat("PR(:300)", [100.0, 200.0, 300.0, 400.0]) == 75.0
    assert stat("PR(100:2000)", [100.0, 200.0, 300.0, 4000.0]) == 50.0  # lower exclusive
    assert stat("PR(0:)", [0.0, 1.0, 2.0]) == pytest.approx(200 / 3)
    assert stat("PR(0:)", [0.0, 1.0, 2.0]) == float(Fraction(200, 3))
    assert stat("PR(:1e400)", [0.0, 1.7e308]) == 100.0
    assert stat("PR(1e400:)", [0.0, 1.7e308]) == 0.0
    assert stat("PR(1e2:1e3)", [100.0, 500.0]) == 50.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.sampled_from(["p10", "p50", "p90", "p99", "p100"]))
def test_percentile_is_a_sample_and_consistent_with_definition(values: list[float], name: str) -> None:
    v = stat(name, values)
    assert v is not None and v in values
    p = Fraction(name[1:]) / 100
    below_or_equal = sum(1 for x in values if x <= v)
    assert below_or_equal >= p * len(values)
    strictly_below = sum(1 for x in values if x < v)
    assert strictly_below < max(p * len(values), Fraction(1))


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_trimmed_statistics_are_consistent(values: list[float]) -> None:
    for rng in ("TM(10%:90%)", "TM(:95%)", "TM(5%:)", "TM(10:1000)"):
        count = stat(rng.replace("TM", "TC"), values)
        total = stat(rng.replace("TM", "TS"), values)
        mean = stat(rng, values)
        assert count is not None and total is not None
        if count == 0:
            assert mean is None
        else:
            assert mean is not None and min(values) <= mean <= max(values)
            assert mean == pytest.approx(total / count, rel=1e-12)
    wm = stat("WM(10%:90%)", values)
    assert wm is not None and min(values) <= wm <= max(values)


# -- low sample count -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "low"),
    [
        ("p99", 999, True),
        ("p99", 1000, False),
        ("p50", 19, True),
        ("p50", 20, False),
        ("p90", 99, True),
        ("p90", 100, False),
        ("p10", 99, True),
        ("p10", 100, False),
        ("p25", 39, True),
        ("p25", 40, False),
        ("p99.9", 9999, True),
        ("p99.9", 10000, False),
        ("p0", 1, False),
        ("p100", 1, False),
        ("tm99", 1, False),  # the setting applies to percentiles only
        ("Sum", 1, False),
    ],
)
def test_low_sample_count(name: str, count: int, low: bool) -> None:
    assert is_low_sample_count(parse_statistic(name), count) is low
