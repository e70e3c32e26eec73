"""The HTML report on a laptop (1,400 px) and a phone (400 px), in headless Chromium (issue 12,
item 10).

Once a bug: at 400 px the charts ran past the page edge and the table showed three columns; at
1,400 px chart text was about 7 px, trend labels overlapped, and user names and key IDs broke
mid-word. Each page here is checked at both widths: no horizontal overflow of the page
(``document.scrollingElement.scrollWidth <= innerWidth``), every chart text at least 11 px as
drawn (computed font size times the SVG's scale), every chart inside the page.

The sample report's screenshot at 1,400 px is written to ``docs/report.png`` (the README shows
it) and, at 400 px, to ``docs/report-phone.png``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds import scan_report
from stalecreds.cli import main
from stalecreds.formats.html import render_html
from stalecreds.history.trend import TrendPoint
from stalecreds.model import AccessKey
from tests.conftest import ROOT, report, report_row, sample_scan
from tests.test_format_html import CHROMIUM, DevTools

WIDTHS = (1400, 400)
DOCS = ROOT / "docs"
NOV = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to test the page")
    devtools = DevTools(tmp_path_factory.mktemp("chromium-layout"))
    try:
        yield devtools
    finally:
        devtools.close()


def at_width(browser: DevTools, width: int) -> None:
    """Lay pages out ``width`` CSS pixels wide: a phone (viewport meta honoured) below 800."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800},
    )


def write(path: Path, scan: Any, history: list[TrendPoint] | None = None) -> Path:
    out = io.StringIO()
    render_html(scan, out, history=history)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def users(account: str, count: int, prefix: str = "service-account-") -> list[str]:
    return [
        report_row(
            user=f"{prefix}{n:03d}",
            arn=f"arn:aws:iam::{account}:user/engineering/{prefix}{n:03d}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date=f"202{n % 7}-01-01T00:00:00+00:00",
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample report, a trend of clustered scans, many accounts, and a failed folder scan."""
    folder = tmp_path_factory.mktemp("layout")
    accounts = [f"{210000000000 + n}" for n in range(8)]
    many = scan_report(
        report(*[row for account in accounts for row in users(account, 12)]), as_of=NOV
    )
    # Scans a few hours apart, then a month later: their labels would overlap if all drawn.
    times = [NOV - timedelta(days=60, hours=h) for h in (0, 3, 6, 9)]
    times += [NOV - timedelta(days=30), NOV - timedelta(days=29, hours=20)]
    history = [
        TrendPoint(account, moment, 5 + index + n)
        for index, moment in enumerate(times)
        for n, account in enumerate(accounts)
    ]
    exports = folder / "exports"
    exports.mkdir()
    (exports / "a.csv").write_text(report(*users("111122223333", 5)), encoding="utf-8")
    (exports / "b.csv").write_text(report(*users("444455556666", 5)), encoding="utf-8")
    (exports / "bad.csv").write_text(
        report(report_row(user="x", arn="arn:aws:iam::1:user/x", user_creation_time="no")),
        encoding="utf-8",
    )
    partial = folder / "partial.html"
    result = CliRunner().invoke(
        main,
        ["scan", "--report", str(exports), "--as-of", NOV.isoformat(), "--format", "html"],
    )
    assert result.exit_code == 4, result.stderr
    partial.write_text(result.stdout, encoding="utf-8")
    return {
        "sample": write(folder / "sample.html", sample_scan()),
        "trend": write(folder / "trend.html", many, history),
        "partial": partial,
    }


OVERFLOW = "[document.scrollingElement.scrollWidth, window.innerWidth]"

CHART_TEXT = """Array.from(document.querySelectorAll('svg.chart')).flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Array.from(svg.querySelectorAll('text')).map(text => [
    svg.id, text.textContent, parseFloat(getComputedStyle(text).fontSize) * scale]);
})"""

CHART_EDGES = """Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const figure = svg.closest('figure').getBoundingClientRect();
  return [svg.id, figure.left, figure.right, window.innerWidth];
})"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["sample", "trend", "partial"])
def test_no_horizontal_overflow_and_chart_text_at_least_11px(browser, pages, name, width):
    at_width(browser, width)
    browser.open(pages[name])
    assert browser.run("window.innerWidth") == width
    scroll_width, inner_width = browser.run(OVERFLOW)
    assert scroll_width <= inner_width, (name, width)
    texts = browser.run(CHART_TEXT)
    assert texts
    small = [(chart, text, round(size, 2)) for chart, text, size in texts if size < 11]
    assert small == [], (name, width)
    for chart, left, right, inner in browser.run(CHART_EDGES):
        assert left >= 0 and right <= inner, (chart, width)
    assert browser.problems() == []


def test_trend_labels_do_not_overlap(browser, pages):
    at_width(browser, 1400)
    browser.open(pages["trend"])
    boxes = browser.run(
        """Array.from(document.querySelectorAll('#chart-trend text.axis'))
             .filter(text => /^\\d{4}-|^\\d\\d-\\d\\d /.test(text.textContent))
             .map(text => { const b = text.getBoundingClientRect();
                            return [text.textContent, b.left, b.right]; })"""
    )
    assert len(boxes) >= 2
    boxes.sort(key=lambda box: box[1])
    for (_, _, right), (label, left, _) in itertools.pairwise(boxes):
        assert right <= left, (label, boxes)
    # the most recent scan is always labelled
    assert boxes[-1][0] == f"{NOV:%Y-%m-%d}"


WHOLE = """Array.from(document.querySelectorAll('#credentials tbody tr')).flatMap(row => {
  const out = [];
  for (const cell of [row.cells[1], row.cells[2]]) {
    const text = cell.firstChild;
    if (!text) continue;
    const word = cell.textContent.split(' ')[0];  // the user name, or the key ID
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, word.length);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    out.push([word, tops.size]);
  }
  return out;
})"""


def test_user_names_and_key_ids_are_never_broken_on_a_laptop(browser, tmp_path):
    at_width(browser, 1400)
    rows = [
        report_row(
            user="a-rather-long-but-valid-iam-user-name-of-sixty-four-characters-x",
            arn="arn:aws:iam::123456789012:user/a-rather-long-but-valid-iam-user-name-of-sixty-"
            "four-characters-x",
            password_enabled="true",
            password_last_used="2021-01-01T00:00:00+00:00",
            password_last_changed="2020-01-01T00:00:00+00:00",
        ),
        *users("123456789012", 5, prefix="deploy.pipeline+ci@example.com-"),
    ]
    scan = scan_report(report(*rows), as_of=NOV)
    path = write(tmp_path / "names.html", scan)
    browser.open(path)
    found = browser.run(WHOLE)
    assert found
    assert [word for word, lines in found if lines != 1] == []
    browser.open(write(tmp_path / "keys.html", with_key_ids(sample_scan())))
    found = browser.run(WHOLE)
    assert any(word.startswith("AKIA") for word, _ in found)
    assert [word for word, lines in found if lines != 1] == []


def with_key_ids(scan: Any) -> Any:
    """``scan`` with an ID for every access key, as a live scan has (a report has none)."""
    assessments = []
    for n, assessment in enumerate(scan.assessments):
        credential = assessment.credential
        if isinstance(credential, AccessKey):
            credential = credential._replace(access_key_id=f"AKIA{n:016d}")
        assessments.append(assessment._replace(credential=credential))
    return dataclasses.replace(scan, assessments=tuple(assessments))


CARDS = """Array.from(document.querySelectorAll('#credentials tbody tr'))
  .filter(row => row.offsetHeight > 0)
  .map(row => { const b = row.getBoundingClientRect();
                return [row.dataset.user, b.left, b.right, getComputedStyle(row).display]; })"""


def test_on_a_phone_each_credential_is_a_card_inside_the_page(browser, pages):
    at_width(browser, 400)
    browser.open(pages["sample"])
    cards = browser.run(CARDS)
    assert len(cards) == 17
    for user, left, right, display in cards:
        assert display == "block" and left >= 0 and right <= 400, user
    labels = browser.run(
        "getComputedStyle(document.querySelector('#credentials tbody td:nth-child(4)'),"
        " '::before').content"
    )
    assert labels == '"Verdict"'
    # filtering still hides cards
    browser.run(
        "const box = document.querySelector('[name=findings]'); box.checked = true;"
        "box.dispatchEvent(new Event('change', {bubbles: true}))"
    )
    assert len(browser.run(CARDS)) == 7
    assert browser.problems() == []


def screenshot(browser: DevTools, path: Path, width: int, height: int) -> None:
    """The top ``width`` x ``height`` CSS pixels of the page, as PNG."""
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = browser.call(
        "Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def test_screenshots_for_the_readme(browser, pages):
    """docs/report.png (1,400 px) and docs/report-phone.png (400 px): the top of the sample."""
    DOCS.mkdir(exist_ok=True)
    for width, height, name in ((1400, 1000, "report.png"), (400, 1100, "report-phone.png")):
        at_width(browser, width)
        browser.open(pages["sample"])
        screenshot(browser, DOCS / name, width, height)
        size = (DOCS / name).stat().st_size
        assert 10_000 < size < 400_000, (name, size)
