"""Configuration for delivery: trailguard's own protocols beside SNS's, the smtp section, DeliveryPolicy limits,
FilterPolicy, and the context block built from CloudTrail records."""

from __future__ import annotations

from typing import Any

import pytest

from notify_support import failed_login, notification
from trailguard.model import ConfigError, Subscription, Topic, endpoint_problem, parse_config
from trailguard.model.constants import SNS_PROTOCOLS, TRAILGUARD_PROTOCOLS
from trailguard.model.delivery_policy import DeliveryPolicyError, parse_delivery_policy
from trailguard.notify import context_from_records
from trailguard.notify.filter_policy import accepts

ARN = "arn:aws:sns:us-east-1:123456789012:alerts"


def problems(text: str) -> list[tuple[str, str]]:
    try:
        parse_config(text)
    except ConfigError as error:
        return [(p.path, p.message) for p in error.problems]
    return []


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("sns", "arn:aws:sns:eu-west-1:123456789012:forward"),
        ("slack", "https://hooks.slack.com/services/T0/B0/x"),
        ("webhook", "http://127.0.0.1:8080/teams"),
        ("file", "/var/log/trailguard/alerts.jsonl"),
        ("stdout", "-"),
    ],
)
def test_trailguard_protocols_are_accepted_and_marked_as_not_snss(protocol: str, endpoint: str) -> None:
    assert endpoint_problem(protocol, endpoint) is None
    topic = Topic.from_api_dict({"TopicArn": ARN, "Subscriptions": [{"Protocol": protocol, "Endpoint": endpoint}]})
    (subscription,) = topic.subscriptions
    assert not subscription.sns_compatible
    assert Subscription("email", "a@example.com").sns_compatible
    assert set(TRAILGUARD_PROTOCOLS).isdisjoint(SNS_PROTOCOLS)


@pytest.mark.parametrize(
    ("protocol", "endpoint", "message"),
    [
        ("sns", "arn:aws:sqs:us-east-1:123456789012:q", "is not an SNS topic ARN"),
        ("slack", "hooks.slack.com/services/x", "is not a Slack incoming-webhook URL"),
        ("webhook", "ftp://example.com/x", "is not a webhook URL"),
        ("file", "  ", "is not a file path"),
        ("stdout", "/dev/stdout", "allowed: -, stdout"),
    ],
)
def test_trailguard_protocol_endpoints_are_checked(protocol: str, endpoint: str, message: str) -> None:
    problem = endpoint_problem(protocol, endpoint)
    assert problem is not None and message in problem


def test_the_smtp_section(monkeypatch: pytest.MonkeyPatch) -> None:
    base = "topics: [{Name: t, Subscriptions: [{Protocol: email, Endpoint: a@example.com}]}]\n"
    config = parse_config(
        base + "smtp: {url: 'smtp://alerts@mail.example.com:587', from: 'Alerts <a@example.com>', passwordEnv: PW}\n"
    )
    assert config.smtp is not None and config.smtp.server is not None
    assert (config.smtp.server.host, config.smtp.server.port, config.smtp.server.tls) == (
        "mail.example.com",
        587,
        False,
    )
    assert config.smtp.server.username == "alerts" and config.smtp.password_env == "PW"
    assert parse_config(base + "smtp: {url: 'smtps://mail.example.com'}\n").smtp.server.port == 465  # type: ignore[union-attr]
    assert problems(base + "smtp: {url: 'smtp://u:hunter2@mail.example.com'}\n") == [
        (
            "smtp.url",
            "'smtp://u:***@mail.example.com' holds a password; allowed: no password in the URL (set "
            "TRAILGUARD_SMTP_PASSWORD, or name another environment variable with passwordEnv)",
        )
    ]
    (path, message), *_ = problems(base + "smtp: {url: 'smtp://h', password: hunter2}\n")
    assert path == "smtp.password" and "never read from the configuration file" in message and "hunter2" not in message
    assert problems(base + "smtp: {url: 'http://h'}\n")[0][0] == "smtp.url"
    assert problems(base + "smtp: {from: nobody}\n")[0][0] == "smtp.from"
    assert problems(base + "smtp: {passwordEnv: 'A-B'}\n")[0][0] == "smtp.passwordEnv"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('{"healthyRetryPolicy":{"numRetries":101}}', "numRetries is 101; allowed: 0 to 100"),
        ('{"healthyRetryPolicy":{"minDelayTarget":0}}', "minDelayTarget is 0; allowed: 1 to 3600"),
        ('{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}', "greater than maxDelayTarget"),
        ('{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":60,"maxDelayTarget":60}}', "at most 3600 seconds"),
        ('{"healthyRetryPolicy":{"backoffFunction":"cubic"}}', "allowed: linear, arithmetic, geometric, exponential"),
        ('{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":3}}', "more than numRetries"),
        ('{"requestPolicy":{"headerContentType":"text/html"}}', "headerContentType 'text/html' is not valid"),
    ],
)
def test_delivery_policies_outside_snss_limits_are_refused(policy: str, message: str) -> None:
    with pytest.raises(DeliveryPolicyError, match=message.replace("(", r"\(")):
        parse_delivery_policy(policy)
    config_problems = problems(
        f"topics: [{{Name: t, Subscriptions: [{{Protocol: https, Endpoint: 'https://h/x', "
        f"Attributes: {{DeliveryPolicy: '{policy}'}}}}]}}]\n"
    )
    assert [p for p, _ in config_problems] == ["topics[0].Subscriptions[0].Attributes.DeliveryPolicy"]


def test_default_and_topic_level_delivery_policies() -> None:
    assert parse_delivery_policy(None).retry_delays() == (20.0, 20.0, 20.0)
    topic_policy = '{"http":{"defaultHealthyRetryPolicy":{"numRetries":2,"minDelayTarget":5,"maxDelayTarget":5}}}'
    assert parse_delivery_policy(None, topic_policy).retry_delays() == (5.0, 5.0)
    assert parse_delivery_policy('{"healthyRetryPolicy":{"numRetries":1}}', topic_policy).retry_delays() == (5.0,)
    locked = '{"http":{"defaultHealthyRetryPolicy":{"numRetries":0},"disableSubscriptionOverrides":true}}'
    assert parse_delivery_policy('{"healthyRetryPolicy":{"numRetries":9}}', locked).retry_delays() == ()


@pytest.mark.parametrize(
    ("attributes", "delivered"),
    [
        ({}, True),
        ({"FilterPolicy": '{"NewStateValue":["ALARM"]}'}, False),  # scoped to message attributes: none carried
        ({"FilterPolicy": '{"NewStateValue":["ALARM"]}', "FilterPolicyScope": "MessageBody"}, True),
        ({"FilterPolicy": '{"NewStateValue":["OK"]}', "FilterPolicyScope": "MessageBody"}, False),
        ({"FilterPolicy": '{"AlarmName":[{"prefix":"Console"}]}', "FilterPolicyScope": "MessageBody"}, True),
        ({"FilterPolicy": '{"Trigger":{"Period":[{"numeric":[">=",300]}]}}', "FilterPolicyScope": "MessageBody"}, True),
        ({"FilterPolicy": '{"NewStateValue":[{"anything-but":"ALARM"}]}', "FilterPolicyScope": "MessageBody"}, False),
        (
            {
                "FilterPolicy": '{"$or":[{"AlarmName":["x"]},{"AWSAccountId":["123456789012"]}]}',
                "FilterPolicyScope": "MessageBody",
            },
            True,
        ),
        ({"FilterPolicy": '{"AlarmDescription":[null]}', "FilterPolicyScope": "MessageBody"}, True),
        ({"FilterPolicy": '{"Missing":[{"exists":false}]}', "FilterPolicyScope": "MessageBody"}, True),
    ],
)
def test_filter_policies_on_alarm_notifications(attributes: dict[str, str], delivered: bool) -> None:
    subscription = Subscription("https", "https://h/x", tuple(attributes.items()))
    assert accepts(subscription, notification().message) is delivered


def test_the_context_block_counts_and_bounds_what_it_keeps() -> None:
    records: list[dict[str, Any]] = [failed_login(ip=f"198.51.100.{i % 30}") for i in range(300)]
    records.append(failed_login("root", ip="203.0.113.42", time="2026-11-20T09:30:00Z"))
    records[0]["userIdentity"] = {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ci/gh"}
    context = context_from_records(records, max_values=3, tracked_values=10)
    assert context.event_count == 301
    assert context.to_json_dict()["firstEventTime"] == "2026-11-20T09:12:07Z"
    assert context.to_json_dict()["lastEventTime"] == "2026-11-20T09:30:00Z"
    assert [v.count for v in context.source_ips] == [10, 10, 10]
    assert sum(v.count for v in context.source_ips) + context.others["sourceIPAddresses"] == 301
    users = {v.value: v.count for v in context.top("userIdentities")}
    assert users["alice"] == 299 and "assumed-role/ci/gh" in users
    types = {v.value: v.count for v in context.top("userIdentityTypes")}
    assert types == {"IAMUser": 300, "AssumedRole": 1}
    again = type(context).from_json_dict(context.to_json_dict())
    assert again == context
