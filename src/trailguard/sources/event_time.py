"""CloudTrail ``eventTime`` → epoch milliseconds, and the range of event times trailguard supports.

The range is [1970-01-01T00:00:00Z, 9999-01-01T00:00:00Z):

- CloudWatch Logs timestamps are milliseconds since 1970-01-01 and cannot be negative (``InputLogEvent``
  in the CloudWatch Logs API reference: timestamp, "Valid Range: Minimum value of 0"), so no earlier
  event can reach a metric filter;
- alarms are evaluated, and their times printed, up to some weeks after the last event (at most
  EvaluationPeriods x Period, 7 days, plus a few periods); a year of margin before 9999-12-31, the last
  day a four-digit year can print, keeps every such time printable.

A record outside the range is quarantined ("eventTime outside the supported range"); ``--from`` and
``--to`` are held to the same range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = [
    "EARLIEST_EVENT_TIME_MS",
    "LATEST_EVENT_TIME_MS",
    "SUPPORTED_RANGE_TEXT",
    "in_supported_range",
    "parse_event_time",
    "parse_iso_time",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

EARLIEST_EVENT_TIME_MS: Final = 0  # 1970-01-01T00:00:00Z, included
LATEST_EVENT_TIME_MS: Final = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_MS  # excluded
SUPPORTED_RANGE_TEXT: Final = "from 1970-01-01T00:00:00Z up to (not including) 9999-01-01T00:00:00Z"


def in_supported_range(ms: int) -> bool:
    """True when epoch milliseconds ``ms`` lie in the supported event-time range."""
    return EARLIEST_EVENT_TIME_MS <= ms < LATEST_EVENT_TIME_MS


def parse_iso_time(value: object) -> int | None:
    """Return ``value`` (an ISO-8601 text such as ``2021-07-29T12:53:34Z``) in epoch milliseconds, whatever
    its year, or None when it is not an ISO-8601 timestamp.

    Fractional seconds (any number of digits; beyond microseconds they are truncated) and UTC offsets
    (``+00:00``, ``+02:00``) are accepted. A time without an offset is taken as UTC, which is what
    CloudTrail always writes. ``datetime.fromisoformat`` is C code in 3.11 and measured faster than a
    hand-written parser with a per-day cache, so it is the whole implementation.
    """
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic on timedelta: exact, unlike float seconds * 1000. An offset may carry a moment
    # just outside datetime's years 1..9999; the difference is still an exact timedelta.
    return (moment - _EPOCH) // _ONE_MS


def parse_event_time(value: object) -> int | None:
    """``value`` as epoch milliseconds when it is an ISO-8601 timestamp in the supported range, else None."""
    ms = parse_iso_time(value)
    if ms is None or not EARLIEST_EVENT_TIME_MS <= ms < LATEST_EVENT_TIME_MS:
        return None
    return ms
