"""Replay documents for the report tests, made by running ``trailguard replay`` on small hand-made CloudTrail
files: one whose events and configuration carry hostile text, and one long enough to be summarised."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOSTILE_USER = "<script>window.__pwned=1</script>"
HOSTILE_USER_ATTRIBUTE = '" onmouseover="window.__pwned=1" data-x="'
HOSTILE_ALARM = "failures </script><script>window.__pwned=1</script>"
HOSTILE_DESCRIPTION = '<img src=x onerror="window.__pwned=1">'

HOSTILE_CONFIG = f"""
metricFilters:
  - filterName: failures-by-user
    logGroupName: CloudTrail/DefaultLogGroup
    filterPattern: '{{ $.errorMessage = "Failed authentication" }}'
    metricTransformations:
      - metricName: FailuresByUser
        metricNamespace: Test
        metricValue: "1"
        dimensions: {{User: $.userIdentity.userName}}
  - filterName: failures
    logGroupName: CloudTrail/DefaultLogGroup
    filterPattern: '{{ $.errorMessage = "Failed authentication" }}'
    metricTransformations:
      - {{metricName: Failures, metricNamespace: Test, metricValue: "1"}}
alarms:
  - AlarmName: {json.dumps(HOSTILE_ALARM)}
    AlarmDescription: {json.dumps(HOSTILE_DESCRIPTION)}
    MetricName: Failures
    Namespace: Test
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:123456789012:alerts]
  - AlarmName: hostile-user
    MetricName: FailuresByUser
    Namespace: Test
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    Dimensions: [{{Name: User, Value: {json.dumps(HOSTILE_USER)}}}]
topics:
  - TopicArn: arn:aws:sns:us-east-1:123456789012:alerts
"""


def trailguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


def failure(at: datetime, user: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "errorMessage": "Failed authentication",
        "userIdentity": {"type": "IAMUser", "userName": user},
        "sourceIPAddress": "203.0.113.7",
    }


def hostile_trail(folder: Path) -> Path:
    """Two bursts of failed sign-ins by users whose names are markup, and the configuration that counts them."""
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    records = [failure(start + timedelta(minutes=10, seconds=s), HOSTILE_USER) for s in (0, 5, 9)]
    records += [failure(start + timedelta(minutes=40, seconds=s), HOSTILE_USER_ATTRIBUTE) for s in (1, 2, 3)]
    (folder / "trail.json").write_text(json.dumps({"Records": records}))
    (folder / "hostile.yaml").write_text(HOSTILE_CONFIG)
    return folder / "trail.json"


def long_trail(folder: Path, bursts: int = 200, every_minutes: int = 72) -> Path:
    """``bursts`` bursts of failed console sign-ins, one every ``every_minutes``: for the CIS 4.6 alarm, each one
    goes to ALARM and back to INSUFFICIENT_DATA, so the replay has 2 x ``bursts`` transitions over many days."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    records = []
    for burst in range(bursts):
        at = start + timedelta(minutes=burst * every_minutes)
        records += [failure(at + timedelta(seconds=s), f"user{burst % 7}") for s in range(1 + burst % 4)]
    path = folder / "long.json"
    path.write_text(json.dumps({"Records": records}))
    return path


def replay_outputs(folder: Path, *args: str) -> tuple[dict[str, Any], Path]:
    """The replay's JSON document and its HTML page (both written by the CLI) for ``args``."""
    document_path, page_path = folder / "replay.json", folder / "replay.html"
    for output, path in (("json", document_path), ("html", page_path)):
        result = trailguard("replay", *args, "--output", output, "--output-file", str(path), cwd=folder)
        assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(document_path.read_text())
    return document, page_path
