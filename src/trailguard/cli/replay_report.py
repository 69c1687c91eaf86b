"""What ``trailguard replay`` prints: one JSON document for machines, a readable report for people (a summary
first, every transition with ``--verbose``), or the HTML page rendered from the JSON document; with
``--by-account``/``--by-region``, one JSON document or text report per partition."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, cast

import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trailguard.cli.options import fail
from trailguard.cli.output import StdoutConsole, write_all
from trailguard.engine.aggregates import MINUTE_MS
from trailguard.engine.alarms import AlarmEvaluator, alarm_selector
from trailguard.engine.metrics import CompiledMetricFilter
from trailguard.engine.replay import ReplayResult
from trailguard.model import Alarm
from trailguard.report.formats import alarm_sentence, duration, format_value, time_range
from trailguard.report.formats import iso as iso_time
from trailguard.report.timeline import (
    BusyPeriod,
    MinuteAggregate,
    alarm_view,
    busiest_periods,
    state_bands,
    time_in_state,
)
from trailguard.sources import Quarantine, SourceStats
from trailguard.sources.limits import MAX_QUARANTINE_LINES_PER_INPUT

__all__ = [
    "InputSummary",
    "check_output_file",
    "nothing_usable",
    "print_warnings",
    "render_text",
    "write_partition_reports",
    "write_replay_document",
    "write_report",
]

#: Transitions listed per alarm in the text report without --verbose.
TRANSITIONS_SHOWN: Final = 10

_STATE_STYLES = {"ALARM": "bold red", "OK": "green", "INSUFFICIENT_DATA": "yellow"}


def iso(ms: int | None) -> str | None:
    return None if ms is None else iso_time(ms)


class InputSummary:
    """What was read: sources, files, events, and what was set aside."""

    def __init__(self, sources: Sequence[str], stats: SourceStats, quarantine: Quarantine, quarantine_file: str | None):
        self.sources = list(sources)
        self.stats = stats
        self.quarantine = quarantine
        self.quarantine_file = quarantine_file

    def as_dict(self, result: ReplayResult) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "files": self.stats.files_read,
            "filesSkipped": self.stats.files_skipped,
            "filesNotRegular": self.stats.files_not_regular,
            "bytes": self.stats.bytes_read,
            "events": self.stats.events,
            "eventsInWindow": result.events,
            "eventsOutsideWindow": result.outside_window,
            "quarantined": self.quarantine.count,
            "quarantinedByReason": dict(sorted(self.quarantine.by_reason.items())),
            "quarantineFile": self.quarantine_file if self.quarantine.count else None,
            "quarantineNotWritten": self.quarantine.unwritten,
            "warnings": self.stats.warnings,
            "firstEventTime": iso(result.first_event_ms),
            "lastEventTime": iso(result.last_event_ms),
        }


def print_warnings(stats: SourceStats) -> None:
    """The sources' warnings (input passed over without being bad input), on standard error."""
    for warning in stats.warnings:
        click.echo(f"warning: {warning}", err=True)
    if stats.warning_count > len(stats.warnings):
        click.echo(f"warning: … and {stats.warning_count - len(stats.warnings):,} more", err=True)


def nothing_usable(summary: InputSummary) -> str | None:
    """Why the replay has nothing to show, when everything it read was set aside (an input error); else None."""
    quarantine = summary.quarantine
    if summary.stats.events or not quarantine.count:
        return None
    noun = "entry" if quarantine.count == 1 else "entries"
    where = f"; see {summary.quarantine_file}" if summary.quarantine_file else ""
    return (
        f"no usable event in the input: everything read was set aside ({quarantine.count:,} quarantine {noun}{where})"
    )


def _alarm_document(evaluator: AlarmEvaluator) -> dict[str, Any]:
    alarm = evaluator.alarm
    return {
        "name": alarm.alarm_name,
        "metric": {"namespace": alarm.namespace, "name": alarm.metric_name},
        "state": evaluator.state,
        "stateReason": evaluator.state_reason,
        "transitions": [
            {
                "time": iso(t.at_ms),
                "from": t.old_state,
                "to": t.new_state,
                "reason": t.reason,
                "reasonData": orjson.loads(t.reason_data) if t.reason_data else None,
                "actions": list(t.actions),
            }
            for t in evaluator.transitions
        ],
        "notifications": [
            {"time": iso(n.at_ms), "topics": list(n.topic_arns), "subject": n.subject, "message": n.message}
            for n in evaluator.notifications
        ],
        # As DescribeAlarmHistory returns it, newest first.
        "history": [item.to_api_dict() for item in reversed(evaluator.history)],
    }


def _metric_documents(result: ReplayResult) -> Iterator[dict[str, Any]]:
    for key in result.store.series():
        points = []
        for minute, aggregate in result.store.buckets(key, -(2**62), 2**62):
            points.append(
                {
                    "time": iso(minute * MINUTE_MS),
                    "sampleCount": aggregate.count,
                    "sum": aggregate.sum,
                    "minimum": aggregate.minimum,
                    "maximum": aggregate.maximum,
                }
            )
        yield {
            "namespace": key.namespace,
            "name": key.name,
            "dimensions": dict(key.dimensions),
            "unit": key.unit,
            "datapoints": points,
        }


def write_replay_document(out: BinaryIO, result: ReplayResult, summary: InputSummary) -> None:
    """Write the replay's JSON document (one line) to ``out``.

    It is written one alarm and one metric series at a time: over months, the report for every CIS
    control holds tens of thousands of transitions, and building it whole would cost several copies of
    it in memory.
    """
    sections: tuple[tuple[bytes, Iterable[dict[str, Any]]], ...] = (
        (b"alarms", (_alarm_document(outcome.evaluator) for outcome in result.alarms)),
        (b"metrics", _metric_documents(result)),
        (b"filters", (_filter_document(rule, result) for rule in result.filters)),
    )
    write_all(out, b"{")
    for key, items in sections:
        write_all(out, b'"' + key + b'":[')
        for index, item in enumerate(items):
            if index:
                write_all(out, b",")
            write_all(out, orjson.dumps(item))
        write_all(out, b"],")
    window = {"start": iso(result.start_ms), "end": iso(result.end_ms)}
    input_summary = orjson.dumps(summary.as_dict(result))
    write_all(out, b'"window":' + orjson.dumps(window) + b',"input":' + input_summary + b"}\n")


def _filter_document(compiled: CompiledMetricFilter, result: ReplayResult) -> dict[str, Any]:
    counters = compiled.counters
    return {
        "name": compiled.filter_name,
        "logGroup": compiled.log_group_name,
        "pattern": compiled.pattern.text,
        "metric": {"namespace": compiled.series.namespace, "name": compiled.series.name},
        "events": result.events_by_log_group.get(compiled.log_group_name, 0),
        "matched": counters.matched,
        "published": counters.published,
        "defaults": counters.defaults,
        "nonNumeric": counters.non_numeric,
        "outOfRange": counters.out_of_range,
        "missingValue": counters.missing_value,
        "dimensionless": counters.dimensionless,
        "disabledAt": iso(counters.disabled_at_ms),
        "afterDisabled": counters.after_disabled,
    }


# ---------------------------------------------------------------- text


def describe_alarm(alarm: Alarm) -> str:
    return alarm_sentence(
        alarm.statistic_name,
        alarm.namespace,
        alarm.metric_name,
        alarm.period,
        alarm.comparison_operator,
        alarm.threshold,
        alarm.effective_datapoints_to_alarm,
        alarm.evaluation_periods,
    )


def write_report(
    result: ReplayResult, summary: InputSummary, *, output_format: str, output_file: str | None, verbose: bool
) -> None:
    """The report in ``output_format`` (text, json, html) on standard output or into ``output_file``."""
    if output_format == "text":
        if output_file is None:
            console = StdoutConsole(highlight=False, width=None if sys.stdout.isatty() else 160)
            render_text(console, result, summary, verbose=verbose)
            return
        with _open_output(output_file, "w") as text_file:
            render_text(Console(file=text_file, highlight=False, width=160), result, summary, verbose=verbose)
        return
    if output_format == "json" and output_file is None:
        sys.stdout.flush()
        write_replay_document(sys.stdout.buffer, result, summary)
        sys.stdout.buffer.flush()
        return
    if output_format == "json":
        assert output_file is not None
        with _open_output(output_file, "wb") as binary_file:
            write_replay_document(cast(BinaryIO, binary_file), result, summary)
        return
    if output_file is None:
        fail("--output html writes a file: give --output-file FILE (for example --output-file report.html)")
    # The page is rendered from the JSON document, so `trailguard report saved.json` gives the same page.
    buffer = io.BytesIO()
    write_replay_document(buffer, result, summary)
    from trailguard.report.html_replay import render_replay_html  # the template engine, only when it is used

    page = render_replay_html(orjson.loads(buffer.getbuffer()))
    with _open_output(output_file, "w") as html_file:
        html_file.write(page)


def write_partition_reports(
    reports: Iterable[tuple[Mapping[str, str | None], ReplayResult]],
    nothing_read: ReplayResult | None,
    summary: InputSummary,
    *,
    output_format: str,
    output_file: str | None,
    verbose: bool,
) -> None:
    """A report per partition (its field values by name, None for records lacking the field), in the order given,
    on standard output or into ``output_file``: text, a rule naming each partition before its report, or JSON,
    ``{"partitions":[{"partition":{...},"replay":{...}}]}``. ``nothing_read``: the text report when there is no
    partition at all. Each result is used once and let go, so ``reports`` may finish them as it goes."""
    if output_format == "json":
        if output_file is None:
            sys.stdout.flush()
            _write_partition_documents(sys.stdout.buffer, reports, summary)
            sys.stdout.buffer.flush()
            return
        with _open_output(output_file, "wb") as binary_file:
            _write_partition_documents(cast(BinaryIO, binary_file), reports, summary)
        return
    if output_format != "text":
        raise ValueError(f"partitions have no {output_format} report")  # the command refuses it first

    def render(console: Console) -> None:
        shown = False
        for names, result in reports:
            console.rule(", ".join(f"{name} {'(none)' if value is None else value}" for name, value in names.items()))
            render_text(console, result, summary, verbose=verbose)
            shown = True
        if not shown and nothing_read is not None:
            render_text(console, nothing_read, summary, verbose=verbose)

    if output_file is None:
        render(StdoutConsole(highlight=False, width=None if sys.stdout.isatty() else 160))
        return
    with _open_output(output_file, "w") as text_file:
        render(Console(file=text_file, highlight=False, width=160))


def _write_partition_documents(
    out: BinaryIO, reports: Iterable[tuple[Mapping[str, str | None], ReplayResult]], summary: InputSummary
) -> None:
    write_all(out, b'{"partitions":[')
    for index, (names, result) in enumerate(reports):
        if index:
            write_all(out, b",")
        write_all(out, b'{"partition":' + orjson.dumps(dict(names)) + b',"replay":')
        write_replay_document(out, result, summary)
        write_all(out, b"}")
    write_all(out, b"]}\n")


def check_output_file(output_file: str | None, output_format: str) -> None:
    """Fail before the replay rather than after it: html needs a file, and the file's folder must exist."""
    if output_format == "html" and output_file is None:
        fail("--output html writes a file: give --output-file FILE (for example --output-file report.html)")
    if output_file is not None:
        folder = Path(output_file).resolve().parent
        if not folder.is_dir():
            fail(f"--output-file {output_file}: the folder {folder} does not exist")
        if Path(output_file).is_dir():
            fail(f"--output-file {output_file}: is a folder")


def _open_output(output_file: str, mode: str) -> IO[Any]:
    try:
        return open(output_file, "wb") if mode == "wb" else open(output_file, "w", encoding="utf-8")
    except OSError as error:
        fail(f"cannot write --output-file {output_file}: {error.strerror or error}")


def render_text(console: Console, result: ReplayResult, summary: InputSummary, *, verbose: bool = False) -> None:
    """What was read, a summary per alarm and metric, then each alarm's transitions (all of them with
    ``verbose``, the first TRANSITIONS_SHOWN otherwise: a 75-day replay has tens of thousands)."""
    _render_input(console, result, summary)
    if not result.alarms and result.start_ms is None:
        console.print("No event fell in the replay window, so no alarm was created; give --from to evaluate anyway.\n")
    facts = [_AlarmFacts.of(outcome.evaluator, result) for outcome in result.alarms]
    _render_summary(console, result, facts)
    for alarm_facts in facts:
        _render_alarm(console, alarm_facts, verbose)


class _AlarmFacts:
    """An alarm's summary figures: time in ALARM and busiest periods, computed as the HTML page computes them."""

    def __init__(self, evaluator: AlarmEvaluator, time_in_alarm_ms: int, busiest: list[BusyPeriod]) -> None:
        self.evaluator = evaluator
        self.time_in_alarm_ms = time_in_alarm_ms
        self.busiest = busiest

    @classmethod
    def of(cls, evaluator: AlarmEvaluator, result: ReplayResult) -> _AlarmFacts:
        alarm = evaluator.alarm
        points = [
            MinuteAggregate(minute * MINUTE_MS, agg.count, agg.sum, agg.minimum, agg.maximum)
            for minute, agg in result.store.minute_buckets(alarm_selector(alarm), -(2**62), 2**62)
        ]
        busiest = busiest_periods(alarm_view(points, alarm.statistic_name, alarm.period), alarm.period)
        end_ms = result.end_ms if result.end_ms is not None else evaluator.created_ms
        bands = state_bands(evaluator.created_ms, end_ms, ((t.at_ms, str(t.new_state)) for t in evaluator.transitions))
        return cls(evaluator, time_in_state(bands), busiest)


def _busy(period: BusyPeriod, statistic: str) -> str:
    return f"{time_range(period.start_ms, period.end_ms)} ({statistic} {format_value(period.value)})"


def _render_input(console: Console, result: ReplayResult, summary: InputSummary) -> None:
    stats = summary.stats
    line = f"Replayed {result.events:,} events from {stats.files_read:,} file{'s' if stats.files_read != 1 else ''}"
    if result.first_event_ms is not None:
        line += f", event time {iso(result.first_event_ms)} → {iso(result.last_event_ms)}"
    console.print(line, highlight=False)
    if result.outside_window:
        console.print(f"{result.outside_window:,} events fell outside --from/--to and were ignored.", highlight=False)
    quarantine = summary.quarantine
    if quarantine.count:
        reasons = ", ".join(f"{count:,} {reason}" for reason, count in sorted(quarantine.by_reason.items()))
        where = f"; written to {summary.quarantine_file}" if summary.quarantine_file else ""
        if quarantine.unwritten:
            limit = MAX_QUARANTINE_LINES_PER_INPUT
            where += f" ({quarantine.unwritten:,} counted but not written: at most {limit:,} lines per input)"
        console.print(f"[yellow]{quarantine.count:,} records set aside[/] ({reasons}){where}", highlight=False)
        for entry in quarantine.entries[:5]:
            console.print(f"  {entry.describe()}", highlight=False, markup=False)
        if quarantine.count > 5:
            console.print(f"  … and {quarantine.count - 5:,} more", highlight=False)
    console.print()


def _state(state: str) -> Text:
    return Text(state, style=_STATE_STYLES.get(state, ""))


def _render_alarm(console: Console, facts: _AlarmFacts, verbose: bool) -> None:
    evaluator = facts.evaluator
    alarm = evaluator.alarm
    console.rule(Text(alarm.alarm_name, style="bold"), align="left")
    console.print(describe_alarm(alarm), style="dim", highlight=False)
    if facts.busiest:
        busiest = "; ".join(_busy(period, alarm.statistic_name) for period in facts.busiest)
        console.print(f"busiest periods: {busiest}", highlight=False, markup=False)
    console.print(
        Text.assemble(
            f"{iso(evaluator.created_ms)}  ", _state("INSUFFICIENT_DATA"), "  Unchecked: Initial alarm creation"
        )
    )
    if not evaluator.transitions:
        console.print("  no state change", style="dim")
    notifications = {n.at_ms: n for n in evaluator.notifications}
    message_shown = False
    shown = evaluator.transitions if verbose else evaluator.transitions[:TRANSITIONS_SHOWN]
    for transition in shown:
        console.print(
            Text.assemble(
                f"{iso(transition.at_ms)}  ",
                _state(transition.old_state),
                " → ",
                _state(transition.new_state),
                "  ",
                transition.reason,
            )
        )
        notification = notifications.get(transition.at_ms)
        if notification is not None:
            console.print(f"    notification to {', '.join(notification.topic_arns)}", highlight=False)
            console.print(f"      Subject: {notification.subject}", highlight=False, markup=False)
            if not message_shown:
                # One full body per alarm shows its shape; over months there can be thousands of them.
                body = json.dumps(json.loads(notification.message), indent=2)
                console.print("      Message: " + body.replace("\n", "\n      "), highlight=False, markup=False)
                message_shown = True
        elif transition.actions:
            console.print(f"    actions: {', '.join(transition.actions)}", highlight=False)
    left_out = len(evaluator.transitions) - len(shown)
    if left_out:
        console.print(
            f"  … {left_out:,} more transition{'s' if left_out != 1 else ''} (--verbose lists every one; "
            "--output json and --output html keep them all)",
            style="dim",
            highlight=False,
        )
    if len(evaluator.notifications) > 1:
        console.print("    (one message body shown per alarm; --output json has every message)", style="dim")
    console.print()


def _render_summary(console: Console, result: ReplayResult, facts: Sequence[_AlarmFacts]) -> None:
    alarms = Table(title="Alarms", title_justify="left")
    columns = ("alarm", "final state", "transitions", "to ALARM", "notifications", "time in ALARM", "busiest period")
    for column in columns:
        alarms.add_column(column, justify="left" if column in ("alarm", "final state", "busiest period") else "right")
    for alarm_facts in facts:
        evaluator = alarm_facts.evaluator
        to_alarm = sum(1 for t in evaluator.transitions if t.new_state == "ALARM")
        busiest = alarm_facts.busiest[0] if alarm_facts.busiest else None
        alarms.add_row(
            evaluator.alarm.alarm_name,
            _state(evaluator.state),
            f"{len(evaluator.transitions):,}",
            f"{to_alarm:,}",
            f"{len(evaluator.notifications):,}",
            duration(alarm_facts.time_in_alarm_ms),
            "-" if busiest is None else _busy(busiest, evaluator.alarm.statistic_name),
        )
    console.print(alarms)
    metrics = Table(title="Metrics", title_justify="left")
    for column in ("metric", "dimensions", "minutes with data", "sum", "busiest minute"):
        metrics.add_column(column, justify="left" if column in ("metric", "dimensions") else "right")
    for key in result.store.series():
        buckets = result.store.buckets(key, -(2**62), 2**62)
        total = result.store.aggregate(key, -(2**62), 2**62)
        top = max(buckets, key=lambda item: item[1].sum)
        metrics.add_row(
            f"{key.namespace}/{key.name}",
            ", ".join(f"{k}={v}" for k, v in key.dimensions) or "-",
            f"{len(buckets):,}",
            f"{total.sum:g}" if total is not None else "0",
            f"{iso(top[0] * MINUTE_MS)} ({top[1].sum:g})",
        )
    if not result.store.series():
        metrics.add_row("no datapoints were published", "", "", "", "")
    console.print(metrics)
    console.print()
