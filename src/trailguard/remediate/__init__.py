"""Remediation: make an account pass the CIS monitoring controls, changing only what is missing or broken.

Data flows one way: the audit's evidence (``trailguard.audit``) → a plan of API calls as data
(:mod:`~trailguard.remediate.planner`, :mod:`~trailguard.remediate.plan`) → applied in order
(:mod:`~trailguard.remediate.apply`, the only code in trailguard that writes to AWS) → audited again
(:mod:`~trailguard.remediate.run`). The same plan renders as ``aws`` commands (:mod:`~trailguard.remediate.render_cli`),
a CloudFormation template (:mod:`~trailguard.remediate.render_cloudformation`), Terraform
(:mod:`~trailguard.remediate.render_terraform`) and JSON (:mod:`~trailguard.remediate.render_text`); a plan made
from the catalog alone (:func:`~trailguard.remediate.planner.plan_from_catalog`) needs no account.
"""

from trailguard.remediate.apply import ApplyRefused, ApplyResult, apply_plan, refusals
from trailguard.remediate.plan import Action, Blocker, InputSpec, Plan, Resource
from trailguard.remediate.planner import Evidence, evidence_needed, plan_from_catalog, plan_from_evidence
from trailguard.remediate.render_cli import cli_command, render_script
from trailguard.remediate.render_cloudformation import render_cloudformation
from trailguard.remediate.render_terraform import render_terraform
from trailguard.remediate.render_text import plan_document, render_plan_text, render_result_text
from trailguard.remediate.request import RemediationError, RemediationRequest, parse_notify
from trailguard.remediate.run import RunResult, plan_account, read_evidence, remediate

__all__ = [
    "Action",
    "ApplyRefused",
    "ApplyResult",
    "Blocker",
    "Evidence",
    "InputSpec",
    "Plan",
    "RemediationError",
    "RemediationRequest",
    "Resource",
    "RunResult",
    "apply_plan",
    "cli_command",
    "evidence_needed",
    "parse_notify",
    "plan_account",
    "plan_document",
    "plan_from_catalog",
    "plan_from_evidence",
    "read_evidence",
    "refusals",
    "remediate",
    "render_cloudformation",
    "render_plan_text",
    "render_result_text",
    "render_script",
    "render_terraform",
]
