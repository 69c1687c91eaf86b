"""Hostile inputs, generated: CloudTrail-shaped records, damaged gzip, bombs, malformed and extreme JSON.

Everything is made from code and a seed: no data file is stored, and big inputs are built quickly (a 2 GB
gzip bomb is one compressed megabyte of zeros repeated, with the CRC of the whole).
"""

from __future__ import annotations

import gzip
import json
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
NOT_SERIALIZABLE = "record cannot be written as a CloudWatch Logs message"
FAILED_LOGIN = {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"}


def record(number: int, **fields: Any) -> dict[str, Any]:
    """A CloudTrail-shaped failed console sign-in (the CIS 4.6 monitor matches it); distinct per number."""
    minute, second = divmod(number % 3600, 60)
    base: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": "123456789012", "userName": f"user{number % 7}"},
        "eventTime": f"2026-11-20T09:{minute:02d}:{second:02d}Z",
        "eventSource": "signin.amazonaws.com",
        **FAILED_LOGIN,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
    }
    base.update(fields)
    return base


def delivery(records: list[Any]) -> bytes:
    """CloudTrail's S3 delivery form."""
    return json.dumps({"Records": records}, separators=(",", ":")).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, 6, mtime=0)


# ---------------------------------------------------------------- damaged gzip


def gzip_variants() -> dict[str, tuple[bytes, int]]:
    """Damaged and odd gzip files made from one valid delivery file: name -> (bytes, replay's exit status)."""
    valid = gz(delivery([record(n) for n in range(40)]))
    other = gz(delivery([record(n) for n in range(40, 50)]))
    middle = len(valid) // 2
    flipped = bytearray(valid)
    flipped[middle] ^= 0xFF
    bad_crc = bytearray(valid)
    bad_crc[-8] ^= 0x01
    bad_size = bytearray(valid)
    bad_size[-1] ^= 0x01
    bad_header = bytearray(valid)
    bad_header[2] = 7  # compression method: not deflate
    return {
        "valid": (valid, 0),
        "truncated in the middle": (valid[:middle], 2),
        "truncated before the trailer": (valid[:-4], 2),
        "header only": (valid[:10], 2),
        "magic only": (valid[:2], 2),
        "corrupt deflate data": (bytes(flipped), 2),
        "wrong CRC": (bytes(bad_crc), 2),
        "wrong length": (bytes(bad_size), 2),
        "unknown method": (bytes(bad_header), 2),
        "trailing garbage": (valid + b"garbage after the stream", 2),
        "zero padding": (valid + b"\x00" * 4096, 0),
        "two members": (valid + other, 0),
        "second member corrupt": (valid + other[: len(other) // 2], 2),
        "empty member": (gz(b""), 0),
        "gzip of gzip": (gz(valid), 2),
        "member then zeros then garbage": (valid + b"\x00" * 10 + b"x", 2),
    }


def zero_bomb(size: int) -> bytes:
    """A gzip file that inflates to ``size`` bytes of zeros (a multiple of 1 MiB): one megabyte compressed
    with a full flush gives the same bytes every time, so it is compressed once and repeated."""
    zeros = b"\x00" * MIB
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    final_empty_block = b"\x03\x00"
    trailer = struct.pack("<II", crc, size % 2**32)
    return header + block * (size // MIB) + final_empty_block + trailer


def json_lines_bomb(size: int) -> bytes:
    """Valid CloudTrail JSON lines, the same record over and over, inflating about 1,000 times."""
    line = json.dumps(record(1), separators=(",", ":")).encode() + b"\n"
    block = line * (MIB // len(line))
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(deflater.compress(block) for _ in range(size // MIB)) + deflater.flush()


# ---------------------------------------------------------------- malformed and extreme JSON


def json_variants() -> dict[str, tuple[bytes, int, set[str] | None]]:
    """Malformed, odd and extreme JSON: name -> (bytes, exit status, the quarantine reasons expected)."""
    good = json.dumps(record(1), separators=(",", ":")).encode()
    body = good[:-1]  # the good record, open for one more field

    def one_bad(field: bytes) -> bytes:
        return b'{"Records":[' + good + b"," + body + b"," + field + b"}]}"

    return {
        "deeply nested arrays": (b"[" * 200_000 + b"]" * 200_000, 2, {"not valid JSON"}),
        "deeply nested objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 2, {"not valid JSON"}),
        "a deeply nested record among good ones": (one_bad(b'"n":' + b"[" * 3000 + b"]" * 3000), 2, {"not valid JSON"}),
        "a 100,000-digit integer": (one_bad(b'"n":' + b"9" * 100_000), 0, {"number too long"}),
        "an overflowing exponent": (one_bad(b'"n":1e999999999'), 0, None),
        "NaN in one record": (one_bad(b'"n":NaN'), 0, {"not valid JSON"}),
        "Infinity in one record": (one_bad(b'"n":-Infinity'), 0, {"not valid JSON"}),
        "a Latin-1 byte in one record": (one_bad(b'"n":"caf\xe9"'), 0, {"not valid JSON"}),
        "a lone surrogate escape": (one_bad(b'"n":"\\ud800"'), 0, {NOT_SERIALIZABLE}),
        "raw control characters": (one_bad(b'"n":"a\x01\x02b"'), 2, {"not valid JSON"}),
        "duplicate keys": (one_bad(b'"eventName":"Other","eventName":"ConsoleLogin"'), 0, None),
        "Records is an object": (b'{"Records":{"eventTime":"2026-11-20T09:00:00Z"}}', 2, {"not a CloudTrail document"}),
        "Records holds scalars": (b'{"Records":[1,"x",null,true,[]]}', 2, {"record is not a JSON object"}),
        "a scalar document": (b"42", 2, {"not a CloudTrail document"}),
        "truncated document": (delivery([record(n) for n in range(5)])[:-20], 2, {"not valid JSON"}),
        "UTF-16": (delivery([record(1)]).decode().encode("utf-16"), 2, {"not valid JSON"}),
        "byte order mark": (b"\xef\xbb\xbf" + delivery([record(1)]), 0, set()),
        "random bytes": (random.Random(7).randbytes(1 << 20), 2, {"not valid JSON"}),
        "a 20 MB string": (one_bad(b'"n":"' + b"x" * 20_000_000 + b'"'), 0, {"message over 256 KB"}),
        "too dense": (b"[" + b"[]," * (3 * MIB) + b"[]]", 2, {"too many JSON objects and arrays"}),
        "dense, but small enough to parse": (
            b'{"eventTime":"2026-11-20T09:00:00Z","a":[' + b"[]," * 2_700_000 + b"[]]}",
            2,
            {"message over 256 KB"},
        ),
        "only whitespace": (b" \n\t\r\n" * 1000, 0, set()),
        "empty": (b"", 0, set()),
    }


EXTREME_EVENT_TIMES: dict[str, object] = {
    "year 9999": "9999-12-31T23:59:59Z",
    "year 1": "0001-01-01T00:00:00Z",
    "just before 1970": "1969-12-31T23:59:59.999Z",
    "leap second": "2016-12-31T23:59:60Z",
    "year 10000": "+10000-01-01T00:00:00Z",
    "offset past midnight": "9999-12-31T23:00:00-05:00",
    "twelve fraction digits": "2026-11-20T09:10:00.123456789123Z",
    "full-width digits": "２０２６-11-20T09:10:00Z",
    "leading space": " 2026-11-20T09:10:00Z",
    "a number": 1795165200000,
    "an overflowing number": 1e308,
    "an object": {"$date": "2026-11-20T09:10:00Z"},
    "a megabyte string": "2" * 1_000_000,
    "empty": "",
}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def fuzz_files(seed: int, count: int) -> dict[str, bytes]:
    """``count`` small inputs, each a valid file damaged at random (bytes flipped, cut, spliced, repeated)."""
    rng = random.Random(seed)
    pieces = [delivery([record(n) for n in range(rng.randint(1, 5))]) for _ in range(8)]
    damage: list[Callable[[bytes], bytes]] = [
        lambda data: data[: rng.randint(0, len(data))],
        lambda data: bytes(b ^ (0xFF if rng.random() < 0.01 else 0) for b in data),
        lambda data: data + rng.randbytes(rng.randint(1, 64)),
        lambda data: data.replace(b'"', b"", rng.randint(1, 3)),
        lambda data: data.replace(b",", b",NaN,", 1),
        lambda data: data * rng.randint(2, 3),
        lambda data: data.replace(b"2026", rng.choice([b"9999", b"0000", b"-001", b"\xff\xfe"]), 1),
    ]
    files: dict[str, bytes] = {}
    for index in range(count):
        data = rng.choice(pieces)
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(damage)(data)
        files[f"fuzz/{index:04d}.json{'.gz' if rng.random() < 0.5 else ''}"] = gz(data) if rng.random() < 0.3 else data
    return files
