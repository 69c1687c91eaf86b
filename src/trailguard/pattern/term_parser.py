"""Term patterns: ``ERROR``, ``"two words"``, ``?optional``, ``-excluded``."""

from __future__ import annotations

from typing import Final

from trailguard.pattern.ast import Term, TermKind, TermPattern
from trailguard.pattern.cursor import WHITESPACE, Cursor

__all__ = ["parse_terms"]

# Characters an unquoted term may not contain (recorded from AWS: "Invalid character(s) in term").
FORBIDDEN_IN_TERMS: Final = frozenset("!:*/@%")
_PREFIXES: Final = {"?": TermKind.OPTIONAL, "-": TermKind.EXCLUDED}


def parse_terms(cursor: Cursor) -> TermPattern:
    terms: list[Term] = []
    while True:
        cursor.skip_whitespace()
        if cursor.at_end():
            return TermPattern(tuple(terms))
        terms.extend(_read_chunk(cursor))


def _read_chunk(cursor: Cursor) -> list[Term]:
    """One whitespace-separated chunk. Inside a bare word, ``-`` and ``?`` start a new term."""
    terms: list[Term] = []
    while not cursor.at_end() and cursor.peek() not in WHITESPACE:
        kind = TermKind.REQUIRED
        prefix_at = cursor.pos
        if cursor.peek() in _PREFIXES:
            kind = _PREFIXES[cursor.peek()]
            cursor.pos += 1
            if cursor.at_end() or cursor.peek() in WHITESPACE or cursor.peek() in _PREFIXES:
                cursor.fail_term(prefix_at, cursor.pos)
        if cursor.peek() == '"':
            quote_at = cursor.pos
            text = cursor.read_quoted()
            if text == "":
                cursor.fail_term(quote_at, cursor.pos)
            if not cursor.at_end() and cursor.peek() not in WHITESPACE:
                cursor.fail()  # text glued to a closing quote: "ERROR"WARN
            terms.append(Term(text, kind, quoted=True))
            continue
        terms.append(Term(_read_bare(cursor), kind, quoted=False))
    return terms


def _read_bare(cursor: Cursor) -> str:
    start = cursor.pos
    while not cursor.at_end():
        ch = cursor.peek()
        if ch in WHITESPACE or (ch in _PREFIXES and cursor.pos > start):
            break
        if ch == '"':
            cursor.fail()  # a quote opening inside a word
        if ch in FORBIDDEN_IN_TERMS:
            cursor.fail_term(cursor.pos, cursor.pos + 1)
        cursor.pos += 1
    return cursor.text[start : cursor.pos]
