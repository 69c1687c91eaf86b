"""Entry point: ``trailguard`` and ``python -m trailguard``, and how every command ends.

Exit status, for every command: what the command documents (0, 1, 2, 3), and also

- 130 (128 + SIGINT) on Ctrl-C, as shells report a command interrupted by it, without a traceback or
  click's "Aborted!";
- 141 (128 + SIGPIPE) when standard output is closed by its reader (``trailguard ... | head``), silently,
  as a command killed by SIGPIPE is reported. Python ignores SIGPIPE (so that sockets report EPIPE), so
  the status is given explicitly rather than by dying from the signal.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Final

import click

from trailguard import __version__

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "cli", "main"]

EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141

#: Each command, by the module that defines it. A command's module is imported only when that command runs (or
#: help lists it): the commands between them import the engine, boto3, rich and more, and a user running one of
#: them should not wait for the others' imports.
COMMANDS: Final = {
    "test-pattern": "trailguard.cli.test_pattern:test_pattern",
    "replay": "trailguard.cli.replay:replay",
    "monitors": "trailguard.cli.monitors:monitors",
    "audit": "trailguard.cli.audit:audit",
    "remediate": "trailguard.cli.remediate:remediate",
    "export": "trailguard.cli.export:export",
    "run": "trailguard.cli.run:run",
    "alarms": "trailguard.cli.live_state:alarms",
    "history": "trailguard.cli.live_state:history",
    "outbox": "trailguard.cli.live_state:outbox",
    "report": "trailguard.cli.report:report",
}


class _Commands(click.Group):
    """A click group that ends on Ctrl-C and on a closed pipe as shells expect (see the module docstring).

    Caught here, around the command itself, because click's own handling (standalone mode) turns both into
    exit status 1, the status of "found nothing".
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise SystemExit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _discard_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trailguard")
def cli() -> None:
    """CloudWatch Logs metric filters, metrics and alarms over CloudTrail, on your own machine.

    Exit status: 0 success, 1 a check found nothing or found problems (test-pattern, monitors validate),
    2 usage, configuration or input error, 3 an audited control failed, 130 interrupted (Ctrl-C), 141 output
    pipe closed.
    """


def main() -> None:
    if sys.stderr is None:  # file descriptor 2 closed: diagnostics go nowhere, as asked
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:  # file descriptor 1 closed: the output has nowhere to go
        click.echo("error: standard output is closed", err=True)
        sys.exit(2)
    try:
        cli(prog_name="trailguard")  # standalone mode: always ends with SystemExit
        status: Any = 0
    except SystemExit as done:
        status = done.code
    # Output still buffered would otherwise be flushed at interpreter exit, where a closed pipe prints
    # "Exception ignored ... BrokenPipeError" and changes the status to 120.
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        status = EXIT_BROKEN_PIPE
    sys.exit(status)


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that nothing more fails on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor to redirect (output in memory)
        pass
