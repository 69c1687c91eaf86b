"""Applying a plan: the only code in trailguard that changes an AWS account.

Every call goes through :meth:`trailguard.aws.session.AwsSession.write` with an action of the write table
(:data:`trailguard.aws.permissions.REMEDIATION_WRITE_ACTIONS`). Actions run one at a time in the plan's order and
the first failure stops the run: what was applied stays (each call is safe to repeat, and the plan's order means no
alarm exists before what it watches and notifies), what was not is listed, and running the same command again
re-plans from what then exists, so it continues where this run stopped.

Repeating a call is safe because of how each API behaves: PutMetricFilter and PutMetricAlarm create or replace by
name, CreateTopic without attributes returns the existing topic of that name, Subscribe returns the existing
subscription of the same protocol and endpoint, SetTopicAttributes and PutRolePolicy overwrite, CreateLogGroup and
CreateRole are only planned when the evidence shows the resource absent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.aws.errors import AwsError
from trailguard.aws.permissions import REMEDIATION_WRITE_ACTIONS, WriteAction
from trailguard.aws.session import AwsSession
from trailguard.remediate.plan import Action, Plan
from trailguard.remediate.values import resolve

__all__ = ["ROLE_PROPAGATION_DELAYS", "ApplyRefused", "ApplyResult", "apply_plan", "refusals"]

_WRITES: Final = {(action.service, action.operation): action for action in REMEDIATION_WRITE_ACTIONS}

#: Waits (seconds) before retrying UpdateTrail when CloudTrail cannot yet assume a role just created: IAM changes
#: take a few seconds to reach every region ("Changes that I make are not always immediately visible", IAM User
#: Guide, Troubleshooting IAM).
ROLE_PROPAGATION_DELAYS: Final = (2.0, 4.0, 8.0, 16.0)
_ROLE_NOT_READY: Final = frozenset({"InvalidCloudWatchLogsRoleArnException", "InvalidCloudWatchLogsRoleArn"})


class ApplyRefused(Exception):
    """The plan must not be applied as it is (the message says why and what to do); nothing was changed."""


@dataclass(frozen=True)
class ApplyResult:
    """The plan with each action's status after applying; ``failed`` is the action that stopped the run."""

    plan: Plan
    failed: Action | None

    @property
    def applied(self) -> tuple[Action, ...]:
        return tuple(a for a in self.plan.actions if a.status == "applied")

    @property
    def not_done(self) -> tuple[Action, ...]:
        return tuple(a for a in self.plan.actions if a.status == "planned")

    @property
    def pending(self) -> tuple[str, ...]:
        """Notes of subscriptions waiting for confirmation."""
        return tuple(a.note for a in self.plan.actions if a.operation == "Subscribe" and a.note)


def refusals(plan: Plan, *, integrate_trail: bool) -> list[str]:
    """Why ``plan`` must not be applied at all (empty when it may)."""
    problems = [f"{b.control} in {b.region}: {b.reason}; {b.remedy}" for b in plan.blockers if b.stops_apply]
    gated = [a for a in plan.planned if a.requires == "--integrate-trail"]
    if gated and not integrate_trail:
        trails = sorted({str(a.resource.name) for a in gated if a.operation in ("UpdateTrail", "CreateLogGroup")})
        problems.append(
            f"the plan attaches a trail to a CloudWatch Logs log group ({', '.join(trails)}): no trail delivers the "
            "audited events to one, and metric filters on a log group no trail writes to count nothing. Add "
            "--integrate-trail to let trailguard create the log group, the role CloudTrail needs and update the "
            "trail, or attach the trail yourself and run remediate again"
        )
    if plan.offline:
        problems.append("an offline plan (made without an account) cannot be applied")
    return problems


def apply_plan(
    session: AwsSession,
    plan: Plan,
    *,
    integrate_trail: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    role_delays: Sequence[float] = ROLE_PROPAGATION_DELAYS,
) -> ApplyResult:
    """Make the plan's planned calls in order; stop at the first failure. Raises :class:`ApplyRefused` (before any
    call) when :func:`refusals` names a reason."""
    problems = refusals(plan, integrate_trail=integrate_trail)
    if problems:
        raise ApplyRefused("; ".join(problems))
    actions = list(plan.actions)
    failed: Action | None = None
    for index, action in enumerate(actions):
        if action.status != "planned":
            continue
        try:
            response = _call(session, action, plan.bindings, sleep, role_delays)
        except AwsError as error:
            failed = action.with_status("failed", error=str(error))
            actions[index] = failed
            break
        actions[index] = action.with_status("applied", response=response, note=_note(action, response, plan.bindings))
    return ApplyResult(plan.with_actions(tuple(actions)), failed)


def _call(
    session: AwsSession,
    action: Action,
    bindings: Mapping[str, str],
    sleep: Callable[[float], None],
    role_delays: Sequence[float],
) -> dict[str, Any]:
    write: WriteAction | None = _WRITES.get((action.service, action.operation))
    if write is None:
        raise AwsError(f"{action.iam_action} is not a remediation write action", kind="usage")
    parameters = resolve(dict(action.parameters), bindings)
    region = resolve(action.region, bindings)
    delays = list(role_delays) if action.operation == "UpdateTrail" else []
    while True:
        try:
            return session.write(write, region, **parameters)
        except AwsError as error:
            if error.code not in _ROLE_NOT_READY or not delays:
                raise
            sleep(delays.pop(0))


def _note(action: Action, response: Mapping[str, Any], bindings: Mapping[str, str]) -> str | None:
    if action.operation != "Subscribe":
        return action.note
    if str(response.get("SubscriptionArn", "")).startswith("arn:"):
        return None
    endpoint = resolve(action.parameters.get("Endpoint"), bindings)
    protocol = action.parameters.get("Protocol")
    return (
        f"the {protocol} subscription of {endpoint} waits for confirmation: it receives nothing until someone "
        "confirms it from the message SNS sent"
    )
