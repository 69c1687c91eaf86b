"""Text formats CloudWatch uses in alarm reasons, reason data, history and notifications.

CloudWatch is written in Java: numbers print as Java's ``Double.toString`` (``1.0``, ``21.5``,
``1.0E7``, ``1.0E-4``) and JSON is compact with doubles printed the same way. Timestamps are UTC:
``2022-08-26T03:46:29.897+0000`` in JSON, ``26/10/23 16:42:00`` (dd/MM/yy HH:mm:ss) in reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, Final

import orjson

from trailguard import java_text
from trailguard.utc_text import utc_clock, utc_day

__all__ = [
    "aws_json",
    "java_double",
    "java_number",
    "json_fragment",
    "json_timestamp",
    "prepared_json",
    "reason_timestamp",
]


@lru_cache(maxsize=16_384)  # reason data names each bucket's start again in every evaluation that reads it
def json_timestamp(ms: int) -> str:
    """``2022-08-26T03:46:29.897+0000``."""
    days, clock, millis = utc_clock(ms)
    return f"{utc_day(days)[0]}T{clock}.{millis:03d}+0000"


def reason_timestamp(ms: int) -> str:
    """``26/08/22 03:40:00`` (dd/MM/yy HH:mm:ss, UTC), as in StateReason datapoint lists."""
    days, clock, _ = utc_clock(ms)
    return f"{utc_day(days)[1]} {clock}"


def java_number(x: float) -> orjson.Fragment:
    """A double as Java prints it, ready to stand in a document for :func:`prepared_json`."""
    return orjson.Fragment(java_double(x))


def json_fragment(text: str) -> orjson.Fragment:
    """JSON text already written, to be written as it is where it stands in a document: a transition's reason
    data is written once, then nested into its history item."""
    return orjson.Fragment(text)


def aws_json(value: Any) -> str:
    """Compact JSON with Java-formatted doubles and no ASCII escaping (as Jackson writes it).

    Dict insertion order is kept (keys that are not strings are written as ``str`` gives them); ints print as
    integers, floats as :func:`java_double`, fragments (:func:`java_number`, :func:`json_fragment`) as they are.
    """
    return prepared_json(_java_doubles(value))


def prepared_json(value: Any) -> str:
    """:func:`aws_json` for a document whose doubles are all given as :func:`java_number` already (a float would
    print as Python, not Java, prints it) and whose keys are strings: without a pass over it in Python. A long
    replay writes reason data, history data and a notification for each of tens of thousands of transitions.

    orjson writes it, escaping strings as Jackson does (quote, backslash and control characters only). What it
    refuses (a lone surrogate, an integer beyond 64 bits) is written the same way through placeholders.
    """
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return _with_placeholders(value)


def _java_doubles(value: Any) -> Any:
    """``value`` with every float as a :func:`java_number` and every container a dict or list with string keys."""
    kind = type(value)
    if kind is float:
        return java_number(value)
    if kind is str or kind is int or value is None or kind is bool or kind is orjson.Fragment:
        return value
    if isinstance(value, Mapping):
        return {k if type(k) is str else str(k): _java_doubles(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (isinstance(value, Sequence) and not isinstance(value, (str, bytes))):
        return [_java_doubles(v) for v in value]
    if isinstance(value, (str, int)):  # subclasses (enums): written by orjson as their values
        return value
    if isinstance(value, float):
        return java_number(float(value))
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _with_placeholders(value: Any) -> str:
    """The text orjson would give if it accepted lone surrogates and integers of any size: each such string is
    written as a unique placeholder string, then replaced by its text as ``json`` writes it (surrogate kept);
    each such integer as its digits."""
    texts: dict[str, str] = {}

    def swap(item: Any) -> Any:
        if isinstance(item, str):
            if not _has_surrogate(item):
                return item
            marker = f"\x00tg{len(texts)}{_PLACEHOLDER_SALT}"
            texts[f'"\\u0000tg{len(texts)}{_PLACEHOLDER_SALT}"'] = encode_basestring(item)
            return marker
        if isinstance(item, dict):
            return {swap(k): swap(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [swap(v) for v in item]
        if isinstance(item, int) and not isinstance(item, bool) and not -(2**63) <= item < 2**64:
            return orjson.Fragment(str(int(item)))
        return item

    text = orjson.dumps(swap(value)).decode()
    for marker, replacement in texts.items():
        text = text.replace(marker, replacement)
    return text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_PLACEHOLDER_SALT: Final = "f3c1e9a0"


_DOUBLE_TEXTS: dict[float, str] = {}


def java_double(x: float) -> str:
    """:func:`trailguard.java_text.java_double` (Java's ``Double.toString``), remembered: alarm values are few
    (1.0, 2.0, ...) and repeat in every transition.

    Zero is not cached (0.0 and -0.0 are equal keys but print differently), nor is NaN (never equal to itself).
    """
    text = _DOUBLE_TEXTS.get(x)
    if text is None:
        text = java_text.java_double(x)
        if x != 0.0 and x == x and len(_DOUBLE_TEXTS) < 65_536:
            _DOUBLE_TEXTS[x] = text
    return text
