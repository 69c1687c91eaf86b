"""PatternError: an invalid filter pattern, with AWS's wording and a caret under the culprit."""

from __future__ import annotations

__all__ = ["GENERIC_MESSAGE", "PatternError", "invalid_term"]

# AWS's own wording, recorded from live TestMetricFilter calls.
GENERIC_MESSAGE = "Invalid metric filter pattern"

_WINDOW = 70  # characters of pattern shown on each side of the caret in long patterns


def invalid_term(term: str) -> str:
    return f"Invalid character(s) in term '{term}'"


class PatternError(ValueError):
    """An invalid filter pattern.

    ``aws_message`` is the message AWS returns for the same pattern (InvalidParameterException);
    ``position`` is the 0-based index of the offending character in the pattern (``None`` when the
    problem is the pattern as a whole); ``str(error)`` adds the pattern with a caret under it.
    """

    def __init__(self, aws_message: str, pattern: str, position: int | None) -> None:
        self.aws_message = aws_message
        self.pattern = pattern
        self.position = position
        super().__init__(self._render())

    def __reduce__(self) -> tuple[type[PatternError], tuple[str, str, int | None]]:
        return (PatternError, (self.aws_message, self.pattern, self.position))

    def _render(self) -> str:
        if self.position is None:
            return f"{self.aws_message}\n  {_printable(self.pattern)}"
        position = min(self.position, len(self.pattern))
        start = max(0, position - _WINDOW)
        end = min(len(self.pattern), position + _WINDOW)
        prefix = "..." if start > 0 else ""
        suffix = "..." if end < len(self.pattern) else ""
        shown = prefix + _printable(self.pattern[start:end]) + suffix
        caret_column = len(prefix) + (position - start)
        return f"{self.aws_message} (at position {position})\n  {shown}\n  {' ' * caret_column}^"


def _printable(text: str) -> str:
    # One display column per character keeps the caret aligned.
    return "".join(ch if ch.isprintable() else " " for ch in text)
