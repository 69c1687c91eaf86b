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

from trailguard.java_text import java_double

__all__ = [
    "NUMBER_LITERAL",
    "exact_text",
    "literal_decimal",
    "number_text",
    "scalar_text",
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


def number_text(value: int | float) -> str:
    """The text of a JSON number as string and regex comparisons see it."""
    if type(value) is int:
        return str(value)
    return java_double(value)


def scalar_text(value: object) -> str | None:
    """The text a JSON value shows to string, wildcard and regex comparisons: a string itself, a number its
    normalised text (:func:`number_text`); ``None`` for everything else (null, booleans, objects, arrays, a
    missing key), which no string comparison matches."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int or kind is float:
        return number_text(value)  # type: ignore[arg-type]
    return None


def _wildcard_ends(text: str) -> tuple[bool, bool]:
    """Whether a string literal starts and ends with a wildcard: a leading ``*``, and a trailing ``*`` that is not
    that same character. A ``*`` anywhere else is an ordinary character (``Ev*ent`` matches only ``Ev*ent``)."""
    return text.startswith("*"), len(text) > 1 and text.endswith("*")


def exact_text(text: str) -> str | None:
    """``text`` when a non-empty string literal matches only that exact text, ``None`` when it has wildcards."""
    leading, trailing = _wildcard_ends(text)
    return None if leading or trailing or not text else text


def text_matcher(text: str) -> Callable[[str], bool]:
    """A test of a string against a literal whose leading and trailing ``*`` are wildcards."""
    leading, trailing = _wildcard_ends(text)
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
