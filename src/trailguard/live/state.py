"""The live runner's state: its tables in the state file, beside the notification outbox's.

One SQLite file (``state.sqlite`` in the state folder) holds the outbox (``trailguard.notify.outbox``, component
``outbox``) and these tables (component ``live``, schema version 1, in the same ``schema_version`` table). The
runner writes them through the outbox's connection, so that an alarm's state change and the notifications it
enqueues are one transaction (``Outbox.enqueue_batch(together=...)``); a batch of events, the datapoints and
context summaries it changes, the filter counters and the source's checkpoint are another.

Schema (version 1)::

    live_meta(key TEXT PRIMARY KEY, value TEXT)                   -- region, account, first start
    datapoints(series TEXT, minute INTEGER, aggregate TEXT,       -- series: JSON [namespace, name,
               PRIMARY KEY (series, minute))                      --   [[dimension, value]...], unit];
                                                                  -- aggregate: JSON [[value, count]...]
    evidence(series TEXT, minute_ms INTEGER, summary TEXT,        -- the context builder of the records
             PRIMARY KEY (series, minute_ms))                     --   behind a datapoint (JSON)
    alarms(name TEXT PRIMARY KEY, definition TEXT,                -- PutMetricAlarm shape (JSON)
           snapshot TEXT, active INTEGER)                         -- AlarmSnapshot without history (JSON);
                                                                  --   active 0: no longer configured
    alarm_history(id INTEGER PRIMARY KEY, alarm_name TEXT, timestamp_ms INTEGER,
                  item_type TEXT, summary TEXT, data TEXT)        -- DescribeAlarmHistory items
    filter_counters(log_group TEXT, filter_name TEXT, counters TEXT,
                    PRIMARY KEY (log_group, filter_name))         -- FilterCounters (JSON)
    sources(source TEXT PRIMARY KEY, cursor TEXT, events INTEGER, quarantined INTEGER,
            batches INTEGER, newest_event_ms INTEGER, updated_ms INTEGER)
    source_items(source TEXT, item TEXT, at_ms INTEGER, events_read INTEGER,
                 done INTEGER, PRIMARY KEY (source, item))        -- files, keys, event ids read
    totals(name TEXT PRIMARY KEY, value INTEGER)                  -- running counts (events, late, ...)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from trailguard.engine.aggregates import Aggregate, MetricStore, SeriesKey
from trailguard.engine.alarms import AlarmSnapshot, HistoryItem
from trailguard.engine.metrics import FilterCounters
from trailguard.notify.context import ContextBuilder
from trailguard.sources.follow import Checkpoint, Progress

__all__ = [
    "SCHEMA_VERSION",
    "STATE_FILE_NAME",
    "AlarmRow",
    "LiveState",
    "LiveStateError",
    "SourceRow",
    "open_read_only",
]

SCHEMA_VERSION: Final = 1
COMPONENT: Final = "live"
STATE_FILE_NAME: Final = "state.sqlite"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS live_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datapoints (
    series TEXT NOT NULL, minute INTEGER NOT NULL, aggregate TEXT NOT NULL, PRIMARY KEY (series, minute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evidence (
    series TEXT NOT NULL, minute_ms INTEGER NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (series, minute_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarms (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL, snapshot TEXT NOT NULL, active INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alarm_history (
    id INTEGER PRIMARY KEY, alarm_name TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, item_type TEXT NOT NULL,
    summary TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_history_by_alarm ON alarm_history (alarm_name, timestamp_ms);
CREATE TABLE IF NOT EXISTS filter_counters (
    log_group TEXT NOT NULL, filter_name TEXT NOT NULL, counters TEXT NOT NULL, PRIMARY KEY (log_group, filter_name)
);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY, cursor TEXT, events INTEGER NOT NULL DEFAULT 0, quarantined INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0, newest_event_ms INTEGER, updated_ms INTEGER
);
CREATE TABLE IF NOT EXISTS source_items (
    source TEXT NOT NULL, item TEXT NOT NULL, at_ms INTEGER NOT NULL, events_read INTEGER NOT NULL,
    done INTEGER NOT NULL, PRIMARY KEY (source, item)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS source_items_by_time ON source_items (source, at_ms);
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class LiveStateError(Exception):
    """The state file cannot be used: unreadable, read-only, full, or written by a newer trailguard."""


def _is_storage_error(error: sqlite3.Error) -> bool:
    """A failure of the disk or file rather than of the statement: full, read-only, I/O error."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY)


def series_text(series: SeriesKey) -> str:
    return json.dumps([series.namespace, series.name, [list(pair) for pair in series.dimensions], series.unit])


def series_from_text(text: str) -> SeriesKey:
    namespace, name, dimensions, unit = json.loads(text)
    return SeriesKey(namespace, name, tuple((str(n), str(v)) for n, v in dimensions), unit)


def _aggregate_text(aggregate: Aggregate) -> str:
    return json.dumps(aggregate.to_dict()["values"])


@dataclass(frozen=True, slots=True)
class AlarmRow:
    name: str
    definition: dict[str, Any]
    snapshot: AlarmSnapshot
    active: bool


@dataclass(frozen=True, slots=True)
class SourceRow:
    source: str
    events: int
    quarantined: int
    batches: int
    newest_event_ms: int | None
    updated_ms: int | None


class LiveState:
    """The live tables on ``connection`` (the outbox's, normally). Reads are plain queries; every write is a
    method taking the connection inside a transaction (:meth:`transaction`, or the outbox's ``together``)."""

    def __init__(self, connection: sqlite3.Connection, path: str | Path) -> None:
        self.db = connection
        self.path = Path(path)
        with self.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT version FROM schema_version WHERE component = ?", (COMPONENT,)).fetchone()
            if row is None:
                db.execute("INSERT INTO schema_version (component, version) VALUES (?, ?)", (COMPONENT, SCHEMA_VERSION))
            elif row[0] > SCHEMA_VERSION:
                raise LiveStateError(
                    f"the state file {self.path} has live schema version {row[0]}, written by a newer trailguard "
                    f"(this one knows version {SCHEMA_VERSION})"
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a failure (a full disk, a read-only file) rolls it back and raises
        LiveStateError, leaving what was committed before untouched."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            hint = " (is the disk full, or the state folder read-only?)" if _is_storage_error(error) else ""
            raise LiveStateError(f"cannot write the state file {self.path}: {error}{hint}") from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _read(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, tuple(parameters)).fetchall()
        except sqlite3.Error as error:
            raise LiveStateError(f"cannot read the state file {self.path}: {error}") from None

    # -- reading ----------------------------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return {key: value for key, value in self._read("SELECT key, value FROM live_meta")}

    def load_datapoints(self) -> MetricStore:
        store = MetricStore()
        for series, minute, values in self._read("SELECT series, minute, aggregate FROM datapoints"):
            store.add_aggregate(
                series_from_text(series), int(minute), Aggregate.from_dict({"values": json.loads(values)})
            )
        return store

    def load_evidence(self) -> Iterator[tuple[SeriesKey, int, ContextBuilder]]:
        for series, minute, summary in self._read("SELECT series, minute_ms, summary FROM evidence"):
            yield series_from_text(series), int(minute), ContextBuilder.from_state(json.loads(summary))

    def alarms(self) -> list[AlarmRow]:
        rows = self._read("SELECT name, definition, snapshot, active FROM alarms ORDER BY name")
        return [
            AlarmRow(name, json.loads(definition), AlarmSnapshot.from_json_dict(json.loads(snapshot), ()), bool(active))
            for name, definition, snapshot, active in rows
        ]

    def history(
        self, alarm_name: str | None = None, *, item_type: str | None = None, limit: int | None = None
    ) -> list[HistoryItem]:
        """History items, newest first (as DescribeAlarmHistory returns them)."""
        where: list[str] = []
        parameters: list[Any] = []
        if alarm_name is not None:
            where.append("alarm_name = ?")
            parameters.append(alarm_name)
        if item_type is not None:
            where.append("item_type = ?")
            parameters.append(item_type)
        sql = "SELECT alarm_name, timestamp_ms, item_type, summary, data FROM alarm_history"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY timestamp_ms DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        return [
            HistoryItem(name, int(at), kind, summary, data)
            for name, at, kind, summary, data in self._read(sql, parameters)
        ]

    def filter_counters(self) -> dict[tuple[str, str], FilterCounters]:
        out: dict[tuple[str, str], FilterCounters] = {}
        for group, name, text in self._read("SELECT log_group, filter_name, counters FROM filter_counters"):
            counters = FilterCounters()
            for key, value in json.loads(text).items():
                if key in FilterCounters.__slots__:
                    setattr(counters, key, value)
            out[(group, name)] = counters
        return out

    def checkpoint(self, source: str) -> Checkpoint:
        checkpoint = Checkpoint()
        for item, at_ms, events_read, done in self._read(
            "SELECT item, at_ms, events_read, done FROM source_items WHERE source = ?", (source,)
        ):
            if done:
                checkpoint.done[item] = int(at_ms)
            else:
                checkpoint.partial[item] = int(events_read)
        row = self._read("SELECT cursor FROM sources WHERE source = ?", (source,))
        if row and row[0][0] is not None:
            checkpoint.cursor = json.loads(row[0][0])
        return checkpoint

    def sources(self) -> list[SourceRow]:
        rows = self._read(
            "SELECT source, events, quarantined, batches, newest_event_ms, updated_ms FROM sources ORDER BY source"
        )
        return [SourceRow(*row) for row in rows]

    def totals(self) -> dict[str, int]:
        return {name: int(value) for name, value in self._read("SELECT name, value FROM totals")}

    # -- writing (inside a transaction) ------------------------------------------------------------------------

    @staticmethod
    def set_meta(db: sqlite3.Connection, values: Mapping[str, str]) -> None:
        db.executemany("INSERT OR REPLACE INTO live_meta (key, value) VALUES (?, ?)", list(values.items()))

    @staticmethod
    def write_datapoints(db: sqlite3.Connection, rows: Iterable[tuple[SeriesKey, int, Aggregate]]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO datapoints (series, minute, aggregate) VALUES (?, ?, ?)",
            [(series_text(series), minute, _aggregate_text(aggregate)) for series, minute, aggregate in rows],
        )

    @staticmethod
    def write_evidence(db: sqlite3.Connection, rows: Iterable[tuple[SeriesKey, int, ContextBuilder]]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO evidence (series, minute_ms, summary) VALUES (?, ?, ?)",
            [(series_text(series), minute, json.dumps(builder.to_state())) for series, minute, builder in rows],
        )

    @staticmethod
    def forget_minutes_before(db: sqlite3.Connection, minute: int) -> None:
        db.execute("DELETE FROM datapoints WHERE minute < ?", (minute,))
        db.execute("DELETE FROM evidence WHERE minute_ms < ?", (minute * 60_000,))

    @staticmethod
    def write_filter_counters(db: sqlite3.Connection, rows: Iterable[tuple[str, str, FilterCounters]]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO filter_counters (log_group, filter_name, counters) VALUES (?, ?, ?)",
            [(group, name, json.dumps(counters.as_dict())) for group, name, counters in rows],
        )

    @staticmethod
    def write_progress(
        db: sqlite3.Connection,
        source: str,
        progress: Progress,
        *,
        events: int,
        quarantined: int,
        newest_event_ms: int | None,
        now_ms: int,
    ) -> None:
        """Record a committed batch for its source: items done or partly read, the cursor, the counts."""
        if progress.done:
            db.executemany(
                "INSERT OR REPLACE INTO source_items (source, item, at_ms, events_read, done) VALUES (?, ?, ?, 0, 1)",
                [(source, item, at_ms) for item, at_ms in progress.done],
            )
        if progress.partial is not None:
            item, read = progress.partial
            db.execute(
                "INSERT OR REPLACE INTO source_items (source, item, at_ms, events_read, done) VALUES (?, ?, ?, ?, 0)",
                (source, item, now_ms, read),
            )
        if progress.forget_before_ms is not None:
            db.execute(
                "DELETE FROM source_items WHERE source = ? AND done = 1 AND at_ms < ?",
                (source, progress.forget_before_ms),
            )
        db.execute(
            "INSERT INTO sources (source, cursor, events, quarantined, batches, newest_event_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (source) DO UPDATE SET "
            "cursor = COALESCE(excluded.cursor, cursor), events = events + excluded.events, "
            "quarantined = quarantined + excluded.quarantined, batches = batches + 1, "
            "newest_event_ms = MAX(COALESCE(newest_event_ms, excluded.newest_event_ms), "
            "COALESCE(excluded.newest_event_ms, newest_event_ms)), updated_ms = excluded.updated_ms",
            (
                source,
                None if progress.cursor is None else json.dumps(dict(progress.cursor)),
                events,
                quarantined,
                newest_event_ms,
                now_ms,
            ),
        )

    @staticmethod
    def add_totals(db: sqlite3.Connection, counts: Mapping[str, int]) -> None:
        db.executemany(
            "INSERT INTO totals (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            [(name, value) for name, value in counts.items() if value],
        )

    @staticmethod
    def write_alarm(db: sqlite3.Connection, definition: dict[str, Any], snapshot: AlarmSnapshot, active: bool) -> None:
        db.execute(
            "INSERT OR REPLACE INTO alarms (name, definition, snapshot, active) VALUES (?, ?, ?, ?)",
            (
                snapshot.alarm_name,
                json.dumps(definition),
                json.dumps(snapshot.to_json_dict(with_history=False)),
                int(active),
            ),
        )

    @staticmethod
    def set_alarm_active(db: sqlite3.Connection, name: str, active: bool) -> None:
        db.execute("UPDATE alarms SET active = ? WHERE name = ?", (int(active), name))

    @staticmethod
    def append_history(db: sqlite3.Connection, items: Iterable[HistoryItem]) -> None:
        db.executemany(
            "INSERT INTO alarm_history (alarm_name, timestamp_ms, item_type, summary, data) VALUES (?, ?, ?, ?, ?)",
            [(h.alarm_name, h.timestamp_ms, h.item_type, h.summary, h.data) for h in items],
        )


def open_read_only(path: Path) -> LiveState:
    """The live tables of an existing state file, for commands that only look (``alarms``, ``history``)."""
    if not path.is_file():
        raise LiveStateError(f"no state file at {path} (has trailguard run used this state folder?)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30.0)
        row = db.execute("SELECT version FROM schema_version WHERE component = ?", (COMPONENT,)).fetchone()
    except sqlite3.Error as error:
        raise LiveStateError(f"cannot read the state file {path}: {error}") from None
    if row is None:
        db.close()
        raise LiveStateError(f"{path} holds no live monitoring state (only trailguard run writes it)")
    if row[0] > SCHEMA_VERSION:
        db.close()
        raise LiveStateError(
            f"the state file {path} has live schema version {row[0]}, written by a newer trailguard "
            f"(this one knows version {SCHEMA_VERSION})"
        )
    state = LiveState.__new__(LiveState)
    state.db = db
    state.path = path
    return state
