"""``replay --notify``: queue a finished replay's notifications for the subscriptions of their topics, with their
context block, and deliver them now (retries included), through an outbox file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from trailguard.engine.replay import ReplayResult
from trailguard.model import Configuration, Subscription
from trailguard.notify.evidence import ReplayEvidence
from trailguard.notify.outbox import DeliveryOutcome, Outbox, OutboxEntry
from trailguard.notify.routing import OutboxItem, route

__all__ = ["ReplayDelivery", "deliver_replay"]


@dataclass(slots=True)
class ReplayDelivery:
    """What ``replay --notify`` did: the rows it queued (as they ended), the notifications to topics that the
    configuration does not define (nobody to deliver to), and the subscriptions whose FilterPolicy refused a
    notification (as SNS would not deliver it either)."""

    entries: list[OutboxEntry] = field(default_factory=list)
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    undefined_topics: list[tuple[str, str]] = field(default_factory=list)  # (alarm name, topic ARN)
    filtered: list[tuple[str, str, Subscription]] = field(default_factory=list)  # (alarm, topic ARN, subscription)

    @property
    def delivered(self) -> list[OutboxEntry]:
        return [e for e in self.entries if e.state == "delivered"]

    @property
    def dead(self) -> list[OutboxEntry]:
        return [e for e in self.entries if e.state == "dead"]


def deliver_replay(
    result: ReplayResult,
    config: Configuration,
    outbox: Outbox,
    *,
    evidence: ReplayEvidence | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplayDelivery:
    """Queue every notification of ``result`` (one batch) and deliver until nothing is pending. ``evidence``
    gives each notification its context block (None: no context)."""
    report = ReplayDelivery()
    batch: list[OutboxItem] = []
    for outcome in result.alarms:
        name = outcome.alarm.alarm_name
        for transition in outcome.evaluator.transitions:
            notification = transition.notification
            if notification is None:
                continue
            context = evidence.context_for(outcome.alarm, transition) if evidence is not None else None
            routing = route(notification, config, context)
            report.undefined_topics += [(name, topic_arn) for topic_arn in routing.undefined_topics]
            report.filtered += [(name, topic_arn, subscription) for topic_arn, subscription in routing.filtered]
            batch += routing.items
    queued = outbox.enqueue_batch(batch)
    report.outcomes = outbox.drain(sleep=sleep)
    report.entries = [entry for queued_entry in queued if (entry := outbox.get(queued_entry.id)) is not None]
    return report
