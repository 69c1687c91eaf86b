"""The audit document (docs/audit-document.md) read into typed objects for the HTML page.

The document is checked first as every audit format checks it (:func:`~trailguard.report.audit_document.
audit_controls`); the fields only the page reads are checked here. A link's ``details`` differ by kind and grow as
the audit learns more, so they stay a mapping; the page reads only the documented keys, and shows any value as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from trailguard.report.audit_document import LINK_KINDS, STATUSES, audit_controls
from trailguard.report.document import DocumentError, Node

__all__ = [
    "LINK_STATES",
    "ApiErrorRecord",
    "AuditDocument",
    "ControlRecord",
    "LinkRecord",
    "read_audit_document",
]

LINK_STATES: Final = ("ok", "broken", "error", "manual")


@dataclass(frozen=True, slots=True)
class ApiErrorRecord:
    service: str
    operation: str
    region: str | None
    code: str
    message: str
    resource: str | None


@dataclass(frozen=True, slots=True)
class LinkRecord:
    kind: str
    id: str
    region: str | None
    ok: bool | None
    state: str  # ok, broken, error (a call failed), manual (a person must judge it)
    problem: str | None
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ControlRecord:
    id: str
    canonical_id: str
    native_id: str | None
    title: str
    level: int | None
    benchmark: str | None
    account: str
    region: str
    status: str
    reason: str
    broken_link: str | None
    remedy: str | None
    reference_pattern: str | None
    chain: list[LinkRecord]
    other_chains: list[list[LinkRecord]]
    manual: list[str]
    errors: list[ApiErrorRecord]


@dataclass(frozen=True, slots=True)
class AuditDocument:
    tool: str
    account: str | None
    generated_ms: int | None
    cis_version: str | None
    regions: list[str]
    summary: dict[str, int]
    controls: list[ControlRecord]
    errors: list[ApiErrorRecord]


def read_audit_document(document: Mapping[str, Any]) -> AuditDocument:
    """The document read and checked; DocumentError names the first field that is wrong."""
    audit_controls(document)
    root = Node(document)
    tool = root.optional_node("tool")
    summary_node = root.node("summary")
    summary = {status: int(summary_node.number(status, 0)) for status in STATUSES}
    return AuditDocument(
        tool=f"{tool.text('name', 'trailguard')} {tool.text('version', '')}".strip() if tool else "trailguard",
        account=root.optional_text("account"),
        generated_ms=root.optional_time("generated"),
        cis_version=root.optional_text("cisVersion"),
        regions=root.texts("regions"),
        summary=summary,
        controls=[_control(node) for node in root.nodes("controls")],
        errors=[_api_error(node) for node in root.nodes("errors", required=False)],
    )


def _control(node: Node) -> ControlRecord:
    status = node.text("status")
    if status not in STATUSES:
        raise DocumentError(f"{node.path}.status: expected one of {', '.join(STATUSES)}, found {status!r}")
    broken = node.optional_text("brokenLink")
    if broken is not None and broken not in LINK_KINDS:
        raise DocumentError(
            f"{node.path}.brokenLink: expected one of {', '.join(LINK_KINDS)} or null, found {broken!r}"
        )
    evidence = node.optional_node("evidence") or Node({}, f"{node.path}.evidence")
    other_chains = []
    for index, chain in enumerate(evidence.items("otherChains", required=False)):
        where = f"{evidence.path}.otherChains[{index}]"
        if not isinstance(chain, list):
            raise DocumentError(f"{where}: expected a list of links")
        other_chains.append(
            [_link(Node(_object(link, f"{where}[{i}]"), f"{where}[{i}]")) for i, link in enumerate(chain)]
        )
    level = node.optional_number("level")
    return ControlRecord(
        id=node.text("id"),
        canonical_id=node.text("canonicalId", node.text("id")),
        native_id=node.optional_text("nativeId"),
        title=node.text("title", ""),
        level=None if level is None else int(level),
        benchmark=node.optional_text("benchmark"),
        account=node.text("account"),
        region=node.text("region"),
        status=status,
        reason=node.text("reason", ""),
        broken_link=broken,
        remedy=node.optional_text("remedy"),
        reference_pattern=evidence.optional_text("referencePattern"),
        chain=[_link(link) for link in evidence.nodes("chain", required=False)],
        other_chains=other_chains,
        manual=evidence.texts("manual"),
        errors=[_api_error(error) for error in evidence.nodes("errors", required=False)],
    )


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise DocumentError(f"{where}: expected an object")
    return value


def _link(node: Node) -> LinkRecord:
    kind = node.text("kind")
    if kind not in LINK_KINDS:
        raise DocumentError(f"{node.path}.kind: expected one of {', '.join(LINK_KINDS)}, found {kind!r}")
    ok = node.boolean("ok")
    # ``state`` says why a link that is not ok stopped its chain; documents without it know only ok/not ok.
    state = node.optional_text("state")
    if state not in LINK_STATES:
        state = "ok" if ok else "broken"
    return LinkRecord(
        kind=kind,
        id=node.text("id", ""),
        region=node.optional_text("region"),
        ok=ok,
        state=state,
        problem=node.optional_text("problem"),
        details=node.mapping("details"),
    )


def _api_error(node: Node) -> ApiErrorRecord:
    return ApiErrorRecord(
        service=node.text("service", ""),
        operation=node.text("operation", ""),
        region=node.optional_text("region"),
        code=node.text("code", ""),
        message=node.text("message", ""),
        resource=node.optional_text("resource"),
    )
