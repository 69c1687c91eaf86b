"""Generated events for deciding containment by sampling, where the symbolic decision cannot.

Term, space-delimited and standalone regex patterns read the message text, not its JSON paths, and
regular expressions have no finite value domain: there the comparison tries a corpus of events built
here — models of each pattern and of its negation (from the template and from nothing), each path the
patterns mention set to every kind of JSON value and to the patterns' own literals, and the terms of a
term pattern written into a field no pattern reads — plus any events the caller supplies.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import orjson

from trailguard.pattern.ast import (
    Index,
    Key,
    NumberValue,
    Pattern,
    Regex,
    RegexPattern,
    StringValue,
    TermKind,
    TermPattern,
)
from trailguard.pattern.formulas import Formula, PathAtom, PathStep, conjunction, literals_of
from trailguard.pattern.json_eval import MISSING
from trailguard.pattern.models import DocumentSolver
from trailguard.pattern.satisfy import ModelSearch
from trailguard.pattern.value_domains import regex_samples, wildcard_shape
from trailguard.pattern.values import literal_decimal

__all__ = ["compact_json", "generate_events", "literal_values", "referenced_paths", "set_path"]

_MODELS_PER_FORMULA: Final = 12
_SEARCH_BUDGET: Final = 500
_KIND_VALUES: Final[tuple[Any, ...]] = (
    MISSING,
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    "",
    "x",
    [],
    [None],
    ["x"],
    {},
    {"k": "x"},
)
_PLANTED_FIELD: Final = "note"


def compact_json(document: Mapping[str, Any]) -> str:
    """The document as one compact JSON text, as CloudTrail delivers a record to CloudWatch Logs."""
    try:
        return orjson.dumps(document).decode()
    except TypeError:  # integers beyond 64 bits
        import json

        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def referenced_paths(formulas: Iterable[Formula]) -> list[tuple[PathStep, ...]]:
    """Every wildcard-free path the formulas test (wildcard tests contribute the path before the wildcard)."""
    paths: dict[tuple[PathStep, ...], None] = {}
    for formula in formulas:
        for literal in literals_of(formula):
            atom = literal.atom
            steps = atom.steps if isinstance(atom, PathAtom) else atom.base
            if steps:
                paths[steps] = None
    return list(paths)


def set_path(document: Mapping[str, Any], steps: Sequence[PathStep], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at ``steps`` (MISSING removes it); containers are made on the way."""
    root: dict[str, Any] = copy.deepcopy(dict(document))
    node: Any = root
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, Key):
            if type(node) is not dict:
                return root
            if last:
                if value is MISSING:
                    node.pop(step.name, None)
                else:
                    node[step.name] = copy.deepcopy(value)
                return root
            child = node.get(step.name)
            if type(child) not in (dict, list) or not _fits(child, steps[position + 1]):
                child = [] if isinstance(steps[position + 1], Index) else {}
                node[step.name] = child
            node = child
        else:
            if type(node) is not list:
                return root
            if value is MISSING and last:
                del node[step.index :]
                return root
            while len(node) <= step.index:
                node.append(None)
            if last:
                node[step.index] = copy.deepcopy(value)
                return root
            if type(node[step.index]) not in (dict, list) or not _fits(node[step.index], steps[position + 1]):
                node[step.index] = [] if isinstance(steps[position + 1], Index) else {}
            node = node[step.index]
    return root


def _fits(container: Any, step: PathStep) -> bool:
    return (type(container) is dict) == isinstance(step, Key)


def generate_events(
    solver: DocumentSolver,
    formulas: Sequence[Formula],
    universe: Formula,
    trees: Sequence[Pattern],
    template: Mapping[str, Any] | None,
    extra_values: Iterable[Any],
) -> Iterator[dict[str, Any]]:
    """Events to try: models of ``formulas`` (each a pattern or its negation) within ``universe``, and mutations."""
    models: list[dict[str, Any]] = []
    # The template, and the template cut down to the fields some pattern reads (fields keep their order,
    # as a real producer writes them): an event with nothing incidental, e.g. no term a pattern relies on.
    read = {steps[0].name for steps in referenced_paths([*formulas, universe]) if isinstance(steps[0], Key)}
    stripped = None if template is None else {k: v for k, v in template.items() if k in read}
    for formula in formulas:
        for start in (template, stripped):
            search = ModelSearch(solver, start, budget=_SEARCH_BUDGET)
            for count, model in enumerate(search.models(conjunction([formula, universe]))):
                models.append(model.document)
                yield model.document
                if count + 1 >= _MODELS_PER_FORMULA:
                    break
    yield from _planted(models, trees, [*formulas, universe])
    bases = [dict(template) if template is not None else {}, *models[:: max(1, _MODELS_PER_FORMULA)]]
    values = list(_KIND_VALUES) + list(extra_values)
    for base in bases:
        for path in referenced_paths(formulas):
            for value in values:
                yield set_path(base, path, value)


def literal_values(formulas: Iterable[Formula]) -> list[Any]:
    """Values built from the formulas' literals: each string's core, each number as text and as a JSON number."""
    out: list[Any] = []
    for formula in formulas:
        for literal in literals_of(formula):
            value = getattr(literal.atom.test, "value", None)
            if isinstance(value, StringValue):
                out.append(wildcard_shape(value.text)[1])
            elif isinstance(value, NumberValue):
                out.append(value.text)
                number = literal_decimal(value.text)
                if number is not None and number.is_finite():
                    integral = number == number.to_integral_value() and abs(number) < 2**63
                    as_number = int(number) if integral else float(number)
                    if integral or math.isfinite(as_number):
                        out.append(as_number)
            elif isinstance(value, Regex):
                out.extend(regex_samples(value.source))
    return list(dict.fromkeys(out))


def _planted(
    models: Sequence[dict[str, Any]], trees: Sequence[Pattern], formulas: Sequence[Formula]
) -> Iterator[dict[str, Any]]:
    """Models with a term pattern's terms (or a regex's samples) written into a field no pattern reads."""
    texts: list[str] = []
    for tree in trees:
        if isinstance(tree, TermPattern):
            wanted = [t.text for t in tree.terms if t.kind is not TermKind.EXCLUDED]
            unwanted = [t.text for t in tree.terms if t.kind is TermKind.EXCLUDED]
            texts.extend([" ".join(wanted), *wanted, *unwanted, " ".join(wanted + unwanted)])
        elif isinstance(tree, RegexPattern):
            texts.extend(regex_samples(tree.regex.source))
    if not texts:
        return
    read = {steps[0].name for steps in referenced_paths(formulas) if isinstance(steps[0], Key)}
    for model in models:
        # The longest free text field (a user agent, a description) is where extra words look least odd.
        free = [(len(v), k) for k, v in model.items() if type(v) is str and k not in read]
        field = max(free)[1] if free else (_PLANTED_FIELD if _PLANTED_FIELD not in read else None)
        if field is None:
            continue
        for text in texts:
            if text:
                planted = dict(model)
                original = model.get(field)
                planted[field] = text if type(original) is not str else f"{original} {text}"
                yield planted
                replaced = dict(model)
                replaced[field] = text
                yield replaced
