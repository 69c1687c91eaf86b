"""The ``trailguard`` context block: who and what made an alarm fire, summarised from its CloudTrail records.

CloudWatch's own notification says that a metric crossed a threshold, not who crossed it; the CIS monitoring
controls exist so that a responder learns of, say, a burst of failed console sign-ins with the source IP in hand.
The block holds the number of matching events, the first and last event time, and the most frequent source IPs,
user identities, identity types, user agents and event names with their counts.

Memory is bounded: a :class:`ContextBuilder` keeps at most ``limit`` distinct values per field (the first ones
seen) and counts every later newcomer as "other", so summarising a flood costs the same as a handful; builders
merge, so per-minute summaries can be combined into the summary of a period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from trailguard.sources.event_time import parse_event_time
from trailguard.utc_text import iso_seconds

__all__ = ["ContextBuilder", "NotificationContext", "ValueCount", "context_from_records", "identity_of"]

#: (JSON key, label for people) of every summarised field, in the order they are shown.
FIELDS: Final = (
    ("sourceIPAddresses", "Source IPs"),
    ("userIdentities", "Users"),
    ("userIdentityTypes", "Identity types"),
    ("userAgents", "User agents"),
    ("eventNames", "Events"),
)
DEFAULT_MAX_VALUES: Final = 5
DEFAULT_TRACKED_VALUES: Final = 50
_MAX_TEXT: Final = 200  # a user agent can be long; a value shown to people is cut here


@dataclass(frozen=True, slots=True)
class ValueCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class NotificationContext:
    """A bounded summary of the events behind a notification. ``values[key]`` lists the most frequent values of
    one field of :data:`FIELDS`, most frequent first; ``others[key]`` counts the events whose value is not listed."""

    event_count: int
    first_event_ms: int | None
    last_event_ms: int | None
    values: Mapping[str, tuple[ValueCount, ...]] = field(default_factory=dict)
    others: Mapping[str, int] = field(default_factory=dict)

    def top(self, key: str) -> tuple[ValueCount, ...]:
        return self.values.get(key, ())

    @property
    def source_ips(self) -> tuple[ValueCount, ...]:
        return self.top("sourceIPAddresses")

    def to_json_dict(self) -> dict[str, Any]:
        """The ``trailguard`` key of a JSON envelope."""
        data: dict[str, Any] = {
            "eventCount": self.event_count,
            "firstEventTime": _iso(self.first_event_ms),
            "lastEventTime": _iso(self.last_event_ms),
        }
        for key, _ in FIELDS:
            data[key] = [{"value": v.value, "count": v.count} for v in self.top(key)]
        others = {key: count for key, count in self.others.items() if count}
        if others:
            data["otherValues"] = others
        return data

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> NotificationContext:
        values = {
            key: tuple(ValueCount(str(item["value"]), int(item["count"])) for item in data.get(key, ()))
            for key, _ in FIELDS
        }
        return cls(
            int(data["eventCount"]),
            parse_event_time(data.get("firstEventTime")),
            parse_event_time(data.get("lastEventTime")),
            values,
            {str(k): int(v) for k, v in data.get("otherValues", {}).items()},
        )

    def text_lines(self) -> list[str]:
        """The block as plain-text lines for people (email, Slack, webhooks)."""
        lines = [f"- Matching events:            {self.event_count}"]
        if self.first_event_ms is not None and self.last_event_ms is not None:
            lines.append(f"- First event:                {_iso(self.first_event_ms)}")
            lines.append(f"- Last event:                 {_iso(self.last_event_ms)}")
        for key, label in FIELDS:
            shown = self.top(key)
            if not shown:
                continue
            text = ", ".join(f"{_cut(v.value)} ({v.count})" for v in shown)
            other = self.others.get(key, 0)
            if other:
                text += f", {other} other"
            lines.append(f"- {label + ':':<28}{text}")
        return lines


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return iso_seconds(ms)


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def identity_of(user_identity: Any) -> tuple[str | None, str | None]:
    """(who, identity type) of a CloudTrail ``userIdentity``: the user name, else the last part of the ARN
    (``root``, ``assumed-role/ci-deploy/session``), else the principal id or the invoking service."""
    if not isinstance(user_identity, Mapping):
        return None, None
    kind = user_identity.get("type")
    kind = kind if isinstance(kind, str) and kind else None
    for candidate in (
        user_identity.get("userName"),
        _arn_tail(user_identity.get("arn")),
        user_identity.get("principalId"),
        user_identity.get("invokedBy"),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate, kind
    return None, kind


def _arn_tail(arn: Any) -> str | None:
    if not isinstance(arn, str) or ":" not in arn:
        return None
    tail = arn.rsplit(":", 1)[-1]
    return tail.removeprefix("user/") or None


class _BoundedCounts:
    """Counts of at most ``limit`` distinct values; later newcomers are only counted, in ``other``."""

    __slots__ = ("counts", "limit", "other")

    def __init__(self, limit: int) -> None:
        self.counts: dict[str, int] = {}
        self.limit = limit
        self.other = 0

    def add(self, value: str, count: int = 1) -> None:
        counts = self.counts
        if value in counts:
            counts[value] += count
        elif len(counts) < self.limit:
            counts[value] = count
        else:
            self.other += count

    def merge(self, other: _BoundedCounts) -> None:
        for value, count in other.counts.items():
            self.add(value, count)
        self.other += other.other


class ContextBuilder:
    """Accumulates records into a context; ``merge`` folds another builder in."""

    __slots__ = ("_fields", "count", "first_ms", "last_ms")

    def __init__(self, tracked_values: int = DEFAULT_TRACKED_VALUES) -> None:
        self.count = 0
        self.first_ms: int | None = None
        self.last_ms: int | None = None
        self._fields = {key: _BoundedCounts(tracked_values) for key, _ in FIELDS}

    def add(self, record: Mapping[str, Any], timestamp_ms: int | None = None) -> None:
        """One CloudTrail record; its time is ``timestamp_ms`` when given, else its ``eventTime``."""
        self.count += 1
        at = timestamp_ms if timestamp_ms is not None else parse_event_time(record.get("eventTime"))
        if at is not None:
            self.first_ms = at if self.first_ms is None else min(self.first_ms, at)
            self.last_ms = at if self.last_ms is None else max(self.last_ms, at)
        who, kind = identity_of(record.get("userIdentity"))
        fields = self._fields
        for key, value in (
            ("sourceIPAddresses", record.get("sourceIPAddress")),
            ("userIdentities", who),
            ("userIdentityTypes", kind),
            ("userAgents", record.get("userAgent")),
            ("eventNames", record.get("eventName")),
        ):
            if isinstance(value, str) and value:
                fields[key].add(value)

    def merge(self, other: ContextBuilder) -> None:
        self.count += other.count
        for ms in (other.first_ms, other.last_ms):
            if ms is not None:
                self.first_ms = ms if self.first_ms is None else min(self.first_ms, ms)
                self.last_ms = ms if self.last_ms is None else max(self.last_ms, ms)
        for key, counts in other._fields.items():
            self._fields[key].merge(counts)

    def to_state(self) -> dict[str, Any]:
        """Everything the builder holds, as JSON-able data that :meth:`from_state` reads back exactly (the live
        runner keeps builders in its state file)."""
        return {
            "count": self.count,
            "first": self.first_ms,
            "last": self.last_ms,
            "fields": {
                key: {"limit": counts.limit, "counts": counts.counts, "other": counts.other}
                for key, counts in self._fields.items()
            },
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> ContextBuilder:
        builder = cls()
        builder.count = int(data["count"])
        builder.first_ms = data["first"]
        builder.last_ms = data["last"]
        for key, saved in data["fields"].items():
            counts = builder._fields[key] = _BoundedCounts(int(saved["limit"]))
            counts.counts = {str(value): int(count) for value, count in saved["counts"].items()}
            counts.other = int(saved["other"])
        return builder

    def build(self, max_values: int = DEFAULT_MAX_VALUES) -> NotificationContext:
        values: dict[str, tuple[ValueCount, ...]] = {}
        others: dict[str, int] = {}
        for key, counts in self._fields.items():
            ranked = sorted(counts.counts.items(), key=lambda item: (-item[1], item[0]))
            values[key] = tuple(ValueCount(v, c) for v, c in ranked[:max_values])
            other = counts.other + sum(c for _, c in ranked[max_values:])
            if other:
                others[key] = other
        return NotificationContext(self.count, self.first_ms, self.last_ms, values, others)


def context_from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    max_values: int = DEFAULT_MAX_VALUES,
    tracked_values: int = DEFAULT_TRACKED_VALUES,
) -> NotificationContext:
    """The context of these CloudTrail records: at most ``max_values`` values shown per field, counted exactly
    among the first ``tracked_values`` distinct values of each field."""
    builder = ContextBuilder(tracked_values)
    for record in records:
        builder.add(record)
    return builder.build(max_values)
