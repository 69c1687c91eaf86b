"""The audit as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for CI and code-scanning tools.

One rule per CIS control in the document (``cis-4.N``), one result per control finding that is not PASS: level
``error`` for FAIL and ERROR (a control that could not be checked must not pass a gate silently, as the audit's
exit code 3 says), ``note`` for MANUAL (a person must look; it does not fail the run). The findings concern AWS
resources, not files, so each result is located by ``logicalLocations`` whose fully qualified names are the ARNs
of its chain, the link where the chain broke first. Failed API calls of the run are the invocation's
``toolExecutionNotifications``.

Specification: "Static Analysis Results Interchange Format (SARIF) Version 2.1.0", OASIS Standard incorporating
Approved Errata 01, https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Any, Final

from trailguard.report.audit_document import (
    LINK_LABELS,
    api_error_text,
    audit_controls,
    broken_link_text,
    chain_links,
    finding_uid,
    scrub_surrogates,
    status_counts,
    tool_version,
)

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "render_sarif", "sarif_log"]

SARIF_VERSION: Final = "2.1.0"
#: The schema of the errata 01 OASIS Standard, the one the specification names.
SARIF_SCHEMA_URI: Final = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_LEVELS: Final = {"FAIL": "error", "ERROR": "error", "MANUAL": "note"}

#: Fingerprint name and version: bump the version if finding_uid ever changes meaning.
_FINGERPRINT: Final = "trailguardFinding/v1"


def _rule_name(title: str) -> str:
    """``Ensure AWS Management Console authentication failures are monitored`` → ``AwsManagementConsole...``."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    if words and words[0].lower() == "ensure":
        words = words[1:]
    return "".join(word[:1].upper() + word[1:] for word in words) or "CisControl"


def _rule_help(control: Mapping[str, Any]) -> str:
    pattern = (control.get("evidence") or {}).get("referencePattern")
    lines = [
        "Keep one complete chain for this control in every audited region: a multi-region CloudTrail trail that is "
        "logging and records all management events into a CloudWatch Logs log group; a metric filter on that log "
        "group that counts every event the control requires and publishes a positive value; an alarm on that "
        "metric that goes to ALARM on one such event, with actions enabled and an SNS topic among its actions; "
        "and that topic with at least one confirmed subscription.",
    ]
    if pattern:
        lines.append(f"The benchmark's filter pattern: {pattern}")
    return "\n\n".join(lines)


def _rule(control: Mapping[str, Any], cis_version: str) -> dict[str, Any]:
    benchmark = control.get("benchmark") or f"CIS AWS Foundations Benchmark v{cis_version}"
    help_text = _rule_help(control)
    return {
        "id": control["id"],
        "name": _rule_name(control["title"]),
        "shortDescription": {"text": control["title"]},
        "fullDescription": {"text": f"{benchmark}: {control['title']}"},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "level": control.get("level"),
            "benchmark": benchmark,
            "cisVersion": cis_version,
            "canonicalId": control.get("canonicalId"),
            "nativeId": control.get("nativeId"),
            "tags": ["security", "CIS AWS Foundations Benchmark"],
        },
    }


def _logical_location(link: Mapping[str, Any]) -> dict[str, Any]:
    details = link.get("details") or {}
    name = details.get("name") if isinstance(details.get("name"), str) else None
    return {
        "name": name or link["id"],
        "fullyQualifiedName": link["id"],
        "kind": "resource",
        "properties": {"linkKind": link["kind"], "region": link.get("region")},
    }


def _location(link: Mapping[str, Any]) -> dict[str, Any]:
    state = "ok" if link["ok"] else (link.get("problem") or "broken")
    return {
        "logicalLocations": [_logical_location(link)],
        "message": {"text": f"{LINK_LABELS[link['kind']]}: {state}"},
    }


def _locations(control: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(locations, relatedLocations): where the chain broke (or stopped), then the rest of the chain."""
    links = chain_links(control)
    if not links:
        # No trail qualified: the finding is about the account and region themselves.
        place = {
            "name": control["region"],
            "fullyQualifiedName": f"{control['account']}/{control['region']}",
            "kind": "namespace",
            "properties": {"account": control["account"], "region": control["region"]},
        }
        return [{"logicalLocations": [place]}], []
    broken = [link for link in links if link["kind"] == control.get("brokenLink") and not link["ok"]]
    primary = broken[0] if broken else links[-1]
    related = []
    for index, link in enumerate(links):
        if link is not primary:
            related.append({"id": index, **_location(link)})
    return [_location(primary)], related


def _message(control: Mapping[str, Any]) -> str:
    parts = [f"{control['id']} {control['status']} in account {control['account']}, {control['region']}."]
    broken = broken_link_text(control)
    if broken:
        parts.append(broken)
    parts.append(f"Why: {control['reason']}")
    if control.get("remedy"):
        parts.append(f"Remedy: {control['remedy']}")
    evidence = control.get("evidence") or {}
    parts.extend(f"Check by hand: {item}" for item in evidence.get("manual") or [])
    parts.extend(f"API error: {api_error_text(error)}" for error in evidence.get("errors") or [])
    return " ".join(parts)


def _result(control: Mapping[str, Any], rule_index: int) -> dict[str, Any]:
    locations, related = _locations(control)
    result: dict[str, Any] = {
        "ruleId": control["id"],
        "ruleIndex": rule_index,
        "level": _LEVELS[control["status"]],
        "message": {"text": _message(control)},
        "locations": locations,
        "partialFingerprints": {_FINGERPRINT: finding_uid(control["account"], control["region"], control["id"])},
        "properties": {
            "account": control["account"],
            "region": control["region"],
            "status": control["status"],
            "brokenLink": control.get("brokenLink"),
            "nativeId": control.get("nativeId"),
            "remedy": control.get("remedy"),
        },
    }
    if related:
        result["relatedLocations"] = related
    return result


def _notification(error: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": api_error_text(error)},
        "properties": {key: error.get(key) for key in ("service", "operation", "region", "code", "resource")},
    }


def _information_uri() -> str | None:
    """The project's home page as its package metadata declares it (``[project.urls] Homepage``), if any."""
    try:
        urls = metadata.metadata("trailguard").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "home", "repository", "source") and url.strip():
            return url.strip()
    return None


def sarif_log(document: Mapping[str, Any], *, information_uri: str | None = None) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict: one run, the controls as rules, the non-PASS findings as results.

    ``information_uri`` is the driver's ``informationUri``; by default the project's home page from the package
    metadata, left out when none is declared (the property is optional and must be an absolute URI).
    """
    controls = audit_controls(document)
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results = []
    for control in controls:
        if control["id"] not in rule_index:
            rule_index[control["id"]] = len(rules)
            rules.append(_rule(control, document["cisVersion"]))
        if control["status"] != "PASS":
            results.append(_result(control, rule_index[control["id"]]))
    driver: dict[str, Any] = {
        "name": "trailguard",
        "version": tool_version(document),
        "semanticVersion": tool_version(document),
        "rules": rules,
    }
    uri = information_uri if information_uri is not None else _information_uri()
    if uri:
        driver["informationUri"] = uri
    invocation: dict[str, Any] = {"executionSuccessful": True, "endTimeUtc": document["generated"]}
    notifications = [_notification(error) for error in document.get("errors") or []]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "account": document["account"],
            "cisVersion": document["cisVersion"],
            "regions": document.get("regions") or [],
            "summary": status_counts(controls),
        },
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return scrub_surrogates(log)


def render_sarif(document: Mapping[str, Any], *, information_uri: str | None = None) -> str:
    """The SARIF log as indented JSON text."""
    return json.dumps(sarif_log(document, information_uri=information_uri), indent=2, ensure_ascii=False) + "\n"
