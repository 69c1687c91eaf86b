"""A compiled filter pattern: parse and compile once, then match many events."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trailguard.pattern.ast import (
    DelimitedPattern,
    JsonPattern,
    MatchAll,
    Pattern,
    RegexPattern,
    TermPattern,
    count_regexes,
)
from trailguard.pattern.delimited_eval import DelimitedMatcher
from trailguard.pattern.event import NOT_JSON, LogEvent
from trailguard.pattern.json_eval import Leaf, compile_expression
from trailguard.pattern.parser import parse
from trailguard.pattern.regex import CloudWatchRegex, compile_regex
from trailguard.pattern.term_eval import TermMatcher

__all__ = ["CompiledPattern", "Match", "compile_pattern"]


@dataclass(frozen=True, slots=True)
class Match:
    """A successful match; ``extracted_values`` as TestMetricFilter reports them."""

    extracted_values: dict[str, str] = field(default_factory=dict)


MessageTest = Callable[[str], bool]


class CompiledPattern:
    """An immutable, thread-safe, picklable compiled filter pattern.

    ``match(message)`` tests one log event message; ``match_event(event)`` tests a ``LogEvent``
    whose parsed JSON is shared by every pattern that looks at it; ``test_event`` is the same
    without building a ``Match``.
    """

    __slots__ = ("_delimited", "_json_test", "_message_test", "_regex", "_terms", "family", "text", "tree")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree: Pattern = parse(text)
        self._message_test: MessageTest | None = None
        self._json_test: Callable[[dict[str, Any]], bool] | None = None
        self._delimited: DelimitedMatcher | None = None
        self._terms: TermMatcher | None = None
        self._regex: CloudWatchRegex | None = None
        tree = self.tree
        if isinstance(tree, JsonPattern):
            self.family = "json"
            self._json_test = compile_expression(tree.expression, text)
        elif isinstance(tree, DelimitedPattern):
            self.family = "delimited"
            self._delimited = DelimitedMatcher(tree, text)
        elif isinstance(tree, RegexPattern):
            self.family = "regex"
            self._regex = compile_regex(tree.regex.source, text, text.find("%"))
            search = self._regex.search
            self._message_test = lambda message: search(message) is not None
        elif isinstance(tree, TermPattern):
            self.family = "terms"
            self._terms = TermMatcher(tree)
            self._message_test = self._terms.test
        else:
            assert isinstance(tree, MatchAll)
            self.family = "all"
            self._message_test = _always

    # -- matching ------------------------------------------------------------------------------

    def test_event(self, event: LogEvent) -> bool:
        """Whether the pattern matches the event (the engine's hot path: no Match is built)."""
        json_test = self._json_test
        if json_test is not None:
            document = event.json
            return document is not NOT_JSON and json_test(document)  # type: ignore[arg-type]
        if self._message_test is not None:
            return self._message_test(event.message)
        assert self._delimited is not None
        return self._delimited.match(event.message) is not None

    def match_event(self, event: LogEvent) -> Match | None:
        if self._delimited is not None:
            extracted = self._delimited.match(event.message)
            return None if extracted is None else Match(extracted)
        return Match({}) if self.test_event(event) else None

    def match(self, message: str) -> Match | None:
        return self.match_event(LogEvent(message))

    def explain(self, message: str) -> str:
        from trailguard.pattern.explain import explain

        return explain(self, LogEvent(message))

    # -- identity --------------------------------------------------------------------------

    @property
    def regex_count(self) -> int:
        """How many ``%regex%`` the pattern holds (a log group accepts 5 regex-bearing filters)."""
        return count_regexes(self.tree)

    def leaf_tests(self) -> dict[int, Leaf]:
        """Each JSON leaf's compiled test by ``id(node)``, for explanations (built on demand)."""
        leaves: dict[int, Leaf] = {}
        if isinstance(self.tree, JsonPattern):
            compile_expression(self.tree.expression, self.text, leaves)
        return leaves

    @property
    def delimited(self) -> DelimitedMatcher | None:
        return self._delimited

    @property
    def terms(self) -> TermMatcher | None:
        return self._terms

    @property
    def regex(self) -> CloudWatchRegex | None:
        """The compiled regular expression of a standalone ``%regex%`` pattern."""
        return self._regex

    def __reduce__(self) -> tuple[Callable[[str], CompiledPattern], tuple[str]]:
        # Closures do not pickle; the text recompiles to the same matcher.
        return (compile_pattern, (self.text,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompiledPattern) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"compile_pattern({self.text!r})"


@functools.lru_cache(maxsize=4096)
def compile_pattern(text: str) -> CompiledPattern:
    """Parse, validate and compile a CloudWatch Logs filter pattern; raise PatternError if invalid.

    Compiled patterns are immutable, so the same text gives the same object: validation, the engine and the
    audit all compile the patterns they meet, and an account repeats the same few patterns many times.
    """
    return CompiledPattern(text)


def _always(_: str) -> bool:
    return True
