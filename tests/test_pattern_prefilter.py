"""The prefilter never sets aside an event that some pattern matches (it is a necessary condition), and it does set
aside most CloudTrail events for the CIS patterns."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import json_messages, json_patterns, small_documents, small_json_patterns
from trailguard.catalog import cis_controls
from trailguard.pattern import LogEvent, PatternError, compile_pattern
from trailguard.pattern.prefilter import AllOf, Probe, ProbeKind, build_prefilter

CIS = [compile_pattern(control.pattern) for control in cis_controls()]


def _compiled(texts: list[str]) -> list[Any]:
    found = []
    for text in texts:
        try:
            found.append(compile_pattern(text))
        except PatternError:
            continue
    return found


@settings(max_examples=1000)
@given(
    st.lists(st.one_of(json_patterns, small_json_patterns), min_size=1, max_size=4),
    st.lists(json_messages | small_documents.map(json.dumps), max_size=6),
)
def test_a_match_is_always_a_candidate(pattern_texts: list[str], messages: list[str]) -> None:
    patterns = _compiled(pattern_texts)
    prefilter = build_prefilter(patterns)
    if prefilter is None:
        return
    for message in messages:
        event = LogEvent(message)
        document = event.json
        if not isinstance(document, dict):
            continue
        if any(pattern.test_event(event) for pattern in patterns):
            assert prefilter.may_match(document), (pattern_texts, message)


def test_cis_patterns_are_indexed_by_event_name_and_identity_type() -> None:
    prefilter = build_prefilter(CIS)
    assert prefilter is not None
    assert [index.keys for index in prefilter.indexes] == [("eventName",), ("userIdentity", "type")]
    # 4.1 has no text to be filed under; it needs an errorCode, so only events with one are tested.
    assert [guard.keys for guard in prefilter.guards] == [("errorCode",)]
    assert prefilter.others == ()
    names = prefilter.indexes[0].table
    assert names["CreateTrail"] == ()  # a candidate outright
    assert len(names["ConsoleLogin"]) == 2  # 4.2 and 4.6 check the rest of their conditions


def test_cis_candidates() -> None:
    prefilter = build_prefilter(CIS)
    assert prefilter is not None
    quiet = [
        {"eventName": "Decrypt", "eventSource": "kms.amazonaws.com"},
        {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "Yes"}, "errorMessage": "x"},
        {"eventName": "GetObject", "errorCode": "AccessDenied", "sourceIPAddress": "delivery.logs.amazonaws.com"},
        {"eventName": "HeadBucket", "errorCode": "AccessDenied"},
        {"eventName": "DisableKey", "eventSource": "ec2.amazonaws.com"},
        {"userIdentity": {"type": "Root", "invokedBy": "s3.amazonaws.com"}, "eventName": "GetObject"},
        {"userIdentity": {"type": "Root"}, "eventType": "AwsServiceEvent", "eventName": "GetObject"},
    ]
    for document in quiet:
        assert not prefilter.may_match(document), document
    candidates = [
        {"eventName": "CreateTrail"},
        {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}},
        {"eventName": "ConsoleLogin", "errorMessage": "Failed authentication"},
        {"eventName": "GetObject", "errorCode": "AccessDenied", "sourceIPAddress": "10.0.0.1"},
        {"eventName": "X", "errorCode": "Client.UnauthorizedOperation"},
        {"userIdentity": {"type": "Root"}, "eventName": "GetObject", "eventType": "AwsApiCall"},
        {"eventName": 12},  # not a string: the patterns judge it
        {"eventName": "GetObject", "errorCode": ["AccessDenied"]},
    ]
    for document in candidates:
        assert prefilter.may_match(document), document


def test_probe_kinds() -> None:
    [pattern] = _compiled(['{ $.a != "x" && $.b NOT EXISTS && $.c = 1 && $.d > 2 && $.e IS TRUE }'])
    prefilter = build_prefilter([pattern])
    assert prefilter is not None
    [index] = prefilter.indexes
    [[condition]] = index.table.values() or [[None]]
    assert isinstance(condition, AllOf)
    kinds = {part.keys: part.kind for part in condition.parts if isinstance(part, Probe)}
    assert kinds == {
        ("a",): ProbeKind.DIFFERS,
        ("b",): ProbeKind.ABSENT,
        ("c",): ProbeKind.SHOWS,
        ("d",): ProbeKind.SHOWS,
        ("e",): ProbeKind.SHOWS,
    }
    assert prefilter.may_match({"a": "y", "c": "1", "d": 3, "e": True})
    assert not prefilter.may_match({"a": "x", "c": "1", "d": 3, "e": True})
    assert not prefilter.may_match({"a": "y", "b": 1, "c": "1", "d": 3, "e": True})
    assert not prefilter.may_match({"a": "y", "c": "2", "d": 3, "e": True})  # `= 1` compares a string as "1"
    assert not prefilter.may_match({"a": "y", "c": "1", "e": True})  # nothing at $.d
    assert prefilter.may_match({"c": 1})  # not a string: the pattern judges it


def test_no_condition_means_every_event() -> None:
    for text in ["{ $.a[*] = 1 }", "{ $.a.* = 1 }", "{ $.a = 1 || $.c[0] = 2 }", "ERROR", "", "[ip, user]"]:
        [pattern] = _compiled([text])
        assert build_prefilter([pattern]) is None, text
    for text in ["{ $.a != 1 }", "{ $.a NOT EXISTS }", "{ $.a = 1 || $.b NOT EXISTS && $.c[0] = 2 }"]:
        [pattern] = _compiled([text])
        assert build_prefilter([pattern]) is not None, text
