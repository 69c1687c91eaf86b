"""The numbers behind the reports' timelines: what an alarm saw at each moment, its state over time, its busiest
periods, and how each of these is reduced to a fixed number of columns for a chart.

Everything here is pure arithmetic on epoch milliseconds, shared by the HTML pages (which read a saved JSON
document) and the terminal report (which reads the replay's result directly), so both say the same thing.

What an alarm "sees": CloudWatch evaluates a metric alarm every minute over buckets that slide with the
evaluation time and are aligned to the minute, not to the Period (docs/semantics.md, "Alarm evaluation"; the
engine's :mod:`trailguard.engine.alarms`). The newest bucket at time ``t`` holds the datapoints whose minute lies in
``[floor_minute(t) - Period, floor_minute(t))``. :func:`alarm_view` gives that bucket's statistic as a step
function of ``t``, so a chart of it crosses the threshold exactly where a one-datapoint alarm goes to ALARM,
which a chart of Period-aligned buckets (as the CloudWatch console draws) does not always do. Sub-minute Periods
align their buckets to the Period itself, as the engine does.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ALARM",
    "BUCKET_SIZES_MS",
    "MINUTE_MS",
    "Band",
    "BusyPeriod",
    "Column",
    "MinuteAggregate",
    "Segment",
    "alarm_view",
    "busiest_periods",
    "column_shares",
    "computable_statistic",
    "envelope",
    "histogram",
    "histogram_bucket_ms",
    "merge_minutes",
    "state_bands",
    "time_in_state",
]

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 60 * MINUTE_MS
DAY_MS: Final = 24 * HOUR_MS
ALARM: Final = "ALARM"
INSUFFICIENT_DATA: Final = "INSUFFICIENT_DATA"

#: Histogram buckets, smallest first, and the most bars a histogram may have before the next size is used.
BUCKET_SIZES_MS: Final = (MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, DAY_MS, 7 * DAY_MS)
MAX_BARS: Final = 120

# The statistics that the per-minute (sampleCount, sum, minimum, maximum) aggregates of a replay document
# determine exactly; percentiles and trimmed statistics need the values themselves.
_COMPUTABLE: Final = frozenset({"Sum", "SampleCount", "Average", "Minimum", "Maximum"})


@dataclass(frozen=True, slots=True)
class MinuteAggregate:
    """One minute of one metric: what a replay document's datapoint holds."""

    minute_ms: int
    count: float
    sum: float
    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time ``[start_ms, end_ms)`` over which a value stays the same."""

    start_ms: int
    end_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class Band:
    """An alarm state held over ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    state: str


@dataclass(frozen=True, slots=True)
class BusyPeriod:
    """One Period-long window of the metric and its statistic: ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a chart: the lowest and highest value over its stretch of time."""

    low: float
    high: float


def _end(item: Segment | Band) -> int:
    return item.end_ms


def computable_statistic(statistic: str) -> str:
    """The statistic a chart can draw exactly: ``statistic`` itself, or ``Maximum`` for the others.

    A percentile or trimmed statistic cannot be computed from per-minute aggregates; the Maximum is an upper bound
    of every one of them, so a chart of it never hides a value that could have crossed a greater-than threshold.
    """
    return statistic if statistic in _COMPUTABLE else "Maximum"


def merge_minutes(points: Iterable[MinuteAggregate]) -> list[MinuteAggregate]:
    """Points of several series (an alarm without a Unit reads every unit's series) merged per minute, sorted."""
    by_minute: dict[int, MinuteAggregate] = {}
    for point in points:
        seen = by_minute.get(point.minute_ms)
        if seen is None:
            by_minute[point.minute_ms] = point
        else:
            by_minute[point.minute_ms] = MinuteAggregate(
                point.minute_ms,
                seen.count + point.count,
                seen.sum + point.sum,
                min(seen.minimum, point.minimum),
                max(seen.maximum, point.maximum),
            )
    return [by_minute[minute] for minute in sorted(by_minute)]


def alarm_view(points: Sequence[MinuteAggregate], statistic: str, period_s: int) -> list[Segment]:
    """The statistic of the alarm's newest bucket as a step function of evaluation time (see the module docstring).

    ``points`` must be sorted by minute with one point per minute (:func:`merge_minutes`). Times at which the
    bucket is empty have no segment. Adjacent segments with equal values are merged. Cost: O(n) for n points.
    """
    period_ms = period_s * 1000
    # A point at minute M is in the newest bucket for t in [M + alignment, M + Period + alignment).
    alignment = MINUTE_MS if period_ms >= MINUTE_MS else period_ms
    statistic = computable_statistic(statistic)
    track_low, track_high = statistic == "Minimum", statistic == "Maximum"
    out: list[Segment] = []
    # The bucket holds points[head:index]; minima and maxima are followed only for the statistic that needs them.
    lows: deque[MinuteAggregate] = deque()  # increasing minima: the bucket's minimum is lows[0]
    highs: deque[MinuteAggregate] = deque()  # decreasing maxima
    total = count = 0.0
    head = index = 0
    n = len(points)
    stay = period_ms + alignment  # a point leaves the bucket this long after its minute
    open_start: int | None = None  # the segment being swept: its start and value
    open_value = 0.0
    while index < n or head < index:
        if index < n:
            at = points[index].minute_ms + alignment
            if head < index and points[head].minute_ms + stay < at:
                at = points[head].minute_ms + stay
        else:
            at = points[head].minute_ms + stay
        while head < index and points[head].minute_ms + stay == at:
            gone = points[head]
            head += 1
            if track_low and lows[0] is gone:
                lows.popleft()
            if track_high and highs[0] is gone:
                highs.popleft()
            total -= gone.sum
            count -= gone.count
        if head == index:
            total = count = 0.0  # no rounding drift carried across an empty stretch
        while index < n and points[index].minute_ms + alignment == at:
            point = points[index]
            index += 1
            if track_low:
                while lows and lows[-1].minimum >= point.minimum:
                    lows.pop()
                lows.append(point)
            if track_high:
                while highs and highs[-1].maximum <= point.maximum:
                    highs.pop()
                highs.append(point)
            total += point.sum
            count += point.count
        current: float | None
        if head == index:
            current = None
        elif statistic == "Sum":
            current = total
        elif statistic == "SampleCount":
            current = count
        elif statistic == "Average":
            current = total / count
        else:
            current = lows[0].minimum if track_low else highs[0].maximum
        if open_start is not None and current != open_value:
            out.append(Segment(open_start, at, open_value))
            open_start = None
        if current is not None and open_start is None:
            open_start, open_value = at, current
    return out


def busiest_periods(segments: Sequence[Segment], period_s: int, limit: int = 3) -> list[BusyPeriod]:
    """The ``limit`` highest values of the alarm's view, as non-overlapping Period-long windows, highest first.

    Each segment stands for the window that ends at its start (the first evaluation that saw that value);
    ties go to the earlier window.
    """
    period_ms = period_s * 1000
    alignment = MINUTE_MS if period_ms >= MINUTE_MS else period_ms
    # A heap rather than a sort: a long replay has 100,000 segments and only the first few are wanted.
    ranked = [(-segment.value, segment.start_ms) for segment in segments]
    heapq.heapify(ranked)
    chosen: list[BusyPeriod] = []
    while ranked and len(chosen) < limit:
        negative, first = heapq.heappop(ranked)
        end = first - first % alignment
        start = end - period_ms
        if any(start < other.end_ms and other.start_ms < end for other in chosen):
            continue
        chosen.append(BusyPeriod(start, end, -negative))
    return chosen


def state_bands(created_ms: int, end_ms: int, transitions: Iterable[tuple[int, str]]) -> list[Band]:
    """The alarm's state from its creation (INSUFFICIENT_DATA) to ``end_ms``, from (time, new state) pairs."""
    bands: list[Band] = []
    since, state = created_ms, INSUFFICIENT_DATA
    for at_ms, new_state in transitions:
        if at_ms > since:
            bands.append(Band(since, at_ms, state))
        since, state = max(since, at_ms), new_state
    if end_ms > since:
        bands.append(Band(since, end_ms, state))
    return bands


def time_in_state(bands: Iterable[Band], state: str = ALARM) -> int:
    """Milliseconds spent in ``state``."""
    return sum(band.end_ms - band.start_ms for band in bands if band.state == state)


def envelope(segments: Sequence[Segment], start_ms: int, end_ms: int, columns: int) -> list[Column | None]:
    """The lowest and highest value in each of ``columns`` equal stretches of ``[start_ms, end_ms)``.

    This keeps every peak however many segments fall into one column (a mean would flatten a one-minute burst
    out of a 75-day chart). Columns without data are None.
    """
    out: list[Column | None] = [None] * columns
    span = end_ms - start_ms
    if span <= 0 or columns <= 0:
        return out
    # Segments are sorted and disjoint: skip straight to the first one that ends after start_ms.
    for position in range(bisect_right(segments, start_ms, key=_end), len(segments)):
        segment = segments[position]
        if segment.start_ms >= end_ms:
            break
        first = max(0, (segment.start_ms - start_ms) * columns // span)
        last = min(columns - 1, (segment.end_ms - 1 - start_ms) * columns // span)
        for index in range(first, last + 1):
            seen = out[index]
            if seen is None:
                out[index] = Column(segment.value, segment.value)
            elif segment.value < seen.low or segment.value > seen.high:
                out[index] = Column(min(seen.low, segment.value), max(seen.high, segment.value))
    return out


def column_shares(bands: Sequence[Band], start_ms: int, end_ms: int, columns: int) -> list[dict[str, float]]:
    """For each of ``columns`` equal stretches of ``[start_ms, end_ms)``, the share (0–1) of it spent in each state.

    A long timeline draws these instead of thousands of bands: one ALARM minute in a four-hour column stays
    visible as a faint red column rather than vanishing or painting the whole column red.
    """
    span = end_ms - start_ms
    out: list[dict[str, float]] = [{} for _ in range(max(columns, 0))]
    if span <= 0 or columns <= 0:
        return out

    def edge(index: int) -> int:
        return start_ms + span * index // columns

    for position in range(bisect_right(bands, start_ms, key=_end), len(bands)):
        band = bands[position]
        if band.start_ms >= end_ms:
            break
        lo, hi = max(band.start_ms, start_ms), min(band.end_ms, end_ms)
        if lo >= hi:
            continue
        first = (lo - start_ms) * columns // span
        last = min(columns - 1, (hi - 1 - start_ms) * columns // span)
        for index in range(first, last + 1):
            left, right = edge(index), edge(index + 1)
            overlap = min(hi, right) - max(lo, left)
            if overlap > 0:
                shares = out[index]
                shares[band.state] = shares.get(band.state, 0.0) + overlap / (right - left)
    return out


def histogram_bucket_ms(start_ms: int, end_ms: int) -> int:
    """The smallest bucket (a minute ... a week) that splits the span into at most MAX_BARS bars."""
    for size in BUCKET_SIZES_MS:
        if _bucket_count(start_ms, end_ms, size) <= MAX_BARS:
            return size
    return BUCKET_SIZES_MS[-1]


def _bucket_count(start_ms: int, end_ms: int, size: int) -> int:
    return max(1, -(-(end_ms - (start_ms - start_ms % size)) // size))


def histogram(counts: Iterable[tuple[int, float]], start_ms: int, end_ms: int, size_ms: int) -> list[float]:
    """``(minute_ms, count)`` pairs summed into ``size_ms`` buckets aligned to UTC, covering the span."""
    first = start_ms - start_ms % size_ms
    out = [0.0] * _bucket_count(start_ms, end_ms, size_ms)
    for minute_ms, count in counts:
        index = (minute_ms - first) // size_ms
        if 0 <= index < len(out):
            out[index] += count
    return out
