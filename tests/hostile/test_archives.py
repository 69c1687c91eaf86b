"""Hostile CloudTrail archives through ``trailguard replay``: damaged gzip, bombs, malformed and extreme JSON,
huge records, odd event times, random damage. Each run is a separate process, measured (harness.py)."""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path

import pytest
from generate import (
    EXTREME_EVENT_TIMES,
    MIB,
    delivery,
    fuzz_files,
    gz,
    gzip_variants,
    json_variants,
    record,
    zero_bomb,
)
from harness import MB, Snapshot, check, replay_files, run, run_cases

GZIP = gzip_variants()
JSON = json_variants()


def test_damaged_gzip(tmp_path: Path) -> None:
    def case(name: str) -> None:
        data, status = GZIP[name]
        outcome = replay_files(tmp_path / name, {"trail.json.gz": data}, status=status)
        if status == 2:
            assert outcome.reasons <= {"invalid gzip", "not valid JSON"}, outcome.run.describe()

    run_cases({name: partial(case, name) for name in GZIP})


def test_malformed_and_extreme_json(tmp_path: Path) -> None:
    def case(name: str) -> None:
        data, status, reasons = JSON[name]
        outcome = replay_files(tmp_path / name, {"trail.json": data}, status=status)
        if reasons is not None:
            assert outcome.reasons == reasons, outcome.run.describe()

    run_cases({name: partial(case, name) for name in JSON})


def test_every_kind_of_damage_at_once_in_one_folder(tmp_path: Path) -> None:
    # 300 randomly damaged files beside one good one: the good records are replayed, the run does not stop.
    files = fuzz_files(seed=20261120, count=300)
    files["good/trail.json.gz"] = gz(delivery([record(n) for n in range(10)]))
    outcome = replay_files(tmp_path, files, status=0, seconds=120)
    assert outcome.document is not None
    summary = outcome.document["input"]
    assert isinstance(summary, dict) and summary["events"] >= 10 and summary["quarantined"] > 0


# --- bombs and big inputs, generated once per session ---------------------------------------------------


def test_two_gigabyte_gzip_bomb(tmp_path: Path, big_inputs: Path) -> None:
    bomb = big_inputs / "bomb-2g.json.gz"
    snapshot = Snapshot(big_inputs)
    outcome = replay_files(tmp_path, {}, sources=[str(bomb)], status=2, seconds=30, peak_bytes=250 * MB)
    assert outcome.reasons == {"gzip bomb"}
    snapshot.assert_unchanged()


def test_gzip_bomb_on_standard_input(tmp_path: Path) -> None:
    outcome = replay_files(
        tmp_path, {}, sources=["-"], input_bytes=zero_bomb(512 * MIB), status=2, seconds=30, peak_bytes=250 * MB
    )
    assert outcome.reasons == {"gzip bomb"}


def test_bomb_of_valid_records(tmp_path: Path, big_inputs: Path) -> None:
    outcome = replay_files(
        tmp_path, {}, sources=[str(big_inputs / "lines-bomb.json.gz")], status=2, seconds=30, peak_bytes=400 * MB
    )
    assert outcome.reasons == {"gzip bomb"}


def test_bomb_after_a_good_member(tmp_path: Path) -> None:
    good = gz(delivery([record(1)]))
    outcome = replay_files(tmp_path, {"trail.json.gz": good + zero_bomb(256 * MIB)}, status=2, peak_bytes=250 * MB)
    assert outcome.reasons == {"gzip bomb"}


def test_gigabyte_of_nul_bytes(tmp_path: Path, big_inputs: Path) -> None:
    outcome = replay_files(
        tmp_path, {}, sources=[str(big_inputs / "nul-1g.bin")], status=2, seconds=30, peak_bytes=250 * MB
    )
    assert outcome.reasons == {"document over 32 MiB"}


def test_json_lines_larger_than_the_parse_cap_are_streamed(tmp_path: Path, big_inputs: Path) -> None:
    outcome = replay_files(
        tmp_path, {}, sources=[str(big_inputs / "lines-40m.jsonl")], status=0, seconds=120, peak_bytes=300 * MB
    )
    assert outcome.document is not None
    summary = outcome.document["input"]
    assert isinstance(summary, dict) and summary["events"] == 24_000 and summary["quarantined"] == 2
    positions = [json.loads(line)["position"] for line in outcome.quarantine.read_text().splitlines()]
    assert positions == [102, 20_003]  # line numbers, counted through the whole stream


def test_record_just_under_the_parse_cap(tmp_path: Path) -> None:
    big = delivery([record(1), record(2, requestParameters={"pad": "x" * (31 * MIB)})])
    outcome = replay_files(tmp_path, {"trail.json": big}, status=0, peak_bytes=450 * MB)
    assert outcome.reasons == {"message over 256 KB"}


def test_single_line_over_the_parse_cap(tmp_path: Path) -> None:
    big = delivery([record(1), record(2, requestParameters={"pad": "x" * (33 * MIB)})])
    outcome = replay_files(tmp_path, {"trail.json": big}, status=2, peak_bytes=250 * MB)
    assert outcome.reasons == {"document over 32 MiB"}


def test_hundreds_of_thousands_of_tiny_lines(tmp_path: Path) -> None:
    lines = b"0\n" * 250_000 + json.dumps(record(1)).encode() + b"\n"
    outcome = replay_files(tmp_path, {"lines.jsonl": lines}, status=0, seconds=90, peak_bytes=300 * MB)
    assert outcome.reasons == {"record is not a JSON object"}
    written = outcome.quarantine.read_text().splitlines()
    assert len(written) == 10_001  # 10,000 entries, then one line counting the rest


# --- event times ----------------------------------------------------------------------------------------


def test_odd_and_extreme_event_times(tmp_path: Path) -> None:
    records = [record(0)] + [record(n + 1, eventTime=value) for n, value in enumerate(EXTREME_EVENT_TIMES.values())]
    outcome = replay_files(tmp_path, {"times.json": delivery(records)}, status=0)
    assert outcome.document is not None
    summary = outcome.document["input"]
    assert isinstance(summary, dict)
    # Twelve fraction digits are still ISO 8601 (truncated to the millisecond); everything else is set aside.
    assert summary["events"] == 2 and summary["quarantined"] == len(EXTREME_EVENT_TIMES) - 1


def test_events_eight_thousand_years_apart(tmp_path: Path) -> None:
    # Alarms are evaluated every minute of event time between the first event and the last: quiet spans are
    # skipped, so 8,000 years cost no more than a day.
    records = [
        record(1, eventTime="1970-01-01T00:00:00Z"),
        record(2, eventTime="2026-11-20T09:10:00Z"),
        record(3, eventTime="9998-12-31T23:59:59Z"),
    ]
    outcome = replay_files(tmp_path, {"far.json": delivery(records)}, status=0, extra=["--cis", "all"])
    assert outcome.reasons == set()


def test_a_thousand_alarms_over_decades(tmp_path: Path) -> None:
    # Each failed sign-in is alone in its own day: each raises the CIS 4.6 alarm and lets it fall back, 2,000
    # transitions with their notifications. (Linear: about 2.5 ms each, mostly formatting the alarm history.)
    base = 946_684_800  # 2000-01-01T00:00:00Z, in seconds
    lines = b"".join(json.dumps(record(n, eventTime=_iso(base + n * 86_400 * 9))).encode() + b"\n" for n in range(1000))
    outcome = replay_files(tmp_path, {"days.jsonl": lines}, status=0, peak_bytes=300 * MB)
    assert outcome.reasons == set() and outcome.document is not None
    (alarm,) = outcome.document["alarms"]  # type: ignore[misc]
    assert len(alarm["transitions"]) == 2000


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# --- the same input through standard input --------------------------------------------------------------


@pytest.mark.parametrize("name", ["truncated in the middle", "trailing garbage", "two members"])
def test_damaged_gzip_on_standard_input(tmp_path: Path, name: str) -> None:
    data, status = GZIP[name]
    outcome = replay_files(tmp_path, {}, sources=["-"], input_bytes=data, status=status)
    if status == 2:
        assert outcome.quarantine.exists()
        (line,) = outcome.quarantine.read_text().splitlines()
        assert "raw_base64" in json.loads(line)  # standard input cannot be read again: its head is kept


def test_nul_bytes_on_standard_input(tmp_path: Path, big_inputs: Path) -> None:
    root = tmp_path
    result = run(
        ["replay", "-", "--quarantine", str(root / "q.jsonl")],
        cwd=root,
        stdin_path=big_inputs / "nul-1g.bin",
    )
    check(result, status=2, seconds=30, peak_bytes=250 * MB, quarantine=root / "q.jsonl")
