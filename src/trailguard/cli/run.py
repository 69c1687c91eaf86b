"""``trailguard run``: live monitoring of folders, standard input, S3 and CloudWatch Logs, until stopped."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from trailguard.cli.log_groups import monitors_for_sources
from trailguard.cli.options import aws_source_options, fail, monitor_options
from trailguard.live import (
    STATE_FILE_NAME,
    ClockError,
    DeliveryWorker,
    FollowedSource,
    LiveMetrics,
    LiveMonitor,
    LiveRunner,
    LiveState,
    LiveStateError,
    RunnerSettings,
    clock_from_environment,
    configure_logging,
    default_state_dir,
)
from trailguard.live.clock import TEST_CLOCK_VARIABLE
from trailguard.live.logs import LOG_FORMATS, fields
from trailguard.model import Configuration
from trailguard.notify import Outbox, OutboxError, default_deliverers
from trailguard.sources import AwsOptions, Quarantine, QuarantineError, SourceError
from trailguard.sources.files import STDIN, check_path
from trailguard.sources.follow import FolderFollower, Follower, StdinFollower
from trailguard.sources.follow_logs import LogsFollower
from trailguard.sources.follow_s3 import S3Follower
from trailguard.sources.s3 import S3_SCHEME

__all__ = ["run"]

EXIT_INTERRUPTED = 130
_log = logging.getLogger("trailguard.live")


@click.command("run")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@monitor_options()
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False),
    help="Folder of the state (datapoints, alarms, checkpoints, outbox); default: the user state folder.",
)
@click.option("--metrics-port", type=click.IntRange(0, 65535), help="Serve Prometheus metrics on this port.")
@click.option("--metrics-address", default="127.0.0.1", show_default=True, help="Address the metrics are served on.")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default="text", show_default=True)
@click.option("--verbose", is_flag=True, help="Log every committed batch too.")
@aws_source_options(
    profile_help="AWS profile for S3/CloudWatch Logs sources and sqs/sns subscriptions.",
    local_sources="folder, standard-input and S3",
)
@click.option(
    "--quarantine", "quarantine_path", help="Where set-aside records are appended (default: STATE/quarantine.jsonl)."
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(0.1),
    default=30.0,
    show_default=True,
    help="Seconds between S3/CloudWatch Logs polls (and folder walks when notifications are unavailable).",
)
@click.option(
    "--settle",
    type=click.FloatRange(0.0),
    default=2.0,
    show_default=True,
    help="Seconds a new file must stay unchanged before it is read.",
)
@click.option(
    "--health-every", type=click.FloatRange(1.0), default=300.0, show_default=True, help="Seconds between health lines."
)
@click.option("--no-context", is_flag=True, help="Leave out the trailguard block of events behind alarms.")
def run(
    sources: tuple[str, ...],
    config_path: str | None,
    cis_ids: str | None,
    cis_version: str,
    state_dir: str | None,
    metrics_port: int | None,
    metrics_address: str,
    log_format: str,
    verbose: bool,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    account_id: str | None,
    log_group: str | None,
    quarantine_path: str | None,
    poll_interval: float,
    settle: float,
    health_every: float,
    no_context: bool,
) -> None:
    """Monitor CloudTrail as it arrives: metric filters, alarms evaluated every minute, notifications delivered.

    SOURCE is a folder watched for new CloudTrail files (recursively), - for records arriving on standard input
    (JSON lines), s3://BUCKET/PREFIX polled for new objects, or logs://LOG_GROUP[?stream=PREFIX] polled with
    FilterLogEvents. Without --config, the CIS 4.6 monitor (console authentication failures) runs.

    Everything is kept in the state folder (--state): datapoints, alarm states and history, where each source
    stopped, the notification outbox. A restart continues where the last run stopped: no event counted twice, none
    missed, no notification lost. `trailguard alarms`, `trailguard history` and `trailguard outbox` read it.

    Logs go to standard error (--log-format json: one JSON object per line), with a health line every
    --health-every seconds. SIGTERM stops cleanly (exit 0), Ctrl-C too (exit 130): the batch in progress is
    committed first. Exit status 2: usage, configuration, source or state error (a full disk, a read-only state
    folder: what was committed stays, and the next start continues from it).
    """
    logger = configure_logging(log_format, level=logging.DEBUG if verbose else logging.INFO)
    # The runner reports dead letters itself, with their fields.
    logging.getLogger("trailguard.notify.outbox").setLevel(logging.ERROR)
    try:
        clock = clock_from_environment()
    except ClockError as error:
        fail(str(error))
    if os.environ.get(TEST_CLOCK_VARIABLE):
        logger.warning("test hook: the clock follows %s=%s", TEST_CLOCK_VARIABLE, os.environ[TEST_CLOCK_VARIABLE])
    if sources.count(STDIN) > 1:
        fail("- (standard input) can be given only once")
    config, source_groups = monitors_for_sources(
        sources,
        config_path,
        cis_ids,
        cis_version,
        region=region,
        account_id=account_id,
        log_group=log_group,
        doing="monitor",
    )
    folder = Path(state_dir) if state_dir is not None else default_state_dir()
    region = region or config.region
    account_id = account_id or config.account_id
    aws = AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)
    quarantine_file = Path(quarantine_path) if quarantine_path else folder / "quarantine.jsonl"
    status = 0
    with _state_folder(folder):
        try:
            status = _run(
                config,
                source_groups,
                folder,
                quarantine_file,
                aws,
                clock,
                region=region,
                account_id=account_id,
                metrics_port=metrics_port,
                metrics_address=metrics_address,
                poll_interval=poll_interval,
                settle=settle,
                health_every=health_every,
                with_context=not no_context,
            )
        except (LiveStateError, OutboxError, SourceError, QuarantineError, ClockError) as error:
            _log.error(
                "stopped by an error; what was committed is kept, and the next start continues from it",
                extra=fields(error=str(error)),
            )
            fail(str(error))
    sys.exit(status)


@contextmanager
def _state_folder(folder: Path) -> Iterator[None]:
    """Create the state folder and hold its lock: one ``trailguard run`` per state folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / "run.lock", "a+")  # noqa: SIM115 - held for the whole run
    except OSError as error:
        fail(f"cannot use the state folder {folder}: {error.strerror or error}")
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            fail(f"the state folder {folder} is in use by another trailguard run (pid {holder})")
        try:
            lock.seek(0)
            lock.truncate()
            lock.write(f"{os.getpid()}\n")
            lock.flush()
        except OSError:
            pass  # a full disk: the lock itself still holds
        yield
    finally:
        lock.close()


def _followers(
    sources: list[tuple[str, str]],
    quarantine: Quarantine,
    quarantine_file: Path,
    aws: AwsOptions,
    *,
    state_folder: Path,
    poll_interval: float,
    settle: float,
) -> list[FollowedSource]:
    out: list[FollowedSource] = []
    for source, group in sources:
        follower: Follower
        if source == STDIN:
            check_path(source, quarantine)
            follower = StdinFollower(quarantine_file)
        elif source.startswith(S3_SCHEME):
            follower = S3Follower(source, quarantine, aws=aws, poll_seconds=poll_interval)
        elif source.startswith("logs://"):
            follower = LogsFollower(source, quarantine, aws=aws, poll_seconds=poll_interval)
        else:
            check_path(source, quarantine)
            if not os.path.isdir(source):
                raise SourceError(
                    f"{source}: trailguard run follows folders (and -, s3://, logs://); give the folder this file is "
                    "in, or read the file with trailguard replay"
                )
            follower = FolderFollower(
                source, quarantine, settle_seconds=settle, poll_seconds=poll_interval, exclude=[str(state_folder)]
            )
        out.append(FollowedSource(follower, group))
    keys = [s.follower.key for s in out]
    for key in set(keys):
        if keys.count(key) > 1:
            raise SourceError(f"{key}: given more than once")
    return out


def _run(
    config: Configuration,
    source_groups: list[tuple[str, str]],
    folder: Path,
    quarantine_file: Path,
    aws: AwsOptions,
    clock: Any,
    *,
    region: str,
    account_id: str,
    metrics_port: int | None,
    metrics_address: str,
    poll_interval: float,
    settle: float,
    health_every: float,
    with_context: bool,
) -> int:
    path = folder / STATE_FILE_NAME
    deliverers = default_deliverers(smtp=config.smtp, aws_endpoint_url=aws.endpoint_url, aws_profile=aws.profile)
    stop = threading.Event()
    received: list[int] = []
    metrics = LiveMetrics() if metrics_port is not None else None
    with Quarantine(quarantine_file, append=True) as quarantine, Outbox(path, clock=clock.now_ms) as outbox:
        state = LiveState(outbox.connection, path)
        followed = _followers(
            source_groups,
            quarantine,
            quarantine_file,
            aws,
            state_folder=folder,
            poll_interval=poll_interval,
            settle=settle,
        )
        now = clock.now_ms()
        with state.transaction() as db:
            meta = state.meta()
            values = {"region": region, "accountId": account_id}
            if "firstStartMs" not in meta:
                values["firstStartMs"] = str(now)
            LiveState.set_meta(db, values)
        monitor = LiveMonitor(
            config,
            state,
            outbox,
            quarantine,
            region=region,
            account_id=account_id,
            now_ms=now,
            with_context=with_context,
        )
        delivery = DeliveryWorker(path, deliverers, clock, metrics=metrics)
        runner = LiveRunner(
            monitor,
            followed,
            delivery,
            clock,
            quarantine,
            metrics=metrics,
            settings=RunnerSettings(health_every_ms=int(health_every * 1000)),
        )
        port = None
        if metrics is not None:
            try:
                port = metrics.serve(metrics_port or 0, metrics_address)
            except OSError as error:
                fail(f"cannot serve metrics on {metrics_address}:{metrics_port}: {error.strerror or error}")
        _log.info(
            "started",
            extra=fields(
                state=str(path),
                sources=[s.follower.key for s in followed],
                alarms=len(config.alarms),
                metric_filters=len(config.metric_filters),
                metrics_port=port,
                pid=os.getpid(),
            ),
        )
        with _stop_on_signals(stop, received, runner.wake):
            try:
                runner.run(stop)
            finally:
                if metrics is not None:
                    metrics.close()
    if received and received[0] == signal.SIGINT:
        return EXIT_INTERRUPTED
    return 0


@contextmanager
def _stop_on_signals(stop: threading.Event, received: list[int], wake: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM ask the loop to stop after the batch in progress; a second SIGINT stops at once."""

    def ask(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()
        wake.set()
        _log.info("stopping: finishing the batch in progress", extra=fields(signal=signal.Signals(signum).name))

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
