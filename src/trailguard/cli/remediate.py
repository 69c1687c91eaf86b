"""``trailguard remediate``: plan (and with ``--apply`` make) the changes that make an account pass the CIS
monitoring controls, then audit the result."""

from __future__ import annotations

import json
import shlex
import sys

import click

from trailguard.catalog import CIS_NAMESPACE, DEFAULT_CIS_VERSION, CatalogError, resolve_controls
from trailguard.cli.options import fail
from trailguard.model import DEFAULT_LOG_GROUP_NAME

__all__ = ["remediate"]


@click.command("remediate")
@click.option(
    "--controls", default="all", show_default=True, help="Controls: all, or 4.6 / cis-4.6 / 5.6 ... (comma-separated)."
)
@click.option(
    "--notify",
    multiple=True,
    help="Who the alarms notify, PROTOCOL:ENDPOINT (repeatable): email:ops@example.com, https:https://..., "
    "sqs:arn:aws:sqs:..., lambda:arn:..., sms:+1...",
)
@click.option("--topic-arn", help="Notify this SNS topic (default: reuse a working one, or create cis-alarms).")
@click.option("--namespace", default=CIS_NAMESPACE, show_default=True, help="Namespace of new filters' metrics.")
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option(
    "--integrate-trail",
    is_flag=True,
    help="Allow attaching a trail to a CloudWatch Logs log group (log group, role, update-trail) when none delivers.",
)
@click.option(
    "--log-group",
    default=DEFAULT_LOG_GROUP_NAME,
    show_default=True,
    help="The log group --integrate-trail creates (or reuses) for a trail that delivers to none.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Give new filters and alarms the control's own names even where broken ones of those names exist, "
    "replacing them (default: add <name>-trailguard beside them).",
)
@click.option("--apply", "apply_plan", is_flag=True, help="Make the calls (default: print the plan, change nothing).")
@click.option("--profile", help="AWS profile (default: boto3's standard credential chain).")
@click.option("--region", "regions", multiple=True, help="Region to remediate (repeatable; default: the profile's).")
@click.option("--endpoint-url", help="AWS endpoint for every service (also AWS_ENDPOINT_URL), e.g. a local emulator.")
@click.option("--role-arn", "role_chain", multiple=True, help="Act through this IAM role (repeatable: a chain).")
@click.option("--output", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--iam-policy", is_flag=True, help="Print the IAM policy --apply needs, and exit.")
def remediate(
    controls: str,
    notify: tuple[str, ...],
    topic_arn: str | None,
    namespace: str,
    cis_version: str,
    integrate_trail: bool,
    log_group: str,
    replace: bool,
    apply_plan: bool,
    profile: str | None,
    regions: tuple[str, ...],
    endpoint_url: str | None,
    role_chain: tuple[str, ...],
    output_format: str,
    iam_policy: bool,
) -> None:
    """Plan the changes that make the CIS monitoring controls pass, and with --apply make them.

    The plan comes from the audit's evidence: what works is kept (a filter that counts the control's events, an
    alarm that fires, a topic CloudWatch can publish to with a confirmed subscriber), only what is missing or broken
    is added, and nothing of yours is overwritten unless the plan says so. Each call is printed as the equivalent
    aws command with its reason. --apply makes them in order, then audits the account again; running it again
    changes nothing. Email and https subscriptions stay pending until someone confirms them.

    Exit status: 0 plan printed or applied (subscriptions may await confirmation), 2 error: a call failed (the
    message says what was done and how to continue), a control could not be remediated, or bad usage.
    """
    from trailguard.aws.permissions import remediation_iam_policy

    if iam_policy:
        click.echo(json.dumps(remediation_iam_policy(integrate_trail=integrate_trail), indent=2))
        return
    from trailguard.aws import AwsError, AwsOptions, AwsSession
    from trailguard.remediate import (
        RemediationError,
        RemediationRequest,
        plan_document,
        remediate,
        render_plan_text,
        render_result_text,
    )

    try:
        chosen = resolve_controls(controls, cis_version)
        request = RemediationRequest.build(
            chosen,
            notify,
            topic_arn=topic_arn,
            namespace=namespace,
            integrate_trail=integrate_trail,
            replace=replace,
            log_group_name=log_group,
        )
    except (CatalogError, RemediationError) as error:
        fail(str(error))
    options = AwsOptions(
        region=regions[0] if regions else None, profile=profile, endpoint_url=endpoint_url, assume_roles=role_chain
    )
    try:
        result = remediate(AwsSession(options), request, regions=list(regions) or None, apply=apply_plan)
    except AwsError as error:
        fail(str(error))
    plan, applied = result.plan, result.applied
    if applied is None:  # the plan only, or an apply refused before any call
        if output_format == "json":
            _emit(plan_document(plan, audit=result.audit_before, refused=result.refused))
        else:
            _emit(render_plan_text(plan))
        if result.refused:
            fail("nothing was applied: " + "; ".join(result.refused))
        sys.exit(2 if plan.blockers else 0)
    again = shlex.join(["trailguard", *sys.argv[1:]])
    if output_format == "json":
        audit = result.audit_after if result.audit_after is not None else result.audit_before
        _emit(plan_document(plan, audit=audit, applied=applied, unresolved=result.unresolved, continue_command=again))
    else:
        _emit(render_result_text(applied, unresolved=result.unresolved, continue_command=again))
        if result.audit_after is not None:
            from trailguard.report import print_table

            click.echo("\nAudit after applying:")
            print_table(result.audit_after)
    if applied.failed is not None:
        click.echo(f"error: {applied.failed.error}", err=True)
        click.echo(f"to continue once the cause is fixed: {again}", err=True)
    sys.exit(2 if applied.failed is not None or plan.blockers or result.unresolved else 0)


def _emit(output: object) -> None:
    if isinstance(output, dict):
        click.echo(json.dumps(output, indent=2, ensure_ascii=False))
    else:
        click.echo(str(output), nl=False)
