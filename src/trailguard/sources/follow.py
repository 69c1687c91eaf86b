"""Following sources that keep receiving CloudTrail: what every follower shares, and the local ones (a folder, and
standard input).

A follower turns new input into :class:`Batch` es. A batch is the events of one input (a file, an S3 object, a page
of log events), or of one part of a large one, together with the :class:`Progress` that committing it records: the
items now fully read, how far a partly read one got, the source's new cursor. The caller commits a batch's events
and its progress together, in one transaction, and hands the follower the :class:`Checkpoint` it committed when it
starts again: nothing committed is read again, nothing uncommitted is skipped. Decoding is the replay's own
(``trailguard.sources.decode``, ``trailguard.sources.files``): the same quarantine, caps and event-time range.

The followers of S3 and CloudWatch Logs are in ``follow_s3`` and ``follow_logs``.

Folders are watched with ``watchfiles`` (inotify, FSEvents, ReadDirectoryChangesW); when notifications cannot be
had (a network file system, the inotify watch limit reached), ``watchfiles``' own polling is tried, and failing that
the folder is simply walked again every poll interval. A full walk also runs at start and every
``rescan_seconds``, so a missed notification delays a file, never loses it. A file is read once it has not
changed for ``settle_seconds`` (a file being copied in is not read half-written); a file that changes after it was
read is not read again.

Standard input is read as JSON lines (one record, or one ``{"Records": [...]}`` document, per line) by a thread, as
lines arrive; it cannot be read again, so what was read but not yet committed when the process dies is lost.
"""

from __future__ import annotations

import logging
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from trailguard.sources.decode import is_skipped_name
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.files import STDIN_ORIGIN, folder_file, read_input, walk_paths
from trailguard.sources.jsondoc import density_problem, line_values
from trailguard.sources.limits import MAX_DOCUMENT_BYTES
from trailguard.sources.quarantine import Quarantine, QuarantineReason
from trailguard.sources.records import build_events

__all__ = [
    "MAX_BATCH_EVENTS",
    "Batch",
    "Checkpoint",
    "FolderFollower",
    "Follower",
    "PartReader",
    "Progress",
    "StdinFollower",
]

#: The most events one batch holds: a larger input is read and committed in parts of this size.
MAX_BATCH_EVENTS: Final = 5000

_FIRST_RESCAN_SECONDS: Final = 2.0
_log = logging.getLogger("trailguard.sources.follow")


@dataclass(frozen=True, slots=True)
class Progress:
    """What committing a batch records for its source.

    ``done``: items (file paths relative to the folder, S3 keys, log event ids) now read completely, each with a
    time in epoch ms by which it may later be forgotten; ``partial``: (item, events of it committed so far) for an
    item read in parts, whose later parts follow; ``cursor``: the source's new cursor (None: unchanged);
    ``forget_before_ms``: items recorded with an earlier time will never be met again and can be forgotten.
    """

    done: tuple[tuple[str, int], ...] = ()
    partial: tuple[str, int] | None = None
    cursor: Mapping[str, Any] | None = None
    forget_before_ms: int | None = None


@dataclass(slots=True)
class Batch:
    """The events of one input (or part of one) and the progress committing them records. ``label`` names what
    was read, for logs. A batch may hold no event, only progress (or, from standard input, only the count of
    lines set aside)."""

    source: str
    events: list[SourceEvent]
    progress: Progress
    label: str
    quarantined: int = 0  # entries set aside by a follower's own quarantine (standard input's) since its last batch


@dataclass(slots=True)
class Checkpoint:
    """What a source had committed when it stopped: the items read completely (with their times), the items read
    in part (events committed), and its cursor."""

    done: dict[str, int] = field(default_factory=dict)
    partial: dict[str, int] = field(default_factory=dict)
    cursor: dict[str, Any] | None = None


class Follower(Protocol):
    """A source that keeps receiving input.

    ``key`` names it in the state file (the same source given again continues where it stopped). ``start`` is
    called once, with what was committed before. ``poll`` looks for new input (called when ``poll_due`` says so);
    ``next_batch`` reads the next batch of what was found, or returns None when there is nothing to read now.
    Each batch must be committed before the next is asked for. ``close`` stops any thread it runs.
    """

    key: str

    def start(self, checkpoint: Checkpoint, wake: threading.Event) -> None: ...

    def poll_due(self, monotonic_now: float) -> bool: ...

    def next_poll(self) -> float: ...

    def poll(self, now_ms: int) -> None: ...

    def next_batch(self, now_ms: int) -> Batch | None: ...

    def close(self) -> None: ...


class PartReader:
    """Reads one input (for any follower) in batches of at most ``MAX_BATCH_EVENTS`` events, skipping the events a
    previous run already committed (decoding is deterministic, so the n-th event is the same event every time)."""

    def __init__(self, item: str, events: Iterator[SourceEvent], already: int) -> None:
        self.item = item
        self._events = events
        self.read = already
        self._skip = already
        self.finished = False

    def next_part(self) -> list[SourceEvent]:
        out: list[SourceEvent] = []
        for event in self._events:
            if self._skip:
                self._skip -= 1
                continue
            out.append(event)
            if len(out) >= MAX_BATCH_EVENTS:
                self.read += len(out)
                return out
        self.finished = True
        self.read += len(out)
        return out


class FolderFollower:
    """New CloudTrail files in a folder (recursively), each read once; see the module docstring."""

    def __init__(
        self,
        folder: str,
        quarantine: Quarantine,
        *,
        stats: SourceStats | None = None,
        settle_seconds: float = 2.0,
        poll_seconds: float = 5.0,
        rescan_seconds: float = 300.0,
        exclude: Sequence[str] = (),
        notifications: bool = True,
    ) -> None:
        self.folder = os.path.realpath(folder)
        self.key = "folder:" + self.folder
        self._quarantine = quarantine
        self._stats = stats
        self._settle = settle_seconds
        self._poll_seconds = poll_seconds
        self._rescan_seconds = rescan_seconds
        self._exclude = tuple(os.path.realpath(path) for path in exclude)
        self._notifications = notifications
        self._done: set[str] = set()
        self._partial: dict[str, int] = {}
        self._ready: list[str] = []  # relative paths, read in this order
        self._queued: set[str] = set()
        self._settling: dict[str, float] = {}  # relative path -> when to look at it again (monotonic)
        self._changed_after_read: set[str] = set()
        self._read_as: dict[str, tuple[int, int]] = {}  # size and mtime of files read by this process
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._next_rescan = 0.0
        self._walks = 0
        self._next_poll = 0.0
        self._reader: PartReader | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._wake: threading.Event | None = None
        self.polling = not notifications  # True once notifications are known to be unavailable

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self, checkpoint: Checkpoint, wake: threading.Event) -> None:
        self._done = set(checkpoint.done)
        self._partial = dict(checkpoint.partial)
        self._wake = wake
        if self._notifications:
            self._watcher = threading.Thread(target=self._watch, name=f"watch {self.folder}", daemon=True)
            self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _watch(self) -> None:
        """The watcher thread: notifications mark paths dirty and wake the runner."""
        import watchfiles

        for force_polling in (False, True):
            try:
                for changes in watchfiles.watch(
                    self.folder,
                    stop_event=self._stop,
                    force_polling=force_polling,
                    poll_delay_ms=int(self._poll_seconds * 1000),
                    debounce=200,
                    step=20,
                    raise_interrupt=False,
                    ignore_permission_denied=True,
                ):
                    with self._dirty_lock:
                        self._dirty.update(path for _, path in changes)
                    if self._wake is not None:
                        self._wake.set()
                return
            except Exception as error:  # the native watcher cannot run here: try its polling, then our own walks
                how = "polling it with watchfiles" if not force_polling else "walking it every poll interval"
                _log.warning("cannot watch %s for changes (%s); %s instead", self.folder, error, how)
                if self._stop.is_set():
                    return
        self.polling = True

    # -- finding new files ------------------------------------------------------------------------------------

    def poll_due(self, monotonic_now: float) -> bool:
        if self._dirty or monotonic_now >= self._next_rescan:
            return True
        if self._settling and monotonic_now >= min(self._settling.values()):
            return True
        return self.polling and monotonic_now >= self._next_poll

    def next_poll(self) -> float:
        times = [self._next_rescan]
        if self._settling:
            times.append(min(self._settling.values()))
        if self.polling:
            times.append(self._next_poll)
        return min(times)

    def poll(self, now_ms: int) -> None:
        monotonic_now = time.monotonic()
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        candidates: dict[str, bool] = {}  # path -> whether a notification named it
        for path in dirty:
            if os.path.isdir(path):
                # A new folder: what was written into it before it was watched is found only by walking it.
                if self._relative(os.path.join(path, "x")) is not None:
                    for item in walk_paths([path]):
                        if item.path is not None and not item.skip and item.error is None:
                            candidates.setdefault(item.path, False)
            else:
                candidates[path] = True
        if monotonic_now >= self._next_rescan or (self.polling and monotonic_now >= self._next_poll):
            for item in walk_paths([self.folder]):
                if item.path is not None and not item.skip and item.error is None:
                    candidates.setdefault(item.path, False)
            # The watcher starts watching some time after it is started: the first walk is repeated soon, so
            # that a file written in between waits seconds, not a whole rescan interval.
            first = self._walks == 0 and self._watcher is not None
            self._walks += 1
            self._next_rescan = monotonic_now + (
                min(_FIRST_RESCAN_SECONDS, self._rescan_seconds) if first else self._rescan_seconds
            )
            self._next_poll = monotonic_now + self._poll_seconds
        for relative, when in list(self._settling.items()):
            if monotonic_now >= when:
                del self._settling[relative]
                candidates.setdefault(os.path.join(self.folder, relative), False)
        fresh: list[str] = []
        for path, notified in candidates.items():
            found = self._relative(path)
            if found is None or found in self._queued:
                continue
            relative = found
            if relative in self._queued:
                continue
            if relative in self._done:
                if notified:
                    self._note_changed_after_read(relative, path)
                continue
            wait = self._unsettled_for(path)
            if wait is None:
                continue  # gone, not a regular file, or not an event file
            if wait > 0:
                self._settling[relative] = monotonic_now + wait
                continue
            fresh.append(relative)
        for relative in sorted(fresh):
            self._queued.add(relative)
            self._ready.append(relative)

    def _relative(self, path: str) -> str | None:
        """The path relative to the folder, or None for what is not a candidate (outside it, hidden, excluded)."""
        absolute = os.path.abspath(path)
        if any(absolute == excluded or absolute.startswith(excluded + os.sep) for excluded in self._exclude):
            return None
        relative = os.path.relpath(absolute, self.folder)
        if relative.startswith(".." + os.sep) or relative == "..":
            return None
        parts = relative.split(os.sep)
        if any(part.startswith(".") for part in parts) or is_skipped_name(parts[-1]):
            return None
        return relative

    def _unsettled_for(self, path: str) -> float | None:
        """Seconds until the file has been unchanged for the settle time (0: ready); None when it is not a
        regular file any more (or never was), or is the quarantine file."""
        try:
            status = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(status.st_mode) or self._quarantine.is_own_file(status):
            return None
        age = time.time() - status.st_mtime
        return max(0.0, self._settle - age)

    def _note_changed_after_read(self, relative: str, path: str) -> None:
        if relative in self._changed_after_read or relative not in self._read_as:
            return
        try:
            status = os.stat(path)
        except OSError:
            return  # removed: nothing to say
        if (status.st_size, status.st_mtime_ns) == self._read_as[relative]:
            return  # a late notification of the writing that was read
        self._changed_after_read.add(relative)
        _log.warning("%s changed after it was read; it is not read again (CloudTrail files never change)", path)

    # -- reading ------------------------------------------------------------------------------------------

    def next_batch(self, now_ms: int) -> Batch | None:
        reader = self._reader
        if reader is None:
            if not self._ready:
                return None
            relative = self._ready.pop(0)
            self._queued.discard(relative)
            if relative in self._done:
                return None
            path = os.path.join(self.folder, relative)
            try:
                status = os.stat(path)
                self._read_as[relative] = (status.st_size, status.st_mtime_ns)
            except OSError:
                pass  # reading it will say why
            stream = read_input(folder_file(path), self._quarantine, stats=self._stats)
            reader = self._reader = PartReader(relative, stream, self._partial.get(relative, 0))
        events = reader.next_part()
        if reader.finished:
            self._reader = None
            self._partial.pop(reader.item, None)
            self._done.add(reader.item)
            progress = Progress(done=((reader.item, now_ms),))
        else:
            self._partial[reader.item] = reader.read
            progress = Progress(partial=(reader.item, reader.read))
        return Batch(self.key, events, progress, os.path.join(self.folder, reader.item))

    @property
    def backlog(self) -> int:
        """Files found and not read yet."""
        return len(self._ready) + (self._reader is not None)


_EOF: Final = object()


class StdinFollower:
    """Records arriving on standard input, read by a thread as JSON lines; see the module docstring."""

    key = "stdin"

    def __init__(
        self,
        quarantine_path: os.PathLike[str] | str | None,
        *,
        stats: SourceStats | None = None,
        stream: Any = None,
    ) -> None:
        self._stream = stream
        self._quarantine_path = quarantine_path
        self._stats = stats if stats is not None else SourceStats()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=4 * MAX_BATCH_EVENTS)
        self._thread: threading.Thread | None = None
        self._wake: threading.Event | None = None
        self.quarantine: Quarantine | None = None
        self.ended = False
        self.lines = 0
        self._reported = 0  # quarantine entries already reported with a batch

    def start(self, checkpoint: Checkpoint, wake: threading.Event) -> None:
        self._wake = wake
        from pathlib import Path

        # Its own quarantine object: this one is used by the reading thread only; both append to the same file.
        path = None if self._quarantine_path is None else Path(self._quarantine_path)
        self.quarantine = Quarantine(path, append=True)
        self._thread = threading.Thread(target=self._read, name="stdin", daemon=True)
        self._thread.start()

    def close(self) -> None:
        # A thread blocked reading standard input cannot be interrupted; it is a daemon and ends with the process.
        if self.quarantine is not None and (self._thread is None or not self._thread.is_alive()):
            self.quarantine.close()

    def poll_due(self, monotonic_now: float) -> bool:
        return False

    def next_poll(self) -> float:
        return float("inf")

    def poll(self, now_ms: int) -> None:
        pass

    def _read(self) -> None:
        stream = self._stream if self._stream is not None else sys.stdin.buffer
        quarantine = self.quarantine
        assert quarantine is not None
        number = 0
        try:
            while True:
                line = stream.readline(MAX_DOCUMENT_BYTES + 1)
                if not line:
                    break
                number += 1
                if len(line) > MAX_DOCUMENT_BYTES and not line.endswith(b"\n"):
                    while True:  # pass over the rest of the line without keeping it
                        rest = stream.readline(MAX_DOCUMENT_BYTES)
                        if not rest or rest.endswith(b"\n"):
                            break
                    detail = f"longer than {MAX_DOCUMENT_BYTES // 2**20} MiB: not read"
                    quarantine.add(STDIN_ORIGIN, number, QuarantineReason.LINE_TOO_LONG, None, detail)
                    continue
                if line.isspace():
                    continue
                dense = density_problem(line)
                if dense is not None:
                    quarantine.add(STDIN_ORIGIN, number, QuarantineReason.TOO_DENSE, None, dense)
                    continue
                values = line_values(number, line.rstrip(b"\r\n"), STDIN_ORIGIN, quarantine)
                events = build_events(values, STDIN_ORIGIN, quarantine, require_event_time=True, stats=self._stats)
                for event in events:
                    self._queue.put(event)
                self.lines = number
                if self._wake is not None:
                    self._wake.set()
        except (OSError, ValueError) as error:
            _log.error("standard input cannot be read any more: %s", error)
        finally:
            self._queue.put(_EOF)
            if self._wake is not None:
                self._wake.set()

    def next_batch(self, now_ms: int) -> Batch | None:
        events: list[SourceEvent] = []
        while len(events) < MAX_BATCH_EVENTS:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _EOF:
                self.ended = True
                _log.info("standard input ended; alarms go on being evaluated")
                break
            events.append(item)
        quarantined = 0 if self.quarantine is None else self.quarantine.count - self._reported
        if not events and not quarantined:
            return None
        self._reported += quarantined
        return Batch(self.key, events, Progress(), f"{STDIN_ORIGIN} up to line {self.lines}", quarantined)
