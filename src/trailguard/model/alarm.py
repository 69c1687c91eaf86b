"""Metric alarms: the PutMetricAlarm request, validated with AWS's limits (PutMetricAlarm, CloudWatch API
Reference; docs/semantics.md "Alarms")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from trailguard.model.common import MetricId, is_sns_topic_arn, parse_arn
from trailguard.model.constants import (
    ANOMALY_COMPARISON_OPERATORS,
    COMPARISON_OPERATORS,
    LOW_SAMPLE_COUNT_OPTIONS,
    MAX_ACTIONS,
    MAX_ALARM_DIMENSIONS,
    MAX_EVALUATION_SECONDS,
    MAX_EVALUATION_SECONDS_SHORT_PERIOD,
    STANDARD_UNITS,
    TREAT_MISSING_DATA,
)
from trailguard.model.nodes import Node
from trailguard.model.statistics import (
    SIMPLE_STATISTICS,
    InvalidStatisticError,
    Kind,
    StatisticSpec,
    alarm_statistic_problem,
    parse_extended_statistic,
    parse_statistic,
)
from trailguard.model.validation import Checker, item_path, key_path, quote, validated

__all__ = [
    "ACTION_LISTS",
    "Alarm",
    "Dimension",
    "Tag",
    "extended_statistic_problem",
    "parse_alarm",
    "percentile",
]

ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")

_ALARM_KEYS = (
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Tags",
)
# describe-alarms output fields: accepted so its output can be used as is, and ignored.
_ALARM_OUTPUT_KEYS = (
    "AlarmArn",
    "AlarmConfigurationUpdatedTimestamp",
    "EvaluationState",
    "StateReason",
    "StateReasonData",
    "StateTransitionedTimestamp",
    "StateUpdatedTimestamp",
    "StateValue",
)
# PutMetricAlarm fields whose behaviour the local engine does not have.
_UNSUPPORTED_KEYS = {
    "Metrics": "metric math alarms are not supported locally; use MetricName, Namespace and Statistic",
    "ThresholdMetricId": "anomaly detection alarms are not supported locally; use a static Threshold",
    "EvaluationCriteria": "PromQL alarms are not supported locally",
    "EvaluationWindow": "custom evaluation windows are not supported locally",
    "EvaluationInterval": "custom evaluation intervals are not supported locally",
    "WarmUpConfiguration": "warm-up configuration is not supported locally",
}
_IGNORED_WITH_WARNING = {
    "ActionConfiguration": "is ignored locally (it only controls tag propagation to alarm actions)",
}

_PERIOD_ALLOWED = "10, 20, 30, or a multiple of 60"

#: Why an ExtendedStatistic is not one PutMetricAlarm accepts (the grammar lives in model.statistics).
extended_statistic_problem = alarm_statistic_problem


def percentile(extended_statistic: str | None) -> float | None:
    """The percentile (0–100) of a ``pNN`` extended statistic, else ``None``."""
    if extended_statistic is None:
        return None
    try:
        spec = parse_extended_statistic(extended_statistic)
    except InvalidStatisticError:
        return None
    return float(spec.percentile) if spec.kind is Kind.PERCENTILE and spec.percentile is not None else None


@dataclass(frozen=True)
class Dimension:
    name: str
    value: str

    def to_api_dict(self) -> dict[str, str]:
        return {"Name": self.name, "Value": self.value}


@dataclass(frozen=True)
class Tag:
    key: str
    value: str

    def to_api_dict(self) -> dict[str, str]:
        return {"Key": self.key, "Value": self.value}


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch metric alarm with a static threshold, field for field the PutMetricAlarm request.

    Optional fields left unset stay ``None`` so that :meth:`to_api_dict` reproduces the request exactly
    (AWS words alarm reasons differently when ``DatapointsToAlarm`` is unset, as recorded); the ``effective_*``
    properties give the values AWS applies.
    """

    alarm_name: str
    metric_name: str
    namespace: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison_operator: str
    statistic: str | None = None
    extended_statistic: str | None = None
    dimensions: tuple[Dimension, ...] = ()
    unit: str | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str | None = None
    evaluate_low_sample_count_percentile: str | None = None
    alarm_description: str | None = None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()

    @property
    def metric(self) -> MetricId:
        return MetricId(self.namespace, self.metric_name)

    @property
    def effective_datapoints_to_alarm(self) -> int:
        return self.datapoints_to_alarm if self.datapoints_to_alarm is not None else self.evaluation_periods

    @property
    def effective_treat_missing_data(self) -> str:
        """The missing-data treatment in force: ``missing`` when unset, and always ``ignore`` for ``AWS/DynamoDB``
        metrics ("Configuring how CloudWatch alarms treat missing data", CloudWatch User Guide)."""
        if self.namespace == "AWS/DynamoDB":
            return "ignore"
        return self.treat_missing_data or "missing"

    @property
    def statistic_name(self) -> str:
        """The Statistic, or the ExtendedStatistic when that is what the alarm uses."""
        name = self.statistic if self.statistic is not None else self.extended_statistic
        if name is None:
            raise ValueError(f"alarm {self.alarm_name!r} has neither Statistic nor ExtendedStatistic")
        return name

    @cached_property
    def statistic_spec(self) -> StatisticSpec:
        return parse_statistic(self.statistic_name)

    @property
    def dimension_pairs(self) -> tuple[tuple[str, str], ...]:
        """The dimensions as (name, value) pairs, in the order given (notifications echo that order)."""
        return tuple((d.name, d.value) for d in self.dimensions)

    @property
    def ignores_low_sample_percentiles(self) -> bool:
        return (self.evaluate_low_sample_count_percentile or "").lower() == "ignore"

    @property
    def all_actions(self) -> tuple[str, ...]:
        """Every action ARN, AlarmActions first, without repeats."""
        return tuple(dict.fromkeys(self.alarm_actions + self.ok_actions + self.insufficient_data_actions))

    def actions_for(self, state: str) -> tuple[str, ...]:
        """The actions a transition into ``state`` (ALARM, OK, INSUFFICIENT_DATA) runs when actions are enabled."""
        if state == "ALARM":
            return self.alarm_actions
        if state == "OK":
            return self.ok_actions
        return self.insufficient_data_actions

    def to_api_dict(self) -> dict[str, Any]:
        """The PutMetricAlarm request (``boto3.client("cloudwatch").put_metric_alarm(**a.to_api_dict())``)."""
        data: dict[str, Any] = {"AlarmName": self.alarm_name}
        if self.alarm_description is not None:
            data["AlarmDescription"] = self.alarm_description
        data["ActionsEnabled"] = self.actions_enabled
        for key, actions in zip(
            ACTION_LISTS, (self.alarm_actions, self.ok_actions, self.insufficient_data_actions), strict=True
        ):
            if actions:
                data[key] = list(actions)
        data["MetricName"] = self.metric_name
        data["Namespace"] = self.namespace
        if self.statistic is not None:
            data["Statistic"] = self.statistic
        if self.extended_statistic is not None:
            data["ExtendedStatistic"] = self.extended_statistic
        if self.dimensions:
            data["Dimensions"] = [d.to_api_dict() for d in self.dimensions]
        data["Period"] = self.period
        if self.unit is not None:
            data["Unit"] = self.unit
        data["EvaluationPeriods"] = self.evaluation_periods
        if self.datapoints_to_alarm is not None:
            data["DatapointsToAlarm"] = self.datapoints_to_alarm
        data["Threshold"] = self.threshold
        data["ComparisonOperator"] = self.comparison_operator
        if self.treat_missing_data is not None:
            data["TreatMissingData"] = self.treat_missing_data
        if self.evaluate_low_sample_count_percentile is not None:
            data["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        if self.tags:
            data["Tags"] = [t.to_api_dict() for t in self.tags]
        return data

    @classmethod
    def from_api_dict(cls, data: Mapping[str, Any]) -> Alarm:
        """Validate a PutMetricAlarm request (or a describe-alarms MetricAlarms item); raises ConfigError."""
        return validated(parse_alarm, data)


def parse_alarm(checker: Checker, node: Node, path: str) -> Alarm | None:
    """Validate one ``alarms`` entry; ``None`` if it has errors (all of them reported)."""
    if checker.mapping(node, path, "a metric alarm") is None:
        return None
    errors_before = len(checker.errors)
    known = _ALARM_KEYS + tuple(_UNSUPPORTED_KEYS) + tuple(_IGNORED_WITH_WARNING)
    checker.unknown_keys(node, path, _ALARM_KEYS, ignored=(*_ALARM_OUTPUT_KEYS, *known))
    for key, message in _UNSUPPORTED_KEYS.items():
        value = checker.optional(node, key)
        if value is not None and not (value.kind == "seq" and not value.value):
            checker.error(key_path(path, key), message, value)
    for key, message in _IGNORED_WITH_WARNING.items():
        value = checker.optional(node, key)
        if value is not None:
            checker.warn(key_path(path, key), message, value)
    if len(checker.errors) > errors_before and checker.optional(node, "Metrics") is not None:
        return None  # a metric-math alarm: its other fields would only add noise

    alarm_name = _name(checker, node, path)
    description = _text(checker, node, path, "AlarmDescription", 0, 1024)
    metric_name = _metric_name(checker, node, path)
    namespace = _namespace(checker, node, path)
    statistic, extended = _statistics(checker, node, path)
    dimensions = _dimensions(checker, node, path)
    period = _period(checker, node, path)
    evaluation_periods, datapoints = _evaluation(checker, node, path, period)
    threshold = _threshold(checker, node, path)
    operator = _comparison_operator(checker, node, path)
    unit = _enum(checker, node, path, "Unit", STANDARD_UNITS, "unit")
    treat_missing = _enum(checker, node, path, "TreatMissingData", TREAT_MISSING_DATA, "TreatMissingData value")
    low_sample = _enum(checker, node, path, "EvaluateLowSampleCountPercentile", LOW_SAMPLE_COUNT_OPTIONS, "option")
    if low_sample is not None and percentile(extended) is None:
        used = f"ExtendedStatistic {extended}" if extended else f"Statistic {statistic}" if statistic else "it"
        checker.warn(
            key_path(path, "EvaluateLowSampleCountPercentile"),
            f"only applies to percentile statistics (pNN); ignored with {used}",
            node.value["EvaluateLowSampleCountPercentile"],
        )
    actions_enabled = True
    enabled_node = checker.optional(node, "ActionsEnabled")
    if enabled_node is not None:
        enabled = checker.boolean(enabled_node, key_path(path, "ActionsEnabled"))
        actions_enabled = True if enabled is None else enabled
    actions = {key: _actions(checker, node, path, key) for key in ACTION_LISTS}
    tags = _tags(checker, node, path)

    if len(checker.errors) > errors_before:
        return None
    assert alarm_name is not None and metric_name is not None and namespace is not None
    assert period is not None and evaluation_periods is not None and threshold is not None
    assert operator is not None
    return Alarm(
        alarm_name=alarm_name,
        metric_name=metric_name,
        namespace=namespace,
        period=period,
        evaluation_periods=evaluation_periods,
        threshold=threshold,
        comparison_operator=operator,
        statistic=statistic,
        extended_statistic=extended,
        dimensions=dimensions,
        unit=unit,
        datapoints_to_alarm=datapoints,
        treat_missing_data=treat_missing,
        evaluate_low_sample_count_percentile=low_sample,
        alarm_description=description,
        actions_enabled=actions_enabled,
        alarm_actions=actions["AlarmActions"],
        ok_actions=actions["OKActions"],
        insufficient_data_actions=actions["InsufficientDataActions"],
        tags=tags,
    )


def _control_character(text: str) -> str | None:
    return next((ch for ch in text if ord(ch) < 32 or ord(ch) == 127), None)


def _name(checker: Checker, node: Node, path: str) -> str | None:
    name_node = checker.required(node, "AlarmName", path)
    if name_node is None:
        return None
    name_path = key_path(path, "AlarmName")
    name = checker.string(name_node, name_path)
    if name is None or not checker.length(name, name_path, name_node, 1, 255):
        return None
    bad = _control_character(name)
    if bad is not None:
        checker.error(
            name_path,
            f"contains the control character U+{ord(bad):04X}; allowed: UTF-8 text without ASCII control characters",
            name_node,
        )
        return None
    return name


def _text(checker: Checker, node: Node, path: str, key: str, minimum: int, maximum: int) -> str | None:
    value_node = checker.optional(node, key)
    if value_node is None:
        return None
    value = checker.string(value_node, key_path(path, key))
    if value is None or not checker.length(value, key_path(path, key), value_node, minimum, maximum):
        return None
    return value


def _metric_name(checker: Checker, node: Node, path: str) -> str | None:
    name_node = checker.required(node, "MetricName", path)
    if name_node is None:
        return None
    name = checker.string(name_node, key_path(path, "MetricName"))
    if name is None or not checker.length(name, key_path(path, "MetricName"), name_node, 1, 255):
        return None
    return name


def _namespace(checker: Checker, node: Node, path: str) -> str | None:
    ns_node = checker.required(node, "Namespace", path)
    if ns_node is None:
        return None
    ns_path = key_path(path, "Namespace")
    namespace = checker.string(ns_node, ns_path)
    if namespace is None or not checker.length(namespace, ns_path, ns_node, 1, 255):
        return None
    if namespace.startswith(":"):
        checker.error(ns_path, f"{quote(namespace)} starts with ':'; allowed: any other first character", ns_node)
        return None
    return namespace


def _statistics(checker: Checker, node: Node, path: str) -> tuple[str | None, str | None]:
    stat_node = checker.optional(node, "Statistic")
    ext_node = checker.optional(node, "ExtendedStatistic")
    if stat_node is not None and ext_node is not None:
        checker.error(
            path,
            "Statistic and ExtendedStatistic are mutually exclusive; allowed: exactly one of them",
            ext_node,
        )
        return None, None
    if stat_node is None and ext_node is None:
        checker.error(
            key_path(path, "Statistic"),
            f"is required (or ExtendedStatistic); allowed: {', '.join(SIMPLE_STATISTICS)}",
            line=node.line,
        )
        return None, None
    if stat_node is not None:
        statistic = checker.string(stat_node, key_path(path, "Statistic"))
        if statistic is None:
            return None, None
        if not checker.choice(statistic, SIMPLE_STATISTICS, key_path(path, "Statistic"), stat_node, "statistic"):
            return None, None
        return statistic, None
    assert ext_node is not None
    extended = checker.string(ext_node, key_path(path, "ExtendedStatistic"))
    if extended is None:
        return None, None
    problem = extended_statistic_problem(extended)
    if problem is not None:
        if extended in SIMPLE_STATISTICS:
            problem += f" ({extended} is a Statistic, not an ExtendedStatistic)"
        checker.error(key_path(path, "ExtendedStatistic"), problem, ext_node)
        return None, None
    return None, extended


def _dimensions(checker: Checker, node: Node, path: str) -> tuple[Dimension, ...]:
    dims_node = checker.optional(node, "Dimensions")
    if dims_node is None:
        return ()
    dims_path = key_path(path, "Dimensions")
    items = checker.sequence(dims_node, dims_path, "of {Name, Value} entries")
    if items is None:
        return ()
    if len(items) > MAX_ALARM_DIMENSIONS:
        checker.error(dims_path, f"has {len(items)} dimensions; allowed: at most {MAX_ALARM_DIMENSIONS}", dims_node)
    result: list[Dimension] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        item_p = item_path(dims_path, index)
        if checker.mapping(item, item_p, "a dimension with Name and Value") is None:
            continue
        checker.unknown_keys(item, item_p, ("Name", "Value"))
        parts: dict[str, str] = {}
        for key, maximum in (("Name", 255), ("Value", 1024)):
            part_node = checker.required(item, key, item_p)
            if part_node is None:
                continue
            part = checker.string(part_node, key_path(item_p, key))
            if part is not None and checker.length(part, key_path(item_p, key), part_node, 1, maximum):
                parts[key] = part
        if len(parts) != 2:
            continue
        if parts["Name"] in seen:
            checker.error(
                key_path(item_p, "Name"),
                f"duplicate dimension name {quote(parts['Name'])} (also Dimensions[{seen[parts['Name']]}]); "
                "a metric has each dimension name at most once",
                item.value["Name"],
            )
            continue
        seen[parts["Name"]] = index
        result.append(Dimension(parts["Name"], parts["Value"]))
    return tuple(result)


def _period(checker: Checker, node: Node, path: str) -> int | None:
    period_node = checker.required(node, "Period", path, hint=f"; allowed: {_PERIOD_ALLOWED}")
    if period_node is None:
        return None
    period = checker.integer(period_node, key_path(path, "Period"))
    if period is None:
        return None
    if period in (10, 20, 30) or (period >= 60 and period % 60 == 0):
        return period
    checker.error(key_path(path, "Period"), f"{period} is not a valid period; allowed: {_PERIOD_ALLOWED}", period_node)
    return None


def _evaluation(checker: Checker, node: Node, path: str, period: int | None) -> tuple[int | None, int | None]:
    periods_path = key_path(path, "EvaluationPeriods")
    periods_node = checker.required(node, "EvaluationPeriods", path, hint="; allowed: an integer >= 1")
    periods: int | None = None
    if periods_node is not None:
        periods = checker.integer(periods_node, periods_path)
        if periods is not None and periods < 1:
            checker.error(periods_path, f"{periods} is not valid; allowed: an integer >= 1", periods_node)
            periods = None
    if periods is not None and period is not None:
        total = periods * period
        limit = MAX_EVALUATION_SECONDS if period >= 3600 else MAX_EVALUATION_SECONDS_SHORT_PERIOD
        if total > limit:
            if period >= 3600:
                allowed = f"at most {MAX_EVALUATION_SECONDS} s (7 days) in total"
            else:
                allowed = (
                    f"at most {MAX_EVALUATION_SECONDS_SHORT_PERIOD} s (1 day) in total while Period is under "
                    f"3600 s, at most {MAX_EVALUATION_SECONDS} s (7 days) with Period >= 3600 s"
                )
            checker.error(
                periods_path,
                f"EvaluationPeriods x Period = {periods} x {period} s = {total} s; allowed: {allowed}",
                periods_node,
            )
            periods = None

    datapoints: int | None = None
    dp_node = checker.optional(node, "DatapointsToAlarm")
    if dp_node is not None:
        dp_path = key_path(path, "DatapointsToAlarm")
        datapoints = checker.integer(dp_node, dp_path)
        if datapoints is not None:
            upper = periods if periods is not None else None
            if datapoints < 1 or (upper is not None and datapoints > upper):
                allowed = f"1 to EvaluationPeriods ({upper})" if upper is not None else "an integer >= 1"
                checker.error(dp_path, f"{datapoints} is not valid; allowed: {allowed}", dp_node)
                datapoints = None
    return periods, datapoints


def _threshold(checker: Checker, node: Node, path: str) -> float | None:
    threshold_node = checker.required(node, "Threshold", path, hint="; allowed: a number")
    if threshold_node is None:
        return None
    return checker.number(threshold_node, key_path(path, "Threshold"))


def _comparison_operator(checker: Checker, node: Node, path: str) -> str | None:
    op_path = key_path(path, "ComparisonOperator")
    op_node = checker.required(node, "ComparisonOperator", path, hint=f"; allowed: {', '.join(COMPARISON_OPERATORS)}")
    if op_node is None:
        return None
    operator = checker.string(op_node, op_path)
    if operator is None:
        return None
    if operator in ANOMALY_COMPARISON_OPERATORS:
        checker.error(
            op_path,
            f"{operator} is an anomaly-detection operator, which is not supported locally; "
            f"allowed: {', '.join(COMPARISON_OPERATORS)}",
            op_node,
        )
        return None
    if not checker.choice(operator, COMPARISON_OPERATORS, op_path, op_node, "comparison operator"):
        return None
    return operator


def _enum(checker: Checker, node: Node, path: str, key: str, allowed: tuple[str, ...], what: str) -> str | None:
    value_node = checker.optional(node, key)
    if value_node is None:
        return None
    value = checker.string(value_node, key_path(path, key))
    if value is None or not checker.choice(value, allowed, key_path(path, key), value_node, what):
        return None
    return value


def _actions(checker: Checker, node: Node, path: str, key: str) -> tuple[str, ...]:
    list_node = checker.optional(node, key)
    if list_node is None:
        return ()
    list_path = key_path(path, key)
    items = checker.sequence(list_node, list_path, "of action ARNs")
    if items is None:
        return ()
    if len(items) > MAX_ACTIONS:
        checker.error(list_path, f"has {len(items)} actions; allowed: at most {MAX_ACTIONS}", list_node)
    result: list[str] = []
    for index, item in enumerate(items):
        item_p = item_path(list_path, index)
        action = checker.string(item, item_p)
        if action is None or not checker.length(action, item_p, item, 1, 1024):
            continue
        arn = parse_arn(action)
        if arn is None:
            checker.warn(
                item_p,
                f"{quote(action)} is not an ARN; CloudWatch accepts it but the action can never run",
                item,
            )
        elif arn.service != "sns":
            checker.warn(
                item_p,
                f"only SNS topic actions are performed locally; this {arn.service} action is recorded, not run",
                item,
            )
        elif not is_sns_topic_arn(action):
            checker.warn(
                item_p,
                f"{quote(action)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)",
                item,
            )
        if action in result:
            checker.warn(item_p, f"{quote(action)} is listed twice; it runs once", item)
            continue
        result.append(action)
    return tuple(result)


def _tags(checker: Checker, node: Node, path: str) -> tuple[Tag, ...]:
    tags_node = checker.optional(node, "Tags")
    if tags_node is None:
        return ()
    tags_path = key_path(path, "Tags")
    items = checker.sequence(tags_node, tags_path, "of {Key, Value} entries")
    if items is None:
        return ()
    result: list[Tag] = []
    for index, item in enumerate(items):
        item_p = item_path(tags_path, index)
        if checker.mapping(item, item_p, "a tag with Key and Value") is None:
            continue
        checker.unknown_keys(item, item_p, ("Key", "Value"))
        key_node = checker.required(item, "Key", item_p)
        value_node = checker.required(item, "Value", item_p)
        key = checker.string(key_node, key_path(item_p, "Key")) if key_node is not None else None
        value = checker.string(value_node, key_path(item_p, "Value")) if value_node is not None else None
        if key is None or value is None:
            continue
        assert key_node is not None and value_node is not None
        if checker.length(key, key_path(item_p, "Key"), key_node, 1, 128) and checker.length(
            value, key_path(item_p, "Value"), value_node, 0, 256
        ):
            result.append(Tag(key, value))
    return tuple(result)
