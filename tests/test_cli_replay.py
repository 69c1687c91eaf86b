"""`trailguard replay` and `trailguard monitors`, run as a user runs them (real processes, real files,
S3 and CloudWatch Logs through moto's HTTP server on 127.0.0.1)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from aws_builders import moto_client

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "cloudtrail"
MONITORS = REPO / "examples" / "monitors.yaml"


def trailguard(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
    )


def replay_json(*args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = trailguard("replay", *args, "--output", "json", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_sample_replay_raises_the_cis_4_6_alarm_and_its_notification(tmp_path: Path) -> None:
    document = replay_json(str(SAMPLE), cwd=tmp_path)
    (alarm,) = document["alarms"]
    assert alarm["name"] == "CIS-4.6-ConsoleAuthenticationFailures"
    assert [(t["from"], t["to"]) for t in alarm["transitions"]] == [
        ("INSUFFICIENT_DATA", "ALARM"),
        ("ALARM", "INSUFFICIENT_DATA"),
    ]
    first = alarm["transitions"][0]
    assert first["reason"].startswith("Threshold Crossed: 1 datapoint [")
    assert first["reasonData"]["statistic"] == "Sum"
    (notification,) = alarm["notifications"]
    assert notification["subject"] == 'ALARM: "CIS-4.6-ConsoleAuthenticationFailures" in US East (N. Virginia)'
    assert notification["topics"] == ["arn:aws:sns:us-east-1:123456789012:cis-alarms"]
    message = json.loads(notification["message"])
    assert message["NewStateValue"] == "ALARM" and message["Trigger"]["Statistic"] == "SUM"
    assert [item["HistorySummary"] for item in alarm["history"]] == [
        "Alarm updated from ALARM to INSUFFICIENT_DATA",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        'Alarm "CIS-4.6-ConsoleAuthenticationFailures" created',
    ]
    (metric,) = document["metrics"]
    assert metric["namespace"] == "CISBenchmark" and sum(p["sum"] for p in metric["datapoints"]) == 5
    assert document["input"]["events"] == 255 and document["input"]["quarantined"] == 0
    assert document["input"]["files"] == 8
    assert not (tmp_path / "trailguard-quarantine.jsonl").exists()  # nothing set aside, no file left


def test_text_report_for_people(tmp_path: Path) -> None:
    result = trailguard("replay", str(SAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "INSUFFICIENT_DATA → ALARM" in result.stdout
    assert 'Subject: ALARM: "CIS-4.6-ConsoleAuthenticationFailures" in US East (N. Virginia)' in result.stdout
    assert "Alarms" in result.stdout and "Metrics" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_forced_progress_bar_goes_to_stderr_and_leaves_stdout_clean(tmp_path: Path) -> None:
    result = trailguard("replay", str(SAMPLE), "--progress", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["events"] == 255


def test_all_cis_controls_and_a_configuration_file(tmp_path: Path) -> None:
    document = replay_json(str(SAMPLE), "--cis", "all", cwd=tmp_path)
    assert len(document["alarms"]) == 15 and len(document["filters"]) == 15
    raised = {a["name"] for a in document["alarms"] if any(t["to"] == "ALARM" for t in a["transitions"])}
    assert "CIS-4.6-ConsoleAuthenticationFailures" in raised
    configured = replay_json(str(SAMPLE), "--config", str(MONITORS), cwd=tmp_path)
    assert len(configured["alarms"]) == 3


def test_bad_input_is_quarantined_with_file_and_position(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    good = {"eventTime": "2026-11-20T09:10:00Z", "eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}
    (folder / "a.json").write_text(json.dumps({"Records": [good, {"eventName": "NoTime"}]}))
    (folder / "b.json.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    document = replay_json(str(folder), "--quarantine", "bad.jsonl", cwd=tmp_path)
    assert document["input"]["quarantined"] == 2
    lines = [json.loads(line) for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert {(Path(entry["origin"]).name, entry["position"]) for entry in lines} == {("a.json", 2), ("b.json.gz", None)}
    assert document["alarms"][0]["transitions"][0]["to"] == "ALARM"


def test_from_and_to(tmp_path: Path) -> None:
    document = replay_json(str(SAMPLE), "--from", "2026-11-20T09:20:00Z", "--to", "2026-11-20T10:00", cwd=tmp_path)
    assert document["alarms"][0]["transitions"] == []
    assert document["input"]["eventsOutsideWindow"] > 0
    assert document["window"] == {"start": "2026-11-20T09:20:00Z", "end": "2026-11-20T10:00:00Z"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/folder"], "/no/such/folder"),
        ([str(SAMPLE), "--cis", "9.9"], "9.9"),
        ([str(SAMPLE), "--cis-version", "0.1"], "0.1"),
        ([str(SAMPLE), "--from", "yesterday"], "--from"),
        ([str(SAMPLE), "--config", "/no/such.yaml"], "/no/such.yaml"),
        ([str(SAMPLE), "--config", str(MONITORS), "--cis", "4.6"], "either --config or --cis"),
        (["ftp://host/x"], "ftp://"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = trailguard("replay", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_configuration_is_reported_with_its_location(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: f\n"
        "    filterPattern: '{ $.a == 1 }'\n"
        "    metricTransformations: [{metricName: M, metricNamespace: N, metricValue: '1'}]\n"
        "alarms:\n"
        "  - {AlarmName: a, MetricName: M, Namespace: N, Statistic: Sum, Period: 45, EvaluationPeriods: 1,\n"
        "     Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold}\n"
    )
    result = trailguard("replay", str(SAMPLE), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.yaml:3" in result.stderr and "Invalid metric filter pattern" in result.stderr
    assert "Period" in result.stderr and "45" in result.stderr
    validate = trailguard("monitors", "validate", str(config), cwd=tmp_path)
    assert validate.returncode == 1 and "bad.yaml:3" in validate.stderr


def test_monitors_list_show_validate(tmp_path: Path) -> None:
    listed = trailguard("monitors", "list", "--output", "json")
    assert [c["id"] for c in json.loads(listed.stdout)] == [f"4.{n}" for n in range(1, 16)]
    v12 = json.loads(trailguard("monitors", "list", "--cis-version", "1.2.0", "--output", "json").stdout)
    assert len(v12) == 14 and v12[0]["nativeId"] == "3.1"
    shown = trailguard("monitors", "show", "4.6")
    assert shown.returncode == 0 and "Failed authentication" in shown.stdout
    config = tmp_path / "cis.yaml"
    config.write_text(shown.stdout)
    valid = trailguard("monitors", "validate", str(config))
    assert valid.returncode == 0 and "1 metric filters" in valid.stdout
    rerun = replay_json(str(SAMPLE), "--config", str(config), cwd=tmp_path)
    assert rerun["alarms"][0]["transitions"][0]["to"] == "ALARM"


# ---------------------------------------------------------------- AWS sources through moto


def _sample_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted(SAMPLE.rglob("*.json.gz")):
        records.extend(json.loads(gzip.decompress(path.read_bytes()))["Records"])
    return records


def test_replay_from_s3(moto_server: str, aws_env: dict[str, str], tmp_path: Path) -> None:
    bucket = f"trail-{uuid.uuid4().hex[:10]}"
    s3 = moto_client("s3", moto_server)
    s3.create_bucket(Bucket=bucket)
    for path in sorted(SAMPLE.rglob("*.json.gz")):
        s3.put_object(Bucket=bucket, Key=str(path.relative_to(SAMPLE)), Body=path.read_bytes())
    document = replay_json(f"s3://{bucket}/AWSLogs/", "--endpoint-url", moto_server, cwd=tmp_path, env=aws_env)
    assert document["input"]["events"] == 255
    assert [t["to"] for t in document["alarms"][0]["transitions"]] == ["ALARM", "INSUFFICIENT_DATA"]


def test_replay_from_cloudwatch_logs(moto_server: str, aws_env: dict[str, str], tmp_path: Path) -> None:
    group = f"CloudTrail/{uuid.uuid4().hex[:10]}"
    logs = moto_client("logs", moto_server)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="123456789012_CloudTrail_us-east-1")
    records = sorted(_sample_records(), key=lambda r: r["eventTime"])
    # CloudWatch Logs refuses events older than 14 days: ingest "now"; the replay uses eventTime.
    now_ms = int(time.time() * 1000) - 3_600_000
    events = [{"timestamp": now_ms + i, "message": json.dumps(r, separators=(",", ":"))} for i, r in enumerate(records)]
    logs.put_log_events(logGroupName=group, logStreamName="123456789012_CloudTrail_us-east-1", logEvents=events)
    document = replay_json(f"logs://{group}", "--endpoint-url", moto_server, cwd=tmp_path, env=aws_env)
    assert document["input"]["events"] == len(records) == 255
    assert [t["to"] for t in document["alarms"][0]["transitions"]] == ["ALARM", "INSUFFICIENT_DATA"]


def test_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "readme.yaml"
    config.write_text(example)
    result = trailguard("monitors", "validate", str(config))
    assert result.returncode == 0, result.stderr


def test_text_report_shows_one_message_body_per_alarm(tmp_path: Path) -> None:
    def failure(time: str) -> dict[str, str]:
        return {"eventTime": time, "eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}

    (tmp_path / "two-bursts.json").write_text(
        json.dumps({"Records": [failure("2026-11-20T09:10:00Z"), failure("2026-11-20T11:10:00Z")]})
    )
    result = trailguard("replay", str(tmp_path / "two-bursts.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Subject: ALARM") == 2
    assert result.stdout.count("Message: {") == 1
    assert "--output json has every message" in result.stdout


# ---------------------------------------------------------------- log groups


TWO_GROUPS = """
metricFilters:
  - filterName: failures-a
    logGroupName: trail-a
    filterPattern: '{ $.errorMessage = "Failed authentication" }'
    metricTransformations: [{metricName: FailuresA, metricNamespace: T, metricValue: "1"}]
  - filterName: failures-b
    logGroupName: trail-b
    filterPattern: '{ $.errorMessage = "Failed authentication" }'
    metricTransformations: [{metricName: FailuresB, metricNamespace: T, metricValue: "1"}]
"""


def test_a_metric_filter_sees_only_the_events_of_its_log_group(tmp_path: Path) -> None:
    config = tmp_path / "two.yaml"
    config.write_text(TWO_GROUPS)
    ambiguous = trailguard("replay", str(SAMPLE), "--config", str(config), cwd=tmp_path)
    assert ambiguous.returncode == 2 and "Traceback" not in ambiguous.stderr
    assert "2 log groups (trail-a, trail-b)" in ambiguous.stderr and "--log-group" in ambiguous.stderr
    document = replay_json(str(SAMPLE), "--config", str(config), "--log-group", "trail-b", cwd=tmp_path)
    by_name = {f["name"]: f for f in document["filters"]}
    assert by_name["failures-a"]["matched"] == 0 and by_name["failures-a"]["events"] == 0
    assert by_name["failures-b"]["matched"] > 0 and by_name["failures-b"]["events"] == 255
    assert {m["name"] for m in document["metrics"]} == {"FailuresB"}
    unknown = trailguard("replay", str(SAMPLE), "--config", str(config), "--log-group", "trail-c", cwd=tmp_path)
    assert unknown.returncode == 2 and "no metric filter of the configuration is on that log group" in unknown.stderr


def test_cis_monitors_follow_the_log_group_given(tmp_path: Path) -> None:
    document = replay_json(str(SAMPLE), "--log-group", "aws-cloudtrail-logs-main", cwd=tmp_path)
    (only,) = document["filters"]
    assert only["logGroup"] == "aws-cloudtrail-logs-main" and only["matched"] > 0
