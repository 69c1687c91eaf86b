"""The audit as OCSF "Compliance Finding" events (class_uid 2003, category Findings), one per control finding.

Open Cybersecurity Schema Framework 1.8.0 (https://schema.ocsf.io/1.8.0/classes/compliance_finding), with the
``cloud`` profile, which adds the ``cloud`` object (provider, account, region) every event carries here.

Mappings (one table each, below):

- compliance.status_id from the control status: PASS → 1 Pass, FAIL → 3 Fail, MANUAL → 2 Warning (OCSF: "did not
  yield a result due to missing information", which is what MANUAL means), ERROR → 0 Unknown (the API call that
  would decide it failed, so the outcome is not known); compliance.status_code keeps trailguard's own status.
- severity_id: PASS → 1 Informational; FAIL, MANUAL, ERROR → 2 Low. AWS Security Hub rates its own checks of
  these 15 CIS controls (CloudWatch.1–14) Low ("Security Hub CSPM controls for Amazon CloudWatch"), and a
  finding that could not be decided is not rated below one that failed; :mod:`trailguard.report.audit_asff`
  uses the same table so the two formats agree.
- status_id (the finding's workflow state) is 1 New and activity_id 1 Create: each run reports its findings anew.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from trailguard.report.audit_document import (
    FINDING_TYPE,
    audit_controls,
    broken_link_text,
    chain_links,
    epoch_millis,
    finding_uid,
    is_arn,
    scrub_surrogates,
    tool_version,
)

__all__ = [
    "COMPLIANCE_STATUS",
    "OCSF_VERSION",
    "SEVERITY",
    "ocsf_events",
    "render_ocsf",
]

OCSF_VERSION: Final = "1.8.0"

_CLASS_UID: Final = 2003
_CATEGORY_UID: Final = 2
_ACTIVITY_CREATE: Final = 1
_STATUS_NEW: Final = 1

#: Control status → (compliance.status_id, its OCSF caption).
COMPLIANCE_STATUS: Final = {
    "PASS": (1, "Pass"),
    "FAIL": (3, "Fail"),
    "MANUAL": (2, "Warning"),
    "ERROR": (0, "Unknown"),
}

#: Control status → (severity_id, its OCSF caption).
SEVERITY: Final = {
    "PASS": (1, "Informational"),
    "FAIL": (2, "Low"),
    "MANUAL": (2, "Low"),
    "ERROR": (2, "Low"),
}

#: Link kind → the AWS resource type name (the CloudFormation / AWS Config spelling Security Hub's control pages use).
_RESOURCE_TYPES: Final = {
    "trail": "AWS::CloudTrail::Trail",
    "logGroup": "AWS::Logs::LogGroup",
    "metricFilter": "AWS::Logs::MetricFilter",
    "alarm": "AWS::CloudWatch::Alarm",
    "topic": "AWS::SNS::Topic",
    "subscription": "AWS::SNS::Subscription",
}


def _resource(link: Mapping[str, Any]) -> dict[str, Any]:
    details = link.get("details") or {}
    name = details.get("name") if isinstance(details.get("name"), str) else None
    resource: dict[str, Any] = {
        "uid": link["id"],
        "name": name or link["id"],
        "type": _RESOURCE_TYPES[link["kind"]],
        "data": {"ok": link["ok"], "problem": link.get("problem")},
    }
    if link.get("region"):
        resource["region"] = link["region"]
    if is_arn(link["id"]):
        resource["cloud_partition"] = link["id"].split(":", 2)[1]
    return resource


def _resources(control: Mapping[str, Any]) -> list[dict[str, Any]]:
    # A pending subscription has no ARN yet (SNS returns the literal "PendingConfirmation"): not a resource to name.
    return [_resource(link) for link in chain_links(control) if link["kind"] != "subscription" or is_arn(link["id"])]


def _description(control: Mapping[str, Any]) -> str:
    parts = [control["reason"]]
    broken = broken_link_text(control)
    if broken:
        parts.append(broken)
    return " ".join(parts)


def _event(control: Mapping[str, Any], document: Mapping[str, Any], time: int) -> dict[str, Any]:
    status = control["status"]
    compliance_id, compliance_caption = COMPLIANCE_STATUS[status]
    severity_id, severity_caption = SEVERITY[status]
    standard = f"CIS AWS Foundations Benchmark v{document['cisVersion']}"
    check: dict[str, Any] = {"uid": control["id"], "name": control["title"], "version": document["cisVersion"]}
    check["standards"] = [standard]
    event: dict[str, Any] = {
        "activity_id": _ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": _CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": _CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": _CLASS_UID * 100 + _ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "severity_id": severity_id,
        "severity": severity_caption,
        "status_id": _STATUS_NEW,
        "status": "New",
        "status_code": status,
        "status_detail": control["reason"],
        "message": f"{control['id']} {status}: {control['reason']}",
        "compliance": {
            "control": control.get("nativeId") or control["id"],
            "standards": [standard],
            "requirements": [control.get("benchmark") or f"{standard} {control['id']}"],
            "desc": control["title"],
            "checks": [check],
            "status_id": compliance_id,
            "status": compliance_caption,
            "status_code": status,
            "status_details": [control["reason"]],
        },
        "finding_info": {
            "uid": finding_uid(control["account"], control["region"], control["id"]),
            "title": f"{control['id']} {control['title']}",
            "desc": _description(control),
            "types": [FINDING_TYPE],
            "created_time": time,
        },
        "cloud": {
            "provider": "AWS",
            "account": {"uid": control["account"], "type": "AWS Account", "type_id": 10},
            "region": control["region"],
        },
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": "trailguard", "vendor_name": "trailguard", "version": tool_version(document)},
        },
        "unmapped": {"brokenLink": control.get("brokenLink"), "evidence": control.get("evidence")},
    }
    resources = _resources(control)
    if resources:
        event["resources"] = resources
    if control.get("remedy"):
        event["remediation"] = {"desc": control["remedy"]}
    return event


def ocsf_events(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One OCSF Compliance Finding event (a JSON-ready dict) per control finding, in document order."""
    controls = audit_controls(document)
    time = epoch_millis(document["generated"])
    return scrub_surrogates([_event(control, document, time) for control in controls])


def render_ocsf(document: Mapping[str, Any]) -> str:
    """The events as an indented JSON array (the shape Prowler's OCSF output and most importers take)."""
    return json.dumps(ocsf_events(document), indent=2, ensure_ascii=False) + "\n"
