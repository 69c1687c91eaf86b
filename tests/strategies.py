"""Hypothesis strategies shared by the pattern property tests: messages, JSON values, grammar-shaped patterns."""

from __future__ import annotations

import json
import string

from hypothesis import strategies as st

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
