"""Reading CloudTrail from files, folders and standard input: every accepted shape, every kind of bad input."""

from __future__ import annotations

import base64
import gzip
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailguard.sources import (
    MAX_MESSAGE_BYTES,
    Quarantine,
    QuarantineReason,
    SourceError,
    SourceEvent,
    SourceStats,
    measure_paths,
    read_paths,
)

T0_MS = 1_785_229_200_000  # 2026-07-28T09:00:00Z


def ct_record(number: int, **fields: Any) -> dict[str, Any]:
    """A CloudTrail-shaped record; ``number`` makes eventTime and eventID distinct."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "123456789012"},
        "eventTime": f"2026-07-28T09:00:{number:02d}Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
        "readOnly": True,
    }
    record.update(fields)
    return record


def read_all(*paths: str | Path, **options: Any) -> tuple[list[SourceEvent], Quarantine]:
    quarantine = Quarantine()
    events = list(read_paths([str(path) for path in paths], quarantine, **options))
    return events, quarantine


def write(path: Path, content: bytes | str, *, gzipped: bool = False) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def delivery(records: list[Any]) -> bytes:
    """CloudTrail's S3 delivery form: compact ``{"Records":[...]}``, no trailing newline."""
    return orjson.dumps({"Records": records})


# --- accepted shapes -------------------------------------------------------------------------------------


def test_s3_delivery_file_gzipped(tmp_path: Path) -> None:
    records = [ct_record(i) for i in range(3)]
    path = write(
        tmp_path / "123456789012_CloudTrail_us-east-1_20260728T0900Z_abc.json.gz", delivery(records), gzipped=True
    )

    events, quarantine = read_all(path)

    assert quarantine.count == 0
    assert [event.position for event in events] == [1, 2, 3]
    assert all(event.origin == str(path) for event in events)
    assert [event.record for event in events] == records
    assert [event.timestamp_ms for event in events] == [T0_MS, T0_MS + 1000, T0_MS + 2000]


def test_message_is_the_compact_record_with_key_order_kept(tmp_path: Path) -> None:
    record = {"zeta": 1, "eventTime": "2026-07-28T09:00:00Z", "alpha": {"b": [1, 2], "a": "é / \u2028"}}
    pretty = json.dumps({"Records": [record]}, indent=4, ensure_ascii=True)
    path = write(tmp_path / "pretty.json", pretty)

    (event,), _ = read_all(path)

    assert event.message == '{"zeta":1,"eventTime":"2026-07-28T09:00:00Z","alpha":{"b":[1,2],"a":"é / \u2028"}}'
    assert list(event.record) == ["zeta", "eventTime", "alpha"]


def test_uncompressed_delivery_file(tmp_path: Path) -> None:
    path = write(tmp_path / "delivery.json", delivery([ct_record(1), ct_record(2)]))
    events, quarantine = read_all(path)
    assert [event.record["eventID"][-1] for event in events] == ["1", "2"]
    assert quarantine.count == 0


def test_json_array_of_records(tmp_path: Path) -> None:
    path = write(tmp_path / "array.json", json.dumps([ct_record(1), ct_record(2)], indent=2), gzipped=True)
    events, _ = read_all(path)
    assert [event.position for event in events] == [1, 2]


def test_single_pretty_printed_record(tmp_path: Path) -> None:
    # A one-record file spanning many lines: parsed as one document, not as (failing) JSON lines.
    path = write(tmp_path / "console_login.json", json.dumps(ct_record(7), indent=4))
    events, quarantine = read_all(path)
    assert quarantine.count == 0
    assert len(events) == 1
    assert events[0].position == 1
    assert events[0].record == ct_record(7)


def test_json_lines_positions_are_line_numbers(tmp_path: Path) -> None:
    lines = [orjson.dumps(ct_record(1)), b"", orjson.dumps(ct_record(2)), b"   ", orjson.dumps(ct_record(3)), b""]
    path = write(tmp_path / "events.jsonl", b"\r\n".join(lines))

    events, quarantine = read_all(path)

    assert quarantine.count == 0
    assert [event.position for event in events] == [1, 3, 5]
    assert events[2].record == ct_record(3)


def test_json_lines_holding_delivery_documents(tmp_path: Path) -> None:
    # jq -c . over several delivery files: one {"Records": [...]} per line.
    path = write(
        tmp_path / "deliveries.jsonl", delivery([ct_record(1), ct_record(2)]) + b"\n" + delivery([ct_record(3)])
    )
    events, quarantine = read_all(path)
    assert quarantine.count == 0
    assert [(event.position, event.record["eventID"][-1]) for event in events] == [(1, "1"), (1, "2"), (2, "3")]


def test_concatenated_delivery_documents_on_one_line(tmp_path: Path) -> None:
    # zcat *.json.gz: CloudTrail files end without a newline, so the documents run together.
    path = write(tmp_path / "zcat.json", delivery([ct_record(1)]) + delivery([ct_record(2), ct_record(3)]))
    events, quarantine = read_all(path)
    assert quarantine.count == 0
    assert [event.position for event in events] == [1, 2, 3]
    assert [event.record for event in events] == [ct_record(1), ct_record(2), ct_record(3)]


def test_concatenated_pretty_printed_records(tmp_path: Path) -> None:
    # jq '.Records[]': pretty-printed objects one after another; no single line is JSON.
    text = "\n".join(json.dumps(ct_record(i), indent=2) for i in (1, 2, 3)) + "\n"
    events, quarantine = read_all(write(tmp_path / "jq.json", text))
    assert quarantine.count == 0
    assert [event.record for event in events] == [ct_record(1), ct_record(2), ct_record(3)]
    assert [event.message for event in events] == [orjson.dumps(ct_record(i)).decode() for i in (1, 2, 3)]


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path: Path) -> None:
    gz_named_json = write(tmp_path / "a.json", delivery([ct_record(1)]), gzipped=True)
    plain_named_gz = write(tmp_path / "b.json.gz", delivery([ct_record(2)]))
    events, quarantine = read_all(gz_named_json, plain_named_gz)
    assert quarantine.count == 0
    assert [event.record["eventID"][-1] for event in events] == ["1", "2"]


def test_multi_member_gzip(tmp_path: Path) -> None:
    data = gzip.compress(b'{"Records":[') + gzip.compress(orjson.dumps(ct_record(1)) + b"]}")
    events, quarantine = read_all(write(tmp_path / "members.json.gz", data))
    assert quarantine.count == 0
    assert len(events) == 1


def test_utf8_byte_order_mark(tmp_path: Path) -> None:
    events, quarantine = read_all(write(tmp_path / "bom.json", b"\xef\xbb\xbf" + delivery([ct_record(1)])))
    assert quarantine.count == 0
    assert len(events) == 1


@pytest.mark.parametrize("content", [b"", b"  \n\n", b'{"Records":[]}', b"[]"])
def test_inputs_without_records_yield_nothing_and_quarantine_nothing(tmp_path: Path, content: bytes) -> None:
    events, quarantine = read_all(write(tmp_path / "empty.json", content))
    assert events == []
    assert quarantine.count == 0


@pytest.mark.parametrize(
    ("event_time", "expected_ms"),
    [
        ("2026-07-28T09:00:00Z", T0_MS),
        ("2026-07-28T09:00:00.123Z", T0_MS + 123),
        ("2026-07-28T09:00:00.123456789Z", T0_MS + 123),
        ("2026-07-28T09:00:00+00:00", T0_MS),
        ("2026-07-28T11:00:00+02:00", T0_MS),
        ("2026-07-28T09:00:00", T0_MS),  # no offset: UTC, as CloudTrail always means
    ],
)
def test_event_time_forms(tmp_path: Path, event_time: str, expected_ms: int) -> None:
    (event,), _ = read_all(write(tmp_path / "t.json", orjson.dumps(ct_record(0, eventTime=event_time))))
    assert event.timestamp_ms == expected_ms


def test_without_required_event_time_records_lacking_one_are_kept(tmp_path: Path) -> None:
    records = [ct_record(1), {"eventName": "NoTime"}, ct_record(2, eventTime="yesterday")]
    events, quarantine = read_all(write(tmp_path / "t.json", delivery(records)), require_event_time=False)
    assert quarantine.count == 0
    assert [event.timestamp_ms for event in events] == [T0_MS + 1000, None, None]


# --- numbers orjson refuses: the standard-library fallback ----------------------------------------------


def test_overflowing_number_keeps_its_text_in_the_message(tmp_path: Path) -> None:
    # orjson rejects 1e309; CloudWatch accepts it (it equals nothing). The message must still say 1e309.
    text = (
        b'{"Records":[{"eventTime":"2026-07-28T09:00:00Z","bytes":1e309,"n":1.5},{"eventTime":"2026-07-28T09:00:01Z"}]}'
    )
    events, quarantine = read_all(write(tmp_path / "big.json", text))
    assert quarantine.count == 0
    assert events[0].message == '{"eventTime":"2026-07-28T09:00:00Z","bytes":1e309,"n":1.5}'
    assert math.isinf(events[0].record["bytes"])
    assert events[1].message == '{"eventTime":"2026-07-28T09:00:01Z"}'


def test_huge_integer_in_fallback_document_is_kept_exactly(tmp_path: Path) -> None:
    digits = "123456789012345678901234567890"
    text = f'[{{"eventTime":"2026-07-28T09:00:00Z","id":{digits},"x":-1e400}}]'
    (event,), _ = read_all(write(tmp_path / "big.json", text))
    assert event.message == f'{{"eventTime":"2026-07-28T09:00:00Z","id":{digits},"x":-1e400}}'
    assert event.record["id"] == int(digits)


def test_fallback_also_applies_per_json_line(tmp_path: Path) -> None:
    lines = [orjson.dumps(ct_record(1)), b'{"eventTime":"2026-07-28T09:00:02Z","v":1E999}']
    events, quarantine = read_all(write(tmp_path / "lines.jsonl", b"\n".join(lines)))
    assert quarantine.count == 0
    assert events[1].message == '{"eventTime":"2026-07-28T09:00:02Z","v":1E999}'
    assert events[1].position == 2


# --- bad input: each kind quarantined with origin and position, and counted -------------------------------


def only_entry(quarantine: Quarantine) -> tuple[str, int | None, str]:
    assert quarantine.count == 1, [entry.describe() for entry in quarantine.entries]
    entry = quarantine.entries[0]
    return entry.origin, entry.position, entry.reason


def test_file_that_is_not_json(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", "this is not JSON\nnor is this\n")
    events, quarantine = read_all(path)
    assert events == []
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_JSON)


def test_truncated_json_document(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.json.gz", delivery([ct_record(1), ct_record(2)])[:-40], gzipped=True)
    events, quarantine = read_all(path)
    assert events == []
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_JSON)
    assert "line 1" in quarantine.entries[0].detail


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(delivery([ct_record(i) for i in range(20)]))
    path = write(tmp_path / "cut.json.gz", data[: len(data) // 2])
    events, quarantine = read_all(path)
    assert events == []
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.BAD_GZIP)
    assert "truncated" in quarantine.entries[0].detail


def test_corrupt_gzip(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(delivery([ct_record(1)])))
    data[-6] ^= 0xFF  # inside the CRC32 trailer
    path = write(tmp_path / "bad-crc.json.gz", bytes(data))
    events, quarantine = read_all(path)
    assert events == []
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.BAD_GZIP)


def test_gzip_with_trailing_garbage(tmp_path: Path) -> None:
    path = write(tmp_path / "tail.json.gz", gzip.compress(delivery([ct_record(1)])) + b"garbage")
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.BAD_GZIP)


def test_record_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.json", delivery([ct_record(1), "just text", None, ct_record(2)]))
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [1, 4]
    assert quarantine.count == 2
    assert [(entry.origin, entry.position, entry.reason) for entry in quarantine.entries] == [
        (str(path), 2, QuarantineReason.NOT_OBJECT),
        (str(path), 3, QuarantineReason.NOT_OBJECT),
    ]
    assert quarantine.by_reason == {QuarantineReason.NOT_OBJECT: 2}


@pytest.mark.parametrize("records", ['{"eventTime": "2026-07-28T09:00:00Z"}', '"x"', "null"])
def test_records_field_that_is_not_an_array_is_not_cloudtrail(tmp_path: Path, records: str) -> None:
    # No CloudTrail record has a top-level "Records" field: this is a broken delivery document, not a record
    # "without eventTime".
    path = write(tmp_path / "odd.json", '{"Records": ' + records + "}")
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_CLOUDTRAIL)
    assert quarantine.entries[0].detail.startswith('"Records" is a JSON ')
    assert "not an array of records" in quarantine.entries[0].detail


def test_records_field_that_is_not_an_array_on_a_json_line(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.jsonl", orjson.dumps(ct_record(1)) + b'\n{"Records": {}}\n')
    events, quarantine = read_all(path)
    assert len(events) == 1
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.NOT_CLOUDTRAIL)


def test_document_that_is_a_scalar(tmp_path: Path) -> None:
    path = write(tmp_path / "number.json", b"42")
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_CLOUDTRAIL)


def test_record_without_event_time(tmp_path: Path) -> None:
    record = ct_record(1)
    del record["eventTime"]
    path = write(tmp_path / "t.json", delivery([ct_record(0), record]))
    events, quarantine = read_all(path)
    assert len(events) == 1
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.MISSING_EVENT_TIME)
    assert quarantine.entries[0].raw_preview is not None
    assert quarantine.entries[0].raw_preview.startswith('{"eventVersion":"1.08"')


@pytest.mark.parametrize("bad_time", ["yesterday", "2026-13-40T00:00:00Z", 1785229200, None, ""])
def test_record_with_unusable_event_time(tmp_path: Path, bad_time: object) -> None:
    path = write(tmp_path / "t.json", delivery([ct_record(1, eventTime=bad_time)]))
    events, quarantine = read_all(path)
    assert events == []
    expected = QuarantineReason.MISSING_EVENT_TIME if bad_time is None else QuarantineReason.BAD_EVENT_TIME
    assert only_entry(quarantine) == (str(path), 1, expected)


def test_message_over_256_kb(tmp_path: Path) -> None:
    base = len(orjson.dumps(ct_record(1, pad="")))
    at_limit = ct_record(1, pad="x" * (MAX_MESSAGE_BYTES - base))
    over_limit = ct_record(2, pad="é" * ((MAX_MESSAGE_BYTES - base) // 2 + 1))  # counted in UTF-8 bytes
    path = write(tmp_path / "big.json.gz", delivery([at_limit, over_limit]), gzipped=True)

    events, quarantine = read_all(path)

    assert len(events[0].message.encode()) == MAX_MESSAGE_BYTES
    assert len(events) == 1
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.TOO_LARGE)


def test_bad_json_lines_are_quarantined_by_line_number(tmp_path: Path) -> None:
    lines = [orjson.dumps(ct_record(1)), b"{not json", b'"a string"', orjson.dumps(ct_record(4)), b"[1, 2"]
    path = write(tmp_path / "lines.jsonl", b"\n".join(lines))
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [1, 4]
    assert [(entry.position, entry.reason) for entry in quarantine.entries] == [
        (2, QuarantineReason.NOT_JSON),
        (3, QuarantineReason.NOT_OBJECT),
        (5, QuarantineReason.NOT_JSON),
    ]
    assert all(entry.origin == str(path) for entry in quarantine.entries)
    assert quarantine.entries[0].raw_preview == "{not json"


def test_bad_first_json_line_is_reported_once_records_appear(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.jsonl", b"garbage\n" + orjson.dumps(ct_record(2)) + b"\n")
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [2]
    assert only_entry(quarantine) == (str(path), 1, QuarantineReason.NOT_JSON)


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = write(tmp_path / "nan.json", b'{"eventTime":"2026-07-28T09:00:00Z","v":NaN}')
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), 1, QuarantineReason.NOT_JSON)
    assert quarantine.entries[0].detail == "NaN or Infinity is not a JSON value"


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
@pytest.mark.parametrize("gzipped", [False, True])
def test_nan_in_one_record_keeps_the_others(tmp_path: Path, constant: bytes, gzipped: bool) -> None:
    bad = b'{"eventTime":"2026-07-28T09:00:02Z","readOnly":' + constant + b"}"
    text = b'{"Records":[' + orjson.dumps(ct_record(1)) + b",\n" + bad + b"," + orjson.dumps(ct_record(3)) + b"]}"
    path = write(tmp_path / "nan.json.gz", text, gzipped=gzipped)
    events, quarantine = read_all(path)
    assert [(event.position, event.record) for event in events] == [(1, ct_record(1)), (3, ct_record(3))]
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.NOT_JSON)
    assert quarantine.entries[0].detail == "NaN or Infinity is not a JSON value"
    assert quarantine.entries[0].raw_preview is not None and constant.decode() in quarantine.entries[0].raw_preview


def test_bad_utf8_byte_in_one_record_keeps_the_others(tmp_path: Path) -> None:
    bad = orjson.dumps(ct_record(2, userAgent="caf\u00e9")).replace("é".encode(), b"\xe9")  # Latin-1 é
    text = delivery([ct_record(1)])[:-2] + b"," + bad + b"," + orjson.dumps(ct_record(3)) + b"]}"
    path = write(tmp_path / "latin1.json", text)
    quarantine_path = tmp_path / "q.jsonl"
    with Quarantine(quarantine_path) as quarantine:
        events = list(read_paths([str(path)], quarantine))
    assert [event.position for event in events] == [1, 3]
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.NOT_JSON)
    offset = text.index(b"\xe9")
    assert quarantine.entries[0].detail.startswith(f"not UTF-8 text (byte 0xe9 at offset {offset} of the input)")
    (line,) = quarantine_path.read_text().splitlines()
    assert base64.b64decode(json.loads(line)["raw_base64"]) == bad  # the record's bytes, exactly


def test_bad_record_on_a_json_line_is_named_by_line_and_index(tmp_path: Path) -> None:
    line = b'{"Records":[' + orjson.dumps(ct_record(1)) + b',{"eventTime":"2026-07-28T09:00:02Z","v":NaN}]}'
    path = write(tmp_path / "lines.jsonl", orjson.dumps(ct_record(0)) + b"\n" + line + b"\n")
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [1, 2]
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.NOT_JSON)
    assert quarantine.entries[0].detail == "record 2 on this line: NaN or Infinity is not a JSON value"


def test_broken_structure_still_refuses_the_whole_document(tmp_path: Path) -> None:
    # Only bad values are recovered from: a syntax error leaves no reliable record boundaries.
    path = write(tmp_path / "broken.json", delivery([ct_record(1), ct_record(2)])[:-3] + b"NaN")
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_JSON)


def test_text_that_utf8_cannot_carry(tmp_path: Path) -> None:
    # A lone surrogate escape is valid JSON text but no UTF-8 message can hold it.
    path = write(tmp_path / "surrogate.json", b'[{"eventTime":"2026-07-28T09:00:00Z","v":"\\ud800"}]')
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), 1, QuarantineReason.NOT_SERIALIZABLE)


def test_invalid_utf8_file(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.json", '[{"eventTime":"2026-07-28T09:00:00Z","v":"caf\xe9"}]'.encode("latin-1"))
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), 1, QuarantineReason.NOT_JSON)
    offset = path.read_bytes().index(b"\xe9")
    assert quarantine.entries[0].detail.startswith(f"not UTF-8 text (byte 0xe9 at offset {offset} of the input)")


def test_invalid_utf8_outside_any_string_refuses_the_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path / "binary.json", b'[{"eventTime":"2026-07-28T09:00:00Z"}, \xff]')
    _, quarantine = read_all(path)
    assert only_entry(quarantine) == (str(path), None, QuarantineReason.NOT_JSON)


def test_bad_input_never_stops_the_run(tmp_path: Path) -> None:
    write(tmp_path / "a.json.gz", b"\x1f\x8bnot really gzip")
    write(tmp_path / "b.json", "not json")
    write(tmp_path / "c.json", delivery([ct_record(1), 7]))
    write(tmp_path / "d.json.gz", delivery([ct_record(2)]), gzipped=True)
    events, quarantine = read_all(tmp_path)
    assert [event.record["eventID"][-1] for event in events] == ["1", "2"]
    assert quarantine.by_reason == {
        QuarantineReason.BAD_GZIP: 1,
        QuarantineReason.NOT_JSON: 1,
        QuarantineReason.NOT_OBJECT: 1,
    }


# --- folders ----------------------------------------------------------------------------------------------


def make_awslogs_tree(root: Path) -> list[Path]:
    """Three delivery files over two days in the AWSLogs layout, plus a digest and hidden files."""
    base = root / "AWSLogs" / "123456789012"
    trail = base / "CloudTrail" / "us-east-1" / "2026" / "07"
    files = [
        write(
            trail / "28" / "123456789012_CloudTrail_us-east-1_20260728T0905Z_b.json.gz",
            delivery([ct_record(2)]),
            gzipped=True,
        ),
        write(
            trail / "28" / "123456789012_CloudTrail_us-east-1_20260728T0900Z_a.json.gz",
            delivery([ct_record(1)]),
            gzipped=True,
        ),
        write(
            trail / "29" / "123456789012_CloudTrail_us-east-1_20260729T0000Z_c.json.gz",
            delivery([ct_record(3), ct_record(4)]),
            gzipped=True,
        ),
    ]
    digest = base / "CloudTrail-Digest" / "us-east-1" / "2026" / "07" / "28"
    write(
        digest / "123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20260728T100000Z.json.gz",
        b'{"digestStartTime":"x"}',
        gzipped=True,
    )
    write(trail / "28" / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(root / ".git" / "objects" / "ab" / "cdef", b"blob")
    return sorted(files)


def test_folder_in_awslogs_layout_is_read_in_sorted_order(tmp_path: Path) -> None:
    files = make_awslogs_tree(tmp_path)
    stats = SourceStats()

    events, quarantine = read_all(tmp_path, stats=stats)

    assert quarantine.count == 0
    assert [event.record["eventID"][-1] for event in events] == ["1", "2", "3", "4"]
    assert [event.origin for event in events] == [str(files[0]), str(files[1]), str(files[2]), str(files[2])]
    assert stats.files_read == 3
    assert stats.files_skipped == 2  # the digest and .DS_Store; .git is not entered
    assert stats.events == 4
    assert stats.bytes_read == sum(path.stat().st_size for path in files)
    assert stats.bytes_decoded == sum(len(gzip.decompress(path.read_bytes())) for path in files)


def test_measure_paths_matches_what_reading_counts(tmp_path: Path) -> None:
    make_awslogs_tree(tmp_path)
    extra = write(tmp_path / "extra.json", delivery([ct_record(9)]))

    totals = measure_paths([str(tmp_path), str(extra), "-"])

    stats = SourceStats()
    read_all(tmp_path, extra, stats=stats)
    assert (totals.files, totals.bytes, totals.skipped) == (stats.files_read, stats.bytes_read, stats.files_skipped)
    assert totals.complete is False  # standard input cannot be sized
    assert measure_paths([str(tmp_path)]).complete is True


def test_explicit_digest_file_is_skipped_and_explicit_hidden_file_is_read(tmp_path: Path) -> None:
    digest = write(tmp_path / "123456789012_CloudTrail-Digest_us-east-1_x.json.gz", b"{}", gzipped=True)
    hidden = write(tmp_path / ".hidden.json", delivery([ct_record(1)]))
    stats = SourceStats()
    events, quarantine = read_all(digest, hidden, stats=stats)
    assert len(events) == 1
    assert quarantine.count == 0
    assert (stats.files_read, stats.files_skipped) == (1, 1)


def test_symbolic_link_loop_in_folder_terminates(tmp_path: Path) -> None:
    write(tmp_path / "logs" / "a.json", delivery([ct_record(1)]))
    os.symlink(tmp_path / "logs", tmp_path / "logs" / "loop")
    events, _ = read_all(tmp_path / "logs")
    assert len(events) == 1


def test_paths_are_read_in_the_order_given(tmp_path: Path) -> None:
    second = write(tmp_path / "a.json", delivery([ct_record(2)]))
    first = write(tmp_path / "b.json", delivery([ct_record(1)]))
    events, _ = read_all(first, second)
    assert [event.origin for event in events] == [str(first), str(second)]


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_unreadable_file_inside_a_folder_is_quarantined(tmp_path: Path) -> None:
    write(tmp_path / "ok.json", delivery([ct_record(1)]))
    locked = write(tmp_path / "locked.json", delivery([ct_record(2)]))
    locked.chmod(0)
    try:
        events, quarantine = read_all(tmp_path)
    finally:
        locked.chmod(0o600)
    assert len(events) == 1
    assert only_entry(quarantine) == (str(locked), None, QuarantineReason.UNREADABLE)


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_unreadable_explicit_file_is_a_source_error(tmp_path: Path) -> None:
    locked = write(tmp_path / "locked.json", delivery([ct_record(1)]))
    locked.chmod(0)
    try:
        with pytest.raises(SourceError, match=r"locked\.json"):
            read_paths([str(locked)], Quarantine())
    finally:
        locked.chmod(0o600)


def test_missing_path_is_a_source_error_before_anything_is_read(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", delivery([ct_record(1)]))
    missing = tmp_path / "no" / "such.json.gz"
    with pytest.raises(SourceError, match=r"such\.json\.gz: no such file or directory"):
        read_paths([str(good), str(missing)], Quarantine())  # raised by the call, not on iteration


def test_missing_path_error_is_a_value_error() -> None:
    assert issubclass(SourceError, ValueError)


# --- standard input --------------------------------------------------------------------------------------


def test_stdin_gzip_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(delivery([ct_record(1), ct_record(2)]))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    stats = SourceStats()
    events, quarantine = read_all("-", stats=stats)
    assert quarantine.count == 0
    assert [(event.origin, event.position) for event in events] == [("<stdin>", 1), ("<stdin>", 2)]
    assert (stats.files_read, stats.bytes_read) == (1, len(data))


def test_stdin_json_lines_from_a_bare_binary_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.BytesIO(orjson.dumps(ct_record(1)) + b"\n" + orjson.dumps(ct_record(2))))
    events, _ = read_all("-")
    assert [event.position for event in events] == [1, 2]


def test_bad_stdin_keeps_what_was_read_in_the_quarantine_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Standard input cannot be read again, so the quarantine file keeps (the head of) it.
    monkeypatch.setattr(sys, "stdin", io.BytesIO(b"\x1f\x8b\x08 not gzip after all"))
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        events = list(read_paths(["-"], quarantine))
    assert events == []
    (line,) = (tmp_path / "q.jsonl").read_text().splitlines()
    entry = json.loads(line)
    assert (entry["origin"], entry["position"], entry["reason"]) == ("<stdin>", None, "invalid gzip")
    assert "raw_base64" in entry


def test_stdin_through_a_real_pipe(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from trailguard.sources import Quarantine, read_paths\n"
        "q = Quarantine()\n"
        "for e in read_paths(['-'], q): print(e.origin, e.position, e.timestamp_ms, e.message)\n"
        "print('quarantined', q.count)\n"
    )
    payload = gzip.compress(delivery([ct_record(1), "bad"]))
    result = subprocess.run([sys.executable, "-c", script], input=payload, capture_output=True, check=True)
    lines = result.stdout.decode().splitlines()
    assert lines == [f"<stdin> 1 {T0_MS + 1000} {orjson.dumps(ct_record(1)).decode()}", "quarantined 1"]


def test_dangling_link_inside_a_folder_is_quarantined(tmp_path: Path) -> None:
    # Works as root too, unlike a permission test: the walk lists it, opening it fails.
    write(tmp_path / "ok.json", delivery([ct_record(1)]))
    os.symlink(tmp_path / "gone.json", tmp_path / "link.json")
    events, quarantine = read_all(tmp_path)
    assert len(events) == 1
    assert only_entry(quarantine) == (str(tmp_path / "link.json"), None, QuarantineReason.UNREADABLE)


def test_quarantine_file_is_written_as_entries_arrive(tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", delivery([ct_record(1), {"eventName": "NoTime"}, ct_record(3)]))
    quarantine_path = tmp_path / "out" / "bad.jsonl"
    with Quarantine(quarantine_path) as quarantine:
        events = read_paths([str(path)], quarantine)
        next(events)
        next(events)  # the bad record was passed on the way to the third
        # Read while the quarantine is still open: each entry is flushed as it is added.
        (line,) = quarantine_path.read_text().splitlines()
    assert json.loads(line) == {
        "origin": str(path),
        "position": 2,
        "reason": "record has no eventTime",
        "detail": "",
        "raw": '{"eventName":"NoTime"}',
    }


# --- event times outside the supported range ----------------------------------------------------------------


@pytest.mark.parametrize(
    "event_time", ["9999-12-31T23:59:59Z", "9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]
)
def test_event_time_outside_the_supported_range_is_quarantined(tmp_path: Path, event_time: str) -> None:
    path = write(tmp_path / "t.json", delivery([ct_record(1), ct_record(2, eventTime=event_time)]))
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [1]
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.EVENT_TIME_OUT_OF_RANGE)
    assert quarantine.entries[0].detail == (
        f'eventTime is "{event_time}"; supported: from 1970-01-01T00:00:00Z up to (not including) 9999-01-01T00:00:00Z'
    )


def test_event_time_at_the_edges_of_the_range_is_kept(tmp_path: Path) -> None:
    edges = [ct_record(1, eventTime="1970-01-01T00:00:00Z"), ct_record(2, eventTime="9998-12-31T23:59:59.999Z")]
    events, quarantine = read_all(write(tmp_path / "t.json", delivery(edges)))
    assert quarantine.count == 0
    assert [event.timestamp_ms for event in events] == [0, 253_370_764_799_999]


def test_event_time_out_of_range_is_kept_when_times_are_not_required(tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", delivery([ct_record(1, eventTime="9999-12-31T23:59:59Z")]))
    (event,), quarantine = read_all(path, require_event_time=False)
    assert quarantine.count == 0 and event.timestamp_ms is None


# --- what is never read: non-regular files in folders, the quarantine file, nothing at all -----------------


def test_fifo_inside_a_folder_is_skipped_counted_and_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.json", delivery([ct_record(1)]))
    os.mkfifo(tmp_path / "b.fifo")  # opening it to read would wait for a writer forever
    write(tmp_path / "c.json", delivery([ct_record(3)]))
    stats = SourceStats()
    events, quarantine = read_all(tmp_path, stats=stats)
    assert [event.position for event in events] == [1, 1] and quarantine.count == 0
    assert (stats.files_read, stats.files_skipped, stats.files_not_regular) == (2, 1, 1)
    assert stats.warnings == [
        f"{tmp_path / 'b.fifo'}: skipped: a FIFO, not a regular file (only those are read in folders)"
    ]
    assert measure_paths([str(tmp_path)]).skipped == 1


def test_socket_and_link_to_a_fifo_inside_a_folder_are_skipped(tmp_path: Path) -> None:
    import socket

    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", tmp_path / "link-to-pipe.json")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock"))
        stats = SourceStats()
        events, quarantine = read_all(tmp_path, stats=stats)
    finally:
        server.close()
    assert events == [] and quarantine.count == 0
    assert stats.files_not_regular == 3
    assert any("a socket" in warning for warning in stats.warnings)


def test_fifo_named_explicitly_is_read(tmp_path: Path) -> None:
    # As bash's <(zcat ...) passes a pipe: a FIFO the user names is an input.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    payload = gzip.compress(delivery([ct_record(1), ct_record(2)]))
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write({payload!r})"])
    try:
        events, quarantine = read_all(fifo)
    finally:
        writer.wait(timeout=30)
    assert [event.position for event in events] == [1, 2] and quarantine.count == 0


def test_regular_file_replaced_by_a_fifo_after_the_listing_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "a.json", delivery([ct_record(1)]))
    swapped = write(tmp_path / "b.json", delivery([ct_record(2)]))
    stats = SourceStats()
    quarantine = Quarantine()
    events = read_paths([str(tmp_path)], quarantine, stats=stats)
    assert next(events).position == 1  # the folder has been listed, b.json seen as a regular file
    swapped.unlink()
    os.mkfifo(swapped)
    assert list(events) == []  # not blocked waiting for a writer
    assert stats.files_not_regular == 1 and quarantine.count == 0


def test_quarantine_file_inside_a_replayed_folder_is_not_read(tmp_path: Path) -> None:
    write(tmp_path / "a.json", delivery([ct_record(1), {"eventName": "NoTime"}]))
    write(tmp_path / "trailguard-quarantine.jsonl", b'{"origin":"x","position":1,"reason":"r"}\n')  # an earlier run
    stats = SourceStats()
    with Quarantine(tmp_path / "trailguard-quarantine.jsonl") as quarantine:
        events = list(read_paths([str(tmp_path)], quarantine, stats=stats))
    assert len(events) == 1
    assert only_entry(quarantine) == (str(tmp_path / "a.json"), 2, QuarantineReason.MISSING_EVENT_TIME)
    assert stats.files_skipped == 1 and stats.files_read == 1


def test_quarantine_file_created_during_the_walk_is_not_read(tmp_path: Path) -> None:
    write(tmp_path / "a.json", delivery([{"eventName": "NoTime"}]))  # sets something aside first
    write(tmp_path / "z.json", delivery([ct_record(1)]))
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        events = list(read_paths([str(tmp_path)], quarantine))
    assert len(events) == 1 and quarantine.count == 1  # q.jsonl (sorted between) was listed, then skipped


@pytest.mark.parametrize("how", ["same path", "hard link", "symbolic link"])
def test_input_that_is_the_quarantine_file_is_refused_before_anything_is_read(tmp_path: Path, how: str) -> None:
    victim = write(tmp_path / "victim.json", delivery([ct_record(1), {"eventName": "NoTime"}]))
    before = victim.read_bytes()
    quarantine_path = victim
    if how == "hard link":
        quarantine_path = tmp_path / "hard.jsonl"
        os.link(victim, quarantine_path)
    elif how == "symbolic link":
        quarantine_path = tmp_path / "soft.jsonl"
        os.symlink(victim, quarantine_path)
    with Quarantine(quarantine_path) as quarantine, pytest.raises(SourceError, match="is the quarantine file"):
        read_paths([str(victim)], quarantine)
    assert victim.read_bytes() == before


def test_standard_input_that_is_the_quarantine_file_is_refused(tmp_path: Path) -> None:
    quarantine_path = write(tmp_path / "q.jsonl", delivery([ct_record(1)]))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from trailguard.sources import Quarantine, SourceError, read_paths\n"
        f"q = Quarantine(Path({str(quarantine_path)!r}))\n"
        "try:\n"
        "    read_paths(['-'], q)\n"
        "except SourceError as error:\n"
        "    print(error)\n"
    )
    with quarantine_path.open("rb") as stdin:
        result = subprocess.run([sys.executable, "-c", script], stdin=stdin, capture_output=True, text=True, check=True)
    assert result.stdout.startswith("-: standard input is the quarantine file")


def test_empty_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="empty path"):
        read_paths([""], Quarantine())


def test_closed_standard_input_is_a_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when file descriptor 0 is closed
    with pytest.raises(SourceError, match="standard input is closed"):
        read_paths(["-"], Quarantine())


def test_integer_of_thousands_of_digits_sets_aside_only_its_record(tmp_path: Path) -> None:
    # Python's int() refuses over 4,300 digits; the lenient parser keeps the text, the pattern engine cannot.
    huge = b'{"eventTime":"2026-07-28T09:00:01Z","n":' + b"9" * 5000 + b"}"
    path = write(tmp_path / "big.json", b'{"Records":[' + orjson.dumps(ct_record(0)) + b"," + huge + b"]}")
    events, quarantine = read_all(path)
    assert [event.position for event in events] == [1]
    assert only_entry(quarantine) == (str(path), 2, QuarantineReason.NUMBER_TOO_LONG)
