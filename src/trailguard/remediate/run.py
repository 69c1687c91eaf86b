"""One remediation of an account: read it, plan from the audit's evidence, apply when asked, audit the result.

Reading is the audit's inventory plus what the plan needs to recognise (the topic it would create, the log group and
role trail integration would create): :func:`read_evidence`. After applying, the account is read and audited again,
and a control the plan served that still does not pass (other than through a subscription waiting for confirmation)
is reported as unresolved: remediation proves its result rather than assuming it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from trailguard.audit.findings import audit_document
from trailguard.aws.errors import AwsError
from trailguard.aws.inventory import collect_inventory, read_resources
from trailguard.aws.permissions import GET_ROLE
from trailguard.aws.session import AwsSession
from trailguard.aws.snapshot import Snapshot, plain_response
from trailguard.remediate.apply import ROLE_PROPAGATION_DELAYS, ApplyResult, apply_plan, refusals
from trailguard.remediate.plan import Plan
from trailguard.remediate.planner import Evidence, evidence_needed, plan_from_evidence, with_evidence
from trailguard.remediate.request import RemediationRequest

__all__ = ["RunResult", "plan_account", "read_evidence", "read_role", "remediate", "unresolved_controls"]


@dataclass(frozen=True)
class RunResult:
    """``plan`` (statuses after applying when ``applied`` is set), the audit it was made from, and after applying
    the new audit and the controls it still fails (``unresolved``: one sentence each). ``refused`` says why apply
    made no call at all (:func:`~trailguard.remediate.apply.refusals`)."""

    plan: Plan
    audit_before: dict[str, Any]
    applied: ApplyResult | None = None
    audit_after: dict[str, Any] | None = None
    unresolved: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


def read_evidence(
    session: AwsSession, request: RemediationRequest, regions: Sequence[str] | None = None
) -> tuple[Evidence, Snapshot]:
    """The evidence a plan needs, and the inventory snapshot the audit reads (raises fatal :class:`AwsError`)."""
    snapshot = collect_inventory(session, regions=regions or None)
    needed = evidence_needed(snapshot, request)
    groups, alarms, topics = read_resources(
        session, log_groups=needed.log_groups, alarm_places=needed.alarm_places, topics=needed.topics
    )
    roles: dict[str, dict[str, Any] | None] = {}
    for name in needed.roles:
        try:
            roles[name] = read_role(session, name)
        except AwsError as error:
            if error.fatal:
                raise
    return Evidence(with_evidence(snapshot, groups, alarms, topics), roles), snapshot


def read_role(session: AwsSession, role_name: str) -> dict[str, Any] | None:
    """``iam:GetRole``'s ``Role`` (its ``AssumeRolePolicyDocument`` decoded), or ``None`` when there is no such
    role; any other failure raises :class:`AwsError`."""
    try:
        response = session.read(GET_ROLE, RoleName=role_name)
    except AwsError as error:
        if error.code == "NoSuchEntity":
            return None
        raise
    role: dict[str, Any] = plain_response(response.get("Role") or {})
    return role


def plan_account(
    session: AwsSession, request: RemediationRequest, regions: Sequence[str] | None = None
) -> tuple[Plan, dict[str, Any]]:
    """The plan for the session's account, and the audit document it was made from."""
    evidence, snapshot = read_evidence(session, request, regions)
    return plan_from_evidence(evidence, request), audit_document(snapshot, list(request.controls))


def remediate(
    session: AwsSession,
    request: RemediationRequest,
    *,
    regions: Sequence[str] | None = None,
    apply: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    role_delays: Sequence[float] = ROLE_PROPAGATION_DELAYS,
) -> RunResult:
    """Plan, and with ``apply`` apply and audit again (unless the plan must not be applied: then ``refused`` says
    why and nothing was changed). Raises :class:`AwsError` when the account cannot be read."""
    plan, before = plan_account(session, request, regions)
    if not apply:
        return RunResult(plan, before)
    refused = refusals(plan, integrate_trail=request.integrate_trail)
    if refused:
        return RunResult(plan, before, refused=tuple(refused))
    result = apply_plan(session, plan, integrate_trail=request.integrate_trail, sleep=sleep, role_delays=role_delays)
    if result.failed is not None:
        return RunResult(result.plan, before, result)
    after = audit_document(collect_inventory(session, regions=regions or None), list(request.controls))
    return RunResult(result.plan, before, result, after, unresolved_controls(result.plan, after))


def unresolved_controls(plan: Plan, audit: dict[str, Any]) -> tuple[str, ...]:
    """Controls the plan served that the audit does not pass, except those waiting only for a subscription's
    confirmation, and except those the plan itself reported blocked."""
    blocked = {(control, blocker.region) for blocker in plan.blockers for control in blocker.control.split(",")}
    served = {control for action in plan.actions for control in action.controls}
    problems: list[str] = []
    for finding in audit.get("controls", []):
        key = (finding["id"], finding["region"])
        if finding["status"] == "PASS" or finding["id"] not in served or key in blocked:
            continue
        if finding["status"] == "FAIL" and finding.get("brokenLink") == "subscription":
            chain = finding["evidence"]["chain"]
            if chain and chain[-1]["details"].get("confirmed") is False:
                continue  # waiting for a person to confirm: not an error
        problems.append(f"{finding['id']} in {finding['region']} is {finding['status']}: {finding['reason']}")
    return tuple(problems)
