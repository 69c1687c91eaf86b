"""Followers: a folder (notifications and polling), standard input (a real pipe), an S3 prefix and a CloudWatch Logs
group (moto's server on 127.0.0.1). Each is checked to find new input, to give each event once, and to continue
from a checkpoint without reading anything again."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from live_support import drop, failed_login, iso
from trailguard.sources import AwsOptions, Quarantine
from trailguard.sources.follow import MAX_BATCH_EVENTS, Batch, Checkpoint, FolderFollower, StdinFollower
from trailguard.sources.follow_logs import LOOKBACK_MS, LogsFollower
from trailguard.sources.follow_s3 import S3Follower, cloudtrail_roots
from trailguard.sources.s3 import S3Location

NOW = 1_795_165_230_000  # 2026-11-20T09:00:30Z
DAY = 86_400_000


def committed(follower: Any, checkpoint: Checkpoint, now_ms: int = NOW) -> list[Batch]:
    """Read every batch the follower has now, recording each batch's progress in ``checkpoint`` as the live
    state would."""
    batches = []
    while (batch := follower.next_batch(now_ms)) is not None:
        batches.append(batch)
        progress = batch.progress
        for item, at in progress.done:
            checkpoint.done[item] = at
            checkpoint.partial.pop(item, None)
        if progress.partial is not None:
            checkpoint.partial[progress.partial[0]] = progress.partial[1]
        if progress.cursor is not None:
            checkpoint.cursor = dict(progress.cursor)
        if progress.forget_before_ms is not None:
            checkpoint.done = {k: v for k, v in checkpoint.done.items() if v >= progress.forget_before_ms}
    return batches


def event_times(batches: list[Batch]) -> list[int]:
    return [event.timestamp_ms for batch in batches for event in batch.events if event.timestamp_ms is not None]


def wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- folders ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("notifications", [True, False], ids=["notifications", "polling"])
def test_a_folder_follower_reads_each_new_file_once_and_continues_from_its_checkpoint(
    tmp_path: Path, notifications: bool
) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    drop(folder, "old.json", [failed_login(NOW - 1000)])
    (folder / ".hidden.json").write_text("{}")
    (folder / "123_CloudTrail-Digest_x.json").write_text("{}")
    checkpoint = Checkpoint()
    wake = threading.Event()
    with Quarantine(None) as quarantine:
        follower = FolderFollower(
            str(folder), quarantine, settle_seconds=0, poll_seconds=0.1, notifications=notifications
        )
        follower.start(checkpoint, wake)
        follower.poll(NOW)
        assert event_times(committed(follower, checkpoint)) == [NOW - 1000]
        drop(folder, "AWSLogs/1/new/a.json", [failed_login(NOW + 1), failed_login(NOW + 2)])
        drop(folder, "b.json.gz", [])
        (folder / "b.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [failed_login(NOW + 3)]}).encode()))
        found: list[Batch] = []

        def everything_read() -> bool:
            if follower.poll_due(time.monotonic()):
                follower.poll(NOW)
            found.extend(committed(follower, checkpoint))
            return len(event_times(found)) >= 3

        wait_until(everything_read)
        assert sorted(event_times(found)) == [NOW + 1, NOW + 2, NOW + 3]
        if notifications:  # once watching, a new file wakes the runner
            wake.clear()
            drop(folder, "AWSLogs/1/newer/n.json", [failed_login(NOW + 5)])
            assert wake.wait(10), "no notification"
            assert follower.poll_due(time.monotonic())
            follower.poll(NOW)
            assert event_times(committed(follower, checkpoint)) == [NOW + 5]
        follower.close()
        assert set(checkpoint.done) >= {"AWSLogs/1/new/a.json", "b.json.gz", "old.json"}
        # A restart from the checkpoint reads nothing again, and finds what arrived while it was stopped.
        drop(folder, "c.json", [failed_login(NOW + 4)])
        again = FolderFollower(str(folder), quarantine, settle_seconds=0, notifications=False)
        again.start(checkpoint, threading.Event())
        again.poll(NOW)
        assert event_times(committed(again, checkpoint)) == [NOW + 4]
        again.close()
        assert quarantine.count == 0


def test_a_large_file_is_read_in_parts_and_a_restart_resumes_after_the_last_part_committed(tmp_path: Path) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    count = 2 * MAX_BATCH_EVENTS + 17
    with (folder / "big.jsonl").open("w") as out:
        for i in range(count):
            out.write(json.dumps(failed_login(NOW + i)) + "\n")
    checkpoint = Checkpoint()
    with Quarantine(None) as quarantine:
        follower = FolderFollower(str(folder), quarantine, settle_seconds=0, notifications=False)
        follower.start(checkpoint, threading.Event())
        follower.poll(NOW)
        first = follower.next_batch(NOW)
        assert first is not None and len(first.events) == MAX_BATCH_EVENTS
        assert first.progress.partial == ("big.jsonl", MAX_BATCH_EVENTS) and first.progress.done == ()
        checkpoint.partial["big.jsonl"] = MAX_BATCH_EVENTS  # committed; then the process dies
        restarted = FolderFollower(str(folder), quarantine, settle_seconds=0, notifications=False)
        restarted.start(checkpoint, threading.Event())
        restarted.poll(NOW)
        rest = committed(restarted, checkpoint)
        assert [len(b.events) for b in rest] == [MAX_BATCH_EVENTS, 17]
        assert event_times([first, *rest]) == [NOW + i for i in range(count)]
        assert checkpoint.done.keys() == {"big.jsonl"} and checkpoint.partial == {}


def test_a_file_still_being_written_waits_for_the_settle_time(tmp_path: Path) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"Records": [failed_login(NOW)]}))
    with Quarantine(None) as quarantine:
        follower = FolderFollower(str(folder), quarantine, settle_seconds=0.5, notifications=False)
        follower.start(Checkpoint(), threading.Event())
        follower.poll(NOW)
        assert follower.next_batch(NOW) is None  # written just now
        assert follower.next_poll() <= time.monotonic() + 0.5
        time.sleep(0.6)
        assert follower.poll_due(time.monotonic())
        follower.poll(NOW)
        batch = follower.next_batch(NOW)
        assert batch is not None and event_times([batch]) == [NOW]


# -- standard input -------------------------------------------------------------------------------------------


def test_standard_input_is_read_line_by_line_as_records_arrive(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(read_end, "rb")
    writer = os.fdopen(write_end, "wb")
    wake = threading.Event()
    follower = StdinFollower(tmp_path / "quarantine.jsonl", stream=stream)
    follower.start(Checkpoint(), wake)
    writer.write((json.dumps(failed_login(NOW)) + "\n").encode())
    writer.flush()
    wait_until(wake.is_set)
    got: list[int] = []
    wait_until(lambda: bool(got.extend(event_times([b] if (b := follower.next_batch(NOW)) else [])) or got))
    assert got == [NOW]
    writer.write(b"not json\n")
    writer.write((json.dumps({"Records": [failed_login(NOW + 1), failed_login(NOW + 2)]}) + "\n").encode())
    writer.close()
    wait_until(lambda: bool(got.extend(event_times([b] if (b := follower.next_batch(NOW)) else [])) or follower.ended))
    assert got == [NOW, NOW + 1, NOW + 2]
    follower.close()
    (entry,) = [json.loads(line) for line in (tmp_path / "quarantine.jsonl").read_text().splitlines()]
    assert (entry["origin"], entry["position"], entry["reason"]) == ("<stdin>", 2, "not valid JSON")


# -- S3 ---------------------------------------------------------------------------------------------------------


def trail_key(prefix: str, region: str, at_ms: int, name: str) -> str:
    day = iso(at_ms)[:10].replace("-", "/")
    return f"{prefix}AWSLogs/123456789012/CloudTrail/{region}/{day}/123456789012_CloudTrail_{region}_{name}.json.gz"


def put(s3: Any, bucket: str, key: str, records: list[dict[str, Any]]) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode()))


def test_an_s3_follower_lists_only_the_newest_date_folders_of_each_region(aws_environment: str) -> None:
    bucket = f"trail-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_environment)
    s3.create_bucket(Bucket=bucket)
    prefix = "org/"
    put(s3, bucket, trail_key(prefix, "us-east-1", NOW - 10 * DAY, "ancient"), [failed_login(NOW - 10 * DAY)])
    put(s3, bucket, trail_key(prefix, "us-east-1", NOW - DAY, "yesterday"), [failed_login(NOW - DAY)])
    put(s3, bucket, trail_key(prefix, "eu-west-1", NOW, "today"), [failed_login(NOW)])
    put(s3, bucket, f"{prefix}AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/20/d.json.gz", [])
    aws = AwsOptions(region="us-east-1", endpoint_url=aws_environment)
    roots = cloudtrail_roots(aws.client("s3"), S3Location(bucket, ""))
    assert roots == [
        f"{prefix}AWSLogs/123456789012/CloudTrail/eu-west-1/",
        f"{prefix}AWSLogs/123456789012/CloudTrail/us-east-1/",
    ]
    checkpoint = Checkpoint()
    with Quarantine(None) as quarantine:
        follower = S3Follower(f"s3://{bucket}/", quarantine, aws=aws)
        follower.start(checkpoint, threading.Event())
        follower.poll(NOW)
        # At first start: from the day before today on (the ten-day-old file is history, not live).
        assert sorted(event_times(committed(follower, checkpoint))) == [NOW - DAY, NOW]
        put(s3, bucket, trail_key(prefix, "us-east-1", NOW + 60_000, "later"), [failed_login(NOW + 60_000)])
        follower.poll(NOW + 60_000)
        assert event_times(committed(follower, checkpoint)) == [NOW + 60_000]
        follower.poll(NOW + 60_000)
        assert committed(follower, checkpoint) == []
        # Two days on, the checkpoint keeps only the keys that can still be listed.
        later = NOW + 2 * DAY
        put(s3, bucket, trail_key(prefix, "us-east-1", later, "after"), [failed_login(later)])
        put(s3, bucket, trail_key(prefix, "eu-west-1", later, "after"), [failed_login(later + 1)])
        follower.poll(later)
        assert sorted(event_times(committed(follower, checkpoint, later))) == [later, later + 1]
        assert all("2026/11/2" in key for key in checkpoint.done)
        assert not any("/2026/11/19/" in key for key in checkpoint.done)
        assert checkpoint.cursor is not None and len(checkpoint.cursor["newestDay"]) == 2
        # A restart from the checkpoint reads nothing again.
        again = S3Follower(f"s3://{bucket}/", quarantine, aws=aws)
        again.start(checkpoint, threading.Event())
        again.poll(later)
        assert committed(again, checkpoint, later) == []


def test_an_s3_prefix_without_cloudtrail_folders_is_followed_whole(aws_environment: str) -> None:
    bucket = f"plain-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws_environment)
    s3.create_bucket(Bucket=bucket)
    put(s3, bucket, "exports/a.json.gz", [failed_login(NOW)])
    aws = AwsOptions(region="us-east-1", endpoint_url=aws_environment)
    checkpoint = Checkpoint()
    with Quarantine(None) as quarantine:
        follower = S3Follower(f"s3://{bucket}/exports/", quarantine, aws=aws)
        follower.start(checkpoint, threading.Event())
        follower.poll(NOW)
        assert event_times(committed(follower, checkpoint)) == [NOW]
        put(s3, bucket, "exports/b.json.gz", [failed_login(NOW + 1)])
        follower.poll(NOW)
        assert event_times(committed(follower, checkpoint)) == [NOW + 1]
        assert set(checkpoint.done) == {"exports/a.json.gz", "exports/b.json.gz"}


# -- CloudWatch Logs ------------------------------------------------------------------------------------------


def test_a_log_group_follower_counts_each_event_once_across_overlapping_searches_and_restarts(
    aws_environment: str,
) -> None:
    group = f"/aws/cloudtrail/{uuid.uuid4().hex[:8]}"
    logs = boto3.client("logs", region_name="us-east-1", endpoint_url=aws_environment)
    logs.create_log_group(logGroupName=group)
    stream = "123456789012_CloudTrail_us-east-1"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def send(*at: int) -> None:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": t, "message": json.dumps(failed_login(t))} for t in at],
        )

    send(NOW - 20 * 60_000, NOW - 60_000, NOW - 30_000)
    aws = AwsOptions(region="us-east-1", endpoint_url=aws_environment)
    checkpoint = Checkpoint()
    with Quarantine(None) as quarantine:
        follower = LogsFollower(f"logs://{group}", quarantine, aws=aws, page_size=1)
        follower.start(checkpoint, threading.Event())
        follower.poll(NOW)
        # At first start, from the look-back before now; one event per page here.
        batches = committed(follower, checkpoint)
        assert event_times(batches) == [NOW - 60_000, NOW - 30_000]
        assert checkpoint.cursor == {"newestMs": NOW - 30_000}
        # A late arrival stamped within the look-back of the newest is found; repeats are not counted again.
        send(NOW - 30_000 - LOOKBACK_MS + 1_000, NOW + 1_000)
        follower.poll(NOW)
        assert sorted(event_times(committed(follower, checkpoint))) == [NOW - 30_000 - LOOKBACK_MS + 1_000, NOW + 1_000]
        # Cut short mid-search (a crash after the first page), a restart searches again from the same point.
        send(NOW + 2_000, NOW + 3_000)
        follower.poll(NOW)
        first = follower.next_batch(NOW)
        assert first is not None and event_times([first]) == []  # the page repeats an event already counted
        restarted = LogsFollower(f"logs://{group}", quarantine, aws=aws, page_size=2)
        restarted.start(checkpoint, threading.Event())
        restarted.poll(NOW)
        assert event_times(committed(restarted, checkpoint)) == [NOW + 2_000, NOW + 3_000]
        assert all(at >= NOW + 3_000 - LOOKBACK_MS for at in checkpoint.done.values())
        assert quarantine.count == 0
