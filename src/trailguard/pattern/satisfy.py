"""Search for documents satisfying a formula: a tableau over its disjunctions, pruned by the theory solver.

The formula (formulas.py, negation normal form) is expanded depth first: conjunctions are flattened,
literals collected, and one disjunction at a time is split, smallest first, each operand in turn with
the earlier literal operands negated (so no model is explored twice). Every time literals are added,
models.py builds a document for the literals so far; when it proves there is none, the branch is
dropped. A branch with no disjunction left yields its document: every literal holds in it, so the
formula does. The search is complete: when it ends without a model and no value domain was inexact
and the step budget held, no document satisfies the formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from trailguard.pattern.formulas import AllOf, AnyOf, Atom, Formula, Literal
from trailguard.pattern.models import DocumentSolver, holds_all

__all__ = ["DEFAULT_BUDGET", "Model", "ModelSearch"]

DEFAULT_BUDGET: Final = 5_000


@dataclass(frozen=True, slots=True)
class Model:
    """A document in which the formula holds, with the literals the search chose for it."""

    document: dict[str, Any]
    literals: tuple[Literal, ...]


class _OutOfBudget(Exception):
    pass


@dataclass
class ModelSearch:
    """Finds models of formulas over one template; ``complete`` tells whether "no model" is a proof."""

    solver: DocumentSolver
    template: Mapping[str, Any] | None = None
    budget: int = DEFAULT_BUDGET
    complete: bool = field(default=True, init=False)
    steps: int = field(default=0, init=False)

    def first(self, formula: Formula) -> Model | None:
        return next(self.models(formula), None)

    def models(self, formula: Formula) -> Iterator[Model]:
        """Models of ``formula``, one per branch of the search; stops early (incomplete) on the budget."""
        try:
            yield from self._expand({}, [formula], None)
        except _OutOfBudget:
            self.complete = False

    def _expand(
        self, chosen: dict[Atom, bool], pending: list[Formula], document: dict[str, Any] | None
    ) -> Iterator[Model]:
        self.steps += 1
        if self.steps > self.budget:
            raise _OutOfBudget
        chosen = dict(chosen)
        added: list[Literal] = []
        stack = list(pending)
        open_choices: list[list[Formula]] = []
        while stack:
            disjunctions: list[AnyOf] = []
            while stack:
                item = stack.pop()
                if isinstance(item, Literal):
                    known = chosen.get(item.atom)
                    if known is None:
                        chosen[item.atom] = item.positive
                        added.append(item)
                    elif known != item.positive:
                        return
                elif isinstance(item, AllOf):
                    stack.extend(item.operands)
                else:
                    disjunctions.append(item)
            disjunctions.extend(AnyOf(tuple(ops)) for ops in open_choices)
            choices = _open_choices(disjunctions, chosen)
            if choices is None:
                return
            # A disjunction left with one operand is not a choice: take that operand now (unit propagation).
            open_choices = [ops for ops in choices if len(ops) > 1]
            stack = [ops[0] for ops in choices if len(ops) == 1]
        # The parent's document satisfies the parent's literals; when the new ones hold in it too, it stays.
        if document is None or not holds_all(added, document):
            document = self._document(chosen)
            if document is None:
                return
        if not open_choices:
            yield Model(document, tuple(Literal(atom, positive) for atom, positive in chosen.items()))
            return
        open_choices.sort(key=len)
        branch, rest = open_choices[0], [AnyOf(tuple(ops)) for ops in open_choices[1:]]
        refuted: list[Formula] = []
        for operand in branch:
            yield from self._expand(chosen, [*rest, *refuted, operand], document)
            if isinstance(operand, Literal):
                refuted.append(operand.negated())

    def _document(self, chosen: Mapping[Atom, bool]) -> dict[str, Any] | None:
        solution = self.solver.solve_document(
            (Literal(atom, positive) for atom, positive in chosen.items()), self.template
        )
        if not solution.found:
            if not solution.exact:
                self.complete = False
            return None
        value: dict[str, Any] = solution.value
        return value


def _truth(formula: Formula, chosen: Mapping[Atom, bool]) -> bool | None:
    """The formula's value under the literals chosen so far: True, False, or None while undecided."""
    if isinstance(formula, Literal):
        known = chosen.get(formula.atom)
        return None if known is None else known == formula.positive
    conjunctive = isinstance(formula, AllOf)
    undecided = False
    for operand in formula.operands:
        value = _truth(operand, chosen)
        if value is None:
            undecided = True
        elif value != conjunctive:
            return value  # a false conjunct, a true disjunct
    return None if undecided else conjunctive


def _forced(formula: Formula) -> list[Literal]:
    """The literals an operand makes true if chosen (itself, or the literal conjuncts of a conjunction)."""
    if isinstance(formula, Literal):
        return [formula]
    if isinstance(formula, AllOf):
        return [operand for operand in formula.operands if isinstance(operand, Literal)]
    return []


def _open_choices(disjunctions: list[AnyOf], chosen: Mapping[Atom, bool]) -> list[list[Formula]] | None:
    """The undecided operands of each undecided disjunction; None when one can no longer hold.

    An operand is dropped when it is false under the chosen literals, or when choosing it would make
    another disjunction false (one step of look-ahead: it cuts the branches a chosen literal dooms).
    """
    choices: list[list[Formula]] = []
    for disjunction in disjunctions:
        operands: list[Formula] = []
        for operand in disjunction.operands:
            value = _truth(operand, chosen)
            if value is True:
                break
            if value is None:
                operands.append(operand)
        else:
            if not operands:
                return None
            choices.append(operands)
    if len(choices) < 2:
        return choices
    pruned: list[list[Formula]] = []
    for index, operands in enumerate(choices):
        kept = []
        for operand in operands:
            forced = _forced(operand)
            if forced and any(chosen.get(lit.atom, lit.positive) != lit.positive for lit in forced):
                continue
            hypothetical = {**chosen, **{lit.atom: lit.positive for lit in forced}} if forced else chosen
            dooms = forced and any(
                all(_truth(other, hypothetical) is False for other in others)
                for position, others in enumerate(choices)
                if position != index
            )
            if not dooms:
                kept.append(operand)
        if not kept:
            return None
        pruned.append(kept)
    return pruned
