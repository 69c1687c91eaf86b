"""Helpers for the live-monitoring tests: configurations, CloudTrail files dropped into a folder the way a sync tool
drops them (written aside, then renamed), a `trailguard run` process whose clock follows a file (the
TRAILGUARD_TEST_CLOCK test hook), and read-only looks at its state file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:security-alerts"
T0 = 1_795_165_230_000  # 2026-11-20T09:00:30Z: alarms created then are evaluated at :30 of every minute
MINUTE = 60_000


def config_text(subscriptions: Sequence[str], *, period: int = 60, threshold: int = 3, ok_actions: bool = True) -> str:
    """The CIS 4.6 filter, and an alarm on it that notifies on ALARM (and OK) through one topic."""
    subs = "\n".join(f"      - {s}" for s in subscriptions)
    ok = f"    OKActions: [{TOPIC_ARN}]\n    TreatMissingData: notBreaching\n" if ok_actions else ""
    return f"""
metricFilters:
  - filterName: ConsoleSigninFailures
    filterPattern: '{{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }}'
    metricTransformations:
      - {{metricName: ConsoleSigninFailures, metricNamespace: CISBenchmark, metricValue: "1"}}
alarms:
  - AlarmName: ConsoleSigninFailures
    MetricName: ConsoleSigninFailures
    Namespace: CISBenchmark
    Statistic: Sum
    Period: {period}
    EvaluationPeriods: 1
    Threshold: {threshold}
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [{TOPIC_ARN}]
{ok}topics:
  - TopicArn: {TOPIC_ARN}
    Subscriptions:
{subs}
"""


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def failed_login(at_ms: int, ip: str = "203.0.113.42", user: str = "alice") -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": iso(at_ms).replace(".000Z", "Z"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "123456789012"},
        "errorMessage": "Failed authentication",
        "responseElements": {"ConsoleLogin": "Failure"},
        "eventType": "AwsConsoleSignIn",
    }


def other_event(at_ms: int) -> dict[str, Any]:
    return {
        "eventTime": iso(at_ms).replace(".000Z", "Z"),
        "eventName": "DescribeInstances",
        "sourceIPAddress": "10.0.0.1",
    }


def drop(folder: Path, name: str, records: list[dict[str, Any]]) -> Path:
    """Write a CloudTrail delivery file aside (a hidden name the follower passes over), then rename it in."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = path.parent / f".{path.name}.part"
    hidden.write_text(json.dumps({"Records": records}))
    os.replace(hidden, path)
    return path


class ClockFile:
    """The file a `trailguard run` process reads its time from (TRAILGUARD_TEST_CLOCK=file:PATH)."""

    def __init__(self, path: Path, start_ms: int = T0) -> None:
        self.path = path
        self.set(start_ms)

    def set(self, ms: int) -> None:
        self.now_ms = ms
        aside = self.path.with_name(self.path.name + ".new")
        aside.write_text(str(ms))
        os.replace(aside, self.path)

    def advance(self, ms: int) -> None:
        self.set(self.now_ms + ms)

    @property
    def environment(self) -> dict[str, str]:
        return {"TRAILGUARD_TEST_CLOCK": f"file:{self.path}"}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAILGUARD_", "AWS_"))}
    env.update(extra)
    return env


class RunProcess:
    """A `trailguard run` process, started and restarted with the same arguments."""

    # Every instance, so that a test failing half-way (a wait_for past its deadline) does not leave its
    # process running for the rest of the suite: see kill_all.
    _instances: ClassVar[list[RunProcess]] = []

    def __init__(self, args: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.args = [sys.executable, "-m", "trailguard", "run", *args]
        self.cwd = cwd
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.preexec: Callable[[], None] | None = None
        RunProcess._instances.append(self)

    @classmethod
    def kill_all(cls) -> None:
        while cls._instances:
            cls._instances.pop().kill()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=self.preexec,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> None:
        if not self.alive():
            self.start()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        return self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class StateLook:
    """Read-only looks at a state file while `trailguard run` writes it."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "state.sqlite"

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        if not self.path.exists():
            return []
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError:
            return []  # the tables are not there yet
        finally:
            db.close()

    def items_done(self) -> int:
        rows = self.query("SELECT COUNT(*) FROM source_items WHERE done = 1")
        return int(rows[0][0]) if rows else 0

    def last_evaluated(self, alarm: str) -> int | None:
        rows = self.query("SELECT snapshot FROM alarms WHERE name = ?", (alarm,))
        if not rows:
            return None
        value = json.loads(rows[0][0])["lastEvaluatedMs"]
        return None if value is None else int(value)

    def datapoints(self) -> list[tuple[str, int, str]]:
        return sorted(self.query("SELECT series, minute, aggregate FROM datapoints"))

    def state_history(self) -> list[tuple[int, str, str]]:
        return self.query(
            "SELECT timestamp_ms, summary, data FROM alarm_history WHERE item_type = 'StateUpdate' ORDER BY id"
        )

    def outbox_counts(self) -> dict[str, int]:
        return {state: count for state, count in self.query("SELECT state, COUNT(*) FROM outbox GROUP BY state")}


def wait_for(
    condition: Callable[[], bool], what: str, *, timeout: float = 60.0, process: RunProcess | None = None
) -> None:
    """Wait (real time) until ``condition`` holds; a process that died meanwhile is started again when given."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and not process.alive():
            process.start()
        if time.monotonic() > deadline:
            log = process.log_text()[-3000:] if process is not None else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        time.sleep(0.02)
