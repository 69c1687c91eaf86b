"""``file`` and ``stdout`` subscriptions (trailguard's own).

- ``file``: appends the JSON envelope (with the context block) as one line per delivery and fsyncs it before
  reporting success, so a line that was reported delivered survives a crash or power loss. A relative path is
  relative to the working directory.
- ``stdout``: prints the readable summary (:func:`trailguard.notify.text.summary_text`) for a person watching
  a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from trailguard.notify.base import Delivery, DeliveryError
from trailguard.notify.envelope import envelope_json
from trailguard.notify.text import summary_text

__all__ = ["LocalDeliverer"]


class LocalDeliverer:
    """Delivers ``file`` and ``stdout`` subscriptions."""

    protocols: tuple[str, ...] = ("file", "stdout")

    def __init__(self, *, stdout: TextIO | None = None) -> None:
        self._stdout = stdout

    def deliver(self, delivery: Delivery) -> None:
        if delivery.protocol == "stdout":
            stream = self._stdout or sys.stdout
            stream.write(summary_text(delivery) + "\n\n")
            stream.flush()
            return
        line = (envelope_json(delivery, compact=True) + "\n").encode("utf-8")
        try:
            descriptor = os.open(delivery.endpoint, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = os.write(descriptor, line)
                if written != len(line):
                    raise OSError(f"only {written} of {len(line)} bytes were written")
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            raise DeliveryError(f"cannot append to {delivery.endpoint}: {error.strerror or error}") from None
