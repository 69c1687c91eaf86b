"""Parse filter pattern text into a syntax tree, rejecting exactly what CloudWatch Logs rejects."""

from __future__ import annotations

from typing import Final

from trailguard.pattern.ast import MatchAll, Pattern, RegexPattern
from trailguard.pattern.comparison_syntax import read_regex
from trailguard.pattern.cursor import WHITESPACE, Cursor
from trailguard.pattern.delimited_parser import parse_delimited
from trailguard.pattern.errors import PatternError, invalid_term
from trailguard.pattern.json_parser import parse_json
from trailguard.pattern.regex import MAX_REGEXES, TOO_MANY_REGEXES
from trailguard.pattern.term_parser import parse_terms

__all__ = ["MAX_PATTERN_LENGTH", "parse"]

MAX_PATTERN_LENGTH: Final = 1024
_TOO_LONG: Final = (
    "1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: "
    f"Member must have length less than or equal to {MAX_PATTERN_LENGTH}"
)
_ENCLOSURES: Final = {"{": "}", "[": "]", "%": "%"}


def parse(text: str) -> Pattern:
    """Parse ``text`` into a tree, or raise ``PatternError``.

    The family is decided by the first non-blank character: ``{`` JSON, ``[`` space-delimited,
    ``%`` a standalone regular expression, anything else terms.
    """
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(_TOO_LONG, text, MAX_PATTERN_LENGTH)
    start = 0
    end = len(text)
    while start < end and text[start] in WHITESPACE:
        start += 1
    while end > start and text[end - 1] in WHITESPACE:
        end -= 1
    if start == end:
        return MatchAll()
    first = text[start]
    closing = _ENCLOSURES.get(first)
    if closing is not None and (end - start < 2 or text[end - 1] != closing):
        raise PatternError(f"If a filter pattern starts with '{first}' it must end with '{closing}'", text, end - 1)
    cursor = Cursor(text, start, end)
    pattern: Pattern
    if first == "{":
        pattern = parse_json(cursor)
    elif first == "[":
        pattern = parse_delimited(cursor)
    elif first == "%":
        pattern = _parse_regex_pattern(cursor)
    else:
        pattern = parse_terms(cursor)
    if cursor.regex_count > MAX_REGEXES:
        raise PatternError(TOO_MANY_REGEXES, text, None)
    return pattern


def _parse_regex_pattern(cursor: Cursor) -> RegexPattern:
    regex = read_regex(cursor)
    if not cursor.at_end():
        # A standalone regex must be the whole pattern: "%A% %B%" fails on the character after it.
        raise PatternError(invalid_term(cursor.peek()), cursor.text, cursor.pos)
    return RegexPattern(regex)
