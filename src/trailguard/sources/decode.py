"""The stored bytes of one input (a file, an S3 object, standard input) → events.

Shared by every byte-oriented source, so that a file and an S3 object holding the same bytes give the same
events, the same quarantine entries and the same counts.

An input is read through ``InputReader`` (gunzipped on the fly) up to ``MAX_DOCUMENT_BYTES`` of decoded
bytes. When it ends by then, it is parsed whole (``iter_values``: every accepted shape); otherwise it must
be JSON lines and is read line by line (``iter_streamed_lines``). Either way memory stays bounded whatever
the input's size or compression ratio.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.inflate import GzipBombError, GzipError, InputReader, Readable
from trailguard.sources.jsondoc import Value, iter_streamed_lines, iter_values
from trailguard.sources.limits import MAX_DOCUMENT_BYTES
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
    stream: Readable,
    origin: str,
    quarantine: Quarantine,
    *,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    keep_head: int = 0,
) -> Iterator[SourceEvent]:
    """Events from one input read through ``stream``: gunzip if needed, parse, convert.

    Damaged gzip, a gzip bomb or a failing read met before any record quarantines the whole input; met
    later in a large input, it quarantines the rest of it (see ``iter_streamed_lines``). ``keep_head`` is
    how many leading bytes an entry refusing the whole input keeps as its raw text (for inputs that cannot
    be read again, such as standard input).
    """
    if stats is not None:
        stats.files_read += 1
    reader: InputReader | None = None
    try:
        reader = InputReader(stream, stats)
        head = reader.read(MAX_DOCUMENT_BYTES + 1)
    except GzipError as error:
        raw = reader.opening[:keep_head] if keep_head and reader is not None else None
        reason = QuarantineReason.GZIP_BOMB if isinstance(error, GzipBombError) else QuarantineReason.BAD_GZIP
        quarantine.add(origin, None, reason, raw, str(error))
        return
    except OSError as error:
        quarantine.add(origin, None, QuarantineReason.UNREADABLE, None, f"read failed: {error.strerror or error}")
        return
    values: Iterator[Value]
    if len(head) <= MAX_DOCUMENT_BYTES:
        values = iter_values(head, origin, quarantine, keep_head=keep_head)
    else:
        values = iter_streamed_lines(head, reader.read, origin, quarantine, keep_head=keep_head)
    del head  # only the parser may hold the decoded bytes, for as long as it needs them
    yield from build_events(values, origin, quarantine, require_event_time=require_event_time, stats=stats)
