"""Reading a ``%...%`` literal at a cursor: lex, validate by compiling, count it against the quota."""

from __future__ import annotations

from trailguard.pattern.ast import Regex
from trailguard.pattern.cursor import Cursor
from trailguard.pattern.regex import compile_regex, scan_regex

__all__ = ["read_regex"]


def read_regex(cursor: Cursor) -> Regex:
    start = cursor.pos
    stop = scan_regex(cursor.text, start)
    source = cursor.text[start + 1 : stop - 1]
    compile_regex(source, cursor.text, start)  # rejects what does not compile, at parse time
    cursor.pos = stop
    cursor.regex_count += 1
    return Regex(source)
