"""The alarm evaluation algorithm as a pure function: R buckets in, a decision out.

Buckets are given newest first. Steps ("Configuring how CloudWatch alarms treat missing data", CloudWatch User
Guide, whose table of cases tests/test_engine_decision.py replays; docs/semantics.md "Alarm evaluation"):

1. one statistic per bucket over the R buckets; a bucket without samples is missing;
2. no missing bucket among the newest N: ALARM if at least M of them breach, else OK;
3. else, if the range holds >= N real datapoints: the same test over the most recent N real ones
   (TreatMissingData plays no part);
4. else, if every bucket is missing: missing -> INSUFFICIENT_DATA, breaching -> ALARM,
   notBreaching -> OK, ignore -> keep the current state;
5. else (fewer than N real datapoints):

   * ``missing``/``ignore``: the premature-alarm rule first: when the oldest breaching datapoint
     among the newest N is at least M buckets old (newest = 1) and no real non-breaching
     datapoint is in the range, the result is ALARM (``ignore``: keep the state). Otherwise ALARM
     if at least M of the real datapoints breach, else OK.
   * ``breaching``/``notBreaching``: all real datapoints plus N - #real fillers of that kind;
     ALARM if at least M breach, else OK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Datapoint", "Decision", "Rule", "StateValue", "decide", "decide_outcome"]


class StateValue(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Rule(StrEnum):
    """Which step of the evaluation algorithm decided."""

    ALL_PRESENT = "all-present"  # step 2
    MOST_RECENT_REAL = "most-recent-real"  # step 3
    ALL_MISSING = "all-missing"  # step 4
    PREMATURE = "premature"  # step 5, premature-alarm rule
    PARTIAL = "partial"  # step 5, missing/ignore: count the real datapoints
    FILLED = "filled"  # step 5, breaching/notBreaching: real datapoints plus fillers
    LOW_SAMPLE = "low-sample"  # not evaluated: EvaluateLowSampleCountPercentile=ignore


@dataclass(frozen=True, slots=True)
class Datapoint:
    """One alarm bucket: its start time, statistic value (None = missing) and verdict."""

    timestamp_ms: int
    value: float | None = None
    sample_count: int = 0
    breaching: bool | None = None
    low_sample: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: StateValue | None  # None: keep the current state
    rule: Rule
    evaluated: tuple[Datapoint, ...] = ()  # the real datapoints the decision used, newest first
    fillers: int = 0  # missing datapoints filled in by TreatMissingData (rule FILLED)
    breaching: int = 0  # breaching datapoints counted, fillers included
    missing: tuple[Datapoint, ...] = ()  # rule ALL_MISSING: the newest N (missing) buckets


def decide(
    buckets: Sequence[Datapoint],
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: str,
) -> Decision:
    """The evaluation algorithm over R buckets, newest first (see the module docstring).

    ``outcome`` None means "keep the current state" (``ignore``); the caller applies it.
    """
    n, m = evaluation_periods, datapoints_to_alarm
    if treat_missing_data not in ("breaching", "notBreaching", "ignore"):
        treat_missing_data = "missing"  # the default (and the reading of anything unrecognised)
    newest = buckets[:n]
    real = [b for b in buckets if b.value is not None]

    def verdict(points: Sequence[Datapoint], rule: Rule, fillers: int = 0, filler_breaches: bool = False) -> Decision:
        breaching = sum(1 for p in points if p.breaching) + (fillers if filler_breaches else 0)
        outcome = StateValue.ALARM if breaching >= m else StateValue.OK
        return Decision(outcome, rule, tuple(points), fillers, breaching)

    if len(newest) == n and all(b.value is not None for b in newest):
        return verdict(newest, Rule.ALL_PRESENT)
    if len(real) >= n:
        return verdict(real[:n], Rule.MOST_RECENT_REAL)
    if not real:
        outcome = {
            "missing": StateValue.INSUFFICIENT_DATA,
            "breaching": StateValue.ALARM,
            "notBreaching": StateValue.OK,
        }.get(treat_missing_data)
        return Decision(outcome, Rule.ALL_MISSING, missing=tuple(newest))
    if treat_missing_data in ("breaching", "notBreaching"):
        return verdict(real, Rule.FILLED, n - len(real), treat_missing_data == "breaching")
    # missing / ignore with fewer than N real datapoints.
    oldest_breaching = 0  # 1-based age of the oldest breaching datapoint among the newest N
    for age, b in enumerate(newest, start=1):
        if b.breaching:
            oldest_breaching = age
    if oldest_breaching >= m and oldest_breaching > 0 and not any(b.breaching is False for b in real):
        points = tuple(b for b in newest if b.breaching)
        outcome = StateValue.ALARM if treat_missing_data != "ignore" else None
        return Decision(outcome, Rule.PREMATURE, points, 0, len(points))
    return verdict(real, Rule.PARTIAL)


_ALL_MISSING_OUTCOMES: dict[str, StateValue | None] = {
    "missing": StateValue.INSUFFICIENT_DATA,
    "breaching": StateValue.ALARM,
    "notBreaching": StateValue.OK,
}


def decide_outcome(
    real: Sequence[tuple[int, bool]],
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: str,
) -> tuple[StateValue | None, bool]:
    """:func:`decide`'s outcome, and whether its rule is ``ALL_MISSING``, from the real datapoints alone.

    ``real`` lists the buckets that hold a datapoint as (bucket index, breaching), newest first (index 0 is the
    newest bucket). The same steps as :func:`decide`, without building datapoints or a decision: an alarm
    evaluated every minute of a long replay mostly keeps its state, and only needs the full decision (for its
    reason texts) when the outcome is a change. Steps 2 and 3 merge here: when the newest N buckets all hold
    data, they are the N most recent real datapoints.
    """
    n, m = evaluation_periods, datapoints_to_alarm
    if treat_missing_data not in ("breaching", "notBreaching", "ignore"):
        treat_missing_data = "missing"
    if not real:
        return _ALL_MISSING_OUTCOMES.get(treat_missing_data), True
    if len(real) >= n:
        breaching = sum(1 for _, breaches in real[:n] if breaches)
        return (StateValue.ALARM if breaching >= m else StateValue.OK), False
    breaching = sum(1 for _, breaches in real if breaches)
    if treat_missing_data in ("breaching", "notBreaching"):
        if treat_missing_data == "breaching":
            breaching += n - len(real)
        return (StateValue.ALARM if breaching >= m else StateValue.OK), False
    oldest_breaching = 0
    for index, breaches in real:
        if index < n and breaches:
            oldest_breaching = index + 1
    if oldest_breaching >= m and oldest_breaching > 0 and breaching == len(real):
        return (StateValue.ALARM if treat_missing_data != "ignore" else None), False
    return (StateValue.ALARM if breaching >= m else StateValue.OK), False
