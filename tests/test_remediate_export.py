"""``trailguard export``: the same plan for the user's own tooling, checked by the tools that consume it —
cfn-lint reads the CloudFormation template, python-hcl2 the Terraform, the AWS CLI runs the script against moto
(and trailguard audit then passes), and the JSON holds the API calls."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
from cfnlint.api import lint_all

from aws_builders import AccountSpec, MonitorSpec, build_account, build_snapshot
from trailguard.catalog import resolve_controls
from trailguard.remediate import (
    Evidence,
    RemediationRequest,
    plan_from_catalog,
    plan_from_evidence,
    render_cloudformation,
    render_terraform,
)

NOTIFY = ("email:security@example.com", "https:https://hooks.example.com/alarm?team=sec&x=${HOME}")
NO_MONITORING = AccountSpec(monitors=(MonitorSpec(filter=False, alarm=False),), topic=False, subscriptions=())


def catalog_plan(controls: str = "all", notify: tuple[str, ...] = NOTIFY, **options: Any) -> Any:
    return plan_from_catalog(RemediationRequest.build(resolve_controls(controls), notify, **options), "org/trail")


def integration_plan() -> Any:
    spec = AccountSpec(cloudwatch_logs=False, monitors=NO_MONITORING.monitors, topic=False, subscriptions=())
    request = RemediationRequest.build(resolve_controls("4.6,4.3"), NOTIFY)
    return plan_from_evidence(Evidence(build_snapshot(spec)), request)


def serious(template: str) -> list[str]:
    """cfn-lint's errors and warnings (informational suggestions left out, as the cfn-lint command does)."""
    return [str(match) for match in lint_all(template) if match.rule.id[0] in "EW"]


# ---------------------------------------------------------------- CloudFormation


def test_the_cloudformation_template_passes_cfn_lint() -> None:
    template = render_cloudformation(catalog_plan())
    assert serious(template) == []
    document: dict[str, Any] = __import__("yaml").safe_load(template)
    types = [resource["Type"] for resource in document["Resources"].values()]
    assert types.count("AWS::Logs::MetricFilter") == 15 and types.count("AWS::CloudWatch::Alarm") == 15
    assert types.count("AWS::SNS::Topic") == 1 and types.count("AWS::SNS::TopicPolicy") == 1
    assert types.count("AWS::SNS::Subscription") == 2
    assert set(document["Parameters"]) == {"LogGroupName", "NotifyEndpoint1", "NotifyEndpoint2"}
    assert document["Parameters"]["LogGroupName"]["Default"] == "org/trail"
    metric_filter = document["Resources"]["Cis46MetricFilter"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "LogGroupName"}
    assert metric_filter["FilterPattern"] == resolve_controls("4.6")[0].pattern
    alarm = document["Resources"]["Cis46Alarm"]["Properties"]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] and alarm["Threshold"] == 1.0
    policy = document["Resources"]["AlarmTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "AlarmTopic"}]
    assert policy["PolicyDocument"]["Statement"][1]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    subscription = document["Resources"]["AlarmTopicSubscription2"]["Properties"]
    assert subscription == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "https",
        "Endpoint": {"Ref": "NotifyEndpoint2"},
    }
    assert "deletes the filter and creates it" in template  # the replacement on update is said


def test_the_cloudformation_of_a_trail_integration_passes_cfn_lint_and_says_what_to_run_after() -> None:
    template = render_cloudformation(integration_plan())
    assert serious(template) == []
    document: dict[str, Any] = __import__("yaml").safe_load(template)
    resources = document["Resources"]
    assert resources["TrailLogGroup"]["Type"] == "AWS::Logs::LogGroup"
    assert resources["TrailDeliveryRolePolicy"]["Properties"]["RoleName"] == {"Ref": "TrailDeliveryRole"}
    assert resources["Cis46MetricFilter"]["Properties"]["LogGroupName"] == {"Ref": "TrailLogGroup"}
    assert "aws cloudtrail update-trail" in document["Outputs"]["AfterDeploying1"]["Value"]
    assert "CAPABILITY_NAMED_IAM" in template


# ---------------------------------------------------------------- Terraform


def _blocks(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in document.get(kind, []):
        for type_name, named in entry.items():
            for name, body in named.items():
                found[f"{type_name.strip(chr(34))}.{name.strip(chr(34))}"] = body
    return found


def test_the_terraform_parses_as_hcl2_with_the_right_resources() -> None:
    text = render_terraform(catalog_plan())
    document = hcl2.loads(text)
    resources = _blocks(document, "resource")
    kinds = [key.split(".")[0] for key in resources]
    assert kinds.count("aws_cloudwatch_log_metric_filter") == 15 and kinds.count("aws_cloudwatch_metric_alarm") == 15
    assert kinds.count("aws_sns_topic") == 1 and kinds.count("aws_sns_topic_policy") == 1
    assert kinds.count("aws_sns_topic_subscription") == 2
    variables = {key.strip('"') for entry in document["variable"] for key in entry}
    assert variables == {"log_group_name", "notify_endpoint1", "notify_endpoint2"}
    metric_filter = resources["aws_cloudwatch_log_metric_filter.cis46_metric_filter"]
    assert metric_filter["log_group_name"] == "${var.log_group_name}"
    assert json.loads(metric_filter["pattern"]) == resolve_controls("4.6")[0].pattern  # the text reaches AWS unchanged
    alarm = resources["aws_cloudwatch_metric_alarm.cis46_alarm"]
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alarm_topic.arn}"]
    subscription = resources["aws_sns_topic_subscription.alarm_topic_subscription2"]
    assert subscription["endpoint"] == "${var.notify_endpoint2}"
    assert "$${HOME}" in text  # a literal ${ in a value is escaped, not interpolated


def test_the_terraform_of_a_trail_integration_parses_and_links_its_resources() -> None:
    text = render_terraform(integration_plan())
    resources = _blocks(hcl2.loads(text), "resource")
    assert (
        resources["aws_iam_role_policy.trail_delivery_role_policy"]["role"]
        == "${aws_iam_role.trail_delivery_role.name}"
    )
    metric_filter = resources["aws_cloudwatch_log_metric_filter.cis46_metric_filter"]
    assert metric_filter["log_group_name"] == "${aws_cloudwatch_log_group.trail_log_group.name}"
    assert "aws cloudtrail update-trail" in text


# ---------------------------------------------------------------- the aws CLI script, run against moto


def run(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, check=False, env=env, cwd=cwd)


@pytest.mark.usefixtures("aws_environment")
def test_the_cli_script_runs_against_moto_and_the_audit_then_passes(moto_server: str, tmp_path: Path) -> None:
    account = build_account(moto_server, NO_MONITORING)
    env = dict(os.environ)
    script = tmp_path / "cis.sh"
    exported = run(
        sys.executable, "-m", "trailguard", "export", "--format", "cli", "--controls", "4.6,4.3",
        "--notify", "email:security@example.com", "--log-group", "CloudTrail/DefaultLogGroup",
        "--output-file", str(script), env=env,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    # An `aws` on PATH that is the AWS CLI package, talking to moto, with the built account's credentials.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "aws"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m awscli --endpoint-url "{moto_server}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    sts: Any = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_server)
    credentials = sts.assume_role(RoleArn=account.role_arn, RoleSessionName="script")["Credentials"]
    script_env = {
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "REGION": "us-east-1",
    }
    ran = run("bash", str(script), env=script_env)
    assert ran.returncode == 0, ran.stderr
    audited = run(
        sys.executable, "-m", "trailguard", "audit", "--endpoint-url", moto_server, "--role-arn", account.role_arn,
        "--region", "us-east-1", "--controls", "4.6,4.3", "--output", "json", env=env,
    )  # fmt: skip
    assert audited.returncode == 0, audited.stdout + audited.stderr
    document = json.loads(audited.stdout)
    assert {finding["id"]: finding["status"] for finding in document["controls"]} == {
        "cis-4.6": "PASS",
        "cis-4.3": "PASS",
    }


def test_the_script_needs_a_region_and_quotes_what_it_is_given(tmp_path: Path) -> None:
    from trailguard.remediate import render_script

    script = render_script(catalog_plan("4.6"))
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert "NOTIFY_ENDPOINT_2=${NOTIFY_ENDPOINT_2:-'https://hooks.example.com/alarm?team=sec&x=${HOME}'}" in script
    path = tmp_path / "s.sh"
    path.write_text(script)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_") and key != "REGION"}
    result = run("bash", str(path), env=env)
    assert result.returncode == 2 and "set REGION" in result.stderr
    assert run("bash", "-n", str(path), env=env).returncode == 0


# ---------------------------------------------------------------- JSON and the command


def test_the_json_export_lists_the_api_calls_with_placeholders_for_the_account() -> None:
    result = run(
        sys.executable, "-m", "trailguard", "export", "--format", "json", "--controls", "4.6",
        "--notify", "email:security@example.com", env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--log-group" in result.stderr  # the default log group is a guess, and said to be one
    document = json.loads(result.stdout)
    assert [(a["service"], a["operation"]) for a in document["actions"]] == [
        ("sns", "CreateTopic"),
        ("sns", "SetTopicAttributes"),
        ("sns", "Subscribe"),
        ("logs", "PutMetricFilter"),
        ("cloudwatch", "PutMetricAlarm"),
    ]
    assert all(a["status"] == "planned" and a["why"] for a in document["actions"])
    alarm = document["actions"][-1]["parameters"]
    assert alarm["AlarmActions"] == ["arn:${Partition}:sns:${Region}:${AccountId}:cis-alarms"]
    assert document["actions"][-2]["parameters"]["logGroupName"] == "CloudTrail/DefaultLogGroup"
    assert document["mode"] == "export"


def test_export_refuses_protocols_sns_cannot_deliver_to() -> None:
    result = run(
        sys.executable, "-m", "trailguard", "export", "--format", "terraform", "--notify", "slack:https://x.example/h",
        env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 2 and "trailguard itself" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.usefixtures("aws_environment")
def test_export_from_an_account_writes_only_what_is_missing(moto_server: str) -> None:
    account = build_account(moto_server, AccountSpec().with_monitor(0, alarm=False))
    result = run(
        sys.executable, "-m", "trailguard", "export", "--format", "cloudformation", "--controls", "4.6",
        "--notify", "email:security@example.com", "--from-account", "--endpoint-url", moto_server,
        "--role-arn", account.role_arn, "--region", "us-east-1", env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = __import__("yaml").safe_load(result.stdout)
    assert [resource["Type"] for resource in document["Resources"].values()] == ["AWS::CloudWatch::Alarm"]
    alarm = document["Resources"]["Cis46Alarm"]["Properties"]
    assert alarm["AlarmActions"] == [f"arn:aws:sns:us-east-1:{account.account_id}:cis-alarms"]  # the kept topic
    assert serious(result.stdout) == []
