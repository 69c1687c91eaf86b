"""Standalone JSON selectors (``$.a.b[0]``), as metric filters use them for values and dimensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trailguard.pattern.ast import Selector
from trailguard.pattern.cursor import Cursor
from trailguard.pattern.errors import GENERIC_MESSAGE, PatternError
from trailguard.pattern.json_eval import MISSING, compile_path
from trailguard.pattern.json_parser import read_selector

__all__ = ["MISSING", "compile_selector", "parse_selector"]


def parse_selector(text: str) -> Selector:
    """Parse a whole string as one selector; wildcards are refused (a metric value is one value)."""
    cursor = Cursor(text, 0, len(text))
    if not text.startswith("$"):
        raise PatternError(GENERIC_MESSAGE, text, 0)
    selector = read_selector(cursor)
    if not cursor.at_end():
        raise PatternError(GENERIC_MESSAGE, text, cursor.pos)
    if selector.wildcard_count:
        raise PatternError("a selector used as a value must not contain wildcards", text, text.index("*"))
    return selector


def compile_selector(text: str) -> Callable[[dict[str, Any]], Any]:
    """A function from a parsed JSON object to the value at ``text``, or ``MISSING``."""
    return compile_path(parse_selector(text).steps)
