"""Delivering the outbox while ``trailguard run`` goes on: a thread with its own connection to the state file, so
that a slow mail server never delays an alarm evaluation.

The runner's thread enqueues (with the alarm state change that made the notification, in one transaction) and
wakes this one; this one attempts every row that is due and sleeps until the next is (a retry, or the next
wake-up). Each outcome is committed as soon as it is known (``Outbox.deliver_due``), so a crash repeats at most
the delivery in progress, with the same MessageId. Rows put back by ``trailguard outbox --retry`` from another
process are found within ``RECHECK_SECONDS``.

Non-HTTP subscriptions are retried on :data:`LIVE_BACKOFF` (a monitor can wait: about 6 hours, as SNS retries
email); HTTP/S keep their delivery policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from trailguard.live.clock import Clock
from trailguard.live.logs import fields
from trailguard.live.metrics import LiveMetrics
from trailguard.notify import Deliverer, Outbox, OutboxError, RetryPolicy

__all__ = ["LIVE_BACKOFF", "RECHECK_SECONDS", "DeliveryWorker"]

#: Retries of non-HTTP deliveries in a live run: 1 s doubling to a 10-minute cap, 40 retries (about 6 hours).
LIVE_BACKOFF: Final = RetryPolicy.exponential(retries=40, first_delay=1.0, cap=600.0)
RECHECK_SECONDS: Final = 5.0
_log = logging.getLogger("trailguard.live.delivery")


class DeliveryWorker:
    """See the module docstring. ``failure`` holds the error that stopped it (the state file became unusable)."""

    def __init__(
        self,
        path: Path,
        deliverers: Sequence[Deliverer],
        clock: Clock,
        *,
        metrics: LiveMetrics | None = None,
        backoff: RetryPolicy = LIVE_BACKOFF,
    ) -> None:
        self.path = path
        self._deliverers = list(deliverers)
        self._clock = clock
        self._metrics = metrics
        self._backoff = backoff
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delivery", daemon=True)
        self.failure: Exception | None = None
        self.counts: dict[str, int] = {"pending": 0, "delivered": 0, "dead": 0}
        self.sent = 0
        self.failed = 0
        self.on_failure: threading.Event | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the delivery in progress (if any) and stop."""
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            with Outbox(
                self.path, deliverers=self._deliverers, clock=self._clock.now_ms, backoff=self._backoff
            ) as outbox:
                while not self._stop.is_set():
                    self.wake.clear()
                    self._deliver(outbox)
                    self.counts = outbox.counts()
                    if self._metrics is not None:
                        self._metrics.outbox_pending.set(self.counts["pending"])
                        self._metrics.outbox_dead.set(self.counts["dead"])
                    due = outbox.next_due_ms()
                    until = self._clock.now_ms() + int(RECHECK_SECONDS * 1000) if due is None else due
                    self._clock.wait(until, self.wake, RECHECK_SECONDS)
                    if self._stop.is_set():
                        return
        except OutboxError as error:
            self.failure = error
            _log.error("notifications cannot be delivered any more: %s", error)
            if self.on_failure is not None:
                self.on_failure.set()

    def _deliver(self, outbox: Outbox) -> None:
        while not self._stop.is_set():
            outcomes = outbox.deliver_due(limit=1)
            if not outcomes:
                return
            for outcome in outcomes:
                entry = outcome.entry
                protocol = entry.subscription.protocol
                where = fields(
                    alarm=entry.alarm_name,
                    protocol=protocol,
                    endpoint=entry.subscription.endpoint,
                    message_id=entry.message_id,
                    attempts=entry.attempts,
                    outbox_id=entry.id,
                )
                if outcome.delivered:
                    self.sent += 1
                    if self._metrics is not None:
                        self._metrics.sent.labels(protocol).inc()
                    _log.info("notification delivered", extra=where)
                    continue
                self.failed += 1
                if self._metrics is not None:
                    self._metrics.failed.labels(protocol).inc()
                    if entry.state == "dead":
                        self._metrics.dead.labels(protocol).inc()
                where["fields"]["error"] = outcome.error
                if entry.state == "dead":
                    _log.error("notification moved to the dead-letter list", extra=where)
                else:
                    _log.warning("notification delivery failed; it will be retried", extra=where)
