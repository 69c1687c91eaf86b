"""References from a metric filter's transformation to the values of an event.

A metric value or a dimension names where its value comes from (PutMetricFilter, "MetricTransformation" in the
CloudWatch Logs API reference; "Publishing numerical values found in log events" and "Using dimensions" in the
CloudWatch Logs User Guide):

* ``$.json.selector`` — a value inside a JSON event, by the JSON pattern language's selector grammar, without
  wildcards (a metric value is one value);
* ``$fieldName`` — a named field of a space-delimited pattern (the key TestMetricFilter reports in
  ``extractedValues``);
* ``$N`` (N >= 1) — the N-th field of a space-delimited event.

``parse_reference`` is the one reading of that syntax (configuration validation uses it); ``compile_reference``
turns a reference into a reader of one event, which the engine calls per matching event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from trailguard.pattern.ast import Selector
from trailguard.pattern.cursor import Cursor
from trailguard.pattern.delimited_parser import FIELD_NAME
from trailguard.pattern.errors import GENERIC_MESSAGE, PatternError
from trailguard.pattern.event import NOT_JSON, LogEvent
from trailguard.pattern.json_eval import MISSING, compile_path
from trailguard.pattern.json_parser import read_selector

__all__ = [
    "MISSING",
    "FieldReference",
    "Reference",
    "SelectorReference",
    "ValueReader",
    "compile_reference",
    "parse_reference",
]

_POSITIONAL: Final = re.compile(r"[1-9][0-9]*\Z")


@dataclass(frozen=True, slots=True)
class SelectorReference:
    """``$.a.b[0]``: a value inside the event's JSON."""

    selector: Selector


@dataclass(frozen=True, slots=True)
class FieldReference:
    """``$name`` or ``$3``: a field a space-delimited pattern extracted; ``key`` as in ``extractedValues``."""

    key: str


Reference: TypeAlias = SelectorReference | FieldReference
#: Reads one event's value: (event, the match's extracted values) -> the value, or MISSING.
ValueReader = Callable[[LogEvent, Mapping[str, str]], Any]


def parse_reference(text: str) -> Reference:
    """Parse ``$.selector``, ``$name`` or ``$N``; raises PatternError (with the position) for anything else."""
    if not text.startswith("$"):
        raise PatternError(GENERIC_MESSAGE, text, 0)
    if text.startswith("$."):
        cursor = Cursor(text, 0, len(text))
        selector = read_selector(cursor)
        if not cursor.at_end():
            raise PatternError(GENERIC_MESSAGE, text, cursor.pos)
        if selector.wildcard_count:
            raise PatternError("a selector used as a value must not contain wildcards", text, text.index("*"))
        return SelectorReference(selector)
    name = text[1:]
    if FIELD_NAME.match(name) or _POSITIONAL.match(name):
        return FieldReference(text)
    raise PatternError(GENERIC_MESSAGE, text, 1)


def compile_reference(reference: Reference) -> ValueReader:
    """A reader of ``reference`` for one event (MISSING when the event has no such value)."""
    if isinstance(reference, SelectorReference):
        select = compile_path(reference.selector.steps)

        def from_json(event: LogEvent, _: Mapping[str, str]) -> Any:
            document = event.json
            return MISSING if document is NOT_JSON else select(document)

        return from_json
    key = reference.key
    return lambda _, extracted: extracted.get(key, MISSING)
