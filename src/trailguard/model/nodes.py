"""A document tree that remembers where each value came from.

YAML goes through PyYAML's composer (node marks give lines and columns; merge keys ``<<`` are honoured);
JSON goes through a small position-tracking parser so JSON files get JSON's own syntax errors and line
numbers; plain Python objects (``from_api_dict``) become nodes without positions. Validation then works on
one kind of tree whatever the input was.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Literal

import yaml

from trailguard.model.problems import Problem

__all__ = ["Node", "SyntaxProblem", "from_json", "from_python", "from_yaml"]

Kind = Literal["map", "seq", "scalar"]

_MAX_DEPTH = 64
_MAX_NODES = 1_000_000


@dataclass(eq=False)
class Node:
    """One value of the document.

    ``value`` is ``dict[str, Node]`` for a mapping, ``list[Node]`` for a sequence and the Python value for a
    scalar (``str``, ``int``, ``float``, ``bool`` or ``None``). ``raw`` is the source text of an unquoted
    scalar (so ``metricValue: 1.50`` stays ``"1.50"``). ``index`` is the offset in the source text of the
    scalar's first character when the value is spelled out verbatim there (no escapes, no folding), which
    lets a position inside the value be mapped back to a line and column.
    """

    kind: Kind
    value: Any
    line: int | None = None
    column: int | None = None
    raw: str | None = None
    index: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int | None, int | None]] = field(default_factory=list)

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and self.value is None

    def type_name(self) -> str:
        if self.kind == "map":
            return "a mapping"
        if self.kind == "seq":
            return "a list"
        value = self.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "a boolean"
        if isinstance(value, int):
            return "an integer"
        if isinstance(value, float):
            return "a number"
        if isinstance(value, str):
            return "a string"
        return f"a {type(value).__name__}"


class SyntaxProblem(Exception):
    """The document could not be parsed at all."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class LineIndex:
    """Maps offsets in a text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


# --------------------------------------------------------------------------------------------- YAML


def from_yaml(text: str, file: str | None = None) -> Node | None:
    """Parse YAML text; ``None`` for an empty document. Raises :class:`SyntaxProblem`."""
    try:
        # The reader checks the characters as it is built: a NUL or other non-printable character fails here.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:
        raise SyntaxProblem(_yaml_reader_problem(error, text, file)) from None
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            raise SyntaxProblem(_yaml_problem(error, file)) from None
        except yaml.YAMLError as error:
            raise SyntaxProblem(_yaml_reader_problem(error, text, file)) from None
        if root is None:
            return None
        return _YamlConverter(loader, file).convert(root, 0)
    finally:
        if "loader" in locals():
            loader.dispose()


def _yaml_reader_problem(error: yaml.YAMLError, text: str, file: str | None) -> Problem:
    """A reader error (an unacceptable character) carries an offset, not a mark: turn it into line and column."""
    position = getattr(error, "position", None)
    character = getattr(error, "character", None)
    line = column = None
    if isinstance(position, int):
        line, column = LineIndex(text).position(position)
    code = ord(character) if isinstance(character, str) else character
    what = f"the character U+{code:04X} is not allowed" if isinstance(code, int) else str(error)
    return Problem("", f"invalid YAML: {what}", line=line, column=column, file=file)


def _yaml_problem(error: yaml.MarkedYAMLError, file: str | None) -> Problem:
    mark = error.problem_mark or error.context_mark
    what = error.problem or "syntax error"
    if error.context:
        what = f"{what} ({error.context})"
    if error.problem and error.problem.startswith("could not determine a constructor for the tag"):
        what += "; custom tags such as CloudFormation's !Ref are not supported"
    return Problem(
        "",
        f"invalid YAML: {what}",
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        file=file,
    )


class _YamlConverter:
    """Turns composed YAML nodes into :class:`Node` trees.

    An alias converts to the same :class:`Node` as its anchor, but still counts its full size, so a small
    document that expands into millions of values ("billion laughs") is refused quickly.
    """

    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.count = 0
        self.done: dict[int, tuple[Node, int]] = {}

    def convert(self, node: yaml.Node, depth: int) -> Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if depth > _MAX_DEPTH:
            raise SyntaxProblem(Problem("", "the document is nested too deeply", line=line, file=self.file))
        cached = self.done.get(id(node))
        if cached is not None:
            self._add(cached[1], line)
            return cached[0]
        before = self.count
        self._add(1, line)
        result = self._convert(node, line, column, depth)
        self.done[id(node)] = (result, self.count - before)
        return result

    def _add(self, size: int, line: int) -> None:
        self.count += size
        if self.count > _MAX_NODES:
            raise SyntaxProblem(Problem("", "the document expands to too many values", line=line, file=self.file))

    def _convert(self, node: yaml.Node, line: int, column: int, depth: int) -> Node:
        file = self.file
        if isinstance(node, yaml.MappingNode):
            entries: dict[str, Node] = {}
            result = Node("map", entries, line, column)
            first_seen: dict[str, int] = {}
            for key_node, _ in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise SyntaxProblem(
                        Problem("", "invalid YAML: mapping keys must be plain strings", line=key_line, file=file)
                    )
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = str(key_node.value)
                if key in first_seen:
                    result.duplicates.append((key, key_line, first_seen[key]))
                else:
                    first_seen[key] = key_line
            try:
                # Resolves "<<: *anchor" merge keys as safe_load would: merged entries first, so the
                # mapping's own keys override them.
                self.loader.flatten_mapping(node)
            except yaml.MarkedYAMLError as error:
                raise SyntaxProblem(_yaml_problem(error, file)) from None
            for key_node, value_node in node.value:
                key = str(key_node.value)
                entries[key] = self.convert(value_node, depth + 1)
                result.key_lines[key] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            items = [self.convert(item, depth + 1) for item in node.value]
            return Node("seq", items, line, column)
        assert isinstance(node, yaml.ScalarNode)
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as error:
            raise SyntaxProblem(_yaml_problem(error, file)) from None
        except ValueError:
            # Python refuses to convert integers of more than 4,300 digits (a guard against slow conversions).
            raise SyntaxProblem(
                Problem("", "a number with thousands of digits; allowed: numbers AWS accepts", line=line, file=file)
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            value = str(node.value)  # ".nan"/".inf" are kept as text and rejected by the number checks
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(node.value)  # timestamps, binary: keep the text
        raw = str(node.value) if node.style is None and value is not None else None
        return Node("scalar", value, line, column, raw=raw, index=_verbatim_index(node, value))


def _verbatim_index(node: yaml.ScalarNode, value: object) -> int | None:
    if not isinstance(value, str):
        return None
    start, end = node.start_mark, node.end_mark
    buffer = start.buffer
    if buffer is None or start.line != end.line:
        return None
    text = buffer[start.pointer : end.pointer]
    if node.style is None and text == value:
        return start.index
    if node.style in ("'", '"') and text[1:-1] == value:
        return start.index + 1
    return None


# --------------------------------------------------------------------------------------------- JSON

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def from_json(text: str, file: str | None = None) -> Node | None:
    """Parse JSON text; ``None`` for an empty document. Raises :class:`SyntaxProblem` with JSON's own
    message, line and column."""
    if not text.strip():
        return None
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise SyntaxProblem(
            Problem("", f"invalid JSON: {error.msg}", line=error.lineno, column=error.colno, file=file)
        ) from None
    except ValueError as error:  # NaN / Infinity
        raise SyntaxProblem(Problem("", f"invalid JSON: {error}", file=file)) from None
    except RecursionError:
        raise SyntaxProblem(Problem("", "the document is nested too deeply", file=file)) from None
    parser = _JsonParser(text, file)
    parser.skip()
    return parser.value(0)


class _JsonParser:
    """Walks JSON that ``json.loads`` has already accepted, recording where each value starts."""

    def __init__(self, text: str, file: str | None) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        self.lines = LineIndex(text)

    def skip(self) -> None:
        match = _WHITESPACE.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()

    def value(self, depth: int) -> Node:
        line, column = self.lines.position(self.pos)
        if depth > _MAX_DEPTH:
            raise SyntaxProblem(Problem("", "the document is nested too deeply", line=line, file=self.file))
        char = self.text[self.pos]
        if char == "{":
            return self._object(line, column, depth)
        if char == "[":
            return self._array(line, column, depth)
        if char == '"':
            start = self.pos + 1
            string, self.pos = scanstring(self.text, start)
            index = start if self.text[start : self.pos - 1] == string else None
            return Node("scalar", string, line, column, index=index)
        for literal, python in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(literal, self.pos):
                self.pos += len(literal)
                return Node("scalar", python, line, column)
        match = _NUMBER.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()
        raw = match.group(0)
        number: int | float = float(raw) if match.group(1) or match.group(2) else int(raw)
        if isinstance(number, float) and not math.isfinite(number):
            return Node("scalar", raw, line, column, raw=raw)
        return Node("scalar", number, line, column, raw=raw)

    def _object(self, line: int, column: int, depth: int) -> Node:
        entries: dict[str, Node] = {}
        result = Node("map", entries, line, column)
        self.pos += 1
        self.skip()
        if self.text[self.pos] == "}":
            self.pos += 1
            return result
        while True:
            key_line, _ = self.lines.position(self.pos)
            key, self.pos = scanstring(self.text, self.pos + 1)
            self.skip()
            self.pos += 1  # ':'
            self.skip()
            if key in entries:
                result.duplicates.append((key, key_line, result.key_lines.get(key)))
            entries[key] = self.value(depth + 1)
            result.key_lines.setdefault(key, key_line)
            self.skip()
            if self.text[self.pos] == "}":
                self.pos += 1
                return result
            self.pos += 1  # ','
            self.skip()

    def _array(self, line: int, column: int, depth: int) -> Node:
        items: list[Node] = []
        self.pos += 1
        self.skip()
        if self.text[self.pos] == "]":
            self.pos += 1
            return Node("seq", items, line, column)
        while True:
            items.append(self.value(depth + 1))
            self.skip()
            if self.text[self.pos] == "]":
                self.pos += 1
                return Node("seq", items, line, column)
            self.pos += 1  # ','
            self.skip()


# --------------------------------------------------------------------------------------------- Python


def from_python(value: object, depth: int = 0) -> Node:
    """Wrap plain Python data (as boto3 would send it) in nodes without positions."""
    if depth > _MAX_DEPTH:
        raise ValueError("the value is nested too deeply")
    if isinstance(value, Mapping):
        return Node("map", {str(k): from_python(v, depth + 1) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return Node("seq", [from_python(v, depth + 1) for v in value])
    if isinstance(value, bool) or value is None:
        return Node("scalar", value)
    if isinstance(value, int | float):
        return Node("scalar", value, raw=repr(value))
    if isinstance(value, str):
        return Node("scalar", value)
    return Node("scalar", str(value))
