"""Replays split into chunks give exactly what one sequential replay gives: ``replay --jobs 2`` against ``--jobs 1``
(metrics, alarms, report, quarantine file, warnings), partitions by account and region, the dimension-value limit
(which makes the replay run again in one process), quarantine spools merged in order; Ctrl-C and a worker killed
mid-chunk end the run at once, with a clear status and no process left; S3 prefixes listed by CloudTrail's key
layout; and Ray in local mode against moto's S3."""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailguard.cli.config_file import read_config
from trailguard.scale import ReplayPlan, run_replay
from trailguard.scale.run import MIN_CHUNK_INPUTS
from trailguard.sources import AwsOptions, Quarantine, SourceStats
from trailguard.sources.s3 import list_objects, parse_s3_url
from trailguard.sources.s3_layout import list_objects_by_prefix

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")

DIMENSIONS_CONFIG = """
metricFilters:
  - filterName: PerEvent
    filterPattern: '{ $.eventVersion = "1.08" }'
    metricTransformations: [{metricName: PerEvent, metricNamespace: T, metricValue: "1",
      dimensions: {Id: "$.eventID"}}]
  - filterName: Console
    filterPattern: '{ $.eventName = ConsoleLogin }'
    metricTransformations: [{metricName: Console, metricNamespace: T, metricValue: "1", defaultValue: 0}]
alarms:
  - AlarmName: Console
    Namespace: T
    MetricName: Console
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
"""


def record(index: int, minute: int) -> dict[str, Any]:
    name = ("ConsoleLogin", "GetObject", "Decrypt", "CreateTrail", "PutBucketAcl")[index % 5]
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventTime": f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:{index % 60:02d}Z",
        "eventName": name,
        "eventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else "s3.amazonaws.com",
        "eventID": f"id-{index}",
        "recipientAccountId": ACCOUNTS[index % 2],
        "awsRegion": REGIONS[(index // 2) % 2],
        "userIdentity": {"type": "Root" if index % 7 == 0 else "IAMUser"},
    }
    if name == "ConsoleLogin" and index % 3 == 0:
        record["errorMessage"] = "Failed authentication"
    if index % 11 == 0:
        record["errorCode"] = "AccessDenied"
        record["sourceIPAddress"] = "10.0.0.1"
    return record


def write_archive(folder: Path, files: int = 3 * MIN_CHUNK_INPUTS // 2 + 20, per_file: int = 6) -> list[Path]:
    """CloudTrail-like files under folder, laid out as CloudTrail delivers them, with some bad input among them."""
    written = []
    index = 0
    for number in range(files):
        account, region = ACCOUNTS[number % 2], REGIONS[(number // 2) % 2]
        day = folder / "AWSLogs" / account / "CloudTrail" / region / "2026" / "01" / "01"
        day.mkdir(parents=True, exist_ok=True)
        items = []
        for _ in range(per_file):
            items.append(record(index, (number * 7) % 55))
            index += 1
        if number % 37 == 5:
            items.append({"eventName": "NoTime"})  # quarantined: no eventTime
        path = day / f"{account}_CloudTrail_{region}_20260101T0000Z_{number:05d}.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": items}, separators=(",", ":")).encode(), mtime=0))
        written.append(path)
    bad = folder / "AWSLogs" / "bad"
    bad.mkdir(parents=True)
    (bad / "broken.json.gz").write_bytes(gzip.compress(b'{"Records":[')[:-6])
    (bad / "zeros.jsonl").write_bytes(b"0\n" * 10_050)  # more entries than a quarantine writes for one input
    (bad / "digest_CloudTrail-Digest_x.json.gz").write_bytes(b"{}")
    (bad / ".hidden").write_bytes(b"{}")
    return written


def trailguard(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args], capture_output=True, timeout=300, check=False, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    write_archive(folder)
    (folder / "dimensions.yaml").write_text(DIMENSIONS_CONFIG)
    return folder


def run_both(archive: Path, tmp_path: Path, *args: str) -> list[tuple[bytes, bytes, bytes]]:
    outcomes = []
    for jobs in ("1", "2"):
        quarantine = tmp_path / f"quarantine-{jobs}.jsonl"
        result = trailguard(
            "replay", *args, "--quarantine", str(quarantine), "--no-progress", "--jobs", jobs, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr.decode()
        # The report names its quarantine file; everything else must be the same.
        stdout = result.stdout.replace(str(quarantine).encode(), b"QUARANTINE")
        outcomes.append((stdout, quarantine.read_bytes() if quarantine.exists() else b"", result.stderr))
    return outcomes


@pytest.mark.parametrize("output", ["json", "text"])
def test_jobs_2_equals_jobs_1(archive: Path, tmp_path: Path, output: str) -> None:
    logs = archive / "AWSLogs"
    # The zeros file is read twice (it is also named on its own): its quarantine lines are capped across chunks.
    sources = (str(logs), str(logs / "bad" / "zeros.jsonl"))
    one, two = run_both(archive, tmp_path, *sources, "--cis", "all", "--output", output)
    assert one == two
    if output == "json":
        document = json.loads(one[0])
        assert document["input"]["events"] == 6 * (3 * MIN_CHUNK_INPUTS // 2 + 20)
        assert document["input"]["quarantineNotWritten"] > 0
        assert any(alarm["transitions"] for alarm in document["alarms"])
    last = json.loads(one[1].splitlines()[-1])
    assert last["reason"] == "entries not written"


def test_dimension_limit_makes_the_replay_run_again_in_one_process(archive: Path, tmp_path: Path) -> None:
    one, two = run_both(
        archive, tmp_path, str(archive / "AWSLogs"), "--config", str(archive / "dimensions.yaml"), "--output", "json"
    )
    assert one[:2] == two[:2]
    assert b"run again in one process" in two[2]
    document = json.loads(one[0])
    [per_event, _] = document["filters"]
    assert per_event["disabledAt"] is not None and per_event["afterDisabled"] > 0


def test_partitions_by_account_and_region(archive: Path, tmp_path: Path) -> None:
    one, two = run_both(
        archive, tmp_path, str(archive / "AWSLogs"), "--cis", "all", "--by-account", "--by-region", "--output", "json"
    )
    assert one == two
    document = json.loads(one[0])
    keys = [(p["partition"]["account"], p["partition"]["region"]) for p in document["partitions"]]
    assert keys == sorted((account, region) for account in ACCOUNTS for region in REGIONS)
    total = sum(p["replay"]["input"]["eventsInWindow"] for p in document["partitions"])
    assert total == document["partitions"][0]["replay"]["input"]["events"]


@pytest.mark.parametrize("output", ["json", "text"])
def test_partition_reports_go_to_the_output_file_as_to_standard_output(
    archive: Path, tmp_path: Path, output: str
) -> None:
    command = ("replay", str(archive / "AWSLogs"), "--cis", "all", "--by-account", "--output", output)
    options = ("--quarantine", "quarantine.jsonl", "--no-progress", "--jobs", "2")
    printed = trailguard(*command, *options, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr.decode()
    written = trailguard(*command, *options, "--output-file", "report", cwd=tmp_path)
    assert written.returncode == 0, written.stderr.decode()
    assert written.stdout == b""
    assert (tmp_path / "report").read_bytes() == printed.stdout
    if output == "json":
        accounts = [part["partition"]["account"] for part in json.loads(printed.stdout)["partitions"]]
        assert accounts == sorted(ACCOUNTS)
    else:
        assert printed.stdout.count(b"account 1111") == 1 and printed.stdout.count(b"account 4444") == 1


def test_partition_text_reports_list_every_transition_with_verbose(tmp_path: Path) -> None:
    # Console sign-ins every other minute, something else in between, in two regions: the Console alarm (a
    # default of 0, one-minute periods) goes to ALARM and back every two minutes in each partition.
    records = [
        {
            "eventVersion": "1.08",
            "eventTime": f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z",
            "eventName": "GetObject" if minute % 2 else "ConsoleLogin",
            "awsRegion": region,
        }
        for minute in range(120)
        for region in REGIONS
    ]
    (tmp_path / "events.json").write_text(json.dumps({"Records": records}))
    (tmp_path / "monitors.yaml").write_text(DIMENSIONS_CONFIG)
    command = ("replay", "events.json", "--config", "monitors.yaml", "--by-region", "--no-progress", "--jobs", "1")
    short = trailguard(*command, cwd=tmp_path)
    verbose = trailguard(*command, "--verbose", cwd=tmp_path)
    assert short.returncode == verbose.returncode == 0, short.stderr.decode() + verbose.stderr.decode()
    assert short.stdout.count(b"more transitions (--verbose lists every one") == len(REGIONS)
    assert b"more transition" not in verbose.stdout
    assert verbose.stdout.count("OK → ALARM".encode()) == len(REGIONS) * 59


def test_partitions_have_no_html_page(archive: Path, tmp_path: Path) -> None:
    result = trailguard(
        "replay",
        str(archive / "AWSLogs"),
        "--by-region",
        "--output",
        "html",
        "--output-file",
        "page.html",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: --output html shows one replay")
    assert not (tmp_path / "page.html").exists()


def test_quarantine_spools_merge_in_order(tmp_path: Path) -> None:
    whole = Quarantine(tmp_path / "whole.jsonl", max_lines_per_input=2)
    merged = Quarantine(tmp_path / "merged.jsonl", max_lines_per_input=2)
    parts = [[("a", 1), ("b", 1), ("a", 2), ("a", 3)], [("c", 1), ("a", 4), ("c", 2), ("c", 3), ("c", 4)]]
    for number, part in enumerate(parts):
        spool = Quarantine(tmp_path / f"part-{number}.jsonl", max_lines_per_input=2, spool=True)
        for origin, position in part:
            whole.add(origin, position, "not valid JSON", b"x", "detail")
            spool.add(origin, position, "not valid JSON", b"x", "detail")
        merged.absorb(spool.spool())
    whole.close()
    merged.close()
    assert (tmp_path / "merged.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert (merged.count, merged.by_reason, merged.entries, merged.unwritten) == (
        whole.count,
        whole.by_reason,
        whole.entries,
        whole.unwritten,
    )


# ---------------------------------------------------------------- interruptions


def session_processes(session: int) -> list[int]:
    """The live (not zombie) processes of a session."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def reading(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def replay_with_a_stalled_worker(tmp_path: Path) -> tuple[subprocess.Popen[str], int, int]:
    """A ``--jobs 2`` replay (in a session of its own) of three FIFOs, each a chunk of its own: a worker reads the
    first, which gets the start of a document and nothing more, the other waits for a writer to the second, and
    the third waits its turn (a worker that went on to it would wait for ever). The replay, the process id of
    the first FIFO's reader and the writing end of that FIFO."""
    fifos = [tmp_path / f"stalled-{number}.json" for number in range(3)]
    for fifo in fifos:
        os.mkfifo(fifo)
    command = ["replay", *map(str, fifos), "--cis", "all", "--jobs", "2", "--no-progress"]
    process = subprocess.Popen(
        [sys.executable, "-m", "trailguard", *command, "--quarantine", str(tmp_path / "quarantine.jsonl")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while True:  # opening the writing end without blocking succeeds once a reader has the FIFO open
        try:
            writer = os.open(fifos[0], os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            assert error.errno == errno.ENXIO
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
    os.write(writer, b'{"Records":[')
    while True:
        readers = [pid for pid in session_processes(process.pid) if reading(pid, fifos[0])]
        if readers:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [worker] = readers
    assert worker != process.pid
    return process, worker, writer


def end_session(process: subprocess.Popen[str], writer: int) -> None:
    """Close the FIFO's writing end and, if the replay is still running (a failed test), end its session."""
    os.close(writer)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def assert_session_ends(session: int) -> None:
    deadline = time.monotonic() + 60
    while left := session_processes(session):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, signal.SIGKILL)
            pytest.fail(f"processes of the replay still running: {left}")
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_ctrl_c_during_jobs_exits_130_with_no_worker_left(tmp_path: Path) -> None:
    process, _, writer = replay_with_a_stalled_worker(tmp_path)
    try:
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: every process of the group gets it
        out, err = process.communicate(timeout=60)
    finally:
        end_session(process, writer)
    assert process.returncode == 130
    assert (out, err) == ("", "")  # workers ignore it: no traceback of theirs
    assert_session_ends(process.pid)  # the workers were ended, not left to go on to the next chunk


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_a_worker_killed_mid_chunk_is_a_clear_error(tmp_path: Path) -> None:
    process, worker, writer = replay_with_a_stalled_worker(tmp_path)
    try:
        os.kill(worker, signal.SIGKILL)  # as the kernel's out-of-memory killer does
        out, err = process.communicate(timeout=60)
    finally:
        end_session(process, writer)
    assert process.returncode == 2
    assert out == ""
    assert err.startswith("error: a worker process ended without finishing its chunk") and "Traceback" not in err
    assert_session_ends(process.pid)


# ---------------------------------------------------------------- S3 and Ray


def upload(client: Any, bucket: str, folder: Path) -> None:
    client.create_bucket(Bucket=bucket)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".yaml":
            client.put_object(Bucket=bucket, Key=path.relative_to(folder).as_posix(), Body=path.read_bytes())
    client.put_object(Bucket=bucket, Key="AWSLogs/111122223333/CloudTrail/", Body=b"")  # a console-made folder


def test_listing_by_key_layout_equals_one_listing(aws_environment: str, archive: Path) -> None:
    client = boto3.client("s3", endpoint_url=aws_environment, region_name="us-east-1")
    bucket = f"layout-{uuid.uuid4().hex[:12]}"
    upload(client, bucket, archive)
    for prefix in ("AWSLogs/", "AWSLogs/1111", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/", ""):
        location = parse_s3_url(f"s3://{bucket}/{prefix}")
        assert list_objects_by_prefix(client, location, threads=4, max_depth=3) == list_objects(client, location)


def replay_s3(
    bucket: str, aws: AwsOptions, tmp_path: Path, name: str, executor: Any = None, jobs: int = 1
) -> tuple[Any, ...]:
    config = read_config(str(tmp_path / "dimensions.yaml"))
    plan = ReplayPlan(tuple(config.metric_filters), tuple(config.alarms), region="us-east-1", account_id="1")
    stats = SourceStats()
    path = tmp_path / f"{name}.jsonl"
    with Quarantine(path) as quarantine:
        outcome = run_replay(
            plan,
            [(f"s3://{bucket}/AWSLogs/", config.metric_filters[0].log_group_name)],
            quarantine,
            aws,
            stats,
            make_replay=plan.new_replay,
            jobs=jobs,
            executor=executor,
        )
    engine = outcome.replays[()]
    result = engine.finish()
    transitions = [
        [(t.old_state, t.new_state, t.at_ms, t.reason) for t in a.evaluator.transitions] for a in result.alarms
    ]
    return (
        engine.store.to_dict(),
        [f.counters.as_dict() for f in engine.filters],
        (result.events, result.first_event_ms, result.last_event_ms),
        (stats.files_read, stats.files_skipped, stats.bytes_read, stats.events),
        transitions,
        path.read_bytes(),
        outcome.chunks,
    )


def test_ray_local_mode_equals_a_local_replay(aws_environment: str, archive: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from trailguard.scale.ray_run import connect, ray_executor

    client = boto3.client("s3", endpoint_url=aws_environment, region_name="us-east-1")
    bucket = f"ray-{uuid.uuid4().hex[:12]}"
    upload(client, bucket, archive)
    (tmp_path / "dimensions.yaml").write_text(DIMENSIONS_CONFIG.replace('dimensions: {Id: "$.eventID"}', ""))
    aws = AwsOptions(region="us-east-1", endpoint_url=aws_environment)
    local = replay_s3(bucket, aws, tmp_path, "local")
    assert connect(num_cpus=2) == 2
    try:
        on_ray = replay_s3(bucket, aws, tmp_path, "ray", executor=ray_executor(), jobs=2)
    finally:
        import ray

        ray.shutdown()
    assert on_ray[:-1] == local[:-1]
    assert on_ray[-1] >= 2  # chunks
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"  # what reached the tasks through their environment


def test_an_unreachable_ray_address_is_a_clear_error(archive: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    with socket.socket() as unused:  # a port nothing listens on: connections are refused
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = trailguard("replay", str(archive / "AWSLogs"), "--ray", "--ray-address", f"127.0.0.1:{port}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"error: cannot connect to Ray at 127.0.0.1:{port}: ")
    assert b"Traceback" not in result.stderr


def test_ray_without_the_extra_is_a_clear_error(archive: Path, tmp_path: Path) -> None:
    # As if Ray were not installed: the import system finds no module named ray.
    command = "import sys; sys.modules['ray'] = None; from trailguard.cli.main import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", command, "replay", str(archive / "AWSLogs"), "--ray"],
        capture_output=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr == b"error: --ray needs Ray: pip install 'trailguard[ray]'\n"


NOTIFY_CONFIG = """
metricFilters:
  - filterName: Failures
    filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    metricTransformations: [{metricName: Failures, metricNamespace: T, metricValue: "1"}]
alarms:
  - AlarmName: Failures
    MetricName: Failures
    Namespace: T
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]
topics:
  - Name: alerts
    Subscriptions:
      - {Protocol: file, Endpoint: alerts.jsonl}
"""


def test_notifications_with_their_context_are_the_same_with_jobs(archive: Path, tmp_path: Path) -> None:
    delivered = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs-{jobs}"
        folder.mkdir()
        (folder / "monitors.yaml").write_text(NOTIFY_CONFIG)
        result = trailguard(
            "replay",
            str(archive / "AWSLogs"),
            "--config",
            "monitors.yaml",
            "--notify",
            "--jobs",
            jobs,
            "--no-progress",
            cwd=folder,
        )
        assert result.returncode == 0, result.stderr.decode()
        delivered.append([json.loads(line) for line in (folder / "alerts.jsonl").read_text().splitlines()])
    assert delivered[0] == delivered[1]
    assert delivered[0] and all(envelope["trailguard"]["eventNames"] for envelope in delivered[0])
