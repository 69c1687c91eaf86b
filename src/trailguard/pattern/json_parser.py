"""JSON patterns: ``{ $.a.b = "x" && ($.c > 1 || $.d NOT EXISTS) }``.

Grammar (``&&`` binds tighter than ``||``; keywords are case-insensitive)::

    expr     := and ( '||' and )*
    and      := primary ( '&&' primary )*
    primary  := '(' expr ')' | selector test
    test     := op value | 'IS' ('TRUE' | 'FALSE' | 'NULL') | 'NOT' 'EXISTS'
    selector := '$' '.' step-after-dot ( '.' step-after-dot | bracket )*
"""

from __future__ import annotations

from typing import Final

from trailguard.pattern.ast import (
    And,
    Check,
    Comparison,
    Index,
    IsCheck,
    JsonExpr,
    JsonPattern,
    Key,
    NotExists,
    Or,
    Selector,
    Step,
    Wildcard,
)
from trailguard.pattern.comparison_syntax import read_operator, read_value, read_word
from trailguard.pattern.cursor import WHITESPACE, Cursor
from trailguard.pattern.errors import PatternError

__all__ = ["MAX_NESTING", "MAX_WILDCARDS_PER_PATTERN", "MAX_WILDCARDS_PER_SELECTOR", "parse_json", "read_selector"]

MAX_WILDCARDS_PER_SELECTOR: Final = 1
# Parentheses nested deeper than this are refused. AWS's limit is not documented or recorded; 1,024 characters
# allow some 500 levels, which no real filter approaches, while every stage after the parser (matcher,
# explanation, containment) walks the tree recursively. See docs/compatibility.md.
MAX_NESTING: Final = 100
MAX_WILDCARDS_PER_PATTERN: Final = 3

# Characters that end an unquoted value (or a keyword).
_VALUE_STOP: Final = WHITESPACE | frozenset('()&|{}=!<>"')


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def parse_json(cursor: Cursor) -> JsonPattern:
    """Parse ``{ ... }``; the caller has checked the pattern starts with '{' and ends with '}'."""
    closing = cursor.end - 1
    cursor.pos += 1
    inner = Cursor(cursor.text, cursor.pos, closing)
    expression = _parse_or(inner)
    inner.skip_whitespace()
    if not inner.at_end():
        inner.fail()
    cursor.regex_count += inner.regex_count
    cursor.pos = cursor.end
    _check_wildcard_quota(expression, cursor)
    return JsonPattern(expression)


def _parse_or(cursor: Cursor) -> JsonExpr:
    operands = [_parse_and(cursor)]
    while True:
        cursor.skip_whitespace()
        if not cursor.startswith("||"):
            break
        cursor.pos += 2
        operands.append(_parse_and(cursor))
    return operands[0] if len(operands) == 1 else Or(tuple(operands))


def _parse_and(cursor: Cursor) -> JsonExpr:
    operands = [_parse_primary(cursor)]
    while True:
        cursor.skip_whitespace()
        if not cursor.startswith("&&"):
            break
        cursor.pos += 2
        operands.append(_parse_primary(cursor))
    return operands[0] if len(operands) == 1 else And(tuple(operands))


def _parse_primary(cursor: Cursor) -> JsonExpr:
    cursor.skip_whitespace()
    ch = cursor.peek()
    if ch == "(":
        cursor.depth += 1
        if cursor.depth > MAX_NESTING:
            cursor.fail()
        cursor.pos += 1
        expression = _parse_or(cursor)
        cursor.depth -= 1
        cursor.skip_whitespace()
        if cursor.peek() != ")":
            cursor.fail()
        cursor.pos += 1
        return expression
    if ch != "$":
        cursor.fail()
    selector = read_selector(cursor)
    cursor.skip_whitespace()
    if cursor.peek() in ("=", "!", "<", ">"):
        operator = read_operator(cursor)
        cursor.skip_whitespace()
        value = read_value(cursor, operator, _VALUE_STOP, in_json=True)
        return Comparison(selector, operator, value)
    word_at = cursor.pos
    word = read_word(cursor, _VALUE_STOP)
    if word.upper() == "IS":
        cursor.skip_whitespace()
        check_at = cursor.pos
        check = read_word(cursor, _VALUE_STOP)
        if check.upper() not in Check.__members__:
            cursor.fail_term(check_at, cursor.pos) if check else cursor.fail()
        return IsCheck(selector, Check[check.upper()])
    if word.upper() == "NOT":
        cursor.skip_whitespace()
        exists_at = cursor.pos
        exists = read_word(cursor, _VALUE_STOP)
        if exists.upper() != "EXISTS":
            cursor.fail_term(exists_at, cursor.pos) if exists else cursor.fail()
        return NotExists(selector)
    if word:
        cursor.fail_term(word_at, cursor.pos)
    cursor.fail()


def read_selector(cursor: Cursor) -> Selector:
    text = cursor.text
    start = cursor.pos
    i = start + 1
    if i >= cursor.end or text[i] != ".":
        cursor.fail_term(start, min(i + 1, len(text)), position=min(i, len(text) - 1))
    steps: list[Step] = []
    while i < cursor.end:
        ch = text[i]
        if ch == ".":
            nxt = text[i + 1] if i + 1 < cursor.end else ""
            if nxt == "*":
                steps.append(Wildcard(bracketed=False))
                i += 2
            elif nxt == "[":
                if not text.startswith("'", i + 2):  # after a dot only ['key'] may follow
                    # AWS quotes from the start of the step through the offending character, and a first
                    # step starts at the "$" (recorded: `$.["a.b"]` -> '$.["', `$[1]` -> '$[').
                    step_start = start if not steps else i
                    cursor.fail_term(step_start, min(i + 3, len(text)), position=min(i + 2, len(text) - 1))
                i += 1  # ".['key']": the bracket is read on the next turn
            elif nxt and _is_name_char(nxt):
                j = i + 1
                while j < cursor.end and _is_name_char(text[j]):
                    j += 1
                steps.append(Key(text[i + 1 : j], bracketed=False))
                i = j
            else:
                cursor.fail_term(i, i + 2 if nxt else i + 1, position=i + 1 if nxt else i)
        elif ch == "[":
            i = _read_bracket(cursor, i, steps)
        else:
            break
    if not steps:
        cursor.fail_term(start, min(i + 1, len(text)), position=i)
    cursor.pos = i
    selector = Selector(tuple(steps))
    if selector.wildcard_count > MAX_WILDCARDS_PER_SELECTOR:
        cursor.fail(
            start,
            "Your filter pattern has a JSON path selector that exceeds the maximum of "
            f"{MAX_WILDCARDS_PER_SELECTOR} wildcard allowed per json selector.",
        )
    return selector


def _read_bracket(cursor: Cursor, i: int, steps: list[Step]) -> int:
    """Read ``[n]``, ``[*]`` or ``['key']`` at ``text[i] == '['``; return the index after it."""
    text = cursor.text
    nxt = text[i + 1] if i + 1 < cursor.end else ""
    if nxt == "*" and text.startswith("]", i + 2):
        steps.append(Wildcard(bracketed=True))
        return i + 3
    if nxt.isdigit() and nxt.isascii():
        j = i + 1
        while j < cursor.end and text[j].isdigit() and text[j].isascii():
            j += 1
        if j < cursor.end and text[j] == "]":
            steps.append(Index(int(text[i + 1 : j])))
            return j + 1
        cursor.fail_term(i, j + 1, position=j)
    if nxt == "'":
        close = text.find("'", i + 2, cursor.end)
        if close != -1 and close > i + 2 and text.startswith("]", close + 1):
            steps.append(Key(text[i + 2 : close], bracketed=True))
            return close + 2
        cursor.fail_term(i, min(cursor.end, (close if close != -1 else cursor.end - 1) + 1), position=i)
    cursor.fail_term(i, i + 2 if nxt else i + 1, position=i + 1 if nxt else i)


def _check_wildcard_quota(expression: JsonExpr, cursor: Cursor) -> None:
    count = sum(node.selector.wildcard_count for node in _leaves(expression))
    if count > MAX_WILDCARDS_PER_PATTERN:
        raise PatternError(
            f"Your input has exceeded the maximum of {MAX_WILDCARDS_PER_PATTERN} wildcards per filter pattern.",
            cursor.text,
            None,
        )


def _leaves(expression: JsonExpr) -> list[Comparison | IsCheck | NotExists]:
    if isinstance(expression, And | Or):
        return [leaf for operand in expression.operands for leaf in _leaves(operand)]
    return [expression]
