"""A plan as a CloudFormation template (YAML): the resources its planned calls would create.

Each planned call maps to the resource type that makes the same thing ("AWS resource and property types
reference", CloudFormation User Guide): PutMetricFilter → ``AWS::Logs::MetricFilter``, PutMetricAlarm →
``AWS::CloudWatch::Alarm``, CreateTopic → ``AWS::SNS::Topic``, its policy → ``AWS::SNS::TopicPolicy``, Subscribe →
``AWS::SNS::Subscription``, CreateLogGroup → ``AWS::Logs::LogGroup``, CreateRole / PutRolePolicy →
``AWS::IAM::Role`` / ``AWS::IAM::RolePolicy``. The log group and the notification endpoints are Parameters;
account, region and partition are the pseudo parameters; resources refer to each other with ``Ref`` /
``Fn::GetAtt`` / ``Fn::Sub``. Kept resources exist already and are not in the template. UpdateTrail has no resource
type (a stack cannot change a trail it does not own): the template says, in its comments and Outputs, which
command attaches the trail once the stack exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

from trailguard import __version__
from trailguard.remediate.plan import Action, Plan
from trailguard.remediate.render_cli import cli_command, one_line
from trailguard.remediate.values import Attr, JsonText, Text, Var

__all__ = ["render_cloudformation"]

_PSEUDO: Final = {"AccountId": "AWS::AccountId", "Region": "AWS::Region", "Partition": "AWS::Partition"}
#: How a resource type's attribute is referenced: Ref (a topic's Ref is its ARN, a log group's and a role's their
#: name) or Fn::GetAtt.
_REF_ATTRIBUTES: Final = {("topic", "Arn"), ("logGroup", "Name"), ("role", "Name")}


class _Intrinsics:
    """Plan values as CloudFormation values."""

    def __init__(self, plan: Plan, rendered: Mapping[str, Action]) -> None:
        self.plan = plan
        self.rendered = rendered  # logical id -> the action that creates it in this template
        self.parameters = {spec.name for spec in plan.inputs}

    def value(self, value: Any) -> Any:
        if isinstance(value, JsonText):
            return self.value(value.document)
        if isinstance(value, Text | Var | Attr):
            return self.string(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def string(self, value: Text | Var | Attr) -> Any:
        parts = value.parts if isinstance(value, Text) else (value,)
        if len(parts) == 1 and not isinstance(parts[0], str):
            return self.single(parts[0])
        pieces: list[str] = []
        for part in parts:
            pieces.append(part.replace("${", "${!") if isinstance(part, str) else self.substitution(part))
        return {"Fn::Sub": "".join(pieces)}

    def single(self, part: Var | Attr) -> Any:
        if isinstance(part, Var):
            if part.name in self.parameters:
                return {"Ref": part.name}
            if part.name in _PSEUDO:
                return {"Ref": _PSEUDO[part.name]}
            return self.plan.bindings[part.name]
        creator = self.rendered.get(part.resource)
        if creator is None:
            return self.string(part.template) if isinstance(part.template, Text) else part.template
        if (creator.resource.kind, part.attribute) in _REF_ATTRIBUTES:
            return {"Ref": part.resource}
        return {"Fn::GetAtt": [part.resource, part.attribute]}

    def substitution(self, part: Var | Attr) -> str:
        if isinstance(part, Var):
            if part.name in self.parameters:
                return "${" + part.name + "}"
            if part.name in _PSEUDO:
                return "${" + _PSEUDO[part.name] + "}"
            return self.plan.bindings[part.name].replace("${", "${!")
        creator = self.rendered.get(part.resource)
        if creator is None:
            template = part.template
            if isinstance(template, str):
                return template.replace("${", "${!")
            return "".join(
                p.replace("${", "${!") if isinstance(p, str) else self.substitution(p) for p in template.parts
            )
        if (creator.resource.kind, part.attribute) in _REF_ATTRIBUTES:
            return "${" + part.resource + "}"
        return "${" + part.resource + "." + part.attribute + "}"


def _resource(action: Action, values: _Intrinsics) -> dict[str, Any] | None:
    p = action.parameters
    kind = action.operation
    properties: dict[str, Any]
    if kind == "CreateTopic":
        resource_type, properties = "AWS::SNS::Topic", {"TopicName": p["Name"]}
    elif kind == "SetTopicAttributes":
        resource_type = "AWS::SNS::TopicPolicy"
        properties = {"Topics": [p["TopicArn"]], "PolicyDocument": p["AttributeValue"]}
    elif kind == "Subscribe":
        resource_type = "AWS::SNS::Subscription"
        properties = {"TopicArn": p["TopicArn"], "Protocol": p["Protocol"], "Endpoint": p["Endpoint"]}
    elif kind == "PutMetricFilter":
        resource_type = "AWS::Logs::MetricFilter"
        transformations = []
        for item in p["metricTransformations"]:
            transformation = {
                "MetricName": item["metricName"],
                "MetricNamespace": item["metricNamespace"],
                "MetricValue": item["metricValue"],
            }
            if "defaultValue" in item:
                transformation["DefaultValue"] = item["defaultValue"]
            if "unit" in item:
                transformation["Unit"] = item["unit"]
            if item.get("dimensions"):
                transformation["Dimensions"] = [{"Key": k, "Value": v} for k, v in item["dimensions"].items()]
            transformations.append(transformation)
        properties = {
            "FilterName": p["filterName"],
            "FilterPattern": p["filterPattern"],
            "LogGroupName": p["logGroupName"],
            "MetricTransformations": transformations,
        }
    elif kind == "PutMetricAlarm":
        resource_type = "AWS::CloudWatch::Alarm"
        properties = {key: value for key, value in p.items() if key != "Tags"}
    elif kind == "CreateLogGroup":
        resource_type, properties = "AWS::Logs::LogGroup", {"LogGroupName": p["logGroupName"]}
    elif kind == "CreateRole":
        resource_type = "AWS::IAM::Role"
        properties = {key: p[key] for key in ("RoleName", "AssumeRolePolicyDocument", "Description") if key in p}
    elif kind == "PutRolePolicy":
        resource_type = "AWS::IAM::RolePolicy"
        properties = {"RoleName": p["RoleName"], "PolicyName": p["PolicyName"], "PolicyDocument": p["PolicyDocument"]}
    else:
        return None
    rendered: dict[str, Any] = {"Type": resource_type}
    if kind == "CreateLogGroup":
        # The trail's events are kept if the stack is deleted or the log group replaced.
        rendered.update(DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
    rendered["Properties"] = values.value(properties)
    rendered["Metadata"] = {"trailguard": {"why": action.why, "controls": list(action.controls)}}
    return rendered


def render_cloudformation(plan: Plan) -> str:
    """The template for ``plan``'s planned calls (see the module docstring)."""
    planned = [action for action in plan.actions if action.status == "planned"]
    creators = {a.resource.logical_id: a for a in planned if a.operation not in ("UpdateTrail",)}
    values = _Intrinsics(plan, creators)
    resources: dict[str, Any] = {}
    after: list[Action] = []
    for action in planned:
        rendered = _resource(action, values)
        if rendered is None:
            after.append(action)
            continue
        resources[action.resource.logical_id] = rendered
    used = _used_parameters(resources)
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"CIS AWS Foundations Benchmark v{plan.cis_version} monitoring ({', '.join(plan.controls)}): metric "
            f"filters on the CloudTrail log group, alarms, and the SNS topic they notify. Written by trailguard "
            f"{__version__}."
        ),
    }
    parameters = {
        spec.name: {"Type": "String", "Default": spec.default, "Description": spec.description}
        for spec in plan.inputs
        if spec.name in used
    }
    if parameters:
        template["Parameters"] = parameters
    template["Resources"] = resources
    if after:
        template["Outputs"] = {
            f"AfterDeploying{index}": {
                "Description": one_line(f"{action.why}: run this once the stack exists")[:1024],
                "Value": cli_command(action, plan.bindings),
            }
            for index, action in enumerate(after, start=1)
        }
    header = [
        f"CIS AWS Foundations Benchmark v{plan.cis_version} monitoring: {', '.join(plan.controls)}.",
        f"Written by trailguard {__version__}"
        + (
            " from the CIS catalog, without reading any account."
            if plan.offline
            else f" for account {plan.account_id}."
        ),
        "LogGroupName must be the log group the CloudTrail trail delivers to: a metric filter elsewhere counts "
        "nothing.",
        "Updating a stack that changes a metric filter replaces it: CloudFormation deletes the filter and creates it "
        "again, and events arriving in between are not counted.",
        "Email and https subscriptions stay pending (receiving nothing) until someone confirms them.",
    ]
    if any(a.operation == "CreateRole" for a in planned):
        header.append("The template names an IAM role: deploy it with --capabilities CAPABILITY_NAMED_IAM.")
    if plan.regions and len(plan.regions) > 1:
        header.append(f"The plan spans regions {', '.join(plan.regions)}; a stack deploys to one region.")
    for action in after:
        header.append(f"After deploying: {action.why}: {cli_command(action, plan.bindings)}")
    header += [f"Note: {note}" for note in plan.notes]
    body = yaml.safe_dump(template, sort_keys=False, width=120, allow_unicode=True)
    return "".join(f"# {one_line(line)}\n" for line in header) + body


def _used_parameters(resources: Any) -> set[str]:
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if set(value) == {"Ref"}:
                found.add(str(value["Ref"]))
            if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                found.update(re.findall(r"\$\{([A-Za-z0-9]+)\}", value["Fn::Sub"]))
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(resources)
    return found
