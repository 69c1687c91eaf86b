"""The loop of ``trailguard run``: read what the sources have, evaluate alarms when due, keep the outbox moving,
report health, until asked to stop.

One thread owns the monitor and the state file's writes: it alternates between committing batches (one file,
object or page at a time) and running the alarm evaluations that are due, so an evaluation waits at most for the
batch in progress. Notifications are delivered by their own thread (``trailguard.live.delivery``); folders and
standard input are watched and read by threads of their own, which only wake this one.

At start, every source is first read up to what it holds now (standard input excepted: it has no end), and only
then are the evaluations the alarms missed while trailguard was stopped run: events delivered while it was down
count as if they had been read on time. Afterwards evaluations run at their scheduled times, each reading what has
been committed by then.

Stopping (``stop`` set, by SIGINT or SIGTERM): the batch in progress is finished and committed, the delivery in
progress is finished, and the loop returns. Errors that make the state file unusable (a full disk, a read-only
folder) stop the loop with :class:`LiveStateError` or :class:`~trailguard.notify.OutboxError`; what was committed
before stays, and the next start continues from it. A source that fails (S3 or CloudWatch Logs unreachable) is
reported and tried again at its next poll; at start, such a failure stops the run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from trailguard.engine.aggregates import MINUTE_MS
from trailguard.live.clock import Clock
from trailguard.live.delivery import DeliveryWorker
from trailguard.live.logs import fields
from trailguard.live.metrics import LiveMetrics
from trailguard.live.monitor import IngestReport, LiveMonitor
from trailguard.sources.errors import SourceError
from trailguard.sources.follow import Batch, Follower, StdinFollower
from trailguard.sources.quarantine import Quarantine

__all__ = ["FollowedSource", "LiveRunner", "RunnerSettings"]

_log = logging.getLogger("trailguard.live")
# The longest the loop sleeps in real time without looking at the clock and the sources.
_MAX_SLEEP_SECONDS: Final = 1.0
_FORGET_EVERY_MS: Final = 3_600_000
_LATE_WARNING_EVERY_SECONDS: Final = 300.0


@dataclass(frozen=True, slots=True)
class FollowedSource:
    """A follower and the log group its events belong to (a metric filter sees only its log group's events)."""

    follower: Follower
    log_group: str


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    health_every_ms: int = 300_000


class LiveRunner:
    def __init__(
        self,
        monitor: LiveMonitor,
        sources: Sequence[FollowedSource],
        delivery: DeliveryWorker,
        clock: Clock,
        quarantine: Quarantine,
        *,
        metrics: LiveMetrics | None = None,
        settings: RunnerSettings = RunnerSettings(),
    ) -> None:
        self.monitor = monitor
        self.sources = list(sources)
        self.delivery = delivery
        self.clock = clock
        self.quarantine = quarantine
        self.metrics = metrics
        self.settings = settings
        self.wake = threading.Event()
        self.events = 0
        self.batches = 0
        self.newest_event_ms: int | None = None
        self._health_events = 0
        self._health_at: int | None = None
        self._next_forget = 0
        self._late_unreported = 0
        self._next_late_warning = 0.0

    # -- the loop ---------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set (see the module docstring)."""
        for source in self.sources:
            source.follower.start(self.monitor.state.checkpoint(source.follower.key), self.wake)
        self.delivery.on_failure = self.wake
        self.delivery.start()
        try:
            self._publish_alarm_states()
            self._catch_up(stop)
            self._health_at = self.clock.now_ms()
            while not stop.is_set():
                self._check_delivery()
                worked = self._evaluate_if_due()
                worked = self._read_one_batch(strict=False) or worked
                if worked:
                    continue
                now = self.clock.now_ms()
                self._health_if_due(now)
                self._forget_if_due(now)
                self._sleep(stop)
        finally:
            for source in self.sources:
                source.follower.close()
            self.delivery.stop()
        self._check_delivery()
        _log.info("stopped", extra=fields(events=self.events, batches=self.batches))

    def _catch_up(self, stop: threading.Event) -> None:
        """Read every source up to what it holds now (sources that fail here stop the run)."""
        now = self.clock.now_ms()
        for source in self.sources:
            if not isinstance(source.follower, StdinFollower):
                source.follower.poll(now)
        while not stop.is_set() and self._read_one_batch(strict=True, poll=False):
            pass
        _log.info(
            "sources read up to now; evaluating alarms",
            extra=fields(events=self.events, batches=self.batches, clock=_iso(self.clock.now_ms())),
        )

    def _check_delivery(self) -> None:
        if self.delivery.failure is not None:
            raise self.delivery.failure

    def _sleep(self, stop: threading.Event) -> None:
        self.wake.clear()
        if stop.is_set():
            return
        due = self.monitor.next_evaluation_ms()
        monotonic_now = time.monotonic()
        next_poll = min((s.follower.next_poll() for s in self.sources), default=float("inf"))
        max_seconds = max(0.0, min(_MAX_SLEEP_SECONDS, next_poll - monotonic_now))
        now = self.clock.now_ms()
        until = now + int(max_seconds * 1000) if due is None else min(due, now + 10 * MINUTE_MS)
        self.clock.wait(until, self.wake, max_seconds)

    # -- sources ----------------------------------------------------------------------------------------------

    def _read_one_batch(self, *, strict: bool, poll: bool = True) -> bool:
        """Poll the sources that are due, then commit the next batch of the first source that has one."""
        monotonic_now = time.monotonic()
        for source in self.sources:
            follower = source.follower
            if poll and follower.poll_due(monotonic_now):
                try:
                    follower.poll(self.clock.now_ms())
                except SourceError as error:
                    if strict:
                        raise
                    _log.error(
                        "source cannot be read; trying again at its next poll",
                        extra=fields(source=follower.key, error=str(error)),
                    )
        for source in self.sources:
            follower = source.follower
            if isinstance(follower, StdinFollower) and strict:
                continue  # standard input has no end to catch up to
            quarantined_before = self._quarantine_count(follower)
            try:
                batch = follower.next_batch(self.clock.now_ms())
            except SourceError as error:
                if strict:
                    raise
                _log.error("source cannot be read", extra=fields(source=follower.key, error=str(error)))
                continue
            if batch is None:
                continue
            self._commit(batch, source, self._quarantine_count(follower) - quarantined_before + batch.quarantined)
            return True
        return False

    def _quarantine_count(self, follower: Follower) -> int:
        # Standard input sets records aside in its own thread, and says how many with its batches.
        return 0 if isinstance(follower, StdinFollower) else self.quarantine.count

    def _commit(self, batch: Batch, source: FollowedSource, quarantined: int) -> None:
        now = self.clock.now_ms()
        report = self.monitor.ingest(batch, source.log_group, now, quarantined=quarantined)
        self.events += report.events
        self._health_events += report.events
        self.batches += 1
        if report.newest_event_ms is not None and (
            self.newest_event_ms is None or report.newest_event_ms > self.newest_event_ms
        ):
            self.newest_event_ms = report.newest_event_ms
        self._record_batch(batch, report, quarantined, now)

    def _record_batch(self, batch: Batch, report: IngestReport, quarantined: int, now: int) -> None:
        metrics = self.metrics
        if metrics is not None:
            metrics.batches.labels(batch.source).inc()
            metrics.events_read.labels(batch.source).inc(report.events)
            metrics.events_quarantined.labels(batch.source).inc(quarantined + report.future)
            metrics.events_late.inc(report.late)
            for name, count in report.matched.items():
                metrics.events_matched.labels(name).inc(count)
            if self.newest_event_ms is not None:
                metrics.lag.set((now - self.newest_event_ms) / 1000)
        if report.events or quarantined or report.future:
            _log.debug(
                "batch committed",
                extra=fields(
                    source=batch.source,
                    input=batch.label,
                    events=report.events,
                    matched=sum(report.matched.values()),
                    quarantined=quarantined + report.future,
                    late=report.late,
                ),
            )
        if report.late:
            # Said at most once every few minutes (a first start over an archive would say it for every file).
            self._late_unreported += report.late
            if time.monotonic() >= self._next_late_warning:
                self._next_late_warning = time.monotonic() + _LATE_WARNING_EVERY_SECONDS
                _log.warning(
                    "events arrived too late for any alarm to see them (they are counted in the metrics)",
                    extra=fields(source=batch.source, input=batch.label, late=self._late_unreported),
                )
                self._late_unreported = 0

    # -- alarms -----------------------------------------------------------------------------------------------

    def _evaluate_if_due(self) -> bool:
        due = self.monitor.next_evaluation_ms()
        now = self.clock.now_ms()
        if due is None or due > now:
            return False
        changes = self.monitor.evaluate(now)
        if any(change.queued for change in changes):
            self.delivery.wake.set()
        for change in changes:
            transition = change.transition
            name = change.alarm.alarm_name
            _log.info(
                "alarm state changed",
                extra=fields(
                    alarm=name,
                    old_state=str(transition.old_state),
                    new_state=str(transition.new_state),
                    at=_iso(transition.at_ms),
                    reason=transition.reason,
                    notifications=change.queued,
                ),
            )
            for topic_arn in change.undefined_topics:
                _log.warning(
                    "the alarm's topic is not defined in the configuration: nobody receives its notification",
                    extra=fields(alarm=name, topic=topic_arn),
                )
            for subscription in change.filtered:
                _log.info(
                    "a subscription's FilterPolicy refused the notification",
                    extra=fields(alarm=name, subscription=subscription),
                )
            if self.metrics is not None:
                self.metrics.transitions.labels(name, str(transition.new_state)).inc()
        if self.metrics is not None:
            self.metrics.last_evaluation.set(now / 1000)
            if self.newest_event_ms is not None:
                self.metrics.lag.set((now - self.newest_event_ms) / 1000)
        if changes:
            self._publish_alarm_states()
        return True

    def _publish_alarm_states(self) -> None:
        if self.metrics is None:
            return
        for name, state in self.monitor.states().items():
            self.metrics.set_alarm_state(name, str(state))

    # -- upkeep ---------------------------------------------------------------------------------------------

    def _health_if_due(self, now: int) -> None:
        started = self._health_at
        if started is None or now - started < self.settings.health_every_ms:
            return
        seconds = (now - started) / 1000
        counts = self.monitor.outbox.counts()
        lag = None if self.newest_event_ms is None else round((now - self.newest_event_ms) / 1000, 1)
        backlog = sum(int(getattr(s.follower, "backlog", 0)) for s in self.sources)
        _log.info(
            "health",
            extra=fields(
                events_per_second=round(self._health_events / seconds, 2) if seconds > 0 else 0.0,
                lag_seconds=lag,
                outbox_pending=counts["pending"],
                outbox_dead=counts["dead"],
                backlog=backlog,
                alarms_in_alarm=sum(1 for state in self.monitor.states().values() if str(state) == "ALARM"),
                clock=_iso(now),
            ),
        )
        if self.metrics is not None and lag is not None:
            self.metrics.lag.set(lag)
        self._health_at = now
        self._health_events = 0

    def _forget_if_due(self, now: int) -> None:
        if now < self._next_forget:
            return
        self._next_forget = now + _FORGET_EVERY_MS
        dropped = self.monitor.forget_old(now)
        if dropped:
            _log.debug("old datapoints forgotten", extra=fields(datapoints=dropped))


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
