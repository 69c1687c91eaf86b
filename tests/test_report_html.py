"""The HTML pages as text (what they contain, what they escape, what they leave out) and ``trailguard report``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from audit_documents import HOSTILE, HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT_END, audit_document, control, mixed_audit
from aws_builders import AccountSpec, SubscriptionSpec, build_snapshot
from replay_documents import HOSTILE_ALARM, HOSTILE_USER, hostile_trail, long_trail, replay_outputs, trailguard
from trailguard.audit.findings import audit_document as real_audit_document
from trailguard.catalog import resolve_controls
from trailguard.report import DocumentError, document_kind, render_audit_html, render_replay_html

REPO = Path(__file__).resolve().parents[1]
FAILED_LOGIN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
SAMPLE = REPO / "examples" / "cloudtrail"


@pytest.fixture(scope="module")
def sample_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("sample")
    result = trailguard("replay", str(SAMPLE), "--output", "json", cwd=folder)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def assert_self_contained(page: str) -> None:
    """Nothing that would make the browser fetch: no src/href to elsewhere, no link, import or url()."""
    assert re.search(r"<(link|iframe|object|embed|img|audio|video|source)\b", page) is None
    assert re.search(r"<[a-zA-Z][^>]*\ssrc=", page) is None
    assert re.findall(r'href="([^"]*)"', page) == [h for h in re.findall(r'href="([^"]*)"', page) if h.startswith("#")]
    assert "@import" not in page and "url(" not in page
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;' in page


def test_sample_replay_page(sample_document: dict[str, Any]) -> None:
    page = render_replay_html(sample_document)
    assert_self_contained(page)
    assert "CIS-4.6-ConsoleAuthenticationFailures" in page
    assert 'data-state="ALARM" data-start="2026-11-20T09:13:00Z" data-end="2026-11-20T09:29:00Z"' in page
    assert "Threshold Crossed: 1 datapoint [3.0 (20/11/26 09:08:00)]" in page
    assert "&#34;NewStateValue&#34;: &#34;ALARM&#34;" in page  # the notification body, pretty, escaped
    assert "2026-11-20 09:09 → 09:14 (Sum 5)" in page  # busiest period
    assert "255 (the events of its log group)" in page
    assert len(page) < 100_000


def test_replay_page_of_the_cli_is_the_page_of_its_json_document(tmp_path: Path) -> None:
    trail = hostile_trail(tmp_path)
    document, page_path = replay_outputs(tmp_path, str(trail), "--config", str(tmp_path / "hostile.yaml"))
    assert page_path.read_text(encoding="utf-8") == render_replay_html(document)
    saved = tmp_path / "replay.json"
    result = trailguard("report", str(saved), "-o", str(tmp_path / "again.html"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote the replay page" in result.stderr
    assert (tmp_path / "again.html").read_text(encoding="utf-8") == page_path.read_text(encoding="utf-8")


def test_hostile_values_are_escaped_in_every_context(tmp_path: Path) -> None:
    trail = hostile_trail(tmp_path)
    _, page_path = replay_outputs(tmp_path, str(trail), "--config", str(tmp_path / "hostile.yaml"))
    page = page_path.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert HOSTILE_USER not in page and HOSTILE_ALARM not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    # The data blocks carry the alarm's name with < and > as JSON escapes, so no </script> can close them.
    blocks = re.findall(r'<script type="application/json" class="tg-hover">(.*?)</script>', page, re.S)
    assert blocks and all("<" not in block for block in blocks)
    assert any(json.loads(block)["alarm"] == HOSTILE_ALARM for block in blocks)
    # Exactly one executable script: the page's own.
    assert len(re.findall(r"<script>", page)) == 1
    audit_page = render_audit_html(mixed_audit())
    assert_self_contained(audit_page)
    for hostile in (HOSTILE, HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT_END):
        assert hostile not in audit_page
    assert "name&#34;: &#34;&#34; onmouseover=" not in audit_page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in audit_page
    assert "&#34; onmouseover=&#34;window.__pwned = 1&#34; x=&#34;" in audit_page  # the alarm's name, as text


def test_long_replay_is_capped_and_stays_small(tmp_path: Path) -> None:
    trail = long_trail(tmp_path, bursts=200)
    document, page_path = replay_outputs(tmp_path, str(trail))
    page = page_path.read_text(encoding="utf-8")
    (alarm,) = document["alarms"]
    assert len(alarm["transitions"]) == 400 and len(alarm["notifications"]) == 200
    assert page.count('<tr>\n<td class="time">') == 100
    assert page.count('<details class="notification">') == 10
    assert "The first 100 of 400 transitions are listed; 300 more are in the JSON document" in page
    assert page.count('class="tg-timeline"') == 4  # the overview and three close-ups
    assert len(page) < len(page_path.with_suffix(".json").read_text()) / 2


def test_audit_page_summary_and_findings() -> None:
    page = render_audit_html(mixed_audit())
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\n<td>([^<]*)</td>.*?</tr>", matrix, re.S)
    assert rows == ["4.6 (v7.0.0 5.6)", "4.3 (v7.0.0 5.3)", "4.4 (v7.0.0 5.4)", "4.5 (v7.0.0 5.5)", "4.7 (v7.0.0 5.7)"]
    first_row = matrix.split("</tr>", 2)[1]
    assert re.findall(r'class="status status-(\w+)"', first_row) == ["PASS", "FAIL"]
    findings = page.split('<table class="findings">', 1)[1].split("</table>", 1)[0]
    assert findings.count("<tr>") == 1 + 8  # header, 6 FAIL, 1 MANUAL, 1 ERROR
    assert "Metric filter" in findings and "Subscription" in findings
    assert "Check the metric filter and alarm on log group CloudTrail/Org in account 999988887777." in page
    assert "AccessDeniedException" in page
    assert "1 other candidate chain" in page


def test_a_passing_audit_says_so() -> None:
    page = render_audit_html(audit_document([control("us-east-1", "PASS"), control("eu-west-1", "PASS")]))
    assert "Every control passes in every region audited." in page
    assert page.count('data-state="ok"') == 12 and 'data-state="broken"' not in page


# ---------------------------------------------------------------- documents and the report command


def test_document_kind() -> None:
    assert document_kind(mixed_audit()) == "audit"
    assert document_kind({"alarms": [], "metrics": [], "filters": [], "window": {}, "input": {}}) == "replay"
    with pytest.raises(DocumentError, match="not a trailguard document"):
        document_kind({"Records": []})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["alarms"][0]["transitions"][0].update(time=12), "alarms[0].transitions[0].time: expected a str"),
        (lambda d: d["alarms"][0]["transitions"][0].update(time="soon"), "alarms[0].transitions[0].time: expected"),
        (lambda d: d["metrics"][0].update(datapoints={}), "metrics[0].datapoints: expected a list, found an object"),
        (lambda d: d["input"].update(quarantinedByReason={"x": "many"}), "input.quarantinedByReason.x"),
        (lambda d: d.update(window=None), "window: expected an object, found null"),
    ],
)
def test_invalid_replay_documents_name_the_field(sample_document: dict[str, Any], change: Any, message: str) -> None:
    document = json.loads(json.dumps(sample_document))
    change(document)
    with pytest.raises(DocumentError) as raised:
        render_replay_html(document)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["controls"][1].update(status="MAYBE"), "controls[1].status is 'MAYBE'; expected one of PASS"),
        (lambda d: d["controls"][2].update(brokenLink="dns"), "controls[2].brokenLink is 'dns'; expected null or"),
        (lambda d: d["controls"][0]["evidence"]["chain"][3].update(kind="sqs"), "controls[0].evidence.chain[3].kind"),
        (lambda d: d["controls"][0]["evidence"]["chain"][0].update(ok="yes"), "controls[0].evidence.chain[0].ok is"),
        (lambda d: d["summary"].update(PASS="all"), "summary.PASS: expected a number, found a string"),
    ],
)
def test_invalid_audit_documents_name_the_field(change: Any, message: str) -> None:
    """The audit's fields are checked as every audit format checks them (report.audit_document), the fields only the
    page reads by the page."""
    document = mixed_audit()
    change(document)
    with pytest.raises(DocumentError) as raised:
        render_audit_html(document)
    assert message in str(raised.value)


def test_report_command_renders_either_document(tmp_path: Path) -> None:
    audit_json = tmp_path / "audit.json"
    audit_json.write_text(json.dumps(mixed_audit()))
    result = trailguard("report", str(audit_json), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "audit.html").read_text(encoding="utf-8") == render_audit_html(mixed_audit())
    to_stdout = trailguard("report", str(audit_json), "-o", "-", cwd=tmp_path)
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.json: no such file"),
        (b'{\n  "alarms": [,]\n}', "bad.json: not valid JSON: "),
        (b"[1, 2]", "bad.json: expected a JSON object, found a list"),
        (b'{"Records": []}', "bad.json: not a trailguard document"),
        (b'{"controls": [{"status": "PASS"}], "summary": {}}', "bad.json: audit document: account is None"),
    ],
)
def test_report_command_errors_name_the_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    name = "missing.json" if content is None else "bad.json"
    if content is not None:
        (tmp_path / name).write_bytes(content)
    result = trailguard("report", name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "bad.html").exists()


def test_invalid_json_error_gives_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b'{\n  "alarms": [,]\n}')
    result = trailguard("report", "bad.json", cwd=tmp_path)
    assert "(line 2, column 14)" in result.stderr


def test_replay_html_needs_an_output_file_and_its_folder(tmp_path: Path) -> None:
    missing = trailguard("replay", str(SAMPLE), "--output", "html", cwd=tmp_path)
    assert missing.returncode == 2 and "--output html writes a file: give --output-file FILE" in missing.stderr
    nowhere = trailguard("replay", str(SAMPLE), "--output", "html", "--output-file", "no/such/dir/r.html", cwd=tmp_path)
    assert nowhere.returncode == 2 and "the folder" in nowhere.stderr and "does not exist" in nowhere.stderr
    assert "Traceback" not in missing.stderr + nowhere.stderr


def test_text_report_summarises_a_long_replay_and_lists_everything_with_verbose(tmp_path: Path) -> None:
    trail = long_trail(tmp_path, bursts=30)
    short = trailguard("replay", str(trail), cwd=tmp_path)
    assert short.returncode == 0, short.stderr
    summary, details = short.stdout.split("CIS-4.6-ConsoleAuthenticationFailures ─", 1)
    assert "busiest period" in summary and "time in ALARM" in summary
    assert details.count(" → ALARM  Threshold Crossed") == 5  # 10 transitions listed, half of them to ALARM
    assert "… 50 more transitions (--verbose lists every one" in details
    assert "busiest periods: " in details
    full = trailguard("replay", str(trail), "--verbose", cwd=tmp_path)
    assert full.stdout.count(" → ALARM  Threshold Crossed") == 30 and "more transitions" not in full.stdout
    to_file = trailguard("replay", str(trail), "--output-file", "report.txt", cwd=tmp_path)
    assert to_file.stdout == "" and "busiest period" in (tmp_path / "report.txt").read_text()


# ---------------------------------------------------------------- documents of the real audit


def real_audit(spec: AccountSpec, controls: str = "4.6", **snapshot: Any) -> dict[str, Any]:
    document: dict[str, Any] = real_audit_document(build_snapshot(spec, **snapshot), resolve_controls(controls))
    return document


@pytest.mark.parametrize(
    ("spec", "status", "broken", "state"),
    [
        (AccountSpec(), "PASS", None, None),
        (AccountSpec().with_monitor(0, alarm=False), "FAIL", "alarm", "broken"),
        (AccountSpec(subscriptions=(SubscriptionSpec(confirmed=False),)), "FAIL", "subscription", "broken"),
        (AccountSpec(topic_kms_key="arn:aws:kms:us-east-1:123456789012:key/abcd"), "MANUAL", "topic", "manual"),
        (AccountSpec(log_group_account="111122223333"), "MANUAL", "logGroup", "manual"),
        (AccountSpec(denied=("logs:DescribeMetricFilters",)), "ERROR", "logGroup", "error"),
    ],
)
def test_pages_of_real_audit_documents_mark_where_the_chain_stopped(
    spec: AccountSpec, status: str, broken: str | None, state: str | None
) -> None:
    document = real_audit(spec)
    (finding,) = document["controls"]
    assert (finding["status"], finding["brokenLink"]) == (status, broken)
    page = render_audit_html(document)
    chain = page.split('<ol class="chain">', 1)[1].split("</ol>", 1)[0]
    states = dict(re.findall(r'data-kind="(\w+)" data-state="(\w+)"', chain))
    if broken is None:
        assert set(states.values()) == {"ok"}
    else:
        assert states[broken] == state
        assert finding["remedy"] in html.unescape(page)
    assert list(states) == ["trail", "logGroup", "metricFilter", "alarm", "topic", "subscription"]


def test_page_of_a_real_audit_with_a_witness_event_and_two_regions() -> None:
    narrowed = FAILED_LOGIN[:-2] + " && ($.userIdentity.type = IAMUser) }"
    document = real_audit(AccountSpec().with_monitor(0, pattern=narrowed), regions=["us-east-1", "eu-west-1"])
    page = render_audit_html(document)
    witness = page.split('<details class="witness" open>', 1)[1].split("</pre>", 1)[0].split("<pre>", 1)[1]
    assert json.loads(html.unescape(witness))["errorMessage"] == "Failed authentication"
    assert "<th>eu-west-1</th><th>us-east-1</th>" in page.replace("\n", "")
