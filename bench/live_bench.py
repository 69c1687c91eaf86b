"""`trailguard run`: sustained events/s from a watched folder while checkpointing, and notification latency from a
file's arrival to SMTP receipt.

    python bench/live_bench.py [--files 200] [--records 1000] [--latency-rounds 10] [--corpus DIR] [--workdir DIR]

(a) Throughput. CloudTrail delivery files ({"Records": [...]}, gzip, ``--records`` each) are prepared in a staging
    folder from the real corpus (``../shared/data/cloudtrail``, records resampled with new event times; without it,
    the bundled sample), then renamed into the folder a running ``trailguard run --cis all`` watches, all at once.
    The time from the first rename to the last file's commit (read from the state file) gives the events/s the
    runner sustains, each file being one committed transaction (events, datapoints, summaries, checkpoint;
    synchronous=FULL). The run's clock is a test clock (``TRAILGUARD_TEST_CLOCK``) set to the files' hour, so
    every event counts.
(b) Latency. An aiosmtpd server on 127.0.0.1 receives the alarm emails of CIS 4.6. Each round drops a file of 3
    failed console logins into the folder, waits until the runner has committed it, moves the test clock to the
    next evaluation, and stops the watch at the email's arrival. Reported: drop -> committed (watch notification,
    reading, commit), committed -> email (evaluation, outbox, delivery thread, SMTP), and the total. With the
    wall clock, add the wait for the alarm's next evaluation: up to a minute (evaluations run every minute) plus
    how late CloudTrail delivered the file.

Every figure is wall-clock time of a separate ``trailguard run`` process. Generated data stays in the work folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "cloudtrail"
SAMPLE = REPO / "examples" / "cloudtrail"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "trailguard-bench" / "live"
START_MS = 1_795_165_230_000  # 2026-11-20T09:00:30Z
MINUTE = 60_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def corpus_records(corpus: Path, limit: int = 20_000) -> list[dict[str, Any]]:
    sys.path.insert(0, str(REPO / "src"))
    from trailguard.sources import Quarantine, read_paths

    records: list[dict[str, Any]] = []
    with Quarantine(None) as quarantine:
        for event in read_paths([str(corpus)], quarantine):
            records.append(event.record)
            if len(records) >= limit:
                break
    return records


def write_files(staging: Path, records: list[dict[str, Any]], files: int, per_file: int, seed: int) -> int:
    rng = random.Random(seed)
    staging.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(files):
        at = START_MS - 30 * MINUTE + i * 1_000
        chosen = []
        for j in range(per_file):
            record = dict(rng.choice(records))
            record["eventTime"] = iso(at + j)
            chosen.append(record)
        name = f"123456789012_CloudTrail_us-east-1_20261120T0900Z_{i:06d}.json.gz"
        (staging / name).write_bytes(gzip.compress(orjson.dumps({"Records": chosen}), 6))
        total += per_file
    return total


def committed_files(state: Path) -> int:
    path = state / "state.sqlite"
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM source_items WHERE done = 1").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def last_evaluated(state: Path) -> int | None:
    if not (state / "state.sqlite").exists():
        return None
    db = sqlite3.connect(f"file:{state / 'state.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT snapshot FROM alarms").fetchall()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    values = [json.loads(row[0])["lastEvaluatedMs"] for row in rows]
    return None if not values or None in values else min(values)


def set_clock(path: Path, ms: int) -> None:
    aside = path.with_name(path.name + ".new")
    aside.write_text(str(ms))
    os.replace(aside, path)


def start_run(
    work: Path, watched: Path, state: Path, clock: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    environment = dict(os.environ, TRAILGUARD_TEST_CLOCK=f"file:{clock}", **(env or {}))
    log = (work / "run.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "trailguard", "run", str(watched), "--state", str(state), "--settle", "0", *extra],
        cwd=work,
        env=environment,
        stdout=log,
        stderr=log,
    )


def wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)


def throughput(work: Path, staging: Path, events: int, files: int) -> dict[str, float]:
    watched, state, clock = work / "watched", work / "state", work / "clock"
    for path in (watched, state):
        shutil.rmtree(path, ignore_errors=True)
    watched.mkdir()
    set_clock(clock, START_MS)
    run = start_run(work, watched, state, clock, "--cis", "all", "--no-context")
    try:
        wait(lambda: last_evaluated(state) is not None, 60, "the run to start")
        started = time.perf_counter()
        for name in sorted(os.listdir(staging)):
            os.link(staging / name, watched / name)  # an atomic arrival, as a rename would be
        wait(lambda: committed_files(state) == files, 3600, "every file")
        elapsed = time.perf_counter() - started
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(60)
    size = sum(p.stat().st_size for p in state.iterdir() if p.name.startswith("state.sqlite"))
    return {
        "seconds": elapsed,
        "events_per_s": events / elapsed,
        "files_per_s": files / elapsed,
        "state_mb": size / 1e6,
    }


def latency(work: Path, rounds: int) -> list[tuple[float, float]]:
    from aiosmtpd.controller import Controller

    received: list[float] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(time.perf_counter())
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    watched, state, clock = work / "lat-watched", work / "lat-state", work / "lat-clock"
    for path in (watched, state):
        shutil.rmtree(path, ignore_errors=True)
    watched.mkdir()
    config = work / "latency.yaml"
    config.write_text(
        """
metricFilters:
  - filterName: ConsoleSigninFailures
    filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    metricTransformations: [{metricName: ConsoleSigninFailures, metricNamespace: CISBenchmark, metricValue: "1"}]
alarms:
  - {AlarmName: ConsoleSigninFailures, MetricName: ConsoleSigninFailures, Namespace: CISBenchmark, Statistic: Sum,
     Period: 60, EvaluationPeriods: 1, Threshold: 3, ComparisonOperator: GreaterThanOrEqualToThreshold,
     TreatMissingData: notBreaching, AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]}
topics:
  - {TopicArn: arn:aws:sns:us-east-1:123456789012:alerts, Subscriptions: [{Protocol: email, Endpoint: soc@example.com}]}
"""
    )
    now = START_MS
    set_clock(clock, now)
    run = start_run(
        work, watched, state, clock, "--config", str(config), env={"TRAILGUARD_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    )
    out: list[tuple[float, float]] = []
    try:
        wait(lambda: last_evaluated(state) == now, 60, "the run to start")
        for i in range(rounds):
            minute = now - now % MINUTE
            records = [
                {
                    "eventTime": iso(minute + j * 1000),
                    "eventName": "ConsoleLogin",
                    "errorMessage": "Failed authentication",
                    "sourceIPAddress": "203.0.113.7",
                }
                for j in range(3)
            ]
            hidden = watched / f".r{i}.part"
            hidden.write_bytes(orjson.dumps({"Records": records}))
            before = len(received)
            dropped = time.perf_counter()
            os.replace(hidden, watched / f"r{i}.json")
            wait(lambda expected=i + 1: committed_files(state) == expected, 60, "the file")
            committed = time.perf_counter()
            now += MINUTE
            set_clock(clock, now)
            wait(lambda expected=before + 1: len(received) == expected, 60, "the email")
            out.append((committed - dropped, received[-1] - committed))
            now += 3 * MINUTE  # back to OK (no email) before the next round
            set_clock(clock, now)
            wait(lambda expected=now: last_evaluated(state) == expected, 60, "the return to OK")
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(60)
        controller.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--latency-rounds", type=int, default=10)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus if args.corpus.is_dir() else SAMPLE
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs; records from {corpus}")
    staging = work / f"staging-{args.files}x{args.records}-{args.seed}"
    if not staging.is_dir() or len(os.listdir(staging)) != args.files:
        shutil.rmtree(staging, ignore_errors=True)
        write_files(staging, corpus_records(corpus), args.files, args.records, args.seed)
    events = args.files * args.records
    stored = sum(p.stat().st_size for p in staging.iterdir()) / 1e6
    print(f"(a) {args.files} files x {args.records} records = {events:,} events ({stored:.1f} MB of gzip), --cis all")
    result = throughput(work, staging, events, args.files)
    print(
        f"    {result['seconds']:.1f} s: {result['events_per_s']:,.0f} events/s, {result['files_per_s']:.1f} "
        f"files (transactions)/s; state file {result['state_mb']:.1f} MB"
    )
    rounds = latency(work, args.latency_rounds)
    ingest = [a * 1000 for a, _ in rounds]
    deliver = [b * 1000 for _, b in rounds]
    total = [a + b for a, b in zip(ingest, deliver, strict=True)]
    print(f"(b) {len(rounds)} rounds, milliseconds (median / max):")
    print(f"    drop -> committed  {statistics.median(ingest):7.1f} / {max(ingest):7.1f}")
    print(f"    committed -> email {statistics.median(deliver):7.1f} / {max(deliver):7.1f}")
    print(f"    total              {statistics.median(total):7.1f} / {max(total):7.1f}")
    print("    (with the wall clock, add the wait for the next evaluation: up to 60 s)")


if __name__ == "__main__":
    main()
