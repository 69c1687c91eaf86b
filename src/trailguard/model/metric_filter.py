"""Metric filters: the PutMetricFilter request, validated with AWS's limits (PutMetricFilter, CloudWatch
Logs API Reference; recorded behaviour in docs/semantics.md "Metric filters")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trailguard.model.common import MetricId
from trailguard.model.constants import (
    DEFAULT_LOG_GROUP_NAME,
    MAX_DIMENSION_VALUES_PER_HOUR,
    MAX_FILTER_DIMENSIONS,
    STANDARD_UNITS,
    SYSTEM_FIELD_DIMENSIONS,
    out_of_range_problem,
)
from trailguard.model.nodes import Node
from trailguard.model.validation import Checker, item_path, key_path, quote, validated
from trailguard.pattern import PatternError, compile_pattern
from trailguard.pattern.references import parse_reference
from trailguard.pattern.values import NUMBER_LITERAL

__all__ = [
    "MetricFilter",
    "MetricTransformation",
    "metric_value_problem",
    "parse_metric_filter",
]

_LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]+\Z")
_VALUE_FORMS = "a number (e.g. 1), $.json.selector, $fieldName or $N"
_SELECTOR_FORMS = "$.json.selector, $fieldName or $N"
# CloudTrail fields unique (or nearly) per event: as dimensions they create one metric per event. AWS's
# PutMetricFilter reference names "IPAddress or requestID" as the fields not to use.
_HIGH_CARDINALITY_FIELDS = frozenset(
    ("eventID", "requestID", "sharedEventID", "eventTime", "sourceIPAddress", "userIdentity.accessKeyId")
)

_FILTER_KEYS = (
    "filterName",
    "filterPattern",
    "metricTransformations",
    "logGroupName",
    "applyOnTransformedLogs",
    "fieldSelectionCriteria",
    "emitSystemFieldDimensions",
)
_FILTER_OUTPUT_KEYS = ("creationTime",)  # describe-metric-filters output, ignored
_TRANSFORMATION_KEYS = ("metricName", "metricNamespace", "metricValue", "defaultValue", "dimensions", "unit")


def _is_reference(text: str) -> bool:
    try:
        parse_reference(text)
    except PatternError:
        return False
    return True


def metric_value_problem(text: str) -> str | None:
    """Why ``text`` is not a valid ``metricValue``, or ``None`` if AWS accepts it."""
    if not text:
        return f"must not be empty; allowed: {_VALUE_FORMS}"
    if len(text) > 100:
        return f"is {len(text)} characters long; allowed: at most 100"
    if NUMBER_LITERAL.match(text):
        return out_of_range_problem(float(text))
    if _is_reference(text):
        return None
    if text.startswith("$") and "*" in text:
        return (
            f"{quote(text)} must be a valid number or a selector of one value; "
            "wildcards such as [*] and .* are not allowed"
        )
    return f"{quote(text)} is not a valid metric value; allowed: {_VALUE_FORMS}"


def _dimension_value_problem(text: str) -> str | None:
    if _is_reference(text):
        return None
    if text.startswith("$") and "*" in text:
        return f"{quote(text)} must be a selector of one value; wildcards such as [*] and .* are not allowed"
    return f"{quote(text)} is not a field selector; allowed: {_SELECTOR_FORMS}"


def _metric_name_problem(text: str, what: str) -> str | None:
    if not text:
        return "must not be empty; allowed: 1 to 255 characters other than ':', '*' and '$'"
    if len(text) > 255:
        return f"is {len(text)} characters long; allowed: at most 255"
    bad = next((ch for ch in text if ch in ":*$"), None)
    if bad is not None:
        return f"{quote(text)} contains {bad!r}; {what} may not contain ':', '*' or '$'"
    return None


@dataclass(frozen=True)
class MetricTransformation:
    """How matching events become metric values (the one ``MetricTransformation`` AWS allows per filter)."""

    metric_name: str
    metric_namespace: str
    metric_value: str
    default_value: float | None = None
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str | None = None

    @property
    def metric(self) -> MetricId:
        return MetricId(self.metric_namespace, self.metric_name)

    @property
    def dimension_map(self) -> dict[str, str]:
        return dict(self.dimensions)

    def to_api_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "metricName": self.metric_name,
            "metricNamespace": self.metric_namespace,
            "metricValue": self.metric_value,
        }
        if self.default_value is not None:
            data["defaultValue"] = self.default_value
        if self.dimensions:
            data["dimensions"] = dict(self.dimensions)
        if self.unit is not None:
            data["unit"] = self.unit
        return data


@dataclass(frozen=True)
class MetricFilter:
    """A CloudWatch Logs metric filter, field for field the PutMetricFilter request.

    Build one with :meth:`from_api_dict` (validated) or from a configuration file; the constructor itself
    trusts its arguments.
    """

    filter_name: str
    filter_pattern: str
    metric_transformation: MetricTransformation
    log_group_name: str = DEFAULT_LOG_GROUP_NAME
    apply_on_transformed_logs: bool | None = None
    field_selection_criteria: str | None = None
    emit_system_field_dimensions: tuple[str, ...] = ()

    @property
    def metric_transformations(self) -> tuple[MetricTransformation]:
        """The API's one-element list."""
        return (self.metric_transformation,)

    @property
    def metric(self) -> MetricId:
        return self.metric_transformation.metric

    def to_api_dict(self) -> dict[str, Any]:
        """The PutMetricFilter request (``boto3.client("logs").put_metric_filter(**f.to_api_dict())``)."""
        data: dict[str, Any] = {
            "logGroupName": self.log_group_name,
            "filterName": self.filter_name,
            "filterPattern": self.filter_pattern,
            "metricTransformations": [self.metric_transformation.to_api_dict()],
        }
        if self.apply_on_transformed_logs is not None:
            data["applyOnTransformedLogs"] = self.apply_on_transformed_logs
        if self.field_selection_criteria is not None:
            data["fieldSelectionCriteria"] = self.field_selection_criteria
        if self.emit_system_field_dimensions:
            data["emitSystemFieldDimensions"] = list(self.emit_system_field_dimensions)
        return data

    @classmethod
    def from_api_dict(cls, data: Mapping[str, Any]) -> MetricFilter:
        """Validate a PutMetricFilter request (or a describe-metric-filters item); raises ConfigError."""
        return validated(parse_metric_filter, data)


def parse_metric_filter(checker: Checker, node: Node, path: str) -> MetricFilter | None:
    """Validate one ``metricFilters`` entry; ``None`` if it has errors (all of them reported)."""
    if checker.mapping(node, path, "a metric filter") is None:
        return None
    errors_before = len(checker.errors)
    checker.unknown_keys(node, path, _FILTER_KEYS, ignored=_FILTER_OUTPUT_KEYS)

    filter_name = _filter_name(checker, node, path)
    log_group_name = _log_group_name(checker, node, path)
    pattern = _filter_pattern(checker, node, path)

    apply_on_transformed: bool | None = None
    apply_node = checker.optional(node, "applyOnTransformedLogs")
    if apply_node is not None:
        apply_on_transformed = checker.boolean(apply_node, key_path(path, "applyOnTransformedLogs"))
        if apply_on_transformed:
            checker.warn(
                key_path(path, "applyOnTransformedLogs"),
                "log transformers are not emulated locally; the filter is applied to the events as ingested",
                apply_node,
            )

    criteria: str | None = None
    criteria_node = checker.optional(node, "fieldSelectionCriteria")
    if criteria_node is not None:
        criteria_path = key_path(path, "fieldSelectionCriteria")
        criteria = checker.string(criteria_node, criteria_path)
        if criteria is not None and checker.length(criteria, criteria_path, criteria_node, 0, 2000) and criteria:
            checker.warn(
                criteria_path,
                "field selection criteria are not evaluated locally; every event is considered",
                criteria_node,
            )

    system_fields = _system_fields(checker, node, path)
    transformation = _transformations(checker, node, path, len(system_fields))

    if len(checker.errors) > errors_before:
        return None
    assert filter_name is not None and pattern is not None and transformation is not None
    return MetricFilter(
        filter_name=filter_name,
        filter_pattern=pattern,
        metric_transformation=transformation,
        log_group_name=log_group_name or DEFAULT_LOG_GROUP_NAME,
        apply_on_transformed_logs=apply_on_transformed,
        field_selection_criteria=criteria,
        emit_system_field_dimensions=system_fields,
    )


def _filter_name(checker: Checker, node: Node, path: str) -> str | None:
    name_path = key_path(path, "filterName")
    name_node = checker.required(node, "filterName", path)
    if name_node is None:
        return None
    name = checker.string(name_node, name_path)
    if name is None or not checker.length(name, name_path, name_node, 1, 512):
        return None
    bad = next((ch for ch in name if ch in ":*"), None)
    if bad is not None:
        checker.error(
            name_path, f"{quote(name)} contains {bad!r}; allowed: any characters except ':' and '*'", name_node
        )
        return None
    return name


def _log_group_name(checker: Checker, node: Node, path: str) -> str | None:
    group_node = checker.optional(node, "logGroupName")
    if group_node is None:
        return DEFAULT_LOG_GROUP_NAME
    group_path = key_path(path, "logGroupName")
    group = checker.string(group_node, group_path)
    if group is None or not checker.length(group, group_path, group_node, 1, 512):
        return None
    if not _LOG_GROUP_NAME.match(group):
        bad = next(ch for ch in group if not re.match(r"[.\-_/#A-Za-z0-9]", ch))
        checker.error(
            group_path,
            f"{quote(group)} contains {bad!r}; allowed: letters, digits and the characters . - _ / #",
            group_node,
        )
        return None
    return group


def _filter_pattern(checker: Checker, node: Node, path: str) -> str | None:
    pattern_path = key_path(path, "filterPattern")
    pattern_node = checker.required(
        node, "filterPattern", path, hint=' (write filterPattern: "" for a filter that matches every event)'
    )
    if pattern_node is None:
        return None
    pattern = checker.string(pattern_node, pattern_path)
    if pattern is None or not checker.length(pattern, pattern_path, pattern_node, 0, 1024):
        return None
    if pattern != pattern.strip() and ("\n" in pattern or "\r" in pattern):
        checker.warn(
            pattern_path,
            "starts or ends with a line break, which AWS stores as part of the pattern (a YAML '|' or '>' "
            "block keeps the final one; write '|-' or '>-')",
            pattern_node,
        )
    try:
        compile_pattern(pattern)
    except PatternError as error:
        line, column = checker.locate(pattern_node, error.position)
        where = f" (at position {error.position})" if error.position is not None else ""
        checker.error(
            pattern_path,
            f"invalid filter pattern: {error.aws_message}{where}",
            pattern_node,
            line=line,
            column=column,
            detail=str(error),
        )
        return None
    return pattern


def _system_fields(checker: Checker, node: Node, path: str) -> tuple[str, ...]:
    fields_node = checker.optional(node, "emitSystemFieldDimensions")
    if fields_node is None:
        return ()
    fields_path = key_path(path, "emitSystemFieldDimensions")
    items = checker.sequence(fields_node, fields_path, "of system field names")
    if items is None:
        return ()
    fields: list[str] = []
    for index, item in enumerate(items):
        item_p = item_path(fields_path, index)
        value = checker.string(item, item_p)
        if value is None or not checker.choice(value, SYSTEM_FIELD_DIMENSIONS, item_p, item, "system field"):
            continue
        if value in fields:
            checker.error(item_p, f"{quote(value)} is listed twice", item)
            continue
        fields.append(value)
    return tuple(fields)


def _transformations(checker: Checker, node: Node, path: str, system_dimensions: int) -> MetricTransformation | None:
    list_path = key_path(path, "metricTransformations")
    list_node = checker.required(node, "metricTransformations", path)
    if list_node is None:
        return None
    items = checker.sequence(list_node, list_path, "with exactly one metric transformation")
    if items is None:
        return None
    if len(items) != 1:
        checker.error(
            list_path,
            f"has {len(items)} transformations; allowed: exactly 1 (AWS accepts one per filter)",
            list_node,
        )
        return None
    return _transformation(checker, items[0], item_path(list_path, 0), system_dimensions)


def _transformation(checker: Checker, node: Node, path: str, system_dimensions: int) -> MetricTransformation | None:
    if checker.mapping(node, path, "a metric transformation") is None:
        return None
    errors_before = len(checker.errors)
    checker.unknown_keys(node, path, _TRANSFORMATION_KEYS)

    names: dict[str, str] = {}
    for key, what in (("metricName", "metric names"), ("metricNamespace", "metric namespaces")):
        value_node = checker.required(node, key, path)
        if value_node is None:
            continue
        value = checker.string(value_node, key_path(path, key))
        if value is None:
            continue
        problem = _metric_name_problem(value, what)
        if problem is not None:
            checker.error(key_path(path, key), problem, value_node)
            continue
        names[key] = value

    metric_value: str | None = None
    value_node = checker.required(node, "metricValue", path)
    if value_node is not None:
        metric_value = checker.string(value_node, key_path(path, "metricValue"))
        if metric_value is not None:
            problem = metric_value_problem(metric_value)
            if problem is not None:
                checker.error(key_path(path, "metricValue"), problem, value_node)

    default_value: float | None = None
    default_node = checker.optional(node, "defaultValue")
    if default_node is not None:
        default_value = checker.number(default_node, key_path(path, "defaultValue"))
        problem = out_of_range_problem(default_value) if default_value is not None else None
        if problem is not None:
            checker.error(key_path(path, "defaultValue"), problem, default_node)
            default_value = None

    dimensions = _dimensions(checker, node, path, system_dimensions)
    if dimensions and default_node is not None:
        checker.error(
            key_path(path, "defaultValue"),
            "cannot be combined with dimensions; allowed: a defaultValue or dimensions, not both",
            default_node,
        )

    unit: str | None = None
    unit_node = checker.optional(node, "unit")
    if unit_node is not None:
        unit = checker.string(unit_node, key_path(path, "unit"))
        if unit is not None:
            checker.choice(unit, STANDARD_UNITS, key_path(path, "unit"), unit_node, "unit")

    if len(checker.errors) > errors_before:
        return None
    assert metric_value is not None
    return MetricTransformation(
        metric_name=names["metricName"],
        metric_namespace=names["metricNamespace"],
        metric_value=metric_value,
        default_value=default_value,
        dimensions=dimensions,
        unit=unit,
    )


def _dimensions(checker: Checker, node: Node, path: str, system_dimensions: int) -> tuple[tuple[str, str], ...]:
    dims_node = checker.optional(node, "dimensions")
    if dims_node is None:
        return ()
    dims_path = key_path(path, "dimensions")
    entries = checker.mapping(dims_node, dims_path, "of dimension name to field selector")
    if entries is None:
        return ()
    total = len(entries) + system_dimensions
    if total > MAX_FILTER_DIMENSIONS:
        counted = f"{len(entries)} dimensions"
        if system_dimensions:
            counted += f" plus {system_dimensions} system field dimension{'s' if system_dimensions > 1 else ''}"
        checker.error(
            dims_path,
            f"has {counted}; allowed: at most {MAX_FILTER_DIMENSIONS} (emitSystemFieldDimensions count too)",
            dims_node,
        )
    result: list[tuple[str, str]] = []
    for name, value_node in entries.items():
        dim_path = key_path(dims_path, name)
        if not name:
            checker.error(dim_path, "dimension names must not be empty", line=dims_node.key_lines.get(name))
            continue
        if len(name) > 255:
            checker.error(dim_path, f"dimension name is {len(name)} characters long; allowed: at most 255", value_node)
            continue
        value = checker.string(value_node, dim_path) if not value_node.is_null else None
        if value is None:
            if value_node.is_null:
                checker.error(dim_path, f"needs a value; allowed: {_SELECTOR_FORMS}", value_node)
            continue
        if len(value) > 255:
            checker.error(dim_path, f"is {len(value)} characters long; allowed: at most 255", value_node)
            continue
        problem = _dimension_value_problem(value)
        if problem is not None:
            checker.error(dim_path, problem, value_node)
            continue
        if value.removeprefix("$.") in _HIGH_CARDINALITY_FIELDS:
            checker.warn(
                dim_path,
                f"{value} has a different value in (nearly) every CloudTrail event; each value is a separate "
                f"metric, and CloudWatch Logs may disable a filter that produces {MAX_DIMENSION_VALUES_PER_HOUR:,} "
                "different dimension values within one hour (trailguard applies that limit)",
                value_node,
            )
        result.append((name, value))
    return tuple(result)
