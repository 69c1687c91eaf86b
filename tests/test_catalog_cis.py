"""The CIS catalog: patterns per version, numbering, id resolution, ready monitors."""

from __future__ import annotations

import json
import re

import pytest

from trailguard.catalog import (
    CIS_VERSIONS,
    DEFAULT_CIS_VERSION,
    CatalogError,
    cis_configuration,
    cis_control,
    cis_controls,
    normalize_version,
    resolve,
    resolve_controls,
)
from trailguard.model import Configuration, Subscription, parse_config
from trailguard.pattern import compile_pattern

CONSOLE = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def every_control() -> list[tuple[str, str, str]]:
    return [
        (version, control.id, pattern)
        for version in CIS_VERSIONS
        for control in cis_controls(version)
        for pattern in control.accepted_patterns
    ]


@pytest.mark.parametrize("version, control_id, pattern", every_control())
def test_every_catalog_pattern_compiles(version: str, control_id: str, pattern: str) -> None:
    compile_pattern(pattern)
    assert len(pattern) <= 1024


def test_control_counts_and_native_numbering() -> None:
    assert [c.native_id for c in cis_controls("1.2.0")] == [f"3.{n}" for n in range(1, 15)]
    for version in ("1.3.0", "1.4.0", "1.5.0", "2.0.0", "3.0.0", "4.0.0", "4.0.1", "5.0.0"):
        assert [c.native_id for c in cis_controls(version)] == [f"4.{n}" for n in range(1, 16)]
    for version in ("6.0.0", "7.0.0"):
        assert [c.native_id for c in cis_controls(version)] == [f"5.{n}" for n in range(1, 16)]
    for version in CIS_VERSIONS:
        assert [c.id for c in cis_controls(version)] == [f"4.{n}" for n in range(1, 16 if version != "1.2.0" else 15)]


def test_default_version_is_the_newest() -> None:
    assert DEFAULT_CIS_VERSION == "7.0.0" == CIS_VERSIONS[-1]
    assert cis_control("4.6").native_id == "5.6"
    # v7.0.0 prints the same 15 patterns as v5.0.0, the newest version with 4.x numbering.
    assert [c.pattern for c in cis_controls("7.0.0")] == [c.pattern for c in cis_controls("5.0.0")]


def test_console_failure_pattern_is_the_same_in_every_version() -> None:
    assert {cis_control("4.6", v).pattern for v in CIS_VERSIONS} == {CONSOLE}


def test_unauthorized_api_calls_pattern_per_version() -> None:
    v12 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    v13 = (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
        '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
    )
    v20 = (
        '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
        '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
    )
    assert cis_control("3.1", "1.2.0").pattern == v12
    assert [cis_control("4.1", v).pattern for v in ("1.3.0", "1.4.0", "1.5.0")] == [v13] * 3
    assert {cis_control("4.1", v).pattern for v in ("2.0.0", "3.0.0", "4.0.1", "5.0.0", "6.0.0", "7.0.0")} == {v20}


def test_security_group_pattern_gains_modify_rules_in_v5() -> None:
    assert "ModifySecurityGroupRules" not in cis_control("4.10", "4.0.1").pattern
    assert cis_control("4.10", "5.0.0").pattern.endswith(
        "($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }"
    )
    assert cis_control("5.10", "7.0.0").pattern == cis_control("4.10", "5.0.0").pattern


def test_sign_in_without_mfa_has_an_sso_alternative_from_v14() -> None:
    prescribed = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
    alternative = (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    )
    assert cis_control("4.2", "1.3.0").alternative_patterns == ()
    for version in ("1.4.0", "2.0.0", "7.0.0"):
        control = cis_control("4.2", version)
        assert control.pattern == prescribed
        assert control.alternative_patterns == (alternative,)
        assert control.variants[0].kind == "alternative"
    monitor = cis_control("4.2").monitor(alternative=True)
    assert monitor.metric_filter.filter_pattern == alternative
    with pytest.raises(CatalogError, match=r"CIS 4\.6 has no alternative pattern in v7\.0\.0"):
        cis_control("4.6").monitor(alternative=True)


def test_route_table_audit_variant_from_v30() -> None:
    assert cis_control("4.13", "2.0.0").variants == ()
    control = cis_control("4.13", "3.0.0")
    [variant] = control.variants
    assert variant.kind == "audit-variant"
    assert variant.pattern == (
        "{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
        "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
        "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }"
    )
    assert control.alternative_patterns == ()  # an audit text, not a remediation to deploy
    assert control.accepted_patterns == (control.pattern, variant.pattern)
    assert cis_control("4.13", "3.0.0").monitor().metric_filter.filter_pattern == control.pattern


def test_patterns_keep_the_published_quotes() -> None:
    assert cis_control("4.3").pattern == (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
    )
    assert '($.eventName = "AcceptHandshake")' in cis_control("4.15").pattern


def test_organizations_control_starts_in_v13() -> None:
    assert 15 not in [c.number for c in cis_controls("1.2.0")]
    assert cis_control("4.15", "1.3.0").title == (
        "Ensure a log metric filter and alarm exists for AWS Organizations changes"
    )


def test_titles_change_wording_in_v20() -> None:
    assert cis_control("3.6", "1.2.0").title == (
        "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures"
    )
    assert cis_control("4.6", "1.5.0").title == cis_control("3.6", "1.2.0").title
    assert cis_control("4.6", "2.0.0").title == "Ensure AWS Management Console authentication failures are monitored"
    assert cis_control("4.6").short_title == "AWS Management Console authentication failures"


def test_levels() -> None:
    level_2 = {"4.6", "4.7", "4.9", "4.10", "4.11"}
    for version in CIS_VERSIONS:
        for control in cis_controls(version):
            expected = 2 if control.id in level_2 or (control.id == "4.1" and version >= "2.0.0") else 1
            assert control.level == expected, (version, control.id)


# -- resolution ----------------------------------------------------------------------------------------


def test_resolve_canonical_and_native_ids() -> None:
    assert [c.id for c in resolve_controls("4.6")] == ["4.6"]
    assert [c.native_id for c in resolve_controls("4.6")] == ["5.6"]
    assert [c.id for c in resolve_controls("5.6", "6.0.0")] == ["4.6"]
    assert [c.id for c in resolve_controls("3.6", "1.2.0")] == ["4.6"]
    assert [c.id for c in resolve_controls("4.6", "1.2.0")] == ["4.6"]
    assert [c.id for c in resolve_controls("4.6", "6.0.0")] == ["4.6"]
    assert [c.id for c in resolve_controls("CIS-4.6")] == ["4.6"]


def test_resolve_lists_all_and_order() -> None:
    assert [c.id for c in resolve_controls("4.3,4.1")] == ["4.3", "4.1"]
    assert [c.id for c in resolve_controls(" 4.3 , 4.1 4.3 5.1")] == ["4.3", "4.1"]
    assert [c.id for c in resolve_controls(["4.2", "4.4,4.5"])] == ["4.2", "4.4", "4.5"]
    assert len(resolve_controls("all")) == 15
    assert len(resolve_controls("ALL", "1.2.0")) == 14
    assert [c.id for c in resolve_controls("4.9,all")][:2] == ["4.9", "4.1"]


VALID_V7 = (
    "Valid ids for CIS v7.0.0: 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 4.10, 4.11, 4.12, 4.13, 4.14, 4.15 "
    "(or the v7.0.0 numbers 5.1–5.15), or all"
)


@pytest.mark.parametrize(
    "ids, version, message",
    [
        (
            "3.6",
            "7.0.0",
            "unknown CIS control '3.6' for v7.0.0: 3.6 is the v1.2.0 numbering (use --cis-version 1.2.0, or the "
            f"canonical id 4.6). {VALID_V7}",
        ),
        (
            "5.6",
            "5.0.0",
            "unknown CIS control '5.6' for v5.0.0: 5.6 is the v6.0.0/v7.0.0 numbering (use --cis-version 6.0.0 or "
            "later, or the canonical id 4.6). Valid ids for CIS v5.0.0: 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, "
            "4.10, 4.11, 4.12, 4.13, 4.14, 4.15, or all",
        ),
        (
            "4.15",
            "1.2.0",
            "unknown CIS control '4.15' for v1.2.0: 4.15 (AWS Organizations changes) was added in v1.3.0. Valid ids "
            "for CIS v1.2.0: 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 4.10, 4.11, 4.12, 4.13, 4.14 (or the v1.2.0 "
            "numbers 3.1–3.14), or all",
        ),
        (
            "5.16",
            "7.0.0",
            "unknown CIS control '5.16' for v7.0.0: the 16th monitoring-section control (4.16 in v1.5.0–v5.0.0, 5.16 "
            "from v6.0.0) is 'Ensure AWS Security Hub is enabled', which is not a metric-filter control. "
            f"{VALID_V7}",
        ),
        ("4.6,x", "7.0.0", f"unknown CIS control 'x' for v7.0.0. {VALID_V7}"),
        ("4.0", "7.0.0", f"unknown CIS control '4.0' for v7.0.0. {VALID_V7}"),
        ("", "7.0.0", "no CIS control ids given; use for example 4.6, 4.1,4.3 or all"),
    ],
)
def test_resolution_errors_list_what_exists(ids: str, version: str, message: str) -> None:
    with pytest.raises(CatalogError) as raised:
        resolve_controls(ids, version)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)


def test_versions() -> None:
    assert normalize_version("1.4") == "1.4.0"
    assert normalize_version("v1.4.0") == "1.4.0"
    assert normalize_version("cis_1.4") == "1.4.0"
    assert normalize_version("CIS-AWS-v5.0.0") == "5.0.0"
    assert normalize_version("4.0") == "4.0.1"
    assert normalize_version("7") == "7.0.0"
    with pytest.raises(CatalogError) as raised:
        normalize_version("8.0")
    assert str(raised.value) == (
        "unknown CIS version '8.0'; known versions: 1.2.0, 1.3.0, 1.4.0, 1.5.0, 2.0.0, 3.0.0, 4.0.0, 4.0.1, 5.0.0, "
        "6.0.0, 7.0.0"
    )
    with pytest.raises(CatalogError):
        resolve("4.6", "1.1.0")


# -- monitors ------------------------------------------------------------------------------------------


def test_console_failure_monitor_shape() -> None:
    [monitor] = resolve("4.6")
    assert monitor.control_id == "4.6"
    assert monitor.benchmark == "CIS AWS Foundations Benchmark v7.0.0 5.6"
    assert monitor.metric_filter.to_api_dict() == {
        "logGroupName": "CloudTrail/DefaultLogGroup",
        "filterName": "CIS-4.6-ConsoleAuthenticationFailures",
        "filterPattern": CONSOLE,
        "metricTransformations": [
            {
                "metricName": "CIS-4.6-ConsoleAuthenticationFailures",
                "metricNamespace": "CISBenchmark",
                "metricValue": "1",
            }
        ],
    }
    assert monitor.alarm.to_api_dict() == {
        "AlarmName": "CIS-4.6-ConsoleAuthenticationFailures",
        "AlarmDescription": "CIS AWS Foundations Benchmark v7.0.0 5.6: Ensure AWS Management Console authentication "
        "failures are monitored",
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:cis-alarms"],
        "MetricName": "CIS-4.6-ConsoleAuthenticationFailures",
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    assert monitor.alarm.effective_treat_missing_data == "missing"
    assert [t.topic_arn for t in monitor.topics] == ["arn:aws:sns:us-east-1:123456789012:cis-alarms"]


def test_names_use_the_canonical_id_in_every_version() -> None:
    assert resolve("3.6", "1.2.0")[0].name == resolve("5.6", "6.0.0")[0].name == "CIS-4.6-ConsoleAuthenticationFailures"
    names = [m.name for m in resolve("all")]
    assert len(set(names)) == 15
    assert all(m.metric_filter.filter_name == m.alarm.metric_name == m.name for m in resolve("all"))


def test_monitor_parameters() -> None:
    email = Subscription("email", "sec@example.com")
    [monitor] = resolve(
        "4.3",
        "1.4.0",
        region="eu-west-1",
        account_id="111122223333",
        topic_name="sec-alerts",
        log_group_name="aws-cloudtrail-logs-111122223333-abc",
        namespace="Security",
        subscriptions=[email],
    )
    assert monitor.alarm.alarm_actions == ("arn:aws:sns:eu-west-1:111122223333:sec-alerts",)
    assert monitor.metric_filter.log_group_name == "aws-cloudtrail-logs-111122223333-abc"
    assert monitor.alarm.namespace == monitor.metric_filter.metric_transformation.metric_namespace == "Security"
    assert monitor.topics[0].subscriptions == (email,)
    assert monitor.benchmark == "CIS AWS Foundations Benchmark v1.4.0 4.3"
    [by_arn] = resolve("4.3", topic_arn="arn:aws:sns:eu-west-1:111122223333:existing")
    assert by_arn.alarm.alarm_actions == ("arn:aws:sns:eu-west-1:111122223333:existing",)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"topic_name": "bad name"}, "topic name 'bad name' contains ' '"),
        ({"region": "Ireland"}, "region 'Ireland' is not an AWS region name such as us-east-1"),
        ({"account_id": "123"}, "account id '123' is not 12 digits"),
        ({"topic_arn": "arn:aws:sqs:us-east-1:123456789012:q"}, "is not an SNS topic ARN"),
        ({"log_group_name": "bad group"}, "logGroupName: 'bad group' contains ' '"),
    ],
)
def test_bad_monitor_parameters(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        resolve("4.6", **kwargs)  # type: ignore[arg-type]


def test_cis_configuration_round_trips_through_a_file() -> None:
    config = cis_configuration()
    assert len(config.metric_filters) == len(config.alarms) == 15
    assert len(config.topics) == 1
    assert [m.control_id for m in resolve("all")] == [f"4.{n}" for n in range(1, 16)]
    loaded = parse_config(json.dumps(config.to_config_dict()), file="cis.json")
    assert loaded == config
    # The only warning: the shared topic has no subscription yet.
    assert [w.path for w in loaded.warnings] == ["topics[0]"]
    assert isinstance(loaded, Configuration)


def test_cis_patterns_match_cloudtrail_events() -> None:
    failed_login = json.dumps(
        {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication", "eventSource": "signin.amazonaws.com"}
    )
    root_call = json.dumps({"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall", "eventName": "ListBuckets"})
    assert compile_pattern(cis_control("4.6").pattern).match(failed_login) is not None
    assert compile_pattern(cis_control("4.3").pattern).match(root_call) is not None
    assert compile_pattern(cis_control("4.3").pattern).match(failed_login) is None
