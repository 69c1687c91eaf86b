"""Every case of issue 7 ("hostile input: nothing destroyed, nothing hangs, every failure a clear exit 2"), run
as a user runs it: a real process, real files, FIFOs, signals and pipes; S3 and CloudWatch Logs through moto.

The generated, measured suite (memory, time, untouched files) is tests/hostile/; these are the cases one by one.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from aws_builders import moto_client

FAILED_LOGIN = {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}


def login(time_text: str) -> dict[str, str]:
    return {"eventTime": time_text, **FAILED_LOGIN}


def delivery(*records: Any) -> str:
    return json.dumps({"Records": list(records)})


def trailguard(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: Any = subprocess.DEVNULL,
    close_stdin: bool = False,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
        stdin=None if close_stdin else stdin,
        preexec_fn=(lambda: os.close(0)) if close_stdin else None,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# --- data destroyed ---------------------------------------------------------------------------------------


def test_quarantine_that_is_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text(delivery(login("2026-11-20T09:10:00Z")))
    before = victim.read_bytes()
    result = trailguard("replay", "victim.json", "--quarantine", "victim.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "victim.json: is the quarantine file" in result.stderr
    assert victim.read_bytes() == before
    no_traceback(result)


def test_quarantine_inside_a_replayed_folder_is_refused_when_named_as_input(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", "logs/a.json", "logs", "--quarantine", str(logs / "a.json"), cwd=tmp_path)
    assert result.returncode == 2 and (logs / "a.json").read_text().startswith('{"Records"')


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_device_given_as_quarantine_is_never_removed(tmp_path: Path) -> None:
    # The issue's `--quarantine /dev/null` as root, on a private copy of /dev/null's device node.
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (tmp_path / "clean.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", "clean.json", "--quarantine", str(null), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(null.lstat().st_mode)


def test_device_as_quarantine_receives_what_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "mixed.json").write_text(delivery(login("2026-11-20T09:10:00Z"), {"eventName": "NoTime"}))
    result = trailguard("replay", "mixed.json", "--quarantine", os.devnull, "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["quarantined"] == 1
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_clean_run_creates_no_quarantine_file_not_even_for_a_moment(tmp_path: Path) -> None:
    # The quarantine's folder cannot even be created (a file stands in its way): a clean run never tries.
    (tmp_path / "clean.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = trailguard("replay", "clean.json", "--quarantine", "blocker/q.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "blocker").read_text() == "a file, not a folder"
    dirty = trailguard(
        "replay", "clean.json", str(tmp_path / "bad.json"), "--quarantine", "blocker/q.jsonl", cwd=tmp_path
    )
    assert dirty.returncode == 2  # bad.json does not exist: a usage error, before anything is written


def test_quarantine_that_cannot_be_written_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "mixed.json").write_text(delivery(login("2026-11-20T09:10:00Z"), {"eventName": "NoTime"}))
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = trailguard("replay", "mixed.json", "--quarantine", "blocker/q.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write the quarantine file blocker/q.jsonl" in result.stderr
    no_traceback(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_clean_run_in_a_read_only_folder(tmp_path: Path) -> None:
    (tmp_path / "clean.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    tmp_path.chmod(0o555)
    try:
        result = trailguard("replay", "clean.json", cwd=tmp_path)
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 0, result.stderr


def test_replaying_the_current_folder_does_not_read_its_own_quarantine(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(delivery(login("2026-11-20T09:10:00Z"), {"eventName": "NoTime"}))
    earlier = '{"origin":"old.json","position":1,"reason":"record has no eventTime","detail":"","raw":"{}"}\n'
    (tmp_path / "trailguard-quarantine.jsonl").write_text(earlier)
    result = trailguard("replay", ".", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["input"]
    assert (summary["files"], summary["filesSkipped"], summary["quarantined"]) == (1, 1, 1)
    (line,) = (tmp_path / "trailguard-quarantine.jsonl").read_text().splitlines()
    assert json.loads(line)["origin"] == "./a.json"


def test_quarantine_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "clean.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", "clean.json", "--quarantine", ".", cwd=tmp_path)
    assert result.returncode == 2 and "is a folder" in result.stderr


# --- a whole run lost to one record or option -----------------------------------------------------------------


@pytest.mark.parametrize("far", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_one_record_with_an_extreme_event_time_is_quarantined(tmp_path: Path, far: str) -> None:
    (tmp_path / "t.json").write_text(delivery(login("2026-11-20T09:10:00Z"), login(far)))
    result = trailguard("replay", "t.json", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["input"]["quarantinedByReason"] == {"eventTime outside the supported range": 1}
    assert document["alarms"][0]["transitions"][0]["to"] == "ALARM"
    (line,) = (tmp_path / "trailguard-quarantine.jsonl").read_text().splitlines()
    assert json.loads(line)["position"] == 2


def test_only_records_with_extreme_event_times_exit_2(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(delivery(login("9999-12-31T23:59:59Z")))
    result = trailguard("replay", "t.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "no usable event in the input: everything read was set aside (1 quarantine entry" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    "command", [["replay", "-"], ["test-pattern", "ERROR", "-"], ["test-pattern", "x", "--cloudtrail"]]
)
def test_closed_standard_input_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    result = trailguard(*command, cwd=tmp_path, close_stdin=True)
    assert result.returncode == 2
    assert "standard input is closed" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["s3://bucket/x", "--endpoint-url", "not-a-url"], "invalid endpoint URL 'not-a-url'"),
        (["logs://group", "--endpoint-url", "ftp//x"], "invalid endpoint URL"),
        (["x.json", "--from", "99999999999999999999999"], "outside the supported range"),
        (["x.json", "--to", "99999999999999999999999"], "outside the supported range"),
        (["x.json", "--from", "0001-01-01"], "outside the supported range"),
        (["x.json", "--from", "１２３"], "is not a time"),
        (["x.json", "--from", "-5"], "is not a time"),
        ([""], "empty path"),
        (["logs://group?start=１２３"], "neither ISO-8601 nor epoch milliseconds"),
        (["logs://group?end=99999999999999999999999"], "outside the supported range"),
    ],
)
def test_unusable_options_exit_2_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "x.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    no_traceback(result)


def test_epoch_milliseconds_in_ascii_digits_still_work(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", "x.json", "--from", "1795165200000", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["window"]["start"] == "2026-11-20T09:00:00Z"


# --- exit codes and messages ---------------------------------------------------------------------------------


def test_every_input_rejected_exits_2_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.json.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip")
    (tmp_path / "b.json").write_text("not json at all")
    result = trailguard("replay", "a.json.gz", "b.json", "--output", "json", cwd=tmp_path)
    assert result.returncode == 2
    assert "no usable event in the input: everything read was set aside (2 quarantine entries" in result.stderr
    assert json.loads(result.stdout)["input"]["quarantined"] == 2  # the report is still written


def test_some_inputs_rejected_still_exit_0(tmp_path: Path) -> None:
    (tmp_path / "a.json.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip")
    (tmp_path / "b.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    result = trailguard("replay", "a.json.gz", "b.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_empty_input_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("")
    result = trailguard("replay", "empty.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_records_with_bad_bytes_or_nan_keep_the_rest_of_the_document(tmp_path: Path) -> None:
    good = json.dumps(login("2026-11-20T09:10:00Z")).encode()
    bad_byte = json.dumps(login("2026-11-20T09:10:01Z")).encode().replace(b"Failed", b"F\xe4iled")
    nan = b'{"eventTime":"2026-11-20T09:10:02Z","eventName":"ConsoleLogin","v":NaN}'
    (tmp_path / "t.json").write_bytes(b'{"Records":[' + b",".join([good, bad_byte, nan, good]) + b"]}")
    result = trailguard("replay", "t.json", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["events"] == 2
    lines = [json.loads(line) for line in (tmp_path / "trailguard-quarantine.jsonl").read_text().splitlines()]
    assert [(line["position"], line["reason"]) for line in lines] == [(2, "not valid JSON"), (3, "not valid JSON")]
    assert lines[0]["detail"].startswith("not UTF-8 text (byte 0xe4 at offset")
    assert lines[1]["detail"] == "NaN or Infinity is not a JSON value"


def test_records_that_is_not_an_array_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text('{"Records": {"eventTime": "2026-11-20T09:10:00Z"}}')
    result = trailguard("replay", "t.json", cwd=tmp_path)
    assert result.returncode == 2
    assert 'not a CloudTrail document: "Records" is a JSON object, not an array of records' in result.stdout


def test_fifo_inside_a_folder_is_skipped_and_reported(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(delivery(login("2026-11-20T09:10:00Z")))
    os.mkfifo(logs / "pipe.json")
    result = trailguard("replay", "logs", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: logs/pipe.json: skipped: a FIFO, not a regular file" in result.stderr
    summary = json.loads(result.stdout)["input"]
    assert (summary["events"], summary["filesNotRegular"]) == (1, 1)
    assert summary["warnings"] == [
        "logs/pipe.json: skipped: a FIFO, not a regular file (only those are read in folders)"
    ]


def test_fifo_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "trailguard", "replay", str(fifo), "--output", "json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with fifo.open("w") as writer:
        writer.write(delivery(login("2026-11-20T09:10:00Z")))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert json.loads(out)["input"]["events"] == 1


# --- signals and pipes ---------------------------------------------------------------------------------------


def test_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    fifo = tmp_path / "slow"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "trailguard", "replay", str(fifo)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with fifo.open("w") as writer:
        writer.write('{"Records":[')  # and then nothing more: the replay waits for the rest
        writer.flush()
        time.sleep(0.5)  # the replay opened the FIFO (our open returned): it is reading, past start-up
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err == "" and out == ""


@pytest.mark.parametrize(
    ("command", "read_first"),
    [
        # Megabytes of output, more than a pipe holds: reading a little, then going away, as `| head` does.
        (["test-pattern", "ERROR", "lines.txt"], True),
        (["test-pattern", "ERROR", "lines.txt", "--output", "json"], True),
        # Less output than a pipe holds: the reader is gone before the first write (`| true`).
        (["replay", "logs"], False),
        (["replay", "logs", "--output", "json"], False),
        (["monitors", "show", "all"], False),
        (["monitors", "list"], False),
    ],
)
def test_closed_output_pipe_exits_141_quietly(tmp_path: Path, command: list[str], read_first: bool) -> None:
    (tmp_path / "lines.txt").write_text("ERROR something happened\n" * 200_000)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(delivery(*[login(f"2026-11-20T09:{m:02d}:00Z") for m in range(60)]))
    process = subprocess.Popen(
        [sys.executable, "-m", "trailguard", *command],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    if read_first:
        assert len(process.stdout.read(10)) == 10
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert err == b""


# --- AWS sources ------------------------------------------------------------------------------------------------


def test_extreme_event_time_through_s3(moto_server: str, aws_env: dict[str, str], tmp_path: Path) -> None:
    bucket = f"trail-{uuid.uuid4().hex[:10]}"
    s3 = moto_client("s3", moto_server)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket, Key="a.json", Body=delivery(login("2026-11-20T09:10:00Z"), login("9999-12-31T23:59:59Z"))
    )
    result = trailguard(
        "replay", f"s3://{bucket}/", "--endpoint-url", moto_server, "--output", "json", cwd=tmp_path, env=aws_env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["quarantinedByReason"] == {"eventTime outside the supported range": 1}


def test_logs_stream_prefix_matching_nothing_is_warned(
    moto_server: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    group = f"CloudTrail/{uuid.uuid4().hex[:10]}"
    logs = moto_client("logs", moto_server)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="123456789012_CloudTrail_us-east-1")
    now_ms = int(time.time() * 1000) - 60_000
    message = json.dumps(login("2026-11-20T09:10:00Z"))
    logs.put_log_events(
        logGroupName=group,
        logStreamName="123456789012_CloudTrail_us-east-1",
        logEvents=[{"timestamp": now_ms, "message": message}],
    )
    mistyped = trailguard(
        "replay", f"logs://{group}?stream=123456789012_CloudTrail_eu-west-9", "--endpoint-url", moto_server,
        cwd=tmp_path, env=aws_env,
    )  # fmt: skip
    assert f"warning: logs://{group}: no log stream name starts with '123456789012_CloudTrail_eu-west-9'" in (
        mistyped.stderr
    )
    no_traceback(mistyped)
    right = trailguard(
        "replay", f"logs://{group}?stream=123456789012_CloudTrail_us", "--endpoint-url", moto_server,
        cwd=tmp_path, env=aws_env,
    )  # fmt: skip
    assert right.returncode == 0 and "warning" not in right.stderr
