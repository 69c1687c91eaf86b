"""The SNS notification CloudWatch publishes when a metric alarm changes state.

Subject: ``ALARM: "my-alarm" in US East (N. Virginia)`` (``OK: ...``, ``INSUFFICIENT_DATA: ...``).
Message: a JSON document, keys in AWS's order::

    {"AlarmName":..,"AlarmDescription":null|..,"AWSAccountId":..,"AlarmConfigurationUpdatedTimestamp":..,
     "NewStateValue":..,"NewStateReason":..,"StateChangeTime":..,"Region":..,"AlarmArn":..,
     "OldStateValue":..,"ActionExecutedAfterMuteWindow":false,"OKActions":[..],"AlarmActions":[..],
     "InsufficientDataActions":[..],"Trigger":{"MetricName":..,"Namespace":..,"StatisticType":"Statistic",
     "Statistic":"SUM",...}}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import orjson

from trailguard.engine.formatting import aws_json, json_fragment, json_timestamp, prepared_json
from trailguard.model import Alarm

__all__ = ["REGION_NAMES", "Notification", "alarm_arn", "build_notification", "notification_message", "region_name"]

#: Region long names as CloudWatch alarm notifications spell them. CloudWatch still writes
#: "EU (Ireland)" where the console now says "Europe (Ireland)".
REGION_NAMES: Final[dict[str, str]] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-central-2": "EU (Zurich)",
    "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)",
    "eu-south-2": "EU (Spain)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "me-south-1": "Middle East (Bahrain)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (Sao Paulo)",
}


def region_name(region: str) -> str:
    """The long region name used in subjects and messages (the code itself when unknown)."""
    return REGION_NAMES.get(region, region)


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def alarm_arn(region: str, account_id: str, alarm_name: str) -> str:
    return f"arn:{_partition(region)}:cloudwatch:{region}:{account_id}:alarm:{alarm_name}"


@dataclass(frozen=True, slots=True)
class Notification:
    """One SNS publication: when, to which topics, subject and message body."""

    at_ms: int
    topic_arns: tuple[str, ...]
    subject: str
    message: str


def _statistic_upper(statistic: str) -> str:
    """``SampleCount`` -> ``SAMPLE_COUNT``, ``Sum`` -> ``SUM`` (Java enum constant names)."""
    out = []
    for i, ch in enumerate(statistic):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.upper())
    return "".join(out)


def trigger(alarm: Alarm) -> dict[str, Any]:
    out: dict[str, Any] = {"MetricName": alarm.metric_name, "Namespace": alarm.namespace}
    if alarm.statistic is not None:
        out["StatisticType"] = "Statistic"
        out["Statistic"] = _statistic_upper(alarm.statistic)
    else:
        out["StatisticType"] = "ExtendedStatistic"
        out["ExtendedStatistic"] = alarm.extended_statistic
    out["Unit"] = alarm.unit
    out["Dimensions"] = [{"value": v, "name": n} for n, v in alarm.dimension_pairs]
    out["Period"] = alarm.period
    out["EvaluationPeriods"] = alarm.evaluation_periods
    if alarm.datapoints_to_alarm is not None:
        out["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    out["ComparisonOperator"] = alarm.comparison_operator
    out["Threshold"] = float(alarm.threshold)
    out["TreatMissingData"] = alarm.treat_missing_data or ""
    out["EvaluateLowSampleCountPercentile"] = alarm.evaluate_low_sample_count_percentile or ""
    return out


def notification_message(
    alarm: Alarm,
    *,
    region: str,
    account_id: str,
    old_state: str,
    new_state: str,
    reason: str,
    at_ms: int,
    configuration_updated_ms: int,
) -> dict[str, Any]:
    """The message document (a dict in AWS's key order, without doubles: ``prepared_json`` renders it)."""
    return {
        "AlarmName": alarm.alarm_name,
        "AlarmDescription": alarm.alarm_description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": json_timestamp(configuration_updated_ms),
        "NewStateValue": new_state,
        "NewStateReason": reason,
        "StateChangeTime": json_timestamp(at_ms),
        "Region": region_name(region),
        "AlarmArn": alarm_arn(region, account_id, alarm.alarm_name),
        "OldStateValue": old_state,
        "ActionExecutedAfterMuteWindow": False,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": _trigger_json(alarm),
    }


@lru_cache(maxsize=1024)
def _trigger_json(alarm: Alarm) -> orjson.Fragment:
    """The Trigger document as JSON text: the same for every notification of an alarm, so written once."""
    return json_fragment(aws_json(trigger(alarm)))


def build_notification(
    alarm: Alarm,
    *,
    region: str,
    account_id: str,
    old_state: str,
    new_state: str,
    reason: str,
    at_ms: int,
    configuration_updated_ms: int,
    topic_arns: tuple[str, ...],
) -> Notification:
    message = notification_message(
        alarm,
        region=region,
        account_id=account_id,
        old_state=old_state,
        new_state=new_state,
        reason=reason,
        at_ms=at_ms,
        configuration_updated_ms=configuration_updated_ms,
    )
    subject = f'{new_state}: "{alarm.alarm_name}" in {region_name(region)}'
    return Notification(at_ms, topic_arns, subject, prepared_json(message))
