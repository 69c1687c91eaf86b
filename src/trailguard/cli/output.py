"""Writing to standard output so that a closed pipe (``trailguard ... | head``) is always noticed.

Two things would otherwise hide it: rich exits with status 1 on a broken pipe, and Python's buffered
writer, when the reader goes away in the middle of a large write, returns the part it wrote instead of
raising. Here a broken pipe always surfaces as ``BrokenPipeError``, which ``trailguard.cli.main`` turns
into the conventional status 141.
"""

from __future__ import annotations

import errno
import sys
from typing import BinaryIO

from rich.console import Console

__all__ = ["StdoutConsole", "write_all", "write_stdout"]


class StdoutConsole(Console):
    """A rich console that lets a broken pipe raise ``BrokenPipeError`` (rich's own default exits with 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is rendered on the way out
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def write_all(out: BinaryIO, data: bytes) -> None:
    """Write all of ``data``: a short write is retried, so that the reader's going away raises."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[written if written is not None else len(view) :]


def write_stdout(text: str) -> None:
    """Write ``text`` and a newline to standard output, completely (see ``write_all``)."""
    sys.stdout.flush()
    write_all(sys.stdout.buffer, text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()
