"""Build a CloudTrail archive of a given size from the real corpus, laid out like CloudTrail's S3 delivery.

    python bench/make_archive.py --out /tmp/trailguard-bench/archive [--size-gb 1.0] [--seed 1] [--corpus DIR]

Writes files ``OUT/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz``, named
``<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random>.json.gz`` as CloudTrail names them, each one
``{"Records":[...]}`` gzipped at level 6, about ``--size-gb`` GiB of them (2**30 bytes; planned from a calibrated
bytes-per-record estimate, so within about 1%: a 1.0 archive holds well over 10**9 bytes).

Records are drawn with replacement from the real corpus (its six source folders; records without an eventTime
are left out) and keep every field as recorded except two: ``eventTime``, moved into the file's 5-minute window,
and ``eventID``, a fresh UUID. Files follow each other in time over ``SPAN_DAYS`` days; records inside a file
are not sorted, as in CloudTrail's own files.

The output depends only on the corpus, ``--size-gb`` and ``--seed``. A manifest (a hidden file, which replay
skips) records what was built; when it says the archive at OUT is complete for the same arguments, nothing is
written again. Generated data belongs outside the repository.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import shutil
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pattern_bench import BUNDLED_SAMPLE, DEFAULT_CORPUS
from trailguard.sources import Quarantine, read_paths

MANIFEST_NAME = ".trailguard-bench-archive.json"
# Bump when the layout or the record transformation changes, so that old archives are rebuilt.
FORMAT = 1
GIB = 2**30
ACCOUNT = "111122223333"
# One busy home region and a few quieter ones; weights are shares of the files.
REGIONS = (("us-east-1", 6), ("eu-west-1", 2), ("us-west-2", 1), ("ap-southeast-2", 1))
START_S = 1_767_225_600  # 2026-01-01T00:00:00Z
SPAN_DAYS = 75
WINDOW_S = 300  # CloudTrail delivers a file per region about every 5 minutes
# Records per file, drawn log-uniformly: about 0.7 to 5 MB of JSON with the corpus's ~1.4 KB records.
MIN_RECORDS, MAX_RECORDS = 500, 3500
GZIP_LEVEL = 6
CALIBRATION_RECORDS = 2000
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# Placeholders written into the record before serializing; their JSON text is then swapped for %-format slots.
_TIME_MARK, _ID_MARK = "\x00eventTime\x00", "\x00eventID\x00"
_TIME_TEXT, _ID_TEXT = orjson.dumps(_TIME_MARK)[1:-1], orjson.dumps(_ID_MARK)[1:-1]


@dataclass(frozen=True, slots=True)
class FileSpec:
    path: str  # relative to the archive folder
    start_s: int  # the file's 5-minute window starts here (epoch seconds)
    records: int
    seed: int


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    records: int
    compressed: int
    decompressed: int


def load_templates(corpus: Path) -> list[bytes]:
    """Each usable corpus record as compact JSON with ``%(t)s`` / ``%(i)s`` where eventTime / eventID go.

    Filling a template with ``%`` costs a fraction of rebuilding and re-serializing the record, which is what
    makes generating millions of records fast.
    """
    folders = sorted(str(p) for p in corpus.iterdir() if p.is_dir())
    templates = []
    for event in read_paths(folders, Quarantine(), require_event_time=False):
        if event.record.get("eventTime") is None:
            continue  # 103 OTRF records: nothing to shift
        record = {**event.record, "eventTime": _TIME_MARK, "eventID": _ID_MARK}
        text = orjson.dumps(record).replace(b"%", b"%%")
        templates.append(text.replace(_TIME_TEXT, b"%(t)s").replace(_ID_TEXT, b"%(i)s"))
    if not templates:
        raise SystemExit(f"no records with an eventTime under {corpus}")
    return templates


# Set before the worker pool forks, so that workers share the templates instead of each loading the corpus.
_templates: list[bytes] = []


def file_bytes(records: int, start_s: int, rng: random.Random) -> bytes:
    """One CloudTrail file's JSON: ``records`` records drawn from ``_templates``, times in its window."""
    clock = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_s + s)).encode() for s in range(WINDOW_S)]
    bits, pick = rng.getrandbits, rng.randrange
    parts = [
        template % {b"t": clock[pick(WINDOW_S)], b"i": str(uuid.UUID(int=bits(128), version=4)).encode()}
        for template in rng.choices(_templates, k=records)
    ]
    return b'{"Records":[' + b",".join(parts) + b"]}"


def gzip_bytes(data: bytes) -> bytes:
    # wbits=31 writes the gzip container; zlib leaves its mtime at 0, so equal input gives equal bytes.
    return zlib.compress(data, GZIP_LEVEL, wbits=31)


def write_file(root: str, spec: FileSpec) -> FileResult:
    data = file_bytes(spec.records, spec.start_s, random.Random(spec.seed))
    packed = gzip_bytes(data)
    target = os.path.join(root, spec.path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as stream:
        stream.write(packed)
    return FileResult(spec.path, spec.records, len(packed), len(data))


def _write_one(job: tuple[str, FileSpec]) -> FileResult:
    return write_file(*job)


def compressed_bytes_per_record(seed: int) -> float:
    """Calibrate the plan: gzip bytes per record, from one average-sized file of the same kind."""
    rng = random.Random(f"calibration-{seed}")
    return len(gzip_bytes(file_bytes(CALIBRATION_RECORDS, START_S, rng))) / CALIBRATION_RECORDS


def plan(size_gb: float, seed: int) -> list[FileSpec]:
    """The files to write, in time order: enough records to reach the size by the calibrated estimate."""
    rng = random.Random(seed)
    target_records = size_gb * GIB / compressed_bytes_per_record(seed)
    regions = [name for name, _ in REGIONS]
    weights = [weight for _, weight in REGIONS]
    windows = SPAN_DAYS * 86_400 // WINDOW_S
    drawn: list[tuple[int, str, int, int, str]] = []
    total = 0
    while total < target_records:
        records = round(MIN_RECORDS * (MAX_RECORDS / MIN_RECORDS) ** rng.random())
        suffix = "".join(rng.choices(SUFFIX_ALPHABET, k=16))
        (region,) = rng.choices(regions, weights)
        drawn.append((START_S + rng.randrange(windows) * WINDOW_S, region, records, rng.getrandbits(64), suffix))
        total += records
    drawn.sort(key=lambda item: item[0])  # stable: the draw order breaks ties, so the plan stays deterministic
    specs = []
    for start_s, region, records, file_seed, suffix in drawn:
        stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(start_s))
        day = time.strftime("%Y/%m/%d", time.gmtime(start_s))
        name = f"{ACCOUNT}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"
        specs.append(FileSpec(f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/{day}/{name}", start_s, records, file_seed))
    return specs


def read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = orjson.loads((out / MANIFEST_NAME).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return manifest


def is_complete(out: Path, manifest: dict[str, Any] | None, size_gb: float, seed: int) -> bool:
    """The manifest describes a finished build with these arguments, and the files on disk still match it."""
    if manifest is None or not manifest.get("complete"):
        return False
    if (manifest.get("format"), manifest.get("size_gb"), manifest.get("seed")) != (FORMAT, size_gb, seed):
        return False
    files = [p for p in (out / "AWSLogs").rglob("*.json.gz") if p.is_file()]
    sizes = sum(p.stat().st_size for p in files)
    return bool(len(files) == manifest["files"] and sizes == manifest["compressed_bytes"])


def build(out: Path, size_gb: float, seed: int, corpus: Path, workers: int) -> dict[str, Any]:
    """Write the archive (replacing an earlier, different or unfinished one at ``out``) and its manifest."""
    started = time.perf_counter()
    logs = out / "AWSLogs"
    if logs.exists():
        if read_manifest(out) is None:
            # Only ever delete what this script wrote: its manifest is the proof.
            raise SystemExit(f"{logs} exists but {out / MANIFEST_NAME} does not: not an archive of this script")
        shutil.rmtree(logs)
    out.mkdir(parents=True, exist_ok=True)
    # Written first, so that an interrupted build is recognised (and replaced) by the next run.
    (out / MANIFEST_NAME).write_bytes(orjson.dumps({"format": FORMAT, "complete": False}))

    global _templates
    _templates = load_templates(corpus)
    specs = plan(size_gb, seed)
    jobs = [(str(out), spec) for spec in specs]
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = list(pool.imap(_write_one, jobs, chunksize=8))
    else:
        results = [_write_one(job) for job in jobs]

    largest = max(results, key=lambda r: r.decompressed)
    manifest = {
        "format": FORMAT,
        "complete": True,
        "size_gb": size_gb,
        "seed": seed,
        "corpus": str(corpus),
        "corpus_records": len(_templates),
        "files": len(results),
        "records": sum(r.records for r in results),
        "compressed_bytes": sum(r.compressed for r in results),
        "decompressed_bytes": sum(r.decompressed for r in results),
        "largest_file": {
            "path": largest.path,
            "records": largest.records,
            "compressed_bytes": largest.compressed,
            "decompressed_bytes": largest.decompressed,
        },
        "first_window": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(specs[0].start_s)),
        "last_window": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(specs[-1].start_s)),
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (out / MANIFEST_NAME).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def ensure_archive(
    out: Path, size_gb: float, seed: int, corpus: Path = DEFAULT_CORPUS, workers: int = 2
) -> tuple[dict[str, Any], bool]:
    """The archive's manifest, building the archive first unless it is already complete; and whether it was built."""
    manifest = read_manifest(out)
    if manifest is not None and is_complete(out, manifest, size_gb, seed):
        return manifest, False
    if not corpus.is_dir():
        # A clone without ../shared: resample the bundled synthetic sample instead (same layout, smaller variety).
        print(f"corpus not found: {corpus}; resampling the bundled sample {BUNDLED_SAMPLE}", file=sys.stderr)
        corpus = BUNDLED_SAMPLE
    return build(out, size_gb, seed, corpus, workers), True


def describe(manifest: dict[str, Any]) -> str:
    largest = manifest["largest_file"]
    return (
        f"{manifest['files']:,} files, {manifest['records']:,} records, "
        f"{manifest['compressed_bytes'] / 1e6:,.1f} MB gzip, {manifest['decompressed_bytes'] / 1e6:,.1f} MB JSON "
        f"(ratio {manifest['decompressed_bytes'] / manifest['compressed_bytes']:.1f}); "
        f"windows {manifest['first_window']} .. {manifest['last_window']}; largest file "
        f"{largest['compressed_bytes'] / 1e6:.2f} MB gzip / {largest['decompressed_bytes'] / 1e6:.2f} MB JSON "
        f"({largest['records']:,} records)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="archive folder (outside the repository)")
    parser.add_argument("--size-gb", type=float, default=1.0, help="GiB of gzip to write (default 1.0)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if args.size_gb <= 0 or not math.isfinite(args.size_gb):
        parser.error("--size-gb must be a positive number")
    manifest, built = ensure_archive(args.out, args.size_gb, args.seed, args.corpus, args.workers)
    if built:
        print(f"built {args.out} in {manifest['build_seconds']:.1f} s: {describe(manifest)}")
    else:
        print(f"{args.out} is already complete for --size-gb {args.size_gb:g} --seed {args.seed}: {describe(manifest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
