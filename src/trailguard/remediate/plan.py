"""The remediation plan: the AWS calls that make an account compliant, as data.

A plan is an ordered list of :class:`Action`. Each is one API call (``service``, ``operation``, ``parameters``,
``region``), the resource it creates or changes, one sentence of ``why``, and a ``status``: ``planned`` (a call to
make), ``kept`` (what it would create already exists and works: no call), and after ``--apply`` ``applied`` or
``failed``. The order is the order of application, chosen so that stopping anywhere leaves nothing that pretends
to work: the trail's delivery first, then the topic, its policy and subscriptions, then each metric filter, and
each alarm last (an alarm exists only once what it watches and notifies exists).

:class:`Blocker` records a control the plan cannot remediate, with what a person must do. :class:`InputSpec`
lists the values a rendering leaves to the deployment (the log group name, notification endpoints).
The JSON document (:meth:`Plan.to_json`) is described in docs/remediation.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from trailguard.remediate.values import Attr, JsonText, Text, Var, placeholder_text

__all__ = [
    "Action",
    "ActionStatus",
    "Blocker",
    "InputSpec",
    "Plan",
    "Resource",
    "ResourceKind",
    "json_parameters",
]

ActionStatus = Literal["planned", "kept", "applied", "failed"]
ResourceKind = Literal[
    "logGroup", "role", "rolePolicy", "trail", "topic", "topicPolicy", "subscription", "metricFilter", "alarm"
]


@dataclass(frozen=True)
class Resource:
    """What an action creates or changes.

    ``logical_id`` names it in CloudFormation (``Cis46Alarm``) and, in snake case, Terraform; ``name`` is its AWS
    name (``CIS-4.6-ConsoleAuthenticationFailures``); ``arn`` its identifier when one is known or computable.
    """

    kind: ResourceKind
    logical_id: str
    name: str | Text
    arn: str | Text | Attr | None = None


@dataclass(frozen=True)
class Action:
    """One API call of the plan (see the module docstring for ``status``).

    - ``region``: where the call goes (a :class:`~trailguard.remediate.values.Var` in an offline plan).
    - ``controls``: the CIS controls (``cis-4.6``) it serves.
    - ``requires``: the option without which apply must not make it (``--integrate-trail``), or ``None``.
    - ``replaces``: it overwrites a resource that exists (always said in ``why``).
    - ``note``: what is true after the call (a subscription waiting for confirmation); ``error``: why it failed.
    - ``response``: the API's answer once applied.
    """

    service: str
    operation: str
    region: str | Var
    parameters: Mapping[str, Any]
    why: str
    resource: Resource
    status: ActionStatus = "planned"
    controls: tuple[str, ...] = ()
    requires: str | None = None
    replaces: bool = False
    note: str | None = None
    error: str | None = None
    response: Mapping[str, Any] | None = None

    @property
    def iam_action(self) -> str:
        return f"{self.service}:{self.operation}"

    def with_status(self, status: ActionStatus, **changes: Any) -> Action:
        return replace(self, status=status, **changes)

    def to_json(self, bindings: Mapping[str, str]) -> dict[str, Any]:
        region = self.region if isinstance(self.region, str) else placeholder_text(self.region, bindings)
        document: dict[str, Any] = {
            "service": self.service,
            "operation": self.operation,
            "region": region,
            "parameters": json_parameters(self.parameters, bindings),
            "why": self.why,
            "status": self.status,
            "resource": {
                "kind": self.resource.kind,
                "logicalId": self.resource.logical_id,
                "name": json_parameters(self.resource.name, bindings),
                "arn": json_parameters(self.resource.arn, bindings),
            },
            "controls": list(self.controls),
            "requires": self.requires,
            "replaces": self.replaces,
            "note": self.note,
            "error": self.error,
        }
        return document


@dataclass(frozen=True)
class Blocker:
    """A control the plan does not remediate in a region: why, and what a person must do.

    ``stops_apply`` is true when applying the rest would be wrong (alarms that would notify no one); otherwise
    apply goes on with the other controls and exits 2 at the end.
    """

    control: str
    region: str
    reason: str
    remedy: str
    stops_apply: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "region": self.region,
            "reason": self.reason,
            "remedy": self.remedy,
            "stopsApply": self.stops_apply,
        }


@dataclass(frozen=True)
class InputSpec:
    """A value renderings leave to the deployment: a CloudFormation parameter, a Terraform variable, a shell
    variable. ``default`` is what the plan was made with."""

    name: str
    default: str
    description: str


@dataclass(frozen=True)
class Plan:
    """Everything one run decided.

    ``bindings`` are the known values of variables (inputs' defaults; account, partition and region when planned
    against an account); ``offline`` is true for a plan made from the catalog alone (``trailguard export``).
    """

    cis_version: str
    controls: tuple[str, ...]
    actions: tuple[Action, ...]
    inputs: tuple[InputSpec, ...] = ()
    bindings: Mapping[str, str] = field(default_factory=dict)
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()
    account_id: str | None = None
    offline: bool = False

    @property
    def planned(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.status == "planned")

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.region for a in self.actions if isinstance(a.region, str)))

    def with_actions(self, actions: tuple[Action, ...]) -> Plan:
        return replace(self, actions=actions)

    def to_json(self) -> dict[str, Any]:
        counts = {status: sum(1 for a in self.actions if a.status == status) for status in _STATUSES}
        return {
            "account": self.account_id,
            "cisVersion": self.cis_version,
            "controls": list(self.controls),
            "summary": counts,
            "inputs": [
                {"name": spec.name, "default": spec.default, "description": spec.description} for spec in self.inputs
            ],
            "actions": [action.to_json(self.bindings) for action in self.actions],
            "blocked": [blocker.to_json() for blocker in self.blockers],
            "notes": list(self.notes),
        }


_STATUSES: tuple[ActionStatus, ...] = ("planned", "kept", "applied", "failed")


def json_parameters(value: Any, bindings: Mapping[str, str]) -> Any:
    """``value`` as JSON data: bound variables filled in, unbound ones written ``${Name}``, JSON text as text."""
    if isinstance(value, Text | Var | Attr):
        return placeholder_text(value, bindings)
    if isinstance(value, JsonText):
        return json.dumps(json_parameters(value.document, bindings), separators=(",", ":"))
    if isinstance(value, Mapping):
        return {str(key): json_parameters(item, bindings) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_parameters(item, bindings) for item in value]
    return value
