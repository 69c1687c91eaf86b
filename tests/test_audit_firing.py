"""The alarm-firing simulation: one required event through the real filter and alarm engine."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.audit.firing import simulate_alarm
from trailguard.catalog import resolve
from trailguard.model import Alarm, MetricFilter

FAILED_LOGIN: dict[str, Any] = {
    "eventVersion": "1.08",
    "eventTime": "2026-11-20T09:08:12Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "errorMessage": "Failed authentication",
    "sourceIPAddress": "203.0.113.7",
    "userIdentity": {"type": "IAMUser", "userName": "alice"},
}
(CIS_4_6,) = resolve("4.6")


def alarm(**changes: Any) -> Alarm:
    return Alarm.from_api_dict({**CIS_4_6.alarm.to_api_dict(), **changes})


def metric_filter(**transformation: Any) -> MetricFilter:
    definition = CIS_4_6.metric_filter.to_api_dict()
    definition["metricTransformations"] = [{**definition["metricTransformations"][0], **transformation}]
    return MetricFilter.from_api_dict(definition)


def simulate(a: Alarm, f: MetricFilter | None = None, event: dict[str, Any] = FAILED_LOGIN) -> Any:
    return simulate_alarm(a, f or CIS_4_6.metric_filter, event, account_id="123456789012", region="us-east-1")


def test_the_cis_alarm_fires_on_one_failed_login() -> None:
    result = simulate(CIS_4_6.alarm)
    assert result.fires and result.published_value == 1.0 and result.problem is None
    assert result.state_reason is not None and result.state_reason.startswith("Threshold Crossed: 1 datapoint [1.0")
    # The datapoint is seen by the first evaluation after its minute ends, within about a minute.
    assert result.fired_after_seconds is not None and 0 < result.fired_after_seconds <= 90


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"Threshold": 3.0}, "never goes to ALARM"),  # AWS's CloudTrail guide uses 3 failures per 5 minutes
        ({"ComparisonOperator": "LessThanThreshold"}, "never goes to ALARM"),
        ({"EvaluationPeriods": 3, "DatapointsToAlarm": 2, "TreatMissingData": "notBreaching"}, "never goes to ALARM"),
        ({"Namespace": "CloudTrailMetrics"}, "the alarm watches CloudTrailMetrics/"),
        ({"Dimensions": [{"Name": "User", "Value": "alice"}]}, "{User=alice}"),
        ({"Unit": "Seconds"}, "reads only unit Seconds"),
        ({"TreatMissingData": "breaching"}, "in ALARM before any required event"),
    ],
)
def test_alarms_that_one_event_cannot_fire(changes: dict[str, Any], words: str) -> None:
    result = simulate(alarm(**changes))
    assert not result.fires and result.broken == "alarm"
    assert result.problem is not None and words in result.problem


def test_alarms_that_still_fire() -> None:
    assert simulate(alarm(EvaluationPeriods=3, DatapointsToAlarm=1)).fires
    # 2 of 3 with missing data left as missing: the premature-alarm rule fires once the one breaching datapoint
    # is two periods old ("Configuring how CloudWatch alarms treat missing data") — a field-reading check would
    # have said "needs two events".
    premature = simulate(alarm(EvaluationPeriods=3, DatapointsToAlarm=2))
    assert premature.fires and premature.fired_after_seconds is not None and premature.fired_after_seconds > 300
    assert simulate(alarm(TreatMissingData="notBreaching")).fires
    assert simulate(alarm(Statistic="SampleCount")).fires
    assert simulate(alarm(Statistic="Maximum", Period=60)).fires
    assert simulate(alarm(Statistic=None, ExtendedStatistic="p99")).fires


def test_an_average_alarm_over_a_busy_log_group_with_a_default_of_zero_is_diluted() -> None:
    # With defaultValue 0 every other CloudTrail event publishes 0, so Average over 5 minutes is far below 1.
    diluted = simulate(alarm(Statistic="Average"), metric_filter(defaultValue=0.0))
    assert not diluted.fires and diluted.broken == "alarm"
    # Without a default, the other events publish nothing: the average is the one 1.
    assert simulate(alarm(Statistic="Average")).fires


def test_filters_that_publish_nothing_usable_break_the_filter_link() -> None:
    zero = simulate(CIS_4_6.alarm, metric_filter(metricValue="0"))
    assert not zero.fires and zero.broken == "metricFilter" and "publishes 0" in (zero.problem or "")
    absent = simulate(CIS_4_6.alarm, metric_filter(metricValue="$.additionalEventData.attempts"))
    assert not absent.fires and absent.broken == "metricFilter" and "has no" in (absent.problem or "")
    other_event = {**FAILED_LOGIN, "eventName": "GetCallerIdentity"}
    missed = simulate(CIS_4_6.alarm, event=other_event)
    assert not missed.fires and missed.broken == "metricFilter"
