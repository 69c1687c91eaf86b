"""``trailguard monitors list|show|validate``: inspect the CIS catalog and configuration files."""

from __future__ import annotations

import sys

import click
import orjson
import yaml
from rich.table import Table

from trailguard.catalog import DEFAULT_CIS_VERSION, CatalogError, cis_configuration, cis_controls
from trailguard.cli.config_file import ConfigFileProblem, read_config
from trailguard.cli.options import fail
from trailguard.cli.output import StdoutConsole, write_stdout
from trailguard.model import ConfigError, Configuration


@click.group("monitors")
def monitors() -> None:
    """Inspect monitors: the built-in CIS catalog and configuration files."""


@monitors.command("list")
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="List a configuration file's monitors.")
@click.option("--output", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_monitors(cis_version: str, config_path: str | None, output_format: str) -> None:
    """List the CIS monitoring controls (or the monitors of a configuration file)."""
    if config_path is not None:
        config = _load(config_path)
        found = config.monitors()
        if output_format == "json":
            _print_json(
                [
                    {
                        "name": m.name,
                        "filter": m.metric_filter.filter_name,
                        "pattern": m.metric_filter.filter_pattern,
                        "topics": [t.topic_arn for t in m.topics],
                    }
                    for m in found
                ]
            )
            return
        table = Table("alarm", "metric filter", "pattern", "notifies")
        for m in found:
            topics = "\n".join(t.topic_arn for t in m.topics) or "-"
            table.add_row(m.name, m.metric_filter.filter_name, m.metric_filter.filter_pattern, topics)
        _console().print(table)
        return
    try:
        controls = cis_controls(cis_version)
    except CatalogError as error:
        fail(str(error))
    if output_format == "json":
        _print_json(
            [
                {
                    "id": c.id,
                    "nativeId": c.native_id,
                    "level": c.level,
                    "title": c.title,
                    "name": c.name,
                    "pattern": c.pattern,
                    "version": c.version,
                }
                for c in controls
            ]
        )
        return
    table = Table(
        "id", f"v{cis_version}", "level", "title", "monitor name", title=f"CIS AWS Foundations v{cis_version}"
    )
    for control in controls:
        table.add_row(control.id, control.native_id, f"L{control.level}", control.title, control.name)
    _console().print(table)


@monitors.command("show")
@click.argument("ids", default="4.6")
@click.option("--cis-version", default=DEFAULT_CIS_VERSION, show_default=True, help="CIS benchmark version.")
@click.option("--output", "output_format", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--account-id", default="123456789012", show_default=True)
def show(ids: str, cis_version: str, output_format: str, region: str, account_id: str) -> None:
    """Print CIS monitors (IDS: "4.6", "4.1,4.3" or "all") as a configuration file you can edit and --config."""
    try:
        config = cis_configuration(ids, cis_version, region=region, account_id=account_id)
    except (CatalogError, ConfigError) as error:
        fail(str(error))
    document = config.to_config_dict()
    if output_format == "json":
        _print_json(document)
    else:
        write_stdout(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n"))


@monitors.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check configuration files against AWS's rules and limits, before anything runs.

    Exit status: 0 all valid (warnings allowed), 1 a file has errors, 2 a file cannot be read.
    """
    invalid = 0
    for path in files:
        try:
            config = read_config(path)
        except ConfigFileProblem as problem:
            if problem.unreadable:
                fail(str(problem))
            invalid += 1
            click.echo(str(problem), err=True)
            continue
        for warning in config.warnings:
            click.echo(str(warning), err=True)
        click.echo(
            f"{path}: valid — {len(config.metric_filters)} metric filters, {len(config.alarms)} alarms, "
            f"{len(config.topics)} topics, {len(config.monitors())} monitors"
        )
    sys.exit(1 if invalid else 0)


def _load(path: str) -> Configuration:
    try:
        return read_config(path)
    except ConfigFileProblem as problem:
        fail(str(problem) if problem.unreadable else f"invalid configuration:\n{problem}")


def _console() -> StdoutConsole:
    # Tables need room: a pipe or file gets 160 columns rather than rich's default 80.
    return StdoutConsole(highlight=False, width=None if sys.stdout.isatty() else 160)


def _print_json(value: object) -> None:
    write_stdout(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
