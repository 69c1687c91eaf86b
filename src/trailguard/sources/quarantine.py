"""Where bad input goes: counted, kept for the report, and appended to a JSON-lines file as it arrives."""

from __future__ import annotations

import base64
import os
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import orjson

from trailguard.sources.limits import MAX_DOCUMENT_BYTES, MAX_QUARANTINE_LINES_PER_INPUT

__all__ = ["Quarantine", "QuarantineEntry", "QuarantineError", "QuarantineReason", "QuarantineSpool"]

_MIB = 2**20

# Marks, in a part's quarantine file, where an input first had entries left unwritten (see ``absorb``).
_UNWRITTEN_MARK = "unwrittenFromHere"

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
    NUMBER_TOO_LONG = "number too long"
    MISSING_EVENT_TIME = "record has no eventTime"
    BAD_EVENT_TIME = "eventTime is not an ISO-8601 timestamp"
    EVENT_TIME_OUT_OF_RANGE = "eventTime outside the supported range"
    TOO_LARGE = "message over 256 KB"
    DOCUMENT_TOO_LARGE = f"document over {MAX_DOCUMENT_BYTES // _MIB} MiB"
    LINE_TOO_LONG = f"line over {MAX_DOCUMENT_BYTES // _MIB} MiB"
    TOO_DENSE = "too many JSON objects and arrays"
    GZIP_BOMB = "gzip bomb"


class QuarantineError(Exception):
    """The quarantine file cannot be written: the run stops rather than lose what it sets aside."""


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


@dataclass(frozen=True, slots=True)
class QuarantineSpool:
    """What a quarantine of part of a run set aside, for ``Quarantine.absorb`` into the run's own: its counts,
    the entries it kept in memory, and the lines it wrote (``content``), with a marker line where an input first
    had entries left unwritten."""

    count: int
    by_reason: dict[str, int]
    entries: list[QuarantineEntry]
    unwritten: dict[str, int]
    content: bytes


class Quarantine:
    """Collects bad input. Nothing is ever dropped silently: every entry is counted (``count``,
    ``by_reason``); the first ``keep`` entries stay in memory for the report (``entries``); and when
    ``path`` is set, entries are appended to that JSON-lines file and flushed at once, so a crash loses
    nothing already set aside.

    The file is created (or truncated: it describes one run) when the first entry arrives, so a clean run
    writes nothing and works in a read-only folder; it is never removed. With ``append`` it is appended to
    instead (a long-running monitor keeps one quarantine across its restarts). At most ``max_lines_per_input``
    entries per origin are written (``MAX_QUARANTINE_LINES_PER_INPUT``); later ones are counted
    (``unwritten``) and ``close`` writes one line per such origin saying how many. A file that cannot be
    written raises ``QuarantineError``, as does a ``path`` that is a folder.

    ``identity`` is the (device, inode) of the file at ``path`` (None while there is none): sources compare
    their inputs with it, so that the quarantine is never read as input nor an input overwritten by it.

    File lines: ``{"origin", "position", "reason", "detail", "raw"}``; raw bytes that are not UTF-8 are
    written as ``"raw_base64"`` instead of ``"raw"``.

    A run split into parts gives each part a quarantine with ``spool=True`` and ``absorb``s their ``spool()``s into
    its own in input order: the file, the counts and the entries kept are those of the same run in one part.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        keep: int = 1000,
        max_lines_per_input: int = MAX_QUARANTINE_LINES_PER_INPUT,
        append: bool = False,
        spool: bool = False,
    ) -> None:
        self.path = path
        self._append = append
        self._spool = spool
        self.count = 0
        self.by_reason: Counter[str] = Counter()
        self.entries: list[QuarantineEntry] = []
        self.identity: tuple[int, int] | None = None
        self._keep = keep
        self._max_lines = max_lines_per_input
        self._lines: Counter[str] = Counter()
        self._unwritten: Counter[str] = Counter()
        self._unwritten_reported = False
        self._file: BinaryIO | None = None
        if path is not None:
            try:
                status = os.stat(path)
            except OSError:
                return  # nothing there yet (or nothing reachable: writing will say why)
            if os.path.isdir(path):
                raise QuarantineError(f"the quarantine file {path} is a folder")
            self.identity = (status.st_dev, status.st_ino)

    @property
    def unwritten(self) -> int:
        """Entries counted but not written to the file (over ``max_lines_per_input`` for their origin)."""
        return sum(self._unwritten.values())

    def is_own_file(self, status: os.stat_result) -> bool:
        """True when ``status`` (from ``os.stat``) is the quarantine file's."""
        return self.identity is not None and (status.st_dev, status.st_ino) == self.identity

    def is_own_file_descriptor(self, descriptor: int | None) -> bool:
        """True when the open file ``descriptor`` is the quarantine file (False for None or a closed one)."""
        if descriptor is None or self.identity is None:
            return False
        try:
            return self.is_own_file(os.fstat(descriptor))
        except OSError:
            return False

    def add(self, origin: str, position: int | None, reason: str, raw: str | bytes | None, detail: str = "") -> None:
        reason = str(reason)  # a QuarantineReason member becomes its plain text
        self.count += 1
        self.by_reason[reason] += 1
        if len(self.entries) < self._keep:
            self.entries.append(QuarantineEntry(origin, position, reason, detail, _preview(raw)))
        if self.path is None:
            return
        if self._lines[origin] >= self._max_lines:
            if self._spool and origin not in self._unwritten:
                self._write(orjson.dumps({"origin": origin, _UNWRITTEN_MARK: True}) + b"\n")
            self._unwritten[origin] += 1
            return
        self._lines[origin] += 1
        line: dict[str, object] = {"origin": origin, "position": position, "reason": reason, "detail": detail}
        line.update(_raw_field(raw))
        self._write(orjson.dumps(line) + b"\n")

    def _write(self, line: bytes) -> None:
        if self._file is None:
            self._open()
        assert self._file is not None
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as error:
            raise QuarantineError(f"cannot write the quarantine file {self.path}: {error.strerror or error}") from None

    def _open(self) -> None:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab" if self._append else "wb")
            status = os.fstat(self._file.fileno())
        except OSError as error:
            raise QuarantineError(f"cannot write the quarantine file {self.path}: {error.strerror or error}") from None
        self.identity = (status.st_dev, status.st_ino)

    def spool(self) -> QuarantineSpool:
        """Close a part's quarantine (``spool=True``) and give what it holds, for ``absorb``."""
        self._unwritten_reported = True  # the run's own quarantine reports them
        self.close()
        content = self.path.read_bytes() if self.path is not None and self._lines else b""
        return QuarantineSpool(self.count, dict(self.by_reason), self.entries, dict(self._unwritten), content)

    def absorb(self, spool: QuarantineSpool) -> None:
        """Add what a part of the run set aside (parts in input order): as if its entries had been added here."""
        self.count += spool.count
        self.by_reason.update(spool.by_reason)
        self.entries.extend(spool.entries[: max(self._keep - len(self.entries), 0)])
        if self.path is None:
            return  # nothing is written, nor counted as unwritten
        for line in spool.content.splitlines(keepends=True):
            fields = orjson.loads(line)
            origin = fields["origin"]
            if _UNWRITTEN_MARK in fields:
                self._unwritten[origin] += 0  # from here on this input has entries left unwritten
            elif self._lines[origin] >= self._max_lines:
                self._unwritten[origin] += 1
            else:
                self._lines[origin] += 1
                self._write(line)
        for origin, count in spool.unwritten.items():
            self._unwritten[origin] += count

    def close(self) -> None:
        """Write the line for each origin that had entries left unwritten, and close the file."""
        pending, self._unwritten_reported = (not self._unwritten_reported), True
        try:
            for origin, count in self._unwritten.items() if pending else ():
                if not count:
                    continue
                detail = (
                    f"{count:,} more entries from this input were counted but not written "
                    f"(at most {self._max_lines:,} are written per input)"
                )
                line = {"origin": origin, "position": None, "reason": "entries not written", "detail": detail}
                self._write(orjson.dumps({**line, "raw": None}) + b"\n")
        finally:
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
