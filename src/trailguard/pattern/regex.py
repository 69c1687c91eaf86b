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
- Java's ``$`` also holds before a final line terminator, which RE2 cannot test (no lookahead); for
  texts ending with one, what follows ``$`` is settled in advance (``_sequence_text``);
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


def compile_regex(source: str, pattern: str, position: int) -> CloudWatchRegex:
    """Validate and compile the text between the percent signs (already lexed by ``scan_regex``); a regex that
    does not compile is AWS's "Failed to compile regular expression." at ``position`` of ``pattern``."""
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


def _sequence_text(items: list[Item], line_end: str) -> str:
    """One alternative as RE2 text, for texts whose ending is ``line_end`` (see ``_line_end_kind``).

    Java's ``$`` holds at the end of the text and before a final line terminator; RE2 has no
    lookahead to test the latter. But once ``$`` (or ``\\z``) holds, only the text's final terminator
    (one character, or ``\\r\\n``) can follow, so whatever the alternative asks after it is settled
    here, for each tail and each kind of character before it, and the alternative is written as what
    comes before the anchor followed by the tails that work, up to the end of the text.
    """
    first_end = next((i for i, item in enumerate(items) if item.anchor in ("$", "z") and item.low > 0), None)
    if first_end is None or line_end == _NO_TERMINATOR:
        return _items_text(items)
    head = _items_text(items[:first_end])
    anchor = items[first_end].anchor
    rest = items[first_end + 1 :]
    tails = [""] if anchor == "z" else _LINE_END_TAILS[line_end]
    branches = [_tail_text(rest, tail) for tail in tails]
    working = [branch for branch in branches if branch is not None]
    return head + ("(?:" + "|".join(working) + ")" if working else _set_text(()))


def _items_text(items: list[Item]) -> str:
    out: list[str] = []
    for item in items:
        if item.chars is None:
            if item.low > 0:  # an anchor repeated at least once is the anchor; zero times, nothing
                out.append(_ANCHOR_TEXT[item.anchor])
            continue
        atom = _set_text(minus(item.chars, _SURROGATES))
        out.append(_repeat_text(atom, item.low, item.high, item.lazy))
    return "".join(out)


# What a text ends with, for ``$``: no line terminator, one (not the \n of a final \r\n), or \r\n.
_NO_TERMINATOR: Final = ""
_ONE_TERMINATOR: Final = "one"
_CRLF: Final = "crlf"
# Where ``$`` may hold, as the text that follows that position: before the final terminator, at the end.
_LINE_END_TAILS: Final = {_ONE_TERMINATOR: [*sorted(_LINE_TERMINATOR_TEXT), ""], _CRLF: ["\r\n", ""]}
_ANCHOR_TEXT: Final = {"^": "^", "$": "\\z", "z": "\\z", "b": "\\b", "B": "\\B"}
_BEFORE_KINDS: Final = ("start", "word", "other")  # what precedes the anchor: nothing, \w, anything else


def _line_end_kind(text: str) -> str:
    if not text or text[-1] not in _LINE_TERMINATOR_TEXT:
        return _NO_TERMINATOR
    return _CRLF if text.endswith("\r\n") else _ONE_TERMINATOR


def _tail_text(rest: list[Item], tail: str) -> str | None:
    """RE2 text for "the anchor holds here, ``tail`` ends the text, and ``rest`` matches a prefix of it"."""
    before = {kind for kind in _BEFORE_KINDS if _matches_prefix(rest, tail, kind)}
    if not before:
        return None
    # \b and \B at this position see the character before it (what follows is a terminator or nothing,
    # never a word character); ^ tells the start apart. "other" working implies "start" working.
    if {"word", "other"} <= before:
        condition = ""
    elif before == {"word"}:
        condition = "\\b"
    elif before == {"start"}:
        condition = "^"
    elif "other" in before:
        condition = "\\B"
    else:
        condition = "(?:\\b|^)"
    return condition + "".join(_code_point_text(ord(ch)) for ch in tail) + "\\z"


def _matches_prefix(items: list[Item], tail: str, before: str) -> bool:
    """Whether ``items`` match a prefix of ``tail`` (the end of the text), preceded by ``before``."""
    # The positions in the tail where $ holds: before its terminator(s), and at the end.
    dollar = {0, len(tail)} if tail else {0}

    def holds(anchor: str, at: int) -> bool:
        if anchor == "^":
            return at == 0 and before == "start"
        if anchor == "$":
            return at in dollar
        if anchor == "z":
            return at == len(tail)
        # Terminators are not word characters: only the character before the tail can be one.
        boundary = at == 0 and before == "word"
        return boundary if anchor == "b" else not boundary

    reached = {0}  # positions in the tail after the items so far
    for item in items:
        following: set[int] = set()
        for at in reached:
            if item.chars is None:
                if item.low == 0 or holds(item.anchor, at):
                    following.add(at)
                continue
            count = 0
            while True:
                if count >= item.low:
                    following.add(at + count)
                if (item.high is not None and count >= item.high) or at + count >= len(tail):
                    break
                if not contains(item.chars, ord(tail[at + count])):
                    break
                count += 1
        reached = following
        if not reached:
            return False
    return True


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

    __slots__ = ("_data", "_regex", "_span", "string")

    # Positional only, and no more work than storing: searches build one per match on the hot path.
    def __init__(
        self, string: str, span: tuple[int, int] | None, data: bytes | None, regex: CloudWatchRegex | None
    ) -> None:
        self.string = string
        self._span = span  # character offsets; byte offsets into ``data`` while ``data`` is kept
        self._data = data  # the UTF-8 text RE2 searched
        self._regex = regex  # or: the expression that locates the match again (see _locate)

    def span(self) -> tuple[int, int]:
        data = self._data
        if data is not None:
            start, end = self._span or (0, 0)
            self._span = (len(data[:start].decode("utf-8")), len(data[:end].decode("utf-8")))
            self._data = None
        elif self._span is None:
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

    ``search`` is chosen when compiling: ``str.find``/``startswith`` for plain text (and a few
    alternatives of plain texts), which gives the same answer without RE2's fixed cost per call;
    otherwise RE2, after a test that the text holds a literal every match must hold. ``translation``
    is the RE2 expression for texts that do not end with a line terminator; an expression with ``$``
    gets one more for each other kind of ending (``_sequence_text``), compiled when first needed.
    """

    __slots__ = ("_alternatives", "_programs", "_required", "_slow_start", "search", "source", "translation")

    search: Search

    def __init__(self, source: str) -> None:
        self.source = source
        alternatives = parse_regex(source)
        if _expansion(alternatives) > MAX_REPEAT_EXPANSION:
            raise RegexSyntaxError
        self._alternatives = alternatives
        self.translation = self._expression(_NO_TERMINATOR)
        # RE2's unanchored search advances byte by byte, and inside a multi-byte character \B holds
        # (both neighbours are non-word bytes): on texts with such characters an expression with \B
        # runs behind a prefix that consumes whole characters, so that matches start where Java's can.
        self._slow_start = any(item.anchor == "B" for items in alternatives for item in items)
        # Compiled RE2 programs by (kind of line end, behind the prefix, with a capture for the span).
        self._programs: dict[tuple[str, bool, bool], Any] = {}
        main = self._program(_NO_TERMINATOR, False, False)  # compiled now: it holds every expression to RE2's bound
        plain = _plain_texts(alternatives) if len(alternatives) <= _MAX_TEXT_SCANS else None
        if plain is not None:
            self.search = _plain_search(plain)
            return
        literals = tuple(_required_literal(items) for items in alternatives)
        self._required = None if "" in literals or len(literals) > _MAX_TEXT_SCANS else tuple(dict.fromkeys(literals))
        has_dollar = any(item.anchor == "$" and item.low > 0 for items in alternatives for item in items)
        self.search = _re2_search(self, main, has_dollar)

    def _expression(self, line_end: str) -> str:
        return "|".join(_sequence_text(items, line_end) for items in self._alternatives)

    def _program(self, line_end: str, whole_characters: bool, capture: bool) -> Any:
        key = (line_end, whole_characters, capture)
        program = self._programs.get(key)
        if program is None:
            expression = self.translation if line_end == _NO_TERMINATOR else self._expression(line_end)
            if whole_characters or capture:
                prefix = "\\A(?s:.*?)" if whole_characters else ""
                expression = f"{prefix}({expression})" if capture else f"{prefix}(?:{expression})"
            program = self._programs[key] = _re2_compile(expression, capture=capture).Match
        return program

    def _locate(self, text: str) -> tuple[int, int]:
        """The span of the match in ``text`` (known to match), for a search that did not note it."""
        data = _utf8(text)
        match = self._program(_line_end_kind(text), True, True)
        start, end = match(_UNANCHORED, data, 0, len(data))[1]
        return len(data[:start].decode("utf-8")), len(data[:end].decode("utf-8"))

    def __repr__(self) -> str:
        return f"CloudWatchRegex({self.source!r})"


def _re2_search(regex: CloudWatchRegex, main: Any, has_dollar: bool) -> Search:
    required = regex._required
    slow_start = regex._slow_start
    program = regex._program

    def search(text: str) -> RegexMatch | None:
        if required is not None:
            for literal in required:
                if literal in text:
                    break
            else:
                return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            data = _utf8(text)
        match = main
        whole_characters = slow_start and len(data) != len(text)
        if whole_characters or (has_dollar and text and text[-1] in _LINE_TERMINATOR_TEXT):
            match = program(_line_end_kind(text) if has_dollar else _NO_TERMINATOR, whole_characters, False)
        span = match(_UNANCHORED, data, 0, len(data))[0]
        if span[0] < 0:
            return None
        if whole_characters:
            return RegexMatch(text, None, None, regex)  # the match found starts at 0; located if asked for
        return RegexMatch(text, span, data, None)

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
    texts = tuple(text for text, _, _ in plains)
    if all(plain[1:] == (False, "") for plain in plains):
        if len(texts) == 1:
            literal = texts[0]  # the most common case, %ERROR%: one str.find
            size = len(literal)

            def find(text: str) -> RegexMatch | None:
                at = text.find(literal)
                return None if at < 0 else RegexMatch(text, (at, at + size), None, None)

            return find

        def find_any(text: str) -> RegexMatch | None:
            # The leftmost match of any alternative; at equal positions the first alternative, as Java.
            best = -1
            size = 0
            for literal in texts:
                at = text.find(literal)
                if at >= 0 and (best < 0 or at < best):
                    best, size = at, len(literal)
            return None if best < 0 else RegexMatch(text, (best, best + size), None, None)

        return find_any

    starts_only = all(plain[1:] == (True, "") for plain in plains)

    def find_first(text: str) -> RegexMatch | None:
        if starts_only and not text.startswith(texts):
            return None  # %^Delete|^Put%: one startswith answers the usual miss
        best: tuple[int, int] | None = None
        for plain in plains:
            span = _plain_span(text, plain)
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return None if best is None else RegexMatch(text, best, None, None)

    return find_first
