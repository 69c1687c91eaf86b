"""A configuration file: metric filters, alarms and topics, validated together before anything runs.

File format (YAML, or JSON; keys mirror the AWS APIs so existing definitions carry over)::

    region: us-east-1              # optional; used for topics given by Name
    accountId: "123456789012"      # optional; idem
    metricFilters:                 # PutMetricFilter requests (describe-metric-filters output works too)
      - filterName: ...
        filterPattern: ...
        metricTransformations: [{metricName: ..., metricNamespace: ..., metricValue: "1"}]
    alarms:                        # PutMetricAlarm requests (alias: MetricAlarms, as describe-alarms prints)
      - AlarmName: ...
    topics:                        # SNS topics: TopicArn or Name, Subscriptions [{Protocol, Endpoint, Attributes}]
      - Name: ...
    smtp:                          # optional: the mail server for email subscriptions (trailguard.model.smtp)
      url: smtp://host:587
    x-anything: ...                # top-level keys starting with "x-" are ignored (YAML anchors, notes)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trailguard.model.alarm import ACTION_LISTS, Alarm, parse_alarm
from trailguard.model.common import MetricId, is_sns_topic_arn
from trailguard.model.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from trailguard.model.metric_filter import MetricFilter, parse_metric_filter
from trailguard.model.monitor import Monitor
from trailguard.model.nodes import Node, SyntaxProblem, from_json, from_python, from_yaml
from trailguard.model.problems import ConfigError, Problem
from trailguard.model.smtp import SmtpSettings, parse_smtp_section
from trailguard.model.topic import Topic, parse_topic
from trailguard.model.validation import Checker, item_path, key_path, quote
from trailguard.pattern import compile_pattern

__all__ = ["Configuration", "Format", "load_config", "parse_config"]

Format = Literal["auto", "yaml", "json"]

_TOP_KEYS = ("metricFilters", "alarms", "topics", "smtp", "region", "accountId", "version")
_SECTIONS = ("metricFilters", "alarms", "topics")
# Output fields of describe-metric-filters / describe-alarms, so their output can be used as a file.
_TOP_IGNORED = ("nextToken", "NextToken")
_TOP_UNSUPPORTED = {
    "CompositeAlarms": "composite alarms are not supported locally",
    "LogAlarms": "log alarms are not supported locally",
}
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+\Z")
_ACCOUNT = re.compile(r"\d{12}\Z")
_MAX_FILTERS_PER_LOG_GROUP = 100
MAX_REGEX_FILTERS_PER_LOG_GROUP = 5  # recorded: the 6th regex-bearing filter is refused


@dataclass(frozen=True)
class Configuration:
    """Everything one configuration file defines. ``warnings`` are the non-fatal problems found when it
    was loaded; ``source`` is the file it came from."""

    metric_filters: tuple[MetricFilter, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    topics: tuple[Topic, ...] = ()
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    smtp: SmtpSettings | None = None
    source: str | None = field(default=None, compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    # -- lookups ---------------------------------------------------------------------------------------

    def metric_filter(self, name: str, log_group_name: str | None = None) -> MetricFilter | None:
        return next(
            (
                f
                for f in self.metric_filters
                if f.filter_name == name and (log_group_name is None or f.log_group_name == log_group_name)
            ),
            None,
        )

    def alarm(self, name: str) -> Alarm | None:
        return next((a for a in self.alarms if a.alarm_name == name), None)

    def topic(self, topic_arn: str) -> Topic | None:
        return next((t for t in self.topics if t.topic_arn == topic_arn), None)

    def filters_publishing(self, metric: MetricId) -> list[MetricFilter]:
        return [f for f in self.metric_filters if f.metric == metric]

    def alarms_watching(self, metric: MetricId) -> list[Alarm]:
        return [a for a in self.alarms if a.metric == metric]

    def topics_of(self, alarm: Alarm) -> tuple[Topic, ...]:
        """The SNS topics an alarm's actions name, defined ones with their subscriptions."""
        topics: list[Topic] = []
        for action in alarm.all_actions:
            if is_sns_topic_arn(action):
                topics.append(self.topic(action) or Topic(action))
        return tuple(topics)

    def monitors(self) -> list[Monitor]:
        """One :class:`Monitor` per (metric filter, alarm on its metric) pair, in file order."""
        return [
            Monitor(metric_filter, alarm, self.topics_of(alarm))
            for metric_filter in self.metric_filters
            for alarm in self.alarms_watching(metric_filter.metric)
        ]

    # -- construction and export ------------------------------------------------------------------------

    @classmethod
    def from_monitors(
        cls,
        monitors: Iterable[Monitor],
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> Configuration:
        """Gather monitors into one configuration (shared filters and topics are kept once)."""
        filters: dict[tuple[str, str], MetricFilter] = {}
        alarms: dict[str, Alarm] = {}
        topics: dict[str, Topic] = {}
        for monitor in monitors:
            key = (monitor.metric_filter.log_group_name, monitor.metric_filter.filter_name)
            filters.setdefault(key, monitor.metric_filter)
            alarms.setdefault(monitor.alarm.alarm_name, monitor.alarm)
            for topic in monitor.topics:
                known = topics.get(topic.topic_arn)
                if known is None or (not known.subscriptions and topic.subscriptions):
                    topics[topic.topic_arn] = topic
        return cls(tuple(filters.values()), tuple(alarms.values()), tuple(topics.values()), region, account_id)

    def to_config_dict(self) -> dict[str, Any]:
        """The configuration as a document that :func:`parse_config` reads back to an equal value."""
        data: dict[str, Any] = {}
        if self.region != DEFAULT_REGION:
            data["region"] = self.region
        if self.account_id != DEFAULT_ACCOUNT_ID:
            data["accountId"] = self.account_id
        data["metricFilters"] = [f.to_api_dict() for f in self.metric_filters]
        data["alarms"] = [a.to_api_dict() for a in self.alarms]
        data["topics"] = [t.to_config_dict() for t in self.topics]
        if self.smtp is not None:
            smtp: dict[str, str] = {}
            if self.smtp.server is not None:
                smtp["url"] = self.smtp.server.url
            if self.smtp.from_address is not None:
                smtp["from"] = self.smtp.from_address
            if self.smtp.password_env is not None:
                smtp["passwordEnv"] = self.smtp.password_env
            data["smtp"] = smtp
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> Configuration:
        """Validate a configuration document given as Python data (the file format); raises ConfigError."""
        checker = Checker(source)
        return _build(checker, from_python(data), source)


# --------------------------------------------------------------------------------------------- loading


def load_config(path: str | os.PathLike[str], *, format: Format = "auto") -> Configuration:
    """Read and validate a configuration file; raises ConfigError listing every problem."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise ConfigError([Problem("", f"cannot read the file: {error.strerror or error}", file=name)]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [Problem("", f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})", file=name)]
        ) from None
    return parse_config(text, file=name, format=format)


def parse_config(text: str, *, file: str | None = None, format: Format = "auto") -> Configuration:
    """Validate configuration text. ``format="auto"`` picks JSON for ``*.json`` files (and for text that
    starts with ``{`` when the name says nothing), YAML otherwise."""
    text = text.removeprefix("\ufeff")
    root = _parse(text, file, format)
    checker = Checker(file, text)
    return _build(checker, root, file)


def _parse(text: str, file: str | None, format: Format) -> Node | None:
    chosen = format
    lower = (file or "").lower()
    if chosen == "auto":
        if lower.endswith(".json"):
            chosen = "json"
        elif lower.endswith((".yaml", ".yml")):
            chosen = "yaml"
        elif text.lstrip().startswith("{"):
            try:
                return from_json(text, file)
            except SyntaxProblem as json_problem:
                try:
                    return from_yaml(text, file)
                except SyntaxProblem:
                    raise ConfigError([json_problem.problem]) from None
        else:
            chosen = "yaml"
    try:
        return from_json(text, file) if chosen == "json" else from_yaml(text, file)
    except SyntaxProblem as problem:
        raise ConfigError([problem.problem]) from None


def _build(checker: Checker, root: Node | None, source: str | None) -> Configuration:
    if root is None:
        checker.error("", "the file is empty; expected a mapping with metricFilters, alarms and/or topics")
        raise ConfigError(checker.errors)
    if checker.mapping(root, "", "with metricFilters, alarms and/or topics") is None:
        raise ConfigError(checker.errors)

    entries: dict[str, Node] = root.value
    if "MetricAlarms" in entries:  # describe-alarms output
        if "alarms" in entries:
            checker.error(
                "MetricAlarms",
                "both 'alarms' and 'MetricAlarms' are given; allowed: one of them",
                line=root.key_lines.get("MetricAlarms"),
            )
            del entries["MetricAlarms"]
        else:
            entries["alarms"] = entries.pop("MetricAlarms")
            root.key_lines["alarms"] = root.key_lines.get("MetricAlarms", root.line or 0)
    extensions = [key for key in entries if key.startswith("x-")]  # free for anchors and notes
    checker.unknown_keys(root, "", _TOP_KEYS, ignored=(*_TOP_IGNORED, *_TOP_UNSUPPORTED, *extensions))
    for key, message in _TOP_UNSUPPORTED.items():
        node = checker.optional(root, key)
        if node is not None and not (node.kind == "seq" and not node.value):
            checker.error(key, message, node)
    if not any(key in entries for key in _SECTIONS):
        checker.error("", "defines nothing; expected at least one of metricFilters, alarms, topics", root)

    version_node = checker.optional(root, "version")
    if version_node is not None and not (
        version_node.kind == "scalar" and version_node.value == 1 and not isinstance(version_node.value, bool)
    ):
        checker.error("version", "is not a known format version; allowed: 1", version_node)
    region = _setting(checker, root, "region", _REGION, DEFAULT_REGION, "an AWS region name such as us-east-1")
    account_id = _setting(checker, root, "accountId", _ACCOUNT, DEFAULT_ACCOUNT_ID, "a 12-digit AWS account id")

    filters = _section(checker, root, "metricFilters", lambda n, p: parse_metric_filter(checker, n, p))
    alarms = _section(checker, root, "alarms", lambda n, p: parse_alarm(checker, n, p))
    topics = _section(checker, root, "topics", lambda n, p: parse_topic(checker, n, p, region, account_id))
    smtp_node = checker.optional(root, "smtp")
    smtp = parse_smtp_section(checker, smtp_node, "smtp") if smtp_node is not None else None

    _duplicates(checker, filters, alarms, topics)
    _regex_quota(checker, filters)
    if checker.errors:
        raise ConfigError(_in_document_order(checker.errors), _in_document_order(checker.warnings))
    _cross_references(checker, filters, alarms, topics)
    return Configuration(
        metric_filters=tuple(f for f, _, _ in filters),
        alarms=tuple(a for a, _, _ in alarms),
        topics=tuple(t for t, _, _ in topics),
        region=region,
        account_id=account_id,
        smtp=smtp,
        source=source,
        warnings=tuple(_in_document_order(checker.warnings)),
    )


def _regex_quota(checker: Checker, filters: list[tuple[MetricFilter, str, Node]]) -> None:
    """AWS: a log group accepts 5 metric/subscription filters whose patterns hold a regex (the 6th is
    refused with LimitExceededException)."""
    seen: dict[str, int] = {}
    for metric_filter, path, node in filters:
        if compile_pattern(metric_filter.filter_pattern).regex_count == 0:
            continue
        group = metric_filter.log_group_name
        seen[group] = seen.get(group, 0) + 1
        if seen[group] == MAX_REGEX_FILTERS_PER_LOG_GROUP + 1:
            checker.error(
                f"{path}.filterPattern",
                f"is the {MAX_REGEX_FILTERS_PER_LOG_GROUP + 1}th filter with a regular expression in log group "
                f"{group!r}; allowed: at most {MAX_REGEX_FILTERS_PER_LOG_GROUP} per log group",
                node,
            )


def _in_document_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: problem.line or 0)


def _setting(checker: Checker, root: Node, key: str, pattern: re.Pattern[str], default: str, allowed: str) -> str:
    node = checker.optional(root, key)
    if node is None:
        return default
    value = checker.string(node, key)
    if value is None:
        return default
    if not pattern.match(value):
        checker.error(key, f"{quote(value)} is not valid; allowed: {allowed}", node)
        return default
    return value


def _section(checker: Checker, root: Node, key: str, parse: Any) -> list[tuple[Any, str, Node]]:
    node = checker.optional(root, key)
    if node is None:
        return []
    items = checker.sequence(node, key, f"of {key} entries")
    if items is None:
        return []
    result: list[tuple[Any, str, Node]] = []
    for index, item in enumerate(items):
        path = item_path(key, index)
        parsed = parse(item, path)
        if parsed is not None:
            result.append((parsed, path, item))
    return result


def _line_of(node: Node, key: str) -> int | None:
    return node.key_lines.get(key, node.line)


def _duplicates(
    checker: Checker,
    filters: list[tuple[MetricFilter, str, Node]],
    alarms: list[tuple[Alarm, str, Node]],
    topics: list[tuple[Topic, str, Node]],
) -> None:
    seen_filters: dict[tuple[str, str], tuple[str, Node]] = {}
    per_group: dict[str, int] = {}
    for metric_filter, path, node in filters:
        key = (metric_filter.log_group_name, metric_filter.filter_name)
        if key in seen_filters:
            first_path, first_node = seen_filters[key]
            checker.error(
                key_path(path, "filterName"),
                f"duplicate filter {quote(metric_filter.filter_name)} in log group "
                f"{quote(metric_filter.log_group_name)} (also {first_path}, line {first_node.line}); "
                "AWS would replace the first with this one",
                line=_line_of(node, "filterName"),
            )
            continue
        seen_filters[key] = (path, node)
        per_group[metric_filter.log_group_name] = per_group.get(metric_filter.log_group_name, 0) + 1
        if per_group[metric_filter.log_group_name] == _MAX_FILTERS_PER_LOG_GROUP + 1:
            checker.error(
                path,
                f"log group {quote(metric_filter.log_group_name)} gets more than {_MAX_FILTERS_PER_LOG_GROUP} "
                f"metric filters; allowed: at most {_MAX_FILTERS_PER_LOG_GROUP} per log group",
                node,
            )
    seen_alarms: dict[str, tuple[str, Node]] = {}
    for alarm, path, node in alarms:
        if alarm.alarm_name in seen_alarms:
            first_path, first_node = seen_alarms[alarm.alarm_name]
            checker.error(
                key_path(path, "AlarmName"),
                f"duplicate alarm name {quote(alarm.alarm_name)} (also {first_path}, line {first_node.line}); "
                "AWS would replace the first with this one",
                line=_line_of(node, "AlarmName"),
            )
            continue
        seen_alarms[alarm.alarm_name] = (path, node)
    seen_topics: dict[str, tuple[str, Node]] = {}
    for topic, path, node in topics:
        if topic.topic_arn in seen_topics:
            first_path, first_node = seen_topics[topic.topic_arn]
            checker.error(
                path,
                f"duplicate topic {topic.topic_arn} (also {first_path}, line {first_node.line}); "
                "define each topic once and list all its subscriptions there",
                node,
            )
            continue
        seen_topics[topic.topic_arn] = (path, node)


def _cross_references(
    checker: Checker,
    filters: list[tuple[MetricFilter, str, Node]],
    alarms: list[tuple[Alarm, str, Node]],
    topics: list[tuple[Topic, str, Node]],
) -> None:
    for alarm, path, node in alarms:
        publishers = [f for f, _, _ in filters if f.metric == alarm.metric]
        if not publishers:
            checker.warn(
                key_path(path, "MetricName"),
                f"no metric filter in this configuration publishes {alarm.metric}; "
                "locally this alarm only ever sees missing data",
                node.value.get("MetricName", node),
            )
            continue
        _alarm_matches_filters(checker, alarm, path, node, publishers)

    watched = {a.metric for a, _, _ in alarms}
    for metric_filter, path, node in filters:
        if metric_filter.metric not in watched:
            name_path = key_path(item_path(key_path(path, "metricTransformations"), 0), "metricName")
            checker.warn(
                name_path,
                f"no alarm in this configuration watches {metric_filter.metric}",
                _metric_name_node(node),
            )

    defined = {t.topic_arn for t, _, _ in topics}
    used: set[str] = set()
    for _, path, node in alarms:
        for list_key in ACTION_LISTS:
            list_node = node.value.get(list_key)
            if list_node is None or list_node.kind != "seq":
                continue
            for index, item in enumerate(list_node.value):
                action = item.value if isinstance(item.value, str) else None
                if action is None or not is_sns_topic_arn(action):
                    continue
                used.add(action)
                if action not in defined:
                    checker.warn(
                        item_path(key_path(path, list_key), index),
                        f"topic {action} is not defined under topics; notifications to it are recorded "
                        "but reach no subscriber",
                        item,
                    )
    for topic, path, node in topics:
        if topic.topic_arn not in used:
            checker.warn(path, f"topic {topic.topic_arn} is not named by any alarm action", node)


def _metric_name_node(filter_node: Node) -> Node:
    transformations = filter_node.value.get("metricTransformations")
    if transformations is not None and transformations.kind == "seq" and transformations.value:
        first = transformations.value[0]
        if first.kind == "map" and "metricName" in first.value:
            name_node: Node = first.value["metricName"]
            return name_node
    return filter_node


def _alarm_matches_filters(
    checker: Checker, alarm: Alarm, path: str, node: Node, publishers: list[MetricFilter]
) -> None:
    alarm_dimensions = {d.name for d in alarm.dimensions}
    published = [set(f.metric_transformation.dimension_map) for f in publishers]
    if alarm_dimensions and alarm_dimensions not in published:
        shown = " or ".join(sorted("{" + ", ".join(sorted(p)) + "}" for p in published))
        checker.warn(
            key_path(path, "Dimensions"),
            f"watches dimensions {{{', '.join(sorted(alarm_dimensions))}}}, but {alarm.metric} is published "
            f"with {shown}; this alarm's series never receives data",
            node.value.get("Dimensions", node),
        )
    elif not alarm_dimensions and all(published):
        shown = ", ".join(sorted(published[0]))
        checker.warn(
            key_path(path, "Dimensions"),
            f"is empty, but {alarm.metric} is published with dimensions {{{shown}}}; the alarm watches only "
            "the series without dimensions (events that lack those fields)",
            node,
        )
    if alarm.unit is not None:
        units = {f.metric_transformation.unit or "None" for f in publishers}
        if alarm.unit not in units:
            checker.warn(
                key_path(path, "Unit"),
                f"is {alarm.unit}, but {alarm.metric} is published with unit {', '.join(sorted(units))}; "
                "an alarm whose Unit is never published stays INSUFFICIENT_DATA",
                node.value.get("Unit", node),
            )
    if alarm.period < 60:
        checker.warn(
            key_path(path, "Period"),
            f"metric filters publish one datapoint per minute; with a {alarm.period}-second period most "
            "periods have no data",
            node.value.get("Period", node),
        )
