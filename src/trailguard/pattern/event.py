"""A log event whose JSON body is parsed at most once, however many patterns look at it."""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

__all__ = ["NOT_JSON", "LogEvent", "parse_json_object"]


class _NotJson:
    """Marker for a message that is not exactly one JSON object (JSON patterns never match it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Final = _NotJson()
_UNPARSED: Final = object()


def _reject_constant(name: str) -> Any:
    # CloudWatch's JSON parser refuses NaN and Infinity literals; the stdlib fallback must too.
    raise ValueError(f"JSON constant {name} is not allowed")


def parse_json_object(message: str | bytes) -> dict[str, Any] | _NotJson:
    """Parse a message as one JSON object, or return NOT_JSON.

    orjson is the fast path. It refuses numbers that overflow a double (``1e309``), which are
    valid JSON and which CloudWatch accepts (they equal nothing), so those fall back to the
    standard library parser.
    """
    try:
        value = orjson.loads(message)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(message, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return NOT_JSON
    return value if type(value) is dict else NOT_JSON


class LogEvent:
    """One log event message; ``json`` is parsed lazily and cached.

    Create one per event and pass it to ``CompiledPattern.match_event`` for every pattern, so that
    a JSON body is parsed once. A source that already holds the parsed record (a CloudTrail file
    reader, say) can hand it over with ``parsed=`` and skip parsing entirely.
    """

    __slots__ = ("_json", "message")

    def __init__(self, message: str, parsed: dict[str, Any] | None = None) -> None:
        self.message = message
        self._json: Any = _UNPARSED if parsed is None else parsed

    @property
    def json(self) -> dict[str, Any] | _NotJson:
        value = self._json
        if value is _UNPARSED:
            value = self._json = parse_json_object(self.message)
        return value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"LogEvent({self.message!r})"
