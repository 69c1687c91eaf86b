"""Space-delimited patterns: ``[ip, user, ..., status_code = 4* || status_code = 5*, bytes > 1000]``."""

from __future__ import annotations

import re
from typing import Final

from trailguard.pattern.ast import (
    Condition,
    DelimitedPattern,
    Entry,
    FieldAnd,
    FieldComparison,
    FieldOr,
)
from trailguard.pattern.comparison_syntax import read_operator, read_value
from trailguard.pattern.cursor import WHITESPACE, Cursor
from trailguard.pattern.errors import PatternError

__all__ = ["FIELD_NAME", "parse_delimited"]

FIELD_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_WORD_STOP: Final = WHITESPACE | frozenset(',]&|=!<>"')


def parse_delimited(cursor: Cursor) -> DelimitedPattern:
    """Parse ``[ ... ]``; the caller has checked the pattern starts with '[' and ends with ']'."""
    closing = cursor.end - 1
    inner = Cursor(cursor.text, cursor.pos + 1, closing)
    entries: list[Entry] = []
    name_positions: list[int] = []
    inner.skip_whitespace()
    if not inner.at_end():
        while True:
            inner.skip_whitespace()
            name_positions.append(inner.pos)
            entries.append(_parse_entry(inner))
            inner.skip_whitespace()
            if inner.at_end():
                break
            if inner.peek() != ",":
                inner.fail()
            inner.pos += 1
    _check_entries(entries, name_positions, inner)
    cursor.regex_count += inner.regex_count
    cursor.pos = cursor.end
    return DelimitedPattern(tuple(entries))


def _parse_entry(cursor: Cursor) -> Entry:
    cursor.skip_whitespace()
    if cursor.at_end() or cursor.peek() == ",":
        return Entry(None)
    if cursor.startswith("..."):
        cursor.pos += 3
        return Entry(None, ellipsis=True)
    first_name_at = cursor.pos
    name = _read_name(cursor)
    cursor.skip_whitespace()
    if cursor.at_end() or cursor.peek() == ",":
        return Entry(name)
    condition = _parse_or(cursor, name, first_name_at)
    return Entry(name, condition)


def _parse_or(cursor: Cursor, name: str, name_at: int) -> Condition:
    operands = [_parse_and(cursor, name, name_at)]
    while True:
        cursor.skip_whitespace()
        if not cursor.startswith("||"):
            break
        cursor.pos += 2
        operands.append(_parse_and(cursor, name, None))
    return operands[0] if len(operands) == 1 else FieldOr(tuple(operands))


def _parse_and(cursor: Cursor, name: str, name_at: int | None) -> Condition:
    operands = [_parse_comparison(cursor, name, name_at)]
    while True:
        cursor.skip_whitespace()
        if not cursor.startswith("&&"):
            break
        cursor.pos += 2
        operands.append(_parse_comparison(cursor, name, None))
    return operands[0] if len(operands) == 1 else FieldAnd(tuple(operands))


def _parse_comparison(cursor: Cursor, name: str, name_at: int | None) -> FieldComparison:
    """``name op value``; ``name_at`` is set when the entry's name was already read by the caller."""
    cursor.skip_whitespace()
    if name_at is None:
        other_at = cursor.pos
        other = _read_name(cursor)
        if other != name:
            # AWS's recorded wording names both fields.
            cursor.fail(other_at, f"Multiple variables used in a single filter. Var1 : {name}, Var2 : {other}")
        cursor.skip_whitespace()
    if cursor.at_end() or cursor.peek() not in ("=", "!", "<", ">"):
        cursor.fail()
    operator = read_operator(cursor)
    cursor.skip_whitespace()
    return FieldComparison(name, operator, read_value(cursor, operator, _WORD_STOP, in_json=False))


def _read_name(cursor: Cursor) -> str:
    start = cursor.pos
    while not cursor.at_end() and cursor.peek() not in _WORD_STOP:
        cursor.pos += 1
    word = cursor.text[start : cursor.pos]
    if not word:
        cursor.fail()
    if not FIELD_NAME.match(word):
        cursor.fail_term(start, cursor.pos)
    return word


def _check_entries(entries: list[Entry], positions: list[int], cursor: Cursor) -> None:
    ellipses = [at for entry, at in zip(entries, positions, strict=True) if entry.ellipsis]
    if len(ellipses) > 1:
        raise PatternError("Duplicate field '...'", cursor.text, ellipses[1])  # AWS's recorded wording
    seen: set[str] = set()
    for entry, at in zip(entries, positions, strict=True):
        if entry.name is None:
            continue
        if entry.name in seen:
            raise PatternError(f"Duplicate field '{entry.name}'", cursor.text, at)
        seen.add(entry.name)
