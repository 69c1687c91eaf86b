"""Trail event selectors applied to the events a control requires; topic policies and encryption vs CloudWatch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trailguard.audit.selectors import management_coverage, records_event
from trailguard.audit.topics import topic_delivery

DISABLE_KEY = {"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "readOnly": False}
DESCRIBE = {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "readOnly": True}
ACCOUNT = "123456789012"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:CIS-4.7-DisableOrDeleteCMK"


def basic(**selector: Any) -> dict[str, Any]:
    return {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, **selector}]}


def test_basic_selectors() -> None:
    assert records_event(basic(), DISABLE_KEY).recorded
    assert not records_event(basic(ReadWriteType="ReadOnly"), DISABLE_KEY).recorded
    assert records_event(basic(ReadWriteType="ReadOnly"), DESCRIBE).recorded
    assert not records_event(basic(IncludeManagementEvents=False), DISABLE_KEY).recorded
    excluded = records_event(basic(ExcludeManagementEventSources=["kms.amazonaws.com"]), DISABLE_KEY)
    assert not excluded.recorded and "exclude kms.amazonaws.com" in excluded.why
    # Two selectors together cover read and write.
    split = {"EventSelectors": [{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}]}
    assert records_event(split, DISABLE_KEY).recorded and records_event(split, DESCRIBE).recorded
    assert management_coverage(split) == ("All", "basic", ())


def advanced(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"AdvancedEventSelectors": [{"Name": "mgmt", "FieldSelectors": list(fields)}]}


MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}


def test_advanced_selectors() -> None:
    assert records_event(advanced(MANAGEMENT), DISABLE_KEY).recorded
    assert management_coverage(advanced(MANAGEMENT)) == ("All", "advanced", ())
    write_only = advanced(MANAGEMENT, {"Field": "readOnly", "Equals": ["false"]})
    assert records_event(write_only, DISABLE_KEY).recorded and not records_event(write_only, DESCRIBE).recorded
    assert management_coverage(write_only)[0] == "WriteOnly"
    no_kms = advanced(MANAGEMENT, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]})
    assert not records_event(no_kms, DISABLE_KEY).recorded and records_event(no_kms, DESCRIBE).recorded
    assert management_coverage(no_kms) == ("All", "advanced", ("kms.amazonaws.com",))
    data_only = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            }
        ]
    }
    assert not records_event(data_only, DISABLE_KEY).recorded
    assert management_coverage(data_only)[0] == "None"
    starts = advanced(MANAGEMENT, {"Field": "eventName", "NotStartsWith": ["Disable"]})
    assert not records_event(starts, DISABLE_KEY).recorded


def policy(*statements: dict[str, Any]) -> dict[str, str]:
    return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


DEFAULT_POLICY = policy(
    {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:Publish", "SNS:Subscribe"],
        "Resource": "arn:aws:sns:us-east-1:123456789012:cis-alarms",
        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
    }
)


@pytest.mark.parametrize(
    ("attributes", "allowed"),
    [
        ({}, True),
        (DEFAULT_POLICY, True),
        (
            policy({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish"}),
            True,
        ),
        (
            policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:CIS-*"}},
                }
            ),
            True,
        ),
        (
            policy(
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sns:Publish"}
            ),
            False,
        ),
        (policy({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish"}), False),
        ({**DEFAULT_POLICY, "KmsMasterKeyId": "alias/aws/sns"}, False),
        ({**DEFAULT_POLICY, "KmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234"}, True),
        (
            policy(
                *json.loads(DEFAULT_POLICY["Policy"])["Statement"],
                {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish"},
            ),
            False,
        ),
        (
            policy(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                }
            ),
            None,
        ),
    ],
)
def test_topic_delivery(attributes: dict[str, str], allowed: bool | None) -> None:
    delivery = topic_delivery(attributes, account_id=ACCOUNT, alarm_arns=[ALARM])
    assert delivery.allowed is allowed, delivery
    if "KmsMasterKeyId" in attributes and attributes["KmsMasterKeyId"] != "alias/aws/sns":
        assert delivery.manual and "key policy" in (delivery.problem or "")
