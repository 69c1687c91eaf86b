"""StateReason text, StateReasonData JSON and StateUpdate history data, in CloudWatch's formats.

Reason forms, as recorded from real alarms (docs/semantics.md "State reasons" lists the recordings):

* DatapointsToAlarm unset (short form)::

    Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0).
    Threshold Crossed: 2 datapoints [0.0 (09/01/23 14:02:00), 1.0 (09/01/23 14:01:00)] were not
    greater than the threshold (42.0).

* DatapointsToAlarm set (long form)::

    Threshold Crossed: 1 out of the last 1 datapoints [2.0 (19/06/24 12:00:00)] was greater than or
    equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).

* Five or more listed datapoints move to a trailing list of the five most recent::

    Threshold Crossed: 24 datapoints were greater than the threshold (0.0). The most recent
    datapoints which crossed the threshold: [1.0 (19/12/24 08:33:00), ... 5 items].

* Filled missing datapoints add `` and 19 missing datapoints were treated as [NonBreaching]``
  before the closing parenthesis/full stop.
* Nothing in range: ``Threshold Crossed: no datapoints were received for 2 periods and 2 missing
  datapoints were treated as [Breaching].``; under ``missing``: ``Insufficient Data: 5
  datapoints were unknown.``

A transition to ALARM lists the breaching datapoints; a transition to OK lists the non-breaching
ones ("was not ..."), with ``minimum N-M+1 datapoints for ALARM -> OK``. Datapoints are listed
newest first, numbers as Java doubles, times as the bucket start (dd/MM/yy HH:mm:ss, UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from trailguard.engine.decision import Datapoint, Decision, Rule, StateValue
from trailguard.engine.formatting import java_double, java_number, json_fragment, json_timestamp, reason_timestamp
from trailguard.model import Alarm
from trailguard.model.constants import COMPARISONS

__all__ = [
    "INITIAL_REASON",
    "history_data_for_state_update",
    "state_reason",
    "state_reason_data",
]

INITIAL_REASON: Final = "Unchecked: Initial alarm creation"


#: From this many listed datapoints on, AWS moves them to "The most recent datapoints ..." (5 shown).
LIST_FORM_FROM: Final = 5


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _item(p: Datapoint) -> str:
    assert p.value is not None
    return f"{java_double(p.value)} ({reason_timestamp(p.timestamp_ms)})"


def _filler_label(treat_missing_data: str) -> str:
    return "Breaching" if treat_missing_data == "breaching" else "NonBreaching"


def state_reason(alarm: Alarm, decision: Decision) -> str:
    """The StateReason for a transition that ``decision`` causes."""
    n = alarm.evaluation_periods
    treat = alarm.effective_treat_missing_data
    if decision.rule is Rule.ALL_MISSING:
        if decision.outcome is StateValue.INSUFFICIENT_DATA:
            return f"Insufficient Data: {n} datapoint{_s(n)} {_was(n)} unknown."
        return (
            f"Threshold Crossed: no datapoints were received for {n} period{_s(n)} and {n} missing "
            f"datapoint{_s(n)} {_was(n)} treated as [{_filler_label(treat)}]."
        )

    to_alarm = decision.outcome is StateValue.ALARM
    listed: Sequence[Datapoint] = [p for p in decision.evaluated if bool(p.breaching) is to_alarm]
    breaching_listed = to_alarm
    if not listed:
        # Nothing supports the new state by itself (e.g. OK because too few of the few real
        # datapoints breach, or ALARM reached through breaching fillers): list the other ones.
        listed = list(decision.evaluated)
        breaching_listed = not to_alarm
    k = len(listed)
    verb = f"{_was(k)} {'' if breaching_listed else 'not '}{COMPARISONS[alarm.comparison_operator].words}"
    threshold = f"the threshold ({java_double(alarm.threshold)})"
    filled = ""
    if decision.fillers:
        f = decision.fillers
        filled = f" and {f} missing datapoint{_s(f)} {_was(f)} treated as [{_filler_label(treat)}]"
    items = ", ".join(_item(p) for p in listed[:LIST_FORM_FROM])
    long_form = alarm.datapoints_to_alarm is not None
    if long_form:
        head = f"Threshold Crossed: {k} out of the last {n} datapoints"
    else:
        head = f"Threshold Crossed: {k} datapoint{_s(k)}"
    if long_form:
        m = alarm.effective_datapoints_to_alarm
        minimum, direction = (m, "OK -> ALARM") if breaching_listed else (n - m + 1, "ALARM -> OK")
        tail = f" (minimum {minimum} datapoint{_s(minimum)} for {direction} transition)"
    else:
        tail = ""
    if k >= LIST_FORM_FROM:
        return (
            f"{head} {verb} {threshold}{filled}. The most recent datapoints which crossed the threshold: "
            f"[{items}]{tail}."
        )
    return f"{head} [{items}] {verb} {threshold}{filled}{tail}."


def state_reason_data(alarm: Alarm, decision: Decision, query_ms: int) -> dict[str, Any]:
    """StateReasonData (as a dict in AWS's key order, its doubles as ``java_number`` texts; serialise with
    ``formatting.prepared_json``).

    ``startDate`` is the oldest evaluated datapoint, ``recentDatapoints`` the evaluated values
    oldest first, ``evaluatedDatapoints`` newest first; when no real datapoint was evaluated the
    newest N missing buckets are listed by timestamp only and there is no ``startDate``.
    """
    out: dict[str, Any] = {"version": "1.0", "queryDate": json_timestamp(query_ms)}
    evaluated = decision.evaluated
    if evaluated:
        out["startDate"] = json_timestamp(min(p.timestamp_ms for p in evaluated))
    if alarm.unit is not None:
        out["unit"] = alarm.unit
    out["statistic"] = alarm.statistic_name
    out["period"] = alarm.period
    out["recentDatapoints"] = [
        java_number(p.value)  # type: ignore[arg-type]  # evaluated datapoints have values
        for p in sorted(evaluated, key=lambda p: p.timestamp_ms)
    ]
    out["threshold"] = java_number(alarm.threshold)
    if evaluated:
        out["evaluatedDatapoints"] = [
            {
                "timestamp": json_timestamp(p.timestamp_ms),
                "sampleCount": java_number(p.sample_count),
                "value": java_number(p.value),  # type: ignore[arg-type]
            }
            for p in evaluated
        ]
    else:
        out["evaluatedDatapoints"] = [{"timestamp": json_timestamp(p.timestamp_ms)} for p in decision.missing]
    return out


def history_data_for_state_update(
    old_state: StateValue,
    old_reason: str,
    old_reason_data: str | None,
    new_state: StateValue,
    new_reason: str,
    new_reason_data: str | None,
) -> dict[str, Any]:
    """HistoryData of a StateUpdate history item; the reason data (JSON texts, as the API returns them) are
    nested as objects."""
    old: dict[str, Any] = {"stateValue": str(old_state), "stateReason": old_reason}
    if old_reason_data is not None:
        old["stateReasonData"] = json_fragment(old_reason_data)
    new: dict[str, Any] = {"stateValue": str(new_state), "stateReason": new_reason}
    if new_reason_data is not None:
        new["stateReasonData"] = json_fragment(new_reason_data)
    return {"version": "1.0", "oldState": old, "newState": new}
