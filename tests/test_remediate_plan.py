"""Remediation plans from the audit's evidence (snapshots written by tests/aws_builders.build_snapshot) and from
the catalog alone: what is kept, what is added, under which name, what is blocked; the plan's values and its
renderings as aws commands."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from typing import Any

import pytest

from aws_builders import AccountSpec, MonitorSpec, SubscriptionSpec, build_snapshot
from trailguard.catalog import resolve_controls
from trailguard.remediate import (
    Evidence,
    Plan,
    RemediationError,
    RemediationRequest,
    cli_command,
    parse_notify,
    plan_from_catalog,
    plan_from_evidence,
    refusals,
)
from trailguard.remediate.planner import with_evidence
from trailguard.remediate.values import ACCOUNT_ID, Text, Unbound, Var, resolve, text

NARROWED = (
    '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") && ($.sourceIPAddress = 1.2.3.4) }'
)
BASE = "CIS-4.6-ConsoleAuthenticationFailures"
NOTIFY = "email:security@example.com"  # the subscriber aws_builders' accounts have
NO_MONITORING = AccountSpec(monitors=(MonitorSpec(filter=False, alarm=False),), topic=False, subscriptions=())


def evidence(spec: AccountSpec) -> Evidence:
    """The snapshot of ``spec``, with its topic read as remediation reads it (the inventory reads only topics an
    alarm names; remediation also reads the topic it would create)."""
    snapshot = build_snapshot(spec)
    if spec.topic and spec.trail and spec.cloudwatch_logs:
        topics = build_snapshot(replace(spec, monitors=(MonitorSpec(),))).topics
        snapshot = with_evidence(snapshot, topics=topics)
    return Evidence(snapshot)


def plan_for(spec: AccountSpec, notify: tuple[str, ...] = (NOTIFY,), **options: Any) -> Plan:
    request = RemediationRequest.build(resolve_controls(options.pop("controls", "4.6")), notify, **options)
    return plan_from_evidence(evidence(spec), request)


def calls(plan: Plan, status: str = "planned") -> list[tuple[str, str]]:
    return [(a.operation, str(resolve(a.resource.name, plan.bindings))) for a in plan.actions if a.status == status]


def test_a_compliant_account_keeps_everything_and_plans_nothing() -> None:
    plan = plan_for(AccountSpec())
    assert calls(plan) == [] and not plan.blockers
    assert {op for op, _ in calls(plan, "kept")} == {"CreateTopic", "Subscribe", "PutMetricFilter", "PutMetricAlarm"}


def test_no_monitoring_plans_topic_policy_subscription_filter_then_alarm() -> None:
    plan = plan_for(NO_MONITORING)
    assert calls(plan) == [
        ("CreateTopic", "cis-alarms"),
        ("SetTopicAttributes", "cis-alarms"),
        ("Subscribe", NOTIFY),
        ("PutMetricFilter", BASE),
        ("PutMetricAlarm", BASE),
    ]
    alarm = resolve(dict(plan.actions[-1].parameters), plan.bindings)
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:cis-alarms"]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["ActionsEnabled"] is True
    metric_filter = resolve(dict(plan.actions[-2].parameters), plan.bindings)
    assert metric_filter["logGroupName"] == "CloudTrail/DefaultLogGroup"
    assert metric_filter["metricTransformations"] == [
        {"metricName": BASE, "metricNamespace": "CISBenchmark", "metricValue": "1"}
    ]
    policy = json.loads(resolve(plan.actions[1].parameters["AttributeValue"], plan.bindings))
    publish = policy["Statement"][1]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert "pending" in plan.actions[2].why  # an email subscription waits for confirmation


def test_a_filter_without_an_alarm_is_reused_and_the_alarm_watches_its_metric() -> None:
    spec = AccountSpec().with_monitor(0, alarm=False, filter_name="my-logins", metric_name="FailedLogins")
    plan = plan_for(spec)
    assert ("PutMetricFilter", "my-logins") in calls(plan, "kept")
    assert calls(plan) == [("PutMetricAlarm", BASE)]
    alarm = resolve(dict(plan.actions[-1].parameters), plan.bindings)
    assert (alarm["Namespace"], alarm["MetricName"]) == ("CISBenchmark", "FailedLogins")
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:cis-alarms"]  # the working topic is reused


def test_a_broken_alarm_is_left_alone_and_a_clearly_named_one_added() -> None:
    plan = plan_for(AccountSpec().with_monitor(0, sns_action=False))
    (alarm,) = [a for a in plan.actions if a.status == "planned"]
    assert alarm.resource.name == BASE + "-trailguard" and not alarm.replaces
    assert "has no SNS topic among its alarm actions; left as it is" in alarm.why
    assert "--replace would use" in alarm.why


def test_replace_puts_the_alarm_under_the_controls_own_name() -> None:
    plan = plan_for(AccountSpec().with_monitor(0, actions_enabled=False), replace=True)
    (alarm,) = [a for a in plan.actions if a.status == "planned"]
    assert alarm.resource.name == BASE and alarm.replaces and "replaces the alarm named" in alarm.why


def test_a_topic_without_subscription_gets_the_notify_endpoint() -> None:
    plan = plan_for(AccountSpec(subscriptions=()))
    assert calls(plan) == [("Subscribe", NOTIFY)]
    subscribe = next(a for a in plan.actions if a.status == "planned")
    assert resolve(subscribe.parameters["TopicArn"], plan.bindings).endswith(":cis-alarms")
    assert {op for op, _ in calls(plan, "kept")} == {"CreateTopic", "PutMetricFilter", "PutMetricAlarm"}


def test_without_notify_a_topic_nobody_reads_blocks_apply() -> None:
    plan = plan_for(AccountSpec(subscriptions=()), notify=())
    (blocker,) = plan.blockers
    assert blocker.stops_apply and "--notify" in blocker.remedy
    assert refusals(plan, integrate_trail=False)


def test_a_pending_subscription_is_kept_and_said_to_wait_for_confirmation() -> None:
    spec = AccountSpec(subscriptions=(SubscriptionSpec(confirmed=False),))
    plan = plan_for(spec)
    assert calls(plan) == []
    (subscription,) = [a for a in plan.actions if a.operation == "Subscribe"]
    assert subscription.status == "kept" and subscription.note and "confirm" in subscription.note


def test_a_filter_that_misses_events_gets_a_new_filter_beside_it() -> None:
    plan = plan_for(AccountSpec().with_monitor(0, pattern=NARROWED))
    assert calls(plan) == [("PutMetricFilter", BASE + "-trailguard"), ("PutMetricAlarm", BASE + "-trailguard")]
    new_filter = plan.actions[-2]
    assert "misses events the control requires; left as it is" in new_filter.why
    alarm = resolve(dict(plan.actions[-1].parameters), plan.bindings)
    assert alarm["MetricName"] == BASE + "-trailguard"
    assert ("CreateTopic", "cis-alarms") in calls(plan, "kept")


def test_a_trail_without_cloudwatch_logs_is_attached_only_with_integrate_trail() -> None:
    spec = AccountSpec(cloudwatch_logs=False, monitors=NO_MONITORING.monitors, topic=False, subscriptions=())
    plan = plan_for(spec)
    assert [op for op, _ in calls(plan)][:4] == ["CreateLogGroup", "CreateRole", "PutRolePolicy", "UpdateTrail"]
    assert all(a.requires == "--integrate-trail" for a in plan.actions[:4])
    assert any("--integrate-trail" in reason for reason in refusals(plan, integrate_trail=False))
    assert not refusals(plan, integrate_trail=True)
    update = resolve(dict(plan.actions[3].parameters), plan.bindings)
    assert update["CloudWatchLogsLogGroupArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup:*"
    )
    assert (
        update["CloudWatchLogsRoleArn"] == "arn:aws:iam::123456789012:role/CloudTrailToCloudWatchLogs-management-events"
    )
    trust = json.loads(resolve(plan.actions[1].parameters["AssumeRolePolicyDocument"], plan.bindings))
    assert trust["Statement"][0]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    delivery = json.loads(resolve(plan.actions[2].parameters["PolicyDocument"], plan.bindings))
    assert {s["Action"] for s in delivery["Statement"]} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    filter_action = next(a for a in plan.actions if a.operation == "PutMetricFilter")
    assert resolve(filter_action.parameters["logGroupName"], plan.bindings) == "CloudTrail/DefaultLogGroup"


def test_an_existing_integration_role_is_kept_when_it_trusts_cloudtrail() -> None:
    spec = AccountSpec(cloudwatch_logs=False, monitors=NO_MONITORING.monitors, topic=False, subscriptions=())
    request = RemediationRequest.build(resolve_controls("4.6"), ["email:ops@example.com"])
    role = {
        "RoleName": "CloudTrailToCloudWatchLogs-management-events",
        "Arn": "arn:aws:iam::123456789012:role/CloudTrailToCloudWatchLogs-management-events",
        "AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "cloudtrail.amazonaws.com"}}]},
    }
    plan = plan_from_evidence(Evidence(build_snapshot(spec), {role["RoleName"]: role}), request)
    assert ("CreateRole", role["RoleName"]) in calls(plan, "kept")
    assert "CreateRole" not in [op for op, _ in calls(plan)]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (AccountSpec(logging=False), "not logging"),
        (AccountSpec(multi_region=False), "not multi-region"),
        (AccountSpec(selectors="basic-write-only"), "only write"),
        (AccountSpec(trail=False), "no trail"),
    ],
)
def test_trails_trailguard_does_not_change_block_the_control(spec: AccountSpec, words: str) -> None:
    plan = plan_for(spec)
    (blocker,) = plan.blockers
    assert words in blocker.reason and not blocker.stops_apply
    assert not [
        a for a in plan.actions if a.operation in ("PutMetricFilter", "PutMetricAlarm") and a.status == "planned"
    ]


def test_incomplete_evidence_blocks_instead_of_guessing() -> None:
    plan = plan_for(AccountSpec(denied=("logs:DescribeMetricFilters",)))
    (blocker,) = plan.blockers
    assert "logs:DescribeMetricFilters" in blocker.remedy and calls(plan) == []


def test_a_manual_control_is_left_alone_with_a_note() -> None:
    plan = plan_for(AccountSpec().with_monitor(0, metric_math=True))
    assert calls(plan) == [] and not plan.blockers
    assert any("needs a person" in note for note in plan.notes)


def test_one_topic_serves_every_control_of_a_region() -> None:
    spec = AccountSpec(
        monitors=(MonitorSpec("4.3", filter=False, alarm=False), MonitorSpec("4.6", filter=False, alarm=False)),
        topic=False,
        subscriptions=(),
    )
    plan = plan_for(spec, controls="4.3,4.6")
    operations = [op for op, _ in calls(plan)]
    assert operations.count("CreateTopic") == 1 and operations.count("Subscribe") == 1
    assert operations.count("PutMetricFilter") == 2 and operations.count("PutMetricAlarm") == 2
    topic = next(a for a in plan.actions if a.operation == "CreateTopic")
    assert topic.controls == ("cis-4.3", "cis-4.6")


def test_a_broken_default_topic_is_not_overwritten_without_replace() -> None:
    deny = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sns:Publish"}]})
    spec = AccountSpec(monitors=NO_MONITORING.monitors, topic_policy=deny)
    plan = plan_for(spec)
    assert ("CreateTopic", "cis-alarms-trailguard") in calls(plan)
    replaced = plan_from_evidence(evidence(spec), RemediationRequest.build(resolve_controls("4.6"), [], replace=True))
    policy = next(a for a in replaced.actions if a.operation == "SetTopicAttributes")
    assert policy.replaces and "replaces its access policy" in policy.why


# ---------------------------------------------------------------- --notify


@pytest.mark.parametrize(
    ("value", "protocol", "endpoint"),
    [
        ("email:ops@example.com", "email", "ops@example.com"),
        ("https:https://hooks.example.com/a", "https", "https://hooks.example.com/a"),
        ("https://hooks.example.com/a", "https", "https://hooks.example.com/a"),
        ("sqs:arn:aws:sqs:us-east-1:123456789012:alarms", "sqs", "arn:aws:sqs:us-east-1:123456789012:alarms"),
        ("sms:+15555550100", "sms", "+15555550100"),
    ],
)
def test_notify_values_become_sns_subscriptions(value: str, protocol: str, endpoint: str) -> None:
    subscription = parse_notify(value)
    assert (subscription.protocol, subscription.endpoint) == (protocol, endpoint)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("slack:https://hooks.slack.com/services/x", "delivered by trailguard itself"),
        ("webhook:https://example.com/x", "delivered by trailguard itself"),
        ("file:/tmp/alarms.jsonl", "delivered by trailguard itself"),
        ("stdout:-", "delivered by trailguard itself"),
        ("pager:123", "unknown protocol"),
        ("email:not-an-address", "not an email address"),
        ("ops@example.com", "not PROTOCOL:ENDPOINT"),
    ],
)
def test_notify_refuses_what_sns_cannot_deliver_to(value: str, words: str) -> None:
    with pytest.raises(RemediationError, match=words):
        parse_notify(value)


# ---------------------------------------------------------------- the catalog's plan and values


def test_the_catalogs_plan_has_every_control_and_leaves_the_account_to_variables() -> None:
    request = RemediationRequest.build(resolve_controls("all"), ["email:ops@example.com"])
    plan = plan_from_catalog(request, "org/trail-logs")
    operations = [a.operation for a in plan.actions]
    assert operations.count("PutMetricFilter") == 15 and operations.count("PutMetricAlarm") == 15
    assert plan.offline and refusals(plan, integrate_trail=True)
    assert plan.bindings["LogGroupName"] == "org/trail-logs"
    alarm = plan.actions[-1]
    with pytest.raises(Unbound):
        resolve(dict(alarm.parameters), plan.bindings)
    concrete = resolve(
        dict(alarm.parameters),
        {**plan.bindings, "AccountId": "111122223333", "Region": "eu-west-1", "Partition": "aws"},
    )
    assert concrete["AlarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:cis-alarms"]
    document = plan.to_json()
    assert document["actions"][-1]["parameters"]["AlarmActions"] == [
        "arn:${Partition}:sns:${Region}:${AccountId}:cis-alarms"
    ]


def test_text_merges_literals_and_keeps_variables() -> None:
    assert text("a", "b", "") == "ab"
    value = text("arn:", ACCOUNT_ID, ":x")
    assert isinstance(value, Text) and value.parts == ("arn:", Var("AccountId"), ":x")
    assert resolve(value, {"AccountId": "1"}) == "arn:1:x"


# ---------------------------------------------------------------- aws commands


def test_commands_quote_every_value_for_the_shell() -> None:
    plan = plan_for(NO_MONITORING)
    command = cli_command(next(a for a in plan.actions if a.operation == "PutMetricFilter"), plan.bindings)
    words = shlex.split(command)
    assert words[:3] == ["aws", "logs", "put-metric-filter"]
    assert words[words.index("--filter-pattern") + 1] == resolve_controls("4.6")[0].pattern
    transformations = json.loads(words[words.index("--metric-transformations") + 1])
    assert transformations[0]["metricValue"] == "1"
    alarm = shlex.split(cli_command(plan.actions[-1], plan.bindings))
    assert "--actions-enabled" in alarm and alarm[alarm.index("--threshold") + 1] == "1"
    subscribe = shlex.split(cli_command(plan.actions[2], plan.bindings))
    assert subscribe[subscribe.index("--notification-endpoint") + 1] == "security@example.com"  # the CLI's name


def test_variables_in_commands_are_double_quoted_and_escaped() -> None:
    request = RemediationRequest.build(resolve_controls("4.6"), ["https://hooks.example.com/a?x=$(id)&y=`id`"])
    plan = plan_from_catalog(request)
    subscribe = next(a for a in plan.actions if a.operation == "Subscribe")
    command = cli_command(subscribe, plan.bindings, variables=True)
    assert '--notification-endpoint "${NOTIFY_ENDPOINT_1}"' in command
    assert '--topic-arn "arn:${PARTITION}:sns:${REGION}:${ACCOUNT_ID}:cis-alarms"' in command
