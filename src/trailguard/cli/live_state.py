"""``trailguard alarms``, ``trailguard history`` and ``trailguard outbox``: look at and operate the state folder of
``trailguard run`` (safely while it runs: reads see the last committed state, and an outbox retry is one
transaction that the running process picks up)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from trailguard.cli.options import fail
from trailguard.cli.output import write_stdout
from trailguard.live import (
    STATE_FILE_NAME,
    ClockError,
    LiveStateError,
    clock_from_environment,
    default_state_dir,
    open_read_only,
)
from trailguard.notify import Outbox, OutboxError
from trailguard.notify.outbox import STATES
from trailguard.utc_text import iso_millis

__all__ = ["alarms", "history", "outbox"]

_STATE_OPTION = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False),
    help="The state folder of trailguard run (default: the user state folder).",
)
_OUTPUT_OPTION = click.option(
    "--output", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _state_file(state_dir: str | None) -> Path:
    return (Path(state_dir) if state_dir is not None else default_state_dir()) / STATE_FILE_NAME


def _iso(ms: int | None) -> str:
    if ms is None:
        return "-"
    return iso_millis(ms)


@click.command("alarms")
@_STATE_OPTION
@_OUTPUT_OPTION
def alarms(state_dir: str | None, output_format: str) -> None:
    """Show the current state of every alarm `trailguard run` evaluates in a state folder.

    Exit status: 0 shown, 2 no usable state folder.
    """
    try:
        state = open_read_only(_state_file(state_dir))
        rows = state.alarms()
        sources = state.sources()
        totals = state.totals()
    except LiveStateError as error:
        fail(str(error))
    if output_format == "json":
        document = {
            "alarms": [
                {
                    "name": row.name,
                    "state": str(row.snapshot.state),
                    "reason": row.snapshot.reason,
                    "reasonData": None if row.snapshot.reason_data is None else json.loads(row.snapshot.reason_data),
                    "stateUpdatedTimestamp": _iso(row.snapshot.updated_ms),
                    "lastEvaluated": None
                    if row.snapshot.last_evaluated_ms is None
                    else _iso(row.snapshot.last_evaluated_ms),
                    "configured": row.active,
                    "definition": row.definition,
                }
                for row in rows
            ],
            "sources": [
                {
                    "source": s.source,
                    "events": s.events,
                    "quarantined": s.quarantined,
                    "batches": s.batches,
                    "newestEventTime": None if s.newest_event_ms is None else _iso(s.newest_event_ms),
                    "lastBatch": None if s.updated_ms is None else _iso(s.updated_ms),
                }
                for s in sources
            ],
            "totals": totals,
        }
        write_stdout(json.dumps(document, indent=2, ensure_ascii=False))
        return
    lines: list[str] = []
    if not rows:
        lines.append("no alarms yet")
    for row in rows:
        snapshot = row.snapshot
        note = "" if row.active else "  (no longer configured: not evaluated)"
        lines.append(f"{snapshot.state!s:<18} {row.name}{note}")
        lines.append(f"{'':<18} since {_iso(snapshot.updated_ms)}, last evaluated {_iso(snapshot.last_evaluated_ms)}")
        lines.append(f"{'':<18} {snapshot.reason}")
    if sources:
        lines.append("")
        lines.append("sources:")
        for s in sources:
            lines.append(
                f"  {s.source}: {s.events:,} events, {s.quarantined:,} set aside, newest event "
                f"{_iso(s.newest_event_ms)}, last batch {_iso(s.updated_ms)}"
            )
    write_stdout("\n".join(lines))


@click.command("history")
@click.argument("alarm_name", required=False, metavar="[ALARM]")
@_STATE_OPTION
@click.option(
    "--type", "item_type", type=click.Choice(["StateUpdate", "ConfigurationUpdate"]), help="Only items of this type."
)
@click.option("--limit", type=click.IntRange(1), help="At most this many items (newest first).")
@_OUTPUT_OPTION
def history(
    alarm_name: str | None, state_dir: str | None, item_type: str | None, limit: int | None, output_format: str
) -> None:
    """Show alarm history (of ALARM, or of every alarm), newest first, as DescribeAlarmHistory gives it.

    Exit status: 0 shown, 2 no usable state folder or no such alarm.
    """
    try:
        state = open_read_only(_state_file(state_dir))
        if alarm_name is not None and alarm_name not in {row.name for row in state.alarms()}:
            fail(f"no alarm named {alarm_name!r} in {state.path}")
        items = state.history(alarm_name, item_type=item_type, limit=limit)
    except LiveStateError as error:
        fail(str(error))
    if output_format == "json":
        write_stdout(json.dumps({"AlarmHistoryItems": [item.to_api_dict() for item in items]}, indent=2))
        return
    lines = [f"{_iso(item.timestamp_ms)}  {item.alarm_name}  {item.summary}" for item in items]
    write_stdout("\n".join(lines) if lines else "no history")


@click.command("outbox")
@_STATE_OPTION
@click.option("--only", "only_state", type=click.Choice(STATES), help="Only rows in this state.")
@click.option("--retry", "retry_id", type=int, metavar="ID", help="Put one dead letter back in the queue.")
@click.option("--retry-all", is_flag=True, help="Put every dead letter back in the queue.")
@_OUTPUT_OPTION
def outbox(
    state_dir: str | None, only_state: str | None, retry_id: int | None, retry_all: bool, output_format: str
) -> None:
    """Show the notification outbox of a state folder, or put dead letters back in the queue (a running
    `trailguard run` delivers them within seconds; otherwise the next start does).

    Exit status: 0 shown or put back, 1 --retry of a row that is not a dead letter (nothing to do), 2 no usable
    state folder or no row with that id.
    """
    if retry_id is not None and retry_all:
        fail("give either --retry ID or --retry-all, not both")
    path = _state_file(state_dir)
    if not path.is_file():
        fail(f"no state file at {path} (has trailguard run used this state folder?)")
    try:
        # Rows put back are due "now" on the clock of the run that delivers them (the test hook's, in tests).
        clock = clock_from_environment()
    except ClockError as error:
        fail(str(error))
    try:
        with Outbox(path, clock=clock.now_ms) as box:
            if retry_id is not None:
                entry = box.get(retry_id)
                if entry is None:
                    fail(f"no outbox row with id {retry_id} in {path}")
                if not box.retry(retry_id):
                    _say(output_format, {"retried": []}, f"row {retry_id} is {entry.state}, not a dead letter")
                    raise SystemExit(1)
                _say(output_format, {"retried": [retry_id]}, f"row {retry_id} is back in the queue")
                return
            if retry_all:
                count = box.retry_all()
                _say(output_format, {"retriedCount": count}, f"{count} dead letter(s) back in the queue")
                return
            entries = box.entries(only_state)
            counts = box.counts()
    except OutboxError as error:
        fail(str(error))
    if output_format == "json":
        write_stdout(json.dumps({"counts": counts, "entries": [e.to_json_dict() for e in entries]}, indent=2))
        return
    lines = [f"{counts['pending']} pending, {counts['delivered']} delivered, {counts['dead']} dead"]
    for e in entries:
        lines.append(
            f"{e.id:>6}  {e.state:<9} {e.alarm_name}  {e.subscription.protocol} {e.subscription.endpoint}  "
            f"attempts {e.attempts}"
            + (f"  last error: {e.last_error}" if e.last_error and e.state != "delivered" else "")
        )
    write_stdout("\n".join(lines))


def _say(output_format: str, document: dict[str, Any], text: str) -> None:
    write_stdout(json.dumps(document) if output_format == "json" else text)
