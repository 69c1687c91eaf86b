"""LiveMonitor on a real state file: batches and evaluations are transactions, a reopened state continues where it
stopped, late events land in their minute, events from the future are set aside, a changed configuration is an
update of the existing alarm, and a commit that fails changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from live_support import MINUTE, T0, config_text, failed_login
from trailguard.engine.aggregates import SeriesKey
from trailguard.engine.alarms import StateValue
from trailguard.live import LiveMonitor, LiveState, LiveStateError
from trailguard.model import parse_config
from trailguard.notify import Outbox
from trailguard.sources import Quarantine
from trailguard.sources.events import SourceEvent
from trailguard.sources.follow import Batch, Progress

SERIES = SeriesKey("CISBenchmark", "ConsoleSigninFailures")
GROUP = "CloudTrail/DefaultLogGroup"


def events(*times: int, ip: str = "203.0.113.42") -> list[SourceEvent]:
    out = []
    for i, at in enumerate(times, start=1):
        record = failed_login(at, ip=ip)
        out.append(SourceEvent(json.dumps(record), record, at, "test", i))
    return out


def batch(items: list[SourceEvent], name: str) -> Batch:
    return Batch("folder:/trail", items, Progress(done=((name, T0),)), name)


class Opened:
    """A monitor on a state file, as `trailguard run` opens it."""

    def __init__(self, path: Path, config: str, now_ms: int, quarantine: Quarantine | None = None) -> None:
        self.outbox = Outbox(path, clock=lambda: now_ms)
        self.state = LiveState(self.outbox.connection, path)
        self.quarantine = quarantine or Quarantine(None)
        self.monitor = LiveMonitor(
            parse_config(config),
            self.state,
            self.outbox,
            self.quarantine,
            region="us-east-1",
            account_id="123456789012",
            now_ms=now_ms,
        )

    def close(self) -> None:
        self.outbox.close()


def test_a_reopened_state_continues_exactly_where_it_stopped(tmp_path: Path) -> None:
    config = config_text(["{Protocol: file, Endpoint: /dev/null}"])
    steady = Opened(tmp_path / "steady.sqlite", config, T0)
    first = Opened(tmp_path / "restarted.sqlite", config, T0)
    plan = [
        (T0, events(T0 + 1, T0 + 2, T0 + 3, ip="198.51.100.1")),
        (T0 + MINUTE, events(T0 + MINUTE + 5)),
        (T0 + 2 * MINUTE, events(T0 + 2 * MINUTE + 1, T0 + 2 * MINUTE + 2, T0 + 2 * MINUTE + 3, T0 + 60_000)),
        (T0 + 3 * MINUTE, []),
        (T0 + 4 * MINUTE, events(T0 + 4 * MINUTE)),
    ]
    current = first
    for step, (now, items) in enumerate(plan):
        for opened in (steady, current):
            opened.monitor.ingest(batch(items, f"f{step}"), GROUP, now)
            opened.monitor.evaluate(now + MINUTE)
        if step in (1, 3):  # stop and start again from the file
            current.close()
            current = Opened(tmp_path / "restarted.sqlite", config, now + MINUTE)
    for opened in (steady, current):
        opened.monitor.evaluate(T0 + 8 * MINUTE)
    assert current.monitor.store == steady.monitor.store
    assert current.state.history() == steady.state.history()
    transitions = [h.summary for h in reversed(steady.state.history()) if h.item_type == "StateUpdate"]
    assert transitions == [
        "Alarm updated from INSUFFICIENT_DATA to OK",
        "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK",
        "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK",
    ]
    keep = ("message_id", "subject", "message", "context")
    rows = [
        o.outbox.connection.execute(f"SELECT {', '.join(keep)} FROM outbox ORDER BY id").fetchall()
        for o in (steady, current)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == 5
    # The first ALARM's context names the source IP of the three attempts that made it.
    context = json.loads(rows[0][1][3])
    assert context["sourceIPAddresses"] == [{"value": "198.51.100.1", "count": 3}]
    assert current.state.totals() == steady.state.totals() == {"events": 9, "matched": 9}
    steady.close()
    current.close()


def test_late_events_land_in_their_minute_and_future_ones_are_set_aside(tmp_path: Path) -> None:
    config = config_text(["{Protocol: file, Endpoint: /dev/null}"], ok_actions=False, threshold=1)
    quarantine = Quarantine(tmp_path / "quarantine.jsonl", append=True)
    opened = Opened(tmp_path / "state.sqlite", config, T0, quarantine)
    now = T0 + 10 * MINUTE
    opened.monitor.evaluate(now)
    # R x Period = 3 minutes for this alarm: a datapoint 2 minutes old is still read by the next evaluation,
    # one 5 minutes old by none (it is stored, and counted as late).
    report = opened.monitor.ingest(
        batch(events(now - 2 * MINUTE, now - 5 * MINUTE, now + 3 * 3_600_000), "late"), GROUP, now
    )
    assert (report.events, report.late, report.future) == (2, 1, 1)
    minutes = sorted(minute for minute, _ in opened.monitor.store.buckets(SERIES, 0, 2**40))
    assert minutes == [(now - 5 * MINUTE) // MINUTE, (now - 2 * MINUTE) // MINUTE]
    (change,) = opened.monitor.evaluate(now + MINUTE)
    assert change.transition.new_state is StateValue.ALARM
    assert "1 datapoint [1.0 (20/11/26 09:08:00)]" in change.transition.reason
    quarantine.close()
    (entry,) = [json.loads(line) for line in (tmp_path / "quarantine.jsonl").read_text().splitlines()]
    assert entry["reason"] == "eventTime more than 2 hours ahead of the clock"
    assert opened.state.sources()[0].quarantined == 1
    opened.close()


def test_a_changed_alarm_keeps_its_state_and_a_removed_one_is_no_longer_evaluated(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    config = config_text(["{Protocol: file, Endpoint: /dev/null}"], ok_actions=False, threshold=1)
    first = Opened(path, config, T0)
    first.monitor.ingest(batch(events(T0), "a"), GROUP, T0)
    first.monitor.evaluate(T0 + MINUTE)
    assert first.monitor.states() == {"ConsoleSigninFailures": StateValue.ALARM}
    first.close()
    changed = Opened(path, config.replace("Threshold: 1", "Threshold: 2"), T0 + 2 * MINUTE)
    assert changed.monitor.states() == {"ConsoleSigninFailures": StateValue.ALARM}
    (latest, *_) = changed.state.history("ConsoleSigninFailures")
    assert latest.summary == 'Alarm "ConsoleSigninFailures" updated' and latest.timestamp_ms == T0 + 2 * MINUTE
    changed.close()
    renamed = Opened(path, config.replace("AlarmName: ConsoleSigninFailures", "AlarmName: Other"), T0 + 3 * MINUTE)
    rows = {row.name: row.active for row in renamed.state.alarms()}
    assert rows == {"ConsoleSigninFailures": False, "Other": True}
    renamed.close()


def test_a_commit_that_fails_changes_nothing_in_memory_or_in_the_file(tmp_path: Path) -> None:
    opened = Opened(tmp_path / "state.sqlite", config_text(["{Protocol: file, Endpoint: /dev/null}"]), T0)
    opened.monitor.ingest(batch(events(T0), "a"), GROUP, T0)
    store_before = opened.monitor.store.to_dict()
    opened.outbox.connection.execute("PRAGMA query_only = ON")  # every write now fails, as on a read-only file
    with pytest.raises(LiveStateError, match="cannot write the state file"):
        opened.monitor.ingest(batch(events(T0 + 1, T0 + 2), "b"), GROUP, T0)
    assert opened.monitor.store.to_dict() == store_before
    assert opened.monitor.evidence.builder(SERIES, T0 - T0 % MINUTE).count == 1  # type: ignore[union-attr]
    opened.outbox.connection.execute("PRAGMA query_only = OFF")
    assert opened.state.checkpoint("folder:/trail").done == {"a": T0}
    opened.close()
    db = sqlite3.connect(tmp_path / "state.sqlite")
    assert db.execute("SELECT aggregate FROM datapoints").fetchall() == [("[[1.0, 1]]",)]
