"""How big the HTML replay report gets, how long it takes to render and to open, on a 75-day ``--cis all`` replay.

    python bench/report_bench.py [--seed 1] [--repeat 3] [--out DIR]
    python bench/report_bench.py --document replay.json      # a saved `trailguard replay --output json`
    python bench/report_bench.py --archive DIR               # replays DIR (e.g. make_archive.py's) with --cis all

By default the replay document is made by the real engine from synthetic CloudTrail: for each of the 15 CIS
controls, bursts of events that its pattern matches (one to ten minutes long, one to three events a minute) every
20 to 176 minutes over 75 days, so that each burst takes its alarm to ALARM and back. That gives the size of the
replay of ``make_archive.py``'s 1 GB archive with ``--cis all`` (15 alarms, about 33,000 transitions and 100,000
datapoints) in seconds instead of minutes, without the shared corpus.

Measured: the JSON document's size, the page's size, the time to render the page from the parsed document (best
of ``--repeat``), and the time Chromium takes to open it (navigation start to the load event, best of
``--repeat``, each in a new page) when Debian's chromium and the playwright package are installed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from trailguard.catalog import cis_configuration
from trailguard.cli.replay_report import InputSummary, write_replay_document
from trailguard.engine.replay import Replay
from trailguard.pattern import LogEvent
from trailguard.report import render_replay_html
from trailguard.sources import Quarantine, SourceStats

START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, as make_archive.py
SPAN_DAYS = 75
MINUTE_MS = 60_000

# One CloudTrail record per control that its CIS pattern matches (the fields the patterns read).
MATCHING: dict[str, dict[str, Any]] = {
    "4.1": {"eventName": "GetObject", "errorCode": "AccessDenied", "sourceIPAddress": "203.0.113.9"},
    "4.2": {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}},
    "4.3": {"eventName": "GetCallerIdentity", "userIdentity": {"type": "Root"}, "eventType": "AwsApiCall"},
    "4.4": {"eventName": "PutUserPolicy"},
    "4.5": {"eventName": "StopLogging"},
    "4.6": {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"},
    "4.7": {"eventSource": "kms.amazonaws.com", "eventName": "DisableKey"},
    "4.8": {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"},
    "4.9": {"eventSource": "config.amazonaws.com", "eventName": "StopConfigurationRecorder"},
    "4.10": {"eventName": "AuthorizeSecurityGroupIngress"},
    "4.11": {"eventName": "CreateNetworkAcl"},
    "4.12": {"eventName": "CreateCustomerGateway"},
    "4.13": {"eventName": "CreateRoute"},
    "4.14": {"eventName": "CreateVpc"},
    "4.15": {"eventSource": "organizations.amazonaws.com", "eventName": "CreateAccount"},
}


def synthetic_document(seed: int) -> bytes:
    """The replay JSON document of 75 days of bursts for every CIS control, from the real engine and writer."""
    rng = random.Random(seed)
    config = cis_configuration("all")
    events: list[tuple[int, str]] = []
    end_ms = START_MS + SPAN_DAYS * 24 * 60 * MINUTE_MS
    for control, fields in MATCHING.items():
        at = START_MS + rng.randrange(0, 60) * MINUTE_MS
        while at < end_ms:
            for minute in range(rng.randint(1, 10)):
                for _ in range(rng.randint(1, 3)):
                    ms = at + minute * MINUTE_MS + rng.randrange(0, MINUTE_MS)
                    record = {"eventVersion": "1.08", "eventTime": _iso(ms), "awsRegion": "us-east-1", **fields}
                    record["eventID"] = f"{control}-{ms}"
                    events.append((ms, orjson.dumps(record).decode()))
            at += rng.randint(20, 176) * MINUTE_MS
    events.sort()
    group = config.metric_filters[0].log_group_name
    engine = Replay(config.metric_filters, config.alarms, region=config.region, account_id=config.account_id)
    for ms, message in events:
        engine.add(LogEvent(message), ms, group)
    result = engine.finish()
    stats = SourceStats()
    stats.events = len(events)
    with tempfile.TemporaryDirectory() as folder:
        with Quarantine(Path(folder) / "q.jsonl") as quarantine:
            pass
        summary = InputSummary(["synthetic"], stats, quarantine, None)
        out = _Buffer()
        write_replay_document(out, result, summary)
    return bytes(out.data)


class _Buffer:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + "Z"


def archive_document(archive: Path, out: Path) -> bytes:
    path = out / "replay.json"
    command = [sys.executable, "-m", "trailguard", "replay", str(archive.resolve()), "--cis", "all", "--output", "json"]
    subprocess.run([*command, "--output-file", str(path), "--no-progress"], check=True, cwd=out)
    return path.read_bytes()


def open_times(page_path: Path, repeat: int) -> list[float] | str:
    """Navigation start to load event in Chromium, in seconds, per run; or why it could not be measured."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return "the playwright package is not installed"
    executable = shutil.which("chromium")
    if executable is None:
        return "no chromium (apt-get install chromium)"
    profile = tempfile.mkdtemp(prefix="trailguard-bench-chromium-")
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ]
    times = []
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=args, viewport={"width": 1280, "height": 900}
            )
            for _ in range(repeat):
                page = context.new_page()
                page.goto(page_path.as_uri(), wait_until="load", timeout=120_000)
                timing = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd; }"
                )
                times.append(timing / 1000)
                page.close()
            context.close()
    except Error as error:
        return f"chromium could not be driven: {str(error).splitlines()[0]}"
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--document", type=Path, help="a saved replay JSON document")
    source.add_argument("--archive", type=Path, help="a CloudTrail archive to replay with --cis all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "trailguard-bench" / "report")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    began = time.perf_counter()
    if args.document is not None:
        data, origin = args.document.read_bytes(), str(args.document)
    elif args.archive is not None:
        data, origin = archive_document(args.archive, args.out), f"trailguard replay {args.archive} --cis all"
    else:
        data, origin = synthetic_document(args.seed), f"synthetic, 75 days, 15 CIS controls, seed {args.seed}"
        (args.out / "replay.json").write_bytes(data)  # to render again with --document
    made = time.perf_counter() - began
    document = orjson.loads(data)
    transitions = sum(len(alarm["transitions"]) for alarm in document["alarms"])
    notifications = sum(len(alarm["notifications"]) for alarm in document["alarms"])
    datapoints = sum(len(metric["datapoints"]) for metric in document["metrics"])

    renders = []
    page = ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        page = render_replay_html(document)
        renders.append(time.perf_counter() - start)
    parse_start = time.perf_counter()
    orjson.loads(data)
    parse = time.perf_counter() - parse_start
    page_path = args.out / "replay-report.html"
    page_path.write_text(page, encoding="utf-8")
    opened = open_times(page_path, args.repeat)

    print(f"document: {origin} (made or read in {made:.1f} s)")
    print(f"  {len(document['alarms'])} alarms, {transitions:,} transitions, {notifications:,} notifications,")
    print(f"  {datapoints:,} datapoints; JSON {len(data) / 1e6:.1f} MB, parsed in {parse:.2f} s")
    print(f"page: {page_path}")
    print(f"  size {len(page.encode('utf-8')) / 1e6:.2f} MB")
    print(f"  render (parsed document -> HTML): best {min(renders):.2f} s of {args.repeat}")
    if isinstance(opened, str):
        print(f"  open in Chromium: not measured ({opened})")
    else:
        print(f"  open in Chromium (navigation start -> load event): best {min(opened):.2f} s of {len(opened)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
