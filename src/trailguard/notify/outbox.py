"""The notification outbox: every (notification, subscription) pair as a row in SQLite, from the moment it is
known until the subscription has it.

At-least-once: a row becomes ``delivered`` only after its deliverer returned success; a crash in between means
the row is delivered again after the restart, with the same SNS MessageId (derived from alarm name, state change
time and topic, :func:`~trailguard.notify.envelope.message_id_for`), so a receiver can drop the repeat. Enqueueing
the same notification again (a re-run after a crash) adds nothing: rows are unique per (MessageId, subscription).
A failed attempt is retried on the subscription's policy (:mod:`trailguard.notify.retry`); after the last retry,
or at once when the failure is final, the row is ``dead`` — the dead-letter list — until :meth:`Outbox.retry` or
:meth:`Outbox.retry_all` puts it back. Nothing is ever deleted.

The file is in WAL mode with synchronous=FULL; each enqueued batch is one transaction, and each delivery outcome
is committed as soon as it is known (a batch-wide commit would resend a whole batch after a crash).
``schema_version`` holds one row per component (``outbox`` here), so the live runner can keep its own tables, with
their own version, in the same file.

Schema (version 1)::

    schema_version(component TEXT PRIMARY KEY, version INTEGER NOT NULL)
    outbox(
        id INTEGER PRIMARY KEY,
        message_id TEXT, topic_arn TEXT, subscription_arn TEXT,          -- SNS's identifiers
        protocol TEXT, endpoint TEXT, attributes TEXT,                   -- the subscription (attributes: JSON)
        topic_attributes TEXT,                                           -- DisplayName, DeliveryPolicy (JSON)
        alarm_name TEXT, at_ms INTEGER, subject TEXT, message TEXT,      -- the notification
        context TEXT,                                                    -- the trailguard context block (JSON) or NULL
        state TEXT CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER, next_attempt_ms INTEGER, last_error TEXT,
        created_ms INTEGER, delivered_ms INTEGER,
        UNIQUE (message_id, subscription_arn))
    INDEX outbox_due ON outbox(state, next_attempt_ms)
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from trailguard.engine.notifications import Notification
from trailguard.model import Subscription, Topic
from trailguard.model.delivery_policy import DeliveryPolicyError
from trailguard.notify.base import Deliverer, Delivery, DeliveryError
from trailguard.notify.context import NotificationContext
from trailguard.notify.envelope import message_id_for, subscription_arn_for
from trailguard.notify.retry import DEFAULT_BACKOFF, RetryPolicy, retry_policy_for
from trailguard.notify.text import alarm_message

__all__ = ["SCHEMA_VERSION", "DeliveryOutcome", "Outbox", "OutboxEntry", "OutboxError", "wall_clock_ms"]

SCHEMA_VERSION: Final = 1
COMPONENT: Final = "outbox"
STATES: Final = ("pending", "delivered", "dead")
_log = logging.getLogger("trailguard.notify.outbox")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    topic_arn TEXT NOT NULL,
    subscription_arn TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    attributes TEXT NOT NULL,
    topic_attributes TEXT NOT NULL,
    alarm_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    context TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    delivered_ms INTEGER,
    UNIQUE (message_id, subscription_arn)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_ms);
"""
_COLUMNS: Final = (
    "id, message_id, topic_arn, subscription_arn, protocol, endpoint, attributes, topic_attributes, alarm_name, "
    "at_ms, subject, message, context, state, attempts, next_attempt_ms, last_error, created_ms, delivered_ms"
)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class OutboxError(Exception):
    """The state file cannot be used (unreadable, read-only, not SQLite, from a newer trailguard)."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One row of the outbox."""

    id: int
    message_id: str
    topic_arn: str
    subscription_arn: str
    subscription: Subscription
    topic_attributes: dict[str, str]
    alarm_name: str
    at_ms: int
    subject: str
    message: str
    context: NotificationContext | None
    state: str
    attempts: int
    next_attempt_ms: int
    last_error: str | None
    created_ms: int
    delivered_ms: int | None

    def to_delivery(self) -> Delivery:
        return Delivery(
            message_id=self.message_id,
            topic_arn=self.topic_arn,
            subscription_arn=self.subscription_arn,
            subscription=self.subscription,
            subject=self.subject,
            message=self.message,
            published_ms=self.at_ms,
            context=self.context,
            topic_display_name=self.topic_attributes.get("DisplayName") or None,
            topic_delivery_policy=self.topic_attributes.get("DeliveryPolicy"),
            attempt=self.attempts + 1,
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The entry as the ``outbox`` command prints it with ``--output json``."""
        return {
            "id": self.id,
            "state": self.state,
            "messageId": self.message_id,
            "alarmName": self.alarm_name,
            "topicArn": self.topic_arn,
            "subscriptionArn": self.subscription_arn,
            "protocol": self.subscription.protocol,
            "endpoint": self.subscription.endpoint,
            "subject": self.subject,
            "attempts": self.attempts,
            "nextAttemptMs": self.next_attempt_ms if self.state == "pending" else None,
            "lastError": self.last_error,
            "atMs": self.at_ms,
            "createdMs": self.created_ms,
            "deliveredMs": self.delivered_ms,
        }


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one attempt did: the entry (as it is after the attempt) and the error, if any."""

    entry: OutboxEntry
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.entry.state == "delivered"


def _alarm_name(notification: Notification) -> str:
    alarm = alarm_message(notification.message)
    return alarm.name if alarm is not None else notification.subject


class Outbox:
    """The outbox in one SQLite file. ``deliverers`` maps protocols to the deliverers that serve them; ``clock``
    gives the time in epoch milliseconds (tests pass their own, so nothing waits real seconds)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        deliverers: Iterable[Deliverer] = (),
        clock: Callable[[], int] = wall_clock_ms,
        backoff: RetryPolicy = DEFAULT_BACKOFF,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.backoff = backoff
        self._deliverers: dict[str, Deliverer] = {}
        for deliverer in deliverers:
            for protocol in deliverer.protocols:
                self._deliverers[protocol] = deliverer
        self._db = self._open()

    # -- the file -------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        where = str(self.path)
        try:
            db = sqlite3.connect(where, isolation_level=None, timeout=30.0)
        except sqlite3.Error as error:
            raise OutboxError(f"cannot open the state file {where}: {error}") from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT version FROM schema_version WHERE component = ?", (COMPONENT,)).fetchone()
            if row is None:
                db.execute("INSERT INTO schema_version (component, version) VALUES (?, ?)", (COMPONENT, SCHEMA_VERSION))
            elif row[0] > SCHEMA_VERSION:
                db.execute("ROLLBACK")
                db.close()
                raise OutboxError(
                    f"the state file {where} has outbox schema version {row[0]}, written by a newer trailguard "
                    f"(this one knows version {SCHEMA_VERSION})"
                )
            db.execute("COMMIT")
        except sqlite3.Error as error:
            db.close()
            raise OutboxError(f"cannot use the state file {where}: {error}") from None
        return db

    @property
    def connection(self) -> sqlite3.Connection:
        """The outbox's connection to its file, for a component that keeps its own tables in the same file (with
        its own ``schema_version`` row) and must commit with the outbox: see ``enqueue_batch(together=...)``.
        Use it from the thread that made the outbox only."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, statements: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``statements`` in one transaction; a failure (a full disk, a read-only file) rolls it back and
        raises OutboxError, leaving what was committed before untouched."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            statements(db)
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise OutboxError(f"cannot write the state file {self.path}: {error}") from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    # -- enqueueing -----------------------------------------------------------------------------------

    def enqueue(
        self,
        notification: Notification,
        topic: Topic,
        subscriptions: Sequence[Subscription] | None = None,
        *,
        context: NotificationContext | None = None,
    ) -> list[OutboxEntry]:
        """Queue ``notification`` for each subscription (default: all of the topic's); returns the rows, new or
        already there (a re-run enqueues the same ids and adds nothing)."""
        return self.enqueue_batch([(notification, topic, subscriptions, context)])

    def enqueue_batch(
        self,
        items: Iterable[tuple[Notification, Topic, Sequence[Subscription] | None, NotificationContext | None]],
        *,
        together: Callable[[sqlite3.Connection], None] | None = None,
    ) -> list[OutboxEntry]:
        """Queue many notifications in one transaction. ``together(connection)`` runs inside that transaction
        first: what it writes (the alarm state change that made the notifications) is committed with them, or
        not at all."""
        now = self.clock()
        keys: list[tuple[str, str]] = []
        rows: list[tuple[Any, ...]] = []
        for notification, topic, subscriptions, context in items:
            alarm_name = _alarm_name(notification)
            message_id = message_id_for(alarm_name, notification.at_ms, topic.topic_arn)
            topic_attributes = {k: v for k, v in topic.attribute_map.items() if k in ("DisplayName", "DeliveryPolicy")}
            context_json = None if context is None else json.dumps(context.to_json_dict(), ensure_ascii=False)
            for subscription in topic.subscriptions if subscriptions is None else subscriptions:
                subscription_arn = subscription_arn_for(topic.topic_arn, subscription)
                keys.append((message_id, subscription_arn))
                rows.append(
                    (
                        message_id,
                        topic.topic_arn,
                        subscription_arn,
                        subscription.protocol,
                        subscription.endpoint,
                        json.dumps(dict(subscription.attributes), ensure_ascii=False),
                        json.dumps(topic_attributes, ensure_ascii=False),
                        alarm_name,
                        notification.at_ms,
                        notification.subject,
                        notification.message,
                        context_json,
                        "pending",
                        now,
                        now,
                    )
                )

        def insert(db: sqlite3.Connection) -> None:
            if together is not None:
                together(db)
            db.executemany(
                "INSERT OR IGNORE INTO outbox (message_id, topic_arn, subscription_arn, protocol, endpoint, "
                "attributes, topic_attributes, alarm_name, at_ms, subject, message, context, state, next_attempt_ms, "
                "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        self._write(insert)
        if not keys:
            return []
        return [entry for key in keys if (entry := self._by_key(*key)) is not None]

    # -- reading --------------------------------------------------------------------------------------

    def _query(self, where: str = "", parameters: Sequence[Any] = ()) -> list[OutboxEntry]:
        try:
            cursor = self._db.execute(f"SELECT {_COLUMNS} FROM outbox {where}", parameters)
            return [_entry(row) for row in cursor.fetchall()]
        except sqlite3.Error as error:
            raise OutboxError(f"cannot read the state file {self.path}: {error}") from None

    def _by_key(self, message_id: str, subscription_arn: str) -> OutboxEntry | None:
        found = self._query("WHERE message_id = ? AND subscription_arn = ?", (message_id, subscription_arn))
        return found[0] if found else None

    def get(self, entry_id: int) -> OutboxEntry | None:
        found = self._query("WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def entries(self, state: str | None = None) -> list[OutboxEntry]:
        """All rows (or those in ``state``), oldest first."""
        if state is None:
            return self._query("ORDER BY id")
        if state not in STATES:
            raise ValueError(f"unknown outbox state {state!r}; allowed: {', '.join(STATES)}")
        return self._query("WHERE state = ? ORDER BY id", (state,))

    def counts(self) -> dict[str, int]:
        """Rows per state (every state present, zero included)."""
        counts = dict.fromkeys(STATES, 0)
        for state, count in self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            counts[state] = count
        return counts

    def next_due_ms(self) -> int | None:
        """When the earliest pending row is due, or None when nothing is pending."""
        row = self._db.execute("SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'pending'").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- delivering -----------------------------------------------------------------------------------

    def deliver_due(self, now_ms: int | None = None, *, limit: int | None = None) -> list[DeliveryOutcome]:
        """Attempt every pending row due at ``now_ms`` (default: the clock), oldest first; each outcome is
        committed as soon as it is known."""
        now = self.clock() if now_ms is None else now_ms
        due = self._query(
            "WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY next_attempt_ms, id"
            + (" LIMIT ?" if limit is not None else ""),
            (now, limit) if limit is not None else (now,),
        )
        return [self._attempt(entry) for entry in due]

    def drain(self, *, sleep: Callable[[float], None] = time.sleep) -> list[DeliveryOutcome]:
        """Deliver until no row is pending, sleeping until each retry is due (the synchronous mode of
        ``replay --notify``); returns every attempt's outcome."""
        outcomes: list[DeliveryOutcome] = []
        while True:
            outcomes += self.deliver_due()
            due = self.next_due_ms()
            if due is None:
                return outcomes
            wait_ms = due - self.clock()
            if wait_ms > 0:
                sleep(wait_ms / 1000)

    def _attempt(self, entry: OutboxEntry) -> DeliveryOutcome:
        delivery = entry.to_delivery()
        deliverer = self._deliverers.get(delivery.protocol)
        error: DeliveryError | None = None
        try:
            if deliverer is None:
                raise DeliveryError(f"no deliverer for the {delivery.protocol} protocol", permanent=True)
            deliverer.deliver(delivery)
        except DeliveryError as failure:
            error = failure
        except Exception as failure:  # a deliverer's bug must not stop the other deliveries; retried like a fault
            error = DeliveryError(f"unexpected {type(failure).__name__}: {failure}")
        finally_ms = self.clock()
        attempts = entry.attempts + 1
        if error is None:
            state, next_ms, last_error, delivered_ms = "delivered", entry.next_attempt_ms, entry.last_error, finally_ms
        else:
            delay = None if error.permanent else self._policy(delivery).delay_after(attempts)
            last_error = str(error)
            delivered_ms = None
            if delay is None:
                state, next_ms = "dead", entry.next_attempt_ms
                _log.warning(
                    "notification %s to %s %s went to the dead-letter list after %d attempt(s): %s",
                    entry.message_id,
                    delivery.protocol,
                    entry.subscription_arn,
                    attempts,
                    last_error,
                )
            else:
                state, next_ms = "pending", finally_ms + round(delay * 1000)

        def record(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ?, delivered_ms = ? "
                "WHERE id = ?",
                (state, attempts, next_ms, last_error, delivered_ms, entry.id),
            )

        self._write(record)
        updated = self.get(entry.id)
        assert updated is not None
        return DeliveryOutcome(updated, None if error is None else str(error))

    def _policy(self, delivery: Delivery) -> RetryPolicy:
        try:
            return retry_policy_for(delivery, self.backoff)
        except DeliveryPolicyError:
            return RetryPolicy(())  # validated when loaded; a row from an older file falls back to no retry

    # -- the dead-letter list -------------------------------------------------------------------------

    def retry(self, entry_id: int) -> bool:
        """Put one dead row back in the queue, due now (its attempts start again); False if it is not dead."""
        changed = 0

        def revive(db: sqlite3.Connection) -> None:
            nonlocal changed
            changed = db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ? "
                "WHERE id = ? AND state = 'dead'",
                (self.clock(), entry_id),
            ).rowcount

        self._write(revive)
        return changed == 1

    def retry_all(self) -> int:
        """Put every dead row back in the queue; returns how many."""
        changed = 0

        def revive(db: sqlite3.Connection) -> None:
            nonlocal changed
            changed = db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ? WHERE state = 'dead'",
                (self.clock(),),
            ).rowcount

        self._write(revive)
        return changed


def _entry(row: Sequence[Any]) -> OutboxEntry:
    (
        entry_id,
        message_id,
        topic_arn,
        subscription_arn,
        protocol,
        endpoint,
        attributes,
        topic_attributes,
        alarm_name,
        at_ms,
        subject,
        message,
        context,
        state,
        attempts,
        next_attempt_ms,
        last_error,
        created_ms,
        delivered_ms,
    ) = row
    subscription = Subscription(protocol, endpoint, tuple(json.loads(attributes).items()))
    return OutboxEntry(
        id=entry_id,
        message_id=message_id,
        topic_arn=topic_arn,
        subscription_arn=subscription_arn,
        subscription=subscription,
        topic_attributes=json.loads(topic_attributes),
        alarm_name=alarm_name,
        at_ms=at_ms,
        subject=subject,
        message=message,
        context=None if context is None else NotificationContext.from_json_dict(json.loads(context)),
        state=state,
        attempts=attempts,
        next_attempt_ms=next_attempt_ms,
        last_error=last_error,
        created_ms=created_ms,
        delivered_ms=delivered_ms,
    )
