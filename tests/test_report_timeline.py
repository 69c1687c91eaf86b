"""The reports' timeline arithmetic: what the alarm saw at each moment (against a brute-force window and against
the alarm engine's own reasons), busiest periods, state bands, and the reductions to chart columns."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from replay_documents import long_trail, replay_outputs
from trailguard.report.document import parse_time
from trailguard.report.timeline import (
    MINUTE_MS,
    Band,
    MinuteAggregate,
    Segment,
    alarm_view,
    busiest_periods,
    column_shares,
    envelope,
    histogram,
    histogram_bucket_ms,
    merge_minutes,
    state_bands,
    time_in_state,
)

STATISTICS = ("Sum", "SampleCount", "Average", "Minimum", "Maximum")


def brute_force(points: list[MinuteAggregate], statistic: str, period_s: int, at_ms: int) -> float | None:
    """The statistic of the newest bucket at ``at_ms``, computed from its definition."""
    period = period_s * 1000
    alignment = MINUTE_MS if period >= MINUTE_MS else period
    end = at_ms - at_ms % alignment
    inside = [p for p in points if end - period <= p.minute_ms < end]
    if not inside:
        return None
    total, count = math.fsum(p.sum for p in inside), sum(p.count for p in inside)
    return {
        "Sum": total,
        "SampleCount": count,
        "Average": total / count,
        "Minimum": min(p.minimum for p in inside),
        "Maximum": max(p.maximum for p in inside),
    }[statistic]


def value_at(segments: list[Segment], at_ms: int) -> float | None:
    for segment in segments:
        if segment.start_ms <= at_ms < segment.end_ms:
            return segment.value
    return None


minute_points = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 4), st.integers(-3, 9), st.integers(0, 5)),
    max_size=25,
    unique_by=lambda item: item[0],
).map(
    lambda items: sorted(
        (
            MinuteAggregate(minute * MINUTE_MS, count, float(low * count + spread), float(low), float(low + spread))
            for minute, count, low, spread in items
        ),
        key=lambda p: p.minute_ms,
    )
)


@given(
    points=minute_points,
    statistic=st.sampled_from(STATISTICS),
    period_s=st.sampled_from([10, 30, 60, 120, 300, 900]),
    at_s=st.integers(0, 3600),
)
def test_alarm_view_is_the_newest_bucket_at_every_moment(
    points: list[MinuteAggregate], statistic: str, period_s: int, at_s: int
) -> None:
    segments = alarm_view(points, statistic, period_s)
    expected = brute_force(points, statistic, period_s, at_s * 1000)
    got = value_at(segments, at_s * 1000)
    if expected is None:
        assert got is None
    else:
        assert got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    # Segments are ordered, disjoint, and neighbours differ (or have a gap between them).
    for before, after in itertools.pairwise(segments):
        assert before.end_ms <= after.start_ms
        assert before.end_ms < after.start_ms or before.value != after.value


def test_alarm_view_agrees_with_the_alarm_engine(tmp_path: Path) -> None:
    """At each transition to ALARM of the CIS 4.6 alarm (1 of 1 period), the view's value is the datapoint the
    engine's reason quotes."""
    document, _ = replay_outputs(tmp_path, str(long_trail(tmp_path, bursts=30)))
    (alarm,) = document["alarms"]
    (series,) = document["metrics"]
    points = [
        MinuteAggregate(parse_time(p["time"]), p["sampleCount"], p["sum"], p["minimum"], p["maximum"])
        for p in series["datapoints"]
    ]
    segments = alarm_view(points, "Sum", 300)
    into_alarm = [t for t in alarm["transitions"] if t["to"] == "ALARM"]
    assert len(into_alarm) == 30
    for transition in into_alarm:
        assert value_at(segments, parse_time(transition["time"])) == transition["reasonData"]["recentDatapoints"][0]


def test_statistics_that_need_the_values_are_drawn_as_their_upper_bound() -> None:
    points = [MinuteAggregate(0, 3, 6.0, 1.0, 3.0)]
    assert alarm_view(points, "p90", 60) == alarm_view(points, "Maximum", 60) == [Segment(60_000, 120_000, 3.0)]


def test_merge_minutes_adds_series_of_several_units() -> None:
    merged = merge_minutes([MinuteAggregate(0, 1, 2.0, 2.0, 2.0), MinuteAggregate(0, 2, 3.0, 1.0, 2.0)])
    assert merged == [MinuteAggregate(0, 3, 5.0, 1.0, 2.0)]


def test_busiest_periods_do_not_overlap_and_come_highest_first() -> None:
    minute = MINUTE_MS
    points = [MinuteAggregate(m * minute, 1, v, v, v) for m, v in ((10, 5.0), (11, 4.0), (30, 2.0), (50, 3.0))]
    busiest = busiest_periods(alarm_view(points, "Sum", 300), 300)
    assert [(b.start_ms // minute, b.end_ms // minute, b.value) for b in busiest] == [
        (7, 12, 9.0),
        (46, 51, 3.0),
        (26, 31, 2.0),
    ]


def test_state_bands_and_time_in_alarm() -> None:
    bands = state_bands(0, 100, [(10, "ALARM"), (30, "OK"), (30, "ALARM"), (60, "OK")])
    assert bands == [
        Band(0, 10, "INSUFFICIENT_DATA"),
        Band(10, 30, "ALARM"),
        Band(30, 60, "ALARM"),
        Band(60, 100, "OK"),
    ]
    assert time_in_state(bands) == 50


def test_envelope_keeps_a_one_minute_peak_of_a_long_span() -> None:
    day = 24 * 60 * MINUTE_MS
    segments = [Segment(0, 75 * day, 1.0), Segment(40 * day, 40 * day + MINUTE_MS, 50.0)]
    columns = envelope(segments, 0, 75 * day, 450)
    peaks = [index for index, column in enumerate(columns) if column is not None and column.high == 50.0]
    assert peaks == [240]
    assert all(column is not None and column.low == 1.0 for column in columns)


def test_column_shares_add_up_to_the_time_covered() -> None:
    bands = [Band(0, 90, "INSUFFICIENT_DATA"), Band(90, 91, "ALARM"), Band(91, 400, "OK")]
    shares = column_shares(bands, 0, 400, 4)
    assert shares[0] == {"INSUFFICIENT_DATA": 0.9, "ALARM": 0.01, "OK": 0.09}
    assert all(math.isclose(sum(share.values()), 1.0) for share in shares)


def test_histogram_buckets() -> None:
    hour = 60 * MINUTE_MS
    assert histogram_bucket_ms(0, 62 * MINUTE_MS) == MINUTE_MS
    assert histogram_bucket_ms(0, 3 * 24 * hour) == hour
    assert histogram_bucket_ms(0, 75 * 24 * hour) == 24 * hour
    assert histogram([(0, 2.0), (59 * MINUTE_MS, 1.0), (hour, 4.0)], 0, 2 * hour, hour) == [3.0, 4.0]
