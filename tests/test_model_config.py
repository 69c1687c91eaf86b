"""Configuration files: YAML and JSON parsing, line numbers, whole-file rules, cross-references, monitors."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from trailguard.model import (
    Alarm,
    ConfigError,
    Configuration,
    MetricFilter,
    Monitor,
    Problem,
    Topic,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "monitors.yaml"

FILTER = """\
  - filterName: {name}
    filterPattern: ERROR
    metricTransformations:
      - metricName: {metric}
        metricNamespace: App
        metricValue: 1
"""
ALARM = """\
  - AlarmName: {name}
    MetricName: {metric}
    Namespace: App
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]
"""
TOPIC = """\
topics:
  - Name: alerts
    Subscriptions: [{Protocol: email, Endpoint: ops@example.com}]
"""


def document(filters: list[tuple[str, str]], alarms: list[tuple[str, str]], topics: str = TOPIC) -> str:
    text = "metricFilters:\n" + "".join(FILTER.format(name=n, metric=m) for n, m in filters)
    text += "alarms:\n" + "".join(ALARM.format(name=n, metric=m) for n, m in alarms)
    return text + topics


def problems(text: str, file: str = "m.yaml") -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, file=file)
    return [str(p) for p in raised.value.problems]


# -- the example ---------------------------------------------------------------------------------------


def test_example_file_loads_clean() -> None:
    config = load_config(EXAMPLE)
    assert config.warnings == ()
    assert config.source == str(EXAMPLE)
    assert [m.name for m in config.monitors()] == ["ConsoleSigninFailures", "RootAccountUsage", "S3AccessDeniedBurst"]
    console = config.alarm("ConsoleSigninFailures")
    assert console is not None and console.threshold == 3.0  # the explicit key overrides the merged anchor
    assert console.namespace == "CISBenchmark" and console.period == 300
    [topic] = config.topics
    assert topic.topic_arn == "arn:aws:sns:us-east-1:123456789012:security-alerts"
    assert [s.protocol for s in topic.subscriptions] == ["email", "https", "sqs"]


def test_configuration_round_trips_through_its_document() -> None:
    config = load_config(EXAMPLE)
    again = parse_config(json.dumps(config.to_config_dict()), file="again.json")
    assert again == config


# -- YAML ----------------------------------------------------------------------------------------------


def test_yaml_problems_carry_line_numbers_and_key_paths() -> None:
    text = document([("F", "M")], [("A", "M")]).replace("Period: 60", "Period: 45")
    assert problems(text) == [
        "m.yaml:13: alarms[0].Period: 45 is not a valid period; allowed: 10, 20, 30, or a multiple of 60"
    ]


def test_all_problems_in_document_order() -> None:
    text = document([("F:1", "M")], [("A", "M")])
    text = text.replace("Statistic: Sum", "Statistic: Total").replace("metricValue: 1", "metricValue: one")
    assert problems(text) == [
        "m.yaml:2: metricFilters[0].filterName: 'F:1' contains ':'; allowed: any characters except ':' and '*'",
        "m.yaml:7: metricFilters[0].metricTransformations[0].metricValue: 'one' is not a valid metric value; "
        "allowed: a number (e.g. 1), $.json.selector, $fieldName or $N",
        "m.yaml:12: alarms[0].Statistic: 'Total' is not a valid statistic; allowed: SampleCount, Average, Sum, "
        "Minimum, Maximum",
    ]


def test_pattern_error_points_at_the_character() -> None:
    text = document([("F", "M")], [("A", "M")]).replace("filterPattern: ERROR", "filterPattern: '{ $.a = 1 } x'")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, file="m.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.column) == (3, 33)  # the "x": the value starts in column 21, position 12
    assert str(problem) == (
        "m.yaml:3:33: metricFilters[0].filterPattern: invalid filter pattern: "
        "If a filter pattern starts with '{' it must end with '}' (at position 12)"
    )
    assert problem.detail is not None and problem.detail.splitlines()[-1].endswith("^")


def test_plain_scalars_keep_their_text() -> None:
    text = document([("404", "M")], [("A", "M")]).replace("metricValue: 1", "metricValue: 1.50")
    config = parse_config(text)
    assert config.metric_filters[0].filter_name == "404"
    assert config.metric_filters[0].metric_transformation.metric_value == "1.50"


def test_yaml_syntax_error() -> None:
    assert problems("alarms:\n  - AlarmName: [a\n") == [
        "m.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)"
    ]


def test_yaml_custom_tags_are_rejected_with_a_hint() -> None:
    [message] = problems("alarms:\n  - AlarmName: !Ref Name\n")
    assert message.startswith("m.yaml:2:16: invalid YAML: could not determine a constructor for the tag '!Ref'")
    assert message.endswith("; custom tags such as CloudFormation's !Ref are not supported")


def test_duplicate_yaml_keys_are_errors() -> None:
    text = document([("F", "M")], [("A", "M")]).replace("    Period: 60\n", "    Period: 60\n    Period: 120\n")
    assert problems(text) == [
        "m.yaml:14: alarms[0].Period: duplicate key (first at line 13); a key may appear only once"
    ]


def test_merge_keys_are_not_duplicates() -> None:
    text = """\
x-defaults: &defaults
  Namespace: App
  Statistic: Sum
  Period: 60
  EvaluationPeriods: 1
  Threshold: 1
  ComparisonOperator: GreaterThanThreshold
alarms:
  - AlarmName: A
    MetricName: M
    <<: *defaults
    Period: 300
"""
    [alarm] = parse_config(text).alarms
    assert (alarm.period, alarm.namespace) == (300, "App")


def test_empty_and_non_mapping_documents() -> None:
    assert problems("") == ["m.yaml: the file is empty; expected a mapping with metricFilters, alarms and/or topics"]
    assert problems("# only a comment\n") == [
        "m.yaml: the file is empty; expected a mapping with metricFilters, alarms and/or topics"
    ]
    assert problems("- a\n") == ["m.yaml:1: must be a mapping (with metricFilters, alarms and/or topics); got a list"]
    assert problems("region: us-east-1\n") == [
        "m.yaml:1: defines nothing; expected at least one of metricFilters, alarms, topics"
    ]


def test_top_level_keys() -> None:
    assert problems("metricFilter: []\n") == [
        "m.yaml:1: metricFilter: unknown key (did you mean 'metricFilters'?); allowed: metricFilters, alarms, "
        "topics, smtp, region, accountId, version",
        "m.yaml:1: defines nothing; expected at least one of metricFilters, alarms, topics",
    ]
    assert parse_config("x-notes: anything\nalarms: []\n").alarms == ()
    assert problems("version: 2\nalarms: []\n") == ["m.yaml:1: version: is not a known format version; allowed: 1"]
    assert problems("alarms: {}\n") == ["m.yaml:1: alarms: must be a list (of alarms entries); got a mapping"]


def test_region_and_account() -> None:
    config = parse_config("region: eu-west-1\naccountId: 111122223333\ntopics: [{Name: t}]\n")
    assert config.region == "eu-west-1" and config.account_id == "111122223333"
    assert config.topics[0].topic_arn == "arn:aws:sns:eu-west-1:111122223333:t"
    assert problems("region: Ireland\naccountId: '12'\ntopics: []\n") == [
        "m.yaml:1: region: 'Ireland' is not valid; allowed: an AWS region name such as us-east-1",
        "m.yaml:2: accountId: '12' is not valid; allowed: a 12-digit AWS account id",
    ]


def test_describe_outputs_load_as_they_are() -> None:
    filters = {
        "metricFilters": [
            {
                "filterName": "F",
                "filterPattern": "ERROR",
                "metricTransformations": [{"metricName": "M", "metricNamespace": "App", "metricValue": "1"}],
                "creationTime": 1700000000000,
                "logGroupName": "app",
            }
        ],
        "nextToken": None,
    }
    alarms = {
        "MetricAlarms": [
            {
                "AlarmName": "A",
                "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:A",
                "AlarmConfigurationUpdatedTimestamp": "2024-01-01T00:00:00.000Z",
                "ActionsEnabled": True,
                "OKActions": [],
                "AlarmActions": [],
                "InsufficientDataActions": [],
                "StateValue": "INSUFFICIENT_DATA",
                "StateReason": "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": "2024-01-01T00:00:00.000Z",
                "MetricName": "M",
                "Namespace": "App",
                "Statistic": "Sum",
                "Dimensions": [],
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "StateTransitionedTimestamp": "2024-01-01T00:00:00.000Z",
            }
        ],
        "CompositeAlarms": [],
    }
    config = parse_config(json.dumps({**filters, **alarms}), file="describe.json")
    assert [m.name for m in config.monitors()] == ["A"]
    assert config.warnings == ()
    alarms["CompositeAlarms"] = [{"AlarmName": "C"}]
    assert problems(json.dumps(alarms), file="d.json") == [
        "d.json:1: CompositeAlarms: composite alarms are not supported locally"
    ]
    assert problems(json.dumps({"alarms": [], "MetricAlarms": []}), file="d.json") == [
        "d.json:1: MetricAlarms: both 'alarms' and 'MetricAlarms' are given; allowed: one of them"
    ]


# -- JSON ----------------------------------------------------------------------------------------------


def test_json_problems_point_at_their_lines() -> None:
    text = (
        "{\n"
        '  "alarms": [\n'
        "    {\n"
        '      "AlarmName": "A",\n'
        '      "MetricName": "M",\n'
        '      "Namespace": "App",\n'
        '      "Statistic": "Sum",\n'
        '      "Period": 45,\n'
        '      "EvaluationPeriods": 1,\n'
        '      "Threshold": 1,\n'
        '      "ComparisonOperator": "GreaterThanThreshold"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    assert problems(text, file="m.json") == [
        "m.json:8: alarms[0].Period: 45 is not a valid period; allowed: 10, 20, 30, or a multiple of 60"
    ]


def test_json_numbers_keep_their_text() -> None:
    text = (
        '{"metricFilters": [{"filterName": "F", "filterPattern": "", "metricTransformations": '
        '[{"metricName": "M", "metricNamespace": "App", "metricValue": 1.50}]}]}'
    )
    assert parse_config(text, file="m.json").metric_filters[0].metric_transformation.metric_value == "1.50"


def test_json_syntax_errors_are_json_errors() -> None:
    assert problems('{\n  "alarms": [\n    {"AlarmName": "A"}\n    {"AlarmName": "B"}\n  ]\n}\n', file="m.json") == [
        "m.json:4:5: invalid JSON: Expecting ',' delimiter"
    ]
    assert problems('{"alarms": [NaN]}', file="m.json") == ["m.json: invalid JSON: NaN is not valid JSON"]


def test_json_escapes_that_yaml_would_reject() -> None:
    text = '{"topics": [{"Name": "a\\/b"}]}'
    assert problems(text, file="m.json")[0].startswith("m.json:1: topics[0].Name: contains '/'")


def test_duplicate_json_keys_are_errors() -> None:
    text = '{\n  "alarms": [],\n  "alarms": []\n}'
    assert problems(text, file="m.json") == [
        "m.json:3: alarms: duplicate key (first at line 2); a key may appear only once"
    ]


def test_format_detection() -> None:
    # A .json name, or a leading "{" with no telling name, means JSON, and JSON's own error...
    assert problems('{"alarms": [],}', file="m.json") == [
        "m.json:1:15: invalid JSON: Expecting property name enclosed in double quotes"
    ]
    assert problems('{"alarms": [}', file="stdin") == ["stdin:1:13: invalid JSON: Expecting value"]
    # ...unless the text is YAML flow style, which then loads as YAML.
    assert parse_config("{alarms: []}", file="stdin").alarms == ()
    assert parse_config('{"alarms": [],}', file="stdin").alarms == ()
    assert parse_config("alarms: []\n", file="m.yml").alarms == ()
    assert parse_config('{"alarms": []}', format="yaml").alarms == ()


# -- whole-file rules ----------------------------------------------------------------------------------


def test_duplicate_names() -> None:
    text = document([("F", "M"), ("F", "M")], [("A", "M"), ("A", "M")])
    assert problems(text) == [
        "m.yaml:8: metricFilters[1].filterName: duplicate filter 'F' in log group 'CloudTrail/DefaultLogGroup' "
        "(also metricFilters[0], line 2); AWS would replace the first with this one",
        "m.yaml:24: alarms[1].AlarmName: duplicate alarm name 'A' (also alarms[0], line 15); AWS would replace the "
        "first with this one",
    ]
    other_group = document([("F", "M"), ("F", "M")], [("A", "M")]).replace(
        "filterPattern: ERROR\n", "filterPattern: ERROR\n    logGroupName: other\n", 1
    )
    assert len(parse_config(other_group).metric_filters) == 2


def test_duplicate_topics() -> None:
    text = "topics:\n  - Name: t\n  - TopicArn: arn:aws:sns:us-east-1:123456789012:t\n"
    assert problems(text) == [
        "m.yaml:3: topics[1]: duplicate topic arn:aws:sns:us-east-1:123456789012:t (also topics[0], line 2); "
        "define each topic once and list all its subscriptions there"
    ]


def test_at_most_100_filters_per_log_group() -> None:
    filters = [
        {
            "filterName": f"F{i}",
            "filterPattern": "ERROR",
            "metricTransformations": [{"metricName": f"M{i}", "metricNamespace": "App", "metricValue": "1"}],
        }
        for i in range(101)
    ]
    with pytest.raises(ConfigError) as raised:
        Configuration.from_dict({"metricFilters": filters})
    assert [(p.path, p.message) for p in raised.value.problems] == [
        (
            "metricFilters[100]",
            "log group 'CloudTrail/DefaultLogGroup' gets more than 100 metric filters; allowed: at most 100 per log "
            "group",
        )
    ]


# -- cross-references ----------------------------------------------------------------------------------


def test_cross_reference_warnings() -> None:
    text = document([("F", "Watched"), ("G", "Unwatched")], [("A", "Watched"), ("B", "Unpublished")], topics="")
    config = parse_config(text, file="m.yaml")
    assert [str(w) for w in config.warnings] == [
        "m.yaml:11: warning: metricFilters[1].metricTransformations[0].metricName: no alarm in this configuration "
        "watches App/Unwatched",
        "m.yaml:23: warning: alarms[0].AlarmActions[0]: topic arn:aws:sns:us-east-1:123456789012:alerts is not "
        "defined under topics; notifications to it are recorded but reach no subscriber",
        "m.yaml:25: warning: alarms[1].MetricName: no metric filter in this configuration publishes App/Unpublished; "
        "locally this alarm only ever sees missing data",
        "m.yaml:32: warning: alarms[1].AlarmActions[0]: topic arn:aws:sns:us-east-1:123456789012:alerts is not "
        "defined under topics; notifications to it are recorded but reach no subscriber",
    ]


def test_dimension_unit_and_resolution_warnings() -> None:
    text = """\
metricFilters:
  - filterName: F
    filterPattern: '{ $.errorCode = * }'
    metricTransformations:
      - {metricName: M, metricNamespace: App, metricValue: 1, unit: Count, dimensions: {Service: $.eventSource}}
alarms:
  - AlarmName: WrongDimension
    MetricName: M
    Namespace: App
    Dimensions: [{Name: Region, Value: us-east-1}]
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanThreshold
  - AlarmName: NoDimension
    MetricName: M
    Namespace: App
    Unit: Bytes
    Statistic: Sum
    Period: 10
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanThreshold
"""
    assert [str(w) for w in parse_config(text, file="m.yaml").warnings] == [
        "m.yaml:10: warning: alarms[0].Dimensions: watches dimensions {Region}, but App/M is published with "
        "{Service}; this alarm's series never receives data",
        "m.yaml:16: warning: alarms[1].Dimensions: is empty, but App/M is published with dimensions {Service}; "
        "the alarm watches only the series without dimensions (events that lack those fields)",
        "m.yaml:19: warning: alarms[1].Unit: is Bytes, but App/M is published with unit Count; an alarm whose Unit "
        "is never published stays INSUFFICIENT_DATA",
        "m.yaml:21: warning: alarms[1].Period: metric filters publish one datapoint per minute; with a 10-second "
        "period most periods have no data",
    ]


# -- monitors ------------------------------------------------------------------------------------------


def test_monitors_pair_filters_with_alarms_and_topics() -> None:
    text = document([("F", "M"), ("G", "N")], [("A1", "M"), ("A2", "M"), ("B", "Other")])
    text = text.replace(
        "AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]\n  - AlarmName: A2",
        "AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]\n"
        "    OKActions: [arn:aws:sns:us-east-1:123456789012:undefined, arn:aws:sns:us-east-1:123456789012:alerts]\n"
        "  - AlarmName: A2",
    )
    config = parse_config(text)
    monitors = config.monitors()
    assert [(m.metric_filter.filter_name, m.alarm.alarm_name) for m in monitors] == [("F", "A1"), ("F", "A2")]
    assert [t.topic_arn for t in monitors[0].topics] == [
        "arn:aws:sns:us-east-1:123456789012:alerts",
        "arn:aws:sns:us-east-1:123456789012:undefined",
    ]
    assert len(monitors[0].topics[0].subscriptions) == 1  # defined: with its subscription
    assert monitors[0].topics[1] == Topic("arn:aws:sns:us-east-1:123456789012:undefined")
    assert config.filters_publishing(monitors[0].alarm.metric) == [config.metric_filters[0]]


def test_monitor_requires_matching_metric() -> None:
    metric_filter = MetricFilter.from_api_dict(
        {
            "filterName": "F",
            "filterPattern": "",
            "metricTransformations": [{"metricName": "M", "metricNamespace": "App", "metricValue": "1"}],
        }
    )
    alarm = Alarm.from_api_dict(
        {
            "AlarmName": "A",
            "MetricName": "Other",
            "Namespace": "App",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
        }
    )
    with pytest.raises(ValueError, match="alarm 'A' watches App/Other, but filter 'F' publishes App/M"):
        Monitor(metric_filter, alarm)


def test_from_monitors_keeps_shared_pieces_once() -> None:
    config = load_config(EXAMPLE)
    rebuilt = Configuration.from_monitors(config.monitors() + config.monitors())
    assert rebuilt.metric_filters == config.metric_filters
    assert rebuilt.alarms == config.alarms
    assert rebuilt.topics == config.topics


# -- files and errors ----------------------------------------------------------------------------------


def test_load_config_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing)
    assert str(raised.value) == f"{missing}: cannot read the file: No such file or directory"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"alarms: [\xff]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(binary)
    assert str(raised.value) == f"{binary}: is not UTF-8 text (byte 0xff at offset 9)"
    bom = tmp_path / "bom.json"
    bom.write_bytes(b'\xef\xbb\xbf{"alarms": []}')
    assert load_config(bom).alarms == ()


def test_problem_and_error_rendering() -> None:
    assert str(Problem("alarms[0].Period", "bad")) == "alarms[0].Period: bad"
    assert str(Problem("alarms[0].Period", "bad", 3)) == "line 3: alarms[0].Period: bad"
    assert str(Problem("", "bad", 3, file="f.yaml", column=7)) == "f.yaml:3:7: bad"
    assert str(Problem("x", "odd", 2, "warning", "f.yaml")) == "f.yaml:2: warning: x: odd"
    error = ConfigError([Problem("a", "one", 1, file="f"), Problem("b", "two", 2, file="f")])
    assert isinstance(error, ValueError)
    assert str(error) == "f:1: a: one\nf:2: b: two"
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and str(copy) == str(error)


def test_too_deep_and_too_large_documents() -> None:
    assert problems("alarms: " + "[" * 100 + "]" * 100 + "\n") == ["m.yaml:1: the document is nested too deeply"]
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        laughs += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert problems(laughs) == ["m.yaml:5: the document expands to too many values"]


def test_the_engine_runs_the_model_types_directly() -> None:
    from trailguard.engine.aggregates import MetricStore
    from trailguard.engine.alarms import AlarmEvaluator
    from trailguard.engine.metrics import compile_filter

    config = load_config(EXAMPLE)
    for metric_filter in config.metric_filters:
        compiled = compile_filter(metric_filter, account_id=config.account_id, region=config.region)
        assert compiled.definition is metric_filter
    for alarm in config.alarms:
        evaluator = AlarmEvaluator(
            alarm, MetricStore(), region=config.region, account_id=config.account_id, created_ms=0
        )
        assert evaluator.alarm is alarm


def test_a_log_group_accepts_five_regex_filters_not_six() -> None:
    def filters(count: int) -> str:
        return "metricFilters:\n" + "".join(
            f"  - filterName: f{i}\n"
            f"    filterPattern: '{{ $.eventName = %Create{i}% }}'\n"
            f"    metricTransformations: [{{metricName: M{i}, metricNamespace: N, metricValue: '1'}}]\n"
            for i in range(count)
        )

    parse_config(filters(5), file="ok.yaml")
    with pytest.raises(ConfigError) as caught:
        parse_config(filters(6), file="six.yaml")
    assert "six.yaml:17: metricFilters[5].filterPattern" in str(caught.value)
    assert "at most 5 per log group" in str(caught.value)


def test_characters_and_numbers_yaml_cannot_hold_are_problems_with_a_position() -> None:
    assert problems("metricFilters: [\x00]\n") == ["m.yaml:1:17: invalid YAML: the character U+0000 is not allowed"]
    huge = "alarms:\n  - {AlarmName: a, Period: " + "9" * 5000 + "}\n"
    assert problems(huge) == ["m.yaml:2: a number with thousands of digits; allowed: numbers AWS accepts"]
