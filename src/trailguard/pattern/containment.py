"""Does a candidate filter pattern count every event a reference pattern counts? Decided by meaning.

    from trailguard.pattern.containment import compare_patterns
    result = compare_patterns('{ $.eventName = Console* && $.errorMessage = "Failed*" }',
                              '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
                              template=failed_console_login)
    result.verdict            # Verdict.COVERS
    result.extra_example      # an event the candidate counts and the reference does not
    result.to_dict()          # JSON-ready

Events are JSON objects, each delivered as one compact JSON message (as CloudTrail delivers records to
CloudWatch Logs). Verdicts: ``equivalent`` (the same events), ``covers`` (every event the reference counts,
and more), ``misses`` (some event the reference counts is not counted), ``invalid`` (the candidate does
not parse; AWS's error). For two JSON patterns (or the empty pattern) the decision is symbolic: a search
for an event where the reference holds and the candidate does not (and the reverse) over both parsed
trees, with every path's value drawn from complete value domains (see satisfy.py, models.py,
value_domains.py). It is a proof — ``method`` "symbolic" — unless a regular expression or a wildcard on a
number's text leaves a value domain incomplete, or the candidate is a term, space-delimited or regex
pattern, which read the message text: then the search is over generated events plus the caller's corpus
and ``method`` is "sampling" (an ``equivalent`` found by sampling is "no counterexample found", not a
proof). Every example event is confirmed with the compiled matchers before it is reported.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from trailguard.pattern.ast import And, JsonExpr, JsonPattern, MatchAll, Or, Pattern, TermKind, TermPattern
from trailguard.pattern.compiled import CompiledPattern, compile_pattern
from trailguard.pattern.errors import PatternError
from trailguard.pattern.event import LogEvent
from trailguard.pattern.formulas import (
    FALSE,
    TRUE,
    Formula,
    PathStep,
    conjunction,
    expression_formula,
    render_path,
    selector_path,
)
from trailguard.pattern.json_eval import MISSING, compile_path
from trailguard.pattern.models import DocumentSolver, formula_holds
from trailguard.pattern.references import SelectorReference, parse_reference
from trailguard.pattern.sampling import compact_json, generate_events, literal_values, referenced_paths
from trailguard.pattern.satisfy import DEFAULT_BUDGET, ModelSearch

__all__ = [
    "BranchExample",
    "ContainmentResult",
    "Method",
    "Verdict",
    "branch_examples",
    "compact_json",
    "compare_patterns",
]

_MAX_BRANCHES: Final = 64  # branch names in explanations; CIS patterns have at most 18
_SUMMARY_PATHS: Final = 6


class Verdict(StrEnum):
    EQUIVALENT = "equivalent"
    COVERS = "covers"
    MISSES = "misses"
    INVALID = "invalid"


class Method(StrEnum):
    SYMBOLIC = "symbolic"
    SAMPLING = "sampling"


@dataclass(frozen=True)
class ContainmentResult:
    """How a candidate pattern compares with a reference, with witness events.

    ``missed_example``: an event the reference counts and the candidate does not (``misses``);
    ``extra_example``: an event the candidate counts and the reference does not (``covers``, and
    ``misses`` when the candidate also over-matches); ``missed_branch``: the reference's branch (one
    conjunction of its disjunctive normal form) that the missed example takes; ``sampled_events``: how
    many generated events were tried when ``method`` is "sampling"; ``proven``: the verdict is certain
    (a confirmed missed example, or a complete symbolic search for what the verdict says does not exist;
    ``covers`` needs the proof that nothing is missed, ``equivalent`` both proofs). A sampled
    ``equivalent`` or ``covers`` is "no counterexample found", not proven.
    """

    candidate: str
    reference: str
    verdict: Verdict
    method: Method
    explanation: str
    missed_example: dict[str, Any] | None = None
    extra_example: dict[str, Any] | None = None
    missed_branch: str | None = None
    error: PatternError | None = None
    sampled_events: int = 0
    proven: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "reference": self.reference,
            "verdict": self.verdict.value,
            "method": self.method.value,
            "explanation": self.explanation,
            "missedExample": self.missed_example,
            "extraExample": self.extra_example,
            "missedBranch": self.missed_branch,
            "sampledEvents": self.sampled_events,
            "proven": self.proven,
            "error": None
            if self.error is None
            else {"message": self.error.aws_message, "position": self.error.position},
        }


@dataclass(frozen=True)
class BranchExample:
    """One branch of a pattern's disjunctive normal form (its text) and an event that takes it."""

    branch: str
    event: dict[str, Any]


# ---------------------------------------------------------------- the comparison


def compare_patterns(
    candidate: str,
    reference: str,
    *,
    template: Mapping[str, Any] | None = None,
    corpus: Iterable[Mapping[str, Any]] = (),
    assume: str | None = None,
    hints: Mapping[str, Sequence[Any]] | None = None,
    budget: int = DEFAULT_BUDGET,
) -> ContainmentResult:
    """Compare ``candidate`` with ``reference`` over JSON events.

    ``template``: the event witnesses start from (only the paths the patterns need are changed);
    ``corpus``: more events to try when sampling; ``assume``: a JSON pattern every event of the universe
    satisfies (e.g. fields always present), so witnesses that no real event resembles are not reported;
    ``hints``: preferred values per selector (``{"$.eventName": ["CheckMfa"], "$.errorCode": [MISSING]}``,
    MISSING from trailguard.pattern.json_eval for "absent"), tried first so witnesses look real;
    ``budget``: search steps before the symbolic search gives way to sampling.

    Raises PatternError when ``reference`` or ``assume`` is invalid (a candidate that does not parse is
    the ``invalid`` verdict), ValueError when ``assume`` is not a JSON pattern.
    """
    try:
        compiled_candidate = _compiled(candidate)
    except PatternError as error:
        where = f" (at position {error.position})" if error.position is not None else ""
        return ContainmentResult(
            candidate,
            reference,
            Verdict.INVALID,
            Method.SYMBOLIC,
            f"the candidate is not a valid filter pattern: {error.aws_message}{where}",
            error=error,
        )
    comparison = _Comparison(compiled_candidate, _compiled(reference), template, corpus, assume, hints, budget)
    return comparison.run()


def branch_examples(
    pattern: str,
    *,
    template: Mapping[str, Any] | None = None,
    assume: str | None = None,
    hints: Mapping[str, Sequence[Any]] | None = None,
) -> list[BranchExample]:
    """One event per branch of a JSON pattern's disjunctive normal form (branches no event can take are left out).

    The empty pattern gives the template. Other families have no branches: ValueError.
    """
    compiled = _compiled(pattern)
    tree = compiled.tree
    universe, assumption = _universe(assume)
    solver = DocumentSolver(_hint_paths(hints))
    if isinstance(tree, MatchAll):
        search = ModelSearch(solver, template)
        model = search.first(universe)
        return [] if model is None else [BranchExample("", model.document)]
    if not isinstance(tree, JsonPattern):
        raise ValueError(f"only JSON patterns have branches: {pattern!r}")
    examples = []
    for leaves in _expression_branches(tree.expression) or [(tree.expression,)]:
        formula = conjunction([expression_formula(leaf) for leaf in leaves])
        model = ModelSearch(solver, template).first(conjunction([formula, universe]))
        if model is None:
            continue
        event = LogEvent(compact_json(model.document))
        if compiled.test_event(event) and (assumption is None or assumption.test_event(event)):
            examples.append(BranchExample(_render_branch(leaves), _detached(model.document)))
    return examples


# ---------------------------------------------------------------- internals


@dataclass
class _Direction:
    """Whether some event is counted by one pattern and not the other."""

    example: dict[str, Any] | None
    proven: bool  # the answer is certain: an example, or a complete symbolic search
    method: Method


@dataclass
class _Comparison:
    candidate: CompiledPattern
    reference: CompiledPattern
    template: Mapping[str, Any] | None
    corpus: Iterable[Mapping[str, Any]]
    assume: str | None
    hints: Mapping[str, Sequence[Any]] | None
    budget: int
    _samples: list[dict[str, Any]] = field(default_factory=list, init=False)
    _seen: set[str] = field(default_factory=set, init=False)
    _source: Iterator[dict[str, Any]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.universe, self.assumption = _universe(self.assume)
        self.solver = DocumentSolver(_hint_paths(self.hints))
        self.formulas: dict[tuple[str, bool], Formula | None] = {
            (name, positive): _pattern_formula(pattern.text, positive)
            for name, pattern in (("candidate", self.candidate), ("reference", self.reference))
            for positive in (True, False)
        }

    def run(self) -> ContainmentResult:
        missed = self._direction("reference", "candidate")
        extra = self._direction("candidate", "reference")
        sampled = len(self._samples)
        if missed.example is not None:
            verdict, proven = Verdict.MISSES, True
            method = missed.method
        elif extra.example is not None:
            verdict, proven = Verdict.COVERS, missed.proven
            method = Method.SYMBOLIC if missed.proven and extra.method is Method.SYMBOLIC else Method.SAMPLING
        else:
            verdict, proven = Verdict.EQUIVALENT, missed.proven and extra.proven
            method = Method.SYMBOLIC if proven else Method.SAMPLING
        missed_branch = self._branch_taken(missed.example) if missed.example is not None else None
        explanation = self._explain(verdict, method, missed, extra, missed_branch, sampled)
        return ContainmentResult(
            self.candidate.text,
            self.reference.text,
            verdict,
            method,
            explanation,
            missed_example=missed.example,
            extra_example=extra.example,
            missed_branch=missed_branch,
            sampled_events=sampled,
            proven=proven,
        )

    # -- one direction: an event ``counted`` counts and ``uncounted`` does not -------------------

    def _direction(self, counted: str, uncounted: str) -> _Direction:
        positive = self.formulas[(counted, True)]
        negative = self.formulas[(uncounted, False)]
        if positive is not None and negative is not None:
            search = ModelSearch(self.solver, self.template, self.budget)
            model = search.first(conjunction([positive, negative, self.universe]))
            if model is not None:
                if self._confirms(model.document, counted):
                    return _Direction(_detached(model.document), True, Method.SYMBOLIC)
                # A model the matchers disagree with would be a defect of the symbolic layer: never report
                # it, decide by sampling instead.
            elif search.complete:
                return _Direction(None, True, Method.SYMBOLIC)
        for event in self._sample_events():
            if self._confirms(event, counted):
                return _Direction(_detached(event), True, Method.SAMPLING)
        return _Direction(None, False, Method.SAMPLING)

    def _confirms(self, document: Mapping[str, Any], counted: str) -> bool:
        event = LogEvent(compact_json(document))
        if self.assumption is not None and not self.assumption.test_event(event):
            return False
        in_reference = self.reference.test_event(event)
        in_candidate = self.candidate.test_event(event)
        return in_reference and not in_candidate if counted == "reference" else in_candidate and not in_reference

    def _sample_events(self) -> Iterator[dict[str, Any]]:
        """Generated events, then the caller's; built lazily and kept, so the second direction reuses them."""
        yield from self._samples
        if self._source is None:
            formulas = [f for f in self.formulas.values() if f is not None]
            generated = generate_events(
                self.solver,
                formulas,
                self.universe,
                [self.candidate.tree, self.reference.tree],
                self.template,
                literal_values(formulas),
            )
            self._source = itertools.chain(generated, (dict(e) for e in self.corpus))
        for event in self._source:
            key = compact_json(event)
            if key not in self._seen:
                self._seen.add(key)
                self._samples.append(event)
                yield event

    # -- explanations --------------------------------------------------------------------------

    def _branch_taken(self, event: Mapping[str, Any]) -> str | None:
        tree = self.reference.tree
        if not isinstance(tree, JsonPattern):
            return None
        branches = _branch_formulas(self.reference.text)
        if len(branches) < 2:
            return None
        return next((text for text, formula in branches if formula_holds(formula, event)), None)

    def _explain(
        self,
        verdict: Verdict,
        method: Method,
        missed: _Direction,
        extra: _Direction,
        missed_branch: str | None,
        sampled: int,
    ) -> str:
        paths = self._summary_paths()
        if verdict is Verdict.MISSES:
            assert missed.example is not None
            what = f"the reference's branch {missed_branch}" if missed_branch else "events the reference counts"
            text = f"does not count {what}: e.g. an event with {_summary(missed.example, paths)}"
            text += _failing_part("candidate", self.candidate.tree, missed.example)
            if extra.example is not None:
                text += f"; it also counts events the reference does not, e.g. {_summary(extra.example, paths)}"
        elif verdict is Verdict.COVERS:
            assert extra.example is not None
            text = (
                "counts every event the reference counts, and more: e.g. an event with "
                f"{_summary(extra.example, paths)}, which the reference does not count"
            )
            text += _failing_part("reference", self.reference.tree, extra.example)
        else:
            text = "counts exactly the events the reference counts"
        if method is Method.SAMPLING and verdict is Verdict.MISSES:
            text += f" (found by sampling {sampled} generated events: {self._why_sampling()})"
        elif method is Method.SAMPLING:
            text += f" (decided by sampling {sampled} generated events, not proven: {self._why_sampling()})"
        return text

    def _why_sampling(self) -> str:
        for name, pattern in (("candidate", self.candidate), ("reference", self.reference)):
            if self.formulas[(name, True)] is None:
                return f"the {name} is a {pattern.family} pattern, which reads the message text"
        return "a regular expression, a wildcard on a number's text, or the search's size is beyond the proof"

    def _summary_paths(self) -> list[tuple[PathStep, ...]]:
        formulas = [self.formulas[("reference", True)], self.formulas[("candidate", True)]]
        return referenced_paths(f for f in formulas if f is not None)


def _universe(assume: str | None) -> tuple[Formula, CompiledPattern | None]:
    if assume is None:
        return TRUE, None
    compiled = _compiled(assume)
    formula = _pattern_formula(assume, True)
    if formula is None:
        raise ValueError(f"the universe must be described by a JSON pattern: {assume!r}")
    return formula, compiled


# An audit compares each control's pattern with every filter of a log group, and the same filters recur
# across controls, regions and accounts: patterns are compiled and turned into formulas once.
@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> CompiledPattern:
    return compile_pattern(text)


@functools.lru_cache(maxsize=2048)
def _pattern_formula(text: str, positive: bool) -> Formula | None:
    tree = _compiled(text).tree
    if isinstance(tree, MatchAll):
        return TRUE if positive else FALSE
    if isinstance(tree, JsonPattern):
        return expression_formula(tree.expression, positive)
    return None


def _hint_paths(hints: Mapping[str, Sequence[Any]] | None) -> dict[tuple[PathStep, ...], Sequence[Any]]:
    return {_hint_path(selector): values for selector, values in (hints or {}).items()}


@functools.lru_cache(maxsize=1024)
def _hint_path(selector: str) -> tuple[PathStep, ...]:
    reference = parse_reference(selector)
    if not isinstance(reference, SelectorReference):
        raise ValueError(f"{selector!r} is not a JSON selector")
    return selector_path(reference.selector)


@functools.lru_cache(maxsize=256)
def _branch_formulas(text: str) -> tuple[tuple[str, Formula], ...]:
    """Each branch of a JSON pattern's disjunctive normal form: its text and its formula (none past a size limit)."""
    tree = _compiled(text).tree
    branches = _expression_branches(tree.expression) if isinstance(tree, JsonPattern) else None
    return tuple(
        (_render_branch(leaves), conjunction([expression_formula(leaf) for leaf in leaves]))
        for leaves in branches or ()
    )


def _expression_branches(expression: JsonExpr) -> list[tuple[JsonExpr, ...]] | None:
    """The disjunctive normal form over the pattern's own leaves (None past a size limit)."""
    if isinstance(expression, Or):
        branches: list[tuple[JsonExpr, ...]] = []
        for operand in expression.operands:
            sub = _expression_branches(operand)
            if sub is None or len(branches) + len(sub) > _MAX_BRANCHES:
                return None
            branches.extend(sub)
        return branches
    if isinstance(expression, And):
        product: list[tuple[JsonExpr, ...]] = [()]
        for operand in expression.operands:
            sub = _expression_branches(operand)
            if sub is None or len(product) * len(sub) > _MAX_BRANCHES:
                return None
            product = [left + right for left in product for right in sub]
        return product
    return [(expression,)]


def _render_branch(leaves: Sequence[JsonExpr]) -> str:
    return " && ".join(f"({leaf.render()})" for leaf in leaves)


def _failing_part(name: str, tree: Pattern, event: Mapping[str, Any]) -> str:
    """Which part of a pattern the event fails, as a clause for the explanation ("" when nothing short says it)."""
    if isinstance(tree, TermPattern):
        message = compact_json(event)
        plain = [t for t in tree.terms if t.kind is not TermKind.OPTIONAL]
        for term in plain:
            if (term.kind is TermKind.REQUIRED) == (term.text not in message):
                state = "absent" if term.kind is TermKind.REQUIRED else "present"
                return (
                    f" (the {name}'s {'required' if state == 'absent' else 'excluded'} term {term.render()} is {state})"
                )
        return ""
    if not isinstance(tree, JsonPattern):
        return ""
    expression = tree.expression
    operands = expression.operands if isinstance(expression, And) else (expression,)
    failing = [op for op in operands if not formula_holds(expression_formula(op), event)]
    if isinstance(expression, Or):
        return f" (none of the {name}'s {len(expression.operands)} alternatives holds)"
    if not failing or len(failing) > 2:
        return ""
    clauses = " and ".join(f"({op.render()})" for op in failing)
    return f" (the {name}'s {clauses} {'is' if len(failing) == 1 else 'are'} false for it)"


def _summary(event: Mapping[str, Any], paths: Sequence[tuple[PathStep, ...]]) -> str:
    parts = []
    for steps in paths[:_SUMMARY_PATHS]:
        name = render_path(steps).removeprefix("$.")
        value = compile_path(steps)(event)
        parts.append(f"no {name}" if value is MISSING else f"{name} {json.dumps(value, ensure_ascii=False)}")
    if len(paths) > _SUMMARY_PATHS:
        parts.append("…")
    return ", ".join(parts) if parts else "the template's values"


def _detached(document: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy sharing nothing with the template (witnesses are built from its parts)."""
    copied: dict[str, Any] = json.loads(compact_json(document))
    return copied
