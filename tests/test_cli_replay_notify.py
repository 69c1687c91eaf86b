"""`trailguard replay --notify`, run as a user runs it, delivering into real local receivers."""

from __future__ import annotations

import email
import email.policy
import json
import os
import sqlite3
from pathlib import Path

from local_servers import HttpSink, SmtpInbox
from test_cli_replay import SAMPLE, trailguard

CONFIG = """
metricFilters:
  - filterName: ConsoleSigninFailures
    filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    metricTransformations:
      - {metricName: ConsoleSigninFailures, metricNamespace: CISBenchmark, metricValue: "1"}
alarms:
  - AlarmName: ConsoleSigninFailures
    MetricName: ConsoleSigninFailures
    Namespace: CISBenchmark
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:123456789012:security-alerts]
topics:
  - Name: security-alerts
    Subscriptions:
{subscriptions}
"""


def write_config(tmp_path: Path, *subscriptions: str) -> Path:
    path = tmp_path / "monitors.yaml"
    path.write_text(CONFIG.replace("{subscriptions}", "\n".join(f"      - {s}" for s in subscriptions)))
    return path


def env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRAILGUARD_SMTP")}
    environment.update(extra)
    return environment


def test_a_replay_of_the_sample_emails_the_source_ip_of_the_failed_logins(
    tmp_path: Path, smtp_server: tuple[str, int, SmtpInbox]
) -> None:
    host, port, inbox = smtp_server
    config = write_config(
        tmp_path,
        "{Protocol: email, Endpoint: secops@example.com}",
        "{Protocol: file, Endpoint: alerts.jsonl}",
    )
    result = trailguard(
        "replay",
        str(SAMPLE),
        "--config",
        str(config),
        "--notify",
        cwd=tmp_path,
        env=env(TRAILGUARD_SMTP_URL=f"smtp://{host}:{port}"),
    )
    assert result.returncode == 0, result.stderr
    assert "notifications: 2 delivered, 0 in the dead-letter list" in result.stdout
    ((_, recipients, raw),) = inbox.messages
    assert recipients == ["secops@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == 'ALARM: "ConsoleSigninFailures" in US East (N. Virginia)'
    body = message.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    # The alarm fires at the 09:13 evaluation, whose breaching period holds the three failures of 09:12.
    assert "- Source IPs:                 203.0.113.42 (3)" in body
    assert "- Users:                      alice (2), bob (1)" in body
    assert '"Friday 20 November, 2026 09:13:00 UTC"' in body
    (line,) = (tmp_path / "alerts.jsonl").read_text().splitlines()
    envelope = json.loads(line)
    assert envelope["trailguard"]["sourceIPAddresses"] == [{"value": "203.0.113.42", "count": 3}]
    assert envelope["trailguard"]["firstEventTime"] == "2026-11-20T09:12:07Z"
    assert envelope["trailguard"]["lastEventTime"] == "2026-11-20T09:12:58Z"


def test_undeliverable_notifications_exit_2_and_stay_in_the_state_file(tmp_path: Path, http_server: HttpSink) -> None:
    http_server.status = 503
    config = write_config(
        tmp_path,
        f"{{Protocol: http, Endpoint: '{http_server.url}', "
        'Attributes: {DeliveryPolicy: \'{"healthyRetryPolicy":{"numRetries":0}}\'}}',
        "{Protocol: file, Endpoint: alerts.jsonl}",
    )
    state = tmp_path / "state.sqlite"
    result = trailguard(
        "replay",
        str(SAMPLE),
        "--config",
        str(config),
        "--notify",
        "--no-context",
        "--state",
        str(state),
        "--output",
        "json",
        cwd=tmp_path,
        env=env(),
    )
    assert result.returncode == 2, result.stderr
    json.loads(result.stdout)  # the report alone on stdout; the summary went to stderr
    assert "notifications: 1 delivered, 1 in the dead-letter list" in result.stderr
    assert "dead       ConsoleSigninFailures: http" in result.stderr and "HTTP 503" in result.stderr
    assert len(http_server.requests) == 1
    assert "trailguard" not in json.loads((tmp_path / "alerts.jsonl").read_text())
    rows = sqlite3.connect(state).execute("SELECT protocol, state, attempts FROM outbox ORDER BY id").fetchall()
    assert rows == [("http", "dead", 1), ("file", "delivered", 1)]


def test_stdout_subscriptions_cannot_mix_with_a_json_report(tmp_path: Path) -> None:
    config = write_config(tmp_path, "{Protocol: stdout, Endpoint: '-'}")
    result = trailguard("replay", str(SAMPLE), "--config", str(config), "--notify", "--output", "json", cwd=tmp_path)
    assert result.returncode == 2 and "has a stdout subscription" in result.stderr and result.stdout == ""


def test_collecting_evidence_leaves_the_replay_unchanged() -> None:
    import gzip

    from trailguard.engine.replay import Replay
    from trailguard.model import load_config
    from trailguard.notify.evidence import EvidenceReplay
    from trailguard.pattern import LogEvent

    config = load_config(Path(__file__).resolve().parents[1] / "examples" / "monitors.yaml")
    records = [
        r for p in sorted(SAMPLE.rglob("*.json.gz")) for r in json.loads(gzip.decompress(p.read_bytes()))["Records"]
    ]
    plain = Replay(config.metric_filters, config.alarms, region="us-east-1", account_id="123456789012")
    observed = EvidenceReplay(config.metric_filters, config.alarms, region="us-east-1", account_id="123456789012")
    from trailguard.sources.event_time import parse_event_time

    for record in records:
        at = parse_event_time(record["eventTime"])
        assert at is not None
        for engine in (plain, observed):
            engine.add(LogEvent(json.dumps(record), parsed=record), at, "CloudTrail/DefaultLogGroup")
    first, second = plain.finish(), observed.finish()
    assert first.store == second.store
    assert [o.evaluator.transitions for o in first.alarms] == [o.evaluator.transitions for o in second.alarms]
    root = next(o for o in second.alarms if o.alarm.alarm_name == "RootAccountUsage")
    # Root's failed sign-in in the 09:12 burst raises it; the context names that attempt.
    to_alarm = next(t for t in root.evaluator.transitions if t.new_state == "ALARM")
    context = observed.evidence.context_for(root.alarm, to_alarm)
    assert context is not None and context.event_count == 1
    assert [v.value for v in context.source_ips] == ["203.0.113.42"]
    assert [v.value for v in context.top("userIdentityTypes")] == ["Root"]
