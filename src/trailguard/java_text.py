"""Java's text form of numbers: CloudWatch runs on the JVM, and its texts show numbers as Java prints them.

Used by the pattern language (the text of a JSON number in string and regex comparisons) and by the
engine (alarm reasons, reason data, notifications).
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["java_double"]


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
