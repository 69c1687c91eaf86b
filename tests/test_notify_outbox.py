"""The SQLite outbox: idempotent enqueue, at-least-once delivery with stable ids across crashes, retries on the
subscription's policy, the dead-letter list, and files it cannot use."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from local_servers import HttpSink
from notify_support import TOPIC_ARN, FakeClock, context, notification, topic
from trailguard.model import Subscription
from trailguard.notify import SCHEMA_VERSION, Delivery, DeliveryError, Outbox, OutboxError, RetryPolicy
from trailguard.notify.http import HttpDeliverer
from trailguard.notify.local import LocalDeliverer


class Recorder:
    """A deliverer that records what it was given and fails as told (a stand-in receiver, not a mock of the
    outbox: the outbox code under test runs for real)."""

    protocols = ("file",)

    def __init__(self, fail_first: int = 0, permanent: bool = False) -> None:
        self.seen: list[Delivery] = []
        self.fail_first = fail_first
        self.permanent = permanent

    def deliver(self, delivery: Delivery) -> None:
        self.seen.append(delivery)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise DeliveryError("receiver down", permanent=self.permanent)


def subscriptions(tmp_path: Path, count: int) -> list[Subscription]:
    return [Subscription("file", str(tmp_path / f"out-{i}.jsonl")) for i in range(count)]


def test_enqueue_makes_one_row_per_subscription_with_one_message_id_and_is_idempotent(tmp_path: Path) -> None:
    subs = subscriptions(tmp_path, 3)
    with Outbox(tmp_path / "state.sqlite", clock=FakeClock()) as outbox:
        first = outbox.enqueue(notification(), topic(*subs), context=context())
        again = outbox.enqueue(notification(), topic(*subs), context=context())
        assert [e.id for e in first] == [e.id for e in again] and len(first) == 3
        assert len({e.message_id for e in first}) == 1 and len({e.subscription_arn for e in first}) == 3
        assert all(e.state == "pending" and e.attempts == 0 for e in first)
        assert first[0].context is not None and first[0].context.source_ips[0].value == "203.0.113.42"
        other_time = outbox.enqueue(notification(at_ms=notification().at_ms + 60_000), topic(*subs))
        assert {e.message_id for e in other_time}.isdisjoint({e.message_id for e in first})
        assert outbox.counts() == {"pending": 6, "delivered": 0, "dead": 0}
    db = sqlite3.connect(tmp_path / "state.sqlite")
    assert db.execute("SELECT version FROM schema_version WHERE component = 'outbox'").fetchone() == (SCHEMA_VERSION,)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_crash_between_batches_loses_nothing_and_repeats_nothing_already_recorded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    subs = subscriptions(tmp_path, 4)
    notes = [notification(at_ms=notification().at_ms + i * 60_000) for i in range(3)]
    first_run = Recorder()
    outbox = Outbox(path, deliverers=[first_run], clock=FakeClock())
    queued = outbox.enqueue_batch([(n, topic(*subs), None, None) for n in notes])
    assert len(queued) == 12
    outbox.deliver_due(limit=5)
    del outbox  # the process dies: no close(), nothing flushed by hand

    second_run = Recorder()
    with Outbox(path, deliverers=[second_run], clock=FakeClock()) as reopened:
        # The restarted run enqueues the same notifications again: nothing is added.
        requeued = reopened.enqueue_batch([(n, topic(*subs), None, None) for n in notes])
        assert [e.id for e in requeued] == [e.id for e in queued]
        reopened.deliver_due()
        assert reopened.counts() == {"pending": 0, "delivered": 12, "dead": 0}
    delivered = [(d.message_id, d.subscription_arn) for d in first_run.seen + second_run.seen]
    assert sorted(delivered) == sorted((e.message_id, e.subscription_arn) for e in queued)  # each exactly once


def test_a_delivery_whose_success_was_not_recorded_is_sent_again_with_the_same_ids(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    target = tmp_path / "alerts.jsonl"
    subscription = Subscription("file", str(target))

    class DiesAfterDelivering(LocalDeliverer):
        def deliver(self, delivery: Delivery) -> None:
            super().deliver(delivery)
            raise SystemExit("killed after the receiver had it, before the outbox recorded it")

    outbox = Outbox(path, deliverers=[DiesAfterDelivering()], clock=FakeClock())
    outbox.enqueue(notification(), topic(subscription))
    with pytest.raises(SystemExit):
        outbox.deliver_due()
    with Outbox(path, deliverers=[LocalDeliverer()], clock=FakeClock()) as reopened:
        assert reopened.counts()["pending"] == 1
        reopened.deliver_due()
        assert reopened.counts()["delivered"] == 1
    import json

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["MessageId"] == lines[1]["MessageId"]  # at least once, same id


def test_http_retries_follow_snss_default_policy_and_keep_the_message_id(tmp_path: Path, http_server: HttpSink) -> None:
    http_server.failures = 2
    clock = FakeClock()
    with Outbox(tmp_path / "s.sqlite", deliverers=[HttpDeliverer()], clock=clock) as outbox:
        (entry,) = outbox.enqueue(notification(), topic(Subscription("http", http_server.url)))
        outcomes = outbox.drain(sleep=clock.sleep)
        assert [o.delivered for o in outcomes] == [False, False, True]
        final = outbox.get(entry.id)
        assert final is not None and final.state == "delivered" and final.attempts == 3
    assert clock.sleeps == [20.0, 20.0]  # 20 s apart, linear: SNS's default HTTP/S policy
    ids = {headers["x-amz-sns-message-id"] for _, headers, _ in http_server.requests}
    assert len(http_server.requests) == 3 and ids == {entry.message_id}


def test_after_the_last_http_retry_the_message_is_dead_then_retry_sends_it(
    tmp_path: Path, http_server: HttpSink
) -> None:
    http_server.failures = 4
    clock = FakeClock()
    with Outbox(tmp_path / "s.sqlite", deliverers=[HttpDeliverer()], clock=clock) as outbox:
        (entry,) = outbox.enqueue(notification(), topic(Subscription("http", http_server.url)))
        outbox.drain(sleep=clock.sleep)
        dead = outbox.get(entry.id)
        assert dead is not None and dead.state == "dead" and dead.attempts == 4
        assert dead.last_error == "POST to http://127.0.0.1:{} answered HTTP 500".format(
            http_server.url.split(":")[2][:-5]
        )
        assert [e.id for e in outbox.entries("dead")] == [entry.id]
        assert outbox.retry(entry.id) and not outbox.retry(entry.id)
        outbox.drain(sleep=clock.sleep)
        assert outbox.counts() == {"pending": 0, "delivered": 1, "dead": 0}
    assert clock.sleeps == [20.0, 20.0, 20.0]
    assert len({headers["x-amz-sns-message-id"] for _, headers, _ in http_server.requests}) == 1


def test_a_delivery_policy_changes_the_http_schedule(tmp_path: Path, http_server: HttpSink) -> None:
    http_server.failures = 10
    clock = FakeClock()
    policy = '{"healthyRetryPolicy":{"numRetries":4,"numNoDelayRetries":1,"minDelayTarget":2,"maxDelayTarget":8}}'
    subscription = Subscription("http", http_server.url, (("DeliveryPolicy", policy),))
    with Outbox(tmp_path / "s.sqlite", deliverers=[HttpDeliverer()], clock=clock) as outbox:
        outbox.enqueue(notification(), topic(subscription))
        outbox.drain(sleep=clock.sleep)
        assert outbox.counts()["dead"] == 1
    assert clock.sleeps == [2.0, 5.0, 8.0]  # immediate, then linear from 2 to 8 s (the immediate one never sleeps)
    assert len(http_server.requests) == 5


def test_other_protocols_back_off_exponentially_to_a_cap_and_never_drop(tmp_path: Path) -> None:
    clock = FakeClock()
    receiver = Recorder(fail_first=100)
    backoff = RetryPolicy.exponential(retries=6, first_delay=1, cap=10)
    with Outbox(tmp_path / "s.sqlite", deliverers=[receiver], clock=clock, backoff=backoff) as outbox:
        (entry,) = outbox.enqueue(notification(), topic(*subscriptions(tmp_path, 1)))
        outbox.drain(sleep=clock.sleep)
        final = outbox.get(entry.id)
        assert final is not None and final.state == "dead" and final.last_error == "receiver down"
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert len(receiver.seen) == 7 and [d.attempt for d in receiver.seen] == list(range(1, 8))


def test_a_final_failure_skips_the_retries_and_retry_all_revives_every_dead_letter(tmp_path: Path) -> None:
    clock = FakeClock()
    receiver = Recorder(fail_first=3, permanent=True)
    with Outbox(tmp_path / "s.sqlite", deliverers=[receiver], clock=clock) as outbox:
        outbox.enqueue(notification(), topic(*subscriptions(tmp_path, 3)))
        outbox.drain(sleep=clock.sleep)
        assert outbox.counts() == {"pending": 0, "delivered": 0, "dead": 3} and clock.sleeps == []
        assert outbox.retry_all() == 3
        outbox.drain(sleep=clock.sleep)
        assert outbox.counts() == {"pending": 0, "delivered": 3, "dead": 0}


def test_a_protocol_without_a_deliverer_goes_to_the_dead_letter_list(tmp_path: Path) -> None:
    with Outbox(tmp_path / "s.sqlite", clock=FakeClock()) as outbox:
        (entry,) = outbox.enqueue(notification(), topic(Subscription("sms", "+14155550100")))
        (outcome,) = outbox.deliver_due()
        assert outcome.entry.state == "dead" and outcome.error == "no deliverer for the sms protocol"
        assert outcome.entry.to_json_dict()["topicArn"] == TOPIC_ARN and entry.id == outcome.entry.id


def test_files_the_outbox_cannot_use_give_clear_errors(tmp_path: Path) -> None:
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello, this is not a database\n" * 100)
    with pytest.raises(OutboxError, match=r"cannot use the state file .*notes\.txt"):
        Outbox(not_sqlite)
    with pytest.raises(OutboxError, match="cannot open the state file"):
        Outbox(tmp_path / "no" / "such" / "dir" / "s.sqlite")
    newer = tmp_path / "newer.sqlite"
    Outbox(newer).close()
    db = sqlite3.connect(newer)
    db.execute("UPDATE schema_version SET version = 99 WHERE component = 'outbox'")
    db.commit()
    db.close()
    with pytest.raises(OutboxError, match="schema version 99, written by a newer trailguard"):
        Outbox(newer)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_state_file_refuses_writes_and_keeps_what_it_had(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Outbox(path, clock=FakeClock()) as outbox:
        outbox.enqueue(notification(), topic(*subscriptions(tmp_path, 1)))
    for name in os.listdir(tmp_path):
        os.chmod(tmp_path / name, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(OutboxError), Outbox(path, clock=FakeClock()) as outbox:
            outbox.enqueue(notification(at_ms=1), topic(*subscriptions(tmp_path, 1)))
    finally:
        os.chmod(tmp_path, 0o755)
    with Outbox(path, clock=FakeClock()) as outbox:
        assert outbox.counts()["pending"] == 1


def test_a_write_that_fails_midway_rolls_back_the_whole_batch(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Outbox(path, clock=FakeClock()) as outbox:
        outbox.enqueue(notification(), topic(*subscriptions(tmp_path, 1)))
        # A trigger makes the third insert fail, as a full disk would: the batch must leave no trace.
        outbox._db.execute(
            "CREATE TRIGGER full_disk BEFORE INSERT ON outbox WHEN (SELECT COUNT(*) FROM outbox) >= 3 "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        batch = [
            (notification(at_ms=notification().at_ms + i), topic(*subscriptions(tmp_path, 1)), None, None)
            for i in range(1, 4)
        ]
        with pytest.raises(OutboxError, match="database or disk is full"):
            outbox.enqueue_batch(batch)
        assert outbox.counts()["pending"] == 1
