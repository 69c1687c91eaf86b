"""Which log group each source's events belong to, for the commands that read sources (``replay``, ``run``).

A metric filter sees only the events of its own log group. A ``logs://`` source is its own log group; files,
folders, standard input and S3 stand for the one ``--log-group`` names, or the configuration's only one.
"""

from __future__ import annotations

import click

from trailguard.cli.options import fail, load_monitors
from trailguard.model import Configuration
from trailguard.sources import SourceError
from trailguard.sources.cwlogs import LOGS_SCHEME, parse_logs_url

__all__ = ["logs_source_group", "monitors_for_sources", "single_logs_group", "source_log_groups"]


def monitors_for_sources(
    sources: tuple[str, ...],
    config_path: str | None,
    cis_ids: str | None,
    cis_version: str,
    *,
    region: str | None,
    account_id: str | None,
    log_group: str | None,
    doing: str,
) -> tuple[Configuration, list[tuple[str, str]]]:
    """The monitors a command runs over ``sources``, and each source with its log group. CIS monitors belong on
    the trail's log group: reading one ``logs://`` group and no ``--log-group``, that is the one. ``doing`` ends
    the error for a configuration without metric filters ("nothing to replay")."""
    if config_path is None and log_group is None:
        log_group = single_logs_group(sources)
    config = load_monitors(config_path, cis_ids, cis_version, region=region, account_id=account_id, log_group=log_group)
    if not config.metric_filters:
        fail(f"the configuration defines no metric filters: nothing to {doing}")
    return config, source_log_groups(sources, config, log_group)


def logs_source_group(source: str) -> str | None:
    """The log group of a ``logs://`` source, None for other sources (a malformed one fails the command)."""
    if not source.startswith(LOGS_SCHEME):
        return None
    try:
        return parse_logs_url(source).group
    except SourceError as error:
        fail(str(error))


def single_logs_group(sources: tuple[str, ...]) -> str | None:
    """The log group when every source is a ``logs://`` source of the same one, else None: CIS monitors, which
    belong on the trail's log group, are then put on it."""
    groups = {logs_source_group(source) for source in sources}
    if len(groups) == 1 and None not in groups:
        return groups.pop()
    return None


def source_log_groups(sources: tuple[str, ...], config: Configuration, log_group: str | None) -> list[tuple[str, str]]:
    """Each source with the log group its events belong to (``log_group``: the ``--log-group`` option)."""
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
        group = logs_source_group(source)
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
