"""The syntax of CloudWatch Logs regular expressions, read with java.util.regex's rules.

``parse_regex`` turns the text between the percent signs into ``Alternatives``: top-level
alternatives, each a sequence of ``Item``s, an item being a set of code points or an anchor, with its
repetition bounds. CloudWatch forbids groups, so this flat form covers the whole language. Character
sets are explicit code-point ranges (``Ranges``) with Java's meaning of every class and escape; the
engine (``trailguard.pattern.regex``) writes them out for RE2 and never relies on RE2's own reading.
Anything java.util.regex would refuse, or that has no exact translation, raises ``RegexSyntaxError``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_CODE_POINT",
    "Alternatives",
    "Item",
    "Ranges",
    "RegexSyntaxError",
    "complement",
    "contains",
    "minus",
    "parse_regex",
]

_HEX: Final = frozenset(string.hexdigits)
_OCTAL: Final = frozenset("01234567")
_BRACES: Final = re.compile(r"\{(\d*)(,?)(\d*)\}")
_JAVA_MAX_INT: Final = 2**31 - 1


# -- character sets: sorted, disjoint, inclusive code-point ranges ----------------------------------

Ranges = tuple[tuple[int, int], ...]
MAX_CODE_POINT: Final = 0x10FFFF


def _normalise(ranges: list[tuple[int, int]] | Ranges) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def complement(ranges: Ranges) -> Ranges:
    """Every code point not in ``ranges`` (surrogates included: a JVM string can hold them)."""
    result: list[tuple[int, int]] = []
    next_low = 0
    for low, high in ranges:
        if low > next_low:
            result.append((next_low, low - 1))
        next_low = high + 1
    if next_low <= MAX_CODE_POINT:
        result.append((next_low, MAX_CODE_POINT))
    return tuple(result)


def _union(first: Ranges, second: Ranges) -> Ranges:
    return _normalise(first + second)


def minus(ranges: Ranges, removed: Ranges) -> Ranges:
    """The code points of ``ranges`` that are not in ``removed`` (which need not be normalised)."""
    return complement(_union(complement(ranges), removed))


def contains(ranges: Ranges, code_point: int) -> bool:
    """Whether ``code_point`` is in ``ranges``."""
    return any(low <= code_point <= high for low, high in ranges)


def _chars(text: str) -> Ranges:
    return _normalise([(ord(ch), ord(ch)) for ch in text])


_DIGIT: Final = _chars(string.digits)
_WORD: Final = _chars(string.ascii_letters + string.digits + "_")
_SPACE: Final = _chars(" \t\n\x0b\f\r")  # Java's \s: RE2's lacks \x0B
_HORIZONTAL_SPACE: Final = _normalise([*_chars(" \t\xa0\u1680\u180e\u202f\u205f\u3000"), (0x2000, 0x200A)])
_VERTICAL_SPACE: Final = _chars("\n\x0b\f\r\x85\u2028\u2029")
_LINE_TERMINATORS: Final = _chars("\n\r\x85\u2028\u2029")
_ANY_BUT_LINE_TERMINATOR: Final = complement(_LINE_TERMINATORS)  # Java's '.' without DOTALL

_CLASS_ESCAPES: Final[dict[str, Ranges]] = {
    "d": _DIGIT,
    "D": complement(_DIGIT),
    "w": _WORD,
    "W": complement(_WORD),
    "s": _SPACE,
    "S": complement(_SPACE),
    "h": _HORIZONTAL_SPACE,
    "H": complement(_HORIZONTAL_SPACE),
    "v": _VERTICAL_SPACE,
    "V": complement(_VERTICAL_SPACE),
}
_CHARACTER_ESCAPES: Final = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "a": 0x07, "e": 0x1B}
# Zero-width escapes outside classes: \A and \G (a fresh search) are ^, \Z is $, \z the very end.
_ANCHOR_ESCAPES: Final = {"b": "b", "B": "B", "A": "^", "G": "^", "Z": "$", "z": "z"}


# -- parsing ----------------------------------------------------------------------------------------


class RegexSyntaxError(Exception):
    """The expression does not compile (AWS says "Failed to compile regular expression.")."""


@dataclass(frozen=True, slots=True)
class Item:
    """One element of an alternative: a set of characters, or an anchor (``^ $ z b B``), repeated."""

    chars: Ranges | None
    anchor: str = ""
    low: int = 1
    high: int | None = 1  # None: unbounded
    lazy: bool = False


Alternatives = list[list[Item]]


def _remove_quoting(source: str) -> str:
    """Java's first step: ``\\Q...\\E`` becomes the same characters, each escaped or plain."""
    if "\\Q" not in source:
        return source
    out: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            if source[i + 1] != "Q":
                out.append(source[i : i + 2])
                i += 2
                continue
            i += 2
            while i < n and not (source[i] == "\\" and i + 1 < n and source[i + 1] == "E"):
                quoted = source[i]
                out.append(quoted if quoted.isascii() and quoted.isalnum() else "\\" + quoted)
                i += 1
            i += 2  # past \E (or past the end: an unclosed \Q quotes the rest)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class _Parser:
    """Reads the CloudWatch subset with java.util.regex's rules into ``Alternatives``."""

    def __init__(self, source: str) -> None:
        self.text = _remove_quoting(source)
        self.pos = 0

    def parse(self) -> Alternatives:
        text = self.text
        n = len(text)
        alternatives: Alternatives = [[]]
        items = alternatives[0]
        quantifiable = False  # whether the last item may take a quantifier
        while self.pos < n:
            ch = text[self.pos]
            if ch == "|":
                items = []
                alternatives.append(items)
                quantifiable = False
                self.pos += 1
            elif ch in "*+?{":
                if not quantifiable:
                    raise RegexSyntaxError  # nothing to repeat, or a quantifier after a quantifier
                items[-1] = self._quantified(items[-1])
                quantifiable = False
            else:
                items.append(self._atom())
                quantifiable = True
        return alternatives

    def _atom(self) -> Item:
        text = self.text
        ch = text[self.pos]
        if ch == "\\":
            if text[self.pos + 1] in _ANCHOR_ESCAPES:
                anchor = _ANCHOR_ESCAPES[text[self.pos + 1]]
                self.pos += 2
                return Item(None, anchor)
            if text[self.pos + 1] in "123456789":
                # Java compiles a back reference to a group that does not exist; it never matches.
                self.pos += 2
                return Item(())
            return Item(self._escape())
        if ch == "[":
            return Item(self._class())
        self.pos += 1
        if ch == ".":
            return Item(_ANY_BUT_LINE_TERMINATOR)
        if ch in "^$":
            return Item(None, ch)
        return Item(((ord(ch), ord(ch)),))

    def _quantified(self, item: Item) -> Item:
        text = self.text
        ch = text[self.pos]
        if ch == "{":
            match = _BRACES.match(text, self.pos)
            if match is None or (not match.group(1) and not match.group(3)):
                raise RegexSyntaxError  # Java: "Illegal repetition"
            low_text, comma, high_text = match.groups()
            low = int(low_text or "0")  # `{,n}`: AWS documents that either bound may be omitted
            high = int(high_text) if high_text else (None if comma else low)
            if low > _JAVA_MAX_INT or (high is not None and (high > _JAVA_MAX_INT or low > high)):
                raise RegexSyntaxError
            self.pos = match.end()
        else:
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
            self.pos += 1
        lazy = False
        if self.pos < len(text) and text[self.pos] == "?":
            lazy = True
            self.pos += 1
        elif self.pos < len(text) and text[self.pos] == "+":
            raise RegexSyntaxError  # possessive (a++, a*+, a{2}+): recorded as refused by AWS
        return Item(item.chars, item.anchor, low, high, lazy)

    def _escape(self) -> Ranges:
        """A character or class escape at ``text[pos] == '\\'``; anchors are handled by the caller."""
        text = self.text
        letter = text[self.pos + 1]
        self.pos += 2
        if letter in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[letter]
        code_point = self._escaped_code_point(letter)
        if code_point is None:
            raise RegexSyntaxError
        return ((code_point, code_point),)

    def _escaped_code_point(self, letter: str) -> int | None:
        """The character a ``\\<letter>...`` escape names (``pos`` is past the letter), else None."""
        if letter in _CHARACTER_ESCAPES:
            return _CHARACTER_ESCAPES[letter]
        if letter == "x":
            return self._hex_escape()
        if letter == "u":
            return self._unicode_escape()
        if letter == "0":
            return self._octal_escape()
        if letter == "c":
            if self.pos >= len(self.text):
                raise RegexSyntaxError
            self.pos += 1
            return ord(self.text[self.pos - 1]) ^ 64
        if letter.isascii() and letter.isalnum():
            return None  # \p (recorded), \R, \X, \N, \k, \E ...: not supported
        return ord(letter)

    def _take(self, count: int, digits: frozenset[str]) -> str:
        chunk = self.text[self.pos : self.pos + count]
        if len(chunk) != count or any(d not in digits for d in chunk):
            raise RegexSyntaxError
        self.pos += count
        return chunk

    def _hex_escape(self) -> int:
        text = self.text
        if self.pos < len(text) and text[self.pos] == "{":
            close = text.find("}", self.pos)
            digits = text[self.pos + 1 : close] if close > 0 else ""
            if not digits or any(d not in _HEX for d in digits) or int(digits, 16) > MAX_CODE_POINT:
                raise RegexSyntaxError
            self.pos = close + 1
            return int(digits, 16)
        return int(self._take(2, _HEX), 16)

    def _unicode_escape(self) -> int:
        unit = int(self._take(4, _HEX), 16)
        text = self.text
        if 0xD800 <= unit <= 0xDBFF and text.startswith("\\u", self.pos):
            # Java joins an escaped surrogate pair into one code point.
            saved = self.pos
            self.pos += 2
            try:
                low = int(self._take(4, _HEX), 16)
            except RegexSyntaxError:
                low = -1
            if 0xDC00 <= low <= 0xDFFF:
                return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            self.pos = saved
        return unit

    def _octal_escape(self) -> int:
        first = self._take(1, _OCTAL)
        digits = first
        text = self.text
        if self.pos < len(text) and text[self.pos] in _OCTAL:
            digits += text[self.pos]
            self.pos += 1
            if first <= "3" and self.pos < len(text) and text[self.pos] in _OCTAL:
                digits += text[self.pos]
                self.pos += 1
        return int(digits, 8)

    def _class(self) -> Ranges:
        """A class at ``text[pos] == '['`` with Java 9+ rules (nested classes are unions)."""
        text = self.text
        n = len(text)
        # One frame per open '[': whether it is negated, and what it holds so far (None: nothing yet,
        # which makes a ']' literal).
        stack: list[tuple[bool, Ranges | None]] = []
        self.pos += 1
        negated = self.pos < n and text[self.pos] == "^"
        if negated:
            self.pos += 1
        held: Ranges | None = None
        while True:
            if self.pos >= n:
                raise RegexSyntaxError  # unclosed class
            ch = text[self.pos]
            if ch == "[":
                stack.append((negated, held))
                self.pos += 1
                negated = self.pos < n and text[self.pos] == "^"
                if negated:
                    self.pos += 1
                held = None
                continue
            if ch == "]" and held is not None:
                self.pos += 1
                finished = complement(held) if negated else held
                if not stack:
                    return finished
                negated, outer = stack.pop()
                held = finished if outer is None else _union(outer, finished)
                continue
            member = self._class_member()
            held = member if held is None else _union(held, member)

    def _class_member(self) -> Ranges:
        """A character, range or class escape inside ``[...]``."""
        text = self.text
        n = len(text)
        if text[self.pos] == "\\":
            letter = text[self.pos + 1]
            if letter in _CLASS_ESCAPES:
                self.pos += 2
                return _CLASS_ESCAPES[letter]
            start = self._class_character()
        else:
            start = ord(text[self.pos])
            self.pos += 1
        if self.pos < n and text[self.pos] == "-":
            after = text[self.pos + 1] if self.pos + 1 < n else ""
            if after in ("[", "]"):
                return ((start, start),)  # the '-' is read next, as a literal
            if not after:
                raise RegexSyntaxError
            self.pos += 1
            end = self._class_character() if after == "\\" else self._plain_class_character()
            if end < start:
                raise RegexSyntaxError  # reversed range: recorded as refused by AWS
            return ((start, end),)
        return ((start, start),)

    def _plain_class_character(self) -> int:
        self.pos += 1
        return ord(self.text[self.pos - 1])

    def _class_character(self) -> int:
        """An escape naming one character inside a class (``pos`` at the backslash)."""
        letter = self.text[self.pos + 1]
        self.pos += 2
        code_point = self._escaped_code_point(letter)
        if code_point is None:
            raise RegexSyntaxError  # \d as a range bound, \b in a class, unknown escapes
        return code_point


def parse_regex(source: str) -> Alternatives:
    """Read a CloudWatch regular expression (the text between the percent signs)."""
    return _Parser(source).parse()
