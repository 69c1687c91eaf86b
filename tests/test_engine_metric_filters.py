"""Metric filter publication, per the recorded live PutMetricFilter / GetMetricStatistics probes (docs/semantics.md)."""

from __future__ import annotations

import json

import pytest

from trailguard.engine.aggregates import SeriesKey
from trailguard.engine.metrics import CompiledMetricFilter, compile_filter
from trailguard.model import ConfigError, MetricFilter
from trailguard.pattern import LogEvent

Published = list[tuple[SeriesKey, int, float]]
T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000  # a minute boundary


def run(rule: CompiledMetricFilter, messages: list[tuple[str, int]]) -> Published:
    published: Published = []
    for message, timestamp in messages:
        rule.publish(LogEvent(message), timestamp, lambda s, m, v: published.append((s, m, v)))
    return published


def rule(
    pattern: str,
    value: str = "1",
    *,
    default_value: float | None = None,
    dimensions: dict[str, str] | None = None,
    unit: str | None = None,
    system_fields: tuple[str, ...] = (),
) -> CompiledMetricFilter:
    transformation: dict[str, object] = {"metricName": "M", "metricNamespace": "NS", "metricValue": value}
    if default_value is not None:
        transformation["defaultValue"] = default_value
    if dimensions is not None:
        transformation["dimensions"] = dimensions
    if unit is not None:
        transformation["unit"] = unit
    definition: dict[str, object] = {
        "filterName": "f",
        "filterPattern": pattern,
        "metricTransformations": [transformation],
    }
    if system_fields:
        definition["emitSystemFieldDimensions"] = list(system_fields)
    return compile_filter(MetricFilter.from_api_dict(definition), account_id="111122223333", region="eu-west-1")


def test_default_value_is_published_once_per_non_matching_event() -> None:
    # Live probe: filter ERROR, value 3, default 7, events ERROR, INFO, ERROR -> Sum 13, SampleCount 3.
    published = run(rule("ERROR", "3", default_value=7.0), [("ERROR", T0), ("INFO", T0 + 1), ("ERROR", T0 + 2)])
    assert [v for _, _, v in published] == [3.0, 7.0, 3.0]
    assert sum(v for _, _, v in published) == 13


def test_without_default_non_matching_events_publish_nothing() -> None:
    assert run(rule("ERROR"), [("INFO", T0)]) == []


def test_each_datapoint_lands_in_the_minute_of_its_event() -> None:
    published = run(rule("ERROR"), [("ERROR", T0 + 59_999), ("ERROR", T0 + 60_000), ("ERROR", T0 - 1)])
    assert [m for _, m, _ in published] == [T0, T0 + 60_000, T0 - 60_000]


def test_json_value_field_missing_null_or_non_numeric() -> None:
    filter_rule = rule("{ $.latency = * || $.latency NOT EXISTS || $.latency IS NULL }", "$.latency", default_value=0.0)
    events = [
        ('{"latency":50}', T0),
        ('{"latency":"12.5"}', T0),
        ("{}", T0),
        ('{"latency":null}', T0),
        ('{"latency":"high"}', T0),
        ('{"latency":true}', T0),
    ]
    # true matches none of the clauses, so it is a non-matching event and gets the default.
    assert [v for _, _, v in run(filter_rule, events)] == [50.0, 12.5, 0.0, 0.0, 0.0]
    assert filter_rule.counters.non_numeric == 1
    assert filter_rule.counters.missing_value == 2


def test_without_default_only_valid_numbers_publish() -> None:
    filter_rule = rule("{ $.latency = * || $.latency NOT EXISTS }", "$.latency")
    assert [v for _, _, v in run(filter_rule, [('{"latency":5}', T0), ("{}", T0)])] == [5.0]


def test_non_json_event_is_an_ordinary_non_match_for_json_filters() -> None:
    assert [v for _, _, v in run(rule("{ $.a = 1 }", default_value=0.0), [("not json", T0)])] == [0.0]


def test_delimited_fields_as_value_and_dimension() -> None:
    filter_rule = rule("[ip, user, bytes]", "$bytes", dimensions={"User": "$user"})
    ((series, _, value),) = run(filter_rule, [("10.0.0.1 alice 1534", T0)])
    assert value == 1534.0
    assert series == SeriesKey("NS", "M", (("User", "alice"),), None)
    ((series, _, value),) = run(rule("[a, b, ...]", "$3"), [("x y 42 z", T0)])
    assert value == 42.0


def test_json_dimensions_and_missing_dimension_goes_dimensionless() -> None:
    filter_rule = rule(
        "{ $.eventName = * }", dimensions={"Source": "$.eventSource", "Name": "$.eventName"}, unit="Count"
    )
    events = [(json.dumps({"eventName": "A", "eventSource": "s3"}), T0), (json.dumps({"eventName": "B"}), T0)]
    (first, second) = run(filter_rule, events)
    assert first[0] == SeriesKey("NS", "M", (("Name", "A"), ("Source", "s3")), "Count")
    assert second[0] == SeriesKey("NS", "M", (), "Count")
    assert filter_rule.counters.dimensionless == 1


def test_from_api_dict_reads_the_put_metric_filter_shape() -> None:
    definition = MetricFilter.from_api_dict(
        {
            "filterName": "ConsoleSigninFailures",
            "filterPattern": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
            "logGroupName": "CloudTrail/DefaultLogGroup",
            "metricTransformations": [
                {"metricName": "ConsoleSigninFailureCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        }
    )
    filter_rule = compile_filter(definition, account_id="123456789012", region="us-east-1")
    events = [(json.dumps({"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}), T0)]
    assert run(filter_rule, events) == [(SeriesKey("CISBenchmark", "ConsoleSigninFailureCount"), T0, 1.0)]


def test_bad_value_reference_is_refused() -> None:
    with pytest.raises(ConfigError):
        rule("ERROR", "bytes")


def test_a_given_verdict_is_trusted_unless_field_values_are_needed() -> None:
    # A caller that already tested the pattern (Replay, through a PatternSet) passes its verdict; only a
    # delimited filter whose value or dimensions read $field/$N matches again, for the extracted values.
    literal = rule("[a, b]")
    published: Published = []
    literal.publish(LogEvent("x"), T0, lambda s, m, v: published.append((s, m, v)), True)
    assert [v for _, _, v in published] == [1.0]  # "x" alone would not match: the verdict was used
    field = rule("[a, b]", "$b")
    field.publish(LogEvent("x 7"), T0, lambda s, m, v: published.append((s, m, v)), True)
    assert published[-1][2] == 7.0


def test_system_field_dimensions_carry_the_log_groups_account_and_region() -> None:
    ((series, _, _),) = run(rule("ERROR", system_fields=("@aws.region", "@aws.account")), [("ERROR", T0)])
    assert series == SeriesKey("NS", "M", (("@aws.account", "111122223333"), ("@aws.region", "eu-west-1")))
    # Recorded: a non-matching event's default is published without any dimension.
    with_default = rule("ERROR", "3", default_value=7.0, system_fields=("@aws.account",))
    matched, defaulted = run(with_default, [("ERROR", T0), ("INFO", T0)])
    assert matched[0].dimensions == (("@aws.account", "111122223333"),) and matched[2] == 3.0
    assert defaulted[0].dimensions == () and defaulted[2] == 7.0
    # With ordinary dimensions too; an event lacking one is published without dimensions at all (recorded: no
    # partial set).
    filter_rule = rule("{ $.a = * }", dimensions={"A": "$.a"}, system_fields=("@aws.account",))
    first, second = run(filter_rule, [('{"a":"x"}', T0), ('{"a":""}', T0)])
    assert first[0].dimensions == (("@aws.account", "111122223333"), ("A", "x"))
    assert second[0].dimensions == ()


def test_values_cloudwatch_would_refuse_are_counted_not_published() -> None:
    # PutMetricData: values must lie in [-2^360, 2^360]; 1e300 matches but can never be a datapoint.
    filter_rule = rule("{ $.v = * }", "$.v")
    assert [v for _, _, v in run(filter_rule, [('{"v":1e300}', T0), ('{"v":-1e300}', T0), ('{"v":2}', T0)])] == [2.0]
    assert filter_rule.counters.out_of_range == 2


def test_a_thousand_dimension_values_within_an_hour_disable_the_filter() -> None:
    # PutMetricFilter: "CloudWatch Logs might disable a metric filter if it generates 1,000 different name/value
    # pairs for your specified dimensions within one hour."
    filter_rule = rule("{ $.id = * }", dimensions={"Id": "$.id"})
    events = [(json.dumps({"id": str(i)}), T0 + i) for i in range(1200)]
    published = run(filter_rule, events)
    assert len(published) == 999
    assert filter_rule.counters.disabled_at_ms == T0 + 999
    assert filter_rule.counters.after_disabled == 201
    # Repeated values do not count again, and a new hour starts afresh.
    again = rule("{ $.id = * }", dimensions={"Id": "$.id"})
    events = [(json.dumps({"id": str(i % 500)}), T0 + i) for i in range(5000)]
    events += [(json.dumps({"id": f"n{i}"}), T0 + 3_600_000 + i) for i in range(900)]
    assert len(run(again, events)) == 5900 and again.counters.disabled_at_ms is None
