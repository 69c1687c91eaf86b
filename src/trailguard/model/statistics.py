"""CloudWatch statistic names: the one grammar, shared by configuration validation and the engine.

Sources: "CloudWatch statistics definitions"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html) for the grammar, and
the PutMetricAlarm API reference (``ExtendedStatistic``) for the narrower set an alarm accepts.

* Simple statistics: ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum``.
* ``pX`` percentile (0 <= X <= 100); ``tmX``/``wmX``/``tcX``/``tsX`` trimmed mean, winsorized mean, trimmed count,
  trimmed sum up to the X-th percentile (``TM(:X%)``); ``TM|WM|TC|TS(a%:b%)`` with percentage boundaries (either side
  optional), ``TM|WM|TC|TS(a:b)`` and ``PR(a:b)`` with absolute metric values (either side optional); ``IQM``
  (``TM(25%:75%)``). Percentages carry at most 10 decimal places; absolute values may have a sign and an exponent;
  the two boundaries of one range are both percentages or both values, and lower < upper.

:func:`parse_statistic` reads that grammar (what the statistics definitions allow, and what the engine computes);
:func:`alarm_statistic_problem` adds what PutMetricAlarm documents on top of it — ``tmX`` with 0 < X, and range forms
only as ``TM(a%:b%)`` with 10 <= a < b <= 90 (or ``PR(n:m)``).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Final

__all__ = [
    "ALARM_EXTENDED_FORMS",
    "SIMPLE_STATISTICS",
    "Bound",
    "InvalidStatisticError",
    "Kind",
    "StatisticSpec",
    "alarm_statistic_problem",
    "parse_extended_statistic",
    "parse_statistic",
    "quote_statistic",
]

SIMPLE_STATISTICS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

#: What PutMetricAlarm accepts as ExtendedStatistic, as messages describe it.
ALARM_EXTENDED_FORMS: Final = (
    "pNN (0 to 100, up to 10 decimals), tmNN, tcNN, tsNN, wmNN, IQM, PR(n:m), "
    "and TM(a%:b%), TC(a%:b%), TS(a%:b%), WM(a%:b%) with 10 <= a < b <= 90"
)


class InvalidStatisticError(ValueError):
    """The text is not a statistic CloudWatch accepts; the message says what is allowed."""


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


_SIMPLE_KINDS: Final = {k.value: k for k in (Kind.SAMPLE_COUNT, Kind.AVERAGE, Kind.SUM, Kind.MINIMUM, Kind.MAXIMUM)}
_TRIM_KINDS: Final = {
    "TM": Kind.TRIMMED_MEAN,
    "WM": Kind.WINSORIZED_MEAN,
    "TC": Kind.TRIMMED_COUNT,
    "TS": Kind.TRIMMED_SUM,
}


@dataclass(frozen=True, slots=True)
class Bound:
    """One boundary of a range statistic: a percentage (0-100) or an absolute metric value."""

    value: Fraction
    percent: bool


@dataclass(frozen=True, slots=True)
class StatisticSpec:
    """A parsed statistic. ``name`` is the text as written (what AWS echoes back); ``shorthand`` is True for the
    ``tmX``-style forms, which mean the same as ``TM(:X%)`` but are validated differently by PutMetricAlarm."""

    name: str
    kind: Kind
    percentile: Fraction | None = None  # for PERCENTILE, 0..100
    lower: Bound | None = None
    upper: Bound | None = None
    shorthand: bool = False

    @property
    def extended(self) -> bool:
        return self.kind not in _SIMPLE_KINDS.values()


# A number with at most 10 decimal places, as the CloudWatch syntax allows.
_NUM = r"\d+(?:\.\d{1,10})?"
# An absolute boundary is a metric value: sign and exponent allowed.
_VALUE = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_BOUND = rf"(?:{_NUM}%|{_VALUE})"
_SHORT_RE: Final = re.compile(rf"(p|tm|wm|tc|ts)({_NUM})")
_RANGE_RE: Final = re.compile(rf"(TM|WM|TC|TS|PR)\(({_BOUND})?:({_BOUND})?\)")
_MAX_DOUBLE: Final = Fraction(sys.float_info.max)
_HUNDRED: Final = Fraction(100)


def quote_statistic(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _invalid(name: str) -> InvalidStatisticError:
    return InvalidStatisticError(
        f"{quote_statistic(name)} is not a valid extended statistic; allowed: {ALARM_EXTENDED_FORMS}"
    )


def _absolute(text: str) -> Fraction:
    """An absolute boundary as the double it denotes, so a published 0.005 equals a boundary written 0.005.
    Beyond the double range it is clamped to +-max double, which no finite sample exceeds."""
    value = float(text)
    if math.isinf(value):
        return _MAX_DOUBLE if value > 0 else -_MAX_DOUBLE
    return Fraction(value)


def parse_extended_statistic(name: str) -> StatisticSpec:
    """Parse an extended statistic name (see the module docstring); raises InvalidStatisticError."""
    if not isinstance(name, str):
        raise InvalidStatisticError(f"statistic must be a string, got {type(name).__name__}")
    if name == "IQM":
        return StatisticSpec(name, Kind.TRIMMED_MEAN, None, Bound(Fraction(25), True), Bound(Fraction(75), True))
    short = _SHORT_RE.fullmatch(name)
    if short:
        prefix, number = short.groups()
        value = Fraction(number)
        if value > _HUNDRED:
            if prefix == "p":
                raise InvalidStatisticError(f"{quote_statistic(name)} is not a valid percentile; allowed: p0 to p100")
            raise InvalidStatisticError(
                f"{quote_statistic(name)} is out of range; allowed: {prefix}NN with 0 < NN <= 100"
            )
        if prefix == "p":
            return StatisticSpec(name, Kind.PERCENTILE, value)
        return StatisticSpec(name, _TRIM_KINDS[prefix.upper()], None, None, Bound(value, True), shorthand=True)
    ranged = _RANGE_RE.fullmatch(name)
    if not ranged:
        raise _invalid(name)
    prefix, low_text, high_text = ranged.groups()
    if low_text is None and high_text is None:
        forms = f"{prefix}(n:m), {prefix}(:m) or {prefix}(n:)"
        raise InvalidStatisticError(f"{quote_statistic(name)} needs at least one bound; allowed: {forms}")
    texts = [t for t in (low_text, high_text) if t is not None]
    percents = {t.endswith("%") for t in texts}
    if len(percents) > 1:
        raise InvalidStatisticError(
            f"{quote_statistic(name)} mixes a percentage and a value; allowed: both boundaries of one kind"
        )
    percent = percents.pop()
    if percent and prefix == "PR":
        raise InvalidStatisticError(
            f"{quote_statistic(name)}: percentile rank boundaries are metric values, not percentages"
        )
    if percent and any(Fraction(t[:-1]) > _HUNDRED for t in texts):
        raise InvalidStatisticError(f"{quote_statistic(name)} has a percentage above 100; allowed: 0 to 100")
    if (
        low_text is not None
        and high_text is not None
        and Decimal(low_text.rstrip("%")) >= Decimal(high_text.rstrip("%"))
    ):
        letters = "a < b" if percent else "n < m"
        raise InvalidStatisticError(
            f"{quote_statistic(name)} has its lower bound at or above its upper bound; allowed: {letters}"
        )
    bounds: list[Bound | None] = []
    for text in (low_text, high_text):
        if text is None:
            bounds.append(None)
        elif percent:
            bounds.append(Bound(Fraction(text[:-1]), True))
        else:
            bounds.append(Bound(_absolute(text), False))
    lower, upper = bounds
    kind = Kind.PERCENTILE_RANK if prefix == "PR" else _TRIM_KINDS[prefix]
    return StatisticSpec(name, kind, None, lower, upper)


def parse_statistic(name: str) -> StatisticSpec:
    """Parse a simple statistic name (``Sum`` ...) or an extended one (``p99`` ...)."""
    kind = _SIMPLE_KINDS.get(name) if isinstance(name, str) else None
    if kind is not None:
        return StatisticSpec(name, kind)
    return parse_extended_statistic(name)


def alarm_statistic_problem(name: str) -> str | None:
    """Why ``name`` is not an ExtendedStatistic PutMetricAlarm accepts, or ``None``."""
    try:
        spec = parse_extended_statistic(name)
    except InvalidStatisticError as error:
        return str(error)
    if spec.kind is Kind.PERCENTILE or spec.kind is Kind.PERCENTILE_RANK or name == "IQM":
        return None
    assert spec.upper is not None or spec.lower is not None
    if spec.shorthand:
        assert spec.upper is not None
        if spec.upper.value == 0:
            return f"{quote_statistic(name)} is out of range; allowed: {name[:2]}NN with 0 < NN <= 100"
        return None
    # Range forms: PutMetricAlarm documents only TM(a%:b%) with both boundaries between 10 and 90.
    if spec.lower is None or spec.upper is None or not spec.lower.percent:
        return str(_invalid(name))
    if not (10 <= spec.lower.value <= 90 and 10 <= spec.upper.value <= 90):
        return f"{quote_statistic(name)} is out of range; allowed: {name[:2]}(a%:b%) with 10 <= a < b <= 90"
    return None
