"""A record of every AWS API call made through a session, taken from botocore's own event hooks.

The recorder sees what botocore actually sends, not what our code meant to send: ``before-call`` fires once
per API call (each page of a paginated read is one call), ``before-send`` once per HTTP attempt (retries
included) with the final URL. Tests use it to prove the inventory only reads, and that every service
reaches the configured endpoint; the benchmark uses it to count calls.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CallRecorder", "RecordedCall", "RecordedSend"]


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One API call: boto3 client name, operation (``DescribeTrails``) and the client's region."""

    service: str
    operation: str
    region: str

    @property
    def iam_action(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True, slots=True)
class RecordedSend:
    """One HTTP attempt of a call: where it went (``scheme://host:port``) and which call it belongs to."""

    service: str
    operation: str
    region: str
    endpoint: str


class CallRecorder:
    """Collects :class:`RecordedCall` and :class:`RecordedSend` entries from every client it is attached to.

    Thread-safe: the inventory's worker threads share clients. Attach it through
    :class:`trailguard.aws.session.AwsSession` (``AwsSession(options, recorder=...)``), which attaches it to
    every client the session makes, STS clients used to assume roles included.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._sends: list[RecordedSend] = []

    def attach(self, client: Any, service: str, region: str) -> None:
        """Record the calls of ``client`` (a boto3 client for ``service`` in ``region``)."""

        def before_call(model: Any, **_: Any) -> None:
            with self._lock:
                self._calls.append(RecordedCall(service, model.name, region))

        def before_send(request: Any, event_name: str, **_: Any) -> None:
            # event_name is "before-send.<service id>.<Operation>"
            operation = event_name.rsplit(".", 1)[-1]
            parts = urlsplit(request.url)
            with self._lock:
                self._sends.append(RecordedSend(service, operation, region, f"{parts.scheme}://{parts.netloc}"))

        client.meta.events.register("before-call", before_call)
        client.meta.events.register("before-send", before_send)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every API call so far, in the order made."""
        with self._lock:
            return list(self._calls)

    @property
    def sends(self) -> list[RecordedSend]:
        """Every HTTP attempt so far (a retried call appears once per attempt)."""
        with self._lock:
            return list(self._sends)

    def operations(self) -> set[str]:
        """The distinct IAM actions called (``{"cloudtrail:DescribeTrails", ...}``)."""
        return {call.iam_action for call in self.calls}

    def count(self) -> Counter[str]:
        """Number of calls per IAM action."""
        return Counter(call.iam_action for call in self.calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._sends.clear()
