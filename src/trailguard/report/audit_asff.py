"""The audit as AWS Security Finding Format (ASFF) findings for Security Hub's BatchImportFindings.

One finding per control result, for the account's own default product
(``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``), which is how an account imports
findings of its own making (AWS Security Hub User Guide, "Using custom product integrations to send findings").
The output is a JSON array of findings, what ``aws securityhub batch-import-findings --findings file://...`` takes;
one call takes at most 100 (:data:`MAX_FINDINGS_PER_CALL`), so :func:`asff_batches` splits them.

Mappings:

- Compliance.Status: PASS → PASSED, FAIL → FAILED, MANUAL → WARNING ("the check completed but Security Hub cannot
  determine whether the resource is in a PASSED or FAILED state"), ERROR → NOT_AVAILABLE ("the check could not be
  performed due to ... an API error"): the meanings the Security Hub API reference gives each value (Compliance).
- Severity.Label: PASS → INFORMATIONAL, otherwise LOW, the severity Security Hub gives its own checks of these
  controls (CloudWatch.1–14); the same table as the OCSF output (:data:`trailguard.report.audit_ocsf.SEVERITY`).
  It is also sent in FindingProviderFields, because BatchImportFindings ignores a provider's later changes to the
  top-level Severity and Types (API reference, BatchImportFindings).
- Workflow.Status NEW and RecordState ACTIVE; Security Hub keeps the workflow state a person sets after import.
- Resources: the account (``AwsAccount``, ``AWS::::Account:<id>``, as Security Hub's own account-level control
  findings name it), then the chain's links: trails, alarms and topics under their ASFF resource types with their
  Details, log groups, metric filters and confirmed subscriptions as ``Other`` (ASFF has no type for them).

Field limits (API reference, AwsSecurityFinding and its members) are applied by cutting text, marked with '…':
Title 256, Description 1024, Recommendation.Text 512, Resource.Type 256, ProductFields values 2048 characters and
50 pairs, Details.Other values 1024 characters, at most 32 resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from trailguard.report.audit_document import (
    FINDING_TYPE,
    audit_controls,
    broken_link_text,
    chain_links,
    finding_uid,
    is_arn,
    scrub_surrogates,
    tool_version,
    truncate,
)

__all__ = [
    "ASFF_SCHEMA_VERSION",
    "COMPLIANCE_STATUS",
    "MAX_FINDINGS_PER_CALL",
    "SEVERITY_LABEL",
    "asff_batches",
    "asff_findings",
    "render_asff",
]

ASFF_SCHEMA_VERSION: Final = "2018-10-08"
MAX_FINDINGS_PER_CALL: Final = 100

COMPLIANCE_STATUS: Final = {"PASS": "PASSED", "FAIL": "FAILED", "MANUAL": "WARNING", "ERROR": "NOT_AVAILABLE"}
SEVERITY_LABEL: Final = {"PASS": "INFORMATIONAL", "FAIL": "LOW", "MANUAL": "LOW", "ERROR": "LOW"}

_TITLE_MAX: Final = 256
_DESCRIPTION_MAX: Final = 1024
_RECOMMENDATION_MAX: Final = 512
_PRODUCT_FIELD_MAX: Final = 2048
_OTHER_VALUE_MAX: Final = 1023  # "fewer than 1,024 characters" (ASFF "Other object")
_RESOURCES_MAX: Final = 32

_LINE_BREAKS: Final = re.compile(r"[\r\n\u2028\u2029]+")

_ASFF_TYPES: Final = {"trail": "AwsCloudTrailTrail", "alarm": "AwsCloudWatchAlarm", "topic": "AwsSnsTopic"}


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the absent ones: Security Hub's validator rejects nulls and empty strings."""
    return {key: value for key, value in values.items() if value is not None and value != "" and value != []}


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _boolean(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _trail_details(link: Mapping[str, Any]) -> dict[str, Any]:
    details = link.get("details") or {}
    return _compact(
        {
            "Name": _string(details.get("name")),
            "TrailArn": link["id"],
            "HomeRegion": _string(details.get("homeRegion")),
            "IsMultiRegionTrail": _boolean(details.get("isMultiRegionTrail")),
            "IsOrganizationTrail": _boolean(details.get("isOrganizationTrail")),
            "CloudWatchLogsLogGroupArn": _string(details.get("logGroupArn")),
        }
    )


def _alarm_details(link: Mapping[str, Any]) -> dict[str, Any]:
    details = link.get("details") or {}
    actions = [action for action in details.get("alarmActions") or [] if _string(action)]
    return _compact(
        {
            "AlarmName": _string(details.get("name")),
            "AlarmArn": link["id"],
            "ActionsEnabled": _boolean(details.get("actionsEnabled")),
            "AlarmActions": actions,
            "Statistic": _string(details.get("statistic")),
            "Period": _integer(details.get("period")),
            "Threshold": _number(details.get("threshold")),
            "ComparisonOperator": _string(details.get("comparisonOperator")),
            "EvaluationPeriods": _integer(details.get("evaluationPeriods")),
            "DatapointsToAlarm": _integer(details.get("datapointsToAlarm")),
            "TreatMissingData": _string(details.get("treatMissingData")),
        }
    )


def _topic_details(link: Mapping[str, Any]) -> dict[str, Any]:
    details = link.get("details") or {}
    return _compact(
        {
            "TopicName": link["id"].rsplit(":", 1)[-1] if is_arn(link["id"]) else None,
            "Owner": _string(details.get("owner")),
            "KmsMasterKeyId": _string(details.get("kmsMasterKeyId")),
        }
    )


def _other_details(link: Mapping[str, Any]) -> dict[str, str]:
    details = link.get("details") or {}
    values = {"kind": link["kind"], "ok": "true" if link["ok"] else "false", "problem": link.get("problem")}
    for key in ("name", "logGroupName", "pattern", "verdict", "protocol", "endpoint"):
        values[key] = details.get(key) if isinstance(details.get(key), str) else None
    return {key: truncate(_one_line(value), _OTHER_VALUE_MAX) for key, value in values.items() if _string(value)}


_DETAILS: Final = {"trail": _trail_details, "alarm": _alarm_details, "topic": _topic_details}


def _resource(link: Mapping[str, Any], default_region: str) -> dict[str, Any]:
    region = _string(link.get("region")) or default_region
    kind = link["kind"]
    resource: dict[str, Any] = {
        "Type": _ASFF_TYPES.get(kind, "Other"),
        "Id": link["id"],
        "Partition": link["id"].split(":", 2)[1] if is_arn(link["id"]) else _partition(region),
        "Region": region,
    }
    if kind in _DETAILS:
        details = _DETAILS[kind](link)
        if details:
            resource["Details"] = {_ASFF_TYPES[kind]: details}
    else:
        other = _other_details(link)
        if other:
            resource["Details"] = {"Other": other}
    return resource


def _resources(control: Mapping[str, Any]) -> list[dict[str, Any]]:
    region = control["region"]
    account = {"Type": "AwsAccount", "Id": f"AWS::::Account:{control['account']}", "Partition": _partition(region)}
    account["Region"] = region
    resources = [account]
    for link in chain_links(control):
        if not _string(link["id"]):
            continue
        # A pending subscription has no ARN yet (SNS returns the literal "PendingConfirmation"): not a resource.
        if link["kind"] == "subscription" and not is_arn(link["id"]):
            continue
        resources.append(_resource(link, region))
    return resources[:_RESOURCES_MAX]


def _one_line(text: str) -> str:
    # ASFF strings must match ".*\S.*" (API reference); a line break in the middle is not worth the risk of a
    # rejected import, and these fields are sentences anyway.
    return _LINE_BREAKS.sub(" ", text)


def _description(control: Mapping[str, Any]) -> str:
    parts = [control["reason"]]
    broken = broken_link_text(control)
    if broken:
        parts.append(broken)
    return _one_line(" ".join(parts))


def _product_fields(control: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, str]:
    fields = {
        "trailguard/ControlId": control["id"],
        "trailguard/NativeId": control.get("nativeId"),
        "trailguard/Status": control["status"],
        "trailguard/BrokenLink": control.get("brokenLink"),
        "trailguard/CisVersion": document["cisVersion"],
        "trailguard/Level": str(control["level"]) if control.get("level") is not None else None,
        "trailguard/Reason": control["reason"],
    }
    return {key: truncate(_one_line(value), _PRODUCT_FIELD_MAX) for key, value in fields.items() if _string(value)}


def _finding(control: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    account, region, status = control["account"], control["region"], control["status"]
    requirement = f"CIS AWS Foundations Benchmark v{document['cisVersion']}/{control.get('nativeId') or control['id']}"
    severity = {"Label": SEVERITY_LABEL[status], "Original": status}
    finding: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": finding_uid(account, region, control["id"]),
        "ProductArn": f"arn:{_partition(region)}:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": f"trailguard/{control['id']}",
        "AwsAccountId": account,
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": document["generated"],
        "UpdatedAt": document["generated"],
        "Severity": severity,
        "FindingProviderFields": {"Severity": severity, "Types": [FINDING_TYPE]},
        "Title": truncate(_one_line(f"{control['id']} {control['title']}"), _TITLE_MAX),
        "Description": truncate(_description(control), _DESCRIPTION_MAX),
        "ProductFields": {
            "ProviderName": "trailguard",
            "ProviderVersion": tool_version(document),
            **_product_fields(control, document),
        },
        "Resources": _resources(control),
        "Compliance": {"Status": COMPLIANCE_STATUS[status], "RelatedRequirements": [requirement]},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }
    if _string(control.get("remedy")):
        text = truncate(_one_line(control["remedy"]), _RECOMMENDATION_MAX)
        finding["Remediation"] = {"Recommendation": {"Text": text}}
    return finding


def asff_findings(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One ASFF finding (a JSON-ready dict, BatchImportFindings' AwsSecurityFinding) per control, in document order."""
    controls = audit_controls(document)
    return scrub_surrogates([_finding(control, document) for control in controls])


def asff_batches(findings: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The findings in lists of at most 100, one BatchImportFindings call each."""
    for start in range(0, len(findings), MAX_FINDINGS_PER_CALL):
        yield list(findings[start : start + MAX_FINDINGS_PER_CALL])


def render_asff(document: Mapping[str, Any]) -> str:
    """The findings as an indented JSON array."""
    return json.dumps(asff_findings(document), indent=2, ensure_ascii=False) + "\n"
