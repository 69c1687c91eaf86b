"""Java's text form of numbers: CloudWatch runs on the JVM, and its texts show numbers as Java prints them.

Used by the pattern language (the text of a JSON number in string and regex comparisons) and by the
engine (alarm reasons, reason data, notifications).
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

__all__ = ["java_double", "java_hash_map_order"]


def java_double(x: float) -> str:
    """Format a double exactly as Java's ``Double.toString`` (JDK 19+, shortest round-trip digits).

    Plain notation with at least one fractional digit for 1e-3 <= |x| < 1e7, otherwise computerized
    scientific notation ``d.dddE±n``.
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    t = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, t.digits))
    exponent = int(t.exponent)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped or "0"
    if len(digits) == 1:
        # Java picks the closest decimal among those of length 1 *or 2* that round to x
        # (Double.MIN_VALUE prints as 4.9E-324, not 5.0E-324).
        exact = Decimal(abs(x))
        two = exact.scaleb(-exact.adjusted() + 1).to_integral_value().scaleb(exact.adjusted() - 1)
        one = Decimal(f"{digits}E{exponent}")
        if float(two) == abs(x) and abs(two - exact) < abs(one - exact):
            t2 = two.normalize().as_tuple()
            digits, exponent = "".join(map(str, t2.digits)), int(t2.exponent)
    point = len(digits) + exponent - 1  # decimal exponent of the first digit
    if -3 <= point < 7:
        if point >= 0:
            whole = digits[: point + 1].ljust(point + 1, "0")
            frac = digits[point + 1 :] or "0"
            return f"{sign}{whole}.{frac}"
        return f"{sign}0.{'0' * (-point - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{point}"


@lru_cache(maxsize=4096)
def _java_string_hash(text: str) -> int:
    """``String.hashCode()``: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit arithmetic."""
    h = 0
    for unit in memoryview(text.encode("utf-16-le")).cast("H"):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h


def java_hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a ``java.util.HashMap`` sized for ``keys`` (``new HashMap<>(len(keys))``), into
    which they were put in the order given.

    A HashMap iterates its table by bucket (the spread hash ``h ^ (h >>> 16)`` masked by the capacity) and,
    within a bucket, in insertion order. The table starts at the power of two at or above the requested size and
    doubles whenever the size exceeds three quarters of it; a resize keeps the relative order within each
    bucket, so the final order is a stable sort by bucket at the final capacity.

    CloudWatch returns TestMetricFilter's ``extractedValues`` in this order, with the named fields put before
    the positional ones: that model reproduces every multi-key response in the public recordings of live
    TestMetricFilter calls (129 of 129; a default 16-bucket table would get 106 right), e.g. ``$rest`` before
    ``$a``, ``$4, $1, $2, $3``, and ``$1, $2, $last, $3``.
    """
    capacity = 1
    while capacity < len(keys):
        capacity *= 2
    for size in range(1, len(keys) + 1):
        if size > int(capacity * 0.75):
            capacity *= 2
    mask = capacity - 1

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & mask

    return sorted(keys, key=bucket)  # sorted() is stable: insertion order within a bucket
