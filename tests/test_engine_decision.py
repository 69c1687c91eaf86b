"""The evaluation algorithm against the documented cases A01-A11 ("Configuring how CloudWatch alarms treat missing
data", CloudWatch User Guide), all four modes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trailguard.engine.decision import Datapoint, Rule, StateValue, decide, decide_outcome

OK, ALARM, INSUFFICIENT = StateValue.OK, StateValue.ALARM, StateValue.INSUFFICIENT_DATA
RETAIN = "retain"
MODES = ("missing", "ignore", "breaching", "notBreaching")

# (id, M, datapoints oldest -> newest, expected per mode MISSING / IGNORE / BREACHING / NOT BREACHING); N=3, R=5.
VECTORS = [
    ("A01", 3, "0 - X - X", (OK, OK, OK, OK)),
    ("A02", 3, "0 - - - -", (OK, OK, OK, OK)),
    ("A03", 3, "- - - - -", (INSUFFICIENT, RETAIN, ALARM, OK)),
    ("A04", 3, "0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("A05", 3, "- - X - -", (ALARM, RETAIN, ALARM, OK)),
    ("A06", 2, "0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("A07", 2, "0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
    ("A08", 2, "0 - X - -", (OK, OK, ALARM, OK)),
    ("A09", 2, "- - - - 0", (OK, OK, ALARM, OK)),
    ("A10", 2, "- - - X -", (ALARM, RETAIN, ALARM, OK)),
    # A11 is documented for `missing` only ("does not go into ALARM"); OK there is [I]. The other
    # columns follow from the same rules.
    ("A11", 3, "- - - - X", (OK, OK, ALARM, OK)),
]

THRESHOLD = 2.0


def buckets_from(pattern: str, period_ms: int = 60_000, end_ms: int = 10 * 60_000) -> list[Datapoint]:
    """Newest-first buckets from an oldest -> newest pattern of X (breaching), 0 and - (missing)."""
    out = []
    for j, sym in enumerate(reversed(pattern.split())):
        start = end_ms - (j + 1) * period_ms
        if sym == "-":
            out.append(Datapoint(start, None))
        else:
            value = 5.0 if sym == "X" else 1.0
            out.append(Datapoint(start, value, 1, value > THRESHOLD))
    return out


@pytest.mark.parametrize(("vid", "m", "pattern", "expected"), VECTORS, ids=[v[0] for v in VECTORS])
@pytest.mark.parametrize("mode_index", range(4), ids=MODES)
def test_documented_vectors(vid: str, m: int, pattern: str, expected: tuple[object, ...], mode_index: int) -> None:
    mode = MODES[mode_index]
    decision = decide(buckets_from(pattern), 3, m, mode)
    want = expected[mode_index]
    assert decision.outcome == (None if want == RETAIN else want), (vid, mode, decision)


def test_step_rules_are_reported() -> None:
    assert decide(buckets_from("0 0 X X X"), 3, 3, "missing").rule is Rule.ALL_PRESENT
    assert decide(buckets_from("0 X X - X"), 3, 3, "missing").rule is Rule.MOST_RECENT_REAL
    assert decide(buckets_from("- - - - -"), 3, 3, "missing").rule is Rule.ALL_MISSING
    assert decide(buckets_from("- - X - -"), 3, 3, "missing").rule is Rule.PREMATURE
    assert decide(buckets_from("- - X - -"), 3, 3, "ignore").rule is Rule.PREMATURE
    assert decide(buckets_from("0 - X - -"), 3, 2, "missing").rule is Rule.PARTIAL
    assert decide(buckets_from("0 - X - -"), 3, 2, "breaching").rule is Rule.FILLED


def test_most_recent_real_reaches_back_past_missing_buckets() -> None:
    # A04: the newest N include a missing bucket, 4 real datapoints: the most recent 3 are X X X.
    d = decide(buckets_from("0 X X - X"), 3, 3, "notBreaching")
    assert [p.value for p in d.evaluated] == [5.0, 5.0, 5.0]
    assert d.fillers == 0


def test_fillers_used_as_few_times_as_possible() -> None:
    d = decide(buckets_from("0 - X - -"), 3, 2, "breaching")
    assert len(d.evaluated) == 2 and d.fillers == 1 and d.breaching == 2
    d = decide(buckets_from("- - - - 0"), 3, 2, "notBreaching")
    assert len(d.evaluated) == 1 and d.fillers == 2 and d.breaching == 0


def test_premature_rule_needs_no_real_non_breaching_point_in_range() -> None:
    # "0 - X - -" with M=2: X is 3 buckets old, but the 0 is real and non-breaching -> not premature.
    assert decide(buckets_from("0 - X - -"), 3, 2, "missing").rule is Rule.PARTIAL
    # Without the 0 the same X triggers the premature alarm.
    assert decide(buckets_from("- - X - -"), 3, 2, "missing").outcome is ALARM


def test_premature_rule_needs_the_breach_to_be_m_buckets_old() -> None:
    # A11: one breaching datapoint 1 bucket old, M=3: not ALARM (OK).
    assert decide(buckets_from("- - - - X"), 3, 3, "missing").outcome is OK
    # Two buckets old, M=2: ALARM (A10).
    assert decide(buckets_from("- - - X -"), 3, 2, "missing").outcome is ALARM
    # A breach outside the newest N does not trigger it: X - - - -, M=3 -> OK.
    assert decide(buckets_from("X - - - -"), 3, 3, "missing").outcome is OK


@pytest.mark.parametrize("mode", MODES)
def test_all_present_ignores_treat_missing_data(mode: str) -> None:
    assert decide(buckets_from("- - X X X"), 3, 3, mode).outcome is ALARM
    assert decide(buckets_from("- - X 0 X"), 3, 3, mode).outcome is OK
    assert decide(buckets_from("- - X 0 X"), 3, 2, mode).outcome is ALARM


def test_m_out_of_n() -> None:
    # N=5 (R=7), the 5 newest all present with 3 breaching.
    for m, want in ((1, ALARM), (2, ALARM), (3, ALARM), (4, OK), (5, OK)):
        d = decide(buckets_from("- - 0 X 0 X X"), 5, m, "missing")
        assert d.rule is Rule.ALL_PRESENT and d.breaching == 3
        assert d.outcome is want, m
    # Breaching points need not be consecutive.
    assert decide(buckets_from("X 0 X"), 3, 2, "missing").outcome is ALARM


pattern_strategy = st.lists(st.sampled_from(["X", "0", "-"]), min_size=1, max_size=12)


@given(pattern_strategy, st.integers(1, 6), st.data())
def test_decision_invariants(symbols: list[str], n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n))
    mode = data.draw(st.sampled_from(MODES))
    buckets = buckets_from(" ".join(symbols))
    d = decide(buckets, n, m, mode)
    reals = [b for b in buckets if b.value is not None]
    # Evaluated points are real, newest first, and never more than N.
    assert all(p.value is not None for p in d.evaluated)
    assert len(d.evaluated) <= n
    assert [p.timestamp_ms for p in d.evaluated] == sorted((p.timestamp_ms for p in d.evaluated), reverse=True)
    if not reals:
        assert d.rule is Rule.ALL_MISSING
        return
    assert d.outcome is not INSUFFICIENT  # INSUFFICIENT_DATA only when the whole range is missing
    if len(reals) >= n:
        assert len(d.evaluated) == n and d.fillers == 0
    if d.rule is Rule.FILLED:
        assert len(d.evaluated) + d.fillers == n
    if mode in ("breaching", "notBreaching"):
        assert d.outcome is not None
    if d.outcome is ALARM and d.rule is not Rule.PREMATURE:
        assert d.breaching >= m
    if d.outcome is OK:
        assert d.breaching < m


@given(st.lists(st.sampled_from(["X", "0", "-"]), min_size=3, max_size=12), st.integers(1, 6), st.data())
def test_outcome_alone_equals_the_full_decision(symbols: list[str], n: int, data: st.DataObject) -> None:
    """decide_outcome (what AlarmEvaluator.advance decides most evaluations with) agrees with decide on every
    range: the outcome, and whether the whole range was missing."""
    n = min(n, len(symbols) - 2)  # R = N + max(N // 3, 2) buckets hold at least N + 2
    m = data.draw(st.integers(1, n))
    mode = data.draw(st.sampled_from([*MODES, "unrecognised"]))
    buckets = buckets_from(" ".join(symbols))
    full = decide(buckets, n, m, mode)
    real = [(index, bool(b.breaching)) for index, b in enumerate(buckets) if b.value is not None]
    assert decide_outcome(real, n, m, mode) == (full.outcome, full.rule is Rule.ALL_MISSING)
