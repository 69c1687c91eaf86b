"""CloudWatch statistics over an :class:`~trailguard.engine.aggregates.Aggregate`.

The statistic grammar (names, :class:`~trailguard.model.statistics.StatisticSpec`) is defined once, in
:mod:`trailguard.model.statistics`; this module computes a parsed statistic over per-minute aggregates.

Definitions ("CloudWatch statistics definitions" and the choices documented in docs/compatibility.md):

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
from collections.abc import Sequence
from fractions import Fraction

from trailguard.engine.aggregates import Aggregate
from trailguard.model.statistics import Kind, StatisticSpec

__all__ = ["compute", "compute_parts", "is_low_sample_count"]


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
