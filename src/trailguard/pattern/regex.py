"""CloudWatch Logs regular expressions (``%...%``): lexing, compiling, and searching in linear time.

CloudWatch accepts a documented subset: ASCII letters and digits, the symbols ``: _ # = @ / ; , -``
and space, the operators ``^ $ ? [ ] { } | \\ * + .``, and ``\\xhh`` escapes. Groups, ``!`` and
non-ASCII characters are rejected ("Supported regular expressions (regex) syntax", Amazon CloudWatch
Logs User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html).
``scan_regex`` applies those rules while lexing a filter pattern.

The meaning is java.util.regex's without flags (CloudWatch runs on the JVM); ``regex_syntax`` reads
the expression with Java's rules into alternatives of character sets and anchors. This module writes
them out for Google RE2 (PyPI ``google-re2``), which searches in time linear in the text, so that a
hostile pattern cannot stall a run as it can with a backtracking engine (``%a*a*a*a*a*a*a*a*b%``):

- every set becomes explicit code-point ranges, so RE2's own reading of ``\\s`` (no ``\\x0B``), ``.``
  (stops only at ``\\n``) or ``{,n}`` (literal text) never applies;
- counts above RE2's limit of 1000 are laid out side by side (``a{2000}`` is ``a{1000}a{1000}``), up
  to ``MAX_REPEAT_EXPANSION`` copies per expression, and each RE2 program with its DFA cache is bounded
  by ``RE2_MAX_MEM``; beyond the budget the expression is refused like one AWS cannot compile;
- Java's ``$`` also holds before a final line terminator; RE2 has no lookahead, so a text ending with
  one is searched with a marker character where ``$`` holds, which the expression consumes
  (``_mark_line_end``);
- ``\\B`` is kept from holding inside a multi-byte character (RE2 searches UTF-8 bytes).

``compile_regex`` returns a ``CloudWatchRegex`` whose ``search(text)`` returns a ``RegexMatch`` or
None. docs/compatibility.md lists every decision and its reason.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any, Final

import re2  # type: ignore[import-untyped]

from trailguard.pattern.errors import PatternError, invalid_term
from trailguard.pattern.regex_syntax import (
    MAX_CODE_POINT,
    Alternatives,
    Item,
    Ranges,
    RegexSyntaxError,
    contains,
    minus,
    parse_regex,
)

__all__ = [
    "COMPILE_FAILED",
    "MAX_REGEXES",
    "MAX_REPEAT_EXPANSION",
    "RE2_MAX_MEM",
    "TOO_MANY_REGEXES",
    "CloudWatchRegex",
    "RegexMatch",
    "compile_cloudwatch_regex",
    "compile_regex",
    "scan_regex",
]

COMPILE_FAILED: Final = "Failed to compile regular expression."
MAX_REGEXES: Final = 2
TOO_MANY_REGEXES: Final = (
    f"Your input has exceeded the maximum of {MAX_REGEXES} regular expressions per filter pattern."
)
# Copies that the repetitions of one expression lay out (`a{2000}` is 2000, `a*` is 1, `\d{1,3}` is 3):
# twice RE2's own cap for a single repetition, far above any real filter. Counting is what makes an
# automaton large; up to this bound a search of a 256 KB event stays under a second in the worst case.
MAX_REPEAT_EXPANSION: Final = 2000
# RE2's budget for one expression's program and DFA caches, allocated only as a search needs it. At
# RE2's default (8 MiB) `.{1000}` already exhausts the DFA on hostile text and RE2 falls back to a
# far slower NFA simulation; 64 MiB keeps the DFA in use up to MAX_REPEAT_EXPANSION.
RE2_MAX_MEM: Final = 64 << 20

_LITERALS: Final = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_ALLOWED: Final = _LITERALS | _OPERATORS
_RE2_MAX_REPEAT: Final = 1000  # RE2 refuses {n} with n > 1000
_SURROGATES: Final = ((0xD800, 0xDFFF),)  # not characters in UTF-8, so RE2 cannot match them
_LINE_TERMINATOR_TEXT: Final = frozenset("\n\r\x85\u2028\u2029")
# Up to this many alternatives, separate str.find scans beat one RE2 call; beyond, on long texts, the
# scans add up (120 alternatives over 256 KB took half a second) and RE2's single pass wins.
_MAX_TEXT_SCANS: Final = 8


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
    except RegexSyntaxError:
        raise PatternError(COMPILE_FAILED, pattern, position) from None


# -- writing the RE2 expression ---------------------------------------------------------------------


def _expansion(alternatives: Alternatives) -> int:
    """How many copies of repeated characters the expression asks RE2 to lay out."""
    total = 0
    for items in alternatives:
        for item in items:
            if item.chars is not None and (item.low, item.high) != (1, 1):
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


def _sequence_text(items: list[Item], marker: int | None) -> str:
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
        atom = _set_text(minus(chars, _SURROGATES))
        if marker is not None:
            atom = _set_text(minus(chars, ((marker, marker), *_SURROGATES)))
            if any(contains(chars, ord(t)) for t in _LINE_TERMINATOR_TEXT):
                atom = f"(?:{_code_point_text(marker)}?{atom})"
        out.append(_repeat_text(atom, item.low, item.high, item.lazy))
    flush()
    return "".join(out)


def _required_literal(items: list[Item]) -> str:
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


def _choose_marker(alternatives: Alternatives) -> int:
    """A private-use code point that, with the next one, no set of the expression tells apart."""
    sets = [item.chars for items in alternatives for item in items if item.chars is not None]
    candidate = 0xF0000
    while any(contains(ranges, candidate) != contains(ranges, candidate + 1) for ranges in sets):
        candidate += 2
    return candidate


def _options(*, capture: bool = False) -> Any:
    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    options.never_capture = not capture
    return options


def _re2_compile(expression: str, *, capture: bool = False) -> Any:
    # The binding under google-re2's re-like API: that API's search converts offsets in Python and
    # cost 4-12 µs a call here, the binding's Match about 2 µs (bench/regex_bench.py).
    compiled = re2._re2.RE2(expression.encode("utf-8"), _options(capture=capture))
    if not compiled.ok():
        raise RegexSyntaxError  # in practice: over RE2_MAX_MEM
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
    """A match of a ``CloudWatchRegex`` in ``string``; offsets are worked out only when asked for."""

    __slots__ = ("_bytes", "_data", "_regex", "_span", "string")

    def __init__(
        self,
        string: str,
        span: tuple[int, int] | None = None,
        *,
        data: bytes | None = None,
        byte_span: tuple[int, int] = (0, 0),
        regex: CloudWatchRegex | None = None,
    ) -> None:
        self.string = string
        self._span = span  # character offsets, once known
        self._data = data  # with byte_span: the UTF-8 text RE2 searched and where it matched
        self._bytes = byte_span
        self._regex = regex  # or: the expression that locates the match again (see _locate)

    def span(self) -> tuple[int, int]:
        if self._span is None:
            if self._data is not None:
                data = self._data
                self._span = (
                    len(data[: self._bytes[0]].decode("utf-8")),
                    len(data[: self._bytes[1]].decode("utf-8")),
                )
            else:
                assert self._regex is not None
                self._span = self._regex._locate(self.string)
        return self._span

    def start(self) -> int:
        return self.span()[0]

    def end(self) -> int:
        return self.span()[1]

    def group(self) -> str:
        start, end = self.span()
        return self.string[start:end]

    def __repr__(self) -> str:
        return f"<RegexMatch span={self.span()} match={self.group()!r}>"


Search = Callable[[str], RegexMatch | None]


class CloudWatchRegex:
    """A compiled CloudWatch regular expression; ``search(text)`` finds it anywhere (Java's ``find``).

    ``search`` is chosen when compiling: ``str.find``/``startswith`` for plain text (and alternatives
    of plain texts), which gives the same answer without RE2's fixed cost per call; otherwise RE2,
    after a test that the text holds a literal every match must hold. ``translation`` is the RE2
    expression used for texts that do not end with a line terminator; an expression with ``$`` has
    a second one for texts that do (``_mark_line_end``).
    """

    __slots__ = ("_locators", "_marker", "_sources", "search", "source", "translation")

    search: Search

    def __init__(self, source: str) -> None:
        self.source = source
        alternatives = parse_regex(source)
        if _expansion(alternatives) > MAX_REPEAT_EXPANSION:
            raise RegexSyntaxError
        self.translation = "|".join(_sequence_text(items, None) for items in alternatives)
        self._marker = ""
        # RE2 expressions for the exact span, compiled when a span is first asked for: (plain, marked).
        self._sources: tuple[str, str] = ("", "")
        self._locators: list[Any] = [None, None]
        plain = _plain_texts(alternatives) if len(alternatives) <= _MAX_TEXT_SCANS else None
        if plain is not None:
            _re2_compile(self.translation)  # only to hold every expression to RE2's memory bound
            self.search = _plain_search(plain)
            return
        literals = tuple(_required_literal(items) for items in alternatives)
        required = None if "" in literals or len(literals) > _MAX_TEXT_SCANS else tuple(dict.fromkeys(literals))
        match = _re2_compile(self.translation).Match
        # RE2's unanchored search advances byte by byte, and inside a multi-byte character \B holds
        # (both neighbours are non-word bytes). On texts with such characters, an expression with \B
        # runs behind a prefix that consumes whole characters, so that its matches start where Java's can.
        has_non_boundary = any(item.anchor == "B" for items in alternatives for item in items)
        at_characters = "\\A(?s:.*?)"
        at_characters_match = _re2_compile(f"{at_characters}(?:{self.translation})").Match if has_non_boundary else None
        self._sources = (f"{at_characters}({self.translation})", "")
        marked_match = None
        if any(item.anchor == "$" and item.low > 0 for items in alternatives for item in items):
            marker = _choose_marker(alternatives)
            self._marker = chr(marker)
            marked = "|".join(_sequence_text(items, marker) for items in alternatives)
            # Just after a marker lies a position Java does not have (it is the one before the marker
            # again); only \B can hold there and not before the marker, so only then is it kept out.
            not_marker = _set_text(minus(((0, MAX_CODE_POINT),), ((marker, marker), *_SURROGATES)))
            outside_markers = f"\\A(?s:(?:.*?{not_marker})??)"
            self._sources = (self._sources[0], f"{outside_markers}({marked})")
            marked_match = _re2_compile(f"{outside_markers}(?:{marked})" if has_non_boundary else marked).Match
        self.search = _re2_search(self, match, at_characters_match, marked_match, required)

    def _locate(self, text: str) -> tuple[int, int]:
        """The exact span of the match in ``text`` (known to match), for a search that skipped it."""
        marked = bool(self._marker) and bool(text) and text[-1] in _LINE_TERMINATOR_TEXT
        index = int(marked)
        if self._locators[index] is None:
            self._locators[index] = _re2_compile(self._sources[index], capture=True).Match
        data = _utf8(_mark_line_end(text, self._marker) if marked else text)
        start, end = self._locators[index](_UNANCHORED, data, 0, len(data))[1]
        marker = self._marker.encode("utf-8")

        def offset(byte_offset: int) -> int:
            prefix = data[:byte_offset]
            return len(prefix.decode("utf-8")) - (prefix.count(marker) if marked else 0)

        return offset(start), offset(end)

    def __repr__(self) -> str:
        return f"CloudWatchRegex({self.source!r})"


def _re2_search(
    regex: CloudWatchRegex, match: Any, at_characters: Any, marked: Any, required: tuple[str, ...] | None
) -> Search:
    marker = regex._marker

    def search(text: str) -> RegexMatch | None:
        if required is not None:
            for literal in required:
                if literal in text:
                    break
            else:
                return None
        if marked is not None and text and text[-1] in _LINE_TERMINATOR_TEXT:
            data = _utf8(_mark_line_end(text, marker))
            if marked(_UNANCHORED, data, 0, len(data))[0][0] < 0:
                return None
            return RegexMatch(text, regex=regex)  # the span is located if asked for
        data = _utf8(text)
        if at_characters is not None and len(data) != len(text):
            if at_characters(_UNANCHORED, data, 0, len(data))[0][0] < 0:
                return None
            return RegexMatch(text, regex=regex)
        span = match(_UNANCHORED, data, 0, len(data))[0]
        if span[0] < 0:
            return None
        return RegexMatch(text, data=data, byte_span=span)

    return search


# A plain alternative: its text, whether it starts with ^, and "$", "z" (\z) or "" for its end.
_Plain = tuple[str, bool, str]


def _plain_texts(alternatives: Alternatives) -> tuple[_Plain, ...] | None:
    """The alternatives as plain texts, each optionally after ``^`` and before ``$``, else None."""
    plains: list[_Plain] = []
    for items in alternatives:
        body = [item for item in items if item.low > 0 or item.chars is not None]  # drop ^{0} and the like
        starts = bool(body) and body[0].anchor == "^"
        ends = body[-1].anchor if body and body[-1].anchor in ("$", "z") else ""
        body = body[int(starts) : len(body) - int(bool(ends))]
        chars: list[str] = []
        for item in body:
            ranges = item.chars
            if ranges is None or (item.low, item.high) != (1, 1) or len(ranges) != 1 or ranges[0][0] != ranges[0][1]:
                return None
            if 0xD800 <= ranges[0][0] <= 0xDFFF:
                return None  # a lone surrogate: left to the general path
            chars.append(chr(ranges[0][0]))
        plains.append(("".join(chars), starts, ends))
    return tuple(plains)


def _line_ends(text: str) -> tuple[int, ...]:
    """Where Java's ``$`` holds, leftmost first: before a final ``\r\n`` or line terminator, and the end."""
    end = len(text)
    if text.endswith("\r\n"):
        return (end - 2, end)
    if text and text[-1] in _LINE_TERMINATOR_TEXT:
        return (end - 1, end)
    return (end,)


def _plain_span(text: str, plain: _Plain) -> tuple[int, int] | None:
    body, starts, ends = plain
    size = len(body)
    if not ends:
        if starts:
            return (0, size) if text.startswith(body) else None
        at = text.find(body)
        return None if at < 0 else (at, at + size)
    for end in _line_ends(text) if ends == "$" else (len(text),):
        if (not starts or end == size) and text.endswith(body, 0, end):
            return (end - size, end)
    return None


def _plain_search(plains: tuple[_Plain, ...]) -> Search:
    if len(plains) == 1 and plains[0][1:] == (False, ""):
        literal = plains[0][0]  # the most common case, %ERROR%: one str.find
        size = len(literal)

        def find(text: str) -> RegexMatch | None:
            at = text.find(literal)
            return None if at < 0 else RegexMatch(text, (at, at + size))

        return find

    def find_first(text: str) -> RegexMatch | None:
        # The leftmost match of any alternative; at equal positions the first alternative, as Java.
        best: tuple[int, int] | None = None
        for plain in plains:
            span = _plain_span(text, plain)
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return None if best is None else RegexMatch(text, best)

    return find_first


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
