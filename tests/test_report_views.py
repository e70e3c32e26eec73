"""What people see in the HTML and Markdown reports of partial and large scans (issue 12).

Item 3, once a bug: a folder scan with a failed report exited 4 and the table and JSON said so,
but the HTML and Markdown never mentioned the failure or that the result was partial. Item 9,
once a bug: the HTML listed every credential (345 MB for 300,000 report rows, which Chromium
cannot open); now it lists at most ``MAX_TABLE_ROWS``, findings first, with per-account counts
and a note saying what is left out and where the full list is.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds import scan_report
from stalecreds.cli import main
from stalecreds.formats import html as html_format
from stalecreds.formats.html import render_html
from stalecreds.formats.markdown import render_markdown
from tests.conftest import report, report_row, sample_scan

AS_OF = "2026-11-01T00:00:00+00:00"
BAD_ROW = report_row(
    user="broken", arn="arn:aws:iam::210987654321:user/broken", user_creation_time="yesterday"
)


def stale_users(account: str, count: int) -> list[str]:
    return [
        report_row(
            user=f"user{n:05d}",
            arn=f"arn:aws:iam::{account}:user/user{n:05d}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date=(
                "2021-01-01T00:00:00+00:00" if n % 3 == 0 else "2026-10-30T00:00:00+00:00"
            ),
        )
        for n in range(count)
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two good reports of two accounts, an older report of the first, and a malformed one."""
    target = tmp_path / "exports"
    target.mkdir()
    (target / "a-prod.csv").write_text(report(*stale_users("111122223333", 6)), encoding="utf-8")
    (target / "b-dev.csv").write_text(report(*stale_users("444455556666", 3)), encoding="utf-8")
    old = target / "0-prod-old.csv"
    old.write_text(report(*stale_users("111122223333", 2)), encoding="utf-8")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    (target / "m-bad.csv").write_text(report(BAD_ROW), encoding="utf-8")
    return target


def folder_scan(folder: Path, chosen: str) -> Any:
    return CliRunner().invoke(
        main, ["scan", "--as-of", AS_OF, "--report", str(folder), "--format", chosen]
    )


def test_html_says_which_report_failed_and_that_the_result_is_partial(folder):
    result = folder_scan(folder, "html")
    assert result.exit_code == 4
    html = result.stdout
    notice = re.search(r'<section class="partial".*?</section>', html, re.S)
    assert notice, "no partial-result notice"
    text = notice.group(0)
    assert "1 report file could not be scanned: the result is partial." in text
    assert f"report file {folder / 'm-bad.csv'}" in text
    assert "failed at read: " in text and "line 2, column 3 (user_creation_time)" in text
    # before the numbers, so that nobody reads them as complete
    assert html.index('class="partial"') < html.index('class="headline"')
    # the skipped older report, and one row per report file with its status
    assert "Skipped reports (1)" in html
    assert f"report file {folder / '0-prod-old.csv'} (account 111122223333)" in html
    accounts = re.search(r'<table class="accounts".*?</table>', html, re.S)
    assert accounts
    statuses = re.findall(r'<span class="status s-(\w+)">', accounts.group(0))
    assert statuses == ["skipped", "scanned", "scanned", "failed"]


def test_markdown_says_which_report_failed_and_that_the_result_is_partial(folder):
    result = folder_scan(folder, "markdown")
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert lines[2] == (
        "> **Partial result:** 1 report file could not be scanned: the result is partial."
    )
    assert lines[3].startswith("> - report file ")
    assert "m-bad.csv: failed at read: " in lines[3]
    assert "Skipped reports (1):" in result.stdout
    assert "0-prod-old.csv: skipped: " in result.stdout


def test_failed_lookups_make_a_partial_result_in_both_formats():
    scan = dataclasses.replace(
        sample_scan(), errors=("iam:GetAccessKeyLastUsed AKIA0000: AccessDenied",)
    )
    out = io.StringIO()
    render_html(scan, out)
    assert "1 IAM lookup failed (those credentials are &#x27;unknown&#x27;)" in out.getvalue()
    assert "iam:GetAccessKeyLastUsed AKIA0000: AccessDenied" in out.getvalue()
    out = io.StringIO()
    render_markdown(scan, out)
    assert "> **Partial result:** 1 IAM lookup failed" in out.getvalue()


def test_a_complete_scan_has_no_notice():
    out = io.StringIO()
    render_html(sample_scan(), out)
    assert 'class="partial"' not in out.getvalue()
    assert 'id="accounts"' not in out.getvalue()  # one account: no accounts table
    out = io.StringIO()
    render_markdown(sample_scan(), out)
    assert "Partial result" not in out.getvalue()


def test_a_large_scan_lists_findings_first_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(html_format, "MAX_TABLE_ROWS", 40)
    rows = stale_users("111122223333", 90) + stale_users("444455556666", 60)
    scan = scan_report(report(*rows), as_of=sample_scan().as_of.replace(year=2026, month=11))
    out = io.StringIO()
    render_html(scan, out)
    html = out.getvalue()
    listed = re.findall(r'<tr( class="finding")? data-i="\d+"', html)
    assert len(listed) == 40
    findings = scan.summary.findings
    assert findings == 50
    assert all(listed)  # 50 findings, 40 rows: the first 40 findings, no other credential
    note = re.search(r'<p class="note capped" id="capped">(.*?)</p>', html, re.S)
    assert note
    assert "the first 40 of 50 findings" in note.group(1)
    assert "40 of 150 credentials" in note.group(1)
    assert "--format csv --output credentials.csv" in note.group(1)
    assert 'data-count="40"' in html
    # every account is summarised, with all its credentials counted
    accounts = re.search(r'<table class="accounts".*?</table>', html, re.S)
    assert accounts
    assert re.findall(r'<td class="n">([\d,]*)</td>', accounts.group(0)) == [
        "90", "30", "0", "60", "20", "0",
    ]  # fmt: skip


def test_below_the_cap_every_credential_is_listed(monkeypatch):
    monkeypatch.setattr(html_format, "MAX_TABLE_ROWS", 200)
    scan = scan_report(report(*stale_users("111122223333", 150)), as_of=sample_scan().as_of)
    out = io.StringIO()
    render_html(scan, out)
    assert len(re.findall(r'<tr( class="finding")? data-i="\d+"', out.getvalue())) == 150
    assert 'id="capped"' not in out.getvalue()


def test_findings_complete_and_others_capped(monkeypatch):
    monkeypatch.setattr(html_format, "MAX_TABLE_ROWS", 60)
    scan = scan_report(report(*stale_users("111122223333", 150)), as_of=sample_scan().as_of)
    out = io.StringIO()
    render_html(scan, out)
    assert "all 50 findings and 10 other credentials" in out.getvalue()
