"""Property tests: the parser fails only with PatternError, matchers never raise, printing round-trips."""

from __future__ import annotations

import contextlib
import json
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailguard.pattern import PatternError, compile_pattern, parse

PATTERN_ALPHABET = string.ascii_letters[:8] + "019eE{}[]()$.*=!<>&|\"'%?-, \t\\_:/@#^+" + "ISNOTEXISTRUFL" + "é"

pattern_soup = st.text(alphabet=PATTERN_ALPHABET, max_size=40)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abcxy"), children, max_size=3),
    max_leaves=8,
)
json_messages = st.dictionaries(st.sampled_from(["a", "b", "c", "a.b", "eventName"]), json_values, max_size=4).map(
    lambda obj: json.dumps(obj)
)
messages = st.one_of(st.text(max_size=60), json_messages, st.text(alphabet=' \t"[]ab1.-', max_size=30))

# Grammar-shaped pattern texts, so the round-trip and never-raise properties reach every family.
names = st.sampled_from(["a", "b", "eventName", "x-y", "_z"])
steps = st.one_of(
    names.map(lambda n: "." + n),
    st.integers(0, 3).map(lambda i: f"[{i}]"),
    st.sampled_from([".['a.b']", "[*]", ".*"]),
)
selectors = st.lists(steps, min_size=1, max_size=3).map(
    lambda s: "$" + ("" if s[0].startswith(".") else ".") + "".join(s)
)
values = st.one_of(
    st.sampled_from(
        ["1", "-2.5", "+3", "1e3", ".5", "abc", "*x", "x*", "*", "true", '"q s"', '"*"', '""', "%a+%", "%^b$%"]
    ),
    st.text(alphabet='abc "\\*', max_size=5).map(lambda t: json.dumps(t)),
)
operators = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
comparisons = st.one_of(
    st.builds(lambda s, o, v: f"{s} {o} {v}", selectors, operators, values),
    st.builds(lambda s, c: f"{s} IS {c}", selectors, st.sampled_from(["TRUE", "FALSE", "NULL", "null"])),
    selectors.map(lambda s: f"{s} NOT EXISTS"),
)
json_exprs = st.recursive(
    comparisons,
    lambda inner: st.builds(lambda a, op, b: f"({a}) {op} {b}", inner, st.sampled_from(["&&", "||"]), inner),
    max_leaves=5,
)
json_patterns = json_exprs.map(lambda e: "{ " + e + " }")
entries = st.one_of(
    names,
    st.just(""),
    st.just("..."),
    st.builds(lambda n, o, v: f"{n} {o} {v}", names, operators, values),
    st.builds(lambda n, v, w: f"{n} = {v} || {n} != {w}", names, values, values),
)
delimited_patterns = st.lists(entries, max_size=5).map(lambda es: "[" + ", ".join(es) + "]")
term_patterns = st.lists(
    st.builds(
        lambda p, t: p + t,
        st.sampled_from(["", "?", "-"]),
        st.one_of(
            st.sampled_from(["ERROR", "a_b", "x.y", "café"]),
            st.text(alphabet='ab "', min_size=1, max_size=4).map(json.dumps),
        ),
    ),
    max_size=4,
).map(" ".join)
structured_patterns = st.one_of(json_patterns, delimited_patterns, term_patterns, pattern_soup)


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
