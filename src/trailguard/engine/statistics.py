"""CloudWatch statistics over an :class:`~trailguard.engine.aggregates.Aggregate`.

Simple statistics: SampleCount, Average, Sum, Minimum, Maximum.
Extended statistics: ``pNN``; ``tmNN``/``TM(..)`` trimmed mean; ``wmNN``/``WM(..)`` winsorized mean;
``tcNN``/``TC(..)`` trimmed count; ``tsNN``/``TS(..)`` trimmed sum; ``IQM``; ``PR(n:m)`` percentile rank.

Definitions (CloudWatch "Statistics definitions" and the choices documented in compatibility.md):

* Percentile pX is the nearest-rank percentile: with the n samples sorted ascending, the sample at
  rank max(1, ceil(X/100 * n)). It is always a published value ("p99 is the maximum value of the
  remaining 99%").
* Percentage boundaries select ranks: ``TM(a%:b%)`` keeps the samples with rank r,
  ceil(a/100*n) < r <= ceil(b/100*n), i.e. lower boundary exclusive and upper inclusive at the
  nearest-rank percentiles; ``tmX`` is ``TM(:X%)``; ``IQM`` is ``TM(25%:75%)``.
* Absolute boundaries select values: ``TM(a:b)`` keeps a < v <= b, with a and b read as doubles.
* ``WM``: samples below the lower boundary count as the lower boundary's value (the a-th
  percentile, or ``a`` for absolute boundaries), samples above the upper one as the upper's.
* ``PR(a:b)``: the percentage (0-100) of samples with a < v <= b.
* Extended statistics are unavailable (no datapoint) once any sample in the period is negative.

All arithmetic on samples is exact (fractions) and rounded once at the end, so results do not
depend on the order in which samples or partial aggregates were merged.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from trailguard.engine.aggregates import Aggregate

__all__ = [
    "SIMPLE_STATISTICS",
    "Bound",
    "InvalidStatisticError",
    "Kind",
    "StatisticSpec",
    "compute",
    "compute_parts",
    "is_low_sample_count",
    "parse_extended_statistic",
    "parse_statistic",
]

SIMPLE_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


class InvalidStatisticError(ValueError):
    """The text is not a statistic CloudWatch accepts."""


class Kind(Enum):
    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    PERCENTILE = "p"
    TRIMMED_MEAN = "TM"
    WINSORIZED_MEAN = "WM"
    TRIMMED_COUNT = "TC"
    TRIMMED_SUM = "TS"
    PERCENTILE_RANK = "PR"


_SIMPLE_KINDS = {k.value: k for k in (Kind.SAMPLE_COUNT, Kind.AVERAGE, Kind.SUM, Kind.MINIMUM, Kind.MAXIMUM)}
_TRIM_KINDS = {"TM": Kind.TRIMMED_MEAN, "WM": Kind.WINSORIZED_MEAN, "TC": Kind.TRIMMED_COUNT, "TS": Kind.TRIMMED_SUM}


@dataclass(frozen=True, slots=True)
class Bound:
    """One boundary of a range statistic: a percentage (0-100) or an absolute metric value."""

    value: Fraction
    percent: bool


@dataclass(frozen=True, slots=True)
class StatisticSpec:
    """A parsed statistic. ``name`` is the text as written (what AWS echoes back)."""

    name: str
    kind: Kind
    percentile: Fraction | None = None  # for PERCENTILE, 0..100
    lower: Bound | None = None
    upper: Bound | None = None

    @property
    def extended(self) -> bool:
        return self.kind not in _SIMPLE_KINDS.values()


# A number with at most 10 decimal places, as the CloudWatch syntax allows.
_NUM = r"\d+(?:\.\d{1,10})?"
# An absolute boundary is a metric value: sign and exponent allowed (as the config validator does).
_VALUE = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_BOUND = rf"(?:{_NUM}%|{_VALUE})"
_SHORT_RE = re.compile(rf"(p|tm|wm|tc|ts)({_NUM})")
_RANGE_RE = re.compile(rf"(TM|WM|TC|TS|PR)\(({_BOUND})?:({_BOUND})?\)")
_MAX_DOUBLE = Fraction(sys.float_info.max)
_HUNDRED = Fraction(100)


def _percent(text: str, whole: str) -> Fraction:
    value = Fraction(text)
    if value > _HUNDRED:
        raise InvalidStatisticError(f"{whole!r}: percentage {text} is above 100")
    return value


def _absolute(text: str) -> Fraction:
    """An absolute boundary as the double it denotes, so a published 0.005 equals a boundary written
    0.005. Beyond the double range it is clamped to +-max double, which no finite sample exceeds."""
    value = float(text)
    if math.isinf(value):
        return _MAX_DOUBLE if value > 0 else -_MAX_DOUBLE
    return Fraction(value)


def parse_extended_statistic(name: str) -> StatisticSpec:
    """Parse and validate an ExtendedStatistic name.

    Accepted (case-sensitive, as documented): ``pX`` (0 <= X <= 100), ``tmX``/``wmX``/``tcX``/``tsX``
    (0 <= X <= 100, meaning ``TM(:X%)`` etc.), ``TM|WM|TC|TS(a%:b%)`` with 0 <= a < b <= 100 and
    either side optional, ``TM|WM|TC|TS(a:b)`` and ``PR(a:b)`` with absolute values a < b (either
    side optional), and ``IQM``. Percentages carry at most 10 decimal places; absolute values may
    have a sign and an exponent. The two boundaries of one range are both percentages or both
    absolute values. This accepts a superset of what PutMetricAlarm documents (which lists
    ``TM(X%:X%)`` with 10 <= X <= 90); the narrower check belongs to the config validator.
    """
    if not isinstance(name, str):
        raise InvalidStatisticError(f"statistic must be a string, got {type(name).__name__}")
    if name == "IQM":
        return StatisticSpec(name, Kind.TRIMMED_MEAN, None, Bound(Fraction(25), True), Bound(Fraction(75), True))
    m = _SHORT_RE.fullmatch(name)
    if m:
        prefix, num = m.groups()
        value = _percent(num, name)
        if prefix == "p":
            return StatisticSpec(name, Kind.PERCENTILE, value)
        return StatisticSpec(name, _TRIM_KINDS[prefix.upper()], None, None, Bound(value, True))
    m = _RANGE_RE.fullmatch(name)
    if m:
        prefix, lo_text, hi_text = m.groups()
        if lo_text is None and hi_text is None:
            raise InvalidStatisticError(f"{name!r}: a range needs at least one boundary")
        texts = [t for t in (lo_text, hi_text) if t is not None]
        percents = {t.endswith("%") for t in texts}
        if len(percents) > 1:
            raise InvalidStatisticError(f"{name!r}: both boundaries must be percentages or both absolute values")
        percent = percents.pop()
        if percent and prefix == "PR":
            raise InvalidStatisticError(f"{name!r}: percentile rank boundaries are metric values, not percentages")
        if (
            lo_text is not None
            and hi_text is not None
            and not Fraction(lo_text.rstrip("%")) < Fraction(hi_text.rstrip("%"))
        ):
            raise InvalidStatisticError(f"{name!r}: the lower boundary must be below the upper boundary")
        bounds: list[Bound | None] = []
        for t in (lo_text, hi_text):
            if t is None:
                bounds.append(None)
            elif percent:
                bounds.append(Bound(_percent(t[:-1], name), True))
            else:
                bounds.append(Bound(_absolute(t), False))
        lower, upper = bounds
        kind = Kind.PERCENTILE_RANK if prefix == "PR" else _TRIM_KINDS[prefix]
        return StatisticSpec(name, kind, None, lower, upper)
    raise InvalidStatisticError(f"{name!r} is not a valid extended statistic")


def parse_statistic(name: str) -> StatisticSpec:
    """Parse a simple statistic name (``Sum`` ...) or an extended one (``p99`` ...)."""
    kind = _SIMPLE_KINDS.get(name) if isinstance(name, str) else None
    if kind is not None:
        return StatisticSpec(name, kind)
    return parse_extended_statistic(name)


def is_low_sample_count(spec: StatisticSpec, sample_count: int) -> bool:
    """Whether a percentile datapoint rests on too few samples (EvaluateLowSampleCountPercentile).

    For 0.5 <= p < 1: fewer than 10/(1-p) samples; for 0 < p < 0.5: fewer than 10/p samples.
    Only ``pX`` statistics have the notion (the API applies the setting to percentiles only);
    p0 and p100 are never low-sample.
    """
    if spec.kind is not Kind.PERCENTILE or spec.percentile is None:
        return False
    p = spec.percentile / 100
    if Fraction(1, 2) <= p < 1:
        return sample_count < 10 / (1 - p)
    if 0 < p < Fraction(1, 2):
        return sample_count < 10 / p
    return False


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _rank_value(items: list[tuple[float, int]], rank: int) -> float:
    """The sample at 1-based ``rank`` in ascending order."""
    seen = 0
    for v, c in items:
        seen += c
        if seen >= rank:
            return v
    return items[-1][0]


def _fraction_to_float(x: Fraction) -> float:
    try:
        return x.numerator / x.denominator
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _rank_window(spec: StatisticSpec, n: int) -> tuple[int, int]:
    """(L, U): percentage boundaries keep ranks L < r <= U."""
    lo = 0 if spec.lower is None else _ceil(spec.lower.value * n / 100)
    hi = n if spec.upper is None else _ceil(spec.upper.value * n / 100)
    return lo, max(lo, hi)


def _kept_by_rank(items: list[tuple[float, int]], lo: int, hi: int) -> tuple[int, Fraction]:
    """Count and exact sum of the samples with rank lo < r <= hi."""
    count = 0
    total = Fraction(0)
    seen = 0
    for v, c in items:
        first, last = seen + 1, seen + c
        seen = last
        take = min(last, hi) - max(first, lo + 1) + 1
        if take > 0:
            count += take
            total += Fraction(v) * take
        if seen >= hi:
            break
    return count, total


def _in_value_range(v: float, spec: StatisticSpec) -> bool:
    lower, upper = spec.lower, spec.upper
    if lower is not None and not v > lower.value:
        return False
    return upper is None or v <= upper.value


def compute_parts(spec: StatisticSpec, parts: Sequence[Aggregate]) -> tuple[float | None, int]:
    """(statistic, sample count) over the union of ``parts``, e.g. the minutes of one period.

    Equal to ``compute(spec, Aggregate.merged(parts))``; the simple statistics are computed from
    the parts' summaries without building the merged value map.
    """
    if len(parts) == 1:
        agg = parts[0]
        return compute(spec, agg), agg.count
    count = sum(p.count for p in parts)
    kind = spec.kind
    if count == 0:
        return None, 0
    if kind is Kind.SUM:
        return Aggregate.sum_of(parts), count
    if kind is Kind.SAMPLE_COUNT:
        return float(count), count
    if kind is Kind.AVERAGE:
        return Aggregate.sum_of(parts) / count, count
    if kind is Kind.MINIMUM:
        return min(p.minimum for p in parts), count
    if kind is Kind.MAXIMUM:
        return max(p.maximum for p in parts), count
    return compute(spec, Aggregate.merged(parts)), count


def compute(spec: StatisticSpec, agg: Aggregate) -> float | None:
    """The statistic over the samples of ``agg``; None when there is no datapoint.

    There is no datapoint for an empty aggregate, for an extended statistic over samples that
    include a negative value, and for a trimmed mean that keeps no sample.
    """
    n = agg.count
    if n == 0:
        return None
    kind = spec.kind
    if kind is Kind.SUM:
        return agg.sum
    if kind is Kind.SAMPLE_COUNT:
        return float(n)
    if kind is Kind.AVERAGE:
        return agg.sum / n
    if kind is Kind.MINIMUM:
        return agg.minimum
    if kind is Kind.MAXIMUM:
        return agg.maximum
    if agg.minimum < 0:
        return None  # "not available for metrics when any of the metric values are negative"
    items = agg.sorted_items()
    if kind is Kind.PERCENTILE:
        assert spec.percentile is not None
        return _rank_value(items, max(1, _ceil(spec.percentile * n / 100)))
    if kind is Kind.PERCENTILE_RANK:
        hits = sum(c for v, c in items if _in_value_range(v, spec))
        return _fraction_to_float(Fraction(100 * hits, n))

    bound = spec.lower if spec.lower is not None else spec.upper
    percent = bound is not None and bound.percent
    if kind is Kind.WINSORIZED_MEAN:
        total = Fraction(0)
        if percent:
            lo, hi = _rank_window(spec, n)
            low_edge = Fraction(_rank_value(items, max(lo, 1)))
            high_edge = Fraction(_rank_value(items, max(hi, 1)))
            seen = 0
            for v, c in items:
                for rank_first, rank_last, value in (
                    (seen + 1, min(seen + c, lo), low_edge),
                    (max(seen + 1, lo + 1), min(seen + c, hi), Fraction(v)),
                    (max(seen + 1, hi + 1), seen + c, high_edge),
                ):
                    if rank_last >= rank_first:
                        total += value * (rank_last - rank_first + 1)
                seen += c
        else:
            lower = spec.lower.value if spec.lower is not None else None
            upper = spec.upper.value if spec.upper is not None else None
            for v, c in items:
                x = Fraction(v)
                if lower is not None and x < lower:
                    x = lower
                if upper is not None and x > upper:
                    x = upper
                total += x * c
        return _fraction_to_float(total / n)

    # Trimmed mean / count / sum.
    if percent:
        lo, hi = _rank_window(spec, n)
        kept, total = _kept_by_rank(items, lo, hi)
    else:
        kept, total = 0, Fraction(0)
        for v, c in items:
            if _in_value_range(v, spec):
                kept += c
                total += Fraction(v) * c
    if kind is Kind.TRIMMED_COUNT:
        return float(kept)
    if kind is Kind.TRIMMED_SUM:
        return _fraction_to_float(total)
    if kept == 0:
        return None
    return _fraction_to_float(total / kept)
