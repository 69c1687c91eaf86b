"""Hypothesis strategies for the whole filter pattern grammar, and for messages those patterns can match.

Patterns are built from the grammar (terms, space-delimited, JSON, standalone regex) with a shared vocabulary of
field names and literals, so most generated patterns are valid and generated messages often match them; a small
share is deliberately invalid (an ordering operator with a string, two wildcards in one selector ...), which the
parser must reject with a PatternError. ``test_generated_patterns_mostly_compile`` reports the rate per family.
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

# -- vocabulary shared by patterns and messages ------------------------------------------------------------------

KEYS = ["a", "b", "eventName", "x-y", "_z"]
WORDS = ["ConsoleLogin", "abc", "Failed authentication", "x", "AccessDenied", "ERROR", "1", "1.0", "01", "true", ""]
NUMBERS = ["1", "-2.5", "+3", "1e3", "1E-2", ".5", "0", "9007199254740993", "1e309", "1.50"]
REGEXES = ["a+", "^b$", "[Cc]onsole", "\\d{2,}", "x|y", "Log.n", "\\w+\\s", "[^a]"]

keys = st.sampled_from(KEYS)
numbers = st.sampled_from(NUMBERS)
regexes = st.sampled_from(REGEXES).map(lambda r: f"%{r}%")
bare_strings = st.one_of(
    st.sampled_from(["ConsoleLogin", "abc", "x", "AccessDenied", "true", "null"]),
    st.sampled_from(["*Login", "Console*", "*", "*e*", "Ev*ent", "arn:aws:iam::1:root"]),
)
quoted_strings = st.one_of(st.sampled_from(WORDS), st.text(alphabet='ab "\\*', max_size=5)).map(json.dumps)
string_values = st.one_of(bare_strings, quoted_strings)
any_value = st.one_of(string_values, numbers, regexes)

# -- JSON patterns -----------------------------------------------------------------------------------------------

_key_steps = keys.map(lambda k: "." + k)
_first_steps = st.one_of(_key_steps, _key_steps, st.sampled_from([".['a.b']", ".*"]))
_later_steps = st.one_of(
    _key_steps,
    st.integers(0, 2).map(lambda i: f"[{i}]"),
    st.sampled_from([".['a.b']", "[*]", ".*"]),
)


@st.composite
def _selectors(draw: st.DrawFn) -> str:
    steps = [draw(_first_steps), *draw(st.lists(_later_steps, max_size=2))]
    wildcards = [i for i, step in enumerate(steps) if "*" in step]
    # One wildcard per selector is the rule; keep a second one only now and then, to test the rejection.
    for extra in wildcards[1:]:
        if draw(st.integers(0, 9)):
            steps[extra] = ".a"
    return "$" + "".join(steps)


selectors = _selectors()
equality_ops = st.sampled_from(["=", "!="])
ordering_ops = st.sampled_from(["<", "<=", ">", ">="])
comparisons = st.one_of(
    st.builds(lambda s, o, v: f"{s} {o} {v}", selectors, equality_ops, any_value),
    st.builds(lambda s, o, v: f"{s} {o} {v}", selectors, ordering_ops, numbers),
    st.builds(lambda s, c: f"{s} IS {c}", selectors, st.sampled_from(["TRUE", "FALSE", "NULL", "null"])),
    selectors.map(lambda s: f"{s} NOT EXISTS"),
)
json_exprs = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["&&", "||"]), inner),
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["&&", "||"]), inner),
    ),
    max_leaves=4,
)
json_patterns = json_exprs.map(lambda e: "{ " + e + " }")

# -- space-delimited patterns -----------------------------------------------------------------------------------

_field_names = ["ip", "user", "status", "bytes", "w1"]


@st.composite
def delimited_patterns(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(_field_names), unique=True, max_size=4))
    entries: list[str] = []
    for name in names:
        kind = draw(st.sampled_from(["bare", "bare", "condition", "or"]))
        if kind == "bare":
            entries.append(name)
        elif kind == "condition":
            op, value = draw(
                st.one_of(
                    st.tuples(equality_ops, any_value),
                    st.tuples(ordering_ops, numbers),
                )
            )
            entries.append(f"{name} {op} {value}")
        else:
            first, second = draw(any_value), draw(any_value)
            entries.append(f"{name} = {first} || {name} = {second}")
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), "...")
    if draw(st.integers(0, 4)) == 0:
        entries.append("")  # an unnamed field
    return "[" + ", ".join(entries) + "]"


# -- terms and standalone regexes --------------------------------------------------------------------------------

term_patterns = st.lists(
    st.builds(
        lambda prefix, term: prefix + term,
        st.sampled_from(["", "", "?", "-"]),
        st.one_of(
            st.sampled_from(["ERROR", "ConsoleLogin", "a_b", "x.y", "café", "abc"]),
            st.sampled_from(WORDS[:5]).map(json.dumps),
        ),
    ),
    min_size=1,
    max_size=4,
).map(" ".join)
regex_patterns = regexes

# -- everything, and random text ---------------------------------------------------------------------------------

PATTERN_ALPHABET = string.ascii_letters[:8] + "019eE{}[]()$.*=!<>&|\"'%?-, \t\\_:/@#^+" + "ISNOTEXISTRUFL" + "é"
pattern_soup = st.text(alphabet=PATTERN_ALPHABET, max_size=40)

FAMILIES: dict[str, st.SearchStrategy[str]] = {
    "json": json_patterns,
    "delimited": delimited_patterns(),
    "terms": term_patterns,
    "regex": regex_patterns,
}
grammar_patterns = st.one_of(*FAMILIES.values())
structured_patterns = st.one_of(grammar_patterns, pattern_soup)

# -- messages ---------------------------------------------------------------------------------------------------

_scalar_values = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from([1, 0, -2.5, 3, 1000, 0.01, 1.0, 9007199254740993, 1e300, True, False, None]),
    st.text(max_size=6),
)
json_values = st.recursive(
    _scalar_values,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
    max_leaves=6,
)


def _document(obj: dict[str, Any]) -> str:
    return json.dumps(obj)


json_messages = st.dictionaries(st.sampled_from([*KEYS, "a.b"]), json_values, max_size=4).map(_document)
delimited_messages = st.lists(
    st.one_of(st.sampled_from(WORDS[:7]).map(lambda w: w.replace(" ", "_")), st.sampled_from(NUMBERS)),
    max_size=6,
).map(" ".join)
messages = st.one_of(json_messages, json_messages, delimited_messages, st.text(max_size=40))


# ---------------------------------------------------------------- containment: related pattern pairs

# A small vocabulary, so that random patterns often test the same paths against related literals.
small_paths = st.sampled_from(["$.a", "$.b", "$.a.c", "$.a[0]", "$.a[1]", "$.a[*]", "$.b.*", "$.a[*].c", "$.['a']"])
small_values = st.sampled_from(
    [
        *("1", "2", "-1", "1.0", "1.5", "0", "+1", "1e0"),
        *("x", "xy", '"x y"', "x*", "*x", "*", '"*x*"', '"1"', '""', "true"),
        *("%x%", "%^x$%", "%[0-9]%"),
    ]
)
small_comparisons = st.one_of(
    st.builds(lambda s, o, v: f"{s} {o} {v}", small_paths, st.sampled_from(["=", "=", "!="]), small_values),
    st.builds(
        lambda s, o, v: f"{s} {o} {v}",
        small_paths,
        st.sampled_from(["<", "<=", ">", ">="]),
        st.sampled_from(["1", "2", "-1", "1.5", "0", "1e0"]),
    ),
    st.builds(lambda s, c: f"{s} IS {c}", small_paths, st.sampled_from(["TRUE", "FALSE", "NULL"])),
    small_paths.map(lambda s: f"{s} NOT EXISTS"),
)
small_exprs = st.recursive(
    small_comparisons,
    lambda inner: st.builds(lambda a, op, b: f"({a}) {op} {b}", inner, st.sampled_from(["&&", "||"]), inner),
    max_leaves=4,
)
small_json_patterns = small_exprs.map(lambda e: "{ " + e + " }")


@st.composite
def related_pattern_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """(candidate, reference): unrelated, or the candidate a small edit of the reference."""
    reference = draw(small_json_patterns)
    edit = draw(st.sampled_from(["unrelated", "or", "and", "add-and", "add-or", "negate", "same"]))
    if edit == "unrelated":
        return draw(small_json_patterns), reference
    if edit == "or" and "&&" in reference:
        return reference.replace("&&", "||", 1), reference
    if edit == "and" and "||" in reference:
        return reference.replace("||", "&&", 1), reference
    if edit == "add-and":
        return reference[:-1] + " && " + draw(small_comparisons) + " }", reference
    if edit == "add-or":
        return reference[:-1] + " || " + draw(small_comparisons) + " }", reference
    if edit == "negate" and " = " in reference:
        return reference.replace(" = ", " != ", 1), reference
    return reference, reference


small_documents = st.dictionaries(
    st.sampled_from(["a", "b"]),
    st.recursive(
        st.sampled_from([None, True, False, 0, 1, 2, -1, 1.0, 1.5, 0.5, "x", "xy", "yx", "x y", "1", "1.0", "", "z"]),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "c", "x"]), children, max_size=3)
        ),
        max_leaves=6,
    ),
    max_size=2,
)
