"""``trailguard replay``: back-test metric filters and alarms over archived CloudTrail, in event time."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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

from trailguard.catalog import DEFAULT_CIS_VERSION
from trailguard.cli.options import fail, load_monitors, parse_time
from trailguard.cli.replay_report import (
    InputSummary,
    check_output_file,
    nothing_usable,
    print_warnings,
    write_report,
)
from trailguard.engine.replay import Replay
from trailguard.model import Configuration
from trailguard.pattern import LogEvent
from trailguard.sources import (
    AwsOptions,
    Quarantine,
    QuarantineError,
    SourceError,
    SourceStats,
    measure_sources,
    read_sources,
)
from trailguard.sources.cwlogs import LOGS_SCHEME, parse_logs_url

DEFAULT_QUARANTINE = "trailguard-quarantine.jsonl"
_PROGRESS_EVERY = 2048  # events between progress refreshes: cheap enough for the hot loop


@click.command("replay")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Monitor configuration (YAML or JSON).")
@click.option("--cis", "cis_ids", help='CIS controls to run: "4.6", "4.1,4.3" or "all" (default: 4.6).')
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
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
@click.option("--region", help="AWS region for S3/CloudWatch Logs sources, and of the alarms (default us-east-1).")
@click.option("--profile", help="AWS profile for S3/CloudWatch Logs sources.")
@click.option("--endpoint-url", help="AWS endpoint URL (e.g. a local emulator).")
@click.option("--account-id", help="Account id in alarm ARNs and notifications (default 123456789012).")
@click.option(
    "--log-group",
    help="The log group that file, standard-input and S3 sources stand for (default: the configuration's only "
    "log group; logs:// sources are their own group). A metric filter sees only its log group's events.",
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
) -> None:
    """Replay CloudTrail through metric filters and alarms, with CloudWatch's semantics, in event time.

    SOURCE is a CloudTrail file or folder (.json, .json.gz, {"Records": [...]}, arrays, JSON lines;
    folders recursively), - for standard input, s3://BUCKET/PREFIX, or logs://LOG_GROUP. Each record
    becomes one log event at its eventTime. Without --config, the CIS 4.6 monitor (console
    authentication failures) runs.

    With --notify, each notification is then delivered to the subscriptions of its topics (email, http/https,
    sqs, sns, slack, webhook, file, stdout) through an outbox (a temporary file, or --state FILE), retries
    included, and a delivery summary is printed.

    Exit status: 0 success, 2 usage, configuration or source error, nothing usable in the input (everything
    read was set aside), or (--notify) notifications left in the dead-letter list; 130 interrupted, 141 output
    pipe closed.
    """
    check_output_file(output_file, output_format)
    start_ms = parse_time(from_text, "--from")
    end_ms = parse_time(to_text, "--to")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        fail("--to must be later than --from")
    if config_path is None and log_group is None:
        # CIS monitors belong on the trail's log group: replaying one log group, that is the one.
        groups = {_logs_group(source) for source in sources}
        if len(groups) == 1 and None not in groups:
            log_group = groups.pop()
    config = load_monitors(config_path, cis_ids, cis_version, region=region, account_id=account_id, log_group=log_group)
    if not config.metric_filters:
        fail("the configuration defines no metric filters: nothing to replay")
    source_groups = _log_groups_of(sources, config, log_group)
    engine_type: type[Replay] = Replay
    if notify:
        # Delivery brings in SMTP, HTTP and AWS clients: imported only when asked for.
        from trailguard.cli.replay_notify import check_notify_options
        from trailguard.notify.evidence import EvidenceReplay

        check_notify_options(config, output_format)
        if not no_context:
            engine_type = EvidenceReplay
    engine = engine_type(
        config.metric_filters,
        config.alarms,
        region=region or config.region,
        account_id=account_id or config.account_id,
        start_ms=start_ms,
        end_ms=end_ms,
    )
    aws = AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)
    show_progress = sys.stderr.isatty() if progress is None else progress
    stats = SourceStats()
    try:
        with Quarantine(Path(quarantine_path)) as quarantine:
            _feed(engine, source_groups, quarantine, aws, stats, show_progress)
    except (SourceError, QuarantineError) as error:
        fail(str(error))
    print_warnings(stats)
    result = engine.finish()
    summary = InputSummary(sources, stats, quarantine, quarantine_path)
    write_report(result, summary, output_format=output_format, output_file=output_file, verbose=verbose)
    problem = nothing_usable(summary)
    if problem is not None:
        fail(problem)
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


def _logs_group(source: str) -> str | None:
    """The log group of a ``logs://`` source, None for other sources."""
    if not source.startswith(LOGS_SCHEME):
        return None
    try:
        return parse_logs_url(source).group
    except SourceError as error:
        fail(str(error))


def _log_groups_of(sources: tuple[str, ...], config: Configuration, log_group: str | None) -> list[tuple[str, str]]:
    """Each source with the log group its events belong to (see the --log-group help)."""
    groups = list(dict.fromkeys(f.log_group_name for f in config.metric_filters))
    needs_group = any(not source.startswith(LOGS_SCHEME) for source in sources)
    if log_group is None and needs_group:
        if len(groups) > 1:
            fail(
                f"the configuration's metric filters are on {len(groups)} log groups ({', '.join(groups)}); "
                "say which one the file, standard-input and S3 sources belong to with --log-group"
            )
        log_group = groups[0]
    if log_group is not None and needs_group and log_group not in groups:
        fail(
            f"--log-group {log_group}: no metric filter of the configuration is on that log group "
            f"(they are on {', '.join(groups)}), so nothing could match"
        )
    out: list[tuple[str, str]] = []
    for source in sources:
        group = _logs_group(source)
        if group is not None:
            if group not in groups:
                click.echo(
                    f"warning: {source}: no metric filter of the configuration is on log group {group}", err=True
                )
            out.append((source, group))
        else:
            assert log_group is not None
            out.append((source, log_group))
    return out


def _feed(
    engine: Replay,
    sources: list[tuple[str, str]],
    quarantine: Quarantine,
    aws: AwsOptions,
    stats: SourceStats,
    show: bool,
) -> None:
    # Every source string is checked before anything is read.
    streams = [(group, read_sources([source], quarantine, aws=aws, stats=stats)) for source, group in sources]
    if not show:
        for group, events in streams:
            for event in events:
                engine.add(LogEvent(event.message, parsed=event.record), event.timestamp_ms, group)  # type: ignore[arg-type]
        return
    totals = measure_sources([source for source, _ in sources], aws=aws)
    with _progress_bar() as (bar, task):
        bar.update(task, total=totals.bytes if totals.complete and totals.bytes else None)
        count = 0
        for group, events in streams:
            for event in events:
                engine.add(LogEvent(event.message, parsed=event.record), event.timestamp_ms, group)  # type: ignore[arg-type]
                count += 1
                if count % _PROGRESS_EVERY == 0:
                    bar.update(task, completed=stats.bytes_read, files=stats.files_read, events=stats.events)
        bar.update(task, completed=stats.bytes_read, files=stats.files_read, events=stats.events)


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
