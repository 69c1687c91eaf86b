"""The Python API other parts of trailguard rely on: errors, immutability, pickling, threads, explain."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from trailguard.pattern import CompiledPattern, LogEvent, PatternError, compile_pattern

CIS_4_6 = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
FAILED_LOGIN = '{"eventName":"ConsoleLogin","errorMessage":"Failed authentication","sourceIPAddress":"203.0.113.9"}'
GOOD_LOGIN = '{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}}'


def test_pattern_error_is_a_value_error_with_a_caret_under_the_culprit() -> None:
    with pytest.raises(ValueError) as caught:
        compile_pattern("{ $.a IS NOT NULL }")
    error = caught.value
    assert isinstance(error, PatternError)
    assert error.position == 9
    lines = str(error).splitlines()
    assert lines[0] == "Invalid character(s) in term 'NOT' (at position 9)"
    assert lines[1] == "  { $.a IS NOT NULL }"
    assert lines[2] == "  " + " " * 9 + "^"


def test_caret_stays_aligned_in_long_patterns() -> None:
    text = "{ " + " || ".join(f"$.n{i} = {i}" for i in range(40)) + " && $.z ! 1 }"
    with pytest.raises(PatternError) as caught:
        compile_pattern(text)
    shown, caret = str(caught.value).splitlines()[1:3]
    assert shown[caret.index("^")] == "!"


def test_pattern_errors_pickle() -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern("a/b")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.aws_message, copy.position, str(copy)) == (caught.value.aws_message, 1, str(caught.value))


def test_compiled_patterns_pickle_and_match_the_same() -> None:
    for text in (CIS_4_6, "[a, b = 4*]", "%x+%", "?a ?b", ""):
        original = compile_pattern(text)
        copy = pickle.loads(pickle.dumps(original))
        assert isinstance(copy, CompiledPattern)
        assert copy == original and copy.text == text
        for message in (FAILED_LOGIN, GOOD_LOGIN, "a 42", "xx b"):
            assert (copy.match(message) is None) == (original.match(message) is None)


def test_compiled_patterns_are_immutable() -> None:
    pattern = compile_pattern(CIS_4_6)
    with pytest.raises(AttributeError):
        pattern.new_attribute = 1  # type: ignore[attr-defined]


def test_one_compiled_pattern_is_safe_across_threads() -> None:
    pattern = compile_pattern("[a, b = 1*, ...]")
    messages = [f"x {i} y z" for i in range(2000)]
    expected = [pattern.match(m) is not None for m in messages]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda m: pattern.match(m) is not None, messages))
    assert results == expected


def test_match_event_and_match_agree() -> None:
    pattern = compile_pattern(CIS_4_6)
    assert pattern.match(FAILED_LOGIN) is not None
    assert pattern.match_event(LogEvent(FAILED_LOGIN)) is not None
    assert pattern.test_event(LogEvent(GOOD_LOGIN)) is False


def test_explain_says_which_clause_failed_and_why() -> None:
    explanation = compile_pattern(CIS_4_6).explain(GOOD_LOGIN)
    assert explanation.splitlines()[0].startswith("NO MATCH")
    assert "✓ $.eventName = ConsoleLogin" in explanation
    assert '✗ $.errorMessage = "Failed authentication"' in explanation
    assert "$.errorMessage does not exist" in explanation


def test_explain_covers_every_family() -> None:
    assert "not one JSON object" in compile_pattern(CIS_4_6).explain("plain text")
    assert "needs at least 3 fields" in compile_pattern("[a, b, c]").explain("x y")
    assert "ignored" in compile_pattern("?a b").explain("b")
    assert "excluded" in compile_pattern("-a").explain("a")
    assert "found" in compile_pattern("%a%").explain("a")
    assert "$b" in compile_pattern("[a, b = 1]").explain("x 1")
    assert "every event" in compile_pattern("").explain("x")
