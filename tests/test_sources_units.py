"""Smaller parts of the sources: event times, the quarantine, gzip members, and properties over any records."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailguard.pattern.event import parse_json_object
from trailguard.sources import Quarantine, QuarantineReason, read_paths
from trailguard.sources.event_time import LATEST_EVENT_TIME_MS, parse_event_time, parse_iso_time
from trailguard.sources.inflate import GzipBombError, GzipError, InputReader
from trailguard.sources.limits import MAX_DOCUMENT_BYTES

# --- event times ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        ("2021-07-29T12:53:34Z", 1_627_563_214_000),
        ("2021-07-29T12:53:34.5Z", 1_627_563_214_500),
        ("2021-07-29T12:53:34.000999Z", 1_627_563_214_000),  # truncated to the millisecond, not rounded
        ("2021-07-29T14:53:34+02:00", 1_627_563_214_000),
        ("2021-07-29T12:53:34-00:00", 1_627_563_214_000),
    ],
)
def test_event_time_values(text: str, expected: int) -> None:
    assert parse_iso_time(text) == expected
    assert parse_event_time(text) == (expected if expected >= 0 else None)


@pytest.mark.parametrize("value", [None, 1627563214, 1.5, "", "now", "2021-02-30T00:00:00Z", "12:53:34", ["x"], True])
def test_unusable_event_times(value: object) -> None:
    assert parse_event_time(value) is None


@pytest.mark.parametrize(
    ("text", "supported"),
    [
        ("0001-01-01T00:00:00Z", False),
        ("1969-12-31T23:59:59.999Z", False),
        ("1970-01-01T00:00:00Z", True),
        ("9998-12-31T23:59:59.999Z", True),
        ("9999-01-01T00:00:00Z", False),
        ("9999-12-31T23:59:59Z", False),
        ("9999-12-31T23:59:59-05:00", False),  # a moment in year 10000
        ("0001-01-01T00:00:00+05:00", False),  # a moment in year 0
    ],
)
def test_supported_event_time_range(text: str, supported: bool) -> None:
    assert parse_iso_time(text) is not None
    assert (parse_event_time(text) is not None) is supported


def test_latest_event_time_is_9999_01_01() -> None:
    assert parse_iso_time("9999-01-01T00:00:00Z") == LATEST_EVENT_TIME_MS


# --- the quarantine -------------------------------------------------------------------------------------


def test_quarantine_counts_everything_but_keeps_only_the_first_entries() -> None:
    quarantine = Quarantine(keep=2)
    for number in range(5):
        quarantine.add("f.json", number + 1, QuarantineReason.NOT_OBJECT, b"1")
    quarantine.add("g.json", None, QuarantineReason.BAD_GZIP, None, "truncated")
    assert quarantine.count == 6
    assert quarantine.by_reason == {"record is not a JSON object": 5, "invalid gzip": 1}
    assert [entry.position for entry in quarantine.entries] == [1, 2]


def test_quarantine_entry_describes_itself_like_a_compiler_message() -> None:
    quarantine = Quarantine()
    quarantine.add("a.json.gz", 3, QuarantineReason.MISSING_EVENT_TIME, "{}")
    quarantine.add("b.json", None, QuarantineReason.NOT_JSON, None, "unexpected character: line 1 column 1 (char 0)")
    assert [entry.describe() for entry in quarantine.entries] == [
        "a.json.gz:3: record has no eventTime",
        "b.json: not valid JSON: unexpected character: line 1 column 1 (char 0)",
    ]


def test_quarantine_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "q" / "bad.jsonl"
    path.parent.mkdir()
    path.write_text("left over from an earlier run\n")
    with Quarantine(path) as quarantine:
        quarantine.add("a", 1, QuarantineReason.NOT_JSON, "plain text")
        quarantine.add("b", 2, QuarantineReason.NOT_JSON, b"\xff\xfe binary")
        quarantine.add("c", None, QuarantineReason.BAD_GZIP, None, "truncated")
        quarantine.add("d", 4, QuarantineReason.NOT_JSON, b"caf\xc3\xa9")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {"origin": "a", "position": 1, "reason": "not valid JSON", "detail": "", "raw": "plain text"},
        {"origin": "b", "position": 2, "reason": "not valid JSON", "detail": "", "raw_base64": "//4gYmluYXJ5"},
        {"origin": "c", "position": None, "reason": "invalid gzip", "detail": "truncated", "raw": None},
        {"origin": "d", "position": 4, "reason": "not valid JSON", "detail": "", "raw": "café"},
    ]


def test_quarantine_preview_is_short_but_the_file_keeps_everything(tmp_path: Path) -> None:
    raw = "x" * 100_000
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        quarantine.add("a", 1, QuarantineReason.TOO_LARGE, raw)
    preview = quarantine.entries[0].raw_preview
    assert preview is not None
    assert len(preview) <= 301
    assert preview.endswith("…")
    assert json.loads((tmp_path / "q.jsonl").read_text())["raw"] == raw


# --- gzip ----------------------------------------------------------------------------------------------------


def gunzip(data: bytes, piece: int = 1 << 30) -> bytes:
    reader = InputReader(io.BytesIO(data))
    pieces = []
    while chunk := reader.read(piece):
        assert len(chunk) <= piece
        pieces.append(chunk)
    return b"".join(pieces)


def test_gunzip_passes_other_bytes_through() -> None:
    assert gunzip(b'{"Records":[]}') == b'{"Records":[]}'


@pytest.mark.parametrize("piece", [1, 3, 1 << 20])
def test_gunzip_members_and_zero_padding(piece: int) -> None:
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd") + b"\x00" * 512, piece) == b"abcd"


def test_gunzip_empty_member() -> None:
    assert gunzip(gzip.compress(b"")) == b""


@pytest.mark.parametrize("damage", ["truncate", "flip", "crc", "trailing", "zeros then garbage"])
def test_gunzip_damage(damage: str) -> None:
    data = bytearray(gzip.compress(b"x" * 10_000))
    if damage == "truncate":
        del data[20:]
    elif damage == "flip":
        data[12] ^= 0x55
    elif damage == "crc":
        data[-8] ^= 0x01
    elif damage == "trailing":
        data += b"garbage"
    else:
        data += b"\x00" * 100 + b"x"
    with pytest.raises(GzipError) as raised:
        gunzip(bytes(data))
    assert not isinstance(raised.value, GzipBombError)
    if damage == "trailing":
        assert str(raised.value) == "7 bytes of trailing data after the gzip stream"


def test_reading_counts_stored_and_decoded_bytes() -> None:
    data = gzip.compress(b"y" * 100_000)
    reader = InputReader(io.BytesIO(data))
    assert reader.read(10) == b"y" * 10
    assert (reader.stored, reader.decoded) == (len(data), 10)


def test_gzip_bomb_is_stopped_once_past_the_document_cap() -> None:
    inflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\x00" * (1 << 20)
    bomb = b"".join(inflater.compress(zeros) for _ in range(64)) + inflater.flush()  # 64 MiB in ~64 KB
    reader = InputReader(io.BytesIO(bomb))
    assert len(reader.read(MAX_DOCUMENT_BYTES)) == MAX_DOCUMENT_BYTES  # up to the cap, any ratio is fine
    with pytest.raises(GzipBombError, match="decompression bomb"):
        reader.read(1)


# --- properties over arbitrary records -------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
records = st.lists(
    st.builds(
        lambda fields, second: {"eventTime": f"2026-07-28T09:00:{second:02d}Z", **fields},
        # "Records" is left out: {"Records": [...]} is CloudTrail's wrapper, not a record.
        st.dictionaries(
            st.text(max_size=8).filter(lambda key: key not in ("eventTime", "Records")), json_values, max_size=5
        ),
        st.integers(0, 59),
    ),
    min_size=1,
    max_size=5,
)

SHAPES = {
    "delivery.json.gz": lambda rs: gzip.compress(json.dumps({"Records": rs}).encode()),
    "array.json": lambda rs: json.dumps(rs, indent=2).encode(),
    "lines.jsonl": lambda rs: "\n".join(json.dumps(r) for r in rs).encode(),
    "concatenated.json": lambda rs: "".join(json.dumps(r, indent=1) for r in rs).encode(),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records)
def test_every_shape_gives_the_same_events_with_exact_messages(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    expected = [json.dumps(record, separators=(",", ":"), ensure_ascii=False) for record in records]
    for name, write in SHAPES.items():
        path = tmp_path / name
        path.write_bytes(write(records))
        quarantine = Quarantine()
        events = list(read_paths([str(path)], quarantine))
        assert quarantine.count == 0, (name, [entry.describe() for entry in quarantine.entries])
        # Same keys in the same order and the same values; float text may differ only in spelling.
        assert [
            json.dumps(json.loads(event.message), separators=(",", ":"), ensure_ascii=False) for event in events
        ] == expected, name
        assert [event.record for event in events] == [orjson.loads(orjson.dumps(record)) for record in records]


fragments = st.sampled_from(
    [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\n", b" ", b'"Records"', b'"eventTime"', b'"2026-07-28T09:00:00Z"',
     b"1e309", b"-0", b"null", b"NaN", b"\\ud800", b"\xff", b"\x1f\x8b", b"\xef\xbb\xbf"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(fragments | st.binary(max_size=8), max_size=40), gzipped=st.booleans())
def test_no_input_stops_the_run(tmp_path: Path, pieces: list[bytes], gzipped: bool) -> None:
    data = b"".join(pieces)
    path = tmp_path / "fuzz.json"
    path.write_bytes(gzip.compress(data) if gzipped else data)
    quarantine = Quarantine()
    for event in read_paths([str(path)], quarantine, require_event_time=False):
        assert parse_json_object(event.message) == event.record  # one JSON object, and the record agrees
