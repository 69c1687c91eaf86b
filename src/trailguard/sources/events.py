"""What every source yields (``SourceEvent``) and what it counts along the way (``SourceStats``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from trailguard.sources.limits import MAX_MESSAGE_BYTES

__all__ = ["MAX_MESSAGE_BYTES", "InputTotals", "SourceEvent", "SourceStats"]

# Warnings kept for the report; later ones are only counted (``SourceStats.warning_count``).
_MAX_WARNINGS_KEPT: Final = 100


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One CloudWatch Logs event as CloudTrail would have delivered it.

    ``message`` is the record's compact JSON (key order kept); ``record`` is that JSON already parsed, so
    pattern matching need not parse the message again (``LogEvent(message, parsed=record)``);
    ``timestamp_ms`` is the record's ``eventTime`` in epoch milliseconds (None only when event times are
    not required and the record has none); ``origin`` names where it came from (a file path,
    ``s3://bucket/key``, ``logs://group/stream`` or ``<stdin>``) and ``position`` is the 1-based record
    index within it (the line number for JSON lines).
    """

    message: str
    record: dict[str, Any]
    timestamp_ms: int | None
    origin: str
    position: int


@dataclass(slots=True)
class SourceStats:
    """Running counts for a progress display. A source updates it as it goes; pass one in to watch.

    ``bytes_read`` counts stored bytes (compressed, as on disk or in S3, comparable with
    ``InputTotals.bytes``); ``bytes_decoded`` counts them after gunzip. A file that turned out to be bad
    still counts as read. ``files_skipped`` counts the files found in folders (or under S3 prefixes) that
    were passed over: CloudTrail digest files, hidden files, the run's own quarantine file, and files that
    are not regular files (FIFOs, sockets, devices; those are also in ``files_not_regular``).

    ``warnings`` tells the user about input that was passed over without being bad input (which goes to
    the quarantine instead): a FIFO inside a folder, a ``logs://`` stream prefix that matched no stream.
    The first hundred are kept; ``warning_count`` counts them all.
    """

    files_read: int = 0
    files_skipped: int = 0
    files_not_regular: int = 0
    bytes_read: int = 0
    bytes_decoded: int = 0
    events: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, message: str) -> None:
        """Record a warning for the user (see the class docstring)."""
        self.warning_count += 1
        if len(self.warnings) < _MAX_WARNINGS_KEPT:
            self.warnings.append(message)


@dataclass(frozen=True, slots=True)
class InputTotals:
    """What a replay is about to read, from a cheap pre-walk (for a progress bar's totals and ETA).

    ``complete`` is False when some source cannot be sized in advance (standard input, CloudWatch Logs):
    ``files`` and ``bytes`` then cover only the sources that could.
    """

    files: int
    bytes: int
    skipped: int
    complete: bool
