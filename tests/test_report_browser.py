"""The HTML reports opened in a real headless Chromium (Debian's ``chromium``, driven by Playwright): they load
with no console error and no request beyond the file itself, draw the ALARM band where the replay's transitions
are, show the broken link of a failing chain, keep hostile values as text, read without JavaScript, and print
without their navigation. Each test writes a screenshot (into its tmp folder, and also into
``$TRAILGUARD_SCREENSHOT_DIR`` when that is set) for a person to look at.

Skips, saying why, where the playwright package or a Chromium that starts is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from audit_documents import HOSTILE, failing_at, mixed_audit
from replay_documents import (
    HOSTILE_ALARM,
    HOSTILE_DESCRIPTION,
    HOSTILE_USER,
    HOSTILE_USER_ATTRIBUTE,
    hostile_trail,
    long_trail,
    replay_outputs,
)
from trailguard.report import render_audit_html
from trailguard.report.document import parse_time

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("TRAILGUARD_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser_factory() -> Iterator[Any]:
    """A browser context with a fresh profile, shared by the module's tests (each opens its own page);
    ``factory(javascript=False)`` starts another one, without scripts."""
    # Imported here, not when the module is collected: the suite's other tests spawn processes whose peak memory
    # is measured, and a forked child starts from its parent's size.
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set TRAILGUARD_CHROMIUM)")
    contexts: list[Any] = []
    shared: dict[bool, Any] = {}
    with playwright_api.sync_playwright() as playwright:

        def factory(*, javascript: bool = True) -> Any:
            if javascript in shared:
                return shared[javascript]
            profile = tempfile.mkdtemp(prefix="trailguard-chromium-")
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                java_script_enabled=javascript,
                viewport={"width": 1280, "height": 900},
                offline=True,
            )
            contexts.append((context, profile))
            shared[javascript] = context
            return context

        try:
            factory()
        except playwright_api.Error as error:
            pytest.skip(f"Chromium at {executable} could not be started: {str(error).splitlines()[0]}")
        yield factory
        for context, profile in contexts:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@dataclass
class OpenedPage:
    page: Any
    problems: list[str] = field(default_factory=list)  # console errors and warnings, uncaught exceptions
    requests: list[str] = field(default_factory=list)


def open_page(context: Any, path: Path) -> OpenedPage:
    page = context.new_page()
    opened = OpenedPage(page)
    page.on("console", lambda message: message.type in ("error", "warning") and opened.problems.append(message.text))
    page.on("pageerror", lambda error: opened.problems.append(str(error)))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.goto(path.as_uri(), wait_until="load")
    return opened


def screenshot(opened: OpenedPage, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    opened.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a page, not a blank
    copies = os.environ.get("TRAILGUARD_SCREENSHOT_DIR")
    if copies:
        Path(copies).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copies) / path.name)
    return path


def assert_self_contained(opened: OpenedPage, path: Path) -> None:
    assert opened.problems == []
    assert opened.requests == [path.as_uri()]


# ---------------------------------------------------------------- replay


def test_replay_page_draws_the_alarm_band_at_the_transition_times(browser_factory: Any, tmp_path: Path) -> None:
    trail = hostile_trail(tmp_path)
    document, page_path = replay_outputs(tmp_path, str(trail), "--config", str(tmp_path / "hostile.yaml"))
    opened = open_page(browser_factory(), page_path)
    assert_self_contained(opened, page_path)
    page = opened.page

    alarm = document["alarms"][0]
    assert alarm["name"] == HOSTILE_ALARM
    transitions = alarm["transitions"]
    assert [t["to"] for t in transitions] == ["ALARM", "INSUFFICIENT_DATA", "ALARM", "INSUFFICIENT_DATA"]
    svg = page.locator("#alarm-1 svg.tg-timeline").first
    start, end = parse_time(svg.get_attribute("data-start")), parse_time(svg.get_attribute("data-end"))
    left, right = float(svg.get_attribute("data-left")), float(svg.get_attribute("data-right"))
    bands = svg.locator("rect.band[data-state=ALARM]")
    assert bands.count() == 2
    for index, (into, out_of) in enumerate([(transitions[0], transitions[1]), (transitions[2], transitions[3])]):
        band = bands.nth(index)
        assert (band.get_attribute("data-start"), band.get_attribute("data-end")) == (into["time"], out_of["time"])
        x, width = float(band.get_attribute("x")), float(band.get_attribute("width"))
        expected_x = left + (parse_time(into["time"]) - start) / (end - start) * (right - left)
        expected_end = left + (parse_time(out_of["time"]) - start) / (end - start) * (right - left)
        assert x == pytest.approx(expected_x, abs=0.01)
        assert x + width == pytest.approx(expected_end, abs=0.01)
        assert band.bounding_box()["width"] > 10  # drawn, at a visible size
    # One notification marker per notification, at its time.
    markers = svg.locator("path.marker[data-time]")
    assert [markers.nth(i).get_attribute("data-time") for i in range(markers.count())] == [
        n["time"] for n in alarm["notifications"]
    ]
    # The threshold line sits at the threshold's height on the value axis.
    assert svg.locator("line.threshold").count() == 1

    # The readout (the page's script) names the state under the pointer.
    box = bands.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    readout = page.locator("#alarm-1 output.readout").first
    assert "ALARM" in readout.inner_text() and "Sum" in readout.inner_text()
    assert readout.get_attribute("aria-label").startswith(HOSTILE_ALARM)
    screenshot(opened, tmp_path, "replay-page")


def test_replay_page_shows_hostile_values_as_text_and_runs_none(browser_factory: Any, tmp_path: Path) -> None:
    trail = hostile_trail(tmp_path)
    _, page_path = replay_outputs(tmp_path, str(trail), "--config", str(tmp_path / "hostile.yaml"))
    opened = open_page(browser_factory(), page_path)
    assert_self_contained(opened, page_path)
    page = opened.page
    assert page.evaluate("() => window.__pwned") is None
    text = page.locator("body").inner_text()
    for hostile in (HOSTILE_USER, HOSTILE_ALARM, HOSTILE_DESCRIPTION, HOSTILE_USER_ATTRIBUTE.strip()):
        assert hostile in text
    # No element or attribute came out of the values: one script of ours, the rest data blocks, no images.
    assert page.locator("script:not([type])").count() == 1
    assert page.locator("img").count() == 0
    assert page.locator("[onmouseover], [onerror]").count() == 0
    # The chart's data block kept the alarm's name whole, as data.
    islands = page.evaluate(
        "() => Array.from(document.querySelectorAll('script.tg-hover'), s => JSON.parse(s.textContent).alarm)"
    )
    assert HOSTILE_ALARM in islands
    for element in page.locator("td, code, summary").all()[:60]:
        element.hover(timeout=2000, force=True)
    assert page.evaluate("() => window.__pwned") is None
    screenshot(opened, tmp_path, "replay-hostile")


def test_long_replay_page_is_summarised_and_readable_without_javascript(browser_factory: Any, tmp_path: Path) -> None:
    trail = long_trail(tmp_path, bursts=200)
    document, page_path = replay_outputs(tmp_path, str(trail))
    (alarm,) = document["alarms"]
    assert len(alarm["transitions"]) == 400
    opened = open_page(browser_factory(javascript=False), page_path)
    assert_self_contained(opened, page_path)
    page = opened.page
    overview = page.locator("#alarm-1 svg.tg-timeline").first
    # 401 bands are more than a timeline draws one by one: it draws columns, ALARM shaded by its share.
    assert overview.locator("rect.band").count() == 0
    assert overview.locator("path.layer[data-state=ALARM]").count() >= 1
    assert page.locator("#alarm-1 details.close-ups svg.tg-timeline").count() == 3
    assert page.locator("#alarm-1 table.transitions tbody tr").count() == 100
    assert "The first 100 of 400 transitions are listed" in page.locator("#alarm-1").inner_text()
    assert page.locator("#alarm-1 details.notification").count() == 10
    screenshot(opened, tmp_path, "replay-long-no-javascript")


# ---------------------------------------------------------------- audit


def write_audit(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "audit.html"
    path.write_text(render_audit_html(document), encoding="utf-8")
    return path


def test_audit_page_highlights_the_broken_link_of_a_failing_account(browser_factory: Any, tmp_path: Path) -> None:
    page_path = write_audit(tmp_path, mixed_audit())
    opened = open_page(browser_factory(), page_path)
    assert_self_contained(opened, page_path)
    page = opened.page
    card = page.locator("article.card[data-status=FAIL][data-region=eu-west-1]").first
    states = [card.locator("ol.chain > li").nth(i).get_attribute("data-state") for i in range(6)]
    assert states == ["ok", "ok", "broken", "unreached", "unreached", "unreached"]
    broken = card.locator("ol.chain > li[data-state=broken]")
    assert broken.get_attribute("data-kind") == "metricFilter"
    assert "the pattern requires errorCode" in broken.inner_text()
    # Visibly broken: its border is the alarm red, unlike its neighbours.
    border = broken.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border != card.locator("ol.chain > li").first.evaluate("e => getComputedStyle(e).borderTopColor")
    assert "Replace the filter pattern with the CIS pattern." in card.locator(".remedy").inner_text()
    witness = card.locator("details.witness pre").inner_text()
    assert json.loads(witness)["userIdentity"]["userName"] == HOSTILE  # the witness event, whole, as text
    assert page.evaluate("() => window.__pwned") is None
    screenshot(opened, tmp_path, "audit-page")


@pytest.mark.parametrize("kind", ["trail", "logGroup", "metricFilter", "alarm", "topic", "subscription"])
def test_audit_page_marks_each_link_kind_broken(browser_factory: Any, tmp_path: Path, kind: str) -> None:
    from audit_documents import audit_document

    page_path = write_audit(tmp_path, audit_document([failing_at(kind, "us-east-1")]))
    opened = open_page(browser_factory(), page_path)
    assert_self_contained(opened, page_path)
    chain = opened.page.locator("article.card ol.chain").first
    broken = chain.locator("li[data-state=broken]")
    assert broken.count() == 1 and broken.get_attribute("data-kind") == kind
    after = chain.locator("li[data-state=broken] ~ li")
    assert all(after.nth(i).get_attribute("data-state") == "unreached" for i in range(after.count()))


def test_audit_summary_prints_without_navigation(browser_factory: Any, tmp_path: Path) -> None:
    page_path = write_audit(tmp_path, mixed_audit())
    opened = open_page(browser_factory(), page_path)
    page = opened.page
    assert page.locator("nav.toc").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav.toc").is_visible()
    assert page.locator("table.matrix").first.is_visible()
    pdf = tmp_path / "audit.pdf"
    page.pdf(path=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    assert opened.problems == []


def test_audit_html_of_an_account_in_moto(
    browser_factory: Any, moto_server: str, aws_environment: str, tmp_path: Path
) -> None:
    """``trailguard audit --output html`` end to end: a real account (moto's HTTP server), the real audit, the page."""
    from aws_builders import AccountSpec, build_account

    account = build_account(moto_server, AccountSpec.for_controls("4.6", "4.3"))
    page_path = tmp_path / "audit.html"
    where = ["--endpoint-url", moto_server, "--role-arn", account.role_arn, "--region", "us-east-1"]
    output = ["--output", "html", "--output-file", str(page_path)]
    result = subprocess.run(
        [sys.executable, "-m", "trailguard", "audit", *where, "--controls", "4.6,4.3,4.1", *output],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=dict(os.environ),
    )
    assert result.returncode == 3, result.stderr  # 4.1 has no metric filter in this account
    opened = open_page(browser_factory(), page_path)
    assert_self_contained(opened, page_path)
    page = opened.page
    statuses = page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.status)")
    assert sorted(statuses) == ["FAIL", "PASS", "PASS"]
    failing = page.locator("article.card[data-status=FAIL]")
    chosen = failing.locator("ol.chain").first  # the chain that got furthest; the others are folded below it
    assert chosen.locator("li[data-state=broken]").get_attribute("data-kind") == "metricFilter"
    assert failing.locator(".remedy").is_visible()
    assert account.account_id in page.locator("header").inner_text()
    screenshot(opened, tmp_path, "audit-moto-account")
