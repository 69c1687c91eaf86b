"""The test builders themselves: each knob builds the state it names in moto, and build_snapshot writes what
the inventory reads from the same spec (so snapshot-level audit tests stand on real response shapes)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from aws_builders import (
    SELECTOR_KINDS,
    AccountSpec,
    MonitorSpec,
    MotoCannotBuild,
    SubscriptionSpec,
    build_account,
    build_snapshot,
    random_account_id,
)
from trailguard.aws import NOT_ATTEMPTED, AwsSession, Snapshot, collect_inventory

KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DENY_CLOUDWATCH = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": "*",
            }
        ],
    }
)
OTHER_ACCOUNT = random_account_id()

MOTO_SPECS: dict[str, AccountSpec] = {
    "compliant": AccountSpec(),
    "not multi-region": AccountSpec(multi_region=False),
    "not logging": AccountSpec(logging=False),
    "organization trail": AccountSpec(organization_trail=True),
    **{f"selectors {kind}": AccountSpec(selectors=kind) for kind in SELECTOR_KINDS if kind != "default"},
    "no CloudWatch Logs": AccountSpec(cloudwatch_logs=False),
    "log group elsewhere": AccountSpec(log_group_region="eu-west-1"),
    "monitoring in the wrong region": AccountSpec(log_group_region="eu-west-1", monitoring_region="us-east-1"),
    "log group missing": AccountSpec(create_log_group=False),
    "log group of another account": AccountSpec(log_group_account=OTHER_ACCOUNT),
    "all controls": AccountSpec.for_controls(cis_version="1.4.0"),
    "filter missing": AccountSpec().with_monitor(filter=False),
    "other pattern": AccountSpec().with_monitor(pattern='{ $.eventName = "ConsoleLogin" }'),
    "other namespace and value": AccountSpec().with_monitor(metric_namespace="Security", metric_value="$.count"),
    "filter dimensions and default": AccountSpec().with_monitor(
        filter_dimensions=(("Source", "$.eventSource"),), default_value=0.0
    ),
    "alarm missing": AccountSpec().with_monitor(alarm=False),
    "actions disabled": AccountSpec().with_monitor(actions_enabled=False),
    "no SNS action": AccountSpec().with_monitor(
        sns_action=False, other_actions=("arn:aws:automate:us-east-1:ec2:stop",)
    ),
    "alarm on another namespace and dimensions": AccountSpec().with_monitor(
        alarm_namespace="CloudTrailMetrics", alarm_dimensions=(("Source", "signin.amazonaws.com"),)
    ),
    "alarm settings": AccountSpec().with_monitor(
        statistic="Maximum",
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        threshold=3.0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
    ),
    "metric math": AccountSpec().with_monitor(metric_math=True),
    "topic missing": AccountSpec(topic=False),
    "no subscription": AccountSpec(subscriptions=()),
    "topic policy and key": AccountSpec(topic_policy=DENY_CLOUDWATCH, topic_kms_key=KMS_KEY),
    "topic elsewhere": AccountSpec(topic_region="ap-southeast-2"),
}


def facts(snapshot: Snapshot) -> dict[str, Any]:
    """What an audit decides on, without what differs between moto and AWS for no reason that matters
    (timestamps, random ids, moto's extra empty lists and hard-coded counts)."""

    def selectors(response: dict[str, Any] | None) -> Any:
        if response is None:
            return None
        basic = [
            {"DataResources": [], "ExcludeManagementEventSources": [], **selector}
            for selector in response.get("EventSelectors") or []
        ]
        return {"basic": basic, "advanced": response.get("AdvancedEventSelectors") or []}

    def alarm(entry: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "MetricName", "Namespace", "Statistic",
            "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
        )  # fmt: skip
        picked = {key: entry[key] for key in keys if key in entry}
        picked["Dimensions"] = entry.get("Dimensions") or []
        picked["Metrics"] = entry.get("Metrics") or []
        return picked

    def log_group_errors(group: Any) -> list[tuple[Any, ...]]:
        return [
            (e.iam_action, e.code, e.account_id, e.resource)
            for e in group.errors
            if e.code != "ResourceNotFoundException"  # moto lists no filters instead (see aws_builders)
        ]

    def filters(group: Any) -> Any:
        if group.metric_filters is None:
            missing = any(e.code == "ResourceNotFoundException" for e in group.errors)
            return [] if missing else None
        return [
            (f["filterName"], f["filterPattern"], f["metricTransformations"], f["logGroupName"])
            for f in group.metric_filters
        ]

    return {
        "account": snapshot.account_id,
        "regions": snapshot.regions,
        "listings": [(listing.region, listing.trail_arns) for listing in snapshot.listings],
        "trails": [
            {
                "arn": trail.arn,
                "listed_in": trail.listed_in,
                "multi": trail.is_multi_region,
                "org": trail.is_organization_trail,
                "home": trail.description.get("HomeRegion"),
                "log_group": trail.log_group_arn,
                "logging": trail.is_logging,
                "selectors": selectors(trail.selectors),
                "errors": [(e.iam_action, e.code) for e in trail.errors],
            }
            for trail in snapshot.trails
        ],
        "log_groups": [
            {
                "arn": group.arn,
                "exists": group.exists,
                "described": None if group.description is None else group.description["logGroupArn"],
                "filters": filters(group),
                "read_as": group.read_as,
                "errors": log_group_errors(group),
            }
            for group in snapshot.log_groups
        ],
        "alarms": [
            {
                "where": (alarms.account_id, alarms.region),
                "metric": None if alarms.metric_alarms is None else [alarm(a) for a in alarms.metric_alarms],
                "composite": alarms.composite_alarms,
                "errors": [(e.iam_action, e.code, e.account_id) for e in alarms.errors],
            }
            for alarms in snapshot.alarm_regions
        ],
        "topics": [
            {
                "arn": topic.arn,
                "owner": None if topic.attributes is None else topic.attributes["Owner"],
                "policy": None if topic.attributes is None else json.loads(topic.attributes["Policy"]),
                "key": None if topic.attributes is None else topic.attributes.get("KmsMasterKeyId"),
                "subscriptions": None
                if topic.subscriptions is None
                else sorted(
                    (s["Protocol"], s["Endpoint"], s["SubscriptionArn"] != "PendingConfirmation", s["TopicArn"])
                    for s in topic.subscriptions
                ),
                "errors": [(e.iam_action, e.code) for e in topic.errors],
            }
            for topic in snapshot.topics
        ],
    }


@pytest.mark.parametrize("name", list(MOTO_SPECS))
def test_snapshot_builder_writes_what_the_inventory_reads_from_moto(aws_environment: str, name: str) -> None:
    spec = MOTO_SPECS[name]
    built = build_account(aws_environment, spec)
    regions = sorted({spec.home_region, "eu-west-2"})
    read = collect_inventory(AwsSession(built.options()), regions=regions)
    written = build_snapshot(spec, account_id=built.account_id, regions=regions)
    assert facts(read) == facts(written)


def test_knobs_break_the_link_they_name(aws_environment: str) -> None:
    # A few direct checks on the raw responses, beyond the agreement above.
    snapshots = {
        name: build_snapshot(MOTO_SPECS[name])
        for name in ("not logging", "selectors basic-write-only", "actions disabled", "no subscription")
    }
    assert snapshots["not logging"].trails[0].is_logging is False
    assert snapshots["selectors basic-write-only"].trails[0].event_selectors == [
        {
            "DataResources": [],
            "ExcludeManagementEventSources": [],
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
        }
    ]
    alarms = snapshots["actions disabled"].alarm_regions[0].metric_alarms
    assert alarms is not None and alarms[0]["ActionsEnabled"] is False
    assert snapshots["no subscription"].topics[0].subscriptions == ()


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (AccountSpec(selectors="default"), "selectors='default'"),
        (AccountSpec(trail_account="210987654321"), "trail_account"),
        (AccountSpec(subscriptions=(SubscriptionSpec(confirmed=False),)), "a pending subscription"),
        (AccountSpec().with_monitor(composite=True), "composite=True"),
        (AccountSpec(denied=("logs:DescribeMetricFilters",)), "denied"),
    ],
)
def test_moto_refuses_states_it_cannot_build(aws_environment: str, spec: AccountSpec, why: str) -> None:
    with pytest.raises(MotoCannotBuild, match=why):
        build_account(aws_environment, spec)


# --- snapshot-only states ----------------------------------------------------------------------------


def test_pending_subscriptions_look_like_aws() -> None:
    spec = AccountSpec(subscriptions=(SubscriptionSpec(confirmed=False), SubscriptionSpec("sms", "+15555550100")))
    (topic,) = build_snapshot(spec).topics
    assert topic.subscriptions is not None
    assert [s["SubscriptionArn"] == "PendingConfirmation" for s in topic.subscriptions] == [True, False]
    assert topic.attributes is not None
    assert (topic.attributes["SubscriptionsPending"], topic.attributes["SubscriptionsConfirmed"]) == ("1", "1")


def test_composite_alarm_carries_the_action() -> None:
    snapshot = build_snapshot(AccountSpec().with_monitor(composite=True))
    (alarms,) = snapshot.alarm_regions
    assert alarms.metric_alarms is not None and alarms.composite_alarms is not None
    assert alarms.metric_alarms[0]["AlarmActions"] == []
    (composite,) = alarms.composite_alarms
    assert composite["AlarmRule"] == 'ALARM("CIS-4.6-ConsoleAuthenticationFailures")'
    assert [topic.arn for topic in snapshot.topics] == composite["AlarmActions"]


def test_default_selectors_are_aws_defaults() -> None:
    (trail,) = build_snapshot(AccountSpec(selectors="default")).trails
    assert trail.event_selectors == [
        {
            "DataResources": [],
            "ExcludeManagementEventSources": [],
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
        }
    ]


def test_organization_trail_of_the_management_account() -> None:
    management = "210987654321"
    spec = AccountSpec(organization_trail=True, trail_account=management)
    snapshot = build_snapshot(spec, account_id="123456789012", regions=["us-east-1", "eu-west-1"])
    (trail,) = snapshot.trails
    assert trail.account_id == management and trail.is_organization_trail
    assert trail.listed_in == ("eu-west-1", "us-east-1")
    (group,) = snapshot.log_groups
    assert group.account_id == management and group.read_as is None
    assert {e.code for e in group.errors} == {NOT_ATTEMPTED}
    followed = build_snapshot(spec, account_id="123456789012", followed_accounts=[management])
    assert followed.log_groups[0].read_as == management and followed.topics[0].account_id == management


def test_denied_actions_become_recorded_errors() -> None:
    spec = AccountSpec(denied=("cloudtrail:GetEventSelectors", "cloudwatch:DescribeAlarms"))
    snapshot = build_snapshot(spec)
    (trail,) = snapshot.trails
    assert trail.selectors is None and trail.status is not None
    assert [(e.iam_action, e.code) for e in snapshot.all_errors()] == [
        ("cloudtrail:GetEventSelectors", "AccessDeniedException"),
        ("cloudwatch:DescribeAlarms", "AccessDenied"),
    ]
    assert snapshot.topics == ()


def test_specs_compose() -> None:
    spec = AccountSpec.for_controls("4.1", "4.6").with_monitor(1, threshold=3.0)
    assert [m.control for m in spec.monitors] == ["4.1", "4.6"]
    assert spec.monitors[1].threshold == 3.0 and spec.monitors[0].threshold == 1.0
    assert replace(spec, logging=False).monitors == spec.monitors
    assert MonitorSpec(control="4.3").resolved_pattern.startswith('{ $.userIdentity.type = "Root"')
