"""A remediation as people read it: the plan's ``aws`` commands with their reasons, what is kept, what is blocked,
and after ``--apply`` what was done, what failed, what was not done and the command that continues; and the JSON
document of the same (docs/remediation.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trailguard import __version__
from trailguard.aws.permissions import remediation_iam_policy
from trailguard.remediate.apply import ApplyResult
from trailguard.remediate.plan import Action, Plan
from trailguard.remediate.render_cli import cli_command, one_line
from trailguard.remediate.values import resolve

__all__ = ["plan_document", "render_plan_text", "render_result_text"]


def plan_document(
    plan: Plan,
    *,
    audit: dict[str, Any] | None = None,
    applied: ApplyResult | None = None,
    unresolved: Sequence[str] = (),
    continue_command: str | None = None,
    refused: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON document: the plan (every action with its status), and the audit (the one the plan was made from,
    or after ``--apply`` the one made after applying)."""
    document: dict[str, Any] = {
        "format": "trailguard-remediation-plan",
        "tool": {"name": "trailguard", "version": __version__},
        "mode": "apply" if applied is not None or refused else ("export" if plan.offline else "plan"),
        **plan.to_json(),
        "iamPolicy": remediation_iam_policy(integrate_trail=any(a.requires for a in plan.actions)),
    }
    if applied is not None or refused:
        document["result"] = {
            "refused": list(refused),
            "applied": len(applied.applied) if applied else 0,
            "failed": None if applied is None or applied.failed is None else _summary(applied.failed, plan),
            "notDone": [_summary(action, plan) for action in applied.not_done] if applied else [],
            "pendingConfirmation": list(applied.pending) if applied else [],
            "unresolved": list(unresolved),
            "continue": continue_command if applied is not None and applied.failed is not None else None,
        }
    if audit is not None:
        document["audit"] = audit
    return document


def _summary(action: Action, plan: Plan) -> str:
    return f"{action.iam_action} {_name(action, plan)}"


def _name(action: Action, plan: Plan) -> str:
    try:
        return str(resolve(action.resource.name, plan.bindings))
    except KeyError:
        return str(action.resource.name)


def _header(plan: Plan, mode: str) -> str:
    controls = ", ".join(plan.controls)
    return one_line(f"account {plan.account_id} · CIS v{plan.cis_version} · {controls} · {mode}")


def _commands(actions: Sequence[Action], plan: Plan, marker: str = "") -> list[str]:
    lines: list[str] = []
    for action in actions:
        gate = f"[needs {action.requires}] " if action.requires else ""
        replaced = "[replaces] " if action.replaces else ""
        lines.append(f"  # {gate}{replaced}{one_line(action.why)}")
        lines.append(f"  {marker}{one_line(cli_command(action, plan.bindings))}")
        if action.note:
            lines.append(f"    note: {one_line(action.note)}")
        if action.error:
            lines.append(f"    error: {one_line(action.error)}")
    return lines


def render_plan_text(plan: Plan) -> str:
    """The plan, before anything is applied."""
    planned = [a for a in plan.actions if a.status == "planned"]
    kept = [a for a in plan.actions if a.status == "kept"]
    lines = [_header(plan, "plan only: nothing was changed"), ""]
    if planned:
        lines.append(f"Calls to make ({len(planned)}; --apply makes them, in this order):")
        lines += _commands(planned, plan)
    else:
        lines.append("Nothing to change: every control the plan could serve already works.")
    lines += _kept(kept, plan)
    lines += _blocked_and_notes(plan)
    if planned:
        actions = sorted({a.iam_action for a in planned})
        lines += [
            "",
            f"--apply needs these IAM actions (and the audit's reads): {', '.join(actions)}"
            + ("; plus iam:PassRole to CloudTrail" if any(a.operation == "UpdateTrail" for a in planned) else ""),
            "  trailguard remediate --iam-policy prints the whole policy.",
        ]
    return "\n".join(lines) + "\n"


def _kept(kept: Sequence[Action], plan: Plan) -> list[str]:
    if not kept:
        return []
    lines = ["", f"Kept, already working (no call, {len(kept)}):"]
    for action in kept:
        lines.append(f"  = {one_line(action.why)}")
        if action.note:
            lines.append(f"    note: {one_line(action.note)}")
    return lines


def _blocked_and_notes(plan: Plan) -> list[str]:
    lines: list[str] = []
    if plan.blockers:
        lines += ["", "Not remediated:"]
        for blocker in plan.blockers:
            lines.append(f"  ! {blocker.control} in {blocker.region}: {one_line(blocker.reason)}")
            lines.append(f"    what to do: {one_line(blocker.remedy)}")
    if plan.notes:
        lines += ["", "Notes:"]
        lines += [f"  - {one_line(note)}" for note in plan.notes]
    return lines


def render_result_text(
    result: ApplyResult, *, unresolved: Sequence[str] = (), continue_command: str | None = None
) -> str:
    """What ``--apply`` did: applied, failed, not done, pending confirmations, and the command that continues."""
    plan = result.plan
    lines = [_header(plan, "applied" if result.failed is None else "stopped at a failure"), ""]
    applied = result.applied
    if applied or result.failed is not None:
        lines.append(f"Applied ({len(applied)}):")
        lines += _commands(applied, plan, marker="done: ") if applied else ["  (none)"]
    else:
        lines.append("Nothing to change: every control the plan could serve already works.")
    if result.failed is not None:
        lines += ["", "Failed (the run stopped here):"]
        lines += _commands([result.failed], plan, marker="FAILED: ")
        not_done = result.not_done
        lines += ["", f"Not done ({len(not_done)}):"]
        lines += [f"  - {one_line(_summary(action, plan))}" for action in not_done] or ["  (none)"]
        lines += [
            "",
            "Nothing is left half-made: every alarm is made after what it watches and notifies, and every call is safe "
            "to repeat. Once the cause is fixed, run the same command again: it re-plans from what now exists and "
            "continues:",
            f"  {one_line(continue_command or 'trailguard remediate ... --apply')}",
        ]
    kept = [a for a in plan.actions if a.status == "kept"]
    lines += _kept(kept, plan)
    if result.pending:
        lines += ["", "Waiting for confirmation (not an error):"]
        lines += [f"  - {one_line(note)}" for note in result.pending]
    lines += _blocked_and_notes(plan)
    if unresolved:
        lines += ["", "Still failing after applying:"]
        lines += [f"  ! {one_line(text)}" for text in unresolved]
    return "\n".join(lines) + "\n"
