"""Build a JSON document in which given literals hold (the theory solver behind containment).

A set of literals (formulas.py) says which tests must pass or fail at which paths. ``DocumentSolver``
builds a JSON object meeting all of them, starting from a template document and changing only what
the literals need, or proves that none exists. It works node by node along the paths: a node's value
is missing, null, a boolean, a string, a number, an object or an array; for each kind the literals on
the node itself and on the paths below it are checked (strings and numbers from value_domains.py's
candidate lists), children are solved recursively, and wildcard literals become "some element" and
"every element" constraints on the node's members (fresh members where an object or array can take
them). The answer is exact — a document, or a proof that none exists — except where a value domain is
not (regular expressions, wildcards on numbers' text); then "none found" is reported as not exact.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.pattern.ast import Check, Index, Key
from trailguard.pattern.formulas import AllOf, Formula, Is, Literal, PathAtom, PathStep, Present, SomeElement, Test
from trailguard.pattern.json_eval import MISSING, compile_path
from trailguard.pattern.value_domains import number_candidates, string_candidates, test_holds, value_predicate

__all__ = ["NO_SOLUTION", "DocumentSolver", "Solution", "formula_holds", "holds", "holds_all"]


class _NoSolution:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_SOLUTION"


NO_SOLUTION: Final[Any] = _NoSolution()
_MAX_ELEMENT_ASSIGNMENTS: Final = 2000

Hints = Mapping[tuple[PathStep, ...], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Solution:
    """``value`` (possibly MISSING), or NO_SOLUTION; ``exact`` is False when "no solution" is not proven."""

    value: Any
    exact: bool = True

    @property
    def found(self) -> bool:
        return self.value is not NO_SOLUTION


# ---------------------------------------------------------------- concrete evaluation


@functools.lru_cache(maxsize=8192)
def _walker(steps: tuple[PathStep, ...]) -> Callable[[Any], Any]:
    return compile_path(steps)


def _members(value: Any) -> Iterable[Any]:
    if type(value) is dict:
        return value.values()
    if type(value) is list:
        return value
    return ()


def holds(literal: Literal, value: Any) -> bool:
    """Whether ``literal`` (paths relative to ``value``) holds for ``value``."""
    return _evaluator(literal.atom)(value) == literal.positive


@functools.lru_cache(maxsize=16384)
def _evaluator(atom: PathAtom | SomeElement) -> Callable[[Any], bool]:
    """The truth of an atom on a value, as one closure (solving evaluates the same atoms many times)."""
    predicate = value_predicate(atom.test)
    if isinstance(atom, PathAtom):
        walk = _walker(atom.steps)
        return lambda value: predicate(walk(value))
    base_of = _walker(atom.base)
    suffix = _walker(atom.suffix)

    def some_member(value: Any) -> bool:
        base = base_of(value)
        return base is not MISSING and any(predicate(suffix(member)) for member in _members(base))

    return some_member


def holds_all(literals: Iterable[Literal], value: Any) -> bool:
    return all(holds(literal, value) for literal in literals)


# ---------------------------------------------------------------- constraints of one node


@dataclass(frozen=True, slots=True)
class _Node:
    """The literals of one node, sorted by where they apply."""

    own: tuple[tuple[Test, bool], ...]  # on the node's value itself
    own_literals: tuple[Literal, ...]
    some: tuple[tuple[tuple[PathStep, ...], Test], ...]  # some member passes test at suffix
    every: tuple[tuple[tuple[PathStep, ...], Test], ...]  # no member passes test at suffix
    keys: dict[str, frozenset[Literal]]
    indexes: dict[int, frozenset[Literal]]


def _split(literals: frozenset[Literal]) -> _Node:
    own: list[tuple[Test, bool]] = []
    own_literals: list[Literal] = []
    some: list[tuple[tuple[PathStep, ...], Test]] = []
    every: list[tuple[tuple[PathStep, ...], Test]] = []
    keys: dict[str, set[Literal]] = {}
    indexes: dict[int, set[Literal]] = {}
    for literal in literals:
        atom = literal.atom
        steps = atom.steps if isinstance(atom, PathAtom) else atom.base
        if not steps:
            if isinstance(atom, PathAtom):
                own.append((atom.test, literal.positive))
                own_literals.append(literal)
            elif literal.positive:
                some.append((atom.suffix, atom.test))
            else:
                every.append((atom.suffix, atom.test))
            continue
        first, rest = steps[0], steps[1:]
        shifted = Literal(
            PathAtom(rest, atom.test) if isinstance(atom, PathAtom) else SomeElement(rest, atom.suffix, atom.test),
            literal.positive,
        )
        if isinstance(first, Key):
            keys.setdefault(first.name, set()).add(shifted)
        else:
            indexes.setdefault(first.index, set()).add(shifted)
    return _Node(
        tuple(own),
        tuple(own_literals),
        tuple(sorted(set(some), key=repr)),
        tuple(sorted(set(every), key=repr)),
        {name: frozenset(lits) for name, lits in keys.items()},
        {index: frozenset(lits) for index, lits in indexes.items()},
    )


def _element_literals(
    every: Sequence[tuple[tuple[PathStep, ...], Test]],
    some: tuple[tuple[PathStep, ...], Test] | None = None,
    *,
    present: bool = True,
) -> frozenset[Literal]:
    """What one member must satisfy: every universal test fails at its suffix, and the one existential passes.

    Universal tests also hold for a missing value (every test fails on it), so a named child that turns
    out absent needs no special case; ``present`` makes the member exist.
    """
    literals = {Literal(PathAtom(suffix, test), False) for suffix, test in every}
    if present:
        literals.add(Literal(PathAtom((), Present()), True))
    if some is not None:
        literals.add(Literal(PathAtom(some[0], some[1]), True))
    return frozenset(literals)


# ---------------------------------------------------------------- the solver

_KINDS: Final = ("missing", "string", "object", "array", "number", "null", "false", "true")


def _kind_of(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return "string"
    if type(value) in (int, float):
        return "number"
    return "object" if type(value) is dict else "array"


class DocumentSolver:
    """Builds documents satisfying literal sets; one instance per comparison (it memoises by template node).

    ``hints`` lists preferred values per path, MISSING for "absent" (tried right after the template's own
    value, so witnesses read like real events).
    """

    def __init__(self, hints: Hints | None = None) -> None:
        self._hints: Hints = hints or {}
        self._memo: dict[tuple[frozenset[Literal], int, tuple[PathStep, ...] | None], Solution] = {}
        self._templates: list[Any] = []  # keeps memo keys (ids) alive

    def solve_document(self, literals: Iterable[Literal], template: Mapping[str, Any] | None = None) -> Solution:
        """A JSON object in which every literal holds, built from ``template``; or NO_SOLUTION."""
        base = dict(template) if template is not None else {}
        self._templates.append(base)
        lits = frozenset(literals)
        if holds_all(lits, base):
            return Solution(base)
        return self._object(_split(lits), lits, base, ())

    # -- one node ------------------------------------------------------------------------------

    def _solve(self, literals: frozenset[Literal], template: Any, path: tuple[PathStep, ...] | None) -> Solution:
        key = (literals, id(template), path)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        self._templates.append(template)
        solution = self._solve_uncached(literals, template, path)
        self._memo[key] = solution
        return solution

    def _solve_uncached(
        self, literals: frozenset[Literal], template: Any, path: tuple[PathStep, ...] | None
    ) -> Solution:
        if holds_all(literals, template):
            return Solution(template)
        for hint in self._hints.get(path, ()) if path is not None else ():
            if holds_all(literals, hint):
                return Solution(hint)
        node = _split(literals)
        exact = True
        for kind in self._kind_order(node, template):
            solution = self._solve_kind(kind, node, literals, template, path)
            if solution.found:
                return solution
            exact = exact and solution.exact
        return Solution(NO_SOLUTION, exact)

    @staticmethod
    def _kind_order(node: _Node, template: Any) -> list[str]:
        first = [_kind_of(template), "missing"]
        if node.keys:
            first.append("object")
        if node.indexes:
            first.append("array")
        if (node.some or node.every) and type(template) is not dict:
            first.append("array")
        return list(dict.fromkeys([*first, *_KINDS]))

    def _solve_kind(
        self, kind: str, node: _Node, literals: frozenset[Literal], template: Any, path: tuple[PathStep, ...] | None
    ) -> Solution:
        if kind == "missing":
            return Solution(MISSING if holds_all(literals, MISSING) else NO_SOLUTION)
        if kind in ("null", "true", "false"):
            value = {"null": None, "true": True, "false": False}[kind]
            return Solution(value if holds_all(literals, value) else NO_SOLUTION)
        if kind in ("string", "number"):
            if node.some or not all(holds_all(lits, MISSING) for lits in [*node.keys.values(), *node.indexes.values()]):
                return Solution(NO_SOLUTION)  # a scalar has no members
            preferred = [template, *self._hints.get(path, ())] if path is not None else [template]
            domain = (string_candidates if kind == "string" else number_candidates)(node.own, preferred)
            for value in domain.values:
                if holds_all(node.own_literals, value):
                    return Solution(value)
            return Solution(NO_SOLUTION, domain.exact)
        if kind == "object":
            return self._object(node, literals, template if type(template) is dict else {}, path)
        return self._array(node, literals, template if type(template) is list else [], path)

    # -- containers ----------------------------------------------------------------------------

    def _object(
        self, node: _Node, literals: frozenset[Literal], template: dict[str, Any], path: tuple[PathStep, ...] | None
    ) -> Solution:
        if not holds_all(node.own_literals, {}) or not all(holds_all(lits, MISSING) for lits in node.indexes.values()):
            return Solution(NO_SOLUTION)
        element_rules = _element_literals(node.every, present=False)
        built: dict[str, Any] = {}
        for name, value in template.items():
            # Members no literal names stay when they pass every "no member ..." test, and go otherwise.
            if name in node.keys or holds_all(element_rules, value):
                built[name] = value
        exact = True
        # The template's members keep their places; new ones follow by name: the same document every run.
        for name in sorted(node.keys):
            child_literals = node.keys[name]
            child_path = (*path, Key(name, bracketed=False)) if path is not None else None
            solution = self._solve(child_literals | element_rules, template.get(name, MISSING), child_path)
            if not solution.found:
                exact = exact and solution.exact
                if not holds_all(child_literals, MISSING):
                    return Solution(NO_SOLUTION, exact)
                solution = Solution(MISSING)
            if solution.value is MISSING:
                built.pop(name, None)
            else:
                built[name] = solution.value
        for number, wanted in enumerate(node.some, start=1):
            if any(holds(Literal(PathAtom(*wanted), True), member) for member in built.values()):
                continue
            solution = self._solve(_element_literals(node.every, wanted), MISSING, None)
            if not solution.found:
                return Solution(NO_SOLUTION, solution.exact)
            built[_fresh_key(built, node.keys, number)] = solution.value
        if not holds_all(literals, built):
            return Solution(NO_SOLUTION, exact)
        return Solution(built)

    def _array(
        self, node: _Node, literals: frozenset[Literal], template: list[Any], path: tuple[PathStep, ...] | None
    ) -> Solution:
        if not all(holds_all(lits, MISSING) for lits in node.keys.values()):
            return Solution(NO_SOLUTION)
        some = list(node.some)
        every = list(node.every)
        for test, outcome in node.own:
            if isinstance(test, Is) and test.check is Check.NULL and test.array_of_nulls:
                # `$.a IS NULL` holds for an array directly holding null: a member test on the array.
                (some if outcome else every).append(((), Is(Check.NULL)))
            elif test_holds(test, []) != outcome:
                return Solution(NO_SOLUTION)
        named_end = max(node.indexes, default=-1) + 1
        lengths = list(dict.fromkeys([len(template), *range(named_end, named_end + len(some) + 1), *range(named_end)]))
        exact = True
        for length in lengths:
            if any(index >= length and not holds_all(lits, MISSING) for index, lits in node.indexes.items()):
                continue
            solution = self._fill_array(node, some, every, length, template, path)
            if solution.found and holds_all(literals, solution.value):
                return solution
            exact = exact and solution.exact
        return Solution(NO_SOLUTION, exact)

    def _fill_array(
        self,
        node: _Node,
        some: Sequence[tuple[tuple[PathStep, ...], Test]],
        every: Sequence[tuple[tuple[PathStep, ...], Test]],
        length: int,
        template: list[Any],
        path: tuple[PathStep, ...] | None,
    ) -> Solution:
        rules = _element_literals(every)
        base = [node.indexes.get(i, frozenset()) | rules for i in range(length)]
        # Free positions (no index named) are tried first for existentials: they carry fewer constraints.
        positions = sorted(range(length), key=lambda i: (i in node.indexes, -i))
        exact = True
        for tried, assignment in enumerate(itertools.product(positions, repeat=len(some)), start=1):
            if tried > _MAX_ELEMENT_ASSIGNMENTS:
                return Solution(NO_SOLUTION, False)
            wanted = [set(lits) for lits in base]
            for member, (suffix, test) in zip(assignment, some, strict=True):
                wanted[member].add(Literal(PathAtom(suffix, test), True))
            values = []
            for i, lits in enumerate(wanted):
                child_path = (*path, Index(i)) if path is not None else None
                solution = self._solve(frozenset(lits), template[i] if i < len(template) else MISSING, child_path)
                if not solution.found:
                    exact = exact and solution.exact
                    break
                values.append(solution.value)
            else:
                return Solution(values)
        return Solution(NO_SOLUTION, exact)


def _fresh_key(built: Mapping[str, Any], named: Mapping[str, Any], number: int) -> str:
    candidate = f"member{number}"
    while candidate in built or candidate in named:
        candidate += "_"
    return candidate


def formula_holds(formula: Formula, document: Any) -> bool:
    """Whether ``formula`` holds in ``document`` (the formula's own reading; compiled matchers agree)."""
    if isinstance(formula, Literal):
        return holds(formula, document)
    if isinstance(formula, AllOf):
        return all(formula_holds(operand, document) for operand in formula.operands)
    return any(formula_holds(operand, document) for operand in formula.operands)
