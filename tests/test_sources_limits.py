"""The caps on untrusted input (trailguard.sources.limits): what exceeds one is quarantined with the cap in its
detail, the rest of the input is read as far as it can be, and memory stays bounded (measured in
tests/hostile/; here, what is kept and what is set aside)."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailguard.sources import Quarantine, QuarantineReason, SourceEvent, SourceStats, read_paths
from trailguard.sources.decode import decode_input
from trailguard.sources.limits import MAX_DOCUMENT_BYTES, MAX_QUARANTINE_LINES_PER_INPUT

MIB = 2**20


def record(number: int, pad: int = 0) -> dict[str, Any]:
    return {
        "eventTime": f"2026-07-28T09:{number // 60 % 60:02d}:{number % 60:02d}Z",
        "eventName": "DescribeInstances",
        "eventID": f"id-{number}",
        "pad": "p" * pad,
    }


def read_bytes(data: bytes, origin: str = "input", **options: Any) -> tuple[list[SourceEvent], Quarantine]:
    quarantine = Quarantine()
    events = list(decode_input(io.BytesIO(data), origin, quarantine, **options))
    return events, quarantine


def entries(quarantine: Quarantine) -> list[tuple[int | None, str]]:
    return [(entry.position, entry.reason) for entry in quarantine.entries]


def json_lines(count: int, pad: int = 0) -> bytes:
    return b"".join(orjson.dumps(record(number, pad)) + b"\n" for number in range(1, count + 1))


# --- inputs over the document cap are read as JSON lines, line by line -------------------------------------


@pytest.fixture(scope="module")
def big_json_lines() -> bytes:
    """JSON lines just over MAX_DOCUMENT_BYTES (about 33 MiB of records of 1 KiB)."""
    data = json_lines(MAX_DOCUMENT_BYTES // 1000 + 1000, pad=1000)
    assert len(data) > MAX_DOCUMENT_BYTES
    return data


@pytest.mark.parametrize("gzipped", [False, True])
def test_json_lines_over_the_document_cap_are_all_read(big_json_lines: bytes, gzipped: bool) -> None:
    data = gzip.compress(big_json_lines, 1) if gzipped else big_json_lines
    stats = SourceStats()
    events, quarantine = read_bytes(data, stats=stats)
    assert quarantine.count == 0
    assert len(events) == big_json_lines.count(b"\n")
    assert [event.position for event in events[:3]] == [1, 2, 3]
    assert events[-1].position == len(events) and events[-1].record == record(len(events), 1000)
    assert (stats.bytes_read, stats.bytes_decoded) == (len(data), len(big_json_lines))


def test_long_line_in_a_large_input_is_skipped_with_its_line_number(big_json_lines: bytes) -> None:
    giant = b'{"eventTime":"2026-07-28T09:00:00Z","pad":"' + b"x" * MAX_DOCUMENT_BYTES + b'"}\n'
    data = json_lines(2) + giant + json_lines(1) + big_json_lines
    events, quarantine = read_bytes(data)
    assert entries(quarantine) == [(3, QuarantineReason.LINE_TOO_LONG)]
    assert quarantine.entries[0].detail.startswith("longer than 32 MiB")
    assert [event.position for event in events[:4]] == [1, 2, 4, 5]


def test_large_input_that_is_not_json_lines_is_refused_whole_without_reading_it_all() -> None:
    pretty = json.dumps({"Records": [record(n, 1000) for n in range(34_000)]}, indent=1).encode()
    assert len(pretty) > MAX_DOCUMENT_BYTES
    stats = SourceStats()
    events, quarantine = read_bytes(pretty, stats=stats)
    assert events == []
    assert entries(quarantine) == [(None, QuarantineReason.DOCUMENT_TOO_LARGE)]
    assert "must be JSON lines" in quarantine.entries[0].detail
    assert "its first line is not JSON" in quarantine.entries[0].detail
    assert stats.bytes_decoded <= MAX_DOCUMENT_BYTES + 2 * MIB  # the rest was never read


def test_nul_bytes_over_the_cap_are_refused_after_reading_only_the_cap() -> None:
    # The 1 GB file of NUL bytes, at 48 MiB: one "line" longer than the cap.
    stats = SourceStats()
    events, quarantine = read_bytes(b"\x00" * (48 * MIB), stats=stats)
    assert events == []
    assert entries(quarantine) == [(None, QuarantineReason.DOCUMENT_TOO_LARGE)]
    assert "its first line is longer than 32 MiB" in quarantine.entries[0].detail


def test_damaged_gzip_late_in_a_large_input_keeps_the_records_before(big_json_lines: bytes) -> None:
    data = bytearray(gzip.compress(big_json_lines, 1))
    del data[-(len(data) // 50) :]  # truncated: the last 2% of the stored bytes are missing, past the cap
    events, quarantine = read_bytes(bytes(data))
    assert len(events) > 0
    (entry,) = quarantine.entries
    assert (entry.reason, entry.position) == (QuarantineReason.BAD_GZIP, len(events) + 1)
    assert entry.detail == "truncated gzip data (unexpected end of input); the rest was not read"


# --- gzip bombs -------------------------------------------------------------------------------------------


def gzip_of_zeros(size: int, prefix: bytes = b"") -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\x00" * MIB
    pieces = [deflater.compress(prefix)]
    pieces.extend(deflater.compress(block) for _ in range(size // MIB))
    return b"".join(pieces) + deflater.flush()


def test_gzip_bomb_is_refused_whole() -> None:
    bomb = gzip_of_zeros(256 * MIB)  # about 256 KB stored
    stats = SourceStats()
    events, quarantine = read_bytes(bomb, stats=stats)
    assert events == []
    assert entries(quarantine) == [(None, QuarantineReason.GZIP_BOMB)]
    assert "decompression bomb" in quarantine.entries[0].detail
    assert stats.bytes_decoded <= MAX_DOCUMENT_BYTES + 2 * MIB


def test_gzip_bomb_of_valid_json_lines_is_refused_whole() -> None:
    # Valid but endlessly repeated records: no CloudTrail file compresses like this, and reading it would
    # take time out of all proportion to its stored size.
    line = orjson.dumps(record(1)) + b"\n"
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = line * (MIB // len(line))
    bomb = b"".join(deflater.compress(block) for _ in range(100)) + deflater.flush()
    events, quarantine = read_bytes(bomb)
    assert events == []
    assert entries(quarantine) == [(None, QuarantineReason.GZIP_BOMB)]


def test_stdin_gzip_bomb_keeps_the_head_of_what_was_stored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bomb = gzip_of_zeros(128 * MIB)
    monkeypatch.setattr("sys.stdin", io.BytesIO(bomb))
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        assert list(read_paths(["-"], quarantine)) == []
    (line,) = (tmp_path / "q.jsonl").read_text().splitlines()
    assert json.loads(line)["reason"] == "gzip bomb" and "raw_base64" in json.loads(line)


# --- dense JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [b"[],", b"{},", b'{"a":[]},'])
def test_text_too_dense_in_objects_and_arrays_is_refused_before_parsing(unit: bytes) -> None:
    data = b"[" + unit * (9 * MIB // len(unit)) + b"[]]"
    events, quarantine = read_bytes(data)
    assert events == []
    assert entries(quarantine) == [(None, QuarantineReason.TOO_DENSE)]
    assert "more than one per 16 bytes" in quarantine.entries[0].detail


def test_small_dense_text_is_parsed_as_usual() -> None:
    events, quarantine = read_bytes(b"[{}, []]")
    assert events == [] and [entry.reason for entry in quarantine.entries] == [
        QuarantineReason.MISSING_EVENT_TIME,
        QuarantineReason.NOT_OBJECT,
    ]


# --- many tiny lines ----------------------------------------------------------------------------------------


def test_hundreds_of_thousands_of_lines_give_the_same_results_as_a_few() -> None:
    # Over 200,000 non-blank lines, later lines are read again one at a time rather than all held at once.
    good = orjson.dumps(record(7))
    lines = [good if number % 1000 == 0 else b"0" for number in range(1, 205_001)]
    events, quarantine = read_bytes(b"\n".join(lines))
    assert [event.position for event in events] == list(range(1000, 205_001, 1000))
    assert quarantine.count == 205_000 - 205
    assert quarantine.by_reason == {QuarantineReason.NOT_OBJECT: 205_000 - 205}
    assert [entry.position for entry in quarantine.entries[:3]] == [1, 2, 3]


# --- the quarantine file: at most so many lines per input ------------------------------------------------------


def test_quarantine_file_keeps_at_most_so_many_lines_per_input_and_counts_the_rest(tmp_path: Path) -> None:
    bad = b"\n".join([b"0"] * (MAX_QUARANTINE_LINES_PER_INPUT + 500))
    first = tmp_path / "a.jsonl"
    first.write_bytes(bad)
    second = tmp_path / "b.json"
    second.write_bytes(b'[{"eventName": "NoTime"}]')
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        list(read_paths([str(first), str(second)], quarantine))
    assert quarantine.count == MAX_QUARANTINE_LINES_PER_INPUT + 501
    assert quarantine.unwritten == 500
    lines = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert len(lines) == MAX_QUARANTINE_LINES_PER_INPUT + 2
    assert lines[-2]["origin"] == str(second)
    assert lines[-1] == {
        "origin": str(first),
        "position": None,
        "reason": "entries not written",
        "detail": "500 more entries from this input were counted but not written (at most 10,000 are written "
        "per input)",
        "raw": None,
    }


class EndlessZeros:
    """What /dev/zero gives: a stream that never ends and never has a newline."""

    def __init__(self) -> None:
        self.given = 0

    def read(self, size: int) -> bytes:
        self.given += size
        return b"\x00" * size


def test_endless_input_without_newlines_is_refused_after_the_cap() -> None:
    stream = EndlessZeros()
    quarantine = Quarantine()
    assert list(decode_input(stream, "/dev/zero", quarantine)) == []
    assert entries(quarantine) == [(None, QuarantineReason.DOCUMENT_TOO_LARGE)]
    assert stream.given <= MAX_DOCUMENT_BYTES + 4 * MIB
