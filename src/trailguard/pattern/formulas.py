"""JSON patterns as boolean formulas over value tests at selector paths (negation normal form, DNF).

A JSON pattern's leaves are rewritten into *atoms* whose truth depends on one path of the event:

- ``PathAtom(steps, test)``: the value at a wildcard-free path satisfies ``test`` (the value may be
  missing: ``Present`` is false then, every other test too);
- ``SomeElement(base, suffix, test)``: the value at ``base`` has an element (an array element or an
  object member) whose value at ``suffix`` satisfies ``test``.

Every leaf becomes a literal or a small formula over these atoms, with exactly the meaning the compiled
matcher gives it (json_eval.py): ``$.a != x`` holds only for a string or number that is not x;
``$.a[*] != x`` means "``a`` exists and no element equals x"; ``$.a[*].b NOT EXISTS`` means "no element
has ``b``". Negation is pushed down to the literals, so a formula is a tree of ``AllOf``/``AnyOf`` over
``Literal``. Spellings that mean the same test give the same atom (quoted or not, ``[*]`` or ``.*``,
``.['k']`` or ``.k``, a regex that is a plain literal written as ``*literal*``).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

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
    StringValue,
    Value,
    Wildcard,
)

__all__ = [
    "FALSE",
    "TRUE",
    "AllOf",
    "AnyOf",
    "Atom",
    "Equals",
    "Formula",
    "Is",
    "Literal",
    "NotEquals",
    "Orders",
    "PathAtom",
    "PathStep",
    "Present",
    "SomeElement",
    "Test",
    "atoms_of",
    "conjunction",
    "disjunction",
    "dnf",
    "expression_formula",
    "literals_of",
    "render_path",
    "selector_path",
]

PathStep: TypeAlias = Key | Index


# ---------------------------------------------------------------- tests on one value


def _remember_hash(node: object, parts: tuple[object, ...]) -> None:
    # Formula nodes are hashed constantly (sets of literals, memo keys): each computes its hash once.
    object.__setattr__(node, "_hash", hash(parts))


@dataclass(frozen=True, slots=True)
class Equals:
    """``= value``: a wildcard string, a number literal or a regex (json_eval's ``=`` test)."""

    value: Value
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.value,))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class NotEquals:
    """``!= value`` on a wildcard-free path: a string or number that does not equal ``value``."""

    value: Value
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.value,))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class Orders:
    """``< <= > >=`` a number literal: true only for JSON numbers."""

    operator: Operator
    value: NumberValue
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.operator, self.value))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class Is:
    """``IS TRUE/FALSE/NULL``; ``array_of_nulls``: also an array directly holding null (paths, not elements)."""

    check: Check
    array_of_nulls: bool = False


@dataclass(frozen=True, slots=True)
class Present:
    """The path leads to a value (the negation of ``NOT EXISTS``)."""


Test: TypeAlias = Equals | NotEquals | Orders | Is | Present


# ---------------------------------------------------------------- atoms, literals, formulas


@dataclass(frozen=True, slots=True)
class PathAtom:
    steps: tuple[PathStep, ...]
    test: Test
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.steps, self.test))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class SomeElement:
    base: tuple[PathStep, ...]
    suffix: tuple[PathStep, ...]
    test: Test
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.base, self.suffix, self.test))

    def __hash__(self) -> int:
        return self._hash


Atom: TypeAlias = PathAtom | SomeElement


@dataclass(frozen=True, slots=True)
class Literal:
    atom: Atom
    positive: bool
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, (self.atom, self.positive))

    def __hash__(self) -> int:
        return self._hash

    def negated(self) -> Literal:
        return Literal(self.atom, not self.positive)


@dataclass(frozen=True, slots=True)
class AllOf:
    operands: tuple[Formula, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    operands: tuple[Formula, ...]


Formula: TypeAlias = Literal | AllOf | AnyOf

TRUE: Final = AllOf(())
FALSE: Final = AnyOf(())


def conjunction(operands: Sequence[Formula]) -> Formula:
    flat: list[Formula] = []
    for operand in operands:
        if isinstance(operand, AllOf):
            flat.extend(operand.operands)
        elif operand == FALSE:
            return FALSE
        else:
            flat.append(operand)
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def disjunction(operands: Sequence[Formula]) -> Formula:
    flat: list[Formula] = []
    for operand in operands:
        if isinstance(operand, AnyOf):
            flat.extend(operand.operands)
        elif operand == TRUE:
            return TRUE
        else:
            flat.append(operand)
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


# ---------------------------------------------------------------- from the syntax tree


def expression_formula(expression: JsonExpr, positive: bool = True) -> Formula:
    """The formula of ``expression`` (``positive``) or of its negation, in negation normal form."""
    if isinstance(expression, And | Or):
        operands = [expression_formula(op, positive) for op in expression.operands]
        conjunctive = isinstance(expression, And) == positive
        return conjunction(operands) if conjunctive else disjunction(operands)
    return _leaf_formula(expression, positive)


def _leaf_formula(leaf: Comparison | IsCheck | NotExists, positive: bool) -> Formula:
    steps = leaf.selector.steps
    wildcard_at = next((i for i, step in enumerate(steps) if isinstance(step, Wildcard)), None)
    if wildcard_at is None:
        path = _path(steps)
        if isinstance(leaf, NotExists):
            return Literal(PathAtom(path, Present()), not positive)
        if isinstance(leaf, IsCheck):
            return Literal(PathAtom(path, Is(leaf.check, array_of_nulls=leaf.check is Check.NULL)), positive)
        value = _canonical_value(leaf.value)
        if leaf.operator is Operator.EQ:
            return Literal(PathAtom(path, Equals(value)), positive)
        if leaf.operator is Operator.NE:
            return Literal(PathAtom(path, NotEquals(value)), positive)
        assert isinstance(value, NumberValue)  # the parser allows ordering operators with numbers only
        return Literal(PathAtom(path, Orders(leaf.operator, value)), positive)
    base = _path(steps[:wildcard_at])
    suffix = _path(steps[wildcard_at + 1 :])
    if isinstance(leaf, NotExists):
        return Literal(SomeElement(base, suffix, Present()), not positive)
    if isinstance(leaf, IsCheck):
        return Literal(SomeElement(base, suffix, Is(leaf.check)), positive)
    value = _canonical_value(leaf.value)
    if leaf.operator is Operator.NE:
        # `$.a[*] != x`: `a` exists and no element equals x.
        base_exists = Literal(PathAtom(base, Present()), positive)
        some_equal = Literal(SomeElement(base, suffix, Equals(value)), not positive)
        return conjunction([base_exists, some_equal]) if positive else disjunction([base_exists, some_equal])
    test: Test
    if leaf.operator is Operator.EQ:
        test = Equals(value)
    else:
        assert isinstance(value, NumberValue)
        test = Orders(leaf.operator, value)
    return Literal(SomeElement(base, suffix, test), positive)


def selector_path(selector: Selector) -> tuple[PathStep, ...]:
    """The path of a wildcard-free selector, in the formulas' spelling (``.['k']`` as ``.k``)."""
    if selector.wildcard_count:
        raise ValueError(f"a path has no wildcard: {selector.render()}")
    return _path(selector.steps)


def _path(steps: Sequence[object]) -> tuple[PathStep, ...]:
    out: list[PathStep] = []
    for step in steps:
        if isinstance(step, Key):
            out.append(Key(step.name, bracketed=False))
        else:
            assert isinstance(step, Index)
            out.append(step)
    return tuple(out)


# Characters a regex may hold that match only themselves (regex.py's literal set, unescaped).
_REGEX_LITERALS: Final = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
_REGEX_ESCAPABLE_LITERALS: Final = frozenset(".^$?[]{}|\\*+:_#=@/;,- ")


def _canonical_value(value: Value) -> Value:
    if isinstance(value, StringValue):
        return StringValue(value.text, quoted=True)  # quoting changes nothing once it is a string
    if isinstance(value, Regex):
        literal = _plain_regex_literal(value.source)
        if literal is not None:
            # An unanchored search for a fixed text is a test for containing it, on strings and on
            # numbers' text alike: exactly what `*literal*` means.
            return StringValue("*" + literal + "*", quoted=True)
    return value


def _plain_regex_literal(source: str) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source) and source[i + 1] in _REGEX_ESCAPABLE_LITERALS:
            out.append(source[i + 1])
            i += 2
        elif ch in _REGEX_LITERALS:
            out.append(ch)
            i += 1
        else:
            return None
    return "".join(out) if out else None


# ---------------------------------------------------------------- normal forms and traversal


def dnf(formula: Formula, limit: int = 4096) -> list[tuple[Literal, ...]] | None:
    """The disjunctive normal form: one conjunction of literals per branch (None beyond ``limit`` branches).

    Branches holding a literal and its negation are dropped; literal order follows the pattern's text.
    """
    if isinstance(formula, Literal):
        return [(formula,)]
    if isinstance(formula, AnyOf):
        branches: list[tuple[Literal, ...]] = []
        for operand in formula.operands:
            sub = dnf(operand, limit)
            if sub is None:
                return None
            branches.extend(sub)
            if len(branches) > limit:
                return None
        return branches
    product: list[tuple[Literal, ...]] = [()]
    for operand in formula.operands:
        sub = dnf(operand, limit)
        if sub is None or len(product) * len(sub) > limit:
            return None
        product = [_merge(left, right) for left in product for right in sub]
        product = [branch for branch in product if not _contradictory(branch)]
    return product


def _merge(left: tuple[Literal, ...], right: tuple[Literal, ...]) -> tuple[Literal, ...]:
    return left + tuple(lit for lit in right if lit not in left)


def _contradictory(branch: tuple[Literal, ...]) -> bool:
    seen = set(branch)
    return any(lit.negated() in seen for lit in branch)


def literals_of(formula: Formula) -> Iterator[Literal]:
    if isinstance(formula, Literal):
        yield formula
    else:
        for operand in formula.operands:
            yield from literals_of(operand)


def atoms_of(formula: Formula) -> set[Atom]:
    return {lit.atom for lit in literals_of(formula)}


def render_path(steps: Sequence[PathStep]) -> str:
    """``$.a.b[0]``: a path as a selector."""
    return "$" + "".join(step.render() for step in steps)
