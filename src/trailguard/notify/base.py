"""What every deliverer shares: one :class:`Delivery` (a notification for one subscription), the
:class:`Deliverer` interface, and :class:`DeliveryError`, which says whether trying again can help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from trailguard.model import Subscription
from trailguard.notify.context import NotificationContext

__all__ = ["Deliverer", "Delivery", "DeliveryError"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification on its way to one subscription.

    ``message_id`` is SNS's MessageId: the same for every subscription of the topic and for every retry.
    ``published_ms`` is SNS's Timestamp (the alarm's state change time); ``attempt`` counts from 1.
    """

    message_id: str
    topic_arn: str
    subscription_arn: str
    subscription: Subscription
    subject: str
    message: str
    published_ms: int
    context: NotificationContext | None = None
    topic_display_name: str | None = None
    topic_delivery_policy: str | None = None
    attempt: int = 1

    @property
    def protocol(self) -> str:
        return self.subscription.protocol

    @property
    def endpoint(self) -> str:
        return self.subscription.endpoint


class DeliveryError(Exception):
    """A delivery that did not succeed. ``permanent``: the same attempt cannot succeed later (a refused
    recipient, an HTTP 4xx, a missing setting), so the message goes to the dead-letter list at once; otherwise
    it is retried by the subscription's retry policy. The text never holds a secret."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Deliverer(Protocol):
    """Delivers to the subscriptions of some protocols. ``deliver`` returns only once the receiving side has
    accepted the message (an SMTP 250, an HTTP 2xx, an AWS request id, an fsync'd write); it raises
    :class:`DeliveryError` otherwise."""

    protocols: tuple[str, ...]

    def deliver(self, delivery: Delivery) -> None: ...
