"""Reports: the audit document (docs/audit-document.md) rendered into the formats people and tools read, and the
replay and audit documents as self-contained HTML pages.

Every renderer is a pure function of the document as ``json.loads`` returns it; nothing here calls AWS or depends on
the code that runs the audit or the replay, so a saved document can be rendered again later::

    from trailguard.report import AuditDocumentError, render_audit

    try:
        output = render_audit(json.loads(text), "sarif")
    except AuditDocumentError as error:   # a missing or malformed field, named by its path
        ...
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from trailguard.report.audit_asff import render_asff
from trailguard.report.audit_csv import render_csv
from trailguard.report.audit_document import AuditDocumentError, audit_controls, scrub_surrogates
from trailguard.report.audit_junit import render_junit
from trailguard.report.audit_ocsf import render_ocsf
from trailguard.report.audit_sarif import render_sarif
from trailguard.report.audit_table import print_table, render_table
from trailguard.report.document import DocumentError, DocumentKind, document_kind, load_document

if TYPE_CHECKING:
    from trailguard.report.html_audit import render_audit_html
    from trailguard.report.html_replay import render_replay_html

__all__ = [
    "AUDIT_FORMATS",
    "AuditDocumentError",
    "DocumentError",
    "DocumentKind",
    "document_kind",
    "load_document",
    "print_table",
    "render_audit",
    "render_audit_html",
    "render_document_html",
    "render_replay_html",
]


def _render_json(document: Mapping[str, Any]) -> str:
    audit_controls(document)
    return json.dumps(scrub_surrogates(document), indent=2, ensure_ascii=False) + "\n"


def _render_html(document: Mapping[str, Any]) -> str:
    from trailguard.report.html_audit import render_audit_html

    return render_audit_html(document)


_RENDERERS: Final[dict[str, Callable[[Mapping[str, Any]], str | bytes]]] = {
    "table": render_table,
    "json": _render_json,
    "csv": render_csv,
    "junit": render_junit,
    "sarif": render_sarif,
    "ocsf": render_ocsf,
    "asff": render_asff,
    "html": _render_html,
}

#: The formats :func:`render_audit` knows, in the order ``--output`` lists them.
AUDIT_FORMATS: Final = tuple(_RENDERERS)


def render_audit(document: Mapping[str, Any], fmt: str) -> str | bytes:
    """The document rendered as ``fmt``: bytes for ``junit`` (UTF-8 XML with its declaration), text otherwise.

    ``table`` is plain text here; a terminal gets colours from :func:`print_table`. Raises ValueError for an unknown
    format and AuditDocumentError (a ValueError) for a document that lacks a field the format needs.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown audit output format {fmt!r}; choose one of {', '.join(AUDIT_FORMATS)}")
    return renderer(document)


def render_document_html(document: Mapping[str, Any]) -> str:
    """The HTML page of either document, chosen by :func:`document_kind`; DocumentError when it is invalid."""
    from trailguard.report.html_audit import render_audit_html
    from trailguard.report.html_replay import render_replay_html

    if document_kind(document) == "audit":
        return render_audit_html(document)
    return render_replay_html(document)


def __getattr__(name: str) -> Any:
    # The HTML pages load the template engine: only a command that renders one pays for importing it.
    if name == "render_audit_html":
        from trailguard.report.html_audit import render_audit_html

        return render_audit_html
    if name == "render_replay_html":
        from trailguard.report.html_replay import render_replay_html

        return render_replay_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
