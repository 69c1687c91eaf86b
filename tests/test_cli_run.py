"""`trailguard run` as a user runs it: a real process on a watched folder, its clock driven through the
TRAILGUARD_TEST_CLOCK test hook, notifications into a real SMTP server (aiosmtpd) and files, Prometheus metrics
scraped over HTTP, SIGKILL at random moments, a full disk and a read-only state folder."""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_support import (
    MINUTE,
    T0,
    ClockFile,
    RunProcess,
    StateLook,
    config_text,
    drop,
    environment,
    failed_login,
    other_event,
    wait_for,
)
from local_servers import HttpSink, SmtpInbox, free_port

ALARM = "ConsoleSigninFailures"


@pytest.fixture(autouse=True)
def _no_run_outlives_its_test() -> Iterator[None]:
    yield
    RunProcess.kill_all()


def trailguard(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env or environment(),
    )


def setup(tmp_path: Path, *subscriptions: str, **config: int | bool) -> tuple[Path, Path, Path, ClockFile]:
    watched = tmp_path / "trail"
    watched.mkdir()
    state = tmp_path / "state"
    cfg = tmp_path / "monitors.yaml"
    cfg.write_text(config_text(subscriptions, **config))  # type: ignore[arg-type]
    return watched, state, cfg, ClockFile(tmp_path / "clock")


def run_process(
    tmp_path: Path, watched: Path, state: Path, cfg: Path, clock: ClockFile, *extra: str, **env: str
) -> RunProcess:
    args = [str(watched), "--config", str(cfg), "--state", str(state), "--settle", "0", *extra]
    return RunProcess(args, cwd=tmp_path, env=environment(**clock.environment, **env), log=tmp_path / "run.log")


def test_failed_console_logins_dropped_into_the_folder_email_their_source_ip_within_the_period(
    tmp_path: Path, smtp_server: tuple[str, int, SmtpInbox]
) -> None:
    host, port, inbox = smtp_server
    watched, state, cfg, clock = setup(
        tmp_path, "{Protocol: email, Endpoint: secops@example.com}", period=300, ok_actions=False
    )
    run = run_process(tmp_path, watched, state, cfg, clock, TRAILGUARD_SMTP_URL=f"smtp://{host}:{port}")
    run.start()
    look = StateLook(state)
    wait_for(lambda: look.last_evaluated(ALARM) == T0, "the alarm's first evaluation", process=run)
    attempts = [failed_login(T0 + 5_000 + i * 7_000, ip="198.51.100.77", user=f"user{i % 2}") for i in range(4)]
    drop(watched, "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/a.json", [attempts[0], other_event(T0 + 1)])
    drop(watched, "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/b.json", attempts[1:])
    wait_for(lambda: look.items_done() == 2, "both files read", process=run)
    # The attempts are in the minute 09:00; the first evaluation whose range holds that whole minute is 09:01:30,
    # well within the alarm's 5-minute period.
    for _ in range(3):
        clock.advance(MINUTE)
        wait_for(lambda: look.last_evaluated(ALARM) == clock.now_ms, "an evaluation", process=run)
    wait_for(lambda: len(inbox.messages) == 1, "the email", process=run)
    assert run.stop(signal.SIGTERM) == 0
    ((_, recipients, raw),) = inbox.messages
    assert recipients == ["secops@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == f'ALARM: "{ALARM}" in US East (N. Virginia)'
    body = message.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    assert "- Source IPs:                 198.51.100.77 (4)" in body
    assert "- Matching events:            4" in body
    assert '"Friday 20 November, 2026 09:01:30 UTC"' in body
    history = trailguard("history", ALARM, "--state", str(state), "--output", "json", cwd=tmp_path)
    items = json.loads(history.stdout)["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        f'Alarm "{ALARM}" created',
    ]
    assert items[0]["Timestamp"] == "2026-11-20T09:01:30.000+0000"


def scrape(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_prometheus_metrics_are_served_and_the_state_commands_show_the_run(
    tmp_path: Path, http_server: HttpSink
) -> None:
    http_server.status = 400  # refused for good: the notification goes to the dead-letter list at once
    watched, state, cfg, clock = setup(tmp_path, f"{{Protocol: http, Endpoint: '{http_server.url}'}}", ok_actions=False)
    port = free_port()
    run = run_process(
        tmp_path,
        watched,
        state,
        cfg,
        clock,
        "--metrics-port",
        str(port),
        "--log-format",
        "json",
        "--health-every",
        "30",
    )
    run.start()
    look = StateLook(state)
    wait_for(lambda: look.last_evaluated(ALARM) == T0, "the first evaluation", process=run)
    drop(watched, "a.json", [failed_login(T0 + 1_000 * i) for i in range(5)] + [other_event(T0)])
    (watched / "b.json").write_text('{"Records": [{"eventName": "no time"}, 3]}')
    wait_for(lambda: look.items_done() == 2, "the files read", process=run)
    clock.advance(MINUTE)
    wait_for(lambda: look.outbox_counts().get("dead") == 1, "the refused notification", process=run)
    metrics = scrape(port)
    assert metrics['trailguard_events_read_total{source="folder:' + str(watched.resolve()) + '"}'] == 6
    assert metrics['trailguard_events_matched_total{filter="ConsoleSigninFailures"}'] == 5
    assert metrics['trailguard_events_quarantined_total{source="folder:' + str(watched.resolve()) + '"}'] == 2
    assert metrics['trailguard_alarm_state{alarm="ConsoleSigninFailures",state="ALARM"}'] == 1
    assert metrics['trailguard_alarm_state{alarm="ConsoleSigninFailures",state="OK"}'] == 0
    assert metrics['trailguard_notifications_failed_total{protocol="http"}'] == 1
    assert metrics['trailguard_notifications_dead_total{protocol="http"}'] == 1
    assert metrics["trailguard_outbox_dead"] == 1
    assert metrics["trailguard_lag_seconds"] == pytest.approx(56.0)  # the clock is 60 s past the minute, newest +4 s
    # The state commands work beside the running process.
    alarms = json.loads(trailguard("alarms", "--state", str(state), "--output", "json", cwd=tmp_path).stdout)
    (alarm,) = alarms["alarms"]
    assert (alarm["name"], alarm["state"], alarm["configured"]) == (ALARM, "ALARM", True)
    assert alarms["sources"][0]["events"] == 6 and alarms["sources"][0]["quarantined"] == 2
    assert (
        "ALARM              ConsoleSigninFailures" in trailguard("alarms", "--state", str(state), cwd=tmp_path).stdout
    )
    listing = json.loads(trailguard("outbox", "--state", str(state), "--output", "json", cwd=tmp_path).stdout)
    (entry,) = listing["entries"]
    assert entry["state"] == "dead" and "HTTP 400" in entry["lastError"]
    assert trailguard("outbox", "--state", str(state), "--retry", "999", cwd=tmp_path).returncode == 2
    http_server.status = 200
    retried = trailguard(
        "outbox", "--state", str(state), "--retry-all", cwd=tmp_path, env=environment(**clock.environment)
    )
    assert retried.returncode == 0 and "1 dead letter(s) back in the queue" in retried.stdout
    wait_for(lambda: look.outbox_counts() == {"delivered": 1}, "the retried delivery", process=run)
    ids = {request[1]["x-amz-sns-message-id"] for request in http_server.requests}
    assert len(http_server.requests) == 2 and len(ids) == 1  # a retry keeps the MessageId
    not_dead = trailguard("outbox", "--state", str(state), "--retry", str(entry["id"]), cwd=tmp_path)
    assert not_dead.returncode == 1 and "is delivered, not a dead letter" in not_dead.stdout
    assert run.stop(signal.SIGINT) == 130
    lines = [json.loads(line) for line in run.log_text().splitlines()]
    assert {line["message"] for line in lines} >= {"started", "alarm state changed", "health", "stopped"}
    health = next(line for line in lines if line["message"] == "health")
    assert health["lag_seconds"] == 56.0 and health["alarms_in_alarm"] == 1 and "events_per_second" in health
    assert health["outbox_pending"] + health["outbox_dead"] == 1
    quarantine = [json.loads(line) for line in (state / "quarantine.jsonl").read_text().splitlines()]
    assert [q["reason"] for q in quarantine] == ["record has no eventTime", "record is not a JSON object"]


def test_sigkill_at_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """Two runs over the same files and clock: one left alone, one killed (SIGKILL) at random moments and
    restarted each time. Datapoints, alarm transitions and filter counters end equal; every notification of the
    undisturbed run is delivered (at least once, with the same MessageId)."""
    rng = random.Random(20261120)
    steps = 14
    counts = [rng.choice([0, 1, 2, 3, 4, 6]) for _ in range(steps)]

    def scenario(name: str, kill_probability: float) -> tuple[StateLook, Path, RunProcess]:
        root = tmp_path / name
        root.mkdir()
        alerts = root / "alerts.jsonl"
        watched, state, cfg, clock = setup(root, f"{{Protocol: file, Endpoint: '{alerts}'}}")
        run = run_process(root, watched, state, cfg, clock)
        look = StateLook(state)
        run.start()
        killer = random.Random(7)
        wait_for(lambda: look.last_evaluated(ALARM) == T0, "the first evaluation", process=run)
        files = 0
        for step in range(steps):
            minute_start = clock.now_ms - clock.now_ms % MINUTE
            records = [
                failed_login(minute_start + 1_000 + 2_000 * i, ip=f"192.0.2.{step}") for i in range(counts[step])
            ]
            for part in range(2):
                drop(watched, f"{step:02d}/{part}.json", [*records[part::2], other_event(minute_start + part)])
                files += 1
                if killer.random() < kill_probability:
                    time.sleep(killer.uniform(0, 0.3))
                    run.kill()
            wait_for(lambda expected=files: look.items_done() == expected, "the files read", process=run)
            clock.advance(MINUTE)
            if killer.random() < kill_probability:
                time.sleep(killer.uniform(0, 0.3))
                run.kill()
            wait_for(lambda: look.last_evaluated(ALARM) == clock.now_ms, "the evaluation", process=run)
        wait_for(lambda: look.outbox_counts().get("pending", 0) == 0, "deliveries", process=run)
        assert run.stop() == 0
        return look, alerts, run

    calm, calm_alerts, calm_run = scenario("calm", 0.0)
    killed, killed_alerts, killed_run = scenario("killed", 0.5)
    assert calm_run.starts == 1 and killed_run.starts >= 6, killed_run.starts
    assert killed.datapoints() == calm.datapoints()
    sums = {minute: json.loads(aggregate) for _, minute, aggregate in calm.datapoints()}
    assert sum(count for values in sums.values() for _, count in values) == sum(counts)
    assert killed.state_history() == calm.state_history()
    assert len(calm.state_history()) >= 4
    assert killed.query("SELECT counters FROM filter_counters") == calm.query("SELECT counters FROM filter_counters")
    assert killed.query("SELECT * FROM totals ORDER BY name") == calm.query("SELECT * FROM totals ORDER BY name")

    def delivered(path: Path) -> list[tuple[str, str]]:
        return [(e["MessageId"], e["Subject"]) for e in map(json.loads, path.read_text().splitlines())]

    expected = delivered(calm_alerts)
    assert len(expected) == len(set(expected)) == len(calm.state_history())
    assert set(delivered(killed_alerts)) == set(expected)  # at least once, none missing, none invented


def _make_read_only(folder: Path) -> None:
    """Make a folder read-only for this user: no file can be created in it or removed (root ignores permission
    bits, so root sets the immutable attribute instead)."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return
    result = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot make a folder read-only for root here: {result.stderr.strip()}")


def _make_writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=False)
    os.chmod(folder, 0o755)


def test_a_read_only_state_folder_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    watched, state, cfg, clock = setup(tmp_path, "{Protocol: file, Endpoint: /dev/null}")
    look = StateLook(state)
    run = run_process(tmp_path, watched, state, cfg, clock)
    run.start()
    drop(watched, "a.json", [failed_login(T0)])
    wait_for(lambda: look.items_done() == 1, "the first file", process=run)
    assert run.stop() == 0
    drop(watched, "b.json", [failed_login(T0 + 1), failed_login(T0 + 2)])
    _make_read_only(state)
    try:
        run.start()
        assert run.process is not None and run.process.wait(60) == 2
        log = run.log_text()
        assert "error: cannot use the state file" in log and "Traceback" not in log, log
    finally:
        _make_writable(state)
    run.start()
    wait_for(lambda: look.items_done() == 2, "the file read once the folder is writable", process=run)
    assert run.stop() == 0
    ((_, _, aggregate),) = look.datapoints()
    assert json.loads(aggregate) == [[1.0, 3]]


def test_a_full_disk_stops_the_run_clearly_and_loses_nothing_already_accepted(tmp_path: Path) -> None:
    watched, state, cfg, clock = setup(tmp_path, f"{{Protocol: file, Endpoint: '{tmp_path / 'alerts.jsonl'}'}}")
    run = run_process(tmp_path, watched, state, cfg, clock)
    look = StateLook(state)
    run.start()
    wait_for(lambda: look.last_evaluated(ALARM) == T0, "the first evaluation", process=run)
    for i in range(3):
        drop(watched, f"early/{i}.json", [failed_login(T0 + i)])
    wait_for(lambda: look.items_done() == 3, "the first files", process=run)
    assert run.stop() == 0
    accepted = look.datapoints()

    # Files may not grow past their size now (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk).
    limit = max(p.stat().st_size for p in state.iterdir()) + 4096

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    big = [failed_login(T0 + i, user="u" * 200 + str(i)) for i in range(300)]
    for i in range(20):
        drop(watched, f"late/{i:02d}.json", big)
    run.preexec = full_disk
    run.start()
    assert run.process is not None and run.process.wait(120) == 2
    log = run.log_text()
    assert "Traceback" not in log
    assert "error: cannot write the state file" in log and ("full" in log or "I/O" in log or "too large" in log), log
    # What was committed before the disk filled is all there, and matches the files recorded as read.
    committed = look.items_done()
    assert 3 <= committed < 23
    ((series, minute, aggregate),) = look.datapoints()
    assert (series, minute) == accepted[0][:2]
    assert json.loads(aggregate) == [[1.0, 3 + 300 * (committed - 3)]]

    # With room again, the run continues from what was committed: every event counted once.
    run.preexec = None
    run.start()
    wait_for(lambda: look.items_done() == 23, "every file", process=run)
    assert run.stop() == 0
    ((_, _, aggregate),) = look.datapoints()
    assert json.loads(aggregate) == [[1.0, 3 + 20 * 300]]


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    watched, state, cfg, clock = setup(tmp_path, "{Protocol: file, Endpoint: /dev/null}")
    (tmp_path / "one.json").write_text("{}")
    env = environment(**clock.environment)
    cases = {
        "follows folders": ["run", str(tmp_path / "one.json"), "--config", str(cfg), "--state", str(state)],
        "no such file": ["run", str(tmp_path / "absent"), "--config", str(cfg), "--state", str(state)],
        "only once": ["run", "-", "-", "--config", str(cfg), "--state", str(state)],
        "no state file": ["alarms", "--state", str(tmp_path / "nowhere")],
    }
    for expected, args in cases.items():
        result = trailguard(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr, result
    bad_clock = trailguard(
        "run",
        str(watched),
        "--config",
        str(cfg),
        "--state",
        str(state),
        cwd=tmp_path,
        env=environment(TRAILGUARD_TEST_CLOCK="sometimes"),
    )
    assert bad_clock.returncode == 2 and "TRAILGUARD_TEST_CLOCK='sometimes'" in bad_clock.stderr

    first = run_process(tmp_path, watched, state, cfg, clock)
    first.start()
    wait_for(lambda: StateLook(state).last_evaluated(ALARM) == T0, "the first run", process=first)
    second = trailguard("run", str(watched), "--config", str(cfg), "--state", str(state), cwd=tmp_path, env=env)
    assert second.returncode == 2 and "is in use by another trailguard run" in second.stderr
    assert first.stop() == 0


def test_records_arriving_on_standard_input_are_monitored_until_stopped(tmp_path: Path) -> None:
    _, state, cfg, clock = setup(
        tmp_path, f"{{Protocol: file, Endpoint: '{tmp_path / 'alerts.jsonl'}'}}", ok_actions=False
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "trailguard", "run", "-", "--config", str(cfg), "--state", str(state)],
        cwd=tmp_path,
        env=environment(**clock.environment),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    look = StateLook(state)
    try:
        assert process.stdin is not None
        for i in range(4):
            process.stdin.write((json.dumps(failed_login(T0 + i)) + "\n").encode())
        process.stdin.write(b"{broken\n")
        process.stdin.flush()
        wait_for(lambda: look.query("SELECT events FROM sources") == [(4,)], "the records read")
        process.stdin.close()  # the end of standard input does not end the monitoring
        clock.advance(MINUTE)
        wait_for(lambda: look.last_evaluated(ALARM) == clock.now_ms, "the evaluation")
        wait_for(lambda: (tmp_path / "alerts.jsonl").exists(), "the notification")
        assert process.poll() is None
        os.kill(process.pid, signal.SIGTERM)
        process.wait(60)
        assert process.stderr is not None
        stderr = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert b"standard input ended" in stderr
    (notification,) = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert notification["Subject"] == f'ALARM: "{ALARM}" in US East (N. Virginia)'
    assert look.query("SELECT quarantined FROM sources") == [(1,)]


def test_an_s3_trail_and_a_log_group_are_followed_by_polling(tmp_path: Path, aws_environment: str) -> None:
    import gzip
    import uuid

    import boto3

    bucket, group = f"trail-{uuid.uuid4().hex[:12]}", f"/trail/{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_environment)
    s3.create_bucket(Bucket=bucket)
    logs = boto3.client("logs", region_name="us-east-1", endpoint_url=aws_environment)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="123456789012_CloudTrail_us-east-1")
    alerts = tmp_path / "alerts.jsonl"
    _, state, cfg, clock = setup(tmp_path, f"{{Protocol: file, Endpoint: '{alerts}'}}", ok_actions=False)
    cfg.write_text(
        cfg.read_text().replace(
            "  - filterName: ConsoleSigninFailures", f"  - filterName: ConsoleSigninFailures\n    logGroupName: {group}"
        )
    )
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    run = RunProcess(
        [
            f"s3://{bucket}/",
            f"logs://{group}",
            "--config",
            str(cfg),
            "--state",
            str(state),
            "--log-group",
            group,
            "--endpoint-url",
            aws_environment,
            "--region",
            "us-east-1",
            "--poll-interval",
            "0.2",
        ],
        cwd=tmp_path,
        env=environment(**clock.environment, **aws),
        log=tmp_path / "run.log",
    )
    run.start()
    look = StateLook(state)
    wait_for(lambda: look.last_evaluated(ALARM) == T0, "the first evaluation", process=run)
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/123456789012_CloudTrail_us-east-1_a.json.gz"
    body = gzip.compress(json.dumps({"Records": [failed_login(T0 + 1), failed_login(T0 + 2)]}).encode())
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="123456789012_CloudTrail_us-east-1",
        logEvents=[{"timestamp": T0 + 3, "message": json.dumps(failed_login(T0 + 3, ip="192.0.2.9"))}],
    )
    wait_for(lambda: sum(row[0] for row in look.query("SELECT events FROM sources")) == 3, "both sources", process=run)
    clock.advance(MINUTE)
    wait_for(lambda: alerts.exists(), "the notification", process=run)
    assert run.stop() == 0
    (notification,) = [json.loads(line) for line in alerts.read_text().splitlines()]
    ips = {item["value"]: item["count"] for item in notification["trailguard"]["sourceIPAddresses"]}
    assert ips == {"203.0.113.42": 2, "192.0.2.9": 1}
    assert {row[0] for row in look.query("SELECT source FROM sources")} == {f"s3://{bucket}/", f"logs://{group}"}
