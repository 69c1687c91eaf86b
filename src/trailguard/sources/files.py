"""CloudTrail from local files, folders and standard input.

A path may be a file (any of the shapes ``trailguard.sources.jsondoc`` accepts, gzipped or not) or a
folder, walked recursively in sorted order (the ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``
layout or any other). In folders, hidden files and folders (``.DS_Store``, ``.git``) are passed over,
CloudTrail digest files (``CloudTrail-Digest``) are skipped wherever they are found, and so are the run's
own quarantine file and anything that is not a regular file (a FIFO would block the run forever, a device
never end); skipped files are counted in ``SourceStats.files_skipped``, and non-regular ones are also
reported as warnings (files inside hidden folders are not even looked at). Named explicitly, a FIFO is read
(bash's ``<(zcat ...)``). ``-`` reads standard input (bytes; gzip is recognised).

An input that is the quarantine file itself is refused (``SourceError``) before anything is read. Files are
read one at a time, in bounded pieces (see ``trailguard.sources.decode``).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast

from trailguard.sources.decode import decode_input, is_digest_name, is_skipped_name
from trailguard.sources.errors import SourceError
from trailguard.sources.events import InputTotals, SourceEvent, SourceStats
from trailguard.sources.inflate import Readable
from trailguard.sources.quarantine import Quarantine, QuarantineReason

if TYPE_CHECKING:
    from trailguard.sources.fastfeed import InputDecoder, SourceItem

__all__ = [
    "STDIN",
    "STDIN_ORIGIN",
    "InputFile",
    "check_path",
    "folder_file",
    "measure_paths",
    "read_input",
    "read_inputs",
    "read_paths",
    "walk_paths",
]

STDIN: Final = "-"
STDIN_ORIGIN: Final = "<stdin>"
# Standard input cannot be read again, so an entry refusing all of it keeps this much of it.
_STDIN_KEEP_BYTES: Final = 65_536


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input found by the walk.

    ``path`` is None for standard input; ``size`` is the stored size in bytes (None when unknown);
    ``skip`` is True for files that are not event files (digests, hidden files, non-regular files);
    ``special`` names what a non-regular file is ("a FIFO"); ``error`` is set for a folder inside the walk
    that could not be listed; ``in_folder`` is True for files found by walking a folder (only regular files
    are read there).
    """

    path: str | None
    size: int | None
    skip: bool = False
    error: str | None = None
    special: str | None = None
    in_folder: bool = False

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

    Every path is checked before anything is read: a missing or unreadable one, or the quarantine file
    itself, raises ``SourceError`` naming it. Bad content goes to ``quarantine`` and never stops the run.
    """
    for path in paths:
        check_path(path, quarantine)
    items = read_inputs(walk_paths(paths), quarantine, require_event_time=require_event_time, stats=stats)
    return cast("Iterator[SourceEvent]", items)  # decode_input gives SourceEvent only


def read_inputs(
    items: Iterable[InputFile],
    quarantine: Quarantine,
    *,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    decoder: InputDecoder | None = None,
) -> Iterator[SourceItem]:
    """The events of inputs found by ``walk_paths`` (all of them, or a chunk of them), in order. ``decoder``
    reads each input instead of ``decode_input`` (a ``FastReader``'s, which also gives ``QuietEvents``)."""
    for item in items:
        if item.skip:
            _skipped(item, stats)
        elif item.error is not None:
            quarantine.add(item.origin, None, QuarantineReason.UNREADABLE, None, item.error)
        else:
            yield from _events_of(item, quarantine, require_event_time, stats, decoder or decode_input)


def _skipped(item: InputFile, stats: SourceStats | None) -> None:
    if stats is None:
        return
    stats.files_skipped += 1
    if item.special is not None:
        stats.files_not_regular += 1
        stats.warn(f"{item.origin}: skipped: {item.special}, not a regular file (only those are read in folders)")


def read_input(
    item: InputFile, quarantine: Quarantine, *, require_event_time: bool = True, stats: SourceStats | None = None
) -> Iterator[SourceEvent]:
    """Events of one input the walk found (or :func:`folder_file` describes); a file that turns out not to be a
    regular file (or to be the quarantine file) is skipped and counted, one that cannot be opened quarantined."""
    events = _events_of(item, quarantine, require_event_time, stats, decode_input)
    return cast("Iterator[SourceEvent]", events)  # decode_input gives SourceEvent only


def folder_file(path: str) -> InputFile:
    """A file met inside a folder, as the walk would describe it (hidden and digest names are skipped)."""
    return InputFile(path, _size(path), skip=is_skipped_name(os.path.basename(path)), in_folder=True)


def _events_of(
    item: InputFile,
    quarantine: Quarantine,
    require_event_time: bool,
    stats: SourceStats | None,
    decoder: InputDecoder,
) -> Iterator[SourceItem]:
    if item.path is None:
        yield from decoder(
            _stdin_bytes(),
            item.origin,
            quarantine,
            require_event_time=require_event_time,
            stats=stats,
            keep_head=_STDIN_KEEP_BYTES,
        )
        return
    try:
        stream = _open_folder_file(item, quarantine) if item.in_folder else open(item.path, "rb")  # noqa: SIM115
    except OSError as error:
        quarantine.add(item.origin, None, QuarantineReason.UNREADABLE, None, error.strerror or str(error))
        return
    if isinstance(stream, InputFile):  # found not to be an event file after all
        _skipped(stream, stats)
        return
    with stream:
        yield from decoder(stream, item.origin, quarantine, require_event_time=require_event_time, stats=stats)


def _open_folder_file(item: InputFile, quarantine: Quarantine) -> BinaryIO | InputFile:
    """Open a file found in a folder, without blocking: the walk saw a regular file, but it may have been
    replaced by a FIFO since, and opening a FIFO waits for a writer. Returns what to skip instead when it is
    not a regular file, or is the quarantine file (created after the folder was listed, say)."""
    assert item.path is not None
    descriptor = os.open(item.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(descriptor)
        special = _special_kind(status.st_mode)
        if special is not None or quarantine.is_own_file(status):
            os.close(descriptor)
            return InputFile(item.path, None, skip=True, special=special, in_folder=True)
        os.set_blocking(descriptor, True)
        return open(descriptor, "rb")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(descriptor)
        raise


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
                yield InputFile(entry.path, None, skip=True, in_folder=True)
            continue  # hidden folders (.git, ...) are not entered at all: nothing there is a log
        if _is_dir(entry):
            yield from _walk_folder(entry.path, ancestors)
            continue
        try:
            status = entry.stat()
        except OSError:
            # A dangling link, say: reading it will report why.
            yield InputFile(entry.path, None, skip=is_skipped_name(entry.name), in_folder=True)
            continue
        special = _special_kind(status.st_mode)
        if special is not None:
            yield InputFile(entry.path, None, skip=True, special=special, in_folder=True)
            continue
        yield InputFile(entry.path, status.st_size, skip=is_skipped_name(entry.name), in_folder=True)


def _special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


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


def check_path(path: str, quarantine: Quarantine | None = None) -> None:
    """Raise ``SourceError`` naming ``path`` unless it is ``-`` (with standard input open) or a readable
    file or folder, and, given ``quarantine``, unless it is the quarantine file itself."""
    if path == STDIN:
        if sys.stdin is None:
            raise SourceError("-: standard input is closed")
        if quarantine is not None and quarantine.is_own_file_descriptor(_stdin_descriptor()):
            raise SourceError("-: standard input is the quarantine file; give the quarantine another path")
        return
    if not path:
        raise SourceError("'': an empty path names no file (use . for the current folder)")
    target = Path(path)
    try:
        status = target.stat()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file or directory") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from None
    if quarantine is not None and quarantine.is_own_file(status):
        raise SourceError(
            f"{path}: is the quarantine file, where this run writes what it sets aside; "
            "give the quarantine another path"
        )
    if stat.S_ISDIR(status.st_mode):
        try:
            with os.scandir(target):
                pass
        except OSError as error:
            raise SourceError(f"{path}: folder cannot be listed: {error.strerror or error}") from None
    elif stat.S_ISREG(status.st_mode):
        try:
            with target.open("rb"):
                pass
        except OSError as error:
            raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from None
    # Anything else (a pipe such as bash's <(zcat ...), a device) is read as a file; opening it now could
    # block or consume it, so it is not tried in advance.


def _stdin_descriptor() -> int | None:
    try:
        return int(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # a stream in memory (tests, embedding programs)
        return None


def _stdin_bytes() -> Readable:
    """Standard input as bytes. Tests and embedding programs may put a binary stream (no .buffer) or a
    text stream in sys.stdin."""
    stream: Any = sys.stdin
    if stream is None:
        raise SourceError("-: standard input is closed")
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        return binary  # type: ignore[no-any-return]
    if isinstance(stream, io.TextIOBase):
        return _EncodedText(stream)
    return stream  # type: ignore[no-any-return]


class _EncodedText:
    """A text stream read as UTF-8 bytes."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream

    def read(self, size: int, /) -> bytes:
        # A character is at most four bytes in UTF-8: never return more bytes than asked for.
        return self._stream.read(max(size // 4, 1)).encode("utf-8")
