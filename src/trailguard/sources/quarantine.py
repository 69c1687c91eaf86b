"""Where bad input goes: counted, kept for the report, and appended to a JSON-lines file as it arrives."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import orjson

__all__ = ["Quarantine", "QuarantineEntry", "QuarantineReason"]

# The report only needs enough of the raw input to recognise it; the full text goes to the file.
_PREVIEW_CHARS = 300


class QuarantineReason(StrEnum):
    """Why input was set aside. Stable, short texts: they are the keys of ``Quarantine.by_reason``."""

    UNREADABLE = "unreadable input"
    BAD_GZIP = "invalid gzip"
    NOT_JSON = "not valid JSON"
    NOT_CLOUDTRAIL = "not a CloudTrail document"
    NOT_OBJECT = "record is not a JSON object"
    NOT_SERIALIZABLE = "record cannot be written as a CloudWatch Logs message"
    MISSING_EVENT_TIME = "record has no eventTime"
    BAD_EVENT_TIME = "eventTime is not an ISO-8601 timestamp"
    TOO_LARGE = "message over 256 KB"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """One piece of input that was set aside. ``position`` is the 1-based record index (or line number for
    JSON lines) within ``origin``, or None when the whole origin was refused."""

    origin: str
    position: int | None
    reason: str
    detail: str
    raw_preview: str | None

    def describe(self) -> str:
        """``origin:position: reason: detail`` — the compiler-message shape editors can jump to."""
        where = self.origin if self.position is None else f"{self.origin}:{self.position}"
        text = f"{where}: {self.reason}"
        return f"{text}: {self.detail}" if self.detail else text


class Quarantine:
    """Collects bad input. Nothing is ever dropped silently: every entry is counted (``count``,
    ``by_reason``); the first ``keep`` entries stay in memory for the report (``entries``); and when
    ``path`` is set, every entry is appended to that JSON-lines file and flushed at once, so a crash
    loses nothing already set aside. The file is truncated when the quarantine is created: it describes
    one run.

    File lines: ``{"origin", "position", "reason", "detail", "raw"}``; raw bytes that are not UTF-8 are
    written as ``"raw_base64"`` instead of ``"raw"``.
    """

    def __init__(self, path: Path | None = None, *, keep: int = 1000) -> None:
        self.path = path
        self.count = 0
        self.by_reason: Counter[str] = Counter()
        self.entries: list[QuarantineEntry] = []
        self._keep = keep
        self._file: BinaryIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("wb")

    def add(self, origin: str, position: int | None, reason: str, raw: str | bytes | None, detail: str = "") -> None:
        reason = str(reason)  # a QuarantineReason member becomes its plain text
        self.count += 1
        self.by_reason[reason] += 1
        if len(self.entries) < self._keep:
            self.entries.append(QuarantineEntry(origin, position, reason, detail, _preview(raw)))
        if self._file is not None:
            line: dict[str, object] = {"origin": origin, "position": position, "reason": reason, "detail": detail}
            line.update(_raw_field(raw))
            self._file.write(orjson.dumps(line) + b"\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _preview(raw: str | bytes | None) -> str | None:
    if raw is None:
        return None
    head = raw[: _PREVIEW_CHARS * 4] if isinstance(raw, bytes) else raw[:_PREVIEW_CHARS]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    if len(text) > _PREVIEW_CHARS or len(head) < len(raw):
        return text[:_PREVIEW_CHARS] + "…"
    return text


def _raw_field(raw: str | bytes | None) -> dict[str, str | None]:
    if raw is None:
        return {"raw": None}
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
            return {"raw": raw}
        except UnicodeEncodeError:  # lone surrogates from a lenient parse: keep the exact code units
            raw = raw.encode("utf-8", "surrogatepass")
    try:
        return {"raw": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"raw_base64": base64.b64encode(raw).decode("ascii")}
