"""The audit as one self-contained HTML page: a summary an auditor can print, then per control and per account and
region the chain trail → log group → metric filter → alarm → topic → subscription drawn as linked boxes, the broken
link highlighted with its reason and remedy, and the pattern's verdict with its witness event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from trailguard.report.audit_document import LINK_KINDS, LINK_LABELS, STATUSES, scrub_surrogates
from trailguard.report.audit_view import ControlRecord, LinkRecord, read_audit_document
from trailguard.report.environment import render_page
from trailguard.report.formats import alarm_sentence, format_value

__all__ = ["render_audit_html"]

#: A link kind as the heading of its box: "CloudTrail trail", "Log group", ... "Subscription".
KIND_LABELS: Final = {kind: label[0].upper() + label[1:] for kind, label in LINK_LABELS.items()}


@dataclass(frozen=True, slots=True)
class ChainBox:
    kind: str
    label: str
    state: str  # ok, broken, error (a call failed), manual (a person must judge it), unreached (the chain stopped)
    name: str
    facts: list[tuple[str, str]]
    problem: str | None
    region: str | None


@dataclass(frozen=True, slots=True)
class ControlCard:
    anchor: str
    control: ControlRecord
    boxes: list[ChainBox]
    other_chains: list[list[ChainBox]]
    metric_filter: LinkRecord | None
    alarm: LinkRecord | None


@dataclass(frozen=True, slots=True)
class ControlGroup:
    canonical_id: str
    label: str  # "4.6 (v7.0.0 5.6)"
    title: str
    level: int | None
    cards: list[ControlCard]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    account: str
    group: ControlGroup
    cells: list[ControlCard | None]  # one per region


def render_audit_html(document: Mapping[str, Any]) -> str:
    """The audit document (docs/audit-document.md) as one HTML page.

    Raises :class:`~trailguard.report.document.DocumentError` when a field the page needs is missing or of the
    wrong type.
    """
    # Text that UTF-8 cannot carry (a lone surrogate from a JSON escape) is replaced, as the other formats do.
    audit = read_audit_document(scrub_surrogates(document))
    groups: dict[str, ControlGroup] = {}
    cards: list[ControlCard] = []
    for index, control in enumerate(audit.controls):
        card = _card(index, control)
        cards.append(card)
        group = groups.get(control.canonical_id)
        if group is None:
            native = f" (v{audit.cis_version} {control.native_id})" if audit.cis_version and control.native_id else ""
            group = groups[control.canonical_id] = ControlGroup(
                control.canonical_id, f"{control.canonical_id}{native}", control.title, control.level, []
            )
        group.cards.append(card)
    regions = list(dict.fromkeys([*audit.regions, *(c.region for c in audit.controls)]))
    accounts = list(dict.fromkeys(c.account for c in audit.controls)) or ([audit.account] if audit.account else [])
    matrix: list[MatrixRow] = []
    for account in accounts:
        for group in groups.values():
            by_region = {card.control.region: card for card in group.cards if card.control.account == account}
            if by_region:
                matrix.append(MatrixRow(account, group, [by_region.get(region) for region in regions]))
    counted = {status: sum(1 for c in audit.controls if c.status == status) for status in STATUSES}
    return render_page(
        "audit.html.j2",
        audit=audit,
        accounts=accounts,
        regions=regions,
        groups=list(groups.values()),
        matrix=matrix,
        findings=[card for card in cards if card.control.status != "PASS"],
        counted=counted,
        statuses=STATUSES,
        kind_labels=KIND_LABELS,
    )


def _card(index: int, control: ControlRecord) -> ControlCard:
    by_kind = {link.kind: link for link in reversed(control.chain)}  # the first link of each kind wins
    return ControlCard(
        anchor=f"control-{index + 1}",
        control=control,
        boxes=chain_boxes(control.chain, control.broken_link, control.region, _STOP_STATES.get(control.status)),
        other_chains=[
            chain_boxes(chain, _first_broken(chain), control.region, "broken") for chain in control.other_chains
        ],
        metric_filter=by_kind.get("metricFilter"),
        alarm=by_kind.get("alarm"),
    )


def _first_broken(chain: Sequence[LinkRecord]) -> str | None:
    for link in chain:
        if link.state != "ok":
            return link.kind
    present = {link.kind for link in chain}
    missing = [kind for kind in LINK_KINDS if kind not in present]
    return missing[0] if missing else None


_STOP_STATES: Final = {"FAIL": "broken", "ERROR": "error", "MANUAL": "manual"}


def chain_boxes(
    chain: Sequence[LinkRecord], broken_kind: str | None, region: str, stop_state: str | None
) -> list[ChainBox]:
    """The six positions of a chain: each present link with its state, a missing one where the chain stopped
    (``broken_kind``) in ``stop_state``, the others as not reached. A link's region is shown when not ``region``."""
    by_kind: dict[str, LinkRecord] = {}
    for link in chain:
        by_kind.setdefault(link.kind, link)
    boxes = []
    for kind in LINK_KINDS:
        found = by_kind.get(kind)
        if found is None:
            stopped = kind == broken_kind and stop_state is not None
            state = stop_state if stopped and stop_state is not None else "unreached"
            name = {"broken": "none found", "error": "could not be read", "manual": "to check by hand"}.get(
                state, "not reached"
            )
            boxes.append(ChainBox(kind, KIND_LABELS[kind], state, name, [], None, None))
            continue
        link = found
        state = link.state
        if kind == broken_kind and state == "ok" and stop_state is not None:
            state = stop_state  # the document names this link as where the chain stopped
        boxes.append(
            ChainBox(
                kind,
                KIND_LABELS[kind],
                state,
                _name(link),
                _facts(link),
                link.problem,
                link.region if link.region != region else None,
            )
        )
    return boxes


def _text(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_value(value)
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "none"
    return str(value)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _name(link: LinkRecord) -> str:
    details = link.details
    if link.kind == "subscription":
        endpoint = details.get("endpoint")
        return _text(endpoint) if endpoint is not None else link.id
    name = details.get("name")
    if isinstance(name, str) and name:
        return name
    if link.kind in ("trail", "topic", "alarm", "logGroup") and ":" in link.id:
        return link.id.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or link.id
    return link.id


def _facts(link: LinkRecord) -> list[tuple[str, str]]:
    """The few details of a link worth a glance in its box (the rest are in the document)."""
    d = link.details
    facts: list[tuple[str, str]] = []

    def add(label: str, key: str) -> None:
        if key in d:
            facts.append((label, _text(d[key])))

    if link.kind == "trail":
        add("multi-region", "isMultiRegionTrail")
        add("logging", "isLogging")
        add("management events", "managementEvents")
        add("selectors", "selectorKind")
        if d.get("excludedEventSources"):
            add("excluded sources", "excludedEventSources")
        add("organization trail", "isOrganizationTrail")
    elif link.kind == "logGroup":
        add("account", "account")
        add("region", "region")
    elif link.kind == "metricFilter":
        add("log group", "logGroupName")
        add("verdict", "verdict")
        metric = d.get("metric")
        if isinstance(metric, Mapping):
            facts.append(("metric", f"{_text(metric.get('namespace'))}/{_text(metric.get('name'))}"))
    elif link.kind == "alarm":
        period, threshold = _number(d.get("period")), _number(d.get("threshold"))
        if period is not None and "comparisonOperator" in d:
            n = int(_number(d.get("evaluationPeriods")) or 1)
            m = int(_number(d.get("datapointsToAlarm")) or n)
            rule = alarm_sentence(
                _text(d.get("statistic")), "", "", int(period), _text(d.get("comparisonOperator")), threshold, m, n
            )
            facts.append(("rule", rule.replace(" of / over", " over")))
        add("actions enabled", "actionsEnabled")
        add("fires on the event", "fires")
    elif link.kind == "topic":
        add("exists", "exists")
        add("CloudWatch may publish", "policyAllowsCloudWatch")
        if d.get("kmsMasterKeyId"):
            add("KMS key", "kmsMasterKeyId")
    elif link.kind == "subscription":
        add("protocol", "protocol")
        add("confirmed", "confirmed")
    return facts
