"""``trailguard remediate`` against moto's HTTP server: plan, apply, audit → PASS, apply again → no change (the same
resources, counted in moto), on partial accounts, with trail integration, through a call refused half-way and a
retry, and through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from aws_builders import AccountSpec, BuiltAccount, MonitorSpec, build_account
from refusing_endpoint import Refusal, RefusingEndpoint
from trailguard.aws import AwsOptions, AwsSession
from trailguard.catalog import resolve_controls
from trailguard.remediate import RemediationRequest, remediate

NOTIFY = "email:security@example.com"
BASE = "CIS-4.6-ConsoleAuthenticationFailures"
NO_MONITORING = AccountSpec(monitors=(MonitorSpec(filter=False, alarm=False),), topic=False, subscriptions=())
NARROWED = (
    '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") && ($.sourceIPAddress = 1.2.3.4) }'
)


def request(controls: str = "4.6", notify: tuple[str, ...] = (NOTIFY,), **options: Any) -> RemediationRequest:
    return RemediationRequest.build(resolve_controls(controls), notify, **options)


def session(account: BuiltAccount, endpoint: str | None = None) -> AwsSession:
    options = account.options()
    if endpoint is not None:
        options = AwsOptions(region=options.region, endpoint_url=endpoint, assume_roles=options.assume_roles)
    return AwsSession(options)


def resources(account: BuiltAccount) -> Counter[str]:
    """What exists in the moto account: metric filters (every log group named by the spec), alarms, topics,
    subscriptions, log groups, roles — by name, so that a second resource of the same name counts twice."""
    aws = session(account)
    found: Counter[str] = Counter()
    for group in aws.call("logs", "DescribeLogGroups").get("logGroups", []):
        found["logGroup " + group["logGroupName"]] += 1
        for item in aws.call("logs", "DescribeMetricFilters", logGroupName=group["logGroupName"])["metricFilters"]:
            found[f"filter {item['filterName']} {item['filterPattern']}"] += 1
    for alarm in aws.call("cloudwatch", "DescribeAlarms")["MetricAlarms"]:
        found[f"alarm {alarm['AlarmName']} {alarm['MetricName']} {alarm['AlarmActions']}"] += 1
    for topic in aws.call("sns", "ListTopics")["Topics"]:
        found["topic " + topic["TopicArn"]] += 1
    for subscription in aws.call("sns", "ListSubscriptions")["Subscriptions"]:
        found[f"subscription {subscription['TopicArn']} {subscription['Protocol']} {subscription['Endpoint']}"] += 1
    for role in aws.call("iam", "ListRoles")["Roles"]:
        found["role " + role["RoleName"]] += 1
    trail = aws.call("cloudtrail", "DescribeTrails")["trailList"]
    found.update(f"trail {t['Name']} {t.get('CloudWatchLogsLogGroupArn')}" for t in trail)
    return found


def status(document: dict[str, Any] | None) -> dict[str, str]:
    assert document is not None
    return {finding["id"]: finding["status"] for finding in document["controls"]}


def apply_twice(account: BuiltAccount, wanted: RemediationRequest) -> tuple[Any, Counter[str]]:
    """Apply, check the audit passes, apply again and check nothing changed; the first result and the resources."""
    first = remediate(session(account), wanted, apply=True, sleep=lambda _: None)
    assert first.applied is not None and first.applied.failed is None, first.applied
    assert not first.unresolved and not first.plan.blockers, (first.unresolved, first.plan.blockers)
    assert set(status(first.audit_after).values()) == {"PASS"}, first.audit_after
    after_first = resources(account)
    second = remediate(session(account), wanted, apply=True, sleep=lambda _: None)
    assert second.applied is not None and second.applied.applied == () and second.plan.planned == ()
    assert set(status(second.audit_after).values()) == {"PASS"}
    assert resources(account) == after_first
    return first, after_first


@pytest.mark.usefixtures("aws_environment")
def test_an_account_without_monitoring_is_planned_applied_audited_and_left_alone_after(moto_server: str) -> None:
    account = build_account(moto_server, NO_MONITORING)
    before = resources(account)
    planned = remediate(session(account), request())
    assert [a.operation for a in planned.plan.planned] == [
        "CreateTopic",
        "SetTopicAttributes",
        "Subscribe",
        "PutMetricFilter",
        "PutMetricAlarm",
    ]
    assert status(planned.audit_before) == {"cis-4.6": "FAIL"}
    assert resources(account) == before  # the plan changed nothing
    first, after = apply_twice(account, request())
    assert [a.status for a in first.plan.actions] == ["applied"] * 5
    topic = f"arn:aws:sns:us-east-1:{account.account_id}:cis-alarms"
    assert after - before == Counter(
        {
            f"topic {topic}": 1,
            f"subscription {topic} email security@example.com": 1,
            f"filter {BASE} {resolve_controls('4.6')[0].pattern}": 1,
            f"alarm {BASE} {BASE} {[topic]}": 1,
        }
    )


@pytest.mark.usefixtures("aws_environment")
def test_all_fifteen_controls_in_one_run(moto_server: str) -> None:
    account = build_account(moto_server, NO_MONITORING)
    _, after = apply_twice(account, request("all"))
    assert sum(1 for key in after if key.startswith("filter ")) == 15
    assert sum(1 for key in after if key.startswith("alarm ")) == 15
    assert sum(1 for key in after if key.startswith("topic ")) == 1


@pytest.mark.parametrize(
    ("spec", "operations", "name"),
    [
        pytest.param(AccountSpec().with_monitor(0, alarm=False), ["PutMetricAlarm"], BASE, id="filter-without-alarm"),
        pytest.param(
            AccountSpec().with_monitor(0, sns_action=False),
            ["PutMetricAlarm"],
            BASE + "-trailguard",
            id="alarm-without-actions",
        ),
        pytest.param(AccountSpec(subscriptions=()), ["Subscribe"], None, id="topic-without-subscription"),
        pytest.param(
            AccountSpec().with_monitor(0, pattern=NARROWED),
            ["PutMetricFilter", "PutMetricAlarm"],
            BASE + "-trailguard",
            id="filter-that-misses-events",
        ),
    ],
)
@pytest.mark.usefixtures("aws_environment")
def test_partial_accounts_get_only_what_is_missing(
    moto_server: str, spec: AccountSpec, operations: list[str], name: str | None
) -> None:
    account = build_account(moto_server, spec)
    before = resources(account)
    planned = remediate(session(account), request())
    assert [a.operation for a in planned.plan.planned] == operations
    if name is not None:
        assert str(planned.plan.planned[-1].resource.name) == name
    _, after = apply_twice(account, request())
    assert sum((after - before).values()) == len(operations)
    assert not before - after  # nothing of the user's was removed or replaced


@pytest.mark.usefixtures("aws_environment")
def test_replace_fixes_a_broken_alarm_in_place(moto_server: str) -> None:
    account = build_account(moto_server, AccountSpec().with_monitor(0, actions_enabled=False))
    _, after = apply_twice(account, request(replace=True))
    alarms = [key for key in after if key.startswith("alarm ")]
    assert len(alarms) == 1 and alarms[0].startswith(f"alarm {BASE} ")


@pytest.mark.usefixtures("aws_environment")
def test_a_trail_without_cloudwatch_logs_is_attached_only_with_integrate_trail(moto_server: str) -> None:
    account = build_account(moto_server, replace_spec(NO_MONITORING, cloudwatch_logs=False, create_log_group=False))
    before = resources(account)
    refused = remediate(session(account), request(), apply=True)
    assert refused.applied is None and any("--integrate-trail" in text for text in refused.refused)
    assert resources(account) == before  # refused before any call
    first, after = apply_twice(account, request(integrate_trail=True))
    operations = [a.operation for a in first.plan.actions if a.status == "applied"]
    assert operations[:4] == ["CreateLogGroup", "CreateRole", "PutRolePolicy", "UpdateTrail"]
    log_group = f"arn:aws:logs:us-east-1:{account.account_id}:log-group:CloudTrail/DefaultLogGroup:*"
    assert after[f"trail management-events {log_group}"] == 1
    assert after["role CloudTrailToCloudWatchLogs-management-events"] == 1


def replace_spec(spec: AccountSpec, **changes: Any) -> AccountSpec:
    from dataclasses import replace

    return replace(spec, **changes)


@pytest.mark.usefixtures("aws_environment")
def test_a_call_refused_half_way_leaves_a_consistent_account_and_a_retry_completes(moto_server: str) -> None:
    account = build_account(moto_server, NO_MONITORING)
    with RefusingEndpoint(moto_server, [Refusal("cloudwatch:PutMetricAlarm", times=1)]) as endpoint:
        broken = remediate(session(account, endpoint.url), request(), apply=True)
        assert broken.applied is not None and broken.applied.failed is not None
        assert broken.applied.failed.operation == "PutMetricAlarm" and "AccessDenied" in str(
            broken.applied.failed.error
        )
        assert [a.operation for a in broken.applied.applied] == [
            "CreateTopic",
            "SetTopicAttributes",
            "Subscribe",
            "PutMetricFilter",
        ]
        assert broken.audit_after is None
        assert not any(key.startswith("alarm ") for key in resources(account))  # no alarm without its chain
        retry = remediate(session(account, endpoint.url), request(), apply=True)
        assert endpoint.refused["cloudwatch:PutMetricAlarm"] == 1
    assert retry.applied is not None and [a.operation for a in retry.applied.applied] == ["PutMetricAlarm"]
    assert {a.operation for a in retry.plan.actions if a.status == "kept"} == {
        "CreateTopic",
        "Subscribe",
        "PutMetricFilter",
    }
    assert status(retry.audit_after) == {"cis-4.6": "PASS"}
    counts = Counter(key.split(" ", 1)[0] for key in resources(account))
    assert (counts["filter"], counts["alarm"], counts["topic"], counts["subscription"]) == (1, 1, 1, 1)


# ---------------------------------------------------------------- the command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailguard", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )


@pytest.mark.usefixtures("aws_environment")
def test_cli_plans_applies_and_reports_a_failure_with_the_command_to_continue(moto_server: str) -> None:
    account = build_account(moto_server, NO_MONITORING)
    with RefusingEndpoint(moto_server, [Refusal("logs:PutMetricFilter", times=1)]) as endpoint:
        base = ["remediate", "--endpoint-url", endpoint.url, "--role-arn", account.role_arn, "--region", "us-east-1"]
        base += ["--controls", "4.6", "--notify", NOTIFY]
        plan = run_cli(*base, "--output", "json")
        assert plan.returncode == 0, plan.stderr
        document = json.loads(plan.stdout)
        assert [a["status"] for a in document["actions"]] == ["planned"] * 5
        assert document["audit"]["summary"]["FAIL"] == 1 and document["mode"] == "plan"
        assert {"service", "operation", "parameters", "why", "status"} <= set(document["actions"][0])
        failed = run_cli(*base, "--apply")
        assert failed.returncode == 2 and "Traceback" not in failed.stderr
        assert "Failed (the run stopped here)" in failed.stdout and "Not done (1)" in failed.stdout
        assert "to continue once the cause is fixed: trailguard remediate" in failed.stderr
        done = run_cli(*base, "--apply", "--output", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [a["status"] for a in result["actions"]] == ["kept", "kept", "applied", "applied"]
    assert result["audit"]["summary"]["PASS"] == 1 and result["result"]["failed"] is None


@pytest.mark.usefixtures("aws_environment")
def test_cli_usage_errors_exit_2(moto_server: str) -> None:
    slack = run_cli("remediate", "--notify", "slack:https://hooks.slack.com/services/x", "--region", "us-east-1")
    assert slack.returncode == 2 and "trailguard itself" in slack.stderr and "Traceback" not in slack.stderr
    bad = run_cli("remediate", "--controls", "4.99", "--region", "us-east-1")
    assert bad.returncode == 2 and "unknown CIS control" in bad.stderr
    policy = run_cli("remediate", "--iam-policy")
    assert policy.returncode == 0
    actions = {
        a
        for s in json.loads(policy.stdout)["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"logs:PutMetricFilter", "cloudwatch:PutMetricAlarm", "sns:Subscribe"} <= actions
    assert "cloudtrail:UpdateTrail" not in actions  # only with --integrate-trail


@pytest.mark.usefixtures("aws_environment")
def test_cli_without_notify_refuses_to_create_alarms_nobody_receives(moto_server: str) -> None:
    account = build_account(moto_server, NO_MONITORING)
    before = resources(account)
    result = run_cli(
        "remediate", "--endpoint-url", moto_server, "--role-arn", account.role_arn, "--region", "us-east-1",
        "--controls", "4.6", "--apply",
    )  # fmt: skip
    assert result.returncode == 2 and "--notify" in result.stderr and "nothing was applied" in result.stderr
    assert resources(account) == before
