"""The whole shared real CloudTrail corpus (34,108 records from six public sources), read end to end."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailguard.sources import Quarantine, QuarantineReason, SourceStats, measure_paths, read_paths

OTRF_FILE = "otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl.gz"


def source_folders(corpus: Path) -> list[str]:
    # The six source folders only: beside them lie SOURCES.md, MANIFEST.json and console-login-variants.json,
    # which are documentation, not CloudTrail (read as input they would rightly be quarantined).
    return sorted(str(path) for path in corpus.iterdir() if path.is_dir())


@pytest.fixture(scope="module")
def manifest(cloudtrail_corpus: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((cloudtrail_corpus / "MANIFEST.json").read_text())
    return result


def test_every_record_becomes_one_event_when_event_times_are_not_required(
    cloudtrail_corpus: Path, manifest: dict[str, Any]
) -> None:
    quarantine = Quarantine()
    stats = SourceStats()
    per_file: Counter[str] = Counter()
    for event in read_paths(source_folders(cloudtrail_corpus), quarantine, require_event_time=False, stats=stats):
        per_file[str(Path(event.origin).relative_to(cloudtrail_corpus))] += 1
        # CloudTrail delivers compact JSON with the key order kept; the parsed record comes along.
        assert orjson.loads(event.message) == event.record

    assert quarantine.count == 0, [entry.describe() for entry in quarantine.entries[:5]]
    assert stats.events == sum(per_file.values()) == 34_108
    assert per_file == {row["file"]: row["events"] for row in manifest["files"]}
    assert stats.files_read == len(manifest["files"]) == 4_281
    assert stats.bytes_read == sum(row["bytes_stored"] for row in manifest["files"])
    assert stats.bytes_decoded == sum(row["bytes_uncompressed"] for row in manifest["files"])


def test_only_the_logstash_shipped_records_lack_an_event_time(cloudtrail_corpus: Path) -> None:
    # The OTRF file went through Logstash, which turned eventTime into @timestamp: with event times required
    # (a replay), its 103 records are quarantined, each by line number, and every other record is an event.
    quarantine = Quarantine()
    events = list(read_paths(source_folders(cloudtrail_corpus), quarantine))

    assert len(events) == 34_108 - 103
    assert all(event.timestamp_ms is not None for event in events)
    assert quarantine.count == 103
    assert quarantine.by_reason == {QuarantineReason.MISSING_EVENT_TIME: 103}
    assert {entry.origin for entry in quarantine.entries} == {str(cloudtrail_corpus / OTRF_FILE)}
    assert [entry.position for entry in quarantine.entries] == list(range(1, 104))


def test_pre_walk_totals_match_the_manifest(cloudtrail_corpus: Path, manifest: dict[str, Any]) -> None:
    totals = measure_paths(source_folders(cloudtrail_corpus))
    assert (totals.files, totals.bytes, totals.skipped, totals.complete) == (
        len(manifest["files"]),
        sum(row["bytes_stored"] for row in manifest["files"]),
        0,
        True,
    )
