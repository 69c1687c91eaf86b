"""Replay throughput and peak memory over a CloudTrail archive of 1 GiB of gzip, against a floor and a baseline.

    python bench/replay_bench.py [--archive DIR] [--size-gb 1.0] [--seed 1] [--repeat 1] [--workdir DIR]

Builds the archive with ``make_archive.py`` when it is missing (the real corpus resampled with shifted times,
laid out like CloudTrail's S3 delivery), then measures, each run in a child process of its own so that its
peak RSS is its own (reported by GNU time, ``/usr/bin/time``; ``apt-get install time``):

(a) gzip decompression alone over every file: the floor no replay can beat;
(b) a hand-written loop: gzip + ``json.loads`` per file + the 15 CIS conditions as plain Python per record
    (``hand_written_15`` from ``pattern_bench.py``); (b2) the same with ``orjson.loads``, trailguard's parser;
(c) ``trailguard replay ARCHIVE --cis 4.6 --output json``, the real command line;
(d) the same with ``--cis all``;
then (c) and (d) again on the first half of the days, and (c) on the largest and on the smallest file alone,
to show that peak memory follows the largest file and not the archive. Times are wall-clock seconds of the whole child
(interpreter start, reading, matching, alarm evaluation, JSON output); with ``--repeat N`` the best of N.
MB are 10**6 bytes. Generated data stays in the work folder, outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from make_archive import describe, ensure_archive
from pattern_bench import CIS_VERSION, DEFAULT_CORPUS, hand_written_15

DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "trailguard-bench"
CIS_46 = 5  # position of control 4.6 among the 15, in hand_written_15's order (the catalog's)
MB = 1e6


# ---------------------------------------------------------------- the children


def archive_files(sources: Sequence[str]) -> list[str]:
    """The event files under ``sources``, in the sorted order trailguard walks folders."""
    files: list[str] = []
    for source in sources:
        if os.path.isfile(source):
            files.append(source)
            continue
        for folder, subfolders, names in os.walk(source):
            subfolders.sort()
            files.extend(os.path.join(folder, name) for name in sorted(names) if name.endswith(".json.gz"))
    return files


def read_file(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def gunzip_only(files: list[str]) -> dict[str, Any]:
    decompressed = 0
    for path in files:
        # wbits=31: the gzip container, CRC checked; the same inflating every other run pays for.
        decompressed += len(zlib.decompress(read_file(path), wbits=31))
    return {"files": len(files), "decompressed": decompressed}


def hand_written(files: list[str], loads: Callable[[bytes], Any]) -> dict[str, Any]:
    counts = [0] * 15
    records = 0
    for path in files:
        for record in loads(zlib.decompress(read_file(path), wbits=31))["Records"]:
            records += 1
            for i, hit in enumerate(hand_written_15(record)):
                if hit:
                    counts[i] += 1
    return {"files": len(files), "records": records, "matches": counts}


CHILDREN: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "gunzip": gunzip_only,
    "json": lambda files: hand_written(files, json.loads),
    "orjson": lambda files: hand_written(files, orjson.loads),
}


# ---------------------------------------------------------------- measuring a child


@dataclass(frozen=True, slots=True)
class Measurement:
    label: str
    seconds: float  # best wall time over the repeats
    peak_rss: int  # bytes; the highest over the repeats
    output: bytes  # the child's standard output (of the last repeat)


GNU_TIME = "/usr/bin/time"


def run_child(label: str, command: list[str], workdir: Path, repeat: int) -> Measurement:
    """Run ``command`` ``repeat`` times under GNU time, which reports the peak RSS of that command alone.

    Not ``wait4``/``getrusage`` on a child of this process: Linux starts an exec'd child's ``ru_maxrss`` at
    the RSS of the process it was forked or vfork-spawned from, so every child would report at least this
    process's own peak (measured: ``python -c pass`` spawned by a 500 MB parent reports 510 MB). GNU time is
    a ~2 MB process that forks the command itself, so the command's figure is clean.
    """
    out_path, err_path, rss_path = workdir / "child.stdout", workdir / "child.stderr", workdir / "child.rss"
    timed = [GNU_TIME, "-f", "%M", "-o", str(rss_path), *command]
    best, peak, output = float("inf"), 0, b""
    for _ in range(repeat):
        redirect = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        started = time.perf_counter()
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
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors = err_path.read_text(errors="replace")[-2000:]
            raise SystemExit(f"{label}: {' '.join(command[:6])} ... exited with {code}\n{errors}")
        best = min(best, elapsed)
        peak = max(peak, int(rss_path.read_text().split()[-1]) * 1024)  # %M: kilobytes
        output = out_path.read_bytes()
    return Measurement(label, best, peak, output)


def bench_child(mode: str, sources: Sequence[str]) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", mode, *sources]


def replay_command(sources: Sequence[str], cis: str, workdir: Path) -> list[str]:
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
    ]


# ---------------------------------------------------------------- the archive and its subsets


@dataclass(frozen=True, slots=True)
class Subset:
    """Files to read and their sizes; ``decompressed`` comes from each gzip trailer (ISIZE), without inflating."""

    sources: list[str]
    files: int
    compressed: int
    decompressed: int


def measure_files(sources: list[str]) -> Subset:
    files = archive_files(sources)
    compressed = decompressed = 0
    for path in files:
        with open(path, "rb") as stream:
            compressed += stream.seek(0, os.SEEK_END)
            stream.seek(-4, os.SEEK_END)
            decompressed += int.from_bytes(stream.read(4), "little")  # ISIZE: size mod 2**32; files are < 4 GiB
    return Subset(sources, len(files), compressed, decompressed)


def first_half_of_days(logs: Path) -> list[str]:
    """The day folders (``<region>/YYYY/MM/DD``) of the first half of the dates the archive covers."""
    days = sorted(logs.glob("*/CloudTrail/*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]"))
    dates = sorted({day.parts[-3:] for day in days})
    cutoff = dates[len(dates) // 2]
    return [str(day) for day in days if day.parts[-3:] < cutoff]


def warm_page_cache(files: list[str]) -> float:
    """Read every file once, so that no measurement, (a) above all, pays for the disk and the others not."""
    started = time.perf_counter()
    for path in files:
        read_file(path)
    return time.perf_counter() - started


# ---------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Row:
    measurement: Measurement
    subset: Subset
    events: int

    @property
    def rate(self) -> float:
        return self.events / self.measurement.seconds


def print_rows(rows: list[Row], floor: Row, baseline: Row) -> None:
    print(
        f"{'run':<50}{'wall s':>9}{'events':>12}{'events/s':>11}{'gzip MB/s':>11}{'JSON MB/s':>11}"
        f"{'peak RSS MB':>13}{'vs (a)':>9}{'vs (b)':>9}"
    )
    for row in rows:
        m, s = row.measurement, row.subset
        print(
            f"{m.label:<50}{m.seconds:>9.2f}{row.events:>12,}{row.rate:>11,.0f}"
            f"{s.compressed / MB / m.seconds:>11.1f}{s.decompressed / MB / m.seconds:>11.1f}"
            f"{m.peak_rss / MB:>13.1f}{row.rate / floor.rate:>8.2f}x{row.rate / baseline.rate:>8.2f}x"
        )


def replay_figures(document: dict[str, Any]) -> tuple[int, list[int], int]:
    """Events replayed, matches per filter, alarm state transitions."""
    transitions = sum(len(alarm["transitions"]) for alarm in document["alarms"])
    return document["input"]["events"], [f["matched"] for f in document["filters"]], transitions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"default {DEFAULT_WORKDIR}")
    parser.add_argument("--archive", type=Path, help="archive folder (default: WORKDIR/archive-<size>gib-seed<seed>)")
    parser.add_argument("--size-gb", type=float, default=1.0, help="GiB of gzip, when the archive is built")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs="+", metavar=("MODE", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *sources = args.child
        sys.stdout.write(json.dumps(CHILDREN[mode](archive_files(sources))))
        return 0

    if not os.access(GNU_TIME, os.X_OK):
        parser.error(f"{GNU_TIME} (GNU time) is needed to measure each run's peak RSS: apt-get install time")
    archive: Path = args.archive or args.workdir / f"archive-{args.size_gb:g}gib-seed{args.seed}"
    started = time.perf_counter()
    manifest, built = ensure_archive(archive, args.size_gb, args.seed, args.corpus)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; CIS {CIS_VERSION}; best of {args.repeat}")
    how = f"built in {time.perf_counter() - started:.1f} s" if built else "reused"
    print(f"archive {archive} ({how}):")
    print(f"  {describe(manifest)}")
    logs = archive / "AWSLogs"
    full = measure_files([str(logs)])
    half = measure_files(first_half_of_days(logs))
    largest_path = str(archive / manifest["largest_file"]["path"])
    largest = measure_files([largest_path])
    smallest = measure_files([min(archive_files(full.sources), key=os.path.getsize)])
    print(f"  page cache warmed: every file read once in {warm_page_cache(archive_files(full.sources)):.1f} s")
    runs = args.workdir / "runs"
    runs.mkdir(parents=True, exist_ok=True)

    def child(label: str, mode: str) -> Measurement:
        return run_child(label, bench_child(mode, full.sources), runs, args.repeat)

    def replay(label: str, subset: Subset, cis: str) -> tuple[Measurement, dict[str, Any]]:
        measurement = run_child(label, replay_command(subset.sources, cis, runs), runs, args.repeat)
        return measurement, orjson.loads(measurement.output)

    print("\nmeasuring (each run is a child process):", flush=True)
    floor_m = child("(a) gunzip only", "gunzip")
    json_m = child("(b) hand-written: gzip+json.loads+15 conditions", "json")
    orjson_m = child("(b2) hand-written with orjson.loads", "orjson")
    c_m, c_doc = replay("(c) trailguard replay --cis 4.6", full, "4.6")
    d_m, d_doc = replay("(d) trailguard replay --cis all", full, "all")
    ch_m, ch_doc = replay("(c) on the first half of the days", half, "4.6")
    dh_m, dh_doc = replay("(d) on the first half of the days", half, "all")
    c1_m, c1_doc = replay("(c) on the largest file alone", largest, "4.6")
    c0_m, c0_doc = replay("(c) on the smallest file alone", smallest, "4.6")

    hand = json.loads(json_m.output)
    hand_fast = json.loads(orjson_m.output)
    c_events, c_matched, c_transitions = replay_figures(c_doc)
    d_events, d_matched, d_transitions = replay_figures(d_doc)
    floor = Row(floor_m, full, manifest["records"])
    baseline = Row(json_m, full, hand["records"])
    rows = [
        floor,
        baseline,
        Row(orjson_m, full, hand_fast["records"]),
        Row(c_m, full, c_events),
        Row(d_m, full, d_events),
        Row(ch_m, half, replay_figures(ch_doc)[0]),
        Row(dh_m, half, replay_figures(dh_doc)[0]),
        Row(c1_m, largest, replay_figures(c1_doc)[0]),
        Row(c0_m, smallest, replay_figures(c0_doc)[0]),
    ]
    print()
    print_rows(rows, floor, baseline)
    print("  vs (a), vs (b): events/s as a multiple of (a)'s and (b)'s (full archive). The half and single-file rows")
    print("  use their own sizes; single-file rows are mostly interpreter start-up and are there for their RSS.")

    print(f"\nCIS 4.6 matches: (b) {hand['matches'][CIS_46]:,}, (c) {c_matched[0]:,}, (d) {d_matched[CIS_46]:,}")
    print(f"alarm transitions: (c) {c_transitions:,}, (d) {d_transitions:,} over {len(d_doc['alarms'])} alarms")
    checks = {
        "events: (b) = (b2) = (c) = (d) = archive records": len(
            {hand["records"], hand_fast["records"], c_events, d_events, manifest["records"]}
        )
        == 1,
        "CIS 4.6 matches: (b) = (c)": hand["matches"][CIS_46] == c_matched[0],
        "all 15 matches: (b) = (b2) = (d)": hand["matches"] == hand_fast["matches"] == d_matched,
        "nothing quarantined": all(doc["input"]["quarantined"] == 0 for doc in (c_doc, d_doc, ch_doc, dh_doc)),
    }
    for text, ok in checks.items():
        print(f"  {'OK  ' if ok else 'FAIL'} {text}")
    if hand["matches"] != d_matched:
        print(f"  per control (b): {hand['matches']}\n  per control (d): {d_matched}")

    print(
        f"\nsizes: archive {full.files:,} files, {full.compressed / MB:,.1f} MB gzip, "
        f"{full.decompressed / MB:,.1f} MB JSON; first half of the days {half.files:,} files, "
        f"{half.compressed / MB:,.1f} MB gzip ({half.compressed / full.compressed:.0%}); largest file "
        f"{largest.compressed / MB:.2f} MB gzip, {largest.decompressed / MB:.2f} MB JSON"
    )
    # Reading holds one file at a time, so the smallest file alone gives the base (interpreter, imports, a small
    # working set) and the largest file alone adds the largest working set (compressed and JSON bytes, parsed
    # records). The bound allows that working set twice: once live, and once more as memory the allocator keeps
    # after it is freed (fragmentation from thousands of multi-MB buffers; tracemalloc shows no Python-level
    # growth). It does not depend on the archive size, which is ~200x the largest file's JSON.
    working_set = c1_m.peak_rss - c0_m.peak_rss
    bound = c0_m.peak_rss + 2 * working_set
    print(
        f"memory bound: smallest file alone {c0_m.peak_rss / MB:.1f} MB + 2 x the largest file's working set "
        f"({c1_m.peak_rss / MB:.1f} - {c0_m.peak_rss / MB:.1f} MB) = {bound / MB:.1f} MB"
    )
    failures = sum(not ok for ok in checks.values())
    for label, full_m, half_m in (("(c) --cis 4.6", c_m, ch_m), ("(d) --cis all", d_m, dh_m)):
        within = full_m.peak_rss <= bound
        failures += not within
        # The JSON report is built whole in memory, so its size is printed next to the RSS it may explain.
        print(
            f"  {'OK  ' if within else 'OVER'} {label}: peak RSS {full_m.peak_rss / MB:.1f} MB full archive, "
            f"{half_m.peak_rss / MB:.1f} MB first half ({full_m.peak_rss / half_m.peak_rss:.2f}x for "
            f"{full.compressed / half.compressed:.2f}x the data); time {full_m.seconds / half_m.seconds:.2f}x; "
            f"JSON report {len(full_m.output) / MB:.1f} MB full, {len(half_m.output) / MB:.1f} MB half"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
