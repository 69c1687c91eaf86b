"""The template engine as the reports use it: autoescaping on for every template, the shared filters, and the
page's inline style sheet and script under a Content-Security-Policy that allows those two and nothing else.

Every value in a report comes from CloudTrail, from AWS or from a saved file, so every value is untrusted: the
templates only ever put values into element text or into quoted attributes (both escaped by Jinja2's
autoescaping), and data for the script goes through ``tojson``, which escapes ``<``, ``>``, ``&`` and ``'``, so a
value holding ``</script>`` cannot close its block. The policy (``default-src 'none'``, the script and style
allowed by their SHA-256 only) is a second wall: were an injection to get through, the browser would not run it,
and the page cannot fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from trailguard import __version__
from trailguard.report.formats import duration, format_time, format_value, iso, plural, size, time_range

__all__ = ["render_page"]


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("trailguard.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        {
            "time": format_time,
            "iso": iso,
            "time_range": time_range,
            "num": format_value,
            "duration": duration,
            "size": size,
            "pretty_json": pretty_json,
            "plural": plural,
        }
    )
    return environment


@cache
def _asset(name: str) -> str:
    return files("trailguard.report").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def render_page(template: str, **context: Any) -> str:
    """One self-contained HTML page from ``template`` with ``context``."""
    style, script = _asset("report.css"), _asset("report.js")
    policy = (
        f"default-src 'none'; style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    page = _environment().get_template(template)
    # The style sheet and script are the package's own files, not values from a document.
    return page.render(
        style=Markup(style), script=Markup(script), content_security_policy=policy, version=__version__, **context
    )


def pretty_json(value: Any) -> str:
    """Indented JSON; a string holding JSON (an SNS message) is parsed first. Escaped by the template like any text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
