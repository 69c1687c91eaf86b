"""``trailguard audit``: the CIS monitoring controls of a real AWS account, checked link by link and by meaning."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trailguard.catalog import DEFAULT_CIS_VERSION, CatalogError, resolve_controls
from trailguard.cli.options import fail

__all__ = ["audit"]

_FORMATS = ("table", "json", "csv", "junit", "sarif", "ocsf", "asff", "html")
#: Exit status when a control is FAIL or ERROR (the convention of Prowler and other checkers).
EXIT_FAILED = 3


@click.command("audit")
@click.option("--profile", help="AWS profile (default: boto3's standard credential chain).")
@click.option("--region", "regions", multiple=True, help="Region to audit (repeatable; default: the profile's).")
@click.option("--all-regions", is_flag=True, help="Audit every region enabled for the account.")
@click.option("--endpoint-url", help="AWS endpoint for every service (also AWS_ENDPOINT_URL), e.g. a local emulator.")
@click.option(
    "--controls", default="all", show_default=True, help="Controls: all, or 4.6 / cis-4.6 / 5.6 ... (comma-separated)."
)
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option(
    "--role-arn",
    "role_chain",
    multiple=True,
    help="Audit through this IAM role (repeatable: a chain, each assumed with the previous one's credentials).",
)
@click.option(
    "--assume-role",
    "follow_roles",
    multiple=True,
    help="A role in another account (an organization trail's or a central log group's owner) to follow chains into "
    "(repeatable).",
)
@click.option("--output", "output_format", type=click.Choice(_FORMATS), default="table", show_default=True)
@click.option("--output-file", type=click.Path(dir_okay=False), help="Write the output here instead of stdout.")
@click.option(
    "--snapshot",
    "snapshot_in",
    type=click.Path(dir_okay=False),
    help="Audit a saved inventory snapshot (no AWS calls) instead of the account.",
)
@click.option("--save-snapshot", type=click.Path(dir_okay=False), help="Also save the inventory read from AWS here.")
@click.option(
    "--iam-policy",
    is_flag=True,
    help="Print the minimal IAM policy the audit needs (every action it can call, all read-only) and exit.",
)
def audit(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    endpoint_url: str | None,
    controls: str,
    cis_version: str,
    role_chain: tuple[str, ...],
    follow_roles: tuple[str, ...],
    output_format: str,
    output_file: str | None,
    snapshot_in: str | None,
    save_snapshot: str | None,
    iam_policy: bool,
) -> None:
    """Check the CIS monitoring controls (log metric filter, alarm and notification) of an AWS account.

    Each control is followed link by link — trail, log group, metric filter, alarm, SNS topic, confirmed
    subscription — joined by ARN in the regions the ARNs name. A filter passes when its pattern counts every
    event the control requires (decided by meaning, with a witness event when it does not); an alarm passes
    when a simulation shows one required event makes it fire and notify.

    Exit status: 0 no control failed (MANUAL ones need a person), 3 a control is FAIL or ERROR, 2 usage or
    credential error. Only Describe/Get/List calls are made (the README lists the IAM policy).
    """
    if iam_policy:
        import json

        from trailguard.aws.permissions import minimal_iam_policy

        click.echo(json.dumps(minimal_iam_policy(), indent=2))
        return
    try:
        chosen = resolve_controls(controls, cis_version)
    except CatalogError as error:
        fail(str(error))
    if regions and all_regions:
        fail("give --region or --all-regions, not both")
    # Imported here: boto3 and the audit take a moment to import, and other commands never need them.
    from trailguard.audit.findings import audit_document

    # The snapshot module needs no boto3; the AWS session does (imported only to read an account).
    from trailguard.aws.snapshot import SnapshotError, load_snapshot
    from trailguard.aws.snapshot import save_snapshot as write_snapshot

    if snapshot_in is not None:
        try:
            snapshot = load_snapshot(Path(snapshot_in))
        except (OSError, SnapshotError) as error:
            fail(f"cannot read the snapshot {snapshot_in}: {error}")
    else:
        from trailguard.aws import AwsError, AwsOptions, AwsSession, collect_inventory

        try:
            session = AwsSession(
                AwsOptions(
                    region=regions[0] if regions else None,
                    profile=profile,
                    endpoint_url=endpoint_url,
                    assume_roles=role_chain,
                )
            )
            follow = [session.assume(role) for role in follow_roles]
            snapshot = collect_inventory(session, regions=list(regions) or None, all_regions=all_regions, follow=follow)
        except AwsError as error:
            fail(str(error))
        if save_snapshot is not None:
            try:
                write_snapshot(snapshot, Path(save_snapshot))
            except OSError as error:
                fail(f"cannot write the snapshot {save_snapshot}: {error.strerror or error}")
    document = audit_document(snapshot, chosen)
    _write(document, output_format, output_file)
    failed = document["summary"]["FAIL"] + document["summary"]["ERROR"]
    sys.exit(EXIT_FAILED if failed else 0)


def _write(document: dict[str, object], output_format: str, output_file: str | None) -> None:
    from trailguard.report import print_table, render_audit

    if output_format == "table" and output_file is None:
        print_table(document)
        return
    rendered = render_audit(document, output_format)
    if output_file is None:
        if isinstance(rendered, bytes):
            sys.stdout.buffer.write(rendered)
        else:
            sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    try:
        data = rendered if isinstance(rendered, bytes) else rendered.encode("utf-8")
        Path(output_file).write_bytes(data)
    except OSError as error:
        fail(f"cannot write {output_file}: {error.strerror or error}")
