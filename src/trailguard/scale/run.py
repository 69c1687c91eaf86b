"""Running a replay over its sources: in this process, in worker processes (``jobs``), or on Ray.

Sequentially, each source is read in turn and fed to the replays as it is read. With more than one job, the
inputs are first listed (folders walked, S3 prefixes listed) and cut into chunks of consecutive inputs
(``chunk_inputs``: hundreds of files each, so that a task is worth sending); each chunk is read by a worker
into replays of its own (``run_chunk``), with its own quarantine and counts, and the driver merges the results
in input order: ``Replay.merge_part`` (exact: multisets of values), ``Quarantine.absorb`` (the same file, line
for line), counts and warnings. Standard input and CloudWatch Logs sources cannot be cut into chunks: the
driver reads them itself, each as one chunk in its place in the order.

The one thing a merge cannot reproduce is the order in which a filter with dimensions meets CloudWatch's limit
on dimension values per hour (the filter is then disabled from that event on). When a worker reached that limit,
or the merged metrics show an hour whose dimension values could have reached it, the replay is run again in
this process and that result is the one reported (``RunOutcome.rerun``): identical results always, and a
slower run only for configurations that produce a thousand dimension values an hour.

Alarms are evaluated by the caller, once, after the merge (``Replay.finish``).
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

from trailguard.engine.aggregates import MINUTE_MS
from trailguard.engine.metrics import HOUR_MS
from trailguard.engine.replay import Replay, ReplayPart
from trailguard.model.constants import MAX_DIMENSION_VALUES_PER_HOUR
from trailguard.pattern import LogEvent, PatternSet, compile_pattern
from trailguard.scale.feed import EvidenceEvent, Feeder, PartitionKey, fast_reader_for
from trailguard.scale.plan import ReplayPlan
from trailguard.sources import AwsOptions, Quarantine, SourceStats
from trailguard.sources.cwlogs import LOGS_SCHEME
from trailguard.sources.dispatch import read_source_items
from trailguard.sources.fastfeed import FastReader, InputDecoder
from trailguard.sources.files import STDIN, InputFile, read_inputs, walk_paths
from trailguard.sources.quarantine import QuarantineSpool
from trailguard.sources.s3 import S3_SCHEME, S3Object, parse_s3_url, read_objects
from trailguard.sources.s3_layout import list_objects_by_prefix

__all__ = [
    "Chunk",
    "ChunkResult",
    "RunOutcome",
    "WorkerLostError",
    "chunk_inputs",
    "merge_stats",
    "run_chunk",
    "run_replay",
    "usable_cores",
]

# A chunk holds at least this many inputs (unless there are fewer), and at most MAX_CHUNK_INPUTS: a task costs
# milliseconds to send and merge, so it must carry far more work than that.
MIN_CHUNK_INPUTS: Final = 100
MAX_CHUNK_INPUTS: Final = 1000
# Chunks per worker, so that one slow chunk does not leave the other workers idle at the end.
_CHUNKS_PER_WORKER: Final = 4

Progress = Callable[[SourceStats], None]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- chunks


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive inputs of one source, for one task: local files (``files``), S3 objects of ``bucket``
    (``objects``), or a whole source only the driver can read (``source``: standard input, CloudWatch Logs)."""

    index: int
    log_group: str
    files: tuple[InputFile, ...] = ()
    bucket: str | None = None
    objects: tuple[S3Object, ...] = ()
    source: str | None = None

    @property
    def size(self) -> int:
        """Stored bytes, as far as known (for the progress total)."""
        return sum(item.size or 0 for item in self.files) + sum(item.size for item in self.objects)


@dataclass(slots=True)
class ChunkResult:
    """What a chunk's task sends back: replay parts by partition key, counts, quarantine, evidence."""

    index: int
    parts: dict[PartitionKey, ReplayPart]
    stats: SourceStats
    quarantine: QuarantineSpool
    evidence: list[EvidenceEvent]
    cpu_seconds: float
    wall_seconds: float
    worker: int  # the process id of the worker that read it
    peak_rss: int  # that worker's peak resident memory so far, in bytes (0 where the system does not say)


def chunk_inputs(
    items: Sequence[Any], workers: int, first_index: int, make: Callable[[int, Sequence[Any]], Chunk]
) -> list[Chunk]:
    """Cut ``items`` (in order) into chunks of about equal stored size: ``_CHUNKS_PER_WORKER`` per worker, each
    of ``MIN_CHUNK_INPUTS`` to ``MAX_CHUNK_INPUTS`` inputs."""
    if not items:
        return []
    total = sum(_size(item) for item in items)
    target = max(total // max(workers * _CHUNKS_PER_WORKER, 1), 1)
    chunks: list[Chunk] = []
    start = 0
    held = 0
    for position, item in enumerate(items):
        held += _size(item)
        count = position + 1 - start
        if count >= MAX_CHUNK_INPUTS or (count >= MIN_CHUNK_INPUTS and held >= target):
            chunks.append(make(first_index + len(chunks), items[start : position + 1]))
            start, held = position + 1, 0
    if start < len(items):
        chunks.append(make(first_index + len(chunks), items[start:]))
    return chunks


def _size(item: Any) -> int:
    size = getattr(item, "size", None)
    return size if isinstance(size, int) else 0


def plan_chunks(
    sources: Sequence[tuple[str, str]],
    aws: AwsOptions,
    workers: int,
    list_s3: Callable[[Any, Any], list[S3Object]] | None = None,
) -> list[Chunk]:
    """Every source as chunks, in reading order: folders walked, S3 prefixes listed (``list_s3(client,
    location)``, ``list_objects_by_prefix`` by default), standard input and CloudWatch Logs left whole."""
    chunks: list[Chunk] = []
    for source, group in sources:
        if source == STDIN or source.startswith(LOGS_SCHEME):
            chunks.append(Chunk(len(chunks), group, source=source))
        elif source.startswith(S3_SCHEME):
            location = parse_s3_url(source)
            objects = (list_s3 or _list_all)(aws.client("s3"), location)

            def s3_chunk(
                index: int, part: Sequence[Any], *, bucket: str = location.bucket, group: str = group
            ) -> Chunk:
                return Chunk(index, group, bucket=bucket, objects=tuple(part))

            chunks.extend(chunk_inputs(objects, workers, len(chunks), s3_chunk))
        else:

            def file_chunk(index: int, part: Sequence[Any], *, group: str = group) -> Chunk:
                return Chunk(index, group, files=tuple(part))

            chunks.extend(chunk_inputs(list(walk_paths([source])), workers, len(chunks), file_chunk))
    return chunks


def _list_all(client: Any, location: Any) -> list[S3Object]:
    return list_objects_by_prefix(client, location)


# ---------------------------------------------------------------- a chunk's task


@dataclass(frozen=True, slots=True)
class TaskContext:
    """What every task of a run shares: the plan, AWS options, whether the run keeps a quarantine file (tasks
    then spool their entries to a temporary file and send its lines back), and the run's quarantine file
    identity (so that a task never reads it as input)."""

    plan: ReplayPlan
    aws: AwsOptions
    keeps_quarantine_file: bool
    quarantine_identity: tuple[int, int] | None


# Built once per worker process and reused by every chunk it reads: the fast readers (msgspec types, prefilters),
# by what they depend on. Compiled patterns are cached by compile_pattern itself.
_READERS: dict[tuple[tuple[str, ...], tuple[str, ...], bool], FastReader | None] = {}


def run_chunk(context: TaskContext, chunk: Chunk) -> ChunkResult:
    """Read one chunk into replays of its own: the task a worker process or a Ray task runs."""
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trailguard-chunk-") as folder:
        spool_path = Path(folder) / "quarantine.jsonl" if context.keeps_quarantine_file else None
        quarantine = Quarantine(spool_path, spool=True)
        quarantine.identity = context.quarantine_identity
        return _read_chunk(context, chunk, quarantine, started_cpu, started_wall)


def _read_chunk(
    context: TaskContext, chunk: Chunk, quarantine: Quarantine, started_cpu: float, started_wall: float
) -> ChunkResult:
    plan = context.plan
    stats = SourceStats()
    feeder = _feeder(plan, collect_evidence=plan.evidence)
    decoder = _decoder(plan, chunk.log_group)
    items: Iterator[Any]
    if chunk.source is not None:
        items = read_source_items([chunk.source], quarantine, aws=context.aws, stats=stats, decoder=decoder)
    elif chunk.bucket is not None:
        client = context.aws.client("s3")
        items = read_objects(client, chunk.bucket, chunk.objects, quarantine, stats=stats, decoder=decoder)
    else:
        items = read_inputs(chunk.files, quarantine, stats=stats, decoder=decoder)
    feeder.feed(items, chunk.log_group)
    parts = {key: replay.part() for key, replay in feeder.replays.items()}
    return ChunkResult(
        chunk.index,
        parts,
        stats,
        quarantine.spool(),
        feeder.evidence or [],
        time.process_time() - started_cpu,
        time.perf_counter() - started_wall,
        os.getpid(),
        _peak_rss(),
    )


def _peak_rss() -> int:
    try:
        import resource
    except ImportError:  # not on a POSIX system
        return 0
    # Linux counts kilobytes (macOS bytes; trailguard's benchmarks run on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _decoder(plan: ReplayPlan, log_group: str) -> InputDecoder | None:
    patterns = tuple(f.filter_pattern for f in plan.filters if f.log_group_name == log_group)
    key = (patterns, plan.partition_fields, plan.fast)
    if key not in _READERS:
        if len(_READERS) > 64:
            _READERS.clear()
        _READERS[key] = fast_reader_for(plan, log_group)
    reader = _READERS[key]
    return None if reader is None else reader.decode_input


def _feeder(
    plan: ReplayPlan,
    *,
    collect_evidence: bool,
    replays: dict[PartitionKey, Replay] | None = None,
    make_replay: Callable[[], Replay] | None = None,
) -> Feeder:
    feeder = Feeder(
        replays if replays is not None else {},
        make_replay or plan.new_replay,
        plan.partition_fields,
        [] if collect_evidence else None,
    )
    if collect_evidence:
        watched = {(alarm.namespace, alarm.metric_name) for alarm in plan.alarms}
        by_group: dict[str, list[str]] = {}
        for definition in plan.filters:
            transformation = definition.metric_transformation
            if (transformation.metric_namespace, transformation.metric_name) in watched:
                by_group.setdefault(definition.log_group_name, []).append(definition.filter_pattern)
        feeder.watched = {
            group: PatternSet([compile_pattern(text) for text in texts]) for group, texts in by_group.items()
        }
    return feeder


# ---------------------------------------------------------------- running


@dataclass(slots=True)
class RunOutcome:
    """How a run went: the replays by partition key (``()`` when not partitioned), and what the run did."""

    replays: dict[PartitionKey, Replay]
    jobs: int = 1
    chunks: int = 0
    rerun: str | None = None  # why the replay was run again sequentially, when it was
    chunk_results: list[ChunkResult] = field(default_factory=list)


def run_replay(
    plan: ReplayPlan,
    sources: Sequence[tuple[str, str]],
    quarantine: Quarantine,
    aws: AwsOptions,
    stats: SourceStats,
    *,
    make_replay: Callable[[], Replay],
    jobs: int = 1,
    progress: Progress | None = None,
    executor: Callable[[TaskContext, list[Chunk], Callable[[ChunkResult], None]], None] | None = None,
    list_s3: Callable[[Any, Any], list[S3Object]] | None = None,
) -> RunOutcome:
    """Read ``sources`` (each with its log group) into replays made by ``make_replay`` (the driver's own kind:
    an ``EvidenceReplay`` for ``--notify``), with ``jobs`` worker processes, or with ``executor`` (Ray: see
    ``trailguard.scale.ray_run``), which runs the chunks and hands each result to its callback in any order."""
    if jobs <= 1 and executor is None:
        return RunOutcome(_sequential(plan, sources, quarantine, aws, stats, make_replay, progress))
    workers = jobs if executor is None else max(jobs, 1)
    # Every source string is checked before anything is listed or read, as a sequential run checks them.
    read_source_items([source for source, _ in sources], quarantine, aws=aws)
    chunks = plan_chunks(sources, aws, workers, list_s3)
    if executor is None and sum(1 for chunk in chunks if chunk.source is None) <= 1:
        # One chunk (or none) to farm out: a worker process would only add its start-up.
        alone = _sequential(plan, sources, quarantine, aws, stats, make_replay, progress)
        return RunOutcome(alone, jobs=1, chunks=len(chunks))
    context = TaskContext(plan, aws, quarantine.path is not None, quarantine.identity)
    results = _run_chunks(context, chunks, jobs, executor, stats, progress)
    replays: dict[PartitionKey, Replay] = {}
    merged_stats = SourceStats()
    for result in results:
        _merge(result, replays, make_replay, quarantine, merged_stats, plan.evidence)
    merge_stats(stats, merged_stats)
    outcome = RunOutcome(replays, jobs=workers, chunks=len(chunks), chunk_results=results)
    problem = dimension_limit_problem(replays.values(), results)
    if problem is not None:
        # Only the replays are read again: the quarantine and the counts of what was read stand.
        outcome.replays = _sequential(plan, sources, Quarantine(None), aws, SourceStats(), make_replay, None)
        outcome.rerun = problem
    return outcome


def _sequential(
    plan: ReplayPlan,
    sources: Sequence[tuple[str, str]],
    quarantine: Quarantine,
    aws: AwsOptions,
    stats: SourceStats,
    make_replay: Callable[[], Replay],
    progress: Progress | None,
) -> dict[PartitionKey, Replay]:
    replays: dict[PartitionKey, Replay] = {}
    feeder = _feeder(plan, collect_evidence=False, replays=replays, make_replay=make_replay)
    # Every source string is checked before anything is read.
    streams = [
        (group, read_source_items([source], quarantine, aws=aws, stats=stats, decoder=_decoder(plan, group)))
        for source, group in sources
    ]
    report = (lambda _: progress(stats)) if progress is not None else None
    for group, items in streams:
        feeder.feed(items, group, report)
    return replays


def _run_chunks(
    context: TaskContext,
    chunks: list[Chunk],
    jobs: int,
    executor: Callable[[TaskContext, list[Chunk], Callable[[ChunkResult], None]], None] | None,
    stats: SourceStats,
    progress: Progress | None,
) -> list[ChunkResult]:
    """Every chunk's result, in chunk order; the driver reads the chunks only it can read while workers run."""
    results: dict[int, ChunkResult] = {}
    seen = SourceStats()
    lock = threading.Lock()  # results arrive on the pool's thread and on this one

    def done(result: ChunkResult) -> None:
        with lock:
            results[result.index] = result
            if progress is not None:
                merge_stats(seen, result.stats)
                progress(seen)

    remote = [chunk for chunk in chunks if chunk.source is None]
    local = [chunk for chunk in chunks if chunk.source is not None]
    if executor is not None:
        for chunk in local:
            done(run_chunk(context, chunk))
        executor(context, remote, done)
    else:
        import multiprocessing

        # forkserver: workers forked from a clean process, not from this one and its threads (the progress bar).
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
        mp_context = multiprocessing.get_context(method)
        if method == "forkserver":
            mp_context.set_forkserver_preload(["trailguard.scale.run"])
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp_context, initializer=_ignore_interrupts)
        try:
            futures = [pool.submit(run_chunk, context, chunk) for chunk in remote]
            for future in futures:
                future.add_done_callback(partial(_deliver, done))
            for chunk in local:
                done(run_chunk(context, chunk))
            for future in futures:
                future.result()  # raises a worker's exception here
        except BrokenProcessPool:
            _stop_workers(pool)
            raise WorkerLostError(
                "a worker process ended without finishing its chunk (killed: out of memory, or by a signal); "
                "run again with fewer --jobs, or --jobs 1"
            ) from None
        except BaseException:
            # Ctrl-C or a worker's error: the other chunks are of no use now, and waiting for the running ones
            # (the executor's own shutdown) could take minutes.
            _stop_workers(pool)
            raise
        pool.shutdown()
    return [results[chunk.index] for chunk in chunks]


class WorkerLostError(RuntimeError):
    """A worker process of a ``jobs`` run ended without a result: the run cannot be completed."""


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: only the driver reports it (and stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _deliver(done: Callable[[ChunkResult], None], future: Future[ChunkResult]) -> None:
    if not future.cancelled() and future.exception() is None:
        done(future.result())


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the worker processes now, not when their chunks are done, and cancel the chunks not started."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
    else:
        # The executor's table of its workers (private, but what 3.14's method ends); emptied by shutdown.
        processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
        for process in list(processes.values()):
            process.terminate()
    # The executor's thread sees its workers gone, fails what was pending and ends: joined here.
    pool.shutdown(wait=True, cancel_futures=True)


def _merge(
    result: ChunkResult,
    replays: dict[PartitionKey, Replay],
    make_replay: Callable[[], Replay],
    quarantine: Quarantine,
    stats: SourceStats,
    evidence: bool,
) -> None:
    for key, part in result.parts.items():
        replay = replays.get(key)
        if replay is None:
            replay = replays[key] = make_replay()
        replay.merge_part(part)
    quarantine.absorb(result.quarantine)
    merge_stats(stats, result.stats)
    if evidence:
        for event in result.evidence:
            target = replays.get(event.partition)
            observe = getattr(getattr(target, "evidence", None), "observe", None)
            if observe is not None:
                observe(LogEvent(event.message, parsed=event.record), event.timestamp_ms, event.log_group)


def merge_stats(into: SourceStats, part: SourceStats) -> None:
    """Add a later part's counts and warnings to ``into`` (the first warnings are kept, all are counted)."""
    into.files_read += part.files_read
    into.files_skipped += part.files_skipped
    into.files_not_regular += part.files_not_regular
    into.bytes_read += part.bytes_read
    into.bytes_decoded += part.bytes_decoded
    into.events += part.events
    before = into.warning_count
    for warning in part.warnings:
        into.warn(warning)
    into.warning_count = before + part.warning_count


def dimension_limit_problem(replays: Iterable[Replay], results: Sequence[ChunkResult]) -> str | None:
    """Why merged replays may differ from one sequential replay on CloudWatch's limit of dimension values per hour
    (None: they cannot). A filter that reached the limit in some chunk, or an hour in which the metrics of filters
    with dimensions hold that many distinct dimension values, could have been disabled at another event."""
    for result in results:
        for part in result.parts.values():
            if any(counters.disabled_at_ms is not None for counters in part.counters):
                return "a metric filter reached the limit of dimension values per hour in one chunk"
    for replay in replays:
        metrics = {
            (f.definition.metric_transformation.metric_namespace, f.definition.metric_transformation.metric_name)
            for f in replay.filters
            if f.definition.metric_transformation.dimensions
        }
        if not metrics:
            continue
        hours: dict[tuple[str, str, int], set[tuple[str, str]]] = {}
        for series in replay.store.series():
            if (series.namespace, series.name) not in metrics or not series.dimensions:
                continue
            for minute, _ in replay.store.buckets(series, -(2**62), 2**62):
                # Every pair counts, system dimensions too: an overestimate, which only costs a rerun.
                pairs = hours.setdefault((series.namespace, series.name, minute * MINUTE_MS // HOUR_MS), set())
                pairs.update(series.dimensions)
                if len(pairs) >= MAX_DIMENSION_VALUES_PER_HOUR:
                    return "the metrics of a filter with dimensions hold the limit of dimension values in one hour"
    return None
