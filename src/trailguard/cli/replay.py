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
from trailguard.cli.output import StdoutConsole
from trailguard.cli.replay_report import (
    InputSummary,
    nothing_usable,
    print_warnings,
    render_text,
    write_replay_document,
)
from trailguard.engine.alarms import MetricAlarmDefinition
from trailguard.engine.metrics import MetricFilterRule
from trailguard.engine.replay import Replay, ReplayResult
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

DEFAULT_QUARANTINE = "trailguard-quarantine.jsonl"
_PROGRESS_EVERY = 2048  # events between progress refreshes: cheap enough for the hot loop


@click.command("replay")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Monitor configuration (YAML or JSON).")
@click.option("--cis", "cis_ids", help='CIS controls to run: "4.6", "4.1,4.3" or "all" (default: 4.6).')
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option("--from", "from_text", help="Ignore events before this time (ISO 8601 or epoch ms).")
@click.option("--to", "to_text", help="Ignore events from this time on, and stop evaluating alarms there.")
@click.option("--output", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--region", help="AWS region for S3/CloudWatch Logs sources, and of the alarms (default us-east-1).")
@click.option("--profile", help="AWS profile for S3/CloudWatch Logs sources.")
@click.option("--endpoint-url", help="AWS endpoint URL (e.g. a local emulator).")
@click.option("--account-id", help="Account id in alarm ARNs and notifications (default 123456789012).")
@click.option(
    "--quarantine",
    "quarantine_path",
    default=DEFAULT_QUARANTINE,
    show_default=True,
    help="Where records that cannot be used are written (JSON lines); created only when something is set aside.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
def replay(
    sources: tuple[str, ...],
    config_path: str | None,
    cis_ids: str | None,
    cis_version: str,
    from_text: str | None,
    to_text: str | None,
    output_format: str,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    account_id: str | None,
    quarantine_path: str,
    progress: bool | None,
) -> None:
    """Replay CloudTrail through metric filters and alarms, with CloudWatch's semantics, in event time.

    SOURCE is a CloudTrail file or folder (.json, .json.gz, {"Records": [...]}, arrays, JSON lines;
    folders recursively), - for standard input, s3://BUCKET/PREFIX, or logs://LOG_GROUP. Each record
    becomes one log event at its eventTime. Without --config, the CIS 4.6 monitor (console
    authentication failures) runs.

    Exit status: 0 success, 2 usage, configuration or source error, or nothing usable in the input
    (everything read was set aside), 130 interrupted, 141 output pipe closed.
    """
    start_ms = parse_time(from_text, "--from")
    end_ms = parse_time(to_text, "--to")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        fail("--to must be later than --from")
    config = load_monitors(config_path, cis_ids, cis_version, region=region, account_id=account_id)
    if not config.metric_filters:
        fail("the configuration defines no metric filters: nothing to replay")
    engine = Replay(
        [MetricFilterRule.from_api_dict(f.to_api_dict()) for f in config.metric_filters],
        [MetricAlarmDefinition.from_api_dict(a.to_api_dict()) for a in config.alarms],
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
            _feed(engine, list(sources), quarantine, aws, stats, show_progress)
    except (SourceError, QuarantineError) as error:
        fail(str(error))
    print_warnings(stats)
    result = engine.finish()
    summary = InputSummary(sources, stats, quarantine, quarantine_path)
    _print(result, summary, output_format)
    problem = nothing_usable(summary)
    if problem is not None:
        fail(problem)


def _feed(
    engine: Replay, sources: list[str], quarantine: Quarantine, aws: AwsOptions, stats: SourceStats, show: bool
) -> None:
    events = read_sources(sources, quarantine, aws=aws, stats=stats)
    if not show:
        for event in events:
            engine.add(LogEvent(event.message, parsed=event.record), event.timestamp_ms)  # type: ignore[arg-type]
        return
    totals = measure_sources(sources, aws=aws)
    with _progress_bar() as (bar, task):
        bar.update(task, total=totals.bytes if totals.complete and totals.bytes else None)
        for count, event in enumerate(events, start=1):
            engine.add(LogEvent(event.message, parsed=event.record), event.timestamp_ms)  # type: ignore[arg-type]
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


def _print(result: ReplayResult, summary: InputSummary, output_format: str) -> None:
    if output_format == "json":
        sys.stdout.flush()
        write_replay_document(sys.stdout.buffer, result, summary)
        sys.stdout.buffer.flush()
        return
    render_text(StdoutConsole(highlight=False, width=None if sys.stdout.isatty() else 160), result, summary)


class _EventRateColumn(ProgressColumn):
    """Events per second since the start (the bar's own speed is in bytes)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.fields.get("events", 0) / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} events/s")
