"""AWS enums and limits used by validation (botocore service models: logs 2014-03-28, monitoring 2010-08-01,
sns 2010-03-31, and the PutMetricFilter / PutMetricAlarm / Subscribe API references; docs/semantics.md)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ANOMALY_COMPARISON_OPERATORS",
    "COMPARISONS",
    "COMPARISON_OPERATORS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_LOG_GROUP_NAME",
    "DEFAULT_REGION",
    "LOW_SAMPLE_COUNT_OPTIONS",
    "MAX_ACTIONS",
    "MAX_ALARM_DIMENSIONS",
    "MAX_DIMENSION_VALUES_PER_HOUR",
    "MAX_EVALUATION_SECONDS",
    "MAX_EVALUATION_SECONDS_SHORT_PERIOD",
    "MAX_FILTER_DIMENSIONS",
    "MAX_METRIC_VALUE_MAGNITUDE",
    "SNS_PROTOCOLS",
    "STANDARD_UNITS",
    "SUBSCRIPTION_PROTOCOLS",
    "SYSTEM_FIELD_DIMENSIONS",
    "TRAILGUARD_PROTOCOLS",
    "TREAT_MISSING_DATA",
    "ThresholdComparison",
    "out_of_range_problem",
]

#: Log group used when a metric filter names none. It is the name CloudTrail's documentation and older
#: console versions proposed for a trail's log group, so CIS remediation text and local replays agree.
DEFAULT_LOG_GROUP_NAME: Final = "CloudTrail/DefaultLogGroup"

#: Region and account used to build ARNs (topics given by Name, CIS monitors) when none is configured.
#: 123456789012 is AWS's documentation account and moto's default.
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_ACCOUNT_ID: Final = "123456789012"

STANDARD_UNITS: Final = (
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
)


@dataclass(frozen=True)
class ThresholdComparison:
    """A static-threshold ComparisonOperator: the statistic is the left operand, the threshold the right one;
    ``words`` is how CloudWatch's state reasons say it ("was greater than or equal to the threshold")."""

    name: str
    holds: Callable[[float, float], bool]
    words: str
    sign: str  # for people: ">=", ">", "<", "<="


COMPARISONS: Final = {
    comparison.name: comparison
    for comparison in (
        ThresholdComparison("GreaterThanOrEqualToThreshold", operator.ge, "greater than or equal to", ">="),
        ThresholdComparison("GreaterThanThreshold", operator.gt, "greater than", ">"),
        ThresholdComparison("LessThanThreshold", operator.lt, "less than", "<"),
        ThresholdComparison("LessThanOrEqualToThreshold", operator.le, "less than or equal to", "<="),
    )
}
COMPARISON_OPERATORS: Final = tuple(COMPARISONS)
ANOMALY_COMPARISON_OPERATORS: Final = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)

TREAT_MISSING_DATA: Final = ("missing", "notBreaching", "breaching", "ignore")
LOW_SAMPLE_COUNT_OPTIONS: Final = ("evaluate", "ignore")

MAX_FILTER_DIMENSIONS: Final = 3
#: "CloudWatch Logs might disable a metric filter if it generates 1,000 different name/value pairs for your
#: specified dimensions within one hour" (PutMetricFilter API reference).
MAX_DIMENSION_VALUES_PER_HOUR: Final = 1000

#: CloudWatch accepts metric values in [-2^360, 2^360], and no NaN or infinity (PutMetricData, "MetricDatum":
#: "CloudWatch rejects values that are either too small or too large. Values must be in the range of -2^360 to
#: 2^360"). A metric filter's literal value or default outside it could never be published.
MAX_METRIC_VALUE_MAGNITUDE: Final = 2.0**360


def out_of_range_problem(value: float) -> str | None:
    """Why CloudWatch would refuse ``value`` as a metric value, or ``None``."""
    if value != value or abs(value) > MAX_METRIC_VALUE_MAGNITUDE:  # NaN, infinities, beyond 2^360
        return (
            f"{value!r} is not a value CloudWatch metrics accept; allowed: a finite number from -2^360 to 2^360 "
            "(about ±2.35E108)"
        )
    return None


MAX_ALARM_DIMENSIONS: Final = 30
MAX_ACTIONS: Final = 5
SYSTEM_FIELD_DIMENSIONS: Final = ("@aws.account", "@aws.region")

#: EvaluationPeriods × Period limits (PutMetricAlarm documentation, confirmed by recorded calls): one day while the
#: period is shorter than an hour, seven days for periods of an hour or more.
MAX_EVALUATION_SECONDS_SHORT_PERIOD: Final = 86_400
MAX_EVALUATION_SECONDS: Final = 604_800

SNS_PROTOCOLS: Final = (
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
)

#: Delivery protocols that only trailguard knows: they are valid in a configuration file and deliver locally, but
#: SNS has no such subscription protocol, so remediation and export must refuse them (``aws sns subscribe`` would).
#: ``sns`` publishes to another (real) SNS topic, ``slack`` and ``webhook`` post a message for people,
#: ``file`` appends JSON lines and ``stdout`` prints.
TRAILGUARD_PROTOCOLS: Final = ("sns", "slack", "webhook", "file", "stdout")

#: Every protocol a configuration's subscription may name: SNS's own first, then trailguard's.
SUBSCRIPTION_PROTOCOLS: Final = SNS_PROTOCOLS + TRAILGUARD_PROTOCOLS
