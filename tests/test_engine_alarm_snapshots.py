"""AlarmEvaluator.snapshot / restore: an evaluator stopped at any moment and restored from its snapshot (through
JSON, as the live runner stores it) continues exactly as one that never stopped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_engine_alarms import KEY, MIN, alarm, alarm_from_strategy, config_strategy, evaluator, ms
from trailguard.engine.aggregates import MetricStore
from trailguard.engine.alarms import AlarmEvaluator, AlarmSnapshot, StateValue, Transition


def outcome(transitions: list[Transition]) -> list[tuple[Any, ...]]:
    return [
        (t.at_ms, t.old_state, t.new_state, t.reason, t.reason_data, t.actions, t.notification) for t in transitions
    ]


def through_json(snapshot: AlarmSnapshot) -> AlarmSnapshot:
    return AlarmSnapshot.from_json_dict(json.loads(json.dumps(snapshot.to_json_dict())))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    config_strategy,
    st.lists(st.lists(st.tuples(st.integers(0, 600), st.sampled_from([0.0, 1.0, 3.0])), max_size=5), max_size=6),
    st.lists(st.integers(1, 700), min_size=1, max_size=6),
    st.integers(0, 59_999),
    st.integers(0, 6),
    st.booleans(),
)
def test_a_restored_evaluator_continues_identically_to_one_never_stopped(
    cfg: dict[str, Any],
    batches: list[list[tuple[int, float]]],
    stops: list[int],
    offset: int,
    stop_at: int,
    set_state: bool,
) -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    definition = alarm_from_strategy(cfg)
    steady = evaluator(definition, store, start + offset)
    restarted = evaluator(definition, store, start + offset)
    times = [*sorted(stops), 700]
    for i, stop in enumerate(times):
        for minute, value in batches[i] if i < len(batches) else []:
            store.add(KEY, start // MIN + minute, value)
        until = start + stop * MIN + 7
        steady.advance(until)
        restarted.advance(until)
        if i == 1 and set_state:  # SetAlarmState between evaluations clears the idle flag: it must survive too
            steady.set_state(StateValue.ALARM, "set by hand", until)
            restarted.set_state(StateValue.ALARM, "set by hand", until)
        if i == min(stop_at, len(times) - 1):
            produced = outcome(restarted.transitions)
            restarted = AlarmEvaluator.restore(
                definition, store, through_json(restarted.snapshot()), region="us-east-1", account_id="123456789012"
            )
            assert restarted.transitions == [] and restarted.notifications == []
            resumed_from = len(produced)
    assert restarted.state is steady.state
    assert restarted.state_reason == steady.state_reason
    assert restarted.state_reason_data == steady.state_reason_data
    assert restarted.state_updated_ms == steady.state_updated_ms
    assert restarted.last_evaluated_ms == steady.last_evaluated_ms
    assert restarted.next_evaluation_ms() == steady.next_evaluation_ms()
    assert outcome(restarted.transitions) == outcome(steady.transitions)[resumed_from:]
    assert [h.to_api_dict() for h in restarted.history] == [h.to_api_dict() for h in steady.history]
    assert restarted.snapshot() == steady.snapshot()


def test_forget_outputs_keeps_state_and_schedule_and_a_snapshot_without_history_omits_it() -> None:
    start = ms("2024-01-01 00:00:00")
    store = MetricStore()
    store.add(KEY, start // MIN + 2, 5.0)
    ev = evaluator(alarm(), store, start + 1234)
    ev.advance(start + 10 * MIN)
    assert [t.new_state for t in ev.transitions] == [StateValue.ALARM, StateValue.INSUFFICIENT_DATA]
    before = ev.snapshot(with_history=False)
    assert before.history == () and "history" not in before.to_json_dict(with_history=False)
    ev.forget_outputs()
    assert ev.transitions == [] and ev.notifications == [] and ev.history == []
    assert ev.snapshot(with_history=False) == before
    store.add(KEY, start // MIN + 11, 5.0)
    (transition,) = ev.advance(start + 13 * MIN)
    assert transition.new_state is StateValue.ALARM and transition.at_ms == start + 12 * MIN + 1234


def test_a_snapshot_restores_only_its_own_alarm() -> None:
    store = MetricStore()
    snapshot = evaluator(alarm(), store, 0).snapshot()
    with pytest.raises(ValueError, match="cannot restore alarm 'other'"):
        AlarmEvaluator.restore(alarm(AlarmName="other"), store, snapshot, region="us-east-1", account_id="1" * 12)
