"""Reading the audit document (docs/audit-document.md): the checks and accessors every output format shares.

The document is the contract between ``trailguard audit`` and its renderers, and a saved document can be rendered
again later, so it is input like any other: :func:`audit_controls` checks the fields the renderers rely on and
raises :class:`AuditDocumentError` naming the first bad field by its path (``controls[3].status``), never a
traceback. Everything else here derives values that several formats need in the same way: the chain's links by
kind, the stable finding id, a one-paragraph evidence summary, and text made safe for terminals and XML.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar, cast

from trailguard import __version__
from trailguard.report.document import DocumentError

__all__ = [
    "FINDING_TYPE",
    "LINK_KINDS",
    "LINK_LABELS",
    "STATUSES",
    "AuditDocumentError",
    "api_error_text",
    "audit_controls",
    "broken_link_text",
    "chain_ids",
    "chain_links",
    "epoch_millis",
    "evidence_summary",
    "finding_uid",
    "group_by_account_region",
    "is_arn",
    "printable",
    "scrub_surrogates",
    "status_counts",
    "tool_version",
    "truncate",
]

#: A control's statuses, in the order summaries list them.
STATUSES: Final = ("PASS", "FAIL", "MANUAL", "ERROR")

#: The links of a chain, in chain order (docs/audit-document.md, "link").
LINK_KINDS: Final = ("trail", "logGroup", "metricFilter", "alarm", "topic", "subscription")

#: How a link kind reads in a sentence.
LINK_LABELS: Final = {
    "trail": "CloudTrail trail",
    "logGroup": "log group",
    "metricFilter": "metric filter",
    "alarm": "alarm",
    "topic": "SNS topic",
    "subscription": "subscription",
}

#: The finding type Security Hub gives its own CIS checks (AWS Security Hub User Guide, "Types taxonomy for ASFF");
#: OCSF's finding_info.types carries the same string so both formats classify a finding alike.
FINDING_TYPE: Final = (
    "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
)


class AuditDocumentError(DocumentError):
    """The audit document lacks a field a renderer needs, or holds a value of the wrong kind; names the path."""


def _fail(path: str, expected: str, value: object) -> AuditDocumentError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return AuditDocumentError(f"audit document: {path} is {shown}; expected {expected}")


def _string(container: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> None:
    value = container.get(key)
    if isinstance(value, str) or (nullable and value is None):
        return
    raise _fail(f"{path}.{key}" if path else key, "a string" + (" or null" if nullable else ""), value)


def _check_link(link: object, path: str) -> None:
    if not isinstance(link, dict):
        raise _fail(path, "an object", link)
    if link.get("kind") not in LINK_KINDS:
        raise _fail(f"{path}.kind", "one of " + ", ".join(LINK_KINDS), link.get("kind"))
    _string(link, "id", path)
    _string(link, "region", path, nullable=True)
    _string(link, "problem", path, nullable=True)
    if not isinstance(link.get("ok"), bool):
        raise _fail(f"{path}.ok", "true or false", link.get("ok"))
    if not isinstance(link.get("details", {}), dict | None):
        raise _fail(f"{path}.details", "an object or null", link.get("details"))


def _check_api_error(error: object, path: str) -> None:
    if not isinstance(error, dict):
        raise _fail(path, "an object", error)
    for key in ("service", "operation", "code", "message"):
        _string(error, key, path, nullable=True)


def _list(container: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(f"{path}.{key}", "a list or null", value)
    return value


def _check_control(control: object, path: str) -> None:
    if not isinstance(control, dict):
        raise _fail(path, "an object", control)
    for key in ("id", "title", "account", "region", "reason"):
        _string(control, key, path)
    for key in ("canonicalId", "nativeId", "benchmark", "remedy"):
        _string(control, key, path, nullable=True)
    if control.get("status") not in STATUSES:
        raise _fail(f"{path}.status", "one of " + ", ".join(STATUSES), control.get("status"))
    broken = control.get("brokenLink")
    if broken is not None and broken not in LINK_KINDS:
        raise _fail(f"{path}.brokenLink", "null or one of " + ", ".join(LINK_KINDS), broken)
    level = control.get("level")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
        raise _fail(f"{path}.level", "an integer or null", level)
    evidence = control.get("evidence")
    if evidence is None:
        return
    if not isinstance(evidence, dict):
        raise _fail(f"{path}.evidence", "an object or null", evidence)
    where = f"{path}.evidence"
    _string(evidence, "referencePattern", where, nullable=True)
    for index, link in enumerate(_list(evidence, "chain", where)):
        _check_link(link, f"{where}.chain[{index}]")
    for index, chain in enumerate(_list(evidence, "otherChains", where)):
        if not isinstance(chain, list):
            raise _fail(f"{where}.otherChains[{index}]", "a list of links", chain)
        for position, link in enumerate(chain):
            _check_link(link, f"{where}.otherChains[{index}][{position}]")
    for index, item in enumerate(_list(evidence, "manual", where)):
        if not isinstance(item, str):
            raise _fail(f"{where}.manual[{index}]", "a string", item)
    for index, error in enumerate(_list(evidence, "errors", where)):
        _check_api_error(error, f"{where}.errors[{index}]")


def audit_controls(document: object) -> list[dict[str, Any]]:
    """The document's controls, after checking every field the renderers read.

    Raises AuditDocumentError naming the first bad field (``controls[2].status is 'WARN'; expected one of ...``).
    """
    if not isinstance(document, dict):
        raise _fail("the document", "a JSON object", document)
    for key in ("account", "generated", "cisVersion"):
        _string(document, key, "")
    epoch_millis(document["generated"], "generated")
    tool = document.get("tool")
    if tool is not None:
        if not isinstance(tool, dict):
            raise _fail("tool", "an object or null", tool)
        _string(tool, "name", "tool", nullable=True)
        _string(tool, "version", "tool", nullable=True)
    controls = document.get("controls")
    if not isinstance(controls, list):
        raise _fail("controls", "a list", controls)
    for index, control in enumerate(controls):
        _check_control(control, f"controls[{index}]")
    for index, error in enumerate(_list(document, "errors", "")):
        _check_api_error(error, f"errors[{index}]")
    return controls


def tool_version(document: Mapping[str, Any]) -> str:
    """The version of trailguard that wrote the document (this one's when the document does not say)."""
    tool = document.get("tool") or {}
    return tool.get("version") or __version__


def epoch_millis(timestamp: str, path: str = "generated") -> int:
    """Milliseconds since the epoch of an ISO 8601 time (``2026-11-30T02:30:00Z``); naive times are UTC."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        raise _fail(path, "an ISO 8601 time such as 2026-11-30T02:30:00Z", timestamp) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def chain_links(control: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The links of the control's chosen chain, in chain order (empty when the chain broke before the trail)."""
    evidence = control.get("evidence") or {}
    return list(evidence.get("chain") or [])


def chain_ids(control: Mapping[str, Any]) -> dict[str, str]:
    """Each link kind → the id of that link in the chosen chain ('' when the chain has no such link)."""
    ids = dict.fromkeys(LINK_KINDS, "")
    for link in chain_links(control):
        if not ids[link["kind"]]:
            ids[link["kind"]] = link["id"]
    return ids


def _broken_link(control: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = control.get("brokenLink")
    for link in chain_links(control):
        if link["kind"] == kind and not link["ok"]:
            return link
    return None


def broken_link_text(control: Mapping[str, Any]) -> str:
    """One sentence naming the broken link and what is wrong with it ('' when no link is broken).

    A link the audit could not reach is absent from the chain (docs/audit-document.md), so a broken link may have
    no id: then the sentence names only its kind, and the reason says why it is missing.
    """
    kind = control.get("brokenLink")
    if not kind:
        return ""
    label = LINK_LABELS[kind]
    link = _broken_link(control)
    if link is None:
        return f"Broken link: {label} (missing from the chain)."
    problem = link.get("problem")
    if str(link["id"]).startswith("no "):  # a missing resource: its id says what is missing (docs/audit-document.md)
        return f"Broken link: {link['id']}." if problem == control.get("reason") else f"Broken link: {problem}"
    if not problem or problem == control.get("reason"):
        return f"Broken link: {label} {link['id']}."  # the reason already says what is wrong with it
    return f"Broken link: {label} {link['id']}: {problem}"


def api_error_text(error: Mapping[str, Any]) -> str:
    """``cloudtrail:GetEventSelectors in eu-west-1 failed: AccessDeniedException: User ... is not authorized``."""
    call = ":".join(part for part in (error.get("service"), error.get("operation")) if part) or "an API call"
    where = f" in {error['region']}" if error.get("region") else ""
    on = f" on {error['resource']}" if error.get("resource") else ""
    detail = ": ".join(part for part in (error.get("code"), error.get("message")) if part)
    return f"{call}{where}{on} failed" + (f": {detail}" if detail else "")


def evidence_summary(control: Mapping[str, Any]) -> str:
    """The evidence as plain lines: the chain link by link, then what to check by hand, then failed calls."""
    lines = [f"{control['id']} {control['status']} in {control['account']} {control['region']}: {control['reason']}"]
    broken = broken_link_text(control)
    if broken:
        lines.append(broken)
    if control.get("remedy"):
        lines.append(f"Remedy: {control['remedy']}")
    links = chain_links(control)
    if links:
        lines.append("Chain:")
        for link in links:
            state = "ok" if link["ok"] else f"broken: {link.get('problem') or 'see the reason'}"
            lines.append(f"  {LINK_LABELS[link['kind']]} {link['id']} ({state})")
    evidence = control.get("evidence") or {}
    others = evidence.get("otherChains") or []
    if others:
        lines.append(f"Other candidate chains: {len(others)}")
    for item in evidence.get("manual") or []:
        lines.append(f"Check by hand: {item}")
    for error in evidence.get("errors") or []:
        lines.append(f"API error: {api_error_text(error)}")
    return "\n".join(lines)


def finding_uid(account: str, region: str, control_id: str) -> str:
    """A finding's stable id: the same account, region and control give the same id on every run and version.

    Security tools update a finding in place when its id repeats (Security Hub's BatchImportFindings, OCSF
    finding_info.uid, SARIF partialFingerprints), so the id must not depend on the time, the status or the CIS
    version. A hash rather than the readable triple keeps it within every format's length limit whatever the input.
    """
    digest = hashlib.sha256("\x1f".join((account, region, control_id)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"trailguard-{digest}"


_ARN = re.compile(r"arn:[a-z0-9-]+:[a-z0-9-]+:")


def is_arn(identifier: str) -> bool:
    """Whether an id is an ARN (a pending subscription's id is the literal ``PendingConfirmation``)."""
    return _ARN.match(identifier) is not None


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in '…' when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Characters that must not reach a terminal or an XML document as they are: C0 and C1 controls (ESC starts terminal
# escape sequences; XML 1.0 forbids C0 other than tab and newlines), DEL, lone surrogates, the two XML non-characters,
# and the bidirectional overrides that make text display in another order than it reads ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_UNSAFE_WITH_BREAKS = re.compile(_UNSAFE.pattern[:-1] + "\t\n\r]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every unsafe character written as a visible escape (``\\x1b``, ``\\u202e``).

    Values in the document come from AWS (names, descriptions, CloudTrail events) and are untrusted: written raw,
    an ESC would drive the terminal and a NUL would make an XML report unreadable. With ``keep_newlines`` tabs and
    line breaks stay (multi-line XML text); without it they are escaped too (one line per value in a table).
    """
    pattern = _UNSAFE if keep_newlines else _UNSAFE_WITH_BREAKS
    return pattern.sub(_visible, text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_J = TypeVar("_J")


def scrub_surrogates(value: _J) -> _J:
    """A copy of a JSON value whose strings have each lone surrogate replaced by U+FFFD.

    ``json.loads`` accepts escapes such as ``"\\ud800"`` and returns strings that cannot be encoded as UTF-8, so a
    JSON output built from them would fail when written; every other character is kept as it is.
    """
    return cast(_J, _scrub(value))


def _scrub(value: object) -> object:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def status_counts(controls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many controls have each status, every status present (0 when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    for control in controls:
        counts[control["status"]] += 1
    return counts


def group_by_account_region(controls: Sequence[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Controls grouped by (account, region), groups in order of first appearance."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for control in controls:
        groups.setdefault((control["account"], control["region"]), []).append(control)
    return groups
