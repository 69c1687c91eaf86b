"""The 15 CIS AWS Foundations Benchmark monitoring controls (metric filter + alarm + SNS), every version.

Numbering differs by version: v1.2.0 §3.1–3.14, v1.3.0–v5.0.0 §4.1–4.15, v6.0.0–v7.0.0 §5.1–5.15. trailguard
names each control by its **canonical id**, the v1.3–v5.0 number ``4.N``, whatever the version; a version's
own number (its **native id**) is accepted too. :func:`resolve_controls` documents the rules.

Patterns are the published CIS remediation text with its double quotes kept (the CIS AWS Foundations Benchmark PDFs,
each version's "Remediation" section; quote-less transcriptions found in some tools are transcription loss, not the
benchmark). docs/semantics.md ("CIS catalog") lists each control's pattern by version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from trailguard.model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LOG_GROUP_NAME,
    DEFAULT_REGION,
    Alarm,
    Configuration,
    MetricFilter,
    Monitor,
    Subscription,
    Topic,
)
from trailguard.model.common import is_sns_topic_arn, parse_arn, sns_topic_arn, topic_name_problem

__all__ = [
    "CIS_NAMESPACE",
    "CIS_VERSIONS",
    "DEFAULT_CIS_TOPIC_NAME",
    "DEFAULT_CIS_VERSION",
    "CatalogError",
    "CisControl",
    "PatternVariant",
    "cis_configuration",
    "cis_control",
    "cis_controls",
    "normalize_version",
    "resolve",
    "resolve_controls",
]

#: Every published benchmark version whose monitoring section trailguard knows.
CIS_VERSIONS: tuple[str, ...] = (
    "1.2.0",
    "1.3.0",
    "1.4.0",
    "1.5.0",
    "2.0.0",
    "3.0.0",
    "4.0.0",
    "4.0.1",
    "5.0.0",
    "6.0.0",
    "7.0.0",
)

#: The newest benchmark. Its 15 patterns are identical to v5.0.0's, and canonical ids (4.N) work under
#: every version, so ``--cis 4.6`` means the same control whichever default is chosen; the newest text
#: (titles, levels) is what users auditing today are measured against.
DEFAULT_CIS_VERSION = "7.0.0"

CIS_NAMESPACE = "CISBenchmark"
DEFAULT_CIS_TOPIC_NAME = "cis-alarms"

VariantKind = Literal["alternative", "audit-variant"]
_T = TypeVar("_T")


class CatalogError(ValueError):
    """An unknown CIS version or control id; the message lists what exists."""


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def normalize_version(version: str) -> str:
    """``"1.4"``, ``"v1.4.0"``, ``"cis_1.4"`` → ``"1.4.0"``; ``"4.0"`` → ``"4.0.1"`` (the newest patch).

    Raises CatalogError for a version that does not exist.
    """
    text = version.strip().lower()
    text = re.sub(r"^(cis[-_ ]?)?(aws[-_ ]?)?v?", "", text)
    if text in CIS_VERSIONS:
        return text
    if re.fullmatch(r"\d+(\.\d+)?", text):
        prefix = text if "." in text else f"{text}.0"
        matches = [v for v in CIS_VERSIONS if v == prefix or v.startswith(prefix + ".")]
        if matches:
            return matches[-1]
    raise CatalogError(f"unknown CIS version {version!r}; known versions: {', '.join(CIS_VERSIONS)}")


@dataclass(frozen=True)
class PatternVariant:
    """Another text of a control's pattern that the benchmark itself prints.

    ``kind`` is ``"alternative"`` when the benchmark offers it as an equally valid remediation (4.2's
    SSO-safe pattern, v1.4.0+), ``"audit-variant"`` when only the audit text prints it (4.13, v3.0.0+).
    """

    kind: VariantKind
    pattern: str
    note: str


@dataclass(frozen=True)
class _Spec:
    number: int
    slug: str
    short_title: str
    legacy_title: str  # v1.2.0–v1.5.0 wording
    title: str  # v2.0.0+ wording
    patterns: tuple[tuple[str, str], ...]  # (since version, pattern); the newest applicable one wins
    level: int = 1
    level_changes: tuple[tuple[str, int], ...] = ()  # (since version, level)
    variants: tuple[tuple[str, PatternVariant], ...] = ()  # (since version, variant)
    since: str = "1.2.0"


_UNAUTHORIZED_V12 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
_UNAUTHORIZED_V13 = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
_UNAUTHORIZED_V20 = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)
_NO_MFA = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
_NO_MFA_SSO = (
    '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
)
_ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
_IAM = (
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)"
    "||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)"
    "||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)"
    "||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)"
    "||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)"
    "||($.eventName=DetachGroupPolicy)}"
)
_CLOUDTRAIL = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
    "($.eventName = StartLogging) || ($.eventName = StopLogging) }"
)
_CONSOLE_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
_CMK = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
_S3 = (
    "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || "
    "($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
    "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) "
    "|| ($.eventName = DeleteBucketReplication)) }"
)
_CONFIG = (
    "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
    "($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"
)
_SECURITY_GROUPS_BODY = (
    "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
    "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
    "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup)"
)
_SECURITY_GROUPS = _SECURITY_GROUPS_BODY + " }"
_SECURITY_GROUPS_V50 = _SECURITY_GROUPS_BODY + " || ($.eventName = ModifySecurityGroupRules) }"
_NACL = (
    "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) "
    "|| ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || "
    "($.eventName = ReplaceNetworkAclAssociation) }"
)
_GATEWAYS = (
    "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
    "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
    "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"
)
_ROUTES_TERMS = (
    "($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
    "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
    "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }"
)
_ROUTES = "{ " + _ROUTES_TERMS
_ROUTES_AUDIT_V30 = "{($.eventSource = ec2.amazonaws.com) && " + _ROUTES_TERMS
_VPC = (
    "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || "
    "($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || "
    "($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || "
    "($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || "
    "($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"
)
_ORGANIZATIONS = (
    '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || '
    '($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") '
    '|| ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") '
    '|| ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || '
    '($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || '
    '($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || '
    '($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || '
    '($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }'
)

_LEGACY = "Ensure a log metric filter and alarm exist for "

_SPECS: tuple[_Spec, ...] = (
    _Spec(
        1,
        "UnauthorizedAPICalls",
        "Unauthorized API calls",
        _LEGACY + "unauthorized API calls",
        "Ensure unauthorized API calls are monitored",
        (("1.2.0", _UNAUTHORIZED_V12), ("1.3.0", _UNAUTHORIZED_V13), ("2.0.0", _UNAUTHORIZED_V20)),
        level_changes=(("2.0.0", 2),),
    ),
    _Spec(
        2,
        "ConsoleSignInWithoutMFA",
        "Management Console sign-in without MFA",
        _LEGACY + "Management Console sign-in without MFA",
        "Ensure management console sign-in without MFA is monitored",
        (("1.2.0", _NO_MFA),),
        variants=(
            (
                "1.4.0",
                PatternVariant(
                    "alternative",
                    _NO_MFA_SSO,
                    "SSO-safe alternative the benchmark offers from v1.4.0 to reduce false positives when "
                    "Single Sign-On is used",
                ),
            ),
        ),
    ),
    _Spec(
        3,
        "RootAccountUsage",
        "Usage of the root account",
        _LEGACY + "usage of 'root' account",
        "Ensure usage of 'root' account is monitored",
        (("1.2.0", _ROOT),),
    ),
    _Spec(
        4,
        "IAMPolicyChanges",
        "IAM policy changes",
        _LEGACY + "IAM policy changes",
        "Ensure IAM policy changes are monitored",
        (("1.2.0", _IAM),),
    ),
    _Spec(
        5,
        "CloudTrailConfigChanges",
        "CloudTrail configuration changes",
        _LEGACY + "CloudTrail configuration changes",
        "Ensure CloudTrail configuration changes are monitored",
        (("1.2.0", _CLOUDTRAIL),),
    ),
    _Spec(
        6,
        "ConsoleAuthenticationFailures",
        "AWS Management Console authentication failures",
        _LEGACY + "AWS Management Console authentication failures",
        "Ensure AWS Management Console authentication failures are monitored",
        (("1.2.0", _CONSOLE_FAILURES),),
        level=2,
    ),
    _Spec(
        7,
        "DisableOrDeleteCMK",
        "Disabling or scheduled deletion of customer created CMKs",
        _LEGACY + "disabling or scheduled deletion of customer created CMKs",
        "Ensure disabling or scheduled deletion of customer created CMKs is monitored",
        (("1.2.0", _CMK),),
        level=2,
    ),
    _Spec(
        8,
        "S3BucketPolicyChanges",
        "S3 bucket policy changes",
        _LEGACY + "S3 bucket policy changes",
        "Ensure S3 bucket policy changes are monitored",
        (("1.2.0", _S3),),
    ),
    _Spec(
        9,
        "AWSConfigChanges",
        "AWS Config configuration changes",
        _LEGACY + "AWS Config configuration changes",
        "Ensure AWS Config configuration changes are monitored",
        (("1.2.0", _CONFIG),),
        level=2,
    ),
    _Spec(
        10,
        "SecurityGroupChanges",
        "Security group changes",
        _LEGACY + "security group changes",
        "Ensure security group changes are monitored",
        (("1.2.0", _SECURITY_GROUPS), ("5.0.0", _SECURITY_GROUPS_V50)),
        level=2,
    ),
    _Spec(
        11,
        "NACLChanges",
        "Network Access Control List (NACL) changes",
        _LEGACY + "changes to Network Access Control Lists (NACL)",
        "Ensure Network Access Control Lists (NACL) changes are monitored",
        (("1.2.0", _NACL),),
        level=2,
    ),
    _Spec(
        12,
        "NetworkGatewayChanges",
        "Network gateway changes",
        _LEGACY + "changes to network gateways",
        "Ensure changes to network gateways are monitored",
        (("1.2.0", _GATEWAYS),),
    ),
    _Spec(
        13,
        "RouteTableChanges",
        "Route table changes",
        _LEGACY + "route table changes",
        "Ensure route table changes are monitored",
        (("1.2.0", _ROUTES),),
        variants=(
            (
                "3.0.0",
                PatternVariant(
                    "audit-variant",
                    _ROUTES_AUDIT_V30,
                    "the v3.0.0+ audit text prefixes ($.eventSource = ec2.amazonaws.com) &&, which under "
                    "'&&' before '||' precedence constrains only CreateRoute; the remediation text does not",
                ),
            ),
        ),
    ),
    _Spec(
        14,
        "VPCChanges",
        "VPC changes",
        _LEGACY + "VPC changes",
        "Ensure VPC changes are monitored",
        (("1.2.0", _VPC),),
    ),
    _Spec(
        15,
        "OrganizationsChanges",
        "AWS Organizations changes",
        "Ensure a log metric filter and alarm exists for AWS Organizations changes",
        "Ensure AWS Organizations changes are monitored",
        (("1.2.0", _ORGANIZATIONS),),
        since="1.3.0",
    ),
)
_BY_NUMBER = {spec.number: spec for spec in _SPECS}


def _native_prefix(version: str) -> int:
    key = _version_key(version)
    if key < (1, 3, 0):
        return 3
    if key < (6, 0, 0):
        return 4
    return 5


def _applicable(entries: Iterable[tuple[str, _T]], version: str) -> list[_T]:
    key = _version_key(version)
    return [value for since, value in entries if _version_key(since) <= key]


@dataclass(frozen=True)
class CisControl:
    """One monitoring control as one benchmark version prints it.

    ``id`` is the canonical id (``"4.6"``, stable across versions), ``native_id`` the version's own number
    (``"5.6"`` in v7.0.0). ``pattern`` is the prescribed filter pattern of that version; ``variants`` are
    other texts the same version prints (see :class:`PatternVariant`).
    """

    id: str
    number: int
    version: str
    native_id: str
    title: str
    short_title: str
    level: int
    pattern: str
    variants: tuple[PatternVariant, ...]
    name: str  # "CIS-4.6-ConsoleAuthenticationFailures": filter, metric and alarm name

    @property
    def benchmark(self) -> str:
        return f"CIS AWS Foundations Benchmark v{self.version} {self.native_id}"

    @property
    def alternative_patterns(self) -> tuple[str, ...]:
        return tuple(v.pattern for v in self.variants if v.kind == "alternative")

    @property
    def accepted_patterns(self) -> tuple[str, ...]:
        """The prescribed pattern, then every other text the benchmark prints for this control."""
        return (self.pattern, *(v.pattern for v in self.variants))

    def monitor(
        self,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        topic_name: str = DEFAULT_CIS_TOPIC_NAME,
        topic_arn: str | None = None,
        log_group_name: str = DEFAULT_LOG_GROUP_NAME,
        namespace: str = CIS_NAMESPACE,
        alternative: bool = False,
        subscriptions: Sequence[Subscription] = (),
    ) -> Monitor:
        """The CIS remediation as a :class:`Monitor`: filter (metricValue 1, no default), alarm (Sum over
        300 s, >= 1, one evaluation period, TreatMissingData left at AWS's default ``missing``) and topic.

        ``alternative=True`` uses the benchmark's alternative pattern (4.2's SSO-safe form).
        """
        pattern = self.pattern
        if alternative:
            if not self.alternative_patterns:
                raise CatalogError(f"CIS {self.id} has no alternative pattern in v{self.version}")
            pattern = self.alternative_patterns[0]
        arn = _checked_topic_arn(topic_arn) if topic_arn is not None else _topic_arn(region, account_id, topic_name)
        metric_filter = MetricFilter.from_api_dict(
            {
                "logGroupName": log_group_name,
                "filterName": self.name,
                "filterPattern": pattern,
                "metricTransformations": [{"metricName": self.name, "metricNamespace": namespace, "metricValue": "1"}],
            }
        )
        alarm = Alarm.from_api_dict(
            {
                "AlarmName": self.name,
                "AlarmDescription": f"{self.benchmark}: {self.title}",
                "ActionsEnabled": True,
                "AlarmActions": [arn],
                "MetricName": self.name,
                "Namespace": namespace,
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            }
        )
        topic = Topic(arn, tuple(subscriptions))
        return Monitor(metric_filter, alarm, (topic,), control_id=self.id, benchmark=self.benchmark)


def _topic_arn(region: str, account_id: str, topic_name: str) -> str:
    problem = topic_name_problem(topic_name)
    if problem is not None:
        raise CatalogError(f"topic name {topic_name!r} {problem}")
    arn = sns_topic_arn(region, account_id, topic_name)
    parsed = parse_arn(arn)
    if parsed is None or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region):
        raise CatalogError(f"region {region!r} is not an AWS region name such as us-east-1")
    if not re.fullmatch(r"\d{12}", account_id):
        raise CatalogError(f"account id {account_id!r} is not 12 digits")
    return arn


def _checked_topic_arn(topic_arn: str) -> str:
    if not is_sns_topic_arn(topic_arn):
        raise CatalogError(f"{topic_arn!r} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")
    return topic_arn


def _control(spec: _Spec, version: str) -> CisControl:
    patterns = _applicable(spec.patterns, version)
    levels = _applicable(spec.level_changes, version)
    variants = _applicable(spec.variants, version)
    title = spec.legacy_title if _version_key(version) < (2, 0, 0) else spec.title
    return CisControl(
        id=f"4.{spec.number}",
        number=spec.number,
        version=version,
        native_id=f"{_native_prefix(version)}.{spec.number}",
        title=title,
        short_title=spec.short_title,
        level=levels[-1] if levels else spec.level,
        pattern=patterns[-1],
        variants=tuple(variants),
        name=f"CIS-4.{spec.number}-{spec.slug}",
    )


def cis_controls(version: str = DEFAULT_CIS_VERSION) -> list[CisControl]:
    """Every monitoring control of one benchmark version (14 in v1.2.0, 15 from v1.3.0), in order."""
    normalized = normalize_version(version)
    key = _version_key(normalized)
    return [_control(spec, normalized) for spec in _SPECS if _version_key(spec.since) <= key]


def cis_control(control_id: str, version: str = DEFAULT_CIS_VERSION) -> CisControl:
    """One control by canonical or native id; raises CatalogError."""
    controls = resolve_controls(control_id, version)
    if len(controls) != 1:
        raise CatalogError(f"{control_id!r} names {len(controls)} controls; give one id")
    return controls[0]


_ID = re.compile(r"(?:cis[-_ ]?)?(\d+)\.(\d+)\Z", re.IGNORECASE)


def _tokens(ids: str | Iterable[str]) -> list[str]:
    parts = [ids] if isinstance(ids, str) else list(ids)
    return [token for part in parts for token in re.split(r"[,\s]+", part) if token]


def resolve_controls(ids: str | Iterable[str], version: str = DEFAULT_CIS_VERSION) -> list[CisControl]:
    """Controls named by ``ids`` (``"4.6"``, ``"4.1,4.3"``, ``"all"``, or a list of such) under ``version``.

    Resolution rules:

    1. ``all`` selects every control of the version.
    2. A canonical id ``4.N`` (N = 1..15) always names control N, under every version: v1.2.0 has no §4
       monitoring controls, and in v6.0.0+ §4 is Logging, whose controls are not in this catalog, so the
       canonical reading never collides with a monitoring control.
    3. Otherwise the version's native number names control N: ``3.N`` under v1.2.0, ``5.N`` under
       v6.0.0/v7.0.0 (``--cis 5.6 --cis-version 6.0.0`` and ``--cis 3.6 --cis-version 1.2.0`` both give 4.6).
    4. Anything else is an error that lists the valid ids and, where it can, says which version uses the
       number given (``3.6`` is the v1.2.0 numbering; ``5.6`` is the v6.0.0+ numbering; ``4.16``/``5.16``
       is "Security Hub is enabled", not a metric-filter control; ``4.15`` does not exist in v1.2.0).

    Controls come back in the order given, each once. Raises CatalogError.
    """
    normalized = normalize_version(version)
    available = {control.number: control for control in cis_controls(normalized)}
    prefix = _native_prefix(normalized)
    tokens = _tokens(ids)
    if not tokens:
        raise CatalogError("no CIS control ids given; use for example 4.6, 4.1,4.3 or all")
    chosen: dict[int, CisControl] = {}
    problems: list[str] = []
    for token in tokens:
        if token.lower() == "all":
            for number, control in available.items():
                chosen.setdefault(number, control)
            continue
        match = _ID.match(token)
        section, number = (int(match[1]), int(match[2])) if match else (0, 0)
        if match and number in available and section in (4, prefix):
            chosen.setdefault(number, available[number])
            continue
        problems.append(_unknown_id(token, normalized, section, number, available))
    if problems:
        valid = ", ".join(f"4.{n}" for n in available)
        native = "" if prefix == 4 else f" (or the v{normalized} numbers {prefix}.1–{prefix}.{max(available)})"
        raise CatalogError("; ".join(problems) + f". Valid ids for CIS v{normalized}: {valid}{native}, or all")
    return list(chosen.values())


def _unknown_id(token: str, version: str, section: int, number: int, available: dict[int, CisControl]) -> str:
    base = f"unknown CIS control {token!r} for v{version}"
    if number == 16 and section in (4, 5):
        return (
            f"{base}: the 16th monitoring-section control (4.16 in v1.5.0–v5.0.0, 5.16 from v6.0.0) is "
            "'Ensure AWS Security Hub is enabled', which is not a metric-filter control"
        )
    if section == 4 and number == 15 and 15 not in available:
        return f"{base}: 4.15 (AWS Organizations changes) was added in v1.3.0"
    if 1 <= number <= 15:
        if section == 3:
            return (
                f"{base}: 3.{number} is the v1.2.0 numbering (use --cis-version 1.2.0, or the canonical id 4.{number})"
            )
        if section == 5:
            return (
                f"{base}: 5.{number} is the v6.0.0/v7.0.0 numbering "
                f"(use --cis-version 6.0.0 or later, or the canonical id 4.{number})"
            )
    return base


def resolve(
    ids: str | Iterable[str],
    version: str = DEFAULT_CIS_VERSION,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    topic_name: str = DEFAULT_CIS_TOPIC_NAME,
    topic_arn: str | None = None,
    log_group_name: str = DEFAULT_LOG_GROUP_NAME,
    namespace: str = CIS_NAMESPACE,
    subscriptions: Sequence[Subscription] = (),
) -> list[Monitor]:
    """Ready monitors for the controls named by ``ids`` (see :func:`resolve_controls`); raises CatalogError."""
    return [
        control.monitor(
            region=region,
            account_id=account_id,
            topic_name=topic_name,
            topic_arn=topic_arn,
            log_group_name=log_group_name,
            namespace=namespace,
            subscriptions=subscriptions,
        )
        for control in resolve_controls(ids, version)
    ]


def cis_configuration(
    ids: str | Iterable[str] = "all",
    version: str = DEFAULT_CIS_VERSION,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    topic_name: str = DEFAULT_CIS_TOPIC_NAME,
    topic_arn: str | None = None,
    log_group_name: str = DEFAULT_LOG_GROUP_NAME,
    namespace: str = CIS_NAMESPACE,
    subscriptions: Sequence[Subscription] = (),
) -> Configuration:
    """The monitors of :func:`resolve` gathered into one :class:`Configuration` (one shared topic)."""
    monitors = resolve(
        ids,
        version,
        region=region,
        account_id=account_id,
        topic_name=topic_name,
        topic_arn=topic_arn,
        log_group_name=log_group_name,
        namespace=namespace,
        subscriptions=subscriptions,
    )
    return Configuration.from_monitors(monitors, region=region, account_id=account_id)
