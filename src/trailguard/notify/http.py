"""``http`` and ``https`` subscriptions: SNS's POST of the notification envelope (or, with RawMessageDelivery,
of the bare message) with SNS's headers (:mod:`trailguard.notify.envelope`).

A 2xx answer is success. 5xx, 429, timeouts and connection failures are retried by the subscription's delivery
policy (:mod:`trailguard.notify.retry`); any other answer (a redirect, which SNS does not follow, or a 4xx) is
final and sends the message to the dead-letter list at once. :func:`post` is the one HTTP client of the package.
"""

from __future__ import annotations

import http.client
import logging
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from trailguard.notify.base import Delivery, DeliveryError
from trailguard.notify.envelope import envelope_json, http_headers
from trailguard.notify.retry import http_content_type

__all__ = ["HttpDeliverer", "post"]

_log = logging.getLogger("trailguard.notify.http")
#: SNS waits 15 seconds for an HTTP/S endpoint to answer.
DEFAULT_TIMEOUT = 15.0


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    tls_context: ssl.SSLContext | None = None,
) -> int:
    """POST ``body``; returns the 2xx status or raises DeliveryError (``permanent`` for answers that a retry
    cannot change). Redirects are not followed. Messages name only scheme, host and port: a webhook URL's path
    is often its secret (Slack's are)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("the endpoint is not an http:// or https:// URL", permanent=True)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    try:
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=timeout, context=tls_context or ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    except ValueError as error:  # a bad port
        raise DeliveryError(f"the endpoint's port is not valid ({error})", permanent=True) from None
    where = f"{parts.scheme}://{parts.netloc}"
    try:
        connection.request("POST", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        status = response.status
        detail = response.read(300).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"POST to {where} failed: {error or type(error).__name__}") from None
    finally:
        connection.close()
    if 200 <= status < 300:
        return status
    shown = " ".join(detail.split())[:200]
    message = f"POST to {where} answered HTTP {status}" + (f": {shown}" if shown else "")
    raise DeliveryError(message, permanent=not (status >= 500 or status == 429))


class HttpDeliverer:
    """Delivers ``http`` and ``https`` subscriptions as SNS does."""

    protocols: tuple[str, ...] = ("http", "https")

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, tls_context: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        self._tls_context = tls_context

    def deliver(self, delivery: Delivery) -> None:
        raw = delivery.subscription.raw_message_delivery
        body = delivery.message if raw else envelope_json(delivery)
        headers = http_headers(delivery, content_type=http_content_type(delivery), raw=raw)
        status = post(
            delivery.endpoint, body.encode("utf-8"), headers, timeout=self._timeout, tls_context=self._tls_context
        )
        _log.info("notification %s posted to %s (HTTP %d)", delivery.message_id, delivery.topic_arn, status)
