"""Hostile filter patterns and messages through ``trailguard test-pattern`` (and a configuration's filter
through ``replay``): patterns come from other people's accounts, so none may stop a run, exhaust memory or end
in a traceback. test-pattern's documented status: 0 some event matched, 1 none did, 2 invalid pattern or input.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

from generate import record
from harness import MB, Snapshot, check, run, run_cases

# pattern -> (message lines, allowed statuses). Each pattern is at most AWS's 1,024 characters unless the
# case is about length.
PATTERNS: dict[str, tuple[str, list[str], set[int]]] = {
    "1,025 characters": ("x" * 1025, ["x"], {2}),
    "1,024 characters of one term": ("x" * 1024, ["x" * 1024], {0}),
    "500 nested parentheses": ("{ " + "(" * 500 + "$.a = 1" + ")" * 500 + " }", ['{"a":1}'], {2}),
    "100 nested parentheses": ("{ " + "(" * 100 + "$.a = 1" + ")" * 100 + " }", ['{"a":1}'], {0}),
    "101 nested parentheses": ("{ " + "(" * 101 + "$.a = 1" + ")" * 101 + " }", ['{"a":1}'], {2}),
    "a selector of 300 steps": ("{ $." + ".".join(["a"] * 300) + " = 1 }", ['{"a":{"a":1}}'], {1}),
    "80 alternatives": ("{ " + " || ".join(f"$.a = {n}" for n in range(80)) + " }", ['{"a":79}'], {0}),
    "150 delimited fields": ("[" + ",".join(f"f{n}" for n in range(150)) + "]", [" ".join(["x"] * 100_000)], {0}),
    "60 ellipses": ("[..., " + ", ..., ".join(f"f{n}=x" for n in range(60)) + "]", [" ".join(["x"] * 5000)], {0, 1, 2}),
    "four wildcards": ("{ $.a[*].b[*].c[*].d[*] = 1 }", ['{"a":[]}'], {2}),
    "three regexes": ("%a% %b% %c%", ["abc"], {2}),
    "an unterminated regex": ("{ $.a = %abc }", ['{"a":"abc"}'], {2}),
    "an unterminated string": ('{ $.a = "abc }', ['{"a":"abc"}'], {2}),
    "a huge number": ("{ $.a = 1e999999999 }", ['{"a":1e999999999}', '{"a":1}'], {0, 1}),
    "a 300-digit number": ("{ $.a > " + "9" * 300 + " }", ['{"a":1e301}', '{"a":1}'], {0, 1}),
    "control characters": ("a\x01\x02\x7f", ["a\x01\x02\x7f"], {0, 1, 2}),
    "not UTF-8 (surrogate escapes in argv)": ("caf\udce9", ["cafe"], {1, 2}),
    "only spaces": ("   ", ["anything"], {0, 2}),
    "a JSON pattern on deeply nested messages": (
        "{ $.a[0][0] = 1 }",
        ['{"a":' + "[" * 100_000 + "]" * 100_000 + "}", '{"a":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"],
        {1},
    ),
    "a JSON pattern on a 5,000-digit number": ("{ $.n > 5 }", ['{"n":' + "9" * 5000 + "}"], {0, 1}),
    "a JSON pattern on a megabyte message": ("{ $.a = %b+% }", ['{"a":"' + "b" * 1_000_000 + '"}'], {0}),
}


def test_hostile_patterns(tmp_path: Path) -> None:
    def case(name: str) -> None:
        pattern, lines, statuses = PATTERNS[name]
        folder = tmp_path / str(abs(hash(name)))
        folder.mkdir()
        messages = folder / "messages.log"
        messages.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
        snapshot = Snapshot(folder)
        result = run(["test-pattern", pattern, str(messages)], cwd=folder)
        check(result, status=statuses)
        snapshot.assert_unchanged()

    run_cases({name: partial(case, name) for name in PATTERNS})


def test_hostile_messages_on_standard_input(tmp_path: Path) -> None:
    inputs = {
        "random bytes": os.urandom(4 * MB),
        "one 3 MB line": b"ERROR " + b"x" * (3 * MB),
        "a million empty lines": b"\n" * 1_000_000,
        "NUL bytes": b"\x00" * (2 * MB),
    }

    def case(name: str) -> None:
        result = run(["test-pattern", "ERROR", "-"], cwd=tmp_path, input_bytes=inputs[name])
        check(result, status={0, 1})

    run_cases({name: partial(case, name) for name in inputs})


def test_hostile_pattern_in_a_configuration_is_refused_before_reading(tmp_path: Path) -> None:
    pattern = "{ " + "(" * 500 + "$.a = 1" + ")" * 500 + " }"
    config = tmp_path / "monitors.json"
    config.write_text(
        json.dumps(
            {
                "metricFilters": [
                    {
                        "filterName": "deep",
                        "logGroupName": "trail",
                        "filterPattern": pattern,
                        "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}],
                    }
                ]
            }
        )
    )
    (tmp_path / "trail.json").write_text(json.dumps({"Records": [record(1)]}))
    snapshot = Snapshot(tmp_path)
    check(run(["monitors", "validate", "monitors.json"], cwd=tmp_path), status=1)
    check(run(["replay", "trail.json", "--config", "monitors.json"], cwd=tmp_path), status=2)
    snapshot.assert_unchanged()


# --- regexes that backtrack: bounded only once the linear-time engine is in ---------------------------------


def test_regex_with_a_repeated_class_on_a_100_kb_line(tmp_path: Path) -> None:
    (tmp_path / "line.log").write_text("A" * 100_000 + "\n")
    result = run(["test-pattern", "%A+B%", "line.log"], cwd=tmp_path, timeout=10)
    check(result, status=1, seconds=5)


def test_regex_with_nested_stars_on_50_characters(tmp_path: Path) -> None:
    (tmp_path / "line.log").write_text("a" * 50 + "\n")
    result = run(["test-pattern", "%a*a*a*a*a*a*a*a*b%", "line.log"], cwd=tmp_path, timeout=10)
    check(result, status=1, seconds=5)


def test_backtracking_regex_in_a_replayed_filter(tmp_path: Path) -> None:
    config = tmp_path / "monitors.json"
    config.write_text(
        json.dumps(
            {
                "metricFilters": [
                    {
                        "filterName": "slow",
                        "logGroupName": "trail",
                        "filterPattern": "{ $.userAgent = %a*a*a*a*a*a*a*a*b% }",
                        "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}],
                    }
                ]
            }
        )
    )
    (tmp_path / "trail.json").write_text(json.dumps({"Records": [record(1, userAgent="a" * 50)]}))
    result = run(["replay", "trail.json", "--config", "monitors.json"], cwd=tmp_path, timeout=10)
    check(result, status=0, seconds=5)
