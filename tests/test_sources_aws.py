"""S3 and CloudWatch Logs sources against a real moto server over HTTP (never the real network)."""

from __future__ import annotations

import contextlib
import gzip
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailguard.sources import (
    AwsOptions,
    Quarantine,
    QuarantineReason,
    SourceError,
    SourceStats,
    measure_sources,
    read_sources,
)
from trailguard.sources.cwlogs import parse_logs_url, read_logs
from trailguard.sources.s3 import read_s3

ACCOUNT = "123456789012"


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsOptions:
    """Options pointing boto3 at the moto server, with dummy credentials and nothing from the machine."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return AwsOptions(region="us-east-1", endpoint_url=moto_server)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def ct_record(number: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventTime": f"2026-07-28T09:00:{number:02d}Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "sourceIPAddress": "198.51.100.7",
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
    }
    record.update(fields)
    return record


def delivery(*records: Any) -> bytes:
    return orjson.dumps({"Records": list(records)})


# --- S3 ---------------------------------------------------------------------------------------------------


@pytest.fixture
def trail_bucket(aws: AwsOptions) -> str:
    """A bucket in CloudTrail's layout: three delivery objects (one not gzipped), a digest, a folder marker
    and an unrelated prefix."""
    bucket = unique("trail")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    day = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/07/28/"
    objects = {
        day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0905Z_b.json.gz": gzip.compress(delivery(ct_record(3))),
        day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0900Z_a.json.gz": gzip.compress(
            delivery(ct_record(1), ct_record(2))
        ),
        day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0910Z_c.json": delivery(ct_record(4)),
        f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/07/28/"
        f"{ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20260728T100000Z.json.gz": gzip.compress(b"{}"),
        day: b"",  # a folder marker made by the console
        "other/readme.txt": b"not a log",
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return bucket


def test_s3_prefix_read_in_key_order_like_files(aws: AwsOptions, trail_bucket: str) -> None:
    quarantine = Quarantine()
    stats = SourceStats()
    source = f"s3://{trail_bucket}/AWSLogs/{ACCOUNT}/"

    events = list(read_sources([source], quarantine, aws=aws, stats=stats))

    assert quarantine.count == 0
    assert [event.record["eventID"][-1] for event in events] == ["1", "2", "3", "4"]
    day = f"s3://{trail_bucket}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/07/28/"
    assert [(event.origin, event.position) for event in events] == [
        (day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0900Z_a.json.gz", 1),
        (day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0900Z_a.json.gz", 2),
        (day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0905Z_b.json.gz", 1),
        (day + f"{ACCOUNT}_CloudTrail_us-east-1_20260728T0910Z_c.json", 1),
    ]
    assert events[0].message == orjson.dumps(ct_record(1)).decode()
    assert events[0].timestamp_ms == 1_785_229_201_000
    assert (stats.files_read, stats.files_skipped, stats.events) == (3, 1, 4)


def test_s3_listing_follows_every_page(aws: AwsOptions, trail_bucket: str) -> None:
    events = list(
        read_s3(f"s3://{trail_bucket}/AWSLogs/", Quarantine(), aws=aws, page_size=1)  # one key per page
    )
    assert len(events) == 4


def test_s3_measure_lists_without_downloading(aws: AwsOptions, trail_bucket: str) -> None:
    source = f"s3://{trail_bucket}/AWSLogs/"
    totals = measure_sources([source], aws=aws)
    stats = SourceStats()
    list(read_sources([source], Quarantine(), aws=aws, stats=stats))
    assert (totals.files, totals.bytes, totals.skipped) == (stats.files_read, stats.bytes_read, stats.files_skipped)
    assert totals.complete


def test_s3_bad_objects_are_quarantined_with_their_key(aws: AwsOptions) -> None:
    bucket = unique("bad")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="logs/1.json.gz", Body=gzip.compress(delivery(ct_record(1)))[:-8])
    s3.put_object(Bucket=bucket, Key="logs/2.json", Body=delivery(ct_record(2), {"eventName": "NoTime"}))
    quarantine = Quarantine()

    events = list(read_sources([f"s3://{bucket}/logs/"], quarantine, aws=aws))

    assert [event.origin for event in events] == [f"s3://{bucket}/logs/2.json"]
    assert [(entry.origin, entry.position, entry.reason) for entry in quarantine.entries] == [
        (f"s3://{bucket}/logs/1.json.gz", None, QuarantineReason.BAD_GZIP),
        (f"s3://{bucket}/logs/2.json", 2, QuarantineReason.MISSING_EVENT_TIME),
    ]


def test_s3_missing_bucket_is_a_source_error(aws: AwsOptions) -> None:
    events = read_sources([f"s3://{unique('absent')}/AWSLogs/"], Quarantine(), aws=aws)
    with pytest.raises(SourceError, match="NoSuchBucket"):
        next(events)


def test_s3_prefix_without_objects_is_a_source_error(aws: AwsOptions, trail_bucket: str) -> None:
    with pytest.raises(SourceError, match="no objects under this prefix"):
        list(read_sources([f"s3://{trail_bucket}/AWSLogs/999999999999/"], Quarantine(), aws=aws))


def test_s3_whole_bucket(aws: AwsOptions, trail_bucket: str) -> None:
    quarantine = Quarantine()
    events = list(read_sources([f"s3://{trail_bucket}"], quarantine, aws=aws))
    assert len(events) == 4
    assert only_reasons(quarantine) == [(f"s3://{trail_bucket}/other/readme.txt", QuarantineReason.NOT_JSON)]


def only_reasons(quarantine: Quarantine) -> list[tuple[str, str]]:
    return [(entry.origin, entry.reason) for entry in quarantine.entries]


# --- CloudWatch Logs ------------------------------------------------------------------------------------


def put_events(aws: AwsOptions, group: str, stream: str, messages: list[str]) -> None:
    logs = aws.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    # CloudWatch Logs only takes events from the last 14 days: the delivery time is now, whatever eventTime says.
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + index, "message": message} for index, message in enumerate(messages)],
    )


def test_logs_group_messages_kept_verbatim_times_from_event_time(aws: AwsOptions) -> None:
    group = "/aws/cloudtrail/" + unique("trail")
    stream = f"{ACCOUNT}_CloudTrail_us-east-1"
    messages = [orjson.dumps(ct_record(i)).decode() for i in range(1, 6)]
    messages[2] = '{"eventTime": "2026-07-28T09:00:03Z",  "spaced": true}'  # kept as is, not re-serialized
    put_events(aws, group, stream, messages)
    stats = SourceStats()

    events = list(read_sources([f"logs://{group}"], Quarantine(), aws=aws, stats=stats, require_event_time=True))

    assert [event.message for event in events] == messages
    assert [event.timestamp_ms for event in events] == [1_785_229_200_000 + 1000 * i for i in range(1, 6)]
    assert [(event.origin, event.position) for event in events] == [
        (f"logs://{group}/{stream}", i) for i in range(1, 6)
    ]
    assert events[2].record == {"eventTime": "2026-07-28T09:00:03Z", "spaced": True}
    assert stats.events == 5


def test_logs_paging_follows_next_token_and_stream_prefix(aws: AwsOptions) -> None:
    group = unique("paged")
    put_events(aws, group, f"{ACCOUNT}_CloudTrail_us-east-1", [orjson.dumps(ct_record(i)).decode() for i in range(7)])
    put_events(aws, group, f"{ACCOUNT}_CloudTrail_eu-west-1", [orjson.dumps(ct_record(50)).decode()])

    everything = list(read_logs(f"logs://{group}", Quarantine(), aws=aws, page_size=2))
    one_region = list(
        read_logs(f"logs://{group}?stream={ACCOUNT}_CloudTrail_eu-west-1", Quarantine(), aws=aws, page_size=2)
    )

    assert len(everything) == 8
    assert [event.record["eventID"][-2:] for event in one_region] == ["50"]


def test_logs_bad_messages_are_quarantined(aws: AwsOptions) -> None:
    group = unique("bad")
    stream = f"{ACCOUNT}_CloudTrail_us-east-1"
    messages = [
        orjson.dumps(ct_record(1)).decode(),
        "plain text, not JSON",
        "[1, 2]",
        orjson.dumps({"eventName": "NoTime"}).decode(),
        orjson.dumps(ct_record(5, eventTime="soon")).decode(),
    ]
    put_events(aws, group, stream, messages)
    quarantine = Quarantine()

    events = list(read_sources([f"logs://{group}"], quarantine, aws=aws))

    origin = f"logs://{group}/{stream}"
    assert [event.position for event in events] == [1]
    assert [(entry.origin, entry.position, entry.reason) for entry in quarantine.entries] == [
        (origin, 2, QuarantineReason.NOT_JSON),
        (origin, 3, QuarantineReason.NOT_OBJECT),
        (origin, 4, QuarantineReason.MISSING_EVENT_TIME),
        (origin, 5, QuarantineReason.BAD_EVENT_TIME),
    ]
    assert quarantine.entries[0].raw_preview == "plain text, not JSON"


def test_logs_without_required_event_time_fall_back_to_the_log_event_time(aws: AwsOptions) -> None:
    group = unique("notime")
    before = int(time.time() * 1000)
    put_events(aws, group, "s", [orjson.dumps({"eventName": "NoTime"}).decode()])
    (event,) = read_sources([f"logs://{group}"], Quarantine(), aws=aws, require_event_time=False)
    assert event.timestamp_ms is not None
    assert before <= event.timestamp_ms <= before + 60_000


def test_logs_time_window(aws: AwsOptions) -> None:
    group = unique("window")
    put_events(aws, group, "s", [orjson.dumps(ct_record(1)).decode()])
    future = int(time.time() * 1000) + 3_600_000
    assert list(read_logs(f"logs://{group}?start={future}", Quarantine(), aws=aws)) == []
    assert len(list(read_logs(f"logs://{group}?end={future}", Quarantine(), aws=aws))) == 1


def test_logs_missing_group_is_a_source_error(aws: AwsOptions) -> None:
    with pytest.raises(SourceError, match="ResourceNotFoundException"):
        list(read_sources([f"logs://{unique('absent')}"], Quarantine(), aws=aws))


def test_logs_cannot_be_sized_in_advance(aws: AwsOptions) -> None:
    totals = measure_sources(["logs://any-group"], aws=aws)
    assert (totals.files, totals.bytes, totals.complete) == (0, 0, False)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("logs://", "no log group name"),
        ("logs://g?colour=blue", "unknown parameter 'colour'"),
        ("logs://g?stream=a&stream=b", "given 2 times"),
        ("logs://g?start=last-tuesday", "neither ISO-8601 nor epoch milliseconds"),
        ("logs://g?start=2026-07-28T10:00:00Z&end=2026-07-28T09:00:00Z", "end is before start"),
        ("logs://g?novalue", "malformed parameters"),
    ],
)
def test_logs_url_errors(source: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_logs_url(source)


def test_logs_url_forms() -> None:
    location = parse_logs_url(
        "logs:///aws/cloudtrail/main?stream=123_CloudTrail&start=2026-07-28T09:00:00Z&end=1785232800000"
    )
    assert (location.group, location.stream_prefix, location.start_ms, location.end_ms) == (
        "/aws/cloudtrail/main",
        "123_CloudTrail",
        1_785_229_200_000,
        1_785_232_800_000,
    )
    assert parse_logs_url("logs://CloudTrail/DefaultLogGroup").group == "CloudTrail/DefaultLogGroup"


# --- dispatch ---------------------------------------------------------------------------------------------


def test_sources_of_every_kind_in_one_run(aws: AwsOptions, trail_bucket: str, tmp_path: Path) -> None:
    local = tmp_path / "local.json"
    local.write_bytes(delivery(ct_record(9)))
    group = unique("mixed")
    put_events(aws, group, "s", [orjson.dumps(ct_record(8)).decode()])

    events = list(read_sources([str(local), f"s3://{trail_bucket}/AWSLogs/", f"logs://{group}"], Quarantine(), aws=aws))

    assert [event.record["eventID"][-1] for event in events] == ["9", "1", "2", "3", "4", "8"]


def test_every_source_string_is_checked_before_any_is_read(tmp_path: Path) -> None:
    # No server and no credentials are needed to refuse these: nothing is called.
    with pytest.raises(SourceError, match="no such file"):
        read_sources(["s3://bucket/x", str(tmp_path / "missing")], Quarantine())
    with pytest.raises(SourceError, match="no bucket name"):
        read_sources(["s3:///key"], Quarantine())
    with pytest.raises(SourceError, match=r"unsupported source https://"):
        read_sources(["https://example.com/trail.json"], Quarantine())


def test_unknown_profile_is_a_source_error(aws: AwsOptions) -> None:
    with pytest.raises(SourceError, match="no-such-profile"):
        list(read_sources(["s3://bucket/"], Quarantine(), aws=AwsOptions(profile="no-such-profile")))
