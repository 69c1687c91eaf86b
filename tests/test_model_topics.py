"""SNS topics and subscriptions: identity, protocols, endpoint shapes, attributes."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.model import ConfigError, Subscription, Topic, endpoint_problem, parse_config

ARN = "arn:aws:sns:us-east-1:123456789012:alerts"


def errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        Topic.from_api_dict(data)
    except ConfigError as error:
        return [(p.path, p.message) for p in error.problems]
    return []


def subscription_errors(**subscription: Any) -> list[tuple[str, str]]:
    return errors({"TopicArn": ARN, "Subscriptions": [subscription]})


@pytest.mark.parametrize(
    "protocol, endpoint",
    [
        ("email", "secops@example.com"),
        ("email-json", "a.b+c@mail.example.org"),
        ("http", "http://localhost:8080/hook"),
        ("https", "https://hooks.example.com/x?y=1"),
        ("sms", "+14155550100"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:queue"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:queue.fifo"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:notify"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:notify:prod"),
        ("firehose", "arn:aws:firehose:us-east-1:123456789012:deliverystream/alarms"),
        ("application", "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0123-abcd"),
    ],
)
def test_valid_endpoints(protocol: str, endpoint: str) -> None:
    assert endpoint_problem(protocol, endpoint) is None


@pytest.mark.parametrize(
    "protocol, endpoint, message",
    [
        ("email", "secops", "'secops' is not an email address"),
        ("email-json", "a@b", "'a@b' is not an email address"),
        ("http", "https://example.com", "'https://example.com' is not an http:// URL"),
        ("https", "example.com/hook", "'example.com/hook' is not an https:// URL"),
        ("https", "https://", "'https://' is not an https:// URL"),
        (
            "sms",
            "4155550100",
            "'4155550100' is not an E.164 phone number (a '+', the country code and up to 15 digits)",
        ),
        ("sms", "+0123", "'+0123' is not an E.164 phone number (a '+', the country code and up to 15 digits)"),
        (
            "sqs",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "'https://sqs.us-east-1.amazonaws.com/123456789012/q' is not an SQS queue ARN "
            "(arn:aws:sqs:<region>:<account>:<queue>)",
        ),
        (
            "lambda",
            "arn:aws:lambda:us-east-1:123456789012:notify",
            "'arn:aws:lambda:us-east-1:123456789012:notify' is not a Lambda function ARN "
            "(arn:aws:lambda:<region>:<account>:function:<name>)",
        ),
        (
            "firehose",
            "arn:aws:firehose:us-east-1:123456789012:stream/x",
            "'arn:aws:firehose:us-east-1:123456789012:stream/x' is not a Firehose delivery stream ARN "
            "(arn:aws:firehose:<region>:<account>:deliverystream/<name>)",
        ),
        (
            "application",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            "'arn:aws:sns:us-east-1:123456789012:alerts' is not a mobile platform endpoint ARN "
            "(arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>)",
        ),
    ],
)
def test_invalid_endpoints(protocol: str, endpoint: str, message: str) -> None:
    assert endpoint_problem(protocol, endpoint) == message
    attributes = {"SubscriptionRoleArn": "arn:aws:iam::123456789012:role/r"} if protocol == "firehose" else {}
    assert subscription_errors(Protocol=protocol, Endpoint=endpoint, Attributes=attributes) == [
        ("Subscriptions[0].Endpoint", f"{message}, as the {protocol} protocol needs")
    ]


def test_topic_by_name_uses_region_and_account() -> None:
    assert Topic.from_api_dict({"Name": "alerts"}).topic_arn == ARN
    topic = Topic.from_api_dict({"Name": "alerts"}, region="eu-west-1", account_id="111122223333")
    assert topic.topic_arn == "arn:aws:sns:eu-west-1:111122223333:alerts"
    assert (topic.name, topic.region, topic.account_id) == ("alerts", "eu-west-1", "111122223333")


def test_topic_identity_rules() -> None:
    assert errors({}) == [("TopicArn", "is required (or Name)")]
    assert errors({"TopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}) == [
        (
            "TopicArn",
            "'arn:aws:sqs:us-east-1:123456789012:q' is not an SNS topic ARN; "
            "allowed: arn:aws:sns:<region>:<account>:<name>",
        )
    ]
    assert errors({"TopicArn": ARN, "Name": "other"}) == [
        ("Name", "'other' does not match the name in TopicArn ('alerts'); allowed: the same name")
    ]
    assert errors({"TopicArn": ARN, "Name": "alerts"}) == []
    assert errors({"Name": "bad name"}) == [
        (
            "Name",
            "contains ' '; allowed: ASCII letters, digits, '-' and '_' (and a '.fifo' suffix for FIFO topics), "
            "1 to 256 characters",
        )
    ]
    assert errors({"Name": "a" * 257}) == [("Name", "is 257 characters long; allowed: at most 256")]
    assert errors({"Name": "alerts.fifo"}) == []


def test_subscription_protocol() -> None:
    assert subscription_errors(Protocol="Email", Endpoint="a@example.com") == [
        (
            "Subscriptions[0].Protocol",
            "'Email' is not a valid protocol (did you mean 'email'?); allowed: http, https, "
            "email, email-json, sms, sqs, application, lambda, firehose, sns, slack, webhook, file, stdout",
        )
    ]
    assert subscription_errors(Endpoint="a@example.com") == [
        (
            "Subscriptions[0].Protocol",
            "is required; allowed: http, https, email, email-json, sms, sqs, application, lambda, firehose, sns, "
            "slack, webhook, file, stdout",
        )
    ]
    assert subscription_errors(Protocol="email") == [("Subscriptions[0].Endpoint", "is required")]


def test_firehose_needs_a_role() -> None:
    endpoint = "arn:aws:firehose:us-east-1:123456789012:deliverystream/alarms"
    assert subscription_errors(Protocol="firehose", Endpoint=endpoint) == [
        (
            "Subscriptions[0].Attributes",
            "SubscriptionRoleArn is required for firehose subscriptions; allowed: an IAM role ARN",
        )
    ]
    assert subscription_errors(
        Protocol="firehose", Endpoint=endpoint, Attributes={"SubscriptionRoleArn": "arn:aws:s3:::bucket"}
    ) == [
        (
            "Subscriptions[0].Attributes.SubscriptionRoleArn",
            "'arn:aws:s3:::bucket' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
        ),
        (
            "Subscriptions[0].Attributes",
            "SubscriptionRoleArn is required for firehose subscriptions; allowed: an IAM role ARN",
        ),
    ]


def test_lower_case_keys_from_the_brief_are_accepted() -> None:
    topic = Topic.from_api_dict(
        {"TopicArn": ARN, "subscriptions": [{"protocol": "email", "endpoint": "a@example.com", "attributes": {}}]}
    )
    assert topic.subscriptions == (Subscription("email", "a@example.com"),)
    assert errors({"TopicArn": ARN, "subscriptions": [], "Subscriptions": []}) == [
        ("subscriptions", "both 'subscriptions' and 'Subscriptions' are given; allowed: one of them")
    ]


def test_list_subscriptions_output_fields_are_ignored() -> None:
    item = {
        "SubscriptionArn": ARN + ":6d1c",
        "Owner": "123456789012",
        "Protocol": "email",
        "Endpoint": "a@example.com",
        "TopicArn": ARN,
    }
    assert Topic.from_api_dict({"TopicArn": ARN, "Subscriptions": [item]}).subscriptions[0].endpoint == "a@example.com"


def test_attributes_become_strings() -> None:
    topic = Topic.from_api_dict(
        {
            "TopicArn": ARN,
            "Attributes": {"DisplayName": "Alerts"},
            "Subscriptions": [
                {
                    "Protocol": "sqs",
                    "Endpoint": "arn:aws:sqs:us-east-1:123456789012:q",
                    "Attributes": {
                        "RawMessageDelivery": True,
                        "FilterPolicy": {"NewStateValue": ["ALARM"]},
                        "FilterPolicyScope": "MessageBody",
                    },
                }
            ],
        }
    )
    [subscription] = topic.subscriptions
    assert subscription.attribute_map == {
        "RawMessageDelivery": "true",
        "FilterPolicy": '{"NewStateValue":["ALARM"]}',
        "FilterPolicyScope": "MessageBody",
    }
    assert subscription.raw_message_delivery
    assert subscription.to_api_dict(ARN) == {
        "TopicArn": ARN,
        "Protocol": "sqs",
        "Endpoint": "arn:aws:sqs:us-east-1:123456789012:q",
        "Attributes": subscription.attribute_map,
    }
    assert topic.to_api_dict() == {"Name": "alerts", "Attributes": {"DisplayName": "Alerts"}}
    assert Topic.from_api_dict(topic.to_config_dict()) == topic


@pytest.mark.parametrize(
    "protocol, endpoint, attributes, expected",
    [
        (
            "email",
            "a@example.com",
            {"RawMessageDelivery": "true"},
            "raw message delivery is not available for email; allowed: http, https, sqs, firehose",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q",
            {"RawMessageDelivery": "yes"},
            "'yes' is not valid; allowed: true, false",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q",
            {"FilterPolicyScope": "Body"},
            "'Body' is not a valid filter policy scope; allowed: MessageAttributes, MessageBody",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q",
            {"DeliveryPolicy": "{}"},
            "delivery policies apply only to http and https subscriptions, not sqs",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q",
            {"RedrivePolicy": "{}"},
            "must name an SQS queue ARN in deadLetterTargetArn",
        ),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:123456789012:q",
            {"FilterPolicy": "not json"},
            "must be a JSON object; the text is not JSON (Expecting value: line 1 column 1 (char 0))",
        ),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:q", {"FilterPolicy": "[1]"}, "must be a JSON object"),
    ],
)
def test_subscription_attribute_rules(protocol: str, endpoint: str, attributes: dict[str, Any], expected: str) -> None:
    [name] = attributes
    assert subscription_errors(Protocol=protocol, Endpoint=endpoint, Attributes=attributes) == [
        (f"Subscriptions[0].Attributes.{name}", expected)
    ]


def test_unknown_subscription_attribute_is_an_error() -> None:
    assert subscription_errors(Protocol="email", Endpoint="a@example.com", Attributes={"RawDelivery": "true"}) == [
        (
            "Subscriptions[0].Attributes.RawDelivery",
            "unknown subscription attribute (did you mean "
            "'RawMessageDelivery'?); allowed: DeliveryPolicy, "
            "FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy, SubscriptionRoleArn, ReplayPolicy",
        )
    ]


def test_redrive_policy_with_a_queue_is_valid() -> None:
    policy = '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}'
    assert (
        subscription_errors(
            Protocol="https",
            Endpoint="https://example.com",
            Attributes={"RedrivePolicy": policy, "DeliveryPolicy": "{}"},
        )
        == []
    )


def test_topic_warnings() -> None:
    text = """
alarms:
  - AlarmName: A
    MetricName: M
    Namespace: N
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanThreshold
    AlarmActions: [arn:aws:sns:us-east-1:123456789012:quiet]
topics:
  - Name: quiet
  - Name: unused
    Subscriptions:
      - Protocol: sqs
        Endpoint: arn:aws:sqs:us-east-1:123456789012:q
        Attributes:
          FilterPolicy: {NewStateValue: [ALARM]}
          Bogus: 1
"""
    with pytest.raises(ConfigError) as raised:
        parse_config(text, file="t.yaml")
    assert [str(p) for p in raised.value.problems] == [
        "t.yaml:20: topics[1].Subscriptions[0].Attributes.Bogus: unknown subscription attribute; allowed: "
        "DeliveryPolicy, FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy, SubscriptionRoleArn, "
        "ReplayPolicy"
    ]
    config = parse_config(text.replace("          Bogus: 1\n", ""), file="t.yaml")
    assert [str(w) for w in config.warnings] == [
        "t.yaml:4: warning: alarms[0].MetricName: no metric filter in this configuration publishes N/M; locally "
        "this alarm only ever sees missing data",
        "t.yaml:13: warning: topics[0]: topic arn:aws:sns:us-east-1:123456789012:quiet has no subscriptions; its "
        "notifications reach no one (CIS requires at least one confirmed subscription)",
        "t.yaml:14: warning: topics[1]: topic arn:aws:sns:us-east-1:123456789012:unused is not named by any alarm "
        "action",
        "t.yaml:19: warning: topics[1].Subscriptions[0].Attributes.FilterPolicy: filters on message attributes, "
        "which CloudWatch alarm notifications do not carry, so this subscription would receive no alarm; set "
        "FilterPolicyScope: MessageBody to filter on the alarm JSON",
    ]


def test_unknown_topic_attribute_is_a_warning() -> None:
    text = (
        "topics:\n  - Name: t\n    Attributes: {Colour: blue}\n"
        "    Subscriptions: [{Protocol: email, Endpoint: a@b.co}]\n"
    )
    config = parse_config(text, file="t.yaml")
    assert str(config.warnings[1]).startswith(
        "t.yaml:3: warning: topics[0].Attributes.Colour: unknown topic attribute; allowed: DisplayName, Policy,"
    )
    assert config.topics[0].attribute_map == {"Colour": "blue"}
