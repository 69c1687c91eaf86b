"""Compile JSON-pattern trees into predicates over a parsed JSON object.

Each leaf becomes a closure over its selector path and literal, so per event the work is a few
dict lookups and comparisons; nothing is parsed or compiled per event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.pattern.ast import (
    And,
    Check,
    Comparison,
    Index,
    IsCheck,
    JsonExpr,
    Key,
    NotExists,
    NumberValue,
    Operator,
    Or,
    Regex,
    Selector,
    Step,
    StringValue,
    Value,
    Wildcard,
)
from trailguard.pattern.regex import CloudWatchRegex, compile_regex
from trailguard.pattern.values import exact_text, literal_decimal, scalar_text, text_matcher, to_decimal

__all__ = [
    "MISSING",
    "Leaf",
    "Path",
    "Predicate",
    "compile_expression",
    "compile_path",
    "exact_equality",
    "necessary_texts",
    "resolve_values",
]

MISSING: Final[Any] = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

Predicate = Callable[[dict[str, Any]], bool]
ValueTest = Callable[[Any], bool]
Path = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A compiled leaf test, kept beside its tree node so ``explain`` reports what ``match`` does."""

    node: Comparison | IsCheck | NotExists
    test: Predicate


def compile_expression(expression: JsonExpr, pattern: str, leaves: dict[int, Leaf] | None = None) -> Predicate:
    """Compile ``expression``; when ``leaves`` is given, record each leaf's test by ``id(node)``."""
    if isinstance(expression, And):
        return _all_of([compile_expression(op, pattern, leaves) for op in expression.operands])
    if isinstance(expression, Or):
        return _any_of(_compile_disjuncts(expression.operands, pattern, leaves))
    test = _compile_leaf(expression, pattern)
    if leaves is not None:
        leaves[id(expression)] = Leaf(expression, test)
    return test


def _compile_disjuncts(operands: Sequence[JsonExpr], pattern: str, leaves: dict[int, Leaf] | None) -> list[Predicate]:
    # `$.eventName = A || $.eventName = B || ...` (most CIS patterns) becomes one set lookup.
    groups: dict[Selector, set[str]] = {}
    others: list[JsonExpr] = []
    for operand in operands:
        equality = exact_equality(operand)
        if equality is None or leaves is not None:
            others.append(operand)
        else:
            selector, literal = equality
            groups.setdefault(selector, set()).add(literal)
    compiled = [_compile_membership(compile_path(sel.steps), frozenset(texts)) for sel, texts in groups.items()]
    compiled.extend(compile_expression(op, pattern, leaves) for op in others)
    return compiled


def exact_equality(node: JsonExpr) -> tuple[Selector, str] | None:
    """(selector, text) when ``node`` holds exactly when the value at a wildcard-free selector shows that text
    (``$.eventName = ConsoleLogin``): the comparisons a set lookup or an index can stand for."""
    if (
        isinstance(node, Comparison)
        and node.operator is Operator.EQ
        and isinstance(node.value, StringValue)
        and node.selector.wildcard_count == 0
    ):
        text = exact_text(node.value.text)
        if text is not None:
            return node.selector, text
    return None


def necessary_texts(node: JsonExpr) -> dict[Selector, frozenset[str]]:
    """For each selector that must show one of a few texts for ``node`` to hold, those texts.

    ``$.eventName = A && $.eventSource = s`` gives {eventName: {A}, eventSource: {s}}; an ``||`` keeps the
    selectors every branch constrains, with the union of their texts. Used to index patterns by what they need
    (PatternSet) and to see that two patterns can never hold together (disjoint texts on one selector).
    """
    equality = exact_equality(node)
    if equality is not None:
        selector, text = equality
        return {selector: frozenset((text,))}
    if isinstance(node, And):
        merged: dict[Selector, frozenset[str]] = {}
        for operand in node.operands:
            for selector, texts in necessary_texts(operand).items():
                merged[selector] = merged[selector] & texts if selector in merged else texts
        return merged
    if isinstance(node, Or):
        branches = [necessary_texts(operand) for operand in node.operands]
        shared = set(branches[0]).intersection(*branches[1:])
        return {selector: frozenset().union(*(branch[selector] for branch in branches)) for selector in shared}
    return {}


def _compile_membership(path: Path, texts: frozenset[str]) -> Predicate:
    def member(document: dict[str, Any]) -> bool:
        return scalar_text(path(document)) in texts

    return member


def _all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 2:
        first, second = tests
        return lambda document: first(document) and second(document)

    def all_hold(document: dict[str, Any]) -> bool:
        for test in tests:
            if not test(document):
                return False
        return True

    return all_hold


def _any_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda document: first(document) or second(document)

    def any_holds(document: dict[str, Any]) -> bool:
        for test in tests:
            if test(document):
                return True
        return False

    return any_holds


# ---------------------------------------------------------------- selectors


def compile_path(steps: Sequence[Step]) -> Path:
    """A function from a JSON value to the value at ``steps`` (no wildcards), or MISSING."""
    if all(isinstance(step, Key) for step in steps):
        keys = [step.name for step in steps if isinstance(step, Key)]
        if len(keys) == 1:
            (only,) = keys
            return lambda node: node.get(only, MISSING) if type(node) is dict else MISSING
        if len(keys) == 2:
            outer, inner = keys

            def two_keys(node: Any) -> Any:
                if type(node) is not dict:
                    return MISSING
                child = node.get(outer, MISSING)
                return child.get(inner, MISSING) if type(child) is dict else MISSING

            return two_keys
    frozen_steps = tuple(steps)

    def walk(node: Any) -> Any:
        for step in frozen_steps:
            if type(step) is Key:
                if type(node) is not dict:
                    return MISSING
                node = node.get(step.name, MISSING)
                if node is MISSING:
                    return MISSING
            else:
                assert type(step) is Index
                if type(node) is not list or step.index >= len(node):
                    return MISSING
                node = node[step.index]
        return node

    return walk


def _split_at_wildcard(selector: Selector) -> tuple[Path, Path] | None:
    for position, step in enumerate(selector.steps):
        if isinstance(step, Wildcard):
            return compile_path(selector.steps[:position]), compile_path(selector.steps[position + 1 :])
    return None


def _children(node: Any) -> Iterable[Any]:
    if type(node) is dict:
        return node.values()
    if type(node) is list:
        return node
    return ()


def resolve_values(selector: Selector, document: dict[str, Any]) -> tuple[bool, list[Any]]:
    """(whether the selector's base exists, the values it reaches) — for explanations."""
    split = _split_at_wildcard(selector)
    if split is None:
        value = compile_path(selector.steps)(document)
        return value is not MISSING, [] if value is MISSING else [value]
    prefix, suffix = split
    base = prefix(document)
    if base is MISSING:
        return False, []
    reached = [suffix(child) for child in _children(base)]
    return True, [value for value in reached if value is not MISSING]


# ---------------------------------------------------------------- leaves


def _compile_leaf(node: Comparison | IsCheck | NotExists, pattern: str) -> Predicate:
    split = _split_at_wildcard(node.selector)
    if isinstance(node, NotExists):
        if split is None:
            path = compile_path(node.selector.steps)
            return lambda document: path(document) is MISSING
        prefix, suffix = split

        def nothing_reached(document: dict[str, Any]) -> bool:
            base = prefix(document)
            if base is MISSING:
                return True
            return not any(suffix(child) is not MISSING for child in _children(base))

        return nothing_reached
    if isinstance(node, IsCheck):
        test = _check_test(node.check, array_of_nulls=split is None)
        negated = False
    else:
        negated = node.operator is Operator.NE
        test = _value_test(node.value, Operator.EQ if negated else node.operator, pattern)
    if split is None:
        path = compile_path(node.selector.steps)
        if negated:
            assert isinstance(node, Comparison)
            comparable = _comparable(node.value)
            return lambda document: comparable(value := path(document)) and not test(value)
        return lambda document: test(path(document))
    prefix, suffix = split
    if negated:
        # `$.a[*] != x`: the base exists and none of its elements equals x.
        def none_equal(document: dict[str, Any]) -> bool:
            base = prefix(document)
            if base is MISSING:
                return False
            return not any(test(suffix(child)) for child in _children(base))

        return none_equal

    def any_holds(document: dict[str, Any]) -> bool:
        base = prefix(document)
        return any(test(suffix(child)) for child in _children(base)) if base is not MISSING else False

    return any_holds


def _comparable(value: Value) -> ValueTest:
    """Which JSON values ``!= value`` can hold for: those the literal can be compared with at all.

    Never a missing key, null, booleans, objects or arrays (recorded). A string or regex literal compares with
    strings and numbers (through their text); a number literal with strings (through their text) and with
    numbers that have a value — a number beyond the double range (``1e309``) is neither equal nor unequal to a
    number literal (recorded: `!= 1` does not match it), while `!= "foo"` matches it.
    """
    if isinstance(value, NumberValue):
        return _comparable_with_number
    return lambda node: scalar_text(node) is not None


def _comparable_with_number(node: Any) -> bool:
    kind = type(node)
    return kind is str or kind is int or (kind is float and math.isfinite(node))


def _check_test(check: Check, *, array_of_nulls: bool) -> ValueTest:
    if check is Check.TRUE:
        return lambda value: value is True
    if check is Check.FALSE:
        return lambda value: value is False
    if array_of_nulls:
        # AWS: `$.a IS NULL` also holds when `a` is an array that directly contains null.
        return lambda value: value is None or (type(value) is list and any(x is None for x in value))
    return lambda value: value is None


def _value_test(value: Value, operator: Operator, pattern: str) -> ValueTest:
    """A test of one JSON value (possibly MISSING) for ``=`` or an ordering operator."""
    if isinstance(value, Regex):
        return _regex_test(compile_regex(value.source, pattern, pattern.find("%" + value.source)))
    if isinstance(value, StringValue):
        return _string_test(value.text)
    return _number_test(value, operator)


def _regex_test(regex: CloudWatchRegex) -> ValueTest:
    search = regex.search

    def matches(value: Any) -> bool:
        text = scalar_text(value)
        return text is not None and search(text) is not None

    return matches


def _string_test(text: str) -> ValueTest:
    matcher = text_matcher(text)

    def matches(value: Any) -> bool:
        shown = scalar_text(value)
        return shown is not None and matcher(shown)

    return matches


def _number_test(value: NumberValue, operator: Operator) -> ValueTest:
    literal = literal_decimal(value.text)
    assert literal is not None  # the parser rejects literals without a decimal value
    # Against a string, a number literal compares its text as written (recorded: `= 1` matches "1" not "01",
    # `= 1.0` matches "1.0" not "1", `= 1e3` matches "1e3", `= 1e309` matches "1e309").
    text_form = value.text
    compare = _ORDERINGS[operator]

    def matches(node: Any) -> bool:
        kind = type(node)
        if kind is int:
            return compare(node, literal)
        if kind is float:
            exact = to_decimal(node)
            return exact is not None and compare(exact, literal)
        if kind is str and operator is Operator.EQ:
            return bool(node == text_form)
        return False

    return matches


_ORDERINGS: Final[dict[Operator, Callable[[Any, Any], bool]]] = {
    Operator.EQ: lambda a, b: bool(a == b),
    Operator.LT: lambda a, b: bool(a < b),
    Operator.LE: lambda a, b: bool(a <= b),
    Operator.GT: lambda a, b: bool(a > b),
    Operator.GE: lambda a, b: bool(a >= b),
}
