"""Many patterns over one event: shared parsing, and a selector index so most patterns are never run.

A monitoring job evaluates every pattern on every event, and most events match none of them. For
each JSON pattern a *necessary condition* is derived when one exists — "this pattern can only match
when ``$.eventName`` is one of {…}" — and patterns are indexed by it. Per event, each indexed
selector is resolved once and only the candidate patterns run in full. The index is a pure
optimisation: a pattern without such a condition is always run, and results are identical to
testing each pattern alone (the test suite checks this).
"""

from __future__ import annotations

from collections.abc import Sequence

from trailguard.pattern.ast import JsonExpr, JsonPattern, Selector
from trailguard.pattern.compiled import CompiledPattern
from trailguard.pattern.event import NOT_JSON, LogEvent
from trailguard.pattern.json_eval import Path, compile_path, necessary_texts
from trailguard.pattern.values import scalar_text

__all__ = ["PatternSet"]

Condition = tuple[Selector, frozenset[str]]


class PatternSet:
    """An immutable set of compiled patterns tested together: ``matches(event)`` gives the indexes hit."""

    __slots__ = ("_always", "_indexes", "_json_only", "patterns")

    def __init__(self, patterns: Sequence[CompiledPattern]) -> None:
        self.patterns = tuple(patterns)
        by_selector: dict[Selector, dict[str, list[int]]] = {}
        always: list[int] = []
        for position, pattern in enumerate(self.patterns):
            condition = _index_condition(pattern.tree.expression) if isinstance(pattern.tree, JsonPattern) else None
            if condition is None:
                always.append(position)
                continue
            selector, texts = condition
            table = by_selector.setdefault(selector, {})
            for text in texts:
                table.setdefault(text, []).append(position)
        self._indexes: tuple[tuple[Path, dict[str, tuple[int, ...]]], ...] = tuple(
            (compile_path(selector.steps), {text: tuple(hits) for text, hits in table.items()})
            for selector, table in by_selector.items()
        )
        self._always = tuple(always)
        self._json_only = tuple(p.family == "json" for p in self.patterns)

    def matches(self, event: LogEvent) -> list[int]:
        """Indexes (ascending) of the patterns that match ``event``."""
        patterns = self.patterns
        document = event.json
        hits: list[int] = []
        if document is not NOT_JSON:
            for path, table in self._indexes:
                key = scalar_text(path(document))
                candidates = table.get(key) if key is not None else None
                if candidates:
                    for position in candidates:
                        if patterns[position].test_event(event):
                            hits.append(position)
        for position in self._always:
            if (document is not NOT_JSON or not self._json_only[position]) and patterns[position].test_event(event):
                hits.append(position)
        if len(hits) > 1:
            hits.sort()
        return hits


def _index_condition(node: JsonExpr) -> Condition | None:
    """The most selective necessary condition of a pattern: the selector with the fewest texts."""
    conditions = necessary_texts(node)
    if not conditions:
        return None
    return min(conditions.items(), key=lambda item: len(item[1]))
