"""The audit as CSV for auditors: one row per control finding, RFC 4180, safe to open in a spreadsheet.

Values come from AWS (trail, alarm and topic names, problems quoting them) and are untrusted. A spreadsheet runs a
cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and treats a leading tab or carriage return the
same way, so such a cell gets a leading apostrophe, as the OWASP "CSV Injection" page advises
(https://owasp.org/www-community/attacks/CSV_Injection). Every field is quoted, so commas, quotes and line breaks
inside values stay in their cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any, Final

from trailguard.report.audit_document import audit_controls, chain_ids, scrub_surrogates

__all__ = ["CSV_COLUMNS", "neutralize_formula", "render_csv"]

#: The header row, in column order.
CSV_COLUMNS: Final = (
    "account",
    "region",
    "control_id",
    "native_id",
    "title",
    "level",
    "status",
    "reason",
    "broken_link",
    "remedy",
    "trail",
    "log_group",
    "metric_filter",
    "alarm",
    "topic",
    "subscription",
)

_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _cell(value: object) -> str:
    if value is None:
        return ""
    # A lone surrogate (json.loads accepts "\ud800") could not be written as UTF-8.
    return neutralize_formula(scrub_surrogates(value if isinstance(value, str) else str(value)))


def _row(control: Mapping[str, Any]) -> list[str]:
    ids = chain_ids(control)
    values: list[object] = [
        control["account"],
        control["region"],
        control["id"],
        control.get("nativeId"),
        control["title"],
        control.get("level"),
        control["status"],
        control["reason"],
        control.get("brokenLink"),
        control.get("remedy"),
        ids["trail"],
        ids["logGroup"],
        ids["metricFilter"],
        ids["alarm"],
        ids["topic"],
        ids["subscription"],
    ]
    return [_cell(value) for value in values]


def render_csv(document: Mapping[str, Any]) -> str:
    """The CSV text: a header row, then one row per control in document order, CRLF line ends (RFC 4180)."""
    controls = audit_controls(document)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for control in controls:
        writer.writerow(_row(control))
    return buffer.getvalue()
