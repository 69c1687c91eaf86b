"""The audit for people at a terminal: one line per control, the broken link and remedy under each failing one.

Rendered with rich, from :class:`rich.text.Text` pieces only, so nothing in a value is ever parsed as rich markup
(``[bold]`` in an alarm name stays text). rich does not remove ESC, so a value from AWS could still carry terminal
escape sequences: every value passes through :func:`~trailguard.report.audit_document.printable` first. Without a
terminal (a pipe, a file, ``NO_COLOR``) rich writes plain text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Final, TextIO

from rich.console import Console
from rich.text import Text

from trailguard.report.audit_document import (
    STATUSES,
    api_error_text,
    audit_controls,
    broken_link_text,
    printable,
    status_counts,
)

__all__ = ["print_table", "render_table"]

_STATUS_STYLES: Final = {"PASS": "green", "FAIL": "bold red", "MANUAL": "yellow", "ERROR": "bold magenta"}
_INDENT: Final = "    "


def _safe(value: object) -> str:
    return printable("" if value is None else str(value))


def _lines(document: Mapping[str, Any]) -> list[Text]:
    controls = audit_controls(document)
    id_width = max((len(_safe(control["id"])) for control in controls), default=0)
    region_width = max((len(_safe(control["region"])) for control in controls), default=0)
    status_width = max(len(status) for status in STATUSES)
    lines = []
    for control in controls:
        status = control["status"]
        line = Text()
        line.append(_safe(control["id"]).ljust(id_width), style="bold")
        line.append("  ")
        line.append(_safe(control["region"]).ljust(region_width))
        line.append("  ")
        line.append(status.ljust(status_width), style=_STATUS_STYLES[status])
        line.append("  ")
        line.append(_safe(control["reason"]))
        lines.append(line)
        details = []
        if status == "FAIL":
            broken = broken_link_text(control)
            if broken:
                details.append(broken)
        evidence = control.get("evidence") or {}
        if status == "MANUAL":
            details.extend(f"Check by hand: {item}" for item in evidence.get("manual") or [])
        if status == "ERROR":
            details.extend(f"API error: {api_error_text(error)}" for error in evidence.get("errors") or [])
        if status != "PASS" and control.get("remedy"):
            details.append(f"Remedy: {control['remedy']}")
        for detail in details:
            lines.append(Text(_INDENT + _safe(detail), style="dim" if detail.startswith("Remedy") else ""))
    counts = status_counts(controls)
    summary = Text()
    summary.append(f"{len(controls)} controls: ")
    for index, status in enumerate(STATUSES):
        if index:
            summary.append(", ")
        summary.append(f"{counts[status]} {status}", style=_STATUS_STYLES[status] if counts[status] else "")
    summary.append(f" — account {_safe(document['account'])}, CIS AWS Foundations Benchmark v")
    summary.append(_safe(document["cisVersion"]))
    lines.append(summary)
    for error in document.get("errors") or []:
        lines.append(Text("API error: " + _safe(api_error_text(error)), style="magenta"))
    return lines


def print_table(document: Mapping[str, Any], file: TextIO | None = None) -> None:
    """Write the table to ``file`` (stdout by default), coloured when it is a terminal, plain text otherwise."""
    console = Console(file=file, highlight=False, soft_wrap=True)
    for line in _lines(document):
        console.print(line)


def render_table(document: Mapping[str, Any], *, color: bool = False, width: int = 120) -> str:
    """The table as text: with ANSI colours when ``color``, plain otherwise; long lines are left to wrap."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        width=width,
        soft_wrap=True,
    )
    for line in _lines(document):
        console.print(line)
    return buffer.getvalue()
