"""Parsed CloudTrail record → ``SourceEvent``: the compact JSON message, the event time, the size cap.

This is the per-record hot path of a replay, so it does only what it must: one ``orjson.dumps`` and one
``fromisoformat`` per record; everything else happens only for the rare bad record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from trailguard.pattern.event import parse_json_object
from trailguard.sources.event_time import SUPPORTED_RANGE_TEXT, parse_event_time, parse_iso_time
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.jsondoc import Value, json_type, write_lenient
from trailguard.sources.limits import MAX_MESSAGE_BYTES
from trailguard.sources.quarantine import Quarantine, QuarantineReason

__all__ = ["build_events", "event_time_problem"]


def event_time_problem(record: dict[str, Any]) -> tuple[QuarantineReason, str]:
    """Why the record has no usable eventTime: the quarantine reason and a detail."""
    value = record.get("eventTime")
    if value is None:
        return QuarantineReason.MISSING_EVENT_TIME, ""
    shown = orjson.dumps(value).decode()[:100]
    if parse_iso_time(value) is not None:
        return QuarantineReason.EVENT_TIME_OUT_OF_RANGE, f"eventTime is {shown}; supported: {SUPPORTED_RANGE_TEXT}"
    return QuarantineReason.BAD_EVENT_TIME, f"eventTime is {shown}"


def build_events(
    values: Iterable[Value],
    origin: str,
    quarantine: Quarantine,
    *,
    require_event_time: bool,
    stats: SourceStats | None,
) -> Iterator[SourceEvent]:
    """Turn record candidates into events; whatever cannot be one goes to ``quarantine`` with its position."""
    add = quarantine.add
    for position, value, exact in values:
        if type(value) is not dict:
            add(origin, position, QuarantineReason.NOT_OBJECT, _raw(value), f"a JSON {json_type(value)}")
            continue
        try:
            body = orjson.dumps(value) if exact else write_lenient(value)
        except (orjson.JSONEncodeError, RecursionError) as error:
            # In practice text with lone surrogates, which a CloudWatch Logs message (UTF-8) cannot hold.
            add(origin, position, QuarantineReason.NOT_SERIALIZABLE, None, str(error))
            continue
        if len(body) > MAX_MESSAGE_BYTES:
            add(
                origin,
                position,
                QuarantineReason.TOO_LARGE,
                body,
                f"{len(body):,} bytes; CloudTrail does not deliver events over {MAX_MESSAGE_BYTES:,} bytes "
                "to CloudWatch Logs",
            )
            continue
        # A leniently parsed value holds NumberText leaves: the record handed on is what the pattern engine
        # itself makes of the message, so matching with the record equals matching the message.
        record = value if exact else parse_json_object(body)
        if type(record) is not dict:
            # The pattern engine's parser refuses the one thing the lenient parser keeps as text: an integer
            # of over 4,300 digits (Python's limit on int()), which no CloudTrail record holds.
            detail = "an integer of over 4,300 digits, which the pattern engine cannot read"
            add(origin, position, QuarantineReason.NUMBER_TOO_LONG, body, detail)
            continue
        timestamp = parse_event_time(record.get("eventTime"))
        if timestamp is None and require_event_time:
            reason, detail = event_time_problem(record)
            add(origin, position, reason, body, detail)
            continue
        if stats is not None:
            stats.events += 1
        yield SourceEvent(body.decode(), record, timestamp, origin, position)


def _raw(value: Any) -> bytes | None:
    try:
        return write_lenient(value)
    except (orjson.JSONEncodeError, RecursionError):
        return None
