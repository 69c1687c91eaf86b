"""AWS accounts for audit and remediation tests: built in moto over HTTP, or written as inventory snapshots.

One description, :class:`AccountSpec` (trail, log group, metric filters and alarms per CIS control, topic,
subscriptions), starts compliant and has one knob per way a link can break. It is realised two ways:

- :func:`build_account` creates it through boto3 in a fresh, isolated account of moto's
  ``ThreadedMotoServer`` (the ``moto_server`` fixture). Each account is reached by assuming a role into a
  random account id (moto lets any role ARN be assumed and keys its state by the role's account), so tests
  sharing the session-wide server never see each other's resources. The inventory reads it through
  ``AwsOptions(endpoint_url=..., assume_roles=(account.role_arn,))``.
- :func:`build_snapshot` writes the :class:`~trailguard.aws.snapshot.Snapshot` the inventory would read from
  the same account on real AWS (real response shapes, recorded in AWS's API references), for the states moto
  cannot build, and for audit tests that need no server at all.

Knobs moto cannot honour raise :class:`MotoCannotBuild` from :func:`build_account`, naming the knob, so no
test silently runs on a state moto did not build.

What moto 5.2.5 does and cannot do (read in ``moto/cloudtrail``, ``moto/logs``, ``moto/cloudwatch``,
``moto/sns``, ``moto/sts``):

- **CloudTrail.** Shadow trails are modelled: ``describe_trails(includeShadowTrails=True)`` lists every
  multi-region trail of the account in every region, with ``HomeRegion``. ``get_trail_status`` by ARN works
  from any region, ``get_event_selectors`` only in the home region (``TrailNotFoundException`` elsewhere).
  A new trail has *no* event selectors in moto (``EventSelectors: []``) where AWS gives it the default
  all-management-events selector, so the builders always put selectors, and ``selectors="default"`` cannot
  be built. ``put_event_selectors`` with basic selectors after advanced ones keeps the advanced ones (AWS
  replaces them); the builders put selectors once. ``HasCustomEventSelectors`` is always ``false``.
  ``IsOrganizationTrail`` can be set without an organization, but an organization trail of another account
  never appears in a member account's listing (no organization model): :attr:`AccountSpec.trail_account`
  is snapshot-only. The trail's bucket must exist; the log group and role ARNs are not checked.
- **CloudWatch Logs.** ``put_metric_filter`` *appends*: putting a filter with an existing name adds a
  second one instead of replacing it (AWS replaces), so re-putting is a different state in moto. Neither the
  pattern nor the log group's existence is checked. ``describe_metric_filters`` returns every filter in one
  page and echoes the input ``nextToken``; for a log group that does not exist it lists nothing, where AWS
  answers ``ResourceNotFoundException`` (what :func:`build_snapshot` writes).
- **CloudWatch.** ``put_metric_alarm`` keeps every setting (metric math ``Metrics`` included) and reports
  ``Dimensions: []`` and ``Metrics: []`` on plain alarms; alarms are never evaluated (state stays ``OK``
  after creation). ``put_composite_alarm`` is not implemented (HTTP 500): composite alarms are
  snapshot-only. ``describe_alarms`` ignores ``AlarmTypes`` and ``MaxRecords`` (one page, both kinds).
- **SNS.** Every subscription is created confirmed with a real ARN (``PendingConfirmation`` cannot be
  built; :attr:`SubscriptionSpec.confirmed` ``False`` is snapshot-only). ``SubscriptionsConfirmed`` /
  ``SubscriptionsPending`` in ``GetTopicAttributes`` are hard-coded ``"0"`` (use ListSubscriptionsByTopic).
  Topic ``Policy`` and ``KmsMasterKeyId`` can be set. A topic is only found in the region its ARN names
  (``NotFound`` elsewhere, as on AWS); another account's topic is readable without any permission check.
  ``list_subscriptions_by_topic`` pages by 100.
- **IAM** is not enforced (the server runs without ``INITIAL_NO_AUTH_ACTION_COUNT``): a denied call is made
  with :class:`tests.refusing_endpoint.RefusingEndpoint` in front of moto, or with
  :attr:`AccountSpec.denied` in a snapshot.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import boto3
import botocore.config

from trailguard.aws.inventory import relevant_topic_arns
from trailguard.aws.session import AwsOptions
from trailguard.aws.snapshot import (
    AlarmRegionRecord,
    CallError,
    LogGroupRecord,
    LogGroupRef,
    RegionListing,
    Snapshot,
    TopicRecord,
    TrailRecord,
)
from trailguard.catalog import CIS_NAMESPACE, cis_control

__all__ = [
    "SELECTOR_KINDS",
    "AccountSpec",
    "BuiltAccount",
    "MonitorSpec",
    "MotoAccount",
    "MotoCannotBuild",
    "SelectorKind",
    "SubscriptionSpec",
    "build_account",
    "build_snapshot",
    "composite_alarm_entry",
    "default_topic_policy",
    "describe_log_groups_entry",
    "describe_trails_entry",
    "event_selectors_response",
    "metric_alarm_entry",
    "metric_filter_entry",
    "random_account_id",
    "subscription_entry",
    "topic_attributes",
    "trail_status",
]

SelectorKind = Literal[
    "basic-all",
    "basic-write-only",
    "basic-read-only",
    "basic-data-only",
    "basic-exclude-kms",
    "advanced-all",
    "advanced-write-only",
    "advanced-data-only",
    "advanced-exclude-kms",
    "default",
]
SELECTOR_KINDS: tuple[SelectorKind, ...] = (
    "basic-all",
    "basic-write-only",
    "basic-read-only",
    "basic-data-only",
    "basic-exclude-kms",
    "advanced-all",
    "advanced-write-only",
    "advanced-data-only",
    "advanced-exclude-kms",
    "default",
)

#: Timestamps written into snapshots (moto's are the real time of the test run).
FIXED_TIME = "2026-01-15T09:00:00Z"
FIXED_EPOCH_MS = 1768467600000


_SHARED_SESSION = boto3.Session()


class MotoCannotBuild(ValueError):
    """The spec asks for a state moto 5.2.5 cannot represent; use :func:`build_snapshot` for it."""


def moto_client(service: str, endpoint: str) -> Any:
    """A boto3 client of the moto server at ``endpoint`` (us-east-1, dummy keys), in moto's default account."""
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def random_account_id() -> str:
    """A fresh 12-digit account id (never moto's default 123456789012)."""
    while True:
        account = f"{uuid.uuid4().int % 10**12:012d}"
        if account != "123456789012" and not account.startswith("0"):
            return account


# --- the description --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionSpec:
    protocol: str = "email"
    endpoint: str = "security@example.com"
    confirmed: bool = True  # False: snapshot-only (moto confirms every subscription)


@dataclass(frozen=True)
class MonitorSpec:
    """One CIS control's metric filter and alarm; every field left ``None`` follows the catalog's remediation
    (filter pattern of ``cis_version``, metric and alarm named ``CIS-4.n-...``, namespace CISBenchmark,
    value 1, Sum over 300 s >= 1 for 1 period, action: the account's topic)."""

    control: str = "4.6"
    cis_version: str = "7.0.0"
    # metric filter
    filter: bool = True  # False: no metric filter
    pattern: str | None = None
    filter_name: str | None = None
    metric_name: str | None = None
    metric_namespace: str = CIS_NAMESPACE
    metric_value: str = "1"
    default_value: float | None = None
    filter_dimensions: tuple[tuple[str, str], ...] = ()
    # alarm
    alarm: bool = True  # False: no alarm
    alarm_name: str | None = None
    alarm_metric_name: str | None = None  # None: the filter's metric name
    alarm_namespace: str | None = None  # None: the filter's namespace
    alarm_dimensions: tuple[tuple[str, str], ...] = ()
    actions_enabled: bool = True
    sns_action: bool = True  # False: AlarmActions holds no SNS topic
    other_actions: tuple[str, ...] = ()  # more AlarmActions (ARNs of other kinds)
    statistic: str = "Sum"
    period: int = 300
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    threshold: float = 1.0
    comparison_operator: str = "GreaterThanOrEqualToThreshold"
    treat_missing_data: str | None = None
    metric_math: bool = False  # the alarm watches the metric through a metric math expression (m1 * 1)
    composite: bool = False  # snapshot-only: the SNS action sits on a composite alarm over this alarm

    @property
    def catalog(self) -> Any:
        return cis_control(self.control, self.cis_version)

    @property
    def resolved_filter_name(self) -> str:
        return self.filter_name or self.catalog.name

    @property
    def resolved_metric_name(self) -> str:
        return self.metric_name or self.catalog.name

    @property
    def resolved_pattern(self) -> str:
        return self.pattern if self.pattern is not None else self.catalog.pattern

    @property
    def resolved_alarm_name(self) -> str:
        return self.alarm_name or self.catalog.name


@dataclass(frozen=True)
class AccountSpec:
    """A whole account, compliant by default for the controls in ``monitors``.

    Regions: the trail lives in ``home_region``; its log group in ``log_group_region`` (default: the home
    region) and account ``log_group_account`` (default: the account itself); the filters and alarms are put
    in ``monitoring_region`` (default: the log group's region — anything else is the "same name, wrong
    region" mistake); the topic in ``topic_region`` (default: the monitoring region).
    """

    # trail
    trail: bool = True
    trail_name: str = "management-events"
    home_region: str = "us-east-1"
    multi_region: bool = True
    logging: bool = True
    selectors: SelectorKind = "basic-all"
    organization_trail: bool = False
    trail_account: str | None = None  # snapshot-only: the trail belongs to this (management) account
    cloudwatch_logs: bool = True  # False: the trail has no CloudWatchLogsLogGroupArn
    log_group_name: str = "CloudTrail/DefaultLogGroup"
    log_group_region: str | None = None
    log_group_account: str | None = None
    create_log_group: bool = True  # False: the trail names a log group that does not exist
    # monitoring
    monitoring_region: str | None = None
    monitors: tuple[MonitorSpec, ...] = (MonitorSpec(),)
    # topic
    topic: bool = True  # False: the alarms name a topic that does not exist
    topic_name: str = "cis-alarms"
    topic_region: str | None = None
    topic_account: str | None = None  # default: the monitoring account
    topic_policy: str | None = None  # JSON text; None: SNS's default policy
    topic_kms_key: str | None = None
    subscriptions: tuple[SubscriptionSpec, ...] = (SubscriptionSpec(),)
    # snapshot-only
    denied: tuple[str, ...] = ()  # IAM actions answering AccessDenied ("logs:DescribeMetricFilters")

    @property
    def resolved_log_group_region(self) -> str:
        return self.log_group_region or self.home_region

    @property
    def resolved_monitoring_region(self) -> str:
        return self.monitoring_region or self.resolved_log_group_region

    @property
    def resolved_topic_region(self) -> str:
        return self.topic_region or self.resolved_monitoring_region

    def with_monitor(self, index: int = 0, **changes: Any) -> AccountSpec:
        """This spec with ``changes`` applied to ``monitors[index]``."""
        monitors = list(self.monitors)
        monitors[index] = replace(monitors[index], **changes)
        return replace(self, monitors=tuple(monitors))

    @classmethod
    def for_controls(cls, *controls: str, cis_version: str = "7.0.0", **changes: Any) -> AccountSpec:
        """A compliant account monitoring ``controls`` (all 15 of ``cis_version`` when none given)."""
        from trailguard.catalog import cis_controls

        ids = controls or tuple(control.id for control in cis_controls(cis_version))
        return cls(monitors=tuple(MonitorSpec(control=c, cis_version=cis_version) for c in ids), **changes)


@dataclass(frozen=True)
class BuiltAccount:
    """What :func:`build_account` made, with the identifiers tests join on."""

    account_id: str
    role_arn: str
    endpoint: str
    spec: AccountSpec
    trail_arn: str | None
    log_group_arn: str | None  # canonical, without ":*"
    topic_arn: str
    filter_names: tuple[str, ...]
    alarm_names: tuple[str, ...]

    def options(self, region: str | None = None, **changes: Any) -> AwsOptions:
        """Options that read this account through the moto endpoint (base credentials from the environment)."""
        return AwsOptions(
            region=region or self.spec.home_region,
            endpoint_url=self.endpoint,
            assume_roles=(self.role_arn,),
            **changes,
        )


# --- moto ---------------------------------------------------------------------------------------------


@dataclass
class MotoAccount:
    """An isolated moto account and boto3 clients acting in it (primitives for builders and benches)."""

    endpoint: str
    account_id: str
    role_arn: str
    _credentials: dict[str, Any]
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def create(cls, endpoint: str, account_id: str | None = None) -> MotoAccount:
        account_id = account_id or random_account_id()
        role_arn = f"arn:aws:iam::{account_id}:role/trailguard-test"
        make: Any = _SHARED_SESSION.client
        base = make(
            "sts",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        credentials = base.assume_role(RoleArn=role_arn, RoleSessionName="builder")["Credentials"]
        return cls(endpoint, account_id, role_arn, dict(credentials))

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            # One boto3 session for every account: it parses each service model once for all of them.
            make: Any = _SHARED_SESSION.client
            self._clients[key] = make(
                service,
                region_name=region,
                endpoint_url=self.endpoint,
                aws_access_key_id=self._credentials["AccessKeyId"],
                aws_secret_access_key=self._credentials["SecretAccessKey"],
                aws_session_token=self._credentials["SessionToken"],
                config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 2}),
            )
        return self._clients[key]

    # primitives

    def create_trail(
        self,
        name: str,
        region: str,
        *,
        multi_region: bool = True,
        logging: bool = True,
        selectors: SelectorKind = "basic-all",
        log_group_arn: str | None = None,
        organization: bool = False,
    ) -> str:
        bucket = f"trail-{uuid.uuid4().hex[:20]}"
        s3 = self.client("s3", region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        parameters: dict[str, Any] = {
            "Name": name,
            "S3BucketName": bucket,
            "IsMultiRegionTrail": multi_region,
            "IsOrganizationTrail": organization,
        }
        if log_group_arn:
            parameters["CloudWatchLogsLogGroupArn"] = log_group_arn
            parameters["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{self.account_id}:role/CloudTrail_CloudWatchLogs"
        cloudtrail = self.client("cloudtrail", region)
        arn = str(cloudtrail.create_trail(**parameters)["TrailARN"])
        if selectors == "default":
            raise MotoCannotBuild(
                "selectors='default': moto gives a new trail no event selectors, where AWS gives it the "
                "all-management-events default; use build_snapshot"
            )
        cloudtrail.put_event_selectors(TrailName=name, **event_selectors_request(selectors))
        if logging:
            cloudtrail.start_logging(Name=name)
        return arn

    def create_log_group(self, name: str, region: str) -> str:
        self.client("logs", region).create_log_group(logGroupName=name)
        return f"arn:aws:logs:{region}:{self.account_id}:log-group:{name}"

    def put_metric_filter(self, log_group: str, region: str, request: Mapping[str, Any]) -> None:
        self.client("logs", region).put_metric_filter(logGroupName=log_group, **request)

    def put_metric_alarm(self, region: str, request: Mapping[str, Any]) -> None:
        self.client("cloudwatch", region).put_metric_alarm(**request)

    def create_topic(self, name: str, region: str, *, policy: str | None = None, kms_key: str | None = None) -> str:
        attributes: dict[str, str] = {}
        if kms_key:
            attributes["KmsMasterKeyId"] = kms_key
        sns = self.client("sns", region)
        arn = str(sns.create_topic(Name=name, Attributes=attributes)["TopicArn"])
        if policy is not None:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
        return arn

    def subscribe(self, topic_arn: str, protocol: str, endpoint: str) -> str:
        region = topic_arn.split(":")[3]
        return str(
            self.client("sns", region).subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint)[
                "SubscriptionArn"
            ]
        )


def build_account(endpoint: str, spec: AccountSpec | None = None) -> BuiltAccount:
    """Create ``spec`` (default: compliant for CIS 4.6) in a fresh moto account behind ``endpoint``."""
    spec = spec or AccountSpec()
    _refuse_snapshot_only(spec)
    account = MotoAccount.create(endpoint)
    accounts = {account.account_id: account}

    def in_account(account_id: str | None) -> MotoAccount:
        key = account_id or account.account_id
        if key not in accounts:
            accounts[key] = MotoAccount.create(endpoint, key)
        return accounts[key]

    log_account = in_account(spec.log_group_account)
    topic_account = in_account(spec.topic_account or spec.log_group_account)
    lg_region = spec.resolved_log_group_region
    monitoring_region = spec.resolved_monitoring_region
    log_group_arn = f"arn:aws:logs:{lg_region}:{log_account.account_id}:log-group:{spec.log_group_name}"
    if spec.create_log_group:
        log_account.create_log_group(spec.log_group_name, lg_region)
    if monitoring_region != lg_region:
        # The classic mistake: monitoring on a same-named log group in another region.
        log_account.create_log_group(spec.log_group_name, monitoring_region)
    trail_arn = None
    if spec.trail:
        trail_arn = account.create_trail(
            spec.trail_name,
            spec.home_region,
            multi_region=spec.multi_region,
            logging=spec.logging,
            selectors=spec.selectors,
            log_group_arn=log_group_arn + ":*" if spec.cloudwatch_logs else None,
            organization=spec.organization_trail,
        )
    topic_region = spec.resolved_topic_region
    topic_arn = f"arn:aws:sns:{topic_region}:{topic_account.account_id}:{spec.topic_name}"
    if spec.topic:
        topic_arn = topic_account.create_topic(
            spec.topic_name, topic_region, policy=spec.topic_policy, kms_key=spec.topic_kms_key
        )
        for subscription in spec.subscriptions:
            topic_account.subscribe(topic_arn, subscription.protocol, subscription.endpoint)
    # AWS refuses a metric filter on a log group that does not exist (moto would accept it).
    filters_possible = spec.create_log_group or monitoring_region != lg_region
    for monitor in spec.monitors:
        if monitor.filter and filters_possible:
            log_account.put_metric_filter(spec.log_group_name, monitoring_region, metric_filter_request(monitor))
        if monitor.alarm:
            log_account.put_metric_alarm(monitoring_region, metric_alarm_request(monitor, topic_arn))
    return BuiltAccount(
        account_id=account.account_id,
        role_arn=account.role_arn,
        endpoint=endpoint,
        spec=spec,
        trail_arn=trail_arn,
        log_group_arn=log_group_arn if spec.cloudwatch_logs else None,
        topic_arn=topic_arn,
        filter_names=tuple(m.resolved_filter_name for m in spec.monitors if m.filter),
        alarm_names=tuple(m.resolved_alarm_name for m in spec.monitors if m.alarm),
    )


def _refuse_snapshot_only(spec: AccountSpec) -> None:
    reasons = []
    if spec.selectors == "default":
        reasons.append("selectors='default' (moto gives a new trail no selectors at all)")
    if spec.trail_account:
        reasons.append("trail_account (moto lists no other account's organization trail)")
    if any(not s.confirmed for s in spec.subscriptions):
        reasons.append("a pending subscription (moto confirms every subscription)")
    if any(m.composite for m in spec.monitors):
        reasons.append("composite=True (moto does not implement PutCompositeAlarm)")
    if spec.denied:
        reasons.append("denied (moto does not enforce IAM here; put a RefusingEndpoint in front of moto)")
    if reasons:
        raise MotoCannotBuild("moto cannot build: " + "; ".join(reasons) + "; use build_snapshot")


# --- requests and response shapes -----------------------------------------------------------------


def event_selectors_request(kind: SelectorKind) -> dict[str, Any]:
    """PutEventSelectors parameters for one selector kind ("Logging management events" and "Logging data
    events", AWS CloudTrail User Guide)."""
    s3_objects = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    management = {"Field": "eventCategory", "Equals": ["Management"]}
    basic: dict[str, dict[str, Any]] = {
        "basic-all": {"ReadWriteType": "All", "IncludeManagementEvents": True},
        "basic-write-only": {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True},
        "basic-read-only": {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True},
        "basic-data-only": {"ReadWriteType": "All", "IncludeManagementEvents": False, "DataResources": s3_objects},
        "basic-exclude-kms": {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "ExcludeManagementEventSources": ["kms.amazonaws.com"],
        },
    }
    advanced: dict[str, list[dict[str, Any]]] = {
        "advanced-all": [management],
        "advanced-write-only": [management, {"Field": "readOnly", "Equals": ["false"]}],
        "advanced-data-only": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        ],
        "advanced-exclude-kms": [management, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}],
    }
    if kind in basic:
        return {"EventSelectors": [basic[kind]]}
    if kind in advanced:
        return {"AdvancedEventSelectors": [{"Name": f"trailguard test {kind}", "FieldSelectors": advanced[kind]}]}
    raise ValueError(f"no request for selector kind {kind!r}")


def metric_filter_request(monitor: MonitorSpec) -> dict[str, Any]:
    """PutMetricFilter parameters (without logGroupName)."""
    transformation: dict[str, Any] = {
        "metricName": monitor.resolved_metric_name,
        "metricNamespace": monitor.metric_namespace,
        "metricValue": monitor.metric_value,
    }
    if monitor.default_value is not None:
        transformation["defaultValue"] = monitor.default_value
    if monitor.filter_dimensions:
        transformation["dimensions"] = dict(monitor.filter_dimensions)
    return {
        "filterName": monitor.resolved_filter_name,
        "filterPattern": monitor.resolved_pattern,
        "metricTransformations": [transformation],
    }


def metric_alarm_request(monitor: MonitorSpec, topic_arn: str) -> dict[str, Any]:
    """PutMetricAlarm parameters."""
    actions = [topic_arn] if monitor.sns_action else []
    actions += list(monitor.other_actions)
    metric_name = monitor.alarm_metric_name or monitor.resolved_metric_name
    namespace = monitor.alarm_namespace or monitor.metric_namespace
    dimensions = [{"Name": name, "Value": value} for name, value in monitor.alarm_dimensions]
    request: dict[str, Any] = {
        "AlarmName": monitor.resolved_alarm_name,
        "AlarmDescription": f"{monitor.catalog.benchmark}: {monitor.catalog.title}",
        "ActionsEnabled": monitor.actions_enabled,
        "AlarmActions": actions,
        "EvaluationPeriods": monitor.evaluation_periods,
        "Threshold": monitor.threshold,
        "ComparisonOperator": monitor.comparison_operator,
    }
    if monitor.metric_math:
        request["Metrics"] = [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": metric_name, "Dimensions": dimensions},
                    "Period": monitor.period,
                    "Stat": monitor.statistic,
                },
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 * 1", "Label": "events", "ReturnData": True},
        ]
    else:
        request.update(
            MetricName=metric_name,
            Namespace=namespace,
            Statistic=monitor.statistic,
            Period=monitor.period,
            Dimensions=dimensions,
        )
    if monitor.datapoints_to_alarm is not None:
        request["DatapointsToAlarm"] = monitor.datapoints_to_alarm
    if monitor.treat_missing_data is not None:
        request["TreatMissingData"] = monitor.treat_missing_data
    return request


def describe_trails_entry(
    arn: str, *, multi_region: bool, organization: bool = False, log_group_arn: str | None = None
) -> dict[str, Any]:
    """A DescribeTrails ``trailList`` entry as AWS returns it ("DescribeTrails", CloudTrail API Reference)."""
    parts = arn.split(":")
    region, account, name = parts[3], parts[4], arn.rsplit("/", 1)[-1]
    entry: dict[str, Any] = {
        "Name": name,
        "S3BucketName": f"aws-cloudtrail-logs-{account}-{name}",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": multi_region,
        "HomeRegion": region,
        "TrailARN": arn,
        "LogFileValidationEnabled": True,
        "HasCustomEventSelectors": True,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": organization,
    }
    if log_group_arn:
        entry["CloudWatchLogsLogGroupArn"] = log_group_arn
        entry["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{account}:role/CloudTrail_CloudWatchLogs"
    return entry


def trail_status(logging: bool) -> dict[str, Any]:
    """A GetTrailStatus response."""
    status: dict[str, Any] = {
        "IsLogging": logging,
        "LatestDeliveryTime": FIXED_TIME,
        "StartLoggingTime": "2026-01-01T00:00:00Z",
        "LatestCloudWatchLogsDeliveryTime": FIXED_TIME,
        "LatestDeliveryAttemptTime": FIXED_TIME,
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": FIXED_TIME,
        "TimeLoggingStarted": "2026-01-01T00:00:00Z",
        "TimeLoggingStopped": "",
    }
    if not logging:
        status["StopLoggingTime"] = "2026-01-10T00:00:00Z"
        status["TimeLoggingStopped"] = "2026-01-10T00:00:00Z"
    return status


def event_selectors_response(trail_arn: str, kind: SelectorKind) -> dict[str, Any]:
    """A GetEventSelectors response: AWS fills in the optional basic-selector fields, and a trail never
    given selectors ("default") has the all-management-events one."""
    if kind == "default":
        kind = "basic-all"
    request = event_selectors_request(kind)
    if "EventSelectors" in request:
        selectors = [
            {"DataResources": [], "ExcludeManagementEventSources": [], **selector}
            for selector in request["EventSelectors"]
        ]
        return {"TrailARN": trail_arn, "EventSelectors": selectors}
    return {"TrailARN": trail_arn, "AdvancedEventSelectors": request["AdvancedEventSelectors"]}


def describe_log_groups_entry(ref: LogGroupRef) -> dict[str, Any]:
    return {
        "logGroupName": ref.name,
        "creationTime": FIXED_EPOCH_MS,
        "metricFilterCount": 0,
        "arn": ref.arn + ":*",
        "storedBytes": 0,
        "logGroupClass": "STANDARD",
        "logGroupArn": ref.arn,
    }


def metric_filter_entry(log_group: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeMetricFilters ``metricFilters`` entry for a PutMetricFilter request."""
    return {
        "filterName": request["filterName"],
        "filterPattern": request["filterPattern"],
        "metricTransformations": [dict(t) for t in request["metricTransformations"]],
        "creationTime": FIXED_EPOCH_MS,
        "logGroupName": log_group,
        "applyOnTransformedLogs": False,
    }


def metric_alarm_entry(region: str, account_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeAlarms ``MetricAlarms`` entry for a PutMetricAlarm request (a new alarm, not yet evaluated)."""
    entry: dict[str, Any] = {
        "AlarmName": request["AlarmName"],
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{request['AlarmName']}",
        "AlarmDescription": request.get("AlarmDescription", ""),
        "AlarmConfigurationUpdatedTimestamp": FIXED_TIME,
        "ActionsEnabled": request.get("ActionsEnabled", True),
        "OKActions": list(request.get("OKActions", [])),
        "AlarmActions": list(request.get("AlarmActions", [])),
        "InsufficientDataActions": list(request.get("InsufficientDataActions", [])),
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": "Unchecked: Initial alarm creation",
        "StateUpdatedTimestamp": FIXED_TIME,
        "Dimensions": list(request.get("Dimensions", [])),
        "EvaluationPeriods": request["EvaluationPeriods"],
        "Threshold": float(request["Threshold"]),
        "ComparisonOperator": request["ComparisonOperator"],
        "StateTransitionedTimestamp": FIXED_TIME,
    }
    for key in ("MetricName", "Namespace", "Statistic", "Period", "DatapointsToAlarm", "TreatMissingData", "Metrics"):
        if key in request:
            entry[key] = request[key]
    return entry


def composite_alarm_entry(
    region: str, account_id: str, name: str, rule: str, actions: Sequence[str], actions_enabled: bool = True
) -> dict[str, Any]:
    """A DescribeAlarms ``CompositeAlarms`` entry."""
    return {
        "ActionsEnabled": actions_enabled,
        "AlarmActions": list(actions),
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}",
        "AlarmConfigurationUpdatedTimestamp": FIXED_TIME,
        "AlarmName": name,
        "AlarmRule": rule,
        "InsufficientDataActions": [],
        "OKActions": [],
        "StateReason": "Unchecked: Initial alarm creation",
        "StateUpdatedTimestamp": FIXED_TIME,
        "StateValue": "INSUFFICIENT_DATA",
        "StateTransitionedTimestamp": FIXED_TIME,
    }


def default_topic_policy(topic_arn: str, account_id: str) -> str:
    """The access policy SNS gives a new topic (the account's principals, by source owner)."""
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
                }
            ],
        },
        separators=(",", ":"),
    )


def topic_attributes(
    topic_arn: str,
    account_id: str,
    subscriptions: Sequence[SubscriptionSpec],
    *,
    policy: str | None = None,
    kms_key: str | None = None,
) -> dict[str, Any]:
    """GetTopicAttributes ``Attributes`` as AWS returns them (every value a string, counts real)."""
    attributes: dict[str, Any] = {
        "Policy": policy if policy is not None else default_topic_policy(topic_arn, account_id),
        "Owner": account_id,
        "SubscriptionsPending": str(sum(not s.confirmed for s in subscriptions)),
        "TopicArn": topic_arn,
        "EffectiveDeliveryPolicy": json.dumps(
            {
                "http": {
                    "defaultHealthyRetryPolicy": {
                        "minDelayTarget": 20,
                        "maxDelayTarget": 20,
                        "numRetries": 3,
                        "numMaxDelayRetries": 0,
                        "numNoDelayRetries": 0,
                        "numMinDelayRetries": 0,
                        "backoffFunction": "linear",
                    },
                    "disableSubscriptionOverrides": False,
                    "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
                }
            },
            separators=(",", ":"),
        ),
        "SubscriptionsConfirmed": str(sum(s.confirmed for s in subscriptions)),
        "DisplayName": "",
        "SubscriptionsDeleted": "0",
    }
    if kms_key:
        attributes["KmsMasterKeyId"] = kms_key
    return attributes


def subscription_entry(topic_arn: str, account_id: str, spec: SubscriptionSpec, number: int) -> dict[str, Any]:
    """A ListSubscriptionsByTopic entry: a pending subscription's ARN is the text ``PendingConfirmation``."""
    arn = f"{topic_arn}:{uuid.UUID(int=number + 1)}" if spec.confirmed else "PendingConfirmation"
    return {
        "SubscriptionArn": arn,
        "Owner": account_id,
        "Protocol": spec.protocol,
        "Endpoint": spec.endpoint,
        "TopicArn": topic_arn,
    }


# --- snapshots ---------------------------------------------------------------------------------------


def build_snapshot(
    spec: AccountSpec | None = None,
    *,
    account_id: str = "123456789012",
    regions: Iterable[str] | None = None,
    followed_accounts: Iterable[str] = (),
) -> Snapshot:
    """The snapshot the inventory would read from ``spec`` on AWS, auditing ``regions`` (default: the home
    region) with credentials for ``account_id`` and ``followed_accounts``."""
    spec = spec or AccountSpec()
    audited = tuple(sorted(set(regions or (spec.home_region,))))
    readable = {account_id, *followed_accounts}
    denied = set(spec.denied)

    def refused(action: str, region: str, owner: str | None, resource: str) -> CallError | None:
        if action not in denied:
            return None
        service, operation = action.split(":", 1)
        code = {"sns": "AuthorizationError", "cloudtrail": "AccessDeniedException"}.get(service, "AccessDenied")
        if service == "logs":
            code = "AccessDeniedException"
        message = (
            f"User: arn:aws:sts::{account_id}:assumed-role/audit/trailguard is not authorized to perform: "
            f"{action} on resource: {resource or '*'} because no identity-based policy allows the {action} action"
        )
        return CallError(service, operation, region, owner, resource, code, message)

    trail_owner = spec.trail_account or account_id
    lg_owner = spec.log_group_account or (spec.trail_account or account_id)
    lg_region = spec.resolved_log_group_region
    ref = LogGroupRef("aws", lg_region, lg_owner, spec.log_group_name)
    trail_arn = f"arn:aws:cloudtrail:{spec.home_region}:{trail_owner}:trail/{spec.trail_name}"

    listings: list[RegionListing] = []
    listed_in: list[str] = []
    for region in audited:
        failure = refused("cloudtrail:DescribeTrails", region, account_id, "")
        if failure:
            listings.append(RegionListing(region, (), (failure,)))
            continue
        visible = spec.trail and (spec.multi_region or spec.organization_trail or region == spec.home_region)
        listings.append(RegionListing(region, (trail_arn,) if visible else ()))
        if visible:
            listed_in.append(region)

    trails: list[TrailRecord] = []
    log_groups: list[LogGroupRecord] = []
    if listed_in:
        errors: list[CallError] = []
        status: dict[str, Any] | None = trail_status(spec.logging)
        selectors: dict[str, Any] | None = event_selectors_response(trail_arn, spec.selectors)
        for action in ("cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"):
            failure = refused(action, spec.home_region, trail_owner, trail_arn)
            if failure:
                errors.append(failure)
                if action.endswith("Status"):
                    status = None
                else:
                    selectors = None
        description = describe_trails_entry(
            trail_arn,
            multi_region=spec.multi_region,
            organization=spec.organization_trail,
            log_group_arn=ref.arn + ":*" if spec.cloudwatch_logs else None,
        )
        read_as = account_id if status is not None or selectors is not None else None
        trails.append(
            TrailRecord(
                trail_arn, spec.home_region, tuple(listed_in), description, status, selectors, read_as, tuple(errors)
            )
        )
        if spec.cloudwatch_logs:
            log_groups.append(_log_group_record(spec, ref, account_id, readable, refused))

    alarm_regions = [_alarm_record(spec, group, account_id, readable, refused) for group in log_groups]
    topics: list[TopicRecord] = []
    published = {
        (t["metricNamespace"], t["metricName"])
        for group in log_groups
        for f in group.metric_filters or ()
        for t in f["metricTransformations"]
    }
    for alarms in alarm_regions:
        for arn in sorted(relevant_topic_arns(alarms.metric_alarms or (), alarms.composite_alarms or (), published)):
            topics.append(_topic_record(spec, arn, account_id, readable, refused))
    return Snapshot(
        account_id=account_id,
        caller_arn=f"arn:aws:sts::{account_id}:assumed-role/audit/trailguard",
        partition="aws",
        generated=FIXED_TIME,
        regions=audited,
        region_source="requested",
        followed_accounts=tuple(sorted(set(followed_accounts) - {account_id})),
        listings=tuple(listings),
        trails=tuple(trails),
        log_groups=tuple(log_groups),
        alarm_regions=tuple(alarm_regions),
        topics=tuple(topics),
    )


def _not_attempted(action: str, region: str, owner: str, resource: str, audited: str) -> CallError:
    service, operation = action.split(":", 1)
    return CallError(
        service,
        operation,
        region,
        owner,
        resource,
        "NotAttempted",
        f"belongs to account {owner}, not the audited account {audited}, and no credentials for {owner} were given",
    )


def _log_group_record(
    spec: AccountSpec, ref: LogGroupRef, audited: str, readable: set[str], refused: Any
) -> LogGroupRecord:
    if ref.account_id not in readable:
        return LogGroupRecord(
            ref,
            None,
            None,
            None,
            None,
            tuple(
                _not_attempted(a, ref.region, ref.account_id, ref.arn, audited)
                for a in ("logs:DescribeLogGroups", "logs:DescribeMetricFilters")
            ),
        )
    errors: list[CallError] = []
    exists: bool | None = spec.create_log_group
    description = describe_log_groups_entry(ref) if spec.create_log_group else None
    failure = refused("logs:DescribeLogGroups", ref.region, ref.account_id, ref.arn)
    if failure:
        errors.append(failure)
        exists, description = None, None
    filters: tuple[dict[str, Any], ...] | None = ()
    if not spec.create_log_group:
        filters = None
        errors.append(
            CallError(
                "logs",
                "DescribeMetricFilters",
                ref.region,
                ref.account_id,
                ref.arn,
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            )
        )
    elif spec.resolved_monitoring_region == ref.region:
        filters = tuple(
            metric_filter_entry(ref.name, metric_filter_request(monitor)) for monitor in spec.monitors if monitor.filter
        )
    failure = refused("logs:DescribeMetricFilters", ref.region, ref.account_id, ref.arn)
    if failure:
        errors.append(failure)
        filters = None
    return LogGroupRecord(ref, exists, description, filters, ref.account_id, tuple(errors))


def _alarm_record(
    spec: AccountSpec, group: LogGroupRecord, audited: str, readable: set[str], refused: Any
) -> AlarmRegionRecord:
    if group.account_id not in readable:
        error = _not_attempted("cloudwatch:DescribeAlarms", group.region, group.account_id, "", audited)
        return AlarmRegionRecord(group.account_id, group.region, None, None, None, (error,))
    failure = refused("cloudwatch:DescribeAlarms", group.region, group.account_id, "")
    if failure:
        return AlarmRegionRecord(group.account_id, group.region, None, None, group.account_id, (failure,))
    metric: list[dict[str, Any]] = []
    composite: list[dict[str, Any]] = []
    if spec.resolved_monitoring_region == group.region:
        topic_arn = _topic_arn(spec, group.account_id)
        for monitor in spec.monitors:
            if not monitor.alarm:
                continue
            request = metric_alarm_request(monitor, topic_arn)
            if monitor.composite:
                composite_actions = request["AlarmActions"]
                request = {**request, "AlarmActions": []}
                composite.append(
                    composite_alarm_entry(
                        group.region,
                        group.account_id,
                        f"{monitor.resolved_alarm_name}-composite",
                        f'ALARM("{monitor.resolved_alarm_name}")',
                        composite_actions,
                        monitor.actions_enabled,
                    )
                )
            metric.append(metric_alarm_entry(group.region, group.account_id, request))
    return AlarmRegionRecord(group.account_id, group.region, tuple(metric), tuple(composite), group.account_id)


def _topic_arn(spec: AccountSpec, monitoring_account: str) -> str:
    return f"arn:aws:sns:{spec.resolved_topic_region}:{spec.topic_account or monitoring_account}:{spec.topic_name}"


def _topic_record(spec: AccountSpec, arn: str, audited: str, readable: set[str], refused: Any) -> TopicRecord:
    parts = arn.split(":")
    region, owner, name = parts[3], parts[4], parts[5]
    read_as = owner if owner in readable else audited
    errors: list[CallError] = []
    attributes: dict[str, Any] | None = None
    subscriptions: tuple[dict[str, Any], ...] | None = None
    if spec.topic:
        attributes = topic_attributes(
            arn, owner, spec.subscriptions, policy=spec.topic_policy, kms_key=spec.topic_kms_key
        )
        subscriptions = tuple(subscription_entry(arn, owner, s, n) for n, s in enumerate(spec.subscriptions))
    else:
        errors = [
            CallError("sns", op, region, owner, arn, "NotFound", "Topic does not exist")
            for op in ("GetTopicAttributes", "ListSubscriptionsByTopic")
        ]
    for action in ("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"):
        failure = refused(action, region, owner, arn)
        if failure:
            errors.append(failure)
            if action.endswith("Attributes"):
                attributes = None
            else:
                subscriptions = None
    return TopicRecord(arn, owner, region, name, attributes, subscriptions, read_as, tuple(errors))
