"""Property tests: the parser fails only with PatternError, matchers never raise, printing round-trips."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import messages, pattern_soup, structured_patterns
from trailguard.pattern import PatternError, compile_pattern, parse


@given(pattern_soup)
@settings(max_examples=800)
def test_parser_raises_nothing_but_pattern_error(text: str) -> None:
    try:
        compile_pattern(text)
    except PatternError as error:
        assert isinstance(error, ValueError)
        assert error.position is None or 0 <= error.position <= len(text)


@given(structured_patterns)
@settings(max_examples=800)
def test_structured_patterns_raise_nothing_but_pattern_error(text: str) -> None:
    with contextlib.suppress(PatternError):
        compile_pattern(text)


def _compiles(text: str) -> Any:
    try:
        return compile_pattern(text)
    except PatternError:
        return None


@given(structured_patterns, st.lists(messages, min_size=1, max_size=5))
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_compiled_patterns_never_raise_on_any_message(text: str, sample: list[str]) -> None:
    pattern = _compiles(text)
    if pattern is None:
        return
    for message in sample:
        result = pattern.match(message)
        explanation = pattern.explain(message)
        assert explanation.startswith("MATCH" if result is not None else "NO MATCH")


@given(structured_patterns)
@settings(max_examples=800)
def test_printed_form_parses_to_the_same_tree(text: str) -> None:
    try:
        tree = parse(text)
    except PatternError:
        return
    printed = tree.render()
    assert parse(printed) == tree, printed


@given(structured_patterns, st.lists(messages, min_size=1, max_size=4))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_printed_form_matches_the_same_events(text: str, sample: list[str]) -> None:
    pattern = _compiles(text)
    if pattern is None:
        return
    reprinted = compile_pattern(pattern.tree.render())
    for message in sample:
        first, second = pattern.match(message), reprinted.match(message)
        assert (first is None) == (second is None)
        if first is not None and second is not None:
            assert first.extracted_values == second.extracted_values
