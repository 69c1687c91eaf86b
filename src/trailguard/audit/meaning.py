"""What a deployed metric filter pattern means for a CIS control: does it count every event the control requires?

``judge_filter`` compares a filter pattern with the control's reference pattern for its benchmark version
(trailguard.pattern.containment) over CloudTrail records: witnesses start from a realistic record for the
control (cloudtrail_templates.py), the universe is records holding CloudTrail's always-present fields,
and where the symbolic decision cannot decide, a corpus of CloudTrail-shaped mutations is sampled.
When the benchmark itself offers an alternative pattern (4.2's SSO-safe form, v1.4.0+), a filter that
misses the prescribed pattern but counts everything the alternative counts is accepted, and says so.

``required_events`` gives one realistic event per branch of the reference pattern's disjunctive normal
form: the events an alarm must fire on, for simulating the alarm chain.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trailguard.audit.cloudtrail_templates import (
    CLOUDTRAIL_HINTS,
    CLOUDTRAIL_UNIVERSE,
    USER_IDENTITY_TYPES,
    shared_template,
)
from trailguard.catalog import CisControl, cis_control
from trailguard.pattern import PatternError, compile_pattern
from trailguard.pattern.ast import JsonPattern, Key, NumberValue, StringValue
from trailguard.pattern.containment import (
    BranchExample,
    ContainmentResult,
    Method,
    Verdict,
    branch_examples,
    compare_patterns,
)
from trailguard.pattern.formulas import Equals, PathAtom, expression_formula, literals_of
from trailguard.pattern.json_eval import MISSING, necessary_texts
from trailguard.pattern.sampling import set_path
from trailguard.pattern.value_domains import wildcard_shape

__all__ = [
    "FilterMeaning",
    "cloudtrail_corpus",
    "judge_filter",
    "required_events",
    "shared_terms",
]

_COUNTING: Final = (Verdict.EQUIVALENT, Verdict.COVERS)
_EVENT_NAME: Final = (Key("eventName", bracketed=False),)
_VALUE_KINDS: Final[tuple[Any, ...]] = (MISSING, None, 0, 1.5, True, [], ["x"], {})


@dataclass(frozen=True)
class FilterMeaning:
    """A filter pattern judged against one control.

    ``comparison`` is against the control's prescribed pattern; ``alternative`` is set when the filter
    misses that pattern but counts every event of a benchmark-offered alternative (then ``accepted``).
    """

    control_id: str
    cis_version: str
    comparison: ContainmentResult
    alternative: ContainmentResult | None = None

    @property
    def decisive(self) -> ContainmentResult:
        """The comparison the judgement rests on: the alternative's when it is what the filter meets."""
        return self.alternative if self.alternative is not None else self.comparison

    @property
    def verdict(self) -> Verdict:
        return self.decisive.verdict

    @property
    def accepted(self) -> bool:
        """The filter counts every event the control requires (``equivalent`` or ``covers``)."""
        return self.decisive.verdict in _COUNTING

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "control": self.control_id,
            "cisVersion": self.cis_version,
            "accepted": self.accepted,
            **self.comparison.to_dict(),
        }
        document["alternative"] = None if self.alternative is None else self.alternative.to_dict()
        return document


def judge_filter(pattern_text: str, control: CisControl, *, corpus: Iterable[Mapping[str, Any]] = ()) -> FilterMeaning:
    """Judge one metric filter pattern against ``control`` (its version's reference pattern).

    ``corpus``: real CloudTrail records to add to the sampled events when sampling is needed.
    """
    comparison = _misses_a_required_event(pattern_text, control) or _compare(
        pattern_text, control.pattern, control, corpus
    )
    alternative = None
    if comparison.verdict is Verdict.MISSES:
        for pattern in control.alternative_patterns:
            candidate = _compare(pattern_text, pattern, control, corpus)
            if candidate.verdict in _COUNTING:
                alternative = candidate
                break
    return FilterMeaning(control.id, control.version, comparison, alternative)


def required_events(control: CisControl) -> list[dict[str, Any]]:
    """One realistic event per branch of the control's reference pattern (in the pattern's order)."""
    return [example.event for example in _required_branches(control.id, control.version)]


@functools.lru_cache(maxsize=64)
def _required_branches(control_id: str, version: str) -> tuple[BranchExample, ...]:
    control = cis_control(control_id, version)
    return tuple(
        branch_examples(
            control.pattern, template=shared_template(control.id), assume=CLOUDTRAIL_UNIVERSE, hints=CLOUDTRAIL_HINTS
        )
    )


@functools.lru_cache(maxsize=1024)
def shared_terms(pattern_text: str, control: CisControl) -> int:
    """How many of the reference pattern's positive comparisons (a selector equal to a value, such as
    ``$.userIdentity.type = "Root"``) the pattern also makes. The audit ranks near misses by it: a filter that
    looks at the control's events (a root sign-in filter, for "root account usage") shares terms with the
    reference, while another control's filter shares none, even when both happen to count some same event."""
    try:
        mine = _positive_terms(pattern_text)
    except PatternError:
        return 0
    return len(mine & _positive_terms(control.pattern))


def _positive_terms(pattern: str) -> set[tuple[Any, ...]]:
    terms: set[tuple[Any, ...]] = set()
    for literal in _pattern_literals(pattern):
        atom = literal.atom
        if literal.positive and isinstance(atom, PathAtom) and isinstance(atom.test, Equals):
            value = atom.test.value
            written = value.text if isinstance(value, StringValue | NumberValue) else value.render()
            terms.add((atom.steps, type(value).__name__, written))  # "Root" and Root are one term
    return terms


def _misses_a_required_event(pattern_text: str, control: CisControl) -> ContainmentResult | None:
    """The quick, certain answer for the many filters of a log group that have nothing to do with the control: a
    JSON pattern that needs a field to show texts the control's events never show there (another eventName, say)
    counts none of them. ``None`` when the patterns can hold together (the full comparison decides, and names the
    clause at fault), and for other families or invalid patterns (the full comparison handles them)."""
    try:
        candidate = compile_pattern(pattern_text).tree
        reference = compile_pattern(control.pattern).tree
    except PatternError:
        return None
    if not isinstance(candidate, JsonPattern) or not isinstance(reference, JsonPattern):
        return None
    needed = necessary_texts(reference.expression)
    for selector, texts in necessary_texts(candidate.expression).items():
        required = needed.get(selector)
        if required is None or texts & required:
            continue
        branches = _required_branches(control.id, control.version)
        if not branches:
            return None
        first = branches[0]
        return ContainmentResult(
            candidate=pattern_text,
            reference=control.pattern,
            verdict=Verdict.MISSES,
            method=Method.SYMBOLIC,
            explanation=(
                f"counts no event the control requires: it needs {selector.render()} to be "
                f"{_one_of(texts)}, where the control's events have {_one_of(required)}"
            ),
            missed_example=copy.deepcopy(first.event),
            missed_branch=first.branch,
        )
    return None


def _one_of(texts: frozenset[str]) -> str:
    shown = sorted(texts)
    listed = ", ".join(shown[:5]) + (f" (and {len(shown) - 5} more)" if len(shown) > 5 else "")
    return listed if len(shown) == 1 else f"one of {listed}"


def cloudtrail_corpus(control: CisControl) -> Iterator[dict[str, Any]]:
    """CloudTrail-shaped mutations of the control's record, for deciding by sampling.

    Every userIdentity type; with and without errorCode/errorMessage; each eventName the control names;
    each path its pattern reads set missing, null, a number, a boolean, an array and an object.
    """
    base = shared_template(control.id)
    yield copy.deepcopy(dict(base))
    identity_type = (Key("userIdentity", bracketed=False), Key("type", bracketed=False))
    for identity in USER_IDENTITY_TYPES:
        yield set_path(base, identity_type, identity)
    error_code = (Key("errorCode", bracketed=False),)
    error_message = (Key("errorMessage", bracketed=False),)
    without_error = set_path(set_path(base, error_code, MISSING), error_message, MISSING)
    yield without_error
    yield set_path(set_path(base, error_code, "AccessDenied"), error_message, "Access Denied")
    yield set_path(without_error, error_message, "Failed authentication")
    for name in _event_names(control.pattern):
        named = set_path(base, _EVENT_NAME, name)
        yield named
        yield set_path(set_path(named, error_code, MISSING), error_message, MISSING)
    for steps in _read_paths(control.pattern):
        for value in _VALUE_KINDS:
            yield set_path(base, steps, value)


def _compare(
    pattern_text: str, reference: str, control: CisControl, corpus: Iterable[Mapping[str, Any]]
) -> ContainmentResult:
    def sampled() -> Iterator[Mapping[str, Any]]:
        # Built only if the comparison samples (it consumes the corpus lazily).
        yield from cloudtrail_corpus(control)
        yield from corpus

    return compare_patterns(
        pattern_text,
        reference,
        template=shared_template(control.id),
        corpus=sampled(),
        assume=CLOUDTRAIL_UNIVERSE,
        hints=CLOUDTRAIL_HINTS,
    )


def _event_names(pattern: str) -> list[str]:
    names = []
    for literal in _pattern_literals(pattern):
        atom = literal.atom
        if isinstance(atom, PathAtom) and atom.steps == _EVENT_NAME and isinstance(atom.test, Equals):
            value = atom.test.value
            if isinstance(value, StringValue) and wildcard_shape(value.text)[0] == "exact":
                names.append(value.text)
    return list(dict.fromkeys(names))


def _read_paths(pattern: str) -> list[tuple[Any, ...]]:
    paths: dict[tuple[Any, ...], None] = {}
    for literal in _pattern_literals(pattern):
        atom = literal.atom
        steps = atom.steps if isinstance(atom, PathAtom) else atom.base
        if steps:
            paths[steps] = None
    return list(paths)


def _pattern_literals(pattern: str) -> list[Any]:
    tree = compile_pattern(pattern).tree
    if not isinstance(tree, JsonPattern):
        return []
    return list(literals_of(expression_formula(tree.expression)))
