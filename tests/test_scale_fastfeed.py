"""The fast feed gives exactly what the full path gives: the same metric datapoints, counters, window, counts and
quarantine file, on generated CloudTrail documents full of what the fast reader must notice (escapes, exponents,
big integers, surrogates, huge and deep records, missing fields, values that are not strings, odd layouts); and
on the real corpus, the same JSON document from the command line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailguard.cli.config_file import read_config
from trailguard.engine.replay import Replay
from trailguard.scale import ReplayPlan, run_replay
from trailguard.scale.feed import fast_reader_for
from trailguard.sources import AwsOptions, Quarantine, SourceStats
from trailguard.sources.fastfeed import QuietEvents

CONFIG = """
metricFilters:
  - filterName: ConsoleFailures
    filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    metricTransformations: [{metricName: ConsoleFailures, metricNamespace: T, metricValue: "1"}]
  - filterName: Unauthorized
    filterPattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")
      && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    metricTransformations: [{metricName: Unauthorized, metricNamespace: T, metricValue: "1"}]
  - filterName: Root
    filterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS
      && $.eventType != "AwsServiceEvent" }'
    metricTransformations: [{metricName: Root, metricNamespace: T, metricValue: "1"}]
  - filterName: TrailChanges
    filterPattern: '{ ($.eventName = CreateTrail) || ($.eventName = DeleteTrail) || ($.eventName = 7) }'
    metricTransformations: [{metricName: TrailChanges, metricNamespace: T, metricValue: "$.requestParameters.n",
      defaultValue: 0}]
  - filterName: BySource
    filterPattern: '{ $.eventSource = "*.amazonaws.com" && $.n > 1 }'
    metricTransformations: [{metricName: BySource, metricNamespace: T, metricValue: "$.n",
      dimensions: {Source: "$.eventSource"}}]
  - filterName: Flagged
    filterPattern: '{ $.flag IS TRUE || $.userIdentity.type = %^[A-Z]oo% }'
    metricTransformations: [{metricName: Flagged, metricNamespace: T, metricValue: "1", defaultValue: 0}]
alarms:
  - AlarmName: Failures
    Namespace: T
    MetricName: ConsoleFailures
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
"""


class Raw:
    """JSON text written as is (numbers orjson cannot hold, escapes, broken bytes)."""

    def __init__(self, text: bytes) -> None:
        self.text = text


def dump(value: Any, spaced: bool) -> bytes:
    separator, colon = (b", ", b": ") if spaced else (b",", b":")
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return b"{" + separator.join(dump(k, spaced) + colon + dump(v, spaced) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        return b"[" + separator.join(dump(v, spaced) for v in value) + b"]"
    return json.dumps(value, ensure_ascii=False).encode()


NAMES = ["ConsoleLogin", "CreateTrail", "DeleteTrail", "GetObject", "HeadBucket", "Decrypt", "7"]
times = st.one_of(
    st.integers(0, 3).map(lambda minute: f"2026-01-01T00:0{minute}:1{minute}Z"),
    st.sampled_from(["2026-01-01T00:00:00.123+00:00", "2026-01-01T01:00:00Z"]),
)
odd_times = st.sampled_from([Raw(b"12"), "not a time", "1969-12-31T23:59:59Z", "2026-02-30T00:00:00Z", None])
odd_values = st.sampled_from(
    [
        Raw(b"1e5"),
        Raw(b"-0"),
        Raw(b"2.5E-3"),
        Raw(b"123456789012345678901234567890"),
        Raw(b"1e309"),
        Raw(b'"Console\\u004cogin"'),
        Raw(b'"\\ud83d\\ude00"'),
        Raw(b'"\\u00e9t\\u00e9"'),
        Raw(b'"a\\/b\\"c"'),
        7,
        2.0,
        True,
        None,
        [],
        {"type": "Root"},
        "caf\u00e9",
        "\u2028",
    ]
)
hostile_values = st.sampled_from(
    [
        Raw(b'"\\ud800"'),  # a lone surrogate: not serializable
        Raw(b'"\xff"'),  # not UTF-8
        Raw(b"[" * 300 + b"]" * 300),  # too deep for a message
        Raw(b"[" * 250 + b"]" * 250),  # deep, still writable: the whole document may then be too deep to vouch for
        Raw(b"9" * 4400),  # an integer too long to read
        Raw(b'"' + b"x" * 40_000 + b'"'),  # a long record: measured by the full path
        Raw(b'"' + b"x" * 270_000 + b'"'),  # over 256 KB
        Raw(b"NaN"),
    ]
)
plain_text = st.sampled_from(["a", "AccessDenied", "Client.UnauthorizedOperation", "delivery.logs.amazonaws.com"])


@st.composite
def records(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([1, "text", None, [1]]))  # not an object
    record: dict[str, Any] = {"eventVersion": "1.08"}
    if draw(st.integers(0, 15)) > 0:
        record["eventTime"] = draw(times) if draw(st.integers(0, 12)) else draw(odd_times)
    fields = {
        "eventName": st.one_of(st.sampled_from(NAMES), odd_values),
        "eventSource": st.one_of(st.sampled_from(["s3.amazonaws.com", "kms.amazonaws.com", "x"]), odd_values),
        "errorCode": st.one_of(plain_text, odd_values),
        "errorMessage": st.sampled_from(["Failed authentication", "nope"]),
        "sourceIPAddress": st.one_of(plain_text, odd_values),
        "eventType": st.sampled_from(["AwsApiCall", "AwsServiceEvent"]),
        "userIdentity": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": st.one_of(st.sampled_from(["Root", "IAMUser", "Zoo"]), odd_values),
                    "invokedBy": st.just("x"),
                },
            ),
            odd_values,
        ),
        "requestParameters": st.fixed_dictionaries({}, optional={"n": st.one_of(st.integers(-3, 9), odd_values)}),
        "n": st.one_of(st.integers(0, 5), odd_values),
        "flag": st.one_of(st.booleans(), odd_values),
        "padding": st.one_of(plain_text, plain_text, plain_text, odd_values, hostile_values),
    }
    for name, values in fields.items():
        if draw(st.integers(0, 2)) == 0:
            record[name] = draw(values)
    if draw(st.integers(0, 10)) == 0:
        record["eventName"] = draw(st.sampled_from(NAMES))  # a duplicate key: the last one counts
    return record


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(records(), max_size=8))
    spaced = draw(st.integers(0, 4)) == 0
    shape = draw(st.sampled_from(["records", "records", "records", "array", "lines", "two-records-keys"]))
    if shape == "records":
        text = dump({"Records": items}, spaced)
    elif shape == "array":
        text = dump(items, spaced)
    elif shape == "lines":
        text = b"\n".join(dump(item, spaced) for item in items)
    else:
        text = b'{"Records":' + dump(items[:1], spaced) + b',"Records":' + dump(items, spaced) + b"}"
    if draw(st.integers(0, 10)) == 0:
        text = b"\xef\xbb\xbf" + text
    if draw(st.integers(0, 5)) == 0:
        text += b"\n"
    if draw(st.booleans()):
        text = gzip.compress(text, mtime=0)
    return text


@dataclass
class Outcome:
    store: dict[str, Any]
    counters: list[dict[str, Any]]
    window: tuple[Any, ...]
    stats: tuple[Any, ...]
    quarantine: bytes
    entries: list[Any]


def replay(folder: Path, fast: bool, quarantine_path: Path, jobs: int = 1) -> Outcome:
    config = read_config(str(folder.parent / "monitors.yaml"))
    plan = ReplayPlan(tuple(config.metric_filters), tuple(config.alarms), region="us-east-1", account_id="1", fast=fast)
    stats = SourceStats()
    with Quarantine(quarantine_path) as quarantine:
        outcome = run_replay(
            plan,
            [(str(folder), config.metric_filters[0].log_group_name)],
            quarantine,
            AwsOptions(),
            stats,
            make_replay=plan.new_replay,
            jobs=jobs,
        )
    engine: Replay = outcome.replays.get(()) or plan.new_replay()
    result = engine.finish()
    return Outcome(
        engine.store.to_dict(),
        [f.counters.as_dict() for f in engine.filters],
        (result.events, result.outside_window, result.first_event_ms, result.last_event_ms, result.events_by_log_group),
        (stats.files_read, stats.bytes_read, stats.bytes_decoded, stats.events, stats.files_skipped),
        quarantine_path.read_bytes() if quarantine_path.exists() else b"",
        quarantine.entries,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fastfeed")
    (root / "monitors.yaml").write_text(CONFIG)
    return root


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(documents(), min_size=1, max_size=4))
def test_fast_feed_equals_full_path(workspace: Path, files: list[bytes]) -> None:
    folder = workspace / "input"
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(exist_ok=True)
    for number, content in enumerate(files):
        (folder / f"{number:02d}.json.gz").write_bytes(content)
    full = replay(folder, False, workspace / "full.jsonl")
    fast = replay(folder, True, workspace / "fast.jsonl")
    assert fast == full
    for name in ("full.jsonl", "fast.jsonl"):
        (workspace / name).unlink(missing_ok=True)


def test_the_fast_reader_reads_cloudtrail_files_itself(workspace: Path) -> None:
    """A plain CloudTrail file is read fast (no fallback), and only candidates are parsed in full."""
    config = read_config(str(workspace / "monitors.yaml"))
    plan = ReplayPlan(tuple(config.metric_filters), tuple(config.alarms), region="us-east-1", account_id="1")
    reader = fast_reader_for(plan, config.metric_filters[0].log_group_name)
    assert reader is not None
    records = [
        {"eventTime": "2026-01-01T00:00:00Z", "eventName": "GetObject", "eventSource": "s3.amazonaws.com"},
        {"eventTime": "2026-01-01T00:00:01Z", "eventName": "CreateTrail"},
        {"eventTime": "2026-01-01T00:00:02Z", "eventName": "Decrypt", "userIdentity": {"type": "AWSService"}},
    ]
    items = reader.read_document(json.dumps({"Records": records}, separators=(",", ":")).encode(), "f")
    assert items is not None
    assert [type(item).__name__ for item in items] == ["QuietEvents", "SourceEvent", "QuietEvents"]
    assert isinstance(items[0], QuietEvents) and items[0].timestamps == [1767225600000]
    # What the full path must read instead: a record without eventTime, a deep one, a lone surrogate, bad UTF-8.
    for bad in (b'{"eventName":"x"}', b'{"eventTime":"2026-01-01T00:00:00Z","a":' + b"[" * 300 + b"]" * 300 + b"}"):
        assert reader.read_document(b'{"Records":[' + bad + b"]}", "f") is None
    assert reader.read_document(b'{"Records":[{"eventTime":"2026-01-01T00:00:00Z","a":"\\ud800"}]}', "f") is None
    assert reader.read_document(b'{"Records":[{"eventTime":"2026-01-01T00:00:00Z","a":"\xff"}]}', "f") is None


def test_real_corpus_same_document_both_ways(cloudtrail_corpus: Path, tmp_path: Path) -> None:
    outputs = []
    for feed in ("full", "fast"):
        quarantine = tmp_path / "quarantine.jsonl"
        command = [
            sys.executable,
            "-m",
            "trailguard",
            "replay",
            str(cloudtrail_corpus),
            "--cis",
            "all",
            "--output",
            "json",
            "--quarantine",
            str(quarantine),
            "--no-progress",
            "--jobs",
            "1",
            "--feed",
            feed,
        ]
        completed = subprocess.run(command, capture_output=True, check=True)
        outputs.append((completed.stdout, quarantine.read_bytes()))
        quarantine.unlink()
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0][0])
    assert document["input"]["events"] > 30_000 and document["input"]["quarantined"] > 0
