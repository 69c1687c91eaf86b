"""Event sources: CloudTrail records as CloudWatch Logs events, from files, folders, standard input, S3 and
CloudWatch Logs.

    from trailguard.sources import Quarantine, SourceStats, read_sources

    with Quarantine(Path("bad-input.jsonl")) as quarantine:
        for event in read_sources(["AWSLogs/", "s3://trail-bucket/AWSLogs/"], quarantine):
            event.message, event.record, event.timestamp_ms, event.origin, event.position

Bad input never stops a run: it is counted and set aside in the quarantine. A source the user named that
cannot be used at all raises ``SourceError``; a quarantine file that cannot be written raises
``QuarantineError``. Memory, disk and time stay bounded whatever the input (``trailguard.sources.limits``).
"""

from trailguard.sources.aws import AwsOptions
from trailguard.sources.dispatch import measure_sources, read_sources
from trailguard.sources.errors import SourceError
from trailguard.sources.events import MAX_MESSAGE_BYTES, InputTotals, SourceEvent, SourceStats
from trailguard.sources.files import measure_paths, read_paths
from trailguard.sources.quarantine import Quarantine, QuarantineEntry, QuarantineError, QuarantineReason

__all__ = [
    "MAX_MESSAGE_BYTES",
    "AwsOptions",
    "InputTotals",
    "Quarantine",
    "QuarantineEntry",
    "QuarantineError",
    "QuarantineReason",
    "SourceError",
    "SourceEvent",
    "SourceStats",
    "measure_paths",
    "measure_sources",
    "read_paths",
    "read_sources",
]
