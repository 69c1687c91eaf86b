"""Delivering alarm notifications to the subscriptions of their topics, reliably.

The engine computes the notification CloudWatch would publish (:class:`~trailguard.engine.notifications.Notification`);
this package delivers it the way SNS would to each subscription of each topic, through a SQLite outbox that
survives crashes (at-least-once, stable MessageIds, retries, a dead-letter list), with a ``trailguard`` context
block that names the events behind the alarm::

    from trailguard.notify import Outbox, default_deliverers, context_from_records

    with Outbox(state_dir / "state.sqlite", deliverers=default_deliverers(smtp=config.smtp)) as outbox:
        for topic in config.topics_of(alarm):
            if topic.topic_arn in transition.notification.topic_arns:
                outbox.enqueue(transition.notification, topic, context=context_from_records(records))
        outbox.deliver_due()            # the live loop calls this every few seconds; replay calls drain()

Modules: base (Delivery, Deliverer, DeliveryError), context, envelope (SNS ids, JSON envelope, HTTP headers),
text (email body, readable summaries), retry, outbox, one module per protocol family (email, http, aws, chat,
local), deliverers (all of them from one set of options) and evidence (the records behind a replay's alarms).
"""

from trailguard.notify.base import Deliverer, Delivery, DeliveryError
from trailguard.notify.context import ContextBuilder, NotificationContext, ValueCount, context_from_records
from trailguard.notify.deliverers import default_deliverers
from trailguard.notify.envelope import envelope, envelope_json, http_headers, message_id_for, subscription_arn_for
from trailguard.notify.outbox import SCHEMA_VERSION, DeliveryOutcome, Outbox, OutboxEntry, OutboxError
from trailguard.notify.retry import DEFAULT_BACKOFF, RetryPolicy, retry_policy_for

__all__ = [
    "DEFAULT_BACKOFF",
    "SCHEMA_VERSION",
    "ContextBuilder",
    "Deliverer",
    "Delivery",
    "DeliveryError",
    "DeliveryOutcome",
    "NotificationContext",
    "Outbox",
    "OutboxEntry",
    "OutboxError",
    "RetryPolicy",
    "ValueCount",
    "context_from_records",
    "default_deliverers",
    "envelope",
    "envelope_json",
    "http_headers",
    "message_id_for",
    "retry_policy_for",
    "subscription_arn_for",
]
