"""Chart geometry: scales, ticks and SVG path data for the reports' timelines and histograms.

Charts are drawn as inline SVG by the templates from the shapes computed here, with no charting library: the page
must open offline from a single file, render without JavaScript and print; a JavaScript charting library inlined
into every report would weigh more than the charts themselves, and would draw nothing without scripts. The values
come from :mod:`trailguard.report.timeline`; everything here is numbers and fixed words, and every text the
templates put into the SVG is escaped by the template engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from trailguard.report.formats import format_time, format_value, iso
from trailguard.report.timeline import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    Band,
    Column,
    Segment,
    column_shares,
    envelope,
)

__all__ = [
    "BarChart",
    "Marker",
    "TimelineChart",
    "bar_chart",
    "timeline_chart",
]

WIDTH: Final = 980
LEFT: Final = 62
RIGHT: Final = 960
#: Value columns per timeline: two SVG units each; enough to show every burst, small enough for a 75-day page.
COLUMNS: Final = 450
#: Above this many bands or notifications a timeline draws them per column instead of one by one.
MAX_EXACT_SHAPES: Final = 300
_TICK_STEPS_MS: Final = (
    MINUTE_MS,
    2 * MINUTE_MS,
    5 * MINUTE_MS,
    10 * MINUTE_MS,
    15 * MINUTE_MS,
    30 * MINUTE_MS,
    HOUR_MS,
    2 * HOUR_MS,
    3 * HOUR_MS,
    6 * HOUR_MS,
    12 * HOUR_MS,
    DAY_MS,
    2 * DAY_MS,
    7 * DAY_MS,
    14 * DAY_MS,
    28 * DAY_MS,
)
_STATES: Final = ("ALARM", "OK", "INSUFFICIENT_DATA")


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class BandShape:
    x: float
    width: float
    state: str
    start: str  # ISO 8601, for people and for tests reading the SVG
    end: str
    title: str


@dataclass(frozen=True, slots=True)
class BandLayer:
    """Columns of a long timeline drawn as one path: a state's columns, ALARM's by its share of each column."""

    state: str
    level: int  # 0 for the columns' main state; 1–4 for ALARM's share of the column (up to 25 %, 50 %, 75 %, 100 %)
    path: str


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    time: str
    title: str


@dataclass(frozen=True, slots=True)
class BarShape:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(slots=True)
class TimelineChart:
    """One alarm's timeline over ``[start_ms, end_ms)``: state bands, the value line, threshold, notifications."""

    label: str
    start_ms: int
    end_ms: int
    height: int
    top: float
    bottom: float
    bands: list[BandShape]  # one by one, when there are at most MAX_EXACT_SHAPES
    band_layers: list[BandLayer]  # per column otherwise
    column_hours: float  # how long one column is
    value_path: str
    threshold_y: float | None
    threshold_label: str
    markers: list[Marker]  # one by one, when there are at most MAX_EXACT_SHAPES
    marker_path: str  # per column otherwise
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    hover: dict[str, Any] = field(default_factory=dict)  # the data the page's script reads for its readout
    width: int = WIDTH
    left: int = LEFT
    right: int = RIGHT

    @property
    def start_iso(self) -> str:
        return iso(self.start_ms)

    @property
    def end_iso(self) -> str:
        return iso(self.end_ms)


@dataclass(slots=True)
class BarChart:
    label: str
    bars: list[BarShape]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    height: int
    top: float
    bottom: float
    width: int = WIDTH
    left: int = LEFT
    right: int = RIGHT


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _value_ticks(low: float, high: float, top: float, bottom: float) -> list[Tick]:
    span = high - low
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next((s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw), 10 * magnitude)
    ticks = []
    value = math.ceil(low / step) * step
    while value <= high + step * 1e-9:
        y = bottom - (value - low) / span * (bottom - top)
        ticks.append(Tick(round(y, 1), format_value(round(value, 10))))
        value += step
    return ticks


def _time_ticks(start_ms: int, end_ms: int) -> list[Tick]:
    span = end_ms - start_ms
    step = next((s for s in _TICK_STEPS_MS if span / s <= 8), _TICK_STEPS_MS[-1])
    first = start_ms - start_ms % step + (step if start_ms % step else 0)
    ticks = []
    previous_day = None
    at = first
    while at <= end_ms:
        moment = datetime.fromtimestamp(at / 1000, UTC)
        day = moment.date()
        if step >= DAY_MS:
            label = moment.strftime("%m-%d")
        elif day != previous_day:
            label = moment.strftime("%m-%d %H:%M")
        else:
            label = moment.strftime("%H:%M")
        previous_day = day
        ticks.append(Tick(round(LEFT + (at - start_ms) / span * (RIGHT - LEFT), 1), label))
        at += step
    return ticks


def _x(at_ms: int, start_ms: int, end_ms: int) -> float:
    return LEFT + (at_ms - start_ms) / (end_ms - start_ms) * (RIGHT - LEFT)


def _value_path(columns: Sequence[Column | None], y_of: Callable[[float], float]) -> str:
    """A step line through the columns' highs, with a vertical stroke where a column's low is lower."""
    unit = (RIGHT - LEFT) / len(columns)
    parts: list[str] = []
    pen_y: float | None = None
    for index, column in enumerate(columns):
        if column is None:
            pen_y = None
            continue
        left, right = LEFT + index * unit, LEFT + (index + 1) * unit
        high, low = y_of(column.high), y_of(column.low)
        if pen_y is None:
            parts.append(f"M{left:.1f} {high:.1f}")
        elif high != pen_y:
            parts.append(f"V{high:.1f}")
        if low != high:
            parts.append(f"V{low:.1f}V{high:.1f}")
        if parts[-1].startswith("H"):
            parts[-1] = f"H{right:.1f}"
        else:
            parts.append(f"H{right:.1f}")
        pen_y = high
    return "".join(parts)


def timeline_chart(
    *,
    label: str,
    alarm_name: str,
    start_ms: int,
    end_ms: int,
    segments: Sequence[Segment],
    bands: Sequence[Band],
    notifications: Sequence[tuple[int, str]],
    threshold: float | None,
    threshold_label: str,
    statistic: str,
) -> TimelineChart:
    """The timeline of one alarm between two times (the whole replay, or a close-up of a busy period)."""
    end_ms = max(end_ms, start_ms + MINUTE_MS)
    height, top, bottom = 230, 24.0, 196.0
    columns = envelope(segments, start_ms, end_ms, COLUMNS)
    highs = [c.high for c in columns if c is not None]
    lows = [c.low for c in columns if c is not None]
    candidates_high = [*highs, *([threshold] if threshold is not None else [])]
    candidates_low = [0.0, *lows, *([threshold] if threshold is not None else [])]
    low = min(candidates_low)
    high = _nice_ceiling(max(candidates_high) * 1.1) if candidates_high and max(candidates_high) > 0 else 1.0
    if low < 0:
        low = -_nice_ceiling(-low * 1.1)
    if high <= low:
        high = low + 1

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    visible = [b for b in bands if b.end_ms > start_ms and b.start_ms < end_ms]
    unit = (RIGHT - LEFT) / COLUMNS
    band_shapes: list[BandShape] = []
    layers: list[BandLayer] = []
    shares = column_shares(visible, start_ms, end_ms, COLUMNS)
    if len(visible) <= MAX_EXACT_SHAPES:
        for band in visible:
            lo, hi = max(band.start_ms, start_ms), min(band.end_ms, end_ms)
            x0, x1 = _x(lo, start_ms, end_ms), _x(hi, start_ms, end_ms)
            band_shapes.append(
                BandShape(
                    round(x0, 2),
                    round(max(x1 - x0, 0.5), 2),
                    band.state,
                    iso(band.start_ms),
                    iso(band.end_ms),
                    f"{band.state} {format_time(band.start_ms)} → {format_time(band.end_ms)}",
                )
            )
    else:
        runs: dict[tuple[str, int], list[int]] = {}
        for index, share in enumerate(shares):
            others = {state: part for state, part in share.items() if state != "ALARM"}
            if others:
                runs.setdefault((max(sorted(others), key=lambda state: others[state]), 0), []).append(index)
            if share.get("ALARM"):
                runs.setdefault(("ALARM", min(4, math.ceil(share["ALARM"] * 4 - 1e-9))), []).append(index)
        for (state, level), indices in sorted(runs.items()):
            layers.append(BandLayer(state, level, _columns_path(indices, unit, top, bottom)))
    shown = [(at, text) for at, text in notifications if start_ms <= at <= end_ms]
    markers: list[Marker] = []
    marker_path = ""
    if len(shown) <= MAX_EXACT_SHAPES:
        markers = [
            Marker(round(_x(at, start_ms, end_ms), 2), iso(at), f"{format_time(at)} {text}") for at, text in shown
        ]
    else:
        marked = sorted({min(COLUMNS - 1, (at - start_ms) * COLUMNS // (end_ms - start_ms)) for at, _ in shown})
        marker_path = "".join(f"M{LEFT + (i + 0.5) * unit:.1f} {top - 2:.0f}l-3 -7h6z" for i in marked)
    hover = {
        "alarm": alarm_name,
        "t0": start_ms,
        "t1": end_ms,
        "statistic": statistic,
        "values": [None if c is None else [_short(c.low), _short(c.high)] for c in columns],
        "shares": [[round(100 * share.get(state, 0.0)) for state in _STATES] for share in shares],
    }
    return TimelineChart(
        label=label,
        start_ms=start_ms,
        end_ms=end_ms,
        height=height,
        top=top,
        bottom=bottom,
        bands=band_shapes,
        band_layers=layers,
        column_hours=(end_ms - start_ms) / COLUMNS / HOUR_MS,
        value_path=_value_path(columns, y_of),
        threshold_y=None if threshold is None else round(y_of(threshold), 1),
        threshold_label=threshold_label,
        markers=markers,
        marker_path=marker_path,
        x_ticks=_time_ticks(start_ms, end_ms),
        y_ticks=_value_ticks(low, high, top, bottom),
        hover=hover,
    )


def _short(value: float) -> float | int:
    return int(value) if value == int(value) and abs(value) < 1e15 else float(f"{value:.6g}")


def _columns_path(indices: Sequence[int], unit: float, top: float, bottom: float) -> str:
    """Rectangles over the given columns, neighbours joined, as one SVG path."""
    parts = []
    run_start = previous = None
    for index in [*indices, None]:
        if index is not None and previous is not None and index == previous + 1:
            previous = index
            continue
        if run_start is not None and previous is not None:
            x0, width = LEFT + run_start * unit, (previous - run_start + 1) * unit
            parts.append(f"M{x0:.1f} {top:.0f}h{width:.1f}V{bottom:.0f}h{-width:.1f}z")
        run_start = previous = index
    return "".join(parts)


def bar_chart(*, label: str, start_ms: int, bucket_ms: int, counts: Sequence[float], unit_name: str) -> BarChart:
    """A histogram of counts per bucket (hour, day or week) starting at the bucket holding ``start_ms``."""
    height, top, bottom = 150, 10.0, 120.0
    first = start_ms - start_ms % bucket_ms
    end = first + bucket_ms * len(counts)
    high = _nice_ceiling(max(counts, default=0.0)) if max(counts, default=0.0) > 0 else 1.0
    width = (RIGHT - LEFT) / max(len(counts), 1)
    bars = []
    for index, count in enumerate(counts):
        if count <= 0:
            continue
        y = bottom - count / high * (bottom - top)
        at = first + index * bucket_ms
        bars.append(
            BarShape(
                round(LEFT + index * width + width * 0.1, 2),
                round(y, 1),
                round(width * 0.8, 2),
                round(bottom - y, 1),
                f"{format_time(at, seconds=False)}: {format_value(count)} per {unit_name}",
            )
        )
    return BarChart(
        label=label,
        bars=bars,
        x_ticks=_time_ticks(first, end),
        y_ticks=_value_ticks(0.0, high, top, bottom),
        height=height,
        top=top,
        bottom=bottom,
    )
