"""Entry point: ``trailguard`` and ``python -m trailguard``."""

from __future__ import annotations

import click

from trailguard import __version__
from trailguard.cli.audit import audit
from trailguard.cli.monitors import monitors
from trailguard.cli.replay import replay
from trailguard.cli.report import report
from trailguard.cli.test_pattern import test_pattern


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trailguard")
def cli() -> None:
    """CloudWatch Logs metric filters, metrics and alarms over CloudTrail, on your own machine.

    Exit status: 0 success, 1 a check found nothing or found problems (test-pattern, monitors validate),
    2 usage, configuration or input error, 3 an audited control failed.
    """


cli.add_command(test_pattern)
cli.add_command(replay)
cli.add_command(monitors)
cli.add_command(audit)
cli.add_command(report)


def main() -> None:
    cli(prog_name="trailguard")
