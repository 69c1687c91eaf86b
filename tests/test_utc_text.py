"""UTC time texts assembled from a cached date and arithmetic give what strftime gives."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from trailguard.engine.formatting import json_timestamp, reason_timestamp
from trailguard.report.formats import iso
from trailguard.utc_text import iso_millis, iso_seconds

# Years 1 to 9999 (what datetime holds), as epoch milliseconds.
MOMENTS = st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999)


def moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, UTC)


@given(MOMENTS)
def test_every_format_equals_strftime(ms: int) -> None:
    clock = moment(ms).strftime("%Y-%m-%dT%H:%M:%S")
    millis = ms % 1000
    assert iso_millis(ms) == f"{clock}.{millis:03d}Z"
    assert iso_seconds(ms) == iso(ms) == (f"{clock}.{millis:03d}Z" if millis else f"{clock}Z")
    assert json_timestamp(ms) == f"{clock}.{millis:03d}+0000"
    assert reason_timestamp(ms) == moment(ms).strftime("%d/%m/%y %H:%M:%S")


def test_before_1970_and_on_day_boundaries() -> None:
    assert iso_millis(-1) == "1969-12-31T23:59:59.999Z"
    assert iso_seconds(-1500) == "1969-12-31T23:59:58.500Z"
    assert iso_seconds(86_400_000) == "1970-01-02T00:00:00Z"
    assert reason_timestamp(1661485200000) == "26/08/22 03:40:00"
