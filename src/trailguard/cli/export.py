"""``trailguard export``: the CIS monitoring resources for your own deployment tooling (CloudFormation, Terraform,
a shell script of ``aws`` commands, or the API calls as JSON), from the catalog alone or planned against an
account."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from trailguard.catalog import CIS_NAMESPACE, DEFAULT_CIS_VERSION, CatalogError, resolve_controls
from trailguard.cli.options import fail
from trailguard.model import DEFAULT_LOG_GROUP_NAME

__all__ = ["export"]

_FORMATS = ("cloudformation", "terraform", "cli", "json")


@click.command("export")
@click.option("--format", "output_format", type=click.Choice(_FORMATS), required=True, help="What to write.")
@click.option(
    "--controls", default="all", show_default=True, help="Controls: all, or 4.6 / cis-4.6 / 5.6 ... (comma-separated)."
)
@click.option("--notify", multiple=True, help="Who the alarms notify, PROTOCOL:ENDPOINT (repeatable).")
@click.option(
    "--log-group",
    help="The log group your CloudTrail trail delivers to (a parameter/variable in the output; "
    f"default {DEFAULT_LOG_GROUP_NAME}).",
)
@click.option("--topic-arn", help="Notify this existing SNS topic instead of creating cis-alarms.")
@click.option("--namespace", default=CIS_NAMESPACE, show_default=True, help="Namespace of the filters' metrics.")
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option("--output-file", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@click.option(
    "--from-account",
    is_flag=True,
    help="Plan against an account's evidence (reads it; changes nothing) instead of the catalog alone.",
)
@click.option("--profile", help="AWS profile (with --from-account).")
@click.option("--region", "regions", multiple=True, help="Region to plan for (with --from-account; repeatable).")
@click.option("--endpoint-url", help="AWS endpoint for every service (with --from-account).")
@click.option("--role-arn", "role_chain", multiple=True, help="Read through this IAM role (with --from-account).")
def export(
    output_format: str,
    controls: str,
    notify: tuple[str, ...],
    log_group: str | None,
    topic_arn: str | None,
    namespace: str,
    cis_version: str,
    output_file: str | None,
    from_account: bool,
    profile: str | None,
    regions: tuple[str, ...],
    endpoint_url: str | None,
    role_chain: tuple[str, ...],
) -> None:
    """Write the CIS monitoring resources (metric filters, alarms, SNS topic, policy, subscriptions) for deployment.

    Without --from-account no AWS call is made: every control's filter and alarm is written, on the log group
    --log-group names. With it, the account is read and only what is missing or broken is written (what works is
    listed as kept), exactly as `trailguard remediate` would plan it.

    Exit status: 0 written, 2 usage or AWS error (or, with --from-account, a control that cannot be remediated).
    """
    from trailguard.remediate import (
        RemediationError,
        RemediationRequest,
        plan_document,
        plan_from_catalog,
        render_cloudformation,
        render_script,
        render_terraform,
    )

    account_options = profile or regions or endpoint_url or role_chain
    if account_options and not from_account:
        fail("--profile, --region, --endpoint-url and --role-arn read an account: add --from-account")
    try:
        request = RemediationRequest.build(
            resolve_controls(controls, cis_version),
            notify,
            topic_arn=topic_arn,
            namespace=namespace,
            log_group_name=log_group or DEFAULT_LOG_GROUP_NAME,
        )
    except (CatalogError, RemediationError) as error:
        fail(str(error))
    if from_account:
        from trailguard.aws import AwsError, AwsOptions, AwsSession
        from trailguard.remediate import plan_account

        options = AwsOptions(
            region=regions[0] if regions else None, profile=profile, endpoint_url=endpoint_url, assume_roles=role_chain
        )
        try:
            plan, _ = plan_account(AwsSession(options), request, list(regions) or None)
        except AwsError as error:
            fail(str(error))
        if output_format in ("cloudformation", "terraform") and len(plan.regions) > 1:
            fail(
                f"the plan changes {', '.join(plan.regions)}; a {output_format} deployment targets one region: "
                "export one region at a time (--region)"
            )
        for blocker in plan.blockers:
            click.echo(f"warning: {blocker.control} in {blocker.region} is not remediated: {blocker.reason}", err=True)
    else:
        if log_group is None:
            click.echo(
                f"warning: the metric filters go on log group {DEFAULT_LOG_GROUP_NAME} (the catalog's default); it "
                "must be the log group your CloudTrail trail delivers to: pass --log-group, or set the "
                "LogGroupName parameter / log_group_name variable / LOG_GROUP_NAME when deploying",
                err=True,
            )
        plan = plan_from_catalog(request, log_group or DEFAULT_LOG_GROUP_NAME)
    if not request.notify and not from_account:
        click.echo("warning: no --notify given: the alarms notify a topic no one is subscribed to", err=True)
    if output_format == "cloudformation":
        text = render_cloudformation(plan)
    elif output_format == "terraform":
        text = render_terraform(plan)
    elif output_format == "cli":
        text = render_script(plan)
    else:
        text = json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
    if output_file is None:
        sys.stdout.write(text)
    else:
        try:
            Path(output_file).write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {output_file}: {error.strerror or error}")
    if from_account and plan.blockers:
        sys.exit(2)
