"""The HTML report: golden file, escaping, self-containment, charts and table by parsing; then
the page itself in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``):
no console errors, no network request, charts drawn, filters, fragment and sorting working.

The browser tests skip when /usr/bin/chromium is missing (Debian's ``chromium`` package).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import io
import json
import os
import queue
import re
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from stalecreds import scan_report
from stalecreds.formats import OutputFormat
from stalecreds.formats.html import render_html
from stalecreds.formats.html_charts import (
    AGE_BUCKETS,
    MAX_CHART_ACCOUNTS,
    MAX_TREND_LINES,
    trend_chart,
)
from stalecreds.history.trend import TrendPoint
from stalecreds.report.input import ReportSource
from tests.conftest import (
    TRICKY_ACCOUNTS,
    TRICKY_USERS,
    report,
    report_row,
    sample_scan,
    tricky_scan,
)

CHROMIUM = Path("/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"


def render(scan: Any) -> str:
    out = io.StringIO()
    render_html(scan, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def sample_html() -> str:
    return render(sample_scan())


@pytest.fixture(scope="module")
def tricky_html() -> str:
    return render(tricky_scan())


# --- Without a browser ----------------------------------------------------------------------


def test_golden(golden, sample_html):
    golden("sample.html", sample_html)


def test_registered_and_collects():
    assert OutputFormat("html").renderer() is render_html
    assert OutputFormat.HTML.streams is False


class _Page(HTMLParser):
    """Collects what the tests check: tags with their attributes, text, and inline blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.rows: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.blocks:
            self._in = tag
            self.blocks[tag].append("")
        if tag == "tr" and "data-i" in dict(attrs):
            self.rows.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.blocks[self._in][-1] += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_values_are_escaped(tricky_html):
    for name in TRICKY_USERS:
        assert name not in tricky_html or name == "plain-user"
    assert "<script>alert" not in tricky_html
    assert "<img" not in tricky_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tricky_html
    assert 'data-user="&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"' in tricky_html
    assert "a&quot;b&#x27;c&amp;d|e`f*g_h[i](j)#k@team" in tricky_html
    page = parse(tricky_html)
    # Exactly one script (ours) and one stylesheet; the user names come back intact as data.
    assert [tag for tag, _ in page.tags].count("script") == 1
    users = Counter(row["data-user"] for row in page.rows)
    assert users == Counter({name: 2 * len(TRICKY_ACCOUNTS) for name in TRICKY_USERS})
    assert not any(attr.startswith("on") for _, attrs in page.tags for attr in attrs)


def test_self_contained_with_a_strict_content_security_policy(sample_html):
    page = parse(sample_html)
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert "href" not in attrs, tag
        assert tag not in {"link", "img", "iframe", "object", "embed", "base"}
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", sample_html))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert "@import" not in sample_html and "url(" not in sample_html
    (policy,) = [
        attrs["content"]
        for tag, attrs in page.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy is not None
    (script,) = page.blocks["script"]
    (style,) = page.blocks["style"]

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert policy == (
        f"default-src 'none'; style-src 'sha256-{digest(style)}'; "
        f"script-src 'sha256-{digest(script)}'; img-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def _svg(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, chart_id
    return ET.fromstring(match.group(0))


def _bar_titles(svg: ET.Element) -> list[str]:
    return [
        rect.findtext(f"{SVG}title") or ""
        for rect in svg.iter(f"{SVG}rect")
        if "bar" in rect.get("class", "").split()
    ]


def test_account_chart_counts_verdicts_per_account(tricky_html):
    titles = sorted(_bar_titles(_svg(tricky_html, "chart-accounts")))
    expected = sorted(
        f"{account}: {count} {verdict}"
        for account in TRICKY_ACCOUNTS
        for verdict, count in (("in use", 3), ("never used", 3), ("unused", 2))
    )
    assert titles == expected


def test_age_histogram_buckets(sample_html):
    titles = _bar_titles(_svg(sample_html, "chart-age"))
    # Sample as of 2026-11-01T10:00Z. Passwords: root 45 d, alice 0, bob 231, frank 62,
    # break-glass 934, carol and dave never. Keys: root 2699 d, alice 0, bob 235, ci-deploy 0 and
    # 655, data-pipeline never and 0, legacy-backup never, reporting never.
    assert titles == [
        "0-7 days: 1 password",
        "0-7 days: 3 access keys",
        "31-45 days: 1 password",
        "46-90 days: 1 password",
        "181-365 days: 1 password",
        "181-365 days: 1 access key",
        "1-2 y days: 1 access key",
        "> 2 y days: 1 password",
        "> 2 y days: 1 access key",
        "never days: 2 passwords",
        "never days: 3 access keys",
    ]
    assert [bucket.label for bucket in AGE_BUCKETS][-1] == "> 2 y"


def test_many_accounts_share_the_last_bar():
    rows = [
        report_row(
            user=f"u{n}",
            arn=f"arn:aws:iam::{100000000000 + n}:user/u{n}",
            password_enabled="true",
            password_last_used="2026-10-30T00:00:00+00:00",
            password_last_changed="2024-01-01T00:00:00+00:00",
        )
        for n in range(MAX_CHART_ACCOUNTS + 5)
    ]
    html = render(scan_report(report(*rows), as_of=datetime(2026, 11, 1, tzinfo=UTC)))
    svg = _svg(html, "chart-accounts")
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(labels) == MAX_CHART_ACCOUNTS + 1
    assert labels[-1] == "5 other accounts"
    assert _bar_titles(svg)[-1] == "5 other accounts: 5 in use"


def test_empty_scan_renders():
    html = render(scan_report(report(), as_of=datetime(2026, 11, 1, tzinfo=UTC)))
    assert "No credentials." in html
    assert 'data-count="0"' in html
    assert '<p id="empty">' in html
    parse(html)


def _stale_keys(account: str, count: int, fresh: int = 1) -> list[str]:
    """``count`` users of ``account`` with an access key unused since 2021, ``fresh`` in use."""
    return [
        report_row(
            user=f"u{n}",
            arn=f"arn:aws:iam::{account}:user/u{n}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date=(
                "2021-01-01T00:00:00+00:00" if n < count else "2026-10-31T00:00:00+00:00"
            ),
        )
        for n in range(count + fresh)
    ]


NOV = datetime(2026, 11, 1, tzinfo=UTC)


def _point_titles(svg: ET.Element) -> list[str]:
    return [circle.findtext(f"{SVG}title") or "" for circle in svg.iter(f"{SVG}circle")]


def test_without_history_there_is_no_trend_chart(sample_html):
    assert 'id="chart-trend"' not in sample_html


def test_trend_chart_adds_this_scan_to_the_history():
    history = [
        TrendPoint("111122223333", datetime(2026, 9, 1, tzinfo=UTC), 9),
        TrendPoint("111122223333", datetime(2026, 10, 1, tzinfo=UTC), 5),
        TrendPoint("999999999999", datetime(2026, 10, 1, tzinfo=UTC), 40),  # not in this scan
    ]
    scan = scan_report(report(*_stale_keys("111122223333", 2)), as_of=NOV)
    out = io.StringIO()
    render_html(scan, out, history=history)
    html = out.getvalue()
    svg = _svg(html, "chart-trend")
    assert _point_titles(svg) == [
        "111122223333: 9 findings, 2026-09-01 00:00 UTC",
        "111122223333: 5 findings, 2026-10-01 00:00 UTC",
        "111122223333: 2 findings, 2026-11-01 00:00 UTC",
    ]
    assert len(list(svg.iter(f"{SVG}polyline"))) == 1
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.text and "→" in t.text]
    assert legend == ["111122223333: 9 → 2"]
    assert "This scan and 2 earlier scans recorded in the history." in html
    assert '<span class="was">5 at the previous scan, 2026-10-01</span>' in html
    parse(html)


def test_trend_chart_of_a_first_scan_says_so():
    scan = scan_report(report(*_stale_keys("111122223333", 3)), as_of=NOV)
    out = io.StringIO()
    render_html(scan, out, history=[])
    html = out.getvalue()
    assert _point_titles(_svg(html, "chart-trend")) == [
        "111122223333: 3 findings, 2026-11-01 00:00 UTC"
    ]
    assert "Only this scan so far" in html
    assert 'class="was"' not in html


def test_trend_chart_lines_the_accounts_that_changed_most_and_totals_all():
    # Accounts 0..7 had 10 findings each on 2026-10-01; now account n has n: the largest
    # changes are the accounts with fewest findings now.
    accounts = [f"{100000000000 + n}" for n in range(MAX_TREND_LINES + 2)]
    rows = [row for n, account in enumerate(accounts) for row in _stale_keys(account, n)]
    earlier = datetime(2026, 10, 1, tzinfo=UTC)
    history = [TrendPoint(account, earlier, 10) for account in accounts]
    out = io.StringIO()
    render_html(scan_report(report(*rows), as_of=NOV), out, history=history)
    html = out.getvalue()
    svg = _svg(html, "chart-trend")
    lines = [line.get("class") for line in svg.iter(f"{SVG}polyline")]
    assert lines == [f"line s-{n}" for n in range(MAX_TREND_LINES)]
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.text and "→" in t.text]
    assert legend == [f"{accounts[n]}: 10 → {n}" for n in range(MAX_TREND_LINES)]
    total_now = sum(range(len(accounts)))
    assert (
        f"A line each for the {MAX_TREND_LINES} accounts whose findings changed most; all "
        f"{len(accounts)} accounts: {10 * len(accounts)} → {total_now}." in html
    )
    assert f'<span class="was">{10 * len(accounts)} at the previous scan, 2026-10-01</span>' in html


def test_trend_axis_is_labelled_at_the_scans_own_dates():
    history = [
        TrendPoint("111122223333", datetime(2026, 9, 1, tzinfo=UTC), 5),
        TrendPoint("111122223333", datetime(2026, 10, 7, tzinfo=UTC), 3),
    ]
    out = io.StringIO()
    render_html(
        scan_report(report(*_stale_keys("111122223333", 2)), as_of=NOV), out, history=history
    )
    svg = _svg(out.getvalue(), "chart-trend")
    labels = [
        t.text
        for t in svg.iter(f"{SVG}text")
        if t.get("class") == "axis" and (t.text or "").startswith("2026-")
    ]
    assert labels == ["2026-09-01", "2026-10-07", "2026-11-01"]


def test_a_scan_judged_before_recorded_ones_charts_only_the_earlier_ones():
    history = [
        TrendPoint("111122223333", datetime(2026, 9, 1, tzinfo=UTC), 5),
        TrendPoint("111122223333", datetime(2026, 12, 1, tzinfo=UTC), 9),  # after this scan
    ]
    out = io.StringIO()
    render_html(
        scan_report(report(*_stale_keys("111122223333", 2)), as_of=NOV), out, history=history
    )
    html = out.getvalue()
    assert _point_titles(_svg(html, "chart-trend")) == [
        "111122223333: 5 findings, 2026-09-01 00:00 UTC",
        "111122223333: 2 findings, 2026-11-01 00:00 UTC",
    ]
    assert "This scan and 1 earlier scan recorded in the history." in html


def test_the_previous_count_says_when_some_accounts_are_new():
    history = [TrendPoint("111122223333", datetime(2026, 10, 1, tzinfo=UTC), 5)]
    rows = _stale_keys("111122223333", 2) + _stale_keys("444455556666", 3)
    out = io.StringIO()
    render_html(scan_report(report(*rows), as_of=NOV), out, history=history)
    assert (
        '<span class="was">5 at the previous scan, 2026-10-01 (1 of 2 accounts)</span>'
        in out.getvalue()
    )


def test_one_finding_is_singular():
    out = io.StringIO()
    render_html(scan_report(report(*_stale_keys("111122223333", 1)), as_of=NOV), out)
    assert '<span class="n">1</span><span class="l">finding</span>' in out.getvalue()


def test_trend_chart_escapes_account_ids():
    svg = trend_chart({"<b>&x": [TrendPoint("<b>&x", NOV, 1)]})
    assert "<b>" not in svg
    assert ET.fromstring(svg).findtext(f"{SVG}circle/{SVG}title") == "<b>&x: 1 finding, " + (
        "2026-11-01 00:00 UTC"
    )


def test_bidi_and_control_characters_are_shown_escaped():
    row = report_row(
        user="bidi\u202egnp.exe",
        arn="arn:aws:iam::123456789012:user/x\x1b[31m",
        password_enabled="true",
        password_last_used="2026-10-01T00:00:00+00:00",
        password_last_changed="2025-01-01T00:00:00+00:00",
    )
    html = render(scan_report(report(row), as_of=NOV))
    assert "\u202e" not in html and "\x1b" not in html
    assert "bidi\\x202egnp.exe" in html


def test_a_live_scan_is_named_once():
    scan = dataclasses.replace(
        scan_report(report(), as_of=NOV),
        source=ReportSource("credential report of account 123456789012", "iam-credential-report"),
    )
    html = render(scan)
    assert '<p class="facts">Credential report of account 123456789012 · ' in html
    assert "<code>" not in html.split('<p class="facts">')[1].split("</p>")[0]


def test_table_has_every_credential_findings_first(sample_html):
    rows = parse(sample_html).rows
    assert len(rows) == 17
    assert [row["data-finding"] for row in rows] == ["1"] * 7 + ["0"] * 10
    assert [row["data-i"] for row in rows] == [str(i) for i in range(17)]
    assert rows[7]["data-user"] == "ci-deploy"  # the clean-up candidate, right after findings


def test_dates_are_utc_days_with_ages(sample_html):
    assert (
        '<time datetime="2026-03-10T18:44:00+00:00" title="2026-03-10 18:44:00 UTC">2026-03-10'
        '</time> <span class="age">(235 d)</span>' in sample_html
    )
    assert "judged as of 2026-11-01 10:00 UTC" in sample_html


# --- In headless Chromium ---------------------------------------------------------------------


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class DevTools:
    """A Chromium started with ``--remote-debugging-pipe``: DevTools protocol messages are JSON
    terminated by NUL, written to the browser's fd 3 and read from its fd 4."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above fd 4, so that moving one end to fd 3 or 4 cannot overwrite the other.
        to_browser_r, from_browser_w = _above_four(to_browser_r), _above_four(from_browser_w)
        args = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            # Any request the page might make fails: no proxy answers, no name resolves.
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1400,1000",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # bash moves the pipe ends to the fds Chromium expects (dash takes fds 0-9 only).
        command = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}'
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", command, *args],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        page = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.call(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                self._messages.put(None)
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def _next(self, deadline: float) -> dict[str, Any]:
        try:
            message = self._messages.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise TimeoutError("Chromium did not answer in time") from None
        if message is None:
            raise RuntimeError("Chromium closed the DevTools pipe")
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True
    ) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            message = self._next(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message

    def open(self, path: Path, fragment: str = "") -> None:
        """Load ``path`` afresh (by way of about:blank: a new fragment alone would not reload)."""
        for url in ("about:blank", path.resolve().as_uri() + (f"#{fragment}" if fragment else "")):
            self.events.clear()
            self.call("Page.navigate", {"url": url})
            self.wait_for("Page.loadEventFired")

    def run(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and log entries (CSP, network)."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in {"error", "warning"}:
                found.append(f"console.{params['type']}: {params['args']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in {"error", "warning"}:
                found.append(f"log: {params['entry']}")
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path) -> None:
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", session=False)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        self._reader.join(timeout=5)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    """One headless Chromium for the module, with a fresh profile; skips without Chromium."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to test the page")
    devtools = DevTools(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield devtools
    finally:
        devtools.close()


@pytest.fixture
def sample_page(tmp_path, sample_html) -> Path:
    path = tmp_path / "report.html"
    path.write_text(sample_html, encoding="utf-8")
    return path


VISIBLE_ROWS = """Array.from(document.querySelectorAll('#credentials tbody tr'))
  .filter(row => !row.hidden)
  .map(row => [row.dataset.user, row.dataset.kind, row.dataset.verdict])"""


def test_page_loads_without_errors_or_requests(browser, sample_page, tmp_path):
    browser.open(sample_page)
    assert browser.run("document.documentElement.dataset.ready") == "true"
    assert browser.problems() == []
    assert browser.requests() == [sample_page.resolve().as_uri()]
    assert browser.run("document.getElementById('shown').textContent") == (
        "Showing 17 of 17 credentials"
    )
    browser.screenshot(tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_charts_render_with_size(browser, sample_page):
    browser.open(sample_page)
    charts = browser.run(
        """Array.from(document.querySelectorAll('svg.chart')).map(svg => {
             const box = svg.getBoundingClientRect();
             const bars = Array.from(svg.querySelectorAll('rect.bar')).map(rect => {
               const b = rect.getBBox();
               return [b.width, b.height, getComputedStyle(rect).fill];
             });
             return {id: svg.id, width: box.width, height: box.height, bars: bars};
           })"""
    )
    assert [chart["id"] for chart in charts] == ["chart-accounts", "chart-age"]
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 50, chart["id"]
        assert chart["bars"], chart["id"]
        for width, height, fill in chart["bars"]:
            assert width > 0 and height > 0
            assert fill not in {"none", "rgb(0, 0, 0)"}  # the stylesheet colours every bar
    assert len(charts[0]["bars"]) == 5  # one account, five verdicts
    assert len(charts[1]["bars"]) == 11


def test_trend_chart_renders_coloured_lines(browser, tmp_path):
    accounts = [f"{100000000000 + n}" for n in range(MAX_TREND_LINES + 1)]
    rows = [row for n, account in enumerate(accounts) for row in _stale_keys(account, n + 1)]
    history = [
        TrendPoint(account, datetime(2026, month, 1, tzinfo=UTC), 3 * month)
        for month in (8, 9, 10)
        for account in accounts
    ]
    out = io.StringIO()
    render_html(scan_report(report(*rows), as_of=NOV), out, history=history)
    path = tmp_path / "trend.html"
    path.write_text(out.getvalue(), encoding="utf-8")
    browser.open(path)
    lines = browser.run(
        """Array.from(document.querySelectorAll('#chart-trend polyline')).map(line => {
             const box = line.getBBox();
             const style = getComputedStyle(line);
             return [line.getAttribute('class'), box.width, style.stroke, style.fill];
           })"""
    )
    assert [line[0] for line in lines] == [f"line s-{n}" for n in range(MAX_TREND_LINES)]
    strokes = {stroke for _, _, stroke, _ in lines}
    assert len(strokes) == MAX_TREND_LINES  # a colour each
    for _, width, stroke, fill in lines:
        assert width > 300 and stroke not in {"none", "rgb(0, 0, 0)"} and fill == "none"
    assert browser.run("document.querySelectorAll('#chart-trend circle').length") == 4 * (
        MAX_TREND_LINES
    )
    assert browser.problems() == []
    browser.screenshot(tmp_path / "trend.png")


def test_a_very_long_user_name_wraps_inside_the_page(browser, tmp_path):
    row = report_row(
        user="x" * 5000,
        arn="arn:aws:iam::123456789012:user/" + "x" * 5000,
        password_enabled="true",
        password_last_used="2026-10-01T00:00:00+00:00",
        password_last_changed="2025-01-01T00:00:00+00:00",
    )
    path = tmp_path / "long.html"
    path.write_text(render(scan_report(report(row), as_of=NOV)), encoding="utf-8")
    browser.open(path)
    widths = browser.run(
        "[document.querySelector('#credentials').getBoundingClientRect().width,"
        " document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]


def test_fragment_presets_the_filters(browser, sample_page):
    browser.open(sample_page, "verdict=unused&kind=access_key")
    assert browser.run(VISIBLE_ROWS) == [
        ["<root_account>", "access_key", "unused"],
        ["bob", "access_key", "unused"],
        ["legacy-backup", "access_key", "unused"],
        ["ci-deploy", "access_key", "unused"],
    ]
    assert browser.run("document.querySelector('select[name=verdict]').value") == "unused"
    assert browser.run("document.getElementById('shown').textContent") == (
        "Showing 4 of 17 credentials"
    )
    assert browser.problems() == []


def test_filters_drive_the_table_and_the_fragment(browser, sample_page):
    browser.open(sample_page)
    set_control = """(name, value) => {
        const control = document.querySelector(`[name=${name}]`);
        if (control.type === 'checkbox') control.checked = value; else control.value = value;
        control.dispatchEvent(new Event(control.type === 'search' ? 'input' : 'change',
                                        {bubbles: true}));
    }"""
    browser.run(f"window.setControl = {set_control}")
    browser.run("setControl('findings', true)")
    assert len(browser.run(VISIBLE_ROWS)) == 7
    browser.run("setControl('kind', 'password')")
    assert browser.run(VISIBLE_ROWS) == [
        ["bob", "password", "unused"],
        ["break-glass", "password", "unused"],
        ["dave", "password", "never_used"],
    ]
    browser.run("setControl('user', 'DAV')")  # case-insensitive substring
    assert browser.run(VISIBLE_ROWS) == [["dave", "password", "never_used"]]
    assert browser.run("location.hash") == "#kind=password&user=DAV&findings=1"
    browser.run("setControl('user', 'nobody')")
    assert browser.run(VISIBLE_ROWS) == []
    assert browser.run("document.getElementById('empty').hidden") is False
    browser.run("document.querySelector('button[type=reset]').click()")
    browser.run("new Promise(done => setTimeout(done, 50))")
    assert len(browser.run(VISIBLE_ROWS)) == 17
    browser.run("setControl('account', '123456789012'); setControl('verdict', 'new')")
    assert browser.run(VISIBLE_ROWS) == [
        ["carol", "password", "new"],
        ["reporting", "access_key", "new"],
    ]
    assert browser.problems() == []


def test_sorting_by_a_column(browser, sample_page):
    browser.open(sample_page)
    click = "document.querySelector('th[data-key=last_used] button').click()"
    order = """Array.from(document.querySelectorAll('#credentials tbody tr'))
      .map(row => row.cells[5].dataset.v)"""
    browser.run(click)
    ascending = browser.run(order)
    assert ascending == sorted(ascending)
    assert ascending[:5] == [""] * 5  # never used comes first: the oldest use of all
    assert browser.run("document.querySelector('th[data-key=last_used]').ariaSort") == "ascending"
    browser.run(click)
    assert browser.run(order) == sorted(ascending, reverse=True)
    assert browser.run("location.hash") == "#sort=last_used&dir=desc"
    browser.run("document.querySelector('th[data-key=finding] button').click()")
    findings = browser.run(
        "Array.from(document.querySelectorAll('#credentials tbody tr')).map(r => r.dataset.finding)"
    )
    assert findings == ["0"] * 10 + ["1"] * 7
    browser.open(sample_page, "sort=user&dir=desc")
    users = browser.run(
        "Array.from(document.querySelectorAll('#credentials tbody tr')).map(r => r.dataset.user)"
    )
    assert users[0] == "reporting" and users[-1] == "<root_account>"


def test_hostile_names_stay_text(browser, tricky_html, tmp_path):
    path = tmp_path / "tricky.html"
    path.write_text(tricky_html, encoding="utf-8")
    browser.open(path, "user=" + "%3Cimg")
    assert browser.run("window.__pwned === undefined") is True
    assert browser.run("document.querySelectorAll('img, script').length") == 1
    cells = browser.run(
        """Array.from(document.querySelectorAll('#credentials tbody tr'))
             .filter(row => !row.hidden).map(row => row.cells[1].textContent)"""
    )
    assert cells == [TRICKY_USERS[1]] * 4
    assert browser.run("document.title").startswith("stalecreds: tricky|`<b>report</b>`.csv")
    assert browser.problems() == []
    browser.screenshot(tmp_path / "tricky.png")


def test_the_harness_sees_errors_and_requests(browser, tmp_path):
    """The checks above would catch a page that logs an error or reaches out, and any request
    fails (no proxy answers and no name resolves)."""
    path = tmp_path / "noisy.html"
    path.write_text(
        "<!DOCTYPE html><title>noisy</title><script>console.error('boom');"
        "window.result = fetch('http://example.com/x').then(() => 'loaded', () => 'failed');"
        "</script>",
        encoding="utf-8",
    )
    browser.open(path)
    assert browser.run("window.result") == "failed"
    assert "http://example.com/x" in browser.requests()
    assert any("boom" in problem for problem in browser.problems())
