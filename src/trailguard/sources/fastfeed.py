"""CloudTrail documents read fast, with exactly the results of the full path (``decode_input``).

The full path parses every record into Python objects, writes each as its CloudWatch Logs message and hands
on a ``SourceEvent``. A replay whose patterns are all JSON patterns needs much less of most records: their
event time, and the few fields that tell whether some pattern could match them at all
(``trailguard.pattern.prefilter``). ``FastReader`` reads a whole document (an input up to
``MAX_DOCUMENT_BYTES``) with msgspec, decoding only those fields, and gives in input order

- ``QuietEvents``: the event times of a run of records that no pattern can match, and
- ``SourceEvent``: a record that some pattern might match (a *candidate*), parsed in full by orjson as the
  full path parses it, for the patterns themselves to judge.

It reads a document so only when it has proven, for every record, that the full path would turn that record
into an event with that event time and the same parsed values; otherwise the full path reads the whole
input, so quarantine entries, positions and counts are the full path's by construction. What is proven, and
why each matters (every check errs towards the full path):

- the text is UTF-8 (msgspec does not check the text of fields it skips; orjson refuses the document);
- msgspec reads it as ``{"Records": [...]}`` or as an array, every record an object whose selected fields
  have the types declared (a lone surrogate escape, NaN, a number beyond a double's range in a selected
  field, bad syntax: it refuses, and so would orjson);
- every record's text is at most ``MAX_RECORD_TEXT`` bytes: its compact message is then under the 256 KB cap,
  since writing a record compactly only shrinks it, except numbers, which orjson may rewrite longer (``1e5``
  becomes ``100000.0``: at most 25 bytes for at least 4 of text and separator);
- no record holds more than ``MAX_MESSAGE_DEPTH`` opening brackets: orjson writes no message nested deeper,
  and the full path quarantines such a record as one it cannot write;
- no run of more than 4,300 digits anywhere: the full path quarantines a record holding such an integer
  ("number too long"); a shorter number that orjson cannot hold changes only how the full path writes the
  message, never the values it hands on;
- every record's ``eventTime`` is a string in the supported range (``parse_event_time``);
- every candidate parses with orjson.

Values read for the prefilter are only used to set records aside: a value that is not a string is judged
by the patterns, after a full parse, as are the big integers msgspec reads exactly and orjson as doubles.
Candidates carry the message orjson writes for them; patterns that read messages (term, regular expression
and space-delimited patterns) are never given to this reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import attrgetter
from typing import Any, Final, Protocol, Union

import msgspec
import orjson

from trailguard.pattern.prefilter import AllOf, AnyOf, Condition, Prefilter, ProbeKind
from trailguard.sources.decode import document_values, open_input
from trailguard.sources.event_time import parse_event_time
from trailguard.sources.events import SourceEvent, SourceStats
from trailguard.sources.inflate import Readable
from trailguard.sources.limits import MAX_MESSAGE_BYTES
from trailguard.sources.quarantine import Quarantine
from trailguard.sources.records import build_events

__all__ = [
    "MAX_MESSAGE_DEPTH",
    "MAX_RECORD_TEXT",
    "FastReader",
    "InputDecoder",
    "QuietEvents",
    "SourceItem",
]

# Text of a record that can only be written compactly within MAX_MESSAGE_BYTES (see the module docstring).
MAX_RECORD_TEXT: Final = MAX_MESSAGE_BYTES // 8
# orjson.dumps refuses to write containers nested deeper than this.
MAX_MESSAGE_DEPTH: Final = 254
# Python refuses int() of more digits than this (CVE-2020-10735): the full path's "number too long".
_MAX_INT_DIGITS: Final = 4300
# The full path checks the density of objects and arrays from this size on; such documents stay there.
_DENSITY_CHECKED_FROM: Final = 8 * 2**20
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_RECORDS_MEASURED_TOGETHER: Final = 16
_JSON_SPACE: Final = b" \t\n\r"
_LEADING_SPACE: Final = re.compile(rb"[ \t\n\r]*")
_DIGITS: Final = b"0123456789"
_EVENT_TIME: Final = "eventTime"
# Event times seen, and their epoch milliseconds: CloudTrail files repeat the same seconds many times.
_MAX_TIMES_CACHED: Final = 65_536
_UNSET: Final[Any] = msgspec.UNSET
_DECODE_ERRORS: Final = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


@dataclass(frozen=True, slots=True)
class QuietEvents:
    """A run of records of one input that no pattern can match: their event times in input order, and, when the
    reader was asked for partition fields, each record's values of them (``keys``)."""

    timestamps: list[int]
    keys: list[tuple[str | None, ...]] | None = None


SourceItem = SourceEvent | QuietEvents


class InputDecoder(Protocol):
    """Turns one input into events, as ``decode_input`` does; a fast reader also gives ``QuietEvents``."""

    def __call__(
        self,
        stream: Readable,
        origin: str,
        quarantine: Quarantine,
        *,
        require_event_time: bool = True,
        stats: SourceStats | None = None,
        keep_head: int = 0,
    ) -> Iterator[SourceItem]: ...


# ---------------------------------------------------------------- the decoded shape


@dataclass(slots=True)
class _Node:
    """One key of the fields read: read whole (its value as JSON gives it), or only some keys below it."""

    children: dict[str, _Node]
    whole: bool = False


def _plan(paths: Sequence[tuple[str, ...]]) -> _Node:
    root = _Node({})
    for path in paths:
        node = root
        for key in path:
            node = node.children.setdefault(key, _Node({}))
        node.whole = True
    return root


class _Shape:
    """msgspec Struct types for a plan, and readers of each path over decoded records."""

    def __init__(self, root: _Node) -> None:
        self._count = 0
        self._types: dict[int, tuple[type, dict[str, str]]] = {}
        self.record_type = self._struct(root)

    def _struct(self, node: _Node) -> type:
        fields: list[tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for position, (key, child) in enumerate(node.children.items()):
            attribute = f"f{position}"
            rename[attribute] = key
            if child.whole or not child.children:
                kind: Any = Any
            else:
                # Anything else than an object reaches nothing below it; it is read (and dropped) rather than
                # refused, so that one odd record does not send the whole input to the full path.
                kind = Union[self._struct(child), list[Any], str, int, float, bool, None]  # noqa: UP007
            fields.append((attribute, kind, _UNSET))
        self._count += 1
        struct = msgspec.defstruct(f"_Fields{self._count}", fields, rename=rename, gc=False)
        self._types[id(node)] = (struct, {key: f"f{i}" for i, key in enumerate(node.children)})
        return struct

    def reader(self, root: _Node, path: Sequence[str]) -> Callable[[Any], Any]:
        """A reader of the value at ``path`` in a decoded record: the value, or ``_UNSET`` when nothing is there
        (as ``compile_path`` gives MISSING)."""
        steps: list[tuple[type | None, str]] = []
        node: _Node | None = root
        for key in path:
            if node is not None and not node.whole:
                struct, attributes = self._types[id(node)]
                steps.append((struct, attributes[key]))
                node = node.children[key]
            else:
                steps.append((None, key))  # inside a value read whole: plain JSON objects
                node = None
        if len(steps) == 1 and steps[0][0] is not None:
            return attrgetter(steps[0][1])
        if len(steps) == 2 and steps[0][0] is not None and steps[1][0] is not None:
            (_, outer), (inner_type, inner) = steps
            get_outer = attrgetter(outer)
            get_inner = attrgetter(inner)

            def nested(record: Any) -> Any:
                child = get_outer(record)
                return get_inner(child) if type(child) is inner_type else _UNSET

            return nested

        def walk(record: Any) -> Any:
            value = record
            for struct, name in steps:
                if struct is None:
                    if type(value) is not dict:
                        return _UNSET
                    value = value.get(name, _UNSET)
                elif type(value) is struct:
                    value = getattr(value, name)
                else:
                    return _UNSET
                if value is _UNSET:
                    return _UNSET
            return value

        return walk

    def column(self, root: _Node, path: Sequence[str]) -> Callable[[list[Any]], list[Any]]:
        """A reader of the values at ``path`` in a list of decoded records (as ``reader``, for all at once)."""
        read = self.reader(root, path)
        if isinstance(read, attrgetter):
            return lambda records: list(map(read, records))
        if len(path) == 2 and not root.whole and not root.children[path[0]].whole:
            outer_type, attributes = self._types[id(root.children[path[0]])]
            get_outer = attrgetter(self._types[id(root)][1][path[0]])
            get_inner = attrgetter(attributes[path[1]])

            def nested(records: list[Any]) -> list[Any]:
                return [get_inner(child) if type(child) is outer_type else _UNSET for child in map(get_outer, records)]

            return nested
        return lambda records: list(map(read, records))


Reader = Callable[[Any], Any]
Column = Callable[[list[Any]], list[Any]]
Test = Callable[[Any], bool]


def _compile_condition(condition: Condition, reader: Callable[[tuple[str, ...]], Reader]) -> Test:
    """A condition of the prefilter over a decoded record (``_UNSET`` standing for MISSING): the same truth as
    ``Prefilter.may_match`` gives it over the parsed record."""
    if isinstance(condition, AllOf):
        return _all_of([_compile_condition(part, reader) for part in condition.parts])
    if isinstance(condition, AnyOf):
        return _any_of([_compile_condition(part, reader) for part in condition.parts])
    read = reader(condition.keys)
    texts = condition.texts
    tests = condition.tests
    if condition.kind is ProbeKind.ABSENT:
        return lambda record: read(record) is _UNSET
    if condition.kind is ProbeKind.SHOWS and not tests:

        def shows_text(record: Any) -> bool:
            value = read(record)
            if type(value) is str:
                return value in texts
            return value is not _UNSET

        return shows_text
    shows = condition.kind is ProbeKind.SHOWS

    def by_tests(record: Any) -> bool:
        value = read(record)
        if type(value) is str:
            found = value in texts
            if not found:
                for test in tests:
                    if test(value):
                        found = True
                        break
            return found if shows else not found
        return value is not _UNSET

    return by_tests


def _all_of(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda record: first(record) and second(record)

    def all_hold(record: Any) -> bool:
        for test in tests:
            if not test(record):
                return False
        return True

    return all_hold


def _any_of(tests: list[Test]) -> Test:
    if not tests:
        return lambda record: False
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda record: first(record) or second(record)

    def any_holds(record: Any) -> bool:
        for test in tests:
            if test(record):
                return True
        return False

    return any_holds


_NOT_FILED: Final[Any] = object()
_UNSET_TYPE: Final = type(msgspec.UNSET)
_TEXT_OR_UNSET: Final = frozenset({str, _UNSET_TYPE})
_TEXT: Final = {str}

Select = Callable[[list[Any]], list[int]]


def _compile_prefilter(
    prefilter: Prefilter, reader: Callable[[tuple[str, ...]], Reader], column: Callable[[tuple[str, ...]], Column]
) -> Select:
    """``Prefilter.may_match`` over a list of decoded records, a field at a time: the positions of the candidates,
    ascending."""
    indexes: list[tuple[Column, dict[str, Test | None]]] = []
    for index in prefilter.indexes:
        table = {
            text: (_any_of([_compile_condition(c, reader) for c in conditions]) if conditions else None)
            for text, conditions in index.table.items()
        }
        indexes.append((column(index.keys), table))
    guards = [
        (column(guard.keys), _any_of([_compile_condition(c, reader) for c in guard.conditions]))
        for guard in prefilter.guards
    ]
    others = _any_of([_compile_condition(condition, reader) for condition in prefilter.others])
    check_others = bool(prefilter.others)

    def select(records: list[Any]) -> list[int]:
        chosen: set[int] = set()
        for read, table in indexes:
            values = read(records)
            if set(map(type, values)) <= _TEXT_OR_UNSET:
                filed = [position for position, value in enumerate(values) if value in table]
            else:  # a value that is not a string makes its record a candidate outright
                filed = [
                    position
                    for position, value in enumerate(values)
                    if ((value in table) if type(value) is str else (value is not _UNSET))
                ]
            for position in filed:
                value = values[position]
                test = table[value] if type(value) is str else None
                if test is None or test(records[position]):
                    chosen.add(position)
        for read, test in guards:
            for position, value in enumerate(read(records)):
                if value is not _UNSET and position not in chosen and test(records[position]):
                    chosen.add(position)
        if check_others:
            chosen.update(position for position, record in enumerate(records) if others(record))
        return sorted(chosen)

    return select


# ---------------------------------------------------------------- the reader


class FastReader:
    """Reads inputs for one set of patterns: ``prefilter`` None makes every record a candidate (still decoded
    fast, then parsed in full); ``partition_fields`` are top-level fields whose texts ``QuietEvents.keys``
    carries (for replays split by account or region)."""

    def __init__(self, prefilter: Prefilter | None, partition_fields: Sequence[str] = ()) -> None:
        self.prefilter = prefilter
        self.partition_fields = tuple(partition_fields)
        paths: list[tuple[str, ...]] = [(_EVENT_TIME,)]
        paths.extend((name,) for name in self.partition_fields)
        if prefilter is not None:
            paths.extend(prefilter.paths)
        root = _plan(paths)
        shape = _Shape(root)
        records: Any = list[shape.record_type]  # type: ignore[name-defined]  # a type made at run time
        self._records: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            msgspec.defstruct("_Records", [("Records", records)], gc=False)
        )
        self._record_list: msgspec.json.Decoder[Any] = msgspec.json.Decoder(records)
        self._raws: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            msgspec.defstruct("_RawRecords", [("Records", list[msgspec.Raw])], gc=False)
        )
        self._raw_list = msgspec.json.Decoder(list[msgspec.Raw])
        self._event_times = shape.column(root, (_EVENT_TIME,))
        self._partition = [shape.column(root, (name,)) for name in self.partition_fields]
        self._select: Select | None = None
        if prefilter is not None:
            self._select = _compile_prefilter(
                prefilter, lambda keys: shape.reader(root, keys), lambda keys: shape.column(root, keys)
            )
        self._times: dict[str, int] = {}

    def decode_input(
        self,
        stream: Readable,
        origin: str,
        quarantine: Quarantine,
        *,
        require_event_time: bool = True,
        stats: SourceStats | None = None,
        keep_head: int = 0,
    ) -> Iterator[SourceItem]:
        """``decode_input`` for this reader: the fast reading of a whole document when it is proven equivalent,
        the full path otherwise."""
        opened = open_input(stream, origin, quarantine, stats=stats, keep_head=keep_head)
        if opened is None:
            return
        if opened.whole and require_event_time:
            items = self.read_document(opened.head, origin)
            if items is not None:
                if stats is not None:
                    stats.events += sum(len(i.timestamps) if type(i) is QuietEvents else 1 for i in items)
                yield from items
                return
        values = document_values(opened, origin, quarantine, keep_head=keep_head)
        del opened  # only the parser may hold the decoded bytes, for as long as it needs them
        yield from build_events(values, origin, quarantine, require_event_time=require_event_time, stats=stats)

    def read_document(self, data: bytes, origin: str) -> list[SourceItem] | None:
        """The items of a whole document, or None when the full path must read it (see the module docstring)."""
        body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
        if len(body) >= _DENSITY_CHECKED_FROM or not _is_utf8(body):
            return None
        start = _LEADING_SPACE.match(body).end()  # type: ignore[union-attr]  # always matches
        opening = body[start : start + 1]
        enveloped = opening == b"{"
        try:
            if enveloped:
                records = self._records.decode(body).Records
            elif opening == b"[":
                records = self._record_list.decode(body)
            else:
                return None
            # A small document that fits as a whole needs no record texts, unless a record is a candidate.
            raws = None if _fits_whole(body) else self._record_texts(body, enveloped)
        except _DECODE_ERRORS:
            return None
        if raws is not None and not _texts_fit(body, raws, start, enveloped):
            return None
        return self._items(records, raws, body, enveloped, origin)

    def _record_texts(self, body: bytes, enveloped: bool) -> list[msgspec.Raw]:
        records: list[msgspec.Raw] = self._raws.decode(body) if enveloped else self._raw_list.decode(body)
        return records.Records if enveloped else records  # type: ignore[attr-defined]

    def _items(
        self, records: list[Any], raws: list[msgspec.Raw] | None, body: bytes, enveloped: bool, origin: str
    ) -> list[SourceItem] | None:
        times = self._times
        if len(times) > _MAX_TIMES_CACHED:
            times.clear()
        texts = self._event_times(records)
        if texts and set(map(type, texts)) != _TEXT:
            return None  # missing or not a text: the full path quarantines the record
        timestamps: list[int] = list(map(times.get, texts))  # type: ignore[arg-type]  # None until parsed
        if None in timestamps:
            for position, text in enumerate(texts):
                if timestamps[position] is None:
                    found = times.get(text)
                    if found is None:
                        found = parse_event_time(text)
                        if found is None:
                            return None
                        times[text] = found
                    timestamps[position] = found
        keys: list[tuple[str | None, ...]] | None = None
        if self._partition:
            keys = list(zip(*(map(_text_of, read(records)) for read in self._partition), strict=True))
        chosen: Sequence[int] = range(len(records)) if self._select is None else self._select(records)
        if not chosen:
            return [QuietEvents(timestamps, keys)]
        items: list[SourceItem] = []
        done = 0
        if raws is None:
            # The document decoded as records, so it reads as raw texts too; should it not, the full path reads it.
            try:
                raws = self._record_texts(body, enveloped)
            except _DECODE_ERRORS:
                return None
        for position in chosen:
            if position > done:
                items.append(QuietEvents(timestamps[done:position], None if keys is None else keys[done:position]))
            try:
                record = orjson.loads(memoryview(raws[position]))
            except orjson.JSONDecodeError:
                return None  # a number orjson cannot hold: the full path reads it leniently
            message = orjson.dumps(record).decode()
            items.append(SourceEvent(message, record, timestamps[position], origin, position + 1))
            done = position + 1
        if done < len(records):
            items.append(QuietEvents(timestamps[done:], None if keys is None else keys[done:]))
        return items


def _text_of(value: Any) -> str | None:
    return value if type(value) is str else None


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fits_whole(body: bytes) -> bool:
    """Whether the whole document is short enough, shallow enough and free of over-long integers: then so is
    every record in it (see ``_texts_fit``), without finding where each one lies."""
    if len(body) > MAX_RECORD_TEXT or _brackets(body, 0, len(body)) > MAX_MESSAGE_DEPTH:
        return False
    return len(body) <= _MAX_INT_DIGITS or not _has_digit_run(body, _MAX_INT_DIGITS + 1)


def _texts_fit(body: bytes, raws: list[msgspec.Raw], start: int, enveloped: bool) -> bool:
    """Whether every record's text is short enough, shallow enough and free of over-long integers (see the
    module docstring)."""
    sizes = list(map(len, raws))
    longest = max(sizes, default=0)
    if longest > MAX_RECORD_TEXT:
        return False
    if longest > _MAX_INT_DIGITS and _has_digit_run(body, _MAX_INT_DIGITS + 1):
        return False
    if longest <= MAX_MESSAGE_DEPTH:
        return True  # too short to hold that many brackets
    offsets = _record_offsets(body, sizes, start, enveloped)
    if offsets is None:
        return all(_brackets(bytes(raw), 0, len(raw)) <= MAX_MESSAGE_DEPTH for raw in raws)
    # Records are measured a few at a time, and one by one only where a few together hold that many brackets:
    # a count costs as much per byte either way, and far less per call.
    for first in range(0, len(sizes), _RECORDS_MEASURED_TOGETHER):
        last = min(first + _RECORDS_MEASURED_TOGETHER, len(sizes)) - 1
        if _brackets(body, offsets[first], offsets[last] + sizes[last]) <= MAX_MESSAGE_DEPTH:
            continue
        for position in range(first, last + 1):
            if _brackets(body, offsets[position], offsets[position] + sizes[position]) > MAX_MESSAGE_DEPTH:
                return False
    return True


def _brackets(text: bytes, start: int, end: int) -> int:
    """Opening brackets in ``text[start:end]``, inside strings too: a bound on how deep a value there nests."""
    return text.count(b"{", start, end) + text.count(b"[", start, end)


def _record_offsets(body: bytes, sizes: list[int], start: int, enveloped: bool) -> list[int] | None:
    """Where each record's text starts in ``body`` when the document is laid out as CloudTrail writes it (no
    whitespace in the records array), so that records are measured in place; None otherwise (they are then
    copied out to be measured).

    The document must open with ``{"Records":[`` (or ``[``) and close with ``]}`` (or ``]``), and the space
    between must be exactly the records' lengths plus one comma between each two. The array opened there is
    the first member, a Records array; a later Records member (the one msgspec keeps) would have to fit
    after it, in less space than its own length: so they are one and the same, and with no byte to spare for
    whitespace, each record lies where the lengths put it."""
    opening = b'{"Records":[' if enveloped else b"["
    closing = b"]}" if enveloped else b"]"
    end = len(body)
    while end and body[end - 1] in _JSON_SPACE:
        end -= 1
    first = start + len(opening)
    inner = sum(sizes) + max(len(sizes) - 1, 0)
    if body[start:first] != opening or first + inner + len(closing) != end or body[first + inner : end] != closing:
        return None
    # With no byte to spare, one comma lies between each two records: each starts after the last one's comma.
    return list(accumulate((size + 1 for size in sizes[:-1]), initial=first)) if sizes else []


def _has_digit_run(body: bytes, length: int) -> bool:
    """Whether ``body`` holds ``length`` or more consecutive ASCII digits. Any such run covers a multiple of
    ``length - 1``, so only the bytes there are looked at, and around the digits among them."""
    step = length - 1
    for index, byte in enumerate(body[::step]):
        if 0x30 <= byte <= 0x39:
            at = index * step
            before = body[max(at - step, 0) : at]
            after = body[at : at + length]
            run = (len(before) - len(before.rstrip(_DIGITS))) + (len(after) - len(after.lstrip(_DIGITS)))
            if run >= length:
                return True
    return False
