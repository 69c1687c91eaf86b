"""CloudTrail from local files, folders and standard input.

A path may be a file (any of the shapes ``trailguard.sources.jsondoc`` accepts, gzipped or not) or a
folder, walked recursively in sorted order (the ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``
layout or any other). In folders, hidden files and folders (``.DS_Store``, ``.git``) are passed over, and
CloudTrail digest files (``CloudTrail-Digest``) are skipped wherever they are found; skipped files are
counted in ``SourceStats.files_skipped`` (files inside hidden folders are not even looked at). ``-`` reads
standard input (bytes; gzip is recognised).

Files are read one at a time, each whole, so memory is bounded by the largest single input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from trailguard.sources.decode import decode_input, is_digest_name, is_skipped_name
from trailguard.sources.errors import SourceError
from trailguard.sources.events import InputTotals, SourceEvent, SourceStats
from trailguard.sources.quarantine import Quarantine, QuarantineReason

__all__ = ["STDIN", "STDIN_ORIGIN", "InputFile", "check_path", "measure_paths", "read_paths", "walk_paths"]

STDIN: Final = "-"
STDIN_ORIGIN: Final = "<stdin>"
# Standard input cannot be read again, so an entry refusing all of it keeps this much of it.
_STDIN_KEEP_BYTES: Final = 65_536


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input found by the walk.

    ``path`` is None for standard input; ``size`` is the stored size in bytes (None when unknown);
    ``skip`` is True for files that are not event files (digests, hidden files); ``error`` is set for a
    folder inside the walk that could not be listed.
    """

    path: str | None
    size: int | None
    skip: bool = False
    error: str | None = None

    @property
    def origin(self) -> str:
        return STDIN_ORIGIN if self.path is None else self.path


def read_paths(
    paths: Sequence[str],
    quarantine: Quarantine,
    *,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
) -> Iterator[SourceEvent]:
    """Events from files, folders and ``-`` (standard input), in the order given, folders in sorted order.

    Every path is checked before anything is read: a missing or unreadable one raises ``SourceError``
    naming it. Bad content goes to ``quarantine`` and never stops the run.
    """
    for path in paths:
        check_path(path)
    return _read_checked(paths, quarantine, require_event_time, stats)


def _read_checked(
    paths: Sequence[str], quarantine: Quarantine, require_event_time: bool, stats: SourceStats | None
) -> Iterator[SourceEvent]:
    for item in walk_paths(paths):
        if item.skip:
            if stats is not None:
                stats.files_skipped += 1
        elif item.error is not None:
            quarantine.add(item.origin, None, QuarantineReason.UNREADABLE, None, item.error)
        else:
            yield from _events_of(item, quarantine, require_event_time, stats)


def _events_of(
    item: InputFile, quarantine: Quarantine, require_event_time: bool, stats: SourceStats | None
) -> Iterator[SourceEvent]:
    if item.path is None:
        data = _read_stdin()
    else:
        try:
            with open(item.path, "rb") as stream:
                data = stream.read()
        except OSError as error:
            quarantine.add(item.origin, None, QuarantineReason.UNREADABLE, None, error.strerror or str(error))
            return
    keep_head = _STDIN_KEEP_BYTES if item.path is None else 0
    events = decode_input(
        data, item.origin, quarantine, require_event_time=require_event_time, stats=stats, keep_head=keep_head
    )
    del data  # decode_input drops the compressed bytes once inflated; no other reference may keep them
    yield from events


def measure_paths(paths: Sequence[str]) -> InputTotals:
    """Count the files and stored bytes ``read_paths`` will read, without reading them (one ``stat`` per
    file). Standard input cannot be sized: its presence makes the totals incomplete."""
    for path in paths:
        check_path(path)
    files = size = skipped = 0
    complete = True
    for item in walk_paths(paths):
        if item.skip:
            skipped += 1
        elif item.error is not None:
            continue  # reported when read
        elif item.path is None:
            complete = False
        elif item.size is None:
            continue  # cannot be sized now; reported when read
        else:
            files += 1
            size += item.size
    return InputTotals(files=files, bytes=size, skipped=skipped, complete=complete)


def walk_paths(paths: Sequence[str]) -> Iterator[InputFile]:
    """The inputs ``paths`` stand for, in reading order: files as given, folders walked in sorted order."""
    for path in paths:
        if path == STDIN:
            yield InputFile(None, None)
            continue
        if os.path.isdir(path):
            yield from _walk_folder(path, frozenset())
        else:
            # Named explicitly, a hidden file is read; a digest is still not an event file.
            yield InputFile(path, _size(path), skip=is_digest_name(os.path.basename(path)))


# Paths are plain strings here: pathlib objects cost more than the reading on folders of small files.
def _walk_folder(folder: str, ancestors: frozenset[tuple[int, int]]) -> Iterator[InputFile]:
    try:
        identity = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        yield InputFile(folder, None, error=f"folder cannot be listed: {error.strerror or error}")
        return
    key = (identity.st_dev, identity.st_ino)
    if key in ancestors:  # a symbolic link back up the tree
        return
    ancestors = ancestors | {key}
    for entry in entries:
        if entry.name.startswith("."):
            if not _is_dir(entry):
                yield InputFile(entry.path, None, skip=True)
            continue  # hidden folders (.git, ...) are not entered at all: nothing there is a log
        if _is_dir(entry):
            yield from _walk_folder(entry.path, ancestors)
            continue
        try:
            size: int | None = entry.stat().st_size
        except OSError:
            size = None  # a dangling link, say: reading it will report why
        yield InputFile(entry.path, size, skip=is_skipped_name(entry.name))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def check_path(path: str) -> None:
    """Raise ``SourceError`` naming ``path`` unless it is ``-`` or a readable file or folder."""
    if path == STDIN:
        return
    target = Path(path)
    try:
        target.stat()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file or directory") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from None
    if target.is_dir():
        try:
            with os.scandir(target):
                pass
        except OSError as error:
            raise SourceError(f"{path}: folder cannot be listed: {error.strerror or error}") from None
    elif target.is_file():
        try:
            with target.open("rb"):
                pass
        except OSError as error:
            raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from None
    # Anything else (a pipe such as bash's <(zcat ...), a device) is read as a file; opening it now could
    # block or consume it, so it is not tried in advance.


def _read_stdin() -> bytes:
    # Tests and embedding programs may put a binary stream (no .buffer) or a text stream in sys.stdin.
    stream: Any = sys.stdin
    data = (stream.buffer if hasattr(stream, "buffer") else stream).read()
    return data.encode("utf-8") if isinstance(data, str) else data
