"""CloudWatch Logs regular expressions (``%...%``): lexing, validation and translation to Python ``re``.

CloudWatch accepts a documented subset: ASCII letters and digits, the symbols ``: _ # = @ / ; , -``
and space, the operators ``^ $ ? [ ] { } | \\ * + .``, and ``\\xhh`` escapes. Groups, ``!`` and
non-ASCII characters are rejected. The translation keeps the meaning CloudWatch documents (``\\w``
is ``[a-zA-Z_0-9]``, ``.`` stops at a newline, search is unanchored, no flags) and refuses what its
engine refuses (possessive quantifiers, unknown escapes, reversed ranges).
"""

from __future__ import annotations

import re
import string
from typing import Final

from trailguard.pattern.errors import PatternError, invalid_term

__all__ = ["COMPILE_FAILED", "MAX_REGEXES", "TOO_MANY_REGEXES", "compile_regex", "scan_regex"]

COMPILE_FAILED: Final = "Failed to compile regular expression."
MAX_REGEXES: Final = 2
TOO_MANY_REGEXES: Final = (
    f"Your input has exceeded the maximum of {MAX_REGEXES} regular expressions per filter pattern."
)

_LITERALS: Final = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_ALLOWED: Final = _LITERALS | _OPERATORS
_HEX: Final = frozenset(string.hexdigits)
# Escapes with a meaning of their own; any other escaped letter or digit does not compile.
_CLASS_ESCAPES: Final = frozenset("dDsSwW")
_CONTROL_ESCAPES: Final = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f"}
_ASSERTION_ESCAPES: Final = frozenset("bB")
_BRACES: Final = re.compile(r"\{(\d*)(,?)(\d*)\}")


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


def compile_regex(source: str, pattern: str, position: int) -> re.Pattern[str]:
    """Translate and compile the text between the percent signs (already lexed by ``scan_regex``)."""
    try:
        return re.compile(_translate(source), re.ASCII)
    except (re.error, _Invalid):
        raise PatternError(COMPILE_FAILED, pattern, position) from None


class _Invalid(Exception):
    pass


def _translate(source: str) -> str:
    out: list[str] = []
    i = 0
    n = len(source)
    previous_was_quantifier = False
    while i < n:
        ch = source[i]
        if ch == "\\":
            escape, i = _translate_escape(source, i, in_class=False)
            out.append(escape)
            previous_was_quantifier = False
            continue
        if ch == "[":
            cls, i = _translate_class(source, i)
            out.append(cls)
            previous_was_quantifier = False
            continue
        if ch in "*+?":
            if ch == "+" and previous_was_quantifier:
                raise _Invalid  # possessive quantifier (a++, a*+, a{2}+)
            if ch == "?" and previous_was_quantifier:
                out.append("?")  # lazy quantifier
                previous_was_quantifier = False
                i += 1
                continue
            out.append(ch)
            previous_was_quantifier = True
            i += 1
            continue
        if ch == "{":
            quantifier, i = _translate_braces(source, i)
            out.append(quantifier)
            previous_was_quantifier = True
            continue
        if ch == "}" or ch == "]":
            out.append("\\" + ch)
        elif ch == " " or ch in "#=@/;,:-_":
            out.append(re.escape(ch))
        else:  # letters, digits, '.', '^', '$', '|'
            out.append(ch)
        previous_was_quantifier = False
        i += 1
    return "".join(out)


def _translate_braces(source: str, i: int) -> tuple[str, int]:
    match = _BRACES.match(source, i)
    if match is None or (not match.group(1) and not match.group(3)):
        raise _Invalid
    low, comma, high = match.groups()
    if low and high and int(low) > int(high):
        raise _Invalid
    return "{" + (low or "0") + comma + high + "}", match.end()


def _translate_escape(source: str, i: int, *, in_class: bool) -> tuple[str, int]:
    nxt = source[i + 1]
    if nxt == "x":
        digits = source[i + 2 : i + 4]
        if len(digits) != 2 or any(d not in _HEX for d in digits):
            raise _Invalid
        return "\\x" + digits, i + 4
    if nxt in _CLASS_ESCAPES:
        return "\\" + nxt, i + 2
    if nxt in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[nxt], i + 2
    if nxt in _ASSERTION_ESCAPES and not in_class:
        return "\\" + nxt, i + 2
    if nxt.isalnum():
        raise _Invalid  # \p, \q, \1 ...: not an escape the engine knows
    return re.escape(nxt), i + 2


def _translate_class(source: str, i: int) -> tuple[str, int]:
    """Translate ``[...]`` starting at ``source[i] == '['``."""
    out = ["["]
    i += 1
    n = len(source)
    if i < n and source[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < n:
        ch = source[i]
        if ch == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        if ch == "[":
            raise _Invalid  # nested classes (unions) are not translated; see docs/compatibility.md
        if ch == "\\":
            escape, i = _translate_escape(source, i, in_class=True)
            out.append(escape)
        else:
            out.append("\\]" if ch == "]" else ("\\" + ch if ch in "^\\" else ch))
            i += 1
        first = False
    raise _Invalid  # unclosed class
