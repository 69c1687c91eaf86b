"""The audit as JUnit XML for CI: one testsuite per account and region, one testcase per control.

PASS is a passing testcase, FAIL a ``<failure>``, ERROR an ``<error>`` (the control could not be checked, which
must not pass a CI gate silently), MANUAL a ``<skipped>`` (a person must check it; it does not fail the build, as
the audit's exit code treats it). The failure's ``message`` is the reason, its text the evidence summary.

Values from AWS can hold characters XML 1.0 cannot carry at all (NUL, ESC, other C0 controls): ElementTree would
write them and produce a file no reader accepts, so every value passes through
:func:`~trailguard.report.audit_document.printable` first, which writes them as visible escapes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from trailguard.report.audit_document import (
    audit_controls,
    evidence_summary,
    group_by_account_region,
    printable,
    status_counts,
)

__all__ = ["render_junit"]


def _text(value: str) -> str:
    return printable(value, keep_newlines=True)


def _set_counts(element: ET.Element, controls: list[dict[str, Any]]) -> None:
    counts = status_counts(controls)
    element.set("tests", str(len(controls)))
    element.set("failures", str(counts["FAIL"]))
    element.set("errors", str(counts["ERROR"]))
    element.set("skipped", str(counts["MANUAL"]))
    # The document records no durations; 0 keeps readers that require the attribute content.
    element.set("time", "0")


def _testcase(suite: ET.Element, control: Mapping[str, Any], classname: str) -> None:
    native = f" ({control['nativeId']})" if control.get("nativeId") else ""
    case = ET.SubElement(suite, "testcase", name=_text(f"{control['id']}{native} {control['title']}"))
    case.set("classname", classname)
    case.set("time", "0")
    status = control["status"]
    reason = _text(control["reason"])
    if status == "FAIL":
        outcome = ET.SubElement(case, "failure", message=reason, type=_text(control.get("brokenLink") or "FAIL"))
        outcome.text = _text(evidence_summary(control))
    elif status == "ERROR":
        errors = (control.get("evidence") or {}).get("errors") or []
        kind = errors[0].get("code") if errors else None
        outcome = ET.SubElement(case, "error", message=reason, type=_text(kind or "ERROR"))
        outcome.text = _text(evidence_summary(control))
    elif status == "MANUAL":
        skipped = ET.SubElement(case, "skipped", message=reason)
        skipped.text = _text(evidence_summary(control))


def render_junit(document: Mapping[str, Any]) -> bytes:
    """The JUnit XML document, UTF-8 with an XML declaration.

    Suites are named ``<account>/<region>``; a testcase's classname is ``trailguard.audit.<account>.<region>``
    (readers such as Jenkins group testcases by classname) and its name is ``<control id> (<native id>) <title>``.
    """
    controls = audit_controls(document)
    root = ET.Element("testsuites", name=_text(f"trailguard audit {document['account']}"))
    _set_counts(root, controls)
    for (account, region), group in group_by_account_region(controls).items():
        suite = ET.SubElement(root, "testsuite", name=_text(f"{account}/{region}"))
        _set_counts(suite, group)
        suite.set("timestamp", _text(document["generated"]))
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("account", account),
            ("region", region),
            ("cisVersion", document["cisVersion"]),
        ):
            ET.SubElement(properties, "property", name=name, value=_text(value))
        classname = _text(f"trailguard.audit.{account}.{region}")
        for control in group:
            _testcase(suite, control, classname)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"
