"""The inventory snapshot: what one read of an AWS account returned, as plain data that round-trips JSON.

A :class:`Snapshot` holds, for the CIS monitoring audit, the raw API responses (each list item or
response exactly as boto3 returned it, minus ``ResponseMetadata``, with timestamps as ISO-8601 strings)
beside the few identifiers the records are joined by, plus every call that failed (:class:`CallError`),
recorded against the resource it was about. Nothing here interprets the responses beyond reading join
keys: deciding what they mean is the audit's job.

Python fields are snake_case; the JSON document keeps AWS's spelling for raw responses (keyed by the
operation that returned them, ``"GetTrailStatus": {...}``) and uses camelCase for trailguard's own fields.
:meth:`Snapshot.to_json` / :meth:`Snapshot.from_json` convert; :func:`save_snapshot` / :func:`load_snapshot`
write and read files, and a malformed file is a :class:`SnapshotError` naming the file and the key path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

import orjson

from trailguard.json_kinds import type_phrase

__all__ = [
    "NOT_ATTEMPTED",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "AlarmRegionRecord",
    "CallError",
    "LogGroupRecord",
    "LogGroupRef",
    "RegionListing",
    "Snapshot",
    "SnapshotError",
    "TopicRecord",
    "TrailRecord",
    "load_snapshot",
    "parse_log_group_arn",
    "plain_response",
    "save_snapshot",
]

SNAPSHOT_FORMAT: Final = "trailguard-aws-inventory"
SNAPSHOT_VERSION: Final = 1

#: ``CallError.code`` of a call the inventory did not make (no credentials for the owning account, or the
#: resource's identifier was unusable); ``message`` says why and what would make it possible.
NOT_ATTEMPTED: Final = "NotAttempted"

_T = TypeVar("_T")


class SnapshotError(ValueError):
    """A snapshot file or document that cannot be loaded; the message names the file and the key path."""


def plain_response(value: Any) -> Any:
    """A boto3 response made JSON-ready: ``ResponseMetadata`` dropped, datetimes as ISO-8601 UTC strings
    (``2026-11-30T02:03:13Z``, milliseconds kept when present), tuples as lists."""
    if isinstance(value, dict):
        return {str(key): plain_response(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [plain_response(item) for item in value]
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# --- identifiers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogGroupRef:
    """A log group identified the only safe way: partition, region, account and name (from its ARN)."""

    partition: str
    region: str
    account_id: str
    name: str

    @property
    def arn(self) -> str:
        """The canonical ARN, without CloudTrail's trailing ``:*`` (DescribeLogGroups' ``logGroupArn``)."""
        return f"arn:{self.partition}:logs:{self.region}:{self.account_id}:log-group:{self.name}"


_LOG_GROUP_ARN: Final = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):logs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"log-group:(?P<name>[^:*]+)(?::\*)?\Z"
)


def parse_log_group_arn(arn: str) -> LogGroupRef | None:
    """``arn:aws:logs:eu-west-1:123456789012:log-group:NAME[:*]`` → its parts; ``None`` if it is not one.

    Log group names cannot contain ``:`` ("CreateLogGroup", CloudWatch Logs API Reference), so the name
    is everything between ``log-group:`` and an optional ``:*``.
    """
    match = _LOG_GROUP_ARN.match(arn)
    if match is None:
        return None
    return LogGroupRef(match["partition"], match["region"], match["account"], match["name"])


# --- records ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallError:
    """One API call that failed or was not made, and the resource it was about.

    - ``service``: boto3 client name (``"logs"``); ``operation``: API operation (``"DescribeMetricFilters"``).
    - ``region``: where the call went (or would have gone).
    - ``account_id``: the account owning the resource (``None`` when unknown).
    - ``resource``: ARN or name the call was about (``""`` for region-wide calls such as DescribeAlarms).
    - ``code``: AWS's error code (``"AccessDeniedException"``), or :data:`NOT_ATTEMPTED`.
    - ``message``: AWS's message, or why the call was not made.
    """

    service: str
    operation: str
    region: str
    account_id: str | None
    resource: str
    code: str
    message: str

    @property
    def iam_action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def attempted(self) -> bool:
        return self.code != NOT_ATTEMPTED

    def __str__(self) -> str:
        about = f" for {self.resource}" if self.resource else ""
        return f"{self.code} on {self.iam_action} in {self.region}{about}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "region": self.region,
            "accountId": self.account_id,
            "resource": self.resource,
            "code": self.code,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, reader: _Reader) -> CallError:
        return cls(
            service=reader.string("service"),
            operation=reader.string("operation"),
            region=reader.string("region"),
            account_id=reader.optional_string("accountId"),
            resource=reader.string("resource"),
            code=reader.string("code"),
            message=reader.string("message"),
        )


@dataclass(frozen=True, slots=True)
class RegionListing:
    """What ``DescribeTrails(includeShadowTrails=True)`` returned in one audited region.

    - ``region``: the audited region.
    - ``trail_arns``: ARNs of every trail listed there, shadow trails (multi-region and organization trails
      whose home is elsewhere) included, in the order returned; details are in :class:`TrailRecord`.
    - ``errors``: the DescribeTrails failure, if any (then ``trail_arns`` is empty and unknown).
    """

    region: str
    trail_arns: tuple[str, ...]
    errors: tuple[CallError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "trailArns": list(self.trail_arns), "errors": _errors_json(self.errors)}

    @classmethod
    def from_json(cls, reader: _Reader) -> RegionListing:
        return cls(
            region=reader.string("region"),
            trail_arns=tuple(reader.strings("trailArns")),
            errors=reader.errors(),
        )


@dataclass(frozen=True, slots=True)
class TrailRecord:
    """One trail, once, however many regions listed it.

    - ``arn``: ``TrailARN`` (the key: a name is only unique per region and account).
    - ``home_region``: the region the trail was created in; its status and selectors were read there.
    - ``listed_in``: audited regions whose DescribeTrails returned it, sorted.
    - ``description``: the DescribeTrails ``trailList`` entry, raw (``IsMultiRegionTrail``, ``HomeRegion``,
      ``IsOrganizationTrail``, ``CloudWatchLogsLogGroupArn``, ``CloudWatchLogsRoleArn``, ...).
    - ``status``: the GetTrailStatus response, raw (``IsLogging``...); ``None`` when the call failed.
    - ``selectors``: the GetEventSelectors response, raw: ``EventSelectors`` and/or
      ``AdvancedEventSelectors`` (and ``TrailARN``); ``None`` when the call failed.
    - ``read_as``: the account whose credentials read status and selectors (``None`` if not read).
    - ``errors``: failed or skipped calls about this trail.
    """

    arn: str
    home_region: str
    listed_in: tuple[str, ...]
    description: dict[str, Any]
    status: dict[str, Any] | None
    selectors: dict[str, Any] | None
    read_as: str | None
    errors: tuple[CallError, ...] = ()

    @property
    def name(self) -> str:
        return str(self.description.get("Name") or self.arn.rsplit("/", 1)[-1])

    @property
    def account_id(self) -> str:
        """The account that owns the trail (the management account, for an organization trail)."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else ""

    @property
    def is_multi_region(self) -> bool:
        return self.description.get("IsMultiRegionTrail") is True

    @property
    def is_organization_trail(self) -> bool:
        return self.description.get("IsOrganizationTrail") is True

    @property
    def log_group_arn(self) -> str | None:
        """``CloudWatchLogsLogGroupArn`` as the trail reports it (``...:log-group:NAME:*``), or ``None``."""
        value = self.description.get("CloudWatchLogsLogGroupArn")
        return str(value) if value else None

    @property
    def log_group(self) -> LogGroupRef | None:
        """The log group the trail delivers to, parsed from its ARN (``None``: none, or not a log group ARN)."""
        return parse_log_group_arn(self.log_group_arn) if self.log_group_arn else None

    @property
    def cloudwatch_logs_role_arn(self) -> str | None:
        value = self.description.get("CloudWatchLogsRoleArn")
        return str(value) if value else None

    @property
    def is_logging(self) -> bool | None:
        """GetTrailStatus ``IsLogging``; ``None`` when the status could not be read."""
        return None if self.status is None else self.status.get("IsLogging") is True

    @property
    def event_selectors(self) -> list[dict[str, Any]] | None:
        """Basic event selectors (``None`` when GetEventSelectors could not be read)."""
        return None if self.selectors is None else list(self.selectors.get("EventSelectors") or [])

    @property
    def advanced_event_selectors(self) -> list[dict[str, Any]] | None:
        return None if self.selectors is None else list(self.selectors.get("AdvancedEventSelectors") or [])

    def to_json(self) -> dict[str, Any]:
        return {
            "trailArn": self.arn,
            "homeRegion": self.home_region,
            "listedIn": list(self.listed_in),
            "readAs": self.read_as,
            "DescribeTrails": self.description,
            "GetTrailStatus": self.status,
            "GetEventSelectors": self.selectors,
            "errors": _errors_json(self.errors),
        }

    @classmethod
    def from_json(cls, reader: _Reader) -> TrailRecord:
        return cls(
            arn=reader.string("trailArn"),
            home_region=reader.string("homeRegion"),
            listed_in=tuple(reader.strings("listedIn")),
            description=reader.object("DescribeTrails"),
            status=reader.optional_object("GetTrailStatus"),
            selectors=reader.optional_object("GetEventSelectors"),
            read_as=reader.optional_string("readAs"),
            errors=reader.errors(),
        )


@dataclass(frozen=True, slots=True)
class LogGroupRecord:
    """A log group some trail delivers to, read in its own region and account.

    - ``ref``: partition, region, account and name, from the trail's ``CloudWatchLogsLogGroupArn``.
    - ``exists``: ``True`` when DescribeLogGroups listed it, ``False`` when it did not, ``None`` when that
      call failed or was not made.
    - ``description``: the DescribeLogGroups ``logGroups`` entry, raw, when it exists.
    - ``metric_filters``: every DescribeMetricFilters ``metricFilters`` entry of every page, raw, in the
      order returned; ``None`` when the call failed or was not made.
    - ``read_as``: the account whose credentials read it (``None`` if not read: another account's log group
      and no credentials for it).
    - ``errors``: failed or skipped calls about this log group.
    """

    ref: LogGroupRef
    exists: bool | None
    description: dict[str, Any] | None
    metric_filters: tuple[dict[str, Any], ...] | None
    read_as: str | None
    errors: tuple[CallError, ...] = ()

    @property
    def arn(self) -> str:
        return self.ref.arn

    @property
    def account_id(self) -> str:
        return self.ref.account_id

    @property
    def region(self) -> str:
        return self.ref.region

    @property
    def name(self) -> str:
        return self.ref.name

    def to_json(self) -> dict[str, Any]:
        return {
            "logGroupArn": self.ref.arn,
            "partition": self.ref.partition,
            "accountId": self.ref.account_id,
            "region": self.ref.region,
            "logGroupName": self.ref.name,
            "exists": self.exists,
            "readAs": self.read_as,
            "DescribeLogGroups": self.description,
            "DescribeMetricFilters": None if self.metric_filters is None else list(self.metric_filters),
            "errors": _errors_json(self.errors),
        }

    @classmethod
    def from_json(cls, reader: _Reader) -> LogGroupRecord:
        ref = LogGroupRef(
            partition=reader.string("partition"),
            region=reader.string("region"),
            account_id=reader.string("accountId"),
            name=reader.string("logGroupName"),
        )
        if reader.string("logGroupArn") != ref.arn:
            reader.fail("logGroupArn", f"does not match partition, region, accountId and logGroupName ({ref.arn})")
        filters = reader.optional_objects("DescribeMetricFilters")
        return cls(
            ref=ref,
            exists=reader.optional_bool("exists"),
            description=reader.optional_object("DescribeLogGroups"),
            metric_filters=None if filters is None else tuple(filters),
            read_as=reader.optional_string("readAs"),
            errors=reader.errors(),
        )


@dataclass(frozen=True, slots=True)
class AlarmRegionRecord:
    """Every alarm of one account in one region holding a trail's log group (alarms on a metric live in
    the metric's region, and a metric filter publishes in its log group's region).

    - ``account_id``, ``region``: where DescribeAlarms was called.
    - ``metric_alarms``: every ``MetricAlarms`` entry of every page, raw; ``None`` if not read.
    - ``composite_alarms``: every ``CompositeAlarms`` entry, raw; ``None`` if not read.
    - ``read_as``, ``errors``: as for :class:`LogGroupRecord`.
    """

    account_id: str
    region: str
    metric_alarms: tuple[dict[str, Any], ...] | None
    composite_alarms: tuple[dict[str, Any], ...] | None
    read_as: str | None
    errors: tuple[CallError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "accountId": self.account_id,
            "region": self.region,
            "readAs": self.read_as,
            "MetricAlarms": None if self.metric_alarms is None else list(self.metric_alarms),
            "CompositeAlarms": None if self.composite_alarms is None else list(self.composite_alarms),
            "errors": _errors_json(self.errors),
        }

    @classmethod
    def from_json(cls, reader: _Reader) -> AlarmRegionRecord:
        metric = reader.optional_objects("MetricAlarms")
        composite = reader.optional_objects("CompositeAlarms")
        return cls(
            account_id=reader.string("accountId"),
            region=reader.string("region"),
            metric_alarms=None if metric is None else tuple(metric),
            composite_alarms=None if composite is None else tuple(composite),
            read_as=reader.optional_string("readAs"),
            errors=reader.errors(),
        )


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """An SNS topic named by the action of an alarm that may be on a chain, read in the region and
    account its ARN names.

    - ``arn``, ``account_id``, ``region``, ``name``: from the topic ARN as the alarm names it.
    - ``attributes``: GetTopicAttributes ``Attributes``, raw (all values are strings: ``Policy`` is a JSON
      text, ``KmsMasterKeyId``, ``Owner``...); ``None`` when the call failed (see ``errors``: ``NotFound``
      means the topic does not exist).
    - ``subscriptions``: every ListSubscriptionsByTopic ``Subscriptions`` entry of every page, raw
      (``SubscriptionArn`` is ``"PendingConfirmation"`` for a pending one); ``None`` when the call failed.
    - ``read_as``, ``errors``: as for :class:`LogGroupRecord`.
    """

    arn: str
    account_id: str
    region: str
    name: str
    attributes: dict[str, Any] | None
    subscriptions: tuple[dict[str, Any], ...] | None
    read_as: str | None
    errors: tuple[CallError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "topicArn": self.arn,
            "accountId": self.account_id,
            "region": self.region,
            "topicName": self.name,
            "readAs": self.read_as,
            "GetTopicAttributes": self.attributes,
            "ListSubscriptionsByTopic": None if self.subscriptions is None else list(self.subscriptions),
            "errors": _errors_json(self.errors),
        }

    @classmethod
    def from_json(cls, reader: _Reader) -> TopicRecord:
        subscriptions = reader.optional_objects("ListSubscriptionsByTopic")
        return cls(
            arn=reader.string("topicArn"),
            account_id=reader.string("accountId"),
            region=reader.string("region"),
            name=reader.string("topicName"),
            attributes=reader.optional_object("GetTopicAttributes"),
            subscriptions=None if subscriptions is None else tuple(subscriptions),
            read_as=reader.optional_string("readAs"),
            errors=reader.errors(),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One read of one account.

    - ``account_id``, ``caller_arn``, ``partition``: from GetCallerIdentity of the audited credentials.
    - ``generated``: when the inventory started, ISO-8601 UTC (``2026-11-30T02:03:13Z``).
    - ``regions``: the audited regions, sorted; ``region_source`` says how they were chosen:
      ``"requested"`` (given), ``"default"`` (the session's default region), ``"describe-regions"`` or
      ``"static-list"`` (``--all-regions``).
    - ``notes``: facts a reader of the results must know (a fallback region list, a pagination token the
      endpoint repeated).
    - ``followed_accounts``: other accounts the inventory had credentials for and read resources in.
    - ``listings``: per audited region, the trails DescribeTrails listed.
    - ``trails``: each trail once, by ARN. ``log_groups``: each trail log group once, by ARN.
      ``alarm_regions``: alarms per (account, region) of those log groups. ``topics``: each topic named by
      a relevant alarm's ``AlarmActions``, once.

    The records are frozen, but the raw responses inside them are plain dicts and lists shared with
    every copy: read them, never change them (build a new record with :func:`dataclasses.replace`).
    """

    account_id: str
    caller_arn: str
    partition: str
    generated: str
    regions: tuple[str, ...]
    region_source: str
    notes: tuple[str, ...] = ()
    followed_accounts: tuple[str, ...] = ()
    listings: tuple[RegionListing, ...] = ()
    trails: tuple[TrailRecord, ...] = ()
    log_groups: tuple[LogGroupRecord, ...] = ()
    alarm_regions: tuple[AlarmRegionRecord, ...] = ()
    topics: tuple[TopicRecord, ...] = ()
    _by_key: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Any] = {}
        for trail in self.trails:
            index["trail " + trail.arn] = trail
        for group in self.log_groups:
            index["log-group " + group.arn] = group
        for alarms in self.alarm_regions:
            index[f"alarms {alarms.account_id} {alarms.region}"] = alarms
        for topic in self.topics:
            index["topic " + topic.arn] = topic
        object.__setattr__(self, "_by_key", index)

    def trail(self, arn: str) -> TrailRecord | None:
        found: TrailRecord | None = self._by_key.get("trail " + arn)
        return found

    def log_group(self, arn_or_ref: str | LogGroupRef) -> LogGroupRecord | None:
        """The log group by ARN (with or without ``:*``) or :class:`LogGroupRef`; never by name alone."""
        ref = parse_log_group_arn(arn_or_ref) if isinstance(arn_or_ref, str) else arn_or_ref
        found: LogGroupRecord | None = self._by_key.get("log-group " + ref.arn) if ref else None
        return found

    def alarms(self, account_id: str, region: str) -> AlarmRegionRecord | None:
        found: AlarmRegionRecord | None = self._by_key.get(f"alarms {account_id} {region}")
        return found

    def topic(self, arn: str) -> TopicRecord | None:
        found: TopicRecord | None = self._by_key.get("topic " + arn)
        return found

    def all_errors(self) -> list[CallError]:
        """Every recorded call error, listings first, then trails, log groups, alarms, topics."""
        groups: Iterable[Iterable[CallError]] = (
            *(listing.errors for listing in self.listings),
            *(trail.errors for trail in self.trails),
            *(group.errors for group in self.log_groups),
            *(alarms.errors for alarms in self.alarm_regions),
            *(topic.errors for topic in self.topics),
        )
        return [error for errors in groups for error in errors]

    def to_json(self) -> dict[str, Any]:
        """The JSON document (dicts, lists, strings, numbers, booleans and nulls only)."""
        return {
            "format": SNAPSHOT_FORMAT,
            "formatVersion": SNAPSHOT_VERSION,
            "accountId": self.account_id,
            "callerArn": self.caller_arn,
            "partition": self.partition,
            "generated": self.generated,
            "regions": list(self.regions),
            "regionSource": self.region_source,
            "notes": list(self.notes),
            "followedAccounts": list(self.followed_accounts),
            "listings": [listing.to_json() for listing in self.listings],
            "trails": [trail.to_json() for trail in self.trails],
            "logGroups": [group.to_json() for group in self.log_groups],
            "alarms": [alarms.to_json() for alarms in self.alarm_regions],
            "topics": [topic.to_json() for topic in self.topics],
        }

    @classmethod
    def from_json(cls, document: Any, source: str = "snapshot") -> Snapshot:
        """The snapshot of a document made by :meth:`to_json`; :class:`SnapshotError` naming ``source`` and
        the key path of the first problem otherwise."""
        reader = _Reader(document, source, "")
        if reader.string("format") != SNAPSHOT_FORMAT:
            reader.fail("format", f"is not {SNAPSHOT_FORMAT!r}: not a trailguard inventory snapshot")
        version = reader.value("formatVersion")
        if version != SNAPSHOT_VERSION:
            reader.fail("formatVersion", f"is {version!r}; this trailguard reads version {SNAPSHOT_VERSION}")
        return cls(
            account_id=reader.string("accountId"),
            caller_arn=reader.string("callerArn"),
            partition=reader.string("partition"),
            generated=reader.string("generated"),
            regions=tuple(reader.strings("regions")),
            region_source=reader.string("regionSource"),
            notes=tuple(reader.strings("notes")),
            followed_accounts=tuple(reader.strings("followedAccounts")),
            listings=tuple(reader.records("listings", RegionListing.from_json)),
            trails=tuple(reader.records("trails", TrailRecord.from_json)),
            log_groups=tuple(reader.records("logGroups", LogGroupRecord.from_json)),
            alarm_regions=tuple(reader.records("alarms", AlarmRegionRecord.from_json)),
            topics=tuple(reader.records("topics", TopicRecord.from_json)),
        )


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write ``snapshot`` as indented JSON with sorted keys (stable for diffs and bug reports)."""
    path.write_bytes(orjson.dumps(snapshot.to_json(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def load_snapshot(path: Path) -> Snapshot:
    """Read a file written by :func:`save_snapshot`; :class:`SnapshotError` for anything unusable."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SnapshotError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise SnapshotError(f"{path}: line {error.lineno}, column {error.colno}: not JSON: {error.msg}") from None
    return Snapshot.from_json(document, str(path))


# --- JSON reading with key paths --------------------------------------------------------------------


def _errors_json(errors: Sequence[CallError]) -> list[dict[str, Any]]:
    return [error.to_json() for error in errors]


class _Reader:
    """Typed access to one JSON object of a snapshot; failures name the source and the key path."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        if not isinstance(data, dict):
            raise SnapshotError(f"{source}: {path or 'document'}: expected an object, found {type_phrase(data)}")
        self._data: Mapping[str, Any] = data
        self._source = source
        self._path = path

    def _at(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def fail(self, key: str, problem: str) -> NoReturn:
        raise SnapshotError(f"{self._source}: {self._at(key)} {problem}")

    def value(self, key: str) -> Any:
        if key not in self._data:
            self.fail(key, "is missing")
        return self._data[key]

    def string(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str):
            self.fail(key, f"must be a string, found {type_phrase(value)}")
        return str(value)

    def optional_string(self, key: str) -> str | None:
        value = self.value(key)
        if value is not None and not isinstance(value, str):
            self.fail(key, f"must be a string or null, found {type_phrase(value)}")
        return None if value is None else str(value)

    def optional_bool(self, key: str) -> bool | None:
        value = self.value(key)
        if value is not None and not isinstance(value, bool):
            self.fail(key, f"must be true, false or null, found {type_phrase(value)}")
        return None if value is None else bool(value)

    def strings(self, key: str) -> list[str]:
        value = self.value(key)
        if not isinstance(value, list):
            self.fail(key, f"must be a list of strings, found {type_phrase(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(f"{key}[{index}]", f"must be a string, found {type_phrase(item)}")
        return list(value)

    def object(self, key: str) -> dict[str, Any]:
        value = self.value(key)
        if not isinstance(value, dict):
            self.fail(key, f"must be an object, found {type_phrase(value)}")
        return dict(value)

    def optional_object(self, key: str) -> dict[str, Any] | None:
        return None if self.value(key) is None else self.object(key)

    def optional_objects(self, key: str) -> list[dict[str, Any]] | None:
        value = self.value(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(key, f"must be a list of objects or null, found {type_phrase(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(f"{key}[{index}]", f"must be an object, found {type_phrase(item)}")
        return [dict(item) for item in value]

    def records(self, key: str, build: Callable[[_Reader], _T]) -> list[_T]:
        value = self.value(key)
        if not isinstance(value, list):
            self.fail(key, f"must be a list, found {type_phrase(value)}")
        return [build(_Reader(item, self._source, f"{self._at(key)}[{index}]")) for index, item in enumerate(value)]

    def errors(self) -> tuple[CallError, ...]:
        return tuple(self.records("errors", CallError.from_json))
