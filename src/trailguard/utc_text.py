"""UTC times as text, the pieces every format is assembled from.

A replay writes the time of every transition, history item, notification and metric datapoint, hundreds of
thousands of them; ``strftime`` per time was a tenth of a long replay's alarm evaluation and report. The date
is formatted once per day (cached) and the clock by arithmetic, giving exactly what ``strftime`` gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

__all__ = ["iso_millis", "iso_seconds", "utc_clock", "utc_day"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS: Final = 86_400_000


@lru_cache(maxsize=8192)
def utc_day(days: int) -> tuple[str, str]:
    """Day ``days`` after 1970-01-01 as ``2022-08-26`` and as ``26/08/22`` (strftime's ``%Y-%m-%d`` and
    ``%d/%m/%y``); OverflowError outside years 1 to 9999."""
    day = _EPOCH + timedelta(days=days)
    return day.strftime("%Y-%m-%d"), day.strftime("%d/%m/%y")


def utc_clock(ms: int) -> tuple[int, str, int]:
    """Epoch milliseconds as (days since 1970-01-01, ``HH:MM:SS``, milliseconds), UTC; times before 1970 too."""
    days, of_day = divmod(ms, _DAY_MS)
    seconds, millis = divmod(of_day, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return days, f"{hours:02d}:{minutes:02d}:{seconds:02d}", millis


def iso_seconds(ms: int) -> str:
    """``2022-08-26T03:46:29Z``, or ``2022-08-26T03:46:29.897Z`` when there are milliseconds."""
    days, clock, millis = utc_clock(ms)
    return f"{utc_day(days)[0]}T{clock}" + (f".{millis:03d}Z" if millis else "Z")


def iso_millis(ms: int) -> str:
    """``2022-08-26T03:46:29.897Z``, always with milliseconds."""
    days, clock, millis = utc_clock(ms)
    return f"{utc_day(days)[0]}T{clock}.{millis:03d}Z"
