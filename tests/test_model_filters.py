"""Metric filter validation: every PutMetricFilter rule, with the exact message a user sees."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from trailguard.model import (
    DEFAULT_LOG_GROUP_NAME,
    ConfigError,
    MetricFilter,
    MetricTransformation,
    metric_value_problem,
    parse_config,
)
from trailguard.pattern import PatternError, compile_pattern

BASE: dict[str, Any] = {
    "filterName": "ConsoleFailures",
    "filterPattern": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    "metricTransformations": [{"metricName": "Failures", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
}


def make(**fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for key, value in fields.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def transformation(**fields: Any) -> dict[str, Any]:
    item = copy.deepcopy(BASE["metricTransformations"][0])
    for key, value in fields.items():
        if value is ...:
            item.pop(key, None)
        else:
            item[key] = value
    return make(metricTransformations=[item])


def errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        MetricFilter.from_api_dict(data)
    except ConfigError as error:
        return [(p.path, p.message) for p in error.problems]
    return []


T = "metricTransformations[0]"


def test_valid_filter_and_its_api_shape() -> None:
    metric_filter = MetricFilter.from_api_dict(BASE)
    assert metric_filter.log_group_name == DEFAULT_LOG_GROUP_NAME == "CloudTrail/DefaultLogGroup"
    assert metric_filter.metric_transformation == MetricTransformation("Failures", "CISBenchmark", "1")
    assert metric_filter.metric_transformations == (metric_filter.metric_transformation,)
    assert str(metric_filter.metric) == "CISBenchmark/Failures"
    assert metric_filter.to_api_dict() == {
        "logGroupName": "CloudTrail/DefaultLogGroup",
        "filterName": "ConsoleFailures",
        "filterPattern": BASE["filterPattern"],
        "metricTransformations": [{"metricName": "Failures", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
    }
    assert MetricFilter.from_api_dict(metric_filter.to_api_dict()) == metric_filter


def test_full_api_shape_round_trips() -> None:
    data = {
        "logGroupName": "aws-cloudtrail-logs-123456789012-abc/x#1",
        "filterName": "Latency",
        "filterPattern": "{ $.latency > 0 }",
        "metricTransformations": [
            {
                "metricName": "Latency",
                "metricNamespace": "App",
                "metricValue": "$.latency",
                "dimensions": {"Service": "$.service"},
                "unit": "Milliseconds",
            }
        ],
        "applyOnTransformedLogs": False,
        "fieldSelectionCriteria": "",
        "emitSystemFieldDimensions": ["@aws.region"],
    }
    metric_filter = MetricFilter.from_api_dict(data)
    assert metric_filter.to_api_dict() == data
    assert metric_filter.metric_transformation.dimension_map == {"Service": "$.service"}


def test_default_value_is_kept_as_a_float() -> None:
    metric_filter = MetricFilter.from_api_dict(transformation(defaultValue=0))
    assert metric_filter.metric_transformation.default_value == 0.0
    assert metric_filter.to_api_dict()["metricTransformations"][0]["defaultValue"] == 0.0


# -- filterName ----------------------------------------------------------------------------------------


def test_filter_name_required() -> None:
    assert errors(make(filterName=...)) == [("filterName", "is required")]


def test_filter_name_empty() -> None:
    assert errors(make(filterName="")) == [("filterName", "must not be empty; allowed: 1 to 512 characters")]


def test_filter_name_too_long() -> None:
    assert errors(make(filterName="x" * 513)) == [("filterName", "is 513 characters long; allowed: at most 512")]
    assert errors(make(filterName="x" * 512)) == []


@pytest.mark.parametrize("name, char", [("a:b", ":"), ("a*", "*")])
def test_filter_name_forbidden_characters(name: str, char: str) -> None:
    assert errors(make(filterName=name)) == [
        ("filterName", f"'{name}' contains '{char}'; allowed: any characters except ':' and '*'")
    ]


def test_filter_name_must_be_a_string() -> None:
    assert errors(make(filterName=["a"])) == [("filterName", "must be a string; got a list")]


# -- logGroupName --------------------------------------------------------------------------------------


def test_log_group_name_characters() -> None:
    assert errors(make(logGroupName="my group")) == [
        ("logGroupName", "'my group' contains ' '; allowed: letters, digits and the characters . - _ / #")
    ]


def test_log_group_name_length() -> None:
    assert errors(make(logGroupName="")) == [("logGroupName", "must not be empty; allowed: 1 to 512 characters")]
    assert errors(make(logGroupName="a" * 513)) == [("logGroupName", "is 513 characters long; allowed: at most 512")]


# -- filterPattern -------------------------------------------------------------------------------------


def test_filter_pattern_required_with_a_hint() -> None:
    assert errors(make(filterPattern=...)) == [
        ("filterPattern", 'is required (write filterPattern: "" for a filter that matches every event)')
    ]


def test_empty_filter_pattern_is_valid() -> None:
    assert MetricFilter.from_api_dict(make(filterPattern="")).filter_pattern == ""


def test_filter_pattern_length() -> None:
    assert errors(make(filterPattern="a" * 1025)) == [
        ("filterPattern", "is 1025 characters long; allowed: at most 1024")
    ]


@pytest.mark.parametrize("pattern", ["ERR*", '"ERROR', "{ $.a = 1 } x", "{ $.a[*].* = 1 }"])
def test_filter_pattern_must_compile(pattern: str) -> None:
    with pytest.raises(PatternError) as expected:
        compile_pattern(pattern)
    where = f" (at position {expected.value.position})" if expected.value.position is not None else ""
    try:
        MetricFilter.from_api_dict(make(filterPattern=pattern))
    except ConfigError as error:
        [problem] = error.problems
        assert problem.path == "filterPattern"
        assert problem.message == f"invalid filter pattern: {expected.value.aws_message}{where}"
        assert problem.detail == str(expected.value)  # the caret display
    else:
        pytest.fail("no ConfigError")


# -- metricTransformations -----------------------------------------------------------------------------


def test_transformations_required() -> None:
    assert errors(make(metricTransformations=...)) == [("metricTransformations", "is required")]


@pytest.mark.parametrize("count", [0, 2])
def test_exactly_one_transformation(count: int) -> None:
    items = [copy.deepcopy(BASE["metricTransformations"][0]) for _ in range(count)]
    assert errors(make(metricTransformations=items)) == [
        ("metricTransformations", f"has {count} transformations; allowed: exactly 1 (AWS accepts one per filter)")
    ]


def test_transformations_must_be_a_list() -> None:
    assert errors(make(metricTransformations={"metricName": "x"})) == [
        ("metricTransformations", "must be a list (with exactly one metric transformation); got a mapping")
    ]


@pytest.mark.parametrize("key, what", [("metricName", "metric names"), ("metricNamespace", "metric namespaces")])
def test_metric_name_and_namespace(key: str, what: str) -> None:
    path = f"{T}.{key}"
    assert errors(transformation(**{key: ...})) == [(path, "is required")]
    assert errors(transformation(**{key: ""})) == [
        (path, "must not be empty; allowed: 1 to 255 characters other than ':', '*' and '$'")
    ]
    assert errors(transformation(**{key: "m" * 256})) == [(path, "is 256 characters long; allowed: at most 255")]
    assert errors(transformation(**{key: "m" * 255})) == []
    for char in ":*$":
        assert errors(transformation(**{key: f"a{char}b"})) == [
            (path, f"'a{char}b' contains '{char}'; {what} may not contain ':', '*' or '$'")
        ]


@pytest.mark.parametrize(
    "value",
    ["1", "1.0", "-2.5", "+3", ".5", "1e3", "$.latency", "$.a.b", "$.['a.b']", "$.a-b", "$.a[0].b", "$size", "$3"],
)
def test_metric_value_forms_accepted(value: str) -> None:
    assert metric_value_problem(value) is None
    assert errors(transformation(metricValue=value)) == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "must not be empty; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        ("one", "'one' is not a valid metric value; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        ("$", "'$' is not a valid metric value; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        ("$0", "'$0' is not a valid metric value; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        ("$.a b", "'$.a b' is not a valid metric value; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        ("$[0]", "'$[0]' is not a valid metric value; allowed: a number (e.g. 1), $.json.selector, $fieldName or $N"),
        (
            "$.values[*]",
            "'$.values[*]' must be a valid number or a selector of one value; "
            "wildcards such as [*] and .* are not allowed",
        ),
        (
            "$.a.*",
            "'$.a.*' must be a valid number or a selector of one value; wildcards such as [*] and .* are not allowed",
        ),
        ("1" * 101, "is 101 characters long; allowed: at most 100"),
    ],
)
def test_metric_value_forms_rejected(value: str, message: str) -> None:
    assert metric_value_problem(value) == message
    assert errors(transformation(metricValue=value)) == [(f"{T}.metricValue", message)]


def test_metric_value_required() -> None:
    assert errors(transformation(metricValue=...)) == [(f"{T}.metricValue", "is required")]


def test_numeric_metric_value_from_python_uses_its_text() -> None:
    assert MetricFilter.from_api_dict(transformation(metricValue=1)).metric_transformation.metric_value == "1"


@pytest.mark.parametrize(
    "value, message",
    [("x", "must be a number; got the string 'x'"), (True, "must be a number; got a boolean (true)")],
)
def test_default_value_must_be_a_number(value: object, message: str) -> None:
    assert errors(transformation(defaultValue=value)) == [(f"{T}.defaultValue", message)]


def test_at_most_three_dimensions() -> None:
    dims = {f"d{i}": f"$.d{i}" for i in range(4)}
    assert errors(transformation(dimensions=dims)) == [
        (f"{T}.dimensions", "has 4 dimensions; allowed: at most 3 (emitSystemFieldDimensions count too)")
    ]
    del dims["d3"]
    assert errors(transformation(dimensions=dims)) == []


def test_system_field_dimensions_count_toward_the_limit() -> None:
    data = transformation(dimensions={"a": "$.a", "b": "$.b"})
    data["emitSystemFieldDimensions"] = ["@aws.account", "@aws.region"]
    assert errors(data) == [
        (
            f"{T}.dimensions",
            "has 2 dimensions plus 2 system field dimensions; allowed: at most 3 (emitSystemFieldDimensions count too)",
        )
    ]


def test_system_field_names() -> None:
    data = make(emitSystemFieldDimensions=["@aws.zone"])
    assert errors(data) == [
        (
            "emitSystemFieldDimensions[0]",
            "'@aws.zone' is not a valid system field; allowed: @aws.account, @aws.region",
        )
    ]


def test_dimension_values_are_field_selectors() -> None:
    assert errors(transformation(dimensions={"env": "prod"})) == [
        (f"{T}.dimensions.env", "'prod' is not a field selector; allowed: $.json.selector, $fieldName or $N")
    ]
    assert errors(transformation(dimensions={"v": "$.values[*]"})) == [
        (
            f"{T}.dimensions.v",
            "'$.values[*]' must be a selector of one value; wildcards such as [*] and .* are not allowed",
        )
    ]
    assert errors(transformation(dimensions={"user.name": "$user"})) == []


def test_dimension_key_and_value_length() -> None:
    name = "a." + "k" * 254
    assert errors(transformation(dimensions={name: "$.a"})) == [
        (f"{T}.dimensions['a.{'k' * 75}...']", "dimension name is 256 characters long; allowed: at most 255")
    ]
    assert errors(transformation(dimensions={"k": "$." + "a" * 254})) == [
        (f"{T}.dimensions.k", "is 256 characters long; allowed: at most 255")
    ]


def test_dimensions_must_be_a_mapping() -> None:
    assert errors(transformation(dimensions=["$.a"])) == [
        (f"{T}.dimensions", "must be a mapping (of dimension name to field selector); got a list")
    ]


def test_default_value_with_dimensions_is_rejected() -> None:
    assert errors(transformation(defaultValue=0, dimensions={"Service": "$.service"})) == [
        (f"{T}.defaultValue", "cannot be combined with dimensions; allowed: a defaultValue or dimensions, not both")
    ]


def test_unit_enum_with_suggestion() -> None:
    [(path, message)] = errors(transformation(unit="count"))
    assert path == f"{T}.unit"
    assert message.startswith("'count' is not a valid unit (did you mean 'Count'?); allowed: Seconds, Microseconds,")
    assert message.endswith("Terabits/Second, Count/Second, None")
    assert errors(transformation(unit="Bytes/Second")) == []


def test_unknown_keys_are_named_with_a_suggestion() -> None:
    data = make(filtername="x")
    assert errors(data) == [
        (
            "filtername",
            "unknown key (did you mean 'filterName'?); allowed: filterName, filterPattern, metricTransformations, "
            "logGroupName, applyOnTransformedLogs, fieldSelectionCriteria, emitSystemFieldDimensions",
        )
    ]
    assert errors(transformation(metricUnit="Count")) == [
        (
            f"{T}.metricUnit",
            "unknown key; allowed: metricName, metricNamespace, metricValue, defaultValue, dimensions, unit",
        )
    ]


def test_describe_output_field_is_ignored() -> None:
    assert errors(make(creationTime=1700000000000)) == []


def test_apply_on_transformed_logs_must_be_boolean() -> None:
    assert errors(make(applyOnTransformedLogs="yes")) == [
        ("applyOnTransformedLogs", "must be true or false; got the string 'yes'")
    ]


def test_field_selection_criteria_length() -> None:
    assert errors(make(fieldSelectionCriteria="a" * 2001)) == [
        ("fieldSelectionCriteria", "is 2001 characters long; allowed: at most 2000")
    ]


def test_all_problems_are_reported_together() -> None:
    data = make(filterName="a:b", filterPattern="ERR*", metricTransformations=[{"metricValue": "x"}])
    paths = [path for path, _ in errors(data)]
    assert paths == [
        "filterName",
        "filterPattern",
        f"{T}.metricName",
        f"{T}.metricNamespace",
        f"{T}.metricValue",
    ]


def test_warnings_for_features_not_emulated() -> None:
    text = """
metricFilters:
  - filterName: F
    filterPattern: ERROR
    applyOnTransformedLogs: true
    fieldSelectionCriteria: '@aws.region = "us-east-1"'
    emitSystemFieldDimensions: ["@aws.region"]
    metricTransformations: [{metricName: M, metricNamespace: N, metricValue: 1}]
"""
    config = parse_config(text, file="f.yaml")
    assert [str(w) for w in config.warnings] == [
        "f.yaml:5: warning: metricFilters[0].applyOnTransformedLogs: log transformers are not emulated locally; "
        "the filter is applied to the events as ingested",
        "f.yaml:6: warning: metricFilters[0].fieldSelectionCriteria: field selection criteria are not evaluated "
        "locally; every event is considered",
        "f.yaml:8: warning: metricFilters[0].metricTransformations[0].metricName: no alarm in this configuration "
        "watches N/M",
    ]


def test_block_scalar_line_break_warns() -> None:
    text = """\
metricFilters:
  - filterName: F
    filterPattern: |
      { $.eventName = ConsoleLogin }
    metricTransformations: [{metricName: M, metricNamespace: N, metricValue: 1}]
alarms:
  - {AlarmName: A, MetricName: M, Namespace: N, Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: 1,
     ComparisonOperator: GreaterThanThreshold}
"""
    config = parse_config(text, file="f.yaml")
    assert config.metric_filters[0].filter_pattern == "{ $.eventName = ConsoleLogin }\n"
    assert [str(w) for w in config.warnings] == [
        "f.yaml:3: warning: metricFilters[0].filterPattern: starts or ends with a line break, which AWS stores as "
        "part of the pattern (a YAML '|' or '>' block keeps the final one; write '|-' or '>-')"
    ]
    assert parse_config(text.replace("filterPattern: |", "filterPattern: |-")).warnings == ()
