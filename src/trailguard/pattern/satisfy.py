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

DEFAULT_BUDGET: Final = 20_000


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
        disjunctions: list[AnyOf] = []
        stack = list(pending)
        added: list[Literal] = []
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
        # The parent's document satisfies the parent's literals; when the new ones hold in it too, it stays.
        if document is None or not holds_all(added, document):
            document = self._document(chosen)
            if document is None:
                return
        open_choices: list[list[Formula]] = []
        for disjunction in disjunctions:
            operands: list[Formula] = []
            for operand in disjunction.operands:
                if isinstance(operand, Literal) and operand.atom in chosen:
                    if chosen[operand.atom] == operand.positive:
                        break  # already true
                    continue  # already false
                operands.append(operand)
            else:
                if not operands:
                    return
                open_choices.append(operands)
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
