"""Live monitoring (``trailguard run``): CloudTrail followed as it arrives, metric filters and alarms evaluated in
wall-clock time with the replay's semantics, notifications delivered through the outbox, everything kept in a state
file so that a restart continues exactly where the last run stopped.

Modules: clock (wall clock, and the test clocks behind the ``TRAILGUARD_TEST_CLOCK`` hook), state (the SQLite
tables beside the outbox), monitor (filters, datapoints, evidence, evaluators, and their transactions), delivery
(the outbox's delivery thread), runner (the loop), metrics (Prometheus), logs (text and JSON lines). The followers
of each kind of source are in ``trailguard.sources.follow*``.
"""

from pathlib import Path

from trailguard.live.clock import Clock, ClockError, FileClock, ScaledClock, WallClock, clock_from_environment
from trailguard.live.delivery import LIVE_BACKOFF, DeliveryWorker
from trailguard.live.logs import configure_logging
from trailguard.live.metrics import LiveMetrics
from trailguard.live.monitor import AlarmChange, IngestReport, LiveMonitor
from trailguard.live.runner import FollowedSource, LiveRunner, RunnerSettings
from trailguard.live.state import STATE_FILE_NAME, LiveState, LiveStateError, open_read_only

__all__ = [
    "LIVE_BACKOFF",
    "STATE_FILE_NAME",
    "AlarmChange",
    "Clock",
    "ClockError",
    "DeliveryWorker",
    "FileClock",
    "FollowedSource",
    "IngestReport",
    "LiveMetrics",
    "LiveMonitor",
    "LiveRunner",
    "LiveState",
    "LiveStateError",
    "RunnerSettings",
    "ScaledClock",
    "WallClock",
    "clock_from_environment",
    "configure_logging",
    "default_state_dir",
    "open_read_only",
]


def default_state_dir() -> Path:
    """The user state folder of trailguard (``~/.local/state/trailguard`` on Linux; ``platformdirs`` decides)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("trailguard", appauthor=False))
