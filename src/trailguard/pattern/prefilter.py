"""Which events a set of JSON patterns could match at all, decided from a few fields: a prefilter exact by
construction.

Most events of a CloudTrail archive match none of the monitors' patterns. From each pattern's tree a *necessary
condition* is derived: a formula over *probes* of single fields (``&&`` and ``||`` as in the pattern) that holds
whenever the pattern does. A probe reads the value at a wildcard-free key path and asks what that value shows:

- ``SHOWS`` (``$.eventName = ConsoleLogin``, ``$.errorCode = "*UnauthorizedOperation"``, ``$.a = %re%``,
  ``$.a = 1``): a string showing one of the texts or passing one of the tests (the leaf's own wildcard or regex
  test; a number literal compares with strings through its text as written); ``$.a > 1``, ``$.a IS TRUE``,
  ``$.a IS NULL`` are probes with no text at all, since no string holds them;
- ``DIFFERS`` (``$.sourceIPAddress != "delivery.logs.amazonaws.com"``): a string showing none of them;
- ``ABSENT`` (``$.userIdentity.invokedBy NOT EXISTS``): nothing at that path.

A probe is *false* only when it can prove the leaf false: the value is missing (for ``SHOWS`` and ``DIFFERS``)
or present (for ``ABSENT``), or a string that fails the test. A value that is not a string (a number, boolean,
null, object or array) is never judged here: the probe holds, and the pattern itself decides. A leaf that reads
through ``[n]`` or ``*`` gives no probe: within ``&&`` it is left out, within ``||`` the whole disjunction
gives nothing, and a pattern left with no condition makes every event a candidate (``build_prefilter`` returns
None). So whenever a pattern matches an event its condition holds, and a caller that runs the patterns on every
event the prefilter lets through gets exactly the matches of running them on every event.

For speed the conditions are indexed, as ``PatternSet`` indexes patterns: a condition that needs one of a few
texts at some path (``$.eventName`` is one of ...) is filed under those texts, so that most events are settled
by one set lookup per indexed path; the rest of such a condition (``$.additionalEventData.MFAUsed != "Yes"``)
is evaluated only for the events filed there, cheapest parts first. A condition with no such text is guarded
by a path it needs a value at (``$.errorCode``), when it has one, and evaluated only for events that have one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeAlias

from trailguard.pattern.ast import (
    And,
    Comparison,
    IsCheck,
    JsonExpr,
    JsonPattern,
    Key,
    NotExists,
    NumberValue,
    Operator,
    Or,
    Regex,
    StringValue,
)
from trailguard.pattern.compiled import CompiledPattern
from trailguard.pattern.json_eval import MISSING, compile_path
from trailguard.pattern.regex import compile_regex
from trailguard.pattern.values import exact_text, text_matcher

__all__ = ["AllOf", "AnyOf", "Condition", "Guard", "Index", "Prefilter", "Probe", "ProbeKind", "build_prefilter"]

KeyPath = tuple[str, ...]
TextTest = Callable[[str], bool]


class ProbeKind(Enum):
    SHOWS = "shows"
    DIFFERS = "differs"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Probe:
    """A test of the value at ``keys`` (see the module docstring): ``texts`` are exact texts, ``tests`` wildcard
    and regex tests of a string."""

    keys: KeyPath
    kind: ProbeKind
    texts: frozenset[str] = frozenset()
    tests: tuple[TextTest, ...] = ()

    def holds(self, value: Any) -> bool:
        """False only when the leaf this probe stands for cannot hold with ``value`` (``MISSING``: nothing there)."""
        if self.kind is ProbeKind.ABSENT:
            return value is MISSING
        if type(value) is str:
            shows = value in self.texts or any(test(value) for test in self.tests)
            return shows if self.kind is ProbeKind.SHOWS else not shows
        return value is not MISSING


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition: TypeAlias = Probe | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Index:
    """Conditions filed by the text at ``keys``: for a text in ``table``, the conditions to evaluate (an empty
    tuple: the event is a candidate outright); for any other string, or nothing at ``keys``, none of them can
    hold; for a value that is not a string, the event is a candidate."""

    keys: KeyPath
    table: dict[str, tuple[Condition, ...]]


@dataclass(frozen=True, slots=True)
class Guard:
    """Conditions that can only hold when there is a value at ``keys``."""

    keys: KeyPath
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Prefilter:
    """The union of the necessary conditions of a set of patterns: indexed ones, guarded ones and ``others``
    (evaluated for every event). An event is a candidate when some index files it, or some other condition
    holds."""

    indexes: tuple[Index, ...]
    guards: tuple[Guard, ...] = ()
    others: tuple[Condition, ...] = ()

    @property
    def paths(self) -> tuple[KeyPath, ...]:
        """Every key path the prefilter reads."""
        found: dict[KeyPath, None] = {}
        for index in self.indexes:
            found[index.keys] = None
            for conditions in index.table.values():
                for condition in conditions:
                    found.update(dict.fromkeys(_paths(condition)))
        for guard in self.guards:
            found[guard.keys] = None
            for condition in guard.conditions:
                found.update(dict.fromkeys(_paths(condition)))
        for condition in self.others:
            found.update(dict.fromkeys(_paths(condition)))
        return tuple(found)

    def may_match(self, document: dict[str, Any]) -> bool:
        """Whether some pattern could match a parsed JSON event: the reference reading over a whole document (fast
        readers evaluate the same conditions over their own decoded fields)."""

        def read(keys: KeyPath) -> Any:
            return compile_path([Key(name, False) for name in keys])(document)

        for index in self.indexes:
            value = read(index.keys)
            if type(value) is str:
                conditions = index.table.get(value)
                if conditions is not None and (not conditions or any(_holds(c, read) for c in conditions)):
                    return True
            elif value is not MISSING:
                return True
        for guard in self.guards:
            if read(guard.keys) is not MISSING and any(_holds(c, read) for c in guard.conditions):
                return True
        return any(_holds(condition, read) for condition in self.others)


def _holds(condition: Condition, read: Callable[[KeyPath], Any]) -> bool:
    if isinstance(condition, Probe):
        return condition.holds(read(condition.keys))
    if isinstance(condition, AllOf):
        return all(_holds(part, read) for part in condition.parts)
    return any(_holds(part, read) for part in condition.parts)


def _paths(condition: Condition) -> Iterator[KeyPath]:
    if isinstance(condition, Probe):
        yield condition.keys
    else:
        for part in condition.parts:
            yield from _paths(part)


def build_prefilter(patterns: Sequence[CompiledPattern]) -> Prefilter | None:
    """The prefilter of ``patterns``, or None when some pattern gives no condition (every event is a candidate
    then): a pattern that is not a JSON pattern, or whose every leaf reads through ``[n]`` or ``*``."""
    conditions: list[Condition] = []
    for pattern in patterns:
        if not isinstance(pattern.tree, JsonPattern):
            return None
        condition = _condition(pattern.tree.expression, pattern.text)
        if condition is None:
            return None
        conditions.append(condition)
    # A path several conditions can be filed under costs nothing more to look up: prefer popular paths.
    popularity: Counter[KeyPath] = Counter()
    for condition in conditions:
        popularity.update(set(_filing_paths(condition)))
    tables: dict[KeyPath, dict[str, list[Condition] | None]] = {}
    others: list[Condition] = []
    for condition in conditions:
        filings = _filings(condition, popularity)
        if filings is None:
            others.append(condition)
            continue
        for keys, texts, rest in filings:
            table = tables.setdefault(keys, {})
            for text in texts:
                if text in table and table[text] is None:
                    continue  # already a candidate outright
                if rest is None:
                    table[text] = None
                else:
                    table.setdefault(text, []).append(rest)  # type: ignore[union-attr]  # not None: see above
    indexes = tuple(
        Index(keys, {text: tuple(held or ()) for text, held in table.items()}) for keys, table in tables.items()
    )
    guarded: dict[KeyPath, list[Condition]] = {}
    unguarded: list[Condition] = []
    for condition in sorted(others, key=_cost):
        needed = _needed_path(condition)
        if needed is None:
            unguarded.append(condition)
        else:
            guarded.setdefault(needed, []).append(condition)
    guards = tuple(Guard(path, tuple(conditions)) for path, conditions in guarded.items())
    return Prefilter(indexes, guards, tuple(unguarded))


def _needed_path(condition: Condition) -> KeyPath | None:
    """A path the condition needs a value at to hold, if any."""
    needed = _needed_paths(condition)
    return min(needed) if needed else None


def _needed_paths(condition: Condition) -> set[KeyPath]:
    if isinstance(condition, Probe):
        return set() if condition.kind is ProbeKind.ABSENT else {condition.keys}
    if isinstance(condition, AllOf):
        return set().union(*(_needed_paths(part) for part in condition.parts))
    return set.intersection(*(_needed_paths(part) for part in condition.parts))


# ---------------------------------------------------------------- deriving conditions


def _condition(node: JsonExpr, pattern_text: str) -> Condition | None:
    """A necessary condition of ``node``; None when none can be derived."""
    if isinstance(node, And):
        parts = [found for operand in node.operands if (found := _condition(operand, pattern_text)) is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else AllOf(tuple(sorted(parts, key=_cost)))
    if isinstance(node, Or):
        branches: list[Condition] = []
        for operand in node.operands:
            found = _condition(operand, pattern_text)
            if found is None:
                return None  # that branch may hold with nothing required
            branches.extend(found.parts if isinstance(found, AnyOf) else (found,))
        return branches[0] if len(branches) == 1 else AnyOf(tuple(branches))
    return _probe(node, pattern_text)


def _probe(node: Comparison | IsCheck | NotExists, pattern_text: str) -> Probe | None:
    steps = node.selector.steps
    if not steps or not all(isinstance(step, Key) for step in steps):
        return None  # [n] and * read arrays and many values: not judged from one field
    keys = tuple(step.name for step in steps if isinstance(step, Key))
    if isinstance(node, NotExists):
        return Probe(keys, ProbeKind.ABSENT)
    if isinstance(node, IsCheck):
        return Probe(keys, ProbeKind.SHOWS)  # TRUE, FALSE, NULL: never a string
    value = node.value
    kind = ProbeKind.DIFFERS if node.operator is Operator.NE else ProbeKind.SHOWS
    if isinstance(value, NumberValue):
        # `= 1` and `!= 1` compare a string with the literal's text as written; an ordering holds for numbers only.
        if node.operator in (Operator.EQ, Operator.NE):
            return Probe(keys, kind, frozenset((value.text,)))
        return Probe(keys, ProbeKind.SHOWS)
    if node.operator not in (Operator.EQ, Operator.NE):
        return None  # the parser gives orderings number literals only; nothing to derive otherwise
    if isinstance(value, Regex):
        # The pattern compiled this regex already, so it compiles here too.
        search = compile_regex(value.source, pattern_text, max(pattern_text.find("%" + value.source), 0)).search
        return Probe(keys, kind, tests=(lambda text: search(text) is not None,))
    assert isinstance(value, StringValue)
    if _is_exact(value.text):
        return Probe(keys, kind, frozenset((value.text,)))
    return Probe(keys, kind, tests=(text_matcher(value.text),))


def _is_exact(text: str) -> bool:
    """Whether a string literal matches only itself (no leading or trailing ``*`` wildcard)."""
    return not text or exact_text(text) is not None


def _cost(condition: Condition) -> int:
    """Rough cost of evaluating a condition, to try the cheap ones first: an exact-text lookup is cheapest, a
    wildcard or regex test costs more (which part rejects the most events depends on the data)."""
    if isinstance(condition, Probe):
        return 1 + 4 * len(condition.tests) + len(condition.keys) - (condition.kind is ProbeKind.SHOWS)
    return sum(_cost(part) for part in condition.parts) + 1


# ---------------------------------------------------------------- indexing conditions

# (path, texts, what remains to evaluate for those texts: None when nothing does)
_Filing = tuple[KeyPath, frozenset[str], Condition | None]


def _is_text_probe(condition: Condition) -> bool:
    return isinstance(condition, Probe) and condition.kind is ProbeKind.SHOWS and not condition.tests


def _filing_paths(condition: Condition) -> Iterator[KeyPath]:
    if _is_text_probe(condition):
        assert isinstance(condition, Probe)
        yield condition.keys
    elif isinstance(condition, AnyOf | AllOf):
        for part in condition.parts:
            yield from _filing_paths(part)


def _filings(condition: Condition, popularity: Counter[KeyPath]) -> list[_Filing] | None:
    """Where ``condition`` can be filed: (path, texts, rest) such that it holds only when the value at some
    filing's path is one of its texts (or not a string) and then ``rest`` holds; None when it cannot be filed."""
    if isinstance(condition, Probe):
        return [(condition.keys, condition.texts, None)] if _is_text_probe(condition) else None
    if isinstance(condition, AnyOf):
        filings: list[_Filing] = []
        for part in condition.parts:
            found = _filings(part, popularity)
            if found is None:
                return None
            filings.extend(found)
        return filings
    best: list[_Filing] | None = None
    best_rank: tuple[bool, int, int] = (False, 0, 0)
    for part in condition.parts:
        found = _filings(part, popularity)
        if found is None:
            continue
        # Texts to look up first (a probe without texts files every event whose value is not a string), then
        # popular paths, then fewer texts.
        rank = (
            all(texts for _, texts, _ in found),
            min(popularity[keys] for keys, _, _ in found),
            -sum(len(texts) for _, texts, _ in found),
        )
        if best is None or rank > best_rank:
            best, best_rank = found, rank
    if best is None:
        return None
    return [(keys, texts, condition) for keys, texts, _ in best]
