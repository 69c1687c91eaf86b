"""Readable traces of why a pattern did or did not match one message.

The verdict an explanation prints is computed from the clauses it shows (each JSON leaf through the compiled
pattern's own leaf tests, terms through :class:`~trailguard.pattern.term_eval.TermMatcher`, delimited entries
through the matcher's entry tests), never copied from ``match``: the property tests check that the two agree,
which is what makes an explanation trustworthy.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from trailguard.pattern.ast import And, DelimitedPattern, JsonExpr, JsonPattern, MatchAll, Or
from trailguard.pattern.delimited_eval import split_fields
from trailguard.pattern.event import NOT_JSON, LogEvent
from trailguard.pattern.json_eval import Leaf, resolve_values

if TYPE_CHECKING:
    from trailguard.pattern.compiled import CompiledPattern

__all__ = ["explain", "explained_verdict"]

YES = "✓"
NO = "✗"
SKIP = "·"

Explanation = tuple[bool, list[str]]


def explain(compiled: CompiledPattern, event: LogEvent) -> str:
    """The verdict and, line by line, which clause held and which failed."""
    verdict, lines = _explanation(compiled, event)
    return "\n".join([f"{'MATCH' if verdict else 'NO MATCH'}  ({compiled.family} pattern)", *lines])


def explained_verdict(compiled: CompiledPattern, event: LogEvent) -> bool:
    """The verdict an explanation reaches from its clauses (equal to ``match`` by construction and by test)."""
    return _explanation(compiled, event)[0]


def _explanation(compiled: CompiledPattern, event: LogEvent) -> Explanation:
    tree = compiled.tree
    if isinstance(tree, MatchAll):
        return True, [f"  {YES} an empty pattern matches every event"]
    if compiled.regex is not None:
        found = compiled.regex.search(event.message) is not None
        return found, [f"  {YES if found else NO} {tree.render()} {'found' if found else 'not found'} in the message"]
    if compiled.terms is not None:
        return _explain_terms(compiled, event.message)
    if isinstance(tree, JsonPattern):
        document = event.json
        if document is NOT_JSON:
            return False, [f"  {NO} the message is not one JSON object, so no JSON pattern can match it"]
        assert isinstance(document, dict)
        return _explain_json(tree.expression, document, compiled.leaf_tests(), 1)
    assert isinstance(tree, DelimitedPattern)
    return _explain_delimited(compiled, tree, event.message)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _explain_terms(compiled: CompiledPattern, message: str) -> Explanation:
    assert compiled.terms is not None
    verdicts = compiled.terms.verdicts(message)
    lines = []
    for verdict in verdicts:
        shown = _show(verdict.text)
        mark = YES if verdict.satisfied else NO
        if verdict.role == "required":
            lines.append(f"  {mark} required {shown}: {'found' if verdict.present else 'not found'}")
        elif verdict.role == "excluded":
            lines.append(f"  {mark} excluded {shown}: {'found' if verdict.present else 'absent'}")
        elif verdict.role == "optional":
            lines.append(f"  {mark} optional {shown}: {'found' if verdict.present else 'not found'}")
        else:
            lines.append(f"  {SKIP} optional {shown}: ignored, the pattern also has required or excluded terms")
    optional = [v.satisfied for v in verdicts if v.role == "optional"]
    if optional:
        return any(optional), lines
    return all(v.satisfied for v in verdicts if v.role != "ignored"), lines


def _explain_json(node: JsonExpr, document: dict[str, Any], leaves: dict[int, Leaf], depth: int) -> Explanation:
    indent = "  " * depth
    if isinstance(node, And | Or):
        children = [_explain_json(op, document, leaves, depth + 1) for op in node.operands]
        outcomes = [holds for holds, _ in children]
        holds = all(outcomes) if isinstance(node, And) else any(outcomes)
        label = "all of (&&)" if isinstance(node, And) else "any of (||)"
        lines = [f"{indent}{YES if holds else NO} {label}"]
        for _, child_lines in children:
            lines.extend(child_lines)
        return holds, lines
    holds = leaves[id(node)].test(document)
    exists, values = resolve_values(node.selector, document)
    selector = node.selector.render()
    if not exists:
        seen = f"{selector} does not exist"
    elif node.selector.wildcard_count:
        seen = f"{selector} reaches {_show(values)}"
    else:
        seen = f"{selector} is {_show(values[0])}"
    return holds, [f"{indent}{YES if holds else NO} {node.render()}    [{seen}]"]


def _explain_delimited(compiled: CompiledPattern, tree: DelimitedPattern, message: str) -> Explanation:
    matcher = compiled.delimited
    assert matcher is not None
    bindings = matcher.bind(message)
    needed = sum(1 for entry in tree.entries if not entry.ellipsis)
    if bindings is None:
        fields = len(split_fields(message))
        return False, [f"  {NO} the pattern needs at least {needed} fields; the message has {fields}"]
    lines = []
    named = [entry for entry in tree.entries if not entry.ellipsis]
    by_name = {name: value for name, _, value in bindings if name is not None}
    for name, number, value in bindings:
        lines.append(f"  ${name if name is not None else number} = {_show(value)}")
    verdict = True
    for entry, test in zip(named, matcher.entry_tests(), strict=True):
        if test is None or entry.name is None:
            continue
        value = by_name[entry.name]
        holds = test(value)
        verdict = verdict and holds
        lines.append(f"  {YES if holds else NO} {entry.render()}    [${entry.name} is {_show(value)}]")
    return verdict, lines
