"""Values in a plan's API parameters that are not known when the plan is written down.

A plan computed against an account knows every value. A plan rendered for someone else's deployment tooling
(``trailguard export``) does not know the account, the region or the log group, and its CloudFormation and
Terraform renderings must refer to the resources they create rather than repeat their ARNs. So a parameter value
is plain data (strings, numbers, booleans, lists, dicts) in which a string may be a :class:`Text`: literal parts,
:class:`Var` (a value the deployment supplies: an input such as the log group name, or where it runs: account,
region, partition) and :class:`Attr` (an attribute of a resource the plan creates, with the template that computes
it). :class:`JsonText` is a parameter whose value is a JSON document sent as a string (an SNS policy).

:func:`resolve` turns a value into the concrete request once every variable is bound; renderers walk the same
structure and write each variable their own way (``${LOG_GROUP_NAME}``, ``!Ref LogGroupName``, ``var.log_group``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ACCOUNT_ID",
    "PARTITION",
    "REGION",
    "Attr",
    "JsonText",
    "Text",
    "Unbound",
    "Var",
    "is_resolved",
    "placeholder_text",
    "resolve",
    "text",
    "variables",
    "walk_strings",
]


class Unbound(KeyError):
    """A variable a value needs has no binding."""


@dataclass(frozen=True)
class Var:
    """A value the deployment supplies, by name (``LogGroupName``, ``NotifyEndpoint1``, ``AccountId``)."""

    name: str


#: Where the deployment runs: bound from the credentials when planning against an account.
ACCOUNT_ID: Final = Var("AccountId")
REGION: Final = Var("Region")
PARTITION: Final = Var("Partition")


@dataclass(frozen=True)
class Attr:
    """``attribute`` (``Arn``) of the resource the plan creates under ``resource`` (its logical id).

    ``template`` computes the same value from variables (an SNS topic's ARN is ``arn:PARTITION:sns:REGION:
    ACCOUNT:NAME``), for renderings that cannot refer to the resource (a shell script, a concrete request).
    """

    resource: str
    attribute: str
    template: Text | str


@dataclass(frozen=True)
class Text:
    """A string made of literal parts and variables."""

    parts: tuple[str | Var | Attr, ...]

    def __str__(self) -> str:
        return placeholder_text(self)


@dataclass(frozen=True)
class JsonText:
    """A parameter sent as JSON text (``json.dumps`` of ``document`` once resolved); renderings that take the
    document itself (CloudFormation's PolicyDocument, Terraform's ``jsonencode``) use ``document``."""

    document: Any


def text(*parts: str | Var | Attr | Text) -> Text | str:
    """The parts joined: a plain ``str`` when they are all literal, else a :class:`Text` (adjacent literals
    merged, nested Texts flattened)."""
    merged: list[str | Var | Attr] = []
    for part in parts:
        pieces = part.parts if isinstance(part, Text) else (part,)
        for piece in pieces:
            if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                merged[-1] += piece
            elif piece != "":
                merged.append(piece)
    if all(isinstance(piece, str) for piece in merged):
        return "".join(str(piece) for piece in merged)
    return Text(tuple(merged))


def resolve(value: Any, bindings: Mapping[str, str]) -> Any:
    """``value`` with every variable replaced by its binding (raises :class:`Unbound` naming a missing one)."""
    if isinstance(value, Text):
        return "".join(_resolve_part(part, bindings) for part in value.parts)
    if isinstance(value, Var | Attr):
        return _resolve_part(value, bindings)
    if isinstance(value, JsonText):
        return json.dumps(resolve(value.document, bindings), separators=(",", ":"))
    if isinstance(value, dict):
        return {key: resolve(item, bindings) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item, bindings) for item in value]
    return value


def _resolve_part(part: str | Var | Attr, bindings: Mapping[str, str]) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Var):
        if part.name not in bindings:
            raise Unbound(part.name)
        return bindings[part.name]
    return str(resolve(part.template, bindings))


def variables(value: Any) -> set[str]:
    """The names of every variable ``value`` needs (through attribute templates too)."""
    found: set[str] = set()

    def visit(part: str | Var | Attr | Text) -> None:
        if isinstance(part, Var):
            found.add(part.name)
        elif isinstance(part, Text):
            for inner in part.parts:
                visit(inner)
        elif isinstance(part, Attr):
            visit(part.template)

    walk_strings(value, visit)
    return found


def is_resolved(value: Any, bindings: Mapping[str, str]) -> bool:
    return variables(value) <= set(bindings)


def walk_strings(value: Any, visit: Callable[[Any], object]) -> None:
    """Call ``visit`` on every Text, Var or Attr inside ``value``."""
    if isinstance(value, Text | Var | Attr):
        visit(value)
    elif isinstance(value, JsonText):
        walk_strings(value.document, visit)
    elif isinstance(value, dict):
        for item in value.values():
            walk_strings(item, visit)
    elif isinstance(value, list | tuple):
        for item in value:
            walk_strings(item, visit)


def placeholder_text(value: Text | Var | Attr, bindings: Mapping[str, str] | None = None) -> str:
    """The string with bound variables filled in and the others written ``${Name}`` (the JSON rendering's
    placeholders, CloudFormation ``Fn::Sub`` style)."""
    parts = value.parts if isinstance(value, Text) else (value,)
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Var):
            out.append(bindings[part.name] if bindings and part.name in bindings else "${" + part.name + "}")
        elif isinstance(part.template, str):
            out.append(part.template)
        else:
            out.append(placeholder_text(part.template, bindings))
    return "".join(out)
