"""Unusable files and options: FIFOs, folders where files belong, links that loop, devices, closed standard
streams, bad URLs and endpoints, absurd times, and the quarantine pointed at things it must not destroy."""

from __future__ import annotations

import os
import socket
import stat
from functools import partial
from pathlib import Path

import pytest
from generate import delivery, record
from harness import MB, Snapshot, check, replay_files, run, run_cases


def test_unusable_sources_and_options(tmp_path: Path) -> None:
    root = tmp_path / "user"
    root.mkdir()
    (root / "trail.json").write_bytes(delivery([record(1)]))
    (root / "folder").mkdir()
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    closed_port = _closed_port()
    cases: dict[str, tuple[list[str], int]] = {
        "a missing file": (["replay", "missing.json"], 2),
        "an empty path": (["replay", ""], 2),
        "a path of 5,000 characters": (["replay", "x" * 5000], 2),
        "a path with a newline": (["replay", "trail\n.json"], 2),
        "a link loop named explicitly": (["replay", "loop-a"], 2),
        "an unknown scheme": (["replay", "ftp://host/x"], 2),
        "s3 without a bucket": (["replay", "s3://"], 2),
        "logs without a group": (["replay", "logs://"], 2),
        "logs with an unknown parameter": (["replay", "logs://g?evil=1"], 2),
        "logs with a parameter twice": (["replay", "logs://g?stream=a&stream=b"], 2),
        "logs with end before start": (["replay", "logs://g?start=2026-01-02&end=2026-01-01"], 2),
        "an endpoint that is not a URL": (["replay", "s3://b/", "--endpoint-url", "not-a-url"], 2),
        "an endpoint with a space": (["replay", "s3://b/", "--endpoint-url", "http://a b"], 2),
        "an endpoint nobody listens on": (
            ["replay", "s3://b/", "--endpoint-url", f"http://127.0.0.1:{closed_port}", "--region", "us-east-1"],
            2,
        ),
        "a region that is not one": (
            ["replay", "s3://b/", "--region", "../../etc", "--endpoint-url", "http://127.0.0.1:1"],
            2,
        ),
        "--from in year 1": (["replay", "trail.json", "--from", "0001-01-01"], 2),
        "--from past year 9999": (["replay", "trail.json", "--from", "99999999999999999999999"], 2),
        "--from in full-width digits": (["replay", "trail.json", "--from", "１７９５１６５２０００００"], 2),
        "--from of 100 KB": (["replay", "trail.json", "--from", "2" * 100_000], 2),
        "--to before --from": (["replay", "trail.json", "--from", "2026-11-21", "--to", "2026-11-20"], 2),
        "--to at epoch zero": (["replay", "trail.json", "--to", "0"], 0),  # an odd window: nothing in it
        "logs with a start of 5,000 digits": (["replay", "logs://g?start=" + "9" * 5000], 2),
        "--from February 30th": (["replay", "trail.json", "--from", "2026-02-30"], 2),
        "--cis nonsense": (["replay", "trail.json", "--cis", "9.99,../x"], 2),
        "--cis-version nonsense": (["replay", "trail.json", "--cis-version", "v" * 1000], 2),
        "--output nonsense": (["replay", "trail.json", "--output", "xml"], 2),
        "a folder as --quarantine": (["replay", "trail.json", "--quarantine", "folder"], 2),
        "the input as --quarantine": (["replay", "trail.json", "--quarantine", "trail.json"], 2),
        "a folder as --config": (["replay", "trail.json", "--config", "folder"], 2),
        "test-pattern on a folder": (["test-pattern", "x", "folder"], 2),
        "test-pattern on a missing file": (["test-pattern", "x", "missing.log"], 2),
        "monitors show nonsense": (["monitors", "show", "99.9"], 2),
        "an unknown command": (["frobnicate"], 2),
    }

    def case(name: str) -> None:
        args, status = cases[name]
        snapshot = Snapshot(root)
        check(run(args, cwd=root, timeout=120), status=status, seconds=90)
        snapshot.assert_unchanged()

    run_cases({name: partial(case, name) for name in cases})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # free now, and nothing will listen on it


def test_non_regular_files_inside_a_replayed_folder(tmp_path: Path) -> None:
    root = tmp_path / "user"
    logs = root / "in"
    logs.mkdir(parents=True)
    os.mkfifo(logs / "a-fifo.json")
    os.symlink("/dev/zero", logs / "b-zero.json")
    os.symlink("/dev/urandom", logs / "c-random.json")
    os.symlink("e-loop.json", logs / "d-loop.json")
    os.symlink("d-loop.json", logs / "e-loop.json")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(logs / "f-socket.json"))
    try:
        outcome = replay_files(root, {"z-trail.json": delivery([record(1)])}, status=0, seconds=30)
    finally:
        listener.close()
    assert outcome.document is not None
    summary = outcome.document["input"]
    assert isinstance(summary, dict)
    assert (summary["events"], summary["filesNotRegular"]) == (1, 4)
    assert summary["quarantinedByReason"] == {"unreadable input": 2}  # the two links that loop
    assert "a-fifo.json: skipped: a FIFO" in outcome.run.stderr


def test_devices_named_explicitly(tmp_path: Path) -> None:
    def case(device: str) -> None:
        folder = tmp_path / device.strip("/").replace("/", "-")
        folder.mkdir()
        result = run(["replay", device, "--quarantine", "q.jsonl"], cwd=folder)
        check(result, status=0 if device == "/dev/null" else 2, seconds=30, peak_bytes=250 * MB)

    run_cases({device: partial(case, device) for device in ("/dev/zero", "/dev/urandom", "/dev/null")})


def test_closed_standard_streams(tmp_path: Path) -> None:
    (tmp_path / "trail.json").write_bytes(delivery([record(1)]))
    for args in (["replay", "-"], ["test-pattern", "x", "-"], ["test-pattern", "x", "-", "--cloudtrail"]):
        check(run(args, cwd=tmp_path, close_stdin=True), status=2)


def test_many_small_files(tmp_path: Path) -> None:
    files = {f"in/{n // 100:03d}/{n:05d}.json": delivery([record(n)]) for n in range(5000)}
    files.update({f"in/empty/{n:05d}.json": b"" for n in range(2000)})
    outcome = replay_files(tmp_path, {name.removeprefix("in/"): data for name, data in files.items()}, status=0)
    assert outcome.document is not None
    summary = outcome.document["input"]
    assert isinstance(summary, dict) and summary["events"] == 5000 and summary["files"] == 7000


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "locked.json").write_bytes(delivery([record(1)]))
    (tmp_path / "locked.json").chmod(0)
    try:
        check(run(["replay", "locked.json"], cwd=tmp_path), status=2)
    finally:
        (tmp_path / "locked.json").chmod(0o600)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_device_as_quarantine_survives_every_kind_of_run(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (tmp_path / "clean.json").write_bytes(delivery([record(1)]))
    (tmp_path / "dirty.json").write_bytes(delivery([record(1), {"no": "time"}]))
    for source, status in (("clean.json", 0), ("dirty.json", 0), ("missing.json", 2)):
        check(run(["replay", source, "--quarantine", str(null)], cwd=tmp_path), status=status)
        assert stat.S_ISCHR(null.lstat().st_mode)
