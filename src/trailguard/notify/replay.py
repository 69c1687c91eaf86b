"""``replay --notify``: queue a finished replay's notifications for the subscriptions of their topics, with their
context block, and deliver them now (retries included), through an outbox file."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trailguard.engine.notifications import Notification
from trailguard.engine.replay import ReplayResult
from trailguard.model import Configuration, Subscription, Topic
from trailguard.notify.context import NotificationContext
from trailguard.notify.evidence import ReplayEvidence
from trailguard.notify.filter_policy import accepts
from trailguard.notify.outbox import DeliveryOutcome, Outbox, OutboxEntry

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
    batch: list[tuple[Notification, Topic, Sequence[Subscription] | None, NotificationContext | None]] = []
    for outcome in result.alarms:
        for transition in outcome.evaluator.transitions:
            notification = transition.notification
            if notification is None:
                continue
            context = evidence.context_for(outcome.alarm, transition) if evidence is not None else None
            for topic_arn in notification.topic_arns:
                topic = config.topic(topic_arn)
                if topic is None:
                    report.undefined_topics.append((outcome.alarm.alarm_name, topic_arn))
                    continue
                chosen: list[Subscription] = []
                for subscription in topic.subscriptions:
                    if accepts(subscription, notification.message):
                        chosen.append(subscription)
                    else:
                        report.filtered.append((outcome.alarm.alarm_name, topic_arn, subscription))
                if chosen:
                    batch.append((notification, topic, chosen, context))
    queued = outbox.enqueue_batch(batch)
    report.outcomes = outbox.drain(sleep=sleep)
    report.entries = [entry for queued_entry in queued if (entry := outbox.get(queued_entry.id)) is not None]
    return report
