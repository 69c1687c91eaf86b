"""Which subscriptions receive a notification: those of the topics among its targets that the configuration
defines, less the ones whose FilterPolicy refuses it (as SNS would not deliver it either)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trailguard.engine.notifications import Notification
from trailguard.model import Configuration, Subscription, Topic
from trailguard.notify.context import NotificationContext
from trailguard.notify.filter_policy import accepts

__all__ = ["OutboxItem", "Routing", "route"]

#: What :meth:`~trailguard.notify.outbox.Outbox.enqueue_batch` takes for one notification and topic.
OutboxItem = tuple[Notification, Topic, Sequence[Subscription] | None, NotificationContext | None]


@dataclass(slots=True)
class Routing:
    """The outbox items of one notification, the topics it names that the configuration does not define (nobody
    to deliver to), and the (topic ARN, subscription) pairs whose FilterPolicy refused it."""

    items: list[OutboxItem] = field(default_factory=list)
    undefined_topics: list[str] = field(default_factory=list)
    filtered: list[tuple[str, Subscription]] = field(default_factory=list)


def route(notification: Notification, config: Configuration, context: NotificationContext | None) -> Routing:
    routing = Routing()
    for topic_arn in notification.topic_arns:
        topic = config.topic(topic_arn)
        if topic is None:
            routing.undefined_topics.append(topic_arn)
            continue
        chosen: list[Subscription] = []
        for subscription in topic.subscriptions:
            if accepts(subscription, notification.message):
                chosen.append(subscription)
            else:
                routing.filtered.append((topic_arn, subscription))
        if chosen:
            routing.items.append((notification, topic, chosen, context))
    return routing
