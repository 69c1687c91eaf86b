"""Reading saved JSON documents: loading a file, telling a replay document from an audit document, and reading
fields with errors that name the field's position (``alarms[2].transitions[5].time: ...``).

The documents are trailguard's own ``--output json`` (the replay writer in ``trailguard.cli.replay_report``; the
audit document specified in docs/audit-document.md), but a saved file may come from anywhere, so nothing in it is
trusted: every field the pages use is checked for its type here, and every text is escaped when rendered.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from trailguard.json_kinds import type_phrase

__all__ = ["DocumentError", "DocumentKind", "Node", "document_kind", "load_document", "parse_time"]

DocumentKind = Literal["replay", "audit"]

_REPLAY_KEYS: Final = ("alarms", "metrics", "filters", "window", "input")
_AUDIT_KEYS: Final = ("controls", "summary")


class DocumentError(ValueError):
    """A document that cannot be read or rendered; the message names the position and the problem."""


def load_document(path: str) -> dict[str, Any]:
    """The JSON object in file ``path`` (``-`` for standard input); DocumentError names the file and the problem."""
    name = "standard input" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DocumentError(f"{name}: is a folder, not a JSON document") from None
    except OSError as error:
        raise DocumentError(f"{name}: cannot be read: {error.strerror or error}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise DocumentError(f"{name}: not valid JSON: {_json_position(data, error)}") from None
    if not isinstance(document, dict):
        raise DocumentError(f"{name}: expected a JSON object, found {type_phrase(document)}")
    return document


def _json_position(data: bytes, error: orjson.JSONDecodeError) -> str:
    text = data.decode("utf-8", errors="replace")
    position = min(max(error.pos, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"{error.msg} (line {line}, column {column})"


def document_kind(document: Mapping[str, Any]) -> DocumentKind:
    """``replay`` or ``audit``, from the document's top-level keys; DocumentError when it is neither."""
    if all(key in document for key in _AUDIT_KEYS):
        return "audit"
    if all(key in document for key in _REPLAY_KEYS):
        return "replay"
    keys = ", ".join(sorted(document)[:8]) or "none"
    raise DocumentError(
        "not a trailguard document: a replay document has the keys "
        f"{', '.join(_REPLAY_KEYS)} and an audit document {', '.join(_AUDIT_KEYS)} (this one has: {keys})"
    )


@lru_cache(maxsize=65_536)
def parse_time(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 time with a zone (``2026-11-20T09:13:00Z``); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return round(moment.timestamp() * 1000)


class Node:
    """A JSON object inside a document, with its position, whose accessors check each field's type."""

    __slots__ = ("path", "value")

    def __init__(self, value: Mapping[str, Any], path: str = "") -> None:
        self.value = value
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _fail(self, key: str, expected: str, found: object) -> DocumentError:
        return DocumentError(f"{self._where(key)}: expected {expected}, found {type_phrase(found)}")

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.value.get(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.value.get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, "a string", value)
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string or null", value)
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.value.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number", value)
        return float(value)

    def optional_number(self, key: str) -> float | None:
        value = self.value.get(key)
        return None if value is None else self.number(key)

    def boolean(self, key: str) -> bool | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._fail(key, "true, false or null", value)
        return value

    def time(self, key: str) -> int:
        text = self.text(key)
        try:
            return parse_time(text)
        except ValueError:
            raise DocumentError(f"{self._where(key)}: expected an ISO 8601 time with a zone, found {text!r}") from None

    def optional_time(self, key: str) -> int | None:
        return None if self.value.get(key) is None else self.time(key)

    def node(self, key: str) -> Node:
        value = self.value.get(key)
        if not isinstance(value, dict):
            raise self._fail(key, "an object", value)
        return Node(value, self._where(key))

    def optional_node(self, key: str) -> Node | None:
        return None if self.value.get(key) is None else self.node(key)

    def items(self, key: str, *, required: bool = True) -> list[Any]:
        value = self.value.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self._fail(key, "a list", value)
        return value

    def nodes(self, key: str, *, required: bool = True) -> Iterator[Node]:
        for index, item in enumerate(self.items(key, required=required)):
            where = f"{self._where(key)}[{index}]"
            if not isinstance(item, dict):
                raise DocumentError(f"{where}: expected an object, found {type_phrase(item)}")
            yield Node(item, where)

    def texts(self, key: str) -> list[str]:
        out = []
        for index, item in enumerate(self.items(key, required=False)):
            if not isinstance(item, str):
                raise DocumentError(f"{self._where(key)}[{index}]: expected a string, found {type_phrase(item)}")
            out.append(item)
        return out

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.value.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._fail(key, "an object", value)
        return value
