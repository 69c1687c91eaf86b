"""Term patterns, standalone regexes and the match-all pattern."""

from __future__ import annotations

import pytest

from trailguard.pattern import PatternError, compile_pattern


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).match(message) is not None


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        # substring, case-sensitive, no word boundary
        ("ERROR", "xERRORx", True),
        ("ERROR", "error", False),
        ("café", "un café", True),
        ("Token=", "a Token=b", True),
        ("a.b_c", "xa.b_cx", True),
        # several bare terms are ANDed, in any order
        ("beta alpha", "alpha then beta", True),
        ("beta alpha", "alpha only", False),
        # quoted phrases keep their spaces
        ('"two words"', "say two words", True),
        ('"two words"', "two  words", False),
        ('" "', "two words", True),
        ('" "', "x", False),
        ('"a\\"b"', 'a"b', True),
        ('"a\\\\b"', "a\\b", True),
        ('"ERR*"', "ERR*", True),
        ('"ERR*"', "ERROR", False),
        # optional terms: OR when alone, ignored when mixed
        ("?ERROR ?WARN", "WARN here", True),
        ("?ERROR ?WARN", "INFO here", False),
        ("?ERROR ?WARN REQUEST", "REQUEST only", True),
        ("?ERROR ?WARN REQUEST", "ERROR only", False),
        ('?"clean up" ?xyz', "xyz will do clean up", True),
        # exclusions
        ("-ERROR", "all fine", True),
        ("-ERROR", "an ERROR", False),
        ('-"two words"', "two  words", True),
        ('-"two words"', "two words", False),
        ("?ERROR -timeout", "nothing", True),
        ("?ERROR -timeout", "ERROR timeout", False),
        ("ERROR -WARN -FATAL", "ERROR FATAL", False),
        # '-' and '?' inside a bare word start a new term
        ("a-b", "a", True),
        ("a-b", "a-b", False),
        ("a?b", "a", True),
        ("a?b", "b", False),
        # empty and blank patterns match everything, including the empty message
        ("", "", True),
        ("   ", "anything", True),
        ("\t", "anything", True),
        # surrounding blanks are not part of the pattern
        ("  ERROR  ", "ERROR", True),
    ],
)
def test_term_semantics(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


def test_terms_extract_no_values() -> None:
    match = compile_pattern("ERROR").match("ERROR here")
    assert match is not None
    assert match.extracted_values == {}


@pytest.mark.parametrize(
    ("pattern", "aws_message", "position"),
    [
        ("ERR*", "Invalid character(s) in term '*'", 3),
        ("a/b", "Invalid character(s) in term '/'", 1),
        ("user@host", "Invalid character(s) in term '@'", 4),
        ("key:value", "Invalid character(s) in term ':'", 3),
        ("wow!", "Invalid character(s) in term '!'", 3),
        ("ERROR %WARN%", "Invalid character(s) in term '%'", 6),
        ("?%WARN%", "Invalid character(s) in term '%'", 1),
        ('""', "Invalid character(s) in term '\"\"'", 0),
        ('ok "ERROR', "Invalid character(s) in term '\"ERROR'", 3),
        ('"ERROR"WARN', "Invalid metric filter pattern", 7),
        ('WARN"ERROR"', "Invalid metric filter pattern", 4),
        ("a-", "Invalid character(s) in term '-'", 1),
        ("ERROR ?", "Invalid character(s) in term '?'", 6),
        ("--x", "Invalid character(s) in term '-'", 0),
    ],
)
def test_invalid_terms(pattern: str, aws_message: str, position: int) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.aws_message == aws_message
    assert caught.value.position == position


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("%colou?r%", "color", True),
        ("%^[hc]at%", "the cat", False),
        ("%[hc]at$%", "the hat", True),
        ("%a{3,5}%", "xaax", False),
        ("%a{,2}b%", "b", True),
        ("%a{2,}%", "aa", True),
        ("%[^0-9]%", "123", False),
        ("%\\w+@\\w+%", "mail me@host now", True),
        ("%\\x28%", "f(x)", True),
        ("%a.b%", "a\nb", False),
        ("%a\\sb%", "a\nb", True),
        ("%\\d%", "٣", False),  # \d is ASCII only
        ("%[Ee]rror|[Ff]ail%", "request failed", True),
        ("%ERROR%", "error", False),
        ("%a+?%", "aaa", True),
        ("%\\.%", "a.b", True),
        ("%\\.%", "ab", False),
        ("%x\\tb%", "x\tb", True),
    ],
)
def test_regex_semantics(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


@pytest.mark.parametrize(
    ("pattern", "aws_message"),
    [
        ("%(alpha|beta)%", "Invalid character(s) in term '%('"),
        ("%something!%", "Invalid character(s) in term '%something!'"),
        ("%caf\u00e9%", "Invalid character(s) in term '%caf\u00e9'"),
        ("%%", "Invalid character(s) in term '%%'"),
        ("%abc", "If a filter pattern starts with '%' it must end with '%'"),
        ("%", "If a filter pattern starts with '%' it must end with '%'"),
        ("%A% %B%", "Invalid character(s) in term ' '"),
        ("%a++%", "Failed to compile regular expression."),
        ("%a*+%", "Failed to compile regular expression."),
        ("%\\p%", "Failed to compile regular expression."),
        ("%[z-a]%", "Failed to compile regular expression."),
        ("%*a%", "Failed to compile regular expression."),
        ("%a{5,2}%", "Failed to compile regular expression."),
        ("%[abc%", "Failed to compile regular expression."),
        ("%\\x4%", "Failed to compile regular expression."),
        ("%[a&&b]%", "Invalid character(s) in term '%[a&'"),
    ],
)
def test_invalid_regexes(pattern: str, aws_message: str) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.aws_message == aws_message


def test_at_most_two_regexes_per_pattern() -> None:
    compile_pattern("{ $.a = %x% || $.b = %y% }")
    compile_pattern("[a = %x%, b = %y%]")
    for pattern in ("{ $.a = %x% || $.b = %y% || $.c = %z% }", "[a = %x%, b = %y%, c = %z%]"):
        with pytest.raises(PatternError) as caught:
            compile_pattern(pattern)
        assert caught.value.aws_message == (
            "Your input has exceeded the maximum of 2 regular expressions per filter pattern."
        )


def test_regex_count_is_reported() -> None:
    assert compile_pattern("%x%").regex_count == 1
    assert compile_pattern("{ $.a = %x% || $.b = %y% }").regex_count == 2
    assert compile_pattern("[a = %x% || a = %y%, b]").regex_count == 2
    assert compile_pattern("ERROR").regex_count == 0


def test_length_limit_is_1024_characters() -> None:
    compile_pattern("x" * 1024)
    with pytest.raises(PatternError) as caught:
        compile_pattern("x" * 1025)
    assert caught.value.position == 1024
    assert "1024" in caught.value.aws_message
