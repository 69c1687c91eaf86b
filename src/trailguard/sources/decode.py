"""The stored bytes of one input (a file, an S3 object, standard input) → events.

Shared by every byte-oriented source, so that a file and an S3 object holding the same bytes give the same
events, the same quarantine entries and the same counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.jsondoc import GzipError, gunzip, iter_values
from trailguard.sources.quarantine import Quarantine, QuarantineReason
from trailguard.sources.records import build_events

__all__ = ["DIGEST_MARKER", "decode_input", "is_digest_name", "is_skipped_name"]

# CloudTrail names digest files <account>_CloudTrail-Digest_<region>_..., under .../CloudTrail-Digest/.
DIGEST_MARKER: Final = "CloudTrail-Digest"


def is_digest_name(name: str) -> bool:
    """True for a CloudTrail digest file name (integrity hashes, no events)."""
    return DIGEST_MARKER in name


def is_skipped_name(name: str) -> bool:
    """True for a file name met in a folder or under an S3 prefix that is not an event file: a digest, or a
    hidden name (``.DS_Store``, editor and sync leftovers)."""
    return name.startswith(".") or DIGEST_MARKER in name


def decode_input(
    data: bytes,
    origin: str,
    quarantine: Quarantine,
    *,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    keep_head: int = 0,
) -> Iterator[SourceEvent]:
    """Events from the stored bytes of one input (a file, an S3 object): gunzip if needed, parse, convert.

    ``keep_head`` is how many leading bytes an entry refusing the whole input keeps as its raw text (for
    inputs that cannot be read again, such as standard input).
    """
    if stats is not None:
        stats.files_read += 1
        stats.bytes_read += len(data)
    try:
        text = gunzip(data)
    except GzipError as error:
        head = data[:keep_head] if keep_head else None
        quarantine.add(origin, None, QuarantineReason.BAD_GZIP, head, str(error))
        return
    del data  # the compressed copy is not needed while the records are processed
    if stats is not None:
        stats.bytes_decoded += len(text)
    values = iter_values(text, origin, quarantine, keep_head=keep_head)
    yield from build_events(values, origin, quarantine, require_event_time=require_event_time, stats=stats)
