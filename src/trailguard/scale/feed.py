"""Feeding replays from their sources: which reader each log group's inputs get, and the loop that hands what
they read to the engine (``Feeder``).

A log group whose filters all have JSON patterns with a necessary condition (``build_prefilter``) is read by a
``FastReader``: runs of records no pattern can match reach ``Replay.add_unmatched`` as event times, the rest
``Replay.add`` parsed in full. Any other log group, and every input the fast reader cannot prove equivalent, is
read by the full path (``decode_input``), record by record. Either way the replay ends up exactly the same.

With partitions (``--by-account``, ``--by-region``), each partition key gets its own replay, made on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from trailguard.engine.replay import Replay
from trailguard.pattern import LogEvent, PatternSet, compile_pattern
from trailguard.pattern.prefilter import Prefilter, build_prefilter
from trailguard.scale.plan import ReplayPlan
from trailguard.sources.events import SourceEvent
from trailguard.sources.fastfeed import FastReader, QuietEvents, SourceItem

__all__ = ["EvidenceEvent", "Feeder", "PartitionKey", "fast_reader_for"]

# Message families that read only the parsed JSON of an event: the fast reader serves them.
_JSON_FAMILIES: Final = frozenset({"json"})

PartitionKey = tuple[str | None, ...]


def fast_reader_for(plan: ReplayPlan, log_group: str) -> FastReader | None:
    """The fast reader for ``log_group``'s inputs, or None when they must be read by the full path: a pattern
    reads the message itself (terms, regular expressions, space-delimited patterns), or some pattern has no
    necessary condition, so that every record would be parsed in full anyway."""
    if not plan.fast:
        return None
    compiled = [compile_pattern(f.filter_pattern) for f in plan.filters if f.log_group_name == log_group]
    if not compiled:
        return FastReader(Prefilter((), ()), plan.partition_fields)  # no filter: every record only counts
    if any(pattern.family not in _JSON_FAMILIES for pattern in compiled):
        return None
    prefilter = build_prefilter(compiled)
    if prefilter is None:
        return None
    return FastReader(prefilter, plan.partition_fields)


@dataclass(frozen=True, slots=True)
class EvidenceEvent:
    """An event some watched filter matched, sent back by a worker for the driver's notification context."""

    message: str
    record: dict[str, Any]
    timestamp_ms: int
    log_group: str
    partition: PartitionKey


@dataclass(slots=True)
class Feeder:
    """Hands items read from inputs to a replay, or to one replay per partition.

    ``replays`` maps partition keys (``()`` when not partitioned) to replays; ``make_replay`` makes one for a new
    key. ``evidence``, when given, collects the events that some filter watched by an alarm matches (for a
    driver to show its notification context), with ``watched`` the pattern sets of those filters by log group.
    """

    replays: dict[PartitionKey, Replay]
    make_replay: Callable[[], Replay]
    partition_fields: tuple[str, ...] = ()
    evidence: list[EvidenceEvent] | None = None
    watched: dict[str, PatternSet] = field(default_factory=dict)
    events: int = 0

    def feed(self, items: Iterable[SourceItem], log_group: str, progress: Callable[[int], None] | None = None) -> None:
        """Add every item to its replay, in order; ``progress(events)`` is called now and then with the count."""
        partitioned = bool(self.partition_fields)
        single = None if partitioned else self._replay(())
        counted = 0
        for item in items:
            if type(item) is QuietEvents:
                counted += len(item.timestamps)
                if single is not None:
                    single.add_unmatched(item.timestamps, log_group)
                else:
                    self._quiet_partitioned(item, log_group)
            else:
                assert isinstance(item, SourceEvent)
                counted += 1
                assert item.timestamp_ms is not None  # a replay requires event times
                key = () if single is not None else self._key_of(item.record)
                replay = single if single is not None else self._replay(key)
                event = LogEvent(item.message, parsed=item.record)
                replay.add(event, item.timestamp_ms, log_group)
                if self.evidence is not None:
                    self._collect(replay, item, event, log_group, key)
            if progress is not None and counted >= _PROGRESS_EVERY:
                self.events += counted
                progress(self.events)
                counted = 0
        self.events += counted
        if progress is not None:
            progress(self.events)

    def _replay(self, key: PartitionKey) -> Replay:
        replay = self.replays.get(key)
        if replay is None:
            replay = self.replays[key] = self.make_replay()
        return replay

    def _key_of(self, record: dict[str, Any]) -> PartitionKey:
        return tuple(_text_of(record.get(name)) for name in self.partition_fields)

    def _quiet_partitioned(self, item: QuietEvents, log_group: str) -> None:
        keys = item.keys
        assert keys is not None  # the reader was given the partition fields
        runs: dict[PartitionKey, list[int]] = {}
        for key, timestamp in zip(keys, item.timestamps, strict=True):
            runs.setdefault(key, []).append(timestamp)
        for key, timestamps in runs.items():
            self._replay(key).add_unmatched(timestamps, log_group)

    def _collect(self, replay: Replay, item: SourceEvent, event: LogEvent, log_group: str, key: PartitionKey) -> None:
        assert self.evidence is not None and item.timestamp_ms is not None
        watched = self.watched.get(log_group)
        if watched is None:
            return
        timestamp = item.timestamp_ms
        if (replay.start_ms is not None and timestamp < replay.start_ms) or (
            replay.end_ms is not None and timestamp >= replay.end_ms
        ):
            return
        if watched.matches(event):
            self.evidence.append(EvidenceEvent(item.message, item.record, timestamp, log_group, key))


_PROGRESS_EVERY: Final = 2048


def _text_of(value: object) -> str | None:
    return value if type(value) is str else None
