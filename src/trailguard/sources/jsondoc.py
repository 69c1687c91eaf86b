"""Bytes of one input (a file, an S3 object, standard input) → the JSON values it holds.

Accepted shapes:

1. one JSON document: ``{"Records": [...]}`` (CloudTrail's S3 delivery), an array of records, or a single
   record object (even pretty-printed over many lines);
2. otherwise JSON lines: one record (or one document of the shapes above) per line, blank lines ignored;
3. and, when some line does not parse on its own, concatenated documents of those shapes, e.g.
   ``zcat *.json.gz`` (several ``{"Records": [...]}`` on one line) or ``jq '.Records[]'`` (pretty-printed
   objects one after another). If that fails too, the bad lines of a JSON-lines input are quarantined one
   by one, or, when no line holds anything, the whole input once.

A document that fails to parse only because some record holds bytes that are not UTF-8, or NaN or
Infinity, is read record by record: the other records are kept and each bad one is quarantined with its
index (``recover_records``).

Memory is bounded by ``MAX_DOCUMENT_BYTES``: an input up to that size is parsed whole, as above
(``iter_values``); a larger one must be JSON lines and is read line by line (``iter_streamed_lines``), each
line up to that size. Text denser in JSON objects and arrays than ``MIN_BYTES_PER_CONTAINER`` is refused
before it is parsed.

Parsing uses orjson, and falls back to the standard library only when orjson refuses a document: orjson
rejects numbers that overflow a double (``1e309``), which are valid JSON that CloudWatch accepts. NaN and
Infinity literals are refused by both, as CloudWatch refuses them. (orjson reads integers beyond 64 bits
as floats, as the pattern engine's own parser does; CloudTrail writes no such numbers.)
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Final

import orjson

from trailguard.sources.inflate import GzipBombError, GzipError
from trailguard.sources.limits import MAX_DOCUMENT_BYTES, MIN_BYTES_PER_CONTAINER
from trailguard.sources.quarantine import Quarantine, QuarantineReason

__all__ = [
    "NumberText",
    "Value",
    "density_problem",
    "iter_streamed_lines",
    "iter_values",
    "json_type",
    "line_values",
    "parse_value",
    "recover_records",
    "write_lenient",
]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_MIB: Final = 2**20
# Text shorter than this cannot cost much memory whatever its shape (at most some 250 MB parsed), and
# CloudTrail files are shorter: the density check, two passes over the text, starts here.
_DENSITY_CHECKED_FROM: Final = 8 * _MIB
# Pausing the garbage collector pays for big documents only (see _collector_paused); not for one short line.
_PAUSE_COLLECTOR_FROM: Final = 64 * 1024
# JSON lines are split and read this many bytes at a time when they are read line by line.
_LINE_WINDOW: Final = _MIB
# A JSON-lines input is first parsed line by line, and the results held, to tell a bad line from a piece of
# a pretty-printed document (which only parsing the whole input as a stream of documents can tell). Only
# this many lines are held: the rest are read one at a time, so that millions of tiny lines cannot exhaust
# memory.
_MAX_LINES_HELD: Final = 200_000
# What ``str.decode(errors="surrogateescape")`` turns bytes that are not UTF-8 into; valid UTF-8 never
# decodes to these code points, and a JSON \u escape stays six ASCII characters in the text.
_ESCAPED_BYTE: Final = re.compile("[\udc80-\udcff]")
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
    if len(text) > 20:  # beyond u64 whatever it says; and int() refuses over 4,300 digits (CVE-2020-10735)
        return NumberText(text)
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else NumberText(text)


_LENIENT: Final = json.JSONDecoder(parse_float=_float_or_text, parse_int=_int_or_text, parse_constant=_reject_constant)


def parse_value(data: bytes | str) -> tuple[Any, bool]:
    """Parse one JSON document. Returns ``(value, exact)``; raises ``ValueError`` (with orjson's message,
    which names line and column) when neither parser accepts it."""
    if len(data) < _PAUSE_COLLECTOR_FROM:
        return _parse(data)
    with _collector_paused():
        return _parse(data)


def _parse(data: bytes | str) -> tuple[Any, bool]:
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


def iter_values(data: bytes, origin: str, quarantine: Quarantine, *, keep_head: int = 0) -> Iterator[Value]:
    """Yield the record candidates in ``data`` (already gunzipped, at most ``MAX_DOCUMENT_BYTES``) with their
    1-based positions.

    Positions are record indexes within the input, except in JSON lines, where they are line numbers (the
    records of a line holding ``{"Records": [...]}`` or an array share its number).

    Whatever cannot be parsed goes to ``quarantine``: a single entry for the whole input when nothing in it
    is usable, or one entry per bad line in a JSON-lines input, or per bad record in a document whose
    other records could be recovered. Values are not checked to be objects here. An entry for the whole
    input carries no raw text (the input is still at its origin) unless ``keep_head`` asks for that many
    leading bytes (standard input cannot be read again).
    """
    head = data[:keep_head] if keep_head else None
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data or data.isspace():
        return
    dense = density_problem(data)
    if dense is not None:
        quarantine.add(origin, None, QuarantineReason.TOO_DENSE, head, dense)
        return
    try:
        document, exact = parse_value(data)
    except ValueError as whole_error:
        recovered = recover_records(data)
        if recovered is not None:
            yield from _recovered_values(recovered, origin, quarantine)
            return
        yield from _not_one_document(data, origin, quarantine, whole_error, head)
        return
    records = _records_in(document)
    if isinstance(records, str):
        quarantine.add(origin, None, QuarantineReason.NOT_CLOUDTRAIL, head, records)
        return
    for position, record in enumerate(records, start=1):
        yield position, record, exact


def density_problem(text: bytes) -> str | None:
    """Why ``text`` is too dense in JSON objects and arrays to be parsed (see ``MIN_BYTES_PER_CONTAINER``),
    or None. Brackets inside strings count too: an overestimate, so text that passes is safe to parse."""
    if len(text) < _DENSITY_CHECKED_FROM:
        return None
    containers = text.count(b"{") + text.count(b"[")
    if containers * MIN_BYTES_PER_CONTAINER <= len(text):
        return None
    return (
        f"up to {containers:,} JSON objects and arrays in {len(text):,} bytes, more than one per "
        f"{MIN_BYTES_PER_CONTAINER} bytes, would take too much memory to parse; CloudTrail has one per 70 bytes "
        "or more"
    )


def _recovered_values(recovered: Recovered, origin: str, quarantine: Quarantine) -> Iterator[Value]:
    for index, piece in enumerate(recovered.pieces, start=1):
        if piece.problem is None:
            yield index, piece.value, False
        else:
            quarantine.add(origin, index, QuarantineReason.NOT_JSON, piece.raw, piece.problem)


def _not_one_document(
    data: bytes, origin: str, quarantine: Quarantine, whole_error: ValueError, head: bytes | None
) -> Iterator[Value]:
    """JSON lines, else concatenated documents, else not JSON at all.

    A line that does not parse is either a bad line in JSON lines or a piece of a document spread over
    several lines (``jq '.Records[]'`` output); only parsing the whole input as a stream of documents tells
    which, so that is tried whenever some line did not parse. A single line is tried as a stream at once.
    """
    if _is_one_line(data):
        documents = _split_stream(data)
        if documents is not None:
            yield from _stream_records(documents, origin, quarantine)
        else:
            quarantine.add(origin, None, QuarantineReason.NOT_JSON, head, str(whole_error))
        return
    scan = _scan_lines(data)
    if scan.unparsable:
        documents = _split_stream(data)
        if documents is not None:
            yield from _stream_records(documents, origin, quarantine)
            return
        if not scan.holds_records:
            quarantine.add(origin, None, QuarantineReason.NOT_JSON, head, str(whole_error))
            return
    # JSON lines: records and bad lines, reported in line order.
    pending = iter(scan.failures)
    failure = next(pending, None)
    for item in scan.records:
        while failure is not None and failure[0] < item[0]:
            quarantine.add(origin, *failure)
            failure = next(pending, None)
        yield item
    while failure is not None:
        quarantine.add(origin, *failure)
        failure = next(pending, None)
    if scan.resume is not None:  # the lines whose results were not held: read again, one at a time
        offset, held_until = scan.resume
        for number, _, line in _lines_of(data, offset, held_until):
            if line and not line.isspace():
                yield from line_values(number, line, origin, quarantine)


# (line number, reason, raw line, detail): the argument order of Quarantine.add after origin.
_Failure = tuple[int, QuarantineReason, bytes | None, str]


@dataclass(slots=True)
class _LinesScan:
    """What parsing the first ``_MAX_LINES_HELD`` non-blank lines of an input, each on its own, found: their
    records and failures; ``resume`` is (offset, number of the line before it) where the lines not yet read
    begin, None when every line was read."""

    records: list[Value]
    failures: list[_Failure]
    resume: tuple[int, int] | None = None
    unparsable: bool = False  # some line is not JSON
    holds_records: bool = False  # some line holds a record


def _scan_lines(data: bytes) -> _LinesScan:
    """Read lines until ``_MAX_LINES_HELD`` have been. Whether the input is rather a stream of multi-line
    documents is decided on those: such a stream (jq's pretty output) has a line that is not JSON on its own
    within its first lines, and reading the rest twice to be sure would double the cost of every large
    JSON-lines input."""
    scan = _LinesScan([], [])
    held = 0
    for number, after, line in _lines_of(data):
        if not line or line.isspace():
            continue
        had_records, had_failures = len(scan.records), len(scan.failures)
        _read_line(number, line, scan.records, scan.failures)
        scan.holds_records = scan.holds_records or len(scan.records) > had_records
        scan.unparsable = scan.unparsable or any(
            failure[1] is QuarantineReason.NOT_JSON for failure in scan.failures[had_failures:]
        )
        held += 1
        if held == _MAX_LINES_HELD:
            if after < len(data):
                scan.resume = (after, number)
                scan.holds_records = True  # not known: the rest is read line by line, whatever it holds
            break
    return scan


def _lines_of(data: bytes, offset: int = 0, number: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset after the line, line) for the lines of ``data`` from ``offset`` on; lines end at
    ``\n`` (a ``\r`` before it is JSON whitespace, which every parser here skips)."""
    size = len(data)
    while offset < size:
        end = data.find(b"\n", offset)
        if end < 0:
            end = size
        number += 1
        yield number, end + 1, data[offset:end]
        offset = end + 1


def line_values(number: int, line: bytes, origin: str, quarantine: Quarantine) -> Iterator[Value]:
    """The records of one line of JSON lines (line ``number``), its problems quarantined at once."""
    records: list[Value] = []
    failures: list[_Failure] = []
    _read_line(number, line, records, failures)
    for failure in failures:
        quarantine.add(origin, *failure)
    yield from records


def _read_line(number: int, line: bytes, records: list[Value], failures: list[_Failure]) -> None:
    """One line of JSON lines: append its records to ``records`` and its problems to ``failures``."""
    try:
        value, exact = parse_value(line)
    except ValueError as error:
        recovered = recover_records(line)
        if recovered is None:
            failures.append((number, QuarantineReason.NOT_JSON, line, str(error)))
            return
        for index, piece in enumerate(recovered.pieces, start=1):
            if piece.problem is None:
                records.append((number, piece.value, False))
            else:
                where = f"record {index} on this line: " if recovered.container else ""
                failures.append((number, QuarantineReason.NOT_JSON, piece.raw, where + piece.problem))
        return
    if type(value) is not dict and type(value) is not list:
        failures.append((number, QuarantineReason.NOT_OBJECT, line, f"a JSON {json_type(value)}"))
        return
    found = _records_in(value)
    if isinstance(found, str):
        failures.append((number, QuarantineReason.NOT_CLOUDTRAIL, line, found))
        return
    records.extend((number, record, exact) for record in found)


def iter_streamed_lines(
    head: bytes,
    read_more: Callable[[int], bytes],
    origin: str,
    quarantine: Quarantine,
    *,
    keep_head: int = 0,
) -> Iterator[Value]:
    """Record candidates of an input larger than ``MAX_DOCUMENT_BYTES``, read as JSON lines one line at a time:
    ``head`` is its first bytes (already decoded), ``read_more(size)`` gives the next ones.

    Such an input must be JSON lines: when its first non-blank line is not JSON (a large pretty-printed or
    single-line document), the whole input is quarantined once and the rest is not read. Afterwards, bad
    lines are quarantined one by one as in ``iter_values``, and lines over ``MAX_DOCUMENT_BYTES`` are
    skipped without being held in memory. A read error (damaged gzip, a gzip bomb, a failing disk or
    connection) quarantines the rest of the input, at the line it was met; the records before it stand.
    """
    raw_head = head[:keep_head] if keep_head else None
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    lines = _bounded_lines(head, read_more)
    del head  # the generator holds it only until it has split it
    number = 0
    first = True
    cap = f"{MAX_DOCUMENT_BYTES // _MIB} MiB"
    try:
        for number, line in lines:
            if line is not None and (not line or line.isspace()):
                continue
            if first:
                first = False
                refusal = _not_json_lines(line)
                if refusal is not None:
                    detail = (
                        f"larger than {cap}, so it must be JSON lines (one record or document per line), "
                        f"but {refusal}; a single document is parsed whole, and only up to {cap} "
                        "(for jq output, use jq -c)"
                    )
                    quarantine.add(origin, None, QuarantineReason.DOCUMENT_TOO_LARGE, raw_head, detail)
                    return
            if line is None:
                detail = f"longer than {cap}: not read (a line is parsed whole, and only up to {cap})"
                quarantine.add(origin, number, QuarantineReason.LINE_TOO_LONG, None, detail)
                continue
            dense = density_problem(line)
            if dense is not None:
                quarantine.add(origin, number, QuarantineReason.TOO_DENSE, None, dense)
                continue
            yield from line_values(number, line, origin, quarantine)
    except GzipBombError as error:
        quarantine.add(origin, number + 1, QuarantineReason.GZIP_BOMB, None, f"{error}; the rest was not read")
    except GzipError as error:
        quarantine.add(origin, number + 1, QuarantineReason.BAD_GZIP, None, f"{error}; the rest was not read")
    except OSError as error:
        detail = f"read failed: {error.strerror or error}; the rest was not read"
        quarantine.add(origin, number + 1, QuarantineReason.UNREADABLE, None, detail)


def _not_json_lines(first_line: bytes | None) -> str | None:
    """Why an input whose first non-blank line is ``first_line`` (None: too long) is not JSON lines."""
    if first_line is None:
        return f"its first line is longer than {MAX_DOCUMENT_BYTES // _MIB} MiB"
    if density_problem(first_line) is not None:
        return "its first line is too dense in JSON objects and arrays to parse"
    try:
        parse_value(first_line)
    except ValueError as error:
        if recover_records(first_line) is None:
            return f"its first line is not JSON ({error})"
    return None


def _bounded_lines(first: bytes, read_more: Callable[[int], bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for every line of ``first`` and of what ``read_more`` gives after it. A line longer
    than ``MAX_DOCUMENT_BYTES`` is given as None as soon as it is known to be too long (so that the reader
    may stop there: /dev/zero has no next line), and the rest of it is passed over unread into memory.

    Text is split a window at a time, so that millions of tiny lines never exist as objects all at once."""
    number = 0
    partial: list[bytes] = []  # the start of a line whose end has not been read yet
    partial_size = 0
    skipping = False  # inside a line already given as too long
    windows = _windows(first, read_more)
    del first  # only the window in use stays in memory
    for chunk in windows:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            if skipping:
                skipping = False  # its number was given with it
            else:
                number += 1
                if partial:
                    partial.append(chunk[start:end])
                    line = b"".join(partial)
                    partial, partial_size = [], 0
                    yield number, line if len(line) <= MAX_DOCUMENT_BYTES else None
                else:
                    yield number, chunk[start:end] if end - start <= MAX_DOCUMENT_BYTES else None
            start = end + 1
        if not skipping and start < len(chunk):
            partial.append(chunk[start:])
            partial_size += len(chunk) - start
            if partial_size > MAX_DOCUMENT_BYTES:
                partial, partial_size, skipping = [], 0, True
                number += 1
                yield number, None
    if partial:
        yield number + 1, b"".join(partial)


def _windows(first: bytes, read_more: Callable[[int], bytes]) -> Iterator[bytes]:
    """``first`` in slices of ``_LINE_WINDOW`` bytes, then what ``read_more`` gives, as much at a time."""
    size = len(first)
    if size <= _LINE_WINDOW:
        if first:
            yield first
    else:
        for offset in range(0, size, _LINE_WINDOW):
            yield first[offset : offset + _LINE_WINDOW]
    del first  # the callers have let go of it too
    while chunk := read_more(_LINE_WINDOW):
        yield chunk


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
        # CloudTrail's S3 wrapper; no CloudTrail record has a top-level "Records" field.
        if "Records" not in document:
            return [document]
        records = document["Records"]
        if type(records) is list:
            return records
        kind = json_type(records)
        return f'"Records" is a JSON {kind}, not an array of records as in CloudTrail\'s {{"Records": [...]}}'
    if type(document) is list:
        return document
    return f'a JSON {json_type(document)}, not a record, an array of records or {{"Records": [...]}}'


# ---------------------------------------------------------------- recovering the good records of a document


@dataclass(frozen=True, slots=True)
class RecoveredPiece:
    """One record of a recovered document: its value (None when it has a problem), its raw bytes, and
    what is wrong with it (None when nothing is)."""

    value: Any
    raw: bytes
    problem: str | None


@dataclass(frozen=True, slots=True)
class Recovered:
    """A document read record by record. ``container`` is False when the document was a single record."""

    pieces: list[RecoveredPiece]
    container: bool


class _ConstantCounter:
    """parse_constant for the recovering decoder: counts NaN and Infinity instead of refusing them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, name: str) -> None:
        self.count += 1


def recover_records(data: bytes) -> Recovered | None:
    """Read a document that failed to parse because of its values, not its structure: bytes that are not
    UTF-8, or NaN or Infinity (which JSON does not allow and CloudWatch Logs refuses). Returns its records
    one by one -- the elements of ``{"Records": [...]}`` or of an array, or the document itself when it is
    one record -- each with its problem if it has one; None when the document is broken otherwise (a syntax
    error, several documents, a scalar), so that the caller reports it as before.
    """
    text = data.decode("utf-8", "surrogateescape")
    constants = _ConstantCounter()
    decoder = json.JSONDecoder(parse_float=_float_or_text, parse_int=_int_or_text, parse_constant=constants)
    start = _skip_space(text, 0)
    found: tuple[list[_Item], int] | None
    try:
        if text.startswith("[", start):
            found = _array_items(text, start, decoder, constants)
        elif text.startswith("{", start):
            found = _records_member(text, start, decoder, constants)
        else:
            return None
        container = found is not None
        if found is None:  # an object without a "Records" array: one record
            constants.count = 0
            value, end = decoder.raw_decode(text, start)
            found = [(value, start, end, constants.count)], end
    except (ValueError, RecursionError):
        return None
    items, end = found
    if _skip_space(text, end) != len(text):
        return None
    pieces = []
    for value, item_start, item_end, nan_count in items:
        raw = text[item_start:item_end].encode("utf-8", "surrogateescape")
        if nan_count:
            pieces.append(RecoveredPiece(None, raw, "NaN or Infinity is not a JSON value"))
        elif _ESCAPED_BYTE.search(text, item_start, item_end):
            offset = len(text[:item_start].encode("utf-8", "surrogateescape"))
            bad = _first_bad_byte(raw)
            pieces.append(
                RecoveredPiece(
                    None,
                    raw,
                    f"not UTF-8 text (byte 0x{raw[bad]:02x} at offset {offset + bad} of the input); "
                    "CloudWatch Logs accepts only UTF-8 messages",
                )
            )
        else:
            pieces.append(RecoveredPiece(value, raw, None))
    return Recovered(pieces, container)


# (value, start, end, NaN/Infinity seen so far): an element and where its text lies.
_Item = tuple[Any, int, int, int]


def _array_items(
    text: str, start: int, decoder: json.JSONDecoder, constants: _ConstantCounter
) -> tuple[list[_Item], int]:
    """The elements of the array at ``text[start] == "["`` and the offset after it; ValueError if broken."""
    position = _skip_space(text, start + 1)
    items: list[_Item] = []
    if text.startswith("]", position):
        return items, position + 1
    while True:
        before = constants.count
        value, end = decoder.raw_decode(text, position)
        items.append((value, position, end, constants.count - before))
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("]", position):
            return items, position + 1
        else:
            raise ValueError("expected ',' or ']'")


def _records_member(
    text: str, start: int, decoder: json.JSONDecoder, constants: _ConstantCounter
) -> tuple[list[_Item], int] | None:
    """The elements of the ``"Records"`` array of the object at ``text[start] == "{"`` and the offset after
    the object; None when it has no such array; ValueError if broken."""
    position = _skip_space(text, start + 1)
    records: tuple[list[_Item], int] | None = None
    if text.startswith("}", position):
        return None
    while True:
        if not text.startswith('"', position):
            raise ValueError("expected a member name")
        key, position = scanstring(text, position + 1)
        position = _skip_space(text, position)
        if not text.startswith(":", position):
            raise ValueError("expected ':'")
        position = _skip_space(text, position + 1)
        if key == "Records" and text.startswith("[", position):
            records = _array_items(text, position, decoder, constants)
            position = records[1]
        else:
            _, position = decoder.raw_decode(text, position)
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("}", position):
            return None if records is None else (records[0], position + 1)
        else:
            raise ValueError("expected ',' or '}'")


def _skip_space(text: str, position: int) -> int:
    return _JSON_WHITESPACE.match(text, position).end()  # type: ignore[union-attr]  # always matches


def _first_bad_byte(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return 0


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
