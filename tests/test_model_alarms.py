"""Alarm validation: every PutMetricAlarm rule, with the exact message a user sees."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from trailguard.model import (
    Alarm,
    ConfigError,
    Dimension,
    Tag,
    extended_statistic_problem,
    parse_config,
    percentile,
)

BASE: dict[str, Any] = {
    "AlarmName": "ConsoleFailures",
    "MetricName": "Failures",
    "Namespace": "CISBenchmark",
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}
PERIOD_ALLOWED = "allowed: 10, 20, 30, or a multiple of 60"


def make(**fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for key, value in fields.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        Alarm.from_api_dict(data)
    except ConfigError as error:
        return [(p.path, p.message) for p in error.problems]
    return []


def warnings_for(alarm_yaml: str) -> list[str]:
    """Warnings of a one-alarm configuration whose metric a filter publishes."""
    text = f"""
metricFilters:
  - filterName: F
    filterPattern: ERROR
    metricTransformations: [{{metricName: Failures, metricNamespace: CISBenchmark, metricValue: 1}}]
alarms:
  - {alarm_yaml}
"""
    config = parse_config(text, file="a.yaml")
    return [str(w) for w in config.warnings]


def test_minimal_alarm_and_its_api_shape() -> None:
    alarm = Alarm.from_api_dict(BASE)
    assert alarm.to_api_dict() == {
        "AlarmName": "ConsoleFailures",
        "ActionsEnabled": True,
        "MetricName": "Failures",
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    # Unset optional fields stay unset; AWS's effective values are separate.
    assert alarm.datapoints_to_alarm is None and alarm.effective_datapoints_to_alarm == 1
    assert alarm.treat_missing_data is None and alarm.effective_treat_missing_data == "missing"
    assert str(alarm.metric) == "CISBenchmark/Failures"


def test_full_alarm_round_trips() -> None:
    data = {
        "AlarmName": "p99 latency",
        "AlarmDescription": "latency",
        "ActionsEnabled": False,
        "AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:a"],
        "OKActions": ["arn:aws:sns:eu-west-1:123456789012:b"],
        "InsufficientDataActions": ["arn:aws:sns:eu-west-1:123456789012:c"],
        "MetricName": "Latency",
        "Namespace": "App",
        "ExtendedStatistic": "p99.5",
        "Dimensions": [{"Name": "Service", "Value": "api"}],
        "Period": 60,
        "Unit": "Milliseconds",
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 250.5,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": "ignore",
        "Tags": [{"Key": "team", "Value": "sec"}],
    }
    alarm = Alarm.from_api_dict(data)
    assert alarm.to_api_dict() == data
    assert alarm.dimensions == (Dimension("Service", "api"),)
    assert alarm.tags == (Tag("team", "sec"),)
    assert alarm.all_actions == (
        "arn:aws:sns:eu-west-1:123456789012:a",
        "arn:aws:sns:eu-west-1:123456789012:b",
        "arn:aws:sns:eu-west-1:123456789012:c",
    )
    assert Alarm.from_api_dict(alarm.to_api_dict()) == alarm


def test_describe_alarms_output_fields_are_ignored() -> None:
    data = make(
        AlarmArn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:ConsoleFailures",
        StateValue="OK",
        StateReason="x",
        StateUpdatedTimestamp="2024-01-01T00:00:00Z",
        AlarmConfigurationUpdatedTimestamp="2024-01-01T00:00:00Z",
        Metrics=[],
        Dimensions=[],
        OKActions=[],
    )
    assert errors(data) == []


# -- names and text ------------------------------------------------------------------------------------


def test_alarm_name_rules() -> None:
    assert errors(make(AlarmName=...)) == [("AlarmName", "is required")]
    assert errors(make(AlarmName="")) == [("AlarmName", "must not be empty; allowed: 1 to 255 characters")]
    assert errors(make(AlarmName="a" * 256)) == [("AlarmName", "is 256 characters long; allowed: at most 255")]
    assert errors(make(AlarmName="Ünïcødé alarm — ok")) == []


@pytest.mark.parametrize("char, code", [("\t", "0009"), ("\n", "000A"), ("\x7f", "007F")])
def test_alarm_name_control_characters(char: str, code: str) -> None:
    assert errors(make(AlarmName=f"a{char}b")) == [
        ("AlarmName", f"contains the control character U+{code}; allowed: UTF-8 text without ASCII control characters")
    ]


def test_description_length() -> None:
    assert errors(make(AlarmDescription="d" * 1025)) == [
        ("AlarmDescription", "is 1025 characters long; allowed: at most 1024")
    ]
    assert errors(make(AlarmDescription="")) == []


def test_namespace_rules() -> None:
    assert errors(make(Namespace=":x")) == [("Namespace", "':x' starts with ':'; allowed: any other first character")]
    assert errors(make(Namespace="")) == [("Namespace", "must not be empty; allowed: 1 to 255 characters")]
    assert errors(make(Namespace="n" * 256)) == [("Namespace", "is 256 characters long; allowed: at most 255")]
    assert errors(make(Namespace=...)) == [("Namespace", "is required")]


def test_metric_name_rules() -> None:
    assert errors(make(MetricName="")) == [("MetricName", "must not be empty; allowed: 1 to 255 characters")]
    assert errors(make(MetricName=...)) == [("MetricName", "is required")]


# -- period and evaluation -----------------------------------------------------------------------------


@pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 300, 3600, 86400])
def test_valid_periods(period: int) -> None:
    assert errors(make(Period=period)) == []


@pytest.mark.parametrize("period", [0, 5, 40, 45, 90, 61, -60])
def test_invalid_periods(period: int) -> None:
    assert errors(make(Period=period)) == [("Period", f"{period} is not a valid period; {PERIOD_ALLOWED}")]


def test_period_types() -> None:
    assert errors(make(Period="60")) == [("Period", "must be an integer; got the string '60'")]
    assert errors(make(Period=60.5)) == [("Period", "must be an integer; got a number (60.5)")]
    assert errors(make(Period=60.0)) == [("Period", "must be a whole number written without a fraction; got 60.0")]
    assert errors(make(Period=True)) == [("Period", "must be an integer; got a boolean (true)")]
    assert errors(make(Period=...)) == [("Period", f"is required; {PERIOD_ALLOWED}")]


def test_evaluation_periods_at_least_one() -> None:
    assert errors(make(EvaluationPeriods=0)) == [("EvaluationPeriods", "0 is not valid; allowed: an integer >= 1")]
    assert errors(make(EvaluationPeriods=...)) == [("EvaluationPeriods", "is required; allowed: an integer >= 1")]


@pytest.mark.parametrize(
    "periods, period",
    [(1440, 60), (8640, 10), (288, 300), (24, 3600), (25, 3600), (168, 3600), (7, 86400), (2, 302400 - 302400 % 60)],
)
def test_evaluation_range_within_limits(periods: int, period: int) -> None:
    # One day while Period < 3600 s; up to seven days once Period >= 3600 s (recorded, and the PutMetricAlarm docs).
    assert errors(make(EvaluationPeriods=periods, Period=period)) == []


def test_evaluation_range_over_one_day_with_short_period() -> None:
    assert errors(make(EvaluationPeriods=1441, Period=60)) == [
        (
            "EvaluationPeriods",
            "EvaluationPeriods x Period = 1441 x 60 s = 86460 s; allowed: at most 86400 s (1 day) in total while "
            "Period is under 3600 s, at most 604800 s (7 days) with Period >= 3600 s",
        )
    ]


def test_evaluation_range_over_seven_days() -> None:
    assert errors(make(EvaluationPeriods=169, Period=3600)) == [
        (
            "EvaluationPeriods",
            "EvaluationPeriods x Period = 169 x 3600 s = 608400 s; allowed: at most 604800 s (7 days) in total",
        )
    ]


def test_datapoints_to_alarm_range() -> None:
    assert errors(make(EvaluationPeriods=3, DatapointsToAlarm=3)) == []
    assert errors(make(EvaluationPeriods=3, DatapointsToAlarm=4)) == [
        ("DatapointsToAlarm", "4 is not valid; allowed: 1 to EvaluationPeriods (3)")
    ]
    assert errors(make(DatapointsToAlarm=0)) == [
        ("DatapointsToAlarm", "0 is not valid; allowed: 1 to EvaluationPeriods (1)")
    ]


# -- statistics ----------------------------------------------------------------------------------------


def test_statistic_xor_extended_statistic() -> None:
    assert errors(make(ExtendedStatistic="p99")) == [
        ("", "Statistic and ExtendedStatistic are mutually exclusive; allowed: exactly one of them")
    ]
    assert errors(make(Statistic=...)) == [
        ("Statistic", "is required (or ExtendedStatistic); allowed: SampleCount, Average, Sum, Minimum, Maximum")
    ]
    assert errors(make(Statistic=..., ExtendedStatistic="p99")) == []


def test_statistic_enum_with_suggestion() -> None:
    assert errors(make(Statistic="sum")) == [
        (
            "Statistic",
            "'sum' is not a valid statistic (did you mean 'Sum'?); allowed: SampleCount, Average, Sum, "
            "Minimum, Maximum",
        )
    ]
    assert errors(make(Statistic="p99")) == [
        ("Statistic", "'p99' is not a valid statistic; allowed: SampleCount, Average, Sum, Minimum, Maximum")
    ]


@pytest.mark.parametrize(
    "statistic",
    [
        "p99",
        "p99.9",
        "p0",
        "p100",
        "p99.1234567890",
        "tm99",
        "tc90",
        "ts50.5",
        "wm99",
        "IQM",
        "TM(10%:90%)",
        "TC(25%:75%)",
        "TS(10%:11%)",
        "WM(10.5%:89.5%)",
        "PR(100:2000)",
        "PR(:300)",
        "PR(10:)",
        "PR(-5:5)",
    ],
)
def test_valid_extended_statistics(statistic: str) -> None:
    assert extended_statistic_problem(statistic) is None
    assert errors(make(Statistic=..., ExtendedStatistic=statistic)) == []


FORMS = (
    "pNN (0 to 100, up to 10 decimals), tmNN, tcNN, tsNN, wmNN, IQM, PR(n:m), and TM(a%:b%), TC(a%:b%), "
    "TS(a%:b%), WM(a%:b%) with 10 <= a < b <= 90"
)


@pytest.mark.parametrize(
    "statistic, message",
    [
        ("p101", "'p101' is not a valid percentile; allowed: p0 to p100"),
        ("p99.12345678901", f"'p99.12345678901' is not a valid extended statistic; allowed: {FORMS}"),
        ("P99", f"'P99' is not a valid extended statistic; allowed: {FORMS}"),
        ("pxx", f"'pxx' is not a valid extended statistic; allowed: {FORMS}"),
        ("iqm", f"'iqm' is not a valid extended statistic; allowed: {FORMS}"),
        ("tm0", "'tm0' is out of range; allowed: tmNN with 0 < NN <= 100"),
        ("wm101", "'wm101' is out of range; allowed: wmNN with 0 < NN <= 100"),
        ("TM(5%:95%)", "'TM(5%:95%)' is out of range; allowed: TM(a%:b%) with 10 <= a < b <= 90"),
        ("TM(90%:10%)", "'TM(90%:10%)' has its lower bound at or above its upper bound; allowed: a < b"),
        ("TC(50%:50%)", "'TC(50%:50%)' has its lower bound at or above its upper bound; allowed: a < b"),
        ("TM(10:90)", f"'TM(10:90)' is not a valid extended statistic; allowed: {FORMS}"),
        ("PR(:)", "'PR(:)' needs at least one bound; allowed: PR(n:m), PR(:m) or PR(n:)"),
        ("PR(5:5)", "'PR(5:5)' has its lower bound at or above its upper bound; allowed: n < m"),
    ],
)
def test_invalid_extended_statistics(statistic: str, message: str) -> None:
    assert extended_statistic_problem(statistic) == message
    assert errors(make(Statistic=..., ExtendedStatistic=statistic)) == [("ExtendedStatistic", message)]


def test_statistic_name_given_as_extended_statistic() -> None:
    assert errors(make(Statistic=..., ExtendedStatistic="Sum")) == [
        (
            "ExtendedStatistic",
            f"'Sum' is not a valid extended statistic; allowed: {FORMS} (Sum is a Statistic, not an ExtendedStatistic)",
        )
    ]


def test_percentile_helper() -> None:
    assert percentile("p99.5") == 99.5
    assert percentile("tm99") is None
    assert percentile(None) is None


# -- comparison, threshold, enums ----------------------------------------------------------------------

STATIC = "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold"


@pytest.mark.parametrize(
    "operator",
    ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"],
)
def test_anomaly_detection_operators_are_not_supported(operator: str) -> None:
    assert errors(make(ComparisonOperator=operator)) == [
        (
            "ComparisonOperator",
            f"{operator} is an anomaly-detection operator, which is not supported locally; allowed: {STATIC}",
        )
    ]


def test_comparison_operator_enum() -> None:
    assert errors(make(ComparisonOperator="GreaterThanOrEqualThreshold")) == [
        (
            "ComparisonOperator",
            "'GreaterThanOrEqualThreshold' is not a valid comparison operator "
            f"(did you mean 'GreaterThanOrEqualToThreshold'?); allowed: {STATIC}",
        )
    ]
    assert errors(make(ComparisonOperator=...)) == [("ComparisonOperator", f"is required; allowed: {STATIC}")]


def test_threshold() -> None:
    assert errors(make(Threshold=...)) == [("Threshold", "is required; allowed: a number")]
    assert errors(make(Threshold="1")) == [("Threshold", "must be a number; got the string '1'")]
    assert Alarm.from_api_dict(make(Threshold=-2.5)).threshold == -2.5


def test_treat_missing_data_enum() -> None:
    assert errors(make(TreatMissingData="notbreaching")) == [
        (
            "TreatMissingData",
            "'notbreaching' is not a valid TreatMissingData value (did you mean 'notBreaching'?); "
            "allowed: missing, notBreaching, breaching, ignore",
        )
    ]
    for value in ("missing", "notBreaching", "breaching", "ignore"):
        assert Alarm.from_api_dict(make(TreatMissingData=value)).effective_treat_missing_data == value


def test_low_sample_count_enum() -> None:
    assert errors(make(Statistic=..., ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="skip")) == [
        ("EvaluateLowSampleCountPercentile", "'skip' is not a valid option; allowed: evaluate, ignore")
    ]


def test_low_sample_count_with_a_non_percentile_statistic_warns() -> None:
    assert warnings_for(
        "{AlarmName: A, MetricName: Failures, Namespace: CISBenchmark, Statistic: Sum, Period: 60,"
        " EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold,"
        " EvaluateLowSampleCountPercentile: ignore}"
    ) == [
        "a.yaml:7: warning: alarms[0].EvaluateLowSampleCountPercentile: only applies to percentile statistics "
        "(pNN); ignored with Statistic Sum"
    ]


def test_unit_enum() -> None:
    [(path, message)] = errors(make(Unit="count"))
    assert path == "Unit" and message.startswith("'count' is not a valid unit (did you mean 'Count'?); allowed:")


def test_actions_enabled_must_be_boolean() -> None:
    assert errors(make(ActionsEnabled="yes")) == [("ActionsEnabled", "must be true or false; got the string 'yes'")]
    assert Alarm.from_api_dict(make(ActionsEnabled=False)).actions_enabled is False


# -- dimensions, actions, tags -------------------------------------------------------------------------


def test_dimensions_rules() -> None:
    too_many = [{"Name": f"d{i}", "Value": "v"} for i in range(31)]
    assert errors(make(Dimensions=too_many)) == [("Dimensions", "has 31 dimensions; allowed: at most 30")]
    assert errors(make(Dimensions=[{"Name": "a"}])) == [("Dimensions[0].Value", "is required")]
    assert errors(make(Dimensions=[{"Name": "a", "Value": "v" * 1025}])) == [
        ("Dimensions[0].Value", "is 1025 characters long; allowed: at most 1024")
    ]
    assert errors(make(Dimensions=[{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}])) == [
        (
            "Dimensions[1].Name",
            "duplicate dimension name 'a' (also Dimensions[0]); a metric has each dimension name at most once",
        )
    ]
    assert errors(make(Dimensions=[{"name": "a", "Value": "1"}])) == [
        ("Dimensions[0].name", "unknown key (did you mean 'Name'?); allowed: Name, Value"),
        ("Dimensions[0].Name", "is required"),
    ]
    assert errors(make(Dimensions={"a": "b"})) == [
        ("Dimensions", "must be a list (of {Name, Value} entries); got a mapping")
    ]


def test_at_most_five_actions_per_list() -> None:
    actions = [f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(6)]
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        assert errors(make(**{key: actions})) == [(key, "has 6 actions; allowed: at most 5")]
        assert errors(make(**{key: actions[:5]})) == []


def test_action_arn_sanity_warnings() -> None:
    assert warnings_for(
        "{AlarmName: A, MetricName: Failures, Namespace: CISBenchmark, Statistic: Sum, Period: 60,"
        " EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold,"
        " AlarmActions: [not-an-arn, 'arn:aws:automate:us-east-1:ec2:stop', 'arn:aws:sns:us-east-1:123456789012:t',"
        " 'arn:aws:sns:us-east-1:123456789012:t']}"
    ) == [
        "a.yaml:7: warning: alarms[0].AlarmActions[0]: 'not-an-arn' is not an ARN; CloudWatch accepts it but the "
        "action can never run",
        "a.yaml:7: warning: alarms[0].AlarmActions[1]: only SNS topic actions are performed locally; this automate "
        "action is recorded, not run",
        "a.yaml:7: warning: alarms[0].AlarmActions[3]: 'arn:aws:sns:us-east-1:123456789012:t' is listed twice; it "
        "runs once",
        "a.yaml:7: warning: alarms[0].AlarmActions[2]: topic arn:aws:sns:us-east-1:123456789012:t is not defined "
        "under topics; notifications to it are recorded but reach no subscriber",
        "a.yaml:7: warning: alarms[0].AlarmActions[3]: topic arn:aws:sns:us-east-1:123456789012:t is not defined "
        "under topics; notifications to it are recorded but reach no subscriber",
    ]


def test_actions_must_be_a_list_of_strings() -> None:
    assert errors(make(AlarmActions="arn:aws:sns:us-east-1:123456789012:t")) == [
        ("AlarmActions", "must be a list (of action ARNs); got a string")
    ]
    assert errors(make(AlarmActions=[""])) == [("AlarmActions[0]", "must not be empty; allowed: 1 to 1024 characters")]


def test_tags() -> None:
    assert errors(make(Tags=[{"Key": "", "Value": "v"}])) == [
        ("Tags[0].Key", "must not be empty; allowed: 1 to 128 characters")
    ]
    assert errors(make(Tags=[{"Key": "k"}])) == [("Tags[0].Value", "is required")]


# -- unsupported alarm kinds ---------------------------------------------------------------------------


def test_metric_math_is_not_supported() -> None:
    data = {"AlarmName": "m", "Metrics": [{"Id": "e1", "Expression": "m1 * 2"}], "EvaluationPeriods": 1}
    assert errors(data) == [
        ("Metrics", "metric math alarms are not supported locally; use MetricName, Namespace and Statistic")
    ]


def test_anomaly_detection_threshold_metric_is_not_supported() -> None:
    assert errors(make(ThresholdMetricId="ad1")) == [
        ("ThresholdMetricId", "anomaly detection alarms are not supported locally; use a static Threshold")
    ]


def test_unknown_key() -> None:
    assert errors(make(Perod=60)) == [
        (
            "Perod",
            "unknown key (did you mean 'Period'?); allowed: AlarmName, AlarmDescription, ActionsEnabled, "
            "OKActions, AlarmActions, InsufficientDataActions, MetricName, Namespace, Statistic, ExtendedStatistic, "
            "Dimensions, Period, Unit, EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, "
            "TreatMissingData, EvaluateLowSampleCountPercentile, Tags",
        )
    ]


def test_every_problem_is_reported() -> None:
    data = {"AlarmName": "", "Period": 45, "Statistic": "avg", "Threshold": "x", "ComparisonOperator": "Gt"}
    assert [path for path, _ in errors(data)] == [
        "AlarmName",
        "MetricName",
        "Namespace",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "Threshold",
        "ComparisonOperator",
    ]
