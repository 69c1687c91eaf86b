"""Replay: filters and alarms over events in event time, independent of input order, mergeable."""

from __future__ import annotations

import json
import random
from pathlib import Path

from trailguard.catalog import resolve
from trailguard.engine.formatting import json_timestamp
from trailguard.engine.replay import Replay, ReplayResult
from trailguard.model import Alarm, MetricFilter
from trailguard.pattern import LogEvent
from trailguard.sources import Quarantine, read_paths

T0 = 1_763_629_200_000  # 2025-11-20T09:00:00Z
GROUP = "CloudTrail/DefaultLogGroup"  # the CIS monitors' log group


def cis_replay(ids: str = "4.6", **window: int) -> Replay:
    monitors = resolve(ids)
    return Replay(
        [m.metric_filter for m in monitors],
        [m.alarm for m in monitors],
        region="us-east-1",
        account_id="123456789012",
        **window,  # type: ignore[arg-type]
    )


def failed_login(ms: int) -> tuple[LogEvent, int]:
    record = {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication", "sourceIPAddress": "203.0.113.7"}
    return LogEvent(json.dumps(record)), ms


def routine(ms: int) -> tuple[LogEvent, int]:
    return LogEvent(json.dumps({"eventName": "DescribeInstances"})), ms


def transitions(result: ReplayResult) -> list[tuple[str, str, str, str]]:
    return [
        (outcome.alarm.alarm_name, json_timestamp(t.at_ms), t.old_state, t.new_state)
        for outcome in result.alarms
        for t in outcome.evaluator.transitions
    ]


def run(replay: Replay, events: list[tuple[LogEvent, int]]) -> ReplayResult:
    for event, ms in events:
        replay.add(event, ms, GROUP)
    return replay.finish()


def test_the_real_corpus_raises_exactly_one_alarm_for_the_root_failed_login(cloudtrail_corpus: Path) -> None:
    replay = cis_replay("4.6")
    quarantine = Quarantine()
    folders = sorted(str(p) for p in cloudtrail_corpus.iterdir() if p.is_dir())
    for event in read_paths(folders, quarantine):
        assert event.timestamp_ms is not None
        replay.add(LogEvent(event.message, parsed=event.record), event.timestamp_ms, GROUP)
    result = replay.finish()
    (outcome,) = result.alarms
    to_alarm = [t for t in outcome.evaluator.transitions if t.new_state == "ALARM"]
    assert len(to_alarm) == 1
    (alarm,) = to_alarm
    # The root "Failed authentication" at 2021-07-29T12:53:34Z lands in minute 12:53; the first
    # evaluation whose window holds that minute is at 12:54, and the 5-minute bucket starts at 12:49.
    assert json_timestamp(alarm.at_ms) == "2021-07-29T12:54:00.000+0000"
    assert alarm.old_state == "INSUFFICIENT_DATA"
    assert alarm.reason == (
        "Threshold Crossed: 1 datapoint [1.0 (29/07/21 12:49:00)] was greater than or equal to the threshold (1.0)."
    )
    assert alarm.notification is not None
    assert alarm.notification.subject == 'ALARM: "CIS-4.6-ConsoleAuthenticationFailures" in US East (N. Virginia)'
    # No default value and no other datapoints: the alarm stays in ALARM until the datapoint leaves the
    # evaluation range (3 buckets of 5 minutes), then has no data at all: INSUFFICIENT_DATA (section 3).
    after = outcome.evaluator.transitions[outcome.evaluator.transitions.index(alarm) + 1 :]
    assert [(json_timestamp(t.at_ms), t.new_state) for t in after] == [
        ("2021-07-29T13:09:00.000+0000", "INSUFFICIENT_DATA")
    ]
    assert outcome.evaluator.state == "INSUFFICIENT_DATA"
    assert quarantine.count == 103  # the Logstash-shipped OTRF records carry no eventTime


def test_single_failure_goes_to_alarm_then_back_to_insufficient_data() -> None:
    result = run(cis_replay(), [routine(T0), failed_login(T0 + 5 * 60_000 + 30_000), routine(T0 + 40 * 60_000)])
    assert transitions(result) == [
        ("CIS-4.6-ConsoleAuthenticationFailures", "2025-11-20T09:06:00.000+0000", "INSUFFICIENT_DATA", "ALARM"),
        ("CIS-4.6-ConsoleAuthenticationFailures", "2025-11-20T09:21:00.000+0000", "ALARM", "INSUFFICIENT_DATA"),
    ]
    (notification,) = result.alarms[0].evaluator.notifications
    assert json.loads(notification.message)["NewStateValue"] == "ALARM"


def test_input_order_does_not_matter() -> None:
    events = [failed_login(T0 + i * 97_000) for i in range(30)] + [routine(T0 + i * 61_000) for i in range(60)]
    expected = transitions(run(cis_replay(), events))
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert transitions(run(cis_replay(), shuffled)) == expected
    assert len(expected) >= 2


def test_replays_of_split_input_merge_exactly() -> None:
    events = [failed_login(T0 + i * 131_000) for i in range(40)] + [routine(T0 + i * 17_000) for i in range(200)]
    whole = run(cis_replay("all"), events)
    first, second = cis_replay("all"), cis_replay("all")
    for index, (event, ms) in enumerate(events):
        (first if index % 3 else second).add(event, ms, GROUP)
    first.merge(second)
    merged = first.finish()
    assert transitions(merged) == transitions(whole)
    assert merged.store.to_dict() == whole.store.to_dict()
    assert [r.counters.as_dict() for r in merged.filters] == [r.counters.as_dict() for r in whole.filters]
    assert merged.events == whole.events


def test_from_and_to_bound_events_and_evaluation() -> None:
    events = [failed_login(T0 + 60_000), failed_login(T0 + 60 * 60_000)]
    result = run(cis_replay(start_ms=T0 + 30 * 60_000, end_ms=T0 + 90 * 60_000), events)
    assert result.outside_window == 1
    assert result.start_ms == T0 + 30 * 60_000 and result.end_ms == T0 + 90 * 60_000
    assert [t[1] for t in transitions(result)] == ["2025-11-20T10:01:00.000+0000", "2025-11-20T10:16:00.000+0000"]


def test_no_events_means_no_alarm_evaluation() -> None:
    result = cis_replay().finish()
    assert result.alarms == [] and result.events == 0


def test_default_value_keeps_buckets_filled_so_the_alarm_returns_to_ok() -> None:
    # Section 3's worked example: with defaultValue 0 and other traffic, buckets are 0 rather than
    # missing, so the alarm goes back to OK once the breaching datapoint is no longer the newest.
    (monitor,) = resolve("4.6")
    definition = monitor.metric_filter.to_api_dict()
    definition["metricTransformations"][0]["defaultValue"] = 0.0
    replay = Replay(
        [MetricFilter.from_api_dict(definition)],
        [monitor.alarm],
        region="us-east-1",
        account_id="123456789012",
    )
    events = [routine(T0 + i * 60_000) for i in range(40)] + [failed_login(T0 + 10 * 60_000 + 5_000)]
    result = run(replay, events)
    states = [t[3] for t in transitions(result)]
    assert states[:3] == ["OK", "ALARM", "OK"]
    assert result.filters[0].counters.defaults == 40


def test_a_window_without_events_still_evaluates_alarms_from_its_start() -> None:
    # A12: a new alarm with no data and notBreaching goes INSUFFICIENT_DATA -> OK.
    (monitor,) = resolve("4.6")
    alarm = monitor.alarm.to_api_dict() | {"TreatMissingData": "notBreaching"}
    replay = Replay(
        [monitor.metric_filter],
        [Alarm.from_api_dict(alarm)],
        region="us-east-1",
        account_id="123456789012",
        start_ms=T0,
    )
    result = replay.finish()
    assert [(t[2], t[3]) for t in transitions(result)] == [("INSUFFICIENT_DATA", "OK")]
    assert result.end_ms is not None and result.end_ms > T0


def test_events_reach_only_the_filters_of_their_log_group() -> None:
    (monitor,) = resolve("4.6")
    other = MetricFilter.from_api_dict({**monitor.metric_filter.to_api_dict(), "logGroupName": "other-trail"})
    replay = Replay([monitor.metric_filter, other], [], region="us-east-1", account_id="123456789012")
    for event, ms in (failed_login(T0), failed_login(T0 + 1000)):
        replay.add(event, ms, "other-trail")
    replay.add(*failed_login(T0 + 2000), "a-group-without-filters")
    result = replay.finish()
    assert [f.counters.matched for f in result.filters] == [0, 2]
    assert result.events_by_log_group == {"other-trail": 2, "a-group-without-filters": 1}
    assert replay.log_groups == (GROUP, "other-trail")
