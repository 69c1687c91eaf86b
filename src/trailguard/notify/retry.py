"""When to try a failed delivery again, per subscription.

- ``http``/``https``: SNS's HTTP/S delivery policy — by default 3 retries 20 seconds apart; a ``DeliveryPolicy``
  attribute on the subscription (or the ``http`` part of the topic's) changes it within SNS's limits
  (:mod:`trailguard.model.delivery_policy`).
- every other protocol: exponential backoff with a cap, trailguard's own choice (SNS's fixed policies for email
  and SQS retry for 6 hours and 23 days, too long for a command that waits for the outcome); a live runner passes
  a longer :class:`RetryPolicy` when it wants one.

After the last retry the message goes to the outbox's dead-letter list; it is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from trailguard.model.delivery_policy import DEFAULT_CONTENT_TYPE, parse_delivery_policy
from trailguard.notify.base import Delivery

__all__ = ["DEFAULT_BACKOFF", "RetryPolicy", "retry_policy_for"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``delays[i]`` is the wait in seconds before retry ``i + 1``; there are ``len(delays)`` retries."""

    delays: tuple[float, ...]

    @classmethod
    def exponential(cls, retries: int, first_delay: float, cap: float, factor: float = 2.0) -> RetryPolicy:
        return cls(tuple(min(cap, first_delay * factor**i) for i in range(retries)))

    def delay_after(self, attempts: int) -> float | None:
        """The wait before the next attempt once ``attempts`` attempts have failed; None when none is left."""
        return self.delays[attempts - 1] if 1 <= attempts <= len(self.delays) else None


#: Non-HTTP protocols: 5 retries after 1, 2, 4, 8 and 16 seconds (the cap, 60 s, bites only longer policies).
DEFAULT_BACKOFF: Final = RetryPolicy.exponential(retries=5, first_delay=1.0, cap=60.0)


def retry_policy_for(delivery: Delivery, backoff: RetryPolicy = DEFAULT_BACKOFF) -> RetryPolicy:
    """The policy of this delivery's subscription."""
    if delivery.protocol in ("http", "https"):
        policy = parse_delivery_policy(
            delivery.subscription.attribute_map.get("DeliveryPolicy"), delivery.topic_delivery_policy
        )
        return RetryPolicy(policy.retry_delays())
    return backoff


def http_content_type(delivery: Delivery) -> str:
    """The Content-Type of an HTTP/S POST: ``text/plain; charset=UTF-8`` unless the delivery policy's
    ``requestPolicy.headerContentType`` says otherwise."""
    if delivery.protocol not in ("http", "https"):
        return DEFAULT_CONTENT_TYPE
    return parse_delivery_policy(
        delivery.subscription.attribute_map.get("DeliveryPolicy"), delivery.topic_delivery_policy
    ).content_type
