"""The bundled synthetic sample in examples/: readable without complaint, telling the story it promises,
and exactly what examples/make_sample.py regenerates."""

from __future__ import annotations

import gzip
import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from trailguard.sources import Quarantine, QuarantineReason, SourceEvent, SourceStats, read_paths

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLE = EXAMPLES / "cloudtrail"
MESSAGES = EXAMPLES / "console-login-messages.log"
DOCUMENTATION_NETWORKS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def sample() -> list[SourceEvent]:
    quarantine = Quarantine()
    stats = SourceStats()
    events = list(read_paths([str(SAMPLE)], quarantine, stats=stats))
    assert quarantine.count == 0
    assert (stats.files_read, stats.files_skipped) == (8, 0)
    return events


def is_auth_failure(event: SourceEvent) -> bool:
    record = event.record
    return record["eventName"] == "ConsoleLogin" and record.get("errorMessage") == "Failed authentication"


def test_sample_is_small_and_in_cloudtrail_layout(sample: list[SourceEvent]) -> None:
    files = sorted(SAMPLE.rglob("*"))
    data_files = [path for path in files if path.is_file()]
    assert len(sample) == 255
    assert sum(path.stat().st_size for path in data_files) + MESSAGES.stat().st_size < 100_000
    for path in data_files:
        assert path.parent.relative_to(SAMPLE).as_posix() == "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20"
        assert path.name.startswith("123456789012_CloudTrail_us-east-1_20261120T09")
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_sample_uses_only_the_example_account_and_documentation_addresses(sample: list[SourceEvent]) -> None:
    for event in sample:
        assert event.record["recipientAccountId"] == "123456789012"
        address = ipaddress.ip_address(event.record["sourceIPAddress"])
        assert any(address in network for network in DOCUMENTATION_NETWORKS), event.message


def test_sample_has_a_burst_of_sign_in_failures_then_a_quiet_spell(sample: list[SourceEvent]) -> None:
    failures = [event for event in sample if is_auth_failure(event)]
    assert 4 <= len(failures) <= 6
    assert {event.record["sourceIPAddress"] for event in failures} == {"203.0.113.42"}
    for event in failures:
        record = event.record
        assert record["responseElements"] == {"ConsoleLogin": "Failure"}
        assert (record["eventType"], record["eventSource"]) == ("AwsConsoleSignIn", "signin.amazonaws.com")
    times = [event.timestamp_ms for event in failures if event.timestamp_ms is not None]
    assert len(times) == len(failures)
    first, last = min(times), max(times)
    assert last - first <= 2 * MINUTE_MS

    # Routine traffic keeps going for 20+ minutes after the burst, minute after minute, with no failure in it.
    later = [event.timestamp_ms for event in sample if event.timestamp_ms and event.timestamp_ms > last]
    assert max(later) - last >= 20 * MINUTE_MS
    busy_minutes = {(stamp - last) // MINUTE_MS for stamp in later}
    assert set(range(21)) <= busy_minutes


def test_sample_has_other_cis_relevant_events(sample: list[SourceEvent]) -> None:
    records = [event.record for event in sample]
    root_logins = [
        r
        for r in records
        if r["eventName"] == "ConsoleLogin"
        and r["userIdentity"]["type"] == "Root"
        and r["responseElements"] == {"ConsoleLogin": "Success"}
    ]
    assert [r["additionalEventData"]["MFAUsed"] for r in root_logins] == ["No"]
    assert any(r["eventName"] == "AuthorizeSecurityGroupIngress" for r in records)
    assert any(r.get("errorCode") == "AccessDenied" for r in records)
    assert any(r.get("errorCode") == "Client.UnauthorizedOperation" for r in records)


def test_console_login_messages_file(tmp_path: Path) -> None:
    lines = MESSAGES.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10
    quarantine = Quarantine()
    events = list(read_paths([str(MESSAGES)], quarantine))
    assert len(events) == 9
    assert all(event.record["eventName"] == "ConsoleLogin" for event in events)
    assert [event.message for event in events] == [line for line in lines if line.startswith("{")]
    assert [(entry.position, entry.reason) for entry in quarantine.entries] == [(5, QuarantineReason.NOT_JSON)]
    assert sum(is_auth_failure(event) for event in events) == 5


def test_make_sample_regenerates_exactly_these_records(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLES / "make_sample.py"), str(tmp_path)], check=True, capture_output=True)

    def contents(root: Path) -> dict[str, bytes]:
        # Compared after gunzip: another zlib build may compress the same bytes differently.
        return {
            path.relative_to(root).as_posix(): gzip.decompress(path.read_bytes())
            for path in sorted(root.rglob("*.json.gz"))
        }

    assert contents(tmp_path / "cloudtrail") == contents(SAMPLE)
    assert (tmp_path / "console-login-messages.log").read_bytes() == MESSAGES.read_bytes()
