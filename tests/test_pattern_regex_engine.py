"""CloudWatch regexes on RE2 with java.util.regex's meaning.

Each test in the first part pins a point where RE2 (or Python's ``re``) reads the CloudWatch subset
differently from Java, so a naive translation fails it. The property tests compare the RE2 engine
with the previous translation to Python's ``re`` (kept here only as an oracle) on random expressions
of the subset and random texts over an alphabet where Python's ``re`` and Java agree.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trailguard.pattern import PatternError, compile_pattern
from trailguard.pattern.regex import (
    COMPILE_FAILED,
    MAX_REPEAT_EXPANSION,
    CloudWatchRegex,
    compile_regex,
)
from trailguard.pattern.regex_syntax import Item, contains, parse_regex


def regex(source: str) -> CloudWatchRegex:
    return compile_regex(source, f"%{source}%", 0)


def found(source: str, text: str) -> bool:
    return regex(source).search(text) is not None


def rejected(source: str) -> bool:
    try:
        compile_pattern(f"%{source}%")
    except PatternError as error:
        assert error.aws_message == COMPILE_FAILED, error.aws_message
        return True
    return False


# -- Java's classes where RE2's differ --------------------------------------------------------------


def test_whitespace_class_includes_vertical_tab() -> None:
    # Java's \s is [ \t\n\x0B\f\r]; RE2's \s has no \x0B.
    assert found(r"a\sb", "a\x0bb")
    assert not found(r"a\Sb", "a\x0bb")
    assert found(r"a[\s]b", "a\x0bb")
    assert not found(r"a[^\s]b", "a\x0bb")
    assert not found(r"a\sb", "a\xa0b")  # ASCII only: no-break space is not \s


@pytest.mark.parametrize(("source", "text"), [(r"\w", "é"), (r"\d", "٣"), (r"\w", "ß"), (r"[\w]", "é")])
def test_word_and_digit_classes_are_ascii(source: str, text: str) -> None:
    assert not found(source, text)
    assert found(source.replace("\\w", "\\W").replace("\\d", "\\D"), text)


def test_non_boundary_is_tested_between_characters_only() -> None:
    # Inside the two bytes of é both neighbours are non-word bytes; Java has no position there.
    assert not found(r"\B", "aéb")
    assert found(r"\B", "aé b")
    match = regex(r"\Bx?").search("aéb.")
    assert match is not None and match.span() == (4, 4)


def test_word_boundary_is_ascii() -> None:
    # JDK 19+ (and RE2): é is not a word character, so there is a boundary between f and é.
    assert found(r"caf\b", "café")
    assert not found(r"caf\B", "café")
    assert found(r"\bfoo\b", "a foo b")
    assert not found(r"\bfoo\b", "afoo b")


@pytest.mark.parametrize("terminator", ["\n", "\r", "\x85", "\u2028", "\u2029"])
def test_dot_stops_at_every_java_line_terminator(terminator: str) -> None:
    # RE2's '.' stops only at \n.
    assert not found("a.b", f"a{terminator}b")
    assert found("a.b", "a\x0bb")
    assert found("a.b", "a\tb")
    assert found("a.b", "aéb")


# -- anchors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a", "a\n", "a\r", "a\r\n", "a\x85", "a\u2028", "a\u2029"])
def test_dollar_holds_before_a_final_line_terminator(text: str) -> None:
    # RE2's $ (without multi-line) is the end of the text only.
    assert found("a$", text)
    assert found("^a$", text)


@pytest.mark.parametrize("text", ["a\nb", "a\n\n", "a\r\r", "a\n\r\n", "ab"])
def test_dollar_does_not_hold_elsewhere(text: str) -> None:
    assert not found("a$", text)


def test_dollar_is_not_between_cr_and_lf() -> None:
    assert not found("a\\r$", "a\r\n")
    assert found("a\\r$", "a\r")
    assert found("a\\r\\n$", "a\r\n")


def test_dollar_is_zero_width_before_the_terminator() -> None:
    assert found("a$\\n", "a\n")
    assert found("a$\\n$", "a\n")
    assert found("a$\\s*", "a\r\n")
    assert not found("a$b", "a\nb")
    assert found("a$\\b", "a\n")
    assert not found("a$\\B", "a\n")
    assert found("\\B$", "a\n")  # at the very end: between \n and the end there is no boundary


def test_end_of_text_anchors() -> None:
    assert not found(r"a\z", "a\n")
    assert found(r"a\Z", "a\n")
    assert found(r"a\z", "a")
    assert found(r"\Aa", "ab")
    assert not found(r"\Aa", "ba")


def test_what_follows_dollar_is_settled_at_the_line_end() -> None:
    # Found by comparison with the previous engine: a second $ or an anchor after optional items.
    assert found("aa*$a*$", "a\n")
    assert found("a$a*\\b", "a\n")
    assert not found("a$a*\\B", "a\n")
    assert found("a$\\s?$", "a\r\n")
    assert found("a$\\r?\\n?\\z", "a\r\n")
    assert not found("a$\\n\\n", "a\n")
    assert found("^$\\n^?", "\n")
    assert not found("^$\\n^", "\n")
    assert found("[b]$", "ab\r\n")
    assert not found("[b]$\\n", "ab\r\n")
    assert found("x|[b]$\\r", "ab\r\n")


def test_span_of_a_match_before_a_final_line_terminator() -> None:
    # Matching is exact; the span (which CloudWatch never reports) then runs to the end of the text.
    match = regex("[bc]$").search("ab\r\n")
    assert match is not None and match.span() == (1, 4)
    match = regex("[bc]$").search("ab")
    assert match is not None and match.span() == (1, 2)
    match = regex("b$").search("ab\r\n")  # plain text: searched without RE2, span exact
    assert match is not None and match.span() == (1, 2)


def test_caret_is_the_start_of_the_text_only() -> None:
    assert not found("^a", "b\na")
    assert found("^a", "a\nb")
    assert found("^$", "")
    assert found("^$", "\n")


def test_quantified_anchors_are_accepted_as_java_does() -> None:
    assert found("^*a", "ba")
    assert not found("^+a", "ba")
    assert found("x$?", "xy")
    assert found("a\\b{2}", "a b")


# -- quantifiers -------------------------------------------------------------------------------------


def test_lazy_quantifiers_are_accepted() -> None:
    assert found("a+?", "aaa")
    assert found("a*?b", "aab")
    assert found("a{2,3}?b", "aab")
    match = regex("a+?").search("aaa")
    assert match is not None and match.span() == (0, 1)


@pytest.mark.parametrize("source", ["a++", "a*+", "a?+", "a{2}+", "a{2,}+", "a{2,3}+", "a+?+"])
def test_possessive_quantifiers_are_refused(source: str) -> None:
    # Recorded: AWS refuses a++ and a*+ with "Failed to compile regular expression.".
    assert rejected(source)


@pytest.mark.parametrize("source", ["*a", "a|*b", "a**", "a{2}{3}", "a{2}*", "a{,}", "a{x}", "a{}", "a{5,2}", "{2}"])
def test_quantifiers_without_a_single_operand_are_refused(source: str) -> None:
    assert rejected(source)


def test_omitted_lower_bound_means_zero() -> None:
    # RE2 (like RE2/J) reads a{,2} as the literal text "a{,2}".
    assert found("^a{,2}$", "")
    assert found("^a{,2}$", "aa")
    assert not found("^a{,2}$", "aaa")
    assert not found("^a{,2}$", "a{,2}")


def test_counted_repetition_above_re2_limit() -> None:
    # RE2 refuses counts above 1000 (also when nested); the translation lays them out side by side.
    assert found("a{2000}", "a" * 2000)
    assert not found("a{2000}", "a" * 1999)
    assert found("^a{1500,1800}$", "a" * 1800)
    assert not found("^a{1500,1800}$", "a" * 1801)
    assert not found("^a{1500,1800}$", "a" * 1499)
    assert found("^x.{1001,}$", "x" + "é" * 1001)
    assert not found("^x.{1001,}$", "x" + "é" * 1000)
    assert found("^[^b]{1999}b$", "a" * 1999 + "b")
    assert found("^a{1200}?", "a" * 1300)
    compiled = regex("a{1500,2000}")
    counts = [int(n) for n in re.findall(r"\{(?:\d+,)?(\d+)\}", compiled.translation)]
    assert counts and max(counts) <= 1000


def test_repetition_budget() -> None:
    assert not rejected("a{1000}b{1000}")
    assert not rejected(f"x{{{MAX_REPEAT_EXPANSION}}}")
    assert rejected(f"x{{{MAX_REPEAT_EXPANSION + 1}}}")
    assert rejected("a{1000}b{1001}")
    assert rejected("a{99999999999}")  # beyond Java's int: refused by Java as well
    assert rejected("a{2147483647}")


# -- classes and escapes -----------------------------------------------------------------------------


def test_nested_classes_are_unions_and_negation_covers_them() -> None:
    assert found("[a[b]]", "b")
    assert found("[a[b-d]]", "c")
    assert not found("[^a[b]]", "b")  # Java 9+: ^ negates the whole union
    assert found("[^a[b]]", "c")
    assert found("[a[^b]]", "c")
    assert not found("[a[^b]]", "b")


def test_class_members() -> None:
    assert found(r"[\d_]", "_")
    assert found(r"[\x41-\x43]", "B")
    assert not found(r"[\x41-\x43]", "D")
    assert found("[a-]", "-")
    assert found("[-a]", "-")
    assert found("[]a]", "]")
    assert found("[^]a]", "b")
    assert not found("[^]a]", "]")
    assert found(r"[\d-z]", "-")  # after a class escape, '-' is literal
    assert found("[a^]", "^")
    assert found("[.]", ".")
    assert not found("[.]", "x")
    assert found(r"[\t]", "\t")


@pytest.mark.parametrize("source", [r"[a-\d]", r"[\b]", "[z-a]", "[abc", "[]", "[^]", r"[\p]", r"[\1]"])
def test_invalid_classes(source: str) -> None:
    assert rejected(source)


def test_deeply_nested_classes_compile() -> None:
    depth = 300
    source = "[" * depth + "a" + "]" * depth
    assert found(source, "xa")
    assert not found(source, "xb")
    assert rejected("[" * depth + "a" + "]" * (depth - 1))


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"\x3A", ":"),
        (r"\x{41}", "A"),
        (r"\x{1F600}", "\U0001f600"),
        (r"\u0041", "A"),
        (r"\uD83D\uDE00", "\U0001f600"),
        (r"\0101", "A"),
        (r"\cJ", "\n"),
        (r"\t\n\r\f\a\e", "\t\n\r\f\x07\x1b"),
        (r"\h", "\u3000"),
        (r"\v", "\x85"),
        (r"\-\:\_\#\=\@\/\;\,\ ", "-:_#=@/;, "),
        (r"\Qa.b\E", "a.b"),
        (r"\Qa.b", "a.b"),
        (r"[\Q]\E]", "]"),
        (r"\G\w", "ab"),
    ],
)
def test_escapes(source: str, text: str) -> None:
    assert found(source, text)


def test_quoting_is_literal() -> None:
    assert not found(r"\Qa.b\E", "axb")
    assert found(r"\Qa\E+", "aaa")


@pytest.mark.parametrize(
    "source",
    [r"\x4", r"\xZZ", r"\x{}", r"\x{110000}", r"\u12", r"\08", r"\c", r"\p", r"\pL", r"\R", r"\X", r"\E", r"\k", r"\y"],
)
def test_invalid_escapes(source: str) -> None:
    assert rejected(source)


def test_back_references_to_missing_groups_never_match() -> None:
    # Java compiles \1 without groups; the reference never matches (unless repeated zero times).
    assert not found(r"a\1", "a1")
    assert found(r"a\1*", "a")
    assert found(r"x|a\1", "x")


def test_empty_alternative_matches_everywhere() -> None:
    assert found("a|", "zzz")
    assert found("|", "")


# -- the engine --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "completion"),
    [("A+B", "A" * 100_000, "B"), ("a*a*a*a*a*a*a*a*b", "a" * 5_000, "b"), ("\\w+\\d+\\w+x", "a1" * 20_000, "x")],
)
def test_backtracking_traps_give_the_right_answer(source: str, text: str, completion: str) -> None:
    # Traps for a backtracking engine (quadratic or worse); RE2 answers them in one pass.
    assert not found(source, text)
    assert found(source, text + completion)


def test_texts_with_lone_surrogates_do_not_raise() -> None:
    assert found("a.b", "a\ud800b")
    assert found("a[^x]b", "a\udfffb")
    assert not found("a\\db", "a\ud800b")
    assert found("a$", "\ud800a\n")


def test_match_objects() -> None:
    for source, text, span in [
        ("abc", "xxabc", (2, 5)),  # plain text
        ("b.c", "ébxc", (1, 4)),  # RE2, offsets in characters
        ("^ab|b", "xab", (2, 3)),
        ("c|b", "abc", (1, 2)),
        ("b$", "ab\n", (1, 2)),
    ]:
        match = regex(source).search(text)
        assert match is not None, source
        assert match.span() == span, source
        assert (match.start(), match.end()) == span
        assert match.group() == text[span[0] : span[1]]
        assert match.string == text


def test_compile_regex_keeps_its_call_shape() -> None:
    compiled = compile_regex("a+", "%a+%", 0)
    assert isinstance(compiled, CloudWatchRegex)
    assert compiled.search("baa") is not None
    assert compiled.search("bbb") is None
    with pytest.raises(PatternError) as caught:
        compile_regex("a++", "{ $.x = %a++% }", 8)
    assert caught.value.aws_message == COMPILE_FAILED
    assert caught.value.position == 8


def test_regexes_in_json_and_delimited_patterns_use_the_engine() -> None:
    assert compile_pattern("{ $.a = %b$% }").match('{"a": "ab\\n"}') is not None
    assert compile_pattern("{ $.a = %a.b% }").match('{"a": "a\\rb"}') is None
    assert compile_pattern("[x = %^a{1200}$%, y]").match("a" * 1200 + " z") is not None


# -- property tests against the previous translation to Python's re ----------------------------------

# Python's re (ASCII mode) and Java agree on these characters: no \r, \x85, \u2028 or \u2029, whose
# line-terminator role differs, and é stands for the non-ASCII rest.
TEXT_ALPHABET = "abcAB019 -:_\n\t\x0b\x0cé"
_LITERAL_CHARS = "abcAB019 -:_#=@/;,"
_CLASS_ESCAPES = [r"\d", r"\D", r"\w", r"\W", r"\s", r"\S"]


class _OracleRefused(Exception):
    pass


_ORACLE_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")
_ORACLE_CONTROL = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f"}


def _python_oracle(source: str) -> re.Pattern[str] | None:
    """The previous engine, kept as an oracle: CloudWatch regex to Python re (ASCII); None if refused."""
    try:
        return re.compile(_oracle_translate(source), re.ASCII)
    except (re.error, _OracleRefused):
        return None


def _oracle_translate(source: str) -> str:
    out: list[str] = []
    i = 0
    previous_was_quantifier = False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            escape, i = _oracle_escape(source, i, in_class=False)
            out.append(escape)
            previous_was_quantifier = False
            continue
        if ch == "[":
            cls, i = _oracle_class(source, i)
            out.append(cls)
            previous_was_quantifier = False
            continue
        if ch in "*+?":
            if ch == "+" and previous_was_quantifier:
                raise _OracleRefused
            if ch == "?" and previous_was_quantifier:
                out.append("?")
                previous_was_quantifier = False
                i += 1
                continue
            out.append(ch)
            previous_was_quantifier = True
            i += 1
            continue
        if ch == "{":
            match = _ORACLE_BRACES.match(source, i)
            if match is None or (not match.group(1) and not match.group(3)):
                raise _OracleRefused
            low, comma, high = match.groups()
            out.append("{" + (low or "0") + comma + high + "}")
            i = match.end()
            previous_was_quantifier = True
            continue
        if ch in "}]":
            out.append("\\" + ch)
        elif ch in " #=@/;,:-_":
            out.append(re.escape(ch))
        else:
            out.append(ch)
        previous_was_quantifier = False
        i += 1
    return "".join(out)


def _oracle_escape(source: str, i: int, *, in_class: bool) -> tuple[str, int]:
    nxt = source[i + 1]
    if nxt == "x":
        return "\\x" + source[i + 2 : i + 4], i + 4
    if nxt in "dDsSwW":
        return "\\" + nxt, i + 2
    if nxt in _ORACLE_CONTROL:
        return _ORACLE_CONTROL[nxt], i + 2
    if nxt in "bB" and not in_class:
        return "\\" + nxt, i + 2
    if nxt.isalnum():
        raise _OracleRefused
    return re.escape(nxt), i + 2


def _oracle_class(source: str, i: int) -> tuple[str, int]:
    out = ["["]
    i += 1
    if i < len(source) and source[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(source):
        ch = source[i]
        if ch == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        if ch == "[":
            raise _OracleRefused
        if ch == "\\":
            escape, i = _oracle_escape(source, i, in_class=True)
            out.append(escape)
        else:
            out.append("\\]" if ch == "]" else ("\\" + ch if ch in "^\\" else ch))
            i += 1
        first = False
    raise _OracleRefused


@st.composite
def _class_text(draw: st.DrawFn) -> str:
    members = draw(
        st.lists(
            st.one_of(
                st.sampled_from(list("abcAB019-:_ ")).map(lambda c: "\\-" if c == "-" else c),
                st.sampled_from(_CLASS_ESCAPES),
                st.sampled_from(["a-c", "0-9", "A-Z", r"\x41-\x43", r"\x20"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return "[" + ("^" if draw(st.booleans()) else "") + "".join(members) + "]"


@st.composite
def _cloudwatch_regex(draw: st.DrawFn) -> str:
    alternatives = []
    for _ in range(draw(st.integers(1, 3))):
        parts = []
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["literal", "literal", "dot", "escape", "class", "hex", "anchor"]))
            if kind == "anchor":
                parts.append(draw(st.sampled_from(["^", "$", r"\b", r"\B"])))
                continue  # Python refuses quantified anchors
            if kind == "literal":
                ch = draw(st.sampled_from(_LITERAL_CHARS))
                atom = ch if ch.isalnum() or ch in " _" else draw(st.sampled_from([ch, "\\" + ch]))
            elif kind == "dot":
                atom = "."
            elif kind == "escape":
                atom = draw(st.sampled_from([*_CLASS_ESCAPES, r"\t", r"\n", r"\f"]))
            elif kind == "class":
                atom = draw(_class_text())
            else:
                atom = "\\x" + draw(st.sampled_from(["41", "61", "3A", "20", "0A", "09"]))
            quantifier = draw(st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "{,2}", "{2,}", "{0}"]))
            lazy = "?" if quantifier and draw(st.booleans()) else ""
            parts.append(atom + quantifier + lazy)
        alternatives.append("".join(parts))
    source = "|".join(alternatives)
    return source if source else "a"


@settings(max_examples=1000, deadline=None)
# Non-empty texts: Python's \B never matches the empty string, Java's (and RE2's) does.
@given(_cloudwatch_regex(), st.lists(st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=12), min_size=1, max_size=6))
def test_re2_engine_agrees_with_python_re_where_python_agrees_with_java(source: str, texts: list[str]) -> None:
    oracle = _python_oracle(source)
    compiled = regex(source)  # everything the previous engine accepted compiles (and more)
    if oracle is None:
        return
    for text in texts:
        expected = oracle.search(text)
        actual = compiled.search(text)
        assert (actual is None) == (expected is None), (source, text, compiled.translation)
        ends_a_line = "$" in source and text.endswith("\n")  # spans then run to the end: not compared
        if expected is not None and actual is not None and not ends_a_line:
            assert actual.span() == expected.span(), (source, text)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.text(alphabet="ab-:", min_size=1, max_size=3), min_size=1, max_size=3),
    st.booleans(),
    st.sampled_from(["", "$", r"\z"]),
    st.text(alphabet="ab-:\n\r\x85", max_size=8),
)
def test_plain_text_path_agrees_with_re2(words: list[str], caret: bool, end: str, text: str) -> None:
    # Plain alternatives skip RE2; a class with a character no text holds forces the RE2 path.
    source = "|".join(("^" if caret else "") + word + end for word in words)
    forced = "|".join(("^" if caret else "") + "".join(f"[{c}\\x00]" for c in word) + end for word in words)
    fast = regex(source)
    general = regex(forced)
    assert "_plain_search" in fast.search.__qualname__
    assert "_re2_search" in general.search.__qualname__
    fast_match = fast.search(text)
    general_match = general.search(text)
    assert (fast_match is None) == (general_match is None), (source, text)
    if fast_match is not None and general_match is not None and not (end == "$" and text[-1:] in "\n\r\x85"):
        assert fast_match.span() == general_match.span(), (source, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters[:3] + "\\[]^-{},*+?|.$", max_size=12))
def test_any_source_compiles_or_fails_with_aws_wording(source: str) -> None:
    try:
        compiled = compile_pattern(f"%{source}%")
    except PatternError as error:
        assert error.aws_message == COMPILE_FAILED or error.aws_message.startswith(
            ("Invalid character(s) in term", "If a filter pattern starts with")
        )
        return
    compiled.match("abc\n")


# -- property test against a direct reading of Java's rules ------------------------------------------

_JAVA_LINE_TERMINATORS = "\n\r\x85\u2028\u2029"


def _java_find(source: str, text: str) -> bool:
    """Java's find(), by backtracking over the parsed items (fine for the short texts used here)."""
    end = len(text)
    if text.endswith("\r\n"):
        dollar = {end - 2, end}
    elif text and text[-1] in _JAVA_LINE_TERMINATORS:
        dollar = {end - 1, end}
    else:
        dollar = {end}

    def word(at: int) -> bool:
        return 0 <= at < end and (text[at].isascii() and (text[at].isalnum() or text[at] == "_"))

    def holds(anchor: str, at: int) -> bool:
        if anchor == "^":
            return at == 0
        if anchor == "$":
            return at in dollar
        if anchor == "z":
            return at == end
        boundary = word(at - 1) != word(at)
        return boundary if anchor == "b" else not boundary

    def match(items: list[Item], at: int) -> bool:
        if not items:
            return True
        item, rest = items[0], items[1:]
        if item.chars is None:
            return (item.low == 0 or holds(item.anchor, at)) and match(rest, at)
        count = 0
        while True:
            if count >= item.low and match(rest, at + count):
                return True
            if (item.high is not None and count >= item.high) or at + count >= end:
                return False
            if not contains(item.chars, ord(text[at + count])):
                return False
            count += 1

    return any(match(items, start) for start in range(end + 1) for items in parse_regex(source))


_JAVA_TEXT_ALPHABET = "ab1 _-\n\r\x85\u2028é\t"
_ANCHORED_ATOMS = ["a", "b", ".", r"\s", r"\w", r"\W", "[^a]", r"\r", r"\n", "^", "$", r"\b", r"\B", r"\z", r"\Z"]


@st.composite
def _regex_with_anchors(draw: st.DrawFn) -> str:
    alternatives = []
    for _ in range(draw(st.integers(1, 2))):
        parts = []
        for _ in range(draw(st.integers(1, 5))):
            atom = draw(st.sampled_from(_ANCHORED_ATOMS))
            quantifier = draw(st.sampled_from(["", "", "?", "*", "+", "{2}", "{0,2}"]))
            parts.append(atom + quantifier)
        alternatives.append("".join(parts))
    return "|".join(alternatives)


@settings(max_examples=1000, deadline=None)
@given(_regex_with_anchors(), st.lists(st.text(alphabet=_JAVA_TEXT_ALPHABET, max_size=6), min_size=1, max_size=6))
def test_engine_agrees_with_javas_rules_on_line_terminators_and_boundaries(source: str, texts: list[str]) -> None:
    # Covers what the Python oracle cannot: \r, \u0085, \u2028 around $ and ., \B next to non-ASCII
    # characters, and quantified anchors.
    compiled = regex(source)
    for text in texts:
        assert (compiled.search(text) is not None) == _java_find(source, text), (source, text)
