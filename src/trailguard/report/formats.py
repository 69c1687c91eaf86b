"""How the reports write times, values, durations and sizes for people (the same in HTML and on the terminal)."""

from __future__ import annotations

from datetime import UTC, datetime

from trailguard.model.constants import COMPARISONS
from trailguard.utc_text import iso_seconds

__all__ = [
    "alarm_sentence",
    "bucket_name",
    "duration",
    "format_time",
    "format_value",
    "iso",
    "plural",
    "size",
    "time_range",
]


def iso(ms: int) -> str:
    """ISO 8601 UTC with a ``Z``, milliseconds only when there are some: the documents' own time format."""
    return iso_seconds(ms)


def format_time(ms: int, *, seconds: bool = True) -> str:
    """``2026-11-20 09:13:00`` (UTC), as the pages show times."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def time_range(start_ms: int, end_ms: int) -> str:
    """``2026-11-20 09:09 → 09:14``: the end without its date when it is the same day."""
    start, end = format_time(start_ms, seconds=False), format_time(end_ms, seconds=False)
    return f"{start} → {end[11:] if end[:10] == start[:10] else end}"


def bucket_name(ms: int) -> str:
    """``minute``, ``5 minutes``, ``hour``, ``day``, ``week``: the length of a histogram's bucket."""
    for unit, length in (("week", 604_800_000), ("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000)):
        if ms % length == 0:
            count = ms // length
            return unit if count == 1 else f"{count} {unit}s"
    return f"{ms / 1000:g} s"


def format_value(value: float) -> str:
    """A value for people: integers with thousands separators, others with up to 6 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"


def duration(ms: float) -> str:
    """``45 s``, ``12 min``, ``2 h 05 min``, ``3 d 4 h``."""
    seconds = int(ms // 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def size(count: float) -> str:
    """Bytes for people: ``29.5 kB``, ``1.07 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{int(count)} B"


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 transition``, ``2,227 transitions``."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def alarm_sentence(
    statistic: str, namespace: str, metric: str, period_s: int, comparison: str, threshold: float | None, m: int, n: int
) -> str:
    """``Sum of CISBenchmark/X over 300 s >= 1 for 1 of 1 period``: an alarm's rule in one line."""
    known = COMPARISONS.get(comparison)
    sign = known.sign if known is not None else comparison
    limit = "" if threshold is None else f" {format_value(threshold)}"
    return f"{statistic} of {namespace}/{metric} over {period_s} s {sign}{limit} for {m} of {n} period{'s' * (n != 1)}"
