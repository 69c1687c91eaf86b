"""CloudWatch Logs regular expressions (``%...%``): lexing, validation, and matching in linear time.

CloudWatch accepts a documented subset: ASCII letters and digits, the symbols ``: _ # = @ / ; , -``
and space, the operators ``^ $ ? [ ] { } | \\ * + .``, and ``\\xhh`` escapes. Groups, ``!`` and
non-ASCII characters are rejected ("Supported regular expressions (regex) syntax", Amazon CloudWatch
Logs User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html).

Meaning. CloudWatch runs on the JVM, so the reference is ``java.util.regex`` without flags (JDK 19+
for ``\\b``): ``\\d \\w \\s \\b`` are ASCII (``\\s`` is ``[ \\t\\n\\x0B\\f\\r]``), ``.`` stops at the
line terminators ``\\n \\r \\u0085 \\u2028 \\u2029``, ``^`` is the start of the text, ``$`` its end or
the position before a final line terminator (``\\r\\n`` counts as one), the search is unanchored,
character classes nest (``[a[b]]`` is a union; a leading ``^`` negates the whole class), and
``\\Q...\\E`` quotes. Also accepted as in Java: ``\\t \\n \\r \\f \\a \\e \\0ooo \\cX \\x{h...}
\\uhhhh \\h \\H \\v \\V \\A \\z \\Z \\G``, quantified anchors (``^*``), and ``\\1``-``\\9`` (a back
reference to a group that cannot exist: it never matches). ``{,n}`` means ``{0,n}`` as AWS documents.
Refused with AWS's "Failed to compile regular expression.": possessive quantifiers (recorded), ``\\p``
(recorded), reversed ranges (recorded), a quantifier with nothing to repeat, ``{5,2}``, other unknown
escapes (``\\R \\X \\N`` included), and more than ``MAX_REPEAT_EXPANSION`` repeated copies in one
expression (a bound of our own; docs/compatibility.md says why).

Engine. The expression is parsed into alternatives of single-character sets and anchors, then
written out as an RE2 expression (Google RE2, PyPI ``google-re2``) that spells every set as explicit
code-point ranges, so nothing depends on how RE2 reads ``\\s``, ``.`` or ``$``. RE2 runs in time
linear in the text and in memory bounded by ``RE2_MAX_MEM``, so a hostile pattern cannot stall a run
the way a backtracking engine can (``%a*a*a*a*a*a*a*a*b%``).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any, Final

import re2  # type: ignore[import-untyped]

from trailguard.pattern.errors import PatternError, invalid_term

__all__ = [
    "COMPILE_FAILED",
    "MAX_REGEXES",
    "MAX_REPEAT_EXPANSION",
    "RE2_MAX_MEM",
    "TOO_MANY_REGEXES",
    "CloudWatchRegex",
    "RegexMatch",
    "compile_regex",
    "scan_regex",
]

COMPILE_FAILED: Final = "Failed to compile regular expression."
MAX_REGEXES: Final = 2
TOO_MANY_REGEXES: Final = (
    f"Your input has exceeded the maximum of {MAX_REGEXES} regular expressions per filter pattern."
)
# Copies of repeated characters one expression may ask for (`a{2000}` is 2000, `a*` is 1): ten times
# RE2's own cap on a single repetition, far above any real filter, and low enough that the automaton
# stays small and a search stays fast.
MAX_REPEAT_EXPANSION: Final = 10_000
# RE2's budget for one expression's program and its DFA caches (RE2's default).
RE2_MAX_MEM: Final = 8 << 20

_LITERALS: Final = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_ALLOWED: Final = _LITERALS | _OPERATORS
_HEX: Final = frozenset(string.hexdigits)
_OCTAL: Final = frozenset("01234567")
_BRACES: Final = re.compile(r"\{(\d*)(,?)(\d*)\}")
_JAVA_MAX_INT: Final = 2**31 - 1
_RE2_MAX_REPEAT: Final = 1000  # RE2 refuses {n} with n > 1000


def scan_regex(pattern: str, start: int) -> int:
    """Lex the ``%...%`` starting at ``pattern[start] == '%'``; return the index after the closing ``%``.

    Raises the error AWS raises for a character outside the allowed set: the term it quotes runs
    from the opening ``%`` through the offending character.
    """
    i = start + 1
    end = len(pattern)
    while i < end:
        ch = pattern[i]
        if ch == "%":
            if i == start + 1:  # an empty regex
                raise PatternError(invalid_term(pattern[start : i + 1]), pattern, i)
            return i + 1
        if ch == "\\":
            if i + 1 >= end:
                raise PatternError(invalid_term(pattern[start:end]), pattern, end - 1)
            nxt = pattern[i + 1]
            if nxt not in _ALLOWED:
                raise PatternError(invalid_term(pattern[start : i + 2]), pattern, i + 1)
            i += 2
            continue
        if ch not in _ALLOWED:
            raise PatternError(invalid_term(pattern[start : i + 1]), pattern, i)
        i += 1
    # Ran off the end without a closing '%'.
    raise PatternError(invalid_term(pattern[start:end]), pattern, end - 1 if end > start else start)


def compile_regex(source: str, pattern: str, position: int) -> Any:
    """Validate and compile the text between the percent signs (already lexed by ``scan_regex``).

    Returns a ``CloudWatchRegex``. The declared type is ``Any`` only so that callers still annotated
    with ``re.Pattern[str]`` (the previous engine) keep type-checking; they use ``.search(text)``.
    """
    return compile_cloudwatch_regex(source, pattern, position)


def compile_cloudwatch_regex(source: str, pattern: str, position: int) -> CloudWatchRegex:
    """``compile_regex`` with its precise type."""
    try:
        return CloudWatchRegex(source)
    except _Invalid:
        raise PatternError(COMPILE_FAILED, pattern, position) from None


# -- character sets: sorted, disjoint, inclusive code-point ranges ----------------------------------

Ranges = tuple[tuple[int, int], ...]
_MAX_CODE_POINT: Final = 0x10FFFF


def _normalise(ranges: list[tuple[int, int]] | Ranges) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    next_low = 0
    for low, high in ranges:
        if low > next_low:
            result.append((next_low, low - 1))
        next_low = high + 1
    if next_low <= _MAX_CODE_POINT:
        result.append((next_low, _MAX_CODE_POINT))
    return tuple(result)


def _union(first: Ranges, second: Ranges) -> Ranges:
    return _normalise(first + second)


def _minus(ranges: Ranges, removed: Ranges) -> Ranges:
    return _complement(_union(_complement(ranges), removed))


def _contains(ranges: Ranges, code_point: int) -> bool:
    return any(low <= code_point <= high for low, high in ranges)


def _chars(text: str) -> Ranges:
    return _normalise([(ord(ch), ord(ch)) for ch in text])


_DIGIT: Final = _chars(string.digits)
_WORD: Final = _chars(string.ascii_letters + string.digits + "_")
_SPACE: Final = _chars(" \t\n\x0b\f\r")  # Java's \s: RE2's lacks \x0B
_HORIZONTAL_SPACE: Final = _normalise([*_chars(" \t\xa0\u1680\u180e\u202f\u205f\u3000"), (0x2000, 0x200A)])
_VERTICAL_SPACE: Final = _chars("\n\x0b\f\r\x85\u2028\u2029")
_LINE_TERMINATORS: Final = _chars("\n\r\x85\u2028\u2029")
_ANY_BUT_LINE_TERMINATOR: Final = _complement(_LINE_TERMINATORS)  # Java's '.' without DOTALL
_SURROGATES: Final = ((0xD800, 0xDFFF),)  # not characters in UTF-8, so RE2 cannot match them
_LINE_TERMINATOR_TEXT: Final = frozenset("\n\r\x85\u2028\u2029")

_CLASS_ESCAPES: Final[dict[str, Ranges]] = {
    "d": _DIGIT,
    "D": _complement(_DIGIT),
    "w": _WORD,
    "W": _complement(_WORD),
    "s": _SPACE,
    "S": _complement(_SPACE),
    "h": _HORIZONTAL_SPACE,
    "H": _complement(_HORIZONTAL_SPACE),
    "v": _VERTICAL_SPACE,
    "V": _complement(_VERTICAL_SPACE),
}
_CHARACTER_ESCAPES: Final = {"t": 0x09, "n": 0x0A, "r": 0x0D, "f": 0x0C, "a": 0x07, "e": 0x1B}
# Zero-width escapes outside classes: \A and \G (a fresh search) are ^, \Z is $, \z the very end.
_ANCHOR_ESCAPES: Final = {"b": "b", "B": "B", "A": "^", "G": "^", "Z": "$", "z": "z"}


# -- parsing ----------------------------------------------------------------------------------------


class _Invalid(Exception):
    """The expression does not compile (AWS: "Failed to compile regular expression.")."""


@dataclass(frozen=True, slots=True)
class _Item:
    """One element of an alternative: a set of characters, or an anchor (``^ $ z b B``), repeated."""

    chars: Ranges | None
    anchor: str = ""
    low: int = 1
    high: int | None = 1  # None: unbounded
    lazy: bool = False


_Alternatives = list[list[_Item]]


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
    """Reads the CloudWatch subset with java.util.regex's rules into ``_Alternatives``."""

    def __init__(self, source: str) -> None:
        self.text = _remove_quoting(source)
        self.pos = 0

    def parse(self) -> _Alternatives:
        text = self.text
        n = len(text)
        alternatives: _Alternatives = [[]]
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
                    raise _Invalid  # nothing to repeat, or a quantifier after a quantifier
                items[-1] = self._quantified(items[-1])
                quantifiable = False
            else:
                items.extend(self._atom())
                quantifiable = bool(items)
        return alternatives

    def _atom(self) -> list[_Item]:
        text = self.text
        ch = text[self.pos]
        if ch == "\\":
            if text[self.pos + 1] in _ANCHOR_ESCAPES:
                anchor = _ANCHOR_ESCAPES[text[self.pos + 1]]
                self.pos += 2
                return [_Item(None, anchor)]
            if text[self.pos + 1] in "123456789":
                # Java compiles a back reference to a group that does not exist; it never matches.
                self.pos += 2
                return [_Item(())]
            return [_Item(self._escape())]
        if ch == "[":
            return [_Item(self._class())]
        self.pos += 1
        if ch == ".":
            return [_Item(_ANY_BUT_LINE_TERMINATOR)]
        if ch in "^$":
            return [_Item(None, ch)]
        return [_Item(((ord(ch), ord(ch)),))]

    def _quantified(self, item: _Item) -> _Item:
        text = self.text
        ch = text[self.pos]
        if ch == "{":
            match = _BRACES.match(text, self.pos)
            if match is None or (not match.group(1) and not match.group(3)):
                raise _Invalid  # Java: "Illegal repetition"
            low_text, comma, high_text = match.groups()
            low = int(low_text or "0")  # `{,n}`: AWS documents that either bound may be omitted
            high = int(high_text) if high_text else (None if comma else low)
            if low > _JAVA_MAX_INT or (high is not None and (high > _JAVA_MAX_INT or low > high)):
                raise _Invalid
            self.pos = match.end()
        else:
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
            self.pos += 1
        lazy = False
        if self.pos < len(text) and text[self.pos] == "?":
            lazy = True
            self.pos += 1
        elif self.pos < len(text) and text[self.pos] == "+":
            raise _Invalid  # possessive (a++, a*+, a{2}+): recorded as refused by AWS
        return _Item(item.chars, item.anchor, low, high, lazy)

    def _escape(self) -> Ranges:
        """A character or class escape at ``text[pos] == '\\'``; anchors are handled by the caller."""
        text = self.text
        letter = text[self.pos + 1]
        self.pos += 2
        if letter in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[letter]
        code_point = self._escaped_code_point(letter)
        if code_point is None:
            raise _Invalid
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
                raise _Invalid
            self.pos += 1
            return ord(self.text[self.pos - 1]) ^ 64
        if letter.isascii() and letter.isalnum():
            return None  # \p (recorded), \R, \X, \N, \k, \E ...: not supported
        return ord(letter)

    def _take(self, count: int, digits: frozenset[str]) -> str:
        chunk = self.text[self.pos : self.pos + count]
        if len(chunk) != count or any(d not in digits for d in chunk):
            raise _Invalid
        self.pos += count
        return chunk

    def _hex_escape(self) -> int:
        text = self.text
        if self.pos < len(text) and text[self.pos] == "{":
            close = text.find("}", self.pos)
            digits = text[self.pos + 1 : close] if close > 0 else ""
            if not digits or any(d not in _HEX for d in digits) or int(digits, 16) > _MAX_CODE_POINT:
                raise _Invalid
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
            except _Invalid:
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
                raise _Invalid  # unclosed class
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
                finished = _complement(held) if negated else held
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
                raise _Invalid
            self.pos += 1
            end = self._class_character() if after == "\\" else self._plain_class_character()
            if end < start:
                raise _Invalid  # reversed range: recorded as refused by AWS
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
            raise _Invalid  # \d as a range bound, \b in a class, unknown escapes
        return code_point


# -- writing the RE2 expression ---------------------------------------------------------------------


def _expansion(alternatives: _Alternatives) -> int:
    """How many copies of repeated characters the expression asks RE2 to lay out."""
    total = 0
    for items in alternatives:
        for item in items:
            if item.chars is not None:
                total += item.high if item.high is not None else item.low + 1
    return total


def _code_point_text(code_point: int) -> str:
    ch = chr(code_point)
    if ch.isascii() and (ch.isalnum() or ch in "_ "):
        return ch
    return f"\\x{{{code_point:X}}}"


def _set_text(ranges: Ranges) -> str:
    if not ranges:
        return "[^\\x00-\\x{10FFFF}]"  # matches nothing
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _code_point_text(ranges[0][0])
    parts = [
        _code_point_text(low) if low == high else f"{_code_point_text(low)}-{_code_point_text(high)}"
        for low, high in ranges
    ]
    return "[" + "".join(parts) + "]"


def _repeat_text(atom: str, low: int, high: int | None, lazy: bool) -> str:
    """``atom{low,high}`` in pieces RE2 accepts (it refuses counts above 1000, even nested)."""
    suffix = "?" if lazy else ""
    if high == 0:
        return ""
    if low <= _RE2_MAX_REPEAT and (high is None or high <= _RE2_MAX_REPEAT):
        if (low, high) == (1, 1):
            return atom
        quantifier = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
        if quantifier is None:
            quantifier = f"{{{low}}}" if low == high else f"{{{low},{'' if high is None else high}}}"
        return atom + quantifier + suffix
    # x{m,n} is x{1000}...x{m mod 1000} then x{0,1000}... up to n: for one character the same language.
    pieces: list[str] = []
    mandatory = low
    while mandatory > 0:
        count = min(mandatory, _RE2_MAX_REPEAT)
        pieces.append(f"{atom}{{{count}}}{suffix}")
        mandatory -= count
    if high is None:
        pieces.append(f"{atom}*{suffix}")
    else:
        optional = high - low
        while optional > 0:
            count = min(optional, _RE2_MAX_REPEAT)
            pieces.append(f"{atom}{{0,{count}}}{suffix}")
            optional -= count
    return "".join(pieces)


def _sequence_text(items: list[_Item], marker: int | None) -> str:
    """One alternative as RE2 text; with ``marker``, for the marked text of ``_mark_line_end``."""
    out: list[str] = []
    anchors: set[str] = set()  # the run of zero-width items since the last character

    def flush() -> None:
        out.extend(text for anchor, text in (("^", "^"), ("b", "\\b"), ("B", "\\B")) if anchor in anchors)
        if marker is None:
            if anchors & {"$", "z"}:
                out.append("\\z")
        elif "z" in anchors:
            out.append(f"{_code_point_text(marker)}\\z")
        elif "$" in anchors:
            # Last in its run: the marker it consumes stands where the line end is, so anchors after
            # it in the same run must be tested before it (zero-width items commute).
            out.append(_code_point_text(marker))
        anchors.clear()

    for item in items:
        if item.chars is None:
            if item.low > 0:  # an anchor repeated at least once is the anchor; zero times, nothing
                anchors.add(item.anchor)
            continue
        flush()
        chars = item.chars
        atom = _set_text(_minus(chars, _SURROGATES))
        if marker is not None:
            atom = _set_text(_minus(chars, ((marker, marker), *_SURROGATES)))
            if any(_contains(chars, ord(t)) for t in _LINE_TERMINATOR_TEXT):
                atom = f"(?:{_code_point_text(marker)}?{atom})"
        out.append(_repeat_text(atom, item.low, item.high, item.lazy))
    flush()
    return "".join(out)


def _required_literal(items: list[_Item]) -> str:
    """The longest text every match of this alternative contains (for a cheap test before RE2)."""
    best = ""
    run: list[str] = []
    for item in items:
        chars = item.chars
        if chars is None:
            continue  # anchors consume nothing: the characters around them stay adjacent
        single = len(chars) == 1 and chars[0][0] == chars[0][1]
        if single and item.low > 0:
            run.append(chr(chars[0][0]) * item.low)
            if item.high == item.low:
                continue
        if len("".join(run)) > len(best):
            best = "".join(run)
        run = []
    if len("".join(run)) > len(best):
        best = "".join(run)
    return best


def _choose_marker(alternatives: _Alternatives) -> int:
    """A private-use code point that, with the next one, no set of the expression tells apart."""
    sets = [item.chars for items in alternatives for item in items if item.chars is not None]
    candidate = 0xF0000
    while any(_contains(ranges, candidate) != _contains(ranges, candidate + 1) for ranges in sets):
        candidate += 2
    return candidate


def _options(*, capture: bool) -> Any:
    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    options.never_capture = not capture
    return options


def _re2_compile(expression: str, *, capture: bool) -> Any:
    compiled = re2._re2.RE2(expression.encode("utf-8"), _options(capture=capture))
    if not compiled.ok():
        raise _Invalid  # in practice: over RE2_MAX_MEM
    return compiled


_UNANCHORED: Final = re2._re2.RE2.Anchor.UNANCHORED


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (a JVM string can hold them, UTF-8 cannot): U+FFFD is in exactly the same
        # sets of the CloudWatch subset as a lone surrogate unless the expression names one by \u.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


class RegexMatch:
    """A match of a ``CloudWatchRegex``; character offsets are worked out only when asked for."""

    __slots__ = ("_data", "_end", "_marker", "_start", "string")

    def __init__(self, string: str, data: bytes, start: int, end: int, marker: bytes | None) -> None:
        self.string = string
        self._data = data
        self._start = start
        self._end = end
        self._marker = marker

    def _offset(self, byte_offset: int) -> int:
        prefix = self._data[:byte_offset]
        offset = len(prefix.decode("utf-8"))
        if self._marker is not None:
            offset -= prefix.count(self._marker)
        return offset

    def span(self) -> tuple[int, int]:
        return self._offset(self._start), self._offset(self._end)

    def start(self) -> int:
        return self._offset(self._start)

    def end(self) -> int:
        return self._offset(self._end)

    def group(self) -> str:
        start, end = self.span()
        return self.string[start:end]

    def __repr__(self) -> str:
        return f"<RegexMatch span={self.span()} match={self.group()!r}>"


class CloudWatchRegex:
    """A compiled CloudWatch regular expression; ``search`` finds it anywhere in a text (Java's find).

    ``translation`` is the RE2 expression used for texts that do not end with a line terminator.
    An expression with ``$`` has a second RE2 expression for texts that do (``_mark_line_end``).
    """

    __slots__ = ("_literals", "_marked", "_marker", "_match", "source", "translation")

    def __init__(self, source: str) -> None:
        self.source = source
        alternatives = _Parser(source).parse()
        if _expansion(alternatives) > MAX_REPEAT_EXPANSION:
            raise _Invalid
        self.translation = "|".join(_sequence_text(items, None) for items in alternatives)
        self._match = _re2_compile(self.translation, capture=False).Match
        literals = tuple(_required_literal(items) for items in alternatives)
        self._literals: tuple[str, ...] | None = None if "" in literals else tuple(set(literals))
        self._marked: Any = None
        self._marker = 0
        if any(item.anchor == "$" and item.low > 0 for items in alternatives for item in items):
            self._marker = _choose_marker(alternatives)
            marked = "|".join(_sequence_text(items, self._marker) for items in alternatives)
            # The match may not start just after a marker: that position is the one before it again.
            not_marker = _set_text(_minus(((0, _MAX_CODE_POINT),), ((self._marker, self._marker), *_SURROGATES)))
            self._marked = _re2_compile(f"\\A(?s:(?:.*{not_marker})?)({marked})", capture=True).Match

    def search(self, text: str) -> RegexMatch | None:
        literals = self._literals
        if literals is not None:
            for literal in literals:
                if literal in text:
                    break
            else:
                return None
        if self._marked is not None and text and text[-1] in _LINE_TERMINATOR_TEXT:
            return self._search_marked(text)
        data = _utf8(text)
        spans = self._match(_UNANCHORED, data, 0, len(data))
        start, end = spans[0]
        if start < 0:
            return None
        return RegexMatch(text, data, start, end, None)

    def _search_marked(self, text: str) -> RegexMatch | None:
        marker = chr(self._marker)
        data = _utf8(_mark_line_end(text, marker))
        spans = self._marked(_UNANCHORED, data, 0, len(data))
        start, end = spans[1]
        if start < 0:
            return None
        return RegexMatch(text, data, start, end, marker.encode("utf-8"))

    def __repr__(self) -> str:
        return f"CloudWatchRegex({self.source!r})"


def _mark_line_end(text: str, marker: str) -> str:
    """The text with ``marker`` at every position where Java's ``$`` holds (text ends with a terminator).

    Java's ``$`` (no MULTILINE) holds at the end, before a final line terminator, and before a final
    ``\\r\\n``. RE2 has no lookahead, so the marked expression consumes the marker where ``$`` stands
    and lets every character that could be a terminator be preceded by one. Markers already in the
    text become the next code point, which no set of the expression tells apart (``_choose_marker``).
    """
    text = text.replace(marker, chr(ord(marker) + 1))
    if text.endswith("\r\n"):
        return text[:-2] + marker + "\r\n" + marker
    return text[:-1] + marker + text[-1] + marker
