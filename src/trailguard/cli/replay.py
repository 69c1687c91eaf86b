"""``trailguard replay``: back-test metric filters and alarms over archived CloudTrail, in event time."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from trailguard.cli.log_groups import monitors_for_sources
from trailguard.cli.options import aws_source_options, fail, monitor_options, parse_time
from trailguard.cli.replay_report import (
    InputSummary,
    check_output_file,
    nothing_usable,
    print_warnings,
    write_partition_reports,
    write_report,
)
from trailguard.engine.replay import Replay
from trailguard.scale import ReplayPlan, RunOutcome, run_replay
from trailguard.scale.feed import PartitionKey
from trailguard.scale.run import WorkerLostError, usable_cores
from trailguard.sources import (
    AwsOptions,
    Quarantine,
    QuarantineError,
    SourceError,
    SourceStats,
    measure_sources,
)

DEFAULT_QUARANTINE = "trailguard-quarantine.jsonl"


@click.command("replay")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@monitor_options()
@click.option("--from", "from_text", help="Ignore events before this time (ISO 8601 or epoch ms).")
@click.option("--to", "to_text", help="Ignore events from this time on, and stop evaluating alarms there.")
@click.option(
    "--output", "output_format", type=click.Choice(["text", "json", "html"]), default="text", show_default=True
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the report to this file instead of standard output (required with --output html).",
)
@click.option("--verbose", is_flag=True, help="List every transition in the text report, not only the first ones.")
@aws_source_options(
    profile_help="AWS profile for S3/CloudWatch Logs sources.",
    local_sources="file, standard-input and S3",
)
@click.option(
    "--quarantine",
    "quarantine_path",
    default=DEFAULT_QUARANTINE,
    show_default=True,
    help="Where records that cannot be used are written (JSON lines); created only when something is set aside.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--notify", is_flag=True, help="Deliver the notifications through the configuration's subscriptions.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False), help="--notify: the outbox file to keep.")
@click.option("--no-context", is_flag=True, help="--notify: leave out the trailguard block of events behind alarms.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes reading the input in chunks (default: the cores this process may use); 1 reads it "
    "in this process. Results are identical whatever the number.",
)
@click.option(
    "--feed",
    type=click.Choice(["fast", "full"]),
    default="fast",
    show_default=True,
    help="fast: decode only what the filters read, wherever the same results are proven; full: parse every "
    "record (the reference path; results are identical).",
)
@click.option("--ray", "use_ray", is_flag=True, help="Run the chunks as Ray tasks (pip install 'trailguard[ray]').")
@click.option(
    "--ray-address",
    help="--ray: the cluster to connect to (default: RAY_ADDRESS, else a Ray started on this machine).",
)
@click.option("--by-account", is_flag=True, help="Separate metrics and alarms per account (recipientAccountId).")
@click.option("--by-region", is_flag=True, help="Separate metrics and alarms per region (awsRegion).")
def replay(
    sources: tuple[str, ...],
    config_path: str | None,
    cis_ids: str | None,
    cis_version: str,
    from_text: str | None,
    to_text: str | None,
    output_format: str,
    output_file: str | None,
    verbose: bool,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    account_id: str | None,
    log_group: str | None,
    quarantine_path: str,
    progress: bool | None,
    notify: bool,
    state_path: str | None,
    no_context: bool,
    jobs: int | None,
    feed: str,
    use_ray: bool,
    ray_address: str | None,
    by_account: bool,
    by_region: bool,
) -> None:
    """Replay CloudTrail through metric filters and alarms, with CloudWatch's semantics, in event time.

    SOURCE is a CloudTrail file or folder (.json, .json.gz, {"Records": [...]}, arrays, JSON lines;
    folders recursively), - for standard input, s3://BUCKET/PREFIX, or logs://LOG_GROUP. Each record
    becomes one log event at its eventTime. Without --config, the CIS 4.6 monitor (console
    authentication failures) runs.

    With --notify, each notification is then delivered to the subscriptions of its topics (email, http/https,
    sqs, sns, slack, webhook, file, stdout) through an outbox (a temporary file, or --state FILE), retries
    included, and a delivery summary is printed.

    Inputs are read by --jobs worker processes (every usable core by default), or by Ray tasks with --ray (the
    cluster named by --ray-address or RAY_ADDRESS, else a Ray started here; S3 objects are then read by the
    tasks themselves). With --by-account and/or --by-region, each account and/or region gets its own metrics
    and alarms, as if each had its own log group with the same monitors (a report per partition; not with
    --output html, whose page shows one replay).

    Exit status: 0 success, 2 usage, configuration or source error, nothing usable in the input (everything
    read was set aside), or (--notify) notifications left in the dead-letter list; 130 interrupted, 141 output
    pipe closed.
    """
    check_output_file(output_file, output_format)
    start_ms = parse_time(from_text, "--from")
    end_ms = parse_time(to_text, "--to")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        fail("--to must be later than --from")
    config, source_groups = monitors_for_sources(
        sources,
        config_path,
        cis_ids,
        cis_version,
        region=region,
        account_id=account_id,
        log_group=log_group,
        doing="replay",
    )
    partition_by = tuple(name for name, chosen in (("account", by_account), ("region", by_region)) if chosen)
    if partition_by and output_format == "html":
        fail("--output html shows one replay: use --output text or json with --by-account or --by-region")
    engine_type: type[Replay] = Replay
    if notify:
        # Delivery brings in SMTP, HTTP and AWS clients: imported only when asked for.
        from trailguard.cli.replay_notify import check_notify_options
        from trailguard.notify.evidence import EvidenceReplay

        check_notify_options(config, output_format)
        if partition_by:
            fail("--notify cannot be combined with --by-account or --by-region")
        if not no_context:
            engine_type = EvidenceReplay
    if (ray_address is not None) and not use_ray:
        fail("--ray-address needs --ray")
    if use_ray and importlib.util.find_spec("ray") is None:  # the optional extra, imported only when used
        fail("--ray needs Ray: pip install 'trailguard[ray]'")
    plan = ReplayPlan(
        tuple(config.metric_filters),
        tuple(config.alarms),
        region=region or config.region,
        account_id=account_id or config.account_id,
        start_ms=start_ms,
        end_ms=end_ms,
        fast=feed == "fast",
        partition_by=partition_by,
        evidence=notify and not no_context,
    )

    def make_replay() -> Replay:
        return engine_type(
            plan.filters,
            plan.alarms,
            region=plan.region,
            account_id=plan.account_id,
            start_ms=plan.start_ms,
            end_ms=plan.end_ms,
        )

    aws = AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)
    show_progress = sys.stderr.isatty() if progress is None else progress
    stats = SourceStats()
    try:
        with Quarantine(Path(quarantine_path)) as quarantine:
            outcome = _feed(
                plan, make_replay, source_groups, quarantine, aws, stats, show_progress, jobs, use_ray, ray_address
            )
    except (SourceError, QuarantineError, WorkerLostError) as error:
        fail(str(error))
    print_warnings(stats)
    if outcome.rerun is not None:
        click.echo(f"note: the replay was run again in one process, for identical results: {outcome.rerun}", err=True)
    summary = InputSummary(sources, stats, quarantine, quarantine_path)
    if partition_by:
        # Finished one at a time as they are written: each partition's alarm histories can be large.
        reports = (
            (dict(zip(partition_by, key, strict=True)), replay.finish())
            for key, replay in sorted(outcome.replays.items(), key=lambda item: _partition_order(item[0]))
        )
        nothing_read = make_replay().finish() if not outcome.replays else None
        write_partition_reports(
            reports, nothing_read, summary, output_format=output_format, output_file=output_file, verbose=verbose
        )
        _fail_if_nothing_usable(summary)
        return
    engine = outcome.replays.get(()) or make_replay()  # none when nothing was read: alarms still evaluate
    result = engine.finish()
    write_report(result, summary, output_format=output_format, output_file=output_file, verbose=verbose)
    _fail_if_nothing_usable(summary)
    if notify:
        from trailguard.cli.replay_notify import notify_after_replay
        from trailguard.notify.evidence import EvidenceReplay

        evidence = engine.evidence if isinstance(engine, EvidenceReplay) else None
        sys.exit(
            notify_after_replay(
                result,
                config,
                evidence=evidence,
                state_path=state_path,
                output_format=output_format,
                endpoint_url=endpoint_url,
                profile=profile,
            )
        )


def _fail_if_nothing_usable(summary: InputSummary) -> None:
    problem = nothing_usable(summary)
    if problem is not None:
        fail(problem)


def _feed(
    plan: ReplayPlan,
    make_replay: Callable[[], Replay],
    sources: list[tuple[str, str]],
    quarantine: Quarantine,
    aws: AwsOptions,
    stats: SourceStats,
    show: bool,
    jobs: int | None,
    use_ray: bool,
    ray_address: str | None,
) -> RunOutcome:
    executor = None
    workers = jobs if jobs is not None else usable_cores()
    if use_ray:
        from trailguard.scale.ray_run import RayConnectionError, connect, ray_executor

        try:
            cluster_cpus = connect(ray_address)
        except RayConnectionError as error:
            fail(str(error))
        workers = jobs if jobs is not None else cluster_cpus
        executor = ray_executor(ray_address)
    if not show:
        return run_replay(
            plan, sources, quarantine, aws, stats, make_replay=make_replay, jobs=workers, executor=executor
        )
    totals = measure_sources([source for source, _ in sources], aws=aws)
    with _progress_bar() as (bar, task):
        bar.update(task, total=totals.bytes if totals.complete and totals.bytes else None)

        def update(seen: SourceStats) -> None:
            bar.update(task, completed=seen.bytes_read, files=seen.files_read, events=seen.events)

        outcome = run_replay(
            plan,
            sources,
            quarantine,
            aws,
            stats,
            make_replay=make_replay,
            jobs=workers,
            executor=executor,
            progress=update,
        )
        update(stats)
    return outcome


def _partition_order(key: PartitionKey) -> tuple[tuple[bool, str], ...]:
    """Partitions in key order, the partition of records lacking the field (None) after the others."""
    return tuple((value is None, value or "") for value in key)


@contextmanager
def _progress_bar() -> Iterator[tuple[Progress, TaskID]]:
    progress = Progress(
        TextColumn("[bold]replay"),
        BarColumn(),
        TextColumn("{task.fields[files]:,} files"),
        TextColumn("{task.fields[events]:,} events"),
        _EventRateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("replay", total=None, files=0, events=0)
        yield progress, task


class _EventRateColumn(ProgressColumn):
    """Events per second since the start (the bar's own speed is in bytes)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.fields.get("events", 0) / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} events/s")
