"""Shared pieces of the command line: choosing monitors, reading times, failing cleanly."""

from __future__ import annotations

import sys
from typing import NoReturn

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

__all__ = ["fail", "load_monitors", "parse_time"]


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
