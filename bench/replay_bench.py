"""Replay throughput, CPU time and peak memory: the fast exact feed against a floor, the strongest hand-written
loop and the full path, then the same replay on every core and on Ray, all in one run.

    python bench/replay_bench.py [--size-gb 1.0] [--seed 1] [--repeat 1] [--copies 6] [--workdir DIR] [--skip-ray]

Two archives, built once in the work folder (outside the repository):

- the *real-records archive*: the real corpus's own files (``../shared/data/cloudtrail``, byte for byte, its
  odd shapes and bad records included) copied ``--copies`` times: about 204,000 records in small files;
- the *1 GiB archive* (``make_archive.py``): corpus records resampled into 5-minute CloudTrail delivery files of
  500 to 3,500 records over 75 days.

Each measurement is a child process of its own, timed from the outside by GNU time (``/usr/bin/time``: wall
time, user + system CPU time, peak RSS):

(a) gunzip alone, zlib-ng: the floor no replay can beat; with the standard library's zlib and with ISA-L
    (``pip install isal``; skipped without it) for comparison;
(b) the strongest hand-written loop: zlib-ng, msgspec decoding the fields the 15 CIS conditions read into typed
    Structs, the 15 conditions as plain Python; (b2) ``orjson.loads`` and dicts, (b3) ``json.loads``;
(c) ``trailguard replay --feed full --jobs 1``: the full path (every record parsed and written as its message);
(d) ``trailguard replay --feed fast --jobs 1``, ``--cis all`` and ``--cis 4.6``;
(e) the feed stage alone, in a child that runs ``run_replay`` itself and times reading (the feed), alarm
    evaluation and writing the report separately (CPU seconds of this process);
(f) ``--jobs`` 1, 2, ... up to the usable cores: wall time, the driver's CPU, the workers' CPU (summed over
    chunks) and each worker's peak memory;
(g) Ray in local mode (``ray.init(num_cpus=N)``, the optional extra): the same chunks as Ray tasks; start-up,
    wall time, and the overhead per task (wall time x workers minus the tasks' own time, per task).

The machine may be shared: CPU time is printed next to wall time, and the load average before and after. The
tables at the end are the README's Speed section. MB are 10**6 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson
from zlib_ng import zlib_ng

from make_archive import describe, ensure_archive
from pattern_bench import CIS_VERSION, DEFAULT_CORPUS, hand_written_15

DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "trailguard-bench"
CIS_46 = 5  # position of control 4.6 among the 15, in hand_written_15's order (the catalog's)
MB = 1e6
GNU_TIME = "/usr/bin/time"


# ---------------------------------------------------------------- the children: floors and hand-written loops


def archive_files(sources: Sequence[str]) -> list[str]:
    """The files under ``sources``, in the sorted order trailguard walks folders (hidden and digest files left out)."""
    files: list[str] = []
    for source in sources:
        if os.path.isfile(source):
            files.append(source)
            continue
        for folder, subfolders, names in os.walk(source):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            files.extend(
                os.path.join(folder, name)
                for name in sorted(names)
                if not name.startswith(".") and "CloudTrail-Digest" not in name
            )
    return files


def read_file(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def _inflate(data: bytes, decompress: Callable[..., bytes]) -> bytes:
    return decompress(data, wbits=31) if data.startswith(b"\x1f\x8b") else data


def gunzip_only(files: list[str], decompress: Callable[..., bytes]) -> dict[str, Any]:
    decompressed = sum(len(_inflate(read_file(path), decompress)) for path in files)
    return {"files": len(files), "decompressed": decompressed}


def isal_gunzip(files: list[str]) -> dict[str, Any]:
    from isal import isal_zlib

    return gunzip_only(files, isal_zlib.decompress)


class _Identity(msgspec.Struct, gc=False):
    type: Any = msgspec.UNSET
    invokedBy: Any = msgspec.UNSET  # the JSON key


class _Extra(msgspec.Struct, gc=False):
    MFAUsed: Any = msgspec.UNSET


class _Record(msgspec.Struct, gc=False):
    eventName: Any = None
    eventSource: Any = None
    errorCode: Any = None
    errorMessage: Any = None
    sourceIPAddress: Any = None
    eventType: Any = None
    userIdentity: _Identity | list[Any] | str | int | float | bool | None = None
    additionalEventData: _Extra | list[Any] | str | int | float | bool | None = None


class _Delivery(msgspec.Struct, gc=False):
    Records: list[_Record]


def _as_dict(record: _Record) -> dict[str, Any]:
    """The fields hand_written_15 reads, as the dict it expects (absent invokedBy stays absent)."""
    identity = record.userIdentity
    extra = record.additionalEventData
    return {
        "eventName": record.eventName,
        "eventSource": record.eventSource,
        "errorCode": record.errorCode,
        "errorMessage": record.errorMessage,
        "sourceIPAddress": record.sourceIPAddress,
        "eventType": record.eventType,
        "userIdentity": (
            {
                key: value
                for key, value in (("type", identity.type), ("invokedBy", identity.invokedBy))
                if value is not msgspec.UNSET
            }
            if isinstance(identity, _Identity)
            else identity
        ),
        "additionalEventData": (
            ({} if extra.MFAUsed is msgspec.UNSET else {"MFAUsed": extra.MFAUsed})
            if isinstance(extra, _Extra)
            else extra
        ),
    }


def hand_written(files: list[str], records_of: Callable[[bytes], list[Any]]) -> dict[str, Any]:
    counts = [0] * 15
    records = 0
    for path in files:
        for record in records_of(_inflate(read_file(path), zlib_ng.decompress)):
            records += 1
            for i, hit in enumerate(hand_written_15(record) if isinstance(record, dict) else ()):
                if hit:
                    counts[i] += 1
    return {"files": len(files), "records": records, "matches": counts}


_DELIVERY = msgspec.json.Decoder(_Delivery)
_ARRAY = msgspec.json.Decoder(list[_Record])
_ONE = msgspec.json.Decoder(_Record)


def msgspec_records(data: bytes) -> list[dict[str, Any]]:
    """The records of any shape the corpus holds ({"Records": [...]}, an array, one record, JSON lines)."""
    for decoder in (_DELIVERY, _ARRAY, _ONE):
        try:
            found = decoder.decode(data)
        except msgspec.ValidationError:
            continue
        except msgspec.DecodeError:
            break
        records = found.Records if isinstance(found, _Delivery) else found if isinstance(found, list) else [found]
        return [_as_dict(record) for record in records]
    lines = [line for line in data.splitlines() if line.strip()]
    return [record for line in lines if len(lines) > 1 for record in msgspec_records(line)]


def orjson_records(data: bytes, loads: Callable[[bytes], Any] = orjson.loads) -> list[Any]:
    try:
        found = loads(data)
    except ValueError:
        lines = [line for line in data.splitlines() if line.strip()]
        return [record for line in lines if len(lines) > 1 for record in orjson_records(line, loads)]
    if isinstance(found, dict):
        return found["Records"] if isinstance(found.get("Records"), list) else [found]
    return found if isinstance(found, list) else []


CHILDREN: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "gunzip": lambda files: gunzip_only(files, zlib_ng.decompress),
    "gunzip-zlib": lambda files: gunzip_only(files, zlib.decompress),
    "gunzip-isal": isal_gunzip,
    "msgspec": lambda files: hand_written(files, msgspec_records),
    "orjson": lambda files: hand_written(files, orjson_records),
    "json": lambda files: hand_written(files, lambda data: orjson_records(data, json.loads)),
}


# ---------------------------------------------------------------- the children: the replay in-process


def feed_child(options: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    """One replay run by ``run_replay`` in this process, timed by stage (CPU of this process and, for workers,
    of their chunks)."""
    started_cpu = time.process_time()
    from trailguard.cli.options import load_monitors
    from trailguard.cli.replay_report import InputSummary, write_replay_document
    from trailguard.scale import ReplayPlan, run_replay
    from trailguard.sources import AwsOptions, Quarantine, SourceStats

    config = load_monitors(None, options["cis"], CIS_VERSION)
    plan = ReplayPlan(
        tuple(config.metric_filters),
        tuple(config.alarms),
        region=config.region,
        account_id=config.account_id,
        fast=options["feed"] == "fast",
    )
    group = config.metric_filters[0].log_group_name
    executor = None
    ray_started = 0.0
    jobs = options["jobs"]
    if options.get("ray"):
        from trailguard.scale.ray_run import connect, ray_executor

        began = time.perf_counter()
        connect(num_cpus=jobs)
        ray_started = time.perf_counter() - began
        executor = ray_executor()
    startup_cpu = time.process_time() - started_cpu
    stats = SourceStats()
    feed_cpu, feed_wall = time.process_time(), time.perf_counter()
    with Quarantine(Path(options["quarantine"])) as quarantine:
        outcome = run_replay(
            plan,
            [(source, group) for source in sources],
            quarantine,
            AwsOptions(),
            stats,
            make_replay=plan.new_replay,
            jobs=jobs,
            executor=executor,
        )
    feed_cpu, feed_wall = time.process_time() - feed_cpu, time.perf_counter() - feed_wall
    finish_cpu = time.process_time()
    result = (outcome.replays.get(()) or plan.new_replay()).finish()
    finish_cpu = time.process_time() - finish_cpu
    report_cpu = time.process_time()
    with open(os.devnull, "wb") as sink:
        write_replay_document(sink, result, InputSummary(sources, stats, quarantine, None))
    report_cpu = time.process_time() - report_cpu
    workers: dict[int, int] = {}
    for chunk in outcome.chunk_results:
        workers[chunk.worker] = max(workers.get(chunk.worker, 0), chunk.peak_rss)
    if options.get("ray"):
        import ray

        ray.shutdown()
    return {
        "events": stats.events,
        "startup_cpu": startup_cpu,
        "feed_cpu": feed_cpu,
        "feed_wall": feed_wall,
        "workers_cpu": sum(chunk.cpu_seconds for chunk in outcome.chunk_results),
        "tasks_wall": sum(chunk.wall_seconds for chunk in outcome.chunk_results),
        "chunks": len(outcome.chunk_results),
        "worker_peak_rss": sorted(workers.values()),
        "finish_cpu": finish_cpu,
        "report_cpu": report_cpu,
        "ray_start": ray_started,
        "matched": [f.counters.matched for f in result.filters],
        "transitions": sum(len(a.evaluator.transitions) for a in result.alarms),
        "rerun": outcome.rerun,
    }


# ---------------------------------------------------------------- measuring a child


@dataclass(frozen=True, slots=True)
class Measurement:
    label: str
    seconds: float  # best wall time over the repeats
    cpu: float  # user + system CPU of that run
    peak_rss: int  # bytes; the highest over the repeats
    output: bytes  # the child's standard output (of the best repeat)


def run_child(label: str, command: list[str], workdir: Path, repeat: int) -> Measurement:
    """Run ``command`` ``repeat`` times under GNU time, which reports the wall time, CPU time and peak RSS of that
    command alone.

    Not ``wait4``/``getrusage`` on a child of this process: Linux starts an exec'd child's ``ru_maxrss`` at
    the RSS of the process it was forked or vfork-spawned from, so every child would report at least this
    process's own peak (measured: ``python -c pass`` spawned by a 500 MB parent reports 510 MB). GNU time is
    a ~2 MB process that forks the command itself, so the command's figure is clean.
    """
    out_path, err_path, rss_path = workdir / "child.stdout", workdir / "child.stderr", workdir / "child.rss"
    timed = [GNU_TIME, "-f", "%e %U %S %M", "-o", str(rss_path), *command]
    best: Measurement | None = None
    peak = 0
    for _ in range(repeat):
        redirect = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        pid = os.posix_spawn(
            GNU_TIME,
            timed,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 1, str(out_path), redirect, 0o644),
                (os.POSIX_SPAWN_OPEN, 2, str(err_path), redirect, 0o644),
            ],
        )
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors = err_path.read_text(errors="replace")[-2000:]
            raise SystemExit(f"{label}: {' '.join(command[:6])} ... exited with {code}\n{errors}")
        wall, user, system, rss = rss_path.read_text().split()[-4:]
        peak = max(peak, int(rss) * 1024)  # %M: kilobytes
        if best is None or float(wall) < best.seconds:
            best = Measurement(label, float(wall), float(user) + float(system), 0, out_path.read_bytes())
    assert best is not None
    return Measurement(best.label, best.seconds, best.cpu, peak, best.output)


def bench_child(mode: str, sources: Sequence[str]) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", mode, *sources]


def feed_command(options: dict[str, Any], sources: Sequence[str]) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--feed-child", json.dumps(options), *sources]


def replay_command(sources: Sequence[str], cis: str, feed: str, workdir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "trailguard",
        "replay",
        *sources,
        "--cis",
        cis,
        "--cis-version",
        CIS_VERSION,
        "--output",
        "json",
        "--quarantine",
        str(workdir / "quarantine.jsonl"),
        "--no-progress",
        "--feed",
        feed,
        "--jobs",
        "1",
    ]


# ---------------------------------------------------------------- the archives


@dataclass(frozen=True, slots=True)
class Archive:
    name: str
    sources: list[str]
    files: int
    compressed: int
    records: int


def real_records_archive(workdir: Path, corpus: Path, copies: int) -> Archive:
    """The corpus's own files copied ``copies`` times (byte for byte) under ``workdir``: real records, real file
    shapes and sizes, real bad records."""
    root = workdir / f"real-records-x{copies}"
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        for copy in range(copies):
            shutil.copytree(corpus, root / f"copy-{copy}", ignore=shutil.ignore_patterns("*.md", "MANIFEST.json"))
        done.write_text("complete\n")
    files = archive_files([str(root)])
    return Archive("real-records", [str(root)], len(files), sum(os.path.getsize(p) for p in files), 0)


# ---------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    wall: float
    cpu: float
    events: int
    peak_rss: int
    note: str = ""


def print_rows(title: str, rows: list[Row], floor: float, baseline: float) -> None:
    print(f"\n{title}")
    print(
        f"  {'run':<58}{'wall s':>8}{'CPU s':>8}{'events':>11}{'events/s':>10}{'per CPU-s':>11}"
        f"{'RSS MB':>8}{'vs (a)':>8}{'vs (b)':>8}"
    )
    for row in rows:
        per_cpu = row.events / row.cpu if row.cpu else 0.0
        print(
            f"  {row.label:<58}{row.wall:>8.2f}{row.cpu:>8.2f}{row.events:>11,}{row.events / row.wall:>10,.0f}"
            f"{per_cpu:>11,.0f}{row.peak_rss / MB:>8.1f}{per_cpu / floor:>7.2f}x{per_cpu / baseline:>7.2f}x"
            + (f"  {row.note}" if row.note else "")
        )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"default {DEFAULT_WORKDIR}")
    parser.add_argument("--archive", type=Path, help="archive folder (default: WORKDIR/archive-<size>gib-seed<seed>)")
    parser.add_argument("--size-gb", type=float, default=1.0, help="GiB of gzip, when the archive is built")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=6, help="copies of the corpus in the real-records archive")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-ray", action="store_true", help="leave out the Ray run")
    parser.add_argument("--child", nargs="+", metavar=("MODE", "SOURCE"), help=argparse.SUPPRESS)
    parser.add_argument("--feed-child", nargs="+", metavar=("OPTIONS", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *sources = args.child
        sys.stdout.write(json.dumps(CHILDREN[mode](archive_files(sources))))
        return 0
    if args.feed_child:
        options, *sources = args.feed_child
        sys.stdout.write(json.dumps(feed_child(json.loads(options), sources)))
        return 0
    if not os.access(GNU_TIME, os.X_OK):
        parser.error(f"{GNU_TIME} (GNU time) is needed to measure each run's peak RSS: apt-get install time")
    if not args.corpus.is_dir():
        parser.error(f"the real corpus is needed: {args.corpus} (--corpus)")

    cores = usable_cores()
    print(f"python {platform.python_version()}, {cores} usable cores; CIS {CIS_VERSION}; best of {args.repeat}")
    print(f"load average before: {load_average()}")
    archive_path: Path = args.archive or args.workdir / f"archive-{args.size_gb:g}gib-seed{args.seed}"
    started = time.perf_counter()
    manifest, built = ensure_archive(archive_path, args.size_gb, args.seed, args.corpus)
    how = f"built in {time.perf_counter() - started:.1f} s" if built else "reused"
    print(f"1 GiB archive {archive_path} ({how}): {describe(manifest)}")
    big_files = archive_files([str(archive_path / "AWSLogs")])
    big = Archive(
        "1 GiB", [str(archive_path / "AWSLogs")], len(big_files), manifest["compressed_bytes"], manifest["records"]
    )
    real = real_records_archive(args.workdir, args.corpus, args.copies)
    print(f"real-records archive: the corpus x{args.copies}: {real.files:,} files, {real.compressed / MB:.1f} MB")
    runs = args.workdir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for archive in (big, real):  # warm the page cache, so that no run pays for the disk and the others not
        for path in archive_files(archive.sources):
            read_file(path)

    def child(label: str, mode: str, archive: Archive) -> Measurement:
        print(f"  {label} ...", flush=True)
        return run_child(label, bench_child(mode, archive.sources), runs, args.repeat)

    def feed(label: str, archive: Archive, **options: Any) -> tuple[Measurement, dict[str, Any]]:
        print(f"  {label} ...", flush=True)
        settings = {"cis": "all", "feed": "fast", "jobs": 1, "quarantine": str(runs / "quarantine.jsonl"), **options}
        measured = run_child(label, feed_command(settings, archive.sources), runs, args.repeat)
        return measured, json.loads(measured.output)

    def replay(label: str, archive: Archive, cis: str, mode: str) -> tuple[Measurement, dict[str, Any]]:
        print(f"  {label} ...", flush=True)
        measured = run_child(label, replay_command(archive.sources, cis, mode, runs), runs, args.repeat)
        return measured, orjson.loads(measured.output)

    tables: dict[str, list[Row]] = {}
    figures: dict[str, Any] = {}
    for archive in (real, big):
        print(f"\nmeasuring on the {archive.name} archive (each run a child process):", flush=True)
        floor = child("(a) gunzip alone, zlib-ng", "gunzip", archive)
        zlib_m = child("(a2) gunzip alone, the standard library's zlib", "gunzip-zlib", archive)
        try:
            import isal  # noqa: F401

            isal_m: Measurement | None = child("(a3) gunzip alone, ISA-L", "gunzip-isal", archive)
        except ImportError:
            isal_m = None
        strongest = child("(b) hand-written: zlib-ng + msgspec Structs + 15 conditions", "msgspec", archive)
        hand_orjson = child("(b2) hand-written: orjson dicts + 15 conditions", "orjson", archive)
        hand = json.loads(strongest.output)
        c_m, c_doc = replay("(c) replay --cis all --feed full --jobs 1 (the full path)", archive, "all", "full")
        d_m, d_doc = replay("(d) replay --cis all --feed fast --jobs 1", archive, "all", "fast")
        d46_m, d46_doc = replay("(d46) replay --cis 4.6 --feed fast --jobs 1", archive, "4.6", "fast")
        events = d_doc["input"]["events"]
        fast_feed_m, fast_feed = feed("(e) feed stage, fast", archive)
        full_feed_m, full_feed = feed("(e2) feed stage, full", archive, feed="full")
        identical = c_doc == d_doc
        rows = [
            Row("(a) gunzip alone, zlib-ng: the floor", floor.seconds, floor.cpu, hand["records"], floor.peak_rss),
            Row(
                "(a2) gunzip alone, standard-library zlib", zlib_m.seconds, zlib_m.cpu, hand["records"], zlib_m.peak_rss
            ),
        ]
        if isal_m is not None:
            rows.append(Row("(a3) gunzip alone, ISA-L", isal_m.seconds, isal_m.cpu, hand["records"], isal_m.peak_rss))
        rows += [
            Row(
                "(b) hand-written: msgspec Structs + 15 conditions",
                strongest.seconds,
                strongest.cpu,
                hand["records"],
                strongest.peak_rss,
            ),
            Row(
                "(b2) hand-written: orjson dicts + 15 conditions",
                hand_orjson.seconds,
                hand_orjson.cpu,
                json.loads(hand_orjson.output)["records"],
                hand_orjson.peak_rss,
            ),
            Row("(c) trailguard replay --cis all, full path", c_m.seconds, c_m.cpu, events, c_m.peak_rss),
            Row("(d) trailguard replay --cis all, fast feed", d_m.seconds, d_m.cpu, events, d_m.peak_rss),
            Row("(d46) trailguard replay --cis 4.6, fast feed", d46_m.seconds, d46_m.cpu, events, d46_m.peak_rss),
            Row(
                "(e) feed stage alone, fast (CPU of the stage)",
                fast_feed["feed_wall"],
                fast_feed["feed_cpu"],
                fast_feed["events"],
                fast_feed_m.peak_rss,
            ),
            Row(
                "(e2) feed stage alone, full path",
                full_feed["feed_wall"],
                full_feed["feed_cpu"],
                full_feed["events"],
                full_feed_m.peak_rss,
            ),
        ]
        floor_rate = hand["records"] / floor.cpu
        tables[archive.name] = rows
        print_rows(
            f"{archive.name} archive ({archive.files:,} files, {archive.compressed / MB:,.1f} MB gzip)",
            rows,
            floor_rate,
            hand["records"] / strongest.cpu,
        )
        outside = fast_feed["startup_cpu"] + fast_feed["finish_cpu"] + fast_feed["report_cpu"]
        total = outside + fast_feed["feed_cpu"]
        print(
            f"  start-up {fast_feed['startup_cpu']:.2f} s + alarm evaluation {fast_feed['finish_cpu']:.2f} s + report "
            f"{fast_feed['report_cpu']:.2f} s = {outside / total:.1%} of the fast replay's {total:.1f} CPU-s; "
            f"feed stage fast vs full: {fast_feed['events'] / fast_feed['feed_cpu']:,.0f} vs "
            f"{full_feed['events'] / full_feed['feed_cpu']:,.0f} events per CPU-second "
            f"({full_feed['feed_cpu'] / fast_feed['feed_cpu']:.2f}x)"
        )
        checks = {"(c) and (d) write the same JSON document": identical}
        if archive is big:  # the real records include some the replay sets aside, which the loops count
            checks["the 15 matches: (b) = (d)"] = hand["matches"] == [f["matched"] for f in d_doc["filters"]]
            checks["CIS 4.6: (b) = (d46)"] = hand["matches"][CIS_46] == d46_doc["filters"][0]["matched"]
        for text, ok in checks.items():
            print(f"  {'OK  ' if ok else 'FAIL'} {text}")
        figures[archive.name] = {
            "fast_feed": fast_feed,
            "full_feed": full_feed,
            "checks": checks,
            "outside": outside,
            "total": total,
        }

    print(f"\n--jobs on the 1 GiB archive (fast feed; CPU: driver + workers' chunks), load average {load_average()}:")
    jobs_rows = []
    single_wall = None
    for jobs in range(1, cores + 1):
        measured, found = feed(f"--jobs {jobs}", big, jobs=jobs)
        cpu = found["feed_cpu"] + found["workers_cpu"]
        single_wall = single_wall or found["feed_wall"]
        rss = max(found["worker_peak_rss"], default=measured.peak_rss)
        jobs_rows.append((jobs, found, cpu, rss))
        print(
            f"  --jobs {jobs}: feed wall {found['feed_wall']:.1f} s ({single_wall / found['feed_wall']:.2f}x), CPU "
            f"{cpu:.1f} s (driver {found['feed_cpu']:.1f} s), {found['chunks']} chunks, per worker peak RSS "
            f"{', '.join(f'{r / MB:.0f} MB' for r in found['worker_peak_rss']) or 'n/a'}"
            + (f"; rerun: {found['rerun']}" if found["rerun"] else "")
        )
    ray_found = None
    if not args.skip_ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("\nRay: not installed (pip install 'trailguard[ray]'); skipped")
        else:
            measured, ray_found = feed(f"Ray local, {cores} CPUs", big, jobs=cores, ray=True)
            per_task = (ray_found["feed_wall"] * cores - ray_found["tasks_wall"]) / max(ray_found["chunks"], 1)
            print(
                f"\nRay in local mode ({cores} CPUs): start {ray_found['ray_start']:.1f} s, feed wall "
                f"{ray_found['feed_wall']:.1f} s, {ray_found['chunks']} tasks, their own time "
                f"{ray_found['tasks_wall']:.1f} s; overhead per task {per_task:.2f} s (wall x CPUs - tasks' time, "
                f"per task); same matches as --jobs 1: {ray_found['matched'] == jobs_rows[0][1]['matched']}"
            )
    print(f"\nload average after: {load_average()}")
    print("\nREADME tables (Speed):\n")
    for name, rows in tables.items():
        print(f"{name} archive:\n")
        print("| run | wall s | CPU s | events per CPU-second | peak RSS |")
        print("|---|---:|---:|---:|---:|")
        for row in rows:
            print(
                f"| {row.label} | {row.wall:.2f} | {row.cpu:.2f} | {row.events / row.cpu:,.0f} | "
                f"{row.peak_rss / MB:.0f} MB |"
            )
        print()
    print("| --jobs (1 GiB archive, fast feed) | feed wall s | CPU s | worker peak RSS |")
    print("|---|---:|---:|---:|")
    for jobs, found, cpu, rss in jobs_rows:
        print(f"| {jobs} | {found['feed_wall']:.1f} | {cpu:.1f} | {rss / MB:.0f} MB |")
    failures = sum(not ok for figure in figures.values() for ok in figure["checks"].values())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
