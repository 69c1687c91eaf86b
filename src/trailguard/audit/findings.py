"""From chains to findings: one status per (account, region, control), with its evidence, and the audit document.

A control PASSES in a region when at least one chain is complete (trail → log group → filter → alarm → topic →
confirmed subscription, every link ok). Otherwise the chains decide in this order: if any chain is stopped only by
a failed call, the control is ERROR (fixing the permission may reveal a complete chain); else if any chain is
stopped only by something a person must check, MANUAL; else FAIL, reported on the chain that got furthest, with
its first broken link, why, and one sentence of remedy. The document's shape is docs/audit-document.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from trailguard import __version__
from trailguard.audit.chains import Chain, ChainContext, Link, chains_for
from trailguard.audit.meaning import judge_filter, required_events
from trailguard.aws.snapshot import CallError, Snapshot
from trailguard.catalog import CisControl

__all__ = ["STATUS_ORDER", "audit_document", "chain_status", "control_context", "control_status"]

STATUS_ORDER = ("PASS", "FAIL", "MANUAL", "ERROR")


def chain_status(chain: Chain) -> str:
    """``complete`` / ``broken`` / ``error`` / ``manual`` for one chain."""
    states = [link.state for link in chain]
    if "broken" in states:
        return "broken"
    if "error" in states:
        return "error"
    if "manual" in states:
        return "manual"
    return "complete" if chain and chain[-1].kind == "subscription" else "broken"


def control_context(snapshot: Snapshot, control: CisControl) -> ChainContext:
    """The context the chains of ``control`` share (each pattern judged once)."""
    meanings: dict[str, Any] = {}

    def judge(pattern: str) -> Any:
        if pattern not in meanings:
            meanings[pattern] = judge_filter(pattern, control)
        return meanings[pattern]

    return ChainContext(snapshot, control, required_events(control), judge)


def control_status(chains: Sequence[Chain]) -> str:
    """PASS / ERROR / MANUAL / FAIL of one control in one region, from its candidate chains."""
    statuses = {chain_status(chain) for chain in chains}
    if "complete" in statuses:
        return "PASS"
    if "error" in statuses:
        return "ERROR"
    if "manual" in statuses:
        return "MANUAL"
    return "FAIL"


def audit_document(
    snapshot: Snapshot, controls: Sequence[CisControl], *, generated: datetime | None = None
) -> dict[str, Any]:
    """The audit of the account ``snapshot`` read, for ``controls`` (all of one benchmark version)."""
    findings: list[dict[str, Any]] = []
    for control in controls:
        context = control_context(snapshot, control)
        for region in snapshot.regions:
            findings.append(_finding(context, region))
    summary = {status: sum(1 for f in findings if f["status"] == status) for status in STATUS_ORDER}
    moment = (generated or datetime.now(UTC)).astimezone(UTC)
    return {
        "tool": {"name": "trailguard", "version": __version__},
        "account": snapshot.account_id,
        "generated": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cisVersion": controls[0].version if controls else None,
        "regions": list(snapshot.regions),
        "summary": summary,
        "controls": findings,
        "errors": [_error_dict(error) for error in snapshot.all_errors()],
        "notes": list(snapshot.notes),
    }


def _finding(context: ChainContext, region: str) -> dict[str, Any]:
    control = context.control
    chains = chains_for(context, region)
    by_status: dict[str, list[Chain]] = {}
    for chain in chains:
        by_status.setdefault(chain_status(chain), []).append(chain)
    if "complete" in by_status:
        status, chosen = "PASS", by_status["complete"][0]
    elif "error" in by_status:
        status, chosen = "ERROR", _furthest(by_status["error"])
    elif "manual" in by_status:
        status, chosen = "MANUAL", _furthest(by_status["manual"])
    else:
        status, chosen = "FAIL", _furthest(chains)
    others = [chain for chain in chains if chain is not chosen]
    stop = next((link for link in chosen if not link.ok), None)
    errors = [error for chain in chains for link in chain for error in link.errors]
    return {
        "id": f"cis-{control.id}",
        "canonicalId": control.id,
        "nativeId": control.native_id,
        "title": control.title,
        "level": control.level,
        "benchmark": control.benchmark,
        "account": context.snapshot.account_id,
        "region": region,
        "status": status,
        "reason": _reason(status, chosen, stop, control),
        "brokenLink": None if status == "PASS" or stop is None else stop.kind,
        "remedy": None if status == "PASS" or stop is None else _remedy(stop, control),
        "evidence": {
            "referencePattern": control.pattern,
            "chain": [link.to_dict() for link in chosen],
            "otherChains": [[link.to_dict() for link in chain] for chain in others],
            "manual": [text for chain in chains for link in chain for text in link.manual if text],
            "errors": [_error_dict(error) for error in dict.fromkeys(errors)],
        },
    }


def _furthest(chains: Sequence[Chain]) -> Chain:
    """The chain to show when none is complete: the one that got furthest (the most ok links), and among those
    the one whose metric filter is nearest the control — a near miss (a narrowing clause, a typo) says more than
    the filters of other controls on the same log group. When every filter there is another control's, the
    chain shown ends in a link saying so rather than in one unrelated filter picked at random."""
    chosen = max(chains, key=lambda chain: (sum(1 for link in chain if link.ok), _relevance(chain)))
    stop = next((link for link in chosen if not link.ok), None)
    if stop is None or stop.kind != "metricFilter" or stop.state != "broken" or "pattern" not in stop.details:
        return chosen
    if _related(stop):
        return chosen
    head = chosen[: chosen.index(stop)]
    group = str(stop.details.get("logGroupName"))
    count = sum(1 for chain in chains if chain[: len(head)] == head and len(chain) > len(head))
    filters = "metric filter" if count == 1 else f"{count} metric filters"
    return (
        *head,
        Link(
            "metricFilter",
            f"no metric filter for this control on {group}",
            stop.region,
            "broken",
            f"none of the {filters} on log group {group} counts this control's events or tests what its "
            "reference pattern tests",
            {"logGroupName": group, "filters": count},
        ),
    )


def _relevance(chain: Chain) -> tuple[float, int]:
    """How near the chain's metric filter is to the control: how many of the required events (one per branch of
    the reference) it counts, then how many of the reference's comparisons it makes too (a filter narrowed by
    one clause counts none of the representative events, yet shares every term of the reference)."""
    for link in chain:
        if link.kind == "metricFilter":
            counted, terms = link.details.get("countsRequired"), link.details.get("sharedTerms")
            return (
                float(counted) if isinstance(counted, int | float) else 0.0,
                terms if isinstance(terms, int) else 0,
            )
    return 0.0, 0


def _related(link: Link) -> bool:
    counted, terms = link.details.get("countsRequired"), link.details.get("sharedTerms")
    return bool(counted) or bool(terms)


def _reason(status: str, chain: Chain, stop: Link | None, control: CisControl) -> str:
    if status == "PASS":
        trail, group, metric_filter, alarm, topic, subscription = chain[:6]
        return (
            f"trail {trail.details.get('name')} → {group.details.get('name')} → filter {metric_filter.id} "
            f"({metric_filter.details.get('verdict')}) → alarm {alarm.details.get('name')} (fires "
            f"{_seconds(alarm.details.get('firedAfterSeconds'))} after a required event) → topic "
            f"{topic.id.rsplit(':', 1)[-1]} → confirmed {subscription.details.get('protocol')} subscription"
        )
    assert stop is not None
    return stop.problem or f"the {stop.kind} link could not be judged"


def _seconds(value: Any) -> str:
    return f"{value:g} s" if isinstance(value, int | float) else "soon"


def _remedy(stop: Link, control: CisControl) -> str:
    fix = f"trailguard remediate --controls cis-{control.id}"
    if stop.state == "error":
        calls = ", ".join(sorted({error.iam_action for error in stop.errors})) or "the calls named in the evidence"
        return f"grant the audit's credentials {calls} (the README lists the minimal IAM policy) and audit again"
    if stop.state == "manual":
        return stop.manual[0] if stop.manual else "check the link by hand, as the evidence says"
    if stop.remedy is not None:
        return stop.remedy
    remedies = {
        "trail": (
            "use a multi-region trail that is logging, records all management events (read and write) and "
            f"delivers to a CloudWatch Logs log group ({fix} --integrate-trail plans it)"
        ),
        "logGroup": "point the trail at an existing CloudWatch Logs log group, or create the one it names",
        "metricFilter": (
            f"put a metric filter with the pattern {control.pattern} on the trail's log group ({fix} plans it)"
        ),
        "alarm": (
            "put an alarm on the filter's metric that fires on one event (Sum over 300 s >= 1 for 1 period, as CIS "
            f"prescribes) with its actions enabled and an SNS topic among its alarm actions ({fix} plans it)"
        ),
        "topic": (
            "notify an existing SNS topic whose access policy lets CloudWatch publish and that is not encrypted "
            "with the AWS managed key alias/aws/sns"
        ),
        "subscription": (
            "subscribe a person (e.g. email) to the topic and have them confirm the subscription "
            f"({fix} --notify email:ADDRESS)"
        ),
    }
    return remedies[stop.kind]


def _error_dict(error: CallError) -> dict[str, Any]:
    return {
        "service": error.service,
        "operation": error.operation,
        "region": error.region,
        "code": error.code,
        "message": error.message,
        "resource": error.resource or None,
    }
