"""A position in the pattern text, shared by the three family parsers."""

from __future__ import annotations

from typing import NoReturn

from trailguard.pattern.errors import GENERIC_MESSAGE, PatternError, invalid_term

__all__ = ["WHITESPACE", "Cursor"]

WHITESPACE = frozenset(" \t\n\r\f\v")


class Cursor:
    """Reads ``text[pos:end]``; positions are indexes into the whole pattern ``text``."""

    __slots__ = ("depth", "end", "pos", "regex_count", "text")

    def __init__(self, text: str, pos: int, end: int) -> None:
        self.text = text
        self.pos = pos
        self.end = end
        self.regex_count = 0
        self.depth = 0  # parentheses open at the cursor (JSON patterns)

    def at_end(self) -> bool:
        return self.pos >= self.end

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < self.end else ""

    def startswith(self, token: str) -> bool:
        return self.text.startswith(token, self.pos, self.end)

    def skip_whitespace(self) -> None:
        while self.pos < self.end and self.text[self.pos] in WHITESPACE:
            self.pos += 1

    def fail(self, position: int | None = None, message: str = GENERIC_MESSAGE) -> NoReturn:
        raise PatternError(message, self.text, self.pos if position is None else position)

    def fail_term(self, start: int, stop: int, position: int | None = None) -> NoReturn:
        """AWS's "Invalid character(s) in term" naming ``text[start:stop]``."""
        raise PatternError(invalid_term(self.text[start:stop]), self.text, start if position is None else position)

    def read_quoted(self) -> str:
        """Read a ``"..."`` string at the cursor (``\\"`` and ``\\\\`` are escapes) and return its text."""
        start = self.pos
        i = start + 1
        parts: list[str] = []
        while i < self.end:
            ch = self.text[i]
            if ch == "\\" and i + 1 < self.end and self.text[i + 1] in '"\\':
                parts.append(self.text[i + 1])
                i += 2
                continue
            if ch == '"':
                self.pos = i + 1
                return "".join(parts)
            parts.append(ch)
            i += 1
        # Unterminated: AWS names everything from the quote to the end of the pattern.
        self.fail_term(start, len(self.text))
