"""Shared pieces of the command line: choosing monitors, reading times, failing cleanly."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from trailguard.catalog import DEFAULT_CIS_VERSION, CatalogError, cis_configuration
from trailguard.cli.config_file import ConfigFileProblem, read_config
from trailguard.model import DEFAULT_ACCOUNT_ID, DEFAULT_LOG_GROUP_NAME, DEFAULT_REGION, ConfigError, Configuration
from trailguard.sources.event_time import (
    LATEST_EVENT_TIME_MS,
    SUPPORTED_RANGE_TEXT,
    in_supported_range,
    parse_iso_time,
)

__all__ = ["aws_source_options", "fail", "load_monitors", "monitor_options", "parse_time"]

_Command = TypeVar("_Command", bound=Callable[..., Any])


def _options(*decorators: Callable[[_Command], _Command]) -> Callable[[_Command], _Command]:
    """The decorators applied in the order written, so that ``--help`` lists them in that order."""

    def apply(command: _Command) -> _Command:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def monitor_options() -> Callable[[_Command], _Command]:
    """``--config``, ``--cis`` and ``--cis-version``: the monitors a replay or a live run evaluates."""
    return _options(
        click.option(
            "--config", "config_path", type=click.Path(dir_okay=False), help="Monitor configuration (YAML or JSON)."
        ),
        click.option("--cis", "cis_ids", help='CIS controls to run: "4.6", "4.1,4.3" or "all" (default: 4.6).'),
        click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version."),
    )


def aws_source_options(*, profile_help: str, local_sources: str) -> Callable[[_Command], _Command]:
    """``--region``, ``--profile``, ``--endpoint-url``, ``--account-id`` and ``--log-group``: where AWS sources are
    read and in which account and log group the events count (``local_sources`` names the sources that stand for
    one log group, as the command's help says them)."""
    return _options(
        click.option(
            "--region", help="AWS region for S3/CloudWatch Logs sources, and of the alarms (default us-east-1)."
        ),
        click.option("--profile", help=profile_help),
        click.option("--endpoint-url", help="AWS endpoint URL (e.g. a local emulator)."),
        click.option("--account-id", help="Account id in alarm ARNs and notifications (default 123456789012)."),
        click.option(
            "--log-group",
            help=f"The log group that {local_sources} sources stand for (default: the configuration's only log "
            "group; logs:// sources are their own group). A metric filter sees only its log group's events.",
        ),
    )


def fail(message: str, status: int = 2) -> NoReturn:
    """Print ``error: message`` on stderr and exit (2: usage, configuration or input error)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def load_monitors(
    config_path: str | None,
    cis_ids: str | None,
    cis_version: str,
    *,
    region: str | None = None,
    account_id: str | None = None,
    log_group: str | None = None,
) -> Configuration:
    """The monitors a command runs: a configuration file, or CIS controls (4.6 by default) on ``log_group``
    (the catalog's default log group when None)."""
    if config_path is not None and cis_ids is not None:
        fail("give either --config or --cis, not both")
    if config_path is not None:
        try:
            config = read_config(config_path)
        except ConfigFileProblem as problem:
            fail(str(problem) if problem.unreadable else f"invalid configuration:\n{_indent(str(problem))}")
        for warning in config.warnings:
            click.echo(str(warning), err=True)
        return config
    try:
        return cis_configuration(
            cis_ids or "4.6",
            cis_version or DEFAULT_CIS_VERSION,
            region=region or DEFAULT_REGION,
            account_id=account_id or DEFAULT_ACCOUNT_ID,
            log_group_name=log_group or DEFAULT_LOG_GROUP_NAME,
        )
    except (CatalogError, ConfigError) as error:
        fail(str(error))


def parse_time(text: str | None, option: str) -> int | None:
    """ISO 8601 (``2021-07-29T12:00:00Z``, ``2021-07-29 12:00``, ``2021-07-29``; UTC unless an offset is
    given) or epoch milliseconds (ASCII digits) -> epoch ms, within the supported event-time range."""
    if text is None:
        return None
    stripped = text.strip()
    # isdigit() alone accepts digits of every script ("１２３"), which int() would read as a number; and
    # int() refuses over 4,300 digits, far past the supported range anyway.
    if stripped.isascii() and stripped.isdigit():
        ms: int | None = int(stripped) if len(stripped) <= 20 else LATEST_EVENT_TIME_MS
    else:
        ms = parse_iso_time(stripped)
    if ms is None:
        fail(f"{option} {text!r} is not a time; use ISO 8601 such as 2021-07-29T12:00:00Z, or epoch milliseconds")
    if not in_supported_range(ms):
        fail(f"{option} {text!r} is outside the supported range of event times, {SUPPORTED_RANGE_TEXT}")
    return ms


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
