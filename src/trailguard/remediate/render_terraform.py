"""A plan as Terraform configuration (HCL) for the AWS provider: the resources its planned calls would create.

PutMetricFilter → ``aws_cloudwatch_log_metric_filter``, PutMetricAlarm → ``aws_cloudwatch_metric_alarm``,
CreateTopic → ``aws_sns_topic``, its policy → ``aws_sns_topic_policy``, Subscribe → ``aws_sns_topic_subscription``,
CreateLogGroup → ``aws_cloudwatch_log_group``, CreateRole / PutRolePolicy → ``aws_iam_role`` / ``aws_iam_role_policy``
(the AWS provider's resource documentation). The log group and the notification endpoints are variables; account,
region and partition come from the ``aws_caller_identity``, ``aws_region`` and ``aws_partition`` data sources;
resources refer to each other by attribute. Kept resources exist already and are left out; UpdateTrail (changing a
trail this configuration does not manage) is written as a comment with the command to run after applying.

Strings are written as HCL quoted templates with ``\\``, ``"``, ``${`` and ``%{`` escaped, so a filter pattern's
text reaches AWS unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from trailguard import __version__
from trailguard.remediate.plan import Action, Plan
from trailguard.remediate.render_cli import cli_command, one_line
from trailguard.remediate.values import Attr, JsonText, Text, Var, variables

__all__ = ["render_terraform", "terraform_name"]

_DATA: Final = {
    "AccountId": ("aws_caller_identity", "data.aws_caller_identity.current.account_id"),
    "Region": ("aws_region", "data.aws_region.current.name"),
    "Partition": ("aws_partition", "data.aws_partition.current.partition"),
}
_TYPES: Final = {
    "CreateTopic": "aws_sns_topic",
    "SetTopicAttributes": "aws_sns_topic_policy",
    "Subscribe": "aws_sns_topic_subscription",
    "PutMetricFilter": "aws_cloudwatch_log_metric_filter",
    "PutMetricAlarm": "aws_cloudwatch_metric_alarm",
    "CreateLogGroup": "aws_cloudwatch_log_group",
    "CreateRole": "aws_iam_role",
    "PutRolePolicy": "aws_iam_role_policy",
}
_ATTRIBUTES: Final = {"Arn": "arn", "Name": "name"}
_ALARM_FIELDS: Final = (
    ("AlarmName", "alarm_name"),
    ("AlarmDescription", "alarm_description"),
    ("ActionsEnabled", "actions_enabled"),
    ("AlarmActions", "alarm_actions"),
    ("OKActions", "ok_actions"),
    ("InsufficientDataActions", "insufficient_data_actions"),
    ("MetricName", "metric_name"),
    ("Namespace", "namespace"),
    ("Statistic", "statistic"),
    ("ExtendedStatistic", "extended_statistic"),
    ("Period", "period"),
    ("Unit", "unit"),
    ("EvaluationPeriods", "evaluation_periods"),
    ("DatapointsToAlarm", "datapoints_to_alarm"),
    ("Threshold", "threshold"),
    ("ComparisonOperator", "comparison_operator"),
    ("TreatMissingData", "treat_missing_data"),
    ("EvaluateLowSampleCountPercentile", "evaluate_low_sample_count_percentiles"),
)


def terraform_name(logical_id: str) -> str:
    """``Cis46MetricFilter`` → ``cis46_metric_filter``; ``LogGroupName2`` → ``log_group_name_2``."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+\d*|[A-Z]+|\d+", logical_id)
    return "_".join(word.lower() for word in words) or "resource"


def _escape(literal: str) -> str:
    text = literal.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return text.replace("${", "$${").replace("%{", "%%{")


class _Hcl:
    """Plan values as HCL expressions."""

    def __init__(self, plan: Plan, created: Mapping[str, Action]) -> None:
        self.plan = plan
        self.created = created
        self.inputs = {spec.name for spec in plan.inputs}
        self.data: set[str] = set()

    def reference(self, part: Var | Attr) -> str | None:
        """The expression for a variable or attribute, or None when it is a known literal."""
        if isinstance(part, Var):
            if part.name in self.inputs:
                return "var." + terraform_name(part.name)
            if part.name in _DATA:
                self.data.add(part.name)
                return _DATA[part.name][1]
            return None
        creator = self.created.get(part.resource)
        if creator is None:
            return None
        kind = _TYPES[creator.operation]
        return f"{kind}.{terraform_name(part.resource)}.{_ATTRIBUTES.get(part.attribute, part.attribute.lower())}"

    def string(self, value: Text | Var | Attr | str) -> str:
        if isinstance(value, str):
            return '"' + _escape(value) + '"'
        parts = value.parts if isinstance(value, Text) else (value,)
        if len(parts) == 1 and not isinstance(parts[0], str):
            expression = self.reference(parts[0])
            if expression is not None:
                return expression
        return '"' + "".join(self._template(part) for part in parts) + '"'

    def _template(self, part: str | Var | Attr) -> str:
        if isinstance(part, str):
            return _escape(part)
        expression = self.reference(part)
        if expression is not None:
            return "${" + expression + "}"
        if isinstance(part, Var):
            return _escape(self.plan.bindings[part.name])
        template = part.template
        if isinstance(template, str):
            return _escape(template)
        return "".join(self._template(inner) for inner in template.parts)

    def value(self, value: Any, indent: int) -> str:
        pad = "  " * indent
        if isinstance(value, JsonText):
            return "jsonencode(" + self.value(value.document, indent) + ")"
        if isinstance(value, str | Text | Var | Attr):
            return self.string(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return f"{value:g}" if isinstance(value, float) else str(value)
        if isinstance(value, list | tuple):
            if not value:
                return "[]"
            items = [self.value(item, indent + 1) for item in value]
            return "[\n" + "".join(f"{pad}  {item},\n" for item in items) + pad + "]"
        if isinstance(value, dict):
            if not value:
                return "{}"
            lines = [f'{pad}  "{_escape(str(key))}" = {self.value(item, indent + 1)}\n' for key, item in value.items()]
            return "{\n" + "".join(lines) + pad + "}"
        raise TypeError(f"cannot write {value!r} as HCL")


def _block(kind: str, labels: list[str], body: list[str], comment: str | None = None) -> str:
    head = kind + "".join(f' "{label}"' for label in labels)
    lines = [f"# {one_line(comment)}\n"] if comment else []
    lines.append(head + " {\n")
    lines += [f"  {line}\n" if line else "\n" for line in body]
    lines.append("}\n")
    return "".join(lines)


def _attributes(hcl: _Hcl, pairs: list[tuple[str, Any]], indent: int = 1) -> list[str]:
    present = [(name, value) for name, value in pairs if value is not None]
    width = max((len(name) for name, _ in present), default=0)
    return [f"{name.ljust(width)} = {hcl.value(value, indent)}" for name, value in present]


def _resource_body(action: Action, hcl: _Hcl) -> list[str]:
    p = action.parameters
    operation = action.operation
    if operation == "CreateTopic":
        return _attributes(hcl, [("name", p["Name"])])
    if operation == "SetTopicAttributes":
        return _attributes(hcl, [("arn", p["TopicArn"]), ("policy", p["AttributeValue"])])
    if operation == "Subscribe":
        return _attributes(
            hcl, [("topic_arn", p["TopicArn"]), ("protocol", p["Protocol"]), ("endpoint", p["Endpoint"])]
        )
    if operation == "PutMetricFilter":
        body = _attributes(
            hcl, [("name", p["filterName"]), ("pattern", p["filterPattern"]), ("log_group_name", p["logGroupName"])]
        )
        for item in p["metricTransformations"]:
            inner = _attributes(
                hcl,
                [
                    ("name", item["metricName"]),
                    ("namespace", item["metricNamespace"]),
                    ("value", item["metricValue"]),
                    ("default_value", str(item["defaultValue"]) if "defaultValue" in item else None),
                    ("unit", item.get("unit")),
                    ("dimensions", item.get("dimensions") or None),
                ],
                indent=2,
            )
            body += ["", "metric_transformation {", *("  " + line for line in inner), "}"]
        return body
    if operation == "PutMetricAlarm":
        pairs: list[tuple[str, Any]] = [(name, p.get(key)) for key, name in _ALARM_FIELDS]
        if p.get("Dimensions"):
            pairs.append(("dimensions", {d["Name"]: d["Value"] for d in p["Dimensions"]}))
        return _attributes(hcl, pairs)
    if operation == "CreateLogGroup":
        return _attributes(hcl, [("name", p["logGroupName"])])
    if operation == "CreateRole":
        return _attributes(
            hcl,
            [
                ("name", p["RoleName"]),
                ("assume_role_policy", p["AssumeRolePolicyDocument"]),
                ("description", p.get("Description")),
            ],
        )
    if operation == "PutRolePolicy":
        return _attributes(hcl, [("name", p["PolicyName"]), ("role", p["RoleName"]), ("policy", p["PolicyDocument"])])
    raise ValueError(f"no Terraform resource for {operation}")


def render_terraform(plan: Plan) -> str:
    """The configuration for ``plan``'s planned calls (see the module docstring)."""
    planned = [action for action in plan.actions if action.status == "planned"]
    created = {a.resource.logical_id: a for a in planned if a.operation in _TYPES}
    hcl = _Hcl(plan, created)
    resources: list[str] = []
    after: list[Action] = []
    for action in planned:
        if action.operation not in _TYPES:
            after.append(action)
            continue
        body = _resource_body(action, hcl)
        resources.append(
            _block("resource", [_TYPES[action.operation], terraform_name(action.resource.logical_id)], body, action.why)
        )
    used: set[str] = set()
    for action in planned:
        if action.operation in _TYPES:
            used |= variables(dict(action.parameters))
    header = [
        f"CIS AWS Foundations Benchmark v{plan.cis_version} monitoring: {', '.join(plan.controls)}.",
        f"Written by trailguard {__version__}"
        + (
            " from the CIS catalog, without reading any account."
            if plan.offline
            else f" for account {plan.account_id}."
        ),
        "var.log_group_name must be the log group the CloudTrail trail delivers to: a metric filter elsewhere counts "
        "nothing.",
        "Email and https subscriptions stay pending (receiving nothing) until someone confirms them; Terraform cannot "
        "confirm them.",
    ]
    header += [f"After applying: {a.why}: {cli_command(a, plan.bindings)}" for a in after]
    header += [f"Note: {note}" for note in plan.notes]
    parts = ["".join(f"# {one_line(line)}\n" for line in header)]
    parts.append(
        _block(
            "terraform",
            [],
            [
                "required_providers {",
                "  aws = {",
                '    source  = "hashicorp/aws"',
                '    version = ">= 5.0"',
                "  }",
                "}",
            ],
        )
    )
    for spec in plan.inputs:
        if spec.name in used:
            body = [
                "type        = string",
                f"default     = {hcl.string(spec.default)}",
                f"description = {hcl.string(spec.description)}",
            ]
            parts.append(_block("variable", [terraform_name(spec.name)], body))
    for name in sorted(hcl.data):
        parts.append(_block("data", [_DATA[name][0], "current"], []))
    parts += resources
    return "\n".join(parts)
