"""Shared machinery for validating a document tree: problem collection, key paths, typed getters.

Messages follow one shape: ``<what is wrong>; allowed: <what is allowed>``, with a ``(did you mean ...?)``
hint for near-miss enum values and keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from trailguard.model.nodes import LineIndex, Node, from_python
from trailguard.model.problems import ConfigError, Problem, Severity

__all__ = ["Checker", "item_path", "key_path", "quote", "show", "validated"]

_T = TypeVar("_T")

_IDENTIFIER = re.compile(r"[A-Za-z_@][A-Za-z0-9_@-]*\Z")


def key_path(path: str, key: str) -> str:
    """``alarms[0]`` + ``Period`` → ``alarms[0].Period``; odd keys are bracketed: ``dimensions['a.b']``."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{quote(key)}]"


def item_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


def quote(text: str, limit: int = 80) -> str:
    """A short single-quoted rendering of a user string for messages."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") + "'"


def show(node: Node) -> str:
    """How a value is shown in a message: strings quoted, numbers as written."""
    if node.kind != "scalar":
        return node.type_name()
    value = node.value
    if isinstance(value, str):
        return quote(value) if node.raw is None else node.raw
    if node.raw is not None:
        return node.raw
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def suggestion(value: str, allowed: Sequence[str]) -> str:
    """`` (did you mean 'Sum'?)`` for a near miss, else ``""``."""
    folded = {a.casefold(): a for a in allowed}
    if value.casefold() in folded:
        return f" (did you mean {quote(folded[value.casefold()])}?)"
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.75)
    return f" (did you mean {quote(close[0])}?)" if close else ""


class Checker:
    """Collects problems for one document."""

    def __init__(self, file: str | None = None, source: str | None = None) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self._lines = LineIndex(source) if source is not None else None

    # -- reporting ------------------------------------------------------------------------------------

    def report(
        self,
        severity: Severity,
        path: str,
        message: str,
        node: Node | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        detail: str | None = None,
    ) -> None:
        if line is None and node is not None:
            line = node.line
        problem = Problem(path, message, line, severity, self.file, column, detail)
        (self.errors if severity == "error" else self.warnings).append(problem)

    def error(
        self,
        path: str,
        message: str,
        node: Node | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.report("error", path, message, node, line=line, column=column, detail=detail)

    def warn(self, path: str, message: str, node: Node | None = None, *, line: int | None = None) -> None:
        self.report("warning", path, message, node, line=line)

    def locate(self, node: Node, offset: int | None) -> tuple[int | None, int | None]:
        """Line and column of character ``offset`` of a string scalar, when it can be known."""
        if offset is None or node.index is None or self._lines is None:
            return node.line, None
        return self._lines.position(node.index + max(offset, 0))

    # -- structure ------------------------------------------------------------------------------------

    def mapping(self, node: Node, path: str, what: str) -> dict[str, Node] | None:
        if node.kind != "map":
            self.error(path, f"must be a mapping ({what}); got {node.type_name()}", node)
            return None
        for key, line, first_line in node.duplicates:
            where = f" (first at line {first_line})" if first_line is not None else ""
            self.error(key_path(path, key), f"duplicate key{where}; a key may appear only once", line=line)
        entries: dict[str, Node] = node.value
        return entries

    def unknown_keys(self, node: Node, path: str, known: Sequence[str], ignored: Collection[str] = ()) -> None:
        for key in node.value:
            if key in known or key in ignored:
                continue
            self.error(
                key_path(path, key),
                f"unknown key{suggestion(key, known)}; allowed: {', '.join(known)}",
                line=node.key_lines.get(key, node.line),
            )

    def required(self, parent: Node, key: str, path: str, hint: str = "") -> Node | None:
        node = self.optional(parent, key)
        if node is None:
            self.error(key_path(path, key), f"is required{hint}", line=parent.key_lines.get(key, parent.line))
        return node

    @staticmethod
    def optional(parent: Node, key: str) -> Node | None:
        node: Node | None = parent.value.get(key)
        if node is None or node.is_null:
            return None
        return node

    # -- scalars --------------------------------------------------------------------------------------

    def string(self, node: Node, path: str) -> str | None:
        if node.kind == "scalar":
            if isinstance(node.value, str):
                return node.value
            if node.raw is not None:  # an unquoted YAML scalar or a JSON number: use the text as written
                return node.raw
        self.error(path, f"must be a string; got {node.type_name()}", node)
        return None

    def integer(self, node: Node, path: str) -> int | None:
        value = node.value
        if node.kind == "scalar" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if node.kind == "scalar" and isinstance(value, float) and value.is_integer():
            self.error(path, f"must be a whole number written without a fraction; got {show(node)}", node)
            return None
        self.error(path, f"must be an integer; got {self._described(node)}", node)
        return None

    def number(self, node: Node, path: str) -> float | None:
        value = node.value
        if node.kind == "scalar" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if node.kind == "scalar" and isinstance(value, str) and node.raw is not None:
            self.error(path, f"must be a finite number; got {node.raw}", node)
            return None
        self.error(path, f"must be a number; got {self._described(node)}", node)
        return None

    def boolean(self, node: Node, path: str) -> bool | None:
        if node.kind == "scalar" and isinstance(node.value, bool):
            return node.value
        self.error(path, f"must be true or false; got {self._described(node)}", node)
        return None

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        if node.kind != "seq":
            self.error(path, f"must be a list ({what}); got {node.type_name()}", node)
            return None
        items: list[Node] = node.value
        return items

    @staticmethod
    def _described(node: Node) -> str:
        if node.kind == "scalar" and isinstance(node.value, str):
            return f"the string {quote(node.value)}"
        if node.kind == "scalar" and node.value is not None:
            return f"{node.type_name()} ({show(node)})"
        return node.type_name()

    # -- common value checks --------------------------------------------------------------------------

    def choice(self, value: str, allowed: Sequence[str], path: str, node: Node, what: str) -> bool:
        if value in allowed:
            return True
        self.error(
            path,
            f"{quote(value)} is not a valid {what}{suggestion(value, allowed)}; allowed: {', '.join(allowed)}",
            node,
        )
        return False

    def length(self, value: str, path: str, node: Node, minimum: int, maximum: int) -> bool:
        if len(value) < minimum:
            if minimum == 1:
                self.error(path, f"must not be empty; allowed: 1 to {maximum} characters", node)
            else:
                self.error(path, f"is {len(value)} characters long; allowed: {minimum} to {maximum}", node)
            return False
        if len(value) > maximum:
            self.error(path, f"is {len(value)} characters long; allowed: at most {maximum}", node)
            return False
        return True


def validated(parse: Callable[[Checker, Node, str], _T | None], data: Mapping[str, Any]) -> _T:
    """One API-shaped request (plain Python data, as boto3 takes and returns it) validated by ``parse``; raises
    ConfigError with every problem."""
    checker = Checker()
    result = parse(checker, from_python(dict(data)), "")
    if checker.errors or result is None:
        raise ConfigError(checker.errors, checker.warnings)
    return result
