"""The CIS console-authentication-failure pattern against 28 recorded and constructed sign-in shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailguard.pattern import compile_pattern

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VARIANTS = SHARED / "data" / "cloudtrail" / "console-login-variants.json"
CIS_CONSOLE_AUTH_FAILURE = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def _variants() -> list[dict[str, Any]]:
    if not VARIANTS.exists():
        return []
    loaded: list[dict[str, Any]] = json.loads(VARIANTS.read_text())
    return loaded


@pytest.mark.skipif(not VARIANTS.exists(), reason=f"shared corpus not found at {VARIANTS}")
def test_all_28_variants_are_present() -> None:
    assert len(_variants()) == 28


@pytest.mark.skipif(not VARIANTS.exists(), reason=f"shared corpus not found at {VARIANTS}")
@pytest.mark.parametrize("variant", _variants(), ids=lambda v: v["id"])
def test_console_auth_failure_pattern(variant: dict[str, Any]) -> None:
    pattern = compile_pattern(CIS_CONSOLE_AUTH_FAILURE)
    # As CloudTrail delivers it to CloudWatch Logs: the record as one compact JSON message.
    message = orjson.dumps(variant["event"]).decode()
    expected = variant["cis_console_auth_failure_should_match"]
    assert (pattern.match(message) is not None) == expected, f"{variant['why']}\n{pattern.explain(message)}"
