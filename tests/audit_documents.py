"""Hand-built audit documents (docs/audit-document.md) for the report tests: a full chain that passes, chains
broken at each of the six links, MANUAL and ERROR controls, two regions, and hostile values where AWS and
CloudTrail put text (names, endpoints, error messages, the witness event)."""

from __future__ import annotations

import copy
from typing import Any

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
HOSTILE = "<script>window.__pwned = 1</script>"
HOSTILE_ATTRIBUTE = '" onmouseover="window.__pwned = 1" x="'
HOSTILE_SCRIPT_END = "</script><script>window.__pwned = 1</script>"
CONSOLE_PATTERN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
LINK_KINDS = ("trail", "logGroup", "metricFilter", "alarm", "topic", "subscription")


def trail(region: str, **changes: Any) -> dict[str, Any]:
    details = {
        "name": "org-trail",
        "homeRegion": "us-east-1",
        "isMultiRegionTrail": True,
        "isOrganizationTrail": False,
        "isLogging": True,
        "managementEvents": "All",
        "selectorKind": "basic",
        "excludedEventSources": [],
        "logGroupArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:CloudTrail/DefaultLogGroup:*",
    }
    return _link("trail", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail", region, details, **changes)


def log_group(region: str, **changes: Any) -> dict[str, Any]:
    details = {"name": "CloudTrail/DefaultLogGroup", "account": ACCOUNT, "region": "us-east-1"}
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:CloudTrail/DefaultLogGroup"
    return _link("logGroup", arn, region, details, **changes)


def metric_filter(region: str, **changes: Any) -> dict[str, Any]:
    details = {
        "logGroupName": "CloudTrail/DefaultLogGroup",
        "pattern": CONSOLE_PATTERN,
        "verdict": "equivalent",
        "method": "symbolic",
        "explanation": "The pattern matches exactly the events of the CIS pattern.",
        "missedExample": None,
        "extraExample": None,
        "metric": {"namespace": "CISBenchmark", "name": "ConsoleAuthFailures", "value": "1", "dimensions": {}},
        "publishesPositive": True,
    }
    return _link("metricFilter", "console-auth-failures", region, details, **changes)


def alarm(region: str, **changes: Any) -> dict[str, Any]:
    details = {
        "name": "console-auth-failures",
        "actionsEnabled": True,
        "statistic": "Sum",
        "period": 300,
        "threshold": 1.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "evaluationPeriods": 1,
        "datapointsToAlarm": None,
        "treatMissingData": "notBreaching",
        "fires": True,
        "firedAfterSeconds": 60,
        "stateReason": "Threshold Crossed: 1 datapoint [1.0 (30/11/26 02:20:00)] was greater than or equal to the "
        "threshold (1.0).",
        "alarmActions": [f"arn:aws:sns:{region}:{ACCOUNT}:security-alerts"],
    }
    arn = f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:console-auth-failures"
    return _link("alarm", arn, region, details, **changes)


def topic(region: str, **changes: Any) -> dict[str, Any]:
    details = {"exists": True, "owner": ACCOUNT, "policyAllowsCloudWatch": None, "kmsMasterKeyId": None}
    return _link("topic", f"arn:aws:sns:{region}:{ACCOUNT}:security-alerts", region, details, **changes)


def subscription(region: str, **changes: Any) -> dict[str, Any]:
    details = {"protocol": "email", "endpoint": "secops@example.com", "confirmed": True}
    arn = f"arn:aws:sns:{region}:{ACCOUNT}:security-alerts:0b1c6e0e-7d65-4c5a-9a57-2b6f4f0d3c11"
    return _link("subscription", arn, region, details, **changes)


def _link(kind: str, link_id: str, region: str, defaults: dict[str, Any], **changes: Any) -> dict[str, Any]:
    link: dict[str, Any] = {"kind": kind, "id": link_id, "region": region, "ok": True, "state": "ok", "problem": None}
    link["details"] = {**defaults, **changes.pop("details", {})}
    link.update(changes)
    if link["ok"] is False and "state" not in changes:
        link["state"] = "broken"
    return link


def full_chain(region: str) -> list[dict[str, Any]]:
    return [trail(region), log_group(region), metric_filter(region), alarm(region), topic(region), subscription(region)]


def control(
    region: str,
    status: str,
    *,
    canonical: str = "4.6",
    native: str = "5.6",
    title: str = "Ensure AWS Management Console authentication failures are monitored",
    reason: str = "A complete chain monitors console authentication failures.",
    broken: str | None = None,
    remedy: str | None = None,
    chain: list[dict[str, Any]] | None = None,
    other_chains: list[list[dict[str, Any]]] | None = None,
    manual: list[str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    return {
        "id": f"cis-{canonical}",
        "canonicalId": canonical,
        "nativeId": native,
        "title": title,
        "level": 2,
        "benchmark": f"CIS AWS Foundations Benchmark v7.0.0 {native}",
        "account": account,
        "region": region,
        "status": status,
        "reason": reason,
        "brokenLink": broken,
        "remedy": remedy,
        "evidence": {
            "referencePattern": CONSOLE_PATTERN,
            "chain": full_chain(region) if chain is None else chain,
            "otherChains": other_chains or [],
            "manual": manual or [],
            "errors": errors or [],
        },
    }


def api_error(region: str, operation: str = "GetEventSelectors", message: str = "not authorized") -> dict[str, Any]:
    return {
        "service": "cloudtrail",
        "operation": operation,
        "region": region,
        "code": "AccessDeniedException",
        "message": f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: cloudtrail:{operation} "
        f"({message})",
        "resource": None,
    }


def failing_at(kind: str, region: str) -> dict[str, Any]:
    """A FAIL control whose best chain breaks at ``kind``: that link present with ``ok: false`` where a link
    exists but is wrong, absent where nothing was found (docs/audit-document.md)."""
    chain = full_chain(region)
    index = LINK_KINDS.index(kind)
    broken_reasons = {
        "trail": ("The only trail has stopped logging.", "Start logging on trail org-trail (StartLogging)."),
        "logGroup": (
            "No trail delivers to a CloudWatch Logs log group in this account.",
            "Configure the trail to send events to a CloudWatch Logs log group.",
        ),
        "metricFilter": (
            "The metric filter misses failed console sign-ins.",
            "Replace the filter pattern with the CIS pattern.",
        ),
        "alarm": ("No alarm reads the filter's metric.", "Create an alarm on CISBenchmark/ConsoleAuthFailures."),
        "topic": ("The alarm's topic does not let CloudWatch publish.", "Allow cloudwatch.amazonaws.com to publish."),
        "subscription": ("The topic has no confirmed subscription.", "Confirm the subscription sent to secops."),
    }
    reason, remedy = broken_reasons[kind]
    if kind == "trail":
        chain = [trail(region, ok=False, problem="isLogging is false", details={"isLogging": False})]
    elif kind == "logGroup":
        chain = [trail(region, details={"logGroupArn": None})]
    elif kind == "metricFilter":
        missed = {
            "eventVersion": "1.08",
            "eventTime": "2026-11-30T02:20:11Z",
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": "us-east-1",
            "errorMessage": "Failed authentication",
            "userIdentity": {"type": "IAMUser", "userName": HOSTILE},
            "additionalEventData": {"note": HOSTILE_SCRIPT_END},
        }
        bad = metric_filter(
            region,
            ok=False,
            problem="the pattern requires errorCode, which failed sign-ins do not carry",
            details={
                "pattern": '{ ($.eventName = ConsoleLogin) && ($.errorCode = "Failed*") }',
                "verdict": "misses",
                "method": "symbolic",
                "explanation": "A failed sign-in has errorMessage, not errorCode.",
                "missedExample": missed,
            },
        )
        chain = [*chain[:2], bad]
    elif kind == "alarm":
        chain = chain[:3]
    elif kind == "topic":
        chain = [
            *chain[:4],
            topic(region, ok=False, problem="the topic policy denies cloudwatch.amazonaws.com", details={}),
        ]
        chain[4]["details"]["policyAllowsCloudWatch"] = False
    else:
        pending = subscription(
            region, ok=False, problem="the subscription is pending confirmation", id="PendingConfirmation"
        )
        pending["details"]["confirmed"] = False
        chain = [*chain[:5], pending]
    assert len(chain) <= index + 1
    return control(region, "FAIL", reason=reason, broken=kind, remedy=remedy, chain=chain)


def audit_document(controls: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    statuses = ("PASS", "FAIL", "MANUAL", "ERROR")
    summary = {status: sum(1 for c in controls if c["status"] == status) for status in statuses}
    return {
        "tool": {"name": "trailguard", "version": "0.2.0"},
        "account": ACCOUNT,
        "generated": "2026-11-30T02:30:00Z",
        "cisVersion": "7.0.0",
        "regions": list(REGIONS),
        "summary": summary,
        "controls": controls,
        "errors": errors or [],
    }


def mixed_audit() -> dict[str, Any]:
    """Every status, every broken link, two regions, and hostile text in the places AWS and CloudTrail fill."""
    us, eu = REGIONS
    controls = [
        control(us, "PASS"),
        failing_at("metricFilter", eu),
        {
            **failing_at("trail", us),
            "canonicalId": "4.3",
            "id": "cis-4.3",
            "nativeId": "5.3",
            "title": "Ensure usage of the 'root' account is monitored",
        },
        {**failing_at("logGroup", eu), "canonicalId": "4.3", "id": "cis-4.3", "nativeId": "5.3", "title": "Root"},
        {**failing_at("alarm", us), "canonicalId": "4.4", "id": "cis-4.4", "nativeId": "5.4", "title": "IAM policy"},
        {**failing_at("topic", eu), "canonicalId": "4.4", "id": "cis-4.4", "nativeId": "5.4", "title": "IAM policy"},
        {**failing_at("subscription", us), "canonicalId": "4.5", "id": "cis-4.5", "nativeId": "5.5", "title": "Trail"},
        control(
            eu,
            "MANUAL",
            canonical="4.5",
            native="5.5",
            title="Trail",
            reason="The trail delivers to a log group in account 999988887777, which trailguard cannot read.",
            manual=["Check the metric filter and alarm on log group CloudTrail/Org in account 999988887777."],
            broken="logGroup",
            chain=[
                trail(eu),
                log_group(
                    eu,
                    ok=False,
                    state="manual",
                    problem="the log group is in account 999988887777, which trailguard cannot read",
                    details={"account": "999988887777"},
                ),
            ],
        ),
        control(
            us,
            "ERROR",
            canonical="4.7",
            native="5.7",
            title="CMK deletion",
            reason="cloudtrail:GetEventSelectors was denied.",
            broken="trail",
            chain=[],
            errors=[api_error(us, message=HOSTILE)],
        ),
        control(
            eu,
            "PASS",
            canonical="4.7",
            native="5.7",
            title="CMK deletion",
            chain=[
                trail(eu),
                log_group(eu),
                metric_filter(eu),
                alarm(eu, details={"name": HOSTILE_ATTRIBUTE}),
                topic(eu),
                subscription(eu, details={"endpoint": f"ops+{HOSTILE}@example.com"}),
            ],
            other_chains=[[trail(eu), log_group(eu), metric_filter(eu, ok=False, problem="pattern misses")]],
        ),
    ]
    return audit_document(controls, errors=[api_error(us)])


def copy_of(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)
