"""How values in events compare with literals in patterns.

CloudWatch's comparisons are typed: JSON numbers compare exactly as decimals, a number's text (for
string and regex comparisons) is its normalised form, and ``*`` wildcards apply at the ends only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = [
    "NUMBER_LITERAL",
    "java_double_text",
    "literal_decimal",
    "number_text",
    "text_matcher",
    "to_decimal",
]

# The numeric literal form of filter patterns: optional sign, digits with optional fraction,
# optional exponent.
NUMBER_LITERAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
# The largest exponent a literal may carry (AWS parses literals as java.math.BigDecimal, whose
# scale is a 32-bit int; 1e2147483648 is rejected).
_MAX_EXPONENT: Final = 2**31 - 1


def literal_decimal(text: str) -> Decimal | None:
    """The exact value of a numeric literal, or None when it cannot be represented."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or not -_MAX_EXPONENT <= exponent <= _MAX_EXPONENT:
        return None
    return value


def to_decimal(value: int | float) -> Decimal | None:
    """A JSON number as an exact decimal: integers exactly, doubles by their shortest repr."""
    if type(value) is int:
        return Decimal(value)
    if not math.isfinite(value):
        return None
    return Decimal(repr(value))


def java_double_text(value: float) -> str:
    """``Double.toString`` of a double: ``1.0``, ``0.001``, ``1.0E7``, ``1.0E-4``, ``Infinity``."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    digits, exponent = _shortest_digits(magnitude)
    if 1e-3 <= magnitude < 1e7:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        whole = digits[:point].ljust(point, "0")
        fraction = digits[point:] or "0"
        return f"{sign}{whole}.{fraction}"
    fraction = digits[1:] or "0"
    return f"{sign}{digits[0]}.{fraction}E{exponent}"


def _shortest_digits(magnitude: float) -> tuple[str, int]:
    """Shortest round-tripping significant digits and the decimal exponent of the first digit."""
    # repr() gives the shortest round-trip digits, as Java's Double.toString does.
    text = repr(magnitude)
    if "e" in text:
        mantissa, _, exp_text = text.partition("e")
        exponent = int(exp_text)
        digits = mantissa.replace(".", "")
        return digits.rstrip("0") or "0", exponent
    whole, _, fraction = text.partition(".")
    if whole != "0":
        digits = (whole + fraction).rstrip("0")
        return digits or "0", len(whole) - 1
    stripped = fraction.lstrip("0")
    return stripped.rstrip("0") or "0", -(len(fraction) - len(stripped)) - 1


def number_text(value: int | float) -> str:
    """The text of a JSON number as string and regex comparisons see it."""
    if type(value) is int:
        return str(value)
    return java_double_text(value)


def text_matcher(text: str) -> Callable[[str], bool]:
    """A test of a string against a literal whose leading and trailing ``*`` are wildcards.

    A ``*`` anywhere else is an ordinary character (``Ev*ent`` matches only ``Ev*ent``).
    """
    leading = text.startswith("*")
    trailing = len(text) > 1 and text.endswith("*")
    if not leading and not trailing:
        return text.__eq__
    core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
    if leading and trailing:
        return _contains(core)
    if leading:
        return _suffix(core)
    return _prefix(core)


def _contains(core: str) -> Callable[[str], bool]:
    return lambda s: core in s


def _suffix(core: str) -> Callable[[str], bool]:
    return lambda s: s.endswith(core)


def _prefix(core: str) -> Callable[[str], bool]:
    return lambda s: s.startswith(core)
