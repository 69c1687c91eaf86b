"""The one monitor model: metric filters, alarms and SNS topics as the AWS APIs define them.

from trailguard.model import ConfigError, load_config

try:
    config = load_config("monitors.yaml")
except ConfigError as error:
    print(error)               # one line per problem: file:line: path: what is wrong; allowed: ...
    raise SystemExit(2)
for warning in config.warnings:
    print(warning)
for monitor in config.monitors():
    monitor.metric_filter.to_api_dict()   # a PutMetricFilter request
    monitor.alarm.to_api_dict()           # a PutMetricAlarm request
"""

from trailguard.model.alarm import Alarm, Dimension, Tag, extended_statistic_problem, percentile
from trailguard.model.common import Arn, MetricId, parse_arn
from trailguard.model.config import Configuration, Format, load_config, parse_config
from trailguard.model.constants import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LOG_GROUP_NAME,
    DEFAULT_REGION,
    SNS_PROTOCOLS,
    STANDARD_UNITS,
)
from trailguard.model.metric_filter import MetricFilter, MetricTransformation, metric_value_problem
from trailguard.model.monitor import Monitor
from trailguard.model.problems import ConfigError, Problem, Severity
from trailguard.model.statistics import SIMPLE_STATISTICS, StatisticSpec, parse_statistic
from trailguard.model.topic import Subscription, Topic, endpoint_problem

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_LOG_GROUP_NAME",
    "DEFAULT_REGION",
    "SIMPLE_STATISTICS",
    "SNS_PROTOCOLS",
    "STANDARD_UNITS",
    "Alarm",
    "Arn",
    "ConfigError",
    "Configuration",
    "Dimension",
    "Format",
    "MetricFilter",
    "MetricId",
    "MetricTransformation",
    "Monitor",
    "Problem",
    "Severity",
    "StatisticSpec",
    "Subscription",
    "Tag",
    "Topic",
    "endpoint_problem",
    "extended_statistic_problem",
    "load_config",
    "metric_value_problem",
    "parse_arn",
    "parse_config",
    "parse_statistic",
    "percentile",
]
