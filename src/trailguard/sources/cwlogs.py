"""CloudTrail from a CloudWatch Logs log group (where a trail delivers it), via ``FilterLogEvents``.

Syntax::

    logs://LOG_GROUP
    logs://LOG_GROUP?stream=PREFIX&start=TIME&end=TIME

LOG_GROUP is everything between ``logs://`` and ``?``, verbatim (``logs:///aws/cloudtrail/main`` names the
group ``/aws/cloudtrail/main``; ``?`` cannot occur in a group name). Parameters, each optional and at most
once, percent-encoded like any URL query:

- ``stream``: only log streams whose name starts with PREFIX (CloudTrail names them
  ``<account>_CloudTrail_<region>``, so ``stream=123456789012_CloudTrail_us-east-1`` picks one region);
- ``start`` / ``end``: ISO-8601 (``2026-11-20T09:00:00Z``) or epoch milliseconds, both inclusive. They
  bound the CloudWatch Logs event timestamp, as FilterLogEvents does; that timestamp is set at delivery
  and may differ from the record's eventTime by minutes.

Each log event's message is one CloudTrail record and is kept byte for byte as the message. Its time is the
record's ``eventTime``, as for files, so a replay from CloudWatch Logs and one from the trail's S3 files
agree. A message that is not a JSON object, or has no usable eventTime while event times are required, is
quarantined; when they are not required, the log event's own timestamp stands in. Origins are
``logs://GROUP/STREAM``; positions count events per stream, in the order returned. When a ``stream``
prefix gave no event and no log stream name starts with it, a warning says so (``SourceStats.warn``): a
mistyped prefix would otherwise look like a quiet account.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

from trailguard.pattern.event import parse_json_object
from trailguard.sources.aws import AwsOptions, aws_error_text
from trailguard.sources.errors import SourceError
from trailguard.sources.event_time import (
    LATEST_EVENT_TIME_MS,
    SUPPORTED_RANGE_TEXT,
    in_supported_range,
    parse_event_time,
    parse_iso_time,
)
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.jsondoc import json_type, parse_value
from trailguard.sources.quarantine import Quarantine, QuarantineReason
from trailguard.sources.records import event_time_problem

__all__ = ["LOGS_SCHEME", "LogsLocation", "convert_log_event", "filter_log_pages", "parse_logs_url", "read_logs"]

LOGS_SCHEME: Final = "logs://"
_PARAMETERS: Final = ("stream", "start", "end")


@dataclass(frozen=True, slots=True)
class LogsLocation:
    group: str
    stream_prefix: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None


def parse_logs_url(source: str) -> LogsLocation:
    """``logs://GROUP?stream=…&start=…&end=…`` → its parts; ``SourceError`` for anything malformed."""
    if not source.startswith(LOGS_SCHEME):
        raise SourceError(f"{source}: not a logs:// URL")
    group, _, query = source[len(LOGS_SCHEME) :].partition("?")
    if not group:
        raise SourceError(f"{source}: no log group name (expected logs://LOG_GROUP[?stream=PREFIX&start=…&end=…])")
    try:
        parameters = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise SourceError(f"{source}: malformed parameters after '?' (expected name=value&…)") from None
    unknown = sorted(set(parameters) - set(_PARAMETERS))
    if unknown:
        raise SourceError(f"{source}: unknown parameter {unknown[0]!r} (known: {', '.join(_PARAMETERS)})")
    for name, values in parameters.items():
        if len(values) > 1:
            raise SourceError(f"{source}: parameter {name!r} given {len(values)} times")

    def single(name: str) -> str | None:
        return parameters[name][0] if name in parameters else None

    start = _time_parameter(source, "start", single("start"))
    end = _time_parameter(source, "end", single("end"))
    if start is not None and end is not None and end < start:
        raise SourceError(f"{source}: end is before start")
    return LogsLocation(group, single("stream") or None, start, end)


def _time_parameter(source: str, name: str, text: str | None) -> int | None:
    if text is None:
        return None
    # isdigit() alone accepts digits of every script ("１２３"), which int() reads as a number.
    if text.isascii() and text.isdigit():
        value: int | None = int(text) if len(text) <= 20 else LATEST_EVENT_TIME_MS  # int() stops at 4,300 digits
    else:
        value = parse_iso_time(text)
    if value is None:
        raise SourceError(f"{source}: {name}={text!r} is neither ISO-8601 nor epoch milliseconds")
    if not in_supported_range(value):
        raise SourceError(f"{source}: {name}={text!r} is outside the supported range, {SUPPORTED_RANGE_TEXT}")
    return value


def read_logs(
    source: str,
    quarantine: Quarantine,
    *,
    aws: AwsOptions | None = None,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    page_size: int | None = None,
) -> Iterator[SourceEvent]:
    """Events from a ``logs://`` URL. The URL is checked now; CloudWatch Logs is first called when iteration
    starts, and any failure to call it (missing group, no credentials) then raises ``SourceError``.
    ``page_size`` caps the events per FilterLogEvents call (AWS's ``limit``; its default is 10,000)."""
    location = parse_logs_url(source)
    return _read(location, quarantine, aws or AwsOptions(), require_event_time, stats, page_size)


def _read(
    location: LogsLocation,
    quarantine: Quarantine,
    aws: AwsOptions,
    require_event_time: bool,
    stats: SourceStats | None,
    page_size: int | None,
) -> Iterator[SourceEvent]:
    positions: dict[str, int] = {}  # events seen per origin (log stream)
    client = aws.client("logs")
    yield from _events(client, location, quarantine, require_event_time, stats, page_size, positions)
    prefix = location.stream_prefix
    if prefix is not None and not positions and stats is not None and not _any_stream(client, location):
        stats.warn(
            f"{LOGS_SCHEME}{location.group}: no log stream name starts with {prefix!r}, so nothing was read "
            "from it (CloudTrail names its streams <account>_CloudTrail_<region>)"
        )


def _any_stream(client: Any, location: LogsLocation) -> bool:
    """Whether some log stream of the group has a name starting with the location's stream prefix."""
    import botocore.exceptions

    try:
        response = client.describe_log_streams(
            logGroupName=location.group, logStreamNamePrefix=location.stream_prefix, limit=1
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise SourceError(f"{LOGS_SCHEME}{location.group}: cannot list log streams: {aws_error_text(error)}") from None
    return bool(response.get("logStreams"))


def _events(
    client: Any,
    location: LogsLocation,
    quarantine: Quarantine,
    require_event_time: bool,
    stats: SourceStats | None,
    page_size: int | None,
    positions: dict[str, int],
) -> Iterator[SourceEvent]:
    for page in filter_log_pages(client, location, page_size):
        for log_event in page:
            event = convert_log_event(log_event, location, quarantine, positions, require_event_time, stats)
            if event is not None:
                yield event


def convert_log_event(
    log_event: dict[str, Any],
    location: LogsLocation,
    quarantine: Quarantine,
    positions: dict[str, int],
    require_event_time: bool = True,
    stats: SourceStats | None = None,
) -> SourceEvent | None:
    """One FilterLogEvents event as a source event (None: not of the location's streams, or quarantined).
    ``positions`` counts the events seen per origin (log stream) and gives each its position."""
    stream: str = log_event.get("logStreamName", "")
    if not stream.startswith(location.stream_prefix or ""):
        # AWS filters by logStreamNamePrefix itself; emulators behind endpoint_url (moto 5) ignore it.
        return None
    origin = f"{LOGS_SCHEME}{location.group}/{stream}"
    position = positions[origin] = positions.get(origin, 0) + 1
    message: str = log_event.get("message", "")
    record = parse_json_object(message)  # exactly as the pattern engine reads a message
    if not isinstance(record, dict):
        _quarantine_not_object(message, origin, position, quarantine)
        return None
    timestamp = parse_event_time(record.get("eventTime"))
    if timestamp is None:
        if require_event_time:
            reason, detail = event_time_problem(record)
            quarantine.add(origin, position, reason, message, detail)
            return None
        timestamp = log_event.get("timestamp")
    if stats is not None:
        stats.events += 1
        stats.bytes_decoded += len(message.encode())
    return SourceEvent(message, record, timestamp, origin, position)


def _quarantine_not_object(message: str, origin: str, position: int, quarantine: Quarantine) -> None:
    try:
        value, _ = parse_value(message)
    except ValueError as error:
        quarantine.add(origin, position, QuarantineReason.NOT_JSON, message, str(error))
    else:
        quarantine.add(origin, position, QuarantineReason.NOT_OBJECT, message, f"a JSON {json_type(value)}")


def filter_log_pages(
    client: Any, location: LogsLocation, page_size: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The pages of FilterLogEvents over the location (its stream prefix and time bounds), following nextToken;
    a call that fails raises ``SourceError``."""
    import botocore.exceptions

    request: dict[str, Any] = {"logGroupName": location.group}
    if page_size is not None:
        request["limit"] = page_size
    if location.stream_prefix is not None:
        request["logStreamNamePrefix"] = location.stream_prefix
    if location.start_ms is not None:
        request["startTime"] = location.start_ms
    if location.end_ms is not None:
        request["endTime"] = location.end_ms
    where = f"{LOGS_SCHEME}{location.group}"
    while True:
        try:
            response = client.filter_log_events(**request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise SourceError(f"{where}: cannot read log events: {aws_error_text(error)}") from None
        yield list(response.get("events", ()))
        # A page may be empty while more follow: only the absence of nextToken ends the search.
        token = response.get("nextToken")
        if not token:
            return
        request["nextToken"] = token
