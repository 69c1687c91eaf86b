"""PatternSet gives exactly what testing each pattern alone gives."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from trailguard.catalog import cis_controls
from trailguard.pattern import LogEvent, PatternSet, compile_pattern

CIS = [compile_pattern(control.pattern) for control in cis_controls()]
NAMES = ["ConsoleLogin", "CreateTrail", "DisableKey", "PutBucketAcl", "CreateVpc", "HeadBucket", "1", "AttachPolicy"]
SOURCES = ["kms.amazonaws.com", "s3.amazonaws.com", "organizations.amazonaws.com", "config.amazonaws.com"]

events = st.fixed_dictionaries(
    {},
    optional={
        "eventName": st.one_of(st.sampled_from(NAMES), st.integers(0, 2), st.none(), st.booleans()),
        "eventSource": st.sampled_from(SOURCES),
        "errorCode": st.sampled_from(["AccessDenied", "Client.UnauthorizedOperation", "Throttling"]),
        "errorMessage": st.sampled_from(["Failed authentication", "No"]),
        "userIdentity": st.fixed_dictionaries(
            {}, optional={"type": st.sampled_from(["Root", "IAMUser"]), "invokedBy": st.just("x")}
        ),
        "eventType": st.sampled_from(["AwsApiCall", "AwsServiceEvent"]),
        "additionalEventData": st.fixed_dictionaries({}, optional={"MFAUsed": st.sampled_from(["Yes", "No"])}),
    },
).map(json.dumps)


def one_by_one(patterns: list, message: str) -> list[int]:  # type: ignore[type-arg]
    return [i for i, p in enumerate(patterns) if p.match(message) is not None]


@given(st.lists(events | st.text(max_size=20), min_size=1, max_size=20))
@settings(max_examples=300)
def test_cis_pattern_set_equals_patterns_alone(messages: list[str]) -> None:
    pattern_set = PatternSet(CIS)
    for message in messages:
        assert pattern_set.matches(LogEvent(message)) == one_by_one(CIS, message)


def test_mixed_families_and_index_shapes() -> None:
    patterns = [
        compile_pattern(text)
        for text in [
            "ERROR",
            "[a, b = 1]",
            "{ $.n = 1 }",  # a number literal: never indexed by text
            '{ $.n = "1" }',
            "{ $.n = x || $.m = y }",  # two selectors: not indexable
            "{ ($.n = x || $.n = y) && $.k = z }",
            "{ $.n = x* }",
            "",
        ]
    ]
    pattern_set = PatternSet(patterns)
    for message in [
        '{"n":1}',
        '{"n":"1"}',
        '{"n":1.0}',
        '{"n":"y","k":"z"}',
        '{"m":"y"}',
        '{"n":"xx"}',
        "ERROR a 1",
        "x 1",
        "{}",
        '{"n":[1]}',
    ]:
        assert pattern_set.matches(LogEvent(message)) == one_by_one(patterns, message), message
