"""The DeliveryPolicy of an HTTP/S subscription (or the ``http`` part of a topic's): how SNS retries a failed
delivery, and the Content-Type it posts with.

"Amazon SNS message delivery retries", Amazon SNS Developer Guide,
https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html:

- the default policy is 3 retries, 20 seconds apart, linear backoff, no throttling;
- a policy has four phases: immediate retries (``numNoDelayRetries``), pre-backoff retries
  (``numMinDelayRetries``, ``minDelayTarget`` apart), backoff retries (from ``minDelayTarget`` to
  ``maxDelayTarget`` following ``backoffFunction``), post-backoff retries (``numMaxDelayRetries``,
  ``maxDelayTarget`` apart); ``numRetries`` is the total;
- ``minDelayTarget`` is at least 1 s and at most ``maxDelayTarget``; the total retry time of an HTTP/S policy
  cannot exceed 3,600 s; ``numRetries`` is at most 100;
- ``requestPolicy.headerContentType`` is ``text/plain`` (the default, ``text/plain; charset=UTF-8``),
  ``application/json`` or ``application/xml``.

The documentation draws the four backoff functions as curves only; the delays trailguard computes for them are
its own reading of those curves (docs/compatibility.md, "Notifications").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "BACKOFF_FUNCTIONS",
    "DEFAULT_CONTENT_TYPE",
    "DeliveryPolicy",
    "DeliveryPolicyError",
    "parse_delivery_policy",
]

BACKOFF_FUNCTIONS: Final = ("linear", "arithmetic", "geometric", "exponential")
DEFAULT_CONTENT_TYPE: Final = "text/plain; charset=UTF-8"
_CONTENT_TYPES: Final = {
    "text/plain": DEFAULT_CONTENT_TYPE,
    "application/json": "application/json",
    "application/xml": "application/xml",
}
MAX_RETRIES: Final = 100
MAX_DELAY_SECONDS: Final = 3600
MAX_TOTAL_RETRY_SECONDS: Final = 3600
_RETRY_KEYS: Final = (
    "minDelayTarget",
    "maxDelayTarget",
    "numRetries",
    "numNoDelayRetries",
    "numMinDelayRetries",
    "numMaxDelayRetries",
    "backoffFunction",
)


class DeliveryPolicyError(ValueError):
    """A DeliveryPolicy that SNS would refuse; the message says what and what is allowed."""


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """An HTTP/S delivery policy; the defaults are SNS's default policy."""

    min_delay_target: int = 20
    max_delay_target: int = 20
    num_retries: int = 3
    num_no_delay_retries: int = 0
    num_min_delay_retries: int = 0
    num_max_delay_retries: int = 0
    backoff_function: str = "linear"
    content_type: str = DEFAULT_CONTENT_TYPE
    max_receives_per_second: int | None = None

    @property
    def backoff_retries(self) -> int:
        return self.num_retries - self.num_no_delay_retries - self.num_min_delay_retries - self.num_max_delay_retries

    def retry_delays(self) -> tuple[float, ...]:
        """The wait in seconds before each retry, in order (``len`` = ``num_retries``)."""
        delays: list[float] = [0.0] * self.num_no_delay_retries
        delays += [float(self.min_delay_target)] * self.num_min_delay_retries
        steps = self.backoff_retries
        low, high = float(self.min_delay_target), float(self.max_delay_target)
        for i in range(steps):
            # The phase runs "from minDelayTarget to maxDelayTarget": its first retry waits the minimum, its last
            # the maximum (a single backoff retry waits the maximum).
            fraction = i / (steps - 1) if steps > 1 else 1.0
            delays.append(low + (high - low) * _curve(self.backoff_function, fraction))
        delays += [high] * self.num_max_delay_retries
        return tuple(round(d, 3) for d in delays)

    def to_json(self) -> str:
        """The subscription attribute form."""
        retry = {
            "minDelayTarget": self.min_delay_target,
            "maxDelayTarget": self.max_delay_target,
            "numRetries": self.num_retries,
            "numNoDelayRetries": self.num_no_delay_retries,
            "numMinDelayRetries": self.num_min_delay_retries,
            "numMaxDelayRetries": self.num_max_delay_retries,
            "backoffFunction": self.backoff_function,
        }
        data: dict[str, Any] = {"healthyRetryPolicy": retry}
        if self.max_receives_per_second is not None:
            data["throttlePolicy"] = {"maxReceivesPerSecond": self.max_receives_per_second}
        if self.content_type != DEFAULT_CONTENT_TYPE:
            data["requestPolicy"] = {"headerContentType": self.content_type}
        return json.dumps(data, separators=(",", ":"))


def _curve(function: str, x: float) -> float:
    """Fraction of the way from minDelayTarget to maxDelayTarget at fraction ``x`` of the backoff phase."""
    if function == "arithmetic":
        return x * x
    if function == "geometric":
        return x * x * x
    if function == "exponential":
        return (math.pow(2.0, 10 * x) - 1) / (math.pow(2.0, 10) - 1)
    return x


def parse_delivery_policy(subscription_policy: str | None, topic_policy: str | None = None) -> DeliveryPolicy:
    """The effective policy of an HTTP/S subscription: its own DeliveryPolicy attribute over the topic's
    ``http.defaultHealthyRetryPolicy`` (unless the topic sets ``disableSubscriptionOverrides``) over SNS's
    default. Raises DeliveryPolicyError for a policy SNS would refuse."""
    fields: dict[str, Any] = {}
    overrides_allowed = True
    if topic_policy:
        http = _object(topic_policy, "topic DeliveryPolicy").get("http", {})
        if not isinstance(http, dict):
            raise DeliveryPolicyError("topic DeliveryPolicy: 'http' must be a JSON object")
        overrides_allowed = not http.get("disableSubscriptionOverrides", False)
        _merge(fields, http, "defaultHealthyRetryPolicy", "defaultThrottlePolicy", "defaultRequestPolicy")
    if subscription_policy and overrides_allowed:
        _merge(
            fields,
            _object(subscription_policy, "DeliveryPolicy"),
            "healthyRetryPolicy",
            "throttlePolicy",
            "requestPolicy",
        )
    return _build(fields)


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise DeliveryPolicyError(f"{what} is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise DeliveryPolicyError(f"{what} must be a JSON object")
    return data


def _merge(fields: dict[str, Any], data: dict[str, Any], retry_key: str, throttle_key: str, request_key: str) -> None:
    for key, target in ((retry_key, None), (throttle_key, "maxReceivesPerSecond"), (request_key, "headerContentType")):
        part = data.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise DeliveryPolicyError(f"{key} must be a JSON object")
        if target is None:
            for name in part:
                if name not in _RETRY_KEYS:
                    raise DeliveryPolicyError(f"{key}: unknown field {name!r}; allowed: {', '.join(_RETRY_KEYS)}")
            fields.update(part)
        elif target in part:
            fields[target] = part[target]


def _integer(fields: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = fields.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeliveryPolicyError(f"{name} must be a whole number; allowed: {low} to {high}")
    if not low <= value <= high:
        raise DeliveryPolicyError(f"{name} is {value}; allowed: {low} to {high}")
    return value


def _build(fields: dict[str, Any]) -> DeliveryPolicy:
    max_delay = _integer(fields, "maxDelayTarget", 20, 1, MAX_DELAY_SECONDS)
    min_delay = _integer(fields, "minDelayTarget", 20, 1, MAX_DELAY_SECONDS)
    if min_delay > max_delay:
        raise DeliveryPolicyError(
            f"minDelayTarget ({min_delay}) is greater than maxDelayTarget ({max_delay}); "
            "allowed: at most maxDelayTarget"
        )
    retries = _integer(fields, "numRetries", 3, 0, MAX_RETRIES)
    no_delay = _integer(fields, "numNoDelayRetries", 0, 0, MAX_RETRIES)
    min_retries = _integer(fields, "numMinDelayRetries", 0, 0, MAX_RETRIES)
    max_retries = _integer(fields, "numMaxDelayRetries", 0, 0, MAX_RETRIES)
    if no_delay + min_retries + max_retries > retries:
        raise DeliveryPolicyError(
            "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries is more than numRetries; allowed: at most "
            "numRetries"
        )
    backoff = fields.get("backoffFunction", "linear")
    if not isinstance(backoff, str) or backoff.lower() not in BACKOFF_FUNCTIONS:
        raise DeliveryPolicyError(f"backoffFunction {backoff!r} is not valid; allowed: {', '.join(BACKOFF_FUNCTIONS)}")
    content_type = fields.get("headerContentType", "text/plain")
    if content_type not in _CONTENT_TYPES:
        raise DeliveryPolicyError(
            f"headerContentType {content_type!r} is not valid; allowed: {', '.join(_CONTENT_TYPES)}"
        )
    throttle = fields.get("maxReceivesPerSecond")
    if throttle is not None and (isinstance(throttle, bool) or not isinstance(throttle, int) or throttle < 1):
        raise DeliveryPolicyError("maxReceivesPerSecond must be a whole number of at least 1")
    policy = DeliveryPolicy(
        min_delay,
        max_delay,
        retries,
        no_delay,
        min_retries,
        max_retries,
        backoff.lower(),
        _CONTENT_TYPES[content_type],
        throttle,
    )
    total = sum(policy.retry_delays())
    if total > MAX_TOTAL_RETRY_SECONDS:
        raise DeliveryPolicyError(
            f"the retries take {total:g} seconds in all; allowed: at most {MAX_TOTAL_RETRY_SECONDS} seconds"
        )
    return policy
