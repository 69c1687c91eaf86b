"""A plan as ``aws`` CLI commands: the form the CIS benchmark's remediation text uses.

Each API call becomes ``aws <service> <operation-in-kebab-case> --<parameter> VALUE ...``, with the parameter
types read from botocore's service model (the one the AWS CLI itself uses): strings and numbers as one word,
booleans as ``--flag`` / ``--no-flag``, lists of strings as several words, structures, maps and lists of
structures as JSON text. Every word is shell-quoted; values holding variables become double-quoted words with
``${VARIABLE}`` references (``$``, backquote, ``"`` and backslash escaped in the literal parts), so that nothing
from AWS or the user can break out of its argument.

:func:`command_lines` renders one action with concrete values (the plan ``trailguard remediate`` prints);
:func:`render_script` renders a whole plan as a bash script whose inputs are shell variables with defaults
(``trailguard export --format cli``).
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Mapping
from typing import Any, Final

import botocore.session

from trailguard import __version__
from trailguard.remediate.plan import Action, Plan
from trailguard.remediate.values import Attr, JsonText, Text, Var, variables

__all__ = ["cli_command", "one_line", "render_script", "shell_variable"]

#: Parameters the AWS CLI renames ("awscli/customizations/argrename.py": ``--endpoint`` is a global option).
_RENAMES: Final = {("sns", "Subscribe", "Endpoint"): "notification-endpoint"}
#: IAM is global: its commands take no region.
_GLOBAL_SERVICES: Final = frozenset({"iam"})
_SENTINEL: Final = re.compile(r"@@TG:([A-Za-z0-9]+)@@")


@functools.cache
def _input_members(service: str, operation: str) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    return dict(shape.members) if shape is not None else {}


def one_line(text: str) -> str:
    """``text`` safe for a comment line or a terminal: control characters (a newline in an endpoint, an escape
    sequence in a name read from AWS) written as visible escapes."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m[0]):02x}", text)


def _kebab(name: str) -> str:
    return botocore.xform_name(name, "-")


def shell_variable(name: str) -> str:
    """``LogGroupName`` → ``LOG_GROUP_NAME``; ``NotifyEndpoint1`` → ``NOTIFY_ENDPOINT_1``."""
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", name)
    return "_".join(word.upper() for word in words)


class _Words:
    """Turns parameter values into shell words, concretely (``bindings``) or with shell variables."""

    def __init__(self, bindings: Mapping[str, str], variables: bool) -> None:
        self.bindings = bindings
        self.variables = variables

    def parts(self, value: Any) -> list[str | Var]:
        """The value as literal text and variables (for structures: JSON text with variables inside strings)."""
        if isinstance(value, Text):
            out: list[str | Var] = []
            for part in value.parts:
                out.extend(self.parts(part))
            return out
        if isinstance(value, Var):
            if not self.variables and value.name in self.bindings:
                return [self.bindings[value.name]]
            return [value]
        if isinstance(value, Attr):
            return self.parts(value.template)
        if isinstance(value, JsonText):
            return self.parts_of_json(value.document)
        if isinstance(value, bool):
            return ["true" if value else "false"]
        if isinstance(value, float):
            return [f"{value:g}"]
        if isinstance(value, dict | list | tuple):
            return self.parts_of_json(value)
        return [str(value)]

    def parts_of_json(self, document: Any) -> list[str | Var]:
        variables: dict[str, Var] = {}

        def with_sentinels(value: Any) -> Any:
            if isinstance(value, Text | Var | Attr):
                return "".join(
                    part if isinstance(part, str) else _sentinel(part, variables) for part in self.parts(value)
                )
            if isinstance(value, JsonText):
                return json.dumps(with_sentinels(value.document), separators=(",", ":"))
            if isinstance(value, dict):
                return {key: with_sentinels(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [with_sentinels(item) for item in value]
            return value

        rendered = json.dumps(with_sentinels(document), separators=(",", ":"))
        out: list[str | Var] = []
        position = 0
        for match in _SENTINEL.finditer(rendered):
            out.append(rendered[position : match.start()])
            out.append(variables[match[1]])
            position = match.end()
        out.append(rendered[position:])
        return [part for part in out if part != ""]

    def word(self, value: Any) -> str:
        parts = self.parts(value)
        if all(isinstance(part, str) for part in parts):
            return shlex.quote("".join(str(part) for part in parts))
        quoted = []
        for part in parts:
            if isinstance(part, Var):
                quoted.append("${" + shell_variable(part.name) + "}")
            else:
                quoted.append(re.sub(r'([\\$`"])', r"\\\1", part))
        return '"' + "".join(quoted) + '"'


def _sentinel(variable: Var, variables: dict[str, Var]) -> str:
    key = re.sub(r"[^A-Za-z0-9]", "", variable.name) or "V"
    variables[key] = variable
    return f"@@TG:{key}@@"


def cli_command(action: Action, bindings: Mapping[str, str], *, variables: bool = False) -> str:
    """The ``aws`` command making ``action``'s call: concrete values from ``bindings``, or (``variables``) every
    variable as a shell variable reference."""
    words = _Words(bindings, variables)
    command = ["aws", action.service, _kebab(action.operation)]
    if action.service not in _GLOBAL_SERVICES:
        command += ["--region", words.word(action.region)]
    members = _input_members(action.service, action.operation)
    for name, value in action.parameters.items():
        option = "--" + _RENAMES.get((action.service, action.operation, name), _kebab(name))
        shape = members.get(name)
        kind = shape.type_name if shape is not None else "string"
        if kind == "boolean" and isinstance(value, bool):
            command.append(option if value else "--no-" + option[2:])
        elif kind == "list" and shape is not None and shape.member.type_name == "string":
            command.append(option)
            command += [words.word(item) for item in value]
        else:
            command += [option, words.word(value)]
    return " ".join(command)


def render_script(plan: Plan) -> str:
    """The plan as a bash script (``set -euo pipefail``): inputs as shell variables overridable from the
    environment, each call with its reason as a comment; kept resources listed as comments."""
    lines = [
        "#!/usr/bin/env bash",
        f"# CIS AWS Foundations Benchmark v{plan.cis_version} monitoring: {', '.join(plan.controls)}.",
        f"# Written by trailguard {__version__}: "
        + ("from the CIS catalog, without reading any account." if plan.offline else f"for account {plan.account_id}."),
        "# Review it, then run it with credentials allowed to make these calls. Every command is safe to run again:",
        "# put-metric-filter and put-metric-alarm replace by name, create-topic returns the existing topic, subscribe",
        "# returns the existing subscription.",
        "# Email and https subscriptions stay pending (receiving nothing) until someone confirms them.",
    ]
    lines += [f"# Note: {one_line(note)}" for note in plan.notes]
    lines += ["set -euo pipefail", ""]
    used = set()
    for action in plan.actions:
        if action.status == "planned":
            used |= _variables(action)
    for spec in plan.inputs:
        if spec.name in used:
            variable = shell_variable(spec.name)
            default = shlex.quote(spec.default)
            lines.append(f"{variable}=${{{variable}:-{default}}}  # {one_line(spec.description)}")
    if "Region" in used and "Region" not in plan.bindings:
        lines += [
            'REGION="${REGION:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}"  # the region of the trail\'s log group',
            'if [ -z "$REGION" ]; then echo "set REGION (the region of the trail\'s log group)" >&2; exit 2; fi',
        ]
    if ("AccountId" in used and "AccountId" not in plan.bindings) or (
        "Partition" in used and "Partition" not in plan.bindings
    ):
        lines += [
            'CALLER_ARN="$(aws sts get-caller-identity --region "$REGION" --query Arn --output text)"',
            'ACCOUNT_ID="$(echo "$CALLER_ARN" | cut -d: -f5)"',
            'PARTITION="$(echo "$CALLER_ARN" | cut -d: -f2)"',
        ]
    for name in ("AccountId", "Partition", "Region"):
        if name in used and name in plan.bindings:
            lines.append(f"{shell_variable(name)}={shlex.quote(plan.bindings[name])}")
    for action in plan.actions:
        lines.append("")
        if action.status == "kept":
            lines.append(f"# kept, no call: {one_line(action.why)}")
            continue
        lines.append(f"# {one_line(action.why)}")
        lines.append(cli_command(action, plan.bindings, variables=True))
    return "\n".join(lines) + "\n"


def _variables(action: Action) -> set[str]:
    return variables(dict(action.parameters)) | variables(action.region)
