"""trailguard.aws.inventory against accounts built in moto (over HTTP), and the snapshot's JSON form."""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import trailguard.aws.inventory
import trailguard.aws.permissions
import trailguard.aws.regions
import trailguard.aws.session
from aws_builders import (
    AccountSpec,
    BuiltAccount,
    MonitorSpec,
    MotoAccount,
    SubscriptionSpec,
    build_account,
    build_snapshot,
    random_account_id,
)
from refusing_endpoint import Refusal, RefusingEndpoint
from trailguard.aws import (
    INVENTORY_ACTIONS,
    NOT_ATTEMPTED,
    AwsError,
    AwsOptions,
    AwsSession,
    CallRecorder,
    ReadAction,
    Snapshot,
    SnapshotError,
    collect_inventory,
    load_snapshot,
    minimal_iam_policy,
    save_snapshot,
)
from trailguard.aws.paging import read_all_pages
from trailguard.aws.permissions import READ_ONLY_OPERATION

SRC = Path(trailguard.aws.inventory.__file__).parent


def inventory(
    built: BuiltAccount, recorder: CallRecorder | None = None, endpoint: str | None = None, **kwargs: Any
) -> Snapshot:
    options = built.options()
    if endpoint is not None:
        options = replace(options, endpoint_url=endpoint)
    return collect_inventory(AwsSession(options, recorder=recorder), **kwargs)


# --- a compliant account -------------------------------------------------------------------------


def test_compliant_account_is_read_link_by_link(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(log_group_region="eu-west-1"))
    snapshot = inventory(built, regions=["us-east-1", "ap-south-1"])
    assert (snapshot.account_id, snapshot.partition) == (built.account_id, "aws")
    assert snapshot.caller_arn == f"arn:aws:sts::{built.account_id}:assumed-role/trailguard-test/trailguard"
    assert (snapshot.regions, snapshot.region_source) == (("ap-south-1", "us-east-1"), "requested")
    assert [(listing.region, listing.trail_arns) for listing in snapshot.listings] == [
        ("ap-south-1", (built.trail_arn,)),
        ("us-east-1", (built.trail_arn,)),
    ]
    (trail,) = snapshot.trails
    assert trail.arn == built.trail_arn and trail.home_region == "us-east-1"
    assert trail.listed_in == ("ap-south-1", "us-east-1")
    assert trail.is_multi_region and trail.is_logging and not trail.is_organization_trail
    assert trail.event_selectors == [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    assert trail.log_group_arn == f"{built.log_group_arn}:*"
    assert trail.log_group is not None and trail.log_group.arn == built.log_group_arn
    assert trail.read_as == built.account_id and trail.errors == ()
    (group,) = snapshot.log_groups
    assert (group.arn, group.region, group.name, group.exists) == (
        built.log_group_arn,
        "eu-west-1",
        "CloudTrail/DefaultLogGroup",
        True,
    )
    assert snapshot.log_group(f"{built.log_group_arn}:*") is group
    assert group.metric_filters is not None
    assert [f["filterName"] for f in group.metric_filters] == ["CIS-4.6-ConsoleAuthenticationFailures"]
    (alarms,) = snapshot.alarm_regions
    assert (alarms.account_id, alarms.region) == (built.account_id, "eu-west-1")
    assert alarms.metric_alarms is not None
    assert [a["AlarmName"] for a in alarms.metric_alarms] == ["CIS-4.6-ConsoleAuthenticationFailures"]
    assert snapshot.alarms(built.account_id, "eu-west-1") is alarms
    (topic,) = snapshot.topics
    assert (topic.arn, topic.region, topic.name) == (built.topic_arn, "eu-west-1", "cis-alarms")
    assert topic.attributes is not None and topic.attributes["Owner"] == built.account_id
    assert topic.subscriptions is not None
    assert [(s["Protocol"], s["Endpoint"]) for s in topic.subscriptions] == [("email", "security@example.com")]
    assert snapshot.all_errors() == [] and snapshot.notes == ()


def test_default_region_comes_from_the_session(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(home_region="eu-central-1"))
    snapshot = inventory(built)
    assert (snapshot.regions, snapshot.region_source) == (("eu-central-1",), "default")


# --- links followed by ARN, into the right region and account ------------------------------------


def test_shadow_trail_details_are_read_in_the_home_region_once(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(home_region="us-east-1"))
    recorder = CallRecorder()
    regions = ["eu-west-1", "eu-west-2", "ap-northeast-1"]
    snapshot = inventory(built, recorder, regions=regions)
    (trail,) = snapshot.trails
    assert trail.listed_in == ("ap-northeast-1", "eu-west-1", "eu-west-2")
    assert trail.is_logging is True
    details = [
        (c.operation, c.region) for c in recorder.calls if c.operation in ("GetTrailStatus", "GetEventSelectors")
    ]
    assert sorted(details) == [("GetEventSelectors", "us-east-1"), ("GetTrailStatus", "us-east-1")]


def test_single_region_trail_is_listed_only_at_home(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(multi_region=False, home_region="eu-west-1"))
    snapshot = inventory(built, regions=["eu-west-1", "us-east-1"])
    assert {listing.region: listing.trail_arns for listing in snapshot.listings} == {
        "eu-west-1": (built.trail_arn,),
        "us-east-1": (),
    }
    assert not snapshot.trails[0].is_multi_region


def test_log_group_is_read_in_the_region_its_arn_names_never_by_name(aws_environment: str) -> None:
    # Monitoring was put on a same-named log group in us-east-1; the trail writes to eu-west-1's.
    spec = AccountSpec(home_region="us-east-1", log_group_region="eu-west-1", monitoring_region="us-east-1")
    built = build_account(aws_environment, spec)
    recorder = CallRecorder()
    snapshot = inventory(built, recorder, regions=["us-east-1"])
    (group,) = snapshot.log_groups
    assert (group.region, group.exists, group.metric_filters) == ("eu-west-1", True, ())
    logs_regions = {c.region for c in recorder.calls if c.service in ("logs", "cloudwatch")}
    assert logs_regions == {"eu-west-1"}
    assert snapshot.topics == ()  # the us-east-1 alarm watches no filter of the trail's log group


def test_missing_log_group_is_recorded_as_absent(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(create_log_group=False))
    (group,) = inventory(built).log_groups
    assert (group.exists, group.description) == (False, None)


def test_trail_without_cloudwatch_logs_leads_nowhere(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(cloudwatch_logs=False))
    recorder = CallRecorder()
    snapshot = inventory(built, recorder)
    assert snapshot.trails[0].log_group_arn is None
    assert (snapshot.log_groups, snapshot.alarm_regions, snapshot.topics) == ((), (), ())
    assert {c.service for c in recorder.calls} == {"sts", "cloudtrail"}


def test_log_group_of_another_account_is_not_read_without_its_credentials(aws_environment: str) -> None:
    other = random_account_id()
    built = build_account(aws_environment, AccountSpec(log_group_account=other))
    recorder = CallRecorder()
    snapshot = inventory(built, recorder)
    (group,) = snapshot.log_groups
    assert group.account_id == other and group.read_as is None
    assert (group.exists, group.metric_filters) == (None, None)
    assert [(e.iam_action, e.code, e.account_id) for e in group.errors] == [
        ("logs:DescribeLogGroups", NOT_ATTEMPTED, other),
        ("logs:DescribeMetricFilters", NOT_ATTEMPTED, other),
    ]
    assert "assume a role in " + other in group.errors[0].message
    (alarms,) = snapshot.alarm_regions
    assert alarms.metric_alarms is None and alarms.errors[0].code == NOT_ATTEMPTED
    assert not any(c.service in ("logs", "cloudwatch") for c in recorder.calls)


def test_log_group_of_another_account_is_read_with_a_followed_session(aws_environment: str) -> None:
    other = random_account_id()
    built = build_account(aws_environment, AccountSpec(log_group_account=other))
    session = AwsSession(built.options())
    snapshot = collect_inventory(session, follow=[session.assume(f"arn:aws:iam::{other}:role/audit")])
    assert snapshot.followed_accounts == (other,)
    (group,) = snapshot.log_groups
    assert (group.account_id, group.read_as, group.exists) == (other, other, True)
    assert group.metric_filters is not None and len(group.metric_filters) == 1
    (alarms,) = snapshot.alarm_regions
    assert alarms.read_as == other and alarms.metric_alarms is not None and len(alarms.metric_alarms) == 1
    (topic,) = snapshot.topics
    assert (topic.account_id, topic.read_as) == (other, other)
    assert snapshot.all_errors() == []


def test_trail_log_group_arn_that_is_not_an_arn_is_recorded(aws_environment: str) -> None:
    account = MotoAccount.create(aws_environment)
    account.create_trail("odd-trail", "us-east-1", log_group_arn="CloudTrail/DefaultLogGroup")
    session = AwsSession(AwsOptions(region="us-east-1", endpoint_url=aws_environment, assume_roles=(account.role_arn,)))
    snapshot = collect_inventory(session)
    (trail,) = snapshot.trails
    assert [(e.code, e.resource) for e in trail.errors] == [(NOT_ATTEMPTED, "CloudTrail/DefaultLogGroup")]
    assert snapshot.log_groups == ()


# --- once per run, every page -----------------------------------------------------------------------


def test_every_response_is_fetched_once(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec.for_controls())  # 15 controls, one topic
    recorder = CallRecorder()
    snapshot = inventory(built, recorder, regions=["us-east-1", "eu-west-1", "eu-west-2"])
    assert len(snapshot.log_groups[0].metric_filters or ()) == 15
    assert len(snapshot.alarm_regions[0].metric_alarms or ()) == 15
    assert recorder.count() == Counter(
        {
            "cloudtrail:DescribeTrails": 3,
            "cloudtrail:GetTrailStatus": 1,
            "cloudtrail:GetEventSelectors": 1,
            "logs:DescribeLogGroups": 1,
            "logs:DescribeMetricFilters": 1,
            "cloudwatch:DescribeAlarms": 1,
            "sns:GetTopicAttributes": 1,
            "sns:ListSubscriptionsByTopic": 1,
            "sts:AssumeRole": 1,
            "sts:GetCallerIdentity": 1,
        }
    )


def test_the_pool_size_changes_nothing_read(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec.for_controls("4.1", "4.6", log_group_region="eu-west-1"))
    regions = ["us-east-1", "eu-west-1", "eu-west-2", "ap-south-1"]

    def shape(snapshot: Snapshot) -> dict[str, Any]:
        document = snapshot.to_json()
        for trail in document["trails"]:
            trail["GetTrailStatus"] = {"IsLogging": trail["GetTrailStatus"]["IsLogging"]}  # moto's clock moves
        return document

    one = inventory(built, regions=regions, max_workers=1, now=datetime(2026, 1, 1, tzinfo=UTC))
    many = inventory(built, regions=regions, max_workers=16, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert shape(one) == shape(many)
    assert one.generated == "2026-01-01T00:00:00Z"


def test_subscriptions_are_read_every_page(aws_environment: str) -> None:
    subscriptions = tuple(SubscriptionSpec("email", f"person{n}@example.com") for n in range(101))
    built = build_account(aws_environment, AccountSpec(subscriptions=subscriptions))
    recorder = CallRecorder()
    (topic,) = inventory(built, recorder).topics
    assert topic.subscriptions is not None
    assert sorted(s["Endpoint"] for s in topic.subscriptions) == sorted(s.endpoint for s in subscriptions)
    assert recorder.count()["sns:ListSubscriptionsByTopic"] == 2  # moto pages by 100


def test_paging_stops_when_the_endpoint_repeats_a_token(aws_environment: str) -> None:
    # moto's describe_metric_filters echoes the token it is given (shown here on the real server); a loop
    # that trusted it would never end.
    account = MotoAccount.create(aws_environment)
    account.create_log_group("echo", "us-east-1")
    logs = account.client("logs", "us-east-1")
    assert logs.describe_metric_filters(logGroupName="echo", nextToken="t-1")["nextToken"] == "t-1"
    served: list[str | None] = []

    def page(token: str | None) -> dict[str, Any]:
        served.append(token)
        response = logs.describe_metric_filters(logGroupName="echo", nextToken=token or "t-1")
        return {"metricFilters": response["metricFilters"], "nextToken": response["nextToken"]}

    repeated: list[str] = []
    pages = read_all_pages(page, "nextToken", on_repeated_token=repeated.append)
    assert (served, repeated, len(pages)) == ([None, "t-1"], ["t-1"], 2)


def test_only_topics_of_alarms_that_can_be_on_a_chain_are_read(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(monitors=(MonitorSpec(metric_math=True),)))
    account = MotoAccount.create(aws_environment, built.account_id)
    unrelated = account.create_topic("unrelated", "us-east-1")
    account.put_metric_alarm(
        "us-east-1",
        {
            "AlarmName": "cpu",
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/EC2",
            "Statistic": "Average",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 90.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": [unrelated],
        },
    )
    snapshot = inventory(built)
    assert len(snapshot.alarm_regions[0].metric_alarms or ()) == 2
    assert [topic.arn for topic in snapshot.topics] == [built.topic_arn]  # reached through metric math


# --- failures: recorded against the resource, or fatal ------------------------------------------


def test_denied_calls_are_recorded_and_the_inventory_goes_on(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(log_group_region="eu-west-1"))
    refusals = [
        Refusal("cloudtrail:DescribeTrails", code="AccessDeniedException", region="ap-south-1"),
        Refusal("logs:DescribeMetricFilters", code="AccessDeniedException"),
        Refusal("sns:GetTopicAttributes", code="AuthorizationError", message="not allowed to read the topic"),
    ]
    with RefusingEndpoint(aws_environment, refusals) as endpoint:
        snapshot = inventory(built, endpoint=endpoint.url, regions=["us-east-1", "ap-south-1"])
    listings = {listing.region: listing for listing in snapshot.listings}
    assert listings["ap-south-1"].trail_arns == ()
    assert [str(e).split(":")[0] for e in listings["ap-south-1"].errors] == ["AccessDeniedException on cloudtrail"]
    assert snapshot.trails[0].listed_in == ("us-east-1",)
    (group,) = snapshot.log_groups
    assert group.exists is True and group.metric_filters is None
    ((service, operation, region, code),) = [(e.service, e.operation, e.region, e.code) for e in group.errors]
    assert (service, operation, region, code) == ("logs", "DescribeMetricFilters", "eu-west-1", "AccessDeniedException")
    # With no filters known, no alarm is relevant: alarms are still read, topics are not reached.
    assert snapshot.alarm_regions[0].metric_alarms is not None
    assert snapshot.topics == ()


def test_denied_topic_attributes_keep_the_subscriptions(aws_environment: str) -> None:
    built = build_account(aws_environment)
    refusal = Refusal("sns:GetTopicAttributes", code="AuthorizationError", message="not allowed to read the topic")
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint:
        (topic,) = inventory(built, endpoint=endpoint.url).topics
    assert topic.attributes is None and topic.subscriptions is not None and len(topic.subscriptions) == 1
    (error,) = topic.errors
    assert (error.iam_action, error.code, error.message, error.resource) == (
        "sns:GetTopicAttributes",
        "AuthorizationError",
        "not allowed to read the topic",
        built.topic_arn,
    )


def test_missing_topic_is_recorded_as_not_found(aws_environment: str) -> None:
    built = build_account(aws_environment, AccountSpec(topic=False))
    (topic,) = inventory(built).topics
    assert (topic.attributes, topic.subscriptions) == (None, None)
    assert {(e.operation, e.code) for e in topic.errors} == {
        ("GetTopicAttributes", "NotFound"),
        ("ListSubscriptionsByTopic", "NotFound"),
    }


def test_rejected_credentials_stop_the_inventory(aws_environment: str) -> None:
    built = build_account(aws_environment)
    refusal = Refusal("logs:DescribeMetricFilters", code="ExpiredTokenException", message="The security token expired")
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint, pytest.raises(AwsError) as raised:
        inventory(built, endpoint=endpoint.url)
    assert raised.value.kind == "credentials"
    assert str(raised.value).startswith("ExpiredTokenException on logs:DescribeMetricFilters in us-east-1")


# --- regions -------------------------------------------------------------------------------------


def test_all_regions_falls_back_to_botocore_when_describe_regions_is_denied(aws_environment: str) -> None:
    built = build_account(aws_environment)
    refusal = Refusal("ec2:DescribeRegions", code="UnauthorizedOperation")
    with RefusingEndpoint(aws_environment, [refusal]) as endpoint:
        snapshot = inventory(built, endpoint=endpoint.url, all_regions=True)
    assert snapshot.region_source == "static-list"
    assert "us-east-1" in snapshot.regions and "eu-west-1" in snapshot.regions
    (note,) = snapshot.notes
    assert "ec2:DescribeRegions failed (UnauthorizedOperation)" in note


def test_requested_regions_are_checked(aws_environment: str) -> None:
    built = build_account(aws_environment)
    with pytest.raises(AwsError, match="'eu_west_1' is not an AWS region name"):
        inventory(built, regions=["eu_west_1"])


# --- read-only, provably ---------------------------------------------------------------------------


def read_actions_in_source() -> set[ReadAction]:
    """Every ReadAction constant the inventory's code names, found by reading the source: the inventory and
    region modules, and AwsSession.identity (the one call the inventory makes through the session)."""
    constants = {
        name: value for name, value in vars(trailguard.aws.permissions).items() if isinstance(value, ReadAction)
    }
    session_tree = ast.parse(Path(str(trailguard.aws.session.__file__)).read_text())
    (identity,) = [
        node for node in ast.walk(session_tree) if isinstance(node, ast.FunctionDef) and node.name == "identity"
    ]
    trees: list[tuple[str, ast.AST]] = [
        (module.__name__, ast.parse(Path(str(module.__file__)).read_text()))
        for module in (trailguard.aws.inventory, trailguard.aws.regions)
    ]
    trees.append(("AwsSession.identity", identity))
    found: set[ReadAction] = set()
    for where, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in constants:
                found.add(constants[node.id])
            # Every call to AWS goes through AwsSession.read (which takes only a ReadAction).
            if isinstance(node, ast.Attribute) and node.attr in ("client", "call", "_new_client", "describe_error"):
                pytest.fail(f"{where} line {node.lineno} reaches AWS without AwsSession.read")
    return found


def rich_account(endpoint: str) -> BuiltAccount:
    return build_account(
        endpoint,
        AccountSpec.for_controls(
            log_group_region="eu-west-1",
            subscriptions=(SubscriptionSpec(), SubscriptionSpec("sqs", "arn:aws:sqs:eu-west-1:123456789012:q")),
        ),
    )


def test_inventory_only_reads_and_the_policy_lists_exactly_what_it_can_call(aws_environment: str) -> None:
    static = {action.iam_action for action in read_actions_in_source()}
    table = {action.iam_action for action in INVENTORY_ACTIONS}
    (statement,) = minimal_iam_policy()["Statement"]
    assert static == table == set(statement["Action"])
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"

    built = rich_account(aws_environment)
    recorder = CallRecorder()
    session = AwsSession(built.options(), recorder=recorder)
    role_chain = {call.iam_action for call in recorder.calls}
    recorder.clear()
    snapshot = collect_inventory(session, all_regions=True)
    made = {call.iam_action for call in recorder.calls}
    assert role_chain == {"sts:AssumeRole"}  # the options' role chain, made before the inventory
    assert all(READ_ONLY_OPERATION.match(action.split(":")[1]) for action in made), made
    assert made == table

    # --all-regions: the enabled regions, from ec2:DescribeRegions, each listing the multi-region trail.
    assert snapshot.region_source == "describe-regions"
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(snapshot.regions)
    assert list(snapshot.regions) == sorted(snapshot.regions)
    assert snapshot.trails[0].listed_in == snapshot.regions


def test_policy_document_is_valid_json_policy() -> None:
    policy = json.loads(json.dumps(minimal_iam_policy()))
    assert policy["Version"] == "2012-10-17"
    for action in policy["Statement"][0]["Action"]:
        _, operation = action.split(":")
        assert READ_ONLY_OPERATION.match(operation), action


# --- the snapshot as JSON ------------------------------------------------------------------------


def test_snapshot_round_trips_through_a_file(aws_environment: str, tmp_path: Path) -> None:
    built = rich_account(aws_environment)
    snapshot = inventory(built, regions=["us-east-1", "eu-west-1"])
    path = tmp_path / "snapshot.json"
    save_snapshot(snapshot, path)
    document = json.loads(path.read_text())
    assert document["format"] == "trailguard-aws-inventory" and document["formatVersion"] == 1
    assert document["trails"][0]["GetTrailStatus"]["IsLogging"] is True
    assert isinstance(document["trails"][0]["GetTrailStatus"]["StartLoggingTime"], str)
    loaded = load_snapshot(path)
    assert loaded == snapshot
    assert loaded.topic(built.topic_arn) == snapshot.topics[0]


def test_snapshot_with_errors_round_trips() -> None:
    snapshot = build_snapshot(
        AccountSpec(
            denied=("logs:DescribeMetricFilters", "sns:ListSubscriptionsByTopic"), log_group_account="210987654321"
        )
    )
    assert Snapshot.from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="other"), "snapshot.json: format is not 'trailguard-aws-inventory'"),
        (lambda d: d.update(formatVersion=2), "snapshot.json: formatVersion is 2; this trailguard reads version 1"),
        (lambda d: d["trails"][0].pop("trailArn"), "snapshot.json: trails[0].trailArn is missing"),
        (lambda d: d["trails"][0].update(listedIn="us-east-1"), "trails[0].listedIn must be a list of strings"),
        (lambda d: d["logGroups"][0].update(exists="yes"), "logGroups[0].exists must be true, false or null"),
        (lambda d: d["topics"][0]["errors"].append({}), "topics[0].errors[0].service is missing"),
        (lambda d: d["alarms"][0].update(MetricAlarms=[1]), "alarms[0].MetricAlarms[0] must be an object"),
        (lambda d: d["logGroups"][0].update(region="eu-west-9"), "logGroups[0].logGroupArn does not match"),
        (lambda d: d.update(trails={}), "snapshot.json: trails must be a list, found an object"),
    ],
)
def test_malformed_snapshots_name_the_key(tmp_path: Path, mutate: Any, message: str) -> None:
    document = build_snapshot().to_json()
    mutate(document)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SnapshotError) as raised:
        load_snapshot(path)
    assert str(raised.value).startswith(str(path)) and message in str(raised.value)


def test_unreadable_snapshot_files(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read"):
        load_snapshot(tmp_path / "absent.json")
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "trailguard-aws-inventory",\n  oops\n}')
    with pytest.raises(SnapshotError, match=r"broken.json: line 3, column 3: not JSON"):
        load_snapshot(path)
