"""`trailguard test-pattern`, run as a user runs it: a real process, real files, real stdin."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CIS_4_6 = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
FAILED = {"eventTime": "2026-11-20T09:10:00Z", "eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}
SUCCESS = {
    "eventTime": "2026-11-20T09:11:00Z",
    "eventName": "ConsoleLogin",
    "responseElements": {"ConsoleLogin": "Success"},
}


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "trailguard", "test-pattern", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def test_json_output_is_exactly_test_metric_filter_shape(tmp_path: Path) -> None:
    log = tmp_path / "events.log"
    log.write_text("ERROR 1 a\nINFO 2 b\nERROR 3 c\n")
    result = run("[level = ERROR, n, rest]", str(log), "--output", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "matches": [
            {
                "eventNumber": 1,
                "eventMessage": "ERROR 1 a",
                "extractedValues": {"$level": "ERROR", "$n": "1", "$rest": "a"},
            },
            {
                "eventNumber": 3,
                "eventMessage": "ERROR 3 c",
                "extractedValues": {"$level": "ERROR", "$n": "3", "$rest": "c"},
            },
        ]
    }


def test_text_output_counts_and_lists_matches_from_stdin() -> None:
    result = run("ERROR", stdin=b"ERROR one\r\nINFO two\nERROR three")
    assert result.returncode == 0
    assert "#1" in result.stdout and "#3" in result.stdout and "#2" not in result.stdout
    assert result.stdout.rstrip().endswith("2 of 3 events matched  ERROR")


def test_no_match_exits_1_and_explain_says_why() -> None:
    result = run(CIS_4_6, "-", "--explain", stdin=json.dumps(SUCCESS).encode() + b"\n")
    assert result.returncode == 1
    assert "$.errorMessage does not exist" in result.stdout
    assert "0 of 1 event matched" in result.stdout


def test_invalid_pattern_exits_2_with_caret_and_no_traceback() -> None:
    result = run("{ $.a IS NOT NULL }", stdin=b"x\n")
    assert result.returncode == 2
    assert "Invalid character(s) in term 'NOT'" in result.stderr
    assert "^" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2_with_clear_message(tmp_path: Path) -> None:
    result = run("ERROR", str(tmp_path / "absent.log"))
    assert result.returncode == 2
    assert "absent.log" in result.stderr and "Traceback" not in result.stderr


def test_non_utf8_line_is_reported_and_set_aside(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_bytes(b"ERROR ok\n\xff\xfe ERROR\nERROR again\n")
    result = run("ERROR", str(log), "--output", "json")
    assert [m["eventNumber"] for m in json.loads(result.stdout)["matches"]] == [1, 3]
    assert "line 2" in result.stderr and "UTF-8" in result.stderr


def test_cloudtrail_files_become_one_compact_message_per_record(tmp_path: Path) -> None:
    archive = tmp_path / "trail.json.gz"
    archive.write_bytes(gzip.compress(json.dumps({"Records": [SUCCESS, FAILED]}, indent=2).encode()))
    result = run(CIS_4_6, str(archive), "--cloudtrail", "--output", "json")
    assert result.returncode == 0, result.stderr
    (match,) = json.loads(result.stdout)["matches"]
    assert match["eventNumber"] == 2
    assert match["eventMessage"] == json.dumps(FAILED, separators=(",", ":"))


def test_cloudtrail_folder_and_unreadable_source(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.json").write_text(json.dumps([FAILED, FAILED]))
    result = run(CIS_4_6, str(tmp_path), "--cloudtrail")
    assert result.returncode == 0, result.stderr
    assert "2 of 2 events matched" in result.stdout
    missing = run(CIS_4_6, str(tmp_path / "nope"), "--cloudtrail")
    assert missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize("bad", [b"not json at all", b"\x1f\x8b\x08broken gzip"])
def test_cloudtrail_bad_files_are_reported_not_fatal(tmp_path: Path, bad: bytes) -> None:
    (tmp_path / "bad.json").write_bytes(bad)
    (tmp_path / "good.json").write_text(json.dumps({"Records": [FAILED]}))
    result = run(CIS_4_6, str(tmp_path), "--cloudtrail")
    assert result.returncode == 0
    assert "bad.json" in result.stderr
    assert "1 of 1 event matched" in result.stdout


def test_line_longer_than_the_largest_event_is_set_aside_without_being_held(tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    with log.open("wb") as out:
        out.write(b"ERROR first\n")
        out.write(b"ERROR " + b"x" * (3 * 1024 * 1024) + b"\n")  # 3 MiB: over CloudWatch Logs' 1 MB event
        out.write(b"ERROR " + b"y" * (1_048_576 - 6) + b"\r\n")  # exactly 1 MiB: still an event
        out.write(b"ERROR last")
    result = run("ERROR", str(log), "--output", "json")
    assert [m["eventNumber"] for m in json.loads(result.stdout)["matches"]] == [1, 3, 4]
    assert "line 2: longer than 1,048,576 bytes" in result.stderr


def test_fifo_in_a_cloudtrail_folder_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps([FAILED]))
    os.mkfifo(tmp_path / "two.json")
    result = run(CIS_4_6, str(tmp_path), "--cloudtrail")
    assert result.returncode == 0, result.stderr
    assert "two.json: skipped: a FIFO" in result.stderr
