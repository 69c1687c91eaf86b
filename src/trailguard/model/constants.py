"""AWS enums and limits used by validation (botocore service models: logs 2014-03-28, monitoring 2010-08-01,
sns 2010-03-31; cloudwatch-semantics.md §0.5, §2, §3, §4)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANOMALY_COMPARISON_OPERATORS",
    "COMPARISON_OPERATORS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_LOG_GROUP_NAME",
    "DEFAULT_REGION",
    "LOW_SAMPLE_COUNT_OPTIONS",
    "MAX_ACTIONS",
    "MAX_ALARM_DIMENSIONS",
    "MAX_EVALUATION_SECONDS",
    "MAX_EVALUATION_SECONDS_SHORT_PERIOD",
    "MAX_FILTER_DIMENSIONS",
    "SNS_PROTOCOLS",
    "STANDARD_UNITS",
    "STATISTICS",
    "SYSTEM_FIELD_DIMENSIONS",
    "TREAT_MISSING_DATA",
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

STATISTICS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

COMPARISON_OPERATORS: Final = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
ANOMALY_COMPARISON_OPERATORS: Final = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)

TREAT_MISSING_DATA: Final = ("missing", "notBreaching", "breaching", "ignore")
LOW_SAMPLE_COUNT_OPTIONS: Final = ("evaluate", "ignore")

MAX_FILTER_DIMENSIONS: Final = 3
MAX_ALARM_DIMENSIONS: Final = 30
MAX_ACTIONS: Final = 5
SYSTEM_FIELD_DIMENSIONS: Final = ("@aws.account", "@aws.region")

#: EvaluationPeriods × Period limits (PutMetricAlarm documentation, confirmed by §0.5): one day while the
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
