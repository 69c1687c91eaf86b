"""``trailguard report``: render a saved JSON document (replay or audit) as its HTML page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trailguard.cli.options import fail
from trailguard.report import DocumentError, document_kind, load_document, render_document_html


@click.command("report")
@click.argument("document_path", metavar="FILE.json")
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Where to write the page (default: FILE with .html instead of .json; - for standard output).",
)
def report(document_path: str, output_file: str | None) -> None:
    """Render a saved `trailguard replay --output json` or `trailguard audit --output json` document as a
    self-contained HTML page (FILE.json, or - for standard input).

    Which document it is comes from its fields. Exit status: 0 page written, 2 unreadable or invalid document.
    """
    if output_file is None:
        output_file = "-" if document_path == "-" else str(Path(document_path).with_suffix(".html"))
    if output_file != "-" and Path(output_file).resolve() == Path(document_path).resolve():
        fail(f"{document_path}: the page would overwrite the document; give -o FILE.html")
    name = "standard input" if document_path == "-" else document_path
    try:
        document = load_document(document_path)
        kind = document_kind(document)
        page = render_document_html(document)
    except DocumentError as error:
        message = str(error)
        fail(message if message.startswith(name) else f"{name}: {message}")
    if output_file == "-":
        sys.stdout.write(page)
        sys.stdout.flush()
        return
    try:
        Path(output_file).write_text(page, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output_file}: {error.strerror or error}")
    click.echo(f"wrote the {kind} page {output_file} ({len(page.encode('utf-8')):,} bytes)", err=True)
