"""Bytes of one input (a file, an S3 object, standard input) → the JSON values it holds.

Accepted shapes:

1. one JSON document: ``{"Records": [...]}`` (CloudTrail's S3 delivery), an array of records, or a single
   record object (even pretty-printed over many lines);
2. otherwise JSON lines: one record (or one document of the shapes above) per line, blank lines ignored;
3. and, when some line does not parse on its own, concatenated documents of those shapes, e.g.
   ``zcat *.json.gz`` (several ``{"Records": [...]}`` on one line) or ``jq '.Records[]'`` (pretty-printed
   objects one after another). If that fails too, the bad lines of a JSON-lines input are quarantined one
   by one, or, when no line holds anything, the whole input once.

gzip is recognised by its magic bytes, whatever the file is called.

Parsing uses orjson, and falls back to the standard library only when orjson refuses a document: orjson
rejects numbers that overflow a double (``1e309``), which are valid JSON that CloudWatch accepts. NaN and
Infinity literals are refused by both, as CloudWatch refuses them. (orjson reads integers beyond 64 bits
as floats, as the pattern engine's own parser does; CloudTrail writes no such numbers.)
"""

from __future__ import annotations

import gc
import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import orjson

from trailguard.sources.quarantine import Quarantine, QuarantineReason

__all__ = [
    "GZIP_MAGIC",
    "GzipError",
    "NumberText",
    "Value",
    "gunzip",
    "iter_values",
    "json_type",
    "parse_value",
    "write_lenient",
]

GZIP_MAGIC: Final = b"\x1f\x8b"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
# In the fallback: integers orjson can write back (i64 and u64); anything outside keeps its literal text.
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_JSON_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")

# (position, value, exact): ``exact`` is False when the value came from the standard-library fallback and
# may hold ``NumberText`` leaves; see ``trailguard.sources.records`` for how such a value is written out.
Value = tuple[int, Any, bool]


class NumberText:
    """A JSON number orjson cannot represent (``1e309``, ``1e400``, a 30-digit integer), kept as written so
    that the message CloudWatch would have seen can be reproduced exactly."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"NumberText({self.text!r})"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def _float_or_text(text: str) -> float | NumberText:
    value = float(text)
    return value if value - value == 0.0 else NumberText(text)  # inf - inf is nan, which != 0.0


def _int_or_text(text: str) -> int | NumberText:
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else NumberText(text)


_LENIENT: Final = json.JSONDecoder(parse_float=_float_or_text, parse_int=_int_or_text, parse_constant=_reject_constant)


def parse_value(data: bytes | str) -> tuple[Any, bool]:
    """Parse one JSON document. Returns ``(value, exact)``; raises ``ValueError`` (with orjson's message,
    which names line and column) when neither parser accepts it."""
    with _collector_paused():
        try:
            return orjson.loads(data), True
        except orjson.JSONDecodeError as fast_error:
            try:
                text = data.decode("utf-8") if isinstance(data, bytes) else data
                return _LENIENT.decode(text), False
            except (ValueError, RecursionError):
                raise ValueError(str(fast_error)) from None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a document is parsed.

    Parsing allocates one container per JSON object and array; with the collector on, its collections keep
    re-walking the half-built tree, which made a 150 MB document parse 2.5 times slower (measured). Parsed
    JSON holds no reference cycles, so nothing is left for the collector to find afterwards.
    """
    if not gc.isenabled():  # someone else paused it: leave that decision alone
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _number_text(value: object) -> orjson.Fragment:
    if isinstance(value, NumberText):
        return orjson.Fragment(value.text)
    raise TypeError(f"unexpected {type(value).__name__}")


def write_lenient(value: Any) -> bytes:
    """Compact JSON for a value that came from the standard-library fallback: numbers orjson cannot hold
    are written as their original text. Raises ``orjson.JSONEncodeError`` for text that UTF-8 cannot carry
    (lone surrogates)."""
    return orjson.dumps(value, default=_number_text)


class GzipError(ValueError):
    """The input starts like gzip but cannot be decompressed (corrupt or truncated)."""


def gunzip(data: bytes) -> bytes:
    """Decompress ``data`` if it starts with the gzip magic bytes (every member, checking each CRC), else
    return it as is. Raises ``GzipError`` for corrupt or truncated gzip."""
    if not data.startswith(GZIP_MAGIC):
        return data
    # zlib directly rather than gzip.decompress, whose header parsing in Python cost more than the
    # inflating itself on CloudTrail's many small objects.
    members: list[bytes] = []
    rest = data
    while True:
        inflater = zlib.decompressobj(wbits=31)  # 31: gzip container, CRC32 and length checked
        try:
            members.append(inflater.decompress(rest))
        except zlib.error as error:
            raise GzipError(f"corrupt gzip data ({error})") from None
        if not inflater.eof:
            raise GzipError("truncated gzip data (unexpected end of input)")
        rest = inflater.unused_data
        if not rest.strip(b"\x00"):  # end of input, or the zero padding some writers leave after a member
            return members[0] if len(members) == 1 else b"".join(members)
        if not rest.startswith(GZIP_MAGIC):
            raise GzipError(f"{len(rest)} bytes of trailing data after the gzip stream")


def iter_values(data: bytes, origin: str, quarantine: Quarantine, *, keep_head: int = 0) -> Iterator[Value]:
    """Yield the record candidates in ``data`` (already gunzipped) with their 1-based positions.

    Positions are record indexes within the input, except in JSON lines, where they are line numbers (the
    records of a line holding ``{"Records": [...]}`` or an array share its number).

    Whatever cannot be parsed goes to ``quarantine``: a single entry for the whole input when nothing in it
    is usable, or one entry per bad line in a JSON-lines input. Values are not checked to be objects here.
    An entry for the whole input carries no raw text (the input is still at its origin) unless
    ``keep_head`` asks for that many leading bytes (standard input cannot be read again).
    """
    head = data[:keep_head] if keep_head else None
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data or data.isspace():
        return
    try:
        document, exact = parse_value(data)
    except ValueError as whole_error:
        yield from _not_one_document(data, origin, quarantine, whole_error, head)
        return
    records = _records_in(document)
    if isinstance(records, str):
        quarantine.add(origin, None, QuarantineReason.NOT_CLOUDTRAIL, head, records)
        return
    for position, record in enumerate(records, start=1):
        yield position, record, exact


def _not_one_document(
    data: bytes, origin: str, quarantine: Quarantine, whole_error: ValueError, head: bytes | None
) -> Iterator[Value]:
    """JSON lines, else concatenated documents, else not JSON at all.

    A line that does not parse is either a bad line in JSON lines or a piece of a document spread over
    several lines (``jq '.Records[]'`` output); only parsing the whole input as a stream of documents tells
    which, so that is tried whenever some line did not parse. A single line is tried as a stream at once.
    """
    if _is_one_line(data):
        lines: list[Value] = []
        failures: list[_Failure] = []
        some_line_unparsable = True
    else:
        lines, failures = _json_lines(data)
        some_line_unparsable = any(failure[1] is QuarantineReason.NOT_JSON for failure in failures)
    if some_line_unparsable:
        documents = _split_stream(data)
        if documents is not None:
            yield from _stream_records(documents, origin, quarantine)
            return
        if not lines:
            quarantine.add(origin, None, QuarantineReason.NOT_JSON, head, str(whole_error))
            return
    # JSON lines: records and bad lines, reported in line order.
    pending = iter(failures)
    failure = next(pending, None)
    for item in lines:
        while failure is not None and failure[0] < item[0]:
            quarantine.add(origin, *failure)
            failure = next(pending, None)
        yield item
    while failure is not None:
        quarantine.add(origin, *failure)
        failure = next(pending, None)


# (line number, reason, raw line, detail): the argument order of Quarantine.add after origin.
_Failure = tuple[int, QuarantineReason, bytes, str]


def _json_lines(data: bytes) -> tuple[list[Value], list[_Failure]]:
    """Parse every non-blank line on its own: the records found, and the lines that hold none."""
    records: list[Value] = []
    failures: list[_Failure] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line or line.isspace():
            continue
        try:
            value, exact = parse_value(line)
        except ValueError as error:
            failures.append((number, QuarantineReason.NOT_JSON, line, str(error)))
            continue
        if type(value) is not dict and type(value) is not list:
            failures.append((number, QuarantineReason.NOT_OBJECT, line, f"a JSON {json_type(value)}"))
            continue
        found = _records_in(value)
        if isinstance(found, str):
            failures.append((number, QuarantineReason.NOT_CLOUDTRAIL, line, found))
            continue
        records.extend((number, record, exact) for record in found)
    return records, failures


def _stream_records(documents: list[Any], origin: str, quarantine: Quarantine) -> Iterator[Value]:
    position = 0
    for document in documents:
        records = _records_in(document)
        if isinstance(records, str):
            quarantine.add(origin, position + 1, QuarantineReason.NOT_CLOUDTRAIL, None, records)
            continue
        for record in records:
            position += 1
            yield position, record, False


def _records_in(document: Any) -> list[Any] | str:
    """The records a document holds, or why it holds none (a message)."""
    if type(document) is dict:
        # CloudTrail's S3 wrapper; no CloudTrail record has a top-level "Records" array.
        records = document.get("Records")
        return records if type(records) is list else [document]
    if type(document) is list:
        return document
    return f'a JSON {json_type(document)}, not a record, an array of records or {{"Records": [...]}}'


def _is_one_line(data: bytes) -> bool:
    newlines = data.count(b"\n")
    return newlines == 0 or (newlines == 1 and data.endswith(b"\n"))


def _split_stream(data: bytes) -> list[Any] | None:
    """The values of concatenated JSON documents (``zcat *.json.gz``, ``jq '.Records[]'``), parsed
    leniently; None if the input is not entirely such a stream. The standard library's scanner is used
    because it can resume at an offset; orjson cannot."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    documents: list[Any] = []
    position = 0
    end_of_text = len(text)
    while True:
        start = _JSON_WHITESPACE.match(text, position).end()  # type: ignore[union-attr]  # always matches
        if start == end_of_text:
            return documents
        try:
            document, position = _LENIENT.raw_decode(text, start)
        except (ValueError, RecursionError):
            return None
        documents.append(document)


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "number"
