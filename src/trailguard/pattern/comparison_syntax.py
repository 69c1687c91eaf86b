"""The right-hand side of a comparison, shared by JSON and space-delimited patterns.

``read_operator`` reads ``= != < <= > >=``; ``read_value`` reads a quoted string, a ``%regex%``, a
number or a bare word, and refuses what AWS refuses (an ordering operator needs a number literal).
"""

from __future__ import annotations

from trailguard.pattern.ast import NumberValue, Operator, Regex, StringValue, Value
from trailguard.pattern.cursor import Cursor
from trailguard.pattern.regex import compile_regex, scan_regex
from trailguard.pattern.values import NUMBER_LITERAL, literal_decimal

__all__ = ["read_operator", "read_regex", "read_value", "read_word"]


def read_operator(cursor: Cursor) -> Operator:
    """Read ``= != < <= > >=`` at the cursor; ``==`` and a lone ``!`` are invalid."""
    at = cursor.pos
    first = cursor.peek()
    second = cursor.peek(1)
    if first == "=":
        if second == "=":
            cursor.fail(at + 1)
        cursor.pos += 1
        return Operator.EQ
    if first == "!":
        if second != "=":
            cursor.fail(at)
        cursor.pos += 2
        return Operator.NE
    if second == "=":
        cursor.pos += 2
        return Operator.LE if first == "<" else Operator.GE
    cursor.pos += 1
    return Operator.LT if first == "<" else Operator.GT


def read_word(cursor: Cursor, stop: frozenset[str]) -> str:
    """Characters up to the next one in ``stop`` (or the end)."""
    start = cursor.pos
    while not cursor.at_end() and cursor.peek() not in stop:
        cursor.pos += 1
    return cursor.text[start : cursor.pos]


def read_regex(cursor: Cursor) -> Regex:
    """Lex the ``%...%`` at the cursor, validate it by compiling, and count it against the quota."""
    start = cursor.pos
    stop = scan_regex(cursor.text, start)
    source = cursor.text[start + 1 : stop - 1]
    compile_regex(source, cursor.text, start)  # rejects what does not compile, at parse time
    cursor.pos = stop
    cursor.regex_count += 1
    return Regex(source)


def read_value(cursor: Cursor, operator: Operator, stop: frozenset[str], *, in_json: bool) -> Value:
    """Read the value after an operator, refusing what AWS refuses (each rule recorded from live calls):

    * an ordering operator needs an unquoted number; in a JSON pattern, a quoted string after one is named as
      the invalid term (`> "0"` -> Invalid character(s) in term '"0"'), in a space-delimited one it is the
      generic error;
    * in a JSON pattern, an unquoted value may not hold ``:`` (`= a:b` -> Invalid character(s) in term ':'),
      and ``= null`` is not a test for null (``IS NULL`` is).
    """
    start = cursor.pos
    ch = cursor.peek()
    value: Value
    if ch == '"':
        value = StringValue(cursor.read_quoted(), quoted=True)
        if operator.is_ordering and in_json:
            cursor.fail_term(start, cursor.pos)
    elif ch == "%":
        value = read_regex(cursor)
    else:
        word = read_word(cursor, stop)
        if not word:
            cursor.fail()
        colon = word.find(":") if in_json else -1
        if colon != -1:
            cursor.fail_term(start + colon, start + colon + 1)
        if in_json and word.upper() == "NULL":
            cursor.fail(start)
        if NUMBER_LITERAL.match(word):
            if literal_decimal(word) is None:
                cursor.fail(start)
            value = NumberValue(word)
        else:
            value = StringValue(word, quoted=False)
    if operator.is_ordering and not isinstance(value, NumberValue):
        cursor.fail(start)  # < <= > >= need a number literal
    return value
