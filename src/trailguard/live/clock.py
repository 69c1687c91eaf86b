"""The time the live runner lives in: when alarms are evaluated, what "now" is for late events and the outbox.

``WallClock`` is the real one. Tests and benches never wait real minutes: they give the runner another clock,
in-process (any object with ``now_ms`` and ``wait``), or, for a ``trailguard run`` process, through the test hook
``TRAILGUARD_TEST_CLOCK`` (documented in docs/compatibility.md, "Live monitoring"), read only by
:func:`clock_from_environment`:

- ``file:PATH``: the time is the integer (epoch milliseconds) written in PATH, re-read whenever the runner looks;
  a test moves time by rewriting the file (write a temporary file and rename it over PATH);
- ``scaled:FACTOR@START_MS``: time starts at START_MS and runs FACTOR times faster than real time.

Source polling, file settling and network timeouts stay in real time whatever the clock.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Final, Protocol

__all__ = [
    "TEST_CLOCK_VARIABLE",
    "Clock",
    "ClockError",
    "FileClock",
    "ScaledClock",
    "WallClock",
    "clock_from_environment",
]

TEST_CLOCK_VARIABLE: Final = "TRAILGUARD_TEST_CLOCK"
# How often a file clock is read while waiting (real seconds).
_FILE_CLOCK_POLL: Final = 0.02


class ClockError(Exception):
    """A test clock that cannot be used (a malformed TRAILGUARD_TEST_CLOCK, an unreadable clock file)."""


class Clock(Protocol):
    """Epoch milliseconds, and a way to wait for a time that returns early when ``wake`` is set."""

    def now_ms(self) -> int: ...

    def wait(self, until_ms: int, wake: threading.Event, max_seconds: float) -> None:
        """Return once the clock reaches ``until_ms``, ``wake`` is set, or ``max_seconds`` of real time pass."""
        ...


class WallClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def wait(self, until_ms: int, wake: threading.Event, max_seconds: float) -> None:
        delay = (until_ms - self.now_ms()) / 1000
        if delay > 0:
            wake.wait(min(delay, max_seconds))


class FileClock:
    """The time written in a file (epoch milliseconds); see the module docstring."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._last = self._read()

    def _read(self) -> int:
        try:
            text = self.path.read_text().strip()
        except OSError as error:
            raise ClockError(f"test clock file {self.path}: {error.strerror or error}") from None
        if not text.isdigit():
            raise ClockError(f"test clock file {self.path}: expected epoch milliseconds, found {text[:40]!r}")
        return int(text)

    def now_ms(self) -> int:
        try:
            value = self._read()
        except ClockError:
            return self._last  # caught between a test's write and rename: the previous time holds
        # Time never goes backwards, whatever the file says.
        self._last = max(self._last, value)
        return self._last

    def wait(self, until_ms: int, wake: threading.Event, max_seconds: float) -> None:
        deadline = time.monotonic() + max_seconds
        while self.now_ms() < until_ms and not wake.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            wake.wait(min(_FILE_CLOCK_POLL, remaining))


class ScaledClock:
    """Time from ``start_ms`` on, ``factor`` times faster than real time."""

    def __init__(self, start_ms: int, factor: float) -> None:
        if factor <= 0:
            raise ClockError(f"a scaled clock needs a factor above 0, not {factor}")
        self.start_ms = start_ms
        self.factor = factor
        self._origin = time.monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((time.monotonic() - self._origin) * 1000 * self.factor)

    def wait(self, until_ms: int, wake: threading.Event, max_seconds: float) -> None:
        delay = (until_ms - self.now_ms()) / 1000 / self.factor
        if delay > 0:
            wake.wait(min(delay, max_seconds))


def clock_from_environment(environ: dict[str, str] | None = None) -> Clock:
    """The wall clock, unless the test hook ``TRAILGUARD_TEST_CLOCK`` names another (see the module docstring)."""
    value = (os.environ if environ is None else environ).get(TEST_CLOCK_VARIABLE)
    if not value:
        return WallClock()
    kind, _, argument = value.partition(":")
    if kind == "file" and argument:
        return FileClock(argument)
    if kind == "scaled":
        factor, _, start = argument.partition("@")
        try:
            return ScaledClock(int(start) if start else time.time_ns() // 1_000_000, float(factor))
        except ValueError:
            pass
    raise ClockError(f"{TEST_CLOCK_VARIABLE}={value!r}: expected file:PATH or scaled:FACTOR@START_MS")
