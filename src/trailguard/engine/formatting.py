"""Text formats CloudWatch uses in alarm reasons, reason data, history and notifications.

CloudWatch is written in Java: numbers print as Java's ``Double.toString`` (``1.0``, ``21.5``,
``1.0E7``, ``1.0E-4``) and JSON is compact with doubles printed the same way. Timestamps are UTC:
``2022-08-26T03:46:29.897+0000`` in JSON, ``26/10/23 16:42:00`` (dd/MM/yy HH:mm:ss) in reasons.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from trailguard.java_text import java_double

__all__ = ["aws_json", "java_double", "json_timestamp", "reason_timestamp"]


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
