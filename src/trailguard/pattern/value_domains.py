"""Value domains: what one JSON value does to a test, and finite sets of strings and numbers to try.

``test_holds`` evaluates a formula test on a concrete value with the compiled matcher's own code
(json_eval.py), so the solver can never disagree with the matcher. ``string_candidates`` and
``number_candidates`` list, for the tests one path carries, representative values: whenever some string
(number) passes a given mix of passed and failed tests, one of the listed values does too — except for
regular expressions, and for wildcard text tests on numbers, where the lists are best effort and the
caller is told so (``Domain.exact``).

Why the lists are complete. A string test is exact text, prefix, suffix or infix (text_matcher: ``*``
only counts at the ends). Given the wanted prefixes, suffixes and infixes, the string
``P + s*a + C1 + s + C2 ... + s + Q`` (``P`` the longest prefix, ``Q`` the longest suffix, ``s`` a
character no literal contains, ``a >= 1``) has every wanted part and contains an unwanted part (or
starts or ends with one) only if every string with the wanted parts does; varying ``a`` escapes any
finite set of unwanted exact texts. Numbers: the literals cut the number line into points and open
intervals; a value at every point, between neighbours and beyond both ends, as an integer and as a
double, meets every mix of ``= < <= > >=``, and the exact texts (``number_text``) are tried as numbers.
"""

from __future__ import annotations

import functools
import itertools
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from trailguard.pattern.ast import Check, Comparison, Key, NumberValue, Operator, Regex, Selector, StringValue
from trailguard.pattern.formulas import Equals, Is, NotEquals, Orders, Present, Test
from trailguard.pattern.json_eval import MISSING, compile_expression
from trailguard.pattern.values import NUMBER_LITERAL, literal_decimal, to_decimal

__all__ = [
    "Domain",
    "number_candidates",
    "regex_samples",
    "string_candidates",
    "test_holds",
    "value_predicate",
    "wildcard_shape",
]

_PROBE: Final = Selector((Key("v", bracketed=False),))
# Separator characters for built strings, most readable first; one not in any literal is used.
# orjson (the matcher's JSON parser) reads larger integers as doubles; candidates stay within 64 bits.
_INT64: Final = Decimal(2**63)
# Characters a number's text (number_text: Java's Double.toString or the integer) can hold.
_NUMBER_TEXT_CHARACTERS: Final = frozenset("0123456789-.E")
# Strings tried before built ones when nothing more specific is wanted (a value that is simply different).
_READABLE_FRESH: Final = ("Other", "other-value")
_SEPARATORS: Final = " -_.:/|~^!#0123456789xyzqXYZQ"


# ---------------------------------------------------------------- concrete evaluation


def test_holds(test: Test, value: Any) -> bool:
    """Whether ``value`` (MISSING for an absent key) passes ``test``, exactly as the compiled matcher decides."""
    return value_predicate(test)(value)


@functools.lru_cache(maxsize=4096)
def value_predicate(test: Test) -> Callable[[Any], bool]:
    """``test`` as a function of one value (MISSING for an absent key)."""
    if isinstance(test, Present):
        return lambda value: value is not MISSING
    if isinstance(test, Is):
        if test.check is Check.TRUE:
            return lambda value: value is True
        if test.check is Check.FALSE:
            return lambda value: value is False
        if test.array_of_nulls:
            return lambda value: value is None or (type(value) is list and any(x is None for x in value))
        return lambda value: value is None
    if isinstance(test, Equals):
        node = Comparison(_PROBE, Operator.EQ, test.value)
    elif isinstance(test, NotEquals):
        node = Comparison(_PROBE, Operator.NE, test.value)
    else:
        node = Comparison(_PROBE, test.operator, test.value)
    text = "{ " + node.render() + " }"
    document_test = compile_expression(node, text)
    return lambda value: document_test({} if value is MISSING else {"v": value})


# ---------------------------------------------------------------- literal shapes


def wildcard_shape(text: str) -> tuple[str, str]:
    """(``exact`` | ``prefix`` | ``suffix`` | ``infix``, core) of a string literal, as text_matcher reads it."""
    leading = text.startswith("*")
    trailing = len(text) > 1 and text.endswith("*")
    core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
    if leading and trailing:
        return "infix", core
    if leading:
        return "suffix", core
    if trailing:
        return "prefix", core
    return "exact", core


def _number_text_form(value: NumberValue) -> str | None:
    # json_eval: a number literal equals a string holding its text as written (`= 1e3` matches "1e3").
    return value.text


@dataclass(frozen=True, slots=True)
class Domain:
    """Values to try for one path, and whether trying them all decides the question."""

    values: tuple[Any, ...]
    exact: bool


def _value_of(test: Test) -> StringValue | NumberValue | Regex | None:
    if isinstance(test, Equals | NotEquals | Orders):
        return test.value
    return None


def _has_regex(tests: Iterable[Test]) -> bool:
    return any(isinstance(_value_of(test), Regex) for test in tests)


# ---------------------------------------------------------------- strings


def string_candidates(tests: Sequence[tuple[Test, bool]], preferred: Sequence[Any] = ()) -> Domain:
    """Strings to try for a path carrying ``tests`` (test, wanted outcome); ``preferred`` come first."""
    out: list[str] = [value for value in preferred if type(value) is str]
    wanted_prefixes: list[str] = []
    wanted_suffixes: list[str] = []
    wanted_infixes: list[str] = []
    unwanted_exact = 0
    pinned = False  # a wanted exact text: the string is that text, which is tried
    literal_texts: list[str] = []
    for test, outcome in tests:
        value = _value_of(test)
        if isinstance(test, NotEquals):
            outcome = not outcome
        if isinstance(value, StringValue):
            shape, core = wildcard_shape(value.text)
            literal_texts.append(core)
            if core:
                out.append(core)
            if not outcome:
                unwanted_exact += shape == "exact"
            elif shape == "exact":
                pinned = True
            elif shape == "prefix":
                wanted_prefixes.append(core)
            elif shape == "suffix":
                wanted_suffixes.append(core)
            elif shape == "infix":
                wanted_infixes.append(core)
        elif isinstance(value, NumberValue):
            literal_texts.append(value.text)
            text_form = _number_text_form(value)
            pinned = pinned or (text_form is not None and outcome)
            if text_form is not None:
                out.append(text_form)
                unwanted_exact += not outcome
        elif isinstance(value, Regex):
            literal_texts.append(value.source)
            samples = regex_samples(value.source)
            out.extend(samples)
            if outcome:
                wanted_infixes.extend(samples[:1])
    prefix = max(wanted_prefixes, key=len, default="")
    suffix = max(wanted_suffixes, key=len, default="")
    separator = next((ch for ch in _SEPARATORS if not any(ch in text for text in literal_texts)), "\u2063")
    # Readable joins first (no separators), then the family the completeness argument needs.
    middle = "".join(wanted_infixes)
    out.extend(_READABLE_FRESH)
    out.extend(s for s in (prefix + middle + suffix, prefix + " " + middle + " " + suffix) if s.strip())
    for repeat in range(1, unwanted_exact + 3):
        parts = [prefix + separator * repeat, *(core + separator for core in wanted_infixes), suffix]
        out.append("".join(parts))
    out.append("")
    return Domain(tuple(_unique(out)), exact=pinned or not _has_regex(test for test, _ in tests))


# ---------------------------------------------------------------- numbers


def number_candidates(tests: Sequence[tuple[Test, bool]], preferred: Sequence[Any] = ()) -> Domain:
    """Numbers to try for a path carrying ``tests`` (test, wanted outcome); ``preferred`` come first."""
    out: list[Any] = [value for value in preferred if type(value) in (int, float) and type(value) is not bool]
    points: set[Decimal] = {Decimal(0)}
    pinned = False  # a wanted exact text: the number is one of at most two values, both tried
    guessing = False  # a wildcard or regex on the number's text decides: the candidates are a good try
    for test, outcome in tests:
        value = _value_of(test)
        wanted = outcome != isinstance(test, NotEquals)
        if isinstance(value, NumberValue):
            number = literal_decimal(value.text)
            if number is not None and number.is_finite():
                points.add(number)
        elif isinstance(value, StringValue):
            shape, core = wildcard_shape(value.text)
            if shape == "exact":
                pinned = pinned or wanted
            elif core and set(core) <= _NUMBER_TEXT_CHARACTERS:
                guessing = True
            # Otherwise the test is the same for every number: true for an empty core (``*``), false for a
            # core no number's text can hold.
            for text in _numeric_variants(core, shape):
                points.add(Decimal(text))
        elif isinstance(value, Regex):
            guessing = True
            for sample in regex_samples(value.source):
                for text in _numeric_variants(sample, "infix"):
                    points.add(Decimal(text))
    ordered = sorted(points)
    spots: list[Decimal] = []
    for low, high in itertools.pairwise(ordered):
        spots.append((low + high) / 2)
    for point in ordered:
        spots.extend([point, point - 1, point + 1, point - Decimal("0.5"), point + Decimal("0.5")])
    for spot in spots:
        out.extend(_json_numbers(spot))
    return Domain(tuple(_unique(out)), exact=pinned or not guessing)


def _numeric_variants(core: str, shape: str) -> Iterator[str]:
    texts = [core]
    if shape in ("suffix", "infix"):
        texts += ["1" + core, "0" + core]
    if shape in ("prefix", "infix"):
        texts += [core + "1", core + "0"]
    if shape == "infix":
        texts.append("1" + core + "1")
    for text in texts:
        if NUMBER_LITERAL.match(text) and len(text) < 40:
            yield text


def _json_numbers(value: Decimal) -> list[Any]:
    """The JSON numbers (int and double) whose exact value is ``value``, or close to it for doubles."""
    numbers: list[Any] = []
    try:
        if value == value.to_integral_value() and abs(value) < _INT64:
            numbers.append(int(value))
        as_double = float(value)
    except (InvalidOperation, OverflowError, ValueError):
        return numbers
    if to_decimal(as_double) is not None:
        numbers.append(as_double)
    return numbers


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: set[tuple[type, Any]] = set()
    out = []
    for value in values:
        key = (type(value), value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


# ---------------------------------------------------------------- regular expressions

_CLASS_ESCAPES: Final[dict[str, str]] = {
    "d": string.digits,
    "D": "a-",
    "w": string.ascii_letters + string.digits + "_",
    "W": " -",
    "s": " \t",
    "S": "a0",
    "t": "\t",
    "n": "\n",
    "r": "\r",
    "f": "\f",
}
_PREFERRED_CHARS: Final = "aeAE0 1-_.:/x"


def regex_samples(source: str) -> list[str]:
    """A few strings that CloudWatch regex ``source`` (the text between the ``%``) is likely to find.

    Each top-level alternative gives its shortest reading and one with every optional part taken once.
    The samples are guesses checked by the caller with the real matcher; groups do not exist in the
    CloudWatch dialect, so a flat reading of the source is enough.
    """
    samples: list[str] = []
    for alternative in _split_alternatives(source):
        atoms = _atoms(alternative)
        if atoms is None:
            continue
        shortest = "".join(chars[0] * low for chars, low, _ in atoms)
        fuller = "".join(chars[0] * max(low, 1 if high != 0 else 0) for chars, low, high in atoms)
        samples.extend([shortest, fuller])
        samples.append("".join(chars[-1] * max(low, 1) for chars, low, _ in atoms))
    return _unique(s for s in samples if s)


def _split_alternatives(source: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            current.append(source[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth = 1
        elif ch == "]" and depth:
            depth = 0
        if ch == "|" and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _atoms(text: str) -> list[tuple[str, int, int | None]] | None:
    """(characters that fit, minimum repeats, maximum repeats or None) per atom; None when unreadable."""
    atoms: list[tuple[str, int, int | None]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        chars: str
        if ch in "^$":
            i += 1
            continue
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "x" and i + 3 < len(text) + 1:
                try:
                    chars = chr(int(text[i + 2 : i + 4], 16))
                except ValueError:
                    return None
                i += 4
            elif nxt in "bB":
                i += 2
                continue
            else:
                chars = _CLASS_ESCAPES.get(nxt, nxt)
                i += 2
        elif ch == "[":
            close = text.find("]", i + 2)
            if close == -1:
                return None
            chars = _class_members(text[i + 1 : close])
            i = close + 1
        elif ch == ".":
            chars = "a"
            i += 1
        elif ch in "*+?{":
            return None
        else:
            chars = ch
            i += 1
        low, high, i = _quantifier(text, i)
        atoms.append((_order(chars), low, high))
    return atoms


def _quantifier(text: str, i: int) -> tuple[int, int | None, int]:
    if i >= len(text):
        return 1, 1, i
    ch = text[i]
    low: int
    high: int | None
    if ch == "*":
        low, high, i = 0, None, i + 1
    elif ch == "+":
        low, high, i = 1, None, i + 1
    elif ch == "?":
        low, high, i = 0, 1, i + 1
    elif ch == "{":
        close = text.find("}", i)
        body = text[i + 1 : close] if close != -1 else ""
        first, _, second = body.partition(",")
        low = int(first) if first.isdigit() else 0
        high = low if "," not in body else (int(second) if second.isdigit() else None)
        i = close + 1 if close != -1 else len(text)
    else:
        return 1, 1, i
    if i < len(text) and text[i] == "?":
        i += 1  # lazy: same strings
    return low, high, i


def _class_members(body: str) -> str:
    negated = body.startswith("^")
    if negated:
        body = body[1:]
    members: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            members.append(_CLASS_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-":
            low, high = ord(ch), ord(body[i + 2])
            members.append("".join(chr(c) for c in range(low, min(high, low + 200) + 1)))
            i += 3
        else:
            members.append(ch)
            i += 1
    allowed = "".join(members)
    if negated:
        return "".join(ch for ch in _PREFERRED_CHARS + string.ascii_letters if ch not in allowed) or "\u2063"
    return allowed or "a"


def _order(chars: str) -> str:
    """The same characters, the most readable first (so samples look like words)."""
    first = [ch for ch in _PREFERRED_CHARS if ch in chars]
    return "".join(first) + "".join(ch for ch in chars if ch not in first)
