"""Shared pieces of the command line: choosing monitors, reading times, failing cleanly."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from typing import NoReturn

import click

from trailguard.catalog import DEFAULT_CIS_VERSION, CatalogError, cis_configuration
from trailguard.model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_LOG_GROUP_NAME,
    DEFAULT_REGION,
    ConfigError,
    Configuration,
    load_config,
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
            config = load_config(config_path)
        except ConfigError as error:
            fail(f"invalid configuration:\n{_indent(str(error))}")
        except OSError as error:
            fail(f"cannot read {config_path}: {error.strerror or error}")
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
    """ISO 8601 (``2021-07-29T12:00:00Z``, ``2021-07-29 12:00``, ``2021-07-29``) or epoch ms -> epoch ms."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    try:
        if len(stripped) == 10:
            moment = datetime.combine(date.fromisoformat(stripped), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        fail(f"{option} {text!r} is not a time; use ISO 8601 such as 2021-07-29T12:00:00Z, or epoch milliseconds")
    return int(moment.timestamp() * 1000)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
