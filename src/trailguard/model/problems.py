"""Validation problems and the error that carries them.

Every problem names the file, the key path (``alarms[2].Period``), what is wrong and what is allowed,
and, when the input came from a file, the 1-based line (and sometimes column) of the offending value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["ConfigError", "Problem", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (``severity="error"``) or suspicious (``"warning"``) in a configuration.

    ``path`` is the key path inside the document (``""`` for the document itself), ``message`` says what is
    wrong and what is allowed, ``line``/``column`` are 1-based positions in ``file`` when known, and
    ``detail`` is an optional multi-line elaboration (for a filter pattern: the pattern with a caret under
    the offending character) that a CLI may print under the one-line form.
    """

    path: str
    message: str
    line: int | None = None
    severity: Severity = "error"
    file: str | None = None
    column: int | None = None
    detail: str | None = None

    def __str__(self) -> str:
        location = self.file or ""
        if self.line is not None:
            location = f"{location}:{self.line}" if location else f"line {self.line}"
            if self.column is not None:
                location += f":{self.column}"
        prefix = f"{location}: " if location else ""
        if self.severity == "warning":
            prefix += "warning: "
        where = f"{self.path}: " if self.path else ""
        return f"{prefix}{where}{self.message}"


class ConfigError(ValueError):
    """A configuration that cannot be used. ``problems`` holds the errors (at least one), ``warnings`` the
    warnings found alongside them; ``str()`` gives one line per error, in document order."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.warnings: tuple[Problem, ...] = tuple(warnings)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[tuple[Problem, ...], tuple[Problem, ...]]]:
        return (ConfigError, (self.problems, self.warnings))
