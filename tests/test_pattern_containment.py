"""Containment by meaning: CIS controls against many spellings, every pattern family, and random pattern pairs.

Every verdict's witnesses are checked with the compiled matcher (the ground truth): a missed example is
counted by the reference and not by the candidate, an extra example the reverse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import related_pattern_pairs, small_documents
from trailguard.audit.cloudtrail_templates import CLOUDTRAIL_UNIVERSE, USER_IDENTITY_TYPES, template_for
from trailguard.audit.meaning import FilterMeaning, cloudtrail_corpus, judge_filter, required_events
from trailguard.catalog import cis_control, cis_controls
from trailguard.pattern import LogEvent, compile_pattern
from trailguard.pattern.ast import Key
from trailguard.pattern.containment import (
    ContainmentResult,
    Method,
    Verdict,
    branch_examples,
    compact_json,
    compare_patterns,
)
from trailguard.pattern.json_eval import MISSING
from trailguard.pattern.sampling import set_path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VARIANTS = SHARED / "data" / "cloudtrail" / "console-login-variants.json"

EQUIVALENT, COVERS, MISSES, INVALID = Verdict.EQUIVALENT, Verdict.COVERS, Verdict.MISSES, Verdict.INVALID
SYMBOLIC, SAMPLING = Method.SYMBOLIC, Method.SAMPLING


def counts(pattern: str, event: dict[str, Any]) -> bool:
    return compile_pattern(pattern).test_event(LogEvent(compact_json(event)))


def assert_witnesses(result: ContainmentResult) -> None:
    """The result's examples are what its verdict says, by the compiled matchers."""
    if result.verdict is INVALID:
        assert result.error is not None and result.missed_example is None and result.extra_example is None
        return
    if result.missed_example is not None:
        assert counts(result.reference, result.missed_example), result
        assert not counts(result.candidate, result.missed_example), result
    if result.extra_example is not None:
        assert counts(result.candidate, result.extra_example), result
        assert not counts(result.reference, result.extra_example), result
    assert (result.verdict is MISSES) == (result.missed_example is not None)
    if result.method is SYMBOLIC or result.verdict is MISSES:
        assert result.proven
    if result.verdict is EQUIVALENT and result.method is SAMPLING:
        assert not result.proven
    if result.verdict is COVERS:
        assert result.extra_example is not None
    if result.verdict is EQUIVALENT:
        assert result.extra_example is None
    json.dumps(result.to_dict())  # JSON-ready


def judged(pattern: str, control_id: str, version: str = "7.0.0") -> FilterMeaning:
    meaning = judge_filter(pattern, cis_control(control_id, version))
    assert_witnesses(meaning.comparison)
    if meaning.alternative is not None:
        assert_witnesses(meaning.alternative)
    return meaning


# ---------------------------------------------------------------- 4.6 console authentication failures

CONSOLE = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'

CONSOLE_CASES: list[tuple[str, Verdict, Method]] = [
    (CONSOLE, EQUIVALENT, SYMBOLIC),
    ('{($.eventName="ConsoleLogin")&&($.errorMessage="Failed authentication")}', EQUIVALENT, SYMBOLIC),
    ('{ $.errorMessage = "Failed authentication" && $.eventName = ConsoleLogin }', EQUIVALENT, SYMBOLIC),
    ('{ ((($.eventName = ConsoleLogin)) && (($.errorMessage = "Failed authentication"))) }', EQUIVALENT, SYMBOLIC),
    (
        '{ $.eventName = "ConsoleLogin" && $.errorMessage = "Failed authentication" && $.eventSource = * }',
        EQUIVALENT,
        SYMBOLIC,
    ),
    ("{ $.eventName = ConsoleLogin && $.errorMessage = %Failed authentication% }", COVERS, SYMBOLIC),
    ('{ $.eventName = Console* && $.errorMessage = "Failed authentication" }', COVERS, SYMBOLIC),
    ('{ $.eventName = ConsoleLogin && $.errorMessage = "Failed*" }', COVERS, SYMBOLIC),
    ('{ $.eventName = ConsoleLogin && $.errorMessage = "*authentication" }', COVERS, SYMBOLIC),
    ("{ $.eventName = ConsoleLogin && $.errorMessage = * }", COVERS, SYMBOLIC),
    ('{ $.eventName = ConsoleLogin && $.errorMessage != "Success" }', COVERS, SYMBOLIC),
    ('{ ($.eventName = ConsoleLogin) || ($.errorMessage = "Failed authentication") }', COVERS, SYMBOLIC),
    ("{ $.eventName = ConsoleLogin }", COVERS, SYMBOLIC),
    ("", COVERS, SYMBOLIC),
    (CONSOLE[:-1] + " && ($.sourceIPAddress = 1.2.3.4) }", MISSES, SYMBOLIC),
    ('{ $.eventName = ConsoleLogin && $.errorMessage = "failed authentication" }', MISSES, SYMBOLIC),
    ("{ $.eventName = ConsoleLogin && $.responseElements.ConsoleLogin = Failure }", MISSES, SYMBOLIC),
    (
        '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.userIdentity.type = IAMUser }',
        MISSES,
        SYMBOLIC,
    ),
    (
        '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.errorCode NOT EXISTS }',
        MISSES,
        SYMBOLIC,
    ),
    (
        '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.readOnly IS FALSE }',
        MISSES,
        SYMBOLIC,
    ),
    ('{ $.eventName = CheckMfa && $.errorMessage = "Failed authentication" }', MISSES, SYMBOLIC),
    # Term, regex and space-delimited patterns read the message text: decided by sampling.
    ('ConsoleLogin "Failed authentication"', COVERS, SAMPLING),
    ('"Failed authentication"', COVERS, SAMPLING),
    ("ConsoleLogin Failed authentication", COVERS, SAMPLING),
    ('?ConsoleLogin ?"Failed authentication"', COVERS, SAMPLING),
    ('ConsoleLogin -"Failed authentication"', MISSES, SAMPLING),
    ('ConsoleLogin "Failed authentication" Mozilla', MISSES, SAMPLING),
    ("$.eventName = ConsoleLogin", MISSES, SAMPLING),  # braces forgotten: three terms that no message holds
    ("%ConsoleLogin%", COVERS, SAMPLING),
    ("%Failed authentication%", COVERS, SAMPLING),
    # The fields' order decides; CloudTrail writes eventName before errorMessage, as generated events do.
    ("%ConsoleLogin.*Failed authentication%", COVERS, SAMPLING),
    ("[message]", COVERS, SAMPLING),
    ("[first, second]", COVERS, SAMPLING),  # "Failed authentication" always holds a space
    ("[first, second = x]", MISSES, SAMPLING),
]


@pytest.mark.parametrize(
    ("pattern", "verdict", "method"), CONSOLE_CASES, ids=[c[0] or "(empty)" for c in CONSOLE_CASES]
)
def test_console_authentication_failure_spellings(pattern: str, verdict: Verdict, method: Method) -> None:
    result = judged(pattern, "4.6").comparison
    assert (result.verdict, result.method) == (verdict, method), result.explanation
    if method is SAMPLING:
        assert f"by sampling {result.sampled_events} generated events" in result.explanation
        assert result.sampled_events > 0


def test_a_narrowing_clause_is_named_with_a_realistic_failed_sign_in() -> None:
    result = judged(CONSOLE[:-1] + " && ($.sourceIPAddress = 1.2.3.4) }", "4.6").comparison
    missed = result.missed_example
    assert missed is not None
    # The template's failed sign-in, unchanged except where the patterns need it.
    assert missed["eventSource"] == "signin.amazonaws.com" and missed["responseElements"] == {"ConsoleLogin": "Failure"}
    assert missed["sourceIPAddress"] != "1.2.3.4"
    assert "($.sourceIPAddress = 1.2.3.4)" in result.explanation
    assert result.extra_example is None


def test_or_instead_of_and_over_matches_with_a_real_other_event() -> None:
    result = judged('{ ($.eventName = ConsoleLogin) || ($.errorMessage = "Failed authentication") }', "4.6").comparison
    extra = result.extra_example
    assert extra is not None and extra["eventName"] != "ConsoleLogin"
    assert "which the reference does not count" in result.explanation


def test_a_wildcard_superset_names_an_event_name_it_adds() -> None:
    extra = judged('{ $.eventName = Console* && $.errorMessage = "Failed*" }', "4.6").comparison.extra_example
    assert extra is not None
    assert extra["eventName"].startswith("Console") and extra["errorMessage"].startswith("Failed")
    assert (extra["eventName"], extra["errorMessage"]) != ("ConsoleLogin", "Failed authentication")


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.eventName = ConsoleLogin && }",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication" }',
        "{ $.eventName == ConsoleLogin }",
        "{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) }",  # Prowler's transcription
        "{ $.eventName = ConsoleLogin",
        "ERR*",
    ],
)
def test_invalid_candidates_carry_aws_error_and_position(pattern: str) -> None:
    result = judged(pattern, "4.6").comparison
    assert result.verdict is INVALID and result.error is not None
    assert result.error.aws_message in result.explanation
    if result.error.position is not None:
        assert f"position {result.error.position}" in result.explanation
    assert result.to_dict()["error"] == {"message": result.error.aws_message, "position": result.error.position}


# ---------------------------------------------------------------- 4.1 unauthorized API calls

V12 = cis_control("4.1", "1.2.0").pattern
V13 = cis_control("4.1", "1.3.0").pattern
V20 = cis_control("4.1", "2.0.0").pattern


def test_v13_all_or_pattern_counts_nearly_every_event() -> None:
    result = judged(V13, "4.1").comparison
    assert (result.verdict, result.method) == (COVERS, SYMBOLIC)
    extra = result.extra_example
    assert extra is not None and "errorCode" not in extra  # an ordinary successful call
    assert counts(V13, template_for("4.3"))  # even root usage counts as "unauthorized"


def test_v20_precedence_trap_parenthesised_misses_the_unauthorized_operation_branch() -> None:
    both = (
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    )
    result = judged(both, "4.1").comparison
    assert (result.verdict, result.method) == (MISSES, SYMBOLIC)
    assert result.missed_branch == '($.errorCode = "*UnauthorizedOperation")'
    missed = result.missed_example
    assert missed is not None and missed["errorCode"].endswith("UnauthorizedOperation")
    assert (
        missed.get("sourceIPAddress") == "delivery.logs.amazonaws.com"
        or missed.get("eventName") == "HeadBucket"
        or "sourceIPAddress" not in missed
    )


@pytest.mark.parametrize(
    ("pattern", "version", "verdict"),
    [
        (V20, "7.0.0", EQUIVALENT),
        (
            V20.replace(
                '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket")',
                '($.eventName!=HeadBucket) && ($.sourceIPAddress!="delivery.logs.amazonaws.com")',
            ),
            "7.0.0",
            EQUIVALENT,
        ),
        (V12, "7.0.0", COVERS),
        (V20, "1.2.0", MISSES),
        (V12, "1.2.0", EQUIVALENT),
        (V20, "1.3.0", MISSES),
        ('{ $.errorCode = "AccessDenied*" }', "1.2.0", MISSES),
        (
            '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" || $.errorCode = "Forbidden" }',
            "1.2.0",
            COVERS,
        ),
    ],
)
def test_unauthorized_api_calls_across_versions(pattern: str, version: str, verdict: Verdict) -> None:
    result = judged(pattern, "4.1", version).comparison
    assert (result.verdict, result.method) == (verdict, SYMBOLIC), result.explanation


# ---------------------------------------------------------------- 4.2, 4.3


@pytest.mark.parametrize(
    ("pattern", "verdict"),
    [
        ("{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }", EQUIVALENT),
        ('{ $.additionalEventData.MFAUsed != "Yes" && $.eventName = "ConsoleLogin" }', EQUIVALENT),
        ('{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed = "No" }', MISSES),
        (
            '{ $.eventName = ConsoleLogin && ($.additionalEventData.MFAUsed != "Yes" || '
            "$.additionalEventData.MFAUsed NOT EXISTS) }",
            COVERS,
        ),
        (
            '{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed != "Yes" && $.errorMessage NOT EXISTS }',
            MISSES,
        ),
    ],
)
def test_sign_in_without_mfa(pattern: str, verdict: Verdict) -> None:
    assert judged(pattern, "4.2").comparison.verdict is verdict


def test_the_sso_safe_alternative_is_accepted_where_the_benchmark_offers_it() -> None:
    control = cis_control("4.2", "7.0.0")
    meaning = judged(control.alternative_patterns[0], "4.2")
    assert meaning.comparison.verdict is MISSES  # it misses federated and root sign-ins the main pattern counts
    assert meaning.alternative is not None and meaning.alternative.verdict is EQUIVALENT
    assert meaning.accepted and meaning.verdict is EQUIVALENT
    assert meaning.to_dict()["alternative"]["verdict"] == "equivalent"
    # v1.2.0 prints no alternative: the same filter misses.
    old = judged(control.alternative_patterns[0], "4.2", "1.2.0")
    assert not old.accepted and old.alternative is None


@pytest.mark.parametrize(
    ("pattern", "verdict"),
    [
        (
            "{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }",
            EQUIVALENT,
        ),
        (
            '{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && '
            '($.userIdentity.type = "Root") }',
            EQUIVALENT,
        ),
        ('{ $.userIdentity.type = "Root" }', COVERS),
        ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', COVERS),
        ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType = AwsApiCall }', MISSES),
        (
            '{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy != * }',
            MISSES,
        ),
        (
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedByNOT EXISTS && '
            '$.eventType != "AwsServiceEvent" }',
            INVALID,
        ),
    ],
)
def test_root_account_usage(pattern: str, verdict: Verdict) -> None:
    assert judged(pattern, "4.3").comparison.verdict is verdict


# ---------------------------------------------------------------- event-name lists (4.4, 4.5, 4.10–4.14)

NAME_LISTS = ["4.4", "4.5", "4.10", "4.11", "4.12", "4.13", "4.14"]


def _event_names(pattern: str) -> list[str]:
    return [
        part.split("=")[1].strip().strip('"').strip() for part in pattern.replace(")", "(").split("(") if "=" in part
    ]


def _or_of_names(names: list[str], *, quoted: bool = False) -> str:
    spelled = [f'"{n}"' if quoted else n for n in names]
    return "{ " + " || ".join(f"($.eventName = {n})" for n in spelled) + " }"


@pytest.mark.parametrize("control_id", NAME_LISTS)
def test_event_name_lists(control_id: str) -> None:
    reference = cis_control(control_id).pattern
    names = _event_names(reference)
    assert len(names) >= 5
    assert judged(_or_of_names(names[::-1], quoted=True), control_id).comparison.verdict is EQUIVALENT
    assert judged(_or_of_names([*names, "DescribeInstances"]), control_id).comparison.verdict is COVERS
    dropped = judged(_or_of_names(names[:-1]), control_id).comparison
    assert dropped.verdict is MISSES and dropped.missed_example is not None
    assert dropped.missed_example["eventName"] == names[-1]
    assert dropped.missed_branch == f"($.eventName = {names[-1]})"
    narrowed = reference[:-1].rstrip() + " && ($.awsRegion = us-east-1) }"
    assert judged(narrowed, control_id).comparison.verdict is MISSES  # binds only to the last name


@pytest.mark.parametrize(
    ("control_id", "pattern", "verdict"),
    [
        ("4.4", "{ $.eventName = *Policy* }", COVERS),
        ("4.4", "{ $.eventName = *Policy }", MISSES),  # CreatePolicyVersion and DeletePolicyVersion
        ("4.4", "{ $.eventName = *Policy && $.eventSource = iam.amazonaws.com }", MISSES),
        ("4.5", "{ $.eventName = *Trail || $.eventName = *Logging }", COVERS),
        ("4.5", "{ $.eventSource = cloudtrail.amazonaws.com }", MISSES),
        ("4.10", cis_control("4.10", "1.2.0").pattern, MISSES),  # v5.0 adds ModifySecurityGroupRules
        ("4.13", cis_control("4.13", "7.0.0").variants[0].pattern, MISSES),
    ],
)
def test_event_name_rewrites(control_id: str, pattern: str, verdict: Verdict) -> None:
    result = judged(pattern, control_id).comparison
    assert (result.verdict, result.method) == (verdict, SYMBOLIC), result.explanation


def test_security_group_v5_pattern_covers_older_versions() -> None:
    assert judged(cis_control("4.10", "7.0.0").pattern, "4.10", "1.4.0").comparison.verdict is COVERS


def test_route_table_audit_variant_misses_create_route_from_another_service() -> None:
    result = judged(cis_control("4.13", "7.0.0").variants[0].pattern, "4.13").comparison
    missed = result.missed_example
    assert missed is not None and missed["eventName"] == "CreateRoute"
    assert missed["eventSource"] != "ec2.amazonaws.com"  # e.g. API Gateway's CreateRoute
    assert result.missed_branch == "($.eventName = CreateRoute)"


# ---------------------------------------------------------------- source && names (4.7, 4.8, 4.9, 4.15)


@pytest.mark.parametrize(
    ("control_id", "pattern", "verdict"),
    [
        (
            "4.7",
            '{ $.eventSource = "kms.amazonaws.com" && '
            '($.eventName = "DisableKey" || $.eventName = "ScheduleKeyDeletion") }',
            EQUIVALENT,
        ),
        (
            "4.7",
            "{ ($.eventSource = kms.amazonaws.com && $.eventName = DisableKey) || "
            "($.eventSource = kms.amazonaws.com && $.eventName = ScheduleKeyDeletion) }",
            EQUIVALENT,
        ),
        ("4.7", "{ $.eventName = DisableKey || $.eventName = ScheduleKeyDeletion }", COVERS),
        (
            "4.7",
            "{ $.eventSource = kms.amazonaws.com && $.eventName = DisableKey || $.eventName = ScheduleKeyDeletion }",
            COVERS,
        ),
        ("4.7", "{ $.eventSource = kms.amazonaws.com && $.eventName = DisableKey }", MISSES),
        ("4.7", "{ $.eventSource = kms* && ($.eventName = DisableKey || $.eventName = ScheduleKeyDeletion) }", COVERS),
        ("4.8", "{ $.eventSource = s3.amazonaws.com && ($.eventName = Put* || $.eventName = Delete*) }", COVERS),
        ("4.8", "{ $.eventSource = s3.amazonaws.com && $.eventName = PutBucket* }", MISSES),
        ("4.9", "{ $.eventSource = config.amazonaws.com }", COVERS),
        ("4.9", "{ $.eventSource = config.amazonaws.com && $.readOnly IS FALSE }", MISSES),
        ("4.15", "{ $.eventSource = organizations.amazonaws.com }", COVERS),
        (
            "4.15",
            "{ ($.eventSource = organizations.amazonaws.com) && "
            '(($.eventName = AcceptHandshake") || ($.eventName = "AttachPolicy")) }',
            INVALID,
        ),
    ],
)
def test_source_and_names(control_id: str, pattern: str, verdict: Verdict) -> None:
    assert judged(pattern, control_id).comparison.verdict is verdict


def test_organizations_with_prowlers_extra_names_covers() -> None:
    reference = cis_control("4.15").pattern
    extended = reference[: reference.rindex("))")] + ') || ($.eventName = "CancelHandshake")) }'
    result = judged(extended, "4.15").comparison
    assert result.verdict is COVERS and result.extra_example is not None
    assert result.extra_example["eventName"] == "CancelHandshake"


# ---------------------------------------------------------------- every control, every version


@pytest.mark.parametrize("version", ["1.2.0", "1.4.0", "2.0.0", "5.0.0", "7.0.0"])
def test_every_reference_is_equivalent_to_itself_and_its_spacing(version: str) -> None:
    for control in cis_controls(version):
        squeezed = re.sub(r"\s*(\(|\)|&&|\|\||!=|=)\s*", r"\1", control.pattern)
        for pattern in (control.pattern, squeezed):
            result = judge_filter(pattern, control).comparison
            assert (result.verdict, result.method) == (EQUIVALENT, SYMBOLIC), (control.id, pattern)


def test_required_events_take_each_branch_realistically() -> None:
    for control in cis_controls("7.0.0"):
        events = required_events(control)
        assert events, control.id
        template = template_for(control.id)
        for event in events:
            assert counts(control.pattern, event), (control.id, event)
            assert counts(CLOUDTRAIL_UNIVERSE, event)
            assert event["userIdentity"] == template["userIdentity"] or control.id == "4.3"
        names = [e["eventName"] for e in events]
        if control.id in NAME_LISTS or control.id in ("4.7", "4.8", "4.9", "4.15"):
            assert names == _event_names(control.pattern.replace("eventSource", "ignored"))[-len(names) :]
    unauthorized = required_events(cis_control("4.1"))
    assert [e["errorCode"] for e in unauthorized] == ["Client.UnauthorizedOperation", "AccessDenied"]


def test_branch_examples_skip_impossible_branches() -> None:
    examples = branch_examples("{ ($.a = 1 && $.a = 2) || $.b = x || $.c NOT EXISTS }")
    assert [e.branch for e in examples] == ["($.b = x)", "($.c NOT EXISTS)"]
    assert examples[0].event == {"b": "x"} and examples[1].event == {}


# ---------------------------------------------------------------- generic semantics


@pytest.mark.parametrize(
    ("candidate", "reference", "verdict"),
    [
        ("{ $.a != 1 }", "{ $.a = * && $.a != 1 }", EQUIVALENT),  # != holds only for strings and numbers
        ("{ $.a != 1 || $.a NOT EXISTS }", "{ $.a != 1 }", COVERS),
        ("{ $.a = 1 }", "{ $.a = 1.0 }", MISSES),  # the same numbers, but the strings "1" and "1.0" differ
        ('{ $.a = 1 && $.a != "1" }', '{ $.a = 1.0 && $.a != "1.0" }', MISSES),  # the double 1.0, the integer 1
        ('{ $.a = "1" }', "{ $.a = 1 }", MISSES),  # the number 1.0 and 1e0 equal 1, not "1"
        ("{ $.a = +1 }", "{ $.a = 1 }", MISSES),  # "+1" matches no string; "1" does
        ("{ $.a > 1 }", "{ $.a >= 2 }", COVERS),
        ("{ $.a > 1 && $.a < 2 }", "{ $.a = 1.5 }", MISSES),  # the string "1.5"
        ("{ $.a > 1 && $.a < 2 }", "{ $.a = 1.5 && $.a > 0 }", COVERS),
        ("{ $.a >= 1 && $.a <= 1 }", "{ $.a = 1 }", MISSES),  # the string "1"
        ("{ $.a IS NULL }", "{ $.a[*] IS NULL }", MISSES),  # {"a": {"x": null}}
        ("{ $.a[*] IS NULL || $.a IS NULL }", "{ $.a[0] IS NULL }", MISSES),  # {"a": [[null]]}
        ("{ $.a[*] = 2 }", "{ $.a[1] = 2 }", COVERS),
        ("{ $.a[*] != 2 }", "{ $.a IS NULL }", MISSES),  # [null, "2"]: "2" equals 2
        ("{ $.a[*] != 2 || $.a[*] = 2 }", "{ $.a IS NULL }", COVERS),  # "a exists", spelled oddly
        ("{ $.a[*] != 2 }", "{ $.a = * }", COVERS),
        ("{ $.a.* = x }", "{ $.a.b = x }", COVERS),
        ("{ $.a.b NOT EXISTS }", "{ $.a = * }", COVERS),
        ("{ $.a = *x* }", "{ $.a = x* || $.a = *x }", COVERS),
        ("{ $.a = x* && $.a = *y }", '{ $.a = "xy" }', COVERS),
        ("{ $.a = ab* && $.a = *ba }", "{ $.a = aba }", COVERS),
        ("{ $.['a.b'] = 1 }", "{ $.a.b = 1 }", MISSES),
        ("{ $.a IS TRUE }", "{ $.a = true }", MISSES),
        ("{ $.a = * }", "{ $.a = ** }", EQUIVALENT),
        ("{ $.a = * }", "{ $.a = *** }", COVERS),  # a core of "*": contains a star
    ],
)
def test_semantic_corners(candidate: str, reference: str, verdict: Verdict) -> None:
    result = compare_patterns(candidate, reference)
    assert_witnesses(result)
    assert (result.verdict, result.method) == (verdict, SYMBOLIC), result.explanation


def test_assumed_universe_hides_impossible_witnesses() -> None:
    reference = "{ $.eventName = X }"
    candidate = "{ $.eventName = X && $.eventID = * }"
    assert compare_patterns(candidate, reference).verdict is MISSES
    assert compare_patterns(candidate, reference, assume="{ $.eventID = * }").verdict is EQUIVALENT
    with pytest.raises(ValueError, match="JSON pattern"):
        compare_patterns(candidate, reference, assume="ERROR")


def test_hints_make_witnesses_read_like_real_values() -> None:
    result = compare_patterns("{ $.eventName = * }", "{ $.eventName = A }", hints={"$.eventName": ["Real"]})
    assert result.extra_example == {"eventName": "Real"}
    absent = compare_patterns("{ $.e = * || $.x = 1 }", "{ $.e = * }", hints={"$.e": [MISSING]})
    assert absent.extra_example is not None and "e" not in absent.extra_example


def test_a_corpus_event_can_decide_a_sampled_comparison() -> None:
    # Only an event with a newline in the value separates these; generated events hold none, the corpus does.
    candidate = "{ $.a = %^x$% }"
    result = compare_patterns(candidate, '{ $.a = "x" }', corpus=[{"a": "x\n"}])
    assert result.method is SAMPLING
    if counts(candidate, {"a": "x\n"}):  # Python-style '$' before a final newline
        assert result.verdict is COVERS and result.extra_example == {"a": "x\n"}
    else:
        assert result.verdict is EQUIVALENT


# ---------------------------------------------------------------- the 28 recorded and constructed sign-ins


def _variants() -> list[dict[str, Any]]:
    if not VARIANTS.exists():
        return []
    loaded: list[dict[str, Any]] = json.loads(VARIANTS.read_text())
    return loaded


@pytest.mark.skipif(not VARIANTS.exists(), reason=f"shared corpus not found at {VARIANTS}")
@pytest.mark.parametrize("pattern", [c[0] for c in CONSOLE_CASES])
def test_accepted_console_filters_count_every_recorded_failure(pattern: str) -> None:
    variants = _variants()
    meaning = judge_filter(pattern, cis_control("4.6"), corpus=[v["event"] for v in variants])
    must = [v for v in variants if v["cis_console_auth_failure_should_match"]]
    assert len(must) >= 5
    missed = [v["id"] for v in must if not counts(pattern, v["event"])]
    if meaning.accepted:
        assert missed == [], meaning.comparison.explanation
    elif missed:
        assert meaning.verdict is MISSES


CONSOLE_CLAUSES = st.sampled_from(
    [
        "$.eventName = ConsoleLogin",
        '$.eventName = "ConsoleLogin"',
        "$.eventName = Console*",
        "$.eventName != CheckMfa",
        '$.errorMessage = "Failed authentication"',
        '$.errorMessage = "Failed*"',
        "$.errorMessage = *",
        "$.errorMessage NOT EXISTS",
        "$.responseElements.ConsoleLogin = Failure",
        "$.sourceIPAddress = 1.2.3.4",
        "$.userIdentity.type = IAMUser",
        "$.userIdentity.type = Root",
        "$.eventSource = signin.amazonaws.com",
        "$.additionalEventData.MFAUsed = Yes",
        "$.errorCode NOT EXISTS",
        "$.eventType = AwsConsoleSignIn",
    ]
)
CONSOLE_FILTERS = st.recursive(
    CONSOLE_CLAUSES,
    lambda inner: st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["&&", "||"]), inner),
    max_leaves=4,
).map(lambda e: "{ " + e + " }")


@pytest.mark.skipif(not VARIANTS.exists(), reason=f"shared corpus not found at {VARIANTS}")
@given(CONSOLE_FILTERS)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_random_console_filters_judged_accepted_count_every_recorded_failure(pattern: str) -> None:
    variants = _variants()
    meaning = judge_filter(pattern, cis_control("4.6"))
    assert_witnesses(meaning.comparison)
    assert meaning.comparison.method is SYMBOLIC
    if meaning.accepted:
        for variant in variants:
            if variant["cis_console_auth_failure_should_match"]:
                assert counts(pattern, variant["event"]), variant["id"]


# ---------------------------------------------------------------- random pattern pairs


def _has_real_regex(*patterns: str) -> bool:
    # A regex that is a plain literal (%abc%) is decided symbolically; others may need sampling.
    return any("%^" in p or "%[" in p for p in patterns)


@given(related_pattern_pairs())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_witnesses_of_random_pairs_are_confirmed_by_the_matchers(pair: tuple[str, str]) -> None:
    candidate, reference = pair
    try:
        compile_pattern(reference)
    except ValueError:
        return
    result = compare_patterns(candidate, reference)
    assert_witnesses(result)
    if result.verdict is not INVALID and not _has_real_regex(candidate, reference):
        assert result.method is SYMBOLIC, result.explanation


@given(related_pattern_pairs())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_verdicts_of_random_pairs_agree_both_ways(pair: tuple[str, str]) -> None:
    candidate, reference = pair
    try:
        compile_pattern(candidate)
        compile_pattern(reference)
    except ValueError:
        return
    forward = compare_patterns(candidate, reference)
    backward = compare_patterns(reference, candidate)
    if SAMPLING in (forward.method, backward.method):
        return
    expected = {EQUIVALENT: {EQUIVALENT}, COVERS: {MISSES}, MISSES: {COVERS, MISSES}}
    assert backward.verdict in expected[forward.verdict]
    if forward.verdict is MISSES and forward.extra_example is None:
        assert backward.verdict is COVERS


# Values for $.a and $.b that separate the small grammar's tests: every kind, the literals and their neighbours,
# strings that look like numbers, arrays and objects holding them. Each pair of them is one event.
_GRID_VALUES: list[Any] = [
    *(MISSING, None, True, False, 0, 1, 2, -1, 3, -2, 1.5, 0.5, 1.0, 2.0),
    *("x", "xy", "yx", "x y", "1", "1.0", "", "o", "*x", "0", "2", "-1", "1.5", "x\n"),
    *([], [None], ["x"], [1], [1, "x"], [None, 1], [[None]], [{"c": 1}], [{"a": "x"}], [2, 0], [True], ["xy", 1.5]),
    *({}, {"c": 1}, {"c": "x"}, {"a": "x"}, {"a": 1}, {"x": 2}, {"c": None}, {"a": [1]}, {"c": True}),
    *({"a": {"c": 1}}, {"c": [1]}, {"a": None}),
]
GRID = [
    LogEvent(compact_json({k: v for k, v in (("a", a), ("b", b)) if v is not MISSING}))
    for a in _GRID_VALUES
    for b in _GRID_VALUES
]


@given(related_pattern_pairs(), st.lists(small_documents, max_size=8))
@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
def test_equivalent_and_covers_are_never_contradicted_by_a_corpus(
    pair: tuple[str, str], documents: list[dict[str, Any]]
) -> None:
    candidate, reference = pair
    try:
        compiled_reference = compile_pattern(reference)
        compiled_candidate = compile_pattern(candidate)
    except ValueError:
        return
    result = compare_patterns(candidate, reference)
    # Events near the witnesses too: each top-level field of each example set to other kinds of values.
    for example in (result.missed_example, result.extra_example):
        for name in example or {}:
            for value in (None, 1, "x", [], {}, [1], {"a": 1}, 1.5, "1", True):
                documents.append(set_path(example or {}, (Key(name, bracketed=False),), value))
    for event in [*GRID, *(LogEvent(compact_json(document)) for document in documents)]:
        in_reference, in_candidate = compiled_reference.test_event(event), compiled_candidate.test_event(event)
        if result.verdict in (EQUIVALENT, COVERS):
            assert not (in_reference and not in_candidate), (result.explanation, event.message)
        if result.verdict is EQUIVALENT:
            assert not (in_candidate and not in_reference), (result.explanation, event.message)


def test_a_search_beyond_its_budget_is_decided_by_sampling() -> None:
    candidate, reference = "{ $.x = 1 }", "{ ($.a = 1 || $.b = 1) && ($.c = 1 || $.d = 1) }"
    result = compare_patterns(candidate, reference, budget=1)
    assert (result.verdict, result.method) == (MISSES, SAMPLING)
    assert_witnesses(result)
    assert "sampling" in result.explanation
    assert compare_patterns(candidate, reference).method is SYMBOLIC


def test_cloudtrail_corpus_mutates_the_controls_record() -> None:
    control = cis_control("4.15")
    corpus = list(cloudtrail_corpus(control))
    identity_types = {event.get("userIdentity", {}).get("type") for event in corpus}
    assert set(USER_IDENTITY_TYPES) <= identity_types
    assert any("errorCode" in event for event in corpus) and any("errorCode" not in event for event in corpus)
    names = [event.get("eventName") for event in corpus]
    assert all(name in names for name in ("AcceptHandshake", "UpdateOrganizationalUnit", "CreateAccount"))
    sources = [json.dumps(event.get("eventSource", "absent")) for event in corpus]
    assert all(kind in sources for kind in ('"absent"', "null", "0", "true", "[]", "{}"))
    for event in corpus:
        json.loads(compact_json(event))
    assert corpus[0] == template_for("4.15")  # the shared record itself is never handed out
    corpus[0]["eventName"] = "changed"
    assert template_for("4.15")["eventName"] == "AttachPolicy"


def test_results_are_json_documents() -> None:
    meaning = judged('{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.x = 1 }', "4.6")
    document = json.loads(json.dumps(meaning.to_dict()))
    assert document["control"] == "4.6" and document["cisVersion"] == "7.0.0" and document["accepted"] is False
    assert document["verdict"] == "misses" and document["method"] == "symbolic" and document["proven"] is True
    assert document["missedExample"]["eventName"] == "ConsoleLogin" and document["extraExample"] is None
    assert document["error"] is None and document["alternative"] is None
    assert set(document) >= {"candidate", "reference", "explanation", "missedBranch", "sampledEvents"}
