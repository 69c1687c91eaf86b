"""Evaluate space-delimited patterns: split the message into fields, bind entries, test conditions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from trailguard.java_text import java_hash_map_order
from trailguard.pattern.ast import (
    Condition,
    DelimitedPattern,
    FieldAnd,
    FieldComparison,
    FieldOr,
    NumberValue,
    Operator,
    Regex,
    StringValue,
)
from trailguard.pattern.regex import compile_regex
from trailguard.pattern.values import NUMBER_LITERAL, literal_decimal, text_matcher

__all__ = ["Binding", "DelimitedMatcher", "split_fields"]

# A field is a "quoted" or [bracketed] group (delimiters stripped) or a run of non-blank
# characters; an unclosed quote or bracket is an ordinary character.
_FIELD: Final = re.compile(r'"([^"]*)"|\[([^\]]*)\]|[^ \t]+')

FieldTest = Callable[[str], bool]
# (name or None, 1-based field number, value) for each field the pattern binds.
Binding = tuple[str | None, int, str]


def split_fields(message: str) -> list[tuple[str, int]]:
    """The message's fields as (value, offset of the field's first character)."""
    fields: list[tuple[str, int]] = []
    for found in _FIELD.finditer(message):
        quoted, bracketed = found.group(1), found.group(2)
        if quoted is not None:
            fields.append((quoted, found.start()))
        elif bracketed is not None:
            fields.append((bracketed, found.start()))
        else:
            fields.append((found.group(), found.start()))
    return fields


class DelimitedMatcher:
    """Matches one space-delimited pattern; immutable after construction."""

    __slots__ = ("_ellipsis", "_names", "_tests", "pattern")

    def __init__(self, tree: DelimitedPattern, pattern: str) -> None:
        self.pattern = tree
        self._names = tuple(entry.name for entry in tree.entries if not entry.ellipsis)
        self._tests = tuple(
            compile_condition(entry.condition, pattern) if entry.condition is not None else None
            for entry in tree.entries
            if not entry.ellipsis
        )
        positions = [i for i, entry in enumerate(tree.entries) if entry.ellipsis]
        self._ellipsis = positions[0] if positions else None

    def bind(self, message: str) -> list[Binding] | None:
        """Bind the message's fields to the entries, or None when there are too few fields."""
        fields = split_fields(message)
        count = len(self._names)
        if self._ellipsis is None:
            if count == 0:
                return [(None, i + 1, value) for i, (value, _) in enumerate(fields)]
            if len(fields) < count:
                return None
            bound = [(self._names[i], i + 1, fields[i][0]) for i in range(count - 1)]
            last_value = fields[count - 1][0] if len(fields) == count else message[fields[count - 1][1] :]
            bound.append((self._names[count - 1], count, last_value))
            return bound
        head = self._ellipsis
        tail = count - head
        if len(fields) < count:
            return None
        bindings: list[Binding] = [(self._names[i], i + 1, fields[i][0]) for i in range(head)]
        skipped = len(fields) - count
        bindings.extend((None, head + i + 1, fields[head + i][0]) for i in range(skipped))
        offset = len(fields) - tail
        bindings.extend((self._names[head + i], offset + i + 1, fields[offset + i][0]) for i in range(tail))
        return bindings

    def entry_tests(self) -> tuple[FieldTest | None, ...]:
        return self._tests

    def match(self, message: str) -> dict[str, str] | None:
        bindings = self.bind(message)
        if bindings is None:
            return None
        tests = self._tests
        head = self._ellipsis
        skipped = len(bindings) - len(tests)
        for index, test in enumerate(tests):
            if test is None:
                continue
            binding_index = index if head is None or index < head else index + skipped
            if not test(bindings[binding_index][2]):
                return None
        extracted = {f"${name}": value for name, _, value in bindings if name is not None}
        extracted.update((f"${number}", value) for name, number, value in bindings if name is None)
        # In the order CloudWatch's TestMetricFilter lists them (see java_hash_map_order), so that outputs match
        # AWS's byte for byte.
        return {key: extracted[key] for key in java_hash_map_order(list(extracted))}


def compile_condition(condition: Condition, pattern: str) -> FieldTest:
    if isinstance(condition, FieldAnd):
        parts = [compile_condition(op, pattern) for op in condition.operands]
        return lambda value: all(part(value) for part in parts)
    if isinstance(condition, FieldOr):
        parts = [compile_condition(op, pattern) for op in condition.operands]
        return lambda value: any(part(value) for part in parts)
    return _compile_comparison(condition, pattern)


def _compile_comparison(comparison: FieldComparison, pattern: str) -> FieldTest:
    operator = comparison.operator
    value = comparison.value
    equals: FieldTest
    if isinstance(value, Regex):
        search = compile_regex(value.source, pattern, pattern.find("%" + value.source)).search
        equals = lambda field: search(field) is not None  # noqa: E731
    elif isinstance(value, StringValue):
        equals = text_matcher(value.text)
    else:
        return _numeric_test(value, operator)
    if operator is Operator.NE:
        return lambda field: not equals(field)
    return equals


def _numeric_test(value: NumberValue, operator: Operator) -> FieldTest:
    literal = literal_decimal(value.text)
    assert literal is not None

    def compare(field: str) -> bool:
        if not NUMBER_LITERAL.match(field):
            return operator is Operator.NE  # a non-number is never equal, so `!=` holds
        number = literal_decimal(field)
        if number is None:
            return operator is Operator.NE
        if operator is Operator.EQ:
            return number == literal
        if operator is Operator.NE:
            return number != literal
        if operator is Operator.LT:
            return number < literal
        if operator is Operator.LE:
            return number <= literal
        if operator is Operator.GT:
            return number > literal
        return number >= literal

    return compare
