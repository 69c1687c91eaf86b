"""Space-delimited patterns: field splitting, binding, conditions, extracted values, rejections."""

from __future__ import annotations

import pytest

from trailguard.pattern import PatternError, compile_pattern
from trailguard.pattern.delimited_eval import split_fields

APACHE = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


def extract(pattern: str, message: str) -> dict[str, str] | None:
    match = compile_pattern(pattern).match(message)
    return None if match is None else match.extracted_values


def test_fields_split_on_blanks_and_group_quotes_and_brackets() -> None:
    assert [value for value, _ in split_fields(APACHE)] == [
        "127.0.0.1",
        "Prod",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /index.html HTTP/1.0",
        "404",
        "1534",
    ]
    assert [value for value, _ in split_fields('a "b"c d')] == ["a", "b", "c", "d"]
    assert [value for value, _ in split_fields('x "y z')] == ["x", '"y', "z"]
    assert [value for value, _ in split_fields("a\t\tb  ")] == ["a", "b"]
    assert [value for value, _ in split_fields('x ""')] == ["x", ""]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("[a, b]", "one two", {"$a": "one", "$b": "two"}),
        ("[a, b]", "one", None),
        ("[a, b]", "one two three four", {"$a": "one", "$b": "two three four"}),
        ("[a]", "one two", {"$a": "one two"}),
        ("[a]", '"quoted value"', {"$a": "quoted value"}),
        ("[]", "", {}),
        ("[a]", "", None),
        ("[, b, ]", "x y z w", {"$1": "x", "$b": "y", "$3": "z w"}),
        ("[..., a, b]", "1 2 3 4", {"$1": "1", "$2": "2", "$a": "3", "$b": "4"}),
        ("[a, ..., b]", "1 2 3 4", {"$a": "1", "$2": "2", "$3": "3", "$b": "4"}),
        ("[a, b, ...]", "1 2 3 4", {"$a": "1", "$b": "2", "$3": "3", "$4": "4"}),
        ("[a, ..., b]", "1 2", {"$a": "1", "$b": "2"}),
        ("[a, ..., b]", "1", None),
        ("[...]", "1 2", {"$1": "1", "$2": "2"}),
    ],
)
def test_binding_and_extracted_values(pattern: str, message: str, expected: dict[str, str] | None) -> None:
    assert extract(pattern, message) == expected


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("[a = ERROR, b]", "ERROR x", True),
        ("[a = ERROR, b]", "ERRORS x", False),
        ("[a = ERR*, b]", "ERRORS x", True),
        ("[a = *RS, b]", "ERRORS x", True),
        ("[a = *RO*, b]", "ERRORS x", True),
        ('[a = "ERR*", b]', "ERRORS x", True),
        ("[a != ERROR, b]", "INFO x", True),
        ("[a != ERROR, b]", "ERROR x", False),
        ("[a = 404, b]", "404.0 x", True),
        ("[a = 404, b]", "0404 x", True),
        ("[a = 404, b]", "abc x", False),
        ("[a != 404, b]", "abc x", True),
        ("[a != 404, b]", "404 x", False),
        ('[a = "404", b]', "404.0 x", False),
        ("[a > 1000, b]", "1534 x", True),
        ("[a > 1000, b]", "-", False),
        ("[a >= 1e3, b]", "1000 x", True),
        ("[a < 0, b]", "-0.5 x", True),
        ("[a <= 5, b]", "five x", False),
        ("[a = %^[0-9]+$%, b]", "123 x", True),
        ("[a != %^[0-9]+$%, b]", "123 x", False),
        ("[a = 1 || a = 2, b]", "2 x", True),
        ("[a > 1 && a < 3, b]", "2 x", True),
        ("[a > 1 && a < 3, b]", "3 x", False),
        ("[a = 1 || a > 5 && a < 7, b]", "6 x", True),
        ("[w1=ERROR || w1=%WARN%, w2]", "XWARNX x", True),
        ("[a, b = *.html*]", "GET /x.html?y=1 more", True),  # the last field's condition sees the rest
    ],
)
def test_conditions(pattern: str, message: str, expected: bool) -> None:
    assert (extract(pattern, message) is not None) is expected


@pytest.mark.parametrize(
    ("pattern", "aws_message", "position"),
    [
        ("[a, a]", "Duplicate field 'a'", 4),
        ("[1a]", "Invalid character(s) in term '1a'", 1),
        ("[a=ERROR || b=one, b]", "Multiple variables used in a single filter. Var1 : a, Var2 : b", 12),
        ("[a, ..., b, ...]", "Duplicate field '...'", 12),
        ('[a>"1", b]', "Invalid metric filter pattern", 3),
        ("[a==1]", "Invalid metric filter pattern", 3),
        ('[a>"1", b]', "Invalid metric filter pattern", 3),
        ("[a > x]", "Invalid metric filter pattern", 5),
        ("[a b]", "Invalid metric filter pattern", 3),
        ("[a = ]", "Invalid metric filter pattern", 5),
        ("[a", "If a filter pattern starts with '[' it must end with ']'", 1),
        ("[a$b]", "Invalid character(s) in term 'a$b'", 1),
    ],
)
def test_invalid_delimited_patterns(pattern: str, aws_message: str, position: int) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.aws_message == aws_message
    assert caught.value.position == position
