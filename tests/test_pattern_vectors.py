"""Every vector of the semantics reference and every result recorded from live AWS TestMetricFilter calls.

tests/data/aws-recorded-vectors.json holds the public recordings of 148 live TestMetricFilter calls (1,675
results: one per message, one per rejected pattern) kept in the repository vuthehuyht/floci
(src/test/resources/cloudwatchlogs/filter-pattern-aws*.json), plus a few LocalStack tests validated against AWS;
each entry names its source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailguard.pattern import PatternError, compile_pattern

DATA = Path(__file__).parent / "data"
RECORDED: list[dict[str, Any]] = json.loads((DATA / "aws-recorded-vectors.json").read_text())
SPEC: dict[str, Any] = json.loads((DATA / "spec-vectors.json").read_text())


def _recorded_id(vector: dict[str, Any]) -> str:
    return vector["source"].rsplit("#", 1)[-1]


@pytest.mark.parametrize("vector", [v for v in RECORDED if not v.get("invalid")], ids=lambda v: _recorded_id(v))
def test_recorded_aws_match_results(vector: dict[str, Any]) -> None:
    pattern = compile_pattern(vector["pattern"])
    match = pattern.match(vector["message"])
    assert (match is not None) == vector["match"], pattern.explain(vector["message"])
    if vector["match"] and vector["extracted"] is not None:  # None: the recording kept no values
        assert match is not None
        # In AWS's order too: TestMetricFilter's JSON output must be byte-identical.
        assert list(match.extracted_values.items()) == list(vector["extracted"].items())


@pytest.mark.parametrize("vector", [v for v in RECORDED if v.get("invalid")], ids=_recorded_id)
def test_recorded_aws_rejections_carry_aws_wording(vector: dict[str, Any]) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(vector["pattern"])
    assert caught.value.aws_message == vector["error"]["message"]


@pytest.mark.parametrize("vector", SPEC["vectors"], ids=lambda v: f"spec-{v['id']}")
def test_spec_vectors(vector: dict[str, Any]) -> None:
    if vector["expect"] == "rejected":
        with pytest.raises(PatternError):
            compile_pattern(vector["pattern"])
        return
    pattern = compile_pattern(vector["pattern"])
    match = pattern.match(vector["message"])
    expected = vector["expect"] == "match"
    assert (match is not None) == expected, pattern.explain(vector["message"])
    for key, value in vector.get("extracted_subset", {}).items():
        assert match is not None
        assert match.extracted_values[key] == value
