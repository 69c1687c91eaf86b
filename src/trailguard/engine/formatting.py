"""Text formats CloudWatch uses in alarm reasons, reason data, history and notifications.

CloudWatch is written in Java: numbers print as Java's ``Double.toString`` (``1.0``, ``21.5``,
``1.0E7``, ``1.0E-4``) and JSON is compact with doubles printed the same way. Timestamps are UTC:
``2022-08-26T03:46:29.897+0000`` in JSON, ``26/10/23 16:42:00`` (dd/MM/yy HH:mm:ss) in reasons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = ["aws_json", "java_double", "json_timestamp", "reason_timestamp"]


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


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, tz=UTC)


def json_timestamp(ms: int) -> str:
    """``2022-08-26T03:46:29.897+0000``."""
    return f"{_utc(ms).strftime('%Y-%m-%dT%H:%M:%S')}.{ms % 1000:03d}+0000"


def reason_timestamp(ms: int) -> str:
    """``26/08/22 03:40:00`` (dd/MM/yy HH:mm:ss, UTC), as in StateReason datapoint lists."""
    return _utc(ms).strftime("%d/%m/%y %H:%M:%S")


def aws_json(value: Any) -> str:
    """Compact JSON with Java-formatted doubles and no ASCII escaping (as Jackson writes it).

    Dict insertion order is kept; ints print as integers, floats as :func:`java_double`.
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(java_double(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for k, v in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(":")
            _write(v, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__}")
