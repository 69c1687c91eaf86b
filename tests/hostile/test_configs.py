"""Hostile configuration files through ``monitors validate`` (0 valid, 1 invalid, 2 unreadable) and ``replay
--config`` (2 for any configuration error): YAML bombs, deep nesting, huge numbers, huge files, garbage."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

from generate import delivery, record
from harness import MB, Snapshot, check, run, run_cases

FILTER = (
    "  - {filterName: f, logGroupName: trail, filterPattern: '{ $.eventName = ConsoleLogin }', "
    "metricTransformations: [{metricName: m, metricNamespace: n, metricValue: '1'}]}\n"
)


def billion_laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append("metricFilters: *i")
    return "\n".join(lines).encode() + b"\n"


def huge_numbers() -> bytes:
    return (
        "metricFilters:\n"
        "  - {filterName: f, logGroupName: trail, filterPattern: '{ $.a = 1e999999 }',\n"
        "     metricTransformations: [{metricName: m, metricNamespace: n, metricValue: '1e999999',"
        " defaultValue: 1e999999}]}\n"
        "alarms:\n"
        "  - {AlarmName: a, MetricName: m, Namespace: n, Statistic: Sum, Period: 1e999,\n"
        f"     EvaluationPeriods: {'9' * 5000}, DatapointsToAlarm: -1, Threshold: .nan,\n"
        "     ComparisonOperator: GreaterThanThreshold}\n"
    ).encode()


# name -> (file name, contents, validate's status)
CONFIGS: dict[str, tuple[str, bytes, int]] = {
    "billion laughs": ("laughs.yaml", billion_laughs(), 1),
    "YAML nested 20,000 deep": ("deep.yaml", b"[" * 20_000 + b"]" * 20_000, 1),
    "JSON nested 20,000 deep": ("deep.json", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, 1),
    "an alias to itself": ("self.yaml", b"a: &a [*a]\n", 1),
    "huge and impossible numbers": ("numbers.yaml", huge_numbers(), 1),
    "a 5,000-character pattern": ("long.yaml", FILTER.replace("ConsoleLogin", "x" * 5000).encode(), 1),
    "random bytes": ("random.yaml", os.urandom(100_000), 1),
    "UTF-16": ("utf16.yaml", "metricFilters: []\n".encode("utf-16"), 1),
    "a custom tag": ("tag.yaml", b"metricFilters: !Ref Filters\n", 1),
    "a thousand filters": ("many.yaml", ("metricFilters:\n" + FILTER * 1000).encode(), 1),
    "just under the size cap": ("big.yaml", b"# " + b"x" * (1024 * 1024 - 100) + b"\nmetricFilters: []\n", 0),
    "over the size cap": ("huge.yaml", b"metricFilters:\n" + FILTER.encode() * 20_000, 2),
    "empty": ("empty.yaml", b"", 1),
    "a lone NUL": ("nul.yaml", b"\x00", 1),
}


# Also given to replay (which reads them through the same code; one of each kind is enough).
REPLAYED = (
    "billion laughs",
    "YAML nested 20,000 deep",
    "huge and impossible numbers",
    "over the size cap",
    "a lone NUL",
)


def test_hostile_configurations(tmp_path: Path) -> None:
    def case(name: str) -> None:
        file_name, contents, status = CONFIGS[name]
        folder = tmp_path / file_name.replace(".", "-")
        folder.mkdir()
        (folder / file_name).write_bytes(contents)
        (folder / "trail.json").write_bytes(delivery([record(1)]))
        snapshot = Snapshot(folder)
        check(run(["monitors", "validate", file_name], cwd=folder), status=status, peak_bytes=400 * MB)
        if name in REPLAYED:
            replayed = run(["replay", "trail.json", "--config", file_name], cwd=folder)
            check(replayed, status=2, peak_bytes=400 * MB)
        snapshot.assert_unchanged()

    run_cases({name: partial(case, name) for name in CONFIGS})


def test_folder_and_missing_file_as_configuration(tmp_path: Path) -> None:
    (tmp_path / "trail.json").write_bytes(delivery([record(1)]))
    (tmp_path / "folder.yaml").mkdir()
    for config in ("folder.yaml", "missing.yaml"):
        check(run(["replay", "trail.json", "--config", config], cwd=tmp_path), status=2)
        check(run(["monitors", "validate", config], cwd=tmp_path), status={1, 2})


def test_valid_configuration_still_replays(tmp_path: Path) -> None:
    # The control: the same harness, a good configuration, a good replay.
    (tmp_path / "monitors.yaml").write_text("metricFilters:\n" + FILTER)
    (tmp_path / "trail.json").write_bytes(delivery([record(1)]))
    result = run(["replay", "trail.json", "--config", "monitors.yaml", "--output", "json"], cwd=tmp_path)
    check(result, status=0)
    assert json.loads(result.stdout)["input"]["events"] == 1
