"""AlarmEvaluator: schedule, windows, state machine, actions, reasons, history, notifications.

Exact strings below are real CloudWatch output (recorded alarm reasons, notifications and alarm histories; see
docs/semantics.md); each test rebuilds the situation that produced them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailguard.engine.aggregates import Aggregate, MetricStore, SeriesKey
from trailguard.engine.alarms import (
    AlarmEvaluator,
    Rule,
    StateValue,
    Transition,
    alarm_selector,
    evaluation_range,
)
from trailguard.engine.formatting import aws_json
from trailguard.engine.notifications import alarm_arn, notification_message, region_name
from trailguard.engine.statistics import compute
from trailguard.model import Alarm
from trailguard.model.statistics import parse_statistic

ACCOUNT = "123456789012"
REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
KEY = SeriesKey("NS", "M")
MIN = 60_000
OK, ALARM, INSUFFICIENT = StateValue.OK, StateValue.ALARM, StateValue.INSUFFICIENT_DATA


def ms(text: str) -> int:
    """'2023-10-26 16:42:00.250' (UTC) -> epoch ms."""
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp() * 1000)


def alarm(**overrides: Any) -> Alarm:
    base: dict[str, Any] = {
        "AlarmName": "a",
        "MetricName": "M",
        "Namespace": "NS",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 2.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
        "InsufficientDataActions": [TOPIC],
    }
    base.update(overrides)
    return Alarm.from_api_dict(base)


def evaluator(definition: Alarm, store: MetricStore, created: int, region: str = REGION) -> AlarmEvaluator:
    return AlarmEvaluator(definition, store, region=region, account_id=ACCOUNT, created_ms=created)


def summary(transitions: list[Transition]) -> list[tuple[str, str, str]]:
    return [
        (datetime.fromtimestamp(t.at_ms / 1000, UTC).strftime("%H:%M:%S"), t.old_state.value, t.new_state.value)
        for t in transitions
    ]


# -- definition -----------------------------------------------------------------------------------


def test_definition_from_and_to_api_dict() -> None:
    api = {
        "AlarmName": "root-usage",
        "AlarmDescription": "CIS 4.3",
        "MetricName": "RootAccountUsage",
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Dimensions": [{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}],
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "ActionsEnabled": True,
        "AlarmActions": [TOPIC],
        "OKActions": [],
        "InsufficientDataActions": [],
        "Tags": [{"Key": "k", "Value": "v"}],
    }
    d = Alarm.from_api_dict(api)
    assert d.threshold == 1.0 and isinstance(d.threshold, float)
    assert d.dimension_pairs == (("b", "2"), ("a", "1"))  # order kept for output
    assert alarm_selector(d).dimensions == (("a", "1"), ("b", "2"))  # sorted for lookup
    assert d.effective_datapoints_to_alarm == 1 and d.effective_treat_missing_data == "notBreaching"
    back = d.to_api_dict()
    assert Alarm.from_api_dict(back) == d
    assert "DatapointsToAlarm" not in back and back["Tags"] == [{"Key": "k", "Value": "v"}]
    assert hash(d) == hash(Alarm.from_api_dict(back))
    with pytest.raises(ValueError):
        Alarm.from_api_dict({**api, "Metrics": [{"Id": "m1"}]})


def test_defaults_and_effective_values() -> None:
    d = alarm(EvaluationPeriods=5)
    assert d.actions_enabled is True and d.treat_missing_data is None and d.effective_treat_missing_data == "missing"
    assert d.effective_datapoints_to_alarm == 5
    assert alarm(Namespace="AWS/DynamoDB", TreatMissingData="breaching").effective_treat_missing_data == "ignore"


def test_evaluation_range() -> None:
    assert [evaluation_range(n) for n in (1, 2, 3, 5, 6, 9, 24, 30)] == [3, 4, 5, 7, 8, 12, 32, 40]


# -- documented cases through the whole evaluator -------------------------------------------------------

VECTORS = [
    ("A01", 3, "0 - X - X", ("OK", "OK", "OK", "OK")),
    ("A02", 3, "0 - - - -", ("OK", "OK", "OK", "OK")),
    ("A03", 3, "- - - - -", ("INSUFFICIENT_DATA", "retain", "ALARM", "OK")),
    ("A04", 3, "0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("A05", 3, "- - X - -", ("ALARM", "retain", "ALARM", "OK")),
    ("A06", 2, "0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("A07", 2, "0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("A08", 2, "0 - X - -", ("OK", "OK", "ALARM", "OK")),
    ("A09", 2, "- - - - 0", ("OK", "OK", "ALARM", "OK")),
    ("A10", 2, "- - - X -", ("ALARM", "retain", "ALARM", "OK")),
    ("A11", 3, "- - - - X", ("OK", "OK", "ALARM", "OK")),
]
MODES = ("missing", "ignore", "breaching", "notBreaching")


@pytest.mark.parametrize(("vid", "m", "pattern", "expected"), VECTORS, ids=[v[0] for v in VECTORS])
@pytest.mark.parametrize("mode_index", range(4), ids=MODES)
@pytest.mark.parametrize("period", [60, 300])
@pytest.mark.parametrize("initial", ["OK", "ALARM", "INSUFFICIENT_DATA"])
def test_vectors_end_to_end(
    vid: str, m: int, pattern: str, expected: tuple[str, ...], mode_index: int, period: int, initial: str
) -> None:
    """Each vector as per-minute metric data; evaluate once at the window end."""
    end = ms("2024-01-01 12:00:00")
    store = MetricStore()
    for j, sym in enumerate(reversed(pattern.split())):
        if sym != "-":
            # Two samples somewhere inside bucket j (bucket j covers [end-(j+1)P, end-jP)).
            minute = (end - (j + 1) * period * 1000) // MIN + (period // 60) // 2
            store.add(KEY, minute, 3.0 if sym == "X" else 0.5)
            store.add(KEY, minute, 3.0 if sym == "X" else 0.5)
    d = alarm(
        Period=period,
        EvaluationPeriods=3,
        DatapointsToAlarm=m,
        TreatMissingData=MODES[mode_index],
        Statistic="Average",
    )
    ev = evaluator(d, store, end - 3600_000)
    if initial != "INSUFFICIENT_DATA":
        ev.set_state(initial, "test", end - 1)
    ev.evaluate(end + 51_290)
    want = expected[mode_index]
    assert ev.state.value == (initial if want == "retain" else want)


def test_a12_new_alarm_without_data_not_breaching_goes_ok_and_fires_ok_actions() -> None:
    created = ms("2024-03-01 17:23:51.291")
    d = alarm(AlarmName="quiet", TreatMissingData="notBreaching", OKActions=[TOPIC], AlarmActions=[])
    ev = evaluator(d, MetricStore(), created)
    assert ev.state is INSUFFICIENT and ev.state_reason == "Unchecked: Initial alarm creation"
    transitions = ev.advance(created)
    assert summary(transitions) == [("17:23:51", "INSUFFICIENT_DATA", "OK")]
    tr = transitions[0]
    assert tr.reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated "
        "as [NonBreaching]."
    )
    assert tr.actions == (TOPIC,)
    assert tr.notification is not None and tr.notification.topic_arns == (TOPIC,)
    assert tr.notification.subject == 'OK: "quiet" in US East (N. Virginia)'
    assert [(h.item_type, h.summary) for h in ev.history] == [
        ("ConfigurationUpdate", 'Alarm "quiet" created'),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to OK"),
    ]


def test_new_alarm_without_data() -> None:
    created = ms("2024-03-01 10:00:00")
    for mode, want in (("missing", INSUFFICIENT), ("ignore", INSUFFICIENT), ("breaching", ALARM)):
        ev = evaluator(alarm(TreatMissingData=mode), MetricStore(), created)
        ev.advance(created + 10 * MIN)
        assert ev.state is want, mode
    # missing: no transition at all, the creation reason stays.
    ev = evaluator(alarm(), MetricStore(), created)
    assert ev.advance(created + 10 * MIN) == [] and ev.state_reason == "Unchecked: Initial alarm creation"


# -- the worked example of section 3 ----------------------------------------------------------------

WORKED = {
    "AlarmName": "root",
    "Statistic": "Sum",
    "Period": 300,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "EvaluationPeriods": 1,
}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("missing", [("16:04:00", "INSUFFICIENT_DATA", "ALARM"), ("16:19:00", "ALARM", "INSUFFICIENT_DATA")]),
        (
            "notBreaching",
            [
                ("16:00:00", "INSUFFICIENT_DATA", "OK"),
                ("16:04:00", "OK", "ALARM"),
                ("16:19:00", "ALARM", "OK"),
            ],
        ),
        ("breaching", [("16:00:00", "INSUFFICIENT_DATA", "ALARM")]),
        ("ignore", [("16:04:00", "INSUFFICIENT_DATA", "ALARM")]),
    ],
)
def test_worked_example_single_datapoint_quiet_log_group(mode: str, expected: list[tuple[str, str, str]]) -> None:
    created = ms("2023-10-26 16:00:00")
    store = MetricStore()
    store.add_at(KEY, ms("2023-10-26 16:03:10"), 1.0)  # one matching event, metricValue 1, no default
    ev = evaluator(alarm(**WORKED, TreatMissingData=mode), store, created)
    assert summary(ev.advance(ms("2023-10-26 18:00:00"))) == expected
    # ALARM at the first evaluation that sees the datapoint, and it holds while the datapoint is in
    # the 3-bucket range: until the window end passes 16:03 + 15 min.
    alarm_tr = [t for t in ev.transitions if t.new_state is ALARM and t.at_ms == ms("2023-10-26 16:04:00")]
    if alarm_tr:
        assert alarm_tr[0].reason == (
            "Threshold Crossed: 1 datapoint [1.0 (26/10/23 15:59:00)] was greater than or equal to the threshold (1.0)."
        )


def test_worked_example_with_default_value_and_traffic_returns_to_ok() -> None:
    created = ms("2023-10-26 16:00:00")
    store = MetricStore()
    for minute in range(ms("2023-10-26 15:00:00") // MIN, ms("2023-10-26 17:00:00") // MIN):
        store.add(KEY, minute, 0.0)  # defaultValue 0 for the other traffic
    store.add_at(KEY, ms("2023-10-26 16:03:10"), 1.0)
    ev = evaluator(alarm(**WORKED), store, created)
    assert summary(ev.advance(ms("2023-10-26 16:30:00"))) == [
        ("16:00:00", "INSUFFICIENT_DATA", "OK"),
        ("16:04:00", "OK", "ALARM"),
        ("16:09:00", "ALARM", "OK"),  # the breaching bucket is no longer the newest
    ]


# -- exact reason strings from real alarms ----------------------------------------------------------


def test_short_form_reason_spec_example() -> None:
    store = MetricStore()
    store.add_at(KEY, ms("2023-10-26 16:42:30"), 21.5)
    ev = evaluator(alarm(Statistic="Maximum"), store, ms("2023-10-26 16:40:00"))
    tr = ev.evaluate(ms("2023-10-26 16:43:51.290"))
    assert tr is not None and tr.new_state is ALARM
    assert (
        tr.reason == "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0)."
    )


def test_long_form_reason_spec_example() -> None:
    store = MetricStore()
    store.add_at(KEY, ms("2024-06-19 12:00:10"), 2.0)
    d = alarm(Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold", DatapointsToAlarm=1)
    ev = evaluator(d, store, ms("2024-06-19 11:45:00"))
    ev.set_state("OK", "x", ms("2024-06-19 11:45:00"))
    tr = ev.evaluate(ms("2024-06-19 12:01:00"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [2.0 (19/06/24 12:00:00)] was greater than or equal "
        "to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )


def test_alarm_to_ok_long_form_lists_non_breaching_points() -> None:
    # Recorded: Average 3.6266666666666665 on a 300 s bucket starting 03:40, LessThanThreshold 1.0, M=N=1.
    store = MetricStore()
    store.add_at(KEY, ms("2022-08-26 03:42:00"), 3.6266666666666665)
    d = alarm(
        Statistic="Average", Period=300, Threshold=1.0, ComparisonOperator="LessThanThreshold", DatapointsToAlarm=1
    )
    ev = evaluator(d, store, ms("2022-08-26 03:00:00"))
    ev.set_state("ALARM", "x", ms("2022-08-26 03:00:00"))
    tr = ev.evaluate(ms("2022-08-26 03:45:29.897"))
    assert tr is not None and tr.new_state is OK
    assert tr.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [3.6266666666666665 (26/08/22 03:40:00)] was not less "
        "than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )


def test_m_out_of_n_alarm_to_ok_minimum_is_n_minus_m_plus_1() -> None:
    # Recorded: "3 out of the last 5 datapoints [0.0 (..06:45), 0.0 (..06:44), 0.0 (..06:42)] were not
    # greater than the threshold (0.0) (minimum 3 datapoints for ALARM -> OK transition)."
    store = MetricStore()
    for hhmm, v in (("06:41", 1.0), ("06:42", 0.0), ("06:43", 1.0), ("06:44", 0.0), ("06:45", 0.0)):
        store.add_at(KEY, ms(f"2021-12-21 {hhmm}:00"), v)
    d = alarm(Statistic="Maximum", Threshold=0.0, EvaluationPeriods=5, DatapointsToAlarm=3)
    ev = evaluator(d, store, ms("2021-12-21 06:00:00"))
    ev.set_state("ALARM", "x", ms("2021-12-21 06:00:00"))
    tr = ev.evaluate(ms("2021-12-21 06:46:11"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00), "
        "0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3 datapoints for "
        "ALARM -> OK transition)."
    )


def test_short_form_ok_with_two_datapoints_and_reason_data() -> None:
    store = MetricStore()
    store.add_at(KEY, ms("2023-01-09 14:01:00"), 1.0)
    store.add_at(KEY, ms("2023-01-09 14:02:00"), 0.0)
    d = alarm(Threshold=42.0, EvaluationPeriods=2)
    ev = evaluator(d, store, ms("2023-01-09 14:00:00"))
    ev.set_state("ALARM", "x", ms("2023-01-09 14:00:00"))
    tr = ev.evaluate(ms("2023-01-09 14:03:25.504"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 2 datapoints [0.0 (09/01/23 14:02:00), 1.0 (09/01/23 14:01:00)] were not greater than "
        "the threshold (42.0)."
    )
    data = json.loads(tr.reason_data or "")
    assert data["startDate"] == "2023-01-09T14:01:00.000+0000"
    assert data["recentDatapoints"] == [1.0, 0.0]  # oldest first
    assert [p["timestamp"] for p in data["evaluatedDatapoints"]] == [
        "2023-01-09T14:02:00.000+0000",
        "2023-01-09T14:01:00.000+0000",
    ]


def test_every_double_of_a_transition_prints_as_java_prints_it() -> None:
    """Reason data, history data and notifications are written by orjson from prepared documents: a double that
    reached orjson as a float would print as 12345678.0 and 10000000.0 instead."""
    store = MetricStore()
    store.add_at(KEY, ms("2023-01-09 14:01:00"), 12345678.0)
    d = alarm(Threshold=1e7, AlarmActions=[TOPIC])
    ev = evaluator(d, store, ms("2023-01-09 14:00:00"))
    tr = ev.evaluate(ms("2023-01-09 14:02:00"))
    assert tr is not None and tr.notification is not None
    assert tr.reason_data is not None
    assert '"recentDatapoints":[1.2345678E7],"threshold":1.0E7' in tr.reason_data
    assert '"sampleCount":1.0,"value":1.2345678E7' in tr.reason_data
    assert tr.reason_data in ev.history[-1].data
    assert '"Threshold":1.0E7' in tr.notification.message
    for text in (tr.reason_data, ev.history[-1].data, tr.notification.message):
        assert "12345678.0" not in text and "10000000.0" not in text


def test_list_form_and_reason_data_reproduce_recorded_alarm() -> None:
    """A recorded AWS/SQS alarm: N=24, Sum > 0, newest bucket missing, 24 older ones present."""
    store = MetricStore()
    for minute in range(10, 34):
        store.add_at(SeriesKey("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", "dlq"),)), 0, 0.0)
        store.add_at(
            SeriesKey("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", "dlq"),)),
            ms(f"2024-12-19 08:{minute:02d}:00"),
            1.0,
        )
    d = Alarm.from_api_dict(
        {
            "AlarmName": "support-reminders-PROD: failed event on the dead letter queue",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Statistic": "Sum",
            "Dimensions": [{"Name": "QueueName", "Value": "dlq"}],
            "Period": 60,
            "EvaluationPeriods": 24,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": ["arn:aws:sns:eu-west-1:12345:alarms-handler-topic-PROD"],
        }
    )
    ev = evaluator(d, store, ms("2024-12-19 08:00:00"), region="eu-west-1")
    ev.set_state("OK", "x", ms("2024-12-19 08:00:00"))
    tr = ev.evaluate(ms("2024-12-19 08:35:01.260"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 24 datapoints were greater than the threshold (0.0). The most recent datapoints which "
        "crossed the threshold: [1.0 (19/12/24 08:33:00), 1.0 (19/12/24 08:32:00), 1.0 (19/12/24 08:31:00), "
        "1.0 (19/12/24 08:30:00), 1.0 (19/12/24 08:29:00)]."
    )
    points = ",".join(
        f'{{"timestamp":"2024-12-19T08:{m:02d}:00.000+0000","sampleCount":1.0,"value":1.0}}' for m in range(33, 9, -1)
    )
    assert tr.reason_data == (
        '{"version":"1.0","queryDate":"2024-12-19T08:35:01.260+0000","startDate":"2024-12-19T08:10:00.000+0000",'
        '"statistic":"Sum","period":60,"recentDatapoints":[' + ",".join(["1.0"] * 24) + '],"threshold":0.0,'
        '"evaluatedDatapoints":[' + points + "]}"
    )
    assert ev.state_reason_data == tr.reason_data


def test_long_list_form() -> None:
    store = MetricStore()
    values = [59.0] * 25 + [59.0, 59.0, 59.0, 60.0, 60.0]  # oldest .. newest (05:05 .. 05:34)
    for i, v in enumerate(values):
        store.add_at(KEY, ms("2024-12-06 05:05:00") + i * MIN, v)
    d = alarm(Statistic="Maximum", Threshold=20.0, EvaluationPeriods=30, DatapointsToAlarm=30)
    ev = evaluator(d, store, ms("2024-12-06 05:00:00"))
    tr = ev.evaluate(ms("2024-12-06 05:35:35.649"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 30 out of the last 30 datapoints were greater than the threshold (20.0). The most recent "
        "datapoints which crossed the threshold: [60.0 (06/12/24 05:34:00), 60.0 (06/12/24 05:33:00), "
        "59.0 (06/12/24 05:32:00), 59.0 (06/12/24 05:31:00), 59.0 (06/12/24 05:30:00)] (minimum 30 datapoints "
        "for OK -> ALARM transition)."
    )


def test_missing_data_treated_as_breaching_recorded_sequence() -> None:
    """Recorded: Period 900, N=2, LessThanThreshold 1, breaching; heartbeat metric stops, then resumes."""
    store = MetricStore()
    store.add_at(KEY, ms("2026-09-25 21:00:30"), 1.0)  # last heartbeat before the kill switch
    d = alarm(
        Period=900,
        EvaluationPeriods=2,
        Threshold=1.0,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData="breaching",
    )
    ev = evaluator(d, store, ms("2026-09-25 20:30:48.919"))
    ev.set_state("OK", "x", ms("2026-09-25 20:30:48.919"))
    ev.advance(ms("2026-09-25 21:50:00"))
    assert ev.state is OK
    (t1,) = ev.advance(ms("2026-09-25 22:06:00"))
    # The first heartbeat after the restart is stamped 21:51 but only becomes visible after 22:05:48.
    store.add_at(KEY, ms("2026-09-25 21:51:00"), 1.0)
    (t2,) = ev.advance(ms("2026-09-25 22:10:00"))
    assert (t1.at_ms, t1.new_state) == (ms("2026-09-25 22:01:48.919"), ALARM)
    assert t1.reason == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as "
        "[Breaching]."
    )
    assert json.loads(t1.reason_data or "")["evaluatedDatapoints"] == [
        {"timestamp": "2026-09-25T21:46:00.000+0000"},
        {"timestamp": "2026-09-25T21:31:00.000+0000"},
    ]
    assert (t2.at_ms, t2.new_state) == (ms("2026-09-25 22:06:48.919"), OK)
    assert t2.reason == (
        "Threshold Crossed: 1 datapoint [1.0 (25/09/26 21:51:00)] was not less than the threshold (1.0) and 1 "
        "missing datapoint was treated as [Breaching]."
    )
    assert json.loads(t2.reason_data or "")["evaluatedDatapoints"] == [
        {"timestamp": "2026-09-25T21:51:00.000+0000", "sampleCount": 1.0, "value": 1.0}
    ]


def test_long_form_with_fillers() -> None:
    # Recorded: "1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or equal to the
    # threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for
    # OK -> ALARM transition)."
    store = MetricStore()
    store.add_at(KEY, ms("2024-03-16 12:15:00"), 613.0)
    d = alarm(
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        EvaluationPeriods=20,
        DatapointsToAlarm=1,
        TreatMissingData="notBreaching",
    )
    ev = evaluator(d, store, ms("2024-03-16 12:00:00"))
    ev.set_state("OK", "x", ms("2024-03-16 12:00:00"))
    tr = ev.evaluate(ms("2024-03-16 12:16:45.770"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or equal "
        "to the threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for "
        "OK -> ALARM transition)."
    )


def test_alarm_clears_46_minutes_after_last_datapoint_field_report() -> None:
    """Recorded: Period 900, N=1, notBreaching; ALARM -> OK 46m20s after the last datapoint, at :51.29."""
    created = ms("2026-01-21 17:23:51.291")
    store = MetricStore()
    for minute in range(ms("2026-01-21 18:16:40") // MIN, ms("2026-01-21 19:50:00") // MIN, 10):
        store.add(KEY, minute, 5.0)  # launch failures while the incident lasted
    store.add_at(KEY, ms("2026-01-21 19:50:31.109"), 5.0)  # the last one
    d = alarm(Period=900, Threshold=0.0, TreatMissingData="notBreaching")
    ev = evaluator(d, store, created)
    assert summary(ev.advance(ms("2026-01-21 23:00:00"))) == [
        ("17:23:51", "INSUFFICIENT_DATA", "OK"),
        ("18:17:51", "OK", "ALARM"),
        ("20:36:51", "ALARM", "OK"),
    ]
    assert ev.transitions[-1].reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )


def test_insufficient_data_reason_and_data() -> None:
    # Recorded: "Insufficient Data: 5 datapoints were unknown." with the 5 newest buckets by timestamp only.
    store = MetricStore()
    store.add_at(KEY, ms("2023-08-04 12:20:00"), 9.0)
    d = alarm(Statistic="Average", Threshold=5.0, EvaluationPeriods=5)
    ev = evaluator(d, store, ms("2023-08-04 12:00:00"))
    ev.advance(ms("2023-08-04 12:25:00"))
    assert ev.state is ALARM
    tr = ev.evaluate(ms("2023-08-04 12:31:29.591"))
    assert tr is not None and tr.new_state is INSUFFICIENT
    assert tr.reason == "Insufficient Data: 5 datapoints were unknown."
    assert tr.reason_data == (
        '{"version":"1.0","queryDate":"2023-08-04T12:31:29.591+0000","statistic":"Average","period":60,'
        '"recentDatapoints":[],"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2023-08-04T12:30:00.000+0000"},'
        '{"timestamp":"2023-08-04T12:29:00.000+0000"},{"timestamp":"2023-08-04T12:28:00.000+0000"},'
        '{"timestamp":"2023-08-04T12:27:00.000+0000"},{"timestamp":"2023-08-04T12:26:00.000+0000"}]}'
    )
    one = evaluator(alarm(), MetricStore(), 0)
    one.set_state("OK", "x", 0)
    tr = one.evaluate(MIN)
    assert tr is not None and tr.reason == "Insufficient Data: 1 datapoint was unknown."


def test_reason_data_unit_and_sample_count_statistic() -> None:
    # Recorded: {"version":"1.0","queryDate":"2023-04-07T09:09:15.917+0000","startDate":"2023-04-07T09:08:00.000+0000",
    # "unit":"Count","statistic":"Minimum","period":60,"recentDatapoints":[0.0],"threshold":1.0,
    # "evaluatedDatapoints":[{"timestamp":"2023-04-07T09:08:00.000+0000","sampleCount":1.0,"value":0.0}]}
    store = MetricStore()
    store.add_at(SeriesKey("NS", "M", (), "Count"), ms("2023-04-07 09:08:00"), 0.0)
    d = alarm(Statistic="Minimum", Unit="Count", Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold")
    ev = evaluator(d, store, ms("2023-04-07 09:00:00"))
    ev.set_state("ALARM", "x", ms("2023-04-07 09:00:00"))
    tr = ev.evaluate(ms("2023-04-07 09:09:15.917"))
    assert tr is not None
    assert tr.reason == (
        "Threshold Crossed: 1 datapoint [0.0 (07/04/23 09:08:00)] was not greater than or equal to the threshold (1.0)."
    )
    assert tr.reason_data == (
        '{"version":"1.0","queryDate":"2023-04-07T09:09:15.917+0000","startDate":"2023-04-07T09:08:00.000+0000",'
        '"unit":"Count","statistic":"Minimum","period":60,"recentDatapoints":[0.0],"threshold":1.0,'
        '"evaluatedDatapoints":[{"timestamp":"2023-04-07T09:08:00.000+0000","sampleCount":1.0,"value":0.0}]}'
    )


def test_premature_alarm_reason_and_partial_ok_reason() -> None:
    end = ms("2024-01-01 12:00:00")
    store = MetricStore()
    store.add(KEY, end // MIN - 3, 5.0)  # "- - X - -": X is 3 buckets old
    d = alarm(EvaluationPeriods=3, DatapointsToAlarm=3)
    ev = evaluator(d, store, end - 3600_000)
    tr = ev.evaluate(end)
    assert tr is not None and tr.new_state is ALARM and ev.last_evaluation is not None
    assert ev.last_evaluation.decision.rule is Rule.PREMATURE
    assert tr.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [5.0 (01/01/24 11:57:00)] was greater than the "
        "threshold (2.0) (minimum 3 datapoints for OK -> ALARM transition)."
    )
    # A11 (- - - - X, M=3, missing) -> OK: nothing non-breaching to list, so the reason names the breach
    # and the minimum it falls short of.
    store2 = MetricStore()
    store2.add(KEY, end // MIN - 1, 5.0)
    ev2 = evaluator(d, store2, end - 3600_000)
    tr2 = ev2.evaluate(end)
    assert tr2 is not None and tr2.new_state is OK
    assert tr2.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [5.0 (01/01/24 11:59:00)] was greater than the "
        "threshold (2.0) (minimum 3 datapoints for OK -> ALARM transition)."
    )


def test_alarm_reached_through_breaching_fillers_lists_the_real_point() -> None:
    end = ms("2024-01-01 12:00:00")
    store = MetricStore()
    store.add(KEY, end // MIN - 1, 1.0)  # "- - - - 0", M=2, breaching (A09) -> ALARM
    d = alarm(EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="breaching")
    tr = evaluator(d, store, end).evaluate(end)
    assert tr is not None and tr.new_state is ALARM
    assert tr.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [1.0 (01/01/24 11:59:00)] was not greater than the "
        "threshold (2.0) and 2 missing datapoints were treated as [Breaching] (minimum 2 datapoints for "
        "ALARM -> OK transition)."
    )


# -- notifications --------------------------------------------------------------------------------

RDS_EXAMPLE = (
    '{"AlarmName":"my-alarm","AlarmDescription":null,"AWSAccountId":"123456789012",'
    '"AlarmConfigurationUpdatedTimestamp":"2022-08-26T03:45:34.563+0000","NewStateValue":"OK",'
    '"NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [3.6266666666666665 (26/08/22 03:40:00)] '
    'was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).",'
    '"StateChangeTime":"2022-08-26T03:46:29.897+0000","Region":"Asia Pacific (Singapore)",'
    '"AlarmArn":"arn:aws:cloudwatch:ap-southeast-1:123456789012:alarm:my-alarm","OldStateValue":"ALARM",'
    '"ActionExecutedAfterMuteWindow":false,'
    '"OKActions":["arn:aws:sns:..."],"AlarmActions":["arn:aws:sns:..."],"InsufficientDataActions":[],'
    '"Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/RDS","StatisticType":"Statistic","Statistic":"AVERAGE",'
    '"Unit":null,"Dimensions":[{"value":"database-1","name":"DBInstanceIdentifier"}],"Period":300,'
    '"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"LessThanThreshold","Threshold":1.0,'
    '"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""}}'
)

RDS_ALARM = {
    "AlarmName": "my-alarm",
    "MetricName": "CPUUtilization",
    "Namespace": "AWS/RDS",
    "Statistic": "Average",
    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "database-1"}],
    "Period": 300,
    "EvaluationPeriods": 1,
    "DatapointsToAlarm": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "LessThanThreshold",
    "TreatMissingData": "missing",
    "OKActions": ["arn:aws:sns:..."],
    "AlarmActions": ["arn:aws:sns:..."],
}


def test_notification_message_matches_recorded_example() -> None:
    d = Alarm.from_api_dict(RDS_ALARM)
    message = notification_message(
        d,
        region="ap-southeast-1",
        account_id=ACCOUNT,
        old_state="ALARM",
        new_state="OK",
        reason=(
            "Threshold Crossed: 1 out of the last 1 datapoints [3.6266666666666665 (26/08/22 03:40:00)] was not "
            "less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
        ),
        at_ms=ms("2022-08-26 03:46:29.897"),
        configuration_updated_ms=ms("2022-08-26 03:45:34.563"),
    )
    assert aws_json(message) == RDS_EXAMPLE


def test_notification_from_a_transition() -> None:
    store = MetricStore()
    store.add_at(
        SeriesKey("AWS/RDS", "CPUUtilization", (("DBInstanceIdentifier", "database-1"),)),
        ms("2022-08-26 03:42:00"),
        3.6266666666666665,
    )
    d = Alarm.from_api_dict({**RDS_ALARM, "OKActions": [TOPIC], "AlarmActions": [TOPIC]})
    ev = AlarmEvaluator(d, store, region="ap-southeast-1", account_id=ACCOUNT, created_ms=ms("2022-08-26 03:30:00.563"))
    ev.set_state("ALARM", "x", ms("2022-08-26 03:31:00"))
    tr = ev.evaluate(ms("2022-08-26 03:45:29.897"))
    assert tr is not None and tr.notification is not None
    n = tr.notification
    assert n.subject == 'OK: "my-alarm" in Asia Pacific (Singapore)'
    assert n.topic_arns == (TOPIC,) and n.at_ms == tr.at_ms
    body = json.loads(n.message)
    assert list(body) == [
        "AlarmName",
        "AlarmDescription",
        "AWSAccountId",
        "AlarmConfigurationUpdatedTimestamp",
        "NewStateValue",
        "NewStateReason",
        "StateChangeTime",
        "Region",
        "AlarmArn",
        "OldStateValue",
        "ActionExecutedAfterMuteWindow",
        "OKActions",
        "AlarmActions",
        "InsufficientDataActions",
        "Trigger",
    ]
    assert body["NewStateReason"] == tr.reason and body["OldStateValue"] == "ALARM"
    assert body["StateChangeTime"] == "2022-08-26T03:45:29.897+0000"
    assert body["AlarmConfigurationUpdatedTimestamp"] == "2022-08-26T03:30:00.563+0000"
    assert ev.notifications[-1] == n


def test_trigger_variants() -> None:
    def trigger(**kw: Any) -> dict[str, Any]:
        msg = notification_message(
            alarm(**kw),
            region=REGION,
            account_id=ACCOUNT,
            old_state="OK",
            new_state="ALARM",
            reason="r",
            at_ms=0,
            configuration_updated_ms=0,
        )
        return json.loads(aws_json(msg))["Trigger"]  # type: ignore[no-any-return]

    assert trigger(Statistic="SampleCount")["Statistic"] == "SAMPLE_COUNT"
    t = trigger(Statistic=None, ExtendedStatistic="p99")
    assert (t["StatisticType"], t["ExtendedStatistic"]) == ("ExtendedStatistic", "p99") and "Statistic" not in t
    t = trigger()
    assert "DatapointsToAlarm" not in t and t["Unit"] is None and t["TreatMissingData"] == ""
    assert trigger(DatapointsToAlarm=1, Unit="Bytes", TreatMissingData="notBreaching")["DatapointsToAlarm"] == 1
    assert trigger(Unit="Bytes")["Unit"] == "Bytes"
    raw = aws_json(
        notification_message(
            alarm(Threshold=1e7),
            region=REGION,
            account_id=ACCOUNT,
            old_state="OK",
            new_state="ALARM",
            reason="r",
            at_ms=0,
            configuration_updated_ms=0,
        )
    )
    assert '"Threshold":1.0E7' in raw


def test_subject_and_region_names() -> None:
    assert region_name("us-east-1") == "US East (N. Virginia)"
    assert region_name("eu-west-1") == "EU (Ireland)"
    assert region_name("ap-southeast-1") == "Asia Pacific (Singapore)"
    assert region_name("xx-test-1") == "xx-test-1"
    assert alarm_arn("eu-west-1", ACCOUNT, "x y") == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x y"
    assert alarm_arn("cn-north-1", ACCOUNT, "x") == "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:x"
    for state in ("ALARM", "OK", "INSUFFICIENT_DATA"):
        ev = evaluator(alarm(AlarmName="my-alarm"), MetricStore(), 0)
        if state != "INSUFFICIENT_DATA":
            tr = ev.set_state(state, "r", 1)
        else:
            ev.set_state("OK", "r", 1)
            tr = ev.set_state(state, "r", 2)
        assert tr is not None and tr.notification is not None
        assert tr.notification.subject == f'{state}: "my-alarm" in US East (N. Virginia)'


# -- actions ------------------------------------------------------------------------------------------


def breaching_store(start: int, minutes: int, value: float = 5.0) -> MetricStore:
    store = MetricStore()
    for i in range(minutes):
        store.add(KEY, start // MIN + i, value)
    return store


def test_actions_only_on_transitions() -> None:
    start = ms("2024-01-01 00:00:00")
    ev = evaluator(alarm(), breaching_store(start, 60), start)
    ev.advance(start + 60 * MIN)
    assert summary(ev.transitions) == [("00:01:00", "INSUFFICIENT_DATA", "ALARM")]
    assert len(ev.notifications) == 1
    ev.advance(start + 120 * MIN)
    assert [t.new_state for t in ev.transitions] == [ALARM, INSUFFICIENT]
    assert len(ev.notifications) == 2 and ev.notifications[1].subject.startswith("INSUFFICIENT_DATA: ")


def test_actions_disabled_changes_state_without_actions() -> None:
    start = ms("2024-01-01 00:00:00")
    ev = evaluator(alarm(ActionsEnabled=False), breaching_store(start, 5), start)
    ev.advance(start + 30 * MIN)
    assert [t.new_state for t in ev.transitions] == [ALARM, INSUFFICIENT]
    assert all(t.actions == () and t.notification is None for t in ev.transitions)
    assert ev.notifications == []
    assert [h.summary for h in ev.history][1:] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        "Alarm updated from ALARM to INSUFFICIENT_DATA",
    ]


def test_actions_for_the_new_state_only_and_sns_topics_only() -> None:
    start = ms("2024-01-01 00:00:00")
    scaling = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:autoScalingGroupName/g:policyName/p"
    other_topic = "arn:aws:sns:us-east-1:123456789012:ok-topic"
    d = alarm(AlarmActions=[TOPIC, scaling], OKActions=[other_topic], InsufficientDataActions=[scaling])
    ev = evaluator(d, breaching_store(start, 5), start)
    ev.advance(start + 30 * MIN)
    to_alarm, to_insufficient = ev.transitions
    assert to_alarm.actions == (TOPIC, scaling)
    assert to_alarm.notification is not None and to_alarm.notification.topic_arns == (TOPIC,)
    assert to_insufficient.actions == (scaling,) and to_insufficient.notification is None


# -- schedule, windows, late data ---------------------------------------------------------------------


def test_window_ends_at_last_whole_minute_and_ignores_later_data() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add_at(KEY, start + 10 * MIN + 5_000, 5.0)  # minute 00:10
    ev = evaluator(alarm(), store, start)
    assert ev.evaluate(start + 10 * MIN + 59_999) is None  # window ends 00:10: the datapoint is not in it
    assert ev.last_evaluation is not None and ev.last_evaluation.window_end_ms == start + 10 * MIN
    tr = ev.evaluate(start + 11 * MIN)
    assert tr is not None and tr.new_state is ALARM


def test_late_data_counts_from_the_next_evaluation_on() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    d = alarm(TreatMissingData="notBreaching")
    ev = evaluator(d, store, start)
    ev.advance(start + 10 * MIN)
    assert ev.state is OK
    store.add(KEY, start // MIN + 8, 5.0)  # a late event for 00:08, arriving after the 00:10 evaluation
    tr = ev.advance(start + 11 * MIN)
    assert [t.new_state for t in tr] == [ALARM]  # step 3: the most recent real datapoint in range
    assert ev.transitions[-1].reason.startswith("Threshold Crossed: 1 datapoint [5.0 (01/01/24 00:08:00)]")


def test_evaluation_offset_and_times_cannot_go_backwards() -> None:
    created = ms("2024-01-01 00:00:51.290")
    ev = evaluator(alarm(), MetricStore(), created)
    assert ev.next_evaluation_ms() == created
    ev.advance(created)
    assert ev.next_evaluation_ms() == created + MIN
    ev.advance(created + 5 * MIN + 1)
    assert ev.last_evaluated_ms == created + 5 * MIN
    with pytest.raises(ValueError):
        ev.evaluate(created)
    custom = AlarmEvaluator(
        alarm(), MetricStore(), region=REGION, account_id=ACCOUNT, created_ms=created, evaluation_offset_ms=0
    )
    custom.advance(created)
    assert custom.next_evaluation_ms() == ms("2024-01-01 00:01:00")


def test_sub_minute_period_evaluated_every_ten_seconds() -> None:
    # Recorded: Period 30, N=1, notBreaching: one datapoint drove ALARM then OK within ~2m15s of its bucket start.
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add_at(KEY, start + 5 * MIN + 20_000, 5.0)  # minute-resolution datapoint at 00:05:00
    d = alarm(Period=30, TreatMissingData="notBreaching")
    ev = evaluator(d, store, start)
    ev.advance(start + 15 * MIN)
    # Buckets align to the 30 s period, so the minute's datapoint is the bucket starting at 00:05:00, stamped
    # at the whole minute as AWS was recorded doing; it is first read when that bucket has closed.
    assert summary(ev.transitions) == [
        ("00:00:00", "INSUFFICIENT_DATA", "OK"),
        ("00:05:30", "OK", "ALARM"),
        ("00:07:00", "ALARM", "OK"),  # when the bucket leaves the 3-bucket range
    ]
    assert "(01/01/24 00:05:00)" in ev.transitions[1].reason
    bucket_start = start + 5 * MIN
    assert ev.transitions[-1].at_ms - bucket_start <= 135_000


def test_long_alarms_are_evaluated_hourly() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add_at(KEY, start + 90 * MIN, 5.0)
    d = alarm(Period=3600, EvaluationPeriods=25, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    ev = evaluator(d, store, start)
    ev.advance(start + 5 * 3600_000)
    assert [t.at_ms - start for t in ev.transitions] == [0, 2 * 3600_000]  # OK at creation, ALARM at 02:00
    assert all((t.at_ms - start) % 3600_000 == 0 for t in ev.transitions)


def test_dynamodb_alarms_ignore_missing_data() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add(SeriesKey("AWS/DynamoDB", "M"), start // MIN + 2, 5.0)
    d = alarm(Namespace="AWS/DynamoDB", TreatMissingData="notBreaching")
    ev = evaluator(d, store, start)
    ev.advance(start + 120 * MIN)
    assert [t.new_state for t in ev.transitions] == [ALARM]  # stays ALARM after the data stops


def test_low_sample_percentile_ignore_keeps_state() -> None:
    start = ms("2024-01-01 00:00:00")
    store = breaching_store(start, 10)
    for ignore, want in (("ignore", INSUFFICIENT), ("evaluate", ALARM), (None, ALARM)):
        d = alarm(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile=ignore)
        ev = evaluator(d, store, start)
        ev.advance(start + 5 * MIN)
        assert ev.state is want, ignore
    # With enough samples the percentile is evaluated even under `ignore`.
    big = MetricStore()
    big.add(KEY, start // MIN + 1, 5.0, count=1000)
    d = alarm(Statistic=None, ExtendedStatistic="p99", EvaluateLowSampleCountPercentile="ignore")
    ev = evaluator(d, big, start)
    ev.advance(start + 2 * MIN)
    assert ev.state is ALARM


def test_negative_values_make_percentile_datapoints_missing() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add(KEY, start // MIN + 1, -1.0)
    store.add(KEY, start // MIN + 1, 5.0)
    d = alarm(Statistic=None, ExtendedStatistic="p50", TreatMissingData="breaching")
    ev = evaluator(d, store, start)
    ev.evaluate(start + 2 * MIN)
    assert ev.last_evaluation is not None
    assert ev.last_evaluation.buckets[0].value is None and ev.last_evaluation.buckets[0].sample_count == 2
    assert ev.last_evaluation.decision.rule is Rule.ALL_MISSING


@pytest.mark.parametrize(
    ("op", "breaching"),
    [
        ("GreaterThanOrEqualToThreshold", True),
        ("GreaterThanThreshold", False),
        ("LessThanThreshold", False),
        ("LessThanOrEqualToThreshold", True),
    ],
)
def test_comparison_operators_at_the_threshold(op: str, breaching: bool) -> None:
    start = ms("2024-01-01 00:00:00")
    store = breaching_store(start, 1, value=2.0)
    for value, want in ((2.0, breaching), (1.0, op.startswith("Less")), (3.0, op.startswith("Greater"))):
        store = breaching_store(start, 1, value=value)
        ev = evaluator(alarm(ComparisonOperator=op), store, start)
        ev.evaluate(start + MIN)
        assert ev.state is (ALARM if want else OK), (op, value)


ALL_STATISTICS = [
    "SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p99.9", "tm90", "TM(10%:90%)", "IQM",
    "wm98", "WM(1:4)", "tc90", "TC(1:3)", "ts90", "TS(80%:)", "PR(:2)",
]  # fmt: skip


@pytest.mark.parametrize("name", ALL_STATISTICS)
def test_every_statistic_through_the_evaluator(name: str) -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 1.0]
    for i, v in enumerate(values):
        store.add(KEY, start // MIN + i % 5, v)  # spread over 5 minutes of one 300 s bucket
    extended = name not in ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
    # The engine computes every statistic the statistics definitions allow, also those PutMetricAlarm does not
    # list (WM(1:4)): built directly, not through validation.
    d = dataclasses.replace(
        alarm(Period=300, Threshold=2.5),
        statistic=None if extended else name,
        extended_statistic=name if extended else None,
    )
    ev = evaluator(d, store, start)
    ev.evaluate(start + 5 * MIN)
    assert ev.last_evaluation is not None
    want = compute(parse_statistic(name), Aggregate.of(values))
    got = ev.last_evaluation.buckets[0].value
    assert got == want
    assert ev.state is (ALARM if want is not None and want > 2.5 else OK if want is not None else INSUFFICIENT)


def test_alarm_unit_selects_series() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add(SeriesKey("NS", "M", (), "Count"), start // MIN, 1.0)
    store.add(SeriesKey("NS", "M", (), "Seconds"), start // MIN, 2.0)
    for unit, want in ((None, 3.0), ("Count", 1.0), ("Seconds", 2.0), ("Bytes", None)):
        ev = evaluator(alarm(Unit=unit), store, start)
        ev.evaluate(start + MIN)
        assert ev.last_evaluation is not None and ev.last_evaluation.buckets[0].value == want, unit


def test_dimensions_must_match_exactly() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add(SeriesKey("NS", "M", (("a", "1"), ("b", "2"))), start // MIN, 5.0)
    ev = evaluator(alarm(Dimensions=[{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}]), store, start)
    assert ev.evaluate(start + MIN) is not None and ev.state is ALARM
    ev = evaluator(alarm(Dimensions=[{"Name": "a", "Value": "1"}]), store, start)
    assert ev.evaluate(start + MIN) is None and ev.state is INSUFFICIENT


# -- SetAlarmState, updates, history --------------------------------------------------------------------


def test_set_state_lasts_until_the_next_evaluation() -> None:
    start = ms("2024-01-01 00:00:00")
    ev = evaluator(alarm(TreatMissingData="notBreaching"), MetricStore(), start)
    ev.advance(start + 10 * MIN)
    assert ev.state is OK
    tr = ev.set_state("ALARM", "testing purposes", start + 10 * MIN + 1, '{"custom":1}')
    assert tr is not None and tr.reason == "testing purposes" and tr.reason_data == '{"custom":1}'
    assert ev.set_state("ALARM", "again", start + 10 * MIN + 2) is None
    ev.advance(start + 11 * MIN)
    assert ev.state is OK and len(ev.notifications) == 3  # OK, ALARM (set), OK again
    history = json.loads(ev.history[-1].data)
    assert history["oldState"] == {
        "stateValue": "ALARM",
        "stateReason": "testing purposes",
        "stateReasonData": {"custom": 1},
    }
    assert history["newState"]["stateValue"] == "OK"
    assert history["newState"]["stateReasonData"]["version"] == "1.0"


def test_update_definition_keeps_state() -> None:
    start = ms("2024-01-01 00:00:00")
    ev = evaluator(alarm(), breaching_store(start, 30), start)
    ev.advance(start + 5 * MIN)
    assert ev.state is ALARM
    ev.update_definition(alarm(Threshold=100.0, AlarmDescription="raised"), start + 5 * MIN + 30_000)
    assert ev.state is ALARM and ev.configuration_updated_ms == start + 5 * MIN + 30_000
    ev.advance(start + 6 * MIN)
    assert ev.state is OK
    assert ev.history[2].summary == 'Alarm "a" updated'
    assert json.loads(ev.history[2].data)["type"] == "Update"
    body = json.loads(ev.notifications[-1].message)
    assert body["AlarmDescription"] == "raised"
    assert body["AlarmConfigurationUpdatedTimestamp"] == "2024-01-01T00:05:30.000+0000"
    with pytest.raises(ValueError):
        ev.update_definition(alarm(AlarmName="other"), start + 7 * MIN)


def test_history_item_api_shape() -> None:
    start = ms("2024-01-01 00:00:00")
    ev = evaluator(alarm(), breaching_store(start, 1), start)
    ev.advance(start + MIN)
    item = ev.history[1].to_api_dict()
    assert item["AlarmType"] == "MetricAlarm" and item["HistoryItemType"] == "StateUpdate"
    assert item["Timestamp"] == "2024-01-01T00:01:00.000+0000"
    data = json.loads(item["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"] == {"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"}
    assert data["newState"]["stateReason"] == ev.state_reason


# -- skip-ahead equivalence ----------------------------------------------------------------------------


def run_every_minute(ev: AlarmEvaluator, until: int) -> None:
    t = ev.next_evaluation_ms()
    while t <= until:
        ev.evaluate(t)
        t = ev.next_evaluation_ms()


config_strategy = st.fixed_dictionaries(
    {
        "Period": st.sampled_from([30, 60, 120, 300, 900]),
        "EvaluationPeriods": st.integers(1, 5),
        "Threshold": st.sampled_from([0.0, 1.0, 2.0]),
        "ComparisonOperator": st.sampled_from(
            sorted(
                [
                    "GreaterThanThreshold",
                    "GreaterThanOrEqualToThreshold",
                    "LessThanThreshold",
                    "LessThanOrEqualToThreshold",
                ]
            )
        ),
        "TreatMissingData": st.sampled_from([None, "missing", "ignore", "breaching", "notBreaching"]),
        "Statistic": st.sampled_from(["Sum", "Average", "SampleCount", "Maximum", "Minimum", "p90", "p90 ignore"]),
        "m": st.integers(1, 5),
        "set_m": st.booleans(),
    }
)


def alarm_from_strategy(cfg: dict[str, Any]) -> Alarm:
    """The alarm a ``config_strategy`` example describes."""
    cfg = dict(cfg)
    m = min(cfg.pop("m"), cfg["EvaluationPeriods"])
    if cfg.pop("set_m"):
        cfg["DatapointsToAlarm"] = m
    statistic = cfg.pop("Statistic")
    if statistic.startswith("p"):
        cfg["Statistic"] = None
        cfg["ExtendedStatistic"] = statistic.split()[0]
        if statistic.endswith("ignore"):
            cfg["EvaluateLowSampleCountPercentile"] = "ignore"
    else:
        cfg["Statistic"] = statistic
    return alarm(**cfg)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    config_strategy,
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 600), st.sampled_from([-1.0, 0.0, 1.0, 3.0]), st.sampled_from([None, "Count"])),
            max_size=6,
        ),
        max_size=5,
    ),
    st.lists(st.integers(1, 700), min_size=1, max_size=5),
    st.integers(0, 59_999),
)
def test_advance_skipping_equals_evaluating_every_step(
    cfg: dict[str, Any], batches: list[list[tuple[int, float, str | None]]], stops: list[int], offset: int
) -> None:
    """Data arrives in batches between calls (late data included); both drivers see the same store.

    ``advance`` decides most evaluations without building datapoints (one series: bucket verdicts computed once;
    several units: the window read per evaluation; low-sample percentiles ignored: in full), so the statistics,
    units and missing-data treatments vary here."""
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    d = alarm_from_strategy(cfg)
    fast = evaluator(d, store, start + offset)
    slow = evaluator(d, store, start + offset)
    for i, stop in enumerate([*sorted(stops), 700]):
        for minute, value, unit in batches[i] if i < len(batches) else []:
            store.add(KEY if unit is None else SeriesKey("NS", "M", (), unit), start // MIN + minute, value)
        fast.advance(start + stop * MIN + 7)
        run_every_minute(slow, start + stop * MIN + 7)
        assert fast.state is slow.state and fast.last_evaluated_ms == slow.last_evaluated_ms
    assert [(t.at_ms, t.old_state, t.new_state, t.reason, t.reason_data) for t in fast.transitions] == [
        (t.at_ms, t.old_state, t.new_state, t.reason, t.reason_data) for t in slow.transitions
    ]
    assert [h.data for h in fast.history] == [h.data for h in slow.history]
    assert [n.message for n in fast.notifications] == [n.message for n in slow.notifications]
