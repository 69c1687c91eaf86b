"""Prometheus metrics of ``trailguard run`` (``--metrics-port``), served with ``prometheus-client`` from a registry
of its own.

    trailguard_events_read_total{source}            events read and published
    trailguard_events_matched_total{filter}         events a metric filter matched
    trailguard_events_quarantined_total{source}     records set aside (the quarantine file says why)
    trailguard_events_late_total                    events too late for any alarm to see
    trailguard_batches_total{source}                batches committed (files, objects, pages)
    trailguard_alarm_state{alarm,state}             1 for the alarm's current state, 0 for the others
    trailguard_alarm_transitions_total{alarm,state} transitions into each state
    trailguard_notifications_sent_total{protocol}   deliveries a receiver accepted
    trailguard_notifications_failed_total{protocol} attempts that failed (retried, or dead letters)
    trailguard_notifications_dead_total{protocol}   deliveries moved to the dead-letter list
    trailguard_outbox_pending, trailguard_outbox_dead   rows in the outbox
    trailguard_lag_seconds                          the clock minus the newest event time read
    trailguard_last_evaluation_timestamp_seconds    when alarms were last evaluated (clock time)
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from trailguard.engine.decision import StateValue

__all__ = ["LiveMetrics"]

_STATES = tuple(str(state) for state in StateValue)


class LiveMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_read = Counter("trailguard_events_read", "Events read and published", ["source"], registry=r)
        self.events_matched = Counter(
            "trailguard_events_matched", "Events a metric filter matched", ["filter"], registry=r
        )
        self.events_quarantined = Counter(
            "trailguard_events_quarantined", "Records set aside in the quarantine", ["source"], registry=r
        )
        self.events_late = Counter("trailguard_events_late", "Events too late for any alarm to see", registry=r)
        self.batches = Counter(
            "trailguard_batches", "Batches committed (files, objects, pages)", ["source"], registry=r
        )
        self.alarm_state = Gauge(
            "trailguard_alarm_state", "1 for the alarm's current state", ["alarm", "state"], registry=r
        )
        self.transitions = Counter(
            "trailguard_alarm_transitions", "Alarm transitions, by new state", ["alarm", "state"], registry=r
        )
        self.sent = Counter("trailguard_notifications_sent", "Deliveries a receiver accepted", ["protocol"], registry=r)
        self.failed = Counter(
            "trailguard_notifications_failed", "Delivery attempts that failed", ["protocol"], registry=r
        )
        self.dead = Counter(
            "trailguard_notifications_dead", "Deliveries moved to the dead-letter list", ["protocol"], registry=r
        )
        self.outbox_pending = Gauge("trailguard_outbox_pending", "Outbox rows waiting for delivery", registry=r)
        self.outbox_dead = Gauge("trailguard_outbox_dead", "Outbox rows in the dead-letter list", registry=r)
        self.lag = Gauge("trailguard_lag_seconds", "The clock minus the newest event time read", registry=r)
        self.last_evaluation = Gauge(
            "trailguard_last_evaluation_timestamp_seconds", "When alarms were last evaluated", registry=r
        )
        self._server: Any = None

    def set_alarm_state(self, alarm: str, state: str) -> None:
        for name in _STATES:
            self.alarm_state.labels(alarm, name).set(1 if name == state else 0)

    def serve(self, port: int, address: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` on ``address:port`` in a thread; returns the port (the one chosen, for port 0)."""
        server, _thread = start_http_server(port, addr=address, registry=self.registry)
        self._server = server
        return int(server.server_address[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
