"""``trailguard test-pattern``: TestMetricFilter, offline."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import click
import orjson

from trailguard.cli.config_file import TOO_DEEP
from trailguard.cli.output import write_stdout
from trailguard.pattern import CompiledPattern, LogEvent, PatternError, compile_pattern
from trailguard.sources.limits import MAX_TEST_MESSAGE_BYTES

# TestMetricFilter accepts 1-50 messages; locally there is no such limit, but the output shape is
# exactly TestMetricFilter's.


@dataclass(frozen=True, slots=True)
class NumberedEvent:
    number: int  # 1-based, as TestMetricFilter's eventNumber
    event: LogEvent


def _read_lines(stream: IO[bytes], name: str) -> Iterator[NumberedEvent]:
    """One event per line. A line longer than CloudWatch Logs' largest event is set aside with a warning and
    never held whole in memory (a file without newlines could otherwise be read whole as one line)."""
    number = 0
    while True:
        raw = stream.readline(MAX_TEST_MESSAGE_BYTES + 2)  # the message, and its line end ("\r\n")
        if not raw:
            return
        number += 1
        line = raw.rstrip(b"\n").rstrip(b"\r")
        if len(line) > MAX_TEST_MESSAGE_BYTES:
            if not raw.endswith(b"\n"):
                _skip_rest_of_line(stream)
            click.echo(
                f"warning: {name}: line {number}: longer than {MAX_TEST_MESSAGE_BYTES:,} bytes, the largest event "
                "CloudWatch Logs accepts, so this line was set aside",
                err=True,
            )
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            click.echo(
                f"warning: {name}: line {number}: not valid UTF-8 at byte {error.start + 1}; "
                "CloudWatch Logs accepts only UTF-8 messages, so this line was set aside",
                err=True,
            )
            continue
        yield NumberedEvent(number, LogEvent(text))


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while piece := stream.readline(MAX_TEST_MESSAGE_BYTES):
        if piece.endswith(b"\n"):
            return


def _read_cloudtrail(source: str) -> Iterator[NumberedEvent]:
    from trailguard.sources import Quarantine, SourceStats, read_paths

    quarantine = Quarantine()
    stats = SourceStats()
    records = read_paths([source], quarantine, require_event_time=False, stats=stats)
    for number, record in enumerate(records, start=1):
        yield NumberedEvent(number, LogEvent(record.message, parsed=record.record))
    for warning in stats.warnings:
        click.echo(f"warning: {warning}", err=True)
    for entry in quarantine.entries:
        click.echo(f"warning: {entry.describe()}", err=True)
    if quarantine.count > len(quarantine.entries):
        click.echo(f"warning: {quarantine.count - len(quarantine.entries)} more records set aside", err=True)


@click.command("test-pattern")
@click.argument("filter_pattern")
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help='json prints exactly TestMetricFilter\'s response: {"matches": [...]}.',
)
@click.option("--explain", is_flag=True, help="Say for every event why it did or did not match.")
@click.option(
    "--cloudtrail",
    is_flag=True,
    help='Read CloudTrail files (.json, .json.gz, {"Records": [...]}, arrays, JSON lines, folders); '
    "each record becomes one compact JSON message, as CloudTrail delivers to CloudWatch Logs.",
)
def test_pattern(filter_pattern: str, source: str, output_format: str, explain: bool, cloudtrail: bool) -> None:
    """Test FILTER_PATTERN against log event messages, like CloudWatch's TestMetricFilter.

    Messages are read one per line from FILE, or from standard input when FILE is - or absent; a line over
    1 MB (CloudWatch Logs' largest event) or not UTF-8 is set aside with a warning.
    Exit status: 0 if any event matched, 1 if none did, 2 for an invalid pattern or unreadable input,
    130 interrupted, 141 output pipe closed.
    """
    try:
        pattern = compile_pattern(filter_pattern)
    except PatternError as error:
        click.echo(f"error: invalid filter pattern: {error}", err=True)
        sys.exit(2)
    except RecursionError:
        click.echo(f"error: invalid filter pattern: {TOO_DEEP}", err=True)
        sys.exit(2)

    events = _open_events(source, cloudtrail)
    matches: list[dict[str, object]] = []
    total = 0
    text_mode = output_format == "text"
    for numbered in events:
        total += 1
        match = pattern.match_event(numbered.event)
        if match is not None:
            matches.append(
                {
                    "eventNumber": numbered.number,
                    "eventMessage": numbered.event.message,
                    "extractedValues": match.extracted_values,
                }
            )
        if text_mode and (explain or match is not None):
            _print_event(numbered, match is not None, match.extracted_values if match else {}, explain, pattern)

    if text_mode:
        noun = "event" if total == 1 else "events"
        click.echo(f"{len(matches)} of {total} {noun} matched  {filter_pattern}")
    else:
        write_stdout(orjson.dumps({"matches": matches}).decode())
    sys.exit(0 if matches else 1)


def _open_events(source: str, cloudtrail: bool) -> Iterator[NumberedEvent]:
    if cloudtrail:
        from trailguard.sources import SourceError

        try:
            # Pull the first event now so that an unreadable source fails before any output.
            iterator = _read_cloudtrail(source)
            first = next(iterator, None)
        except SourceError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        return _prepend(first, iterator)
    if source == "-":
        if sys.stdin is None:
            click.echo("error: -: standard input is closed", err=True)
            sys.exit(2)
        return _read_lines(sys.stdin.buffer, "<stdin>")
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed when the generator finishes
    except OSError as error:
        click.echo(f"error: cannot read {source}: {error.strerror}", err=True)
        sys.exit(2)
    return _closing(stream, source)


def _closing(stream: IO[bytes], name: str) -> Iterator[NumberedEvent]:
    with stream:
        yield from _read_lines(stream, name)


def _prepend(first: NumberedEvent | None, rest: Iterator[NumberedEvent]) -> Iterator[NumberedEvent]:
    if first is not None:
        yield first
        yield from rest


def _print_event(
    numbered: NumberedEvent, matched: bool, extracted: dict[str, str], explain: bool, pattern: CompiledPattern
) -> None:
    marker = click.style("MATCH   ", fg="green") if matched else click.style("no match", fg="red")
    click.echo(f"#{numbered.number:<5} {marker} {numbered.event.message}")
    if extracted:
        values = "  ".join(f"{key}={value!r}" for key, value in extracted.items())
        click.echo(f"        extracted: {values}")
    if explain:
        for line in pattern.explain(numbered.event.message).splitlines()[1:]:
            click.echo(f"      {line}")
