"""Reports people look at: the replay and the audit as self-contained HTML pages, rendered from their JSON
documents (so a saved ``--output json`` document renders the same page later)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailguard.report.document import DocumentError, DocumentKind, document_kind, load_document
from trailguard.report.html_audit import render_audit_html
from trailguard.report.html_replay import render_replay_html

__all__ = [
    "DocumentError",
    "DocumentKind",
    "document_kind",
    "load_document",
    "render_audit_html",
    "render_document_html",
    "render_replay_html",
]


def render_document_html(document: Mapping[str, Any]) -> str:
    """The page for either document, chosen by :func:`document_kind`."""
    if document_kind(document) == "audit":
        return render_audit_html(document)
    return render_replay_html(document)
