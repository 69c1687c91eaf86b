"""Readable traces of why a pattern did or did not match one message."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from trailguard.pattern.ast import (
    And,
    DelimitedPattern,
    JsonExpr,
    JsonPattern,
    MatchAll,
    Or,
    RegexPattern,
)
from trailguard.pattern.delimited_eval import split_fields
from trailguard.pattern.event import NOT_JSON, LogEvent
from trailguard.pattern.json_eval import Leaf, resolve_values

if TYPE_CHECKING:
    from trailguard.pattern.compiled import CompiledPattern

__all__ = ["explain"]

YES = "✓"
NO = "✗"
SKIP = "·"


def explain(compiled: CompiledPattern, event: LogEvent) -> str:
    matched = compiled.match_event(event) is not None
    lines = [f"{'MATCH' if matched else 'NO MATCH'}  ({compiled.family} pattern)"]
    tree = compiled.tree
    if isinstance(tree, MatchAll):
        lines.append(f"  {YES} an empty pattern matches every event")
    elif isinstance(tree, RegexPattern):
        lines.append(_explain_regex(compiled, event.message))
    elif compiled.terms is not None:
        lines.extend(_explain_terms(compiled, event.message))
    elif isinstance(tree, JsonPattern):
        document = event.json
        if document is NOT_JSON:
            lines.append(f"  {NO} the message is not one JSON object, so no JSON pattern can match it")
        else:
            assert isinstance(document, dict)
            lines.extend(_explain_json(tree.expression, document, compiled.leaf_tests(), 1))
    else:
        assert isinstance(tree, DelimitedPattern)
        lines.extend(_explain_delimited(compiled, tree, event.message))
    return "\n".join(lines)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _explain_regex(compiled: CompiledPattern, message: str) -> str:
    found = compiled.match(message) is not None
    return f"  {YES if found else NO} {compiled.tree.render()} {'found' if found else 'not found'} in the message"


def _explain_terms(compiled: CompiledPattern, message: str) -> list[str]:
    assert compiled.terms is not None
    lines = []
    for verdict in compiled.terms.verdicts(message):
        shown = _show(verdict.text)
        found = "found" if verdict.present else "not found"
        if verdict.role == "required":
            lines.append(f"  {YES if verdict.satisfied else NO} required {shown}: {found}")
        elif verdict.role == "excluded":
            lines.append(
                f"  {YES if verdict.satisfied else NO} excluded {shown}: {'found' if verdict.present else 'absent'}"
            )
        elif verdict.role == "optional":
            lines.append(f"  {YES if verdict.satisfied else NO} optional {shown}: {found}")
        else:
            lines.append(f"  {SKIP} optional {shown}: ignored, the pattern also has required or excluded terms")
    return lines


def _explain_json(node: JsonExpr, document: dict[str, Any], leaves: dict[int, Leaf], depth: int) -> list[str]:
    indent = "  " * depth
    if isinstance(node, And | Or):
        children = [_explain_json(op, document, leaves, depth + 1) for op in node.operands]
        outcomes = [leaves_hold(op, document, leaves) for op in node.operands]
        holds = all(outcomes) if isinstance(node, And) else any(outcomes)
        label = "all of (&&)" if isinstance(node, And) else "any of (||)"
        lines = [f"{indent}{YES if holds else NO} {label}"]
        for child in children:
            lines.extend(child)
        return lines
    holds = leaves[id(node)].test(document)
    exists, values = resolve_values(node.selector, document)
    selector = node.selector.render()
    if not exists:
        seen = f"{selector} does not exist"
    elif node.selector.wildcard_count:
        seen = f"{selector} reaches {_show(values)}"
    else:
        seen = f"{selector} is {_show(values[0])}"
    return [f"{indent}{YES if holds else NO} {node.render()}    [{seen}]"]


def leaves_hold(node: JsonExpr, document: dict[str, Any], leaves: dict[int, Leaf]) -> bool:
    if isinstance(node, And):
        return all(leaves_hold(op, document, leaves) for op in node.operands)
    if isinstance(node, Or):
        return any(leaves_hold(op, document, leaves) for op in node.operands)
    return leaves[id(node)].test(document)


def _explain_delimited(compiled: CompiledPattern, tree: DelimitedPattern, message: str) -> list[str]:
    matcher = compiled.delimited
    assert matcher is not None
    bindings = matcher.bind(message)
    needed = sum(1 for entry in tree.entries if not entry.ellipsis)
    if bindings is None:
        return [f"  {NO} the pattern needs at least {needed} fields; the message has {len(split_fields(message))}"]
    lines = []
    named = [entry for entry in tree.entries if not entry.ellipsis]
    by_name = {name: value for name, _, value in bindings if name is not None}
    for name, number, value in bindings:
        lines.append(f"  ${name if name is not None else number} = {_show(value)}")
    for entry, test in zip(named, matcher.entry_tests(), strict=True):
        if test is None or entry.name is None:
            continue
        value = by_name[entry.name]
        lines.append(f"  {YES if test(value) else NO} {entry.render()}    [${entry.name} is {_show(value)}]")
    return lines
